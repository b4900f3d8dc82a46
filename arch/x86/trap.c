/*
 * arch/x86/trap.c - GDT/TSS/IDT setup, interrupt dispatch, exception dumps.
 *
 * Lock order: none (per-CPU tables; the handler table is written before
 * any CPU enables interrupts and only read afterwards).
 */
#include "arch/x86/trap.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/string.h"

struct trap_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t io_map_base;
} __attribute__((packed));

struct trap_idt_entry {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_middle;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

struct trap_descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define TRAP_IST_STACK_SIZE 4096
enum { TRAP_IST_NMI = 1, TRAP_IST_DOUBLE_FAULT = 2, TRAP_IST_MACHINE_CHECK = 3 };

struct trap_cpu_tables {
	uint64_t gdt[5];
	struct trap_tss tss;
	uint8_t ist_stacks[3][TRAP_IST_STACK_SIZE] __attribute__((aligned(16)));
};

static struct trap_cpu_tables trap_cpu_tables[PERCPU_MAX_CPUS] __attribute__((aligned(4096)));
static struct trap_idt_entry trap_idt[256] __attribute__((aligned(16)));
static trap_handler_fn trap_handlers[256];
static bool trap_idt_built;

extern const uint64_t isr_stub_table[256];
extern const uint64_t __exception_fixups_start[];
extern const uint64_t __exception_fixups_end[];

static const char *const trap_exception_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization exception",
    "#CP control protection",
    "reserved 22",
    "reserved 23",
    "reserved 24",
    "reserved 25",
    "reserved 26",
    "reserved 27",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved 31",
};

static void trap_build_idt(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t target = isr_stub_table[v];
		struct trap_idt_entry *e = &trap_idt[v];
		e->offset_low = target & 0xffff;
		e->selector = GDT_SELECTOR_CODE;
		e->ist = v == 2    ? TRAP_IST_NMI
		         : v == 8  ? TRAP_IST_DOUBLE_FAULT
		         : v == 18 ? TRAP_IST_MACHINE_CHECK
		                   : 0;
		e->type = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
		e->offset_middle = (target >> 16) & 0xffff;
		e->offset_high = (uint32_t)(target >> 32);
		e->reserved = 0;
	}
	trap_idt_built = true;
}

void trap_init_cpu(uint32_t cpu_index)
{
	if (!trap_idt_built)
		trap_build_idt();
	struct trap_cpu_tables *t = &trap_cpu_tables[cpu_index];
	memset(&t->tss, 0, sizeof(t->tss));
	for (int i = 0; i < 3; i++)
		t->tss.ist[i] = (uint64_t)(uintptr_t)(t->ist_stacks[i] + TRAP_IST_STACK_SIZE);
	t->tss.io_map_base = sizeof(t->tss);
	percpu_cpus[cpu_index].interrupt_stack_top = t->ist_stacks[0] + TRAP_IST_STACK_SIZE;

	uint64_t tss_base = (uint64_t)(uintptr_t)&t->tss;
	uint64_t tss_limit = sizeof(t->tss) - 1;
	t->gdt[0] = 0;
	t->gdt[1] = 0x00af9a000000ffffull; /* 64-bit code, DPL 0 */
	t->gdt[2] = 0x00cf92000000ffffull; /* data */
	t->gdt[3] = (tss_limit & 0xffff) | ((tss_base & 0xffffff) << 16) | (0x89ull << 40) |
	            (((tss_limit >> 16) & 0xf) << 48) | (((tss_base >> 24) & 0xff) << 56);
	t->gdt[4] = tss_base >> 32;

	struct trap_descriptor_pointer gdtr = {sizeof(t->gdt) - 1, (uint64_t)(uintptr_t)t->gdt};
	struct trap_descriptor_pointer idtr = {sizeof(trap_idt) - 1, (uint64_t)(uintptr_t)trap_idt};
	__asm__ volatile("lgdt %0\n\t"
	                 "pushq %1\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "mov %2, %%ds\n\t"
	                 "mov %2, %%es\n\t"
	                 "mov %2, %%ss\n\t"
	                 "ltr %w3\n\t"
	                 "lidt %4"
	                 :
	                 : "m"(gdtr), "i"(GDT_SELECTOR_CODE), "r"(GDT_SELECTOR_DATA),
	                   "r"(GDT_SELECTOR_TSS), "m"(idtr)
	                 : "rax", "memory");
}

void trap_register(uint8_t vector, trap_handler_fn handler)
{
	trap_handlers[vector] = handler;
}

static bool trap_try_fixup(struct trap_frame *frame)
{
	for (const uint64_t *entry = __exception_fixups_start; entry < __exception_fixups_end;
	     entry += 2) {
		if (entry[0] == frame->rip) {
			frame->rip = entry[1];
			if (percpu_ready)
				percpu_this()->exit_fixup_count++;
			return true;
		}
	}
	return false;
}

static void trap_dump(const struct trap_frame *f)
{
	uint32_t cpu = percpu_this_index();
	log_record("EXCEPTION cpu=%u vector=%llu name=\"%s\" error=0x%llx rip=0x%llx cr2=0x%llx",
	           cpu, (unsigned long long)f->vector,
	           f->vector < 32 ? trap_exception_names[f->vector] : "interrupt",
	           (unsigned long long)f->error_code, (unsigned long long)f->rip,
	           (unsigned long long)arch_cr2_read());
	log_record("  cpu %u: rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx", cpu,
	           (unsigned long long)f->rax, (unsigned long long)f->rbx,
	           (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	log_record("  cpu %u: rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx", cpu,
	           (unsigned long long)f->rsi, (unsigned long long)f->rdi,
	           (unsigned long long)f->rbp, (unsigned long long)f->rsp);
	log_record("  cpu %u: r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx", cpu,
	           (unsigned long long)f->r8, (unsigned long long)f->r9, (unsigned long long)f->r10,
	           (unsigned long long)f->r11);
	log_record("  cpu %u: r12=%016llx r13=%016llx r14=%016llx r15=%016llx", cpu,
	           (unsigned long long)f->r12, (unsigned long long)f->r13,
	           (unsigned long long)f->r14, (unsigned long long)f->r15);
	log_record("  cpu %u: rip=%016llx cs=%04llx rflags=%08llx ss=%04llx", cpu,
	           (unsigned long long)f->rip, (unsigned long long)f->cs,
	           (unsigned long long)f->rflags, (unsigned long long)f->ss);
	log_record("  cpu %u: cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx", cpu,
	           (unsigned long long)arch_cr0_read(), (unsigned long long)arch_cr2_read(),
	           (unsigned long long)arch_cr3_read(), (unsigned long long)arch_cr4_read());
	const uint64_t *stack = (const uint64_t *)(uintptr_t)f->rsp;
	if (f->rsp >= 0x1000 && !(f->rsp & 7))
		log_record("  cpu %u: stack %016llx %016llx %016llx %016llx", cpu,
		           (unsigned long long)stack[0], (unsigned long long)stack[1],
		           (unsigned long long)stack[2], (unsigned long long)stack[3]);
}

void trap_dispatch(struct trap_frame *frame)
{
	uint64_t vector = frame->vector;
	if (percpu_ready)
		percpu_this()->interrupt_count++;
	if (vector == TRAP_VECTOR_NMI) {
		if (panic_in_progress())
			arch_cpu_stop();
		if (trap_handlers[vector]) {
			trap_handlers[vector](frame);
			return;
		}
		log_warning("unexpected NMI");
		return;
	}
	if (vector < 32) {
		if ((vector == 13 || vector == 14) && trap_try_fixup(frame))
			return;
		if (panic_in_progress())
			arch_cpu_stop();
		trap_dump(frame);
		panic_with_reason("exception", "unhandled %s on cpu %u at 0x%llx",
		                  trap_exception_names[vector], percpu_this_index(),
		                  (unsigned long long)frame->rip);
	}
	if (trap_handlers[vector]) {
		trap_handlers[vector](frame);
	} else if (vector != TRAP_VECTOR_SPURIOUS) {
		log_warning("unexpected interrupt vector %llu", (unsigned long long)vector);
	}
	if (vector != TRAP_VECTOR_SPURIOUS)
		lapic_end_of_interrupt();
}
