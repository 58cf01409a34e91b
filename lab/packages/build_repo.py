#!/usr/bin/env python3
"""Build the lab's vRouter .deb packages (both Contrail versions) into a flat apt repository.

Called by build.sh. Runs on the host with the standard library and dpkg-deb/dpkg-scanpackages.

Every package is described by a directory under src/<package>/:
  control[-<era>]                 control fields (without Package/Version/Architecture/Installed-Size)
  postinst|prerm|postrm|preinst[-<era>]   maintainer scripts
  root/, root-<era>/              payload; root-<era> overlays root ("era" = 3.2 or 4.0)
  broken-<mode>/                  overlay (root/ and maintainer scripts) used only by a broken build
Text files get @VERSION@ (dpkg version), @UPSTREAM@ (version without the build suffix) and
@ERA@ substituted. Files under /etc are conffiles, as debhelper declares them.
python-contrail additionally ships the lab's daemon code (lab/sim/contrail_sim, without issu/),
so that an apt swap really swaps the code the agent runs.
"""
import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import time
from email.utils import formatdate

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.dirname(HERE)
SRC = os.path.join(HERE, 'src')
SIM = os.path.join(LAB, 'sim', 'contrail_sim')

V1 = '3.2.14.0-37'
V2 = '4.0.3.0-62'
BROKEN = '4.0.3.0-63'
BROKEN_MODES = ('agent', 'postinst', 'dkms')
# repo/all holds every build (the image build and the tests use it); repo/<era> one release, as
# production publishes them: computes start with 3.2's source only, the ISSU adds 4.0's.
ALL = 'all'

MAINTAINER = 'OpenContrail Developers <dev@lists.opencontrail.org>'
SCRIPTS = ('preinst', 'postinst', 'prerm', 'postrm')
# Extra payload trees: package -> [(source dir, install path, excluded names)].
EXTRA_TREES = {
    'python-contrail': [(SIM, 'usr/lib/python3/dist-packages/contrail_sim',
                         {'issu', '__pycache__'})],
}


def upstream(version):
    """The upstream part of a dpkg version (3.2.14.0-37 -> 3.2.14.0), as dkms.conf uses it."""
    return version.rsplit('-', 1)[0]


def era(version):
    """Major.minor release train (3.2 or 4.0): selects the era-specific overlays."""
    return '.'.join(version.split('.')[:2])


def package_names():
    return sorted(name for name in os.listdir(SRC) if os.path.isdir(os.path.join(SRC, name)))


def substitute(data, version):
    """Replace the build placeholders in a text payload file; binary files pass unchanged."""
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        return data
    for key, value in (('@VERSION@', version), ('@UPSTREAM@', upstream(version)),
                       ('@ERA@', era(version))):
        text = text.replace(key, value)
    return text.encode('utf-8')


def copy_tree(src, dst, version, exclude=()):
    """Copy src into dst (overlaying), substituting placeholders (also in names), keeping modes."""
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in exclude]
        rel = substitute(os.path.relpath(dirpath, src).encode(), version).decode()
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for name in filenames:
            if name in exclude or name.endswith('.pyc'):
                continue
            source = os.path.join(dirpath, name)
            target = os.path.join(dst, rel, substitute(name.encode(), version).decode())
            with open(source, 'rb') as fh:
                data = fh.read()
            with open(target, 'wb') as fh:
                fh.write(substitute(data, version))
            os.chmod(target, os.stat(source).st_mode & 0o777)


def variant_file(pkg_dir, name, version, broken):
    """The most specific of broken-<mode>/<name>, <name>-<era>, <name>; None if none exists."""
    candidates = []
    if broken:
        candidates.append(os.path.join(pkg_dir, 'broken-' + broken, name))
    candidates += [os.path.join(pkg_dir, '%s-%s' % (name, era(version))),
                   os.path.join(pkg_dir, name)]
    return next((c for c in candidates if os.path.exists(c)), None)


def payload_files(root):
    for dirpath, _dirnames, filenames in os.walk(root):
        if os.path.relpath(dirpath, root).split(os.sep)[0] == 'DEBIAN':
            continue
        for name in sorted(filenames):
            yield os.path.relpath(os.path.join(dirpath, name), root)


def installed_size_kib(root):
    return sum((os.path.getsize(os.path.join(root, f)) + 1023) // 1024 for f in payload_files(root))


def write_metadata(pkg, version, pkg_dir, root, broken):
    """DEBIAN/: control, conffiles (everything under /etc), md5sums, maintainer scripts."""
    debian = os.path.join(root, 'DEBIAN')
    os.makedirs(debian, exist_ok=True)
    with open(variant_file(pkg_dir, 'control', version, broken), 'rb') as fh:
        fields = substitute(fh.read(), version).decode().strip()
    control = ['Package: ' + pkg, 'Version: ' + version, 'Architecture: all',
               'Maintainer: ' + MAINTAINER, 'Installed-Size: %d' % installed_size_kib(root), fields]
    with open(os.path.join(debian, 'control'), 'w') as fh:
        fh.write('\n'.join(control) + '\n')
    files = list(payload_files(root))
    conffiles = ['/' + f for f in files if f.startswith('etc/')]
    if conffiles:
        with open(os.path.join(debian, 'conffiles'), 'w') as fh:
            fh.write('\n'.join(conffiles) + '\n')
    with open(os.path.join(debian, 'md5sums'), 'w') as fh:
        for f in files:
            with open(os.path.join(root, f), 'rb') as data:
                fh.write('%s  %s\n' % (hashlib.md5(data.read()).hexdigest(), f))
    for script in SCRIPTS:
        source = variant_file(pkg_dir, script, version, broken)
        if source:
            target = os.path.join(debian, script)
            with open(source, 'rb') as fh, open(target, 'wb') as out:
                out.write(substitute(fh.read(), version))
            os.chmod(target, 0o755)


def build_package(pkg, version, stage, repo, broken=None):
    """Assemble one package in stage/ and build repo/<pkg>_<version>_all.deb."""
    pkg_dir = os.path.join(SRC, pkg)
    root = os.path.join(stage, '%s_%s' % (pkg, version))
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    overlays = ['root', 'root-' + era(version)] + (['broken-%s/root' % broken] if broken else [])
    for overlay in overlays:
        if os.path.isdir(os.path.join(pkg_dir, overlay)):
            copy_tree(os.path.join(pkg_dir, overlay), root, version)
    for source, dest, exclude in EXTRA_TREES.get(pkg, ()):
        copy_tree(source, os.path.join(root, dest), version, exclude)
    write_metadata(pkg, version, pkg_dir, root, broken)
    deb = os.path.join(repo, '%s_%s_all.deb' % (pkg, version))
    subprocess.run(['dpkg-deb', '--root-owner-group', '-Zgzip', '--build', root, deb],
                   check=True, stdout=subprocess.DEVNULL)
    return deb


def file_hashes(path):
    with open(path, 'rb') as fh:
        data = fh.read()
    return len(data), {algo: hashlib.new(algo, data).hexdigest() for algo in ('md5', 'sha256')}


def write_indexes(repo):
    """Packages, Packages.gz and a Release file with their hashes (a flat repository)."""
    packages = subprocess.run(['dpkg-scanpackages', '--multiversion', '.', '/dev/null'],
                              cwd=repo, check=True, capture_output=True).stdout
    with open(os.path.join(repo, 'Packages'), 'wb') as fh:
        fh.write(packages)
    with gzip.GzipFile(os.path.join(repo, 'Packages.gz'), 'wb', mtime=0) as fh:
        fh.write(packages)
    lines = ['Origin: OpenContrail lab', 'Label: contrail-vrouter', 'Suite: lab', 'Codename: lab',
             'Date: ' + formatdate(usegmt=True), 'Architectures: all amd64',
             'Description: vRouter packages (%s) for the ISSU rehearsal lab'
             % os.path.basename(repo.rstrip('/'))]
    for header, algo in (('MD5Sum', 'md5'), ('SHA256', 'sha256')):
        lines.append(header + ':')
        for name in ('Packages', 'Packages.gz'):
            size, hashes = file_hashes(os.path.join(repo, name))
            lines.append(' %s %d %s' % (hashes[algo], size, name))
    with open(os.path.join(repo, 'Release'), 'w') as fh:
        fh.write('\n'.join(lines) + '\n')


def build(repo, broken=None, keep=False):
    """Build both versions (and the broken one if asked) into repo/all, and one repository per
    release (repo/3.2, repo/4.0: hard links) as each release is published; return the .deb paths
    of repo/all."""
    stage = os.path.join(LAB, '.build', 'pkgroot')
    if not keep:
        shutil.rmtree(repo, ignore_errors=True)
    every = os.path.join(repo, ALL)
    os.makedirs(every, exist_ok=True)
    builds = [(V1, None), (V2, None)] + ([(BROKEN, broken)] if broken else [])
    debs = [build_package(pkg, version, stage, every, mode)
            for version, mode in builds for pkg in package_names()]
    write_indexes(every)
    for release in sorted({era(version) for version, _ in builds}):
        own = os.path.join(repo, release)
        shutil.rmtree(own, ignore_errors=True)
        os.makedirs(own)
        for deb in debs:
            if era(deb.rsplit('_', 2)[1]) == release:
                os.link(deb, os.path.join(own, os.path.basename(deb)))
        write_indexes(own)
    shutil.rmtree(stage, ignore_errors=True)
    return debs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=os.path.join(LAB, '.build', 'repo'),
                        help='output directory (default lab/.build/repo): all/ (every build), '
                             '3.2/ and 4.0/ (one release each), each a flat apt repository')
    parser.add_argument('--broken', nargs='?', const='agent', choices=BROKEN_MODES,
                        help='also build %s, whose agent (default) or postinst fails' % BROKEN)
    args = parser.parse_args(argv)
    start = time.monotonic()
    debs = build(os.path.abspath(args.out), args.broken)
    print('built %d packages into %s in %.1f s' % (len(debs), args.out, time.monotonic() - start),
          file=sys.stderr)
    print(os.path.abspath(args.out))


if __name__ == '__main__':
    main()
