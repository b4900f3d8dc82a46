/*
 * vmx/console.h - an xl-like console on the hypervisor's serial port.
 *
 * Commands (one per line on COM1, or `;`-separated in the console_script=
 * command-line option; each answers with machine-readable "XL ..." lines,
 * docs/output.md):
 *   xl list                 the VMs: state, vCPUs, weight, pool, exits
 *   xl vcpu-list            every vCPU: pCPU, scheduler state, credit
 *   xl pcpu-list            every pCPU: scheduling decisions, idle
 *                           periods, slices by how they ended
 *   xl cpupool-list -c      every pool with its pCPUs (micro pools too)
 *   xl exits                VM exits by reason, per VM
 *   xl type VM TEXT         TEXT and a newline into VM's UART receive FIFO
 *                           (16 bytes; the rest is dropped, counted)
 *   help
 * console_dump_ms=N runs the script (default: list, vcpu-list,
 * cpupool-list -c) every N ms of hypervisor time, from the boot CPU's
 * timer; 0 (default) turns the periodic dump off, and below 10 ms it is
 * refused (a dump prints every VM and vCPU). Serial input is polled
 * at the same place every 10 ms.
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
