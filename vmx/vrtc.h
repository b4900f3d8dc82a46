/*
 * vmx/vrtc.h - the CMOS RTC (MC146818A) of one VM at ports 0x70/0x71.
 *
 * Port 0x70 selects a register (bits 6:0) and holds the NMI mask (bit 7:
 * kept and read back, uslice delivers no NMI from it); 0x71 reads and
 * writes the selected register:
 *  - 0x00-0x09 time, alarm and date: BCD or binary per status B bit 2
 *    (DM), 12- or 24-hour per bit 1 (24H; 12-hour mode puts PM in bit 7);
 *  - status A: UIP (bit 7) is never set (the update never appears to be
 *    in progress), the divider (6:4) and rate (3:0) bits are kept;
 *  - status B: all bits kept; SET (bit 7) freezes the time registers
 *    (they read what was latched or written) until it is cleared;
 *  - status C: IRQF (bit 7), PF, AF, UF (6:4); a read returns and clears
 *    them and drops the IRQ line;
 *  - status D: 0x80 (valid RAM and time, VRT);
 *  - 0x0e-0x7f: CMOS RAM, read/write (0x32, the century, starts at 0x20).
 * The clock: the environment passes "now" in nanoseconds since 1970-01-01
 * 00:00:00 UTC to every call. uslice's (vmx/platform.c) is a fixed
 * epoch, VRTC_EPOCH = 2026-01-01 00:00:00, plus the VM's elapsed time
 * from the TSC: Bochs has no host wall clock to trust, and the same
 * epoch makes runs comparable. Writing a time or date register moves the
 * clock by the difference (an offset kept in the model, whole seconds).
 *
 * Interrupts (IRQ 8) as the MC146818A raises them, computed from time
 * rather than ticked: PF is set at every boundary of the periodic rate
 * (status A bits 3:0: 0 = off, 1 and 2 as 8 and 9, r gives 2^(r-1)
 * periods of 1/32768 s; 3 = 122 us is the fastest), UF at every second
 * boundary while SET is clear, AF at a second boundary whose time matches
 * the alarm (an alarm byte of 0xc0-0xff matches every value). The flags
 * are set whether or not their interrupt is enabled; IRQF = (PF and PIE)
 * or (AF and AIE) or (UF and UIE). All of it needs the divider (status A
 * bits 6:4) at its normal 010 (32.768 kHz time base); any other divider
 * stops the updates and the periodic flag. The IRQ output is a level held
 * from IRQF's rise until status C is read: vrtc_update() reports each
 * rise (the caller pulses GSI 8: ISA edge), vrtc_next_interrupt() says
 * when the next one can come so that the caller arms a timer.
 *
 * Pure: no locking of its own (the caller holds the platform lock).
 * Host-tested by tests/host/test_vrtc.c.
 */
#ifndef VMX_VRTC_H
#define VMX_VRTC_H

#include <stdbool.h>
#include <stdint.h>

#define VRTC_INDEX_PORT 0x70u
#define VRTC_DATA_PORT  0x71u
#define VRTC_PORTS      2u
#define VRTC_NMI_MASK   0x80u
#define VRTC_INDEX_MASK 0x7fu
#define VRTC_REGISTERS  128u

#define VRTC_EPOCH 1767225600ull /* 2026-01-01 00:00:00 UTC */

/* Register indexes. */
#define VRTC_SECONDS       0x00u
#define VRTC_SECONDS_ALARM 0x01u
#define VRTC_MINUTES       0x02u
#define VRTC_MINUTES_ALARM 0x03u
#define VRTC_HOURS         0x04u
#define VRTC_HOURS_ALARM   0x05u
#define VRTC_WEEKDAY       0x06u /* 1 = Sunday */
#define VRTC_DAY           0x07u
#define VRTC_MONTH         0x08u
#define VRTC_YEAR          0x09u /* two digits */
#define VRTC_STATUS_A      0x0au
#define VRTC_STATUS_B      0x0bu
#define VRTC_STATUS_C      0x0cu
#define VRTC_STATUS_D      0x0du
#define VRTC_RAM_FIRST     0x0eu
#define VRTC_CENTURY       0x32u

#define VRTC_A_UIP           0x80u
#define VRTC_A_DEFAULT       0x26u /* 32.768 kHz divider, 1024 Hz rate */
#define VRTC_A_DIVIDER       0x70u
#define VRTC_A_DIVIDER_32KHZ 0x20u /* the only divider that keeps time */
#define VRTC_A_RATE          0x0fu
#define VRTC_C_IRQF          0x80u
#define VRTC_C_PF            0x40u
#define VRTC_C_AF            0x20u
#define VRTC_C_UF            0x10u
#define VRTC_ALARM_ANY       0xc0u /* an alarm byte >= this matches all */
#define VRTC_B_SET           0x80u
#define VRTC_B_PIE           0x40u
#define VRTC_B_AIE           0x20u
#define VRTC_B_UIE           0x10u
#define VRTC_B_BINARY        0x04u /* DM */
#define VRTC_B_24H           0x02u
#define VRTC_B_DEFAULT       VRTC_B_24H /* BCD, 24-hour */
#define VRTC_D_VALID         0x80u      /* VRT */
#define VRTC_HOURS_PM        0x80u
#define VRTC_CENTURY_DEFAULT 0x20u

struct vrtc {
	uint8_t index; /* selected register */
	bool nmi_masked;
	uint8_t ram[VRTC_REGISTERS]; /* alarms, A, B, RAM; time while SET */
	int64_t offset;              /* seconds added to the environment's clock */
	uint8_t flags;               /* VRTC_C_PF | VRTC_C_AF | VRTC_C_UF   */
	bool irq;                    /* IRQF: the IRQ 8 output is asserted  */
	uint64_t flags_until;        /* flags account for events up to here (ns) */
	uint64_t accesses;
	uint64_t interrupts; /* IRQF rises reported by vrtc_update() */
};

#define VRTC_NS_PER_SECOND 1000000000ull

/* Power-on at `now_ns`: no flag for any earlier event. */
void vrtc_init(struct vrtc *rtc, uint64_t now_ns);
/* An access to port 0x70 or 0x71 (bytes); `now_ns` since 1970. Call
 * vrtc_update() after each: a write to status A or B can raise IRQF. */
uint8_t vrtc_read(struct vrtc *rtc, uint16_t port, uint64_t now_ns);
void vrtc_write(struct vrtc *rtc, uint16_t port, uint8_t value, uint64_t now_ns);
/* Set the flags of every event up to `now_ns`; true if IRQF rose (the
 * caller raises IRQ 8 once per true). */
bool vrtc_update(struct vrtc *rtc, uint64_t now_ns);
/* The time (ns since 1970, > now_ns) at which vrtc_update() can next
 * return true, or 0 when it cannot before a register access (no interrupt
 * enabled, the divider stopped, or IRQF already held until C is read). */
uint64_t vrtc_next_interrupt(const struct vrtc *rtc, uint64_t now_ns);

#endif /* VMX_VRTC_H */
