/*
 * vmx/vlapic_timer.c - the vLAPIC timer (see vlapic_timer.h, and
 * docs/devices.md "The timer"): deadlines in guest TSC handed to
 * ops->timer_arm(), periodic expiries on the grid of the first deadline,
 * a minimum length per count, period and TSC-deadline distance.
 *
 * Lock order: none (owner functions).
 */
#include "vmx/vlapic_timer.h"

#define VLAPIC_MAX_TSC_PER_TICK      (1u << 24)
#define VLAPIC_TIMER_DIVIDE_WRITABLE 0xbu

enum vlapic_timer_mode vlapic_timer_mode(const struct vlapic *vlapic)
{
	uint32_t mode = (vlapic->lvt[VLAPIC_LVT_TIMER_INDEX] >> VLAPIC_LVT_TIMER_MODE_SHIFT) &
	                VLAPIC_LVT_TIMER_MODE_MASK;
	return mode == VLAPIC_LVT_TIMER_MODE_MASK ? VLAPIC_TIMER_ONE_SHOT
	                                          : (enum vlapic_timer_mode)mode;
}

/* TSC ticks per timer tick: divide configuration 0b000 = /2 ... 0b111 = /1. */
static uint64_t vlapic_tick_length(const struct vlapic *vlapic)
{
	uint32_t code = (vlapic->timer_divide & 3) | ((vlapic->timer_divide >> 1) & 4);
	return (uint64_t)vlapic->tsc_per_tick << ((code + 1) & 7);
}

static void vlapic_timer_set_deadline(struct vlapic *vlapic, uint64_t deadline)
{
	if (vlapic->timer_deadline == deadline)
		return;
	vlapic->timer_deadline = deadline;
	vlapic->ops->timer_arm(vlapic->context, deadline);
}

void vlapic_timer_stop(struct vlapic *vlapic)
{
	vlapic->timer_initial = 0;
	vlapic->timer_period = 0;
	vlapic->tsc_deadline = 0;
	vlapic_timer_set_deadline(vlapic, 0);
}

uint32_t vlapic_timer_current(const struct vlapic *vlapic)
{
	if (vlapic_timer_mode(vlapic) == VLAPIC_TIMER_TSC_DEADLINE || !vlapic->timer_deadline)
		return 0;
	uint64_t now = vlapic->ops->now_tsc(vlapic->context);
	uint64_t remaining;
	if (now < vlapic->timer_deadline)
		remaining = vlapic->timer_deadline - now;
	else if (vlapic_timer_mode(vlapic) == VLAPIC_TIMER_PERIODIC && vlapic->timer_period)
		remaining =
		    vlapic->timer_period - (now - vlapic->timer_deadline) % vlapic->timer_period;
	else
		return 0;
	uint64_t tick = vlapic_tick_length(vlapic);
	uint64_t count = (remaining + tick - 1) / tick;
	return count > vlapic->timer_initial ? vlapic->timer_initial : (uint32_t)count;
}

/* A one-shot or periodic count is at least the minimum period long. */
static uint64_t vlapic_timer_length(const struct vlapic *vlapic, uint64_t ticks)
{
	uint64_t length = ticks * vlapic_tick_length(vlapic);
	return length < vlapic->timer_minimum ? vlapic->timer_minimum : length;
}

void vlapic_timer_write_initial(struct vlapic *vlapic, uint32_t value)
{
	if (vlapic_timer_mode(vlapic) == VLAPIC_TIMER_TSC_DEADLINE)
		return; /* ignored in TSC-deadline mode */
	vlapic->timer_initial = value;
	if (!value) {
		vlapic->timer_period = 0;
		vlapic_timer_set_deadline(vlapic, 0);
		return;
	}
	vlapic->timer_period = vlapic_timer_length(vlapic, value);
	uint64_t deadline = vlapic->ops->now_tsc(vlapic->context) + vlapic->timer_period;
	vlapic_timer_set_deadline(vlapic, deadline ? deadline : 1);
}

/* A new divide applies to the rest of the current count and to later periods. */
void vlapic_timer_write_divide(struct vlapic *vlapic, uint32_t value)
{
	bool running =
	    vlapic->timer_deadline && vlapic_timer_mode(vlapic) != VLAPIC_TIMER_TSC_DEADLINE;
	uint32_t current = running ? vlapic_timer_current(vlapic) : 0;
	vlapic->timer_divide = value & VLAPIC_TIMER_DIVIDE_WRITABLE;
	if (!running)
		return;
	vlapic->timer_period = vlapic_timer_length(vlapic, vlapic->timer_initial);
	uint64_t deadline =
	    vlapic->ops->now_tsc(vlapic->context) + vlapic_timer_length(vlapic, current);
	vlapic_timer_set_deadline(vlapic, deadline ? deadline : 1);
}

void vlapic_timer_write_tsc_deadline(struct vlapic *vlapic, uint64_t value)
{
	if (vlapic_timer_mode(vlapic) != VLAPIC_TIMER_TSC_DEADLINE)
		return; /* ignored in the other modes */
	vlapic->tsc_deadline = value;
	if (!value) {
		vlapic_timer_set_deadline(vlapic, 0);
		return;
	}
	uint64_t now = vlapic->ops->now_tsc(vlapic->context);
	if (value <= now) {
		vlapic->timer_deadline = value; /* already due: fire without arming */
		vlapic_timer_expired(vlapic, now);
		return;
	}
	if (value - now < vlapic->timer_minimum)
		value = now + vlapic->timer_minimum; /* no host timer closer than the minimum */
	vlapic_timer_set_deadline(vlapic, value);
}

bool vlapic_timer_expired(struct vlapic *vlapic, uint64_t now)
{
	if (!vlapic->timer_deadline || now < vlapic->timer_deadline)
		return false;
	vlapic->counters.timer_fires++;
	uint32_t lvt = vlapic->lvt[VLAPIC_LVT_TIMER_INDEX];
	if (!(lvt & VLAPIC_LVT_MASKED))
		vlapic_set_irr(vlapic, (uint8_t)lvt, false);
	enum vlapic_timer_mode mode = vlapic_timer_mode(vlapic);
	if (mode == VLAPIC_TIMER_PERIODIC && vlapic->timer_period) {
		/* Periods stay on the grid of the first deadline; missed ones coalesce. */
		uint64_t next = vlapic->timer_deadline + vlapic->timer_period;
		if (next <= now) {
			uint64_t missed = (now - next) / vlapic->timer_period + 1;
			next += missed * vlapic->timer_period;
			vlapic->counters.timer_missed_periods += missed;
		}
		vlapic_timer_set_deadline(vlapic, next);
	} else {
		if (mode == VLAPIC_TIMER_TSC_DEADLINE)
			vlapic->tsc_deadline = 0;
		vlapic_timer_set_deadline(vlapic, 0);
	}
	return true;
}

uint64_t vlapic_timer_deadline(const struct vlapic *vlapic)
{
	return vlapic->timer_deadline;
}

void vlapic_set_timer_ratio(struct vlapic *vlapic, uint32_t tsc_per_tick)
{
	if (tsc_per_tick == 0)
		tsc_per_tick = 1;
	if (tsc_per_tick > VLAPIC_MAX_TSC_PER_TICK)
		tsc_per_tick = VLAPIC_MAX_TSC_PER_TICK;
	vlapic->tsc_per_tick = tsc_per_tick;
}

void vlapic_set_timer_minimum(struct vlapic *vlapic, uint64_t tsc_ticks)
{
	vlapic->timer_minimum = tsc_ticks;
}
