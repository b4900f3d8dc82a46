/*
 * tools/sim/classifier.h - the simulator's handle on the real classifier
 * (see classifier.c for why it is wrapped).
 *
 * Lock order: none.
 */
#ifndef SIM_CLASSIFIER_H
#define SIM_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/category.h"

/* The classifier of the synthetic map under built-in rules `rules_name`
 * (e.g. "linux-6.x"); built on first use, exits on error. */
const void *sim_classifier_get(const char *rules_name);
/* A sched_classify_fn: category of `rip` in the classifier `context`. */
enum sched_category sim_classifier_classify(const void *context, uint64_t rip);
const char *sim_classifier_category_name(enum sched_category category);
/* A sched_locate_fn over the classifier `context` (the yield profiler). */
bool sim_classifier_locate(const void *context, uint64_t rip, uint64_t *function,
                           enum sched_category *category);
/* The representative name of the function at `address`, or "0x..." */
void sim_classifier_name(const void *context, uint64_t address, char *buffer, size_t size);

#endif /* SIM_CLASSIFIER_H */
