/*
 * kernel/page_alloc.h - physical page allocator.
 *
 * A bitmap over the span of usable physical memory (one bit per 4 KiB
 * page, 1 = not available). Built from the boot memory map: only pages that
 * lie entirely inside a usable region and outside every reserved range
 * (the image, boot page tables, modules, the AP trampoline, page 0) start
 * free. The bitmap itself is placed in usable memory and reserved too.
 *
 * Invariants: free_pages equals the number of clear bits; page 0 is never
 * handed out (0 means "no memory"); a page is handed out at most once
 * until freed; freeing a page that is free, reserved (never handed out:
 * page 0, the image, the bitmaps) or outside the span is refused.
 *
 * The allocator does not zero pages (page_alloc_zeroed() in the kernel
 * does); it is hardware independent and compiled into the host tests.
 *
 * Lock order: page_allocator.lock is a leaf; no other lock is taken
 * inside. Not for use from interrupt handlers.
 */
#ifndef KERNEL_PAGE_ALLOC_H
#define KERNEL_PAGE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"
#include "kernel/lock.h"

#define PAGE_SIZE  4096ull
#define PAGE_SHIFT 12

struct page_range {
	uint64_t base;
	uint64_t length;
};

struct page_allocator {
	struct spinlock lock;
	uint64_t base;       /* physical address of the first tracked page */
	uint64_t page_count; /* pages tracked by the bitmap                */
	uint64_t *bitmap;    /* 1 bit per page, 1 = used or not RAM        */
	uint64_t *managed;   /* 1 = page was free at init (may be freed)   */
	uint64_t free_pages;
	uint64_t total_usable_pages; /* usable pages at init, before reservations */
	uint64_t hint;               /* where the next single-page search starts   */
};

/* Converts a physical address to a pointer the allocator may write. */
typedef void *(*page_physical_to_pointer_fn)(uint64_t physical);

/*
 * Build the allocator. Returns 0, or -1 with a reason in `error` (e.g. no
 * usable memory, no room for the bitmap).
 */
int page_allocator_init(struct page_allocator *allocator, const struct boot_memory_region *regions,
                        size_t region_count, const struct page_range *reserved,
                        size_t reserved_count, page_physical_to_pointer_fn to_pointer, char *error,
                        size_t error_size);

/*
 * Allocate `count` contiguous pages whose first page number is a multiple
 * of `align_pages` (a power of two, 1 = any). Returns the physical address
 * or 0 if no such run is free.
 */
uint64_t page_alloc(struct page_allocator *allocator, uint64_t count, uint64_t align_pages);
/* The same, at a physical address >= `minimum` only. */
uint64_t page_alloc_above(struct page_allocator *allocator, uint64_t count, uint64_t align_pages,
                          uint64_t minimum);

/* Free pages from page_alloc(). Returns 0, or -1 if any page was not in use
 * or lies outside the tracked span (nothing is changed then). */
int page_free(struct page_allocator *allocator, uint64_t physical, uint64_t count);

#endif /* KERNEL_PAGE_ALLOC_H */
