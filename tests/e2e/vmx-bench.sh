#!/usr/bin/env bash
# tests/e2e/vmx-bench.sh - the vmexit microbenchmark: testos "bench" mode
# measures a CPUID exit, a hypercall (VMCALL), a port-I/O exit and a PLE
# exit in TSC ticks (Bochs, sync=none: one tick per emulated instruction,
# so the figures are deterministic) and reports "RESULT bench=vmexit ...".
source "$(dirname "$0")/lib.sh"
vmx_build
vmx_config bench 16 "bench"
vmx_boot 1 bench | grep -E '^(RESULT|VM|HALT) '
vmx_expect '^RESULT vm=bench bench=vmexit rounds=[0-9]+ cpuid=[1-9][0-9]* hypercall=[1-9][0-9]* io=[1-9][0-9]* ple=[1-9][0-9]* ple_exits=[1-9]' "vmexit benchmark result"
vmx_expect '^VM name=bench state=done status=0 .*exit_pause=[1-9]' "PLE exits counted"
vmx_finish
