/*
 * kernel/main.c - the hypervisor's start: from boot_info to a running
 * machine. This file is the composition root: it is the one place that
 * calls into every layer (arch/x86, kernel services, vmx) in order.
 *
 * Boot CPU sequence: console -> command line -> per-CPU data and traps ->
 * page allocator -> ACPI -> page tables -> LAPIC and calibration -> VMX
 * probe -> APs -> BOOT line -> requested self-tests -> VMs (vmx_run, when
 * VMX is usable and a VM configuration module is given) -> HALT.
 *
 * Output contract (one line each, machine readable, see docs/output.md):
 *   BOOT path=... cpus_online=N mem_mb=M tsc_khz=K vmx=yes|no ept=... tsc=T
 *   VMX cpu=N ...          per CPU capability report
 *   HALT reason=...        last line of every run
 *
 * Lock order: none held here; see each module.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/pci_host.h"
#include "arch/x86/pic.h"
#include "arch/x86/pit.h"
#include "arch/x86/power.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "arch/x86/uart.h"
#include "boot/boot_info.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "vmx/capability.h"
#include "vmx/run.h"

#define KERNEL_LAPIC_DEFAULT_BASE 0xfee00000ull /* when the MADT names none */
#define KERNEL_MMIO_PAGE          4096
#define KERNEL_CALIBRATION_MS     10      /* PIT channel 2 window */
#define KERNEL_TSC_KHZ_FALLBACK   1000000 /* if calibration fails: 1 GHz */
#define KERNEL_FAULT_WAIT_US      1000000 /* fault=: time for the AP to report */

static struct boot_info kernel_boot_info;
static struct cmdline kernel_cmdline;
static struct acpi_info kernel_acpi;
static struct vmx_capability kernel_vmx[PERCPU_MAX_CPUS];
static volatile uint32_t kernel_fault_cpu = UINT32_MAX;

static const void *kernel_acpi_map(void *context, uint64_t physical, uint64_t length)
{
	(void)context;
	(void)length;
	return (const void *)(uintptr_t)physical;
}

static void kernel_timer_interrupt(struct trap_frame *frame)
{
	(void)frame;
	timer_interrupt();
}

static void kernel_reschedule_interrupt(struct trap_frame *frame)
{
	(void)frame;
}

static void kernel_ap_started(uint32_t cpu)
{
	vmx_capability_probe(&kernel_vmx[cpu]);
}

/* An option nobody reads is a typo (`shed=credit`): stop, naming it. */
static void kernel_check_options(const struct cmdline *line)
{
	static const char *const kernel_options[] = {"log", "debug_exit", "x2apic", "fault"};
	for (unsigned i = 0; i < line->count; i++) {
		const char *key = line->entries[i].key;
		bool known = vmx_run_option_known(key);
		for (unsigned k = 0; k < sizeof(kernel_options) / sizeof(kernel_options[0]); k++)
			known |= strcmp(kernel_options[k], key) == 0;
		if (!known)
			panic_with_reason("bad-cmdline",
			                  "command line: unknown option \"%s\" (docs/vmx.md and "
			                  "docs/scheduler.md list the options)",
			                  key);
	}
}

static __attribute__((noreturn)) void kernel_halt(const char *reason, int status)
{
	log_report();
	log_stop_drain(); /* every line before HALT, which is written synchronously */
	log_record("HALT reason=%s tsc=%llu", reason, (unsigned long long)arch_tsc_read());
	power_off(status);
}

static void kernel_deliberate_fault(void *argument)
{
	(void)argument;
	log_info("taking a deliberate page fault (fault=ap)");
	/* Page 0 is not mapped: this write must fault. */
	uintptr_t address = 8;
	__asm__ volatile("" : "+r"(address)); /* hide the constant from the optimizer */
	*(volatile uint64_t *)address = 0x5ca1ab1e;
	log_error("deliberate fault did not fault");
}

static void kernel_report_vmx(uint32_t cpus)
{
	char line[512];
	for (uint32_t cpu = 0; cpu < cpus; cpu++) {
		const struct vmx_capability *c = &kernel_vmx[cpu];
		if (!percpu_cpus[cpu].online)
			continue;
		int n = format_string(line, sizeof(line), "VMX cpu=%u vmx=%s", cpu,
		                      c->cpu_has_vmx ? "yes" : "no");
		if (c->cpu_has_vmx) {
			n += format_string(line + n, sizeof(line) - (size_t)n,
			                   " feature_control=0x%llx revision=0x%x true_controls=%s",
			                   (unsigned long long)c->feature_control, c->revision,
			                   c->true_controls ? "yes" : "no");
			for (int f = 0; f < VMX_FEATURE_COUNT && (size_t)n < sizeof(line); f++)
				n += format_string(line + n, sizeof(line) - (size_t)n, " %s=%s",
				                   vmx_feature_name((enum vmx_feature)f),
				                   c->features[f] ? "yes" : "no");
		}
		log_record("%s", line);
	}
}

static uint64_t kernel_memory_top(const struct boot_info *info)
{
	uint64_t top = 0;
	for (uint32_t i = 0; i < info->memory_region_count; i++) {
		const struct boot_memory_region *r = &info->memory[i];
		if (r->type == BOOT_MEMORY_USABLE && r->base + r->length > top)
			top = r->base + r->length;
	}
	return top;
}

static const char *kernel_path_name(uint32_t path)
{
	return path == BOOT_PATH_MULTIBOOT2 ? "multiboot2"
	       : path == BOOT_PATH_UEFI     ? "uefi"
	                                    : "unknown";
}

/* The command line and what must be known before anything else: log level
 * and the QEMU debug-exit port (returned). Stops on any bad option. */
static uint16_t kernel_parse_options(const struct boot_info *info)
{
	char error[160];
	if (cmdline_parse(&kernel_cmdline, info->cmdline, error, sizeof(error)) != 0)
		panic_with_reason("bad-cmdline", "command line: %s", error);
	kernel_check_options(&kernel_cmdline);
	const char *level = cmdline_get(&kernel_cmdline, "log");
	if (level) {
		if (log_level_from_name(level) < 0)
			panic_with_reason(
			    "bad-cmdline",
			    "command line: log=%s is not error, warning, info or debug", level);
		log_set_level((enum log_level)log_level_from_name(level));
	}
	uint64_t debug_exit_port;
	if (cmdline_get_number(&kernel_cmdline, "debug_exit", 0, 0xffff, &debug_exit_port, error,
	                       sizeof(error)) != 0)
		panic_with_reason("bad-cmdline", "command line: %s", error);
	return (uint16_t)debug_exit_port;
}

/* Memory, ACPI (then power-off and panic's NMI stop), the page tables.
 * Returns the LAPIC's physical base. */
static uint64_t kernel_init_platform(const struct boot_info *info, uint16_t debug_exit_port)
{
	char error[160];
	if (memory_init(info, error, sizeof(error)) != 0)
		panic_with_reason("no-memory", "memory: %s", error);
	smp_install_trampoline();

	struct acpi_memory acpi_memory = {kernel_acpi_map, NULL};
	uint64_t rsdp =
	    info->rsdp_physical ? info->rsdp_physical : acpi_find_rsdp_legacy(&acpi_memory);
	if (!rsdp)
		panic_with_reason("no-acpi", "ACPI: no RSDP found");
	if (acpi_parse(&kernel_acpi, rsdp, &acpi_memory, error, sizeof(error)) != 0)
		panic_with_reason("bad-acpi", "ACPI: %s", error);
	power_init(&kernel_acpi, debug_exit_port);
	struct panic_hooks hooks = {smp_stop_others, power_off};
	panic_set_hooks(&hooks);

	paging_init(kernel_memory_top(info), SMP_TRAMPOLINE_CODE);
	uint64_t lapic_base =
	    kernel_acpi.lapic_address ? kernel_acpi.lapic_address : KERNEL_LAPIC_DEFAULT_BASE;
	paging_map_uncached(lapic_base, KERNEL_MMIO_PAGE);
	for (uint32_t i = 0; i < kernel_acpi.ioapic_count; i++)
		paging_map_uncached(kernel_acpi.ioapics[i].address, KERNEL_MMIO_PAGE);
	return lapic_base;
}

/* The LAPIC, TSC and timer calibration, interrupts on, asynchronous log. */
static void kernel_init_time(uint64_t lapic_base)
{
	const char *x2apic = cmdline_get(&kernel_cmdline, "x2apic");
	lapic_init_boot(!x2apic || strcmp(x2apic, "0") != 0, lapic_base);
	lapic_init_cpu();
	struct pit_calibration calibration = pit_calibrate(KERNEL_CALIBRATION_MS);
	timer_tsc_khz = calibration.tsc_khz ? calibration.tsc_khz : KERNEL_TSC_KHZ_FALLBACK;
	lapic_timer_set_rate(calibration.lapic_ticks_per_mega_tsc);
	trap_register(TRAP_VECTOR_TIMER, kernel_timer_interrupt);
	trap_register(TRAP_VECTOR_RESCHEDULE, kernel_reschedule_interrupt);
	timer_set_hardware(lapic_timer_arm);
	arch_interrupts_enable();
	log_start_drain(); /* log output is asynchronous from here (kernel/log.c) */
	log_info(
	    "memory: %llu MiB usable, %llu MiB free; ACPI %s rev %u, %u CPUs in MADT, %u IOAPICs",
	    (unsigned long long)memory_total_mb(), (unsigned long long)memory_free_mb(),
	    kernel_acpi.oem_id, kernel_acpi.revision, kernel_acpi.cpu_count,
	    kernel_acpi.ioapic_count);
	log_info("time: TSC %llu kHz, LAPIC timer %s (%llu ticks per 2^20 TSC), %s mode",
	         (unsigned long long)timer_tsc_khz,
	         lapic_tsc_deadline_mode() ? "TSC-deadline" : "one-shot",
	         (unsigned long long)calibration.lapic_ticks_per_mega_tsc,
	         lapic_x2apic_mode() ? "x2APIC" : "xAPIC");
}

static const char *kernel_yes_no(bool value)
{
	return value ? "yes" : "no";
}

/* The BOOT line (docs/output.md) once every CPU is up. */
static void kernel_report_boot(const struct boot_info *info, uint32_t online, uint64_t boot_tsc)
{
	const struct vmx_capability *c = &kernel_vmx[0];
	uint64_t now = arch_tsc_read();
	log_record("BOOT path=%s cpus_online=%u cpus_found=%u mem_mb=%llu tsc_khz=%llu "
	           "vmx=%s ept=%s vpid=%s ug=%s ple=%s preempt_timer=%s tpr_shadow=%s "
	           "apic_access=%s x2apic=%s hypervisor=%s tsc=%llu boot_ticks=%llu",
	           kernel_path_name(info->path), online, percpu_cpu_count,
	           (unsigned long long)memory_total_mb(), (unsigned long long)timer_tsc_khz,
	           kernel_yes_no(c->cpu_has_vmx && c->feature_control_ok),
	           kernel_yes_no(c->features[VMX_FEATURE_EPT]),
	           kernel_yes_no(c->features[VMX_FEATURE_VPID]),
	           kernel_yes_no(c->features[VMX_FEATURE_UNRESTRICTED_GUEST]),
	           kernel_yes_no(c->features[VMX_FEATURE_PAUSE_LOOP_EXITING]),
	           kernel_yes_no(c->features[VMX_FEATURE_PREEMPTION_TIMER]),
	           kernel_yes_no(c->features[VMX_FEATURE_TPR_SHADOW]),
	           kernel_yes_no(c->features[VMX_FEATURE_APIC_ACCESS]),
	           kernel_yes_no(lapic_x2apic_mode()), power_hypervisor_name(),
	           (unsigned long long)now, (unsigned long long)(now - boot_tsc));
	kernel_report_vmx(percpu_cpu_count);
}

/* fault=ap|N: a deliberate page fault on that CPU (the exception path's
 * test); never returns when asked for. */
static void kernel_fault_test(void)
{
	const char *fault = cmdline_get(&kernel_cmdline, "fault");
	if (!fault)
		return;
	uint64_t target = 1;
	if (strcmp(fault, "ap") != 0 && cmdline_parse_number(fault, &target) != 0)
		panic_with_reason("bad-cmdline",
		                  "command line: fault=%s is not \"ap\" or a CPU number", fault);
	if (target >= percpu_cpu_count || !percpu_cpus[target].online)
		panic_with_reason("bad-cmdline", "command line: fault=%s: no such CPU online",
		                  fault);
	kernel_fault_cpu = (uint32_t)target;
	if (target == 0)
		kernel_deliberate_fault(NULL);
	smp_call((uint32_t)target, kernel_deliberate_fault, NULL);
	timer_delay_us(KERNEL_FAULT_WAIT_US);
	panic("fault=%s: CPU %llu did not report its fault", fault, (unsigned long long)target);
}

/* Every online CPU can run VMX, or the run stops with NOVMX. */
static void kernel_require_vmx(void)
{
	for (uint32_t cpu = 0; cpu < percpu_cpu_count; cpu++) {
		if (!percpu_cpus[cpu].online || kernel_vmx[cpu].usable)
			continue;
		char why[200];
		vmx_capability_explain(&kernel_vmx[cpu], why, sizeof(why));
		log_record("NOVMX cpu=%u reason=\"%s\"", cpu, why);
		kernel_halt("no-vmx", PANIC_STATUS_NO_VMX);
	}
}

void kernel_main(const struct boot_info *info)
{
	memcpy(&kernel_boot_info, info, sizeof(kernel_boot_info));
	info = &kernel_boot_info;
	uint64_t boot_tsc = arch_tsc_read();
	uart_init(UART_COM1, UART_BAUD);
	struct log_console console = {uart_write, uart_transmit, uart_fifo_drain_ns()};
	log_set_console(&console);
	percpu_install(0);
	percpu_ready = true;
	trap_init_cpu(0);
	pic_disable();
	log_info("uslice starting: path=%s loader=\"%s\" cmdline=\"%s\"",
	         kernel_path_name(info->path), info->loader_name, info->cmdline);

	/* Until ACPI is parsed, power-off can only use the emulator ports. */
	power_init(&kernel_acpi, 0);
	struct panic_hooks early_hooks = {NULL, power_off};
	panic_set_hooks(&early_hooks);

	uint16_t debug_exit_port = kernel_parse_options(info);
	uint64_t lapic_base = kernel_init_platform(info, debug_exit_port);
	kernel_init_time(lapic_base);
	vmx_capability_probe(&kernel_vmx[0]);
	uint32_t online = smp_start(&kernel_acpi, kernel_ap_started);
	kernel_report_boot(info, online, boot_tsc);
	pci_host_init(&kernel_acpi);
	ioapic_init(&kernel_acpi);
	kernel_fault_test();
	kernel_require_vmx();
	if (vmx_run_has_configuration(info) &&
	    vmx_run(info, &kernel_cmdline, kernel_vmx) == VMX_RUN_REFUSED)
		kernel_halt("refused", PANIC_STATUS_REFUSED);
	kernel_halt("done", PANIC_STATUS_DONE);
}
