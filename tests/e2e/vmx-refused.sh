#!/usr/bin/env bash
# tests/e2e/vmx-refused.sh - a configuration the hypervisor cannot run is
# refused honestly: the reason as a VMXREFUSED or SCHEDREFUSED line, no VM
# started, `HALT reason=refused`, and tools/uslice-run exits 3 (README).
# Cases: an unknown policy (sched=bogus), a malformed scheduler parameter,
# a malformed VMX option.
source "$(dirname "$0")/lib.sh"
vmx_build
vmx_config a 16 "cpuid 10"
cases=("sched=bogus|^SCHEDREFUSED reason=\"unknown scheduler policy 'bogus'"
       "sched_slice_us=abc|^SCHEDREFUSED reason=\".*sched_slice_us"
       "ple_gap=foo|^VMXREFUSED reason=\".*ple_gap")
for entry in "${cases[@]}"; do
	option=${entry%%|*} line=${entry#*|}
	echo "== $option"
	vmx_boot 1 a -- --cmdline "$option" >/dev/null # not in a pipe: it sets $VMX_STATUS
	grep -E '^(VM|VMS|SCHEDREFUSED|VMXREFUSED|HALT) ' "$VMX_LOG"
	vmx_equal "$VMX_STATUS" 3 "$option: uslice-run exits 3"
	vmx_expect "$line" "$option: the refusal names its reason"
	vmx_expect '^HALT reason=refused ' "$option: HALT reason=refused"
	if grep -q '^RESULT vm=a ' "$VMX_LOG"; then check_fail "$option: the VM ran"; else check_pass "$option: no VM ran"; fi
done
vmx_finish
