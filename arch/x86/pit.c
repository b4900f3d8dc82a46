/*
 * arch/x86/pit.c - TSC and LAPIC-timer calibration (see pit.h).
 *
 * PIT channel 2 counts down at 1.193182 MHz in mode 0; its OUT bit (port
 * 0x61 bit 5) rises when the count reaches zero. We read the TSC and the
 * LAPIC timer just after starting the count and just after OUT rises.
 *
 * Lock order: none.
 */
#include "arch/x86/pit.h"

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"

#define PIT_HZ 1193182u

struct pit_calibration pit_calibrate(unsigned milliseconds)
{
	if (milliseconds < 1)
		milliseconds = 1;
	if (milliseconds > 50)
		milliseconds = 50;
	uint32_t count = PIT_HZ * milliseconds / 1000;
	uint8_t gate = arch_inb(0x61);
	arch_outb(0x61, (gate & ~0x02) | 0x01); /* speaker off, gate on */
	arch_outb(0x43, 0xb0);                  /* channel 2, lo/hi, mode 0 */
	arch_outb(0x42, count & 0xff);
	arch_outb(0x42, (count >> 8) & 0xff);
	/* Restart the count by toggling the gate. */
	gate = arch_inb(0x61);
	arch_outb(0x61, gate & ~0x01);
	lapic_timer_start_free_running();
	uint32_t lapic_start = lapic_timer_current_count();
	uint64_t tsc_start = arch_tsc_read();
	arch_outb(0x61, gate | 0x01);
	while (!(arch_inb(0x61) & 0x20))
		;
	uint64_t tsc_end = arch_tsc_read();
	uint32_t lapic_end = lapic_timer_current_count();
	struct pit_calibration result;
	uint64_t tsc_delta = tsc_end - tsc_start;
	result.tsc_khz = tsc_delta / milliseconds;
	uint64_t lapic_delta = lapic_start - lapic_end;
	result.lapic_ticks_per_mega_tsc = tsc_delta ? (lapic_delta << 20) / tsc_delta : 0;
	return result;
}
