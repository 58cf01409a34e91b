# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""contrail_status against the exact formats of wire-formats reference §6 (3.2 and 4.0)."""

from __future__ import annotations

from ansible_collections.opencontrail.issu.plugins.module_utils import contrail_status

# §6.1 compute, module not loaded (program lines carry the '{0:<30}{1:<20}' trailing spaces).
COMPUTE_32 = (
    'vRouter is NOT PRESENT\n'
    '\n'
    '== Contrail vRouter ==\n'
    'supervisor-vrouter:           active\n'
    '%-30s%-20s\n' % ('contrail-vrouter-agent', 'initializing (No Configuration for self)') +
    '%-30s%-20s\n' % ('contrail-vrouter-nodemgr', 'active') +
    '\n')

# §6.1 controller, all-in-one order (excerpt) + a core file block.
CONTROLLER_32 = (
    '== Contrail Control ==\n'
    'supervisor-control:           active\n'
    'contrail-control              active              \n'
    'contrail-control-nodemgr      active              \n'
    'contrail-dns                  active              \n'
    '\n'
    '== Contrail Config ==\n'
    'supervisor-config:            active\n'
    'contrail-api:0                active              \n'
    'contrail-config-nodemgr       active              \n'
    'contrail-device-manager       backup              \n'
    'contrail-discovery:0          active              \n'
    'contrail-schema               backup              \n'
    'contrail-svc-monitor          backup              \n'
    'ifmap                         active              \n'
    '\n'
    '== Contrail Database ==\n'
    'contrail-database:            active\n'
    '\n'
    '== Contrail Web UI ==\n'
    'supervisor-webui:             inactive (disabled on boot)\n'
    '\n'
    '========Run time service failures=============\n'
    '/var/crashes/core.contrail-api.1234\n')

# §6.2 4.0 systemd host: one '{0:<30}{1:<20}{2}' line per unit.
COMPUTE_40_SYSTEMD = (
    '== Contrail vRouter ==\n'
    'contrail-vrouter-agent:       active              \n'
    'contrail-vrouter-nodemgr:     active              \n'
    '\n')

# §6.2 4.0 container (init_sys_used='supervisor'): no supervisor-<role>: line.
CONFIG_40_CONTAINER = (
    '== Contrail Config ==\n'
    'contrail-api:0                active              \n'
    'contrail-config-nodemgr       active              \n'
    'contrail-device-manager       inactive            \n'
    'contrail-schema               inactive            \n'
    'contrail-svc-monitor          inactive            \n'
    '\n')


def test_compute_32_not_present():
    parsed = contrail_status.parse(COMPUTE_32)
    assert parsed['vrouter_present'] is False
    (section,) = parsed['sections']
    assert section['name'] == 'vrouter' and section['title'] == 'Contrail vRouter'
    assert section['init_service'] == dict(name='supervisor-vrouter', state='active',
                                           description=None, boot_disabled=False)
    agent = parsed['services']['contrail-vrouter-agent']
    assert (agent['state'], agent['description']) == ('initializing', 'No Configuration for self')
    verdict = contrail_status.health(parsed)
    assert not verdict['healthy']
    assert [p['service'] for p in verdict['problems']] == ['vrouter kernel module',
                                                           'contrail-vrouter-agent']


def test_controller_32_sections_states_and_cores():
    parsed = contrail_status.parse(CONTROLLER_32)
    assert [s['name'] for s in parsed['sections']] == ['control', 'config', 'database', 'web_ui']
    assert parsed['vrouter_present'] is None
    assert parsed['services']['contrail-api:0']['state'] == 'active'
    assert parsed['services']['contrail-schema']['state'] == 'backup'
    assert parsed['services']['contrail-database']['section'] == 'database'
    webui = parsed['sections'][3]['init_service']
    assert (webui['state'], webui['boot_disabled']) == ('inactive', True)
    assert parsed['core_files'] == ['/var/crashes/core.contrail-api.1234']
    verdict = contrail_status.health(parsed)
    assert [p['service'] for p in verdict['problems']] == ['supervisor-webui']


def test_40_systemd_units_are_services():
    parsed = contrail_status.parse(COMPUTE_40_SYSTEMD)
    section = parsed['sections'][0]
    assert section['init_service'] is None
    assert sorted(section['services']) == ['contrail-vrouter-agent', 'contrail-vrouter-nodemgr']
    assert contrail_status.health(parsed)['healthy']


def test_40_container_held_services_are_expected_inactive():
    parsed = contrail_status.parse(CONFIG_40_CONTAINER)
    assert not contrail_status.health(parsed)['healthy']
    verdict = contrail_status.health(parsed, expected_inactive=[
        'contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager'])
    assert verdict['healthy']
    assert verdict['held'] == {'contrail-device-manager': 'inactive',
                               'contrail-schema': 'inactive', 'contrail-svc-monitor': 'inactive'}


def test_expected_name_matches_numbered_program_and_empty_output_is_unhealthy():
    parsed = contrail_status.parse(CONTROLLER_32)
    assert 'contrail-api:0' in contrail_status.health(parsed, ['contrail-api'])['held']
    assert not contrail_status.health(contrail_status.parse(''))['healthy']


def test_parse_state_forms():
    assert contrail_status.parse_state('timeout') == dict(state='timeout', description=None,
                                                          boot_disabled=False)
    assert contrail_status.parse_state('initializing (Collector, Discovery connection down) '
                                       '(disabled on boot)') == dict(
        state='initializing', description='Collector, Discovery connection down',
        boot_disabled=True)
