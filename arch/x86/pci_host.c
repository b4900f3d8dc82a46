/*
 * arch/x86/pci_host.c - the host's PCI configuration space through
 * mechanism #1 (CONFIG_ADDRESS 0xcf8, CONFIG_DATA 0xcfc-0xcff), the boot
 * scan (arch/x86/pci.c) and its report: one PCI line per function and a
 * PCIHOST line (see pci_host.h).
 *
 * Lock order: pci_lock is a leaf, taken with interrupts off around each
 * CONFIG_ADDRESS/CONFIG_DATA pair (vCPUs of several VMs reach assigned
 * functions' configuration space from their exits on any pCPU, under
 * their platform lock: platform lock -> pci_lock).
 */
#include "arch/x86/pci_host.h"

#include "arch/x86/cpu.h"
#include "kernel/lock.h"
#include "kernel/log.h"
#include "kernel/string.h"

#define PCI_HOST_ADDRESS_PORT   0xcf8u
#define PCI_HOST_DATA_PORT      0xcfcu
#define PCI_HOST_ENABLE         0x80000000u
#define PCI_HOST_BDF_SHIFT      8
#define PCI_HOST_REGISTER_MASK  0xfcu
#define PCI_HOST_BYTE_MASK      3u
#define PCI_HOST_LINE_SIZE      400
#define PCI_HOST_SIGNATURE_SIZE 5

static struct spinlock pci_lock = SPINLOCK_INIT;
static struct pci_scan_result pci_host_result;
static bool pci_host_mechanism1;

static uint32_t pci_host_address(pci_bdf bdf, unsigned offset)
{
	return PCI_HOST_ENABLE | (uint32_t)bdf << PCI_HOST_BDF_SHIFT |
	       (offset & PCI_HOST_REGISTER_MASK);
}

uint32_t pci_config_read(pci_bdf bdf, unsigned offset, unsigned size)
{
	uint16_t port = (uint16_t)(PCI_HOST_DATA_PORT + (offset & PCI_HOST_BYTE_MASK));
	uint64_t flags = spinlock_acquire_irqsave(&pci_lock);
	arch_outl(PCI_HOST_ADDRESS_PORT, pci_host_address(bdf, offset));
	uint32_t value = size == 1   ? arch_inb(port)
	                 : size == 2 ? arch_inw(port)
	                             : arch_inl(PCI_HOST_DATA_PORT);
	spinlock_release_irqrestore(&pci_lock, flags);
	return value;
}

void pci_config_write(pci_bdf bdf, unsigned offset, unsigned size, uint32_t value)
{
	uint16_t port = (uint16_t)(PCI_HOST_DATA_PORT + (offset & PCI_HOST_BYTE_MASK));
	uint64_t flags = spinlock_acquire_irqsave(&pci_lock);
	arch_outl(PCI_HOST_ADDRESS_PORT, pci_host_address(bdf, offset));
	if (size == 1)
		arch_outb(port, (uint8_t)value);
	else if (size == 2)
		arch_outw(port, (uint16_t)value);
	else
		arch_outl(PCI_HOST_DATA_PORT, value);
	spinlock_release_irqrestore(&pci_lock, flags);
}

uint32_t pci_host_access_read(void *context, pci_bdf bdf, unsigned offset, unsigned size)
{
	(void)context;
	return pci_config_read(bdf, offset, size);
}

void pci_host_access_write(void *context, pci_bdf bdf, unsigned offset, unsigned size,
                           uint32_t value)
{
	(void)context;
	pci_config_write(bdf, offset, size, value);
}

/* Mechanism #1 answers: CONFIG_ADDRESS keeps the enable bit. */
static bool pci_host_probe(void)
{
	uint64_t flags = spinlock_acquire_irqsave(&pci_lock);
	uint32_t saved = arch_inl(PCI_HOST_ADDRESS_PORT);
	arch_outl(PCI_HOST_ADDRESS_PORT, PCI_HOST_ENABLE);
	bool present = arch_inl(PCI_HOST_ADDRESS_PORT) == PCI_HOST_ENABLE;
	arch_outl(PCI_HOST_ADDRESS_PORT, saved);
	spinlock_release_irqrestore(&pci_lock, flags);
	return present;
}

static bool pci_host_has_table(const struct acpi_info *acpi, const char *signature)
{
	for (uint32_t i = 0; i < acpi->table_count; i++)
		if (memcmp(acpi->tables[i], signature, PCI_HOST_SIGNATURE_SIZE) == 0)
			return true;
	return false;
}

void pci_host_init(const struct acpi_info *acpi)
{
	pci_host_mechanism1 = pci_host_probe();
	if (pci_host_mechanism1) {
		struct pci_access access = {pci_host_access_read, pci_host_access_write, NULL};
		pci_scan(&pci_host_result, &access);
	}
	char line[PCI_HOST_LINE_SIZE];
	for (unsigned i = 0; i < pci_host_result.count; i++) {
		pci_format_function(&pci_host_result.functions[i], line, sizeof(line));
		log_record("%s", line);
	}
	log_record("PCIHOST mechanism=%s functions=%u dropped=%u buses=%u mcfg=%s iommu=%s",
	           pci_host_mechanism1 ? "1" : "none", pci_host_result.count,
	           pci_host_result.dropped, pci_host_result.buses,
	           pci_host_has_table(acpi, "MCFG") ? "yes" : "no",
	           pci_host_has_table(acpi, "DMAR") ? "vt-d" : "none");
}

const struct pci_scan_result *pci_host_functions(void)
{
	return &pci_host_result;
}
