/*
 * tests/host/test_testos_format.c - host tests of testos's formatter
 * (guests/testos/format.c), the one its RESULT lines go through.
 *
 * Table-driven: each row is a format, its arguments and the exact text.
 * Every row also runs with every buffer size from 0 to its length + 1,
 * each buffer allocated with exactly that size (ASan sees a write past
 * it): the output must be the text cut to size - 1 characters, always
 * terminated, and the return value the full length. A number that does
 * not fit used to loop forever (its digits were taken only while there
 * was room): those rows are the regression test, run under `timeout`.
 *
 * Lock order: none (single-threaded).
 */
#include "guests/testos/format.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

/* How a row's arguments are passed. */
enum arguments {
	ARGUMENTS_NONE,
	ARGUMENTS_UNSIGNED,           /* (unsigned)number[0] */
	ARGUMENTS_INT,                /* (int)number[0] */
	ARGUMENTS_LONG_LONG,          /* (long long)number[0] */
	ARGUMENTS_UNSIGNED_LONG_LONG, /* (unsigned long long)number[0] */
	ARGUMENTS_STRING_UNSIGNED,    /* text, (unsigned)number[0] */
	ARGUMENTS_CHAR,               /* (int)number[0] */
};

struct format_case {
	const char *name;
	const char *format;
	enum arguments arguments;
	long long number;
	const char *text;
	const char *expected;
};

static const struct format_case format_cases[] = {
    {"plain", "RESULT ok", ARGUMENTS_NONE, 0, NULL, "RESULT ok"},
    {"unsigned", "ops=%u", ARGUMENTS_UNSIGNED, 4294967295ll, NULL, "ops=4294967295"},
    {"zero", "%u", ARGUMENTS_UNSIGNED, 0, NULL, "0"},
    {"negative int", "d=%d", ARGUMENTS_INT, -42, NULL, "d=-42"},
    {"long long min", "%lld", ARGUMENTS_LONG_LONG, INT64_MIN, NULL, "-9223372036854775808"},
    {"unsigned long long", "ticks=%llu", ARGUMENTS_UNSIGNED_LONG_LONG, -1ll, NULL,
     "ticks=18446744073709551615"},
    {"hex", "0x%llx", ARGUMENTS_UNSIGNED_LONG_LONG, 0xfee00000ll, NULL, "0xfee00000"},
    {"string then number", "mode=%s n=%u", ARGUMENTS_STRING_UNSIGNED, 7, "lock", "mode=lock n=7"},
    {"char", "[%c]", ARGUMENTS_CHAR, 'x', NULL, "[x]"},
    {"unknown conversion", "%q%%", ARGUMENTS_NONE, 0, NULL, "%q%%"},
};

static size_t format_row(char *buffer, size_t size, const struct format_case *row)
{
	switch (row->arguments) {
	case ARGUMENTS_NONE:
		return testos_format_to(buffer, size, row->format, 0);
	case ARGUMENTS_UNSIGNED:
		return testos_format_to(buffer, size, row->format, (unsigned)row->number);
	case ARGUMENTS_INT:
	case ARGUMENTS_CHAR:
		return testos_format_to(buffer, size, row->format, (int)row->number);
	case ARGUMENTS_LONG_LONG:
		return testos_format_to(buffer, size, row->format, row->number);
	case ARGUMENTS_UNSIGNED_LONG_LONG:
		return testos_format_to(buffer, size, row->format, (unsigned long long)row->number);
	case ARGUMENTS_STRING_UNSIGNED:
		return testos_format_to(buffer, size, row->format, row->text,
		                        (unsigned)row->number);
	}
	return 0;
}

/* One row at every buffer size 0 .. length + 1. */
static void format_case_run(const struct format_case *row)
{
	test_case_begin(row->name);
	size_t length = strlen(row->expected);
	for (size_t size = 0; size <= length + 1; size++) {
		char *buffer = malloc(size ? size : 1);
		if (!buffer)
			abort();
		size_t n = format_row(size ? buffer : NULL, size, row);
		CHECK_EQ(n, length);
		if (size) {
			size_t kept = size - 1 < length ? size - 1 : length;
			CHECK_EQ(strlen(buffer), kept);
			CHECK(strncmp(buffer, row->expected, kept) == 0);
		}
		free(buffer);
	}
	test_case_end();
}

/* A RESULT-shaped line longer than its buffer: the numbers past the end
 * are still consumed, the text is cut, the length is the whole line's. */
static void test_long_result_line(void)
{
	char buffer[32];
	size_t n = testos_format_to(buffer, sizeof(buffer),
	                            "workload=%s ops=%llu ticks=%llu max=%llu warmup=%llu",
	                            "shootdown", 10616ull, 479954075ull, 30429015ull, 50505100ull);
	const char *whole = "workload=shootdown ops=10616 ticks=479954075 max=30429015 "
	                    "warmup=50505100";
	CHECK_EQ(n, strlen(whole));
	CHECK_EQ(strlen(buffer), sizeof(buffer) - 1);
	CHECK(strncmp(buffer, whole, sizeof(buffer) - 1) == 0);
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(format_cases); i++)
		format_case_run(&format_cases[i]);
	TEST_RUN(test_long_result_line);
	return test_summary("test_testos_format");
}
