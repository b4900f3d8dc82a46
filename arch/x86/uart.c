/*
 * arch/x86/uart.c - polled 16550 output (see uart.h).
 *
 * The FIFO depth is probed at init: a 16550A reports its FIFOs enabled in
 * IIR bits 7:6 after FCR enables them; a 16450 has none (depth 1). THRE in
 * FIFO mode means "TX FIFO empty", so uart_transmit() may then write a
 * whole FIFO's worth.
 *
 * Lock order: none.
 */
#include "arch/x86/uart.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"

enum {
	UART_DATA = 0,
	UART_INTERRUPT_ENABLE = 1,
	UART_FIFO_CONTROL = 2,
	UART_LINE_CONTROL = 3,
	UART_MODEM_CONTROL = 4,
	UART_LINE_STATUS = 5,
	UART_INTERRUPT_ID = 2, /* read; FIFO control is the write side */
	UART_INTERRUPT_ID_FIFOS = 0xc0,
	UART_FIFO_CONTROL_ENABLE_CLEAR = 0xc7, /* enable + clear, 14-byte RX trigger */
	UART_FIFO_DEPTH = 16,                  /* 16550A transmit FIFO */
	UART_LINE_8N1 = 0x03,
	UART_MODEM_DTR_RTS = 0x03,
	UART_BITS_PER_BYTE = 10, /* start, 8 data, stop */
	UART_LINE_STATUS_DATA_READY = 0x01,
	UART_PUT_SPINS = 100000,
	UART_FLUSH_SPINS = 1000000,
	UART_LINE_STATUS_THR_EMPTY = 0x20,
	UART_LINE_STATUS_TRANSMITTER_EMPTY = 0x40,
	UART_LINE_CONTROL_DLAB = 0x80,
};

#define UART_NS_PER_SECOND 1000000000ull

static uint16_t uart_port;
static uint32_t uart_baud = UART_BAUD;
static unsigned uart_fifo_depth = 1;

void uart_init(uint16_t port, uint32_t baud)
{
	uint16_t divisor = (uint16_t)(UART_BAUD / baud);
	uart_port = port;
	uart_baud = baud;
	arch_outb(port + UART_INTERRUPT_ENABLE, 0);
	arch_outb(port + UART_LINE_CONTROL, UART_LINE_CONTROL_DLAB);
	arch_outb(port + UART_DATA, divisor & 0xff);
	arch_outb(port + UART_INTERRUPT_ENABLE, divisor >> 8);
	arch_outb(port + UART_LINE_CONTROL, UART_LINE_8N1);
	arch_outb(port + UART_FIFO_CONTROL, UART_FIFO_CONTROL_ENABLE_CLEAR);
	arch_outb(port + UART_MODEM_CONTROL, UART_MODEM_DTR_RTS);
	bool fifos = (arch_inb(port + UART_INTERRUPT_ID) & UART_INTERRUPT_ID_FIFOS) ==
	             UART_INTERRUPT_ID_FIFOS;
	uart_fifo_depth = fifos ? UART_FIFO_DEPTH : 1;
}

uint64_t uart_fifo_drain_ns(void)
{
	return UART_NS_PER_SECOND * UART_BITS_PER_BYTE * uart_fifo_depth / uart_baud;
}

size_t uart_transmit(const char *text, size_t length)
{
	if (!uart_port)
		return length;
	if (!(arch_inb(uart_port + UART_LINE_STATUS) & UART_LINE_STATUS_THR_EMPTY))
		return 0;
	size_t count = length < uart_fifo_depth ? length : uart_fifo_depth;
	for (size_t i = 0; i < count; i++)
		arch_outb(uart_port + UART_DATA, (uint8_t)text[i]);
	return count;
}

static void uart_put(char c)
{
	for (int spin = 0; spin < UART_PUT_SPINS; spin++)
		if (arch_inb(uart_port + UART_LINE_STATUS) & UART_LINE_STATUS_THR_EMPTY)
			break;
	arch_outb(uart_port + UART_DATA, (uint8_t)c);
}

void uart_write(const char *text, size_t length)
{
	if (!uart_port)
		return;
	for (size_t i = 0; i < length; i++) {
		uart_put(text[i]);
	}
}

void uart_flush(void)
{
	if (!uart_port)
		return;
	for (int spin = 0; spin < UART_FLUSH_SPINS; spin++)
		if (arch_inb(uart_port + UART_LINE_STATUS) & UART_LINE_STATUS_TRANSMITTER_EMPTY)
			return;
}

int uart_read(void)
{
	if (!uart_port || !(arch_inb(uart_port + UART_LINE_STATUS) & UART_LINE_STATUS_DATA_READY))
		return -1;
	return arch_inb(uart_port + UART_DATA);
}
