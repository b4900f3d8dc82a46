/*
 * guests/linux/workloads/workload.h - the small library shared by the Linux
 * guest's workloads (the other files of guests/linux/workloads, docs/linux.md
 * "Workloads"): command-line options, a log-linear latency histogram in
 * nanoseconds, CLOCK_MONOTONIC timing, CPU pinning, a thread runner with a
 * common start, and the one RESULT line every workload prints.
 *
 * The options and the histogram are pure (host-tested by
 * tests/host/test_workloads.c); everything else is thin glue over libc.
 */
#ifndef GUESTS_LINUX_WORKLOADS_WORKLOAD_H
#define GUESTS_LINUX_WORKLOADS_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#define WL_NS_PER_S        1000000000ull
#define WL_MAX_THREADS     64
#define WL_MAX_SECONDS_NS  (3600ull * WL_NS_PER_S) /* one hour */
#define WL_DEFAULT_WARMUP  (50ull * 1000 * 1000)   /* 0.05 s */
#define WL_DEFAULT_SECONDS WL_NS_PER_S             /* 1 s */
#define WL_FRACTION_DIGITS 9                       /* ns resolution */
#define WL_ERROR_BYTES     160
#define WL_EXIT_PASS       0   /* RESULT printed, check=pass */
#define WL_EXIT_CHECK_FAIL 1   /* RESULT printed, check=fail */
#define WL_EXIT_USAGE      2   /* no RESULT: bad arguments, message on stderr */
#define WL_EXIT_SETUP      3   /* no RESULT: could not start (a pipe, the directory, a thread) */
#define WL_EXTRA_BYTES     256 /* workload-specific RESULT fields */

struct wl_options {
	uint64_t seconds_ns; /* the measured window, > 0 */
	uint64_t warmup_ns;  /* before it: operations not counted */
	unsigned threads;    /* 1..WL_MAX_THREADS */
};

/*
 * wl_parse_seconds(TEXT, &NS): a decimal number of seconds ("0.3", "2",
 * "0.000001") to nanoseconds; at most 9 fractional digits, at most one hour.
 * Returns 0, or -1 for anything else (empty, sign, junk, too long).
 */
int wl_parse_seconds(const char *text, uint64_t *ns);

/* wl_parse_count(TEXT, MIN, MAX, &VALUE): a decimal integer in [MIN, MAX]. */
int wl_parse_count(const char *text, unsigned min, unsigned max, unsigned *value);

/*
 * wl_parse_args(ARGC, ARGV, DEFAULT_THREADS, &OPTIONS, ERROR, LEN): the
 * options after the workload name (ARGV[0] is the first option): --seconds
 * S, --threads N, --warmup S, each also as --key=value. Returns 0, or -1
 * with a message in ERROR (an unknown option, a missing or bad value).
 */
int wl_parse_args(int argc, char **argv, unsigned default_threads, struct wl_options *options,
                  char *error, size_t error_len);

/*
 * The histogram: values below 2^(WL_SUB_BITS + 1) ns have a bucket each;
 * above, every power-of-two range [2^k, 2^(k+1)) is cut into 2^WL_SUB_BITS
 * equal buckets (relative width at most 1/32) up to 2^WL_TOP_BITS ns
 * (about 18 minutes); larger values go to the overflow count. count, sum,
 * min and max are exact.
 */
#define WL_SUB_BITS     5
#define WL_SUB_BUCKETS  (1u << WL_SUB_BITS)
#define WL_TOP_BITS     40
#define WL_EXACT_LIMIT  (2ull * WL_SUB_BUCKETS) /* values below are exact */
#define WL_BUCKETS      ((WL_TOP_BITS - WL_SUB_BITS + 1) * WL_SUB_BUCKETS)
#define WL_OVERFLOW_MIN (1ull << WL_TOP_BITS)

struct wl_histogram {
	uint64_t count, sum, min, max, overflow;
	uint64_t buckets[WL_BUCKETS];
};

void wl_hist_init(struct wl_histogram *hist);
void wl_hist_record(struct wl_histogram *hist, uint64_t ns);
void wl_hist_merge(struct wl_histogram *into, const struct wl_histogram *from);
/* The bucket of a value below WL_OVERFLOW_MIN, and a bucket's range. */
unsigned wl_hist_bucket(uint64_t ns);
uint64_t wl_hist_bucket_low(unsigned bucket);
uint64_t wl_hist_bucket_high(unsigned bucket); /* inclusive */
/*
 * wl_hist_percentile(HIST, NUM, DEN): the smallest recorded value V' such
 * that at least ceil(count * NUM / DEN) values are <= V', reported as the
 * top of its bucket clamped to [min, max] (exact below WL_EXACT_LIMIT);
 * values in the overflow count report max. 0 for an empty histogram.
 */
uint64_t wl_hist_percentile(const struct wl_histogram *hist, uint64_t num, uint64_t den);

/* The RESULT line (docs/linux.md): one line, a trailing newline. */
struct wl_result {
	const char *workload;
	unsigned threads;
	uint64_t seconds_ns; /* the measured window */
	uint64_t ops;        /* operations started inside it */
	const struct wl_histogram *latency;
	const char *extra; /* "key=value ..." before unit=, or NULL */
	int check_pass;
};

/*
 * uslice's console cuts a guest's serial line at this length (VUART_LINE_SIZE
 * in vmx/vm.h) and prints the rest as a line of its own: the RESULT fields
 * are kept short enough for runs of Bochs-sized figures to fit, and what a
 * failed self-check found goes to stderr (wl_report_problem) instead.
 */
#define WL_CONSOLE_LINE 200

/* wl_report_problem(WORKLOAD, WHAT, COUNT): "... COUNT WHAT" on stderr if COUNT. */
void wl_report_problem(const char *workload, const char *what, uint64_t count);

/* wl_format_result(RESULT, BUF, LEN): the line into BUF; its length. */
int wl_format_result(const struct wl_result *result, char *buf, size_t len);
/* wl_print_result(RESULT): print it on stdout; WL_EXIT_PASS or _CHECK_FAIL. */
int wl_print_result(const struct wl_result *result);

/* CLOCK_MONOTONIC in ns. */
uint64_t wl_now_ns(void);

/* Online CPUs, and pinning the calling thread to the INDEX-th allowed CPU. */
unsigned wl_online_cpus(void);
int wl_pin_to(unsigned index);

/*
 * The run window of one thread: operations that start in [measure, end)
 * are counted; [start, measure) is the warm-up.
 */
struct wl_window {
	uint64_t start, measure, end;
};

void wl_window_open(struct wl_window *window, const struct wl_options *options);
/* Whether an operation that started at T is counted. */
static inline int wl_window_counts(const struct wl_window *window, uint64_t t)
{
	return t >= window->measure && t < window->end;
}

/*
 * wl_run_threads(COUNT, BODY, ARGS, ARG_SIZE): start COUNT threads running
 * BODY(ARGS + i * ARG_SIZE, i), each pinned to the i-th allowed CPU (modulo
 * their number) and released together through a barrier; join them all.
 * Returns 0, or -1 with a message on stderr.
 */
int wl_run_threads(unsigned count, void (*body)(void *arg, unsigned index), void *args,
                   size_t arg_size);

/* The workloads (one file each), called with parsed options. */
int wl_tlb(const struct wl_options *options);
int wl_lock(const struct wl_options *options);
int wl_wake(const struct wl_options *options);
int wl_hog(const struct wl_options *options);
int wl_user(const struct wl_options *options);
int wl_ping(const struct wl_options *options);
int wl_stream(const struct wl_options *options);

/*
 * Shared by ping.c and stream.c (both ICMP echo to Bochs's vnet over the
 * assigned NIC). ping_start(WORKLOAD, &PEER): PING_INTERFACE up as the
 * guest's address, its link waited for, a raw ICMP socket opened and PEER
 * set to vnet's address; the socket, or -1 with a message on stderr.
 * ping_checksum: the Internet checksum (RFC 1071). ping_diagnose: the
 * interface's lines of /proc/interrupts and /proc/net/dev on stderr.
 */
#define PING_INTERFACE "eth0"
struct sockaddr_in;
int ping_start(const char *workload, struct sockaddr_in *peer);
uint16_t ping_checksum(const uint8_t *data, size_t length);
void ping_diagnose(const char *workload);

#endif /* GUESTS_LINUX_WORKLOADS_WORKLOAD_H */
