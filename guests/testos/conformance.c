/*
 * guests/testos/conformance.c - `conformance`: what uslice promises a guest,
 * checked from inside one, written from the Intel SDM. One line per case:
 *
 *   RESULT workload=conformance case=NAME ok=0|1 [detail=...]
 *
 * and a last one, RESULT workload=conformance cases=N failed=M; the VM
 * powers off with status 0 when every case passed, 1 otherwise. Cases:
 *   cpuid_msr        every CPUID bit that implies an MSR has it readable
 *                    (PDCM -> PERF_CAPABILITIES, DS -> DS_AREA, TSC_ADJUST,
 *                    leaf 0xa version -> PERF_GLOBAL_CTRL), else hidden
 *   gp_fs_base, gp_gs_base, gp_kernel_gs_base, gp_sysenter_esp,
 *   gp_sysenter_eip  WRMSR of a non-canonical address #GPs
 *   gp_pat           an invalid memory type #GPs, a valid PAT is kept
 *   gp_efer          a reserved bit, and LME cleared while paging, #GP
 *   gp_cr0           bit 32, NW without CD, PG cleared in 64-bit mode #GP
 *   gp_cr4           OSXSAVE (XSAVE hidden), VMXE, PAE cleared in IA-32e #GP
 *   gp_cr8           bits 63:4 #GP
 *   gp_rf            the RFLAGS image pushed for an injected #GP has RF
 *   tsc_write        WRMSR IA32_TSC: RDTSC continues from the value;
 *                    RDMSR IA32_TSC lies between two RDTSCs
 *   misc_enable      fast strings (bit 0) is read/write
 *   rdpmc            the PMU is hidden (CPUID 0xa) and RDPMC gets #UD
 *   apic_disable     IA32_APIC_BASE.EN clear: CPUID.1:EDX.APIC clear, the
 *                    xAPIC page reads all ones; set again: APIC back
 *   apic_relocate    the xAPIC page follows a new IA32_APIC_BASE
 *   nmi_latch        two self-NMIs sent from an NMI handler: two handler
 *                    runs in all (one latched, one merged, SDM 6.7.1)
 *   nmi_back_to_back CPU 1 sends CPU 0 (halted) two NMIs back to back: two
 *                    handler runs (needs 2 vCPUs; on one pCPU both NMIs
 *                    arrive before CPU 0 runs again)
 *   lvt_mode_switch  one-shot -> periodic keeps TMICT (SDM 10.5.4.1)
 *   timer_minimum    a one-shot count of 1 fires no sooner than 10 us
 * #GP and #UD are caught by stubs in a copy of testos's IDT that resume
 * after the faulting instruction (conformance_recover).
 *
 * The VM has 2 vCPUs; the AP only sends the NMIs of nmi_back_to_back.
 * Lock order: none (testos_run_everywhere for the one two-CPU case).
 */
#include "guests/testos/smp.h"

#define CONFORMANCE_NONE                  0xffu /* no fault caught */
#define CONFORMANCE_VECTOR_UD             6
#define CONFORMANCE_VECTOR_GP             13
#define CONFORMANCE_NONCANONICAL          0x0000800000000000ull
#define CONFORMANCE_RFLAGS_RF             (1ull << 16)
#define CONFORMANCE_MSR_TSC               0x10
#define CONFORMANCE_MSR_APIC_BASE         0x1b
#define CONFORMANCE_MSR_TSC_ADJUST        0x3b
#define CONFORMANCE_MSR_SYSENTER_ESP      0x175
#define CONFORMANCE_MSR_SYSENTER_EIP      0x176
#define CONFORMANCE_MSR_MISC_ENABLE       0x1a0
#define CONFORMANCE_MSR_PAT               0x277
#define CONFORMANCE_MSR_PERF_CAPABILITIES 0x345
#define CONFORMANCE_MSR_PERF_GLOBAL_CTRL  0x38f
#define CONFORMANCE_MSR_DS_AREA           0x600
#define CONFORMANCE_MSR_EFER              0xc0000080
#define CONFORMANCE_MSR_FS_BASE           0xc0000100
#define CONFORMANCE_MSR_GS_BASE           0xc0000101
#define CONFORMANCE_MSR_KERNEL_GS_BASE    0xc0000102
#define CONFORMANCE_EFER_LME              (1ull << 8)
#define CONFORMANCE_CR0_NW                (1ull << 29)
#define CONFORMANCE_CR0_CD                (1ull << 30)
#define CONFORMANCE_CR0_PG                (1ull << 31)
#define CONFORMANCE_CR4_PAE               (1ull << 5)
#define CONFORMANCE_CR4_VMXE              (1ull << 13)
#define CONFORMANCE_CR4_OSXSAVE           (1ull << 18)
#define CONFORMANCE_APIC_BASE             0xfee00000ull
#define CONFORMANCE_APIC_MOVED            0xfef00000ull /* mapped by boot.S with the APIC's 2 MiB */
#define CONFORMANCE_APIC_ENABLE           (1ull << 11)
#define CONFORMANCE_APIC_VERSION          0x30
#define CONFORMANCE_ALL_ONES              0xffffffffu
#define CONFORMANCE_LVT_PERIODIC          (1u << 17)
#define CONFORMANCE_DIVIDE_1              0xbu
#define CONFORMANCE_TIMER_MINIMUM_US      10u
#define CONFORMANCE_IDT_ENTRIES           256

struct conformance_idt_entry {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_middle;
	uint32_t offset_high, reserved;
} __attribute__((packed));

struct conformance_idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct conformance_idt_entry conformance_idt[CONFORMANCE_IDT_ENTRIES]
    __attribute__((aligned(16)));
/* Read by the stubs below: where to resume after a fault (0 = fatal), the
 * vector caught and the RFLAGS image the CPU pushed. */
volatile uint64_t conformance_recover;
volatile uint32_t conformance_vector = CONFORMANCE_NONE;
volatile uint64_t conformance_fault_rflags;
static volatile uint32_t conformance_nmis;
static volatile bool conformance_nmi_resend; /* nmi_latch: the first run sends two more */
static volatile uint32_t conformance_go;     /* nmi_back_to_back: CPU 1 may send */
static uint32_t conformance_cases, conformance_failed;
extern const char conformance_gp_stub[], conformance_ud_stub[], conformance_nmi_stub[];
void conformance_nmi(void);
void testos_exception(uint64_t vector);

/* #GP (error code dropped) and #UD: resume at conformance_recover; the
 * NMI: conformance_nmi() with the caller-saved registers kept. */
__asm__(".text\n"
        "conformance_gp_stub:\n"
        "	add $8, %rsp\n"
        "	movl $13, conformance_vector(%rip)\n"
        "	jmp conformance_fault_common\n"
        "conformance_ud_stub:\n"
        "	movl $6, conformance_vector(%rip)\n"
        "conformance_fault_common:\n"
        "	cmpq $0, conformance_recover(%rip)\n"
        "	je conformance_fatal\n"
        "	push %rax\n"
        "	mov 24(%rsp), %rax\n" /* RIP, CS, RFLAGS above the saved RAX */
        "	mov %rax, conformance_fault_rflags(%rip)\n"
        "	mov conformance_recover(%rip), %rax\n"
        "	mov %rax, 8(%rsp)\n"
        "	movq $0, conformance_recover(%rip)\n"
        "	pop %rax\n"
        "	iretq\n"
        "conformance_fatal:\n"
        "	and $-16, %rsp\n"
        "	mov conformance_vector(%rip), %edi\n"
        "	call testos_exception\n"
        "conformance_nmi_stub:\n"
        "	push %rax; push %rcx; push %rdx; push %rsi; push %rdi\n"
        "	push %r8; push %r9; push %r10; push %r11\n"
        "	call conformance_nmi\n"
        "	pop %r11; pop %r10; pop %r9; pop %r8\n"
        "	pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n"
        "	iretq\n");

static void conformance_idt_set(unsigned vector, const char *stub)
{
	uint64_t target = (uint64_t)(uintptr_t)stub;
	conformance_idt[vector].offset_low = (uint16_t)target;
	conformance_idt[vector].offset_middle = (uint16_t)(target >> 16);
	conformance_idt[vector].offset_high = (uint32_t)(target >> 32);
}

/* testos's IDT with #GP, #UD and the NMI taken here. */
static void conformance_idt_install(void)
{
	struct conformance_idt_pointer current;
	__asm__ volatile("sidt %0" : "=m"(current));
	const struct conformance_idt_entry *entries =
	    (const struct conformance_idt_entry *)(uintptr_t)current.base;
	for (unsigned i = 0; i < CONFORMANCE_IDT_ENTRIES; i++)
		conformance_idt[i] = entries[i];
	conformance_idt_set(TESTOS_VECTOR_NMI, conformance_nmi_stub);
	conformance_idt_set(CONFORMANCE_VECTOR_UD, conformance_ud_stub);
	conformance_idt_set(CONFORMANCE_VECTOR_GP, conformance_gp_stub);
	struct conformance_idt_pointer pointer = {sizeof(conformance_idt) - 1,
	                                          (uint64_t)(uintptr_t)conformance_idt};
	__asm__ volatile("lidt %0" ::"m"(pointer));
}

/* ---- instructions that may fault: the vector caught, or CONFORMANCE_NONE ---- */

#define CONFORMANCE_TRY(instruction, ...)                                                          \
	__asm__ volatile(                                                                          \
	    "leaq 1f(%%rip), %%r11\n\tmovq %%r11, conformance_recover(%%rip)\n\t" instruction      \
	    "\n1:\tmovq $0, conformance_recover(%%rip)" __VA_ARGS__)

static uint32_t conformance_wrmsr(uint32_t msr, uint64_t value)
{
	conformance_vector = CONFORMANCE_NONE;
	CONFORMANCE_TRY("wrmsr", ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
	                : "r11", "memory");
	return conformance_vector;
}

static uint32_t conformance_rdmsr(uint32_t msr, uint64_t *value)
{
	uint32_t low = 0, high = 0;
	conformance_vector = CONFORMANCE_NONE;
	CONFORMANCE_TRY("rdmsr", : "+a"(low), "+d"(high) : "c"(msr) : "r11", "memory");
	*value = (uint64_t)high << 32 | low;
	return conformance_vector;
}

#define CONFORMANCE_DEFINE_CR(n)                                                                   \
	static uint64_t conformance_cr##n##_read(void)                                             \
	{                                                                                          \
		uint64_t v;                                                                        \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                  \
		return v;                                                                          \
	}                                                                                          \
	static uint32_t conformance_cr##n##_write(uint64_t v)                                      \
	{                                                                                          \
		conformance_vector = CONFORMANCE_NONE;                                             \
		CONFORMANCE_TRY("mov %0, %%cr" #n, ::"r"(v) : "r11", "memory");                    \
		return conformance_vector;                                                         \
	}
CONFORMANCE_DEFINE_CR(0)
CONFORMANCE_DEFINE_CR(4)
CONFORMANCE_DEFINE_CR(8)
#undef CONFORMANCE_DEFINE_CR

static uint32_t conformance_rdpmc(uint32_t counter)
{
	uint32_t low = 0, high = 0;
	conformance_vector = CONFORMANCE_NONE;
	CONFORMANCE_TRY("rdpmc", : "+a"(low), "+d"(high) : "c"(counter) : "r11", "memory");
	return conformance_vector;
}

static void conformance_cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
	                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
	                 : "a"(leaf), "c"(0));
}

static void conformance_report(const char *name, bool ok, const char *detail)
{
	conformance_cases++;
	conformance_failed += !ok;
	testos_result("workload=conformance case=%s ok=%u%s%s", name, ok ? 1u : 0u,
	              detail[0] ? " detail=" : "", detail);
}

/* ---- cases ------------------------------------------------------------------ */

static void case_cpuid_msr(void)
{
	uint32_t r1[4], r7[4], ra[4];
	conformance_cpuid(1, r1);
	conformance_cpuid(7, r7);
	conformance_cpuid(0xa, ra);
	/* CPUID.1:ECX.PDCM, CPUID.1:EDX.DS, CPUID.7.0:EBX.TSC_ADJUST */
	static const struct {
		uint32_t bit;
		uint32_t msr;
		const char *name;
	} rows[] = {
	    {1u << 15, CONFORMANCE_MSR_PERF_CAPABILITIES, "pdcm"},
	    {1u << 21, CONFORMANCE_MSR_DS_AREA, "ds"},
	    {1u << 1, CONFORMANCE_MSR_TSC_ADJUST, "tsc_adjust"},
	};
	uint32_t *words[] = {&r1[2], &r1[3], &r7[1]};
	char detail[96] = "";
	bool ok = true;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t value;
		if ((*words[i] & rows[i].bit) &&
		    conformance_rdmsr(rows[i].msr, &value) != CONFORMANCE_NONE) {
			ok = false;
			testos_format_to(detail, sizeof(detail), "%s_shown_msr_0x%x_gp",
			                 rows[i].name, rows[i].msr);
		}
	}
	uint64_t value;
	if ((ra[0] & 0xff) >= 2 &&
	    conformance_rdmsr(CONFORMANCE_MSR_PERF_GLOBAL_CTRL, &value) != CONFORMANCE_NONE) {
		ok = false;
		testos_format_to(detail, sizeof(detail), "arch_perfmon_v%u_global_ctrl_gp",
		                 ra[0] & 0xff);
	}
	conformance_report("cpuid_msr", ok, detail);
}

static void case_noncanonical(void)
{
	static const struct {
		uint32_t msr;
		const char *name;
	} rows[] = {
	    {CONFORMANCE_MSR_FS_BASE, "gp_fs_base"},
	    {CONFORMANCE_MSR_GS_BASE, "gp_gs_base"},
	    {CONFORMANCE_MSR_KERNEL_GS_BASE, "gp_kernel_gs_base"},
	    {CONFORMANCE_MSR_SYSENTER_ESP, "gp_sysenter_esp"},
	    {CONFORMANCE_MSR_SYSENTER_EIP, "gp_sysenter_eip"},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t before = 0, after = 0;
		conformance_rdmsr(rows[i].msr, &before);
		uint32_t vector = conformance_wrmsr(rows[i].msr, CONFORMANCE_NONCANONICAL);
		conformance_rdmsr(rows[i].msr, &after);
		char detail[48] = "";
		if (vector != CONFORMANCE_VECTOR_GP)
			testos_format_to(detail, sizeof(detail), "vector_%u", vector);
		conformance_report(rows[i].name, vector == CONFORMANCE_VECTOR_GP && after == before,
		                   detail);
	}
}

static void case_pat(void)
{
	uint64_t pat = 0, back = 0;
	conformance_rdmsr(CONFORMANCE_MSR_PAT, &pat);
	bool bad =
	    conformance_wrmsr(CONFORMANCE_MSR_PAT, (pat & ~0xffull) | 2) == CONFORMANCE_VECTOR_GP;
	bool good = conformance_wrmsr(CONFORMANCE_MSR_PAT, pat) == CONFORMANCE_NONE;
	conformance_rdmsr(CONFORMANCE_MSR_PAT, &back);
	conformance_report("gp_pat", bad && good && back == pat, bad ? "" : "type_2_accepted");
}

static void case_efer(void)
{
	uint64_t efer = 0;
	conformance_rdmsr(CONFORMANCE_MSR_EFER, &efer);
	bool reserved =
	    conformance_wrmsr(CONFORMANCE_MSR_EFER, efer | (1ull << 1)) == CONFORMANCE_VECTOR_GP;
	bool lme = conformance_wrmsr(CONFORMANCE_MSR_EFER, efer & ~CONFORMANCE_EFER_LME) ==
	           CONFORMANCE_VECTOR_GP;
	conformance_report("gp_efer", reserved && lme, reserved ? (lme ? "" : "lme") : "reserved");
}

static void case_cr(void)
{
	uint64_t cr0 = conformance_cr0_read(), cr4 = conformance_cr4_read();
	bool high = conformance_cr0_write(cr0 | (1ull << 32)) == CONFORMANCE_VECTOR_GP;
	bool nw = conformance_cr0_write((cr0 & ~CONFORMANCE_CR0_CD) | CONFORMANCE_CR0_NW) ==
	          CONFORMANCE_VECTOR_GP;
	conformance_cr0_write(cr0);
	bool pg = conformance_cr0_write(cr0 & ~CONFORMANCE_CR0_PG) == CONFORMANCE_VECTOR_GP;
	conformance_report("gp_cr0", high && nw && pg && conformance_cr0_read() == cr0,
	                   !high ? "bit32"
	                   : !nw ? "nw"
	                   : !pg ? "pg"
	                         : "");
	bool osxsave =
	    conformance_cr4_write(cr4 | CONFORMANCE_CR4_OSXSAVE) == CONFORMANCE_VECTOR_GP;
	bool vmxe = conformance_cr4_write(cr4 | CONFORMANCE_CR4_VMXE) == CONFORMANCE_VECTOR_GP;
	bool pae = conformance_cr4_write(cr4 & ~CONFORMANCE_CR4_PAE) == CONFORMANCE_VECTOR_GP;
	conformance_report("gp_cr4", osxsave && vmxe && pae && conformance_cr4_read() == cr4,
	                   !osxsave ? "osxsave"
	                   : !vmxe  ? "vmxe"
	                   : !pae   ? "pae"
	                            : "");
	uint64_t cr8 = conformance_cr8_read();
	bool reserved = conformance_cr8_write(0x10) == CONFORMANCE_VECTOR_GP;
	conformance_report("gp_cr8", reserved && conformance_cr8_read() == cr8, "");
	conformance_wrmsr(CONFORMANCE_MSR_PAT, CONFORMANCE_NONCANONICAL); /* any #GP */
	conformance_report("gp_rf",
	                   conformance_vector == CONFORMANCE_VECTOR_GP &&
	                       (conformance_fault_rflags & CONFORMANCE_RFLAGS_RF),
	                   "");
}

static void case_tsc(void)
{
	const uint64_t target = 1ull << 44;
	uint64_t adjust_before = 0, adjust_after = 0, msr = 0;
	conformance_rdmsr(CONFORMANCE_MSR_TSC_ADJUST, &adjust_before);
	uint64_t before = testos_rdtsc();
	bool written = conformance_wrmsr(CONFORMANCE_MSR_TSC, target) == CONFORMANCE_NONE;
	uint64_t first = testos_rdtsc();
	conformance_rdmsr(CONFORMANCE_MSR_TSC, &msr);
	uint64_t second = testos_rdtsc();
	conformance_rdmsr(CONFORMANCE_MSR_TSC_ADJUST, &adjust_after);
	bool follows = first >= target && first - target < (1ull << 32);
	bool consistent = first <= msr && msr <= second;
	/* SDM 17.17.3: TSC_ADJUST changed by as much as the TSC was moved. */
	uint64_t moved = adjust_after - adjust_before, expected = target - before;
	bool adjusted = moved - expected + (1ull << 32) < (2ull << 32);
	char detail[48] = "";
	testos_format_to(detail, sizeof(detail), "%s%s%s%s", written ? "" : "gp_",
	                 follows ? "" : "rdtsc_", consistent ? "" : "rdmsr_",
	                 adjusted ? "" : "adjust");
	conformance_report("tsc_write", written && follows && consistent && adjusted, detail);
}

static void case_misc_enable(void)
{
	uint64_t value = 0, cleared = 0, set = 0;
	conformance_rdmsr(CONFORMANCE_MSR_MISC_ENABLE, &value);
	conformance_wrmsr(CONFORMANCE_MSR_MISC_ENABLE, value & ~1ull);
	conformance_rdmsr(CONFORMANCE_MSR_MISC_ENABLE, &cleared);
	conformance_wrmsr(CONFORMANCE_MSR_MISC_ENABLE, value | 1);
	conformance_rdmsr(CONFORMANCE_MSR_MISC_ENABLE, &set);
	conformance_report("misc_enable", !(cleared & 1) && (set & 1), "");
}

static void case_rdpmc(void)
{
	uint32_t ra[4];
	conformance_cpuid(0xa, ra);
	uint32_t vector = conformance_rdpmc(0);
	char detail[32] = "";
	testos_format_to(detail, sizeof(detail), "pmu_v%u_vector_%u", ra[0] & 0xff, vector);
	conformance_report("rdpmc", (ra[0] & 0xff) == 0 && vector == CONFORMANCE_VECTOR_UD, detail);
}

static uint32_t conformance_page_read(uint64_t base, uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(base + reg);
}

static void case_apic(void)
{
	uint32_t r1[4];
	uint64_t base = testos_rdmsr(CONFORMANCE_MSR_APIC_BASE);
	testos_wrmsr(CONFORMANCE_MSR_APIC_BASE, base & ~CONFORMANCE_APIC_ENABLE);
	conformance_cpuid(1, r1);
	bool hidden = !(r1[3] & (1u << 9));
	bool ones = conformance_page_read(CONFORMANCE_APIC_BASE, CONFORMANCE_APIC_VERSION) ==
	            CONFORMANCE_ALL_ONES;
	testos_wrmsr(CONFORMANCE_MSR_APIC_BASE, base);
	conformance_cpuid(1, r1);
	bool back = r1[3] & (1u << 9);
	testos_lapic_enable(); /* disabling reset the registers */
	conformance_report("apic_disable", hidden && ones && back,
	                   !hidden ? "cpuid_apic_shown"
	                   : !ones ? "page_decoded"
	                   : !back ? "cpuid"
	                           : "");
	uint32_t version = conformance_page_read(CONFORMANCE_APIC_BASE, CONFORMANCE_APIC_VERSION);
	bool moved = conformance_wrmsr(CONFORMANCE_MSR_APIC_BASE,
	                               (base & ~CONFORMANCE_APIC_BASE) | CONFORMANCE_APIC_MOVED) ==
	             CONFORMANCE_NONE;
	bool follows =
	    moved &&
	    conformance_page_read(CONFORMANCE_APIC_MOVED, CONFORMANCE_APIC_VERSION) == version &&
	    conformance_page_read(CONFORMANCE_APIC_BASE, CONFORMANCE_APIC_VERSION) ==
	        CONFORMANCE_ALL_ONES;
	testos_wrmsr(CONFORMANCE_MSR_APIC_BASE, base);
	bool restored =
	    conformance_page_read(CONFORMANCE_APIC_BASE, CONFORMANCE_APIC_VERSION) == version;
	conformance_report("apic_relocate", moved && follows && restored,
	                   !moved      ? "gp"
	                   : !follows  ? "page"
	                   : !restored ? "restore"
	                               : "");
}

void conformance_nmi(void)
{
	if (__atomic_add_fetch(&conformance_nmis, 1, __ATOMIC_RELAXED) == 1 &&
	    conformance_nmi_resend) {
		testos_send_ipi(0, TESTOS_ICR_NMI | TESTOS_ICR_ASSERT); /* to APIC ID 0: this CPU */
		testos_send_ipi(0, TESTOS_ICR_NMI | TESTOS_ICR_ASSERT); /* to APIC ID 0: this CPU */
	}
}

static void case_nmi(void)
{
	conformance_nmis = 0;
	conformance_nmi_resend = true;
	testos_send_ipi(0, TESTOS_ICR_NMI | TESTOS_ICR_ASSERT); /* to APIC ID 0: this CPU */
	testos_delay(testos_tsc_khz);                           /* 1 ms */
	conformance_nmi_resend = false;
	char detail[32];
	testos_format_to(detail, sizeof(detail), "runs_%u", conformance_nmis);
	conformance_report("nmi_latch", conformance_nmis == 2, detail);
}

/* CPU 1 sends two NMIs back to back to CPU 0, which halts: both arrive
 * before CPU 0 runs again (one pCPU), and both are delivered. */
static void conformance_nmi_work(struct testos_cpu *cpu, void *argument)
{
	(void)argument;
	if (cpu->index == 1) {
		while (!__atomic_load_n(&conformance_go, __ATOMIC_ACQUIRE))
			testos_cpu_relax();
		testos_send_ipi(testos_cpus[0].apic_id, TESTOS_ICR_NMI | TESTOS_ICR_ASSERT);
		testos_send_ipi(testos_cpus[0].apic_id, TESTOS_ICR_NMI | TESTOS_ICR_ASSERT);
	} else if (cpu->index == 0) {
		__atomic_store_n(&conformance_go, 1, __ATOMIC_RELEASE);
		__asm__ volatile("sti; hlt" ::: "memory");
		uint64_t start = testos_rdtsc();
		while (conformance_nmis < 2 && testos_rdtsc() - start < testos_tsc_khz * 10)
			testos_cpu_relax();
	}
}

static void case_nmi_back_to_back(void)
{
	if (testos_cpu_count < 2) {
		conformance_report("nmi_back_to_back", false, "one_cpu");
		return;
	}
	conformance_nmis = 0;
	testos_run_everywhere(conformance_nmi_work, NULL);
	char detail[32];
	testos_format_to(detail, sizeof(detail), "runs_%u", conformance_nmis);
	conformance_report("nmi_back_to_back", conformance_nmis == 2, detail);
}

static void case_timer(void)
{
	struct testos_cpu *cpu = testos_this_cpu();
	testos_lapic_write(TESTOS_APIC_TIMER_DIVIDE, CONFORMANCE_DIVIDE_1);
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, 0x10000 | TESTOS_VECTOR_LOCAL_TIMER); /* masked */
	testos_lapic_write(TESTOS_APIC_TIMER_INITIAL, 0x10000000);
	testos_lapic_write(TESTOS_APIC_LVT_TIMER,
	                   0x10000 | CONFORMANCE_LVT_PERIODIC | TESTOS_VECTOR_LOCAL_TIMER);
	uint32_t initial = testos_lapic_read(TESTOS_APIC_TIMER_INITIAL);
	uint32_t current = testos_lapic_read(TESTOS_APIC_TIMER_CURRENT);
	testos_lapic_write(TESTOS_APIC_TIMER_INITIAL, 0);
	conformance_report("lvt_mode_switch", initial == 0x10000000 && current != 0, "");

	testos_interrupts_disable();
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, TESTOS_VECTOR_LOCAL_TIMER); /* one-shot */
	uint32_t irqs = cpu->timer_irqs;
	uint64_t start = testos_rdtsc();
	testos_lapic_write(TESTOS_APIC_TIMER_INITIAL, 1);
	testos_interrupts_enable();
	while (cpu->timer_irqs == irqs && testos_rdtsc() - start < testos_tsc_khz * 100)
		testos_cpu_relax();
	uint64_t latency = cpu->last_irq_tsc - start;
	uint64_t minimum = testos_tsc_khz * CONFORMANCE_TIMER_MINIMUM_US / 1000;
	char detail[64];
	testos_format_to(detail, sizeof(detail), "latency_ticks_%llu_minimum_%llu",
	                 (unsigned long long)latency, (unsigned long long)minimum);
	conformance_report("timer_minimum", cpu->timer_irqs != irqs && latency >= minimum * 9 / 10,
	                   detail);
	testos_lapic_write(TESTOS_APIC_LVT_TIMER, 0x10000 | TESTOS_VECTOR_LOCAL_TIMER);
}

int testos_mode_conformance(void)
{
	char why[96];
	testos_cpus[0].self = &testos_cpus[0];
	testos_cpu_setup(0);
	if (testos_acpi_scan(why, sizeof(why)) != 0) {
		testos_print("testos: ACPI: %s\n", why);
		return 5;
	}
	testos_pit_calibrate_tsc();
	if (testos_start_aps() != (int)testos_cpu_count - 1)
		return 6;
	conformance_idt_install();
	case_cpuid_msr();
	case_noncanonical();
	case_pat();
	case_efer();
	case_cr();
	case_tsc();
	case_misc_enable();
	case_rdpmc();
	case_apic();
	case_nmi();
	case_nmi_back_to_back();
	case_timer();
	testos_idt_load();
	testos_result("workload=conformance cases=%u failed=%u", conformance_cases,
	              conformance_failed);
	return conformance_failed ? 1 : 0;
}
