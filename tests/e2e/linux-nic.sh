#!/usr/bin/env bash
# tests/e2e/linux-nic.sh - a Linux 6.1 guest drives an assigned e1000 with
# its own driver (tools/uslice-run --nic: the e1000 in PCI slot 1 of the
# i440FX, Bochs's vnet back-end inside the emulator):
#  - the VM's RAM above its first 2 MiB is identity-mapped (guest-physical
#    == host-physical; docs/devices.md "DMA"): the e820 has no RAM in
#    [1 MiB, high_base) and the relocatable kernel is loaded at high_base
#    or above;
#  - Linux's e1000 driver binds to the function at virtual 00:03.0, reads
#    the MAC from the EEPROM and brings the link up; the guest's INTx is
#    taken as ISA IRQ 11 level/low (no _PRT) on the vIOAPIC;
#  - the `ping` workload (guests/linux/workloads/ping.c, one echo request a
#    ms over a raw socket) gets every reply from vnet: the device DMAs its
#    descriptors and buffers straight into Linux's pages;
#  - every physical interrupt became a vIRQ and was unmasked again after
#    the guest's EOI;
#  - a second VM runs beside it, untouched.
source "$(dirname "$0")/smp-lib.sh"
vmx_build
linux_guest
cat > "$VMX_WORK/linuxnic.cfg" <<CFG
name = "linuxnic"
kernel = "bzImage"
ramdisk = "initramfs.cpio"
symbols = "System.map"
cmdline = "console=ttyS0,115200 nokaslr uslice.workload=ping uslice.seconds=0.3 uslice.warmup=0.05"
memory = 96
vcpus = 1
cpuid = "host,rdrand=0,rdseed=0"
pci = [ "00:02.0" ]
CFG
vmx_config other 16 "cpuid 20"
vmx_boot 2 linuxnic other -- --nic --timeout 600 --module "$bzimage:bzImage" \
	--module "$initramfs:initramfs.cpio" --module "$system_map:System.map" \
	--cmdline "sched_trace=0" >/dev/null
grep -aE '^(LINUXBOOT|PCIASSIGN|PCIIRQ|VM|HALT) |identity-mapped|e1000|eth0|RESULT' "$VMX_LOG" | cut -c1-220
vmx_expect 'info: VM linuxnic: RAM identity-mapped at 0x[0-9a-f]+-0x[0-9a-f]+ \(guest-physical == host-physical' \
	"the Linux VM's RAM above 2 MiB is identity-mapped"
high=$(grep -aoE 'RAM identity-mapped at 0x[0-9a-f]+' "$VMX_LOG" | head -1 | sed 's/.* //')
load=$(grep -aoE '^LINUXBOOT vm=linuxnic .* load=0x[0-9a-f]+' "$VMX_LOG" | sed 's/.*load=//')
vmx_at_least "$((load))" "$((high))" "the kernel is loaded in the identity-mapped RAM (load=$load, high_base=$high)"
vmx_expect '^PCIASSIGN vm=linuxnic host=00:02\.0 guest=00:03\.0 vendor=0x8086 device=0x100e ' "the e1000 is assigned at virtual 00:03.0"
vmx_expect '^\[linuxnic\] .*e1000 0000:00:03\.0 eth0: \(PCI:33MHz:32-bit\) ([0-9a-f]{2}:){5}[0-9a-f]{2}' \
	"Linux's e1000 driver bound to 00:03.0 and read the MAC"
result='^\[linuxnic\] RESULT workload=ping '
vmx_expect "${result}.*check=pass" "the ping workload passed its self-check"
vmx_equal "$(vmx_field "$result" lost)" 0 "every echo request got its reply"
vmx_at_least "$(vmx_field "$result" received)" 250 "at least 250 replies in 0.3 s (one request a ms)"
irq='^PCIIRQ vm=linuxnic '
physical=$(vmx_field "$irq" physical)
vmx_at_least "$physical" 250 "the replies arrived as physical interrupts"
vmx_equal "$(vmx_field "$irq" virqs)" "$physical" "every physical interrupt became a vIRQ"
vmx_equal "$(vmx_field "$irq" unmasks)" "$physical" "every one was unmasked again after the guest's EOI"
vmx_expect '^VM name=linuxnic state=done status=0 cause="power-off" ' "Linux powered off"
vmx_expect '^RESULT vm=other workload=cpuid count=20 ' "the other VM ran"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
vmx_finish
