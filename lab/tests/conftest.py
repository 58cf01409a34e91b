"""Import paths of the lab's tests: the test directory (shared harness modules such as
simdev_h3), the simulator package (lab/sim) and the host tools (lab/tools).

pytest runs with --import-mode=importlib, which does not put a test's directory on sys.path."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.dirname(HERE)
for path in (HERE, os.path.join(LAB, 'sim'), os.path.join(LAB, 'tools')):
    if path not in sys.path:
        sys.path.insert(0, path)
