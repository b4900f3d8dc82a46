/*
 * tests/host/test_acpi_tables.c - host tests of the ACPI parser's table
 * contents (arch/x86/acpi.h), on the shared fixture (acpi_fixture.h):
 *   - MADT rows: entry bytes (LAPIC, x2APIC, IOAPIC, overrides, LAPIC
 *     address override, unknown types, malformed lengths) and the expected
 *     CPUs, IOAPICs, overrides or error;
 *   - DSDT rows: AML bytes around \_S5 and the expected sleep types;
 *   - legacy search rows: where RSDPs are placed in a fake BIOS data area,
 *     EBDA and BIOS ROM, and which one acpi_find_rsdp_legacy() finds.
 *
 * Lock order: none (single-threaded).
 */
#include "arch/x86/acpi.h"

#include <stdlib.h>

#include "tests/host/acpi_fixture.h"
#include "tests/host/test.h"

/* ---- MADT entry rows ------------------------------------------------------- */

struct madt_case {
	const char *name;
	const uint8_t *entries;
	size_t length;
	unsigned generated_lapics, generated_ioapics; /* appended, IDs 0..n-1 */
	const char *error;                            /* substring; NULL on success */
	uint32_t cpus, ioapics, overrides;
	uint64_t lapic_address;
	uint32_t first_apic_id;
	bool first_enabled; /* of cpus[0] */
};

#define MADT_ERROR(name, entries, error)                                                           \
	{                                                                                          \
		name, BYTES(entries), 0, 0, error, 0, 0, 0, 0, 0, false                            \
	}

static const struct madt_case madt_cases[] = {
    {"MADT: no entries", BYTES(""), 0, 0, NULL, 0, 0, 0, 0xfee00000u, 0, false},
    {"MADT: online-capable LAPIC counts, disabled", BYTES("\x00\x08\x04\x07\x02\x00\x00\x00"), 0, 0,
     NULL, 1, 0, 0, 0xfee00000u, 7, false},
    {"MADT: x2APIC with a 32-bit ID",
     BYTES("\x09\x10\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\x07\x00\x00\x00"), 0, 0, NULL, 1, 0, 0,
     0xfee00000u, 0x10000, true},
    {"MADT: x2APIC repeating a LAPIC ID counts once",
     BYTES("\x00\x08\x00\x05\x01\x00\x00\x00\x09\x10\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\x09"
           "\x00\x00\x00"),
     0, 0, NULL, 1, 0, 0, 0xfee00000u, 5, true},
    {"MADT: LAPIC address override", BYTES("\x05\x0c\x00\x00\x00\x00\xe0\xfe\x01\x00\x00\x00"), 0,
     0, NULL, 0, 0, 0, 0x1fee00000ull, 0, false},
    {"MADT: unknown and long entries are skipped",
     BYTES("\x7f\x02\x10\x03\x00\x00\x0a\x01\x02\x01\x00\x00\x00\xaa\xbb\x00\x08\x00\x03\x01\x00"
           "\x00\x00"),
     0, 0, NULL, 2, 0, 0, 0xfee00000u, 2, true},
    {"MADT: 70 LAPICs keep 64", BYTES(""), 70, 0, NULL, ACPI_MAX_CPUS, 0, 0, 0xfee00000u, 0, true},
    {"MADT: 10 IOAPICs keep 8", BYTES(""), 0, 10, NULL, 0, ACPI_MAX_IOAPICS, 0, 0xfee00000u, 0,
     false},
    MADT_ERROR("MADT: entry length 0", "\x00\x00",
               "APIC (MADT): entry at offset 44 has length 0 (table length 46)"),
    MADT_ERROR("MADT: entry length 1", "\x00\x01\x00\x00",
               "APIC (MADT): entry at offset 44 has length 1"),
    MADT_ERROR("MADT: entry overflowing the table",
               "\x00\x08\x00\x00\x01\x00\x00\x00\x01\x0c\x02\x00\x00\x00",
               "APIC (MADT): entry at offset 52 has length 12 (table length 58)"),
    MADT_ERROR("MADT: entry length 255 overflowing the table", "\x02\xff\x00\x00",
               "APIC (MADT): entry at offset 44 has length 255 (table length 48)"),
    MADT_ERROR("MADT: one byte left for an entry header", "\x00\x08\x00\x00\x01\x00\x00\x00\x00",
               "APIC (MADT): entry header at offset 52 truncated"),
    MADT_ERROR("MADT: LAPIC entry too short", "\x00\x06\x00\x00\x01\x00",
               "APIC (MADT): type 0 entry at offset 44 is 6 bytes, needs 8"),
    MADT_ERROR("MADT: IOAPIC entry too short", "\x01\x08\x00\x00\x00\x00\xc0\xfe",
               "APIC (MADT): type 1 entry at offset 44 is 8 bytes, needs 12"),
    MADT_ERROR("MADT: override entry too short", "\x02\x08\x00\x00\x02\x00\x00\x00",
               "APIC (MADT): type 2 entry at offset 44 is 8 bytes, needs 10"),
    MADT_ERROR("MADT: LAPIC address override too short", "\x05\x08\x00\x00\x00\x00\xe0\xfe",
               "APIC (MADT): type 5 entry at offset 44 is 8 bytes, needs 12"),
    MADT_ERROR("MADT: x2APIC entry too short", "\x09\x0c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00",
               "APIC (MADT): type 9 entry at offset 44 is 12 bytes, needs 16"),
};

static void test_madt_table(void)
{
	static struct firmware f;
	for (size_t i = 0; i < ARRAY_LENGTH(madt_cases); i++) {
		const struct madt_case *row = &madt_cases[i];
		test_case_begin(row->name);
		uint8_t entries[STAGE_CAPACITY - 44];
		size_t length = row->length;
		memcpy(entries, row->entries, length);
		for (unsigned k = 0; k < row->generated_lapics; k++, length += 8)
			memcpy(entries + length,
			       (uint8_t[]){0, 8, (uint8_t)k, (uint8_t)k, 1, 0, 0, 0}, 8);
		for (unsigned k = 0; k < row->generated_ioapics; k++, length += 12)
			memcpy(entries + length,
			       (uint8_t[]){1, 12, (uint8_t)k, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0}, 12);
		build_firmware(&f, 1);
		build_madt(&f, entries, length);
		struct acpi_info info;
		char error[160];
		int result = parse_firmware(&f, &info, error, sizeof(error));
		if (row->error) {
			CHECK_EQ(result, -1);
			CHECK_CONTAINS(error, row->error);
		} else {
			CHECK_EQ(result, 0);
			CHECK(info.has_madt);
			CHECK_EQ(info.cpu_count, row->cpus);
			CHECK_EQ(info.ioapic_count, row->ioapics);
			CHECK_EQ(info.override_count, row->overrides);
			CHECK(info.lapic_address == row->lapic_address);
			if (row->cpus) {
				CHECK_EQ(info.cpus[0].apic_id, row->first_apic_id);
				CHECK_EQ(info.cpus[0].enabled, row->first_enabled);
			}
			if (row->ioapics)
				CHECK_EQ(info.ioapics[row->ioapics - 1].id, row->ioapics - 1);
			CHECK(info.has_s5); /* the rest of the firmware still parsed */
		}
		test_case_end();
	}
}

/* ---- DSDT \_S5 rows --------------------------------------------------------- */

struct s5_case {
	const char *name;
	const uint8_t *aml;
	size_t length;
	bool has_s5;
	uint8_t a, b; /* the sleep types expected if has_s5 */
};

static const struct s5_case s5_cases[] = {
    {"_S5: BytePrefix values", BYTES("\x08_S5_\x12\x06\x04\x0a\x05\x0a\x05\x00\x00"), true, 5, 5},
    {"_S5: distinct BytePrefix values",
     BYTES("\x10\x05\x5c\x00\x08_S5_\x12\x06\x04\x0a\x07\x0a\x03\x00\x00"), true, 7, 3},
    {"_S5: ZeroOp and OneOp", BYTES("\x08_S5_\x12\x04\x02\x00\x01"), true, 0, 1},
    {"_S5: OneOp and ZeroOp", BYTES("\x08_S5_\x12\x04\x02\x01\x00"), true, 1, 0},
    {"_S5: OnesOp and BytePrefix", BYTES("\x08_S5_\x12\x05\x02\xff\x0a\x02"), true, 7, 2},
    {"_S5: root prefix \\_S5_", BYTES("\x08\x5c_S5_\x12\x06\x04\x0a\x06\x0a\x06\x00\x00"), true, 6,
     6},
    {"_S5: two-byte PkgLength", BYTES("\x08_S5_\x12\x40\x01\x04\x0a\x04\x0a\x04\x00\x00"), true, 4,
     4},
    {"_S5: values above 7 are masked", BYTES("\x08_S5_\x12\x06\x04\x0a\x0f\x0a\x08\x00\x00"), true,
     7, 0},
    {"_S5: a reference without NameOp is skipped",
     BYTES("\x70_S5_\x60\x08_S5_\x12\x06\x04\x0a\x03\x0a\x04\x00\x00"), true, 3, 4},
    {"_S5: name not followed by a package", BYTES("\x08_S5_\x0a\x05"), false, 0, 0},
    {"_S5: WordPrefix values are not understood",
     BYTES("\x08_S5_\x12\x08\x04\x0b\x05\x00\x0b\x05\x00\x00\x00"), false, 0, 0},
    {"_S5: only _S4_", BYTES("\x08_S4_\x12\x06\x04\x0a\x04\x0a\x04\x00\x00"), false, 0, 0},
    {"_S5: name at the very start of the AML", BYTES("_S5_\x12\x06\x04\x0a\x05\x0a\x05\x00\x00"),
     false, 0, 0},
    {"_S5: empty DSDT", BYTES(""), false, 0, 0},
};

static void check_s5(const uint8_t *aml, size_t length, bool has_s5, uint8_t a, uint8_t b)
{
	static struct firmware f;
	build_firmware(&f, 1);
	build_dsdt(&f, aml, length);
	struct acpi_info info;
	char error[160];
	CHECK_EQ(parse_firmware(&f, &info, error, sizeof(error)), 0);
	CHECK_EQ(info.has_s5, has_s5);
	if (has_s5) {
		CHECK_EQ(info.s5_sleep_type_a, a);
		CHECK_EQ(info.s5_sleep_type_b, b);
	}
}

static void test_s5_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(s5_cases); i++) {
		const struct s5_case *row = &s5_cases[i];
		test_case_begin(row->name);
		check_s5(row->aml, row->length, row->has_s5, row->a, row->b);
		test_case_end();
	}
	/* The DSDT ends after each prefix of the package: both values are
	 * known only once 12 bytes are in; nothing past the end is read. */
	test_case_begin("_S5: the DSDT cut after every byte of the package");
	for (size_t cut = 0; cut <= sizeof(default_aml) - 1; cut++)
		check_s5((const uint8_t *)default_aml, cut, cut >= 12, 5, 5);
	test_case_end();
}

/* ---- legacy RSDP search ---------------------------------------------------- */

#define BDA_AT    0x400u
#define BIOS_AT   0xe0000u
#define BIOS_SIZE 0x20000u

struct placement {
	uint64_t physical;
	bool good_checksum;
}; /* physical 0: none */

struct legacy_case {
	const char *name;
	bool bda;              /* map the BIOS data area */
	uint16_t ebda_segment; /* its word at 0x40e */
	uint64_t ebda_at;      /* map 1 KiB there; 0: none */
	bool bios;             /* map 0xe0000-0xfffff */
	struct placement rsdps[3];
	uint64_t expected;
};

static const struct legacy_case legacy_cases[] = {
    {"legacy: RSDP in the EBDA", true, 0x9fc0, 0x9fc00, true, {{0x9fc10, true}}, 0x9fc10},
    {"legacy: the EBDA is searched first",
     true,
     0x9fc0,
     0x9fc00,
     true,
     {{0xf0000, true}, {0x9fc20, true}},
     0x9fc20},
    {"legacy: RSDP in the BIOS area", true, 0x9fc0, 0x9fc00, true, {{0xf6a20, true}}, 0xf6a20},
    {"legacy: a bad checksum is skipped",
     true,
     0x9fc0,
     0x9fc00,
     true,
     {{0xe0000, false}, {0xe0010, true}},
     0xe0010},
    {"legacy: only 16-byte boundaries are searched",
     true,
     0x9fc0,
     0x9fc00,
     true,
     {{0xf0008, true}},
     0},
    {"legacy: RSDP in the last 20 bytes below 1 MiB",
     true,
     0x9fc0,
     0x9fc00,
     true,
     {{0xfffe0, true}},
     0xfffe0},
    {"legacy: signature too close to 1 MiB", true, 0x9fc0, 0x9fc00, true, {{0xffff0, true}}, 0},
    {"legacy: EBDA below 512 KiB is ignored",
     true,
     0x1000,
     0x10000,
     true,
     {{0x10010, true}, {0xe0000, true}},
     0xe0000},
    {"legacy: EBDA at 640 KiB is ignored",
     true,
     0xa000,
     0xa0000,
     true,
     {{0xa0010, true}, {0xe0100, true}},
     0xe0100},
    {"legacy: EBDA running past its mapping",
     true,
     0x9ff0,
     0x9fc00,
     true,
     {{0x9ff00, true}, {0xe0000, true}},
     0xe0000},
    {"legacy: no BDA, only the BIOS area is searched",
     false,
     0,
     0x9fc00,
     true,
     {{0x9fc10, true}, {0xe0040, true}},
     0xe0040},
    {"legacy: no RSDP anywhere", true, 0x9fc0, 0x9fc00, true, {{0}}, 0},
    {"legacy: nothing mapped", false, 0, 0, false, {{0}}, 0},
};

static void place_rsdp(uint8_t *area, uint64_t area_at, size_t area_size, const struct placement *p)
{
	if (p->physical < area_at || p->physical >= area_at + area_size)
		return;
	uint8_t rsdp[20] = "RSD PTR ";
	memcpy(rsdp + 9, "LEGACY", 6);
	string_store_le32(rsdp + 16, RSDT_AT);
	checksum_fix(rsdp, 20, 8);
	if (!p->good_checksum)
		rsdp[8]++;
	size_t offset = (size_t)(p->physical - area_at);
	size_t n = area_size - offset < 20 ? area_size - offset : 20;
	memcpy(area + offset, rsdp, n);
}

static void test_legacy_table(void)
{
	static uint8_t bda[0x100], ebda[0x400], bios[BIOS_SIZE];
	for (size_t i = 0; i < ARRAY_LENGTH(legacy_cases); i++) {
		const struct legacy_case *row = &legacy_cases[i];
		test_case_begin(row->name);
		memset(bda, 0, sizeof(bda));
		memset(ebda, 0, sizeof(ebda));
		memset(bios, 0, sizeof(bios));
		string_store_le16(bda + 0x0e, row->ebda_segment);
		for (int k = 0; k < 3 && row->rsdps[k].physical; k++) {
			place_rsdp(ebda, row->ebda_at, sizeof(ebda), &row->rsdps[k]);
			place_rsdp(bios, BIOS_AT, sizeof(bios), &row->rsdps[k]);
		}
		struct fake_memory memory = {0};
		if (row->bda)
			memory_add(&memory, BDA_AT, bda, sizeof(bda));
		if (row->ebda_at)
			memory_add(&memory, row->ebda_at, ebda, sizeof(ebda));
		if (row->bios)
			memory_add(&memory, BIOS_AT, bios, sizeof(bios));
		struct acpi_memory map = {fake_map, &memory};
		CHECK_EQ(acpi_find_rsdp_legacy(&map), row->expected);
		memory_free(&memory);
		test_case_end();
	}
}

int main(void)
{
	test_madt_table();
	test_s5_table();
	test_legacy_table();
	return test_summary("test_acpi_tables");
}
