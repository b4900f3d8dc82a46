#!/usr/bin/env bash
# tests/e2e/vmx-move.sh - the VMCS discipline lets the scheduler move a vCPU
# between pCPUs: three 1-vCPU VMs on a 2-CPU Bochs machine under credit
# with a short slice, so that vCPUs are preempted and picked up again by
# the other pCPU (VMCLEAR on the old pCPU, VMPTRLD, new host state,
# INVVPID, VMLAUNCH). At least one vCPU migrates; the guests do not notice
# and finish with exact counters (every CPUID exits once, across moves).
source "$(dirname "$0")/lib.sh"
vmx_build
for name in a b c; do vmx_config "$name" 16 "cpuid 20000"; done
vmx_boot 2 a b c -- --cmdline "sched=credit sched_slice_us=1000 sched_trace=0" |
	grep -E '^(VM|RESULT|HALT|SCHEDVCPU) '
migrations=0
for name in a b c; do
	vmx_expect "^RESULT vm=$name workload=cpuid count=20000 exits_seen=20000 " "VM $name: guest result"
	vmx_expect "^VM name=$name state=done status=0 " "VM $name finished"
	vmx_equal "$(vmx_field "^VM name=$name " exit_cpuid)" "$(vmx_field "^RESULT vm=$name " cpuid_executed)" \
		"VM $name: CPUID exits == CPUID instructions across moves"
	migrations=$((migrations + $(vmx_field "^SCHEDVCPU vm=$name vcpu=0 " migrations)))
done
vmx_at_least "$migrations" 1 "the scheduler migrated vCPUs between pCPUs"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
vmx_finish
