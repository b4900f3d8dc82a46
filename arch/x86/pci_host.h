/*
 * arch/x86/pci_host.h - the host's PCI functions as the hypervisor found
 * them at boot, and their configuration space.
 *
 * pci_host_init() probes configuration mechanism #1 (ports 0xcf8/0xcfc),
 * scans every bus reachable from bus 0 (arch/x86/pci.h), prints one `PCI`
 * line per function and a `PCIHOST` line (mechanism, counts, whether the
 * ACPI tables have an MCFG and a DMAR: `iommu=vt-d|none`; docs/output.md)
 * and keeps the table. It enables nothing and keeps no device: a function
 * is used only by the VM it is assigned to (vmx/assign.c). MMCONFIG is
 * not used even when an MCFG exists (mechanism #1 reaches the 256 bytes
 * uslice needs).
 *
 * Lock order: pci_lock (leaf, interrupts off) around each address/data
 * port pair; the table is written once on the boot CPU before any VM runs
 * and read-only afterwards.
 */
#ifndef ARCH_X86_PCI_HOST_H
#define ARCH_X86_PCI_HOST_H

#include <stdint.h>

#include "arch/x86/acpi.h"
#include "arch/x86/pci.h"

/* Probe, scan and report (after ACPI is parsed, before the VMs). */
void pci_host_init(const struct acpi_info *acpi);
/* The functions the boot scan found (count 0 without mechanism #1). */
const struct pci_scan_result *pci_host_functions(void);
/* One configuration access of `size` bytes (1, 2, 4; `offset` aligned). */
uint32_t pci_config_read(pci_bdf bdf, unsigned offset, unsigned size);
void pci_config_write(pci_bdf bdf, unsigned offset, unsigned size, uint32_t value);
/* The same accesses in the callback shape of struct pci_access and
 * struct passthrough_ops (`context` is unused). */
uint32_t pci_host_access_read(void *context, pci_bdf bdf, unsigned offset, unsigned size);
void pci_host_access_write(void *context, pci_bdf bdf, unsigned offset, unsigned size,
                           uint32_t value);

#endif /* ARCH_X86_PCI_HOST_H */
