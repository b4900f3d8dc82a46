/*
 * tests/host/test_vmx_summary.c - host tests of the run summary's pure
 * formatting (vmx/summary_format.c): durations in ns/us/ms/s with three
 * significant digits, and RESULT texts in tick and ns units turned into
 * "workload N ops/s, mean ..., p50 ..." lines.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/summary.h"

#include <string.h>

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

static void test_duration(void)
{
	static const struct {
		uint64_t ns;
		const char *expect;
	} rows[] = {
	    {0, "0 ns"},
	    {999, "999 ns"},
	    {1000, "1.00 us"},
	    {1234, "1.23 us"},
	    {12345, "12.3 us"},
	    {123456, "123 us"},
	    {999999, "1000 us"}, /* rounds within the unit */
	    {1000000, "1.00 ms"},
	    {4900000, "4.90 ms"},
	    {41900000, "41.9 ms"},
	    {2111000000, "2.11 s"},
	    {600000000000ull, "600 s"},
	};
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		test_case_begin("duration");
		char buffer[32];
		size_t n = summary_format_duration(rows[i].ns, buffer, sizeof(buffer));
		if (strcmp(buffer, rows[i].expect) != 0)
			fprintf(stderr, "row %u: \"%s\"\n", i, buffer);
		CHECK(strcmp(buffer, rows[i].expect) == 0);
		CHECK_EQ(n, strlen(rows[i].expect));
		test_case_end();
	}
}

static void test_result(void)
{
	static const struct {
		const char *result;
		uint64_t default_khz;
		const char *expect;
	} rows[] = {
	    /* testos: ticks at the line's own tsc_khz (50,000 ticks = 1 ms) */
	    {"workload=hog vcpus=4 ops=1539 ops_per_s=744 mean=100000 p50=245759 p99=458751 "
	     "p999=1 max=3454945 unit=tsc_ticks tsc_khz=50000 check=1539 consistent=1",
	     1, "hog 744 ops/s, mean 2.00 ms, p50 4.92 ms, p99 9.18 ms, max 69.1 ms"},
	    /* no tsc_khz: the host's rate */
	    {"workload=lock ops_per_s=10 p50=50 unit=tsc_ticks", 50000,
	     "lock 10 ops/s, p50 1.00 us"},
	    /* Linux: ns */
	    {"workload=tlb threads=4 ops_per_s=3125 mean=28000 p50=27000 p99=90000 max=6354000 "
	     "unit=ns check=pass",
	     0, "tlb 3125 ops/s, mean 28.0 us, p50 27.0 us, p99 90.0 us, max 6.35 ms"},
	    {"workload=tlb check=fail reason=unknown", 0, "tlb, check FAIL"},
	    {"workload=shootdown ops_per_s=5 consistent=0", 0, "shootdown 5 ops/s, check FAIL"},
	    /* a mode line without units keeps the numbers as they are */
	    {"mode=hostile-msr survived=1 max=7", 0, "hostile-msr, max 7"},
	    {"cases=12 failed=0", 0, "result"},
	    /* ticks without any rate: numbers as they are */
	    {"workload=x p50=9 unit=tsc_ticks", 0, "x, p50 9"},
	};
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		test_case_begin("result");
		char buffer[200];
		summary_format_result(rows[i].result, rows[i].default_khz, buffer, sizeof(buffer));
		if (strcmp(buffer, rows[i].expect) != 0)
			fprintf(stderr, "row %u: \"%s\"\n", i, buffer);
		CHECK(strcmp(buffer, rows[i].expect) == 0);
		test_case_end();
	}
	/* A small buffer is cut, never overrun, and terminated. */
	char tiny[8];
	summary_format_result(rows[0].result, 1, tiny, sizeof(tiny));
	CHECK_EQ(strlen(tiny), 7);
}

int main(void)
{
	TEST_RUN(test_duration);
	TEST_RUN(test_result);
	return test_summary("test_vmx_summary");
}
