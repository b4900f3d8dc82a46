/*
 * tools/sim/report.h - the text schedsim prints: one RESULT line per run
 * and one SUMMARY line per scenario comparing the policies.
 *
 * Lock order: none.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "tools/sim/sim.h"

/* "RESULT scenario=... policy=... key=value ..." (no newline); returns the
 * length needed, like snprintf. */
size_t sim_report_result(const struct sim_result *result, char *buffer, size_t size);

/* Combined throughput of a run relative to a baseline run: the mean over
 * VMs of ops(result) / ops(baseline). */
double sim_report_score(const struct sim_result *result, const struct sim_result *baseline);

/* "SUMMARY scenario=... credit=1.000 ... best_static=... dynamic_vs_best=..."
 * for the runs of one scenario; results[0..count) in any order; needs the
 * "credit" run. Returns 0 on success, -1 if there is no baseline. */
int sim_report_summary(const struct sim_result *results, int count, char *buffer, size_t size);

/* The yield profile of one VM (sched/profile.h): its PROFILE,
 * YIELDPROFILE, PREEMPTPROFILE and PROFILECANDIDATE lines, `top` per
 * ranking, in the hypervisor's format (docs/output.md), names from the
 * classifier `classifier`. */
struct sched_profile;
void sim_report_profile(FILE *out, const char *vm, const struct sched_profile *profile,
                        const void *classifier, size_t top);

#endif /* SIM_REPORT_H */
