/*
 * sched/internal.h - what the files of sched/ share with each other: the
 * policy interface (struct sched_ops) and the core's helpers for
 * runqueues, placement, tracing and kicks. Not for use outside sched/.
 *
 * A policy lives in one file (sched/credit.c, sched/pinned.c) and keeps
 * its private state in the policy_data words of struct sched_vcpu /
 * sched_vm / sched_pcpu / sched_pool, cast to its own structs. The core (sched/core.c) owns the
 * vCPU state machine and the runqueue lists; a policy decides the order of
 * a runqueue, which vCPU runs next, who gets kicked, and credit.
 *
 * Invariants (hold whenever the scheduler lock is free):
 *  - a RUNNABLE vCPU is on exactly one runqueue, of a pCPU of its VM's pool,
 *    unless its pool's policy keeps it waiting (sched_ops.waiting; pinned:
 *    then it is on no runqueue and its pcpu is -1);
 *  - an OFFLOADED vCPU is on the runqueue of a pCPU of its VM's pool's
 *    micro child, and that runqueue holds at most micro_queue_depth
 *    vCPUs (one more with micro_batch: see sched_offload_slot_free);
 *  - a micro pool's free_slots is exactly its pCPUs for which
 *    sched_offload_slot_free() holds; sys->busy_mask the pCPUs with a
 *    current vCPU;
 *  - a RUNNING vCPU is pcpus[vcpu->pcpu].current and on no runqueue;
 *  - BLOCKED and OFFLINE vCPUs are on no runqueue and current nowhere.
 * sched_check_invariants() (sched/invariants.c) verifies these, the pool
 * invariants of sched/cpupool.c and each policy's own (sched_ops.check).
 *
 * Lock order: every function here expects the sched_system lock held.
 */
#ifndef SCHED_INTERNAL_H
#define SCHED_INTERNAL_H

#include "sched/format.h"
#include "sched/sched.h"

/*
 * The policy interface. All hooks are called with the lock held; `pool` is
 * the pool whose policy instance is addressed. Hooks about a vCPU's credit
 * (insert, remove, wake, yield, offline, burn, tick, priority) are always
 * called on the vCPU's own normal pool, even while it runs on a
 * micro-sliced pCPU: that is how a micro pool shares its parent's credit
 * accounting.
 *
 * Mandatory hooks (the core cannot place or run a vCPU without them):
 * enqueue, tickle, pick_pcpu, pick_next. Every other hook is optional: a
 * policy that does not need it leaves it NULL and the core calls it only
 * through the sched_ops_*() wrappers below, which skip a NULL hook and
 * return the documented default. Nothing in sched/ calls a hook directly.
 */
struct sched_ops {
	const char *name;
	/* Each online vCPU owns one pCPU and nothing is time-shared (pinned);
	 * see sched_policy_time_shares(). */
	bool static_placement;
	/* Optional. The pool was created (params already copied in). */
	void (*pool_init)(struct sched_pool *pool);
	/* Optional. pCPU joins / leaves the pool (attach: already in the
	 * pool's mask, runqueue empty; detach: already out of the mask, its
	 * queued vCPUs already moved away). */
	void (*pcpu_attach)(struct sched_pool *pool, struct sched_pcpu *pcpu);
	void (*pcpu_detach)(struct sched_pool *pool, struct sched_pcpu *pcpu);
	/* Optional. The vCPU's VM joins / leaves the pool (VM create, move,
	 * destroy). */
	void (*vcpu_insert)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	void (*vcpu_remove)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* Optional. BLOCKED -> runnable: may BOOST; returns true if it
	 * boosted. NULL: never boosts. */
	bool (*wake)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* Optional. The running vCPU yields: it goes behind its peers when
	 * requeued. */
	void (*yield)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* Optional. The vCPU just became OFFLINE (on no runqueue, current
	 * nowhere). */
	void (*offline)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* Mandatory. Put a runnable vCPU on pcpu's runqueue in policy order
	 * (a policy with static placement may keep it waiting instead, see
	 * `waiting`). */
	void (*enqueue)(struct sched_pool *pool, struct sched_pcpu *pcpu, struct sched_vcpu *vcpu);
	/* Mandatory. A vCPU was queued on pcpu: kick whoever should re-pick. */
	void (*tickle)(struct sched_pool *pool, struct sched_pcpu *pcpu, struct sched_vcpu *vcpu);
	/* Mandatory. Choose a pCPU of the pool for a vCPU that has none (or a
	 * stale one); never NULL while the pool has a pCPU. */
	struct sched_pcpu *(*pick_pcpu)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* Mandatory. Dequeue and return what pcpu runs next (may steal),
	 * NULL = idle; *slice_ns receives its time slice (SCHED_TIME_NEVER:
	 * no slice end). */
	struct sched_vcpu *(*pick_next)(struct sched_pool *pool, struct sched_pcpu *pcpu,
	                                uint64_t now, uint64_t *slice_ns);
	/* Optional. Would `vcpu` queued now preempt `running`? (ranking
	 * only). NULL: never. */
	bool (*higher_priority)(struct sched_pool *pool, const struct sched_vcpu *vcpu,
	                        const struct sched_vcpu *running);
	/* Optional. Charge `ran_ns` of CPU time to the vCPU. */
	void (*burn)(struct sched_pool *pool, struct sched_vcpu *vcpu, uint64_t ran_ns);
	/* Optional. Periodic tick of a pCPU running `vcpu`. */
	void (*tick)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* Optional. Periodic accounting by the pool's master pCPU. */
	void (*account)(struct sched_pool *pool, uint64_t now);
	/* Optional. For traces and observation: priority and credit balance.
	 * NULL: 0. */
	int (*priority)(const struct sched_vcpu *vcpu);
	int64_t (*credit)(const struct sched_vcpu *vcpu);
	/* Optional. Is this RUNNABLE vCPU kept off every runqueue by the
	 * policy (pinned: waiting for a free pCPU)? NULL: never. */
	bool (*waiting)(const struct sched_pool *pool, const struct sched_vcpu *vcpu);
	/* Optional. How long the vCPU may still run from `now` before its VM
	 * reaches a limit (credit cap), 0 = parked now. NULL: no limit
	 * (SCHED_TIME_NEVER). Called on the vCPU's own pool. */
	uint64_t (*run_budget)(const struct sched_pool *pool, const struct sched_vcpu *vcpu,
	                       uint64_t now);
	/* Optional. Verify the policy's own invariants for sched_check_
	 * invariants(): 0, or -1 with a message appended to `message`. */
	int (*check)(const struct sched_pool *pool, struct sched_format *message);
};

extern const struct sched_ops sched_credit_ops;
extern const struct sched_ops sched_pinned_ops;

/* ---- the hook wrappers: the only way the core calls a policy ---- */

static inline void sched_ops_pool_init(struct sched_pool *pool)
{
	if (pool->policy.ops->pool_init)
		pool->policy.ops->pool_init(pool);
}

static inline void sched_ops_pcpu_attach(struct sched_pool *pool, struct sched_pcpu *pcpu)
{
	if (pool->policy.ops->pcpu_attach)
		pool->policy.ops->pcpu_attach(pool, pcpu);
}

static inline void sched_ops_pcpu_detach(struct sched_pool *pool, struct sched_pcpu *pcpu)
{
	if (pool->policy.ops->pcpu_detach)
		pool->policy.ops->pcpu_detach(pool, pcpu);
}

static inline void sched_ops_vcpu_insert(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	if (pool->policy.ops->vcpu_insert)
		pool->policy.ops->vcpu_insert(pool, vcpu);
}

static inline void sched_ops_vcpu_remove(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	if (pool->policy.ops->vcpu_remove)
		pool->policy.ops->vcpu_remove(pool, vcpu);
}

static inline bool sched_ops_wake(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	return pool->policy.ops->wake ? pool->policy.ops->wake(pool, vcpu) : false;
}

static inline void sched_ops_yield(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	if (pool->policy.ops->yield)
		pool->policy.ops->yield(pool, vcpu);
}

static inline void sched_ops_offline(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	if (pool->policy.ops->offline)
		pool->policy.ops->offline(pool, vcpu);
}

static inline void sched_ops_enqueue(struct sched_pool *pool, struct sched_pcpu *pcpu,
                                     struct sched_vcpu *vcpu)
{
	pool->policy.ops->enqueue(pool, pcpu, vcpu);
}

static inline void sched_ops_tickle(struct sched_pool *pool, struct sched_pcpu *pcpu,
                                    struct sched_vcpu *vcpu)
{
	pool->policy.ops->tickle(pool, pcpu, vcpu);
}

static inline struct sched_pcpu *sched_ops_pick_pcpu(struct sched_pool *pool,
                                                     struct sched_vcpu *vcpu)
{
	return pool->policy.ops->pick_pcpu(pool, vcpu);
}

static inline struct sched_vcpu *sched_ops_pick_next(struct sched_pool *pool,
                                                     struct sched_pcpu *pcpu, uint64_t now,
                                                     uint64_t *slice_ns)
{
	return pool->policy.ops->pick_next(pool, pcpu, now, slice_ns);
}

static inline bool sched_ops_higher_priority(struct sched_pool *pool, const struct sched_vcpu *vcpu,
                                             const struct sched_vcpu *running)
{
	return pool->policy.ops->higher_priority
	           ? pool->policy.ops->higher_priority(pool, vcpu, running)
	           : false;
}

static inline void sched_ops_burn(struct sched_pool *pool, struct sched_vcpu *vcpu, uint64_t ran_ns)
{
	if (pool->policy.ops->burn)
		pool->policy.ops->burn(pool, vcpu, ran_ns);
}

static inline void sched_ops_tick(struct sched_pool *pool, struct sched_vcpu *vcpu)
{
	if (pool->policy.ops->tick)
		pool->policy.ops->tick(pool, vcpu);
}

static inline void sched_ops_account(struct sched_pool *pool, uint64_t now)
{
	if (pool->policy.ops->account)
		pool->policy.ops->account(pool, now);
}

static inline int sched_ops_priority(const struct sched_pool *pool, const struct sched_vcpu *vcpu)
{
	return pool->policy.ops->priority ? pool->policy.ops->priority(vcpu) : 0;
}

static inline int64_t sched_ops_credit(const struct sched_pool *pool, const struct sched_vcpu *vcpu)
{
	return pool->policy.ops->credit ? pool->policy.ops->credit(vcpu) : 0;
}

static inline bool sched_ops_waiting(const struct sched_pool *pool, const struct sched_vcpu *vcpu)
{
	return pool->policy.ops->waiting ? pool->policy.ops->waiting(pool, vcpu) : false;
}

static inline uint64_t sched_ops_run_budget(const struct sched_pool *pool,
                                            const struct sched_vcpu *vcpu, uint64_t now)
{
	return pool->policy.ops->run_budget ? pool->policy.ops->run_budget(pool, vcpu, now)
	                                    : SCHED_TIME_NEVER;
}

static inline int sched_ops_check(const struct sched_pool *pool, struct sched_format *message)
{
	return pool->policy.ops->check ? pool->policy.ops->check(pool, message) : 0;
}

/* ---- intrusive lists ---- */

static inline void sched_list_init(struct sched_list *list)
{
	list->next = list;
	list->prev = list;
}

static inline bool sched_list_empty(const struct sched_list *list)
{
	return list->next == list;
}

/* Insert `node` right before `position` (position == head: at the tail). */
static inline void sched_list_insert_before(struct sched_list *position, struct sched_list *node)
{
	node->prev = position->prev;
	node->next = position;
	position->prev->next = node;
	position->prev = node;
}

static inline void sched_list_remove(struct sched_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->next = node;
	node->prev = node;
}

#define sched_runq_vcpu(node)                                                                      \
	((struct sched_vcpu *)((char *)(node)-offsetof(struct sched_vcpu, runq_node)))

/* ---- core helpers (sched/core.c) ---- */

static inline struct sched_system *sched_vcpu_system(const struct sched_vcpu *v)
{
	return v->vm->sys;
}

static inline struct sched_pool *sched_vcpu_pool(const struct sched_vcpu *v)
{
	return &v->vm->sys->pools[v->vm->pool];
}

static inline struct sched_pool *sched_pcpu_pool(struct sched_system *sys,
                                                 const struct sched_pcpu *p)
{
	return p->pool < 0 ? NULL : &sys->pools[p->pool];
}

static inline bool sched_pool_has_pcpu(const struct sched_pool *pool, int pcpu)
{
	return pcpu >= 0 && pcpu < SCHED_MAX_PCPUS && (pool->pcpu_mask >> pcpu) & 1;
}

/* May `vcpu` run on pCPU `pcpu` per its hard affinity? */
static inline bool sched_vcpu_affine(const struct sched_vcpu *vcpu, int pcpu)
{
	return pcpu >= 0 && pcpu < SCHED_MAX_PCPUS && (vcpu->affinity >> pcpu) & 1;
}

/* May `vcpu` be picked now: its VM is not paused and not over its cap.
 * Policies skip a vCPU that may not (it stays queued). */
static inline bool sched_vcpu_may_run(const struct sched_vcpu *vcpu, uint64_t now)
{
	return !vcpu->vm->paused &&
	       sched_ops_run_budget(&vcpu->vm->sys->pools[vcpu->vm->pool], vcpu, now) != 0;
}

static inline uint64_t sched_min_time(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Link `vcpu` into pcpu's runqueue before `position` (core bookkeeping). */
void sched_runq_link(struct sched_pcpu *pcpu, struct sched_list *position, struct sched_vcpu *vcpu);
/* Take a queued vCPU off its runqueue (state unchanged). */
void sched_runq_unlink(struct sched_system *sys, struct sched_vcpu *vcpu);

/*
 * Make a vCPU that is on no runqueue and not running RUNNABLE on a pCPU of
 * its own normal pool: its home pCPU if still there, else the policy's
 * pick; then tickle. Returns the pCPU whose runqueue it is on, or NULL if
 * the pool has no pCPU (callers prevent that: a pool with VMs keeps at
 * least one; the vCPU is then parked BLOCKED) or if the policy keeps it
 * waiting (pinned, no free pCPU).
 */
struct sched_pcpu *sched_requeue(struct sched_system *sys, struct sched_vcpu *vcpu, uint64_t now);

/* Ask pCPU `pcpu` to re-pick (sets resched, kicks it through the env). */
void sched_pcpu_kick(struct sched_system *sys, struct sched_pcpu *pcpu);

/*
 * Release the lock at the end of a public entry point. With
 * params.check_invariants set, sched_check_invariants() runs first (lock
 * still held) and a broken invariant goes to sched_env_panic().
 */
void sched_unlock(struct sched_system *sys);

/* Report a "cannot happen" (a broken internal promise) to the environment:
 * sched_env_panic(), which may return in tests; callers then carry on. */
static inline void sched_bug(const char *message)
{
	sched_env_panic(message);
}

/* Emit one trace record (vcpu may be NULL). */
void sched_trace(enum sched_trace_event event, const struct sched_vcpu *vcpu, uint64_t arg0,
                 uint64_t arg1);

/* Copy at most size-1 bytes of `source` and terminate. */
void sched_copy_name(char *destination, const char *source, size_t size);

/* The category of the vCPU's RIP per its VM's classifier. */
enum sched_category sched_classify(const struct sched_vcpu *vcpu, uint64_t rip, bool kernel_mode);

/* Attribute a profiler event at the vCPU's rip to its VM's profile, if it
 * has one (sched/profile.c; event is an enum sched_profile_event). */
void sched_profile_note(const struct sched_vcpu *vcpu, unsigned event, uint64_t rip,
                        bool kernel_mode);

/* ---- cpupools (sched/cpupool.c), lock held ---- */

/* Results that can fail must be handled (checked by the compiler). */
#define SCHED_MUST_CHECK __attribute__((__warn_unused_result__))

SCHED_MUST_CHECK
int sched_pool_create_locked(struct sched_system *sys, const char *name,
                             const struct sched_policy *policy, const struct sched_params *params,
                             bool micro, int parent, uint64_t now);
SCHED_MUST_CHECK
int sched_pool_add_pcpu_locked(struct sched_system *sys, int pool, unsigned pcpu, uint64_t now);
SCHED_MUST_CHECK
int sched_pool_remove_pcpu_locked(struct sched_system *sys, int pool, unsigned pcpu);
SCHED_MUST_CHECK
int sched_pool_set_micro_count_locked(struct sched_system *sys, int pool, unsigned count,
                                      uint64_t now);
/* pCPUs the micro child of normal pool `pool` may have at most. */
unsigned sched_pool_micro_capacity(struct sched_system *sys, int pool);

/* ---- offload (sched/offload.c), lock held ---- */

/* Does the pCPU run a vCPU that an offload waits for (not a borrowed one,
 * micro_borrow)? */
static inline bool sched_pcpu_busy(const struct sched_pcpu *pcpu)
{
	return pcpu->current && !pcpu->current->borrowed;
}

/* Does micro pCPU `pcpu` of micro pool `micro` accept one more offload?
 * (queue depth, and with micro_batch an idle pCPU's first queued vCPU
 * counts as already running.) */
static inline bool sched_offload_slot_free(const struct sched_pool *micro,
                                           const struct sched_pcpu *pcpu)
{
	unsigned depth = micro->params.micro_queue_depth ? micro->params.micro_queue_depth : 1;

	if (micro->params.micro_batch)
		return pcpu->runq_length + (sched_pcpu_busy(pcpu) ? 1u : 0u) <= depth;
	return pcpu->runq_length < depth;
}

/* Refresh sys->busy_mask and the pCPU's bit of its micro pool's
 * free_slots after its runqueue or current vCPU changed. */
void sched_offload_slot_update(struct sched_system *sys, struct sched_pcpu *pcpu);

/* Send a RUNNABLE vCPU to a free micro-sliced pCPU; false if none. */
bool sched_offload(struct sched_system *sys, struct sched_vcpu *vcpu,
                   enum sched_offload_cause cause);

/* ---- mechanisms beyond the paper (sched/mechanisms.c), lock held ---- */

/* protect_initiator: does this yielder keep its pCPU (it waits for
 * siblings it offloaded and none is left preempted)? */
bool sched_mech_protected(const struct sched_vcpu *vcpu);
/* protect_initiator: `initiator`'s ipi-wait yield offloaded `sibling`. */
void sched_mech_offloaded_by(struct sched_vcpu *sibling, struct sched_vcpu *initiator);
/* protect_initiator: after an ipi-wait yield's offloads: the initiator
 * waits for the siblings it offloaded (if any are pending). */
void sched_mech_ipi_wait_served(struct sched_vcpu *initiator);
/* protect_initiator: move the just-requeued `vcpu` to the head of its
 * priority class on pcpu's runqueue. */
void sched_mech_protect_requeue(struct sched_system *sys, struct sched_pcpu *pcpu,
                                struct sched_vcpu *vcpu);
/* protect_initiator: `sibling` has had its offload (left its micro pCPU,
 * or runs on a normal one); bring its initiator back if it was the last. */
void sched_mech_sibling_done(struct sched_system *sys, struct sched_vcpu *sibling);
/* micro_early_return: should `vcpu`, running on micro pCPU `pcpu`, go
 * home now (outside critical code, and another vCPU waits for pcpu)? */
bool sched_mech_early_return(struct sched_system *sys, const struct sched_pcpu *pcpu,
                             const struct sched_vcpu *vcpu, uint64_t now);
/* micro_borrow: for idle micro pCPU `pcpu` of `micro`, take the best
 * queued vCPU of the parent pool's runqueues (policy priority, then the
 * longest waiting) off its runqueue, marked borrowed; NULL if none (or
 * micro_borrow is off). *slice_ns receives one micro slice. */
struct sched_vcpu *sched_mech_borrow(struct sched_system *sys, struct sched_pool *micro,
                                     const struct sched_pcpu *pcpu, uint64_t now,
                                     uint64_t *slice_ns);
/* micro_early_return: the decision deadline `until`, shortened to the
 * next look at a micro pCPU's vCPU; micro_borrow: an idle micro pCPU
 * looks for work to borrow every SCHED_MECH_BORROW_POLL micro slices. */
uint64_t sched_mech_deadline(const struct sched_pool *pool, const struct sched_pcpu *pcpu,
                             uint64_t now, uint64_t until);

/* ---- directed yield (sched/directed_yield.c), lock held ---- */

/* KVM-style: pick a preempted sibling of `yielder` and make its pCPU run it
 * next. Returns the target or NULL. */
struct sched_vcpu *sched_directed_yield(struct sched_system *sys, struct sched_vcpu *yielder);

/* ---- adaptive controller (sched/adaptive.c), lock held ---- */

void sched_adaptive_init(struct sched_pool *pool, uint64_t now);
/* Run Algorithm 1 if its step is due; called on the pool's master. */
void sched_adaptive_run(struct sched_system *sys, struct sched_pool *pool, uint64_t now);

/* ---- the progress controller (sched/progress.c), lock held ---- */

/* One step (every profile interval): count `sample`, profile, decide;
 * sets pool->adaptive.micro_count (at most `limit`) for the caller to
 * apply. */
void sched_progress_step(struct sched_system *sys, struct sched_pool *pool,
                         const struct sched_adaptive_sample *sample, unsigned limit, uint64_t now);

#endif /* SCHED_INTERNAL_H */
