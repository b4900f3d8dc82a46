/*
 * vmx/assign.h - giving host PCI functions to VMs (`pci = [ "BB:DD.F" ]`
 * in a VM's configuration; docs/devices.md, "Device assignment").
 *
 * vmx_assign_check() applies the rules (vmx/passthrough.h,
 * passthrough_check()) against the boot scan and the functions earlier
 * VMs took, before anything is allocated. vmx_assign_attach(), the last
 * step of building a VM, puts each function at its virtual slot (00:03.0,
 * 00:04.0, ...) in the VM's configuration space (vmx/vpci.h) with the
 * passthrough hook, takes its memory BARs out of the hypervisor's own page
 * tables (paging_unmap: the hypervisor never touches them), turns its host
 * decoding and bus mastering off until the guest turns them on, records
 * the VM as its owner and prints one `PCIASSIGN` line per function. The
 * BAR windows then follow the guest's programming in this VM's EPT only
 * (no other VM's EPT ever maps them). vmx_assign_stop() at the end of the
 * run unmaps them, turns the device off and prints `PCIDEVICE` lines.
 *
 * DMA: a VM with assigned functions also gets ASSIGN_DMA_WINDOW_MB of RAM
 * at guest-physical == host-physical (host pages at or above the end of
 * its RAM, so its RAM layout is unchanged), write-back in its EPT, as one
 * more RAM entry of its Multiboot memory map; its driver puts descriptor
 * rings and buffers there (docs/devices.md, "DMA identity mapping"). The
 * pages are this VM's alone (the page allocator hands them to nobody
 * else); without them the configuration is refused.
 *
 * Lock order: the owner table is written only on the boot CPU while VMs
 * are built. At run time the passthrough callbacks run under the VM's
 * platform lock and take pci_lock (leaf) and memory_pages.lock (EPT
 * tables): platform lock -> pci_lock, platform lock -> memory_pages.lock.
 */
#ifndef VMX_ASSIGN_H
#define VMX_ASSIGN_H

#include <stddef.h>

#include "vmx/config.h"
#include "vmx/vm.h"

#define ASSIGN_DMA_WINDOW_MB 2ull

/* 0, or -1 with the reason (for the key `pci`) in `reason`. */
int vmx_assign_check(const struct vm_config *config, char *reason, size_t size);
/* 0 (nothing to do without `pci`), or -1 with `error` (vm->passthrough
 * is then freed by vmx_assign_free()). The platform must exist. */
int vmx_assign_attach(struct vm *vm, const struct vm_config *config, char *error, size_t size);
/* The VM ended: windows unmapped, host devices quiet, PCIDEVICE lines. */
void vmx_assign_stop(struct vm *vm);
/* Free vm->passthrough (a VM that never ran; owners are released). */
void vmx_assign_free(struct vm *vm);

#endif /* VMX_ASSIGN_H */
