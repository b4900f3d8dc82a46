/*
 * kernel/timer.c - per-CPU one-shot timers on the TSC (see timer.h).
 *
 * Lock order: percpu.timer_lock is a leaf.
 */
#include "kernel/timer.h"

#include <stddef.h>

#include "arch/x86/cpu.h"
#include "kernel/percpu.h"

/* Callbacks one timer interrupt runs at most; timers still due then are
 * left for a new interrupt TIMER_BATCH_DELAY_US later, so the interrupted
 * code (a scheduling loop, a guest) always makes progress. */
#define TIMER_BATCH_MAX      16
#define TIMER_BATCH_DELAY_US 20

uint64_t timer_tsc_khz = 1000000; /* replaced by calibration */
static void (*timer_hardware_arm)(uint64_t tsc_deadline);

void timer_set_hardware(void (*arm)(uint64_t))
{
	timer_hardware_arm = arm;
}

uint64_t timer_now(void)
{
	return arch_tsc_read();
}

uint64_t timer_ns_to_tsc(uint64_t ns)
{
	return (ns / 1000000) * timer_tsc_khz + (ns % 1000000) * timer_tsc_khz / 1000000;
}

uint64_t timer_tsc_to_ns(uint64_t tsc)
{
	return (tsc / timer_tsc_khz) * 1000000 + (tsc % timer_tsc_khz) * 1000000 / timer_tsc_khz;
}

/* Arm the hardware for the first timer, not before `earliest`. */
static void timer_program_after(struct percpu *cpu, uint64_t earliest)
{
	if (!timer_hardware_arm)
		return;
	uint64_t deadline = cpu->timers ? cpu->timers->deadline : 0;
	timer_hardware_arm(deadline && deadline < earliest ? earliest : deadline);
}

static void timer_program(struct percpu *cpu)
{
	timer_program_after(cpu, 0);
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

void timer_start(struct timer *timer, uint64_t deadline, timer_callback_fn callback, void *context)
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

void timer_cancel(struct timer *timer)
{
	timer_disarm(timer);
}

void timer_interrupt(void)
{
	struct percpu *cpu = percpu_this();
	cpu->timer_interrupt_count++;
	for (unsigned ran = 0;; ran++) {
		uint64_t flags = spinlock_acquire_irqsave(&cpu->timer_lock);
		struct timer *first = cpu->timers;
		uint64_t now = arch_tsc_read();
		if (ran == TIMER_BATCH_MAX) {
			timer_program_after(cpu, now + TIMER_BATCH_DELAY_US * timer_tsc_khz / 1000);
			spinlock_release_irqrestore(&cpu->timer_lock, flags);
			return;
		}
		if (!first || first->deadline > now) {
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
