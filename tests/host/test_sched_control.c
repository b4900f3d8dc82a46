/*
 * tests/host/test_sched_control.c - run-time controls (sched/control.c):
 * hard affinity (valid and refused pins, a pinned vCPU runs only there,
 * a pCPU holding a pin is not removed, a micro resize breaks the pin),
 * the credit cap (a capped hog gets its cap of one pCPU, measured), and
 * pausing (a paused VM gets no CPU time, then resumes). Every scheduler
 * call runs sched_check_invariants() (fake_system_init()).
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS

static struct sched_system sys;
static struct fake_machine machine;

/* ---- pins: which are valid (table) ---- */

struct pin_row {
	const char *name;
	const char *policy;
	uint64_t mask;
	int expect;
};

/* 4 pCPUs; Pool-1 gets pCPU 3 (unless a micro child has it); VM "a"
 * (2 vCPUs) in Pool-0 (0-2). */
static const struct pin_row pin_rows[] = {
    {"any pCPU", "credit", SCHED_AFFINITY_ALL, SCHED_OK},
    {"one pCPU of its pool", "credit", 1u << 1, SCHED_OK},
    {"two pCPUs of its pool", "credit", (1u << 0) | (1u << 2), SCHED_OK},
    {"empty mask", "credit", 0, SCHED_ERR_INVALID},
    {"a pCPU of another pool", "credit", 1u << 3, SCHED_ERR_INVALID},
    {"its pool and another", "credit", (1u << 0) | (1u << 3), SCHED_ERR_INVALID},
    {"a pCPU that does not exist", "credit", 1u << 9, SCHED_ERR_INVALID},
    {"pinned places vCPUs itself", "pinned", 1u << 1, SCHED_ERR_INVALID},
    {"pinned, any pCPU", "pinned", SCHED_AFFINITY_ALL, SCHED_OK},
    /* micro-static:1: pCPU 3 is Pool-0's micro child (no Pool-1) */
    {"micro child only", "micro-static:1", 1u << 3, SCHED_ERR_INVALID},
    {"normal and micro child", "micro-static:1", (1u << 1) | (1u << 3), SCHED_OK},
};

static void test_pin_table(void)
{
	for (size_t i = 0; i < sizeof(pin_rows) / sizeof(pin_rows[0]); i++) {
		const struct pin_row *row = &pin_rows[i];
		struct sched_vm *vm;
		int pool;

		test_case_begin(row->name);
		CHECK(fake_system_init(&sys, row->policy, NULL, 4) == 0);
		if (sys.pools[0].micro_child < 0) {
			CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 3), SCHED_OK);
			pool = sched_pool_create(&sys, "Pool-1", NULL, NULL);
			CHECK(pool > 0);
			CHECK_EQ(sched_pool_add_pcpu(&sys, pool, 3), SCHED_OK);
		}
		vm = fake_vm(&sys, "a", 2, 256, 0, NULL, NULL);
		CHECK(vm != NULL);
		CHECK_EQ(sched_vcpu_set_affinity(&vm->vcpus[0], row->mask), row->expect);
		CHECK_EQ(vm->vcpus[0].affinity,
		         row->expect == SCHED_OK ? row->mask : SCHED_AFFINITY_ALL);
		test_case_end();
	}
}

/* A vCPU pinned to pCPU 2 is only ever scheduled in there. */
static void test_pin_runs_there(void)
{
	struct sched_vm *vm;
	unsigned n, ins = 0, elsewhere = 0;

	CHECK(fake_system_init(&sys, "credit", NULL, 4) == 0);
	vm = fake_vm(&sys, "a", 4, 256, 0, NULL, NULL);
	fake_vm(&sys, "b", 4, 256, 0, NULL, NULL);
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 50 * MS);
	CHECK_EQ(sched_vcpu_set_affinity(&vm->vcpus[0], 1u << 2), SCHED_OK);
	fake_machine_settle(&machine);
	unsigned first = fake_trace_count;
	fake_machine_run_until(&machine, 500 * MS);
	for (n = first; n < fake_trace_count; n++) {
		const struct sched_trace_record *r = &fake_trace[n];

		if (r->event != SCHED_TRACE_SCHEDULE_IN || r->vm != vm->id || r->vcpu != 0)
			continue;
		ins++;
		elsewhere += r->arg1 != 2;
	}
	CHECK(ins > 0);
	CHECK_EQ(elsewhere, 0);
	/* The pin's last pCPU cannot leave the pool; after unpinning it can. */
	CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 2), SCHED_ERR_BUSY);
	CHECK_EQ(sched_vcpu_set_affinity(&vm->vcpus[0], SCHED_AFFINITY_ALL), SCHED_OK);
	CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 2), SCHED_OK);
	fake_machine_run_until(&machine, 600 * MS);
}

/* A micro resize that takes the pin's last normal pCPU resets the pin. */
static void test_micro_resize_breaks_pin(void)
{
	struct sched_vm *vm;
	struct sched_counters c;

	CHECK(fake_system_init(&sys, "micro-static:1", NULL, 4) == 0);
	CHECK_EQ(sched_pool_set_micro_count(&sys, 0, 0), SCHED_OK);
	vm = fake_vm(&sys, "a", 2, 256, 0, NULL, NULL);
	fake_machine_start(&machine, &sys);
	CHECK_EQ(sched_vcpu_set_affinity(&vm->vcpus[1], 1u << 3), SCHED_OK);
	fake_machine_run_until(&machine, 20 * MS);
	CHECK_EQ(sched_pool_set_micro_count(&sys, 0, 1), SCHED_OK); /* pCPU 3 */
	CHECK_EQ(vm->vcpus[1].affinity, SCHED_AFFINITY_ALL);
	sched_counters_read(&sys, &c);
	CHECK_EQ(c.affinity_broken, 1);
	fake_machine_run_until(&machine, 100 * MS);
}

/* Moving a VM resets its pins (Xen). */
static void test_move_resets_pin(void)
{
	struct sched_vm *vm;
	int pool;

	CHECK(fake_system_init(&sys, "credit", NULL, 4) == 0);
	CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 3), SCHED_OK);
	pool = sched_pool_create(&sys, "Pool-1", NULL, NULL);
	CHECK_EQ(sched_pool_add_pcpu(&sys, pool, 3), SCHED_OK);
	vm = fake_vm(&sys, "a", 2, 256, 0, NULL, NULL);
	fake_machine_start(&machine, &sys);
	CHECK_EQ(sched_vcpu_set_affinity(&vm->vcpus[0], 1u << 1), SCHED_OK);
	fake_machine_run_until(&machine, 20 * MS);
	CHECK_EQ(sched_vm_move(vm, pool), SCHED_OK);
	CHECK_EQ(vm->vcpus[0].affinity, SCHED_AFFINITY_ALL);
	fake_machine_run_until(&machine, 100 * MS);
	CHECK_EQ(vm->vcpus[0].pcpu == 3 || vm->vcpus[0].pcpu == SCHED_NO_PCPU, 1);
}

/* ---- the cap (table): share of one pCPU a capped hog gets ---- */

struct cap_row {
	const char *name;
	unsigned pcpus, vcpus, cap;
	bool competitor;     /* an uncapped 1-vCPU hog beside it */
	unsigned expect_pct; /* of one pCPU, over the run       */
};

static const struct cap_row cap_rows[] = {
    {"cap 50, alone on 1 pCPU", 1, 1, 50, false, 50},
    {"cap 50, beside a hog on 1 pCPU", 1, 1, 50, true, 50},
    {"cap 30, alone on 2 pCPUs", 2, 1, 30, false, 30},
    {"cap 150, 2 vCPUs on 4 pCPUs", 4, 2, 150, false, 150},
    {"cap 0 = none, 2 vCPUs on 2 pCPUs", 2, 2, 0, false, 200},
    {"cap 100, 2 vCPUs on 2 pCPUs", 2, 2, 100, false, 100},
};

static void test_cap_table(void)
{
	const uint64_t run = 3000 * MS;

	for (size_t i = 0; i < sizeof(cap_rows) / sizeof(cap_rows[0]); i++) {
		const struct cap_row *row = &cap_rows[i];
		struct sched_vm *vm;
		uint64_t ran = 0;
		unsigned pct10;

		test_case_begin(row->name);
		CHECK(fake_system_init(&sys, "credit", NULL, row->pcpus) == 0);
		vm = fake_vm(&sys, "hog", row->vcpus, 256, 0, NULL, NULL);
		if (row->competitor)
			fake_vm(&sys, "other", 1, 256, 0, NULL, NULL);
		CHECK_EQ(sched_vm_set_cap(vm, row->cap), SCHED_OK);
		fake_machine_start(&machine, &sys);
		fake_machine_run_until(&machine, run);
		for (unsigned v = 0; v < vm->vcpu_count; v++)
			ran += vm->vcpus[v].stats.run_ns;
		pct10 = (unsigned)(ran * 1000 / run);
		printf("  %s: %u.%u %% of one pCPU\n", row->name, pct10 / 10, pct10 % 10);
		CHECK(pct10 + 10 >= row->expect_pct * 10 && pct10 <= row->expect_pct * 10 + 10);
		test_case_end();
	}
}

static void test_cap_range(void)
{
	struct sched_vm *vm;

	CHECK(fake_system_init(&sys, "credit", NULL, 2) == 0);
	vm = fake_vm(&sys, "a", 2, 256, 0, NULL, NULL);
	CHECK_EQ(sched_vm_set_cap(vm, 200), SCHED_OK);
	CHECK_EQ(sched_vm_set_cap(vm, 201), SCHED_ERR_INVALID);
	CHECK_EQ(vm->cap, 200);
	CHECK_EQ(sched_vm_set_cap(vm, 0), SCHED_OK);
}

/* ---- pause ---- */

static void test_pause(void)
{
	struct sched_vm *a, *b;
	uint64_t before;

	CHECK(fake_system_init(&sys, "credit", NULL, 2) == 0);
	a = fake_vm(&sys, "a", 2, 256, 0, NULL, NULL);
	b = fake_vm(&sys, "b", 2, 256, 0, NULL, NULL);
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 100 * MS);
	CHECK_EQ(sched_vm_pause(a, true), SCHED_OK);
	fake_machine_settle(&machine);
	before = a->vcpus[0].stats.run_ns + a->vcpus[1].stats.run_ns;
	fake_machine_run_until(&machine, 400 * MS);
	CHECK_EQ(a->vcpus[0].stats.run_ns + a->vcpus[1].stats.run_ns, before);
	/* b has both pCPUs meanwhile. */
	CHECK(b->vcpus[0].stats.run_ns + b->vcpus[1].stats.run_ns > 550 * MS);
	CHECK_EQ(sched_vm_pause(a, false), SCHED_OK);
	fake_machine_run_until(&machine, 700 * MS);
	CHECK(a->vcpus[0].stats.run_ns + a->vcpus[1].stats.run_ns > before + 200 * MS);
}

int main(void)
{
	test_pin_table();
	TEST_RUN(test_pin_runs_there);
	TEST_RUN(test_micro_resize_breaks_pin);
	TEST_RUN(test_move_resets_pin);
	test_cap_table();
	TEST_RUN(test_cap_range);
	TEST_RUN(test_pause);
	return test_summary("test_sched_control");
}
