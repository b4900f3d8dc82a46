/*
 * sched/credit.c - the credit policy, with Xen 4.7 credit1 semantics.
 *
 *  - Credit: a vCPU burns params.credits_per_ms credits per ms of CPU time
 *    (10: one credit per 100 us), charged at every schedule-out and tick.
 *  - Accounting (every account_period_ns, by the pool's master pCPU):
 *    credits_per_ms * period * (normal pCPUs of the pool) credits are
 *    shared among VMs with active vCPUs in proportion to weight x active
 *    vCPUs, then equally among a VM's active vCPUs (rounded up, as Xen).
 *    credit < 0 -> OVER (floored at -P), else UNDER; a vCPU above +P stops
 *    earning (inactive) and keeps half; P = credits of one period on one
 *    pCPU (Xen's credits_per_tslice with tslice = accounting period).
 *  - Tick (every tick_ns on a busy pCPU): BOOST -> UNDER, mark active.
 *  - Priorities BOOST > UNDER > OVER > IDLE. Only a vCPU woken from
 *    BLOCKED with UNDER gets BOOST (a runnable mixed CPU+I/O vCPU gets none).
 *  - Runqueues are ordered by priority, FIFO within a priority; a yielding
 *    vCPU goes behind its equals and one lower-priority vCPU (Xen).
 *  - Tickle: a queued vCPU of higher priority than the one running on its
 *    pCPU makes that pCPU re-pick; if that pCPU is busy, one idle pCPU of
 *    the pool is kicked to steal.
 *  - Stealing: when the local candidate is OVER or there is none, take the
 *    first queued vCPU of a peer pCPU of the same pool with a higher
 *    priority (peers scanned round-robin from the next pCPU). Micro pools
 *    never steal (their params.steal is false).
 *  - Cap (Xen's credit cap, sched_vm.cap): a VM with cap C runs at most
 *    C % of one pCPU in total over each accounting period: its CPU time
 *    in the period (cap_used_ns, charged at every burn, plus the running
 *    vCPUs' uncharged time) against C x period / 100. run_budget tells the
 *    core how long a vCPU may still run (the rest shared among the VM's
 *    running vCPUs), so a slice ends when the budget does; at 0 the VM is
 *    "parked": its vCPUs stay queued and pick_next and stealing skip them
 *    until the next accounting resets the budget and kicks the pCPUs.
 *  - Hard affinity: pick_pcpu and stealing consider only pCPUs of the
 *    vCPU's affinity (the core enforces it for running vCPUs).
 *  - Deviation from Xen: after accounting, runqueues are re-sorted so the
 *    priority order holds at all times (Xen only sorts on insert).
 *
 * Policy-private state: struct credit_vcpu / credit_vm in the policy_data
 * words (may_alias structs, sizes checked below).
 *
 * Lock order: called by the core with the sched_system lock held.
 */
#include "sched/internal.h"

enum credit_priority {
	CREDIT_PRI_IDLE = SCHED_PRIORITY_IDLE,
	CREDIT_PRI_OVER = SCHED_PRIORITY_OVER,
	CREDIT_PRI_UNDER = SCHED_PRIORITY_UNDER,
	CREDIT_PRI_BOOST = SCHED_PRIORITY_BOOST,
};

struct __attribute__((__may_alias__)) credit_vcpu {
	int64_t credit;
	uint64_t burn_remainder; /* ns x credits_per_ms not yet burnt */
	int32_t priority;
	bool active; /* earns credit at accounting        */
	bool yielding;
};

struct __attribute__((__may_alias__)) credit_vm {
	uint32_t active_vcpus;
	int64_t cap_used_ns; /* CPU time charged this period (may start < 0:
	                        what running vCPUs ran before the period)  */
};

_Static_assert(sizeof(struct credit_vcpu) <= sizeof(((struct sched_vcpu *)0)->policy_data),
               "credit_vcpu must fit in sched_vcpu.policy_data");
_Static_assert(sizeof(struct credit_vm) <= sizeof(((struct sched_vm *)0)->policy_data),
               "credit_vm must fit in sched_vm.policy_data");

static struct credit_vcpu *credit_of(struct sched_vcpu *vcpu)
{
	return (struct credit_vcpu *)vcpu->policy_data;
}

static const struct credit_vcpu *credit_of_const(const struct sched_vcpu *v)
{
	return (const struct credit_vcpu *)v->policy_data;
}

static struct credit_vm *credit_vm_of(struct sched_vm *vm)
{
	return (struct credit_vm *)vm->policy_data;
}

static const struct credit_vm *credit_vm_of_const(const struct sched_vm *vm)
{
	return (const struct credit_vm *)vm->policy_data;
}

/* CPU time the running vCPUs of `vm` ran since their last charge. */
static uint64_t credit_vm_uncharged(const struct sched_vm *vm, uint64_t now, unsigned *running)
{
	uint64_t total = 0;
	unsigned i;

	*running = 0;
	for (i = 0; i < vm->vcpu_count; i++) {
		const struct sched_vcpu *v = &vm->vcpus[i];

		if (v->state != SCHED_VCPU_RUNNING)
			continue;
		(*running)++;
		if (now > v->burn_from)
			total += now - v->burn_from;
	}
	return total;
}

static uint64_t credit_run_budget(const struct sched_pool *pool, const struct sched_vcpu *vcpu,
                                  uint64_t now)
{
	const struct sched_vm *vm = vcpu->vm;
	uint64_t limit;
	int64_t used;
	unsigned running;

	if (!vm->cap)
		return SCHED_TIME_NEVER;
	limit = pool->params.account_period_ns * vm->cap / SCHED_CAP_PER_VCPU;
	used =
	    credit_vm_of_const(vm)->cap_used_ns + (int64_t)credit_vm_uncharged(vm, now, &running);
	if (used >= (int64_t)limit)
		return 0;
	if (vcpu->state != SCHED_VCPU_RUNNING)
		running++;
	return ((uint64_t)((int64_t)limit - used) + running - 1) / running;
}

static int credit_priority(const struct sched_vcpu *vcpu)
{
	return credit_of_const(vcpu)->priority;
}

static int64_t credit_balance(const struct sched_vcpu *vcpu)
{
	return credit_of_const(vcpu)->credit;
}

static int64_t credit_per_period(const struct sched_pool *pool)
{
	return (int64_t)(pool->params.credits_per_ms * pool->params.account_period_ns /
	                 SCHED_NS_PER_MS);
}

static void credit_activate(struct sched_vcpu *vcpu)
{
	struct credit_vcpu *c = credit_of(vcpu);

	if (!c->active) {
		c->active = true;
		credit_vm_of(vcpu->vm)->active_vcpus++;
	}
}

static void credit_deactivate(struct sched_vcpu *vcpu)
{
	struct credit_vcpu *c = credit_of(vcpu);

	if (c->active) {
		c->active = false;
		credit_vm_of(vcpu->vm)->active_vcpus--;
	}
}

static void credit_pool_init(struct sched_pool *pool)
{
	memset(pool->policy_data, 0, sizeof(pool->policy_data));
}

static void credit_pcpu_attach(struct sched_pool *pool, struct sched_pcpu *pcpu)
{
	(void)pool;
	memset(pcpu->policy_data, 0, sizeof(pcpu->policy_data));
}

static void credit_vcpu_insert(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	struct credit_vcpu *c = credit_of(vcpu);

	(void)pool;
	memset(vcpu->policy_data, 0, sizeof(vcpu->policy_data));
	c->priority = CREDIT_PRI_UNDER;
}

static void credit_vcpu_remove(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	(void)pool;
	credit_deactivate(vcpu);
}

static bool credit_wake(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	struct credit_vcpu *c = credit_of(vcpu);

	(void)pool;
	if (c->priority == CREDIT_PRI_UNDER) {
		c->priority = CREDIT_PRI_BOOST;
		return true;
	}
	return false;
}

static void credit_yield(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	(void)pool;
	credit_of(vcpu)->yielding = true;
}

static void credit_enqueue(struct sched_pool *pool, struct sched_pcpu *pcpu,
                           struct sched_vcpu *vcpu)
{
	struct credit_vcpu *c = credit_of(vcpu);
	struct sched_list *position = pcpu->runq.next;

	(void)pool;
	while (position != &pcpu->runq && credit_priority(sched_runq_vcpu(position)) >= c->priority)
		position = position->next;
	/* A yielder also lets one lower-priority vCPU go first. */
	if (c->yielding && position != &pcpu->runq)
		position = position->next;
	c->yielding = false;
	sched_runq_link(pcpu, position, vcpu);
}

static void credit_tickle(struct sched_pool *pool, struct sched_pcpu *pcpu, struct sched_vcpu *vcpu)
{
	struct sched_system *sys = pool->sys;
	int current_priority = pcpu->current ? credit_priority(pcpu->current) : CREDIT_PRI_IDLE;
	unsigned i;

	if (credit_priority(vcpu) > current_priority)
		sched_pcpu_kick(sys, pcpu);
	if (!pcpu->current || !pool->params.steal)
		return;
	/* The pCPU is busy: let one idle peer steal the work. */
	for (i = 1; i < SCHED_MAX_PCPUS; i++) {
		int id = (pcpu->id + i) % SCHED_MAX_PCPUS;
		struct sched_pcpu *peer = &sys->pcpus[id];

		if (sched_pool_has_pcpu(pool, id) && !peer->current &&
		    sched_list_empty(&peer->runq)) {
			sched_pcpu_kick(sys, peer);
			return;
		}
	}
}

static struct sched_pcpu *credit_pick_pcpu(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	struct sched_system *sys = pool->sys;
	struct sched_pcpu *best = NULL;
	unsigned best_load = 0, i;
	int start = vcpu->home_pcpu >= 0 ? vcpu->home_pcpu : 0;

	for (i = 0; i < SCHED_MAX_PCPUS; i++) {
		int id = (start + (int)i) % SCHED_MAX_PCPUS;
		struct sched_pcpu *pcpu = &sys->pcpus[id];
		unsigned load;

		if (!sched_pool_has_pcpu(pool, id) || !sched_vcpu_affine(vcpu, id))
			continue;
		load = pcpu->runq_length + (pcpu->current ? 1u : 0u);
		if (!best || load < best_load) {
			best = pcpu;
			best_load = load;
		}
		if (load == 0)
			break;
	}
	return best;
}

/* Take the first vCPU above `priority` queued on a peer pCPU. */
static struct sched_vcpu *credit_steal(struct sched_pool *pool, struct sched_pcpu *pcpu,
                                       int priority, uint64_t now)
{
	struct sched_system *sys = pool->sys;
	unsigned i;

	for (i = 1; i < SCHED_MAX_PCPUS; i++) {
		int id = (pcpu->id + i) % SCHED_MAX_PCPUS;
		struct sched_pcpu *peer = &sys->pcpus[id];
		struct sched_list *node;

		if (!sched_pool_has_pcpu(pool, id))
			continue;
		for (node = peer->runq.next; node != &peer->runq; node = node->next) {
			struct sched_vcpu *vcpu = sched_runq_vcpu(node);

			if (credit_priority(vcpu) <= priority)
				break;
			if (vcpu->directed_target || !sched_vcpu_affine(vcpu, pcpu->id) ||
			    !sched_vcpu_may_run(vcpu, now))
				continue;
			sched_runq_unlink(sys, vcpu);
			sys->counters.steals++;
			sched_trace(SCHED_TRACE_MIGRATE, vcpu, peer->id, pcpu->id);
			return vcpu;
		}
	}
	return NULL;
}

static struct sched_vcpu *credit_pick_next(struct sched_pool *pool, struct sched_pcpu *pcpu,
                                           uint64_t now, uint64_t *slice_ns)
{
	struct sched_system *sys = pool->sys;
	struct sched_vcpu *head = NULL, *stolen;
	struct sched_list *node;
	int head_priority = CREDIT_PRI_IDLE;

	*slice_ns = pool->params.slice_ns;
	/* The first queued vCPU that may run (paused or capped ones wait). */
	for (node = pcpu->runq.next; node != &pcpu->runq; node = node->next) {
		if (sched_vcpu_may_run(sched_runq_vcpu(node), now)) {
			head = sched_runq_vcpu(node);
			head_priority = credit_priority(head);
			break;
		}
	}
	if (head && head_priority > CREDIT_PRI_OVER) {
		sched_runq_unlink(sys, head);
		return head;
	}
	if (pool->params.steal && !pool->micro) {
		stolen = credit_steal(pool, pcpu, head_priority, now);
		if (stolen)
			return stolen;
	}
	if (head)
		sched_runq_unlink(sys, head);
	return head;
}

static bool credit_higher_priority(struct sched_pool *pool, const struct sched_vcpu *vcpu,
                                   const struct sched_vcpu *running)
{
	(void)pool;
	return credit_priority(vcpu) > credit_priority(running);
}

static void credit_burn(struct sched_pool *pool, struct sched_vcpu *vcpu, uint64_t ran_ns)
{
	struct credit_vcpu *c = credit_of(vcpu);
	uint64_t total = ran_ns * pool->params.credits_per_ms + c->burn_remainder;

	c->credit -= (int64_t)(total / SCHED_NS_PER_MS);
	c->burn_remainder = total % SCHED_NS_PER_MS;
	credit_vm_of(vcpu->vm)->cap_used_ns += (int64_t)ran_ns;
	if (vcpu->vm->cap && credit_run_budget(pool, vcpu, sched_env_now()) == 0)
		pool->sys->counters.cap_parks++;
}

static void credit_tick(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	struct credit_vcpu *c = credit_of(vcpu);

	(void)pool;
	if (c->priority == CREDIT_PRI_BOOST)
		c->priority = CREDIT_PRI_UNDER;
	credit_activate(vcpu);
}

/* Re-insert every queued vCPU of a pCPU in priority order (stable). */
static void credit_resort(struct sched_pool *pool, struct sched_pcpu *pcpu)
{
	struct sched_list pending;

	sched_list_init(&pending);
	while (!sched_list_empty(&pcpu->runq)) {
		struct sched_list *node = pcpu->runq.next;

		sched_list_remove(node);
		pcpu->runq_length--;
		sched_list_insert_before(&pending, node);
	}
	while (!sched_list_empty(&pending)) {
		struct sched_list *node = pending.next;

		sched_list_remove(node);
		credit_enqueue(pool, pcpu, sched_runq_vcpu(node));
	}
}

/* A new cap period: what running vCPUs ran before now is the old one's
 * (charged later, so each VM's count starts below zero); parked vCPUs may
 * run again, so their pCPUs (and micro pCPUs) re-pick. */
static void credit_cap_period(struct sched_pool *pool, uint64_t now)
{
	struct sched_system *sys = pool->sys;
	bool capped = false;
	unsigned i;

	for (i = 0; i < SCHED_MAX_VMS; i++) {
		struct sched_vm *vm = &sys->vms[i];
		unsigned running;

		if (!vm->in_use || vm->pool != pool->id)
			continue;
		credit_vm_of(vm)->cap_used_ns = -(int64_t)credit_vm_uncharged(vm, now, &running);
		capped = capped || vm->cap;
	}
	for (i = 0; capped && i < SCHED_MAX_PCPUS; i++) {
		const struct sched_pcpu *p = &sys->pcpus[i];

		if (!sched_list_empty(&p->runq) &&
		    (p->pool == pool->id || (p->pool >= 0 && p->pool == pool->micro_child)))
			sched_pcpu_kick(sys, &sys->pcpus[i]);
	}
}

static void credit_account(struct sched_pool *pool, uint64_t now)
{
	struct sched_system *sys = pool->sys;
	int64_t bound = credit_per_period(pool);
	int64_t credit_total = bound * (int64_t)pool->pcpu_count;
	int64_t weight_total = 0;
	unsigned i, j;

	credit_cap_period(pool, now);
	for (i = 0; i < SCHED_MAX_VMS; i++) {
		struct sched_vm *vm = &sys->vms[i];

		if (vm->in_use && vm->pool == pool->id)
			weight_total += (int64_t)vm->weight * credit_vm_of(vm)->active_vcpus;
	}
	if (weight_total == 0)
		return;
	for (i = 0; i < SCHED_MAX_VMS; i++) {
		struct sched_vm *vm = &sys->vms[i];
		int64_t active, fair;

		if (!vm->in_use || vm->pool != pool->id)
			continue;
		active = credit_vm_of(vm)->active_vcpus;
		if (!active)
			continue;
		fair =
		    (credit_total * (int64_t)vm->weight * active + weight_total - 1) / weight_total;
		fair = (fair + active - 1) / active;
		for (j = 0; j < vm->vcpu_count; j++) {
			struct sched_vcpu *vcpu = &vm->vcpus[j];
			struct credit_vcpu *c = credit_of(vcpu);

			if (!c->active)
				continue;
			c->credit += fair;
			if (c->credit < 0) {
				c->priority = CREDIT_PRI_OVER;
				if (c->credit < -bound)
					c->credit = -bound;
			} else {
				c->priority = CREDIT_PRI_UNDER;
				if (c->credit > bound) {
					credit_deactivate(vcpu);
					c->credit /= 2;
				}
			}
		}
	}
	for (i = 0; i < SCHED_MAX_PCPUS; i++)
		if (sched_pool_has_pcpu(pool, (int)i))
			credit_resort(pool, &sys->pcpus[i]);
}

const struct sched_ops sched_credit_ops = {
    .name = "credit",
    .pool_init = credit_pool_init,
    .pcpu_attach = credit_pcpu_attach,
    .vcpu_insert = credit_vcpu_insert,
    .vcpu_remove = credit_vcpu_remove,
    .wake = credit_wake,
    .yield = credit_yield,
    .enqueue = credit_enqueue,
    .tickle = credit_tickle,
    .pick_pcpu = credit_pick_pcpu,
    .pick_next = credit_pick_next,
    .higher_priority = credit_higher_priority,
    .burn = credit_burn,
    .tick = credit_tick,
    .account = credit_account,
    .priority = credit_priority,
    .credit = credit_balance,
    .run_budget = credit_run_budget,
};
