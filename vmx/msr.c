/*
 * vmx/msr.c - the MSR table and the RDMSR/WRMSR exits (see msr.h).
 *
 * Lock order: none; log_lock for the warnings.
 */
#include "vmx/msr.h"

#include "arch/x86/cpu.h"
#include "kernel/log.h"
#include "vmx/guest.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vm.h"
#include "vmx/vmx.h"

#define VMX_MSR_WARNINGS 8 /* unknown MSRs logged per vCPU */
/* MSR_SMI_COUNT (SDM Vol. 4, Table 2-20 ff., Nehalem and later): read-only
 * count of SMIs. A VM gets none: reads 0, writes #GP. */
#define VMX_MSR_SMI_COUNT            0x34u
#define VMX_MSR_EFER_ALLOWED         (ARCH_EFER_SCE | ARCH_EFER_LME | ARCH_EFER_LMA | ARCH_EFER_NXE)
#define VMX_MSR_MISC_ENABLE_WRITABLE ARCH_MISC_ENABLE_FAST_STRINGS
#define VMX_MSR_MISC_ENABLE_FIXED                                                                  \
	(ARCH_MISC_ENABLE_BTS_UNAVAILABLE | ARCH_MISC_ENABLE_PEBS_UNAVAILABLE)
#define VMX_MSR_MISC_ENABLE_READ_ONLY (VMX_MSR_MISC_ENABLE_FIXED | ARCH_MISC_ENABLE_PERFMON)

/* ---- handlers --------------------------------------------------------------- */

static enum vmx_msr_result vmx_msr_zero_read(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
                                             uint32_t msr, uint64_t *value)
{
	(void)vcpu, (void)entry, (void)msr;
	*value = 0;
	return VMX_MSR_OK;
}

static enum vmx_msr_result vmx_msr_ignore_write(struct vcpu *vcpu,
                                                const struct vmx_msr_entry *entry, uint32_t msr,
                                                uint64_t value)
{
	(void)vcpu, (void)entry, (void)msr, (void)value;
	return VMX_MSR_OK;
}

/* A read-only MSR: WRMSR #GPs (a known MSR: not counted as unknown). */
static enum vmx_msr_result vmx_msr_read_only_write(struct vcpu *vcpu,
                                                   const struct vmx_msr_entry *entry, uint32_t msr,
                                                   uint64_t value)
{
	(void)vcpu, (void)entry, (void)msr, (void)value;
	return VMX_MSR_FAULT;
}

/* TSC, MPERF, APERF: the guest's TSC, host TSC + the vCPU's TSC offset,
 * what RDTSC reads. */
static enum vmx_msr_result vmx_msr_tsc_read(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
                                            uint32_t msr, uint64_t *value)
{
	(void)entry, (void)msr;
	*value = vcpu_interrupt_guest_tsc(vcpu);
	return VMX_MSR_OK;
}

/* A TSC write sets the offset so RDTSC reads `value` from now on; per SDM
 * Vol. 3B, 17.17.3, IA32_TSC_ADJUST changes by as much as the TSC did, so
 * IA32_TSC_ADJUST stays equal to the offset (both start at 0). */
static enum vmx_msr_result vmx_msr_tsc_write(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
                                             uint32_t msr, uint64_t value)
{
	(void)entry, (void)msr;
	vcpu_interrupt_set_tsc_offset(vcpu, value - arch_tsc_read());
	return VMX_MSR_OK;
}

static enum vmx_msr_result vmx_msr_tsc_adjust_read(struct vcpu *vcpu,
                                                   const struct vmx_msr_entry *entry, uint32_t msr,
                                                   uint64_t *value)
{
	(void)entry, (void)msr;
	*value = vcpu->interrupt.tsc_offset;
	return VMX_MSR_OK;
}

/* Writing IA32_TSC_ADJUST adds (value - old) to the TSC: the offset. */
static enum vmx_msr_result vmx_msr_tsc_adjust_write(struct vcpu *vcpu,
                                                    const struct vmx_msr_entry *entry, uint32_t msr,
                                                    uint64_t value)
{
	(void)entry, (void)msr;
	vcpu_interrupt_set_tsc_offset(vcpu, value);
	return VMX_MSR_OK;
}

static enum vmx_msr_result vmx_msr_feature_control_read(struct vcpu *vcpu,
                                                        const struct vmx_msr_entry *entry,
                                                        uint32_t msr, uint64_t *value)
{
	(void)vcpu, (void)entry, (void)msr;
	*value = ARCH_FEATURE_CONTROL_LOCKED; /* locked, VMX off */
	return VMX_MSR_OK;
}

/* IA32_MISC_ENABLE (SDM Vol. 4, Table 2-2): fast strings (bit 0) is r/w;
 * the read-only bits read as the hidden PMU makes them (bit 7 0, BTS and
 * PEBS unavailable 1), writes to them are ignored; any other bit set #GPs
 * (uslice's choice: nothing else is emulated, e.g. limit-CPUID-maxval). */
static enum vmx_msr_result vmx_msr_misc_enable_read(struct vcpu *vcpu,
                                                    const struct vmx_msr_entry *entry, uint32_t msr,
                                                    uint64_t *value)
{
	(void)entry, (void)msr;
	*value = (vcpu->misc_enable & VMX_MSR_MISC_ENABLE_WRITABLE) | VMX_MSR_MISC_ENABLE_FIXED;
	return VMX_MSR_OK;
}

static enum vmx_msr_result vmx_msr_misc_enable_write(struct vcpu *vcpu,
                                                     const struct vmx_msr_entry *entry,
                                                     uint32_t msr, uint64_t value)
{
	(void)entry, (void)msr;
	if (value & ~(VMX_MSR_MISC_ENABLE_WRITABLE | VMX_MSR_MISC_ENABLE_READ_ONLY))
		return VMX_MSR_FAULT;
	vcpu->misc_enable = value & VMX_MSR_MISC_ENABLE_WRITABLE;
	return VMX_MSR_OK;
}

static enum vmx_msr_result vmx_msr_vmcs_read(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
                                             uint32_t msr, uint64_t *value)
{
	(void)vcpu, (void)msr;
	*value = vmx_read(entry->vmcs_field);
	return VMX_MSR_OK;
}

static enum vmx_msr_result vmx_msr_vmcs_write(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
                                              uint32_t msr, uint64_t value)
{
	(void)vcpu, (void)msr;
	vmx_write(entry->vmcs_field, value);
	return VMX_MSR_OK;
}

/* FS/GS base and SYSENTER_ESP/EIP: a non-canonical address #GPs, as WRMSR
 * does on hardware (and VM entry would fail on it). */
static enum vmx_msr_result vmx_msr_address_write(struct vcpu *vcpu,
                                                 const struct vmx_msr_entry *entry, uint32_t msr,
                                                 uint64_t value)
{
	if (!arch_canonical(value))
		return VMX_MSR_FAULT;
	return vmx_msr_vmcs_write(vcpu, entry, msr, value);
}

/* PAT: every entry must be a valid memory type (SDM Vol. 3A, 11.12.2). */
static enum vmx_msr_result vmx_msr_pat_write(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
                                             uint32_t msr, uint64_t value)
{
	if (!arch_pat_valid(value))
		return VMX_MSR_FAULT;
	return vmx_msr_vmcs_write(vcpu, entry, msr, value);
}

static enum vmx_msr_result vmx_msr_debugctl_write(struct vcpu *vcpu,
                                                  const struct vmx_msr_entry *entry, uint32_t msr,
                                                  uint64_t value)
{
	return vmx_msr_vmcs_write(vcpu, entry, msr,
	                          value & (ARCH_DEBUGCTL_LBR | ARCH_DEBUGCTL_BTF));
}

/* EFER: LME may change only with paging off; LMA follows CR0.PG (vmx/cr.c). */
static enum vmx_msr_result vmx_msr_efer_write(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
                                              uint32_t msr, uint64_t value)
{
	uint64_t old = vmx_read(VMCS_GUEST_EFER);
	if (value & ~VMX_MSR_EFER_ALLOWED)
		return VMX_MSR_FAULT;
	bool paging = vmx_read(VMCS_CR0_READ_SHADOW) & ARCH_CR0_PG;
	if (paging && ((value ^ old) & ARCH_EFER_LME))
		return VMX_MSR_FAULT;
	value = (value & ~ARCH_EFER_LMA) | (old & ARCH_EFER_LMA);
	return vmx_msr_vmcs_write(vcpu, entry, msr, value);
}

/* vcpu_interrupt_msr_*: 0 done, 1 not a vLAPIC MSR (or no vLAPIC), -1 #GP. */
static enum vmx_msr_result vmx_msr_vlapic_result(int result)
{
	return result > 0 ? VMX_MSR_UNKNOWN : result < 0 ? VMX_MSR_FAULT : VMX_MSR_OK;
}

static enum vmx_msr_result vmx_msr_vlapic_read(struct vcpu *vcpu, const struct vmx_msr_entry *entry,
                                               uint32_t msr, uint64_t *value)
{
	(void)entry;
	return vmx_msr_vlapic_result(vcpu_interrupt_msr_read(vcpu, msr, value));
}

static enum vmx_msr_result vmx_msr_vlapic_write(struct vcpu *vcpu,
                                                const struct vmx_msr_entry *entry, uint32_t msr,
                                                uint64_t value)
{
	(void)entry;
	return vmx_msr_vlapic_result(vcpu_interrupt_msr_write(vcpu, msr, value));
}

/* ---- the table ---------------------------------------------------------------- */

#define VMX_MSR_QUIET(first, last)                                                                 \
	{                                                                                          \
		first, last, vmx_msr_zero_read, vmx_msr_ignore_write, 0                            \
	}
#define VMX_MSR_VMCS(msr, field)                                                                   \
	{                                                                                          \
		msr, msr, vmx_msr_vmcs_read, vmx_msr_vmcs_write, field                             \
	}
#define VMX_MSR_ADDRESS(msr, field)                                                                \
	{                                                                                          \
		msr, msr, vmx_msr_vmcs_read, vmx_msr_address_write, field                          \
	}
#define VMX_MSR_VLAPIC(first, last)                                                                \
	{                                                                                          \
		first, last, vmx_msr_vlapic_read, vmx_msr_vlapic_write, 0                          \
	}

const struct vmx_msr_entry vmx_msr_table[] = {
    {ARCH_MSR_TSC, ARCH_MSR_TSC, vmx_msr_tsc_read, vmx_msr_tsc_write, 0},
    VMX_MSR_QUIET(ARCH_MSR_PLATFORM_ID, ARCH_MSR_PLATFORM_ID),
    VMX_MSR_VLAPIC(VLAPIC_MSR_APIC_BASE, VLAPIC_MSR_APIC_BASE),
    {VMX_MSR_SMI_COUNT, VMX_MSR_SMI_COUNT, vmx_msr_zero_read, vmx_msr_read_only_write, 0},
    {ARCH_MSR_FEATURE_CONTROL, ARCH_MSR_FEATURE_CONTROL, vmx_msr_feature_control_read, NULL, 0},
    {ARCH_MSR_TSC_ADJUST, ARCH_MSR_TSC_ADJUST, vmx_msr_tsc_adjust_read, vmx_msr_tsc_adjust_write,
     0},
    VMX_MSR_QUIET(ARCH_MSR_UCODE_REV, ARCH_MSR_UCODE_REV),
    VMX_MSR_QUIET(ARCH_MSR_PMC3, ARCH_MSR_PMC3),
    VMX_MSR_QUIET(ARCH_MSR_PLATFORM_INFO, ARCH_MSR_PLATFORM_INFO),
    {ARCH_MSR_MPERF, ARCH_MSR_APERF, vmx_msr_tsc_read, vmx_msr_ignore_write, 0},
    VMX_MSR_QUIET(ARCH_MSR_MTRR_CAP, ARCH_MSR_MTRR_CAP),
    VMX_MSR_QUIET(ARCH_MSR_MISC_FEATURE_ENABLES, ARCH_MSR_MISC_FEATURE_ENABLES),
    VMX_MSR_VMCS(ARCH_MSR_SYSENTER_CS, VMCS_GUEST_SYSENTER_CS),
    VMX_MSR_ADDRESS(ARCH_MSR_SYSENTER_ESP, VMCS_GUEST_SYSENTER_ESP),
    VMX_MSR_ADDRESS(ARCH_MSR_SYSENTER_EIP, VMCS_GUEST_SYSENTER_EIP),
    VMX_MSR_QUIET(ARCH_MSR_MCG_CAP, ARCH_MSR_MCG_STATUS),
    VMX_MSR_QUIET(ARCH_MSR_THERM_INTERRUPT, ARCH_MSR_THERM_INTERRUPT),
    {ARCH_MSR_MISC_ENABLE, ARCH_MSR_MISC_ENABLE, vmx_msr_misc_enable_read,
     vmx_msr_misc_enable_write, 0},
    VMX_MSR_QUIET(ARCH_MSR_ENERGY_PERF_BIAS, ARCH_MSR_ENERGY_PERF_BIAS),
    VMX_MSR_QUIET(ARCH_MSR_PACKAGE_THERM_INTERRUPT, ARCH_MSR_PACKAGE_THERM_INTERRUPT),
    {ARCH_MSR_DEBUGCTL, ARCH_MSR_DEBUGCTL, vmx_msr_vmcs_read, vmx_msr_debugctl_write,
     VMCS_GUEST_DEBUGCTL},
    VMX_MSR_QUIET(ARCH_MSR_POWER_CTL, ARCH_MSR_POWER_CTL),
    VMX_MSR_QUIET(ARCH_MSR_MTRR_FIRST, ARCH_MSR_PAT - 1), /* MTRRs: none offered */
    {ARCH_MSR_PAT, ARCH_MSR_PAT, vmx_msr_vmcs_read, vmx_msr_pat_write, VMCS_GUEST_PAT},
    VMX_MSR_QUIET(ARCH_MSR_PAT + 1, ARCH_MSR_MTRR_LAST),
    VMX_MSR_QUIET(ARCH_MSR_MTRR_DEF_TYPE, ARCH_MSR_MTRR_DEF_TYPE),
    VMX_MSR_QUIET(ARCH_MSR_UNCORE_PERF_GLOBAL_CTL, ARCH_MSR_UNCORE_PERF_GLOBAL_CTL),
    VMX_MSR_QUIET(ARCH_MSR_ATOM_CORE_TURBO_RATIOS, ARCH_MSR_ATOM_CORE_TURBO_RATIOS),
    VMX_MSR_VLAPIC(VLAPIC_MSR_TSC_DEADLINE, VLAPIC_MSR_TSC_DEADLINE),
    VMX_MSR_VLAPIC(VLAPIC_MSR_X2APIC_FIRST, VLAPIC_MSR_X2APIC_LAST),
    {ARCH_MSR_EFER, ARCH_MSR_EFER, vmx_msr_vmcs_read, vmx_msr_efer_write, VMCS_GUEST_EFER},
    VMX_MSR_ADDRESS(ARCH_MSR_FS_BASE, VMCS_GUEST_FS_BASE),
    VMX_MSR_ADDRESS(ARCH_MSR_GS_BASE, VMCS_GUEST_GS_BASE),
};
const size_t vmx_msr_table_count = sizeof(vmx_msr_table) / sizeof(vmx_msr_table[0]);

const struct vmx_msr_entry *vmx_msr_find(uint32_t msr)
{
	size_t low = 0, high = vmx_msr_table_count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		const struct vmx_msr_entry *entry = &vmx_msr_table[middle];
		if (msr < entry->first)
			high = middle;
		else if (msr > entry->last)
			low = middle + 1;
		else
			return entry;
	}
	return NULL;
}

enum vmx_msr_result vmx_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value)
{
	const struct vmx_msr_entry *entry = vmx_msr_find(msr);
	return entry && entry->read ? entry->read(vcpu, entry, msr, value) : VMX_MSR_UNKNOWN;
}

enum vmx_msr_result vmx_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value)
{
	const struct vmx_msr_entry *entry = vmx_msr_find(msr);
	return entry && entry->write ? entry->write(vcpu, entry, msr, value) : VMX_MSR_UNKNOWN;
}

/* ---- the exits ------------------------------------------------------------------ */

/* #GP for a refused or unknown access; unknown ones are counted and logged. */
static enum vmx_exit_action vmx_msr_refuse(struct vcpu *vcpu, enum vmx_msr_result result,
                                           bool write, uint32_t msr)
{
	if (result == VMX_MSR_UNKNOWN) {
		vcpu->msr_unknown++;
		vm_unknown_count(&vcpu->vm->unknown_msrs, msr, write);
		if (vcpu->msr_unknown <= VMX_MSR_WARNINGS)
			log_warning("VM %s: %s of unknown MSR 0x%x at rip=0x%llx: #GP injected",
			            vcpu->vm->name, write ? "write" : "read", msr,
			            (unsigned long long)vmx_read(VMCS_GUEST_RIP));
	}
	vmx_inject_gp(vcpu);
	return VMX_EXIT_ACTION_RESUME;
}

enum vmx_exit_action vmx_msr_read_exit(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	uint32_t msr = (uint32_t)vcpu->registers.rcx;
	uint64_t value = 0;
	enum vmx_msr_result result = vmx_msr_read(vcpu, msr, &value);
	if (result != VMX_MSR_OK)
		return vmx_msr_refuse(vcpu, result, false, msr);
	vcpu->registers.rax = (uint32_t)value;
	vcpu->registers.rdx = value >> 32;
	return VMX_EXIT_ACTION_NEXT;
}

enum vmx_exit_action vmx_msr_write_exit(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	uint32_t msr = (uint32_t)vcpu->registers.rcx;
	uint64_t value = (vcpu->registers.rdx << 32) | (uint32_t)vcpu->registers.rax;
	enum vmx_msr_result result = vmx_msr_write(vcpu, msr, value);
	if (result != VMX_MSR_OK)
		return vmx_msr_refuse(vcpu, result, true, msr);
	return VMX_EXIT_ACTION_NEXT;
}

void vmx_msr_report(const struct vm *vm)
{
	vm_unknown_report(&vm->unknown_msrs, "MSRUNKNOWN", vm->name, "msr");
}
