/*
 * sched/pinned.c - the pinned policy: static vCPU->pCPU placement and no
 * time sharing, with the semantics of Xen's null scheduler
 * (xen/common/sched/null.c).
 *
 *  - Assignment: every online vCPU of a pool owns exactly one pCPU of that
 *    pool, and a pCPU is owned by at most one vCPU. A vCPU that has no pCPU
 *    when it becomes runnable (online, wake after its pCPU left the pool,
 *    VM moved in) takes the FIRST FREE pCPU IN POOL ORDER (lowest id
 *    first). vCPUs brought online in order therefore land on distinct
 *    pCPUs: vCPU v of the k-th VM of a pool gets pCPU (vCPUs of the VMs
 *    before it) + v, as long as there are enough.
 *  - Waiting: if no pCPU of the pool is free the vCPU waits, RUNNABLE but
 *    on no runqueue (pcpu == -1), in the pool's FIFO. A pCPU is released
 *    when its vCPU goes OFFLINE or leaves the pool (VM destroyed or moved);
 *    a pCPU that is released or joins the pool goes to the head of the
 *    FIFO at once. So a free pCPU and a waiting vCPU never coexist. A
 *    vCPU whose pCPU leaves the pool loses its assignment and gets a new
 *    one when it is next requeued (or waits, at the FIFO's tail).
 *  - Running: a pCPU runs only its own vCPU, with no slice end
 *    (SCHED_TIME_NEVER); it idles while that vCPU is BLOCKED (the vCPU
 *    keeps its pCPU). Nothing preempts it: no priorities
 *    (higher_priority is NULL), no credit, no BOOST, no stealing, no
 *    micro-sliced child. A yield changes nothing: the yielder is requeued
 *    on its own pCPU and picked again.
 *  - home_pcpu of an assigned vCPU is its pCPU, and -1 once the assignment
 *    is dropped, so the core's requeue always lands on the assigned pCPU
 *    or asks pick_pcpu.
 *
 * Policy-private state: struct pinned_pool (the FIFO head), pinned_pcpu
 * (its vCPU) and pinned_vcpu (its pCPU, FIFO node) in the policy_data
 * words, sizes checked below.
 *
 * Lock order: called by the core with the sched_system lock held.
 */
#include "sched/internal.h"

struct __attribute__((__may_alias__)) pinned_pool {
	struct sched_list waiting; /* FIFO of pinned_vcpu.wait_node */
};

struct __attribute__((__may_alias__)) pinned_pcpu {
	struct sched_vcpu *assigned; /* its vCPU, or NULL = free */
};

struct __attribute__((__may_alias__)) pinned_vcpu {
	struct sched_list wait_node; /* on pinned_pool.waiting if waiting */
	struct sched_vcpu *self;     /* wait_node -> vCPU                 */
	int32_t assigned;            /* its pCPU, or SCHED_NO_PCPU        */
	bool waiting;
};

_Static_assert(sizeof(struct pinned_pool) <= sizeof(((struct sched_pool *)0)->policy_data),
               "pinned_pool must fit in sched_pool.policy_data");
_Static_assert(sizeof(struct pinned_pcpu) <= sizeof(((struct sched_pcpu *)0)->policy_data),
               "pinned_pcpu must fit in sched_pcpu.policy_data");
_Static_assert(sizeof(struct pinned_vcpu) <= sizeof(((struct sched_vcpu *)0)->policy_data),
               "pinned_vcpu must fit in sched_vcpu.policy_data");

static struct pinned_pool *pinned_pool_of(struct sched_pool *pool)
{
	return (struct pinned_pool *)pool->policy_data;
}

static struct pinned_pcpu *pinned_pcpu_of(struct sched_pcpu *pcpu)
{
	return (struct pinned_pcpu *)pcpu->policy_data;
}

static struct pinned_vcpu *pinned_of(struct sched_vcpu *vcpu)
{
	return (struct pinned_vcpu *)vcpu->policy_data;
}

static const struct pinned_vcpu *pinned_of_const(const struct sched_vcpu *v)
{
	return (const struct pinned_vcpu *)v->policy_data;
}

/* First pCPU of the pool owned by no vCPU, or NULL. */
static struct sched_pcpu *pinned_first_free(struct sched_pool *pool)
{
	int i;

	for (i = 0; i < SCHED_MAX_PCPUS; i++) {
		struct sched_pcpu *pcpu = &pool->sys->pcpus[i];

		if (sched_pool_has_pcpu(pool, i) && !pinned_pcpu_of(pcpu)->assigned)
			return pcpu;
	}
	return NULL;
}

/* Drop the vCPU's assignment (the caller decides what its pCPU does). */
static struct sched_pcpu *pinned_unassign(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	struct pinned_vcpu *p = pinned_of(vcpu);
	struct sched_pcpu *pcpu;

	if (p->assigned < 0)
		return NULL;
	pcpu = &pool->sys->pcpus[p->assigned];
	if (pinned_pcpu_of(pcpu)->assigned == vcpu)
		pinned_pcpu_of(pcpu)->assigned = NULL;
	p->assigned = SCHED_NO_PCPU;
	vcpu->home_pcpu = SCHED_NO_PCPU;
	return pcpu;
}

static void pinned_assign(struct sched_pcpu *pcpu, struct sched_vcpu *vcpu)
{
	pinned_pcpu_of(pcpu)->assigned = vcpu;
	pinned_of(vcpu)->assigned = pcpu->id;
}

/* A free pCPU of the pool takes the vCPU at the head of the FIFO. */
static void pinned_fill(struct sched_pool *pool, struct sched_pcpu *pcpu)
{
	struct pinned_pool *pp = pinned_pool_of(pool);
	struct sched_vcpu *vcpu;
	struct pinned_vcpu *p;

	if (pinned_pcpu_of(pcpu)->assigned || sched_list_empty(&pp->waiting))
		return;
	p = (struct pinned_vcpu *)(void *)pp->waiting.next;
	vcpu = p->self;
	sched_list_remove(&p->wait_node);
	p->waiting = false;
	pinned_assign(pcpu, vcpu);
	sched_runq_link(pcpu, &pcpu->runq, vcpu);
	sched_trace(SCHED_TRACE_MIGRATE, vcpu, SCHED_TRACE_NONE, pcpu->id);
	sched_pcpu_kick(pool->sys, pcpu);
}

/* The vCPU gives up its pCPU (or its place in the FIFO). */
static void pinned_release(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	struct pinned_vcpu *p = pinned_of(vcpu);
	struct sched_pcpu *pcpu;

	if (p->waiting) {
		sched_list_remove(&p->wait_node);
		p->waiting = false;
	}
	pcpu = pinned_unassign(pool, vcpu);
	if (pcpu && sched_pool_has_pcpu(pool, pcpu->id))
		pinned_fill(pool, pcpu);
}

static void pinned_pool_init(struct sched_pool *pool)
{
	memset(pool->policy_data, 0, sizeof(pool->policy_data));
	sched_list_init(&pinned_pool_of(pool)->waiting);
}

static void pinned_pcpu_attach(struct sched_pool *pool, struct sched_pcpu *pcpu)
{
	memset(pcpu->policy_data, 0, sizeof(pcpu->policy_data));
	pinned_fill(pool, pcpu);
}

static void pinned_pcpu_detach(struct sched_pool *pool, struct sched_pcpu *pcpu)
{
	struct sched_vcpu *vcpu = pinned_pcpu_of(pcpu)->assigned;

	/* Its vCPU, if still here, runs or is blocked: it finds a new pCPU
	 * when the core requeues it (the pCPU is no longer in the pool). */
	if (vcpu)
		pinned_unassign(pool, vcpu);
	memset(pcpu->policy_data, 0, sizeof(pcpu->policy_data));
}

static void pinned_vcpu_insert(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	struct pinned_vcpu *p = pinned_of(vcpu);

	(void)pool;
	memset(vcpu->policy_data, 0, sizeof(vcpu->policy_data));
	sched_list_init(&p->wait_node);
	p->self = vcpu;
	p->assigned = SCHED_NO_PCPU;
}

static void pinned_enqueue(struct sched_pool *pool, struct sched_pcpu *pcpu,
                           struct sched_vcpu *vcpu)
{
	struct pinned_vcpu *p = pinned_of(vcpu);
	struct sched_pcpu *own;

	/* The core proposes `pcpu`; the assignment decides. */
	(void)pcpu;
	if (p->assigned >= 0 && !sched_pool_has_pcpu(pool, p->assigned))
		pinned_unassign(pool, vcpu); /* its pCPU is leaving the pool */
	if (p->assigned < 0) {
		own = pinned_first_free(pool);
		if (!own) {
			vcpu->pcpu = SCHED_NO_PCPU;
			p->waiting = true;
			sched_list_insert_before(&pinned_pool_of(pool)->waiting, &p->wait_node);
			return;
		}
		pinned_assign(own, vcpu);
	}
	own = &pool->sys->pcpus[p->assigned];
	sched_runq_link(own, &own->runq, vcpu);
}

static void pinned_tickle(struct sched_pool *pool, struct sched_pcpu *pcpu, struct sched_vcpu *vcpu)
{
	(void)pcpu;
	if (vcpu->pcpu >= 0 && pool->sys->pcpus[vcpu->pcpu].current != vcpu)
		sched_pcpu_kick(pool->sys, &pool->sys->pcpus[vcpu->pcpu]);
}

static struct sched_pcpu *pinned_pick_pcpu(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	const struct pinned_vcpu *p = pinned_of(vcpu);
	struct sched_pcpu *free_pcpu;
	int i;

	if (p->assigned >= 0 && sched_pool_has_pcpu(pool, p->assigned))
		return &pool->sys->pcpus[p->assigned];
	free_pcpu = pinned_first_free(pool);
	if (free_pcpu)
		return free_pcpu;
	/* None free: the vCPU will wait; any pCPU of the pool will do. */
	for (i = 0; i < SCHED_MAX_PCPUS; i++)
		if (sched_pool_has_pcpu(pool, i))
			return &pool->sys->pcpus[i];
	return NULL;
}

static struct sched_vcpu *pinned_pick_next(struct sched_pool *pool, struct sched_pcpu *pcpu,
                                           uint64_t now, uint64_t *slice_ns)
{
	struct sched_vcpu *vcpu = pinned_pcpu_of(pcpu)->assigned;

	(void)now;
	*slice_ns = SCHED_TIME_NEVER;
	if (!vcpu || vcpu->state != SCHED_VCPU_RUNNABLE || vcpu->pcpu != pcpu->id ||
	    sched_list_empty(&vcpu->runq_node) || !sched_vcpu_may_run(vcpu, now))
		return NULL;
	sched_runq_unlink(pool->sys, vcpu);
	return vcpu;
}

static bool pinned_waiting(const struct sched_pool *pool, const struct sched_vcpu *vcpu)
{
	(void)pool;
	return pinned_of_const(vcpu)->waiting;
}

/* ---- invariants (sched_check_invariants) ---- */

/* Append "pinned: RULE vm A vcpu B" (vcpu >= 0) or "pinned: RULE KIND A". */
static int pinned_fail(struct sched_format *message, const char *rule, const char *kind,
                       unsigned id, int vcpu)
{
	sched_format_string(message, "pinned: ");
	sched_format_string(message, rule);
	sched_format_string(message, kind);
	sched_format_unsigned(message, id);
	if (vcpu >= 0) {
		sched_format_string(message, " vcpu ");
		sched_format_unsigned(message, (unsigned)vcpu);
	}
	return -1;
}

static int pinned_check_vcpu(const struct sched_pool *pool, const struct sched_vcpu *vcpu,
                             unsigned *waiting)
{
	const struct pinned_vcpu *p = pinned_of_const(vcpu);
	const struct sched_system *sys = pool->sys;

	if (p->waiting) {
		(*waiting)++;
		if (vcpu->state != SCHED_VCPU_RUNNABLE || vcpu->pcpu >= 0 || p->assigned >= 0)
			return 1;
	} else if (vcpu->state == SCHED_VCPU_RUNNABLE &&
	           (p->assigned < 0 || vcpu->pcpu != p->assigned)) {
		return 2;
	}
	if (p->assigned < 0)
		return 0;
	if (!sched_pool_has_pcpu(pool, p->assigned) ||
	    ((const struct pinned_pcpu *)sys->pcpus[p->assigned].policy_data)->assigned != vcpu)
		return 3;
	if (vcpu->state == SCHED_VCPU_OFFLINE)
		return 4;
	if (vcpu->state == SCHED_VCPU_RUNNING && vcpu->pcpu != p->assigned)
		return 5;
	return 0;
}

static int pinned_check(const struct sched_pool *pool, struct sched_format *message)
{
	static const char *const vcpu_rules[] = {
	    NULL,
	    "a waiting vCPU is RUNNABLE on no pCPU and owns none:",
	    "a RUNNABLE vCPU is queued on the pCPU it owns or waits:",
	    "a vCPU owns a pCPU of its pool that names it (one vCPU per "
	    "pCPU):",
	    "an OFFLINE vCPU owns no pCPU:",
	    "a RUNNING vCPU owning a pCPU runs there:",
	};
	const struct sched_system *sys = pool->sys;
	const struct pinned_pool *pp = (const struct pinned_pool *)pool->policy_data;
	const struct sched_list *node;
	unsigned waiting = 0, listed = 0, i, j;
	bool any_free = false;

	for (i = 0; i < SCHED_MAX_PCPUS; i++) {
		const struct sched_pcpu *pcpu = &sys->pcpus[i];
		const struct sched_vcpu *vcpu =
		    ((const struct pinned_pcpu *)pcpu->policy_data)->assigned;

		if (!sched_pool_has_pcpu(pool, (int)i))
			continue;
		if (!vcpu) {
			any_free = true;
			if (pcpu->runq_length)
				return pinned_fail(message,
				                   "a free pCPU has an empty "
				                   "runqueue:",
				                   " pcpu ", i, -1);
			continue;
		}
		if (vcpu->vm->pool != pool->id || pinned_of_const(vcpu)->assigned != (int)i)
			return pinned_fail(message,
			                   "a pCPU's vCPU is of its pool and "
			                   "owns it:",
			                   " pcpu ", i, -1);
		if (pcpu->runq_length > 1 ||
		    (pcpu->runq_length == 1 && sched_runq_vcpu(pcpu->runq.next) != vcpu))
			return pinned_fail(message, "a pCPU queues only its own vCPU:", " pcpu ", i,
			                   -1);
	}
	for (i = 0; i < SCHED_MAX_VMS; i++) {
		const struct sched_vm *vm = &sys->vms[i];

		if (!vm->in_use || vm->pool != pool->id)
			continue;
		for (j = 0; j < vm->vcpu_count; j++) {
			int rule = pinned_check_vcpu(pool, &vm->vcpus[j], &waiting);

			if (rule)
				return pinned_fail(message, vcpu_rules[rule], " vm ", i, (int)j);
		}
	}
	for (node = pp->waiting.next; node != &pp->waiting; node = node->next) {
		const struct sched_vcpu *vcpu =
		    ((const struct pinned_vcpu *)(const void *)node)->self;

		if (++listed > waiting || !vcpu || vcpu->vm->pool != pool->id ||
		    !pinned_of_const(vcpu)->waiting)
			return pinned_fail(message,
			                   "the waiting FIFO holds exactly the "
			                   "waiting vCPUs of the pool:",
			                   " pool ", (unsigned)pool->id, -1);
	}
	if (listed != waiting)
		return pinned_fail(message,
		                   "the waiting FIFO holds exactly the waiting "
		                   "vCPUs of the pool:",
		                   " pool ", (unsigned)pool->id, -1);
	if (waiting && any_free)
		return pinned_fail(message,
		                   "no vCPU waits while a pCPU of the pool is "
		                   "free:",
		                   " pool ", (unsigned)pool->id, -1);
	return 0;
}

const struct sched_ops sched_pinned_ops = {
    .name = "pinned",
    .static_placement = true,
    .pool_init = pinned_pool_init,
    .pcpu_attach = pinned_pcpu_attach,
    .pcpu_detach = pinned_pcpu_detach,
    .vcpu_insert = pinned_vcpu_insert,
    .vcpu_remove = pinned_release,
    .offline = pinned_release,
    .enqueue = pinned_enqueue,
    .tickle = pinned_tickle,
    .pick_pcpu = pinned_pick_pcpu,
    .pick_next = pinned_pick_next,
    .waiting = pinned_waiting,
    .check = pinned_check,
};
