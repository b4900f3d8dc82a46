/*
 * vmx/exit.c - the exit dispatch table and the handlers of the exits that
 * need no policy of their own: HLT, PAUSE, the preemption timer, external
 * interrupts, NMIs, interrupt and NMI windows, EPT violations (emulated
 * MMIO: vmx/mmio.c), triple fault, INIT/SIPI, VMX instructions and the
 * hidden features (#UD). The exits with a policy have their own unit:
 * CPUID vmx/cpuid.c, RDMSR/WRMSR vmx/msr.c, port I/O vmx/io.c, control
 * registers vmx/cr.c, VMCALL vmx/hypercall.c (see exit.h). The vLAPIC,
 * vIOAPIC and PIT/PIC behind them: vmx/vcpu_interrupt.c and
 * vmx/platform.c (docs/smp.md).
 *
 * Lock order: handlers take vm->lock through vm_stop() and the console;
 * device exits take the VM's platform lock (IOAPIC, PIT, PIC, a vLAPIC
 * EOI of a level-triggered vector) and release it before
 * vmx_vcpu_notify() takes the scheduler lock. Never two at once.
 */
#include "vmx/exit.h"

#include "arch/x86/cpu.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "vmx/cpuid.h"
#include "vmx/cr.h"
#include "vmx/guest.h"
#include "vmx/io.h"
#include "vmx/mmio.h"
#include "vmx/msr.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vmx.h"

#define EXIT_NAME_SIZE 16 /* "reason_NNNNN" */
/* Virtual INIT/SIPI never exit (vmx/vcpu_interrupt.c): these are physical
 * signals to the pCPU. */
#define INIT_SIPI_CAUSE       "init-sipi (a physical INIT or SIPI reached the pCPU)"
#define VMX_INSTRUCTION_CAUSE "vmx-instruction (nested VMX is not offered)"

static enum vmx_exit_action exit_hlt(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	vcpu->halts++;
	/* With interrupts disabled (Linux's stop_this_cpu) only an NMI, INIT
	 * or STARTUP can wake it: it stays blocked until then. A VM all of
	 * whose vCPUs wait like this is stopped as dead (vmx/schedule.c). */
	vcpu->halt_masked = !(vmx_read(VMCS_GUEST_RFLAGS) & ARCH_RFLAGS_IF);
	/* The scheduler blocks the vCPU (vmx/schedule.c); an event posted
	 * from now on wakes it. */
	vcpu->leave = VMX_LEAVE_BLOCK;
	return VMX_EXIT_ACTION_NEXT;
}

static enum vmx_exit_action exit_pause(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	/* A PAUSE-loop exit: the guest spins. The vCPU yields (the
	 * scheduler classifies the live RIP). */
	vcpu->pause_yields++;
	vcpu->leave = VMX_LEAVE_YIELD;
	return VMX_EXIT_ACTION_NEXT;
}

static enum vmx_exit_action exit_preemption_timer(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	vcpu->leave = VMX_LEAVE_DEADLINE; /* the slice is over */
	return VMX_EXIT_ACTION_RESUME;
}

static enum vmx_exit_action exit_external_interrupt(struct vcpu *vcpu, uint64_t qualification)
{
	(void)vcpu;
	(void)qualification;
	return VMX_EXIT_ACTION_RESUME; /* taken by the host once interrupts are on */
}

static enum vmx_exit_action exit_exception_or_nmi(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	uint32_t info = (uint32_t)vmx_read(VMCS_EXIT_INTERRUPTION_INFO);
	if ((info & VMX_INTERRUPTION_VALID) &&
	    (info & VMX_INTERRUPTION_TYPE_MASK) == VMX_INTERRUPTION_TYPE_NMI) {
		if (panic_in_progress())
			arch_cpu_stop();
		__asm__ volatile("int %0" ::"i"(ARCH_VECTOR_NMI)); /* the host's NMI */
		return VMX_EXIT_ACTION_RESUME;
	}
	vmx_vmcs_dump(vcpu, "unexpected exception exit");
	vm_stop(vcpu->vm, "unexpected-exception: vector %u at rip=0x%llx",
	        info & VMX_INTERRUPTION_VECTOR_MASK, (unsigned long long)vmx_read(VMCS_GUEST_RIP));
	return VMX_EXIT_ACTION_STOP;
}

static enum vmx_exit_action exit_interrupt_window(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	vcpu_interrupt_window_exit(vcpu); /* the pending vector is injected at entry */
	return VMX_EXIT_ACTION_RESUME;
}

static enum vmx_exit_action exit_nmi_window(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	vcpu_interrupt_nmi_window_exit(vcpu); /* the pending NMI is injected at entry */
	return VMX_EXIT_ACTION_RESUME;
}

static enum vmx_exit_action exit_ept_violation(struct vcpu *vcpu, uint64_t qualification)
{
	struct vm *vm = vcpu->vm;
	uint64_t address = vmx_read(VMCS_GUEST_PHYSICAL_ADDRESS);
	bool write = qualification & VMX_EPT_QUALIFICATION_WRITE;
	bool fetch = qualification & VMX_EPT_QUALIFICATION_FETCH;
	for (uint32_t i = 0; i < vm->mmio_count; i++) {
		struct vm_mmio_hook *hook = &vm->mmio[i];
		if (address - hook->base < hook->length && !fetch) {
			/* Decode the instruction, access, step over it (vmx/mmio.c). */
			if (mmio_emulate(vcpu, hook, address) == 0)
				return VMX_EXIT_ACTION_RESUME;
			return VMX_EXIT_ACTION_STOP;
		}
	}
	vm_stop(vm,
	        "ept-violation: %s guest-physical 0x%llx (outside the VM's %llu MiB of RAM) at "
	        "rip=0x%llx",
	        fetch   ? "fetch from"
	        : write ? "write to"
	                : "read of",
	        (unsigned long long)address, (unsigned long long)(vm->memory_size >> 20),
	        (unsigned long long)vmx_read(VMCS_GUEST_RIP));
	return VMX_EXIT_ACTION_STOP;
}

/* A known exit the VM cannot go on after (the table's stop_cause). */
static enum vmx_exit_action exit_stop(struct vcpu *vcpu, const char *cause)
{
	uint32_t reason = (uint32_t)vmx_read(VMCS_EXIT_REASON) & VMX_EXIT_REASON_BASIC_MASK;
	vm_stop(vcpu->vm, "%s: %s exit at rip=0x%llx", cause, vmx_exit_name(reason),
	        (unsigned long long)vmx_read(VMCS_GUEST_RIP));
	return VMX_EXIT_ACTION_STOP;
}

static enum vmx_exit_action exit_undefined(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	vmx_inject_ud(vcpu); /* the feature is hidden */
	return VMX_EXIT_ACTION_RESUME;
}

static enum vmx_exit_action exit_skip(struct vcpu *vcpu, uint64_t qualification)
{
	(void)vcpu;
	(void)qualification;
	return VMX_EXIT_ACTION_NEXT;
}

static enum vmx_exit_action exit_vmcall(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	return hypercall_handle(vcpu);
}

const struct vmx_exit_entry vmx_exit_table[VMX_EXIT_REASON_COUNT] = {
    [VMX_EXIT_EXCEPTION_OR_NMI] = {"exception", exit_exception_or_nmi},
    [VMX_EXIT_EXTERNAL_INTERRUPT] = {"external_interrupt", exit_external_interrupt},
    [VMX_EXIT_TRIPLE_FAULT] = {"triple_fault", NULL, "triple-fault"},
    [VMX_EXIT_INIT] = {"init", NULL, INIT_SIPI_CAUSE},
    [VMX_EXIT_SIPI] = {"sipi", NULL, INIT_SIPI_CAUSE},
    [VMX_EXIT_INTERRUPT_WINDOW] = {"interrupt_window", exit_interrupt_window},
    [VMX_EXIT_NMI_WINDOW] = {"nmi_window", exit_nmi_window},
    [VMX_EXIT_TASK_SWITCH] = {"task_switch", NULL, "task-switch not emulated"},
    [VMX_EXIT_CPUID] = {"cpuid", vmx_cpuid_exit},
    [VMX_EXIT_GETSEC] = {"getsec", exit_undefined},
    [VMX_EXIT_HLT] = {"hlt", exit_hlt},
    [VMX_EXIT_INVD] = {"invd", exit_skip},
    [VMX_EXIT_INVLPG] = {"invlpg", NULL},
    [VMX_EXIT_RDPMC] = {"rdpmc", exit_undefined},
    [VMX_EXIT_RDTSC] = {"rdtsc", NULL},
    [VMX_EXIT_RSM] = {"rsm", exit_undefined},
    [VMX_EXIT_VMCALL] = {"vmcall", exit_vmcall},
    [VMX_EXIT_VMCLEAR] = {"vmclear", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_VMLAUNCH] = {"vmlaunch", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_VMPTRLD] = {"vmptrld", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_VMPTRST] = {"vmptrst", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_VMREAD] = {"vmread", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_VMRESUME] = {"vmresume", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_VMWRITE] = {"vmwrite", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_VMXOFF] = {"vmxoff", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_VMXON] = {"vmxon", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_CR_ACCESS] = {"cr_access", vmx_cr_exit},
    [VMX_EXIT_DR_ACCESS] = {"dr_access", NULL},
    [VMX_EXIT_IO] = {"io", vmx_io_exit},
    [VMX_EXIT_RDMSR] = {"rdmsr", vmx_msr_read_exit},
    [VMX_EXIT_WRMSR] = {"wrmsr", vmx_msr_write_exit},
    [VMX_EXIT_INVALID_GUEST_STATE] = {"invalid_guest_state", NULL},
    [VMX_EXIT_MSR_LOADING] = {"msr_loading", NULL},
    [VMX_EXIT_MWAIT] = {"mwait", exit_undefined},
    [VMX_EXIT_MONITOR_TRAP] = {"monitor_trap", NULL},
    [VMX_EXIT_MONITOR] = {"monitor", exit_undefined},
    [VMX_EXIT_PAUSE] = {"pause", exit_pause},
    [VMX_EXIT_PREEMPTION_TIMER] = {"preemption_timer", exit_preemption_timer},
    [VMX_EXIT_MACHINE_CHECK] = {"machine_check", NULL},
    [VMX_EXIT_TPR_BELOW_THRESHOLD] = {"tpr_below_threshold", NULL},
    [VMX_EXIT_APIC_ACCESS] = {"apic_access", NULL},
    [VMX_EXIT_EPT_VIOLATION] = {"ept_violation", exit_ept_violation},
    [VMX_EXIT_EPT_MISCONFIGURATION] = {"ept_misconfiguration", NULL},
    [VMX_EXIT_INVEPT] = {"invept", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_RDTSCP] = {"rdtscp", NULL},
    [VMX_EXIT_INVVPID] = {"invvpid", NULL, VMX_INSTRUCTION_CAUSE},
    [VMX_EXIT_WBINVD] = {"wbinvd", exit_skip},
    [VMX_EXIT_XSETBV] = {"xsetbv", exit_undefined},
    [VMX_EXIT_INVPCID] = {"invpcid", NULL},
    [VMX_EXIT_VMFUNC] = {"vmfunc", exit_undefined},
};

const char *vmx_exit_name(uint32_t reason)
{
	static char unnamed[PERCPU_MAX_CPUS][EXIT_NAME_SIZE];
	if (reason < VMX_EXIT_REASON_COUNT && vmx_exit_table[reason].name)
		return vmx_exit_table[reason].name;
	char *buffer = unnamed[percpu_this_index()];
	format_string(buffer, sizeof(unnamed[0]), "reason_%u", reason);
	return buffer;
}

bool vmx_exit_prepare_entry(struct vcpu *vcpu)
{
	/* INIT/SIPI, the vLAPIC timer, NMI and interrupt injection, windows. */
	return vcpu_interrupt_prepare_entry(vcpu);
}

void vmx_exit_dispatch(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint32_t raw = (uint32_t)vmx_read(VMCS_EXIT_REASON);
	uint32_t reason = raw & VMX_EXIT_REASON_BASIC_MASK;
	vcpu->exits_total++;
	if (reason < VMX_EXIT_REASON_COUNT)
		vcpu->exits[reason]++;
	if (raw & VMX_EXIT_REASON_ENTRY_FAILURE) {
		vmx_vmcs_dump(vcpu, "VM-entry failure");
		bool deliberate = vmx_settings.corrupt_guest[0] &&
		                  strcmp(vmx_settings.corrupt_guest, vm->name) == 0;
		vm_stop(vm, "entry-failure: %s (reason %u), qualification 0x%llx%s",
		        vmx_exit_name(reason), reason,
		        (unsigned long long)vmx_read(VMCS_EXIT_QUALIFICATION),
		        deliberate ? " (vmx_corrupt_guest test hook)"
		                   : ", hypervisor bug: VM-entry failed on guest state that should "
		                     "have been checked");
		return;
	}
	if (reason < VMX_EXIT_REASON_COUNT && !vmx_exit_table[reason].handler &&
	    vmx_exit_table[reason].stop_cause) {
		exit_stop(vcpu, vmx_exit_table[reason].stop_cause);
		return;
	}
	if (reason >= VMX_EXIT_REASON_COUNT || !vmx_exit_table[reason].handler) {
		vmx_vmcs_dump(vcpu, "unexpected VM exit");
		vm_stop(vm, "unexpected-exit: %s (reason %u) at rip=0x%llx", vmx_exit_name(reason),
		        reason, (unsigned long long)vmx_read(VMCS_GUEST_RIP));
		return;
	}
	/* An event whose delivery caused the exit is delivered again. */
	uint32_t vectoring = (uint32_t)vmx_read(VMCS_IDT_VECTORING_INFO);
	if (vectoring & VMX_INTERRUPTION_VALID) {
		vmx_write(VMCS_ENTRY_INTERRUPTION_INFO,
		          vectoring & ~VMX_INTERRUPTION_NMI_UNBLOCKING);
		if (vectoring & VMX_INTERRUPTION_ERROR_CODE)
			vmx_write(VMCS_ENTRY_EXCEPTION_ERROR_CODE,
			          vmx_read(VMCS_IDT_VECTORING_ERROR_CODE));
		vmx_write(VMCS_ENTRY_INSTRUCTION_LENGTH, vmx_read(VMCS_EXIT_INSTRUCTION_LENGTH));
	}
	enum vmx_exit_action action =
	    vmx_exit_table[reason].handler(vcpu, vmx_read(VMCS_EXIT_QUALIFICATION));
	if (action == VMX_EXIT_ACTION_NEXT) {
		vmx_write(VMCS_GUEST_RIP,
		          vmx_read(VMCS_GUEST_RIP) + vmx_read(VMCS_EXIT_INSTRUCTION_LENGTH));
		/* The instruction completed: STI and MOV SS blocking end. */
		uint64_t interruptibility = vmx_read(VMCS_GUEST_INTERRUPTIBILITY);
		uint64_t shadow = VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS;
		if (interruptibility & shadow)
			vmx_write(VMCS_GUEST_INTERRUPTIBILITY, interruptibility & ~shadow);
	}
	vm_exit_rate_check(vcpu, reason);
}
