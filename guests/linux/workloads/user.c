/*
 * guests/linux/workloads/user.c - the `user` workload (SPEC-like, for the
 * hypervisor's overhead on plain computation): one thread, whatever
 * --threads says, chases pointers through a pre-faulted permutation
 * (mcf-like) and mixes the indices into an accumulator. The measured part
 * never enters the kernel: no system call, no page fault. Its per-op
 * latencies come from RDTSC, converted to ns by the TSC rate measured
 * against CLOCK_MONOTONIC over the warm-up (at least USER_CALIBRATION_NS),
 * and it stops at a TSC deadline. check=pass when the first ops, computed
 * again after the run, give the same checksum.
 */
#include "workload.h"

#include <stdio.h>
#include <x86intrin.h>

#define USER_CHAIN_LENGTH   16384u /* 64 KiB of uint32_t: inside a typical L2 */
#define USER_STEPS          2048u
#define USER_CHECK_OPS      16u
#define USER_CALIBRATION_NS (10ull * 1000 * 1000)  /* 10 ms */
#define USER_LCG_MUL        6364136223846793005ull /* Knuth's MMIX LCG */
#define USER_LCG_ADD        1442695040888963407ull
#define USER_LCG_HIGH_SHIFT 33 /* the LCG's better high bits */
#define USER_MIX_MUL        0x9e3779b97f4a7c15ull
#define USER_NS_PER_US      1000u

static uint32_t chain[USER_CHAIN_LENGTH];

/* One cycle through all entries (Sattolo's shuffle with a fixed LCG). */
static void user_build_chain(void)
{
	uint64_t lcg = 1;

	for (uint32_t i = 0; i < USER_CHAIN_LENGTH; i++)
		chain[i] = i;
	for (uint32_t i = USER_CHAIN_LENGTH - 1; i > 0; i--) {
		lcg = lcg * USER_LCG_MUL + USER_LCG_ADD;
		uint32_t j = (uint32_t)((lcg >> USER_LCG_HIGH_SHIFT) % i), t = chain[i];
		chain[i] = chain[j];
		chain[j] = t;
	}
}

static uint64_t user_op(uint64_t op)
{
	uint32_t at = (uint32_t)(op % USER_CHAIN_LENGTH);
	uint64_t acc = op;

	for (unsigned step = 0; step < USER_STEPS; step++) {
		at = chain[at];
		acc = (acc ^ at) * USER_MIX_MUL;
	}
	return acc;
}

int wl_user(const struct wl_options *options)
{
	static struct wl_histogram latency;
	uint64_t op = 0, check_sum = 0, again = 0, calibration, measured = 0;
	char extra[WL_EXTRA_BYTES];

	user_build_chain();
	wl_hist_init(&latency);
	calibration =
	    options->warmup_ns > USER_CALIBRATION_NS ? options->warmup_ns : USER_CALIBRATION_NS;
	/* Warm-up and calibration: clock_gettime allowed, ops not counted. */
	uint64_t t0 = wl_now_ns(), tsc0 = __rdtsc(), t1, tsc1;
	for (; (t1 = wl_now_ns()) - t0 < calibration; op++) {
		uint64_t r = user_op(op);
		if (op < USER_CHECK_OPS)
			check_sum += r;
	}
	tsc1 = __rdtsc();
	uint64_t ticks = tsc1 - tsc0 ? tsc1 - tsc0 : 1, ns = t1 - t0;
	uint64_t deadline = tsc1 + (uint64_t)((unsigned __int128)options->seconds_ns * ticks / ns);
	/* The measured part: RDTSC and memory only. */
	for (uint64_t begin; (begin = __rdtsc()) < deadline; op++, measured++) {
		uint64_t r = user_op(op), done = __rdtsc();
		if (op < USER_CHECK_OPS)
			check_sum += r;
		wl_hist_record(&latency,
		               (uint64_t)((unsigned __int128)(done - begin) * ns / ticks));
	}
	for (uint64_t k = 0; k < USER_CHECK_OPS && k < op; k++)
		again += user_op(k);
	wl_report_problem("user", "checksums that differ when computed again", again != check_sum);
	snprintf(extra, sizeof(extra), "steps=%u tsc_per_us=%llu", USER_STEPS,
	         (unsigned long long)(ticks * USER_NS_PER_US / ns));
	struct wl_result result = {"user",
	                           1,
	                           options->seconds_ns,
	                           measured,
	                           &latency,
	                           extra,
	                           again == check_sum && measured > 0};
	return wl_print_result(&result);
}
