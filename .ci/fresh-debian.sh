#!/usr/bin/env bash
# The README's two commands on a Debian nobody has touched, as a new user runs
# them: debootstrap a minimal root filesystem of SUITE (default trixie, Debian
# 13) into the build tree, copy the project in, and inside it, as root:
#   scripts/run.sh final --count 3     three ticks, exit 0
#   scripts/test.sh                    every test
#   scripts/test.sh -L scale           then with redis-server installed
# The packages come from the same apt mirror this machine uses (or
# DEBIAN_MIRROR). /proc, /sys and /dev are mounted for the run and always
# unmounted, also when something fails.
#
#   .ci/fresh-debian.sh [SUITE]     e.g. trixie, bookworm
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-trixie}
rootfs="$ROOT/build-ci/$suite-rootfs"

log() { echo "== fresh $suite: $*"; }

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  # The first Debian archive in this machine's apt sources (deb822 or one-line).
  local found
  found=$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
             grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
               awk '{print $2}'; } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1)
  [ -n "$found" ] || { echo "no Debian mirror in apt's sources; set DEBIAN_MIRROR" >&2; return 1; }
  echo "$found"
}

mounted_below() { grep -q " $rootfs/" /proc/mounts; }

unmount_all() {
  local point
  for point in dev/pts dev sys proc; do
    if grep -q " $rootfs/$point " /proc/mounts; then
      umount "$rootfs/$point" 2>/dev/null || umount -l "$rootfs/$point"
    fi
  done
}

[ "$(id -u)" -eq 0 ] || { echo "fresh-debian.sh: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
SKIP_SETUP= "$ROOT/scripts/setup.sh" debootstrap

# A root filesystem left by an earlier run is removed first, never while
# something is still mounted inside it (that would delete the host's /dev).
unmount_all
if mounted_below; then
  echo "fresh-debian.sh: something is still mounted under $rootfs; not removing it" >&2
  exit 1
fi
rm -rf "$rootfs"
mkdir -p "$rootfs"

started=$(date +%s)
source_mirror=$(mirror)
log "debootstrap (minbase) from the machine's own mirror"
debootstrap --variant=minbase "$suite" "$rootfs" "$source_mirror" >"$rootfs.debootstrap.log" 2>&1 ||
  { tail -n 30 "$rootfs.debootstrap.log" >&2; exit 1; }
log "root filesystem ready in $(($(date +%s) - started)) s"

# What a new machine has: a hosts file with localhost, and a resolver.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"

# The project as committed plus any uncommitted edits, without build folders.
mkdir -p "$rootfs/root/tutorial"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
  xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' | tar --null -T - -cf -) |
  tar -xf - -C "$rootfs/root/tutorial"

trap unmount_all EXIT
trap 'exit 130' INT TERM  # so that EXIT runs, and unmounts, on Ctrl+C or kill too
mount -t proc proc "$rootfs/proc"
mount -t sysfs sys "$rootfs/sys"
mount --bind /dev "$rootfs/dev"
mount --bind /dev/pts "$rootfs/dev/pts"

in_rootfs() {
  chroot "$rootfs" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ${CI:+CI=$CI} /bin/bash -c "cd /root/tutorial && $1"
}

log "scripts/run.sh final --count 3"
in_rootfs "scripts/run.sh final --count 3" | tee "$rootfs.run.log"
ticks=$(grep -c '^C++ Rocks -> ' "$rootfs.run.log" || true)
[ "$ticks" -eq 3 ] || { echo "fresh-debian.sh: expected 3 ticks, saw $ticks" >&2; exit 1; }
first_tick=$(($(date +%s) - started))
log "first tick after $first_tick s (debootstrap, apt, build included)"

log "scripts/test.sh"
in_rootfs "scripts/test.sh"

# Step 20, 21 and final/ on Redis skip above (no redis-server yet). Here they run against
# this release's hiredis (1.2 on Debian 13; the host has 0.14) and its redis-server.
log "the Redis tests (label scale), with redis-server installed"
in_rootfs "scripts/setup.sh --tests redis-server redis-tools python3-websockets &&
  WSTEST_INTEROP_REQUIRED=1 scripts/test.sh -L scale"
log "passed in $(($(date +%s) - started)) s in all; first tick after $first_tick s"
