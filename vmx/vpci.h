/*
 * vmx/vpci.h - PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2)
 * for one VM: CONFIG_ADDRESS at port 0xcf8 (32-bit accesses only: enable
 * bit 31, bus 23:16, device 15:11, function 10:8, register 7:2) and
 * CONFIG_DATA at 0xcfc-0xcff (byte, word or dword at any offset inside
 * the dword, as long as the access does not cross it).
 *
 * A per-VM table of virtual functions (struct vpci_function): each has its
 * 256-byte configuration space, a per-byte write mask (the bits a guest
 * may change; every other bit is read-only and writes to it are ignored)
 * and an optional access hook that sees every access first (a passthrough
 * device forwards or filters there). vpci_init() puts the host bridge at
 * 00:00.0 (Intel 440FX IDs 8086:1237, class 06 00 00, header type 0) and
 * nothing else. Absent functions read all ones; writes to them are
 * ignored. Accesses with the enable bit clear, and non-dword accesses to
 * 0xcf8-0xcfb (Linux's type-1 probe writes 0xcfb; 0xcf9 is a chipset
 * reset control uslice does not offer), are not configuration cycles:
 * reads give all ones, writes are dropped. A data access that crosses its
 * dword or is misaligned is refused (unclaimed, counted by vmx/io.c).
 *
 * Pure: no locking of its own (the caller holds the platform lock), no
 * hypervisor services. Host-tested by tests/host/test_vpci.c.
 */
#ifndef VMX_VPCI_H
#define VMX_VPCI_H

#include <stdbool.h>
#include <stdint.h>

#define VPCI_ADDRESS_PORT 0xcf8u
#define VPCI_DATA_PORT    0xcfcu
#define VPCI_PORTS        8u /* 0xcf8-0xcff */

#define VPCI_ADDRESS_ENABLE      0x80000000u
#define VPCI_ADDRESS_MASK        0x80fffffcu /* reserved bits 30:24, 1:0 read 0 */
#define VPCI_ADDRESS_BUS_SHIFT   16
#define VPCI_ADDRESS_DEVFN_SHIFT 8
#define VPCI_ADDRESS_REGISTER    0xfcu

#define VPCI_CONFIG_SIZE             256u
#define VPCI_FUNCTIONS               8u /* virtual functions per VM */
#define VPCI_DEVFN(device, function) ((uint8_t)(((device) << 3) | (function)))

/* Type 0 header offsets and values (PCI 3.0, 6.1). */
#define VPCI_VENDOR_ID        0x00
#define VPCI_DEVICE_ID        0x02
#define VPCI_COMMAND          0x04
#define VPCI_STATUS           0x06
#define VPCI_REVISION         0x08
#define VPCI_CLASS_PROG       0x09
#define VPCI_CLASS_SUB        0x0a
#define VPCI_CLASS_BASE       0x0b
#define VPCI_CACHE_LINE       0x0c
#define VPCI_LATENCY          0x0d
#define VPCI_HEADER_TYPE      0x0e
#define VPCI_INTERRUPT_LINE   0x3c
#define VPCI_COMMAND_WRITABLE 0x0147u /* I/O, memory, master, parity, SERR */

#define VPCI_HOST_BRIDGE_VENDOR   0x8086u /* Intel */
#define VPCI_HOST_BRIDGE_DEVICE   0x1237u /* 82441FX (440FX) */
#define VPCI_HOST_BRIDGE_REVISION 0x02u
#define VPCI_CLASS_BRIDGE         0x06u
#define VPCI_SUBCLASS_HOST        0x00u
#define VPCI_HEADER_TYPE_NORMAL   0x00u

struct vpci_function;

/* Sees an access first: return true if it handled it (`*value` read or
 * written), false for the default (the config array and write mask).
 * `offset` is aligned to `size` (1, 2 or 4 bytes). */
typedef bool (*vpci_hook)(struct vpci_function *function, unsigned offset, unsigned size,
                          bool write, uint32_t *value);

struct vpci_function {
	bool present;
	uint8_t bus, devfn;
	uint8_t config[VPCI_CONFIG_SIZE];
	uint8_t write_mask[VPCI_CONFIG_SIZE]; /* 1 bits: guest-writable */
	vpci_hook hook;
	void *context; /* the hook's */
};

struct vpci_counters {
	uint64_t accesses;
	uint64_t absent; /* configuration cycles to absent functions */
};

struct vpci {
	uint32_t address; /* CONFIG_ADDRESS as last written */
	struct vpci_function functions[VPCI_FUNCTIONS];
	struct vpci_counters counters;
};

/* Empty table plus the host bridge at 00:00.0. */
void vpci_init(struct vpci *pci);
/* A free slot for bus/devfn (present, zeroed config, no writable bits), or
 * NULL if the table is full or the function exists. */
struct vpci_function *vpci_add_function(struct vpci *pci, uint8_t bus, uint8_t devfn);
/* The function at bus/devfn, or NULL. */
struct vpci_function *vpci_find(struct vpci *pci, uint8_t bus, uint8_t devfn);
/* Port accesses 0xcf8-0xcff of `size` bytes. false: not a valid access of
 * the mechanism (the port layer treats it as unclaimed). */
bool vpci_io_read(struct vpci *pci, uint16_t port, unsigned size, uint32_t *value);
bool vpci_io_write(struct vpci *pci, uint16_t port, unsigned size, uint32_t value);

#endif /* VMX_VPCI_H */
