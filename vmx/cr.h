/*
 * vmx/cr.h - control-register access exits: MOV to CR0 and CR4 (the bits
 * the guest/host masks make exit: VMX fixed bits, PG/PE with unrestricted
 * guest, IA-32e mode entry and exit via EFER.LMA and the entry control),
 * MOV to/from CR8 (= TPR[7:4] of the vCPU's vLAPIC). The qualification is
 * decoded with vmx_cr_qualification_decode() (SDM Vol. 3C, Table 28-3).
 * Other accesses (CLTS, LMSW, CR3 with its exiting controls off) are not
 * expected: the VM is stopped with a VMCS dump.
 *
 * Runs on the vCPU's owner with its VMCS current.
 * Lock order: none.
 */
#ifndef VMX_CR_H
#define VMX_CR_H

#include <stdint.h>

#include "vmx/exit.h"

enum vmx_exit_action vmx_cr_exit(struct vcpu *vcpu, uint64_t qualification);

#endif /* VMX_CR_H */
