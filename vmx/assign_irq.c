/*
 * vmx/assign_irq.c - assigned functions' INTx: host IOAPIC routing, the
 * host interrupt handler, the guest EOI and injection hooks, the PCIIRQ
 * report (see assign_irq.h).
 *
 * Lock order: VM platform lock -> ioapic_lock. The slot table is written
 * on the boot CPU only (VMs are built one by one, before they run).
 */
#include "vmx/assign_irq.h"

#include "arch/x86/cpu.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/trap.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "sched/sched.h"
#include "vmx/passthrough.h"
#include "vmx/platform.h"
#include "vmx/vm.h"

#define ASSIGN_IRQ_NO_PIN    0
#define ASSIGN_IRQ_HIST_TEXT 400
#define ASSIGN_IRQ_P50       500u
#define ASSIGN_IRQ_P99       990u
#define ASSIGN_IRQ_BOOT_CPU  0

static struct {
	struct vm *vm;
	struct passthrough_device *device;
} assign_irq_slots[ASSIGN_IRQ_VECTORS];

static enum intx_target assign_irq_target_state(const struct vcpu *vcpu)
{
	enum sched_vcpu_state state = vcpu->sched
	                                  ? __atomic_load_n(&vcpu->sched->state, __ATOMIC_RELAXED)
	                                  : SCHED_VCPU_RUNNING;
	if (state == SCHED_VCPU_RUNNING)
		return INTX_TARGET_RUNNING;
	if (state == SCHED_VCPU_BLOCKED || state == SCHED_VCPU_OFFLINE)
		return INTX_TARGET_HALTED;
	return INTX_TARGET_PREEMPTED;
}

/* Apply the state machine's actions (platform lock held). */
static void assign_irq_apply(struct platform *platform, struct passthrough_device *d,
                             unsigned actions)
{
	if (actions & INTX_DEASSERT)
		vioapic_set_irq(&platform->vioapic, d->intx.pin, false);
	if (actions & INTX_UNMASK)
		ioapic_mask(d->host_gsi, false);
	if (actions & INTX_ASSERT) {
		/* Targets posted to by this assertion (others may be in the set
		 * already: all are notified at the release). */
		uint32_t before = platform->targets;
		vioapic_set_irq(&platform->vioapic, d->intx.pin, true);
		struct vm *vm = platform->vm;
		for (uint32_t t = platform->targets & ~before; t; t &= t - 1)
			intx_delivered(&d->intx,
			               assign_irq_target_state(vm->vcpus[__builtin_ctz(t)]));
	}
}

static void assign_irq_handler(struct trap_frame *frame)
{
	uint64_t tsc = arch_tsc_read();
	unsigned slot = (unsigned)frame->vector - ASSIGN_IRQ_VECTOR_BASE;
	if (slot >= ASSIGN_IRQ_VECTORS || !assign_irq_slots[slot].device)
		return;
	struct passthrough_device *d = assign_irq_slots[slot].device;
	struct vm *vm = assign_irq_slots[slot].vm;
	ioapic_mask(d->host_gsi, true); /* until the guest's EOI */
	struct platform *platform = vm->platform;
	uint64_t flags = platform_acquire(platform);
	if (vm->state == VM_STATE_RUNNING)
		assign_irq_apply(
		    platform, d,
		    intx_physical(&d->intx, d->interrupt_line, platform->vioapic.redirection, tsc));
	platform_release(platform, flags);
}

int vmx_assign_irq_attach(struct vm *vm, struct passthrough_device *d, char *error, size_t size)
{
	uint8_t line = d->host.interrupt_line;
	if (d->host.interrupt_pin == ASSIGN_IRQ_NO_PIN)
		return 0;
	struct ioapic_route route;
	if (ioapic_host_route(line, true, &route) || !ioapic_has_gsi(route.gsi)) {
		format_string(error, size,
		              "PCI function %02x:%02x.%x: interrupt line %u has no "
		              "host IOAPIC pin",
		              PCI_BDF_BUS(d->host.bdf), PCI_BDF_DEVICE(d->host.bdf),
		              PCI_BDF_FUNCTION(d->host.bdf), line);
		return -1;
	}
	unsigned slot = ASSIGN_IRQ_VECTORS;
	for (unsigned i = 0; i < ASSIGN_IRQ_VECTORS; i++) {
		const struct passthrough_device *other = assign_irq_slots[i].device;
		if (other && other->host_gsi == route.gsi) {
			format_string(error, size,
			              "PCI function %02x:%02x.%x shares GSI %u with "
			              "an assigned function",
			              PCI_BDF_BUS(d->host.bdf), PCI_BDF_DEVICE(d->host.bdf),
			              PCI_BDF_FUNCTION(d->host.bdf), route.gsi);
			return -1;
		}
		if (!other && slot == ASSIGN_IRQ_VECTORS)
			slot = i;
	}
	if (slot == ASSIGN_IRQ_VECTORS) {
		format_string(error, size, "no host vector left for PCI interrupts");
		return -1;
	}
	d->host_gsi = route.gsi;
	d->host_vector = (uint8_t)(ASSIGN_IRQ_VECTOR_BASE + slot);
	d->intx_routed = true;
	assign_irq_slots[slot].vm = vm;
	assign_irq_slots[slot].device = d;
	trap_register(d->host_vector, assign_irq_handler);
	/* Unmasked from the start: an interrupt before the guest is ready is
	 * parked (the host pin stays masked until the guest's entry is). */
	ioapic_program(route.gsi, ioapic_entry(&route, d->host_vector,
	                                       percpu_cpus[ASSIGN_IRQ_BOOT_CPU].apic_id, false));
	log_info("VM %s: PCI %02x:%02x.%x INTx line %u -> GSI %u (%s, active %s) vector 0x%x",
	         vm->name, PCI_BDF_BUS(d->host.bdf), PCI_BDF_DEVICE(d->host.bdf),
	         PCI_BDF_FUNCTION(d->host.bdf), line, route.gsi, route.level ? "level" : "edge",
	         route.active_low ? "low" : "high", d->host_vector);
	return 0;
}

void vmx_assign_eoi(struct vm *vm, uint8_t vector)
{
	struct passthrough_vm *p = vm->passthrough;
	if (!p)
		return;
	for (unsigned i = 0; i < p->count; i++) {
		struct passthrough_device *d = &p->devices[i];
		if (d->intx_routed)
			assign_irq_apply(
			    vm->platform, d,
			    intx_eoi(&d->intx, vector, vm->platform->vioapic.redirection));
	}
}

void vmx_assign_entry_written(struct vm *vm)
{
	struct passthrough_vm *p = vm->passthrough;
	if (!p)
		return;
	for (unsigned i = 0; i < p->count; i++) {
		struct passthrough_device *d = &p->devices[i];
		if (d->intx_routed)
			assign_irq_apply(vm->platform, d,
			                 intx_entry_written(&d->intx, d->interrupt_line,
			                                    vm->platform->vioapic.redirection));
	}
}

void vmx_assign_injected(struct vcpu *vcpu, uint8_t vector)
{
	struct vm *vm = vcpu->vm;
	struct passthrough_vm *p = vm->passthrough;
	if (!p || !vm->platform)
		return;
	uint64_t tsc = arch_tsc_read();
	uint64_t flags = platform_acquire(vm->platform);
	for (unsigned i = 0; i < p->count; i++)
		if (p->devices[i].intx_routed)
			intx_injected(&p->devices[i].intx, vector, tsc);
	platform_release(vm->platform, flags);
}

/* "b:count,..." for the non-empty log2 buckets. */
static void assign_irq_histogram(const struct intx_counters *c, char *text, size_t size)
{
	size_t used = 0;
	text[0] = '\0';
	for (unsigned b = 0; b < INTX_HISTOGRAM_BUCKETS && used + 1 < size; b++)
		if (c->histogram[b])
			used += (size_t)format_string(text + used, size - used, "%s%u:%u",
			                              used ? "," : "", b, c->histogram[b]);
	if (!used)
		format_string(text, size, "none");
}

static void assign_irq_report(const struct vm *vm, const struct passthrough_device *d)
{
	const struct intx_counters *c = &d->intx.counters;
	char histogram[ASSIGN_IRQ_HIST_TEXT];
	assign_irq_histogram(c, histogram, sizeof(histogram));
	log_record("PCIIRQ vm=%s host=%02x:%02x.%x gsi=%u vector=0x%x guest_line=%u "
	           "physical=%llu virqs=%llu to_running=%llu to_halted=%llu to_preempted=%llu "
	           "parked=%llu unmasks=%llu spurious=%llu delays=%llu delay_p50=%llu "
	           "delay_p99=%llu delay_max=%llu delay_log2_hist=%s unit=tsc_ticks",
	           vm->name, PCI_BDF_BUS(d->host.bdf), PCI_BDF_DEVICE(d->host.bdf),
	           PCI_BDF_FUNCTION(d->host.bdf), d->host_gsi, d->host_vector, d->interrupt_line,
	           (unsigned long long)c->physical, (unsigned long long)c->virqs,
	           (unsigned long long)c->to_running, (unsigned long long)c->to_halted,
	           (unsigned long long)c->to_preempted, (unsigned long long)c->parked,
	           (unsigned long long)c->unmasks, (unsigned long long)c->spurious,
	           (unsigned long long)c->delays,
	           (unsigned long long)intx_delay_percentile(c, ASSIGN_IRQ_P50),
	           (unsigned long long)intx_delay_percentile(c, ASSIGN_IRQ_P99),
	           (unsigned long long)c->delay_max, histogram);
}

bool vmx_assign_irq_source(const struct vm *vm)
{
	const struct passthrough_vm *p = vm->passthrough;
	for (unsigned i = 0; p && i < p->count; i++)
		if (p->devices[i].intx_routed)
			return true;
	return false;
}

bool vmx_assign_irq_pending(const struct vm *vm)
{
	const struct passthrough_vm *p = vm->passthrough;
	for (unsigned i = 0; p && i < p->count; i++)
		if (p->devices[i].intx_routed &&
		    __atomic_load_n(&p->devices[i].intx.raised_tsc, __ATOMIC_RELAXED))
			return true;
	return false;
}

void vmx_assign_irq_stop(struct vm *vm, bool report)
{
	struct passthrough_vm *p = vm->passthrough;
	if (!p)
		return;
	for (unsigned i = 0; i < p->count; i++) {
		struct passthrough_device *d = &p->devices[i];
		if (!d->intx_routed)
			continue;
		ioapic_mask(d->host_gsi, true);
		unsigned slot = d->host_vector - ASSIGN_IRQ_VECTOR_BASE;
		if (slot < ASSIGN_IRQ_VECTORS && assign_irq_slots[slot].device == d) {
			assign_irq_slots[slot].device = NULL;
			assign_irq_slots[slot].vm = NULL;
		}
		if (report)
			assign_irq_report(vm, d);
		d->intx_routed = false;
	}
}
