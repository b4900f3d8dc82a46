/*
 * vmx/config.h - VM definitions in a subset of Xen's xl.cfg syntax.
 *
 * One file defines one VM. Grammar (per line): blank, `# comment`, or
 * `key = value` with an optional trailing `# comment`; value is a string in
 * double or single quotes (no escapes, no newlines) or an unsigned decimal
 * or 0x-hex number. Keys (each at most once):
 *   name    string, required, [A-Za-z0-9_.-], 1..31 characters
 *   kernel  string, required: the boot module holding the guest kernel
 *   vcpus   number 1..SCHED_MAX_VCPUS_PER_VM (default 1)
 *   memory  number of MiB, 4..65536 (default 32)
 *   ramdisk string: a boot module: a Multiboot module, or a bzImage's initrd
 *   cmdline string: the guest kernel's command line
 *   extra   string: appended to the command line (after a space when
 *           cmdline is given too; see vm_config_command_line())
 *   pool    string: cpupool name (default "Pool-0")
 *   symbols string: the boot module holding the guest's System.map
 *   weight  number 1..65535: credit scheduler weight (default 256)
 *   rules   string: critical-function rules for the symbols, a built-in set
 *           ("linux-6.x", "linux-4.4") or a boot module holding a rules
 *           file (docs/classification.md); default "linux-6.x"
 *   pci     list of strings, each a host PCI function "BB:DD.F" (hex; an
 *           optional "0000:" domain) given to the VM (docs/devices.md,
 *           "Device assignment"), e.g. pci = [ "00:02.0" ]; at most
 *           VM_CONFIG_PCI_MAX, none twice; the list is on one line, a
 *           trailing comma is allowed. Lists are refused for every key but
 *           pci and cpus.
 *   cpuid   string in xl.cfg's libxl form, "host" then ",feature=0" items
 *           that hide a host feature from the VM: rdrand, rdseed (so far the
 *           only ones; a feature may only be hidden, never forced on), e.g.
 *           cpuid = "host,rdrand=0,rdseed=0" (Bochs's RDRAND draws host
 *           randomness: hiding it keeps a guest's run deterministic).
 *   cpus    hard affinity (xl.cfg): a string "all" or "N,N-M,..." (pCPU
 *           numbers below SCHED_MAX_PCPUS) for every vCPU, or a list of
 *           such strings, item i for vCPU i (vCPUs past the list are not
 *           pinned; more items than vcpus is an error), e.g. cpus = "2",
 *           cpus = [ "1-2", "0" ]. Applied when the VM's vCPUs are
 *           created (vmx_cpupools_pin_config(): a pCPU that does not exist
 *           or lies outside the VM's cpupool and its micro-sliced child is
 *           refused with FILE:LINE there).
 * Anything else (unknown keys, lists, duplicates, bad numbers, unterminated
 * strings) is rejected with "FILE:LINE: reason".
 *
 * Hardware independent (no kernel includes): compiled into the host tests.
 * Lock order: none.
 */
#ifndef VMX_CONFIG_H
#define VMX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/sched.h" /* SCHED_MAX_VCPUS_PER_VM: one vCPU limit for all */

#define VM_CONFIG_NAME_SIZE   32
#define VM_CONFIG_STRING_SIZE 128
#define VM_CONFIG_EXTRA_SIZE  256
/* cmdline + ' ' + extra + NUL */
#define VM_CONFIG_COMMAND_LINE_SIZE (2 * VM_CONFIG_EXTRA_SIZE)
#define VM_CONFIG_PCI_MAX           4 /* assigned PCI functions per VM */
#define VM_CONFIG_PCI_DEVICE_MAX    31
#define VM_CONFIG_PCI_FUNCTION_MAX  7
/* cpuid = "host,...": the host features a VM's CPUID hides (vmx/cpuid.c). */
#define VM_CONFIG_CPUID_RDRAND 0x1u
#define VM_CONFIG_CPUID_RDSEED 0x2u
/* cpus = "all": no pin (the scheduler's SCHED_AFFINITY_ALL). */
#define VM_CONFIG_CPUS_ALL SCHED_AFFINITY_ALL

/* The keys, in the order of the table in config.c. */
enum vm_config_key {
	VM_CONFIG_KEY_NAME,
	VM_CONFIG_KEY_KERNEL,
	VM_CONFIG_KEY_VCPUS,
	VM_CONFIG_KEY_MEMORY,
	VM_CONFIG_KEY_RAMDISK,
	VM_CONFIG_KEY_EXTRA,
	VM_CONFIG_KEY_POOL,
	VM_CONFIG_KEY_SYMBOLS,
	VM_CONFIG_KEY_WEIGHT,
	VM_CONFIG_KEY_RULES,
	VM_CONFIG_KEY_CMDLINE,
	VM_CONFIG_KEY_PCI,
	VM_CONFIG_KEY_CPUID,
	VM_CONFIG_KEY_CPUS,
	VM_CONFIG_KEY_COUNT
};

struct vm_config {
	char name[VM_CONFIG_NAME_SIZE];
	char kernel[VM_CONFIG_STRING_SIZE];
	char ramdisk[VM_CONFIG_STRING_SIZE];
	char extra[VM_CONFIG_EXTRA_SIZE];
	char cmdline[VM_CONFIG_EXTRA_SIZE];
	char pool[VM_CONFIG_NAME_SIZE];
	char symbols[VM_CONFIG_STRING_SIZE];
	char rules[VM_CONFIG_STRING_SIZE];
	uint32_t vcpus;
	uint32_t weight;
	uint32_t memory_mb;
	/* pci = [...]: bus << 8 | device << 3 | function, in list order. */
	uint16_t pci[VM_CONFIG_PCI_MAX];
	uint32_t pci_count;
	uint32_t cpuid_hidden; /* VM_CONFIG_CPUID_* bits */
	/* cpus: vCPU i's hard affinity (bit n = pCPU n), for i < cpus_count;
	 * VM_CONFIG_CPUS_ALL (or i >= cpus_count) = not pinned. */
	uint64_t cpus[SCHED_MAX_VCPUS_PER_VM];
	uint32_t cpus_count;
	bool cpus_list; /* given as a list (item i: vCPU i) */
	/* The line each key was given on, 0 if it was not: errors found
	 * later (a missing module, an unknown pool) name FILE:LINE too. */
	uint32_t lines[VM_CONFIG_KEY_COUNT];
};

/* The key's name as written in a configuration ("kernel"). */
const char *vm_config_key_name(enum vm_config_key key);

/* The kernel command line: `cmdline`, then `extra` after a space (either
 * alone when the other is empty). Returns its length; `out` holds
 * VM_CONFIG_COMMAND_LINE_SIZE bytes. */
size_t vm_config_command_line(const struct vm_config *config, char *out, size_t size);

/* Parse `length` bytes of `text` from file `file`. Returns 0, or -1 with
 * "FILE:LINE: reason" in `error`. */
int vm_config_parse(struct vm_config *config, const char *file, const char *text, size_t length,
                    char *error, size_t error_size);

#endif /* VMX_CONFIG_H */
