/*
 * vmx/vcpu_interrupt.c - a vCPU's interrupt state: the vLAPIC's
 * environment, injection at VM entry, windows, INIT/SIPI, the vLAPIC timer
 * on a kernel timer (see vcpu_interrupt.h and docs/smp.md).
 *
 * Lock order: owner functions take no lock; the EOI broadcast takes the
 * platform lock (platform_eoi); vmx_vcpu_notify() takes the scheduler
 * lock. None of them is held while another is taken here.
 */
#include "vmx/vcpu_interrupt.h"

#include "vmx/assign_irq.h"

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/trap.h"
#include "kernel/lock.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "vmx/notify.h"
#include "vmx/platform.h"
#include "vmx/vm.h"
#include "vmx/vmx.h"

#define VCPU_INTERRUPT_RESET_CR0        0x60000010ull /* CD, NW, ET */
#define VCPU_INTERRUPT_TIMER_HZ_KHZ     100000u       /* vLAPIC timer clock target: 100 MHz */
#define VCPU_INTERRUPT_TIMER_MINIMUM_US 10u           /* shortest vLAPIC timer: 10 us */
#define VCPU_INTERRUPT_US_PER_MS        1000u

/* ---- the vLAPIC's environment ------------------------------------------- */

uint64_t vcpu_interrupt_guest_tsc(struct vcpu *vcpu)
{
	return arch_tsc_read() + vcpu->interrupt.tsc_offset; /* what RDTSC reads */
}

static uint64_t vcpu_interrupt_now(void *context)
{
	return vcpu_interrupt_guest_tsc(context);
}

/* Host timer expiry, on the pCPU that armed it, interrupts off. The owner
 * sets IRR at its next entry or HLT check: the deadline is due by then. */
static void vcpu_interrupt_timer_expired(struct timer *timer, void *context)
{
	(void)timer;
	struct vcpu *vcpu = context;
	__atomic_add_fetch(&vcpu->interrupt.counters.timer_callbacks, 1, __ATOMIC_RELAXED);
	vmx_vcpu_notify(vcpu, VMX_NOTIFY_TIMER);
}

/* `deadline` is a guest TSC; the host timer runs on the host TSC. */
static void vcpu_interrupt_host_timer_start(struct vcpu *vcpu, uint64_t deadline)
{
	uint64_t host = deadline - vcpu->interrupt.tsc_offset;
	timer_start(&vcpu->interrupt.timer, host ? host : 1, vcpu_interrupt_timer_expired, vcpu);
}

static void vcpu_interrupt_timer_arm(void *context, uint64_t deadline)
{
	struct vcpu *vcpu = context;
	if (deadline)
		vcpu_interrupt_host_timer_start(vcpu, deadline);
	else
		timer_cancel(&vcpu->interrupt.timer);
}

void vcpu_interrupt_set_tsc_offset(struct vcpu *vcpu, uint64_t offset)
{
	struct vcpu_interrupt *state = &vcpu->interrupt;
	state->tsc_offset = offset;
	vmx_write(VMCS_TSC_OFFSET, offset);
	uint64_t deadline = vlapic_timer_deadline(&state->vlapic);
	if (deadline) /* the deadline is a guest TSC: it moved on the host's */
		vcpu_interrupt_host_timer_start(vcpu, deadline);
}

struct vcpu_interrupt_route {
	struct vm *vm;
	uint32_t targets; /* bit per vCPU index that took the message */
};

static void vcpu_interrupt_route_deliver(void *context, unsigned index,
                                         const struct vlapic_ipi *ipi)
{
	struct vcpu_interrupt_route *route = context;
	if (index < route->vm->vcpu_count && vlapic_deliver(route->vm->vlapics[index], ipi))
		route->targets |= 1u << index;
}

static void vcpu_interrupt_send_ipi(void *context, const struct vlapic_ipi *ipi)
{
	struct vcpu *vcpu = context;
	struct vm *vm = vcpu->vm;
	struct vcpu_interrupt_route route = {vm, 0};
	vlapic_route(vm->vlapics, vm->vcpu_count, ipi, vcpu->index, vcpu_interrupt_route_deliver,
	             &route);
	enum vmx_notify_kind kind = ipi->delivery_mode == VLAPIC_DELIVERY_INIT ||
	                                    ipi->delivery_mode == VLAPIC_DELIVERY_STARTUP
	                                ? VMX_NOTIFY_INIT_SIPI
	                                : VMX_NOTIFY_IPI;
	for (uint32_t bits = route.targets; bits; bits &= bits - 1) {
		unsigned index = (unsigned)__builtin_ctz(bits);
		vcpu->interrupt.counters.ipis_routed++;
		if (index != vcpu->index) /* a self IPI is taken at the next entry */
			vmx_vcpu_notify(vm->vcpus[index], kind);
	}
}

static void vcpu_interrupt_eoi_broadcast(void *context, uint8_t vector)
{
	struct vcpu *vcpu = context;
	platform_eoi(vcpu->vm, vector);
}

static const struct vlapic_ops vcpu_interrupt_ops = {
    .now_tsc = vcpu_interrupt_now,
    .timer_arm = vcpu_interrupt_timer_arm,
    .send_ipi = vcpu_interrupt_send_ipi,
    .eoi_broadcast = vcpu_interrupt_eoi_broadcast,
};

void vcpu_interrupt_init(struct vcpu *vcpu)
{
	struct vcpu_interrupt *state = &vcpu->interrupt;
	memset(state, 0, sizeof(*state));
	vlapic_init(&state->vlapic, vcpu->index, &vcpu_interrupt_ops, vcpu);
	/* Timer clock near 100 MHz, at least one TSC tick per timer tick. */
	uint64_t ratio = timer_tsc_khz / VCPU_INTERRUPT_TIMER_HZ_KHZ;
	vlapic_set_timer_ratio(&state->vlapic, ratio ? (uint32_t)ratio : 1);
	vlapic_set_timer_minimum(&state->vlapic, timer_tsc_khz * VCPU_INTERRUPT_TIMER_MINIMUM_US /
	                                             VCPU_INTERRUPT_US_PER_MS);
	vcpu->vm->vlapics[vcpu->index] = &state->vlapic;
	vcpu->apic_base = state->vlapic.apic_base;
	state->initialized = true;
}

/* ---- architectural states ------------------------------------------------ */

static void vcpu_interrupt_write_segment(uint32_t selector_field, uint16_t selector, uint64_t base,
                                         uint32_t access)
{
	uint32_t offset = selector_field - VMCS_GUEST_ES_SELECTOR;
	vmx_write(selector_field, selector);
	vmx_write(VMCS_GUEST_ES_BASE + offset, base);
	vmx_write(VMCS_GUEST_ES_LIMIT + offset, 0xffff);
	vmx_write(VMCS_GUEST_ES_ACCESS + offset, access);
}

/*
 * Real mode (unrestricted guest) at CS = `code_selector`:`rip`, CS base
 * `code_base`, paging and protection off, interrupts off, the other
 * registers as after INIT, in activity state `activity`.
 */
static void vcpu_interrupt_write_real_mode(struct vcpu *vcpu, uint16_t code_selector,
                                           uint64_t code_base, uint64_t rip, unsigned activity)
{
	static const uint32_t data_segments[] = {VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_SS_SELECTOR,
	                                         VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_FS_SELECTOR,
	                                         VMCS_GUEST_GS_SELECTOR};
	for (unsigned i = 0; i < sizeof(data_segments) / sizeof(data_segments[0]); i++)
		vcpu_interrupt_write_segment(data_segments[i], 0, 0, 0x93);
	vcpu_interrupt_write_segment(VMCS_GUEST_CS_SELECTOR, code_selector, code_base, 0x9b);
	vcpu_interrupt_write_segment(VMCS_GUEST_TR_SELECTOR, 0, 0, 0x8b);
	vmx_write(VMCS_GUEST_LDTR_SELECTOR, 0);
	vmx_write(VMCS_GUEST_LDTR_BASE, 0);
	vmx_write(VMCS_GUEST_LDTR_LIMIT, 0xffff);
	vmx_write(VMCS_GUEST_LDTR_ACCESS, 0x82);
	vmx_write(VMCS_GUEST_GDTR_BASE, 0);
	vmx_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmx_write(VMCS_GUEST_IDTR_BASE, 0);
	vmx_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	/* The guest sees CR0 = 0x60000010; the real CR0 keeps the VMX fixed
	 * bits except PE and PG (unrestricted guest), without CD/NW. */
	uint64_t cr0_fixed0 = arch_msr_read(MSR_VMX_CR0_FIXED0) & ~(ARCH_CR0_PE | ARCH_CR0_PG);
	uint64_t cr0_fixed1 = arch_msr_read(MSR_VMX_CR0_FIXED1);
	vmx_write(VMCS_CR0_READ_SHADOW, VCPU_INTERRUPT_RESET_CR0);
	vmx_write(VMCS_GUEST_CR0, (ARCH_CR0_ET | cr0_fixed0) & cr0_fixed1);
	vmx_write(VMCS_CR4_READ_SHADOW, 0);
	vmx_write(VMCS_GUEST_CR4,
	          arch_msr_read(MSR_VMX_CR4_FIXED0) & arch_msr_read(MSR_VMX_CR4_FIXED1));
	vmx_write(VMCS_GUEST_CR3, 0);
	vmx_write(VMCS_GUEST_EFER, 0);
	vcpu->entry_controls &= ~VMX_ENTRY_IA32E_GUEST;
	vmx_write(VMCS_ENTRY_CONTROLS, vcpu->entry_controls);
	vmx_write(VMCS_GUEST_DR7, 0x400);
	vmx_write(VMCS_GUEST_RSP, 0);
	vmx_write(VMCS_GUEST_RIP, rip);
	vmx_write(VMCS_GUEST_RFLAGS, 0x2);
	vmx_write(VMCS_GUEST_PENDING_DEBUG, 0);
	vmx_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmx_write(VMCS_GUEST_ACTIVITY_STATE, activity);
	vmx_write(VMCS_ENTRY_INTERRUPTION_INFO, 0);
	vcpu->processor_controls &=
	    ~(VMX_PROC_INTERRUPT_WINDOW_EXITING | VMX_PROC_NMI_WINDOW_EXITING);
	vmx_write(VMCS_PROCESSOR_CONTROLS, vcpu->processor_controls);
	memset(&vcpu->registers, 0, sizeof(vcpu->registers));
	vcpu->registers.rdx = 0x600; /* family 6 (reset value of EDX) */
}

/* INIT: the reset state, parked in the HLT activity state. Nothing is ever
 * injected while it waits, so only a host interrupt (a kick) makes it exit.
 * RFLAGS.IF is set in the parked state because an emulator (Bochs 2.7)
 * wakes a HLT state for an external interrupt only when IF = 1, although
 * external-interrupt exiting makes IF irrelevant on hardware; the SIPI
 * state clears it again. */
static void vcpu_interrupt_write_wait_state(struct vcpu *vcpu)
{
	vcpu_interrupt_write_real_mode(vcpu, 0xf000, 0xffff0000ull, 0xfff0, VMX_ACTIVITY_HLT);
	vmx_write(VMCS_GUEST_RFLAGS, 0x2 | ARCH_RFLAGS_IF);
	vcpu->interrupt.vmcs_waiting = true;
}

/* SIPI: real mode at vector << 12 (CS = vector << 8, IP = 0). */
static void vcpu_interrupt_write_startup_state(struct vcpu *vcpu, uint8_t vector)
{
	vcpu_interrupt_write_real_mode(vcpu, (uint16_t)(vector << 8), (uint64_t)vector << 12, 0,
	                               VMX_ACTIVITY_ACTIVE);
	vcpu->interrupt.vmcs_waiting = false;
	vcpu->interrupt.startup_tsc = arch_tsc_read();
	vcpu->interrupt.counters.startups++;
}

/* ---- entry ------------------------------------------------------------- */

/* A legacy single-vector source (vcpu->pending_interrupt) joins IRR. */
static void vcpu_interrupt_take_legacy(struct vcpu *vcpu)
{
	uint32_t pending = __atomic_exchange_n(&vcpu->pending_interrupt, 0, __ATOMIC_ACQ_REL);
	if (pending)
		vlapic_set_irr(&vcpu->interrupt.vlapic, (uint8_t)(pending - 1), false);
}

/* Fire the vLAPIC timer if its deadline passed; keep its host timer on
 * this pCPU. */
static void vcpu_interrupt_check_timer(struct vcpu *vcpu)
{
	struct vcpu_interrupt *state = &vcpu->interrupt;
	uint64_t deadline = vlapic_timer_deadline(&state->vlapic);
	if (!deadline)
		return;
	uint64_t now = vcpu_interrupt_guest_tsc(vcpu);
	if (now >= deadline) {
		vlapic_timer_expired(&state->vlapic, now);
		return;
	}
	if (__atomic_load_n(&state->timer.armed, __ATOMIC_ACQUIRE) &&
	    state->timer.cpu != percpu_this_index())
		vcpu_interrupt_host_timer_start(vcpu, deadline);
}

static void vcpu_interrupt_set_windows(struct vcpu *vcpu, uint32_t wanted)
{
	uint32_t mask = VMX_PROC_INTERRUPT_WINDOW_EXITING | VMX_PROC_NMI_WINDOW_EXITING;
	uint32_t controls = (vcpu->processor_controls & ~mask) | (wanted & mask);
	if (controls != vcpu->processor_controls) {
		vcpu->processor_controls = controls;
		vmx_write(VMCS_PROCESSOR_CONTROLS, controls);
	}
}

/* NMI-window exiting needs virtual NMIs; without them an NMI waits for the
 * next interrupt window instead. */
static bool vcpu_interrupt_nmi_window_available(void)
{
	return (vmx_controls.pin & VMX_PIN_VIRTUAL_NMIS) &&
	       ((vmx_capability.procbased >> 32) & VMX_PROC_NMI_WINDOW_EXITING);
}

static void vcpu_interrupt_inject(struct vcpu *vcpu)
{
	struct vcpu_interrupt *state = &vcpu->interrupt;
	struct vlapic *vlapic = &state->vlapic;
	bool nmi = vlapic_nmi_pending(vlapic);
	int vector = vlapic_pending_vector(vlapic);
	if (!nmi && vector < 0) {
		vcpu_interrupt_set_windows(vcpu, 0);
		return;
	}
	uint32_t blocking = (uint32_t)vmx_read(VMCS_GUEST_INTERRUPTIBILITY);
	bool busy = vmx_read(VMCS_ENTRY_INTERRUPTION_INFO) & VMX_INTERRUPTION_VALID;
	if (blocking & VMX_INTERRUPTIBILITY_NMI)
		vlapic_nmi_limit(vlapic, 1); /* one is being handled: one more latches */
	bool shadow = blocking & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS);
	if (!busy && nmi && !shadow && !(blocking & VMX_INTERRUPTIBILITY_NMI)) {
		vmx_write(VMCS_ENTRY_INTERRUPTION_INFO,
		          VMX_INTERRUPTION_VALID | VMX_INTERRUPTION_TYPE_NMI | ARCH_VECTOR_NMI);
		vlapic_nmi_acknowledge(vlapic);
		state->counters.injected_nmis++;
		nmi = false;
		busy = true;
	}
	if (!busy && !nmi && vector >= 0 && !shadow &&
	    (vmx_read(VMCS_GUEST_RFLAGS) & ARCH_RFLAGS_IF)) {
		vmx_write(VMCS_ENTRY_INTERRUPTION_INFO, VMX_INTERRUPTION_VALID |
		                                            VMX_INTERRUPTION_TYPE_EXTERNAL |
		                                            (uint32_t)vector);
		vlapic_acknowledge(vlapic, (uint8_t)vector);
		state->counters.injected_interrupts++;
		vmx_assign_injected(vcpu, (uint8_t)vector);
		vector = vlapic_pending_vector(vlapic); /* a higher one may follow */
	}
	uint32_t wanted = 0;
	if (vector >= 0)
		wanted |= VMX_PROC_INTERRUPT_WINDOW_EXITING;
	if (nmi)
		wanted |= vcpu_interrupt_nmi_window_available() ? VMX_PROC_NMI_WINDOW_EXITING
		                                                : VMX_PROC_INTERRUPT_WINDOW_EXITING;
	vcpu_interrupt_set_windows(vcpu, wanted);
}

bool vcpu_interrupt_prepare_entry(struct vcpu *vcpu)
{
	struct vcpu_interrupt *state = &vcpu->interrupt;
	if (!state->initialized)
		return true;
	struct vlapic *vlapic = &state->vlapic;
	vcpu_interrupt_take_legacy(vcpu);
	unsigned events = vlapic_poll(vlapic);
	if (events & VLAPIC_EVENT_INIT) {
		state->counters.resets++;
		state->vmcs_waiting = false;
	}
	if (vlapic->run_state == VLAPIC_RUN_WAIT_FOR_SIPI) {
		if (!state->vmcs_waiting)
			vcpu_interrupt_write_wait_state(vcpu);
		return false;
	}
	if (events & VLAPIC_EVENT_STARTUP)
		vcpu_interrupt_write_startup_state(vcpu, vlapic->startup_vector);
	vcpu->apic_base = vlapic->apic_base;
	vcpu_interrupt_check_timer(vcpu);
	vcpu_interrupt_inject(vcpu);
	return true;
}

bool vcpu_interrupt_waiting_for_startup(struct vcpu *vcpu)
{
	struct vlapic *vlapic = &vcpu->interrupt.vlapic;
	if (!vcpu->interrupt.initialized)
		return false;
	vlapic_nmi_pending(vlapic); /* takes posted messages in */
	return vlapic->run_state == VLAPIC_RUN_WAIT_FOR_SIPI;
}

bool vmx_vcpu_has_pending_event(struct vcpu *vcpu)
{
	struct vcpu_interrupt *state = &vcpu->interrupt;
	if (!state->initialized)
		return __atomic_load_n(&vcpu->pending_interrupt, __ATOMIC_ACQUIRE) != 0;
	struct vlapic *vlapic = &state->vlapic;
	vcpu_interrupt_take_legacy(vcpu);
	vcpu_interrupt_check_timer(vcpu);
	if (vlapic_nmi_pending(vlapic)) /* also takes posted messages in */
		return true;
	if (vlapic->events & (VLAPIC_EVENT_INIT | VLAPIC_EVENT_STARTUP))
		return true;
	return vlapic->run_state == VLAPIC_RUN_ACTIVE && vlapic_pending_vector(vlapic) >= 0;
}

/* ---- exit handlers -------------------------------------------------------- */

int vcpu_interrupt_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value)
{
	if (!vcpu->interrupt.initialized || !vlapic_msr_handled(msr))
		return 1;
	vcpu->interrupt.counters.apic_msr_accesses++;
	return vlapic_msr_read(&vcpu->interrupt.vlapic, msr, value) == 0 ? 0 : -1;
}

/* Another MMIO hook than an xAPIC page's overlaps [base, base + page)? */
static bool vcpu_interrupt_page_hooked(struct vm *vm, uint64_t base, bool *apic)
{
	for (uint32_t i = 0; i < vm->mmio_count; i++) {
		const struct vm_mmio_hook *hook = &vm->mmio[i];
		if (base < hook->base + hook->length && hook->base < base + VLAPIC_PAGE_SIZE) {
			*apic = hook->access == vcpu_interrupt_apic_access && hook->base == base;
			return true;
		}
	}
	return false;
}

/*
 * A new xAPIC base: the page must lie outside guest RAM (the EPT maps RAM,
 * so an access there would never exit) and not on another device; a hook
 * is added for it unless one is there (hooks stay: a vCPU whose base is
 * elsewhere sees an unclaimed page, all ones). 0, or -1 (#GP, logged).
 */
static int vcpu_interrupt_relocate(struct vcpu *vcpu, uint64_t base)
{
	struct vm *vm = vcpu->vm;
	const char *refused = NULL;
	uint64_t flags = spinlock_acquire_irqsave(&vm->lock);
	bool apic = false;
	if (vm_guest_pointer(vm, base, VLAPIC_PAGE_SIZE))
		refused = "inside guest RAM";
	else if (vcpu_interrupt_page_hooked(vm, base, &apic) && !apic)
		refused = "on another device's MMIO";
	else if (!apic && vm->mmio_count >= VM_MMIO_HOOKS)
		refused = "no MMIO hook left";
	else if (!apic) {
		vm->mmio[vm->mmio_count] =
		    (struct vm_mmio_hook){base, VLAPIC_PAGE_SIZE, vcpu_interrupt_apic_access};
		__atomic_store_n(&vm->mmio_count, vm->mmio_count + 1, __ATOMIC_RELEASE);
	}
	spinlock_release_irqrestore(&vm->lock, flags);
	if (refused)
		log_warning("VM %s vCPU %u: APIC base 0x%llx refused (%s): #GP injected", vm->name,
		            vcpu->index, (unsigned long long)base, refused);
	return refused ? -1 : 0;
}

int vcpu_interrupt_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value)
{
	if (!vcpu->interrupt.initialized || !vlapic_msr_handled(msr))
		return 1;
	vcpu->interrupt.counters.apic_msr_accesses++;
	uint64_t base = value & VLAPIC_BASE_ADDRESS_MASK;
	if (msr == VLAPIC_MSR_APIC_BASE &&
	    base != (vcpu->interrupt.vlapic.apic_base & VLAPIC_BASE_ADDRESS_MASK) &&
	    vcpu_interrupt_relocate(vcpu, base) != 0)
		return -1;
	int result = vlapic_msr_write(&vcpu->interrupt.vlapic, msr, value) == 0 ? 0 : -1;
	vcpu->apic_base = vcpu->interrupt.vlapic.apic_base;
	if (msr == VLAPIC_MSR_TSC_DEADLINE)
		vcpu->tsc_deadline = value;
	return result;
}

uint64_t vcpu_interrupt_cr8_read(struct vcpu *vcpu)
{
	return vlapic_tpr(&vcpu->interrupt.vlapic) >> 4;
}

void vcpu_interrupt_cr8_write(struct vcpu *vcpu, uint64_t value)
{
	vlapic_set_tpr(&vcpu->interrupt.vlapic, (uint8_t)((value & 0xf) << 4));
}

void vcpu_interrupt_window_exit(struct vcpu *vcpu)
{
	vcpu->interrupt.counters.interrupt_windows++;
	vcpu_interrupt_set_windows(vcpu, vcpu->processor_controls & VMX_PROC_NMI_WINDOW_EXITING);
}

void vcpu_interrupt_nmi_window_exit(struct vcpu *vcpu)
{
	vcpu->interrupt.counters.nmi_windows++;
	vcpu_interrupt_set_windows(vcpu,
	                           vcpu->processor_controls & VMX_PROC_INTERRUPT_WINDOW_EXITING);
}

int vcpu_interrupt_apic_access(struct vcpu *vcpu, uint64_t address, unsigned size, bool write,
                               uint64_t *value)
{
	struct vlapic *vlapic = &vcpu->interrupt.vlapic;
	uint64_t base = vlapic->apic_base & VLAPIC_BASE_ADDRESS_MASK;
	vcpu->interrupt.counters.apic_accesses++;
	if (address - base >= VLAPIC_PAGE_SIZE) { /* another vCPU's page: nothing here */
		if (!write)
			*value = VLAPIC_UNDECODED;
		return 0;
	}
	uint32_t offset = (uint32_t)(address - base);
	if (write) {
		vlapic_mmio_write(vlapic, offset, size, (uint32_t)*value);
	} else {
		uint32_t read;
		vlapic_mmio_read(vlapic, offset, size, &read);
		*value = read;
	}
	return 0;
}

void vcpu_interrupt_kick(struct vcpu *vcpu)
{
	int32_t cpu = __atomic_load_n(&vcpu->loaded_cpu, __ATOMIC_ACQUIRE);
	if (cpu >= 0 && (uint32_t)cpu != percpu_this_index() && percpu_cpus[cpu].online)
		lapic_send_ipi(percpu_cpus[cpu].apic_id, TRAP_VECTOR_RESCHEDULE);
}

void vcpu_interrupt_stop(struct vcpu *vcpu)
{
	timer_cancel(&vcpu->interrupt.timer);
}

size_t vcpu_interrupt_format(struct vcpu *vcpu, char *buffer, size_t size)
{
	const struct vcpu_interrupt *state = &vcpu->interrupt;
	const struct vlapic_counters *c = &state->vlapic.counters;
	const struct vcpu_interrupt_counters *k = &state->counters;
	uint64_t sent = 0;
	for (unsigned i = 0; i < 8; i++)
		sent += c->ipis_sent[i];
	int n = format_string(
	    buffer, size,
	    " apic_id=%u ipis_sent=%llu ipis_init=%llu ipis_startup=%llu ipis_nmi=%llu "
	    "messages_received=%llu injected=%llu nmis_injected=%llu eois=%llu coalesced=%llu "
	    "timer_fires=%llu timer_callbacks=%llu windows=%llu apic_mmio=%llu apic_msr=%llu "
	    "startups=%llu startups_ignored=%llu resets=%llu",
	    vlapic_id(&state->vlapic), (unsigned long long)sent,
	    (unsigned long long)c->ipis_sent[VLAPIC_DELIVERY_INIT],
	    (unsigned long long)c->ipis_sent[VLAPIC_DELIVERY_STARTUP],
	    (unsigned long long)c->ipis_sent[VLAPIC_DELIVERY_NMI],
	    (unsigned long long)c->messages_received, (unsigned long long)k->injected_interrupts,
	    (unsigned long long)k->injected_nmis, (unsigned long long)c->eois,
	    (unsigned long long)c->interrupts_coalesced, (unsigned long long)c->timer_fires,
	    (unsigned long long)k->timer_callbacks,
	    (unsigned long long)(k->interrupt_windows + k->nmi_windows),
	    (unsigned long long)k->apic_accesses, (unsigned long long)k->apic_msr_accesses,
	    (unsigned long long)k->startups, (unsigned long long)c->startups_ignored,
	    (unsigned long long)k->resets);
	return n < 0 ? 0 : (size_t)n;
}
