/*
 * arch/x86/smp.h - starting the application processors and running
 * functions on other CPUs.
 *
 * smp_start() starts every enabled CPU of the MADT, one at a time, with
 * INIT-SIPI-SIPI and waits (bounded) for each to come online. An AP sets up
 * its own descriptor tables, LAPIC and per-CPU data, calls the hook given
 * to smp_start(), then idles with interrupts on (halted until an interrupt).
 *
 * Lock order: smp_call_lock (per target CPU, leaf).
 */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include <stdint.h>

#include "arch/x86/acpi.h"

#define SMP_TRAMPOLINE_CODE       0x8000
#define SMP_TRAMPOLINE_PARAMETERS 0x9000

/* Copy the trampoline to low memory (while boot page tables are writable). */
void smp_install_trampoline(void);

/*
 * Assign CPU indices (boot CPU = 0, then MADT order) and start the APs.
 * `ap_hook` runs on each AP once it is set up. Returns CPUs online.
 */
uint32_t smp_start(const struct acpi_info *acpi, void (*ap_hook)(uint32_t cpu));

/* Run fn(argument) on `cpu` from its CALL IPI handler; does not wait. */
void smp_call(uint32_t cpu, void (*fn)(void *), void *argument);
/*
 * Run fn(argument) on AP `cpu` in thread context: from its idle loop, with
 * interrupts enabled, not from an interrupt handler. Wakes the AP with a
 * TRAP_VECTOR_RESCHEDULE IPI. Returns 0, or -1 if `cpu` is the boot CPU,
 * unknown, or still busy with earlier work.
 */
int smp_run_in_thread(uint32_t cpu, void (*fn)(void *), void *argument);
/* NMI every other online CPU (panic path). */
void smp_stop_others(void);

#endif /* ARCH_X86_SMP_H */
