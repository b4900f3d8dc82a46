/*
 * tests/host/test_trace.c - host tests of the per-pCPU trace ring and the
 * text form of trace records (sched/trace.h).
 *
 * Table-driven: ring capacities accepted and refused; write/read sequences
 * with wrap-around and the dropped count; a read racing a writer that laps
 * the slot being copied (simulated by the writer's counters); record
 * formatting, truncation and event names.
 *
 * Lock order: none (single-threaded).
 */
#include "sched/trace.h"
#include "tests/host/test.h"

static struct sched_trace_record make_record(uint64_t number)
{
	struct sched_trace_record record = {
	    .time = 1000 + number,
	    .event = SCHED_TRACE_SCHEDULE_IN,
	    .pcpu = 2,
	    .vm = 1,
	    .vcpu = (uint16_t)(number % 7),
	    .arg0 = number,
	    .arg1 = number * 3,
	};
	return record;
}

static void test_record_layout(void)
{
	CHECK_EQ(sizeof(struct sched_trace_record), 32);
	CHECK_EQ(_Alignof(struct sched_trace_record), 8);
}

static void test_ring_init(void)
{
	static const struct {
		uint64_t capacity;
		int result;
	} rows[] = {
	    {0, -1}, {1, 0}, {2, 0}, {3, -1}, {6, -1}, {8, 0}, {12, -1}, {64, 0},
	};
	static struct sched_trace_record storage[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_trace_ring ring;

		CHECK_EQ(sched_trace_ring_init(&ring, storage, rows[i].capacity), rows[i].result);
	}
	CHECK_EQ(sched_trace_ring_init(&(struct sched_trace_ring){0}, NULL, 8), -1);
}

/*
 * Each row: a capacity, then rounds of "write W records, read up to R";
 * after every read the records returned must be the expected consecutive
 * numbers (oldest still present first) and the dropped count must match.
 */
static void test_ring_sequences(void)
{
	static const struct {
		uint64_t capacity;
		struct {
			uint64_t write;
			size_t read;
			size_t got;       /* records returned           */
			uint64_t first;   /* number of the first of them */
			uint64_t dropped; /* ring->dropped afterwards    */
			uint64_t pending; /* unread records afterwards   */
		} rounds[4];
		size_t round_count;
	} rows[] = {
	    /* Under capacity: nothing lost. */
	    {8, {{5, 100, 5, 0, 0, 0}}, 1},
	    /* Exactly full: nothing lost. */
	    {8, {{8, 100, 8, 0, 0, 0}}, 1},
	    /* Wrapped: the newest 4 of 10 survive, 6 dropped. */
	    {4, {{10, 100, 4, 6, 6, 0}}, 1},
	    /* Partial reads with a limit, then more writes. */
	    {4,
	     {{3, 2, 2, 0, 0, 1}, {0, 2, 1, 2, 0, 0}, {6, 3, 3, 5, 2, 1}, {0, 10, 1, 8, 2, 0}},
	     4},
	    /* Capacity 1 keeps only the latest record. */
	    {1, {{3, 5, 1, 2, 2, 0}, {1, 5, 1, 3, 2, 0}}, 2},
	    /* Reading an empty ring. */
	    {2, {{0, 4, 0, 0, 0, 0}}, 1},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_trace_record storage[8];
		struct sched_trace_record out[16];
		struct sched_trace_ring ring;
		uint64_t next = 0;

		CHECK_EQ(sched_trace_ring_init(&ring, storage, rows[i].capacity), 0);
		for (size_t r = 0; r < rows[i].round_count; r++) {
			size_t got;

			for (uint64_t w = 0; w < rows[i].rounds[r].write; w++) {
				struct sched_trace_record record = make_record(next++);

				sched_trace_ring_write(&ring, &record);
			}
			got = sched_trace_ring_read(&ring, out, rows[i].rounds[r].read);
			CHECK_EQ(got, rows[i].rounds[r].got);
			for (size_t k = 0; k < got; k++) {
				struct sched_trace_record expected =
				    make_record(rows[i].rounds[r].first + k);

				CHECK(memcmp(&out[k], &expected, sizeof(expected)) == 0);
			}
			CHECK_EQ(ring.dropped, rows[i].rounds[r].dropped);
			CHECK_EQ(sched_trace_ring_dropped(&ring), rows[i].rounds[r].dropped);
			CHECK_EQ(sched_trace_ring_pending(&ring), rows[i].rounds[r].pending);
		}
	}
}

/* Losses are visible before the reader skips them. */
static void test_ring_dropped_before_read(void)
{
	struct sched_trace_record storage[4];
	struct sched_trace_ring ring;

	sched_trace_ring_init(&ring, storage, 4);
	for (uint64_t n = 0; n < 11; n++) {
		struct sched_trace_record record = make_record(n);

		sched_trace_ring_write(&ring, &record);
	}
	CHECK_EQ(ring.dropped, 0);
	CHECK_EQ(sched_trace_ring_dropped(&ring), 7);
	CHECK_EQ(sched_trace_ring_pending(&ring), 4);
}

/*
 * A writer that starts overwriting the slot the reader is copying: the
 * ring is full (records 0..3) and the writer has begun record 4, which
 * reuses record 0's slot. The reader must discard record 0 as torn.
 */
static void test_ring_torn_read(void)
{
	struct sched_trace_record storage[4];
	struct sched_trace_record out[8];
	struct sched_trace_ring ring;
	size_t got;

	sched_trace_ring_init(&ring, storage, 4);
	for (uint64_t n = 0; n < 4; n++) {
		struct sched_trace_record record = make_record(n);

		sched_trace_ring_write(&ring, &record);
	}
	ring.begun = ring.written + 1; /* record 4 in flight */
	got = sched_trace_ring_read(&ring, out, 8);
	CHECK_EQ(got, 3);
	CHECK_EQ(out[0].arg0, 1);
	CHECK_EQ(out[2].arg0, 3);
	CHECK_EQ(ring.dropped, 1);
	/* The writer finishes record 4; the reader then gets it. */
	{
		struct sched_trace_record record = make_record(4);

		ring.begun = ring.written;
		sched_trace_ring_write(&ring, &record);
	}
	got = sched_trace_ring_read(&ring, out, 8);
	CHECK_EQ(got, 1);
	CHECK_EQ(out[0].arg0, 4);
	CHECK_EQ(ring.dropped, 1);
}

static void test_format(void)
{
	static const struct {
		struct sched_trace_record record;
		const char *line;
	} rows[] = {
	    {{123456, SCHED_TRACE_OFFLOAD, 2, 1, 3, 5, 2},
	     "TRACE t=123456 pcpu=2 ev=offload vm=1 vcpu=3 a0=5 a1=2"},
	    {{0, SCHED_TRACE_SCHEDULE_IN, 0, 0, 0, 100000, 0},
	     "TRACE t=0 pcpu=0 ev=schedule_in vm=0 vcpu=0 a0=100000 a1=0"},
	    {{7, SCHED_TRACE_ACCOUNT, 11, SCHED_TRACE_NONE, SCHED_TRACE_NONE, 1, 0},
	     "TRACE t=7 pcpu=11 ev=account vm=- vcpu=- a0=1 a1=0"},
	    {{UINT64_MAX, SCHED_TRACE_COUNTERS, 65535, 65534, 1, ((uint64_t)12 << 32) | 34,
	      UINT64_MAX},
	     "TRACE t=18446744073709551615 pcpu=65535 ev=counters vm=65534 "
	     "vcpu=1 a0=51539607586 a1=18446744073709551615"},
	    {{9, 42, 1, 2, 3, 4, 5}, "TRACE t=9 pcpu=1 ev=42 vm=2 vcpu=3 a0=4 a1=5"},
	    {{9, 0, 1, 2, 3, 4, 5}, "TRACE t=9 pcpu=1 ev=0 vm=2 vcpu=3 a0=4 a1=5"},
	    {{10, SCHED_TRACE_POOL_RESIZE, 0, SCHED_TRACE_NONE, SCHED_TRACE_NONE, 1, 3},
	     "TRACE t=10 pcpu=0 ev=pool_resize vm=- vcpu=- a0=1 a1=3"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char line[SCHED_TRACE_LINE_MAX];

		CHECK_EQ(sched_trace_format(&rows[i].record, line, sizeof(line)),
		         strlen(rows[i].line));
		CHECK_STR(line, rows[i].line);
	}
	/* Truncation: NUL-terminated, full length reported. */
	{
		char small[12];
		size_t need = sched_trace_format(&rows[0].record, small, sizeof(small));

		CHECK_EQ(need, strlen(rows[0].line));
		CHECK_STR(small, "TRACE t=123");
		CHECK_EQ(sched_trace_format(&rows[0].record, NULL, 0), need);
	}
	/* The longest possible line fits SCHED_TRACE_LINE_MAX. */
	CHECK(strlen(rows[3].line) < SCHED_TRACE_LINE_MAX);
}

static void test_event_names(void)
{
	static const char *const names[] = {
	    "schedule_in",    "schedule_out",    "wake",           "block",
	    "yield",          "offload",         "offload_failed", "return",
	    "migrate",        "account",         "pool_resize",    "counters",
	    "directed_yield", "pool_pcpu",       "progress_step",  "progress_score",
	    "progress_hold",  "progress_change",
	};

	CHECK_EQ(sizeof(names) / sizeof(names[0]), SCHED_TRACE_EVENT_COUNT - 1);
	for (uint16_t event = 1; event < SCHED_TRACE_EVENT_COUNT; event++) {
		const char *name = sched_trace_event_name(event);

		CHECK_STR(name, names[event - 1]);
		CHECK_EQ(sched_trace_event_from_name(name, strlen(name)), event);
	}
	CHECK(sched_trace_event_name(0) == NULL);
	CHECK(sched_trace_event_name(SCHED_TRACE_EVENT_COUNT) == NULL);
	CHECK_EQ(sched_trace_event_from_name("offload", 6), 0); /* "offloa" */
	CHECK_EQ(sched_trace_event_from_name("offloads", 8), 0);
	CHECK_EQ(sched_trace_event_from_name("", 0), 0);
}

int main(void)
{
	TEST_RUN(test_record_layout);
	TEST_RUN(test_ring_init);
	TEST_RUN(test_ring_sequences);
	TEST_RUN(test_ring_dropped_before_read);
	TEST_RUN(test_ring_torn_read);
	TEST_RUN(test_format);
	TEST_RUN(test_event_names);
	return test_summary("test_trace");
}
