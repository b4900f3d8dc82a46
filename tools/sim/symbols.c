/*
 * tools/sim/symbols.c - the synthetic guest System.map (see symbols.h).
 *
 * Layout: kernel text starts at 0xffffffff81000000; every modelled function
 * gets a 0x400-byte extent, separated by an unrelated filler function so
 * that no modelled function's extent depends on its neighbour. User space
 * RIPs are at 0x401000-ish, far below the first kernel symbol, so a correct
 * classifier reports them as SCHED_CATEGORY_NONE.
 *
 * Lock order: none (built once, then read-only).
 */
#include "tools/sim/symbols.h"

#include <stdio.h>
#include <string.h>

#define SIM_SYMBOLS_TEXT_BASE  0xffffffff81000000ull
#define SIM_SYMBOLS_STRIDE     0x800ull /* function + filler */
#define SIM_SYMBOLS_USER_RIP   0x00000000004011a6ull
#define SIM_SYMBOLS_RIP_OFFSET 0x2aull

static const char *const sim_function_names[SIM_FUNCTION_COUNT] = {
    [SIM_FUNCTION_USER] = "user",
    [SIM_FUNCTION_DO_SYSCALL_64] = "do_syscall_64",
    [SIM_FUNCTION_RAW_SPIN_LOCK] = "_raw_spin_lock",
    [SIM_FUNCTION_QUEUED_SPIN_LOCK_SLOWPATH] = "native_queued_spin_lock_slowpath",
    [SIM_FUNCTION_RAW_SPIN_UNLOCK] = "_raw_spin_unlock",
    [SIM_FUNCTION_GET_PAGE_FROM_FREELIST] = "get_page_from_freelist",
    [SIM_FUNCTION_FREE_ONE_PAGE] = "free_one_page",
    [SIM_FUNCTION_RELEASE_PAGES] = "release_pages",
    [SIM_FUNCTION_D_ALLOC_PARALLEL] = "d_alloc_parallel",
    [SIM_FUNCTION_UNMAP_PAGE_RANGE] = "unmap_page_range",
    [SIM_FUNCTION_FLUSH_TLB_MM_RANGE] = "flush_tlb_mm_range",
    [SIM_FUNCTION_NATIVE_FLUSH_TLB_MULTI] = "native_flush_tlb_multi",
    [SIM_FUNCTION_SMP_CALL_FUNCTION_MANY_COND] = "smp_call_function_many_cond",
    [SIM_FUNCTION_SYSVEC_CALL_FUNCTION] = "__sysvec_call_function",
    [SIM_FUNCTION_FLUSH_TLB_FUNC] = "flush_tlb_func",
    [SIM_FUNCTION_IRQ_ENTER_RCU] = "irq_enter_rcu",
    [SIM_FUNCTION_HANDLE_EDGE_IRQ] = "handle_edge_irq",
    [SIM_FUNCTION_NET_RX_ACTION] = "net_rx_action",
    [SIM_FUNCTION_TTWU_DO_ACTIVATE] = "ttwu_do_activate",
    /* Linux 6.x inlines scheduler_ipi() into the IDT entry's body. */
    [SIM_FUNCTION_SYSVEC_RESCHEDULE_IPI] = "__sysvec_reschedule_ipi",
    [SIM_FUNCTION_NATIVE_SAFE_HALT] = "native_safe_halt",
};

/* Unrelated kernel functions placed between the modelled ones. */
static const char *const sim_filler_names[] = {
    "vfs_read",      "vfs_write",        "do_sys_openat2", "path_lookupat", "copy_page_range",
    "filemap_fault", "ksys_mmap_pgoff",  "tcp_sendmsg",    "schedule",      "pick_next_task_fair",
    "mutex_lock",    "kmem_cache_alloc", "kfree",          "memcpy_orig",   "clear_page_erms",
    "do_exit",       "wake_up_process",  "ep_poll",        "vma_link",      "lru_cache_add",
    "inet_recvmsg",  "sock_poll",
};

const char *sim_function_name(enum sim_function function)
{
	if ((int)function < 0 || function >= SIM_FUNCTION_COUNT)
		return "?";
	return sim_function_names[function];
}

uint64_t sim_function_rip(enum sim_function function)
{
	if (function == SIM_FUNCTION_USER)
		return SIM_SYMBOLS_USER_RIP;
	return SIM_SYMBOLS_TEXT_BASE + (uint64_t)function * SIM_SYMBOLS_STRIDE +
	       SIM_SYMBOLS_RIP_OFFSET;
}

const char *sim_symbols_map_text(size_t *length)
{
	static char text[8192];
	static size_t used;
	size_t filler_count = sizeof(sim_filler_names) / sizeof(sim_filler_names[0]);
	int function;

	if (used == 0) {
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%016llx T _stext\n",
		                         (unsigned long long)SIM_SYMBOLS_TEXT_BASE);
		for (function = 1; function < SIM_FUNCTION_COUNT; function++) {
			uint64_t address =
			    SIM_SYMBOLS_TEXT_BASE + (uint64_t)function * SIM_SYMBOLS_STRIDE;
			used += (size_t)snprintf(
			    text + used, sizeof(text) - used, "%016llx T %s\n%016llx t %s\n",
			    (unsigned long long)address, sim_function_names[function],
			    (unsigned long long)(address + SIM_SYMBOLS_STRIDE / 2),
			    sim_filler_names[(size_t)function % filler_count]);
		}
		used += (size_t)snprintf(
		    text + used, sizeof(text) - used, "%016llx T _etext\n",
		    (unsigned long long)(SIM_SYMBOLS_TEXT_BASE +
		                         (uint64_t)SIM_FUNCTION_COUNT * SIM_SYMBOLS_STRIDE));
	}
	if (length)
		*length = used;
	return text;
}
