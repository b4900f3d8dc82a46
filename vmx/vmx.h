/*
 * vmx/vmx.h - the VMX core: VMX operation per pCPU, VMCS set-up from the
 * capability MSRs, loading/clearing a vCPU's VMCS, and the run loop.
 *
 * vmx_cpu_enable() enters VMX operation on the calling pCPU (VMXON region,
 * CR0/CR4 fixed bits). vmx_controls_compute() turns the controls uslice
 * wants into values the CPU accepts, honouring the allowed-0 and allowed-1
 * halves of the (TRUE) control MSRs, and refuses with a message naming the
 * missing control. vmx_vcpu_create() builds a VMCS for a vCPU at the
 * Multiboot entry state. vmx_vcpu_run_slice() enters the guest for one
 * slice of the scheduler (vmx/schedule.c), dispatching every exit through
 * vmx/exit.c.
 *
 * Lock order: none here; see vm.h.
 */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/capability.h"
#include "vmx/vm.h"

struct vmx_settings {
	uint32_t ple_gap;    /* TSC ticks between two PAUSEs of one loop */
	uint32_t ple_window; /* TSC ticks of a PAUSE loop before an exit */
	/* Test hook: this VM's first entry gets an invalid guest CS, to
	 * exercise the entry-failure path (command line vmx_corrupt_guest=). */
	char corrupt_guest[32];
};

struct vmx_controls {
	uint32_t pin, processor, secondary, exit, entry;
};

extern struct vmx_settings vmx_settings;
extern struct vmx_controls vmx_controls;
extern struct vmx_capability vmx_capability;

/* Compute vmx_controls from `capability`; -1 with the reason in `error`. */
int vmx_controls_compute(const struct vmx_capability *capability, char *error, size_t size);
/* VMXON on this pCPU; -1 with the reason in `error`. */
int vmx_cpu_enable(char *error, size_t size);

/* Allocate and fill the VMCS of `vcpu`: a Multiboot guest starts at
 * `entry` with the registers eax/ebx; when vcpu->entry is a Linux 64-bit
 * state (vmx/entry.h) it starts in that and the arguments are unused.
 * Must run on a pCPU in VMX operation. */
int vmx_vcpu_create(struct vcpu *vcpu, uint32_t entry, uint32_t eax, uint32_t ebx, char *error,
                    size_t size);
void vmx_vcpu_load(struct vcpu *vcpu);
void vmx_vcpu_put(struct vcpu *vcpu);
/*
 * Run the vCPU (its VMCS current here) until `deadline` (TSC; UINT64_MAX =
 * none, armed with the VMX-preemption timer) or until an exit handler ends
 * the slice: HLT with nothing pending (BLOCK), a PAUSE-loop exit (YIELD),
 * a scheduler kick (KICK), the VM stopping (STOP). The exit handlers only
 * say how the slice ends; vmx/schedule.c's loop acts on it.
 */
enum vmx_leave vmx_vcpu_run_slice(struct vcpu *vcpu, uint64_t deadline);

/* Print the VMCS fields that explain `why` (entry failure, unexpected exit). */
void vmx_vmcs_dump(struct vcpu *vcpu, const char *why);
/* Queue an exception for the next entry. */
void vmx_inject_exception(struct vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error);
/* Enter the guest: 0 after a VM exit, 1 VMfailInvalid, 2 VMfailValid
 * (vmx/entry.c; interrupts must be off). */
int vmx_enter(struct vmx_guest_registers *registers, int launched);

#endif /* VMX_VMX_H */
