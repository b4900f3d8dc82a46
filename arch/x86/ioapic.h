/*
 * arch/x86/ioapic.h - the host's IOAPICs (from the ACPI MADT), for the
 * physical interrupts of devices assigned to VMs (vmx/assign_irq.c). The
 * hypervisor itself takes no IOAPIC interrupt: its timers are the LAPICs'.
 *
 * ioapic_isa_route() is pure (host-tested by tests/host/test_ioapic.c): an
 * ISA IRQ number (what a PCI function's interrupt line holds under the
 * PC's PIRQ routing) becomes a GSI with its trigger mode and polarity:
 * the MADT's interrupt source override for that IRQ if there is one,
 * else GSI = IRQ; "conforms to the bus" means level / active low for a
 * PCI line and edge / active high for an ISA one. ioapic_entry() builds a
 * redirection entry (fixed delivery, physical destination).
 *
 * ioapic_init() records the MADT's IOAPICs (the boot code maps their MMIO
 * pages uncached); ioapic_program() writes a GSI's entry, ioapic_mask()
 * flips only its mask bit (the hot path: one read, one write).
 *
 * Lock order: ioapic_lock (IOREGSEL/IOWIN pairs) is a leaf, taken with
 * interrupts off (the mask calls run in interrupt handlers).
 */
#ifndef ARCH_X86_IOAPIC_H
#define ARCH_X86_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/acpi.h"

/* MMIO registers and indirect indices (82093AA). */
#define IOAPIC_REGISTER_SELECT   0x00
#define IOAPIC_WINDOW            0x10
#define IOAPIC_INDEX_VERSION     0x01
#define IOAPIC_INDEX_REDIRECTION 0x10 /* + 2 * pin (low half), + 1 (high half) */
#define IOAPIC_VERSION_MAX_SHIFT 16   /* version register: highest pin number */
#define IOAPIC_VERSION_MAX_MASK  0xffu

/* Redirection entry bits. */
#define IOAPIC_ENTRY_VECTOR_MASK 0xffull
#define IOAPIC_ENTRY_ACTIVE_LOW  (1ull << 13)
#define IOAPIC_ENTRY_LEVEL       (1ull << 15)
#define IOAPIC_ENTRY_MASKED      (1ull << 16)
#define IOAPIC_ENTRY_DEST_SHIFT  56

/* MADT interrupt source override flags (ACPI 6.4, table 5.26). */
#define IOAPIC_MPS_POLARITY_MASK 0x3u
#define IOAPIC_MPS_POLARITY_HIGH 0x1u
#define IOAPIC_MPS_POLARITY_LOW  0x3u
#define IOAPIC_MPS_TRIGGER_SHIFT 2
#define IOAPIC_MPS_TRIGGER_MASK  0x3u
#define IOAPIC_MPS_TRIGGER_EDGE  0x1u
#define IOAPIC_MPS_TRIGGER_LEVEL 0x3u

#define IOAPIC_ISA_IRQS 16

struct ioapic_route {
	uint32_t gsi;
	bool level;
	bool active_low;
	bool overridden; /* an interrupt source override applied */
};

/* 0, or -1 if `irq` is not an ISA IRQ (>= 16: no PIRQ routing gives it). */
int ioapic_isa_route(const struct acpi_info *acpi, uint8_t irq, bool pci,
                     struct ioapic_route *route);
uint64_t ioapic_entry(const struct ioapic_route *route, uint8_t vector, uint32_t apic_id,
                      bool masked);

/* Record the MADT's IOAPICs (their pin counts are read here); `acpi`
 * stays referenced (the boot CPU's parsed tables, never freed). */
void ioapic_init(const struct acpi_info *acpi);
/* ioapic_isa_route() with the host's MADT (-1 also before ioapic_init). */
int ioapic_host_route(uint8_t irq, bool pci, struct ioapic_route *route);
/* The IOAPIC and pin of `gsi`: false if no IOAPIC has it. */
bool ioapic_has_gsi(uint32_t gsi);
/* Write `gsi`'s whole entry: 0, or -1 if no IOAPIC has it. */
int ioapic_program(uint32_t gsi, uint64_t entry);
void ioapic_mask(uint32_t gsi, bool masked);

#endif /* ARCH_X86_IOAPIC_H */
