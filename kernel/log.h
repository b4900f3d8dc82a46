/*
 * kernel/log.h - the hypervisor's log.
 *
 * log_*() print one line "[cpuN] level: text" to the console sink; whole
 * lines never interleave, even when every CPU prints at once.
 * log_record() prints a machine-readable line with no prefix, e.g.
 * "BOOT path=multiboot2 cpus_online=4", for tests and tools that read the
 * serial port: such lines are the project's output contract.
 *
 * Lock order: log_lock is a leaf lock (taken with interrupts disabled);
 * nothing may be acquired while holding it.
 */
#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

typedef void (*log_sink_fn)(const char *text, size_t length);

void log_set_sink(log_sink_fn sink);
void log_set_level(enum log_level level);
/* Parse "error", "warning", "info", "debug"; returns -1 if unknown. */
int log_level_from_name(const char *name);

void log_message(enum log_level level, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
void log_record(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* After a panic starts: print even if another CPU died holding the lock. */
void log_force_unlock(void);

#define log_error(...) log_message(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_message(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_message(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_message(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* KERNEL_LOG_H */
