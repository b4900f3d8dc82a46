/*
 * tests/host/test_cmdline.c - host tests of the hypervisor command-line
 * parser (kernel/cmdline.h): cmdline_parse, cmdline_get,
 * cmdline_parse_number and cmdline_get_number.
 *
 * Table-driven: each parse row is an input and either the expected
 * `key=value` entries in order or the expected error text with its column;
 * each number row is a command line, a key, a fallback and a maximum, and
 * the expected value or error. Generated rows cover the 64-word and
 * 1024-byte limits at their boundaries. Every row counts as one case.
 *
 * Lock order: none (single-threaded).
 */
#include "kernel/cmdline.h"

#include <stdlib.h>

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_EXPECTED 6

struct parse_case {
	const char *name;
	const char *input;
	const char *error; /* exact expected error text, NULL on success */
	unsigned count;
	const char *keys[MAX_EXPECTED];
	const char *values[MAX_EXPECTED];
};

static const struct parse_case parse_cases[] = {
    {"empty line", "", NULL, 0, {NULL}, {NULL}},
    {"only blanks", " \t\r\n  ", NULL, 0, {NULL}, {NULL}},
    {"bare key", "verbose", NULL, 1, {"verbose"}, {""}},
    {"key with value", "cpus=4", NULL, 1, {"cpus"}, {"4"}},
    {"several words",
     "sched=credit cpus=4 verbose",
     NULL,
     3,
     {"sched", "cpus", "verbose"},
     {"credit", "4", ""}},
    {"leading, trailing and repeated blanks",
     "  a=1 \t\n b=2\r  ",
     NULL,
     2,
     {"a", "b"},
     {"1", "2"}},
    {"every key character", "Az09_.-=x", NULL, 1, {"Az09_.-"}, {"x"}},
    {"empty value", "log=", NULL, 1, {"log"}, {""}},
    {"empty quoted value", "log=\"\" x", NULL, 2, {"log", "x"}, {"", ""}},
    {"quoted value with blanks",
     "name=\"two words\" cpus=2",
     NULL,
     2,
     {"name", "cpus"},
     {"two words", "2"}},
    {"quoted value at the end", "name=\"a b\"", NULL, 1, {"name"}, {"a b"}},
    {"quoted value with a tab and an equals sign", "v=\"a\tb=c\"", NULL, 1, {"v"}, {"a\tb=c"}},
    {"equals sign inside an unquoted value", "k=a=b", NULL, 1, {"k"}, {"a=b"}},
    {"unquoted value with punctuation",
     "path=/boot/guest.elf,ro",
     NULL,
     1,
     {"path"},
     {"/boot/guest.elf,ro"}},
    {"keys differing in case are distinct", "a=1 A=2", NULL, 2, {"a", "A"}, {"1", "2"}},

    {"word starting with an equals sign",
     "=x",
     "column 1: expected a key, found '='",
     0,
     {NULL},
     {NULL}},
    {"equals sign after a blank", "a =1", "column 3: expected a key, found '='", 0, {NULL}, {NULL}},
    {"GRUB-quoted bare key", "\"a\"", NULL, 1, {"a"}, {""}},
    {"GRUB-quoted word with blanks",
     "x=1 \"console_script=xl list; xl exits\" y",
     NULL,
     3,
     {"x", "console_script", "y"},
     {"1", "xl list; xl exits", ""}},
    {"GRUB-quoted word with escaped quote and backslash",
     "\"k=say \\\"hi\\\" \\\\ done\"",
     NULL,
     1,
     {"k"},
     {"say \"hi\" \\ done"}},
    {"GRUB-quoted word without its closing quote",
     "\"k=a b",
     "column 7: unterminated quote",
     0,
     {NULL},
     {NULL}},
    {"GRUB-quoted word glued to the next",
     "\"k=a\"b",
     "column 6: expected a blank after the closing quote",
     0,
     {NULL},
     {NULL}},
    {"quote alone", "\"", "column 2: expected a key, found the end of the line", 0, {NULL}, {NULL}},
    {"bad character in a key",
     "a!b=1",
     "column 2: character '!' is not allowed in a key",
     0,
     {NULL},
     {NULL}},
    {"bad character in a later key",
     "ok=1 ke:y",
     "column 8: character ':' is not allowed in a key",
     0,
     {NULL},
     {NULL}},
    {"quote right after a key",
     "a\"b\"",
     "column 2: character '\"' is not allowed in a key",
     0,
     {NULL},
     {NULL}},
    {"unterminated quote", "k=\"abc", "column 7: unterminated quote", 0, {NULL}, {NULL}},
    {"unterminated quote after other words",
     "a=1 k=\"x y",
     "column 11: unterminated quote",
     0,
     {NULL},
     {NULL}},
    {"text glued to a closing quote",
     "k=\"a\"b",
     "column 6: expected a blank after the closing quote",
     0,
     {NULL},
     {NULL}},
    {"quote inside an unquoted value",
     "k=a\"b",
     "column 4: quote inside an unquoted value",
     0,
     {NULL},
     {NULL}},
    {"duplicate key", "a=1 a=2", "column 5: duplicate key \"a\"", 0, {NULL}, {NULL}},
    {"duplicate bare key", "x y x", "column 5: duplicate key \"x\"", 0, {NULL}, {NULL}},
};

static void check_parse_result(struct cmdline *line, const char *input, const char *expected_error,
                               unsigned count, const char *const *keys, const char *const *values)
{
	char error[160];
	memset(error, 'X', sizeof(error));
	int result = cmdline_parse(line, input, error, sizeof(error));
	if (expected_error) {
		CHECK_EQ(result, -1);
		CHECK_STR(error, expected_error);
		CHECK_EQ(line->count, 0);
		return;
	}
	CHECK_EQ(result, 0);
	CHECK_STR(error, "");
	CHECK_EQ(line->count, count);
	for (unsigned i = 0; i < count && i < line->count; i++) {
		CHECK_STR(line->entries[i].key, keys[i]);
		CHECK_STR(line->entries[i].value, values[i]);
		CHECK_STR(cmdline_get(line, keys[i]), values[i]);
	}
}

static void test_parse_table(void)
{
	static struct cmdline line;
	for (size_t i = 0; i < ARRAY_LENGTH(parse_cases); i++) {
		const struct parse_case *row = &parse_cases[i];
		test_case_begin(row->name);
		check_parse_result(&line, row->input, row->error, row->count, row->keys,
		                   row->values);
		test_case_end();
	}
}

/*
 * Limits, generated: `words` words "kN=v" (N from 0), or one word "k=" with
 * `value_length` 'x' characters.
 */
struct limit_case {
	const char *name;
	unsigned words;
	size_t value_length;
	const char *error; /* substring; NULL on success */
};

static const struct limit_case limit_cases[] = {
    {"64 words fit", CMDLINE_MAX_ENTRIES, 0, NULL},
    {"65 words are refused", CMDLINE_MAX_ENTRIES + 1, 0, "more than 64 words"},
    /* storage: key (1) + NUL + value + NUL must fit in 1024 bytes */
    {"value filling the storage exactly", 0, CMDLINE_BUFFER_SIZE - 3, NULL},
    {"value one byte too long", 0, CMDLINE_BUFFER_SIZE - 2, "command line longer than 1024 bytes"},
    {"value far too long", 0, 4000, "command line longer than 1024 bytes"},
};

static void test_limits(void)
{
	static struct cmdline line;
	for (size_t i = 0; i < ARRAY_LENGTH(limit_cases); i++) {
		const struct limit_case *row = &limit_cases[i];
		test_case_begin(row->name);
		size_t size = (size_t)row->words * 8 + row->value_length + 8;
		char *text = malloc(size);
		size_t n = 0;
		if (row->words) {
			for (unsigned w = 0; w < row->words; w++)
				n += (size_t)snprintf(text + n, size - n, "k%u=v ", w);
		} else {
			n += (size_t)snprintf(text, size, "k=");
			memset(text + n, 'x', row->value_length);
			n += row->value_length;
		}
		text[n] = '\0';
		char error[160];
		int result = cmdline_parse(&line, text, error, sizeof(error));
		if (row->error) {
			CHECK_EQ(result, -1);
			CHECK_CONTAINS(error, row->error);
			CHECK_EQ(line.count, 0);
			if (row->words) /* the column of the first word too many */
				CHECK_CONTAINS(error, "column 375:");
		} else {
			CHECK_EQ(result, 0);
			CHECK_EQ(line.count, row->words ? row->words : 1);
			if (row->words) {
				CHECK_STR(cmdline_get(&line, "k0"), "v");
				CHECK_STR(cmdline_get(&line, "k63"), "v");
			} else {
				CHECK_EQ(strlen(cmdline_get(&line, "k")), row->value_length);
			}
		}
		free(text);
		test_case_end();
	}
}

/* The error text is truncated to the buffer and always terminated. */
struct error_buffer_case {
	const char *name;
	size_t size;
	const char *expected;
};

static const struct error_buffer_case error_buffer_cases[] = {
    {"error buffer of size 0 is not touched", 0, NULL},
    {"error buffer of 1 byte holds only the terminator", 1, ""},
    {"error buffer shorter than the column prefix", 5, "colu"},
    {"error buffer just past the column prefix", 12, "column 1: e"},
    {"error buffer exactly the message length", 36, "column 1: expected a key, found '='"},
};

static void test_error_buffer(void)
{
	static struct cmdline line;
	for (size_t i = 0; i < ARRAY_LENGTH(error_buffer_cases); i++) {
		const struct error_buffer_case *row = &error_buffer_cases[i];
		test_case_begin(row->name);
		/* exactly `size` bytes so that ASan sees any write past it */
		char *error = row->size ? malloc(row->size) : NULL;
		if (error)
			memset(error, 'X', row->size);
		CHECK_EQ(cmdline_parse(&line, "=x", error, row->size), -1);
		if (row->expected)
			CHECK_STR(error, row->expected);
		free(error);
		test_case_end();
	}
}

static void test_get(void)
{
	static struct cmdline line;
	test_case_begin("cmdline_get: present, bare, absent, prefix of a key");
	CHECK_EQ(cmdline_parse(&line, "cpus=4 verbose", NULL, 0), 0);
	CHECK_STR(cmdline_get(&line, "cpus"), "4");
	CHECK_STR(cmdline_get(&line, "verbose"), "");
	CHECK(cmdline_get(&line, "sched") == NULL);
	CHECK(cmdline_get(&line, "cpu") == NULL);
	CHECK(cmdline_get(&line, "cpus=4") == NULL);
	test_case_end();

	test_case_begin("cmdline_get: a failed parse leaves no entries");
	CHECK_EQ(cmdline_parse(&line, "cpus=4 bad!", NULL, 0), -1);
	CHECK(cmdline_get(&line, "cpus") == NULL);
	test_case_end();
}

struct number_case {
	const char *name;
	const char *text;
	int result;
	uint64_t value;
};

static const struct number_case number_cases[] = {
    {"decimal zero", "0", 0, 0},
    {"decimal", "42", 0, 42},
    {"decimal with leading zeros", "007", 0, 7},
    {"hex lower case", "0x1f", 0, 31},
    {"hex upper case prefix and digits", "0XAbC", 0, 0xabc},
    {"hex zero", "0x0", 0, 0},
    {"largest decimal", "18446744073709551615", 0, UINT64_MAX},
    {"largest hex", "0xffffffffffffffff", 0, UINT64_MAX},
    {"hex with leading zeros", "0x0000000000000000001", 0, 1},
    {"decimal overflow by one", "18446744073709551616", -1, 0},
    {"decimal overflow by many digits", "99999999999999999999999", -1, 0},
    {"hex overflow", "0x10000000000000000", -1, 0},
    {"empty text", "", -1, 0},
    {"prefix without digits", "0x", -1, 0},
    {"minus sign", "-1", -1, 0},
    {"plus sign", "+1", -1, 0},
    {"trailing letter", "12a", -1, 0},
    {"hex digit in decimal", "1f", -1, 0},
    {"bad hex digit", "0x1g", -1, 0},
    {"unit suffix", "64M", -1, 0},
    {"blank inside", "1 2", -1, 0},
};

static void test_parse_number(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(number_cases); i++) {
		const struct number_case *row = &number_cases[i];
		test_case_begin(row->name);
		uint64_t value = 12345;
		CHECK_EQ(cmdline_parse_number(row->text, &value), row->result);
		/* on failure the output is left alone */
		CHECK(value == (row->result == 0 ? row->value : 12345));
		test_case_end();
	}
}

struct get_number_case {
	const char *name;
	const char *line;
	const char *key;
	uint64_t fallback;
	uint64_t maximum;
	int result;
	uint64_t value;    /* expected on success */
	const char *error; /* exact expected error on failure */
};

static const struct get_number_case get_number_cases[] = {
    {"get_number: decimal", "cpus=4", "cpus", 1, 64, 0, 4, NULL},
    {"get_number: hex", "mem=0x2000", "mem", 0, UINT64_MAX, 0, 0x2000, NULL},
    {"get_number: equal to the maximum", "cpus=64", "cpus", 1, 64, 0, 64, NULL},
    {"get_number: full 64 bits", "t=0xffffffffffffffff", "t", 0, UINT64_MAX, 0, UINT64_MAX, NULL},
    {"get_number: absent key gives the fallback", "cpus=4", "slice", 30, 1000, 0, 30, NULL},
    {"get_number: fallback is not checked against the maximum", "", "slice", 5000, 1000, 0, 5000,
     NULL},
    {"get_number: above the maximum", "cpus=65", "cpus", 1, 64, -1, 0, "cpus=65 is larger than 64"},
    {"get_number: hex above the maximum", "cpus=0x41", "cpus", 1, 64, -1, 0,
     "cpus=0x41 is larger than 64"},
    {"get_number: overflow", "t=18446744073709551616", "t", 0, UINT64_MAX, -1, 0,
     "t=\"18446744073709551616\" is not a number"},
    {"get_number: not a number", "cpus=four", "cpus", 1, 64, -1, 0,
     "cpus=\"four\" is not a number"},
    {"get_number: bare key", "cpus", "cpus", 1, 64, -1, 0, "cpus=\"\" is not a number"},
    {"get_number: empty value", "cpus=", "cpus", 1, 64, -1, 0, "cpus=\"\" is not a number"},
    {"get_number: quoted number", "cpus=\"8\"", "cpus", 1, 64, 0, 8, NULL},
    {"get_number: negative", "cpus=-2", "cpus", 1, 64, -1, 0, "cpus=\"-2\" is not a number"},
};

static void test_get_number(void)
{
	static struct cmdline line;
	for (size_t i = 0; i < ARRAY_LENGTH(get_number_cases); i++) {
		const struct get_number_case *row = &get_number_cases[i];
		test_case_begin(row->name);
		char error[128] = "untouched";
		CHECK_EQ(cmdline_parse(&line, row->line, NULL, 0), 0);
		uint64_t value = 777;
		int result = cmdline_get_number(&line, row->key, row->fallback, row->maximum,
		                                &value, error, sizeof(error));
		CHECK_EQ(result, row->result);
		if (row->result == 0) {
			CHECK(value == row->value);
			CHECK_STR(error, "untouched");
		} else {
			CHECK_EQ(value, 777);
			CHECK_STR(error, row->error);
		}
		test_case_end();
	}
}

int main(void)
{
	test_parse_table();
	test_limits();
	test_error_buffer();
	test_get();
	test_parse_number();
	test_get_number();
	return test_summary("test_cmdline");
}
