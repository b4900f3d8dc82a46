/*
 * tests/host/test_vmx_msr.c - the MSR table of vmx/msr.c: sorted, disjoint
 * ranges with at least one handler each; lookup of every MSR the old
 * handlers knew (quiet ones, MTRRs around PAT, the vLAPIC ranges, the
 * VMCS-backed ones) and of unknown ones; emulation of the MSRs that need
 * no VMCS; the vLAPIC's results; the unknown path (#GP, counters, the
 * MSRUNKNOWN report). VMCS-backed handlers are not called (no VMX here).
 *
 * Lock order: none.
 */
#include "arch/x86/cpu.h"
#include "tests/host/test.h"
#include "tests/host/vmx_fake_env.h"
#include "vmx/msr.h"

static struct vm vm;
static struct vcpu vcpu;

static void test_table_sorted(void)
{
	CHECK(vmx_msr_table_count > 0);
	for (size_t i = 0; i < vmx_msr_table_count; i++) {
		const struct vmx_msr_entry *e = &vmx_msr_table[i];
		CHECK(e->first <= e->last);
		CHECK(e->read || e->write);
		if (i > 0)
			CHECK(vmx_msr_table[i - 1].last < e->first);
		CHECK(vmx_msr_find(e->first) == e);
		CHECK(vmx_msr_find(e->last) == e);
	}
}

static void test_lookup(void)
{
	static const struct {
		uint32_t msr;
		bool known, readable, writable;
	} rows[] = {
	    /* the old quiet list, all read 0 and ignore writes */
	    {0x17, true, true, true},
	    {0x8b, true, true, true},
	    {0xc4, true, true, true},
	    {0xce, true, true, true},
	    {0xfe, true, true, true},
	    {0x140, true, true, true},
	    {0x179, true, true, true},
	    {0x17a, true, true, true},
	    {0x19b, true, true, true},
	    {0x1b0, true, true, true},
	    {0x1b2, true, true, true},
	    {0x1fc, true, true, true},
	    {0x391, true, true, true},
	    {0x66c, true, true, true},
	    {0x2ff, true, true, true},
	    {0x200, true, true, true},
	    {0x250, true, true, true},
	    {0x276, true, true, true},
	    {0x278, true, true, true},
	    {0x27f, true, true, true},
	    /* emulated or VMCS-backed */
	    {ARCH_MSR_TSC, true, true, true},
	    {ARCH_MSR_FEATURE_CONTROL, true, true, false},
	    {ARCH_MSR_TSC_ADJUST, true, true, true},
	    {ARCH_MSR_MPERF, true, true, true},
	    {ARCH_MSR_APERF, true, true, true},
	    {ARCH_MSR_MISC_ENABLE, true, true, true},
	    {ARCH_MSR_SYSENTER_CS, true, true, true},
	    {ARCH_MSR_SYSENTER_EIP, true, true, true},
	    {ARCH_MSR_DEBUGCTL, true, true, true},
	    {ARCH_MSR_PAT, true, true, true},
	    {ARCH_MSR_EFER, true, true, true},
	    {ARCH_MSR_FS_BASE, true, true, true},
	    {ARCH_MSR_GS_BASE, true, true, true},
	    /* the vLAPIC */
	    {ARCH_MSR_APIC_BASE, true, true, true},
	    {ARCH_MSR_TSC_DEADLINE, true, true, true},
	    {0x800, true, true, true},
	    {0x830, true, true, true},
	    {0x8ff, true, true, true},
	    /* SMI_COUNT: reads 0, writes #GP (a known read-only MSR) */
	    {0x34, true, true, true},
	    /* left to #GP on purpose (docs/linux.md, "MSRs"): thermal,
	     * turbo ratios, RAPL, Atom core ratios */
	    {0x19c, false, false, false},
	    {0x1a2, false, false, false},
	    {0x1ad, false, false, false},
	    {0x606, false, false, false},
	    {0x611, false, false, false},
	    {0x619, false, false, false},
	    {0x639, false, false, false},
	    {0x641, false, false, false},
	    {0x66a, false, false, false},
	    /* unknown (or passed through by the bitmap: never an exit) */
	    {0x0, false, false, false},
	    {0x11, false, false, false},
	    {0x280, false, false, false},
	    {0x6df, false, false, false},
	    {0x900, false, false, false},
	    {0x4b564d99, false, false, false},
	    {ARCH_MSR_STAR, false, false, false},
	    {ARCH_MSR_KERNEL_GS_BASE, false, false, false},
	    {0xffffffff, false, false, false},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct vmx_msr_entry *e = vmx_msr_find(rows[i].msr);
		if ((e != NULL) != rows[i].known)
			fprintf(stderr, "msr 0x%x\n", rows[i].msr);
		CHECK_EQ(e != NULL, rows[i].known);
		CHECK_EQ(e && e->read, rows[i].readable);
		CHECK_EQ(e && e->write, rows[i].writable);
	}
	CHECK_EQ(vmx_msr_find(ARCH_MSR_PAT)->first, ARCH_MSR_PAT); /* not inside the MTRR range */
}

static void test_emulated(void)
{
	fake_reset(&vm, &vcpu, "m");
	uint64_t value = 7;
	CHECK_EQ(vmx_msr_read(&vcpu, 0x2ff, &value), VMX_MSR_OK);
	CHECK_EQ(value, 0);
	CHECK_EQ(vmx_msr_write(&vcpu, 0x2ff, 5), VMX_MSR_OK);
	value = 7;
	CHECK_EQ(vmx_msr_read(&vcpu, 0x34, &value), VMX_MSR_OK); /* SMI_COUNT */
	CHECK_EQ(value, 0);
	CHECK_EQ(vmx_msr_write(&vcpu, 0x34, 1), VMX_MSR_FAULT);
	CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_FEATURE_CONTROL, &value), VMX_MSR_OK);
	CHECK_EQ(value, ARCH_FEATURE_CONTROL_LOCKED);
	CHECK_EQ(vmx_msr_write(&vcpu, ARCH_MSR_FEATURE_CONTROL, 0), VMX_MSR_UNKNOWN);
	vcpu.misc_enable = ARCH_MISC_ENABLE_FAST_STRINGS;
	CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_MISC_ENABLE, &value), VMX_MSR_OK);
	CHECK_EQ(value, ARCH_MISC_ENABLE_FAST_STRINGS | ARCH_MISC_ENABLE_BTS_UNAVAILABLE |
	                    ARCH_MISC_ENABLE_PEBS_UNAVAILABLE);
}

/* IA32_MISC_ENABLE: fast strings r/w, read-only bits fixed, others #GP. */
static void test_misc_enable(void)
{
	fake_reset(&vm, &vcpu, "m");
	uint64_t value = 0;
	vcpu.misc_enable = ARCH_MISC_ENABLE_FAST_STRINGS;
	CHECK_EQ(vmx_msr_write(&vcpu, ARCH_MSR_MISC_ENABLE, 0), VMX_MSR_OK);
	CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_MISC_ENABLE, &value), VMX_MSR_OK);
	CHECK_EQ(value & ARCH_MISC_ENABLE_FAST_STRINGS, 0);
	CHECK_EQ(vmx_msr_write(&vcpu, ARCH_MSR_MISC_ENABLE, value | ARCH_MISC_ENABLE_FAST_STRINGS),
	         VMX_MSR_OK);
	CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_MISC_ENABLE, &value), VMX_MSR_OK);
	CHECK_EQ(value & ARCH_MISC_ENABLE_FAST_STRINGS, ARCH_MISC_ENABLE_FAST_STRINGS);
	CHECK_EQ(value & ARCH_MISC_ENABLE_BTS_UNAVAILABLE, ARCH_MISC_ENABLE_BTS_UNAVAILABLE);
	CHECK_EQ(vmx_msr_write(&vcpu, ARCH_MSR_MISC_ENABLE, ARCH_MISC_ENABLE_PERFMON), VMX_MSR_OK);
	CHECK_EQ(vmx_msr_write(&vcpu, ARCH_MSR_MISC_ENABLE, 1ull << 22), VMX_MSR_FAULT);
	CHECK_EQ(vmx_msr_write(&vcpu, ARCH_MSR_MISC_ENABLE, 1ull << 40), VMX_MSR_FAULT);
}

/* IA32_TSC writes move the offset so the guest TSC reads the value;
 * IA32_TSC_ADJUST follows (SDM Vol. 3B, 17.17.3) and moves the TSC. */
static void test_tsc(void)
{
	fake_reset(&vm, &vcpu, "m");
	uint64_t value = 0, adjust = 0;
	CHECK_EQ(vmx_msr_write(&vcpu, ARCH_MSR_TSC, 1000), VMX_MSR_OK);
	CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_TSC, &value), VMX_MSR_OK);
	CHECK(value >= 1000 && value - 1000 < (1ull << 40));
	CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_TSC_ADJUST, &adjust), VMX_MSR_OK);
	CHECK_EQ(adjust, vcpu.interrupt.tsc_offset);
	CHECK_EQ(vmx_msr_write(&vcpu, ARCH_MSR_TSC_ADJUST, 0), VMX_MSR_OK);
	CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_TSC, &value), VMX_MSR_OK);
	CHECK(value >= arch_tsc_read() - (1ull << 40));
	CHECK_EQ(vcpu.interrupt.tsc_offset, 0);
}

/* The checks of values bound for the VMCS. */
static void test_checked_values(void)
{
	CHECK(arch_canonical(0));
	CHECK(arch_canonical(0x00007fffffffffffull));
	CHECK(arch_canonical(0xffff800000000000ull));
	CHECK(!arch_canonical(0x0000800000000000ull));
	CHECK(!arch_canonical(0x8000000000000000ull));
	CHECK(arch_pat_valid(0x0007040600070406ull));
	CHECK(arch_pat_valid(0x0706050401000706ull));
	CHECK(!arch_pat_valid(0x0007040600070402ull)); /* type 2 */
	CHECK(!arch_pat_valid(0x0807040600070406ull)); /* type 8 */
	static const uint32_t checked[] = {
	    ARCH_MSR_FS_BASE, ARCH_MSR_GS_BASE, ARCH_MSR_SYSENTER_ESP, ARCH_MSR_SYSENTER_EIP,
	    ARCH_MSR_PAT,     ARCH_MSR_TSC,     ARCH_MSR_TSC_ADJUST};
	for (unsigned i = 0; i < sizeof(checked) / sizeof(checked[0]); i++)
		CHECK(vmx_msr_find(checked[i]) && vmx_msr_find(checked[i])->write);
	/* hidden features: their MSRs stay unknown (#GP), like CPUs without them */
	CHECK(vmx_msr_find(ARCH_MSR_PERF_CAPABILITIES) == NULL);
	CHECK(vmx_msr_find(ARCH_MSR_DS_AREA) == NULL);
	uint64_t value = 0, before = arch_tsc_read();
	CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_APERF, &value), VMX_MSR_OK);
	CHECK(value >= before);
	CHECK_EQ(vmx_msr_read(&vcpu, 0x11, &value), VMX_MSR_UNKNOWN);
}

static void test_vlapic(void)
{
	static const struct {
		int result;
		enum vmx_msr_result expected;
	} rows[] = {
	    {0, VMX_MSR_OK},
	    {-1, VMX_MSR_FAULT},
	    {1, VMX_MSR_UNKNOWN},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		fake_reset(&vm, &vcpu, "m");
		fake_vlapic_result = rows[i].result;
		fake_vlapic_value = 0xfee00900;
		uint64_t value = 0;
		CHECK_EQ(vmx_msr_read(&vcpu, ARCH_MSR_APIC_BASE, &value), rows[i].expected);
		CHECK_EQ(value, 0xfee00900);
		CHECK_EQ(vmx_msr_write(&vcpu, 0x830, 0x4000), rows[i].expected);
		CHECK_EQ(fake_vlapic_value, 0x4000);
	}
}

static void test_exits(void)
{
	fake_reset(&vm, &vcpu, "m");
	vcpu.registers.rcx = 0x179;
	vcpu.registers.rax = vcpu.registers.rdx = 0x1234;
	CHECK_EQ(vmx_msr_read_exit(&vcpu, 0), VMX_EXIT_ACTION_NEXT);
	CHECK_EQ(vcpu.registers.rax, 0);
	CHECK_EQ(vcpu.registers.rdx, 0);
	fake_vlapic_result = -1; /* a vLAPIC fault: #GP, not unknown */
	vcpu.registers.rcx = 0x6e0;
	CHECK_EQ(vmx_msr_write_exit(&vcpu, 0), VMX_EXIT_ACTION_RESUME);
	CHECK_EQ(fake_gp_injected, 1);
	CHECK_EQ(vcpu.msr_unknown, 0);
	/* Unknown ones past the logged first 8 (the log line reads the
	 * guest RIP from the VMCS). */
	vcpu.msr_unknown = 8;
	vcpu.registers.rcx = 0x4b564d99;
	CHECK_EQ(vmx_msr_read_exit(&vcpu, 0), VMX_EXIT_ACTION_RESUME);
	CHECK_EQ(vmx_msr_write_exit(&vcpu, 0), VMX_EXIT_ACTION_RESUME);
	vcpu.registers.rcx = 0x11;
	CHECK_EQ(vmx_msr_write_exit(&vcpu, 0), VMX_EXIT_ACTION_RESUME);
	CHECK_EQ(fake_gp_injected, 4);
	CHECK_EQ(vcpu.msr_unknown, 11);
	CHECK_STR(fake_log, "");
	vmx_msr_report(&vm);
	CHECK_STR(fake_log, "MSRUNKNOWN vm=m msr=0x11 reads=0 writes=1\n"
	                    "MSRUNKNOWN vm=m msr=0x4b564d99 reads=1 writes=1\n");
}

int main(void)
{
	TEST_RUN(test_misc_enable);
	TEST_RUN(test_tsc);
	TEST_RUN(test_checked_values);
	TEST_RUN(test_table_sorted);
	TEST_RUN(test_lookup);
	TEST_RUN(test_emulated);
	TEST_RUN(test_vlapic);
	TEST_RUN(test_exits);
	return test_summary("test_vmx_msr");
}
