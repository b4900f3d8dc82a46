/*
 * vmx/capability.h - what VT-x offers on each CPU.
 *
 * vmx_capability_probe() reads CPUID, IA32_FEATURE_CONTROL and the VMX
 * capability MSRs (using the TRUE control MSRs when IA32_VMX_BASIC says
 * they exist) on the calling CPU. A feature is "present" when its control
 * may be set to 1 (allowed-1 bit). Required features are those the design
 * needs (DESIGN.md section 9); optional ones are used when present.
 *
 * Lock order: none (each CPU fills its own record).
 */
#ifndef VMX_CAPABILITY_H
#define VMX_CAPABILITY_H

#include <stdbool.h>
#include <stdint.h>

enum vmx_feature {
	/* required */
	VMX_FEATURE_EPT,
	VMX_FEATURE_VPID,
	VMX_FEATURE_UNRESTRICTED_GUEST,
	VMX_FEATURE_PAUSE_LOOP_EXITING,
	VMX_FEATURE_PREEMPTION_TIMER,
	VMX_FEATURE_TPR_SHADOW,
	VMX_FEATURE_APIC_ACCESS,
	VMX_FEATURE_SECONDARY_CONTROLS,
	VMX_FEATURE_MSR_BITMAPS,
	VMX_FEATURE_IO_BITMAPS,
	VMX_FEATURE_REQUIRED_COUNT,
	/* optional */
	VMX_FEATURE_APIC_REGISTER_VIRTUALIZATION = VMX_FEATURE_REQUIRED_COUNT,
	VMX_FEATURE_VIRTUAL_INTERRUPT_DELIVERY,
	VMX_FEATURE_POSTED_INTERRUPTS,
	VMX_FEATURE_MONITOR_TRAP_FLAG,
	VMX_FEATURE_X2APIC_VIRTUALIZATION,
	VMX_FEATURE_EPT_2M_PAGES,
	VMX_FEATURE_EPT_1G_PAGES,
	VMX_FEATURE_EPT_ACCESSED_DIRTY,
	VMX_FEATURE_INVEPT_SINGLE_CONTEXT,
	VMX_FEATURE_INVVPID_SINGLE_CONTEXT,
	VMX_FEATURE_COUNT
};

struct vmx_capability {
	bool cpu_has_vmx;        /* CPUID.1:ECX.VMX[bit 5] */
	bool feature_control_ok; /* locked with VMXON outside SMX, or unlocked */
	bool feature_control_locked;
	uint64_t feature_control;
	uint64_t basic;
	uint32_t revision;
	bool true_controls;
	uint64_t pinbased, procbased, procbased2, exit, entry, misc, ept_vpid;
	bool features[VMX_FEATURE_COUNT];
	bool usable; /* VMX present, enabled and every required feature */
};

void vmx_capability_probe(struct vmx_capability *capability);
const char *vmx_feature_name(enum vmx_feature feature);
/* Why `capability` is not usable (empty if it is). */
void vmx_capability_explain(const struct vmx_capability *capability, char *buffer, unsigned size);

#endif /* VMX_CAPABILITY_H */
