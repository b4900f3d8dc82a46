#!/usr/bin/env bash
# tests/e2e/vmx-basic.sh - one testos VM under uslice in Bochs: it boots,
# reports its RESULT line through the hypercall and its UART, powers off,
# and the hypervisor's CPUID exit counter equals the CPUID instructions the
# guest executed. Exit status 0 = pass, 1 = fail (the failed checks are
# printed).
source "$(dirname "$0")/lib.sh"
vmx_build
vmx_config a 32 "cpuid 1000"
vmx_boot 2 a
vmx_expect '^VMXCONTROLS ' "VMX controls computed from the capability MSRs"
vmx_expect '^\[a\] testos: magic=0x2badb002 .*hypervisor=usliceuslice' "testos booted and found uslice"
vmx_expect '^\[a\] RESULT workload=cpuid count=1000 ' "RESULT line on the VM's UART"
vmx_expect '^RESULT vm=a workload=cpuid count=1000 exits_seen=1000 ' "RESULT line through the hypercall"
vmx_expect '^VM name=a state=done status=0 cause="power-off" ' "VM a powered itself off"
vmx_expect '^VMS configured=1 rejected=0 done=1 failed=0' "summary line"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
executed=$(vmx_field '^RESULT vm=a ' cpuid_executed)
counted=$(vmx_field '^VM name=a ' exit_cpuid)
vmx_equal "$counted" "$executed" "CPUID exits counted == CPUID instructions executed"
vmx_finish
