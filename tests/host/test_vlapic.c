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
 * priority), x2APIC MSR access rules, APIC base transitions. Scenarios:
 * nested interrupts and EOI order, TMR + EOI broadcast, illegal vectors and
 * ESR, INIT/SIPI, the three timer modes, posted delivery, MMIO rules.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vlapic.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define FIXTURE_VLAPICS 4

static void case_begin(const char *name)
{
	test_current_name = name;
	test_current_failed = 0;
}
static void case_end(void)
{
	test_failed_count += !!test_current_failed;
	test_passed_count += !test_current_failed;
}

/* ---- fake environment ---------------------------------------------------- */

struct fake {
	uint64_t now;
	uint64_t armed;
	int arm_calls;
	struct vlapic_ipi sent[16];
	int sent_count;
	uint8_t broadcasts[16];
	int broadcast_count;
	unsigned index; /* this vLAPIC's index in the fixture */
	bool route;     /* route sent IPIs to the fixture */
};

static struct fake fakes[FIXTURE_VLAPICS];
static struct vlapic vlapics[FIXTURE_VLAPICS];
static struct vlapic *const vlapic_table[FIXTURE_VLAPICS] = {&vlapics[0], &vlapics[1], &vlapics[2],
                                                             &vlapics[3]};

static uint64_t fake_now(void *context)
{
	return ((struct fake *)context)->now;
}

static void fake_timer_arm(void *context, uint64_t deadline)
{
	struct fake *f = context;
	f->armed = deadline;
	f->arm_calls++;
}

static void fake_deliver(void *context, unsigned index, const struct vlapic_ipi *ipi)
{
	(void)context;
	vlapic_deliver(&vlapics[index], ipi);
}

static void fake_send_ipi(void *context, const struct vlapic_ipi *ipi)
{
	struct fake *f = context;
	if (f->sent_count < (int)ARRAY_LENGTH(f->sent))
		f->sent[f->sent_count++] = *ipi;
	if (f->route)
		vlapic_route(vlapic_table, FIXTURE_VLAPICS, ipi, f->index, fake_deliver, NULL);
}

static void fake_eoi_broadcast(void *context, uint8_t vector)
{
	struct fake *f = context;
	if (f->broadcast_count < (int)ARRAY_LENGTH(f->broadcasts))
		f->broadcasts[f->broadcast_count++] = vector;
}

static const struct vlapic_ops fake_ops = {
    .now_tsc = fake_now,
    .timer_arm = fake_timer_arm,
    .send_ipi = fake_send_ipi,
    .eoi_broadcast = fake_eoi_broadcast,
};

/* Fresh vLAPICs with IDs ids[i], software-enabled (SVR = 0x1ff). */
static void fixture(const uint32_t ids[FIXTURE_VLAPICS])
{
	for (unsigned i = 0; i < FIXTURE_VLAPICS; i++) {
		memset(&fakes[i], 0, sizeof(fakes[i]));
		fakes[i].index = i;
		vlapic_init(&vlapics[i], ids ? ids[i] : i, &fake_ops, &fakes[i]);
		vlapic_mmio_write(&vlapics[i], VLAPIC_SVR, 4, 0x1ff);
	}
}

static struct vlapic *one(void)
{
	fixture(NULL);
	return &vlapics[0];
}

static uint32_t mmio(struct vlapic *v, uint32_t offset)
{
	uint32_t value;
	vlapic_mmio_read(v, offset, 4, &value);
	return value;
}

static void enable_x2apic(struct vlapic *v)
{
	CHECK_EQ(vlapic_set_base(v, VLAPIC_DEFAULT_BASE | VLAPIC_BASE_ENABLE | VLAPIC_BASE_X2APIC),
	         0);
}

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
		case_begin(row->name);
		struct vlapic *v = one();
		vlapic_mmio_write(v, VLAPIC_TPR, 4, row->tpr);
		if (row->isr >= 0) {
			vlapic_set_irr(v, (uint8_t)row->isr, false);
			vlapic_acknowledge(v, (uint8_t)row->isr);
		}
		CHECK_EQ(vlapic_ppr(v), row->ppr);
		CHECK_EQ(mmio(v, VLAPIC_PPR), row->ppr);
		case_end();
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
		case_begin(row->name);
		struct vlapic *v = one();
		for (int k = 0; row->isr[k]; k++) {
			vlapic_set_irr(v, row->isr[k], false);
			vlapic_acknowledge(v, row->isr[k]);
		}
		vlapic_set_tpr(v, row->tpr);
		for (int k = 0; row->irr[k]; k++)
			CHECK(vlapic_set_irr(v, row->irr[k], false));
		CHECK_EQ(vlapic_pending_vector(v), row->pending);
		case_end();
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
		case_begin(row->name);
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
		case_end();
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
		case_begin(row->name);
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
		case_end();
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
		case_begin(row->name);
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
		case_end();
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
		case_begin(row->name);
		fixture(NULL);
		struct vlapic *v = &vlapics[1]; /* an AP: BSP bit clear */
		if (row->from == BASE_X2APIC)
			enable_x2apic(v);
		else if (row->from == BASE_DISABLED)
			CHECK_EQ(vlapic_set_base(v, BASE), 0);
		CHECK_EQ(vlapic_msr_write(v, VLAPIC_MSR_APIC_BASE, row->write), row->result);
		CHECK_EQ(base_state(v), row->to);
		CHECK(!(v->apic_base & VLAPIC_BASE_BSP));
		case_end();
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
	test_ppr_table();
	test_pending_table();
	TEST_RUN(test_nested_interrupts_and_eoi_order);
	TEST_RUN(test_tmr_eoi_broadcast);
	TEST_RUN(test_illegal_vectors_and_esr);
	test_icr_decode_table();
	test_route_table();
	TEST_RUN(test_posted_delivery);
	TEST_RUN(test_init_sipi_sequence);
	TEST_RUN(test_timer_one_shot);
	TEST_RUN(test_timer_periodic);
	TEST_RUN(test_timer_tsc_deadline);
	test_x2apic_msr_table();
	TEST_RUN(test_x2apic_registers);
	test_apic_base_table();
	TEST_RUN(test_disable_resets);
	TEST_RUN(test_mmio_registers);
	TEST_RUN(test_ipi_counters);
	return test_summary("test_vlapic");
}
