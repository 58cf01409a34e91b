"""contrail-version, as Contrail's contrail-version-deb prints it (wire-formats §8.4).

Installed as /usr/bin/contrail-version by contrail-utils. The package list comes from the
arguments, else /etc/contrail/debs_list.txt (written by contrail-install-packages in real
deployments). The lab has no contrail-install-packages, so when that file is missing the list is
every installed package whose name contains "contrail" (lab accommodation). Only installed
packages are printed; the Build-ID column is $BUILDID from /opt/contrail/contrail_packages/VERSION
when set, else the version apt reports as installed.
"""
import re
import subprocess
import sys

DEBS_LIST = '/etc/contrail/debs_list.txt'
VERSION_FILE = '/opt/contrail/contrail_packages/VERSION'
HEADER = ['Package                                Version                        '
          'Build-ID | Repo | Package Name',
          '-------------------------------------- ------------------------------ '
          '----------------------------------']


def dpkg_query(args):
    proc = subprocess.run(['dpkg-query'] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    return proc.stdout if proc.returncode == 0 else ''


def installed_version(pkg):
    """The version of an installed (not merely config-files) package, else None."""
    out = dpkg_query(['-W', '-f=${db:Status-Abbrev} ${Version}', pkg]).split()
    return out[1] if len(out) == 2 and out[0] == 'ii' else None


def package_list(args):
    if args:
        return args
    try:
        with open(DEBS_LIST) as fh:
            return fh.read().split()
    except OSError:
        names = dpkg_query(['-W', '-f=${Package}\n', '*contrail*']).split()
        return sorted(n for n in names if installed_version(n))


def build_id():
    """BUILDID=... from the VERSION file of contrail-install-packages, if any."""
    try:
        with open(VERSION_FILE) as fh:
            match = re.search(r'^\s*BUILDID=["\']?([^"\'\s]+)', fh.read(), re.M)
    except OSError:
        return None
    return match.group(1) if match else None


def lines(args):
    out = list(HEADER)
    buildid = build_id()
    for pkg in package_list(args):
        version = installed_version(pkg)
        if version:
            out.append('%-39s%-37s%-20s' % (pkg, version, buildid or version))
    return out


def main(argv=None):
    for line in lines(sys.argv[1:] if argv is None else argv):
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
