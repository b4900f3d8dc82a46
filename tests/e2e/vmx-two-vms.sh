#!/usr/bin/env bash
# tests/e2e/vmx-two-vms.sh - two testos VMs scheduled by the credit
# scheduler (the default) on the two pCPUs of a 2-CPU Bochs machine run side
# by side and both finish with their results;
# a third, malformed configuration is rejected with FILE:LINE: reason and
# does not keep the others from running. Then run_until=: a 60-s hog
# beside a short VM ends when the short VM (the one named) ends.
source "$(dirname "$0")/lib.sh"
vmx_build
vmx_config a 32 "cpuid 1000"
vmx_config b 16 "cpuid 500"
printf 'name = "bad"\nkernel = "testos.elf"\nmemory = lots\n' > "$VMX_WORK/bad.cfg"
vmx_boot 2 a b bad | grep -E '^(VM|VMCONFIG|RESULT|HALT|VMS|SCHEDCONFIG|SCHEDVM) '
vmx_expect '^VMCONFIG file=bad.cfg error="bad.cfg:3: expected a number for key memory"' "bad configuration rejected with file:line: reason"
vmx_expect '^SCHEDCONFIG policy=credit pcpus=2 ' "the credit scheduler runs the VMs on both pCPUs"
vmx_expect '^SCHEDVM vm=a weight=256 vcpus=1 run_us=[1-9]' "VM a received CPU time"
vmx_expect '^SCHEDVM vm=b weight=256 vcpus=1 run_us=[1-9]' "VM b received CPU time"
vmx_expect '^RESULT vm=a workload=cpuid count=1000 exits_seen=1000 ' "VM a result"
vmx_expect '^RESULT vm=b workload=cpuid count=500 exits_seen=500 ' "VM b result"
vmx_expect '^VM name=a state=done status=0 ' "VM a finished"
vmx_expect '^VM name=b state=done status=0 ' "VM b finished"
vmx_expect '^VMS configured=3 rejected=1 done=2 failed=1' "summary: 2 done, 1 rejected"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
for vm in a b; do
	vmx_equal "$(vmx_field "^VM name=$vm " exit_cpuid)" "$(vmx_field "^RESULT vm=$vm " cpuid_executed)" \
		"VM $vm: CPUID exits == CPUID instructions"
done
vmx_config hog 16 "hog 60000ms"
vmx_boot 2 a hog -- --cmdline "run_until=a,nosuch" | grep -E '^(VM|VMSTOP|VMFINISH|HALT|VMS) '
vmx_expect '^VM name=a state=done status=0 ' "run_until: the named VM finished"
vmx_expect '^VMFINISH name=hog cause="run-until: VM a ended" grace_ms=500' "run_until: the hog was asked to finish when VM a ended"
vmx_expect '^RESULT vm=hog workload=hog .*consistent=1' "run_until: the hog reported its partial work"
vmx_expect '^VM name=hog state=done status=0 cause="power-off"' "run_until: the hog powered off by itself"
vmx_expect 'run_until=: no VM named "nosuch" runs' "run_until: an unknown name is a warning"
vmx_expect '^VMS configured=2 rejected=0 done=2 failed=0' "run_until: both VMs done"
vmx_expect '^HALT reason=done' "run_until: the run ended cleanly, long before the hog's 60 s"
vmx_finish
