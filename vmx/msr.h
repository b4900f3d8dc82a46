/*
 * vmx/msr.h - RDMSR/WRMSR emulation: one sorted table of every MSR a guest
 * may touch that exits (the MSR bitmap lets the syscall MSRs and
 * KERNEL_GS_BASE through), each entry a range [first, last] with a read
 * and a write handler:
 *  - VMCS-backed MSRs (SYSENTER, DEBUGCTL, PAT, EFER, FS/GS base);
 *  - emulated ones (TSC and MPERF/APERF read the TSC, MISC_ENABLE,
 *    FEATURE_CONTROL locked with VMX off, SMI_COUNT reads 0 and is
 *    read-only);
 *  - the vLAPIC's (APIC base, TSC deadline, x2APIC 0x800-0x8ff: the
 *    vCPU's vLAPIC via vcpu_interrupt_msr_read/write, #GP on its faults);
 *  - "quiet" ones Linux probes during boot: read 0, writes ignored
 *    (MTRRs, MCG, thermal, power and uncore-perf controls, ...).
 * Deliberately absent (#GP, as on a CPU without them; Linux probes them
 * with rdmsr_safe): thermal status and target (0x19c, 0x1a2: CPUID.1
 * ACPI/TM and 6.DTS are hidden), TURBO_RATIO_LIMIT (0x1ad), the RAPL
 * power unit and energy counters (0x606, 0x611, 0x619, 0x639, 0x641),
 * ATOM_CORE_RATIOS (0x66a); docs/linux.md has the list.
 * A NULL handler means that direction is unknown. An unknown MSR (or
 * direction) gets #GP, is counted in vcpu->msr_unknown and per MSR in
 * vm->unknown_msrs (printed by vmx_msr_report()), and the first 8 per vCPU
 * are logged as warnings.
 *
 * Runs on the vCPU's owner with its VMCS current.
 * Lock order: none here; log_lock for the warnings.
 */
#ifndef VMX_MSR_H
#define VMX_MSR_H

#include <stddef.h>
#include <stdint.h>

#include "vmx/exit.h"

struct vcpu;
struct vm;

enum vmx_msr_result {
	VMX_MSR_OK,      /* done */
	VMX_MSR_FAULT,   /* a known MSR refused the access: #GP */
	VMX_MSR_UNKNOWN, /* nobody emulates it: #GP, counted */
};

struct vmx_msr_entry {
	uint32_t first, last; /* the MSR range (inclusive) */
	enum vmx_msr_result (*read)(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
	                            uint32_t msr, uint64_t *value);
	enum vmx_msr_result (*write)(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
	                             uint32_t msr, uint64_t value);
	uint32_t vmcs_field; /* VMCS-backed MSRs: the guest field */
};

/* The table, sorted by `first`, ranges disjoint (host tests check it). */
extern const struct vmx_msr_entry vmx_msr_table[];
extern const size_t vmx_msr_table_count;

/* The entry covering `msr`, or NULL. */
const struct vmx_msr_entry *vmx_msr_find(uint32_t msr);
/* Emulate one access (no #GP injected, nothing counted). */
enum vmx_msr_result vmx_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value);
enum vmx_msr_result vmx_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value);
/* The RDMSR and WRMSR exits: ECX the MSR, EDX:EAX the value. */
enum vmx_exit_action vmx_msr_read_exit(struct vcpu *vcpu, uint64_t qualification);
enum vmx_exit_action vmx_msr_write_exit(struct vcpu *vcpu, uint64_t qualification);
/* "MSRUNKNOWN vm=NAME msr=0x... reads=N writes=N" per unknown MSR. */
void vmx_msr_report(const struct vm *vm);

#endif /* VMX_MSR_H */
