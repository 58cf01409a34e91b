# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's northbound workload (writes through the VIP) and data-plane probe (every agent's
routes), run together around a scenario: the demo, the end-to-end tests and the fault suite."""

from __future__ import annotations

import threading

import probe as lab_probe
import workload as lab_workload

VIP = '10.99.0.5'


class Traffic(object):
    """Starts both at once; ``stop()`` -> (the workload's summary, the probe's result)."""

    def __init__(self, duration=1800, interval=0.2, count=20000, api_url=None, token=None,
                 ca_file=None):
        self.workload = lab_workload.Workload(
            neutron_url='http://%s:9696' % VIP, api_url=api_url or 'http://%s:8082' % VIP,
            count=count, duration=duration, interval=interval, token=token,
            ca_file=ca_file).start()
        self.probe = lab_probe.Probe(lab_probe.lab_agents())
        self.probed = {}
        self.thread = threading.Thread(target=lambda: self.probed.update(
            self.probe.run(duration=duration, interval=interval)), daemon=True)
        self.thread.start()

    def stop(self):
        summary = self.workload.stop(timeout=30)
        self.probe.stop()
        self.thread.join(60)
        return summary, self.probed
