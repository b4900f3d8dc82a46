/*
 * guests/linux/workloads/hog.c - the `hog` workload (swaptions/
 * lookbusy-like): N threads that only compute in user mode. One operation
 * is a fixed unit of work - a Monte-Carlo-style path of HOG_STEPS
 * xorshift64* draws folded into a fixed-point accumulator - so ops/s is
 * the throughput the CPUs give the VM. check=pass when the first units of
 * every thread, computed again after the run, give the same checksum.
 */
#include "workload.h"

#include <stdio.h>
#include <string.h>

#define HOG_STEPS        4096u
#define HOG_CHECK_UNITS  16u
#define HOG_SEED_MIX     0x9e3779b97f4a7c15ull /* the golden-ratio increment */
#define HOG_XORSHIFT_MUL 0x2545f4914f6cdd1dull /* xorshift64* multiplier */
#define HOG_FIXED_SHIFT  40                    /* draws scaled to 24-bit fixed point */
#define HOG_XORSHIFT_A   12                    /* Marsaglia's xorshift64 triple */
#define HOG_XORSHIFT_B   25
#define HOG_XORSHIFT_C   27
#define HOG_DRIFT_SHIFT  3 /* the path drifts by 1/8 a step */

struct hog_thread {
	struct wl_histogram latency;
	const struct wl_options *options;
	uint64_t units, check_sum;
};

/* One unit of work: a deterministic function of (thread, unit). */
static uint64_t hog_unit(unsigned index, uint64_t unit)
{
	uint64_t x = ((uint64_t)index << 32 | 1) ^ (unit * HOG_SEED_MIX), path = 0;

	for (unsigned step = 0; step < HOG_STEPS; step++) {
		x ^= x >> HOG_XORSHIFT_A;
		x ^= x << HOG_XORSHIFT_B;
		x ^= x >> HOG_XORSHIFT_C;
		uint64_t draw = (x * HOG_XORSHIFT_MUL) >> HOG_FIXED_SHIFT;
		path += (path >> HOG_DRIFT_SHIFT) ^ draw; /* drift plus a shock */
	}
	return path;
}

static void hog_body(void *arg, unsigned index)
{
	struct hog_thread *t = arg;
	struct wl_window window;
	uint64_t begin;

	wl_window_open(&window, t->options);
	for (uint64_t unit = 0; (begin = wl_now_ns()) < window.end; unit++) {
		uint64_t result = hog_unit(index, unit);
		uint64_t done = wl_now_ns();
		if (unit < HOG_CHECK_UNITS)
			t->check_sum += result;
		if (wl_window_counts(&window, begin))
			wl_hist_record(&t->latency, done - begin);
		t->units++;
	}
}

int wl_hog(const struct wl_options *options)
{
	static struct hog_thread threads[WL_MAX_THREADS];
	struct wl_histogram all;
	uint64_t units = 0, mismatches = 0;
	char extra[WL_EXTRA_BYTES];

	wl_hist_init(&all);
	for (unsigned i = 0; i < options->threads; i++) {
		memset(&threads[i], 0, sizeof(threads[i]));
		wl_hist_init(&threads[i].latency);
		threads[i].options = options;
	}
	int status = wl_run_threads(options->threads, hog_body, threads, sizeof(threads[0]));
	for (unsigned i = 0; i < options->threads; i++) {
		uint64_t again = 0;
		for (uint64_t u = 0; u < HOG_CHECK_UNITS && u < threads[i].units; u++)
			again += hog_unit(i, u);
		mismatches += again != threads[i].check_sum;
		units += threads[i].units;
		wl_hist_merge(&all, &threads[i].latency);
	}
	wl_report_problem("hog", "threads whose units computed differently again", mismatches);
	snprintf(extra, sizeof(extra), "steps=%u units=%llu", HOG_STEPS, (unsigned long long)units);
	struct wl_result result = {"hog",
	                           options->threads,
	                           options->seconds_ns,
	                           all.count,
	                           &all,
	                           extra,
	                           status == 0 && mismatches == 0 && all.count > 0};
	return wl_print_result(&result);
}
