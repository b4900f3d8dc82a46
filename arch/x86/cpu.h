/*
 * arch/x86/cpu.h - x86-64 instruction wrappers: CPUID, MSRs, control
 * registers, port I/O, TSC, interrupt flag.
 *
 * Every wrapper is a single instruction (or a fixed sequence) with no state
 * of its own, safe on any CPU at any time. arch_msr_read_safe() turns a
 * #GP into an error code through the exception fixup table
 * (arch/x86/isr.asm, arch/x86/trap.c).
 *
 * Lock order: none.
 */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>

/* Architectural and model-specific MSRs (SDM Vol. 4), by number. */
#define ARCH_MSR_TSC                     0x10
#define ARCH_MSR_PLATFORM_ID             0x17
#define ARCH_MSR_APIC_BASE               0x1b
#define ARCH_MSR_FEATURE_CONTROL         0x3a
#define ARCH_MSR_TSC_ADJUST              0x3b
#define ARCH_MSR_UCODE_REV               0x8b /* BIOS_SIGN_ID */
#define ARCH_MSR_PMC3                    0xc4
#define ARCH_MSR_PLATFORM_INFO           0xce
#define ARCH_MSR_MPERF                   0xe7
#define ARCH_MSR_APERF                   0xe8
#define ARCH_MSR_MTRR_CAP                0xfe
#define ARCH_MSR_MISC_FEATURE_ENABLES    0x140
#define ARCH_MSR_SYSENTER_CS             0x174
#define ARCH_MSR_SYSENTER_ESP            0x175
#define ARCH_MSR_SYSENTER_EIP            0x176
#define ARCH_MSR_MCG_CAP                 0x179
#define ARCH_MSR_MCG_STATUS              0x17a
#define ARCH_MSR_THERM_INTERRUPT         0x19b
#define ARCH_MSR_MISC_ENABLE             0x1a0
#define ARCH_MSR_ENERGY_PERF_BIAS        0x1b0
#define ARCH_MSR_PACKAGE_THERM_INTERRUPT 0x1b2
#define ARCH_MSR_DEBUGCTL                0x1d9
#define ARCH_MSR_POWER_CTL               0x1fc
#define ARCH_MSR_MTRR_FIRST              0x200 /* variable and fixed MTRRs ...  */
#define ARCH_MSR_MTRR_LAST               0x27f /* ... except PAT (0x277) inside */
#define ARCH_MSR_PAT                     0x277
#define ARCH_MSR_MTRR_DEF_TYPE           0x2ff
#define ARCH_MSR_PERF_CAPABILITIES       0x345 /* CPUID.1:ECX.PDCM */
#define ARCH_MSR_UNCORE_PERF_GLOBAL_CTL  0x391
#define ARCH_MSR_DS_AREA                 0x600 /* CPUID.1:EDX.DS */
#define ARCH_MSR_ATOM_CORE_TURBO_RATIOS  0x66c
#define ARCH_MSR_TSC_DEADLINE            0x6e0
#define ARCH_MSR_EFER                    0xc0000080
#define ARCH_MSR_STAR                    0xc0000081
#define ARCH_MSR_LSTAR                   0xc0000082
#define ARCH_MSR_CSTAR                   0xc0000083
#define ARCH_MSR_SYSCALL_MASK            0xc0000084
#define ARCH_MSR_TSC_AUX                 0xc0000103 /* exists with RDTSCP (CPUID 0x80000001 EDX.27) */
#define ARCH_MSR_FS_BASE                 0xc0000100
#define ARCH_MSR_GS_BASE                 0xc0000101
#define ARCH_MSR_KERNEL_GS_BASE          0xc0000102

#define ARCH_FEATURE_CONTROL_LOCKED       (1ull << 0)
#define ARCH_MISC_ENABLE_FAST_STRINGS     (1ull << 0)  /* r/w */
#define ARCH_MISC_ENABLE_PERFMON          (1ull << 7)  /* r/o: PMU available */
#define ARCH_MISC_ENABLE_BTS_UNAVAILABLE  (1ull << 11) /* r/o */
#define ARCH_MISC_ENABLE_PEBS_UNAVAILABLE (1ull << 12) /* r/o */
#define ARCH_DEBUGCTL_LBR                 (1ull << 0)
#define ARCH_DEBUGCTL_BTF                 (1ull << 1)

#define ARCH_EFER_SCE (1ull << 0)
#define ARCH_EFER_LME (1ull << 8)
#define ARCH_EFER_LMA (1ull << 10)
#define ARCH_EFER_NXE (1ull << 11)

/* IA32_PAT: eight memory types, one per byte; valid ones: UC 0, WC 1, WT 4,
 * WP 5, WB 6, UC- 7 (SDM Vol. 3A, 11.12.2). */
#define ARCH_PAT_ENTRIES     8
#define ARCH_PAT_VALID_TYPES 0xf3u /* bit per valid type */

/* Canonical addresses: bits 63:47 all equal (4-level paging). */
#define ARCH_CANONICAL_BITS 48

#define ARCH_CR0_PE         (1ull << 0)
#define ARCH_CR0_ET         (1ull << 4)
#define ARCH_CR0_NE         (1ull << 5)
#define ARCH_CR0_WP         (1ull << 16)
#define ARCH_CR0_NW         (1ull << 29)
#define ARCH_CR0_CD         (1ull << 30)
#define ARCH_CR0_PG         (1ull << 31)
#define ARCH_CR3_PCID_MASK  0xfffull /* CR3[11:0] with CR4.PCIDE */
#define ARCH_CR4_PSE        (1ull << 4)
#define ARCH_CR4_PAE        (1ull << 5)
#define ARCH_CR4_PGE        (1ull << 7)
#define ARCH_CR4_OSFXSR     (1ull << 9)
#define ARCH_CR4_OSXMMEXCPT (1ull << 10)
#define ARCH_CR4_VMXE       (1ull << 13)
#define ARCH_CR4_SMXE       (1ull << 14)
#define ARCH_CR4_PCIDE      (1ull << 17)
#define ARCH_CR4_OSXSAVE    (1ull << 18)
#define ARCH_CR4_PKE        (1ull << 22)
#define ARCH_CR4_CET        (1ull << 23)
#define ARCH_CR4_PKS        (1ull << 24)
/* MOV to CR8: bits 63:4 are reserved (SDM Vol. 3A, 2.5). */
#define ARCH_CR8_RESERVED (~0xfull)

#define ARCH_RFLAGS_IF (1ull << 9)
#define ARCH_RFLAGS_RF (1ull << 16)

/* Exception vectors (SDM Vol. 3A, Table 6-1). */
#define ARCH_VECTOR_NMI 2
#define ARCH_VECTOR_UD  6
#define ARCH_VECTOR_GP  13
/* Vectors of the fault class (#DE, #BR, #UD, #NM, #TS, #NP, #SS, #GP, #PF,
 * #MF, #AC, #XM, #VE): bit per vector. */
#define ARCH_VECTOR_FAULTS     0x1b7ce1u
#define ARCH_VECTOR_EXCEPTIONS 32 /* vectors 0-31 */

/* CPUID leaves and feature bits (SDM Vol. 2A, CPUID). */
#define ARCH_CPUID_FEATURES 0x1
/* Leaf 4, deterministic cache parameters (SDM Vol. 2A, CPUID, Table 3-8):
 * EAX[4:0] cache type (0 = no more), [7:5] level, [25:14] logical
 * processors sharing it - 1, [31:26] cores per package - 1. */
#define ARCH_CPUID_CACHE_PARAMETERS   0x4
#define ARCH_CPUID_4_EAX_TYPE_MASK    0x1fu
#define ARCH_CPUID_4_EAX_LEVEL_SHIFT  5
#define ARCH_CPUID_4_EAX_LEVEL_MASK   0x7u
#define ARCH_CPUID_4_EAX_SHARED_SHIFT 14
#define ARCH_CPUID_4_EAX_SHARED_MASK  0xfffu
#define ARCH_CPUID_4_EAX_CORES_SHIFT  26
#define ARCH_CPUID_4_EAX_CORES_MASK   0x3fu
#define ARCH_CPUID_4_LEVEL_SHARED     3 /* the last-level cache every core shares */
#define ARCH_CPUID_MONITOR            0x5
#define ARCH_CPUID_THERMAL_POWER      0x6
#define ARCH_CPUID_EXTENDED_FEATURES  0x7
#define ARCH_CPUID_PERFMON            0xa
#define ARCH_CPUID_TOPOLOGY           0xb
#define ARCH_CPUID_XSAVE              0xd
#define ARCH_CPUID_TOPOLOGY_V2        0x1f
#define ARCH_CPUID_EXTENDED_INFO      0x80000001u
/* leaf 1 ECX */
#define ARCH_CPUID_1_ECX_DTES64       (1u << 2)
#define ARCH_CPUID_1_ECX_MONITOR      (1u << 3)
#define ARCH_CPUID_1_ECX_DS_CPL       (1u << 4)
#define ARCH_CPUID_1_ECX_EST          (1u << 7) /* IA32_PERF_CTL/STATUS */
#define ARCH_CPUID_1_ECX_TM2          (1u << 8)
#define ARCH_CPUID_1_ECX_VMX          (1u << 5)
#define ARCH_CPUID_1_ECX_SMX          (1u << 6)
#define ARCH_CPUID_1_ECX_PDCM         (1u << 15)
#define ARCH_CPUID_1_ECX_DCA          (1u << 18) /* IA32_PLATFORM_DCA_CAP */
#define ARCH_CPUID_1_ECX_X2APIC       (1u << 21)
#define ARCH_CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define ARCH_CPUID_1_ECX_XSAVE        (1u << 26)
#define ARCH_CPUID_1_ECX_OSXSAVE      (1u << 27)
#define ARCH_CPUID_1_ECX_AVX          (1u << 28)
#define ARCH_CPUID_1_ECX_RDRAND       (1u << 30)
#define ARCH_CPUID_1_ECX_HYPERVISOR   (1u << 31)
/* leaf 1 EDX */
#define ARCH_CPUID_1_EDX_APIC (1u << 9)
#define ARCH_CPUID_1_EDX_DS   (1u << 21)
#define ARCH_CPUID_1_EDX_ACPI (1u << 22) /* clock modulation, IA32_THERM_STATUS */
#define ARCH_CPUID_1_EDX_TM   (1u << 29)
/* leaf 6 EAX: digital thermal sensor, package thermal, HWP (bits 7-11) */
#define ARCH_CPUID_6_EAX_DTS (1u << 0)
#define ARCH_CPUID_6_EAX_PTM (1u << 6)
#define ARCH_CPUID_6_EAX_HWP 0x00000f80u
/* leaf 1 EBX: [15:0] brand/CLFLUSH, [23:16] logical CPUs, [31:24] APIC ID */
#define ARCH_CPUID_1_EBX_KEEP          0x0000ffffu
#define ARCH_CPUID_1_EBX_LOGICAL_SHIFT 16
#define ARCH_CPUID_1_EBX_APIC_ID_SHIFT 24
/* leaf 7 subleaf 0 EBX */
#define ARCH_CPUID_7_EBX_TSC_ADJUST (1u << 1)
#define ARCH_CPUID_7_EBX_AVX2       (1u << 5)
#define ARCH_CPUID_7_EBX_RDSEED     (1u << 18)
#define ARCH_CPUID_7_EBX_INVPCID    (1u << 10)
/* leaf 7 subleaf 0 ECX, EDX */
#define ARCH_CPUID_7_ECX_PKU     (1u << 3)
#define ARCH_CPUID_7_ECX_OSPKE   (1u << 4)
#define ARCH_CPUID_7_ECX_WAITPKG (1u << 5) /* IA32_UMWAIT_CONTROL */
#define ARCH_CPUID_7_ECX_CET_SS  (1u << 7)
#define ARCH_CPUID_7_ECX_PKS     (1u << 31)
#define ARCH_CPUID_7_EDX_CET_IBT (1u << 20)
/* IBRS/IBPB, STIBP, L1D_FLUSH, ARCH_CAPABILITIES, CORE_CAPABILITIES, SSBD:
 * IA32_SPEC_CTRL, IA32_PRED_CMD, IA32_FLUSH_CMD, IA32_ARCH_CAPABILITIES,
 * IA32_CORE_CAPABILITIES */
#define ARCH_CPUID_7_EDX_SPECULATION_MSRS 0xfc000000u
/* leaf 0xb/0x1f ECX[7:0]: the level number (the subleaf) */
#define ARCH_CPUID_TOPOLOGY_LEVEL_MASK 0xffu
/* leaf 0x80000001 EDX */
#define ARCH_CPUID_80000001_EDX_RDTSCP (1u << 27)

/* Is `address` canonical (bits 63:47 a sign extension)? */
static inline bool arch_canonical(uint64_t address)
{
	int64_t shifted = (int64_t)(address << (64 - ARCH_CANONICAL_BITS));
	return (uint64_t)(shifted >> (64 - ARCH_CANONICAL_BITS)) == address;
}

/* Is every entry of an IA32_PAT value a valid memory type? */
static inline bool arch_pat_valid(uint64_t pat)
{
	for (unsigned i = 0; i < ARCH_PAT_ENTRIES; i++) {
		unsigned type = (unsigned)(pat >> (8 * i)) & 0xff;
		if (type >= 8 || !(ARCH_PAT_VALID_TYPES & (1u << type)))
			return false;
	}
	return true;
}

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
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
	                 : "memory");
}

/* Return 0 and the value, or -1 if the MSR does not exist (#GP caught). */
int arch_msr_read_safe(uint32_t msr, uint64_t *value);

static inline uint64_t arch_tsc_read(void)
{
	uint32_t low, high;
	__asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
	return ((uint64_t)high << 32) | low;
}

#define ARCH_DEFINE_CR(n)                                                                          \
	static inline uint64_t arch_cr##n##_read(void)                                             \
	{                                                                                          \
		uint64_t v;                                                                        \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                  \
		return v;                                                                          \
	}                                                                                          \
	static inline void arch_cr##n##_write(uint64_t v)                                          \
	{                                                                                          \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                           \
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
static inline uint16_t arch_inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t arch_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void arch_interrupts_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void arch_interrupts_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}
static inline void arch_halt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}
/* Enable interrupts and halt atomically: no wake-up is lost in between. */
static inline void arch_enable_and_halt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}
static inline void arch_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

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
