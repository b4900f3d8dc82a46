/*
 * tests/host/test_vmx_vlapic.c - what the vLAPIC model (vmx/vlapic.c)
 * promises a guest beyond the register file tested in test_vlapic.c: two
 * NMIs back to back stay two (one latched behind the one being handled),
 * the timer's minimum length for one-shot, periodic and TSC-deadline
 * modes, APIC base relocation, and the undecoded xAPIC page.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vlapic.h"

#include "tests/host/test.h"

#define MINIMUM          1000u /* TSC ticks */
#define LVT_PERIODIC     0x20000u
#define LVT_TSC_DEADLINE 0x40000u
#define VECTOR           0xd0u

static uint64_t now, armed;
static struct vlapic v;

static uint64_t fake_now(void *context)
{
	(void)context;
	return now;
}
static void fake_arm(void *context, uint64_t deadline)
{
	(void)context;
	armed = deadline;
}
static void fake_send(void *context, const struct vlapic_ipi *ipi)
{
	(void)context;
	vlapic_deliver(&v, ipi); /* every IPI is a self IPI here */
}
static const struct vlapic_ops ops = {fake_now, fake_arm, fake_send, NULL};

static void setup(void)
{
	now = 100;
	armed = 0;
	vlapic_init(&v, 0, &ops, NULL);
	vlapic_set_timer_minimum(&v, MINIMUM);
	vlapic_mmio_write(&v, VLAPIC_SVR, 4, VLAPIC_SVR_ENABLE | 0xff);
	vlapic_mmio_write(&v, VLAPIC_TIMER_DIVIDE, 4, 0xb); /* divide by 1 */
}

static void test_nmi_back_to_back(void)
{
	setup();
	struct vlapic_ipi nmi = {.delivery_mode = VLAPIC_DELIVERY_NMI, .level = true};
	CHECK(vlapic_deliver(&v, &nmi));
	CHECK(vlapic_deliver(&v, &nmi));
	CHECK(vlapic_deliver(&v, &nmi)); /* a third merges */
	CHECK(vlapic_nmi_pending(&v));
	vlapic_nmi_acknowledge(&v);    /* the first is delivered */
	CHECK(vlapic_nmi_pending(&v)); /* the second is latched */
	vlapic_nmi_acknowledge(&v);
	CHECK(!vlapic_nmi_pending(&v));
	/* while one is being handled (NMIs blocked) only one more latches */
	CHECK(vlapic_deliver(&v, &nmi));
	CHECK(vlapic_deliver(&v, &nmi));
	vlapic_nmi_limit(&v, 1);
	vlapic_nmi_acknowledge(&v);
	CHECK(!vlapic_nmi_pending(&v));
}

static void test_timer_minimum(void)
{
	setup();
	vlapic_mmio_write(&v, VLAPIC_LVT_TIMER, 4, LVT_PERIODIC | VECTOR);
	vlapic_mmio_write(&v, VLAPIC_TIMER_INITIAL, 4, 1); /* 1 tick: too short */
	CHECK_EQ(armed, now + MINIMUM);
	now = armed;
	CHECK(vlapic_timer_expired(&v, now));
	CHECK_EQ(armed, now + MINIMUM);                     /* the period too */
	vlapic_mmio_write(&v, VLAPIC_LVT_TIMER, 4, VECTOR); /* one-shot */
	vlapic_mmio_write(&v, VLAPIC_TIMER_INITIAL, 4, 5);
	CHECK_EQ(armed, now + MINIMUM);
	vlapic_mmio_write(&v, VLAPIC_TIMER_INITIAL, 4, 5000); /* long enough: exact */
	CHECK_EQ(armed, now + 5000);
	vlapic_mmio_write(&v, VLAPIC_LVT_TIMER, 4, LVT_TSC_DEADLINE | VECTOR);
	CHECK_EQ(vlapic_msr_write(&v, VLAPIC_MSR_TSC_DEADLINE, now + 3), 0);
	CHECK_EQ(armed, now + MINIMUM);
	uint64_t value = 0;
	CHECK_EQ(vlapic_msr_read(&v, VLAPIC_MSR_TSC_DEADLINE, &value), 0);
	CHECK_EQ(value, now + 3); /* the register keeps the value */
	CHECK_EQ(vlapic_msr_write(&v, VLAPIC_MSR_TSC_DEADLINE, now + 2 * MINIMUM), 0);
	CHECK_EQ(armed, now + 2 * MINIMUM);
}

static void test_timer_mode_switch_keeps_count(void)
{
	setup();
	vlapic_mmio_write(&v, VLAPIC_LVT_TIMER, 4, VECTOR);
	vlapic_mmio_write(&v, VLAPIC_TIMER_INITIAL, 4, 50000);
	vlapic_mmio_write(&v, VLAPIC_LVT_TIMER, 4, LVT_PERIODIC | VECTOR);
	uint32_t word = 0;
	vlapic_mmio_read(&v, VLAPIC_TIMER_INITIAL, 4, &word);
	CHECK_EQ(word, 50000);
	CHECK_EQ(armed, 100 + 50000);
}

static void test_relocation_and_undecoded_page(void)
{
	setup();
	uint64_t base = 0xfed00000ull;
	CHECK_EQ(vlapic_msr_write(&v, VLAPIC_MSR_APIC_BASE, base | VLAPIC_BASE_ENABLE), 0);
	uint64_t value = 0;
	CHECK_EQ(vlapic_msr_read(&v, VLAPIC_MSR_APIC_BASE, &value), 0);
	CHECK_EQ(value, base | VLAPIC_BASE_ENABLE | VLAPIC_BASE_BSP);
	uint32_t word = 0;
	vlapic_mmio_read(&v, VLAPIC_SVR, 4, &word);
	CHECK_EQ(word, VLAPIC_SVR_ENABLE | 0xff);                      /* registers kept */
	CHECK_EQ(vlapic_msr_write(&v, VLAPIC_MSR_APIC_BASE, base), 0); /* disabled */
	CHECK(!vlapic_mmio_decoded(&v));
	vlapic_mmio_read(&v, VLAPIC_SVR, 4, &word);
	CHECK_EQ(word, VLAPIC_UNDECODED);
	vlapic_mmio_write(&v, VLAPIC_TPR, 4, 0x40);
	CHECK_EQ(vlapic_tpr(&v), 0);
}

int main(void)
{
	TEST_RUN(test_nmi_back_to_back);
	TEST_RUN(test_timer_minimum);
	TEST_RUN(test_timer_mode_switch_keeps_count);
	TEST_RUN(test_relocation_and_undecoded_page);
	return test_summary("test_vmx_vlapic");
}
