/*
 * vmx/assign.c - host PCI functions given to VMs: the rules against the
 * boot scan, the owner table, the passthrough environment (host
 * configuration space, the VM's EPT and I/O bitmap) and the reports (see
 * assign.h).
 *
 * Lock order: the owner table is boot-CPU only (VMs are built one by one);
 * the callbacks run under the VM's platform lock and take pci_lock and
 * memory_pages.lock, both leaves.
 */
#include "vmx/assign.h"

#include "vmx/assign_irq.h"

#include "arch/x86/paging.h"
#include "arch/x86/pci_host.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/string.h"
#include "vmx/ept.h"
#include "vmx/io.h"
#include "vmx/loader.h"
#include "vmx/passthrough.h"
#include "vmx/platform.h"
#include "vmx/vioapic.h"
#include "vmx/vlapic.h"

#define ASSIGN_OWNERS         (SCHED_MAX_VMS * VM_CONFIG_PCI_MAX)
#define ASSIGN_PORTS_PER_PAGE 0x8000u /* I/O bitmap A: 0-0x7fff, B: 0x8000-0xffff */
#define ASSIGN_BITS_PER_BYTE  8u
#define ASSIGN_LARGE_PAGE     (2ull << 20)

static struct {
	pci_bdf bdf;
	const struct vm *vm;
} assign_owners[ASSIGN_OWNERS];
static unsigned assign_owner_count;

static const struct vm *assign_owner(pci_bdf bdf)
{
	for (unsigned i = 0; i < assign_owner_count; i++)
		if (assign_owners[i].bdf == bdf)
			return assign_owners[i].vm;
	return NULL;
}

int vmx_assign_check(const struct vm_config *config, char *reason, size_t size)
{
	for (uint32_t i = 0; i < config->pci_count; i++) {
		const struct vm *owner = assign_owner(config->pci[i]);
		if (passthrough_check(pci_host_functions(), config->pci[i],
		                      owner ? owner->name : NULL, reason, size))
			return -1;
	}
	return 0;
}

static int assign_map(void *context, uint64_t guest, uint64_t host, uint64_t size)
{
	struct vm *vm = context;
	if (ept_map_uncached(vm->ept_root, guest, host, size) != 0) {
		log_warning("VM %s: BAR window 0x%llx+0x%llx not mapped (EPT)", vm->name,
		            (unsigned long long)guest, (unsigned long long)size);
		return -1;
	}
	__atomic_add_fetch(&vm->ept_generation, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void assign_unmap(void *context, uint64_t guest, uint64_t size)
{
	struct vm *vm = context;
	ept_unmap(vm->ept_root, guest, size);
	__atomic_add_fetch(&vm->ept_generation, 1, __ATOMIC_SEQ_CST);
}

/* Set (trap) or clear (pass) the ports' bits in the VM's I/O bitmaps. */
static int assign_ports(void *context, uint16_t port, uint16_t count, bool pass)
{
	struct vm *vm = context;
	for (uint32_t p = port; p < (uint32_t)port + count; p++)
		if (vmx_io_find(vm, (uint16_t)p))
			return -1; /* a port the VM's platform emulates */
	for (uint32_t p = port; p < (uint32_t)port + count; p++) {
		uint64_t page = p < ASSIGN_PORTS_PER_PAGE ? vm->io_bitmap_a : vm->io_bitmap_b;
		uint8_t *bits = (uint8_t *)(uintptr_t)page;
		uint32_t index = p % ASSIGN_PORTS_PER_PAGE;
		uint8_t bit = (uint8_t)(1u << (index % ASSIGN_BITS_PER_BYTE));
		if (pass)
			bits[index / ASSIGN_BITS_PER_BYTE] &= (uint8_t)~bit;
		else
			bits[index / ASSIGN_BITS_PER_BYTE] |= bit;
	}
	return 0;
}

static const struct passthrough_ops assign_ops = {pci_host_access_read, pci_host_access_write,
                                                  assign_map, assign_unmap, assign_ports};

/* One function at its virtual slot, its BARs out of the hypervisor's map. */
static int assign_one(struct vm *vm, pci_bdf bdf, char *error, size_t size)
{
	const struct pci_function *host = pci_find(pci_host_functions(), bdf);
	struct passthrough_device *device = host ? passthrough_add(vm->passthrough, host) : NULL;
	struct vpci_function *function =
	    device ? vpci_add_function(&vm->platform->pci, 0, VPCI_DEVFN(device->guest_slot, 0))
	           : NULL;
	if (!function) {
		format_string(error, size, "PCI function %02x:%02x.%x: no virtual slot left",
		              PCI_BDF_BUS(bdf), PCI_BDF_DEVICE(bdf), PCI_BDF_FUNCTION(bdf));
		return -1;
	}
	function->hook = passthrough_vpci_hook;
	function->context = device;
	if (vmx_assign_irq_attach(vm, device, error, size))
		return -1;
	for (unsigned i = 0; i < host->bar_count; i++)
		if (host->bars[i].kind == PCI_BAR_MEMORY32 ||
		    host->bars[i].kind == PCI_BAR_MEMORY64)
			paging_unmap(host->bars[i].base, host->bars[i].size);
	assign_owners[assign_owner_count].bdf = bdf;
	assign_owners[assign_owner_count++].vm = vm;
	log_record("PCIASSIGN vm=%s host=%02x:%02x.%x guest=00:%02x.0 vendor=0x%04x device=0x%04x "
	           "class=0x%06x msi=%s",
	           vm->name, PCI_BDF_BUS(bdf), PCI_BDF_DEVICE(bdf), PCI_BDF_FUNCTION(bdf),
	           device->guest_slot, host->vendor, host->device, host->class_code,
	           host->capability_msi ? "yes" : "no");
	return 0;
}

/* The DMA identity window: host pages at or above the end of guest RAM,
 * mapped at the same guest-physical address, in the guest's memory map. */
static int assign_dma_window(struct vm *vm, char *error, size_t size)
{
	struct passthrough_vm *p = vm->passthrough;
	uint64_t bytes = ASSIGN_DMA_WINDOW_MB << 20;
	uint64_t base = memory_alloc_large_pages_above(bytes / ASSIGN_LARGE_PAGE, vm->memory_size);
	if (!base) {
		format_string(
		    error, size,
		    "no free host memory at or above 0x%llx (the end of guest RAM) for the "
		    "%llu MiB DMA identity window",
		    (unsigned long long)vm->memory_size, (unsigned long long)ASSIGN_DMA_WINDOW_MB);
		return -1;
	}
	if (passthrough_dma_place(p, base, bytes, error, size)) {
		memory_free_pages(base, bytes / PAGE_SIZE);
		return -1;
	}
	/* From here vmx_assign_free() gives the pages back. */
	if (ept_map_ram(vm->ept_root, base, base, bytes) ||
	    loader_multiboot_add_ram((uint8_t *)(uintptr_t)vm->memory_base, base, bytes)) {
		format_string(error, size,
		              "the DMA identity window 0x%llx+0x%llx could not be mapped or added "
		              "to the memory map",
		              (unsigned long long)base, (unsigned long long)bytes);
		return -1;
	}
	log_info("VM %s: DMA identity window 0x%llx-0x%llx (guest-physical == host-physical)",
	         vm->name, (unsigned long long)base, (unsigned long long)(base + bytes - 1));
	return 0;
}

int vmx_assign_attach(struct vm *vm, const struct vm_config *config, char *error, size_t size)
{
	if (!config->pci_count)
		return 0;
	vm->passthrough = memory_allocate(sizeof(*vm->passthrough));
	if (!vm->passthrough) {
		format_string(error, size, "out of memory for the assigned PCI functions");
		return -1;
	}
	passthrough_vm_init(vm->passthrough, guest_memory_end(&vm->memory), &assign_ops, vm);
	passthrough_reserve(vm->passthrough, VIOAPIC_DEFAULT_ADDRESS, PASSTHROUGH_PAGE);
	passthrough_reserve(vm->passthrough, VLAPIC_DEFAULT_BASE, PASSTHROUGH_PAGE);
	/* Identity-mapped RAM (a Linux guest, vmx/run.c) needs no window. */
	if (!guest_memory_is_identity(&vm->memory) && assign_dma_window(vm, error, size))
		return -1;
	for (uint32_t i = 0; i < config->pci_count; i++)
		if (assign_one(vm, config->pci[i], error, size))
			return -1;
	return 0;
}

void vmx_assign_stop(struct vm *vm)
{
	struct passthrough_vm *p = vm->passthrough;
	if (!p)
		return;
	uint64_t flags = spinlock_acquire_irqsave(&vm->platform->lock);
	passthrough_stop(p);
	spinlock_release_irqrestore(&vm->platform->lock, flags);
	vmx_assign_irq_stop(vm, true);
	for (unsigned i = 0; i < p->count; i++) {
		const struct passthrough_device *d = &p->devices[i];
		const struct passthrough_counters *c = &d->counters;
		log_record(
		    "PCIDEVICE vm=%s host=%02x:%02x.%x guest=00:%02x.0 reads=%llu writes=%llu "
		    "writes_dropped=%llu maps=%llu unmaps=%llu refused=%llu msi_writes=%llu "
		    "command=0x%04x",
		    vm->name, PCI_BDF_BUS(d->host.bdf), PCI_BDF_DEVICE(d->host.bdf),
		    PCI_BDF_FUNCTION(d->host.bdf), d->guest_slot, (unsigned long long)c->reads,
		    (unsigned long long)c->writes, (unsigned long long)c->writes_dropped,
		    (unsigned long long)c->maps, (unsigned long long)c->unmaps,
		    (unsigned long long)c->refused, (unsigned long long)c->msi_writes, d->command);
	}
}

void vmx_assign_free(struct vm *vm)
{
	if (!vm->passthrough)
		return;
	/* Owners recorded for this VM are released (it never ran). */
	unsigned kept = 0;
	for (unsigned i = 0; i < assign_owner_count; i++)
		if (assign_owners[i].vm != vm)
			assign_owners[kept++] = assign_owners[i];
	assign_owner_count = kept;
	vmx_assign_irq_stop(vm, false);
	if (vm->passthrough->dma_base)
		memory_free_pages(vm->passthrough->dma_base, vm->passthrough->dma_size / PAGE_SIZE);
	memory_free(vm->passthrough);
	vm->passthrough = NULL;
}
