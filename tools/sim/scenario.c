/*
 * tools/sim/scenario.c - the scenarios schedsim runs, modelled on the
 * paper's co-run experiments (section 6): 12 pCPUs, two VMs of 12 vCPUs,
 * the first running the workload under study, the second a CPU hog
 * (swaptions-like), 2:1 overcommit.
 *
 * The numbers below are the simulator's assumptions (docs/schedsim.md
 * explains them); they are chosen once to make each workload dominated by
 * its critical service, and are not tuned per policy.
 *
 * Lock order: none (constant data).
 */
#include "tools/sim/sim.h"

#include <string.h>

#define US 1000ull

#define SIM_SCENARIO_HOG                                                                           \
	{                                                                                          \
		.name = "hog", .vcpus = 12, .workload = {.kind = SIM_WORKLOAD_HOG},                \
	}

static const struct sim_scenario sim_scenarios[] = {
    {
        .name = "lock",
        .description = "lock-intensive VM (gmake/exim-like) + CPU hog",
        .vm_count = 2,
        .vms =
            {
                {
                    .name = "lock",
                    .vcpus = 12,
                    .workload =
                        {
                            .kind = SIM_WORKLOAD_LOCK,
                            .user_mean_ns = 5 * US,
                            .kernel_ns = 1 * US,
                            .critical_min_ns = 300,
                            .critical_max_ns = 1500,
                            .lock_count = 8,
                            .sleep_per_10000 = 12,
                            .sleep_mean_ns = 500 * US,
                            .unlisted_percent = 0,
                        },
                },
                SIM_SCENARIO_HOG,
            },
    },
    {
        .name = "tlb",
        .description = "TLB-shootdown VM (dedup/vips-like) + CPU hog",
        .vm_count = 2,
        .vms =
            {
                {
                    .name = "tlb",
                    .vcpus = 12,
                    .workload =
                        {
                            .kind = SIM_WORKLOAD_TLB,
                            .user_mean_ns = 150 * US,
                            .kernel_ns = 3 * US,
                            .flush_handler_ns = 500,
                        },
                },
                SIM_SCENARIO_HOG,
            },
    },
    {
        .name = "io",
        .description = "mixed I/O+CPU vCPUs (iPerf+lookbusy-like) + CPU hog",
        .vm_count = 2,
        .vms =
            {
                {
                    .name = "io",
                    .vcpus = 12,
                    .workload =
                        {
                            .kind = SIM_WORKLOAD_IO,
                            .io_flows = 12,
                            .io_interarrival_ns = 200 * US,
                            .io_handler_ns = 6 * US,
                            .io_packet_ns = 1 * US,
                            .io_mixed_receivers = 1,
                        },
                },
                SIM_SCENARIO_HOG,
            },
    },
    {
        .name = "cpu",
        .description = "CPU-bound user-only VM (SPEC-like) + CPU hog",
        .vm_count = 2,
        .vms =
            {
                {
                    .name = "compute",
                    .vcpus = 12,
                    .workload = {.kind = SIM_WORKLOAD_COMPUTE},
                },
                SIM_SCENARIO_HOG,
            },
    },
};

int sim_scenario_count(void)
{
	return (int)(sizeof(sim_scenarios) / sizeof(sim_scenarios[0]));
}

const struct sim_scenario *sim_scenario_at(int index)
{
	if (index < 0 || index >= sim_scenario_count())
		return NULL;
	return &sim_scenarios[index];
}

const struct sim_scenario *sim_scenario_find(const char *name)
{
	int i;

	for (i = 0; i < sim_scenario_count(); i++)
		if (strcmp(sim_scenarios[i].name, name) == 0)
			return &sim_scenarios[i];
	return NULL;
}

const char *sim_workload_name(enum sim_workload kind)
{
	static const char *const names[SIM_WORKLOAD_COUNT] = {
	    [SIM_WORKLOAD_LOCK] = "lock",       [SIM_WORKLOAD_TLB] = "tlb",
	    [SIM_WORKLOAD_IO] = "io",           [SIM_WORKLOAD_HOG] = "hog",
	    [SIM_WORKLOAD_COMPUTE] = "compute",
	};

	if ((int)kind < 0 || kind >= SIM_WORKLOAD_COUNT)
		return "?";
	return names[kind];
}

/* The defaults of the command line (docs/schedsim.md, "Assumptions"). */
void sim_options_default(struct sim_options *options)
{
	memset(options, 0, sizeof(*options));
	options->pcpus = 12;
	options->duration_ns = 2000ull * 1000 * 1000;
	options->seed = 1;
	options->ple_window_cycles = 4096;
	options->cpu_mhz = 2400;
	options->exit_cost_ns = 1000;
	options->switch_cost_ns = 3000;
	options->compute_chunk_ns = 100 * 1000;
	options->micro_limit = 4;
	options->online_spread_ns = 30ull * 1000 * 1000;
}
