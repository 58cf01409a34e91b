#!/bin/sh
# Build the lab's vRouter packages, versions 3.2.14.0-37 and 4.0.3.0-62, into a flat apt
# repository (default lab/.build/repo: *.deb, Packages, Packages.gz, Release).
#   build.sh [--out DIR] [--broken[=agent|postinst|dkms]]
# --broken also adds build 4.0.3.0-63 whose agent (default) or contrail-vrouter-agent postinst
# fails, or whose kernel module does not build (dkms: the postinst swallows it, as the real one
# does), for tests that publish a bad release. Prints the repository path on stdout.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in dpkg-deb dpkg-scanpackages python3; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (apt-get install dpkg-dev python3)" >&2; exit 1; }
done
exec python3 "$HERE/build_repo.py" "$@"
