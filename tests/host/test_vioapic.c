/*
 * tests/host/test_vioapic.c - host tests of the virtual IOAPIC
 * (vmx/vioapic.h) wired to real vLAPICs (vmx/vlapic.c) the way a VM wires
 * them: the route callback posts to the target vLAPIC, the vLAPICs'
 * eoi_broadcast calls vioapic_eoi().
 *
 * Table-driven (every row is one case): redirection entry -> message
 * decoding, and entry -> which vLAPIC receives which vector. Scenarios:
 * register window and version, edge pins (masked edges lost), level pins
 * with remote IRR and EOI re-delivery, unmasking an asserted level pin,
 * the edge-trigger write that clears remote IRR, the version 0x20 EOI
 * register, undeliverable messages, 8-bit messages to x2APIC vLAPICs.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vioapic.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define VLAPIC_COUNT    3

static struct vioapic ioapic;
static struct vlapic vlapics[VLAPIC_COUNT];
static struct vlapic *const vlapic_table[VLAPIC_COUNT] = {&vlapics[0], &vlapics[1], &vlapics[2]};
static int deliveries[VLAPIC_COUNT];

static uint64_t fake_now(void *context)
{
	(void)context;
	return 0;
}
static void fake_timer_arm(void *context, uint64_t deadline)
{
	(void)context;
	(void)deadline;
}
static void fake_send_ipi(void *context, const struct vlapic_ipi *ipi)
{
	(void)context;
	(void)ipi;
}
static void fake_eoi_broadcast(void *context, uint8_t vector)
{
	(void)context;
	vioapic_eoi(&ioapic, vector); /* the VM code holds the vIOAPIC lock here */
}

static const struct vlapic_ops ops = {
    .now_tsc = fake_now,
    .timer_arm = fake_timer_arm,
    .send_ipi = fake_send_ipi,
    .eoi_broadcast = fake_eoi_broadcast,
};

static void deliver(void *context, unsigned index, const struct vlapic_ipi *ipi)
{
	(void)context;
	deliveries[index]++;
	vlapic_deliver(&vlapics[index], ipi);
}

/* vLAPICs 0..2 (xAPIC, flat logical IDs 1 << i), all running. */
static void setup(uint8_t version)
{
	memset(deliveries, 0, sizeof(deliveries));
	for (unsigned i = 0; i < VLAPIC_COUNT; i++) {
		vlapic_init(&vlapics[i], i, &ops, NULL);
		vlapics[i].run_state = VLAPIC_RUN_ACTIVE;
		vlapic_mmio_write(&vlapics[i], VLAPIC_SVR, 4, 0x1ff);
		vlapic_mmio_write(&vlapics[i], VLAPIC_LDR, 4, (1u << i) << 24);
	}
	vioapic_init(&ioapic, 3, version, vlapic_table, VLAPIC_COUNT, deliver, NULL);
}

static uint32_t window_read(uint32_t index)
{
	uint32_t value;
	vioapic_mmio_write(&ioapic, VIOAPIC_REGISTER_SELECT, 4, index);
	vioapic_mmio_read(&ioapic, VIOAPIC_WINDOW, 4, &value);
	return value;
}

static void window_write(uint32_t index, uint32_t value)
{
	vioapic_mmio_write(&ioapic, VIOAPIC_REGISTER_SELECT, 4, index);
	vioapic_mmio_write(&ioapic, VIOAPIC_WINDOW, 4, value);
}

static void program(unsigned pin, uint64_t entry)
{
	window_write(VIOAPIC_INDEX_REDIRECTION + 2 * pin + 1, (uint32_t)(entry >> 32));
	window_write(VIOAPIC_INDEX_REDIRECTION + 2 * pin, (uint32_t)entry);
}

static uint64_t entry_of(unsigned pin)
{
	return (uint64_t)window_read(VIOAPIC_INDEX_REDIRECTION + 2 * pin + 1) << 32 |
	       window_read(VIOAPIC_INDEX_REDIRECTION + 2 * pin);
}

/* Take the interrupt on vLAPIC `index` as the guest would: inject, EOI. */
static int take(unsigned index)
{
	int vector = vlapic_pending_vector(&vlapics[index]);
	if (vector >= 0) {
		vlapic_acknowledge(&vlapics[index], (uint8_t)vector);
		vlapic_mmio_write(&vlapics[index], VLAPIC_EOI, 4, 0);
	}
	return vector;
}

/* ---- registers ---------------------------------------------------------- */

static void test_registers(void)
{
	setup(VIOAPIC_VERSION_82093);
	CHECK_EQ(window_read(VIOAPIC_INDEX_VERSION), 0x00170011);
	CHECK_EQ(window_read(VIOAPIC_INDEX_ID), 3u << 24);
	window_write(VIOAPIC_INDEX_ID, 0x0a000000);
	CHECK_EQ(window_read(VIOAPIC_INDEX_ID), 0x0a000000);
	CHECK_EQ(window_read(VIOAPIC_INDEX_ARBITRATION), 0x0a000000);
	window_write(VIOAPIC_INDEX_VERSION, 0); /* read-only */
	CHECK_EQ(window_read(VIOAPIC_INDEX_VERSION), 0x00170011);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		CHECK_EQ(entry_of(pin), VIOAPIC_ENTRY_MASKED);
	program(23,
	        0xff0000000001a7ffull | VIOAPIC_ENTRY_DELIVERY_STATUS | VIOAPIC_ENTRY_REMOTE_IRR);
	CHECK_EQ(entry_of(23), 0xff0000000001a7ffull); /* status bits read-only */
	CHECK_EQ(window_read(VIOAPIC_INDEX_REDIRECTION + 2 * VIOAPIC_PINS), 0); /* past pin 23 */
	uint32_t value;
	vioapic_mmio_write(&ioapic, VIOAPIC_REGISTER_SELECT, 4, 0x12);
	vioapic_mmio_read(&ioapic, VIOAPIC_REGISTER_SELECT, 4, &value);
	CHECK_EQ(value, 0x12);
	vioapic_mmio_read(&ioapic, VIOAPIC_WINDOW, 2, &value); /* bad size */
	CHECK_EQ(value, 0);
	vioapic_mmio_write(&ioapic, VIOAPIC_EOI_REGISTER, 4, 0x30); /* no EOI register in 0x11 */
	vioapic_mmio_read(&ioapic, 0x20, 4, &value);
	CHECK_EQ(ioapic.counters.bad_accesses, 3);
	setup(VIOAPIC_VERSION_EOI);
	CHECK_EQ(window_read(VIOAPIC_INDEX_VERSION), 0x00170020);
}

/* ---- entry decoding --------------------------------------------------------- */

struct entry_row {
	const char *name;
	uint64_t entry;
	uint8_t tpr[VLAPIC_COUNT];
	int vector[VLAPIC_COUNT]; /* pending vector on each vLAPIC, -1 none */
	enum vlapic_delivery_mode mode;
	bool logical, level_triggered;
	uint32_t destination;
};

static const struct entry_row entry_rows[] = {
    {"entry: fixed physical to 1",
     0x0100000000000031ull,
     {0},
     {-1, 0x31, -1},
     VLAPIC_DELIVERY_FIXED,
     false,
     false,
     1},
    {"entry: fixed physical to 2, level",
     0x0200000000008042ull,
     {0},
     {-1, -1, 0x42},
     VLAPIC_DELIVERY_FIXED,
     false,
     true,
     2},
    {"entry: physical broadcast",
     0xff00000000000053ull,
     {0},
     {0x53, 0x53, 0x53},
     VLAPIC_DELIVERY_FIXED,
     false,
     false,
     0xff},
    {"entry: logical flat 0 and 2",
     0x0500000000000864ull,
     {0},
     {0x64, -1, 0x64},
     VLAPIC_DELIVERY_FIXED,
     true,
     false,
     5},
    {"entry: lowest priority logical",
     0x0700000000000975ull,
     {0x30, 0x10, 0x20},
     {-1, 0x75, -1},
     VLAPIC_DELIVERY_LOWEST_PRIORITY,
     true,
     false,
     7},
    {"entry: lowest priority physical",
     0x0000000000000176ull,
     {0},
     {0x76, -1, -1},
     VLAPIC_DELIVERY_LOWEST_PRIORITY,
     false,
     false,
     0},
    {"entry: active-low polarity is only stored",
     0x0100000000002031ull,
     {0},
     {-1, 0x31, -1},
     VLAPIC_DELIVERY_FIXED,
     false,
     false,
     1},
    {"entry: no such destination",
     0x0900000000000031ull,
     {0},
     {-1, -1, -1},
     VLAPIC_DELIVERY_FIXED,
     false,
     false,
     9},
    {"entry: ExtINT not emulated",
     0x0000000000000700ull,
     {0},
     {-1, -1, -1},
     VLAPIC_DELIVERY_EXTINT,
     false,
     false,
     0},
};

static void test_entry_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(entry_rows); i++) {
		const struct entry_row *row = &entry_rows[i];
		test_case_begin(row->name);
		struct vlapic_ipi ipi;
		vioapic_entry_message(row->entry, &ipi);
		CHECK_EQ(ipi.delivery_mode, row->mode);
		CHECK_EQ(ipi.vector, (uint8_t)row->entry);
		CHECK_EQ(ipi.logical, row->logical);
		CHECK_EQ(ipi.level_triggered, row->level_triggered);
		CHECK_EQ(ipi.destination, row->destination);
		CHECK_EQ(ipi.shorthand, VLAPIC_SHORTHAND_NONE);
		CHECK(!ipi.x2apic);
		setup(VIOAPIC_VERSION_82093);
		for (unsigned k = 0; k < VLAPIC_COUNT; k++)
			vlapic_set_tpr(&vlapics[k], row->tpr[k]);
		program(5, row->entry);
		vioapic_pulse_irq(&ioapic, 5);
		if (row->level_triggered)
			vioapic_set_irq(&ioapic, 5, false);
		for (unsigned k = 0; k < VLAPIC_COUNT; k++) {
			vlapic_set_tpr(&vlapics[k], 0);
			CHECK_EQ(vlapic_pending_vector(&vlapics[k]), row->vector[k]);
		}
		test_case_end();
	}
}

/* ---- edge --------------------------------------------------------------------- */

static void test_edge_pin(void)
{
	setup(VIOAPIC_VERSION_82093);
	program(4, 0x0100000000000034ull);
	vioapic_set_irq(&ioapic, 4, true);
	CHECK_EQ(deliveries[1], 1);
	vioapic_set_irq(&ioapic, 4, true); /* still high: no new edge */
	CHECK_EQ(deliveries[1], 1);
	vioapic_set_irq(&ioapic, 4, false);
	vioapic_set_irq(&ioapic, 4, true);
	CHECK_EQ(deliveries[1], 2);
	vioapic_set_irq(&ioapic, 4, false);
	CHECK_EQ(take(1), 0x34);
	CHECK_EQ(vlapics[1].counters.eoi_broadcasts, 0);
	CHECK(!(entry_of(4) & VIOAPIC_ENTRY_REMOTE_IRR));
	/* Masked: the edge is lost, and unmasking does not replay it. */
	program(4, 0x0100000000010034ull);
	vioapic_pulse_irq(&ioapic, 4);
	CHECK_EQ(ioapic.counters.masked_edges, 1);
	program(4, 0x0100000000000034ull);
	CHECK_EQ(deliveries[1], 2);
	CHECK_EQ(ioapic.counters.deliveries, 2);
	/* Out-of-range pins are ignored. */
	vioapic_set_irq(&ioapic, VIOAPIC_PINS, true);
	CHECK_EQ(ioapic.asserted, 0);
}

/* ---- level and remote IRR --------------------------------------------------------- */

static void test_level_remote_irr(void)
{
	setup(VIOAPIC_VERSION_82093);
	program(9, 0x0000000000008059ull); /* level, vector 0x59, to 0 */
	vioapic_set_irq(&ioapic, 9, true);
	CHECK_EQ(deliveries[0], 1);
	CHECK(entry_of(9) & VIOAPIC_ENTRY_REMOTE_IRR);
	vioapic_set_irq(&ioapic, 9, true); /* held by remote IRR */
	CHECK_EQ(deliveries[0], 1);
	CHECK_EQ(vlapic_pending_vector(&vlapics[0]), 0x59);
	uint32_t tmr;
	vlapic_mmio_read(&vlapics[0], VLAPIC_TMR + 0x20, 4, &tmr); /* 0x59: word 2 bit 25 */
	CHECK_EQ(tmr, 1u << 25);
	/* EOI while the line is still asserted: delivered again. */
	CHECK_EQ(take(0), 0x59);
	CHECK_EQ(deliveries[0], 2);
	CHECK(entry_of(9) & VIOAPIC_ENTRY_REMOTE_IRR);
	/* The device drops the line, then the guest EOIs: no re-delivery. */
	vioapic_set_irq(&ioapic, 9, false);
	CHECK_EQ(take(0), 0x59);
	CHECK_EQ(deliveries[0], 2);
	CHECK(!(entry_of(9) & VIOAPIC_ENTRY_REMOTE_IRR));
	CHECK_EQ(vlapics[0].counters.eoi_broadcasts, 2);
	CHECK_EQ(ioapic.counters.eois, 2);
	CHECK_EQ(take(0), -1);
	/* An EOI for another vector leaves remote IRR alone. */
	vioapic_set_irq(&ioapic, 9, true);
	vioapic_eoi(&ioapic, 0x58);
	CHECK(entry_of(9) & VIOAPIC_ENTRY_REMOTE_IRR);
}

static void test_level_masked_then_unmasked(void)
{
	setup(VIOAPIC_VERSION_82093);
	program(10, 0x020000000001806aull); /* level, masked, to 2 */
	vioapic_set_irq(&ioapic, 10, true);
	CHECK_EQ(deliveries[2], 0);
	program(10, 0x020000000000806aull); /* unmask while asserted */
	CHECK_EQ(deliveries[2], 1);
	CHECK_EQ(vlapic_pending_vector(&vlapics[2]), 0x6a);
	CHECK(entry_of(10) & VIOAPIC_ENTRY_REMOTE_IRR);
	/* Linux's stuck-remote-IRR recovery: rewrite as edge, then as level. */
	program(10, 0x020000000001006aull);
	CHECK(!(entry_of(10) & VIOAPIC_ENTRY_REMOTE_IRR));
	program(10, 0x020000000001806aull);
	program(10, 0x020000000000806aull);
	CHECK_EQ(deliveries[2], 2);
}

static void test_eoi_register_and_undeliverable(void)
{
	setup(VIOAPIC_VERSION_EOI);
	program(11, 0x000000000000807bull);
	vioapic_set_irq(&ioapic, 11, true);
	CHECK(entry_of(11) & VIOAPIC_ENTRY_REMOTE_IRR);
	vioapic_mmio_write(&ioapic, VIOAPIC_EOI_REGISTER, 4, 0x7b);
	CHECK_EQ(deliveries[0], 2); /* still asserted: sent again */
	vioapic_set_irq(&ioapic, 11, false);
	vioapic_mmio_write(&ioapic, VIOAPIC_EOI_REGISTER, 4, 0x7b);
	CHECK(!(entry_of(11) & VIOAPIC_ENTRY_REMOTE_IRR));
	/* Nobody at the destination: counted, no remote IRR to get stuck. */
	program(12, 0x090000000000807cull);
	vioapic_set_irq(&ioapic, 12, true);
	CHECK_EQ(ioapic.counters.undeliverable, 1);
	CHECK(!(entry_of(12) & VIOAPIC_ENTRY_REMOTE_IRR));
	/* A level NMI pin sends an NMI and sets no remote IRR. */
	program(13, 0x010000000000c400ull);
	vioapic_set_irq(&ioapic, 13, true);
	CHECK(vlapic_nmi_pending(&vlapics[1]));
	CHECK(!(entry_of(13) & VIOAPIC_ENTRY_REMOTE_IRR));
}

/* 8-bit destinations reach x2APIC-mode vLAPICs physically, not logically. */
static void test_x2apic_targets(void)
{
	setup(VIOAPIC_VERSION_82093);
	for (unsigned i = 0; i < VLAPIC_COUNT; i++)
		CHECK_EQ(vlapic_set_base(&vlapics[i], VLAPIC_DEFAULT_BASE | VLAPIC_BASE_ENABLE |
		                                          VLAPIC_BASE_X2APIC),
		         0);
	program(6, 0x0200000000000046ull); /* physical 2 */
	vioapic_pulse_irq(&ioapic, 6);
	CHECK_EQ(vlapic_pending_vector(&vlapics[2]), 0x46);
	CHECK_EQ(deliveries[0] + deliveries[1], 0);
	program(6, 0xff00000000000047ull); /* broadcast */
	vioapic_pulse_irq(&ioapic, 6);
	for (unsigned i = 0; i < VLAPIC_COUNT; i++)
		CHECK_EQ(deliveries[i], i == 2 ? 2 : 1);
	program(6, 0x0100000000000848ull); /* logical 0x01: nobody */
	vioapic_pulse_irq(&ioapic, 6);
	CHECK_EQ(ioapic.counters.undeliverable, 1);
	/* A NULL slot in the table is skipped. */
	struct vlapic *const sparse[2] = {NULL, &vlapics[1]};
	struct vlapic_ipi ipi;
	vioapic_entry_message(0xff00000000000049ull, &ipi);
	CHECK_EQ(vlapic_route(sparse, 2, &ipi, VLAPIC_NO_SENDER, deliver, NULL), 1);
}

int main(void)
{
	TEST_RUN(test_registers);
	test_entry_table();
	TEST_RUN(test_edge_pin);
	TEST_RUN(test_level_remote_irr);
	TEST_RUN(test_level_masked_then_unmasked);
	TEST_RUN(test_eoi_register_and_undeliverable);
	TEST_RUN(test_x2apic_targets);
	return test_summary("test_vioapic");
}
