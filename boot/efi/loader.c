/*
 * boot/efi/loader.c - the UEFI entry path (GNU-EFI application).
 *
 * build/uslice.efi carries build/uslice.elf (the same hypervisor image the
 * Multiboot2 path boots) in its section .uslice_image. This loader:
 *   1. places every PT_LOAD segment of that image at its physical address
 *      (AllocateAddress; the image is linked at 2 MiB, identity mapped);
 *   2. reserves the AP trampoline pages (0x8000, 0x9000);
 *   3. finds the ACPI RSDP in the configuration table;
 *   4. reads from the ESP root: "uslice.cmdline" (the command line,
 *      optional) and "uslice.modules" (optional; one "FILE[:NAME]" a line,
 *      each FILE loaded page-aligned as a boot module);
 *   5. exits boot services with the final memory map, converts it to
 *      boot_info memory regions, and jumps to the image's ELF entry
 *      (boot_entry64) with RDI = the struct boot_info.
 * Any failure before ExitBootServices is printed on the console and
 * returned to the firmware.
 *
 * Lock order: none (single-threaded firmware context).
 */
#include <efi.h>
#include <efilib.h>

#include "boot/boot_info.h"

extern const UINT8 uslice_image_start[], uslice_image_end[];

typedef void (*loader_kernel_entry_fn)(struct boot_info *) __attribute__((sysv_abi, noreturn));

struct loader_elf_header {
	UINT8 ident[16];
	UINT16 type, machine;
	UINT32 version;
	UINT64 entry, program_header_offset, section_header_offset;
	UINT32 flags;
	UINT16 header_size, program_header_size, program_header_count;
	UINT16 section_header_size, section_header_count, section_name_index;
};

struct loader_program_header {
	UINT32 type, flags;
	UINT64 offset, virtual_address, physical_address, file_size, memory_size, align;
};

static struct boot_info *loader_info;

static void loader_copy(void *destination, const void *source, UINTN count)
{
	UINT8 *d = destination;
	const UINT8 *s = source;
	while (count--)
		*d++ = *s++;
}

static void loader_zero(void *destination, UINTN count)
{
	UINT8 *d = destination;
	while (count--)
		*d++ = 0;
}

static EFI_STATUS loader_place_image(UINT64 *entry)
{
	UINTN size = (UINTN)(uslice_image_end - uslice_image_start);
	const struct loader_elf_header *elf = (const void *)uslice_image_start;
	if (size < sizeof(*elf) || elf->ident[0] != 0x7f || elf->ident[1] != 'E' ||
	    elf->ident[2] != 'L' || elf->ident[3] != 'F' || elf->ident[4] != 2 ||
	    elf->machine != 62) {
		Print(L"uslice: the embedded image is not an x86-64 ELF\n");
		return EFI_LOAD_ERROR;
	}
	if (elf->program_header_offset > size ||
	    (UINT64)elf->program_header_count * sizeof(struct loader_program_header) >
	        size - elf->program_header_offset) {
		Print(L"uslice: the embedded image has a bad program header table\n");
		return EFI_LOAD_ERROR;
	}
	const struct loader_program_header *ph =
	    (const void *)(uslice_image_start + elf->program_header_offset);
	for (UINT16 i = 0; i < elf->program_header_count; i++) {
		if (ph[i].type != 1 /* PT_LOAD */ || ph[i].memory_size == 0)
			continue;
		if (ph[i].offset > size || ph[i].file_size > size - ph[i].offset ||
		    ph[i].file_size > ph[i].memory_size) {
			Print(L"uslice: segment %d lies outside the image\n", i);
			return EFI_LOAD_ERROR;
		}
		EFI_PHYSICAL_ADDRESS base = ph[i].physical_address & ~0xfffull;
		UINT64 end = ph[i].physical_address + ph[i].memory_size;
		UINTN pages = (UINTN)((end - base + 4095) / 4096);
		EFI_STATUS status = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress,
		                                      EfiLoaderData, pages, &base);
		if (EFI_ERROR(status)) {
			Print(L"uslice: cannot place segment %d at 0x%lx (%r)\n", i,
			      ph[i].physical_address, status);
			return status;
		}
		loader_copy((void *)(UINTN)ph[i].physical_address,
		            uslice_image_start + ph[i].offset, ph[i].file_size);
		loader_zero((void *)(UINTN)(ph[i].physical_address + ph[i].file_size),
		            ph[i].memory_size - ph[i].file_size);
	}
	*entry = elf->entry;
	return EFI_SUCCESS;
}

/* Read a whole file from the ESP root into fresh pages; NULL if absent. */
static void *loader_read_file(EFI_FILE_HANDLE root, CHAR16 *name, UINTN *length)
{
	EFI_FILE_HANDLE file;
	if (EFI_ERROR(uefi_call_wrapper(root->Open, 5, root, &file, name, EFI_FILE_MODE_READ, 0)))
		return NULL;
	EFI_FILE_INFO *info = LibFileInfo(file);
	if (!info) {
		uefi_call_wrapper(file->Close, 1, file);
		return NULL;
	}
	UINTN size = (UINTN)info->FileSize;
	FreePool(info);
	EFI_PHYSICAL_ADDRESS buffer = 0;
	UINTN pages = (size + 4096) / 4096;
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
	                                pages, &buffer))) {
		uefi_call_wrapper(file->Close, 1, file);
		return NULL;
	}
	UINTN read = size;
	EFI_STATUS status = uefi_call_wrapper(file->Read, 3, file, &read, (void *)(UINTN)buffer);
	uefi_call_wrapper(file->Close, 1, file);
	if (EFI_ERROR(status) || read != size)
		return NULL;
	((UINT8 *)(UINTN)buffer)[size] = 0;
	*length = size;
	return (void *)(UINTN)buffer;
}

static void loader_ascii_to_wide(const char *text, UINTN length, CHAR16 *wide, UINTN size)
{
	UINTN n = 0;
	for (; n < length && n + 1 < size && text[n]; n++)
		wide[n] = text[n] == '/' ? L'\\' : (CHAR16)text[n];
	wide[n] = 0;
}

static void loader_read_configuration(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *loaded;
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
	                                (void **)&loaded)))
		return;
	EFI_FILE_HANDLE root = LibOpenRoot(loaded->DeviceHandle);
	if (!root)
		return;
	UINTN length = 0;
	char *cmdline = loader_read_file(root, L"\\uslice.cmdline", &length);
	if (cmdline) {
		UINTN n = 0;
		for (; n < length && n + 1 < BOOT_CMDLINE_SIZE && cmdline[n] != '\n' &&
		       cmdline[n] != '\r' && cmdline[n];
		     n++)
			loader_info->cmdline[n] = cmdline[n];
		loader_info->cmdline[n] = 0;
	}
	char *list = loader_read_file(root, L"\\uslice.modules", &length);
	for (UINTN start = 0; list && start < length;) {
		UINTN end = start;
		while (end < length && list[end] != '\n')
			end++;
		UINTN colon = start;
		while (colon < end && list[colon] != ':')
			colon++;
		if (end > start && loader_info->module_count == BOOT_MAX_MODULES)
			loader_info->modules_dropped++;
		else if (end > start) {
			CHAR16 path[256];
			const char *file = list + start;
			UINTN file_length = colon - start;
			while (file_length && file[file_length - 1] == '\r')
				file_length--;
			/* Modules are copied to the ESP root under their base name. */
			UINTN slash = file_length;
			while (slash && file[slash - 1] != '/')
				slash--;
			path[0] = L'\\';
			loader_ascii_to_wide(file + slash, file_length - slash, path + 1, 255);
			UINTN module_length = 0;
			void *data = loader_read_file(root, path, &module_length);
			if (!data) {
				Print(L"uslice: cannot read module %s\n", path);
			} else {
				struct boot_module *m =
				    &loader_info->modules[loader_info->module_count++];
				m->base = (UINT64)(UINTN)data;
				m->length = module_length;
				const char *name = colon < end ? list + colon + 1 : file + slash;
				UINTN name_length =
				    colon < end ? end - colon - 1 : file_length - slash;
				UINTN n = 0;
				for (; n < name_length && n + 1 < BOOT_MODULE_NAME_SIZE &&
				       name[n] != '\r';
				     n++)
					m->name[n] = name[n];
				m->name[n] = 0;
			}
		}
		start = end + 1;
	}
}

static UINT32 loader_memory_type(UINT32 efi_type)
{
	switch (efi_type) {
	case EfiConventionalMemory:
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
		return BOOT_MEMORY_USABLE;
	case EfiACPIReclaimMemory:
		return BOOT_MEMORY_ACPI_RECLAIMABLE;
	case EfiACPIMemoryNVS:
		return BOOT_MEMORY_ACPI_NVS;
	case EfiUnusableMemory:
		return BOOT_MEMORY_BAD;
	default:
		return BOOT_MEMORY_RESERVED;
	}
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	InitializeLib(image, system_table);
	EFI_PHYSICAL_ADDRESS info_address = 0;
	UINTN info_pages = (sizeof(struct boot_info) + 4095) / 4096;
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
	                                info_pages, &info_address))) {
		Print(L"uslice: out of memory for boot information\n");
		return EFI_OUT_OF_RESOURCES;
	}
	loader_info = (struct boot_info *)(UINTN)info_address;
	loader_zero(loader_info, sizeof(*loader_info));
	loader_info->path = BOOT_PATH_UEFI;
	loader_copy(loader_info->loader_name, "uslice UEFI loader (GNU-EFI)", 29);

	UINT64 entry = 0;
	EFI_STATUS status = loader_place_image(&entry);
	if (EFI_ERROR(status))
		return status;
	EFI_PHYSICAL_ADDRESS trampoline = 0x8000;
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData, 2,
	                                &trampoline)))
		Print(L"uslice: warning: 0x8000-0x9fff is in use by the firmware\n");
	loader_info->trampoline_physical = 0x8000;

	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (CompareGuid(&t->VendorGuid, &acpi20) == 0)
			loader_info->rsdp_physical = (UINT64)(UINTN)t->VendorTable;
		else if (CompareGuid(&t->VendorGuid, &acpi10) == 0 && !loader_info->rsdp_physical)
			loader_info->rsdp_physical = (UINT64)(UINTN)t->VendorTable;
	}
	loader_read_configuration(image);

	/* The final memory map; retry once if it changed under us. */
	UINTN map_size = 0, map_key = 0, descriptor_size = 0;
	UINT32 descriptor_version = 0;
	EFI_MEMORY_DESCRIPTOR *map = NULL;
	for (int attempt = 0; attempt < 4; attempt++) {
		map_size = 0;
		uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, NULL, &map_key, &descriptor_size,
		                  &descriptor_version);
		map_size += 8 * descriptor_size;
		EFI_PHYSICAL_ADDRESS map_address = 0;
		if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
		                                EfiLoaderData, (map_size + 4095) / 4096,
		                                &map_address)))
			return EFI_OUT_OF_RESOURCES;
		map = (EFI_MEMORY_DESCRIPTOR *)(UINTN)map_address;
		status = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, map, &map_key,
		                           &descriptor_size, &descriptor_version);
		if (EFI_ERROR(status))
			continue;
		status = uefi_call_wrapper(BS->ExitBootServices, 2, image, map_key);
		if (!EFI_ERROR(status))
			break;
	}
	if (EFI_ERROR(status)) {
		Print(L"uslice: ExitBootServices failed (%r)\n", status);
		return status;
	}
	/* From here on no firmware boot service may be called. */
	UINT32 count = 0;
	for (UINTN offset = 0; offset + descriptor_size <= map_size; offset += descriptor_size) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + offset);
		UINT32 type = loader_memory_type(d->Type);
		UINT64 length = d->NumberOfPages * 4096;
		struct boot_memory_region *previous =
		    count ? &loader_info->memory[count - 1] : NULL;
		if (previous && previous->type == type &&
		    previous->base + previous->length == d->PhysicalStart) {
			previous->length += length;
			continue;
		}
		if (count == BOOT_MAX_MEMORY_REGIONS)
			break;
		loader_info->memory[count].base = d->PhysicalStart;
		loader_info->memory[count].length = length;
		loader_info->memory[count].type = type;
		count++;
	}
	loader_info->memory_region_count = count;
	((loader_kernel_entry_fn)(UINTN)entry)(loader_info);
}
