/*
 * tests/host/test_vlapic_registers.c - host tests of the vLAPIC's timer
 * and registers (vmx/vlapic.h) on the shared fake environment
 * (vlapic_fixture.h): the three timer modes, the x2APIC MSR access rules
 * (table), x2APIC registers, APIC base transitions (table), what a disable
 * resets, the MMIO register rules and the IPI counters.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vlapic.h"

#include "tests/host/test.h"
#include "tests/host/vlapic_fixture.h"

static void test_timer_one_shot(void)
{
	struct vlapic *v = one();
	struct fake *f = &fakes[0];
	f->now = 1000;
	vlapic_mmio_write(v, VLAPIC_TIMER_DIVIDE, 4, 0x3); /* divide by 16 */
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0xec);   /* one-shot, unmasked */
	vlapic_mmio_write(v, VLAPIC_TIMER_INITIAL, 4, 100);
	CHECK_EQ(f->armed, 1000 + 1600);
	CHECK_EQ(vlapic_timer_deadline(v), 2600);
	f->now = 1800;
	CHECK_EQ(mmio(v, VLAPIC_TIMER_CURRENT), 50);
	CHECK(!vlapic_timer_expired(v, 2599));
	CHECK(vlapic_timer_expired(v, 2600));
	CHECK_EQ(vlapic_pending_vector(v), 0xec);
	CHECK_EQ(f->armed, 0);
	CHECK_EQ(vlapic_timer_deadline(v), 0);
	CHECK(!vlapic_timer_expired(v, 5000)); /* fires once */
	f->now = 5000;
	CHECK_EQ(mmio(v, VLAPIC_TIMER_CURRENT), 0);
	CHECK_EQ(mmio(v, VLAPIC_TIMER_INITIAL), 100);
	CHECK_EQ(v->counters.timer_fires, 1);
	/* Writing 0 stops a running timer. */
	vlapic_mmio_write(v, VLAPIC_TIMER_INITIAL, 4, 10);
	CHECK(f->armed != 0);
	vlapic_mmio_write(v, VLAPIC_TIMER_INITIAL, 4, 0);
	CHECK_EQ(f->armed, 0);
	/* Divide by 1 (0b1011) and a timer ratio. */
	vlapic_set_timer_ratio(v, 3);
	vlapic_mmio_write(v, VLAPIC_TIMER_DIVIDE, 4, 0xb);
	vlapic_mmio_write(v, VLAPIC_TIMER_INITIAL, 4, 7);
	CHECK_EQ(f->armed, 5000 + 21);
	/* Changing the divide mid-count rescales the rest: 7 ticks -> /2. */
	vlapic_mmio_write(v, VLAPIC_TIMER_DIVIDE, 4, 0x0);
	CHECK_EQ(f->armed, 5000 + 7 * 6);
}

static void test_timer_periodic(void)
{
	struct vlapic *v = one();
	struct fake *f = &fakes[0];
	f->now = 0;
	vlapic_mmio_write(v, VLAPIC_TIMER_DIVIDE, 4, 0xb);
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0x20000 | 0xd0);
	vlapic_mmio_write(v, VLAPIC_TIMER_INITIAL, 4, 10);
	CHECK_EQ(f->armed, 10);
	CHECK(vlapic_timer_expired(v, 10));
	CHECK_EQ(f->armed, 20); /* re-armed on the grid */
	CHECK_EQ(vlapic_pending_vector(v), 0xd0);
	vlapic_acknowledge(v, 0xd0);
	vlapic_eoi(v);
	/* Descheduled past two deadlines: one interrupt, grid kept. */
	CHECK(vlapic_timer_expired(v, 35));
	CHECK_EQ(f->armed, 40);
	CHECK_EQ(v->counters.timer_missed_periods, 1);
	CHECK_EQ(v->counters.timer_fires, 2);
	f->now = 33;
	CHECK_EQ(mmio(v, VLAPIC_TIMER_CURRENT), 7);
	f->now = 42; /* overdue, not yet processed: counts within the next period */
	CHECK_EQ(mmio(v, VLAPIC_TIMER_CURRENT), 8);
	CHECK(vlapic_timer_expired(v, 79));
	CHECK_EQ(f->armed, 80);
	CHECK_EQ(v->counters.timer_missed_periods, 4);
	/* Masked: keeps running, no interrupt. */
	CHECK_EQ(vlapic_pending_vector(v), 0xd0);
	vlapic_acknowledge(v, 0xd0);
	vlapic_eoi(v);
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0x30000 | 0xd0);
	int accepted = (int)v->counters.interrupts_accepted;
	CHECK(vlapic_timer_expired(v, 80));
	CHECK_EQ(f->armed, 90);
	CHECK_EQ((int)v->counters.interrupts_accepted, accepted);
	CHECK_EQ(vlapic_pending_vector(v), -1);
	/* Periodic -> one-shot keeps TMICT and the count (SDM 10.5.4.1) ... */
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0x00000 | 0xd0);
	CHECK_EQ(f->armed, 90);
	CHECK_EQ(mmio(v, VLAPIC_TIMER_INITIAL), 10);
	/* ... only a switch to TSC-deadline mode disarms. */
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0x40000 | 0xd0);
	CHECK_EQ(f->armed, 0);
	CHECK_EQ(mmio(v, VLAPIC_TIMER_INITIAL), 0);
	CHECK(!vlapic_timer_expired(v, 1000));
}

static void test_timer_tsc_deadline(void)
{
	struct vlapic *v = one();
	struct fake *f = &fakes[0];
	uint64_t value;
	f->now = 100;
	/* In one-shot mode the MSR is ignored and reads 0. */
	CHECK_EQ(vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 5000), 0);
	CHECK_EQ(vlapic_msr_read(v, VLAPIC_MSR_TSC_DEADLINE, &value), 0);
	CHECK_EQ(value, 0);
	CHECK_EQ(f->arm_calls, 0);
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0x40000 | 0xef);
	CHECK_EQ(vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 5000), 0);
	CHECK_EQ(f->armed, 5000);
	CHECK_EQ(vlapic_msr_read(v, VLAPIC_MSR_TSC_DEADLINE, &value), 0);
	CHECK_EQ(value, 5000);
	vlapic_mmio_write(v, VLAPIC_TIMER_INITIAL, 4, 77); /* ignored in this mode */
	CHECK_EQ(mmio(v, VLAPIC_TIMER_INITIAL), 0);
	CHECK_EQ(mmio(v, VLAPIC_TIMER_CURRENT), 0);
	CHECK_EQ(f->armed, 5000);
	CHECK_EQ(vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 0), 0); /* clear */
	CHECK_EQ(f->armed, 0);
	CHECK(!vlapic_timer_expired(v, 6000));
	vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 7000);
	CHECK(vlapic_timer_expired(v, 7001));
	CHECK_EQ(vlapic_pending_vector(v), 0xef);
	CHECK_EQ(vlapic_msr_read(v, VLAPIC_MSR_TSC_DEADLINE, &value), 0);
	CHECK_EQ(value, 0); /* fired: the MSR resets */
	CHECK_EQ(f->armed, 0);
	vlapic_acknowledge(v, 0xef);
	vlapic_eoi(v);
	/* A deadline already in the past fires at once. */
	f->now = 9000;
	vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 8000);
	CHECK_EQ(vlapic_pending_vector(v), 0xef);
	CHECK_EQ(vlapic_timer_deadline(v), 0);
	/* Masked: fires, no interrupt. */
	vlapic_acknowledge(v, 0xef);
	vlapic_eoi(v);
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0x50000 | 0xef);
	vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 9500);
	CHECK(vlapic_timer_expired(v, 9500));
	CHECK_EQ(vlapic_pending_vector(v), -1);
	CHECK_EQ(v->counters.timer_fires, 3);
	/* Leaving TSC-deadline mode disarms. */
	vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 20000);
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0x000ef);
	CHECK_EQ(f->armed, 0);
}

/* ---- x2APIC MSRs ------------------------------------------------------------ */

/* Each row: the read result, then a write of `value` and its result. */
struct msr_row {
	const char *name;
	uint32_t msr;
	int read;
	uint64_t value;
	int write;
};

#define GP VLAPIC_FAULT

static const struct msr_row msr_rows[] = {
    {"msr 0x802 ID: read-only", 0x802, 0, 5, GP},
    {"msr 0x803 version: read-only", 0x803, 0, 0, GP},
    {"msr 0x808 TPR", 0x808, 0, 0x40, 0},
    {"msr 0x808 TPR: reserved bits", 0x808, 0, 0x140, GP},
    {"msr 0x808 TPR: high half", 0x808, 0, 1ull << 32, GP},
    {"msr 0x809 APR: reserved", 0x809, GP, 0, GP},
    {"msr 0x80a PPR: read-only", 0x80a, 0, 0, GP},
    {"msr 0x80b EOI: write-only", 0x80b, GP, 0, 0},
    {"msr 0x80b EOI: non-zero write", 0x80b, GP, 1, GP},
    {"msr 0x80c RRD: reserved", 0x80c, GP, 0, GP},
    {"msr 0x80d LDR: read-only", 0x80d, 0, 0, GP},
    {"msr 0x80e DFR: reserved", 0x80e, GP, 0, GP},
    {"msr 0x80f SVR", 0x80f, 0, 0x1ff, 0},
    {"msr 0x80f SVR: reserved bit 12", 0x80f, 0, 0x11ff, GP},
    {"msr 0x810 ISR0: read-only", 0x810, 0, 0, GP},
    {"msr 0x81f TMR7: read-only", 0x81f, 0, 0, GP},
    {"msr 0x820 IRR0: read-only", 0x820, 0, 0, GP},
    {"msr 0x828 ESR", 0x828, 0, 0, 0},
    {"msr 0x828 ESR: non-zero write", 0x828, 0, 1, GP},
    {"msr 0x82f CMCI: reserved", 0x82f, GP, 0, GP},
    {"msr 0x830 ICR: 64-bit", 0x830, 0, 0x00000001000040f0ull, 0},
    {"msr 0x831 ICR high: reserved", 0x831, GP, 0, GP},
    {"msr 0x832 LVT timer", 0x832, 0, 0x10000, 0},
    {"msr 0x835 LVT LINT0", 0x835, 0, 0x700, 0},
    {"msr 0x837 LVT error", 0x837, 0, 0x10000, 0},
    {"msr 0x838 initial count", 0x838, 0, 0, 0},
    {"msr 0x839 current count: read-only", 0x839, 0, 0, GP},
    {"msr 0x83a: reserved", 0x83a, GP, 0, GP},
    {"msr 0x83e divide", 0x83e, 0, 0xb, 0},
    {"msr 0x83f SELF_IPI: write-only", 0x83f, GP, 0x40, 0},
    {"msr 0x83f SELF_IPI: reserved bits", 0x83f, GP, 0x140, GP},
    {"msr 0x840: reserved", 0x840, GP, 0, GP},
    {"msr 0x8ff: reserved", 0x8ff, GP, 0, GP},
    {"msr 0x900: not an APIC MSR", 0x900, GP, 0, GP},
};

static void test_x2apic_msr_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(msr_rows); i++) {
		const struct msr_row *row = &msr_rows[i];
		test_case_begin(row->name);
		struct vlapic *v = one();
		uint64_t value = 0;
		/* In xAPIC mode every x2APIC MSR faults. */
		if (vlapic_msr_handled(row->msr)) {
			CHECK_EQ(vlapic_msr_read(v, row->msr, &value), GP);
			CHECK_EQ(vlapic_msr_write(v, row->msr, row->value), GP);
		}
		enable_x2apic(v);
		CHECK_EQ(vlapic_msr_read(v, row->msr, &value), row->read);
		CHECK_EQ(vlapic_msr_write(v, row->msr, row->value), row->write);
		test_case_end();
	}
}

static void test_x2apic_registers(void)
{
	fixture((const uint32_t[]){0x23, 1, 2, 3});
	struct vlapic *v = &vlapics[0];
	vlapic_mmio_write(v, VLAPIC_LDR, 4, 0x01000000);
	enable_x2apic(v);
	uint64_t value;
	CHECK_EQ(vlapic_msr_read(v, 0x802, &value), 0);
	CHECK_EQ(value, 0x23);
	CHECK_EQ(vlapic_msr_read(v, 0x80d, &value), 0);
	CHECK_EQ(value, (2u << 16) | (1u << 3));
	CHECK_EQ(vlapic_msr_read(v, 0x803, &value), 0);
	CHECK_EQ(value, VLAPIC_VERSION);
	CHECK_EQ(vlapic_msr_write(v, 0x83f, 0x66), 0); /* SELF_IPI */
	CHECK_EQ(vlapic_pending_vector(v), 0x66);
	CHECK_EQ(v->counters.self_ipis, 1);
	CHECK_EQ(vlapic_msr_write(v, 0x808, 0x70), 0);
	CHECK_EQ(vlapic_tpr(v), 0x70);
	CHECK_EQ(vlapic_pending_vector(v), -1);
	/* The xAPIC page is not decoded in x2APIC mode: all ones. */
	uint32_t word;
	vlapic_mmio_read(v, VLAPIC_ID, 4, &word);
	CHECK_EQ(word, VLAPIC_UNDECODED);
	CHECK_EQ(v->counters.bad_accesses, 1);
	CHECK_EQ(vlapic_msr_read(v, VLAPIC_MSR_APIC_BASE, &value), 0);
	CHECK_EQ(value, VLAPIC_DEFAULT_BASE | VLAPIC_BASE_ENABLE | VLAPIC_BASE_X2APIC);
}

/* ---- APIC base transitions -------------------------------------------------- */

enum base_state { BASE_DISABLED, BASE_XAPIC, BASE_X2APIC };

struct base_row {
	const char *name;
	enum base_state from;
	uint64_t write;
	int result;
	enum base_state to;
};

#define EN   VLAPIC_BASE_ENABLE
#define EXTD VLAPIC_BASE_X2APIC
#define BASE VLAPIC_DEFAULT_BASE

static const struct base_row base_rows[] = {
    {"base: xAPIC -> x2APIC", BASE_XAPIC, BASE | EN | EXTD, 0, BASE_X2APIC},
    {"base: xAPIC -> disabled", BASE_XAPIC, BASE, 0, BASE_DISABLED},
    {"base: xAPIC -> xAPIC", BASE_XAPIC, BASE | EN, 0, BASE_XAPIC},
    {"base: x2APIC -> xAPIC faults", BASE_X2APIC, BASE | EN, VLAPIC_FAULT, BASE_X2APIC},
    {"base: x2APIC -> disabled", BASE_X2APIC, BASE, 0, BASE_DISABLED},
    {"base: x2APIC -> x2APIC", BASE_X2APIC, BASE | EN | EXTD, 0, BASE_X2APIC},
    {"base: disabled -> x2APIC faults", BASE_DISABLED, BASE | EN | EXTD, VLAPIC_FAULT,
     BASE_DISABLED},
    {"base: disabled -> xAPIC", BASE_DISABLED, BASE | EN, 0, BASE_XAPIC},
    {"base: EXTD without EN faults", BASE_XAPIC, BASE | EXTD, VLAPIC_FAULT, BASE_XAPIC},
    {"base: relocation", BASE_XAPIC, 0xfed00000ull | EN, 0, BASE_XAPIC},
    {"base: address above bit 51 faults", BASE_XAPIC, (1ull << 52) | BASE | EN, VLAPIC_FAULT,
     BASE_XAPIC},
    {"base: reserved bit 9 faults", BASE_XAPIC, BASE | EN | (1u << 9), VLAPIC_FAULT, BASE_XAPIC},
    {"base: reserved low bits fault", BASE_XAPIC, BASE | EN | 1, VLAPIC_FAULT, BASE_XAPIC},
    {"base: BSP bit is kept, not written", BASE_XAPIC, BASE | EN | VLAPIC_BASE_BSP, 0, BASE_XAPIC},
};

static enum base_state base_state(const struct vlapic *v)
{
	if (!vlapic_hardware_enabled(v))
		return BASE_DISABLED;
	return vlapic_x2apic_mode(v) ? BASE_X2APIC : BASE_XAPIC;
}

static void test_apic_base_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(base_rows); i++) {
		const struct base_row *row = &base_rows[i];
		test_case_begin(row->name);
		fixture(NULL);
		struct vlapic *v = &vlapics[1]; /* an AP: BSP bit clear */
		if (row->from == BASE_X2APIC)
			enable_x2apic(v);
		else if (row->from == BASE_DISABLED)
			CHECK_EQ(vlapic_set_base(v, BASE), 0);
		CHECK_EQ(vlapic_msr_write(v, VLAPIC_MSR_APIC_BASE, row->write), row->result);
		CHECK_EQ(base_state(v), row->to);
		CHECK(!(v->apic_base & VLAPIC_BASE_BSP));
		test_case_end();
	}
}

static void test_disable_resets(void)
{
	struct vlapic *v = one();
	vlapic_set_irr(v, 0x40, false);
	vlapic_mmio_write(v, VLAPIC_TPR, 4, 0x20);
	CHECK_EQ(vlapic_set_base(v, BASE), 0);
	CHECK_EQ(vlapic_pending_vector(v), -1);
	CHECK(!vlapic_set_irr(v, 0x41, false)); /* disabled: nothing accepted */
	uint32_t word;
	vlapic_mmio_read(v, VLAPIC_TPR, 4, &word); /* page not decoded: all ones */
	CHECK_EQ(word, VLAPIC_UNDECODED);
	vlapic_mmio_write(v, VLAPIC_TPR, 4, 0x30); /* ... writes ignored */
	CHECK_EQ(vlapic_set_base(v, BASE | EN), 0);
	CHECK_EQ(mmio(v, VLAPIC_TPR), 0);
	CHECK_EQ(mmio(v, VLAPIC_SVR), 0xff);
	CHECK_EQ(mmio(v, VLAPIC_IRR + 0x20), 0);
	CHECK(v->apic_base & VLAPIC_BASE_BSP);
}

/* ---- xAPIC MMIO ------------------------------------------------------------- */

static void test_mmio_registers(void)
{
	fixture((const uint32_t[]){5, 1, 2, 3});
	struct vlapic *v = &vlapics[0];
	CHECK_EQ(mmio(v, VLAPIC_ID), 5u << 24);
	CHECK_EQ(mmio(v, VLAPIC_VERSION_REGISTER), 0x00050014);
	vlapic_mmio_write(v, VLAPIC_VERSION_REGISTER, 4, 0); /* read-only: ignored */
	CHECK_EQ(mmio(v, VLAPIC_VERSION_REGISTER), 0x00050014);
	vlapic_mmio_write(v, VLAPIC_ID, 4, 0x07abcdef);
	CHECK_EQ(mmio(v, VLAPIC_ID), 0x07000000);
	CHECK_EQ(vlapic_id(v), 7);
	CHECK_EQ(mmio(v, VLAPIC_DFR), 0xffffffff);
	vlapic_mmio_write(v, VLAPIC_DFR, 4, 0x00000000);
	CHECK_EQ(mmio(v, VLAPIC_DFR), 0x0fffffff);
	vlapic_mmio_write(v, VLAPIC_LDR, 4, 0x12345678);
	CHECK_EQ(mmio(v, VLAPIC_LDR), 0x12000000);
	vlapic_mmio_write(v, VLAPIC_LVT_LINT0, 4, 0xffffffff);
	CHECK_EQ(mmio(v, VLAPIC_LVT_LINT0), 0x0001a7ff);
	vlapic_mmio_write(v, VLAPIC_LVT_TIMER, 4, 0xffffffff);
	CHECK_EQ(mmio(v, VLAPIC_LVT_TIMER), 0x000700ff);
	CHECK_EQ(mmio(v, VLAPIC_EOI), 0);
	CHECK_EQ(mmio(v, VLAPIC_APR), 0);
	/* Software disable masks every LVT, and they stay masked. */
	vlapic_mmio_write(v, VLAPIC_LVT_ERROR, 4, 0x33);
	vlapic_mmio_write(v, VLAPIC_SVR, 4, 0x0ff);
	CHECK_EQ(mmio(v, VLAPIC_LVT_ERROR), 0x10033);
	vlapic_mmio_write(v, VLAPIC_LVT_ERROR, 4, 0x34);
	CHECK_EQ(mmio(v, VLAPIC_LVT_ERROR), 0x10034);
	/* Bad sizes and offsets: ignored, counted, no ESR. */
	uint64_t before = v->counters.bad_accesses;
	uint32_t word = 1;
	vlapic_mmio_read(v, VLAPIC_TPR + 1, 4, &word);
	CHECK_EQ(word, 0);
	vlapic_mmio_write(v, VLAPIC_TPR, 2, 0xff);
	vlapic_mmio_write(v, VLAPIC_TPR + 4, 4, 0xff);
	vlapic_mmio_read(v, 0x1000, 4, &word);
	CHECK_EQ(v->counters.bad_accesses, before + 4);
	CHECK_EQ(mmio(v, VLAPIC_TPR), 0);
	/* Reserved offset: ESR illegal register address. */
	CHECK_EQ(mmio(v, 0x400), 0);
	vlapic_mmio_write(v, VLAPIC_ESR, 4, 0);
	CHECK_EQ(mmio(v, VLAPIC_ESR), VLAPIC_ESR_ILLEGAL_REGISTER);
	CHECK(vlapic_msr_handled(0x1b) && vlapic_msr_handled(0x6e0) && vlapic_msr_handled(0x8ff));
	CHECK(!vlapic_msr_handled(0x900) && !vlapic_msr_handled(0x7ff));
}

static void test_ipi_counters(void)
{
	fixture(NULL);
	for (unsigned i = 0; i < FIXTURE_VLAPICS; i++) {
		fakes[i].route = true;
		vlapics[i].run_state = VLAPIC_RUN_ACTIVE; /* APs already started */
	}
	struct vlapic *v = &vlapics[0];
	vlapic_mmio_write(v, VLAPIC_ICR_HIGH, 4, 1u << 24);
	vlapic_mmio_write(v, VLAPIC_ICR_LOW, 4, 0x4050);  /* fixed to 1 */
	vlapic_mmio_write(v, VLAPIC_ICR_LOW, 4, 0x4400);  /* NMI to 1 */
	vlapic_mmio_write(v, VLAPIC_ICR_LOW, 4, 0xc4051); /* fixed all but self */
	vlapic_mmio_write(v, VLAPIC_ICR_LOW, 4, 0x44052); /* fixed self */
	CHECK_EQ(v->counters.ipis_sent[VLAPIC_DELIVERY_FIXED], 3);
	CHECK_EQ(v->counters.ipis_sent[VLAPIC_DELIVERY_NMI], 1);
	CHECK_EQ(vlapic_pending_vector(&vlapics[1]), 0x51);
	CHECK_EQ(vlapic_pending_vector(&vlapics[2]), 0x51);
	CHECK_EQ(vlapic_pending_vector(v), 0x52);
	CHECK(vlapic_nmi_pending(&vlapics[1]));
	CHECK_EQ(vlapics[1].counters.messages_received, 3);
	CHECK_EQ(vlapics[1].counters.interrupts_accepted, 2);
}

int main(void)
{
	TEST_RUN(test_timer_one_shot);
	TEST_RUN(test_timer_periodic);
	TEST_RUN(test_timer_tsc_deadline);
	test_x2apic_msr_table();
	TEST_RUN(test_x2apic_registers);
	test_apic_base_table();
	TEST_RUN(test_disable_resets);
	TEST_RUN(test_mmio_registers);
	TEST_RUN(test_ipi_counters);
	return test_summary("test_vlapic_registers");
}
