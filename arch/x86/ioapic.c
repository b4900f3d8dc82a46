/*
 * arch/x86/ioapic.c - the host IOAPICs: ISA IRQ routing from the MADT,
 * redirection entries, masking (see ioapic.h).
 *
 * Lock order: ioapic_lock is a leaf (irqsave).
 */
#include "arch/x86/ioapic.h"

#include "kernel/lock.h"

#define IOAPIC_HALF_SHIFT 32

static struct {
	volatile uint32_t *base;
	uint32_t gsi_base, pins;
} ioapic_chips[ACPI_MAX_IOAPICS];
static uint32_t ioapic_count;
static const struct acpi_info *ioapic_madt;
static struct spinlock ioapic_lock = SPINLOCK_INIT;

int ioapic_isa_route(const struct acpi_info *acpi, uint8_t irq, bool pci,
                     struct ioapic_route *route)
{
	if (irq >= IOAPIC_ISA_IRQS)
		return -1;
	*route = (struct ioapic_route){irq, pci, pci, false};
	for (uint32_t i = 0; i < acpi->override_count; i++) {
		const struct acpi_override *o = &acpi->overrides[i];
		if (o->bus_irq != irq)
			continue;
		unsigned polarity = o->flags & IOAPIC_MPS_POLARITY_MASK;
		unsigned trigger = (o->flags >> IOAPIC_MPS_TRIGGER_SHIFT) & IOAPIC_MPS_TRIGGER_MASK;
		route->gsi = o->gsi;
		route->overridden = true;
		if (polarity == IOAPIC_MPS_POLARITY_HIGH)
			route->active_low = false;
		else if (polarity == IOAPIC_MPS_POLARITY_LOW)
			route->active_low = true;
		if (trigger == IOAPIC_MPS_TRIGGER_EDGE)
			route->level = false;
		else if (trigger == IOAPIC_MPS_TRIGGER_LEVEL)
			route->level = true;
		break;
	}
	return 0;
}

uint64_t ioapic_entry(const struct ioapic_route *route, uint8_t vector, uint32_t apic_id,
                      bool masked)
{
	uint64_t entry = vector & IOAPIC_ENTRY_VECTOR_MASK;
	if (route->level)
		entry |= IOAPIC_ENTRY_LEVEL;
	if (route->active_low)
		entry |= IOAPIC_ENTRY_ACTIVE_LOW;
	if (masked)
		entry |= IOAPIC_ENTRY_MASKED;
	return entry | (uint64_t)(apic_id & IOAPIC_ENTRY_VECTOR_MASK) << IOAPIC_ENTRY_DEST_SHIFT;
}

static uint32_t ioapic_read(volatile uint32_t *base, uint32_t index)
{
	base[IOAPIC_REGISTER_SELECT / 4] = index;
	return base[IOAPIC_WINDOW / 4];
}

static void ioapic_write(volatile uint32_t *base, uint32_t index, uint32_t value)
{
	base[IOAPIC_REGISTER_SELECT / 4] = index;
	base[IOAPIC_WINDOW / 4] = value;
}

int ioapic_host_route(uint8_t irq, bool pci, struct ioapic_route *route)
{
	return ioapic_madt ? ioapic_isa_route(ioapic_madt, irq, pci, route) : -1;
}

void ioapic_init(const struct acpi_info *acpi)
{
	ioapic_madt = acpi;
	ioapic_count = 0;
	for (uint32_t i = 0; i < acpi->ioapic_count && i < ACPI_MAX_IOAPICS; i++) {
		volatile uint32_t *base = (volatile uint32_t *)(uintptr_t)acpi->ioapics[i].address;
		uint32_t version = ioapic_read(base, IOAPIC_INDEX_VERSION);
		ioapic_chips[ioapic_count].base = base;
		ioapic_chips[ioapic_count].gsi_base = acpi->ioapics[i].gsi_base;
		ioapic_chips[ioapic_count].pins =
		    ((version >> IOAPIC_VERSION_MAX_SHIFT) & IOAPIC_VERSION_MAX_MASK) + 1;
		ioapic_count++;
	}
}

/* The chip holding `gsi` and the pin on it, or NULL. */
static volatile uint32_t *ioapic_find(uint32_t gsi, uint32_t *pin)
{
	for (uint32_t i = 0; i < ioapic_count; i++)
		if (gsi >= ioapic_chips[i].gsi_base &&
		    gsi - ioapic_chips[i].gsi_base < ioapic_chips[i].pins) {
			*pin = gsi - ioapic_chips[i].gsi_base;
			return ioapic_chips[i].base;
		}
	return NULL;
}

bool ioapic_has_gsi(uint32_t gsi)
{
	uint32_t pin;
	return ioapic_find(gsi, &pin) != NULL;
}

int ioapic_program(uint32_t gsi, uint64_t entry)
{
	uint32_t pin;
	volatile uint32_t *base = ioapic_find(gsi, &pin);
	if (!base)
		return -1;
	uint32_t index = IOAPIC_INDEX_REDIRECTION + 2 * pin;
	uint64_t flags = spinlock_acquire_irqsave(&ioapic_lock);
	/* Masked first, so no half-written entry ever delivers. */
	ioapic_write(base, index, (uint32_t)IOAPIC_ENTRY_MASKED);
	ioapic_write(base, index + 1, (uint32_t)(entry >> IOAPIC_HALF_SHIFT));
	ioapic_write(base, index, (uint32_t)entry);
	spinlock_release_irqrestore(&ioapic_lock, flags);
	return 0;
}

void ioapic_mask(uint32_t gsi, bool masked)
{
	uint32_t pin;
	volatile uint32_t *base = ioapic_find(gsi, &pin);
	if (!base)
		return;
	uint32_t index = IOAPIC_INDEX_REDIRECTION + 2 * pin;
	uint64_t flags = spinlock_acquire_irqsave(&ioapic_lock);
	uint32_t low = ioapic_read(base, index);
	if (masked)
		low |= (uint32_t)IOAPIC_ENTRY_MASKED;
	else
		low &= ~(uint32_t)IOAPIC_ENTRY_MASKED;
	ioapic_write(base, index, low);
	spinlock_release_irqrestore(&ioapic_lock, flags);
}
