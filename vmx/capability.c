/*
 * vmx/capability.c - probing VT-x features (see capability.h).
 *
 * Lock order: none.
 */
#include "vmx/capability.h"

#include "arch/x86/cpu.h"
#include "kernel/string.h"
#include "vmx/vmcs.h"

static const char *const vmx_feature_names[VMX_FEATURE_COUNT] = {
    [VMX_FEATURE_EPT] = "ept",
    [VMX_FEATURE_VPID] = "vpid",
    [VMX_FEATURE_UNRESTRICTED_GUEST] = "ug",
    [VMX_FEATURE_PAUSE_LOOP_EXITING] = "ple",
    [VMX_FEATURE_PREEMPTION_TIMER] = "preempt_timer",
    [VMX_FEATURE_TPR_SHADOW] = "tpr_shadow",
    [VMX_FEATURE_APIC_ACCESS] = "apic_access",
    [VMX_FEATURE_SECONDARY_CONTROLS] = "secondary_controls",
    [VMX_FEATURE_MSR_BITMAPS] = "msr_bitmaps",
    [VMX_FEATURE_IO_BITMAPS] = "io_bitmaps",
    [VMX_FEATURE_APIC_REGISTER_VIRTUALIZATION] = "apic_register_virt",
    [VMX_FEATURE_VIRTUAL_INTERRUPT_DELIVERY] = "virtual_interrupt_delivery",
    [VMX_FEATURE_POSTED_INTERRUPTS] = "posted_interrupts",
    [VMX_FEATURE_MONITOR_TRAP_FLAG] = "monitor_trap_flag",
    [VMX_FEATURE_X2APIC_VIRTUALIZATION] = "x2apic_virt",
    [VMX_FEATURE_EPT_2M_PAGES] = "ept_2m",
    [VMX_FEATURE_EPT_1G_PAGES] = "ept_1g",
    [VMX_FEATURE_EPT_ACCESSED_DIRTY] = "ept_ad",
    [VMX_FEATURE_INVEPT_SINGLE_CONTEXT] = "invept_single",
    [VMX_FEATURE_INVVPID_SINGLE_CONTEXT] = "invvpid_single",
};

const char *vmx_feature_name(enum vmx_feature feature)
{
	return feature < VMX_FEATURE_COUNT ? vmx_feature_names[feature] : "?";
}

/* The allowed-1 half (bits 63:32) of a control capability MSR. */
static bool vmx_allowed1(uint64_t msr, unsigned bit)
{
	return (msr >> (32 + bit)) & 1;
}

void vmx_capability_probe(struct vmx_capability *c)
{
	memset(c, 0, sizeof(*c));
	c->cpu_has_vmx = arch_cpuid(1, 0).ecx & (1u << 5);
	if (!c->cpu_has_vmx)
		return;
	if (arch_msr_read_safe(0x3a, &c->feature_control) != 0)
		return;
	c->feature_control_locked = c->feature_control & 1;
	c->feature_control_ok = !c->feature_control_locked || (c->feature_control & (1u << 2));
	c->basic = arch_msr_read(MSR_VMX_BASIC);
	c->revision = (uint32_t)(c->basic & 0x7fffffff);
	c->true_controls = (c->basic >> 55) & 1;
	c->pinbased = arch_msr_read(c->true_controls ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED);
	c->procbased = arch_msr_read(c->true_controls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED);
	c->exit = arch_msr_read(c->true_controls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
	c->entry = arch_msr_read(c->true_controls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
	c->misc = arch_msr_read(MSR_VMX_MISC);
	bool *f = c->features;
	f[VMX_FEATURE_SECONDARY_CONTROLS] = vmx_allowed1(c->procbased, 31);
	f[VMX_FEATURE_TPR_SHADOW] = vmx_allowed1(c->procbased, 21);
	f[VMX_FEATURE_MSR_BITMAPS] = vmx_allowed1(c->procbased, 28);
	f[VMX_FEATURE_IO_BITMAPS] = vmx_allowed1(c->procbased, 25);
	f[VMX_FEATURE_MONITOR_TRAP_FLAG] = vmx_allowed1(c->procbased, 27);
	f[VMX_FEATURE_PREEMPTION_TIMER] = vmx_allowed1(c->pinbased, 6);
	f[VMX_FEATURE_POSTED_INTERRUPTS] = vmx_allowed1(c->pinbased, 7);
	if (f[VMX_FEATURE_SECONDARY_CONTROLS]) {
		c->procbased2 = arch_msr_read(MSR_VMX_PROCBASED2);
		f[VMX_FEATURE_APIC_ACCESS] = vmx_allowed1(c->procbased2, 0);
		f[VMX_FEATURE_EPT] = vmx_allowed1(c->procbased2, 1);
		f[VMX_FEATURE_X2APIC_VIRTUALIZATION] = vmx_allowed1(c->procbased2, 4);
		f[VMX_FEATURE_VPID] = vmx_allowed1(c->procbased2, 5);
		f[VMX_FEATURE_UNRESTRICTED_GUEST] = vmx_allowed1(c->procbased2, 7);
		f[VMX_FEATURE_APIC_REGISTER_VIRTUALIZATION] = vmx_allowed1(c->procbased2, 8);
		f[VMX_FEATURE_VIRTUAL_INTERRUPT_DELIVERY] = vmx_allowed1(c->procbased2, 9);
		f[VMX_FEATURE_PAUSE_LOOP_EXITING] = vmx_allowed1(c->procbased2, 10);
		if (f[VMX_FEATURE_EPT] || f[VMX_FEATURE_VPID]) {
			c->ept_vpid = arch_msr_read(MSR_VMX_EPT_VPID);
			f[VMX_FEATURE_EPT_2M_PAGES] = (c->ept_vpid >> 16) & 1;
			f[VMX_FEATURE_EPT_1G_PAGES] = (c->ept_vpid >> 17) & 1;
			f[VMX_FEATURE_EPT_ACCESSED_DIRTY] = (c->ept_vpid >> 21) & 1;
			f[VMX_FEATURE_INVEPT_SINGLE_CONTEXT] = (c->ept_vpid >> 25) & 1;
			f[VMX_FEATURE_INVVPID_SINGLE_CONTEXT] = (c->ept_vpid >> 41) & 1;
		}
	}
	c->usable = c->feature_control_ok;
	for (int i = 0; i < VMX_FEATURE_REQUIRED_COUNT; i++)
		c->usable &= f[i];
}

void vmx_capability_explain(const struct vmx_capability *c, char *buffer, unsigned size)
{
	if (!c->cpu_has_vmx) {
		format_string(buffer, size, "CPUID.1:ECX.VMX is 0: this CPU has no VT-x");
		return;
	}
	if (!c->feature_control_ok) {
		format_string(buffer, size,
		              "IA32_FEATURE_CONTROL=0x%llx is locked with VMX disabled (enable "
		              "VT-x in the firmware)",
		              (unsigned long long)c->feature_control);
		return;
	}
	int n = 0;
	buffer[0] = '\0';
	for (int i = 0; i < VMX_FEATURE_REQUIRED_COUNT; i++)
		if (!c->features[i] && n >= 0 && (unsigned)n < size)
			n += format_string(buffer + n, size - (unsigned)n, "%smissing %s",
			                   n ? ", " : "", vmx_feature_names[i]);
}
