/*
 * vmx/loader.c - the Multiboot (v1) ELF loader (see loader.h).
 *
 * Lock order: none.
 */
#include "vmx/loader.h"

#include <stdbool.h>

#include "kernel/string.h"

#define ELF_PT_LOAD 1

struct loader_segment {
	uint64_t offset, address, file_size, memory_size;
};

/* Append text, then (if `with_number`) 0x-hex `number`. */
static void loader_message(char *error, size_t size, size_t *used, const char *text,
                           bool with_number, uint64_t number)
{
	for (size_t i = 0; text[i] && *used + 1 < size; i++)
		error[(*used)++] = text[i];
	if (with_number) {
		char digits[19];
		int n = 0;
		do {
			digits[n++] = "0123456789abcdef"[number & 15];
			number >>= 4;
		} while (number);
		const char *prefix = "0x";
		for (int i = 0; i < 2 && *used + 1 < size; i++)
			error[(*used)++] = prefix[i];
		while (n > 0 && *used + 1 < size)
			error[(*used)++] = digits[--n];
	}
	if (size)
		error[*used < size ? *used : size - 1] = '\0';
}

static int loader_fail(char *error, size_t size, const char *text)
{
	size_t used = 0;
	loader_message(error, size, &used, text, false, 0);
	return -1;
}

static int loader_fail_segment(char *error, size_t size, const char *text, unsigned index,
                               uint64_t address, uint64_t length)
{
	size_t used = 0;
	loader_message(error, size, &used, "segment ", true, index);
	loader_message(error, size, &used, " at ", true, address);
	loader_message(error, size, &used, " size ", true, length);
	loader_message(error, size, &used, ": ", false, 0);
	loader_message(error, size, &used, text, false, 0);
	return -1;
}

/* What is placed in guest memory besides the kernel and its modules. */
static const struct loader_placed {
	uint64_t base, length;
	const char *name;
} loader_placed[] = {
    {LOADER_INFO_ADDRESS, LOADER_INFO_SIZE, "the Multiboot information"},
    {LOADER_ACPI_BASE, LOADER_ACPI_SIZE, "the guest ACPI tables"},
};

/* 0, or -1 naming the segment and the range it overlaps. */
static int loader_check_placed(char *error, size_t size, unsigned index, uint64_t address,
                               uint64_t length)
{
	for (size_t i = 0; i < sizeof(loader_placed) / sizeof(loader_placed[0]); i++) {
		const struct loader_placed *p = &loader_placed[i];
		if (address < p->base + p->length && p->base < address + length) {
			size_t used = 0;
			loader_message(error, size, &used, "segment ", true, index);
			loader_message(error, size, &used, " at ", true, address);
			loader_message(error, size, &used, " size ", true, length);
			loader_message(error, size, &used, " overlaps ", false, 0);
			loader_message(error, size, &used, p->name, false, 0);
			loader_message(error, size, &used, " at ", true, p->base);
			loader_message(error, size, &used, " size ", true, p->length);
			return -1;
		}
	}
	return 0;
}

static int loader_check_header(const uint8_t *image, uint64_t length, char *error, size_t size)
{
	uint64_t limit = length < 8192 ? length : 8192;
	for (uint64_t at = 0; at + 12 <= limit; at += 4) {
		if (string_load_le32(image + at) != LOADER_MULTIBOOT_MAGIC)
			continue;
		uint32_t flags = string_load_le32(image + at + 4);
		uint32_t checksum = string_load_le32(image + at + 8);
		if ((uint32_t)(LOADER_MULTIBOOT_MAGIC + flags + checksum) != 0)
			return loader_fail(error, size, "Multiboot header checksum is wrong");
		if (flags & 0xfff8u)
			return loader_fail(error, size,
			                   "Multiboot header requires an unsupported feature");
		if (flags & (1u << 16))
			return loader_fail(
			    error, size,
			    "Multiboot a.out kludge (flag 16) is not supported: give an ELF");
		return 0;
	}
	return loader_fail(error, size, "no Multiboot header in the first 8 KiB");
}

/* Read and check the program headers into `segments`. */
static int loader_segments(const uint8_t *image, uint64_t length, uint64_t guest_size,
                           struct loader_segment *segments, unsigned *count, uint64_t *entry,
                           char *error, size_t size)
{
	if (length < 52 || image[0] != 0x7f || image[1] != 'E' || image[2] != 'L' ||
	    image[3] != 'F')
		return loader_fail(error, size, "not an ELF file (bad magic or truncated header)");
	bool elf64 = image[4] == 2;
	if ((image[4] != 1 && image[4] != 2) || image[5] != 1)
		return loader_fail(
		    error, size,
		    "ELF class or byte order not supported (need little-endian ELF32/ELF64)");
	uint16_t machine = string_load_le16(image + 18);
	if (string_load_le16(image + 16) != 2 || (machine != 3 && machine != 62))
		return loader_fail(error, size, "ELF is not an x86 executable (e_type/e_machine)");
	if (elf64 && length < 64)
		return loader_fail(error, size, "truncated ELF64 header");
	uint64_t phoff = elf64 ? string_load_le64(image + 32) : string_load_le32(image + 28);
	uint16_t phentsize = string_load_le16(image + (elf64 ? 54 : 42));
	uint16_t phnum = string_load_le16(image + (elf64 ? 56 : 44));
	*entry = elf64 ? string_load_le64(image + 24) : string_load_le32(image + 24);
	if (phentsize < (elf64 ? 56 : 32) || phnum == 0 || phnum > 64)
		return loader_fail(error, size, "bad program header table (entry size or count)");
	if (phoff > length || (uint64_t)phentsize * phnum > length - phoff)
		return loader_fail(error, size,
		                   "program header table lies outside the file (truncated ELF)");
	unsigned n = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = image + phoff + (uint64_t)i * phentsize;
		if (string_load_le32(ph) != ELF_PT_LOAD)
			continue;
		struct loader_segment s;
		if (elf64) {
			s.offset = string_load_le64(ph + 8);
			s.address = string_load_le64(ph + 24); /* p_paddr */
			s.file_size = string_load_le64(ph + 32);
			s.memory_size = string_load_le64(ph + 40);
		} else {
			s.offset = string_load_le32(ph + 4);
			s.address = string_load_le32(ph + 12);
			s.file_size = string_load_le32(ph + 16);
			s.memory_size = string_load_le32(ph + 20);
		}
		if (s.memory_size == 0)
			continue;
		if (s.file_size > s.memory_size)
			return loader_fail_segment(error, size, "file size exceeds memory size", i,
			                           s.address, s.memory_size);
		if (s.offset > length || s.file_size > length - s.offset)
			return loader_fail_segment(error, size,
			                           "data lies outside the file (truncated ELF)", i,
			                           s.address, s.memory_size);
		if (s.address >= guest_size || s.memory_size > guest_size - s.address)
			return loader_fail_segment(error, size, "lies outside guest memory", i,
			                           s.address, s.memory_size);
		if (loader_check_placed(error, size, i, s.address, s.memory_size))
			return -1;
		for (unsigned j = 0; j < n; j++)
			if (s.address < segments[j].address + segments[j].memory_size &&
			    segments[j].address < s.address + s.memory_size)
				return loader_fail_segment(error, size, "overlaps another segment",
				                           i, s.address, s.memory_size);
		if (n == LOADER_MAX_MODULES * 2)
			return loader_fail(error, size, "too many loadable segments");
		segments[n++] = s;
	}
	if (!n)
		return loader_fail(error, size, "ELF has no loadable segment");
	*count = n;
	return 0;
}

/* Copy a string into the information area; returns its guest address or 0. */
static uint32_t loader_put_string(uint8_t *guest, uint32_t *cursor, uint32_t end, const char *s)
{
	uint32_t start = *cursor;
	size_t n = 0;
	while (s[n])
		n++;
	if (start + n + 1 > end)
		return 0;
	__builtin_memcpy(guest + start, s, n + 1);
	*cursor = start + (uint32_t)n + 1;
	return start;
}

int loader_multiboot_load(uint8_t *guest, uint64_t guest_size, const uint8_t *image,
                          uint64_t image_length, const char *cmdline,
                          const struct loader_module *modules, unsigned module_count,
                          struct loader_result *result, char *error, size_t error_size)
{
	struct loader_segment segments[LOADER_MAX_MODULES * 2];
	unsigned count = 0;
	uint64_t entry = 0;
	if (guest_size < 2 * LOADER_LOWEST_LOAD || guest_size > 0xffffffffull)
		return loader_fail(error, error_size, "guest memory must be 2 MiB .. 4 GiB");
	if (module_count > LOADER_MAX_MODULES)
		return loader_fail(error, error_size, "too many modules");
	if (loader_check_header(image, image_length, error, error_size) ||
	    loader_segments(image, image_length, guest_size, segments, &count, &entry, error,
	                    error_size))
		return -1;
	uint64_t start = ~0ull, end = 0;
	bool entry_inside = false;
	for (unsigned i = 0; i < count; i++) {
		const struct loader_segment *s = &segments[i];
		if (s->address < start)
			start = s->address;
		if (s->address + s->memory_size > end)
			end = s->address + s->memory_size;
		if (entry >= s->address && entry < s->address + s->memory_size)
			entry_inside = true;
	}
	if (!entry_inside)
		return loader_fail(error, error_size, "entry point is not inside a loaded segment");
	/* Modules go page aligned after the kernel, at or above 1 MiB (clear
	 * of everything placed in low memory). */
	uint64_t cursor = (end + 0xfff) & ~0xfffull;
	if (cursor < LOADER_LOWEST_LOAD)
		cursor = LOADER_LOWEST_LOAD;
	uint64_t module_base[LOADER_MAX_MODULES];
	for (unsigned i = 0; i < module_count; i++) {
		if (modules[i].length > guest_size || cursor > guest_size - modules[i].length)
			return loader_fail(error, error_size,
			                   "modules do not fit in guest memory after the kernel");
		module_base[i] = cursor;
		cursor = (cursor + modules[i].length + 0xfff) & ~0xfffull;
	}
	/* Everything checked: now write guest memory. */
	for (unsigned i = 0; i < count; i++) {
		const struct loader_segment *s = &segments[i];
		__builtin_memcpy(guest + s->address, image + s->offset, s->file_size);
		__builtin_memset(guest + s->address + s->file_size, 0,
		                 s->memory_size - s->file_size);
	}
	for (unsigned i = 0; i < module_count; i++)
		__builtin_memcpy(guest + module_base[i], modules[i].data, modules[i].length);

	uint8_t *info = guest + LOADER_INFO_ADDRESS;
	__builtin_memset(info, 0, LOADER_INFO_SIZE);
	uint32_t mmap = LOADER_INFO_ADDRESS + 0x100, list = mmap + LOADER_MMAP_ROOM;
	uint32_t strings = LOADER_INFO_ADDRESS + 0x400,
	         strings_end = LOADER_INFO_ADDRESS + LOADER_INFO_SIZE;
	uint32_t flags = (1u << 0) | (1u << 6) | (1u << 9);
	string_store_le32(info + 4, 639); /* mem_lower KiB */
	string_store_le32(info + 8,
	                  (uint32_t)((guest_size - LOADER_LOWEST_LOAD) >> 10)); /* mem_upper */
	uint8_t *m = guest + mmap;
	string_store_le32(m, 20);
	string_store_le64(m + 4, 0);
	string_store_le64(m + 12, 0x9fc00);
	string_store_le32(m + 20, 1);
	string_store_le32(m + 24, 20);
	string_store_le64(m + 28, LOADER_LOWEST_LOAD);
	string_store_le64(m + 36, guest_size - LOADER_LOWEST_LOAD);
	string_store_le32(m + 44, 1);
	string_store_le32(info + 44, 48);
	string_store_le32(info + 48, mmap);
	if (cmdline) {
		uint32_t at = loader_put_string(guest, &strings, strings_end, cmdline);
		if (!at)
			return loader_fail(error, error_size, "command line too long");
		string_store_le32(info + 16, at);
		flags |= 1u << 2;
	}
	uint32_t name = loader_put_string(guest, &strings, strings_end, "uslice");
	string_store_le32(info + 64, name);
	if (module_count) {
		for (unsigned i = 0; i < module_count; i++) {
			uint8_t *e = guest + list + 16 * i;
			uint32_t at = loader_put_string(guest, &strings, strings_end,
			                                modules[i].name ? modules[i].name : "");
			if (!at)
				return loader_fail(error, error_size, "module names too long");
			string_store_le32(e, (uint32_t)module_base[i]);
			string_store_le32(e + 4, (uint32_t)(module_base[i] + modules[i].length));
			string_store_le32(e + 8, at);
		}
		string_store_le32(info + 20, module_count);
		string_store_le32(info + 24, list);
		flags |= 1u << 3;
	}
	string_store_le32(info, flags);
	result->entry = (uint32_t)entry;
	result->info_address = LOADER_INFO_ADDRESS;
	result->kernel_start = start;
	result->kernel_end = end;
	result->modules_end = cursor;
	result->segment_count = count;
	return 0;
}

int loader_multiboot_add_ram(uint8_t *guest, uint64_t base, uint64_t length)
{
	uint8_t *info = guest + LOADER_INFO_ADDRESS;
	uint32_t used = string_load_le32(info + LOADER_MMAP_LENGTH);
	uint32_t mmap = string_load_le32(info + LOADER_MMAP_ADDRESS);
	if (!(string_load_le32(info) & LOADER_FLAG_MMAP) ||
	    used + LOADER_MMAP_ENTRY > LOADER_MMAP_ROOM)
		return -1;
	uint8_t *m = guest + mmap + used;
	string_store_le32(m, LOADER_MMAP_ENTRY - 4);
	string_store_le64(m + 4, base);
	string_store_le64(m + 12, length);
	string_store_le32(m + 20, LOADER_MMAP_RAM);
	string_store_le32(info + LOADER_MMAP_LENGTH, used + LOADER_MMAP_ENTRY);
	return 0;
}

int loader_check_overlap(const struct loader_range *ranges, unsigned count, char *error,
                         size_t error_size)
{
	for (unsigned i = 0; i < count; i++)
		for (unsigned j = i + 1; j < count; j++)
			if (ranges[i].length && ranges[j].length &&
			    ranges[i].base < ranges[j].base + ranges[j].length &&
			    ranges[j].base < ranges[i].base + ranges[i].length) {
				size_t used = 0;
				loader_message(error, error_size, &used, "module ", true, i);
				loader_message(error, error_size, &used, " overlaps module ", true,
				               j);
				return -1;
			}
	return 0;
}
