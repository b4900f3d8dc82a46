/*
 * tests/host/test_sched_offload.c - offload decisions (sched/offload.c)
 * and the directed-yield policy (sched/directed_yield.c), with a small
 * table classifier injected per VM.
 *
 * Scenario of most rows: 3 normal pCPUs (+ micro ones), VM "a" with 6
 * vCPUs; vCPUs 0-2 run first and are preempted at 30 ms (saving the RIPs
 * of fake_rip[][]), vCPUs 3-5 run; vCPU 3 then yields.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS
#define US SCHED_NS_PER_US

/* The fake guest kernel: address ranges per category. */
#define RIP_NONE     0x0500u
#define RIP_LOCK     0x1010u /* e.g. _raw_spin_lock                */
#define RIP_IPI      0x2010u /* e.g. smp_call_function_many        */
#define RIP_CRITICAL 0x3010u /* e.g. _raw_spin_unlock_irqrestore   */
#define RIP_HALT     0x4010u /* e.g. native_safe_halt              */

struct fake_range {
	uint64_t start, end;
	enum sched_category category;
};

static const struct fake_range fake_kernel[] = {
    {0x1000, 0x1100, SCHED_CATEGORY_LOCK_SPIN},
    {0x2000, 0x2100, SCHED_CATEGORY_IPI_WAIT},
    {0x3000, 0x3100, SCHED_CATEGORY_CRITICAL},
    {0x4000, 0x4100, SCHED_CATEGORY_HALT},
    {0, 0, SCHED_CATEGORY_NONE},
};

static enum sched_category table_classify(const void *context, uint64_t rip)
{
	const struct fake_range *range;

	for (range = context; range->end; range++)
		if (rip >= range->start && rip < range->end)
			return range->category;
	return SCHED_CATEGORY_NONE;
}

static struct sched_system sys;
static struct fake_machine machine;

/* Build the scenario with micro_queue_depth `depth` (0 = the default);
 * returns VM "a". Sibling i (0-2) is preempted at rip[i] with kernel mode
 * kernel[i]. */
static struct sched_vm *setup_yield_depth(const char *policy, unsigned depth, const uint64_t rip[3],
                                          const bool kernel[3])
{
	struct sched_vm *a;
	unsigned micro = 0, i;
	struct sched_policy parsed;
	struct sched_params params;

	sched_policy_parse(policy, &parsed, NULL, 0);
	if (parsed.micro_mode == SCHED_MICRO_STATIC)
		micro = parsed.micro_count;
	fake_params_mechanisms_off(&params);
	params.micro_borrow = SCHED_BORROW_OFF; /* preempted vCPUs stay queued */
	if (depth)
		params.micro_queue_depth = depth;
	CHECK(fake_system_init(&sys, policy, &params, 3 + micro) == 0);
	a = fake_vm(&sys, "a", 6, 0, 0, table_classify, fake_kernel);
	for (i = 0; i < 3; i++) {
		fake_rip[a->id][i] = rip[i];
		fake_kernel_mode[a->id][i] = kernel[i];
	}
	/* The yielder's last reported context is NOT what it yields with. */
	fake_rip[a->id][3] = RIP_NONE;
	fake_kernel_mode[a->id][3] = true;
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 30 * MS + 110 * US);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(a->vcpus[i].state, SCHED_VCPU_RUNNABLE);
		CHECK_EQ(a->vcpus[i].saved_rip, rip[i]);
		CHECK_EQ(a->vcpus[i].saved_kernel_mode, kernel[i]);
		CHECK_EQ(a->vcpus[i + 3].state, SCHED_VCPU_RUNNING);
	}
	return a;
}

static struct sched_vm *setup_yield_scenario(const char *policy, const uint64_t rip[3],
                                             const bool kernel[3])
{
	return setup_yield_depth(policy, 0, rip, kernel);
}

/* ---- yields ---- */

struct yield_row {
	const char *name;
	const char *policy;
	enum sched_yield_source source;
	uint64_t rip;
	bool kernel;
	uint64_t sibling_rip[3];
	bool sibling_kernel[3];
	enum sched_category category;
	unsigned offloaded_mask; /* siblings 0-2 expected OFFLOADED */
	enum sched_offload_cause cause;
	unsigned failures;
	unsigned disabled;
	unsigned depth; /* micro_queue_depth, 0 = the default (3)     */
};

static void test_yield_offload_decisions(void)
{
	static const struct yield_row rows[] = {
	    {"lock-spin: offload preempted CRITICAL kernel siblings",
	     "micro-static:3",
	     SCHED_YIELD_PLE,
	     RIP_LOCK,
	     true,
	     {RIP_CRITICAL, RIP_NONE, RIP_CRITICAL},
	     {true, true, false},
	     SCHED_CATEGORY_LOCK_SPIN,
	     0x1,
	     SCHED_OFFLOAD_LOCK_SPIN,
	     0,
	     0,
	     0},
	    {"lock-spin from a guest yield works the same",
	     "micro-static:3",
	     SCHED_YIELD_GUEST,
	     RIP_LOCK,
	     true,
	     {RIP_NONE, RIP_CRITICAL, RIP_LOCK},
	     {true, true, true},
	     SCHED_CATEGORY_LOCK_SPIN,
	     0x2,
	     SCHED_OFFLOAD_LOCK_SPIN,
	     0,
	     0,
	     0},
	    {"ipi-wait: offload every preempted sibling",
	     "micro-static:3",
	     SCHED_YIELD_PLE,
	     RIP_IPI,
	     true,
	     {RIP_NONE, RIP_CRITICAL, RIP_NONE},
	     {false, true, true},
	     SCHED_CATEGORY_IPI_WAIT,
	     0x7,
	     SCHED_OFFLOAD_IPI_WAIT,
	     0,
	     0,
	     0},
	    {"ipi-wait, one micro pCPU, the paper's one slot: one offload, two failures",
	     "micro-static:1",
	     SCHED_YIELD_PLE,
	     RIP_IPI,
	     true,
	     {RIP_NONE, RIP_NONE, RIP_NONE},
	     {true, true, true},
	     SCHED_CATEGORY_IPI_WAIT,
	     0x1,
	     SCHED_OFFLOAD_IPI_WAIT,
	     2,
	     0,
	     1},
	    {"ipi-wait, one micro pCPU, default depth 3: the whole shootdown queued",
	     "micro-static:1",
	     SCHED_YIELD_PLE,
	     RIP_IPI,
	     true,
	     {RIP_NONE, RIP_NONE, RIP_NONE},
	     {true, true, true},
	     SCHED_CATEGORY_IPI_WAIT,
	     0x7,
	     SCHED_OFFLOAD_IPI_WAIT,
	     0,
	     0,
	     0},
	    {"ipi-wait, micro-dynamic at 0 pCPUs: three failures",
	     "micro-dynamic",
	     SCHED_YIELD_PLE,
	     RIP_IPI,
	     true,
	     {RIP_NONE, RIP_NONE, RIP_NONE},
	     {true, true, true},
	     SCHED_CATEGORY_IPI_WAIT,
	     0x0,
	     SCHED_OFFLOAD_IPI_WAIT,
	     3,
	     0,
	     0},
	    {"halt: plain yield",
	     "micro-static:3",
	     SCHED_YIELD_PLE,
	     RIP_HALT,
	     true,
	     {RIP_CRITICAL, RIP_CRITICAL, RIP_CRITICAL},
	     {true, true, true},
	     SCHED_CATEGORY_HALT,
	     0x0,
	     SCHED_OFFLOAD_LOCK_SPIN,
	     0,
	     0,
	     0},
	    {"uncategorised RIP: plain yield",
	     "micro-static:3",
	     SCHED_YIELD_GUEST,
	     RIP_NONE,
	     true,
	     {RIP_CRITICAL, RIP_CRITICAL, RIP_CRITICAL},
	     {true, true, true},
	     SCHED_CATEGORY_NONE,
	     0x0,
	     SCHED_OFFLOAD_LOCK_SPIN,
	     0,
	     0,
	     0},
	    {"user-mode RIP is never classified",
	     "micro-static:3",
	     SCHED_YIELD_PLE,
	     RIP_LOCK,
	     false,
	     {RIP_CRITICAL, RIP_CRITICAL, RIP_CRITICAL},
	     {true, true, true},
	     SCHED_CATEGORY_NONE,
	     0x0,
	     SCHED_OFFLOAD_LOCK_SPIN,
	     0,
	     0,
	     0},
	    {"credit baseline: counted as disabled",
	     "credit",
	     SCHED_YIELD_PLE,
	     RIP_LOCK,
	     true,
	     {RIP_CRITICAL, RIP_NONE, RIP_NONE},
	     {true, true, true},
	     SCHED_CATEGORY_LOCK_SPIN,
	     0x0,
	     SCHED_OFFLOAD_LOCK_SPIN,
	     0,
	     1,
	     0},
	    {"credit-short, ipi-wait: disabled x3",
	     "credit-short",
	     SCHED_YIELD_PLE,
	     RIP_IPI,
	     true,
	     {RIP_NONE, RIP_NONE, RIP_NONE},
	     {true, true, true},
	     SCHED_CATEGORY_IPI_WAIT,
	     0x0,
	     SCHED_OFFLOAD_IPI_WAIT,
	     0,
	     3,
	     0},
	};
	unsigned i, s;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct yield_row *row = &rows[i];
		struct sched_vm *a;
		struct sched_vcpu *yielder;
		struct sched_counters counters;
		const struct sched_trace_record *y;
		unsigned offloaded = 0, expected = 0;
		uint64_t until;

		a = setup_yield_depth(row->policy, row->depth, row->sibling_rip,
		                      row->sibling_kernel);
		yielder = &a->vcpus[3];
		fake_trace_count = 0;
		CHECK_EQ(sched_vcpu_yield(yielder, row->source, row->rip, row->kernel), SCHED_OK);
		sched_counters_read(&sys, &counters);
		CHECK_EQ(counters.yields[row->source][row->category], 1);
		y = fake_trace_find(SCHED_TRACE_YIELD, 0);
		CHECK(y && y->arg0 == row->source && y->arg1 == row->category);
		for (s = 0; s < 3; s++)
			if (a->vcpus[s].state == SCHED_VCPU_OFFLOADED)
				offloaded |= 1u << s;
		for (s = 0; s < 3; s++)
			expected += (row->offloaded_mask >> s) & 1;
		if (offloaded != row->offloaded_mask)
			fprintf(stderr, "row: %s: offloaded 0x%x\n", row->name, offloaded);
		CHECK_EQ(offloaded, row->offloaded_mask);
		CHECK_EQ(counters.offloads[row->cause], expected);
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_OFFLOAD), expected);
		CHECK_EQ(counters.offload_failures[row->cause], row->failures);
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_OFFLOAD_FAILED), row->failures);
		CHECK_EQ(counters.offload_disabled[row->cause], row->disabled);
		/* The yielder leaves; offloaded vCPUs run one micro slice on
		 * their micro pCPUs, one after the other where several share
		 * one (queue depth), and go back to their home pCPUs. */
		fake_schedule(&machine, (unsigned)yielder->pcpu);
		fake_machine_settle(&machine);
		for (s = 0; s < 3; s++)
			if (row->offloaded_mask >> s & 1)
				CHECK(sys.pcpus[a->vcpus[s].pcpu].pool == sys.pools[0].micro_child);
		until = fake_now + (expected ? expected : 1) * 100 * US;
		fake_machine_run_until(&machine, until);
		CHECK_EQ(sys.counters.micro_returns, expected);
		for (s = 0; s < 3; s++) {
			if (!(row->offloaded_mask >> s & 1))
				continue;
			CHECK_EQ(a->vcpus[s].stats.micro_run_ns, 100 * US);
			CHECK(a->vcpus[s].state == SCHED_VCPU_RUNNABLE ||
			      a->vcpus[s].state == SCHED_VCPU_RUNNING);
			CHECK_EQ(a->vcpus[s].pcpu, (int)s);
		}
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- virtual IPIs and IRQs ---- */

enum target_setup {
	TARGET_RUNNING,
	TARGET_PREEMPTED,
	TARGET_OFFLOADED,
	TARGET_BLOCKED,
	TARGET_OFFLINE,
};

struct notify_row {
	const char *policy;
	bool irq;
	enum target_setup setup;
	enum sched_target_state bucket;
	bool offloaded; /* by this notification */
	unsigned disabled;
	unsigned adaptive_irqs;
};

static void test_ipi_and_irq_targets(void)
{
	static const struct notify_row rows[] = {
	    {"micro-static:1", false, TARGET_PREEMPTED, SCHED_TARGET_PREEMPTED, true, 0, 0},
	    {"micro-static:1", true, TARGET_PREEMPTED, SCHED_TARGET_PREEMPTED, true, 0, 1},
	    {"micro-static:1", false, TARGET_RUNNING, SCHED_TARGET_RUNNING, false, 0, 0},
	    {"micro-static:1", true, TARGET_RUNNING, SCHED_TARGET_RUNNING, false, 0, 0},
	    {"micro-static:1", false, TARGET_BLOCKED, SCHED_TARGET_BLOCKED, false, 0, 0},
	    {"micro-static:1", true, TARGET_OFFLOADED, SCHED_TARGET_OFFLOADED, false, 0, 1},
	    {"micro-static:1", false, TARGET_OFFLINE, SCHED_TARGET_OFFLINE, false, 0, 0},
	    {"credit", true, TARGET_PREEMPTED, SCHED_TARGET_PREEMPTED, false, 1, 1},
	    {"directed-yield", false, TARGET_PREEMPTED, SCHED_TARGET_PREEMPTED, false, 1, 0},
	};
	static const uint64_t rips[3] = {RIP_NONE, RIP_NONE, RIP_NONE};
	static const bool kernel[3] = {true, true, true};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct notify_row *row = &rows[i];
		struct sched_vm *a = setup_yield_scenario(row->policy, rips, kernel);
		struct sched_vcpu *t = &a->vcpus[0];
		struct sched_counters counters;
		uint64_t *buckets;
		unsigned offloads_before;

		switch (row->setup) {
		case TARGET_RUNNING:
			t = &a->vcpus[3];
			break;
		case TARGET_OFFLOADED:
			sched_notify_ipi(t);
			CHECK_EQ(t->state, SCHED_VCPU_OFFLOADED);
			break;
		case TARGET_BLOCKED:
			t = &a->vcpus[3];
			sched_vcpu_block(t, RIP_HALT, true);
			fake_schedule(&machine, (unsigned)t->pcpu);
			break;
		case TARGET_OFFLINE:
			sched_vcpu_offline(t);
			break;
		default:
			break;
		}
		sched_counters_read(&sys, &counters);
		offloads_before = (unsigned)(counters.offloads[SCHED_OFFLOAD_IPI] +
		                             counters.offloads[SCHED_OFFLOAD_VIRQ]);
		if (row->irq)
			sched_notify_virq(t);
		else
			sched_notify_ipi(t);
		sched_counters_read(&sys, &counters);
		buckets = row->irq ? counters.virqs : counters.ipis;
		CHECK_EQ(buckets[row->bucket], 1);
		CHECK_EQ(counters.offloads[SCHED_OFFLOAD_IPI] +
		             counters.offloads[SCHED_OFFLOAD_VIRQ] - offloads_before,
		         row->offloaded ? 1 : 0);
		CHECK_EQ(counters.offloads[row->irq ? SCHED_OFFLOAD_IPI : SCHED_OFFLOAD_VIRQ],
		         row->setup == TARGET_OFFLOADED && row->irq ? 1 : 0);
		CHECK_EQ(
		    counters.offload_disabled[row->irq ? SCHED_OFFLOAD_VIRQ : SCHED_OFFLOAD_IPI],
		    row->disabled);
		CHECK_EQ(sys.pools[0].adaptive.now.irqs, row->adaptive_irqs);
		if (row->offloaded) {
			const struct sched_trace_record *r =
			    fake_trace_find(SCHED_TRACE_OFFLOAD, 0);

			CHECK_EQ(t->state, SCHED_VCPU_OFFLOADED);
			CHECK(r && r->arg1 == (row->irq ? SCHED_OFFLOAD_VIRQ : SCHED_OFFLOAD_IPI));
			CHECK(r && r->arg0 == 3); /* the micro pCPU */
		}
	}
}

/* ---- directed yield ---- */

struct directed_row {
	const char *name;
	enum sched_yield_source source;
	bool sibling_kernel[3];
	int target; /* sibling index, -1 = none */
	unsigned failures;
};

static void test_directed_yield(void)
{
	static const struct directed_row rows[] = {
	    {"prefers a sibling preempted in kernel mode",
	     SCHED_YIELD_PLE,
	     {false, true, false},
	     1,
	     0},
	    {"else the next preempted sibling", SCHED_YIELD_PLE, {false, false, false}, 0, 0},
	    {"guest yields are plain", SCHED_YIELD_GUEST, {true, true, true}, -1, 0},
	};
	static const uint64_t rips[3] = {RIP_CRITICAL, RIP_NONE, RIP_NONE};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct directed_row *row = &rows[i];
		struct sched_vm *a =
		    setup_yield_scenario("directed-yield", rips, row->sibling_kernel);
		struct sched_vcpu *yielder = &a->vcpus[3];
		struct sched_counters counters;
		const struct sched_trace_record *r;
		unsigned yielder_pcpu = (unsigned)yielder->pcpu;

		fake_trace_count = 0;
		fake_kicked_mask = 0;
		sched_vcpu_yield(yielder, row->source, RIP_LOCK, true);
		sched_counters_read(&sys, &counters);
		CHECK_EQ(counters.directed_yields, row->target >= 0 ? 1 : 0);
		CHECK_EQ(counters.directed_yield_failures, row->failures);
		CHECK_EQ(counters.offloads[SCHED_OFFLOAD_LOCK_SPIN], 0);
		if (row->target < 0) {
			CHECK_EQ(fake_trace_count_event(SCHED_TRACE_DIRECTED_YIELD), 0);
			continue;
		}
		r = fake_trace_find(SCHED_TRACE_DIRECTED_YIELD, 0);
		CHECK(r && r->arg0 == (uint64_t)row->target);
		CHECK(fake_kicked_mask & (1ull << a->vcpus[row->target].pcpu));
		fake_schedule(&machine, yielder_pcpu);
		fake_machine_settle(&machine);
		/* The target runs now on the pCPU it was queued on. */
		CHECK_EQ(a->vcpus[row->target].state, SCHED_VCPU_RUNNING);
		CHECK_EQ(a->vcpus[row->target].pcpu, row->target);
		CHECK_EQ(fake_lock.errors, 0);
	}
	/* No preempted sibling at all: counted as a failure. */
	{
		struct sched_vm *a;

		CHECK(fake_system_init(&sys, "directed-yield", NULL, 3) == 0);
		a = fake_vm(&sys, "a", 3, 0, 0, table_classify, fake_kernel);
		fake_machine_start(&machine, &sys);
		sched_vcpu_yield(&a->vcpus[0], SCHED_YIELD_PLE, RIP_LOCK, true);
		CHECK_EQ(sys.counters.directed_yield_failures, 1);
		CHECK_EQ(sys.counters.directed_yields, 0);
	}
}

/* ---- yields feed the adaptive counters ---- */

struct sample_row {
	enum sched_yield_source source;
	uint64_t rip;
	bool kernel;
	unsigned ipis, ples, spins;
};

static void test_yields_feed_profile_counters(void)
{
	static const struct sample_row rows[] = {
	    {SCHED_YIELD_PLE, RIP_IPI, true, 1, 0, 1},
	    {SCHED_YIELD_GUEST, RIP_IPI, true, 1, 0, 1},
	    {SCHED_YIELD_PLE, RIP_LOCK, true, 0, 1, 1},
	    {SCHED_YIELD_GUEST, RIP_LOCK, true, 0, 1, 1},
	    {SCHED_YIELD_PLE, RIP_NONE, false, 0, 1, 0},
	    {SCHED_YIELD_PLE, RIP_HALT, true, 0, 0, 0},
	    {SCHED_YIELD_GUEST, RIP_NONE, true, 0, 0, 0},
	};
	static const uint64_t rips[3] = {RIP_NONE, RIP_NONE, RIP_NONE};
	static const bool kernel[3] = {true, true, true};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_vm *a = setup_yield_scenario("credit", rips, kernel);
		struct sched_adaptive_sample *now = &sys.pools[0].adaptive.now;

		memset(now, 0, sizeof(*now));
		sched_vcpu_yield(&a->vcpus[3], rows[i].source, rows[i].rip, rows[i].kernel);
		CHECK_EQ(now->ipis, rows[i].ipis);
		CHECK_EQ(now->ples, rows[i].ples);
		CHECK_EQ(now->irqs, 0);
		/* Only classified urgent yields count as the vCPU's spinning:
		 * an unclassified PLE exit is an event but not charged. */
		CHECK_EQ(a->vcpus[3].stats.spin_yields, rows[i].spins);
	}
}

int main(void)
{
	TEST_RUN(test_yield_offload_decisions);
	TEST_RUN(test_ipi_and_irq_targets);
	TEST_RUN(test_directed_yield);
	TEST_RUN(test_yields_feed_profile_counters);
	return test_summary("test_sched_offload");
}
