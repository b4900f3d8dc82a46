/*
 * vmx/intx.c - the INTx forwarding state machine (see intx.h).
 *
 * Lock order: none (pure; the caller holds the VM's platform lock).
 */
#include "vmx/intx.h"

#include "vmx/vioapic.h"

#define INTX_PERMILLE 1000u

bool intx_guest_accepts(uint64_t entry)
{
	return (entry & VIOAPIC_ENTRY_LEVEL) && !(entry & VIOAPIC_ENTRY_MASKED);
}

unsigned intx_physical(struct intx_line *intx, uint8_t line, const uint64_t *redirection,
                       uint64_t tsc)
{
	intx->counters.physical++;
	if (intx->asserted) {
		intx->counters.spurious++;
		return 0;
	}
	if (line >= VIOAPIC_PINS || !intx_guest_accepts(redirection[line])) {
		intx->parked = true;
		intx->counters.parked++;
		return 0;
	}
	intx->asserted = true;
	intx->pin = line;
	intx->vector = (uint8_t)redirection[line];
	intx->raised_tsc = tsc ? tsc : 1;
	return INTX_ASSERT;
}

void intx_delivered(struct intx_line *intx, enum intx_target state)
{
	intx->counters.virqs++;
	if (state == INTX_TARGET_RUNNING)
		intx->counters.to_running++;
	else if (state == INTX_TARGET_HALTED)
		intx->counters.to_halted++;
	else
		intx->counters.to_preempted++;
}

/* Let go of the guest pin and give the host pin back to the device. */
static unsigned intx_release(struct intx_line *intx)
{
	intx->asserted = false;
	intx->raised_tsc = 0;
	intx->counters.unmasks++;
	return INTX_DEASSERT | INTX_UNMASK;
}

unsigned intx_eoi(struct intx_line *intx, uint8_t vector, const uint64_t *redirection)
{
	if (!intx->asserted)
		return 0;
	uint64_t entry = redirection[intx->pin];
	if ((uint8_t)entry != vector || !(entry & VIOAPIC_ENTRY_LEVEL) ||
	    !(entry & VIOAPIC_ENTRY_REMOTE_IRR))
		return 0;
	return intx_release(intx);
}

unsigned intx_entry_written(struct intx_line *intx, uint8_t line, const uint64_t *redirection)
{
	if (intx->parked && line < VIOAPIC_PINS && intx_guest_accepts(redirection[line])) {
		intx->parked = false;
		intx->counters.unmasks++;
		return INTX_UNMASK;
	}
	if (!intx->asserted)
		return 0;
	uint64_t entry = redirection[intx->pin];
	bool waiting_eoi = (entry & VIOAPIC_ENTRY_LEVEL) && (entry & VIOAPIC_ENTRY_REMOTE_IRR);
	bool deliverable = intx_guest_accepts(entry);
	if (!waiting_eoi && !deliverable)
		return intx_release(intx); /* no EOI will come for it */
	return 0;
}

static unsigned intx_bucket(uint64_t ticks)
{
	unsigned bucket = ticks ? 63u - (unsigned)__builtin_clzll(ticks) : 0;
	return bucket < INTX_HISTOGRAM_BUCKETS ? bucket : INTX_HISTOGRAM_BUCKETS - 1;
}

void intx_injected(struct intx_line *intx, uint8_t vector, uint64_t tsc)
{
	if (!intx->raised_tsc || vector != intx->vector)
		return;
	uint64_t delay = tsc > intx->raised_tsc ? tsc - intx->raised_tsc : 0;
	intx->raised_tsc = 0;
	struct intx_counters *c = &intx->counters;
	c->delays++;
	c->delay_sum += delay;
	if (delay > c->delay_max)
		c->delay_max = delay;
	c->histogram[intx_bucket(delay)]++;
}

uint64_t intx_delay_percentile(const struct intx_counters *c, unsigned permille)
{
	if (!c->delays)
		return 0;
	uint64_t want = (c->delays * permille + INTX_PERMILLE - 1) / INTX_PERMILLE;
	uint64_t seen = 0;
	for (unsigned b = 0; b < INTX_HISTOGRAM_BUCKETS; b++) {
		seen += c->histogram[b];
		if (seen >= want && seen) {
			uint64_t upper = (2ull << b) - 1;
			return upper < c->delay_max ? upper : c->delay_max;
		}
	}
	return c->delay_max;
}
