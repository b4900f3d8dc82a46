/*
 * vmx/console.c - the xl-like console (see console.h): COM1 input, the
 * script and the periodic dump, `xl console VM` attachment; parsing is
 * vmx/xl_command.c, what each command does vmx/console_commands.c.
 *
 * Input (polled every CONSOLE_POLL_US from the boot CPU's timer): bytes
 * are collected into a line (backspace edits it); a complete line runs
 * with answers for people (Xen's tables), then the prompt is printed.
 * While attached to a VM (`xl console VM`), every byte goes to that VM's
 * UART receive FIFO (vuart_receive()) instead, until Ctrl-] (0x1d).
 *
 * Lock order: called from the boot CPU's timer with interrupts off; takes
 * the scheduler lock (snapshots, sched_* calls) and the log lock, never
 * both at once.
 */
#include "vmx/console.h"

#include <stdbool.h>

#include "arch/x86/uart.h"
#include "kernel/log.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "vmx/console_commands.h"
#include "vmx/vm.h"
#include "vmx/vuart.h"
#include "vmx/xl_command.h"

#define CONSOLE_POLL_US        10000
#define CONSOLE_SCRIPT_SIZE    256
#define CONSOLE_DUMP_MIN_MS    10u
#define CONSOLE_DUMP_MAX_MS    3600000u
#define CONSOLE_DEFAULT_SCRIPT "xl list; xl vcpu-list; xl cpupool-list -c"
#define CONSOLE_PROMPT         "uslice> "
#define CONSOLE_BACKSPACE      0x08
#define CONSOLE_DELETE         0x7f
#define CONSOLE_INPUT_BURST    64 /* bytes per VM FIFO hand-over */
#define CONSOLE_NS_PER_US      1000ull
#define CONSOLE_NS_PER_MS      1000000ull

static struct vm *const *console_vms;
static uint32_t console_vm_count;
static struct timer console_timer;
static bool console_running;
static uint64_t console_dump_interval; /* TSC ticks, 0 = no dump */
static uint64_t console_next_dump;
static uint64_t console_dumps;
static char console_script[CONSOLE_SCRIPT_SIZE] = CONSOLE_DEFAULT_SCRIPT;
static char console_input[XL_LINE_SIZE];
static unsigned console_input_length;
static struct vm *console_attached; /* xl console VM: input goes there */

/* Run one command (blanks around it ignored); `human`: typed on COM1. */
static void console_command(const char *start, size_t length, bool human)
{
	static struct xl_command command;
	char line[XL_LINE_SIZE], why[XL_LINE_SIZE];
	while (length && (*start == ' ' || *start == '\t')) {
		start++;
		length--;
	}
	while (length &&
	       (start[length - 1] == ' ' || start[length - 1] == '\t' || start[length - 1] == '\r'))
		length--;
	if (length == 0)
		return;
	if (length >= sizeof(line))
		length = sizeof(line) - 1;
	memcpy(line, start, length);
	line[length] = '\0';
	if (xl_command_parse(line, &command, why, sizeof(why)) != 0) {
		console_commands_error(line, why);
		return;
	}
	struct console_context context = {console_vms, console_vm_count, human};
	struct vm *attach = console_commands_run(&context, &command, line);
	if (attach)
		console_attached = attach; /* only for a person (human) */
}

static void console_execute(const char *line, bool human)
{
	const char *start = line;
	for (const char *p = line;; p++) {
		if (*p == ';' || *p == '\0' || *p == '\n') {
			console_command(start, (size_t)(p - start), human);
			start = p + 1;
		}
		if (*p == '\0')
			break;
	}
}

void vmx_console_execute(const char *line)
{
	console_execute(line, false);
}

/* Attached: bytes to the VM's UART until Ctrl-]. */
static void console_forward(int byte)
{
	uint8_t b = (uint8_t)byte;
	if (byte == XL_ESCAPE_BYTE) {
		log_record("XL console vm=%s detached=yes", console_attached->name);
		console_attached = NULL;
		log_record("%s", CONSOLE_PROMPT);
		return;
	}
	if (console_attached->state != VM_STATE_RUNNING) {
		log_record("XL console vm=%s detached=yes reason=ended", console_attached->name);
		console_attached = NULL;
		log_record("%s", CONSOLE_PROMPT);
		return;
	}
	if (b == '\r')
		b = '\n';
	vuart_receive(console_attached, &b, 1);
}

static void console_poll_input(void)
{
	int byte;
	unsigned taken = 0;
	while (taken++ < CONSOLE_INPUT_BURST && (byte = uart_read()) >= 0) {
		if (console_attached) {
			console_forward(byte);
		} else if (byte == '\r' || byte == '\n') {
			console_input[console_input_length] = '\0';
			if (console_input_length) {
				console_execute(console_input, true);
				if (!console_attached)
					log_record("%s", CONSOLE_PROMPT);
			}
			console_input_length = 0;
		} else if (byte == CONSOLE_BACKSPACE || byte == CONSOLE_DELETE) {
			if (console_input_length)
				console_input_length--;
		} else if (byte >= ' ' && console_input_length + 1 < sizeof(console_input)) {
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
		           (unsigned long long)(timer_tsc_to_ns(now) / CONSOLE_NS_PER_MS));
		vmx_console_execute(console_script);
		console_next_dump = now + console_dump_interval;
	}
	timer_start(timer, now + timer_ns_to_tsc(CONSOLE_POLL_US * CONSOLE_NS_PER_US), console_tick,
	            NULL);
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
	console_dump_interval = timer_ns_to_tsc(dump_ms * CONSOLE_NS_PER_MS);
	console_next_dump = timer_now() + console_dump_interval;
	console_running = true;
	log_record("%s", CONSOLE_PROMPT);
	timer_start(&console_timer,
	            timer_now() + timer_ns_to_tsc(CONSOLE_POLL_US * CONSOLE_NS_PER_US),
	            console_tick, NULL);
	return 0;
}

void vmx_console_stop(void)
{
	console_running = false;
	timer_cancel(&console_timer);
}
