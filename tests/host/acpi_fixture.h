/*
 * tests/host/acpi_fixture.h - what the ACPI parser's host tests share
 * (test_acpi.c, test_acpi_tables.c): fake physical memory (blobs, a map
 * callback that returns exact malloc'd copies so ASan sees any read past
 * what the parser mapped) and a builder of firmware tables (RSDP v0/v2,
 * RSDT/XSDT, MADT, FADT, DSDT, HPET) with checksums. Included once per test
 * binary.
 *
 * Lock order: none (single-threaded).
 */
#ifndef TESTS_HOST_ACPI_FIXTURE_H
#define TESTS_HOST_ACPI_FIXTURE_H

#include <stdlib.h>

#include "arch/x86/acpi.h"
#include "kernel/string.h"
#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define MIB             (1024u * 1024)

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

static inline void memory_add(struct fake_memory *m, uint64_t physical, const uint8_t *bytes,
                              size_t size)
{
	struct blob *b = &m->blobs[m->blob_count++];
	b->physical = physical;
	b->size = size;
	b->bytes = malloc(size ? size : 1);
	memcpy(b->bytes, bytes, size);
}

static inline void memory_free(struct fake_memory *m)
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

static inline void checksum_fix(uint8_t *bytes, size_t length, size_t checksum_offset)
{
	uint8_t sum = 0;
	bytes[checksum_offset] = 0;
	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	bytes[checksum_offset] = (uint8_t)-sum;
}

static inline void append(struct staged *t, const void *bytes, size_t n)
{
	memcpy(t->bytes + t->size, bytes, n);
	t->size += n;
}

static inline void sdt_begin(struct staged *t, uint64_t physical, const char *signature,
                             uint8_t revision)
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
static inline void sdt_seal(struct staged *t)
{
	string_store_le32(t->bytes + 4, (uint32_t)t->size);
	checksum_fix(t->bytes, t->size, 9);
}

/* Fix the checksum over the blob's bytes, keeping the length field. */
static inline void sdt_reseal(struct staged *t)
{
	checksum_fix(t->bytes, t->size, 9);
}

static inline void rsdp_reseal(struct firmware *f)
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

static inline void build_madt(struct firmware *f, const uint8_t *entries, size_t length)
{
	struct staged *t = &f->table[MADT];
	sdt_begin(t, MADT_AT, "APIC", 3);
	string_store_le32(t->bytes + 36, 0xfee00000u);
	string_store_le32(t->bytes + 40, 1);
	t->size = 44;
	append(t, entries, length);
	sdt_seal(t);
}

static inline void build_dsdt(struct firmware *f, const uint8_t *aml, size_t length)
{
	struct staged *t = &f->table[DSDT];
	sdt_begin(t, DSDT_AT, "DSDT", 2);
	append(t, aml, length);
	sdt_seal(t);
}

static inline void build_root(struct staged *t, uint64_t physical, const char *signature,
                              const uint64_t *entries, size_t count, size_t entry_size)
{
	sdt_begin(t, physical, signature, 1);
	for (size_t i = 0; i < count; i++, t->size += entry_size)
		if (entry_size == 8)
			string_store_le64(t->bytes + t->size, entries[i]);
		else
			string_store_le32(t->bytes + t->size, (uint32_t)entries[i]);
	sdt_seal(t);
}

static inline void build_firmware(struct firmware *f, int version)
{
	memset(f, 0, sizeof(*f));
	f->version = version;
	f->rsdp_address = RSDP_AT;

	struct staged *r = &f->table[RSDP];
	r->physical = RSDP_AT;
	r->present = true;
	memcpy(r->bytes, "RSD PTR ", 8);
	memcpy(r->bytes + 9, "USLICE", 6);
	string_store_le32(r->bytes + 16, RSDT_AT);
	r->size = 20;
	if (version == 2) {
		r->bytes[15] = 2;
		string_store_le32(r->bytes + 20, 36);
		string_store_le64(r->bytes + 24, XSDT_AT);
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
	string_store_le16(t->bytes + 46, 9); /* SCI */
	if (version == 1) {
		string_store_le32(t->bytes + 40, DSDT_AT);
		string_store_le32(t->bytes + 64, 0x604);
	} else {
		string_store_le64(t->bytes + 140, DSDT_AT); /* X_DSDT only */
		string_store_le32(t->bytes + 64, 0x1804);
		string_store_le32(t->bytes + 68, 0x1904);
	}
	sdt_seal(t);

	build_dsdt(f, BYTES(default_aml));
	sdt_begin(&f->table[HPET], HPET_AT, "HPET", 1);
	f->table[HPET].size = 56;
	sdt_seal(&f->table[HPET]);
}

/* Install the firmware as blobs and parse it. */
static inline int parse_firmware(const struct firmware *f, struct acpi_info *info, char *error,
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

static inline struct staged *root(struct firmware *f)
{
	return &f->table[f->version == 2 ? XSDT : RSDT];
}
static inline size_t entry_size(const struct firmware *f)
{
	return f->version == 2 ? 8 : 4;
}
static inline void set_root_entry(struct firmware *f, size_t index, uint64_t address)
{
	uint8_t *slot = root(f)->bytes + 36 + index * entry_size(f);
	f->version == 2 ? string_store_le64(slot, address)
	                : string_store_le32(slot, (uint32_t)address);
	sdt_reseal(root(f));
}

#endif /* TESTS_HOST_ACPI_FIXTURE_H */
