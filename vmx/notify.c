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

static uint64_t notify_kicks;

void vmx_vcpu_notify(struct vcpu *target, enum vmx_notify_kind kind)
{
	vmx_schedule_notify(target, kind);
	/* The target's pCPU leaves the guest (or its HLT wait) on the
	 * reschedule IPI and injects what is pending before it re-enters. */
	int32_t cpu = __atomic_load_n(&target->loaded_cpu, __ATOMIC_ACQUIRE);
	if (cpu >= 0 && (uint32_t)cpu != percpu_this_index() && percpu_cpus[cpu].online) {
		__atomic_add_fetch(&notify_kicks, 1, __ATOMIC_RELAXED);
		lapic_send_ipi(percpu_cpus[cpu].apic_id, TRAP_VECTOR_RESCHEDULE);
	}
}

uint64_t vmx_notify_kicks(void)
{
	return __atomic_load_n(&notify_kicks, __ATOMIC_RELAXED);
}
