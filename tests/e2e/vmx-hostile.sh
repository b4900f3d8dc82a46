#!/usr/bin/env bash
# tests/e2e/vmx-hostile.sh - each hostile testos mode runs next to a
# well-behaved VM on a 2-CPU Bochs machine. The hostile VM must be stopped
# (or, for the unknown MSR, get a #GP and power off with a failure status)
# with a log line naming it and the cause; the other VM must finish; the
# hypervisor must halt cleanly. Modes: write, msr, vmx, triple, flood
# (default all; give modes as arguments to run a subset), and entry: a
# VM whose guest state the hypervisor corrupts (vmx_corrupt_guest=) must
# fail its VM entry with a VMCS dump and be stopped.
source "$(dirname "$0")/lib.sh"
vmx_build
modes=("$@"); [ ${#modes[@]} -gt 0 ] || modes=(write msr vmx triple flood entry)
vmx_config good 16 "cpuid 300"
for mode in "${modes[@]}"; do
	echo "== hostile-$mode"
	vmx_config evil 16 "hostile-$mode"
	extra_cmdline=""
	case "$mode" in
	write)  cause='VMSTOP name=evil cause="ept-violation: write to guest-physical 0x1200000' ;;
	msr)    cause='warning: VM evil: read of unknown MSR 0x4b564d99 .*#GP injected' ;;
	vmx)    cause='VMSTOP name=evil cause="vmx-instruction .*vmxon exit' ;;
	triple) cause='VMSTOP name=evil cause="triple-fault' ;;
	flood)  cause='VMSTOP name=evil cause="exit-flood: ' ;;
	entry)  cause='VMSTOP name=evil cause="entry-failure: invalid_guest_state \(reason 33\)'
	        vmx_config evil 16 "cpuid 10"; extra_cmdline=" vmx_corrupt_guest=evil" ;;
	*) echo "unknown mode $mode"; exit 1 ;;
	esac
	vmx_boot 2 evil good -- --cmdline "vm_exit_rate=50$extra_cmdline" | grep -E '^(VM|VMSTOP|RESULT|HALT) |warning|why='
	vmx_expect "$cause" "hostile-$mode: hostile VM named with its cause"
	if [ "$mode" = msr ]; then
		vmx_expect '^RESULT vm=evil mode=hostile-msr exception=13 ' "hostile-msr: guest saw #GP"
		vmx_expect '^VM name=evil state=done status=3 .*msr_unknown=1 ' "hostile-msr: VM ended with failure status, #GP counted"
	else
		vmx_expect '^VM name=evil state=stopped ' "hostile-$mode: hostile VM stopped"
	fi
	[ "$mode" = entry ] && vmx_expect '^VMCS vm=evil vcpu=0 cpu=[0-9]+ why="VM-entry failure" exit_reason=0x80000021 ' "entry: VMCS dump explains the failure"
	[ "$mode" = entry ] && vmx_expect '^VMCS vm=evil guest cs selector=0x8 base=0x0 limit=0xffffffff access=0x1234' "entry: dump shows the bad CS"
	vmx_expect '^VM name=good state=done status=0 ' "hostile-$mode: the other VM finished"
	vmx_expect '^RESULT vm=good workload=cpuid count=300 exits_seen=300 ' "hostile-$mode: the other VM's result"
	vmx_expect '^HALT reason=done' "hostile-$mode: hypervisor halted cleanly"
	cp "$VMX_LOG" "$VMX_WORK/hostile-$mode.log"
done
vmx_finish
