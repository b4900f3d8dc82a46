/*
 * kernel/timer.c - per-CPU one-shot timers on the TSC (see timer.h).
 *
 * Lock order: percpu.timer_lock is a leaf.
 */
#include "kernel/timer.h"

#include <stddef.h>

#include "arch/x86/cpu.h"
#include "kernel/percpu.h"

uint64_t timer_tsc_khz = 1000000; /* replaced by calibration */
static void (*timer_hardware_arm)(uint64_t tsc_deadline);

void timer_set_hardware(void (*arm)(uint64_t)) { timer_hardware_arm = arm; }

uint64_t timer_now(void) { return arch_tsc_read(); }

uint64_t timer_ns_to_tsc(uint64_t ns)
{
	return (ns / 1000000) * timer_tsc_khz + (ns % 1000000) * timer_tsc_khz / 1000000;
}

uint64_t timer_tsc_to_ns(uint64_t tsc)
{
	return (tsc / timer_tsc_khz) * 1000000 + (tsc % timer_tsc_khz) * 1000000 / timer_tsc_khz;
}

static void timer_program(struct percpu *cpu)
{
	if (timer_hardware_arm)
		timer_hardware_arm(cpu->timers ? cpu->timers->deadline : 0);
}

static void timer_unlink(struct percpu *cpu, struct timer *timer)
{
	for (struct timer **link = &cpu->timers; *link; link = &(*link)->next) {
		if (*link == timer) {
			*link = timer->next;
			break;
		}
	}
	timer->armed = false;
	timer->next = NULL;
}

/* Unlink `timer` from whichever CPU's list holds it (any CPU may call). */
static void timer_disarm(struct timer *timer)
{
	if (!__atomic_load_n(&timer->armed, __ATOMIC_ACQUIRE))
		return;
	struct percpu *owner = &percpu_cpus[timer->cpu];
	uint64_t flags = spinlock_acquire_irqsave(&owner->timer_lock);
	if (timer->armed)
		timer_unlink(owner, timer);
	/* The owner's hardware timer may still fire for it: harmless, the
	 * interrupt re-programs for the list as it is then. */
	spinlock_release_irqrestore(&owner->timer_lock, flags);
}

void timer_start(struct timer *timer, uint64_t deadline, timer_callback_fn callback,
                 void *context)
{
	timer_disarm(timer);
	struct percpu *cpu = percpu_this();
	uint64_t flags = spinlock_acquire_irqsave(&cpu->timer_lock);
	timer->deadline = deadline;
	timer->callback = callback;
	timer->context = context;
	timer->cpu = cpu->index;
	struct timer **link = &cpu->timers;
	while (*link && (*link)->deadline <= deadline)
		link = &(*link)->next;
	timer->next = *link;
	*link = timer;
	__atomic_store_n(&timer->armed, true, __ATOMIC_RELEASE);
	timer_program(cpu);
	spinlock_release_irqrestore(&cpu->timer_lock, flags);
}

void timer_cancel(struct timer *timer) { timer_disarm(timer); }

void timer_interrupt(void)
{
	struct percpu *cpu = percpu_this();
	cpu->timer_interrupt_count++;
	for (;;) {
		uint64_t flags = spinlock_acquire_irqsave(&cpu->timer_lock);
		struct timer *first = cpu->timers;
		if (!first || first->deadline > arch_tsc_read()) {
			timer_program(cpu);
			spinlock_release_irqrestore(&cpu->timer_lock, flags);
			return;
		}
		timer_unlink(cpu, first);
		spinlock_release_irqrestore(&cpu->timer_lock, flags);
		first->callback(first, first->context);
	}
}

void timer_delay_us(uint64_t microseconds)
{
	uint64_t end = arch_tsc_read() + microseconds * timer_tsc_khz / 1000;
	while (arch_tsc_read() < end)
		arch_pause();
}
