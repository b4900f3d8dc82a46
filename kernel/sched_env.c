/*
 * kernel/sched_env.c - implementation of sched/env.h for the hypervisor
 * (see kernel/sched_env.h).
 *
 * Lock order: scheduler lock (interrupts off) -> log_lock (leaf).
 */
#include "kernel/sched_env.h"

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/trap.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/timer.h"
#include "sched/env.h"
#include "sched/trace.h"

static struct sched_trace_ring sched_env_rings[PERCPU_MAX_CPUS];
static uint32_t sched_env_ring_count;
static volatile bool sched_env_kicked[PERCPU_MAX_CPUS];

/*
 * The scheduler compares times taken on different pCPUs (a vCPU queued on
 * one, picked on another). TSCs of different CPUs may be slightly apart
 * (Bochs runs CPUs in quanta; real sockets drift), so the clock handed to
 * the scheduler never goes backwards across pCPUs: it is the largest value
 * any pCPU has read so far.
 */
static uint64_t sched_env_latest_ns;

uint64_t sched_env_now(void)
{
	uint64_t now = timer_tsc_to_ns(arch_tsc_read());
	uint64_t latest = __atomic_load_n(&sched_env_latest_ns, __ATOMIC_RELAXED);
	while (now > latest &&
	       !__atomic_compare_exchange_n(&sched_env_latest_ns, &latest, now, true,
	                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return now > latest ? now : latest;
}

unsigned sched_env_this_pcpu(void)
{
	return percpu_this_index();
}

/* A broken scheduler invariant or a "cannot happen" result: the
 * scheduler's state can no longer be trusted. panic() takes no scheduler
 * lock (the caller holds it). */
void sched_env_panic(const char *message)
{
	panic_with_reason("sched", "sched: %s", message);
}

void sched_env_lock_acquire(struct sched_env_lock *lock)
{
	uint64_t flags = spinlock_acquire_irqsave(&lock->lock);
	lock->saved_flags = flags;
}

void sched_env_lock_release(struct sched_env_lock *lock)
{
	uint64_t flags = lock->saved_flags;
	spinlock_release_irqrestore(&lock->lock, flags);
}

void sched_env_kick(unsigned pcpu)
{
	if (pcpu >= PERCPU_MAX_CPUS)
		return;
	__atomic_store_n(&sched_env_kicked[pcpu], true, __ATOMIC_RELEASE);
	if (pcpu != percpu_this_index() && percpu_cpus[pcpu].online)
		lapic_send_ipi(percpu_cpus[pcpu].apic_id, TRAP_VECTOR_RESCHEDULE);
}

bool sched_env_take_kick(void)
{
	return __atomic_exchange_n(&sched_env_kicked[percpu_this_index()], false, __ATOMIC_ACQ_REL);
}

bool sched_env_trace_controller_only;

static bool sched_env_trace_wanted(const struct sched_trace_record *record)
{
	return !sched_env_trace_controller_only || record->event == SCHED_TRACE_POOL_RESIZE ||
	       record->event == SCHED_TRACE_COUNTERS || record->event == SCHED_TRACE_POOL_PCPU ||
	       record->event == SCHED_TRACE_PROGRESS_STEP ||
	       record->event == SCHED_TRACE_PROGRESS_SCORE ||
	       record->event == SCHED_TRACE_PROGRESS_HOLD ||
	       record->event == SCHED_TRACE_PROGRESS_CHANGE;
}

void sched_env_trace(const struct sched_trace_record *record)
{
	uint32_t cpu = percpu_this_index();
	/* sched_trace=ctl keeps the controller's records only, from the
	 * start: the schedule events of a long run would wrap the ring. */
	if (cpu >= sched_env_ring_count || !sched_env_trace_wanted(record))
		return;
	struct sched_trace_record stamped = *record;
	stamped.time = arch_tsc_read();
	sched_trace_ring_write(&sched_env_rings[cpu], &stamped);
}

int sched_env_trace_init(uint32_t cpus, uint64_t records_per_cpu)
{
	if (cpus > PERCPU_MAX_CPUS)
		cpus = PERCPU_MAX_CPUS;
	uint64_t bytes = records_per_cpu * sizeof(struct sched_trace_record);
	for (uint32_t cpu = 0; cpu < cpus; cpu++) {
		uint64_t storage = memory_alloc_pages_zeroed((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
		if (!storage ||
		    sched_trace_ring_init(&sched_env_rings[cpu],
		                          (struct sched_trace_record *)(uintptr_t)storage,
		                          records_per_cpu) != 0)
			return -1;
	}
	sched_env_ring_count = cpus;
	return 0;
}

void sched_env_trace_dump(void)
{
	uint64_t total = 0, dropped = 0;
	for (uint32_t cpu = 0; cpu < sched_env_ring_count; cpu++) {
		struct sched_trace_record record;
		char line[SCHED_TRACE_LINE_MAX];
		while (sched_trace_ring_read(&sched_env_rings[cpu], &record, 1) == 1) {
			sched_trace_format(&record, line, sizeof(line));
			log_record("%s", line);
			total++;
		}
		dropped += sched_trace_ring_dropped(&sched_env_rings[cpu]);
	}
	log_record("TRACESUMMARY records=%llu dropped=%llu clock=tsc tsc_khz=%llu",
	           (unsigned long long)total, (unsigned long long)dropped,
	           (unsigned long long)timer_tsc_khz);
}
