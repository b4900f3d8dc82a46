#!/usr/bin/env bash
# guests/linux/probe.sh - the Linux boot protocol end to end, without a
# kernel build: a synthetic bzImage (protocol 2.15, not relocatable,
# pref_address 16 MiB, init_size 8 MiB) around guests/linux/probe64.S, an
# initrd and a command line boot under uslice in Bochs beside a testos VM;
# a second bzImage with protocol 2.11 is refused with FILE:LINE while the
# others run. Exit status 0 = every check passed.
#
#   guests/linux/probe.sh [WORKDIR]
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/uslice-probe.XXXXXX)}
mkdir -p "$work"
make -C "$here" -s kernel guests || exit 1
gcc -c "$here/guests/linux/probe64.S" -o "$work/probe64.o" &&
	objcopy -O binary -j .text "$work/probe64.o" "$work/probe64.bin" || exit 1

# bzimage(version): 2 setup sectors, 4 KiB of kernel with the probe at its
# 64-bit entry (offset 0x200); the header offsets are vmx/bzimage.h's.
python3 - "$work/probe64.bin" "$work" <<'PY' || exit 1
import struct, sys
code = open(sys.argv[1], 'rb').read()
def bzimage(version):
    setup_sects, kernel = 2, 0x1000
    b = bytearray((setup_sects + 1) * 512 + kernel)
    b[0x1f1] = setup_sects
    struct.pack_into('<I', b, 0x1f4, kernel // 16)         # syssize
    struct.pack_into('<H', b, 0x1fe, 0xaa55)               # boot_flag
    b[0x200:0x202] = bytes([0xeb, 0x6a])                   # jump: header ends at 0x26c
    b[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', b, 0x206, version)
    b[0x211] = 0x01                                        # LOADED_HIGH
    struct.pack_into('<I', b, 0x22c, 0x7fffffff)           # initrd_addr_max
    struct.pack_into('<I', b, 0x230, 0x200000)             # kernel_alignment
    struct.pack_into('<H', b, 0x236, 0x0001)               # XLF_KERNEL_64
    struct.pack_into('<I', b, 0x238, 2047)                 # cmdline_size
    struct.pack_into('<Q', b, 0x258, 0x1000000)            # pref_address
    struct.pack_into('<I', b, 0x260, 0x800000)             # init_size
    entry = (setup_sects + 1) * 512 + 0x200
    b[entry:entry + len(code)] = code
    return bytes(b)
work = sys.argv[2]
open(work + '/probe.bz', 'wb').write(bzimage(0x020f))
open(work + '/old.bz', 'wb').write(bzimage(0x020b))
open(work + '/initrd', 'wb').write(b'R' * 5000)
PY
cat > "$work/probe.cfg" <<CFG
name = "probe"
kernel = "probe.bz"
ramdisk = "initrd"
cmdline = "probe console=ttyS0"
extra = "nokaslr"
memory = 32
CFG
cat > "$work/old.cfg" <<CFG
name = "old"
memory = 32
kernel = "old.bz"
CFG
cat > "$work/testos.cfg" <<CFG
name = "testos"
kernel = "testos.elf"
extra = "cpuid 10"
CFG
"$here/tools/uslice-run" --cpus 2 --timeout 120 --workdir "$work/run" \
	--module "$here/build/guests/testos/testos.elf:testos.elf" \
	--module "$work/probe.bz:probe.bz" --module "$work/old.bz:old.bz" \
	--module "$work/initrd:initrd" --module "$work/probe.cfg:probe.cfg" \
	--module "$work/old.cfg:old.cfg" --module "$work/testos.cfg:testos.cfg" \
	> "$work/run.log" 2>&1
failed=0
expect() {
	if grep -Eq -- "$1" "$work/run.log"; then echo "ok   $2"; else echo "FAIL $2 (no /$1/)"; failed=1; fi
}
expect '^LINUXBOOT vm=probe protocol=2\.15 kernel_bytes=4096 initrd_bytes=5000 cmdline_bytes=27 load=0x1000000 initrd=0x1ffe000 zero_page=0x7000 e820=4$' "LINUXBOOT line"
expect '^\[probe\] probe64: long mode, zero page, initrd and command line OK' "the 64-bit entry state is what the protocol promises"
expect '^VM name=probe state=done status=0 cause="power-off" ' "the probe powered off"
expect '^VMCONFIG file=old\.cfg error="old\.cfg:3: kernel old\.bz: boot protocol 2\.11 is too old: 2\.12 or later is needed"' "old protocol refused with FILE:LINE"
expect '^VM name=testos state=done status=0 cause="power-off" ' "the testos VM beside it ran"
expect '^VMS configured=3 rejected=1 done=2 failed=1' "VMS line"
[ "$failed" -eq 0 ] && { echo "probe: PASS"; rm -rf "$work"; exit 0; }
echo "probe: FAIL (log: $work/run.log)"; exit 1
