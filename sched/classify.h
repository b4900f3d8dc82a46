/*
 * sched/classify.h - guest symbol tables, category rules, RIP classification.
 *
 * The one public header for classifying a guest RIP (docs/classification.md
 * has the formats, the built-in rule sets and the precedence rules):
 *
 *  1. sched_classifier_parse_map() reads a guest System.map (nm text,
 *     `ADDR TYPE NAME`) into a table of text symbols sorted by address,
 *     storing it in a caller-provided arena (no malloc in sched/).
 *  2. sched_rules_builtin() gives a built-in rule set ("linux-4.4",
 *     "linux-6.x"); sched_rules_parse() reads a rules file that may inherit
 *     and override one.
 *  3. sched_classifier_apply() resolves the rules against the table once:
 *     every symbol gets its category, so that
 *  4. sched_classifier_lookup() is a binary search and nothing else: no
 *     string matching happens at lookup time.
 *
 * A function's extent is [its address, the next higher text-symbol
 * address); the highest text symbol's extent ends with classifier->last
 * (inclusive; see sched_classifier_parse_map()). Several names at one address are aliases:
 * the address is classified if any alias matches a rule.
 *
 * Errors name the file, the 1-based line and the reason, e.g.
 *   System.map:17: bad address "ffffz"
 *
 * Lock order: none inside. A classifier is built once (single-threaded,
 * when its VM is created) and then only read, by any number of pCPUs at a
 * time; re-applying rules to a classifier in use needs the caller's lock.
 */
#ifndef SCHED_CLASSIFY_H
#define SCHED_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/category.h"

/* Longest symbol name or rule pattern accepted (Linux 6.1: KSYM_NAME_LEN 128). */
#define SCHED_CLASSIFY_NAME_MAX 255
/* Bounds on what one VM's set-up may cost (classification is linear in
 * map lines and in rules x text symbols): a Linux System.map has 100,000
 * to 200,000 lines, a rule set a few dozen rules. Beyond these the map or
 * rules file is rejected with its line. */
#define SCHED_MAP_MAX_LINES     524288
#define SCHED_MAP_MAX_BYTES     33554432 /* 32 MiB: checked before any parsing */
#define SCHED_RULES_MAX         1024
#define SCHED_CLASSIFY_TEXT_(x) #x
#define SCHED_CLASSIFY_TEXT(x)  SCHED_CLASSIFY_TEXT_(x) /* a limit in a message */

/* Where and why parsing failed. `message` starts with "file:line: ". */
struct sched_error {
	char message[160];
	const char *file;
	unsigned line; /* 1-based; 0 when no single line is at fault */
};

/* Caller-provided memory that parsers allocate from, never freed singly. */
struct sched_arena {
	uint8_t *base;
	size_t size;
	size_t used;
};

void sched_arena_init(struct sched_arena *arena, void *base, size_t size);
/* `align` is a power of two; returns NULL (arena unchanged) if no room. */
void *sched_arena_alloc(struct sched_arena *arena, size_t size, size_t align);

/* One text symbol. 16 bytes. */
struct sched_symbol {
	uint64_t address;
	uint32_t name_offset; /* into classifier->names, NUL-terminated */
	uint8_t name_length;
	uint8_t category;     /* enum sched_category of the whole address */
	uint8_t own_category; /* enum sched_category of this name alone */
	uint8_t flags;        /* SCHED_SYMBOL_* */
};

/* This entry is the one lookups report for its address (the last alias). */
#define SCHED_SYMBOL_REPRESENTATIVE 0x01
/* Type 'W': a weak definition. */
#define SCHED_SYMBOL_WEAK 0x02

/*
 * A guest's symbol table. `symbols` is sorted by address; aliases (equal
 * addresses) are adjacent and the last of them is the representative that
 * lookups return; it carries the category of the address.
 */
struct sched_classifier {
	struct sched_symbol *symbols;
	size_t count; /* text symbols (all aliases)         */
	char *names;  /* NUL-terminated names, back to back */
	size_t names_size;
	uint64_t last;                           /* last byte of the highest extent    */
	const char *file;                        /* map file name, for messages        */
	const char *rules_name;                  /* rules last applied, or NULL        */
	unsigned lines;                          /* lines in the map                   */
	size_t skipped;                          /* non-text symbols skipped           */
	size_t addresses;                        /* distinct text addresses            */
	size_t classified[SCHED_CATEGORY_COUNT]; /* addresses per category  */
};

/*
 * Parse a System.map held in text[0..length) (NUL-termination not needed)
 * into `classifier`, allocating from `arena`. Accepted lines:
 *   ADDR TYPE NAME [ [module] ]     fields separated by spaces or tabs
 * ADDR is 1-16 hex digits; TYPE is one nm type letter; NAME is 1-255
 * printable non-blank characters. Types T, t (text) and W (weak
 * definition) make text symbols; every other type is skipped. Blank lines
 * and lines starting with '#' are ignored; "\r\n" line ends are accepted.
 * The input may be unsorted. The highest text symbol's extent ends just
 * below the lowest symbol of any type above it, or, when there is none,
 * is SCHED_CLASSIFY_TAIL_EXTENT (4096) bytes long, cut at 2^64 - 1.
 * All categories start as SCHED_CATEGORY_NONE: apply rules next.
 * Returns 0, or -1 with `error` filled (and the arena unchanged).
 */
#define SCHED_CLASSIFY_TAIL_EXTENT 4096u
int sched_classifier_parse_map(struct sched_classifier *classifier, const char *text, size_t length,
                               const char *file, struct sched_arena *arena,
                               struct sched_error *error);

/* Category of the address containing `rip`; NONE outside every extent. */
enum sched_category sched_classifier_lookup(const struct sched_classifier *classifier,
                                            uint64_t rip);

/* What sched_classifier_lookup_symbol() found. */
struct sched_lookup {
	const char *name; /* representative name (NUL-terminated) */
	uint64_t address; /* start of the extent                  */
	uint64_t offset;  /* rip - address                        */
	uint64_t size;    /* length of the extent                 */
	enum sched_category category;
};

/* As sched_classifier_lookup(), with the symbol; false if no extent holds rip. */
bool sched_classifier_lookup_symbol(const struct sched_classifier *classifier, uint64_t rip,
                                    struct sched_lookup *result);

/*
 * A sched_locate_fn (sched/sched.h) for a `const struct sched_classifier *`
 * context: the start of the extent holding rip and its category; false
 * outside every extent. The yield profiler's key (sched/profile.h).
 */
bool sched_classifier_locate(const void *context, uint64_t rip, uint64_t *function,
                             enum sched_category *category);

/*
 * Write "name+0xoffset" (e.g. "_raw_spin_lock+0x12"; just "name" at
 * offset 0) or, outside every extent, "0x<rip>". NUL-terminates (if size >
 * 0); returns the length needed, like snprintf.
 */
size_t sched_classifier_format_rip(const struct sched_classifier *classifier, uint64_t rip,
                                   char *buffer, size_t size);

/*
 * Find text symbol `name` (NUL-terminated). Returns how many text symbols
 * carry that name (local symbols may repeat) and stores the lowest
 * address in *address when there is at least one.
 */
size_t sched_classifier_find(const struct sched_classifier *classifier, const char *name,
                             uint64_t *address);

/*
 * One rule: symbols whose name matches `pattern` get `category` (NONE
 * excludes). Patterns: an exact name, "prefix*", "*suffix" or "*infix*".
 */
struct sched_rule {
	const char *pattern; /* NUL-terminated                  */
	uint16_t length;     /* strlen(pattern)                  */
	uint8_t category;    /* enum sched_category              */
};

/* A struct sched_rule initialiser for a string literal pattern. */
#define SCHED_RULE(category_value, pattern_literal)                                                \
	{                                                                                          \
		.pattern = pattern_literal, .length = sizeof(pattern_literal) - 1,                 \
		.category = (category_value),                                                      \
	}

/* An ordered rule list: for one name, the LAST matching rule decides. */
struct sched_rules {
	const char *name; /* built-in set name, or the rules file's name */
	const struct sched_rule *rules;
	size_t count;
};

/* The built-in set called `name` ("linux-4.4", "linux-6.x"), or NULL. */
const struct sched_rules *sched_rules_builtin(const char *name);
/* The index-th built-in set (0, 1, ...), or NULL past the last one. */
const struct sched_rules *sched_rules_builtin_at(size_t index);

/*
 * Parse a rules file (docs/classification.md):
 *   # comment                   ('#' starts a comment anywhere)
 *   inherit linux-6.x           append a built-in set's rules
 *   clear                       forget every rule so far
 *   CATEGORY PATTERN            CATEGORY: lock-spin ipi-wait critical halt none
 * Rules and patterns are copied into `arena`; the text can be freed.
 * Returns 0, or -1 with `error` filled (and the arena unchanged).
 */
int sched_rules_parse(struct sched_rules *rules, const char *text, size_t length, const char *file,
                      struct sched_arena *arena, struct sched_error *error);

/* Does `pattern` match name[0..length)? (The matcher the rules use.) */
bool sched_rules_match(const char *pattern, const char *name, size_t length);

/*
 * Give every symbol of `classifier` its category under `rules` (replacing
 * any earlier classification). For each name the last matching rule
 * decides; an address whose aliases disagree takes the highest category in
 * the order ipi-wait > lock-spin > critical > halt > none. The
 * representative of an address is the alias with that category whose name
 * sorts first. Cost: at most symbols x rules pattern matches, once.
 */
void sched_classifier_apply(struct sched_classifier *classifier, const struct sched_rules *rules);

/* "none", "lock-spin", "ipi-wait", "critical", "halt"; "?" if out of range. */
const char *sched_category_name(enum sched_category category);
/* Category named name[0..length); false if there is none. */
bool sched_category_from_name(const char *name, size_t length, enum sched_category *category);

#endif /* SCHED_CLASSIFY_H */
