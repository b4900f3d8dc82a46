/*
 * tests/host/vlapic_fixture.h - the fake environment the vLAPIC host tests
 * share (test_vlapic.c, test_vlapic_registers.c): four vLAPICs with a
 * settable TSC, a log of timer_arm calls, sent IPIs and EOI broadcasts.
 * Included once per test binary, after tests/host/test.h.
 *
 * Lock order: none (single-threaded).
 */
#ifndef TESTS_HOST_VLAPIC_FIXTURE_H
#define TESTS_HOST_VLAPIC_FIXTURE_H

#include "tests/host/test.h"
#include "vmx/vlapic.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define FIXTURE_VLAPICS 4

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

static inline uint64_t fake_now(void *context)
{
	return ((struct fake *)context)->now;
}

static inline void fake_timer_arm(void *context, uint64_t deadline)
{
	struct fake *f = context;
	f->armed = deadline;
	f->arm_calls++;
}

static inline void fake_deliver(void *context, unsigned index, const struct vlapic_ipi *ipi)
{
	(void)context;
	vlapic_deliver(&vlapics[index], ipi);
}

static inline void fake_send_ipi(void *context, const struct vlapic_ipi *ipi)
{
	struct fake *f = context;
	if (f->sent_count < (int)ARRAY_LENGTH(f->sent))
		f->sent[f->sent_count++] = *ipi;
	if (f->route)
		vlapic_route(vlapic_table, FIXTURE_VLAPICS, ipi, f->index, fake_deliver, NULL);
}

static inline void fake_eoi_broadcast(void *context, uint8_t vector)
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
static inline void fixture(const uint32_t ids[FIXTURE_VLAPICS])
{
	for (unsigned i = 0; i < FIXTURE_VLAPICS; i++) {
		memset(&fakes[i], 0, sizeof(fakes[i]));
		fakes[i].index = i;
		vlapic_init(&vlapics[i], ids ? ids[i] : i, &fake_ops, &fakes[i]);
		vlapic_mmio_write(&vlapics[i], VLAPIC_SVR, 4, 0x1ff);
	}
}

static inline struct vlapic *one(void)
{
	fixture(NULL);
	return &vlapics[0];
}

static inline uint32_t mmio(struct vlapic *v, uint32_t offset)
{
	uint32_t value;
	vlapic_mmio_read(v, offset, 4, &value);
	return value;
}

static inline void enable_x2apic(struct vlapic *v)
{
	CHECK_EQ(vlapic_set_base(v, VLAPIC_DEFAULT_BASE | VLAPIC_BASE_ENABLE | VLAPIC_BASE_X2APIC),
	         0);
}

#endif /* TESTS_HOST_VLAPIC_FIXTURE_H */
