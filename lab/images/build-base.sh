#!/bin/sh
# Build the lab's base image: a Debian bookworm minbase rootfs made by debootstrap, imported
# into podman as localhost/issu-lab-base:<hash>. The tag is a content hash of this script (which
# holds the package list), so a rebuild happens only when the recipe changes.
#
# Why debootstrap and not a registry image: the machines have no registry access, only the Debian
# mirror. Why so many packages in the base: debootstrap installs them faster than apt in a
# `podman build`, and every lab image needs python3 with the libraries the simulator uses.
#
# Usage: build-base.sh [--print-name]   (prints the image name on stdout; logs go to stderr)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$(dirname "$HERE")
BUILD="$LAB/.build"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$LAB/containers.conf}"

# Packages common to every lab image (Debian bookworm names).
PACKAGES="python3,python3-psycopg2,python3-kazoo,python3-pika,python3-lxml,python3-requests,\
supervisor,procps,iproute2,iputils-ping,netcat-openbsd,curl,less,ca-certificates,\
init-system-helpers,lsb-base,apt-utils,openssh-server"

TAG=$(sha256sum "$0" | cut -c1-12)
IMAGE="localhost/issu-lab-base:$TAG"

if [ "${1:-}" = "--print-name" ]; then
    echo "$IMAGE"
    exit 0
fi

log() { echo "build-base: $*" >&2; }

if podman image exists "$IMAGE"; then
    log "$IMAGE is current"
    echo "$IMAGE"
    exit 0
fi

# The mirror the host itself uses (first URIs line of the deb822 sources file).
mirror() {
    sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1
}
MIRROR=$(mirror)
MIRROR=${MIRROR:-http://deb.debian.org/debian}

command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }

ROOT="$BUILD/rootfs-base"
rm -rf "$ROOT"
mkdir -p "$BUILD"
log "debootstrap bookworm from $MIRROR"
if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOT" "$MIRROR" \
        >"$BUILD/debootstrap.log" 2>&1; then
    log "debootstrap failed; tail of $BUILD/debootstrap.log:"
    tail -n 20 "$BUILD/debootstrap.log" >&2
    exit 1
fi

# apt inside the containers: same mirror, no recommends, no docs (keeps derived images small).
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
cat >"$ROOT/etc/apt/apt.conf.d/90lab" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/90lab-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
# Every lab node is reached over SSH, as production nodes are (key-only root login; labctl mounts
# its public key as /root/.ssh/authorized_keys and lab-init starts sshd).
cat >"$ROOT/etc/ssh/sshd_config.d/90lab.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
MaxSessions 64
MaxStartups 64:30:128
EOF
# Daemons may be started by package postinsts during `podman build`: forbid that.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* \
       "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/*

log "importing as $IMAGE"
tar -C "$ROOT" -c . | podman import --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
podman tag "$IMAGE" localhost/issu-lab-base:latest
rm -rf "$ROOT"
echo "$IMAGE"
