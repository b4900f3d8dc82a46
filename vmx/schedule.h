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

struct vm;
struct vcpu;

/* Returns 0, or -1 with the reason in `error` (bad policy or parameter). */
int vmx_schedule_setup(struct vm *const *vms, uint32_t vm_count, const struct cmdline *cmdline,
                       char *error, unsigned error_size);
/* Run every VM to its end on all online pCPUs; returns on the boot CPU. */
void vmx_schedule_run(void);
/* Print the SCHED lines and the trace. */
void vmx_schedule_report(void);
/* Called with interrupts off before each VM entry: true if this pCPU was
 * kicked and must re-run the scheduler. */
bool vmx_schedule_kick_pending(void);
/* The scheduler notifications behind vmx_vcpu_notify() (vmx/notify.c). */
void vmx_schedule_notify(struct vcpu *target, bool ipi, bool device_irq);
/* True while the scheduler drives the vCPUs (not the pinned model). */
bool vmx_schedule_active(void);

#endif /* VMX_SCHEDULE_H */
