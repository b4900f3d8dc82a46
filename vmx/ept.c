/*
 * vmx/ept.c - building a VM's EPT (see ept.h).
 *
 * Lock order: none.
 */
#include "vmx/ept.h"

#include <stdbool.h>

#include "kernel/memory.h"
#include "kernel/string.h"

#define EPT_READ           (1ull << 0)
#define EPT_WRITE          (1ull << 1)
#define EPT_EXECUTE        (1ull << 2)
#define EPT_MEMORY_TYPE_WB (6ull << 3)
#define EPT_MEMORY_TYPE_UC (0ull << 3)
#define EPT_IGNORE_PAT     (1ull << 6)
#define EPT_4K             4096ull
#define EPT_INDEX_MASK     511u
#define EPT_PML4_SHIFT     39
#define EPT_PDPT_SHIFT     30
#define EPT_PD_SHIFT       21
#define EPT_PT_SHIFT       12
#define EPT_LARGE          (1ull << 7)
#define EPT_ADDRESS_MASK   0x000ffffffffff000ull
#define EPT_RWX            (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_2M             (2ull << 20)
#define EPT_REACH          (512ull << 30) /* what the first PML4 entry maps */
/* EPTP: memory type write-back (6), page-walk length 4 (3 in bits 5:3). */
#define EPT_POINTER_FLAGS ((3ull << 3) | 6)

static uint64_t *ept_table(uint64_t *entry, struct ept_statistics *statistics)
{
	if (!(*entry & EPT_RWX)) {
		uint64_t page = memory_alloc_pages_zeroed(1);
		if (!page)
			return NULL;
		statistics->tables++;
		*entry = page | EPT_RWX;
	}
	return (uint64_t *)(uintptr_t)(*entry & EPT_ADDRESS_MASK);
}

/* Map guest [guest, guest + size) to host [host, ...), write-back, with
 * 2 MiB pages wherever both are aligned; false when out of table memory. */
static bool ept_map_range(uint64_t *pml4_table, uint64_t guest, uint64_t host, uint64_t size,
                          struct ept_statistics *statistics)
{
	for (uint64_t done = 0; done < size;) {
		uint64_t g = guest + done, h = host + done;
		uint64_t *pdpt =
		    ept_table(&pml4_table[(g >> EPT_PML4_SHIFT) & EPT_INDEX_MASK], statistics);
		uint64_t *pd =
		    pdpt ? ept_table(&pdpt[(g >> EPT_PDPT_SHIFT) & EPT_INDEX_MASK], statistics)
		         : NULL;
		if (!pd)
			return false;
		uint64_t *pde = &pd[(g >> EPT_PD_SHIFT) & EPT_INDEX_MASK];
		if (!((g | h) & (EPT_2M - 1)) && size - done >= EPT_2M) {
			*pde = h | EPT_RWX | EPT_MEMORY_TYPE_WB | EPT_LARGE;
			statistics->pages_2m++;
			done += EPT_2M;
			continue;
		}
		uint64_t *pt = ept_table(pde, statistics);
		if (!pt)
			return false;
		pt[(g >> EPT_PT_SHIFT) & EPT_INDEX_MASK] = h | EPT_RWX | EPT_MEMORY_TYPE_WB;
		statistics->pages_4k++;
		done += EPT_4K;
	}
	return true;
}

uint64_t ept_build(uint64_t host_base, const struct guest_memory *memory, uint64_t *root,
                   struct ept_statistics *statistics, char *error, size_t error_size)
{
	memset(statistics, 0, sizeof(*statistics));
	uint64_t size = memory->size;
	if ((host_base | size) & (EPT_4K - 1)) {
		format_string(error, error_size, "EPT: base 0x%llx or size 0x%llx not page aligned",
		              (unsigned long long)host_base, (unsigned long long)size);
		return 0;
	}
	if (guest_memory_end(memory) > EPT_REACH) {
		format_string(error, error_size, "EPT: RAM up to 0x%llx is beyond 512 GiB",
		              (unsigned long long)guest_memory_end(memory));
		return 0;
	}
	uint64_t pml4 = memory_alloc_pages_zeroed(1);
	if (!pml4)
		goto no_memory;
	statistics->tables++;
	uint64_t *pml4_table = (uint64_t *)(uintptr_t)pml4;
	/* The low part, then the upper part where it is elsewhere. */
	uint64_t low = guest_memory_is_identity(memory) ? GUEST_MEMORY_LOW : size;
	if (!ept_map_range(pml4_table, 0, host_base, low, statistics) ||
	    !ept_map_range(pml4_table, memory->high_base, host_base + low, size - low, statistics))
		goto no_memory;
	*root = pml4;
	/* Write-back paging structures, 4-level walk. */
	return pml4 | EPT_POINTER_FLAGS;
no_memory:
	ept_destroy(pml4); /* the tables built so far */
	format_string(error, error_size, "EPT: out of memory for tables");
	return 0;
}

/* Free the tables of one level and below; large pages map guest memory,
 * which the EPT does not own. */
static void ept_free_table(uint64_t table, int level)
{
	const uint64_t *entries = (const uint64_t *)(uintptr_t)table;
	for (int i = 0; level > 0 && i < 512; i++)
		if ((entries[i] & EPT_RWX) && !(entries[i] & EPT_LARGE))
			ept_free_table(entries[i] & EPT_ADDRESS_MASK, level - 1);
	memory_free_pages(table, 1);
}

void ept_destroy(uint64_t root)
{
	if (root)
		ept_free_table(root, 3);
}

/* The page-table entry of `guest` (creating tables when `create`), or NULL
 * (no table, out of memory, or a 2 MiB RAM mapping covers it). */
static uint64_t *ept_entry(uint64_t root, uint64_t guest, bool create)
{
	struct ept_statistics unused = {0, 0, 0};
	uint64_t *table = (uint64_t *)(uintptr_t)root;
	static const unsigned shifts[] = {EPT_PML4_SHIFT, EPT_PDPT_SHIFT, EPT_PD_SHIFT};
	for (unsigned level = 0; level < sizeof(shifts) / sizeof(shifts[0]); level++) {
		uint64_t *entry = &table[(guest >> shifts[level]) & EPT_INDEX_MASK];
		if ((*entry & EPT_LARGE) || (!create && !(*entry & EPT_RWX)))
			return NULL;
		table = ept_table(entry, &unused);
		if (!table)
			return NULL;
	}
	return &table[(guest >> EPT_PT_SHIFT) & EPT_INDEX_MASK];
}

/* 4 KiB mappings with the leaf bits `bits`, all or nothing. */
static int ept_map_pages(uint64_t root, uint64_t guest, uint64_t host, uint64_t size, uint64_t bits)
{
	if ((guest | host | size) & (EPT_4K - 1))
		return -1;
	for (uint64_t offset = 0; offset < size; offset += EPT_4K) {
		uint64_t *pte = ept_entry(root, guest + offset, true);
		if (!pte || (*pte & EPT_RWX)) {
			ept_unmap(root, guest, offset);
			return -1;
		}
		*pte = (host + offset) | bits;
	}
	return 0;
}

int ept_map_uncached(uint64_t root, uint64_t guest, uint64_t host, uint64_t size)
{
	return ept_map_pages(root, guest, host, size,
	                     EPT_READ | EPT_WRITE | EPT_MEMORY_TYPE_UC | EPT_IGNORE_PAT);
}

int ept_map_ram(uint64_t root, uint64_t guest, uint64_t host, uint64_t size)
{
	return ept_map_pages(root, guest, host, size, EPT_RWX | EPT_MEMORY_TYPE_WB);
}

void ept_unmap(uint64_t root, uint64_t guest, uint64_t size)
{
	for (uint64_t offset = 0; offset < size; offset += EPT_4K) {
		uint64_t *pte = ept_entry(root, guest + offset, false);
		if (pte)
			*pte = 0;
	}
}
