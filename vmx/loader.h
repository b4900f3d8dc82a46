/*
 * vmx/loader.h - loading Multiboot (v1) ELF kernels into guest memory.
 *
 * loader_multiboot_load() checks the Multiboot header (first 8 KiB, magic
 * 0x1BADB002, checksum, no unsupported required flags), the ELF headers
 * (ELF32 or ELF64, little-endian x86, EXEC) and every PT_LOAD segment
 * (inside the file, filesz <= memsz, wholly inside guest memory, no two
 * segments overlapping, none overlapping what is placed in guest memory
 * besides the kernel: the Multiboot information at LOADER_INFO_ADDRESS and
 * the guest ACPI tables at LOADER_ACPI_BASE; low memory below 1 MiB is
 * otherwise the kernel's), copies the segments
 * to their physical addresses and zeroes their BSS, places the modules
 * (ramdisk) page aligned after the kernel and at or above 1 MiB, and builds the Multiboot
 * information structure (memory sizes and map, command line, modules,
 * boot loader name) at LOADER_INFO_ADDRESS. The guest then starts at the
 * entry point with EAX = 0x2BADB002 and EBX = the information address.
 *
 * `guest` is the host view of guest-physical [0, guest_size). Errors are
 * reasons only (the caller prefixes the file name).
 *
 * Hardware independent (no kernel includes): compiled into the host tests.
 * Lock order: none.
 */
#ifndef VMX_LOADER_H
#define VMX_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define LOADER_MULTIBOOT_MAGIC 0x1badb002u
#define LOADER_BOOT_MAGIC      0x2badb002u
#define LOADER_INFO_ADDRESS    0x10000u
#define LOADER_INFO_SIZE       0x10000u
#define LOADER_LOWEST_LOAD     0x100000u /* 1 MiB: the first module address at the lowest */
/* Where vmx/platform.c builds the guest ACPI tables (PLATFORM_ACPI_BASE
 * and PLATFORM_ACPI_SIZE, which must stay equal to these). */
#define LOADER_ACPI_BASE   0xe0000u
#define LOADER_ACPI_SIZE   0x20000u
#define LOADER_MAX_MODULES 8
/* The Multiboot memory map: 24-byte entries (size, base, length, type)
 * with room for LOADER_MMAP_ROOM bytes; info fields mmap_length and
 * mmap_addr; flag bit 6. */
#define LOADER_MMAP_ENTRY   24u
#define LOADER_MMAP_ROOM    0x100u
#define LOADER_MMAP_LENGTH  44
#define LOADER_MMAP_ADDRESS 48
#define LOADER_FLAG_MMAP    (1u << 6)
#define LOADER_MMAP_RAM     1u

struct loader_module {
	const uint8_t *data;
	uint64_t length;
	const char *name; /* the module's string (command line) */
};

struct loader_result {
	uint32_t entry;
	uint32_t info_address;
	uint64_t kernel_start, kernel_end; /* guest-physical extent of the segments */
	uint64_t modules_end;
	uint32_t segment_count;
};

int loader_multiboot_load(uint8_t *guest, uint64_t guest_size, const uint8_t *image,
                          uint64_t image_length, const char *cmdline,
                          const struct loader_module *modules, unsigned module_count,
                          struct loader_result *result, char *error, size_t error_size);

/* After loader_multiboot_load(): one more RAM entry in the guest's memory
 * map (a DMA identity window above its RAM, vmx/assign.c). 0, or -1 when
 * the map has no room. */
int loader_multiboot_add_ram(uint8_t *guest, uint64_t base, uint64_t length);

/* Boot modules (physical ranges) must not overlap: 0, or -1 with the two
 * overlapping indices in `error`. */
struct loader_range {
	uint64_t base, length;
};
int loader_check_overlap(const struct loader_range *ranges, unsigned count, char *error,
                         size_t error_size);

#endif /* VMX_LOADER_H */
