/*
 * vmx/run.h - creating the VMs of the boot configuration and running them.
 *
 * Every boot module whose name ends in ".cfg" defines one VM (vmx/config.h);
 * `kernel`, `ramdisk`, `symbols` and `rules` name other boot modules. The
 * scheduler (vmx/schedule.c, `sched=POLICY`, `pinned` among the policies)
 * runs the vCPUs on all pCPUs; it is the only execution model. The boot
 * CPU waits until every VM has finished, then prints one machine-readable
 * line per VM:
 *   VM name=a state=done|stopped status=S cause="..." cpu=N vcpus=N
 *      memory_mb=M exits_total=N exit_cpuid=N exit_<reason>=N ...
 *      msr_unknown=N io_unknown=N pause_yields=N results=N
 * plus "VMCONFIG file=... error=\"FILE:LINE: reason\"" for each rejected
 * configuration and "VMSTOP name=... cause=..." when a VM is stopped.
 *
 * Hypervisor command line: ple_gap=, ple_window= (TSC ticks; ple_gap=0
 * turns PLE off), vmx_corrupt_guest=NAME (test hook). A
 * malformed value refuses the run (VMXREFUSED), as do missing VMX
 * controls, overlapping boot modules and a scheduler configuration the
 * scheduler rejects (SCHEDREFUSED).
 *
 * Lock order: none held across calls; see vm.h.
 */
#ifndef VMX_RUN_H
#define VMX_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/boot_info.h"
#include "kernel/cmdline.h"
#include "vmx/capability.h"

/* True if a boot module is a VM configuration (name ends in ".cfg"). */
bool vmx_run_has_configuration(const struct boot_info *info);
/* True if `key` is a hypervisor option of vmx/: the VMX core's, the
 * scheduler's (vmx/schedule.h) or the console's (vmx/console.h). */
bool vmx_run_option_known(const char *key);

/* vmx_run() refused to run any VM (the reason is logged). */
#define VMX_RUN_REFUSED (-1)

/* Create, run and report every VM. Returns the number of VMs that did not
 * finish by powering off with status 0 (stopped, rejected, failed), or
 * VMX_RUN_REFUSED. */
int vmx_run(const struct boot_info *info, const struct cmdline *cmdline,
            const struct vmx_capability *capabilities);

#endif /* VMX_RUN_H */
