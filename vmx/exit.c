/*
 * vmx/exit.c - the exit dispatch table and the handlers of the exits every
 * guest causes: CPUID, RDMSR/WRMSR, port I/O, HLT, PAUSE, external
 * interrupts, interrupt and NMI windows, EPT violations (emulated MMIO:
 * vmx/mmio.c), CR0/CR4/CR8 accesses, triple fault, INIT/SIPI and VMX
 * instructions (see exit.h). The vLAPIC, vIOAPIC and PIT/PIC behind them:
 * vmx/vcpu_interrupt.c and vmx/platform.c (docs/smp.md).
 *
 * Lock order: handlers take vm->lock through vm_stop() and the console;
 * device exits take the VM's platform lock (IOAPIC, PIT, PIC, a vLAPIC
 * EOI of a level-triggered vector) and release it before
 * vmx_vcpu_notify() takes the scheduler lock. Never two at once.
 */
#include "vmx/exit.h"

#include "arch/x86/cpu.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "vmx/hypercall.h"
#include "vmx/mmio.h"
#include "vmx/notify.h"
#include "vmx/platform.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vmx.h"

#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define EFER_LMA (1ull << 10)
#define EFER_ALLOWED ((1ull << 0) | ARCH_EFER_LME | EFER_LMA | ARCH_EFER_NXE)

/* Guest general register by the index VMX uses in exit qualifications. */
static uint64_t *exit_register(struct vcpu *vcpu, unsigned index)
{
	struct vmx_guest_registers *r = &vcpu->registers;
	static uint64_t rsp_scratch;
	switch (index & 15) {
	case 0: return &r->rax;
	case 1: return &r->rcx;
	case 2: return &r->rdx;
	case 3: return &r->rbx;
	case 4: rsp_scratch = vmx_read(VMCS_GUEST_RSP); return &rsp_scratch;
	case 5: return &r->rbp;
	case 6: return &r->rsi;
	case 7: return &r->rdi;
	case 8: return &r->r8;
	case 9: return &r->r9;
	case 10: return &r->r10;
	case 11: return &r->r11;
	case 12: return &r->r12;
	case 13: return &r->r13;
	case 14: return &r->r14;
	default: return &r->r15;
	}
}

static enum vmx_exit_action exit_cpuid(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	struct vmx_guest_registers *r = &vcpu->registers;
	uint32_t leaf = (uint32_t)r->rax, subleaf = (uint32_t)r->rcx;
	struct arch_cpuid c = {0, 0, 0, 0};
	if (leaf >= HYPERCALL_CPUID_BASE && leaf <= HYPERCALL_CPUID_BASE + 0xff) {
		if (leaf == HYPERCALL_CPUID_BASE) {
			c.eax = HYPERCALL_CPUID_BASE + 1;
			memcpy(&c.ebx, HYPERCALL_SIGNATURE, 4);
			memcpy(&c.ecx, HYPERCALL_SIGNATURE + 4, 4);
			memcpy(&c.edx, HYPERCALL_SIGNATURE + 8, 4);
		} else if (leaf == HYPERCALL_CPUID_BASE + 1) {
			c.eax = HYPERCALL_ABI_VERSION;
			c.ebx = vcpu->vm->id;
			c.ecx = vcpu->index;
			c.edx = (uint32_t)vcpu->vm->rsdp_address; /* ACPI RSDP (docs/hypercall.md) */
		}
	} else {
		c = arch_cpuid(leaf, subleaf);
		switch (leaf) {
		case 1:
			/* Hide VMX, SMX, MONITOR/MWAIT, XSAVE/AVX; offer the vLAPIC's
			 * x2APIC and TSC-deadline modes; say "hypervisor". */
			c.ecx &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 26) | (1u << 27) |
			           (1u << 28));
			c.ecx |= (1u << 21) | (1u << 24) | (1u << 31);
			c.ebx = (c.ebx & 0x0000ffff) | (vcpu->vm->vcpu_count << 16) |
			        (vcpu->index << 24);
			break;
		case 5:
		case 0xa:
		case 0xd:
			c.eax = c.ebx = c.ecx = c.edx = 0;
			break;
		case 0xb:
		case 0x1f:
			/* No topology levels (the guest uses the MADT), but the
			 * x2APIC ID is this vCPU's, not the host CPU's. */
			c.eax = c.ebx = 0;
			c.ecx = subleaf & 0xff;
			c.edx = vcpu->index;
			break;
		case 7:
			if (subleaf == 0) {
				if (!(vmx_controls.secondary & VMX_PROC2_INVPCID))
					c.ebx &= ~(1u << 10);
				c.ebx &= ~(1u << 5); /* AVX2 (XSAVE hidden) */
			}
			break;
		case 0x80000001:
			if (!(vmx_controls.secondary & VMX_PROC2_RDTSCP))
				c.edx &= ~(1u << 27);
			break;
		default:
			break;
		}
	}
	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
	return VMX_EXIT_ACTION_NEXT;
}

/* MSRs Linux touches during boot that read as 0 and ignore writes. */
static bool exit_msr_is_quiet(uint32_t msr)
{
	static const uint32_t quiet[] = {0x17, 0x8b, 0xc4, 0xce, 0xfe, 0x140, 0x179, 0x17a,
	                                 0x19b, 0x1b0, 0x1b2, 0x1fc, 0x391, 0x66c, 0x2ff};
	for (unsigned i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (quiet[i] == msr)
			return true;
	return (msr >= 0x200 && msr < 0x280); /* MTRRs: none offered */
}

static int exit_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value)
{
	switch (msr) {
	case 0x10: *value = arch_tsc_read(); return 0;
	case ARCH_MSR_FEATURE_CONTROL: *value = 1; return 0; /* locked, VMX off */
	case 0x1a0: *value = vcpu->misc_enable; return 0;
	case 0xe7: case 0xe8: *value = arch_tsc_read(); return 0;
	case 0x174: *value = vmx_read(VMCS_GUEST_SYSENTER_CS); return 0;
	case 0x175: *value = vmx_read(VMCS_GUEST_SYSENTER_ESP); return 0;
	case 0x176: *value = vmx_read(VMCS_GUEST_SYSENTER_EIP); return 0;
	case 0x1d9: *value = vmx_read(VMCS_GUEST_DEBUGCTL); return 0;
	case ARCH_MSR_PAT: *value = vmx_read(VMCS_GUEST_PAT); return 0;
	case ARCH_MSR_EFER: *value = vmx_read(VMCS_GUEST_EFER); return 0;
	case ARCH_MSR_FS_BASE: *value = vmx_read(VMCS_GUEST_FS_BASE); return 0;
	case ARCH_MSR_GS_BASE: *value = vmx_read(VMCS_GUEST_GS_BASE); return 0;
	default:
		if (exit_msr_is_quiet(msr)) {
			*value = 0;
			return 0;
		}
		return -1;
	}
}

static int exit_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value)
{
	(void)vcpu; /* APIC base and TSC deadline moved to the vLAPIC */
	switch (msr) {
	case 0x1a0: return 0;
	case 0xe7: case 0xe8: return 0;
	case 0x174: vmx_write(VMCS_GUEST_SYSENTER_CS, value); return 0;
	case 0x175: vmx_write(VMCS_GUEST_SYSENTER_ESP, value); return 0;
	case 0x176: vmx_write(VMCS_GUEST_SYSENTER_EIP, value); return 0;
	case 0x1d9: vmx_write(VMCS_GUEST_DEBUGCTL, value & 3); return 0;
	case ARCH_MSR_PAT: vmx_write(VMCS_GUEST_PAT, value); return 0;
	case ARCH_MSR_FS_BASE: vmx_write(VMCS_GUEST_FS_BASE, value); return 0;
	case ARCH_MSR_GS_BASE: vmx_write(VMCS_GUEST_GS_BASE, value); return 0;
	case ARCH_MSR_EFER: {
		uint64_t old = vmx_read(VMCS_GUEST_EFER);
		if (value & ~EFER_ALLOWED)
			return -1;
		bool paging = vmx_read(VMCS_CR0_READ_SHADOW) & ARCH_CR0_PG;
		if (paging && ((value ^ old) & ARCH_EFER_LME))
			return -1;
		value = (value & ~EFER_LMA) | (old & EFER_LMA);
		vmx_write(VMCS_GUEST_EFER, value);
		return 0;
	}
	default:
		return exit_msr_is_quiet(msr) ? 0 : -1;
	}
}

static void exit_msr_unknown(struct vcpu *vcpu, const char *access, uint32_t msr)
{
	vcpu->msr_unknown++;
	if (vcpu->msr_unknown <= 8)
		log_warning("VM %s: %s of unknown MSR 0x%x at rip=0x%llx: #GP injected",
		            vcpu->vm->name, access, msr,
		            (unsigned long long)vmx_read(VMCS_GUEST_RIP));
	vmx_inject_exception(vcpu, 13, true, 0);
}

static enum vmx_exit_action exit_rdmsr(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	uint32_t msr = (uint32_t)vcpu->registers.rcx;
	uint64_t value;
	/* APIC base, TSC deadline, x2APIC: the vLAPIC (#GP on its faults). */
	int lapic = vcpu_interrupt_msr_read(vcpu, msr, &value);
	if (lapic < 0) {
		vmx_inject_exception(vcpu, 13, true, 0);
		return VMX_EXIT_ACTION_RESUME;
	}
	if (lapic > 0 && exit_msr_read(vcpu, msr, &value) != 0) {
		exit_msr_unknown(vcpu, "read", msr);
		return VMX_EXIT_ACTION_RESUME;
	}
	vcpu->registers.rax = (uint32_t)value;
	vcpu->registers.rdx = value >> 32;
	return VMX_EXIT_ACTION_NEXT;
}

static enum vmx_exit_action exit_wrmsr(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	uint32_t msr = (uint32_t)vcpu->registers.rcx;
	uint64_t value = (vcpu->registers.rdx << 32) | (uint32_t)vcpu->registers.rax;
	int lapic = vcpu_interrupt_msr_write(vcpu, msr, value);
	if (lapic < 0) {
		vmx_inject_exception(vcpu, 13, true, 0);
		return VMX_EXIT_ACTION_RESUME;
	}
	if (lapic > 0 && exit_msr_write(vcpu, msr, value) != 0) {
		exit_msr_unknown(vcpu, "write", msr);
		return VMX_EXIT_ACTION_RESUME;
	}
	return VMX_EXIT_ACTION_NEXT;
}

static enum vmx_exit_action exit_io(struct vcpu *vcpu, uint64_t qualification)
{
	struct vm *vm = vcpu->vm;
	unsigned size = (unsigned)(qualification & 7) + 1;
	bool in = qualification & 8;
	uint16_t port = (uint16_t)(qualification >> 16);
	if (qualification & 16) {
		vm_stop(vm, "unsupported-io: string I/O (INS/OUTS) on port 0x%x at rip=0x%llx", port,
		        (unsigned long long)vmx_read(VMCS_GUEST_RIP));
		return VMX_EXIT_ACTION_STOP;
	}
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	uint32_t value = in ? mask : (uint32_t)vcpu->registers.rax & mask;
	if (vuart_io(vm, port, in, &value) == 0) {
	} else if (platform_io(vcpu, port, size, in, &value) == 0) {
	} else if (port == VM_PM1A_CONTROL_PORT && size >= 2) {
		if (!in && (value & (1u << 13))) { /* SLP_EN */
			vm_power_off(vm, 0);
			return VMX_EXIT_ACTION_STOP;
		}
		value = in ? 0 : value;
	} else if (port >= VM_PM1A_CONTROL_PORT - 4 && port < VM_PM1A_CONTROL_PORT) {
		value = in ? 0 : value; /* PM1a status/enable: nothing pending */
	} else if (port == 0x80) {
		/* POST code: ignored */
	} else {
		vcpu->io_unknown++;
	}
	if (in) {
		if (size == 4)
			vcpu->registers.rax = value;
		else
			vcpu->registers.rax = (vcpu->registers.rax & ~(uint64_t)mask) | (value & mask);
	}
	return VMX_EXIT_ACTION_NEXT;
}

static enum vmx_exit_action exit_hlt(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	struct vm *vm = vcpu->vm;
	vcpu->halts++;
	if (!(vmx_read(VMCS_GUEST_RFLAGS) & ARCH_RFLAGS_IF) && !vcpu->pending_interrupt) {
		vm_stop(vm, "halted: HLT with interrupts disabled at rip=0x%llx, the vCPU can never wake",
		        (unsigned long long)vmx_read(VMCS_GUEST_RIP));
		return VMX_EXIT_ACTION_STOP;
	}
	/* The scheduler blocks the vCPU (vmx/schedule.c); an event posted
	 * from now on wakes it. */
	vcpu->leave = VMX_LEAVE_BLOCK;
	return VMX_EXIT_ACTION_NEXT;
}

static enum vmx_exit_action exit_pause(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	/* A PAUSE-loop exit: the guest spins. Scheduled vCPUs yield (the
	 * scheduler classifies the live RIP); pinned ones just go on. */
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
	if ((info & VMX_INTERRUPTION_VALID) && (info & 0x700) == VMX_INTERRUPTION_TYPE_NMI) {
		if (panic_in_progress())
			arch_cpu_stop();
		__asm__ volatile("int $2"); /* the host's NMI */
		return VMX_EXIT_ACTION_RESUME;
	}
	vmx_vmcs_dump(vcpu, "unexpected exception exit");
	vm_stop(vcpu->vm, "unexpected-exception: vector %u at rip=0x%llx", info & 0xff,
	        (unsigned long long)vmx_read(VMCS_GUEST_RIP));
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
	bool write = qualification & 2;
	for (uint32_t i = 0; i < vm->mmio_count; i++) {
		struct vm_mmio_hook *hook = &vm->mmio[i];
		if (address - hook->base < hook->length && !(qualification & 4)) {
			/* Decode the instruction, access, step over it (vmx/mmio.c). */
			if (mmio_emulate(vcpu, hook, address) == 0)
				return VMX_EXIT_ACTION_RESUME;
			return VMX_EXIT_ACTION_STOP;
		}
	}
	vm_stop(vm, "ept-violation: %s guest-physical 0x%llx (outside the VM's %llu MiB) at rip=0x%llx",
	        qualification & 4 ? "fetch from" : write ? "write to" : "read of",
	        (unsigned long long)address, (unsigned long long)(vm->memory_size >> 20),
	        (unsigned long long)vmx_read(VMCS_GUEST_RIP));
	return VMX_EXIT_ACTION_STOP;
}

static enum vmx_exit_action exit_cr_access(struct vcpu *vcpu, uint64_t qualification)
{
	unsigned cr = qualification & 15, type = (qualification >> 4) & 3;
	if (cr == 8 && type <= 1) { /* CR8 = TPR[7:4] of the vLAPIC */
		uint64_t *operand = exit_register(vcpu, (unsigned)(qualification >> 8));
		if (type == 0) {
			vcpu_interrupt_cr8_write(vcpu, *operand);
		} else {
			*operand = vcpu_interrupt_cr8_read(vcpu);
			if (((qualification >> 8) & 15) == 4)
				vmx_write(VMCS_GUEST_RSP, *operand);
		}
		return VMX_EXIT_ACTION_NEXT;
	}
	if (type != 0 || (cr != 0 && cr != 4)) {
		vmx_vmcs_dump(vcpu, "unexpected control-register access");
		vm_stop(vcpu->vm, "unexpected-cr-access: CR%u access type %u", cr, type);
		return VMX_EXIT_ACTION_STOP;
	}
	uint64_t value = *exit_register(vcpu, (unsigned)(qualification >> 8));
	if (cr == 0) {
		uint64_t old = vmx_read(VMCS_CR0_READ_SHADOW);
		uint64_t efer = vmx_read(VMCS_GUEST_EFER);
		if ((value >> 32) || ((value & ARCH_CR0_PG) && !(value & ARCH_CR0_PE)) ||
		    ((value & (1ull << 29)) && !(value & (1ull << 30)))) {
			vmx_inject_exception(vcpu, 13, true, 0);
			return VMX_EXIT_ACTION_RESUME;
		}
		if ((value & ARCH_CR0_PG) && !(old & ARCH_CR0_PG) && (efer & ARCH_EFER_LME)) {
			if (!(vmx_read(VMCS_GUEST_CR4) & ARCH_CR4_PAE)) { /* PAE is not masked */
				vmx_inject_exception(vcpu, 13, true, 0);
				return VMX_EXIT_ACTION_RESUME;
			}
			efer |= EFER_LMA;
			vcpu->entry_controls |= VMX_ENTRY_IA32E_GUEST;
		} else if (!(value & ARCH_CR0_PG) && (old & ARCH_CR0_PG) && (efer & EFER_LMA)) {
			efer &= ~EFER_LMA;
			vcpu->entry_controls &= ~VMX_ENTRY_IA32E_GUEST;
		}
		uint64_t fixed0 = arch_msr_read(MSR_VMX_CR0_FIXED0) & ~(ARCH_CR0_PE | ARCH_CR0_PG);
		vmx_write(VMCS_CR0_READ_SHADOW, value);
		vmx_write(VMCS_GUEST_CR0, (value | fixed0) & arch_msr_read(MSR_VMX_CR0_FIXED1));
		vmx_write(VMCS_GUEST_EFER, efer);
		vmx_write(VMCS_ENTRY_CONTROLS, vcpu->entry_controls);
	} else {
		uint64_t fixed1 = arch_msr_read(MSR_VMX_CR4_FIXED1) & ~ARCH_CR4_VMXE;
		if (value & ~fixed1) {
			vmx_inject_exception(vcpu, 13, true, 0);
			return VMX_EXIT_ACTION_RESUME;
		}
		vmx_write(VMCS_CR4_READ_SHADOW, value);
		vmx_write(VMCS_GUEST_CR4, value | arch_msr_read(MSR_VMX_CR4_FIXED0));
	}
	return VMX_EXIT_ACTION_NEXT;
}

static enum vmx_exit_action exit_stop(struct vcpu *vcpu, const char *cause)
{
	uint32_t reason = (uint32_t)vmx_read(VMCS_EXIT_REASON) & 0xffff;
	vm_stop(vcpu->vm, "%s: %s exit at rip=0x%llx", cause, vmx_exit_name(reason),
	        (unsigned long long)vmx_read(VMCS_GUEST_RIP));
	return VMX_EXIT_ACTION_STOP;
}

static enum vmx_exit_action exit_triple_fault(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	return exit_stop(vcpu, "triple-fault");
}

static enum vmx_exit_action exit_init_sipi(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	/* Virtual INIT/SIPI never exit (vmx/vcpu_interrupt.c); these are
	 * physical signals to the pCPU. */
	return exit_stop(vcpu, "init-sipi (a physical INIT or SIPI reached the pCPU)");
}

static enum vmx_exit_action exit_vmx_instruction(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	return exit_stop(vcpu, "vmx-instruction (nested VMX is not offered)");
}

static enum vmx_exit_action exit_task_switch(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	return exit_stop(vcpu, "task-switch not emulated");
}

static enum vmx_exit_action exit_undefined(struct vcpu *vcpu, uint64_t qualification)
{
	(void)qualification;
	vmx_inject_exception(vcpu, 6, false, 0); /* #UD: the feature is hidden */
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
	[VMX_EXIT_TRIPLE_FAULT] = {"triple_fault", exit_triple_fault},
	[VMX_EXIT_INIT] = {"init", exit_init_sipi},
	[VMX_EXIT_SIPI] = {"sipi", exit_init_sipi},
	[VMX_EXIT_INTERRUPT_WINDOW] = {"interrupt_window", exit_interrupt_window},
	[VMX_EXIT_NMI_WINDOW] = {"nmi_window", exit_nmi_window},
	[VMX_EXIT_TASK_SWITCH] = {"task_switch", exit_task_switch},
	[VMX_EXIT_CPUID] = {"cpuid", exit_cpuid},
	[VMX_EXIT_GETSEC] = {"getsec", exit_undefined},
	[VMX_EXIT_HLT] = {"hlt", exit_hlt},
	[VMX_EXIT_INVD] = {"invd", exit_skip},
	[VMX_EXIT_INVLPG] = {"invlpg", NULL},
	[VMX_EXIT_RDPMC] = {"rdpmc", exit_undefined},
	[VMX_EXIT_RDTSC] = {"rdtsc", NULL},
	[VMX_EXIT_RSM] = {"rsm", exit_undefined},
	[VMX_EXIT_VMCALL] = {"vmcall", exit_vmcall},
	[VMX_EXIT_VMCLEAR] = {"vmclear", exit_vmx_instruction},
	[VMX_EXIT_VMLAUNCH] = {"vmlaunch", exit_vmx_instruction},
	[VMX_EXIT_VMPTRLD] = {"vmptrld", exit_vmx_instruction},
	[VMX_EXIT_VMPTRST] = {"vmptrst", exit_vmx_instruction},
	[VMX_EXIT_VMREAD] = {"vmread", exit_vmx_instruction},
	[VMX_EXIT_VMRESUME] = {"vmresume", exit_vmx_instruction},
	[VMX_EXIT_VMWRITE] = {"vmwrite", exit_vmx_instruction},
	[VMX_EXIT_VMXOFF] = {"vmxoff", exit_vmx_instruction},
	[VMX_EXIT_VMXON] = {"vmxon", exit_vmx_instruction},
	[VMX_EXIT_CR_ACCESS] = {"cr_access", exit_cr_access},
	[VMX_EXIT_DR_ACCESS] = {"dr_access", NULL},
	[VMX_EXIT_IO] = {"io", exit_io},
	[VMX_EXIT_RDMSR] = {"rdmsr", exit_rdmsr},
	[VMX_EXIT_WRMSR] = {"wrmsr", exit_wrmsr},
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
	[VMX_EXIT_INVEPT] = {"invept", exit_vmx_instruction},
	[VMX_EXIT_RDTSCP] = {"rdtscp", NULL},
	[VMX_EXIT_INVVPID] = {"invvpid", exit_vmx_instruction},
	[VMX_EXIT_WBINVD] = {"wbinvd", exit_skip},
	[VMX_EXIT_XSETBV] = {"xsetbv", exit_undefined},
	[VMX_EXIT_INVPCID] = {"invpcid", NULL},
	[VMX_EXIT_VMFUNC] = {"vmfunc", exit_undefined},
};

const char *vmx_exit_name(uint32_t reason)
{
	static char unnamed[PERCPU_MAX_CPUS][16];
	if (reason < VMX_EXIT_REASON_COUNT && vmx_exit_table[reason].name)
		return vmx_exit_table[reason].name;
	char *buffer = unnamed[percpu_this_index()];
	format_string(buffer, sizeof(unnamed[0]), "reason_%u", reason);
	return buffer;
}

void vmx_exit_prepare_entry(struct vcpu *vcpu)
{
	/* INIT/SIPI, the vLAPIC timer, NMI and interrupt injection, windows. */
	vcpu_interrupt_prepare_entry(vcpu);
}

void vmx_exit_dispatch(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint32_t raw = (uint32_t)vmx_read(VMCS_EXIT_REASON);
	uint32_t reason = raw & 0xffff;
	vcpu->exits_total++;
	if (reason < VMX_EXIT_REASON_COUNT)
		vcpu->exits[reason]++;
	if (raw & VMX_EXIT_REASON_ENTRY_FAILURE) {
		vmx_vmcs_dump(vcpu, "VM-entry failure");
		vm_stop(vm, "entry-failure: %s (reason %u), qualification 0x%llx", vmx_exit_name(reason),
		        reason, (unsigned long long)vmx_read(VMCS_EXIT_QUALIFICATION));
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
		vmx_write(VMCS_ENTRY_INTERRUPTION_INFO, vectoring & ~(1u << 12));
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
		uint64_t interruptibility = vmx_read(VMCS_GUEST_INTERRUPTIBILITY);
		if (interruptibility & 3)
			vmx_write(VMCS_GUEST_INTERRUPTIBILITY, interruptibility & ~3ull);
	}
	if (vm->exit_limit && vcpu->exits_total > vm->exit_limit && vm->state == VM_STATE_RUNNING)
		vm_stop(vm, "exit-flood: %llu exits exceed the budget of %llu (last: %s)",
		        (unsigned long long)vcpu->exits_total, (unsigned long long)vm->exit_limit,
		        vmx_exit_name(reason));
}
