/*
 * vmx/vuart.c - an emulated 16550 UART per VM at the COM1 ports.
 *
 * Transmit only: every byte the guest writes to THR goes to a line buffer
 * (under the UART's lock: vCPUs of one VM may print at once); a full line
 * is kept in the VM's console buffer and queued in the console ring (a line
 * at 115,200 baud takes up to 17 ms with interrupts off: never on another
 * VM's path). Only the printing vCPU prints, the oldest line, when the ring
 * is full; vuart_flush_all() (the VM stops or powers off) and the end of
 * the run print the ring entirely, as "[NAME] text". (Draining from idle
 * pCPUs delayed vLAPIC timer wake-ups by milliseconds: smp-timer.) The
 * line status register always says "transmitter empty", so guests never
 * wait. No receive, no interrupts.
 *
 * Lock order: uart->lock -> vm->lock (console buffer) -> log_lock;
 * uart->lock -> vuart_ring_lock (a leaf; never held while printing).
 */
#include "kernel/log.h"
#include "kernel/string.h"
#include "vmx/exit.h"
#include "vmx/io.h"
#include "vmx/vm.h"

#define VUART_PORTS 8
#define VUART_LCR_DLAB 0x80        /* divisor latch access */
#define VUART_IER_MASK 0x0f
#define VUART_FCR_ENABLE 0x01
#define VUART_IIR_NONE 0x01        /* no interrupt pending */
#define VUART_IIR_FIFOS 0xc0       /* FIFOs enabled */
#define VUART_LSR_EMPTY 0x60       /* THR empty, transmitter empty */
#define VUART_MCR_MASK 0x1f
#define VUART_MCR_LOOP 0x10
#define VUART_MSR_IDLE 0xb0        /* DCD, DSR, CTS */
#define VUART_MSR_LOOP 0xf0        /* loopback: the MCR outputs read back */

#define VUART_RING_LINES 256 /* guest lines waiting for the console */

struct vuart_ring_line {
	const struct vm *vm;
	uint32_t length;
	char text[VUART_LINE_SIZE];
};

static struct vuart_ring_line vuart_ring[VUART_RING_LINES];
static uint32_t vuart_ring_head, vuart_ring_tail; /* free-running */
static struct spinlock vuart_ring_lock = SPINLOCK_INIT;

static void vuart_print(const struct vuart_ring_line *line)
{
	log_record("[%s] %.*s", line->vm->name, (int)line->length, line->text);
}

/* Take the oldest line out of the ring into `out`; false if empty. */
static bool vuart_ring_take(struct vuart_ring_line *out)
{
	uint64_t flags = spinlock_acquire_irqsave(&vuart_ring_lock);
	bool taken = vuart_ring_tail != vuart_ring_head;
	if (taken)
		*out = vuart_ring[vuart_ring_tail++ % VUART_RING_LINES];
	spinlock_release_irqrestore(&vuart_ring_lock, flags);
	return taken;
}

unsigned vuart_drain(unsigned max_lines)
{
	struct vuart_ring_line line;
	unsigned printed = 0;
	while (printed < max_lines && vuart_ring_take(&line)) {
		vuart_print(&line);
		printed++;
	}
	return printed;
}

/* UART lock held: queue the line (printing the oldest one if full). */
static void vuart_flush(struct vm *vm)
{
	struct vuart *u = &vm->uart;
	if (!u->line_length)
		return;
	vm_console_append(vm, u->line, u->line_length);
	vm_console_append(vm, "\n", 1);
	struct vuart_ring_line oldest;
	bool full = false;
	uint64_t flags = spinlock_acquire_irqsave(&vuart_ring_lock);
	if (vuart_ring_head - vuart_ring_tail == VUART_RING_LINES) {
		oldest = vuart_ring[vuart_ring_tail++ % VUART_RING_LINES];
		full = true;
	}
	struct vuart_ring_line *slot = &vuart_ring[vuart_ring_head++ % VUART_RING_LINES];
	slot->vm = vm;
	slot->length = u->line_length;
	memcpy(slot->text, u->line, u->line_length);
	spinlock_release_irqrestore(&vuart_ring_lock, flags);
	if (full)
		vuart_print(&oldest);
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
			if (in) *value = u->interrupt_enable; else u->interrupt_enable = byte & VUART_IER_MASK;
		}
		break;
	case 2:
		if (in) *value = (u->fifo_control & VUART_FCR_ENABLE) ? VUART_IIR_FIFOS | VUART_IIR_NONE
		                                                     : VUART_IIR_NONE;
		else u->fifo_control = byte;
		break;
	case 3:
		if (in) *value = u->line_control; else u->line_control = byte;
		break;
	case 4:
		if (in) *value = u->modem_control; else u->modem_control = byte & VUART_MCR_MASK;
		break;
	case 5:
		if (in) *value = VUART_LSR_EMPTY;
		break;
	case 6:
		if (in) *value = (u->modem_control & VUART_MCR_LOOP) ? VUART_MSR_LOOP : VUART_MSR_IDLE;
		break;
	default:
		if (in) *value = u->scratch; else u->scratch = byte;
		break;
	}
	spinlock_release_irqrestore(&u->lock, flags);
	return VM_IO_DONE;
}

int vuart_register(struct vm *vm) { return vmx_io_register(vm, VM_UART_PORT, VUART_PORTS, vuart_io); }

void vuart_flush_all(struct vm *vm)
{
	uint64_t flags = spinlock_acquire_irqsave(&vm->uart.lock);
	vuart_flush(vm);
	spinlock_release_irqrestore(&vm->uart.lock, flags);
	vuart_drain(UINT32_MAX);
}
