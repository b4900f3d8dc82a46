/*
 * kernel/page_alloc.c - bitmap physical page allocator (see page_alloc.h).
 *
 * Lock order: allocator->lock is a leaf.
 */
#include "kernel/page_alloc.h"

#include <stdbool.h>

#include "kernel/string.h"

#define PAGE_ALLOC_BITS 64ull

static bool page_bit_test(const struct page_allocator *a, uint64_t page)
{
	return (a->bitmap[page / PAGE_ALLOC_BITS] >> (page % PAGE_ALLOC_BITS)) & 1;
}

static void page_bit_set(struct page_allocator *a, uint64_t page)
{
	a->bitmap[page / PAGE_ALLOC_BITS] |= 1ull << (page % PAGE_ALLOC_BITS);
}

static void page_bit_clear(struct page_allocator *a, uint64_t page)
{
	a->bitmap[page / PAGE_ALLOC_BITS] &= ~(1ull << (page % PAGE_ALLOC_BITS));
}

static uint64_t page_round_up(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static uint64_t page_round_down(uint64_t x)
{
	return x & ~(PAGE_SIZE - 1);
}

/* Clamp a region to whole pages; false if none remain or it wraps. */
static bool page_region_bounds(uint64_t base, uint64_t length, uint64_t *start, uint64_t *end)
{
	if (length == 0 || base + length < base)
		return false;
	*start = page_round_up(base);
	*end = page_round_down(base + length);
	if (*start < base) /* round-up wrapped */
		return false;
	return *end > *start;
}

/* Mark [start, end) used, counting only pages that were free. */
static void page_mark_used(struct page_allocator *a, uint64_t start, uint64_t end)
{
	if (end <= a->base || start >= a->base + a->page_count * PAGE_SIZE)
		return;
	if (start < a->base)
		start = a->base;
	uint64_t first = (page_round_down(start) - a->base) / PAGE_SIZE;
	uint64_t last = (page_round_up(end) - a->base) / PAGE_SIZE;
	if (last > a->page_count)
		last = a->page_count;
	for (uint64_t p = first; p < last; p++) {
		if (!page_bit_test(a, p)) {
			page_bit_set(a, p);
			a->free_pages--;
		}
	}
}

int page_allocator_init(struct page_allocator *a, const struct boot_memory_region *regions,
                        size_t region_count, const struct page_range *reserved,
                        size_t reserved_count, page_physical_to_pointer_fn to_pointer, char *error,
                        size_t error_size)
{
	memset(a, 0, sizeof(*a));
	uint64_t low = UINT64_MAX, high = 0;
	for (size_t i = 0; i < region_count; i++) {
		uint64_t start, end;
		if (regions[i].type != BOOT_MEMORY_USABLE ||
		    !page_region_bounds(regions[i].base, regions[i].length, &start, &end))
			continue;
		if (start < low)
			low = start;
		if (end > high)
			high = end;
	}
	if (high == 0) {
		format_string(error, error_size, "no usable memory in the memory map");
		return -1;
	}
	a->base = low;
	a->page_count = (high - low) / PAGE_SIZE;
	uint64_t words = (a->page_count + PAGE_ALLOC_BITS - 1) / PAGE_ALLOC_BITS;
	/* Two bitmaps: "in use" and "managed" (free at init, so freeable). */
	uint64_t bitmap_bytes = page_round_up(2 * words * sizeof(uint64_t));

	/* Find room for the bitmap: a usable region minus reserved ranges. */
	uint64_t bitmap_physical = 0;
	for (size_t i = 0; i < region_count && !bitmap_physical; i++) {
		uint64_t start, end;
		if (regions[i].type != BOOT_MEMORY_USABLE ||
		    !page_region_bounds(regions[i].base, regions[i].length, &start, &end))
			continue;
		if (start == 0)
			start = PAGE_SIZE;
		for (uint64_t candidate = start;
		     candidate < end && end - candidate >= bitmap_bytes;) {
			bool clash = false;
			for (size_t r = 0; r < reserved_count; r++) {
				uint64_t rs = page_round_down(reserved[r].base);
				uint64_t re = page_round_up(reserved[r].base + reserved[r].length);
				if (candidate < re && rs < candidate + bitmap_bytes) {
					candidate = re;
					clash = true;
					break;
				}
			}
			/* Another usable region may overlap a reserved type region;
			 * also refuse candidates inside non-usable regions. */
			for (size_t k = 0; !clash && k < region_count; k++) {
				if (regions[k].type == BOOT_MEMORY_USABLE)
					continue;
				uint64_t rs = page_round_down(regions[k].base);
				uint64_t region_end = regions[k].base + regions[k].length;
				uint64_t re = page_round_up(region_end);
				/* wraps: treat as reaching the top */
				if (region_end < regions[k].base || re < rs)
					re = UINT64_MAX & ~(PAGE_SIZE - 1);
				if (candidate < re && rs < candidate + bitmap_bytes) {
					candidate = re;
					clash = true;
				}
			}
			if (!clash) {
				bitmap_physical = candidate;
				break;
			}
		}
	}
	if (!bitmap_physical) {
		format_string(error, error_size, "no room for the page bitmap (%llu bytes)",
		              (unsigned long long)bitmap_bytes);
		return -1;
	}
	a->bitmap = to_pointer(bitmap_physical);
	a->managed = a->bitmap + words;
	memset(a->bitmap, 0xff, words * sizeof(uint64_t));

	/* Free every page inside a usable region ... */
	for (size_t i = 0; i < region_count; i++) {
		uint64_t start, end;
		if (regions[i].type != BOOT_MEMORY_USABLE ||
		    !page_region_bounds(regions[i].base, regions[i].length, &start, &end))
			continue;
		for (uint64_t p = (start - a->base) / PAGE_SIZE; p < (end - a->base) / PAGE_SIZE;
		     p++) {
			if (page_bit_test(a, p)) {
				page_bit_clear(a, p);
				a->free_pages++;
			}
		}
	}
	/* ... then take back what a non-usable region overlaps (maps from
	 * firmware may overlap; the stricter type wins) and what is reserved. */
	for (size_t i = 0; i < region_count; i++) {
		if (regions[i].type == BOOT_MEMORY_USABLE || regions[i].length == 0)
			continue;
		uint64_t end = regions[i].base + regions[i].length;
		if (end < regions[i].base)
			end = UINT64_MAX & ~(PAGE_SIZE - 1);
		page_mark_used(a, regions[i].base, end);
	}
	a->total_usable_pages = a->free_pages;
	page_mark_used(a, 0, PAGE_SIZE);
	for (size_t r = 0; r < reserved_count; r++)
		page_mark_used(a, reserved[r].base, reserved[r].base + reserved[r].length);
	page_mark_used(a, bitmap_physical, bitmap_physical + bitmap_bytes);
	for (uint64_t w = 0; w < words; w++)
		a->managed[w] = ~a->bitmap[w];
	return 0;
}

uint64_t page_alloc_above(struct page_allocator *a, uint64_t count, uint64_t align_pages,
                          uint64_t minimum)
{
	if (count == 0 || count > a->page_count || align_pages == 0 ||
	    (align_pages & (align_pages - 1)))
		return 0;
	spinlock_acquire(&a->lock);
	uint64_t result = 0;
	if (a->free_pages >= count) {
		uint64_t base_page = a->base / PAGE_SIZE;
		uint64_t low =
		    minimum > a->base ? (minimum - a->base + PAGE_SIZE - 1) / PAGE_SIZE : 0;
		/* Candidate p must satisfy (base_page + p) % align == 0 and p >= low. */
		uint64_t first = (align_pages - base_page % align_pages) % align_pages;
		if (first < low)
			first += (low - first + align_pages - 1) / align_pages * align_pages;
		uint64_t start = count == 1 && align_pages == 1 && a->hint >= low ? a->hint : first;
		for (uint64_t pass = 0; pass < 2 && !result; pass++) {
			for (uint64_t p = start; p + count <= a->page_count; p += align_pages) {
				uint64_t run = 0;
				while (run < count && !page_bit_test(a, p + run))
					run++;
				if (run == count) {
					for (uint64_t i = 0; i < count; i++)
						page_bit_set(a, p + i);
					a->free_pages -= count;
					a->hint = p + count < a->page_count ? p + count : 0;
					result = a->base + p * PAGE_SIZE;
					break;
				}
				/* Skip past the used page that ended the run. */
				if (align_pages == 1)
					p += run;
				else
					p += (run / align_pages) * align_pages;
			}
			start = first;
		}
	}
	spinlock_release(&a->lock);
	return result;
}

uint64_t page_alloc(struct page_allocator *a, uint64_t count, uint64_t align_pages)
{
	return page_alloc_above(a, count, align_pages, 0);
}

int page_free(struct page_allocator *a, uint64_t physical, uint64_t count)
{
	if (count == 0 || physical % PAGE_SIZE || physical < a->base)
		return -1;
	uint64_t first = (physical - a->base) / PAGE_SIZE;
	if (first >= a->page_count || count > a->page_count - first)
		return -1;
	spinlock_acquire(&a->lock);
	for (uint64_t p = first; p < first + count; p++) {
		bool managed = (a->managed[p / PAGE_ALLOC_BITS] >> (p % PAGE_ALLOC_BITS)) & 1;
		if (!page_bit_test(a, p) || !managed) {
			spinlock_release(&a->lock);
			return -1;
		}
	}
	for (uint64_t p = first; p < first + count; p++)
		page_bit_clear(a, p);
	a->free_pages += count;
	spinlock_release(&a->lock);
	return 0;
}
