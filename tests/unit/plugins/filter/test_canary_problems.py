# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from ansible_collections.opencontrail.issu.plugins.filter.canary_problems import canary_problems

V2 = ['10.99.0.21', '10.99.0.22']


def state(routes=6, xmpp_routes=4, sessions=None, functional=True, flaps=0, at='t0'):
    sessions = V2 if sessions is None else sessions
    return {
        'routes': {'total': routes, 'xmpp': xmpp_routes, 'local': routes - xmpp_routes},
        'xmpp': [{'controller_ip': ip, 'state': 'Established', 'flap_count': flaps, 'last_state_at': at}
                 for ip in sessions],
        'functional': functional,
        'not_functional': [] if functional else ['contrail-vrouter-agent: Non-Functional (XMPP:control-node down)'],
    }


def judge(before=None, first=None, last=None, **kw):
    kw.setdefault('control_servers', V2)
    return canary_problems(before or state(), first or state(), last or state(), **kw)


def test_a_healthy_canary_passes():
    assert judge(peers=[state(), state()], peer_status=[{'functional': True}]) == []


def test_not_functional_is_the_canarys_unless_no_v1_peer_is_functional():
    sick = state(functional=False)
    assert judge(last=sick)[0].startswith('NodeStatus is not Functional: contrail-vrouter-agent')
    assert judge(last=sick, peer_status=[{'functional': True}, {'functional': False}])
    assert judge(last=sick, peer_status=[{'functional': False}, {'functional': False}]) == []


def test_an_agent_keeps_two_sessions_and_one_is_enough_when_given_one():
    three = V2 + ['10.99.0.23']
    assert judge(last=state(sessions=V2[:1]), control_servers=three) == [
        'XMPP Established to 1 of the control nodes 10.99.0.21, 10.99.0.22, 10.99.0.23, 2 wanted']
    assert judge(last=state(sessions=V2[:2]), control_servers=three) == []
    assert judge(first=state(sessions=V2[:1]), last=state(sessions=V2[:1]), control_servers=V2[:1]) == []
    assert judge(last=state(sessions=[])) != []


def test_flaps_and_sessions_re_established_within_the_window():
    assert judge(last=state(flaps=2)) == ['4 XMPP flap(s) since the swap']  # 2 on each session
    found = judge(first=state(at='t0'), last=state(at='t1'))
    assert found == ['XMPP re-established within the window (agent restart or flap) to 10.99.0.21, 10.99.0.22']


def test_routes_lost_against_its_own_before_with_a_tolerance():
    assert judge(before=state(routes=10), last=state(routes=9)) == [
        '9 routes, 10 before the swap (more than 0% lost)']
    assert judge(before=state(routes=10), last=state(routes=9), max_route_loss=10) == []
    assert judge(before=state(routes=10), last=state(routes=8), max_route_loss='10') != []
    assert judge(before=state(routes=0), last=state(routes=0)) == []
    unread = state()
    del unread['routes']
    assert judge(before=state(routes=4), last=unread) == ['routes not readable (had 4 before the swap)']


def test_no_xmpp_route_while_every_v1_peer_learns_some():
    last = state(routes=2, xmpp_routes=0)
    before = state(routes=2, xmpp_routes=2)
    assert judge(before=before, last=last, peers=[state(xmpp_routes=3), state(xmpp_routes=5)]) == [
        'no route learnt over XMPP, while every v1 peer learns some (3-5)']
    assert judge(before=before, last=last, peers=[state(xmpp_routes=3), state(xmpp_routes=0)]) == []
    assert judge(before=before, last=last) == []


def test_a_canary_emptied_by_its_pre_hook_is_judged_against_its_state_after_the_hook():
    # the pre hook migrated every VM away: no VRF of its own, so no route to learn over XMPP
    # whatever its v1 peers learn; its state read after the hook is the baseline
    empty = state(routes=0, xmpp_routes=0)
    assert judge(before=empty, first=empty, last=empty, peers=[state(xmpp_routes=3)]) == []
    # one that learnt routes before its swap and learns none on v2 is still caught
    assert judge(before=state(routes=2, xmpp_routes=2), last=state(routes=2, xmpp_routes=0),
                 peers=[state(xmpp_routes=3)]) == [
        'no route learnt over XMPP, while every v1 peer learns some (3-3)']
