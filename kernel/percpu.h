/*
 * kernel/percpu.h - per-CPU data.
 *
 * Each CPU has one struct percpu, reached through the GS base (the first
 * field points to the structure itself). CPU indices are dense, 0 is the
 * boot CPU, in MADT order. A CPU touches only its own structure except for
 * the fields documented as shared.
 *
 * Lock order: timer_lock (kernel/timer.c) is the only lock in here.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lock.h"

#define PERCPU_MAX_CPUS   64
#define PERCPU_STACK_SIZE (16 * 1024)

struct timer;

struct percpu {
	struct percpu *self; /* must stay first: read as %gs:0 */
	uint32_t index;      /* dense CPU number, 0 = boot CPU */
	uint32_t apic_id;
	volatile bool online;         /* shared: set by the CPU once it runs */
	uint8_t *stack_top;           /* shared: set by the boot CPU */
	uint8_t *interrupt_stack_top; /* IST stack for NMI, #DF, #MC */
	struct spinlock timer_lock;
	struct timer *timers; /* pending one-shot timers, earliest first */
	uint64_t interrupt_count;
	uint64_t timer_interrupt_count;
	uint64_t exit_fixup_count;
	void *vmx; /* vmx/ per-CPU state (owned by vmx/) */
};

extern struct percpu percpu_cpus[PERCPU_MAX_CPUS];
extern uint32_t percpu_cpu_count; /* CPUs found in the MADT       */
extern bool percpu_ready;         /* GS bases are valid on all CPUs that run */

/* Point this CPU's GS base at its structure. */
void percpu_install(uint32_t index);

static inline struct percpu *percpu_this(void)
{
	struct percpu *self;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(self));
	return self;
}

/* This CPU's index, or 0 before per-CPU data exists (boot CPU only then). */
static inline uint32_t percpu_this_index(void)
{
	return percpu_ready ? percpu_this()->index : 0;
}

#endif /* KERNEL_PERCPU_H */
