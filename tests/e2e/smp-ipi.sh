#!/usr/bin/env bash
# tests/e2e/smp-ipi.sh - a 2-vCPU (xAPIC, MMIO through the APIC page) and a
# 4-vCPU (x2APIC, MSRs) testos VM, each alone on a 4-CPU Bochs machine
# under the default scheduler, find their CPUs in the guest ACPI tables, start
# their APs with INIT-SIPI-SIPI and pass testos's ipitest: every vCPU
# receives every IPI sent to it (fixed by physical ID, all-but-self
# broadcast, self, NMI, logical destination), two pending vectors are
# taken highest first with the lower one held in IRR, EOI leaves ISR
# empty, PIT IRQ 0 reaches the BSP through the vIOAPIC, and so does the
# RTC's periodic IRQ 8, once per read of status C.
source "$(dirname "$0")/smp-lib.sh"
vmx_build
ok='fixed=ok broadcast=ok self=ok nmi=ok logical=ok priority=ok eoi=ok ioapic=ok rtc=ok errors=0'
smp_run 4 ipi2 2 "ipitest"
smp_expect_vm ipi2 2
vmx_expect "^RESULT vm=ipi2 workload=ipitest vcpus=2 apic=xapic $ok ops=100 ticks=[0-9]+ p50=[0-9]+ p99=[0-9]+ unit=tsc_ticks" \
	"2 vCPUs, xAPIC: every IPI kind, priority order, EOI, IOAPIC"
vmx_expect '^\[ipi2\] testos: IOAPIC version 0x20, 24 entries; 5 IRQ 0 interrupts, 5 IRQ 8 interrupts' \
	"PIT IRQ 0 and RTC IRQ 8 through the vIOAPIC"
vmx_expect '^VMPLATFORM vm=ipi2 .* rtc_interrupts=5 ' "the RTC raised IRQ 8 five times (held until status C is read)"
smp_run 4 ipi4 4 "ipitest x2apic"
smp_expect_vm ipi4 4
vmx_expect "^RESULT vm=ipi4 workload=ipitest vcpus=4 apic=x2apic $ok ops=100 ticks=[0-9]+ p50=[0-9]+ p99=[0-9]+ unit=tsc_ticks" \
	"4 vCPUs, x2APIC: every IPI kind, priority order, EOI, IOAPIC"
vmx_finish
