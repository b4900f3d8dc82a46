/*
 * vmx/bzimage.h - loading Linux bzImage kernels with the 64-bit x86 boot
 * protocol (Linux Documentation/x86/boot.rst, struct boot_params and
 * struct setup_header of arch/x86/include/uapi/asm/bootparam.h).
 *
 * bzimage_parse() checks the setup header of a bzImage file: the "HdrS"
 * magic at 0x202, protocol >= 2.12, a bzImage (LOADED_HIGH) with a 64-bit
 * entry point (XLF_KERNEL_64), setup_sects (0 means 4) and syssize inside
 * the file, a power-of-two kernel_alignment when relocatable.
 *
 * bzimage_load() places, in guest-physical memory:
 *  - the protected-mode kernel (syssize * 16 bytes after the setup sectors)
 *    at pref_address (the kernel's runtime start); its init_size window
 *    [load, load + init_size) must be RAM below the MMIO area. A
 *    relocatable kernel that does not fit there goes to the lowest
 *    kernel_alignment-aligned address >= 1 MiB instead. In the identity
 *    layout (vmx/guest_memory.h) "1 MiB" is the upper part's high_base,
 *    and a kernel that is not relocatable must find its pref_address
 *    there;
 *  - the initrd at the highest page-aligned address whose last byte is
 *    <= initrd_addr_max and inside RAM, above the kernel's window;
 *  - the command line (at most cmdline_size bytes, NUL-terminated) at
 *    BZIMAGE_CMDLINE_ADDRESS;
 *  - the zero page (struct boot_params) at BZIMAGE_ZERO_PAGE_ADDRESS: the
 *    image's setup header copied into hdr, type_of_loader 0xff, the
 *    ramdisk and command-line pointers (and their ext_ high halves),
 *    acpi_rsdp_addr and an e820 table from the VM's layout;
 *  - a GDT (null, null, __BOOT_CS 0x10 64-bit code, __BOOT_DS 0x18 data)
 *    and identity page tables mapping [0, 4 GiB) with 2 MiB pages.
 * The low structures lie in [0x1000, 0x30000), inside conventional memory,
 * clear of the real-mode IVT/BDA (page 0) and of the 0x9f000+ area.
 *
 * The e820 table: RAM [0, 0xa0000); reserved [0xa0000, acpi_base) (the
 * legacy VGA/option-ROM hole); reserved (type 2, not ACPI-reclaimable:
 * the area also holds the RSDP in the BIOS window the kernel scans) the
 * ACPI area; RAM from 1 MiB to the end of memory, less [mmio_base, 4 GiB)
 * (reserved: IOAPIC and LAPIC pages) when memory reaches it. In the
 * identity layout the upper RAM entry starts at high_base ([1 MiB,
 * high_base) is not announced: its pages are not identity-mapped), and the
 * RAM must end below mmio_base.
 *
 * `memory` is the VM's RAM (vmx/guest_memory.h). Nothing is
 * written unless every check passed. Errors are reasons only; the return
 * value says which input was at fault, so that the caller can name the
 * configuration key (kernel, ramdisk, cmdline).
 *
 * Hardware independent (no kernel includes beyond kernel/string.h):
 * compiled into the host tests.
 * Lock order: none.
 */
#ifndef VMX_BZIMAGE_H
#define VMX_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/entry.h"
#include "vmx/guest_memory.h"

/* ---- the setup header (offsets in the bzImage file and in boot_params) */
#define BZIMAGE_HDR_OFFSET       0x1f1 /* struct setup_header in both   */
#define BZIMAGE_SETUP_SECTS      0x1f1 /* u8: 512-byte setup sectors    */
#define BZIMAGE_SYSSIZE          0x1f4 /* u32: kernel size / 16         */
#define BZIMAGE_BOOT_FLAG        0x1fe /* u16: 0xaa55                   */
#define BZIMAGE_JUMP             0x200 /* u16: short jump over the header */
#define BZIMAGE_HEADER           0x202 /* u32: "HdrS"                   */
#define BZIMAGE_VERSION          0x206 /* u16: protocol, major.minor    */
#define BZIMAGE_TYPE_OF_LOADER   0x210 /* u8                            */
#define BZIMAGE_LOADFLAGS        0x211 /* u8                            */
#define BZIMAGE_CODE32_START     0x214 /* u32                           */
#define BZIMAGE_RAMDISK_IMAGE    0x218 /* u32                           */
#define BZIMAGE_RAMDISK_SIZE     0x21c /* u32                           */
#define BZIMAGE_CMD_LINE_PTR     0x228 /* u32                           */
#define BZIMAGE_INITRD_ADDR_MAX  0x22c /* u32: highest initrd byte      */
#define BZIMAGE_KERNEL_ALIGNMENT 0x230 /* u32                           */
#define BZIMAGE_RELOCATABLE      0x234 /* u8                            */
#define BZIMAGE_XLOADFLAGS       0x236 /* u16                           */
#define BZIMAGE_CMDLINE_SIZE     0x238 /* u32: longest command line     */
#define BZIMAGE_PREF_ADDRESS     0x258 /* u64                           */
#define BZIMAGE_INIT_SIZE        0x260 /* u32                           */
#define BZIMAGE_HDR_END          0x26c /* end of the 2.15 setup header  */

#define BZIMAGE_MAGIC                0x53726448u /* "HdrS" little-endian          */
#define BZIMAGE_BOOT_FLAG_VALUE      0xaa55u
#define BZIMAGE_MIN_VERSION          0x020cu /* 2.12: xloadflags, ext_ fields */
#define BZIMAGE_SECTOR               512u
#define BZIMAGE_DEFAULT_SETUP_SECTS  4u /* setup_sects 0 means 4         */
#define BZIMAGE_SYSSIZE_UNIT         16u
#define BZIMAGE_LOADFLAG_LOADED_HIGH 0x01u   /* a bzImage (not a zImage)   */
#define BZIMAGE_XLF_KERNEL_64        0x0001u /* 64-bit entry at load + 0x200  */
#define BZIMAGE_ENTRY_64_OFFSET      0x200u
#define BZIMAGE_LOADER_UNDEFINED     0xffu /* type_of_loader: no assigned ID */

/* ---- struct boot_params (the zero page) -------------------------------- */
#define BZIMAGE_ZERO_PAGE_SIZE       0x1000u
#define BZIMAGE_BP_ACPI_RSDP_ADDR    0x070 /* u64                           */
#define BZIMAGE_BP_EXT_RAMDISK_IMAGE 0x0c0 /* u32: high 32 bits          */
#define BZIMAGE_BP_EXT_RAMDISK_SIZE  0x0c4
#define BZIMAGE_BP_EXT_CMD_LINE_PTR  0x0c8
#define BZIMAGE_BP_E820_ENTRIES      0x1e8 /* u8                            */
#define BZIMAGE_BP_E820_TABLE        0x2d0 /* struct boot_e820_entry[128]   */
#define BZIMAGE_E820_ENTRY_SIZE      20u   /* struct boot_e820_entry:       */
#define BZIMAGE_E820_ADDR            0     /*   u64 addr                    */
#define BZIMAGE_E820_SIZE            8     /*   u64 size                    */
#define BZIMAGE_E820_TYPE            16    /*   u32 type                    */
#define BZIMAGE_E820_MAX             128u
#define BZIMAGE_E820_RAM             1u
#define BZIMAGE_E820_RESERVED        2u

/* ---- the guest-physical layout ---------------------------------------- */
#define BZIMAGE_GDT_ADDRESS       0x1000u
#define BZIMAGE_ZERO_PAGE_ADDRESS 0x7000u
#define BZIMAGE_STACK_TOP         0x9000u /* [0x8000, 0x9000): boot stack  */
#define BZIMAGE_PML4_ADDRESS      0x9000u
#define BZIMAGE_PDPT_ADDRESS      0xa000u
#define BZIMAGE_PD_ADDRESS        0xb000u /* BZIMAGE_PD_COUNT pages        */
#define BZIMAGE_PD_COUNT          4u      /* 4 x 1 GiB: [0, 4 GiB)         */
#define BZIMAGE_CMDLINE_ADDRESS   0x20000u
#define BZIMAGE_CMDLINE_AREA      0x10000u  /* [0x20000, 0x30000)            */
#define BZIMAGE_LOW_MEMORY_END    0xa0000u  /* conventional memory ends      */
#define BZIMAGE_HIGH_MEMORY       0x100000u /* 1 MiB                         */
#define BZIMAGE_4G                0x100000000ull
#define BZIMAGE_PAGE              0x1000u
#define BZIMAGE_LARGE_PAGE        0x200000u

/* ---- the 64-bit entry state ------------------------------------------- */
#define BZIMAGE_BOOT_CS     0x10u /* __BOOT_CS                     */
#define BZIMAGE_BOOT_DS     0x18u /* __BOOT_DS                     */
#define BZIMAGE_GDT_ENTRIES 4u
#define BZIMAGE_GDT_CODE64  0x00af9b000000ffffull /* L, P, DPL 0, exec/read */
#define BZIMAGE_GDT_DATA    0x00cf93000000ffffull /* D/B, P, DPL 0, read/write */
#define BZIMAGE_PTE_PRESENT 0x1ull
#define BZIMAGE_PTE_WRITE   0x2ull
#define BZIMAGE_PTE_LARGE   0x80ull /* PS: a 2 MiB page in a PD      */
#define BZIMAGE_CR0_PE      0x1ull
#define BZIMAGE_CR0_ET      0x10ull
#define BZIMAGE_CR0_PG      0x80000000ull
#define BZIMAGE_CR4_PAE     0x20ull
#define BZIMAGE_EFER_LME    0x100ull
#define BZIMAGE_EFER_LMA    0x400ull

/* What bzimage_parse() read from the setup header. */
struct bzimage_header {
	uint16_t version; /* protocol: 0x020f = 2.15            */
	uint8_t loadflags, relocatable;
	uint16_t xloadflags;
	uint32_t setup_sects; /* 0 already replaced by 4            */
	uint32_t initrd_addr_max, kernel_alignment, cmdline_size, init_size;
	uint64_t pref_address;
	uint64_t kernel_offset; /* the protected-mode part in the file */
	uint64_t kernel_bytes;  /* syssize * 16                        */
	uint32_t header_end;    /* 0x202 + the jump's displacement     */
};

/* The VM around the kernel: what it boots with and where the platform
 * (vmx/platform.h) put things. */
struct bzimage_input {
	const uint8_t *image;
	uint64_t image_length;
	const uint8_t *initrd; /* NULL: none */
	uint64_t initrd_length;
	const char *cmdline;           /* NULL: empty */
	uint64_t rsdp_address;         /* 0: none */
	uint64_t acpi_base, acpi_size; /* the ACPI tables, reserved in e820 */
	uint64_t mmio_base;            /* [mmio_base, 4 GiB) is not RAM        */
};

struct bzimage_result {
	struct bzimage_header header;
	uint64_t kernel_address, kernel_end; /* the init_size window */
	uint64_t initrd_address, initrd_bytes;
	uint64_t cmdline_address, cmdline_bytes; /* bytes without the NUL */
	uint64_t zero_page;
	uint32_t e820_count;
	struct vcpu_entry entry;
};

/* Which input an error is about. */
enum bzimage_status {
	BZIMAGE_OK = 0,
	BZIMAGE_BAD_KERNEL = -1,
	BZIMAGE_BAD_INITRD = -2,
	BZIMAGE_BAD_CMDLINE = -3,
};

/* The file starts like a bzImage (the "HdrS" magic at 0x202): the caller
 * loads it with bzimage_load(), anything else as Multiboot. */
bool bzimage_detect(const uint8_t *image, uint64_t length);

/* 0, or BZIMAGE_BAD_KERNEL with the reason in `error`. */
enum bzimage_status bzimage_parse(const uint8_t *image, uint64_t length,
                                  struct bzimage_header *header, char *error, size_t error_size);

enum bzimage_status bzimage_load(const struct guest_memory *memory,
                                 const struct bzimage_input *input, struct bzimage_result *result,
                                 char *error, size_t error_size);

#endif /* VMX_BZIMAGE_H */
