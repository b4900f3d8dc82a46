#!/usr/bin/env bash
# tests/e2e/vmx-move.sh - the VMCS discipline lets a vCPU move between
# pCPUs: with vmx_move_vcpu=a, VM a's vCPU is VMCLEARed on cpu 0 after 100
# exits and continues on cpu 1 (VMPTRLD, new host state, INVVPID/INVEPT,
# VMLAUNCH); the guest does not notice and finishes with exact counters.
source "$(dirname "$0")/vmx-lib.sh"
vmx_build
vmx_config a 32 "cpuid 1000"
vmx_boot 2 a -- --cmdline "sched=pinned vmx_move_vcpu=a" | grep -E '^(VM|RESULT|HALT) |moves|continues'
vmx_expect 'VM a: vCPU 0 moves from cpu 0 to cpu 1 \(VMCLEAR done here\)' "vCPU left cpu 0"
vmx_expect '\[cpu1\] info: VM a: vCPU 0 continues on cpu 1 \(VMPTRLD, VMLAUNCH\)' "vCPU continued on cpu 1"
vmx_expect '^RESULT vm=a workload=cpuid count=1000 exits_seen=1000 ' "guest result after the move"
vmx_expect '^VM name=a state=done status=0 .* cpu=1 ' "VM finished on cpu 1"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
vmx_equal "$(vmx_field '^VM name=a ' exit_cpuid)" "$(vmx_field '^RESULT vm=a ' cpuid_executed)" \
	"CPUID exits == CPUID instructions across the move"
vmx_finish
