/*
 * guests/testos/pciscan.c - the `pciscan` mode: testos's view of its
 * virtual PCI configuration space (mechanism #1, ports 0xcf8/0xcfc) with
 * an assigned e1000. It lists bus 0, finds the first network function,
 * sizes its BARs (memory decoding off meanwhile), places BAR0 at
 * PCISCAN_FIRST_WINDOW, turns memory decoding on and reads the e1000's
 * STATUS register, moves BAR0 to PCISCAN_WINDOW while decoding stays on
 * (the old window must go), reads CTRL and STATUS there and the MAC
 * address from the EEPROM through EERD (a register write and polled
 * reads), and prints one RESULT line. Both windows lie in
 * testos's 1 GiB identity map, above its RAM.
 *
 * The `peek MIB` mode reads one dword at MIB MiB: pointed at another
 * VM's assigned BAR it must stop this VM (hostile; tests/e2e).
 *
 * Lock order: none (vCPU 0 only).
 */
#include <stdint.h>

extern uint64_t testos_pd_high[]; /* boot.S: the page directory of 3..4 GiB */

#include "guests/testos/smp.h"

#define PCISCAN_ADDRESS_PORT 0xcf8
#define PCISCAN_DATA_PORT    0xcfc
#define PCISCAN_ENABLE       0x80000000u
#define PCISCAN_DEVICES      32u
#define PCISCAN_DEVICE_SHIFT 11
#define PCISCAN_LOW_HALF     0xffffu
#define PCISCAN_HIGH_SHIFT   16
#define PCISCAN_CLASS_SHIFT  8
#define PCISCAN_LINE         5u /* the interrupt line the guest writes */
#define PCISCAN_BYTE         0xffu
#define PCISCAN_BYTE_SHIFT   8
#define PCISCAN_ALL_ONES     0xffffffffu
#define PCISCAN_VENDOR       0x00
#define PCISCAN_COMMAND      0x04
#define PCISCAN_CLASS        0x08
#define PCISCAN_BAR0         0x10
#define PCISCAN_BAR1         0x14
#define PCISCAN_IRQ          0x3c
#define PCISCAN_MEMORY_ON    0x0002u
#define PCISCAN_CLASS_NET    0x02u
#define PCISCAN_MEMORY_MASK  0xfffffff0u
#define PCISCAN_IO_MASK      0xfffffffcu
#define PCISCAN_FIRST_WINDOW 0x30000000u
#define PCISCAN_WINDOW       0x20000000u
#define PEEK_HIGH_BASE       0xc0000000ull /* what testos_pd_high maps */
#define PEEK_HIGH_END        0x100000000ull
#define PEEK_LARGE_PAGE      0x200000ull
#define PEEK_UNCACHED_LARGE  0x9bull /* present, write, PWT, PCD, 2 MiB */
#define PEEK_MIB_SHIFT       20
#define E1000_CTRL           0x0000u
#define E1000_STATUS         0x0008u
#define E1000_EERD           0x0014u /* EEPROM read: start bit 0, done bit 4 */
#define E1000_EERD_START     0x1u
#define E1000_EERD_DONE      0x10u
#define E1000_EERD_ADDRESS   8
#define E1000_EERD_DATA      16
#define E1000_EERD_POLLS     100000u

static void pciscan_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static uint32_t pciscan_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t pciscan_read(unsigned device, unsigned reg)
{
	pciscan_outl(PCISCAN_ADDRESS_PORT, PCISCAN_ENABLE | device << PCISCAN_DEVICE_SHIFT | reg);
	return pciscan_inl(PCISCAN_DATA_PORT);
}

static void pciscan_write(unsigned device, unsigned reg, uint32_t value)
{
	pciscan_outl(PCISCAN_ADDRESS_PORT, PCISCAN_ENABLE | device << PCISCAN_DEVICE_SHIFT | reg);
	pciscan_outl(PCISCAN_DATA_PORT, value);
}

/* For the e1000 driver (guests/testos/e1000.c). */
uint32_t testos_pci_read(unsigned device, unsigned reg);
void testos_pci_write(unsigned device, unsigned reg, uint32_t value);

uint32_t testos_pci_read(unsigned device, unsigned reg)
{
	return pciscan_read(device, reg);
}

void testos_pci_write(unsigned device, unsigned reg, uint32_t value)
{
	pciscan_write(device, reg, value);
}

/* All ones, read the mask, restore: the decoded size. */
static uint32_t pciscan_size(unsigned device, unsigned reg, uint32_t mask)
{
	uint32_t original = pciscan_read(device, reg);
	pciscan_write(device, reg, PCISCAN_ALL_ONES);
	uint32_t size = ~(pciscan_read(device, reg) & mask) + 1;
	pciscan_write(device, reg, original);
	return size;
}

static uint32_t pciscan_mmio(uint32_t base, uint32_t offset)
{
	return *(volatile uint32_t *)(uintptr_t)(base + offset);
}

/* EEPROM word `address` through EERD (a register write and polled reads
 * through the window), or 0xffffffff if it never completes. */
static uint32_t pciscan_eeprom(uint32_t base, unsigned address)
{
	*(volatile uint32_t *)(uintptr_t)(base + E1000_EERD) =
	    address << E1000_EERD_ADDRESS | E1000_EERD_START;
	for (unsigned i = 0; i < E1000_EERD_POLLS; i++) {
		uint32_t v = pciscan_mmio(base, E1000_EERD);
		if (v & E1000_EERD_DONE)
			return v >> E1000_EERD_DATA;
	}
	return PCISCAN_ALL_ONES;
}

int testos_mode_pciscan(void)
{
	unsigned functions = 0, nic = PCISCAN_DEVICES;
	for (unsigned device = 0; device < PCISCAN_DEVICES; device++) {
		uint32_t ids = pciscan_read(device, PCISCAN_VENDOR);
		if ((ids & PCISCAN_LOW_HALF) == PCISCAN_LOW_HALF)
			continue;
		uint32_t class_code = pciscan_read(device, PCISCAN_CLASS) >> PCISCAN_CLASS_SHIFT;
		testos_print("testos: pci 00:%x.0 vendor=0x%x device=0x%x class=0x%x\n", device,
		             ids & PCISCAN_LOW_HALF, ids >> PCISCAN_HIGH_SHIFT, class_code);
		functions++;
		if (nic == PCISCAN_DEVICES && class_code >> PCISCAN_HIGH_SHIFT == PCISCAN_CLASS_NET)
			nic = device;
	}
	if (nic == PCISCAN_DEVICES) {
		testos_result("mode=pciscan functions=%u nic=none", functions);
		return 1;
	}
	uint32_t ids = pciscan_read(nic, PCISCAN_VENDOR);
	uint32_t command = pciscan_read(nic, PCISCAN_COMMAND) & PCISCAN_LOW_HALF;
	pciscan_write(nic, PCISCAN_COMMAND, command & ~PCISCAN_MEMORY_ON);
	uint32_t bar0_size = pciscan_size(nic, PCISCAN_BAR0, PCISCAN_MEMORY_MASK);
	uint32_t bar1_size = pciscan_size(nic, PCISCAN_BAR1, PCISCAN_IO_MASK);
	uint32_t bar1 = pciscan_read(nic, PCISCAN_BAR1);
	pciscan_write(nic, PCISCAN_IRQ, PCISCAN_LINE);
	uint32_t irq = pciscan_read(nic, PCISCAN_IRQ);
	pciscan_write(nic, PCISCAN_BAR0, PCISCAN_FIRST_WINDOW);
	pciscan_write(nic, PCISCAN_COMMAND, command | PCISCAN_MEMORY_ON);
	uint32_t first_status = pciscan_mmio(PCISCAN_FIRST_WINDOW, E1000_STATUS);
	pciscan_write(nic, PCISCAN_BAR0, PCISCAN_WINDOW); /* a move with decoding on */
	uint32_t bar0 = pciscan_read(nic, PCISCAN_BAR0);
	uint32_t ctrl = pciscan_mmio(PCISCAN_WINDOW, E1000_CTRL);
	uint32_t status = pciscan_mmio(PCISCAN_WINDOW, E1000_STATUS);
	uint32_t mac0 = pciscan_eeprom(PCISCAN_WINDOW, 0);
	uint32_t mac1 = pciscan_eeprom(PCISCAN_WINDOW, 1);
	uint32_t mac2 = pciscan_eeprom(PCISCAN_WINDOW, 2);
	testos_result("mode=pciscan functions=%u slot=%u vendor=0x%x device=0x%x "
	              "bar0_size=0x%x bar1_size=0x%x bar1=0x%x line=%u pin=%u bar0=0x%x "
	              "first=0x%x status=0x%x ctrl=0x%x mac=%x:%x:%x:%x:%x:%x",
	              functions, nic, ids & PCISCAN_LOW_HALF, ids >> PCISCAN_HIGH_SHIFT, bar0_size,
	              bar1_size, bar1, irq & PCISCAN_BYTE,
	              (irq >> PCISCAN_BYTE_SHIFT) & PCISCAN_BYTE, bar0, first_status, status, ctrl,
	              mac0 & PCISCAN_BYTE, mac0 >> PCISCAN_BYTE_SHIFT, mac1 & PCISCAN_BYTE,
	              mac1 >> PCISCAN_BYTE_SHIFT, mac2 & PCISCAN_BYTE,
	              (mac2 >> PCISCAN_BYTE_SHIFT) & PCISCAN_BYTE);
	return 0;
}

/* peek MIB: read the dword at MIB MiB (3072..4095 are mapped on demand,
 * uncached). On a host device another VM owns this must stop the VM (its
 * EPT does not map it); the RESULT line says it did not. */
int testos_mode_peek(uint64_t mib)
{
	uint64_t address = mib << PEEK_MIB_SHIFT;
	if (address >= PEEK_HIGH_BASE && address < PEEK_HIGH_END) {
		uint64_t page = address & ~(PEEK_LARGE_PAGE - 1);
		testos_pd_high[(page - PEEK_HIGH_BASE) / PEEK_LARGE_PAGE] =
		    page | PEEK_UNCACHED_LARGE;
		__asm__ volatile("invlpg (%0)" ::"r"(page) : "memory");
	}
	testos_print("testos: reading 0x%llx\n", (unsigned long long)address);
	uint32_t value = *(volatile uint32_t *)(uintptr_t)address;
	testos_result("mode=peek survived=1 value=0x%x", value);
	return 0;
}
