/*
 * sched/trace.c - per-pCPU trace rings and the text form of trace records.
 *
 * A ring (struct sched_trace_ring, see sched/trace.h) has one writer, the
 * pCPU it belongs to, which never blocks and overwrites the oldest record
 * when full, and one reader that copies records out oldest first, skipping
 * and counting what was overwritten. The text form, one line per record, is
 * what the hypervisor prints on its serial console and what the simulator
 * prints; tools/uslice-trace turns it into Chrome JSON and SVG.
 *
 * Invariants: read <= written <= begun <= written + 1 (the writer has at
 * most one record in flight); records number k >= written - capacity are
 * intact in slot k & (capacity - 1) unless begun > k + capacity.
 *
 * Lock order: none. The writer is its pCPU (interrupts off or the
 * scheduler lock held, so one record at a time); the reader is serialised
 * by its caller.
 */
#include "sched/trace.h"
#include "sched/format.h"

static const char *const sched_trace_event_names[SCHED_TRACE_EVENT_COUNT] = {
    [SCHED_TRACE_SCHEDULE_IN] = "schedule_in",
    [SCHED_TRACE_SCHEDULE_OUT] = "schedule_out",
    [SCHED_TRACE_WAKE] = "wake",
    [SCHED_TRACE_BLOCK] = "block",
    [SCHED_TRACE_YIELD] = "yield",
    [SCHED_TRACE_OFFLOAD] = "offload",
    [SCHED_TRACE_OFFLOAD_FAILED] = "offload_failed",
    [SCHED_TRACE_RETURN] = "return",
    [SCHED_TRACE_MIGRATE] = "migrate",
    [SCHED_TRACE_ACCOUNT] = "account",
    [SCHED_TRACE_POOL_RESIZE] = "pool_resize",
    [SCHED_TRACE_COUNTERS] = "counters",
    [SCHED_TRACE_DIRECTED_YIELD] = "directed_yield",
    [SCHED_TRACE_POOL_PCPU] = "pool_pcpu",
    [SCHED_TRACE_PROGRESS_STEP] = "progress_step",
    [SCHED_TRACE_PROGRESS_SCORE] = "progress_score",
    [SCHED_TRACE_PROGRESS_HOLD] = "progress_hold",
    [SCHED_TRACE_PROGRESS_CHANGE] = "progress_change",
};

int sched_trace_ring_init(struct sched_trace_ring *ring, struct sched_trace_record *storage,
                          uint64_t capacity)
{
	if (capacity == 0 || (capacity & (capacity - 1)) != 0 || !storage)
		return -1;
	ring->records = storage;
	ring->capacity = capacity;
	ring->begun = 0;
	ring->written = 0;
	ring->read = 0;
	ring->dropped = 0;
	return 0;
}

void sched_trace_ring_write(struct sched_trace_ring *ring, const struct sched_trace_record *record)
{
	uint64_t number = ring->written; /* only this writer changes it */

	/* Announce the slot before touching it (the reader's torn check). */
	__atomic_store_n(&ring->begun, number + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring->records[number & (ring->capacity - 1)] = *record;
	__atomic_store_n(&ring->written, number + 1, __ATOMIC_RELEASE);
}

size_t sched_trace_ring_read(struct sched_trace_ring *ring, struct sched_trace_record *out,
                             size_t max)
{
	uint64_t written = __atomic_load_n(&ring->written, __ATOMIC_ACQUIRE);
	size_t copied = 0;

	while (copied < max && ring->read < written) {
		uint64_t begun;

		/* Skip what the writer has already overwritten. */
		if (written - ring->read > ring->capacity) {
			ring->dropped += written - ring->capacity - ring->read;
			ring->read = written - ring->capacity;
		}
		out[copied] = ring->records[ring->read & (ring->capacity - 1)];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		begun = __atomic_load_n(&ring->begun, __ATOMIC_RELAXED);
		if (begun - ring->read > ring->capacity) {
			/* The writer reused the slot while we copied it. */
			written = __atomic_load_n(&ring->written, __ATOMIC_ACQUIRE);
			ring->dropped++;
			ring->read++;
			continue;
		}
		ring->read++;
		copied++;
	}
	return copied;
}

uint64_t sched_trace_ring_pending(const struct sched_trace_ring *ring)
{
	uint64_t written = __atomic_load_n(&ring->written, __ATOMIC_ACQUIRE);
	uint64_t unread = written - ring->read;

	return unread > ring->capacity ? ring->capacity : unread;
}

uint64_t sched_trace_ring_dropped(const struct sched_trace_ring *ring)
{
	uint64_t written = __atomic_load_n(&ring->written, __ATOMIC_ACQUIRE);
	uint64_t unread = written - ring->read;

	if (unread > ring->capacity)
		return ring->dropped + unread - ring->capacity;
	return ring->dropped;
}

const char *sched_trace_event_name(uint16_t event)
{
	if (event >= SCHED_TRACE_EVENT_COUNT)
		return NULL;
	return sched_trace_event_names[event];
}

uint16_t sched_trace_event_from_name(const char *name, size_t length)
{
	for (uint16_t event = 1; event < SCHED_TRACE_EVENT_COUNT; event++) {
		const char *candidate = sched_trace_event_names[event];
		size_t i = 0;

		if (!candidate)
			continue;
		while (i < length && candidate[i] && candidate[i] == name[i])
			i++;
		if (i == length && candidate[i] == '\0')
			return event;
	}
	return 0;
}

/* Append " key=value", printing SCHED_TRACE_NONE as "-". */
static void sched_trace_format_id(struct sched_format *format, const char *key, uint16_t value)
{
	sched_format_string(format, key);
	if (value == SCHED_TRACE_NONE)
		sched_format_char(format, '-');
	else
		sched_format_unsigned(format, value);
}

size_t sched_trace_format(const struct sched_trace_record *record, char *buffer, size_t size)
{
	struct sched_format format;
	const char *name = sched_trace_event_name(record->event);

	sched_format_init(&format, buffer, size);
	sched_format_string(&format, "TRACE t=");
	sched_format_unsigned(&format, record->time);
	sched_format_string(&format, " pcpu=");
	sched_format_unsigned(&format, record->pcpu);
	sched_format_string(&format, " ev=");
	if (name)
		sched_format_string(&format, name);
	else
		sched_format_unsigned(&format, record->event);
	sched_trace_format_id(&format, " vm=", record->vm);
	sched_trace_format_id(&format, " vcpu=", record->vcpu);
	sched_format_string(&format, " a0=");
	sched_format_unsigned(&format, record->arg0);
	sched_format_string(&format, " a1=");
	sched_format_unsigned(&format, record->arg1);
	return format.used;
}
