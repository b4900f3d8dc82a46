/*
 * vmx/cpulist.h - pCPU lists in xl's syntax, one parser for every place
 * that takes one: pools.cfg's `cpus` (vmx/pools.c), a VM's `cpus` key
 * (vmx/config.c) and the console's `xl vcpu-pin` and `xl cpupool-create`
 * (vmx/xl_command.c).
 *
 * cpulist_parse(): "3", "6-11", "0,2-3" or "all" (every pCPU below
 * pcpu_count, at most SCHED_MAX_PCPUS) into a bit mask of pCPUs; every
 * pCPU must be below pcpu_count. -1 with the reason in `why` for anything
 * else: empty, a trailing ',', a range that runs backwards, junk.
 *
 * Hardware independent: compiled into the host tests.
 * Lock order: none.
 */
#ifndef VMX_CPULIST_H
#define VMX_CPULIST_H

#include <stddef.h>
#include <stdint.h>

int cpulist_parse(const char *text, unsigned pcpu_count, uint64_t *mask, char *why,
                  size_t why_size);

#endif /* VMX_CPULIST_H */
