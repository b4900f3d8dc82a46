/*
 * sched/trace.h - scheduling trace: event vocabulary and record format.
 *
 * Every scheduling decision is reported through sched_env_trace() (see
 * sched/env.h) as one fixed-size record; the environment stamps it with the
 * time and stores it in the per-pCPU ring of the pCPU that made the decision.
 * Event values are stable: host tools (tools/uslice-trace) decode them by
 * name from the text form.
 *
 * Lock order: a ring is written only by its own pCPU (no lock); readers copy
 * it out while that pCPU is stopped or by tolerating torn records.
 */
#ifndef SCHED_TRACE_H
#define SCHED_TRACE_H

#include <stddef.h>
#include <stdint.h>

enum sched_trace_event {
	SCHED_TRACE_SCHEDULE_IN = 1, /* vcpu starts on pcpu; arg0 = slice ns    */
	SCHED_TRACE_SCHEDULE_OUT,    /* vcpu leaves pcpu; arg0 = ran ns, arg1 = reason */
	SCHED_TRACE_WAKE,            /* vcpu becomes runnable; arg0 = priority  */
	SCHED_TRACE_BLOCK,           /* vcpu blocks (HLT)                       */
	SCHED_TRACE_YIELD,           /* urgent yield; arg0 = source, arg1 = category */
	SCHED_TRACE_OFFLOAD,         /* vcpu sent to micro pcpu arg0; arg1 = cause */
	SCHED_TRACE_OFFLOAD_FAILED,  /* no free micro-sliced pcpu; arg1 = cause */
	SCHED_TRACE_RETURN,          /* vcpu back to normal pcpu arg0           */
	SCHED_TRACE_MIGRATE,         /* balancer/steal moved vcpu; arg0 = from, arg1 = to */
	SCHED_TRACE_ACCOUNT,         /* credit accounting ran; arg0 = pool id   */
	SCHED_TRACE_POOL_RESIZE,     /* micro pool size arg0 -> arg1            */
	SCHED_TRACE_COUNTERS,        /* profile snapshot; arg0 = ipi<<32|ple, arg1 = irq */
	SCHED_TRACE_DIRECTED_YIELD,  /* PLE yield_to sibling arg0 (vcpu index) on pcpu arg1 */
	SCHED_TRACE_POOL_PCPU,       /* pcpu arg0 joins pool arg1 (0xffff: leaves its pool) */
	/* The progress controller (sched/progress.c): */
	SCHED_TRACE_PROGRESS_STEP,   /* the vm's useful ns arg0 in a step at micro size
	                              * arg1 >> 48, the step lasting arg1 & 2^48-1 ns */
	SCHED_TRACE_PROGRESS_SCORE,  /* at a decision: size arg0 scored arg1
	                              * (1000000 = the sweep's first size) */
	SCHED_TRACE_PROGRESS_HOLD,   /* size arg0 held until arg1 ns (~0: for good) */
	SCHED_TRACE_PROGRESS_CHANGE, /* the held size's event mix changed: cause
	                              * arg0 (enum sched_progress_change), event
	                              * rates per s arg1: held << 32 | now */
	SCHED_TRACE_EVENT_COUNT
};

/* Why a held size is re-profiled (progress_change's arg0). */
enum sched_progress_change {
	SCHED_PROGRESS_UNCHANGED,
	SCHED_PROGRESS_STARTED,  /* contention started at a held 0: min_events, none before */
	SCHED_PROGRESS_DOMINANT, /* the most frequent kind of event changed */
	SCHED_PROGRESS_ROSE,     /* the rate rose past the rate factor */
	SCHED_PROGRESS_STOPPED,  /* under min_events, the rate fell past it */
};
/* A progress_change record's arg1: the held rate above, the window's below. */
#define SCHED_TRACE_PROGRESS_RATE_SHIFT 32u
#define SCHED_TRACE_PROGRESS_RATE_MAX   0xffffffffull

/* A progress_step record's arg1: the micro size above, the step's ns below. */
#define SCHED_TRACE_PROGRESS_SIZE_SHIFT 48u
#define SCHED_TRACE_PROGRESS_NS_MASK    ((1ull << SCHED_TRACE_PROGRESS_SIZE_SHIFT) - 1)

/* One trace record: 32 bytes, naturally aligned. */
struct sched_trace_record {
	uint64_t time;  /* stamped by the environment: TSC ticks or ns  */
	uint16_t event; /* enum sched_trace_event                        */
	uint16_t pcpu;  /* pCPU that made the decision                   */
	uint16_t vm;    /* VM id, 0xffff if none                         */
	uint16_t vcpu;  /* vCPU index within the VM, 0xffff if none      */
	uint64_t arg0;
	uint64_t arg1;
};

#define SCHED_TRACE_NONE 0xffffu

/*
 * Per-pCPU trace ring (sched/trace.c).
 *
 * Storage is the caller's: an array of `capacity` records, capacity a power
 * of two. Exactly one writer (the ring's own pCPU) and at most one reader.
 * The writer never waits and never looks at the reader: when the ring is
 * full the newest record overwrites the oldest. Record number k (counting
 * from 0 since init) lives in slot k % capacity.
 *
 * Writer protocol (seqlock-like): begun = k + 1; fence; fill the slot;
 * written = k + 1 (release). The reader keeps its own position `read`
 * (<= written) and, after copying a slot, re-reads `begun`: if the writer
 * has started a record that reuses the slot, the copy may be torn and is
 * discarded. Records overwritten before the reader copied them (or torn)
 * are counted in `dropped`. A reader working while the writer is stopped
 * (the usual dump at the end of a run) gets the last `capacity` records.
 */
struct sched_trace_ring {
	struct sched_trace_record *records;
	uint64_t capacity; /* power of two                              */
	uint64_t begun;    /* writer: records started since init        */
	uint64_t written;  /* writer: records completed since init      */
	uint64_t read;     /* reader: number of the next record to copy */
	uint64_t dropped;  /* reader: records lost to overwriting       */
};

/* Initialise a ring; returns 0, or -1 if capacity is 0 or not a power of 2. */
int sched_trace_ring_init(struct sched_trace_ring *ring, struct sched_trace_record *storage,
                          uint64_t capacity);

/* Append one record (writer side: the ring's own pCPU only). */
void sched_trace_ring_write(struct sched_trace_ring *ring, const struct sched_trace_record *record);

/*
 * Copy up to `max` unread records, oldest first, into `out` and consume
 * them; returns how many were copied. Records overwritten before they could
 * be copied are skipped and added to ring->dropped.
 */
size_t sched_trace_ring_read(struct sched_trace_ring *ring, struct sched_trace_record *out,
                             size_t max);

/* Records written, not yet read, and still present in the ring. */
uint64_t sched_trace_ring_pending(const struct sched_trace_ring *ring);

/* Records lost so far: ring->dropped plus those overwritten but not yet
 * skipped by a read. */
uint64_t sched_trace_ring_dropped(const struct sched_trace_ring *ring);

/* "offload", "schedule_in", ...; NULL for a value outside the enum. */
const char *sched_trace_event_name(uint16_t event);

/* The event named `name` (`length` bytes, no NUL needed), or 0 if none. */
uint16_t sched_trace_event_from_name(const char *name, size_t length);

/*
 * Render one record as a console line, without a newline:
 *   TRACE t=123456 pcpu=2 ev=offload vm=1 vcpu=3 a0=5 a1=2
 * All numbers are decimal; vm/vcpu equal to SCHED_TRACE_NONE print as "-";
 * an event outside the enum prints as its number. Always NUL-terminates
 * (if size > 0) and returns the length the whole line needs, like snprintf
 * (>= size means truncated). SCHED_TRACE_LINE_MAX bytes always suffice.
 */
#define SCHED_TRACE_LINE_MAX 128
size_t sched_trace_format(const struct sched_trace_record *record, char *buffer, size_t size);

#endif /* SCHED_TRACE_H */
