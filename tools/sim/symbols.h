/*
 * tools/sim/symbols.h - the synthetic guest kernel of the simulator: a list
 * of Linux 6.x function names laid out at fixed addresses, the System.map
 * text that describes them, and the guest RIP of each modelled activity.
 *
 * The map is generated in memory at start-up and handed to the real
 * classifier (sched/classify.h) with its built-in linux-6.x rules, so the
 * category of every RIP the simulator reports comes from the same code the
 * hypervisor runs, never from the simulator.
 *
 * Lock order: none (constant data).
 */
#ifndef SIM_SYMBOLS_H
#define SIM_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* Guest functions the modelled vCPUs execute in. */
enum sim_function {
	SIM_FUNCTION_USER = 0,                    /* user space, below the kernel */
	SIM_FUNCTION_DO_SYSCALL_64,               /* syscall entry (not critical) */
	SIM_FUNCTION_RAW_SPIN_LOCK,               /* lock fast path               */
	SIM_FUNCTION_QUEUED_SPIN_LOCK_SLOWPATH,   /* lock spin loop               */
	SIM_FUNCTION_RAW_SPIN_UNLOCK,             /* lock release                 */
	SIM_FUNCTION_GET_PAGE_FROM_FREELIST,      /* critical section body        */
	SIM_FUNCTION_FREE_ONE_PAGE,               /* critical section body        */
	SIM_FUNCTION_RELEASE_PAGES,               /* critical section body        */
	SIM_FUNCTION_D_ALLOC_PARALLEL,            /* body not in any rule list    */
	SIM_FUNCTION_UNMAP_PAGE_RANGE,            /* munmap work (not critical)   */
	SIM_FUNCTION_FLUSH_TLB_MM_RANGE,          /* shootdown entry              */
	SIM_FUNCTION_NATIVE_FLUSH_TLB_MULTI,      /* shootdown: sends the IPIs    */
	SIM_FUNCTION_SMP_CALL_FUNCTION_MANY_COND, /* shootdown: waits for acks    */
	SIM_FUNCTION_SYSVEC_CALL_FUNCTION,        /* __sysvec_call_function       */
	SIM_FUNCTION_FLUSH_TLB_FUNC,              /* shootdown IPI handler        */
	SIM_FUNCTION_IRQ_ENTER_RCU,               /* interrupt entry              */
	SIM_FUNCTION_HANDLE_EDGE_IRQ,             /* device interrupt handler     */
	SIM_FUNCTION_NET_RX_ACTION,               /* softirq packet processing    */
	SIM_FUNCTION_TTWU_DO_ACTIVATE,            /* wakes the receiving thread   */
	SIM_FUNCTION_SYSVEC_RESCHEDULE_IPI,       /* reschedule IPI handler       */
	SIM_FUNCTION_NATIVE_SAFE_HALT,            /* idle: HLT                    */
	SIM_FUNCTION_COUNT
};

/* Name of a modelled function ("user" for SIM_FUNCTION_USER). */
const char *sim_function_name(enum sim_function function);
/* A RIP inside the function, as a preempted vCPU would show it. */
uint64_t sim_function_rip(enum sim_function function);
/*
 * The System.map text of the synthetic kernel (nm format, sorted, with
 * filler symbols between the modelled ones and an _etext end marker).
 * Returns a static NUL-terminated string; *length gets its length.
 */
const char *sim_symbols_map_text(size_t *length);

#endif /* SIM_SYMBOLS_H */
