/*
 * kernel/log.c - line-atomic logging to the console.
 *
 * A line is formatted into a stack buffer first, then written under
 * log_lock, so a CPU never holds the lock while formatting. Lines longer
 * than LOG_LINE_SIZE are cut and end in "...".
 *
 * Lock order: log_lock is a leaf (interrupts disabled while held).
 */
#include "kernel/log.h"

#include <stdarg.h>
#include <stdbool.h>

#include "kernel/lock.h"
#include "kernel/percpu.h"
#include "kernel/string.h"

#define LOG_LINE_SIZE 512

static struct spinlock log_lock = SPINLOCK_INIT;
static log_sink_fn log_sink;
static enum log_level log_threshold = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_sink(log_sink_fn sink) { log_sink = sink; }
void log_set_level(enum log_level level) { log_threshold = level; }

int log_level_from_name(const char *name)
{
	for (unsigned i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++)
		if (strcmp(name, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_force_unlock(void)
{
	__atomic_store_n(&log_lock.serving, log_lock.next, __ATOMIC_RELEASE);
}

static void log_emit(char *line, int length)
{
	if (length >= LOG_LINE_SIZE - 1) {
		length = LOG_LINE_SIZE - 1;
		memcpy(line + length - 3, "...", 3);
	}
	line[length] = '\n';
	if (!log_sink)
		return;
	uint64_t flags = spinlock_acquire_irqsave(&log_lock);
	log_sink(line, (size_t)length + 1);
	spinlock_release_irqrestore(&log_lock, flags);
}

void log_message(enum log_level level, const char *format, ...)
{
	if (level > log_threshold)
		return;
	char line[LOG_LINE_SIZE];
	int prefix = format_string(line, sizeof(line), "[cpu%u] %s: ",
	                           percpu_this_index(), log_level_names[level]);
	va_list args;
	va_start(args, format);
	int body = format_string_va(line + prefix, sizeof(line) - (size_t)prefix,
	                            format, args);
	va_end(args);
	int length = prefix + body;
	log_emit(line, length < LOG_LINE_SIZE - 1 ? length : LOG_LINE_SIZE - 1);
}

void log_record(const char *format, ...)
{
	char line[LOG_LINE_SIZE];
	va_list args;
	va_start(args, format);
	int length = format_string_va(line, sizeof(line), format, args);
	va_end(args);
	log_emit(line, length < LOG_LINE_SIZE - 1 ? length : LOG_LINE_SIZE - 1);
}
