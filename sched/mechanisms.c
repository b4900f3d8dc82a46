/*
 * sched/mechanisms.c - offload mechanisms beyond the paper, each behind a
 * sched_params flag that is off by default (docs/mechanisms.md):
 *
 *  protect_initiator  an ipi-wait yielder that offloaded siblings waits
 *      for them (initiator_waiting): when the last one leaves its micro
 *      pCPU (or runs on a normal one), the yielder, if it lost its pCPU,
 *      is made that pCPU's next vCPU at once (directed_next + kick),
 *      whatever runs there. While no sibling is left preempted on a
 *      normal pCPU (the shootdown is served whole) it also keeps its
 *      claim: its yield does not demote it, it is requeued at the head of
 *      its priority class, so another VM's vCPU of equal priority does
 *      not take its pCPU.
 *  micro_early_return while another offloaded vCPU waits for a busy micro
 *      pCPU (an offload to a busy micro pCPU kicks it), its vCPU is looked
 *      at every quarter micro slice (the decision's deadline); from a
 *      quarter slice on, once its live RIP is outside critical kernel
 *      code (category NONE: user mode or ordinary kernel code) it goes
 *      home at once instead of running out the slice. HLT and yields on a
 *      micro pCPU end the slice in every configuration.
 *  micro_borrow  an idle micro pCPU (nothing offloaded to it) takes the
 *      best queued vCPU of its normal pool's runqueues (the head of each
 *      runqueue in policy order; the highest priority, then the longest
 *      waiting) and runs it for one micro slice (micro_borrow=2: one
 *      normal slice), after which it goes home like an offloaded vCPU (and
 *      the micro pCPU borrows again). It counts
 *      as idle for offloads (sched_pcpu_busy, busy_mask): an offload to
 *      its pCPU kicks it and it leaves at once (counter
 *      borrow_preemptions). Idle with nothing to borrow, the micro pCPU
 *      looks again every SCHED_MECH_BORROW_POLL micro slices.
 *  (micro_batch and micro_queue_depth: the slot rule in sched/internal.h,
 *      the choice of micro pCPU in sched/offload.c.)
 *
 * State: sched_vcpu.offload_initiator (on an offloaded sibling: who
 * offloaded it) and sched_vcpu.initiator_waiting (on the initiator).
 *
 * Lock order: every function expects the sched_system lock held.
 */
#include "sched/internal.h"

/* micro_borrow: an idle micro pCPU with nothing to borrow looks again
 * after this many micro slices. */
#define SCHED_MECH_BORROW_POLL 10u

/* Is a sibling of `vcpu` preempted on a normal pCPU (not offloaded)? */
static bool mech_sibling_preempted(const struct sched_vcpu *vcpu)
{
	const struct sched_vm *vm = vcpu->vm;
	unsigned i;

	for (i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].state == SCHED_VCPU_RUNNABLE && &vm->vcpus[i] != vcpu)
			return true;
	return false;
}

bool sched_mech_protected(const struct sched_vcpu *vcpu)
{
	/* Keep the pCPU only for a shootdown served whole: a sibling left
	 * preempted may wait a full slice; spinning for it helps nobody. */
	return vcpu->initiator_waiting && sched_vcpu_pool(vcpu)->params.protect_initiator &&
	       !mech_sibling_preempted(vcpu);
}

void sched_mech_offloaded_by(struct sched_vcpu *sibling, struct sched_vcpu *initiator)
{
	if (sched_vcpu_pool(initiator)->params.protect_initiator)
		sibling->offload_initiator = initiator;
}

void sched_mech_protect_requeue(struct sched_system *sys, struct sched_pcpu *pcpu,
                                struct sched_vcpu *vcpu)
{
	struct sched_pool *pool = sched_vcpu_pool(vcpu);
	int priority = sched_ops_priority(pool, vcpu);
	struct sched_list *position;

	if (vcpu->pcpu != pcpu->id || sched_list_empty(&vcpu->runq_node))
		return;
	sched_runq_unlink(sys, vcpu);
	for (position = pcpu->runq.next; position != &pcpu->runq; position = position->next)
		if (sched_ops_priority(pool, sched_runq_vcpu(position)) <= priority)
			break;
	sched_runq_link(pcpu, position, vcpu);
}

/* Does another vCPU of the initiator's VM still wait for or run its
 * offload on the initiator's behalf? */
static bool mech_siblings_pending(const struct sched_vcpu *initiator)
{
	const struct sched_vm *vm = initiator->vm;
	unsigned i;

	for (i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].offload_initiator == initiator)
			return true;
	return false;
}

void sched_mech_ipi_wait_served(struct sched_vcpu *initiator)
{
	initiator->initiator_waiting = sched_vcpu_pool(initiator)->params.protect_initiator &&
	                               mech_siblings_pending(initiator);
}

void sched_mech_sibling_done(struct sched_system *sys, struct sched_vcpu *sibling)
{
	struct sched_vcpu *initiator = sibling->offload_initiator;
	struct sched_pcpu *home;

	if (!initiator)
		return;
	sibling->offload_initiator = NULL;
	if (mech_siblings_pending(initiator) || !initiator->initiator_waiting)
		return;
	initiator->initiator_waiting = false;
	if (initiator->state != SCHED_VCPU_RUNNABLE || initiator->pcpu < 0)
		return;
	home = &sys->pcpus[initiator->pcpu];
	if (home->pool != initiator->vm->pool || home->directed_next)
		return;
	home->directed_next = initiator;
	initiator->directed_target = true;
	sys->counters.initiator_returns++;
	sched_pcpu_kick(sys, home);
}

bool sched_mech_early_return(struct sched_system *sys, const struct sched_pcpu *pcpu,
                             const struct sched_vcpu *vcpu, uint64_t now)
{
	const struct sched_pool *micro = sched_pcpu_pool(sys, pcpu);

	/* Nobody waits for this micro pCPU: its useful work may go on. And
	 * not before a quarter slice: a vCPU just entered may not have taken
	 * the interrupt it was offloaded for yet (its RIP is still where it
	 * was preempted), and sending it home then repeats the offload. */
	if (!micro || !micro->params.micro_early_return || !pcpu->runq_length ||
	    now < vcpu->run_start + micro->params.micro_slice_ns / 4)
		return false;
	if (sched_classify(vcpu, vcpu->saved_rip, vcpu->saved_kernel_mode) != SCHED_CATEGORY_NONE)
		return false;
	sys->counters.micro_early_returns++;
	return true;
}

uint64_t sched_mech_deadline(const struct sched_pool *pool, const struct sched_pcpu *pcpu,
                             uint64_t now, uint64_t until)
{
	uint64_t step;

	if (pool && pool->micro && pool->params.micro_borrow && !pcpu->current)
		return sched_min_time(until,
		                      now + pool->params.micro_slice_ns * SCHED_MECH_BORROW_POLL);
	if (!pool || !pool->micro || !pool->params.micro_early_return || !pcpu->current ||
	    !pcpu->runq_length)
		return until;
	step = pool->params.micro_slice_ns / 4;
	return sched_min_time(until, now + (step ? step : 1));
}

/* The first vCPU of pcpu's runqueue that `micro_pcpu` may run now. */
static struct sched_vcpu *mech_borrow_candidate(const struct sched_pcpu *pcpu,
                                                const struct sched_pcpu *micro_pcpu, uint64_t now)
{
	const struct sched_list *node;

	for (node = pcpu->runq.next; node != &pcpu->runq; node = node->next) {
		struct sched_vcpu *vcpu = sched_runq_vcpu(node);

		if (vcpu->state == SCHED_VCPU_RUNNABLE && sched_vcpu_affine(vcpu, micro_pcpu->id) &&
		    sched_vcpu_may_run(vcpu, now))
			return vcpu;
	}
	return NULL;
}

struct sched_vcpu *sched_mech_borrow(struct sched_system *sys, struct sched_pool *micro,
                                     const struct sched_pcpu *pcpu, uint64_t now,
                                     uint64_t *slice_ns)
{
	struct sched_pool *parent;
	struct sched_vcpu *best = NULL;
	uint64_t mask;

	if (!micro->params.micro_borrow || micro->parent < 0)
		return NULL;
	parent = &sys->pools[micro->parent];
	for (mask = parent->pcpu_mask; mask; mask &= mask - 1) {
		struct sched_vcpu *vcpu =
		    mech_borrow_candidate(&sys->pcpus[__builtin_ctzll(mask)], pcpu, now);
		int rank;

		if (!vcpu)
			continue;
		rank =
		    best ? sched_ops_priority(parent, vcpu) - sched_ops_priority(parent, best) : 1;
		if (rank > 0 || (rank == 0 && vcpu->queued_since < best->queued_since))
			best = vcpu;
	}
	if (!best)
		return NULL;
	best->home_pcpu = best->pcpu;
	sched_runq_unlink(sys, best);
	best->directed_target = false;
	best->borrowed = true;
	sys->counters.micro_borrows++;
	*slice_ns = micro->params.micro_borrow >= SCHED_BORROW_NORMAL_SLICES
	                ? parent->params.slice_ns
	                : micro->params.slice_ns;
	sched_mech_sibling_done(sys, best);
	return best;
}
