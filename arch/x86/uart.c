/*
 * arch/x86/uart.c - polled 16550 output (see uart.h).
 *
 * Lock order: none.
 */
#include "arch/x86/uart.h"

#include "arch/x86/cpu.h"

enum {
	UART_DATA = 0,
	UART_INTERRUPT_ENABLE = 1,
	UART_FIFO_CONTROL = 2,
	UART_LINE_CONTROL = 3,
	UART_MODEM_CONTROL = 4,
	UART_LINE_STATUS = 5,
	UART_LINE_STATUS_THR_EMPTY = 0x20,
	UART_LINE_STATUS_TRANSMITTER_EMPTY = 0x40,
	UART_LINE_CONTROL_DLAB = 0x80,
};

static uint16_t uart_port;

void uart_init(uint16_t port, uint32_t baud)
{
	uint16_t divisor = (uint16_t)(115200 / baud);
	uart_port = port;
	arch_outb(port + UART_INTERRUPT_ENABLE, 0);
	arch_outb(port + UART_LINE_CONTROL, UART_LINE_CONTROL_DLAB);
	arch_outb(port + UART_DATA, divisor & 0xff);
	arch_outb(port + UART_INTERRUPT_ENABLE, divisor >> 8);
	arch_outb(port + UART_LINE_CONTROL, 0x03);  /* 8N1 */
	arch_outb(port + UART_FIFO_CONTROL, 0xc7);  /* enable + clear FIFOs */
	arch_outb(port + UART_MODEM_CONTROL, 0x03); /* DTR, RTS */
}

static void uart_put(char c)
{
	for (int spin = 0; spin < 100000; spin++)
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
	for (int spin = 0; spin < 1000000; spin++)
		if (arch_inb(uart_port + UART_LINE_STATUS) & UART_LINE_STATUS_TRANSMITTER_EMPTY)
			return;
}

int uart_read(void)
{
	if (!uart_port || !(arch_inb(uart_port + UART_LINE_STATUS) & 0x01))
		return -1;
	return arch_inb(uart_port + UART_DATA);
}
