/*
 * arch/x86/smp.c - AP start-up and cross-CPU calls (see smp.h).
 *
 * Lock order: smp_calls[cpu].lock is a leaf, taken with interrupts off.
 */
#include "arch/x86/smp.h"

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/trap.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/timer.h"

extern const char smp_trampoline_start[], smp_trampoline_end[];

struct smp_parameters {
	uint64_t gdt[4];
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint16_t padding;
	uint64_t reserved;
	uint64_t cr3;
	uint64_t stack;
	uint64_t entry;
	uint64_t cpu_index;
} __attribute__((packed));

struct smp_call_slot {
	struct spinlock lock;
	void (*fn)(void *);
	void *argument;
};

struct smp_work_slot {
	void (*fn)(void *); /* set by the requester, taken by the AP's idle loop */
	void *argument;
};

static uint8_t smp_stacks[PERCPU_MAX_CPUS][PERCPU_STACK_SIZE] __attribute__((aligned(4096)));
static struct smp_call_slot smp_calls[PERCPU_MAX_CPUS];
static struct smp_work_slot smp_work[PERCPU_MAX_CPUS];
static void (*smp_ap_hook)(uint32_t cpu);

void smp_install_trampoline(void)
{
	memcpy((void *)SMP_TRAMPOLINE_CODE, smp_trampoline_start,
	       (size_t)(smp_trampoline_end - smp_trampoline_start));
}

static void smp_call_interrupt(struct trap_frame *frame)
{
	(void)frame;
	struct smp_call_slot *slot = &smp_calls[percpu_this_index()];
	spinlock_acquire(&slot->lock);
	void (*fn)(void *) = slot->fn;
	void *argument = slot->argument;
	slot->fn = NULL;
	spinlock_release(&slot->lock);
	if (fn)
		fn(argument);
}

void smp_call(uint32_t cpu, void (*fn)(void *), void *argument)
{
	struct smp_call_slot *slot = &smp_calls[cpu];
	uint64_t flags = spinlock_acquire_irqsave(&slot->lock);
	slot->fn = fn;
	slot->argument = argument;
	spinlock_release_irqrestore(&slot->lock, flags);
	lapic_send_ipi(percpu_cpus[cpu].apic_id, TRAP_VECTOR_CALL);
}

int smp_run_in_thread(uint32_t cpu, void (*fn)(void *), void *argument)
{
	struct smp_work_slot *slot = &smp_work[cpu];
	if (cpu == 0 || cpu >= percpu_cpu_count || __atomic_load_n(&slot->fn, __ATOMIC_ACQUIRE))
		return -1;
	slot->argument = argument;
	__atomic_store_n(&slot->fn, fn, __ATOMIC_RELEASE);
	lapic_send_ipi(percpu_cpus[cpu].apic_id, TRAP_VECTOR_RESCHEDULE);
	return 0;
}

void smp_stop_others(void)
{
	lapic_send_nmi_all_but_self();
}

/* The C entry of an AP, called by the trampoline on the AP's own stack. */
static __attribute__((noreturn)) void smp_ap_main(uint64_t cpu_index)
{
	uint32_t index = (uint32_t)cpu_index;
	percpu_install(index);
	trap_init_cpu(index);
	lapic_init_cpu();
	if (smp_ap_hook)
		smp_ap_hook(index);
	__atomic_store_n(&percpu_cpus[index].online, true, __ATOMIC_RELEASE);
	/* Idle: run work queued by smp_run_in_thread(), else halt. */
	struct smp_work_slot *slot = &smp_work[index];
	for (;;) {
		arch_interrupts_disable();
		void (*fn)(void *) = __atomic_load_n(&slot->fn, __ATOMIC_ACQUIRE);
		if (fn) {
			void *argument = slot->argument;
			arch_interrupts_enable();
			fn(argument);
			__atomic_store_n(&slot->fn, NULL, __ATOMIC_RELEASE);
			continue;
		}
		arch_enable_and_halt();
	}
}

static bool smp_wait_online(uint32_t index, uint64_t microseconds)
{
	uint64_t end = arch_tsc_read() + microseconds * timer_tsc_khz / 1000;
	while (arch_tsc_read() < end) {
		if (__atomic_load_n(&percpu_cpus[index].online, __ATOMIC_ACQUIRE))
			return true;
		arch_pause();
	}
	return __atomic_load_n(&percpu_cpus[index].online, __ATOMIC_ACQUIRE);
}

uint32_t smp_start(const struct acpi_info *acpi, void (*ap_hook)(uint32_t cpu))
{
	smp_ap_hook = ap_hook;
	trap_register(TRAP_VECTOR_CALL, smp_call_interrupt);
	uint32_t self = lapic_id();
	percpu_cpus[0].apic_id = self;
	percpu_cpus[0].stack_top = NULL;
	percpu_cpus[0].online = true;
	uint32_t count = 1;
	for (uint32_t i = 0; i < acpi->cpu_count && count < PERCPU_MAX_CPUS; i++) {
		if (!acpi->cpus[i].enabled || acpi->cpus[i].apic_id == self)
			continue;
		percpu_cpus[count].apic_id = acpi->cpus[i].apic_id;
		percpu_cpus[count].index = count;
		count++;
	}
	percpu_cpu_count = count;

	struct smp_parameters *p = (struct smp_parameters *)SMP_TRAMPOLINE_PARAMETERS;
	memset(p, 0, sizeof(*p));
	p->gdt[1] = 0x00cf9a000000ffffull; /* 0x08: 32-bit code */
	p->gdt[2] = 0x00cf92000000ffffull; /* 0x10: data        */
	p->gdt[3] = 0x00af9a000000ffffull; /* 0x18: 64-bit code */
	p->gdt_limit = sizeof(p->gdt) - 1;
	p->gdt_base = SMP_TRAMPOLINE_PARAMETERS;
	p->cr3 = paging_root();
	p->entry = (uint64_t)(uintptr_t)smp_ap_main;

	uint32_t online = 1;
	for (uint32_t index = 1; index < count; index++) {
		struct percpu *cpu = &percpu_cpus[index];
		cpu->stack_top = smp_stacks[index] + PERCPU_STACK_SIZE;
		p->stack = (uint64_t)(uintptr_t)cpu->stack_top;
		p->cpu_index = index;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		lapic_send_init(cpu->apic_id);
		timer_delay_us(10000);
		lapic_send_startup(cpu->apic_id, SMP_TRAMPOLINE_CODE >> 12);
		if (!smp_wait_online(index, 200)) {
			lapic_send_startup(cpu->apic_id, SMP_TRAMPOLINE_CODE >> 12);
			if (!smp_wait_online(index, 1000000)) {
				log_error("cpu %u (APIC ID %u) did not come online", index,
				          cpu->apic_id);
				continue;
			}
		}
		online++;
	}
	return online;
}
