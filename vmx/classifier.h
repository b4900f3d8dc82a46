/*
 * vmx/classifier.h - a VM's critical-service classifier (sched/classify.h)
 * as the hypervisor builds and uses it.
 *
 * The classifier of a VM is built from its System.map and rules
 * (vm->symbols, vm->rules_text or a built-in set named by vm->rules) by the
 * pCPU that first loads the VM's vCPU 0 (vmx/schedule.c), not serially
 * before every VM starts: a large map delays, and is charged to, its own VM
 * only. Until it is built (`ready`, release/acquire) nothing of that VM is
 * critical. Set-up cost is bounded by the limits of sched/classify.h.
 *
 * Lock order: none. vmx_classifier_build() runs once per VM on one pCPU;
 * vmx_classifier_classify() may run on any pCPU (inside the scheduler
 * lock) and reads the table only after `ready`.
 */
#ifndef VMX_CLASSIFIER_H
#define VMX_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/category.h"
#include "sched/classify.h"

struct vm;

struct vmx_classifier {
	bool ready;
	struct sched_classifier classifier;
	struct sched_rules rules; /* a rules file's, when the VM names one */
};

/* Build `c` for `vm`: 0, 1 when the VM has no map (nothing is critical),
 * or -1 with "FILE:LINE: reason" in `error` (the memory it took is freed).
 * Prints the CLASSIFIER line. */
int vmx_classifier_build(struct vm *vm, struct vmx_classifier *c, char *error, unsigned error_size);
/* sched_classify_fn for a struct vmx_classifier context. */
enum sched_category vmx_classifier_classify(const void *context, uint64_t rip);
/* sched_locate_fn for a struct vmx_classifier context (the yield
 * profiler's key): false until the classifier is built. */
bool vmx_classifier_locate(const void *context, uint64_t rip, uint64_t *function,
                           enum sched_category *category);
/* "symbol+offset" (or the address) of `rip`, for log lines. */
size_t vmx_classifier_format_rip(const struct vmx_classifier *c, uint64_t rip, char *buffer,
                                 size_t size);

#endif /* VMX_CLASSIFIER_H */
