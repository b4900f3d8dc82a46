#!/usr/bin/env bash
# tests/e2e/pci-passthrough.sh - host PCI and device assignment in one
# Bochs boot with an e1000 (tools/uslice-run --nic: PCI slot 1 of the
# i440FX, vnet back-end inside the emulator):
#  - the boot scan prints the e1000's PCI line with its BAR sizes (128 KiB
#    memory, 64 I/O ports) and PCIHOST says there is no IOMMU;
#  - a VM with pci = [ "00:02.0" ] runs testos pciscan: it sees the e1000
#    at virtual slot 00:03.0, sizes BAR0 and BAR1, places BAR0, moves it
#    with decoding on, reads STATUS (link up) and the MAC from the EEPROM
#    through the window;
#  - a second VM naming the same function, one naming the host bridge, one
#    the ISA bridge and one a function that does not exist are rejected
#    with FILE:LINE; a VM without devices still runs;
#  - a VM without the device that reads the e1000's host BAR address is
#    stopped (its EPT does not map it), the others go on.
source "$(dirname "$0")/lib.sh"
vmx_build
started=$(date +%s)
pci_config() { # NAME BDF EXTRA
	vmx_config "$1" 16 "$3"
	echo "pci = [ \"$2\" ]" >> "$VMX_WORK/$1.cfg"
}
pci_config nic 00:02.0 pciscan
pci_config twin 00:02.0 "cpuid 10"
pci_config host 00:00.0 "cpuid 10"
pci_config isa 00:01.0 "cpuid 10"
pci_config ghost 00:1f.0 "cpuid 10"
vmx_config other 16 "cpuid 20"
vmx_config snoop 16 "peek 3072" # 0xc0000000: the e1000's BAR0 under Bochs
vmx_boot 1 nic twin host isa ghost other snoop -- --nic >/dev/null
grep -E '^(PCI|PCIHOST|PCIASSIGN|PCIDEVICE|VMCONFIG|RESULT|VMS|HALT) ' "$VMX_LOG"
vmx_expect '^PCI bdf=00:02\.0 vendor=0x8086 device=0x100e class=0x020000 bars=0:mem32:0x[0-9a-f]+:0x20000,1:io:0x[0-9a-f]+:0x40 irq=[0-9]+ msi=no ' \
	"boot scan: the e1000 with BAR0 128 KiB memory and BAR1 64 I/O ports"
vmx_expect '^PCI bdf=00:00\.0 vendor=0x8086 device=0x1237 class=0x060000 ' "boot scan: the i440FX host bridge"
vmx_expect '^PCI bdf=00:01\.0 vendor=0x8086 device=0x7000 class=0x060100 ' "boot scan: the PIIX3 ISA bridge"
vmx_expect '^PCIHOST mechanism=1 functions=[0-9]+ dropped=0 buses=1 mcfg=no iommu=none$' "PCIHOST: mechanism #1, no IOMMU"
vmx_expect '^PCIASSIGN vm=nic host=00:02\.0 guest=00:03\.0 vendor=0x8086 device=0x100e ' "the e1000 is assigned at virtual 00:03.0"
result='^RESULT vm=nic mode=pciscan '
vmx_expect "${result}functions=2 slot=3 vendor=0x8086 device=0x100e bar0_size=0x20000 bar1_size=0x40 " \
	"the guest sees the host bridge and the e1000 at slot 3 with its BAR sizes"
vmx_equal "$(vmx_field "$result" bar0)" 0x20000000 "the guest placed BAR0"
status=$(vmx_field "$result" status)
if [[ "$status" =~ ^0x[0-9a-f]+$ ]] && (( status & 2 )) && [ "$status" = "$(vmx_field "$result" first)" ]; then
	check_pass "STATUS read through both windows, link up ($status)"
else
	check_fail "STATUS through the BAR window ('$status')"
fi
vmx_equal "$(vmx_field "$result" mac)" 52:54:0:12:34:56 "the MAC read from the EEPROM through the window"
vmx_expect '^PCIDEVICE vm=nic host=00:02\.0 guest=00:03\.0 .* maps=2 unmaps=2 refused=0 ' "a move unmapped the old window; the end unmapped the last"
vmx_expect '^VMCONFIG file=twin\.cfg error="twin\.cfg:7: PCI function 00:02\.0 is already assigned to VM nic"' "the same function twice: rejected with FILE:LINE"
vmx_expect '^VMCONFIG file=host\.cfg error="host\.cfg:7: PCI function 00:00\.0 is used by the hypervisor: device 00:00 is the host bridge"' "the host bridge: rejected with FILE:LINE"
vmx_expect '^VMCONFIG file=isa\.cfg error="isa\.cfg:7: PCI function 00:01\.0 is used by the hypervisor: it is the ISA bridge' "the ISA bridge: rejected with FILE:LINE"
vmx_expect '^VMCONFIG file=ghost\.cfg error="ghost\.cfg:7: PCI function 00:1f\.0 does not exist on this host"' "a function that does not exist: rejected with FILE:LINE"
vmx_expect '^RESULT vm=other workload=cpuid count=20 ' "a VM without devices runs beside it"
vmx_expect '^PCI bdf=00:02\.0 .* bars=0:mem32:0xc0000000:' "the e1000's BAR0 is at 0xc0000000 (the address VM snoop reads)"
vmx_expect '^VMSTOP name=snoop cause="ept-violation: read of guest-physical 0xc0000000' "a VM without the device touching its BAR is stopped"
vmx_expect '^VM name=snoop state=stopped ' "... and only that VM"
vmx_expect '^VMS configured=7 rejected=4 done=2 failed=5' "VMS counts the rejections and the stopped VM"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
echo "BENCH pci-passthrough wall_s=$(( $(date +%s) - started ))"
vmx_finish
