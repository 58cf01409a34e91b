"""Root pytest configuration: the lab fixtures (`lab`, `labctl_module`, `run_labctl`) are
shared by the lab's own tests and by the collection's integration tests."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lab'))

pytest_plugins = ['pytest_lab']
