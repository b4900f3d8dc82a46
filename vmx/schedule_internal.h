/*
 * vmx/schedule_internal.h - the state the scheduling loop (vmx/schedule.c)
 * shares with its reports and views (vmx/schedule_report.c). Not a public
 * header: only those two files include it; everyone else uses
 * vmx/schedule.h.
 *
 * Invariants: `system` and `classifiers` are written by vmx_schedule_setup()
 * before any loop runs; while loops run, the scheduler's state is read only
 * under `lock` (or after every loop has stopped: the end-of-run report);
 * `pcpu_stats[cpu]` is written by pCPU cpu's loop only.
 *
 * Lock order: `lock` is the scheduler lock (sched/env.h), a leaf here.
 */
#ifndef VMX_SCHEDULE_INTERNAL_H
#define VMX_SCHEDULE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/percpu.h"
#include "kernel/sched_env.h"
#include "sched/sched.h"
#include "vmx/classifier.h"
#include "vmx/schedule.h"

struct vm;

struct vmx_schedule_shared {
	struct sched_system system;
	struct sched_env_lock lock;
	struct vm *const *vms; /* the VMs vmx_schedule_setup() got */
	uint32_t vm_count;
	struct vmx_classifier classifiers[SCHED_MAX_VMS]; /* by scheduler VM id */
	/* Per-pCPU figures of the loop (console `xl pcpu-list`, SCHEDPCPU). */
	struct vmx_schedule_pcpu_view pcpu_stats[PERCPU_MAX_CPUS];
	uint64_t started_tsc, finished_tsc; /* vmx_schedule_run()'s TSC span */
	bool trace_dump;                    /* dump the trace rings at the end */
};

extern struct vmx_schedule_shared vmx_schedule_shared;

/* Room for a guest RIP as "symbol+0xoffset" in a log line. */
#define VMX_SCHEDULE_RIP_TEXT_SIZE 96

/* One VCPUSTUCK line per vCPU of `vm` (docs/output.md): where each one is
 * in the scheduler and in its vLAPIC, for a VM the watchdog stops while it
 * still runs (any pCPU; takes the scheduler lock per vCPU; the vLAPIC
 * fields are read without the owner's consent: a snapshot, not a
 * consistent view). */
void vmx_schedule_report_stuck(const struct vm *vm);

#endif /* VMX_SCHEDULE_INTERNAL_H */
