/*
 * tests/host/test_vmx_loader.c - the Multiboot (v1) ELF loader
 * (vmx/loader.c): ELF32 and ELF64 images built here, the Multiboot
 * information it writes, modules, and malformed inputs (no or bad
 * header, truncated ELF, segments outside guest memory, on what is placed
 * in low memory (Multiboot information, ACPI tables) or
 * overlapping, overlapping boot modules). Also loads the real testos.
 *
 * Lock order: none.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernel/string.h"
#include "tests/host/test.h"
#include "vmx/loader.h"

#define GUEST_SIZE (4u << 20)

struct segment {
	uint32_t type;
	uint64_t offset, address, file_size, memory_size;
};

/* An image: ELF header, program headers at 0x40/0x34, Multiboot header at
 * 0x200, segment data from 0x1000 (bytes 0xA0 + segment index). */
static size_t build_image(uint8_t *image, size_t size, bool elf64, uint64_t entry,
                          const struct segment *segments, unsigned count, uint32_t mb_flags,
                          bool bad_checksum)
{
	memset(image, 0, size);
	image[0] = 0x7f;
	image[1] = 'E';
	image[2] = 'L';
	image[3] = 'F';
	image[4] = elf64 ? 2 : 1;
	image[5] = 1;
	image[6] = 1;
	string_store_le16(image + 16, 2);
	string_store_le16(image + 18, elf64 ? 62 : 3);
	size_t phoff = elf64 ? 64 : 52, phentsize = elf64 ? 56 : 32;
	if (elf64) {
		string_store_le64(image + 24, entry);
		string_store_le64(image + 32, phoff);
		string_store_le16(image + 54, (uint16_t)phentsize);
		string_store_le16(image + 56, (uint16_t)count);
	} else {
		string_store_le32(image + 24, (uint32_t)entry);
		string_store_le32(image + 28, (uint32_t)phoff);
		string_store_le16(image + 42, (uint16_t)phentsize);
		string_store_le16(image + 44, (uint16_t)count);
	}
	size_t end = 0x1000;
	for (unsigned i = 0; i < count; i++) {
		uint8_t *ph = image + phoff + i * phentsize;
		const struct segment *s = &segments[i];
		if (elf64) {
			string_store_le32(ph, s->type);
			string_store_le64(ph + 8, s->offset);
			string_store_le64(ph + 16, s->address);
			string_store_le64(ph + 24, s->address);
			string_store_le64(ph + 32, s->file_size);
			string_store_le64(ph + 40, s->memory_size);
		} else {
			string_store_le32(ph, s->type);
			string_store_le32(ph + 4, (uint32_t)s->offset);
			string_store_le32(ph + 8, (uint32_t)s->address);
			string_store_le32(ph + 12, (uint32_t)s->address);
			string_store_le32(ph + 16, (uint32_t)s->file_size);
			string_store_le32(ph + 20, (uint32_t)s->memory_size);
		}
		if (s->offset <= size && s->file_size <= size - s->offset) {
			memset(image + s->offset, 0xa0 + (int)i, s->file_size);
			if (s->offset + s->file_size > end)
				end = s->offset + s->file_size;
		}
	}
	string_store_le32(image + 0x200, LOADER_MULTIBOOT_MAGIC);
	string_store_le32(image + 0x204, mb_flags);
	string_store_le32(image + 0x208, (uint32_t)(-(LOADER_MULTIBOOT_MAGIC + mb_flags)) +
	                                     (bad_checksum ? 1 : 0));
	return end;
}

static uint8_t *guest_memory(void)
{
	return calloc(1, GUEST_SIZE);
}

static void test_load_elf64_and_elf32(void)
{
	for (int elf64 = 0; elf64 <= 1; elf64++) {
		static uint8_t image[0x4000];
		struct segment s[2] = {{1, 0x1000, 0x100000, 0x800, 0x2000},
		                       {1, 0x2000, 0x200000, 0x100, 0x100}};
		size_t length = build_image(image, sizeof(image), elf64, 0x100010, s, 2, 3, false);
		uint8_t *guest = guest_memory();
		memset(guest, 0x55, GUEST_SIZE);
		uint8_t module_data[100];
		memset(module_data, 0x77, sizeof(module_data));
		struct loader_module module = {module_data, sizeof(module_data), "initrd"};
		struct loader_result r;
		char error[160] = "";
		int status = loader_multiboot_load(guest, GUEST_SIZE, image, length, "cpuid 5",
		                                   &module, 1, &r, error, sizeof(error));
		CHECK_EQ(status, 0);
		CHECK_STR(error, "");
		CHECK_EQ(r.entry, 0x100010);
		CHECK_EQ(r.info_address, LOADER_INFO_ADDRESS);
		CHECK_EQ(r.kernel_start, 0x100000);
		CHECK_EQ(r.kernel_end, 0x200100);
		CHECK_EQ(r.segment_count, 2);
		CHECK_EQ(guest[0x100000], 0xa0);
		CHECK_EQ(guest[0x1007ff], 0xa0);
		CHECK_EQ(guest[0x100800], 0); /* BSS zeroed */
		CHECK_EQ(guest[0x101fff], 0);
		CHECK_EQ(guest[0x102000], 0x55); /* untouched */
		CHECK_EQ(guest[0x200000], 0xa1);
		const uint8_t *info = guest + LOADER_INFO_ADDRESS;
		uint32_t flags = string_load_le32(info);
		CHECK_EQ(flags & 0x24d, 0x24d); /* mem, cmdline, mods, mmap, loader name */
		CHECK_EQ(string_load_le32(info + 4), 639);
		CHECK_EQ(string_load_le32(info + 8), (GUEST_SIZE - 0x100000) >> 10);
		CHECK_STR((const char *)guest + string_load_le32(info + 16), "cpuid 5");
		CHECK_STR((const char *)guest + string_load_le32(info + 64), "uslice");
		CHECK_EQ(string_load_le32(info + 20), 1);
		const uint8_t *mod = guest + string_load_le32(info + 24);
		CHECK_EQ(string_load_le32(mod), 0x201000); /* page aligned after the kernel */
		CHECK_EQ(string_load_le32(mod + 4), 0x201000 + sizeof(module_data));
		CHECK_STR((const char *)guest + string_load_le32(mod + 8), "initrd");
		CHECK_EQ(guest[0x201000], 0x77);
		CHECK_EQ(string_load_le32(info + 44), 48);
		const uint8_t *mmap = guest + string_load_le32(info + 48);
		CHECK_EQ(string_load_le32(mmap), 20);
		CHECK_EQ(string_load_le32(mmap + 20), 1);
		CHECK_EQ(string_load_le32(mmap + 28), 0x100000);
		/* A DMA identity window: one more RAM entry, until the map is full. */
		CHECK_EQ(loader_multiboot_add_ram(guest, 0x4000000, 0x200000), 0);
		CHECK_EQ(string_load_le32(info + 44), 72);
		CHECK_EQ(string_load_le32(mmap + 48), 20);
		CHECK_EQ(string_load_le64(mmap + 52), 0x4000000);
		CHECK_EQ(string_load_le64(mmap + 60), 0x200000);
		CHECK_EQ(string_load_le32(mmap + 68), 1);
		unsigned added = 1;
		while (loader_multiboot_add_ram(guest, 0x8000000, 0x1000) == 0)
			added++;
		CHECK_EQ(3 + added - 1, LOADER_MMAP_ROOM / LOADER_MMAP_ENTRY);
		free(guest);
	}
}

static void test_rejected_images(void)
{
	struct {
		const char *name;
		bool elf64;
		uint64_t entry;
		struct segment segments[2];
		unsigned count;
		uint32_t flags;
		bool bad_checksum;
		size_t truncate; /* 0 = whole image */
		const char *error;
	} rows[] = {
	    {"bad checksum",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x10, 0x10}},
	     1,
	     3,
	     true,
	     0,
	     "checksum"},
	    {"a.out kludge",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x10, 0x10}},
	     1,
	     0x10003,
	     false,
	     0,
	     "a.out kludge"},
	    {"unsupported flag",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x10, 0x10}},
	     1,
	     0x8,
	     false,
	     0,
	     "unsupported feature"},
	    {"on the Multiboot information",
	     true,
	     0x8000,
	     {{1, 0x1000, 0x8000, 0x10, 0x9000}},
	     1,
	     3,
	     false,
	     0,
	     "overlaps the Multiboot information at 0x10000 size 0x10000"},
	    {"on the ACPI tables",
	     true,
	     0x80000,
	     {{1, 0x1000, 0x80000, 0x10, 0x70000}},
	     1,
	     3,
	     false,
	     0,
	     "segment 0x0 at 0x80000 size 0x70000 overlaps the guest ACPI tables at 0xe0000 size "
	     "0x20000"},
	    {"outside memory",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x10, 0x10}, {1, 0x1000, GUEST_SIZE - 0x100, 0x10, 0x1000}},
	     2,
	     3,
	     false,
	     0,
	     "lies outside guest memory"},
	    {"far outside memory",
	     false,
	     0x100000,
	     {{1, 0x1000, 0xfffff000, 0x10, 0x2000}},
	     1,
	     3,
	     false,
	     0,
	     "lies outside guest memory"},
	    {"overlapping segments",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x10, 0x2000}, {1, 0x1000, 0x101000, 0x10, 0x10}},
	     2,
	     3,
	     false,
	     0,
	     "overlaps another segment"},
	    {"filesz > memsz",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x20, 0x10}},
	     1,
	     3,
	     false,
	     0,
	     "file size exceeds memory size"},
	    {"data past the end",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x10, 0x10}},
	     1,
	     3,
	     false,
	     0x1008,
	     "outside the file"},
	    {"offset overflow",
	     true,
	     0x100000,
	     {{1, ~0ull - 4, 0x100000, 0x10, 0x10}},
	     1,
	     3,
	     false,
	     0,
	     "outside the file"},
	    {"no loadable segment",
	     true,
	     0x100000,
	     {{4, 0x1000, 0x100000, 0x10, 0x10}},
	     1,
	     3,
	     false,
	     0,
	     "no loadable segment"},
	    {"entry outside",
	     true,
	     0x300000,
	     {{1, 0x1000, 0x100000, 0x10, 0x10}},
	     1,
	     3,
	     false,
	     0,
	     "entry point"},
	    {"truncated header",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x10, 0x10}},
	     1,
	     3,
	     false,
	     40,
	     "no Multiboot header"},
	    {"truncated phdrs",
	     true,
	     0x100000,
	     {{1, 0x1000, 0x100000, 0x10, 0x10}},
	     1,
	     3,
	     false,
	     0x70,
	     "no Multiboot header"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		static uint8_t image[0x4000];
		size_t length = build_image(image, sizeof(image), rows[i].elf64, rows[i].entry,
		                            rows[i].segments, rows[i].count, rows[i].flags,
		                            rows[i].bad_checksum);
		if (rows[i].truncate)
			length = rows[i].truncate;
		uint8_t *guest = guest_memory();
		struct loader_result r;
		char error[160] = "";
		test_current_name = rows[i].name;
		CHECK_EQ(loader_multiboot_load(guest, GUEST_SIZE, image, length, NULL, NULL, 0, &r,
		                               error, sizeof(error)),
		         -1);
		CHECK_CONTAINS(error, rows[i].error);
		CHECK_EQ(guest[0x100000], 0); /* nothing written on failure */
		free(guest);
	}
	test_current_name = "test_rejected_images";
}

/* A kernel linked at 32 KiB loads (nothing else is placed there); its
 * modules go at 1 MiB, clear of the Multiboot information. */
static void test_low_kernel(void)
{
	static uint8_t image[0x4000];
	static const uint8_t module_data[4] = {1, 2, 3, 4};
	const struct loader_module module = {module_data, sizeof(module_data), "m"};
	struct segment s[1] = {{1, 0x1000, 0x8000, 0x10, 0x100}};
	size_t length = build_image(image, sizeof(image), false, 0x8000, s, 1, 3, false);
	uint8_t *guest = guest_memory();
	struct loader_result r;
	char error[160] = "";
	CHECK_EQ(loader_multiboot_load(guest, GUEST_SIZE, image, length, NULL, &module, 1, &r,
	                               error, sizeof(error)),
	         0);
	CHECK_STR(error, "");
	CHECK_EQ(r.entry, 0x8000);
	CHECK_EQ(guest[0x8000], 0xa0);
	CHECK_EQ(guest[0x100000], 1); /* the module */
	free(guest);
}

/* The Multiboot header is found but the ELF program headers are cut off. */
static void test_truncated_program_headers(void)
{
	static uint8_t image[0x4000];
	struct segment s[1] = {{1, 0x1000, 0x100000, 0x10, 0x10}};
	build_image(image, sizeof(image), true, 0x100000, s, 1, 3, false);
	/* Move the program header table to the end of a short file. */
	string_store_le64(image + 32, 0x220);
	uint8_t *guest = guest_memory();
	struct loader_result r;
	char error[160] = "";
	CHECK_EQ(loader_multiboot_load(guest, GUEST_SIZE, image, 0x230, NULL, NULL, 0, &r, error,
	                               sizeof(error)),
	         -1);
	CHECK_CONTAINS(error, "program header table lies outside the file");
	image[4] = 3;
	CHECK_EQ(loader_multiboot_load(guest, GUEST_SIZE, image, sizeof(image), NULL, NULL, 0, &r,
	                               error, sizeof(error)),
	         -1);
	CHECK_CONTAINS(error, "ELF class");
	free(guest);
}

static void test_modules_do_not_fit(void)
{
	static uint8_t image[0x4000];
	struct segment s[1] = {{1, 0x1000, 0x100000, 0x10, 0x10}};
	size_t length = build_image(image, sizeof(image), false, 0x100000, s, 1, 3, false);
	uint8_t *guest = guest_memory();
	static uint8_t big[GUEST_SIZE];
	struct loader_module module = {big, sizeof(big), "big"};
	struct loader_result r;
	char error[160] = "";
	CHECK_EQ(loader_multiboot_load(guest, GUEST_SIZE, image, length, NULL, &module, 1, &r,
	                               error, sizeof(error)),
	         -1);
	CHECK_CONTAINS(error, "modules do not fit");
	free(guest);
}

static void test_overlapping_boot_modules(void)
{
	struct loader_range ok[] = {{0x1000000, 0x1000}, {0x1001000, 0x2000}, {0x2000000, 0}};
	struct loader_range bad[] = {{0x1000000, 0x1000}, {0x1003000, 0x10}, {0x1000800, 0x1000}};
	char error[100] = "";
	CHECK_EQ(loader_check_overlap(ok, 3, error, sizeof(error)), 0);
	CHECK_EQ(loader_check_overlap(bad, 3, error, sizeof(error)), -1);
	CHECK_STR(error, "module 0x0 overlaps module 0x2");
}

static void test_real_testos(void)
{
	FILE *f = fopen(TESTOS_ELF, "rb");
	if (!f) {
		printf("test_vmx_loader: %s not built, skipping the real-image case\n", TESTOS_ELF);
		return;
	}
	static uint8_t image[1 << 20];
	size_t length = fread(image, 1, sizeof(image), f);
	fclose(f);
	uint8_t *guest = guest_memory();
	struct loader_result r;
	char error[160] = "";
	CHECK_EQ(loader_multiboot_load(guest, GUEST_SIZE, image, length, "bench", NULL, 0, &r,
	                               error, sizeof(error)),
	         0);
	CHECK_STR(error, "");
	CHECK(r.entry >= 0x100000 && r.entry < r.kernel_end);
	CHECK_EQ(string_load_le32(guest + 0x100000), LOADER_MULTIBOOT_MAGIC);
	/* Copies cut inside the loaded data are rejected; cuts after it (in the
	 * symbol and section tables) still load. testos has one PT_LOAD. */
	uint64_t phoff = string_load_le32(image + 32);
	uint64_t data_end =
	    string_load_le32(image + phoff + 8) + string_load_le32(image + phoff + 32);
	for (size_t cut = 0; cut < length; cut += length / 37 + 1) {
		int status = loader_multiboot_load(guest, GUEST_SIZE, image, cut, NULL, NULL, 0, &r,
		                                   error, sizeof(error));
		CHECK_EQ(status, cut < data_end ? -1 : 0);
	}
	free(guest);
}

int main(void)
{
	TEST_RUN(test_load_elf64_and_elf32);
	TEST_RUN(test_rejected_images);
	TEST_RUN(test_low_kernel);
	TEST_RUN(test_truncated_program_headers);
	TEST_RUN(test_modules_do_not_fit);
	TEST_RUN(test_overlapping_boot_modules);
	TEST_RUN(test_real_testos);
	return test_summary("test_vmx_loader");
}
