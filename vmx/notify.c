/*
 * vmx/notify.c - delivering "something is pending" to a vCPU (see
 * notify.h).
 *
 * Lock order: scheduler lock only (inside sched_* calls).
 */
#include "vmx/notify.h"

#include "arch/x86/lapic.h"
#include "arch/x86/trap.h"
#include "kernel/percpu.h"
#include "vmx/schedule.h"
#include "vmx/vm.h"

/* Until the vLAPIC is wired in, the single injected vector is the only
 * event (vmx/vcpu_interrupt.c replaces this with the full state). */
__attribute__((weak)) bool vmx_vcpu_has_pending_event(struct vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->pending_interrupt, __ATOMIC_ACQUIRE) != 0;
}

void vmx_vcpu_notify(struct vcpu *target, enum vmx_notify_kind kind)
{
	vmx_schedule_notify(target, kind == VMX_NOTIFY_IPI, kind == VMX_NOTIFY_DEVICE_IRQ);
	/* The target's pCPU leaves the guest (or its HLT wait) on the
	 * reschedule IPI and injects what is pending before it re-enters. */
	int32_t cpu = __atomic_load_n(&target->loaded_cpu, __ATOMIC_ACQUIRE);
	if (cpu >= 0 && (uint32_t)cpu != percpu_this_index() && percpu_cpus[cpu].online)
		lapic_send_ipi(percpu_cpus[cpu].apic_id, TRAP_VECTOR_RESCHEDULE);
}
