/*
 * tests/host/test_vrtc.c - host tests of the CMOS RTC model (vmx/vrtc.c):
 * time and date registers in BCD and binary, 24- and 12-hour modes, the
 * epoch and dates across month, leap-year and year ends, the index
 * port's NMI mask, status A-D (UIP never set, C reads 0, D valid), the SET
 * bit freezing and setting the clock, CMOS RAM, and the interrupts: the
 * periodic rates, update-ended and alarm flags (with don't-care bytes),
 * IRQF held until status C is read, and when the next rise comes.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vrtc.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

#define NS VRTC_NS_PER_SECOND

/* Register accesses at `now` seconds since 1970. */
static uint8_t rtc_get(struct vrtc *rtc, uint8_t index, uint64_t now)
{
	vrtc_write(rtc, VRTC_INDEX_PORT, index, now * NS);
	return vrtc_read(rtc, VRTC_DATA_PORT, now * NS);
}

static void rtc_set(struct vrtc *rtc, uint8_t index, uint8_t value, uint64_t now)
{
	vrtc_write(rtc, VRTC_INDEX_PORT, index, now * NS);
	vrtc_write(rtc, VRTC_DATA_PORT, value, now * NS);
}

/* The same at `now_ns`. */
static uint8_t rtc_get_ns(struct vrtc *rtc, uint8_t index, uint64_t now_ns)
{
	vrtc_write(rtc, VRTC_INDEX_PORT, index, now_ns);
	return vrtc_read(rtc, VRTC_DATA_PORT, now_ns);
}

static void rtc_set_ns(struct vrtc *rtc, uint8_t index, uint8_t value, uint64_t now_ns)
{
	vrtc_write(rtc, VRTC_INDEX_PORT, index, now_ns);
	vrtc_write(rtc, VRTC_DATA_PORT, value, now_ns);
}

static void test_time(void)
{
	static const struct {
		uint64_t now;
		uint8_t status_b;
		/* seconds, minutes, hours, weekday, day, month, year */
		uint8_t expect[7];
	} rows[] = {
	    {VRTC_EPOCH, VRTC_B_24H, {0x00, 0x00, 0x00, 5, 0x01, 0x01, 0x26}}, /* Thursday */
	    {VRTC_EPOCH + 3661, VRTC_B_24H, {0x01, 0x01, 0x01, 5, 0x01, 0x01, 0x26}},
	    {VRTC_EPOCH + 86399, VRTC_B_24H, {0x59, 0x59, 0x23, 5, 0x01, 0x01, 0x26}},
	    {VRTC_EPOCH + 86400, VRTC_B_24H, {0x00, 0x00, 0x00, 6, 0x02, 0x01, 0x26}},
	    {VRTC_EPOCH + 86399, VRTC_B_24H | VRTC_B_BINARY, {59, 59, 23, 5, 1, 1, 26}},
	    {VRTC_EPOCH + 86399, 0, {0x59, 0x59, 0x91, 5, 0x01, 0x01, 0x26}}, /* 11 PM */
	    {VRTC_EPOCH, 0, {0x00, 0x00, 0x12, 5, 0x01, 0x01, 0x26}},         /* 12 AM */
	    {VRTC_EPOCH + 43200, 0, {0x00, 0x00, 0x92, 5, 0x01, 0x01, 0x26}}, /* 12 PM */
	    {VRTC_EPOCH + 3600, VRTC_B_BINARY, {0, 0, 1, 5, 1, 1, 26}},
	    {0, VRTC_B_24H, {0x00, 0x00, 0x00, 5, 0x01, 0x01, 0x70}},          /* 1970-01-01 */
	    {951782400, VRTC_B_24H, {0, 0, 0, 3, 0x29, 0x02, 0x00}},           /* 2000-02-29 Tue */
	    {1709164800, VRTC_B_24H, {0, 0, 0, 5, 0x29, 0x02, 0x24}},          /* 2024-02-29 Thu */
	    {1798761599, VRTC_B_24H, {0x59, 0x59, 0x23, 5, 0x31, 0x12, 0x26}}, /* 2026-12-31 */
	    {4102444800, VRTC_B_24H, {0, 0, 0, 6, 0x01, 0x01, 0x00}},          /* 2100-01-01 Fri */
	};
	static const uint8_t registers[7] = {VRTC_SECONDS, VRTC_MINUTES, VRTC_HOURS, VRTC_WEEKDAY,
	                                     VRTC_DAY,     VRTC_MONTH,   VRTC_YEAR};
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		struct vrtc rtc;
		vrtc_init(&rtc, 0);
		rtc_set(&rtc, VRTC_STATUS_B, rows[i].status_b, rows[i].now);
		for (unsigned r = 0; r < 7; r++) {
			uint8_t got = rtc_get(&rtc, registers[r], rows[i].now);
			if (got != rows[i].expect[r])
				fprintf(stderr, "row %u register %u: 0x%x\n", i, registers[r], got);
			CHECK_EQ(got, rows[i].expect[r]);
		}
	}
}

static void test_status(void)
{
	struct vrtc rtc;
	vrtc_init(&rtc, 0);
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_A, 0), VRTC_A_DEFAULT);
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_B, 0), VRTC_B_24H);
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_C, 0), 0);
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_D, 0), VRTC_D_VALID);
	rtc_set(&rtc, VRTC_STATUS_A, 0xff, 0); /* UIP is read-only, never set */
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_A, 0), 0x7f);
	rtc_set(&rtc, VRTC_STATUS_D, 0, 0);
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_D, 0), VRTC_D_VALID);
	rtc_set(&rtc, VRTC_STATUS_B, VRTC_B_24H | VRTC_B_PIE | VRTC_B_UIE, 0);
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_B, 0), VRTC_B_24H | VRTC_B_PIE | VRTC_B_UIE);
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_C, 0), 0); /* no time has passed */
	CHECK_EQ(rtc_get(&rtc, VRTC_CENTURY, 0), VRTC_CENTURY_DEFAULT);
}

static void test_index_and_ram(void)
{
	struct vrtc rtc;
	vrtc_init(&rtc, 0);
	vrtc_write(&rtc, VRTC_INDEX_PORT, VRTC_NMI_MASK | VRTC_STATUS_D, 0);
	CHECK(rtc.nmi_masked);
	CHECK_EQ(vrtc_read(&rtc, VRTC_INDEX_PORT, 0), VRTC_NMI_MASK | VRTC_STATUS_D);
	CHECK_EQ(vrtc_read(&rtc, VRTC_DATA_PORT, 0), VRTC_D_VALID);
	CHECK(!vrtc_update(&rtc, 0));
	for (unsigned index = VRTC_RAM_FIRST; index < VRTC_REGISTERS; index++)
		rtc_set(&rtc, (uint8_t)index, (uint8_t)(index ^ 0x5a), 0);
	for (unsigned index = VRTC_RAM_FIRST; index < VRTC_REGISTERS; index++)
		CHECK_EQ(rtc_get(&rtc, (uint8_t)index, 0), index ^ 0x5a);
	CHECK(!rtc.nmi_masked);
	rtc_set(&rtc, VRTC_SECONDS_ALARM, 0x30, 0); /* alarms are stored */
	CHECK_EQ(rtc_get(&rtc, VRTC_SECONDS_ALARM, 0), 0x30);
	CHECK_EQ(rtc_get(&rtc, VRTC_SECONDS, VRTC_EPOCH + 5), 0x05);
}

static void test_set_clock(void)
{
	struct vrtc rtc;
	vrtc_init(&rtc, 0);
	uint64_t now = VRTC_EPOCH;
	rtc_set(&rtc, VRTC_STATUS_B, VRTC_B_SET | VRTC_B_24H, now);
	CHECK_EQ(rtc_get(&rtc, VRTC_SECONDS, now + 10), 0x00); /* frozen */
	rtc_set(&rtc, VRTC_YEAR, 0x27, now);
	rtc_set(&rtc, VRTC_MONTH, 0x06, now);
	rtc_set(&rtc, VRTC_DAY, 0x15, now);
	rtc_set(&rtc, VRTC_HOURS, 0x12, now);
	rtc_set(&rtc, VRTC_MINUTES, 0x34, now);
	rtc_set(&rtc, VRTC_SECONDS, 0x56, now);
	rtc_set(&rtc, VRTC_STATUS_B, VRTC_B_24H, now + 100);
	/* 2027-06-15 12:34:56 from now + 100 on: a second later reads :57 */
	CHECK_EQ(rtc_get(&rtc, VRTC_SECONDS, now + 101), 0x57);
	CHECK_EQ(rtc_get(&rtc, VRTC_HOURS, now + 101), 0x12);
	CHECK_EQ(rtc_get(&rtc, VRTC_DAY, now + 101), 0x15);
	CHECK_EQ(rtc_get(&rtc, VRTC_YEAR, now + 101), 0x27);
	CHECK_EQ(rtc_get(&rtc, VRTC_WEEKDAY, now + 101), 3); /* Tuesday */
	/* a write without SET moves the clock at once */
	rtc_set(&rtc, VRTC_MINUTES, 0x00, now + 101);
	CHECK_EQ(rtc_get(&rtc, VRTC_MINUTES, now + 161), 0x01);
	CHECK_EQ(rtc_get(&rtc, VRTC_SECONDS, now + 161), 0x57);
}

/* The periodic flag: rate -> the times at which vrtc_update() reports
 * IRQ 8 when PIE is set, with status C read after each. */
static void test_periodic(void)
{
	static const struct {
		uint8_t rate;
		uint64_t period_ns; /* exact to the ns for these rates */
	} rows[] = {
	    {0x6, 976562},                    /* 1024 Hz: 976562.5 ns, boundaries rounded up */
	    {0xf, 500000000}, {0x1, 3906250}, /* rate 1 runs as 8: 256 Hz */
	    {0x2, 7812500},                   /* rate 2 runs as 9: 128 Hz */
	    {0x3, 122070},                    /* 8192 Hz: 122070.3125 ns */
	};
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		test_case_begin("periodic rate");
		struct vrtc rtc;
		uint64_t t = VRTC_EPOCH * NS;
		vrtc_init(&rtc, t);
		rtc_set_ns(&rtc, VRTC_STATUS_A, VRTC_A_DIVIDER_32KHZ | rows[i].rate, t);
		rtc_set_ns(&rtc, VRTC_STATUS_B, VRTC_B_24H | VRTC_B_PIE, t);
		CHECK(!vrtc_update(&rtc, t));
		uint64_t next = vrtc_next_interrupt(&rtc, t);
		CHECK(next > t);
		CHECK(next - t >= rows[i].period_ns && next - t <= rows[i].period_ns + 1);
		CHECK(!vrtc_update(&rtc, next - 1));
		CHECK(vrtc_update(&rtc, next));
		uint64_t later = next + 3 * rows[i].period_ns;
		CHECK(!vrtc_update(&rtc, later)); /* IRQF held: no second edge */
		CHECK_EQ(vrtc_next_interrupt(&rtc, later), 0);
		/* (UF too when `later` is past a second boundary) */
		CHECK_EQ(rtc_get_ns(&rtc, VRTC_STATUS_C, later) & ~VRTC_C_UF,
		         VRTC_C_IRQF | VRTC_C_PF);
		CHECK_EQ(rtc_get_ns(&rtc, VRTC_STATUS_C, later), 0); /* read cleared it */
		CHECK(vrtc_next_interrupt(&rtc, later) > later);
		CHECK_EQ(rtc.interrupts, 1);
		test_case_end();
	}
	/* Without PIE the flag is still set, and no interrupt comes. */
	struct vrtc rtc;
	uint64_t t = VRTC_EPOCH * NS;
	vrtc_init(&rtc, t);
	rtc_set_ns(&rtc, VRTC_STATUS_C, 0, t); /* read-only: ignored */
	CHECK_EQ(vrtc_next_interrupt(&rtc, t), 0);
	CHECK(!vrtc_update(&rtc, t + NS));
	CHECK_EQ(rtc_get_ns(&rtc, VRTC_STATUS_C, t + NS), VRTC_C_PF | VRTC_C_UF);
	/* Enabling PIE with PF pending raises IRQF at once. */
	CHECK(!vrtc_update(&rtc, t + 2 * NS));
	rtc_set_ns(&rtc, VRTC_STATUS_B, VRTC_B_24H | VRTC_B_PIE, t + 2 * NS);
	CHECK(vrtc_update(&rtc, t + 2 * NS));
	/* A stopped divider stops the periodic flag and the updates. */
	vrtc_init(&rtc, t);
	rtc_set_ns(&rtc, VRTC_STATUS_A, 0x66, t);
	rtc_set_ns(&rtc, VRTC_STATUS_B, VRTC_B_24H | VRTC_B_PIE | VRTC_B_UIE, t);
	CHECK_EQ(vrtc_next_interrupt(&rtc, t), 0);
	CHECK(!vrtc_update(&rtc, t + 5 * NS));
	CHECK_EQ(rtc_get_ns(&rtc, VRTC_STATUS_C, t + 5 * NS), 0);
}

/* Update-ended and alarm: the next interrupt's time and the flags. */
static void test_update_and_alarm(void)
{
	static const struct {
		uint8_t status_b;
		uint8_t alarm[3]; /* seconds, minutes, hours */
		uint64_t start;   /* seconds after VRTC_EPOCH (00:00:00) */
		uint64_t expect;  /* next interrupt, seconds after VRTC_EPOCH; 0 none */
		uint8_t flags;    /* status C read at `expect` */
	} rows[] = {
	    {VRTC_B_UIE, {0, 0, 0}, 0, 1, VRTC_C_IRQF | VRTC_C_UF},
	    {VRTC_B_AIE, {0x30, 0x00, 0x00}, 0, 30, VRTC_C_IRQF | VRTC_C_UF | VRTC_C_AF},
	    {VRTC_B_AIE, {0x30, 0x00, 0x00}, 31, 86400 + 30, VRTC_C_IRQF | VRTC_C_UF | VRTC_C_AF},
	    {VRTC_B_AIE, {0xff, 0xff, 0xff}, 0, 1, VRTC_C_IRQF | VRTC_C_UF | VRTC_C_AF},
	    {VRTC_B_AIE, {0x00, 0xc0, 0xc0}, 1, 60, VRTC_C_IRQF | VRTC_C_UF | VRTC_C_AF},
	    {VRTC_B_AIE,
	     {0xc0, 0x05, 0x02},
	     0,
	     2 * 3600 + 300,
	     VRTC_C_IRQF | VRTC_C_UF | VRTC_C_AF},
	    {VRTC_B_AIE, {0x5f, 0x00, 0x00}, 0, 0, 0}, /* not a BCD second: never */
	    {VRTC_B_AIE | VRTC_B_BINARY, {45, 1, 0}, 0, 105, VRTC_C_IRQF | VRTC_C_UF | VRTC_C_AF},
	    {VRTC_B_AIE | VRTC_B_SET, {0xff, 0xff, 0xff}, 0, 0, 0}, /* SET: no updates */
	};
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		test_case_begin("update and alarm");
		struct vrtc rtc;
		uint64_t t = (VRTC_EPOCH + rows[i].start) * NS;
		vrtc_init(&rtc, t);
		rtc_set_ns(&rtc, VRTC_SECONDS_ALARM, rows[i].alarm[0], t);
		rtc_set_ns(&rtc, VRTC_MINUTES_ALARM, rows[i].alarm[1], t);
		rtc_set_ns(&rtc, VRTC_HOURS_ALARM, rows[i].alarm[2], t);
		rtc_set_ns(&rtc, VRTC_STATUS_B, VRTC_B_24H | rows[i].status_b, t);
		(void)rtc_get_ns(&rtc, VRTC_STATUS_C, t);
		uint64_t next = vrtc_next_interrupt(&rtc, t);
		uint64_t expect = rows[i].expect ? (VRTC_EPOCH + rows[i].expect) * NS : 0;
		if (next != expect)
			fprintf(stderr, "row %u: next %llu, expected %llu\n", i,
			        (unsigned long long)next, (unsigned long long)expect);
		CHECK_EQ(next, expect);
		if (expect) {
			CHECK(!vrtc_update(&rtc, expect - 1));
			(void)rtc_get_ns(&rtc, VRTC_STATUS_C,
			                 expect - 1); /* UF of earlier seconds */
			CHECK(vrtc_update(&rtc, expect));
			/* PF too: the default rate (1024 Hz) keeps running */
			CHECK_EQ(rtc_get_ns(&rtc, VRTC_STATUS_C, expect),
			         rows[i].flags | VRTC_C_PF);
		}
		test_case_end();
	}
}

int main(void)
{
	TEST_RUN(test_time);
	TEST_RUN(test_status);
	TEST_RUN(test_index_and_ram);
	TEST_RUN(test_set_clock);
	TEST_RUN(test_periodic);
	TEST_RUN(test_update_and_alarm);
	return test_summary("test_vrtc");
}
