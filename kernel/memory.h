/*
 * kernel/memory.h - the hypervisor's memory: physical pages and a heap.
 *
 * memory_init() builds the page allocator from the boot memory map,
 * reserving the image, the boot modules, the low 1 MiB (BIOS areas and the
 * AP trampoline) and the boot_info copy. Memory is identity mapped, so a
 * physical address is also a pointer.
 *
 * The heap hands out small blocks (up to 2 KiB) from power-of-two size
 * classes carved from pages, and whole pages above that. Every block is
 * zeroed. It is for boot-time and configuration data, not hot paths.
 *
 * Lock order: heap_lock -> page allocator lock.
 */
#ifndef KERNEL_MEMORY_H
#define KERNEL_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"
#include "kernel/page_alloc.h"

extern struct page_allocator memory_pages;

/* Returns 0 or -1 with a reason in `error`. */
int memory_init(const struct boot_info *info, char *error, size_t error_size);

uint64_t memory_alloc_pages(uint64_t count);
uint64_t memory_alloc_pages_zeroed(uint64_t count);
/* 2 MiB aligned, 2 MiB multiple. */
uint64_t memory_alloc_large_pages_zeroed(uint64_t count_2m);
/* The same at a physical address >= `minimum` (zeroed). */
uint64_t memory_alloc_large_pages_above(uint64_t count_2m, uint64_t minimum);
void memory_free_pages(uint64_t physical, uint64_t count);

void *memory_allocate(size_t size);
void memory_free(void *block);

uint64_t memory_total_mb(void);
uint64_t memory_free_mb(void);

#endif /* KERNEL_MEMORY_H */
