/*
 * vmx/vuart.c - an emulated 16550 UART per VM at the COM1 ports.
 *
 * Transmit only: every byte the guest writes to THR goes to a line buffer
 * (under the UART's lock: vCPUs of one VM may print at once); a full line
 * is kept in the VM's console buffer and handed to the log as
 * "[NAME] text" with log_record_droppable(): a copy into the log's byte
 * ring, which a timer drains into the real UART a FIFO at a time
 * (kernel/log.c), so the line appears within milliseconds and the vCPU
 * never waits for the 17 ms a line takes at 115,200 baud. When the ring is
 * nearly full the line is dropped and counted (LOGSTATS dropped_lines=).
 * vuart_flush_all() (the VM stops or powers off) hands over a partial
 * line. The line status register always says "transmitter empty", so
 * guests never wait. No receive, no interrupts.
 *
 * Lock order: uart->lock -> vm->lock (console buffer);
 * uart->lock -> log_lock.
 */
#include "kernel/log.h"
#include "kernel/string.h"
#include "vmx/exit.h"
#include "vmx/io.h"
#include "vmx/vm.h"

#define VUART_PORTS      8
#define VUART_LCR_DLAB   0x80 /* divisor latch access */
#define VUART_IER_MASK   0x0f
#define VUART_FCR_ENABLE 0x01
#define VUART_IIR_NONE   0x01 /* no interrupt pending */
#define VUART_IIR_FIFOS  0xc0 /* FIFOs enabled */
#define VUART_LSR_EMPTY  0x60 /* THR empty, transmitter empty */
#define VUART_MCR_MASK   0x1f
#define VUART_MCR_LOOP   0x10
#define VUART_MSR_IDLE   0xb0 /* DCD, DSR, CTS */
#define VUART_MSR_LOOP   0xf0 /* loopback: the MCR outputs read back */

/* UART lock held: the line goes to the VM's buffer and to the log's ring
 * (dropped, and counted, if the ring is nearly full: never waited for). */
static void vuart_flush(struct vm *vm)
{
	struct vuart *u = &vm->uart;
	if (!u->line_length)
		return;
	vm_console_append(vm, u->line, u->line_length);
	vm_console_append(vm, "\n", 1);
	log_record_droppable("[%s] %.*s", vm->name, (int)u->line_length, u->line);
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
	if (u->line_length >= sizeof(u->line))
		vuart_flush(vm);
	u->line[u->line_length++] = (char)byte;
	if (u->line_length >= sizeof(u->line))
		vuart_flush(vm);
}

static enum vm_io_result vuart_io(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                  uint32_t *value)
{
	(void)size;
	struct vm *vm = vcpu->vm;
	struct vuart *u = &vm->uart;
	uint64_t flags = spinlock_acquire_irqsave(&u->lock);
	bool dlab = u->line_control & VUART_LCR_DLAB;
	uint8_t byte = (uint8_t)*value;
	switch (port - VM_UART_PORT) {
	case 0:
		if (dlab) {
			if (in)
				*value = u->divisor_low;
			else
				u->divisor_low = byte;
		} else if (in) {
			*value = 0; /* nothing received */
		} else {
			vuart_transmit(vm, byte);
		}
		break;
	case 1:
		if (dlab) {
			if (in)
				*value = u->divisor_high;
			else
				u->divisor_high = byte;
		} else {
			if (in)
				*value = u->interrupt_enable;
			else
				u->interrupt_enable = byte & VUART_IER_MASK;
		}
		break;
	case 2:
		if (in)
			*value = (u->fifo_control & VUART_FCR_ENABLE)
			             ? VUART_IIR_FIFOS | VUART_IIR_NONE
			             : VUART_IIR_NONE;
		else
			u->fifo_control = byte;
		break;
	case 3:
		if (in)
			*value = u->line_control;
		else
			u->line_control = byte;
		break;
	case 4:
		if (in)
			*value = u->modem_control;
		else
			u->modem_control = byte & VUART_MCR_MASK;
		break;
	case 5:
		if (in)
			*value = VUART_LSR_EMPTY;
		break;
	case 6:
		if (in)
			*value =
			    (u->modem_control & VUART_MCR_LOOP) ? VUART_MSR_LOOP : VUART_MSR_IDLE;
		break;
	default:
		if (in)
			*value = u->scratch;
		else
			u->scratch = byte;
		break;
	}
	spinlock_release_irqrestore(&u->lock, flags);
	return VM_IO_DONE;
}

int vuart_register(struct vm *vm)
{
	return vmx_io_register(vm, VM_UART_PORT, VUART_PORTS, vuart_io);
}

void vuart_flush_all(struct vm *vm)
{
	uint64_t flags = spinlock_acquire_irqsave(&vm->uart.lock);
	vuart_flush(vm);
	spinlock_release_irqrestore(&vm->uart.lock, flags);
}
