/*
 * tests/host/test_sched_credit.c - the credit policy (sched/credit.c) and
 * the core's dispatch (sched/core.c): accounting and priorities, BOOST only
 * on wake-from-blocked, tick unboost, rate limit, stealing, weights, time
 * slices and yields, all on the fake clock.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS
#define US SCHED_NS_PER_US

static struct sched_system sys;
static struct fake_machine machine;

static struct sched_params params_with(uint64_t ratelimit_ns, bool steal)
{
	struct sched_params params;

	sched_params_default(&params);
	params.ratelimit_ns = ratelimit_ns;
	params.steal = steal;
	return params;
}

/* Record time of the first SCHEDULE_IN of `vcpu` at or after `from`. */
static int64_t first_schedule_in(const struct sched_vcpu *vcpu, uint64_t from)
{
	unsigned i;

	for (i = 0; i < fake_trace_count; i++) {
		const struct sched_trace_record *r = &fake_trace[i];

		if (r->event == SCHED_TRACE_SCHEDULE_IN && r->time >= from &&
		    r->vm == vcpu->vm->id && r->vcpu == vcpu->index)
			return (int64_t)r->time;
	}
	return -1;
}

/* ---- BOOST only for a vCPU woken from BLOCKED ---- */

enum boost_setup {
	BOOST_BLOCKED_UNDER,
	BOOST_BLOCKED_OVER,
	BOOST_RUNNABLE_MIXED,
	BOOST_PENDING_BLOCK,
	BOOST_IPI_STORM,
};

struct boost_row {
	const char *name;
	enum boost_setup setup;
	bool boosted;
	int priority;
};

/* Wake requests a sibling's IPI storm makes for one vCPU (docs/smp.md). */
#define STORM_NOTIFICATIONS 1000

static void test_boost_only_on_wake_from_blocked(void)
{
	static const struct boost_row rows[] = {
	    {"blocked UNDER vCPU wakes with BOOST", BOOST_BLOCKED_UNDER, true,
	     SCHED_PRIORITY_BOOST},
	    {"blocked OVER vCPU wakes without BOOST", BOOST_BLOCKED_OVER, false,
	     SCHED_PRIORITY_OVER},
	    {"runnable mixed vCPU gets a vIRQ: no BOOST", BOOST_RUNNABLE_MIXED, false,
	     SCHED_PRIORITY_UNDER},
	    {"wake before the HLT took effect: no BOOST", BOOST_PENDING_BLOCK, false,
	     SCHED_PRIORITY_UNDER},
	    {"wake storm on running and runnable vCPUs: no BOOST", BOOST_IPI_STORM, false,
	     SCHED_PRIORITY_UNDER},
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct boost_row *row = &rows[i];
		struct sched_vm *a, *b, *c;
		struct sched_vcpu *v = NULL;
		struct sched_counters counters;

		/* 2 pCPUs: A (weight 768) alone on pCPU 0, B (256) on 1. */
		CHECK(fake_system_init(&sys, "credit", NULL, 2) == 0);
		a = fake_vm(&sys, "a", 1, 768, 0, NULL, NULL);
		b = fake_vm(&sys, "b", 1, 256, 0, NULL, NULL);
		c = sched_vm_create(&sys, &(struct sched_vm_config){.name = "c", .vcpu_count = 1});
		fake_machine_start(&machine, &sys);
		fake_machine_run_until(&machine, 31 * MS);
		/* After the first accounting A is UNDER, B is OVER. */
		CHECK_EQ(sched_vcpu_priority(&a->vcpus[0]), SCHED_PRIORITY_UNDER);
		CHECK_EQ(sched_vcpu_priority(&b->vcpus[0]), SCHED_PRIORITY_OVER);
		switch (row->setup) {
		case BOOST_BLOCKED_UNDER:
		case BOOST_BLOCKED_OVER:
			v = row->setup == BOOST_BLOCKED_UNDER ? &a->vcpus[0] : &b->vcpus[0];
			CHECK_EQ(sched_vcpu_block(v, 0x1000, true), SCHED_OK);
			fake_schedule(&machine, (unsigned)v->pcpu);
			CHECK_EQ(v->state, SCHED_VCPU_BLOCKED);
			fake_now += MS;
			sched_vcpu_wake(v);
			break;
		case BOOST_RUNNABLE_MIXED:
			v = &c->vcpus[0];
			sched_vcpu_online(v); /* queued behind a busy pCPU */
			fake_machine_settle(&machine);
			CHECK_EQ(v->state, SCHED_VCPU_RUNNABLE);
			sched_notify_virq(v);
			sched_vcpu_wake(v); /* no-op: it is not blocked */
			sched_counters_read(&sys, &counters);
			CHECK_EQ(counters.virqs[SCHED_TARGET_PREEMPTED], 1);
			CHECK_EQ(counters.offload_disabled[SCHED_OFFLOAD_VIRQ], 1);
			break;
		case BOOST_PENDING_BLOCK:
			v = &a->vcpus[0];
			CHECK_EQ(sched_vcpu_block(v, 0x1000, true), SCHED_OK);
			sched_vcpu_wake(v);
			CHECK(!fake_schedule(&machine, 0).switched);
			CHECK_EQ(v->state, SCHED_VCPU_RUNNING);
			break;
		case BOOST_IPI_STORM: {
			/* IPIs to A (running) and C (queued): no wake-up, no
			 * BOOST, no kick, A keeps its pCPU. */
			struct sched_vcpu *queued = &c->vcpus[0];
			unsigned long kicks;
			unsigned n;

			v = &a->vcpus[0];
			sched_vcpu_online(queued);
			fake_machine_settle(&machine);
			CHECK_EQ(queued->state, SCHED_VCPU_RUNNABLE);
			kicks = fake_kick_count;
			for (n = 0; n < STORM_NOTIFICATIONS; n++) {
				sched_notify_ipi(v);
				sched_vcpu_wake(v);
				sched_notify_ipi(queued);
				sched_vcpu_wake(queued);
			}
			CHECK_EQ(fake_kick_count, kicks);
			CHECK(!fake_schedule(&machine, 0).switched);
			CHECK_EQ(v->state, SCHED_VCPU_RUNNING);
			CHECK_EQ(sched_vcpu_priority(queued), SCHED_PRIORITY_UNDER);
			sched_counters_read(&sys, &counters);
			CHECK_EQ(counters.wakeups, 0);
			CHECK_EQ(counters.ipis[SCHED_TARGET_RUNNING], STORM_NOTIFICATIONS);
			CHECK_EQ(counters.ipis[SCHED_TARGET_PREEMPTED], STORM_NOTIFICATIONS);
			break;
		}
		}
		sched_counters_read(&sys, &counters);
		if (counters.boosts != (row->boosted ? 1u : 0u))
			fprintf(stderr, "row: %s\n", row->name);
		CHECK_EQ(counters.boosts, row->boosted ? 1 : 0);
		CHECK_EQ(sched_vcpu_priority(v), row->priority);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- BOOST preempts after the rate limit; the next tick unboosts ---- */

/* 1 pCPU: A hog; B runs 30..35 ms then blocks; A runs again from 35 ms. */
static void setup_one_pcpu_b_blocked(const struct sched_params *params, struct sched_vm **a,
                                     struct sched_vm **b)
{
	CHECK(fake_system_init(&sys, "credit", params, 1) == 0);
	*a = fake_vm(&sys, "a", 1, 0, 0, NULL, NULL);
	*b = fake_vm(&sys, "b", 1, 0, 0, NULL, NULL);
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 35 * MS);
	CHECK(fake_running(&machine, 0) == &(*b)->vcpus[0]);
	sched_vcpu_block(&(*b)->vcpus[0], 0, false);
	fake_schedule(&machine, 0);
	CHECK(fake_running(&machine, 0) == &(*a)->vcpus[0]);
	CHECK_EQ((*b)->vcpus[0].state, SCHED_VCPU_BLOCKED);
}

static void test_boost_preempts_and_tick_unboosts(void)
{
	struct sched_params params = params_with(1 * MS, true);
	struct sched_vm *a, *b;
	struct sched_vcpu *vb;

	setup_one_pcpu_b_blocked(&params, &a, &b);
	vb = &b->vcpus[0];
	fake_now = 45 * MS;
	sched_vcpu_wake(vb);
	CHECK_EQ(sched_vcpu_priority(vb), SCHED_PRIORITY_BOOST);
	CHECK(fake_kicked_mask & 1);
	fake_machine_settle(&machine);
	CHECK(fake_running(&machine, 0) == vb);
	CHECK_EQ(first_schedule_in(vb, 45 * MS), 45 * MS);
	/* The pCPU's tick at 50 ms unboosts it without preempting it. */
	fake_machine_run_until(&machine, 50 * MS);
	CHECK_EQ(sched_vcpu_priority(vb), SCHED_PRIORITY_UNDER);
	CHECK(fake_running(&machine, 0) == vb);
}

/* ---- rate limit ---- */

struct ratelimit_row {
	uint64_t ratelimit_ns;
	uint64_t wake_after_ns; /* after A resumed at 35 ms */
	uint64_t b_starts_at_ns;
	unsigned holds;
};

static void test_ratelimit(void)
{
	static const struct ratelimit_row rows[] = {
	    {1 * MS, 300 * US, 36 * MS, 1},
	    {1 * MS, 2 * MS, 37 * MS, 0},
	    {0, 300 * US, 35 * MS + 300 * US, 0},
	    {5 * MS, 1 * MS, 40 * MS, 1},
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_params params = params_with(rows[i].ratelimit_ns, true);
		struct sched_counters counters;
		struct sched_vm *a, *b;

		setup_one_pcpu_b_blocked(&params, &a, &b);
		fake_now = 35 * MS + rows[i].wake_after_ns;
		sched_vcpu_wake(&b->vcpus[0]);
		fake_machine_run_until(&machine, 41 * MS);
		CHECK_EQ(first_schedule_in(&b->vcpus[0], 35 * MS + 1), rows[i].b_starts_at_ns);
		sched_counters_read(&sys, &counters);
		CHECK_EQ(counters.ratelimit_holds, rows[i].holds);
	}
}

/* ---- work stealing ---- */

struct steal_row {
	const char *name;
	bool steal;
	unsigned block_pcpu; /* whose running vCPU blocks at 1 ms */
	unsigned steals;
	int pcpu1_runs; /* 0: A1, 1: B, -1: idle */
};

static void test_steal(void)
{
	static const struct steal_row rows[] = {
	    {"idle pCPU steals from a busy peer", true, 1, 1, 1},
	    {"no stealing when disabled", false, 1, 0, -1},
	    {"local work first, no steal", true, 0, 0, 0},
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct steal_row *row = &rows[i];
		struct sched_params params = params_with(1 * MS, row->steal);
		struct sched_counters counters;
		struct sched_vm *a, *b;
		struct sched_vcpu *expect;

		CHECK(fake_system_init(&sys, "credit", &params, 2) == 0);
		a = fake_vm(&sys, "a", 2, 0, 0, NULL, NULL);
		b = fake_vm(&sys, "b", 1, 0, 0, NULL, NULL);
		fake_machine_start(&machine, &sys);
		CHECK(fake_running(&machine, 0) == &a->vcpus[0]);
		CHECK(fake_running(&machine, 1) == &a->vcpus[1]);
		CHECK_EQ(b->vcpus[0].state, SCHED_VCPU_RUNNABLE);
		CHECK_EQ(b->vcpus[0].pcpu, 0);
		fake_now = 1 * MS;
		sched_vcpu_block(fake_running(&machine, row->block_pcpu), 0, false);
		fake_schedule(&machine, row->block_pcpu);
		fake_machine_settle(&machine);
		sched_counters_read(&sys, &counters);
		CHECK_EQ(counters.steals, row->steals);
		expect = row->pcpu1_runs == 0   ? &a->vcpus[1]
		         : row->pcpu1_runs == 1 ? &b->vcpus[0]
		                                : NULL;
		if (fake_running(&machine, 1) != expect)
			fprintf(stderr, "row: %s\n", row->name);
		CHECK(fake_running(&machine, 1) == expect);
		if (row->steals) {
			const struct sched_trace_record *r =
			    fake_trace_find(SCHED_TRACE_MIGRATE, 0);

			CHECK(r != NULL);
			if (r) {
				CHECK_EQ(r->arg0, 0);
				CHECK_EQ(r->arg1, 1);
			}
		}
	}
}

/* ---- credit accounting ---- */

struct account_row {
	unsigned pcpus;
	unsigned a_vcpus, b_vcpus;
	uint32_t a_weight, b_weight;
	int64_t a_credit, b_credit;
	int a_priority, b_priority;
};

static void test_accounting(void)
{
	static const struct account_row rows[] = {
	    /* Each vCPU runs 10 ms (-100, one tick: active), blocks. */
	    {2, 1, 1, 256, 512, 100, 300, SCHED_PRIORITY_UNDER, SCHED_PRIORITY_UNDER},
	    {2, 1, 1, 256, 256, 200, 200, SCHED_PRIORITY_UNDER, SCHED_PRIORITY_UNDER},
	    {3, 1, 2, 256, 256, 200, 200, SCHED_PRIORITY_UNDER, SCHED_PRIORITY_UNDER},
	    /* 600 each > bound 300: stops earning, keeps half. */
	    {4, 1, 1, 256, 256, 250, 250, SCHED_PRIORITY_UNDER, SCHED_PRIORITY_UNDER},
	    /* One pCPU, 300 credits for 200 burnt, 1:4 -> A goes OVER. */
	    {1, 1, 1, 256, 1024, -40, 140, SCHED_PRIORITY_OVER, SCHED_PRIORITY_UNDER},
	};
	unsigned i, j, step, p;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct account_row *row = &rows[i];
		struct sched_vm *a, *b;
		bool all_blocked = false;

		CHECK(fake_system_init(&sys, "credit", NULL, row->pcpus) == 0);
		a = fake_vm(&sys, "a", row->a_vcpus, row->a_weight, 0, NULL, NULL);
		b = fake_vm(&sys, "b", row->b_vcpus, row->b_weight, 0, NULL, NULL);
		fake_machine_start(&machine, &sys);
		for (step = 1; step <= 2 && !all_blocked; step++) {
			fake_machine_run_until(&machine, step * 10 * MS);
			for (p = 0; p < row->pcpus; p++) {
				struct sched_vcpu *v = fake_running(&machine, p);

				if (v) {
					sched_vcpu_block(v, 0, false);
					fake_schedule(&machine, p);
				}
			}
			all_blocked = true;
			for (j = 0; j < row->a_vcpus; j++)
				all_blocked &= a->vcpus[j].state == SCHED_VCPU_BLOCKED;
			for (j = 0; j < row->b_vcpus; j++)
				all_blocked &= b->vcpus[j].state == SCHED_VCPU_BLOCKED;
		}
		CHECK(all_blocked);
		for (j = 0; j < row->a_vcpus; j++)
			CHECK_EQ(sched_vcpu_credit(&a->vcpus[j]), -100);
		fake_machine_run_until(&machine, 30 * MS);
		CHECK_EQ(sys.counters.accountings, 1);
		for (j = 0; j < row->a_vcpus; j++) {
			CHECK_EQ(sched_vcpu_credit(&a->vcpus[j]), row->a_credit);
			CHECK_EQ(sched_vcpu_priority(&a->vcpus[j]), row->a_priority);
		}
		for (j = 0; j < row->b_vcpus; j++) {
			CHECK_EQ(sched_vcpu_credit(&b->vcpus[j]), row->b_credit);
			CHECK_EQ(sched_vcpu_priority(&b->vcpus[j]), row->b_priority);
		}
	}
}

/* ---- weights split the CPU ---- */

struct weight_row {
	unsigned pcpus, vcpus_per_vm;
	uint32_t a_weight, b_weight;
	unsigned ratio_percent; /* B's CPU time / A's, in percent */
};

static void test_weights_split_cpu(void)
{
	static const struct weight_row rows[] = {
	    {1, 1, 256, 512, 200},
	    {1, 1, 256, 256, 100},
	    {2, 2, 256, 512, 200},
	    {2, 1, 256, 512, 100}, /* one vCPU each: a pCPU each */
	};
	unsigned i, j;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct weight_row *row = &rows[i];
		struct sched_vm *a, *b;
		uint64_t run_a = 0, run_b = 0, ratio;

		CHECK(fake_system_init(&sys, "credit", NULL, row->pcpus) == 0);
		a = fake_vm(&sys, "a", row->vcpus_per_vm, row->a_weight, 0, NULL, NULL);
		b = fake_vm(&sys, "b", row->vcpus_per_vm, row->b_weight, 0, NULL, NULL);
		fake_machine_start(&machine, &sys);
		fake_machine_run_until(&machine, 3000 * MS);
		for (j = 0; j < row->vcpus_per_vm; j++) {
			fake_schedule(&machine, 0); /* charge running time */
			run_a += a->vcpus[j].stats.run_ns;
			run_b += b->vcpus[j].stats.run_ns;
		}
		ratio = run_a ? run_b * 100 / run_a : 0;
		printf("weights %u:%u on %u pCPU(s), %u vCPU(s) each: "
		       "B/A CPU = %llu%%\n",
		       row->a_weight, row->b_weight, row->pcpus, row->vcpus_per_vm,
		       (unsigned long long)ratio);
		CHECK(ratio + 8 >= row->ratio_percent);
		CHECK(ratio <= row->ratio_percent + 8);
		/* No CPU time lost: busy time adds up to the interval. */
		CHECK(run_a + run_b + row->pcpus * 30 * MS >= row->pcpus * 3000 * MS);
	}
}

/* ---- time slices ---- */

struct slice_row {
	const char *policy;
	uint64_t slice_ns;
};

static void test_time_slice(void)
{
	static const struct slice_row rows[] = {
	    {"credit", 30 * MS},
	    {"credit-short", 100 * US},
	    {"micro-dynamic", 30 * MS},
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_vm *a, *b;
		const struct sched_trace_record *in;

		CHECK(fake_system_init(&sys, rows[i].policy, NULL, 1) == 0);
		a = fake_vm(&sys, "a", 1, 0, 0, NULL, NULL);
		b = fake_vm(&sys, "b", 1, 0, 0, NULL, NULL);
		fake_machine_start(&machine, &sys);
		in = fake_trace_find(SCHED_TRACE_SCHEDULE_IN, 0);
		CHECK(in && in->arg0 == rows[i].slice_ns);
		fake_machine_run_until(&machine, 3 * rows[i].slice_ns / 2);
		CHECK(fake_running(&machine, 0) == &b->vcpus[0]);
		CHECK_EQ(first_schedule_in(&b->vcpus[0], 0), rows[i].slice_ns);
		(void)a;
	}
}

/* ---- yields ---- */

struct yield_row {
	const char *name;
	bool other_waiting;
	bool switched;
};

static void test_yield_order(void)
{
	static const struct yield_row rows[] = {
	    {"yield with an equal waiting: it runs", true, true},
	    {"yield alone: the yielder runs on", false, false},
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_vm *a, *b;
		struct sched_decision d;

		CHECK(fake_system_init(&sys, "credit", NULL, 1) == 0);
		a = fake_vm(&sys, "a", 1, 0, 0, NULL, NULL);
		b = fake_vm(&sys, "b", 1, 0, 0, NULL, NULL);
		if (!rows[i].other_waiting)
			sched_vcpu_offline(&b->vcpus[0]);
		fake_machine_start(&machine, &sys);
		fake_now = 5 * MS;
		CHECK_EQ(sched_vcpu_yield(&a->vcpus[0], SCHED_YIELD_GUEST, 0, false), SCHED_OK);
		d = fake_schedule(&machine, 0);
		CHECK_EQ(d.switched, rows[i].switched);
		CHECK(d.vcpu == (rows[i].switched ? &b->vcpus[0] : &a->vcpus[0]));
		CHECK_EQ(sys.counters.yields[SCHED_YIELD_GUEST][SCHED_CATEGORY_NONE], 1);
		/* Yielding from a non-running vCPU is refused. */
		CHECK_EQ(sched_vcpu_yield(&b->vcpus[0], SCHED_YIELD_PLE, 0, false),
		         rows[i].switched ? SCHED_OK : SCHED_ERR_INVALID);
	}
}

/* ---- life cycle ---- */

static void test_vcpu_life_cycle(void)
{
	struct sched_vm *a;
	struct sched_vcpu *v;

	CHECK(fake_system_init(&sys, "credit", NULL, 1) == 0);
	a = sched_vm_create(&sys, &(struct sched_vm_config){.name = "a", .vcpu_count = 2});
	CHECK(a != NULL);
	v = &a->vcpus[0];
	CHECK_EQ(v->state, SCHED_VCPU_OFFLINE);
	CHECK_EQ(sched_vcpu_block(v, 0, false), SCHED_ERR_INVALID);
	CHECK_EQ(sched_vcpu_online(v), SCHED_OK);
	CHECK_EQ(sched_vcpu_online(v), SCHED_ERR_INVALID);
	CHECK_EQ(v->state, SCHED_VCPU_RUNNABLE);
	fake_machine_start(&machine, &sys);
	CHECK(fake_running(&machine, 0) == v);
	CHECK_EQ(sched_vm_destroy(a), SCHED_ERR_BUSY);
	sched_vcpu_offline(v);
	CHECK_EQ(v->state, SCHED_VCPU_RUNNING); /* leaves at next schedule */
	fake_machine_settle(&machine);
	CHECK_EQ(v->state, SCHED_VCPU_OFFLINE);
	CHECK(fake_running(&machine, 0) == NULL);
	CHECK_STR(sched_vcpu_state_name(v->state), "offline");
	CHECK_EQ(sched_vm_destroy(a), SCHED_OK);
	CHECK_EQ(fake_lock.errors, 0);
	CHECK_EQ(fake_lock.depth, 0);
}

int main(void)
{
	TEST_RUN(test_boost_only_on_wake_from_blocked);
	TEST_RUN(test_boost_preempts_and_tick_unboosts);
	TEST_RUN(test_ratelimit);
	TEST_RUN(test_steal);
	TEST_RUN(test_accounting);
	TEST_RUN(test_weights_split_cpu);
	TEST_RUN(test_time_slice);
	TEST_RUN(test_yield_order);
	TEST_RUN(test_vcpu_life_cycle);
	return test_summary("test_sched_credit");
}
