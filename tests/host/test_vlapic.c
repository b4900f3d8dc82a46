/*
 * tests/host/test_vlapic.c - host tests of the virtual local APIC and the
 * interrupt router (vmx/vlapic.h), on a fake environment: a settable TSC,
 * a log of timer_arm calls, of sent IPIs and of EOI broadcasts. Sent IPIs
 * can be routed to the fixture's vLAPICs like the VM code would.
 *
 * Table-driven (every row is one case): PPR, pending-vector selection with
 * TPR masking, ICR decoding (every delivery mode, destination mode,
 * shorthand; xAPIC ICR_HIGH and x2APIC 64-bit), routing (physical,
 * broadcast, logical flat and cluster, x2APIC logical, shorthands, lowest
 * priority). Scenarios: nested interrupts and EOI order, TMR + EOI
 * broadcast, illegal vectors and ESR, INIT/SIPI, posted delivery. The
 * timers, x2APIC MSRs, APIC base and MMIO registers are in
 * test_vlapic_registers.c; the fixture in vlapic_fixture.h.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vlapic.h"

#include "tests/host/test.h"

#include "tests/host/vlapic_fixture.h"

/* ---- PPR ---------------------------------------------------------------- */

struct ppr_row {
	const char *name;
	uint8_t tpr;
	int isr;
	uint8_t ppr;
};

static const struct ppr_row ppr_rows[] = {
    {"ppr: nothing in service, TPR 0", 0x00, -1, 0x00},
    {"ppr: nothing in service, TPR 0x4a", 0x4a, -1, 0x4a},
    {"ppr: ISR class above TPR", 0x20, 0x51, 0x50},
    {"ppr: TPR class above ISR", 0x6f, 0x51, 0x6f},
    {"ppr: same class keeps TPR with its low bits", 0x5c, 0x51, 0x5c},
    {"ppr: TPR low bits only, ISR class wins", 0x0f, 0x30, 0x30},
    {"ppr: ISR 0xff", 0x00, 0xff, 0xf0},
    {"ppr: TPR 0xff", 0xff, 0x20, 0xff},
};

static void test_ppr_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(ppr_rows); i++) {
		const struct ppr_row *row = &ppr_rows[i];
		test_case_begin(row->name);
		struct vlapic *v = one();
		vlapic_mmio_write(v, VLAPIC_TPR, 4, row->tpr);
		if (row->isr >= 0) {
			vlapic_set_irr(v, (uint8_t)row->isr, false);
			vlapic_acknowledge(v, (uint8_t)row->isr);
		}
		CHECK_EQ(vlapic_ppr(v), row->ppr);
		CHECK_EQ(mmio(v, VLAPIC_PPR), row->ppr);
		test_case_end();
	}
}

/* ---- pending vector: IRR/ISR selection with TPR masking ------------------ */

struct pending_row {
	const char *name;
	uint8_t tpr;
	uint8_t isr[3]; /* 0-terminated */
	uint8_t irr[4]; /* 0-terminated */
	int pending;
};

static const struct pending_row pending_rows[] = {
    {"pending: empty", 0, {0}, {0}, -1},
    {"pending: one vector", 0, {0}, {0x31}, 0x31},
    {"pending: highest of several", 0, {0}, {0x31, 0x92, 0x45}, 0x92},
    {"pending: highest within a class", 0, {0}, {0x41, 0x4f, 0x44}, 0x4f},
    {"pending: TPR class masks lower", 0x50, {0}, {0x41, 0x59}, -1},
    {"pending: TPR equal class masks", 0x40, {0}, {0x4f}, -1},
    {"pending: above TPR delivered", 0x40, {0}, {0x4f, 0x50}, 0x50},
    {"pending: TPR low bits do not mask the class above", 0x3f, {0}, {0x40}, 0x40},
    {"pending: in-service class masks same class", 0, {0x45}, {0x4a}, -1},
    {"pending: in-service class lets higher through", 0, {0x45}, {0x51}, 0x51},
    {"pending: nested ISR, highest in service counts", 0, {0x45, 0x81}, {0x71}, -1},
    {"pending: max of TPR and ISR", 0x90, {0x45}, {0x81, 0x9f}, -1},
    {"pending: vector 0xff", 0xe0, {0}, {0xff}, 0xff},
    {"pending: vectors 16..31 are legal in the APIC", 0, {0}, {0x10}, 0x10},
};

static void test_pending_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(pending_rows); i++) {
		const struct pending_row *row = &pending_rows[i];
		test_case_begin(row->name);
		struct vlapic *v = one();
		for (int k = 0; row->isr[k]; k++) {
			vlapic_set_irr(v, row->isr[k], false);
			vlapic_acknowledge(v, row->isr[k]);
		}
		vlapic_set_tpr(v, row->tpr);
		for (int k = 0; row->irr[k]; k++)
			CHECK(vlapic_set_irr(v, row->irr[k], false));
		CHECK_EQ(vlapic_pending_vector(v), row->pending);
		test_case_end();
	}
}

/* ---- nested interrupts, EOI order, TMR ------------------------------------ */

static void test_nested_interrupts_and_eoi_order(void)
{
	struct vlapic *v = one();
	vlapic_set_irr(v, 0x30, false);
	CHECK_EQ(vlapic_pending_vector(v), 0x30);
	vlapic_acknowledge(v, 0x30);
	CHECK_EQ(mmio(v, VLAPIC_ISR + 0x10), 1u << 16); /* vector 0x30: ISR word 1 bit 16 */
	CHECK_EQ(mmio(v, VLAPIC_IRR + 0x10), 0);
	vlapic_set_irr(v, 0x50, false); /* higher class nests */
	CHECK_EQ(vlapic_pending_vector(v), 0x50);
	vlapic_acknowledge(v, 0x50);
	vlapic_set_irr(v, 0x40, false); /* below the in-service 0x50 */
	vlapic_set_irr(v, 0x3f, false); /* same class as 0x30 */
	CHECK_EQ(vlapic_pending_vector(v), -1);
	CHECK_EQ(vlapic_ppr(v), 0x50);
	vlapic_mmio_write(v, VLAPIC_EOI, 4, 0); /* EOI ends 0x50 (highest) */
	CHECK_EQ(vlapic_ppr(v), 0x30);
	CHECK_EQ(vlapic_pending_vector(v), 0x40);
	vlapic_acknowledge(v, 0x40);
	CHECK_EQ(vlapic_pending_vector(v), -1); /* 0x3f waits for 0x30's class */
	vlapic_eoi(v);                          /* ends 0x40 */
	CHECK_EQ(vlapic_pending_vector(v), -1);
	vlapic_eoi(v); /* ends 0x30 */
	CHECK_EQ(vlapic_pending_vector(v), 0x3f);
	vlapic_acknowledge(v, 0x3f);
	vlapic_eoi(v);
	vlapic_eoi(v); /* spurious EOI: harmless */
	CHECK_EQ(vlapic_ppr(v), 0);
	CHECK_EQ(v->counters.eois, 5);
	CHECK_EQ(v->counters.interrupts_injected, 4);
	CHECK_EQ(fakes[0].broadcast_count, 0);
}

static void test_tmr_eoi_broadcast(void)
{
	struct vlapic *v = one();
	CHECK(vlapic_set_irr(v, 0x61, true));
	CHECK(vlapic_set_irr(v, 0x52, false));
	CHECK_EQ(mmio(v, VLAPIC_TMR + 0x30), 1u << 1); /* 0x61: word 3 bit 1 */
	CHECK(!vlapic_set_irr(v, 0x61, true));         /* coalesced */
	CHECK_EQ(v->counters.interrupts_coalesced, 1);
	CHECK_EQ(vlapic_pending_vector(v), 0x61);
	vlapic_acknowledge(v, 0x61);
	vlapic_mmio_write(v, VLAPIC_EOI, 4, 0); /* 0x61, level */
	CHECK_EQ(fakes[0].broadcast_count, 1);
	CHECK_EQ(fakes[0].broadcasts[0], 0x61);
	CHECK_EQ(vlapic_pending_vector(v), 0x52);
	vlapic_acknowledge(v, 0x52);
	vlapic_eoi(v); /* 0x52, edge */
	CHECK_EQ(fakes[0].broadcast_count, 1);
	CHECK_EQ(v->counters.eoi_broadcasts, 1);
	/* The same vector accepted edge-triggered later clears its TMR bit. */
	vlapic_set_irr(v, 0x61, false);
	CHECK_EQ(mmio(v, VLAPIC_TMR + 0x30), 0);
}

static void test_illegal_vectors_and_esr(void)
{
	struct vlapic *v = one();
	vlapic_mmio_write(v, VLAPIC_LVT_ERROR, 4, 0xfe); /* error LVT unmasked */
	CHECK(!vlapic_set_irr(v, 5, false));
	CHECK_EQ(mmio(v, VLAPIC_ESR), 0); /* not latched before a write */
	vlapic_mmio_write(v, VLAPIC_ESR, 4, 0);
	CHECK_EQ(mmio(v, VLAPIC_ESR), VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
	CHECK_EQ(vlapic_pending_vector(v), 0xfe); /* error interrupt */
	vlapic_mmio_write(v, VLAPIC_ESR, 4, 0);
	CHECK_EQ(mmio(v, VLAPIC_ESR), 0);
	vlapic_mmio_write(v, VLAPIC_ICR_LOW, 4, 0x00004008); /* fixed, vector 8 */
	CHECK_EQ(fakes[0].sent_count, 0);
	vlapic_mmio_write(v, VLAPIC_ESR, 4, 0);
	CHECK_EQ(mmio(v, VLAPIC_ESR), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
	vlapic_mmio_write(v, VLAPIC_LVT_CMCI, 4, 0); /* no CMCI: illegal register */
	vlapic_mmio_write(v, VLAPIC_ESR, 4, 0);
	CHECK_EQ(mmio(v, VLAPIC_ESR), VLAPIC_ESR_ILLEGAL_REGISTER);
	CHECK_EQ(v->counters.errors, 3);
}

/* ---- ICR decoding ------------------------------------------------------- */

struct icr_row {
	const char *name;
	uint64_t icr; /* xAPIC: ICR_HIGH << 32 | ICR_LOW */
	bool x2apic;
	enum vlapic_delivery_mode mode;
	uint8_t vector;
	bool logical;
	uint32_t destination;
	enum vlapic_shorthand shorthand;
	bool level, level_triggered;
};

static const struct icr_row icr_rows[] = {
    {"icr: fixed physical", 0x0300000000004031ull, false, VLAPIC_DELIVERY_FIXED, 0x31, false, 3,
     VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: lowest priority logical", 0x0f00000000004941ull, false, VLAPIC_DELIVERY_LOWEST_PRIORITY,
     0x41, true, 0x0f, VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: SMI", 0x0100000000004200ull, false, VLAPIC_DELIVERY_SMI, 0, false, 1,
     VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: NMI", 0x0200000000004400ull, false, VLAPIC_DELIVERY_NMI, 0, false, 2,
     VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: INIT assert level", 0x010000000000c500ull, false, VLAPIC_DELIVERY_INIT, 0, false, 1,
     VLAPIC_SHORTHAND_NONE, true, true},
    {"icr: INIT de-assert", 0x0100000000008500ull, false, VLAPIC_DELIVERY_INIT, 0, false, 1,
     VLAPIC_SHORTHAND_NONE, false, true},
    {"icr: SIPI vector 0x9a", 0x010000000000469aull, false, VLAPIC_DELIVERY_STARTUP, 0x9a, false, 1,
     VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: ExtINT", 0x0000000000004700ull, false, VLAPIC_DELIVERY_EXTINT, 0, false, 0,
     VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: shorthand self", 0x00000000000440f3ull, false, VLAPIC_DELIVERY_FIXED, 0xf3, false, 0,
     VLAPIC_SHORTHAND_SELF, true, false},
    {"icr: shorthand all", 0x00000000000840f4ull, false, VLAPIC_DELIVERY_FIXED, 0xf4, false, 0,
     VLAPIC_SHORTHAND_ALL, true, false},
    {"icr: shorthand all but self", 0x00000000000c4400ull, false, VLAPIC_DELIVERY_NMI, 0, false, 0,
     VLAPIC_SHORTHAND_ALL_BUT_SELF, true, false},
    {"icr: xAPIC broadcast destination", 0xff000000000040fdull, false, VLAPIC_DELIVERY_FIXED, 0xfd,
     false, 0xff, VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: xAPIC high reserved bits ignored", 0x12ffffff00004020ull, false, VLAPIC_DELIVERY_FIXED,
     0x20, false, 0x12, VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: x2APIC 32-bit physical", 0x0001234500004031ull, true, VLAPIC_DELIVERY_FIXED, 0x31, false,
     0x12345, VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: x2APIC logical cluster", 0x0002000500000841ull, true, VLAPIC_DELIVERY_FIXED, 0x41, true,
     0x20005, VLAPIC_SHORTHAND_NONE, false, false},
    {"icr: x2APIC broadcast", 0xffffffff000040efull, true, VLAPIC_DELIVERY_FIXED, 0xef, false,
     0xffffffff, VLAPIC_SHORTHAND_NONE, true, false},
    {"icr: x2APIC SIPI", 0x0000000300000608ull, true, VLAPIC_DELIVERY_STARTUP, 0x08, false, 3,
     VLAPIC_SHORTHAND_NONE, false, false},
};

static void test_icr_decode_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(icr_rows); i++) {
		const struct icr_row *row = &icr_rows[i];
		test_case_begin(row->name);
		struct vlapic_ipi ipi;
		memset(&ipi, 0x5a, sizeof(ipi));
		vlapic_icr_decode(row->icr, row->x2apic, &ipi);
		CHECK_EQ(ipi.delivery_mode, row->mode);
		CHECK_EQ(ipi.vector, row->vector);
		CHECK_EQ(ipi.logical, row->logical);
		CHECK_EQ(ipi.destination, row->destination);
		CHECK_EQ(ipi.shorthand, row->shorthand);
		CHECK_EQ(ipi.level, row->level);
		CHECK_EQ(ipi.level_triggered, row->level_triggered);
		CHECK_EQ(ipi.x2apic, row->x2apic);
		/* The same value written through the registers sends the same message. */
		struct vlapic *v = one();
		if (row->x2apic) {
			enable_x2apic(v);
			CHECK_EQ(vlapic_msr_write(v, 0x830, row->icr), 0);
		} else {
			vlapic_mmio_write(v, VLAPIC_ICR_HIGH, 4, (uint32_t)(row->icr >> 32));
			vlapic_mmio_write(v, VLAPIC_ICR_LOW, 4, (uint32_t)row->icr);
		}
		bool sendable =
		    row->mode != VLAPIC_DELIVERY_SMI && row->mode != VLAPIC_DELIVERY_EXTINT;
		CHECK_EQ(fakes[0].sent_count, sendable ? 1 : 0);
		CHECK_EQ(v->counters.ipis_sent[row->mode], 1);
		if (sendable && fakes[0].sent_count == 1) {
			CHECK_EQ(fakes[0].sent[0].destination, row->destination);
			CHECK_EQ(fakes[0].sent[0].delivery_mode, row->mode);
			CHECK_EQ(fakes[0].sent[0].shorthand, row->shorthand);
		}
		uint64_t readback;
		if (row->x2apic) {
			CHECK_EQ(vlapic_msr_read(v, 0x830, &readback), 0);
			CHECK_EQ(readback, row->icr & 0xffffffff000ccfffull);
		} else {
			CHECK_EQ(mmio(v, VLAPIC_ICR_LOW), (uint32_t)row->icr & 0x000ccfffu);
			CHECK_EQ(mmio(v, VLAPIC_ICR_HIGH),
			         (uint32_t)(row->icr >> 32) & 0xff000000u);
		}
		test_case_end();
	}
}

/* ---- routing ------------------------------------------------------------- */

enum route_setup {
	ROUTE_XAPIC_FLAT,         /* IDs 0..3, LDR bit i, flat model */
	ROUTE_XAPIC_CLUSTER,      /* IDs 0..3, LDR cluster 1 {bit0,bit1}, cluster 2 {bit0,bit1} */
	ROUTE_X2APIC,             /* IDs 0, 1, 16, 17 */
	ROUTE_XAPIC_ONE_DISABLED, /* flat, vLAPIC 3 hardware-disabled */
};

struct route_row {
	const char *name;
	enum route_setup setup;
	uint64_t icr;
	unsigned sender;
	uint8_t tpr[FIXTURE_VLAPICS];
	unsigned expected; /* bit mask of target indices */
};

static const struct route_row route_rows[] = {
    {"route: physical 2", ROUTE_XAPIC_FLAT, 0x0200000000004030ull, 0, {0}, 0x4},
    {"route: physical no such ID", ROUTE_XAPIC_FLAT, 0x0700000000004030ull, 0, {0}, 0x0},
    {"route: physical broadcast 0xff", ROUTE_XAPIC_FLAT, 0xff00000000004030ull, 0, {0}, 0xf},
    {"route: logical flat two bits", ROUTE_XAPIC_FLAT, 0x0500000000004830ull, 0, {0}, 0x5},
    {"route: logical flat broadcast", ROUTE_XAPIC_FLAT, 0xff00000000004830ull, 0, {0}, 0xf},
    {"route: logical flat no bits", ROUTE_XAPIC_FLAT, 0x3000000000004830ull, 0, {0}, 0x0},
    {"route: logical cluster 1, both", ROUTE_XAPIC_CLUSTER, 0x1300000000004830ull, 0, {0}, 0x3},
    {"route: logical cluster 2, member 0", ROUTE_XAPIC_CLUSTER, 0x2100000000004830ull, 0, {0}, 0x4},
    {"route: logical cluster 3, nobody", ROUTE_XAPIC_CLUSTER, 0x3100000000004830ull, 0, {0}, 0x0},
    {"route: logical cluster broadcast", ROUTE_XAPIC_CLUSTER, 0xff00000000004830ull, 0, {0}, 0xf},
    {"route: shorthand self", ROUTE_XAPIC_FLAT, 0x0000000000044030ull, 1, {0}, 0x2},
    {"route: shorthand all", ROUTE_XAPIC_FLAT, 0x0000000000084030ull, 1, {0}, 0xf},
    {"route: shorthand all but self", ROUTE_XAPIC_FLAT, 0x00000000000c4030ull, 2, {0}, 0xb},
    {"route: shorthand ignores destination", ROUTE_XAPIC_FLAT, 0x03000000000c4030ull, 3, {0}, 0x7},
    {"route: lowest priority picks lowest TPR",
     ROUTE_XAPIC_FLAT,
     0x0f00000000004930ull,
     0,
     {0x20, 0x10, 0x30, 0x10},
     0x2},
    {"route: lowest priority TPR class only",
     ROUTE_XAPIC_FLAT,
     0x0c00000000004930ull,
     0,
     {0, 0, 0x2f, 0x21},
     0x4},
    {"route: lowest priority physical", ROUTE_XAPIC_FLAT, 0x0300000000004130ull, 0, {0}, 0x8},
    {"route: disabled vLAPIC never matches",
     ROUTE_XAPIC_ONE_DISABLED,
     0xff00000000004030ull,
     0,
     {0},
     0x7},
    {"route: disabled vLAPIC not even for all",
     ROUTE_XAPIC_ONE_DISABLED,
     0x0000000000084030ull,
     0,
     {0},
     0x7},
    {"route: x2APIC physical 16", ROUTE_X2APIC, 0x0000001000004030ull, 0, {0}, 0x4},
    {"route: x2APIC physical 0xff is not broadcast",
     ROUTE_X2APIC,
     0x000000ff00004030ull,
     0,
     {0},
     0x0},
    {"route: x2APIC broadcast", ROUTE_X2APIC, 0xffffffff00004030ull, 0, {0}, 0xf},
    {"route: x2APIC logical cluster 0 bit 1", ROUTE_X2APIC, 0x0000000200004830ull, 0, {0}, 0x2},
    {"route: x2APIC logical cluster 1 both", ROUTE_X2APIC, 0x0001000300004830ull, 0, {0}, 0xc},
    {"route: x2APIC logical cluster 1 bit 0 only",
     ROUTE_X2APIC,
     0x0001000100004830ull,
     0,
     {0},
     0x4},
    {"route: x2APIC logical wrong cluster", ROUTE_X2APIC, 0x0002000300004830ull, 0, {0}, 0x0},
    {"route: x2APIC all but self", ROUTE_X2APIC, 0x00000000000c4030ull, 0, {0}, 0xe},
};

static unsigned routed_mask;
static void record_target(void *context, unsigned index, const struct vlapic_ipi *ipi)
{
	(void)context;
	(void)ipi;
	routed_mask |= 1u << index;
}

static void route_setup(enum route_setup setup)
{
	static const uint32_t x2apic_ids[FIXTURE_VLAPICS] = {0, 1, 16, 17};
	fixture(setup == ROUTE_X2APIC ? x2apic_ids : NULL);
	for (unsigned i = 0; i < FIXTURE_VLAPICS; i++) {
		struct vlapic *v = &vlapics[i];
		if (setup == ROUTE_X2APIC) {
			enable_x2apic(v);
		} else if (setup == ROUTE_XAPIC_CLUSTER) {
			vlapic_mmio_write(v, VLAPIC_DFR, 4, 0x0fffffff);
			uint32_t cluster = i < 2 ? 1 : 2, member = 1u << (i & 1);
			vlapic_mmio_write(v, VLAPIC_LDR, 4, (cluster << 4 | member) << 24);
		} else {
			vlapic_mmio_write(v, VLAPIC_LDR, 4, (1u << i) << 24);
		}
	}
	if (setup == ROUTE_XAPIC_ONE_DISABLED)
		CHECK_EQ(vlapic_set_base(&vlapics[3], VLAPIC_DEFAULT_BASE), 0);
}

static void test_route_table(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(route_rows); i++) {
		const struct route_row *row = &route_rows[i];
		test_case_begin(row->name);
		route_setup(row->setup);
		for (unsigned k = 0; k < FIXTURE_VLAPICS; k++)
			vlapic_set_tpr(&vlapics[k], row->tpr[k]);
		struct vlapic_ipi ipi;
		vlapic_icr_decode(row->icr, row->setup == ROUTE_X2APIC, &ipi);
		routed_mask = 0;
		unsigned count = vlapic_route(vlapic_table, FIXTURE_VLAPICS, &ipi, row->sender,
		                              record_target, NULL);
		CHECK_EQ(routed_mask, row->expected);
		CHECK_EQ(count, (unsigned)__builtin_popcount(row->expected));
		test_case_end();
	}
}

/* ---- posted delivery ------------------------------------------------------ */

static void test_posted_delivery(void)
{
	fixture(NULL);
	struct vlapic *v = &vlapics[1];
	struct vlapic_ipi fixed = {
	    .delivery_mode = VLAPIC_DELIVERY_FIXED, .vector = 0x77, .level = true};
	CHECK(!vlapic_posted(v));
	CHECK(vlapic_deliver(v, &fixed));
	CHECK(vlapic_posted(v));
	CHECK_EQ(mmio(v, VLAPIC_IRR + 0x30), 1u << 23); /* an IRR read takes posts in */
	CHECK(!vlapic_posted(v));
	CHECK_EQ(vlapic_pending_vector(v), 0x77);
	struct vlapic_ipi level = fixed;
	level.vector = 0x88;
	level.level_triggered = true;
	CHECK(vlapic_deliver(v, &level));
	CHECK_EQ(vlapic_pending_vector(v), 0x88);
	CHECK_EQ(mmio(v, VLAPIC_TMR + 0x40), 1u << 8);
	level.level = false; /* de-assert: nothing */
	CHECK(!vlapic_deliver(v, &level));
	struct vlapic_ipi nmi = {.delivery_mode = VLAPIC_DELIVERY_NMI, .level = true};
	CHECK(vlapic_deliver(v, &nmi));
	v->run_state = VLAPIC_RUN_ACTIVE;
	CHECK(vlapic_nmi_pending(v));
	vlapic_nmi_acknowledge(v);
	CHECK(!vlapic_nmi_pending(v));
	struct vlapic_ipi smi = {.delivery_mode = VLAPIC_DELIVERY_SMI, .level = true};
	CHECK(!vlapic_deliver(v, &smi));
	CHECK_EQ(v->counters.messages_received, 3);
	/* A software-disabled vLAPIC drops fixed interrupts. */
	vlapic_mmio_write(v, VLAPIC_SVR, 4, 0xff);
	fixed.vector = 0x99;
	vlapic_deliver(v, &fixed);
	CHECK_EQ(vlapic_pending_vector(v), 0x88);
	CHECK_EQ(v->counters.interrupts_dropped, 1);
}

/* ---- INIT / SIPI ----------------------------------------------------------- */

static void test_init_sipi_sequence(void)
{
	fixture(NULL);
	for (unsigned i = 0; i < FIXTURE_VLAPICS; i++)
		fakes[i].route = true;
	struct vlapic *bsp = &vlapics[0], *ap = &vlapics[2];
	CHECK_EQ(bsp->run_state, VLAPIC_RUN_ACTIVE);
	CHECK_EQ(ap->run_state, VLAPIC_RUN_WAIT_FOR_SIPI);
	CHECK(bsp->apic_base & VLAPIC_BASE_BSP);
	CHECK(!(ap->apic_base & VLAPIC_BASE_BSP));
	/* The AP was running and has state: INIT wipes it. */
	ap->run_state = VLAPIC_RUN_ACTIVE;
	vlapic_set_irr(ap, 0x45, false);
	vlapic_mmio_write(ap, VLAPIC_LVT_TIMER, 4, 0x20030);
	/* Linux's sequence: INIT assert, INIT de-assert, SIPI, SIPI. */
	vlapic_mmio_write(bsp, VLAPIC_ICR_HIGH, 4, 2u << 24);
	vlapic_mmio_write(bsp, VLAPIC_ICR_LOW, 4, 0x0000c500);
	CHECK(vlapic_posted(ap));
	CHECK_EQ(vlapic_poll(ap), VLAPIC_EVENT_INIT);
	CHECK_EQ(ap->run_state, VLAPIC_RUN_WAIT_FOR_SIPI);
	CHECK_EQ(mmio(ap, VLAPIC_SVR), 0xff);
	CHECK_EQ(mmio(ap, VLAPIC_LVT_TIMER), VLAPIC_LVT_MASKED);
	CHECK_EQ(vlapic_pending_vector(ap), -1);
	CHECK_EQ(mmio(ap, VLAPIC_ID), 2u << 24);               /* ID survives INIT */
	vlapic_mmio_write(bsp, VLAPIC_ICR_LOW, 4, 0x00008500); /* de-assert */
	CHECK_EQ(vlapic_poll(ap), 0);
	vlapic_mmio_write(bsp, VLAPIC_ICR_LOW, 4, 0x0000469a);
	CHECK_EQ(vlapic_poll(ap), VLAPIC_EVENT_STARTUP);
	CHECK_EQ(ap->run_state, VLAPIC_RUN_ACTIVE);
	CHECK_EQ(ap->startup_vector, 0x9a);
	vlapic_mmio_write(bsp, VLAPIC_ICR_LOW, 4, 0x0000469b); /* second SIPI: ignored */
	CHECK_EQ(vlapic_poll(ap), 0);
	CHECK_EQ(ap->startup_vector, 0x9a);
	CHECK_EQ(ap->counters.inits, 1);
	CHECK_EQ(ap->counters.startups, 1);
	CHECK_EQ(ap->counters.startups_ignored, 1);
	CHECK_EQ(bsp->counters.ipis_sent[VLAPIC_DELIVERY_INIT], 2);
	CHECK_EQ(bsp->counters.ipis_sent[VLAPIC_DELIVERY_STARTUP], 2);
	/* INIT and SIPI posted before the target looked: both, in order. */
	vlapic_mmio_write(bsp, VLAPIC_ICR_HIGH, 4, 3u << 24);
	vlapic_mmio_write(bsp, VLAPIC_ICR_LOW, 4, 0x0000c500);
	vlapic_mmio_write(bsp, VLAPIC_ICR_LOW, 4, 0x00004610);
	struct vlapic *other = &vlapics[3];
	CHECK_EQ(vlapic_pending_vector(other), -1); /* takes posts in, latches events */
	CHECK_EQ(vlapic_poll(other), VLAPIC_EVENT_INIT | VLAPIC_EVENT_STARTUP);
	CHECK_EQ(other->startup_vector, 0x10);
	/* NMIs are not taken in wait-for-SIPI. */
	struct vlapic *idle = &vlapics[1];
	struct vlapic_ipi nmi = {.delivery_mode = VLAPIC_DELIVERY_NMI, .level = true};
	vlapic_deliver(idle, &nmi);
	CHECK(!vlapic_nmi_pending(idle));
}

/* ---- timer ----------------------------------------------------------------- */
int main(void)
{
	test_ppr_table();
	test_pending_table();
	TEST_RUN(test_nested_interrupts_and_eoi_order);
	TEST_RUN(test_tmr_eoi_broadcast);
	TEST_RUN(test_illegal_vectors_and_esr);
	test_icr_decode_table();
	test_route_table();
	TEST_RUN(test_posted_delivery);
	TEST_RUN(test_init_sipi_sequence);
	return test_summary("test_vlapic");
}
