/*
 * kernel/string.h - the C string and memory functions the freestanding
 * hypervisor provides (the compiler may also emit calls to the mem* ones).
 *
 * Lock order: none.
 */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#include <stdarg.h>
#include <stddef.h>

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

#endif /* KERNEL_STRING_H */
