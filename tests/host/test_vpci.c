/*
 * tests/host/test_vpci.c - host tests of PCI configuration mechanism #1
 * (vmx/vpci.c): CONFIG_ADDRESS (enable bit, reserved bits, dword only),
 * the host bridge's IDs and class through byte/word/dword reads at every
 * offset, absent functions (all ones), read-only fields, the write mask,
 * refused misaligned/crossing accesses, Linux's type-1 probe sequence, an
 * access hook.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vpci.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

#define address_of(bus, device, function, reg)                                                     \
	(VPCI_ADDRESS_ENABLE | (uint32_t)(bus) << 16 | (device) << 11 | (function) << 8 | (reg))

/* Read `size` bytes at `reg` of bus/device/function through the ports. */
static uint32_t config_read(struct vpci *pci, uint32_t address, unsigned size)
{
	uint32_t value = 0;
	CHECK(vpci_io_write(pci, VPCI_ADDRESS_PORT, 4, address & ~3u));
	CHECK(vpci_io_read(pci, (uint16_t)(VPCI_DATA_PORT + (address & 3)), size, &value));
	return value;
}

static void test_reads(void)
{
	static const struct {
		uint32_t address;
		unsigned size;
		uint32_t value;
	} rows[] = {
	    {address_of(0, 0, 0, 0), 4, 0x12378086}, /* vendor, device */
	    {address_of(0, 0, 0, 0), 2, 0x8086},
	    {address_of(0, 0, 0, 2), 2, 0x1237},
	    {address_of(0, 0, 0, 1), 1, 0x80},
	    {address_of(0, 0, 0, 3), 1, 0x12},
	    {address_of(0, 0, 0, 8), 4, 0x06000002}, /* class 06 00 00, revision */
	    {address_of(0, 0, 0, 0xb), 1, 0x06},
	    {address_of(0, 0, 0, 0xa), 2, 0x0600},
	    {address_of(0, 0, 0, 0xe), 1, 0x00}, /* header type 0, single function */
	    {address_of(0, 0, 0, 0x10), 4, 0},   /* no BARs */
	    {address_of(0, 0, 0, 0xfc), 4, 0},
	    {address_of(0, 0, 1, 0), 4, 0xffffffff}, /* absent functions */
	    {address_of(0, 1, 0, 0), 4, 0xffffffff},
	    {address_of(0, 1, 0, 0), 2, 0xffff},
	    {address_of(0, 31, 7, 0xe), 1, 0xff},
	    {address_of(1, 0, 0, 0), 4, 0xffffffff},
	    {address_of(255, 0, 0, 0), 1, 0xff},
	    {address_of(0, 0, 0, 0) & ~VPCI_ADDRESS_ENABLE, 4, 0xffffffff}, /* disabled */
	};
	struct vpci pci;
	vpci_init(&pci);
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		uint32_t got = config_read(&pci, rows[i].address, rows[i].size);
		if (got != rows[i].value)
			fprintf(stderr, "row %u: 0x%x\n", i, got);
		CHECK_EQ(got, rows[i].value);
	}
}

static void test_address_register(void)
{
	static const struct {
		unsigned port, size;
		uint32_t write, read; /* read: CONFIG_ADDRESS after the write */
	} rows[] = {
	    {0xcf8, 4, 0x80000000, 0x80000000},
	    {0xcf8, 4, 0xffffffff, 0x80fffffc}, /* reserved bits read 0 */
	    {0xcf8, 4, 0x00001234, 0x00001234},
	    {0xcfb, 1, 0x01, 0x00001234}, /* byte writes are not CONFIG_ADDRESS */
	    {0xcf8, 2, 0xffff, 0x00001234},
	    {0xcf9, 1, 0x06, 0x00001234}, /* reset control: not offered */
	};
	struct vpci pci;
	vpci_init(&pci);
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		CHECK(vpci_io_write(&pci, (uint16_t)rows[i].port, rows[i].size, rows[i].write));
		uint32_t value = 0;
		CHECK(vpci_io_read(&pci, VPCI_ADDRESS_PORT, 4, &value));
		CHECK_EQ(value, rows[i].read);
	}
	uint32_t value = 0;
	CHECK(vpci_io_read(&pci, 0xcfb, 1, &value));
	CHECK_EQ(value, 0xff);
	CHECK(vpci_io_read(&pci, 0xcf8, 2, &value));
	CHECK_EQ(value, 0xffff);
}

static void test_invalid_data_accesses(void)
{
	static const struct {
		unsigned port, size;
	} rows[] = {{0xcfd, 2}, {0xcfe, 4}, {0xcfd, 4}, {0xcff, 2}, {0xcfc, 3}, {0xcfc, 8}};
	struct vpci pci;
	vpci_init(&pci);
	CHECK(vpci_io_write(&pci, VPCI_ADDRESS_PORT, 4, address_of(0, 0, 0, 0)));
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		uint32_t value = 0;
		CHECK(!vpci_io_read(&pci, (uint16_t)rows[i].port, rows[i].size, &value));
		CHECK(!vpci_io_write(&pci, (uint16_t)rows[i].port, rows[i].size, 0));
	}
}

static void test_writes(void)
{
	static const struct {
		uint32_t address;
		unsigned size;
		uint32_t write, read; /* read: the dword after the write */
	} rows[] = {
	    {address_of(0, 0, 0, 0), 4, 0, 0x12378086},      /* IDs read-only */
	    {address_of(0, 0, 0, 4), 2, 0xffff, 0x00000147}, /* command: writable bits */
	    {address_of(0, 0, 0, 6), 2, 0xffff, 0x00000147}, /* status: read-only */
	    {address_of(0, 0, 0, 4), 1, 0x06, 0x00000106},
	    {address_of(0, 0, 0, 0xc), 4, 0xffffffff, 0x0000ffff}, /* cache line, latency */
	    {address_of(0, 0, 0, 0xd), 1, 0x40, 0x000040ff},
	    {address_of(0, 0, 0, 8), 4, 0, 0x06000002}, /* class read-only */
	    {address_of(0, 0, 0, 0x10), 4, 0xffffffff, 0},
	    {address_of(0, 0, 0, 0x3c), 1, 0x0b, 0},
	    {address_of(0, 2, 0, 0), 4, 0, 0xffffffff}, /* absent: dropped */
	};
	struct vpci pci;
	vpci_init(&pci);
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		CHECK(vpci_io_write(&pci, VPCI_ADDRESS_PORT, 4, rows[i].address & ~3u));
		CHECK(vpci_io_write(&pci, (uint16_t)(VPCI_DATA_PORT + (rows[i].address & 3)),
		                    rows[i].size, rows[i].write));
		CHECK_EQ(config_read(&pci, rows[i].address & ~3u, 4), rows[i].read);
	}
}

/* arch/x86/pci/direct.c, pci_check_type1() and pci_sanity_check(). */
static void test_linux_probe(void)
{
	struct vpci pci;
	vpci_init(&pci);
	uint32_t saved = 0, value = 0;
	CHECK(vpci_io_write(&pci, 0xcfb, 1, 0x01));
	CHECK(vpci_io_read(&pci, 0xcf8, 4, &saved));
	CHECK(vpci_io_write(&pci, 0xcf8, 4, 0x80000000));
	CHECK(vpci_io_read(&pci, 0xcf8, 4, &value));
	CHECK_EQ(value, 0x80000000);
	CHECK_EQ(config_read(&pci, address_of(0, 0, 0, 0xa), 2), 0x0600); /* host bridge */
	CHECK_EQ(config_read(&pci, address_of(0, 0, 0, 0), 2), 0x8086);
	CHECK(vpci_io_write(&pci, 0xcf8, 4, saved));
	CHECK(pci.counters.accesses >= 2);
}

static unsigned hook_calls;
static bool test_hook(struct vpci_function *function, unsigned offset, unsigned size, bool write,
                      uint32_t *value)
{
	(void)function;
	hook_calls++;
	if (offset == VPCI_INTERRUPT_LINE && size == 1) {
		if (!write)
			*value = 0x0b;
		return true;
	}
	return false;
}

static void test_table(void)
{
	struct vpci pci;
	vpci_init(&pci);
	CHECK(vpci_find(&pci, 0, 0) != NULL);
	CHECK(vpci_add_function(&pci, 0, 0) == NULL); /* exists */
	struct vpci_function *f = vpci_add_function(&pci, 0, VPCI_DEVFN(3, 0));
	CHECK(f != NULL);
	f->config[VPCI_VENDOR_ID] = 0x34;
	f->config[VPCI_VENDOR_ID + 1] = 0x12;
	f->write_mask[VPCI_INTERRUPT_LINE] = 0xff;
	f->hook = test_hook;
	CHECK_EQ(config_read(&pci, address_of(0, 3, 0, 0), 2), 0x1234);
	CHECK_EQ(config_read(&pci, address_of(0, 3, 0, 0x3c), 1), 0x0b);
	CHECK_EQ(hook_calls, 2);
	unsigned added = 2;
	while (vpci_add_function(&pci, 0, VPCI_DEVFN(4 + added, 0)))
		added++;
	CHECK_EQ(added, VPCI_FUNCTIONS);
}

int main(void)
{
	TEST_RUN(test_reads);
	TEST_RUN(test_address_register);
	TEST_RUN(test_invalid_data_accesses);
	TEST_RUN(test_writes);
	TEST_RUN(test_linux_probe);
	TEST_RUN(test_table);
	return test_summary("test_vpci");
}
