/*
 * arch/x86/lapic.c - local APIC access (see lapic.h).
 *
 * Lock order: none.
 */
#include "arch/x86/lapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"

enum {
	LAPIC_ID = 0x20,
	LAPIC_TPR = 0x80,
	LAPIC_EOI = 0xb0,
	LAPIC_SVR = 0xf0,
	LAPIC_ESR = 0x280,
	LAPIC_ICR_LOW = 0x300,
	LAPIC_ICR_HIGH = 0x310,
	LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_LINT0 = 0x350,
	LAPIC_LVT_LINT1 = 0x360,
	LAPIC_LVT_ERROR = 0x370,
	LAPIC_TIMER_INITIAL = 0x380,
	LAPIC_TIMER_CURRENT = 0x390,
	LAPIC_TIMER_DIVIDE = 0x3e0,
};

#define LAPIC_ICR_PENDING             (1u << 12)
#define LAPIC_ICR_LEVEL_ASSERT        (1u << 14)
#define LAPIC_ICR_DELIVERY_NMI        (4u << 8)
#define LAPIC_ICR_DELIVERY_INIT       (5u << 8)
#define LAPIC_ICR_DELIVERY_STARTUP    (6u << 8)
#define LAPIC_ICR_ALL_BUT_SELF        (3u << 18)
#define LAPIC_TIMER_MODE_TSC_DEADLINE (2u << 17)
#define LAPIC_MASKED                  (1u << 16)

static bool lapic_use_x2apic;
static bool lapic_use_tsc_deadline;
static volatile uint8_t *lapic_mmio;
static uint64_t lapic_rate; /* LAPIC ticks per 2^20 TSC ticks */

static uint32_t lapic_read(uint32_t reg)
{
	if (lapic_use_x2apic)
		return (uint32_t)arch_msr_read(0x800 + (reg >> 4));
	return *(volatile uint32_t *)(lapic_mmio + reg);
}

static void lapic_write(uint32_t reg, uint32_t value)
{
	if (lapic_use_x2apic)
		arch_msr_write(0x800 + (reg >> 4), value);
	else
		*(volatile uint32_t *)(lapic_mmio + reg) = value;
}

void lapic_init_boot(bool allow_x2apic, uint64_t mmio_base)
{
	struct arch_cpuid leaf1 = arch_cpuid(1, 0);
	lapic_use_x2apic = allow_x2apic && (leaf1.ecx & (1u << 21));
	lapic_use_tsc_deadline = leaf1.ecx & (1u << 24);
	lapic_mmio = (volatile uint8_t *)(uintptr_t)mmio_base;
}

bool lapic_x2apic_mode(void)
{
	return lapic_use_x2apic;
}
bool lapic_tsc_deadline_mode(void)
{
	return lapic_use_tsc_deadline;
}

void lapic_init_cpu(void)
{
	uint64_t base = arch_msr_read(ARCH_MSR_APIC_BASE);
	base |= 1ull << 11; /* global enable */
	if (lapic_use_x2apic)
		base |= 1ull << 10;
	arch_msr_write(ARCH_MSR_APIC_BASE, base);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LAPIC_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LAPIC_MASKED);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_MASKED | TRAP_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_DIVIDE, 0xb); /* divide by 1 */
	lapic_write(LAPIC_SVR, 0x100 | TRAP_VECTOR_SPURIOUS);
}

uint32_t lapic_id(void)
{
	if (lapic_use_x2apic)
		return lapic_read(LAPIC_ID);
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_end_of_interrupt(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static void lapic_send(uint32_t apic_id, uint32_t command)
{
	if (lapic_use_x2apic) {
		arch_msr_write(0x830, ((uint64_t)apic_id << 32) | command);
		return;
	}
	uint64_t flags = arch_interrupts_save_disable();
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, command);
	while (lapic_read(LAPIC_ICR_LOW) & LAPIC_ICR_PENDING)
		arch_pause();
	arch_interrupts_restore(flags);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	lapic_send(apic_id, vector);
}

void lapic_send_nmi_all_but_self(void)
{
	lapic_send(0, LAPIC_ICR_ALL_BUT_SELF | LAPIC_ICR_DELIVERY_NMI);
}

void lapic_send_init(uint32_t apic_id)
{
	lapic_send(apic_id, LAPIC_ICR_DELIVERY_INIT | LAPIC_ICR_LEVEL_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint32_t vector_page)
{
	lapic_send(apic_id, LAPIC_ICR_DELIVERY_STARTUP | (vector_page & 0xff));
}

void lapic_timer_set_rate(uint64_t rate)
{
	lapic_rate = rate;
}

void lapic_timer_start_free_running(void)
{
	lapic_write(LAPIC_LVT_TIMER, LAPIC_MASKED | TRAP_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_DIVIDE, 0xb);
	lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
}

uint32_t lapic_timer_current_count(void)
{
	return lapic_read(LAPIC_TIMER_CURRENT);
}

void lapic_timer_arm(uint64_t tsc_deadline)
{
	if (lapic_use_tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_MODE_TSC_DEADLINE | TRAP_VECTOR_TIMER);
		__asm__ volatile("mfence" ::: "memory");
		arch_msr_write(ARCH_MSR_TSC_DEADLINE, tsc_deadline);
		return;
	}
	if (tsc_deadline == 0) {
		lapic_write(LAPIC_TIMER_INITIAL, 0);
		return;
	}
	uint64_t now = arch_tsc_read();
	uint64_t delta = tsc_deadline > now ? tsc_deadline - now : 1;
	uint64_t ticks = (delta >> 20) * lapic_rate + (((delta & 0xfffff) * lapic_rate) >> 20);
	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	lapic_write(LAPIC_LVT_TIMER, TRAP_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)ticks);
}
