/*
 * tests/host/test_passthrough.c - host tests of device assignment
 * (vmx/passthrough.c): the assignment rules against a scanned host (an
 * i440FX + PIIX3 + e1000 + a bridge + a broken capability list + a device
 * with a sub-page BAR), and the guest's view of an assigned function as a
 * state machine: reads through, the virtual command register and what it
 * forwards, BAR sizing writes, windows mapped only with memory decoding on
 * and only where they are free (not RAM, not reserved, not another BAR),
 * a move unmapping the old window, I/O BARs passed at the host's ports
 * only, 64-bit BARs, the MSI copy that never reaches the host, dropped
 * writes, the stop.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/passthrough.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define FAKE_MAX        8
#define MIB             (1ull << 20)

struct fake_host {
	struct {
		pci_bdf bdf;
		uint8_t config[PCI_CONFIG_SIZE];
		uint32_t bar_mask[PCI_BARS];
	} f[FAKE_MAX];
	unsigned count;
	unsigned host_writes_outside; /* writes to anything but command and BARs */
	/* The environment's record of the VM's windows. */
	struct {
		uint64_t guest, host, size;
	} maps[8];
	unsigned map_count, unmap_count, ports_passed, ports_trapped;
	uint16_t last_port;
	bool port_refuse;
};

static struct fake_host host;

static void put16(uint8_t *c, unsigned o, uint16_t v)
{
	c[o] = (uint8_t)v;
	c[o + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, unsigned o, uint32_t v)
{
	put16(c, o, (uint16_t)v);
	put16(c, o + 2, (uint16_t)(v >> 16));
}

static int fake_index(pci_bdf bdf)
{
	for (unsigned i = 0; i < host.count; i++)
		if (host.f[i].bdf == bdf)
			return (int)i;
	return -1;
}

static uint32_t fake_read(void *context, pci_bdf bdf, unsigned offset, unsigned size)
{
	(void)context;
	int i = fake_index(bdf);
	if (i < 0)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	uint32_t v = 0;
	for (unsigned b = 0; b < size; b++)
		v |= (uint32_t)host.f[i].config[offset + b] << (8 * b);
	return v;
}

static void fake_write(void *context, pci_bdf bdf, unsigned offset, unsigned size, uint32_t value)
{
	(void)context;
	int i = fake_index(bdf);
	if (i < 0)
		return;
	if (offset == PCI_COMMAND && size == 2) {
		put16(host.f[i].config, offset, (uint16_t)value);
	} else if (offset >= PCI_BAR0 && offset < PCI_BAR_END && size == 4) {
		unsigned index = (offset - PCI_BAR0) / 4;
		uint32_t old = fake_read(NULL, bdf, offset, 4), mask = host.f[i].bar_mask[index];
		put32(host.f[i].config, offset, (old & ~mask) | (value & mask));
	} else {
		host.host_writes_outside++;
	}
}

static int fake_map(void *context, uint64_t guest, uint64_t host_address, uint64_t size)
{
	(void)context;
	host.maps[host.map_count % 8].guest = guest;
	host.maps[host.map_count % 8].host = host_address;
	host.maps[host.map_count % 8].size = size;
	host.map_count++;
	return 0;
}

static void fake_unmap(void *context, uint64_t guest, uint64_t size)
{
	(void)context;
	(void)guest;
	(void)size;
	host.unmap_count++;
}

static int fake_ports(void *context, uint16_t port, uint16_t count, bool pass)
{
	(void)context;
	(void)count;
	if (pass && host.port_refuse)
		return -1;
	host.last_port = port;
	if (pass)
		host.ports_passed++;
	else
		host.ports_trapped++;
	return 0;
}

static const struct passthrough_ops ops = {fake_read, fake_write, fake_map, fake_unmap, fake_ports};

static unsigned fake_add(pci_bdf bdf, uint16_t vendor, uint16_t device, uint32_t class_code,
                         uint8_t header)
{
	unsigned i = host.count++;
	memset(&host.f[i], 0, sizeof(host.f[i]));
	host.f[i].bdf = bdf;
	put16(host.f[i].config, PCI_VENDOR_ID, vendor);
	put16(host.f[i].config, PCI_DEVICE_ID, device);
	put32(host.f[i].config, PCI_REVISION, class_code << 8 | 3);
	host.f[i].config[PCI_HEADER_TYPE] = header;
	return i;
}

static void fake_bar(unsigned i, unsigned index, uint32_t value, uint32_t mask)
{
	put32(host.f[i].config, PCI_BAR0 + 4 * index, value);
	host.f[i].bar_mask[index] = mask;
}

/* The host: 00:00.0 i440FX, 00:01.0 PIIX3 ISA, 00:01.1 IDE, 00:02.0 e1000
 * (with an MSI capability added, 64-bit address + masking), 00:03.0 a
 * bridge, 00:04.0 a loop in its capabilities, 00:05.0 a 256-byte memory
 * BAR, 00:06.0 a 64-bit BAR device. */
static void fake_build(void)
{
	memset(&host, 0, sizeof(host));
	fake_add(PCI_BDF(0, 0, 0), 0x8086, 0x1237, 0x060000, 0);
	fake_add(PCI_BDF(0, 1, 0), 0x8086, 0x7000, 0x060100, 0x80);
	fake_add(PCI_BDF(0, 1, 1), 0x8086, 0x7010, 0x010180, 0);
	unsigned e = fake_add(PCI_BDF(0, 2, 0), 0x8086, 0x100e, 0x020000, 0);
	fake_bar(e, 0, 0xc0000000, 0xfffe0000);
	fake_bar(e, 1, 0xc041, 0xffffffc0);
	put16(host.f[e].config, PCI_COMMAND,
	      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	put16(host.f[e].config, PCI_STATUS, PCI_STATUS_CAPABILITIES);
	put32(host.f[e].config, PCI_SUBSYSTEM_VENDOR, 0x00018086);
	host.f[e].config[PCI_CAPABILITY_POINTER] = 0xdc;
	host.f[e].config[PCI_INTERRUPT_LINE] = 9;
	host.f[e].config[PCI_INTERRUPT_PIN] = 1;
	host.f[e].config[0xdc] = PCI_CAPABILITY_PM;
	host.f[e].config[0xdd] = 0xe4;
	host.f[e].config[0xe4] = PCI_CAPABILITY_MSI;
	host.f[e].config[0xe5] = 0;
	put16(host.f[e].config, 0xe6, PCI_MSI_CONTROL_64BIT | PCI_MSI_CONTROL_MASKING | 0x0006);
	unsigned b = fake_add(PCI_BDF(0, 3, 0), 0x8086, 0x244e, 0x060400, PCI_HEADER_BRIDGE);
	host.f[b].config[PCI_BRIDGE_SECONDARY] = 1;
	unsigned l = fake_add(PCI_BDF(0, 4, 0), 0x1af4, 0x1000, 0x020000, 0);
	put16(host.f[l].config, PCI_STATUS, PCI_STATUS_CAPABILITIES);
	host.f[l].config[PCI_CAPABILITY_POINTER] = 0x40;
	host.f[l].config[0x40] = PCI_CAPABILITY_MSI;
	host.f[l].config[0x41] = 0x40;
	unsigned s = fake_add(PCI_BDF(0, 5, 0), 0x10ec, 0x8139, 0x020000, 0);
	fake_bar(s, 1, 0xc0100000, 0xffffff00);
	unsigned w = fake_add(PCI_BDF(0, 6, 0), 0x8086, 0x10fb, 0x020000, 0);
	fake_bar(w, 0, 0x00000004, 0xfff80000);
	fake_bar(w, 1, 0x00000008, 0xffffffff);
}

static struct pci_scan_result scanned;
static struct passthrough_vm vm;

static void setup(void)
{
	fake_build();
	struct pci_access access = {fake_read, fake_write, NULL};
	pci_scan(&scanned, &access);
	passthrough_vm_init(&vm, 32 * MIB, &ops, NULL);
	passthrough_reserve(&vm, 0xfec00000, PASSTHROUGH_PAGE);
	passthrough_reserve(&vm, 0xfee00000, PASSTHROUGH_PAGE);
}

static void test_rules(void)
{
	static const struct {
		pci_bdf bdf;
		const char *owner;
		const char *reason; /* NULL: may be assigned */
	} rows[] = {
	    {PCI_BDF(0, 2, 0), NULL, NULL},
	    {PCI_BDF(0, 6, 0), NULL, NULL},
	    {PCI_BDF(0, 9, 0), NULL, "PCI function 00:09.0 does not exist on this host"},
	    {PCI_BDF(1, 0, 0), NULL, "PCI function 01:00.0 does not exist on this host"},
	    {PCI_BDF(0, 0, 0), NULL,
	     "PCI function 00:00.0 is used by the hypervisor: device 00:00 is the host bridge"},
	    {PCI_BDF(0, 1, 0), NULL,
	     "PCI function 00:01.0 is used by the hypervisor: it is the ISA"},
	    {PCI_BDF(0, 1, 1), NULL,
	     "PCI function 00:01.1 is used by the hypervisor: it belongs to the ISA bridge's"},
	    {PCI_BDF(0, 3, 0), NULL,
	     "PCI function 00:03.0 is a bridge (class 0x060400): bridges are not assigned"},
	    {PCI_BDF(0, 2, 0), "web", "PCI function 00:02.0 is already assigned to VM web"},
	    {PCI_BDF(0, 4, 0), NULL,
	     "PCI function 00:04.0 has a broken capability list (loop at 0x40)"},
	    {PCI_BDF(0, 5, 0), NULL,
	     "PCI function 00:05.0: BAR 1 (0x100 bytes) is smaller than a page"},
	};
	setup();
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		char name[32], reason[200] = "";
		snprintf(name, sizeof(name), "rule row %u", i);
		test_case_begin(name);
		int status =
		    passthrough_check(&scanned, rows[i].bdf, rows[i].owner, reason, sizeof(reason));
		CHECK_EQ(status, rows[i].reason ? -1 : 0);
		if (rows[i].reason)
			CHECK_CONTAINS(reason, rows[i].reason);
		test_case_end();
	}
}

static uint32_t guest_read(struct passthrough_device *d, unsigned offset, unsigned size)
{
	uint32_t value = 0;
	CHECK(passthrough_config(d, offset, size, false, &value));
	return value;
}

static void guest_write(struct passthrough_device *d, unsigned offset, unsigned size,
                        uint32_t value)
{
	CHECK(passthrough_config(d, offset, size, true, &value));
}

static struct passthrough_device *add_e1000(void)
{
	setup();
	return passthrough_add(&vm, pci_find(&scanned, PCI_BDF(0, 2, 0)));
}

static void test_reads(void)
{
	static const struct {
		unsigned offset, size;
		uint32_t value;
	} rows[] = {
	    {0x00, 4, 0x100e8086}, /* IDs through */
	    {0x02, 2, 0x100e},
	    {0x04, 4, 0x00100000}, /* status through (capabilities), command virtual 0 */
	    {0x08, 4, 0x02000003}, /* class and revision through */
	    {0x0e, 1, 0x00},       /* header type, single function */
	    {0x10, 4, 0xc0000000}, /* BAR0 starts at the host address */
	    {0x14, 4, 0xc041},     /* BAR1: I/O */
	    {0x18, 4, 0},
	    {0x2c, 4, 0x00018086}, /* subsystem through */
	    {0x30, 4, 0},          /* no expansion ROM */
	    {0x34, 1, 0xdc},       /* capability pointer through */
	    {0x3c, 2, 0x0109},     /* line 9 (virtual copy), pin A through */
	    {0xdc, 2, 0xe401},     /* PM capability through */
	    {0xe4, 4, 0x01860005}, /* MSI copy: ID, next, control */
	};
	struct passthrough_device *d = add_e1000();
	CHECK(d != NULL);
	CHECK_EQ(d->guest_slot, PASSTHROUGH_FIRST_SLOT);
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		char name[32];
		snprintf(name, sizeof(name), "read 0x%02x/%u", rows[i].offset, rows[i].size);
		test_case_begin(name);
		CHECK_EQ(guest_read(d, rows[i].offset, rows[i].size), rows[i].value);
		test_case_end();
	}
}

static void test_command(void)
{
	struct passthrough_device *d = add_e1000();
	unsigned e = (unsigned)fake_index(PCI_BDF(0, 2, 0));
	/* Assignment turned the host's decoding and bus mastering off. */
	CHECK_EQ(fake_read(NULL, PCI_BDF(0, 2, 0), PCI_COMMAND, 2) & PASSTHROUGH_COMMAND_HOST, 0);
	guest_write(d, PCI_COMMAND, 2, 0xffff);
	CHECK_EQ(guest_read(d, PCI_COMMAND, 2), PASSTHROUGH_COMMAND_GUEST);
	CHECK_EQ(fake_read(NULL, PCI_BDF(0, 2, 0), PCI_COMMAND, 2), PASSTHROUGH_COMMAND_HOST);
	guest_write(d, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_PARITY);
	CHECK_EQ(fake_read(NULL, PCI_BDF(0, 2, 0), PCI_COMMAND, 2), PCI_COMMAND_MASTER);
	CHECK_EQ(host.f[e].config[PCI_COMMAND + 1], 0);
	CHECK_EQ(host.host_writes_outside, 0);
}

static void test_bar_state_machine(void)
{
	struct passthrough_device *d = add_e1000();
	/* Sizing with decoding off: the size mask, nothing mapped. */
	guest_write(d, PCI_BAR0, 4, 0xffffffff);
	CHECK_EQ(guest_read(d, PCI_BAR0, 4), 0xfffe0000);
	guest_write(d, PCI_BAR0 + 4, 4, 0xffffffff);
	CHECK_EQ(guest_read(d, PCI_BAR0 + 4, 4), 0xffffffc1);
	CHECK_EQ(host.map_count, 0);
	/* The host's BARs never change. */
	CHECK_EQ(fake_read(NULL, PCI_BDF(0, 2, 0), PCI_BAR0, 4), 0xc0000000);
	/* Place it, turn memory decoding on: one window to the host BAR. */
	guest_write(d, PCI_BAR0, 4, 0x20000000);
	CHECK_EQ(host.map_count, 0);
	guest_write(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(host.map_count, 1);
	CHECK_EQ(host.maps[0].guest, 0x20000000);
	CHECK_EQ(host.maps[0].host, 0xc0000000);
	CHECK_EQ(host.maps[0].size, 0x20000);
	/* Byte writes inside the BAR merge with the rest: a move. */
	guest_write(d, PCI_BAR0 + 3, 1, 0x30);
	CHECK_EQ(guest_read(d, PCI_BAR0, 4), 0x30000000);
	CHECK_EQ(host.unmap_count, 1);
	CHECK_EQ(host.map_count, 2);
	CHECK_EQ(host.maps[1].guest, 0x30000000);
	/* A move onto guest RAM, a reserved page, or wrapping: refused, unmapped. */
	static const uint32_t refused[] = {0x00100000, 0xfec00000, 0xfee00000, 0x01fe0000};
	for (unsigned i = 0; i < ARRAY_LENGTH(refused); i++) {
		unsigned before = host.map_count;
		guest_write(d, PCI_BAR0, 4, refused[i]);
		CHECK_EQ(host.map_count, before);
		CHECK(!d->bars[0].mapped);
	}
	CHECK_EQ(d->counters.refused, ARRAY_LENGTH(refused));
	/* Decoding off unmaps; on again maps where the register says. */
	guest_write(d, PCI_BAR0, 4, 0x40000000);
	unsigned unmaps = host.unmap_count;
	guest_write(d, PCI_COMMAND, 2, 0);
	CHECK_EQ(host.unmap_count, unmaps + 1);
	CHECK(!d->bars[0].mapped);
	guest_write(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK(d->bars[0].mapped && d->bars[0].mapped_at == 0x40000000);
	passthrough_stop(&vm);
	CHECK(!d->bars[0].mapped);
	CHECK_EQ(fake_read(NULL, PCI_BDF(0, 2, 0), PCI_COMMAND, 2) & PASSTHROUGH_COMMAND_HOST, 0);
}

/* I/O BARs pass the host's ports only where the host decodes them. */
static void test_io_bar(void)
{
	struct passthrough_device *d = add_e1000();
	guest_write(d, PCI_COMMAND, 2, PCI_COMMAND_IO);
	CHECK_EQ(host.ports_passed, 1);
	CHECK_EQ(host.last_port, 0xc040);
	guest_write(d, PCI_BAR0 + 4, 4, 0xd000); /* elsewhere: trapped again */
	CHECK_EQ(host.ports_trapped, 1);
	CHECK(!d->bars[1].mapped);
	guest_write(d, PCI_BAR0 + 4, 4, 0xc040);
	CHECK_EQ(host.ports_passed, 2);
	guest_write(d, PCI_COMMAND, 2, 0);
	CHECK_EQ(host.ports_trapped, 2);
	host.port_refuse = true; /* a port the VM emulates */
	guest_write(d, PCI_COMMAND, 2, PCI_COMMAND_IO);
	CHECK(!d->bars[1].mapped);
	CHECK_EQ(d->counters.refused, 2); /* 0xd000, then the emulated port */
}

/* Two devices: a window may not overlap the other's. 64-bit BAR sizing. */
static void test_two_devices_and_64bit(void)
{
	struct passthrough_device *e = add_e1000();
	struct passthrough_device *w = passthrough_add(&vm, pci_find(&scanned, PCI_BDF(0, 6, 0)));
	CHECK(w != NULL);
	CHECK_EQ(w->guest_slot, PASSTHROUGH_FIRST_SLOT + 1);
	CHECK_EQ(guest_read(w, PCI_BAR0, 4), 0x00000004);
	CHECK_EQ(guest_read(w, PCI_BAR0 + 4, 4), 0x00000008);
	guest_write(w, PCI_BAR0, 4, 0xffffffff);
	guest_write(w, PCI_BAR0 + 4, 4, 0xffffffff);
	CHECK_EQ(guest_read(w, PCI_BAR0, 4), 0xfff80004);
	CHECK_EQ(guest_read(w, PCI_BAR0 + 4, 4), 0xffffffff);
	guest_write(w, PCI_BAR0, 4, 0x20000004);
	guest_write(w, PCI_BAR0 + 4, 4, 0);
	guest_write(e, PCI_BAR0, 4, 0x20040000);
	guest_write(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK(w->bars[0].mapped && w->bars[0].mapped_at == 0x20000000);
	CHECK_EQ(host.maps[0].host, 0x800000000ull);
	guest_write(e, PCI_COMMAND, 2, PCI_COMMAND_MEMORY); /* inside w's 512 KiB */
	CHECK(!e->bars[0].mapped);
	guest_write(e, PCI_BAR0, 4, 0x20080000); /* just after it */
	CHECK(e->bars[0].mapped);
	/* Above 4 GiB through the upper half, and beyond the limit. */
	guest_write(w, PCI_BAR0 + 4, 4, 0x1);
	CHECK(w->bars[0].mapped && w->bars[0].mapped_at == 0x120000000ull);
	guest_write(w, PCI_BAR0 + 4, 4, 0x100);
	CHECK(!w->bars[0].mapped);
	CHECK_EQ(passthrough_add(&vm, pci_find(&scanned, PCI_BDF(0, 2, 0))) != NULL, 1);
	CHECK_EQ(passthrough_add(&vm, pci_find(&scanned, PCI_BDF(0, 2, 0))) != NULL, 1);
	CHECK(passthrough_add(&vm, pci_find(&scanned, PCI_BDF(0, 2, 0))) == NULL); /* full */
}

/* MSI: reads the copy, writes change only the copy, within its fields. */
static void test_msi_and_dropped(void)
{
	struct passthrough_device *d = add_e1000();
	unsigned e = (unsigned)fake_index(PCI_BDF(0, 2, 0));
	guest_write(d, 0xe4 + PCI_MSI_CONTROL, 2, 0xffff);
	CHECK_EQ(guest_read(d, 0xe4 + PCI_MSI_CONTROL, 2),
	         PCI_MSI_CONTROL_64BIT | PCI_MSI_CONTROL_MASKING | 0x0006 | PCI_MSI_CONTROL_ENABLE |
	             PCI_MSI_CONTROL_MME);
	guest_write(d, 0xe4 + PCI_MSI_ADDRESS, 4, 0xfee01003);
	CHECK_EQ(guest_read(d, 0xe4 + PCI_MSI_ADDRESS, 4), 0xfee01000);
	guest_write(d, 0xe4 + 8, 4, 0x12345678);  /* upper address */
	guest_write(d, 0xe4 + 12, 4, 0xffff4041); /* data: 16 bits */
	CHECK_EQ(guest_read(d, 0xe4 + 8, 4), 0x12345678);
	CHECK_EQ(guest_read(d, 0xe4 + 12, 4), 0x4041);
	guest_write(d, 0xe4 + 0x14, 4, 0xffffffff); /* pending: read-only */
	CHECK_EQ(guest_read(d, 0xe4 + 0x14, 4), 0);
	CHECK_EQ(d->counters.msi_writes, 5);
	CHECK_EQ(host.f[e].config[0xe6] & PCI_MSI_CONTROL_ENABLE, 0); /* never on the host */
	CHECK_EQ(host.host_writes_outside, 0);
	/* Status, IDs, class, PM control, ROM: dropped and counted. */
	uint64_t dropped = d->counters.writes_dropped;
	guest_write(d, PCI_STATUS, 2, 0xffff);
	guest_write(d, PCI_VENDOR_ID, 4, 0);
	guest_write(d, PCI_REVISION, 4, 0);
	guest_write(d, 0xdc + PCI_PM_CONTROL, 2, 3); /* D3hot: not forwarded */
	guest_write(d, PCI_EXPANSION_ROM, 4, 0xffffffff);
	CHECK_EQ(d->counters.writes_dropped, dropped + 5);
	CHECK_EQ(guest_read(d, PCI_VENDOR_ID, 2), 0x8086);
	CHECK_EQ(guest_read(d, PCI_EXPANSION_ROM, 4), 0);
	CHECK_EQ(host.host_writes_outside, 0);
	/* The interrupt line is the guest's; the pin is not writable. */
	guest_write(d, PCI_INTERRUPT_LINE, 2, 0x040b);
	CHECK_EQ(guest_read(d, PCI_INTERRUPT_LINE, 2), 0x010b);
	CHECK_EQ(host.f[e].config[PCI_INTERRUPT_LINE], 9);
}

/* The DMA identity window's placement rules (table), then a BAR window
 * refused on top of a placed one. */
static void test_dma_window(void)
{
	static const struct {
		const char *name;
		uint64_t base, size;
		int status;
		const char *why;
	} rows[] = {
	    {"DMA window above guest RAM: placed", 64 * MIB, 2 * MIB, 0, NULL},
	    {"DMA window on guest RAM: refused", 16 * MIB, 2 * MIB, -1, "overlaps guest RAM"},
	    {"DMA window straddling the end of RAM: refused", 31 * MIB, 2 * MIB, -1,
	     "overlaps guest RAM"},
	    {"DMA window not page aligned: refused", 64 * MIB + 8, 2 * MIB, -1, "not page aligned"},
	    {"empty DMA window: refused", 64 * MIB, 0, -1, "is empty"},
	    {"DMA window into the PCI hole: refused", PASSTHROUGH_DMA_LIMIT - MIB, 2 * MIB, -1,
	     "32-bit PCI hole"},
	    {"DMA window on a mapped BAR window: refused", 0x20000000, 2 * MIB, -1, "a BAR window"},
	};
	for (unsigned r = 0; r < ARRAY_LENGTH(rows); r++) {
		test_case_begin(rows[r].name);
		setup();
		struct passthrough_device *d = add_e1000();
		guest_write(d, PCI_BAR0, 4, 0x20000000);
		guest_write(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
		char reason[200] = "";
		CHECK_EQ(
		    passthrough_dma_place(&vm, rows[r].base, rows[r].size, reason, sizeof(reason)),
		    rows[r].status);
		if (rows[r].why)
			CHECK_CONTAINS(reason, rows[r].why);
		else
			CHECK(vm.dma_base == rows[r].base && vm.dma_size == rows[r].size);
		test_case_end();
	}
	test_case_begin("a BAR window moved onto the DMA window: refused");
	setup();
	struct passthrough_device *d = add_e1000();
	char reason[200];
	CHECK_EQ(passthrough_dma_place(&vm, 64 * MIB, 2 * MIB, reason, sizeof(reason)), 0);
	guest_write(d, PCI_BAR0, 4, 64 * MIB);
	guest_write(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK(!d->bars[0].mapped);
	CHECK_EQ(d->counters.refused, 1);
	test_case_end();
}

int main(void)
{
	test_rules();
	test_dma_window();
	test_reads();
	TEST_RUN(test_command);
	TEST_RUN(test_bar_state_machine);
	TEST_RUN(test_io_bar);
	TEST_RUN(test_two_devices_and_64bit);
	TEST_RUN(test_msi_and_dropped);
	return test_summary("test_passthrough");
}
