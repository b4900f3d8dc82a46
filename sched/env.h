/*
 * sched/env.h - the scheduler's only window to the outside world.
 *
 * sched/ is hardware-independent. Everything it needs from its host is
 * declared here and implemented three times: by the hypervisor (kernel/),
 * by the host unit tests (tests/host/sched_fake_env.c, a fake clock) and by
 * the discrete-event simulator (tools/schedsim).
 *
 * Contract (the environment must honour all of it):
 *
 *  - Time. sched_env_now() returns monotonic nanoseconds, the same clock on
 *    every pCPU. Every public scheduler entry point reads it once on entry;
 *    scheduler times (slices, deadlines) are absolute values of this clock.
 *  - This pCPU. sched_env_this_pcpu() is the id (0..SCHED_MAX_PCPUS-1) of
 *    the pCPU executing the current scheduler entry point. It is only used
 *    to fill the pcpu field of trace records.
 *  - Locking. The scheduler has ONE lock per struct sched_system, provided
 *    by the environment at sched_init() as an opaque struct sched_env_lock.
 *    Every public entry point acquires it on entry and releases it before
 *    returning; entry points must never be called with it already held.
 *    If the environment can enter the scheduler from interrupt context,
 *    acquire must also disable interrupts on this pCPU (a spinlock with
 *    interrupts off). The lock is a leaf except for the callbacks below.
 *  - Kicks. sched_env_kick(n) asks pCPU n to call sched_schedule(sys, n, ...)
 *    soon (an IPI for a remote pCPU, a "reschedule pending" flag for the
 *    calling pCPU). It is called WITH the scheduler lock held, so it must
 *    not block, must not take the scheduler lock and must not call back into
 *    the scheduler synchronously. Spurious kicks are harmless.
 *  - Timers. The scheduler arms no timers itself: each sched_schedule()
 *    returns `until`, the absolute time at which the environment must call
 *    sched_schedule() on that pCPU again (end of slice, next 10 ms tick,
 *    next credit accounting, next adaptive-controller step), unless a kick
 *    or an exit of the running vCPU (yield, HLT) makes it call earlier.
 *    That returned deadline is the timer request: program the one-shot
 *    timer (VMX preemption timer or LAPIC timer) of that pCPU with it.
 *  - Trace. sched_env_trace() is handed every scheduling decision as one
 *    record (sched/trace.h) with time == 0; the environment stamps the time
 *    and stores it in the ring of the pCPU in record->pcpu. Called with the
 *    scheduler lock held: must not block.
 *  - Panic. sched_env_panic(message) reports a broken scheduler invariant
 *    or a "cannot happen" result (one line, no newline). Called WITH the
 *    scheduler lock held; the hypervisor stops (it need not return), a test
 *    environment may record it and return, and the scheduler then carries
 *    on as best it can. Only called on bugs (and, with
 *    params.check_invariants, on corrupted state).
 *  - Memory. No malloc. The libc subset below is the only library code
 *    sched/ uses; the kernel provides these symbols, hosts use libc's.
 *
 * Lock order: sched_system lock -> (kick, trace: must take no lock that is
 * ever held while calling into the scheduler).
 */
#ifndef SCHED_ENV_H
#define SCHED_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/trace.h"

/* The scheduler lock; its definition belongs to the environment. */
struct sched_env_lock;

/* Monotonic time in nanoseconds, identical on every pCPU. */
uint64_t sched_env_now(void);

/* The pCPU executing the current scheduler call. */
unsigned sched_env_this_pcpu(void);

void sched_env_lock_acquire(struct sched_env_lock *lock);
void sched_env_lock_release(struct sched_env_lock *lock);

/* Ask pCPU `pcpu` to call sched_schedule() soon. Non-blocking. */
void sched_env_kick(unsigned pcpu);

/* Record one scheduling decision (time is stamped by the environment). */
void sched_env_trace(const struct sched_trace_record *record);

/* A scheduler bug (broken invariant); lock held; may not return. */
void sched_env_panic(const char *message);

/* The libc subset sched/ may use (the kernel provides these symbols). */
void *memcpy(void *destination, const void *source, size_t size);
void *memmove(void *destination, const void *source, size_t size);
void *memset(void *destination, int value, size_t size);
int memcmp(const void *a, const void *b, size_t size);
size_t strlen(const char *string);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t size);

#endif /* SCHED_ENV_H */
