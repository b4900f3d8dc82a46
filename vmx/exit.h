/*
 * vmx/exit.h - VM-exit dispatch.
 *
 * vmx_exit_dispatch() reads the exit reason of the current VMCS, counts it
 * (per vCPU, by basic reason) and calls the handler of vmx_exit_table[].
 * A reason outside the table, without a handler, or with the
 * entry-failure bit set dumps the VMCS and stops the VM: an unexpected
 * exit never crashes the hypervisor and never silently resumes.
 *
 * Lock order: handlers may take vm->lock (vm_stop, console) -> log_lock.
 */
#ifndef VMX_EXIT_H
#define VMX_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vm.h"

enum vmx_exit_action {
	VMX_EXIT_ACTION_RESUME, /* re-enter at the same RIP */
	VMX_EXIT_ACTION_NEXT,   /* skip the exiting instruction, re-enter */
	VMX_EXIT_ACTION_STOP,   /* the VM was stopped (vm_stop) */
};

typedef enum vmx_exit_action (*vmx_exit_handler_fn)(struct vcpu *vcpu, uint64_t qualification);

struct vmx_exit_entry {
	const char *name;            /* short name, used in counters and logs */
	vmx_exit_handler_fn handler; /* NULL: stops the VM (below) */
	const char *stop_cause;      /* with no handler: the VM's stop cause, or
	                              * NULL: an unexpected exit (VMCS dumped) */
};

extern const struct vmx_exit_entry vmx_exit_table[VMX_EXIT_REASON_COUNT];

/* The name of a basic exit reason ("reason-N" if unnamed). */
const char *vmx_exit_name(uint32_t reason);
void vmx_exit_dispatch(struct vcpu *vcpu);
/* Before each entry: inject pending virtual interrupts, open windows.
 * False if the vCPU took an INIT and waits for STARTUP (do not enter). */
bool vmx_exit_prepare_entry(struct vcpu *vcpu);

/* Device and hypercall handlers (vmx/vuart.c, vmx/hypercall.c). */
/* Register the UART's ports (vmx/io.h); 0 or -1 (no room). */
int vuart_register(struct vm *vm);
/* Print a partial line the guest left in its UART (at VM stop). */
void vuart_flush_all(struct vm *vm);
enum vmx_exit_action hypercall_handle(struct vcpu *vcpu);

#endif /* VMX_EXIT_H */
