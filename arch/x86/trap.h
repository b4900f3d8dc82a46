/*
 * arch/x86/trap.h - descriptor tables, interrupt dispatch and exception
 * reporting.
 *
 * Each CPU has its own GDT and TSS (with IST stacks for NMI, #DF and #MC);
 * all share one IDT. Exceptions in the hypervisor are fatal: they print
 * "EXCEPTION cpu=N vector=V name=..." and a register dump, then panic with
 * reason "exception" -- except faults at addresses listed in the exception
 * fixup table (e.g. arch_msr_read_safe), which resume at their fixup.
 * Vectors 32..255 go to handlers registered with trap_register().
 *
 * Lock order: trap_register() is called before interrupts are enabled;
 * dispatch takes no lock.
 */
#ifndef ARCH_X86_TRAP_H
#define ARCH_X86_TRAP_H

#include <stdint.h>

/* Matches the push order in arch/x86/isr.asm. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

#define TRAP_VECTOR_NMI        2
#define TRAP_VECTOR_TIMER      0xf0 /* LAPIC timer                  */
#define TRAP_VECTOR_RESCHEDULE 0xf1 /* host IPI: re-run the scheduler */
#define TRAP_VECTOR_CALL       0xf2 /* host IPI: run a queued call    */
#define TRAP_VECTOR_SPURIOUS   0xff

#define GDT_SELECTOR_CODE 0x08
#define GDT_SELECTOR_DATA 0x10
#define GDT_SELECTOR_TSS  0x18

typedef void (*trap_handler_fn)(struct trap_frame *frame);

/* Install this CPU's GDT/TSS and load the shared IDT (built on first use). */
void trap_init_cpu(uint32_t cpu_index);
void trap_register(uint8_t vector, trap_handler_fn handler);
/* Called from isr.asm. */
void trap_dispatch(struct trap_frame *frame);

#endif /* ARCH_X86_TRAP_H */
