/*
 * sched/control.c - run-time controls of VMs and vCPUs (the xl console's
 * vcpu-pin, sched-credit -c, pause / unpause): hard affinity, the credit
 * cap, pausing.
 *
 * Rules (checked by sched_check_invariants(), sched/invariants.c):
 *  - a vCPU runs and is queued only on pCPUs of its hard affinity; a
 *    running vCPU outside it (just re-pinned) has a re-pick pending on
 *    its pCPU;
 *  - a pin names pCPUs of the vCPU's pool (or of the pool's micro child)
 *    and at least one of its normal pool's pCPUs: it can always be placed;
 *  - a paused VM's vCPUs run nowhere, except until the pending re-pick of
 *    the pCPU they were running on (kicked by sched_vm_pause()).
 *
 * Lock order: every public function takes the sched_system lock.
 */
#include "sched/internal.h"

int sched_vm_set_cap(struct sched_vm *vm, uint32_t cap)
{
	struct sched_system *sys = vm->sys;
	int result = SCHED_OK;
	unsigned i;

	sched_env_lock_acquire(sys->lock);
	if (!vm->in_use || cap > SCHED_CAP_PER_VCPU * vm->vcpu_count) {
		result = SCHED_ERR_INVALID;
	} else {
		vm->cap = cap;
		/* Running vCPUs re-pick: their deadline follows the new cap. */
		for (i = 0; i < vm->vcpu_count; i++)
			if (vm->vcpus[i].state == SCHED_VCPU_RUNNING)
				sched_pcpu_kick(sys, &sys->pcpus[vm->vcpus[i].pcpu]);
	}
	sched_unlock(sys);
	return result;
}

int sched_vm_pause(struct sched_vm *vm, bool paused)
{
	struct sched_system *sys = vm->sys;
	unsigned i;

	sched_env_lock_acquire(sys->lock);
	if (!vm->in_use) {
		sched_unlock(sys);
		return SCHED_ERR_INVALID;
	}
	vm->paused = paused;
	/* Paused: running vCPUs leave; unpaused: queued ones get picked. */
	for (i = 0; i < vm->vcpu_count; i++) {
		const struct sched_vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->pcpu >= 0 &&
		    (vcpu->state == SCHED_VCPU_RUNNING || vcpu->state == SCHED_VCPU_RUNNABLE ||
		     vcpu->state == SCHED_VCPU_OFFLOADED))
			sched_pcpu_kick(sys, &sys->pcpus[vcpu->pcpu]);
	}
	sched_unlock(sys);
	return SCHED_OK;
}

/* Is `mask` a pin the vCPU's pool can honour? */
static bool control_affinity_valid(const struct sched_system *sys, const struct sched_vcpu *vcpu,
                                   uint64_t mask)
{
	const struct sched_pool *pool = &sys->pools[vcpu->vm->pool];
	uint64_t allowed = pool->pcpu_mask;

	if (mask == SCHED_AFFINITY_ALL)
		return true;
	if (pool->policy.ops->static_placement)
		return false;
	if (pool->micro_child >= 0)
		allowed |= sys->pools[pool->micro_child].pcpu_mask;
	return (mask & ~allowed) == 0 && (mask & pool->pcpu_mask) != 0;
}

int sched_vcpu_set_affinity(struct sched_vcpu *vcpu, uint64_t mask)
{
	struct sched_system *sys = sched_vcpu_system(vcpu);
	uint64_t now;
	int from = vcpu->pcpu;

	sched_env_lock_acquire(sys->lock);
	now = sched_env_now();
	if (!vcpu->vm->in_use || !control_affinity_valid(sys, vcpu, mask)) {
		sched_unlock(sys);
		return SCHED_ERR_INVALID;
	}
	vcpu->affinity = mask;
	if (vcpu->pcpu >= 0 && !sched_vcpu_affine(vcpu, vcpu->pcpu)) {
		switch (vcpu->state) {
		case SCHED_VCPU_RUNNING:
			/* Leaves at its pCPU's next decision (placement check). */
			sched_pcpu_kick(sys, &sys->pcpus[vcpu->pcpu]);
			break;
		case SCHED_VCPU_RUNNABLE:
		case SCHED_VCPU_OFFLOADED: {
			struct sched_pcpu *target;

			sched_runq_unlink(sys, vcpu);
			vcpu->pcpu = SCHED_NO_PCPU;
			vcpu->directed_target = false;
			target = sched_requeue(sys, vcpu, now);
			sys->counters.migrations++;
			sched_trace(SCHED_TRACE_MIGRATE, vcpu, (uint64_t)from,
			            target ? target->id : SCHED_TRACE_NONE);
			break;
		}
		default:
			break;
		}
	}
	sched_unlock(sys);
	return SCHED_OK;
}
