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

/* The slot rule as docs/mechanisms.md states it (a borrowed vCPU does
 * not count as running). */
static bool mech_slot_free(const struct sched_pool *micro, const struct sched_pcpu *pcpu)
{
	unsigned depth = micro->params.micro_queue_depth;
	bool busy = pcpu->current && !pcpu->current->borrowed;

	if (micro->params.micro_batch)
		return pcpu->runq_length + (busy ? 1u : 0u) <= depth;
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
		/* A borrowed vCPU (micro_borrow) leaves for an offload. */
		bool busy = pcpu->current && !pcpu->current->borrowed;
		unsigned load = pcpu->runq_length + (busy ? 1u : 0u);

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
	bool borrow;
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
	    {"paper: one slot", false, 1, false}, {"depth 3", false, 3, false},
	    {"batch, one slot", true, 1, false},  {"batch, depth 2", true, 2, false},
	    {"borrow, one slot", false, 1, true}, {"borrow, batch, depth 3", true, 3, true},
	};
	unsigned r, step;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct sched_params params;
		struct sched_vm *a;
		unsigned checked = 0;
		char error[160];

		fake_params_mechanisms_off(&params);
		params.micro_batch = rows[r].batch;
		params.micro_queue_depth = rows[r].depth;
		params.micro_borrow = rows[r].borrow;
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
			fprintf(stderr, "row %s: only %u offload decisions checked\n", rows[r].name,
			        checked);
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
	/* batch, protect and early return are on by default; the queue
	 * depth is 3, not the paper's 1, and an idle micro pCPU borrows
	 * normal work for a normal slice (docs/mechanisms.md). */
	CHECK(params.micro_batch && params.protect_initiator && params.micro_early_return);
	CHECK_EQ(params.micro_queue_depth, SCHED_MICRO_QUEUE_DEFAULT);
	CHECK_EQ(params.micro_borrow, SCHED_BORROW_NORMAL_SLICES);
	CHECK_EQ(SCHED_MICRO_QUEUE_DEFAULT, 3);
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

/* ---- (b) micro_batch and micro_queue_depth ---- */

/* 3 normal pCPUs + the micro ones; VM "a" with 6 vCPUs: 0-2 preempted in
 * user mode at 30 ms, 3-5 running. Returns VM "a". */
static struct sched_vm *mech_shootdown_setup(const char *policy, const struct sched_params *params,
                                             unsigned micro)
{
	struct sched_vm *a;
	unsigned i;

	CHECK(fake_system_init(&sys, policy, params, 3 + micro) == 0);
	a = fake_vm(&sys, "a", 6, 0, 0, mech_classify, NULL);
	for (i = 0; i < 6; i++) {
		fake_rip[a->id][i] = RIP_NONE;
		fake_kernel_mode[a->id][i] = false;
	}
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 30 * MS + 110 * US);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(a->vcpus[i].state, SCHED_VCPU_RUNNABLE);
		CHECK_EQ(a->vcpus[i + 3].state, SCHED_VCPU_RUNNING);
	}
	return a;
}

struct batch_row {
	const char *name;
	unsigned micro;
	bool batch;
	unsigned depth;
	unsigned offloads, failures;
	unsigned micro_pcpus_used; /* distinct micro pCPUs the siblings went to */
};

static void test_batch_serves_shootdown(void)
{
	static const struct batch_row rows[] = {
	    {"paper, 1 micro pCPU: one offload per shootdown", 1, false, 1, 1, 2, 1},
	    {"batch, 1 micro pCPU: the idle pCPU takes two", 1, true, 1, 2, 1, 1},
	    {"depth 2, 1 micro pCPU", 1, false, 2, 2, 1, 1},
	    {"batch + depth 2, 1 micro pCPU: all three", 1, true, 2, 3, 0, 1},
	    {"paper, 2 micro pCPUs", 2, false, 1, 2, 1, 2},
	    {"batch, 2 micro pCPUs: spread, then queued", 2, true, 1, 3, 0, 2},
	};
	unsigned r, s;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct batch_row *row = &rows[r];
		struct sched_params params;
		struct sched_vm *a;
		uint64_t used = 0;
		char policy[32];
		unsigned offloaded = 0;

		fake_params_mechanisms_off(&params);
		params.micro_batch = row->batch;
		params.micro_borrow = SCHED_BORROW_OFF; /* preempted vCPUs stay queued */
		params.micro_queue_depth = row->depth;
		snprintf(policy, sizeof(policy), "micro-static:%u", row->micro);
		a = mech_shootdown_setup(policy, &params, row->micro);
		CHECK_EQ(sched_vcpu_yield(&a->vcpus[3], SCHED_YIELD_PLE, RIP_IPI, true), SCHED_OK);
		for (s = 0; s < 3; s++) {
			if (a->vcpus[s].state != SCHED_VCPU_OFFLOADED)
				continue;
			offloaded++;
			used |= 1ull << a->vcpus[s].pcpu;
		}
		if (offloaded != row->offloads)
			fprintf(stderr, "row %s: %u offloaded\n", row->name, offloaded);
		CHECK_EQ(offloaded, row->offloads);
		CHECK_EQ(sys.counters.offloads[SCHED_OFFLOAD_IPI_WAIT], row->offloads);
		CHECK_EQ(sys.counters.offload_failures[SCHED_OFFLOAD_IPI_WAIT], row->failures);
		CHECK_EQ((unsigned)__builtin_popcountll(used), row->micro_pcpus_used);
		/* Every offloaded sibling has its slice and goes home. */
		fake_schedule(&machine, (unsigned)a->vcpus[3].pcpu);
		fake_machine_run_until(&machine, fake_now + 350 * US);
		CHECK_EQ(sys.counters.micro_returns, row->offloads);
		for (s = 0; s < 3; s++)
			CHECK(a->vcpus[s].state != SCHED_VCPU_OFFLOADED);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- (c) protect_initiator ---- */

struct protect_row {
	const char *name;
	bool protect;
	bool boost_other; /* the other VM's vCPU is BOOSTed at the yield */
	unsigned vcpus;   /* of "a": 3 leaves a sibling preempted        */
	bool initiator_after_yield;
	bool initiator_after_siblings;
	unsigned returns;
};

/* 1 normal pCPU + 1 micro; VM "a" (X, S, maybe a third) and a hog vCPU H
 * on pCPU 0: X runs, the others wait. X yields ipi-wait: S is offloaded
 * (a third sibling finds no slot). Who runs on pCPU 0 right after the
 * yield, and after S's micro slice? */
static void test_protect_initiator(void)
{
	static const struct protect_row rows[] = {
	    {"off: the yielder goes behind the hog", false, false, 2, false, false, 0},
	    {"on: the yielder is re-picked", true, false, 2, true, true, 0},
	    {"off, hog BOOSTed: the hog keeps the pCPU", false, true, 2, false, false, 0},
	    {"on, hog BOOSTed: the yielder is brought back after S ran", true, true, 2, false, true,
	     1},
	    {"off, a sibling left preempted", false, false, 3, false, false, 0},
	    {"on, a sibling left preempted: not kept, but brought back", true, false, 3, false,
	     true, 1},
	};
	unsigned r, step;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct protect_row *row = &rows[r];
		struct sched_params params;
		struct sched_vm *a, *hog;
		struct sched_vcpu *x, *other, *h;

		fake_params_mechanisms_off(&params);
		params.protect_initiator = row->protect;
		params.micro_borrow = SCHED_BORROW_OFF; /* preempted vCPUs stay queued */
		params.micro_queue_depth = 1;           /* the third sibling finds no slot */
		CHECK(fake_system_init(&sys, "micro-static:1", &params, 2) == 0);
		a = fake_vm(&sys, "a", row->vcpus, 0, 0, mech_classify, NULL);
		hog = fake_vm(&sys, "hog", 1, 0, 0, NULL, NULL);
		h = &hog->vcpus[0];
		fake_machine_start(&machine, &sys);
		/* A vCPU of "a" runs, H waits (or, boost rows, H has halted). */
		for (step = 0; step < 40; step++) {
			struct sched_vcpu *run = fake_running(&machine, 0);

			if (row->boost_other && run == h) {
				sched_vcpu_block(h, 0, false);
				fake_schedule(&machine, 0);
				continue;
			}
			if (run && run->vm == a &&
			    h->state ==
			        (row->boost_other ? SCHED_VCPU_BLOCKED : SCHED_VCPU_RUNNABLE))
				break;
			fake_machine_run_until(&machine, fake_now + 10 * MS);
		}
		/* ... for 2 ms more, past the rate limit. */
		fake_machine_run_until(&machine, fake_now + 2 * MS);
		x = fake_running(&machine, 0);
		CHECK(x && x->vm == a);
		/* The first preempted sibling is the one offloaded. */
		other = &a->vcpus[x->index == 0 ? 1 : 0];
		CHECK_EQ(other->state, SCHED_VCPU_RUNNABLE);
		if (row->boost_other) {
			/* H is woken: BOOST, queued ahead of everything. */
			CHECK_EQ(sched_vcpu_wake(h), SCHED_OK);
			CHECK_EQ(sched_vcpu_priority(h), SCHED_PRIORITY_BOOST);
		} else {
			CHECK_EQ(sched_vcpu_priority(h), sched_vcpu_priority(x));
		}
		CHECK_EQ(h->state, SCHED_VCPU_RUNNABLE);
		CHECK_EQ(sched_vcpu_yield(x, SCHED_YIELD_PLE, RIP_IPI, true), SCHED_OK);
		CHECK_EQ(other->state, SCHED_VCPU_OFFLOADED);
		fake_schedule(&machine, 0);
		fake_machine_settle(&machine);
		CHECK_EQ(fake_running(&machine, 0) == x, row->initiator_after_yield);
		CHECK(fake_running(&machine, 1) == other);
		fake_machine_run_until(&machine, fake_now + 100 * US);
		CHECK(other->state != SCHED_VCPU_OFFLOADED && other->pcpu == 0);
		CHECK_EQ(fake_running(&machine, 0) == x, row->initiator_after_siblings);
		CHECK_EQ(sys.counters.initiator_returns, row->returns);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- (d) micro_early_return ---- */

struct early_row {
	const char *name;
	bool early;
	unsigned depth;       /* 2: a second sibling waits for the pCPU */
	uint64_t sibling_rip; /* where the first sibling is seen */
	bool sibling_kernel;
	uint64_t micro_run_ns; /* first sibling's micro time at 60 us */
	unsigned early_returns;
};

static void test_micro_early_return(void)
{
	static const struct early_row rows[] = {
	    {"off: the slice runs on", false, 2, RIP_NONE, false, 0, 0},
	    {"on, user mode, a waiter: home at the first look", true, 2, RIP_NONE, false, 25 * US,
	     1},
	    {"on, critical kernel code: stays", true, 2, RIP_CRITICAL, true, 0, 0},
	    {"on, nobody waits: stays", true, 1, RIP_NONE, false, 0, 0},
	};
	unsigned r;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct early_row *row = &rows[r];
		struct sched_params params;
		struct sched_vm *a;
		struct sched_vcpu *first;

		fake_params_mechanisms_off(&params);
		params.micro_early_return = row->early;
		params.micro_borrow = SCHED_BORROW_OFF; /* preempted vCPUs stay queued */
		params.micro_queue_depth = row->depth;
		a = mech_shootdown_setup("micro-static:1", &params, 1);
		CHECK_EQ(sched_vcpu_yield(&a->vcpus[3], SCHED_YIELD_PLE, RIP_IPI, true), SCHED_OK);
		first = &a->vcpus[0];
		CHECK_EQ(first->state, SCHED_VCPU_OFFLOADED);
		fake_rip[a->id][0] = row->sibling_rip;
		fake_kernel_mode[a->id][0] = row->sibling_kernel;
		fake_schedule(&machine, (unsigned)a->vcpus[3].pcpu);
		fake_machine_settle(&machine);
		CHECK(fake_running(&machine, 3) == first);
		fake_machine_run_until(&machine, fake_now + 60 * US);
		CHECK_EQ(first->stats.micro_run_ns, row->micro_run_ns);
		CHECK_EQ(fake_running(&machine, 3) == first, row->early_returns == 0);
		CHECK_EQ(sys.counters.micro_early_returns, row->early_returns);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- micro_borrow ---- */

struct borrow_row {
	const char *name;
	unsigned borrow; /* params.micro_borrow */
	bool offload;    /* a vIPI to a queued vCPU after the start */
	unsigned borrows_at_start, preemptions;
};

/* micro-static:1 on 3 pCPUs (normal 0-1, micro 2), VM "a" with 4 vCPUs:
 * two run, two wait. Does the idle micro pCPU run one of them, does an
 * offload take it back at once, and does the borrowed vCPU go home after
 * its micro slice (not counted as a micro return)? */
static void test_micro_borrow(void)
{
	static const struct borrow_row rows[] = {
	    {"off: the micro pCPU idles", SCHED_BORROW_OFF, false, 0, 0},
	    {"on: it runs a queued vCPU", SCHED_BORROW_MICRO_SLICES, false, 1, 0},
	    {"normal slices: it runs a queued vCPU", SCHED_BORROW_NORMAL_SLICES, false, 1, 0},
	    {"on, then an offload: the borrowed vCPU leaves at once", SCHED_BORROW_MICRO_SLICES,
	     true, 1, 1},
	    {"normal slices, then an offload: it leaves at once", SCHED_BORROW_NORMAL_SLICES, true,
	     1, 1},
	    {"off, then an offload: served on the idle micro pCPU", SCHED_BORROW_OFF, true, 0, 0},
	};
	unsigned r;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct borrow_row *row = &rows[r];
		struct sched_params params;
		struct sched_vm *a;
		struct sched_vcpu *lent, *target = NULL;
		unsigned i;

		fake_params_mechanisms_off(&params);
		params.micro_borrow = row->borrow;
		CHECK(fake_system_init(&sys, "micro-static:1", &params, 3) == 0);
		a = fake_vm(&sys, "a", 4, 0, 0, mech_classify, NULL);
		fake_machine_start(&machine, &sys);
		lent = fake_running(&machine, 2);
		CHECK_EQ(sys.counters.micro_borrows, row->borrows_at_start);
		CHECK_EQ(lent != NULL, row->borrow != SCHED_BORROW_OFF);
		CHECK(!lent || (lent->borrowed && lent->vm == a && lent->home_pcpu < 2));
		/* A micro slice, or a normal one (micro_borrow=2). */
		if (lent)
			CHECK_EQ(sys.pcpus[2].slice_end - fake_now,
			         row->borrow == SCHED_BORROW_NORMAL_SLICES ? params.slice_ns
			                                                   : params.micro_slice_ns);
		/* A borrowed micro pCPU counts as idle for offloads. */
		CHECK_EQ(sys.busy_mask, 0x3);
		if (row->offload) {
			for (i = 0; i < 4 && !target; i++)
				if (a->vcpus[i].state == SCHED_VCPU_RUNNABLE)
					target = &a->vcpus[i];
			CHECK(target != NULL);
			sched_notify_ipi(target);
			CHECK_EQ(target->state, SCHED_VCPU_OFFLOADED);
			fake_machine_settle(&machine);
			CHECK(fake_running(&machine, 2) == target);
			CHECK(!target->borrowed);
		}
		CHECK_EQ(sys.counters.borrow_preemptions, row->preemptions);
		CHECK(!lent || !lent->borrowed || fake_running(&machine, 2) == lent);
		/* After a micro slice the borrowed (or offloaded) vCPU is home. */
		fake_machine_run_until(&machine, fake_now + 100 * US);
		CHECK(!lent || lent->pcpu == lent->home_pcpu || fake_running(&machine, 2) == lent);
		CHECK_EQ(sys.counters.micro_returns, row->offload ? 1u : 0u);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* A micro pCPU running a borrowed vCPU goes back to the normal pool
 * (micro-dynamic shrinking): the vCPU is an ordinary one from then on. */
static void test_micro_borrow_resize(void)
{
	struct sched_params params;
	struct sched_vcpu *lent;

	fake_params_mechanisms_off(&params);
	params.micro_borrow = SCHED_BORROW_NORMAL_SLICES;
	CHECK(fake_system_init(&sys, "micro-static:1", &params, 3) == 0);
	fake_vm(&sys, "a", 4, 0, 0, mech_classify, NULL);
	fake_machine_start(&machine, &sys);
	lent = fake_running(&machine, 2);
	CHECK(lent && lent->borrowed);
	CHECK_EQ(sched_pool_set_micro_count(&sys, 0, 0), SCHED_OK);
	CHECK(lent && !lent->borrowed);
	CHECK_EQ(sys.busy_mask, 0x7);
	fake_machine_settle(&machine);
	fake_machine_run_until(&machine, fake_now + 40 * MS);
	CHECK_EQ(fake_lock.errors, 0);
}

int main(void)
{
	TEST_RUN(test_mechanism_keys);
	TEST_RUN(test_free_slots_match_scan);
	TEST_RUN(test_batch_serves_shootdown);
	TEST_RUN(test_protect_initiator);
	TEST_RUN(test_micro_early_return);
	TEST_RUN(test_micro_borrow);
	TEST_RUN(test_micro_borrow_resize);
	return test_summary("test_sched_mechanisms");
}
