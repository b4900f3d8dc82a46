/*
 * tools/sim/main.c - command line of schedsim (run through tools/schedsim).
 *
 *   schedsim --scenario NAME|all [--policy NAME|all] [--duration-ms N]
 *            [--seed N] [--trace FILE] [--pcpus N] [--micro-limit N]
 *            [--epoch-ms N] [--profile-ms N] [--ple-window CYCLES]
 *            [--yield-profile N] [--param KEY=V]... [--list]
 *
 * Runs every requested scenario under every requested policy, printing one
 * RESULT line per run as soon as it finishes and, per scenario run under
 * more than one policy, a SUMMARY line comparing them with "credit".
 * --yield-profile N prints each VM's yield profile (the hypervisor's
 * PROFILE, YIELDPROFILE, PREEMPTPROFILE, PROFILECANDIDATE lines, N per
 * ranking) before the run's RESULT line. --param KEY=V sets a scheduler
 * mechanism parameter (docs/mechanisms.md: micro_batch, micro_queue_depth,
 * protect_initiator, micro_early_return), as sched_KEY=V does on the
 * hypervisor command line; repeatable.
 *
 * Lock order: none (single-threaded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched.h"
#include "tools/sim/report.h"
#include "tools/sim/sim.h"

static void sim_main_usage(FILE *out)
{
	fprintf(out, "usage: schedsim --scenario NAME|all [--policy NAME|all]\n"
	             "                [--duration-ms N] [--seed N] [--trace FILE]\n"
	             "                [--pcpus N] [--micro-limit N]\n"
	             "                [--epoch-ms N] [--profile-ms N]\n"
	             "                [--ple-window CYCLES] [--yield-profile N]\n"
	             "                [--param KEY=V]... [--list]\n");
}

static void sim_main_list(int micro_limit)
{
	char name[32];
	int i;

	printf("scenarios:\n");
	for (i = 0; i < sim_scenario_count(); i++)
		printf("  %-6s %s\n", sim_scenario_at(i)->name, sim_scenario_at(i)->description);
	printf("policies:\n");
	for (i = 0; sim_policy_name(i, micro_limit, name, sizeof(name)); i++)
		printf("  %s\n", name);
}

static int sim_main_number(const char *text, const char *option, unsigned long long minimum,
                           unsigned long long maximum, unsigned long long *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 0);
	if (errno || end == text || *end != '\0' || *value < minimum || *value > maximum) {
		fprintf(stderr,
		        "schedsim: %s wants a number in %llu..%llu, "
		        "got \"%s\"\n",
		        option, minimum, maximum, text);
		return -1;
	}
	return 0;
}

/* --param KEY=V: a mechanism parameter, range-checked by the scheduler. */
static int sim_main_param(const char *text, struct sim_options *options)
{
	char key[64], error[128];
	const char *equals = strchr(text, '=');
	unsigned long long value;
	struct sched_params check;
	int index;

	if (!equals || (size_t)(equals - text) >= sizeof(key)) {
		fprintf(stderr, "schedsim: --param wants KEY=VALUE, got \"%s\"\n", text);
		return -1;
	}
	memcpy(key, text, (size_t)(equals - text));
	key[equals - text] = '\0';
	index = sched_mechanism_find(key);
	if (index < 0) {
		fprintf(stderr,
		        "schedsim: --param: no parameter \"%s\" (micro_batch, "
		        "micro_queue_depth, protect_initiator, micro_early_return)\n",
		        key);
		return -1;
	}
	if (sim_main_number(equals + 1, "--param", 0, ~0ull, &value))
		return -1;
	sched_params_default(&check);
	if (sched_mechanism_set(&check, (unsigned)index, value, error, sizeof(error)) != 0) {
		fprintf(stderr, "schedsim: --param %s\n", error);
		return -1;
	}
	options->param_set |= 1u << index;
	options->param_value[index] = value;
	return 0;
}

/* Run one scenario under the policies; prints RESULT and SUMMARY lines. */
static int sim_main_scenario(const struct sim_scenario *scenario, const char *policy,
                             const struct sim_options *options)
{
	struct sim_result results[SIM_MAX_PCPUS + 5];
	char name[32];
	char line[2048];
	int count = 0, i;

	for (i = 0; sim_policy_name(i, options->micro_limit, name, sizeof(name)); i++) {
		if (strcmp(policy, "all") != 0) {
			if (count > 0)
				break;
			snprintf(name, sizeof(name), "%s", policy);
		}
		if (sim_run(scenario, name, options, &results[count]) != 0)
			return -1;
		sim_report_result(&results[count], line, sizeof(line));
		printf("%s\n", line);
		fflush(stdout);
		count++;
	}
	if (count > 1 && sim_report_summary(results, count, line, sizeof(line)) == 0) {
		printf("%s\n", line);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sim_options options;
	const char *scenario_name = NULL;
	const char *policy = "all";
	const char *trace_path = NULL;
	int list = 0, i, status = 0;

	sim_options_default(&options);
	for (i = 1; i < argc; i++) {
		const char *option = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long number;

		if (strcmp(option, "--list") == 0) {
			list = 1;
			continue;
		}
		if (strcmp(option, "--help") == 0 || strcmp(option, "-h") == 0) {
			sim_main_usage(stdout);
			return 0;
		}
		if (!value) {
			sim_main_usage(stderr);
			return 2;
		}
		i++;
		if (strcmp(option, "--scenario") == 0) {
			scenario_name = value;
		} else if (strcmp(option, "--policy") == 0) {
			policy = value;
		} else if (strcmp(option, "--trace") == 0) {
			trace_path = value;
		} else if (strcmp(option, "--duration-ms") == 0) {
			if (sim_main_number(value, option, 1, 3600000, &number))
				return 2;
			options.duration_ns = number * 1000 * 1000;
		} else if (strcmp(option, "--seed") == 0) {
			if (sim_main_number(value, option, 0, ~0ull, &number))
				return 2;
			options.seed = number;
		} else if (strcmp(option, "--pcpus") == 0) {
			if (sim_main_number(value, option, 2, SIM_MAX_PCPUS, &number))
				return 2;
			options.pcpus = (int)number;
		} else if (strcmp(option, "--micro-limit") == 0) {
			if (sim_main_number(value, option, 1, 16, &number))
				return 2;
			options.micro_limit = (int)number;
		} else if (strcmp(option, "--epoch-ms") == 0) {
			if (sim_main_number(value, option, 1, 3600000, &number))
				return 2;
			options.epoch_ns = number * 1000 * 1000;
		} else if (strcmp(option, "--profile-ms") == 0) {
			if (sim_main_number(value, option, 1, 3600000, &number))
				return 2;
			options.profile_ns = number * 1000 * 1000;
		} else if (strcmp(option, "--yield-profile") == 0) {
			if (sim_main_number(value, option, 0, 100, &number))
				return 2;
			options.yield_profile_top = (int)number;
		} else if (strcmp(option, "--param") == 0) {
			if (sim_main_param(value, &options))
				return 2;
		} else if (strcmp(option, "--ple-window") == 0) {
			if (sim_main_number(value, option, 1, 1u << 30, &number))
				return 2;
			options.ple_window_cycles = number;
		} else {
			fprintf(stderr, "schedsim: unknown option %s\n", option);
			sim_main_usage(stderr);
			return 2;
		}
	}
	if (options.micro_limit >= options.pcpus)
		options.micro_limit = options.pcpus - 1;
	if (list) {
		sim_main_list(options.micro_limit);
		return 0;
	}
	if (!scenario_name) {
		sim_main_usage(stderr);
		return 2;
	}
	if (strcmp(scenario_name, "all") != 0 && !sim_scenario_find(scenario_name)) {
		fprintf(stderr, "schedsim: no scenario \"%s\" (try --list)\n", scenario_name);
		return 2;
	}
	if (trace_path) {
		options.trace = fopen(trace_path, "w");
		if (!options.trace) {
			fprintf(stderr, "schedsim: %s: %s\n", trace_path, strerror(errno));
			return 2;
		}
	}
	for (i = 0; i < sim_scenario_count() && status == 0; i++) {
		const struct sim_scenario *scenario = sim_scenario_at(i);

		if (strcmp(scenario_name, "all") != 0 && strcmp(scenario_name, scenario->name) != 0)
			continue;
		if (sim_main_scenario(scenario, policy, &options) != 0)
			status = 2;
	}
	if (options.trace)
		fclose(options.trace);
	return status;
}
