/*
 * tests/host/test_guest_acpi.c - host tests of the guest ACPI tables
 * (vmx/guest_acpi.h), cross-checked with the hypervisor's own ACPI parser
 * (arch/x86/acpi.c): the built buffer is the fake physical memory its map
 * callback serves, so every checksum, length and pointer is verified by
 * the code that parses real firmware.
 *
 * Table-driven (every row is one case): configurations (vCPU counts, ports,
 * SCI, S5 sleep types, RSDP placements) parsed back field by field;
 * corruptions of one byte in each checksummed table and the error naming
 * it; invalid configurations and placements that must be refused.
 * Scenarios: the legacy RSDP scan of 0xe0000-0xfffff finds the RSDP, the
 * exact size from guest_acpi_size() is enough and one byte less is not,
 * the raw FADT/FACS/RSDT fields the parser does not read.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/guest_acpi.h"

#include <stdlib.h>

#include "arch/x86/acpi.h"
#include "kernel/string.h"
#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define BIOS_AREA       0xe0000u
#define BIOS_AREA_SIZE  0x20000u

/* The buffer as guest-physical memory at `base`; NULL outside it. */
struct guest_memory {
	uint8_t *bytes;
	size_t size;
	uint64_t base;
};

static const void *guest_map(void *context, uint64_t physical, uint64_t length)
{
	const struct guest_memory *m = context;
	if (physical < m->base || physical - m->base > m->size ||
	    length > m->size - (physical - m->base))
		return NULL;
	return m->bytes + (physical - m->base);
}

static int parse(struct guest_memory *m, uint64_t rsdp, struct acpi_info *info, char *error,
                 size_t error_size)
{
	struct acpi_memory memory = {.map = guest_map, .context = m};
	return acpi_parse(info, rsdp, &memory, error, error_size);
}

static uint8_t *at(struct guest_memory *m, uint64_t address)
{
	return m->bytes + (address - m->base);
}

static uint8_t sum(const uint8_t *p, size_t length)
{
	uint8_t s = 0;
	for (size_t i = 0; i < length; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* ---- parse back ------------------------------------------------------------ */

struct parse_row {
	const char *name;
	uint32_t vcpus;
	uint16_t event_port, control_port, sci;
	uint8_t s5;
	uint8_t ioapic_id;
	uint32_t rsdp_offset; /* from the buffer start; 0 = default */
	uint64_t base;
	size_t size;
};

static const struct parse_row parse_rows[] = {
    {"parse: 1 vCPU, defaults", 1, 0xb000, 0xb004, 9, 5, 1, 0, BIOS_AREA, BIOS_AREA_SIZE},
    {"parse: 2 vCPUs", 2, 0xb000, 0xb004, 9, 5, 2, 0, BIOS_AREA, BIOS_AREA_SIZE},
    {"parse: 8 vCPUs", 8, 0xb000, 0xb004, 9, 5, 8, 0, BIOS_AREA, BIOS_AREA_SIZE},
    {"parse: 64 vCPUs (the parser's limit)", 64, 0xb000, 0xb004, 9, 5, 0, 0, BIOS_AREA,
     BIOS_AREA_SIZE},
    {"parse: other ports and SCI", 4, 0x600, 0x604, 11, 5, 4, 0, BIOS_AREA, BIOS_AREA_SIZE},
    {"parse: S5 sleep type 0 (ZeroOp)", 2, 0xb000, 0xb004, 9, 0, 2, 0, BIOS_AREA, BIOS_AREA_SIZE},
    {"parse: S5 sleep type 1 (OneOp)", 2, 0xb000, 0xb004, 9, 1, 2, 0, BIOS_AREA, BIOS_AREA_SIZE},
    {"parse: S5 sleep type 7", 2, 0xb000, 0xb004, 9, 7, 2, 0, BIOS_AREA, BIOS_AREA_SIZE},
    {"parse: RSDP in the middle, tables around it", 3, 0xb000, 0xb004, 9, 5, 3, 0x40, BIOS_AREA,
     BIOS_AREA_SIZE},
    {"parse: RSDP at the end of a tight buffer", 2, 0xb000, 0xb004, 9, 5, 2, 0x2c0, 0x9f000, 0x2f0},
    {"parse: unaligned base (FACS still 64-aligned)", 2, 0xb000, 0xb004, 9, 5, 2, 0, 0x100010,
     0x1000},
    {"parse: SCI above the ISA range: no override", 2, 0xb000, 0xb004, 20, 5, 2, 0, BIOS_AREA,
     BIOS_AREA_SIZE},
};

static void test_parse_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(parse_rows); i++) {
		const struct parse_row *row = &parse_rows[i];
		test_case_begin(row->name);
		struct guest_acpi_config config;
		guest_acpi_default_config(&config, row->vcpus);
		config.pm1a_event_port = row->event_port;
		config.pm1a_control_port = row->control_port;
		config.sci_interrupt = row->sci;
		config.s5_sleep_type = row->s5;
		CHECK_EQ(config.ioapic_id, row->ioapic_id);
		if (row->rsdp_offset)
			config.rsdp_address = row->base + row->rsdp_offset;
		struct guest_memory m = {
		    .bytes = malloc(row->size), .size = row->size, .base = row->base};
		memset(m.bytes, 0xcc, row->size);
		uint64_t rsdp = guest_acpi_build(m.bytes, m.size, m.base, &config);
		CHECK_EQ(rsdp, row->base + row->rsdp_offset);
		struct acpi_info info;
		char error[160] = "";
		CHECK_EQ(parse(&m, rsdp, &info, error, sizeof(error)), 0);
		CHECK_STR(error, "");
		CHECK_EQ(info.revision, 2);
		CHECK_STR(info.oem_id, "USLICE");
		CHECK_EQ(info.table_count, 2);
		CHECK_STR(info.tables[0], "FACP");
		CHECK_STR(info.tables[1], "APIC");
		CHECK(info.has_madt);
		CHECK_EQ(info.lapic_address, 0xfee00000u);
		CHECK_EQ(info.cpu_count, row->vcpus);
		for (uint32_t cpu = 0; cpu < info.cpu_count && cpu < ACPI_MAX_CPUS; cpu++) {
			CHECK_EQ(info.cpus[cpu].apic_id, cpu);
			CHECK_EQ(info.cpus[cpu].processor_uid, cpu);
			CHECK(info.cpus[cpu].enabled);
		}
		CHECK_EQ(info.ioapic_count, 1);
		CHECK_EQ(info.ioapics[0].id, row->ioapic_id);
		CHECK_EQ(info.ioapics[0].address, 0xfec00000u);
		CHECK_EQ(info.ioapics[0].gsi_base, 0);
		CHECK_EQ(info.override_count, row->sci < 16 ? 2 : 1);
		CHECK_EQ(info.overrides[0].bus_irq, 0);
		CHECK_EQ(info.overrides[0].gsi, 2);
		CHECK_EQ(info.overrides[0].flags, 0);
		if (row->sci < 16) {
			CHECK_EQ(info.overrides[1].bus_irq, row->sci);
			CHECK_EQ(info.overrides[1].gsi, row->sci);
			CHECK_EQ(info.overrides[1].flags, 0x000d);
		}
		CHECK(info.has_fadt);
		CHECK_EQ(info.pm1a_control_port, row->control_port);
		CHECK_EQ(info.pm1b_control_port, 0);
		CHECK_EQ(info.sci_interrupt, row->sci);
		CHECK(info.has_s5);
		CHECK_EQ(info.s5_sleep_type_a, row->s5);
		CHECK_EQ(info.s5_sleep_type_b, row->s5);
		/* Nothing outside the reported tables was written. */
		CHECK(rsdp >= m.base && rsdp + GUEST_ACPI_RSDP_LENGTH <= m.base + m.size);
		free(m.bytes);
		test_case_end();
	}
}

/* ---- corruption ---------------------------------------------------------------- */

enum corrupt_target {
	CORRUPT_RSDP,
	CORRUPT_RSDP_EXTENDED,
	CORRUPT_XSDT,
	CORRUPT_MADT,
	CORRUPT_FADT,
	CORRUPT_DSDT
};

struct corrupt_row {
	const char *name;
	enum corrupt_target target;
	uint32_t offset; /* byte flipped inside the table */
	const char *error;
};

static const struct corrupt_row corrupt_rows[] = {
    {"corrupt: RSDP OEM ID", CORRUPT_RSDP, 10, "RSDP: bad checksum"},
    {"corrupt: RSDP checksum byte", CORRUPT_RSDP, 8, "RSDP: bad checksum"},
    {"corrupt: RSDP XSDT address", CORRUPT_RSDP_EXTENDED, 25, "RSDP: bad extended"},
    {"corrupt: RSDP extended checksum", CORRUPT_RSDP_EXTENDED, 32, "RSDP: bad extended"},
    {"corrupt: XSDT entry", CORRUPT_XSDT, 40, "XSDT"},
    {"corrupt: XSDT OEM table ID", CORRUPT_XSDT, 17, "XSDT"},
    {"corrupt: MADT LAPIC entry", CORRUPT_MADT, 47, "APIC"},
    {"corrupt: MADT checksum byte", CORRUPT_MADT, 9, "APIC"},
    {"corrupt: FADT PM1a control", CORRUPT_FADT, 64, "FACP"},
    {"corrupt: FADT last byte", CORRUPT_FADT, 267, "FACP"},
    {"corrupt: DSDT \\_S5 value", CORRUPT_DSDT, 46, "DSDT"},
    {"corrupt: DSDT header", CORRUPT_DSDT, 20, "DSDT"},
};

static void test_corruption_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(corrupt_rows); i++) {
		const struct corrupt_row *row = &corrupt_rows[i];
		test_case_begin(row->name);
		struct guest_acpi_config config;
		guest_acpi_default_config(&config, 4);
		struct guest_memory m = {
		    .bytes = calloc(1, BIOS_AREA_SIZE), .size = BIOS_AREA_SIZE, .base = BIOS_AREA};
		uint64_t rsdp = guest_acpi_build(m.bytes, m.size, m.base, &config);
		uint64_t xsdt = string_load_le64(at(&m, rsdp) + 24);
		uint64_t fadt = string_load_le64(at(&m, xsdt) + 36);
		uint64_t madt = string_load_le64(at(&m, xsdt) + 44);
		uint64_t dsdt = string_load_le64(at(&m, fadt) + 140);
		uint64_t table = row->target == CORRUPT_XSDT   ? xsdt
		                 : row->target == CORRUPT_MADT ? madt
		                 : row->target == CORRUPT_FADT ? fadt
		                 : row->target == CORRUPT_DSDT ? dsdt
		                                               : rsdp;
		struct acpi_info info;
		char error[160];
		CHECK_EQ(parse(&m, rsdp, &info, error, sizeof(error)), 0);
		at(&m, table)[row->offset] ^= 0x01;
		CHECK_EQ(parse(&m, rsdp, &info, error, sizeof(error)), -1);
		CHECK_CONTAINS(error, row->error);
		at(&m, table)[row->offset] ^= 0x01;
		CHECK_EQ(parse(&m, rsdp, &info, error, sizeof(error)), 0);
		free(m.bytes);
		test_case_end();
	}
}

/* ---- refused configurations ---------------------------------------------------- */

enum refuse_change {
	REFUSE_VCPUS_0,
	REFUSE_VCPUS_255,
	REFUSE_S5_8,
	REFUSE_NO_EVENT_PORT,
	REFUSE_NO_CONTROL_PORT,
	REFUSE_SCI_0,
	REFUSE_SCI_2,
	REFUSE_RSDP_UNALIGNED,
	REFUSE_RSDP_BELOW,
	REFUSE_RSDP_PAST_END,
	REFUSE_RSDP_STRADDLES_END,
	REFUSE_BASE_ZERO,
	REFUSE_ABOVE_4G,
	REFUSE_TOO_SMALL,
	REFUSE_NULL_BUFFER
};

struct refuse_row {
	const char *name;
	enum refuse_change change;
};

static const struct refuse_row refuse_rows[] = {
    {"refuse: 0 vCPUs", REFUSE_VCPUS_0},
    {"refuse: 255 vCPUs", REFUSE_VCPUS_255},
    {"refuse: S5 sleep type 8", REFUSE_S5_8},
    {"refuse: no PM1a event port", REFUSE_NO_EVENT_PORT},
    {"refuse: no PM1a control port", REFUSE_NO_CONTROL_PORT},
    {"refuse: SCI 0", REFUSE_SCI_0},
    {"refuse: SCI 2 (the timer's GSI)", REFUSE_SCI_2},
    {"refuse: RSDP not 16-byte aligned", REFUSE_RSDP_UNALIGNED},
    {"refuse: RSDP below the buffer", REFUSE_RSDP_BELOW},
    {"refuse: RSDP past the buffer", REFUSE_RSDP_PAST_END},
    {"refuse: RSDP straddles the end", REFUSE_RSDP_STRADDLES_END},
    {"refuse: guest-physical base 0", REFUSE_BASE_ZERO},
    {"refuse: tables above 4 GiB", REFUSE_ABOVE_4G},
    {"refuse: buffer too small", REFUSE_TOO_SMALL},
    {"refuse: no buffer", REFUSE_NULL_BUFFER},
};

static void test_refuse_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(refuse_rows); i++) {
		const struct refuse_row *row = &refuse_rows[i];
		test_case_begin(row->name);
		struct guest_acpi_config config;
		guest_acpi_default_config(&config, 2);
		size_t size = 0x1000;
		uint64_t base = 0x100000;
		uint8_t *buffer = calloc(1, size);
		switch (row->change) {
		case REFUSE_VCPUS_0:
			config.vcpu_count = 0;
			break;
		case REFUSE_VCPUS_255:
			config.vcpu_count = 255;
			break;
		case REFUSE_S5_8:
			config.s5_sleep_type = 8;
			break;
		case REFUSE_NO_EVENT_PORT:
			config.pm1a_event_port = 0;
			break;
		case REFUSE_NO_CONTROL_PORT:
			config.pm1a_control_port = 0;
			break;
		case REFUSE_SCI_0:
			config.sci_interrupt = 0;
			break;
		case REFUSE_SCI_2:
			config.sci_interrupt = 2;
			break;
		case REFUSE_RSDP_UNALIGNED:
			config.rsdp_address = base + 8;
			break;
		case REFUSE_RSDP_BELOW:
			config.rsdp_address = base - 16;
			break;
		case REFUSE_RSDP_PAST_END:
			config.rsdp_address = base + size;
			break;
		case REFUSE_RSDP_STRADDLES_END:
			config.rsdp_address = base + size - 16;
			break;
		case REFUSE_BASE_ZERO:
			base = 0;
			break;
		case REFUSE_ABOVE_4G:
			base = 0xfffff800ull;
			break;
		case REFUSE_TOO_SMALL:
			size = guest_acpi_size(&config) - 1;
			break;
		case REFUSE_NULL_BUFFER:
			free(buffer);
			buffer = NULL;
			break;
		}
		uint8_t *copy = buffer ? malloc(size) : NULL;
		if (buffer)
			memcpy(copy, buffer, size);
		CHECK_EQ(guest_acpi_build(buffer, size, base, &config), 0);
		if (buffer && row->change != REFUSE_TOO_SMALL)
			CHECK(memcmp(copy, buffer, size) == 0); /* refused before writing */
		free(copy);
		free(buffer);
		test_case_end();
	}
}

/* ---- scenarios ------------------------------------------------------------------- */

static void test_legacy_scan_finds_rsdp(void)
{
	struct guest_acpi_config config;
	guest_acpi_default_config(&config, 2);
	config.rsdp_address = 0xf5a30;
	struct guest_memory m = {
	    .bytes = calloc(1, BIOS_AREA_SIZE), .size = BIOS_AREA_SIZE, .base = BIOS_AREA};
	CHECK_EQ(guest_acpi_build(m.bytes, m.size, m.base, &config), 0xf5a30);
	struct acpi_memory memory = {.map = guest_map, .context = &m};
	uint64_t found = acpi_find_rsdp_legacy(&memory);
	CHECK_EQ(found, 0xf5a30);
	struct acpi_info info;
	char error[160];
	CHECK_EQ(acpi_parse(&info, found, &memory, error, sizeof(error)), 0);
	CHECK_EQ(info.cpu_count, 2);
	free(m.bytes);
}

static void test_exact_size(void)
{
	struct guest_acpi_config config;
	guest_acpi_default_config(&config, 8);
	size_t size = guest_acpi_size(&config);
	CHECK(size > 0 && size < 1024);
	struct guest_memory m = {.bytes = malloc(size), .size = size, .base = 0x80000};
	CHECK_EQ(guest_acpi_build(m.bytes, m.size, m.base, &config), 0x80000);
	struct acpi_info info;
	char error[160];
	CHECK_EQ(parse(&m, 0x80000, &info, error, sizeof(error)), 0);
	CHECK_EQ(info.cpu_count, 8);
	free(m.bytes);
	config.vcpu_count = 0;
	CHECK_EQ(guest_acpi_size(&config), 0);
}

static void test_raw_fields(void)
{
	struct guest_acpi_config config;
	guest_acpi_default_config(&config, 2);
	config.pm_timer_port = 0xb008;
	struct guest_memory m = {
	    .bytes = calloc(1, BIOS_AREA_SIZE), .size = BIOS_AREA_SIZE, .base = BIOS_AREA};
	uint64_t rsdp = guest_acpi_build(m.bytes, m.size, m.base, &config);
	const uint8_t *r = at(&m, rsdp);
	CHECK(memcmp(r, "RSD PTR ", 8) == 0);
	CHECK_EQ(r[15], 2);
	CHECK_EQ(string_load_le32(r + 20), 36);
	CHECK_EQ(sum(r, 20), 0);
	CHECK_EQ(sum(r, 36), 0);
	/* The RSDT (for ACPI 1.0 readers) lists the same tables as the XSDT. */
	uint64_t xsdt = string_load_le64(r + 24);
	const uint8_t *rsdt = at(&m, string_load_le32(r + 16));
	CHECK(memcmp(rsdt, "RSDT", 4) == 0);
	CHECK_EQ(string_load_le32(rsdt + 4), 44);
	CHECK_EQ(sum(rsdt, 44), 0);
	CHECK_EQ(string_load_le32(rsdt + 36), string_load_le64(at(&m, xsdt) + 36));
	CHECK_EQ(string_load_le32(rsdt + 40), string_load_le64(at(&m, xsdt) + 44));
	const uint8_t *f = at(&m, string_load_le64(at(&m, xsdt) + 36));
	CHECK(memcmp(f, "FACP", 4) == 0);
	CHECK_EQ(f[8], 5); /* revision */
	CHECK_EQ(string_load_le32(f + 4), 268);
	CHECK_EQ(string_load_le32(f + 112) & (1u << 20), 0); /* not HW_REDUCED_ACPI */
	CHECK_EQ(string_load_le32(f + 48), 0);               /* no SMI command port */
	CHECK_EQ(string_load_le32(f + 56), 0xb000);          /* PM1a event */
	CHECK_EQ(f[88], 4);
	CHECK_EQ(f[89], 2);
	CHECK_EQ(string_load_le32(f + 76), 0xb008); /* PM timer */
	CHECK_EQ(f[91], 4);
	CHECK_EQ(f[172], 1); /* X_PM1a_CNT: system I/O */
	CHECK_EQ(f[173], 16);
	CHECK_EQ(string_load_le64(f + 176), 0xb004);
	CHECK_EQ(string_load_le64(f + 152), 0xb000);                   /* X_PM1a_EVT */
	CHECK_EQ(string_load_le32(f + 40), string_load_le64(f + 140)); /* DSDT == X_DSDT */
	CHECK_EQ(f[109] | f[110] << 8, GUEST_ACPI_BOOT_NO_VGA);        /* IAPC_BOOT_ARCH */
	uint32_t facs = string_load_le32(f + 36);
	CHECK_EQ(facs % 64, 0);
	CHECK(memcmp(at(&m, facs), "FACS", 4) == 0);
	CHECK_EQ(string_load_le32(at(&m, facs) + 4), 64);
	/* The DSDT declares the PCI root bridge \_SB.PCI0 (PNP0A03). */
	const uint8_t *dsdt = at(&m, string_load_le32(f + 40));
	static const uint8_t pci_root[] = {0x5b, 0x82, 0x1b, 0x5c, 0x2e, '_',  'S', 'B',
	                                   '_',  'P',  'C',  'I',  '0',  0x08, '_', 'H',
	                                   'I',  'D',  0x0c, 0x41, 0xd0, 0x0a, 0x03};
	bool found = false;
	for (uint32_t i = 36; i + sizeof(pci_root) <= string_load_le32(dsdt + 4); i++)
		found = found || memcmp(dsdt + i, pci_root, sizeof(pci_root)) == 0;
	CHECK(found);
	CHECK_EQ(sum(dsdt, string_load_le32(dsdt + 4)), 0);
	/* Power-off: the S5 value the guest writes to PM1a control. */
	struct acpi_info info;
	char error[160];
	CHECK_EQ(parse(&m, rsdp, &info, error, sizeof(error)), 0);
	uint16_t slp = (uint16_t)(info.s5_sleep_type_a << 10 | 1u << 13);
	CHECK_EQ(slp, 0x3400);
	free(m.bytes);
}

int main(void)
{
	test_parse_table();
	test_corruption_table();
	test_refuse_table();
	TEST_RUN(test_legacy_scan_finds_rsdp);
	TEST_RUN(test_exact_size);
	TEST_RUN(test_raw_fields);
	return test_summary("test_guest_acpi");
}
