/*
 * kernel/memory.c - page allocator instance and a size-class heap.
 *
 * Lock order: heap_lock -> memory_pages.lock.
 */
#include "kernel/memory.h"

#include "kernel/lock.h"
#include "kernel/panic.h"
#include "kernel/string.h"

extern char __image_start[], __image_end[];

struct page_allocator memory_pages;

#define HEAP_CLASSES 8 /* 16, 32, ..., 2048 bytes */
#define HEAP_MAGIC   0x75736c6963656865ull

struct heap_block_header {
	uint64_t magic;
	uint64_t size_class; /* 0..7, or HEAP_CLASSES for page blocks */
	uint64_t pages;      /* page blocks only */
	uint64_t reserved;
};

struct heap_free_block {
	struct heap_free_block *next;
};

static struct spinlock heap_lock = SPINLOCK_INIT;
static struct heap_free_block *heap_free_lists[HEAP_CLASSES];

static void *memory_identity(uint64_t physical)
{
	return (void *)(uintptr_t)physical;
}

int memory_init(const struct boot_info *info, char *error, size_t error_size)
{
	struct page_range reserved[BOOT_MAX_MODULES + 3];
	size_t count = 0;
	reserved[count++] = (struct page_range){0, 1024 * 1024};
	reserved[count++] = (struct page_range){(uint64_t)(uintptr_t)__image_start,
	                                        (uint64_t)(uintptr_t)(__image_end - __image_start)};
	reserved[count++] = (struct page_range){(uint64_t)(uintptr_t)info, sizeof(*info)};
	for (uint32_t i = 0; i < info->module_count && i < BOOT_MAX_MODULES; i++)
		reserved[count++] =
		    (struct page_range){info->modules[i].base, info->modules[i].length};
	return page_allocator_init(&memory_pages, info->memory, info->memory_region_count, reserved,
	                           count, memory_identity, error, error_size);
}

uint64_t memory_alloc_pages(uint64_t count)
{
	return page_alloc(&memory_pages, count, 1);
}

uint64_t memory_alloc_pages_zeroed(uint64_t count)
{
	uint64_t physical = page_alloc(&memory_pages, count, 1);
	if (physical)
		memset((void *)(uintptr_t)physical, 0, count * PAGE_SIZE);
	return physical;
}

uint64_t memory_alloc_large_pages_zeroed(uint64_t count_2m)
{
	uint64_t physical = page_alloc(&memory_pages, count_2m * 512, 512);
	if (physical)
		memset((void *)(uintptr_t)physical, 0, count_2m * 512 * PAGE_SIZE);
	return physical;
}

uint64_t memory_alloc_large_pages_above(uint64_t count_2m, uint64_t minimum)
{
	uint64_t physical = page_alloc_above(&memory_pages, count_2m * 512, 512, minimum);
	if (physical)
		memset((void *)(uintptr_t)physical, 0, count_2m * 512 * PAGE_SIZE);
	return physical;
}

void memory_free_pages(uint64_t physical, uint64_t count)
{
	if (page_free(&memory_pages, physical, count) != 0)
		panic("memory: freeing pages 0x%llx+%llu that are not allocated",
		      (unsigned long long)physical, (unsigned long long)count);
}

void *memory_allocate(size_t size)
{
	size_t total = size + sizeof(struct heap_block_header);
	if (total > 2048) {
		uint64_t pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
		uint64_t physical = memory_alloc_pages_zeroed(pages);
		if (!physical)
			return NULL;
		struct heap_block_header *h = (void *)(uintptr_t)physical;
		*h = (struct heap_block_header){HEAP_MAGIC, HEAP_CLASSES, pages, 0};
		return h + 1;
	}
	unsigned size_class = 0;
	while ((16u << size_class) < total)
		size_class++;
	uint64_t flags = spinlock_acquire_irqsave(&heap_lock);
	if (!heap_free_lists[size_class]) {
		uint64_t page = memory_alloc_pages(1);
		if (!page) {
			spinlock_release_irqrestore(&heap_lock, flags);
			return NULL;
		}
		size_t block = 16u << size_class;
		for (size_t offset = 0; offset + block <= PAGE_SIZE; offset += block) {
			struct heap_free_block *f = (void *)(uintptr_t)(page + offset);
			f->next = heap_free_lists[size_class];
			heap_free_lists[size_class] = f;
		}
	}
	struct heap_free_block *f = heap_free_lists[size_class];
	heap_free_lists[size_class] = f->next;
	spinlock_release_irqrestore(&heap_lock, flags);
	memset(f, 0, 16u << size_class);
	struct heap_block_header *h = (void *)f;
	*h = (struct heap_block_header){HEAP_MAGIC, size_class, 0, 0};
	return h + 1;
}

void memory_free(void *block)
{
	if (!block)
		return;
	struct heap_block_header *h = (struct heap_block_header *)block - 1;
	if (h->magic != HEAP_MAGIC || h->size_class > HEAP_CLASSES)
		panic("memory: freeing %p, which is not a heap block", block);
	uint64_t size_class = h->size_class;
	h->magic = 0;
	if (size_class == HEAP_CLASSES) {
		memory_free_pages((uint64_t)(uintptr_t)h, h->pages);
		return;
	}
	uint64_t flags = spinlock_acquire_irqsave(&heap_lock);
	struct heap_free_block *f = (void *)h;
	f->next = heap_free_lists[size_class];
	heap_free_lists[size_class] = f;
	spinlock_release_irqrestore(&heap_lock, flags);
}

uint64_t memory_total_mb(void)
{
	return memory_pages.total_usable_pages * PAGE_SIZE / (1024 * 1024);
}

uint64_t memory_free_mb(void)
{
	return memory_pages.free_pages * PAGE_SIZE / (1024 * 1024);
}
