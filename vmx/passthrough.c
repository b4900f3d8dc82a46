/*
 * vmx/passthrough.c - an assigned PCI function's guest view: the rules,
 * the virtual header, BAR windows and the MSI copy (see passthrough.h).
 *
 * Lock order: none (pure; the caller holds the VM's platform lock).
 */
#include "vmx/passthrough.h"

#include "kernel/string.h"

#define PASSTHROUGH_DWORD        4u
#define PASSTHROUGH_BYTE_BITS    8u
#define PASSTHROUGH_BYTES_ALL    0xfu
#define PASSTHROUGH_UPPER_SHIFT  32
#define PASSTHROUGH_HEADER_DWORD 0x0c /* cache line, latency, header type, BIST */
#define PASSTHROUGH_IDS_DWORD    0x00
#define PASSTHROUGH_CLASS_DWORD  0x08
#define PASSTHROUGH_CAP_DWORD    0x34
#define PASSTHROUGH_RESERVED_38  0x38
#define PASSTHROUGH_IRQ_DWORD    0x3c
#define PASSTHROUGH_LOW_HALF     0xffffu
#define PASSTHROUGH_BYTE         0xffu

static void passthrough_bdf_text(pci_bdf bdf, char text[16])
{
	format_string(text, 16, "%02x:%02x.%x", PCI_BDF_BUS(bdf), PCI_BDF_DEVICE(bdf),
	              PCI_BDF_FUNCTION(bdf));
}

/* The first memory BAR smaller than a page: it may share its page with
 * another device's registers, which the EPT cannot keep apart. */
static int passthrough_small_bar(const struct pci_function *f)
{
	for (unsigned i = 0; i < f->bar_count; i++)
		if ((f->bars[i].kind == PCI_BAR_MEMORY32 || f->bars[i].kind == PCI_BAR_MEMORY64) &&
		    f->bars[i].size < PASSTHROUGH_PAGE)
			return (int)i;
	return -1;
}

int passthrough_check(const struct pci_scan_result *host, pci_bdf bdf, const char *owner,
                      char *reason, size_t size)
{
	char text[16];
	passthrough_bdf_text(bdf, text);
	const struct pci_function *f = pci_find(host, bdf);
	const char *why;
	int small;
	if (!f)
		format_string(reason, size, "PCI function %s does not exist on this host", text);
	else if ((why = pci_reserved_reason(host, f)))
		format_string(reason, size, "PCI function %s is used by the hypervisor: %s", text,
		              why);
	else if (pci_is_bridge(f))
		format_string(
		    reason, size,
		    "PCI function %s is a bridge (class 0x%06x): bridges are not assigned", text,
		    f->class_code);
	else if (owner)
		format_string(reason, size, "PCI function %s is already assigned to VM %s", text,
		              owner);
	else if (f->capabilities_broken)
		format_string(reason, size,
		              "PCI function %s has a broken capability list (%s at 0x%02x)", text,
		              f->broken_why, f->broken_at);
	else if ((small = passthrough_small_bar(f)) >= 0)
		format_string(reason, size,
		              "PCI function %s: BAR %d (0x%llx bytes) is smaller than a page: the "
		              "EPT cannot isolate it",
		              text, small, (unsigned long long)f->bars[small].size);
	else
		return 0;
	return -1;
}

void passthrough_vm_init(struct passthrough_vm *vm, uint64_t ram_size,
                         const struct passthrough_ops *ops, void *context)
{
	memset(vm, 0, sizeof(*vm));
	vm->ram_size = ram_size;
	vm->ops = *ops;
	vm->context = context;
}

int passthrough_reserve(struct passthrough_vm *vm, uint64_t base, uint64_t size)
{
	if (vm->reserved_count >= PASSTHROUGH_RESERVED)
		return -1;
	vm->reserved[vm->reserved_count++] = (struct passthrough_range){base, size};
	return 0;
}

static bool passthrough_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

/* [guest, guest + size) is a place a window of `self` may go. */
static bool passthrough_window_free(const struct passthrough_vm *vm,
                                    const struct passthrough_bar *self, uint64_t guest,
                                    uint64_t size)
{
	if (!guest || guest + size < guest || guest + size > PASSTHROUGH_GUEST_LIMIT ||
	    passthrough_overlap(guest, size, 0, vm->ram_size))
		return false;
	for (unsigned i = 0; i < vm->reserved_count; i++)
		if (passthrough_overlap(guest, size, vm->reserved[i].base, vm->reserved[i].size))
			return false;
	for (unsigned d = 0; d < vm->count; d++)
		for (unsigned b = 0; b < PCI_BARS; b++) {
			const struct passthrough_bar *other = &vm->devices[d].bars[b];
			if (other != self && other->mapped && other->kind != PCI_BAR_IO &&
			    passthrough_overlap(guest, size, other->mapped_at, other->size))
				return false;
		}
	return true;
}

int passthrough_dma_place(struct passthrough_vm *vm, uint64_t base, uint64_t size, char *reason,
                          size_t reason_size)
{
	const char *why = NULL;
	if (!size || (base | size) & (PASSTHROUGH_PAGE - 1))
		why = "is empty or not page aligned";
	else if (base < vm->ram_size)
		why = "overlaps guest RAM";
	else if (base + size < base || base + size > PASSTHROUGH_DMA_LIMIT)
		why = "reaches into the 32-bit PCI hole";
	else if (!passthrough_window_free(vm, NULL, base, size))
		why = "overlaps a reserved range or a BAR window";
	else if (passthrough_reserve(vm, base, size))
		why = "finds no reserved-range slot left";
	if (why) {
		format_string(reason, reason_size,
		              "the DMA identity window 0x%llx+0x%llx %s (guest RAM ends at 0x%llx)",
		              (unsigned long long)base, (unsigned long long)size, why,
		              (unsigned long long)vm->ram_size);
		return -1;
	}
	vm->dma_base = base;
	vm->dma_size = size;
	return 0;
}

/* The address the guest programmed into BAR `index`. */
static uint64_t passthrough_bar_address(const struct passthrough_device *d, unsigned index)
{
	const struct passthrough_bar *bar = &d->bars[index];
	if (bar->kind == PCI_BAR_IO)
		return d->bar_registers[index] & PCI_BAR_IO_MASK;
	uint64_t address = d->bar_registers[index] & PCI_BAR_MEMORY_MASK;
	if (bar->kind == PCI_BAR_MEMORY64)
		address |= (uint64_t)d->bar_registers[index + 1] << PASSTHROUGH_UPPER_SHIFT;
	return address;
}

static void passthrough_bar_release(struct passthrough_device *d, struct passthrough_bar *bar)
{
	struct passthrough_vm *vm = d->vm;
	if (!bar->mapped)
		return;
	if (bar->kind == PCI_BAR_IO)
		vm->ops.ports(vm->context, (uint16_t)bar->mapped_at, (uint16_t)bar->size, false);
	else
		vm->ops.unmap(vm->context, bar->mapped_at, bar->size);
	bar->mapped = false;
	d->counters.unmaps++;
}

/* Bring BAR `index`'s window in line with the guest's register and command. */
static void passthrough_bar_update(struct passthrough_device *d, unsigned index)
{
	struct passthrough_bar *bar = &d->bars[index];
	struct passthrough_vm *vm = d->vm;
	if (bar->kind == PCI_BAR_NONE)
		return;
	bool io = bar->kind == PCI_BAR_IO;
	uint64_t guest = passthrough_bar_address(d, index);
	bool decode = (d->command & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) != 0;
	if (bar->mapped && (!decode || bar->mapped_at != guest))
		passthrough_bar_release(d, bar);
	if (!decode || bar->mapped)
		return;
	int status = -1;
	if (io && guest == bar->host)
		status = vm->ops.ports(vm->context, (uint16_t)guest, (uint16_t)bar->size, true);
	else if (!io && passthrough_window_free(vm, bar, guest, bar->size))
		status = vm->ops.map(vm->context, guest, bar->host, bar->size);
	if (status == 0) {
		bar->mapped = true;
		bar->mapped_at = guest;
		d->counters.maps++;
	} else {
		d->counters.refused++;
	}
}

/* The guest-writable bits of the MSI capability: enable and multiple
 * message enable, the address (bits 31:2, and the upper half of a 64-bit
 * one), the data word, the mask bits; pending bits are read-only. */
static void passthrough_msi_init(struct passthrough_device *d)
{
	uint8_t at = d->host.capability_msi;
	if (!at)
		return;
	struct passthrough_vm *vm = d->vm;
	uint16_t control =
	    (uint16_t)vm->ops.host_read(vm->context, d->host.bdf, at + PCI_MSI_CONTROL, 2);
	bool wide = control & PCI_MSI_CONTROL_64BIT;
	d->msi_size = (wide ? PCI_MSI_SIZE_64 : PCI_MSI_SIZE_32) +
	              (control & PCI_MSI_CONTROL_MASKING ? PCI_MSI_MASKING_EXTRA : 0);
	for (unsigned i = 0; i < d->msi_size; i += PASSTHROUGH_DWORD) {
		uint32_t v = vm->ops.host_read(vm->context, d->host.bdf, at + i, 4);
		for (unsigned b = 0; b < PASSTHROUGH_DWORD; b++)
			d->msi[i + b] = (uint8_t)(v >> (PASSTHROUGH_BYTE_BITS * b));
	}
	d->msi[PCI_MSI_CONTROL] &= (uint8_t)~PCI_MSI_CONTROL_ENABLE; /* starts disabled */
	d->msi_mask[PCI_MSI_CONTROL] = PCI_MSI_CONTROL_ENABLE | PCI_MSI_CONTROL_MME;
	unsigned data = wide ? PCI_MSI_SIZE_64 - PASSTHROUGH_DWORD : PCI_MSI_SIZE_32 - 4;
	for (unsigned i = PCI_MSI_ADDRESS; i < data; i++)
		d->msi_mask[i] = PASSTHROUGH_BYTE;
	d->msi_mask[PCI_MSI_ADDRESS] = (uint8_t)~PCI_CAPABILITY_ALIGN;
	d->msi_mask[data] = d->msi_mask[data + 1] = PASSTHROUGH_BYTE;
	if (control & PCI_MSI_CONTROL_MASKING)
		for (unsigned i = 0; i < PASSTHROUGH_DWORD; i++)
			d->msi_mask[data + PASSTHROUGH_DWORD + i] = PASSTHROUGH_BYTE;
}

struct passthrough_device *passthrough_add(struct passthrough_vm *vm,
                                           const struct pci_function *host)
{
	if (vm->count >= PASSTHROUGH_DEVICES)
		return NULL;
	struct passthrough_device *d = &vm->devices[vm->count];
	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->host = *host;
	d->guest_slot = (uint8_t)(PASSTHROUGH_FIRST_SLOT + vm->count);
	for (unsigned i = 0; i < host->bar_count; i++) {
		const struct pci_bar *h = &host->bars[i];
		uint32_t raw = vm->ops.host_read(vm->context, host->bdf, PCI_BAR0 + 4 * i, 4);
		d->bars[i] = (struct passthrough_bar){h->kind, h->prefetchable, h->base, h->size,
		                                      0,       false,           0};
		if (h->kind == PCI_BAR_NONE)
			continue;
		d->bars[i].flags = (uint8_t)(raw & ~(h->kind == PCI_BAR_IO ? PCI_BAR_IO_MASK
		                                                           : PCI_BAR_MEMORY_MASK));
		d->bar_registers[i] = (uint32_t)h->base | d->bars[i].flags;
		if (h->kind == PCI_BAR_MEMORY64)
			d->bar_registers[i + 1] = (uint32_t)(h->base >> PASSTHROUGH_UPPER_SHIFT);
	}
	d->interrupt_line = host->interrupt_line;
	uint16_t command = (uint16_t)vm->ops.host_read(vm->context, host->bdf, PCI_COMMAND, 2);
	vm->ops.host_write(vm->context, host->bdf, PCI_COMMAND, 2,
	                   command & ~PASSTHROUGH_COMMAND_HOST);
	vm->count++;
	passthrough_msi_init(d);
	return d;
}

/* Index of the BAR whose register is at `reg` (a BAR dword), and whether it
 * is the upper half of a 64-bit BAR. */
static unsigned passthrough_bar_index(const struct passthrough_device *d, unsigned reg, bool *upper)
{
	unsigned index = (reg - PCI_BAR0) / PASSTHROUGH_DWORD;
	*upper = index > 0 && d->bars[index].kind == PCI_BAR_NONE &&
	         d->bars[index - 1].kind == PCI_BAR_MEMORY64;
	return *upper ? index - 1 : index;
}

static uint32_t passthrough_host(const struct passthrough_device *d, unsigned reg)
{
	return d->vm->ops.host_read(d->vm->context, d->host.bdf, reg, 4);
}

/* The dword at `reg` (4-aligned) as the guest sees it. */
static uint32_t passthrough_read_dword(const struct passthrough_device *d, unsigned reg)
{
	uint8_t msi = d->host.capability_msi;
	if (msi && reg >= msi && reg < msi + d->msi_size)
		return (uint32_t)d->msi[reg - msi] | (uint32_t)d->msi[reg - msi + 1] << 8 |
		       (uint32_t)d->msi[reg - msi + 2] << 16 |
		       (uint32_t)d->msi[reg - msi + 3] << 24;
	if (reg >= PCI_BAR0 && reg < PCI_BAR_END)
		return d->bar_registers[(reg - PCI_BAR0) / PASSTHROUGH_DWORD];
	switch (reg) {
	case PASSTHROUGH_IDS_DWORD:
	case PASSTHROUGH_CLASS_DWORD:
	case PCI_SUBSYSTEM_VENDOR:
		return passthrough_host(d, reg);
	case PCI_COMMAND:
		return (passthrough_host(d, reg) & ~PASSTHROUGH_LOW_HALF) | d->command;
	case PASSTHROUGH_HEADER_DWORD:
		return (uint32_t)d->host.header_type << 16 | (uint32_t)d->latency << 8 |
		       d->cache_line;
	case PASSTHROUGH_CAP_DWORD:
		return passthrough_host(d, reg) & PASSTHROUGH_BYTE;
	case PCI_CARDBUS_CIS:
	case PCI_EXPANSION_ROM:
	case PASSTHROUGH_RESERVED_38:
		return 0;
	case PASSTHROUGH_IRQ_DWORD:
		return (passthrough_host(d, reg) & ~PASSTHROUGH_BYTE) | d->interrupt_line;
	default:
		return reg >= PCI_DEVICE_SPECIFIC ? passthrough_host(d, reg) : 0;
	}
}

/* A BAR dword write: keep it under the size mask with the host's type bits. */
static void passthrough_write_bar(struct passthrough_device *d, unsigned reg, uint32_t value)
{
	bool upper;
	unsigned index = passthrough_bar_index(d, reg, &upper);
	struct passthrough_bar *bar = &d->bars[index];
	if (bar->kind == PCI_BAR_NONE) {
		d->counters.writes_dropped++;
		return;
	}
	uint64_t mask = ~(bar->size - 1);
	if (upper)
		d->bar_registers[index + 1] = value & (uint32_t)(mask >> PASSTHROUGH_UPPER_SHIFT);
	else
		d->bar_registers[index] =
		    (value & (uint32_t)mask &
		     (bar->kind == PCI_BAR_IO ? PCI_BAR_IO_MASK : PCI_BAR_MEMORY_MASK)) |
		    bar->flags;
	passthrough_bar_update(d, index);
}

/* The guest's command register: its memory, I/O and bus-master bits go to
 * the host, the windows follow the decoding bits. */
static void passthrough_write_command(struct passthrough_device *d, uint16_t value)
{
	struct passthrough_vm *vm = d->vm;
	d->command = value & PASSTHROUGH_COMMAND_GUEST;
	uint16_t host = (uint16_t)vm->ops.host_read(vm->context, d->host.bdf, PCI_COMMAND, 2);
	host = (uint16_t)((host & ~PASSTHROUGH_COMMAND_HOST) | (value & PASSTHROUGH_COMMAND_HOST));
	vm->ops.host_write(vm->context, d->host.bdf, PCI_COMMAND, 2, host);
	for (unsigned i = 0; i < PCI_BARS; i++)
		passthrough_bar_update(d, i);
}

/* A write of the bytes in `bytes` (bit per byte) of the dword at `reg`;
 * `value` already holds the guest's view of the other bytes. */
static void passthrough_write_dword(struct passthrough_device *d, unsigned reg, uint32_t value,
                                    unsigned bytes)
{
	uint8_t msi = d->host.capability_msi;
	if (msi && reg >= msi && reg < msi + d->msi_size) {
		for (unsigned b = 0; b < PASSTHROUGH_DWORD; b++) {
			unsigned i = reg - msi + b;
			uint8_t byte = (uint8_t)(value >> (PASSTHROUGH_BYTE_BITS * b));
			if (bytes & (1u << b))
				d->msi[i] = (uint8_t)((d->msi[i] & ~d->msi_mask[i]) |
				                      (byte & d->msi_mask[i]));
		}
		d->counters.msi_writes++;
		return;
	}
	if (reg >= PCI_BAR0 && reg < PCI_BAR_END)
		return passthrough_write_bar(d, reg, value);
	if (reg == PCI_COMMAND && (bytes & 3u))
		return passthrough_write_command(d, (uint16_t)value);
	if (reg == PASSTHROUGH_HEADER_DWORD && (bytes & 3u)) {
		d->cache_line = (uint8_t)value;
		d->latency = (uint8_t)(value >> PASSTHROUGH_BYTE_BITS);
		return;
	}
	if (reg == PASSTHROUGH_IRQ_DWORD && (bytes & 1u)) {
		d->interrupt_line = (uint8_t)value;
		return;
	}
	d->counters.writes_dropped++;
}

bool passthrough_config(struct passthrough_device *d, unsigned offset, unsigned size, bool write,
                        uint32_t *value)
{
	unsigned reg = offset & ~(PASSTHROUGH_DWORD - 1);
	unsigned shift = (offset - reg) * PASSTHROUGH_BYTE_BITS;
	uint32_t field = size >= PASSTHROUGH_DWORD ? UINT32_MAX : ((1u << (8 * size)) - 1) << shift;
	uint32_t current = passthrough_read_dword(d, reg);
	if (!write) {
		d->counters.reads++;
		*value = (current & field) >> shift;
		return true;
	}
	d->counters.writes++;
	uint32_t merged = (current & ~field) | ((*value << shift) & field);
	unsigned bytes = ((1u << size) - 1) << (offset - reg);
	passthrough_write_dword(d, reg, merged, bytes & PASSTHROUGH_BYTES_ALL);
	return true;
}

bool passthrough_vpci_hook(struct vpci_function *function, unsigned offset, unsigned size,
                           bool write, uint32_t *value)
{
	return passthrough_config(function->context, offset, size, write, value);
}

void passthrough_stop(struct passthrough_vm *vm)
{
	for (unsigned d = 0; d < vm->count; d++) {
		struct passthrough_device *device = &vm->devices[d];
		for (unsigned b = 0; b < PCI_BARS; b++)
			passthrough_bar_release(device, &device->bars[b]);
		uint16_t command =
		    (uint16_t)vm->ops.host_read(vm->context, device->host.bdf, PCI_COMMAND, 2);
		vm->ops.host_write(vm->context, device->host.bdf, PCI_COMMAND, 2,
		                   command & ~PASSTHROUGH_COMMAND_HOST);
	}
}
