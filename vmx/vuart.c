/*
 * vmx/vuart.c - an emulated 16550A UART per VM at the COM1 ports: the
 * register model is vmx/vuart_model.c (pure, host-tested); this file
 * registers the ports, raises the model's interrupt edges on GSI 4
 * through the vIOAPIC (platform_pulse_gsi) and takes its output.
 *
 * Output: every byte the guest transmits goes to a line buffer
 * (under the UART's lock: vCPUs of one VM may print at once); a full line
 * is kept in the VM's console buffer and handed to the log as
 * "[NAME] text" with log_record_droppable(): a copy into the log's byte
 * ring, which a timer drains into the real UART a FIFO at a time
 * (kernel/log.c), so the line appears within milliseconds and the vCPU
 * never waits for the 17 ms a line takes at 115,200 baud. When the ring is
 * nearly full the line is dropped and counted (LOGSTATS dropped_lines=).
 * vuart_flush_all() (the VM stops or powers off) hands over a partial
 * line. The transmitter is instant (LSR always says "transmitter
 * empty"), so guests never wait. Input: vuart_receive() (vuart.h).
 *
 * Lock order: uart->lock -> vm->lock (console buffer);
 * uart->lock -> log_lock.
 */
#include "vmx/vuart.h"

#include "kernel/log.h"
#include "kernel/string.h"
#include "vmx/exit.h"
#include "vmx/io.h"
#include "vmx/platform.h"
#include "vmx/vm.h"

#define VUART_RESULT_PREFIX        "RESULT "
#define VUART_RESULT_PREFIX_LENGTH (sizeof(VUART_RESULT_PREFIX) - 1)

/* UART lock held: the line goes to the VM's buffer and to the log's ring
 * (dropped, and counted, if the ring is nearly full: never waited for). */
static void vuart_flush(struct vm *vm)
{
	struct vuart *u = &vm->uart;
	if (!u->line_length)
		return;
	vm_console_append(vm, u->line, u->line_length);
	vm_console_append(vm, "\n", 1);
	if (u->line_length > VUART_RESULT_PREFIX_LENGTH &&
	    memcmp(u->line, VUART_RESULT_PREFIX, VUART_RESULT_PREFIX_LENGTH) == 0) {
		/* A guest's RESULT line is a result: kept, never dropped. */
		vm_note_result(vm, u->line + VUART_RESULT_PREFIX_LENGTH,
		               u->line_length - VUART_RESULT_PREFIX_LENGTH);
		log_record("[%s] %.*s", vm->name, (int)u->line_length, u->line);
	} else {
		log_record_droppable("[%s] %.*s", vm->name, (int)u->line_length, u->line);
	}
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

/* The model's transmit: UART lock held. */
static void vuart_model_transmit(void *context, uint8_t byte)
{
	vuart_transmit(context, byte);
}

/* UART lock released: an edge of the model's interrupt output on GSI 4. */
static void vuart_raise(struct vm *vm, bool edge)
{
	if (edge)
		platform_pulse_gsi(vm, VUART_GSI);
}

static enum vm_io_result vuart_io(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                  uint32_t *value)
{
	(void)size; /* byte registers: wider accesses use the low byte */
	struct vm *vm = vcpu->vm;
	struct vuart *u = &vm->uart;
	uint64_t flags = spinlock_acquire_irqsave(&u->lock);
	unsigned offset = port - VM_UART_PORT;
	if (in)
		*value = vuart_model_read(&u->model, offset);
	else
		vuart_model_write(&u->model, offset, (uint8_t)*value);
	bool edge = vuart_model_take_edge(&u->model);
	u->interrupts += edge;
	spinlock_release_irqrestore(&u->lock, flags);
	vuart_raise(vm, edge);
	return VM_IO_DONE;
}

size_t vuart_receive(struct vm *vm, const uint8_t *bytes, size_t n)
{
	struct vuart *u = &vm->uart;
	uint64_t flags = spinlock_acquire_irqsave(&u->lock);
	size_t taken = vuart_model_receive(&u->model, bytes, n);
	bool edge = vuart_model_take_edge(&u->model);
	u->interrupts += edge;
	spinlock_release_irqrestore(&u->lock, flags);
	vuart_raise(vm, edge);
	return taken;
}

int vuart_register(struct vm *vm)
{
	vuart_model_init(&vm->uart.model, vuart_model_transmit, vm);
	return vmx_io_register(vm, VM_UART_PORT, VUART_PORTS, vuart_io);
}

void vuart_flush_all(struct vm *vm)
{
	uint64_t flags = spinlock_acquire_irqsave(&vm->uart.lock);
	vuart_flush(vm);
	spinlock_release_irqrestore(&vm->uart.lock, flags);
}
