/*
 * vmx/vm.h - virtual machines and virtual CPUs as the VMX core sees them.
 *
 * A struct vm owns its guest memory (one contiguous, 2 MiB aligned block
 * of host memory), its EPT, its VPID, its I/O and MSR bitmaps, its
 * platform devices (UART, PM1a power port) and its console buffer. A
 * struct vcpu owns one VMCS and the guest registers VMX does not keep in
 * the VMCS. Exits are counted per vCPU by basic exit reason; the per-VM
 * counts are the sums (vm_exit_count()).
 *
 * State machine of a VM: CREATED -> RUNNING -> DONE (the guest powered
 * itself off) or STOPPED (the hypervisor stopped it: triple fault, access
 * outside its memory, unexpected exit, ...; `cause` says why).
 *
 * VMCS discipline (lets a vCPU move between pCPUs later): a VMCS is
 * current on at most one pCPU (vcpu->loaded_cpu). vmx_vcpu_load() makes it
 * current on this pCPU (VMPTRLD, per-pCPU host fields rewritten, INVVPID
 * when it last ran elsewhere); vmx_vcpu_put() VMCLEARs it so that another
 * pCPU may load it, and the next entry is then a VMLAUNCH.
 *
 * Lock order: vm->lock (guards state, cause and the console buffer) ->
 * log_lock. vCPU fields are touched only by the pCPU running the vCPU,
 * except what other pCPUs post to its vLAPIC with atomics and its stop
 * flag (vmx/vcpu_interrupt.h).
 */
#ifndef VMX_VM_H
#define VMX_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lock.h"
#include "kernel/timer.h"
#include "sched/sched.h"
#include "vmx/config.h"
#include "vmx/entry.h"
#include "vmx/guest_memory.h"
#include "vmx/unknown.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vmcs.h"
#include "vmx/vuart_model.h"

#define VM_CONSOLE_SIZE      8192
#define VM_CAUSE_SIZE        160
#define VM_FINISH_GRACE_MS   500 /* run_until=: time to finish before a stop */
#define VM_RESULT_SIZE       320 /* the last RESULT line kept for the summary */
#define VM_MMIO_HOOKS        4
#define VM_IO_HOOKS          16
#define VM_PM1A_CONTROL_PORT 0xb004
#define VM_UART_PORT         0x3f8

/* Offsets are used by the entry code in vmx/entry.c: keep the order. */
struct vmx_guest_registers {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t cr2;
};

/* Guest register state the VMCS does not switch: x87/SSE (an FXSAVE
 * image) and DR0-3/DR6 (DR7 and IA32_DEBUGCTL are VMCS fields). It lives
 * in the pCPU's registers from vmx_vcpu_load() to vmx_vcpu_put() and here
 * otherwise; the hypervisor itself uses none of these registers
 * (-mgeneral-regs-only, no breakpoints). */
#define VM_FXSAVE_SIZE  512
#define VM_FXSAVE_ALIGN 16
struct vmx_guest_extended {
	uint8_t fxsave[VM_FXSAVE_SIZE] __attribute__((aligned(VM_FXSAVE_ALIGN)));
	uint64_t dr[4];
	uint64_t dr6;
};

enum vm_state {
	VM_STATE_CREATED,
	VM_STATE_RUNNING,
	VM_STATE_DONE,
	VM_STATE_STOPPED,
};

/* An emulated 16550A (vmx/vuart_model.h). `lock` serializes the vCPUs
 * of the VM and the hypervisor side on it (vmx/vuart.c). */
#define VUART_LINE_SIZE 320
struct vuart {
	struct spinlock lock;
	struct vuart_model model;
	uint64_t interrupts; /* edges raised on VUART_GSI */
	char line[VUART_LINE_SIZE];
	uint32_t line_length;
};

struct vcpu;
struct vm;
struct platform;
struct sched_vcpu;
struct passthrough_vm;

/* Why vmx_vcpu_run_slice() returned: the scheduler acts on it. */
enum vmx_leave {
	VMX_LEAVE_NONE = 0,
	VMX_LEAVE_DEADLINE, /* the slice deadline passed (preemption timer) */
	VMX_LEAVE_KICK,     /* the scheduler asked this pCPU to re-pick     */
	VMX_LEAVE_BLOCK,    /* HLT with nothing pending                     */
	VMX_LEAVE_YIELD,    /* PAUSE-loop exit                              */
	VMX_LEAVE_STOP,     /* the VM is no longer running                  */
	VMX_LEAVE_COUNT
};

/* An MMIO region emulated by the hypervisor (EPT violation hook). */
struct vm_mmio_hook {
	uint64_t base, length;
	/* Returns 0, or -1 to stop the VM. `value` (`size` bytes: 1, 2, 4 or
	 * 8) is read or written; vmx/mmio.c decoded the instruction. */
	int (*access)(struct vcpu *vcpu, uint64_t address, unsigned size, bool write,
	              uint64_t *value);
};

/* What a port I/O handler did with an access (vmx/io.c). */
enum vm_io_result {
	VM_IO_DONE,      /* emulated; an IN's `value` is the result   */
	VM_IO_UNCLAIMED, /* not this access (e.g. its width): unknown */
	VM_IO_STOP,      /* the handler stopped or powered off the VM */
};

/* Ports [first_port, first_port + count) emulated by one device, found by
 * the port the instruction names (vmx_io_register()). */
struct vm_io_hook {
	uint16_t first_port, count;
	/* `value`: an OUT's data (`size` bytes: 1, 2 or 4); for an IN it
	 * starts as all ones and the handler replaces what it emulates. */
	enum vm_io_result (*access)(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
	                            uint32_t *value);
};

struct vcpu {
	struct vmx_guest_registers registers;
	struct vmx_guest_extended extended;
	struct vm *vm;
	uint32_t index;
	uint32_t start_rip, start_eax, start_ebx; /* Multiboot entry state */
	struct vcpu_entry entry;                  /* the whole entry state (Linux: 64-bit) */
	uint64_t vmcs;                            /* physical address of the VMCS region */
	int32_t loaded_cpu;   /* pCPU where the VMCS is current, -1 if cleared */
	int32_t last_cpu;     /* pCPU it last ran on, -1 never */
	bool launched;        /* VMLAUNCH done since the last VMCLEAR */
	bool stop;            /* leave the run loop */
	bool created;         /* VMCS built (vmx_vcpu_create done)       */
	enum vmx_leave leave; /* set by an exit handler to end the slice  */
	struct sched_vcpu *sched;
	uint64_t slices;        /* times it was given a pCPU               */
	uint64_t migrations;    /* ... on another pCPU than the time before */
	uint32_t yields_logged; /* PAUSE-loop exits described at debug level */
	uint32_t processor_controls;
	uint32_t entry_controls;
	uint32_t pending_interrupt; /* vector + 1, 0 = none (virtual devices) */
	/* vLAPIC, its timer, injection state (vmx/vcpu_interrupt.h). */
	struct vcpu_interrupt interrupt;
	/* MSRs VMX does not switch: loaded around the vCPU's turn. */
	uint64_t kernel_gs_base, star, lstar, cstar, syscall_mask;
	uint64_t tsc_aux; /* passed through while RDTSCP is offered */
	/* Emulated MSRs. */
	uint64_t apic_base, tsc_deadline, misc_enable;
	/* Exit counters by basic reason; exits_total counts all. */
	uint64_t exits[VMX_EXIT_REASON_COUNT];
	uint64_t exits_total;
	uint64_t msr_unknown; /* #GP injected for an unknown MSR */
	uint64_t io_unknown;  /* port accesses nobody emulates   */
	uint64_t pause_yields;
	uint64_t halts;
	/* HLT with RFLAGS.IF = 0: only an NMI, INIT or STARTUP wakes it (the
	 * scheduling loop keeps it blocked otherwise). */
	bool halt_masked;
	/* Exit-rate guard (vmx/exit.c): run time in TSC ticks (the loop adds
	 * each slice), the slice's start, and the current window. */
	uint64_t run_tsc, slice_tsc;
	uint64_t flood_window_run, flood_window_exits;
	/* vm->ept_generation this vCPU last invalidated for (INVEPT before
	 * its next entry when the VM's is newer). */
	uint64_t ept_generation;
};

struct vm {
	char name[VM_CONFIG_NAME_SIZE];
	uint32_t id;
	uint16_t vpid;
	uint64_t memory_base; /* host-physical address of the RAM block */
	uint64_t memory_size; /* bytes of the block                   */
	/* Where the block is in guest-physical space: flat, or identity
	 * above 2 MiB for a Linux VM with an assigned device. */
	struct guest_memory memory;
	uint64_t ept_root;
	uint64_t ept_pointer;
	/* Bumped after each change of the EPT while the VM runs (assigned
	 * BAR windows, vmx/assign.c); every vCPU then INVEPTs before entry. */
	volatile uint64_t ept_generation;
	/* Assigned host PCI functions (vmx/passthrough.h), NULL if none. */
	struct passthrough_vm *passthrough;
	uint64_t msr_bitmap; /* physical addresses, one page each */
	uint64_t io_bitmap_a, io_bitmap_b;
	/* Exit-rate guard: stop the VM when one vCPU averages more than
	 * exit_rate exits per ms of its run time over a window of
	 * exit_window_tsc ticks of run time (0 = off; vmx/schedule.c options). */
	uint64_t exit_rate, exit_window_tsc;
	/* Liveness (vmx/schedule.c): slices run, and what the last check saw. */
	uint64_t slices_run, dead_check_slices;
	bool dead_suspect;
	struct vuart uart;
	struct vm_mmio_hook mmio[VM_MMIO_HOOKS];
	uint32_t mmio_count;
	struct vm_io_hook io[VM_IO_HOOKS]; /* sorted by first_port, disjoint */
	uint32_t io_count;
	/* Accesses nobody emulates, per port and per MSR (vmx/unknown.h). */
	struct vm_unknown_table unknown_ports, unknown_msrs;
	const char *symbols; /* System.map text (not owned), or NULL */
	uint64_t symbols_length;
	const char *symbols_name; /* its module name, for messages        */
	const char *rules_text;   /* rules file text (not owned), or NULL   */
	uint64_t rules_length;
	const char *config_file;             /* its configuration module, for messages */
	uint32_t pool_line, rules_line;      /* lines of `pool`/`rules` there, 0 none */
	char pool_name[VM_CONFIG_NAME_SIZE]; /* cpupool from the configuration  */
	char rules[VM_CONFIG_STRING_SIZE];   /* classification rules: built-in set or module */
	uint32_t weight;                     /* credit weight                         */
	uint32_t cpuid_hidden;               /* VM_CONFIG_CPUID_*: host features hidden */
	/* cpus = ...: vCPU v's hard affinity (SCHED_AFFINITY_ALL: not pinned),
	 * applied when the scheduler creates the vCPUs; the key's line. */
	uint64_t affinity[SCHED_MAX_VCPUS_PER_VM];
	uint32_t cpus_line;
	uint32_t vcpu_count;
	struct vcpu *vcpus[SCHED_MAX_VCPUS_PER_VM];
	/* Each vCPU's vLAPIC by vCPU index, for vlapic_route() (NULL past
	 * vcpu_count), and the per-VM devices (vmx/platform.h). */
	struct vlapic *vlapics[SCHED_MAX_VCPUS_PER_VM];
	struct platform *platform;
	uint64_t rsdp_address; /* guest-physical ACPI RSDP, 0 = none */
	struct spinlock lock;
	volatile enum vm_state state;
	int exit_status; /* the guest's power-off status */
	char cause[VM_CAUSE_SIZE];
	char console[VM_CONSOLE_SIZE];
	uint32_t console_length;
	uint32_t result_count;            /* RESULT lines reported by hypercall */
	char last_result[VM_RESULT_SIZE]; /* the last RESULT text (vm_note_result) */
	/* Yield-profile table (vmx/profile.h), written by the scheduler
	 * under its lock; NULL when profile_top=0. Owned by the VM. */
	struct sched_profile *profile;
	/* run_until=: asked to finish (HYPERCALL_FINISH_REQUESTED); stopped
	 * by finish_timer if still running VM_FINISH_GRACE_MS later. */
	bool finish_requested;
	struct timer finish_timer;
};

/* Sum of one exit reason (or every exit when reason < 0) over the vCPUs. */
uint64_t vm_exit_count(const struct vm *vm, int reason);
/* Stop the VM for `cause` (first cause wins), log it, make its vCPUs leave. */
void vm_stop(struct vm *vm, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* After each exit of `vcpu` (basic `reason`): stop its VM if the vCPU's
 * exits per ms of its run time over the last window exceed vm->exit_rate
 * (vm_exit_rate=, 0 = off; docs/smp.md "Liveness"). */
void vm_exit_rate_check(struct vcpu *vcpu, uint32_t reason);
/* run_until=: once every VM of `mask` (bit i = vms[i]) has ended, the
 * ones still running are stopped with cause "run-until: VM NAME ended".
 * mask 0 (the default) never stops anything. At most 32 VMs. */
void vm_run_until(struct vm *const *vms, uint32_t count, uint32_t mask);
/* The guest powered itself off with `status`. */
void vm_power_off(struct vm *vm, int status);
/* A RESULT line of the guest (by hypercall, or a serial line starting
 * with "RESULT "): keep its text after "RESULT " for the run summary
 * (vmx/summary.h); truncated to VM_RESULT_SIZE - 1 bytes. */
void vm_note_result(struct vm *vm, const char *text, size_t length);
/* Keep guest console text in the VM's buffer (truncated when full). */
void vm_console_append(struct vm *vm, const char *text, uint32_t length);
const char *vm_state_name(enum vm_state state);
/* Host pointer to guest-physical [address, address+length), or NULL if outside. */
void *vm_guest_pointer(const struct vm *vm, uint64_t address, uint64_t length);

#endif /* VMX_VM_H */
