/*
 * guests/linux/workloads/workload.c - the library of the Linux guest's
 * workloads (workload.h): option parsing, the log-linear latency
 * histogram, the RESULT line, CLOCK_MONOTONIC timing, CPU pinning and the
 * thread runner. Everything is integer arithmetic so that a run prints the
 * same line every time the virtual machine is the same.
 */
#define _GNU_SOURCE
#include "workload.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DECIMAL_BASE  10u
#define OPS_PER_S_TEN 10u /* ops_per_s has one fractional digit */
#define PERCENT       100u
#define PER_MILLE     1000u
#define P50           50u
#define P99           99u
#define P999          999u
#define SECONDS_BYTES 32u /* "3600.000000001" and more */
#define U64_TOP_BIT   63u

int wl_parse_seconds(const char *text, uint64_t *ns)
{
	uint64_t whole = 0, fraction = 0, scale = WL_NS_PER_S;
	const char *p = text;
	int digits = 0, fraction_digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		whole = whole * DECIMAL_BASE + (uint64_t)(*p - '0');
		if (whole > WL_MAX_SECONDS_NS / WL_NS_PER_S)
			return -1;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, fraction_digits++) {
			if (fraction_digits == WL_FRACTION_DIGITS)
				return -1;
			scale /= DECIMAL_BASE;
			fraction += (uint64_t)(*p - '0') * scale;
		}
		if (fraction_digits == 0)
			return -1;
	}
	if (*p != '\0' || (digits == 0 && fraction_digits == 0))
		return -1;
	*ns = whole * WL_NS_PER_S + fraction;
	if (*ns > WL_MAX_SECONDS_NS)
		return -1;
	return 0;
}

int wl_parse_count(const char *text, unsigned min, unsigned max, unsigned *value)
{
	uint64_t v = 0;
	const char *p = text;

	if (*p == '\0')
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * DECIMAL_BASE + (uint64_t)(*p - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*value = (unsigned)v;
	return 0;
}

/* One option's value into OPTIONS; -1 with a message when it is bad. */
static int set_option(const char *name, const char *value, struct wl_options *options, char *error,
                      size_t error_len)
{
	if (strcmp(name, "--seconds") == 0) {
		if (wl_parse_seconds(value, &options->seconds_ns) == 0 && options->seconds_ns > 0)
			return 0;
		snprintf(error, error_len,
		         "--seconds \"%s\": expected a decimal number of seconds above 0 and at "
		         "most 3600 (e.g. 0.3)",
		         value);
	} else if (strcmp(name, "--warmup") == 0) {
		if (wl_parse_seconds(value, &options->warmup_ns) == 0)
			return 0;
		snprintf(error, error_len,
		         "--warmup \"%s\": expected a decimal number of seconds, at most 3600 "
		         "(e.g. 0.05)",
		         value);
	} else if (strcmp(name, "--threads") == 0) {
		if (wl_parse_count(value, 1, WL_MAX_THREADS, &options->threads) == 0)
			return 0;
		snprintf(error, error_len, "--threads \"%s\": expected an integer from 1 to %u",
		         value, WL_MAX_THREADS);
	} else {
		snprintf(error, error_len,
		         "unknown option \"%s\" (options: --seconds S, --threads N, --warmup S)",
		         name);
	}
	return -1;
}

static int is_option(const char *name)
{
	return !strcmp(name, "--seconds") || !strcmp(name, "--threads") ||
	       !strcmp(name, "--warmup");
}

int wl_parse_args(int argc, char **argv, unsigned default_threads, struct wl_options *options,
                  char *error, size_t error_len)
{
	char name[WL_ERROR_BYTES];

	options->seconds_ns = WL_DEFAULT_SECONDS;
	options->warmup_ns = WL_DEFAULT_WARMUP;
	options->threads = default_threads < 1                ? 1
	                   : default_threads > WL_MAX_THREADS ? WL_MAX_THREADS
	                                                      : default_threads;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *equals = strchr(arg, '='), *value;

		if (equals) {
			size_t n = (size_t)(equals - arg);
			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, arg, n);
			name[n] = '\0';
			value = equals + 1;
		} else if (!is_option(arg)) {
			return set_option(arg, "", options, error, error_len);
		} else if (i + 1 >= argc) {
			snprintf(error, error_len, "%s needs a value", arg);
			return -1;
		} else {
			snprintf(name, sizeof(name), "%s", arg);
			value = argv[++i];
		}
		if (set_option(name, value, options, error, error_len) != 0)
			return -1;
	}
	return 0;
}

void wl_hist_init(struct wl_histogram *hist)
{
	memset(hist, 0, sizeof(*hist));
	hist->min = UINT64_MAX;
}

unsigned wl_hist_bucket(uint64_t ns)
{
	if (ns < WL_EXACT_LIMIT)
		return (unsigned)ns;
	unsigned top = U64_TOP_BIT - (unsigned)__builtin_clzll(ns); /* ns in [2^top, 2^(top+1)) */
	unsigned shift = top - WL_SUB_BITS;
	return shift * WL_SUB_BUCKETS + (unsigned)(ns >> shift);
}

uint64_t wl_hist_bucket_low(unsigned bucket)
{
	if (bucket < WL_EXACT_LIMIT)
		return bucket;
	unsigned shift = bucket / WL_SUB_BUCKETS - 1;
	uint64_t mantissa = bucket % WL_SUB_BUCKETS + WL_SUB_BUCKETS;
	return mantissa << shift;
}

uint64_t wl_hist_bucket_high(unsigned bucket)
{
	if (bucket < WL_EXACT_LIMIT)
		return bucket;
	unsigned shift = bucket / WL_SUB_BUCKETS - 1;
	return wl_hist_bucket_low(bucket) + (1ull << shift) - 1;
}

void wl_hist_record(struct wl_histogram *hist, uint64_t ns)
{
	hist->count++;
	hist->sum += ns;
	if (ns < hist->min)
		hist->min = ns;
	if (ns > hist->max)
		hist->max = ns;
	if (ns >= WL_OVERFLOW_MIN)
		hist->overflow++;
	else
		hist->buckets[wl_hist_bucket(ns)]++;
}

void wl_hist_merge(struct wl_histogram *into, const struct wl_histogram *from)
{
	into->count += from->count;
	into->sum += from->sum;
	into->overflow += from->overflow;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	for (unsigned i = 0; i < WL_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
}

uint64_t wl_hist_percentile(const struct wl_histogram *hist, uint64_t num, uint64_t den)
{
	if (hist->count == 0 || den == 0)
		return 0;
	unsigned __int128 product = (unsigned __int128)hist->count * num;
	uint64_t rank = (uint64_t)((product + den - 1) / den), seen = 0;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < WL_BUCKETS; i++) {
		seen += hist->buckets[i];
		if (seen >= rank) {
			uint64_t v = wl_hist_bucket_high(i);
			if (v > hist->max)
				v = hist->max;
			if (v < hist->min)
				v = hist->min;
			return v;
		}
	}
	return hist->max; /* in the overflow count */
}

/* SECONDS_NS as a decimal without trailing zeros: "0.3", "2", "0.000001". */
static void format_seconds(uint64_t ns, char *buf, size_t len)
{
	uint64_t fraction = ns % WL_NS_PER_S;
	int digits = WL_FRACTION_DIGITS;

	if (fraction == 0) {
		snprintf(buf, len, "%llu", (unsigned long long)(ns / WL_NS_PER_S));
		return;
	}
	while (fraction % DECIMAL_BASE == 0) {
		fraction /= DECIMAL_BASE;
		digits--;
	}
	snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(ns / WL_NS_PER_S), digits,
	         (unsigned long long)fraction);
}

int wl_format_result(const struct wl_result *r, char *buf, size_t len)
{
	const struct wl_histogram *h = r->latency;
	char seconds[SECONDS_BYTES];
	unsigned __int128 tenths = 0;

	format_seconds(r->seconds_ns, seconds, sizeof(seconds));
	if (r->seconds_ns)
		tenths = (unsigned __int128)r->ops * WL_NS_PER_S * OPS_PER_S_TEN / r->seconds_ns;
	return snprintf(buf, len,
	                "RESULT workload=%s threads=%u seconds=%s ops=%llu ops_per_s=%llu.%u "
	                "mean=%llu p50=%llu p99=%llu p999=%llu max=%llu %s%sunit=ns check=%s\n",
	                r->workload, r->threads, seconds, (unsigned long long)r->ops,
	                (unsigned long long)(tenths / OPS_PER_S_TEN),
	                (unsigned)(tenths % OPS_PER_S_TEN),
	                (unsigned long long)(h->count ? h->sum / h->count : 0),
	                (unsigned long long)wl_hist_percentile(h, P50, PERCENT),
	                (unsigned long long)wl_hist_percentile(h, P99, PERCENT),
	                (unsigned long long)wl_hist_percentile(h, P999, PER_MILLE),
	                (unsigned long long)h->max, r->extra ? r->extra : "",
	                r->extra && r->extra[0] ? " " : "", r->check_pass ? "pass" : "fail");
}

void wl_report_problem(const char *workload, const char *what, uint64_t count)
{
	if (count)
		fprintf(stderr, "uslice-workload %s: check failed: %llu %s\n", workload,
		        (unsigned long long)count, what);
}

int wl_print_result(const struct wl_result *result)
{
	char line[WL_EXTRA_BYTES * 2];

	wl_format_result(result, line, sizeof(line));
	fputs(line, stdout);
	fflush(stdout);
	return result->check_pass ? WL_EXIT_PASS : WL_EXIT_CHECK_FAIL;
}

uint64_t wl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WL_NS_PER_S + (uint64_t)ts.tv_nsec;
}

unsigned wl_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1u : (unsigned)n;
}

int wl_pin_to(unsigned index)
{
	cpu_set_t allowed, one;
	int count;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		return -1;
	count = CPU_COUNT(&allowed);
	if (count <= 0)
		return -1;
	for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		if ((unsigned)seen++ == index % (unsigned)count) {
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			return sched_setaffinity(0, sizeof(one), &one);
		}
	}
	return -1;
}

void wl_window_open(struct wl_window *window, const struct wl_options *options)
{
	window->start = wl_now_ns();
	window->measure = window->start + options->warmup_ns;
	window->end = window->measure + options->seconds_ns;
}

struct runner {
	void (*body)(void *arg, unsigned index);
	void *arg;
	unsigned index;
	int pin_error;
	pthread_barrier_t *barrier;
};

static void *runner_main(void *p)
{
	struct runner *r = p;

	if (wl_pin_to(r->index) != 0)
		r->pin_error = errno ? errno : EINVAL;
	pthread_barrier_wait(r->barrier);
	r->body(r->arg, r->index);
	return NULL;
}

int wl_run_threads(unsigned count, void (*body)(void *arg, unsigned index), void *args,
                   size_t arg_size)
{
	struct runner runners[WL_MAX_THREADS];
	pthread_t ids[WL_MAX_THREADS];
	pthread_barrier_t barrier;
	unsigned started = 0;
	int status = 0, rc;

	if (count < 1 || count > WL_MAX_THREADS)
		return -1;
	pthread_barrier_init(&barrier, NULL, count);
	for (; started < count; started++) {
		runners[started] =
		    (struct runner){body, (char *)args + started * arg_size, started, 0, &barrier};
		rc = pthread_create(&ids[started], NULL, runner_main, &runners[started]);
		if (rc != 0) {
			fprintf(stderr, "workload: pthread_create of thread %u failed: %s\n",
			        started, strerror(rc));
			exit(WL_EXIT_SETUP); /* the others wait at the barrier forever */
		}
	}
	for (unsigned i = 0; i < count; i++) {
		pthread_join(ids[i], NULL);
		if (runners[i].pin_error) {
			fprintf(stderr, "workload: pinning thread %u failed: %s\n", i,
			        strerror(runners[i].pin_error));
			status = -1;
		}
	}
	pthread_barrier_destroy(&barrier);
	return status;
}
