/*
 * tests/host/test_vmx_cr.c - the MOV to CR0/CR4/CR8 checks of vmx/cr.h:
 * each invalid value the CPU would #GP on (and VM entry would fail on) is
 * refused, the valid transitions pass.
 *
 * Lock order: none.
 */
#include "tests/host/test.h"
#include "vmx/cr.h"

#define PROTECTED (ARCH_CR0_PE | ARCH_CR0_ET | ARCH_CR0_NE)
#define PAGING    (PROTECTED | ARCH_CR0_PG)

static void test_cr0(void)
{
	static const struct vmx_cr_state real = {0x60000010, 0, 0, 0, false};
	static const struct vmx_cr_state protected_lme = {PROTECTED, 0, ARCH_EFER_LME, 0, false};
	static const struct vmx_cr_state long_64 = {PAGING, ARCH_CR4_PAE,
	                                            ARCH_EFER_LME | ARCH_EFER_LMA, 0, true};
	static const struct vmx_cr_state compat = {PAGING, ARCH_CR4_PAE,
	                                           ARCH_EFER_LME | ARCH_EFER_LMA, 0, false};
	static const struct vmx_cr_state compat_pcid = {PAGING, ARCH_CR4_PAE | ARCH_CR4_PCIDE,
	                                                ARCH_EFER_LME | ARCH_EFER_LMA, 0, false};
	const struct {
		const struct vmx_cr_state *state;
		uint64_t value;
		bool faults;
	} rows[] = {
	    {&real, PROTECTED, false},
	    {&real, PROTECTED | (1ull << 32), true},  /* reserved 63:32 */
	    {&real, ARCH_CR0_PG | ARCH_CR0_ET, true}, /* PG without PE */
	    {&real, PROTECTED | ARCH_CR0_NW, true},   /* NW without CD */
	    {&real, PROTECTED | ARCH_CR0_NW | ARCH_CR0_CD, false},
	    {&protected_lme, PAGING, true},  /* LME, PAE clear */
	    {&long_64, PROTECTED, true},     /* PG off in 64-bit mode */
	    {&compat, PROTECTED, false},     /* ... allowed in compatibility mode */
	    {&compat_pcid, PROTECTED, true}, /* ... unless CR4.PCIDE */
	    {&long_64, PAGING | ARCH_CR0_WP, false},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (vmx_cr0_faults(rows[i].state, rows[i].value) != rows[i].faults)
			fprintf(stderr, "cr0 row %u\n", i);
		CHECK_EQ(vmx_cr0_faults(rows[i].state, rows[i].value), rows[i].faults);
	}
}

static void test_cr4(void)
{
	const uint64_t allowed = 0x3727ff & ~VMX_CR4_HIDDEN; /* a host's fixed-1 set */
	static const struct vmx_cr_state flat = {PROTECTED, 0, 0, 0x1000, false};
	static const struct vmx_cr_state lm = {PAGING, ARCH_CR4_PAE, ARCH_EFER_LME | ARCH_EFER_LMA,
	                                       0x1000, true};
	static const struct vmx_cr_state lm_pcid3 = {PAGING, ARCH_CR4_PAE,
	                                             ARCH_EFER_LME | ARCH_EFER_LMA, 0x1003, true};
	const struct {
		const struct vmx_cr_state *state;
		uint64_t value;
		bool faults;
	} rows[] = {
	    {&flat, ARCH_CR4_PAE | ARCH_CR4_PSE, false},
	    {&flat, ARCH_CR4_VMXE, true}, /* nested VMX hidden */
	    {&flat, ARCH_CR4_SMXE, true},
	    {&flat, ARCH_CR4_OSXSAVE, true}, /* XSAVE hidden */
	    {&flat, ARCH_CR4_PKE, true},
	    {&flat, ARCH_CR4_PCIDE, true}, /* not in IA-32e mode */
	    {&lm, ARCH_CR4_PAE | ARCH_CR4_PCIDE, false},
	    {&lm_pcid3, ARCH_CR4_PAE | ARCH_CR4_PCIDE, true}, /* CR3[11:0] != 0 */
	    {&lm, 0, true},                                   /* PAE off in IA-32e mode */
	    {&flat, 1ull << 40, true},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (vmx_cr4_faults(rows[i].state, allowed, rows[i].value) != rows[i].faults)
			fprintf(stderr, "cr4 row %u\n", i);
		CHECK_EQ(vmx_cr4_faults(rows[i].state, allowed, rows[i].value), rows[i].faults);
	}
}

static void test_cr8(void)
{
	CHECK(!vmx_cr8_faults(0));
	CHECK(!vmx_cr8_faults(0xf));
	CHECK(vmx_cr8_faults(0x10));
	CHECK(vmx_cr8_faults(1ull << 63));
}

int main(void)
{
	TEST_RUN(test_cr0);
	TEST_RUN(test_cr4);
	TEST_RUN(test_cr8);
	return test_summary("test_vmx_cr");
}
