/*
 * kernel/sched_env.h - the hypervisor's side of sched/env.h: time from the
 * TSC, the scheduler lock as an interrupt-safe spinlock, kicks as
 * reschedule IPIs, and per-pCPU trace rings stamped with the TSC.
 *
 * Lock order: the scheduler lock (struct sched_env_lock) is taken with
 * interrupts off; while it is held only leaf locks may be taken (the log
 * lock when tracing to the console is on). Trace rings have no lock: each
 * is written only by its own pCPU and read when the run is over.
 */
#ifndef KERNEL_SCHED_ENV_H
#define KERNEL_SCHED_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lock.h"

struct sched_env_lock {
	struct spinlock lock;
	uint64_t saved_flags; /* interrupt state of the holder */
};

#define SCHED_ENV_INIT_LOCK                                                                        \
	{                                                                                          \
		SPINLOCK_INIT, 0                                                                   \
	}

/* Allocate a trace ring of `records_per_cpu` (power of two) per CPU. */
int sched_env_trace_init(uint32_t cpus, uint64_t records_per_cpu);
/* Print every ring's records as TRACE lines, oldest first; then the totals. */
void sched_env_trace_dump(void);
/* sched_trace=ctl: the dump keeps only the controller's records (pool_resize,
 * counters, pool_pcpu, progress_*), a few hundred lines instead of every ring. */
extern bool sched_env_trace_controller_only;
/* True if a kick asked this pCPU to reschedule; clears the request. */
bool sched_env_take_kick(void);

#endif /* KERNEL_SCHED_ENV_H */
