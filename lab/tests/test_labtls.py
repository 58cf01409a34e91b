"""labtls: vnc_api's cached CA bundles of another lab's CA are dropped before a TLS client is made
(vnc_api keeps them per address in /tmp and remakes one only when the CA file is newer)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tools'))
import labtls  # noqa: E402


def test_a_bundle_of_another_ca_is_removed_and_this_labs_is_kept(tmp_path):
    ca = tmp_path / 'ca.pem'
    ca.write_text('-----BEGIN CERTIFICATE-----\nthis lab\n-----END CERTIFICATE-----\n')
    root = tmp_path / 'tmp'
    stale = root / '10_99_0_21' / 'apiservercertbundle.pem'
    fresh = root / '10_99_0_11' / 'apiservercertbundle.pem'
    other = root / 'not-an-address' / 'apiservercertbundle.pem'
    for path, text in ((stale, 'another lab'), (fresh, ca.read_text()), (other, 'another lab')):
        path.parent.mkdir(parents=True)
        path.write_text(text)
    # written after the CA: vnc_api itself would keep using the stale one
    assert labtls.forget_stale_vnc_api_bundles(str(ca), str(root)) == [str(stale)]
    assert not stale.exists() and fresh.exists() and other.exists()
    assert labtls.forget_stale_vnc_api_bundles(str(ca), str(root)) == []
