/*
 * guests/testos/smp.c - testos's SMP core: per-CPU set-up, spinlocks and
 * the spinning slow path, a barrier, running work on every CPU, the idle
 * loop, the interrupt dispatcher with Linux's handler names, TLB-shootdown
 * calls, latency samples, and the entry of the SMP modes.
 *
 * Lock order: none nested. Work is handed to the APs through
 * testos_work_generation (written by the BSP only) and a reschedule IPI.
 */
#include "guests/testos/smp.h"

#define TESTOS_MSR_GS_BASE 0xc0000101

struct testos_flush_request testos_flush_requests[TESTOS_MAX_CPUS];
int64_t testos_workload_gap = -1;
int64_t testos_workload_warmup_ms = -1;

static volatile uint32_t testos_barrier_count, testos_barrier_sense;
static volatile uint32_t testos_work_generation, testos_work_done;
static testos_work_fn testos_work;
static void *testos_work_argument;
static uint64_t testos_merged[TESTOS_HISTOGRAM_BUCKETS]; /* all CPUs' histograms */
static uint64_t testos_merged_max;

/* ---- spinlocks (Linux: _raw_spin_lock -> queued_spin_lock_slowpath) ---- */

__attribute__((noinline)) void native_queued_spin_lock_slowpath(struct testos_spinlock *lock)
{
	for (;;) {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
			testos_cpu_relax(); /* PAUSE: PAUSE-loop exits under uslice */
		uint32_t expected = 0;
		if (__atomic_compare_exchange_n(&lock->locked, &expected, 1, false,
		                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
	}
}

__attribute__((noinline)) void _raw_spin_lock(struct testos_spinlock *lock)
{
	uint32_t expected = 0;
	if (!__atomic_compare_exchange_n(&lock->locked, &expected, 1, false, __ATOMIC_ACQUIRE,
	                                 __ATOMIC_RELAXED))
		native_queued_spin_lock_slowpath(lock);
}

__attribute__((noinline)) void _raw_spin_unlock(struct testos_spinlock *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

/* ---- idle ---------------------------------------------------------------- */

/* STI; HLT: the STI shadow makes the check before it race-free. */
__attribute__((noinline)) void native_safe_halt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

__attribute__((noinline)) static void default_idle(void)
{
	native_safe_halt();
}

/* An AP's life after start-up: run each piece of work the BSP posts. */
__attribute__((noreturn)) void testos_ap_idle(void)
{
	uint32_t seen = 0;
	for (;;) {
		testos_interrupts_disable();
		uint32_t generation = __atomic_load_n(&testos_work_generation, __ATOMIC_ACQUIRE);
		if (generation == seen) {
			default_idle();
			continue;
		}
		testos_interrupts_enable();
		seen = generation;
		testos_work(testos_this_cpu(), testos_work_argument);
		__atomic_add_fetch(&testos_work_done, 1, __ATOMIC_ACQ_REL);
	}
}

void testos_run_everywhere(testos_work_fn work, void *argument)
{
	testos_work = work;
	testos_work_argument = argument;
	__atomic_store_n(&testos_work_done, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&testos_work_generation, 1, __ATOMIC_ACQ_REL);
	if (testos_cpu_count > 1)
		testos_send_ipi(0, TESTOS_ICR_FIXED | TESTOS_ICR_ALL_BUT_SELF |
		                       TESTOS_VECTOR_RESCHEDULE);
	testos_interrupts_enable();
	work(testos_this_cpu(), argument);
	while (__atomic_load_n(&testos_work_done, __ATOMIC_ACQUIRE) < testos_cpu_count - 1)
		testos_cpu_relax();
}

/* Sense-reversing barrier of every CPU. */
void testos_barrier(void)
{
	uint32_t sense = __atomic_load_n(&testos_barrier_sense, __ATOMIC_ACQUIRE);
	if (__atomic_add_fetch(&testos_barrier_count, 1, __ATOMIC_ACQ_REL) == testos_cpu_count) {
		__atomic_store_n(&testos_barrier_count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&testos_barrier_sense, sense ^ 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&testos_barrier_sense, __ATOMIC_ACQUIRE) == sense)
		testos_cpu_relax();
}

void testos_cpu_setup(uint32_t index)
{
	struct testos_cpu *cpu = &testos_cpus[index];
	cpu->self = cpu;
	cpu->index = index;
	testos_wrmsr(TESTOS_MSR_GS_BASE, (uint64_t)(uintptr_t)cpu);
	testos_lapic_enable();
}

/* ---- interrupts (Linux's entry names) ---------------------------------------- */

__attribute__((noinline)) void irq_enter(void)
{
	__asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) void irq_exit(void)
{
	__asm__ volatile("" ::: "memory");
}

/* The IPI side of a shootdown: invalidate, then acknowledge. */
__attribute__((noinline)) void flush_tlb_func(struct testos_flush_request *request)
{
	__asm__ volatile("invlpg (%0)" ::"r"(request->address) : "memory");
	testos_this_cpu()->flushes++;
	__atomic_and_fetch(&request->pending, ~(1u << testos_this_cpu()->index), __ATOMIC_RELEASE);
}

__attribute__((noinline)) void flush_smp_call_function_queue(void)
{
	uint32_t self = 1u << testos_this_cpu()->index;
	for (uint32_t i = 0; i < testos_cpu_count; i++)
		if (__atomic_load_n(&testos_flush_requests[i].pending, __ATOMIC_ACQUIRE) & self)
			flush_tlb_func(&testos_flush_requests[i]);
}

__attribute__((noinline)) void __sysvec_call_function(void)
{
	irq_enter();
	flush_smp_call_function_queue();
	testos_lapic_eoi();
	irq_exit();
}

__attribute__((noinline)) void scheduler_ipi(void)
{
	__asm__ volatile("" ::: "memory"); /* the idle loop re-checks for work */
}

__attribute__((noinline)) void __sysvec_reschedule_ipi(void)
{
	testos_lapic_eoi();
	scheduler_ipi();
}

static void testos_test_vector(struct testos_cpu *cpu, uint32_t vector)
{
	cpu->received[vector]++;
	uint32_t n = cpu->order_count;
	if (n < sizeof(cpu->order))
		cpu->order[n] = (uint8_t)vector;
	cpu->order_count = n + 1;
	if (vector == TESTOS_VECTOR_TEST_HIGH) {
		/* Still in service, and the lower one must wait behind it in IRR. */
		uint32_t word = TESTOS_VECTOR_TEST_HIGH / 32, bit = TESTOS_VECTOR_TEST_HIGH % 32;
		uint32_t low_word = TESTOS_VECTOR_TEST_LOW / 32,
		         low_bit = TESTOS_VECTOR_TEST_LOW % 32;
		if (!(testos_lapic_read(TESTOS_APIC_ISR + 0x10 * word) & (1u << bit)) ||
		    !(testos_lapic_read(TESTOS_APIC_IRR + 0x10 * low_word) & (1u << low_bit)))
			cpu->priority_errors++;
	}
	cpu->last_irq_tsc = testos_rdtsc();
	testos_lapic_eoi();
}

void testos_interrupt(uint64_t vector)
{
	struct testos_cpu *cpu = testos_this_cpu();
	switch (vector) {
	case TESTOS_VECTOR_NMI:
		cpu->nmis++;
		return; /* no EOI for an NMI */
	case TESTOS_VECTOR_CALL_FUNCTION:
		__sysvec_call_function();
		return;
	case TESTOS_VECTOR_RESCHEDULE:
		__sysvec_reschedule_ipi();
		return;
	case TESTOS_VECTOR_LOCAL_TIMER:
		cpu->last_irq_tsc = testos_rdtsc();
		cpu->timer_irqs++;
		testos_lapic_eoi();
		return;
	case TESTOS_VECTOR_NIC:
		testos_e1000_interrupt();
		return;
	case TESTOS_VECTOR_SPURIOUS:
		return; /* no EOI for a spurious interrupt */
	default:
		testos_test_vector(cpu, (uint32_t)vector);
		return;
	}
}

/* ---- TLB shootdown: the initiator's wait (Linux: smp_call_function_many_cond) ---- */

__attribute__((noinline)) void smp_call_function_many_cond(struct testos_flush_request *request,
                                                           uint32_t targets)
{
	__atomic_store_n(&request->pending, targets, __ATOMIC_RELEASE);
	testos_send_ipi(0,
	                TESTOS_ICR_FIXED | TESTOS_ICR_ALL_BUT_SELF | TESTOS_VECTOR_CALL_FUNCTION);
	while (__atomic_load_n(&request->pending, __ATOMIC_ACQUIRE))
		testos_cpu_relax(); /* interrupts on: other initiators' IPIs get in */
}

/* ---- latency samples ------------------------------------------------------ */

static uint32_t testos_histogram_bucket(uint64_t ticks)
{
	if (ticks < 16)
		return (uint32_t)ticks;
	uint32_t exponent = 63u - (uint32_t)__builtin_clzll(ticks); /* >= 4 */
	uint32_t sub = (uint32_t)(ticks >> (exponent - 3)) & 7;
	return 16 + (exponent - 4) * 8 + sub;
}

/* The largest value that falls in `bucket`. */
static uint64_t testos_histogram_upper(uint32_t bucket)
{
	if (bucket < 16)
		return bucket;
	uint32_t exponent = (bucket - 16) / 8 + 4, sub = (bucket - 16) % 8;
	return ((8ull + sub + 1) << (exponent - 3)) - 1;
}

void testos_sample(struct testos_cpu *cpu, uint64_t ticks)
{
	cpu->histogram[testos_histogram_bucket(ticks)]++;
	if (ticks > cpu->sample_max)
		cpu->sample_max = ticks;
	cpu->sample_sum += ticks;
	cpu->sample_count++;
}

void testos_samples_reset(void)
{
	for (uint32_t i = 0; i < TESTOS_MAX_CPUS; i++) {
		struct testos_cpu *cpu = &testos_cpus[i];
		cpu->sample_count = 0;
		cpu->sample_max = 0;
		cpu->sample_sum = 0;
		cpu->ops = 0;
		cpu->warmup_ops = 0;
		for (uint32_t b = 0; b < TESTOS_HISTOGRAM_BUCKETS; b++)
			cpu->histogram[b] = 0;
	}
}

static uint64_t testos_merged_count; /* samples merged by the last call */
static uint64_t testos_merged_sum;

uint64_t testos_percentile_permille(uint64_t permille)
{
	uint64_t n = testos_merged_count;
	if (!n)
		return 0;
	uint64_t rank = (n * permille + 999) / 1000, seen = 0;
	if (!rank)
		rank = 1;
	for (uint32_t b = 0; b < TESTOS_HISTOGRAM_BUCKETS; b++) {
		seen += testos_merged[b];
		if (seen >= rank) {
			uint64_t upper = testos_histogram_upper(b);
			return upper < testos_merged_max ? upper : testos_merged_max;
		}
	}
	return testos_merged_max;
}

uint64_t testos_samples_mean(void)
{
	return testos_merged_count ? testos_merged_sum / testos_merged_count : 0;
}

void testos_percentiles(uint64_t *p50, uint64_t *p99, uint64_t *count)
{
	uint64_t n = 0, sum = 0;
	testos_merged_max = 0;
	for (uint32_t b = 0; b < TESTOS_HISTOGRAM_BUCKETS; b++)
		testos_merged[b] = 0;
	for (uint32_t i = 0; i < testos_cpu_count; i++) {
		const struct testos_cpu *cpu = &testos_cpus[i];
		for (uint32_t b = 0; b < TESTOS_HISTOGRAM_BUCKETS; b++)
			testos_merged[b] += cpu->histogram[b];
		if (cpu->sample_max > testos_merged_max)
			testos_merged_max = cpu->sample_max;
		n += cpu->sample_count;
		sum += cpu->sample_sum;
	}
	testos_merged_count = n;
	testos_merged_sum = sum;
	*count = n;
	*p50 = testos_percentile_permille(500);
	*p99 = testos_percentile_permille(990);
}

/* ---- the SMP modes ------------------------------------------------------ */

/* `word` starts with `prefix` followed by a blank or the end. */
static bool testos_is_prefix(const char *word, const char *prefix)
{
	while (*prefix && *word == *prefix) {
		word++;
		prefix++;
	}
	return !*prefix && (*word == ' ' || !*word);
}

int testos_smp_main(const char *mode, const char *arguments)
{
	bool known = testos_same(mode, "ipitest") || testos_same(mode, "timertest") ||
	             testos_same(mode, "lock") || testos_same(mode, "shootdown") ||
	             testos_same(mode, "hog") || testos_same(mode, "user") ||
	             testos_same(mode, "ping") || testos_same(mode, "stream") ||
	             testos_hostile_known(mode);
	if (!known)
		return -1;
	uint64_t count = 0, milliseconds = 0;
	for (const char *p = arguments; *p;) {
		while (*p == ' ')
			p++;
		const char *word = p;
		uint64_t number = testos_decimal(&p);
		bool digits = p != word;
		if (digits && p[0] == 'm' && p[1] == 's' && (p[2] == ' ' || !p[2])) {
			milliseconds = number;
			p += 2;
		} else if (digits && (*p == ' ' || !*p)) {
			count = number;
		} else if (testos_is_prefix(word, "x2apic")) {
			testos_x2apic = true;
			p = word + 6;
		} else if (word[0] == 'g' && word[1] == 'a' && word[2] == 'p' && word[3] == '=') {
			p = word + 4;
			testos_workload_gap = (int64_t)testos_decimal(&p);
		} else if (word[0] == 'w' && word[1] == 'a' && word[2] == 'r' && word[3] == 'm' &&
		           word[4] == 'u' && word[5] == 'p' && word[6] == '=') {
			p = word + 7;
			const char *digits_at = p;
			uint64_t warmup = testos_decimal(&p);
			if (p != digits_at && p[0] == 'm' && p[1] == 's' &&
			    (p[2] == ' ' || !p[2])) {
				testos_workload_warmup_ms = (int64_t)warmup;
				p += 2;
			}
		} else {
			while (*p && *p != ' ')
				p++;
		}
	}
	char why[96];
	testos_cpus[0].self = &testos_cpus[0];
	testos_wrmsr(TESTOS_MSR_GS_BASE, (uint64_t)(uintptr_t)&testos_cpus[0]);
	if (testos_acpi_scan(why, sizeof(why)) != 0) {
		testos_print("testos: ACPI: %s\n", why);
		return 5;
	}
	testos_cpu_setup(0);
	testos_pit_calibrate_tsc();
	testos_print("testos: ACPI RSDP at 0x%llx, MADT: %u CPUs, IOAPIC %u at 0x%x; %s; "
	             "TSC %llu kHz (PIT)\n",
	             (unsigned long long)testos_rsdp, testos_cpu_count, testos_ioapic_id,
	             testos_ioapic_address, testos_x2apic ? "x2APIC" : "xAPIC",
	             (unsigned long long)testos_tsc_khz);
	uint64_t start = testos_rdtsc();
	int started = testos_start_aps();
	uint64_t ticks = testos_rdtsc() - start;
	testos_print("testos: %d of %u APs started with INIT-SIPI-SIPI in %llu ticks\n", started,
	             testos_cpu_count - 1, (unsigned long long)ticks);
	if ((uint32_t)started != testos_cpu_count - 1)
		return 6;
	uint64_t duration = milliseconds * testos_tsc_khz;
	if (testos_same(mode, "ping"))
		return testos_mode_ping(arguments);
	if (testos_same(mode, "stream"))
		return testos_mode_stream(arguments);
	if (testos_same(mode, "ipitest"))
		return testos_mode_ipitest();
	if (testos_same(mode, "timertest"))
		return testos_mode_timertest(count ? count : 5);
	if (testos_hostile_known(mode))
		return testos_mode_hostile(mode, count, duration);
	return testos_mode_workload(mode, count, duration);
}
