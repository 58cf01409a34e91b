"""Stand-in for ansible-test's pip bootstrap script, which it would download from a host these
machines cannot reach. ansible-test runs this file as `get-pip.py [pip options] pip==X ...` inside
each fresh sanity venv: we install pip from the interpreter's own ensurepip, then let that pip
install the requested versions from the package index.

ansible-test runs pip with PIP_CONFIG_FILE=/dev/null, so the machine's pip.conf (and any CA bundle
it names) is ignored; the ensurepip-provided pip would then trust only its bundled certifi. We point
it at the system CA bundle instead; the pip it installs (24.2) uses the system trust store itself.
"""
import ensurepip
import os
import ssl
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = {'--no-setuptools', '--no-wheel'}


def system_ca_bundle():
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get('SSL_CERT_FILE'), '/etc/ssl/certs/ca-certificates.crt',
                      paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY_OPTIONS]
cafile = system_ca_bundle()
if cafile:
    args = ['--cert', cafile] + args
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
