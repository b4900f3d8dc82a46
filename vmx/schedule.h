/*
 * vmx/schedule.h - running vCPUs on pCPUs with the uslice scheduler.
 *
 * vmx_schedule_setup() builds the scheduler (sched/) for the configured
 * policy and parameters (hypervisor command line, see docs/vmx.md), one
 * scheduler VM per VM with its credit weight, its cpupool and a classifier
 * made from its System.map and rules. vmx_schedule_run() then runs the
 * same loop on every online pCPU until every VM has finished:
 *
 *   decision = sched_schedule(pcpu, rip and CPL of the vCPU that ran)
 *   VMCLEAR the previous vCPU if another one runs next (any pCPU may load
 *   it then), VMPTRLD the next one (waiting until its old pCPU cleared it)
 *   run it with the VMX-preemption timer set to decision.until;
 *   HLT -> sched_vcpu_block, PAUSE-loop exit -> sched_vcpu_yield (live RIP),
 *   kick -> re-pick; idle pCPUs halt until their next deadline or a kick.
 *
 * The boot CPU prints the scheduler's counters and the per-vCPU figures
 * (SCHED... lines, docs/output.md) and dumps the trace rings at the end.
 *
 * Lock order: the scheduler lock (kernel/sched_env.c) is taken inside
 * sched_* calls only; no VM lock is held across them.
 */
#ifndef VMX_SCHEDULE_H
#define VMX_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cmdline.h"
#include "sched/sched.h" /* SCHED_MAX_PCPUS */

struct vm;
struct vcpu;

/* The hypervisor options the scheduler reads (NULL-terminated). */
extern const char *const vmx_schedule_options[];

/* The pools.cfg boot module (vmx/pools.h), before vmx_schedule_setup(). */
struct boot_module;
void vmx_schedule_set_pools(const struct boot_module *module);
/* The scheduler system (the console's run-time pool operations). */
struct sched_system *vmx_schedule_system(void);
/* Returns 0, or -1 with the reason in `error` (bad policy, parameter or
 * pools.cfg: "pools.cfg:LINE: reason"). */
int vmx_schedule_setup(struct vm *const *vms, uint32_t vm_count, const struct cmdline *cmdline,
                       char *error, unsigned error_size);
/* Run every VM to its end on all online pCPUs; returns on the boot CPU. */
void vmx_schedule_run(void);
/* Print the SCHED lines and the trace. */
void vmx_schedule_report(void);
/* Called with interrupts off before each VM entry: true if this pCPU was
 * kicked and must re-run the scheduler. */
bool vmx_schedule_kick_pending(void);
/* The scheduler side of vmx_vcpu_notify() (vmx/notify.c): report IPIs and
 * vIRQs, wake a halted target, start an AP on INIT/STARTUP. */
enum vmx_notify_kind;
void vmx_schedule_notify(struct vcpu *target, enum vmx_notify_kind kind);

/* Snapshots for the console (vmx/console.c), taken under the scheduler lock. */
struct vmx_schedule_vcpu_view {
	int pcpu;          /* running or queued on, -1 none */
	const char *state; /* sched_vcpu_state_name()        */
	int64_t credit;
	int priority;
	uint64_t run_us;
	uint64_t micro_run_us;
};
struct vmx_schedule_pool_view {
	char name[32];
	char policy[32];
	bool micro;
	uint64_t pcpu_mask;
	unsigned vm_count;
};
void vmx_schedule_vcpu_view(struct vcpu *vcpu, struct vmx_schedule_vcpu_view *view);
/* What one pCPU's loop did: decisions taken, idle periods, slices ended by
 * each reason (enum vmx_leave). Read without a lock: figures may lag. */
struct vmx_schedule_pcpu_view {
	uint64_t decisions;
	uint64_t idles;
	uint64_t leaves[8];
};
void vmx_schedule_pcpu_view(unsigned pcpu, struct vmx_schedule_pcpu_view *view);
/* The whole run, for the summary (vmx/summary.c): after vmx_schedule_run(). */
struct vmx_schedule_run_view {
	const char *policy;
	unsigned pcpus;
	uint64_t elapsed_ns;
	uint64_t offloads, offload_failures, directed_yields;
	unsigned micro_sizes;                   /* sched_pool_micro_history() */
	uint64_t micro_ns[SCHED_MAX_PCPUS + 1]; /* Pool-0's micro child       */
};
void vmx_schedule_run_view(struct vmx_schedule_run_view *view);
/* Fill up to `max` pools; returns how many exist. */
unsigned vmx_schedule_pool_views(struct vmx_schedule_pool_view *views, unsigned max);

#endif /* VMX_SCHEDULE_H */
