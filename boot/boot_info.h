/*
 * boot/boot_info.h - what a boot path hands to the kernel.
 *
 * Both entry paths (Multiboot2 in boot/multiboot2.c, UEFI in boot/efi/) fill
 * one struct boot_info and call kernel_main() with it. The structure is
 * self-contained (no pointers into loader memory) so that the kernel may
 * reuse every byte the boot path owned once it has copied this structure.
 *
 * Lock order: none (written once by the boot CPU before anything else runs).
 */
#ifndef BOOT_BOOT_INFO_H
#define BOOT_BOOT_INFO_H

#include <stdint.h>

#define BOOT_MAX_MEMORY_REGIONS 256
#define BOOT_MAX_MODULES        64
#define BOOT_CMDLINE_SIZE       1024
#define BOOT_MODULE_NAME_SIZE   128

enum boot_path {
	BOOT_PATH_MULTIBOOT2 = 1,
	BOOT_PATH_UEFI = 2,
};

/* Memory types use the E820/Multiboot2 numbering. */
enum boot_memory_type {
	BOOT_MEMORY_USABLE = 1,
	BOOT_MEMORY_RESERVED = 2,
	BOOT_MEMORY_ACPI_RECLAIMABLE = 3,
	BOOT_MEMORY_ACPI_NVS = 4,
	BOOT_MEMORY_BAD = 5,
};

struct boot_memory_region {
	uint64_t base;
	uint64_t length;
	uint32_t type; /* enum boot_memory_type */
	uint32_t reserved;
};

/* A file handed to the hypervisor: a Multiboot2 module or an ESP file. */
struct boot_module {
	uint64_t base; /* physical address, page aligned */
	uint64_t length;
	char name[BOOT_MODULE_NAME_SIZE]; /* module command line / file name */
};

struct boot_info {
	uint32_t path; /* enum boot_path */
	uint32_t memory_region_count;
	uint32_t module_count;
	uint32_t modules_dropped;     /* given beyond BOOT_MAX_MODULES: not kept */
	uint64_t rsdp_physical;       /* ACPI RSDP, 0 if the loader found none */
	uint64_t trampoline_physical; /* a free page below 1 MiB for APs */
	char cmdline[BOOT_CMDLINE_SIZE];
	char loader_name[64];
	struct boot_memory_region memory[BOOT_MAX_MEMORY_REGIONS];
	struct boot_module modules[BOOT_MAX_MODULES];
};

/* The kernel's entry point; never returns. */
void kernel_main(const struct boot_info *info) __attribute__((noreturn));

#endif /* BOOT_BOOT_INFO_H */
