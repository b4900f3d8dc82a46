#!/usr/bin/env bash
# tests/e2e/vmx-refused.sh - a configuration the hypervisor cannot run is
# refused honestly: the reason as a VMXREFUSED or SCHEDREFUSED line, no VM
# started, `HALT reason=refused`, and tools/uslice-run exits 3 (README).
# Cases: an unknown policy (sched=bogus), a malformed scheduler parameter,
# a malformed VMX option, a console dump period below the minimum. An
# option nobody reads (a typo such as shed=credit) stops the boot as a bad
# command line (HALT reason=bad-cmdline, exit 1) naming the option.
source "$(dirname "$0")/lib.sh"
vmx_build
vmx_config a 16 "cpuid 10"
cases=("sched=bogus|3|refused|^SCHEDREFUSED reason=\"unknown scheduler policy 'bogus'"
       "sched_slice_us=abc|3|refused|^SCHEDREFUSED reason=\".*sched_slice_us"
       "ple_gap=foo|3|refused|^VMXREFUSED reason=\".*ple_gap"
       "console_dump_ms=1|3|refused|^SCHEDREFUSED reason=\"console: console_dump_ms=1 is below the minimum of 10 ms"
       "shed=credit|1|bad-cmdline|^PANIC cpu=0 reason=bad-cmdline message=\"command line: unknown option .shed.")
for entry in "${cases[@]}"; do
	IFS='|' read -r option want reason line <<<"$entry"
	echo "== $option"
	vmx_boot 1 a -- --cmdline "$option" >/dev/null # not in a pipe: it sets $VMX_STATUS
	grep -E '^(VM|VMS|SCHEDREFUSED|VMXREFUSED|PANIC|HALT) ' "$VMX_LOG"
	vmx_equal "$VMX_STATUS" "$want" "$option: uslice-run exits $want"
	vmx_expect "$line" "$option: the refusal names its reason"
	vmx_expect "^HALT reason=$reason( |$)" "$option: HALT reason=$reason"
	if grep -q '^RESULT vm=a ' "$VMX_LOG"; then check_fail "$option: the VM ran"; else check_pass "$option: no VM ran"; fi
done
vmx_finish
