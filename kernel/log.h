/*
 * kernel/log.h - the hypervisor's log.
 *
 * log_*() print one line "[cpuN] level: text" to the console sink; whole
 * lines never interleave, even when every CPU prints at once.
 * log_record() prints a machine-readable line with no prefix, e.g.
 * "BOOT path=multiboot2 cpus_online=4", for tests and tools that read the
 * serial port: such lines are the project's output contract.
 *
 * Output is asynchronous once log_start_drain() runs: a writer copies its
 * whole line into a byte ring (kernel/log.c) and returns; a timer on the
 * CPU that started the drain hands the UART at most a FIFO's worth of the
 * ring whenever its FIFO is empty, never waiting for it. Until then, and
 * after log_stop_drain() or a panic (log_force_unlock()), every line is
 * written synchronously after what the ring holds, so order is kept.
 * log_record_droppable() lines (guest consoles) are dropped, and counted,
 * when the ring is nearly full; other lines never are (see log.c).
 *
 * Lock order: log_drain_lock -> log_lock -> percpu.timer_lock; log_lock is
 * taken with interrupts disabled and held only to copy a line.
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

#include <stdint.h>

/* The console the ring drains into (arch/x86/uart.c). */
struct log_console {
	/* Write every byte, waiting (bounded) for the device. */
	void (*write)(const char *text, size_t length);
	/* Write what the device takes now, never waiting; bytes taken. */
	size_t (*transmit)(const char *text, size_t length);
	/* Nanoseconds the device needs for what one transmit() takes at most. */
	uint64_t batch_ns;
};

void log_set_console(const struct log_console *console);
/* Drain the ring from a timer on this CPU from now on (needs timers). */
void log_start_drain(void);
/* Back to synchronous output: stop the timer, write what the ring holds. */
void log_stop_drain(void);
/* Write what the ring holds now, synchronously. */
void log_flush(void);
/* The LOGSTATS line: lines and bytes logged and dropped, the ring's
 * largest backlog, how late the drain started on an idle ring. */
void log_report(void);
/* The most recent log lines (at most 8 KiB, whole lines, oldest first)
 * into `out`, NUL-terminated; returns their length (xl dmesg). */
size_t log_history(char *out, size_t size);
void log_set_level(enum log_level level);
/* Parse "error", "warning", "info", "debug"; returns -1 if unknown. */
int log_level_from_name(const char *name);

void log_message(enum log_level level, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void log_record(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* A line that may be dropped when the ring is nearly full (a guest's). */
void log_record_droppable(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* After a panic starts: print even if another CPU died holding a log
 * lock; output is synchronous from then on. */
void log_force_unlock(void);

#define log_error(...)   log_message(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_message(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)    log_message(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)   log_message(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* KERNEL_LOG_H */
