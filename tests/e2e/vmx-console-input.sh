#!/usr/bin/env bash
# tests/e2e/vmx-console-input.sh - bytes typed from the hypervisor side
# reach a guest's 16550: the console's `xl type VM TEXT` (here from
# console_script= every 100 ms) puts TEXT and a newline into VM a's UART
# receive FIFO; testos `echo` polls LSR.DR, reads the line from RBR and
# reports it. A VM name that does not exist is an XL error line.
source "$(dirname "$0")/lib.sh"
vmx_build
vmx_config a 16 "echo 500"
vmx_boot 1 a -- --cmdline 'console_dump_ms=100 console_script="xl type a hello uslice; xl type nosuch x" sched_trace=0' >/dev/null
grep -aE '^(RESULT|VM|HALT) |^XL (type|error)' "$VMX_LOG" | head -6
vmx_expect '^XL type vm=a bytes=13 taken=13' "xl type put the 13 bytes into the receive FIFO"
vmx_expect "^XL error command=\"xl type nosuch x\" reason=\"no VM named 'nosuch'\"" "an unknown VM is an error line"
vmx_expect '^RESULT vm=a workload=echo complete=1 bytes=12 line="hello uslice"' "the guest read the typed line from its UART"
vmx_expect '^VM name=a state=done status=0 ' "the VM finished"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
vmx_finish
