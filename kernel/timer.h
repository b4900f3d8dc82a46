/*
 * kernel/timer.h - time and per-CPU one-shot timers.
 *
 * Time is the TSC, calibrated at boot (timer_tsc_khz). Each CPU keeps its
 * pending timers in a list sorted by deadline and programs its LAPIC timer
 * for the earliest one; timer_interrupt() runs expired callbacks with
 * interrupts disabled, on the CPU the timer was started on: at most a
 * bounded batch per interrupt (TIMER_BATCH_MAX in timer.c); timers still
 * due after it get a new interrupt a little later, so a CPU always leaves
 * the handler, however many timers are due or keep re-arming.
 *
 * Invariant: a struct timer is on at most one CPU's list, and only while
 * `armed`. A callback may restart its own timer. timer_start() and
 * timer_cancel() may be called on any CPU: a timer armed elsewhere is first
 * unlinked from that CPU's list, and a (re)started timer always fires on
 * the CPU that started it. The caller serializes calls for one timer.
 *
 * Lock order: percpu.timer_lock is a leaf (taken with interrupts off; at
 * most one CPU's timer_lock is held at a time); callbacks run without it.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct timer;
typedef void (*timer_callback_fn)(struct timer *timer, void *context);

struct timer {
	uint64_t deadline; /* TSC */
	timer_callback_fn callback;
	void *context;
	struct timer *next;
	uint32_t cpu;
	bool armed;
};

extern uint64_t timer_tsc_khz;

/* Register the hardware hook that fires TRAP_VECTOR_TIMER at a TSC value. */
void timer_set_hardware(void (*arm)(uint64_t tsc_deadline));

uint64_t timer_now(void);
uint64_t timer_ns_to_tsc(uint64_t ns);
uint64_t timer_tsc_to_ns(uint64_t tsc);

/* Start `timer` on this CPU (restarting it if armed). */
void timer_start(struct timer *timer, uint64_t deadline, timer_callback_fn callback, void *context);
/* Stop `timer` if armed (from any CPU). */
void timer_cancel(struct timer *timer);
/* Called from the LAPIC timer interrupt. */
void timer_interrupt(void);
/* Busy-wait (for device and start-up delays). */
void timer_delay_us(uint64_t microseconds);

#endif /* KERNEL_TIMER_H */
