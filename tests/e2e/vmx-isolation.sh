#!/usr/bin/env bash
# tests/e2e/vmx-isolation.sh - no register state of one vCPU is visible to
# another: two 1-vCPU VMs share one pCPU under credit with a 1 ms slice,
# each keeping its own pattern in XMM0-15, MXCSR, the x87 control word,
# DR0-3 and DR6 across many switches (testos `isolation`). Both start
# from the reset values, neither ever sees a foreign value.
source "$(dirname "$0")/lib.sh"
vmx_build
vmx_config one 16 "isolation 30"
vmx_config two 16 "isolation 30"
vmx_boot 1 one two -- --cmdline "sched=credit sched_slice_us=1000 sched_trace=0" |
	grep -E '^(VM|RESULT|HALT|SCHEDVCPU) '
for name in one two; do
	vmx_expect "^RESULT vm=$name workload=isolation rounds=30 xmm_mismatch=0 mxcsr_mismatch=0 fpu_mismatch=0 dr_mismatch=0 .* initial_dirty=0 " \
		"VM $name: its XMM, MXCSR, x87 and debug registers stayed its own, from reset values"
	vmx_expect "^VM name=$name state=done status=0 " "VM $name finished"
	vmx_at_least "$(vmx_field "^SCHEDVCPU vm=$name vcpu=0 " slices)" 10 "VM $name was switched in and out"
done
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
vmx_finish
