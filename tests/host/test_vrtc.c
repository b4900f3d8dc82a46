/*
 * tests/host/test_vrtc.c - host tests of the CMOS RTC model (vmx/vrtc.c):
 * time and date registers in BCD and binary, 24- and 12-hour modes, the
 * epoch and dates across month, leap-year and year ends, the index
 * port's NMI mask, status A-D (UIP never set, C reads 0, D valid), the SET
 * bit freezing and setting the clock, CMOS RAM.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vrtc.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t rtc_get(struct vrtc *rtc, uint8_t index, uint64_t now)
{
	vrtc_write(rtc, VRTC_INDEX_PORT, index, now);
	return vrtc_read(rtc, VRTC_DATA_PORT, now);
}

static void rtc_set(struct vrtc *rtc, uint8_t index, uint8_t value, uint64_t now)
{
	vrtc_write(rtc, VRTC_INDEX_PORT, index, now);
	vrtc_write(rtc, VRTC_DATA_PORT, value, now);
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
		vrtc_init(&rtc);
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
	vrtc_init(&rtc);
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
	CHECK_EQ(rtc_get(&rtc, VRTC_STATUS_C, 0), 0); /* no interrupts emulated */
	CHECK_EQ(rtc_get(&rtc, VRTC_CENTURY, 0), VRTC_CENTURY_DEFAULT);
}

static void test_index_and_ram(void)
{
	struct vrtc rtc;
	vrtc_init(&rtc);
	vrtc_write(&rtc, VRTC_INDEX_PORT, VRTC_NMI_MASK | VRTC_STATUS_D, 0);
	CHECK(rtc.nmi_masked);
	CHECK_EQ(vrtc_read(&rtc, VRTC_INDEX_PORT, 0), VRTC_NMI_MASK | VRTC_STATUS_D);
	CHECK_EQ(vrtc_read(&rtc, VRTC_DATA_PORT, 0), VRTC_D_VALID);
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
	vrtc_init(&rtc);
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

int main(void)
{
	TEST_RUN(test_time);
	TEST_RUN(test_status);
	TEST_RUN(test_index_and_ram);
	TEST_RUN(test_set_clock);
	return test_summary("test_vrtc");
}
