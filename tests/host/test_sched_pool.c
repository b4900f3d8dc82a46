/*
 * tests/host/test_sched_pool.c - cpupools (sched/cpupool.c) and the
 * micro-sliced pool rules: create/destroy/resize with queued vCPUs (moved,
 * none lost), VM moves, one queued vCPU per micro pCPU, return to the
 * previous normal pCPU after one micro slice, no balancing into the micro
 * pool, no preemption of a vCPU on a micro pCPU.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS
#define US SCHED_NS_PER_US

static struct sched_system sys;
static struct fake_machine machine;

/* Every online vCPU of every VM is exactly once queued or running, on a
 * pCPU of its pool (or of its pool's micro child when OFFLOADED). */
static unsigned check_placement(void)
{
	unsigned vm, i, p, seen = 0, queued = 0, running = 0;

	for (vm = 0; vm < SCHED_MAX_VMS; vm++) {
		struct sched_vm *m = &sys.vms[vm];

		if (!m->in_use)
			continue;
		for (i = 0; i < m->vcpu_count; i++) {
			struct sched_vcpu *v = &m->vcpus[i];
			struct sched_pool *pool = &sys.pools[m->pool];

			switch (v->state) {
			case SCHED_VCPU_RUNNABLE:
				CHECK(v->pcpu >= 0 && sys.pcpus[v->pcpu].pool == m->pool);
				seen++;
				break;
			case SCHED_VCPU_OFFLOADED:
				CHECK(v->pcpu >= 0 && sys.pcpus[v->pcpu].pool == pool->micro_child);
				seen++;
				break;
			case SCHED_VCPU_RUNNING:
				CHECK(v->pcpu >= 0 && sys.pcpus[v->pcpu].current == v);
				seen++;
				break;
			default:
				break;
			}
		}
	}
	for (p = 0; p < sys.pcpu_count; p++) {
		queued += sys.pcpus[p].runq_length;
		running += sys.pcpus[p].current != NULL;
	}
	CHECK_EQ(queued + running, seen);
	return seen;
}

/* ---- create / destroy ---- */

static void test_pool_create_destroy(void)
{
	struct sched_vm *vm;
	int pool;

	CHECK(fake_system_init(&sys, "credit", NULL, 4) == 0);
	CHECK_EQ(sched_pool_find(&sys, "Pool-0"), 0);
	CHECK_EQ(sys.pools[0].pcpu_count, 4);
	pool = sched_pool_create(&sys, "Pool-1", NULL, NULL);
	CHECK(pool > 0);
	CHECK_EQ(sched_pool_create(&sys, "Pool-1", NULL, NULL), SCHED_ERR_INVALID);
	CHECK_EQ(sched_pool_find(&sys, "Pool-1"), pool);
	CHECK_EQ(sched_pool_find(&sys, "nope"), SCHED_ERR_NOT_FOUND);
	/* A pCPU must be free before it joins another pool. */
	CHECK_EQ(sched_pool_add_pcpu(&sys, pool, 3), SCHED_ERR_BUSY);
	CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 3), SCHED_OK);
	CHECK_EQ(sys.pcpus[3].pool, SCHED_NO_POOL);
	CHECK_EQ(sched_pool_add_pcpu(&sys, pool, 3), SCHED_OK);
	CHECK_EQ(sys.pcpus[3].pool, pool);
	CHECK_EQ(sys.pools[pool].master, 3);
	vm = fake_vm(&sys, "v", 2, 0, pool, NULL, NULL);
	CHECK(vm != NULL);
	CHECK_EQ(sched_pool_destroy(&sys, pool), SCHED_ERR_BUSY);
	/* The last pCPU of a pool with VMs stays. */
	CHECK_EQ(sched_pool_remove_pcpu(&sys, pool, 3), SCHED_ERR_BUSY);
	CHECK_EQ(sched_vm_move(vm, 0), SCHED_OK);
	CHECK_EQ(sched_pool_destroy(&sys, pool), SCHED_OK);
	CHECK_EQ(sys.pcpus[3].pool, SCHED_NO_POOL);
	CHECK_EQ(sched_pool_find(&sys, "Pool-1"), SCHED_ERR_NOT_FOUND);
	/* Free pCPUs idle. */
	fake_machine_start(&machine, &sys);
	CHECK(fake_running(&machine, 3) == NULL);
	CHECK_EQ(machine.decision[3].until, SCHED_TIME_NEVER);
	CHECK_EQ(check_placement(), 2);
	CHECK_EQ(fake_lock.errors, 0);
}

/* ---- resize with queued vCPUs ---- */

struct resize_row {
	const char *name;
	unsigned remove_count; /* pCPUs removed from the top */
	int last_result;       /* result of the last removal   */
};

static void test_pool_resize_moves_queued_vcpus(void)
{
	static const struct resize_row rows[] = {
	    {"remove one pCPU", 1, SCHED_OK},
	    {"remove two pCPUs", 2, SCHED_OK},
	    {"shrink to one pCPU", 3, SCHED_OK},
	    {"the last pCPU stays", 4, SCHED_ERR_BUSY},
	};
	unsigned i, r, p;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct resize_row *row = &rows[i];
		struct sched_vm *vm;
		int result = SCHED_OK;

		CHECK(fake_system_init(&sys, "credit", NULL, 4) == 0);
		vm = fake_vm(&sys, "v", 8, 0, 0, NULL, NULL);
		fake_machine_start(&machine, &sys);
		for (p = 0; p < 4; p++)
			CHECK_EQ(sys.pcpus[p].runq_length, 1);
		fake_now = 5 * MS;
		for (r = 0; r < row->remove_count; r++)
			result = sched_pool_remove_pcpu(&sys, 0, 3 - r);
		CHECK_EQ(result, row->last_result);
		fake_machine_settle(&machine);
		/* Removed pCPUs are idle, nothing queued there. */
		for (p = 0; p < 4; p++) {
			if (sys.pcpus[p].pool == 0)
				continue;
			CHECK_EQ(sys.pcpus[p].runq_length, 0);
			CHECK(fake_running(&machine, p) == NULL);
		}
		CHECK_EQ(check_placement(), 8);
		/* After a while, everyone still runs in the pool. */
		fake_machine_run_until(&machine, 500 * MS);
		CHECK_EQ(check_placement(), 8);
		for (r = 0; r < vm->vcpu_count; r++)
			CHECK(vm->vcpus[r].stats.run_ns > 0);
		/* Add them back: stealing spreads the work again. */
		for (p = 0; p < 4; p++)
			if (sys.pcpus[p].pool != 0)
				CHECK_EQ(sched_pool_add_pcpu(&sys, 0, p), SCHED_OK);
		fake_machine_settle(&machine);
		for (p = 0; p < 4; p++)
			CHECK(fake_running(&machine, p) != NULL);
		CHECK_EQ(check_placement(), 8);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- VM moves ---- */

static void test_vm_move(void)
{
	struct sched_vm *a, *b;
	int pool, empty;
	unsigned i;

	CHECK(fake_system_init(&sys, "micro-static:1", NULL, 5) == 0);
	pool = sched_pool_create(&sys, "Pool-1", NULL, NULL);
	empty = sched_pool_create(&sys, "Pool-2", NULL, NULL);
	CHECK(pool > 0 && empty > 0);
	sched_pool_remove_pcpu(&sys, 0, 3);
	sched_pool_remove_pcpu(&sys, 0, 2);
	sched_pool_add_pcpu(&sys, pool, 2);
	sched_pool_add_pcpu(&sys, pool, 3);
	a = fake_vm(&sys, "a", 4, 0, 0, NULL, NULL);
	b = fake_vm(&sys, "b", 2, 0, 0, NULL, NULL);
	fake_machine_start(&machine, &sys);
	/* Offload one of a's queued vCPUs, then move a. */
	for (i = 0; i < 4; i++)
		if (a->vcpus[i].state == SCHED_VCPU_RUNNABLE)
			break;
	CHECK(i < 4);
	sched_notify_ipi(&a->vcpus[i]);
	CHECK_EQ(a->vcpus[i].state, SCHED_VCPU_OFFLOADED);
	/* By default the idle micro pCPU had borrowed a queued vCPU: the
	 * move ends that borrow too (the invariants check it). */
	CHECK(sys.counters.micro_borrows > 0);
	CHECK_EQ(sched_vm_move(a, sys.pools[0].micro_child), SCHED_ERR_INVALID);
	CHECK_EQ(sched_vm_move(a, empty), SCHED_ERR_BUSY);
	CHECK_EQ(sched_vm_move(a, pool), SCHED_OK);
	CHECK_EQ(a->pool, pool);
	CHECK_EQ(sys.pools[0].vm_count, 1);
	CHECK_EQ(sys.pools[pool].vm_count, 1);
	fake_machine_settle(&machine);
	for (i = 0; i < 4; i++) {
		CHECK(a->vcpus[i].state == SCHED_VCPU_RUNNING ||
		      a->vcpus[i].state == SCHED_VCPU_RUNNABLE);
		CHECK_EQ(sys.pcpus[a->vcpus[i].pcpu].pool, pool);
	}
	for (i = 0; i < 2; i++)
		CHECK_EQ(sys.pcpus[b->vcpus[i].pcpu].pool, 0);
	CHECK_EQ(check_placement(), 6);
	fake_machine_run_until(&machine, 200 * MS);
	CHECK_EQ(check_placement(), 6);
	for (i = 0; i < 4; i++)
		CHECK_EQ(sys.pcpus[a->vcpus[i].pcpu].pool, pool);
	CHECK_EQ(fake_lock.errors, 0);
}

/* ---- micro-sliced pool rules ---- */

/* micro-static:1 on 3 pCPUs with micro_queue_depth `depth`: normal 0-1,
 * micro 2; VM "a" with 6 vCPUs: 0/1 run, 2-5 queued. */
static struct sched_vm *setup_micro_depth(unsigned depth)
{
	struct sched_vm *a;
	struct sched_params params;

	fake_params_mechanisms_off(&params);
	params.micro_queue_depth = depth;
	/* The paper's micro pool: an idle micro pCPU runs nothing
	 * (micro_borrow: tests/host/test_sched_mechanisms.c). */
	params.micro_borrow = SCHED_BORROW_OFF;
	CHECK(fake_system_init(&sys, "micro-static:1", &params, 3) == 0);
	a = fake_vm(&sys, "a", 6, 0, 0, NULL, NULL);
	fake_machine_start(&machine, &sys);
	CHECK_EQ(sys.pcpus[2].pool, sys.pools[0].micro_child);
	CHECK(fake_running(&machine, 0) == &a->vcpus[0]);
	CHECK(fake_running(&machine, 1) == &a->vcpus[1]);
	CHECK(fake_running(&machine, 2) == NULL);
	return a;
}

static struct sched_vm *setup_micro(void)
{
	return setup_micro_depth(SCHED_MICRO_QUEUE_DEFAULT);
}

/* The paper's rule (micro_queue_depth=1): one vCPU queued per micro pCPU. */
static void test_micro_one_queued_per_pcpu(void)
{
	struct sched_vm *a = setup_micro_depth(1);
	struct sched_counters counters;

	fake_now = 1 * MS;
	sched_notify_ipi(&a->vcpus[2]); /* queued on idle micro pCPU */
	CHECK_EQ(a->vcpus[2].state, SCHED_VCPU_OFFLOADED);
	CHECK_EQ(sys.pcpus[2].runq_length, 1);
	sched_notify_ipi(&a->vcpus[3]); /* queue full: fails */
	CHECK_EQ(a->vcpus[3].state, SCHED_VCPU_RUNNABLE);
	fake_machine_settle(&machine); /* micro pCPU runs vCPU 2 */
	CHECK(fake_running(&machine, 2) == &a->vcpus[2]);
	sched_notify_ipi(&a->vcpus[3]); /* may queue behind the running one */
	CHECK_EQ(a->vcpus[3].state, SCHED_VCPU_OFFLOADED);
	sched_notify_ipi(&a->vcpus[4]); /* full again */
	CHECK_EQ(a->vcpus[4].state, SCHED_VCPU_RUNNABLE);
	sched_counters_read(&sys, &counters);
	CHECK_EQ(counters.offloads[SCHED_OFFLOAD_IPI], 2);
	CHECK_EQ(counters.offload_failures[SCHED_OFFLOAD_IPI], 2);
	CHECK_EQ(fake_trace_count_event(SCHED_TRACE_OFFLOAD_FAILED), 2);
	CHECK_EQ(a->vcpus[4].stats.offload_failures, 1);
	CHECK(sys.pcpus[2].runq_length <= 1);
	check_placement();
}

/* vIPIs to the queued vCPUs 2-5 before the micro pCPU picks one up: it
 * accepts micro_queue_depth of them, the rest fail. */
static void test_micro_queue_depth(void)
{
	static const struct {
		unsigned depth, accepted;
	} rows[] = {{1, 1}, {SCHED_MICRO_QUEUE_DEFAULT, 3}, {SCHED_MICRO_QUEUE_MAX, 4}};
	unsigned r, i;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct sched_vm *a = setup_micro_depth(rows[r].depth);
		struct sched_counters counters;

		fake_now = 1 * MS;
		for (i = 2; i < 6; i++)
			sched_notify_ipi(&a->vcpus[i]);
		for (i = 2; i < 6; i++)
			CHECK_EQ(a->vcpus[i].state, i - 2 < rows[r].accepted ? SCHED_VCPU_OFFLOADED
			                                                     : SCHED_VCPU_RUNNABLE);
		sched_counters_read(&sys, &counters);
		CHECK_EQ(counters.offloads[SCHED_OFFLOAD_IPI], rows[r].accepted);
		CHECK_EQ(counters.offload_failures[SCHED_OFFLOAD_IPI], 4 - rows[r].accepted);
		CHECK_EQ(sys.pcpus[2].runq_length, rows[r].accepted);
		check_placement();
	}
}

static void test_micro_returns_home_after_one_slice(void)
{
	struct sched_vm *a = setup_micro();
	struct sched_vcpu *v = &a->vcpus[3];
	const struct sched_trace_record *ret;
	int home = v->pcpu;
	struct sched_decision d;

	fake_now = 1 * MS;
	sched_notify_virq(v);
	CHECK_EQ(v->home_pcpu, home);
	fake_machine_settle(&machine);
	CHECK(fake_running(&machine, 2) == v);
	CHECK_EQ(machine.decision[2].until, 1 * MS + 100 * US);
	/* A spurious kick does not cut the micro slice short. */
	d = fake_schedule(&machine, 2);
	CHECK(d.vcpu == v && !d.switched);
	fake_machine_run_until(&machine, 1 * MS + 100 * US);
	CHECK(fake_running(&machine, 2) == NULL);
	CHECK_EQ(v->state, SCHED_VCPU_RUNNABLE);
	CHECK_EQ(v->pcpu, home);
	CHECK_EQ(v->stats.micro_run_ns, 100 * US);
	ret = fake_trace_find(SCHED_TRACE_RETURN, 0);
	CHECK(ret != NULL);
	if (ret) {
		CHECK_EQ(ret->arg0, (uint64_t)home);
		CHECK_EQ(ret->vcpu, 3);
	}
	CHECK_EQ(sys.counters.micro_returns, 1);
	/* It also goes home when it blocks or yields on the micro pCPU. */
	sched_notify_virq(v);
	fake_machine_settle(&machine);
	CHECK(fake_running(&machine, 2) == v);
	sched_vcpu_yield(v, SCHED_YIELD_PLE, 0, false);
	fake_schedule(&machine, 2);
	CHECK_EQ(v->state, SCHED_VCPU_RUNNABLE);
	CHECK_EQ(v->pcpu, home);
	check_placement();
}

static void test_micro_no_balancing_into_it(void)
{
	struct sched_vm *a = setup_micro();
	unsigned i;

	/* Lots of queued work on the normal pCPUs for 200 ms: the idle micro
	 * pCPU never steals it, and only offloads use it. */
	fake_machine_run_until(&machine, 200 * MS);
	CHECK_EQ(sys.pcpus[2].busy_ns, 0);
	for (i = 0; i < 6; i++)
		CHECK_EQ(a->vcpus[i].stats.micro_run_ns, 0);
	for (i = 0; i < fake_trace_count; i++)
		if (fake_trace[i].event == SCHED_TRACE_MIGRATE)
			CHECK(fake_trace[i].arg1 != 2);
	/* Adding work to the normal pool does not kick the micro pCPU. */
	fake_kicked_mask = 0;
	sched_vcpu_offline(&a->vcpus[5]);
	fake_machine_settle(&machine);
	sched_vcpu_online(&a->vcpus[5]);
	CHECK(!(fake_kicked_mask & (1ull << 2)));
	CHECK(a->vcpus[5].pcpu != 2);
	check_placement();
}

static void test_micro_not_preempted_by_boost(void)
{
	struct sched_vm *a = setup_micro();
	struct sched_vcpu *v = &a->vcpus[3];
	struct sched_vcpu *sleeper = &a->vcpus[0];

	/* vCPU 0 blocks (UNDER; pCPU 0 picks vCPU 2), vCPU 3 (queued on
	 * pCPU 1) runs on the micro pCPU. */
	fake_now = 1 * MS;
	sched_vcpu_block(sleeper, 0, false);
	fake_schedule(&machine, 0);
	fake_machine_settle(&machine);
	CHECK(fake_running(&machine, 0) == &a->vcpus[2]);
	sched_notify_ipi(v);
	CHECK_EQ(v->state, SCHED_VCPU_OFFLOADED);
	fake_machine_settle(&machine);
	CHECK(fake_running(&machine, 2) == v);
	/* A BOOSTed wake never preempts, nor even kicks, the micro pCPU. */
	fake_now += 20 * US;
	fake_kicked_mask = 0;
	sched_vcpu_wake(sleeper);
	CHECK_EQ(sched_vcpu_priority(sleeper), SCHED_PRIORITY_BOOST);
	CHECK(!(fake_kicked_mask & (1ull << 2)));
	CHECK(sleeper->pcpu != 2);
	/* Another offload queues behind it without kicking it. */
	sched_notify_ipi(&a->vcpus[4]);
	CHECK_EQ(a->vcpus[4].state, SCHED_VCPU_OFFLOADED);
	CHECK(!(fake_kicked_mask & (1ull << 2)));
	fake_schedule(&machine, 2); /* even if asked, it keeps running */
	CHECK(fake_running(&machine, 2) == v);
	fake_machine_run_until(&machine, 1 * MS + 100 * US);
	CHECK(fake_running(&machine, 2) == &a->vcpus[4]);
	CHECK_EQ(v->state == SCHED_VCPU_RUNNABLE || v->state == SCHED_VCPU_RUNNING, 1);
	check_placement();
}

/* ---- resizing the micro child ---- */

static void test_micro_resize(void)
{
	struct sched_vm *a = setup_micro();
	uint64_t returns;
	unsigned i;

	/* vCPU 2 waits on the micro pCPU when it goes back to normal. */
	sched_notify_ipi(&a->vcpus[2]);
	CHECK_EQ(a->vcpus[2].state, SCHED_VCPU_OFFLOADED);
	CHECK_EQ(sched_pool_set_micro_count(&sys, 0, 0), SCHED_OK);
	CHECK_EQ(a->vcpus[2].state, SCHED_VCPU_RUNNABLE);
	CHECK_EQ(sys.pcpus[2].pool, 0);
	CHECK_EQ(sched_pool_micro_count(&sys, 0), 0);
	fake_machine_settle(&machine);
	CHECK(fake_running(&machine, 2) != NULL); /* steals normal work */
	CHECK_EQ(check_placement(), 6);
	/* Grow to 2: the normal pool keeps one pCPU, 3 is too many. */
	CHECK_EQ(sched_pool_set_micro_count(&sys, 0, 3), SCHED_ERR_FULL);
	returns = sys.counters.micro_returns;
	CHECK(fake_running(&machine, 1) != NULL); /* a normal vCPU runs */
	CHECK_EQ(sched_pool_set_micro_count(&sys, 0, 2), SCHED_OK);
	CHECK_EQ(sys.pcpus[0].pool, 0);
	CHECK_EQ(sys.pcpus[1].pool, sys.pools[0].micro_child);
	CHECK_EQ(sys.pcpus[2].pool, sys.pools[0].micro_child);
	CHECK_EQ(sys.pools[0].master, 0);
	fake_machine_settle(&machine);
	CHECK(fake_running(&machine, 1) == NULL);
	CHECK(fake_running(&machine, 2) == NULL);
	/* The stranded normal vCPUs were moved, not "returned". */
	CHECK_EQ(sys.counters.micro_returns, returns);
	CHECK_EQ(check_placement(), 6);
	for (i = 0; i < 6; i++)
		if (a->vcpus[i].state == SCHED_VCPU_RUNNABLE)
			CHECK_EQ(a->vcpus[i].pcpu, 0);
	/* Boot (0 -> 1), then 1 -> 0 and 0 -> 2. */
	CHECK_EQ(sys.counters.pool_resizes, 3);
	CHECK_EQ(fake_trace_count_event(SCHED_TRACE_POOL_RESIZE), 3);
	/* No micro child: resizing is refused. */
	CHECK(fake_system_init(&sys, "credit", NULL, 2) == 0);
	CHECK_EQ(sched_pool_set_micro_count(&sys, 0, 1), SCHED_ERR_INVALID);
	CHECK_EQ(fake_lock.errors, 0);
}

int main(void)
{
	TEST_RUN(test_pool_create_destroy);
	TEST_RUN(test_pool_resize_moves_queued_vcpus);
	TEST_RUN(test_vm_move);
	TEST_RUN(test_micro_one_queued_per_pcpu);
	TEST_RUN(test_micro_queue_depth);
	TEST_RUN(test_micro_returns_home_after_one_slice);
	TEST_RUN(test_micro_no_balancing_into_it);
	TEST_RUN(test_micro_not_preempted_by_boost);
	TEST_RUN(test_micro_resize);
	return test_summary("test_sched_pool");
}
