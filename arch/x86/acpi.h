/*
 * arch/x86/acpi.h - parsing the firmware's ACPI tables.
 *
 * From the RSDP we follow the XSDT (or RSDT) to the MADT (CPUs, IOAPICs,
 * interrupt overrides), the FADT (PM1 control ports, SCI, DSDT) and the
 * DSDT's \_S5 package (sleep type for power-off). Every checksum is
 * verified and every length is checked against its container before a byte
 * is read; a table we rely on that is corrupt is rejected with a reason.
 *
 * Physical memory is reached only through `struct acpi_memory`, whose map()
 * returns NULL for ranges it cannot provide; the host tests feed blobs.
 *
 * Lock order: none (runs on the boot CPU, result read-only afterwards).
 */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS      64
#define ACPI_MAX_IOAPICS   8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_TABLES    32

struct acpi_memory {
	/* Pointer to [physical, physical+length), or NULL if not accessible. */
	const void *(*map)(void *context, uint64_t physical, uint64_t length);
	void *context;
};

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t processor_uid;
	bool enabled;
};

struct acpi_ioapic {
	uint32_t id;
	uint32_t address;
	uint32_t gsi_base;
};

struct acpi_override {
	uint8_t bus_irq;
	uint32_t gsi;
	uint16_t flags;
};

struct acpi_info {
	uint8_t revision; /* RSDP revision: 0 = ACPI 1.0 (RSDT) */
	char oem_id[7];
	uint32_t table_count;
	char tables[ACPI_MAX_TABLES][5]; /* signatures listed by the root table */

	bool has_madt;
	uint64_t lapic_address;
	uint32_t cpu_count; /* enabled and disabled entries */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	uint32_t ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t override_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];

	bool has_fadt;
	uint32_t pm1a_control_port;
	uint32_t pm1b_control_port;
	uint16_t sci_interrupt;
	uint64_t dsdt_address;
	bool has_s5;
	uint8_t s5_sleep_type_a;
	uint8_t s5_sleep_type_b;
};

/*
 * Parse the tables reachable from the RSDP at `rsdp_physical`. Returns 0,
 * or -1 with a reason naming the table in `error`.
 */
int acpi_parse(struct acpi_info *info, uint64_t rsdp_physical, const struct acpi_memory *memory,
               char *error, size_t error_size);

/* Find the RSDP the legacy way (EBDA, then 0xe0000-0xfffff); 0 if absent. */
uint64_t acpi_find_rsdp_legacy(const struct acpi_memory *memory);

#endif /* ARCH_X86_ACPI_H */
