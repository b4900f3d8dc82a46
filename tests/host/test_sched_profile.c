/*
 * tests/host/test_sched_profile.c - the yield profiler (sched/profile.c):
 * recording, aliasing of RIPs in one function, user and unknown buckets,
 * overflow, ranking and its ties, candidates, and the scheduler's record
 * points (sched/offload.c) with the fake environment. Functions come from
 * a small System.map through the real classifier (sched_classifier_locate).
 *
 * Lock order: single-threaded.
 */
#include "sched/classify.h"
#include "sched/profile.h"
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS
#define US SCHED_NS_PER_US

/* The fake guest: `spin` lock-spin, `flush_wait` ipi-wait, `unlock`
 * critical; `work_a`/`work_b` share an address (aliases), `busy` and
 * `other` are in no category. */
static const char fake_map[] = "0000000000001000 T spin\n"
                               "0000000000001100 T flush_wait\n"
                               "0000000000001200 T unlock\n"
                               "0000000000001300 T work_b\n"
                               "0000000000001300 T work_a\n"
                               "0000000000001400 T busy\n"
                               "0000000000001500 T other\n"
                               "0000000000001600 D data_end\n";
static const struct sched_rule fake_rule_list[] = {
    SCHED_RULE(SCHED_CATEGORY_LOCK_SPIN, "spin"),
    SCHED_RULE(SCHED_CATEGORY_IPI_WAIT, "flush_wait"),
    SCHED_RULE(SCHED_CATEGORY_CRITICAL, "unlock"),
};
static const struct sched_rules fake_rules = {"fake", fake_rule_list, 3};

#define F_SPIN  0x1000u
#define F_FLUSH 0x1100u
#define F_UNL   0x1200u
#define F_WORK  0x1300u
#define F_BUSY  0x1400u
#define F_OTHER 0x1500u
#define OUTSIDE 0x9000u /* above every extent */

static struct sched_classifier map;
static unsigned char arena_memory[1 << 16];

static void map_build(void)
{
	struct sched_arena arena;
	struct sched_error error;

	sched_arena_init(&arena, arena_memory, sizeof(arena_memory));
	CHECK(sched_classifier_parse_map(&map, fake_map, sizeof(fake_map) - 1, "fake.map", &arena,
	                                 &error) == 0);
	sched_classifier_apply(&map, &fake_rules);
}

static struct sched_profile_entry entries[64];
static struct sched_profile profile;

static void profile_reset(size_t capacity)
{
	CHECK_EQ(sched_profile_init(&profile, entries, capacity), SCHED_OK);
}

static void record(enum sched_profile_event event, uint64_t rip, bool kernel, unsigned times)
{
	for (unsigned i = 0; i < times; i++)
		sched_profile_record(&profile, sched_classifier_locate, &map, event, rip, kernel);
}

/* The entry of `function` in out[0..n), or NULL. */
static const struct sched_profile_entry *find(const struct sched_profile_entry *out, size_t n,
                                              uint64_t function)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].kind == SCHED_PROFILE_KIND_FUNCTION && out[i].function == function)
			return &out[i];
	return NULL;
}

/* ---- set-up ---- */

static void test_init_checks_capacity(void)
{
	static const struct {
		size_t capacity;
		int result;
		uint32_t limit;
	} rows[] = {{0, SCHED_ERR_INVALID, 0}, {2, SCHED_ERR_INVALID, 0},
	            {6, SCHED_ERR_INVALID, 0}, {4, SCHED_OK, 3},
	            {64, SCHED_OK, 48},        {(size_t)1 << 25, SCHED_ERR_INVALID, 0}};
	unsigned char block[SCHED_PROFILE_BYTES(8)];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "init capacity %zu", rows[i].capacity);
		test_case_begin(name);
		CHECK_EQ(sched_profile_init(&profile, entries, rows[i].capacity), rows[i].result);
		if (rows[i].result == SCHED_OK)
			CHECK_EQ(profile.limit, rows[i].limit);
		test_case_end();
	}
	test_case_begin("init: NULL arguments, one block");
	CHECK_EQ(sched_profile_init(NULL, entries, 4), SCHED_ERR_INVALID);
	CHECK_EQ(sched_profile_init(&profile, NULL, 4), SCHED_ERR_INVALID);
	CHECK(sched_profile_init_block(NULL, 8) == NULL);
	CHECK(sched_profile_init_block(block, 8) != NULL);
	CHECK(sched_profile_init_block(block, 7) == NULL);
	sched_profile_record(NULL, NULL, NULL, SCHED_PROFILE_YIELD, 0, true); /* no crash */
	CHECK_EQ(sched_profile_top(NULL, SCHED_PROFILE_BY_YIELDS, entries, 4), 0);
	CHECK_EQ(sched_profile_candidates(NULL, entries, 4), 0);
	test_case_end();
}

/* ---- recording ---- */

struct record_row {
	const char *name;
	enum sched_profile_event event;
	uint64_t rip;
	bool kernel;
	int kind; /* enum sched_profile_kind of the entry it lands in */
	uint64_t function;
	enum sched_category category;
};

static void test_record_attribution(void)
{
	static const struct record_row rows[] = {
	    {"yield at a function start", SCHED_PROFILE_YIELD, F_SPIN, true,
	     SCHED_PROFILE_KIND_FUNCTION, F_SPIN, SCHED_CATEGORY_LOCK_SPIN},
	    {"yield inside a function", SCHED_PROFILE_YIELD, F_FLUSH + 0x42, true,
	     SCHED_PROFILE_KIND_FUNCTION, F_FLUSH, SCHED_CATEGORY_IPI_WAIT},
	    {"sibling on its last byte", SCHED_PROFILE_SIBLING, F_UNL + 0xff, true,
	     SCHED_PROFILE_KIND_FUNCTION, F_UNL, SCHED_CATEGORY_CRITICAL},
	    {"ipi in an aliased function", SCHED_PROFILE_IPI, F_WORK + 8, true,
	     SCHED_PROFILE_KIND_FUNCTION, F_WORK, SCHED_CATEGORY_NONE},
	    {"virq in the highest function", SCHED_PROFILE_VIRQ, F_OTHER + 0xff, true,
	     SCHED_PROFILE_KIND_FUNCTION, F_OTHER, SCHED_CATEGORY_NONE},
	    {"user mode inside a function: user", SCHED_PROFILE_YIELD, F_SPIN, false,
	     SCHED_PROFILE_KIND_USER, 0, SCHED_CATEGORY_NONE},
	    {"kernel below every extent: unknown", SCHED_PROFILE_IPI, 0x10, true,
	     SCHED_PROFILE_KIND_UNKNOWN, 0, SCHED_CATEGORY_NONE},
	    {"kernel above every extent: unknown", SCHED_PROFILE_YIELD, OUTSIDE, true,
	     SCHED_PROFILE_KIND_UNKNOWN, 0, SCHED_CATEGORY_NONE},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct record_row *row = &rows[i];
		struct sched_profile_entry out[8];
		size_t n;

		test_case_begin(row->name);
		profile_reset(16);
		record(row->event, row->rip, row->kernel, 3);
		CHECK_EQ(profile.events[row->event], 3);
		CHECK_EQ(sched_profile_total(&profile), 3);
		CHECK_EQ(profile.functions, row->kind == SCHED_PROFILE_KIND_FUNCTION);
		n = sched_profile_top(&profile,
		                      row->event <= SCHED_PROFILE_SIBLING
		                          ? SCHED_PROFILE_BY_YIELDS
		                          : SCHED_PROFILE_BY_PREEMPTS,
		                      out, 8);
		CHECK_EQ(n, 1);
		CHECK_EQ(out[0].kind, row->kind);
		CHECK_EQ(out[0].function, row->function);
		CHECK_EQ(out[0].category, row->category);
		CHECK_EQ(out[0].counts[row->event], 3);
		CHECK_EQ(sched_profile_entry_events(&out[0]), 3);
		test_case_end();
	}
	test_case_begin("no locate callback: every kernel RIP is unknown");
	profile_reset(16);
	sched_profile_record(&profile, NULL, NULL, SCHED_PROFILE_YIELD, F_SPIN, true);
	sched_profile_record(&profile, NULL, NULL, SCHED_PROFILE_YIELD, F_SPIN, false);
	CHECK_EQ(profile.unknown.counts[SCHED_PROFILE_YIELD], 1);
	CHECK_EQ(profile.user.counts[SCHED_PROFILE_YIELD], 1);
	CHECK_EQ(profile.functions, 0);
	test_case_end();
}

static void test_record_aliasing(void)
{
	static const uint64_t rips[] = {F_WORK, F_WORK + 1, F_WORK + 0x80, F_WORK + 0xff};
	struct sched_profile_entry out[8];
	struct sched_lookup found;

	test_case_begin("RIPs of one function (and of its aliases) share one entry");
	profile_reset(16);
	for (size_t i = 0; i < sizeof(rips) / sizeof(rips[0]); i++)
		record(i % 2 ? SCHED_PROFILE_YIELD : SCHED_PROFILE_SIBLING, rips[i], true, 1);
	record(SCHED_PROFILE_YIELD, F_WORK + 0x100, true, 1); /* next function: busy */
	CHECK_EQ(profile.functions, 2);
	CHECK_EQ(sched_profile_top(&profile, SCHED_PROFILE_BY_YIELDS, out, 8), 2);
	CHECK_EQ(out[0].function, F_WORK);
	CHECK_EQ(out[0].counts[SCHED_PROFILE_YIELD], 2);
	CHECK_EQ(out[0].counts[SCHED_PROFILE_SIBLING], 2);
	CHECK_EQ(out[1].function, F_BUSY);
	/* The report names the entry by the representative alias. */
	CHECK(sched_classifier_lookup_symbol(&map, out[0].function, &found));
	CHECK_STR(found.name, "work_a");
	CHECK_EQ(found.offset, 0);
	test_case_end();
}

/* ---- overflow ---- */

static void test_overflow(void)
{
	struct sched_profile_entry out[8];

	test_case_begin("capacity 4 holds 3 functions; a 4th is overflow, buckets are not");
	profile_reset(4);
	record(SCHED_PROFILE_YIELD, F_SPIN, true, 1);
	record(SCHED_PROFILE_YIELD, F_FLUSH, true, 2);
	record(SCHED_PROFILE_IPI, F_UNL, true, 3);
	record(SCHED_PROFILE_IPI, F_BUSY, true, 4);       /* no room */
	record(SCHED_PROFILE_VIRQ, F_OTHER, true, 5);     /* no room */
	record(SCHED_PROFILE_YIELD, F_SPIN + 4, true, 6); /* known: counted */
	record(SCHED_PROFILE_YIELD, F_BUSY, false, 7);    /* user */
	record(SCHED_PROFILE_YIELD, OUTSIDE, true, 8);    /* unknown */
	CHECK_EQ(profile.functions, 3);
	CHECK_EQ(profile.overflow[SCHED_PROFILE_IPI], 4);
	CHECK_EQ(profile.overflow[SCHED_PROFILE_VIRQ], 5);
	CHECK_EQ(profile.overflow[SCHED_PROFILE_YIELD], 0);
	CHECK_EQ(sched_profile_total(&profile), 36);
	CHECK_EQ(sched_profile_top(&profile, SCHED_PROFILE_BY_YIELDS, out, 8), 4);
	CHECK_EQ(out[0].kind, SCHED_PROFILE_KIND_UNKNOWN); /* 8 */
	CHECK_EQ(out[1].function, F_SPIN);                 /* 7, a function first */
	CHECK_EQ(out[2].kind, SCHED_PROFILE_KIND_USER);    /* 7 */
	CHECK_EQ(out[3].function, F_FLUSH);
	CHECK(find(out, 4, F_BUSY) == NULL);
	sched_profile_clear(&profile);
	CHECK_EQ(profile.functions, 0);
	CHECK_EQ(sched_profile_total(&profile), 0);
	record(SCHED_PROFILE_IPI, F_BUSY, true, 1);
	CHECK_EQ(profile.functions, 1);
	test_case_end();
}

/* ---- ranking ---- */

struct rank_input {
	enum sched_profile_event event;
	uint64_t rip;
	bool kernel;
	unsigned times;
};

struct rank_row {
	const char *name;
	enum sched_profile_order order;
	struct rank_input input[6];
	size_t max;
	size_t count;
	/* expected order: function start, or 1 = user, 2 = unknown */
	uint64_t expect[6];
};

#define USER    1u
#define UNKNOWN 2u

static uint64_t rank_id(const struct sched_profile_entry *entry)
{
	if (entry->kind == SCHED_PROFILE_KIND_USER)
		return USER;
	if (entry->kind == SCHED_PROFILE_KIND_UNKNOWN)
		return UNKNOWN;
	return entry->function;
}

static const struct rank_row rank_rows[] = {
    {"yields + siblings, descending",
     SCHED_PROFILE_BY_YIELDS,
     {{SCHED_PROFILE_YIELD, F_SPIN, true, 2},
      {SCHED_PROFILE_YIELD, F_FLUSH, true, 5},
      {SCHED_PROFILE_SIBLING, F_UNL, true, 3},
      {SCHED_PROFILE_IPI, F_BUSY, true, 9}},
     8,
     3,
     {F_FLUSH, F_UNL, F_SPIN}},
    {"tie on the sum: more own yields first",
     SCHED_PROFILE_BY_YIELDS,
     {{SCHED_PROFILE_SIBLING, F_SPIN, true, 4},
      {SCHED_PROFILE_YIELD, F_OTHER, true, 3},
      {SCHED_PROFILE_SIBLING, F_OTHER, true, 1}},
     8,
     2,
     {F_OTHER, F_SPIN}},
    {"full tie: ascending address, then user, then unknown",
     SCHED_PROFILE_BY_YIELDS,
     {{SCHED_PROFILE_YIELD, OUTSIDE, true, 2},
      {SCHED_PROFILE_YIELD, F_OTHER, false, 2},
      {SCHED_PROFILE_YIELD, F_OTHER, true, 2},
      {SCHED_PROFILE_YIELD, F_SPIN, true, 2},
      {SCHED_PROFILE_YIELD, F_WORK, true, 2}},
     8,
     5,
     {F_SPIN, F_WORK, F_OTHER, USER, UNKNOWN}},
    {"top 2 of 4 keeps the best two",
     SCHED_PROFILE_BY_YIELDS,
     {{SCHED_PROFILE_YIELD, F_SPIN, true, 1},
      {SCHED_PROFILE_YIELD, F_FLUSH, true, 4},
      {SCHED_PROFILE_YIELD, F_UNL, true, 2},
      {SCHED_PROFILE_YIELD, F_BUSY, true, 3}},
     2,
     2,
     {F_FLUSH, F_BUSY}},
    {"preempts: ipis + virqs, tie broken by ipis",
     SCHED_PROFILE_BY_PREEMPTS,
     {{SCHED_PROFILE_VIRQ, F_UNL, true, 3},
      {SCHED_PROFILE_IPI, F_BUSY, true, 1},
      {SCHED_PROFILE_VIRQ, F_BUSY, true, 2},
      {SCHED_PROFILE_IPI, F_SPIN, true, 1},
      {SCHED_PROFILE_YIELD, F_FLUSH, true, 9},
      {SCHED_PROFILE_IPI, F_SPIN, false, 1}},
     8,
     4,
     {F_BUSY, F_UNL, F_SPIN, USER}},
    {"nothing of the order: empty",
     SCHED_PROFILE_BY_PREEMPTS,
     {{SCHED_PROFILE_YIELD, F_SPIN, true, 5}, {SCHED_PROFILE_SIBLING, F_UNL, true, 5}},
     8,
     0,
     {0}},
};

static void test_ranking(void)
{
	const struct rank_row *rows = rank_rows;

	for (size_t i = 0; i < sizeof(rank_rows) / sizeof(rank_rows[0]); i++) {
		const struct rank_row *row = &rows[i];
		struct sched_profile_entry out[8];
		size_t n;

		test_case_begin(row->name);
		profile_reset(16);
		for (size_t k = 0; k < 6 && row->input[k].times; k++)
			record(row->input[k].event, row->input[k].rip, row->input[k].kernel,
			       row->input[k].times);
		n = sched_profile_top(&profile, row->order, out, row->max);
		CHECK_EQ(n, row->count);
		for (size_t k = 0; k < n && k < row->count; k++)
			CHECK_EQ(rank_id(&out[k]), row->expect[k]);
		/* Recording in another order gives the same ranking. */
		profile_reset(16);
		for (size_t k = 6; k-- > 0;)
			if (row->input[k].times)
				record(row->input[k].event, row->input[k].rip, row->input[k].kernel,
				       row->input[k].times);
		CHECK_EQ(sched_profile_top(&profile, row->order, out, row->max), row->count);
		for (size_t k = 0; k < row->count; k++)
			CHECK_EQ(rank_id(&out[k]), row->expect[k]);
		test_case_end();
	}
}

/* ---- candidates ---- */

struct candidate_row {
	const char *name;
	struct rank_input input[6];
	size_t count;
	uint64_t expect[3];
	enum sched_profile_reason reason[3];
};

static void test_candidates(void)
{
	static const struct candidate_row rows[] = {
	    {"none-category function preempted often: preempted",
	     {{SCHED_PROFILE_IPI, F_BUSY, true, 6}, {SCHED_PROFILE_SIBLING, F_BUSY, true, 4}},
	     1,
	     {F_BUSY},
	     {SCHED_PROFILE_REASON_PREEMPTED}},
	    {"none-category yielder: spinning",
	     {{SCHED_PROFILE_YIELD, F_WORK, true, 8}, {SCHED_PROFILE_VIRQ, F_WORK, true, 2}},
	     1,
	     {F_WORK},
	     {SCHED_PROFILE_REASON_SPINNING}},
	    {"9 events are too few", {{SCHED_PROFILE_IPI, F_BUSY, true, 9}}, 0, {0}, {0}},
	    {"10 events under 1 % of the VM's events are too few",
	     {{SCHED_PROFILE_IPI, F_BUSY, true, 10}, {SCHED_PROFILE_YIELD, F_SPIN, true, 991}},
	     0,
	     {0},
	     {0}},
	    {"exactly 1 % qualifies; categorised functions and buckets never do",
	     {{SCHED_PROFILE_IPI, F_BUSY, true, 10},
	      {SCHED_PROFILE_YIELD, F_SPIN, true, 900},
	      {SCHED_PROFILE_IPI, F_UNL, true, 50},
	      {SCHED_PROFILE_IPI, F_BUSY, false, 20},
	      {SCHED_PROFILE_IPI, OUTSIDE, true, 20}},
	     1,
	     {F_BUSY},
	     {SCHED_PROFILE_REASON_PREEMPTED}},
	    {"several: most events first, a tie goes to the more preempted",
	     {{SCHED_PROFILE_YIELD, F_OTHER, true, 20},
	      {SCHED_PROFILE_IPI, F_BUSY, true, 20},
	      {SCHED_PROFILE_VIRQ, F_WORK, true, 30}},
	     3,
	     {F_WORK, F_BUSY, F_OTHER},
	     {SCHED_PROFILE_REASON_PREEMPTED, SCHED_PROFILE_REASON_PREEMPTED,
	      SCHED_PROFILE_REASON_SPINNING}},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct candidate_row *row = &rows[i];
		struct sched_profile_entry out[8];
		size_t n;

		test_case_begin(row->name);
		profile_reset(16);
		for (size_t k = 0; k < 6 && row->input[k].times; k++)
			record(row->input[k].event, row->input[k].rip, row->input[k].kernel,
			       row->input[k].times);
		n = sched_profile_candidates(&profile, out, 8);
		CHECK_EQ(n, row->count);
		for (size_t k = 0; k < n && k < row->count; k++) {
			CHECK_EQ(out[k].function, row->expect[k]);
			CHECK_EQ(sched_profile_candidate_reason(&out[k]), row->reason[k]);
		}
		test_case_end();
	}
	test_case_begin("reason names");
	CHECK_STR(sched_profile_reason_name(SCHED_PROFILE_REASON_SPINNING), "spinning");
	CHECK_STR(sched_profile_reason_name(SCHED_PROFILE_REASON_PREEMPTED), "preempted");
	test_case_end();
}

/* ---- the scheduler's record points ---- */

static enum sched_category map_classify(const void *context, uint64_t rip)
{
	return sched_classifier_lookup(context, rip);
}

static struct sched_system sys;
static struct fake_machine machine;

/* 3 pCPUs, VM "a" of 6 vCPUs: 0-2 preempted at 30 ms in `busy` (0),
 * `unlock` (1) and user mode (2); 3-5 running. */
static struct sched_vm *setup_scheduler(bool attach)
{
	static const uint64_t rips[3] = {F_BUSY + 4, F_UNL + 4, F_SPIN};
	static const bool kernel[3] = {true, true, false};
	struct sched_params params;
	struct sched_vm *a;

	/* micro_borrow off: an idle micro pCPU would run a preempted vCPU. */
	sched_params_default(&params);
	params.micro_borrow = SCHED_BORROW_OFF;
	CHECK(fake_system_init(&sys, "micro-static:1", &params, 4) == 0);
	a = fake_vm(&sys, "a", 6, 0, 0, map_classify, &map);
	for (unsigned i = 0; i < 3; i++) {
		fake_rip[a->id][i] = rips[i];
		fake_kernel_mode[a->id][i] = kernel[i];
	}
	profile_reset(16);
	if (attach)
		sched_vm_set_profile(a, &profile, sched_classifier_locate, &map);
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 30 * MS + 110 * US);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(a->vcpus[i].state, SCHED_VCPU_RUNNABLE);
	return a;
}

static void test_scheduler_record_points(void)
{
	struct sched_profile_entry out[8];
	struct sched_profile summary;
	struct sched_vm *a;

	test_case_begin("ipi-wait yield: the yielder and every preempted sibling");
	a = setup_scheduler(true);
	CHECK_EQ(sched_vcpu_yield(&a->vcpus[3], SCHED_YIELD_PLE, F_FLUSH + 9, true), SCHED_OK);
	CHECK_EQ(profile.events[SCHED_PROFILE_YIELD], 1);
	CHECK_EQ(profile.events[SCHED_PROFILE_SIBLING], 3);
	CHECK_EQ(sched_vm_profile_top(a, SCHED_PROFILE_BY_YIELDS, out, 8), 4);
	CHECK_EQ(out[0].function, F_FLUSH);
	CHECK_EQ(out[0].category, SCHED_CATEGORY_IPI_WAIT);
	CHECK_EQ(out[0].counts[SCHED_PROFILE_YIELD], 1);
	CHECK(find(out, 4, F_BUSY) && find(out, 4, F_UNL));
	CHECK_EQ(out[3].kind, SCHED_PROFILE_KIND_USER);
	test_case_end();

	test_case_begin("plain yield: the yielder only");
	a = setup_scheduler(true);
	sched_vcpu_yield(&a->vcpus[4], SCHED_YIELD_GUEST, F_OTHER, true);
	CHECK_EQ(profile.events[SCHED_PROFILE_YIELD], 1);
	CHECK_EQ(profile.events[SCHED_PROFILE_SIBLING], 0);
	test_case_end();

	test_case_begin("vIPI and vIRQ: preempted targets only");
	a = setup_scheduler(true);
	sched_notify_ipi(&a->vcpus[0]);  /* RUNNABLE: busy (then offloaded) */
	sched_notify_ipi(&a->vcpus[0]);  /* OFFLOADED: still preempted      */
	sched_notify_ipi(&a->vcpus[4]);  /* RUNNING: nothing                */
	sched_notify_virq(&a->vcpus[1]); /* RUNNABLE: unlock                */
	sched_notify_virq(&a->vcpus[5]); /* RUNNING: nothing                */
	CHECK_EQ(profile.events[SCHED_PROFILE_IPI], 2);
	CHECK_EQ(profile.events[SCHED_PROFILE_VIRQ], 1);
	CHECK_EQ(sched_vm_profile_top(a, SCHED_PROFILE_BY_PREEMPTS, out, 8), 2);
	CHECK_EQ(out[0].function, F_BUSY);
	CHECK_EQ(out[0].counts[SCHED_PROFILE_IPI], 2);
	CHECK_EQ(out[1].function, F_UNL);
	CHECK(sched_vm_profile_summary(a, &summary));
	CHECK_EQ(sched_profile_total(&summary), 3);
	CHECK_EQ(sched_vm_profile_candidates(a, out, 8), 0); /* 2 events only */
	test_case_end();

	test_case_begin("a VM without a profile records nothing");
	a = setup_scheduler(false);
	sched_vcpu_yield(&a->vcpus[3], SCHED_YIELD_PLE, F_FLUSH, true);
	sched_notify_ipi(&a->vcpus[0]);
	CHECK_EQ(sched_profile_total(&profile), 0);
	CHECK(!sched_vm_profile_summary(a, &summary));
	CHECK_EQ(sched_vm_profile_top(a, SCHED_PROFILE_BY_YIELDS, out, 8), 0);
	test_case_end();
}

int main(void)
{
	map_build();
	test_init_checks_capacity();
	test_record_attribution();
	test_record_aliasing();
	test_overflow();
	test_ranking();
	test_candidates();
	test_scheduler_record_points();
	return test_summary("test_sched_profile");
}
