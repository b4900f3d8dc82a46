/*
 * arch/x86/pci.h - the host's PCI functions (PCI Local Bus 3.0, PCI-to-PCI
 * Bridge 1.2): the bus scan, BAR sizing and the capability walk, done on a
 * configuration space reached through an accessor (struct pci_access), so
 * the same code runs on the hardware (arch/x86/pci_host.c: mechanism #1 on
 * ports 0xcf8/0xcfc) and in the host tests on recorded config-space images
 * (tests/host/test_pci.c).
 *
 * The scan starts at bus 0 and follows every PCI-PCI bridge's secondary
 * bus (as the firmware numbered them; nothing is renumbered), probes
 * functions 1-7 only when function 0's header type has the multi-function
 * bit, sizes each BAR with memory and I/O decoding off in the command
 * register and restores the BAR and the command register afterwards, and
 * walks the capability list with a bound (PCI_CAPABILITY_WALK_MAX steps,
 * each pointer dword aligned, >= 0x40 and not seen before): a list that
 * loops or points into the header is marked broken and never followed
 * further. Nothing else is written: the scan leaves every device as the
 * firmware left it.
 *
 * Pure (no hardware access, no locks, no allocation). Lock order: none
 * (pci_host.c serializes the ports with pci_lock).
 */
#ifndef ARCH_X86_PCI_H
#define ARCH_X86_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_MAX_FUNCTIONS 64 /* host functions kept by the scan */
#define PCI_BUSES         256
#define PCI_DEVICES       32
#define PCI_FUNCTIONS     8
#define PCI_BARS          6 /* type 0 header; a type 1 bridge has 2 */
#define PCI_BRIDGE_BARS   2
#define PCI_CONFIG_SIZE   256u

/* Configuration header registers (PCI 3.0, 6.1; bridge 1.2, 3.2). */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define PCI_STATUS              0x06
#define PCI_REVISION            0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CACHE_LINE          0x0c
#define PCI_LATENCY             0x0d
#define PCI_HEADER_TYPE         0x0e
#define PCI_BIST                0x0f
#define PCI_BAR0                0x10
#define PCI_BAR_END             0x28 /* one past BAR5 */
#define PCI_CARDBUS_CIS         0x28
#define PCI_SUBSYSTEM_VENDOR    0x2c
#define PCI_EXPANSION_ROM       0x30
#define PCI_CAPABILITY_POINTER  0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d
#define PCI_BRIDGE_SECONDARY    0x19
#define PCI_BRIDGE_SUBORDINATE  0x1a
#define PCI_CARDBUS_CAPABILITY  0x14
#define PCI_DEVICE_SPECIFIC     0x40 /* first byte after the header */
#define PCI_VENDOR_NONE         0xffffu
#define PCI_HEADER_TYPE_MASK    0x7fu
#define PCI_HEADER_MULTIFUNC    0x80u
#define PCI_HEADER_NORMAL       0x00u
#define PCI_HEADER_BRIDGE       0x01u
#define PCI_HEADER_CARDBUS      0x02u
#define PCI_INTERRUPT_LINE_NONE 0xffu

/* Command and status bits. */
#define PCI_COMMAND_IO          0x0001u
#define PCI_COMMAND_MEMORY      0x0002u
#define PCI_COMMAND_MASTER      0x0004u
#define PCI_COMMAND_PARITY      0x0040u
#define PCI_COMMAND_SERR        0x0100u
#define PCI_COMMAND_INTX_OFF    0x0400u
#define PCI_STATUS_CAPABILITIES 0x0010u

/* BAR encoding. */
#define PCI_BAR_SPACE_IO       0x1u
#define PCI_BAR_IO_MASK        0xfffffffcu
#define PCI_BAR_MEMORY_MASK    0xfffffff0u
#define PCI_BAR_MEMORY_TYPE    0x6u
#define PCI_BAR_MEMORY_TYPE_32 0x0u
#define PCI_BAR_MEMORY_TYPE_64 0x4u
#define PCI_BAR_PREFETCHABLE   0x8u
#define PCI_BAR_IO_16BIT_HIGH  0xffff0000u /* an I/O BAR's upper half may read 0 */

/* Class codes (base << 16 | sub << 8 | interface). */
#define PCI_CLASS_BASE(code)     ((uint8_t)((code) >> 16))
#define PCI_CLASS_BASE_SUB(code) ((uint16_t)((code) >> 8))
#define PCI_CLASS_STORAGE        0x01u
#define PCI_CLASS_BRIDGE         0x06u
#define PCI_CLASS_HOST_BRIDGE    0x0600u
#define PCI_CLASS_ISA_BRIDGE     0x0601u
#define PCI_CLASS_PCI_BRIDGE     0x0604u

/* Capabilities (PCI 3.0, 6.7; MSI 6.8; MSI-X 6.8.2; PM 1.2). */
#define PCI_CAPABILITY_ID       0x00
#define PCI_CAPABILITY_NEXT     0x01
#define PCI_CAPABILITY_PM       0x01u
#define PCI_CAPABILITY_MSI      0x05u
#define PCI_CAPABILITY_MSIX     0x11u
#define PCI_CAPABILITY_ALIGN    0x3u
#define PCI_CAPABILITY_WALK_MAX 48   /* (256 - 64) / 4 dword slots */
#define PCI_PM_CONTROL          0x04 /* PMCSR, from the capability */
#define PCI_MSI_CONTROL         0x02
#define PCI_MSI_CONTROL_ENABLE  0x0001u
#define PCI_MSI_CONTROL_MME     0x0070u /* multiple message enable */
#define PCI_MSI_CONTROL_64BIT   0x0080u
#define PCI_MSI_CONTROL_MASKING 0x0100u
#define PCI_MSI_ADDRESS         0x04
#define PCI_MSI_SIZE_32         0x0cu /* ID..data of a 32-bit MSI capability */
#define PCI_MSI_SIZE_64         0x10u
#define PCI_MSI_MASKING_EXTRA   0x08u /* mask and pending registers */
#define PCI_MSIX_CONTROL        0x02

enum pci_bar_kind {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO,
	PCI_BAR_MEMORY32,
	PCI_BAR_MEMORY64, /* takes this BAR and the next */
};

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetchable;
	uint64_t base, size; /* base as programmed; size a power of two */
};

/* Bus, device and function as one number: bus << 8 | device << 3 | function. */
typedef uint16_t pci_bdf;
#define PCI_BDF(bus, device, function)                                                             \
	((pci_bdf)(((unsigned)(bus) << 8) | ((unsigned)(device) << 3) | (unsigned)(function)))
#define PCI_BDF_BUS(bdf)      ((uint8_t)((bdf) >> 8))
#define PCI_BDF_DEVICE(bdf)   ((uint8_t)(((bdf) >> 3) & 0x1f))
#define PCI_BDF_FUNCTION(bdf) ((uint8_t)((bdf)&7))
#define PCI_BDF_DEVFN(bdf)    ((uint8_t)(bdf))

struct pci_function {
	pci_bdf bdf;
	uint16_t vendor, device;
	uint32_t class_code;           /* base << 16 | sub << 8 | interface */
	uint8_t revision, header_type; /* header type without the multi-function bit */
	bool multifunction;
	uint8_t interrupt_line, interrupt_pin;  /* pin 0: none, 1..4: INTA..INTD */
	uint8_t secondary_bus, subordinate_bus; /* bridges */
	unsigned bar_count;                     /* BAR slots of the header type */
	struct pci_bar bars[PCI_BARS];
	/* Capability offsets (0: absent); all 0 when the list is broken. */
	uint8_t capability_msi, capability_msix, capability_pm;
	unsigned capability_count;
	bool capabilities_broken;
	uint8_t broken_at;      /* the pointer that was refused */
	const char *broken_why; /* "loop", "misaligned", "in the header", "too long" */
};

/* Configuration space of one function; `size` is 1, 2 or 4, `offset`
 * aligned to it. An absent function reads all ones. */
struct pci_access {
	uint32_t (*read)(void *context, pci_bdf bdf, unsigned offset, unsigned size);
	void (*write)(void *context, pci_bdf bdf, unsigned offset, unsigned size, uint32_t value);
	void *context;
};

struct pci_scan_result {
	unsigned count;
	struct pci_function functions[PCI_MAX_FUNCTIONS];
	unsigned dropped; /* functions found beyond PCI_MAX_FUNCTIONS */
	unsigned buses;   /* buses scanned */
};

/* Scan bus 0 and every bus behind a bridge. */
void pci_scan(struct pci_scan_result *result, const struct pci_access *access);
/* Probe one function that exists (vendor != 0xffff): IDs, BARs sized, capabilities. */
void pci_probe_function(struct pci_function *function, const struct pci_access *access,
                        pci_bdf bdf);
/* The function at `bdf`, or NULL. */
const struct pci_function *pci_find(const struct pci_scan_result *result, pci_bdf bdf);
/* True for the bridge header type or a bridge class other than "other". */
bool pci_is_bridge(const struct pci_function *function);
/* Why the hypervisor keeps `function` for itself (docs/devices.md, "Host
 * PCI"): every function of device 00:00, any host bridge, the ISA bridge
 * and every function of its device (the southbridge), any storage
 * controller; NULL when it may be assigned to a VM. */
const char *pci_reserved_reason(const struct pci_scan_result *result,
                                const struct pci_function *function);
/* The boot line "PCI bdf=BB:DD.F vendor=0x... ..." (docs/output.md). */
size_t pci_format_function(const struct pci_function *function, char *buffer, size_t size);

#endif /* ARCH_X86_PCI_H */
