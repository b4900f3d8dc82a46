#!/usr/bin/env bash
# guests/linux/build.sh - build (once) the small Linux 6.1 guest and its
# initramfs, cached outside the clone.
#
#   guests/linux/build.sh            build what is missing, print the paths
#   guests/linux/build.sh --print    print the cache paths, build nothing
#
# The paths are printed last, as shell assignments (bzimage=..., system_map=...,
# config=..., initramfs=...): `eval "$(guests/linux/build.sh --print)"`.
#
# The kernel is Debian's linux-source-6.1 configured as `tinyconfig` +
# guests/linux/config-fragment (the recipe of tests/fixtures/linux-6.1).
# Its cache directory is keyed by the sha256 of this script and the
# fragment:
#
#   $USLICE_CACHE/linux-HASH/{bzImage,System.map,config}
#
# and the initramfs (guests/linux/initramfs.sh: busybox-static, an /init
# that prints a line, runs the workload the command line names and powers
# off, and the workloads) by the sha256 of its recipe, init, cmdline.sh and
# every workload source (guests/linux/workloads/*.[ch]):
#
#   $USLICE_CACHE/initramfs-HASH/initramfs.cpio
#
# USLICE_CACHE defaults to /var/cache/uslice. A complete cache entry is
# reused as it is; an interrupted build leaves no entry (the results are
# moved in place last). JOBS (default 2) is make's -j. The kernel tree is
# unpacked in $USLICE_CACHE/src-HASH and removed after a good build
# (KEEP_TREE=1 keeps it). Concurrent runs wait for each other (flock on
# $USLICE_CACHE/.lock).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${USLICE_CACHE:-/var/cache/uslice}
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=${JOBS:-2}

kernel_hash=$(cat "$here/build.sh" "$here/config-fragment" | sha256sum | cut -c1-16)
initramfs_hash=$(cd "$here" && LC_ALL=C cat initramfs.sh init cmdline.sh $(LC_ALL=C ls workloads/*.[ch]) |
	sha256sum | cut -c1-16)
kernel_dir=$cache/linux-$kernel_hash
initramfs_dir=$cache/initramfs-$initramfs_hash

print_paths() {
	echo "bzimage=$kernel_dir/bzImage"
	echo "system_map=$kernel_dir/System.map"
	echo "config=$kernel_dir/config"
	echo "initramfs=$initramfs_dir/initramfs.cpio"
}

if [ "${1:-}" = "--print" ]; then
	print_paths
	exit 0
fi

install_missing() {
	local need=()
	[ -f "$tarball" ] || need+=(linux-source-6.1)
	for tool in flex bison bc lz4 cpio; do
		command -v "$tool" >/dev/null || need+=("$tool")
	done
	[ -f /usr/include/libelf.h ] || need+=(libelf-dev)
	[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
	[ -x /bin/busybox ] || need+=(busybox-static)
	if [ ${#need[@]} -gt 0 ]; then
		echo "build.sh: installing ${need[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
	fi
}

# check_fragment CONFIG: Kconfig silently drops options whose dependencies
# are unmet; every `CONFIG_X=y` of the fragment must be in the result.
check_fragment() {
	local missing=0 line
	while IFS= read -r line; do
		case "$line" in CONFIG_*=y) ;; *) continue ;; esac
		if ! grep -qx "$line" "$1"; then
			echo "build.sh: $line did not survive Kconfig" >&2
			missing=1
		fi
	done < "$here/config-fragment"
	return "$missing"
}

build_kernel() {
	local src=$cache/src-$kernel_hash staging=$cache/.linux-$kernel_hash.tmp
	local start=$SECONDS
	mkdir -p "$src"
	if [ ! -f "$src/Makefile" ]; then
		echo "build.sh: unpacking $tarball into $src"
		tar -xJf "$tarball" -C "$src" --strip-components=1
	fi
	(
		cd "$src"
		make ARCH=x86_64 tinyconfig >/dev/null
		scripts/kconfig/merge_config.sh -m .config "$here/config-fragment" >/dev/null
		make ARCH=x86_64 olddefconfig >/dev/null
		check_fragment .config
		make ARCH=x86_64 -j"$jobs" bzImage
	)
	rm -rf "$staging"
	mkdir -p "$staging"
	cp "$src/arch/x86/boot/bzImage" "$staging/bzImage"
	cp "$src/System.map" "$staging/System.map"
	cp "$src/.config" "$staging/config"
	mv "$staging" "$kernel_dir"
	[ "${KEEP_TREE:-0}" = 1 ] || rm -rf "$src"
	echo "build.sh: kernel built in $((SECONDS - start)) s" \
	     "($(wc -l < "$kernel_dir/System.map") symbols in System.map)"
}

build_initramfs() {
	local staging=$cache/.initramfs-$initramfs_hash.tmp
	rm -rf "$staging"
	mkdir -p "$staging"
	bash "$here/initramfs.sh" "$staging/initramfs.cpio"
	mv "$staging" "$initramfs_dir"
	echo "build.sh: initramfs built ($(stat -c %s "$initramfs_dir/initramfs.cpio") bytes)"
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$kernel_dir/bzImage" ] && [ -f "$initramfs_dir/initramfs.cpio" ]; then
	echo "build.sh: cached"
	print_paths
	exit 0
fi
install_missing
[ -f "$kernel_dir/bzImage" ] || build_kernel
[ -f "$initramfs_dir/initramfs.cpio" ] || build_initramfs
print_paths
