#!/usr/bin/env bash
# tests/e2e/linux-workloads.sh - the paper's kernel services on a live Linux
# 6.1 guest (guests/linux, its workloads in the initramfs): 4 vCPUs beside
# a 4-vCPU testos hog on 4 pCPUs (2:1), short runs (0.3 s of workload):
#  - linux-tlb-hog under micro-static:1: the tlb workload's RESULT self-check
#    passes; PLE yields are classified ipi-wait from the live RIP in
#    Linux's own smp_call_function_many_cond (by name, in YIELDPROFILE);
#    preempted siblings are offloaded; the hog is asked to finish when
#    Linux ends (run_until=linux) and reports its RESULT; the same run twice gives the same RESULT line
#    (determinism under Bochs);
#  - linux-lock-hog under micro-static:1: lock-spin yields, and at least one
#    preempted sibling classified critical from its saved RIP.
source "$(dirname "$0")/lib.sh"
vmx_build
linux_guest
# linux_run NAME WORKLOAD POLICY: the linux-WORKLOAD-hog scenario, 0.3 s.
linux_run() {
	sed 's/^extra = .*/extra = "uslice.workload='"$2"' uslice.seconds=0.3"/' \
		"$here/tests/scenarios/vms/linux-$2.cfg" > "$VMX_WORK/$1.cfg"
	"$here/tools/uslice-run" --scenario "linux-$2-hog" --append "sched=$3" --timeout 900 \
		--module "$VMX_WORK/$1.cfg:linux.cfg" --workdir "$VMX_WORK/$1" > "$VMX_WORK/$1.log" 2>&1
	VMX_LOG=$VMX_WORK/$1.log
	grep -aE '^(\[linux\] RESULT|YIELDPROFILE|PREEMPTPROFILE|PROFILECANDIDATE|SCHED |VM |VMSTOP|HALT)' "$VMX_LOG" | cut -c1-220
}
linux_run tlb tlb micro-static:1
vmx_expect '^\[linux\] RESULT workload=tlb .*check=pass' "tlb: the workload's self-check passes"
vmx_expect '^YIELDPROFILE vm=linux .*fn=smp_call_function_many_cond category=ipi-wait yields=[1-9]' \
	"tlb: PLE yields in Linux's smp_call_function_many_cond, classified ipi-wait"
vmx_at_least "$(vmx_field '^SCHED ' ple_ipi_wait)" 1 "tlb: ipi-wait yields"
vmx_at_least "$(vmx_field '^SCHED ' offloads)" 1 "tlb: preempted siblings offloaded"
vmx_expect '^VM name=linux state=done status=0 cause="power-off"' "tlb: the Linux VM powered off"
vmx_expect '^VMFINISH name=hog cause="run-until: VM linux ended"' "tlb: the hog was asked to finish when the Linux VM ended"
vmx_expect '^RESULT vm=hog workload=hog .*consistent=1' "tlb: the hog reported what it did before it powered off"
vmx_expect '^VM name=hog state=done status=0 cause="power-off"' "tlb: the hog finished within its grace period"
vmx_expect '^HALT reason=done' "tlb: the hypervisor halted cleanly"
first=$(grep -a '^\[linux\] RESULT ' "$VMX_LOG")
linux_run tlb-again tlb micro-static:1 >/dev/null
vmx_equal "$(grep -a '^\[linux\] RESULT ' "$VMX_LOG")" "$first" "tlb: two identical runs give the same RESULT"

linux_run lock lock micro-static:1
vmx_expect '^\[linux\] RESULT workload=lock .*check=pass' "lock: the workload's self-check passes"
vmx_at_least "$(vmx_field '^SCHED ' ple_lock_spin)" 1 "lock: lock-spin yields"
vmx_expect '^YIELDPROFILE vm=linux .*category=critical .*siblings=[1-9]' \
	"lock: a preempted sibling classified critical from its saved RIP"
vmx_expect '^VM name=linux state=done status=0 cause="power-off"' "lock: the Linux VM powered off"
vmx_finish
