/*
 * tests/host/test_vmx_pools.c - the pools.cfg parser and planner
 * (vmx/pools.c), table-driven: good configurations and the pools they
 * plan (pCPUs, policy, parameters, numa_split on a 2 x 6 machine), and bad
 * input with its FILE:LINE: reason; pCPU lists; parameter names.
 *
 * Lock order: single-threaded.
 */
#include "vmx/cpulist.h"
#include "vmx/pools.h"

#include <stdio.h>
#include <string.h>

#include "tests/host/test.h"

#define MS 1000000ull
#define US 1000ull

/* 12 pCPUs in two packages of 6 (Bochs cpu: count=2:6:1). */
static const uint32_t two_packages[12] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
static const uint32_t one_package[12] = {0};

struct plan_expect {
	const char *name;
	uint64_t cpus;
	const char *policy;
	uint64_t slice_ns; /* 0 = not checked */
	uint64_t ratelimit_ns;
};

struct good_row {
	const char *name;
	const char *text;
	const uint32_t *package;
	unsigned count;
	struct plan_expect pools[3];
};

static const struct good_row good_rows[] = {
    {"empty file", "# nothing\n\n", one_package, 0, {{0}}},
    {"two pools (the e2e two-pool case)",
     "pool = \"fast\"\ncpus = \"1\"\nsched = \"credit\"\ntslice_ms = 30\n"
     "pool = \"short\"   # a comment\ncpus = \"2-3\"\nsched = \"credit-short\"\n",
     one_package,
     2,
     {{"fast", 0x2, "credit", 30 * MS, 0}, {"short", 0xc, "credit-short", 100 * US, 0}}},
    {"list of cpus, parameters",
     "pool = 'p'\ncpus = [\"4\", \"6-7\"]\nratelimit_us = 0\n"
     "tick_ms = 5\nmicro_limit = 2\n",
     one_package,
     1,
     {{"p", 0xd0, "credit", 30 * MS, 0}}},
    {"numa_split", "numa_split = yes\n", two_packages, 1, {{"Pool-node1", 0xfc0, "credit", 0, 0}}},
    {"numa_split with the node pool's policy",
     "numa_split = yes\npool = \"Pool-node1\"\nsched = \"micro-dynamic\"\ntslice_ms = 10\n",
     two_packages,
     1,
     {{"Pool-node1", 0xfc0, "micro-dynamic", 10 * MS, 0}}},
    {"numa_split and a pool from package 0",
     "numa_split = yes\npool = \"p\"\ncpus = \"4-5\"\nsched = \"micro-static:1\"\n",
     two_packages,
     2,
     {{"Pool-node1", 0xfc0, "credit", 0, 0}, {"p", 0x30, "micro-static:1", 0, 0}}},
    {"numa_split on one package", "numa_split = yes\n", one_package, 0, {{0}}},
    {"numa_split = no", "numa_split = no\n", two_packages, 0, {{0}}},
};

static void test_good(void)
{
	struct sched_policy base;
	struct sched_params params;
	char error[200];
	sched_params_default(&params);
	CHECK_EQ(sched_policy_parse("credit", &base, error, sizeof(error)), 0);
	for (size_t i = 0; i < sizeof(good_rows) / sizeof(good_rows[0]); i++) {
		const struct good_row *row = &good_rows[i];
		struct pools_config config;
		struct pools_plan plan;
		test_case_begin(row->name);
		int parsed = pools_config_parse(&config, "pools.cfg", row->text, strlen(row->text),
		                                error, sizeof(error));
		CHECK_EQ(parsed, 0);
		if (parsed)
			fprintf(stderr, "  %s\n", error);
		int planned = pools_config_plan(&config, "pools.cfg", &base, &params, row->package,
		                                12, &plan, error, sizeof(error));
		CHECK_EQ(planned, 0);
		if (planned)
			fprintf(stderr, "  %s\n", error);
		CHECK_EQ(plan.count, row->count);
		for (unsigned p = 0; p < row->count && p < plan.count; p++) {
			CHECK_STR(plan.pools[p].name, row->pools[p].name);
			CHECK_EQ(plan.pools[p].cpus, row->pools[p].cpus);
			CHECK_STR(plan.pools[p].policy.name, row->pools[p].policy);
			if (row->pools[p].slice_ns && strcmp(row->pools[p].policy, "credit-short"))
				CHECK_EQ(plan.pools[p].params.slice_ns, row->pools[p].slice_ns);
		}
		test_case_end();
	}
}

struct bad_row {
	const char *name;
	const char *text;
	const char *error; /* the whole message */
};

static const struct bad_row bad_rows[] = {
    {"key before a pool", "cpus = \"1\"\n",
     "pools.cfg:1: a pool key before the first pool = \"NAME\" line"},
    {"unknown key", "pool = \"p\"\ncpus = \"1\"\ncolour = 3\n", "pools.cfg:3: unknown key colour"},
    {"Pool-0 section", "pool = \"Pool-0\"\n",
     "pools.cfg:1: Pool-0 is configured by the hypervisor command line (sched=, sched_*=); "
     "it keeps every pCPU no pool names"},
    {"duplicate pool", "pool = \"p\"\ncpus = \"1\"\npool = \"p\"\n",
     "pools.cfg:3: a pool of that name is already defined"},
    {"no cpus", "pool = \"p\"\nsched = \"credit\"\n",
     "pools.cfg:1: the pool has no cpus = \"...\""},
    {"pCPU 0", "pool = \"p\"\ncpus = \"0-1\"\n", "pools.cfg:2: pCPU 0 stays in Pool-0"},
    {"pCPU twice", "pool = \"p\"\ncpus = \"1-2\"\npool = \"q\"\n\ncpus = \"2\"\n",
     "pools.cfg:5: a pCPU is already in another pool"},
    {"pCPU missing", "pool = \"p\"\ncpus = \"12\"\n",
     "pools.cfg:2: cpus names a pCPU that does not exist (pCPUs 0-11)"},
    {"bad range", "pool = \"p\"\ncpus = \"3-1\"\n", "pools.cfg:2: bad pCPU range in \"3-1\""},
    {"bad list", "pool = \"p\"\ncpus = \"1;2\"\n", "pools.cfg:2: bad pCPU list \"1;2\""},
    {"cpus unquoted", "pool = \"p\"\ncpus = 1\n",
     "pools.cfg:2: cpus must be a quoted list, e.g. cpus = \"6-11\""},
    {"bad policy", "pool = \"p\"\ncpus = \"1\"\nsched = \"fifo\"\n", "pools.cfg:3: "},
    {"micro-static too big", "pool = \"p\"\ncpus = \"1-2\"\nsched = \"micro-static:2\"\n",
     "pools.cfg:3: micro-static:2 needs more than 2 pCPUs (the pool has 2)"},
    {"zero slice", "pool = \"p\"\ncpus = \"1\"\ntslice_ms = 0\n",
     "pools.cfg:3: tslice_ms=0: must be 1..86400000"},
    {"slice not a number", "pool = \"p\"\ncpus = \"1\"\ntslice_ms = \"30\"\n",
     "pools.cfg:3: expected a number for key tslice_ms"},
    {"duplicate parameter", "pool = \"p\"\ncpus = \"1\"\ntslice_ms = 3\ntslice_ms = 4\n",
     "pools.cfg:4: duplicate key tslice_ms"},
    {"trailing text", "pool = \"p\" x\n", "pools.cfg:1: unexpected text after the value"},
    {"unterminated", "pool = \"p\n", "pools.cfg:1: unterminated string"},
    {"no equals", "pool \"p\"\n", "pools.cfg:1: expected '=' after the key"},
    {"numa_split late", "pool = \"p\"\ncpus = \"1\"\nnuma_split = yes\n",
     "pools.cfg:3: numa_split must come before the first pool"},
    {"numa_split word", "numa_split = maybe\n", "pools.cfg:1: numa_split must be yes or no"},
    {"numa pool with cpus", "numa_split = yes\npool = \"Pool-node1\"\ncpus = \"7\"\n",
     "pools.cfg:3: the pCPUs of a numa_split pool are its package's"},
    {"too many pool slots",
     "pool = \"a\"\ncpus = \"1-2\"\nsched = \"micro-static:1\"\npool = \"b\"\ncpus = \"3-4\"\n"
     "sched = \"micro-static:1\"\npool = \"c\"\ncpus = \"5-6\"\nsched = \"micro-static:1\"\n"
     "pool = \"d\"\ncpus = \"7-8\"\nsched = \"micro-static:1\"\n",
     "pools.cfg:10: 5 pools with their micro-sliced children need 9 of the 8 pool slots"},
    {"list for sched", "pool = \"p\"\nsched = [\"credit\"]\n",
     "pools.cfg:2: a list is only allowed for cpus"},
};

static void test_bad(void)
{
	struct sched_policy base;
	struct sched_params params;
	char error[200];
	sched_params_default(&params);
	CHECK_EQ(sched_policy_parse("credit", &base, error, sizeof(error)), 0);
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *row = &bad_rows[i];
		struct pools_config config;
		struct pools_plan plan;
		test_case_begin(row->name);
		error[0] = '\0';
		int result = pools_config_parse(&config, "pools.cfg", row->text, strlen(row->text),
		                                error, sizeof(error));
		if (result == 0)
			result = pools_config_plan(&config, "pools.cfg", &base, &params,
			                           two_packages, 12, &plan, error, sizeof(error));
		CHECK_EQ(result, -1);
		if (strlen(row->error) > strlen("pools.cfg:3: "))
			CHECK_STR(error, row->error);
		else
			CHECK_CONTAINS(error, row->error);
		test_case_end();
	}
}

struct cpus_row {
	const char *text;
	int result;
	uint64_t mask;
};

static const struct cpus_row cpus_rows[] = {
    {"3", 0, 0x8}, {"6-11", 0, 0xfc0}, {"0,2-3", 0, 0xd}, {"all", 0, 0xfff}, {"", -1, 0},
    {"1,", -1, 0}, {"-1", -1, 0},      {"12", -1, 0},     {"2-x", -1, 0},    {"1 2", -1, 0},
};

static void test_cpus(void)
{
	char why[120];
	for (size_t i = 0; i < sizeof(cpus_rows) / sizeof(cpus_rows[0]); i++) {
		uint64_t mask = 0;
		test_case_begin(cpus_rows[i].text);
		CHECK_EQ(cpulist_parse(cpus_rows[i].text, 12, &mask, why, sizeof(why)),
		         cpus_rows[i].result);
		if (cpus_rows[i].result == 0)
			CHECK_EQ(mask, cpus_rows[i].mask);
		test_case_end();
	}
}

static void test_params(void)
{
	struct sched_params params;
	char why[120];
	sched_params_default(&params);
	for (int i = 0; i < POOLS_PARAM_COUNT; i++)
		CHECK_EQ(pools_param_find(pools_param_name((enum pools_param)i)), i);
	CHECK_EQ(pools_param_find("nope"), -1);
	CHECK_EQ(pools_param_apply(&params, POOLS_PARAM_TSLICE_MS, 5, why, sizeof(why)), 0);
	CHECK_EQ(params.slice_ns, 5 * MS);
	CHECK_EQ(pools_param_apply(&params, POOLS_PARAM_MICRO_LIMIT, 64, why, sizeof(why)), -1);
	CHECK_EQ(pools_param_apply(&params, POOLS_PARAM_RATELIMIT_US, 0, why, sizeof(why)), 0);
	CHECK_EQ(params.ratelimit_ns, 0);
}

int main(void)
{
	test_good();
	test_bad();
	test_cpus();
	TEST_RUN(test_params);
	return test_summary("test_vmx_pools");
}
