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

/* Host IPIs sent so far to make a running target exit (one per
 * notification of a vCPU running on another pCPU). */
uint64_t vmx_notify_kicks(void);

/* An event the vCPU must handle now: a deliverable interrupt, or a pending
 * NMI, INIT or STARTUP. (Defined with the vCPU's interrupt state.) */
bool vmx_vcpu_has_pending_event(struct vcpu *vcpu);

#endif /* VMX_NOTIFY_H */
