#!/usr/bin/env bash
# tests/e2e/smp-timer.sh - the vLAPIC timer of every vCPU fires within one
# tick of its deadline in one-shot, periodic and TSC-deadline mode
# (testos timertest, 5 rounds per mode per vCPU, 2 vCPUs in xAPIC and 4
# in x2APIC mode). One tick = the interval the guest programmed (period=
# on the RESULT line, 200000 TSC ticks = 4 ms at Bochs's 50 MHz): testos
# reports ok=1 only if no interrupt came early and none later than that.
# The test also holds the hypervisor to a much tighter bound, 20000 TSC
# ticks (a tenth of a tick), which docs/smp.md justifies: a host timer
# armed at the exact deadline plus one exit, a wake-up and an injection.
source "$(dirname "$0")/smp-lib.sh"
vmx_build
bound=20000
for spec in "timer2 2 timertest 5" "timer4 4 timertest 5 x2apic"; do
	set -- $spec
	name=$1 vcpus=$2; shift 2
	smp_run 4 "$name" "$vcpus" "$*"
	smp_expect_vm "$name" "$vcpus"
	vmx_expect "^RESULT vm=$name workload=timertest vcpus=$vcpus rounds=5 period=200000 ratio=1 .* early=0 ok=1 ops=$((15 * vcpus)) " \
		"VM $name: $((15 * vcpus)) timer interrupts, none early, none a tick late"
	for key in oneshot_max periodic_max deadline_max p99; do
		smp_field_at_most "$name" "$key" "$bound"
	done
done
vmx_finish
