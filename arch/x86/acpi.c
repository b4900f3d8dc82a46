/*
 * arch/x86/acpi.c - ACPI table parser (see acpi.h).
 *
 * Every read goes through acpi_map(), which checks that the requested range
 * is available; every table is mapped whole (header length) only after its
 * header was mapped and its length found sane, then checksummed.
 *
 * Lock order: none.
 */
#include "arch/x86/acpi.h"

#include "kernel/string.h"

#define ACPI_HEADER_LENGTH    36u
#define ACPI_MAX_TABLE_LENGTH (16u * 1024 * 1024)

static bool acpi_checksum_ok(const uint8_t *p, uint32_t length)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

static const uint8_t *acpi_map(const struct acpi_memory *m, uint64_t physical, uint64_t length)
{
	if (physical == 0 || physical + length < physical)
		return NULL;
	return m->map(m->context, physical, length);
}

/* Map a whole table with a sane length and a good checksum. */
static const uint8_t *acpi_map_table(const struct acpi_memory *m, uint64_t physical,
                                     const char *expected, char *error, size_t error_size)
{
	const uint8_t *header = acpi_map(m, physical, ACPI_HEADER_LENGTH);
	if (!header) {
		format_string(error, error_size, "%s at 0x%llx: not in memory", expected,
		              (unsigned long long)physical);
		return NULL;
	}
	if (expected && memcmp(header, expected, 4) != 0) {
		format_string(error, error_size, "%s at 0x%llx: signature is \"%.4s\"", expected,
		              (unsigned long long)physical, (const char *)header);
		return NULL;
	}
	uint32_t length = string_load_le32(header + 4);
	if (length < ACPI_HEADER_LENGTH || length > ACPI_MAX_TABLE_LENGTH) {
		format_string(error, error_size, "%.4s at 0x%llx: length %u out of range",
		              (const char *)header, (unsigned long long)physical, length);
		return NULL;
	}
	const uint8_t *table = acpi_map(m, physical, length);
	if (!table) {
		format_string(error, error_size, "%.4s at 0x%llx: truncated (length %u)",
		              (const char *)header, (unsigned long long)physical, length);
		return NULL;
	}
	if (!acpi_checksum_ok(table, length)) {
		format_string(error, error_size, "%.4s at 0x%llx: bad checksum",
		              (const char *)header, (unsigned long long)physical);
		return NULL;
	}
	return table;
}

static int acpi_parse_madt(struct acpi_info *info, const uint8_t *madt, char *error,
                           size_t error_size)
{
	uint32_t length = string_load_le32(madt + 4);
	if (length < 44) {
		format_string(error, error_size, "APIC (MADT): length %u too short", length);
		return -1;
	}
	info->has_madt = true;
	info->lapic_address = string_load_le32(madt + 36);
	for (uint32_t offset = 44; offset < length;) {
		if (length - offset < 2) {
			format_string(error, error_size,
			              "APIC (MADT): entry header at offset %u truncated", offset);
			return -1;
		}
		uint8_t type = madt[offset];
		uint8_t entry_length = madt[offset + 1];
		if (entry_length < 2 || entry_length > length - offset) {
			format_string(
			    error, error_size,
			    "APIC (MADT): entry at offset %u has length %u (table length %u)",
			    offset, entry_length, length);
			return -1;
		}
		const uint8_t *e = madt + offset;
		static const uint8_t minimum[] = {[0] = 8, [1] = 12, [2] = 10, [5] = 12, [9] = 16};
		if (type < sizeof(minimum) && minimum[type] && entry_length < minimum[type]) {
			format_string(
			    error, error_size,
			    "APIC (MADT): type %u entry at offset %u is %u bytes, needs %u", type,
			    offset, entry_length, minimum[type]);
			return -1;
		}
		if ((type == 0 || type == 9) && info->cpu_count < ACPI_MAX_CPUS) {
			struct acpi_cpu *cpu = &info->cpus[info->cpu_count];
			uint32_t flags =
			    type == 0 ? string_load_le32(e + 4) : string_load_le32(e + 8);
			cpu->processor_uid = type == 0 ? e[2] : string_load_le32(e + 12);
			cpu->apic_id = type == 0 ? e[3] : string_load_le32(e + 4);
			cpu->enabled = flags & 1;
			bool duplicate = false;
			for (uint32_t i = 0; i < info->cpu_count; i++)
				duplicate |= info->cpus[i].apic_id == cpu->apic_id;
			if (!duplicate && (flags & 3))
				info->cpu_count++;
		} else if (type == 1 && info->ioapic_count < ACPI_MAX_IOAPICS) {
			struct acpi_ioapic *io = &info->ioapics[info->ioapic_count++];
			io->id = e[2];
			io->address = string_load_le32(e + 4);
			io->gsi_base = string_load_le32(e + 8);
		} else if (type == 2 && info->override_count < ACPI_MAX_OVERRIDES) {
			struct acpi_override *o = &info->overrides[info->override_count++];
			o->bus_irq = e[3];
			o->gsi = string_load_le32(e + 4);
			o->flags = string_load_le16(e + 8);
		} else if (type == 5) {
			info->lapic_address = string_load_le64(e + 4);
		}
		offset += entry_length;
	}
	return 0;
}

/*
 * Find \_S5 in AML: NameOp '_S5_' PackageOp PkgLength NumElements then two
 * integers (BytePrefix n, ZeroOp, OneOp or a small constant). Not finding
 * it is not an error (has_s5 stays false).
 */
static void acpi_parse_s5(struct acpi_info *info, const uint8_t *dsdt, uint32_t length)
{
	for (uint32_t i = ACPI_HEADER_LENGTH + 1; i + 4 < length; i++) {
		if (memcmp(dsdt + i, "_S5_", 4) != 0)
			continue;
		if (dsdt[i - 1] != 0x08 && !(dsdt[i - 1] == '\\' && i >= 2 && dsdt[i - 2] == 0x08))
			continue;
		uint32_t p = i + 4;
		if (p >= length || dsdt[p] != 0x12)
			continue;
		p++;
		if (p >= length)
			return;
		p += 1u + (dsdt[p] >> 6); /* PkgLength lead byte + extra bytes */
		p++;                      /* NumElements */
		uint8_t values[2];
		for (int k = 0; k < 2; k++) {
			if (p >= length)
				return;
			if (dsdt[p] == 0x0a) {
				if (p + 1 >= length)
					return;
				values[k] = dsdt[p + 1];
				p += 2;
			} else if (dsdt[p] <= 0x01 || dsdt[p] == 0xff) {
				values[k] = dsdt[p] == 0xff ? 0xff : dsdt[p];
				p += 1;
			} else {
				return;
			}
		}
		info->has_s5 = true;
		info->s5_sleep_type_a = values[0] & 7;
		info->s5_sleep_type_b = values[1] & 7;
		return;
	}
}

static int acpi_parse_fadt(struct acpi_info *info, const uint8_t *fadt, const struct acpi_memory *m,
                           char *error, size_t error_size)
{
	uint32_t length = string_load_le32(fadt + 4);
	if (length < 116) {
		format_string(error, error_size, "FACP (FADT): length %u too short", length);
		return -1;
	}
	info->has_fadt = true;
	info->dsdt_address = string_load_le32(fadt + 40);
	info->sci_interrupt = string_load_le16(fadt + 46);
	info->pm1a_control_port = string_load_le32(fadt + 64);
	info->pm1b_control_port = string_load_le32(fadt + 68);
	if (length >= 148 && string_load_le64(fadt + 140))
		info->dsdt_address = string_load_le64(fadt + 140);
	if (length >= 184 && !info->pm1a_control_port && fadt[172] == 1 /* I/O space */)
		info->pm1a_control_port = (uint32_t)string_load_le64(fadt + 176);
	if (info->dsdt_address) {
		const uint8_t *dsdt =
		    acpi_map_table(m, info->dsdt_address, "DSDT", error, error_size);
		if (!dsdt)
			return -1;
		acpi_parse_s5(info, dsdt, string_load_le32(dsdt + 4));
	}
	return 0;
}

int acpi_parse(struct acpi_info *info, uint64_t rsdp_physical, const struct acpi_memory *m,
               char *error, size_t error_size)
{
	memset(info, 0, sizeof(*info));
	const uint8_t *rsdp = acpi_map(m, rsdp_physical, 20);
	if (!rsdp) {
		format_string(error, error_size, "RSDP at 0x%llx: not in memory",
		              (unsigned long long)rsdp_physical);
		return -1;
	}
	if (memcmp(rsdp, "RSD PTR ", 8) != 0) {
		format_string(error, error_size, "RSDP at 0x%llx: bad signature",
		              (unsigned long long)rsdp_physical);
		return -1;
	}
	if (!acpi_checksum_ok(rsdp, 20)) {
		format_string(error, error_size, "RSDP: bad checksum");
		return -1;
	}
	info->revision = rsdp[15];
	memcpy(info->oem_id, rsdp + 9, 6);
	info->oem_id[6] = '\0';
	uint64_t root = string_load_le32(rsdp + 16);
	uint32_t entry_size = 4;
	const char *root_name = "RSDT";
	if (info->revision >= 2) {
		const uint8_t *rsdp2 = acpi_map(m, rsdp_physical, 36);
		if (!rsdp2) {
			format_string(error, error_size, "RSDP: revision %u but truncated",
			              info->revision);
			return -1;
		}
		uint32_t rsdp_length = string_load_le32(rsdp2 + 20);
		if (rsdp_length < 36 || rsdp_length > 4096 ||
		    !(rsdp2 = acpi_map(m, rsdp_physical, rsdp_length)) ||
		    !acpi_checksum_ok(rsdp2, rsdp_length)) {
			format_string(error, error_size, "RSDP: bad extended length or checksum");
			return -1;
		}
		if (string_load_le64(rsdp2 + 24)) {
			root = string_load_le64(rsdp2 + 24);
			entry_size = 8;
			root_name = "XSDT";
		}
	}
	const uint8_t *root_table = acpi_map_table(m, root, root_name, error, error_size);
	if (!root_table)
		return -1;
	uint32_t root_length = string_load_le32(root_table + 4);
	uint32_t entries = (root_length - ACPI_HEADER_LENGTH) / entry_size;
	const uint8_t *madt = NULL, *fadt = NULL;
	for (uint32_t i = 0; i < entries; i++) {
		const uint8_t *slot = root_table + ACPI_HEADER_LENGTH + i * entry_size;
		uint64_t address =
		    entry_size == 8 ? string_load_le64(slot) : string_load_le32(slot);
		const uint8_t *header = acpi_map(m, address, ACPI_HEADER_LENGTH);
		if (!header) {
			format_string(error, error_size,
			              "%s entry %u: table at 0x%llx not in memory", root_name, i,
			              (unsigned long long)address);
			return -1;
		}
		if (info->table_count < ACPI_MAX_TABLES) {
			memcpy(info->tables[info->table_count], header, 4);
			info->tables[info->table_count++][4] = '\0';
		}
		if (!madt && memcmp(header, "APIC", 4) == 0) {
			if (!(madt = acpi_map_table(m, address, "APIC", error, error_size)))
				return -1;
		} else if (!fadt && memcmp(header, "FACP", 4) == 0) {
			if (!(fadt = acpi_map_table(m, address, "FACP", error, error_size)))
				return -1;
		}
	}
	if (madt && acpi_parse_madt(info, madt, error, error_size) != 0)
		return -1;
	if (fadt && acpi_parse_fadt(info, fadt, m, error, error_size) != 0)
		return -1;
	if (error_size)
		error[0] = '\0';
	return 0;
}

static uint64_t acpi_scan(const struct acpi_memory *m, uint64_t start, uint64_t length)
{
	const uint8_t *area = acpi_map(m, start, length);
	if (!area)
		return 0;
	for (uint64_t offset = 0; offset + 20 <= length; offset += 16)
		if (memcmp(area + offset, "RSD PTR ", 8) == 0 &&
		    acpi_checksum_ok(area + offset, 20))
			return start + offset;
	return 0;
}

uint64_t acpi_find_rsdp_legacy(const struct acpi_memory *m)
{
	const uint8_t *bda = acpi_map(m, 0x40e, 2);
	if (bda) {
		uint64_t ebda = (uint64_t)string_load_le16(bda) << 4;
		if (ebda >= 0x80000 && ebda < 0xa0000) {
			uint64_t found = acpi_scan(m, ebda, 1024);
			if (found)
				return found;
		}
	}
	return acpi_scan(m, 0xe0000, 0x20000);
}
