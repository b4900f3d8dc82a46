/*
 * guests/testos/hostile.c - testos's liveness and isolation modes: guests
 * that try to freeze, hang or starve the machine, and stress modes whose
 * figures must come out exact (docs/smp.md, "Liveness").
 *
 *   hostile-pit [Nms]    PIT channel 0 in mode 2 with reload 1 (the fastest
 *                        a guest can ask for) routed to the BSP for N ms
 *                        (default 300), then power off; RESULT: interrupts
 *   hostile-stihlt       STI; HLT with no interrupt source, forever
 *   hostile-init-self    INIT IPI to itself (the BSP waits for SIPI)
 *   hostile-init-all     INIT IPI to all including self
 *   hostile-ioapic-init  IOAPIC pin 2 (PIT) delivered as INIT to the BSP
 *   hostile-park         every AP parks in CLI; HLT (Linux's stop_this_cpu),
 *                        the BSP works on and powers off normally
 *   hostile-park-all     every vCPU parks in CLI; HLT
 *   hostile-ipistorm [Nms]  every vCPU sends all-but-self IPIs for N ms
 *   pingpong [N]         vCPUs 0 and 1 bounce a fixed IPI N times (default
 *                        5000), each waiting in STI; HLT for its turn
 *   print [N]            every vCPU writes N lines of PRINT_LENGTH '#' to
 *                        the UART at once, with no lock of its own
 *
 * Lock order: none (the print mode deliberately takes no print lock).
 */
#include "guests/testos/smp.h"

#define TESTOS_UART                   0x3f8
#define TESTOS_PIT_FASTEST            1 /* reload 1: 1.19 MHz asked for */
#define TESTOS_PIT_DEFAULT_MS         300
#define TESTOS_STORM_DEFAULT_MS       300
#define TESTOS_PINGPONG_DEFAULT       5000
#define TESTOS_PRINT_DEFAULT          100
#define TESTOS_PRINT_LENGTH           60
#define TESTOS_IOAPIC_PIT_PIN         2
#define TESTOS_IOAPIC_INIT            (5u << 8) /* delivery mode INIT */
#define TESTOS_IOAPIC_MASKED          0x10000u
#define TESTOS_ICR_ALL_INCLUDING_SELF (2u << 18)
#define TESTOS_INIT_ROUTE_PERIOD      11932 /* 10 ms */

static volatile uint32_t testos_parked;
static volatile uint64_t testos_storm_sent[TESTOS_MAX_CPUS];
static uint64_t testos_hostile_count, testos_hostile_ticks;

static bool testos_hostile_is(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static void testos_ioapic_route_pit(uint32_t low)
{
	testos_ioapic_write(0x10 + 2 * TESTOS_IOAPIC_PIT_PIN + 1, testos_cpus[0].apic_id << 24);
	testos_ioapic_write(0x10 + 2 * TESTOS_IOAPIC_PIT_PIN, low);
}

__attribute__((noreturn)) static void testos_park(void)
{
	__atomic_add_fetch(&testos_parked, 1, __ATOMIC_ACQ_REL);
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

static int testos_hostile_pit(void)
{
	struct testos_cpu *cpu = &testos_cpus[0];
	testos_ioapic_route_pit(TESTOS_VECTOR_IOAPIC); /* fixed, edge, unmasked */
	testos_interrupts_enable();
	testos_pit_periodic(TESTOS_PIT_FASTEST);
	uint64_t start = testos_rdtsc();
	while (testos_rdtsc() - start < testos_hostile_ticks)
		native_safe_halt();
	testos_pit_stop();
	testos_ioapic_route_pit(TESTOS_IOAPIC_MASKED | TESTOS_VECTOR_IOAPIC);
	uint64_t ms = testos_tsc_khz ? (testos_rdtsc() - start) / testos_tsc_khz : 0;
	testos_result("mode=hostile-pit reload=%u ms=%llu interrupts=%u", TESTOS_PIT_FASTEST,
	              (unsigned long long)ms, cpu->received[TESTOS_VECTOR_IOAPIC]);
	return 0;
}

/* Every AP parks; the BSP (`all`: parks too, else works and powers off). */
static void testos_park_work(struct testos_cpu *cpu, void *argument)
{
	bool all = argument != NULL;
	if (cpu->index != 0)
		testos_park();
	while (__atomic_load_n(&testos_parked, __ATOMIC_ACQUIRE) < testos_cpu_count - 1)
		testos_cpu_relax();
	if (all)
		testos_park();
	uint32_t a, b, c, d;
	for (uint32_t i = 0; i < 1000; i++)
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	testos_result("mode=hostile-park parked=%u", testos_parked);
	testos_power_off(0);
}

static void testos_storm_work(struct testos_cpu *cpu, void *argument)
{
	(void)argument;
	uint64_t start = testos_rdtsc();
	testos_barrier();
	while (testos_rdtsc() - start < testos_hostile_ticks) {
		testos_send_ipi(0, TESTOS_ICR_FIXED | TESTOS_ICR_ALL_BUT_SELF |
		                       TESTOS_VECTOR_RESCHEDULE);
		testos_storm_sent[cpu->index]++;
	}
	testos_barrier();
}

/* Wait in STI; HLT until `*counter` reaches `want` (the STI shadow makes
 * the check and the HLT one step). */
static void testos_wait_halted(volatile uint32_t *counter, uint32_t want, uint64_t *halts)
{
	for (;;) {
		testos_interrupts_disable();
		if (__atomic_load_n(counter, __ATOMIC_ACQUIRE) >= want)
			break;
		(*halts)++;
		native_safe_halt();
	}
	testos_interrupts_enable();
}

static uint64_t testos_pingpong_halts[2];

static void testos_pingpong_work(struct testos_cpu *cpu, void *argument)
{
	(void)argument;
	if (cpu->index > 1)
		return;
	uint32_t other = testos_cpus[cpu->index ^ 1].apic_id;
	volatile uint32_t *mine = &cpu->received[TESTOS_VECTOR_TEST_PING];
	testos_barrier();
	for (uint32_t round = 1; round <= testos_hostile_count; round++) {
		if (cpu->index == 1)
			testos_wait_halted(mine, round, &testos_pingpong_halts[1]);
		testos_send_ipi(other, TESTOS_ICR_FIXED | TESTOS_VECTOR_TEST_PING);
		if (cpu->index == 0)
			testos_wait_halted(mine, round, &testos_pingpong_halts[0]);
	}
	testos_barrier();
}

static void testos_print_work(struct testos_cpu *cpu, void *argument)
{
	(void)cpu;
	(void)argument;
	testos_barrier();
	for (uint64_t line = 0; line < testos_hostile_count; line++) {
		for (uint32_t i = 0; i < TESTOS_PRINT_LENGTH; i++)
			testos_outb(TESTOS_UART, '#');
		testos_outb(TESTOS_UART, '\n');
	}
	testos_barrier();
}

static int testos_hostile_run(const char *mode)
{
	if (testos_hostile_is(mode, "hostile-pit"))
		return testos_hostile_pit();
	if (testos_hostile_is(mode, "hostile-stihlt"))
		for (;;)
			native_safe_halt();
	if (testos_hostile_is(mode, "hostile-init-self") ||
	    testos_hostile_is(mode, "hostile-init-all")) {
		bool self = testos_hostile_is(mode, "hostile-init-self");
		testos_send_ipi(0, TESTOS_ICR_INIT | TESTOS_ICR_ASSERT |
		                       (self ? TESTOS_ICR_SELF : TESTOS_ICR_ALL_INCLUDING_SELF));
		for (;;)
			testos_cpu_relax();
	}
	if (testos_hostile_is(mode, "hostile-ioapic-init")) {
		testos_ioapic_route_pit(TESTOS_IOAPIC_INIT);
		testos_pit_periodic(TESTOS_INIT_ROUTE_PERIOD);
		for (;;)
			testos_cpu_relax();
	}
	if (testos_hostile_is(mode, "hostile-park") || testos_hostile_is(mode, "hostile-park-all"))
		testos_run_everywhere(testos_park_work, testos_hostile_is(mode, "hostile-park-all")
		                                            ? (void *)1
		                                            : NULL);
	uint64_t start = testos_rdtsc();
	if (testos_hostile_is(mode, "hostile-ipistorm")) {
		testos_run_everywhere(testos_storm_work, NULL);
		uint64_t sent = 0;
		for (uint32_t i = 0; i < testos_cpu_count; i++)
			sent += testos_storm_sent[i];
		testos_result("mode=hostile-ipistorm vcpus=%u ipis=%llu ticks=%llu",
		              testos_cpu_count, (unsigned long long)sent,
		              (unsigned long long)(testos_rdtsc() - start));
		return 0;
	}
	if (testos_hostile_is(mode, "pingpong")) {
		if (testos_cpu_count < 2)
			return 2;
		testos_run_everywhere(testos_pingpong_work, NULL);
		uint32_t got0 = testos_cpus[0].received[TESTOS_VECTOR_TEST_PING];
		uint32_t got1 = testos_cpus[1].received[TESTOS_VECTOR_TEST_PING];
		bool complete = got0 == testos_hostile_count && got1 == testos_hostile_count;
		testos_result(
		    "mode=pingpong rounds=%llu received0=%u received1=%u halts=%llu "
		    "ticks=%llu complete=%u",
		    (unsigned long long)testos_hostile_count, got0, got1,
		    (unsigned long long)(testos_pingpong_halts[0] + testos_pingpong_halts[1]),
		    (unsigned long long)(testos_rdtsc() - start), complete ? 1u : 0u);
		return complete ? 0 : 1;
	}
	testos_run_everywhere(testos_print_work, NULL);
	testos_result(
	    "mode=print vcpus=%u lines=%llu length=%u chars=%llu ticks=%llu", testos_cpu_count,
	    (unsigned long long)testos_hostile_count, TESTOS_PRINT_LENGTH,
	    (unsigned long long)(testos_hostile_count * TESTOS_PRINT_LENGTH * testos_cpu_count),
	    (unsigned long long)(testos_rdtsc() - start));
	return 0;
}

bool testos_hostile_known(const char *mode)
{
	static const char *const modes[] = {
	    "hostile-pit",
	    "hostile-stihlt",
	    "hostile-init-self",
	    "hostile-init-all",
	    "hostile-ioapic-init",
	    "hostile-park",
	    "hostile-park-all",
	    "hostile-ipistorm",
	    "pingpong",
	    "print",
	};
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (testos_hostile_is(mode, modes[i]))
			return true;
	return false;
}

int testos_mode_hostile(const char *mode, uint64_t count, uint64_t duration_ticks)
{
	bool pit = testos_hostile_is(mode, "hostile-pit");
	uint64_t default_ms = pit ? TESTOS_PIT_DEFAULT_MS : TESTOS_STORM_DEFAULT_MS;
	testos_hostile_ticks = duration_ticks ? duration_ticks : default_ms * testos_tsc_khz;
	testos_hostile_count = count                              ? count
	                       : testos_hostile_is(mode, "print") ? TESTOS_PRINT_DEFAULT
	                                                          : TESTOS_PINGPONG_DEFAULT;
	return testos_hostile_run(mode);
}
