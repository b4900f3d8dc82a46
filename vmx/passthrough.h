/*
 * vmx/passthrough.h - what a guest sees of a host PCI function assigned
 * to it, and the rules for assigning one (docs/devices.md, "Device
 * assignment").
 *
 * The guest reaches the function in its virtual configuration space
 * (vmx/vpci.h) at a virtual slot; passthrough_vpci_hook() answers every
 * access there:
 *   - read through from the host: vendor/device, status, revision/class,
 *     subsystem IDs, the capability pointer, the interrupt pin, every
 *     byte from 0x40 up (the capability list itself);
 *   - virtual: the command register (the guest's memory, I/O and bus
 *     master bits are forwarded to the host, the rest stays virtual),
 *     cache line size, latency timer, the interrupt line (writable), the
 *     BARs, the MSI capability (a copy of the host's taken at assignment:
 *     reads return it, writes change only it: never forwarded; the
 *     forwarding of MSIs comes with interrupt forwarding), header type
 *     without the multi-function bit (the guest sees one function), BIST
 *     and the expansion ROM read 0;
 *   - every other write (status, the header's read-only fields, other
 *     capabilities such as power management or MSI-X control, device-
 *     specific registers) is dropped and counted.
 * BARs: the guest's register keeps what it wrote under the host BAR's size
 * mask (an all-ones sizing write reads back the size), with the host's
 * type bits. It starts at the host's address. A memory BAR is mapped while
 * the guest's memory decoding is on and its window is free: guest-physical
 * [guest, guest + size) to the host BAR through ops->map (the VM's EPT,
 * uncached); a move unmaps the old window first; a window that overlaps
 * guest RAM, a reserved range (the vIOAPIC and vLAPIC pages), another
 * mapped BAR of the VM or lies above PASSTHROUGH_GUEST_LIMIT is refused
 * (counted; accesses there stop the VM as any access outside its memory).
 * An I/O BAR is passed through at the same port numbers (ops->ports: the
 * VM's I/O bitmap) while I/O decoding is on and the guest's BAR equals the
 * host's; anywhere else its ports are not reachable.
 *
 * INTx: each device carries its forwarding state (struct intx_line,
 * vmx/intx.h) and the host GSI and vector vmx/assign_irq.c routed it to.
 *
 * DMA without an IOMMU (docs/devices.md, "DMA identity mapping"): the
 * device writes the host-physical addresses the guest programs, so the
 * guest gets a window of RAM where guest-physical == host-physical.
 * passthrough_dma_place() checks a proposed window against the rules:
 * page aligned and non-empty, above guest RAM [0, ram_size) (so the
 * guest's own RAM layout is unchanged), below PASSTHROUGH_DMA_LIMIT (the
 * 32-bit PCI hole, where the BAR windows, vIOAPIC and vLAPIC are), clear
 * of every reserved range and mapped BAR window; it is then reserved
 * (BAR windows keep out of it).
 *
 * Pure: no hardware access, no locks, no allocation (the caller holds the
 * VM's platform lock, which serializes vpci). Host-tested by
 * tests/host/test_passthrough.c. Lock order: none of its own.
 */
#ifndef VMX_PASSTHROUGH_H
#define VMX_PASSTHROUGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/pci.h"
#include "vmx/config.h"
#include "vmx/intx.h"
#include "vmx/vpci.h"

#define PASSTHROUGH_DEVICES      VM_CONFIG_PCI_MAX
#define PASSTHROUGH_RESERVED     4
#define PASSTHROUGH_FIRST_SLOT   3 /* virtual 00:03.0, 00:04.0, ... */
#define PASSTHROUGH_PAGE         4096ull
#define PASSTHROUGH_GUEST_LIMIT  (1ull << 39)  /* 512 GiB: the EPT's reach here */
#define PASSTHROUGH_DMA_LIMIT    0xc0000000ull /* 3 GiB: the 32-bit PCI hole starts here */
#define PASSTHROUGH_MSI_BYTES    (PCI_MSI_SIZE_64 + PCI_MSI_MASKING_EXTRA)
#define PASSTHROUGH_COMMAND_HOST (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
/* Command bits the guest may set: the forwarded ones, parity, SERR, INTx off. */
#define PASSTHROUGH_COMMAND_GUEST                                                                  \
	(PASSTHROUGH_COMMAND_HOST | PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_OFF)

struct passthrough_vm;
struct passthrough_device;

/* The environment: the host function's configuration space and the VM's
 * EPT and I/O bitmap. */
struct passthrough_ops {
	uint32_t (*host_read)(void *context, pci_bdf bdf, unsigned offset, unsigned size);
	void (*host_write)(void *context, pci_bdf bdf, unsigned offset, unsigned size,
	                   uint32_t value);
	/* Map [guest, guest + size) to host [host, ...) uncached: 0 or -1. */
	int (*map)(void *context, uint64_t guest, uint64_t host, uint64_t size);
	void (*unmap)(void *context, uint64_t guest, uint64_t size);
	/* Pass ports [port, port + count) through (`pass`) or trap them
	 * again: 0, or -1 if they cannot be passed (a port the VM emulates). */
	int (*ports)(void *context, uint16_t port, uint16_t count, bool pass);
};

struct passthrough_bar {
	enum pci_bar_kind kind; /* from the host; the upper slot of a 64-bit BAR is NONE */
	bool prefetchable;
	uint64_t host, size;
	uint8_t flags; /* the host register's low type bits */
	bool mapped;   /* memory: a window is in the EPT; I/O: ports passed */
	uint64_t mapped_at;
};

struct passthrough_counters {
	uint64_t reads, writes;
	uint64_t writes_dropped; /* writes to read-only or host-only registers */
	uint64_t maps, unmaps, refused;
	uint64_t msi_writes;
};

struct passthrough_device {
	struct passthrough_vm *vm;
	struct pci_function host; /* as the boot scan found it */
	uint8_t guest_slot;       /* virtual device number on bus 0 */
	struct passthrough_bar bars[PCI_BARS];
	uint32_t bar_registers[PCI_BARS]; /* the guest's view */
	uint16_t command;
	uint8_t cache_line, latency, interrupt_line;
	uint8_t msi[PASSTHROUGH_MSI_BYTES];      /* the virtual MSI capability */
	uint8_t msi_mask[PASSTHROUGH_MSI_BYTES]; /* its guest-writable bits */
	unsigned msi_size;
	struct passthrough_counters counters;
	/* INTx forwarding (vmx/assign_irq.c): routed = the host pin is ours. */
	struct intx_line intx;
	bool intx_routed;
	uint32_t host_gsi;
	uint8_t host_vector;
};

struct passthrough_range {
	uint64_t base, size;
};

struct passthrough_vm {
	uint64_t ram_size; /* guest RAM is [0, ram_size) */
	struct passthrough_range reserved[PASSTHROUGH_RESERVED];
	unsigned reserved_count;
	struct passthrough_device devices[PASSTHROUGH_DEVICES];
	unsigned count;
	uint64_t dma_base, dma_size; /* the identity window (0: none) */
	struct passthrough_ops ops;
	void *context;
};

/* Why `bdf` may not be given to a VM, or 0: -1 with "PCI function BB:DD.F
 * ..." in `reason`. `owner`: the VM it already belongs to, or NULL. */
int passthrough_check(const struct pci_scan_result *host, pci_bdf bdf, const char *owner,
                      char *reason, size_t size);
void passthrough_vm_init(struct passthrough_vm *vm, uint64_t ram_size,
                         const struct passthrough_ops *ops, void *context);
/* Keep guest [base, base + size) free of BAR windows (0, or -1: full). */
int passthrough_reserve(struct passthrough_vm *vm, uint64_t base, uint64_t size);
/* Place the identity DMA window at guest == host [base, base + size):
 * 0, or -1 with the rule it breaks in `reason`. */
int passthrough_dma_place(struct passthrough_vm *vm, uint64_t base, uint64_t size, char *reason,
                          size_t reason_size);
/* Add a host function at the next virtual slot; its host command register
 * loses memory, I/O and bus master (the guest turns them on). NULL: full. */
struct passthrough_device *passthrough_add(struct passthrough_vm *vm,
                                           const struct pci_function *host);
/* A configuration access at `offset` (aligned to `size`); always handled. */
bool passthrough_config(struct passthrough_device *device, unsigned offset, unsigned size,
                        bool write, uint32_t *value);
/* The vpci hook: `function->context` is the struct passthrough_device. */
bool passthrough_vpci_hook(struct vpci_function *function, unsigned offset, unsigned size,
                           bool write, uint32_t *value);
/* The VM ended: unmap every window, trap the ports, host decoding and bus
 * mastering off. */
void passthrough_stop(struct passthrough_vm *vm);

#endif /* VMX_PASSTHROUGH_H */
