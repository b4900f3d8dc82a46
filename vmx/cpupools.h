/*
 * vmx/cpupools.h - cpupools in the hypervisor: the pools of the pools.cfg
 * boot module created at boot (vmx/pools.h parses and plans them), the CPU
 * package of each pCPU (for numa_split), and the run-time pool and VM
 * operations of the xl console (cpupool-create/-destroy/-cpu-add/
 * -cpu-remove/-migrate, vcpu-pin, sched-credit, pause) on the scheduler
 * system of vmx/schedule.c, each checked before it changes anything.
 *
 * Lock order: the scheduler lock, inside sched_* calls and the snapshots
 * (never with a VM lock held).
 */
#ifndef VMX_CPUPOOLS_H
#define VMX_CPUPOOLS_H

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"
#include "sched/sched.h"

/* Create the pools of `module` (pools.cfg; NULL = none) in `sys`, whose
 * Pool-0 runs `policy` with `params`: one CPUPOOL line per pool. Returns
 * 0, or -1 with "pools.cfg:LINE: reason" in `error`. */
int vmx_cpupools_setup(struct sched_system *sys, const struct boot_module *module,
                       const struct sched_policy *policy, const struct sched_params *params,
                       char *error, size_t error_size);

/* The CPU package of online pCPU `pcpu` (APIC ID >> the CPUID leaf 0xB
 * package shift; leaf 1 as a fallback). */
uint32_t vmx_cpupools_package(unsigned pcpu);

/* ---- run-time operations (xl console): 0, or -1 with the reason ---- */

int vmx_cpupools_create(const char *name, const char *policy, const char *const *keys,
                        const uint64_t *values, unsigned count, char *why, size_t why_size);
int vmx_cpupools_destroy(const char *name, char *why, size_t why_size);
int vmx_cpupools_cpu_add(const char *pool, unsigned pcpu, char *why, size_t why_size);
int vmx_cpupools_cpu_remove(const char *pool, unsigned pcpu, char *why, size_t why_size);
int vmx_cpupools_migrate(struct sched_vm *vm, const char *pool, char *why, size_t why_size);
int vmx_cpupools_pin(struct sched_vcpu *vcpu, uint64_t mask, char *why, size_t why_size);
/* The pins of a VM's `cpus` key (masks[v]: vCPU v, SCHED_AFFINITY_ALL =
 * none) before its vCPUs are created in pool `pool`: 0, or -1 with
 * "vCPU V: reason" (the same rules as vmx_cpupools_pin(), plus pCPUs
 * that do not exist). vmx_cpupools_pin() then applies each. */
int vmx_cpupools_pins_check(int pool, const uint64_t *masks, unsigned count, char *why,
                            size_t why_size);

#endif /* VMX_CPUPOOLS_H */
