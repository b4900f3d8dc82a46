/*
 * vmx/notify.h - telling a vCPU that something was posted for it.
 *
 * Device models and IPI delivery (vLAPIC, vIOAPIC, timers) update the
 * target's interrupt state first, then call vmx_vcpu_notify(). It makes the
 * event reach the guest soon:
 *   - a halted (blocked) vCPU is woken (the scheduler is told: wake);
 *   - a vCPU running on another pCPU is made to exit with a host IPI, so
 *     the event is injected at its next VM entry;
 *   - a runnable but not running vCPU is reported to the scheduler as the
 *     target of a virtual IPI or virtual IRQ (it may be offloaded to the
 *     micro-sliced pool: DESIGN.md section 4, interrupt path).
 * Callable from any pCPU, in thread or interrupt context, with no VM or
 * scheduler lock held.
 *
 * Lock order: takes the scheduler lock (via sched/) and nothing else.
 */
#ifndef VMX_NOTIFY_H
#define VMX_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

enum vmx_notify_kind {
	VMX_NOTIFY_IPI,        /* a virtual IPI from a sibling vCPU   */
	VMX_NOTIFY_TIMER,      /* the vCPU's own vLAPIC timer fired   */
	VMX_NOTIFY_DEVICE_IRQ, /* a virtual device interrupt (IOAPIC) */
	VMX_NOTIFY_INIT_SIPI,  /* INIT or STARTUP for an AP           */
};

void vmx_vcpu_notify(struct vcpu *target, enum vmx_notify_kind kind);

/* The pCPU running this is about to read a vCPU's pending events and
 * enter it: kicks sent from now on are needed again (kicks to one pCPU are
 * coalesced until then). Called with interrupts off, before the read. */
void vmx_notify_entering(void);

/* Host IPIs sent for notifications, and those left out because a kick to
 * the same pCPU was still pending. */
void vmx_notify_counters(uint64_t *sent, uint64_t *coalesced);

/* An event the vCPU must handle now: a deliverable interrupt, or a pending
 * NMI, INIT or STARTUP. (Defined with the vCPU's interrupt state.) */
bool vmx_vcpu_has_pending_event(struct vcpu *vcpu);

#endif /* VMX_NOTIFY_H */
