/*
 * sched/category.h - the critical-service categories a guest RIP falls in.
 *
 * Shared vocabulary between the classifier (sched/symbols.c, sched/rules.c), the offload
 * decisions (sched/offload.c) and the trace. Values are stable: they appear
 * in trace records and counters.
 *
 * Lock order: none (plain data).
 */
#ifndef SCHED_CATEGORY_H
#define SCHED_CATEGORY_H

enum sched_category {
	SCHED_CATEGORY_NONE = 0,  /* not a critical kernel function       */
	SCHED_CATEGORY_LOCK_SPIN, /* yielder waits for a lock              */
	SCHED_CATEGORY_IPI_WAIT,  /* yielder waits for IPI acknowledgement */
	SCHED_CATEGORY_CRITICAL,  /* preempted inside a critical section   */
	SCHED_CATEGORY_HALT,      /* yielder is idle                       */
	SCHED_CATEGORY_COUNT
};

#endif /* SCHED_CATEGORY_H */
