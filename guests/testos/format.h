/*
 * guests/testos/format.h - testos's bounded formatter (guests/testos/format.c).
 *
 * testos_format() writes at most size - 1 characters and a NUL (nothing
 * when size is 0) and returns the length of the whole text, as snprintf
 * does; every argument is consumed whatever fits.
 */
#ifndef GUESTS_TESTOS_FORMAT_H
#define GUESTS_TESTOS_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

size_t testos_format(char *buffer, size_t size, const char *format, va_list args);
size_t testos_format_to(char *buffer, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* GUESTS_TESTOS_FORMAT_H */
