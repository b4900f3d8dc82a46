/*
 * arch/x86/uart.h - the hypervisor's console: a 16550 UART on COM1.
 *
 * Polled, no interrupts, 115200 8N1 (UART_BAUD). Two ways to write:
 * uart_write() waits (bounded) for the transmitter before every byte: for
 * synchronous output (early boot, the final flush, panic); uart_transmit()
 * never waits: it hands the transmitter what it takes at once (up to the
 * 16550A's TX FIFO, 16 bytes, when the FIFO is empty; nothing while it
 * still sends). kernel/log.c drains its ring with it from a timer.
 * Callers serialize (kernel/log.c holds its drain lock).
 *
 * Lock order: none here (callers lock).
 */
#ifndef ARCH_X86_UART_H
#define ARCH_X86_UART_H

#include <stddef.h>
#include <stdint.h>

#define UART_COM1 0x3f8
#define UART_BAUD 115200

void uart_init(uint16_t port, uint32_t baud);
/* Write every byte, waiting (bounded) for the transmitter before each. */
void uart_write(const char *text, size_t length);
/* Write what the transmitter accepts now without waiting: 0 while it is
 * busy, else up to its FIFO depth. Returns the bytes taken (all of them
 * when there is no UART: output is discarded). */
size_t uart_transmit(const char *text, size_t length);
/* Nanoseconds the transmitter takes to send a full FIFO. */
uint64_t uart_fifo_drain_ns(void);
/* A received byte, or -1 if none is waiting (never blocks). */
int uart_read(void);
/* Wait (bounded) until every byte written has left the transmitter. */
void uart_flush(void);

#endif /* ARCH_X86_UART_H */
