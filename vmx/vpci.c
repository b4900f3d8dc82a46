/*
 * vmx/vpci.c - PCI configuration mechanism #1 and the per-VM table of
 * virtual functions (see vpci.h).
 *
 * Lock order: none (pure; the caller serializes).
 */
#include "vmx/vpci.h"

#include "kernel/string.h"

#define VPCI_DWORD 4u

static void vpci_put16(uint8_t *bytes, unsigned offset, uint16_t value)
{
	bytes[offset] = (uint8_t)value;
	bytes[offset + 1] = (uint8_t)(value >> 8);
}

struct vpci_function *vpci_find(struct vpci *pci, uint8_t bus, uint8_t devfn)
{
	for (unsigned i = 0; i < VPCI_FUNCTIONS; i++) {
		struct vpci_function *f = &pci->functions[i];
		if (f->present && f->bus == bus && f->devfn == devfn)
			return f;
	}
	return NULL;
}

struct vpci_function *vpci_add_function(struct vpci *pci, uint8_t bus, uint8_t devfn)
{
	if (vpci_find(pci, bus, devfn))
		return NULL;
	for (unsigned i = 0; i < VPCI_FUNCTIONS; i++) {
		struct vpci_function *f = &pci->functions[i];
		if (f->present)
			continue;
		memset(f, 0, sizeof(*f));
		f->present = true;
		f->bus = bus;
		f->devfn = devfn;
		return f;
	}
	return NULL;
}

void vpci_init(struct vpci *pci)
{
	memset(pci, 0, sizeof(*pci));
	struct vpci_function *bridge = vpci_add_function(pci, 0, VPCI_DEVFN(0, 0));
	vpci_put16(bridge->config, VPCI_VENDOR_ID, VPCI_HOST_BRIDGE_VENDOR);
	vpci_put16(bridge->config, VPCI_DEVICE_ID, VPCI_HOST_BRIDGE_DEVICE);
	bridge->config[VPCI_REVISION] = VPCI_HOST_BRIDGE_REVISION;
	bridge->config[VPCI_CLASS_BASE] = VPCI_CLASS_BRIDGE;
	bridge->config[VPCI_CLASS_SUB] = VPCI_SUBCLASS_HOST;
	bridge->config[VPCI_HEADER_TYPE] = VPCI_HEADER_TYPE_NORMAL;
	vpci_put16(bridge->write_mask, VPCI_COMMAND, VPCI_COMMAND_WRITABLE);
	bridge->write_mask[VPCI_CACHE_LINE] = 0xff;
	bridge->write_mask[VPCI_LATENCY] = 0xff;
}

/* A data access at `port` of `size` bytes inside one dword, aligned. */
static bool vpci_data_valid(uint16_t port, unsigned size)
{
	unsigned byte = port - VPCI_DATA_PORT;
	return (size == 1 || size == 2 || size == VPCI_DWORD) && byte + size <= VPCI_DWORD &&
	       !(byte & (size - 1));
}

/* The function and register offset CONFIG_ADDRESS selects for a valid data
 * access; false if the enable bit is clear (no configuration cycle). */
static bool vpci_select(struct vpci *pci, uint16_t port, struct vpci_function **function,
                        unsigned *offset)
{
	unsigned byte = port - VPCI_DATA_PORT;
	if (!(pci->address & VPCI_ADDRESS_ENABLE))
		return false;
	uint8_t bus = (uint8_t)(pci->address >> VPCI_ADDRESS_BUS_SHIFT);
	uint8_t devfn = (uint8_t)(pci->address >> VPCI_ADDRESS_DEVFN_SHIFT);
	*function = vpci_find(pci, bus, devfn);
	*offset = (pci->address & VPCI_ADDRESS_REGISTER) + byte;
	pci->counters.accesses++;
	if (!*function)
		pci->counters.absent++;
	return true;
}

bool vpci_io_read(struct vpci *pci, uint16_t port, unsigned size, uint32_t *value)
{
	*value = size >= VPCI_DWORD ? UINT32_MAX : (1u << (8 * size)) - 1;
	if (port < VPCI_DATA_PORT) {
		if (port == VPCI_ADDRESS_PORT && size == VPCI_DWORD)
			*value = pci->address;
		return true; /* other accesses to 0xcf8-0xcfb: all ones */
	}
	if (!vpci_data_valid(port, size))
		return false;
	struct vpci_function *f;
	unsigned offset;
	if (!vpci_select(pci, port, &f, &offset))
		return true;
	if (!f || (f->hook && f->hook(f, offset, size, false, value)))
		return true;
	uint32_t read = 0;
	for (unsigned i = 0; i < size; i++)
		read |= (uint32_t)f->config[offset + i] << (8 * i);
	*value = read;
	return true;
}

bool vpci_io_write(struct vpci *pci, uint16_t port, unsigned size, uint32_t value)
{
	if (port < VPCI_DATA_PORT) {
		if (port == VPCI_ADDRESS_PORT && size == VPCI_DWORD)
			pci->address = value & VPCI_ADDRESS_MASK;
		return true; /* other accesses to 0xcf8-0xcfb: dropped */
	}
	if (!vpci_data_valid(port, size))
		return false;
	struct vpci_function *f;
	unsigned offset;
	if (!vpci_select(pci, port, &f, &offset))
		return true; /* not a configuration cycle: dropped */
	if (!f || (f->hook && f->hook(f, offset, size, true, &value)))
		return true;
	for (unsigned i = 0; i < size; i++) {
		uint8_t mask = f->write_mask[offset + i];
		uint8_t byte = (uint8_t)(value >> (8 * i));
		f->config[offset + i] = (uint8_t)((f->config[offset + i] & ~mask) | (byte & mask));
	}
	return true;
}
