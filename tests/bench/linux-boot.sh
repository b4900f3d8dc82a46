#!/usr/bin/env bash
# tests/bench/linux-boot.sh - the cost of booting Linux under uslice: the
# guests/linux kernel and initramfs (4 CPUs, 128 MiB for the guest) booted
# (a) by GRUB straight in Bochs, no hypervisor, and (b) as a 4-vCPU VM
# under uslice on a 4-CPU Bochs machine, alone. Bochs (ips=50 M,
# sync=none) makes both deterministic. Reported per run: the guest's own
# printk time at "Run /init" (virtual seconds since the kernel started),
# the wall seconds from the emulator's start to that line (ISO building
# and the emulator's exit are outside it), the wall seconds of the whole
# run, and for (b) the VM's top exit reasons. Prints BENCH lines and a
# summary; not part of make test.
#
#   tests/bench/linux-boot.sh [WORKDIR]
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/uslice-linux-bench.XXXXXX)}
mkdir -p "$work"
make -C "$here" -s kernel guests || exit 1
eval "$("$here/guests/linux/build.sh" --print)"
[ -f "$bzimage" ] || "$here/guests/linux/build.sh" || exit 1
cmdline="console=ttyS0,115200 nokaslr"

# wall_to_init SERIAL STARTED PID: wait until the emulator writing SERIAL
# (started when file STARTED appeared) prints "Run /init"; print the wall
# seconds in between (0.1 s resolution), or "none" if PID ends first.
wall_to_init() {
	local serial=$1 started=$2 pid=$3 start=""
	while kill -0 "$pid" 2>/dev/null; do
		[ -z "$start" ] && [ -e "$started" ] && start=$(date +%s.%N)
		if [ -n "$start" ] && grep -aq "Run /init" "$serial" 2>/dev/null; then
			awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'
			return
		fi
		sleep 0.1
	done
	echo none
}

# (a) native: GRUB loads the bzImage itself (the Linux boot protocol).
iso=$work/native/iso; mkdir -p "$iso/boot/grub"
cp "$bzimage" "$iso/boot/bzImage"; cp "$initramfs" "$iso/boot/initramfs.cpio"
cat > "$iso/boot/grub/grub.cfg" <<GRUB
set timeout=0
menuentry "linux" { linux /boot/bzImage $cmdline mem=128M
  initrd /boot/initramfs.cpio
  boot }
GRUB
grub-mkrescue -d /usr/lib/grub/i386-pc -o "$work/native/linux.iso" "$iso" >/dev/null 2>&1 || exit 1
cat > "$work/native/bochsrc" <<BOCHSRC
memory: guest=256, host=256
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: count=4, ips=50000000, model=corei7_haswell_4770, reset_on_triple_fault=0
clock: sync=none, time0=946684800
ata0-master: type=cdrom, path=$work/native/linux.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$work/native/serial.log
display_library: term
log: $work/native/bochs.log
panic: action=fatal
BOCHSRC
echo c > "$work/native/bochs.rc"; : > "$work/native/serial.log"
start=$(date +%s.%N)
( cd "$work/native" && TERM=dumb setsid timeout -s INT -k 10 600 bochs -q -f bochsrc -rc bochs.rc \
	</dev/null >bochs.out 2>&1 ) &
bochs_pid=$!
native_to_init=$(wall_to_init "$work/native/serial.log" "$work/native/bochs.out" "$bochs_pid")
while kill -0 "$bochs_pid" 2>/dev/null && ! grep -aq "reboot: Power down" "$work/native/serial.log"; do sleep 1; done
native_wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
kill -INT -- -"$bochs_pid" 2>/dev/null; wait "$bochs_pid" 2>/dev/null
native_init=$(grep -a "Run /init" "$work/native/serial.log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' | head -n1)
native_cpus=$(grep -ao "init reached, [0-9]* cpus" "$work/native/serial.log" | head -n1)

# (b) under uslice: the same files as boot modules of a 4-vCPU VM.
cat > "$work/linux.cfg" <<CFG
name = "linux"
kernel = "bzImage"
ramdisk = "initramfs.cpio"
symbols = "System.map"
cmdline = "$cmdline"
memory = 128
vcpus = 4
CFG
start=$(date +%s.%N)
rm -rf "$work/uslice"
"$here/tools/uslice-run" --cpus 4 --timeout 600 --workdir "$work/uslice" \
	--module "$bzimage:bzImage" --module "$initramfs:initramfs.cpio" \
	--module "$system_map:System.map" --module "$work/linux.cfg:linux.cfg" \
	--cmdline "sched=credit sched_trace=0" > "$work/uslice.log" 2>&1 &
run_pid=$!
until [ -e "$work/uslice/serial.log" ] || ! kill -0 "$run_pid" 2>/dev/null; do sleep 0.05; done
uslice_to_init=$(wall_to_init "$work/uslice/serial.log" "$work/uslice/bochs.out" "$run_pid")
wait "$run_pid"
uslice_wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
uslice_init=$(grep -a "^\[linux\].*Run /init" "$work/uslice.log" | sed -n 's/^\[linux\] \[ *\([0-9.]*\)\].*/\1/p' | head -n1)
uslice_cpus=$(grep -ao "init reached, [0-9]* cpus" "$work/uslice.log" | head -n1)
top=$(grep -a '^VM name=linux ' "$work/uslice.log" | tr ' ' '\n' | sed -n 's/^exit_\([a-z_]*\)=\([0-9]*\)$/\2 \1/p' |
	sort -rn | head -n5 | awk '{ printf "%s%s=%s", (NR > 1 ? "," : ""), $2, $1 }')
echo "BENCH linux-boot run=native cpus=4 init_s=${native_init:-none} wall_to_init_s=$native_to_init wall_s=$native_wall ${native_cpus:+reached=\"$native_cpus\"}"
echo "BENCH linux-boot run=uslice vcpus=4 init_s=${uslice_init:-none} wall_to_init_s=$uslice_to_init wall_s=$uslice_wall ${uslice_cpus:+reached=\"$uslice_cpus\"} top_exits=$top"
awk -v a="$native_init" -v b="$uslice_init" -v wa="$native_wall" -v wb="$uslice_wall" \
	-v ta="$native_to_init" -v tb="$uslice_to_init" 'BEGIN {
	if (a > 0 && b > 0 && ta > 0 && tb > 0)
		printf "BENCH linux-boot init_ratio=%.2f wall_to_init_ratio=%.2f wall_ratio=%.2f\n",
		       b / a, tb / ta, wb / wa }'
