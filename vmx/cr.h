/*
 * vmx/cr.h - control-register access exits: MOV to CR0 and CR4 (the bits
 * the guest/host masks make exit: VMX fixed bits, PG/PE with unrestricted
 * guest, IA-32e mode entry and exit via EFER.LMA and the entry control),
 * MOV to/from CR8 (= TPR[7:4] of the vCPU's vLAPIC). Invalid values get
 * #GP (the pure checks below, host-tested) instead of reaching the VMCS. The qualification is
 * decoded with vmx_cr_qualification_decode() (SDM Vol. 3C, Table 28-3).
 * Other accesses (CLTS, LMSW, CR3 with its exiting controls off) are not
 * expected: the VM is stopped with a VMCS dump.
 *
 * Runs on the vCPU's owner with its VMCS current.
 * Lock order: none.
 */
#ifndef VMX_CR_H
#define VMX_CR_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "vmx/exit.h"

/* CR4 bits of features CPUID hides (vmx/cpuid.c): a MOV to CR4 setting one
 * #GPs as on a CPU without the feature. They are in the CR4 guest/host
 * mask, so every write of them exits (vmx/vmx.c). */
#define VMX_CR4_HIDDEN                                                                             \
	(ARCH_CR4_VMXE | ARCH_CR4_SMXE | ARCH_CR4_OSXSAVE | ARCH_CR4_PKE | ARCH_CR4_CET |          \
	 ARCH_CR4_PKS)

/* The guest state a MOV to CR0/CR4 is checked against. */
struct vmx_cr_state {
	uint64_t cr0, cr4, efer, cr3; /* the guest's view (read shadows) */
	bool code_64bit;              /* CS.L with EFER.LMA: 64-bit mode */
};

/* MOV to CR0 `value` faults (#GP) per SDM Vol. 2A MOV (control registers)
 * and Vol. 3A 4.10.1: reserved bits 63:32, PG without PE, NW without CD,
 * clearing PG in 64-bit mode or while CR4.PCIDE = 1, setting PG with
 * EFER.LME and CR4.PAE clear. */
static inline bool vmx_cr0_faults(const struct vmx_cr_state *state, uint64_t value)
{
	if ((value >> 32) || ((value & ARCH_CR0_PG) && !(value & ARCH_CR0_PE)) ||
	    ((value & ARCH_CR0_NW) && !(value & ARCH_CR0_CD)))
		return true;
	bool was_paging = state->cr0 & ARCH_CR0_PG, paging = value & ARCH_CR0_PG;
	if (was_paging && !paging && (state->code_64bit || (state->cr4 & ARCH_CR4_PCIDE)))
		return true;
	return !was_paging && paging && (state->efer & ARCH_EFER_LME) &&
	       !(state->cr4 & ARCH_CR4_PAE);
}

/* MOV to CR4 `value` faults: a bit outside `allowed` (the VMX fixed-1 bits
 * less VMX_CR4_HIDDEN), clearing PAE in IA-32e mode, setting PCIDE outside
 * IA-32e mode or with CR3[11:0] != 0. */
static inline bool vmx_cr4_faults(const struct vmx_cr_state *state, uint64_t allowed,
                                  uint64_t value)
{
	bool long_mode = state->efer & ARCH_EFER_LMA;
	if ((value & ~allowed) || (long_mode && !(value & ARCH_CR4_PAE)))
		return true;
	return (value & ARCH_CR4_PCIDE) && !(state->cr4 & ARCH_CR4_PCIDE) &&
	       (!long_mode || (state->cr3 & ARCH_CR3_PCID_MASK));
}

/* MOV to CR8 with bits 63:4 set faults. */
static inline bool vmx_cr8_faults(uint64_t value)
{
	return value & ARCH_CR8_RESERVED;
}

enum vmx_exit_action vmx_cr_exit(struct vcpu *vcpu, uint64_t qualification);

#endif /* VMX_CR_H */
