/*
 * vmx/vuart.c - an emulated 16550 UART per VM at the COM1 ports.
 *
 * Transmit only: every byte the guest writes to THR goes to a line buffer;
 * a full line is printed on the hypervisor console as "[NAME] text" and
 * kept in the VM's console buffer. The line status register always says
 * "transmitter empty", so guests never wait. No receive, no interrupts.
 *
 * Lock order: vm->lock (console buffer) -> log_lock.
 */
#include "kernel/log.h"
#include "vmx/exit.h"
#include "vmx/vm.h"

static void vuart_flush(struct vm *vm)
{
	struct vuart *u = &vm->uart;
	if (!u->line_length)
		return;
	log_record("[%s] %.*s", vm->name, (int)u->line_length, u->line);
	vm_console_append(vm, u->line, u->line_length);
	vm_console_append(vm, "\n", 1);
	u->line_length = 0;
}

static void vuart_transmit(struct vm *vm, uint8_t byte)
{
	struct vuart *u = &vm->uart;
	if (byte == '\n') {
		vuart_flush(vm);
		return;
	}
	if (byte == '\r')
		return;
	if (byte < 0x20 || byte > 0x7e)
		byte = '?';
	u->line[u->line_length++] = (char)byte;
	if (u->line_length == sizeof(u->line))
		vuart_flush(vm);
}

int vuart_io(struct vm *vm, uint16_t port, bool in, uint32_t *value)
{
	if (port < VM_UART_PORT || port > VM_UART_PORT + 7)
		return -1;
	struct vuart *u = &vm->uart;
	bool dlab = u->line_control & 0x80;
	uint8_t byte = (uint8_t)*value;
	switch (port - VM_UART_PORT) {
	case 0:
		if (dlab) {
			if (in) *value = u->divisor_low; else u->divisor_low = byte;
		} else if (in) {
			*value = 0; /* nothing received */
		} else {
			vuart_transmit(vm, byte);
		}
		break;
	case 1:
		if (dlab) {
			if (in) *value = u->divisor_high; else u->divisor_high = byte;
		} else {
			if (in) *value = u->interrupt_enable; else u->interrupt_enable = byte & 0x0f;
		}
		break;
	case 2:
		if (in) *value = (u->fifo_control & 1) ? 0xc1 : 0x01; /* no interrupt pending */
		else u->fifo_control = byte;
		break;
	case 3:
		if (in) *value = u->line_control; else u->line_control = byte;
		break;
	case 4:
		if (in) *value = u->modem_control; else u->modem_control = byte & 0x1f;
		break;
	case 5:
		if (in) *value = 0x60; /* THR empty, transmitter empty */
		break;
	case 6:
		if (in) *value = (u->modem_control & 0x10) ? 0xf0 : 0xb0;
		break;
	default:
		if (in) *value = u->scratch; else u->scratch = byte;
		break;
	}
	return 0;
}

void vuart_flush_all(struct vm *vm) { vuart_flush(vm); }
