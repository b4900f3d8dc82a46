/*
 * vmx/guest.c - guest register, CPL and exception helpers of the exit
 * handlers (see guest.h).
 *
 * Lock order: none.
 */
#include "vmx/guest.h"

#include "arch/x86/cpu.h"
#include "vmx/vm.h"
#include "vmx/vmx.h"

/* The register in vcpu->registers for `index`; NULL for RSP (VMCS). */
static uint64_t *vmx_register_slot(struct vcpu *vcpu, unsigned index)
{
	struct vmx_guest_registers *r = &vcpu->registers;
	uint64_t *const slots[VMX_REGISTER_COUNT] = {
	    &r->rax, &r->rcx, &r->rdx, &r->rbx, NULL,    &r->rbp, &r->rsi, &r->rdi,
	    &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	return slots[index % VMX_REGISTER_COUNT];
}

uint64_t vmx_register_read(struct vcpu *vcpu, unsigned index)
{
	uint64_t *slot = vmx_register_slot(vcpu, index);
	return slot ? *slot : vmx_read(VMCS_GUEST_RSP);
}

void vmx_register_write(struct vcpu *vcpu, unsigned index, uint64_t value)
{
	uint64_t *slot = vmx_register_slot(vcpu, index);
	if (slot)
		*slot = value;
	else
		vmx_write(VMCS_GUEST_RSP, value);
}

unsigned vmx_guest_cpl(struct vcpu *vcpu)
{
	(void)vcpu; /* its VMCS is the current one */
	return (unsigned)(vmx_read(VMCS_GUEST_SS_ACCESS) >> VMX_SEGMENT_ACCESS_DPL_SHIFT) &
	       VMX_SEGMENT_ACCESS_DPL_MASK;
}

void vmx_inject_gp(struct vcpu *vcpu)
{
	vmx_inject_exception(vcpu, ARCH_VECTOR_GP, true, 0);
}

void vmx_inject_ud(struct vcpu *vcpu)
{
	vmx_inject_exception(vcpu, ARCH_VECTOR_UD, false, 0);
}
