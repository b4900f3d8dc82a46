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
 *  - status C: interrupt flags, always 0 (reads clear them);
 *  - status D: 0x80 (valid RAM and time, VRT);
 *  - 0x0e-0x7f: CMOS RAM, read/write (0x32, the century, starts at 0x20).
 * The clock: the environment passes "now" in seconds since 1970-01-01
 * 00:00:00 UTC to every access. uslice's (vmx/platform.c) is a fixed
 * epoch, VRTC_EPOCH = 2026-01-01 00:00:00, plus the VM's elapsed time
 * from the TSC: Bochs has no host wall clock to trust, and the same
 * epoch makes runs comparable. Writing a time or date register moves the
 * clock by the difference (an offset kept in the model).
 * Not emulated: the periodic, alarm and update-ended interrupts (IRQ 8).
 * PIE/AIE/UIE are stored and read back, but no interrupt is raised and
 * status C stays 0; Linux's rtc_cmos then reads the time fine, and an
 * alarm or a periodic timer the guest programs never fires.
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
	uint64_t accesses;
};

void vrtc_init(struct vrtc *rtc);
/* An access to port 0x70 or 0x71 (bytes); `now` in seconds since 1970. */
uint8_t vrtc_read(struct vrtc *rtc, uint16_t port, uint64_t now);
void vrtc_write(struct vrtc *rtc, uint16_t port, uint8_t value, uint64_t now);

#endif /* VMX_VRTC_H */
