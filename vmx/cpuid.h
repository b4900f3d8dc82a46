/*
 * vmx/cpuid.h - the CPUID a guest sees.
 *
 * vmx_cpuid_policy() is pure: given the host's answer for a leaf and the
 * vCPU's identity it returns the guest's answer. One table in cpuid.c
 * names every feature bit uslice changes and why: hidden are what uslice
 * does not virtualize (VMX, SMX, MONITOR/MWAIT, XSAVE/AVX/AVX2, the PMU with
 * PDCM, debug store DS/DTES64/DS-CPL, PKU/PKS, CET, the bits whose MSRs
 * are not emulated (thermal, P-state, HWP, DCA, WAITPKG, the speculation
 * controls), INVPCID/RDTSCP unless
 * the VMX controls enable them, the APIC bit while the vLAPIC is globally
 * disabled); offered are the vLAPIC's x2APIC and TSC-deadline modes,
 * TSC_ADJUST and the "hypervisor" bit. Leaves 0x15/0x16 give the TSC rate
 * (the host's calibrated timer_tsc_khz: the guest's TSC is the host's plus
 * an offset) and the vLAPIC timer's clock as the crystal, so Linux's
 * native_calibrate_tsc() needs no PIT. Invariant TSC (CPUID.80000007H:
 * EDX bit 8) is the host's: offered exactly when the host has it, as the
 * guest's TSC ticks with the host's. Every MSR a shown bit implies is in
 * vmx/msr.c. It also gives each vCPU
 * its APIC ID and answers the hypervisor leaves 0x40000000-0x400000ff
 * (docs/hypercall.md). vmx_cpuid_exit() is the CPUID exit handler around
 * it.
 *
 * Lock order: none.
 */
#ifndef VMX_CPUID_H
#define VMX_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "vmx/exit.h"

#define VMX_CPUID_HYPERVISOR_LEAVES 0x100u /* 0x40000000 + 0..0xff */
/* The TSC leaves: 0x15 (EAX denominator, EBX numerator, ECX crystal Hz)
 * and 0x16 (EAX base MHz, EBX maximum MHz, ECX bus/reference MHz), SDM
 * Vol. 2A, CPUID. The guest's max basic leaf is raised to
 * VMX_CPUID_TSC_FREQUENCY if the host's is lower; the leaves in between the
 * host's max and it read zeros. */
#define VMX_CPUID_MAX_BASIC     0x0u
#define VMX_CPUID_TSC_CRYSTAL   0x15u
#define VMX_CPUID_TSC_FREQUENCY 0x16u
#define VMX_CPUID_KHZ_PER_MHZ   1000u
#define VMX_CPUID_HZ_PER_KHZ    1000u

struct vmx_cpuid_context {
	uint32_t vm_id;
	uint32_t vcpu_index; /* = APIC ID */
	uint32_t vcpu_count;
	uint32_t rsdp_address;       /* guest-physical ACPI RSDP, 0 = none */
	uint32_t secondary_controls; /* VMX secondary processor controls in use */
	bool apic_disabled;          /* IA32_APIC_BASE.EN clear: CPUID.1:EDX.APIC is 0 */
	uint32_t host_max_leaf;      /* the host's CPUID.0:EAX */
	uint32_t tsc_khz;            /* the guest's TSC rate (the host's), 0 = unknown */
	uint32_t timer_ratio;        /* TSC ticks per vLAPIC timer tick (>= 1) */
	uint32_t hidden;             /* VM_CONFIG_CPUID_*: the VM's cpuid = "host,..." */
};

/* True for the leaves uslice answers itself (the host is not asked). */
bool vmx_cpuid_is_hypervisor_leaf(uint32_t leaf);
/* The guest's view of `leaf`/`subleaf`; `host` is the host's answer (unused
 * for hypervisor leaves). */
struct arch_cpuid vmx_cpuid_policy(const struct vmx_cpuid_context *context, uint32_t leaf,
                                   uint32_t subleaf, struct arch_cpuid host);
/* The CPUID exit: EAX/ECX in, EAX/EBX/ECX/EDX out. */
enum vmx_exit_action vmx_cpuid_exit(struct vcpu *vcpu, uint64_t qualification);

#endif /* VMX_CPUID_H */
