/*
 * arch/x86/paging.h - the hypervisor's own page tables.
 *
 * One 4-level table set shared by all CPUs, identity mapping: virtual ==
 * physical for all RAM and the first 4 GiB. Permissions:
 *   image text              R-X   (4 KiB pages)
 *   image rodata            R--, NX
 *   image data/bss, RAM     RW-, NX
 *   AP trampoline code page R-X   (below 1 MiB)
 *   page 0                  not present (catches NULL dereferences)
 *   MMIO (LAPIC, IOAPIC, ...) RW-, NX, uncached
 * No page is writable and executable. 2 MiB pages are used wherever a
 * whole 2 MiB range has one kind.
 *
 * Lock order: paging_lock (leaf) guards changes after boot.
 */
#ifndef ARCH_X86_PAGING_H
#define ARCH_X86_PAGING_H

#include <stdint.h>

/* Build the tables, covering physical memory up to `top`, and load CR3. */
void paging_init(uint64_t top, uint64_t trampoline_code_page);
/* Make [physical, physical+length) uncached (for MMIO). */
void paging_map_uncached(uint64_t physical, uint64_t length);
uint64_t paging_root(void);
/* Remove [physical, physical+length) from the map: the hypervisor cannot
 * reach it any more (an assigned PCI function's BARs, vmx/assign.c). Only
 * this CPU's TLB is flushed: no CPU has touched those pages before. */
void paging_unmap(uint64_t physical, uint64_t length);

#endif /* ARCH_X86_PAGING_H */
