/*
 * arch/x86/cpu.h - x86-64 instruction wrappers: CPUID, MSRs, control
 * registers, port I/O, TSC, interrupt flag.
 *
 * Every wrapper is a single instruction (or a fixed sequence) with no state
 * of its own, safe on any CPU at any time. arch_msr_read_safe() and
 * arch_msr_write_safe() turn a #GP into an error code through the exception
 * fixup table (arch/x86/msr.asm, arch/x86/trap.c).
 *
 * Lock order: none.
 */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>

#define ARCH_MSR_APIC_BASE 0x1b
#define ARCH_MSR_FEATURE_CONTROL 0x3a
#define ARCH_MSR_TSC_DEADLINE 0x6e0
#define ARCH_MSR_EFER 0xc0000080
#define ARCH_MSR_FS_BASE 0xc0000100
#define ARCH_MSR_GS_BASE 0xc0000101
#define ARCH_MSR_KERNEL_GS_BASE 0xc0000102
#define ARCH_MSR_PAT 0x277

#define ARCH_EFER_LME (1ull << 8)
#define ARCH_EFER_NXE (1ull << 11)

#define ARCH_CR0_PE (1ull << 0)
#define ARCH_CR0_NE (1ull << 5)
#define ARCH_CR0_WP (1ull << 16)
#define ARCH_CR0_PG (1ull << 31)
#define ARCH_CR4_PAE (1ull << 5)
#define ARCH_CR4_PGE (1ull << 7)
#define ARCH_CR4_OSFXSR (1ull << 9)
#define ARCH_CR4_OSXMMEXCPT (1ull << 10)
#define ARCH_CR4_VMXE (1ull << 13)

#define ARCH_RFLAGS_IF (1ull << 9)

struct arch_cpuid {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct arch_cpuid arch_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct arch_cpuid r;
	__asm__ volatile("cpuid"
	                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
	                 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t arch_msr_read(uint32_t msr)
{
	uint32_t low, high;
	__asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
	return ((uint64_t)high << 32) | low;
}

static inline void arch_msr_write(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value),
	                 "d"((uint32_t)(value >> 32))
	                 : "memory");
}

/* Return 0 and the value, or -1 if the MSR does not exist (#GP caught). */
int arch_msr_read_safe(uint32_t msr, uint64_t *value);
int arch_msr_write_safe(uint32_t msr, uint64_t value);

static inline uint64_t arch_tsc_read(void)
{
	uint32_t low, high;
	__asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
	return ((uint64_t)high << 32) | low;
}

#define ARCH_DEFINE_CR(n)                                                      \
	static inline uint64_t arch_cr##n##_read(void)                         \
	{                                                                      \
		uint64_t v;                                                    \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));              \
		return v;                                                      \
	}                                                                      \
	static inline void arch_cr##n##_write(uint64_t v)                      \
	{                                                                      \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");       \
	}
ARCH_DEFINE_CR(0)
ARCH_DEFINE_CR(2)
ARCH_DEFINE_CR(3)
ARCH_DEFINE_CR(4)
#undef ARCH_DEFINE_CR

static inline void arch_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void arch_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void arch_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t arch_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t arch_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void arch_interrupts_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void arch_interrupts_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void arch_halt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* Enable interrupts and halt atomically: no wake-up is lost in between. */
static inline void arch_enable_and_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void arch_pause(void) { __asm__ volatile("pause" ::: "memory"); }

static inline uint64_t arch_flags_save(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq; popq %0" : "=r"(flags)::"memory");
	return flags;
}
static inline uint64_t arch_interrupts_save_disable(void)
{
	uint64_t flags = arch_flags_save();
	arch_interrupts_disable();
	return flags;
}
static inline void arch_interrupts_restore(uint64_t flags)
{
	if (flags & ARCH_RFLAGS_IF)
		arch_interrupts_enable();
}

/* Stop this CPU for good: interrupts off, halt forever (NMIs return here). */
static inline __attribute__((noreturn)) void arch_cpu_stop(void)
{
	for (;;) {
		arch_interrupts_disable();
		arch_halt();
	}
}

#endif /* ARCH_X86_CPU_H */
