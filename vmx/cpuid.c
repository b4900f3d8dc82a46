/*
 * vmx/cpuid.c - CPUID policy and the CPUID exit handler (see cpuid.h).
 *
 * Lock order: none.
 */
#include "vmx/cpuid.h"

#include "kernel/string.h"
#include "kernel/timer.h"
#include "vmx/hypercall.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vm.h"
#include "vmx/vmx.h"

/*
 * The policy: every feature bit uslice changes, hidden or offered, with the
 * reason. A bit not named here is the host's. Each hidden bit either
 * implies state or MSRs uslice does not switch or emulate (so the MSRs it
 * implies #GP, as they would on a CPU without the feature), or an
 * instruction that exits to #UD; each offered bit is emulated. Leaves
 * marked VMX_CPUID_ALL are zeroed as a whole.
 */
enum vmx_cpuid_register { VMX_CPUID_EAX, VMX_CPUID_EBX, VMX_CPUID_ECX, VMX_CPUID_EDX };
#define VMX_CPUID_ALL         0xffffffffu /* every bit of all four registers */
#define VMX_CPUID_SUBLEAF_ANY 0xffffffffu

enum vmx_cpuid_rule_kind {
	VMX_CPUID_HIDE,
	VMX_CPUID_OFFER,
	VMX_CPUID_HIDE_UNLESS_INVPCID,   /* the INVPCID control is not in use */
	VMX_CPUID_HIDE_UNLESS_RDTSCP,    /* the RDTSCP control is not in use */
	VMX_CPUID_HIDE_IF_APIC_DISABLED, /* IA32_APIC_BASE.EN clear (SDM Vol. 3A, 10.4.3) */
	VMX_CPUID_HIDE_IF_CONFIGURED,    /* the VM's cpuid = "host,NAME=0" */
};

struct vmx_cpuid_rule {
	uint32_t leaf, subleaf;
	enum vmx_cpuid_register reg;
	uint32_t bits;
	enum vmx_cpuid_rule_kind kind;
	const char *reason;
	uint32_t configured; /* VMX_CPUID_HIDE_IF_CONFIGURED: the VM_CONFIG_CPUID_* bit */
};

/* A rule for leaf 1, for leaf 7 subleaf 0, and a leaf zeroed whole. */
#define VMX_CPUID_1(reg, bits, kind, reason)                                                       \
	{                                                                                          \
		ARCH_CPUID_FEATURES, VMX_CPUID_SUBLEAF_ANY, VMX_CPUID_##reg, bits,                 \
		    VMX_CPUID_##kind, reason, 0                                                    \
	}
#define VMX_CPUID_7(reg, bits, kind, reason)                                                       \
	{                                                                                          \
		ARCH_CPUID_EXTENDED_FEATURES, 0, VMX_CPUID_##reg, bits, VMX_CPUID_##kind, reason,  \
		    0                                                                              \
	}
#define VMX_CPUID_ZEROED(leaf, reason)                                                             \
	{                                                                                          \
		leaf, VMX_CPUID_SUBLEAF_ANY, VMX_CPUID_EAX, VMX_CPUID_ALL, VMX_CPUID_HIDE, reason, \
		    0                                                                              \
	}

static const struct vmx_cpuid_rule vmx_cpuid_rules[] = {
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_DTES64 | ARCH_CPUID_1_ECX_DS_CPL, HIDE,
                "debug store: IA32_DS_AREA is not emulated"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_MONITOR, HIDE, "MONITOR/MWAIT exit and get #UD"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_VMX, HIDE, "nested VMX is not offered: CR4.VMXE #GPs"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_SMX, HIDE, "GETSEC gets #UD, CR4.SMXE #GPs"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_PDCM, HIDE, "PMU hidden: IA32_PERF_CAPABILITIES #GPs"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_EST | ARCH_CPUID_1_ECX_TM2, HIDE,
                "P-state and thermal-monitor MSRs are not emulated"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_DCA, HIDE, "IA32_PLATFORM_DCA_CAP is not emulated"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_XSAVE | ARCH_CPUID_1_ECX_OSXSAVE | ARCH_CPUID_1_ECX_AVX, HIDE,
                "XSAVE state is not switched: CR4.OSXSAVE #GPs, XSETBV gets #UD"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_X2APIC | ARCH_CPUID_1_ECX_TSC_DEADLINE, OFFER,
                "the vLAPIC's x2APIC and TSC-deadline modes"),
    VMX_CPUID_1(ECX, ARCH_CPUID_1_ECX_HYPERVISOR, OFFER, "a hypervisor runs the guest"),
    VMX_CPUID_1(EDX, ARCH_CPUID_1_EDX_DS, HIDE, "debug store: IA32_DS_AREA is not emulated"),
    VMX_CPUID_1(EDX, ARCH_CPUID_1_EDX_ACPI | ARCH_CPUID_1_EDX_TM, HIDE,
                "clock modulation and IA32_THERM_STATUS are not emulated"),
    VMX_CPUID_1(EDX, ARCH_CPUID_1_EDX_APIC, HIDE_IF_APIC_DISABLED,
                "the vLAPIC is globally disabled"),
    VMX_CPUID_ZEROED(ARCH_CPUID_MONITOR, "MONITOR/MWAIT hidden"),
    {ARCH_CPUID_THERMAL_POWER, VMX_CPUID_SUBLEAF_ANY, VMX_CPUID_EAX,
     ARCH_CPUID_6_EAX_DTS | ARCH_CPUID_6_EAX_PTM | ARCH_CPUID_6_EAX_HWP, VMX_CPUID_HIDE,
     "thermal-status and HWP MSRs are not emulated", 0},
    VMX_CPUID_7(EBX, ARCH_CPUID_7_EBX_TSC_ADJUST, OFFER,
                "IA32_TSC_ADJUST is emulated (the vCPU's TSC offset)"),
    VMX_CPUID_7(EBX, ARCH_CPUID_7_EBX_AVX2, HIDE, "XSAVE hidden"),
    VMX_CPUID_7(EBX, ARCH_CPUID_7_EBX_INVPCID, HIDE_UNLESS_INVPCID, "INVPCID would exit"),
    VMX_CPUID_7(ECX, ARCH_CPUID_7_ECX_PKU | ARCH_CPUID_7_ECX_OSPKE | ARCH_CPUID_7_ECX_PKS, HIDE,
                "PKRU/IA32_PKRS are not switched: CR4.PKE/PKS #GP"),
    VMX_CPUID_7(ECX, ARCH_CPUID_7_ECX_CET_SS, HIDE, "CET state is not switched: CR4.CET #GPs"),
    VMX_CPUID_7(ECX, ARCH_CPUID_7_ECX_WAITPKG, HIDE, "IA32_UMWAIT_CONTROL is not emulated"),
    VMX_CPUID_7(EDX, ARCH_CPUID_7_EDX_SPECULATION_MSRS, HIDE,
                "IA32_SPEC_CTRL, PRED_CMD, FLUSH_CMD, ARCH/CORE_CAPABILITIES are not emulated"),
    VMX_CPUID_7(EDX, ARCH_CPUID_7_EDX_CET_IBT, HIDE, "CET state is not switched: CR4.CET #GPs"),
    {ARCH_CPUID_FEATURES, VMX_CPUID_SUBLEAF_ANY, VMX_CPUID_ECX, ARCH_CPUID_1_ECX_RDRAND,
     VMX_CPUID_HIDE_IF_CONFIGURED, "the VM's cpuid hides RDRAND", VM_CONFIG_CPUID_RDRAND},
    {ARCH_CPUID_EXTENDED_FEATURES, 0, VMX_CPUID_EBX, ARCH_CPUID_7_EBX_RDSEED,
     VMX_CPUID_HIDE_IF_CONFIGURED, "the VM's cpuid hides RDSEED", VM_CONFIG_CPUID_RDSEED},
    VMX_CPUID_ZEROED(ARCH_CPUID_PERFMON, "PMU hidden: RDPMC gets #UD"),
    VMX_CPUID_ZEROED(ARCH_CPUID_XSAVE, "XSAVE hidden"),
    {ARCH_CPUID_EXTENDED_INFO, VMX_CPUID_SUBLEAF_ANY, VMX_CPUID_EDX, ARCH_CPUID_80000001_EDX_RDTSCP,
     VMX_CPUID_HIDE_UNLESS_RDTSCP, "RDTSCP would #UD", 0},
};

/* Does `rule` hide its bits for this vCPU now? */
static bool vmx_cpuid_rule_hides(const struct vmx_cpuid_context *context,
                                 const struct vmx_cpuid_rule *rule)
{
	switch (rule->kind) {
	case VMX_CPUID_HIDE:
		return true;
	case VMX_CPUID_OFFER:
		return false;
	case VMX_CPUID_HIDE_UNLESS_INVPCID:
		return !(context->secondary_controls & VMX_PROC2_INVPCID);
	case VMX_CPUID_HIDE_UNLESS_RDTSCP:
		return !(context->secondary_controls & VMX_PROC2_RDTSCP);
	case VMX_CPUID_HIDE_IF_APIC_DISABLED:
		return context->apic_disabled;
	case VMX_CPUID_HIDE_IF_CONFIGURED:
		return (context->hidden & rule->configured) != 0;
	}
	return true;
}

static void vmx_cpuid_apply_rules(const struct vmx_cpuid_context *context, uint32_t leaf,
                                  uint32_t subleaf, struct arch_cpuid *c)
{
	uint32_t *registers[] = {&c->eax, &c->ebx, &c->ecx, &c->edx};
	for (size_t i = 0; i < sizeof(vmx_cpuid_rules) / sizeof(vmx_cpuid_rules[0]); i++) {
		const struct vmx_cpuid_rule *rule = &vmx_cpuid_rules[i];
		if (rule->leaf != leaf ||
		    (rule->subleaf != VMX_CPUID_SUBLEAF_ANY && rule->subleaf != subleaf))
			continue;
		if (rule->bits == VMX_CPUID_ALL && rule->kind == VMX_CPUID_HIDE) {
			c->eax = c->ebx = c->ecx = c->edx = 0;
			continue;
		}
		if (vmx_cpuid_rule_hides(context, rule))
			*registers[rule->reg] &= ~rule->bits;
		else if (rule->kind == VMX_CPUID_OFFER)
			*registers[rule->reg] |= rule->bits;
	}
}

bool vmx_cpuid_is_hypervisor_leaf(uint32_t leaf)
{
	return leaf - HYPERCALL_CPUID_BASE < VMX_CPUID_HYPERVISOR_LEAVES;
}

/* 0x40000000: the highest leaf and the signature; 0x40000001: identity. */
static struct arch_cpuid vmx_cpuid_hypervisor(const struct vmx_cpuid_context *context,
                                              uint32_t leaf)
{
	struct arch_cpuid c = {0, 0, 0, 0};
	if (leaf == HYPERCALL_CPUID_BASE) {
		c.eax = HYPERCALL_CPUID_BASE + 1;
		memcpy(&c.ebx, HYPERCALL_SIGNATURE, sizeof(c.ebx));
		memcpy(&c.ecx, HYPERCALL_SIGNATURE + sizeof(c.ebx), sizeof(c.ecx));
		memcpy(&c.edx, HYPERCALL_SIGNATURE + sizeof(c.ebx) + sizeof(c.ecx), sizeof(c.edx));
	} else if (leaf == HYPERCALL_CPUID_BASE + 1) {
		c.eax = HYPERCALL_ABI_VERSION;
		c.ebx = context->vm_id;
		c.ecx = context->vcpu_index;
		c.edx = context->rsdp_address; /* ACPI RSDP (docs/hypercall.md) */
	}
	return c;
}

/* The guest's max basic leaf: the TSC leaves need VMX_CPUID_TSC_FREQUENCY. */
static uint32_t vmx_cpuid_max_basic(const struct vmx_cpuid_context *context)
{
	uint32_t max = context->host_max_leaf;
	return context->tsc_khz && max < VMX_CPUID_TSC_FREQUENCY ? VMX_CPUID_TSC_FREQUENCY : max;
}

/* 0x15: TSC = crystal * ratio / 1 with the vLAPIC timer's clock as the
 * crystal; Linux computes crystal_khz * numerator in 32 bits, so the
 * numerator stays the small timer ratio. 0x16: base and maximum MHz. */
static struct arch_cpuid vmx_cpuid_tsc(const struct vmx_cpuid_context *context, uint32_t leaf)
{
	uint32_t ratio = context->timer_ratio ? context->timer_ratio : 1;
	uint32_t crystal_khz = context->tsc_khz / ratio;
	struct arch_cpuid c = {0, 0, 0, 0};
	if (leaf == VMX_CPUID_TSC_CRYSTAL) {
		c.eax = 1;
		c.ebx = ratio;
		c.ecx = crystal_khz * VMX_CPUID_HZ_PER_KHZ;
	} else {
		c.eax = c.ebx = context->tsc_khz / VMX_CPUID_KHZ_PER_MHZ;
		c.ecx = crystal_khz / VMX_CPUID_KHZ_PER_MHZ;
	}
	return c;
}

/* Leaf 4 EAX for this VM: as many cores per package as it has vCPUs (one
 * thread each, as the MADT and leaf 1 say); L1/L2 per core, the last level
 * shared by all. The cache geometry (EBX-EDX) stays the host's. */
static uint32_t vmx_cpuid_cache_topology(const struct vmx_cpuid_context *context, uint32_t eax)
{
	if (!(eax & ARCH_CPUID_4_EAX_TYPE_MASK))
		return eax; /* no more caches */
	uint32_t cores = context->vcpu_count ? context->vcpu_count - 1 : 0;
	if (cores > ARCH_CPUID_4_EAX_CORES_MASK)
		cores = ARCH_CPUID_4_EAX_CORES_MASK;
	uint32_t level = (eax >> ARCH_CPUID_4_EAX_LEVEL_SHIFT) & ARCH_CPUID_4_EAX_LEVEL_MASK;
	uint32_t shared = level >= ARCH_CPUID_4_LEVEL_SHARED ? cores : 0;
	eax &= ~((ARCH_CPUID_4_EAX_CORES_MASK << ARCH_CPUID_4_EAX_CORES_SHIFT) |
	         (ARCH_CPUID_4_EAX_SHARED_MASK << ARCH_CPUID_4_EAX_SHARED_SHIFT));
	return eax | cores << ARCH_CPUID_4_EAX_CORES_SHIFT |
	       shared << ARCH_CPUID_4_EAX_SHARED_SHIFT;
}

struct arch_cpuid vmx_cpuid_policy(const struct vmx_cpuid_context *context, uint32_t leaf,
                                   uint32_t subleaf, struct arch_cpuid host)
{
	if (vmx_cpuid_is_hypervisor_leaf(leaf))
		return vmx_cpuid_hypervisor(context, leaf);
	if (context->tsc_khz && (leaf == VMX_CPUID_TSC_CRYSTAL || leaf == VMX_CPUID_TSC_FREQUENCY))
		return vmx_cpuid_tsc(context, leaf);
	if (leaf > context->host_max_leaf && leaf <= vmx_cpuid_max_basic(context))
		return (struct arch_cpuid){0, 0, 0, 0}; /* raised past the host's: hidden */
	struct arch_cpuid c = host;
	vmx_cpuid_apply_rules(context, leaf, subleaf, &c);
	switch (leaf) {
	case VMX_CPUID_MAX_BASIC:
		if (context->tsc_khz && c.eax < VMX_CPUID_TSC_FREQUENCY)
			c.eax = VMX_CPUID_TSC_FREQUENCY;
		break;
	case ARCH_CPUID_FEATURES:
		c.ebx = (c.ebx & ARCH_CPUID_1_EBX_KEEP) |
		        (context->vcpu_count << ARCH_CPUID_1_EBX_LOGICAL_SHIFT) |
		        (context->vcpu_index << ARCH_CPUID_1_EBX_APIC_ID_SHIFT);
		break;
	case ARCH_CPUID_CACHE_PARAMETERS:
		c.eax = vmx_cpuid_cache_topology(context, c.eax);
		break;
	case ARCH_CPUID_TOPOLOGY:
	case ARCH_CPUID_TOPOLOGY_V2:
		/* No topology levels (the guest uses the MADT), but the
		 * x2APIC ID is this vCPU's, not the host CPU's. */
		c.eax = c.ebx = 0;
		c.ecx = subleaf & ARCH_CPUID_TOPOLOGY_LEVEL_MASK;
		c.edx = context->vcpu_index;
		break;
	default:
		break;
	}
	return c;
}

/* The host's max basic leaf, asked once. */
static uint32_t vmx_cpuid_host_max_leaf(void)
{
	static uint32_t max;
	uint32_t known = __atomic_load_n(&max, __ATOMIC_RELAXED);
	if (!known) {
		known = arch_cpuid(VMX_CPUID_MAX_BASIC, 0).eax;
		__atomic_store_n(&max, known, __ATOMIC_RELAXED);
	}
	return known;
}

enum vmx_exit_action vmx_cpuid_exit(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	struct vmx_guest_registers *r = &vcpu->registers;
	uint32_t leaf = (uint32_t)r->rax, subleaf = (uint32_t)r->rcx;
	const struct vmx_cpuid_context context = {
	    .vm_id = vcpu->vm->id,
	    .vcpu_index = vcpu->index,
	    .vcpu_count = vcpu->vm->vcpu_count,
	    .rsdp_address = (uint32_t)vcpu->vm->rsdp_address,
	    .secondary_controls = vmx_controls.secondary,
	    .apic_disabled = !(vcpu->apic_base & VLAPIC_BASE_ENABLE),
	    .host_max_leaf = vmx_cpuid_host_max_leaf(),
	    .tsc_khz = (uint32_t)timer_tsc_khz,
	    .timer_ratio = vcpu->interrupt.vlapic.tsc_per_tick,
	    .hidden = vcpu->vm->cpuid_hidden,
	};
	struct arch_cpuid host = {0, 0, 0, 0};
	if (!vmx_cpuid_is_hypervisor_leaf(leaf))
		host = arch_cpuid(leaf, subleaf);
	struct arch_cpuid c = vmx_cpuid_policy(&context, leaf, subleaf, host);
	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
	return VMX_EXIT_ACTION_NEXT;
}
