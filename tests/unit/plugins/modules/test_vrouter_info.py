# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vrouter_info reads the compute's packages with one query, by the Contrail patterns: not a
``dpkg-query -W`` of every installed package first (its cost grows with the host's package
count, once per compute per run)."""

from __future__ import annotations

from ansible_collections.opencontrail.issu.plugins.modules import vrouter_info

AGENT = '[CONTROL-NODE]\nservers=10.99.0.11:5269\n[DEFAULTS]\ncollectors=10.99.0.11:8086\n'
DPKG = ('contrail-vrouter-agent\t3.2.14.0-37\tinstall ok installed\n'
        'contrail-lib\t3.2.14.0-37\tinstall ok installed\n')


class FakeModule:
    """What vrouter_info.run uses of its module: params and run_command (every command kept)."""

    def __init__(self, params):
        self.params = params
        self.calls = []

    def run_command(self, args, **_kwargs):
        self.calls.append(list(args))
        if args[0] == 'dpkg-query':
            return 0, DPKG, ''
        if args[0] == 'supervisorctl':
            return 0, 'contrail-vrouter-agent   RUNNING   pid 7, uptime 0:01:00\n', ''
        return 0, '', ''


def test_the_packages_are_read_once_by_pattern(tmp_path):
    agent = tmp_path / 'contrail-vrouter-agent.conf'
    agent.write_text(AGENT)
    module = FakeModule(dict(
        package_manager='apt', service_manager='supervisor', agent_conf=str(agent),
        nodemgr_conf=str(tmp_path / 'absent.conf'), fact_file=str(tmp_path / 'fact'),
        introspect_host='127.0.0.1', introspect_port=9, introspect_timeout=0.2,
        gather_routes=False))

    result = vrouter_info.run(module)

    queries = [call for call in module.calls if call[0] == 'dpkg-query']
    assert len(queries) == 1, queries
    assert queries[0][-3:] == ['contrail-*', 'python-contrail*', 'python-opencontrail*']
    assert result['packages']['contrail-vrouter-agent']['version'] == '3.2.14.0-37'
    assert result['version'] == '3.2.14.0-37'
    assert 'introspect_error' in result   # nothing answers on port 9
