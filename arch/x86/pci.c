/*
 * arch/x86/pci.c - the PCI bus scan, BAR sizing and capability walk on a
 * configuration space behind an accessor (see pci.h).
 *
 * Lock order: none (pure; the accessor serializes the hardware).
 */
#include "arch/x86/pci.h"

#include "kernel/string.h"

#define PCI_ALL_ONES    0xffffffffu
#define PCI_UPPER_SHIFT 32
#define PCI_BAR_STRIDE  4u
#define PCI_CLASS_SHIFT 8
#define PCI_DWORD_SLOTS (PCI_CONFIG_SIZE / 4u)
#define PCI_SLOT_WORD   64u                   /* visited-slot bits per word */
#define PCI_PIN_MAX     4u                    /* INTA..INTD */
#define PCI_HIGH_ONES   0xffffffff00000000ull /* a 32-bit BAR's mask, widened */
#define PCI_TOP_BIT     63
#define PCI_BAR_TEXT    48 /* \",5:mem64p:0x...:0x...\" at most */

static uint32_t pci_read(const struct pci_access *a, pci_bdf bdf, unsigned offset, unsigned size)
{
	return a->read(a->context, bdf, offset, size);
}

static void pci_write(const struct pci_access *a, pci_bdf bdf, unsigned offset, unsigned size,
                      uint32_t value)
{
	a->write(a->context, bdf, offset, size, value);
}

/* Size one BAR dword pair: write all ones, read the mask back, restore. */
static uint32_t pci_bar_mask(const struct pci_access *a, pci_bdf bdf, unsigned offset,
                             uint32_t original)
{
	pci_write(a, bdf, offset, 4, PCI_ALL_ONES);
	uint32_t mask = pci_read(a, bdf, offset, 4);
	pci_write(a, bdf, offset, 4, original);
	return mask;
}

/* BAR `index`; returns how many BAR slots it took (2 for a 64-bit one). */
static unsigned pci_size_bar(const struct pci_access *a, pci_bdf bdf, unsigned index,
                             unsigned count, struct pci_bar *bar)
{
	unsigned offset = PCI_BAR0 + index * PCI_BAR_STRIDE;
	uint32_t original = pci_read(a, bdf, offset, 4);
	uint32_t mask = pci_bar_mask(a, bdf, offset, original);
	*bar = (struct pci_bar){PCI_BAR_NONE, false, 0, 0};
	if (original & PCI_BAR_SPACE_IO) {
		uint32_t size_mask = mask & PCI_BAR_IO_MASK;
		if (!size_mask)
			return 1;
		if (!(size_mask & PCI_BAR_IO_16BIT_HIGH))
			size_mask |= PCI_BAR_IO_16BIT_HIGH;
		*bar = (struct pci_bar){PCI_BAR_IO, false, original & PCI_BAR_IO_MASK,
		                        (uint32_t)(~size_mask + 1)};
		return 1;
	}
	uint32_t type = original & PCI_BAR_MEMORY_TYPE;
	bool prefetchable = (original & PCI_BAR_PREFETCHABLE) != 0;
	uint64_t base = original & PCI_BAR_MEMORY_MASK;
	uint64_t size_mask = (uint64_t)(mask & PCI_BAR_MEMORY_MASK) | PCI_HIGH_ONES;
	unsigned used = 1;
	if (type == PCI_BAR_MEMORY_TYPE_64) {
		if (index + 1 >= count)
			return 1; /* a 64-bit BAR in the last slot: not a BAR */
		uint32_t high = pci_read(a, bdf, offset + PCI_BAR_STRIDE, 4);
		uint32_t high_mask = pci_bar_mask(a, bdf, offset + PCI_BAR_STRIDE, high);
		base |= (uint64_t)high << PCI_UPPER_SHIFT;
		size_mask = (uint64_t)high_mask << PCI_UPPER_SHIFT | (mask & PCI_BAR_MEMORY_MASK);
		used = 2;
	} else if (type != PCI_BAR_MEMORY_TYPE_32) {
		return 1; /* "below 1 MiB" and the reserved type: not offered */
	}
	uint64_t implemented =
	    type == PCI_BAR_MEMORY_TYPE_64 ? size_mask : (uint64_t)(mask & PCI_BAR_MEMORY_MASK);
	if (!implemented || !(size_mask >> PCI_TOP_BIT))
		return used; /* unimplemented, or a mask without its top bit */
	*bar =
	    (struct pci_bar){type == PCI_BAR_MEMORY_TYPE_64 ? PCI_BAR_MEMORY64 : PCI_BAR_MEMORY32,
	                     prefetchable, base, ~size_mask + 1};
	return used;
}

/* Every BAR of the header, with I/O and memory decoding off meanwhile. */
static void pci_size_bars(struct pci_function *f, const struct pci_access *a)
{
	uint16_t command = (uint16_t)pci_read(a, f->bdf, PCI_COMMAND, 2);
	if (command & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
		pci_write(a, f->bdf, PCI_COMMAND, 2,
		          command & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < f->bar_count;)
		i += pci_size_bar(a, f->bdf, i, f->bar_count, &f->bars[i]);
	if (command & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
		pci_write(a, f->bdf, PCI_COMMAND, 2, command);
}

static void pci_capabilities_broken(struct pci_function *f, uint8_t at, const char *why)
{
	f->capabilities_broken = true;
	f->broken_at = at;
	f->broken_why = why;
	f->capability_msi = f->capability_msix = f->capability_pm = 0;
}

/* Walk the capability list: bounded, aligned, out of the header, no loop. */
static void pci_walk_capabilities(struct pci_function *f, const struct pci_access *a)
{
	if (!(pci_read(a, f->bdf, PCI_STATUS, 2) & PCI_STATUS_CAPABILITIES))
		return;
	unsigned pointer_offset =
	    f->header_type == PCI_HEADER_CARDBUS ? PCI_CARDBUS_CAPABILITY : PCI_CAPABILITY_POINTER;
	uint8_t at = (uint8_t)pci_read(a, f->bdf, pointer_offset, 1);
	uint64_t seen[PCI_DWORD_SLOTS / PCI_SLOT_WORD] = {0};
	for (unsigned steps = 0; at; steps++) {
		if (steps >= PCI_CAPABILITY_WALK_MAX)
			return pci_capabilities_broken(f, at, "too-long");
		if (at & PCI_CAPABILITY_ALIGN)
			return pci_capabilities_broken(f, at, "misaligned");
		if (at < PCI_DEVICE_SPECIFIC)
			return pci_capabilities_broken(f, at, "in-header");
		unsigned slot = at / 4u;
		if (seen[slot / PCI_SLOT_WORD] & (1ull << (slot % PCI_SLOT_WORD)))
			return pci_capabilities_broken(f, at, "loop");
		seen[slot / PCI_SLOT_WORD] |= 1ull << (slot % PCI_SLOT_WORD);
		uint8_t id = (uint8_t)pci_read(a, f->bdf, at + PCI_CAPABILITY_ID, 1);
		uint8_t next = (uint8_t)pci_read(a, f->bdf, at + PCI_CAPABILITY_NEXT, 1);
		if (id == PCI_CAPABILITY_MSI && !f->capability_msi)
			f->capability_msi = at;
		else if (id == PCI_CAPABILITY_MSIX && !f->capability_msix)
			f->capability_msix = at;
		else if (id == PCI_CAPABILITY_PM && !f->capability_pm)
			f->capability_pm = at;
		f->capability_count++;
		at = next;
	}
}

void pci_probe_function(struct pci_function *f, const struct pci_access *a, pci_bdf bdf)
{
	memset(f, 0, sizeof(*f));
	f->bdf = bdf;
	f->vendor = (uint16_t)pci_read(a, bdf, PCI_VENDOR_ID, 2);
	f->device = (uint16_t)pci_read(a, bdf, PCI_DEVICE_ID, 2);
	uint32_t class_revision = pci_read(a, bdf, PCI_REVISION, 4);
	f->revision = (uint8_t)class_revision;
	f->class_code = class_revision >> PCI_CLASS_SHIFT;
	uint8_t header = (uint8_t)pci_read(a, bdf, PCI_HEADER_TYPE, 1);
	f->header_type = header & PCI_HEADER_TYPE_MASK;
	f->multifunction = (header & PCI_HEADER_MULTIFUNC) != 0;
	f->interrupt_line = (uint8_t)pci_read(a, bdf, PCI_INTERRUPT_LINE, 1);
	f->interrupt_pin = (uint8_t)pci_read(a, bdf, PCI_INTERRUPT_PIN, 1);
	f->bar_count = f->header_type == PCI_HEADER_NORMAL   ? PCI_BARS
	               : f->header_type == PCI_HEADER_BRIDGE ? PCI_BRIDGE_BARS
	                                                     : 0;
	if (f->header_type == PCI_HEADER_BRIDGE) {
		f->secondary_bus = (uint8_t)pci_read(a, bdf, PCI_BRIDGE_SECONDARY, 1);
		f->subordinate_bus = (uint8_t)pci_read(a, bdf, PCI_BRIDGE_SUBORDINATE, 1);
	}
	pci_size_bars(f, a);
	pci_walk_capabilities(f, a);
}

/* One function found: probe it into the table (or count it dropped). */
static struct pci_function *pci_add(struct pci_scan_result *r, const struct pci_access *a,
                                    pci_bdf bdf)
{
	if (r->count >= PCI_MAX_FUNCTIONS) {
		r->dropped++;
		return NULL;
	}
	struct pci_function *f = &r->functions[r->count++];
	pci_probe_function(f, a, bdf);
	return f;
}

void pci_scan(struct pci_scan_result *r, const struct pci_access *a)
{
	memset(r, 0, sizeof(*r));
	uint8_t queue[PCI_BUSES];
	bool queued[PCI_BUSES] = {false};
	unsigned head = 0, tail = 0;
	queue[tail++] = 0;
	queued[0] = true;
	while (head < tail) {
		uint8_t bus = queue[head++];
		r->buses++;
		for (unsigned device = 0; device < PCI_DEVICES; device++) {
			unsigned functions = 1;
			for (unsigned function = 0; function < functions; function++) {
				pci_bdf bdf = PCI_BDF(bus, device, function);
				if (pci_read(a, bdf, PCI_VENDOR_ID, 2) == PCI_VENDOR_NONE)
					continue;
				if (function == 0 &&
				    (pci_read(a, bdf, PCI_HEADER_TYPE, 1) & PCI_HEADER_MULTIFUNC))
					functions = PCI_FUNCTIONS;
				struct pci_function *f = pci_add(r, a, bdf);
				if (f && f->header_type == PCI_HEADER_BRIDGE &&
				    f->secondary_bus > bus && !queued[f->secondary_bus]) {
					queued[f->secondary_bus] = true;
					queue[tail++] = f->secondary_bus;
				}
			}
		}
	}
}

const struct pci_function *pci_find(const struct pci_scan_result *r, pci_bdf bdf)
{
	for (unsigned i = 0; i < r->count; i++)
		if (r->functions[i].bdf == bdf)
			return &r->functions[i];
	return NULL;
}

bool pci_is_bridge(const struct pci_function *f)
{
	return f->header_type != PCI_HEADER_NORMAL ||
	       PCI_CLASS_BASE(f->class_code) == PCI_CLASS_BRIDGE;
}

static const char *pci_bar_kind_name(const struct pci_bar *bar)
{
	switch (bar->kind) {
	case PCI_BAR_IO:
		return "io";
	case PCI_BAR_MEMORY32:
		return bar->prefetchable ? "mem32p" : "mem32";
	case PCI_BAR_MEMORY64:
		return bar->prefetchable ? "mem64p" : "mem64";
	default:
		return "none";
	}
}

/* "0:mem32:0xfebc0000:0x20000,1:io:0xc000:0x40", or "none". */
static size_t pci_format_bars(const struct pci_function *f, char *buffer, size_t size)
{
	size_t n = 0;
	for (unsigned i = 0; i < f->bar_count && n < size; i++) {
		const struct pci_bar *bar = &f->bars[i];
		if (bar->kind == PCI_BAR_NONE)
			continue;
		n += (size_t)format_string(buffer + n, size - n, "%s%u:%s:0x%llx:0x%llx",
		                           n ? "," : "", i, pci_bar_kind_name(bar),
		                           (unsigned long long)bar->base,
		                           (unsigned long long)bar->size);
	}
	if (!n && size)
		n = (size_t)format_string(buffer, size, "none");
	return n;
}

size_t pci_format_function(const struct pci_function *f, char *buffer, size_t size)
{
	char bars[PCI_BARS * PCI_BAR_TEXT], irq[8];
	pci_format_bars(f, bars, sizeof(bars));
	if (f->interrupt_pin && f->interrupt_pin <= PCI_PIN_MAX)
		format_string(irq, sizeof(irq), "%u", f->interrupt_line);
	else
		format_string(irq, sizeof(irq), "none");
	int n = format_string(
	    buffer, size,
	    "PCI bdf=%02x:%02x.%x vendor=0x%04x device=0x%04x class=0x%06x bars=%s irq=%s "
	    "msi=%s rev=0x%02x header=%u pin=%c msix=%s pm=%s caps=%u",
	    PCI_BDF_BUS(f->bdf), PCI_BDF_DEVICE(f->bdf), PCI_BDF_FUNCTION(f->bdf), f->vendor,
	    f->device, f->class_code, bars, irq, f->capability_msi ? "yes" : "no", f->revision,
	    f->header_type,
	    f->interrupt_pin && f->interrupt_pin <= PCI_PIN_MAX ? 'A' + f->interrupt_pin - 1 : '-',
	    f->capability_msix ? "yes" : "no", f->capability_pm ? "yes" : "no",
	    f->capability_count);
	if (n > 0 && (size_t)n < size && f->capabilities_broken)
		n += format_string(buffer + n, size - (size_t)n, " caps_broken=%s@0x%02x",
		                   f->broken_why, f->broken_at);
	if (n > 0 && (size_t)n < size && f->header_type == PCI_HEADER_BRIDGE)
		n += format_string(buffer + n, size - (size_t)n, " secondary=%02x subordinate=%02x",
		                   f->secondary_bus, f->subordinate_bus);
	return n > 0 ? (size_t)n : 0;
}

/* The device (bus and device number) of the first ISA bridge, or -1. */
static int pci_isa_device(const struct pci_scan_result *r)
{
	for (unsigned i = 0; i < r->count; i++)
		if (PCI_CLASS_BASE_SUB(r->functions[i].class_code) == PCI_CLASS_ISA_BRIDGE)
			return r->functions[i].bdf >> 3;
	return -1;
}

const char *pci_reserved_reason(const struct pci_scan_result *r, const struct pci_function *f)
{
	if (PCI_BDF_BUS(f->bdf) == 0 && PCI_BDF_DEVICE(f->bdf) == 0)
		return "device 00:00 is the host bridge";
	if (PCI_CLASS_BASE_SUB(f->class_code) == PCI_CLASS_HOST_BRIDGE)
		return "it is a host bridge";
	if (PCI_CLASS_BASE_SUB(f->class_code) == PCI_CLASS_ISA_BRIDGE)
		return "it is the ISA bridge (PIC, PIT, RTC and ACPI PM ports the hypervisor uses)";
	if ((int)(f->bdf >> 3) == pci_isa_device(r))
		return "it belongs to the ISA bridge's device (the southbridge: boot-medium IDE, "
		       "ACPI PM ports)";
	if (PCI_CLASS_BASE(f->class_code) == PCI_CLASS_STORAGE)
		return "it is a storage controller (the boot medium may be on it)";
	return NULL;
}
