/*
 * vmx/vuart.h - the VM's COM1 16550A (vmx/vuart.c around the pure model
 * of vmx/vuart_model.h): the hypervisor side of it. vuart_register() and
 * vuart_flush_all() are declared in vmx/exit.h with the other handlers.
 *
 * Lock order: uart->lock -> vm->lock, log_lock; the IRQ 4 edge is raised
 * through platform_pulse_gsi() after uart->lock is released.
 */
#ifndef VMX_VUART_H
#define VMX_VUART_H

#include <stddef.h>
#include <stdint.h>

#define VUART_GSI 4 /* ISA IRQ 4 = GSI 4 (identity, no MADT override) */

struct vm;

/* Give the guest `n` received bytes (console_script, a console later);
 * returns how many fit in the receive FIFO (the rest overran). */
size_t vuart_receive(struct vm *vm, const uint8_t *bytes, size_t n);

#endif /* VMX_VUART_H */
