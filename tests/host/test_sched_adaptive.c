/*
 * tests/host/test_sched_adaptive.c - the adaptive controller
 * (sched/adaptive.c, paper Algorithm 1, params.controller = events; the
 * default progress controller: test_sched_progress.c): every branch, driven through the
 * real entry points (yields, vIRQs) on the fake clock, and the decision
 * applied to the pools at every step.
 *
 * Each profile interval k (10 ms) gets the events of row.events[m], m
 * being the micro pool size during that interval, injected at its middle.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS
#define US SCHED_NS_PER_US

#define RIP_NONE 0x0500u
#define RIP_LOCK 0x1010u
#define RIP_IPI  0x2010u

static enum sched_category fake_classify(const void *context, uint64_t rip)
{
	(void)context;
	if (rip >= 0x1000 && rip < 0x1100)
		return SCHED_CATEGORY_LOCK_SPIN;
	if (rip >= 0x2000 && rip < 0x2100)
		return SCHED_CATEGORY_IPI_WAIT;
	return SCHED_CATEGORY_NONE;
}

static struct sched_system sys;
static struct fake_machine machine;

static struct sched_vcpu *find_vcpu(struct sched_vm *vm, bool running)
{
	unsigned i;

	for (i = 0; i < vm->vcpu_count; i++) {
		enum sched_vcpu_state s = vm->vcpus[i].state;

		if (running ? s == SCHED_VCPU_RUNNING
		            : (s == SCHED_VCPU_RUNNABLE || s == SCHED_VCPU_OFFLOADED))
			return &vm->vcpus[i];
	}
	return NULL;
}

/* Yield `count` times from running vCPUs at `rip`, each followed by the
 * schedule of its pCPU, as the hypervisor would. */
static void inject_yields(struct sched_vm *vm, unsigned count, uint64_t rip)
{
	unsigned i;

	for (i = 0; i < count; i++) {
		struct sched_vcpu *v = find_vcpu(vm, true);

		CHECK(v != NULL);
		if (!v)
			return;
		CHECK_EQ(sched_vcpu_yield(v, SCHED_YIELD_PLE, rip, true), SCHED_OK);
		fake_schedule(&machine, (unsigned)v->pcpu);
		fake_machine_settle(&machine);
	}
}

static void inject_irqs(struct sched_vm *vm, unsigned count)
{
	unsigned i;

	for (i = 0; i < count; i++) {
		struct sched_vcpu *v = find_vcpu(vm, false);

		CHECK(v != NULL);
		if (v)
			sched_notify_virq(v);
	}
	fake_machine_settle(&machine);
}

/* Normal-pool vCPUs queue only on normal pCPUs; none is lost. */
static void check_pools(struct sched_vm *vm)
{
	unsigned i, alive = 0;

	for (i = 0; i < vm->vcpu_count; i++) {
		struct sched_vcpu *v = &vm->vcpus[i];

		if (v->state == SCHED_VCPU_RUNNABLE)
			CHECK_EQ(sys.pcpus[v->pcpu].pool, 0);
		if (v->state == SCHED_VCPU_OFFLOADED)
			CHECK_EQ(sys.pcpus[v->pcpu].pool, sys.pools[0].micro_child);
		alive += v->state >= SCHED_VCPU_RUNNABLE;
	}
	CHECK_EQ(alive, vm->vcpu_count);
}

#define END 99u

struct adaptive_row {
	const char *name;
	unsigned pcpus, limit;
	/* Events while the micro pool has m pCPUs: ipis (IPI-wait yields),
	 * ples (lock-spin yields), irqs (vIRQs to preempted vCPUs). */
	struct sched_adaptive_sample events[4];
	/* Micro pool size after each step, END-terminated. */
	unsigned sizes[8];
	unsigned decision;
};

static void test_algorithm_branches(void)
{
	static const struct adaptive_row rows[] = {
	    {"no events: 0 for an epoch", 6, 3, {{0, 0, 0}}, {0, END}, 0},
	    {"PLE-dominant: 1 for an epoch", 6, 3, {{5, 20, 5}}, {1, END}, 1},
	    {"IRQ-dominant: 1 for an epoch", 6, 3, {{5, 0, 20}}, {1, END}, 1},
	    {"IPI equal to PLE is not dominant", 6, 3, {{10, 10, 0}}, {1, END}, 1},
	    {"IPI above vIRQ but below PLE is not dominant (AND, not OR)",
	     6,
	     3,
	     {{10, 20, 0}},
	     {1, END},
	     1},
	    {"IPI-dominant: search 1..3, fewest urgent yields at 2",
	     6,
	     3,
	     {{20, 5, 5}, {30, 0, 0}, {8, 2, 9}, {15, 5, 0}},
	     {1, 2, 3, 2, END},
	     2},
	    {"IPI-dominant: ties pick fewer pCPUs",
	     6,
	     3,
	     {{20, 0, 0}, {10, 0, 0}, {10, 0, 0}, {10, 0, 0}},
	     {1, 2, 3, 1, END},
	     1},
	    {"IPI-dominant: best at the limit",
	     6,
	     3,
	     {{20, 0, 0}, {10, 0, 0}, {5, 0, 0}, {1, 1, 0}},
	     {1, 2, 3, 3, END},
	     3},
	    {"limit 2 configured: search 1..2",
	     6,
	     2,
	     {{20, 0, 0}, {10, 0, 0}, {4, 0, 0}},
	     {1, 2, 2, END},
	     2},
	    {"limit capped by pCPUs (3 pCPUs: at most 2)",
	     3,
	     3,
	     {{20, 0, 0}, {1, 0, 0}, {4, 0, 0}},
	     {1, 2, 1, END},
	     1},
	    {"limit 0: never allocates", 6, 0, {{20, 0, 0}}, {0, END}, 0},
	};
	unsigned i, step;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct adaptive_row *row = &rows[i];
		struct sched_params params;
		struct sched_adaptive *adaptive;
		struct sched_vm *vm;
		unsigned resizes = 0, previous = 0;
		bool ok = true;

		sched_params_default(&params);
		params.controller = SCHED_CONTROLLER_EVENTS;
		params.micro_limit = row->limit;
		CHECK(fake_system_init(&sys, "micro-dynamic", &params, row->pcpus) == 0);
		adaptive = &sys.pools[0].adaptive;
		vm = fake_vm(&sys, "a", 2 * row->pcpus, 0, 0, fake_classify, NULL);
		fake_machine_start(&machine, &sys);
		/* Step 0 at boot: profiling starts with 0 micro pCPUs. */
		CHECK(adaptive->profiling);
		CHECK_EQ(adaptive->micro_count, 0);
		CHECK_EQ(adaptive->next_step, 10 * MS);
		for (step = 0; row->sizes[step] != END; step++) {
			unsigned size = sched_pool_micro_count(&sys, 0);
			const struct sched_adaptive_sample *e = &row->events[size];

			fake_machine_run_until(&machine, step * 10 * MS + 5 * MS);
			inject_yields(vm, (unsigned)e->ipis, RIP_IPI);
			inject_yields(vm, (unsigned)e->ples, RIP_LOCK);
			inject_irqs(vm, (unsigned)e->irqs);
			CHECK_EQ(adaptive->now.ipis, e->ipis);
			CHECK_EQ(adaptive->now.ples, e->ples);
			CHECK_EQ(adaptive->now.irqs, e->irqs);
			fake_machine_run_until(&machine, (step + 1) * 10 * MS);
			size = sched_pool_micro_count(&sys, 0);
			ok &= size == row->sizes[step];
			CHECK_EQ(size, row->sizes[step]);
			CHECK_EQ(adaptive->samples[previous].ipis, e->ipis);
			resizes += size != previous;
			previous = size;
			check_pools(vm);
			/* Profiling ends exactly at the last listed step. */
			CHECK_EQ(adaptive->profiling, row->sizes[step + 1] != END);
		}
		if (!ok)
			fprintf(stderr, "row: %s\n", row->name);
		CHECK_EQ(adaptive->last_decision, row->decision);
		CHECK_EQ(adaptive->decisions, 1);
		CHECK_EQ(adaptive->next_step, step * 10 * MS + 1000 * MS);
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_POOL_RESIZE), resizes);
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_COUNTERS), step);
		/* The decision holds for the whole epoch... */
		fake_machine_run_until(&machine, step * 10 * MS + 999 * MS);
		CHECK_EQ(sched_pool_micro_count(&sys, 0), row->decision);
		check_pools(vm);
		/* ...then profiling restarts from 0 micro pCPUs. */
		fake_machine_run_until(&machine, step * 10 * MS + 1000 * MS);
		CHECK(adaptive->profiling);
		CHECK_EQ(sched_pool_micro_count(&sys, 0), 0);
		check_pools(vm);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* The first profile snapshot is traced with the counts. */
static void test_counters_trace(void)
{
	const struct sched_trace_record *r;
	struct sched_vm *vm;
	struct sched_params params;

	sched_params_default(&params);
	params.controller = SCHED_CONTROLLER_EVENTS;
	CHECK(fake_system_init(&sys, "micro-dynamic", &params, 4) == 0);
	vm = fake_vm(&sys, "a", 8, 0, 0, fake_classify, NULL);
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 5 * MS);
	inject_yields(vm, 3, RIP_IPI);
	inject_yields(vm, 2, RIP_LOCK);
	inject_irqs(vm, 1);
	fake_machine_run_until(&machine, 10 * MS);
	r = fake_trace_find(SCHED_TRACE_COUNTERS, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ(r->arg0, (3ull << 32) | 2);
		CHECK_EQ(r->arg1, 1);
		CHECK_EQ(r->time, 10 * MS);
	}
	/* IPI-dominant: the micro pool grew to 1 for the next interval. */
	r = fake_trace_find(SCHED_TRACE_POOL_RESIZE, 0);
	CHECK(r && r->arg0 == 0 && r->arg1 == 1);
	CHECK_EQ(sys.counters.adaptive_steps, 2);
}

/* Intervals are configurable. */
static void test_intervals_configurable(void)
{
	struct sched_params params;
	struct sched_adaptive *adaptive;

	sched_params_default(&params);
	params.controller = SCHED_CONTROLLER_EVENTS;
	params.profile_interval_ns = 2 * MS;
	params.epoch_ns = 50 * MS;
	CHECK(fake_system_init(&sys, "micro-dynamic", &params, 4) == 0);
	adaptive = &sys.pools[0].adaptive;
	fake_vm(&sys, "a", 4, 0, 0, fake_classify, NULL);
	fake_machine_start(&machine, &sys);
	CHECK_EQ(adaptive->next_step, 2 * MS);
	fake_machine_run_until(&machine, 2 * MS);
	CHECK(!adaptive->profiling); /* no events */
	CHECK_EQ(adaptive->next_step, 52 * MS);
	fake_machine_run_until(&machine, 52 * MS);
	CHECK(adaptive->profiling);
	CHECK_EQ(adaptive->steps, 3);
}

/* Static and non-micro policies never run the controller. */
static void test_controller_only_for_dynamic(void)
{
	static const char *const policies[] = {"credit", "micro-static:2", "directed-yield",
	                                       "credit-short"};
	unsigned i;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		CHECK(fake_system_init(&sys, policies[i], NULL, 4) == 0);
		fake_vm(&sys, "a", 8, 0, 0, fake_classify, NULL);
		fake_machine_start(&machine, &sys);
		fake_machine_run_until(&machine, 100 * MS);
		CHECK(!sys.pools[0].adaptive.enabled);
		CHECK_EQ(sys.counters.adaptive_steps, 0);
	}
}

int main(void)
{
	TEST_RUN(test_algorithm_branches);
	TEST_RUN(test_counters_trace);
	TEST_RUN(test_intervals_configurable);
	TEST_RUN(test_controller_only_for_dynamic);
	return test_summary("test_sched_adaptive");
}
