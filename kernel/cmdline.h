/*
 * kernel/cmdline.h - the hypervisor command line: `key=value` words.
 *
 * Grammar: words separated by blanks; a word is `key`, `key=value` or
 * `key="value with blanks"`; GRUB's form of a word with blanks,
 * `"key=value with blanks"` (inner `\"` and `\\` escaped), is accepted too.
 * Keys are [A-Za-z0-9_.-]+ and appear at most once. A bare `key` has the value "". Errors name the
 * column and reason. Hardware independent; compiled into the host tests.
 *
 * Lock order: none (the parsed result is read-only after boot).
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX_ENTRIES 64
#define CMDLINE_BUFFER_SIZE 1024

struct cmdline {
	char storage[CMDLINE_BUFFER_SIZE]; /* NUL-separated keys and values */
	struct {
		const char *key;
		const char *value;
	} entries[CMDLINE_MAX_ENTRIES];
	unsigned count;
};

/* Parse `text`. Returns 0, or -1 with "column N: reason" in `error`. */
int cmdline_parse(struct cmdline *line, const char *text, char *error, size_t error_size);

/* The value of `key`, "" for a bare key, NULL if absent. */
const char *cmdline_get(const struct cmdline *line, const char *key);

/*
 * Parse `key` as an unsigned number (decimal or 0x hex). Returns 0 with
 * *value set (to `fallback` if the key is absent), or -1 with a reason if
 * the value is not a number or exceeds `maximum`.
 */
int cmdline_get_number(const struct cmdline *line, const char *key, uint64_t fallback,
                       uint64_t maximum, uint64_t *value, char *error, size_t error_size);

/* Parse a whole string as an unsigned number; 0 on success. */
int cmdline_parse_number(const char *text, uint64_t *value);

#endif /* KERNEL_CMDLINE_H */
