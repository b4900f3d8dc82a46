/*
 * guests/testos/apic.c - testos's platform drivers for SMP: finding the
 * CPUs and the IOAPIC in the ACPI tables (RSDP by the legacy scan of
 * 0xe0000-0xfffff, RSDT/XSDT, MADT), the local APIC in xAPIC (MMIO at
 * 0xfee00000) or x2APIC (MSRs) mode, the IOAPIC's indirect registers,
 * the PIT (TSC calibration on channel 2, periodic IRQ 0 on channel 0) and
 * AP start-up with INIT-SIPI-SIPI.
 *
 * Lock order: none; AP start-up runs on the BSP only, one AP at a time.
 */
#include "guests/testos/smp.h"

#define TESTOS_LAPIC_BASE    0xfee00000u
#define TESTOS_MSR_APIC_BASE 0x1b
#define TESTOS_MSR_X2APIC    0x800
#define TESTOS_BIOS_AREA     0xe0000u
#define TESTOS_BIOS_AREA_END 0x100000u

struct testos_cpu testos_cpus[TESTOS_MAX_CPUS];
uint32_t testos_cpu_count = 1;
bool testos_x2apic;
uint64_t testos_tsc_khz;
uint32_t testos_ioapic_address;
uint8_t testos_ioapic_id;
uint64_t testos_rsdp;

uint64_t testos_ap_stack; /* read by testos_ap_start64 (boot.S) */
static uint8_t testos_ap_stacks[TESTOS_MAX_CPUS][TESTOS_STACK_SIZE] __attribute__((aligned(16)));
extern const char testos_trampoline[], testos_trampoline_end[];

/* ---- ACPI ------------------------------------------------------------------ */

static uint8_t testos_checksum(const uint8_t *bytes, uint32_t length)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	return sum;
}

static bool testos_signature(const uint8_t *bytes, const char *signature, unsigned length)
{
	for (unsigned i = 0; i < length; i++)
		if (bytes[i] != (uint8_t)signature[i])
			return false;
	return true;
}

static uint32_t testos_get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t testos_get64(const uint8_t *p)
{
	return testos_get32(p) | (uint64_t)testos_get32(p + 4) << 32;
}

/* The CPUs (enabled Processor Local APIC entries) and the IOAPIC of the MADT. */
static int testos_parse_madt(const uint8_t *madt, char *why, size_t size)
{
	uint32_t length = testos_get32(madt + 4);
	if (testos_checksum(madt, length)) {
		testos_format_to(why, size, "MADT checksum");
		return -1;
	}
	testos_cpu_count = 0;
	for (uint32_t at = 44; at + 2 <= length;) {
		const uint8_t *entry = madt + at;
		if (entry[1] < 2)
			break;
		if (entry[0] == 0 && (testos_get32(entry + 4) & 1) &&
		    testos_cpu_count < TESTOS_MAX_CPUS) {
			struct testos_cpu *cpu = &testos_cpus[testos_cpu_count];
			cpu->index = testos_cpu_count++;
			cpu->apic_id = entry[3];
		} else if (entry[0] == 1) {
			testos_ioapic_id = entry[2];
			testos_ioapic_address = testos_get32(entry + 4);
		}
		at += entry[1];
	}
	if (!testos_cpu_count) {
		testos_format_to(why, size, "MADT lists no CPU");
		return -1;
	}
	return 0;
}

int testos_acpi_scan(char *why, size_t size)
{
	const uint8_t *rsdp = NULL;
	for (uint32_t at = TESTOS_BIOS_AREA; at < TESTOS_BIOS_AREA_END; at += 16) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)at;
		if (testos_signature(p, "RSD PTR ", 8) && !testos_checksum(p, 20)) {
			rsdp = p;
			break;
		}
	}
	if (!rsdp) {
		testos_format_to(why, size, "no RSDP in 0xe0000-0xfffff");
		return -1;
	}
	if (testos_rsdp && testos_rsdp != (uint64_t)(uintptr_t)rsdp) {
		testos_format_to(why, size, "RSDP at 0x%llx but CPUID says 0x%llx",
		                 (unsigned long long)(uintptr_t)rsdp,
		                 (unsigned long long)testos_rsdp);
		return -1;
	}
	testos_rsdp = (uint64_t)(uintptr_t)rsdp;
	bool xsdt = rsdp[15] >= 2 && !testos_checksum(rsdp, testos_get32(rsdp + 20));
	const uint8_t *root =
	    (const uint8_t *)(uintptr_t)(xsdt ? testos_get64(rsdp + 24) : testos_get32(rsdp + 16));
	uint32_t length = testos_get32(root + 4), width = xsdt ? 8 : 4;
	if (testos_checksum(root, length)) {
		testos_format_to(why, size, "%s checksum", xsdt ? "XSDT" : "RSDT");
		return -1;
	}
	for (uint32_t at = 36; at + width <= length; at += width) {
		const uint8_t *table = (const uint8_t *)(uintptr_t)(xsdt ? testos_get64(root + at)
		                                                         : testos_get32(root + at));
		if (testos_signature(table, "APIC", 4))
			return testos_parse_madt(table, why, size);
	}
	testos_format_to(why, size, "no MADT");
	return -1;
}

/* ---- local APIC --------------------------------------------------------------- */

uint32_t testos_lapic_read(uint32_t reg)
{
	if (testos_x2apic)
		return (uint32_t)testos_rdmsr(TESTOS_MSR_X2APIC + reg / 16);
	uint32_t value;
	const volatile uint32_t *address =
	    (const volatile uint32_t *)(uintptr_t)(TESTOS_LAPIC_BASE + reg);
	__asm__ volatile("movl (%1), %0" : "=r"(value) : "r"(address) : "memory");
	return value;
}

void testos_lapic_write(uint32_t reg, uint32_t value)
{
	if (testos_x2apic) {
		testos_wrmsr(TESTOS_MSR_X2APIC + reg / 16, value);
		return;
	}
	volatile uint32_t *address = (volatile uint32_t *)(uintptr_t)(TESTOS_LAPIC_BASE + reg);
	__asm__ volatile("movl %0, (%1)" ::"r"(value), "r"(address) : "memory");
}

void testos_lapic_eoi(void)
{
	testos_lapic_write(TESTOS_APIC_EOI, 0);
}

/* Destination: an APIC ID (physical) or a logical mask, per icr_low. */
void testos_send_ipi(uint32_t destination, uint32_t icr_low)
{
	if (testos_x2apic) {
		testos_wrmsr(TESTOS_MSR_X2APIC + TESTOS_APIC_ICR / 16,
		             (uint64_t)destination << 32 | icr_low);
		return;
	}
	testos_lapic_write(TESTOS_APIC_ICR + 0x10, destination << 24);
	testos_lapic_write(TESTOS_APIC_ICR, icr_low);
}

/* The logical destination bit(s) of a CPU: flat model in xAPIC mode (LDR
 * set below), cluster = id >> 4 with bit id & 15 in x2APIC mode. */
uint32_t testos_logical_id(uint32_t cpu)
{
	uint32_t id = testos_cpus[cpu].apic_id;
	return testos_x2apic ? (id >> 4) << 16 | 1u << (id & 15) : 1u << cpu;
}

/* This CPU's LAPIC on: x2APIC if chosen, software-enabled, flat logical
 * mode with bit `index`, all LVTs masked, TPR 0. */
void testos_lapic_enable(void)
{
	struct testos_cpu *cpu = testos_this_cpu();
	uint64_t base = testos_rdmsr(TESTOS_MSR_APIC_BASE);
	if (testos_x2apic)
		testos_wrmsr(TESTOS_MSR_APIC_BASE, base | (1u << 11) | (1u << 10));
	if (!testos_x2apic) {
		testos_lapic_write(TESTOS_APIC_DFR, 0xffffffffu);
		testos_lapic_write(TESTOS_APIC_LDR, (1u << cpu->index) << 24);
	}
	testos_lapic_write(TESTOS_APIC_TPR, 0);
	testos_lapic_write(TESTOS_APIC_SVR, 0x100 | TESTOS_VECTOR_SPURIOUS);
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, 0x10000 | TESTOS_VECTOR_LOCAL_TIMER);
}

/* ---- IOAPIC ----------------------------------------------------------------- */

uint32_t testos_ioapic_read(uint32_t index)
{
	volatile uint32_t *select = (volatile uint32_t *)(uintptr_t)testos_ioapic_address;
	uint32_t value;
	__asm__ volatile("movl %0, (%1)" ::"r"(index), "r"(select) : "memory");
	__asm__ volatile("movl (%1), %0" : "=r"(value) : "r"(select + 4) : "memory");
	return value;
}

void testos_ioapic_write(uint32_t index, uint32_t value)
{
	volatile uint32_t *select = (volatile uint32_t *)(uintptr_t)testos_ioapic_address;
	__asm__ volatile("movl %0, (%1)" ::"r"(index), "r"(select) : "memory");
	__asm__ volatile("movl %0, (%1)" ::"r"(value), "r"(select + 4) : "memory");
}

/* ---- PIT ----------------------------------------------------------------------- */

/* TSC kHz from 10 ms of PIT channel 2 (mode 0, gate through port 0x61),
 * as Linux's pit_calibrate_tsc does. */
uint64_t testos_pit_calibrate_tsc(void)
{
	const uint16_t count = 11932; /* 10 ms at 1.193182 MHz */
	testos_outb(0x61, (uint8_t)((testos_inb(0x61) & ~0x02) | 0x01));
	testos_outb(0x43, 0xb0); /* channel 2, low/high, mode 0 */
	testos_outb(0x42, (uint8_t)count);
	uint64_t start = testos_rdtsc();
	testos_outb(0x42, (uint8_t)(count >> 8));
	uint64_t polls = 0;
	while (!(testos_inb(0x61) & 0x20) && polls < 10000000)
		polls++;
	uint64_t ticks = testos_rdtsc() - start;
	testos_tsc_khz = ticks / 10;
	return testos_tsc_khz;
}

void testos_pit_periodic(uint16_t count)
{
	testos_outb(0x43, 0x34); /* channel 0, low/high, mode 2 */
	testos_outb(0x40, (uint8_t)count);
	testos_outb(0x40, (uint8_t)(count >> 8));
}

void testos_pit_stop(void)
{
	testos_outb(0x43, 0x30); /* channel 0, mode 0, no count: stops counting */
}

/* ---- AP start-up ------------------------------------------------------------- */

/* An AP arrives here from testos_ap_start64 on its own stack. */
void testos_ap_main(void)
{
	uint32_t index = 0;
	uint64_t stack = testos_ap_stack;
	for (uint32_t i = 1; i < testos_cpu_count; i++)
		if (stack == (uint64_t)(uintptr_t)(testos_ap_stacks[i] + TESTOS_STACK_SIZE))
			index = i;
	testos_idt_load();
	testos_cpu_setup(index);
	testos_cpus[index].online_tsc = testos_rdtsc();
	__atomic_store_n(&testos_cpus[index].online, true, __ATOMIC_RELEASE);
	testos_ap_idle();
}

/* INIT (assert, de-assert), then STARTUP twice unless it came up after the
 * first, for each AP in turn. Returns the number of APs that came online. */
int testos_start_aps(void)
{
	uint8_t *trampoline = (uint8_t *)(uintptr_t)TESTOS_TRAMPOLINE_BASE;
	for (const char *p = testos_trampoline; p < testos_trampoline_end; p++)
		*trampoline++ = (uint8_t)*p;
	int started = 0;
	for (uint32_t i = 1; i < testos_cpu_count; i++) {
		struct testos_cpu *cpu = &testos_cpus[i];
		__atomic_store_n(&testos_ap_stack,
		                 (uint64_t)(uintptr_t)(testos_ap_stacks[i] + TESTOS_STACK_SIZE),
		                 __ATOMIC_RELEASE);
		cpu->start_tsc = testos_rdtsc();
		testos_send_ipi(cpu->apic_id,
		                TESTOS_ICR_INIT | TESTOS_ICR_LEVEL | TESTOS_ICR_ASSERT);
		testos_send_ipi(cpu->apic_id, TESTOS_ICR_INIT | TESTOS_ICR_LEVEL);
		testos_delay(10000);
		for (int sipi = 0; sipi < 2 && !cpu->online; sipi++) {
			testos_send_ipi(cpu->apic_id,
			                TESTOS_ICR_STARTUP | (TESTOS_TRAMPOLINE_BASE >> 12));
			uint64_t deadline = testos_rdtsc() + (sipi ? 200000000ull : 2000000ull);
			while (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE) &&
			       testos_rdtsc() < deadline)
				testos_cpu_relax();
		}
		if (cpu->online)
			started++;
		else
			testos_print("testos: CPU %u (APIC ID %u) did not start\n", i,
			             cpu->apic_id);
	}
	return started;
}
