/*
 * tests/host/test_classify.c - host tests of the guest symbol tables and
 * the category rules (sched/classify.h).
 *
 * Table-driven: malformed maps and rules files with their exact line and
 * reason; accepted maps; lookups at the start, middle and last byte of a
 * function, before the first and after the last symbol, on aliases; the
 * built-in Linux 6.x rules on the real Linux 6.1 System.map of
 * tests/fixtures/linux-6.1 and the Linux 4.4 rules on the synthetic map of
 * tests/fixtures/linux-4.4. No address is written here: every RIP is a
 * symbol's address, found by name in the map at run time, plus an offset.
 * Run from the repository root (the fixtures are read by relative path).
 *
 * Lock order: none (single-threaded).
 */
#include <stdlib.h>

#include "sched/classify.h"
#include "tests/host/test.h"

static uint8_t arena_memory[8u << 20];

static struct sched_arena fresh_arena(void)
{
	struct sched_arena arena;

	sched_arena_init(&arena, arena_memory, sizeof(arena_memory));
	return arena;
}

/* Parse a NUL-terminated map; returns the parser's result. */
static int parse_text(struct sched_classifier *classifier, const char *text,
                      struct sched_error *error)
{
	struct sched_arena arena = fresh_arena();

	return sched_classifier_parse_map(classifier, text, strlen(text), "t.map", &arena, error);
}

/* ---- the parser rejects malformed maps ---------------------------------- */

static void test_map_rejects(void)
{
	static char long_name[400];
	static char long_line[100200];
	static char long_name_map[500];
	static const struct {
		const char *text;
		unsigned line;
		const char *message; /* exact */
	} rows[] = {
	    {"ffffz T foo\n", 1, "t.map:1: bad address \"ffffz\""},
	    {"ffffffff81000000 T a\nffffffff81000010\n", 2, "t.map:2: missing symbol type"},
	    {"ffffffff81000000\tT\n", 1, "t.map:1: missing symbol name"},
	    {"1000 T a\r\n\r\n2000 TT b\r\n", 3, "t.map:3: bad symbol type \"TT\""},
	    {"1000 % a\n", 1, "t.map:1: bad symbol type \"%\""},
	    {"1ffffffff81000000 T foo\n", 1,
	     "t.map:1: address longer than 16 digits \"1ffffffff81000000\""},
	    {"0x1000 T foo\n", 1, "t.map:1: bad address \"0x1000\""},
	    {"1000 T foo bar\n", 1, "t.map:1: unexpected text after name \"bar\""},
	    {"1000 T foo [mod] x\n", 1, "t.map:1: unexpected text after module \"x\""},
	    {"1000 T foo []\n", 1, "t.map:1: unexpected text after name \"[]\""},
	    {"1000 T fo\x01o\n", 1, "t.map:1: bad character in name \"fo?o\""},
	    {"1000 T fo\x80o\n", 1, "t.map:1: bad character in name \"fo?o\""},
	    {"1000 D data\n2000 b bss\n", 0, "t.map: no text symbols (types T, t, W)"},
	    {"", 0, "t.map: no text symbols (types T, t, W)"},
	    {"\n\n# only a comment\n", 0, "t.map: no text symbols (types T, t, W)"},
	    {"1000 w undefined_weak\n", 0, "t.map: no text symbols (types T, t, W)"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_classifier classifier;
		struct sched_error error;

		memset(&error, 0, sizeof(error));
		CHECK_EQ(parse_text(&classifier, rows[i].text, &error), -1);
		CHECK_EQ(error.line, rows[i].line);
		CHECK_STR(error.message, rows[i].message);
		CHECK_STR(error.file, "t.map");
	}

	/* A NUL byte inside the text (length given explicitly). */
	{
		static const char text[] = "1000 T a\n20\0000 T b\n";
		struct sched_classifier classifier;
		struct sched_error error;
		struct sched_arena arena = fresh_arena();

		CHECK_EQ(sched_classifier_parse_map(&classifier, text, sizeof(text) - 1, "t.map",
		                                    &arena, &error),
		         -1);
		CHECK_EQ(error.line, 2);
		CHECK_STR(error.message, "t.map:2: bad address \"20?0\"");
		CHECK_EQ(arena.used, 0); /* nothing allocated on failure */
	}

	/* A 256-character name on line 3; the quoted token is cut short. */
	memset(long_name, 'n', 256);
	snprintf(long_name_map, sizeof(long_name_map), "1 T a\n2 T b\n3 T %s\n", long_name);
	{
		struct sched_classifier classifier;
		struct sched_error error;

		CHECK_EQ(parse_text(&classifier, long_name_map, &error), -1);
		CHECK_EQ(error.line, 3);
		CHECK_CONTAINS(error.message, "t.map:3: name longer than 255 characters \"nnnn");
		CHECK_CONTAINS(error.message, "...\"");
	}
	/* 255 characters are fine. */
	long_name[255] = '\0';
	snprintf(long_name_map, sizeof(long_name_map), "1 T %s\n", long_name);
	{
		struct sched_classifier classifier;
		struct sched_error error;

		CHECK_EQ(parse_text(&classifier, long_name_map, &error), 0);
		CHECK_EQ(classifier.count, 1);
	}
	/* A 100,000-character line: an address field far too long. */
	memset(long_line, 'f', 100000);
	memcpy(long_line + 100000, " T x\n", 6);
	{
		struct sched_classifier classifier;
		struct sched_error error;

		CHECK_EQ(parse_text(&classifier, long_line, &error), -1);
		CHECK_EQ(error.line, 1);
		CHECK_CONTAINS(error.message, "t.map:1: address longer than 16 digits \"ffff");
		CHECK(strlen(error.message) < sizeof(error.message));
	}
}

/* ---- the parser accepts well-formed variants ---------------------------- */

static void test_map_accepts(void)
{
	static const struct {
		const char *text;
		size_t count;   /* text symbols   */
		size_t skipped; /* other symbols  */
		unsigned lines;
		uint64_t first; /* lowest address */
		uint64_t last;  /* classifier.last */
	} rows[] = {
	    /* CRLF, blank and blank-only lines, comments, tabs. */
	    {"\r\n1000 T a\r\n  \t \r\n# note\r\n2000\tt\tb\t\r\n", 2, 0, 5, 0x1000,
	     0x2000 + SCHED_CLASSIFY_TAIL_EXTENT - 1},
	    /* No final newline; upper-case hex; W is text, w skipped. */
	    {"ABCD T a\nabce W b\n0 w c", 2, 1, 3, 0xabcd, 0xabce + SCHED_CLASSIFY_TAIL_EXTENT - 1},
	    /* Unsorted; data skipped; data above the text bounds it. */
	    {"3000 t c\n9000 D data\n1000 T a\n2000 T b\n500 d early\n", 3, 2, 5, 0x1000, 0x8fff},
	    /* kallsyms-style module field is accepted and ignored. */
	    {"1000 t foo\t[e1000]\n1100 t bar [e1000]\n", 2, 0, 2, 0x1000,
	     0x1100 + SCHED_CLASSIFY_TAIL_EXTENT - 1},
	    /* Address 0 and the top of the address space. */
	    {"0 T zero\nffffffffffffff00 T top\n", 2, 0, 2, 0, UINT64_MAX},
	    /* A symbol at the very last address still has a 1-byte extent. */
	    {"ffffffffffffffff T very_top\n", 1, 0, 1, UINT64_MAX, UINT64_MAX},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_classifier classifier;
		struct sched_error error;

		if (parse_text(&classifier, rows[i].text, &error) != 0) {
			CHECK_STR(error.message, "(no error)");
			continue;
		}
		CHECK_EQ(classifier.count, rows[i].count);
		CHECK_EQ(classifier.skipped, rows[i].skipped);
		CHECK_EQ(classifier.lines, rows[i].lines);
		CHECK_EQ(classifier.symbols[0].address, rows[i].first);
		CHECK(classifier.last == rows[i].last);
		for (size_t k = 1; k < classifier.count; k++)
			CHECK(classifier.symbols[k - 1].address <= classifier.symbols[k].address);
	}
}

/* ---- lookups ------------------------------------------------------------ */

static const char lookup_map[] = "ffffffff81000200 t second\n"
                                 "ffffffff81000100 T first\n"
                                 "ffffffff81000300 T alias_b\n"
                                 "ffffffff81000300 T alias_a\n"
                                 "ffffffff81000300 T alias_c\n"
                                 "ffffffff81000380 T last\n"
                                 "ffffffff81000400 D data_after\n"
                                 "ffffffff81000180 d data_between\n";

static const struct sched_rule lookup_rule_list[] = {
    SCHED_RULE(SCHED_CATEGORY_CRITICAL, "second"),
    SCHED_RULE(SCHED_CATEGORY_HALT, "alias_a"),
    SCHED_RULE(SCHED_CATEGORY_LOCK_SPIN, "alias_c"),
    SCHED_RULE(SCHED_CATEGORY_IPI_WAIT, "last"),
};

static void test_lookup(void)
{
	static const struct {
		uint64_t rip;
		enum sched_category category;
		const char *name; /* NULL: outside every extent */
		uint64_t offset;
		const char *formatted;
	} rows[] = {
	    {0xffffffff810000ffull, SCHED_CATEGORY_NONE, NULL, 0,
	     "0xffffffff810000ff"}, /* before the first symbol */
	    {0xffffffff81000100ull, SCHED_CATEGORY_NONE, "first", 0, "first"},
	    /* A data symbol does not end a text extent. */
	    {0xffffffff81000180ull, SCHED_CATEGORY_NONE, "first", 0x80, "first+0x80"},
	    {0xffffffff810001ffull, SCHED_CATEGORY_NONE, "first", 0xff,
	     "first+0xff"},                                                          /* last byte */
	    {0xffffffff81000200ull, SCHED_CATEGORY_CRITICAL, "second", 0, "second"}, /* start */
	    {0xffffffff81000280ull, SCHED_CATEGORY_CRITICAL, "second", 0x80,
	     "second+0x80"}, /* middle */
	    {0xffffffff810002ffull, SCHED_CATEGORY_CRITICAL, "second", 0xff,
	     "second+0xff"}, /* last byte */
	    /* Aliases: halt and lock-spin disagree, lock-spin ranks higher. */
	    {0xffffffff81000300ull, SCHED_CATEGORY_LOCK_SPIN, "alias_c", 0, "alias_c"},
	    {0xffffffff8100037full, SCHED_CATEGORY_LOCK_SPIN, "alias_c", 0x7f, "alias_c+0x7f"},
	    {0xffffffff81000380ull, SCHED_CATEGORY_IPI_WAIT, "last", 0, "last"},
	    /* The last extent ends at the data symbol above it. */
	    {0xffffffff810003ffull, SCHED_CATEGORY_IPI_WAIT, "last", 0x7f, "last+0x7f"},
	    {0xffffffff81000400ull, SCHED_CATEGORY_NONE, NULL, 0,
	     "0xffffffff81000400"}, /* after the end */
	    {0, SCHED_CATEGORY_NONE, NULL, 0, "0x0"},
	    {UINT64_MAX, SCHED_CATEGORY_NONE, NULL, 0, "0xffffffffffffffff"},
	};
	static const struct sched_rules rules = {
	    .name = "lookup",
	    .rules = lookup_rule_list,
	    .count = sizeof(lookup_rule_list) / sizeof(lookup_rule_list[0]),
	};
	struct sched_classifier classifier;
	struct sched_error error;

	if (parse_text(&classifier, lookup_map, &error) != 0) {
		CHECK_STR(error.message, "(no error)");
		return;
	}
	CHECK_EQ(classifier.count, 6);
	CHECK_EQ(classifier.addresses, 4);
	CHECK_EQ(classifier.skipped, 2);
	sched_classifier_apply(&classifier, &rules);
	CHECK_EQ(classifier.classified[SCHED_CATEGORY_NONE], 1);
	CHECK_EQ(classifier.classified[SCHED_CATEGORY_CRITICAL], 1);
	CHECK_EQ(classifier.classified[SCHED_CATEGORY_LOCK_SPIN], 1);
	CHECK_EQ(classifier.classified[SCHED_CATEGORY_IPI_WAIT], 1);
	CHECK_EQ(classifier.classified[SCHED_CATEGORY_HALT], 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_lookup found;
		char text[64];
		bool hit = sched_classifier_lookup_symbol(&classifier, rows[i].rip, &found);

		CHECK_EQ(sched_classifier_lookup(&classifier, rows[i].rip), rows[i].category);
		CHECK_EQ(hit, rows[i].name != NULL);
		if (hit && rows[i].name) {
			CHECK_STR(found.name, rows[i].name);
			CHECK_EQ(found.offset, rows[i].offset);
			CHECK_EQ(found.category, rows[i].category);
		}
		CHECK_EQ(sched_classifier_format_rip(&classifier, rows[i].rip, text, sizeof(text)),
		         strlen(rows[i].formatted));
		CHECK_STR(text, rows[i].formatted);
	}

	/* Unclassified aliases: the first name in sort order represents. */
	{
		static const struct sched_rules empty = {"empty", NULL, 0};
		struct sched_lookup found;
		uint64_t address = 0;

		sched_classifier_apply(&classifier, &empty);
		CHECK(sched_classifier_lookup_symbol(&classifier, 0xffffffff81000300ull, &found));
		CHECK_STR(found.name, "alias_a");
		CHECK_EQ(found.size, 0x80);
		CHECK_EQ(classifier.classified[SCHED_CATEGORY_NONE], 4);
		CHECK_EQ(sched_classifier_find(&classifier, "alias_b", &address), 1);
		CHECK(address == 0xffffffff81000300ull);
		CHECK_EQ(sched_classifier_find(&classifier, "nothing", &address), 0);
	}
	/* Truncated formatting still reports the full length. */
	{
		char small[6];

		CHECK_EQ(sched_classifier_format_rip(&classifier, 0xffffffff81000280ull, small,
		                                     sizeof(small)),
		         strlen("second+0x80"));
		CHECK_STR(small, "secon");
	}
}

/* Without any symbol above the text, the last extent is 4 KiB long. */
static void test_lookup_tail(void)
{
	struct sched_classifier classifier;
	struct sched_error error;

	if (parse_text(&classifier, "100 T a\n200 T b\n", &error) != 0) {
		CHECK_STR(error.message, "(no error)");
		return;
	}
	CHECK(sched_classifier_lookup_symbol(&classifier, 0x200 + SCHED_CLASSIFY_TAIL_EXTENT - 1,
	                                     &(struct sched_lookup){0}));
	CHECK(!sched_classifier_lookup_symbol(&classifier, 0x200 + SCHED_CLASSIFY_TAIL_EXTENT,
	                                      &(struct sched_lookup){0}));

	/* At the top of the address space the tail is cut at 2^64 - 1. */
	if (parse_text(&classifier, "fffffffffffffffe T top\n", &error) != 0) {
		CHECK_STR(error.message, "(no error)");
		return;
	}
	{
		struct sched_lookup found = {0};

		CHECK(sched_classifier_lookup_symbol(&classifier, UINT64_MAX, &found));
		CHECK_EQ(found.size, 2);
		CHECK_EQ(found.offset, 1);
		CHECK(!sched_classifier_lookup_symbol(&classifier, UINT64_MAX - 2, &found));
	}
}

/* ---- arena -------------------------------------------------------------- */

static void test_arena_too_small(void)
{
	static uint8_t small_memory[40];
	struct sched_arena arena;
	struct sched_classifier classifier;
	struct sched_error error;
	const char *text = "1000 T a\n2000 T b\n3000 T c\n";

	sched_arena_init(&arena, small_memory, sizeof(small_memory));
	CHECK_EQ(
	    sched_classifier_parse_map(&classifier, text, strlen(text), "t.map", &arena, &error),
	    -1);
	CHECK_EQ(arena.used, 0);
	CHECK_EQ(error.line, 0);
	CHECK_STR(error.message, "t.map: arena too small: map needs 54 bytes, arena has 40 free");

	/* A map one line longer than SCHED_MAP_MAX_LINES: rejected there. */
	{
		static const char line[] = "1000 T a\n";
		size_t size = (SCHED_MAP_MAX_LINES + 1) * (sizeof(line) - 1);
		char *big = malloc(size);

		for (size_t i = 0; big && i <= SCHED_MAP_MAX_LINES; i++)
			memcpy(big + i * (sizeof(line) - 1), line, sizeof(line) - 1);
		sched_arena_init(&arena, small_memory, sizeof(small_memory));
		CHECK(big != NULL);
		CHECK_EQ(
		    sched_classifier_parse_map(&classifier, big, size, "big.map", &arena, &error),
		    -1);
		CHECK_EQ(error.line, SCHED_MAP_MAX_LINES + 1);
		CHECK_CONTAINS(error.message,
		               "big.map:524289: map longer than the limit of 524288 lines");
		CHECK_EQ(sched_classifier_parse_map(&classifier, big,
		                                    (size_t)SCHED_MAP_MAX_BYTES + 1, "huge.map",
		                                    &arena, &error),
		         -1);
		CHECK_STR(error.message, "huge.map: map larger than the limit of 33554432 bytes");
		free(big);
	}
	/* Alignment and exhaustion of the allocator itself. */
	sched_arena_init(&arena, small_memory, sizeof(small_memory));
	CHECK(sched_arena_alloc(&arena, 3, 1) != NULL);
	CHECK_EQ((uintptr_t)sched_arena_alloc(&arena, 8, 8) % 8, 0);
	CHECK(sched_arena_alloc(&arena, 64, 1) == NULL);
	CHECK(sched_arena_alloc(&arena, SIZE_MAX, 1) == NULL);
}

/* ---- patterns and rules files ------------------------------------------- */

static void test_pattern_match(void)
{
	static const struct {
		const char *pattern;
		const char *name;
		bool match;
	} rows[] = {
	    {"osq_lock", "osq_lock", true},
	    {"osq_lock", "osq_lock2", false},
	    {"osq_lock", "osq_loc", false},
	    {"_raw_spin_lock*", "_raw_spin_lock", true},
	    {"_raw_spin_lock*", "_raw_spin_lock_irqsave", true},
	    {"_raw_spin_lock*", "_raw_spin_unlock", false},
	    {"_raw_spin_lock*", "__raw_spin_lock", false},
	    {"*_spin_on_owner", "mutex_spin_on_owner", true},
	    {"*_spin_on_owner", "rwsem_spin_on_owner", true},
	    {"*_spin_on_owner", "_spin_on_owner", true},
	    {"*_spin_on_owner", "spin_on_owner", false},
	    {"*_spin_on_owner", "mutex_spin_on_owner.part.0", false},
	    {"*sysvec_call_function*", "__sysvec_call_function_single", true},
	    {"*sysvec_call_function*", "sysvec_call_function", true},
	    {"*sysvec_call_function*", "sysvec_call_functio", false},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_EQ(sched_rules_match(rows[i].pattern, rows[i].name, strlen(rows[i].name)),
		         rows[i].match);
}

static void test_rules_rejects(void)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *message;
	} rows[] = {
	    {"lock-spin\n", 1, "r.rules:1: missing pattern"},
	    {"# ok\nspinning foo\n", 2, "r.rules:2: unknown category or directive \"spinning\""},
	    {"critical a b\n", 1, "r.rules:1: unexpected text after pattern \"b\""},
	    {"critical a*b\n", 1,
	     "r.rules:1: '*' is allowed only at the start or end of a "
	     "pattern \"a*b\""},
	    {"critical *\n", 1, "r.rules:1: pattern matches every name \"*\""},
	    {"\r\n\r\ncritical **\r\n", 3, "r.rules:3: pattern matches every name \"**\""},
	    {"critical fo\x7fo\n", 1, "r.rules:1: bad character in pattern \"fo?o\""},
	    {"inherit\n", 1, "r.rules:1: missing rule set name after inherit"},
	    {"inherit linux-2.6\n", 1, "r.rules:1: unknown rule set \"linux-2.6\""},
	    {"inherit linux-6.x extra\n", 1,
	     "r.rules:1: unexpected text after rule set name \"extra\""},
	    {"clear all\n", 1, "r.rules:1: unexpected text after clear \"all\""},
	    {"Critical foo\n", 1, "r.rules:1: unknown category or directive \"Critical\""},
	    {"inherit linux-6.x\ncritical a\ninherit linux-6.x\n", 3,
	     "r.rules:3: rule set already inherited (since the last clear) "
	     "\"linux-6.x\""},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_arena arena = fresh_arena();
		struct sched_rules rules;
		struct sched_error error;

		CHECK_EQ(sched_rules_parse(&rules, rows[i].text, strlen(rows[i].text), "r.rules",
		                           &arena, &error),
		         -1);
		CHECK_EQ(error.line, rows[i].line);
		CHECK_STR(error.message, rows[i].message);
		CHECK_EQ(arena.used, 0);
	}
	/* After `clear` a set may be inherited again. */
	{
		const char *text = "inherit linux-6.x\nclear\ninherit linux-6.x\n";
		struct sched_arena arena = fresh_arena();
		struct sched_rules rules;
		struct sched_error error;

		CHECK_EQ(sched_rules_parse(&rules, text, strlen(text), "r.rules", &arena, &error),
		         0);
	}
	/* One rule more than SCHED_RULES_MAX: rejected at its line. */
	{
		static char text[(SCHED_RULES_MAX + 1) * 16];
		size_t used = 0;
		struct sched_arena arena = fresh_arena();
		struct sched_rules rules;
		struct sched_error error;

		for (unsigned i = 0; i <= SCHED_RULES_MAX; i++)
			used +=
			    (size_t)snprintf(text + used, sizeof(text) - used, "critical f%u\n", i);
		CHECK_EQ(sched_rules_parse(&rules, text, used, "r.rules", &arena, &error), -1);
		CHECK_EQ(error.line, SCHED_RULES_MAX + 1);
		CHECK_CONTAINS(error.message, "more rules than the limit of 1024");
	}
	/* A pattern of 256 characters. */
	{
		char text[300] = "halt ";
		struct sched_arena arena = fresh_arena();
		struct sched_rules rules;
		struct sched_error error;

		memset(text + 5, 'p', 256);
		CHECK_EQ(sched_rules_parse(&rules, text, strlen(text), "r.rules", &arena, &error),
		         -1);
		CHECK_CONTAINS(error.message, "r.rules:1: pattern longer than 255 characters");
	}
}

/* Map used by the override cases; every name is a real Linux 6.x name. */
static const char override_map[] = "ffffffff81001000 T _raw_spin_lock\n"
                                   "ffffffff81001010 T _raw_spin_lock_bh\n"
                                   "ffffffff81001020 T _raw_spin_unlock_bh\n"
                                   "ffffffff81001030 T schedule\n"
                                   "ffffffff81001040 T native_flush_tlb_multi\n"
                                   "ffffffff81001050 t mutex_spin_on_owner\n"
                                   "ffffffff81001060 T default_idle\n"
                                   "ffffffff81001070 T _etext\n";

static void test_rules_override(void)
{
	static const struct {
		const char *rules;
		enum sched_category expected[7]; /* per map line 1..7        */
		bool inherits;                   /* linux-6.x still counted   */
		size_t own;                      /* rules of the file itself  */
	} rows[] = {
	    {"inherit linux-6.x\n",
	     {SCHED_CATEGORY_LOCK_SPIN, SCHED_CATEGORY_LOCK_SPIN, SCHED_CATEGORY_CRITICAL,
	      SCHED_CATEGORY_NONE, SCHED_CATEGORY_IPI_WAIT, SCHED_CATEGORY_LOCK_SPIN,
	      SCHED_CATEGORY_HALT},
	     true,
	     0},
	    /* Later rules win: un-classify one, classify another. */
	    {"inherit linux-6.x   # base\n"
	     "none _raw_spin_lock_bh\n"
	     "critical schedule\n",
	     {SCHED_CATEGORY_LOCK_SPIN, SCHED_CATEGORY_NONE, SCHED_CATEGORY_CRITICAL,
	      SCHED_CATEGORY_CRITICAL, SCHED_CATEGORY_IPI_WAIT, SCHED_CATEGORY_LOCK_SPIN,
	      SCHED_CATEGORY_HALT},
	     true,
	     2},
	    /* A broad late rule overrides specific earlier ones. */
	    {"inherit linux-6.x\nhalt _raw_spin_*\n",
	     {SCHED_CATEGORY_HALT, SCHED_CATEGORY_HALT, SCHED_CATEGORY_HALT, SCHED_CATEGORY_NONE,
	      SCHED_CATEGORY_IPI_WAIT, SCHED_CATEGORY_LOCK_SPIN, SCHED_CATEGORY_HALT},
	     true,
	     1},
	    /* clear drops everything before it. */
	    {"inherit linux-6.x\nclear\nipi-wait *_on_owner\n",
	     {SCHED_CATEGORY_NONE, SCHED_CATEGORY_NONE, SCHED_CATEGORY_NONE, SCHED_CATEGORY_NONE,
	      SCHED_CATEGORY_NONE, SCHED_CATEGORY_IPI_WAIT, SCHED_CATEGORY_NONE},
	     false,
	     1},
	    /* An earlier specific rule loses to a later pattern. */
	    {"critical schedule\nlock-spin sched*\n",
	     {SCHED_CATEGORY_NONE, SCHED_CATEGORY_NONE, SCHED_CATEGORY_NONE,
	      SCHED_CATEGORY_LOCK_SPIN, SCHED_CATEGORY_NONE, SCHED_CATEGORY_NONE,
	      SCHED_CATEGORY_NONE},
	     false,
	     2},
	    /* Both files' rules, in order: inherit after own rules. */
	    {"critical schedule\ninherit linux-4.4\n",
	     {SCHED_CATEGORY_LOCK_SPIN, SCHED_CATEGORY_LOCK_SPIN, SCHED_CATEGORY_CRITICAL,
	      SCHED_CATEGORY_CRITICAL, SCHED_CATEGORY_NONE, SCHED_CATEGORY_LOCK_SPIN,
	      SCHED_CATEGORY_HALT},
	     false,
	     1},
	    /* Empty and comment-only files classify nothing. */
	    {"# nothing\n\n   # at all\n", {SCHED_CATEGORY_NONE}, false, 0},
	};
	const struct sched_rules *linux6 = sched_rules_builtin("linux-6.x");
	const struct sched_rules *linux44 = sched_rules_builtin("linux-4.4");

	CHECK(linux6 != NULL && linux44 != NULL);
	if (!linux6 || !linux44)
		return;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_arena arena = fresh_arena();
		struct sched_classifier classifier;
		struct sched_rules rules;
		struct sched_error error;
		size_t expected = rows[i].own + (rows[i].inherits ? linux6->count : 0) +
		                  (strstr(rows[i].rules, "linux-4.4") ? linux44->count : 0);

		if (sched_classifier_parse_map(&classifier, override_map, strlen(override_map),
		                               "o.map", &arena, &error) != 0 ||
		    sched_rules_parse(&rules, rows[i].rules, strlen(rows[i].rules), "o.rules",
		                      &arena, &error) != 0) {
			CHECK_STR(error.message, "(no error)");
			continue;
		}
		CHECK_EQ(rules.count, expected);
		CHECK_STR(rules.name, "o.rules");
		sched_classifier_apply(&classifier, &rules);
		CHECK_STR(classifier.rules_name, "o.rules");
		for (size_t line = 0; line < 7; line++) {
			uint64_t rip = 0xffffffff81001000ull + line * 0x10 + 3;

			CHECK_EQ(sched_classifier_lookup(&classifier, rip), rows[i].expected[line]);
		}
	}
}

/* The rules survive the file text: patterns are copied to the arena. */
static void test_rules_copied(void)
{
	char text[] = "critical schedule\n";
	struct sched_arena arena = fresh_arena();
	struct sched_rules rules;
	struct sched_error error;

	CHECK_EQ(sched_rules_parse(&rules, text, strlen(text), "c.rules", &arena, &error), 0);
	memset(text, 'x', strlen(text));
	CHECK_EQ(rules.count, 1);
	CHECK_STR(rules.rules[0].pattern, "schedule");
	CHECK_EQ(rules.rules[0].length, 8);
	CHECK_EQ(rules.rules[0].category, SCHED_CATEGORY_CRITICAL);
}

static void test_category_names(void)
{
	for (int category = 0; category < SCHED_CATEGORY_COUNT; category++) {
		const char *name = sched_category_name(category);
		enum sched_category back = SCHED_CATEGORY_COUNT;

		CHECK(sched_category_from_name(name, strlen(name), &back));
		CHECK_EQ(back, category);
	}
	CHECK_STR(sched_category_name(SCHED_CATEGORY_LOCK_SPIN), "lock-spin");
	CHECK_STR(sched_category_name(SCHED_CATEGORY_COUNT), "?");
	CHECK(!sched_category_from_name("lock", 4, &(enum sched_category){0}));
}

/* Built-in sets: listed, well-formed, and free of duplicate patterns. */
static void test_builtin_sets(void)
{
	size_t sets = 0;

	for (const struct sched_rules *set; (set = sched_rules_builtin_at(sets)); sets++) {
		CHECK(sched_rules_builtin(set->name) == set);
		CHECK(set->count > 20);
		for (size_t i = 0; i < set->count; i++) {
			const struct sched_rule *rule = &set->rules[i];

			CHECK_EQ(strlen(rule->pattern), rule->length);
			CHECK(rule->category < SCHED_CATEGORY_COUNT);
			for (size_t k = 0; k < i; k++)
				CHECK(strcmp(set->rules[k].pattern, rule->pattern) != 0);
		}
	}
	CHECK_EQ(sets, 2);
	CHECK(sched_rules_builtin("linux-4.4") != NULL);
	CHECK(sched_rules_builtin("linux-6.x") != NULL);
	CHECK(sched_rules_builtin("linux-5") == NULL);
}

int main(void)
{
	TEST_RUN(test_map_rejects);
	TEST_RUN(test_map_accepts);
	TEST_RUN(test_lookup);
	TEST_RUN(test_lookup_tail);
	TEST_RUN(test_arena_too_small);
	TEST_RUN(test_pattern_match);
	TEST_RUN(test_rules_rejects);
	TEST_RUN(test_rules_override);
	TEST_RUN(test_rules_copied);
	TEST_RUN(test_category_names);
	TEST_RUN(test_builtin_sets);
	return test_summary("test_classify");
}
