/*
 * tests/host/test_page_alloc.c - host tests of the bitmap physical page
 * allocator (kernel/page_alloc.h).
 *
 * "Physical" memory is a 64 MiB host arena: physical address P is arena
 * byte P, so the bitmap the allocator places in usable memory lands in
 * the arena (every layout below keeps it under 64 MiB; usable regions may
 * lie anywhere, the allocator never touches the pages it hands out).
 *
 * Table-driven:
 *   - init rows: a memory map and reserved ranges, and the expected span,
 *     bitmap place, usable and free page counts, probes of pages that must
 *     be free or used, or the expected error. Each successful row is also
 *     checked page by page against an independent model (a page starts
 *     free iff it lies wholly inside a usable region and touches no
 *     non-usable region, no reserved range, not page 0 and not the bitmap),
 *     then drained with single-page allocations: exactly free_pages pages
 *     come out, each one the model says is free.
 *   - scenario rows: a layout and a sequence of allocations and frees with
 *     the expected results. A shadow of every page (never available /
 *     available / handed out) catches a page handed out twice or a refused
 *     free that changed something; after every step free_pages must equal
 *     the number of clear bits.
 * Every row counts as one case.
 *
 * Lock order: none (single-threaded).
 */
#include "kernel/page_alloc.h"

#include <stdbool.h>
#include <stdlib.h>

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define MIB             (1024ull * 1024)
#define ARENA_SIZE      (64 * MIB)

static uint8_t *arena;

static void *arena_pointer(uint64_t physical)
{
	if (physical >= ARENA_SIZE) {
		fprintf(stderr, "%s: bitmap at 0x%llx is outside the test arena\n",
		        test_current_name, (unsigned long long)physical);
		abort();
	}
	return arena + physical;
}

#define MAX_REGIONS  6
#define MAX_RESERVED 4
#define MAX_PROBES   8

struct layout {
	struct boot_memory_region regions[MAX_REGIONS];
	size_t region_count;
	struct page_range reserved[MAX_RESERVED];
	size_t reserved_count;
};

#define USABLE(base, length)                                                                       \
	{                                                                                          \
		(base), (length), BOOT_MEMORY_USABLE, 0                                            \
	}
#define REGION(base, length, type)                                                                 \
	{                                                                                          \
		(base), (length), (type), 0                                                        \
	}
#define REGIONS(...)                                                                               \
	.regions = {__VA_ARGS__},                                                                  \
	.region_count =                                                                            \
	    sizeof((struct boot_memory_region[]){__VA_ARGS__}) / sizeof(struct boot_memory_region)
#define RANGE(base, length)                                                                        \
	{                                                                                          \
		(base), (length)                                                                   \
	}
#define RESERVED(...)                                                                              \
	.reserved = {__VA_ARGS__},                                                                 \
	.reserved_count = sizeof((struct page_range[]){__VA_ARGS__}) / sizeof(struct page_range)
#define FREE_AT(...)                                                                               \
	.free_at = {__VA_ARGS__},                                                                  \
	.free_at_count = sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t)
#define USED_AT(...)                                                                               \
	.used_at = {__VA_ARGS__},                                                                  \
	.used_at_count = sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t)

static uint64_t round_up(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}
static uint64_t round_down(uint64_t x)
{
	return x & ~(PAGE_SIZE - 1);
}

static bool page_used(const struct page_allocator *a, uint64_t page)
{
	return (a->bitmap[page / 64] >> (page % 64)) & 1;
}

static uint64_t clear_bits(const struct page_allocator *a)
{
	uint64_t count = 0;
	for (uint64_t p = 0; p < a->page_count; p++)
		count += !page_used(a, p);
	return count;
}

static uint64_t bitmap_physical(const struct page_allocator *a)
{
	return (uint64_t)((uint8_t *)a->bitmap - arena);
}

static uint64_t bitmap_bytes(const struct page_allocator *a)
{
	/* Two bitmaps: pages in use and pages managed (freeable). */
	return round_up(2 * ((a->page_count + 63) / 64) * 8);
}

static bool overlaps(uint64_t page, uint64_t start, uint64_t end)
{
	return page < end && start < page + PAGE_SIZE;
}

/* The independent model: should the page at `page` start free? */
static bool model_free(const struct layout *l, const struct page_allocator *a, uint64_t page)
{
	if (page == 0)
		return false;
	bool usable = false;
	for (size_t i = 0; i < l->region_count; i++) {
		const struct boot_memory_region *r = &l->regions[i];
		uint64_t end = r->base + r->length;
		if (r->length == 0)
			continue;
		if (r->type == BOOT_MEMORY_USABLE) {
			if (end > r->base && round_up(r->base) <= page &&
			    page + PAGE_SIZE <= round_down(end))
				usable = true;
		} else {
			uint64_t top = end < r->base ? UINT64_MAX : round_up(end);
			if (overlaps(page, round_down(r->base), top))
				return false;
		}
	}
	for (size_t i = 0; i < l->reserved_count; i++) {
		const struct page_range *r = &l->reserved[i];
		if (overlaps(page, round_down(r->base), round_up(r->base + r->length)))
			return false;
	}
	if (overlaps(page, bitmap_physical(a), bitmap_physical(a) + bitmap_bytes(a)))
		return false;
	return usable;
}

static int init_layout(struct page_allocator *a, const struct layout *l, char *error,
                       size_t error_size)
{
	return page_allocator_init(a, l->regions, l->region_count, l->reserved, l->reserved_count,
	                           arena_pointer, error, error_size);
}

/* ---- initialisation ------------------------------------------------------ */

struct init_case {
	const char *name;
	struct layout layout;
	const char *error; /* substring of the expected error; NULL on success */
	uint64_t base;
	uint64_t page_count;
	uint64_t bitmap;
	uint64_t total_usable;
	uint64_t free_pages;
	uint64_t free_at[MAX_PROBES];
	size_t free_at_count;
	uint64_t used_at[MAX_PROBES];
	size_t used_at_count;
};

static const struct init_case init_cases[] = {
    {.name = "one usable region",
     .layout = {REGIONS(USABLE(0x100000, 16 * MIB))},
     .base = 0x100000,
     .page_count = 4096,
     .bitmap = 0x100000,
     .total_usable = 4096,
     .free_pages = 4095,
     FREE_AT(0x101000, 0x10ff000),
     USED_AT(0x100000)},
    {.name = "low memory with page 0, a hole, then high memory",
     .layout = {REGIONS(USABLE(0, 0x9f000), USABLE(0x100000, 15 * MIB))},
     .base = 0,
     .page_count = 4096,
     .bitmap = 0x1000,
     .total_usable = 159 + 3840,
     .free_pages = 3997,
     FREE_AT(0x2000, 0x9e000, 0x100000, 0xfff000),
     USED_AT(0, 0x1000, 0x9f000, 0xa0000, 0xff000)},
    {.name = "unsorted regions",
     .layout = {REGIONS(USABLE(0x100000, 15 * MIB), USABLE(0, 0x9f000))},
     .base = 0,
     .page_count = 4096,
     .bitmap = 0x100000,
     .total_usable = 3999,
     .free_pages = 3997,
     FREE_AT(0x1000, 0x9e000, 0x101000),
     USED_AT(0, 0x100000, 0xa0000)},
    {.name = "overlapping usable regions count once",
     .layout = {REGIONS(USABLE(0x100000, 8 * MIB), USABLE(0x500000, 8 * MIB))},
     .base = 0x100000,
     .page_count = 3072,
     .bitmap = 0x100000,
     .total_usable = 3072,
     .free_pages = 3071,
     FREE_AT(0x500000, 0x900000, 0xcff000),
     USED_AT(0x100000)},
    {.name = "unaligned region bounds are rounded inward",
     .layout = {REGIONS(USABLE(0x100800, 0x3000), USABLE(0x200001, 0x1fff),
                        USABLE(0x300100, 0x800))},
     .base = 0x101000,
     .page_count = 257,
     .bitmap = 0x101000,
     .total_usable = 3,
     .free_pages = 2,
     FREE_AT(0x102000, 0x201000),
     USED_AT(0x101000, 0x103000, 0x200000)},
    {.name = "non-usable regions overlapping usable ones win",
     .layout = {REGIONS(USABLE(0x100000, 16 * MIB), REGION(0x400000, 0x1800, BOOT_MEMORY_RESERVED),
                        REGION(0x800800, 0x100, BOOT_MEMORY_ACPI_RECLAIMABLE),
                        REGION(0x100000, 0x2000, BOOT_MEMORY_BAD))},
     .base = 0x100000,
     .page_count = 4096,
     .bitmap = 0x102000,
     .total_usable = 4091,
     .free_pages = 4090,
     FREE_AT(0x103000, 0x3ff000, 0x402000, 0x7ff000, 0x801000),
     USED_AT(0x100000, 0x101000, 0x102000, 0x400000, 0x401000, 0x800000)},
    {.name = "non-usable region wrapping past the top of memory",
     .layout = {REGIONS(USABLE(0x100000, 16 * MIB),
                        REGION(0x800000, UINT64_MAX - 0x100, BOOT_MEMORY_RESERVED))},
     .base = 0x100000,
     .page_count = 4096,
     .bitmap = 0x100000,
     .total_usable = 1792,
     .free_pages = 1791,
     FREE_AT(0x7ff000),
     USED_AT(0x800000, 0x10ff000)},
    {.name = "usable region wrapping past the top is ignored",
     .layout = {REGIONS(USABLE(0x100000, 1 * MIB), USABLE(0xfffffffffff00000ull, 0x200000))},
     .base = 0x100000,
     .page_count = 256,
     .bitmap = 0x100000,
     .total_usable = 256,
     .free_pages = 255,
     FREE_AT(0x1ff000)},
    {.name = "reserved ranges: trampoline page, image, module, low range",
     .layout = {REGIONS(USABLE(0x100000, 32 * MIB)),
                RESERVED(RANGE(0x100000, 0x1000), RANGE(0x200000, 0x123456),
                         RANGE(0x400000, 0x1000), RANGE(0x80000, 0x100000))},
     .base = 0x100000,
     .page_count = 8192,
     .bitmap = 0x180000,
     .total_usable = 8192,
     .free_pages = 8192 - 128 - 292 - 1 - 1,
     FREE_AT(0x181000, 0x324000, 0x3ff000, 0x401000),
     USED_AT(0x100000, 0x17f000, 0x180000, 0x200000, 0x323000, 0x400000)},
    {.name = "memory above 4 GiB: a 65-page bitmap pair",
     .layout = {REGIONS(USABLE(0x100000, 4 * MIB), USABLE(0x100000000ull, 4 * MIB))},
     .base = 0x100000,
     .page_count = 0x100300,
     .bitmap = 0x100000,
     .total_usable = 2048,
     .free_pages = 2048 - 65,
     FREE_AT(0x141000, 0x4ff000, 0x100000000ull, 0x1003ff000ull),
     USED_AT(0x100000, 0x120000, 0x140000, 0x500000, 0xfffff000ull)},

    {.name = "empty memory map",
     .layout = {.region_count = 0},
     .error = "no usable memory in the memory map"},
    {.name = "only non-usable regions",
     .layout = {REGIONS(REGION(0, 0x9f000, BOOT_MEMORY_RESERVED),
                        REGION(0x100000, MIB, BOOT_MEMORY_ACPI_NVS))},
     .error = "no usable memory in the memory map"},
    {.name = "usable regions smaller than a page",
     .layout = {REGIONS(USABLE(0x100800, 0x800), USABLE(0x200000, 0), USABLE(0x300001, 0xffe))},
     .error = "no usable memory in the memory map"},
    {.name = "no room for the bitmap: all usable memory reserved",
     .layout = {REGIONS(USABLE(0x100000, 0x4000)), RESERVED(RANGE(0x100000, 0x4000))},
     .error = "no room for the page bitmap (4096 bytes)"},
    {.name = "no room for the bitmap: all usable memory bad",
     .layout = {REGIONS(USABLE(0x100000, 0x4000), REGION(0xff000, 0x10000, BOOT_MEMORY_BAD))},
     .error = "no room for the page bitmap (4096 bytes)"},
    {.name = "no room for the bitmap: bad region wrapping back to its start",
     .layout = {REGIONS(USABLE(0x100000, 16 * MIB),
                        REGION(0x100000, UINT64_MAX - 0x100, BOOT_MEMORY_BAD))},
     .error = "no room for the page bitmap (4096 bytes)"},
    {.name = "no room for the bitmap: bad region ending at 2^64",
     .layout = {REGIONS(USABLE(0x100000, 16 * MIB),
                        REGION(0x100000, 0 - 0x100000ull, BOOT_MEMORY_BAD))},
     .error = "no room for the page bitmap (4096 bytes)"},
    {.name = "no room for the bitmap: only page 0 usable",
     .layout = {REGIONS(USABLE(0, 0x1000))},
     .error = "no room for the page bitmap (4096 bytes)"},
    {.name = "no room for the bitmap: 4 pages needed, 1-page regions",
     .layout = {REGIONS(USABLE(0x100000, 0x1000), USABLE(0x100000 + 256 * MIB - 0x1000, 0x1000))},
     .error = "no room for the page bitmap (16384 bytes)"},
};

/* Allocate single pages until none is left; each must be one the model
 * says started free, and none may come out twice. */
static void drain(struct page_allocator *a, const struct layout *l)
{
	uint64_t expected = a->free_pages, count = 0;
	uint8_t *seen = calloc(a->page_count, 1);
	for (;;) {
		uint64_t physical = page_alloc(a, 1, 1);
		if (!physical)
			break;
		uint64_t page = (physical - a->base) / PAGE_SIZE;
		if (physical % PAGE_SIZE || physical < a->base || page >= a->page_count ||
		    seen[page] || !model_free(l, a, physical)) {
			CHECK(!"page handed out twice, unaligned or not free");
			break;
		}
		seen[page] = 1;
		count++;
	}
	CHECK_EQ(count, expected);
	CHECK_EQ(a->free_pages, 0);
	CHECK_EQ(clear_bits(a), 0);
	free(seen);
}

static void test_init_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(init_cases); i++) {
		const struct init_case *row = &init_cases[i];
		test_case_begin(row->name);
		struct page_allocator a;
		char error[128] = "";
		int result = init_layout(&a, &row->layout, error, sizeof(error));
		if (row->error) {
			CHECK_EQ(result, -1);
			CHECK_CONTAINS(error, row->error);
			test_case_end();
			continue;
		}
		CHECK_EQ(result, 0);
		if (result != 0) {
			fprintf(stderr, "  error: %s\n", error);
			test_case_end();
			continue;
		}
		CHECK_EQ(a.base, row->base);
		CHECK_EQ(a.page_count, row->page_count);
		CHECK_EQ(bitmap_physical(&a), row->bitmap);
		CHECK_EQ(a.total_usable_pages, row->total_usable);
		CHECK_EQ(a.free_pages, row->free_pages);
		CHECK_EQ(clear_bits(&a), a.free_pages);
		for (size_t k = 0; k < row->free_at_count; k++) {
			uint64_t page = (row->free_at[k] - a.base) / PAGE_SIZE;
			if (page_used(&a, page))
				TEST_FAIL_("page 0x%llx should be free",
				           (unsigned long long)row->free_at[k]);
		}
		for (size_t k = 0; k < row->used_at_count; k++) {
			uint64_t physical = row->used_at[k];
			if (physical < a.base)
				continue; /* outside the span: never handed out */
			uint64_t page = (physical - a.base) / PAGE_SIZE;
			if (page < a.page_count && !page_used(&a, page))
				TEST_FAIL_("page 0x%llx should be used",
				           (unsigned long long)physical);
		}
		uint64_t mismatches = 0;
		for (uint64_t p = 0; p < a.page_count; p++) {
			uint64_t physical = a.base + p * PAGE_SIZE;
			if (page_used(&a, p) == model_free(&row->layout, &a, physical) &&
			    mismatches++ < 4)
				TEST_FAIL_("page 0x%llx: bitmap says %s, model says %s",
				           (unsigned long long)physical,
				           page_used(&a, p) ? "used" : "free",
				           page_used(&a, p) ? "free" : "used");
		}
		CHECK_EQ(mismatches, 0);
		drain(&a, &row->layout);
		test_case_end();
	}
}

/* ---- allocation and free sequences --------------------------------------- */

enum operation { ALLOC, FREE, FREE_PAGES, DRAIN, END };

struct step {
	enum operation operation;
	uint64_t physical; /* FREE */
	uint64_t count;    /* ALLOC, FREE */
	uint64_t align;    /* ALLOC */
	uint64_t expected; /* ALLOC: address or 0; FREE: 0 or -1;
	                      FREE_PAGES: the count; DRAIN: pages drained */
};

#define DO_ALLOC(count, align, expected)                                                           \
	{                                                                                          \
		ALLOC, 0, (count), (align), (expected)                                             \
	}
#define DO_FREE(physical, count, expected)                                                         \
	{                                                                                          \
		FREE, (physical), (count), 0, (uint64_t)(expected)                                 \
	}
#define EXPECT_FREE_PAGES(n)                                                                       \
	{                                                                                          \
		FREE_PAGES, 0, 0, 0, (n)                                                           \
	}
#define DO_DRAIN(n)                                                                                \
	{                                                                                          \
		DRAIN, 0, 0, 0, (n)                                                                \
	}

#define MAX_STEPS 24

struct scenario {
	const char *name;
	struct layout layout;
	struct step steps[MAX_STEPS];
};

enum shadow_state { SHADOW_AVAILABLE, SHADOW_HANDED_OUT, SHADOW_NEVER };

static const struct scenario scenarios[] = {
    {"single pages: first fit, the hint moves on, then wraps",
     {REGIONS(USABLE(0x100000, 0x5000))}, /* bitmap 0x100000, 4 free */
     {DO_ALLOC(1, 1, 0x101000),
      DO_ALLOC(1, 1, 0x102000),
      DO_FREE(0x101000, 1, 0),
      DO_ALLOC(1, 1, 0x103000),
      DO_ALLOC(1, 1, 0x104000),
      DO_ALLOC(1, 1, 0x101000),
      DO_ALLOC(1, 1, 0),
      EXPECT_FREE_PAGES(0),
      DO_FREE(0x102000, 2, 0),
      DO_ALLOC(3, 1, 0),
      EXPECT_FREE_PAGES(2),
      DO_ALLOC(2, 1, 0x102000),
      DO_ALLOC(1, 1, 0),
      {END, 0, 0, 0, 0}}},
    {"2 MiB aligned 512-page runs around a reserved page",
     {REGIONS(USABLE(0x100000, 16 * MIB)), RESERVED(RANGE(0x300000, 0x1000))},
     {DO_ALLOC(512, 512, 0x400000),
      DO_ALLOC(512, 512, 0x600000),
      /* a single page is searched from where the last run ended */
      DO_ALLOC(1, 1, 0x800000),
      DO_ALLOC(2, 2, 0x102000),
      DO_FREE(0x400000, 512, 0),
      DO_ALLOC(1024, 512, 0xa00000),
      DO_ALLOC(512, 512, 0x400000),
      DO_ALLOC(512, 512, 0xe00000),
      DO_ALLOC(512, 512, 0),
      DO_FREE(0x600000, 512, 0),
      DO_ALLOC(512, 512, 0x600000),
      EXPECT_FREE_PAGES(4096 - 2 - 3 - 5 * 512),
      {END, 0, 0, 0, 0}}},
    {"alignment is of the physical address, base page odd",
     {REGIONS(USABLE(0x101000, 0x10000))}, /* 16 pages, bitmap 0x101000 */
     {DO_ALLOC(1, 2, 0x102000),
      DO_ALLOC(4, 4, 0x104000),
      DO_ALLOC(8, 8, 0x108000),
      DO_ALLOC(2, 2, 0),
      DO_ALLOC(1, 1, 0x110000),
      DO_ALLOC(1, 1, 0x103000),
      EXPECT_FREE_PAGES(0),
      {END, 0, 0, 0, 0}}},
    {"invalid requests and exhaustion return 0",
     {REGIONS(USABLE(0x100000, MIB))}, /* 256 pages, 255 free */
     {DO_ALLOC(0, 1, 0),
      DO_ALLOC(1, 0, 0),
      DO_ALLOC(1, 3, 0),
      DO_ALLOC(2, 6, 0),
      DO_ALLOC(257, 1, 0),
      DO_ALLOC(256, 1, 0),
      DO_ALLOC(UINT64_MAX, 1, 0),
      DO_ALLOC(1, 1ull << 63, 0),
      EXPECT_FREE_PAGES(255),
      DO_ALLOC(255, 1, 0x101000),
      EXPECT_FREE_PAGES(0),
      DO_ALLOC(1, 1, 0),
      {END, 0, 0, 0, 0}}},
    {"enough free pages but no contiguous run",
     {REGIONS(USABLE(0x100000, 0x9000))}, /* 8 free pages */
     {DO_ALLOC(8, 1, 0x101000),
      DO_FREE(0x102000, 1, 0),
      DO_FREE(0x104000, 1, 0),
      DO_FREE(0x106000, 1, 0),
      EXPECT_FREE_PAGES(3),
      DO_ALLOC(2, 1, 0),
      DO_ALLOC(1, 1, 0x102000),
      DO_ALLOC(1, 1, 0x104000),
      DO_ALLOC(1, 1, 0x106000),
      DO_ALLOC(1, 1, 0),
      {END, 0, 0, 0, 0}}},
    {"wrong, double and outside-span frees are refused, nothing changes",
     {REGIONS(USABLE(0x100000, MIB))},
     {DO_ALLOC(4, 1, 0x101000),
      DO_FREE(0x101800, 1, -1),
      DO_FREE(0x101000, 0, -1),
      DO_FREE(0xff000, 1, -1),
      DO_FREE(0x200000, 1, -1),
      DO_FREE(0x1ff000, 2, -1),
      DO_FREE(0x101000, UINT64_MAX, -1),
      DO_FREE(0x105000, 1, -1),
      DO_FREE(0x103000, 3, -1),
      DO_FREE(0x100000000000ull, 1, -1),
      EXPECT_FREE_PAGES(251),
      DO_FREE(0x101000, 4, 0),
      DO_FREE(0x101000, 1, -1),
      DO_FREE(0x104000, 1, -1),
      EXPECT_FREE_PAGES(255),
      {END, 0, 0, 0, 0}}},
    {"page 0 and the bitmap are never handed out",
     {REGIONS(USABLE(0, 0x9f000), USABLE(0x100000, MIB))}, /* bitmap 0x1000 */
     {DO_ALLOC(2, 2, 0x2000),
      DO_ALLOC(1, 1, 0x4000),
      DO_ALLOC(1, 0x100, 0x100000),
      DO_DRAIN(159 + 256 - 2 - 4),
      EXPECT_FREE_PAGES(0),
      DO_FREE(0x9e000, 1, 0),
      DO_ALLOC(1, 1, 0x9e000),
      {END, 0, 0, 0, 0}}},
    {"page 0 and the bitmap pages cannot be freed into the pool",
     {REGIONS(USABLE(0, 0x9f000), USABLE(0x100000, MIB))}, /* bitmap 0x1000 */
     {EXPECT_FREE_PAGES(159 + 256 - 2),
      DO_FREE(0, 1, -1),
      DO_FREE(0x1000, 1, -1),
      DO_FREE(0x9f000, 1, -1),
      EXPECT_FREE_PAGES(159 + 256 - 2),
      {END, 0, 0, 0, 0}}},
};

struct shadow {
	struct page_allocator *allocator;
	uint8_t *state; /* enum shadow_state per page */
};

static void shadow_check(const struct shadow *s, const char *when)
{
	const struct page_allocator *a = s->allocator;
	if (clear_bits(a) != a->free_pages)
		TEST_FAIL_("%s: free_pages %llu but %llu clear bits", when,
		           (unsigned long long)a->free_pages, (unsigned long long)clear_bits(a));
	for (uint64_t p = 0; p < a->page_count; p++) {
		if (page_used(a, p) != (s->state[p] != SHADOW_AVAILABLE)) {
			TEST_FAIL_("%s: page 0x%llx bitmap and shadow disagree", when,
			           (unsigned long long)(a->base + p * PAGE_SIZE));
			return;
		}
	}
}

/* Record pages handed out: each must have been available. */
static void shadow_take(struct shadow *s, uint64_t physical, uint64_t count, const char *when)
{
	struct page_allocator *a = s->allocator;
	uint64_t first = (physical - a->base) / PAGE_SIZE;
	for (uint64_t p = first; p < first + count && p < a->page_count; p++) {
		if (s->state[p] != SHADOW_AVAILABLE) {
			TEST_FAIL_("%s: page 0x%llx was not available", when,
			           (unsigned long long)(a->base + p * PAGE_SIZE));
			return;
		}
		s->state[p] = SHADOW_HANDED_OUT;
	}
}

static void run_alloc(struct shadow *s, const struct step *step, const char *when)
{
	uint64_t physical = page_alloc(s->allocator, step->count, step->align);
	if (physical != step->expected)
		TEST_FAIL_("%s returned 0x%llx, expected 0x%llx", when,
		           (unsigned long long)physical, (unsigned long long)step->expected);
	if (!physical)
		return;
	CHECK_EQ(physical % (step->align * PAGE_SIZE), 0);
	shadow_take(s, physical, step->count, when);
}

/* Allocate single pages until none is left; returns how many. */
static uint64_t run_drain(struct shadow *s, const char *when)
{
	uint64_t count = 0, physical;
	while ((physical = page_alloc(s->allocator, 1, 1)) != 0) {
		shadow_take(s, physical, 1, when);
		count++;
	}
	return count;
}

static void run_free(struct shadow *s, const struct step *step, const char *when)
{
	struct page_allocator *a = s->allocator;
	int result = page_free(a, step->physical, step->count);
	CHECK_EQ(result, (int64_t)step->expected);
	if (result != 0)
		return;
	uint64_t first = (step->physical - a->base) / PAGE_SIZE;
	for (uint64_t p = first; p < first + step->count; p++) {
		if (s->state[p] != SHADOW_HANDED_OUT)
			TEST_FAIL_("%s: freed page 0x%llx that was not handed out", when,
			           (unsigned long long)(a->base + p * PAGE_SIZE));
		s->state[p] = SHADOW_AVAILABLE;
	}
}

static void test_scenarios(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(scenarios); i++) {
		const struct scenario *row = &scenarios[i];
		test_case_begin(row->name);
		struct page_allocator a;
		char error[128];
		if (init_layout(&a, &row->layout, error, sizeof(error)) != 0) {
			TEST_FAIL_("init failed: %s", error);
			test_case_end();
			continue;
		}
		struct shadow s = {&a, malloc(a.page_count)};
		for (uint64_t p = 0; p < a.page_count; p++)
			s.state[p] = page_used(&a, p) ? SHADOW_NEVER : SHADOW_AVAILABLE;
		for (size_t k = 0; k < MAX_STEPS && row->steps[k].operation != END; k++) {
			const struct step *step = &row->steps[k];
			char when[96];
			snprintf(when, sizeof(when), "step %zu (%s 0x%llx x %llu / %llu)", k + 1,
			         step->operation == ALLOC  ? "alloc"
			         : step->operation == FREE ? "free"
			                                   : "check",
			         (unsigned long long)step->physical,
			         (unsigned long long)step->count, (unsigned long long)step->align);
			if (step->operation == ALLOC) {
				run_alloc(&s, step, when);
			} else if (step->operation == FREE) {
				run_free(&s, step, when);
			} else if (step->operation == FREE_PAGES) {
				CHECK_EQ(a.free_pages, step->expected);
			} else if (step->operation == DRAIN) {
				CHECK_EQ(run_drain(&s, when), step->expected);
			}
			shadow_check(&s, when);
		}
		free(s.state);
		test_case_end();
	}
}

/* ---- the lock and small inputs ------------------------------------------ */

static void test_misc(void)
{
	struct page_allocator a;
	char error[128];

	test_case_begin("the lock is released after every call");
	struct layout l = {REGIONS(USABLE(0x100000, MIB))};
	CHECK_EQ(init_layout(&a, &l, error, sizeof(error)), 0);
	uint64_t physical = page_alloc(&a, 1, 1);
	CHECK(physical != 0);
	CHECK_EQ(page_alloc(&a, 0, 1), 0); /* refused before locking */
	CHECK_EQ(page_free(&a, physical, 1), 0);
	CHECK_EQ(page_free(&a, physical, 1), -1); /* refused inside the lock */
	CHECK_EQ(a.lock.next, a.lock.serving);
	CHECK(spinlock_try_acquire(&a.lock));
	spinlock_release(&a.lock);
	test_case_end();

	test_case_begin("page_alloc_above: only at or above the minimum, aligned");
	struct layout wide = {REGIONS(USABLE(0x100000, 8 * MIB))};
	CHECK_EQ(init_layout(&a, &wide, error, sizeof(error)), 0);
	uint64_t low = page_alloc(&a, 1, 1);
	uint64_t above = page_alloc_above(&a, 256, 256, 0x400000);
	CHECK(low < 0x400000);
	CHECK(above >= 0x400000);
	CHECK_EQ(above % (256 * PAGE_SIZE), 0);
	CHECK_EQ(page_alloc_above(&a, 1, 1, 0x100000 + 8 * MIB), 0); /* past the end */
	uint64_t one = page_alloc_above(&a, 1, 1, 0x500001);         /* rounded up to a page */
	CHECK(one >= 0x501000);
	test_case_end();

	test_case_begin("an error message is cut to the buffer and terminated");
	struct layout empty = {.region_count = 0};
	char small[9];
	memset(small, 'X', sizeof(small));
	CHECK_EQ(init_layout(&a, &empty, small, sizeof(small)), -1);
	CHECK_STR(small, "no usabl");
	test_case_end();
}

int main(void)
{
	arena = aligned_alloc(PAGE_SIZE, ARENA_SIZE);
	if (!arena) {
		fprintf(stderr, "test_page_alloc: cannot allocate the arena\n");
		return 1;
	}
	test_init_table();
	test_scenarios();
	test_misc();
	free(arena);
	return test_summary("test_page_alloc");
}
