/*
 * kernel/cmdline.c - parser for the `key=value` command line.
 *
 * Lock order: none.
 */
#include "kernel/cmdline.h"

#include <stdbool.h>

#include "kernel/string.h"

static bool cmdline_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool cmdline_is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

int cmdline_parse(struct cmdline *line, const char *text, char *error, size_t error_size)
{
	memset(line, 0, sizeof(*line));
	size_t out = 0;
	const char *p = text;
#define CMDLINE_FAIL(...)                                                                          \
	do {                                                                                       \
		int column_ = (int)(p - text) + 1;                                                 \
		int n_ = format_string(error, error_size, "column %d: ", column_);                 \
		if ((size_t)n_ < error_size)                                                       \
			format_string(error + n_, error_size - (size_t)n_, __VA_ARGS__);           \
		line->count = 0;                                                                   \
		return -1;                                                                         \
	} while (0)
	for (;;) {
		while (cmdline_is_blank(*p))
			p++;
		if (!*p)
			break;
		if (line->count == CMDLINE_MAX_ENTRIES)
			CMDLINE_FAIL("more than %d words", CMDLINE_MAX_ENTRIES);
		/* GRUB hands a word that had blanks as "key=value with blanks",
		 * escaping inner quotes and backslashes with a backslash. */
		bool word_quoted = *p == '"';
		if (word_quoted)
			p++;
		const char *key = p;
		while (cmdline_is_key_char(*p))
			p++;
		size_t key_length = (size_t)(p - key);
		if (key_length == 0 && !*p)
			CMDLINE_FAIL("expected a key, found the end of the line");
		if (key_length == 0)
			CMDLINE_FAIL("expected a key, found '%c'", *p);
		if (*p && !cmdline_is_blank(*p) && *p != '=' && !(word_quoted && *p == '"'))
			CMDLINE_FAIL("character '%c' is not allowed in a key", *p);
		if (out + key_length + 2 > sizeof(line->storage))
			CMDLINE_FAIL("command line longer than %d bytes", CMDLINE_BUFFER_SIZE);
		char *key_copy = line->storage + out;
		memcpy(key_copy, key, key_length);
		key_copy[key_length] = '\0';
		out += key_length + 1;
		char *value_copy = line->storage + out;
		size_t value_length = 0;
#define CMDLINE_PUT(c)                                                                             \
	do {                                                                                       \
		if (out + value_length + 1 >= sizeof(line->storage))                               \
			CMDLINE_FAIL("command line longer than %d bytes", CMDLINE_BUFFER_SIZE);    \
		value_copy[value_length++] = (c);                                                  \
	} while (0)
		if (*p == '=') {
			p++;
			if (word_quoted) {
				/* Up to the closing quote; \" and \\ are escapes. */
				while (*p && *p != '"') {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					if (*p != '"' || p[-1] == '\\')
						CMDLINE_PUT(*p);
					p++;
				}
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					CMDLINE_PUT(*p);
					p++;
				}
				if (!*p)
					CMDLINE_FAIL("unterminated quote");
				p++;
				if (*p && !cmdline_is_blank(*p))
					CMDLINE_FAIL("expected a blank after the closing quote");
			} else {
				while (*p && !cmdline_is_blank(*p)) {
					if (*p == '"')
						CMDLINE_FAIL("quote inside an unquoted value");
					CMDLINE_PUT(*p);
					p++;
				}
			}
		}
#undef CMDLINE_PUT
		if (word_quoted) {
			if (*p != '"')
				CMDLINE_FAIL("unterminated quote");
			p++;
			if (*p && !cmdline_is_blank(*p))
				CMDLINE_FAIL("expected a blank after the closing quote");
		}
		value_copy[value_length] = '\0';
		out += value_length + 1;
		for (unsigned i = 0; i < line->count; i++) {
			if (strcmp(line->entries[i].key, key_copy) == 0) {
				p = key;
				CMDLINE_FAIL("duplicate key \"%s\"", key_copy);
			}
		}
		line->entries[line->count].key = key_copy;
		line->entries[line->count].value = value_copy;
		line->count++;
	}
#undef CMDLINE_FAIL
	if (error_size)
		error[0] = '\0';
	return 0;
}

const char *cmdline_get(const struct cmdline *line, const char *key)
{
	for (unsigned i = 0; i < line->count; i++)
		if (strcmp(line->entries[i].key, key) == 0)
			return line->entries[i].value;
	return NULL;
}

int cmdline_parse_number(const char *text, uint64_t *value)
{
	uint64_t result = 0;
	unsigned base = 10;
	const char *p = text;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -1;
	for (; *p; p++) {
		unsigned digit;
		if (*p >= '0' && *p <= '9')
			digit = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			digit = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			digit = (unsigned)(*p - 'A' + 10);
		else
			return -1;
		if (result > (UINT64_MAX - digit) / base)
			return -1;
		result = result * base + digit;
	}
	*value = result;
	return 0;
}

int cmdline_get_number(const struct cmdline *line, const char *key, uint64_t fallback,
                       uint64_t maximum, uint64_t *value, char *error, size_t error_size)
{
	const char *text = cmdline_get(line, key);
	if (!text) {
		*value = fallback;
		return 0;
	}
	uint64_t parsed;
	if (cmdline_parse_number(text, &parsed) != 0) {
		format_string(error, error_size, "%s=\"%s\" is not a number", key, text);
		return -1;
	}
	if (parsed > maximum) {
		format_string(error, error_size, "%s=%s is larger than %llu", key, text,
		              (unsigned long long)maximum);
		return -1;
	}
	*value = parsed;
	return 0;
}
