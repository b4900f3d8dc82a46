/*
 * vmx/platform.h - the per-VM platform devices around the vCPUs' vLAPICs:
 * the virtual IOAPIC (MMIO at 0xfec00000, vmx/vioapic.h), the guest ACPI
 * tables placed in guest memory (RSDP in the BIOS area 0xe0000-0xfffff,
 * vmx/guest_acpi.h), and the legacy devices a PC guest probes: the 8259
 * PIC pair (ports 0x20/0x21, 0xa0/0xa1, ELCR 0x4d0/0x4d1; registers only,
 * it never delivers: interrupts go through the IOAPIC), the 8254 PIT
 * (ports 0x40-0x43; channel 0 raises ISA IRQ 0 = IOAPIC pin 2 on a kernel
 * timer, channel 2 is gated and read back through port 0x61 as Linux's
 * TSC calibration expects), the PCI configuration ports 0xcf8-0xcff
 * (vmx/vpci.h: a host bridge) and the CMOS RTC at 0x70/0x71 (vmx/vrtc.h:
 * VRTC_EPOCH plus the VM's elapsed TSC time; its periodic, alarm and
 * update interrupts raise ISA IRQ 8 = GSI 8 on a kernel timer).
 *
 * Lock order: platform->lock (the "vIOAPIC lock" of vioapic.h: guards the
 * vIOAPIC, PIT and PIC) -> percpu timer_lock (timer_start/cancel inside).
 * vLAPIC posts happen under it (lock-free); vmx_vcpu_notify() is called
 * after it is released. Callers must not hold it while writing a vLAPIC
 * EOI (the EOI broadcast takes it).
 */
#ifndef VMX_PLATFORM_H
#define VMX_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lock.h"
#include "kernel/timer.h"
#include "vmx/vioapic.h"
#include "vmx/vpci.h"
#include "vmx/vrtc.h"

#define PLATFORM_ACPI_BASE 0xe0000u
#define PLATFORM_ACPI_SIZE 0x20000u
#define PLATFORM_PIT_HZ    1193182u
#define PLATFORM_PIT_GSI   2 /* ISA IRQ 0 -> GSI 2 (MADT override) */
#define PLATFORM_RTC_GSI   8 /* ISA IRQ 8, identity-mapped, edge */
/* The shortest period of channel 0's interrupt: a smaller reload counts
 * as programmed, but interrupts come at this period (docs/devices.md,
 * "8254 PIT"). Linux never programs one faster than HZ=1000 (1 ms). */
#define PLATFORM_PIT_MIN_PERIOD_US 100u

struct vm;
struct vcpu;

struct platform_pit_channel {
	uint16_t reload; /* the count written (0 means 65536) */
	uint8_t mode;    /* 0..5 */
	uint8_t access;  /* 1 low byte, 2 high byte, 3 low then high */
	bool write_high; /* the next byte written is the high one */
	bool read_high;  /* the next byte read is the high one */
	bool latched;
	uint16_t latch;
	bool loaded;        /* a count was written since the mode */
	uint64_t start_tsc; /* when counting started (0 = not counting) */
};

struct platform_pic {
	uint8_t mask;        /* IMR (OCW1) */
	uint8_t vector_base; /* ICW2 */
	uint8_t init_step;   /* 0 = ready, 1..3 = expecting ICW2..ICW4 */
	bool icw4_needed;
	uint8_t elcr; /* edge/level control (0x4d0/0x4d1) */
};

struct platform_counters {
	uint64_t ioapic_accesses;
	uint64_t pit_accesses;
	uint64_t pit_interrupts; /* IRQ 0 edges raised */
	uint64_t pic_accesses;
};

struct platform {
	struct spinlock lock;
	struct vm *vm;
	struct vioapic vioapic;
	uint32_t targets; /* vCPUs posted to under the lock */
	struct platform_pit_channel pit[3];
	uint8_t port_b;         /* port 0x61: bit 0 gate 2, bit 1 speaker */
	struct timer pit_timer; /* channel 0 interrupts */
	uint64_t pit_next;      /* TSC of the next channel 0 interrupt */
	struct platform_pic pic[2];
	struct vpci pci;        /* 0xcf8-0xcff (vmx/vpci.h) */
	struct vrtc rtc;        /* 0x70-0x71 (vmx/vrtc.h) */
	uint64_t rtc_start_tsc; /* the RTC reads VRTC_EPOCH here */
	struct timer rtc_timer; /* the RTC's next IRQ 8 (vrtc_next_interrupt) */
	struct platform_counters counters;
};

/* Build the VM's devices: vIOAPIC, ACPI tables at PLATFORM_ACPI_BASE
 * (vm->rsdp_address), the MMIO hooks of the xAPIC page and the IOAPIC, and
 * the port registry (vmx/io.h): PIC, PIT, port 0x61, ELCR, PM1a event and
 * control (SLP_EN powers the VM off), POST port 0x80, the UART. The vCPUs'
 * vLAPICs must exist (vcpu_interrupt_init). 0, or -1 with `error`. */
int platform_create(struct vm *vm, char *error, size_t size);
/* An edge on `gsi` through the vIOAPIC (device models outside this file:
 * the UART's IRQ 4). Takes the platform lock; the caller holds none of
 * the devices' locks. */
void platform_pulse_gsi(struct vm *vm, unsigned gsi);
/* Take the platform lock (posts to vLAPICs are gathered in `targets`) /
 * release it and notify every vCPU posted to (VMX_NOTIFY_DEVICE_IRQ). For
 * device code outside this file (vmx/assign_irq.c). */
uint64_t platform_acquire(struct platform *platform);
void platform_release(struct platform *platform, uint64_t flags);
/* A vLAPIC EOIed a level-triggered vector (its eoi_broadcast). */
void platform_eoi(struct vm *vm, uint8_t vector);
/* True while the PIT's channel 0 or the RTC is armed to interrupt (a wake
 * source). */
bool platform_timer_armed(const struct vm *vm);
/* After the VM ended: stop the PIT's and the RTC's host timers; log the VMPLATFORM line
 * (PCI, RTC and UART counters). */
void platform_stop(struct vm *vm);
/* " key=value ..." figures for the VM report line. */
size_t platform_format(const struct vm *vm, char *buffer, size_t size);

#endif /* VMX_PLATFORM_H */
