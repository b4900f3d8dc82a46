/*
 * vmx/console.h - an xl-like console on the hypervisor's serial port.
 *
 * Commands (docs/console.md): Xen's xl subcommands (list, vcpu-list,
 * vcpu-pin, cpupool-list/-create/-destroy/-cpu-add/-cpu-remove/-migrate,
 * sched-credit, pause, unpause, destroy, dmesg, console) and uslice's
 * pcpu-list, exits, type. Typed on COM1 (one line each, `;` separates
 * several), they answer as Xen's xl prints (tables) followed by the
 * prompt; from the console_script= option, run every console_dump_ms=N
 * ms of hypervisor time from the boot CPU's timer (default script: list,
 * vcpu-list, cpupool-list -c; 0, the default, turns the dump off; below
 * 10 ms it is refused), they answer with machine-readable "XL ..." lines
 * (docs/output.md). `xl console VM` (typed only) sends what is typed to
 * VM's UART until Ctrl-]. Serial input is polled every 10 ms.
 *
 * Lock order: runs in the boot CPU's timer interrupt; takes the scheduler
 * lock (through vmx/schedule.c snapshots) and the log lock, one at a time.
 */
#ifndef VMX_CONSOLE_H
#define VMX_CONSOLE_H

#include <stdint.h>

#include "kernel/cmdline.h"

struct vm;

/* The hypervisor options the console reads (NULL-terminated). */
extern const char *const vmx_console_options[];

/* Returns 0, or -1 with the reason in `error` (bad option). */
int vmx_console_start(struct vm *const *vms, uint32_t vm_count, const struct cmdline *cmdline,
                      char *error, unsigned error_size);
void vmx_console_stop(void);
/* Run one command line (also used by the periodic dump). */
void vmx_console_execute(const char *line);

#endif /* VMX_CONSOLE_H */
