/*
 * vmx/guest_acpi.h - the ACPI tables a VM's firmware would provide, built
 * per VM into a caller-provided buffer that the caller then places in
 * guest memory (normally the BIOS area 0xe0000-0xfffff, where guests scan
 * for the RSDP on 16-byte boundaries).
 *
 * Tables: RSDP (revision 2, with RSDT and XSDT), XSDT and RSDT listing the
 * FADT and MADT; MADT with one enabled Processor Local APIC per vCPU (APIC
 * IDs and processor UIDs 0..N-1), the IOAPIC, the ISA overrides IRQ0 ->
 * GSI 2 and the SCI (level, active high), and a LINT1 NMI entry; FADT
 * revision 5 (not hardware-reduced) with the PM1a event/control ports, the
 * SCI, no SMI command port (the platform is always in ACPI mode); FACS; a
 * DSDT whose only content is Name(\_S5, Package(4){typ, typ, 0, 0}), so a
 * guest powers off by writing SLP_TYP << 10 | SLP_EN (bit 13) to PM1a
 * control. No HPET, no PM timer unless configured, no devices in the DSDT.
 *
 * Lock order: none (pure function of its arguments).
 */
#ifndef VMX_GUEST_ACPI_H
#define VMX_GUEST_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_ACPI_MAX_VCPUS   254 /* 8-bit APIC IDs, 0xff is broadcast */
#define GUEST_ACPI_RSDP_LENGTH 36
#define GUEST_ACPI_OEM_ID      "USLICE"

/* FADT IAPC_BOOT_ARCH flags. */
#define GUEST_ACPI_BOOT_LEGACY_DEVICES (1u << 0)
#define GUEST_ACPI_BOOT_8042           (1u << 1)
#define GUEST_ACPI_BOOT_NO_VGA         (1u << 2)
#define GUEST_ACPI_BOOT_NO_MSI         (1u << 3)
#define GUEST_ACPI_BOOT_NO_ASPM        (1u << 4)
#define GUEST_ACPI_BOOT_NO_CMOS_RTC    (1u << 5)

struct guest_acpi_config {
	uint32_t vcpu_count;    /* 1..GUEST_ACPI_MAX_VCPUS */
	uint32_t lapic_address; /* 0xfee00000 */
	uint8_t ioapic_id;
	uint32_t ioapic_address; /* 0xfec00000 */
	uint32_t ioapic_gsi_base;
	uint16_t pm1a_event_port;   /* PM1a status at +0, enable at +2 */
	uint16_t pm1a_control_port; /* 16-bit; SLP_TYP bits 10-12, SLP_EN bit 13 */
	uint16_t pm_timer_port;     /* 0: no PM timer */
	uint16_t sci_interrupt;     /* ISA IRQ = GSI of the SCI */
	uint8_t s5_sleep_type;      /* SLP_TYP for S5, 0..7 */
	uint16_t boot_flags;        /* GUEST_ACPI_BOOT_* */
	bool pcat_compatible;       /* MADT: dual 8259 PICs present */
	uint64_t rsdp_address;      /* guest-physical, 16-byte aligned, inside the
	                               buffer; 0 = the buffer's first bytes */
};

/*
 * Defaults for a VM with `vcpu_count` vCPUs: LAPIC 0xfee00000, IOAPIC id
 * vcpu_count (0 past 15) at 0xfec00000 GSI 0, PM1a event 0xb000, control
 * 0xb004, SCI 9, S5 sleep type 5, no PM timer, no 8259s, no VGA.
 */
void guest_acpi_default_config(struct guest_acpi_config *config, uint32_t vcpu_count);

/* Bytes guest_acpi_build() needs when the RSDP is at the buffer start. */
size_t guest_acpi_size(const struct guest_acpi_config *config);

/*
 * Write the tables into `buffer` (`size` bytes that the guest sees at
 * guest-physical `guest_physical_base`, below 4 GiB). Only the bytes of
 * the tables are written. Returns the RSDP's guest-physical address, or 0
 * if the configuration is invalid, the RSDP placement is not 16-byte
 * aligned inside the buffer, or the buffer is too small.
 */
uint64_t guest_acpi_build(void *buffer, size_t size, uint64_t guest_physical_base,
                          const struct guest_acpi_config *config);

#endif /* VMX_GUEST_ACPI_H */
