/*
 * kernel/lock.h - ticket spinlocks.
 *
 * A ticket lock is fair: CPUs get it in the order they asked. The *_irqsave
 * variants also disable interrupts on this CPU and give back the previous
 * interrupt state; use them for any lock an interrupt handler can take.
 * Spinlocks never sleep and must not be held across a VM entry.
 *
 * Lock order: each user states its own; this file holds no lock.
 */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

struct spinlock {
	volatile uint32_t next;    /* next ticket to hand out */
	volatile uint32_t serving; /* ticket now allowed in   */
};

#define SPINLOCK_INIT                                                                              \
	{                                                                                          \
		0, 0                                                                               \
	}

static inline void spinlock_acquire(struct spinlock *lock)
{
	uint32_t ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE) != ticket)
		arch_pause();
}

static inline bool spinlock_try_acquire(struct spinlock *lock)
{
	uint32_t serving = __atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE);
	uint32_t expected = serving;
	return __atomic_compare_exchange_n(&lock->next, &expected, serving + 1, false,
	                                   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spinlock_release(struct spinlock *lock)
{
	__atomic_store_n(&lock->serving, lock->serving + 1, __ATOMIC_RELEASE);
}

static inline uint64_t spinlock_acquire_irqsave(struct spinlock *lock)
{
	uint64_t flags = arch_interrupts_save_disable();
	spinlock_acquire(lock);
	return flags;
}

static inline void spinlock_release_irqrestore(struct spinlock *lock, uint64_t flags)
{
	spinlock_release(lock);
	arch_interrupts_restore(flags);
}

#endif /* KERNEL_LOCK_H */
