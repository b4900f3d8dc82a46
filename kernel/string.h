/*
 * kernel/string.h - the C string and memory functions the freestanding
 * hypervisor provides (the compiler may also emit calls to the mem* ones).
 *
 * Lock order: none.
 */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *destination, const void *source, size_t count);
void *memmove(void *destination, const void *source, size_t count);
void *memset(void *destination, int value, size_t count);
int memcmp(const void *a, const void *b, size_t count);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t count);
char *strchr(const char *s, int c);
/* Copy at most size-1 bytes and always terminate; returns strlen(source). */
size_t string_copy(char *destination, const char *source, size_t size);

/*
 * Formatting: %d %i %u %x %X %o %c %s %p %% with flags '-', '0', width and
 * precision ('*' too), and length modifiers hh h l ll z. Always terminates;
 * returns the length the full output would have had (like vsnprintf).
 */
int format_string_va(char *buffer, size_t size, const char *format, va_list args);
int format_string(char *buffer, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* format_string() for a failure's reason: always returns -1. */
int format_failure(char *buffer, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Little-endian values at any alignment (image headers, firmware tables). */
static inline uint16_t string_load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t string_load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t string_load_le64(const uint8_t *p)
{
	return string_load_le32(p) | (uint64_t)string_load_le32(p + 4) << 32;
}
static inline void string_store_le16(uint8_t *p, uint16_t value)
{
	p[0] = (uint8_t)value;
	p[1] = (uint8_t)(value >> 8);
}
static inline void string_store_le32(uint8_t *p, uint32_t value)
{
	for (unsigned i = 0; i < sizeof(value); i++)
		p[i] = (uint8_t)(value >> (8 * i));
}
static inline void string_store_le64(uint8_t *p, uint64_t value)
{
	string_store_le32(p, (uint32_t)value);
	string_store_le32(p + 4, (uint32_t)(value >> 32));
}

/* A decimal number at *text, before `end` (no sign, at least one digit,
 * no overflow): true with *value set and *text moved past it; false with
 * neither changed. */
bool string_parse_decimal(const char **text, const char *end, uint64_t *value);

#endif /* KERNEL_STRING_H */
