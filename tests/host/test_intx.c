/*
 * tests/host/test_intx.c - host tests of INTx forwarding (vmx/intx.c)
 * driving the real vIOAPIC and vLAPIC models the way vmx/assign_irq.c
 * does, against a fake level-triggered device and host IOAPIC pin (a
 * masked pin holds the interrupt; unmasking an asserted line delivers it
 * again, as Bochs's and real IOAPICs do); plus the host IOAPIC routing
 * rules (arch/x86/ioapic.c: MADT overrides, PCI/ISA defaults, entries).
 *
 * Table-driven: each row of intx_rows is a guest configuration and a
 * sequence of events with the counters and pin state expected after it.
 *
 * Lock order: none (single-threaded).
 */
#include "arch/x86/ioapic.h"
#include "vmx/intx.h"
#include "vmx/vioapic.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))
#define GUEST_VECTOR    0x64
#define GUEST_LINE      9
#define ENTRY_LEVEL     (VIOAPIC_ENTRY_LEVEL | VIOAPIC_ENTRY_ACTIVE_LOW | GUEST_VECTOR)
#define STORM_LIMIT     100

static struct vioapic ioapic;
static struct vlapic vlapic;
static struct vlapic *const vlapic_table[1] = {&vlapic};
static struct intx_line line;
static bool device_asserted, host_masked;
static unsigned handler_runs, host_interrupts;
static uint8_t guest_line;
static uint64_t now_tsc;

static void host_interrupt(void);

static void apply(unsigned actions)
{
	if (actions & INTX_DEASSERT)
		vioapic_set_irq(&ioapic, line.pin, false);
	if (actions & INTX_ASSERT) {
		vioapic_set_irq(&ioapic, line.pin, true);
		intx_delivered(&line, INTX_TARGET_RUNNING);
	}
	if (actions & INTX_UNMASK) {
		host_masked = false;
		host_interrupt(); /* an asserted level line delivers again at once */
	}
}

/* The host IOAPIC pin: delivers while unmasked and the line is asserted. */
static void host_interrupt(void)
{
	if (host_masked || !device_asserted || host_interrupts >= STORM_LIMIT)
		return;
	host_interrupts++;
	host_masked = true;
	apply(intx_physical(&line, guest_line, ioapic.redirection, now_tsc));
}

static void fake_eoi_broadcast(void *context, uint8_t vector)
{
	(void)context;
	unsigned actions = intx_eoi(&line, vector, ioapic.redirection);
	if (actions & INTX_DEASSERT)
		vioapic_set_irq(&ioapic, line.pin, false);
	vioapic_eoi(&ioapic, vector);
	apply(actions & ~INTX_DEASSERT);
}

static uint64_t fake_now(void *context)
{
	(void)context;
	return 0;
}
static void fake_timer_arm(void *context, uint64_t deadline)
{
	(void)context;
	(void)deadline;
}
static void fake_send_ipi(void *context, const struct vlapic_ipi *ipi)
{
	(void)context;
	(void)ipi;
}
static const struct vlapic_ops ops = {
    .now_tsc = fake_now,
    .timer_arm = fake_timer_arm,
    .send_ipi = fake_send_ipi,
    .eoi_broadcast = fake_eoi_broadcast,
};
static void deliver(void *context, unsigned index, const struct vlapic_ipi *ipi)
{
	(void)context;
	vlapic_deliver(vlapic_table[index], ipi);
}

static void write_entry(unsigned pin, uint64_t entry)
{
	vioapic_mmio_write(&ioapic, VIOAPIC_REGISTER_SELECT, 4,
	                   VIOAPIC_INDEX_REDIRECTION + 2 * pin);
	vioapic_mmio_write(&ioapic, VIOAPIC_WINDOW, 4, (uint32_t)entry);
	apply(intx_entry_written(&line, guest_line, ioapic.redirection));
}

/* Event letters of a row's script. */
enum {
	EV_PACKET = 'p', /* the device raises its line */
	EV_GUEST = 'g',  /* the guest takes its interrupts: handler acks the device, EOI */
	EV_LAZY = 'l',   /* one interrupt taken and EOIed without acking the device */
	EV_ACK = 'a',    /* the guest acks the device outside the handler (polling) */
	EV_UNMASK = 'u', /* the guest writes its entry level and unmasked */
	EV_EDGE = 'e',   /* the guest rewrites its entry as edge-triggered */
};

/* Take pending interrupts (only one if lazy: the handler does not ack the
 * device, so each EOI brings the next: paced by the guest, not a storm). */
static void guest_run(bool ack)
{
	int vector;
	vlapic_poll(&vlapic);
	for (unsigned taken = 0; (ack || !taken) && (vector = vlapic_pending_vector(&vlapic)) >= 0;
	     taken++) {
		vlapic_acknowledge(&vlapic, (uint8_t)vector);
		intx_injected(&line, (uint8_t)vector, now_tsc + 100);
		handler_runs++;
		if (ack)
			device_asserted = false; /* ICR read */
		vlapic_eoi(&vlapic);
		vlapic_poll(&vlapic);
	}
}

static void run_event(char event)
{
	switch (event) {
	case EV_PACKET:
		device_asserted = true;
		host_interrupt();
		break;
	case EV_GUEST:
	case EV_LAZY:
		guest_run(event == EV_GUEST);
		break;
	case EV_ACK:
		device_asserted = false;
		break;
	case EV_UNMASK:
		write_entry(GUEST_LINE, ENTRY_LEVEL);
		break;
	case EV_EDGE:
		write_entry(GUEST_LINE, GUEST_VECTOR);
		break;
	}
}

static const struct intx_row {
	const char *name;
	uint64_t entry; /* the guest's entry for GUEST_LINE at the start */
	uint8_t line;   /* the guest's interrupt line register */
	const char *script;
	unsigned physical, virqs, parked, unmasks, handlers;
	bool host_masked_at_end, asserted_at_end;
} intx_rows[] = {
    {"one packet: delivered, EOI unmasks", ENTRY_LEVEL, GUEST_LINE, "pg", 1, 1, 0, 1, 1, false,
     false},
    {"three packets, each handled", ENTRY_LEVEL, GUEST_LINE, "pgpgpg", 3, 3, 0, 3, 3, false, false},
    {"no EOI yet: the host pin stays masked (no storm)", ENTRY_LEVEL, GUEST_LINE, "pppp", 1, 1, 0,
     0, 0, true, true},
    {"EOI with the line still up: delivered again, nothing lost", ENTRY_LEVEL, GUEST_LINE, "plg", 2,
     2, 0, 2, 2, false, false},
    {"guest pin masked: parked until the guest unmasks it", ENTRY_LEVEL | VIOAPIC_ENTRY_MASKED,
     GUEST_LINE, "pug", 2, 1, 1, 2, 1, false, false},
    {"parked, then the guest polled the device: nothing comes", VIOAPIC_ENTRY_MASKED, GUEST_LINE,
     "pau", 1, 0, 1, 1, 0, false, false},
    {"edge-programmed pin: parked, level later", GUEST_VECTOR, GUEST_LINE, "pug", 2, 1, 1, 2, 1,
     false, false},
    {"interrupt line past the vIOAPIC: parked", ENTRY_LEVEL, VIOAPIC_PINS, "pg", 1, 0, 1, 0, 0,
     true, false},
    {"asserted, rewritten as edge: released without EOI", ENTRY_LEVEL, GUEST_LINE, "pae", 1, 1, 0,
     1, 0, false, false},
};

static void test_intx_rows(void)
{
	for (unsigned r = 0; r < ARRAY_LENGTH(intx_rows); r++) {
		const struct intx_row *row = &intx_rows[r];
		test_case_begin(row->name);
		memset(&line, 0, sizeof(line));
		device_asserted = host_masked = false;
		handler_runs = host_interrupts = 0;
		now_tsc = 1000;
		guest_line = row->line;
		vlapic_init(&vlapic, 0, &ops, NULL);
		vlapic.run_state = VLAPIC_RUN_ACTIVE;
		vlapic_mmio_write(&vlapic, VLAPIC_SVR, 4, 0x1ff);
		vioapic_init(&ioapic, 1, VIOAPIC_VERSION_82093, vlapic_table, 1, deliver, NULL);
		ioapic.redirection[GUEST_LINE] = row->entry;
		for (const char *e = row->script; *e; e++)
			run_event(*e);
		CHECK_EQ(line.counters.physical, row->physical);
		CHECK_EQ(line.counters.virqs, row->virqs);
		CHECK_EQ(line.counters.parked, row->parked);
		CHECK_EQ(line.counters.unmasks, row->unmasks);
		CHECK_EQ(handler_runs, row->handlers);
		CHECK_EQ(host_masked, row->host_masked_at_end);
		CHECK_EQ(line.asserted, row->asserted_at_end);
		CHECK(host_interrupts < STORM_LIMIT);
		test_case_end();
	}
}

static void test_intx_delay(void)
{
	test_case_begin("delay: physical interrupt -> injection of its vector");
	memset(&line, 0, sizeof(line));
	uint64_t redirection[VIOAPIC_PINS] = {0};
	redirection[GUEST_LINE] = ENTRY_LEVEL;
	CHECK_EQ(intx_physical(&line, GUEST_LINE, redirection, 5000), INTX_ASSERT);
	intx_injected(&line, GUEST_VECTOR + 1, 5050); /* another vector: no sample */
	CHECK_EQ(line.counters.delays, 0);
	intx_injected(&line, GUEST_VECTOR, 5100);
	intx_injected(&line, GUEST_VECTOR, 9000); /* a second injection: not the same interrupt */
	CHECK_EQ(line.counters.delays, 1);
	CHECK_EQ(line.counters.delay_max, 100);
	CHECK_EQ(line.counters.histogram[6], 1); /* [64, 128) */
	CHECK_EQ(intx_delay_percentile(&line.counters, 990), 100);
	CHECK_EQ(intx_eoi(&line, GUEST_VECTOR, redirection), 0); /* remote IRR clear: not ours */
	test_case_end();
}

static const struct route_row {
	const char *name;
	uint8_t irq;
	bool pci;
	int status;
	uint32_t gsi;
	bool level, active_low;
} route_rows[] = {
    {"PCI line, no override: identity, level, active low", 11, true, 0, 11, true, true},
    {"ISA IRQ, no override: identity, edge, active high", 4, false, 0, 4, false, false},
    {"IRQ 0 override to GSI 2, conforming: ISA default", 0, false, 0, 2, false, false},
    {"IRQ 9 override, level active high: the override wins", 9, true, 0, 9, true, false},
    {"IRQ 5 override to GSI 20, conforming: PCI default", 5, true, 0, 20, true, true},
    {"line 16 and up: no PIRQ gives it", 16, true, -1, 0, false, false},
};

static void test_ioapic_routes(void)
{
	struct acpi_info acpi;
	memset(&acpi, 0, sizeof(acpi));
	acpi.override_count = 3;
	acpi.overrides[0] = (struct acpi_override){0, 2, 0};
	acpi.overrides[1] = (struct acpi_override){
	    9, 9, IOAPIC_MPS_POLARITY_HIGH | IOAPIC_MPS_TRIGGER_LEVEL << IOAPIC_MPS_TRIGGER_SHIFT};
	acpi.overrides[2] = (struct acpi_override){5, 20, 0};
	for (unsigned r = 0; r < ARRAY_LENGTH(route_rows); r++) {
		const struct route_row *row = &route_rows[r];
		test_case_begin(row->name);
		struct ioapic_route route = {0};
		CHECK_EQ(ioapic_isa_route(&acpi, row->irq, row->pci, &route), row->status);
		if (!row->status) {
			CHECK_EQ(route.gsi, row->gsi);
			CHECK_EQ(route.level, row->level);
			CHECK_EQ(route.active_low, row->active_low);
		}
		test_case_end();
	}
	test_case_begin("entry: vector, trigger, polarity, mask, destination");
	struct ioapic_route route = {9, true, true, false};
	uint64_t entry = ioapic_entry(&route, 0x50, 3, true);
	CHECK_EQ(entry & IOAPIC_ENTRY_VECTOR_MASK, 0x50);
	CHECK(entry & IOAPIC_ENTRY_LEVEL);
	CHECK(entry & IOAPIC_ENTRY_ACTIVE_LOW);
	CHECK(entry & IOAPIC_ENTRY_MASKED);
	CHECK_EQ(entry >> IOAPIC_ENTRY_DEST_SHIFT, 3);
	test_case_end();
}

int main(void)
{
	test_intx_rows();
	test_intx_delay();
	test_ioapic_routes();
	return test_summary("test_intx");
}
