/*
 * guests/testos/tests.c - the interrupt self-tests of testos:
 *
 * ipitest: on every CPU at once, phase by phase (barriers between): a
 *   fixed IPI to each other CPU by physical APIC ID, one all-but-self
 *   broadcast, one self IPI (shorthand), an NMI to the next CPU, a logical
 *   destination IPI to all others (flat LDR in xAPIC mode, cluster in
 *   x2APIC mode), and priority ordering: with interrupts off, self IPIs of
 *   vectors 0x50 then 0x70, then STI: 0x70 must come first, with its ISR
 *   bit set and 0x50 still in IRR during its handler; after everything,
 *   ISR is empty and PPR 0 (EOI correct). Then on the BSP: an IPI
 *   ping-pong with CPU 1 (round-trip percentiles), and ISA IRQ 0 from the
 *   PIT through the IOAPIC (GSI 2) to the BSP, and ISA IRQ 8 from the
 *   RTC's periodic interrupt (GSI 8), held until status C is read.
 * timertest: on every CPU at once, the vLAPIC timer in one-shot, periodic
 *   and TSC-deadline modes; the lateness of each interrupt (its handler's
 *   TSC minus the deadline) in TSC ticks.
 *
 * Lock order: none.
 */
#include "guests/testos/smp.h"

#define TESTOS_WAIT_TICKS   100000000ull /* give up on an event after this long */
#define TESTOS_PING_ROUNDS  100
#define TESTOS_TIMER_PERIOD 200000u /* TSC ticks programmed per timer interval */

enum testos_ipi_check {
	TESTOS_CHECK_FIXED = 1u << 0,
	TESTOS_CHECK_BROADCAST = 1u << 1,
	TESTOS_CHECK_SELF = 1u << 2,
	TESTOS_CHECK_NMI = 1u << 3,
	TESTOS_CHECK_LOGICAL = 1u << 4,
	TESTOS_CHECK_PRIORITY = 1u << 5,
	TESTOS_CHECK_EOI = 1u << 6,
	TESTOS_CHECK_IOAPIC = 1u << 7,
	TESTOS_CHECK_PING = 1u << 8,
	TESTOS_CHECK_RTC = 1u << 9,
};

/* The CMOS RTC (MC146818A) registers the RTC check uses. */
#define TESTOS_RTC_INDEX    0x70
#define TESTOS_RTC_DATA     0x71
#define TESTOS_RTC_STATUS_A 0x0a
#define TESTOS_RTC_STATUS_B 0x0b
#define TESTOS_RTC_STATUS_C 0x0c
#define TESTOS_RTC_1024HZ   0x26 /* 32.768 kHz divider, rate 6 */
#define TESTOS_RTC_PIE      0x40
#define TESTOS_RTC_IRQF_PF  0xc0
#define TESTOS_RTC_GSI      8
#define TESTOS_RTC_IRQS     5
#define TESTOS_RTC_HOLD_MS  5 /* about five periods */

static volatile uint32_t testos_ipi_failures; /* TESTOS_CHECK_* bits */

/* Spin (interrupts on) until *counter reaches `want`; false on timeout. */
static bool testos_wait_count(volatile uint32_t *counter, uint32_t want)
{
	uint64_t deadline = testos_rdtsc() + TESTOS_WAIT_TICKS;
	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want)
		if (testos_rdtsc() > deadline)
			return false;
	return true;
}

/* Every other CPU's vector (base + sender) arrived exactly once. */
static bool testos_wait_senders(struct testos_cpu *cpu, uint32_t base)
{
	bool ok = true;
	for (uint32_t t = 0; t < testos_cpu_count; t++)
		if (t != cpu->index)
			ok = testos_wait_count(&cpu->received[base + t], 1) && ok;
	for (uint32_t t = 0; t < testos_cpu_count; t++)
		ok = ok && cpu->received[base + t] == (t != cpu->index);
	return ok;
}

static void testos_check(bool ok, uint32_t bit)
{
	if (!ok)
		__atomic_or_fetch(&testos_ipi_failures, bit, __ATOMIC_RELAXED);
}

static void testos_ipitest_work(struct testos_cpu *cpu, void *argument)
{
	(void)argument;
	uint32_t n = testos_cpu_count, me = cpu->index;
	testos_barrier();
	for (uint32_t t = 0; t < n; t++)
		if (t != me)
			testos_send_ipi(testos_cpus[t].apic_id,
			                TESTOS_ICR_FIXED | (TESTOS_VECTOR_TEST_FIXED + me));
	testos_check(testos_wait_senders(cpu, TESTOS_VECTOR_TEST_FIXED), TESTOS_CHECK_FIXED);
	testos_barrier();
	testos_send_ipi(0, TESTOS_ICR_FIXED | TESTOS_ICR_ALL_BUT_SELF |
	                       (TESTOS_VECTOR_TEST_BROADCAST + me));
	testos_check(testos_wait_senders(cpu, TESTOS_VECTOR_TEST_BROADCAST),
	             TESTOS_CHECK_BROADCAST);
	testos_barrier();
	testos_send_ipi(0, TESTOS_ICR_FIXED | TESTOS_ICR_SELF | TESTOS_VECTOR_TEST_SELF);
	testos_check(testos_wait_count(&cpu->received[TESTOS_VECTOR_TEST_SELF], 1),
	             TESTOS_CHECK_SELF);
	testos_barrier();
	testos_send_ipi(testos_cpus[(me + 1) % n].apic_id, TESTOS_ICR_NMI);
	testos_check(testos_wait_count(&cpu->nmis, 1), TESTOS_CHECK_NMI);
	testos_barrier();
	uint32_t mask = 0;
	for (uint32_t t = 0; t < n; t++)
		if (t != me)
			mask |= testos_logical_id(t);
	if (mask)
		testos_send_ipi(mask, TESTOS_ICR_FIXED | TESTOS_ICR_LOGICAL |
		                          (TESTOS_VECTOR_TEST_LOGICAL + me));
	testos_check(testos_wait_senders(cpu, TESTOS_VECTOR_TEST_LOGICAL), TESTOS_CHECK_LOGICAL);
	testos_barrier();
	/* Two vectors pending at once: the higher class first. */
	testos_interrupts_disable();
	cpu->order_count = 0;
	testos_send_ipi(0, TESTOS_ICR_FIXED | TESTOS_ICR_SELF | TESTOS_VECTOR_TEST_LOW);
	testos_send_ipi(0, TESTOS_ICR_FIXED | TESTOS_ICR_SELF | TESTOS_VECTOR_TEST_HIGH);
	testos_interrupts_enable();
	bool ordered = testos_wait_count(&cpu->order_count, 2) &&
	               cpu->order[0] == TESTOS_VECTOR_TEST_HIGH &&
	               cpu->order[1] == TESTOS_VECTOR_TEST_LOW && !cpu->priority_errors;
	testos_check(ordered, TESTOS_CHECK_PRIORITY);
	testos_barrier();
	bool clean = testos_lapic_read(TESTOS_APIC_PPR) == 0;
	for (uint32_t word = 0; word < 8; word++)
		clean = clean && testos_lapic_read(TESTOS_APIC_ISR + 0x10 * word) == 0;
	testos_check(clean, TESTOS_CHECK_EOI);
	testos_barrier();
}

/* CPU 1 answers each ping with a ping to the BSP (tests.c's only reply). */
static void testos_ping_work(struct testos_cpu *cpu, void *argument)
{
	(void)argument;
	if (cpu->index == 1) {
		for (uint32_t round = 0; round < TESTOS_PING_ROUNDS; round++) {
			if (!testos_wait_count(&cpu->received[TESTOS_VECTOR_TEST_PING], round + 1))
				return;
			testos_send_ipi(testos_cpus[0].apic_id,
			                TESTOS_ICR_FIXED | TESTOS_VECTOR_TEST_PING);
		}
		return;
	}
	if (cpu->index != 0 || testos_cpu_count < 2)
		return;
	for (uint32_t round = 0; round < TESTOS_PING_ROUNDS; round++) {
		uint64_t start = testos_rdtsc();
		testos_send_ipi(testos_cpus[1].apic_id, TESTOS_ICR_FIXED | TESTOS_VECTOR_TEST_PING);
		if (!testos_wait_count(&cpu->received[TESTOS_VECTOR_TEST_PING], round + 1)) {
			testos_check(false, TESTOS_CHECK_PING);
			return;
		}
		testos_sample(cpu, cpu->last_irq_tsc - start);
		cpu->ops++;
	}
}

/* PIT channel 0 at 1 kHz -> ISA IRQ 0 -> IOAPIC pin 2 -> the BSP. */
static uint32_t testos_ioapic_test(void)
{
	struct testos_cpu *cpu = &testos_cpus[0];
	uint32_t before = cpu->received[TESTOS_VECTOR_IOAPIC];
	testos_ioapic_write(0x10 + 2 * 2 + 1, cpu->apic_id << 24);
	testos_ioapic_write(0x10 + 2 * 2,
	                    TESTOS_VECTOR_IOAPIC); /* fixed, physical, edge, unmasked */
	testos_interrupts_enable();
	testos_pit_periodic(1193);
	bool ok = testos_wait_count(&cpu->received[TESTOS_VECTOR_IOAPIC], before + 5);
	testos_pit_stop();
	testos_ioapic_write(0x10 + 2 * 2, 0x10000 | TESTOS_VECTOR_IOAPIC); /* masked */
	testos_check(ok, TESTOS_CHECK_IOAPIC);
	return cpu->received[TESTOS_VECTOR_IOAPIC] - before;
}

static uint8_t testos_rtc_get(uint8_t index)
{
	testos_outb(TESTOS_RTC_INDEX, index);
	return testos_inb(TESTOS_RTC_DATA);
}

static void testos_rtc_set(uint8_t index, uint8_t value)
{
	testos_outb(TESTOS_RTC_INDEX, index);
	testos_outb(TESTOS_RTC_DATA, value);
}

/*
 * The RTC's periodic interrupt at 1,024 Hz -> ISA IRQ 8 -> IOAPIC pin 8 ->
 * the BSP. Each interrupt is released by reading status C (which must
 * show IRQF and PF); while C is not read, no second interrupt may come.
 */
static uint32_t testos_rtc_test(void)
{
	struct testos_cpu *cpu = &testos_cpus[0];
	uint32_t before = cpu->received[TESTOS_VECTOR_IOAPIC];
	uint32_t entry = 0x10 + 2 * TESTOS_RTC_GSI;
	testos_ioapic_write(entry + 1, cpu->apic_id << 24);
	testos_ioapic_write(entry, TESTOS_VECTOR_IOAPIC); /* fixed, physical, edge */
	testos_interrupts_enable();
	testos_rtc_set(TESTOS_RTC_STATUS_A, TESTOS_RTC_1024HZ);
	(void)testos_rtc_get(TESTOS_RTC_STATUS_C);
	uint8_t status_b = testos_rtc_get(TESTOS_RTC_STATUS_B);
	testos_rtc_set(TESTOS_RTC_STATUS_B, status_b | TESTOS_RTC_PIE);
	bool ok = true;
	for (uint32_t i = 1; ok && i <= TESTOS_RTC_IRQS; i++) {
		ok = testos_wait_count(&cpu->received[TESTOS_VECTOR_IOAPIC], before + i);
		if (i == TESTOS_RTC_IRQS) { /* held: nothing more until C is read */
			uint64_t until = testos_rdtsc() + TESTOS_RTC_HOLD_MS * testos_tsc_khz;
			while (testos_rdtsc() < until)
				;
			ok = ok && cpu->received[TESTOS_VECTOR_IOAPIC] == before + i;
		}
		uint8_t status_c = testos_rtc_get(TESTOS_RTC_STATUS_C);
		ok = ok && (status_c & TESTOS_RTC_IRQF_PF) == TESTOS_RTC_IRQF_PF;
	}
	testos_rtc_set(TESTOS_RTC_STATUS_B, status_b);
	(void)testos_rtc_get(TESTOS_RTC_STATUS_C);
	testos_ioapic_write(entry, 0x10000 | TESTOS_VECTOR_IOAPIC); /* masked */
	testos_check(ok, TESTOS_CHECK_RTC);
	return cpu->received[TESTOS_VECTOR_IOAPIC] - before;
}

static const char *testos_verdict(uint32_t bit)
{
	return (testos_ipi_failures & bit) ? "FAIL" : "ok";
}

int testos_mode_ipitest(void)
{
	testos_samples_reset();
	uint64_t start = testos_rdtsc();
	testos_run_everywhere(testos_ipitest_work, NULL);
	testos_run_everywhere(testos_ping_work, NULL);
	uint32_t version = testos_ioapic_read(1);
	uint32_t irqs = testos_ioapic_test();
	uint32_t rtc_irqs = testos_rtc_test();
	uint64_t ticks = testos_rdtsc() - start;
	uint64_t p50, p99, count;
	testos_percentiles(&p50, &p99, &count);
	uint32_t errors = 0;
	for (uint32_t bits = testos_ipi_failures; bits; bits &= bits - 1)
		errors++;
	testos_print("testos: IOAPIC version 0x%x, %u entries; %u IRQ 0 interrupts, %u IRQ 8 "
	             "interrupts\n",
	             version & 0xff, ((version >> 16) & 0xff) + 1, irqs, rtc_irqs);
	testos_result(
	    "workload=ipitest vcpus=%u apic=%s fixed=%s broadcast=%s self=%s nmi=%s "
	    "logical=%s priority=%s eoi=%s ioapic=%s rtc=%s errors=%u ops=%llu ticks=%llu "
	    "p50=%llu p99=%llu unit=tsc_ticks",
	    testos_cpu_count, testos_x2apic ? "x2apic" : "xapic",
	    testos_verdict(TESTOS_CHECK_FIXED), testos_verdict(TESTOS_CHECK_BROADCAST),
	    testos_verdict(TESTOS_CHECK_SELF), testos_verdict(TESTOS_CHECK_NMI),
	    testos_verdict(TESTOS_CHECK_LOGICAL), testos_verdict(TESTOS_CHECK_PRIORITY),
	    testos_verdict(TESTOS_CHECK_EOI), testos_verdict(TESTOS_CHECK_IOAPIC),
	    testos_verdict(TESTOS_CHECK_RTC), errors, (unsigned long long)count,
	    (unsigned long long)ticks, (unsigned long long)p50, (unsigned long long)p99);
	return errors ? 1 : 0;
}

/* ---- timertest ------------------------------------------------------------- */

struct testos_timer_lateness {
	int64_t maximum[3]; /* one-shot, periodic, TSC deadline */
	uint32_t early;     /* interrupts before their deadline */
	uint32_t ratio;     /* TSC ticks per timer tick at divide 1 */
};
static struct testos_timer_lateness testos_lateness[TESTOS_MAX_CPUS];
static uint64_t testos_timer_rounds;

/* Halt until the timer interrupt count moves past `seen`. */
static bool testos_wait_timer(struct testos_cpu *cpu, uint32_t seen)
{
	uint64_t deadline = testos_rdtsc() + TESTOS_WAIT_TICKS;
	for (;;) {
		testos_interrupts_disable();
		if (cpu->timer_irqs != seen || testos_rdtsc() > deadline) {
			testos_interrupts_enable();
			return cpu->timer_irqs != seen;
		}
		native_safe_halt();
	}
}

static void testos_timer_record(struct testos_cpu *cpu, int mode, uint64_t deadline)
{
	struct testos_timer_lateness *l = &testos_lateness[cpu->index];
	int64_t late = (int64_t)(cpu->last_irq_tsc - deadline);
	if (late < 0)
		l->early++;
	if (late > l->maximum[mode])
		l->maximum[mode] = late;
	testos_sample(cpu, late < 0 ? 0 : (uint64_t)late);
	cpu->ops++;
}

static void testos_timertest_work(struct testos_cpu *cpu, void *argument)
{
	(void)argument;
	struct testos_timer_lateness *l = &testos_lateness[cpu->index];
	for (int m = 0; m < 3; m++)
		l->maximum[m] = -1;
	/* The timer clock against the TSC (as Linux calibrates the LAPIC timer). */
	testos_lapic_write(TESTOS_APIC_TIMER_DIVIDE, 0xb); /* divide by 1 */
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, 0x10000 | TESTOS_VECTOR_LOCAL_TIMER);
	testos_lapic_write(TESTOS_APIC_TIMER_INITIAL, 0xffffffffu);
	uint64_t t0 = testos_rdtsc();
	uint32_t c0 = testos_lapic_read(TESTOS_APIC_TIMER_CURRENT);
	testos_delay(1000000);
	uint64_t t1 = testos_rdtsc();
	uint32_t c1 = testos_lapic_read(TESTOS_APIC_TIMER_CURRENT);
	testos_lapic_write(TESTOS_APIC_TIMER_INITIAL, 0);
	uint64_t ratio = c0 > c1 ? ((t1 - t0) + (c0 - c1) / 2) / (c0 - c1) : 1;
	l->ratio = (uint32_t)(ratio ? ratio : 1);
	uint32_t count = TESTOS_TIMER_PERIOD / l->ratio;
	uint64_t period = (uint64_t)count * l->ratio;
	testos_barrier();
	/* One-shot. */
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, TESTOS_VECTOR_LOCAL_TIMER);
	for (uint64_t r = 0; r < testos_timer_rounds; r++) {
		uint32_t seen = cpu->timer_irqs;
		uint64_t start = testos_rdtsc();
		testos_lapic_write(TESTOS_APIC_TIMER_INITIAL, count);
		if (testos_wait_timer(cpu, seen))
			testos_timer_record(cpu, 0, start + period);
	}
	/* Periodic: deadlines on the grid of the first one. */
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, (1u << 17) | TESTOS_VECTOR_LOCAL_TIMER);
	uint32_t seen = cpu->timer_irqs;
	uint64_t start = testos_rdtsc();
	testos_lapic_write(TESTOS_APIC_TIMER_INITIAL, count);
	for (uint64_t r = 1; r <= testos_timer_rounds; r++) {
		if (!testos_wait_timer(cpu, seen))
			break;
		seen = cpu->timer_irqs;
		testos_timer_record(cpu, 1, start + r * period);
	}
	testos_lapic_write(TESTOS_APIC_TIMER_INITIAL, 0);
	/* TSC deadline (IA32_TSC_DEADLINE, MSR 0x6e0). */
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, (2u << 17) | TESTOS_VECTOR_LOCAL_TIMER);
	for (uint64_t r = 0; r < testos_timer_rounds; r++) {
		seen = cpu->timer_irqs;
		uint64_t deadline = testos_rdtsc() + period;
		testos_wrmsr(0x6e0, deadline);
		if (testos_wait_timer(cpu, seen))
			testos_timer_record(cpu, 2, deadline);
	}
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, 0x10000 | TESTOS_VECTOR_LOCAL_TIMER);
	testos_barrier();
}

int testos_mode_timertest(uint64_t rounds)
{
	testos_samples_reset();
	testos_timer_rounds = rounds;
	uint64_t start = testos_rdtsc();
	testos_run_everywhere(testos_timertest_work, NULL);
	uint64_t ticks = testos_rdtsc() - start;
	int64_t maximum[3] = {-1, -1, -1};
	uint32_t early = 0, ratio = testos_lateness[0].ratio;
	uint64_t ops = 0;
	for (uint32_t i = 0; i < testos_cpu_count; i++) {
		for (int m = 0; m < 3; m++)
			if (testos_lateness[i].maximum[m] > maximum[m])
				maximum[m] = testos_lateness[i].maximum[m];
		early += testos_lateness[i].early;
		ops += testos_cpus[i].ops;
	}
	uint64_t p50, p99, count;
	testos_percentiles(&p50, &p99, &count);
	uint64_t period = (uint64_t)(TESTOS_TIMER_PERIOD / ratio) * ratio;
	uint64_t expected = 3 * rounds * testos_cpu_count;
	bool ok = ops == expected && !early && maximum[0] >= 0 && maximum[1] >= 0 &&
	          maximum[2] >= 0 && (uint64_t)maximum[0] < period &&
	          (uint64_t)maximum[1] < period && (uint64_t)maximum[2] < period;
	testos_result(
	    "workload=timertest vcpus=%u rounds=%llu period=%llu ratio=%u oneshot_max=%lld "
	    "periodic_max=%lld deadline_max=%lld early=%u ok=%u ops=%llu ticks=%llu "
	    "p50=%llu p99=%llu unit=tsc_ticks",
	    testos_cpu_count, (unsigned long long)rounds, (unsigned long long)period, ratio,
	    (long long)maximum[0], (long long)maximum[1], (long long)maximum[2], early,
	    ok ? 1u : 0u, (unsigned long long)ops, (unsigned long long)ticks,
	    (unsigned long long)p50, (unsigned long long)p99);
	return ok ? 0 : 1;
}
