/*
 * tests/host/test_acpi.c - host tests of the ACPI table parser
 * (arch/x86/acpi.h): acpi_parse fed with table blobs built here, and
 * acpi_find_rsdp_legacy over a fake BIOS data area, EBDA and BIOS ROM.
 *
 * Fake physical memory is a list of blobs, each malloc'd with exactly its
 * size. The map callback returns NULL for any range not wholly inside one
 * blob, and otherwise a fresh malloc'd copy of exactly the range asked
 * for, so ASan reports any read past what the parser mapped, even inside
 * a blob.
 *
 * Table-driven (every row is one case):
 *   - parse rows: a firmware (RSDP v0 -> RSDT or RSDP v2 -> XSDT, each with
 *     MADT, FADT, DSDT and an HPET table), a corruption applied to it, and
 *     the expected result: the parsed fields, or -1 and two substrings of
 *     the error (the table's name and the reason);
 *   - MADT rows: entry bytes (LAPIC, x2APIC, IOAPIC, overrides, LAPIC
 *     address override, unknown types, malformed lengths) and the expected
 *     CPUs, IOAPICs, overrides or error;
 *   - DSDT rows: AML bytes around \_S5 and the expected sleep types;
 *   - legacy search rows: where RSDPs are placed and which one is found.
 *
 * Lock order: none (single-threaded).
 */
#include "arch/x86/acpi.h"

#include <stdlib.h>

#include "tests/host/test.h"

#include "tests/host/acpi_fixture.h"

static void rsdp_unmapped(struct firmware *f)
{
	f->rsdp_address = UNMAPPED_AT;
}
static void rsdp_address_zero(struct firmware *f)
{
	f->rsdp_address = 0;
}
static void rsdp_truncated(struct firmware *f)
{
	f->table[RSDP].size = 16;
}
static void rsdp_bad_signature(struct firmware *f)
{
	f->table[RSDP].bytes[0] = 'r';
	rsdp_reseal(f);
}
static void rsdp_bad_checksum(struct firmware *f)
{
	f->table[RSDP].bytes[8]++;
}
static void rsdp_bad_extended_checksum(struct firmware *f)
{
	f->table[RSDP].bytes[32]++;
}
static void rsdp_extension_missing(struct firmware *f)
{
	f->table[RSDP].size = 20;
}
static void rsdp_length_20(struct firmware *f)
{
	string_store_le32(f->table[RSDP].bytes + 20, 20);
	rsdp_reseal(f);
}
static void rsdp_length_huge(struct firmware *f)
{
	string_store_le32(f->table[RSDP].bytes + 20, 5000);
	rsdp_reseal(f);
}
static void rsdp_length_past_blob(struct firmware *f)
{
	string_store_le32(f->table[RSDP].bytes + 20, 40);
	rsdp_reseal(f);
}
static void rsdp_no_xsdt(struct firmware *f)
{
	string_store_le64(f->table[RSDP].bytes + 24, 0);
	rsdp_reseal(f);
}
static void root_unmapped(struct firmware *f)
{
	if (f->version == 2)
		string_store_le64(f->table[RSDP].bytes + 24, UNMAPPED_AT);
	else
		string_store_le32(f->table[RSDP].bytes + 16, UNMAPPED_AT);
	rsdp_reseal(f);
}
static void root_bad_checksum(struct firmware *f)
{
	root(f)->bytes[9]++;
}
static void root_bad_signature(struct firmware *f)
{
	memcpy(root(f)->bytes, "SSDT", 4);
	sdt_reseal(root(f));
}
static void root_length_20(struct firmware *f)
{
	string_store_le32(root(f)->bytes + 4, 20);
	sdt_reseal(root(f));
}
static void root_length_huge(struct firmware *f)
{
	string_store_le32(root(f)->bytes + 4, 16 * MIB + 1);
}
static void root_length_16_mib(struct firmware *f)
{
	string_store_le32(root(f)->bytes + 4, 16 * MIB);
}
static void root_length_past_blob(struct firmware *f)
{
	string_store_le32(root(f)->bytes + 4, (uint32_t)root(f)->size + 4);
}
static void root_header_cut(struct firmware *f)
{
	root(f)->size = 30;
}
static void root_entry_unmapped(struct firmware *f)
{
	set_root_entry(f, 1, UNMAPPED_AT);
}
static void root_entry_zero(struct firmware *f)
{
	set_root_entry(f, 0, 0);
}
static void root_entry_straddles(struct firmware *f)
{
	set_root_entry(f, 2, HPET_AT + 40);
}
static void root_partial_entry(struct firmware *f)
{
	root(f)->size += 2;
	sdt_seal(root(f));
}
static void root_empty(struct firmware *f)
{
	root(f)->size = 36;
	sdt_seal(root(f));
}
static void root_40_entries(struct firmware *f)
{
	uint64_t entries[40];
	for (int i = 0; i < 40; i++)
		entries[i] = HPET_AT;
	struct staged *t = root(f);
	build_root(t, t->physical, f->version == 2 ? "XSDT" : "RSDT", entries, 40, entry_size(f));
}
static void madt_bad_checksum(struct firmware *f)
{
	f->table[MADT].bytes[9]++;
}
static void madt_truncated(struct firmware *f)
{
	f->table[MADT].size -= 8;
}
static void madt_length_30(struct firmware *f)
{
	string_store_le32(f->table[MADT].bytes + 4, 30);
	sdt_reseal(&f->table[MADT]);
}
static void madt_length_huge(struct firmware *f)
{
	string_store_le32(f->table[MADT].bytes + 4, 16 * MIB + 1);
}
static void madt_length_40(struct firmware *f)
{
	f->table[MADT].size = 40;
	sdt_seal(&f->table[MADT]);
}
static void madt_header_cut(struct firmware *f)
{
	f->table[MADT].size = 20;
}
static void fadt_bad_checksum(struct firmware *f)
{
	f->table[FADT].bytes[9]++;
}
static void fadt_length_100(struct firmware *f)
{
	f->table[FADT].size = 100;
	sdt_seal(&f->table[FADT]);
}
static void fadt_truncated(struct firmware *f)
{
	f->table[FADT].size -= 1;
}
static void fadt_length_huge(struct firmware *f)
{
	string_store_le32(f->table[FADT].bytes + 4, 0xffffffffu);
}
static void dsdt_bad_checksum(struct firmware *f)
{
	f->table[DSDT].bytes[40]++;
}
static void dsdt_truncated(struct firmware *f)
{
	f->table[DSDT].size -= 3;
}
static void dsdt_bad_signature(struct firmware *f)
{
	memcpy(f->table[DSDT].bytes, "SSDT", 4);
	sdt_reseal(&f->table[DSDT]);
}
static void dsdt_length_8(struct firmware *f)
{
	string_store_le32(f->table[DSDT].bytes + 4, 8);
	sdt_reseal(&f->table[DSDT]);
}
static void dsdt_length_huge(struct firmware *f)
{
	string_store_le32(f->table[DSDT].bytes + 4, 17 * MIB);
}
static void dsdt_header_cut(struct firmware *f)
{
	f->table[DSDT].size = 20;
}
static void dsdt_missing(struct firmware *f)
{
	f->table[DSDT].present = false;
}
static void set_fadt(struct firmware *f, size_t offset, uint64_t value, int bytes)
{
	uint8_t *p = f->table[FADT].bytes + offset;
	if (bytes == 8)
		string_store_le64(p, value);
	else if (bytes == 4)
		string_store_le32(p, (uint32_t)value);
	else
		p[0] = (uint8_t)value;
	sdt_reseal(&f->table[FADT]);
}
static void dsdt_pointer_unmapped(struct firmware *f)
{
	set_fadt(f, f->version == 2 ? 140 : 40, UNMAPPED_AT, f->version == 2 ? 8 : 4);
}
static void dsdt_32_bad_x_good(struct firmware *f)
{
	set_fadt(f, 40, UNMAPPED_AT, 4);
}
static void dsdt_x_bad_32_good(struct firmware *f)
{
	set_fadt(f, 40, DSDT_AT, 4);
	set_fadt(f, 140, UNMAPPED_AT, 8);
}
static void dsdt_no_pointer(struct firmware *f)
{
	set_fadt(f, 140, 0, 8);
	f->table[DSDT].present = false;
}
static void pm1a_from_gas(struct firmware *f)
{
	set_fadt(f, 64, 0, 4);
	set_fadt(f, 172, 1, 1);
	set_fadt(f, 176, 0x2804, 8);
}
static void pm1a_zero(struct firmware *f)
{
	set_fadt(f, 64, 0, 4);
}
static void pm1a_gas_memory(struct firmware *f)
{
	set_fadt(f, 64, 0, 4);
	set_fadt(f, 172, 0, 1);
	set_fadt(f, 176, 0x2804, 8);
}

/* ---- checks of successful parses ----------------------------------------- */

static void check_tables(const struct acpi_info *info, const char *const *names, uint32_t count)
{
	CHECK_EQ(info->table_count, count);
	for (uint32_t i = 0; i < count && i < info->table_count; i++)
		CHECK_STR(info->tables[i], names[i]);
}

static void check_default_madt(const struct acpi_info *info)
{
	CHECK(info->has_madt);
	CHECK_EQ(info->lapic_address, 0xfee00000u);
	CHECK_EQ(info->cpu_count, 3);
	static const uint32_t ids[] = {0, 1, 300}, uids[] = {0, 1, 3};
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(info->cpus[i].apic_id, ids[i]);
		CHECK_EQ(info->cpus[i].processor_uid, uids[i]);
		CHECK(info->cpus[i].enabled);
	}
	CHECK_EQ(info->ioapic_count, 1);
	CHECK_EQ(info->ioapics[0].id, 2);
	CHECK_EQ(info->ioapics[0].address, 0xfec00000u);
	CHECK_EQ(info->ioapics[0].gsi_base, 0);
	CHECK_EQ(info->override_count, 2);
	CHECK(info->overrides[0].bus_irq == 0 && info->overrides[0].gsi == 2);
	CHECK(info->overrides[1].bus_irq == 9 && info->overrides[1].gsi == 9);
	CHECK_EQ(info->overrides[1].flags, 0xd);
}

static void check_version_1(const struct acpi_info *info)
{
	CHECK_EQ(info->revision, 0);
	CHECK_STR(info->oem_id, "USLICE");
	check_tables(info, (const char *const[]){"APIC", "FACP", "HPET"}, 3);
	check_default_madt(info);
	CHECK(info->has_fadt);
	CHECK_EQ(info->pm1a_control_port, 0x604);
	CHECK_EQ(info->pm1b_control_port, 0);
	CHECK_EQ(info->sci_interrupt, 9);
	CHECK_EQ(info->dsdt_address, DSDT_AT);
	CHECK(info->has_s5);
	CHECK_EQ(info->s5_sleep_type_a, 5);
	CHECK_EQ(info->s5_sleep_type_b, 5);
}

static void check_version_2(const struct acpi_info *info)
{
	CHECK_EQ(info->revision, 2);
	check_tables(info, (const char *const[]){"FACP", "APIC", "HPET"}, 3);
	check_default_madt(info);
	CHECK_EQ(info->pm1a_control_port, 0x1804);
	CHECK_EQ(info->pm1b_control_port, 0x1904);
	CHECK_EQ(info->dsdt_address, DSDT_AT);
	CHECK(info->has_s5);
}

static void check_rsdt_fallback(const struct acpi_info *info)
{
	check_tables(info, (const char *const[]){"FACP"}, 1);
	CHECK(!info->has_madt && info->has_fadt);
}

static void check_three_tables(const struct acpi_info *info)
{
	CHECK_EQ(info->table_count, 3);
	CHECK(info->has_madt);
}
static void check_no_tables(const struct acpi_info *info)
{
	CHECK(!info->table_count && !info->has_madt && !info->has_fadt);
}
static void check_32_tables(const struct acpi_info *info)
{
	CHECK_EQ(info->table_count, ACPI_MAX_TABLES);
	CHECK_STR(info->tables[31], "HPET");
	CHECK(!info->has_madt);
}
static void check_dsdt_from_x(const struct acpi_info *info)
{
	CHECK_EQ(info->dsdt_address, DSDT_AT);
	CHECK(info->has_s5);
}
static void check_no_dsdt(const struct acpi_info *info)
{
	CHECK(info->has_fadt && !info->dsdt_address && !info->has_s5);
}
static void check_pm1a_gas(const struct acpi_info *info)
{
	CHECK_EQ(info->pm1a_control_port, 0x2804);
}
static void check_pm1a_none(const struct acpi_info *info)
{
	CHECK_EQ(info->pm1a_control_port, 0);
}

/* ---- parse rows ----------------------------------------------------------- */

struct parse_case {
	const char *name;
	int version;
	void (*mutate)(struct firmware *f);
	const char *error[2]; /* substrings of the error; NULL, NULL on success */
	void (*check)(const struct acpi_info *info);
};

static const struct parse_case parse_cases[] = {
    {"ACPI 1.0: RSDP v0, RSDT, MADT, FADT, DSDT", 1, NULL, {NULL, NULL}, check_version_1},
    {"ACPI 2.0: RSDP v2, XSDT, X_DSDT", 2, NULL, {NULL, NULL}, check_version_2},
    {"RSDP v2 without an XSDT uses the RSDT", 2, rsdp_no_xsdt, {NULL, NULL}, check_rsdt_fallback},
    {"RSDT with a trailing partial entry", 1, root_partial_entry, {NULL, NULL}, check_three_tables},
    {"XSDT with a trailing partial entry", 2, root_partial_entry, {NULL, NULL}, check_three_tables},
    {"RSDT with no entries", 1, root_empty, {NULL, NULL}, check_no_tables},
    {"XSDT listing 40 tables keeps 32 names", 2, root_40_entries, {NULL, NULL}, check_32_tables},
    {"X_DSDT wins over a bad 32-bit DSDT", 2, dsdt_32_bad_x_good, {NULL, NULL}, check_dsdt_from_x},
    {"FADT without a DSDT: no \\_S5", 2, dsdt_no_pointer, {NULL, NULL}, check_no_dsdt},
    {"PM1a control from X_PM1a_CNT (I/O space)", 2, pm1a_from_gas, {NULL, NULL}, check_pm1a_gas},
    {"X_PM1a_CNT in memory space is not a port", 2, pm1a_gas_memory, {NULL, NULL}, check_pm1a_none},
    {"116-byte FADT without PM1a: no extended field read",
     1,
     pm1a_zero,
     {NULL, NULL},
     check_pm1a_none},

    {"RSDP not in memory", 1, rsdp_unmapped, {"RSDP at 0x5000000", "not in memory"}, NULL},
    {"RSDP address 0", 1, rsdp_address_zero, {"RSDP at 0x0", "not in memory"}, NULL},
    {"RSDP shorter than 20 bytes", 1, rsdp_truncated, {"RSDP", "not in memory"}, NULL},
    {"RSDP bad signature", 1, rsdp_bad_signature, {"RSDP at 0xf0000", "bad signature"}, NULL},
    {"RSDP bad checksum", 1, rsdp_bad_checksum, {"RSDP", "bad checksum"}, NULL},
    {"RSDP v2 bad extended checksum",
     2,
     rsdp_bad_extended_checksum,
     {"RSDP", "extended length or checksum"},
     NULL},
    {"RSDP v2 cut after 20 bytes",
     2,
     rsdp_extension_missing,
     {"RSDP", "revision 2 but truncated"},
     NULL},
    {"RSDP v2 length 20", 2, rsdp_length_20, {"RSDP", "bad extended length"}, NULL},
    {"RSDP v2 length 5000", 2, rsdp_length_huge, {"RSDP", "bad extended length"}, NULL},
    {"RSDP v2 length past the blob",
     2,
     rsdp_length_past_blob,
     {"RSDP", "bad extended length"},
     NULL},

    {"RSDT not in memory", 1, root_unmapped, {"RSDT at 0x5000000", "not in memory"}, NULL},
    {"XSDT not in memory", 2, root_unmapped, {"XSDT at 0x5000000", "not in memory"}, NULL},
    {"RSDT bad checksum", 1, root_bad_checksum, {"RSDT at 0x7fe0000", "bad checksum"}, NULL},
    {"XSDT bad checksum", 2, root_bad_checksum, {"XSDT at 0x7fe1000", "bad checksum"}, NULL},
    {"RSDT wrong signature",
     1,
     root_bad_signature,
     {"RSDT at 0x7fe0000", "signature is \"SSDT\""},
     NULL},
    {"XSDT wrong signature",
     2,
     root_bad_signature,
     {"XSDT at 0x7fe1000", "signature is \"SSDT\""},
     NULL},
    {"RSDT length shorter than its header",
     1,
     root_length_20,
     {"RSDT at 0x7fe0000", "length 20 out of range"},
     NULL},
    {"XSDT length shorter than its header",
     2,
     root_length_20,
     {"XSDT at 0x7fe1000", "length 20 out of range"},
     NULL},
    {"RSDT length over 16 MiB",
     1,
     root_length_huge,
     {"RSDT", "length 16777217 out of range"},
     NULL},
    {"XSDT length 16 MiB, past the blob",
     2,
     root_length_16_mib,
     {"XSDT", "truncated (length 16777216)"},
     NULL},
    {"RSDT length past the blob",
     1,
     root_length_past_blob,
     {"RSDT at 0x7fe0000", "truncated (length 52)"},
     NULL},
    {"XSDT length past the blob",
     2,
     root_length_past_blob,
     {"XSDT at 0x7fe1000", "truncated (length 64)"},
     NULL},
    {"RSDT header cut short", 1, root_header_cut, {"RSDT at 0x7fe0000", "not in memory"}, NULL},
    {"RSDT entry pointing to unmapped memory",
     1,
     root_entry_unmapped,
     {"RSDT entry 1", "0x5000000 not in memory"},
     NULL},
    {"XSDT entry pointing to unmapped memory",
     2,
     root_entry_unmapped,
     {"XSDT entry 1", "0x5000000 not in memory"},
     NULL},
    {"XSDT entry 0", 2, root_entry_zero, {"XSDT entry 0", "0x0 not in memory"}, NULL},
    {"RSDT entry whose header runs past its blob",
     1,
     root_entry_straddles,
     {"RSDT entry 2", "0x7fe5028 not in memory"},
     NULL},

    {"MADT bad checksum", 1, madt_bad_checksum, {"APIC at 0x7fe2000", "bad checksum"}, NULL},
    {"MADT truncated", 2, madt_truncated, {"APIC at 0x7fe2000", "truncated"}, NULL},
    {"MADT length shorter than its header",
     1,
     madt_length_30,
     {"APIC at 0x7fe2000", "length 30 out of range"},
     NULL},
    {"MADT length over 16 MiB",
     1,
     madt_length_huge,
     {"APIC", "length 16777217 out of range"},
     NULL},
    {"MADT too short for its fixed fields",
     1,
     madt_length_40,
     {"APIC (MADT)", "length 40 too short"},
     NULL},
    {"MADT header cut short",
     1,
     madt_header_cut,
     {"RSDT entry 0", "0x7fe2000 not in memory"},
     NULL},
    {"FADT bad checksum", 1, fadt_bad_checksum, {"FACP at 0x7fe3000", "bad checksum"}, NULL},
    {"FADT too short", 2, fadt_length_100, {"FACP (FADT)", "length 100 too short"}, NULL},
    {"FADT truncated", 1, fadt_truncated, {"FACP at 0x7fe3000", "truncated (length 116)"}, NULL},
    {"FADT length 4 GiB - 1",
     2,
     fadt_length_huge,
     {"FACP", "length 4294967295 out of range"},
     NULL},
    {"DSDT bad checksum", 1, dsdt_bad_checksum, {"DSDT at 0x7fe4000", "bad checksum"}, NULL},
    {"DSDT truncated", 2, dsdt_truncated, {"DSDT at 0x7fe4000", "truncated"}, NULL},
    {"DSDT wrong signature",
     1,
     dsdt_bad_signature,
     {"DSDT at 0x7fe4000", "signature is \"SSDT\""},
     NULL},
    {"DSDT length shorter than its header",
     1,
     dsdt_length_8,
     {"DSDT at 0x7fe4000", "length 8 out of range"},
     NULL},
    {"DSDT length over 16 MiB",
     2,
     dsdt_length_huge,
     {"DSDT", "length 17825792 out of range"},
     NULL},
    {"DSDT header cut short", 1, dsdt_header_cut, {"DSDT at 0x7fe4000", "not in memory"}, NULL},
    {"DSDT missing", 2, dsdt_missing, {"DSDT at 0x7fe4000", "not in memory"}, NULL},
    {"DSDT pointer to unmapped memory",
     1,
     dsdt_pointer_unmapped,
     {"DSDT at 0x5000000", "not in memory"},
     NULL},
    {"X_DSDT to unmapped memory wins over a good DSDT",
     2,
     dsdt_x_bad_32_good,
     {"DSDT at 0x5000000", "not in memory"},
     NULL},
};

static void test_parse_table(void)
{
	static struct firmware f;
	for (size_t i = 0; i < ARRAY_LENGTH(parse_cases); i++) {
		const struct parse_case *row = &parse_cases[i];
		test_case_begin(row->name);
		build_firmware(&f, row->version);
		if (row->mutate)
			row->mutate(&f);
		struct acpi_info info;
		char error[160];
		memset(error, 'X', sizeof(error));
		int result = parse_firmware(&f, &info, error, sizeof(error));
		CHECK(memchr(error, '\0', sizeof(error)) != NULL);
		if (row->error[0]) {
			CHECK_EQ(result, -1);
			CHECK_CONTAINS(error, row->error[0]);
			CHECK_CONTAINS(error, row->error[1]);
		} else {
			CHECK_EQ(result, 0);
			CHECK_STR(error, "");
			row->check(&info);
		}
		test_case_end();
	}
}

/* ---- error buffers ------------------------------------------------------------ */

static void test_error_buffers(void)
{
	static struct firmware f;
	struct acpi_info info;

	test_case_begin("an error is cut to a small buffer and terminated");
	build_firmware(&f, 1);
	madt_bad_checksum(&f);
	char *small = malloc(8); /* exactly 8 bytes: ASan sees any overflow */
	CHECK_EQ(parse_firmware(&f, &info, small, 8), -1);
	CHECK_STR(small, "APIC at");
	free(small);
	test_case_end();

	test_case_begin("no error buffer at all");
	CHECK_EQ(parse_firmware(&f, &info, NULL, 0), -1);
	build_firmware(&f, 2);
	CHECK_EQ(parse_firmware(&f, &info, NULL, 0), 0);
	test_case_end();
}

int main(void)
{
	test_parse_table();
	test_error_buffers();
	return test_summary("test_acpi");
}
