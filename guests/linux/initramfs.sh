#!/usr/bin/env bash
# guests/linux/initramfs.sh - the initramfs recipe: a newc cpio archive
# with Debian's busybox-static as /bin/busybox (and its applet links), the
# /init script of this directory with its cmdline.sh (/lib/uslice), the
# workloads (guests/linux/workloads, one static binary /bin/uslice-workload
# built with the host gcc) and a /dev/console node.
#
#   guests/linux/initramfs.sh OUT.cpio
#
# Called by guests/linux/build.sh, which caches the result by the sha256 of
# this file, init, cmdline.sh and the workload sources. Needs cpio,
# /bin/busybox (busybox-static) and gcc with the static glibc (libc6-dev).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: initramfs.sh OUT.cpio}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib/uslice}
cp /bin/busybox "$root/bin/busybox"
gcc -std=gnu11 -static -O2 -pthread -Wall -Wextra -Werror -o "$root/bin/uslice-workload" \
	$(LC_ALL=C ls "$here"/workloads/*.c)
install -m 0644 "$here/cmdline.sh" "$root/lib/uslice/cmdline.sh"
for applet in sh echo cat mount poweroff nproc uname; do
	ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$here/init" "$root/init"
mknod -m 0600 "$root/dev/console" c 5 1

# Fixed owner and mtime so that the archive is the same on every build.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) > "$out"
