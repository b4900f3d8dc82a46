/*
 * vmx/run.c - VMs from boot modules: configuration, memory, EPT, bitmaps,
 * guest loading, handing them to the scheduler (vmx/schedule.c), and the
 * final report (see run.h).
 *
 * Lock order: none held here; vm->lock -> log_lock inside vm.c.
 */
#include "vmx/run.h"

#include <stdarg.h>

#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/string.h"
#include "sched/classify.h"
#include "sched/sched.h"
#include "vmx/assign.h"
#include "vmx/bzimage.h"
#include "vmx/config.h"
#include "vmx/console.h"
#include "vmx/ept.h"
#include "vmx/exit.h"
#include "vmx/io.h"
#include "vmx/loader.h"
#include "vmx/msr.h"
#include "vmx/passthrough.h"
#include "vmx/platform.h"
#include "vmx/pools.h"
#include "vmx/profile.h"
#include "vmx/schedule.h"
#include "vmx/summary.h"
#include "vmx/vmx.h"

static struct vm *run_vms[SCHED_MAX_VMS];
static uint32_t run_vm_count;
static const struct boot_info *run_boot_info;

static bool run_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A VM configuration: a *.cfg module other than the pools.cfg one. */
static bool run_is_vm_config(const char *name)
{
	return run_ends_with(name, ".cfg") && strcmp(name, POOLS_MODULE_NAME) != 0;
}

bool vmx_run_has_configuration(const struct boot_info *info)
{
	for (uint32_t i = 0; i < info->module_count; i++)
		if (run_is_vm_config(info->modules[i].name))
			return true;
	return false;
}

static const struct boot_module *run_find_module(const char *name)
{
	for (uint32_t i = 0; i < run_boot_info->module_count; i++)
		if (strcmp(run_boot_info->modules[i].name, name) == 0)
			return &run_boot_info->modules[i];
	return NULL;
}

static void run_bitmap_pass(uint8_t *msr_bitmap, uint32_t msr)
{
	uint32_t base = msr >= 0xc0000000u ? 1024 : 0;
	uint32_t index = msr & 0x1fff;
	msr_bitmap[base + index / 8] &= (uint8_t) ~(1u << (index % 8));        /* read  */
	msr_bitmap[2048 + base + index / 8] &= (uint8_t) ~(1u << (index % 8)); /* write */
}

static int run_vm_bitmaps(struct vm *vm)
{
	vm->msr_bitmap = memory_alloc_pages(1);
	vm->io_bitmap_a = memory_alloc_pages(1);
	vm->io_bitmap_b = memory_alloc_pages(1);
	if (!vm->msr_bitmap || !vm->io_bitmap_a || !vm->io_bitmap_b)
		return -1;
	/* Every port and MSR exits, except MSRs the VMCS or vmx_vcpu_load()
	 * switch per vCPU. */
	memset((void *)(uintptr_t)vm->io_bitmap_a, 0xff, 4096);
	memset((void *)(uintptr_t)vm->io_bitmap_b, 0xff, 4096);
	uint8_t *msr = (uint8_t *)(uintptr_t)vm->msr_bitmap;
	memset(msr, 0xff, 4096);
	static const uint32_t passed[] = {ARCH_MSR_KERNEL_GS_BASE, ARCH_MSR_STAR, ARCH_MSR_LSTAR,
	                                  ARCH_MSR_CSTAR, ARCH_MSR_SYSCALL_MASK};
	for (unsigned i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		run_bitmap_pass(msr, passed[i]);
	/* RDTSCP (offered when the control is) reads TSC_AUX: the vCPU's own,
	 * switched by vmx_vcpu_load/put like the SYSCALL MSRs. */
	if (vmx_controls.secondary & VMX_PROC2_RDTSCP)
		run_bitmap_pass(msr, ARCH_MSR_TSC_AUX);
	return 0;
}

/* The boot modules one configuration names, found and checked. */
struct run_references {
	const struct boot_module *kernel, *ramdisk, *symbols, *rules;
	bool linux_kernel; /* a bzImage (Linux boot protocol), else Multiboot */
};

/* Where the kernel went and how its vCPUs start. */
struct run_loaded {
	uint64_t kernel_start, kernel_end;
	struct vcpu_entry entry;
};

/* "VMCONFIG file=F error="F:LINE: reason"" for a key of `config` (line 0:
 * "F: reason"). Returns -1. */
static int run_reject(const struct boot_module *module, const struct vm_config *config,
                      enum vm_config_key key, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static int run_reject(const struct boot_module *module, const struct vm_config *config,
                      enum vm_config_key key, const char *format, ...)
{
	char reason[200], where[16] = "";
	va_list arguments;
	va_start(arguments, format);
	format_string_va(reason, sizeof(reason), format, arguments);
	va_end(arguments);
	uint32_t line = config ? config->lines[key] : 0;
	if (line)
		format_string(where, sizeof(where), ":%u", line);
	log_record("VMCONFIG file=%s error=\"%s%s: %s\"", module->name, module->name, where,
	           reason);
	return -1;
}

/* A module that `key` names; NULL (and rejected) if it was not given or,
 * when `nonempty`, is empty. */
static int run_reference(const struct boot_module *module, const struct vm_config *config,
                         enum vm_config_key key, const char *name, bool nonempty,
                         const struct boot_module **found)
{
	*found = run_find_module(name);
	if (!*found)
		return run_reject(module, config, key, "%s module '%s' was not given",
		                  vm_config_key_name(key), name);
	if (nonempty && (*found)->length == 0)
		return run_reject(module, config, key, "module '%s' is empty", name);
	return 0;
}

/* Everything a configuration names exists, before anything is allocated. */
static int run_check_config(const struct boot_module *module, const struct vm_config *config,
                            struct run_references *refs)
{
	*refs = (struct run_references){NULL, NULL, NULL, NULL, false};
	for (uint32_t i = 0; i < run_vm_count; i++)
		if (strcmp(run_vms[i]->name, config->name) == 0)
			return run_reject(module, config, VM_CONFIG_KEY_NAME,
			                  "VM name '%s' is already used by %s", config->name,
			                  run_vms[i]->config_file);
	if (run_reference(module, config, VM_CONFIG_KEY_KERNEL, config->kernel, true,
	                  &refs->kernel))
		return -1;
	const uint8_t *image = (const uint8_t *)(uintptr_t)refs->kernel->base;
	refs->linux_kernel = bzimage_detect(image, refs->kernel->length);
	if (refs->linux_kernel) {
		char error[200];
		struct bzimage_header header;
		if (bzimage_parse(image, refs->kernel->length, &header, error, sizeof(error)))
			return run_reject(module, config, VM_CONFIG_KEY_KERNEL, "kernel %s: %s",
			                  refs->kernel->name, error);
	}
	if (config->ramdisk[0] && run_reference(module, config, VM_CONFIG_KEY_RAMDISK,
	                                        config->ramdisk, false, &refs->ramdisk))
		return -1;
	if (config->symbols[0] && run_reference(module, config, VM_CONFIG_KEY_SYMBOLS,
	                                        config->symbols, true, &refs->symbols))
		return -1;
	if (config->rules[0]) {
		/* A boot module of that name is a rules file; otherwise the
		 * name must be a built-in set. */
		refs->rules = run_find_module(config->rules);
		if (refs->rules && refs->rules->length == 0)
			return run_reject(module, config, VM_CONFIG_KEY_RULES,
			                  "rules module '%s' is empty", config->rules);
		if (!refs->rules && !sched_rules_builtin(config->rules))
			return run_reject(
			    module, config, VM_CONFIG_KEY_RULES,
			    "rules '%s' is neither a built-in set (linux-6.x, linux-4.4) "
			    "nor a boot module",
			    config->rules);
	}
	char reason[200];
	if (vmx_assign_check(config, reason, sizeof(reason)))
		return run_reject(module, config, VM_CONFIG_KEY_PCI, "%s", reason);
	return 0;
}

/* Free what run_allocate_vm() took (any part of it may be missing). */
static void run_free_vm(struct vm *vm)
{
	for (uint32_t i = 0; i < SCHED_MAX_VCPUS_PER_VM; i++)
		if (vm->vcpus[i])
			memory_free(vm->vcpus[i]);
	ept_destroy(vm->ept_root);
	uint64_t pages[] = {vm->msr_bitmap, vm->io_bitmap_a, vm->io_bitmap_b};
	for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (pages[i])
			memory_free_pages(pages[i], 1);
	if (vm->memory_base)
		memory_free_pages(vm->memory_base, vm->memory_size / PAGE_SIZE);
	vmx_assign_free(vm);
	if (vm->platform)
		memory_free(vm->platform);
	vmx_profile_free(vm);
	memory_free(vm);
}

/* Where the VM's RAM block is in its guest-physical space (vmx/
 * guest_memory.h). A Linux guest with an assigned PCI function may hand
 * the device any page of its RAM for DMA, and without an IOMMU the device
 * uses the address as host-physical: such a VM's RAM above its first
 * 2 MiB is identity-mapped, and must end below the 32-bit PCI hole
 * (docs/devices.md "DMA"). A Multiboot guest gets its DMA window instead
 * (vmx/assign.c). */
static int run_memory_layout(struct vm *vm, const struct boot_module *module,
                             const struct vm_config *config, bool identity)
{
	uint8_t *host = (uint8_t *)(uintptr_t)vm->memory_base;
	if (!identity) {
		guest_memory_flat(&vm->memory, host, vm->memory_size);
		return 0;
	}
	if (guest_memory_identity(&vm->memory, host, vm->memory_base, vm->memory_size) ||
	    guest_memory_end(&vm->memory) > PASSTHROUGH_DMA_LIMIT)
		return run_reject(
		    module, config, VM_CONFIG_KEY_PCI,
		    "an assigned PCI function needs the VM's RAM identity-mapped, but "
		    "its %u MiB landed at host 0x%llx, and 0x%llx-0x%llx does not end "
		    "below the 32-bit PCI hole at 0x%llx",
		    config->memory_mb, (unsigned long long)vm->memory_base,
		    (unsigned long long)(vm->memory_base + GUEST_MEMORY_LOW),
		    (unsigned long long)(vm->memory_base + vm->memory_size),
		    (unsigned long long)PASSTHROUGH_DMA_LIMIT);
	log_info("VM %s: RAM identity-mapped at 0x%llx-0x%llx (guest-physical == host-physical; "
	         "the first 2 MiB at 0)",
	         config->name, (unsigned long long)vm->memory.high_base,
	         (unsigned long long)(guest_memory_end(&vm->memory) - 1));
	return 0;
}

/* The VM's host resources: vCPUs, memory, bitmaps, EPT. */
static struct vm *run_allocate_vm(const struct boot_module *module, const struct vm_config *config,
                                  bool identity, struct ept_statistics *statistics)
{
	char error[200];
	struct vm *vm = memory_allocate(sizeof(*vm));
	if (!vm) {
		run_reject(module, NULL, VM_CONFIG_KEY_NAME, "out of memory for the VM");
		return NULL;
	}
	memset(vm, 0, sizeof(*vm));
	for (uint32_t i = 0; i < config->vcpus; i++) {
		vm->vcpus[i] = memory_allocate(sizeof(struct vcpu));
		if (!vm->vcpus[i]) {
			run_reject(module, NULL, VM_CONFIG_KEY_NAME, "out of memory for vCPU %u",
			           i);
			run_free_vm(vm);
			return NULL;
		}
		memset(vm->vcpus[i], 0, sizeof(struct vcpu));
	}
	if (vmx_profile_allocate(vm) != 0) {
		run_reject(module, NULL, VM_CONFIG_KEY_NAME, "out of memory for its yield profile");
		run_free_vm(vm);
		return NULL;
	}
	vm->memory_size = ((uint64_t)config->memory_mb + 1) / 2 * 2 << 20;
	vm->memory_base = memory_alloc_large_pages_zeroed(vm->memory_size >> 21);
	if (!vm->memory_base || run_vm_bitmaps(vm)) {
		run_reject(module, config, VM_CONFIG_KEY_MEMORY, "no host memory for %u MiB",
		           config->memory_mb);
		run_free_vm(vm);
		return NULL;
	}
	if (run_memory_layout(vm, module, config, identity)) {
		run_free_vm(vm);
		return NULL;
	}
	vm->ept_pointer = ept_build(vm->memory_base, &vm->memory, &vm->ept_root, statistics, error,
	                            sizeof(error));
	if (!vm->ept_pointer) {
		run_reject(module, NULL, VM_CONFIG_KEY_NAME, "%s", error);
		run_free_vm(vm);
		return NULL;
	}
	return vm;
}

/* The VM's identity and what the scheduler needs from its configuration. */
static void run_describe_vm(struct vm *vm, const struct boot_module *module,
                            const struct vm_config *config, const struct run_references *refs,
                            uint32_t id)
{
	string_copy(vm->name, config->name, sizeof(vm->name));
	vm->config_file = module->name;
	vm->id = id;
	vm->vpid = (uint16_t)(id + 1);
	vm->weight = config->weight;
	vm->cpuid_hidden = config->cpuid_hidden;
	vm->cpus_line = config->lines[VM_CONFIG_KEY_CPUS];
	for (uint32_t v = 0; v < SCHED_MAX_VCPUS_PER_VM; v++)
		vm->affinity[v] = v < config->cpus_count ? config->cpus[v] : SCHED_AFFINITY_ALL;
	string_copy(vm->pool_name, config->pool, sizeof(vm->pool_name));
	vm->pool_line = config->lines[VM_CONFIG_KEY_POOL];
	vm->rules_line = config->lines[VM_CONFIG_KEY_RULES];
	string_copy(vm->rules, config->rules, sizeof(vm->rules));
	if (refs->symbols) {
		vm->symbols = (const char *)(uintptr_t)refs->symbols->base;
		vm->symbols_length = refs->symbols->length;
		vm->symbols_name = refs->symbols->name;
	}
	if (refs->rules) {
		vm->rules_text = (const char *)(uintptr_t)refs->rules->base;
		vm->rules_length = refs->rules->length;
	}
}

/* A Multiboot kernel: the ramdisk is its module. */
static int run_load_multiboot(struct vm *vm, const struct boot_module *module,
                              const struct vm_config *config, const struct run_references *refs,
                              const char *command_line, struct run_loaded *loaded)
{
	char error[200];
	struct loader_module ramdisk[1];
	unsigned ramdisk_count = 0;
	if (refs->ramdisk) {
		ramdisk[0] = (struct loader_module){(const uint8_t *)(uintptr_t)refs->ramdisk->base,
		                                    refs->ramdisk->length, refs->ramdisk->name};
		ramdisk_count = 1;
	}
	struct loader_result result;
	if (loader_multiboot_load((uint8_t *)(uintptr_t)vm->memory_base, vm->memory_size,
	                          (const uint8_t *)(uintptr_t)refs->kernel->base,
	                          refs->kernel->length, command_line, ramdisk, ramdisk_count,
	                          &result, error, sizeof(error)))
		return run_reject(module, config, VM_CONFIG_KEY_KERNEL, "kernel %s: %s",
		                  refs->kernel->name, error);
	loaded->kernel_start = result.kernel_start;
	loaded->kernel_end = result.kernel_end;
	loaded->entry = (struct vcpu_entry){.mode = VCPU_ENTRY_MULTIBOOT32,
	                                    .rip = result.entry,
	                                    .rax = LOADER_BOOT_MAGIC,
	                                    .rbx = result.info_address};
	return 0;
}

/* A bzImage: the ramdisk is its initrd; the ACPI tables are built. */
static int run_load_linux(struct vm *vm, const struct boot_module *module,
                          const struct vm_config *config, const struct run_references *refs,
                          const char *command_line, struct run_loaded *loaded)
{
	char error[200];
	struct bzimage_input input = {
	    (const uint8_t *)(uintptr_t)refs->kernel->base,
	    refs->kernel->length,
	    refs->ramdisk ? (const uint8_t *)(uintptr_t)refs->ramdisk->base : NULL,
	    refs->ramdisk ? refs->ramdisk->length : 0,
	    command_line,
	    vm->rsdp_address,
	    PLATFORM_ACPI_BASE,
	    PLATFORM_ACPI_SIZE,
	    VIOAPIC_DEFAULT_ADDRESS};
	struct bzimage_result result;
	enum bzimage_status status =
	    bzimage_load(&vm->memory, &input, &result, error, sizeof(error));
	if (status == BZIMAGE_BAD_INITRD)
		return run_reject(module, config, VM_CONFIG_KEY_RAMDISK, "ramdisk %s: %s",
		                  refs->ramdisk->name, error);
	if (status == BZIMAGE_BAD_CMDLINE)
		return run_reject(module, config,
		                  config->lines[VM_CONFIG_KEY_CMDLINE] ? VM_CONFIG_KEY_CMDLINE
		                                                       : VM_CONFIG_KEY_EXTRA,
		                  "%s", error);
	if (status != BZIMAGE_OK)
		return run_reject(module, config, VM_CONFIG_KEY_KERNEL, "kernel %s: %s",
		                  refs->kernel->name, error);
	log_record(
	    "LINUXBOOT vm=%s protocol=%u.%02u kernel_bytes=%llu initrd_bytes=%llu "
	    "cmdline_bytes=%llu load=0x%llx initrd=0x%llx zero_page=0x%llx e820=%u",
	    vm->name, result.header.version >> 8, result.header.version & 0xffu,
	    (unsigned long long)result.header.kernel_bytes, (unsigned long long)result.initrd_bytes,
	    (unsigned long long)result.cmdline_bytes, (unsigned long long)result.kernel_address,
	    (unsigned long long)result.initrd_address, (unsigned long long)result.zero_page,
	    result.e820_count);
	loaded->kernel_start = result.kernel_address;
	loaded->kernel_end = result.kernel_end;
	loaded->entry = result.entry;
	return 0;
}

/* Build the platform, load the kernel (bzImage or Multiboot, as
 * run_check_config() found), set every vCPU to its entry state. */
static int run_load_vm(struct vm *vm, const struct boot_module *module,
                       const struct vm_config *config, const struct run_references *refs,
                       struct run_loaded *loaded)
{
	char error[200], command_line[VM_CONFIG_COMMAND_LINE_SIZE];
	vm_config_command_line(config, command_line, sizeof(command_line));
	vm->vcpu_count = config->vcpus;
	for (uint32_t i = 0; i < config->vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		vcpu->vm = vm;
		vcpu->index = i;
		vcpu->loaded_cpu = -1;
		vcpu->last_cpu = -1;
		vcpu_interrupt_init(vcpu);
	}
	/* The platform first: a Linux zero page names the RSDP. */
	if (platform_create(vm, error, sizeof(error)) != 0)
		return run_reject(module, NULL, VM_CONFIG_KEY_NAME, "%s", error);
	if ((refs->linux_kernel ? run_load_linux : run_load_multiboot)(vm, module, config, refs,
	                                                               command_line, loaded))
		return -1;
	/* Every vCPU gets the entry state; the APs (index > 0) wait for SIPI
	 * in their vLAPIC and never run it (they start in real mode at the
	 * SIPI vector, vmx/vcpu_interrupt.c). */
	for (uint32_t i = 0; i < config->vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		vcpu->entry = loaded->entry;
		vcpu->start_rip = (uint32_t)loaded->entry.rip;
		vcpu->start_eax = (uint32_t)loaded->entry.rax;
		vcpu->start_ebx = (uint32_t)loaded->entry.rbx;
	}
	/* Last: assigned PCI functions (nothing fails after their owners are
	 * recorded). */
	if (vmx_assign_attach(vm, config, error, sizeof(error)))
		return run_reject(module, config, VM_CONFIG_KEY_PCI, "%s", error);
	return 0;
}

/* Build one VM from a configuration; logs, frees what it took and returns
 * NULL on error. */
static struct vm *run_create_vm(const struct boot_module *module, uint32_t id)
{
	char error[200];
	struct vm_config config;
	const char *text = (const char *)(uintptr_t)module->base;
	if (vm_config_parse(&config, module->name, text, module->length, error, sizeof(error))) {
		log_record("VMCONFIG file=%s error=\"%s\"", module->name, error);
		return NULL;
	}
	struct run_references refs;
	if (run_check_config(module, &config, &refs) != 0)
		return NULL;
	struct ept_statistics statistics;
	bool identity = config.pci_count && refs.linux_kernel;
	struct vm *vm = run_allocate_vm(module, &config, identity, &statistics);
	if (!vm)
		return NULL;
	run_describe_vm(vm, module, &config, &refs, id);
	struct run_loaded loaded;
	if (run_load_vm(vm, module, &config, &refs, &loaded) != 0) {
		run_free_vm(vm);
		return NULL;
	}
	log_info("VM %s: %u MiB at host 0x%llx (EPT: %llu x 2M, %llu x 4K, %llu tables), VPID %u, "
	         "kernel %s [0x%llx-0x%llx) entry 0x%llx, cmdline \"%s%s%s\"%s%s",
	         vm->name, config.memory_mb, (unsigned long long)vm->memory_base,
	         (unsigned long long)statistics.pages_2m, (unsigned long long)statistics.pages_4k,
	         (unsigned long long)statistics.tables, vm->vpid, refs.kernel->name,
	         (unsigned long long)loaded.kernel_start, (unsigned long long)loaded.kernel_end,
	         (unsigned long long)loaded.entry.rip, config.cmdline,
	         config.cmdline[0] && config.extra[0] ? " " : "", config.extra,
	         vm->symbols ? ", symbols " : "", vm->symbols ? config.symbols : "");
	return vm;
}

/* The pCPU a vCPU is reported on: where it ran last (0 if it never ran). */
static uint32_t run_vcpu_cpu(const struct vcpu *vcpu)
{
	return vcpu->last_cpu >= 0 ? (uint32_t)vcpu->last_cpu : 0;
}

/* One line per vCPU of an SMP VM: where it ran and its interrupt figures. */
static void run_report_vcpus(const struct vm *vm)
{
	char line[640];
	for (uint32_t i = 0; i < vm->vcpu_count && vm->vcpu_count > 1; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		int n = format_string(
		    line, sizeof(line), "VCPU vm=%s vcpu=%u cpu=%u exits_total=%llu halts=%llu",
		    vm->name, i, run_vcpu_cpu(vcpu), (unsigned long long)vcpu->exits_total,
		    (unsigned long long)vcpu->halts);
		if (n > 0 && (size_t)n < sizeof(line))
			vcpu_interrupt_format(vcpu, line + n, sizeof(line) - (size_t)n);
		log_record("%s", line);
	}
}

static uint64_t run_vcpu_sum(const struct vm *vm, size_t offset)
{
	uint64_t total = 0;
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		total += *(const uint64_t *)((const char *)vm->vcpus[i] + offset);
	return total;
}

static void run_report(struct vm *vm)
{
	/* Every vCPU has left: no device timer may fire for this VM any more. */
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vcpu_interrupt_stop(vm->vcpus[i]);
	platform_stop(vm);
	vmx_assign_stop(vm);
	char line[1024];
	const struct vcpu *v = vm->vcpus[0];
	int n = format_string(
	    line, sizeof(line),
	    "VM name=%s state=%s status=%d cause=\"%s\" cpu=%u vcpus=%u memory_mb=%llu "
	    "exits_total=%llu exit_cpuid=%llu",
	    vm->name, vm_state_name(vm->state), vm->exit_status, vm->cause, v ? run_vcpu_cpu(v) : 0,
	    vm->vcpu_count, (unsigned long long)(vm->memory_size >> 20),
	    (unsigned long long)vm_exit_count(vm, -1),
	    (unsigned long long)vm_exit_count(vm, VMX_EXIT_CPUID));
	for (int reason = 0; reason < VMX_EXIT_REASON_COUNT; reason++) {
		uint64_t count = vm_exit_count(vm, reason);
		if (!count || reason == VMX_EXIT_CPUID || (size_t)n >= sizeof(line))
			continue;
		n += format_string(line + n, sizeof(line) - (size_t)n, " exit_%s=%llu",
		                   vmx_exit_name((uint32_t)reason), (unsigned long long)count);
	}
	if ((size_t)n < sizeof(line))
		n += format_string(
		    line + n, sizeof(line) - (size_t)n,
		    " msr_unknown=%llu io_unknown=%llu pause_yields=%llu halts=%llu results=%u",
		    (unsigned long long)run_vcpu_sum(vm, offsetof(struct vcpu, msr_unknown)),
		    (unsigned long long)run_vcpu_sum(vm, offsetof(struct vcpu, io_unknown)),
		    (unsigned long long)run_vcpu_sum(vm, offsetof(struct vcpu, pause_yields)),
		    (unsigned long long)run_vcpu_sum(vm, offsetof(struct vcpu, halts)),
		    vm->result_count);
	if ((size_t)n < sizeof(line))
		platform_format(vm, line + n, sizeof(line) - (size_t)n);
	log_record("%s", line);
	vmx_io_report(vm);
	vmx_msr_report(vm);
	run_report_vcpus(vm);
}

static const char *const run_options[] = {"ple_gap", "ple_window", "run_until", "vmx_corrupt_guest",
                                          NULL};

static bool run_option_in(const char *const *options, const char *key)
{
	for (; *options; options++)
		if (strcmp(*options, key) == 0)
			return true;
	return false;
}

bool vmx_run_option_known(const char *key)
{
	return run_option_in(run_options, key) || run_option_in(vmx_schedule_options, key) ||
	       run_option_in(vmx_console_options, key) || run_option_in(vmx_profile_options, key);
}

/* Hypervisor options of the VMX core; -1 with the reason on a bad value. */
static int run_settings(const struct cmdline *cmdline, char *error, unsigned error_size)
{
	uint64_t value;
	if (cmdline_get_number(cmdline, "ple_gap", vmx_settings.ple_gap, UINT32_MAX, &value, error,
	                       error_size) != 0)
		return -1;
	vmx_settings.ple_gap = (uint32_t)value;
	if (cmdline_get_number(cmdline, "ple_window", vmx_settings.ple_window, UINT32_MAX, &value,
	                       error, error_size) != 0)
		return -1;
	vmx_settings.ple_window = (uint32_t)value;
	const char *corrupt = cmdline_get(cmdline, "vmx_corrupt_guest");
	if (corrupt)
		string_copy(vmx_settings.corrupt_guest, corrupt,
		            sizeof(vmx_settings.corrupt_guest));
	return vmx_profile_settings(cmdline, error, error_size);
}

/* run_until=NAME[,NAME...]: the run ends when these VMs have ended (the
 * others are stopped). A name no created VM has is a warning (its
 * configuration may have been rejected): the others still count; with
 * none left, nothing is stopped. */
static void run_until_setup(const struct cmdline *cmdline)
{
	const char *names = cmdline_get(cmdline, "run_until");
	uint32_t mask = 0;
	while (names && *names) {
		const char *end = names;
		while (*end && *end != ',')
			end++;
		size_t length = (size_t)(end - names);
		bool found = false;
		for (uint32_t i = 0; i < run_vm_count; i++)
			if (strlen(run_vms[i]->name) == length &&
			    memcmp(run_vms[i]->name, names, length) == 0) {
				mask |= 1u << i;
				found = true;
			}
		if (!found)
			log_warning("run_until=: no VM named \"%.*s\" runs", (int)length, names);
		names = *end ? end + 1 : end;
	}
	vm_run_until(run_vms, run_vm_count, mask);
}

/* Create every VM of the boot configuration; returns how many were rejected. */
static int run_create_vms(const struct boot_info *info)
{
	int rejected = 0;
	for (uint32_t i = 0; i < info->module_count; i++) {
		if (!run_is_vm_config(info->modules[i].name))
			continue;
		if (run_vm_count == SCHED_MAX_VMS) {
			run_reject(&info->modules[i], NULL, VM_CONFIG_KEY_NAME,
			           "more than %u VM configurations: this one is not started",
			           SCHED_MAX_VMS);
			rejected++;
			continue;
		}
		struct vm *vm = run_create_vm(&info->modules[i], run_vm_count);
		if (!vm) {
			rejected++;
			continue;
		}
		run_vms[run_vm_count++] = vm;
	}
	return rejected;
}

/* The boot modules as a whole: none dropped, names unique, no overlap.
 * Returns 0, or -1 after a VMCONFIG line. */
static int run_check_modules(const struct boot_info *info)
{
	char error[200];
	if (info->modules_dropped) {
		log_record(
		    "VMCONFIG file=boot-modules error=\"%u boot modules were given beyond the %u "
		    "kept: which VMs they define is unknown\"",
		    info->modules_dropped, BOOT_MAX_MODULES);
		return -1;
	}
	for (uint32_t i = 0; i < info->module_count; i++)
		for (uint32_t j = i + 1; j < info->module_count; j++)
			if (strcmp(info->modules[i].name, info->modules[j].name) == 0) {
				log_record(
				    "VMCONFIG file=boot-modules error=\"two boot modules are named "
				    "%s: modules are found by name\"",
				    info->modules[i].name);
				return -1;
			}
	struct loader_range ranges[BOOT_MAX_MODULES];
	for (uint32_t i = 0; i < info->module_count; i++)
		ranges[i] = (struct loader_range){info->modules[i].base, info->modules[i].length};
	if (loader_check_overlap(ranges, info->module_count, error, sizeof(error)) != 0) {
		log_record("VMCONFIG file=boot-modules error=\"%s\"", error);
		return -1;
	}
	return 0;
}

int vmx_run(const struct boot_info *info, const struct cmdline *cmdline,
            const struct vmx_capability *capabilities)
{
	char error[200];
	run_boot_info = info;
	if (run_settings(cmdline, error, sizeof(error)) != 0) {
		log_record("VMXREFUSED reason=\"%s\"", error);
		return VMX_RUN_REFUSED;
	}
	if (vmx_controls_compute(&capabilities[0], error, sizeof(error)) != 0) {
		log_record("VMXREFUSED reason=\"%s\"", error);
		return VMX_RUN_REFUSED;
	}
	log_record("VMXCONTROLS pin=0x%x processor=0x%x secondary=0x%x exit=0x%x entry=0x%x "
	           "ple_gap=%u ple_window=%u",
	           vmx_controls.pin, vmx_controls.processor, vmx_controls.secondary,
	           vmx_controls.exit, vmx_controls.entry, vmx_settings.ple_gap,
	           vmx_settings.ple_window);

	if (run_check_modules(info) != 0)
		return VMX_RUN_REFUSED;
	int rejected = run_create_vms(info);
	run_until_setup(cmdline);
	vmx_schedule_set_pools(run_find_module(POOLS_MODULE_NAME));
	/* One execution model: the scheduler runs every vCPU on every pCPU
	 * (vmx/schedule.c); sched=pinned is a policy of it. */
	if (vmx_schedule_setup(run_vms, run_vm_count, cmdline, error, sizeof(error)) != 0) {
		log_record("SCHEDREFUSED reason=\"%s\"", error);
		return VMX_RUN_REFUSED;
	}
	if (vmx_console_start(run_vms, run_vm_count, cmdline, error, sizeof(error)) != 0) {
		log_record("SCHEDREFUSED reason=\"console: %s\"", error);
		return VMX_RUN_REFUSED;
	}
	vmx_schedule_run();
	vmx_console_stop();

	vmx_summary_print(run_vms, run_vm_count);
	int failed = rejected;
	for (uint32_t i = 0; i < run_vm_count; i++) {
		run_report(run_vms[i]);
		if (run_vms[i]->state != VM_STATE_DONE || run_vms[i]->exit_status != 0)
			failed++;
	}
	vmx_schedule_report();
	log_record("VMS configured=%u rejected=%d done=%d failed=%d",
	           run_vm_count + (uint32_t)rejected, rejected,
	           (int)run_vm_count - (failed - rejected), failed);
	return failed;
}
