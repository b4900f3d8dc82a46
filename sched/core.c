/*
 * sched/core.c - the scheduler core: the vCPU state machine, runqueue
 * bookkeeping, VMs, and the per-pCPU entry point sched_schedule() that
 * dispatches to the pool's policy (struct sched_ops).
 *
 * sched_schedule(pcpu) does, in order:
 *   1. periodic work that is due: the pCPU's tick (credit burn, unboost),
 *      and on a normal pool's master pCPU the credit accounting and the
 *      adaptive controller step;
 *   2. keep the current vCPU if nothing requires a switch (slice not over,
 *      no yield/block/offline pending, still placed in its pool, and no
 *      queued vCPU of higher priority -- subject to the rate limit);
 *   3. otherwise schedule it out (requeue it here, send it back to its home
 *      pCPU after a micro slice, or move it to its pool) and pick the next
 *      vCPU: a directed-yield target first, else the policy's choice;
 *   4. return the vCPU and the time of the next call (slice end, tick,
 *      master timers).
 *
 * Invariants: see sched/internal.h.
 *
 * Lock order: every public function takes sys->lock (the only lock) on
 * entry and releases it on return; internal helpers expect it held.
 */
#include "sched/internal.h"

/* ---- small helpers ---- */

void sched_copy_name(char *destination, const char *source, size_t size)
{
	size_t length = source ? strlen(source) : 0;

	if (size == 0)
		return;
	if (length >= size)
		length = size - 1;
	if (length)
		memcpy(destination, source, length);
	destination[length] = '\0';
}

void sched_trace(enum sched_trace_event event, const struct sched_vcpu *vcpu, uint64_t arg0,
                 uint64_t arg1)
{
	struct sched_trace_record record;

	record.time = 0;
	record.event = (uint16_t)event;
	record.pcpu = (uint16_t)sched_env_this_pcpu();
	record.vm = vcpu ? vcpu->vm->id : SCHED_TRACE_NONE;
	record.vcpu = vcpu ? vcpu->index : SCHED_TRACE_NONE;
	record.arg0 = arg0;
	record.arg1 = arg1;
	sched_env_trace(&record);
}

enum sched_category sched_classify(const struct sched_vcpu *vcpu, uint64_t rip, bool kernel_mode)
{
	enum sched_category category;

	if (!kernel_mode || !vcpu->vm->classify)
		return SCHED_CATEGORY_NONE;
	category = vcpu->vm->classify(vcpu->vm->classify_context, rip);
	if ((unsigned)category >= SCHED_CATEGORY_COUNT)
		return SCHED_CATEGORY_NONE;
	return category;
}

const char *sched_vcpu_state_name(enum sched_vcpu_state state)
{
	static const char *const names[SCHED_VCPU_STATE_COUNT] = {
	    [SCHED_VCPU_OFFLINE] = "offline",     [SCHED_VCPU_BLOCKED] = "blocked",
	    [SCHED_VCPU_RUNNABLE] = "runnable",   [SCHED_VCPU_RUNNING] = "running",
	    [SCHED_VCPU_OFFLOADED] = "offloaded",
	};

	if ((unsigned)state >= SCHED_VCPU_STATE_COUNT)
		return "invalid";
	return names[state];
}

/* ---- runqueues and placement ---- */

void sched_runq_link(struct sched_pcpu *pcpu, struct sched_list *position, struct sched_vcpu *vcpu)
{
	sched_list_insert_before(position, &vcpu->runq_node);
	vcpu->pcpu = pcpu->id;
	pcpu->runq_length++;
	sched_offload_slot_update(vcpu->vm->sys, pcpu);
}

void sched_runq_unlink(struct sched_system *sys, struct sched_vcpu *vcpu)
{
	if (vcpu->pcpu < 0 || sched_list_empty(&vcpu->runq_node))
		return;
	sched_list_remove(&vcpu->runq_node);
	sys->pcpus[vcpu->pcpu].runq_length--;
	sched_offload_slot_update(sys, &sys->pcpus[vcpu->pcpu]);
}

void sched_pcpu_kick(struct sched_system *sys, struct sched_pcpu *pcpu)
{
	(void)sys;
	pcpu->resched = true;
	sched_env_kick(pcpu->id);
}

void sched_unlock(struct sched_system *sys)
{
	char message[160];

	if (sys->params.check_invariants &&
	    sched_check_invariants(sys, message, sizeof(message)) != 0)
		sched_env_panic(message);
	sched_env_lock_release(sys->lock);
}

struct sched_pcpu *sched_requeue(struct sched_system *sys, struct sched_vcpu *vcpu, uint64_t now)
{
	struct sched_pool *pool = sched_vcpu_pool(vcpu);
	struct sched_pcpu *target = NULL;

	if (sched_pool_has_pcpu(pool, vcpu->home_pcpu) && sched_vcpu_affine(vcpu, vcpu->home_pcpu))
		target = &sys->pcpus[vcpu->home_pcpu];
	else if (pool->pcpu_count)
		target = sched_ops_pick_pcpu(pool, vcpu);
	vcpu->queued_since = now;
	if (!target) {
		/* Unreachable while pools with VMs keep a pCPU: park it. */
		vcpu->state = SCHED_VCPU_BLOCKED;
		vcpu->pcpu = SCHED_NO_PCPU;
		return NULL;
	}
	vcpu->state = SCHED_VCPU_RUNNABLE;
	sched_ops_enqueue(pool, target, vcpu);
	sched_ops_tickle(pool, target, vcpu);
	/* Where it is queued (the policy may keep it waiting: NULL). */
	return vcpu->pcpu >= 0 ? &sys->pcpus[vcpu->pcpu] : NULL;
}

/* May `vcpu` keep running on `pcpu` as far as pools are concerned? */
static bool core_placement_valid(struct sched_system *sys, const struct sched_pcpu *pcpu,
                                 const struct sched_vcpu *vcpu)
{
	const struct sched_pool *pool = sched_pcpu_pool(sys, pcpu);

	if (!pool || !sched_vcpu_affine(vcpu, pcpu->id))
		return false;
	if (pool->id == vcpu->vm->pool)
		return true;
	/* On a micro pCPU only by an offload (home is a normal pCPU). */
	return pool->micro && pool->parent == vcpu->vm->pool && vcpu->home_pcpu != pcpu->id;
}

/* Charge the CPU time since burn_from to the vCPU's own pool's policy. */
static void core_charge(struct sched_system *sys, struct sched_pcpu *pcpu, struct sched_vcpu *vcpu,
                        uint64_t now)
{
	struct sched_pool *pool = sched_vcpu_pool(vcpu);
	const struct sched_pool *here = sched_pcpu_pool(sys, pcpu);
	uint64_t ran = now > vcpu->burn_from ? now - vcpu->burn_from : 0;

	vcpu->burn_from = now;
	if (!ran)
		return;
	sched_ops_burn(pool, vcpu, ran);
	vcpu->stats.run_ns += ran;
	if (here && here->micro)
		vcpu->stats.micro_run_ns += ran;
	pcpu->busy_ns += ran;
}

/* ---- sched_schedule() steps ---- */

static void core_periodic(struct sched_system *sys, struct sched_pcpu *pcpu, uint64_t now)
{
	struct sched_pool *pool = sched_pcpu_pool(sys, pcpu);
	struct sched_vcpu *current = pcpu->current;

	if (current && now >= pcpu->next_tick) {
		struct sched_pool *own = sched_vcpu_pool(current);
		uint64_t tick = own->params.tick_ns;

		core_charge(sys, pcpu, current, now);
		sched_ops_tick(own, current);
		pcpu->next_tick += tick;
		if (pcpu->next_tick <= now)
			pcpu->next_tick = now + tick;
	}
	if (!pool || pool->micro || pool->master != pcpu->id)
		return;
	if (now >= pool->next_account) {
		uint64_t period = pool->params.account_period_ns;

		sched_ops_account(pool, now);
		sys->counters.accountings++;
		sched_trace(SCHED_TRACE_ACCOUNT, NULL, (uint64_t)pool->id, 0);
		pool->next_account += period;
		if (pool->next_account <= now)
			pool->next_account = now + period;
	}
	if (pool->adaptive.enabled)
		sched_adaptive_run(sys, pool, now);
}

static bool core_keep_running(struct sched_system *sys, struct sched_pcpu *pcpu,
                              struct sched_vcpu *current, uint64_t now)
{
	struct sched_pool *pool = sched_pcpu_pool(sys, pcpu);
	struct sched_pool *own;
	uint64_t ratelimit;

	if (current->pending_yield || current->pending_block || current->pending_offline)
		return false;
	if (!core_placement_valid(sys, pcpu, current) || !sched_vcpu_may_run(current, now))
		return false;
	if (now >= pcpu->slice_end)
		return false;
	/* Micro-sliced pCPUs: never preempted before the slice ends (unless
	 * micro_early_return sees its critical work over); a borrowed vCPU
	 * (micro_borrow) leaves at once for an offloaded one. */
	if (pool->micro && current->borrowed && pcpu->runq_length) {
		sys->counters.borrow_preemptions++;
		return false;
	}
	if (pool->micro)
		return !sched_mech_early_return(sys, pcpu, current, now);
	if (pcpu->directed_next)
		return false;
	if (!pcpu->resched || sched_list_empty(&pcpu->runq))
		return true;
	own = sched_vcpu_pool(current);
	if (!sched_ops_higher_priority(own, sched_runq_vcpu(pcpu->runq.next), current))
		return true;
	/* A better vCPU waits: honour the rate limit first. */
	ratelimit = sched_min_time(pool->params.ratelimit_ns, pool->params.slice_ns);
	if (ratelimit && (now < current->run_start || now - current->run_start < ratelimit)) {
		sys->counters.ratelimit_holds++;
		pcpu->slice_end = sched_min_time(pcpu->slice_end, current->run_start + ratelimit);
		return true;
	}
	return false;
}

static void core_schedule_out(struct sched_system *sys, struct sched_pcpu *pcpu,
                              struct sched_vcpu *prev, uint64_t now)
{
	struct sched_pool *here = sched_pcpu_pool(sys, pcpu);
	struct sched_pool *own = sched_vcpu_pool(prev);
	uint64_t ran = now > prev->run_start ? now - prev->run_start : 0;
	enum sched_out_reason reason;
	bool requeue_here = false, return_home = false, protect = false;
	bool borrowed = prev->borrowed;

	prev->borrowed = false;
	core_charge(sys, pcpu, prev, now);
	pcpu->current = NULL;
	sched_offload_slot_update(sys, pcpu);
	if (prev->pending_offline) {
		reason = SCHED_OUT_OFFLINE;
		prev->state = SCHED_VCPU_OFFLINE;
		prev->pcpu = SCHED_NO_PCPU;
	} else if (prev->pending_block) {
		reason = SCHED_OUT_BLOCK;
		prev->state = SCHED_VCPU_BLOCKED;
		prev->pcpu = SCHED_NO_PCPU;
		sys->counters.blocks++;
	} else {
		if (prev->pending_yield) {
			reason = SCHED_OUT_YIELD;
			protect = here && !here->micro && sched_mech_protected(prev);
			if (!protect)
				sched_ops_yield(own, prev);
		} else if (pcpu->directed_next) {
			reason = SCHED_OUT_DIRECTED;
		} else {
			reason = SCHED_OUT_PREEMPT;
		}
		if (!core_placement_valid(sys, pcpu, prev)) {
			reason = SCHED_OUT_MOVED;
		} else if (here->micro) {
			/* One micro slice only: always back to its home. */
			return_home = true;
			if (reason == SCHED_OUT_PREEMPT)
				reason = SCHED_OUT_MICRO_RETURN;
		} else {
			requeue_here = true;
		}
	}
	prev->pending_yield = false;
	prev->pending_block = false;
	prev->pending_offline = false;
	sched_trace(SCHED_TRACE_SCHEDULE_OUT, prev, ran, reason);
	if (reason == SCHED_OUT_OFFLINE)
		sched_ops_offline(own, prev);
	if (reason == SCHED_OUT_BLOCK)
		sched_trace(SCHED_TRACE_BLOCK, prev, prev->saved_rip, 0);
	if (requeue_here) {
		prev->state = SCHED_VCPU_RUNNABLE;
		prev->queued_since = now;
		sched_ops_enqueue(own, pcpu, prev);
		if (protect)
			sched_mech_protect_requeue(sys, pcpu, prev);
	} else if (return_home) {
		struct sched_pcpu *home;

		prev->pcpu = SCHED_NO_PCPU;
		home = sched_requeue(sys, prev, now);
		if (!borrowed)
			sys->counters.micro_returns++;
		sched_trace(SCHED_TRACE_RETURN, prev, home ? home->id : SCHED_TRACE_NONE, pcpu->id);
	} else if (reason == SCHED_OUT_MOVED) {
		struct sched_pcpu *target;

		prev->pcpu = SCHED_NO_PCPU;
		target = sched_requeue(sys, prev, now);
		sys->counters.migrations++;
		sched_trace(SCHED_TRACE_MIGRATE, prev, pcpu->id,
		            target ? target->id : SCHED_TRACE_NONE);
	}
	if (here && here->micro)
		sched_mech_sibling_done(sys, prev);
}

static struct sched_vcpu *core_pick(struct sched_system *sys, struct sched_pcpu *pcpu, uint64_t now,
                                    bool was_idle)
{
	struct sched_pool *pool = sched_pcpu_pool(sys, pcpu);
	struct sched_vcpu *next = NULL, *target = pcpu->directed_next;
	uint64_t slice = 0, waited;

	pcpu->directed_next = NULL;
	if (!pool)
		return NULL;
	if (target && target->state == SCHED_VCPU_RUNNABLE && target->pcpu == pcpu->id &&
	    target->vm->pool == pool->id) {
		sched_runq_unlink(sys, target);
		next = target;
		slice = pool->params.slice_ns;
	}
	if (target)
		target->directed_target = false;
	if (!next)
		next = sched_ops_pick_next(pool, pcpu, now, &slice);
	if (!next && pool->micro)
		next = sched_mech_borrow(sys, pool, pcpu, now, &slice);
	if (!next) {
		pcpu->idle_since = now;
		return NULL;
	}
	next->state = SCHED_VCPU_RUNNING;
	next->pcpu = pcpu->id;
	next->run_start = now;
	next->burn_from = now;
	if (!pool->micro) {
		next->home_pcpu = pcpu->id;
		sched_mech_sibling_done(sys, next);
	}
	waited = now > next->queued_since ? now - next->queued_since : 0;
	next->stats.wait_ns += waited;
	if (waited > next->stats.max_wait_ns)
		next->stats.max_wait_ns = waited;
	next->stats.schedule_ins++;
	pcpu->current = next;
	sched_offload_slot_update(sys, pcpu);
	pcpu->slice_end = slice == SCHED_TIME_NEVER ? SCHED_TIME_NEVER : now + slice;
	if (was_idle || pcpu->next_tick <= now)
		pcpu->next_tick = now + sched_vcpu_pool(next)->params.tick_ns;
	sched_trace(SCHED_TRACE_SCHEDULE_IN, next, slice, pcpu->id);
	return next;
}

static uint64_t core_deadline(struct sched_system *sys, const struct sched_pcpu *pcpu, uint64_t now)
{
	const struct sched_pool *pool = sched_pcpu_pool(sys, pcpu);
	uint64_t until = SCHED_TIME_NEVER;

	if (pcpu->current) {
		/* A capped VM's vCPU stops when its VM's budget is spent. */
		uint64_t budget =
		    sched_ops_run_budget(sched_vcpu_pool(pcpu->current), pcpu->current, now);

		until = sched_min_time(pcpu->slice_end, pcpu->next_tick);
		if (budget != SCHED_TIME_NEVER)
			until = sched_min_time(until, now + budget);
	}
	until = sched_mech_deadline(pool, pcpu, now, until);
	if (pool && !pool->micro && pool->master == pcpu->id) {
		until = sched_min_time(until, pool->next_account);
		if (pool->adaptive.enabled)
			until = sched_min_time(until, pool->adaptive.next_step);
	}
	return until;
}

struct sched_decision sched_schedule(struct sched_system *sys, unsigned pcpu_id, uint64_t prev_rip,
                                     bool prev_kernel_mode)
{
	struct sched_decision decision = {NULL, SCHED_TIME_NEVER, false};
	struct sched_pcpu *pcpu;
	struct sched_vcpu *prev, *next;
	uint64_t now;

	if (pcpu_id >= sys->pcpu_count)
		return decision;
	sched_env_lock_acquire(sys->lock);
	now = sched_env_now();
	pcpu = &sys->pcpus[pcpu_id];
	prev = pcpu->current;
	sys->counters.schedules++;
	if (prev) {
		prev->saved_rip = prev_rip;
		prev->saved_kernel_mode = prev_kernel_mode;
	}
	core_periodic(sys, pcpu, now);
	if (prev && core_keep_running(sys, pcpu, prev, now)) {
		next = prev;
	} else {
		if (prev)
			core_schedule_out(sys, pcpu, prev, now);
		next = core_pick(sys, pcpu, now, prev == NULL);
	}
	pcpu->resched = false;
	if (next != prev)
		sys->counters.context_switches++;
	decision.vcpu = next;
	decision.switched = next != prev;
	decision.until = core_deadline(sys, pcpu, now);
	sched_unlock(sys);
	return decision;
}

/* ---- vCPU life cycle ---- */

int sched_vcpu_online(struct sched_vcpu *vcpu)
{
	struct sched_system *sys = sched_vcpu_system(vcpu);
	int result = SCHED_OK;

	sched_env_lock_acquire(sys->lock);
	if (vcpu->state != SCHED_VCPU_OFFLINE) {
		result = SCHED_ERR_INVALID;
	} else if (sched_vcpu_pool(vcpu)->pcpu_count == 0) {
		result = SCHED_ERR_BUSY;
	} else {
		vcpu->pending_yield = false;
		vcpu->pending_block = false;
		vcpu->pending_offline = false;
		/* NULL is not a failure here: the pool has a pCPU (checked
		 * above), so it means the policy keeps it waiting (pinned). */
		sched_requeue(sys, vcpu, sched_env_now());
		sched_trace(SCHED_TRACE_WAKE, vcpu,
		            (uint64_t)(int64_t)sched_ops_priority(sched_vcpu_pool(vcpu), vcpu),
		            (uint64_t)vcpu->pcpu);
	}
	sched_unlock(sys);
	return result;
}

int sched_vcpu_offline(struct sched_vcpu *vcpu)
{
	struct sched_system *sys = sched_vcpu_system(vcpu);

	sched_env_lock_acquire(sys->lock);
	switch (vcpu->state) {
	case SCHED_VCPU_RUNNING:
		vcpu->pending_offline = true;
		sched_pcpu_kick(sys, &sys->pcpus[vcpu->pcpu]);
		break;
	case SCHED_VCPU_RUNNABLE:
	case SCHED_VCPU_OFFLOADED:
		sched_runq_unlink(sys, vcpu);
		/* fall through */
	default:
		vcpu->state = SCHED_VCPU_OFFLINE;
		vcpu->pcpu = SCHED_NO_PCPU;
		sched_ops_offline(sched_vcpu_pool(vcpu), vcpu);
		break;
	}
	sched_unlock(sys);
	return SCHED_OK;
}

int sched_vcpu_block(struct sched_vcpu *vcpu, uint64_t rip, bool kernel_mode)
{
	struct sched_system *sys = sched_vcpu_system(vcpu);
	int result = SCHED_OK;

	sched_env_lock_acquire(sys->lock);
	if (vcpu->state != SCHED_VCPU_RUNNING) {
		result = SCHED_ERR_INVALID;
	} else {
		vcpu->saved_rip = rip;
		vcpu->saved_kernel_mode = kernel_mode;
		vcpu->pending_block = true;
	}
	sched_unlock(sys);
	return result;
}

int sched_vcpu_wake(struct sched_vcpu *vcpu)
{
	struct sched_system *sys = sched_vcpu_system(vcpu);
	struct sched_pool *pool = sched_vcpu_pool(vcpu);
	struct sched_pcpu *target;
	bool boosted;

	sched_env_lock_acquire(sys->lock);
	if (vcpu->state == SCHED_VCPU_RUNNING && vcpu->pending_block) {
		/* The interrupt arrived before it left its pCPU. */
		vcpu->pending_block = false;
	} else if (vcpu->state == SCHED_VCPU_BLOCKED) {
		sys->counters.wakeups++;
		vcpu->stats.wakeups++;
		boosted = sched_ops_wake(pool, vcpu);
		if (boosted) {
			sys->counters.boosts++;
			vcpu->stats.boosts++;
		}
		target = sched_requeue(sys, vcpu, sched_env_now());
		sched_trace(SCHED_TRACE_WAKE, vcpu,
		            (uint64_t)(int64_t)sched_ops_priority(pool, vcpu),
		            target ? target->id : SCHED_TRACE_NONE);
	}
	sched_unlock(sys);
	return SCHED_OK;
}

/* ---- system and VMs ---- */

static bool core_params_valid(const struct sched_params *params, const char **why)
{
	if (!params->slice_ns || !params->tick_ns || !params->account_period_ns ||
	    !params->micro_slice_ns) {
		*why = "slice, tick, accounting period and micro slice must be > 0";
		return false;
	}
	if (!params->credits_per_ms || !params->default_weight) {
		*why = "credits_per_ms and default_weight must be > 0";
		return false;
	}
	if (!params->profile_interval_ns || !params->epoch_ns) {
		*why = "profile interval and epoch must be > 0";
		return false;
	}
	if (params->micro_queue_depth > SCHED_MICRO_QUEUE_MAX) {
		*why = "micro queue depth must be 1..8 (0 = 1)";
		return false;
	}
	return true;
}

int sched_init(struct sched_system *sys, const struct sched_policy *policy,
               const struct sched_params *params, unsigned pcpu_count, struct sched_env_lock *lock,
               char *error, size_t error_size)
{
	struct sched_policy default_policy;
	const char *why = NULL;
	uint64_t now;
	unsigned i;
	int pool, result = SCHED_OK;

	if (error_size)
		error[0] = '\0';
	memset(sys, 0, sizeof(*sys));
	sys->lock = lock;
	if (params)
		sys->params = *params;
	else
		sched_params_default(&sys->params);
	if (!policy) {
		/* "credit" is in the policy table: this cannot fail. */
		if (sched_policy_parse("credit", &default_policy, error, error_size) != SCHED_OK)
			return SCHED_ERR_INVALID;
		policy = &default_policy;
	}
	sys->policy = *policy;
	if (!sys->policy.ops)
		sys->policy.ops = &sched_credit_ops;
	if (pcpu_count == 0 || pcpu_count > SCHED_MAX_PCPUS) {
		sched_copy_name(error, "pcpu count must be 1..64", error_size);
		return SCHED_ERR_INVALID;
	}
	if (!core_params_valid(&sys->params, &why)) {
		sched_copy_name(error, why, error_size);
		return SCHED_ERR_INVALID;
	}
	sys->pcpu_count = pcpu_count;
	for (i = 0; i < SCHED_MAX_PCPUS; i++) {
		sys->pcpus[i].id = (uint16_t)i;
		sys->pcpus[i].online = i < pcpu_count;
		sys->pcpus[i].pool = SCHED_NO_POOL;
		sched_list_init(&sys->pcpus[i].runq);
	}
	for (i = 0; i < SCHED_MAX_POOLS; i++) {
		sys->pools[i].id = (int)i;
		sys->pools[i].sys = sys;
	}
	for (i = 0; i < SCHED_MAX_VMS; i++) {
		sys->vms[i].id = (uint16_t)i;
		sys->vms[i].sys = sys;
	}
	sched_env_lock_acquire(sys->lock);
	now = sched_env_now();
	pool = sched_pool_create_locked(sys, "Pool-0", &sys->policy, &sys->params, false,
	                                SCHED_NO_POOL, now);
	for (i = 0; pool >= 0 && result == SCHED_OK && i < pcpu_count; i++)
		result = sched_pool_add_pcpu_locked(sys, pool, i, now);
	if (result != SCHED_OK) {
		/* Every pCPU < pcpu_count is free and Pool-0 exists. */
		sched_copy_name(error, "cannot add the pCPUs to Pool-0", error_size);
	} else if (pool >= 0 && sys->policy.micro_mode == SCHED_MICRO_STATIC) {
		if (sys->policy.micro_count >= pcpu_count) {
			sched_copy_name(error, "micro-static:N needs N < number of pCPUs",
			                error_size);
			result = SCHED_ERR_INVALID;
		} else {
			result = sched_pool_set_micro_count_locked(sys, pool,
			                                           sys->policy.micro_count, now);
		}
	}
	if (pool < 0) {
		sched_copy_name(error, "cannot create Pool-0", error_size);
		result = pool;
	}
	sched_unlock(sys);
	return result;
}

struct sched_vm *sched_vm_create(struct sched_system *sys, const struct sched_vm_config *config)
{
	struct sched_vm *vm = NULL;
	struct sched_pool *pool;
	unsigned i;

	if (!config || config->vcpu_count == 0 || config->vcpu_count > SCHED_MAX_VCPUS_PER_VM ||
	    config->pool < 0 || config->pool >= SCHED_MAX_POOLS)
		return NULL;
	sched_env_lock_acquire(sys->lock);
	pool = &sys->pools[config->pool];
	if (!pool->in_use || pool->micro)
		goto out;
	for (i = 0; i < SCHED_MAX_VMS; i++) {
		if (!sys->vms[i].in_use) {
			vm = &sys->vms[i];
			break;
		}
	}
	if (!vm)
		goto out;
	memset(vm, 0, sizeof(*vm));
	vm->sys = sys;
	vm->id = (uint16_t)i;
	vm->in_use = true;
	sched_copy_name(vm->name, config->name ? config->name : "vm", sizeof(vm->name));
	vm->pool = pool->id;
	vm->weight = config->weight ? config->weight : pool->params.default_weight;
	vm->classify = config->classify;
	vm->classify_context = config->classify_context;
	vm->locate = config->locate;
	vm->locate_context = config->locate_context;
	vm->profile = config->profile;
	vm->vcpu_count = config->vcpu_count;
	for (i = 0; i < vm->vcpu_count; i++) {
		struct sched_vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->index = (uint16_t)i;
		vcpu->state = SCHED_VCPU_OFFLINE;
		vcpu->pcpu = SCHED_NO_PCPU;
		vcpu->home_pcpu = SCHED_NO_PCPU;
		vcpu->affinity = SCHED_AFFINITY_ALL;
		sched_list_init(&vcpu->runq_node);
		sched_ops_vcpu_insert(pool, vcpu);
	}
	pool->vm_count++;
out:
	sched_unlock(sys);
	return vm;
}

int sched_vm_destroy(struct sched_vm *vm)
{
	struct sched_system *sys = vm->sys;
	struct sched_pool *pool;
	unsigned i;
	int result = SCHED_OK;

	sched_env_lock_acquire(sys->lock);
	pool = &sys->pools[vm->pool];
	for (i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].state != SCHED_VCPU_OFFLINE)
			result = SCHED_ERR_BUSY;
	if (result == SCHED_OK && vm->in_use) {
		for (i = 0; i < vm->vcpu_count; i++)
			sched_ops_vcpu_remove(pool, &vm->vcpus[i]);
		pool->vm_count--;
		vm->in_use = false;
	}
	sched_unlock(sys);
	return result;
}

void sched_vm_set_classifier(struct sched_vm *vm, sched_classify_fn classify, const void *context)
{
	sched_env_lock_acquire(vm->sys->lock);
	vm->classify = classify;
	vm->classify_context = context;
	sched_unlock(vm->sys);
}

int sched_vm_set_weight(struct sched_vm *vm, uint32_t weight)
{
	if (!weight)
		return SCHED_ERR_INVALID;
	sched_env_lock_acquire(vm->sys->lock);
	vm->weight = weight;
	sched_unlock(vm->sys);
	return SCHED_OK;
}

struct sched_vcpu *sched_vm_vcpu(struct sched_vm *vm, unsigned index)
{
	return index < vm->vcpu_count ? &vm->vcpus[index] : NULL;
}

int sched_vcpu_priority(struct sched_vcpu *vcpu)
{
	struct sched_system *sys = sched_vcpu_system(vcpu);
	int priority;

	sched_env_lock_acquire(sys->lock);
	priority = sched_ops_priority(sched_vcpu_pool(vcpu), vcpu);
	sched_unlock(sys);
	return priority;
}

int64_t sched_vcpu_credit(struct sched_vcpu *vcpu)
{
	struct sched_system *sys = sched_vcpu_system(vcpu);
	int64_t credit;

	sched_env_lock_acquire(sys->lock);
	credit = sched_ops_credit(sched_vcpu_pool(vcpu), vcpu);
	sched_unlock(sys);
	return credit;
}

void sched_counters_read(struct sched_system *sys, struct sched_counters *out)
{
	sched_env_lock_acquire(sys->lock);
	*out = sys->counters;
	sched_unlock(sys);
}
