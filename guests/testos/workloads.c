/*
 * guests/testos/workloads.c - testos's SMP workloads, each on every vCPU
 * for a count per vCPU or a duration, each op timed with the TSC:
 *
 *   lock       many short critical sections under one spinlock
 *              (_raw_spin_lock / native_queued_spin_lock_slowpath /
 *              _raw_spin_unlock), like gmake, exim, memclone; op = acquire
 *              + section + release
 *   shootdown  each vCPU remaps its page of a shared 4 KiB-mapped region,
 *              INVLPGs it, IPIs all siblings (CALL_FUNCTION_VECTOR) and
 *              spins in smp_call_function_many_cond until every one has run
 *              flush_tlb_func and acknowledged; op = remap to last ack
 *   hog        pure CPU (testos_hog_chunk); op = one chunk
 *   user       computation without kernel services (testos_user_compute,
 *              an integer matrix product; ring 3 is not used, the function
 *              is simply unclassified); op = one product
 *
 * The BSP prints one RESULT line: vcpus, ops, ticks, throughput,
 * p50/p99/p99.9/max of the op latencies in TSC ticks. Without warmup= the
 * ticks run from the mode's start (AP work hand-off and start barrier
 * included) to the last barrier. With warmup=Nms the measured window opens
 * N ms after the first vCPU leaves the start barrier: ops begun before it
 * are warm-up (warmup_ops=, not sampled, not in ops), the duration counts
 * from it, ticks run from it to the last barrier, and startup= is the
 * ticks from the mode's start to it (start barrier + warm-up).
 *
 * Lock order: testos_workload_lock only (never nested).
 */
#include "guests/testos/smp.h"

#define TESTOS_SHOOTDOWN_BASE 0x40000000ull /* PDPT[1]: a 4 KiB-mapped 2 MiB region */

struct testos_workload {
	const char *name;
	uint64_t count;    /* per vCPU, or 0 */
	uint64_t duration; /* TSC ticks, or 0 */
	void (*op)(struct testos_cpu *cpu);
	uint64_t gap; /* iterations of private work between ops */
	uint64_t default_count;
	bool windowed;   /* warmup= given: a window after the start barrier */
	uint64_t warmup; /* TSC ticks of the window's warm-up */
};

static struct testos_spinlock testos_workload_lock;
static volatile uint64_t testos_lock_counter;
/* The measured window's first tick (windowed runs), 0 until the first vCPU
 * out of the start barrier sets it. */
static volatile uint64_t testos_window_start;
static volatile uint64_t testos_lock_data[8][8];
static uint64_t testos_shoot_pd[512] __attribute__((aligned(4096)));
static uint64_t testos_shoot_pt[512] __attribute__((aligned(4096)));
static uint8_t testos_shoot_frames[2][4096] __attribute__((aligned(4096)));
static volatile uint64_t testos_sink[TESTOS_MAX_CPUS * 8];
extern uint64_t testos_pdpt[512];

/* Private work between ops (not shared, not classified). */
__attribute__((noinline)) static uint64_t testos_private_work(uint64_t iterations, uint64_t seed)
{
	for (uint64_t i = 0; i < iterations; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		__asm__ volatile("" : "+r"(seed));
	}
	return seed;
}

static void testos_lock_op(struct testos_cpu *cpu)
{
	_raw_spin_lock(&testos_workload_lock);
	testos_lock_counter++;
	for (int i = 0; i < 8; i++) /* a few shared cache lines */
		testos_lock_data[i][cpu->index] += testos_lock_counter;
	_raw_spin_unlock(&testos_workload_lock);
}

static void testos_shootdown_op(struct testos_cpu *cpu)
{
	uint32_t me = cpu->index;
	uint64_t address = TESTOS_SHOOTDOWN_BASE + (uint64_t)me * 4096;
	/* Point this vCPU's page at the other frame (like munmap + mmap). */
	uint64_t frame =
	    (uint64_t)(uintptr_t)testos_shoot_frames[(cpu->ops + cpu->warmup_ops + 1) & 1];
	__atomic_store_n(&testos_shoot_pt[me], frame | 3, __ATOMIC_RELEASE);
	__asm__ volatile("invlpg (%0)" ::"r"(address) : "memory");
	uint32_t others = ((1u << testos_cpu_count) - 1) & ~(1u << me);
	struct testos_flush_request *request = &testos_flush_requests[me];
	request->address = address;
	if (others)
		native_flush_tlb_multi(request, others);
}

/* Linux: flush_tlb_mm_range -> native_flush_tlb_multi -> smp_call_function_many_cond. */
__attribute__((noinline)) void native_flush_tlb_multi(struct testos_flush_request *request,
                                                      uint32_t targets)
{
	smp_call_function_many_cond(request, targets);
}

__attribute__((noinline)) static void testos_hog_chunk(struct testos_cpu *cpu)
{
	testos_sink[cpu->index * 8] = testos_private_work(20000, testos_sink[cpu->index * 8] | 1);
}

/* 12x12 integer matrix product: computation only. */
__attribute__((noinline)) void testos_user_compute(struct testos_cpu *cpu)
{
	static uint32_t a[TESTOS_MAX_CPUS][12][12], b[TESTOS_MAX_CPUS][12][12];
	uint32_t(*x)[12] = a[cpu->index], (*y)[12] = b[cpu->index];
	for (int i = 0; i < 12; i++)
		for (int j = 0; j < 12; j++)
			y[i][j] = (uint32_t)(i * 31 + j * 17 + cpu->ops);
	for (int i = 0; i < 12; i++)
		for (int j = 0; j < 12; j++) {
			uint32_t sum = 0;
			for (int k = 0; k < 12; k++)
				sum += y[i][k] * y[k][j];
			x[i][j] = sum;
		}
	testos_sink[cpu->index * 8 + 1] = x[5][7];
}

/* The tick the measured window opens for this vCPU, which left the start
 * barrier at `left`: its own `left`, or the window shared by all vCPUs. */
static uint64_t testos_window_open(const struct testos_workload *w, uint64_t left)
{
	if (!w->windowed)
		return left;
	uint64_t unset = 0;
	__atomic_compare_exchange_n(&testos_window_start, &unset, left + w->warmup, false,
	                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&testos_window_start, __ATOMIC_ACQUIRE);
}

static void testos_workload_work(struct testos_cpu *cpu, void *argument)
{
	const struct testos_workload *w = argument;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (cpu->index + 1);
	testos_barrier();
	uint64_t left = testos_rdtsc(), next_poll = left;
	uint64_t start = testos_window_open(w, left);
	for (;;) {
		uint64_t now = testos_rdtsc();
		if (w->count ? cpu->ops >= w->count : now >= start && now - start >= w->duration)
			break;
		/* Asked to finish (run_until=): stop here and report what was
		 * done. Polled at most once a millisecond: one VMCALL. */
		if (now >= next_poll) {
			if (testos_finish_requested())
				break;
			next_poll = testos_rdtsc() + testos_tsc_khz;
		}
		uint64_t before = testos_rdtsc();
		w->op(cpu);
		if (before >= start) {
			testos_sample(cpu, testos_rdtsc() - before);
			cpu->ops++;
		} else {
			cpu->warmup_ops++;
		}
		if (w->gap) /* gap/2 .. 3*gap/2 rounds: vCPUs do not fall into lockstep */
			seed = testos_private_work(w->gap / 2 + seed % (w->gap + 1), seed);
	}
	testos_sink[cpu->index * 8 + 2] = seed;
	testos_barrier();
}

static void testos_shootdown_setup(void)
{
	for (int i = 0; i < 512; i++)
		testos_shoot_pt[i] = (uint64_t)(uintptr_t)testos_shoot_frames[0] | 3;
	testos_shoot_pd[0] = (uint64_t)(uintptr_t)testos_shoot_pt | 3;
	testos_pdpt[1] = (uint64_t)(uintptr_t)testos_shoot_pd | 3;
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3)::"memory");
}

int testos_mode_workload(const char *name, uint64_t count, uint64_t duration)
{
	static const struct testos_workload table[] = {
	    {"lock", 0, 0, testos_lock_op, 100, 2000, false, 0},
	    {"shootdown", 0, 0, testos_shootdown_op, 3000, 200, false, 0},
	    {"hog", 0, 0, testos_hog_chunk, 0, 20, false, 0},
	    {"user", 0, 0, testos_user_compute, 0, 50, false, 0},
	};
	struct testos_workload w = table[0];
	bool found = false;
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *a = table[i].name, *b = name;
		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (*a == *b) {
			w = table[i];
			found = true;
		}
	}
	if (!found)
		return 2;
	w.count = count;
	w.duration = duration;
	if (!w.count && !w.duration)
		w.count = w.default_count;
	if (testos_workload_gap >= 0)
		w.gap = (uint64_t)testos_workload_gap;
	if (w.op == testos_shootdown_op)
		testos_shootdown_setup();
	w.windowed = testos_workload_warmup_ms >= 0;
	w.warmup = w.windowed ? (uint64_t)testos_workload_warmup_ms * testos_tsc_khz : 0;
	testos_window_start = 0;
	testos_samples_reset();
	uint64_t flushes_before = 0;
	for (uint32_t i = 0; i < testos_cpu_count; i++)
		flushes_before += testos_cpus[i].flushes;
	uint64_t start = testos_rdtsc();
	testos_run_everywhere(testos_workload_work, &w);
	uint64_t end = testos_rdtsc();
	uint64_t opened = w.windowed ? testos_window_start : start;
	uint64_t ticks = end > opened ? end - opened : 0;
	uint64_t ops = 0, warmup_ops = 0, flushes = 0;
	for (uint32_t i = 0; i < testos_cpu_count; i++) {
		ops += testos_cpus[i].ops;
		warmup_ops += testos_cpus[i].warmup_ops;
		flushes += testos_cpus[i].flushes;
	}
	flushes -= flushes_before;
	uint64_t p50, p99, samples;
	testos_percentiles(&p50, &p99, &samples);
	uint64_t per_second = ticks ? ops * testos_tsc_khz * 1000 / ticks : 0;
	/* A consistency figure per workload: the lock counter must equal the
	 * sections, each shootdown must be acknowledged by every sibling.
	 * Warm-up ops count here too: they took the lock, were acknowledged. */
	uint64_t all = ops + warmup_ops;
	uint64_t check = w.op == testos_lock_op        ? testos_lock_counter
	                 : w.op == testos_shootdown_op ? flushes
	                                               : all;
	uint64_t want = w.op == testos_shootdown_op ? all * (testos_cpu_count - 1) : all;
	testos_result(
	    "workload=%s vcpus=%u gap=%llu ops=%llu ticks=%llu ops_per_s=%llu mean=%llu p50=%llu "
	    "p99=%llu p999=%llu max=%llu unit=tsc_ticks tsc_khz=%llu check=%llu "
	    "consistent=%u warmup=%llu warmup_ops=%llu startup=%llu",
	    w.name, testos_cpu_count, (unsigned long long)w.gap, (unsigned long long)ops,
	    (unsigned long long)ticks, (unsigned long long)per_second,
	    (unsigned long long)testos_samples_mean(), (unsigned long long)p50,
	    (unsigned long long)p99, (unsigned long long)testos_percentile_permille(999),
	    (unsigned long long)testos_percentile_permille(1000),
	    (unsigned long long)testos_tsc_khz, (unsigned long long)check, check == want ? 1u : 0u,
	    (unsigned long long)w.warmup, (unsigned long long)warmup_ops,
	    (unsigned long long)(opened - start));
	return check == want ? 0 : 1;
}
