/*
 * vmx/cr.c - CR0, CR4 and CR8 access exits (see cr.h).
 *
 * Lock order: none.
 */
#include "vmx/cr.h"

#include "arch/x86/cpu.h"
#include "vmx/guest.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vm.h"
#include "vmx/vmx.h"

/* MOV to CR0: reserved bits and invalid combinations #GP; PG with
 * EFER.LME enters IA-32e mode (PAE required), clearing PG leaves it. */
static enum vmx_exit_action vmx_cr0_write(struct vcpu *vcpu, uint64_t value)
{
	uint64_t old = vmx_read(VMCS_CR0_READ_SHADOW);
	uint64_t efer = vmx_read(VMCS_GUEST_EFER);
	if ((value >> 32) || ((value & ARCH_CR0_PG) && !(value & ARCH_CR0_PE)) ||
	    ((value & ARCH_CR0_NW) && !(value & ARCH_CR0_CD))) {
		vmx_inject_gp(vcpu);
		return VMX_EXIT_ACTION_RESUME;
	}
	if ((value & ARCH_CR0_PG) && !(old & ARCH_CR0_PG) && (efer & ARCH_EFER_LME)) {
		if (!(vmx_read(VMCS_GUEST_CR4) & ARCH_CR4_PAE)) { /* PAE is not masked */
			vmx_inject_gp(vcpu);
			return VMX_EXIT_ACTION_RESUME;
		}
		efer |= ARCH_EFER_LMA;
		vcpu->entry_controls |= VMX_ENTRY_IA32E_GUEST;
	} else if (!(value & ARCH_CR0_PG) && (old & ARCH_CR0_PG) && (efer & ARCH_EFER_LMA)) {
		efer &= ~ARCH_EFER_LMA;
		vcpu->entry_controls &= ~VMX_ENTRY_IA32E_GUEST;
	}
	uint64_t fixed0 = arch_msr_read(MSR_VMX_CR0_FIXED0) & ~(ARCH_CR0_PE | ARCH_CR0_PG);
	vmx_write(VMCS_CR0_READ_SHADOW, value);
	vmx_write(VMCS_GUEST_CR0, (value | fixed0) & arch_msr_read(MSR_VMX_CR0_FIXED1));
	vmx_write(VMCS_GUEST_EFER, efer);
	vmx_write(VMCS_ENTRY_CONTROLS, vcpu->entry_controls);
	return VMX_EXIT_ACTION_NEXT;
}

/* MOV to CR4: bits VMX does not allow (and VMXE: nested VMX is hidden) #GP. */
static enum vmx_exit_action vmx_cr4_write(struct vcpu *vcpu, uint64_t value)
{
	uint64_t fixed1 = arch_msr_read(MSR_VMX_CR4_FIXED1) & ~ARCH_CR4_VMXE;
	if (value & ~fixed1) {
		vmx_inject_gp(vcpu);
		return VMX_EXIT_ACTION_RESUME;
	}
	vmx_write(VMCS_CR4_READ_SHADOW, value);
	vmx_write(VMCS_GUEST_CR4, value | arch_msr_read(MSR_VMX_CR4_FIXED0));
	return VMX_EXIT_ACTION_NEXT;
}

enum vmx_exit_action vmx_cr_exit(struct vcpu *vcpu, uint64_t qualification)
{
	struct vmx_cr_qualification access = vmx_cr_qualification_decode(qualification);
	bool mov_to = access.type == VMX_CR_ACCESS_MOV_TO_CR;
	if (access.cr == VMX_CR8 && (mov_to || access.type == VMX_CR_ACCESS_MOV_FROM_CR)) {
		if (mov_to)
			vcpu_interrupt_cr8_write(vcpu, vmx_register_read(vcpu, access.register_index));
		else
			vmx_register_write(vcpu, access.register_index, vcpu_interrupt_cr8_read(vcpu));
		return VMX_EXIT_ACTION_NEXT;
	}
	if (!mov_to || (access.cr != VMX_CR0 && access.cr != VMX_CR4)) {
		vmx_vmcs_dump(vcpu, "unexpected control-register access");
		vm_stop(vcpu->vm, "unexpected-cr-access: CR%u access type %u", access.cr,
		        (unsigned)access.type);
		return VMX_EXIT_ACTION_STOP;
	}
	uint64_t value = vmx_register_read(vcpu, access.register_index);
	return access.cr == VMX_CR0 ? vmx_cr0_write(vcpu, value) : vmx_cr4_write(vcpu, value);
}
