/*
 * tests/host/test_vmx_cpuid.c - the CPUID policy of vmx/cpuid.c as a pure
 * function of the host's answer, the vCPU's identity and the VMX
 * secondary controls: hidden and offered feature bits, APIC IDs, zeroed
 * leaves, topology, INVPCID/RDTSCP by control, the hypervisor leaves.
 *
 * Lock order: none.
 */
#include "tests/host/test.h"
#include "vmx/config.h"
#include "vmx/cpuid.h"
#include "vmx/hypercall.h"

/* kernel/timer.c's calibration, read by vmx_cpuid_exit() (not run here). */
uint64_t timer_tsc_khz;

static const struct arch_cpuid all_ones = {~0u, ~0u, ~0u, ~0u};

static void test_policy(void)
{
	static const struct vmx_cpuid_context none = {3, 2, 4, 0xe0000, 0, false, 0x1f, 0, 1, 0};
	static const struct vmx_cpuid_context both = {
	    3, 2, 4, 0xe0000, VMX_PROC2_INVPCID | VMX_PROC2_RDTSCP, false, 0x1f, 0, 1, 0};
	static const struct vmx_cpuid_context apic_off = {3, 2, 4, 0xe0000, 0, true, 0x1f, 0, 1, 0};
	static const struct vmx_cpuid_context no_rng = {
	    3,     2,    4, 0xe0000, 0,
	    false, 0x1f, 0, 1,       VM_CONFIG_CPUID_RDRAND | VM_CONFIG_CPUID_RDSEED};
	static const struct vmx_cpuid_context no_rdrand = {
	    3, 2, 4, 0xe0000, 0, false, 0x1f, 0, 1, VM_CONFIG_CPUID_RDRAND};
	static const struct {
		const struct vmx_cpuid_context *context;
		uint32_t leaf, subleaf;
		struct arch_cpuid host, guest;
	} rows[] = {
	    /* leaf 1: VMX, SMX, MONITOR, XSAVE, OSXSAVE, AVX hidden; x2APIC,
	     * TSC deadline, hypervisor offered; 4 logical CPUs, APIC ID 2 */
	    {&none, 1, 0, {0x806ec, 0x00100800, 0, 0x1f}, {0x806ec, 0x02040800, 0x81200000, 0x1f}},
	    /* ... and DTES64, DS-CPL, PDCM (leaf 1 ECX), DS (EDX) hidden: their
	     * MSRs (IA32_DS_AREA, IA32_PERF_CAPABILITIES) are not emulated */
	    {&none,
	     1,
	     0,
	     {0, 0xffffffff, 0xffffffff, 0xffffffff},
	     {0, 0x0204ffff, 0xe3fb7e03, 0xdf9fffff}},
	    /* cpuid = "host,rdrand=0,rdseed=0": RDRAND (leaf 1 ECX 30) and
	     * RDSEED (leaf 7 EBX 18) hidden as well; one without the other */
	    {&no_rng,
	     1,
	     0,
	     {0, 0xffffffff, 0xffffffff, 0xffffffff},
	     {0, 0x0204ffff, 0xa3fb7e03, 0xdf9fffff}},
	    {&no_rng, 7, 0, {0, 0xffffffff, 5, 6}, {0, 0xfffbfbdf, 5, 6}},
	    {&no_rdrand, 7, 0, {0, 0xffffffff, 5, 6}, {0, 0xfffffbdf, 5, 6}},
	    /* ... and EST, TM2, DCA, ACPI, TM: MSRs not emulated */
	    {&none, 6, 0, {0xffffffff, 1, 2, 3}, {0xfffff03e, 1, 2, 3}},
	    /* the APIC bit follows IA32_APIC_BASE.EN */
	    {&apic_off, 1, 0, {0, 0, 0, 0xffffffff}, {0, 0x02040000, 0x81200000, 0xdf9ffdff}},
	    /* leaf 7: TSC_ADJUST offered; PKU, OSPKE, CET, PKS hidden */
	    {&none, 7, 0, {0, 0, 0xffffffff, 0xffffffff}, {0, 2, 0x7fffff47, 0x03efffff}},
	    /* leaf 4: cores per package = the VM's 4 vCPUs, one thread each;
	     * L1 per core, L3 shared by all; no-more-caches unchanged */
	    {&none, 4, 0, {0x1c004121, 0x1c0003f, 0x3f, 0}, {0x0c000121, 0x1c0003f, 0x3f, 0}},
	    {&none, 4, 3, {0x1c03c163, 0x3c0003f, 0x1fff, 6}, {0x0c00c163, 0x3c0003f, 0x1fff, 6}},
	    {&none, 4, 4, {0, 0, 0, 0}, {0, 0, 0, 0}},
	    {&none, 5, 0, {1, 2, 3, 4}, {0, 0, 0, 0}},
	    {&none, 0xa, 0, {1, 2, 3, 4}, {0, 0, 0, 0}},
	    {&none, 0xd, 1, {1, 2, 3, 4}, {0, 0, 0, 0}},
	    {&none, 0xb, 0x101, {1, 2, 3, 4}, {0, 0, 1, 2}},
	    {&none, 0x1f, 1, {1, 2, 3, 4}, {0, 0, 1, 2}},
	    {&none, 7, 0, {0, 0xffffffff, 5, 6}, {0, 0xfffffbdf, 5, 6}},
	    {&both, 7, 0, {0, 0xfffffffd, 5, 6}, {0, 0xffffffdf, 5, 6}},
	    {&none, 7, 1, {0, 0xffffffff, 5, 6}, {0, 0xffffffff, 5, 6}},
	    {&none, 0x80000001, 0, {1, 2, 3, 0xffffffff}, {1, 2, 3, 0xf7ffffff}},
	    {&both, 0x80000001, 0, {1, 2, 3, 0xffffffff}, {1, 2, 3, 0xffffffff}},
	    {&none,
	     0,
	     0,
	     {0x16, 0x756e6547, 0x6c65746e, 0x49656e69},
	     {0x16, 0x756e6547, 0x6c65746e, 0x49656e69}},
	    /* hypervisor leaves: the host's answer is ignored */
	    {&none, 0x40000001, 0, {1, 2, 3, 4}, {HYPERCALL_ABI_VERSION, 3, 2, 0xe0000}},
	    {&none, 0x40000002, 0, {1, 2, 3, 4}, {0, 0, 0, 0}},
	    {&none, 0x400000ff, 0, {1, 2, 3, 4}, {0, 0, 0, 0}},
	    {&none, 0x40000100, 0, {1, 2, 3, 4}, {1, 2, 3, 4}},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct arch_cpuid c =
		    vmx_cpuid_policy(rows[i].context, rows[i].leaf, rows[i].subleaf, rows[i].host);
		if (memcmp(&c, &rows[i].guest, sizeof(c)) != 0)
			fprintf(stderr, "row %u leaf 0x%x: %08x %08x %08x %08x\n", i, rows[i].leaf,
			        c.eax, c.ebx, c.ecx, c.edx);
		CHECK_EQ(c.eax, rows[i].guest.eax);
		CHECK_EQ(c.ebx, rows[i].guest.ebx);
		CHECK_EQ(c.ecx, rows[i].guest.ecx);
		CHECK_EQ(c.edx, rows[i].guest.edx);
	}
}

static void test_signature(void)
{
	const struct vmx_cpuid_context context = {0, 0, 1, 0, 0, false, 0x1f, 0, 1, 0};
	struct arch_cpuid c = vmx_cpuid_policy(&context, HYPERCALL_CPUID_BASE, 0, all_ones);
	char signature[13];
	memcpy(signature, &c.ebx, 4);
	memcpy(signature + 4, &c.ecx, 4);
	memcpy(signature + 8, &c.edx, 4);
	signature[12] = '\0';
	CHECK_STR(signature, HYPERCALL_SIGNATURE);
	CHECK_EQ(c.eax, HYPERCALL_CPUID_BASE + 1);
	CHECK(vmx_cpuid_is_hypervisor_leaf(HYPERCALL_CPUID_BASE));
	CHECK(!vmx_cpuid_is_hypervisor_leaf(HYPERCALL_CPUID_BASE - 1));
	CHECK(!vmx_cpuid_is_hypervisor_leaf(0));
}

/* Leaves 0x15/0x16 and the max basic leaf: a 2,000,000 kHz TSC with a
 * vLAPIC timer ratio of 20 (100 MHz crystal); Linux's native_calibrate_tsc()
 * computes crystal_khz * EBX / EAX = 2,000,000 kHz. */
static void test_tsc_leaves(void)
{
	static const struct vmx_cpuid_context low = {
	    .vcpu_count = 1, .host_max_leaf = 0xd, .tsc_khz = 2000000, .timer_ratio = 20};
	static const struct vmx_cpuid_context high = {
	    .vcpu_count = 1, .host_max_leaf = 0x1f, .tsc_khz = 2000000, .timer_ratio = 20};
	static const struct vmx_cpuid_context slow = {
	    .vcpu_count = 1, .host_max_leaf = 0xd, .tsc_khz = 50000, .timer_ratio = 1};
	static const struct vmx_cpuid_context unknown = {.vcpu_count = 1, .host_max_leaf = 0xd};
	static const struct {
		const struct vmx_cpuid_context *context;
		uint32_t leaf;
		struct arch_cpuid host, guest;
	} rows[] = {
	    {&low, 0, {0xd, 1, 2, 3}, {0x16, 1, 2, 3}}, /* max leaf raised */
	    {&high, 0, {0x1f, 1, 2, 3}, {0x1f, 1, 2, 3}},
	    {&unknown, 0, {0xd, 1, 2, 3}, {0xd, 1, 2, 3}},
	    {&low, 0x15, {0xd, 1, 2, 3}, {1, 20, 100000000, 0}},
	    {&high, 0x15, {2, 188, 24000000, 0}, {1, 20, 100000000, 0}},
	    {&low, 0x16, {0xd, 1, 2, 3}, {2000, 2000, 100, 0}},
	    {&slow, 0x15, {0, 0, 0, 0}, {1, 1, 50000000, 0}},
	    {&slow, 0x16, {0, 0, 0, 0}, {50, 50, 50, 0}},
	    /* leaves between the host's max and 0x16: zeros */
	    {&low, 0xe, {0xd, 1, 2, 3}, {0, 0, 0, 0}},
	    {&low, 0x14, {0xd, 1, 2, 3}, {0, 0, 0, 0}},
	    {&high, 0x14, {5, 6, 7, 8}, {5, 6, 7, 8}},
	    {&unknown, 0x15, {5, 6, 7, 8}, {5, 6, 7, 8}},           /* not raised: the host's */
	    {&low, 0x80000007, {0, 0, 0, 0x100}, {0, 0, 0, 0x100}}, /* invariant TSC: host's */
	    {&low, 0x80000007, {0, 0, 0, 0}, {0, 0, 0, 0}},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct arch_cpuid c =
		    vmx_cpuid_policy(rows[i].context, rows[i].leaf, 0, rows[i].host);
		if (memcmp(&c, &rows[i].guest, sizeof(c)) != 0)
			fprintf(stderr, "row %u leaf 0x%x: %08x %08x %08x %08x\n", i, rows[i].leaf,
			        c.eax, c.ebx, c.ecx, c.edx);
		CHECK_EQ(c.eax, rows[i].guest.eax);
		CHECK_EQ(c.ebx, rows[i].guest.ebx);
		CHECK_EQ(c.ecx, rows[i].guest.ecx);
		CHECK_EQ(c.edx, rows[i].guest.edx);
	}
	/* what Linux computes from 0x15 */
	struct arch_cpuid c = vmx_cpuid_policy(&low, 0x15, 0, (struct arch_cpuid){0, 0, 0, 0});
	CHECK_EQ(c.ecx / 1000 * c.ebx / c.eax, 2000000);
}

int main(void)
{
	TEST_RUN(test_policy);
	TEST_RUN(test_tsc_leaves);
	TEST_RUN(test_signature);
	return test_summary("test_vmx_cpuid");
}
