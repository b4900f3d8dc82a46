/*
 * vmx/vrtc.c - the CMOS RTC model (see vrtc.h).
 *
 * Lock order: none (pure; the caller serializes).
 */
#include "vmx/vrtc.h"

#include "kernel/string.h"

#define VRTC_SECONDS_PER_DAY 86400u
#define VRTC_EPOCH_WEEKDAY   5u /* 1970-01-01 was a Thursday (1 = Sunday) */
#define VRTC_DAYS_PER_WEEK   7u
#define VRTC_TIME_REGISTERS  10u /* 0x00-0x09 */
#define VRTC_BASE_YEAR       2000
#define VRTC_HOURS_12        12u

struct vrtc_time {
	unsigned second, minute, hour, weekday, day, month, year; /* year: full */
};

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t vrtc_days_from_civil(int64_t year, unsigned month, unsigned day)
{
	year -= month <= 2;
	int64_t era = (year >= 0 ? year : year - 399) / 400;
	unsigned year_of_era = (unsigned)(year - era * 400);
	unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	return era * 146097 + (int64_t)day_of_era - 719468;
}

static struct vrtc_time vrtc_civil_from_seconds(uint64_t seconds)
{
	struct vrtc_time t;
	int64_t days = (int64_t)(seconds / VRTC_SECONDS_PER_DAY);
	unsigned rest = (unsigned)(seconds % VRTC_SECONDS_PER_DAY);
	t.second = rest % 60;
	t.minute = rest / 60 % 60;
	t.hour = rest / 3600;
	t.weekday = (unsigned)((days + VRTC_EPOCH_WEEKDAY - 1) % VRTC_DAYS_PER_WEEK) + 1;
	int64_t z = days + 719468;
	int64_t era = z / 146097;
	unsigned day_of_era = (unsigned)(z - era * 146097);
	unsigned year_of_era =
	    (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	unsigned day_of_year =
	    day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	unsigned mp = (5 * day_of_year + 2) / 153;
	t.day = day_of_year - (153 * mp + 2) / 5 + 1;
	t.month = mp < 10 ? mp + 3 : mp - 9;
	t.year = (unsigned)(year_of_era + era * 400) + (t.month <= 2);
	return t;
}

static uint8_t vrtc_encode(const struct vrtc *rtc, unsigned value)
{
	if (rtc->ram[VRTC_STATUS_B] & VRTC_B_BINARY)
		return (uint8_t)value;
	return (uint8_t)((value / 10) << 4 | value % 10);
}

static unsigned vrtc_decode(const struct vrtc *rtc, uint8_t value)
{
	if (rtc->ram[VRTC_STATUS_B] & VRTC_B_BINARY)
		return value;
	return (value >> 4) * 10 + (value & 0xf);
}

static uint8_t vrtc_encode_hour(const struct vrtc *rtc, unsigned hour)
{
	if (rtc->ram[VRTC_STATUS_B] & VRTC_B_24H)
		return vrtc_encode(rtc, hour);
	unsigned twelve = hour % VRTC_HOURS_12 ? hour % VRTC_HOURS_12 : VRTC_HOURS_12;
	return (uint8_t)(vrtc_encode(rtc, twelve) | (hour >= VRTC_HOURS_12 ? VRTC_HOURS_PM : 0));
}

static unsigned vrtc_decode_hour(const struct vrtc *rtc, uint8_t value)
{
	if (rtc->ram[VRTC_STATUS_B] & VRTC_B_24H)
		return vrtc_decode(rtc, value);
	unsigned hour = vrtc_decode(rtc, value & ~VRTC_HOURS_PM) % VRTC_HOURS_12;
	return hour + (value & VRTC_HOURS_PM ? VRTC_HOURS_12 : 0);
}

/* The time registers of `seconds` in the current format. */
static void vrtc_latch(struct vrtc *rtc, uint64_t seconds)
{
	struct vrtc_time t = vrtc_civil_from_seconds(seconds);
	rtc->ram[VRTC_SECONDS] = vrtc_encode(rtc, t.second);
	rtc->ram[VRTC_MINUTES] = vrtc_encode(rtc, t.minute);
	rtc->ram[VRTC_HOURS] = vrtc_encode_hour(rtc, t.hour);
	rtc->ram[VRTC_WEEKDAY] = vrtc_encode(rtc, t.weekday);
	rtc->ram[VRTC_DAY] = vrtc_encode(rtc, t.day);
	rtc->ram[VRTC_MONTH] = vrtc_encode(rtc, t.month);
	rtc->ram[VRTC_YEAR] = vrtc_encode(rtc, t.year % 100);
}

/* Seconds since 1970 of the time registers (years 2000-2099). */
static uint64_t vrtc_unlatch(const struct vrtc *rtc)
{
	unsigned month = vrtc_decode(rtc, rtc->ram[VRTC_MONTH]);
	unsigned day = vrtc_decode(rtc, rtc->ram[VRTC_DAY]);
	int64_t days = vrtc_days_from_civil(VRTC_BASE_YEAR + vrtc_decode(rtc, rtc->ram[VRTC_YEAR]),
	                                    month ? month : 1, day ? day : 1);
	int64_t seconds = days * VRTC_SECONDS_PER_DAY +
	                  vrtc_decode_hour(rtc, rtc->ram[VRTC_HOURS]) * 3600 +
	                  vrtc_decode(rtc, rtc->ram[VRTC_MINUTES]) * 60 +
	                  vrtc_decode(rtc, rtc->ram[VRTC_SECONDS]);
	return seconds < 0 ? 0 : (uint64_t)seconds;
}

static bool vrtc_is_time(uint8_t index)
{
	return index < VRTC_TIME_REGISTERS && index != VRTC_SECONDS_ALARM &&
	       index != VRTC_MINUTES_ALARM && index != VRTC_HOURS_ALARM;
}

static uint64_t vrtc_clock(const struct vrtc *rtc, uint64_t now)
{
	return (uint64_t)((int64_t)now + rtc->offset);
}

void vrtc_init(struct vrtc *rtc)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->ram[VRTC_STATUS_A] = VRTC_A_DEFAULT;
	rtc->ram[VRTC_STATUS_B] = VRTC_B_DEFAULT;
	rtc->ram[VRTC_STATUS_D] = VRTC_D_VALID;
	rtc->ram[VRTC_CENTURY] = VRTC_CENTURY_DEFAULT;
}

uint8_t vrtc_read(struct vrtc *rtc, uint16_t port, uint64_t now)
{
	rtc->accesses++;
	if (port == VRTC_INDEX_PORT)
		return (uint8_t)(rtc->index | (rtc->nmi_masked ? VRTC_NMI_MASK : 0));
	uint8_t index = rtc->index;
	if (vrtc_is_time(index) && !(rtc->ram[VRTC_STATUS_B] & VRTC_B_SET))
		vrtc_latch(rtc, vrtc_clock(rtc, now));
	switch (index) {
	case VRTC_STATUS_A:
		return rtc->ram[index] & ~VRTC_A_UIP;
	case VRTC_STATUS_C:
		return 0; /* no interrupt flags, nothing to clear */
	case VRTC_STATUS_D:
		return VRTC_D_VALID;
	default:
		return rtc->ram[index];
	}
}

static void vrtc_write_status_b(struct vrtc *rtc, uint8_t value, uint64_t now)
{
	uint8_t old = rtc->ram[VRTC_STATUS_B];
	if (!(old & VRTC_B_SET) && (value & VRTC_B_SET))
		vrtc_latch(rtc, vrtc_clock(rtc, now)); /* freeze in the old format */
	if ((old & VRTC_B_SET) && !(value & VRTC_B_SET))
		rtc->offset = (int64_t)vrtc_unlatch(rtc) - (int64_t)now;
	rtc->ram[VRTC_STATUS_B] = value;
}

void vrtc_write(struct vrtc *rtc, uint16_t port, uint8_t value, uint64_t now)
{
	rtc->accesses++;
	if (port == VRTC_INDEX_PORT) {
		rtc->index = value & VRTC_INDEX_MASK;
		rtc->nmi_masked = value & VRTC_NMI_MASK;
		return;
	}
	uint8_t index = rtc->index;
	if (index == VRTC_STATUS_C || index == VRTC_STATUS_D)
		return; /* read-only */
	if (index == VRTC_STATUS_B) {
		vrtc_write_status_b(rtc, value, now);
		return;
	}
	if (!vrtc_is_time(index)) {
		rtc->ram[index] = value;
		return;
	}
	bool frozen = rtc->ram[VRTC_STATUS_B] & VRTC_B_SET;
	if (!frozen)
		vrtc_latch(rtc, vrtc_clock(rtc, now));
	rtc->ram[index] = value;
	if (!frozen)
		rtc->offset = (int64_t)vrtc_unlatch(rtc) - (int64_t)now;
}
