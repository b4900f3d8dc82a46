/*
 * arch/x86/pic.c - remap and mask the 8259 PICs (see pic.h).
 *
 * Lock order: none.
 */
#include "arch/x86/pic.h"

#include "arch/x86/cpu.h"

void pic_disable(void)
{
	arch_outb(0x20, 0x11); /* ICW1: init, expect ICW4 */
	arch_outb(0xa0, 0x11);
	arch_outb(0x21, 0x20); /* ICW2: master vectors 0x20..0x27 */
	arch_outb(0xa1, 0x28); /* ICW2: slave vectors 0x28..0x2f  */
	arch_outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
	arch_outb(0xa1, 0x02);
	arch_outb(0x21, 0x01); /* ICW4: 8086 mode */
	arch_outb(0xa1, 0x01);
	arch_outb(0x21, 0xff); /* mask everything */
	arch_outb(0xa1, 0xff);
}
