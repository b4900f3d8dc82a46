/*
 * vmx/vm.c - VM state changes, the per-VM console buffer and guest memory
 * access (see vm.h).
 *
 * Lock order: vm->lock -> log_lock. vm_ended() runs after a VM's lock is
 * released and takes the others' one at a time (in vm_stop).
 */
#include "vmx/vm.h"

#include <stdarg.h>

#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "vmx/exit.h"

/* run_until= (vm_run_until()): the run's VMs, and which of them end it. */
static struct vm *const *vm_run_list;
static uint32_t vm_run_count;
static uint32_t vm_run_until_mask; /* bit i: vm_run_list[i] */

void vm_run_until(struct vm *const *vms, uint32_t count, uint32_t mask)
{
	if (count > 32)
		panic("vm_run_until: %u VMs, the mask holds 32", count);
	vm_run_list = vms;
	vm_run_count = count;
	vm_run_until_mask = mask;
}

static bool vm_ended_state(enum vm_state state)
{
	return state == VM_STATE_DONE || state == VM_STATE_STOPPED;
}

/* The grace period of a finish request is over: stop the VM if it runs. */
static void vm_finish_timeout(struct timer *timer, void *context)
{
	(void)timer;
	struct vm *vm = context;
	if (!vm_ended_state(vm->state))
		vm_stop(vm, "run-until: did not finish within %u ms of the request",
		        VM_FINISH_GRACE_MS);
}

/* Ask `vm` to finish (a guest that polls HYPERCALL_FINISH_REQUESTED ends
 * its workload, reports and powers off); stop it after the grace period. */
static void vm_request_finish(struct vm *vm, const struct vm *because)
{
	__atomic_store_n(&vm->finish_requested, true, __ATOMIC_RELEASE);
	log_record("VMFINISH name=%s cause=\"run-until: VM %s ended\" grace_ms=%u", vm->name,
	           because->name, VM_FINISH_GRACE_MS);
	timer_start(&vm->finish_timer,
	            timer_now() + timer_ns_to_tsc((uint64_t)VM_FINISH_GRACE_MS * 1000000),
	            vm_finish_timeout, vm);
}

/* `vm` just ended: when it was the last VM of run_until= to end, ask
 * every VM still running to finish (they were the background of a
 * measurement). */
static void vm_ended(struct vm *vm)
{
	bool named = false;
	if (__atomic_load_n(&vm->finish_requested, __ATOMIC_ACQUIRE))
		timer_cancel(&vm->finish_timer); /* it finished (or was stopped) */
	for (uint32_t i = 0; i < vm_run_count; i++) {
		if (!(vm_run_until_mask & (1u << i)))
			continue;
		if (!vm_ended_state(vm_run_list[i]->state))
			return;
		named = named || vm_run_list[i] == vm;
	}
	if (!named)
		return;
	for (uint32_t i = 0; i < vm_run_count; i++)
		if (!vm_ended_state(vm_run_list[i]->state))
			vm_request_finish(vm_run_list[i], vm);
}

uint64_t vm_exit_count(const struct vm *vm, int reason)
{
	uint64_t total = 0;
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *v = vm->vcpus[i];
		if (!v)
			continue;
		if (reason < 0)
			total += v->exits_total;
		else if (reason < VMX_EXIT_REASON_COUNT)
			total += v->exits[reason];
	}
	return total;
}

const char *vm_state_name(enum vm_state state)
{
	switch (state) {
	case VM_STATE_CREATED:
		return "created";
	case VM_STATE_RUNNING:
		return "running";
	case VM_STATE_DONE:
		return "done";
	case VM_STATE_STOPPED:
		return "stopped";
	}
	return "?";
}

void vm_stop(struct vm *vm, const char *format, ...)
{
	char cause[VM_CAUSE_SIZE];
	va_list arguments;
	va_start(arguments, format);
	format_string_va(cause, sizeof(cause), format, arguments);
	va_end(arguments);
	uint64_t flags = spinlock_acquire_irqsave(&vm->lock);
	bool first = vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_CREATED;
	if (first) {
		string_copy(vm->cause, cause, sizeof(vm->cause));
		vm->state = VM_STATE_STOPPED;
	}
	spinlock_release_irqrestore(&vm->lock, flags);
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i]) {
			vm->vcpus[i]->stop = true;
			vcpu_interrupt_kick(vm->vcpus[i]); /* out of the guest or its HLT wait */
		}
	if (first) {
		vuart_flush_all(vm);
		log_record("VMSTOP name=%s cause=\"%s\"", vm->name, cause);
		vm_ended(vm);
	}
}

void vm_power_off(struct vm *vm, int status)
{
	vuart_flush_all(vm);
	uint64_t flags = spinlock_acquire_irqsave(&vm->lock);
	bool first = vm->state == VM_STATE_RUNNING;
	if (first) {
		vm->state = VM_STATE_DONE;
		vm->exit_status = status;
		string_copy(vm->cause, "power-off", sizeof(vm->cause));
	}
	spinlock_release_irqrestore(&vm->lock, flags);
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i]) {
			vm->vcpus[i]->stop = true;
			vcpu_interrupt_kick(vm->vcpus[i]); /* out of the guest or its HLT wait */
		}
	if (first) {
		log_info("VM %s powered itself off (status %d)", vm->name, status);
		vm_ended(vm);
	}
}

void vm_note_result(struct vm *vm, const char *text, size_t length)
{
	if (length >= VM_RESULT_SIZE)
		length = VM_RESULT_SIZE - 1;
	uint64_t flags = spinlock_acquire_irqsave(&vm->lock);
	memcpy(vm->last_result, text, length);
	vm->last_result[length] = '\0';
	spinlock_release_irqrestore(&vm->lock, flags);
}

void vm_console_append(struct vm *vm, const char *text, uint32_t length)
{
	uint64_t flags = spinlock_acquire_irqsave(&vm->lock);
	uint32_t room = VM_CONSOLE_SIZE - 1 - vm->console_length;
	if (length > room)
		length = room;
	memcpy(vm->console + vm->console_length, text, length);
	vm->console_length += length;
	vm->console[vm->console_length] = '\0';
	spinlock_release_irqrestore(&vm->lock, flags);
}

void *vm_guest_pointer(const struct vm *vm, uint64_t address, uint64_t length)
{
	return guest_memory_pointer(&vm->memory, address, length);
}

/* The exit-rate guard: over each window of the vCPU's run time, its exits
 * per ms of run time must stay at or below vm->exit_rate. */
void vm_exit_rate_check(struct vcpu *vcpu, uint32_t reason)
{
	struct vm *vm = vcpu->vm;
	if (!vm->exit_rate)
		return;
	vcpu->flood_window_exits++;
	uint64_t run = vcpu->run_tsc + (arch_tsc_read() - vcpu->slice_tsc);
	uint64_t span = run - vcpu->flood_window_run;
	if (span < vm->exit_window_tsc)
		return;
	uint64_t per_ms = vcpu->flood_window_exits * timer_tsc_khz / span;
	if (per_ms > vm->exit_rate && vm->state == VM_STATE_RUNNING)
		vm_stop(vm,
		        "exit-flood: %llu exits per ms of run time over %llu ms exceed "
		        "vm_exit_rate=%llu (last: %s)",
		        (unsigned long long)per_ms, (unsigned long long)(span / timer_tsc_khz),
		        (unsigned long long)vm->exit_rate, vmx_exit_name(reason));
	vcpu->flood_window_run = run;
	vcpu->flood_window_exits = 0;
}
