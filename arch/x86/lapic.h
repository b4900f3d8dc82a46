/*
 * arch/x86/lapic.h - the local APIC in xAPIC (MMIO) or x2APIC (MSR) mode,
 * its one-shot timer and inter-processor interrupts.
 *
 * The mode is chosen once on the boot CPU (x2APIC when the CPU has it and
 * the command line does not say x2apic=0) and used by every CPU. The timer
 * runs in TSC-deadline mode when available, else one-shot with a divisor of
 * 1 and a rate calibrated against the TSC.
 *
 * Lock order: none; each CPU programs only its own LAPIC. IPIs may be sent
 * from any CPU at any time (xAPIC ICR writes are done with interrupts off).
 */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

void lapic_init_boot(bool allow_x2apic, uint64_t mmio_base);
void lapic_init_cpu(void);
bool lapic_x2apic_mode(void);
bool lapic_tsc_deadline_mode(void);
uint32_t lapic_id(void);
void lapic_end_of_interrupt(void);

void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi_all_but_self(void);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint32_t vector_page);

/* Record the LAPIC timer rate measured against the TSC (ticks per 2^20 TSC ticks). */
void lapic_timer_set_rate(uint64_t lapic_ticks_per_mega_tsc);
/* Fire TRAP_VECTOR_TIMER once when the TSC reaches `tsc_deadline` (0 disarms). */
void lapic_timer_arm(uint64_t tsc_deadline);
/* For calibration: start the timer counting down from the maximum / read it. */
void lapic_timer_start_free_running(void);
uint32_t lapic_timer_current_count(void);

#endif /* ARCH_X86_LAPIC_H */
