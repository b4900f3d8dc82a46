/*
 * vmx/summary.h - the short human summary printed at the end of every run,
 * before the key=value report lines (docs/output.md, "Summary"):
 *
 *   ----- uslice run summary -----
 *   policy micro-dynamic on 4 pCPUs, 2.111 s of virtual time
 *   VM          state    vCPUs  CPU share  result
 *   shootdown   done         4     9.3 %   shootdown 268 ops/s, mean 3.4 ms, p50 14.4 ms, ...
 *   micro-sliced pCPUs of Pool-0: 0 for 47.5 %, 1 for 52.5 % of the run
 *   offloads 249, failed offloads 4633
 *
 * Times are in ns/us/ms/s, never in TSC ticks: a RESULT's tick fields are
 * converted with its own tsc_khz= (or the host's TSC rate). The lines have
 * no tag: tools read the key=value lines that follow.
 *
 * summary_format_result() and summary_format_duration() are pure (host
 * tests: tests/host/test_vmx_summary.c); vmx_summary_print() reads the
 * VMs and the scheduler (vmx/summary.c).
 *
 * Lock order: none of its own; the scheduler views take the scheduler lock.
 */
#ifndef VMX_SUMMARY_H
#define VMX_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* "14.4 ms", "950 ns", "2.10 s": 3 significant digits at most. Returns the
 * length written (NUL-terminated if size > 0). */
size_t summary_format_duration(uint64_t ns, char *buffer, size_t size);

/*
 * One RESULT text (what follows "RESULT ", e.g. "workload=hog vcpus=4 ...
 * ops_per_s=744 p50=245759 ... unit=tsc_ticks tsc_khz=50115") as
 * "hog 744 ops/s, mean 2.1 ms, p50 4.9 ms, p99 9.2 ms, max 69.1 ms":
 * the workload (or mode), ops/s when given, then each of mean, p50, p99,
 * max given, in time units when unit= is ns or tsc_ticks (tsc_khz= of the
 * line, else `default_tsc_khz`), plus " check FAIL" when check=fail or
 * consistent=0. Returns the length written.
 */
size_t summary_format_result(const char *result, uint64_t default_tsc_khz, char *buffer,
                             size_t size);

/* Print the summary of the run's `count` VMs (after the scheduler ran). */
void vmx_summary_print(struct vm *const *vms, uint32_t count);

#endif /* VMX_SUMMARY_H */
