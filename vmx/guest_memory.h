/*
 * vmx/guest_memory.h - where a VM's RAM is in its guest-physical space.
 *
 * A VM's RAM is one block of host memory, `size` bytes (a multiple of
 * GUEST_MEMORY_LOW, at least two of them). The guest sees it in two parts:
 *  - the block's first GUEST_MEMORY_LOW bytes at guest-physical
 *    [0, GUEST_MEMORY_LOW) (conventional memory, the zero page, the ACPI
 *    tables, the boot page tables);
 *  - the rest at guest-physical [high_base, high_base + size - LOW).
 * Two layouts:
 *  - flat (every VM but one kind): high_base == GUEST_MEMORY_LOW, so
 *    guest-physical [0, size) is the block, byte for byte;
 *  - identity (a Linux VM with an assigned PCI function; docs/devices.md
 *    "DMA"): high_base == the block's host-physical address + LOW, so every
 *    guest-physical address of the upper part equals its host-physical
 *    address and a device the guest programs with one DMAs into the page
 *    the guest meant, without an IOMMU. The guest's memory map announces
 *    only [0, 0xa0000) of the low part (vmx/bzimage.c), and Linux keeps all
 *    of its first 1 MiB from the page allocator, so no DMA buffer ever lies
 *    in the low part, which is not identity.
 *
 * Invariant (checked by guest_memory_identity): the two parts do not
 * overlap in guest-physical space, and high_base is LOW-aligned.
 *
 * Hardware independent: compiled into the host tests.
 * Lock order: none (the layout is fixed before the VM runs).
 */
#ifndef VMX_GUEST_MEMORY_H
#define VMX_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEMORY_LOW 0x200000ull /* 2 MiB: one large page */

struct guest_memory {
	uint8_t *host;      /* the hypervisor's view of the block's first byte */
	uint64_t size;      /* bytes of the block                              */
	uint64_t high_base; /* guest-physical address of the block's byte LOW  */
};

/* The flat layout of a block of `size` bytes at `host`. */
void guest_memory_flat(struct guest_memory *memory, uint8_t *host, uint64_t size);
/* The identity layout: `host_physical` is the block's host-physical
 * address (LOW-aligned). -1 if size or address do not allow it. */
int guest_memory_identity(struct guest_memory *memory, uint8_t *host, uint64_t host_physical,
                          uint64_t size);
/* The host view of guest-physical [address, address + length), which must
 * lie inside one part; NULL otherwise. */
void *guest_memory_pointer(const struct guest_memory *memory, uint64_t address, uint64_t length);
/* One past the highest guest-physical byte of RAM. */
uint64_t guest_memory_end(const struct guest_memory *memory);
/* Whether the upper part is identity-mapped (high_base != LOW). */
bool guest_memory_is_identity(const struct guest_memory *memory);

#endif /* VMX_GUEST_MEMORY_H */
