/*
 * vmx/vmx.c - VMX operation per pCPU, control computation, VMCS set-up,
 * VMCS load/clear discipline, the vCPU run loop and the VMCS dump
 * (see vmx.h).
 *
 * Lock order: none taken here; vm_stop() takes vm->lock.
 */
#include "vmx/vmx.h"
#include "vmx/schedule.h"

#include "arch/x86/cpu.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "vmx/cr.h"
#include "vmx/exit.h"

struct vmx_settings vmx_settings = {.ple_gap = 128, .ple_window = 4096};
struct vmx_controls vmx_controls;
struct vmx_capability vmx_capability;

struct vmx_cpu {
	uint64_t vmxon_region;
	bool enabled;
};
static struct vmx_cpu vmx_cpus[PERCPU_MAX_CPUS];

/* Pick a control value: required bits must be allowed to be 1, optional
 * bits are taken when allowed, bits the CPU forces to 1 are set. */
static int vmx_adjust(const char *name, uint64_t msr, uint32_t required, uint32_t optional,
                      uint32_t *value, char *error, size_t size)
{
	uint32_t must_be_one = (uint32_t)msr;
	uint32_t may_be_one = (uint32_t)(msr >> 32);
	uint32_t missing = required & ~may_be_one;
	if (missing) {
		format_string(error, size,
		              "%s controls: required bits 0x%x are not allowed to be 1 "
		              "(allowed-1 0x%x): this CPU lacks a control uslice needs",
		              name, missing, may_be_one);
		return -1;
	}
	*value = (required | (optional & may_be_one) | must_be_one) & may_be_one;
	return 0;
}

int vmx_controls_compute(const struct vmx_capability *c, char *error, size_t size)
{
	struct vmx_controls *v = &vmx_controls;
	if (!c->usable) {
		char why[160];
		vmx_capability_explain(c, why, sizeof(why));
		format_string(error, size, "VMX not usable: %s", why);
		return -1;
	}
	uint32_t secondary_required = VMX_PROC2_EPT | VMX_PROC2_VPID | VMX_PROC2_UNRESTRICTED_GUEST;
	if (vmx_settings.ple_gap)
		secondary_required |= VMX_PROC2_PAUSE_LOOP_EXITING;
	if (vmx_adjust("pin-based", c->pinbased,
	               VMX_PIN_EXTERNAL_INTERRUPT_EXITING | VMX_PIN_NMI_EXITING |
	                   VMX_PIN_PREEMPTION_TIMER,
	               VMX_PIN_VIRTUAL_NMIS, &v->pin, error, size) ||
	    vmx_adjust("processor-based", c->procbased,
	               VMX_PROC_HLT_EXITING | VMX_PROC_IO_BITMAPS | VMX_PROC_MSR_BITMAPS |
	                   VMX_PROC_SECONDARY_CONTROLS | VMX_PROC_MWAIT_EXITING |
	                   VMX_PROC_MONITOR_EXITING |
	                   /* the PMU is hidden (CPUID leaf 0xa): RDPMC gets #UD */
	                   VMX_PROC_RDPMC_EXITING |
	                   /* guest TSC = host TSC + the vCPU's offset (IA32_TSC writes) */
	                   VMX_PROC_USE_TSC_OFFSETTING |
	                   /* MOV CR8 is the vLAPIC's TPR: it must never reach the host's */
	                   VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING,
	               0, &v->processor, error, size) ||
	    vmx_adjust("secondary", c->procbased2, secondary_required,
	               VMX_PROC2_RDTSCP | VMX_PROC2_INVPCID, &v->secondary, error, size) ||
	    vmx_adjust("VM-exit", c->exit,
	               VMX_EXIT_HOST_ADDRESS_SPACE_64 | VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER |
	                   VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT,
	               0, &v->exit, error, size) ||
	    vmx_adjust("VM-entry", c->entry, VMX_ENTRY_LOAD_EFER | VMX_ENTRY_LOAD_PAT, 0, &v->entry,
	               error, size))
		return -1;
	/* Controls we handle ourselves and want off when the CPU allows it. */
	uint32_t unwanted = VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING |
	                    VMX_PROC_UNCONDITIONAL_IO_EXITING | VMX_PROC_PAUSE_EXITING;
	if (v->processor & unwanted & (uint32_t)c->procbased) {
		format_string(error, size, "processor-based controls: bits 0x%x are forced to 1",
		              v->processor & unwanted & (uint32_t)c->procbased);
		return -1;
	}
	/* The interrupt and NMI windows are opened per vCPU when needed. */
	v->processor &=
	    ~(unwanted | VMX_PROC_INTERRUPT_WINDOW_EXITING | VMX_PROC_NMI_WINDOW_EXITING) |
	    (uint32_t)c->procbased;
	v->exit &= ~VMX_EXIT_ACKNOWLEDGE_INTERRUPT | (uint32_t)c->exit;
	v->entry &= ~VMX_ENTRY_IA32E_GUEST;
	vmx_capability = *c;
	return 0;
}

int vmx_cpu_enable(char *error, size_t size)
{
	struct vmx_cpu *cpu = &vmx_cpus[percpu_this_index()];
	if (cpu->enabled)
		return 0;
	if (!cpu->vmxon_region) {
		cpu->vmxon_region = memory_alloc_pages_zeroed(1);
		if (!cpu->vmxon_region) {
			format_string(error, size, "no memory for the VMXON region");
			return -1;
		}
	}
	*(uint32_t *)(uintptr_t)cpu->vmxon_region = vmx_capability.revision;
	uint64_t cr0 = arch_cr0_read();
	cr0 |= arch_msr_read(MSR_VMX_CR0_FIXED0);
	cr0 &= arch_msr_read(MSR_VMX_CR0_FIXED1);
	arch_cr0_write(cr0);
	/* OSFXSR: FXSAVE/FXRSTOR of guest state include XMM0-15 and MXCSR. */
	uint64_t cr4 = arch_cr4_read() | ARCH_CR4_VMXE | ARCH_CR4_OSFXSR;
	cr4 |= arch_msr_read(MSR_VMX_CR4_FIXED0);
	cr4 &= arch_msr_read(MSR_VMX_CR4_FIXED1);
	arch_cr4_write(cr4);
	if (!vmx_vmxon(cpu->vmxon_region)) {
		format_string(error, size, "VMXON failed on cpu %u", percpu_this_index());
		return -1;
	}
	cpu->enabled = true;
	percpu_this()->vmx = cpu;
	log_info("vmx: VMXON on cpu %u (region 0x%llx)", percpu_this_index(),
	         (unsigned long long)cpu->vmxon_region);
	return 0;
}

/* The FXSAVE image after RESET/FNINIT (SDM Vol. 1, 10.5.1, Table 10-2):
 * FCW 0x37f at byte 0, MXCSR 0x1f80 at byte 24, everything else 0. And
 * DR6's reset value (SDM Vol. 3B, 18.2.3); DR0-3 reset to 0. */
#define VMX_FXSAVE_FCW_OFFSET   0
#define VMX_FXSAVE_MXCSR_OFFSET 24
#define VMX_FCW_RESET           0x037fu
#define VMX_MXCSR_RESET         0x1f80u
#define VMX_DR6_RESET           0xffff0ff0ull

static void vmx_extended_reset(struct vmx_guest_extended *extended)
{
	memset(extended, 0, sizeof(*extended));
	uint16_t fcw = VMX_FCW_RESET;
	uint32_t mxcsr = VMX_MXCSR_RESET;
	memcpy(&extended->fxsave[VMX_FXSAVE_FCW_OFFSET], &fcw, sizeof(fcw));
	memcpy(&extended->fxsave[VMX_FXSAVE_MXCSR_OFFSET], &mxcsr, sizeof(mxcsr));
	extended->dr6 = VMX_DR6_RESET;
}

/* Give the pCPU's x87/SSE and debug registers to `extended` (restore). */
static void vmx_extended_restore(const struct vmx_guest_extended *extended)
{
	__asm__ volatile("fxrstor64 %0" ::"m"(*(const uint8_t(*)[VM_FXSAVE_SIZE])extended->fxsave));
	__asm__ volatile("mov %0, %%dr0" ::"r"(extended->dr[0]));
	__asm__ volatile("mov %0, %%dr1" ::"r"(extended->dr[1]));
	__asm__ volatile("mov %0, %%dr2" ::"r"(extended->dr[2]));
	__asm__ volatile("mov %0, %%dr3" ::"r"(extended->dr[3]));
	__asm__ volatile("mov %0, %%dr6" ::"r"(extended->dr6));
}

/* Take them back (save) into `extended`. */
static void vmx_extended_save(struct vmx_guest_extended *extended)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[VM_FXSAVE_SIZE])extended->fxsave));
	__asm__ volatile("mov %%dr0, %0" : "=r"(extended->dr[0]));
	__asm__ volatile("mov %%dr1, %0" : "=r"(extended->dr[1]));
	__asm__ volatile("mov %%dr2, %0" : "=r"(extended->dr[2]));
	__asm__ volatile("mov %%dr3, %0" : "=r"(extended->dr[3]));
	__asm__ volatile("mov %%dr6, %0" : "=r"(extended->dr6));
}

struct vmx_descriptor_table {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Host fields that differ between pCPUs: rewritten whenever the VMCS is
 * loaded on a pCPU. */
static void vmx_write_host_per_cpu(void)
{
	struct vmx_descriptor_table gdt, idt;
	__asm__ volatile("sgdt %0" : "=m"(gdt));
	__asm__ volatile("sidt %0" : "=m"(idt));
	const uint64_t *gdt_entries = (const uint64_t *)(uintptr_t)gdt.base;
	uint64_t low = gdt_entries[3], high = gdt_entries[4];
	uint64_t tr_base = ((low >> 16) & 0xffffff) | (((low >> 56) & 0xff) << 24) | (high << 32);
	vmx_write(VMCS_HOST_TR_BASE, tr_base);
	vmx_write(VMCS_HOST_GDTR_BASE, gdt.base);
	vmx_write(VMCS_HOST_IDTR_BASE, idt.base);
	vmx_write(VMCS_HOST_GS_BASE, arch_msr_read(ARCH_MSR_GS_BASE));
	vmx_write(VMCS_HOST_FS_BASE, arch_msr_read(ARCH_MSR_FS_BASE));
}

extern char vmx_exit_entry[];

static void vmx_write_host_fixed(void)
{
	vmx_write(VMCS_HOST_CR0, arch_cr0_read());
	vmx_write(VMCS_HOST_CR3, arch_cr3_read());
	vmx_write(VMCS_HOST_CR4, arch_cr4_read());
	vmx_write(VMCS_HOST_CS_SELECTOR, 0x08);
	vmx_write(VMCS_HOST_SS_SELECTOR, 0x10);
	vmx_write(VMCS_HOST_DS_SELECTOR, 0x10);
	vmx_write(VMCS_HOST_ES_SELECTOR, 0x10);
	vmx_write(VMCS_HOST_FS_SELECTOR, 0);
	vmx_write(VMCS_HOST_GS_SELECTOR, 0);
	vmx_write(VMCS_HOST_TR_SELECTOR, 0x18);
	vmx_write(VMCS_HOST_SYSENTER_CS, 0);
	vmx_write(VMCS_HOST_SYSENTER_ESP, 0);
	vmx_write(VMCS_HOST_SYSENTER_EIP, 0);
	vmx_write(VMCS_HOST_EFER, arch_msr_read(ARCH_MSR_EFER));
	vmx_write(VMCS_HOST_PAT, arch_msr_read(ARCH_MSR_PAT));
	vmx_write(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
}

/* The entry state (vmx/entry.h): Multiboot 32-bit protected mode with
 * paging off, or Linux 64-bit long mode with the loader's GDT and page
 * tables; flat segments either way. */
static void vmx_write_guest_initial(const struct vcpu_entry *entry, struct vcpu *vcpu)
{
	bool linux64 = entry->mode == VCPU_ENTRY_LINUX64;
	uint16_t data = linux64 ? entry->data_selector : 0x10;
	static const uint32_t selectors[] = {VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_SS_SELECTOR,
	                                     VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_FS_SELECTOR,
	                                     VMCS_GUEST_GS_SELECTOR};
	/* Selector, base, limit and access fields of one segment share an
	 * offset from the ES field of their group. */
	for (unsigned i = 0; i < sizeof(selectors) / sizeof(selectors[0]); i++) {
		uint32_t offset = selectors[i] - VMCS_GUEST_ES_SELECTOR;
		vmx_write(selectors[i], data);
		vmx_write(VMCS_GUEST_ES_BASE + offset, 0);
		vmx_write(VMCS_GUEST_ES_LIMIT + offset, 0xffffffff);
		vmx_write(VMCS_GUEST_ES_ACCESS + offset, 0xc093);
	}
	vmx_write(VMCS_GUEST_CS_SELECTOR, linux64 ? entry->code_selector : 0x08);
	vmx_write(VMCS_GUEST_CS_BASE, 0);
	vmx_write(VMCS_GUEST_CS_LIMIT, 0xffffffff);
	vmx_write(VMCS_GUEST_CS_ACCESS, linux64 ? 0xa09b : 0xc09b); /* 64-bit: L, not D */
	vmx_write(VMCS_GUEST_LDTR_SELECTOR, 0);
	vmx_write(VMCS_GUEST_LDTR_BASE, 0);
	vmx_write(VMCS_GUEST_LDTR_LIMIT, 0);
	vmx_write(VMCS_GUEST_LDTR_ACCESS, 1u << 16); /* unusable */
	vmx_write(VMCS_GUEST_TR_SELECTOR, 0);
	vmx_write(VMCS_GUEST_TR_BASE, 0);
	vmx_write(VMCS_GUEST_TR_LIMIT, 0xffff);
	vmx_write(VMCS_GUEST_TR_ACCESS, 0x8b); /* present, busy 32/64-bit TSS */
	vmx_write(VMCS_GUEST_GDTR_BASE, linux64 ? entry->gdt_base : 0);
	vmx_write(VMCS_GUEST_GDTR_LIMIT, linux64 ? entry->gdt_limit : 0xffff);
	vmx_write(VMCS_GUEST_IDTR_BASE, 0);
	vmx_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	/* Guest CR0/CR4 carry the VMX fixed bits; the shadows show the guest's view. */
	uint64_t cr0_fixed0 = arch_msr_read(MSR_VMX_CR0_FIXED0) & ~(ARCH_CR0_PE | ARCH_CR0_PG);
	uint64_t cr0_fixed1 = arch_msr_read(MSR_VMX_CR0_FIXED1);
	uint64_t cr4_fixed0 = arch_msr_read(MSR_VMX_CR4_FIXED0);
	uint64_t cr4_fixed1 = arch_msr_read(MSR_VMX_CR4_FIXED1);
	uint64_t cr0 = linux64 ? entry->cr0 : ARCH_CR0_PE | ARCH_CR0_ET;
	uint64_t cr4 = linux64 ? entry->cr4 : 0;
	/* PG, and CD/NW (their combination is checked, vmx/cr.h), exit too. */
	vmx_write(VMCS_CR0_GUEST_HOST_MASK,
	          cr0_fixed0 | ~cr0_fixed1 | ARCH_CR0_PG | ARCH_CR0_CD | ARCH_CR0_NW);
	vmx_write(VMCS_CR0_READ_SHADOW, cr0);
	vmx_write(VMCS_GUEST_CR0, (cr0 | cr0_fixed0) & cr0_fixed1);
	/* CR4 bits of hidden features and PAE/PCIDE exit to be checked (vmx/cr.h). */
	vmx_write(VMCS_CR4_GUEST_HOST_MASK,
	          cr4_fixed0 | ~cr4_fixed1 | VMX_CR4_HIDDEN | ARCH_CR4_PAE | ARCH_CR4_PCIDE);
	vmx_write(VMCS_CR4_READ_SHADOW, cr4);
	vmx_write(VMCS_GUEST_CR4, (cr4 | cr4_fixed0) & cr4_fixed1);
	vmx_write(VMCS_GUEST_CR3, linux64 ? entry->cr3 : 0);
	vmx_write(VMCS_GUEST_DR7, 0x400);
	vmx_write(VMCS_GUEST_RSP, entry->rsp);
	vmx_write(VMCS_GUEST_RIP, entry->rip);
	vmx_write(VMCS_GUEST_RFLAGS, 0x2);
	vmx_write(VMCS_GUEST_PENDING_DEBUG, 0);
	vmx_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmx_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmx_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmx_write(VMCS_GUEST_DEBUGCTL, 0);
	vmx_write(VMCS_GUEST_PAT, 0x0007040600070406ull);
	vmx_write(VMCS_GUEST_EFER, linux64 ? entry->efer : 0);
	vmx_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmx_write(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmx_write(VMCS_LINK_POINTER, ~0ull);
	memset(&vcpu->registers, 0, sizeof(vcpu->registers));
	vcpu->registers.rax = entry->rax;
	vcpu->registers.rbx = entry->rbx;
	vcpu->registers.rsi = entry->rsi;
}

int vmx_vcpu_create(struct vcpu *vcpu, uint32_t entry, uint32_t eax, uint32_t ebx, char *error,
                    size_t size)
{
	struct vm *vm = vcpu->vm;
	vcpu->vmcs = memory_alloc_pages_zeroed(1);
	if (!vcpu->vmcs) {
		format_string(error, size, "no memory for a VMCS");
		return -1;
	}
	*(uint32_t *)(uintptr_t)vcpu->vmcs = vmx_capability.revision;
	vcpu->loaded_cpu = -1;
	vcpu->last_cpu = -1;
	if ((uintptr_t)vcpu->extended.fxsave % VM_FXSAVE_ALIGN != 0)
		panic("vmx: vCPU %u of VM %s: FXSAVE area at %p is not %u-byte aligned",
		      vcpu->index, vm->name, (void *)vcpu->extended.fxsave, VM_FXSAVE_ALIGN);
	vmx_extended_reset(&vcpu->extended);
	if (!vmx_vmclear(vcpu->vmcs)) {
		format_string(error, size, "VMCLEAR of a new VMCS failed");
		return -1;
	}
	vmx_vcpu_load(vcpu);
	/* The Multiboot state from the arguments; a Linux one from vcpu->entry. */
	struct vcpu_entry state = vcpu->entry;
	if (state.mode != VCPU_ENTRY_LINUX64)
		state = (struct vcpu_entry){
		    .mode = VCPU_ENTRY_MULTIBOOT32, .rip = entry, .rax = eax, .rbx = ebx};
	vcpu->processor_controls = vmx_controls.processor;
	vcpu->entry_controls =
	    vmx_controls.entry | (state.mode == VCPU_ENTRY_LINUX64 ? VMX_ENTRY_IA32E_GUEST : 0);
	vmx_write(VMCS_PIN_CONTROLS, vmx_controls.pin);
	vmx_write(VMCS_PROCESSOR_CONTROLS, vcpu->processor_controls);
	vmx_write(VMCS_SECONDARY_CONTROLS, vmx_controls.secondary);
	vmx_write(VMCS_EXIT_CONTROLS, vmx_controls.exit);
	vmx_write(VMCS_ENTRY_CONTROLS, vcpu->entry_controls);
	vmx_write(VMCS_EXCEPTION_BITMAP, 0);
	vmx_write(VMCS_PAGE_FAULT_ERROR_MASK, 0);
	vmx_write(VMCS_PAGE_FAULT_ERROR_MATCH, 0);
	vmx_write(VMCS_CR3_TARGET_COUNT, 0);
	vmx_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmx_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmx_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmx_write(VMCS_ENTRY_INTERRUPTION_INFO, 0);
	vmx_write(VMCS_TSC_OFFSET, 0);
	vmx_write(VMCS_VPID, vm->vpid);
	vmx_write(VMCS_EPT_POINTER, vm->ept_pointer);
	vmx_write(VMCS_IO_BITMAP_A, vm->io_bitmap_a);
	vmx_write(VMCS_IO_BITMAP_B, vm->io_bitmap_b);
	vmx_write(VMCS_MSR_BITMAP, vm->msr_bitmap);
	if (vmx_controls.secondary & VMX_PROC2_PAUSE_LOOP_EXITING) {
		vmx_write(VMCS_PLE_GAP, vmx_settings.ple_gap);
		vmx_write(VMCS_PLE_WINDOW, vmx_settings.ple_window);
	}
	vmx_write_host_fixed();
	vmx_write_guest_initial(&state, vcpu);
	vcpu->apic_base = 0xfee00000ull | (1ull << 11) | (vcpu->index == 0 ? 1ull << 8 : 0);
	vcpu->misc_enable = 1; /* fast strings */
	return 0;
}

void vmx_vcpu_load(struct vcpu *vcpu)
{
	int32_t self = (int32_t)percpu_this_index();
	if (vcpu->loaded_cpu != self) {
		if (vcpu->loaded_cpu >= 0)
			vm_stop(vcpu->vm, "vmx: vCPU %u loaded on cpu %d while current on cpu %d",
			        vcpu->index, self, vcpu->loaded_cpu);
		vmx_vmptrld(vcpu->vmcs);
		vcpu->loaded_cpu = self;
		vmx_write_host_per_cpu();
		if (vcpu->last_cpu != self) {
			/* Stale translations of this VPID/EPT may linger here. */
			vmx_invvpid_single(vcpu->vm->vpid);
			vmx_invept_single(vcpu->vm->ept_pointer);
		}
		vcpu->last_cpu = self;
	}
	vmx_extended_restore(&vcpu->extended);
	arch_msr_write(ARCH_MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
	arch_msr_write(ARCH_MSR_STAR, vcpu->star);
	arch_msr_write(ARCH_MSR_LSTAR, vcpu->lstar);
	arch_msr_write(ARCH_MSR_CSTAR, vcpu->cstar);
	arch_msr_write(ARCH_MSR_SYSCALL_MASK, vcpu->syscall_mask);
	if (vmx_controls.secondary & VMX_PROC2_RDTSCP)
		arch_msr_write(ARCH_MSR_TSC_AUX, vcpu->tsc_aux);
}

void vmx_vcpu_put(struct vcpu *vcpu)
{
	vcpu->kernel_gs_base = arch_msr_read(ARCH_MSR_KERNEL_GS_BASE);
	vcpu->star = arch_msr_read(ARCH_MSR_STAR);
	vcpu->lstar = arch_msr_read(ARCH_MSR_LSTAR);
	vcpu->cstar = arch_msr_read(ARCH_MSR_CSTAR);
	vcpu->syscall_mask = arch_msr_read(ARCH_MSR_SYSCALL_MASK);
	if (vmx_controls.secondary & VMX_PROC2_RDTSCP)
		vcpu->tsc_aux = arch_msr_read(ARCH_MSR_TSC_AUX);
	arch_msr_write(ARCH_MSR_KERNEL_GS_BASE, 0);
	vmx_extended_save(&vcpu->extended);
	vmx_vmclear(vcpu->vmcs);
	vcpu->launched = false;
	/* Release: a pCPU that sees -1 may VMPTRLD this VMCS and finds
	 * everything written above. */
	__atomic_store_n(&vcpu->loaded_cpu, -1, __ATOMIC_RELEASE);
}

void vmx_inject_exception(struct vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error)
{
	/* The VMWRITEs below go to the current VMCS: it must be this vCPU's. */
	int32_t self = (int32_t)percpu_this_index();
	if (__atomic_load_n(&vcpu->loaded_cpu, __ATOMIC_RELAXED) != self)
		panic(
		    "vmx: injecting vector %u into VM %s vCPU %u, whose VMCS is current on cpu %d, "
		    "not here (cpu %d)",
		    vector, vcpu->vm->name, vcpu->index, vcpu->loaded_cpu, self);
	uint32_t info = VMX_INTERRUPTION_VALID | VMX_INTERRUPTION_TYPE_HARDWARE_EXCEPTION | vector;
	/* Event injection delivers with the guest RFLAGS as they are: it does
	 * not set RF (SDM Vol. 3C, "Event Injection": the RFLAGS pushed are the
	 * guest-state field's). A fault's handler must return to
	 * the faulting instruction with RF = 1 in the pushed RFLAGS (Vol. 3A,
	 * 17.3.1.1), so set it in the guest RFLAGS first, as KVM does for
	 * injected faults (arch/x86/kvm/x86.c, inject_pending_event). */
	if (vector < ARCH_VECTOR_EXCEPTIONS && (ARCH_VECTOR_FAULTS & (1u << vector)))
		vmx_write(VMCS_GUEST_RFLAGS, vmx_read(VMCS_GUEST_RFLAGS) | ARCH_RFLAGS_RF);
	if (has_error) {
		info |= VMX_INTERRUPTION_ERROR_CODE;
		vmx_write(VMCS_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmx_write(VMCS_ENTRY_INTERRUPTION_INFO, info);
}

void vmx_vmcs_dump(struct vcpu *vcpu, const char *why)
{
	const char *name = vcpu->vm->name;
	log_record("VMCS vm=%s vcpu=%u cpu=%u why=\"%s\" exit_reason=0x%llx qualification=0x%llx "
	           "instruction_error=%llu gpa=0x%llx linear=0x%llx interruption=0x%llx "
	           "idt_vectoring=0x%llx instruction_length=%llu",
	           name, vcpu->index, percpu_this_index(), why,
	           (unsigned long long)vmx_read(VMCS_EXIT_REASON),
	           (unsigned long long)vmx_read(VMCS_EXIT_QUALIFICATION),
	           (unsigned long long)vmx_read(VMCS_INSTRUCTION_ERROR),
	           (unsigned long long)vmx_read(VMCS_GUEST_PHYSICAL_ADDRESS),
	           (unsigned long long)vmx_read(VMCS_GUEST_LINEAR_ADDRESS),
	           (unsigned long long)vmx_read(VMCS_EXIT_INTERRUPTION_INFO),
	           (unsigned long long)vmx_read(VMCS_IDT_VECTORING_INFO),
	           (unsigned long long)vmx_read(VMCS_EXIT_INSTRUCTION_LENGTH));
	log_record("VMCS vm=%s guest rip=0x%llx rsp=0x%llx rflags=0x%llx cr0=0x%llx cr3=0x%llx "
	           "cr4=0x%llx efer=0x%llx cr0_shadow=0x%llx cr4_shadow=0x%llx activity=%llu "
	           "interruptibility=0x%llx entry_interruption=0x%llx",
	           name, (unsigned long long)vmx_read(VMCS_GUEST_RIP),
	           (unsigned long long)vmx_read(VMCS_GUEST_RSP),
	           (unsigned long long)vmx_read(VMCS_GUEST_RFLAGS),
	           (unsigned long long)vmx_read(VMCS_GUEST_CR0),
	           (unsigned long long)vmx_read(VMCS_GUEST_CR3),
	           (unsigned long long)vmx_read(VMCS_GUEST_CR4),
	           (unsigned long long)vmx_read(VMCS_GUEST_EFER),
	           (unsigned long long)vmx_read(VMCS_CR0_READ_SHADOW),
	           (unsigned long long)vmx_read(VMCS_CR4_READ_SHADOW),
	           (unsigned long long)vmx_read(VMCS_GUEST_ACTIVITY_STATE),
	           (unsigned long long)vmx_read(VMCS_GUEST_INTERRUPTIBILITY),
	           (unsigned long long)vmx_read(VMCS_ENTRY_INTERRUPTION_INFO));
	static const struct {
		const char *name;
		uint32_t selector;
	} segments[] = {
	    {"cs", VMCS_GUEST_CS_SELECTOR},     {"ss", VMCS_GUEST_SS_SELECTOR},
	    {"ds", VMCS_GUEST_DS_SELECTOR},     {"es", VMCS_GUEST_ES_SELECTOR},
	    {"fs", VMCS_GUEST_FS_SELECTOR},     {"gs", VMCS_GUEST_GS_SELECTOR},
	    {"ldtr", VMCS_GUEST_LDTR_SELECTOR}, {"tr", VMCS_GUEST_TR_SELECTOR},
	};
	for (unsigned i = 0; i < sizeof(segments) / sizeof(segments[0]); i++) {
		uint32_t offset = segments[i].selector - VMCS_GUEST_ES_SELECTOR;
		log_record(
		    "VMCS vm=%s guest %s selector=0x%llx base=0x%llx limit=0x%llx access=0x%llx",
		    name, segments[i].name, (unsigned long long)vmx_read(segments[i].selector),
		    (unsigned long long)vmx_read(VMCS_GUEST_ES_BASE + offset),
		    (unsigned long long)vmx_read(VMCS_GUEST_ES_LIMIT + offset),
		    (unsigned long long)vmx_read(VMCS_GUEST_ES_ACCESS + offset));
	}
	log_record(
	    "VMCS vm=%s controls pin=0x%llx processor=0x%llx secondary=0x%llx exit=0x%llx "
	    "entry=0x%llx ept_pointer=0x%llx vpid=%llu gdtr=0x%llx/0x%llx idtr=0x%llx/0x%llx",
	    name, (unsigned long long)vmx_read(VMCS_PIN_CONTROLS),
	    (unsigned long long)vmx_read(VMCS_PROCESSOR_CONTROLS),
	    (unsigned long long)vmx_read(VMCS_SECONDARY_CONTROLS),
	    (unsigned long long)vmx_read(VMCS_EXIT_CONTROLS),
	    (unsigned long long)vmx_read(VMCS_ENTRY_CONTROLS),
	    (unsigned long long)vmx_read(VMCS_EPT_POINTER), (unsigned long long)vmx_read(VMCS_VPID),
	    (unsigned long long)vmx_read(VMCS_GUEST_GDTR_BASE),
	    (unsigned long long)vmx_read(VMCS_GUEST_GDTR_LIMIT),
	    (unsigned long long)vmx_read(VMCS_GUEST_IDTR_BASE),
	    (unsigned long long)vmx_read(VMCS_GUEST_IDTR_LIMIT));
	const struct vmx_guest_registers *r = &vcpu->registers;
	log_record("VMCS vm=%s registers rax=0x%llx rbx=0x%llx rcx=0x%llx rdx=0x%llx rsi=0x%llx "
	           "rdi=0x%llx rbp=0x%llx cr2=0x%llx",
	           name, (unsigned long long)r->rax, (unsigned long long)r->rbx,
	           (unsigned long long)r->rcx, (unsigned long long)r->rdx,
	           (unsigned long long)r->rsi, (unsigned long long)r->rdi,
	           (unsigned long long)r->rbp, (unsigned long long)r->cr2);
}

/* VMX-preemption-timer value for `deadline` (TSC), saturated. */
static uint32_t vmx_preemption_ticks(uint64_t deadline)
{
	uint64_t now = arch_tsc_read();
	if (deadline <= now)
		return 0;
	uint64_t ticks = (deadline - now) >> (vmx_capability.misc & 0x1f);
	return ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks;
}

enum vmx_leave vmx_vcpu_run_slice(struct vcpu *vcpu, uint64_t deadline)
{
	struct vm *vm = vcpu->vm;
	vcpu->leave = VMX_LEAVE_NONE;
	while (vcpu->leave == VMX_LEAVE_NONE) {
		if (vcpu->stop || vm->state != VM_STATE_RUNNING)
			return VMX_LEAVE_STOP;
		arch_interrupts_disable();
		if (vmx_schedule_kick_pending()) {
			arch_interrupts_enable();
			return VMX_LEAVE_KICK;
		}
		if (!vmx_exit_prepare_entry(vcpu)) {
			/* An INIT was taken: the vCPU runs no guest code until its
			 * STARTUP (Bochs would wake the parked HLT state for a
			 * host interrupt and run the reset vector). */
			arch_interrupts_enable();
			return VMX_LEAVE_BLOCK;
		}
		if (vcpu->ept_generation != vm->ept_generation) {
			/* A BAR window moved: drop this EPT's stale translations. */
			vcpu->ept_generation = vm->ept_generation;
			vmx_invept_single(vm->ept_pointer);
		}
		vmx_write(VMCS_PREEMPTION_TIMER_VALUE, vmx_preemption_ticks(deadline));
		int failure = vmx_enter(&vcpu->registers, vcpu->launched);
		if (failure) {
			char why[80];
			format_string(why, sizeof(why), "%s failed (%s)",
			              vcpu->launched ? "VMRESUME" : "VMLAUNCH",
			              failure == 1 ? "VMfailInvalid" : "VMfailValid");
			vmx_vmcs_dump(vcpu, why);
			vm_stop(vm, "entry-failure: %s, VM-instruction error %llu", why,
			        failure == 2 ? (unsigned long long)vmx_read(VMCS_INSTRUCTION_ERROR)
			                     : 0ull);
			arch_interrupts_enable();
			return VMX_LEAVE_STOP;
		}
		vcpu->launched = true;
		vmx_exit_dispatch(vcpu);
		/* Host interrupts that made the guest exit are taken here. */
		arch_interrupts_enable();
		__asm__ volatile("nop" ::: "memory");
		if (vcpu->stop || vm->state != VM_STATE_RUNNING)
			return VMX_LEAVE_STOP;
		if (vcpu->leave == VMX_LEAVE_NONE && deadline != UINT64_MAX &&
		    arch_tsc_read() >= deadline)
			vcpu->leave = VMX_LEAVE_DEADLINE;
	}
	return vcpu->leave;
}
