/*
 * vmx/guest.h - the guest state exit handlers touch: general registers by
 * the index VMX exit qualifications and instruction encodings use (RSP
 * lives in the VMCS, the others in vcpu->registers), the guest's CPL, and
 * the exceptions handlers inject (#GP, #UD through vmx_inject_exception).
 *
 * Every function acts on `vcpu`, whose VMCS must be current on this pCPU
 * (its owner, in an exit handler).
 * Lock order: none.
 */
#ifndef VMX_GUEST_H
#define VMX_GUEST_H

#include <stdint.h>

struct vcpu;

/* General registers in the encoding order of ModRM.reg and the exit
 * qualifications (SDM Vol. 3C, Table 28-3). */
enum vmx_register {
	VMX_REGISTER_RAX = 0,
	VMX_REGISTER_RCX = 1,
	VMX_REGISTER_RDX = 2,
	VMX_REGISTER_RBX = 3,
	VMX_REGISTER_RSP = 4,
	VMX_REGISTER_RBP = 5,
	VMX_REGISTER_RSI = 6,
	VMX_REGISTER_RDI = 7,
	VMX_REGISTER_R8 = 8, /* ... R9 to R14 in order ... */
	VMX_REGISTER_R15 = 15,
	VMX_REGISTER_COUNT = 16,
};

/* Register `index` (taken modulo VMX_REGISTER_COUNT). */
uint64_t vmx_register_read(struct vcpu *vcpu, unsigned index);
void vmx_register_write(struct vcpu *vcpu, unsigned index, uint64_t value);
/* The guest's current privilege level: SS.DPL. */
unsigned vmx_guest_cpl(struct vcpu *vcpu);
/* Queue #GP(0) / #UD for the next entry. */
void vmx_inject_gp(struct vcpu *vcpu);
void vmx_inject_ud(struct vcpu *vcpu);

#endif /* VMX_GUEST_H */
