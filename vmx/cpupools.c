/*
 * vmx/cpupools.c - cpupools at boot (pools.cfg) and at run time (the xl
 * console's pool, pin, cap and pause operations); see cpupools.h.
 *
 * Every run-time operation checks its arguments against the scheduler's
 * state first and answers with the reason when it refuses, so that a
 * refused command changes nothing; sched/ checks again under its lock
 * (the console is the only caller that changes pools at run time, from
 * the boot CPU's timer, so the state checked cannot change in between,
 * except for the micro-sliced child pools the adaptive controller resizes:
 * sched/ refuses what would break them).
 *
 * Moving a pCPU: cpupool-cpu-remove takes it out of its pool at once
 * (sched_pool_remove_pcpu(): its queued vCPUs go to the pool's other
 * pCPUs, the vCPU it runs is kicked and requeued in its own pool at the
 * pCPU's next decision, the pCPU then idles, free); cpupool-cpu-add gives
 * a free pCPU to a pool, which it serves from its next decision. So a
 * pCPU changes pools only between two of its scheduling decisions.
 *
 * Lock order: the scheduler lock inside sched_* calls only.
 */
#include "vmx/cpupools.h"

#include "arch/x86/cpu.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "vmx/pools.h"
#include "vmx/schedule.h"

#define CPUPOOLS_LEAF_TOPOLOGY     0xbu
#define CPUPOOLS_LEAF_FEATURES     0x1u
#define CPUPOOLS_TOPOLOGY_MAX      8u /* sub-leaves of leaf 0xB tried */
#define CPUPOOLS_SHIFT_MASK        0x1fu
#define CPUPOOLS_LEVEL_TYPE(ecx)   (((ecx) >> 8) & 0xffu)
#define CPUPOOLS_LOGICAL(ebx)      (((ebx) >> 16) & 0xffu)
#define CPUPOOLS_LEVEL_COUNT(ebx)  ((ebx)&0xffffu) /* leaf 0xB: CPUs at the level */
#define CPUPOOLS_ONE_PACKAGE_SHIFT 31u
#define CPUPOOLS_LIST_SIZE         200
#define CPUPOOLS_REASON_SIZE       256 /* one refusal of a pin */
#define CPUPOOLS_NS_PER_US         1000ull

/* Logical CPUs per package (leaf 0xB's last level), 0 = unknown. */
static unsigned cpupools_per_package;

/* Bits of the APIC ID below the package ID. */
static unsigned cpupools_package_shift(void)
{
	static unsigned shift = UINT32_MAX;
	if (shift != UINT32_MAX)
		return shift;
	struct arch_cpuid max = arch_cpuid(0, 0);
	shift = CPUPOOLS_ONE_PACKAGE_SHIFT;
	if (max.eax >= CPUPOOLS_LEAF_TOPOLOGY && arch_cpuid(CPUPOOLS_LEAF_TOPOLOGY, 0).ebx) {
		/* The last level (core) gives the shift to the package ID. */
		for (uint32_t sub = 0; sub < CPUPOOLS_TOPOLOGY_MAX; sub++) {
			struct arch_cpuid level = arch_cpuid(CPUPOOLS_LEAF_TOPOLOGY, sub);
			if (CPUPOOLS_LEVEL_TYPE(level.ecx) == 0)
				break;
			shift = level.eax & CPUPOOLS_SHIFT_MASK;
			cpupools_per_package = CPUPOOLS_LEVEL_COUNT(level.ebx);
		}
	} else if (max.eax >= CPUPOOLS_LEAF_FEATURES) {
		uint32_t logical = CPUPOOLS_LOGICAL(arch_cpuid(CPUPOOLS_LEAF_FEATURES, 0).ebx);
		shift = 0;
		while (logical > 1u << shift)
			shift++;
	}
	return shift;
}

/* Are the APIC IDs 0..n-1 (no gaps between packages)? */
static bool cpupools_dense_apic_ids(void)
{
	for (uint32_t n = 0; n < percpu_cpu_count && n < PERCPU_MAX_CPUS; n++)
		if (percpu_cpus[n].online && percpu_cpus[n].apic_id >= percpu_cpu_count)
			return false;
	return true;
}

uint32_t vmx_cpupools_package(unsigned pcpu)
{
	unsigned shift = cpupools_package_shift();
	if (pcpu >= PERCPU_MAX_CPUS)
		return 0;
	uint32_t apic_id = percpu_cpus[pcpu].apic_id;
	/* Hardware leaves a gap up to the next power of two between packages
	 * of, say, 6 cores (IDs 0-5, 8-13), and then the shift is right. Bochs
	 * numbers its CPUs 0..n-1 but reports the same shift: with dense IDs,
	 * a package is every per_package consecutive IDs. */
	if (cpupools_per_package && (1u << shift) != cpupools_per_package &&
	    cpupools_dense_apic_ids())
		return apic_id / cpupools_per_package;
	return apic_id >> shift;
}

/* "6-11" style list of the pCPUs of `mask`. */
static void cpupools_list(uint64_t mask, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (unsigned n = 0; n < SCHED_MAX_PCPUS && used < size; n++) {
		if (!((mask >> n) & 1))
			continue;
		unsigned last = n;
		while (last + 1 < SCHED_MAX_PCPUS && (mask >> (last + 1)) & 1)
			last++;
		used +=
		    (size_t)format_string(out + used, size - used, last > n ? "%s%u-%u" : "%s%u",
		                          used ? "," : "", n, last);
		n = last;
	}
	if (!used)
		string_copy(out, "-", size);
}

static void cpupools_announce(struct sched_system *sys, int id)
{
	const struct sched_pool *pool = &sys->pools[id];
	char cpus[CPUPOOLS_LIST_SIZE];
	cpupools_list(pool->pcpu_mask, cpus, sizeof(cpus));
	log_record("CPUPOOL name=%s id=%d policy=%s pcpus=%s slice_us=%llu tick_us=%llu "
	           "ratelimit_us=%llu micro_slice_us=%llu micro_limit=%u micro_pcpus=%u",
	           pool->name, id, pool->policy.name, cpus,
	           (unsigned long long)(pool->params.slice_ns / CPUPOOLS_NS_PER_US),
	           (unsigned long long)(pool->params.tick_ns / CPUPOOLS_NS_PER_US),
	           (unsigned long long)(pool->params.ratelimit_ns / CPUPOOLS_NS_PER_US),
	           (unsigned long long)(pool->params.micro_slice_ns / CPUPOOLS_NS_PER_US),
	           pool->params.micro_limit,
	           pool->micro_child >= 0 ? sys->pools[pool->micro_child].pcpu_count : 0);
}

/* Create one pool and give it the (free, or Pool-0's) pCPUs of `cpus`. */
static int cpupools_build(struct sched_system *sys, const char *name,
                          const struct sched_policy *policy, const struct sched_params *params,
                          uint64_t cpus, char *why, size_t why_size)
{
	int id = sched_pool_create(sys, name, policy, params);
	if (id < 0) {
		format_string(why, why_size, "cannot create pool %s (error %d)", name, id);
		return -1;
	}
	for (unsigned n = 0; n < SCHED_MAX_PCPUS; n++) {
		if (!((cpus >> n) & 1))
			continue;
		if (sys->pcpus[n].pool == 0 && sched_pool_remove_pcpu(sys, 0, n) != SCHED_OK) {
			format_string(why, why_size, "pCPU %u cannot leave Pool-0", n);
			return -1;
		}
		if (sched_pool_add_pcpu(sys, id, n) != SCHED_OK) {
			format_string(why, why_size, "pCPU %u is not free", n);
			return -1;
		}
	}
	if (policy->micro_mode == SCHED_MICRO_STATIC &&
	    sched_pool_set_micro_count(sys, id, policy->micro_count) != SCHED_OK) {
		format_string(why, why_size, "%s: cannot move %u pCPUs to the micro child",
		              policy->name, policy->micro_count);
		return -1;
	}
	cpupools_announce(sys, id);
	return 0;
}

int vmx_cpupools_setup(struct sched_system *sys, const struct boot_module *module,
                       const struct sched_policy *policy, const struct sched_params *params,
                       char *error, size_t error_size)
{
	static struct pools_config config;
	static struct pools_plan plan;
	uint32_t package[SCHED_MAX_PCPUS];
	char why[CPUPOOLS_LIST_SIZE];
	if (!module) {
		cpupools_announce(sys, 0);
		return 0;
	}
	for (unsigned n = 0; n < sys->pcpu_count; n++)
		package[n] = vmx_cpupools_package(n);
	if (pools_config_parse(&config, module->name, (const char *)(uintptr_t)module->base,
	                       module->length, error, error_size) ||
	    pools_config_plan(&config, module->name, policy, params, package, sys->pcpu_count,
	                      &plan, error, error_size))
		return -1;
	for (unsigned i = 0; i < plan.count; i++) {
		const struct pools_plan_pool *p = &plan.pools[i];
		if (cpupools_build(sys, p->name, &p->policy, &p->params, p->cpus, why,
		                   sizeof(why))) {
			format_string(error, error_size, "%s: %s", module->name, why);
			return -1;
		}
	}
	cpupools_announce(sys, 0); /* Pool-0 with what is left */
	return 0;
}

/* ---- run time ---- */

/* The normal pool called `name`, or -1 with the reason. */
static int cpupools_normal(struct sched_system *sys, const char *name, char *why, size_t size)
{
	int id = sched_pool_find(sys, name);
	if (id < 0)
		return format_failure(why, size, "no cpupool named '%s'", name);
	if (sys->pools[id].micro)
		return format_failure(why, size, "%s is a micro-sliced pool: its parent sizes it",
		                      name);
	return id;
}

static unsigned cpupools_free_slots(const struct sched_system *sys)
{
	unsigned free_slots = 0;
	for (unsigned i = 0; i < SCHED_MAX_POOLS; i++)
		free_slots += !sys->pools[i].in_use;
	return free_slots;
}

int vmx_cpupools_create(const char *name, const char *policy_name, const char *const *keys,
                        const uint64_t *values, unsigned count, char *why, size_t why_size)
{
	struct sched_system *sys = vmx_schedule_system();
	struct sched_policy policy = sys->policy;
	struct sched_params params = sys->params;
	uint64_t cpus = 0;
	if (sched_pool_find(sys, name) >= 0)
		return format_failure(why, why_size, "a cpupool named '%s' exists", name);
	if (policy_name && sched_policy_parse(policy_name, &policy, why, why_size) != 0)
		return -1;
	for (unsigned i = 0; i < count; i++) {
		if (strcmp(keys[i], "cpus") == 0) {
			cpus = values[i];
			continue;
		}
		int param = pools_param_find(keys[i]);
		if (param < 0)
			return format_failure(why, why_size, "unknown parameter %s", keys[i]);
		if (pools_param_apply(&params, (enum pools_param)param, values[i], why, why_size))
			return -1;
	}
	unsigned needed = 1 + (policy.micro_mode != SCHED_MICRO_NONE);
	if (cpupools_free_slots(sys) < needed)
		return format_failure(why, why_size,
		                      "no free cpupool slot (%u pools at most, "
		                      "micro-sliced children included)",
		                      SCHED_MAX_POOLS);
	for (unsigned n = 0; n < SCHED_MAX_PCPUS; n++)
		if ((cpus >> n) & 1 &&
		    (n >= sys->pcpu_count || sys->pcpus[n].pool != SCHED_NO_POOL))
			return format_failure(
			    why, why_size, "pCPU %u is not free (cpupool-cpu-remove it first)", n);
	if (policy.micro_mode == SCHED_MICRO_STATIC && policy.micro_count >= pools_count_cpus(cpus))
		return format_failure(why, why_size, "%s needs more than %u pCPUs (cpus=...)",
		                      policy.name, policy.micro_count);
	return cpupools_build(sys, name, &policy, &params, cpus, why, why_size);
}

int vmx_cpupools_destroy(const char *name, char *why, size_t why_size)
{
	struct sched_system *sys = vmx_schedule_system();
	int id = cpupools_normal(sys, name, why, why_size);
	if (id < 0)
		return -1;
	if (id == 0)
		return format_failure(why, why_size, "Pool-0 cannot be destroyed");
	if (sys->pools[id].vm_count)
		return format_failure(why, why_size, "%s has %u VMs (cpupool-migrate them first)",
		                      name, sys->pools[id].vm_count);
	if (sched_pool_destroy(sys, id) != SCHED_OK)
		return format_failure(why, why_size, "the scheduler refused");
	return 0;
}

int vmx_cpupools_cpu_add(const char *name, unsigned pcpu, char *why, size_t why_size)
{
	struct sched_system *sys = vmx_schedule_system();
	int id = cpupools_normal(sys, name, why, why_size);
	if (id < 0)
		return -1;
	if (pcpu >= sys->pcpu_count)
		return format_failure(why, why_size, "pCPU %u does not exist (pCPUs 0-%u)", pcpu,
		                      sys->pcpu_count - 1);
	if (sys->pcpus[pcpu].pool != SCHED_NO_POOL)
		return format_failure(why, why_size,
		                      "pCPU %u is in %s (cpupool-cpu-remove it first)", pcpu,
		                      sys->pools[sys->pcpus[pcpu].pool].name);
	if (sched_pool_add_pcpu(sys, id, pcpu) != SCHED_OK)
		return format_failure(why, why_size, "the scheduler refused");
	return 0;
}

int vmx_cpupools_cpu_remove(const char *name, unsigned pcpu, char *why, size_t why_size)
{
	struct sched_system *sys = vmx_schedule_system();
	int id = cpupools_normal(sys, name, why, why_size);
	if (id < 0)
		return -1;
	const struct sched_pool *pool = &sys->pools[id];
	if (pcpu >= SCHED_MAX_PCPUS || !((pool->pcpu_mask >> pcpu) & 1)) {
		if (pcpu < sys->pcpu_count && pool->micro_child >= 0 &&
		    (sys->pools[pool->micro_child].pcpu_mask >> pcpu) & 1)
			return format_failure(
			    why, why_size, "pCPU %u is in %s's micro-sliced child now", pcpu, name);
		return format_failure(why, why_size, "pCPU %u is not in %s", pcpu, name);
	}
	if (pcpu == 0)
		return format_failure(why, why_size, "pCPU 0 stays in Pool-0");
	if (pool->pcpu_count == 1 && pool->vm_count)
		return format_failure(why, why_size, "pCPU %u is the last of %s, which has %u VMs",
		                      pcpu, name, pool->vm_count);
	if (pool->policy.micro_mode == SCHED_MICRO_STATIC &&
	    pool->pcpu_count + sys->pools[pool->micro_child].pcpu_count <=
	        pool->policy.micro_count + 1)
		return format_failure(why, why_size, "%s keeps more than %u pCPUs",
		                      pool->policy.name, pool->policy.micro_count);
	int result = sched_pool_remove_pcpu(sys, id, pcpu);
	if (result == SCHED_ERR_BUSY)
		return format_failure(
		    why, why_size, "a vCPU is pinned to pCPU %u only (xl vcpu-pin it first)", pcpu);
	if (result != SCHED_OK)
		return format_failure(why, why_size, "the scheduler refused (error %d)", result);
	return 0;
}

int vmx_cpupools_migrate(struct sched_vm *vm, const char *name, char *why, size_t why_size)
{
	struct sched_system *sys = vmx_schedule_system();
	int id = cpupools_normal(sys, name, why, why_size);
	if (id < 0)
		return -1;
	const struct sched_pool *pool = &sys->pools[id];
	if (vm->pool == id)
		return 0;
	if (!pool->pcpu_count)
		return format_failure(why, why_size, "%s has no pCPU", name);
	if (!sched_policy_time_shares(&pool->policy)) {
		unsigned vcpus = vm->vcpu_count;
		for (unsigned i = 0; i < SCHED_MAX_VMS; i++)
			if (sys->vms[i].in_use && sys->vms[i].pool == id)
				vcpus += sys->vms[i].vcpu_count;
		if (vcpus > pool->pcpu_count)
			return format_failure(why, why_size,
			                      "%u vCPUs do not fit the %u pCPUs of %s under %s",
			                      vcpus, pool->pcpu_count, name, pool->policy.name);
	}
	int result = sched_vm_move(vm, id);
	if (result != SCHED_OK)
		return format_failure(why, why_size, "the scheduler refused (error %d)", result);
	return 0;
}

/* Why pool `pool_id` cannot take the pin `mask`, or 0 if it can: a pin
 * names pCPUs that exist, of the pool or of its micro-sliced child, at
 * least one of the pool's own (sched/control.c). */
static int cpupools_pin_refusal(const struct sched_system *sys, int pool_id, uint64_t mask,
                                char *why, size_t why_size)
{
	const struct sched_pool *pool = &sys->pools[pool_id];
	if (mask == SCHED_AFFINITY_ALL)
		return 0;
	uint64_t beyond = sys->pcpu_count >= SCHED_MAX_PCPUS ? 0 : mask >> sys->pcpu_count;
	if (beyond)
		return format_failure(why, why_size, "pCPU %u does not exist (the machine has %u)",
		                      sys->pcpu_count + (unsigned)__builtin_ctzll(beyond),
		                      sys->pcpu_count);
	if (!sched_policy_time_shares(&pool->policy))
		return format_failure(why, why_size, "%s places vCPUs itself: no pins",
		                      pool->policy.name);
	uint64_t allowed = pool->pcpu_mask;
	if (pool->micro_child >= 0)
		allowed |= sys->pools[pool->micro_child].pcpu_mask;
	if ((mask & ~allowed) || !(mask & pool->pcpu_mask)) {
		char cpus[CPUPOOLS_LIST_SIZE];
		cpupools_list(pool->pcpu_mask, cpus, sizeof(cpus));
		return format_failure(why, why_size,
		                      "the pin is outside the vCPU's cpupool %s (pCPUs %s)",
		                      pool->name, cpus);
	}
	return 0;
}

int vmx_cpupools_pin(struct sched_vcpu *vcpu, uint64_t mask, char *why, size_t why_size)
{
	if (cpupools_pin_refusal(vmx_schedule_system(), vcpu->vm->pool, mask, why, why_size))
		return -1;
	if (sched_vcpu_set_affinity(vcpu, mask) != SCHED_OK)
		return format_failure(why, why_size, "the scheduler refused");
	return 0;
}

int vmx_cpupools_pins_check(int pool, const uint64_t *masks, unsigned count, char *why,
                            size_t why_size)
{
	char reason[CPUPOOLS_REASON_SIZE];
	for (unsigned v = 0; v < count; v++)
		if (cpupools_pin_refusal(vmx_schedule_system(), pool, masks[v], reason,
		                         sizeof(reason)))
			return format_failure(why, why_size, "vCPU %u: %s", v, reason);
	return 0;
}
