/*
 * tests/host/test_vmx_bzimage.c - the Linux boot protocol loader
 * (vmx/bzimage.c): a synthetic bzImage built here (placement, zero page,
 * e820, page tables, GDT, entry state, command line), the relocatable
 * fallback, a VM reaching the MMIO area, the identity layout of a VM with
 * an assigned device (vmx/guest_memory.h: its translation table, a
 * relocatable kernel placed in the identity part, the e820, a kernel that
 * is not relocatable refused), a table of malformed inputs with
 * their exact messages, and the real bzImage of guests/linux/build.sh when
 * its cache holds one (LINUX_BZIMAGE; the row is skipped otherwise).
 *
 * Lock order: none.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kernel/string.h"
#include "tests/host/test.h"
#include "vmx/bzimage.h"

#define GUEST_SIZE    (32ull << 20)
#define MMIO_BASE     0xfec00000ull
#define ACPI_BASE     0xe0000ull
#define ACPI_SIZE     0x20000ull
#define RSDP          0xe0040ull
#define SETUP_SECTS   2u
#define KERNEL_OFFSET ((SETUP_SECTS + 1) * 512u)
#define KERNEL_BYTES  0x1000u
#define IMAGE_SIZE    (KERNEL_OFFSET + KERNEL_BYTES)
#define INITRD_BYTES  0x3000u
#define GUARD         0xcc

/* A protocol 2.15 bzImage: 2 setup sectors, 4 KiB of kernel (bytes
 * 0x40 + offset % 64), not relocatable, pref_address 16 MiB, init_size
 * 8 MiB, cmdline_size 2047, initrd_addr_max 0x7fffffff. */
static void build_image(uint8_t *image)
{
	memset(image, 0, IMAGE_SIZE);
	image[0x1f1] = SETUP_SECTS;
	string_store_le32(image + 0x1f4, KERNEL_BYTES / 16);
	string_store_le16(image + 0x1fe, 0xaa55);
	image[0x200] = 0xeb;
	image[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(image + 0x202, "HdrS", 4);
	string_store_le16(image + 0x206, 0x020f);
	image[0x211] = 0x01;                          /* LOADED_HIGH */
	string_store_le32(image + 0x22c, 0x7fffffff); /* initrd_addr_max */
	string_store_le32(image + 0x230, 0x200000);   /* kernel_alignment */
	string_store_le16(image + 0x236, 0x0003);     /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	string_store_le32(image + 0x238, 2047);       /* cmdline_size */
	string_store_le64(image + 0x258, 0x1000000);  /* pref_address */
	string_store_le32(image + 0x260, 0x800000);   /* init_size */
	for (unsigned i = 0; i < KERNEL_BYTES; i++)
		image[KERNEL_OFFSET + i] = (uint8_t)(0x40 + i % 64);
}

static uint8_t initrd[INITRD_BYTES];

static struct bzimage_input input_for(const uint8_t *image, uint64_t length, const char *cmdline)
{
	for (unsigned i = 0; i < INITRD_BYTES; i++)
		initrd[i] = (uint8_t)(0x80 + i % 61);
	return (struct bzimage_input){image, length,    initrd,    INITRD_BYTES, cmdline,
	                              RSDP,  ACPI_BASE, ACPI_SIZE, MMIO_BASE};
}

/* bzimage_load() with the flat layout of [guest, guest + size). */
static enum bzimage_status load_flat(uint8_t *guest, uint64_t size, const struct bzimage_input *in,
                                     struct bzimage_result *r, char *error, size_t error_size)
{
	struct guest_memory memory;
	guest_memory_flat(&memory, guest, size);
	return bzimage_load(&memory, in, r, error, error_size);
}

static void check_e820(const uint8_t *zp, unsigned index, uint64_t start, uint64_t size,
                       uint32_t type)
{
	const uint8_t *e = zp + 0x2d0 + 20 * index;
	CHECK_EQ(string_load_le64(e), start);
	CHECK_EQ(string_load_le64(e + 8), size);
	CHECK_EQ(string_load_le32(e + 16), type);
}

/* Page tables: [0, 4 GiB) identity with 2 MiB pages; GDT at 0x1000. */
static void check_tables(const uint8_t *guest)
{
	CHECK_EQ(string_load_le64(guest + 0x9000), 0xa000 | 3);
	CHECK_EQ(string_load_le64(guest + 0x9008), 0);
	for (unsigned d = 0; d < 4; d++)
		CHECK_EQ(string_load_le64(guest + 0xa000 + 8 * d), (0xb000 + 0x1000 * d) | 3);
	CHECK_EQ(string_load_le64(guest + 0xa000 + 8 * 4), 0);
	static const struct {
		uint64_t address;
	} probes[] = {{0},          {0x200000},   {0x1000000}, {0x3fe00000},
	              {0x40000000}, {0xfee00000}, {0xffe00000}};
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t a = probes[i].address;
		uint64_t pd = 0xb000 + (a >> 30) * 0x1000;
		CHECK_EQ(string_load_le64(guest + pd + 8 * ((a >> 21) & 511)), a | 0x83);
	}
	CHECK_EQ(string_load_le64(guest + 0x1000), 0);
	CHECK_EQ(string_load_le64(guest + 0x1010), 0x00af9b000000ffffull);
	CHECK_EQ(string_load_le64(guest + 0x1018), 0x00cf93000000ffffull);
}

static void test_load_synthetic(void)
{
	static uint8_t image[IMAGE_SIZE];
	build_image(image);
	uint8_t *guest = calloc(1, GUEST_SIZE);
	const char *cmdline = "console=ttyS0,115200 nokaslr";
	struct bzimage_input in = input_for(image, IMAGE_SIZE, cmdline);
	struct bzimage_result r;
	char error[200] = "";
	CHECK(bzimage_detect(image, IMAGE_SIZE));
	CHECK_EQ(load_flat(guest, GUEST_SIZE, &in, &r, error, sizeof(error)), BZIMAGE_OK);
	CHECK_STR(error, "");
	CHECK_EQ(r.header.version, 0x020f);
	CHECK_EQ(r.header.kernel_offset, KERNEL_OFFSET);
	CHECK_EQ(r.header.kernel_bytes, KERNEL_BYTES);
	CHECK_EQ(r.kernel_address, 0x1000000);
	CHECK_EQ(r.kernel_end, 0x1800000);
	CHECK(memcmp(guest + 0x1000000, image + KERNEL_OFFSET, KERNEL_BYTES) == 0);
	/* Highest page-aligned address: 32 MiB - 0x3000. */
	CHECK_EQ(r.initrd_address, GUEST_SIZE - INITRD_BYTES);
	CHECK_EQ(r.initrd_bytes, INITRD_BYTES);
	CHECK(memcmp(guest + r.initrd_address, initrd, INITRD_BYTES) == 0);
	CHECK_EQ(r.cmdline_address, 0x20000);
	CHECK_EQ(r.cmdline_bytes, strlen(cmdline));
	CHECK_STR((const char *)guest + 0x20000, cmdline);
	/* The zero page. */
	const uint8_t *zp = guest + 0x7000;
	CHECK_EQ(r.zero_page, 0x7000);
	CHECK(memcmp(zp + 0x202, "HdrS", 4) == 0);
	CHECK_EQ(zp[0x1f1], SETUP_SECTS);
	CHECK_EQ(string_load_le32(zp + 0x260), 0x800000);
	CHECK_EQ(zp[0x210], 0xff);
	CHECK_EQ(string_load_le32(zp + 0x218), r.initrd_address);
	CHECK_EQ(string_load_le32(zp + 0x21c), INITRD_BYTES);
	CHECK_EQ(string_load_le32(zp + 0xc0), 0);
	CHECK_EQ(string_load_le32(zp + 0xc4), 0);
	CHECK_EQ(string_load_le32(zp + 0x228), 0x20000);
	CHECK_EQ(string_load_le32(zp + 0xc8), 0);
	CHECK_EQ(string_load_le64(zp + 0x70), RSDP);
	CHECK_EQ(zp[0x1ef], 0); /* sentinel */
	CHECK_EQ(zp[0x1e8], 4);
	CHECK_EQ(r.e820_count, 4);
	check_e820(zp, 0, 0, 0xa0000, 1);
	check_e820(zp, 1, 0xa0000, 0x40000, 2);
	check_e820(zp, 2, 0xe0000, 0x20000, 2);
	check_e820(zp, 3, 0x100000, GUEST_SIZE - 0x100000, 1);
	check_tables(guest);
	/* The 64-bit entry state. */
	CHECK_EQ(r.entry.mode, VCPU_ENTRY_LINUX64);
	CHECK_EQ(r.entry.rip, 0x1000200);
	CHECK_EQ(r.entry.rsi, 0x7000);
	CHECK_EQ(r.entry.cr3, 0x9000);
	CHECK_EQ(r.entry.cr0, 0x80000011);
	CHECK_EQ(r.entry.cr4, 0x20);
	CHECK_EQ(r.entry.efer, 0x500);
	CHECK_EQ(r.entry.gdt_base, 0x1000);
	CHECK_EQ(r.entry.gdt_limit, 31);
	CHECK_EQ(r.entry.code_selector, 0x10);
	CHECK_EQ(r.entry.data_selector, 0x18);
	free(guest);
}

/* No initrd, no command line; setup_sects 0 means 4. */
static void test_minimal_inputs(void)
{
	static uint8_t image[5 * 512 + KERNEL_BYTES];
	build_image(image);
	memmove(image + 5 * 512, image + KERNEL_OFFSET, KERNEL_BYTES);
	image[0x1f1] = 0;
	uint8_t *guest = calloc(1, GUEST_SIZE);
	struct bzimage_input in = {image, sizeof(image), NULL,      0,        NULL,
	                           0,     ACPI_BASE,     ACPI_SIZE, MMIO_BASE};
	struct bzimage_result r;
	char error[200] = "";
	CHECK_EQ(load_flat(guest, GUEST_SIZE, &in, &r, error, sizeof(error)), BZIMAGE_OK);
	CHECK_STR(error, "");
	CHECK_EQ(r.header.setup_sects, 4);
	CHECK_EQ(r.header.kernel_offset, 5 * 512);
	CHECK_EQ(guest[0x1000000], 0x40);
	CHECK_EQ(r.initrd_address, 0);
	CHECK_EQ(r.cmdline_bytes, 0);
	CHECK_EQ(guest[0x20000], 0);
	CHECK_EQ(string_load_le32(guest + 0x7000 + 0x218), 0);
	CHECK_EQ(string_load_le32(guest + 0x7000 + 0x21c), 0);
	CHECK_EQ(string_load_le64(guest + 0x7000 + 0x70), 0);
	free(guest);
}

/* A relocatable kernel whose window does not fit at pref_address moves to
 * the lowest aligned address above 1 MiB. */
static void test_relocatable_fallback(void)
{
	static uint8_t image[IMAGE_SIZE];
	build_image(image);
	image[0x234] = 1;
	string_store_le32(image + 0x260, 0x1800000); /* 24 MiB at 16 MiB: past 32 MiB */
	uint8_t *guest = calloc(1, GUEST_SIZE);
	struct bzimage_input in = input_for(image, IMAGE_SIZE, "x");
	struct bzimage_result r;
	char error[200] = "";
	CHECK_EQ(load_flat(guest, GUEST_SIZE, &in, &r, error, sizeof(error)), BZIMAGE_OK);
	CHECK_STR(error, "");
	CHECK_EQ(r.kernel_address, 0x200000);
	CHECK_EQ(r.kernel_end, 0x1a00000);
	CHECK_EQ(r.entry.rip, 0x200200);
	CHECK_EQ(string_load_le32(guest + 0x7000 + 0x214), 0x200000); /* code32_start */
	CHECK_EQ(r.initrd_address, GUEST_SIZE - INITRD_BYTES);
	free(guest);
}

/* Memory past the MMIO area: RAM again from 4 GiB; the initrd stays below
 * initrd_addr_max. Guest memory is reserved, not committed. */
static void test_memory_above_mmio(void)
{
	static uint8_t image[IMAGE_SIZE];
	build_image(image);
	uint64_t size = BZIMAGE_4G + (64ull << 20);
	uint8_t *guest = mmap(NULL, size, PROT_READ | PROT_WRITE,
	                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(guest != MAP_FAILED);
	if (guest == MAP_FAILED)
		return;
	struct bzimage_input in = input_for(image, IMAGE_SIZE, "");
	struct bzimage_result r;
	char error[200] = "";
	CHECK_EQ(load_flat(guest, size, &in, &r, error, sizeof(error)), BZIMAGE_OK);
	CHECK_STR(error, "");
	CHECK_EQ(r.initrd_address, 0x80000000ull - INITRD_BYTES);
	const uint8_t *zp = guest + 0x7000;
	CHECK_EQ(r.e820_count, 6);
	check_e820(zp, 3, 0x100000, MMIO_BASE - 0x100000, 1);
	check_e820(zp, 4, MMIO_BASE, BZIMAGE_4G - MMIO_BASE, 2);
	check_e820(zp, 5, BZIMAGE_4G, 64ull << 20, 1);
	munmap(guest, size);
}

struct bad_case {
	const char *what;
	uint32_t offset, width; /* patch `width` bytes of the header (0: none) */
	uint64_t value;
	uint64_t length;       /* file length (0: the whole image) */
	uint64_t initrd_bytes; /* 0: INITRD_BYTES */
	const char *cmdline;
	enum bzimage_status status;
	const char *error;
};

static const struct bad_case bad_cases[] = {
    {"wrong magic", 0x202, 4, 0x53726448 + 1, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "not a bzImage: no \"HdrS\" magic at 0x202"},
    {"header truncated", 0, 0, 0, 0x240, 0, "", BZIMAGE_BAD_KERNEL,
     "truncated bzImage: 576 bytes, the setup header needs 620"},
    {"setup_sects past the end", 0x1f1, 1, 0x40, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "truncated bzImage: setup_sects 64 ends at 0x8200, the file has 0x1600 bytes"},
    {"syssize past the end", 0x1f4, 4, 0x101, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "truncated bzImage: syssize says 0x1010 kernel bytes at 0x600, the file has 0x1600 bytes"},
    {"kernel cut short", 0, 0, 0, IMAGE_SIZE - 1, 0, "", BZIMAGE_BAD_KERNEL,
     "truncated bzImage: syssize says 0x1000 kernel bytes at 0x600, the file has 0x15ff bytes"},
    {"syssize zero", 0x1f4, 4, 0, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "truncated bzImage: syssize says 0x0 kernel bytes at 0x600, the file has 0x1600 bytes"},
    {"protocol 2.11", 0x206, 2, 0x020b, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "boot protocol 2.11 is too old: 2.12 or later is needed"},
    {"boot_flag", 0x1fe, 2, 0x55aa, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "boot_flag at 0x1fe is not 0xaa55"},
    {"zImage", 0x211, 1, 0, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "a zImage (loadflags LOADED_HIGH clear): only bzImages load"},
    {"no XLF_KERNEL_64", 0x236, 2, 0x0002, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "no 64-bit entry point (xloadflags XLF_KERNEL_64 clear)"},
    {"short header", 0x201, 1, 0x50, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "setup header ends at 0x252, before init_size (jump at 0x200 is not the protocol's)"},
    {"kernel larger than memory", 0x260, 4, 0x4000000, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "kernel needs 0x4000000 bytes (init_size), more than the VM's RAM above 0x100000 "
     "(0x1f00000 bytes)"},
    {"not relocatable, no room at pref_address", 0x260, 4, 0x1800000, 0, 0, "", BZIMAGE_BAD_KERNEL,
     "kernel needs 0x1800000 bytes (init_size) at 0x1000000 (not relocatable): RAM ends at "
     "0x2000000"},
    {"initrd larger than memory", 0, 0, 0, 0, 48u << 20, "", BZIMAGE_BAD_INITRD,
     "initrd of 0x3000000 bytes is larger than the VM's RAM (0x2000000 bytes)"},
    {"initrd does not fit above the kernel", 0, 0, 0, 0, 12u << 20, "", BZIMAGE_BAD_INITRD,
     "initrd of 0xc00000 bytes does not fit between the kernel's end 0x1800000 and 0x2000000 "
     "(initrd_addr_max 0x7fffffff, RAM end 0x2000000)"},
    {"initrd_addr_max below the kernel", 0x22c, 4, 0xffffff, 0, 0, "", BZIMAGE_BAD_INITRD,
     "initrd of 0x3000 bytes does not fit between the kernel's end 0x1800000 and 0x1000000 "
     "(initrd_addr_max 0xffffff, RAM end 0x2000000)"},
    {"command line of cmdline_size bytes", 0x238, 4, 16, 0, 0, "console=ttyS0,11", BZIMAGE_OK, ""},
    {"command line too long", 0x238, 4, 16, 0, 0, "console=ttyS0,115", BZIMAGE_BAD_CMDLINE,
     "command line of 17 bytes is too long: the kernel takes at most 16 (cmdline_size)"},
    {"kernel_alignment unused when not relocatable", 0x230, 4, 0x300000, 0, 0, "", BZIMAGE_OK, ""},
};

static void test_bad_inputs(void)
{
	static uint8_t image[IMAGE_SIZE];
	static uint8_t big_initrd[48u << 20];
	uint8_t *guest = malloc(GUEST_SIZE);
	for (unsigned i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		build_image(image);
		for (unsigned b = 0; b < c->width; b++)
			image[c->offset + b] = (uint8_t)(c->value >> (8 * b));
		struct bzimage_input in =
		    input_for(image, c->length ? c->length : IMAGE_SIZE, c->cmdline);
		if (c->initrd_bytes) {
			in.initrd = big_initrd;
			in.initrd_length = c->initrd_bytes;
		}
		memset(guest, GUARD, GUEST_SIZE);
		struct bzimage_result r;
		char error[200] = "";
		enum bzimage_status status =
		    load_flat(guest, GUEST_SIZE, &in, &r, error, sizeof(error));
		if (status != c->status || strcmp(error, c->error) != 0)
			TEST_FAIL_("%s: status %d \"%s\", want %d \"%s\"", c->what, status, error,
			           c->status, c->error);
		if (status != BZIMAGE_OK) /* nothing written */
			CHECK(guest[0x7000] == GUARD && guest[0x9000] == GUARD &&
			      guest[0x1000000] == GUARD && guest[0x20000] == GUARD);
	}
	free(guest);
}

/* A relocatable kernel with a bad kernel_alignment. */
static void test_bad_alignment(void)
{
	static uint8_t image[IMAGE_SIZE];
	build_image(image);
	image[0x234] = 1;
	string_store_le32(image + 0x230, 0x300000);
	struct bzimage_header h;
	char error[200] = "";
	CHECK_EQ(bzimage_parse(image, IMAGE_SIZE, &h, error, sizeof(error)), BZIMAGE_BAD_KERNEL);
	CHECK_STR(error, "kernel_alignment 0x300000 is not a power of two");
	CHECK(!bzimage_detect(image, 0x205));
}

static uint8_t *read_file(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
	*length = fread(data, 1, (size_t)(size > 0 ? size : 0), f);
	fclose(f);
	return data;
}

/* The real header of the cached guests/linux kernel. */
static void test_real_bzimage(void)
{
	size_t length = 0, initrd_length = 0;
	uint8_t *image = read_file(LINUX_BZIMAGE, &length);
	if (!image) {
		printf("test_vmx_bzimage: %s not cached (guests/linux/build.sh), skipping the "
		       "real-bzImage case\n",
		       LINUX_BZIMAGE);
		return;
	}
	uint8_t *ramdisk = read_file(LINUX_INITRAMFS, &initrd_length);
	struct bzimage_header h;
	char error[200] = "";
	CHECK(bzimage_detect(image, length));
	CHECK_EQ(bzimage_parse(image, length, &h, error, sizeof(error)), BZIMAGE_OK);
	CHECK_STR(error, "");
	CHECK(h.version >= 0x020c);
	CHECK(h.xloadflags & BZIMAGE_XLF_KERNEL_64);
	CHECK_EQ(h.pref_address, 0x1000000);
	CHECK_EQ(h.kernel_offset + h.kernel_bytes, length);
	CHECK(h.init_size >= h.kernel_bytes);
	CHECK(h.cmdline_size >= 255);
	uint64_t size = 128ull << 20;
	uint8_t *guest = calloc(1, size);
	struct bzimage_input in = {image,
	                           length,
	                           ramdisk,
	                           ramdisk ? initrd_length : 0,
	                           "console=ttyS0,115200 nokaslr",
	                           RSDP,
	                           ACPI_BASE,
	                           ACPI_SIZE,
	                           MMIO_BASE};
	struct bzimage_result r;
	CHECK_EQ(load_flat(guest, size, &in, &r, error, sizeof(error)), BZIMAGE_OK);
	CHECK_STR(error, "");
	CHECK_EQ(r.entry.rip, 0x1000200);
	CHECK(memcmp(guest + 0x1000000, image + h.kernel_offset, h.kernel_bytes) == 0);
	CHECK(!ramdisk || r.initrd_address + r.initrd_bytes <= size);
	printf("test_vmx_bzimage: real bzImage protocol %u.%02u, %zu bytes, init_size 0x%x, "
	       "initrd %zu bytes at 0x%llx\n",
	       h.version >> 8, h.version & 0xff, length, h.init_size, ramdisk ? initrd_length : 0,
	       (unsigned long long)r.initrd_address);
	free(guest);
	free(ramdisk);
	free(image);
}

/* guest_memory_pointer() in both layouts: a 64 MiB block; identity at
 * host-physical 96 MiB puts the upper part at [98 MiB, 160 MiB). */
static void test_guest_memory(void)
{
	static uint8_t block[1];
	struct guest_memory flat, identity;
	guest_memory_flat(&flat, block, 64ull << 20);
	CHECK_EQ(guest_memory_identity(&identity, block, 96ull << 20, 64ull << 20), 0);
	CHECK(!guest_memory_is_identity(&flat));
	CHECK(guest_memory_is_identity(&identity));
	CHECK_EQ(guest_memory_end(&flat), 64ull << 20);
	CHECK_EQ(guest_memory_end(&identity), 160ull << 20);
	static const struct {
		const char *name;
		bool identity;
		uint64_t address, length;
		int64_t offset; /* from the block's start; -1: NULL */
	} rows[] = {
	    {"flat: page 0", false, 0, 4096, 0},
	    {"flat: across 2 MiB is one part", false, 0x1ff000, 0x2000, 0x1ff000},
	    {"flat: last byte", false, (64ull << 20) - 1, 1, (64ll << 20) - 1},
	    {"flat: past the end", false, 64ull << 20, 1, -1},
	    {"flat: wraps", false, 0x1000, UINT64_MAX, -1},
	    {"identity: low part", true, 0x7000, 0x1000, 0x7000},
	    {"identity: low part's end", true, 0x1ff000, 0x1000, 0x1ff000},
	    {"identity: across the low part's end", true, 0x1ff000, 0x2000, -1},
	    {"identity: the hole above 2 MiB", true, 0x200000, 1, -1},
	    {"identity: just below high_base", true, (98ull << 20) - 1, 1, -1},
	    {"identity: high_base", true, 98ull << 20, 4096, 0x200000},
	    {"identity: last byte", true, (160ull << 20) - 1, 1, (64ll << 20) - 1},
	    {"identity: past the end", true, (160ull << 20) - 1, 2, -1},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		test_case_begin(rows[i].name);
		const struct guest_memory *m = rows[i].identity ? &identity : &flat;
		uint8_t *p = guest_memory_pointer(m, rows[i].address, rows[i].length);
		if (rows[i].offset < 0)
			CHECK(p == NULL);
		else
			CHECK(p == block + rows[i].offset);
		test_case_end();
	}
	static const struct {
		uint64_t host_physical, size;
	} refused[] = {{96ull << 20, 2ull << 20},
	               {96ull << 20, 3ull << 20},
	               {(96ull << 20) + 4096, 64ull << 20},
	               {UINT64_MAX - (2ull << 20) + 1, 4ull << 20}};
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		CHECK_EQ(guest_memory_identity(&identity, block, refused[i].host_physical,
		                               refused[i].size),
		         -1);
}

/* A Linux VM with an assigned device: a 64 MiB block at host-physical
 * 96 MiB. The relocatable kernel goes to high_base (98 MiB, above its
 * pref_address of 16 MiB), the initrd to the top, the e820 announces
 * [0, 0xa0000) and [98 MiB, 160 MiB) as RAM and nothing of [1, 98 MiB);
 * the low structures stay in the low part. Not relocatable: refused. */
static void test_identity_layout(void)
{
	static uint8_t image[IMAGE_SIZE];
	build_image(image);
	image[0x234] = 1;
	uint64_t size = 64ull << 20, high = 98ull << 20, end = 160ull << 20;
	uint8_t *block = calloc(1, size);
	struct guest_memory memory;
	CHECK_EQ(guest_memory_identity(&memory, block, 96ull << 20, size), 0);
	struct bzimage_input in = input_for(image, IMAGE_SIZE, "console=ttyS0");
	struct bzimage_result r;
	char error[200] = "";
	CHECK_EQ(bzimage_load(&memory, &in, &r, error, sizeof(error)), BZIMAGE_OK);
	CHECK_STR(error, "");
	CHECK_EQ(r.kernel_address, high);
	CHECK_EQ(r.entry.rip, high + 0x200);
	CHECK(memcmp(block + 0x200000, image + KERNEL_OFFSET, KERNEL_BYTES) == 0);
	CHECK_EQ(r.initrd_address, end - INITRD_BYTES);
	CHECK(memcmp(block + size - INITRD_BYTES, initrd, INITRD_BYTES) == 0);
	CHECK_STR((const char *)block + 0x20000, "console=ttyS0");
	const uint8_t *zp = block + 0x7000;
	CHECK_EQ(string_load_le32(zp + 0x214), high); /* code32_start */
	CHECK_EQ(r.e820_count, 4);
	check_e820(zp, 0, 0, 0xa0000, 1);
	check_e820(zp, 3, high, end - high, 1);
	check_tables(block);
	image[0x234] = 0;
	CHECK_EQ(bzimage_load(&memory, &in, &r, error, sizeof(error)), BZIMAGE_BAD_KERNEL);
	CHECK_STR(error, "kernel needs 0x800000 bytes (init_size) at 0x1000000 (not relocatable): "
	                 "RAM ends at 0xa000000");
	/* Identity RAM that reaches the MMIO area is refused. */
	struct guest_memory high_block;
	CHECK_EQ(guest_memory_identity(&high_block, block, MMIO_BASE - (32ull << 20), size), 0);
	image[0x234] = 1;
	CHECK_EQ(bzimage_load(&high_block, &in, &r, error, sizeof(error)), BZIMAGE_BAD_KERNEL);
	CHECK_STR(error, "identity-mapped RAM [0xfce00000, 0x100c00000) reaches the MMIO area at "
	                 "0xfec00000");
	free(block);
}

int main(void)
{
	TEST_RUN(test_guest_memory);
	TEST_RUN(test_identity_layout);
	TEST_RUN(test_load_synthetic);
	TEST_RUN(test_minimal_inputs);
	TEST_RUN(test_relocatable_fallback);
	TEST_RUN(test_memory_above_mmio);
	TEST_RUN(test_bad_inputs);
	TEST_RUN(test_bad_alignment);
	TEST_RUN(test_real_bzimage);
	return test_summary("test_vmx_bzimage");
}
