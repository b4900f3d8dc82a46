/*
 * vmx/guest_memory.c - the two-part guest-physical view of a VM's RAM block
 * (see vmx/guest_memory.h).
 *
 * Hardware independent. Lock order: none.
 */
#include "vmx/guest_memory.h"

void guest_memory_flat(struct guest_memory *memory, uint8_t *host, uint64_t size)
{
	memory->host = host;
	memory->size = size;
	memory->high_base = GUEST_MEMORY_LOW;
}

int guest_memory_identity(struct guest_memory *memory, uint8_t *host, uint64_t host_physical,
                          uint64_t size)
{
	if (size <= GUEST_MEMORY_LOW || size % GUEST_MEMORY_LOW ||
	    host_physical % GUEST_MEMORY_LOW || host_physical + size < host_physical)
		return -1;
	memory->host = host;
	memory->size = size;
	memory->high_base = host_physical + GUEST_MEMORY_LOW;
	return 0;
}

void *guest_memory_pointer(const struct guest_memory *memory, uint64_t address, uint64_t length)
{
	/* Flat: one part, [0, size). */
	uint64_t part_start = 0, part_end = memory->size, offset = 0;
	if (guest_memory_is_identity(memory) && address < GUEST_MEMORY_LOW)
		part_end = GUEST_MEMORY_LOW;
	else if (guest_memory_is_identity(memory)) {
		part_start = memory->high_base;
		part_end = guest_memory_end(memory);
		offset = GUEST_MEMORY_LOW;
	}
	if (address < part_start || address >= part_end || length > part_end - address)
		return NULL;
	return memory->host + offset + (address - part_start);
}

uint64_t guest_memory_end(const struct guest_memory *memory)
{
	return memory->high_base + memory->size - GUEST_MEMORY_LOW;
}

bool guest_memory_is_identity(const struct guest_memory *memory)
{
	return memory->high_base != GUEST_MEMORY_LOW;
}
