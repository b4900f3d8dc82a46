/*
 * tests/host/test_sched_progress.c - micro-dynamic's progress controller
 * (sched/progress.c, params.controller = SCHED_CONTROLLER_PROGRESS):
 * when profiling starts, how long a step lasts, which size it holds,
 * and re-profiling on a change of the event mix, driven through the real
 * entry points (yields, vIRQs) on the fake clock.
 *
 * The machine: 4 pCPUs, one VM of 8 vCPUs that are always runnable, so
 * the VM runs (4 - m) x 10 ms per 10 ms interval with m micro pCPUs
 * (nothing is offloaded: the siblings of a lock-spin yield are not in
 * critical code). Each yield is charged SPIN of spinning
 * (controller_spin_ns), so the VM's useful time per interval at size m is
 * (4 - m) x 10 ms - yields(m) x SPIN. Events are injected in the middle
 * of every interval by the current micro pool size.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS

#define RIP_LOCK 0x1010u

#define PCPUS      4u
#define VCPUS      8u
#define MIN_EVENTS 8u
#define SPIN_NS    (1 * MS)
#define INTERVALS  60u
#define NEVER      999u

static enum sched_category fake_classify(const void *context, uint64_t rip)
{
	(void)context;
	return rip >= 0x1000 && rip < 0x1100 ? SCHED_CATEGORY_LOCK_SPIN : SCHED_CATEGORY_NONE;
}

static struct sched_system sys;
static struct fake_machine machine;

static struct sched_vcpu *find_vcpu(struct sched_vm *vm, bool running)
{
	unsigned i;

	for (i = 0; i < vm->vcpu_count; i++)
		if ((vm->vcpus[i].state == SCHED_VCPU_RUNNING) == running &&
		    vm->vcpus[i].state != SCHED_VCPU_OFFLINE)
			return &vm->vcpus[i];
	return NULL;
}

/* `ples` lock-spin yields of running vCPUs and `irqs` vIRQs to queued
 * ones, each followed by what the hypervisor would do. */
static void inject(struct sched_vm *vm, unsigned ples, unsigned irqs)
{
	unsigned i;

	for (i = 0; i < ples; i++) {
		struct sched_vcpu *v = find_vcpu(vm, true);

		CHECK(v != NULL);
		if (!v)
			return;
		CHECK_EQ(sched_vcpu_yield(v, SCHED_YIELD_PLE, RIP_LOCK, true), SCHED_OK);
		fake_schedule(&machine, (unsigned)v->pcpu);
		fake_machine_settle(&machine);
	}
	for (i = 0; i < irqs; i++) {
		struct sched_vcpu *v = find_vcpu(vm, false);

		CHECK(v != NULL);
		if (v)
			sched_notify_virq(v);
	}
	fake_machine_settle(&machine);
}

static struct sched_vm *progress_setup(unsigned limit)
{
	struct sched_params params;

	sched_params_default(&params);
	params.controller = SCHED_CONTROLLER_PROGRESS;
	params.micro_limit = limit;
	params.controller_min_events = MIN_EVENTS;
	params.controller_spin_ns = SPIN_NS;
	/* The rows count queued vCPUs' vIRQs: no micro pCPU borrows them. */
	params.micro_borrow = SCHED_BORROW_OFF;
	CHECK(fake_system_init(&sys, "micro-dynamic", &params, PCPUS) == 0);
	return fake_vm(&sys, "a", VCPUS, 0, 0, fake_classify, NULL);
}

/* Run interval k (its events by the current size); returns the size. */
static unsigned progress_interval(struct sched_vm *vm, unsigned k, const unsigned *ples,
                                  const unsigned *irqs)
{
	unsigned size = sched_pool_micro_count(&sys, 0);

	fake_machine_run_until(&machine, k * 10 * MS + 5 * MS);
	inject(vm, ples[size], irqs ? irqs[size] : 0);
	fake_machine_run_until(&machine, (k + 1) * 10 * MS);
	return sched_pool_micro_count(&sys, 0);
}

struct progress_row {
	const char *name;
	unsigned limit;
	unsigned ples[3]; /* lock-spin yields per interval at size m */
	bool profiles;    /* profiling starts at all                 */
	unsigned decision;
	unsigned decided_at; /* interval whose end takes the decision */
};

/* The trace explains the decision: one progress_step record per size
 * profiled (the one VM), one progress_score per size at the decision,
 * the best (the held size) at 1000000 or within the tie margin, and a
 * progress_hold of the size held. */
static void check_decision_trace(const struct progress_row *row)
{
	const struct sched_trace_record *hold = fake_trace_find(SCHED_TRACE_PROGRESS_HOLD, 0);
	unsigned sizes = row->limit + 1, i;

	if (row->decided_at == NEVER) {
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_PROGRESS_SCORE), 0);
		return;
	}
	CHECK_EQ(fake_trace_count_event(SCHED_TRACE_PROGRESS_STEP), sizes);
	CHECK_EQ(fake_trace_count_event(SCHED_TRACE_PROGRESS_SCORE), sizes);
	for (i = 0; i < sizes; i++) {
		const struct sched_trace_record *step =
		    fake_trace_find(SCHED_TRACE_PROGRESS_STEP, i);
		const struct sched_trace_record *score =
		    fake_trace_find(SCHED_TRACE_PROGRESS_SCORE, i);

		CHECK(step && step->arg1 >> SCHED_TRACE_PROGRESS_SIZE_SHIFT == i &&
		      (step->arg1 & SCHED_TRACE_PROGRESS_NS_MASK) >= 10 * MS);
		CHECK(score && score->arg0 == i);
		if (score && i == 0)
			CHECK_EQ(score->arg1, 1000000u); /* the score's fixed-point 1.0 */
	}
	CHECK(hold != NULL);
	if (hold)
		CHECK_EQ(hold->arg0, row->decision);
}

static void test_progress_decisions(void)
{
	static const struct progress_row rows[] = {
	    {"no events: holds 0, never profiles", 2, {0, 0, 0}, false, 0, NEVER},
	    {"6 events a step (< controller_min_events): holds 0, no decision",
	     2,
	     {6, 6, 6},
	     false,
	     0,
	     NEVER},
	    /* useful ms per interval: 40-20=20, 30-20=10, 20-20=0 */
	    {"spinning does not fall: 0 micro pCPUs", 2, {20, 20, 20}, true, 0, 6},
	    /* 2, 25, 20; the steps at sizes 1 (5 events an interval) and 2
	     * (none) stretch: to 2 intervals (10 events) and to 4 */
	    {"spinning falls: best at 1", 2, {38, 5, 0}, true, 1, 10},
	    /* 4, 10, 10 */
	    {"1 and 2 tie: fewer micro pCPUs", 2, {36, 20, 10}, true, 1, 6},
	    /* 2, 2, 8 */
	    {"best at the limit", 2, {38, 28, 12}, true, 2, 6},
	    /* 2, 25 */
	    {"limit 1", 1, {38, 5, 0}, true, 1, 5},
	};
	unsigned r, k;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct progress_row *row = &rows[r];
		struct sched_vm *vm = progress_setup(row->limit);
		struct sched_adaptive *adaptive = &sys.pools[0].adaptive;
		unsigned decided_at = NEVER;
		bool profiled = false;

		fake_machine_start(&machine, &sys);
		/* Boot: holds 0 and watches; no profiling before contention. */
		CHECK(!adaptive->profiling);
		for (k = 0; k < INTERVALS && decided_at == NEVER; k++) {
			progress_interval(vm, k, row->ples, NULL);
			profiled |= adaptive->profiling;
			if (adaptive->decisions)
				decided_at = k;
		}
		if (decided_at != row->decided_at || adaptive->last_decision != row->decision)
			fprintf(stderr, "row: %s: decided %u at %u\n", row->name,
			        adaptive->last_decision, decided_at);
		CHECK_EQ(profiled, row->profiles);
		CHECK_EQ(decided_at, row->decided_at);
		CHECK_EQ(adaptive->last_decision, row->decision);
		CHECK_EQ(sched_pool_micro_count(&sys, 0), row->decision);
		CHECK_EQ(sys.counters.adaptive_reprofiles, row->profiles ? 1u : 0u);
		check_decision_trace(row);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* Held at 1 (spinning falls; measured at 10 events in 20 ms), the events
 * turn from lock-spin yields into vIRQs (dominant kind: every size again),
 * quadruple (the held size and larger ones) or stop (the held size and
 * the one below): profiling restarts within a stretched step, long before
 * the epoch ends. An unchanged mix, one just short of
 * controller_min_events at a rate within SCHED_PROGRESS_RATE_FACTOR of
 * the held size's, or one whose rate falls past it with min_events still
 * (the held size serving the same contention better) holds to the epoch's
 * end, which re-profiles the held size and its neighbours. `every`: the
 * new mix's events come every that many intervals (1: each), for
 * AFTER_INTERVALS intervals; `held_ples`: lock-spin yields per interval
 * at size 1 before. */
#define AFTER_INTERVALS 5u
struct change_row {
	const char *name;
	unsigned ples_after[3], irqs_after[3];
	unsigned every, held_ples;
	enum sched_progress_change cause; /* the progress_change record's */
	unsigned sweep_low, sweep_high;   /* of the sweep it starts */
};

static void test_progress_mix_change(void)
{
	static const struct change_row rows[] = {
	    {"unchanged", {38, 5, 0}, {0, 0, 0}, 1, 5, SCHED_PROGRESS_UNCHANGED, 0, 2},
	    {"vIRQs dominate", {0, 0, 0}, {40, 40, 40}, 1, 5, SCHED_PROGRESS_DOMINANT, 0, 2},
	    {"lock-spin yields x5", {38, 25, 0}, {0, 0, 0}, 1, 5, SCHED_PROGRESS_ROSE, 1, 2},
	    /* 6 events in 40 ms against 10 in 20: fewer than 8, 0.3x */
	    {"just under min_events", {38, 3, 0}, {0, 0, 0}, 2, 5, SCHED_PROGRESS_UNCHANGED, 0, 2},
	    /* 2 events in 40 ms: 0.1x */
	    {"events stop", {38, 1, 0}, {0, 0, 0}, 2, 5, SCHED_PROGRESS_STOPPED, 0, 1},
	    /* held at 10 in 10 ms; 8 in 40 ms: 0.2x, but min_events */
	    {"rate falls 5x", {38, 2, 0}, {0, 0, 0}, 1, 10, SCHED_PROGRESS_UNCHANGED, 0, 2},
	    /* Held at 1 measured at 4 events in 40 ms (< min_events: size 1
	     * serves the contention well). 12 in 20 ms: 6x, a rise, not a
	     * start (which would sweep from 0). */
	    {"serving, events x6", {38, 6, 0}, {0, 0, 0}, 1, 1, SCHED_PROGRESS_ROSE, 1, 2},
	    {"serving, unchanged", {38, 1, 0}, {0, 0, 0}, 1, 1, SCHED_PROGRESS_UNCHANGED, 0, 2},
	    {"serving, events stop", {38, 0, 0}, {0, 0, 0}, 1, 1, SCHED_PROGRESS_STOPPED, 0, 1},
	};
	static const unsigned none[3] = {0, 0, 0};
	unsigned r, k, i;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct change_row *row = &rows[r];
		struct sched_vm *vm = progress_setup(2);
		struct sched_adaptive *adaptive = &sys.pools[0].adaptive;
		unsigned before[3] = {38, row->held_ples, 0};
		uint64_t epoch_end;
		bool reprofiles;

		fake_machine_start(&machine, &sys);
		for (k = 0; k < INTERVALS && !adaptive->decisions; k++)
			progress_interval(vm, k, before, NULL);
		CHECK_EQ(adaptive->last_decision, 1);
		epoch_end = adaptive->progress.hold_until;
		CHECK_EQ(epoch_end, k * 10 * MS + 1000 * MS);
		/* AFTER_INTERVALS more intervals with the new mix. */
		for (i = 0; i < AFTER_INTERVALS; i++) {
			bool on = i % row->every == 0;

			progress_interval(vm, k + i, on ? row->ples_after : none,
			                  on ? row->irqs_after : none);
		}
		reprofiles = row->cause != SCHED_PROGRESS_UNCHANGED;
		if (adaptive->profiling != reprofiles)
			fprintf(stderr, "row: %s: profiling %d\n", row->name, adaptive->profiling);
		CHECK_EQ(adaptive->profiling, reprofiles);
		CHECK_EQ(sys.counters.adaptive_reprofiles, reprofiles ? 2u : 1u);
		/* The first: contention started the first sweep. */
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_PROGRESS_CHANGE), reprofiles ? 2u : 1u);
		CHECK_EQ(fake_trace_find(SCHED_TRACE_PROGRESS_CHANGE, 0)->arg0,
		         SCHED_PROGRESS_STARTED);
		if (reprofiles) {
			const struct sched_trace_record *change =
			    fake_trace_find(SCHED_TRACE_PROGRESS_CHANGE, 1);

			CHECK(change != NULL);
			if (change)
				CHECK_EQ(change->arg0, row->cause);
			CHECK_EQ(adaptive->progress.sweep_low, row->sweep_low);
			CHECK_EQ(adaptive->progress.sweep_high, row->sweep_high);
			continue;
		}
		/* The epoch ends: sizes 0..2 around the held 1, again. */
		for (k += AFTER_INTERVALS; k * 10 * MS < epoch_end; k++)
			progress_interval(vm, k, row->ples_after, row->irqs_after);
		CHECK(adaptive->profiling);
		CHECK_EQ(adaptive->progress.sweep_low, 0);
		CHECK_EQ(adaptive->progress.sweep_high, 2);
		CHECK_EQ(sys.counters.adaptive_reprofiles, 1);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* A size-0 step with fewer than controller_min_events ends a sweep only
 * when contention starting at a held 0 began it: the burst is over. A
 * sweep that a stop at a held 1 began scores size 0 like any other (few
 * events there can be a starved VM) and holds it for an epoch at most.
 * `held_ples`: lock-spin yields per interval at size 1 before (0: no
 * first decision; a burst of BURST at size 0 from boot starts the sweep);
 * `after`: yields by size from then on. */
#define BURST 38u
struct zero_row {
	const char *name;
	unsigned held_ples;
	unsigned after[3];
	unsigned steps; /* progress_step records of the last sweep */
	bool forever;   /* held 0 with no epoch end */
};

/* Intervals from k on, `ples` by size, until `done`; returns the next k. */
static unsigned progress_run_until(struct sched_vm *vm, unsigned k, const unsigned *ples,
                                   bool (*done)(const struct sched_adaptive *))
{
	const struct sched_adaptive *adaptive = &sys.pools[0].adaptive;

	for (; k < INTERVALS && !done(adaptive); k++)
		progress_interval(vm, k, ples, NULL);
	return k;
}

static bool progress_is_profiling(const struct sched_adaptive *adaptive)
{
	return adaptive->profiling;
}

static bool progress_has_held(const struct sched_adaptive *adaptive)
{
	return !adaptive->profiling && adaptive->decisions > 0;
}

static void test_progress_zero_step(void)
{
	static const struct zero_row rows[] = {
	    {"burst from boot, then 1 a step at 0: hold 0 for good", 0, {1, 0, 0}, 1, true},
	    {"stop at a held 1, then 1 a step at 0: 0 and 1 scored", 1, {1, 0, 0}, 2, false},
	};
	static const unsigned burst[3] = {BURST, BURST, BURST};
	unsigned r, k;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct zero_row *row = &rows[r];
		const unsigned before[3] = {BURST, row->held_ples, 0};
		struct sched_vm *vm = progress_setup(2);
		struct sched_adaptive *adaptive = &sys.pools[0].adaptive;
		unsigned steps, decisions;

		fake_machine_start(&machine, &sys);
		k = 0;
		if (row->held_ples) {
			k = progress_run_until(vm, k, before, progress_has_held);
			CHECK_EQ(adaptive->last_decision, 1);
		}
		k = progress_run_until(vm, k, row->held_ples ? row->after : burst,
		                       progress_is_profiling);
		CHECK(adaptive->profiling);
		steps = fake_trace_count_event(SCHED_TRACE_PROGRESS_STEP);
		decisions = adaptive->decisions;
		k = progress_run_until(vm, k, row->after, progress_has_held);
		if (adaptive->decisions != decisions + 1 || adaptive->last_decision != 0)
			fprintf(stderr, "row: %s: held %u\n", row->name, adaptive->last_decision);
		CHECK_EQ(adaptive->decisions, decisions + 1);
		CHECK_EQ(adaptive->last_decision, 0);
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_PROGRESS_STEP) - steps, row->steps);
		CHECK_EQ(adaptive->progress.hold_until == SCHED_TIME_NEVER, row->forever);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* controller_recheck: a sweep that starts in a burst measures its first
 * size in the burst. `burst` are the events by size until the sweep first
 * leaves size 0, `after` those from then on. Useful ms per interval:
 * burst at 0: 40-30 = 10; after: 38, 28, 18 (a spurious gain of every
 * size over the burst) or, when the burst is the workload, 10, 25, 20
 * (a real one). */
struct recheck_row {
	const char *name;
	bool recheck;
	unsigned after[3];
	unsigned decision;
	unsigned steps; /* progress_step records of the sweep */
};

static void test_progress_recheck(void)
{
	static const struct recheck_row rows[] = {
	    {"burst over, no recheck: 1 (a gain over the burst)", false, {2, 2, 2}, 1, 3},
	    {"burst over, recheck: 0 (size 0 without the burst)", true, {2, 2, 2}, 0, 4},
	    {"real gain, no recheck: 1", false, {30, 5, 0}, 1, 3},
	    {"real gain, recheck: 1 (kept)", true, {30, 5, 0}, 1, 4},
	};
	static const unsigned burst[3] = {30, 30, 30};
	unsigned r, k;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct recheck_row *row = &rows[r];
		struct sched_vm *vm = progress_setup(2);
		struct sched_adaptive *adaptive = &sys.pools[0].adaptive;
		bool left_zero = false;

		sys.pools[0].params.controller_recheck = row->recheck;
		fake_machine_start(&machine, &sys);
		for (k = 0; k < INTERVALS && !adaptive->decisions; k++) {
			left_zero |= sched_pool_micro_count(&sys, 0) > 0;
			progress_interval(vm, k, left_zero ? row->after : burst, NULL);
		}
		if (adaptive->last_decision != row->decision)
			fprintf(stderr, "row: %s: held %u\n", row->name, adaptive->last_decision);
		CHECK(adaptive->decisions == 1);
		CHECK_EQ(adaptive->last_decision, row->decision);
		CHECK_EQ(sched_pool_micro_count(&sys, 0), row->decision);
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_PROGRESS_STEP), row->steps);
		CHECK_EQ(fake_trace_count_event(SCHED_TRACE_PROGRESS_SCORE), 3);
		CHECK_EQ(adaptive->progress.rechecked, row->recheck);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* The keys and their ranges. */
static void test_progress_keys(void)
{
	static const struct {
		const char *key;
		uint64_t value;
		int result;
	} rows[] = {
	    {"controller", SCHED_CONTROLLER_PROGRESS, SCHED_OK},
	    {"controller", SCHED_CONTROLLER_COUNT, SCHED_ERR_INVALID},
	    {"controller_step_ms", 0, SCHED_ERR_INVALID},
	    {"controller_step_ms", 50, SCHED_OK},
	    {"controller_min_events", 0, SCHED_ERR_INVALID},
	    {"controller_min_events", 1000, SCHED_OK},
	    {"controller_spin_ns", 0, SCHED_OK},
	    {"controller_spin_ns", 1000001, SCHED_ERR_INVALID},
	    {"controller_recheck", 1, SCHED_OK},
	    {"controller_recheck", 2, SCHED_ERR_INVALID},
	};
	struct sched_params params;
	unsigned i;

	sched_params_default(&params);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int index = sched_mechanism_find(rows[i].key);

		CHECK(index >= 0);
		CHECK_EQ(sched_mechanism_set(&params, (unsigned)index, rows[i].value, NULL, 0),
		         rows[i].result);
		if (rows[i].result == SCHED_OK)
			CHECK_EQ(sched_mechanism_get(&params, (unsigned)index), rows[i].value);
	}
}

int main(void)
{
	TEST_RUN(test_progress_decisions);
	TEST_RUN(test_progress_mix_change);
	TEST_RUN(test_progress_zero_step);
	TEST_RUN(test_progress_recheck);
	TEST_RUN(test_progress_keys);
	return test_summary("test_sched_progress");
}
