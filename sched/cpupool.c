/*
 * sched/cpupool.c - cpupools: create/destroy pools, add/remove pCPUs,
 * move VMs between pools, resize a pool's micro-sliced child.
 *
 * A pool is a set of pCPUs (pcpu_mask) with its own policy instance and
 * parameters (Xen cpupools). A normal pool whose policy offloads
 * (micro-static, micro-dynamic) owns a child micro-sliced pool created with
 * it: slice = micro_slice_ns, no rate limit, no stealing, no accounting of
 * its own (its vCPUs stay members of the parent, whose master accounts
 * them). VMs live in normal pools only.
 *
 * Invariants:
 *  - pcpus[n].pool == p  <=>  bit n of pools[p].pcpu_mask is set;
 *  - a normal pool with VMs keeps at least one pCPU;
 *  - a normal pool's master is its lowest-numbered pCPU (or -1 if empty);
 *  - a vCPU's hard affinity keeps a pCPU of its normal pool: the public
 *    sched_pool_remove_pcpu() refuses to take a pinned vCPU's last one;
 *    a micro-child resize (adaptive controller) resets such a pin to
 *    SCHED_AFFINITY_ALL instead (counters.affinity_broken, as Xen's
 *    "vcpu affinity broken"); moving a VM resets its vCPUs' pins;
 *  - removing a pCPU leaves its runqueue empty: queued vCPUs go to other
 *    pCPUs of the pool (offloaded ones back to their normal pool); the
 *    vCPU it is running is kicked and moved at its next schedule-out.
 *
 * Lock order: public functions take the sched_system lock; *_locked ones
 * expect it held.
 */
#include "sched/internal.h"

static bool pool_valid(struct sched_system *sys, int pool)
{
	return pool >= 0 && pool < SCHED_MAX_POOLS && sys->pools[pool].in_use;
}

static int pool_find_locked(struct sched_system *sys, const char *name)
{
	int i;

	for (i = 0; i < SCHED_MAX_POOLS; i++)
		if (sys->pools[i].in_use && strcmp(sys->pools[i].name, name) == 0)
			return i;
	return SCHED_ERR_NOT_FOUND;
}

/* micro_borrow: the vCPU running on `pcpu` on borrow (if any) is an
 * ordinary vCPU again, and the micro pCPU's offload slot says so. */
static void pool_end_borrow(struct sched_system *sys, struct sched_pcpu *pcpu)
{
	if (!pcpu->current || !pcpu->current->borrowed)
		return;
	pcpu->current->borrowed = false;
	sched_offload_slot_update(sys, pcpu);
}

static int pool_lowest_pcpu(const struct sched_pool *pool)
{
	int i;

	for (i = 0; i < SCHED_MAX_PCPUS; i++)
		if (sched_pool_has_pcpu(pool, i))
			return i;
	return SCHED_NO_PCPU;
}

static int pool_highest_pcpu(const struct sched_pool *pool)
{
	int i;

	for (i = SCHED_MAX_PCPUS - 1; i >= 0; i--)
		if (sched_pool_has_pcpu(pool, i))
			return i;
	return SCHED_NO_PCPU;
}

int sched_pool_create_locked(struct sched_system *sys, const char *name,
                             const struct sched_policy *policy, const struct sched_params *params,
                             bool micro, int parent, uint64_t now)
{
	struct sched_pool *pool = NULL;
	int i;

	if (!name || !name[0] || pool_find_locked(sys, name) >= 0)
		return SCHED_ERR_INVALID;
	for (i = 0; i < SCHED_MAX_POOLS; i++) {
		if (!sys->pools[i].in_use) {
			pool = &sys->pools[i];
			break;
		}
	}
	if (!pool)
		return SCHED_ERR_FULL;
	memset(pool, 0, sizeof(*pool));
	pool->sys = sys;
	pool->id = i;
	pool->in_use = true;
	sched_copy_name(pool->name, name, sizeof(pool->name));
	pool->micro = micro;
	pool->parent = parent;
	pool->micro_child = SCHED_NO_POOL;
	pool->master = SCHED_NO_PCPU;
	pool->policy = *policy;
	pool->params = *params;
	if (!pool->policy.ops)
		pool->policy.ops = &sched_credit_ops;
	if (pool->policy.short_slice)
		pool->params.slice_ns = pool->params.micro_slice_ns;
	if (micro) {
		pool->params.slice_ns = pool->params.micro_slice_ns;
		pool->params.ratelimit_ns = 0;
		pool->params.steal = false;
		pool->policy.micro_mode = SCHED_MICRO_NONE;
		pool->policy.yield_mode = SCHED_YIELD_MODE_PLAIN;
	}
	sched_ops_pool_init(pool);
	if (!micro && pool->policy.micro_mode == SCHED_MICRO_DYNAMIC)
		sched_adaptive_init(pool, now);
	if (!micro && pool->policy.micro_mode != SCHED_MICRO_NONE) {
		char child_name[SCHED_NAME_MAX];
		size_t length = strlen(pool->name);
		int child;

		if (length > SCHED_NAME_MAX - 7)
			length = SCHED_NAME_MAX - 7;
		memcpy(child_name, pool->name, length);
		memcpy(child_name + length, "-micro", 7);
		child =
		    sched_pool_create_locked(sys, child_name, policy, params, true, pool->id, now);
		if (child < 0) {
			pool->in_use = false;
			return child;
		}
		pool->micro_child = child;
		pool->micro_since = now; /* micro_time_ns: zeroed above */
	}
	return pool->id;
}

int sched_pool_add_pcpu_locked(struct sched_system *sys, int pool_id, unsigned pcpu_id,
                               uint64_t now)
{
	struct sched_pool *pool;
	struct sched_pcpu *pcpu;

	if (!pool_valid(sys, pool_id) || pcpu_id >= sys->pcpu_count)
		return SCHED_ERR_INVALID;
	pool = &sys->pools[pool_id];
	pcpu = &sys->pcpus[pcpu_id];
	if (pcpu->pool != SCHED_NO_POOL)
		return SCHED_ERR_BUSY;
	pcpu->pool = pool_id;
	pool->pcpu_mask |= 1ull << pcpu_id;
	pool->pcpu_count++;
	sched_ops_pcpu_attach(pool, pcpu);
	sched_offload_slot_update(sys, pcpu);
	if (!pool->micro && (pool->master < 0 || (int)pcpu_id < pool->master)) {
		if (pool->master < 0)
			pool->next_account = now + pool->params.account_period_ns;
		pool->master = (int)pcpu_id;
	}
	sched_trace(SCHED_TRACE_POOL_PCPU, NULL, pcpu_id, (uint64_t)pool_id);
	/* It may run a vCPU of its old pool, or find work to steal. */
	sched_pcpu_kick(sys, pcpu);
	return SCHED_OK;
}

/* Would removing `pcpu_id` from normal pool `pool` leave a vCPU of one of
 * its VMs with no pCPU of its pin in the pool? */
static bool pool_pcpu_holds_a_pin(const struct sched_system *sys, const struct sched_pool *pool,
                                  unsigned pcpu_id)
{
	uint64_t rest = pool->pcpu_mask & ~(1ull << pcpu_id);
	unsigned i, j;

	for (i = 0; i < SCHED_MAX_VMS; i++) {
		const struct sched_vm *vm = &sys->vms[i];

		if (!vm->in_use || vm->pool != pool->id)
			continue;
		for (j = 0; j < vm->vcpu_count; j++)
			if (vm->vcpus[j].affinity != SCHED_AFFINITY_ALL &&
			    !(vm->vcpus[j].affinity & rest))
				return true;
	}
	return false;
}

/* Reset the pins that no pCPU of normal pool `pool` satisfies any more. */
static void pool_break_pins(struct sched_system *sys, struct sched_pool *pool)
{
	unsigned i, j;

	for (i = 0; i < SCHED_MAX_VMS; i++) {
		struct sched_vm *vm = &sys->vms[i];

		if (!vm->in_use || vm->pool != pool->id)
			continue;
		for (j = 0; j < vm->vcpu_count; j++) {
			struct sched_vcpu *vcpu = &vm->vcpus[j];

			if (vcpu->affinity != SCHED_AFFINITY_ALL &&
			    !(vcpu->affinity & pool->pcpu_mask)) {
				vcpu->affinity = SCHED_AFFINITY_ALL;
				sys->counters.affinity_broken++;
			}
		}
	}
}

int sched_pool_remove_pcpu_locked(struct sched_system *sys, int pool_id, unsigned pcpu_id)
{
	struct sched_pool *pool;
	struct sched_pcpu *pcpu;
	uint64_t now = sched_env_now();

	if (!pool_valid(sys, pool_id) || pcpu_id >= SCHED_MAX_PCPUS)
		return SCHED_ERR_INVALID;
	pool = &sys->pools[pool_id];
	if (!sched_pool_has_pcpu(pool, (int)pcpu_id))
		return SCHED_ERR_INVALID;
	if (!pool->micro && pool->pcpu_count == 1 && pool->vm_count > 0)
		return SCHED_ERR_BUSY;
	pcpu = &sys->pcpus[pcpu_id];
	pool->pcpu_mask &= ~(1ull << pcpu_id);
	pool->free_slots &= ~(1ull << pcpu_id);
	pool->pcpu_count--;
	pcpu->pool = SCHED_NO_POOL;
	pcpu->directed_next = NULL;
	if (!pool->micro)
		pool_break_pins(sys, pool);
	/* Redistribute the queue; none is lost. */
	while (!sched_list_empty(&pcpu->runq)) {
		struct sched_vcpu *vcpu = sched_runq_vcpu(pcpu->runq.next);
		struct sched_pcpu *target;

		sched_runq_unlink(sys, vcpu);
		vcpu->pcpu = SCHED_NO_PCPU;
		vcpu->directed_target = false;
		if (!pool->micro)
			vcpu->home_pcpu = SCHED_NO_PCPU;
		target = sched_requeue(sys, vcpu, now);
		sys->counters.migrations++;
		sched_trace(pool->micro ? SCHED_TRACE_RETURN : SCHED_TRACE_MIGRATE, vcpu,
		            pool->micro ? (target ? target->id : 0xffff) : pcpu_id,
		            pool->micro ? pcpu_id : (target ? target->id : 0xffff));
	}
	sched_ops_pcpu_detach(pool, pcpu);
	if (pool->master == (int)pcpu_id) {
		/* The new master must re-arm the accounting timer. */
		pool->master = pool_lowest_pcpu(pool);
		if (pool->master >= 0)
			sched_pcpu_kick(sys, &sys->pcpus[pool->master]);
	}
	sched_trace(SCHED_TRACE_POOL_PCPU, NULL, pcpu_id, SCHED_TRACE_NONE);
	/* No longer on a micro pCPU: an ordinary vCPU that leaves (or
	 * stays, back in its own pool) at the re-pick. */
	pool_end_borrow(sys, pcpu);
	if (pcpu->current)
		sched_pcpu_kick(sys, pcpu);
	return SCHED_OK;
}

/* Move pCPU `id` from pool `from` to pool `to`. */
static int pool_move_pcpu(struct sched_system *sys, struct sched_pool *from, struct sched_pool *to,
                          int id, uint64_t now)
{
	int result;

	if (id < 0)
		return SCHED_ERR_INVALID;
	result = sched_pool_remove_pcpu_locked(sys, from->id, (unsigned)id);
	if (result == SCHED_OK)
		result = sched_pool_add_pcpu_locked(sys, to->id, (unsigned)id, now);
	if (result != SCHED_OK)
		sched_bug("sched: moving a pCPU between a pool and its micro "
		          "child failed");
	return result;
}

unsigned sched_pool_micro_capacity(struct sched_system *sys, int pool_id)
{
	struct sched_pool *pool = &sys->pools[pool_id];
	unsigned total;

	if (pool->micro_child < 0)
		return 0;
	total = pool->pcpu_count + sys->pools[pool->micro_child].pcpu_count;
	return total ? total - 1 : 0;
}

int sched_pool_set_micro_count_locked(struct sched_system *sys, int pool_id, unsigned count,
                                      uint64_t now)
{
	struct sched_pool *pool, *micro;
	unsigned old;
	int id, result = SCHED_OK;

	if (!pool_valid(sys, pool_id) || sys->pools[pool_id].micro ||
	    sys->pools[pool_id].micro_child < 0)
		return SCHED_ERR_INVALID;
	pool = &sys->pools[pool_id];
	micro = &sys->pools[pool->micro_child];
	if (count > sched_pool_micro_capacity(sys, pool_id))
		return SCHED_ERR_FULL;
	old = micro->pcpu_count;
	if (now > pool->micro_since) {
		pool->micro_time_ns[old] += now - pool->micro_since;
		pool->micro_since = now;
	}
	/*
	 * Neither step can fail: the capacity check leaves the normal pool at
	 * least one pCPU, and a pCPU just removed is free to be added. Should
	 * one fail anyway, stop (the loop would not progress) and report it;
	 * the pCPU then stays free, every pool stays consistent.
	 */
	while (result == SCHED_OK && micro->pcpu_count < count) {
		id = pool_highest_pcpu(pool);
		result = pool_move_pcpu(sys, pool, micro, id, now);
	}
	while (result == SCHED_OK && micro->pcpu_count > count) {
		id = pool_highest_pcpu(micro);
		result = pool_move_pcpu(sys, micro, pool, id, now);
	}
	if (old != micro->pcpu_count) {
		sys->counters.pool_resizes++;
		sched_trace(SCHED_TRACE_POOL_RESIZE, NULL, old, micro->pcpu_count);
	}
	return result;
}

/* ---- public API ---- */

int sched_pool_create(struct sched_system *sys, const char *name, const struct sched_policy *policy,
                      const struct sched_params *params)
{
	int result;

	sched_env_lock_acquire(sys->lock);
	result = sched_pool_create_locked(sys, name, policy ? policy : &sys->policy,
	                                  params ? params : &sys->params, false, SCHED_NO_POOL,
	                                  sched_env_now());
	sched_unlock(sys);
	return result;
}

/* Free every pCPU of a pool without VMs (removal cannot be refused:
 * only the last pCPU of a pool with VMs is). */
static int pool_release_pcpus(struct sched_system *sys, int pool_id)
{
	int id, result = SCHED_OK;

	while (result == SCHED_OK && (id = pool_lowest_pcpu(&sys->pools[pool_id])) >= 0)
		result = sched_pool_remove_pcpu_locked(sys, pool_id, (unsigned)id);
	return result;
}

int sched_pool_destroy(struct sched_system *sys, int pool_id)
{
	struct sched_pool *pool;
	int result = SCHED_OK;

	sched_env_lock_acquire(sys->lock);
	if (!pool_valid(sys, pool_id) || sys->pools[pool_id].micro) {
		result = SCHED_ERR_INVALID;
		goto out;
	}
	pool = &sys->pools[pool_id];
	if (pool->vm_count) {
		result = SCHED_ERR_BUSY;
		goto out;
	}
	if (pool->micro_child >= 0) {
		result = pool_release_pcpus(sys, pool->micro_child);
		if (result != SCHED_OK)
			goto out;
		sys->pools[pool->micro_child].in_use = false;
	}
	result = pool_release_pcpus(sys, pool_id);
	if (result != SCHED_OK)
		goto out;
	pool->in_use = false;
out:
	sched_unlock(sys);
	return result;
}

int sched_pool_find(struct sched_system *sys, const char *name)
{
	int result;

	if (!name)
		return SCHED_ERR_INVALID;
	sched_env_lock_acquire(sys->lock);
	result = pool_find_locked(sys, name);
	sched_unlock(sys);
	return result;
}

int sched_pool_add_pcpu(struct sched_system *sys, int pool, unsigned pcpu)
{
	int result;

	sched_env_lock_acquire(sys->lock);
	result = sched_pool_add_pcpu_locked(sys, pool, pcpu, sched_env_now());
	sched_unlock(sys);
	return result;
}

int sched_pool_remove_pcpu(struct sched_system *sys, int pool, unsigned pcpu)
{
	int result;

	sched_env_lock_acquire(sys->lock);
	if (pool_valid(sys, pool) && !sys->pools[pool].micro && pcpu < SCHED_MAX_PCPUS &&
	    sched_pool_has_pcpu(&sys->pools[pool], (int)pcpu) &&
	    pool_pcpu_holds_a_pin(sys, &sys->pools[pool], pcpu))
		result = SCHED_ERR_BUSY;
	else
		result = sched_pool_remove_pcpu_locked(sys, pool, pcpu);
	sched_unlock(sys);
	return result;
}

int sched_pool_set_micro_count(struct sched_system *sys, int pool, unsigned count)
{
	int result;

	sched_env_lock_acquire(sys->lock);
	result = sched_pool_set_micro_count_locked(sys, pool, count, sched_env_now());
	sched_unlock(sys);
	return result;
}

unsigned sched_pool_micro_count(struct sched_system *sys, int pool)
{
	unsigned count = 0;

	sched_env_lock_acquire(sys->lock);
	if (pool_valid(sys, pool) && sys->pools[pool].micro_child >= 0)
		count = sys->pools[sys->pools[pool].micro_child].pcpu_count;
	sched_unlock(sys);
	return count;
}

unsigned sched_pool_micro_history(struct sched_system *sys, int pool_id, uint64_t *ns, unsigned max)
{
	unsigned sizes = 0;

	sched_env_lock_acquire(sys->lock);
	if (pool_valid(sys, pool_id) && sys->pools[pool_id].micro_child >= 0) {
		const struct sched_pool *pool = &sys->pools[pool_id];
		unsigned current = sys->pools[pool->micro_child].pcpu_count;
		uint64_t now = sched_env_now();
		for (unsigned c = 0; c < max && c <= SCHED_MAX_PCPUS; c++) {
			ns[c] = pool->micro_time_ns[c];
			if (c == current && now > pool->micro_since)
				ns[c] += now - pool->micro_since;
			if (ns[c])
				sizes = c + 1;
		}
	}
	sched_unlock(sys);
	return sizes;
}

int sched_vm_move(struct sched_vm *vm, int pool_id)
{
	struct sched_system *sys = vm->sys;
	struct sched_pool *old, *pool;
	uint64_t now;
	unsigned i;
	bool online = false;
	int result = SCHED_OK;

	sched_env_lock_acquire(sys->lock);
	now = sched_env_now();
	if (!vm->in_use || !pool_valid(sys, pool_id) || sys->pools[pool_id].micro) {
		result = SCHED_ERR_INVALID;
		goto out;
	}
	if (vm->pool == pool_id)
		goto out;
	old = &sys->pools[vm->pool];
	pool = &sys->pools[pool_id];
	for (i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].state != SCHED_VCPU_OFFLINE)
			online = true;
	if (online && pool->pcpu_count == 0) {
		result = SCHED_ERR_BUSY;
		goto out;
	}
	for (i = 0; i < vm->vcpu_count; i++)
		sched_ops_vcpu_remove(old, &vm->vcpus[i]);
	old->vm_count--;
	vm->pool = pool_id;
	pool->vm_count++;
	for (i = 0; i < vm->vcpu_count; i++) {
		struct sched_vcpu *vcpu = &vm->vcpus[i];
		struct sched_pcpu *target;
		int from = vcpu->pcpu;

		vcpu->affinity = SCHED_AFFINITY_ALL; /* Xen resets pins on a move */
		sched_ops_vcpu_insert(pool, vcpu);
		switch (vcpu->state) {
		case SCHED_VCPU_RUNNABLE:
		case SCHED_VCPU_OFFLOADED:
			sched_runq_unlink(sys, vcpu);
			vcpu->pcpu = SCHED_NO_PCPU;
			vcpu->directed_target = false;
			target = sched_requeue(sys, vcpu, now);
			sys->counters.migrations++;
			sched_trace(SCHED_TRACE_MIGRATE, vcpu, (uint64_t)from,
			            target ? target->id : SCHED_TRACE_NONE);
			break;
		case SCHED_VCPU_RUNNING:
			/* Its new pool does not own a micro pCPU it borrowed:
			 * it leaves at the kick's re-pick. */
			pool_end_borrow(sys, &sys->pcpus[vcpu->pcpu]);
			sched_pcpu_kick(sys, &sys->pcpus[vcpu->pcpu]);
			break;
		default:
			break;
		}
	}
out:
	sched_unlock(sys);
	return result;
}
