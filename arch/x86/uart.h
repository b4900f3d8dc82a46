/*
 * arch/x86/uart.h - the hypervisor's console: a 16550 UART on COM1.
 *
 * Polled output at 115200 8N1; no interrupts. Callers serialize whole lines
 * (kernel/log.c holds the log lock around uart_write()).
 *
 * Lock order: none here (callers lock).
 */
#ifndef ARCH_X86_UART_H
#define ARCH_X86_UART_H

#include <stddef.h>
#include <stdint.h>

#define UART_COM1 0x3f8

void uart_init(uint16_t port, uint32_t baud);
void uart_write(const char *text, size_t length);
/* A received byte, or -1 if none is waiting (never blocks). */
int uart_read(void);
/* Wait (bounded) until every byte written has left the transmitter. */
void uart_flush(void);

#endif /* ARCH_X86_UART_H */
