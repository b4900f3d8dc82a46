/*
 * boot/multiboot2.c - turning the Multiboot2 information into boot_info.
 *
 * Called from boot/entry.asm in long mode on the temporary identity map.
 * Reads the tags we use: command line (1), boot loader name (2), modules
 * (3), memory map (6), ACPI old/new RSDP (14/15). Every tag is bounded by
 * the total size the loader declared.
 *
 * Lock order: none (boot CPU only).
 */
#include <stdint.h>

#include "boot/boot_info.h"
#include "kernel/string.h"

#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36d76289u

static struct boot_info boot_multiboot2_info;
/* The RSDP tag holds a copy of the RSDP inside loader memory, which the
 * page allocator may reuse: keep our own copy in the image. */
static uint8_t boot_multiboot2_rsdp[64] __attribute__((aligned(16)));

static void boot_copy_string(char *destination, size_t size, const uint8_t *source,
                             size_t available)
{
	size_t n = 0;
	while (n + 1 < size && n < available && source[n]) {
		destination[n] = (char)source[n];
		n++;
	}
	destination[n] = '\0';
}

void boot_multiboot2(uint32_t magic, uint64_t information)
{
	struct boot_info *info = &boot_multiboot2_info;
	memset(info, 0, sizeof(*info));
	info->path = BOOT_PATH_MULTIBOOT2;
	info->trampoline_physical = 0x8000;
	if (magic != MULTIBOOT2_BOOTLOADER_MAGIC) {
		string_copy(info->cmdline, "boot_error=bad-multiboot2-magic",
		            sizeof(info->cmdline));
		kernel_main(info);
	}
	const uint8_t *base = (const uint8_t *)(uintptr_t)information;
	uint32_t total = *(const uint32_t *)base;
	for (uint32_t offset = 8; offset + 8 <= total;) {
		const uint8_t *tag = base + offset;
		uint32_t type = *(const uint32_t *)tag;
		uint32_t size = *(const uint32_t *)(tag + 4);
		if (type == 0 || size < 8 || size > total - offset)
			break;
		switch (type) {
		case 1: { /* command line; GRUB may include the kernel path first */
			const uint8_t *text = tag + 8;
			size_t available = size - 8;
			if (available && text[0] == '/') {
				while (available && *text && *text != ' ') {
					text++;
					available--;
				}
			}
			boot_copy_string(info->cmdline, sizeof(info->cmdline), text, available);
			break;
		}
		case 2:
			boot_copy_string(info->loader_name, sizeof(info->loader_name), tag + 8,
			                 size - 8);
			break;
		case 3:
			if (size >= 16 && info->module_count == BOOT_MAX_MODULES)
				info->modules_dropped++;
			else if (size >= 16) {
				struct boot_module *m = &info->modules[info->module_count++];
				uint32_t start = *(const uint32_t *)(tag + 8);
				uint32_t end = *(const uint32_t *)(tag + 12);
				m->base = start;
				m->length = end > start ? end - start : 0;
				boot_copy_string(m->name, sizeof(m->name), tag + 16, size - 16);
			}
			break;
		case 6: {
			if (size < 16)
				break;
			uint32_t entry_size = *(const uint32_t *)(tag + 8);
			if (entry_size < 24)
				break;
			for (uint32_t e = 16; e + entry_size <= size &&
			                      info->memory_region_count < BOOT_MAX_MEMORY_REGIONS;
			     e += entry_size) {
				struct boot_memory_region *r =
				    &info->memory[info->memory_region_count++];
				r->base = *(const uint64_t *)(tag + e);
				r->length = *(const uint64_t *)(tag + e + 8);
				r->type = *(const uint32_t *)(tag + e + 16);
			}
			break;
		}
		case 14:
		case 15:
			if (!info->rsdp_physical || type == 15) {
				uint32_t length = size - 8 < sizeof(boot_multiboot2_rsdp)
				                      ? size - 8
				                      : sizeof(boot_multiboot2_rsdp);
				memcpy(boot_multiboot2_rsdp, tag + 8, length);
				info->rsdp_physical = (uint64_t)(uintptr_t)boot_multiboot2_rsdp;
			}
			break;
		default:
			break;
		}
		offset += (size + 7) & ~7u;
	}
	kernel_main(info);
}
