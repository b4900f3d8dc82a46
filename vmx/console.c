/*
 * vmx/console.c - the xl-like console (see console.h).
 *
 * Lock order: called from the boot CPU's timer with interrupts off; takes
 * the scheduler lock (snapshots) and the log lock, never both at once.
 */
#include "vmx/console.h"

#include <stdbool.h>

#include "arch/x86/uart.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "vmx/exit.h"
#include "vmx/schedule.h"
#include "vmx/vm.h"
#include "vmx/vuart.h"

#define CONSOLE_POLL_US        10000
#define CONSOLE_LINE_SIZE      128
#define CONSOLE_SCRIPT_SIZE    256
#define CONSOLE_DUMP_MIN_MS    10u
#define CONSOLE_DUMP_MAX_MS    3600000u
#define CONSOLE_DEFAULT_SCRIPT "xl list; xl vcpu-list; xl cpupool-list -c"

static struct vm *const *console_vms;
static uint32_t console_vm_count;
static struct timer console_timer;
static bool console_running;
static uint64_t console_dump_interval; /* TSC ticks, 0 = no dump */
static uint64_t console_next_dump;
static uint64_t console_dumps;
static char console_script[CONSOLE_SCRIPT_SIZE] = CONSOLE_DEFAULT_SCRIPT;
static char console_input[CONSOLE_LINE_SIZE];
static unsigned console_input_length;

static void console_list(void)
{
	for (uint32_t i = 0; i < console_vm_count; i++) {
		const struct vm *vm = console_vms[i];
		uint64_t run_us = 0;
		for (uint32_t v = 0; v < vm->vcpu_count; v++) {
			struct vmx_schedule_vcpu_view view;
			if (vm->vcpus[v]) {
				vmx_schedule_vcpu_view(vm->vcpus[v], &view);
				run_us += view.run_us;
			}
		}
		log_record("XL vm name=%s id=%u state=%s vcpus=%u weight=%u pool=%s memory_mb=%llu "
		           "exits=%llu run_ms=%llu",
		           vm->name, vm->id, vm_state_name(vm->state), vm->vcpu_count, vm->weight,
		           vm->pool_name[0] ? vm->pool_name : "Pool-0",
		           (unsigned long long)(vm->memory_size >> 20),
		           (unsigned long long)vm_exit_count(vm, -1),
		           (unsigned long long)(run_us / 1000));
	}
}

static void console_vcpu_list(void)
{
	for (uint32_t i = 0; i < console_vm_count; i++) {
		const struct vm *vm = console_vms[i];
		for (uint32_t v = 0; v < vm->vcpu_count; v++) {
			if (!vm->vcpus[v])
				continue;
			struct vmx_schedule_vcpu_view view;
			vmx_schedule_vcpu_view(vm->vcpus[v], &view);
			log_record("XL vcpu vm=%s vcpu=%u pcpu=%d state=%s credit=%lld priority=%d "
			           "run_ms=%llu micro_run_us=%llu exits=%llu",
			           vm->name, v, view.pcpu, view.state, (long long)view.credit,
			           view.priority, (unsigned long long)(view.run_us / 1000),
			           (unsigned long long)view.micro_run_us,
			           (unsigned long long)vm->vcpus[v]->exits_total);
		}
	}
}

static void console_cpupool_list(void)
{
	struct vmx_schedule_pool_view pools[8];
	unsigned count = vmx_schedule_pool_views(pools, 8);
	for (unsigned i = 0; i < count && i < 8; i++) {
		char cpus[200];
		int n = 0;
		cpus[0] = '\0';
		for (unsigned cpu = 0; cpu < 64 && (size_t)n < sizeof(cpus); cpu++)
			if (pools[i].pcpu_mask & (1ull << cpu))
				n += format_string(cpus + n, sizeof(cpus) - (size_t)n, "%s%u",
				                   n ? "," : "", cpu);
		log_record("XL cpupool name=%s policy=%s micro=%s pcpus=%s vms=%u", pools[i].name,
		           pools[i].policy, pools[i].micro ? "yes" : "no", n ? cpus : "-",
		           pools[i].vm_count);
	}
}

static void console_pcpu_list(void)
{
	for (uint32_t cpu = 0; cpu < percpu_cpu_count; cpu++) {
		if (!percpu_cpus[cpu].online)
			continue;
		struct vmx_schedule_pcpu_view v;
		vmx_schedule_pcpu_view(cpu, &v);
		log_record("XL pcpu pcpu=%u decisions=%llu idles=%llu deadline=%llu kick=%llu "
		           "block=%llu yield=%llu stop=%llu",
		           cpu, (unsigned long long)v.decisions, (unsigned long long)v.idles,
		           (unsigned long long)v.leaves[VMX_LEAVE_DEADLINE],
		           (unsigned long long)v.leaves[VMX_LEAVE_KICK],
		           (unsigned long long)v.leaves[VMX_LEAVE_BLOCK],
		           (unsigned long long)v.leaves[VMX_LEAVE_YIELD],
		           (unsigned long long)v.leaves[VMX_LEAVE_STOP]);
	}
}

static void console_exits(void)
{
	for (uint32_t i = 0; i < console_vm_count; i++) {
		const struct vm *vm = console_vms[i];
		char line[512];
		int n = format_string(line, sizeof(line), "XL exits vm=%s total=%llu", vm->name,
		                      (unsigned long long)vm_exit_count(vm, -1));
		for (int reason = 0; reason < VMX_EXIT_REASON_COUNT && (size_t)n < sizeof(line);
		     reason++) {
			uint64_t count = vm_exit_count(vm, reason);
			if (count)
				n += format_string(line + n, sizeof(line) - (size_t)n, " %s=%llu",
				                   vmx_exit_name((uint32_t)reason),
				                   (unsigned long long)count);
		}
		log_record("%s", line);
	}
}

/* "xl type VM TEXT": TEXT and a newline into VM's UART receive FIFO, as
 * if typed on its serial line (what does not fit the FIFO is dropped and
 * counted in the answer). */
static void console_type(const char *arguments)
{
	char name[VM_CONFIG_NAME_SIZE];
	size_t n = 0;
	while (arguments[n] && arguments[n] != ' ' && n + 1 < sizeof(name)) {
		name[n] = arguments[n];
		n++;
	}
	name[n] = '\0';
	const char *text = arguments[n] == ' ' ? arguments + n + 1 : arguments + n;
	for (uint32_t i = 0; i < console_vm_count; i++) {
		struct vm *vm = console_vms[i];
		if (strcmp(vm->name, name) != 0)
			continue;
		uint8_t bytes[CONSOLE_LINE_SIZE];
		size_t length = string_copy((char *)bytes, text, sizeof(bytes) - 1);
		if (length > sizeof(bytes) - 2)
			length = sizeof(bytes) - 2;
		bytes[length++] = '\n';
		size_t taken = vuart_receive(vm, bytes, length);
		log_record("XL type vm=%s bytes=%zu taken=%zu", vm->name, length, taken);
		return;
	}
	log_record("XL error command=\"xl type\" reason=\"no VM named '%s'\"", name);
}

/* Run one command (leading/trailing blanks ignored). */
static void console_command(const char *start, size_t length)
{
	while (length && (*start == ' ' || *start == '\t')) {
		start++;
		length--;
	}
	while (length &&
	       (start[length - 1] == ' ' || start[length - 1] == '\t' || start[length - 1] == '\r'))
		length--;
	char command[CONSOLE_LINE_SIZE];
	if (length == 0)
		return;
	if (length >= sizeof(command))
		length = sizeof(command) - 1;
	memcpy(command, start, length);
	command[length] = '\0';
	if (strcmp(command, "xl list") == 0)
		console_list();
	else if (strcmp(command, "xl vcpu-list") == 0)
		console_vcpu_list();
	else if (strcmp(command, "xl cpupool-list -c") == 0 ||
	         strcmp(command, "xl cpupool-list") == 0)
		console_cpupool_list();
	else if (strcmp(command, "xl pcpu-list") == 0)
		console_pcpu_list();
	else if (strcmp(command, "xl exits") == 0)
		console_exits();
	else if (strncmp(command, "xl type ", 8) == 0)
		console_type(command + 8);
	else if (strcmp(command, "help") == 0)
		log_record("XL help commands=\"xl list; xl vcpu-list; xl pcpu-list; xl "
		           "cpupool-list -c; xl exits; xl type VM TEXT\"");
	else
		log_record("XL error command=\"%s\" reason=\"unknown command (try help)\"",
		           command);
}

void vmx_console_execute(const char *line)
{
	const char *start = line;
	for (const char *p = line;; p++) {
		if (*p == ';' || *p == '\0' || *p == '\n') {
			console_command(start, (size_t)(p - start));
			start = p + 1;
		}
		if (*p == '\0')
			break;
	}
}

static void console_poll_input(void)
{
	int byte;
	while ((byte = uart_read()) >= 0) {
		if (byte == '\r' || byte == '\n') {
			console_input[console_input_length] = '\0';
			if (console_input_length)
				vmx_console_execute(console_input);
			console_input_length = 0;
		} else if (console_input_length + 1 < sizeof(console_input)) {
			console_input[console_input_length++] = (char)byte;
		}
	}
}

static void console_tick(struct timer *timer, void *context)
{
	(void)context;
	if (!console_running)
		return;
	console_poll_input();
	uint64_t now = timer_now();
	if (console_dump_interval && now >= console_next_dump) {
		console_dumps++;
		log_record("XL dump n=%llu t_ms=%llu", (unsigned long long)console_dumps,
		           (unsigned long long)(timer_tsc_to_ns(now) / 1000000));
		vmx_console_execute(console_script);
		console_next_dump = now + console_dump_interval;
	}
	timer_start(timer, now + timer_ns_to_tsc(CONSOLE_POLL_US * 1000ull), console_tick, NULL);
}

const char *const vmx_console_options[] = {"console_dump_ms", "console_script", NULL};

int vmx_console_start(struct vm *const *vms, uint32_t vm_count, const struct cmdline *cmdline,
                      char *error, unsigned error_size)
{
	console_vms = vms;
	console_vm_count = vm_count;
	uint64_t dump_ms;
	if (cmdline_get_number(cmdline, "console_dump_ms", 0, CONSOLE_DUMP_MAX_MS, &dump_ms, error,
	                       error_size))
		return -1;
	if (dump_ms && dump_ms < CONSOLE_DUMP_MIN_MS) {
		/* A dump prints every VM and vCPU: more often would be all the
		 * machine does (and the run would never end). */
		format_string(
		    error, error_size,
		    "console_dump_ms=%llu is below the minimum of %u ms (0 turns dumps off)",
		    (unsigned long long)dump_ms, CONSOLE_DUMP_MIN_MS);
		return -1;
	}
	const char *script = cmdline_get(cmdline, "console_script");
	if (script &&
	    string_copy(console_script, script, sizeof(console_script)) >= sizeof(console_script)) {
		format_string(error, error_size, "console_script is longer than %d characters",
		              CONSOLE_SCRIPT_SIZE - 1);
		return -1;
	}
	console_dump_interval = timer_ns_to_tsc(dump_ms * 1000000ull);
	console_next_dump = timer_now() + console_dump_interval;
	console_running = true;
	timer_start(&console_timer, timer_now() + timer_ns_to_tsc(CONSOLE_POLL_US * 1000ull),
	            console_tick, NULL);
	return 0;
}

void vmx_console_stop(void)
{
	console_running = false;
	timer_cancel(&console_timer);
}
