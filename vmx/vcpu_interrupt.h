/*
 * vmx/vcpu_interrupt.h - a vCPU's interrupt state on top of its virtual
 * LAPIC (vmx/vlapic.h): the vLAPIC's environment (clock, host timer, IPI
 * routing, EOI broadcast), the xAPIC page and x2APIC MSRs as the exit
 * handlers see them, injection of NMIs and external interrupts at VM entry
 * with interrupt- and NMI-window exiting, and the INIT/SIPI state machine
 * (APs wait for SIPI, then start in real mode with unrestricted guest).
 * docs/smp.md describes the whole path; docs/devices.md the models.
 *
 * Who calls what:
 *  - the OWNER of the vCPU (the pCPU whose VMCS-current vCPU it is, or the
 *    pCPU that holds it blocked): vcpu_interrupt_prepare_entry() before
 *    each VM entry (interrupts off, VMCS current), the exit handlers
 *    (APIC page, MSRs, CR8, windows) and vmx_vcpu_has_pending_event();
 *  - SENDERS on any pCPU: IPIs (an ICR write of a sibling), the vIOAPIC and
 *    the vLAPIC timer's host timer post to the target's vLAPIC with atomic
 *    operations only, then call vmx_vcpu_notify(), which wakes a halted
 *    target or makes a running one exit. Nothing posted is ever lost: a
 *    vCPU that is not running takes it at its next entry.
 *
 * The vLAPIC timer is a kernel timer (kernel/timer.h) armed on the pCPU
 * that runs the vCPU when the guest programs it, at the absolute guest-TSC
 * deadline (a guest TSC: host TSC + the vCPU's TSC offset). On expiry, on whichever pCPU it was
 * armed, its callback only notifies the vCPU (VMX_NOTIFY_TIMER); the owner
 * sets IRR (vlapic_timer_expired) at its next entry or HLT check, because
 * the deadline is already due. So a vCPU that was descheduled or migrated
 * since it armed the timer still gets it, at most one host-timer latency
 * plus one kick late.
 *
 * Lock order: none held by the owner functions; senders take the target's
 * nothing (atomics) and then vmx_vcpu_notify's scheduler lock. The
 * vIOAPIC's EOI broadcast takes the VM's platform lock (vmx/platform.h),
 * never while a vLAPIC function is waiting for it.
 */
#ifndef VMX_VCPU_INTERRUPT_H
#define VMX_VCPU_INTERRUPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/timer.h"
#include "vmx/vlapic.h"

struct vcpu;
struct vm;

struct vcpu_interrupt_counters {
	uint64_t injected_interrupts; /* external interrupts injected */
	uint64_t injected_nmis;
	uint64_t interrupt_windows; /* interrupt-window exits */
	uint64_t nmi_windows;       /* NMI-window exits */
	uint64_t timer_callbacks;   /* host timer expiries for the vLAPIC timer */
	uint64_t apic_accesses;     /* xAPIC page accesses emulated */
	uint64_t apic_msr_accesses; /* x2APIC / APIC base / TSC deadline MSRs */
	uint64_t ipis_routed;       /* messages this vLAPIC sent that reached a vLAPIC */
	uint64_t resets;            /* INIT accepted: back to wait-for-SIPI */
	uint64_t startups;          /* SIPI accepted: real-mode start */
};

struct vcpu_interrupt {
	struct vlapic vlapic;
	struct timer timer; /* host timer behind the vLAPIC timer */
	bool initialized;
	bool vmcs_waiting;    /* VMCS holds the wait-for-SIPI state */
	uint64_t startup_tsc; /* when the SIPI started it (0 = BSP) */
	/* Guest TSC = host TSC + tsc_offset (= VMCS_TSC_OFFSET, and the
	 * guest's IA32_TSC_ADJUST: both start at 0 and only IA32_TSC and
	 * IA32_TSC_ADJUST writes change them, by the same amount). */
	uint64_t tsc_offset;
	struct vcpu_interrupt_counters counters;
};

/* Set up the vLAPIC of `vcpu` (APIC ID = vCPU index; vCPU 0 is the BSP,
 * the others wait for SIPI) and enter it in vm->vlapics. At VM creation,
 * before any vCPU runs. */
void vcpu_interrupt_init(struct vcpu *vcpu);

/* Owner, interrupts off, VMCS current: take posted messages in, act on
 * INIT/SIPI, fire a due timer, inject an NMI or the highest deliverable
 * vector or open the matching window. False if the vCPU now waits for a
 * STARTUP: it must not be entered. */
bool vcpu_interrupt_prepare_entry(struct vcpu *vcpu);

/* Owner: true while the vCPU waits for a SIPI: it must not run guest code,
 * the scheduling loop keeps it blocked (its INIT state is parked in the
 * HLT activity state as well). */
bool vcpu_interrupt_waiting_for_startup(struct vcpu *vcpu);

/* Exit handlers (owner). MSRs: 0 handled, 1 not a vLAPIC MSR, -1 #GP. */
int vcpu_interrupt_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value);
int vcpu_interrupt_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value);
/* The guest's TSC now (what RDTSC reads), and a new TSC offset (owner,
 * VMCS current: written to the VMCS, the vLAPIC timer's host timer moved). */
uint64_t vcpu_interrupt_guest_tsc(struct vcpu *vcpu);
void vcpu_interrupt_set_tsc_offset(struct vcpu *vcpu, uint64_t offset);
/* CR8 = TPR[7:4]. */
uint64_t vcpu_interrupt_cr8_read(struct vcpu *vcpu);
void vcpu_interrupt_cr8_write(struct vcpu *vcpu, uint64_t value);
void vcpu_interrupt_window_exit(struct vcpu *vcpu);
void vcpu_interrupt_nmi_window_exit(struct vcpu *vcpu);
/* MMIO hook for the xAPIC page at 0xfee00000 (struct vm_mmio_hook). */
int vcpu_interrupt_apic_access(struct vcpu *vcpu, uint64_t address, unsigned size, bool write,
                               uint64_t *value);

/* Any pCPU: make the vCPU's pCPU leave guest mode or its HLT wait, without
 * posting anything (used when its VM stops). */
void vcpu_interrupt_kick(struct vcpu *vcpu);
/* After the VM ended (no vCPU runs): cancel the vLAPIC timer's host timer. */
void vcpu_interrupt_stop(struct vcpu *vcpu);

/* " key=value ..." figures of one vCPU for the report line. */
size_t vcpu_interrupt_format(struct vcpu *vcpu, char *buffer, size_t size);

#endif /* VMX_VCPU_INTERRUPT_H */
