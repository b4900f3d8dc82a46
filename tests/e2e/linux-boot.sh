#!/usr/bin/env bash
# tests/e2e/linux-boot.sh - an unmodified Linux 6.1 (guests/linux, built
# once from Debian's linux-source-6.1 and cached outside the clone by the
# recipe's hash: about 7 minutes the first time, nothing after) boots under
# uslice in Bochs through the Linux boot protocol:
#  - 1 vCPU alone: reaches /init, keeps the TSC clocksource, finds ttyS0 as
#    a 16550A and PCI type 1, powers off (ACPI S5);
#  - 4 vCPUs beside a 4-vCPU testos hog on 4 pCPUs under credit: all four
#    CPUs come up (nproc), both VMs end cleanly;
#  - the linux-boot scenario (the same pair) under micro-dynamic;
#  - a bzImage whose kernel needs more memory than its VM has is rejected
#    with FILE:LINE while the other VM runs.
source "$(dirname "$0")/smp-lib.sh"
vmx_build
linux_guest
linux_config() { # NAME VCPUS [CMDLINE]
	cat > "$VMX_WORK/$1.cfg" <<CFG
name = "$1"
kernel = "bzImage"
ramdisk = "initramfs.cpio"
symbols = "System.map"
cmdline = "${3:-console=ttyS0,115200 nokaslr}"
memory = 128
vcpus = $2
CFG
}
linux_modules=(--module "$bzimage:bzImage" --module "$initramfs:initramfs.cpio"
               --module "$system_map:System.map")

linux_config linux1 1
vmx_boot 1 linux1 -- --timeout 300 "${linux_modules[@]}" --cmdline "sched_trace=0" >/dev/null
grep -aE '^(LINUXBOOT|VM|HALT) |uslice-linux|clocksource: Switched|ttyS0 at' "$VMX_LOG" | cut -c1-200
vmx_expect '^LINUXBOOT vm=linux1 protocol=2\.15 ' "1 vCPU: the bzImage was loaded by the boot protocol"
vmx_expect '^\[linux1\] .*ttyS0 at I/O 0x3f8 \(irq = 4, base_baud = 115200\) is a 16550A' "1 vCPU: ttyS0 is a 16550A"
vmx_expect '^\[linux1\] .*clocksource: Switched to clocksource tsc' "1 vCPU: the TSC is the clocksource"
vmx_expect '^\[linux1\] uslice-linux: init reached, 1 cpus' "1 vCPU: /init reached"
vmx_expect '^VM name=linux1 state=done status=0 cause="power-off" ' "1 vCPU: powered off through ACPI S5"
vmx_expect '^HALT reason=done' "1 vCPU: hypervisor halted cleanly"

linux_config linux4 4
smp_config hog 4 "hog 2000ms"
vmx_boot 4 linux4 hog -- --timeout 600 "${linux_modules[@]}" --cmdline "sched=credit sched_trace=0" >/dev/null
grep -aE '^(VM|HALT) |uslice-linux|smpboot: Total' "$VMX_LOG" | cut -c1-200
vmx_expect '^\[linux4\] uslice-linux: init reached, 4 cpus' "4 vCPUs beside a hog: all four CPUs up at /init"
vmx_expect '^VM name=linux4 state=done status=0 cause="power-off" ' "4 vCPUs: Linux powered off"
vmx_expect '^VM name=hog state=done status=0 ' "4 vCPUs: the hog beside it finished"
vmx_expect '^HALT reason=done' "4 vCPUs: hypervisor halted cleanly"

"$here/tools/uslice-run" --scenario linux-boot --append sched=micro-dynamic \
	--workdir "$VMX_WORK/scenario" > "$VMX_LOG" 2>&1
vmx_expect '^\[linux\] uslice-linux: init reached, 4 cpus' "scenario linux-boot, micro-dynamic: Linux reached /init on 4 CPUs"
vmx_expect '^VM name=linux state=done status=0 cause="power-off" ' "scenario linux-boot: Linux powered off"
vmx_expect '^VM name=hog state=done status=0 ' "scenario linux-boot: the hog finished"

linux_config bad 1
sed -i 's/^memory = 128/memory = 8/' "$VMX_WORK/bad.cfg"
vmx_config good 16 "cpuid 10"
vmx_boot 1 bad good -- "${linux_modules[@]}" >/dev/null
grep -aE '^VMCONFIG ' "$VMX_LOG"
vmx_expect '^VMCONFIG file=bad\.cfg error="bad\.cfg:2: kernel bzImage: ' "a kernel larger than its VM's memory is rejected with FILE:LINE"
vmx_expect '^RESULT vm=good workload=cpuid count=10 ' "the other VM ran"
vmx_finish
