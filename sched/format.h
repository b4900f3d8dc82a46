/*
 * sched/format.h - a tiny text builder for sched/ (no printf in sched/).
 *
 * struct sched_format appends strings and integers to a caller's buffer.
 * Invariant: the buffer is always NUL-terminated (if size > 0), and
 * `used` counts the characters that were asked for, even those that did not
 * fit, so callers can tell truncation (used >= size) and measure output with
 * a zero-sized buffer. Used by the classifier's error messages and the trace
 * formatter.
 *
 * Lock order: none (operates on caller-owned memory only).
 */
#ifndef SCHED_FORMAT_H
#define SCHED_FORMAT_H

#include <stddef.h>
#include <stdint.h>

struct sched_format {
	char *buffer;
	size_t size; /* bytes available in buffer, including the NUL */
	size_t used; /* characters produced so far (may exceed size - 1) */
};

static inline void sched_format_init(struct sched_format *format, char *buffer, size_t size)
{
	format->buffer = buffer;
	format->size = size;
	format->used = 0;
	if (size > 0)
		buffer[0] = '\0';
}

static inline void sched_format_char(struct sched_format *format, char c)
{
	if (format->used + 1 < format->size) {
		format->buffer[format->used] = c;
		format->buffer[format->used + 1] = '\0';
	}
	format->used++;
}

/* Append `length` characters of `text` (which need not be NUL-terminated). */
static inline void sched_format_bytes(struct sched_format *format, const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		sched_format_char(format, text[i]);
}

static inline void sched_format_string(struct sched_format *format, const char *text)
{
	while (*text)
		sched_format_char(format, *text++);
}

static inline void sched_format_unsigned(struct sched_format *format, uint64_t value)
{
	char digits[20];
	int count = 0;

	do {
		digits[count++] = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	while (count > 0)
		sched_format_char(format, digits[--count]);
}

/* Lower-case hexadecimal with a 0x prefix, no leading zeros. */
static inline void sched_format_hex(struct sched_format *format, uint64_t value)
{
	static const char hex_digits[] = "0123456789abcdef";
	char digits[16];
	int count = 0;

	do {
		digits[count++] = hex_digits[value & 0xf];
		value >>= 4;
	} while (value != 0);
	sched_format_string(format, "0x");
	while (count > 0)
		sched_format_char(format, digits[--count]);
}

/*
 * Append a token from untrusted input inside double quotes, at most
 * `limit` characters of it (then "..."), with non-printable bytes shown as
 * '?', so an error message stays one readable line.
 */
static inline void sched_format_quoted(struct sched_format *format, const char *text, size_t length,
                                       size_t limit)
{
	sched_format_char(format, '"');
	for (size_t i = 0; i < length && i < limit; i++) {
		unsigned char c = (unsigned char)text[i];

		sched_format_char(format, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
	}
	if (length > limit)
		sched_format_string(format, "...");
	sched_format_char(format, '"');
}

#endif /* SCHED_FORMAT_H */
