/*
 * vmx/vlapic.c - the virtual local APIC and the interrupt-message router
 * (see vlapic.h for the interface and docs/devices.md for how the vCPU
 * code drives it).
 *
 * Register file: explicit fields, presented at their xAPIC offsets; an
 * x2APIC MSR is the same register at offset (msr - 0x800) * 16, with the
 * x2APIC differences (32-bit ID, read-only LDR, 64-bit ICR, no DFR/APR/
 * ICR_HIGH, SELF_IPI, #GP instead of silent ignore) applied by one switch.
 * Priorities follow the SDM: the class of a vector is vector >> 4; PPR is
 * TPR when TPR's class is at least that of the highest in-service vector,
 * else that vector's class; an IRR vector is deliverable when its class is
 * above PPR's class.
 *
 * Lock order: none taken. Owner functions are serialized by the vCPU's
 * owner; the posted area is touched with atomics only; the addressing
 * fields that vlapic_route() reads from other pCPUs are stored with
 * relaxed atomic stores.
 */
#include "vmx/vlapic.h"

#include "kernel/string.h"
#include "vmx/vlapic_timer.h"

#define VLAPIC_POSTED_INTERRUPT 1u
#define VLAPIC_POSTED_NMI       2u
#define VLAPIC_POSTED_INIT      4u
#define VLAPIC_POSTED_STARTUP   8u

#define VLAPIC_LVT_ERROR_INDEX  5
#define VLAPIC_ICR_LOW_WRITABLE 0x000ccfffu /* vector..dest mode, level, trigger, shorthand */
#define VLAPIC_SVR_WRITABLE     0x3ffu      /* vector, enable, focus check */
/* NMIs that can be pending: one being delivered and one latched behind
 * it (SDM Vol. 3A, 6.7.1); more merge, as on hardware. */
#define VLAPIC_NMI_PENDING_MAX 2u

/* Writable bits of each LVT entry (delivery status, remote IRR read-only). */
static const uint32_t vlapic_lvt_writable[VLAPIC_LVT_COUNT] = {
    0x000700ff, /* timer: vector, mask, mode */
    0x000107ff, /* thermal: vector, delivery mode, mask */
    0x000107ff, /* performance */
    0x0001a7ff, /* LINT0: + polarity, trigger */
    0x0001a7ff, /* LINT1 */
    0x000100ff, /* error: vector, mask */
};

enum vlapic_access {
	VLAPIC_ACCESS_OK,
	VLAPIC_ACCESS_RESERVED,   /* no such register in this mode */
	VLAPIC_ACCESS_READ_ONLY,  /* write to a read-only register */
	VLAPIC_ACCESS_WRITE_ONLY, /* read of a write-only register */
	VLAPIC_ACCESS_INVALID,    /* x2APIC: reserved bits set */
};

/* Fields vlapic_route() reads from other pCPUs: relaxed atomic accesses. */
static uint32_t vlapic_load32(const uint32_t *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static void vlapic_store32(uint32_t *field, uint32_t value)
{
	__atomic_store_n(field, value, __ATOMIC_RELAXED);
}

static int vlapic_highest_bit(const uint32_t bits[8])
{
	for (int word = 7; word >= 0; word--)
		if (bits[word])
			return word * 32 + 31 - __builtin_clz(bits[word]);
	return -1;
}

/* IRR/ISR/TMR: eight 32-bit words, vector v is bit v % 32 of word v / 32. */
static bool vlapic_test_bit(const uint32_t bits[8], uint8_t vector)
{
	return bits[vector >> 5] & (1u << (vector & 31));
}

static void vlapic_clear_bit(uint32_t bits[8], uint8_t vector)
{
	bits[vector >> 5] &= ~(1u << (vector & 31));
}

static void vlapic_set_bit(uint32_t bits[8], uint8_t vector)
{
	bits[vector >> 5] |= 1u << (vector & 31);
}

bool vlapic_hardware_enabled(const struct vlapic *vlapic)
{
	return __atomic_load_n(&vlapic->apic_base, __ATOMIC_RELAXED) & VLAPIC_BASE_ENABLE;
}

bool vlapic_x2apic_mode(const struct vlapic *vlapic)
{
	return __atomic_load_n(&vlapic->apic_base, __ATOMIC_RELAXED) & VLAPIC_BASE_X2APIC;
}

uint32_t vlapic_id(const struct vlapic *vlapic)
{
	return vlapic_x2apic_mode(vlapic) ? vlapic->initial_id : vlapic_load32(&vlapic->xapic_id);
}

static uint32_t vlapic_x2apic_ldr(uint32_t id)
{
	return (id >> 4) << 16 | 1u << (id & 15);
}

/* ---- reset, enable --------------------------------------------------------- */

/* Power-up register state, except the APIC ID and the APIC base MSR. */
static void vlapic_reset_registers(struct vlapic *vlapic)
{
	vlapic_store32(&vlapic->ldr, 0);
	vlapic_store32(&vlapic->dfr, 0xffffffffu);
	vlapic_store32(&vlapic->tpr, 0);
	vlapic->svr = 0xff;
	memset(vlapic->irr, 0, sizeof(vlapic->irr));
	memset(vlapic->isr, 0, sizeof(vlapic->isr));
	memset(vlapic->tmr, 0, sizeof(vlapic->tmr));
	vlapic->esr = 0;
	vlapic->esr_pending = 0;
	vlapic->icr_low = 0;
	vlapic->icr_high = 0;
	for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
		vlapic->lvt[i] = VLAPIC_LVT_MASKED;
	vlapic->timer_divide = 0;
	vlapic_timer_stop(vlapic);
	vlapic->nmi_pending = 0;
}

void vlapic_init(struct vlapic *vlapic, uint32_t apic_id, const struct vlapic_ops *ops,
                 void *context)
{
	memset(vlapic, 0, sizeof(*vlapic));
	vlapic->ops = ops;
	vlapic->context = context;
	vlapic->initial_id = apic_id;
	vlapic->xapic_id = apic_id & 0xff;
	vlapic->apic_base =
	    VLAPIC_DEFAULT_BASE | VLAPIC_BASE_ENABLE | (apic_id == 0 ? VLAPIC_BASE_BSP : 0);
	vlapic->tsc_per_tick = 1;
	vlapic_reset_registers(vlapic);
	vlapic->run_state = apic_id == 0 ? VLAPIC_RUN_ACTIVE : VLAPIC_RUN_WAIT_FOR_SIPI;
}

int vlapic_set_base(struct vlapic *vlapic, uint64_t value)
{
	uint64_t old = vlapic->apic_base;
	uint64_t flags = VLAPIC_BASE_BSP | VLAPIC_BASE_X2APIC | VLAPIC_BASE_ENABLE;
	if (value & ~(flags | VLAPIC_BASE_ADDRESS_MASK))
		return VLAPIC_FAULT; /* reserved bits */
	uint64_t address = value & VLAPIC_BASE_ADDRESS_MASK;
	bool old_enabled = old & VLAPIC_BASE_ENABLE, old_x2apic = old & VLAPIC_BASE_X2APIC;
	bool enabled = value & VLAPIC_BASE_ENABLE, x2apic = value & VLAPIC_BASE_X2APIC;
	if ((x2apic && !enabled) ||               /* invalid state */
	    (old_x2apic && enabled && !x2apic) || /* x2APIC -> xAPIC */
	    (!old_enabled && x2apic))             /* disabled -> x2APIC */
		return VLAPIC_FAULT;
	uint64_t base = address | (old & VLAPIC_BASE_BSP) | (enabled ? VLAPIC_BASE_ENABLE : 0) |
	                (x2apic ? VLAPIC_BASE_X2APIC : 0);
	__atomic_store_n(&vlapic->apic_base, base, __ATOMIC_RELAXED);
	if (old_enabled && !enabled) {
		vlapic_reset_registers(vlapic);
		vlapic_store32(&vlapic->xapic_id, vlapic->initial_id & 0xff);
	}
	if (!old_x2apic && x2apic)
		vlapic->icr_high = 0;
	return 0;
}

/* ---- priorities, acceptance, EOI ---------------------------------------- */

void vlapic_set_tpr(struct vlapic *vlapic, uint8_t tpr)
{
	vlapic_store32(&vlapic->tpr, tpr);
}

uint8_t vlapic_tpr(const struct vlapic *vlapic)
{
	return (uint8_t)vlapic->tpr;
}

uint8_t vlapic_ppr(const struct vlapic *vlapic)
{
	int isrv = vlapic_highest_bit(vlapic->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	uint32_t tpr = vlapic->tpr & 0xff;
	return (uint8_t)((tpr & 0xf0) >= isr_class ? tpr : isr_class);
}

static void vlapic_error(struct vlapic *vlapic, uint32_t bit)
{
	vlapic->esr_pending |= bit;
	vlapic->counters.errors++;
	uint32_t lvt = vlapic->lvt[VLAPIC_LVT_ERROR_INDEX];
	if (!(lvt & VLAPIC_LVT_MASKED) && (lvt & 0xff) >= 16)
		vlapic_set_irr(vlapic, (uint8_t)lvt, false);
}

bool vlapic_set_irr(struct vlapic *vlapic, uint8_t vector, bool level_triggered)
{
	if (!vlapic_hardware_enabled(vlapic) || !(vlapic->svr & VLAPIC_SVR_ENABLE)) {
		vlapic->counters.interrupts_dropped++;
		return false;
	}
	if (vector < 16) {
		vlapic->counters.interrupts_dropped++;
		vlapic_error(vlapic, VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
		return false;
	}
	if (level_triggered)
		vlapic_set_bit(vlapic->tmr, vector);
	else
		vlapic_clear_bit(vlapic->tmr, vector);
	if (vlapic_test_bit(vlapic->irr, vector)) {
		vlapic->counters.interrupts_coalesced++;
		return false;
	}
	vlapic_set_bit(vlapic->irr, vector);
	vlapic->counters.interrupts_accepted++;
	return true;
}

static void vlapic_drain(struct vlapic *vlapic);

int vlapic_pending_vector(struct vlapic *vlapic)
{
	vlapic_drain(vlapic);
	if (!vlapic_hardware_enabled(vlapic))
		return -1;
	int irrv = vlapic_highest_bit(vlapic->irr);
	if (irrv < 0 || ((uint32_t)irrv & 0xf0) <= (vlapic_ppr(vlapic) & 0xf0u))
		return -1;
	return irrv;
}

void vlapic_acknowledge(struct vlapic *vlapic, uint8_t vector)
{
	vlapic_clear_bit(vlapic->irr, vector);
	vlapic_set_bit(vlapic->isr, vector);
	vlapic->counters.interrupts_injected++;
}

void vlapic_eoi(struct vlapic *vlapic)
{
	vlapic->counters.eois++;
	int isrv = vlapic_highest_bit(vlapic->isr);
	if (isrv < 0)
		return;
	uint8_t vector = (uint8_t)isrv;
	vlapic_clear_bit(vlapic->isr, vector);
	if (vlapic_test_bit(vlapic->tmr, vector)) {
		vlapic->counters.eoi_broadcasts++;
		if (vlapic->ops->eoi_broadcast)
			vlapic->ops->eoi_broadcast(vlapic->context, vector);
	}
}

bool vlapic_nmi_pending(struct vlapic *vlapic)
{
	vlapic_drain(vlapic);
	return vlapic->nmi_pending != 0;
}

void vlapic_nmi_acknowledge(struct vlapic *vlapic)
{
	if (vlapic->nmi_pending)
		vlapic->nmi_pending--;
}

void vlapic_nmi_limit(struct vlapic *vlapic, uint32_t limit)
{
	vlapic_drain(vlapic);
	if (vlapic->nmi_pending > limit)
		vlapic->nmi_pending = limit;
}

/* ---- posted messages ---------------------------------------------------- */

bool vlapic_deliver(struct vlapic *vlapic, const struct vlapic_ipi *ipi)
{
	struct vlapic_posted *posted = &vlapic->posted;
	uint32_t flag;
	switch (ipi->delivery_mode) {
	case VLAPIC_DELIVERY_FIXED:
	case VLAPIC_DELIVERY_LOWEST_PRIORITY: {
		if (ipi->level_triggered && !ipi->level)
			return false; /* a de-assert message carries no interrupt */
		uint32_t word = ipi->vector >> 5, bit = 1u << (ipi->vector & 31);
		if (ipi->level_triggered)
			__atomic_fetch_or(&posted->tmr[word], bit, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&posted->tmr[word], ~bit, __ATOMIC_RELAXED);
		__atomic_fetch_or(&posted->irr[word], bit, __ATOMIC_RELEASE);
		flag = VLAPIC_POSTED_INTERRUPT;
		break;
	}
	case VLAPIC_DELIVERY_NMI:
		__atomic_fetch_add(&posted->nmis, 1, __ATOMIC_RELAXED);
		flag = VLAPIC_POSTED_NMI;
		break;
	case VLAPIC_DELIVERY_INIT:
		if (ipi->level_triggered && !ipi->level)
			return false; /* INIT level de-assert: no effect on the target */
		flag = VLAPIC_POSTED_INIT;
		break;
	case VLAPIC_DELIVERY_STARTUP:
		__atomic_store_n(&posted->startup_vector, ipi->vector, __ATOMIC_RELAXED);
		flag = VLAPIC_POSTED_STARTUP;
		break;
	default:
		return false; /* SMI, ExtINT: not emulated */
	}
	__atomic_fetch_or(&posted->flags, flag, __ATOMIC_RELEASE);
	__atomic_fetch_add(&vlapic->counters.messages_received, 1, __ATOMIC_RELAXED);
	return true;
}

bool vlapic_posted(const struct vlapic *vlapic)
{
	return __atomic_load_n(&vlapic->posted.flags, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Take posted messages into the register file, INIT first (it resets the
 * registers), then fixed interrupts, NMI and SIPI. An IRR bit is posted
 * before its flag, and the flags are exchanged before the IRR words, so a
 * message is never lost: at worst it is found one drain early.
 */
static void vlapic_drain(struct vlapic *vlapic)
{
	struct vlapic_posted *posted = &vlapic->posted;
	if (!__atomic_load_n(&posted->flags, __ATOMIC_ACQUIRE))
		return;
	uint32_t flags = __atomic_exchange_n(&posted->flags, 0, __ATOMIC_ACQUIRE);
	if (flags & VLAPIC_POSTED_INIT) {
		vlapic_reset_registers(vlapic);
		vlapic->run_state = VLAPIC_RUN_WAIT_FOR_SIPI;
		vlapic->events |= VLAPIC_EVENT_INIT;
		vlapic->counters.inits++;
	}
	for (int word = 0; word < 8; word++) {
		uint32_t bits = __atomic_exchange_n(&posted->irr[word], 0, __ATOMIC_ACQUIRE);
		if (!bits)
			continue;
		uint32_t level = __atomic_load_n(&posted->tmr[word], __ATOMIC_RELAXED);
		for (; bits; bits &= bits - 1) {
			uint32_t bit = (uint32_t)__builtin_ctz(bits);
			vlapic_set_irr(vlapic, (uint8_t)(word * 32 + bit), (level >> bit) & 1);
		}
	}
	uint32_t nmis = (flags & VLAPIC_POSTED_NMI)
	                    ? __atomic_exchange_n(&posted->nmis, 0, __ATOMIC_RELAXED)
	                    : 0;
	if (nmis && vlapic->run_state == VLAPIC_RUN_ACTIVE) {
		vlapic->nmi_pending += nmis;
		if (vlapic->nmi_pending > VLAPIC_NMI_PENDING_MAX)
			vlapic->nmi_pending = VLAPIC_NMI_PENDING_MAX;
		vlapic->counters.nmis += nmis;
	}
	if (flags & VLAPIC_POSTED_STARTUP) {
		uint32_t vector = __atomic_load_n(&posted->startup_vector, __ATOMIC_RELAXED);
		if (vlapic->run_state == VLAPIC_RUN_WAIT_FOR_SIPI) {
			vlapic->run_state = VLAPIC_RUN_ACTIVE;
			vlapic->startup_vector = (uint8_t)vector;
			vlapic->events |= VLAPIC_EVENT_STARTUP;
			vlapic->counters.startups++;
		} else {
			vlapic->counters.startups_ignored++;
		}
	}
}

unsigned vlapic_poll(struct vlapic *vlapic)
{
	vlapic_drain(vlapic);
	unsigned events = vlapic->events;
	vlapic->events = 0;
	return events;
}

/* ---- ICR ---------------------------------------------------------------- */

void vlapic_icr_decode(uint64_t icr, bool x2apic, struct vlapic_ipi *ipi)
{
	ipi->vector = (uint8_t)icr;
	ipi->delivery_mode = (enum vlapic_delivery_mode)((icr >> 8) & 7);
	ipi->logical = icr & (1u << 11);
	ipi->level = icr & (1u << 14);
	ipi->level_triggered = icr & (1u << 15);
	ipi->shorthand = (enum vlapic_shorthand)((icr >> 18) & 3);
	ipi->x2apic = x2apic;
	ipi->destination = x2apic ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56);
}

static void vlapic_send(struct vlapic *vlapic, bool x2apic)
{
	struct vlapic_ipi ipi;
	vlapic_icr_decode((uint64_t)vlapic->icr_high << 32 | vlapic->icr_low, x2apic, &ipi);
	vlapic->counters.ipis_sent[ipi.delivery_mode]++;
	switch (ipi.delivery_mode) {
	case VLAPIC_DELIVERY_FIXED:
	case VLAPIC_DELIVERY_LOWEST_PRIORITY:
		if (ipi.vector < 16) {
			vlapic_error(vlapic, VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
			return;
		}
		break;
	case VLAPIC_DELIVERY_NMI:
	case VLAPIC_DELIVERY_INIT:
	case VLAPIC_DELIVERY_STARTUP:
		break;
	default:
		return; /* SMI, reserved, ExtINT: not sent */
	}
	vlapic->ops->send_ipi(vlapic->context, &ipi);
}

/* ---- registers ---------------------------------------------------------- */

static void vlapic_write_svr(struct vlapic *vlapic, uint32_t value)
{
	vlapic->svr = value & VLAPIC_SVR_WRITABLE;
	if (!(vlapic->svr & VLAPIC_SVR_ENABLE))
		for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
			vlapic->lvt[i] |= VLAPIC_LVT_MASKED;
}

static void vlapic_write_lvt(struct vlapic *vlapic, int index, uint32_t value)
{
	value &= vlapic_lvt_writable[index];
	if (!(vlapic->svr & VLAPIC_SVR_ENABLE))
		value |= VLAPIC_LVT_MASKED; /* software-disabled: stays masked */
	uint32_t old = vlapic->lvt[index];
	vlapic->lvt[index] = value;
	/* Only a switch to or from TSC-deadline mode disarms the timer (SDM
	 * Vol. 3A, 10.5.4.1); one-shot <-> periodic keeps TMICT counting. */
	if (index == VLAPIC_LVT_TIMER_INDEX) {
		uint32_t mode_bits = VLAPIC_LVT_TIMER_MODE_MASK << VLAPIC_LVT_TIMER_MODE_SHIFT;
		uint32_t deadline_bits = (uint32_t)VLAPIC_TIMER_TSC_DEADLINE
		                         << VLAPIC_LVT_TIMER_MODE_SHIFT;
		if (((old ^ value) & mode_bits) &&
		    ((old & mode_bits) == deadline_bits || (value & mode_bits) == deadline_bits))
			vlapic_timer_stop(vlapic);
	}
}

static enum vlapic_access vlapic_register_read(struct vlapic *vlapic, uint32_t offset, bool x2apic,
                                               uint64_t *value)
{
	*value = 0;
	if (offset >= VLAPIC_ISR && offset < VLAPIC_ESR) {
		uint32_t index = (offset - VLAPIC_ISR) >> 4;
		if (offset >= VLAPIC_IRR)
			vlapic_drain(vlapic);
		const uint32_t *bits = offset < VLAPIC_TMR   ? vlapic->isr
		                       : offset < VLAPIC_IRR ? vlapic->tmr
		                                             : vlapic->irr;
		*value = bits[index & 7];
		return VLAPIC_ACCESS_OK;
	}
	if (offset >= VLAPIC_LVT_TIMER && offset <= VLAPIC_LVT_ERROR) {
		*value = vlapic->lvt[(offset - VLAPIC_LVT_TIMER) >> 4];
		return VLAPIC_ACCESS_OK;
	}
	switch (offset) {
	case VLAPIC_ID:
		*value = x2apic ? vlapic->initial_id : vlapic->xapic_id << 24;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_VERSION_REGISTER:
		*value = VLAPIC_VERSION;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_TPR:
		*value = vlapic->tpr;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_APR: /* arbitration priority: not modelled, reads 0 */
	case VLAPIC_RRD:
		return x2apic ? VLAPIC_ACCESS_RESERVED : VLAPIC_ACCESS_OK;
	case VLAPIC_PPR:
		*value = vlapic_ppr(vlapic);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_EOI:
		return x2apic ? VLAPIC_ACCESS_WRITE_ONLY : VLAPIC_ACCESS_OK;
	case VLAPIC_LDR:
		*value = x2apic ? vlapic_x2apic_ldr(vlapic->initial_id) : vlapic->ldr;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_DFR:
		*value = vlapic->dfr;
		return x2apic ? VLAPIC_ACCESS_RESERVED : VLAPIC_ACCESS_OK;
	case VLAPIC_SVR:
		*value = vlapic->svr;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_ESR:
		*value = vlapic->esr;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_ICR_LOW:
		*value =
		    x2apic ? (uint64_t)vlapic->icr_high << 32 | vlapic->icr_low : vlapic->icr_low;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_ICR_HIGH:
		*value = x2apic ? 0 : vlapic->icr_high;
		return x2apic ? VLAPIC_ACCESS_RESERVED : VLAPIC_ACCESS_OK;
	case VLAPIC_TIMER_INITIAL:
		*value = vlapic->timer_initial;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_TIMER_CURRENT:
		*value = vlapic_timer_current(vlapic);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_TIMER_DIVIDE:
		*value = vlapic->timer_divide;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_SELF_IPI:
		return x2apic ? VLAPIC_ACCESS_WRITE_ONLY : VLAPIC_ACCESS_RESERVED;
	default:
		return VLAPIC_ACCESS_RESERVED;
	}
}

static enum vlapic_access vlapic_register_write(struct vlapic *vlapic, uint32_t offset, bool x2apic,
                                                uint64_t value)
{
	if (x2apic && offset != VLAPIC_ICR_LOW && (value >> 32))
		return VLAPIC_ACCESS_INVALID;
	uint32_t low = (uint32_t)value;
	if (offset >= VLAPIC_ISR && offset < VLAPIC_ESR)
		return VLAPIC_ACCESS_READ_ONLY;
	if (offset >= VLAPIC_LVT_TIMER && offset <= VLAPIC_LVT_ERROR) {
		vlapic_write_lvt(vlapic, (int)((offset - VLAPIC_LVT_TIMER) >> 4), low);
		return VLAPIC_ACCESS_OK;
	}
	switch (offset) {
	case VLAPIC_ID:
		if (x2apic)
			return VLAPIC_ACCESS_READ_ONLY;
		vlapic_store32(&vlapic->xapic_id, low >> 24);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_VERSION_REGISTER:
	case VLAPIC_PPR:
	case VLAPIC_TIMER_CURRENT:
		return VLAPIC_ACCESS_READ_ONLY;
	case VLAPIC_APR:
	case VLAPIC_RRD:
		return x2apic ? VLAPIC_ACCESS_RESERVED : VLAPIC_ACCESS_READ_ONLY;
	case VLAPIC_TPR:
		if (x2apic && (low & ~0xffu))
			return VLAPIC_ACCESS_INVALID;
		vlapic_set_tpr(vlapic, (uint8_t)low);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_EOI:
		if (x2apic && low)
			return VLAPIC_ACCESS_INVALID;
		vlapic_eoi(vlapic);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_LDR:
		if (x2apic)
			return VLAPIC_ACCESS_READ_ONLY;
		vlapic_store32(&vlapic->ldr, low & 0xff000000u);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_DFR:
		if (x2apic)
			return VLAPIC_ACCESS_RESERVED;
		vlapic_store32(&vlapic->dfr, low | 0x0fffffffu);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_SVR:
		if (x2apic && (low & ~VLAPIC_SVR_WRITABLE))
			return VLAPIC_ACCESS_INVALID;
		vlapic_write_svr(vlapic, low);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_ESR:
		if (x2apic && low)
			return VLAPIC_ACCESS_INVALID;
		vlapic->esr = vlapic->esr_pending; /* a write latches the errors seen */
		vlapic->esr_pending = 0;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_ICR_LOW:
		vlapic->icr_low = low & VLAPIC_ICR_LOW_WRITABLE;
		if (x2apic)
			vlapic->icr_high = (uint32_t)(value >> 32);
		vlapic_send(vlapic, x2apic);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_ICR_HIGH:
		if (x2apic)
			return VLAPIC_ACCESS_RESERVED;
		vlapic->icr_high = low & 0xff000000u;
		return VLAPIC_ACCESS_OK;
	case VLAPIC_TIMER_INITIAL:
		vlapic_timer_write_initial(vlapic, low);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_TIMER_DIVIDE:
		vlapic_timer_write_divide(vlapic, low);
		return VLAPIC_ACCESS_OK;
	case VLAPIC_SELF_IPI:
		if (!x2apic)
			return VLAPIC_ACCESS_RESERVED;
		if (low & ~0xffu)
			return VLAPIC_ACCESS_INVALID;
		vlapic->counters.ipis_sent[VLAPIC_DELIVERY_FIXED]++;
		vlapic->counters.self_ipis++;
		vlapic_set_irr(vlapic, (uint8_t)low, false);
		return VLAPIC_ACCESS_OK;
	default:
		return VLAPIC_ACCESS_RESERVED;
	}
}

bool vlapic_mmio_decoded(const struct vlapic *vlapic)
{
	return vlapic_hardware_enabled(vlapic) && !vlapic_x2apic_mode(vlapic);
}

static bool vlapic_mmio_usable(struct vlapic *vlapic, uint32_t offset, unsigned size)
{
	if (vlapic_mmio_decoded(vlapic) && size == 4 && !(offset & 15) && offset < VLAPIC_PAGE_SIZE)
		return true;
	vlapic->counters.bad_accesses++;
	return false;
}

void vlapic_mmio_read(struct vlapic *vlapic, uint32_t offset, unsigned size, uint32_t *value)
{
	/* Not decoded (globally disabled, or x2APIC mode): the page is not
	 * the APIC's, it reads all ones. A bad access to a decoded page reads 0. */
	*value = vlapic_mmio_decoded(vlapic) ? 0 : VLAPIC_UNDECODED;
	if (!vlapic_mmio_usable(vlapic, offset, size))
		return;
	uint64_t wide;
	enum vlapic_access access = vlapic_register_read(vlapic, offset, false, &wide);
	if (access == VLAPIC_ACCESS_RESERVED)
		vlapic_error(vlapic, VLAPIC_ESR_ILLEGAL_REGISTER);
	*value = (uint32_t)wide;
}

void vlapic_mmio_write(struct vlapic *vlapic, uint32_t offset, unsigned size, uint32_t value)
{
	if (!vlapic_mmio_usable(vlapic, offset, size))
		return;
	if (vlapic_register_write(vlapic, offset, false, value) == VLAPIC_ACCESS_RESERVED)
		vlapic_error(vlapic, VLAPIC_ESR_ILLEGAL_REGISTER);
}

bool vlapic_msr_handled(uint32_t msr)
{
	return msr == VLAPIC_MSR_APIC_BASE || msr == VLAPIC_MSR_TSC_DEADLINE ||
	       (msr >= VLAPIC_MSR_X2APIC_FIRST && msr <= VLAPIC_MSR_X2APIC_LAST);
}

int vlapic_msr_read(struct vlapic *vlapic, uint32_t msr, uint64_t *value)
{
	*value = 0;
	if (msr == VLAPIC_MSR_APIC_BASE) {
		*value = vlapic->apic_base;
		return 0;
	}
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (vlapic_timer_mode(vlapic) == VLAPIC_TIMER_TSC_DEADLINE)
			*value = vlapic->tsc_deadline;
		return 0;
	}
	if (!vlapic_msr_handled(msr) || !vlapic_x2apic_mode(vlapic) ||
	    vlapic_register_read(vlapic, (msr - VLAPIC_MSR_X2APIC_FIRST) << 4, true, value) !=
	        VLAPIC_ACCESS_OK) {
		*value = 0;
		vlapic->counters.bad_accesses++;
		return VLAPIC_FAULT;
	}
	return 0;
}

int vlapic_msr_write(struct vlapic *vlapic, uint32_t msr, uint64_t value)
{
	if (msr == VLAPIC_MSR_APIC_BASE) {
		if (vlapic_set_base(vlapic, value) == 0)
			return 0;
	} else if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		vlapic_timer_write_tsc_deadline(vlapic, value);
		return 0;
	} else if (vlapic_msr_handled(msr) && vlapic_x2apic_mode(vlapic) &&
	           vlapic_register_write(vlapic, (msr - VLAPIC_MSR_X2APIC_FIRST) << 4, true,
	                                 value) == VLAPIC_ACCESS_OK) {
		return 0;
	}
	vlapic->counters.bad_accesses++;
	return VLAPIC_FAULT;
}

/* ---- routing ------------------------------------------------------------- */

bool vlapic_match_destination(const struct vlapic *vlapic, const struct vlapic_ipi *ipi)
{
	if (!vlapic_hardware_enabled(vlapic))
		return false;
	uint32_t destination = ipi->x2apic ? ipi->destination : ipi->destination & 0xff;
	if (destination == (ipi->x2apic ? 0xffffffffu : 0xffu))
		return true; /* broadcast, physical or logical */
	bool x2apic = vlapic_x2apic_mode(vlapic);
	if (!ipi->logical)
		return destination == vlapic_id(vlapic);
	if (x2apic) {
		/* x2APIC logical: cluster in bits 31:16, one bit per member in 15:0. */
		if (!ipi->x2apic)
			return false; /* 8-bit logical destinations do not reach x2APIC mode */
		uint32_t ldr = vlapic_x2apic_ldr(vlapic->initial_id);
		return (destination >> 16) == (ldr >> 16) && (destination & ldr & 0xffff);
	}
	uint32_t ldr = vlapic_load32(&vlapic->ldr) >> 24;
	uint32_t model = vlapic_load32(&vlapic->dfr) >> 28;
	destination &= 0xff;
	if (model == 0xf)
		return destination & ldr; /* flat */
	if (model == 0x0)                 /* cluster: 4-bit cluster, 4 member bits */
		return (destination >> 4) == (ldr >> 4) && (destination & ldr & 0xf);
	return false;
}

unsigned vlapic_route(struct vlapic *const *vlapics, unsigned count, const struct vlapic_ipi *ipi,
                      unsigned sender, vlapic_deliver_function deliver, void *context)
{
	bool lowest = ipi->delivery_mode == VLAPIC_DELIVERY_LOWEST_PRIORITY;
	unsigned chosen = VLAPIC_NO_SENDER, targets = 0;
	uint32_t chosen_priority = 0;
	for (unsigned i = 0; i < count; i++) {
		const struct vlapic *vlapic = vlapics[i];
		if (!vlapic || !vlapic_hardware_enabled(vlapic))
			continue;
		bool match;
		switch (ipi->shorthand) {
		case VLAPIC_SHORTHAND_SELF:
			match = i == sender;
			break;
		case VLAPIC_SHORTHAND_ALL:
			match = true;
			break;
		case VLAPIC_SHORTHAND_ALL_BUT_SELF:
			match = i != sender;
			break;
		default:
			match = vlapic_match_destination(vlapic, ipi);
			break;
		}
		if (!match)
			continue;
		if (lowest) {
			uint32_t priority = vlapic_load32(&vlapic->tpr) & 0xf0;
			if (chosen == VLAPIC_NO_SENDER || priority < chosen_priority) {
				chosen = i;
				chosen_priority = priority;
			}
			continue;
		}
		deliver(context, i, ipi);
		targets++;
	}
	if (lowest && chosen != VLAPIC_NO_SENDER) {
		deliver(context, chosen, ipi);
		targets = 1;
	}
	return targets;
}
