/*
 * vmx/guest_acpi.c - building a VM's ACPI tables (see guest_acpi.h).
 *
 * One pass lays the tables out in the buffer (16-byte aligned guest
 * addresses, the FACS 64-byte aligned, none overlapping the RSDP's
 * placement) and fills them; the same pass without a buffer measures them
 * (guest_acpi_size, the RSDP at a 64-byte aligned start). Every table is
 * zeroed before it is filled, and its checksum is computed last, over its
 * whole length.
 *
 * Lock order: none.
 */
#include "vmx/guest_acpi.h"

#include "kernel/string.h"

#define GUEST_ACPI_HEADER_LENGTH  36u
#define GUEST_ACPI_FADT_LENGTH    268u /* revision 5 */
#define GUEST_ACPI_FACS_LENGTH    64u
#define GUEST_ACPI_DSDT_AML       48u /* \_S5 (at most 16) and the PCI root (29) */
#define GUEST_ACPI_ROOT_ENTRIES   2u  /* FADT, MADT */
#define GUEST_ACPI_DEFAULT_LAPIC  0xfee00000u
#define GUEST_ACPI_DEFAULT_IOAPIC 0xfec00000u

/* MADT entry types and lengths. */
#define GUEST_ACPI_MADT_LAPIC          0
#define GUEST_ACPI_MADT_IOAPIC         1
#define GUEST_ACPI_MADT_OVERRIDE       2
#define GUEST_ACPI_MADT_LAPIC_NMI      4
#define GUEST_ACPI_OVERRIDE_LEVEL_HIGH 0x000d /* active high, level */

/* FADT flags: WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON (control methods,
 * i.e. none), FIX_RTC (no RTC wake status). */
#define GUEST_ACPI_FADT_FLAGS ((1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 6))

struct guest_acpi_builder {
	uint8_t *buffer; /* NULL: measure only */
	size_t size;
	uint64_t base;
	size_t rsdp_offset;
	size_t cursor;
	bool failed;
};

static uint8_t guest_acpi_checksum(const uint8_t *p, size_t length)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

static size_t guest_acpi_align(struct guest_acpi_builder *builder, size_t offset, size_t alignment)
{
	uint64_t address = builder->base + offset;
	uint64_t aligned = (address + alignment - 1) & ~(uint64_t)(alignment - 1);
	return offset + (size_t)(aligned - address);
}

/*
 * Reserve `length` bytes at an aligned guest address clear of the RSDP:
 * false when the buffer is full. Otherwise *address is the guest address
 * and *table the zeroed bytes, or NULL when only measuring.
 */
static bool guest_acpi_allocate(struct guest_acpi_builder *builder, size_t length, size_t alignment,
                                uint64_t *address, uint8_t **table)
{
	size_t offset = guest_acpi_align(builder, builder->cursor, alignment);
	size_t rsdp_end = builder->rsdp_offset + GUEST_ACPI_RSDP_LENGTH;
	if (offset < rsdp_end && offset + length > builder->rsdp_offset)
		offset = guest_acpi_align(builder, rsdp_end, alignment);
	*table = NULL;
	*address = 0;
	if (builder->failed || offset > builder->size || length > builder->size - offset) {
		builder->failed = true;
		return false;
	}
	builder->cursor = offset + length;
	*address = builder->base + offset;
	if (builder->buffer) {
		*table = builder->buffer + offset;
		memset(*table, 0, length);
	}
	return true;
}

static void guest_acpi_header(uint8_t *table, const char *signature, uint32_t length,
                              uint8_t revision)
{
	memcpy(table, signature, 4);
	string_store_le32(table + 4, length);
	table[8] = revision;
	memcpy(table + 10, GUEST_ACPI_OEM_ID, 6);
	memcpy(table + 16, "USLICEVM", 8); /* OEM table ID */
	string_store_le32(table + 24, 1);  /* OEM revision */
	memcpy(table + 28, "USLC", 4);     /* creator ID */
	string_store_le32(table + 32, 1);  /* creator revision */
}

static void guest_acpi_finish(uint8_t *table, uint32_t length)
{
	table[9] = 0;
	table[9] = guest_acpi_checksum(table, length);
}

/* A Generic Address Structure in system I/O space. */
static void guest_acpi_gas_io(uint8_t *p, uint8_t bit_width, uint16_t port)
{
	if (!port)
		return;
	p[0] = 1; /* system I/O */
	p[1] = bit_width;
	p[2] = 0; /* bit offset */
	p[3] = 0; /* access size: legacy */
	string_store_le64(p + 4, port);
}

/* AML for a small integer: ZeroOp, OneOp or BytePrefix n. */
static size_t guest_acpi_aml_byte(uint8_t *p, uint8_t value)
{
	if (value <= 1) {
		p[0] = value;
		return 1;
	}
	p[0] = 0x0a;
	p[1] = value;
	return 2;
}

/* Name(\_S5, Package(4){typ, typ, 0, 0}); returns its length (<= 16). */
static size_t guest_acpi_s5(uint8_t *aml, uint8_t sleep_type)
{
	uint8_t elements[8];
	size_t count = 0;
	count += guest_acpi_aml_byte(elements + count, sleep_type);
	count += guest_acpi_aml_byte(elements + count, sleep_type);
	elements[count++] = 0x00;
	elements[count++] = 0x00;
	size_t length = 0;
	aml[length++] = 0x08; /* NameOp */
	memcpy(aml + length, "\\_S5_", 5);
	length += 5;
	aml[length++] = 0x12;                 /* PackageOp */
	aml[length++] = (uint8_t)(2 + count); /* PkgLength (itself, NumElements, data) */
	aml[length++] = 4;                    /* NumElements */
	memcpy(aml + length, elements, count);
	return length + count;
}

/* Device(\_SB.PCI0) { Name(_HID, EisaId("PNP0A03")) Name(_UID, 0) }: the
 * PCI root bridge (bus 0, configuration mechanism #1, vmx/vpci.c). Without
 * it an ACPI kernel scans no PCI bus (Linux: pci_acpi_init() takes over
 * from the legacy probe). No _CRS (Linux then uses all of I/O and memory
 * space as the root bus's windows) and no _PRT (a function's INTx is its
 * interrupt line, an ISA IRQ, level-triggered). Returns its length. */
static size_t guest_acpi_pci_root(uint8_t *aml)
{
	static const uint8_t device[] = {
	    0x5b, 0x82, /* DeviceOp                          */
	    0x1b,       /* PkgLength: 27 bytes from here     */
	    0x5c, 0x2e, '_',  'S',  'B',  '_', 'P', 'C', 'I', '0', /* \_SB.PCI0  */
	    0x08, '_',  'H',  'I',  'D',  /* Name(_HID,                        */
	    0x0c, 0x41, 0xd0, 0x0a, 0x03, /*   DWordConst EisaId("PNP0A03"))   */
	    0x08, '_',  'U',  'I',  'D',  /* Name(_UID,                        */
	    0x00,                         /*   Zero)                           */
	};
	memcpy(aml, device, sizeof(device));
	return sizeof(device);
}

static bool guest_acpi_config_valid(const struct guest_acpi_config *config)
{
	return config->vcpu_count >= 1 && config->vcpu_count <= GUEST_ACPI_MAX_VCPUS &&
	       config->s5_sleep_type <= 7 && config->pm1a_event_port && config->pm1a_control_port &&
	       config->sci_interrupt != 0 && config->sci_interrupt != 2 &&
	       !(config->rsdp_address & 15);
}

static size_t guest_acpi_madt_length(const struct guest_acpi_config *config)
{
	size_t length = 44 + 8 * (size_t)config->vcpu_count + 12 + 10 + 6;
	if (config->sci_interrupt < 16)
		length += 10;
	return length;
}

static uint64_t guest_acpi_build_madt(struct guest_acpi_builder *builder,
                                      const struct guest_acpi_config *config)
{
	uint64_t address;
	uint32_t length = (uint32_t)guest_acpi_madt_length(config);
	uint8_t *madt;
	if (!guest_acpi_allocate(builder, length, 16, &address, &madt) || !madt)
		return address;
	guest_acpi_header(madt, "APIC", length, 3);
	string_store_le32(madt + 36, config->lapic_address);
	string_store_le32(madt + 40, config->pcat_compatible ? 1 : 0);
	uint8_t *e = madt + 44;
	for (uint32_t cpu = 0; cpu < config->vcpu_count; cpu++, e += 8) {
		e[0] = GUEST_ACPI_MADT_LAPIC;
		e[1] = 8;
		e[2] = (uint8_t)cpu;         /* processor UID */
		e[3] = (uint8_t)cpu;         /* APIC ID */
		string_store_le32(e + 4, 1); /* enabled */
	}
	e[0] = GUEST_ACPI_MADT_IOAPIC;
	e[1] = 12;
	e[2] = config->ioapic_id;
	string_store_le32(e + 4, config->ioapic_address);
	string_store_le32(e + 8, config->ioapic_gsi_base);
	e += 12;
	e[0] = GUEST_ACPI_MADT_OVERRIDE; /* ISA IRQ 0 (PIT) -> GSI 2, conforming */
	e[1] = 10;
	e[2] = 0;
	e[3] = 0;
	string_store_le32(e + 4, 2);
	string_store_le16(e + 8, 0);
	e += 10;
	if (config->sci_interrupt < 16) {
		e[0] = GUEST_ACPI_MADT_OVERRIDE; /* SCI: level, active high */
		e[1] = 10;
		e[2] = 0;
		e[3] = (uint8_t)config->sci_interrupt;
		string_store_le32(e + 4, config->sci_interrupt);
		string_store_le16(e + 8, GUEST_ACPI_OVERRIDE_LEVEL_HIGH);
		e += 10;
	}
	e[0] = GUEST_ACPI_MADT_LAPIC_NMI; /* every processor: LINT1 is NMI */
	e[1] = 6;
	e[2] = 0xff;
	string_store_le16(e + 3, 0);
	e[5] = 1;
	guest_acpi_finish(madt, length);
	return address;
}

static uint64_t guest_acpi_build_dsdt(struct guest_acpi_builder *builder,
                                      const struct guest_acpi_config *config)
{
	uint8_t aml[GUEST_ACPI_DSDT_AML];
	size_t aml_length = guest_acpi_s5(aml, config->s5_sleep_type);
	aml_length += guest_acpi_pci_root(aml + aml_length);
	uint32_t length = (uint32_t)(GUEST_ACPI_HEADER_LENGTH + aml_length);
	uint64_t address;
	uint8_t *dsdt;
	if (!guest_acpi_allocate(builder, length, 16, &address, &dsdt) || !dsdt)
		return address;
	guest_acpi_header(dsdt, "DSDT", length, 2);
	memcpy(dsdt + GUEST_ACPI_HEADER_LENGTH, aml, aml_length);
	guest_acpi_finish(dsdt, length);
	return address;
}

static uint64_t guest_acpi_build_facs(struct guest_acpi_builder *builder)
{
	uint64_t address;
	uint8_t *facs;
	if (!guest_acpi_allocate(builder, GUEST_ACPI_FACS_LENGTH, 64, &address, &facs) || !facs)
		return address;
	memcpy(facs, "FACS", 4);
	string_store_le32(facs + 4, GUEST_ACPI_FACS_LENGTH);
	facs[32] = 2; /* version; no checksum in the FACS */
	return address;
}

static uint64_t guest_acpi_build_fadt(struct guest_acpi_builder *builder,
                                      const struct guest_acpi_config *config, uint64_t facs,
                                      uint64_t dsdt)
{
	uint64_t address;
	uint8_t *f;
	if (!guest_acpi_allocate(builder, GUEST_ACPI_FADT_LENGTH, 16, &address, &f) || !f)
		return address;
	guest_acpi_header(f, "FACP", GUEST_ACPI_FADT_LENGTH, 5);
	string_store_le32(f + 36, (uint32_t)facs); /* FIRMWARE_CTRL (X_ left 0) */
	string_store_le32(f + 40, (uint32_t)dsdt); /* DSDT */
	string_store_le16(f + 46, config->sci_interrupt);
	/* SMI_CMD, ACPI_ENABLE/DISABLE 0: no SMM, always in ACPI mode. */
	string_store_le32(f + 56, config->pm1a_event_port);
	string_store_le32(f + 64, config->pm1a_control_port);
	string_store_le32(f + 76, config->pm_timer_port);
	f[88] = 4; /* PM1_EVT_LEN */
	f[89] = 2; /* PM1_CNT_LEN */
	f[91] = config->pm_timer_port ? 4 : 0;
	string_store_le16(f + 96, 0x0fff); /* P_LVL2_LAT: no C2 */
	string_store_le16(f + 98, 0x0fff); /* P_LVL3_LAT: no C3 */
	string_store_le16(f + 109, config->boot_flags);
	string_store_le32(f + 112, GUEST_ACPI_FADT_FLAGS);
	string_store_le64(f + 140, dsdt); /* X_DSDT */
	guest_acpi_gas_io(f + 148, 32, config->pm1a_event_port);
	guest_acpi_gas_io(f + 172, 16, config->pm1a_control_port);
	guest_acpi_gas_io(f + 208, 32, config->pm_timer_port);
	guest_acpi_finish(f, GUEST_ACPI_FADT_LENGTH);
	return address;
}

static uint64_t guest_acpi_build_root(struct guest_acpi_builder *builder, const char *signature,
                                      unsigned entry_size, const uint64_t *entries)
{
	uint32_t length = GUEST_ACPI_HEADER_LENGTH + entry_size * GUEST_ACPI_ROOT_ENTRIES;
	uint64_t address;
	uint8_t *root;
	if (!guest_acpi_allocate(builder, length, 16, &address, &root) || !root)
		return address;
	guest_acpi_header(root, signature, length, 1);
	for (unsigned i = 0; i < GUEST_ACPI_ROOT_ENTRIES; i++) {
		uint8_t *slot = root + GUEST_ACPI_HEADER_LENGTH + i * entry_size;
		if (entry_size == 8)
			string_store_le64(slot, entries[i]);
		else
			string_store_le32(slot, (uint32_t)entries[i]);
	}
	guest_acpi_finish(root, length);
	return address;
}

static uint64_t guest_acpi_run(struct guest_acpi_builder *builder,
                               const struct guest_acpi_config *config)
{
	uint64_t tables[GUEST_ACPI_ROOT_ENTRIES];
	uint64_t dsdt = guest_acpi_build_dsdt(builder, config);
	uint64_t facs = guest_acpi_build_facs(builder);
	tables[0] = guest_acpi_build_fadt(builder, config, facs, dsdt);
	tables[1] = guest_acpi_build_madt(builder, config);
	uint64_t xsdt = guest_acpi_build_root(builder, "XSDT", 8, tables);
	uint64_t rsdt = guest_acpi_build_root(builder, "RSDT", 4, tables);
	if (builder->failed)
		return 0;
	uint64_t rsdp_address = builder->base + builder->rsdp_offset;
	if (!builder->buffer)
		return rsdp_address;
	uint8_t *rsdp = builder->buffer + builder->rsdp_offset;
	memset(rsdp, 0, GUEST_ACPI_RSDP_LENGTH);
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, GUEST_ACPI_OEM_ID, 6);
	rsdp[15] = 2; /* ACPI 2.0+: XSDT present */
	string_store_le32(rsdp + 16, (uint32_t)rsdt);
	string_store_le32(rsdp + 20, GUEST_ACPI_RSDP_LENGTH);
	string_store_le64(rsdp + 24, xsdt);
	rsdp[8] = guest_acpi_checksum(rsdp, 20);
	rsdp[32] = guest_acpi_checksum(rsdp, GUEST_ACPI_RSDP_LENGTH);
	return rsdp_address;
}

void guest_acpi_default_config(struct guest_acpi_config *config, uint32_t vcpu_count)
{
	memset(config, 0, sizeof(*config));
	config->vcpu_count = vcpu_count;
	config->lapic_address = GUEST_ACPI_DEFAULT_LAPIC;
	config->ioapic_id = (uint8_t)(vcpu_count < 16 ? vcpu_count : 0);
	config->ioapic_address = GUEST_ACPI_DEFAULT_IOAPIC;
	config->pm1a_event_port = 0xb000;
	config->pm1a_control_port = 0xb004;
	config->sci_interrupt = 9;
	config->s5_sleep_type = 5;
	config->boot_flags = GUEST_ACPI_BOOT_NO_VGA;
}

size_t guest_acpi_size(const struct guest_acpi_config *config)
{
	if (!guest_acpi_config_valid(config))
		return 0;
	struct guest_acpi_builder builder = {.size = (size_t)-1 / 2};
	guest_acpi_run(&builder, config);
	return builder.failed ? 0 : builder.cursor;
}

uint64_t guest_acpi_build(void *buffer, size_t size, uint64_t guest_physical_base,
                          const struct guest_acpi_config *config)
{
	if (!buffer || !guest_acpi_config_valid(config) || guest_physical_base == 0 ||
	    guest_physical_base > 0x100000000ull || size > 0x100000000ull - guest_physical_base)
		return 0; /* the 32-bit pointers (RSDT, DSDT, FACS) must reach every table */
	uint64_t rsdp = config->rsdp_address ? config->rsdp_address : guest_physical_base;
	uint64_t rsdp_offset = rsdp - guest_physical_base;
	if ((rsdp & 15) || rsdp < guest_physical_base || rsdp_offset > size ||
	    size - rsdp_offset < GUEST_ACPI_RSDP_LENGTH)
		return 0;
	struct guest_acpi_builder builder = {
	    .buffer = buffer,
	    .size = size,
	    .base = guest_physical_base,
	    .rsdp_offset = (size_t)rsdp_offset,
	};
	return guest_acpi_run(&builder, config);
}
