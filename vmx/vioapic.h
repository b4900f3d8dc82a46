/*
 * vmx/vioapic.h - the virtual IOAPIC of a VM: 24 redirection entries
 * behind IOREGSEL/IOWIN (and the EOI register of version 0x20), edge and
 * level-triggered pins with remote IRR, delivering through vlapic_route()
 * to the VM's vLAPICs.
 *
 * A pure device model like vlapic.h. The platform devices call
 * vioapic_set_irq() with the line's logical state (true = asserted; the
 * polarity bit is the guest's business and only stored), the vLAPICs'
 * eoi_broadcast callback calls vioapic_eoi(), and the APIC-access style
 * MMIO exits at 0xfec00000 call vioapic_mmio_read/write().
 *
 * Lock order: the model takes no locks. Every vioapic_* call on one
 * vIOAPIC must be serialized by the caller with one per-VM lock (the
 * "vIOAPIC lock"). The deliver callback runs under that lock: it may post
 * to vLAPICs (vlapic_deliver is lock-free) and kick or wake vCPUs, taking
 * only locks ordered after the vIOAPIC lock (vIOAPIC lock -> scheduler).
 */
#ifndef VMX_VIOAPIC_H
#define VMX_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vlapic.h"

#define VIOAPIC_PINS            24
#define VIOAPIC_DEFAULT_ADDRESS 0xfec00000u
#define VIOAPIC_MMIO_SIZE       0x1000u
#define VIOAPIC_VERSION_82093   0x11 /* no EOI register */
#define VIOAPIC_VERSION_EOI     0x20 /* EOI register at offset 0x40 */

/* MMIO offsets and indirect register indices. */
#define VIOAPIC_REGISTER_SELECT   0x00
#define VIOAPIC_WINDOW            0x10
#define VIOAPIC_EOI_REGISTER      0x40
#define VIOAPIC_INDEX_ID          0x00
#define VIOAPIC_INDEX_VERSION     0x01
#define VIOAPIC_INDEX_ARBITRATION 0x02
#define VIOAPIC_INDEX_REDIRECTION 0x10 /* + 2 * pin (low), + 1 (high) */

/* Redirection entry bits. */
#define VIOAPIC_ENTRY_DELIVERY_STATUS (1ull << 12)
#define VIOAPIC_ENTRY_ACTIVE_LOW      (1ull << 13)
#define VIOAPIC_ENTRY_REMOTE_IRR      (1ull << 14)
#define VIOAPIC_ENTRY_LEVEL           (1ull << 15)
#define VIOAPIC_ENTRY_MASKED          (1ull << 16)

struct vioapic_counters {
	uint64_t deliveries;    /* messages routed to at least one vLAPIC */
	uint64_t undeliverable; /* routed to nobody */
	uint64_t masked_edges;  /* edges lost on a masked pin */
	uint64_t level_held;    /* assertions waiting for remote IRR or unmask */
	uint64_t eois;          /* EOIs that cleared a remote IRR */
	uint64_t unsupported;   /* SMI/ExtINT/reserved delivery modes */
	uint64_t bad_accesses;  /* MMIO of a bad size/offset */
};

struct vioapic {
	uint8_t id; /* 4 bits */
	uint8_t version;
	uint32_t select; /* IOREGSEL */
	uint64_t redirection[VIOAPIC_PINS];
	uint32_t asserted; /* pins whose line is asserted */
	struct vlapic *const *vlapics;
	unsigned vlapic_count;
	vlapic_deliver_function deliver;
	void *context;
	struct vioapic_counters counters;
};

/*
 * Reset state: every pin masked, edge, vector 0. `version` is
 * VIOAPIC_VERSION_82093 or VIOAPIC_VERSION_EOI. Messages go to
 * vlapic_route(vlapics, count, ..., VLAPIC_NO_SENDER, deliver, context).
 */
void vioapic_init(struct vioapic *vioapic, uint8_t id, uint8_t version,
                  struct vlapic *const *vlapics, unsigned count, vlapic_deliver_function deliver,
                  void *context);
/* 32-bit accesses to IOREGSEL, IOWIN, (EOI); others read 0 / are ignored. */
void vioapic_mmio_read(struct vioapic *vioapic, uint32_t offset, unsigned size, uint32_t *value);
void vioapic_mmio_write(struct vioapic *vioapic, uint32_t offset, unsigned size, uint32_t value);
/* Drive a pin's line: edge pins deliver on 0 -> 1, level pins while asserted. */
void vioapic_set_irq(struct vioapic *vioapic, unsigned pin, bool level);
/* An edge: assert then de-assert. */
void vioapic_pulse_irq(struct vioapic *vioapic, unsigned pin);
/* A level-triggered `vector` was EOIed by a vLAPIC: clear remote IRR, re-deliver. */
void vioapic_eoi(struct vioapic *vioapic, uint8_t vector);
/* The message a pin's entry would send (for tests and tracing). */
void vioapic_entry_message(uint64_t entry, struct vlapic_ipi *ipi);

#endif /* VMX_VIOAPIC_H */
