/*
 * arch/x86/pic.h - the legacy 8259 interrupt controllers.
 *
 * The hypervisor uses only LAPICs: pic_disable() remaps the two 8259s away
 * from the exception vectors (to 0x20..0x2f) and masks every line, so a
 * stray legacy interrupt can never look like a CPU exception.
 *
 * Lock order: none (boot CPU, before interrupts are enabled).
 */
#ifndef ARCH_X86_PIC_H
#define ARCH_X86_PIC_H

void pic_disable(void);

#endif /* ARCH_X86_PIC_H */
