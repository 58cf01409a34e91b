#!/usr/bin/env python3
"""`make demo`: the whole ISSU on the rehearsal lab, as an operator would watch it.

Brings the lab up (fresh unless --reuse) at the size LAB_COMPUTES, LAB_V1_CONTROLLERS and
LAB_V2_CONTROLLERS ask (default 3, 1, 1; see `labctl up`), writes the inventory of the running
lab (`labctl inventory`), prints the ISSU's plan (playbooks/issu_plan.yml, also written to
.build/issu-plan.json), starts a northbound workload through the HAProxy VIP and a probe of
every agent's routes, runs playbooks/issu_full.yml with that inventory, then prints the ISSU's own
report (phases, northbound freeze windows, per-compute outages, batches) followed by what the
clients and the data plane saw, and the path of the report's timeline picture (SVG). Exits
non-zero when the ISSU fails or an acknowledged write is missing from v2 at the end.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import traffic as lab_traffic  # noqa: E402

V2_API = 'http://10.99.0.21:8082'
#: The report's timeline picture (playbooks/issu_report.yml, issu_report_svg).
PICTURE = os.path.join(ROOT, '.build', 'issu-report.svg')


def run(cmd, **kwargs):
    print('+ %s' % ' '.join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kwargs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reuse', action='store_true', help='use a running lab as it is')
    parser.add_argument('--computes', type=int, default=int(os.environ.get('LAB_COMPUTES', 3)))
    args = parser.parse_args(argv)

    labctl = [sys.executable, os.path.join(ROOT, 'lab', 'labctl')]
    if not args.reuse:
        run(labctl + ['down'], stdout=subprocess.DEVNULL)
        if run(labctl + ['up', '--computes', str(args.computes)]).returncode:
            return 1
    inventory = run(labctl + ['inventory'], stdout=subprocess.PIPE, text=True)
    if inventory.returncode:
        return 1

    if os.path.exists(PICTURE):
        os.remove(PICTURE)          # a picture left by an earlier run is not this run's

    # What the ISSU will do, before it starts (the plan changes nothing).
    plan = os.path.join(ROOT, '.build', 'issu-plan.json')
    if run(['ansible-playbook', '-i', inventory.stdout.strip(), 'playbooks/issu_plan.yml',
            '-e', 'issu_plan_path=%s' % plan]).returncode:
        return 1

    traffic = lab_traffic.Traffic()
    started = time.time()
    rc = run(['ansible-playbook', '-i', inventory.stdout.strip(), 'playbooks/issu_full.yml',
              '-e', 'issu_finalize_confirm=true', '-e', 'issu_report_svg=%s' % PICTURE]).returncode
    elapsed = time.time() - started
    summary, probed = traffic.stop()
    verified = traffic.workload.verify(V2_API)

    print('\n== What the clients and the data plane saw (%.0f s of ISSU) ==' % elapsed)
    print('northbound writes: %d acknowledged, %d refused during freezes, %d rejected'
          % (summary['acked'], summary['refused'], summary['rejected']))
    windows = ', '.join('%.1f s' % w['seconds'] for w in summary['freeze_windows'])
    print('freeze windows seen by clients: %s' % (windows or 'none'))
    print('acknowledged writes present in v2 at the end: %d of %d%s'
          % (verified['ok'], verified['checked'], '' if verified['passed'] else
             '  MISSING: %s' % json.dumps({k: verified[k] for k in ('missing', 'wrong', 'not_deleted')})))
    print('route gaps (compute -> remote VM): %d, longest %.2f s, over %d probe samples'
          % (probed.get('outage_count', 0), probed.get('max_outage_seconds', 0), probed.get('samples', 0)))
    print('timeline picture (open it in a browser): %s' % (
        PICTURE if os.path.exists(PICTURE) else 'not written (see the report play above)'))
    return rc or (0 if verified['passed'] else 1)


if __name__ == '__main__':
    sys.exit(main())
