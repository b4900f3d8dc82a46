/*
 * vmx/notify.c - delivering "something is pending" to a vCPU (see
 * notify.h).
 *
 * Kicks are coalesced per pCPU: notify_kick_pending[cpu] is set by the
 * first sender after the pCPU last prepared a VM entry, and only that
 * sender sends the host IPI. The pCPU clears the flag in
 * vmx_notify_entering() before it reads what is pending, so a sender that
 * finds the flag set has posted before that read: its event is injected at
 * that entry, by the one kick already on its way (or already taken). The
 * sender's exchange (after posting) and the pCPU's sequentially consistent
 * store (before reading) are full barriers.
 *
 * Lock order: scheduler lock only (inside sched_* calls).
 */
#include "vmx/notify.h"

#include "arch/x86/lapic.h"
#include "arch/x86/trap.h"
#include "kernel/percpu.h"
#include "vmx/schedule.h"
#include "vmx/vm.h"

static bool notify_kick_pending[PERCPU_MAX_CPUS];
static uint64_t notify_kicks_sent, notify_kicks_coalesced;

void vmx_vcpu_notify(struct vcpu *target, enum vmx_notify_kind kind)
{
	vmx_schedule_notify(target, kind);
	/* The target's pCPU leaves the guest (or its HLT wait) on the
	 * reschedule IPI and injects what is pending before it re-enters. */
	int32_t cpu = __atomic_load_n(&target->loaded_cpu, __ATOMIC_ACQUIRE);
	if (cpu < 0 || (uint32_t)cpu == percpu_this_index() || !percpu_cpus[cpu].online)
		return;
	if (__atomic_exchange_n(&notify_kick_pending[cpu], true, __ATOMIC_SEQ_CST)) {
		__atomic_add_fetch(&notify_kicks_coalesced, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&notify_kicks_sent, 1, __ATOMIC_RELAXED);
	lapic_send_ipi(percpu_cpus[cpu].apic_id, TRAP_VECTOR_RESCHEDULE);
}

void vmx_notify_entering(void)
{
	__atomic_store_n(&notify_kick_pending[percpu_this_index()], false, __ATOMIC_SEQ_CST);
}

void vmx_notify_counters(uint64_t *sent, uint64_t *coalesced)
{
	*sent = __atomic_load_n(&notify_kicks_sent, __ATOMIC_RELAXED);
	*coalesced = __atomic_load_n(&notify_kicks_coalesced, __ATOMIC_RELAXED);
}
