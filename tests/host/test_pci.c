/*
 * tests/host/test_pci.c - host tests of the PCI scan (arch/x86/pci.c) on
 * recorded configuration-space images: an i440FX host bridge, a PIIX3
 * (ISA bridge and IDE, multi-function), an e1000 (82540EM: BAR0 128 KiB
 * memory, BAR1 64 I/O ports, PM capability), a multi-function 82599 with
 * 64-bit BARs and PM/MSI/MSI-X capabilities, a PCI-PCI bridge with a
 * device behind it, a single-function device that aliases function 1, and
 * three broken capability lists (a loop, a misaligned pointer, a pointer
 * into the header): rejected, never followed forever. Also: every BAR and
 * command register is as before the scan, no BAR was written while
 * decoding was on, the PCI line's exact text, and the reserved-function rule.
 *
 * Lock order: none (single-threaded).
 */
#include "arch/x86/pci.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define FAKE_FUNCTIONS  16

struct fake_function {
	pci_bdf bdf;
	uint8_t config[PCI_CONFIG_SIZE];
	uint32_t bar_mask[PCI_BARS]; /* writable bits of each BAR dword */
};

struct fake_bus {
	struct fake_function functions[FAKE_FUNCTIONS];
	unsigned count;
	unsigned bar_writes_decoding; /* BAR writes with I/O or memory decoding on */
	unsigned reads;
};

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

static struct fake_function *fake_find(struct fake_bus *bus, pci_bdf bdf)
{
	for (unsigned i = 0; i < bus->count; i++)
		if (bus->functions[i].bdf == bdf)
			return &bus->functions[i];
	return NULL;
}

static uint32_t fake_read(void *context, pci_bdf bdf, unsigned offset, unsigned size)
{
	struct fake_bus *bus = context;
	bus->reads++;
	struct fake_function *f = fake_find(bus, bdf);
	if (!f)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)f->config[offset + i] << (8 * i);
	return v;
}

static void fake_write(void *context, pci_bdf bdf, unsigned offset, unsigned size, uint32_t value)
{
	struct fake_bus *bus = context;
	struct fake_function *f = fake_find(bus, bdf);
	if (!f)
		return;
	if (offset == PCI_COMMAND && size >= 2) {
		put16(f->config, PCI_COMMAND, (uint16_t)value);
		return;
	}
	if (offset >= PCI_BAR0 && offset < PCI_BAR_END && size == 4) {
		unsigned index = (offset - PCI_BAR0) / 4;
		uint32_t old = fake_read(bus, bdf, offset, 4);
		uint32_t mask = f->bar_mask[index];
		if (f->config[PCI_COMMAND] & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
			bus->bar_writes_decoding++;
		put32(f->config, offset, (old & ~mask) | (value & mask));
	}
}

/* A function with IDs, class, revision and header type. */
static struct fake_function *fake_add(struct fake_bus *bus, pci_bdf bdf, uint16_t vendor,
                                      uint16_t device, uint32_t class_code, uint8_t revision,
                                      uint8_t header)
{
	struct fake_function *f = &bus->functions[bus->count++];
	memset(f, 0, sizeof(*f));
	f->bdf = bdf;
	put16(f->config, PCI_VENDOR_ID, vendor);
	put16(f->config, PCI_DEVICE_ID, device);
	put32(f->config, PCI_REVISION, class_code << 8 | revision);
	f->config[PCI_HEADER_TYPE] = header;
	return f;
}

static void fake_bar(struct fake_function *f, unsigned index, uint32_t value, uint32_t mask)
{
	put32(f->config, PCI_BAR0 + 4 * index, value);
	f->bar_mask[index] = mask;
}

/* A capability at `at`: id, next, and the status bit / pointer for the first. */
static void fake_capability(struct fake_function *f, uint8_t at, uint8_t id, uint8_t next)
{
	f->config[at] = id;
	f->config[at + 1] = next;
}

static void fake_capabilities(struct fake_function *f, uint8_t first)
{
	put16(f->config, PCI_STATUS, PCI_STATUS_CAPABILITIES);
	f->config[PCI_CAPABILITY_POINTER] = first;
}

static void fake_build(struct fake_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	/* i440FX host bridge. */
	fake_add(bus, PCI_BDF(0, 0, 0), 0x8086, 0x1237, 0x060000, 0x02, 0x00);
	/* PIIX3: ISA bridge (multi-function) and IDE with BAR4 = 16 I/O ports. */
	fake_add(bus, PCI_BDF(0, 1, 0), 0x8086, 0x7000, 0x060100, 0x00, 0x80);
	struct fake_function *ide = fake_add(bus, PCI_BDF(0, 1, 1), 0x8086, 0x7010, 0x010180, 0, 0);
	fake_bar(ide, 4, 0xc041, 0xfffffff0);
	put16(ide->config, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	/* e1000 (82540EM): decoding and bus mastering on, as firmware leaves it. */
	struct fake_function *e1000 =
	    fake_add(bus, PCI_BDF(0, 2, 0), 0x8086, 0x100e, 0x020000, 0x03, 0x00);
	fake_bar(e1000, 0, 0xfebc0000, 0xfffe0000);
	fake_bar(e1000, 1, 0xc001, 0xffffffc0);
	put16(e1000->config, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	e1000->config[PCI_INTERRUPT_LINE] = 11;
	e1000->config[PCI_INTERRUPT_PIN] = 1;
	fake_capabilities(e1000, 0xdc);
	fake_capability(e1000, 0xdc, PCI_CAPABILITY_PM, 0);
	/* 82599, two functions: BAR0 64-bit 512 KiB above 4 GiB, BAR2 32 I/O
	 * ports, BAR4 64-bit prefetchable 16 KiB; PM -> MSI -> MSI-X -> PCIe. */
	for (unsigned fn = 0; fn < 2; fn++) {
		struct fake_function *x = fake_add(bus, PCI_BDF(0, 4, fn), 0x8086, 0x10fb, 0x020000,
		                                   0x01, fn ? 0x00 : 0x80);
		fake_bar(x, 0, 0x00000004, 0xfff80000);
		fake_bar(x, 1, 0x00000008 + fn, 0xffffffff);
		fake_bar(x, 2, 0xe001 + 0x20 * fn, 0xffffffe0);
		fake_bar(x, 4, 0xf000000c + 0x4000 * fn, 0xffffc000);
		fake_bar(x, 5, 0, 0xffffffff);
		put16(x->config, PCI_COMMAND, PCI_COMMAND_MEMORY);
		x->config[PCI_INTERRUPT_LINE] = 10;
		x->config[PCI_INTERRUPT_PIN] = (uint8_t)(1 + fn);
		fake_capabilities(x, 0x40);
		fake_capability(x, 0x40, PCI_CAPABILITY_PM, 0x50);
		fake_capability(x, 0x50, PCI_CAPABILITY_MSI, 0x70);
		fake_capability(x, 0x70, PCI_CAPABILITY_MSIX, 0xa0);
		fake_capability(x, 0xa0, 0x10, 0x00);
	}
	/* A PCI-PCI bridge to bus 1, and an RTL8139 behind it. */
	struct fake_function *bridge =
	    fake_add(bus, PCI_BDF(0, 5, 0), 0x8086, 0x244e, 0x060400, 0xd9, PCI_HEADER_BRIDGE);
	bridge->config[PCI_BRIDGE_SECONDARY] = 1;
	bridge->config[PCI_BRIDGE_SUBORDINATE] = 1;
	struct fake_function *rtl =
	    fake_add(bus, PCI_BDF(1, 0, 0), 0x10ec, 0x8139, 0x020000, 0x10, 0);
	fake_bar(rtl, 0, 0xd001, 0xffffff00);
	fake_bar(rtl, 1, 0xfe000000, 0xffffff00);
	/* Broken capability lists: a loop, a misaligned pointer, a pointer into
	 * the header. */
	struct fake_function *loop =
	    fake_add(bus, PCI_BDF(0, 6, 0), 0x1af4, 0x1000, 0x020000, 0, 0);
	fake_capabilities(loop, 0x40);
	fake_capability(loop, 0x40, PCI_CAPABILITY_MSI, 0x50);
	fake_capability(loop, 0x50, 0x09, 0x40);
	struct fake_function *odd = fake_add(bus, PCI_BDF(0, 7, 0), 0x1af4, 0x1001, 0x020000, 0, 0);
	fake_capabilities(odd, 0x41);
	struct fake_function *low = fake_add(bus, PCI_BDF(0, 8, 0), 0x1af4, 0x1002, 0x020000, 0, 0);
	fake_capabilities(low, 0x40);
	fake_capability(low, 0x40, PCI_CAPABILITY_PM, 0x10);
	/* Single-function device 9 that answers on function 1 too (aliasing). */
	fake_add(bus, PCI_BDF(0, 9, 0), 0x1234, 0x1111, 0x030000, 0x02, 0x00);
	fake_add(bus, PCI_BDF(0, 9, 1), 0x1234, 0x1111, 0x030000, 0x02, 0x00);
}

static struct fake_bus bus;
static struct pci_scan_result result;

static void scan(void)
{
	fake_build(&bus);
	struct pci_access access = {fake_read, fake_write, &bus};
	pci_scan(&result, &access);
}

static void test_found(void)
{
	static const pci_bdf expected[] = {
	    PCI_BDF(0, 0, 0), PCI_BDF(0, 1, 0), PCI_BDF(0, 1, 1), PCI_BDF(0, 2, 0),
	    PCI_BDF(0, 4, 0), PCI_BDF(0, 4, 1), PCI_BDF(0, 5, 0), PCI_BDF(0, 6, 0),
	    PCI_BDF(0, 7, 0), PCI_BDF(0, 8, 0), PCI_BDF(0, 9, 0), PCI_BDF(1, 0, 0),
	};
	scan();
	CHECK_EQ(result.count, ARRAY_LENGTH(expected));
	CHECK_EQ(result.buses, 2);
	CHECK_EQ(result.dropped, 0);
	for (unsigned i = 0; i < ARRAY_LENGTH(expected) && i < result.count; i++)
		CHECK_EQ(result.functions[i].bdf, expected[i]);
	CHECK(pci_find(&result, PCI_BDF(0, 9, 1)) == NULL); /* not multi-function */
	CHECK(pci_find(&result, PCI_BDF(0, 3, 0)) == NULL);
}

/* The scan left every image as it found it and sized with decoding off. */
static void test_restored(void)
{
	struct fake_bus before;
	fake_build(&before);
	scan();
	for (unsigned i = 0; i < bus.count; i++)
		CHECK(memcmp(bus.functions[i].config, before.functions[i].config,
		             PCI_CONFIG_SIZE) == 0);
	CHECK_EQ(bus.bar_writes_decoding, 0);
}

static void test_functions(void)
{
	static const struct {
		pci_bdf bdf;
		uint16_t vendor, device;
		uint32_t class_code;
		uint8_t header, line, pin, msi, msix, pm;
		bool broken, multifunction;
		const char *why;
	} rows[] = {
	    {PCI_BDF(0, 0, 0), 0x8086, 0x1237, 0x060000, 0, 0, 0, 0, 0, 0, false, false, NULL},
	    {PCI_BDF(0, 1, 0), 0x8086, 0x7000, 0x060100, 0, 0, 0, 0, 0, 0, false, true, NULL},
	    {PCI_BDF(0, 2, 0), 0x8086, 0x100e, 0x020000, 0, 11, 1, 0, 0, 0xdc, false, false, NULL},
	    {PCI_BDF(0, 4, 0), 0x8086, 0x10fb, 0x020000, 0, 10, 1, 0x50, 0x70, 0x40, false, true,
	     NULL},
	    {PCI_BDF(0, 4, 1), 0x8086, 0x10fb, 0x020000, 0, 10, 2, 0x50, 0x70, 0x40, false, false,
	     NULL},
	    {PCI_BDF(0, 5, 0), 0x8086, 0x244e, 0x060400, 1, 0, 0, 0, 0, 0, false, false, NULL},
	    {PCI_BDF(0, 6, 0), 0x1af4, 0x1000, 0x020000, 0, 0, 0, 0, 0, 0, true, false, "loop"},
	    {PCI_BDF(0, 7, 0), 0x1af4, 0x1001, 0x020000, 0, 0, 0, 0, 0, 0, true, false,
	     "misaligned"},
	    {PCI_BDF(0, 8, 0), 0x1af4, 0x1002, 0x020000, 0, 0, 0, 0, 0, 0, true, false,
	     "in-header"},
	};
	scan();
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		char name[32];
		snprintf(name, sizeof(name), "function row %u", i);
		test_case_begin(name);
		const struct pci_function *f = pci_find(&result, rows[i].bdf);
		CHECK(f != NULL);
		if (f) {
			CHECK_EQ(f->vendor, rows[i].vendor);
			CHECK_EQ(f->device, rows[i].device);
			CHECK_EQ(f->class_code, rows[i].class_code);
			CHECK_EQ(f->header_type, rows[i].header);
			CHECK_EQ(f->interrupt_line, rows[i].line);
			CHECK_EQ(f->interrupt_pin, rows[i].pin);
			CHECK_EQ(f->capability_msi, rows[i].msi);
			CHECK_EQ(f->capability_msix, rows[i].msix);
			CHECK_EQ(f->capability_pm, rows[i].pm);
			CHECK_EQ(f->capabilities_broken, rows[i].broken);
			CHECK_EQ(f->multifunction, rows[i].multifunction);
			if (rows[i].why)
				CHECK_STR(f->broken_why, rows[i].why);
		}
		test_case_end();
	}
}

static void test_bars(void)
{
	static const struct {
		pci_bdf bdf;
		unsigned index;
		enum pci_bar_kind kind;
		bool prefetchable;
		uint64_t base, size;
	} rows[] = {
	    {PCI_BDF(0, 1, 1), 4, PCI_BAR_IO, false, 0xc040, 16},
	    {PCI_BDF(0, 1, 1), 0, PCI_BAR_NONE, false, 0, 0},
	    {PCI_BDF(0, 2, 0), 0, PCI_BAR_MEMORY32, false, 0xfebc0000, 0x20000},
	    {PCI_BDF(0, 2, 0), 1, PCI_BAR_IO, false, 0xc000, 64},
	    {PCI_BDF(0, 2, 0), 2, PCI_BAR_NONE, false, 0, 0},
	    {PCI_BDF(0, 4, 0), 0, PCI_BAR_MEMORY64, false, 0x800000000ull, 0x80000},
	    {PCI_BDF(0, 4, 0), 1, PCI_BAR_NONE, false, 0, 0}, /* BAR0's upper half */
	    {PCI_BDF(0, 4, 0), 2, PCI_BAR_IO, false, 0xe000, 32},
	    {PCI_BDF(0, 4, 0), 4, PCI_BAR_MEMORY64, true, 0xf0000000, 0x4000},
	    {PCI_BDF(0, 4, 1), 0, PCI_BAR_MEMORY64, false, 0x900000000ull, 0x80000},
	    {PCI_BDF(0, 4, 1), 4, PCI_BAR_MEMORY64, true, 0xf0004000, 0x4000},
	    {PCI_BDF(1, 0, 0), 0, PCI_BAR_IO, false, 0xd000, 256},
	    {PCI_BDF(1, 0, 0), 1, PCI_BAR_MEMORY32, false, 0xfe000000, 256},
	};
	scan();
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		char name[32];
		snprintf(name, sizeof(name), "BAR row %u", i);
		test_case_begin(name);
		const struct pci_function *f = pci_find(&result, rows[i].bdf);
		CHECK(f != NULL);
		if (f) {
			const struct pci_bar *bar = &f->bars[rows[i].index];
			CHECK_EQ(bar->kind, rows[i].kind);
			CHECK_EQ(bar->prefetchable, rows[i].prefetchable);
			CHECK_EQ(bar->base, rows[i].base);
			CHECK_EQ(bar->size, rows[i].size);
		}
		test_case_end();
	}
	const struct pci_function *bridge = pci_find(&result, PCI_BDF(0, 5, 0));
	CHECK(bridge && bridge->bar_count == PCI_BRIDGE_BARS && bridge->secondary_bus == 1);
}

static void test_format(void)
{
	static const struct {
		pci_bdf bdf;
		const char *line;
	} rows[] = {
	    {PCI_BDF(0, 2, 0),
	     "PCI bdf=00:02.0 vendor=0x8086 device=0x100e class=0x020000 "
	     "bars=0:mem32:0xfebc0000:0x20000,1:io:0xc000:0x40 irq=11 msi=no rev=0x03 header=0 "
	     "pin=A msix=no pm=yes caps=1"},
	    {PCI_BDF(0, 0, 0), "PCI bdf=00:00.0 vendor=0x8086 device=0x1237 class=0x060000 "
	                       "bars=none irq=none msi=no rev=0x02 header=0 pin=- msix=no pm=no "
	                       "caps=0"},
	    {PCI_BDF(0, 4, 0),
	     "PCI bdf=00:04.0 vendor=0x8086 device=0x10fb class=0x020000 "
	     "bars=0:mem64:0x800000000:0x80000,2:io:0xe000:0x20,4:mem64p:0xf0000000:0x4000 "
	     "irq=10 msi=yes rev=0x01 header=0 pin=A msix=yes pm=yes caps=4"},
	    {PCI_BDF(0, 6, 0), "PCI bdf=00:06.0 vendor=0x1af4 device=0x1000 class=0x020000 "
	                       "bars=none irq=none msi=no rev=0x00 header=0 pin=- msix=no pm=no "
	                       "caps=2 caps_broken=loop@0x40"},
	    {PCI_BDF(0, 5, 0), "PCI bdf=00:05.0 vendor=0x8086 device=0x244e class=0x060400 "
	                       "bars=none irq=none msi=no rev=0xd9 header=1 pin=- msix=no pm=no "
	                       "caps=0 secondary=01 subordinate=01"},
	};
	scan();
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		char name[32], line[400];
		snprintf(name, sizeof(name), "format row %u", i);
		test_case_begin(name);
		const struct pci_function *f = pci_find(&result, rows[i].bdf);
		CHECK(f != NULL);
		if (f) {
			pci_format_function(f, line, sizeof(line));
			CHECK_STR(line, rows[i].line);
		}
		test_case_end();
	}
}

static void test_reserved(void)
{
	static const struct {
		pci_bdf bdf;
		bool reserved, bridge;
	} rows[] = {
	    {PCI_BDF(0, 0, 0), true, true},   {PCI_BDF(0, 1, 0), true, true},
	    {PCI_BDF(0, 1, 1), true, false},  {PCI_BDF(0, 2, 0), false, false},
	    {PCI_BDF(0, 4, 1), false, false}, {PCI_BDF(0, 5, 0), false, true},
	    {PCI_BDF(1, 0, 0), false, false},
	};
	scan();
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		char name[32];
		snprintf(name, sizeof(name), "reserved row %u", i);
		test_case_begin(name);
		const struct pci_function *f = pci_find(&result, rows[i].bdf);
		CHECK(f != NULL);
		if (f) {
			CHECK_EQ(pci_reserved_reason(&result, f) != NULL, rows[i].reserved);
			CHECK_EQ(pci_is_bridge(f), rows[i].bridge);
		}
		test_case_end();
	}
}

/* Sixteen multi-function devices whose functions 1-7 are absent: only
 * function 0 of each is kept. */
static void test_dropped(void)
{
	static struct fake_bus many;
	memset(&many, 0, sizeof(many));
	for (unsigned d = 0; d < FAKE_FUNCTIONS; d++) {
		struct fake_function *f =
		    fake_add(&many, PCI_BDF(0, d, 0), 0x8086, 0x100e, 0x020000, 0, 0x80);
		(void)f;
	}
	struct pci_access access = {fake_read, fake_write, &many};
	static struct pci_scan_result r;
	pci_scan(&r, &access);
	CHECK_EQ(r.count, FAKE_FUNCTIONS);
	CHECK_EQ(r.dropped, 0);
}

int main(void)
{
	TEST_RUN(test_found);
	TEST_RUN(test_restored);
	test_functions();
	test_bars();
	test_format();
	test_reserved();
	TEST_RUN(test_dropped);
	return test_summary("test_pci");
}
