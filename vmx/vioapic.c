/*
 * vmx/vioapic.c - the virtual IOAPIC (see vioapic.h).
 *
 * Pin semantics:
 *  - edge: a 0 -> 1 transition of an unmasked pin sends one message; an
 *    edge on a masked pin is lost (counted), as on the 82093AA.
 *  - level: while the line is asserted, the pin is unmasked and remote IRR
 *    is clear, one message is sent and remote IRR set (when some vLAPIC
 *    accepted it). The vLAPIC's EOI of a level-triggered vector comes back
 *    as vioapic_eoi(): remote IRR is cleared and, if the line is still
 *    asserted, the message is sent again. Unmasking an asserted level pin
 *    sends it; rewriting an entry as edge-triggered clears remote IRR (the
 *    way Linux recovers a stuck remote IRR on IOAPICs without EOI register).
 *
 * Lock order: none taken; the caller holds the per-VM vIOAPIC lock.
 */
#include "vmx/vioapic.h"

#include "kernel/string.h"

/* Bits the guest may write in an entry (delivery status, remote IRR read-only). */
#define VIOAPIC_ENTRY_WRITABLE (0xff00000000000000ull | 0x1afffull)

void vioapic_init(struct vioapic *vioapic, uint8_t id, uint8_t version,
                  struct vlapic *const *vlapics, unsigned count, vlapic_deliver_function deliver,
                  void *context)
{
	memset(vioapic, 0, sizeof(*vioapic));
	vioapic->id = id & 0xf;
	vioapic->version = version;
	vioapic->vlapics = vlapics;
	vioapic->vlapic_count = count;
	vioapic->deliver = deliver;
	vioapic->context = context;
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		vioapic->redirection[pin] = VIOAPIC_ENTRY_MASKED;
}

void vioapic_entry_message(uint64_t entry, struct vlapic_ipi *ipi)
{
	ipi->vector = (uint8_t)entry;
	ipi->delivery_mode = (enum vlapic_delivery_mode)((entry >> 8) & 7);
	ipi->logical = entry & (1u << 11);
	ipi->destination = (uint32_t)(entry >> 56);
	ipi->x2apic = false;
	ipi->shorthand = VLAPIC_SHORTHAND_NONE;
	ipi->level = true;
	ipi->level_triggered = entry & VIOAPIC_ENTRY_LEVEL;
}

/* Send the pin's message if its state calls for one. */
static void vioapic_service(struct vioapic *vioapic, unsigned pin)
{
	uint64_t *entry = &vioapic->redirection[pin];
	bool level = *entry & VIOAPIC_ENTRY_LEVEL;
	if (!(vioapic->asserted & (1u << pin)))
		return;
	if ((*entry & VIOAPIC_ENTRY_MASKED) || (level && (*entry & VIOAPIC_ENTRY_REMOTE_IRR))) {
		if (level)
			vioapic->counters.level_held++;
		return;
	}
	struct vlapic_ipi ipi;
	vioapic_entry_message(*entry, &ipi);
	switch (ipi.delivery_mode) {
	case VLAPIC_DELIVERY_FIXED:
	case VLAPIC_DELIVERY_LOWEST_PRIORITY:
	case VLAPIC_DELIVERY_NMI:
	case VLAPIC_DELIVERY_INIT:
		break;
	default:
		vioapic->counters.unsupported++;
		return;
	}
	unsigned targets = vlapic_route(vioapic->vlapics, vioapic->vlapic_count, &ipi,
	                                VLAPIC_NO_SENDER, vioapic->deliver, vioapic->context);
	if (!targets) {
		vioapic->counters.undeliverable++;
		return;
	}
	vioapic->counters.deliveries++;
	if (level && ipi.delivery_mode <= VLAPIC_DELIVERY_LOWEST_PRIORITY)
		*entry |= VIOAPIC_ENTRY_REMOTE_IRR;
}

void vioapic_set_irq(struct vioapic *vioapic, unsigned pin, bool level)
{
	if (pin >= VIOAPIC_PINS)
		return;
	uint32_t bit = 1u << pin;
	bool was = vioapic->asserted & bit;
	if (!level) {
		vioapic->asserted &= ~bit;
		return;
	}
	vioapic->asserted |= bit;
	uint64_t entry = vioapic->redirection[pin];
	if (entry & VIOAPIC_ENTRY_LEVEL) {
		vioapic_service(vioapic, pin);
	} else if (!was) {
		if (entry & VIOAPIC_ENTRY_MASKED)
			vioapic->counters.masked_edges++;
		else
			vioapic_service(vioapic, pin);
	}
}

void vioapic_pulse_irq(struct vioapic *vioapic, unsigned pin)
{
	vioapic_set_irq(vioapic, pin, true);
	vioapic_set_irq(vioapic, pin, false);
}

void vioapic_eoi(struct vioapic *vioapic, uint8_t vector)
{
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t *entry = &vioapic->redirection[pin];
		if ((uint8_t)*entry != vector || !(*entry & VIOAPIC_ENTRY_LEVEL) ||
		    !(*entry & VIOAPIC_ENTRY_REMOTE_IRR))
			continue;
		*entry &= ~VIOAPIC_ENTRY_REMOTE_IRR;
		vioapic->counters.eois++;
		vioapic_service(vioapic, pin);
	}
}

static uint32_t vioapic_register_read(const struct vioapic *vioapic, uint32_t index)
{
	switch (index) {
	case VIOAPIC_INDEX_ID:
	case VIOAPIC_INDEX_ARBITRATION:
		return (uint32_t)vioapic->id << 24;
	case VIOAPIC_INDEX_VERSION:
		return (uint32_t)(VIOAPIC_PINS - 1) << 16 | vioapic->version;
	default:
		break;
	}
	if (index < VIOAPIC_INDEX_REDIRECTION ||
	    index >= VIOAPIC_INDEX_REDIRECTION + 2 * VIOAPIC_PINS)
		return 0;
	uint64_t entry = vioapic->redirection[(index - VIOAPIC_INDEX_REDIRECTION) / 2];
	return (index & 1) ? (uint32_t)(entry >> 32) : (uint32_t)entry;
}

static void vioapic_register_write(struct vioapic *vioapic, uint32_t index, uint32_t value)
{
	if (index == VIOAPIC_INDEX_ID) {
		vioapic->id = (value >> 24) & 0xf;
		return;
	}
	if (index < VIOAPIC_INDEX_REDIRECTION ||
	    index >= VIOAPIC_INDEX_REDIRECTION + 2 * VIOAPIC_PINS)
		return; /* version, arbitration: read-only; others: nothing */
	unsigned pin = (index - VIOAPIC_INDEX_REDIRECTION) / 2;
	uint64_t *entry = &vioapic->redirection[pin];
	uint64_t old = *entry;
	uint64_t written = (index & 1) ? (old & 0xffffffffull) | (uint64_t)value << 32
	                               : (old & 0xffffffff00000000ull) | value;
	uint64_t status = VIOAPIC_ENTRY_DELIVERY_STATUS | VIOAPIC_ENTRY_REMOTE_IRR;
	*entry = (written & VIOAPIC_ENTRY_WRITABLE) | (old & status);
	if (!(*entry & VIOAPIC_ENTRY_LEVEL))
		*entry &= ~VIOAPIC_ENTRY_REMOTE_IRR;
	/* Unmasking an asserted level pin delivers it now. */
	if ((old & VIOAPIC_ENTRY_MASKED) && !(*entry & VIOAPIC_ENTRY_MASKED) &&
	    (*entry & VIOAPIC_ENTRY_LEVEL))
		vioapic_service(vioapic, pin);
}

static bool vioapic_mmio_usable(struct vioapic *vioapic, uint32_t offset, unsigned size)
{
	bool known = offset == VIOAPIC_REGISTER_SELECT || offset == VIOAPIC_WINDOW ||
	             (offset == VIOAPIC_EOI_REGISTER && vioapic->version >= VIOAPIC_VERSION_EOI);
	if (known && size == 4)
		return true;
	vioapic->counters.bad_accesses++;
	return false;
}

void vioapic_mmio_read(struct vioapic *vioapic, uint32_t offset, unsigned size, uint32_t *value)
{
	*value = 0;
	if (!vioapic_mmio_usable(vioapic, offset, size))
		return;
	if (offset == VIOAPIC_REGISTER_SELECT)
		*value = vioapic->select;
	else if (offset == VIOAPIC_WINDOW)
		*value = vioapic_register_read(vioapic, vioapic->select);
}

void vioapic_mmio_write(struct vioapic *vioapic, uint32_t offset, unsigned size, uint32_t value)
{
	if (!vioapic_mmio_usable(vioapic, offset, size))
		return;
	if (offset == VIOAPIC_REGISTER_SELECT)
		vioapic->select = value & 0xff;
	else if (offset == VIOAPIC_WINDOW)
		vioapic_register_write(vioapic, vioapic->select, value);
	else
		vioapic_eoi(vioapic, (uint8_t)value);
}
