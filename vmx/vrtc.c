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
#define VRTC_OSCILLATOR_HZ   32768u /* the time base of the periodic rate */
#define VRTC_FASTEST_RATE    3u     /* rates 1 and 2 run as 8 and 9 */
#define VRTC_SLOW_RATE_SHIFT 7u
#define VRTC_SECONDS_PER_MIN 60u
#define VRTC_MINUTES_PER_DAY 1440u

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

/* The clock (seconds since 1970) at environment time `now_ns`. */
static uint64_t vrtc_clock(const struct vrtc *rtc, uint64_t now_ns)
{
	return (uint64_t)((int64_t)(now_ns / VRTC_NS_PER_SECOND) + rtc->offset);
}

/* The offset that makes the clock read `seconds` at `now_ns`. */
static int64_t vrtc_offset_for(uint64_t seconds, uint64_t now_ns)
{
	return (int64_t)seconds - (int64_t)(now_ns / VRTC_NS_PER_SECOND);
}

/* ---- interrupts ------------------------------------------------------------- */

static bool vrtc_running(const struct vrtc *rtc)
{
	return (rtc->ram[VRTC_STATUS_A] & VRTC_A_DIVIDER) == VRTC_A_DIVIDER_32KHZ;
}

static bool vrtc_updating(const struct vrtc *rtc)
{
	return vrtc_running(rtc) && !(rtc->ram[VRTC_STATUS_B] & VRTC_B_SET);
}

/* Periodic-flag boundaries per second (a power of two), 0 when off. */
static uint32_t vrtc_periods_per_second(const struct vrtc *rtc)
{
	unsigned rate = rtc->ram[VRTC_STATUS_A] & VRTC_A_RATE;
	if (rate == 0 || !vrtc_running(rtc))
		return 0;
	if (rate < VRTC_FASTEST_RATE)
		rate += VRTC_SLOW_RATE_SHIFT;
	return VRTC_OSCILLATOR_HZ >> (rate - 1);
}

/* The number of periodic boundaries in [0, t]: floor(t * pps / 1 s). */
static uint64_t vrtc_period_index(uint64_t t, uint32_t pps)
{
	return t / VRTC_NS_PER_SECOND * pps + t % VRTC_NS_PER_SECOND * pps / VRTC_NS_PER_SECOND;
}

/* The first time t with vrtc_period_index(t) == k: ceil(k * 1 s / pps). */
static uint64_t vrtc_period_time(uint64_t k, uint32_t pps)
{
	return k / pps * VRTC_NS_PER_SECOND + (k % pps * VRTC_NS_PER_SECOND + pps - 1) / pps;
}

/* Does alarm byte `alarm` match register value `value`? */
static bool vrtc_alarm_byte(uint8_t alarm, uint8_t value)
{
	return alarm >= VRTC_ALARM_ANY || alarm == value;
}

/* The seconds-of-minute the seconds alarm matches: -1 for all, -2 for none. */
static int vrtc_alarm_second(const struct vrtc *rtc)
{
	uint8_t alarm = rtc->ram[VRTC_SECONDS_ALARM];
	if (alarm >= VRTC_ALARM_ANY)
		return -1;
	unsigned second = vrtc_decode(rtc, alarm);
	return second < VRTC_SECONDS_PER_MIN && vrtc_encode(rtc, second) == alarm ? (int)second
	                                                                          : -2;
}

/*
 * The first environment second s > `from` (at most a day later) whose
 * clock time matches the three alarm bytes, or 0 when none does. Walks
 * minutes, not seconds: at most a day's 1,440 of them.
 */
static uint64_t vrtc_alarm_next(const struct vrtc *rtc, uint64_t from)
{
	int second = vrtc_alarm_second(rtc);
	if (second == -2)
		return 0;
	uint64_t first = (uint64_t)((int64_t)from + 1 + rtc->offset); /* clock seconds */
	uint64_t minute = first - first % VRTC_SECONDS_PER_MIN;
	for (unsigned m = 0; m <= VRTC_MINUTES_PER_DAY; m++, minute += VRTC_SECONDS_PER_MIN) {
		unsigned time_of_day = (unsigned)(minute % VRTC_SECONDS_PER_DAY);
		if (!vrtc_alarm_byte(rtc->ram[VRTC_MINUTES_ALARM],
		                     vrtc_encode(rtc, time_of_day / VRTC_SECONDS_PER_MIN % 60)) ||
		    !vrtc_alarm_byte(rtc->ram[VRTC_HOURS_ALARM],
		                     vrtc_encode_hour(rtc, time_of_day / 3600)))
			continue;
		uint64_t candidate =
		    second < 0 ? (minute > first ? minute : first) : minute + (unsigned)second;
		if (candidate >= first)
			return (uint64_t)((int64_t)candidate - rtc->offset);
	}
	return 0;
}

/* Set the flags of the events in (flags_until, now_ns]; registers as
 * they were over that time (call before changing A, B or the clock). */
static void vrtc_account(struct vrtc *rtc, uint64_t now_ns)
{
	if (now_ns <= rtc->flags_until)
		return;
	uint64_t from = rtc->flags_until;
	uint32_t pps = vrtc_periods_per_second(rtc);
	if (pps && vrtc_period_index(now_ns, pps) > vrtc_period_index(from, pps))
		rtc->flags |= VRTC_C_PF;
	uint64_t from_second = from / VRTC_NS_PER_SECOND;
	uint64_t now_second = now_ns / VRTC_NS_PER_SECOND;
	if (vrtc_updating(rtc) && now_second > from_second) {
		rtc->flags |= VRTC_C_UF;
		uint64_t alarm = vrtc_alarm_next(rtc, from_second);
		if (alarm && alarm <= now_second)
			rtc->flags |= VRTC_C_AF;
	}
	rtc->flags_until = now_ns;
}

/* IRQF: a flag whose interrupt is enabled. */
static bool vrtc_irqf(const struct vrtc *rtc)
{
	uint8_t enabled = rtc->ram[VRTC_STATUS_B];
	return ((rtc->flags & VRTC_C_PF) && (enabled & VRTC_B_PIE)) ||
	       ((rtc->flags & VRTC_C_AF) && (enabled & VRTC_B_AIE)) ||
	       ((rtc->flags & VRTC_C_UF) && (enabled & VRTC_B_UIE));
}

bool vrtc_update(struct vrtc *rtc, uint64_t now_ns)
{
	vrtc_account(rtc, now_ns);
	if (rtc->irq || !vrtc_irqf(rtc))
		return false;
	rtc->irq = true;
	rtc->interrupts++;
	return true;
}

uint64_t vrtc_next_interrupt(const struct vrtc *rtc, uint64_t now_ns)
{
	if (rtc->irq)
		return 0;
	uint64_t base = now_ns > rtc->flags_until ? now_ns : rtc->flags_until;
	uint8_t enabled = rtc->ram[VRTC_STATUS_B];
	uint64_t next = 0;
	uint32_t pps = vrtc_periods_per_second(rtc);
	if ((enabled & VRTC_B_PIE) && pps)
		next = vrtc_period_time(vrtc_period_index(base, pps) + 1, pps);
	if (!vrtc_updating(rtc))
		return next;
	uint64_t second = base / VRTC_NS_PER_SECOND;
	uint64_t candidate = 0;
	if (enabled & VRTC_B_UIE)
		candidate = (second + 1) * VRTC_NS_PER_SECOND;
	else if (enabled & VRTC_B_AIE) {
		uint64_t alarm = vrtc_alarm_next(rtc, second);
		candidate = alarm ? alarm * VRTC_NS_PER_SECOND : 0;
	}
	if (candidate && (!next || candidate < next))
		next = candidate;
	return next;
}

void vrtc_init(struct vrtc *rtc, uint64_t now_ns)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->flags_until = now_ns;
	rtc->ram[VRTC_STATUS_A] = VRTC_A_DEFAULT;
	rtc->ram[VRTC_STATUS_B] = VRTC_B_DEFAULT;
	rtc->ram[VRTC_STATUS_D] = VRTC_D_VALID;
	rtc->ram[VRTC_CENTURY] = VRTC_CENTURY_DEFAULT;
}

/* Status C: the flags and IRQF; reading clears them and drops the line. */
static uint8_t vrtc_read_status_c(struct vrtc *rtc, uint64_t now_ns)
{
	vrtc_account(rtc, now_ns);
	uint8_t value = (uint8_t)(rtc->flags | (rtc->irq || vrtc_irqf(rtc) ? VRTC_C_IRQF : 0));
	rtc->flags = 0;
	rtc->irq = false;
	return value;
}

uint8_t vrtc_read(struct vrtc *rtc, uint16_t port, uint64_t now_ns)
{
	rtc->accesses++;
	if (port == VRTC_INDEX_PORT)
		return (uint8_t)(rtc->index | (rtc->nmi_masked ? VRTC_NMI_MASK : 0));
	uint8_t index = rtc->index;
	if (vrtc_is_time(index) && !(rtc->ram[VRTC_STATUS_B] & VRTC_B_SET))
		vrtc_latch(rtc, vrtc_clock(rtc, now_ns));
	switch (index) {
	case VRTC_STATUS_A:
		return rtc->ram[index] & ~VRTC_A_UIP;
	case VRTC_STATUS_C:
		return vrtc_read_status_c(rtc, now_ns);
	case VRTC_STATUS_D:
		return VRTC_D_VALID;
	default:
		return rtc->ram[index];
	}
}

static void vrtc_write_status_b(struct vrtc *rtc, uint8_t value, uint64_t now_ns)
{
	uint8_t old = rtc->ram[VRTC_STATUS_B];
	if (!(old & VRTC_B_SET) && (value & VRTC_B_SET))
		vrtc_latch(rtc, vrtc_clock(rtc, now_ns)); /* freeze in the old format */
	if ((old & VRTC_B_SET) && !(value & VRTC_B_SET))
		rtc->offset = vrtc_offset_for(vrtc_unlatch(rtc), now_ns);
	rtc->ram[VRTC_STATUS_B] = value;
}

void vrtc_write(struct vrtc *rtc, uint16_t port, uint8_t value, uint64_t now_ns)
{
	rtc->accesses++;
	if (port == VRTC_INDEX_PORT) {
		rtc->index = value & VRTC_INDEX_MASK;
		rtc->nmi_masked = value & VRTC_NMI_MASK;
		return;
	}
	uint8_t index = rtc->index;
	if (index == VRTC_STATUS_C || index == VRTC_STATUS_D)
		return;            /* read-only */
	vrtc_account(rtc, now_ns); /* the past under the old registers */
	if (index == VRTC_STATUS_B) {
		vrtc_write_status_b(rtc, value, now_ns);
		return;
	}
	if (!vrtc_is_time(index)) {
		rtc->ram[index] = value;
		return;
	}
	bool frozen = rtc->ram[VRTC_STATUS_B] & VRTC_B_SET;
	if (!frozen)
		vrtc_latch(rtc, vrtc_clock(rtc, now_ns));
	rtc->ram[index] = value;
	if (!frozen)
		rtc->offset = vrtc_offset_for(vrtc_unlatch(rtc), now_ns);
}
