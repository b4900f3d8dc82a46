/*
 * tests/host/test_schedsim.c - end-to-end tests of the scheduler simulator
 * (tools/sim/) driving the real scheduler and classifier (sched/).
 *
 * What is asserted is that the mechanisms work end to end, not how well
 * they perform: the synthetic guest map classifies as the model assumes;
 * runs are deterministic; every scenario completes under every policy with
 * a RESULT line; PLE yields reach the scheduler and get classified; micro
 * policies offload (and credit never does); the adaptive controller keeps
 * the micro pool empty for a CPU-bound load; traces are TRACE lines.
 * Performance numbers are reported by tools/schedsim, never tested.
 *
 * Lock order: none (single-threaded).
 */
#include <stdlib.h>

#include "sched/sched.h"
#include "tests/host/test.h"
#include "tools/sim/classifier.h"
#include "tools/sim/report.h"
#include "tools/sim/sim.h"

/* Short runs keep the sanitizer build fast; several 100 ms epochs. */
#define TEST_DURATION_MS 400
#define TEST_EPOCH_MS    100

static struct sim_result test_result;
static char test_line[4096];

/* Run with the scheduler's defaults but controller `controller` (an enum
 * sched_controller, or -1: the default). */
static const struct sim_result *test_run_controller(const char *scenario, const char *policy,
                                                    uint64_t duration_ms, uint64_t seed,
                                                    FILE *trace, int controller)
{
	struct sim_options options;
	int status;

	sim_options_default(&options);
	if (controller >= 0) {
		options.param_set |= 1u << SCHED_MECHANISM_CONTROLLER;
		options.param_value[SCHED_MECHANISM_CONTROLLER] = (uint64_t)controller;
	}
	/* Algorithm 1 with a 100 ms epoch, so short runs see several. */
	options.epoch_ns = TEST_EPOCH_MS * 1000 * 1000;
	options.duration_ns = duration_ms * 1000 * 1000;
	options.seed = seed;
	options.trace = trace;
	status = sim_run(sim_scenario_find(scenario), policy, &options, &test_result);
	CHECK_EQ(status, 0);
	sim_report_result(&test_result, test_line, sizeof(test_line));
	return &test_result;
}

static const struct sim_result *test_run(const char *scenario, const char *policy,
                                         uint64_t duration_ms, uint64_t seed, FILE *trace)
{
	return test_run_controller(scenario, policy, duration_ms, seed, trace, -1);
}

static void test_synthetic_map_classification(void)
{
	static const struct {
		enum sim_function function;
		enum sched_category category;
	} table[] = {
	    {SIM_FUNCTION_USER, SCHED_CATEGORY_NONE},
	    {SIM_FUNCTION_DO_SYSCALL_64, SCHED_CATEGORY_NONE},
	    {SIM_FUNCTION_QUEUED_SPIN_LOCK_SLOWPATH, SCHED_CATEGORY_LOCK_SPIN},
	    {SIM_FUNCTION_RAW_SPIN_LOCK, SCHED_CATEGORY_LOCK_SPIN},
	    {SIM_FUNCTION_RAW_SPIN_UNLOCK, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_GET_PAGE_FROM_FREELIST, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_FREE_ONE_PAGE, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_RELEASE_PAGES, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_D_ALLOC_PARALLEL, SCHED_CATEGORY_NONE},
	    {SIM_FUNCTION_UNMAP_PAGE_RANGE, SCHED_CATEGORY_NONE},
	    {SIM_FUNCTION_NATIVE_FLUSH_TLB_MULTI, SCHED_CATEGORY_IPI_WAIT},
	    {SIM_FUNCTION_SMP_CALL_FUNCTION_MANY_COND, SCHED_CATEGORY_IPI_WAIT},
	    {SIM_FUNCTION_FLUSH_TLB_FUNC, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_SYSVEC_CALL_FUNCTION, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_IRQ_ENTER_RCU, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_HANDLE_EDGE_IRQ, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_SYSVEC_RESCHEDULE_IPI, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_TTWU_DO_ACTIVATE, SCHED_CATEGORY_CRITICAL},
	    {SIM_FUNCTION_NATIVE_SAFE_HALT, SCHED_CATEGORY_HALT},
	};
	const void *classifier = sim_classifier_get("linux-6.x");
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		enum sched_category got =
		    sim_classifier_classify(classifier, sim_function_rip(table[i].function));
		if (got != table[i].category)
			fprintf(stderr, "  %s: %s, expected %s\n",
			        sim_function_name(table[i].function),
			        sim_classifier_category_name(got),
			        sim_classifier_category_name(table[i].category));
		CHECK_EQ(got, table[i].category);
	}
	/* User RIPs lie below the kernel range. */
	CHECK(sim_function_rip(SIM_FUNCTION_USER) < SIM_KERNEL_BASE);
	CHECK(sim_function_rip(SIM_FUNCTION_DO_SYSCALL_64) >= SIM_KERNEL_BASE);
}

static void test_event_queue_order(void)
{
	static const struct {
		uint64_t time;
		int target;
	} pushes[] = {{50, 1}, {10, 2}, {50, 3}, {0, 4}, {10, 5}, {70, 6}, {50, 7}};
	static const int expected[] = {4, 2, 5, 1, 3, 7, 6};
	struct sim_event_queue queue;
	struct sim_event event;
	size_t i;

	sim_event_queue_init(&queue);
	for (i = 0; i < sizeof(pushes) / sizeof(pushes[0]); i++)
		sim_event_push(&queue, pushes[i].time, SIM_EVENT_PCPU_KICK, pushes[i].target, 0);
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		CHECK(sim_event_pop(&queue, &event));
		CHECK_EQ(event.target, expected[i]);
	}
	CHECK(!sim_event_pop(&queue, &event));
	sim_event_queue_free(&queue);
}

static void test_latency_percentiles(void)
{
	struct sim_latency latency;
	uint64_t i;

	sim_latency_init(&latency);
	CHECK_EQ(sim_latency_percentile(&latency, 50), 0);
	for (i = 100; i >= 1; i--)
		sim_latency_add(&latency, i * 10);
	CHECK_EQ(sim_latency_percentile(&latency, 50), 500);
	CHECK_EQ(sim_latency_percentile(&latency, 99), 990);
	CHECK_EQ(sim_latency_percentile(&latency, 100), 1000);
	sim_latency_free(&latency);
}

/* SUMMARY arithmetic on hand-made results (no simulation). */
static void test_summary_line(void)
{
	static const struct {
		const char *policy;
		uint64_t units[2];
	} table[] = {
	    {"credit", {100, 100}},
	    {"micro-static:1", {150, 90}}, /* score 1.200 */
	    {"micro-static:2", {120, 80}}, /* score 1.000 */
	    {"micro-dynamic", {140, 95}},  /* score 1.175 */
	};
	struct sim_result results[4];
	size_t i;

	memset(results, 0, sizeof(results));
	for (i = 0; i < 4; i++) {
		snprintf(results[i].scenario, sizeof(results[i].scenario), "lock");
		snprintf(results[i].policy, sizeof(results[i].policy), "%s", table[i].policy);
		results[i].vm_count = 2;
		results[i].vm_units[0] = table[i].units[0];
		results[i].vm_units[1] = table[i].units[1];
	}
	CHECK_EQ(sim_report_summary(results, 4, test_line, sizeof(test_line)), 0);
	CHECK_CONTAINS(test_line, "SUMMARY scenario=lock ");
	CHECK_CONTAINS(test_line, " micro-static:1=1.200 ");
	CHECK_CONTAINS(test_line, " micro-static:2=1.000 ");
	CHECK_CONTAINS(test_line, " best_static=micro-static:1 ");
	CHECK_CONTAINS(test_line, " dynamic_vs_best=-2.1% ");
	CHECK_CONTAINS(test_line, " dynamic_vs_credit=+17.5% ");
	/* No baseline, no summary. */
	CHECK_EQ(sim_report_summary(results + 1, 3, test_line, sizeof(test_line)), -1);
}

static void test_determinism(void)
{
	static const char *const policies[] = {"credit", "micro-dynamic"};
	char first[4096];
	size_t i;

	for (i = 0; i < 2; i++) {
		test_run("tlb", policies[i], 150, 7, NULL);
		snprintf(first, sizeof(first), "%s", test_line);
		test_run("tlb", policies[i], 150, 7, NULL);
		CHECK_STR(test_line, first);
		test_run("tlb", policies[i], 150, 8, NULL);
		CHECK(strcmp(test_line, first) != 0);
	}
}

/* Every scenario under every policy finishes and reports both VMs. */
static void test_every_scenario_and_policy(void)
{
	struct sim_options options;
	char name[32];
	int s, p;

	sim_options_default(&options);
	for (s = 0; s < sim_scenario_count(); s++) {
		const char *scenario = sim_scenario_at(s)->name;
		struct sim_result results[16];
		int count = 0;

		for (p = 0; sim_policy_name(p, options.micro_limit, name, sizeof(name)); p++) {
			const struct sim_result *result = test_run(scenario, name, 120, 1, NULL);
			char prefix[96];

			snprintf(prefix, sizeof(prefix), "RESULT scenario=%s policy=%s ", scenario,
			         name);
			CHECK(strncmp(test_line, prefix, strlen(prefix)) == 0);
			CHECK_CONTAINS(test_line, " vm0_ops_per_s=");
			CHECK_CONTAINS(test_line, " vm1_ops_per_s=");
			CHECK_CONTAINS(test_line, " offload_failures=");
			CHECK_CONTAINS(test_line, " micro_ms=");
			CHECK_EQ(result->vm_count, 2);
			/* pinned does not time-share: with 24 vCPUs on 12
			 * pCPUs half of them wait for good, and the tlb VM
			 * waits for acks of vCPUs that never run. */
			if (strcmp(name, "pinned") == 0) {
				CHECK(result->vm_units[0] + result->vm_units[1] > 0);
			} else {
				CHECK(result->vm_units[0] > 0);
				CHECK(result->vm_units[1] > 0);
			}
			/* No pCPU time is given out twice, and with a fixed
			 * pool micro time fits in the micro pCPUs' time. (Not
			 * checked for micro-dynamic: the scheduler charges a
			 * run to the pool its pCPU is in at charge time.) */
			CHECK(result->vm_run_ns[0] + result->vm_run_ns[1] <=
			      (uint64_t)result->pcpus * result->duration_ns);
			if (strncmp(name, "micro-static:", 13) == 0)
				CHECK(result->micro_run_ns <=
				      (uint64_t)result->micro_cores_end * result->duration_ns);
			if (count < 16)
				results[count++] = *result;
		}
		CHECK_EQ(sim_report_summary(results, count, test_line, sizeof(test_line)), 0);
		CHECK_CONTAINS(test_line, "SUMMARY scenario=");
		CHECK_CONTAINS(test_line, " best_static=micro-static:");
		CHECK_CONTAINS(test_line, " dynamic_vs_best=");
	}
}

/* Algorithm 1 (controller=events) gives the lock VM a micro pCPU, which
 * offloads; the progress controller (the default) sees no gain in useful
 * time from it and keeps none, like credit. */
static void test_lock_micro_dynamic_offloads(void)
{
	const struct sim_result *result;

	result = test_run("lock", "micro-dynamic", TEST_DURATION_MS, 1, NULL);
	CHECK(result->yields_category[SCHED_CATEGORY_LOCK_SPIN] > 0);
	CHECK(result->micro_cores_average < 1);
	result = test_run_controller("lock", "micro-dynamic", TEST_DURATION_MS, 1, NULL,
	                             SCHED_CONTROLLER_EVENTS);

	CHECK(result->ple_exits > 0);
	CHECK(result->yields_ple > 0);
	CHECK(result->yields_category[SCHED_CATEGORY_LOCK_SPIN] > 0);
	CHECK(result->offloads[0] > 0); /* SCHED_OFFLOAD_LOCK_SPIN */
	CHECK(result->micro_run_ns > 0);
	CHECK(result->micro_cores_average > 0);
	CHECK(result->lock_contended > 0);
}

static void test_credit_never_offloads(void)
{
	static const char *const scenarios[] = {"lock", "tlb", "io"};
	size_t i;
	int c;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct sim_result *result = test_run(scenarios[i], "credit", 150, 1, NULL);

		for (c = 0; c < SIM_OFFLOAD_CAUSES; c++) {
			CHECK_EQ(result->offloads[c], 0);
			CHECK_EQ(result->offload_failures[c], 0);
		}
		CHECK_EQ(result->micro_run_ns, 0);
		CHECK_EQ(result->micro_cores_end, 0);
		CHECK_CONTAINS(test_line, " offloads=0 ");
		if (i == 0) {
			/* Sleeping lock-VM threads halt and are woken. */
			CHECK(result->halts > 0);
			CHECK(result->boosts > 0);
		}
	}
}

static void test_tlb_ipi_wait_offloads(void)
{
	const struct sim_result *result = test_run("tlb", "micro-static:2", 150, 1, NULL);

	CHECK(result->shootdowns > 0);
	CHECK(result->yields_category[SCHED_CATEGORY_IPI_WAIT] > 0);
	CHECK(result->offloads[1] > 0); /* SCHED_OFFLOAD_IPI_WAIT */
	CHECK(result->micro_run_ns > 0);
	CHECK_EQ(result->micro_cores_end, 2);
}

static void test_io_virq_offloads(void)
{
	const struct sim_result *result = test_run("io", "micro-static:1", 150, 1, NULL);

	CHECK(result->io_requests > 0);
	CHECK(result->virqs_to_preempted > 0);
	CHECK(result->offloads[3] > 0); /* SCHED_OFFLOAD_VIRQ */
	CHECK(result->micro_run_ns > 0);
}

static void test_cpu_bound_keeps_micro_pool_empty(void)
{
	const struct sim_result *result =
	    test_run("cpu", "micro-dynamic", TEST_DURATION_MS, 1, NULL);
	int c;

	CHECK_EQ(result->micro_cores_end, 0);
	CHECK(result->micro_cores_average == 0.0);
	CHECK_EQ(result->micro_run_ns, 0);
	CHECK_EQ(result->yields_ple + result->yields_guest, 0);
	for (c = 0; c < SIM_OFFLOAD_CAUSES; c++)
		CHECK_EQ(result->offloads[c], 0);
}

static void test_directed_yield(void)
{
	const struct sim_result *result = test_run("lock", "directed-yield", 150, 1, NULL);

	CHECK(result->yields_ple > 0);
	CHECK(result->directed_yields > 0);
	CHECK_EQ(result->micro_run_ns, 0);
}

static void test_trace_lines(void)
{
	FILE *trace = tmpfile();
	char line[256];
	int trace_lines = 0, offload_lines = 0, bad_lines = 0;

	CHECK(trace != NULL);
	if (!trace)
		return;
	test_run("tlb", "micro-static:1", 40, 1, trace);
	rewind(trace);
	while (fgets(line, sizeof(line), trace)) {
		if (line[0] == '#')
			continue;
		if (strncmp(line, "TRACE t=", 8) == 0)
			trace_lines++;
		else
			bad_lines++;
		if (strstr(line, " ev=offload "))
			offload_lines++;
	}
	fclose(trace);
	CHECK(trace_lines > 0);
	CHECK_EQ(bad_lines, 0);
	CHECK(offload_lines > 0);
	CHECK_EQ((uint64_t)trace_lines, test_result.trace_records);
}

int main(void)
{
	TEST_RUN(test_synthetic_map_classification);
	TEST_RUN(test_event_queue_order);
	TEST_RUN(test_latency_percentiles);
	TEST_RUN(test_summary_line);
	TEST_RUN(test_determinism);
	TEST_RUN(test_every_scenario_and_policy);
	TEST_RUN(test_lock_micro_dynamic_offloads);
	TEST_RUN(test_credit_never_offloads);
	TEST_RUN(test_tlb_ipi_wait_offloads);
	TEST_RUN(test_io_virq_offloads);
	TEST_RUN(test_cpu_bound_keeps_micro_pool_empty);
	TEST_RUN(test_directed_yield);
	TEST_RUN(test_trace_lines);
	return test_summary("test_schedsim");
}
