/*
 * vmx/io.c - the port device registry and the I/O-instruction exit (see
 * io.h).
 *
 * Lock order: none taken here. The registry is written only while the VM
 * is built (before any vCPU runs) and read-only afterwards.
 */
#include "vmx/io.h"

#include "vmx/vmx.h"

int vmx_io_register(struct vm *vm, uint16_t first_port, uint16_t count,
                    enum vm_io_result (*access)(struct vcpu *vcpu, uint16_t port, unsigned size,
                                                bool in, uint32_t *value))
{
	uint32_t end = (uint32_t)first_port + count;
	if (!count || !access || end > UINT16_MAX + 1u || vm->io_count >= VM_IO_HOOKS)
		return -1;
	uint32_t at = 0;
	while (at < vm->io_count && vm->io[at].first_port < first_port)
		at++;
	if (at > 0 && (uint32_t)vm->io[at - 1].first_port + vm->io[at - 1].count > first_port)
		return -1;
	if (at < vm->io_count && vm->io[at].first_port < end)
		return -1;
	for (uint32_t i = vm->io_count; i > at; i--)
		vm->io[i] = vm->io[i - 1];
	vm->io[at] = (struct vm_io_hook){first_port, count, access};
	vm->io_count++;
	return 0;
}

const struct vm_io_hook *vmx_io_find(const struct vm *vm, uint16_t port)
{
	for (uint32_t i = 0; i < vm->io_count && vm->io[i].first_port <= port; i++)
		if ((uint32_t)port - vm->io[i].first_port < vm->io[i].count)
			return &vm->io[i];
	return NULL;
}

enum vm_io_result vmx_io_access(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                uint32_t *value)
{
	const struct vm_io_hook *hook = vmx_io_find(vcpu->vm, port);
	enum vm_io_result result =
	    hook ? hook->access(vcpu, port, size, in, value) : VM_IO_UNCLAIMED;
	if (result == VM_IO_UNCLAIMED) {
		/* Nobody emulates it: an IN keeps all ones, an OUT is dropped. */
		vcpu->io_unknown++;
		vm_unknown_count(&vcpu->vm->unknown_ports, port, !in);
	}
	return result;
}

enum vmx_exit_action vmx_io_exit(struct vcpu *vcpu, uint64_t qualification)
{
	struct vmx_io_qualification io = vmx_io_qualification_decode(qualification);
	if (io.string) {
		vm_stop(vcpu->vm,
		        "unsupported-io: string I/O (INS/OUTS) on port 0x%x at rip=0x%llx", io.port,
		        (unsigned long long)vmx_read(VMCS_GUEST_RIP));
		return VMX_EXIT_ACTION_STOP;
	}
	uint32_t mask = io.size == sizeof(uint32_t) ? UINT32_MAX : (1u << (8 * io.size)) - 1;
	uint32_t value = io.in ? mask : (uint32_t)vcpu->registers.rax & mask;
	if (vmx_io_access(vcpu, io.port, io.size, io.in, &value) == VM_IO_STOP)
		return VMX_EXIT_ACTION_STOP;
	if (io.in) {
		if (io.size == sizeof(uint32_t))
			vcpu->registers.rax = value; /* a 32-bit IN zero-extends into RAX */
		else
			vcpu->registers.rax =
			    (vcpu->registers.rax & ~(uint64_t)mask) | (value & mask);
	}
	return VMX_EXIT_ACTION_NEXT;
}

void vmx_io_report(const struct vm *vm)
{
	vm_unknown_report(&vm->unknown_ports, "IOUNKNOWN", vm->name, "port");
}
