/*
 * tests/host/test_sched_policy.c - policy names (sched/policy.c) and what
 * sched_init() builds for each: pools, slices, micro pool sizes, and
 * clear messages for bad names and bad parameters.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS
#define US SCHED_NS_PER_US

static struct sched_system sys;

struct parse_row {
	const char *text;
	int result;
	const char *canonical; /* on success */
	bool short_slice;
	enum sched_yield_mode yield_mode;
	enum sched_micro_mode micro_mode;
	unsigned micro_count;
	const char *message; /* on failure: substring */
};

static void test_policy_parse(void)
{
	static const struct parse_row rows[] = {
	    {"credit", SCHED_OK, "credit", false, SCHED_YIELD_MODE_PLAIN, SCHED_MICRO_NONE, 0,
	     NULL},
	    {"credit-short", SCHED_OK, "credit-short", true, SCHED_YIELD_MODE_PLAIN,
	     SCHED_MICRO_NONE, 0, NULL},
	    {"directed-yield", SCHED_OK, "directed-yield", false, SCHED_YIELD_MODE_DIRECTED,
	     SCHED_MICRO_NONE, 0, NULL},
	    {"micro-static:1", SCHED_OK, "micro-static:1", false, SCHED_YIELD_MODE_PLAIN,
	     SCHED_MICRO_STATIC, 1, NULL},
	    {"micro-static:3", SCHED_OK, "micro-static:3", false, SCHED_YIELD_MODE_PLAIN,
	     SCHED_MICRO_STATIC, 3, NULL},
	    {"micro-static:012", SCHED_OK, "micro-static:12", false, SCHED_YIELD_MODE_PLAIN,
	     SCHED_MICRO_STATIC, 12, NULL},
	    {"micro-static:63", SCHED_OK, "micro-static:63", false, SCHED_YIELD_MODE_PLAIN,
	     SCHED_MICRO_STATIC, 63, NULL},
	    {"micro-dynamic", SCHED_OK, "micro-dynamic", false, SCHED_YIELD_MODE_PLAIN,
	     SCHED_MICRO_DYNAMIC, 0, NULL},
	    {"pinned", SCHED_OK, "pinned", false, SCHED_YIELD_MODE_PLAIN, SCHED_MICRO_NONE, 0,
	     NULL},
	    {"pinned:1", SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "'pinned' takes no ':' argument"},
	    {"micro-static", SCHED_ERR_INVALID, NULL, false, 0, 0, 0,
	     "micro-static needs a pCPU count: micro-static:N"},
	    {"micro-static:", SCHED_ERR_INVALID, NULL, false, 0, 0, 0,
	     "micro-static needs a pCPU count"},
	    {"micro-static:x", SCHED_ERR_INVALID, NULL, false, 0, 0, 0,
	     "needs N to be a decimal number from 1 to 63, got 'x'"},
	    {"micro-static:-1", SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "got '-1'"},
	    {"micro-static:2x", SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "got '2x'"},
	    {"micro-static:0", SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "N from 1 to 63, got '0'"},
	    {"micro-static:64", SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "got '64'"},
	    {"micro-static:99999999999", SCHED_ERR_INVALID, NULL, false, 0, 0, 0,
	     "got '99999999999'"},
	    {"credit:2", SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "'credit' takes no ':' argument"},
	    {"micro-dynamic:3", SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "takes no ':' argument"},
	    {"Credit", SCHED_ERR_INVALID, NULL, false, 0, 0, 0,
	     "unknown scheduler policy 'Credit'"},
	    {"credit2", SCHED_ERR_INVALID, NULL, false, 0, 0, 0,
	     "unknown scheduler policy 'credit2' (expected credit, "
	     "credit-short, directed-yield, micro-static:N, "
	     "micro-dynamic, pinned)"},
	    {"", SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "empty scheduler policy"},
	    {NULL, SCHED_ERR_INVALID, NULL, false, 0, 0, 0, "empty scheduler policy"},
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct parse_row *row = &rows[i];
		struct sched_policy policy;
		char error[200] = "unchanged";
		int result;

		memset(&policy, 0x5a, sizeof(policy));
		result = sched_policy_parse(row->text, &policy, error, sizeof(error));
		CHECK_EQ(result, row->result);
		if (result != SCHED_OK) {
			CHECK_CONTAINS(error, row->message);
			continue;
		}
		CHECK_STR(error, "");
		CHECK_STR(policy.name, row->canonical);
		CHECK(policy.ops != NULL);
		CHECK_EQ(policy.short_slice, row->short_slice);
		CHECK_EQ(policy.yield_mode, row->yield_mode);
		CHECK_EQ(policy.micro_mode, row->micro_mode);
		CHECK_EQ(policy.micro_count, row->micro_count);
	}
	/* A short error buffer is truncated, still terminated. */
	{
		struct sched_policy policy;
		char small[8];

		CHECK_EQ(sched_policy_parse("bogus", &policy, small, sizeof(small)),
		         SCHED_ERR_INVALID);
		CHECK_STR(small, "unknown");
		CHECK_EQ(sched_policy_parse("bogus", &policy, NULL, 0), SCHED_ERR_INVALID);
	}
}

struct init_row {
	const char *policy;
	unsigned pcpus;
	int result;
	uint64_t slice_ns;    /* Pool-0's */
	unsigned micro_pcpus; /* -1u: no micro child */
	bool adaptive;
	const char *message;
};

static void test_init_per_policy(void)
{
	static const struct init_row rows[] = {
	    {"credit", 4, SCHED_OK, 30 * MS, -1u, false, NULL},
	    {"credit-short", 4, SCHED_OK, 100 * US, -1u, false, NULL},
	    {"directed-yield", 4, SCHED_OK, 30 * MS, -1u, false, NULL},
	    {"micro-static:1", 4, SCHED_OK, 30 * MS, 1, false, NULL},
	    {"micro-static:3", 4, SCHED_OK, 30 * MS, 3, false, NULL},
	    {"micro-static:4", 4, SCHED_ERR_INVALID, 0, 0, false,
	     "micro-static:N needs N < number of pCPUs"},
	    {"micro-dynamic", 4, SCHED_OK, 30 * MS, 0, true, NULL},
	    {"micro-dynamic", 1, SCHED_OK, 30 * MS, 0, true, NULL},
	    {"pinned", 4, SCHED_OK, 30 * MS, -1u, false, NULL},
	    {"credit", 0, SCHED_ERR_INVALID, 0, 0, false, "pcpu count must be 1..64"},
	    {"credit", 65, SCHED_ERR_INVALID, 0, 0, false, "pcpu count must be 1..64"},
	};
	unsigned i, p;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct init_row *row = &rows[i];
		struct sched_policy policy;
		char error[120];
		int result;

		fake_env_reset();
		CHECK_EQ(sched_policy_parse(row->policy, &policy, error, sizeof(error)), SCHED_OK);
		result =
		    sched_init(&sys, &policy, NULL, row->pcpus, &fake_lock, error, sizeof(error));
		CHECK_EQ(result, row->result);
		if (result != SCHED_OK) {
			CHECK_CONTAINS(error, row->message);
			continue;
		}
		CHECK_STR(sys.pools[0].name, "Pool-0");
		CHECK_STR(sys.pools[0].policy.name, row->policy);
		CHECK_EQ(sys.pools[0].params.slice_ns, row->slice_ns);
		CHECK_EQ(sys.pools[0].adaptive.enabled, row->adaptive);
		if (row->micro_pcpus == -1u) {
			CHECK_EQ(sys.pools[0].micro_child, SCHED_NO_POOL);
			CHECK_EQ(sys.pools[0].pcpu_count, row->pcpus);
			continue;
		}
		{
			struct sched_pool *micro = &sys.pools[sys.pools[0].micro_child];

			CHECK_STR(micro->name, "Pool-0-micro");
			CHECK(micro->micro);
			CHECK_EQ(micro->parent, 0);
			CHECK_EQ(micro->params.slice_ns, 100 * US);
			CHECK_EQ(micro->params.ratelimit_ns, 0);
			CHECK(!micro->params.steal);
			CHECK_EQ(micro->pcpu_count, row->micro_pcpus);
			CHECK_EQ(micro->master, SCHED_NO_PCPU);
			/* The highest-numbered pCPUs are the micro ones. */
			for (p = 0; p < row->pcpus; p++)
				CHECK_EQ(sys.pcpus[p].pool,
				         p >= row->pcpus - row->micro_pcpus ? micro->id : 0);
			CHECK_EQ(sched_pool_micro_count(&sys, 0), row->micro_pcpus);
		}
	}
}

struct params_row {
	const char *what;
	void (*spoil)(struct sched_params *params);
	const char *message;
};

static void spoil_slice(struct sched_params *p)
{
	p->slice_ns = 0;
}
static void spoil_tick(struct sched_params *p)
{
	p->tick_ns = 0;
}
static void spoil_weight(struct sched_params *p)
{
	p->default_weight = 0;
}
static void spoil_epoch(struct sched_params *p)
{
	p->epoch_ns = 0;
}
static void spoil_credits(struct sched_params *p)
{
	p->credits_per_ms = 0;
}

static void test_bad_params(void)
{
	static const struct params_row rows[] = {
	    {"slice", spoil_slice, "must be > 0"},
	    {"tick", spoil_tick, "must be > 0"},
	    {"weight", spoil_weight, "default_weight must be > 0"},
	    {"epoch", spoil_epoch, "epoch must be > 0"},
	    {"credits", spoil_credits, "credits_per_ms"},
	};
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_params params;
		char error[120];

		sched_params_default(&params);
		rows[i].spoil(&params);
		CHECK_EQ(sched_init(&sys, NULL, &params, 2, &fake_lock, error, sizeof(error)),
		         SCHED_ERR_INVALID);
		CHECK_CONTAINS(error, rows[i].message);
	}
}

static void test_default_params(void)
{
	struct sched_params p;

	sched_params_default(&p);
	CHECK_EQ(p.slice_ns, 30 * MS);
	CHECK_EQ(p.tick_ns, 10 * MS);
	CHECK_EQ(p.account_period_ns, 30 * MS);
	CHECK_EQ(p.ratelimit_ns, 1 * MS);
	CHECK_EQ(p.micro_slice_ns, 100 * US);
	CHECK_EQ(p.credits_per_ms, 10);
	CHECK_EQ(p.default_weight, 256);
	CHECK(p.steal);
	CHECK_EQ(p.profile_interval_ns, 10 * MS);
	CHECK_EQ(p.epoch_ns, 1000 * MS);
	CHECK_EQ(p.micro_limit, 3);
	/* NULL policy and params: credit with defaults. */
	fake_env_reset();
	CHECK_EQ(sched_init(&sys, NULL, NULL, 2, &fake_lock, NULL, 0), SCHED_OK);
	CHECK_STR(sys.pools[0].policy.name, "credit");
	CHECK_EQ(sys.pools[0].params.slice_ns, 30 * MS);
}

int main(void)
{
	TEST_RUN(test_policy_parse);
	TEST_RUN(test_init_per_policy);
	TEST_RUN(test_bad_params);
	TEST_RUN(test_default_params);
	return test_summary("test_sched_policy");
}
