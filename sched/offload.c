/*
 * sched/offload.c - urgent signals and the offload decisions (DESIGN.md
 * section 4, paper sections 4.1-4.2 and 5).
 *
 * Inputs and actions:
 *  - yield (PLE exit or guest yield) of RUNNING vCPU v at its LIVE rip:
 *      v's category is lock-spin -> offload every preempted (RUNNABLE)
 *        sibling whose saved RIP is CRITICAL;
 *      ipi-wait  -> offload every preempted sibling (they must take the IPI);
 *      halt, none, critical -> plain yield;
 *      directed-yield policy and a PLE -> yield_to a preempted sibling
 *        instead (sched/directed_yield.c).
 *  - virtual IPI / virtual IRQ to t: if t is RUNNABLE (preempted, queued on
 *    a normal pCPU) it is offloaded; this also covers the mixed CPU+I/O
 *    vCPU that credit's BOOST never helps. Blocked targets are woken by the
 *    caller (sched_vcpu_wake) and get BOOST instead.
 *  - An offload takes a micro-sliced pCPU of the VM's pool's micro child
 *    with a free slot (paper: an empty runqueue; see
 *    sched_offload_slot_free() for micro_queue_depth and micro_batch),
 *    idle ones first, found through the pool's free_slots bitmask; if
 *    there is none it fails cleanly and is counted (offload_failures); a
 *    policy without micro pool counts the would-be offload as
 *    offload_disabled.
 *
 * The adaptive controller's per-interval counts are fed here: IPI = yields
 * classified ipi-wait; PLE = yields classified lock-spin, and PLE exits
 * not classified ipi-wait or halt; IRQ = virtual IRQs to vCPUs that are
 * runnable but not running (RUNNABLE or OFFLOADED).
 *
 * Every decision is traced (YIELD, OFFLOAD, OFFLOAD_FAILED) and counted.
 * The yield profiler (sched/profile.h) is fed here too, with the lock
 * held: the yielder's live RIP, each preempted sibling's saved RIP that
 * offload_siblings() inspects, and the saved RIP of a preempted
 * (RUNNABLE or OFFLOADED) target of a virtual IPI or IRQ.
 *
 * Lock order: public functions take the sched_system lock; sched_offload()
 * expects it held.
 */
#include "sched/internal.h"
#include "sched/profile.h"

void sched_offload_slot_update(struct sched_system *sys, struct sched_pcpu *pcpu)
{
	struct sched_pool *pool = sched_pcpu_pool(sys, pcpu);
	uint64_t bit = 1ull << pcpu->id;

	if (sched_pcpu_busy(pcpu))
		sys->busy_mask |= bit;
	else
		sys->busy_mask &= ~bit;
	if (!pool || !pool->micro)
		return;
	if (sched_offload_slot_free(pool, pcpu))
		pool->free_slots |= bit;
	else
		pool->free_slots &= ~bit;
}

/*
 * The micro pCPU of `micro` an offload of `vcpu` goes to: among those
 * with a free slot (free_slots, maintained on every queue / dequeue /
 * schedule) and in its affinity, the least occupied (queued + running),
 * lowest-numbered first. With the paper's one slot this is the first idle
 * pCPU with an empty runqueue, else the first busy one with an empty
 * runqueue. Costs one ctz per candidate, not a scan of every pCPU.
 */
static struct sched_pcpu *offload_free_pcpu(struct sched_system *sys,
                                            const struct sched_pool *micro,
                                            const struct sched_vcpu *vcpu)
{
	uint64_t candidates = micro->free_slots & vcpu->affinity;
	uint64_t idle = candidates & ~sys->busy_mask;
	struct sched_pcpu *best = NULL;
	unsigned best_load = 0;

	/* An idle pCPU with an empty runqueue cannot be beaten. */
	for (; idle; idle &= idle - 1) {
		struct sched_pcpu *pcpu = &sys->pcpus[__builtin_ctzll(idle)];

		if (!pcpu->runq_length)
			return pcpu;
	}
	for (; candidates; candidates &= candidates - 1) {
		struct sched_pcpu *pcpu = &sys->pcpus[__builtin_ctzll(candidates)];
		unsigned load = pcpu->runq_length + (sched_pcpu_busy(pcpu) ? 1u : 0u);

		if (!best || load < best_load) {
			best = pcpu;
			best_load = load;
		}
	}
	return best;
}

static bool offload_kicks_busy(struct sched_system *sys, const struct sched_pcpu *target)
{
	const struct sched_pool *micro = sched_pcpu_pool(sys, target);

	return micro && micro->params.micro_early_return;
}

bool sched_offload(struct sched_system *sys, struct sched_vcpu *vcpu,
                   enum sched_offload_cause cause)
{
	struct sched_pool *pool = sched_vcpu_pool(vcpu);
	struct sched_pcpu *target = NULL;

	if (vcpu->state != SCHED_VCPU_RUNNABLE || !sched_vcpu_may_run(vcpu, sched_env_now()))
		return false;
	if (pool->policy.micro_mode == SCHED_MICRO_NONE || pool->micro_child < 0) {
		sys->counters.offload_disabled[cause]++;
		return false;
	}
	target = offload_free_pcpu(sys, &sys->pools[pool->micro_child], vcpu);
	if (!target) {
		sys->counters.offload_failures[cause]++;
		vcpu->stats.offload_failures++;
		sched_trace(SCHED_TRACE_OFFLOAD_FAILED, vcpu, SCHED_TRACE_NONE, cause);
		return false;
	}
	vcpu->home_pcpu = vcpu->pcpu;
	sched_runq_unlink(sys, vcpu);
	vcpu->state = SCHED_VCPU_OFFLOADED;
	vcpu->directed_target = false;
	sched_runq_link(target, &target->runq, vcpu);
	sys->counters.offloads[cause]++;
	vcpu->stats.offloads++;
	sched_trace(SCHED_TRACE_OFFLOAD, vcpu, target->id, cause);
	/* A vCPU running on a micro pCPU is never preempted: kick idle only
	 * (and, with micro_early_return, a busy one: it may be done; a
	 * borrowed one leaves at once). */
	if (!sched_pcpu_busy(target) || offload_kicks_busy(sys, target))
		sched_pcpu_kick(sys, target);
	return true;
}

static void offload_siblings(struct sched_system *sys, struct sched_vcpu *yielder,
                             enum sched_category category)
{
	struct sched_vm *vm = yielder->vm;
	unsigned i;

	/* sched_offload()'s false (no free micro pCPU, or offloading off) is
	 * an outcome, already counted and traced there: nothing to undo. */
	for (i = 0; i < vm->vcpu_count; i++) {
		struct sched_vcpu *sibling = &vm->vcpus[i];

		if (sibling == yielder || sibling->state != SCHED_VCPU_RUNNABLE)
			continue;
		sched_profile_note(sibling, SCHED_PROFILE_SIBLING, sibling->saved_rip,
		                   sibling->saved_kernel_mode);
		if (category == SCHED_CATEGORY_IPI_WAIT) {
			if (sched_offload(sys, sibling, SCHED_OFFLOAD_IPI_WAIT))
				sched_mech_offloaded_by(sibling, yielder);
		} else if (sched_classify(sibling, sibling->saved_rip,
		                          sibling->saved_kernel_mode) == SCHED_CATEGORY_CRITICAL) {
			sched_offload(sys, sibling, SCHED_OFFLOAD_LOCK_SPIN);
		}
	}
	if (category == SCHED_CATEGORY_IPI_WAIT)
		sched_mech_ipi_wait_served(yielder);
}

int sched_vcpu_yield(struct sched_vcpu *vcpu, enum sched_yield_source source, uint64_t rip,
                     bool kernel_mode)
{
	struct sched_system *sys = sched_vcpu_system(vcpu);
	struct sched_pool *pool;
	struct sched_adaptive_sample *sample;
	enum sched_category category;

	if ((unsigned)source >= SCHED_YIELD_SOURCE_COUNT)
		return SCHED_ERR_INVALID;
	sched_env_lock_acquire(sys->lock);
	if (vcpu->state != SCHED_VCPU_RUNNING) {
		sched_unlock(sys);
		return SCHED_ERR_INVALID;
	}
	pool = sched_vcpu_pool(vcpu);
	vcpu->saved_rip = rip;
	vcpu->saved_kernel_mode = kernel_mode;
	vcpu->pending_yield = true;
	category = sched_classify(vcpu, rip, kernel_mode);
	sys->counters.yields[source][category]++;
	vcpu->stats.yields++;
	sched_trace(SCHED_TRACE_YIELD, vcpu, source, category);
	sched_profile_note(vcpu, SCHED_PROFILE_YIELD, rip, kernel_mode);

	sample = &pool->adaptive.now;
	if (category == SCHED_CATEGORY_IPI_WAIT) {
		sample->ipis++;
		vcpu->stats.spin_yields++;
	} else if (category == SCHED_CATEGORY_LOCK_SPIN) {
		sample->ples++;
		vcpu->stats.spin_yields++;
	} else if (source == SCHED_YIELD_PLE && category != SCHED_CATEGORY_HALT) {
		/* A PLE exit outside every critical symbol: an urgent event
		 * (it starts profiling, as in Algorithm 1) but not charged as
		 * the vCPU's spinning, since no micro slice shortens it
		 * (sched/progress.c). */
		sample->ples++;
	}

	if (pool->policy.yield_mode == SCHED_YIELD_MODE_DIRECTED && source == SCHED_YIELD_PLE)
		sched_directed_yield(sys, vcpu);
	else if (category == SCHED_CATEGORY_LOCK_SPIN || category == SCHED_CATEGORY_IPI_WAIT)
		offload_siblings(sys, vcpu, category);
	sched_unlock(sys);
	return SCHED_OK;
}

static enum sched_target_state offload_target_state(const struct sched_vcpu *target)
{
	switch (target->state) {
	case SCHED_VCPU_RUNNING:
		return SCHED_TARGET_RUNNING;
	case SCHED_VCPU_RUNNABLE:
		return SCHED_TARGET_PREEMPTED;
	case SCHED_VCPU_OFFLOADED:
		return SCHED_TARGET_OFFLOADED;
	case SCHED_VCPU_BLOCKED:
		return SCHED_TARGET_BLOCKED;
	default:
		return SCHED_TARGET_OFFLINE;
	}
}

void sched_notify_ipi(struct sched_vcpu *target)
{
	struct sched_system *sys = sched_vcpu_system(target);
	enum sched_target_state state;

	sched_env_lock_acquire(sys->lock);
	state = offload_target_state(target);
	sys->counters.ipis[state]++;
	if (state == SCHED_TARGET_PREEMPTED || state == SCHED_TARGET_OFFLOADED)
		sched_profile_note(target, SCHED_PROFILE_IPI, target->saved_rip,
		                   target->saved_kernel_mode);
	if (state == SCHED_TARGET_PREEMPTED)
		sched_offload(sys, target, SCHED_OFFLOAD_IPI);
	sched_unlock(sys);
}

void sched_notify_virq(struct sched_vcpu *target)
{
	struct sched_system *sys = sched_vcpu_system(target);
	enum sched_target_state state;

	sched_env_lock_acquire(sys->lock);
	state = offload_target_state(target);
	sys->counters.virqs[state]++;
	if (state == SCHED_TARGET_PREEMPTED || state == SCHED_TARGET_OFFLOADED) {
		sched_vcpu_pool(target)->adaptive.now.irqs++;
		sched_profile_note(target, SCHED_PROFILE_VIRQ, target->saved_rip,
		                   target->saved_kernel_mode);
	}
	if (state == SCHED_TARGET_PREEMPTED)
		sched_offload(sys, target, SCHED_OFFLOAD_VIRQ);
	sched_unlock(sys);
}
