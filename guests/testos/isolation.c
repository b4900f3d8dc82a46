/*
 * guests/testos/isolation.c - the `isolation N` mode of testos: register
 * state VMX does not switch stays this VM's own.
 *
 * Each of N rounds loads a pattern derived from this VM's id (CPUID
 * 0x40000001 EBX) into XMM0-15, MXCSR (rounding control), the x87 control
 * word (rounding control), DR0-3 and DR6's B0-B3 bits, then works long
 * enough for the hypervisor to run another vCPU on this pCPU, and reads
 * them all back. Any difference is counted and the first foreign XMM and
 * DR values are reported. Before the first round it also checks that the
 * vCPU starts from the architectural reset values (XMM zero, MXCSR 0x1f80,
 * FCW 0x37f after FNINIT, DR0-3 zero), so nothing of the host or of another
 * VM shows through.
 *
 *   RESULT workload=isolation rounds=N xmm_mismatch=N mxcsr_mismatch=N
 *          fpu_mismatch=N dr_mismatch=N first_foreign_xmm=0x.. first_foreign_dr=0x..
 *          initial_dirty=N work=N   (work: a byte of the private result)
 *
 * Lock order: none (one vCPU).
 */
#include "guests/testos/smp.h"

#define ISOLATION_CR4_OSFXSR           (1ull << 9)
#define ISOLATION_MXCSR_RESET          0x1f80u
#define ISOLATION_MXCSR_ROUNDING_SHIFT 13
#define ISOLATION_FCW_RESET            0x037fu
#define ISOLATION_FCW_ROUNDING_SHIFT   10
#define ISOLATION_DR6_B_MASK           0xfull
#define ISOLATION_DR6_RESERVED_ONES    0xffff0ff0ull
#define ISOLATION_WORK_ROUNDS          200000u

#define ISOLATION_XMM_WRITE(n, value) __asm__ volatile("movq %0, %%xmm" #n ::"r"(value))
#define ISOLATION_XMM_READ(n, out)    __asm__ volatile("movq %%xmm" #n ", %0" : "=r"(out))
#define ISOLATION_DR_WRITE(n, value)  __asm__ volatile("mov %0, %%dr" #n ::"r"(value))
#define ISOLATION_DR_READ(n, out)     __asm__ volatile("mov %%dr" #n ", %0" : "=r"(out))

struct isolation_counts {
	uint64_t xmm, mxcsr, fpu, dr;
	uint64_t first_foreign_xmm, first_foreign_dr;
};

/* Every XMM register, for the X-macros below (each needs its own name). */
#define ISOLATION_XMM_REGISTERS(X)                                                                 \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define ISOLATION_XMM_SET(n) ISOLATION_XMM_WRITE(n, pattern ^ n);
#define ISOLATION_XMM_GET(n) ISOLATION_XMM_READ(n, values[n]);

static void isolation_xmm_write_all(uint64_t pattern)
{
	ISOLATION_XMM_REGISTERS(ISOLATION_XMM_SET)
}

static void isolation_xmm_read_all(uint64_t values[16])
{
	ISOLATION_XMM_REGISTERS(ISOLATION_XMM_GET)
}

static void isolation_dr_write_all(uint64_t pattern, uint64_t dr6_bits)
{
	ISOLATION_DR_WRITE(0, pattern + 0);
	ISOLATION_DR_WRITE(1, pattern + 1);
	ISOLATION_DR_WRITE(2, pattern + 2);
	ISOLATION_DR_WRITE(3, pattern + 3);
	ISOLATION_DR_WRITE(6, ISOLATION_DR6_RESERVED_ONES | dr6_bits);
}

static void isolation_dr_read_all(uint64_t values[5])
{
	ISOLATION_DR_READ(0, values[0]);
	ISOLATION_DR_READ(1, values[1]);
	ISOLATION_DR_READ(2, values[2]);
	ISOLATION_DR_READ(3, values[3]);
	ISOLATION_DR_READ(6, values[4]);
}

static uint32_t isolation_mxcsr_read(void)
{
	uint32_t value;
	__asm__ volatile("stmxcsr %0" : "=m"(value));
	return value;
}

static uint16_t isolation_fcw_read(void)
{
	uint16_t value;
	__asm__ volatile("fnstcw %0" : "=m"(value));
	return value;
}

/* Register state a fresh vCPU must have: what differs from reset. */
static uint64_t isolation_initial_dirty(void)
{
	uint64_t xmm[16], dr[5], dirty = 0;
	isolation_xmm_read_all(xmm);
	isolation_dr_read_all(dr);
	for (unsigned i = 0; i < 16; i++)
		dirty += xmm[i] != 0;
	for (unsigned i = 0; i < 4; i++)
		dirty += dr[i] != 0;
	dirty += isolation_mxcsr_read() != ISOLATION_MXCSR_RESET;
	__asm__ volatile("fninit");
	dirty += isolation_fcw_read() != ISOLATION_FCW_RESET;
	return dirty;
}

static void isolation_check(uint64_t pattern, uint32_t mxcsr, uint16_t fcw, uint64_t dr6_bits,
                            struct isolation_counts *counts)
{
	uint64_t xmm[16], dr[5];
	isolation_xmm_read_all(xmm);
	isolation_dr_read_all(dr);
	for (unsigned i = 0; i < 16; i++) {
		if (xmm[i] == (pattern ^ i))
			continue;
		if (!counts->xmm)
			counts->first_foreign_xmm = xmm[i];
		counts->xmm++;
	}
	for (unsigned i = 0; i < 4; i++) {
		if (dr[i] == pattern + i)
			continue;
		if (!counts->dr)
			counts->first_foreign_dr = dr[i];
		counts->dr++;
	}
	counts->dr += (dr[4] & ISOLATION_DR6_B_MASK) != dr6_bits;
	counts->mxcsr += isolation_mxcsr_read() != mxcsr;
	counts->fpu += isolation_fcw_read() != fcw;
}

/* Private work between loading and checking (a preemption point). */
static uint64_t isolation_work(uint64_t seed)
{
	for (uint32_t i = 0; i < ISOLATION_WORK_ROUNDS; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
	}
	return seed;
}

void testos_workload_isolation(uint64_t rounds, uint32_t vm_id)
{
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | ISOLATION_CR4_OSFXSR));
	uint64_t initial_dirty = isolation_initial_dirty();
	uint64_t pattern = 0x1111111111111111ull * ((vm_id % 15) + 1);
	uint32_t mxcsr = ISOLATION_MXCSR_RESET | ((vm_id & 3u) << ISOLATION_MXCSR_ROUNDING_SHIFT);
	uint16_t fcw =
	    (uint16_t)(ISOLATION_FCW_RESET | ((vm_id & 3u) << ISOLATION_FCW_ROUNDING_SHIFT));
	uint64_t dr6_bits = (vm_id + 1) & ISOLATION_DR6_B_MASK;
	struct isolation_counts counts = {0, 0, 0, 0, 0, 0};
	uint64_t seed = pattern | 1;
	for (uint64_t round = 0; round < rounds; round++) {
		isolation_xmm_write_all(pattern);
		isolation_dr_write_all(pattern, dr6_bits);
		__asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
		__asm__ volatile("fldcw %0" ::"m"(fcw));
		seed = isolation_work(seed);
		isolation_check(pattern, mxcsr, fcw, dr6_bits, &counts);
	}
	testos_result("workload=isolation rounds=%llu xmm_mismatch=%llu mxcsr_mismatch=%llu "
	              "fpu_mismatch=%llu dr_mismatch=%llu first_foreign_xmm=0x%llx "
	              "first_foreign_dr=0x%llx initial_dirty=%llu work=%llu",
	              (unsigned long long)rounds, (unsigned long long)counts.xmm,
	              (unsigned long long)counts.mxcsr, (unsigned long long)counts.fpu,
	              (unsigned long long)counts.dr, (unsigned long long)counts.first_foreign_xmm,
	              (unsigned long long)counts.first_foreign_dr,
	              (unsigned long long)initial_dirty, (unsigned long long)(seed & 0xff));
}
