/*
 * tests/host/test_sched_mechanisms.c - the offload mechanisms beyond the
 * paper (docs/mechanisms.md), through the fake environment:
 *   (a) free micro pCPUs by bitmask: the same choice as a scan of every
 *       pCPU, under random queue / dequeue / affinity sequences;
 *   (b) micro_batch / micro_queue_depth: one ipi-wait yield offloads
 *       every preempted sibling;
 *   (c) protect_initiator: the yielder is re-picked before the other VM's
 *       vCPU as soon as its offloaded siblings have run;
 *   (d) micro_early_return: a micro slice ends when the vCPU is seen
 *       outside critical kernel code.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS
#define US SCHED_NS_PER_US

#define RIP_NONE     0x0500u
#define RIP_IPI      0x2010u /* smp_call_function_many-like */
#define RIP_CRITICAL 0x3010u /* flush_tlb_func-like          */

static enum sched_category mech_classify(const void *context, uint64_t rip)
{
	(void)context;
	if (rip >= 0x2000 && rip < 0x2100)
		return SCHED_CATEGORY_IPI_WAIT;
	if (rip >= 0x3000 && rip < 0x3100)
		return SCHED_CATEGORY_CRITICAL;
	return SCHED_CATEGORY_NONE;
}

static struct sched_system sys;
static struct fake_machine machine;

static uint64_t mech_random_state;

static uint64_t mech_random(void)
{
	mech_random_state ^= mech_random_state << 13;
	mech_random_state ^= mech_random_state >> 7;
	mech_random_state ^= mech_random_state << 17;
	return mech_random_state;
}

/* The slot rule as docs/mechanisms.md states it. */
static bool mech_slot_free(const struct sched_pool *micro, const struct sched_pcpu *pcpu)
{
	unsigned depth = micro->params.micro_queue_depth;

	if (micro->params.micro_batch)
		return pcpu->runq_length + (pcpu->current ? 1u : 0u) <= depth;
	return pcpu->runq_length < depth;
}

/* The reference choice: a plain scan of all 64 pCPUs with the rule of
 * sched_offload_slot_free(), least occupied first, idle+empty best. */
static int mech_reference_pcpu(const struct sched_vcpu *vcpu)
{
	const struct sched_pool *micro = &sys.pools[sys.pools[vcpu->vm->pool].micro_child];
	int best = -1;
	unsigned best_load = 0, i;

	for (i = 0; i < SCHED_MAX_PCPUS; i++) {
		const struct sched_pcpu *pcpu = &sys.pcpus[i];
		unsigned load = pcpu->runq_length + (pcpu->current ? 1u : 0u);

		if (!((micro->pcpu_mask >> i) & 1) || !((vcpu->affinity >> i) & 1) ||
		    !mech_slot_free(micro, pcpu))
			continue;
		if (load == 0)
			return (int)i;
		if (best < 0 || load < best_load) {
			best = (int)i;
			best_load = load;
		}
	}
	return best;
}

/* ---- (a) bitmask == scan ---- */

struct slot_row {
	const char *name;
	bool batch;
	unsigned depth;
};

/* One random step: time passes, an IPI to a random vCPU (checked against
 * the reference), a random ipi-wait yield, or a random re-pin. */
static void mech_random_step(struct sched_vm *a, unsigned *checked)
{
	unsigned pick = (unsigned)(mech_random() % 4);
	struct sched_vcpu *v = &a->vcpus[mech_random() % a->vcpu_count];

	if (pick == 0) {
		fake_machine_run_until(&machine, fake_now + mech_random() % (150 * US));
	} else if (pick == 1 && v->state == SCHED_VCPU_RUNNABLE) {
		int expected = mech_reference_pcpu(v);
		uint64_t failures = sys.counters.offload_failures[SCHED_OFFLOAD_IPI];

		sched_notify_ipi(v);
		if (expected < 0) {
			CHECK_EQ(v->state, SCHED_VCPU_RUNNABLE);
			CHECK_EQ(sys.counters.offload_failures[SCHED_OFFLOAD_IPI], failures + 1);
		} else {
			CHECK_EQ(v->state, SCHED_VCPU_OFFLOADED);
			CHECK_EQ(v->pcpu, expected);
		}
		(*checked)++;
	} else if (pick == 2 && v->state == SCHED_VCPU_RUNNING) {
		sched_vcpu_yield(v, SCHED_YIELD_PLE, RIP_IPI, true);
		if (mech_random() % 2)
			fake_schedule(&machine, (unsigned)v->pcpu);
	} else if (pick == 3 && v->state == SCHED_VCPU_RUNNABLE) {
		/* Normal pCPUs 0-3 always, micro pCPUs 4-6 at random. */
		uint64_t mask = 0xfull | ((mech_random() % 8) << 4);

		if (mech_random() % 3 == 0)
			mask = SCHED_AFFINITY_ALL;
		CHECK_EQ(sched_vcpu_set_affinity(v, mask), SCHED_OK);
	}
}

static void test_free_slots_match_scan(void)
{
	static const struct slot_row rows[] = {
	    {"paper: one slot", false, 1},
	    {"depth 3", false, 3},
	    {"batch, one slot", true, 1},
	    {"batch, depth 2", true, 2},
	};
	unsigned r, step;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct sched_params params;
		struct sched_vm *a;
		unsigned checked = 0;
		char error[160];

		sched_params_default(&params);
		params.micro_batch = rows[r].batch;
		params.micro_queue_depth = rows[r].depth;
		params.check_invariants = true;
		CHECK(fake_system_init(&sys, "micro-static:3", &params, 7) == 0);
		a = fake_vm(&sys, "a", 10, 0, 0, mech_classify, NULL);
		fake_vm(&sys, "hog", 4, 0, 0, NULL, NULL);
		fake_machine_start(&machine, &sys);
		mech_random_state = 0x9e3779b97f4a7c15ull + r;
		for (step = 0; step < 4000; step++) {
			mech_random_step(a, &checked);
			CHECK_EQ(sched_check_invariants(&sys, error, sizeof(error)), 0);
		}
		if (checked < 200)
			fprintf(stderr, "row %s: only %u offload decisions checked\n",
			        rows[r].name, checked);
		CHECK(checked >= 200);
		CHECK(sys.counters.offloads[SCHED_OFFLOAD_IPI] > 0);
		CHECK(sys.counters.offload_failures[SCHED_OFFLOAD_IPI] > 0);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- the parameters by key ---- */

static void test_mechanism_keys(void)
{
	static const struct {
		const char *key;
		uint64_t value;
		int result;
		const char *error;
	} rows[] = {
	    {"micro_batch", 1, SCHED_OK, ""},
	    {"micro_batch", 2, SCHED_ERR_INVALID, "micro_batch=2: must be 0..1"},
	    {"micro_queue_depth", 8, SCHED_OK, ""},
	    {"micro_queue_depth", 0, SCHED_ERR_INVALID, "micro_queue_depth=0: must be 1..8"},
	    {"micro_queue_depth", 9, SCHED_ERR_INVALID, "micro_queue_depth=9: must be 1..8"},
	    {"protect_initiator", 1, SCHED_OK, ""},
	    {"micro_early_return", 1, SCHED_OK, ""},
	    {"micro_early_return", 5, SCHED_ERR_INVALID, "micro_early_return=5: must be 0..1"},
	};
	struct sched_params params;
	unsigned i;

	sched_params_default(&params);
	/* Every mechanism is off by default: the paper's behaviour. */
	CHECK(!params.micro_batch && !params.protect_initiator && !params.micro_early_return);
	CHECK_EQ(params.micro_queue_depth, 1);
	CHECK_EQ(sched_mechanism_find("no_such_key"), SCHED_ERR_NOT_FOUND);
	CHECK(sched_mechanism_key(SCHED_MECHANISM_COUNT) == NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char error[96] = "";
		int index = sched_mechanism_find(rows[i].key);

		CHECK(index >= 0);
		CHECK_STR(sched_mechanism_key((unsigned)index), rows[i].key);
		CHECK_EQ(sched_mechanism_set(&params, (unsigned)index, rows[i].value, error,
		                             sizeof(error)),
		         rows[i].result);
		CHECK_STR(error, rows[i].error);
		if (rows[i].result == SCHED_OK)
			CHECK_EQ(sched_mechanism_get(&params, (unsigned)index), rows[i].value);
	}
}

int main(void)
{
	TEST_RUN(test_mechanism_keys);
	TEST_RUN(test_free_slots_match_scan);
	return test_summary("test_sched_mechanisms");
}
