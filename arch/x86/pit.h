/*
 * arch/x86/pit.h - calibrating the TSC and the LAPIC timer against the
 * 8254 PIT (channel 2, gated through port 0x61; no interrupts).
 *
 * Lock order: none; runs on the boot CPU before the others start.
 */
#ifndef ARCH_X86_PIT_H
#define ARCH_X86_PIT_H

#include <stdint.h>

struct pit_calibration {
	uint64_t tsc_khz;                  /* TSC ticks per millisecond       */
	uint64_t lapic_ticks_per_mega_tsc; /* LAPIC ticks per 2^20 TSC ticks */
};

/* Measure over `milliseconds` (1..50) of PIT time. */
struct pit_calibration pit_calibrate(unsigned milliseconds);

#endif /* ARCH_X86_PIT_H */
