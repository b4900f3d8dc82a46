/*
 * vmx/pools.h - the boot-time cpupool configuration: the `pools.cfg` boot
 * module (docs/scheduler.md, "Cpupools at boot").
 *
 * Grammar (per line, the VM configuration's `key = value` style): blank,
 * `# comment`, or `key = value` with an optional trailing comment. Values
 * are quoted strings, unsigned decimal numbers, bare words (yes/no) or a
 * list of quoted strings `["6-8", "10"]` (cpus only).
 *
 *   numa_split = yes    before any pool: one pool per CPU package beyond
 *                       the boot CPU's (xl cpupool-numa-split): package
 *                       n > 0 becomes "Pool-node<n>"; Pool-0 keeps
 *                       package 0
 *   pool = "NAME"       starts a pool section; the keys after it are its:
 *     cpus = "6-11"     its pCPUs ("6-11", "6,7,9", "6-8,10", or a list);
 *                       required, except for a numa_split pool
 *     sched = "credit"  its policy (sched_policy_parse(); default: the
 *                       hypervisor's sched=)
 *     tslice_ms, tick_ms, account_ms, ratelimit_us, micro_slice_us,
 *     micro_limit, profile_ms, epoch_ms
 *                       its parameters (default: the hypervisor's
 *                       sched_*= values, i.e. Pool-0's)
 *
 * Pool-0 keeps pCPU 0 and every pCPU no other pool names; its policy and
 * parameters come from the hypervisor command line, so a "Pool-0" section
 * is refused. Errors are "FILE:LINE: reason". The whole configuration is
 * checked (pCPUs that exist, named once, never pCPU 0; a pool slot for
 * every pool and micro child; micro-static:N below the pool's pCPUs)
 * before anything is created: pools_config_plan() returns the pools to
 * create, vmx/cpupools.c creates them.
 *
 * Hardware independent (kernel/string.h only): compiled into host tests.
 * Lock order: none.
 */
#ifndef VMX_POOLS_H
#define VMX_POOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/sched.h"

#define POOLS_MODULE_NAME  "pools.cfg"
#define POOLS_NUMA_PREFIX  "Pool-node"
#define POOLS_MAX_SECTIONS SCHED_MAX_POOLS

/* Per-pool parameters, by their configuration (and xl) names. */
enum pools_param {
	POOLS_PARAM_TSLICE_MS,
	POOLS_PARAM_TICK_MS,
	POOLS_PARAM_ACCOUNT_MS,
	POOLS_PARAM_RATELIMIT_US,
	POOLS_PARAM_MICRO_SLICE_US,
	POOLS_PARAM_MICRO_LIMIT,
	POOLS_PARAM_PROFILE_MS,
	POOLS_PARAM_EPOCH_MS,
	POOLS_PARAM_COUNT
};

struct pools_section {
	char name[SCHED_NAME_MAX];
	unsigned line;
	bool has_cpus;
	uint64_t cpus;
	unsigned cpus_line;
	char sched[SCHED_NAME_MAX]; /* "" = the hypervisor's sched= */
	unsigned sched_line;
	uint64_t params[POOLS_PARAM_COUNT];
	uint32_t params_set; /* bit per enum pools_param */
	unsigned param_lines[POOLS_PARAM_COUNT];
};

struct pools_config {
	bool numa_split;
	unsigned numa_line;
	unsigned count;
	struct pools_section sections[POOLS_MAX_SECTIONS];
};

/* One pool to create. */
struct pools_plan_pool {
	char name[SCHED_NAME_MAX];
	struct sched_policy policy;
	struct sched_params params;
	uint64_t cpus;
};

struct pools_plan {
	unsigned count;
	struct pools_plan_pool pools[SCHED_MAX_POOLS];
};

/* pCPUs in `mask` (no libgcc popcount in the freestanding image). */
static inline unsigned pools_count_cpus(uint64_t mask)
{
	unsigned count = 0;
	for (; mask; mask &= mask - 1)
		count++;
	return count;
}

/* The parameter's name ("tslice_ms"), or NULL. */
const char *pools_param_name(enum pools_param param);
/* The parameter called `name`, or -1. */
int pools_param_find(const char *name);
/* Set one parameter in `params`; -1 with the reason (0, or out of range). */
int pools_param_apply(struct sched_params *params, enum pools_param param, uint64_t value,
                      char *why, size_t why_size);

/* Parse `length` bytes of `text` (file `file`). 0, or -1 with
 * "FILE:LINE: reason" in `error`. */
int pools_config_parse(struct pools_config *config, const char *file, const char *text,
                       size_t length, char *error, size_t error_size);

/*
 * Check `config` against the machine and turn it into pools to create:
 * package[n] is pCPU n's CPU package (n < pcpu_count), base_policy and
 * base_params are Pool-0's. 0, or -1 with "FILE:LINE: reason".
 */
int pools_config_plan(const struct pools_config *config, const char *file,
                      const struct sched_policy *base_policy,
                      const struct sched_params *base_params, const uint32_t *package,
                      unsigned pcpu_count, struct pools_plan *plan, char *error, size_t error_size);

#endif /* VMX_POOLS_H */
