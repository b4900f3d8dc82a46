/*
 * arch/x86/paging.c - building the identity map with W^X permissions
 * (see paging.h). Page-table pages come from the page allocator.
 *
 * Lock order: paging_lock is a leaf.
 */
#include "arch/x86/paging.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "kernel/lock.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/string.h"

#define PTE_PRESENT       (1ull << 0)
#define PTE_WRITABLE      (1ull << 1)
#define PTE_WRITE_THROUGH (1ull << 3)
#define PTE_CACHE_DISABLE (1ull << 4)
#define PTE_LARGE         (1ull << 7)
#define PTE_GLOBAL        (1ull << 8)
#define PTE_NO_EXECUTE    (1ull << 63)
#define PTE_ADDRESS_MASK  0x000ffffffffff000ull

#define PAGING_2M (2ull * 1024 * 1024)

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

static uint64_t *paging_pml4;
static struct spinlock paging_lock = SPINLOCK_INIT;

static uint64_t *paging_new_table(void)
{
	uint64_t physical = memory_alloc_pages_zeroed(1);
	if (!physical)
		panic("paging: out of memory for page tables");
	return (uint64_t *)(uintptr_t)physical;
}

/* Walk to the page directory for `address`, creating tables on the way. */
static uint64_t *paging_directory(uint64_t address)
{
	uint64_t *pml4e = &paging_pml4[(address >> 39) & 511];
	if (!(*pml4e & PTE_PRESENT))
		*pml4e = (uint64_t)(uintptr_t)paging_new_table() | PTE_PRESENT | PTE_WRITABLE;
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(*pml4e & PTE_ADDRESS_MASK);
	uint64_t *pdpte = &pdpt[(address >> 30) & 511];
	if (!(*pdpte & PTE_PRESENT))
		*pdpte = (uint64_t)(uintptr_t)paging_new_table() | PTE_PRESENT | PTE_WRITABLE;
	return (uint64_t *)(uintptr_t)(*pdpte & PTE_ADDRESS_MASK);
}

/* Split the 2 MiB mapping of `address` into 512 small pages (same flags). */
static uint64_t *paging_small_table(uint64_t address)
{
	uint64_t *pde = &paging_directory(address)[(address >> 21) & 511];
	if ((*pde & PTE_PRESENT) && !(*pde & PTE_LARGE))
		return (uint64_t *)(uintptr_t)(*pde & PTE_ADDRESS_MASK);
	uint64_t *table = paging_new_table();
	uint64_t flags = *pde & ~(PTE_ADDRESS_MASK | PTE_LARGE);
	uint64_t base = address & ~(PAGING_2M - 1);
	for (int i = 0; i < 512; i++)
		table[i] = (*pde & PTE_PRESENT) ? ((base + (uint64_t)i * 4096) | flags) : 0;
	*pde = (uint64_t)(uintptr_t)table | PTE_PRESENT | PTE_WRITABLE;
	return table;
}

static void paging_set_small(uint64_t address, uint64_t flags)
{
	uint64_t *table = paging_small_table(address);
	table[(address >> 12) & 511] = (address & PTE_ADDRESS_MASK) | flags;
}

void paging_init(uint64_t top, uint64_t trampoline_code_page)
{
	const uint64_t data = PTE_PRESENT | PTE_WRITABLE | PTE_NO_EXECUTE;
	paging_pml4 = paging_new_table();
	if (top < 4ull << 30)
		top = 4ull << 30;
	top = (top + PAGING_2M - 1) & ~(PAGING_2M - 1);
	for (uint64_t a = 0; a < top; a += PAGING_2M)
		paging_directory(a)[(a >> 21) & 511] = a | data | PTE_LARGE;

	uint64_t image_start = (uint64_t)(uintptr_t)__image_start;
	uint64_t text_end = (uint64_t)(uintptr_t)__text_end;
	uint64_t rodata_end = (uint64_t)(uintptr_t)__rodata_end;
	uint64_t image_end = (uint64_t)(uintptr_t)__image_end;
	for (uint64_t a = image_start; a < image_end; a += 4096) {
		uint64_t flags = a < text_end     ? PTE_PRESENT
		                 : a < rodata_end ? PTE_PRESENT | PTE_NO_EXECUTE
		                                  : data;
		paging_set_small(a, flags);
	}
	paging_set_small(0, 0); /* page 0: not present */
	if (trampoline_code_page)
		paging_set_small(trampoline_code_page, PTE_PRESENT);
	arch_cr3_write((uint64_t)(uintptr_t)paging_pml4);
}

uint64_t paging_root(void)
{
	return (uint64_t)(uintptr_t)paging_pml4;
}

void paging_map_uncached(uint64_t physical, uint64_t length)
{
	const uint64_t flags =
	    PTE_PRESENT | PTE_WRITABLE | PTE_NO_EXECUTE | PTE_CACHE_DISABLE | PTE_WRITE_THROUGH;
	uint64_t flags_irq = spinlock_acquire_irqsave(&paging_lock);
	for (uint64_t a = physical & ~0xfffull; a < physical + length; a += 4096)
		paging_set_small(a, flags);
	arch_cr3_write(arch_cr3_read());
	spinlock_release_irqrestore(&paging_lock, flags_irq);
}

void paging_unmap(uint64_t physical, uint64_t length)
{
	uint64_t flags_irq = spinlock_acquire_irqsave(&paging_lock);
	for (uint64_t a = physical & ~0xfffull; a < physical + length; a += 4096)
		paging_set_small(a, 0);
	arch_cr3_write(arch_cr3_read());
	spinlock_release_irqrestore(&paging_lock, flags_irq);
}
