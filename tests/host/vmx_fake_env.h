/*
 * tests/host/vmx_fake_env.h - what the host tests of vmx/io.c, vmx/msr.c,
 * vmx/cpuid.c and vmx/unknown.c link against instead of the kernel:
 * log_record/log_message captured into a buffer, vm_stop recorded,
 * vmx_inject_gp counted, vcpu_interrupt_msr_* with a scripted result, the
 * guest TSC (host TSC + vcpu->interrupt.tsc_offset) and vmx_controls. Nothing here executes a VMX
 * instruction.
 *
 * Lock order: none (single-threaded host code).
 */
#ifndef TESTS_HOST_VMX_FAKE_ENV_H
#define TESTS_HOST_VMX_FAKE_ENV_H

#include <stdint.h>

#include "vmx/vm.h"

#define FAKE_LOG_SIZE 4096

extern char fake_log[FAKE_LOG_SIZE]; /* every log line, '\n'-separated */
extern unsigned fake_stops;          /* vm_stop calls */
extern unsigned fake_gp_injected;    /* vmx_inject_gp calls */
extern int fake_vlapic_result;       /* vcpu_interrupt_msr_*: 0, 1 or -1 */
extern uint64_t fake_vlapic_value;   /* ... the value a read returns */

/* Empty log and counters; a zeroed VM named `name` with one vCPU. */
void fake_reset(struct vm *vm, struct vcpu *vcpu, const char *name);

#endif /* TESTS_HOST_VMX_FAKE_ENV_H */
