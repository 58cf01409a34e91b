"""Unit tests import the collection as ansible_collections.opencontrail.issu.

`make collection` links this checkout into .build/collections; ISSU_COLLECTIONS_PATH points there.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.environ.get('ISSU_COLLECTIONS_PATH', os.path.join(ROOT, '.build', 'collections'))
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
