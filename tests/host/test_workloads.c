/*
 * tests/host/test_workloads.c - host tests of the Linux guest's workload
 * library (guests/linux/workloads/workload.c): the --seconds / --threads /
 * --warmup parsers and their error messages, the log-linear histogram
 * (bucket edges, percentiles on known inputs, overflow, merging), the
 * RESULT line, and a smoke run of every workload of the uslice-workload
 * binary built for the host (WORKLOAD_BIN).
 */
#include "guests/linux/workloads/workload.h"
#include "tests/host/test.h"

#include <stdlib.h>
#include <sys/wait.h>

#define MS         (1000ull * 1000)
#define LINE_BYTES 1024

static void test_parse_seconds(void)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t ns;
	} rows[] = {
	    {"0.3", 0, 300 * MS},
	    {"2", 0, 2 * WL_NS_PER_S},
	    {"0.000000001", 0, 1},
	    {".5", 0, 500 * MS},
	    {"0", 0, 0},
	    {"3600", 0, WL_MAX_SECONDS_NS},
	    {"1.", -1, 0},
	    {"", -1, 0},
	    {"-1", -1, 0},
	    {"+1", -1, 0},
	    {"1e3", -1, 0},
	    {"0.3s", -1, 0},
	    {"0.0000000001", -1, 0},
	    {"3600.000000001", -1, 0},
	    {"3601", -1, 0},
	    {"99999999999999999999", -1, 0},
	    {"abc", -1, 0},
	    {"1.2.3", -1, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t ns = 0;
		test_case_begin(rows[i].text);
		CHECK_EQ(wl_parse_seconds(rows[i].text, &ns), rows[i].rc);
		if (rows[i].rc == 0)
			CHECK_EQ(ns, rows[i].ns);
		test_case_end();
	}
}

static void test_parse_count(void)
{
	static const struct {
		const char *text;
		int rc;
		unsigned value;
	} rows[] = {
	    {"4", 0, 4},
	    {"1", 0, 1},
	    {"64", 0, 64},
	    {"0", -1, 0},
	    {"65", -1, 0},
	    {"", -1, 0},
	    {"4x", -1, 0},
	    {"+4", -1, 0},
	    {"-1", -1, 0},
	    {" 4", -1, 0},
	    {"18446744073709551617", -1, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned v = 0;
		test_case_begin(rows[i].text);
		CHECK_EQ(wl_parse_count(rows[i].text, 1, WL_MAX_THREADS, &v), rows[i].rc);
		if (rows[i].rc == 0)
			CHECK_EQ(v, rows[i].value);
		test_case_end();
	}
}

#define MAX_ARGS 6
static void test_parse_args(void)
{
	static const struct {
		const char *name;
		const char *args[MAX_ARGS];
		unsigned default_threads;
		int rc;
		uint64_t seconds, warmup;
		unsigned threads;
		const char *error; /* a substring of the message */
	} rows[] = {
	    {"defaults", {NULL}, 4, 0, WL_DEFAULT_SECONDS, WL_DEFAULT_WARMUP, 4, NULL},
	    {"default threads clamped up",
	     {NULL},
	     0,
	     0,
	     WL_DEFAULT_SECONDS,
	     WL_DEFAULT_WARMUP,
	     1,
	     NULL},
	    {"default threads clamped down",
	     {NULL},
	     100,
	     0,
	     WL_DEFAULT_SECONDS,
	     WL_DEFAULT_WARMUP,
	     WL_MAX_THREADS,
	     NULL},
	    {"all three",
	     {"--seconds", "0.3", "--threads", "2", "--warmup", "0"},
	     4,
	     0,
	     300 * MS,
	     0,
	     2,
	     NULL},
	    {"key=value", {"--seconds=0.5", "--warmup=0.01"}, 1, 0, 500 * MS, 10 * MS, 1, NULL},
	    {"missing value", {"--seconds"}, 1, -1, 0, 0, 0, "--seconds needs a value"},
	    {"unknown option", {"--bogus", "1"}, 1, -1, 0, 0, 0, "unknown option \"--bogus\""},
	    {"a bare word", {"0.3"}, 1, -1, 0, 0, 0, "unknown option \"0.3\""},
	    {"zero seconds", {"--seconds", "0"}, 1, -1, 0, 0, 0, "--seconds \"0\": expected"},
	    {"bad seconds", {"--seconds=abc"}, 1, -1, 0, 0, 0, "--seconds \"abc\""},
	    {"bad warmup", {"--warmup", "-1"}, 1, -1, 0, 0, 0, "--warmup \"-1\""},
	    {"zero threads", {"--threads", "0"}, 1, -1, 0, 0, 0, "from 1 to 64"},
	    {"too many threads", {"--threads=65"}, 1, -1, 0, 0, 0, "--threads \"65\""},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct wl_options o;
		char error[WL_ERROR_BYTES] = "";
		int argc = 0;
		while (argc < MAX_ARGS && rows[i].args[argc])
			argc++;
		test_case_begin(rows[i].name);
		int rc = wl_parse_args(argc, (char **)rows[i].args, rows[i].default_threads, &o,
		                       error, sizeof(error));
		CHECK_EQ(rc, rows[i].rc);
		if (rc == 0 && rows[i].rc == 0) {
			CHECK_EQ(o.seconds_ns, rows[i].seconds);
			CHECK_EQ(o.warmup_ns, rows[i].warmup);
			CHECK_EQ(o.threads, rows[i].threads);
		}
		if (rows[i].error)
			CHECK_CONTAINS(error, rows[i].error);
		test_case_end();
	}
}

static void test_bucket_edges(void)
{
	static const struct {
		uint64_t ns;
		unsigned bucket;
	} rows[] = {
	    {0, 0},
	    {1, 1},
	    {63, 63},
	    {64, 64},
	    {65, 64},
	    {66, 65},
	    {127, 95},
	    {128, 96},
	    {131, 96},
	    {132, 97},
	    {(1ull << 40) - 1, WL_BUCKETS - 1},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "bucket of %llu", (unsigned long long)rows[i].ns);
		test_case_begin(name);
		CHECK_EQ(wl_hist_bucket(rows[i].ns), rows[i].bucket);
		test_case_end();
	}
	test_case_begin("buckets tile [0, 2^40) and each is at most 1/32 wide");
	CHECK_EQ(wl_hist_bucket_low(0), 0);
	CHECK_EQ(wl_hist_bucket_high(WL_BUCKETS - 1), WL_OVERFLOW_MIN - 1);
	for (unsigned b = 0; b < WL_BUCKETS; b++) {
		uint64_t low = wl_hist_bucket_low(b), high = wl_hist_bucket_high(b);
		CHECK(low <= high);
		CHECK_EQ(wl_hist_bucket(low), b);
		CHECK_EQ(wl_hist_bucket(high), b);
		CHECK((high - low + 1) * WL_SUB_BUCKETS <=
		      (low > WL_SUB_BUCKETS ? low : WL_SUB_BUCKETS));
		if (b + 1 < WL_BUCKETS)
			CHECK_EQ(wl_hist_bucket_low(b + 1), high + 1);
	}
	test_case_end();
}

static void test_percentiles(void)
{
	static struct wl_histogram h, a, b;

	test_case_begin("empty histogram");
	wl_hist_init(&h);
	CHECK_EQ(wl_hist_percentile(&h, 50, 100), 0);
	test_case_end();

	test_case_begin("1..100: exact below 64, top of bucket above");
	for (uint64_t v = 1; v <= 100; v++)
		wl_hist_record(&h, v);
	CHECK_EQ(h.count, 100);
	CHECK_EQ(h.sum, 5050);
	CHECK_EQ(h.min, 1);
	CHECK_EQ(wl_hist_percentile(&h, 1, 100), 1);
	CHECK_EQ(wl_hist_percentile(&h, 50, 100), 50);
	CHECK_EQ(wl_hist_percentile(&h, 99, 100), 99); /* [98, 99] */
	CHECK_EQ(wl_hist_percentile(&h, 999, 1000), 100);
	CHECK_EQ(wl_hist_percentile(&h, 100, 100), 100);
	test_case_end();

	test_case_begin("1..1000: p50 is the top of [496, 503], clamped to max");
	wl_hist_init(&h);
	for (uint64_t v = 1; v <= 1000; v++)
		wl_hist_record(&h, v);
	CHECK_EQ(wl_hist_percentile(&h, 50, 100), 503);
	CHECK_EQ(wl_hist_percentile(&h, 999, 1000), 1000); /* [992, 1007] clamped */
	test_case_end();

	test_case_begin("a single value reports itself (clamped to min and max)");
	wl_hist_init(&h);
	wl_hist_record(&h, 1000001);
	CHECK_EQ(wl_hist_percentile(&h, 50, 100), 1000001);
	test_case_end();

	test_case_begin("overflow: counted, percentiles in it report max");
	wl_hist_init(&h);
	wl_hist_record(&h, 5);
	wl_hist_record(&h, 1ull << 41);
	wl_hist_record(&h, (1ull << 41) + 7);
	CHECK_EQ(h.overflow, 2);
	CHECK_EQ(h.max, (1ull << 41) + 7);
	CHECK_EQ(wl_hist_percentile(&h, 1, 100), 5);
	CHECK_EQ(wl_hist_percentile(&h, 50, 100), (1ull << 41) + 7);
	test_case_end();

	test_case_begin("merge equals recording into one");
	wl_hist_init(&a);
	wl_hist_init(&b);
	wl_hist_init(&h);
	for (uint64_t v = 0; v < 5000; v += 7) {
		wl_hist_record(v % 2 ? &a : &b, v * v);
		wl_hist_record(&h, v * v);
	}
	wl_hist_merge(&a, &b);
	CHECK(memcmp(&a, &h, sizeof(h)) == 0);
	test_case_end();
}

static void test_result_line(void)
{
	static struct wl_histogram h;
	char line[LINE_BYTES];

	wl_hist_init(&h);
	wl_hist_record(&h, 10);
	wl_hist_record(&h, 20);
	wl_hist_record(&h, 30);
	test_case_begin("RESULT line with extra fields");
	struct wl_result r = {"x", 2, 300 * MS, 3, &h, "a=1 b=2", 1};
	wl_format_result(&r, line, sizeof(line));
	CHECK_STR(line, "RESULT workload=x threads=2 seconds=0.3 ops=3 ops_per_s=10.0 mean=20 "
	                "p50=20 p99=30 p999=30 max=30 a=1 b=2 unit=ns check=pass\n");
	test_case_end();

	test_case_begin("RESULT line, no extra, check=fail, whole and tiny seconds");
	struct wl_result f = {"y", 1, 2 * WL_NS_PER_S, 1, &h, NULL, 0};
	wl_format_result(&f, line, sizeof(line));
	CHECK_STR(line, "RESULT workload=y threads=1 seconds=2 ops=1 ops_per_s=0.5 mean=20 p50=20 "
	                "p99=30 p999=30 max=30 unit=ns check=fail\n");
	f.seconds_ns = 1000;
	f.ops = 7;
	wl_format_result(&f, line, sizeof(line));
	CHECK_CONTAINS(line, " seconds=0.000001 ops=7 ops_per_s=7000000.0 ");
	test_case_end();
}

/* A lock run with figures of the size a Bochs run gives fits a console line. */
static void test_result_fits_console(void)
{
	static struct wl_histogram h;
	char line[LINE_BYTES];

	wl_hist_init(&h);
	wl_hist_record(&h, 557055);
	wl_hist_record(&h, 77143457);
	test_case_begin("a Bochs-sized lock RESULT line fits WL_CONSOLE_LINE");
	struct wl_result r = {"lock", 4, 300 * MS, 99999, &h, "file=59997 mmap=19999 fork=19999",
	                      1};
	int n = wl_format_result(&r, line, sizeof(line));
	CHECK(n < WL_CONSOLE_LINE);
	test_case_end();
	/* A 1-s stream line with 9-digit latencies (its timeout is 0.5 s). */
	wl_hist_init(&h);
	wl_hist_record(&h, 499999999);
	test_case_begin("a worst-case stream RESULT line fits WL_CONSOLE_LINE");
	struct wl_result s = {
	    "stream", 3, WL_NS_PER_S, 1000, &h, "received=999 lost=1 jitter=499999999", 0};
	n = wl_format_result(&s, line, sizeof(line));
	CHECK(n < WL_CONSOLE_LINE);
	test_case_end();
}

/* Runs the host-built binary; its stdout into OUT, the exit status back. */
static int run_workload(const char *args, char *out, size_t len)
{
	char command[LINE_BYTES];
	snprintf(command, sizeof(command), "%s %s 2>/dev/null", WORKLOAD_BIN, args);
	FILE *p = popen(command, "r");
	size_t n = p ? fread(out, 1, len - 1, p) : 0;
	out[n] = '\0';
	int status = p ? pclose(p) : -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_smoke(void)
{
	static const char *const names[] = {"tlb", "lock", "wake", "hog", "user"};
	char out[LINE_BYTES], want[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char args[64];
		snprintf(args, sizeof(args), "%s --seconds 0.05 --warmup 0.01 --threads 2",
		         names[i]);
		test_case_begin(args);
		CHECK_EQ(run_workload(args, out, sizeof(out)), WL_EXIT_PASS);
		snprintf(want, sizeof(want), "RESULT workload=%s threads=", names[i]);
		CHECK(strncmp(out, want, strlen(want)) == 0);
		CHECK_CONTAINS(out, " seconds=0.05 ops=");
		CHECK_CONTAINS(out, " unit=ns check=pass\n");
		CHECK(strchr(out, '\n') == out + strlen(out) - 1); /* exactly one line */
		test_case_end();
	}
	test_case_begin("unknown workload and bad arguments: exit 2, no RESULT line");
	CHECK_EQ(run_workload("nope", out, sizeof(out)), WL_EXIT_USAGE);
	CHECK_STR(out, "");
	CHECK_EQ(run_workload("tlb --seconds x", out, sizeof(out)), WL_EXIT_USAGE);
	CHECK_STR(out, "");
	CHECK_EQ(run_workload("", out, sizeof(out)), WL_EXIT_USAGE);
	test_case_end();
	test_case_begin("--list");
	CHECK_EQ(run_workload("--list", out, sizeof(out)), 0);
	CHECK_STR(out, "tlb\nlock\nwake\nhog\nuser\nping\nstream\n");
	test_case_end();
}

int main(void)
{
	test_parse_seconds();
	test_parse_count();
	test_parse_args();
	test_bucket_edges();
	test_percentiles();
	test_result_line();
	test_result_fits_console();
	test_smoke();
	return test_summary("test_workloads");
}
