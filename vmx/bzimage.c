/*
 * vmx/bzimage.c - the Linux 64-bit boot protocol loader (see bzimage.h).
 *
 * Lock order: none.
 */
#include "vmx/bzimage.h"

#include <stdarg.h>

#include "kernel/string.h"

/* The placement bzimage_place() computes before anything is written. */
struct bzimage_plan {
	uint64_t ram_start; /* first byte of RAM above 1 MiB: 1 MiB, or the
	                     * identity part's high_base (guest_memory.h) */
	uint64_t ram_end;   /* end of RAM below the MMIO area */
	uint64_t kernel_address, kernel_end;
	uint64_t initrd_address;
	uint64_t cmdline_bytes;
};

static uint64_t bzimage_align_up(uint64_t value, uint64_t alignment)
{
	return (value + alignment - 1) & ~(alignment - 1);
}

static enum bzimage_status bzimage_fail(enum bzimage_status status, char *error, size_t size,
                                        const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static enum bzimage_status bzimage_fail(enum bzimage_status status, char *error, size_t size,
                                        const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	format_string_va(error, size, format, arguments);
	va_end(arguments);
	return status;
}

bool bzimage_detect(const uint8_t *image, uint64_t length)
{
	return length >= BZIMAGE_HEADER + sizeof(uint32_t) &&
	       string_load_le32(image + BZIMAGE_HEADER) == BZIMAGE_MAGIC;
}

/* The protected-mode part and the header's own extent inside the file. */
static enum bzimage_status bzimage_parse_extent(const uint8_t *image, uint64_t length,
                                                struct bzimage_header *h, char *error, size_t size)
{
	h->header_end = BZIMAGE_HEADER + image[BZIMAGE_JUMP + 1];
	if (h->header_end > BZIMAGE_HDR_END)
		h->header_end = BZIMAGE_HDR_END;
	if (h->header_end < BZIMAGE_INIT_SIZE + sizeof(uint32_t))
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "setup header ends at 0x%x, before init_size (jump at 0x200 "
		                    "is not the protocol's)",
		                    h->header_end);
	h->setup_sects = image[BZIMAGE_SETUP_SECTS];
	if (h->setup_sects == 0)
		h->setup_sects = BZIMAGE_DEFAULT_SETUP_SECTS;
	h->kernel_offset = (uint64_t)(h->setup_sects + 1) * BZIMAGE_SECTOR;
	h->kernel_bytes =
	    (uint64_t)string_load_le32(image + BZIMAGE_SYSSIZE) * BZIMAGE_SYSSIZE_UNIT;
	if (h->kernel_offset > length)
		return bzimage_fail(
		    BZIMAGE_BAD_KERNEL, error, size,
		    "truncated bzImage: setup_sects %u ends at 0x%llx, the file has "
		    "0x%llx bytes",
		    h->setup_sects, (unsigned long long)h->kernel_offset,
		    (unsigned long long)length);
	if (h->kernel_bytes == 0 || h->kernel_bytes > length - h->kernel_offset)
		return bzimage_fail(
		    BZIMAGE_BAD_KERNEL, error, size,
		    "truncated bzImage: syssize says 0x%llx kernel bytes at 0x%llx, "
		    "the file has 0x%llx bytes",
		    (unsigned long long)h->kernel_bytes, (unsigned long long)h->kernel_offset,
		    (unsigned long long)length);
	return BZIMAGE_OK;
}

enum bzimage_status bzimage_parse(const uint8_t *image, uint64_t length, struct bzimage_header *h,
                                  char *error, size_t size)
{
	memset(h, 0, sizeof(*h));
	if (!bzimage_detect(image, length))
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "not a bzImage: no \"HdrS\" magic at 0x202");
	if (length < BZIMAGE_HDR_END)
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "truncated bzImage: %llu bytes, the setup header needs %u",
		                    (unsigned long long)length, BZIMAGE_HDR_END);
	h->version = string_load_le16(image + BZIMAGE_VERSION);
	if (h->version < BZIMAGE_MIN_VERSION)
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "boot protocol %u.%02u is too old: 2.12 or later is needed",
		                    h->version >> 8, h->version & 0xffu);
	if (string_load_le16(image + BZIMAGE_BOOT_FLAG) != BZIMAGE_BOOT_FLAG_VALUE)
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "boot_flag at 0x1fe is not 0xaa55");
	h->loadflags = image[BZIMAGE_LOADFLAGS];
	h->xloadflags = string_load_le16(image + BZIMAGE_XLOADFLAGS);
	if (!(h->loadflags & BZIMAGE_LOADFLAG_LOADED_HIGH))
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "a zImage (loadflags LOADED_HIGH clear): only bzImages load");
	if (!(h->xloadflags & BZIMAGE_XLF_KERNEL_64))
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "no 64-bit entry point (xloadflags XLF_KERNEL_64 clear)");
	h->relocatable = image[BZIMAGE_RELOCATABLE];
	h->initrd_addr_max = string_load_le32(image + BZIMAGE_INITRD_ADDR_MAX);
	h->kernel_alignment = string_load_le32(image + BZIMAGE_KERNEL_ALIGNMENT);
	h->cmdline_size = string_load_le32(image + BZIMAGE_CMDLINE_SIZE);
	h->pref_address = string_load_le64(image + BZIMAGE_PREF_ADDRESS);
	h->init_size = string_load_le32(image + BZIMAGE_INIT_SIZE);
	if (h->relocatable &&
	    (h->kernel_alignment == 0 || (h->kernel_alignment & (h->kernel_alignment - 1))))
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "kernel_alignment 0x%x is not a power of two",
		                    h->kernel_alignment);
	return bzimage_parse_extent(image, length, h, error, size);
}

/* Where the kernel's init_size window goes (see bzimage.h). */
static enum bzimage_status bzimage_place_kernel(const struct bzimage_header *h,
                                                struct bzimage_plan *plan, char *error, size_t size)
{
	uint64_t window = h->init_size > h->kernel_bytes ? h->init_size : h->kernel_bytes;
	/* Relocatable: at pref_address or above ram_start; otherwise exactly at
	 * pref_address (at least 1 MiB). */
	uint64_t lowest = h->relocatable ? plan->ram_start : BZIMAGE_HIGH_MEMORY;
	uint64_t address = h->pref_address > lowest ? h->pref_address : lowest;
	if (h->relocatable)
		address = bzimage_align_up(address, h->kernel_alignment);
	if (window > plan->ram_end - plan->ram_start)
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "kernel needs 0x%llx bytes (init_size), more than the VM's RAM "
		                    "above 0x%llx (0x%llx bytes)",
		                    (unsigned long long)window, (unsigned long long)plan->ram_start,
		                    (unsigned long long)(plan->ram_end - plan->ram_start));
	bool fits = address <= plan->ram_end && window <= plan->ram_end - address;
	if (!fits && h->relocatable) {
		address = bzimage_align_up(plan->ram_start, h->kernel_alignment);
		fits = address <= plan->ram_end && window <= plan->ram_end - address;
	}
	/* A non-relocatable kernel below an identity part's RAM. */
	fits = fits && address >= plan->ram_start;
	if (!fits)
		return bzimage_fail(
		    BZIMAGE_BAD_KERNEL, error, size,
		    "kernel needs 0x%llx bytes (init_size) at 0x%llx%s: RAM ends at "
		    "0x%llx",
		    (unsigned long long)window, (unsigned long long)address,
		    h->relocatable ? "" : " (not relocatable)", (unsigned long long)plan->ram_end);
	plan->kernel_address = address;
	plan->kernel_end = address + window;
	return BZIMAGE_OK;
}

/* The initrd below min(initrd_addr_max + 1, RAM end), above the kernel. */
static enum bzimage_status bzimage_place_initrd(const struct bzimage_header *h,
                                                const struct bzimage_input *input,
                                                struct bzimage_plan *plan, char *error, size_t size)
{
	plan->initrd_address = 0;
	if (!input->initrd || !input->initrd_length)
		return BZIMAGE_OK;
	uint64_t top = (uint64_t)h->initrd_addr_max + 1;
	if (top > plan->ram_end)
		top = plan->ram_end;
	uint64_t bottom = bzimage_align_up(plan->kernel_end, BZIMAGE_PAGE);
	if (input->initrd_length > plan->ram_end)
		return bzimage_fail(
		    BZIMAGE_BAD_INITRD, error, size,
		    "initrd of 0x%llx bytes is larger than the VM's RAM (0x%llx bytes)",
		    (unsigned long long)input->initrd_length, (unsigned long long)plan->ram_end);
	uint64_t address = input->initrd_length <= top
	                       ? (top - input->initrd_length) & ~(uint64_t)(BZIMAGE_PAGE - 1)
	                       : 0;
	if (address < bottom)
		return bzimage_fail(BZIMAGE_BAD_INITRD, error, size,
		                    "initrd of 0x%llx bytes does not fit between the kernel's end "
		                    "0x%llx and 0x%llx (initrd_addr_max 0x%x, RAM end 0x%llx)",
		                    (unsigned long long)input->initrd_length,
		                    (unsigned long long)bottom, (unsigned long long)top,
		                    h->initrd_addr_max, (unsigned long long)plan->ram_end);
	plan->initrd_address = address;
	return BZIMAGE_OK;
}

static enum bzimage_status bzimage_place(const struct guest_memory *memory,
                                         const struct bzimage_header *h,
                                         const struct bzimage_input *input,
                                         struct bzimage_plan *plan, char *error, size_t size)
{
	uint64_t end = guest_memory_end(memory);
	if (memory->size < GUEST_MEMORY_LOW)
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "guest memory of 0x%llx bytes is below 2 MiB",
		                    (unsigned long long)memory->size);
	if (guest_memory_is_identity(memory) && end > input->mmio_base)
		return bzimage_fail(BZIMAGE_BAD_KERNEL, error, size,
		                    "identity-mapped RAM [0x%llx, 0x%llx) reaches the MMIO area at "
		                    "0x%llx",
		                    (unsigned long long)memory->high_base, (unsigned long long)end,
		                    (unsigned long long)input->mmio_base);
	plan->ram_start =
	    guest_memory_is_identity(memory) ? memory->high_base : BZIMAGE_HIGH_MEMORY;
	plan->ram_end = end < input->mmio_base ? end : input->mmio_base;
	plan->cmdline_bytes = input->cmdline ? strlen(input->cmdline) : 0;
	uint64_t longest =
	    h->cmdline_size < BZIMAGE_CMDLINE_AREA ? h->cmdline_size : BZIMAGE_CMDLINE_AREA - 1;
	if (plan->cmdline_bytes > longest)
		return bzimage_fail(BZIMAGE_BAD_CMDLINE, error, size,
		                    "command line of %llu bytes is too long: the kernel takes at "
		                    "most %llu (cmdline_size)",
		                    (unsigned long long)plan->cmdline_bytes,
		                    (unsigned long long)longest);
	if (bzimage_place_kernel(h, plan, error, size) != BZIMAGE_OK)
		return BZIMAGE_BAD_KERNEL;
	return bzimage_place_initrd(h, input, plan, error, size);
}

/* Append one e820 entry (empty ranges are left out). */
static void bzimage_e820_add(uint8_t *zero_page, uint32_t *count, uint64_t start, uint64_t end,
                             uint32_t type)
{
	if (end <= start || *count == BZIMAGE_E820_MAX)
		return;
	uint8_t *entry = zero_page + BZIMAGE_BP_E820_TABLE + *count * BZIMAGE_E820_ENTRY_SIZE;
	string_store_le64(entry + BZIMAGE_E820_ADDR, start);
	string_store_le64(entry + BZIMAGE_E820_SIZE, end - start);
	string_store_le32(entry + BZIMAGE_E820_TYPE, type);
	(*count)++;
}

/* The VM's memory map (see bzimage.h); returns the number of entries. */
static uint32_t bzimage_e820(uint8_t *zero_page, const struct guest_memory *memory,
                             const struct bzimage_input *input)
{
	uint64_t guest_size = guest_memory_end(memory);
	/* Identity: [1 MiB, high_base) is not announced (not identity). */
	uint64_t high = guest_memory_is_identity(memory) ? memory->high_base : BZIMAGE_HIGH_MEMORY;
	uint32_t count = 0;
	uint64_t acpi_end = input->acpi_base + input->acpi_size;
	bzimage_e820_add(zero_page, &count, 0, BZIMAGE_LOW_MEMORY_END, BZIMAGE_E820_RAM);
	bzimage_e820_add(zero_page, &count, BZIMAGE_LOW_MEMORY_END, input->acpi_base,
	                 BZIMAGE_E820_RESERVED);
	bzimage_e820_add(zero_page, &count, input->acpi_base, acpi_end, BZIMAGE_E820_RESERVED);
	bzimage_e820_add(zero_page, &count, acpi_end, BZIMAGE_HIGH_MEMORY, BZIMAGE_E820_RESERVED);
	if (guest_size <= input->mmio_base) {
		bzimage_e820_add(zero_page, &count, high, guest_size, BZIMAGE_E820_RAM);
	} else {
		bzimage_e820_add(zero_page, &count, high, input->mmio_base, BZIMAGE_E820_RAM);
		bzimage_e820_add(zero_page, &count, input->mmio_base, BZIMAGE_4G,
		                 BZIMAGE_E820_RESERVED);
		bzimage_e820_add(zero_page, &count, BZIMAGE_4G, guest_size, BZIMAGE_E820_RAM);
	}
	zero_page[BZIMAGE_BP_E820_ENTRIES] = (uint8_t)count;
	return count;
}

/* struct boot_params: the image's header, then what the loader sets. */
static uint32_t bzimage_zero_page(uint8_t *guest, const struct guest_memory *memory,
                                  const struct bzimage_input *input, const struct bzimage_header *h,
                                  const struct bzimage_plan *plan)
{
	uint8_t *zp = guest + BZIMAGE_ZERO_PAGE_ADDRESS;
	memset(zp, 0, BZIMAGE_ZERO_PAGE_SIZE);
	memcpy(zp + BZIMAGE_HDR_OFFSET, input->image + BZIMAGE_HDR_OFFSET,
	       h->header_end - BZIMAGE_HDR_OFFSET);
	zp[BZIMAGE_TYPE_OF_LOADER] = BZIMAGE_LOADER_UNDEFINED;
	string_store_le32(zp + BZIMAGE_CODE32_START, (uint32_t)plan->kernel_address);
	uint64_t initrd_bytes = plan->initrd_address ? input->initrd_length : 0;
	string_store_le32(zp + BZIMAGE_RAMDISK_IMAGE, (uint32_t)plan->initrd_address);
	string_store_le32(zp + BZIMAGE_RAMDISK_SIZE, (uint32_t)initrd_bytes);
	string_store_le32(zp + BZIMAGE_BP_EXT_RAMDISK_IMAGE,
	                  (uint32_t)(plan->initrd_address >> 32));
	string_store_le32(zp + BZIMAGE_BP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_bytes >> 32));
	string_store_le32(zp + BZIMAGE_CMD_LINE_PTR, BZIMAGE_CMDLINE_ADDRESS);
	string_store_le32(zp + BZIMAGE_BP_EXT_CMD_LINE_PTR, 0);
	string_store_le64(zp + BZIMAGE_BP_ACPI_RSDP_ADDR, input->rsdp_address);
	return bzimage_e820(zp, memory, input);
}

/* GDT and identity page tables for [0, 4 GiB) with 2 MiB pages. */
static void bzimage_tables(uint8_t *guest)
{
	static const uint64_t gdt[BZIMAGE_GDT_ENTRIES] = {
	    0, 0, [BZIMAGE_BOOT_CS / 8] = BZIMAGE_GDT_CODE64,
	    [BZIMAGE_BOOT_DS / 8] = BZIMAGE_GDT_DATA};
	for (unsigned i = 0; i < BZIMAGE_GDT_ENTRIES; i++)
		string_store_le64(guest + BZIMAGE_GDT_ADDRESS + sizeof(gdt[0]) * i, gdt[i]);
	const uint64_t table = BZIMAGE_PTE_PRESENT | BZIMAGE_PTE_WRITE;
	uint64_t entries = BZIMAGE_PAGE / sizeof(uint64_t);
	memset(guest + BZIMAGE_PML4_ADDRESS, 0, BZIMAGE_PAGE * 2);
	string_store_le64(guest + BZIMAGE_PML4_ADDRESS, BZIMAGE_PDPT_ADDRESS | table);
	for (uint64_t d = 0; d < BZIMAGE_PD_COUNT; d++) {
		uint64_t pd = BZIMAGE_PD_ADDRESS + d * BZIMAGE_PAGE;
		string_store_le64(guest + BZIMAGE_PDPT_ADDRESS + sizeof(uint64_t) * d, pd | table);
		for (uint64_t i = 0; i < entries; i++)
			string_store_le64(guest + pd + sizeof(uint64_t) * i,
			                  (d * entries + i) * BZIMAGE_LARGE_PAGE | table |
			                      BZIMAGE_PTE_LARGE);
	}
}

enum bzimage_status bzimage_load(const struct guest_memory *memory,
                                 const struct bzimage_input *input, struct bzimage_result *result,
                                 char *error, size_t size)
{
	struct bzimage_plan plan = {0, 0, 0, 0, 0, 0};
	memset(result, 0, sizeof(*result));
	struct bzimage_header *h = &result->header;
	enum bzimage_status status =
	    bzimage_parse(input->image, input->image_length, h, error, size);
	if (status == BZIMAGE_OK)
		status = bzimage_place(memory, h, input, &plan, error, size);
	if (status != BZIMAGE_OK)
		return status;
	/* Everything checked (the kernel and the initrd lie in RAM above
	 * plan.ram_start, one part): now write guest memory. */
	uint8_t *guest = guest_memory_pointer(memory, 0, GUEST_MEMORY_LOW);
	memcpy(guest_memory_pointer(memory, plan.kernel_address, h->kernel_bytes),
	       input->image + h->kernel_offset, h->kernel_bytes);
	if (plan.initrd_address)
		memcpy(guest_memory_pointer(memory, plan.initrd_address, input->initrd_length),
		       input->initrd, input->initrd_length);
	memset(guest + BZIMAGE_CMDLINE_ADDRESS, 0, plan.cmdline_bytes + 1);
	if (plan.cmdline_bytes)
		memcpy(guest + BZIMAGE_CMDLINE_ADDRESS, input->cmdline, plan.cmdline_bytes);
	result->e820_count = bzimage_zero_page(guest, memory, input, h, &plan);
	bzimage_tables(guest);
	result->kernel_address = plan.kernel_address;
	result->kernel_end = plan.kernel_end;
	result->initrd_address = plan.initrd_address;
	result->initrd_bytes = plan.initrd_address ? input->initrd_length : 0;
	result->cmdline_address = BZIMAGE_CMDLINE_ADDRESS;
	result->cmdline_bytes = plan.cmdline_bytes;
	result->zero_page = BZIMAGE_ZERO_PAGE_ADDRESS;
	result->entry = (struct vcpu_entry){
	    .mode = VCPU_ENTRY_LINUX64,
	    .rip = plan.kernel_address + BZIMAGE_ENTRY_64_OFFSET,
	    .rsp = BZIMAGE_STACK_TOP,
	    .rsi = BZIMAGE_ZERO_PAGE_ADDRESS,
	    .cr0 = BZIMAGE_CR0_PE | BZIMAGE_CR0_ET | BZIMAGE_CR0_PG,
	    .cr3 = BZIMAGE_PML4_ADDRESS,
	    .cr4 = BZIMAGE_CR4_PAE,
	    .efer = BZIMAGE_EFER_LME | BZIMAGE_EFER_LMA,
	    .gdt_base = BZIMAGE_GDT_ADDRESS,
	    .gdt_limit = BZIMAGE_GDT_ENTRIES * sizeof(uint64_t) - 1,
	    .code_selector = BZIMAGE_BOOT_CS,
	    .data_selector = BZIMAGE_BOOT_DS,
	};
	return BZIMAGE_OK;
}
