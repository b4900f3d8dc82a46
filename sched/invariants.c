/*
 * sched/invariants.c - sched_check_invariants(): verify, with the lock held,
 * what sched/internal.h and sched/cpupool.c promise:
 *
 *  pools and pCPUs
 *   - pcpus[n].pool == p  <=>  bit n of pools[p].pcpu_mask (p in use, n
 *     online), and pcpu_count is the number of bits;
 *   - a normal pool's master is its lowest-numbered pCPU (-1 if empty), a
 *     micro pool has none; a micro pool's parent is an in-use normal pool
 *     naming it as micro_child;
 *   - vm_count is the number of VMs in the pool, and a normal pool with
 *     VMs keeps at least one pCPU;
 *  runqueues
 *   - a runqueue is a well-linked list of vCPUs of in-use VMs whose pcpu
 *     is that pCPU, and runq_length is its length;
 *   - a pCPU's current vCPU is RUNNING with pcpu naming that pCPU;
 *  vCPUs, by state
 *   - RUNNABLE: on exactly one runqueue, of a pCPU of its VM's pool (or
 *     kept waiting by its policy: then on none, pcpu == -1);
 *   - OFFLOADED: on the runqueue of a pCPU of its VM's pool's micro
 *     child, which holds at most micro_queue_depth vCPUs (+1 with
 *     micro_batch);
 *  offload bitmasks (sched/offload.c)
 *   - busy_mask (pCPUs with a current vCPU that is not borrowed) and
 *     each micro pool's free_slots equal a scan of the pCPUs
 *     (sched_offload_slot_free);
 *   - RUNNING: pcpus[pcpu].current and on no runqueue; a borrowed one
 *     (micro_borrow) on a micro pCPU of its pool's micro child; only a
 *     RUNNING vCPU is borrowed;
 *   - BLOCKED, OFFLINE: on no runqueue and current nowhere;
 *  hard affinity and pausing (sched/control.c)
 *   - a queued vCPU is queued on a pCPU of its affinity; a RUNNING one
 *     runs on one, or has a re-pick pending there (just re-pinned);
 *   - a pin keeps a pCPU of the VM's normal pool (when the pool has any);
 *     a pool whose policy places vCPUs itself (pinned) has no pins;
 *   - a paused VM's vCPU is RUNNING only with a re-pick pending;
 *  policies
 *   - each pool's sched_ops.check (pinned: one vCPU per pCPU, the FIFO).
 *
 * The first broken invariant is reported as one line: the rule, then the
 * pCPU / pool / vCPU ("vm V vcpu I") it was found on.
 *
 * Lock order: takes no lock; the caller holds the sched_system lock.
 */
#include "sched/internal.h"

#define INVARIANT_MAX_STEPS (SCHED_MAX_VMS * SCHED_MAX_VCPUS_PER_VM + 1)

struct invariant_report {
	struct sched_format text;
};

static int invariant_fail(struct invariant_report *report, const char *rule, const char *kind,
                          unsigned id)
{
	sched_format_string(&report->text, "invariant: ");
	sched_format_string(&report->text, rule);
	sched_format_string(&report->text, kind);
	sched_format_unsigned(&report->text, id);
	return -1;
}

static int invariant_fail_vcpu(struct invariant_report *report, const char *rule,
                               const struct sched_vcpu *vcpu)
{
	invariant_fail(report, rule, " vm ", vcpu->vm->id);
	sched_format_string(&report->text, " vcpu ");
	sched_format_unsigned(&report->text, vcpu->index);
	sched_format_string(&report->text, " (");
	sched_format_string(&report->text, sched_vcpu_state_name(vcpu->state));
	sched_format_string(&report->text, ")");
	return -1;
}

/* Is `vcpu` a vCPU slot of an in-use VM of `sys`? */
static bool invariant_vcpu_valid(const struct sched_system *sys, const struct sched_vcpu *vcpu)
{
	const char *address = (const char *)vcpu;
	const char *first = (const char *)&sys->vms[0];
	const char *end = (const char *)&sys->vms[SCHED_MAX_VMS];
	size_t vm;

	if (address < first || address >= end)
		return false;
	vm = (size_t)(address - first) / sizeof(struct sched_vm);
	return sys->vms[vm].in_use && vcpu->vm == &sys->vms[vm] &&
	       vcpu->index < sys->vms[vm].vcpu_count && vcpu == &sys->vms[vm].vcpus[vcpu->index];
}

/* Most vCPUs a micro pool's runqueue may hold (sched_offload_slot_free:
 * one more than the depth with micro_batch, for an idle pCPU). */
static unsigned invariant_micro_queue_max(const struct sched_pool *micro)
{
	unsigned depth = micro->params.micro_queue_depth ? micro->params.micro_queue_depth : 1;

	return depth + (micro->params.micro_batch ? 1u : 0u);
}

/* The offload bitmasks (sched/offload.c) equal what a scan finds. */
static int invariant_slots(const struct sched_system *sys, struct invariant_report *report)
{
	uint64_t busy = 0;
	unsigned n, p;

	for (n = 0; n < SCHED_MAX_PCPUS; n++)
		if (sched_pcpu_busy(&sys->pcpus[n]))
			busy |= 1ull << n;
	if (busy != sys->busy_mask)
		return invariant_fail(report,
		                      "busy_mask is the set of pCPUs with a current, not "
		                      "borrowed vCPU:",
		                      " pcpu ", (unsigned)__builtin_ctzll(busy ^ sys->busy_mask));
	for (p = 0; p < SCHED_MAX_POOLS; p++) {
		const struct sched_pool *pool = &sys->pools[p];
		uint64_t free = 0;

		if (!pool->in_use)
			continue;
		for (n = 0; pool->micro && n < SCHED_MAX_PCPUS; n++)
			if (sched_pool_has_pcpu(pool, (int)n) &&
			    sched_offload_slot_free(pool, &sys->pcpus[n]))
				free |= 1ull << n;
		if (free != pool->free_slots)
			return invariant_fail(report,
			                      "a micro pool's free_slots is the set of its "
			                      "pCPUs with a free offload slot (scan):",
			                      " pool ", p);
	}
	return 0;
}

static int invariant_pools(const struct sched_system *sys, struct invariant_report *report)
{
	unsigned p, n, vms;

	for (n = 0; n < SCHED_MAX_PCPUS; n++) {
		const struct sched_pcpu *pcpu = &sys->pcpus[n];

		if (pcpu->pool == SCHED_NO_POOL)
			continue;
		if (pcpu->pool < 0 || pcpu->pool >= SCHED_MAX_POOLS ||
		    !sys->pools[pcpu->pool].in_use ||
		    !sched_pool_has_pcpu(&sys->pools[pcpu->pool], (int)n))
			return invariant_fail(report,
			                      "a pCPU's pool is in use and has "
			                      "it in its pcpu_mask:",
			                      " pcpu ", n);
	}
	for (p = 0; p < SCHED_MAX_POOLS; p++) {
		const struct sched_pool *pool = &sys->pools[p];
		unsigned count = 0;
		int lowest = SCHED_NO_PCPU;
		uint64_t mask;

		if (!pool->in_use)
			continue;
		for (mask = pool->pcpu_mask; mask; mask &= mask - 1) {
			n = (unsigned)__builtin_ctzll(mask);
			if (n >= sys->pcpu_count || sys->pcpus[n].pool != (int)p)
				return invariant_fail(report,
				                      "every pCPU of a pool's pcpu_mask is "
				                      "online and names that pool:",
				                      " pcpu ", n);
			if (lowest < 0)
				lowest = (int)n;
			count++;
		}
		if (count != pool->pcpu_count)
			return invariant_fail(report,
			                      "a pool's pcpu_count is the number "
			                      "of pCPUs in its mask:",
			                      " pool ", p);
		if (pool->master != (pool->micro ? SCHED_NO_PCPU : lowest))
			return invariant_fail(report,
			                      "a normal pool's master is its "
			                      "lowest pCPU, a micro pool has "
			                      "none:",
			                      " pool ", p);
		if (pool->micro &&
		    (pool->parent < 0 || pool->parent >= SCHED_MAX_POOLS ||
		     !sys->pools[pool->parent].in_use || sys->pools[pool->parent].micro ||
		     sys->pools[pool->parent].micro_child != (int)p))
			return invariant_fail(report,
			                      "a micro pool's parent is a normal "
			                      "pool naming it as its child:",
			                      " pool ", p);
		vms = 0;
		for (n = 0; n < SCHED_MAX_VMS; n++)
			if (sys->vms[n].in_use && sys->vms[n].pool == (int)p)
				vms++;
		if (vms != pool->vm_count || (pool->micro && vms))
			return invariant_fail(report,
			                      "a pool's vm_count is the number of "
			                      "its VMs (none in a micro pool):",
			                      " pool ", p);
		if (vms && !pool->pcpu_count)
			return invariant_fail(report,
			                      "a normal pool with VMs keeps at "
			                      "least one pCPU:",
			                      " pool ", p);
	}
	return 0;
}

/* Walk every runqueue; queued[vm][vcpu] counts where each vCPU is found.
 * Only online pCPUs can have one: a vCPU queued on another is counted on
 * no runqueue, which invariant_vcpu() reports. */
static int invariant_runqueues(const struct sched_system *sys, struct invariant_report *report,
                               uint8_t queued[SCHED_MAX_VMS][SCHED_MAX_VCPUS_PER_VM])
{
	unsigned n;

	for (n = 0; n < sys->pcpu_count && n < SCHED_MAX_PCPUS; n++) {
		const struct sched_pcpu *pcpu = &sys->pcpus[n];
		const struct sched_list *node = &pcpu->runq;
		unsigned length = 0;

		while (node->next != &pcpu->runq) {
			const struct sched_vcpu *vcpu;

			if (node->next->prev != node || ++length > INVARIANT_MAX_STEPS)
				return invariant_fail(report,
				                      "a runqueue is a well-linked "
				                      "list:",
				                      " pcpu ", n);
			node = node->next;
			vcpu = sched_runq_vcpu(node);
			if (!invariant_vcpu_valid(sys, vcpu))
				return invariant_fail(report,
				                      "a runqueue holds only vCPUs "
				                      "of VMs in use:",
				                      " pcpu ", n);
			if (vcpu->pcpu != (int)n)
				return invariant_fail_vcpu(report,
				                           "a queued vCPU's pcpu is the pCPU of "
				                           "its runqueue:",
				                           vcpu);
			queued[vcpu->vm->id][vcpu->index]++;
		}
		if (pcpu->runq.prev != node)
			return invariant_fail(report, "a runqueue is a well-linked list:", " pcpu ",
			                      n);
		if (length != pcpu->runq_length)
			return invariant_fail(report,
			                      "runq_length is the length of the "
			                      "runqueue:",
			                      " pcpu ", n);
		if (pcpu->current &&
		    (!invariant_vcpu_valid(sys, pcpu->current) ||
		     pcpu->current->state != SCHED_VCPU_RUNNING || pcpu->current->pcpu != (int)n))
			return invariant_fail(report,
			                      "a pCPU's current vCPU is RUNNING "
			                      "there:",
			                      " pcpu ", n);
	}
	return 0;
}

/* Hard affinity and pausing (sched/control.c). */
static int invariant_control(const struct sched_system *sys, struct invariant_report *report,
                             const struct sched_vcpu *vcpu)
{
	const struct sched_pool *pool = &sys->pools[vcpu->vm->pool];
	const struct sched_pcpu *pcpu =
	    vcpu->pcpu >= 0 && vcpu->pcpu < SCHED_MAX_PCPUS ? &sys->pcpus[vcpu->pcpu] : NULL;
	bool queued = vcpu->state == SCHED_VCPU_RUNNABLE || vcpu->state == SCHED_VCPU_OFFLOADED;
	bool running = vcpu->state == SCHED_VCPU_RUNNING;

	if (vcpu->affinity != SCHED_AFFINITY_ALL &&
	    (pool->policy.ops->static_placement ||
	     (pool->pcpu_count && !(vcpu->affinity & pool->pcpu_mask))))
		return invariant_fail_vcpu(report,
		                           "a pin keeps a pCPU of its normal pool "
		                           "(none under a static placement):",
		                           vcpu);
	if (pcpu && queued && !sched_vcpu_affine(vcpu, pcpu->id))
		return invariant_fail_vcpu(report,
		                           "a queued vCPU is on a pCPU of its "
		                           "hard affinity:",
		                           vcpu);
	if (pcpu && running && !sched_vcpu_affine(vcpu, pcpu->id) && !pcpu->resched)
		return invariant_fail_vcpu(report,
		                           "a RUNNING vCPU outside its hard affinity "
		                           "has a re-pick pending:",
		                           vcpu);
	if (pcpu && running && vcpu->vm->paused && !pcpu->resched)
		return invariant_fail_vcpu(report,
		                           "a paused VM's vCPU runs only until "
		                           "its pending re-pick:",
		                           vcpu);
	return 0;
}

static int invariant_vcpu(const struct sched_system *sys, struct invariant_report *report,
                          const struct sched_vcpu *vcpu, unsigned queued)
{
	const struct sched_pool *pool = &sys->pools[vcpu->vm->pool];
	const struct sched_pcpu *pcpu =
	    vcpu->pcpu >= 0 && vcpu->pcpu < SCHED_MAX_PCPUS ? &sys->pcpus[vcpu->pcpu] : NULL;
	bool linked = !sched_list_empty(&vcpu->runq_node);

	if (vcpu->borrowed && vcpu->state != SCHED_VCPU_RUNNING)
		return invariant_fail_vcpu(report, "only a RUNNING vCPU is borrowed:", vcpu);
	switch (vcpu->state) {
	case SCHED_VCPU_RUNNABLE:
		if (!queued && !linked && vcpu->pcpu == SCHED_NO_PCPU &&
		    sched_ops_waiting(pool, vcpu))
			return 0;
		if (queued != 1 || !pcpu)
			return invariant_fail_vcpu(report,
			                           "a RUNNABLE vCPU is on "
			                           "exactly one runqueue:",
			                           vcpu);
		if (pcpu->pool != pool->id)
			return invariant_fail_vcpu(report,
			                           "a RUNNABLE vCPU is queued on "
			                           "a pCPU of its VM's pool:",
			                           vcpu);
		return 0;
	case SCHED_VCPU_OFFLOADED:
		if (queued != 1 || !pcpu || pool->micro_child < 0 ||
		    pcpu->pool != pool->micro_child ||
		    pcpu->runq_length > invariant_micro_queue_max(&sys->pools[pcpu->pool]))
			return invariant_fail_vcpu(report,
			                           "an OFFLOADED vCPU is on a runqueue "
			                           "of its pool's micro child, within "
			                           "its queue depth:",
			                           vcpu);
		return 0;
	case SCHED_VCPU_RUNNING:
		if (!pcpu || pcpu->current != vcpu || queued || linked)
			return invariant_fail_vcpu(report,
			                           "a RUNNING vCPU is its pCPU's "
			                           "current and on no runqueue:",
			                           vcpu);
		if (vcpu->borrowed && (pool->micro_child < 0 || pcpu->pool != pool->micro_child ||
		                       !sys->pools[pcpu->pool].params.micro_borrow))
			return invariant_fail_vcpu(report,
			                           "a borrowed vCPU runs on a pCPU of "
			                           "its pool's micro child, with "
			                           "micro_borrow on:",
			                           vcpu);
		return 0;
	case SCHED_VCPU_BLOCKED:
	case SCHED_VCPU_OFFLINE:
		/* current nowhere: a pCPU's current is RUNNING (checked). */
		if (queued || linked)
			return invariant_fail_vcpu(report,
			                           "a BLOCKED or OFFLINE vCPU is "
			                           "on no runqueue:",
			                           vcpu);
		return 0;
	default:
		return invariant_fail_vcpu(report, "a vCPU's state is valid:", vcpu);
	}
}

int sched_check_invariants(const struct sched_system *sys, char *error, size_t size)
{
	uint8_t queued[SCHED_MAX_VMS][SCHED_MAX_VCPUS_PER_VM];
	struct invariant_report report;
	unsigned i, j;
	int result;

	sched_format_init(&report.text, error, size);
	memset(queued, 0, sizeof(queued));
	result = invariant_pools(sys, &report);
	if (!result)
		result = invariant_runqueues(sys, &report, queued);

	for (i = 0; !result && i < SCHED_MAX_VMS; i++) {
		const struct sched_vm *vm = &sys->vms[i];

		if (!vm->in_use)
			continue;
		if (vm->pool < 0 || vm->pool >= SCHED_MAX_POOLS || !sys->pools[vm->pool].in_use ||
		    sys->pools[vm->pool].micro)
			return invariant_fail(&report, "a VM is in an in-use normal pool:", " vm ",
			                      i);
		for (j = 0; !result && j < vm->vcpu_count; j++) {
			result = invariant_vcpu(sys, &report, &vm->vcpus[j], queued[i][j]);
			if (!result)
				result = invariant_control(sys, &report, &vm->vcpus[j]);
		}
	}
	if (!result)
		result = invariant_slots(sys, &report);
	for (i = 0; !result && i < SCHED_MAX_POOLS; i++) {
		if (!sys->pools[i].in_use)
			continue;
		if (sched_ops_check(&sys->pools[i], &report.text) != 0)
			result = -1;
	}
	return result ? -1 : 0;
}
