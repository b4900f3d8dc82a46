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

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define MIB             (1024u * 1024)

/* One table row is one case in the summary; failures print the row name. */
static void case_begin(const char *name)
{
	test_current_name = name;
	test_current_failed = 0;
}
static void case_end(void)
{
	test_failed_count += !!test_current_failed;
	test_passed_count += !test_current_failed;
}

/* ---- fake physical memory ------------------------------------------------ */

#define MAX_BLOBS  8
#define MAX_COPIES 256

struct blob {
	uint64_t physical;
	size_t size;
	uint8_t *bytes;
};

struct fake_memory {
	struct blob blobs[MAX_BLOBS];
	size_t blob_count;
	void *copies[MAX_COPIES];
	size_t copy_count;
};

static const void *fake_map(void *context, uint64_t physical, uint64_t length)
{
	struct fake_memory *m = context;
	for (size_t i = 0; i < m->blob_count; i++) {
		const struct blob *b = &m->blobs[i];
		if (physical < b->physical || physical - b->physical > b->size ||
		    length > b->size - (physical - b->physical))
			continue;
		if (m->copy_count == MAX_COPIES) {
			TEST_FAIL_("more than %d map calls", MAX_COPIES);
			return NULL;
		}
		uint8_t *copy = malloc(length ? length : 1);
		memcpy(copy, b->bytes + (physical - b->physical), length);
		m->copies[m->copy_count++] = copy;
		return copy;
	}
	return NULL;
}

static void memory_add(struct fake_memory *m, uint64_t physical, const uint8_t *bytes, size_t size)
{
	struct blob *b = &m->blobs[m->blob_count++];
	b->physical = physical;
	b->size = size;
	b->bytes = malloc(size ? size : 1);
	memcpy(b->bytes, bytes, size);
}

static void memory_free(struct fake_memory *m)
{
	for (size_t i = 0; i < m->blob_count; i++)
		free(m->blobs[i].bytes);
	for (size_t i = 0; i < m->copy_count; i++)
		free(m->copies[i]);
	memset(m, 0, sizeof(*m));
}

/* ---- building firmware tables --------------------------------------------- */

enum { RSDP, RSDT, XSDT, MADT, FADT, DSDT, HPET, TABLE_COUNT };

#define RSDP_AT        0xf0000u
#define RSDT_AT        0x7fe0000u
#define XSDT_AT        0x7fe1000u
#define MADT_AT        0x7fe2000u
#define FADT_AT        0x7fe3000u
#define DSDT_AT        0x7fe4000u
#define HPET_AT        0x7fe5000u
#define UNMAPPED_AT    0x5000000u
#define STAGE_CAPACITY 1024

struct staged {
	uint64_t physical;
	size_t size; /* bytes registered as the blob */
	bool present;
	uint8_t bytes[STAGE_CAPACITY];
};

struct firmware {
	int version; /* 1: RSDP v0 -> RSDT; 2: RSDP v2 -> XSDT (and an RSDT) */
	uint64_t rsdp_address;
	struct staged table[TABLE_COUNT];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void checksum_fix(uint8_t *bytes, size_t length, size_t checksum_offset)
{
	uint8_t sum = 0;
	bytes[checksum_offset] = 0;
	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	bytes[checksum_offset] = (uint8_t)-sum;
}

static void append(struct staged *t, const void *bytes, size_t n)
{
	memcpy(t->bytes + t->size, bytes, n);
	t->size += n;
}

static void sdt_begin(struct staged *t, uint64_t physical, const char *signature, uint8_t revision)
{
	memset(t, 0, sizeof(*t));
	t->physical = physical;
	t->present = true;
	memcpy(t->bytes, signature, 4);
	t->bytes[8] = revision;
	memcpy(t->bytes + 10, "USLICE", 6);
	memcpy(t->bytes + 16, "TESTTBL ", 8);
	memcpy(t->bytes + 28, "USLC", 4);
	t->size = 36;
}

/* Set the length field to the size and fix the checksum. */
static void sdt_seal(struct staged *t)
{
	put32(t->bytes + 4, (uint32_t)t->size);
	checksum_fix(t->bytes, t->size, 9);
}

/* Fix the checksum over the blob's bytes, keeping the length field. */
static void sdt_reseal(struct staged *t)
{
	checksum_fix(t->bytes, t->size, 9);
}

static void rsdp_reseal(struct firmware *f)
{
	struct staged *t = &f->table[RSDP];
	checksum_fix(t->bytes, 20, 8);
	if (f->version == 2)
		checksum_fix(t->bytes, 36, 32);
}

#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

/* LAPIC 0/0, LAPIC 1/1, disabled LAPIC 2/2, x2APIC 300 (uid 3), IOAPIC 2
 * at 0xfec00000, overrides IRQ 0 -> GSI 2 and IRQ 9 -> GSI 9 (level, low),
 * an NMI entry (type 4, skipped). */
static const char default_madt_entries[] =
    "\x00\x08\x00\x00\x01\x00\x00\x00"
    "\x00\x08\x01\x01\x01\x00\x00\x00"
    "\x00\x08\x02\x02\x00\x00\x00\x00"
    "\x09\x10\x00\x00\x2c\x01\x00\x00\x01\x00\x00\x00\x03\x00\x00\x00"
    "\x01\x0c\x02\x00\x00\x00\xc0\xfe\x00\x00\x00\x00"
    "\x02\x0a\x00\x00\x02\x00\x00\x00\x00\x00"
    "\x02\x0a\x00\x09\x09\x00\x00\x00\x0d\x00"
    "\x04\x06\xff\x05\x00\x01";

/* Name(_S5, Package(4) {5, 5, 0, 0}) */
static const char default_aml[] = "\x08_S5_\x12\x06\x04\x0a\x05\x0a\x05\x00\x00";

static void build_madt(struct firmware *f, const uint8_t *entries, size_t length)
{
	struct staged *t = &f->table[MADT];
	sdt_begin(t, MADT_AT, "APIC", 3);
	put32(t->bytes + 36, 0xfee00000u);
	put32(t->bytes + 40, 1);
	t->size = 44;
	append(t, entries, length);
	sdt_seal(t);
}

static void build_dsdt(struct firmware *f, const uint8_t *aml, size_t length)
{
	struct staged *t = &f->table[DSDT];
	sdt_begin(t, DSDT_AT, "DSDT", 2);
	append(t, aml, length);
	sdt_seal(t);
}

static void build_root(struct staged *t, uint64_t physical, const char *signature,
                       const uint64_t *entries, size_t count, size_t entry_size)
{
	sdt_begin(t, physical, signature, 1);
	for (size_t i = 0; i < count; i++, t->size += entry_size)
		if (entry_size == 8)
			put64(t->bytes + t->size, entries[i]);
		else
			put32(t->bytes + t->size, (uint32_t)entries[i]);
	sdt_seal(t);
}

static void build_firmware(struct firmware *f, int version)
{
	memset(f, 0, sizeof(*f));
	f->version = version;
	f->rsdp_address = RSDP_AT;

	struct staged *r = &f->table[RSDP];
	r->physical = RSDP_AT;
	r->present = true;
	memcpy(r->bytes, "RSD PTR ", 8);
	memcpy(r->bytes + 9, "USLICE", 6);
	put32(r->bytes + 16, RSDT_AT);
	r->size = 20;
	if (version == 2) {
		r->bytes[15] = 2;
		put32(r->bytes + 20, 36);
		put64(r->bytes + 24, XSDT_AT);
		r->size = 36;
	}
	rsdp_reseal(f);

	if (version == 1) {
		uint64_t entries[] = {MADT_AT, FADT_AT, HPET_AT};
		build_root(&f->table[RSDT], RSDT_AT, "RSDT", entries, 3, 4);
	} else {
		uint64_t entries[] = {FADT_AT, MADT_AT, HPET_AT};
		build_root(&f->table[XSDT], XSDT_AT, "XSDT", entries, 3, 8);
		build_root(&f->table[RSDT], RSDT_AT, "RSDT", entries, 1, 4);
	}
	build_madt(f, BYTES(default_madt_entries));

	struct staged *t = &f->table[FADT];
	sdt_begin(t, FADT_AT, "FACP", version == 2 ? 4 : 1);
	t->size = version == 2 ? 244 : 116;
	put16(t->bytes + 46, 9); /* SCI */
	if (version == 1) {
		put32(t->bytes + 40, DSDT_AT);
		put32(t->bytes + 64, 0x604);
	} else {
		put64(t->bytes + 140, DSDT_AT); /* X_DSDT only */
		put32(t->bytes + 64, 0x1804);
		put32(t->bytes + 68, 0x1904);
	}
	sdt_seal(t);

	build_dsdt(f, BYTES(default_aml));
	sdt_begin(&f->table[HPET], HPET_AT, "HPET", 1);
	f->table[HPET].size = 56;
	sdt_seal(&f->table[HPET]);
}

/* Install the firmware as blobs and parse it. */
static int parse_firmware(const struct firmware *f, struct acpi_info *info, char *error,
                          size_t error_size)
{
	struct fake_memory memory = {0};
	for (int i = 0; i < TABLE_COUNT; i++)
		if (f->table[i].present)
			memory_add(&memory, f->table[i].physical, f->table[i].bytes,
			           f->table[i].size);
	struct acpi_memory map = {fake_map, &memory};
	int result = acpi_parse(info, f->rsdp_address, &map, error, error_size);
	memory_free(&memory);
	return result;
}

/* ---- corruptions ---------------------------------------------------------- */

static struct staged *root(struct firmware *f)
{
	return &f->table[f->version == 2 ? XSDT : RSDT];
}
static size_t entry_size(const struct firmware *f)
{
	return f->version == 2 ? 8 : 4;
}
static void set_root_entry(struct firmware *f, size_t index, uint64_t address)
{
	uint8_t *slot = root(f)->bytes + 36 + index * entry_size(f);
	f->version == 2 ? put64(slot, address) : put32(slot, (uint32_t)address);
	sdt_reseal(root(f));
}

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
	put32(f->table[RSDP].bytes + 20, 20);
	rsdp_reseal(f);
}
static void rsdp_length_huge(struct firmware *f)
{
	put32(f->table[RSDP].bytes + 20, 5000);
	rsdp_reseal(f);
}
static void rsdp_length_past_blob(struct firmware *f)
{
	put32(f->table[RSDP].bytes + 20, 40);
	rsdp_reseal(f);
}
static void rsdp_no_xsdt(struct firmware *f)
{
	put64(f->table[RSDP].bytes + 24, 0);
	rsdp_reseal(f);
}
static void root_unmapped(struct firmware *f)
{
	if (f->version == 2)
		put64(f->table[RSDP].bytes + 24, UNMAPPED_AT);
	else
		put32(f->table[RSDP].bytes + 16, UNMAPPED_AT);
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
	put32(root(f)->bytes + 4, 20);
	sdt_reseal(root(f));
}
static void root_length_huge(struct firmware *f)
{
	put32(root(f)->bytes + 4, 16 * MIB + 1);
}
static void root_length_16_mib(struct firmware *f)
{
	put32(root(f)->bytes + 4, 16 * MIB);
}
static void root_length_past_blob(struct firmware *f)
{
	put32(root(f)->bytes + 4, (uint32_t)root(f)->size + 4);
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
	put32(f->table[MADT].bytes + 4, 30);
	sdt_reseal(&f->table[MADT]);
}
static void madt_length_huge(struct firmware *f)
{
	put32(f->table[MADT].bytes + 4, 16 * MIB + 1);
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
	put32(f->table[FADT].bytes + 4, 0xffffffffu);
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
	put32(f->table[DSDT].bytes + 4, 8);
	sdt_reseal(&f->table[DSDT]);
}
static void dsdt_length_huge(struct firmware *f)
{
	put32(f->table[DSDT].bytes + 4, 17 * MIB);
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
		put64(p, value);
	else if (bytes == 4)
		put32(p, (uint32_t)value);
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
		case_begin(row->name);
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
		case_end();
	}
}

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
		case_begin(row->name);
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
		case_end();
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
		case_begin(row->name);
		check_s5(row->aml, row->length, row->has_s5, row->a, row->b);
		case_end();
	}
	/* The DSDT ends after each prefix of the package: both values are
	 * known only once 12 bytes are in; nothing past the end is read. */
	case_begin("_S5: the DSDT cut after every byte of the package");
	for (size_t cut = 0; cut <= sizeof(default_aml) - 1; cut++)
		check_s5((const uint8_t *)default_aml, cut, cut >= 12, 5, 5);
	case_end();
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
	put32(rsdp + 16, RSDT_AT);
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
		case_begin(row->name);
		memset(bda, 0, sizeof(bda));
		memset(ebda, 0, sizeof(ebda));
		memset(bios, 0, sizeof(bios));
		put16(bda + 0x0e, row->ebda_segment);
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
		case_end();
	}
}

/* ---- error buffers ------------------------------------------------------------ */

static void test_error_buffers(void)
{
	static struct firmware f;
	struct acpi_info info;

	case_begin("an error is cut to a small buffer and terminated");
	build_firmware(&f, 1);
	madt_bad_checksum(&f);
	char *small = malloc(8); /* exactly 8 bytes: ASan sees any overflow */
	CHECK_EQ(parse_firmware(&f, &info, small, 8), -1);
	CHECK_STR(small, "APIC at");
	free(small);
	case_end();

	case_begin("no error buffer at all");
	CHECK_EQ(parse_firmware(&f, &info, NULL, 0), -1);
	build_firmware(&f, 2);
	CHECK_EQ(parse_firmware(&f, &info, NULL, 0), 0);
	case_end();
}

int main(void)
{
	test_parse_table();
	test_madt_table();
	test_s5_table();
	test_legacy_table();
	test_error_buffers();
	return test_summary("test_acpi");
}
