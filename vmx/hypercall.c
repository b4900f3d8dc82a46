/*
 * vmx/hypercall.c - the VMCALL handler (ABI in hypercall.h and
 * docs/hypercall.md).
 *
 * Lock order: vm->lock (console, vm_stop) -> log_lock.
 */
#include "vmx/hypercall.h"

#include "kernel/log.h"
#include "kernel/string.h"
#include "vmx/exit.h"
#include "vmx/guest.h"
#include "vmx/vmx.h"

static int64_t hypercall_result(struct vcpu *vcpu, uint64_t address, uint64_t length)
{
	struct vm *vm = vcpu->vm;
	if (length == 0 || length > HYPERCALL_RESULT_MAX)
		return HYPERCALL_ERROR_INVALID;
	const char *text = vm_guest_pointer(vm, address, length);
	if (!text)
		return HYPERCALL_ERROR_INVALID;
	char line[HYPERCALL_RESULT_MAX + 1];
	for (uint64_t i = 0; i < length; i++) {
		char c = text[i];
		if (c < 0x20 || c > 0x7e)
			return HYPERCALL_ERROR_INVALID;
		line[i] = c;
	}
	line[length] = '\0';
	vm->result_count++;
	vm_note_result(vm, line, length);
	log_record("RESULT vm=%s %s", vm->name, line);
	return 0;
}

enum vmx_exit_action hypercall_handle(struct vcpu *vcpu)
{
	struct vmx_guest_registers *r = &vcpu->registers;
	int64_t result;
	/* Only the guest kernel may call. */
	if (vmx_guest_cpl(vcpu) != 0) {
		r->rax = (uint64_t)(int64_t)HYPERCALL_ERROR_PERMISSION;
		return VMX_EXIT_ACTION_NEXT;
	}
	switch (r->rax) {
	case HYPERCALL_VERSION:
		result = HYPERCALL_ABI_VERSION;
		break;
	case HYPERCALL_RESULT:
		result = hypercall_result(vcpu, r->rbx, r->rcx);
		break;
	case HYPERCALL_POWER_OFF:
		vm_power_off(vcpu->vm, (int)r->rbx);
		return VMX_EXIT_ACTION_STOP;
	case HYPERCALL_NOP:
		result = 0;
		break;
	case HYPERCALL_EXIT_COUNT:
		if (r->rbx == ~0ull)
			result = (int64_t)vcpu->exits_total;
		else if (r->rbx < VMX_EXIT_REASON_COUNT)
			result = (int64_t)vcpu->exits[r->rbx];
		else
			result = HYPERCALL_ERROR_INVALID;
		break;
	case HYPERCALL_FINISH_REQUESTED:
		result = __atomic_load_n(&vcpu->vm->finish_requested, __ATOMIC_ACQUIRE) ? 1 : 0;
		break;
	default:
		result = HYPERCALL_ERROR_NO_FUNCTION;
		break;
	}
	r->rax = (uint64_t)result;
	return VMX_EXIT_ACTION_NEXT;
}
