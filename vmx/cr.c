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

static struct vmx_cr_state vmx_cr_state_read(void)
{
	uint64_t efer = vmx_read(VMCS_GUEST_EFER);
	return (struct vmx_cr_state){
	    .cr0 = vmx_read(VMCS_CR0_READ_SHADOW),
	    .cr4 = vmx_read(VMCS_CR4_READ_SHADOW),
	    .efer = efer,
	    .cr3 = vmx_read(VMCS_GUEST_CR3),
	    .code_64bit = (efer & ARCH_EFER_LMA) &&
	                  (vmx_read(VMCS_GUEST_CS_ACCESS) & VMX_SEGMENT_ACCESS_LONG),
	};
}

static enum vmx_exit_action vmx_cr_fault(struct vcpu *vcpu)
{
	vmx_inject_gp(vcpu);
	return VMX_EXIT_ACTION_RESUME;
}

/* MOV to CR0: invalid values #GP (vmx_cr0_faults); PG with EFER.LME
 * enters IA-32e mode, clearing PG leaves it. */
static enum vmx_exit_action vmx_cr0_write(struct vcpu *vcpu, uint64_t value)
{
	struct vmx_cr_state state = vmx_cr_state_read();
	uint64_t old = state.cr0, efer = state.efer;
	if (vmx_cr0_faults(&state, value))
		return vmx_cr_fault(vcpu);
	if ((value & ARCH_CR0_PG) && !(old & ARCH_CR0_PG) && (efer & ARCH_EFER_LME)) {
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

/* MOV to CR4: invalid values #GP (vmx_cr4_faults). */
static enum vmx_exit_action vmx_cr4_write(struct vcpu *vcpu, uint64_t value)
{
	struct vmx_cr_state state = vmx_cr_state_read();
	uint64_t allowed = arch_msr_read(MSR_VMX_CR4_FIXED1) & ~VMX_CR4_HIDDEN;
	if (vmx_cr4_faults(&state, allowed, value))
		return vmx_cr_fault(vcpu);
	vmx_write(VMCS_CR4_READ_SHADOW, value);
	vmx_write(VMCS_GUEST_CR4, value | arch_msr_read(MSR_VMX_CR4_FIXED0));
	return VMX_EXIT_ACTION_NEXT;
}

enum vmx_exit_action vmx_cr_exit(struct vcpu *vcpu, uint64_t qualification)
{
	struct vmx_cr_qualification access = vmx_cr_qualification_decode(qualification);
	bool mov_to = access.type == VMX_CR_ACCESS_MOV_TO_CR;
	if (access.cr == VMX_CR8 && (mov_to || access.type == VMX_CR_ACCESS_MOV_FROM_CR)) {
		if (mov_to) {
			uint64_t value = vmx_register_read(vcpu, access.register_index);
			if (vmx_cr8_faults(value))
				return vmx_cr_fault(vcpu);
			vcpu_interrupt_cr8_write(vcpu, value);
		} else {
			vmx_register_write(vcpu, access.register_index,
			                   vcpu_interrupt_cr8_read(vcpu));
		}
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
