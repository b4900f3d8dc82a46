/*
 * tests/host/test_vmx_qualification.c - the exit-qualification decoders of
 * vmx/vmcs.h: I/O instructions (SDM Vol. 3C, Table 28-5) and
 * control-register accesses (Table 28-3), one table row per encoding.
 *
 * Lock order: none.
 */
#include "tests/host/test.h"
#include "vmx/vmcs.h"

static void test_io_qualification(void)
{
	static const struct {
		uint64_t qualification;
		uint16_t port;
		unsigned size;
		bool in, string, rep, immediate;
	} rows[] = {
	    {0x03f80000, 0x3f8, 1, false, false, false, false},  /* out dx, al */
	    {0x03f80008, 0x3f8, 1, true, false, false, false},   /* in al, dx */
	    {0xb0040001, 0xb004, 2, false, false, false, false}, /* out dx, ax */
	    {0x00800040, 0x80, 1, false, false, false, true},    /* out 0x80, al */
	    {0x0cf8000b, 0xcf8, 4, true, false, false, false},   /* in eax, dx */
	    {0x03f80030, 0x3f8, 1, false, true, true, false},    /* rep outsb */
	    {0xffff0048, 0xffff, 1, true, false, false, true},   /* in al, imm (port 0xffff) */
	    {0xffffffff00610008ull, 0x61, 1, true, false, false, false}, /* high bits ignored */
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vmx_io_qualification io = vmx_io_qualification_decode(rows[i].qualification);
		CHECK_EQ(io.port, rows[i].port);
		CHECK_EQ(io.size, rows[i].size);
		CHECK_EQ(io.in, rows[i].in);
		CHECK_EQ(io.string, rows[i].string);
		CHECK_EQ(io.rep, rows[i].rep);
		CHECK_EQ(io.immediate, rows[i].immediate);
	}
}

static void test_cr_qualification(void)
{
	static const struct {
		uint64_t qualification;
		unsigned cr;
		enum vmx_cr_access_type type;
		unsigned register_index;
		bool lmsw_memory;
		uint16_t lmsw_source;
	} rows[] = {
	    {0x00000000, VMX_CR0, VMX_CR_ACCESS_MOV_TO_CR, 0, false, 0},   /* mov cr0, rax */
	    {0x00000304, VMX_CR4, VMX_CR_ACCESS_MOV_TO_CR, 3, false, 0},   /* mov cr4, rbx */
	    {0x00000418, VMX_CR8, VMX_CR_ACCESS_MOV_FROM_CR, 4, false, 0}, /* mov rsp, cr8 */
	    {0x00000f08, VMX_CR8, VMX_CR_ACCESS_MOV_TO_CR, 15, false, 0},  /* mov cr8, r15 */
	    {0x00000013, VMX_CR3, VMX_CR_ACCESS_MOV_FROM_CR, 0, false, 0}, /* mov rax, cr3 */
	    {0x00000020, VMX_CR0, VMX_CR_ACCESS_CLTS, 0, false, 0},        /* clts */
	    {0x00310030, VMX_CR0, VMX_CR_ACCESS_LMSW, 0, false, 0x31},     /* lmsw ax */
	    {0x00010070, VMX_CR0, VMX_CR_ACCESS_LMSW, 0, true, 1},         /* lmsw [mem] */
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vmx_cr_qualification cr = vmx_cr_qualification_decode(rows[i].qualification);
		CHECK_EQ(cr.cr, rows[i].cr);
		CHECK_EQ(cr.type, rows[i].type);
		CHECK_EQ(cr.register_index, rows[i].register_index);
		CHECK_EQ(cr.lmsw_memory, rows[i].lmsw_memory);
		CHECK_EQ(cr.lmsw_source, rows[i].lmsw_source);
	}
}

int main(void)
{
	TEST_RUN(test_io_qualification);
	TEST_RUN(test_cr_qualification);
	return test_summary("test_vmx_qualification");
}
