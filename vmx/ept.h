/*
 * vmx/ept.h - extended page tables: one EPT per VM.
 *
 * ept_build() maps the VM's RAM block at host-physical host_base where
 * its layout puts it (vmx/guest_memory.h: [0, size) flat, or the low
 * 2 MiB at 0 and the rest at high_base), read/write/execute, write-back, with
 * 2 MiB pages wherever both addresses are 2 MiB aligned and 4 KiB pages
 * elsewhere. Nothing else is mapped: the hypervisor's memory and other
 * VMs' memory are never reachable from the guest; an access outside the
 * map is an EPT violation.
 *
 * ept_map_uncached()/ept_unmap() add and remove 4 KiB mappings of device
 * memory (an assigned PCI function's BAR windows, vmx/assign.c) while the
 * VM runs: uncached (memory type UC with "ignore PAT", so the guest's PAT
 * cannot make them cacheable). They never touch a 2 MiB RAM mapping.
 * The caller invalidates the translations (INVEPT; vm->ept_generation).
 * ept_map_ram() adds write-back RAM the same way (the DMA identity window).
 *
 * Lock order: none of its own (ept_build before the VM runs; map/unmap
 * under the VM's platform lock, the one writer of its device windows).
 */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include <stddef.h>
#include <stdint.h>

#include "vmx/guest_memory.h"

struct ept_statistics {
	uint64_t pages_2m, pages_4k, tables;
};

/* Returns the EPT pointer (EPTP) or 0 with a reason in `error`. *root gets
 * the PML4 physical address. */
uint64_t ept_build(uint64_t host_base, const struct guest_memory *memory, uint64_t *root,
                   struct ept_statistics *statistics, char *error, size_t error_size);
/* Free every table of the EPT rooted at `root` (0: nothing), not the
 * guest memory it maps. */
void ept_destroy(uint64_t root);
/* Map guest [guest, guest + size) to host [host, host + size), read/write,
 * uncached, 4 KiB pages (all three page aligned). 0, or -1 (out of table
 * memory, or a page already mapped: nothing of this call stays mapped). */
int ept_map_uncached(uint64_t root, uint64_t guest, uint64_t host, uint64_t size);
/* The same, write-back and executable: RAM outside [0, size) (the DMA
 * identity window of a VM with an assigned device, vmx/assign.c). */
int ept_map_ram(uint64_t root, uint64_t guest, uint64_t host, uint64_t size);
/* Remove the 4 KiB mappings of [guest, guest + size) (tables stay). */
void ept_unmap(uint64_t root, uint64_t guest, uint64_t size);

#endif /* VMX_EPT_H */
