/*
 * tests/host/test.h - a minimal harness for table-driven host unit tests.
 *
 * Each test binary defines its cases as functions and calls them through
 * TEST_RUN(); CHECK*() record failures with file:line and the values seen,
 * and never abort, so one run reports every broken row of a table.
 * test_summary() prints "NAME: N passed, N failed" and returns the exit
 * status. The top-level Makefile adds the counts of all binaries up.
 *
 * Lock order: none (single-threaded host code).
 */
#ifndef TESTS_HOST_TEST_H
#define TESTS_HOST_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int test_passed_count;
static int test_failed_count;
static int test_current_failed;
static const char *test_current_name;

#define TEST_FAIL_(fmt, ...)                                                                       \
	do {                                                                                       \
		test_current_failed = 1;                                                           \
		fprintf(stderr, "FAIL %s (%s:%d): " fmt "\n", test_current_name, __FILE__,         \
		        __LINE__, __VA_ARGS__);                                                    \
	} while (0)

/* CHECK(cond): a boolean expectation. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			TEST_FAIL_("%s", #cond);                                                   \
	} while (0)

/* CHECK_EQ(a, b): integer equality, printing both values on failure. */
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long test_a_ = (long long)(a);                                                \
		long long test_b_ = (long long)(b);                                                \
		if (test_a_ != test_b_)                                                            \
			TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, test_a_, test_b_);            \
	} while (0)

/* CHECK_STR(a, b): C-string equality (NULL-safe). */
#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *test_sa_ = (a);                                                        \
		const char *test_sb_ = (b);                                                        \
		if (!test_sa_ || !test_sb_ || strcmp(test_sa_, test_sb_) != 0)                     \
			TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b,                           \
			           test_sa_ ? test_sa_ : "(null)",                                 \
			           test_sb_ ? test_sb_ : "(null)");                                \
	} while (0)

/* CHECK_CONTAINS(haystack, needle): substring test for error messages. */
#define CHECK_CONTAINS(h, n)                                                                       \
	do {                                                                                       \
		const char *test_h_ = (h);                                                         \
		if (!test_h_ || !strstr(test_h_, (n)))                                             \
			TEST_FAIL_("\"%s\" should contain \"%s\"", test_h_ ? test_h_ : "(null)",   \
			           (n));                                                           \
	} while (0)

/* TEST_RUN(fn): run one case (a function taking no arguments). */
#define TEST_RUN(fn)                                                                               \
	do {                                                                                       \
		test_current_name = #fn;                                                           \
		test_current_failed = 0;                                                           \
		fn();                                                                              \
		if (test_current_failed)                                                           \
			test_failed_count++;                                                       \
		else                                                                               \
			test_passed_count++;                                                       \
	} while (0)

/* One row of a table as one case: begin before its checks, end after. */
static inline void test_case_begin(const char *name)
{
	test_current_name = name;
	test_current_failed = 0;
}

static inline void test_case_end(void)
{
	test_failed_count += !!test_current_failed;
	test_passed_count += !test_current_failed;
}

static inline int test_summary(const char *binary)
{
	printf("%s: %d passed, %d failed\n", binary, test_passed_count, test_failed_count);
	return test_failed_count ? 1 : 0;
}

#endif /* TESTS_HOST_TEST_H */
