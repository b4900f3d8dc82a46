/*
 * vmx/platform.c - the per-VM platform devices: vIOAPIC, ACPI tables,
 * 8259 PIC registers, 8254 PIT, the ACPI PM1a ports and the POST port, and
 * the registration of every port device of the VM (see platform.h).
 *
 * Lock order: platform->lock -> percpu timer_lock. Posting to vLAPICs is
 * lock-free; vmx_vcpu_notify() runs after platform->lock is released.
 */
#include "vmx/platform.h"

#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/string.h"
#include "vmx/assign_irq.h"
#include "vmx/exit.h"
#include "vmx/guest_acpi.h"
#include "vmx/io.h"
#include "vmx/notify.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vm.h"

#define PLATFORM_PIT_CHANNEL_PORT 0x40
#define PLATFORM_PIT_COMMAND_PORT 0x43
#define PLATFORM_PIT_PORTS        4
#define PLATFORM_PORT_B           0x61
#define PLATFORM_PORT_B_GATE2     0x01
#define PLATFORM_PORT_B_OUT2      0x20
#define PLATFORM_PIC_MASTER       0x20
#define PLATFORM_PIC_SLAVE        0xa0
#define PLATFORM_PIC_PORTS        2 /* command, data */
#define PLATFORM_ELCR             0x4d0
#define PLATFORM_ELCR_PORTS       2 /* master, slave */
#define PLATFORM_POST_PORT        0x80
/* ACPI PM1a event block (status, enable: 2 bytes each) below the control
 * port; PM1 control SLP_EN (ACPI 6.4, 4.8.3.2.1). */
#define PLATFORM_PM1A_EVENT_PORT   (VM_PM1A_CONTROL_PORT - 4)
#define PLATFORM_PM1A_EVENT_PORTS  4
#define PLATFORM_PM1A_CONTROL_SIZE 2
#define PLATFORM_PM1_SLP_EN        (1u << 13)
#define PLATFORM_PIT_MIN_RELOAD    (PLATFORM_PIT_HZ / (1000000u / PLATFORM_PIT_MIN_PERIOD_US))

/* ---- locking and delivery ----------------------------------------------- */

static void platform_deliver(void *context, unsigned index, const struct vlapic_ipi *ipi)
{
	struct platform *platform = context;
	struct vm *vm = platform->vm;
	if (index < vm->vcpu_count && vlapic_deliver(vm->vlapics[index], ipi))
		platform->targets |= 1u << index;
}

uint64_t platform_acquire(struct platform *platform)
{
	uint64_t flags = spinlock_acquire_irqsave(&platform->lock);
	platform->targets = 0;
	return flags;
}

/* Release the lock, then tell every vCPU something was posted to it. */
void platform_release(struct platform *platform, uint64_t flags)
{
	uint32_t targets = platform->targets;
	platform->targets = 0;
	spinlock_release_irqrestore(&platform->lock, flags);
	for (; targets; targets &= targets - 1)
		vmx_vcpu_notify(platform->vm->vcpus[__builtin_ctz(targets)], VMX_NOTIFY_DEVICE_IRQ);
}

void platform_eoi(struct vm *vm, uint8_t vector)
{
	struct platform *platform = vm->platform;
	if (!platform)
		return;
	uint64_t flags = platform_acquire(platform);
	vmx_assign_eoi(vm, vector);
	vioapic_eoi(&platform->vioapic, vector);
	platform_release(platform, flags);
}

void platform_pulse_gsi(struct vm *vm, unsigned gsi)
{
	struct platform *platform = vm->platform;
	if (!platform)
		return;
	uint64_t flags = platform_acquire(platform);
	if (vm->state == VM_STATE_RUNNING)
		vioapic_pulse_irq(&platform->vioapic, gsi);
	platform_release(platform, flags);
}

static int platform_ioapic_access(struct vcpu *vcpu, uint64_t address, unsigned size, bool write,
                                  uint64_t *value)
{
	struct platform *platform = vcpu->vm->platform;
	uint32_t offset = (uint32_t)(address - VIOAPIC_DEFAULT_ADDRESS);
	uint64_t flags = platform_acquire(platform);
	platform->counters.ioapic_accesses++;
	if (write) {
		if (offset == VIOAPIC_EOI_REGISTER &&
		    platform->vioapic.version >= VIOAPIC_VERSION_EOI)
			vmx_assign_eoi(vcpu->vm, (uint8_t)*value);
		vioapic_mmio_write(&platform->vioapic, offset, size, (uint32_t)*value);
		vmx_assign_entry_written(vcpu->vm);
	} else {
		uint32_t read;
		vioapic_mmio_read(&platform->vioapic, offset, size, &read);
		*value = read;
	}
	platform_release(platform, flags);
	return 0;
}

/* ---- 8254 PIT ----------------------------------------------------------- */

static uint64_t platform_pit_to_tsc(uint64_t pit_ticks)
{
	return pit_ticks * timer_tsc_khz * 1000 / PLATFORM_PIT_HZ;
}

static uint64_t platform_pit_elapsed(const struct platform_pit_channel *channel, uint64_t now)
{
	if (!channel->start_tsc || now <= channel->start_tsc)
		return 0;
	uint64_t tsc = now - channel->start_tsc;
	uint64_t hz = timer_tsc_khz * 1000;
	return tsc / hz * PLATFORM_PIT_HZ + tsc % hz * PLATFORM_PIT_HZ / hz;
}

static uint32_t platform_pit_period(const struct platform_pit_channel *channel)
{
	return channel->reload ? channel->reload : 0x10000u;
}

/* Host TSC ticks between two channel 0 interrupts: never below the minimum. */
static uint64_t platform_pit_interrupt_period(const struct platform_pit_channel *channel)
{
	uint32_t period = platform_pit_period(channel);
	return platform_pit_to_tsc(period < PLATFORM_PIT_MIN_RELOAD ? PLATFORM_PIT_MIN_RELOAD
	                                                            : period);
}

static bool platform_pit_periodic(const struct platform_pit_channel *channel)
{
	return (channel->mode & 3) == 2 || (channel->mode & 3) == 3;
}

/* Current count and OUT of a channel. */
static uint16_t platform_pit_count(const struct platform_pit_channel *channel, uint64_t now,
                                   bool *out)
{
	uint32_t period = platform_pit_period(channel);
	uint64_t elapsed = platform_pit_elapsed(channel, now);
	if (!channel->start_tsc) {
		*out = channel->mode != 0; /* mode 0 OUT is low until terminal count */
		return channel->reload;
	}
	if (platform_pit_periodic(channel)) {
		uint32_t count = period - (uint32_t)(elapsed % period);
		*out = (channel->mode & 3) == 3 ? count > period / 2 : count != 1;
		return (uint16_t)count;
	}
	*out = elapsed >= period;
	return (uint16_t)(period - (uint32_t)(elapsed % 0x10000u));
}

static void platform_pit_fired(struct timer *timer, void *context);

/* (Re)arm channel 0's interrupt timer; platform lock held. */
static void platform_pit_arm(struct platform *platform)
{
	struct platform_pit_channel *channel = &platform->pit[0];
	if (!channel->start_tsc) {
		timer_cancel(&platform->pit_timer);
		return;
	}
	platform->pit_next = channel->start_tsc + platform_pit_interrupt_period(channel);
	timer_start(&platform->pit_timer, platform->pit_next, platform_pit_fired, platform);
}

/* Channel 0 reached terminal count: raise IRQ 0 and go on (periodic). */
static void platform_pit_fired(struct timer *timer, void *context)
{
	(void)timer;
	struct platform *platform = context;
	uint64_t flags = platform_acquire(platform);
	struct platform_pit_channel *channel = &platform->pit[0];
	if (channel->start_tsc && platform->vm->state == VM_STATE_RUNNING) {
		platform->counters.pit_interrupts++;
		vioapic_pulse_irq(&platform->vioapic, PLATFORM_PIT_GSI);
		if (platform_pit_periodic(channel)) {
			uint64_t period = platform_pit_interrupt_period(channel);
			uint64_t now = timer_now();
			platform->pit_next += period;
			if (platform->pit_next <= now) /* missed periods coalesce */
				platform->pit_next = now + period;
			timer_start(&platform->pit_timer, platform->pit_next, platform_pit_fired,
			            platform);
		}
	}
	platform_release(platform, flags);
}

bool platform_timer_armed(const struct vm *vm)
{
	return vm->platform && (__atomic_load_n(&vm->platform->pit_timer.armed, __ATOMIC_ACQUIRE) ||
	                        __atomic_load_n(&vm->platform->rtc_timer.armed, __ATOMIC_ACQUIRE));
}

static void platform_pit_start(struct platform *platform, unsigned index)
{
	struct platform_pit_channel *channel = &platform->pit[index];
	bool gate = index != 2 || (platform->port_b & PLATFORM_PORT_B_GATE2);
	channel->start_tsc = gate ? timer_now() : 0;
	if (index == 0)
		platform_pit_arm(platform);
}

static void platform_pit_command(struct platform *platform, uint8_t command, uint64_t now)
{
	unsigned index = command >> 6;
	if (index == 3) { /* read-back: latch the counts of the selected channels */
		for (unsigned i = 0; i < 3; i++) {
			if (!(command & (2u << i)) || (command & 0x20))
				continue;
			bool out;
			platform->pit[i].latch = platform_pit_count(&platform->pit[i], now, &out);
			platform->pit[i].latched = true;
		}
		return;
	}
	struct platform_pit_channel *channel = &platform->pit[index];
	unsigned access = (command >> 4) & 3;
	if (access == 0) { /* counter latch */
		bool out;
		channel->latch = platform_pit_count(channel, now, &out);
		channel->latched = true;
		channel->read_high = false;
		return;
	}
	channel->access = (uint8_t)access;
	channel->mode = (command >> 1) & 7;
	channel->write_high = access == 2;
	channel->read_high = access == 2;
	channel->latched = false;
	channel->loaded = false;
	channel->start_tsc = 0;
	if (index == 0)
		platform_pit_arm(platform);
}

static void platform_pit_write(struct platform *platform, unsigned index, uint8_t value)
{
	struct platform_pit_channel *channel = &platform->pit[index];
	if (channel->access == 3 && !channel->write_high) {
		channel->reload = (uint16_t)((channel->reload & 0xff00) | value);
		channel->write_high = true;
		return; /* counting starts after the high byte */
	}
	if (channel->write_high || channel->access == 2)
		channel->reload = (uint16_t)((channel->reload & 0x00ff) | (value << 8));
	else
		channel->reload = (uint16_t)((channel->reload & 0xff00) | value);
	if (channel->access == 3)
		channel->write_high = false;
	channel->loaded = true;
	platform_pit_start(platform, index);
}

static uint8_t platform_pit_read(struct platform *platform, unsigned index, uint64_t now)
{
	struct platform_pit_channel *channel = &platform->pit[index];
	bool out;
	uint16_t count = channel->latched ? channel->latch : platform_pit_count(channel, now, &out);
	bool high = channel->access == 2 || (channel->access == 3 && channel->read_high);
	if (channel->access == 3)
		channel->read_high = !channel->read_high;
	if (channel->latched && (channel->access != 3 || !channel->read_high))
		channel->latched = false; /* a latch is read once */
	return high ? (uint8_t)(count >> 8) : (uint8_t)count;
}

static uint8_t platform_port_b_read(struct platform *platform, uint64_t now)
{
	bool out = false;
	if (platform->pit[2].loaded)
		platform_pit_count(&platform->pit[2], now, &out);
	return (uint8_t)((platform->port_b & 3) | (out ? PLATFORM_PORT_B_OUT2 : 0));
}

static void platform_port_b_write(struct platform *platform, uint8_t value)
{
	bool was = platform->port_b & PLATFORM_PORT_B_GATE2;
	platform->port_b = value & 3;
	struct platform_pit_channel *channel = &platform->pit[2];
	if (!was && (value & PLATFORM_PORT_B_GATE2) && channel->loaded)
		platform_pit_start(platform, 2); /* a rising gate (re)starts channel 2 */
	else if (!(value & PLATFORM_PORT_B_GATE2) && channel->mode != 0)
		channel->start_tsc = 0;
}

/* ---- 8259 PIC (registers only) ------------------------------------------ */

static void platform_pic_write(struct platform_pic *pic, bool data, uint8_t value)
{
	if (!data) {
		if (value & 0x10) { /* ICW1 */
			pic->init_step = 1;
			pic->icw4_needed = value & 1;
			pic->mask = 0;
		}
		return; /* OCW2/OCW3: EOI, read-register select: nothing to do */
	}
	switch (pic->init_step) {
	case 1:
		pic->vector_base = value & 0xf8;
		pic->init_step = 2;
		break;
	case 2:
		pic->init_step = pic->icw4_needed ? 3 : 0;
		break;
	case 3:
		pic->init_step = 0;
		break;
	default:
		pic->mask = value;
		break;
	}
}

/* ---- port handlers (vmx/io.c calls them by port) ------------------------- */

/* PIT channels and command (0x40-0x43), port B (0x61): bytes only. */
static enum vm_io_result platform_pit_io(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                         uint32_t *value)
{
	struct platform *platform = vcpu->vm->platform;
	if (size != 1)
		return VM_IO_UNCLAIMED;
	uint64_t flags = platform_acquire(platform);
	uint64_t now = timer_now();
	uint8_t byte = (uint8_t)*value;
	platform->counters.pit_accesses++;
	if (port == PLATFORM_PORT_B) {
		if (in)
			byte = platform_port_b_read(platform, now);
		else
			platform_port_b_write(platform, byte);
	} else if (port == PLATFORM_PIT_COMMAND_PORT) {
		if (in)
			byte = 0xff;
		else
			platform_pit_command(platform, byte, now);
	} else if (in) {
		byte = platform_pit_read(platform, port - PLATFORM_PIT_CHANNEL_PORT, now);
	} else {
		platform_pit_write(platform, port - PLATFORM_PIT_CHANNEL_PORT, byte);
	}
	platform_release(platform, flags);
	if (in)
		*value = byte;
	return VM_IO_DONE;
}

/* PIC master (0x20/0x21), slave (0xa0/0xa1), ELCR (0x4d0/0x4d1): bytes only. */
static enum vm_io_result platform_pic_io(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                         uint32_t *value)
{
	struct platform *platform = vcpu->vm->platform;
	if (size != 1)
		return VM_IO_UNCLAIMED;
	bool elcr = (port & ~1u) == PLATFORM_ELCR;
	uint64_t flags = platform_acquire(platform);
	uint8_t byte = (uint8_t)*value;
	platform->counters.pic_accesses++;
	struct platform_pic *chip = &platform->pic[elcr ? (port & 1) : (port & 0x80) ? 1 : 0];
	if (elcr) {
		if (in)
			byte = chip->elcr;
		else
			chip->elcr = byte;
	} else if (in) {
		byte = (port & 1) ? chip->mask : 0; /* IRR/ISR: nothing pending */
	} else {
		platform_pic_write(chip, port & 1, byte);
	}
	platform_release(platform, flags);
	if (in)
		*value = byte;
	return VM_IO_DONE;
}

/* PM1a control: SLP_EN powers the VM off (the guest's S5); reads 0. */
static enum vm_io_result platform_pm1a_control_io(struct vcpu *vcpu, uint16_t port, unsigned size,
                                                  bool in, uint32_t *value)
{
	(void)port;
	if (size < PLATFORM_PM1A_CONTROL_SIZE)
		return VM_IO_UNCLAIMED;
	if (!in && (*value & PLATFORM_PM1_SLP_EN)) {
		vm_power_off(vcpu->vm, 0);
		return VM_IO_STOP;
	}
	if (in)
		*value = 0;
	return VM_IO_DONE;
}

/* POST codes: ignored (an IN reads all ones). */
static enum vm_io_result platform_post_io(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                          uint32_t *value)
{
	(void)vcpu;
	(void)port;
	(void)size;
	(void)in;
	(void)value;
	return VM_IO_DONE;
}

/* PM1a status/enable: nothing pending (reads 0), writes ignored. */
static enum vm_io_result platform_pm1a_event_io(struct vcpu *vcpu, uint16_t port, unsigned size,
                                                bool in, uint32_t *value)
{
	if (in)
		*value = 0;
	return platform_post_io(vcpu, port, size, in, value);
}

/* PCI configuration mechanism #1 (vmx/vpci.h). */
static enum vm_io_result platform_pci_io(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                         uint32_t *value)
{
	struct platform *platform = vcpu->vm->platform;
	uint64_t flags = platform_acquire(platform);
	bool claimed = in ? vpci_io_read(&platform->pci, port, size, value)
	                  : vpci_io_write(&platform->pci, port, size, *value);
	platform_release(platform, flags);
	return claimed ? VM_IO_DONE : VM_IO_UNCLAIMED;
}

/* ---- CMOS RTC (vmx/vrtc.h) -------------------------------------------------- */

/* The RTC's environment clock: VRTC_EPOCH plus the VM's elapsed TSC time,
 * in ns (split so that nothing overflows). */
static uint64_t platform_rtc_now(const struct platform *platform)
{
	uint64_t hz = timer_tsc_khz * 1000;
	if (!hz)
		return VRTC_EPOCH * VRTC_NS_PER_SECOND;
	uint64_t ticks = timer_now() - platform->rtc_start_tsc;
	return (VRTC_EPOCH + ticks / hz) * VRTC_NS_PER_SECOND +
	       ticks % hz * VRTC_NS_PER_SECOND / hz;
}

/* The TSC at which the RTC clock reaches `ns` (rounded up, never early). */
static uint64_t platform_rtc_tsc(const struct platform *platform, uint64_t ns)
{
	uint64_t hz = timer_tsc_khz * 1000;
	uint64_t since = ns - VRTC_EPOCH * VRTC_NS_PER_SECOND;
	return platform->rtc_start_tsc + since / VRTC_NS_PER_SECOND * hz +
	       (since % VRTC_NS_PER_SECOND * hz + VRTC_NS_PER_SECOND - 1) / VRTC_NS_PER_SECOND;
}

static void platform_rtc_fired(struct timer *timer, void *context);

/* Raise IRQ 8 if the RTC's IRQF rose, and arm the timer for the next
 * rise (none while IRQF is held until status C is read); platform lock
 * held. */
static void platform_rtc_update(struct platform *platform, uint64_t now)
{
	if (platform->vm->state != VM_STATE_RUNNING) {
		timer_cancel(&platform->rtc_timer);
		return;
	}
	if (vrtc_update(&platform->rtc, now))
		vioapic_pulse_irq(&platform->vioapic, PLATFORM_RTC_GSI);
	uint64_t next = vrtc_next_interrupt(&platform->rtc, now);
	if (next)
		timer_start(&platform->rtc_timer, platform_rtc_tsc(platform, next),
		            platform_rtc_fired, platform);
	else
		timer_cancel(&platform->rtc_timer);
}

static void platform_rtc_fired(struct timer *timer, void *context)
{
	(void)timer;
	struct platform *platform = context;
	uint64_t flags = platform_acquire(platform);
	platform_rtc_update(platform, platform_rtc_now(platform));
	platform_release(platform, flags);
}

/* Ports 0x70/0x71, bytes only. */
static enum vm_io_result platform_rtc_io(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                         uint32_t *value)
{
	struct platform *platform = vcpu->vm->platform;
	if (size != 1)
		return VM_IO_UNCLAIMED;
	uint64_t flags = platform_acquire(platform);
	uint64_t now = platform_rtc_now(platform);
	if (in)
		*value = vrtc_read(&platform->rtc, port, now);
	else
		vrtc_write(&platform->rtc, port, (uint8_t)*value, now);
	if (port == VRTC_DATA_PORT)
		platform_rtc_update(platform, now);
	platform_release(platform, flags);
	return VM_IO_DONE;
}

/* Every port device of the VM, the UART included. */
static int platform_register_ports(struct vm *vm)
{
	static const struct vm_io_hook hooks[] = {
	    {PLATFORM_PIC_MASTER, PLATFORM_PIC_PORTS, platform_pic_io},
	    {PLATFORM_PIT_CHANNEL_PORT, PLATFORM_PIT_PORTS, platform_pit_io},
	    {PLATFORM_PORT_B, 1, platform_pit_io},
	    {VRTC_INDEX_PORT, VRTC_PORTS, platform_rtc_io},
	    {PLATFORM_POST_PORT, 1, platform_post_io},
	    {PLATFORM_PIC_SLAVE, PLATFORM_PIC_PORTS, platform_pic_io},
	    {PLATFORM_ELCR, PLATFORM_ELCR_PORTS, platform_pic_io},
	    {PLATFORM_PM1A_EVENT_PORT, PLATFORM_PM1A_EVENT_PORTS, platform_pm1a_event_io},
	    {VM_PM1A_CONTROL_PORT, 1, platform_pm1a_control_io},
	    {VPCI_ADDRESS_PORT, VPCI_PORTS, platform_pci_io},
	};
	for (unsigned i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (vmx_io_register(vm, hooks[i].first_port, hooks[i].count, hooks[i].access) != 0)
			return -1;
	return vuart_register(vm);
}

/* ---- creation, report ------------------------------------------------------ */

int platform_create(struct vm *vm, char *error, size_t size)
{
	struct platform *platform = memory_allocate(sizeof(*platform));
	if (!platform) {
		format_string(error, size, "out of memory for the platform devices");
		return -1;
	}
	memset(platform, 0, sizeof(*platform));
	/* Owned by the VM from here: run.c frees it with the VM if a later
	 * step fails. */
	vm->platform = platform;
	platform->vm = vm;
	platform->pic[0].mask = platform->pic[1].mask = 0xff;
	vpci_init(&platform->pci);
	platform->rtc_start_tsc = timer_now();
	vrtc_init(&platform->rtc, platform_rtc_now(platform));
	struct guest_acpi_config config;
	guest_acpi_default_config(&config, vm->vcpu_count);
	vioapic_init(&platform->vioapic, config.ioapic_id, VIOAPIC_VERSION_EOI, vm->vlapics,
	             vm->vcpu_count, platform_deliver, platform);
	config.pm1a_control_port = VM_PM1A_CONTROL_PORT;
	config.pm1a_event_port = PLATFORM_PM1A_EVENT_PORT;
	void *tables = vm_guest_pointer(vm, PLATFORM_ACPI_BASE, PLATFORM_ACPI_SIZE);
	uint64_t rsdp =
	    tables ? guest_acpi_build(tables, PLATFORM_ACPI_SIZE, PLATFORM_ACPI_BASE, &config) : 0;
	if (!rsdp) {
		format_string(error, size, "cannot build the ACPI tables (%u vCPUs, %llu MiB)",
		              vm->vcpu_count, (unsigned long long)(vm->memory_size >> 20));
		return -1;
	}
	if (vm->mmio_count + 2 > VM_MMIO_HOOKS) {
		format_string(error, size, "no room for the APIC and IOAPIC MMIO hooks");
		return -1;
	}
	if (platform_register_ports(vm) != 0) {
		format_string(error, size, "no room for the port devices");
		return -1;
	}
	if (guest_memory_end(&vm->memory) > VIOAPIC_DEFAULT_ADDRESS)
		log_warning("VM %s: memory reaches the IOAPIC/LAPIC pages: they are RAM", vm->name);
	vm->mmio[vm->mmio_count++] =
	    (struct vm_mmio_hook){VLAPIC_DEFAULT_BASE, 0x1000, vcpu_interrupt_apic_access};
	vm->mmio[vm->mmio_count++] = (struct vm_mmio_hook){
	    VIOAPIC_DEFAULT_ADDRESS, VIOAPIC_MMIO_SIZE, platform_ioapic_access};
	vm->rsdp_address = rsdp;
	return 0;
}

void platform_stop(struct vm *vm)
{
	struct platform *platform = vm->platform;
	if (!platform)
		return;
	uint64_t flags = platform_acquire(platform);
	platform->pit[0].start_tsc = 0;
	timer_cancel(&platform->pit_timer);
	timer_cancel(&platform->rtc_timer);
	platform_release(platform, flags);
	/* The VM line is full: the newer devices report on their own line. */
	const struct vuart_model *uart = &vm->uart.model;
	log_record(
	    "VMPLATFORM vm=%s pci_accesses=%llu pci_absent=%llu rtc_accesses=%llu "
	    "rtc_interrupts=%llu uart_interrupts=%llu uart_transmitted=%llu uart_received=%llu "
	    "uart_overruns=%llu",
	    vm->name, (unsigned long long)platform->pci.counters.accesses,
	    (unsigned long long)platform->pci.counters.absent,
	    (unsigned long long)platform->rtc.accesses,
	    (unsigned long long)platform->rtc.interrupts, (unsigned long long)vm->uart.interrupts,
	    (unsigned long long)uart->transmitted, (unsigned long long)uart->received,
	    (unsigned long long)uart->overruns);
}

size_t platform_format(const struct vm *vm, char *buffer, size_t size)
{
	const struct platform *platform = vm->platform;
	if (!platform)
		return 0;
	int n = format_string(buffer, size,
	                      " rsdp=0x%llx ioapic_accesses=%llu ioapic_deliveries=%llu "
	                      "pit_accesses=%llu pit_interrupts=%llu pic_accesses=%llu",
	                      (unsigned long long)vm->rsdp_address,
	                      (unsigned long long)platform->counters.ioapic_accesses,
	                      (unsigned long long)platform->vioapic.counters.deliveries,
	                      (unsigned long long)platform->counters.pit_accesses,
	                      (unsigned long long)platform->counters.pit_interrupts,
	                      (unsigned long long)platform->counters.pic_accesses);
	return n < 0 ? 0 : (size_t)n;
}
