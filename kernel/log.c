/*
 * kernel/log.c - line-atomic logging to the console, through a byte ring.
 *
 * A line is formatted into a stack buffer first, then copied whole into
 * log_ring under log_lock (a memcpy of at most LOG_LINE_SIZE bytes), so
 * lines never interleave and come out in the order their writers took the
 * lock. Lines longer than LOG_LINE_SIZE are cut and end in "...".
 *
 * Draining: whoever holds log_drain_lock moves bytes from the ring's tail
 * to the console, so they leave in ring order. After log_start_drain(), a
 * timer on that CPU does it: each tick hands the console what it takes
 * without waiting (the UART's TX FIFO, 16 bytes, when it is empty) and
 * comes back after the console's batch time while bytes wait, or after
 * LOG_DRAIN_IDLE_NS when the ring is empty (the latency of a line logged
 * on an idle ring). A tick costs a few port writes, never a wait: a
 * printing guest no longer holds a pCPU with interrupts off for 17 ms per
 * line, and the timer interrupts of other vCPUs are not delayed.
 * Synchronous (before the drain starts, after it stops, after a panic):
 * the writer writes the ring out itself after its line.
 *
 * Full ring: a droppable line (a guest's) is refused when it would leave
 * less than LOG_DROPPABLE_RESERVE bytes free, and counted (LOGSTATS); any
 * other line is the output contract and is never lost: its writer writes
 * the ring out synchronously, then retries (only the hypervisor's own
 * output can fill the reserve: LOG_RING_SIZE bytes are seconds of line
 * time).
 *
 * Lock order: log_drain_lock -> log_lock -> percpu.timer_lock; both log
 * locks are taken with interrupts disabled; log_lock never while waiting.
 */
#include "kernel/log.h"

#include <stdarg.h>
#include <stdbool.h>

#include "kernel/lock.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/timer.h"

#define LOG_LINE_SIZE         512
#define LOG_RING_SIZE         (64u * 1024) /* bytes waiting for the console */
#define LOG_DROPPABLE_RESERVE (8u * 1024)  /* room droppable lines leave free */
#define LOG_DRAIN_IDLE_NS     10000000ull  /* an empty ring's poll: 10 ms */
#define LOG_NS_PER_US         1000u

static struct spinlock log_lock = SPINLOCK_INIT;       /* ring head, counters */
static struct spinlock log_drain_lock = SPINLOCK_INIT; /* the console, ring tail */
static struct log_console log_console;
static enum log_level log_threshold = LOG_LEVEL_INFO;
static char log_ring[LOG_RING_SIZE];
/* A copy of the most recent lines for `xl dmesg` (under log_lock). */
#define LOG_HISTORY_SIZE (8u * 1024)
static char log_history_ring[LOG_HISTORY_SIZE];
static uint32_t log_history_head;
static uint32_t log_head, log_tail; /* free-running; tail moves under both locks */
static bool log_draining;
static struct timer log_drain_timer;

static struct log_stats {
	uint64_t lines, bytes, dropped_lines, dropped_bytes;
	uint64_t async_bytes; /* sent by the drain timer */
	uint32_t backlog_max;
	uint64_t waiting_since;     /* TSC the ring last became non-empty, 0 if sent */
	uint64_t start_latency_max; /* TSC ticks from there to its first byte out */
} log_stats;

static const char *const log_level_names[] = {
    [LOG_LEVEL_ERROR] = "error",
    [LOG_LEVEL_WARNING] = "warning",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug",
};

_Static_assert((LOG_RING_SIZE & (LOG_RING_SIZE - 1)) == 0, "ring size is a power of two");
_Static_assert(LOG_DROPPABLE_RESERVE + LOG_LINE_SIZE < LOG_RING_SIZE, "reserve fits the ring");

void log_set_console(const struct log_console *console)
{
	log_console = *console;
}
void log_set_level(enum log_level level)
{
	log_threshold = level;
}

int log_level_from_name(const char *name)
{
	for (unsigned i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++)
		if (strcmp(name, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_force_unlock(void)
{
	__atomic_store_n(&log_draining, false, __ATOMIC_RELEASE);
	__atomic_store_n(&log_lock.serving, log_lock.next, __ATOMIC_RELEASE);
	__atomic_store_n(&log_drain_lock.serving, log_drain_lock.next, __ATOMIC_RELEASE);
}

/* log_drain_lock held: send bytes from the ring's tail, all of them up to
 * the ring's end if `wait`, else what the console takes now. Returns
 * whether bytes still wait in the ring. */
static bool log_send(bool wait)
{
	uint64_t flags = spinlock_acquire_irqsave(&log_lock);
	uint32_t tail = log_tail;
	uint32_t pending = log_head - tail;
	spinlock_release_irqrestore(&log_lock, flags);
	if (!pending)
		return false;
	uint32_t offset = tail % LOG_RING_SIZE;
	uint32_t length = pending < LOG_RING_SIZE - offset ? pending : LOG_RING_SIZE - offset;
	size_t sent = length; /* no console: discarded */
	if (wait && log_console.write)
		log_console.write(log_ring + offset, length);
	else if (!wait && log_console.transmit)
		sent = log_console.transmit(log_ring + offset, length);
	if (!sent)
		return true;
	flags = spinlock_acquire_irqsave(&log_lock);
	log_tail = tail + (uint32_t)sent;
	if (!wait)
		log_stats.async_bytes += sent;
	if (log_stats.waiting_since) {
		uint64_t latency = timer_now() - log_stats.waiting_since;
		if (latency > log_stats.start_latency_max)
			log_stats.start_latency_max = latency;
		log_stats.waiting_since = 0;
	}
	bool more = log_head != log_tail;
	spinlock_release_irqrestore(&log_lock, flags);
	return more;
}

void log_flush(void)
{
	uint64_t flags = spinlock_acquire_irqsave(&log_drain_lock);
	uint32_t end = __atomic_load_n(&log_head, __ATOMIC_ACQUIRE);
	/* Up to the head seen now: writers on other CPUs cannot keep us. */
	while ((int32_t)(end - __atomic_load_n(&log_tail, __ATOMIC_ACQUIRE)) > 0 && log_send(true))
		;
	spinlock_release_irqrestore(&log_drain_lock, flags);
}

static void log_drain_tick(struct timer *timer, void *context)
{
	(void)context;
	if (!__atomic_load_n(&log_draining, __ATOMIC_ACQUIRE))
		return;
	bool more = true; /* a synchronous writer has the console: look again soon */
	if (spinlock_try_acquire(&log_drain_lock)) { /* interrupts are off here */
		more = log_send(false);
		spinlock_release(&log_drain_lock);
	}
	uint64_t delay = more ? log_console.batch_ns : LOG_DRAIN_IDLE_NS;
	timer_start(timer, timer_now() + timer_ns_to_tsc(delay), log_drain_tick, NULL);
}

void log_start_drain(void)
{
	__atomic_store_n(&log_draining, true, __ATOMIC_RELEASE);
	timer_start(&log_drain_timer, timer_now(), log_drain_tick, NULL);
}

void log_stop_drain(void)
{
	__atomic_store_n(&log_draining, false, __ATOMIC_RELEASE);
	timer_cancel(&log_drain_timer);
	log_flush();
}

/* Copy a line into the ring; false if it does not fit (under the reserve
 * too if droppable; a dropped line is counted). */
static bool log_append(const char *line, uint32_t size, bool droppable, bool *dropped)
{
	uint64_t flags = spinlock_acquire_irqsave(&log_lock);
	uint32_t used = log_head - log_tail;
	uint32_t limit = LOG_RING_SIZE - (droppable ? LOG_DROPPABLE_RESERVE : 0);
	bool fits = used + size <= limit;
	if (fits) {
		uint32_t offset = log_head % LOG_RING_SIZE;
		uint32_t first = size < LOG_RING_SIZE - offset ? size : LOG_RING_SIZE - offset;
		memcpy(log_ring + offset, line, first);
		memcpy(log_ring, line + first, size - first);
		if (!used && !log_stats.waiting_since)
			log_stats.waiting_since = timer_now();
		log_head += size;
		for (uint32_t i = 0; i < size; i++)
			log_history_ring[(log_history_head + i) % LOG_HISTORY_SIZE] = line[i];
		log_history_head += size;
		log_stats.lines++;
		log_stats.bytes += size;
		if (used + size > log_stats.backlog_max)
			log_stats.backlog_max = used + size;
	} else if (droppable) {
		log_stats.dropped_lines++;
		log_stats.dropped_bytes += size;
	}
	spinlock_release_irqrestore(&log_lock, flags);
	*dropped = !fits && droppable;
	return fits;
}

static void log_emit(char *line, int length, bool droppable)
{
	if (length >= LOG_LINE_SIZE - 1) {
		length = LOG_LINE_SIZE - 1;
		memcpy(line + length - 3, "...", 3);
	}
	line[length] = '\n';
	bool dropped;
	while (!log_append(line, (uint32_t)length + 1, droppable, &dropped)) {
		if (dropped)
			return;
		log_flush(); /* a contract line waits for room: see the file comment */
	}
	if (!__atomic_load_n(&log_draining, __ATOMIC_ACQUIRE))
		log_flush();
}

void log_message(enum log_level level, const char *format, ...)
{
	if (level > log_threshold)
		return;
	char line[LOG_LINE_SIZE];
	int prefix = format_string(line, sizeof(line), "[cpu%u] %s: ", percpu_this_index(),
	                           log_level_names[level]);
	va_list args;
	va_start(args, format);
	int body = format_string_va(line + prefix, sizeof(line) - (size_t)prefix, format, args);
	va_end(args);
	int length = prefix + body;
	log_emit(line, length < LOG_LINE_SIZE - 1 ? length : LOG_LINE_SIZE - 1, false);
}

static void log_record_va(bool droppable, const char *format, va_list args)
{
	char line[LOG_LINE_SIZE];
	int length = format_string_va(line, sizeof(line), format, args);
	log_emit(line, length < LOG_LINE_SIZE - 1 ? length : LOG_LINE_SIZE - 1, droppable);
}

void log_record(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	log_record_va(false, format, args);
	va_end(args);
}

void log_record_droppable(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	log_record_va(true, format, args);
	va_end(args);
}

size_t log_history(char *out, size_t size)
{
	if (!size)
		return 0;
	uint64_t flags = spinlock_acquire_irqsave(&log_lock);
	uint32_t kept = log_history_head < LOG_HISTORY_SIZE ? log_history_head : LOG_HISTORY_SIZE;
	if (kept > size - 1)
		kept = (uint32_t)(size - 1);
	uint32_t start = log_history_head - kept;
	for (uint32_t i = 0; i < kept; i++)
		out[i] = log_history_ring[(start + i) % LOG_HISTORY_SIZE];
	spinlock_release_irqrestore(&log_lock, flags);
	/* Begin at a whole line unless the copy starts the log. */
	size_t from = 0;
	if (start)
		while (from < kept && out[from++] != '\n')
			;
	memmove(out, out + from, kept - from);
	out[kept - from] = '\0';
	return kept - from;
}

void log_report(void)
{
	uint64_t flags = spinlock_acquire_irqsave(&log_lock);
	struct log_stats s = log_stats;
	spinlock_release_irqrestore(&log_lock, flags);
	log_record("LOGSTATS lines=%llu bytes=%llu dropped_lines=%llu dropped_bytes=%llu "
	           "async_bytes=%llu backlog_max=%u start_latency_max_us=%llu",
	           (unsigned long long)s.lines, (unsigned long long)s.bytes,
	           (unsigned long long)s.dropped_lines, (unsigned long long)s.dropped_bytes,
	           (unsigned long long)s.async_bytes, s.backlog_max,
	           (unsigned long long)(timer_tsc_to_ns(s.start_latency_max) / LOG_NS_PER_US));
}
