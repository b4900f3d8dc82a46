/*
 * vmx/cpuid.c - CPUID policy and the CPUID exit handler (see cpuid.h).
 *
 * Lock order: none.
 */
#include "vmx/cpuid.h"

#include "kernel/string.h"
#include "vmx/hypercall.h"
#include "vmx/vm.h"
#include "vmx/vmx.h"

#define VMX_CPUID_HIDDEN_1_ECX                                                    \
	(ARCH_CPUID_1_ECX_MONITOR | ARCH_CPUID_1_ECX_VMX | ARCH_CPUID_1_ECX_SMX |     \
	 ARCH_CPUID_1_ECX_XSAVE | ARCH_CPUID_1_ECX_OSXSAVE | ARCH_CPUID_1_ECX_AVX)
#define VMX_CPUID_OFFERED_1_ECX                                                   \
	(ARCH_CPUID_1_ECX_X2APIC | ARCH_CPUID_1_ECX_TSC_DEADLINE | ARCH_CPUID_1_ECX_HYPERVISOR)

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

struct arch_cpuid vmx_cpuid_policy(const struct vmx_cpuid_context *context, uint32_t leaf,
                                   uint32_t subleaf, struct arch_cpuid host)
{
	if (vmx_cpuid_is_hypervisor_leaf(leaf))
		return vmx_cpuid_hypervisor(context, leaf);
	struct arch_cpuid c = host;
	switch (leaf) {
	case ARCH_CPUID_FEATURES:
		/* Hide VMX, SMX, MONITOR/MWAIT, XSAVE/AVX; offer the vLAPIC's
		 * x2APIC and TSC-deadline modes; say "hypervisor". */
		c.ecx = (c.ecx & ~VMX_CPUID_HIDDEN_1_ECX) | VMX_CPUID_OFFERED_1_ECX;
		c.ebx = (c.ebx & ARCH_CPUID_1_EBX_KEEP) |
		        (context->vcpu_count << ARCH_CPUID_1_EBX_LOGICAL_SHIFT) |
		        (context->vcpu_index << ARCH_CPUID_1_EBX_APIC_ID_SHIFT);
		break;
	case ARCH_CPUID_MONITOR:
	case ARCH_CPUID_PERFMON:
	case ARCH_CPUID_XSAVE:
		c.eax = c.ebx = c.ecx = c.edx = 0;
		break;
	case ARCH_CPUID_TOPOLOGY:
	case ARCH_CPUID_TOPOLOGY_V2:
		/* No topology levels (the guest uses the MADT), but the
		 * x2APIC ID is this vCPU's, not the host CPU's. */
		c.eax = c.ebx = 0;
		c.ecx = subleaf & ARCH_CPUID_TOPOLOGY_LEVEL_MASK;
		c.edx = context->vcpu_index;
		break;
	case ARCH_CPUID_EXTENDED_FEATURES:
		if (subleaf == 0) {
			if (!(context->secondary_controls & VMX_PROC2_INVPCID))
				c.ebx &= ~ARCH_CPUID_7_EBX_INVPCID;
			c.ebx &= ~ARCH_CPUID_7_EBX_AVX2; /* XSAVE hidden */
		}
		break;
	case ARCH_CPUID_EXTENDED_INFO:
		if (!(context->secondary_controls & VMX_PROC2_RDTSCP))
			c.edx &= ~ARCH_CPUID_80000001_EDX_RDTSCP;
		break;
	default:
		break;
	}
	return c;
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
