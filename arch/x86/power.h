/*
 * arch/x86/power.h - turning the machine off.
 *
 * Order of attempts: QEMU's isa-debug-exit (only under QEMU, detected by
 * its CPUID hypervisor signature, or when debug_exit_port is set; it
 * carries the status: QEMU exits with (0x10 + status) * 2 + 1), then ACPI
 * S5 through the FADT's PM1 control ports and the DSDT's \_S5 sleep type,
 * then Bochs's port 0x8900 "Shutdown", then halting every CPU.
 *
 * Lock order: none.
 */
#ifndef ARCH_X86_POWER_H
#define ARCH_X86_POWER_H

#include <stdint.h>

#include "arch/x86/acpi.h"

/* `debug_exit_port`: 0 = detect QEMU; otherwise always use that port. */
void power_init(const struct acpi_info *acpi, uint16_t debug_exit_port);
void power_off(int status) __attribute__((noreturn));
/* The name of the emulator we run in, from CPUID: "qemu-tcg", "kvm", "none". */
const char *power_hypervisor_name(void);

#endif /* ARCH_X86_POWER_H */
