/*
 * vmx/console_commands.h - what each xl console command does and prints
 * (vmx/console.c reads lines and dispatches here). Two kinds of answers:
 * for a person typing on COM1, tables laid out as Xen's xl prints them
 * (xl list, vcpu-list, cpupool-list, sched-credit); for scripts and dumps
 * (console_script=, console_dump_ms=), the machine-readable "XL ..." lines
 * of docs/output.md. Errors are "XL error command=... reason=..." in both.
 *
 * Lock order: runs in the boot CPU's timer; takes the scheduler lock
 * (sched_* calls, snapshots) and the log lock, one at a time.
 */
#ifndef VMX_CONSOLE_COMMANDS_H
#define VMX_CONSOLE_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/xl_command.h"

struct vm;

struct console_context {
	struct vm *const *vms;
	uint32_t vm_count;
	bool human; /* typed on COM1: Xen's tables; else XL lines */
};

/* Run one parsed command; `line` is its text (for error lines). Returns
 * the VM whose console `xl console` attaches to, else NULL. */
struct vm *console_commands_run(const struct console_context *context,
                                const struct xl_command *command, const char *line);

/* "XL error command="LINE" reason="WHY"" */
void console_commands_error(const char *line, const char *why);

#endif /* VMX_CONSOLE_COMMANDS_H */
