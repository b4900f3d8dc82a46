/*
 * tests/host/test_format.c - host tests of the freestanding formatter and
 * string functions (kernel/string.h): format_string, string_copy, and the
 * kernel's own memcpy ... strchr.
 *
 * kernel/string.c is linked as build/host/foundation/kernel_string.o with
 * the C library names renamed to kernel_NAME (see tests/host/foundation.mk),
 * so this file declares and calls kernel_memcpy etc. directly.
 *
 * Table-driven: each format row is a format, its arguments and the exact
 * expected text. Every row is also run with every buffer size from 0 to
 * its length + 1, each buffer allocated with exactly that size (ASan sees
 * a write past it): the output must be the expected text cut to size - 1
 * characters, always terminated, and the return value the full length.
 * Every row counts as one case.
 *
 * Lock order: none (single-threaded).
 */
#include "kernel/string.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/host/test.h"

void *kernel_memcpy(void *destination, const void *source, size_t count);
void *kernel_memmove(void *destination, const void *source, size_t count);
void *kernel_memset(void *destination, int value, size_t count);
int kernel_memcmp(const void *a, const void *b, size_t count);
size_t kernel_strlen(const char *s);
size_t kernel_strnlen(const char *s, size_t max);
int kernel_strcmp(const char *a, const char *b);
int kernel_strncmp(const char *a, const char *b, size_t count);
char *kernel_strchr(const char *s, int c);

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

/* How a row's arguments are passed (the format is not a literal). */
enum arguments {
	ARGUMENTS_NONE,
	ARGUMENTS_INT,       /* (int)number[0] */
	ARGUMENTS_UNSIGNED,  /* (unsigned)number[0] */
	ARGUMENTS_LONG,      /* (long)number[0] */
	ARGUMENTS_LONG_LONG, /* (long long)number[0] */
	ARGUMENTS_UNSIGNED_LONG_LONG,
	ARGUMENTS_SIZE,        /* (size_t)number[0] */
	ARGUMENTS_STRING,      /* text */
	ARGUMENTS_POINTER,     /* (void *)(uintptr_t)number[0] */
	ARGUMENTS_INT_INT,     /* number[0], number[1] */
	ARGUMENTS_INT_INT_INT, /* number[0], number[1], number[2] */
	ARGUMENTS_INT_STRING,  /* number[0], text */
	ARGUMENTS_STRING_INT_UNSIGNED,
};

struct format_case {
	const char *name;
	const char *format;
	enum arguments arguments;
	long long number[3];
	const char *text;
	const char *expected;
};

static const struct format_case format_cases[] = {
    {"plain text", "hello, world", ARGUMENTS_NONE, {0}, NULL, "hello, world"},
    {"empty format", "", ARGUMENTS_NONE, {0}, NULL, ""},
    {"percent sign", "100%%", ARGUMENTS_NONE, {0}, NULL, "100%"},
    {"lone percent at the end", "100%", ARGUMENTS_NONE, {0}, NULL, "100"},
    {"length modifier at the end", "x%ll", ARGUMENTS_NONE, {0}, NULL, "x"},
    {"width at the end", "x%5", ARGUMENTS_NONE, {0}, NULL, "x"},
    {"flag at the end", "x%-", ARGUMENTS_NONE, {0}, NULL, "x"},
    {"unknown conversion", "%q!", ARGUMENTS_NONE, {0}, NULL, "%q!"},

    {"%d zero", "%d", ARGUMENTS_INT, {0}, NULL, "0"},
    {"%d positive", "[%d]", ARGUMENTS_INT, {42}, NULL, "[42]"},
    {"%d negative", "%d", ARGUMENTS_INT, {-42}, NULL, "-42"},
    {"%d INT_MAX", "%d", ARGUMENTS_INT, {INT_MAX}, NULL, "2147483647"},
    {"%d INT_MIN", "%d", ARGUMENTS_INT, {INT_MIN}, NULL, "-2147483648"},
    {"%i", "%i", ARGUMENTS_INT, {-7}, NULL, "-7"},
    {"%u UINT_MAX", "%u", ARGUMENTS_UNSIGNED, {UINT_MAX}, NULL, "4294967295"},
    {"%x", "%x", ARGUMENTS_UNSIGNED, {0xdeadbeef}, NULL, "deadbeef"},
    {"%X", "%X", ARGUMENTS_UNSIGNED, {0xdeadbeef}, NULL, "DEADBEEF"},
    {"%o", "%o", ARGUMENTS_UNSIGNED, {8}, NULL, "10"},
    {"%x zero", "%x", ARGUMENTS_UNSIGNED, {0}, NULL, "0"},
    {"%ld negative", "%ld", ARGUMENTS_LONG, {-1}, NULL, "-1"},
    {"%lx", "%lx", ARGUMENTS_LONG, {0x123456789a}, NULL, "123456789a"},
    {"%lld INT64_MIN", "%lld", ARGUMENTS_LONG_LONG, {INT64_MIN}, NULL, "-9223372036854775808"},
    {"%lld INT64_MAX", "%lld", ARGUMENTS_LONG_LONG, {INT64_MAX}, NULL, "9223372036854775807"},
    {"%llu UINT64_MAX", "%llu", ARGUMENTS_UNSIGNED_LONG_LONG, {-1}, NULL, "18446744073709551615"},
    {"%llx",
     "%llx",
     ARGUMENTS_UNSIGNED_LONG_LONG,
     {(long long)0xdeadbeefcafebabeull},
     NULL,
     "deadbeefcafebabe"},
    {"%llo UINT64_MAX (22 digits)",
     "%llo",
     ARGUMENTS_UNSIGNED_LONG_LONG,
     {-1},
     NULL,
     "1777777777777777777777"},
    {"%zu", "%zu", ARGUMENTS_SIZE, {123456789}, NULL, "123456789"},
    {"%hd wraps to short", "%hd", ARGUMENTS_INT, {40000}, NULL, "-25536"},
    {"%hu wraps to unsigned short", "%hu", ARGUMENTS_UNSIGNED, {65537}, NULL, "1"},
    {"%hhd wraps to signed char", "%hhd", ARGUMENTS_INT, {200}, NULL, "-56"},
    {"%hhx wraps to unsigned char", "%hhx", ARGUMENTS_UNSIGNED, {0x1ff}, NULL, "ff"},

    {"width pads on the left", "[%5d]", ARGUMENTS_INT, {42}, NULL, "[   42]"},
    {"'-' pads on the right", "[%-5d]", ARGUMENTS_INT, {42}, NULL, "[42   ]"},
    {"'0' pads with zeros", "%05d", ARGUMENTS_INT, {42}, NULL, "00042"},
    {"'0' puts the sign first", "%05d", ARGUMENTS_INT, {-42}, NULL, "-0042"},
    {"'-' overrides '0'", "[%-05d]", ARGUMENTS_INT, {42}, NULL, "[42   ]"},
    {"width smaller than the number", "%2d", ARGUMENTS_INT, {12345}, NULL, "12345"},
    {"'+' on a positive number", "%+d", ARGUMENTS_INT, {5}, NULL, "+5"},
    {"'+' on a negative number", "%+d", ARGUMENTS_INT, {-5}, NULL, "-5"},
    {"' ' on a positive number", "% d", ARGUMENTS_INT, {5}, NULL, " 5"},
    {"precision adds zeros", "%.3d", ARGUMENTS_INT, {7}, NULL, "007"},
    {"precision on a negative number", "%.3d", ARGUMENTS_INT, {-7}, NULL, "-007"},
    {"width and precision", "[%5.3d]", ARGUMENTS_INT, {7}, NULL, "[  007]"},
    {"precision disables '0'", "[%08.3x]", ARGUMENTS_UNSIGNED, {255}, NULL, "[     0ff]"},
    {"precision 0 and value 0 print nothing", "[%.0d]", ARGUMENTS_INT, {0}, NULL, "[]"},
    {"'#' with %x", "%#x", ARGUMENTS_UNSIGNED, {255}, NULL, "0xff"},
    {"'#' with %X", "%#X", ARGUMENTS_UNSIGNED, {255}, NULL, "0XFF"},
    {"'#' and '0': zeros after the prefix", "%#08x", ARGUMENTS_UNSIGNED, {255}, NULL, "0x0000ff"},
    {"'#' with width", "[%#8x]", ARGUMENTS_UNSIGNED, {255}, NULL, "[    0xff]"},
    {"16 hex digits with zeros",
     "%016llx",
     ARGUMENTS_UNSIGNED_LONG_LONG,
     {0x1234},
     NULL,
     "0000000000001234"},
    {"'*' width", "[%*d]", ARGUMENTS_INT_INT, {5, 42}, NULL, "[   42]"},
    {"negative '*' width pads on the right", "[%*d]", ARGUMENTS_INT_INT, {-5, 42}, NULL, "[42   ]"},
    {"'*' precision", "%.*d", ARGUMENTS_INT_INT, {4, 7}, NULL, "0007"},
    {"'*' width and precision", "[%*.*d]", ARGUMENTS_INT_INT_INT, {6, 3, 7}, NULL, "[   007]"},

    {"%c", "[%c]", ARGUMENTS_INT, {'x'}, NULL, "[x]"},
    {"%c with width", "[%3c]", ARGUMENTS_INT, {'x'}, NULL, "[  x]"},
    {"%c with '-'", "[%-3c]", ARGUMENTS_INT, {'x'}, NULL, "[x  ]"},
    {"%s", "<%s>", ARGUMENTS_STRING, {0}, "hello", "<hello>"},
    {"%s empty", "<%s>", ARGUMENTS_STRING, {0}, "", "<>"},
    {"%s NULL", "%s", ARGUMENTS_STRING, {0}, NULL, "(null)"},
    {"%s with width", "[%8s]", ARGUMENTS_STRING, {0}, "hello", "[   hello]"},
    {"%s with '-'", "[%-8s]", ARGUMENTS_STRING, {0}, "hello", "[hello   ]"},
    {"%s with precision", "[%.3s]", ARGUMENTS_STRING, {0}, "hello", "[hel]"},
    {"%s with width and precision", "[%6.2s]", ARGUMENTS_STRING, {0}, "hello", "[    he]"},
    {"%s precision longer than the string", "[%.10s]", ARGUMENTS_STRING, {0}, "hi", "[hi]"},
    {"%.*s", "[%.*s]", ARGUMENTS_INT_STRING, {2}, "abcdef", "[ab]"},
    {"%.*s negative precision means none", "[%.*s]", ARGUMENTS_INT_STRING, {-1}, "abc", "[abc]"},
    {"%p", "%p", ARGUMENTS_POINTER, {0x1000}, NULL, "0x1000"},
    {"%p NULL", "%p", ARGUMENTS_POINTER, {0}, NULL, "0x0"},
    {"%p high address",
     "%p",
     ARGUMENTS_POINTER,
     {(long long)0xffff800000001000ull},
     NULL,
     "0xffff800000001000"},
    {"%p with width", "[%10p]", ARGUMENTS_POINTER, {0xabc}, NULL, "[     0xabc]"},
    {"several conversions",
     "%s=%d/%u",
     ARGUMENTS_STRING_INT_UNSIGNED,
     {-3, 4000000000},
     "cpus",
     "cpus=-3/4000000000"},
};

static int format_row(char *buffer, size_t size, const struct format_case *row)
{
	const long long *n = row->number;
	switch (row->arguments) {
	case ARGUMENTS_NONE:
		return format_string(buffer, size, row->format, 0);
	case ARGUMENTS_INT:
		return format_string(buffer, size, row->format, (int)n[0]);
	case ARGUMENTS_UNSIGNED:
		return format_string(buffer, size, row->format, (unsigned)n[0]);
	case ARGUMENTS_LONG:
		return format_string(buffer, size, row->format, (long)n[0]);
	case ARGUMENTS_LONG_LONG:
		return format_string(buffer, size, row->format, n[0]);
	case ARGUMENTS_UNSIGNED_LONG_LONG:
		return format_string(buffer, size, row->format, (unsigned long long)n[0]);
	case ARGUMENTS_SIZE:
		return format_string(buffer, size, row->format, (size_t)n[0]);
	case ARGUMENTS_STRING:
		return format_string(buffer, size, row->format, row->text);
	case ARGUMENTS_POINTER:
		return format_string(buffer, size, row->format, (void *)(uintptr_t)n[0]);
	case ARGUMENTS_INT_INT:
		return format_string(buffer, size, row->format, (int)n[0], (int)n[1]);
	case ARGUMENTS_INT_INT_INT:
		return format_string(buffer, size, row->format, (int)n[0], (int)n[1], (int)n[2]);
	case ARGUMENTS_INT_STRING:
		return format_string(buffer, size, row->format, (int)n[0], row->text);
	case ARGUMENTS_STRING_INT_UNSIGNED:
		return format_string(buffer, size, row->format, row->text, (int)n[0],
		                     (unsigned)n[1]);
	}
	return -1;
}

static void test_format_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(format_cases); i++) {
		const struct format_case *row = &format_cases[i];
		test_case_begin(row->name);
		size_t length = strlen(row->expected);
		char full[128];
		CHECK_EQ(format_row(full, sizeof(full), row), length);
		CHECK_STR(full, row->expected);
		/* every buffer size, each buffer exactly that large */
		for (size_t size = 0; size <= length + 1; size++) {
			char *buffer = size ? malloc(size) : NULL;
			if (buffer)
				memset(buffer, '#', size);
			CHECK_EQ(format_row(buffer, size, row), length);
			if (buffer) {
				size_t kept = length < size - 1 ? length : size - 1;
				CHECK(memcmp(buffer, row->expected, kept) == 0);
				CHECK_EQ(buffer[kept], '\0');
			}
			free(buffer);
		}
		test_case_end();
	}
}

static void test_format_special(void)
{
	test_case_begin("%.3s reads no further than the precision");
	char *unterminated = malloc(3); /* "abc" without a terminator */
	memcpy(unterminated, "abc", 3);
	char buffer[16];
	CHECK_EQ(format_string(buffer, sizeof(buffer), "[%.3s]", unterminated), 5);
	CHECK_STR(buffer, "[abc]");
	free(unterminated);
	test_case_end();

	test_case_begin("output far longer than the buffer");
	char small[8];
	CHECK_EQ(format_string(small, sizeof(small), "%300d|%s", 1, "tail"), 305);
	CHECK_STR(small, "       ");
	test_case_end();

	test_case_begin("format_string_va through a wrapper");
	CHECK_EQ(format_string(buffer, sizeof(buffer), "%s-%c-%x", "a", 'b', 12), 5);
	CHECK_STR(buffer, "a-b-c");
	test_case_end();
}

struct copy_case {
	const char *name;
	const char *source;
	size_t size;
	const char *expected; /* NULL: the destination is not touched */
};

static const struct copy_case copy_cases[] = {
    {"string_copy into 0 bytes", "hello", 0, NULL},
    {"string_copy into 1 byte", "hello", 1, ""},
    {"string_copy truncates", "hello", 4, "hel"},
    {"string_copy exact fit", "hello", 6, "hello"},
    {"string_copy into a larger buffer", "hello", 32, "hello"},
    {"string_copy of an empty string", "", 4, ""},
};

static void test_string_copy(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(copy_cases); i++) {
		const struct copy_case *row = &copy_cases[i];
		test_case_begin(row->name);
		char *destination = row->size ? malloc(row->size) : NULL;
		CHECK_EQ(string_copy(destination, row->source, row->size), strlen(row->source));
		if (row->expected)
			CHECK_STR(destination, row->expected);
		free(destination);
		test_case_end();
	}
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

struct compare_case {
	const char *name;
	const char *a;
	const char *b;
	size_t count; /* for kernel_strncmp and kernel_memcmp */
	int strcmp_sign;
	int strncmp_sign;
};

static const struct compare_case compare_cases[] = {
    {"compare equal", "abc", "abc", 4, 0, 0},
    {"compare less", "abc", "abd", 4, -1, -1},
    {"compare greater", "abd", "abc", 4, 1, 1},
    {"compare prefix is less", "ab", "abc", 3, -1, -1},
    {"compare differing after count", "abcx", "abcy", 3, -1, 0},
    {"compare count 0", "a", "b", 0, -1, 0},
    {"compare bytes above 0x7f as unsigned", "\xff", "a", 2, 1, 1},
};

static void test_compare(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(compare_cases); i++) {
		const struct compare_case *row = &compare_cases[i];
		test_case_begin(row->name);
		CHECK_EQ(sign(kernel_strcmp(row->a, row->b)), row->strcmp_sign);
		CHECK_EQ(sign(kernel_strncmp(row->a, row->b, row->count)), row->strncmp_sign);
		size_t bytes = row->count;
		if (bytes > strlen(row->a) + 1)
			bytes = strlen(row->a) + 1;
		if (bytes > strlen(row->b) + 1)
			bytes = strlen(row->b) + 1;
		CHECK_EQ(sign(kernel_memcmp(row->a, row->b, bytes)),
		         sign(memcmp(row->a, row->b, bytes)));
		test_case_end();
	}
}

static void test_memory_functions(void)
{
	char buffer[16];

	test_case_begin("kernel_memmove forward overlap");
	memcpy(buffer, "0123456789", 11);
	CHECK(kernel_memmove(buffer + 2, buffer, 5) == buffer + 2);
	CHECK_STR(buffer, "0101234789");
	test_case_end();

	test_case_begin("kernel_memmove backward overlap");
	memcpy(buffer, "0123456789", 11);
	kernel_memmove(buffer, buffer + 3, 5);
	CHECK_STR(buffer, "3456756789");
	test_case_end();

	test_case_begin("kernel_memcpy and kernel_memset");
	CHECK(kernel_memset(buffer, 'z', sizeof(buffer)) == buffer);
	CHECK(kernel_memcpy(buffer, "abc", 4) == buffer);
	CHECK_STR(buffer, "abc");
	CHECK_EQ(buffer[4], 'z');
	kernel_memset(buffer, 0x1ff, 2); /* the value is cut to a byte */
	CHECK_EQ((unsigned char)buffer[0], 0xff);
	test_case_end();

	test_case_begin("kernel_strlen and kernel_strnlen");
	CHECK_EQ(kernel_strlen(""), 0);
	CHECK_EQ(kernel_strlen("hello"), 5);
	CHECK_EQ(kernel_strnlen("hello", 3), 3);
	CHECK_EQ(kernel_strnlen("hello", 10), 5);
	char *unterminated = malloc(2);
	memcpy(unterminated, "ab", 2);
	CHECK_EQ(kernel_strnlen(unterminated, 2), 2); /* reads 2 bytes only */
	free(unterminated);
	test_case_end();

	test_case_begin("kernel_strchr");
	const char *text = "a=b";
	CHECK(kernel_strchr(text, '=') == text + 1);
	CHECK(kernel_strchr(text, 'x') == NULL);
	CHECK(kernel_strchr(text, '\0') == text + 3);
	test_case_end();
}

int main(void)
{
	test_format_table();
	test_format_special();
	test_string_copy();
	test_compare();
	test_memory_functions();
	return test_summary("test_format");
}
