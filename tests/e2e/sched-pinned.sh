#!/usr/bin/env bash
# tests/e2e/sched-pinned.sh - `pinned` is a scheduler policy (sched/pinned.c,
# Xen's null scheduler as a model): one pCPU per vCPU, no time sharing, run
# by the same loop as every other policy.
#  - two 1-vCPU VMs and a 2-vCPU SMP VM on 4 pCPUs: all finish, no vCPU
#    migrates, a CPU-bound vCPU keeps its pCPU from start to end;
#  - a VM whose vCPUs do not fit the pCPUs left is refused with the reason,
#    the others run;
#  - with sched_check=1 the scheduler checks its invariants after every
#    call (a broken one panics): a credit run of an SMP workload passes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/smp-lib.sh"
vmx_build
vmx_config a 16 "cpuid 2000"
vmx_config b 16 "cpuid 3000"
smp_config ipi 2 "ipitest"
smp_config wide 4 "ipitest"
vmx_boot 4 a b ipi wide -- --cmdline "sched=pinned sched_trace=0" >/dev/null
grep -E '^(VMCONFIG|SCHEDCONFIG|RESULT|VMS|HALT|SCHEDVCPU|SCHEDPCPU) ' "$VMX_LOG"
vmx_expect '^SCHEDCONFIG policy=pinned pcpus=4 ' "policy pinned chosen by name"
vmx_expect '^VMCONFIG file=wide.cfg error="wide.cfg: 4 vCPUs do not fit the 0 pCPUs of Pool-0 left under sched=pinned' "the VM that does not fit is refused with the reason"
vmx_expect '^RESULT vm=a workload=cpuid count=2000 exits_seen=2000 ' "VM a finished"
vmx_expect '^RESULT vm=b workload=cpuid count=3000 exits_seen=3000 ' "VM b finished"
vmx_expect '^RESULT vm=ipi workload=ipitest vcpus=2 .* errors=0 ' "the SMP VM passed its IPI test"
vmx_equal "$(grep '^SCHEDVCPU ' "$VMX_LOG" | grep -vc ' migrations=0 ')" 0 "no vCPU migrated"
# Ticks still wake a pinned pCPU, but it keeps its vCPU: a CPU-bound vCPU
# is given its pCPU once.
vmx_equal "$(vmx_field '^SCHEDVCPU vm=a vcpu=0 ' slices)" 1 "VM a never lost its pCPU"
vmx_equal "$(vmx_field '^SCHEDVCPU vm=b vcpu=0 ' slices)" 1 "VM b never lost its pCPU"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"

smp_config lock4 4 "lock 2000"
vmx_boot 2 lock4 -- --cmdline "sched=credit sched_check=1 sched_trace=0" >/dev/null
grep -E '^(RESULT|HALT|PANIC) ' "$VMX_LOG"
vmx_expect '^RESULT vm=lock4 workload=lock vcpus=4 .* consistent=1' "credit with invariant checks: the workload ran"
vmx_expect '^HALT reason=done' "no invariant broke (HALT reason=done)"
vmx_finish
