/*
 * vmx/profile.h - the yield profiler (sched/profile.h) in the hypervisor:
 * one table per VM, allocated with the VM, and the end-of-run lines
 * PROFILE, YIELDPROFILE, PREEMPTPROFILE and PROFILECANDIDATE
 * (docs/output.md, docs/classification.md "Yield profile").
 *
 * Option: profile_top=N (default 20, at most VMX_PROFILE_TOP_MAX) lines of
 * each ranking per VM; 0 turns the profiler off (no table is allocated,
 * nothing is recorded or printed).
 *
 * Lock order: none held here. Recording happens inside the scheduler with
 * its lock held (sched/offload.c); vmx_profile_report() reads through
 * sched_vm_profile_*(), which take the scheduler lock, and prints (log
 * lock) after releasing it.
 */
#ifndef VMX_PROFILE_H
#define VMX_PROFILE_H

#include <stdbool.h>

#include "kernel/cmdline.h"

struct sched_vm;
struct vm;
struct vmx_classifier;

#define VMX_PROFILE_TOP_DEFAULT 20
#define VMX_PROFILE_TOP_MAX     100
#define VMX_PROFILE_CAPACITY    1024 /* table slots per VM (768 functions) */

/* Options of this module (vmx_run_option_known()). */
extern const char *const vmx_profile_options[];

/* Read profile_top=; -1 with the reason on a bad value. Before any VM. */
int vmx_profile_settings(const struct cmdline *cmdline, char *error, unsigned error_size);
/* Give `vm` its table (vm->profile; none when the profiler is off).
 * -1 when there is no memory for it. */
int vmx_profile_allocate(struct vm *vm);
/* Free vm->profile (NULL is fine). */
void vmx_profile_free(struct vm *vm);
/* The lines of one VM after the run; `svm` is its scheduler VM and `c`
 * its classifier (names are resolved here, not while recording). */
void vmx_profile_report(const struct vm *vm, struct sched_vm *svm, const struct vmx_classifier *c);

#endif /* VMX_PROFILE_H */
