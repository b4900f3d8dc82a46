/*
 * sched/internal.h - what the files of sched/ share with each other: the
 * policy interface (struct sched_ops) and the core's helpers for
 * runqueues, placement, tracing and kicks. Not for use outside sched/.
 *
 * A policy lives in one file (sched/credit.c) and keeps its private state
 * in the policy_data words of struct sched_vcpu / sched_vm / sched_pcpu /
 * sched_pool, cast to its own structs. The core (sched/core.c) owns the
 * vCPU state machine and the runqueue lists; a policy decides the order of
 * a runqueue, which vCPU runs next, who gets kicked, and credit.
 *
 * Invariants (hold whenever the scheduler lock is free):
 *  - a RUNNABLE vCPU is on exactly one runqueue, of a pCPU of its VM's pool;
 *  - an OFFLOADED vCPU is on the runqueue of a pCPU of its VM's pool's
 *    micro child, and that runqueue holds no other vCPU;
 *  - a RUNNING vCPU is pcpus[vcpu->pcpu].current and on no runqueue;
 *  - BLOCKED and OFFLINE vCPUs are on no runqueue and current nowhere.
 *
 * Lock order: every function here expects the sched_system lock held.
 */
#ifndef SCHED_INTERNAL_H
#define SCHED_INTERNAL_H

#include "sched/sched.h"

/*
 * The policy interface. All hooks are called with the lock held; `pool` is
 * the pool whose policy instance is addressed. Hooks about a vCPU's credit
 * (insert, remove, wake, yield, burn, tick, priority) are always called on
 * the vCPU's own normal pool, even while it runs on a micro-sliced pCPU:
 * that is how a micro pool shares its parent's credit accounting.
 */
struct sched_ops {
	const char *name;
	/* The pool was created (params already copied in). */
	void (*pool_init)(struct sched_pool *pool);
	/* pCPU joins / leaves the pool (its runqueue is already empty). */
	void (*pcpu_attach)(struct sched_pool *pool, struct sched_pcpu *pcpu);
	void (*pcpu_detach)(struct sched_pool *pool, struct sched_pcpu *pcpu);
	/* The vCPU's VM joins / leaves the pool (VM create, move, destroy). */
	void (*vcpu_insert)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	void (*vcpu_remove)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* BLOCKED -> runnable: may BOOST; returns true if it boosted. */
	bool (*wake)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* The running vCPU yields: it goes behind its peers when requeued. */
	void (*yield)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* Put a runnable vCPU on pcpu's runqueue in policy order. */
	void (*enqueue)(struct sched_pool *pool, struct sched_pcpu *pcpu,
	                struct sched_vcpu *vcpu);
	/* A vCPU was queued on pcpu: kick whoever should re-pick. */
	void (*tickle)(struct sched_pool *pool, struct sched_pcpu *pcpu,
	               struct sched_vcpu *vcpu);
	/* Choose a pCPU of the pool for a vCPU that has none (or a stale one). */
	struct sched_pcpu *(*pick_pcpu)(struct sched_pool *pool,
	                                struct sched_vcpu *vcpu);
	/* Dequeue and return what pcpu runs next (may steal), NULL = idle;
	 * *slice_ns receives its time slice. */
	struct sched_vcpu *(*pick_next)(struct sched_pool *pool,
	                                struct sched_pcpu *pcpu, uint64_t now,
	                                uint64_t *slice_ns);
	/* Would `vcpu` queued now preempt `running`? (ranking only) */
	bool (*higher_priority)(struct sched_pool *pool,
	                        const struct sched_vcpu *vcpu,
	                        const struct sched_vcpu *running);
	/* Charge `ran_ns` of CPU time to the vCPU. */
	void (*burn)(struct sched_pool *pool, struct sched_vcpu *vcpu,
	             uint64_t ran_ns);
	/* Periodic tick of a pCPU running `vcpu`. */
	void (*tick)(struct sched_pool *pool, struct sched_vcpu *vcpu);
	/* Periodic accounting by the pool's master pCPU. */
	void (*account)(struct sched_pool *pool, uint64_t now);
	/* For traces and observation: priority and credit balance. */
	int (*priority)(const struct sched_vcpu *vcpu);
	int64_t (*credit)(const struct sched_vcpu *vcpu);
};

extern const struct sched_ops sched_credit_ops;

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
static inline void sched_list_insert_before(struct sched_list *position,
                                            struct sched_list *node)
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

#define sched_runq_vcpu(node)                                                  \
	((struct sched_vcpu *)((char *)(node) -                                \
	                       offsetof(struct sched_vcpu, runq_node)))

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

static inline bool sched_pool_has_pcpu(const struct sched_pool *pool,
                                       int pcpu)
{
	return pcpu >= 0 && pcpu < SCHED_MAX_PCPUS &&
	       (pool->pcpu_mask >> pcpu) & 1;
}

static inline uint64_t sched_min_time(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Link `vcpu` into pcpu's runqueue before `position` (core bookkeeping). */
void sched_runq_link(struct sched_pcpu *pcpu, struct sched_list *position,
                     struct sched_vcpu *vcpu);
/* Take a queued vCPU off its runqueue (state unchanged). */
void sched_runq_unlink(struct sched_system *sys, struct sched_vcpu *vcpu);

/*
 * Make a vCPU that is on no runqueue and not running RUNNABLE on a pCPU of
 * its own normal pool: its home pCPU if still there, else the policy's
 * pick; then tickle. Returns the pCPU chosen, or NULL if the pool has no
 * pCPU (callers prevent that: a pool with VMs keeps at least one).
 */
struct sched_pcpu *sched_requeue(struct sched_system *sys,
                                 struct sched_vcpu *vcpu, uint64_t now);

/* Ask pCPU `pcpu` to re-pick (sets resched, kicks it through the env). */
void sched_pcpu_kick(struct sched_system *sys, struct sched_pcpu *pcpu);

/* Emit one trace record (vcpu may be NULL). */
void sched_trace(enum sched_trace_event event, const struct sched_vcpu *vcpu,
                 uint64_t arg0, uint64_t arg1);

/* Copy at most size-1 bytes of `source` and terminate. */
void sched_copy_name(char *destination, const char *source, size_t size);

/* The category of the vCPU's RIP per its VM's classifier. */
enum sched_category sched_classify(const struct sched_vcpu *vcpu,
                                   uint64_t rip, bool kernel_mode);

/* ---- cpupools (sched/cpupool.c), lock held ---- */

int sched_pool_create_locked(struct sched_system *sys, const char *name,
                             const struct sched_policy *policy,
                             const struct sched_params *params, bool micro,
                             int parent, uint64_t now);
int sched_pool_add_pcpu_locked(struct sched_system *sys, int pool,
                               unsigned pcpu, uint64_t now);
int sched_pool_remove_pcpu_locked(struct sched_system *sys, int pool,
                                  unsigned pcpu);
int sched_pool_set_micro_count_locked(struct sched_system *sys, int pool,
                                      unsigned count, uint64_t now);
/* pCPUs the micro child of normal pool `pool` may have at most. */
unsigned sched_pool_micro_capacity(struct sched_system *sys, int pool);

/* ---- offload (sched/offload.c), lock held ---- */

/* Send a RUNNABLE vCPU to a free micro-sliced pCPU; false if none. */
bool sched_offload(struct sched_system *sys, struct sched_vcpu *vcpu,
                   enum sched_offload_cause cause);

/* ---- directed yield (sched/directed_yield.c), lock held ---- */

/* KVM-style: pick a preempted sibling of `yielder` and make its pCPU run it
 * next. Returns the target or NULL. */
struct sched_vcpu *sched_directed_yield(struct sched_system *sys,
                                        struct sched_vcpu *yielder);

/* ---- adaptive controller (sched/adaptive.c), lock held ---- */

void sched_adaptive_init(struct sched_pool *pool, uint64_t now);
/* Run Algorithm 1 if its step is due; called on the pool's master. */
void sched_adaptive_run(struct sched_system *sys, struct sched_pool *pool,
                        uint64_t now);

#endif /* SCHED_INTERNAL_H */
