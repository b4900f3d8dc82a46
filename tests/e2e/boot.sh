#!/usr/bin/env bash
# tests/e2e/boot.sh - the foundation boots: Bochs with 1, 2, 4 and 12 CPUs
# (all online, VMX features reported), determinism of TSC values across two
# identical runs, QEMU (no VMX) by UEFI and by Multiboot2, a deliberate
# fault on an AP, and a malformed command line.
set -u
. "$(dirname "$0")/lib.sh"

for cpus in 1 2 4 12; do
	name=bochs-$cpus
	start=$(date +%s.%N)
	e2e_boot "$name" --emulator bochs --cpus "$cpus" --timeout 120
	wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	expect_status "$name" 0
	expect_value "$name" BOOT cpus_online "$cpus"
	expect_value "$name" BOOT vmx yes
	expect_value "$name" BOOT ept yes
	expect_value "$name" BOOT vpid yes
	expect_value "$name" BOOT ug yes
	expect_value "$name" BOOT ple yes
	expect_value "$name" BOOT preempt_timer yes
	expect_line "$name" "^VMX cpu=$((cpus - 1)) vmx=yes"
	expect_line "$name" '^HALT reason=done'
	echo "BENCH boot cpus=$cpus wall_s=$wall boot_ticks=$(line_value "$name" BOOT boot_ticks) tsc=$(line_value "$name" BOOT tsc)"
done

# Determinism: the same image and configuration give the same TSC values.
e2e_boot determinism-a --emulator bochs --cpus 4 --timeout 120
e2e_boot determinism-b --emulator bochs --cpus 4 --timeout 120
a=$(line_value determinism-a BOOT tsc); b=$(line_value determinism-b BOOT tsc)
if [ -n "$a" ] && [ "$a" = "$b" ]; then check_pass "determinism: BOOT tsc=$a in both runs"
else check_fail "determinism: BOOT tsc=$a vs $b" determinism-b; fi
a=$(line_value determinism-a HALT tsc); b=$(line_value determinism-b HALT tsc)
if [ -n "$a" ] && [ "$a" = "$b" ]; then check_pass "determinism: HALT tsc=$a in both runs"
else check_fail "determinism: HALT tsc=$a vs $b" determinism-b; fi

# QEMU under TCG has no VMX: the hypervisor says so and powers off with the
# distinct status (isa-debug-exit: (0x10 + 1) * 2 + 1 = 35).
for path in uefi multiboot2; do
	name=qemu-$path
	args=(--emulator qemu --cpus 2 --timeout 60)
	[ "$path" = uefi ] && args+=(--efi)
	e2e_boot "$name" "${args[@]}"
	expect_status "$name" 3
	expect_value "$name" BOOT path "$path"
	expect_value "$name" BOOT cpus_online 2
	expect_value "$name" BOOT vmx no
	expect_line "$name" '^NOVMX cpu=0 reason=".*no VT-x'
	expect_line "$name" '^HALT reason=no-vmx'
	expect_line "$name" '^RUN .*emulator_status=35 '
done

# A deliberate page fault on CPU 1: the dump names the CPU and the vector,
# and the run ends cleanly (powered off, HALT line last).
e2e_boot fault-ap --emulator bochs --cpus 4 --cmdline "fault=ap" --timeout 60
expect_status fault-ap 1
expect_line fault-ap '^EXCEPTION cpu=1 vector=14 name="#PF page fault" error=0x2 .*cr2=0x8$'
expect_line fault-ap '^  cpu 1: rip=[0-9a-f]{16} cs=0008'
expect_line fault-ap '^PANIC cpu=1 reason=exception'
expect_line fault-ap '^HALT reason=exception'

# Bad input: a malformed command line is refused with the column and reason.
e2e_boot bad-cmdline --emulator bochs --cpus 1 --cmdline 'log=debug fault=ap fault=1' --timeout 60
expect_status bad-cmdline 1
expect_line bad-cmdline 'PANIC cpu=0 reason=bad-cmdline message="command line: column 20: duplicate key "fault""'
expect_line bad-cmdline '^HALT reason=bad-cmdline'

e2e_summary
