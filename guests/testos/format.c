/*
 * guests/testos/format.c - testos's formatter: %s %c %u %llu %x %llx and
 * %d into a bounded buffer (guests/testos/format.h). Freestanding C only:
 * the same file compiles into testos and into the host test
 * tests/host/test_testos_format.c.
 *
 * Lock order: none (no shared state).
 */
#include "guests/testos/format.h"

#include <stdbool.h>
#include <stdint.h>

/* A small formatter: %s %c %u %llu %x %llx and %d. Returns the length
 * of the whole text; what does not fit in `size` (with its NUL) is
 * dropped, never written past the buffer. */
size_t testos_format(char *buffer, size_t size, const char *format, va_list args)
{
	size_t n = 0;
	/* `ch` is evaluated exactly once, full buffer or not: an argument
	 * with a side effect (digits[--d]) must still take it, or the loop
	 * that feeds it never ends. */
#define TESTOS_PUT(ch)                                                                             \
	do {                                                                                       \
		char put_ = (ch);                                                                  \
		if (n + 1 < size)                                                                  \
			buffer[n] = put_;                                                          \
		n++;                                                                               \
	} while (0)
	for (const char *f = format; *f; f++) {
		if (*f != '%') {
			TESTOS_PUT(*f);
			continue;
		}
		f++;
		bool wide = false;
		while (*f == 'l') {
			wide = true;
			f++;
		}
		if (*f == 's') {
			for (const char *s = va_arg(args, const char *); *s; s++)
				TESTOS_PUT(*s);
		} else if (*f == 'c') {
			TESTOS_PUT((char)va_arg(args, int));
		} else if (*f == 'u' || *f == 'x' || *f == 'd') {
			uint64_t v;
			bool negative = false;
			if (*f == 'd') {
				int64_t s = wide ? va_arg(args, long long) : va_arg(args, int);
				negative = s < 0;
				v = negative ? 0 - (uint64_t)s : (uint64_t)s; /* INT64_MIN too */
			} else {
				v = wide ? va_arg(args, unsigned long long)
				         : va_arg(args, unsigned);
			}
			unsigned base = *f == 'x' ? 16 : 10;
			char digits[24];
			int d = 0;
			do {
				digits[d++] = "0123456789abcdef"[v % base];
				v /= base;
			} while (v);
			if (negative)
				TESTOS_PUT('-');
			while (d)
				TESTOS_PUT(digits[--d]);
		} else {
			TESTOS_PUT('%');
			TESTOS_PUT(*f);
		}
	}
	if (size)
		buffer[n < size ? n : size - 1] = '\0';
	return n;
#undef TESTOS_PUT
}

size_t testos_format_to(char *buffer, size_t size, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	size_t n = testos_format(buffer, size, format, args);
	va_end(args);
	return n;
}
