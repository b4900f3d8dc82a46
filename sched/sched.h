/*
 * sched/sched.h - the uslice scheduler: the one public header.
 *
 * Model. A struct sched_system holds up to SCHED_MAX_PCPUS pCPUs,
 * SCHED_MAX_POOLS cpupools and SCHED_MAX_VMS VMs of up to
 * SCHED_MAX_VCPUS_PER_VM vCPUs each, all in caller-provided storage (the
 * hypervisor declares one static struct sched_system; nothing is
 * allocated). Every pCPU belongs to at most one pool; every pool runs its
 * own instance of a policy (struct sched_ops, Xen xen/common/sched style)
 * with its own parameters; every VM belongs to one normal pool. A normal
 * pool may own one child "micro-sliced" pool (100 us slice, shares the
 * parent's credit accounting) into which the scheduler offloads preempted
 * vCPUs that run critical guest-kernel code (DESIGN.md section 4).
 *
 * vCPU states:
 *   OFFLINE    not started / stopped; on no runqueue.
 *   BLOCKED    halted (HLT) waiting for an interrupt; on no runqueue.
 *   RUNNABLE   queued on a normal pCPU's runqueue ("preempted").
 *   RUNNING    current on some pCPU (normal or micro-sliced).
 *   OFFLOADED  queued on a micro-sliced pCPU, waiting for its one slice.
 *
 * Driving it (an event loop per pCPU, in the hypervisor or a simulator):
 *
 *   d = sched_schedule(sys, pcpu, rip, kernel_mode);
 *       run d.vcpu (NULL = idle) until d.until, or until kicked
 *       (sched_env_kick), or until the vCPU exits for HLT or a yield;
 *       then call sched_schedule() again. `rip`/`kernel_mode` are the
 *       guest RIP and "was at CPL0" of the vCPU that was running on this
 *       pCPU, read live at the exit; they are saved for that vCPU and used
 *       to classify it while it is preempted (ignored if pCPU was idle).
 *   On a guest HLT:         sched_vcpu_block(v, rip, cpl0), then schedule.
 *   On a PLE exit / yield:  sched_vcpu_yield(v, source, rip, cpl0), then
 *                           schedule. `rip` must be the LIVE RIP of v at
 *                           this exit (VMCS guest RIP), never a stale copy.
 *   Interrupt for halted v: sched_vcpu_wake(v).
 *   Virtual IPI to t:       sched_notify_ipi(t) (before delivering it; if t
 *                           is halted, also sched_vcpu_wake(t)).
 *   Virtual IRQ to t:       sched_notify_virq(t) (same).
 *
 * Hand-off between pCPUs: as soon as sched_schedule() on pCPU p returns,
 * the vCPU p ran before may already be picked by another pCPU q (steal,
 * offload, return home). The environment must make its state loadable on
 * q, e.g. KVM-style: q asks p (IPI, waiting) to VMCLEAR that VMCS before
 * q's VMPTRLD; p does it from its interrupt handler. Never wait for that
 * while holding the scheduler lock (no scheduler call does).
 *
 * Classification is injected: each VM carries a classifier callback
 * (sched_classify_fn); NULL classifies everything SCHED_CATEGORY_NONE.
 * For the yielding vCPU the scheduler classifies the RIP passed with the
 * yield; for a preempted vCPU it classifies the RIP and CPL the caller
 * reported when that vCPU was last scheduled out (sched_schedule's
 * arguments, or sched_vcpu_block/yield). A RIP reported with
 * kernel_mode == false is never classified (category NONE): critical
 * services are guest-kernel code.
 *
 * The yield profiler (sched/profile.h) is injected the same way: a VM
 * with a profile table and a locate callback (sched_vm_config.profile /
 * .locate, or sched_vm_set_profile()) gets the RIPs of its yields,
 * inspected siblings and preempted IPI / vIRQ targets attributed to their
 * functions, inside the calls above, with the lock held.
 *
 * All times are uint64_t nanoseconds of sched_env_now(). Fields of the
 * structs below are readable by tests, simulators and debug dumps while the
 * scheduler lock is held or nothing runs; they are written only by sched/.
 *
 * Lock order: one lock per sched_system (sched/env.h), taken by every
 * public function below on entry; call none of them with it held.
 */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/category.h"
#include "sched/env.h"
#include "sched/trace.h"

/* Fixed maximums of the caller-provided storage. */
#define SCHED_MAX_PCPUS        64 /* pool membership is a uint64_t mask */
#define SCHED_MAX_VMS          16
#define SCHED_MAX_VCPUS_PER_VM 16
#define SCHED_MAX_POOLS        8  /* normal and micro-sliced pools       */
#define SCHED_NAME_MAX         32 /* pool, VM and policy names incl. NUL */

#define SCHED_NS_PER_US  1000ull
#define SCHED_NS_PER_MS  1000000ull
#define SCHED_TIME_NEVER UINT64_MAX
#define SCHED_NO_PCPU    (-1)
#define SCHED_NO_POOL    (-1)
/* Hard affinity "any pCPU" (the default; sched_vcpu_set_affinity()). */
#define SCHED_AFFINITY_ALL UINT64_MAX
/* Credit cap: percent of one pCPU per vCPU at most (Xen: 100 x vCPUs). */
#define SCHED_CAP_PER_VCPU 100u

/* Opaque words of policy-private state; each policy casts them to its own
 * struct (checked with _Static_assert in the policy's file). */
#define SCHED_POLICY_VCPU_WORDS 6
#define SCHED_POLICY_PCPU_WORDS 4
#define SCHED_POLICY_VM_WORDS   4
#define SCHED_POLICY_POOL_WORDS 8

/* Return codes of functions returning int (0 = success). */
enum sched_status {
	SCHED_OK = 0,
	SCHED_ERR_INVALID = -1,   /* bad argument / wrong state          */
	SCHED_ERR_BUSY = -2,      /* pool in use, last pCPU, vCPU running */
	SCHED_ERR_FULL = -3,      /* a fixed maximum is reached          */
	SCHED_ERR_NOT_FOUND = -4, /* no such pool / VM                   */
};

enum sched_vcpu_state {
	SCHED_VCPU_OFFLINE = 0,
	SCHED_VCPU_BLOCKED,
	SCHED_VCPU_RUNNABLE,
	SCHED_VCPU_RUNNING,
	SCHED_VCPU_OFFLOADED,
	SCHED_VCPU_STATE_COUNT
};

/* Where an urgent yield came from. */
enum sched_yield_source {
	SCHED_YIELD_PLE = 0, /* PAUSE-loop exit (VMX exit reason 40)         */
	SCHED_YIELD_GUEST,   /* voluntary guest yield (hypercall, PAUSE exit) */
	SCHED_YIELD_SOURCE_COUNT
};

/* Why a vCPU was sent to a micro-sliced pCPU (trace arg1, counters). */
enum sched_offload_cause {
	SCHED_OFFLOAD_LOCK_SPIN = 0, /* sibling of a lock-spinning yielder   */
	SCHED_OFFLOAD_IPI_WAIT,      /* sibling of an IPI-ack-waiting yielder */
	SCHED_OFFLOAD_IPI,           /* target of a virtual IPI               */
	SCHED_OFFLOAD_VIRQ,          /* target of a virtual device IRQ        */
	SCHED_OFFLOAD_CAUSE_COUNT
};

/* What the target of a virtual IPI / IRQ was doing (counters). */
enum sched_target_state {
	SCHED_TARGET_RUNNING = 0, /* nothing to do                         */
	SCHED_TARGET_PREEMPTED,   /* RUNNABLE: offload attempted            */
	SCHED_TARGET_OFFLOADED,   /* already waiting on a micro pCPU        */
	SCHED_TARGET_BLOCKED,     /* halted: the caller wakes it (BOOST)    */
	SCHED_TARGET_OFFLINE,
	SCHED_TARGET_STATE_COUNT
};

/* Why a vCPU left a pCPU (trace SCHEDULE_OUT arg1). */
enum sched_out_reason {
	SCHED_OUT_PREEMPT = 0, /* slice over or higher priority waiting */
	SCHED_OUT_YIELD,
	SCHED_OUT_BLOCK,
	SCHED_OUT_OFFLINE,
	SCHED_OUT_MICRO_RETURN, /* micro slice over: back to home pCPU   */
	SCHED_OUT_MOVED,        /* its pCPU or VM changed pool            */
	SCHED_OUT_DIRECTED,     /* preempted by a directed yield target   */
	SCHED_OUT_REASON_COUNT
};

/* What the running vCPU does on a PLE (the policy's yield behaviour). */
enum sched_yield_mode {
	SCHED_YIELD_MODE_PLAIN = 0, /* just yield (Xen credit)                */
	SCHED_YIELD_MODE_DIRECTED,  /* KVM-style yield_to a preempted sibling */
};

/* Micro-sliced pool management of a normal pool. */
enum sched_micro_mode {
	SCHED_MICRO_NONE = 0, /* no offloading at all                     */
	SCHED_MICRO_STATIC,   /* fixed micro pool size (micro_count)      */
	SCHED_MICRO_DYNAMIC,  /* Algorithm 1 sizes it at run time         */
};

/* Credit priorities (Xen credit1), higher runs first. */
enum sched_priority {
	SCHED_PRIORITY_IDLE = -64,
	SCHED_PRIORITY_OVER = -2,
	SCHED_PRIORITY_UNDER = -1,
	SCHED_PRIORITY_BOOST = 0,
};

/* Classifier callback: the category of guest-kernel address `rip`. */
typedef enum sched_category (*sched_classify_fn)(const void *context, uint64_t rip);
/*
 * Locate callback of the yield profiler (sched/profile.h): the start of
 * the function extent holding guest-kernel address `rip` and its category;
 * false if no extent holds it. Called with the scheduler lock held.
 */
typedef bool (*sched_locate_fn)(const void *context, uint64_t rip, uint64_t *function,
                                enum sched_category *category);
struct sched_profile;

/*
 * Parameters; sched_params_default() gives the values in brackets.
 * Every one is configurable; a pool copies them at creation.
 */
struct sched_params {
	uint64_t slice_ns;            /* normal time slice          [30 ms] */
	uint64_t tick_ns;             /* credit burn/unboost tick   [10 ms] */
	uint64_t account_period_ns;   /* master credit accounting   [30 ms] */
	uint64_t ratelimit_ns;        /* min run before preemption   [1 ms] */
	uint64_t micro_slice_ns;      /* micro-sliced pool slice   [100 us] */
	uint32_t credits_per_ms;      /* credit burnt per ms of CPU    [10] */
	uint32_t default_weight;      /* VM weight if 0 is given      [256] */
	bool steal;                   /* work stealing between pCPUs [true] */
	uint64_t profile_interval_ns; /* Algorithm 1 profile step   [10 ms] */
	uint64_t epoch_ns;            /* Algorithm 1 run phase       [1 s]  */
	uint32_t micro_limit;         /* max micro-sliced pCPUs         [3] */
	bool check_invariants;        /* sched_check_invariants() at the end
	                                 of every public call, failures to
	                                 sched_env_panic()          [false] */
	/* Offload mechanisms beyond the paper (docs/mechanisms.md). */
	bool micro_batch;           /* serve a whole shootdown at once: an
	                               idle micro pCPU's first queued vCPU
	                               counts as running, offloads spread
	                               over the least-occupied pCPUs [false] */
	uint32_t micro_queue_depth; /* queued vCPUs a micro pCPU accepts,
	                               1..SCHED_MICRO_QUEUE_MAX (1 = the
	                               paper's one slot)               [3] */
	bool protect_initiator;     /* an ipi-wait yielder that offloaded
	                               siblings gets its pCPU back as soon as
	                               they have run, and keeps it while none
	                               is left preempted             [false] */
	bool micro_early_return;    /* a micro slice ends when the vCPU is
	                               seen outside critical kernel code while
	                               another vCPU waits for its pCPU (looks
	                               every micro_slice/4)          [false] */
	uint32_t micro_borrow;      /* an idle micro pCPU runs a normal pool's
	                               queued vCPU, pre-empted at once by an
	                               offload: 1 in micro slices, 2 in normal
	                               slices (SCHED_BORROW_*)   [2, normal] */
	/* micro-dynamic's controller (sched/progress.c). */
	uint32_t controller;            /* enum sched_controller   [progress] */
	uint32_t controller_step_ms;    /* progress: shortest profile step [10] */
	uint32_t controller_min_events; /* progress: urgent events a step
	                                  needs to decide               [64] */
	uint32_t controller_spin_ns;    /* progress: spinning charged per PLE
	                                   exit (about the PLE window) [2000] */
	bool controller_recheck;        /* progress: a sweep ends by measuring
	                                   its first size again; that size
	                                   counts at the better of the two
	                                   (docs/mechanisms.md)     [false] */
};

/* params.micro_borrow: off, borrowed vCPUs run micro slices, or normal
 * slices. */
#define SCHED_BORROW_OFF           0u
#define SCHED_BORROW_MICRO_SLICES  1u
#define SCHED_BORROW_NORMAL_SLICES 2u

/* Which controller sizes micro-dynamic's pool. */
enum sched_controller {
	SCHED_CONTROLLER_EVENTS = 0, /* paper Algorithm 1: fewest urgent yields */
	SCHED_CONTROLLER_PROGRESS,   /* useful vCPU time per step (progress.c) */
	SCHED_CONTROLLER_COUNT
};

/* Largest and default params.micro_queue_depth (the paper has 1; 3 serves
 * a 12-vCPU shootdown over a few micro pCPUs, docs/mechanisms.md). */
#define SCHED_MICRO_QUEUE_MAX     8
#define SCHED_MICRO_QUEUE_DEFAULT 3

/* The mechanism parameters by key (sched_mechanism_*, sched/policy.c). */
enum sched_mechanism {
	SCHED_MECHANISM_MICRO_BATCH = 0,       /* "micro_batch"        0..1 */
	SCHED_MECHANISM_MICRO_QUEUE_DEPTH,     /* "micro_queue_depth"  1..8 */
	SCHED_MECHANISM_PROTECT_INITIATOR,     /* "protect_initiator"  0..1 */
	SCHED_MECHANISM_MICRO_EARLY_RETURN,    /* "micro_early_return" 0..1 */
	SCHED_MECHANISM_CONTROLLER,            /* "controller" 0 events, 1 progress */
	SCHED_MECHANISM_CONTROLLER_STEP_MS,    /* "controller_step_ms"     1..1000 */
	SCHED_MECHANISM_CONTROLLER_MIN_EVENTS, /* "controller_min_events" 1..1e6 */
	SCHED_MECHANISM_CONTROLLER_SPIN_NS,    /* "controller_spin_ns"  0..1000000 */
	SCHED_MECHANISM_MICRO_BORROW,          /* "micro_borrow"        0..2 */
	SCHED_MECHANISM_CONTROLLER_RECHECK,    /* "controller_recheck"  0..1 */
	SCHED_MECHANISM_COUNT
};

/* Policy ("configuration chosen by name"); see sched_policy_parse(). */
struct sched_ops;
struct sched_policy {
	char name[SCHED_NAME_MAX];   /* canonical, e.g. "micro-static:2"   */
	const struct sched_ops *ops; /* the pool policy (credit, pinned)   */
	bool short_slice;            /* normal slice = micro_slice_ns      */
	enum sched_yield_mode yield_mode;
	enum sched_micro_mode micro_mode;
	uint32_t micro_count; /* SCHED_MICRO_STATIC: N              */
};

/* Intrusive doubly linked list (runqueues). */
struct sched_list {
	struct sched_list *next;
	struct sched_list *prev;
};

struct sched_vcpu_stats {
	uint64_t run_ns;       /* CPU time received (all pools)          */
	uint64_t micro_run_ns; /* ... of which on micro-sliced pCPUs     */
	uint64_t wait_ns;      /* time RUNNABLE/OFFLOADED before running */
	uint64_t max_wait_ns;
	uint64_t schedule_ins;
	uint64_t wakeups;
	uint64_t boosts;
	uint64_t yields;
	uint64_t offloads;
	uint64_t offload_failures;
	uint64_t spin_yields; /* classified urgent yields: ipi-wait and
	                         lock-spin (the controller's spin)         */
};

struct sched_vm;
struct sched_system;

struct sched_vcpu {
	struct sched_vm *vm;
	uint16_t index; /* within the VM                      */
	enum sched_vcpu_state state;
	int pcpu;                    /* running on / queued on, or -1      */
	int home_pcpu;               /* normal pCPU to return to after an
	                                offload (its last normal pCPU)     */
	struct sched_list runq_node; /* on pcpus[pcpu].runq when queued    */
	/* Context the environment reported at the last schedule-out. */
	uint64_t saved_rip;
	bool saved_kernel_mode;
	/* Requests raised while RUNNING, applied at the next schedule. */
	bool pending_yield;
	bool pending_block;
	bool pending_offline;
	bool directed_target;  /* chosen by a directed yield          */
	uint64_t run_start;    /* when it last started running        */
	uint64_t burn_from;    /* run time not yet charged since this */
	uint64_t queued_since; /* when it became RUNNABLE/OFFLOADED   */
	/* Hard affinity (xl vcpu-pin): bit n = may run on pCPU n, normal or
	 * micro-sliced; SCHED_AFFINITY_ALL = anywhere in its pool. */
	uint64_t affinity;
	/* protect_initiator: the ipi-wait yielder that offloaded this vCPU
	 * (cleared when it leaves the micro pCPU); on the yielder, whether
	 * it waits to be brought back. */
	struct sched_vcpu *offload_initiator;
	bool initiator_waiting;
	/* micro_borrow: RUNNING on a micro pCPU that took it from a normal
	 * runqueue while it had nothing offloaded (not an offload). */
	bool borrowed;
	struct sched_vcpu_stats stats;
	uint64_t policy_data[SCHED_POLICY_VCPU_WORDS];
};

struct sched_vm {
	struct sched_system *sys;
	bool in_use;
	uint16_t id; /* index in sys->vms                  */
	char name[SCHED_NAME_MAX];
	int pool; /* normal pool id                     */
	uint32_t weight;
	/* Credit cap (xl sched-credit -c): at most cap % of one pCPU in total
	 * over each accounting period of its pool; 0 = none. */
	uint32_t cap;
	bool paused; /* xl pause: none of its vCPUs runs    */
	sched_classify_fn classify;
	const void *classify_context;
	sched_locate_fn locate; /* yield profiler (sched/profile.h)  */
	const void *locate_context;
	struct sched_profile *profile; /* NULL: not profiled          */
	unsigned vcpu_count;
	struct sched_vcpu vcpus[SCHED_MAX_VCPUS_PER_VM];
	uint64_t policy_data[SCHED_POLICY_VM_WORDS];
};

struct sched_pcpu {
	uint16_t id;
	bool online;                /* id < pcpu_count given to sched_init */
	int pool;                   /* pool id, or -1 when free           */
	struct sched_vcpu *current; /* NULL = idle                         */
	struct sched_list runq;     /* queued vCPUs, policy-ordered        */
	unsigned runq_length;
	uint64_t slice_end;               /* current vCPU's slice deadline       */
	uint64_t next_tick;               /* next credit tick while busy         */
	bool resched;                     /* someone asked it to re-pick         */
	struct sched_vcpu *directed_next; /* directed-yield target to run  */
	uint64_t busy_ns;
	uint64_t idle_since;
	uint64_t policy_data[SCHED_POLICY_PCPU_WORDS];
};

/* One profile interval's urgent-event counts (Algorithm 1 urEvents). */
struct sched_adaptive_sample {
	uint64_t ipis; /* yields classified IPI_WAIT                   */
	uint64_t ples; /* lock-spin yields (PLE exits not IPI/halt)    */
	uint64_t irqs; /* vIRQs to runnable, not running vCPUs         */
};

/* Micro pool sizes the progress controller tries (0..this). */
#define SCHED_PROGRESS_MAX_COUNT 8

/* The progress controller's state (sched/progress.c). */
struct sched_progress {
	bool settling;                      /* next step only starts the window  */
	unsigned sweep_low, sweep_high;     /* sizes being profiled              */
	uint64_t window_start;              /* the measured window began         */
	uint64_t hold_until;                /* holding: the epoch ends           */
	struct sched_adaptive_sample mix;   /* events in the window              */
	uint64_t run_start[SCHED_MAX_VMS];  /* each VM's run time at its start */
	uint64_t spin_start[SCHED_MAX_VMS]; /* ... and its spin_yields         */
	/* Per micro pool size tried: the window's events and length, and
	 * each VM's useful time (run time not spent spinning). */
	struct sched_adaptive_sample tried_mix[SCHED_PROGRESS_MAX_COUNT + 1];
	uint64_t tried_ns[SCHED_PROGRESS_MAX_COUNT + 1];
	uint64_t useful_ns[SCHED_PROGRESS_MAX_COUNT + 1][SCHED_MAX_VMS];
	/* controller_recheck: the sweep's last step measures sweep_low again
	 * (closing); tried_*[sweep_low] then hold that measurement and
	 * first_* the sweep's first one (rechecked). */
	bool closing, rechecked;
	/* The sweep began because contention started at a held size 0: a
	 * size-0 step short of min_events ends it (the burst is over). */
	bool started;
	uint64_t first_ns;
	uint64_t first_useful_ns[SCHED_MAX_VMS];
};

/* Algorithm 1 state of one normal pool (see sched/adaptive.c). */
struct sched_adaptive {
	bool enabled;
	bool profiling;                   /* profileMode                     */
	unsigned micro_count;             /* numMicroCores being tried/held  */
	uint64_t next_step;               /* absolute time of next step      */
	struct sched_adaptive_sample now; /* counting in this interval      */
	struct sched_adaptive_sample samples[SCHED_MAX_PCPUS + 1]; /* urEvents */
	uint64_t steps;
	unsigned decisions;             /* completed profile phases        */
	unsigned last_decision;         /* count chosen for the last epoch */
	struct sched_progress progress; /* controller=progress          */
};

struct sched_pool {
	struct sched_system *sys;
	bool in_use;
	int id;
	char name[SCHED_NAME_MAX];
	bool micro;      /* a micro-sliced child pool       */
	int parent;      /* micro: its normal pool          */
	int micro_child; /* normal: its micro pool, or -1   */
	struct sched_policy policy;
	struct sched_params params; /* micro: slice = micro_slice_ns,
	                               ratelimit 0, no stealing        */
	uint64_t pcpu_mask;         /* bit n = pCPU n is in this pool  */
	uint64_t free_slots;        /* micro: bit n = pCPU n accepts an
	                               offload (sched_offload_slot_free) */
	unsigned pcpu_count;
	unsigned vm_count;
	int master; /* pCPU doing accounting, or -1    */
	uint64_t next_account;
	struct sched_adaptive adaptive;
	/* normal with a micro child: how long it had each micro size */
	uint64_t micro_since;                        /* last resize (ns)  */
	uint64_t micro_time_ns[SCHED_MAX_PCPUS + 1]; /* by micro pCPUs    */
	uint64_t policy_data[SCHED_POLICY_POOL_WORDS];
};

/* Counters of every input and outcome (sched_counters_read()). */
struct sched_counters {
	uint64_t schedules; /* sched_schedule() calls           */
	uint64_t context_switches;
	uint64_t yields[SCHED_YIELD_SOURCE_COUNT][SCHED_CATEGORY_COUNT];
	uint64_t ipis[SCHED_TARGET_STATE_COUNT]; /* by target state         */
	uint64_t virqs[SCHED_TARGET_STATE_COUNT];
	uint64_t offloads[SCHED_OFFLOAD_CAUSE_COUNT];
	uint64_t offload_failures[SCHED_OFFLOAD_CAUSE_COUNT]; /* none free   */
	uint64_t offload_disabled[SCHED_OFFLOAD_CAUSE_COUNT]; /* policy off  */
	uint64_t micro_returns;                               /* back to home pCPU after slice    */
	uint64_t directed_yields;
	uint64_t directed_yield_failures; /* no preempted sibling            */
	uint64_t wakeups;
	uint64_t boosts;
	uint64_t blocks;
	uint64_t steals;
	uint64_t migrations; /* pool changes, redistribution     */
	uint64_t ratelimit_holds;
	uint64_t accountings;
	uint64_t adaptive_steps;
	uint64_t pool_resizes;
	uint64_t affinity_broken;     /* pin reset: its last pCPU left the pool */
	uint64_t cap_parks;           /* a capped VM's vCPU stopped at its cap  */
	uint64_t initiator_returns;   /* protect_initiator: brought back      */
	uint64_t micro_early_returns; /* micro_early_return: slice cut short */
	uint64_t adaptive_reprofiles; /* controller=progress: the event mix
	                                 changed, profiling restarted early */
	uint64_t micro_borrows;       /* micro_borrow: an idle micro pCPU
	                                 picked a normal pool's vCPU       */
	uint64_t borrow_preemptions;  /* micro_borrow: ... pre-empted at once
	                                 by an offload                     */
};

struct sched_system {
	struct sched_env_lock *lock;
	struct sched_policy policy; /* boot-time policy of Pool-0       */
	struct sched_params params;
	unsigned pcpu_count;
	struct sched_pcpu pcpus[SCHED_MAX_PCPUS];
	struct sched_pool pools[SCHED_MAX_POOLS];
	struct sched_vm vms[SCHED_MAX_VMS];
	uint64_t busy_mask; /* bit n = pcpus[n].current != NULL and not
	                       borrowed (micro_borrow: such a micro pCPU
	                       counts as idle for offloads)          */
	struct sched_counters counters;
};

/* What a pCPU runs next. */
struct sched_decision {
	struct sched_vcpu *vcpu; /* NULL: stay idle                          */
	uint64_t until;          /* call sched_schedule() again at this time */
	bool switched;           /* vcpu differs from the one before         */
};

/* ---- configuration (sched/policy.c) ---- */

void sched_params_default(struct sched_params *params);

/*
 * Parse a policy name: "credit", "credit-short", "directed-yield",
 * "micro-static:N" (1 <= N < SCHED_MAX_PCPUS), "micro-dynamic", "pinned".
 * Returns 0, or SCHED_ERR_INVALID with a one-line message in `error`.
 */
int sched_policy_parse(const char *text, struct sched_policy *policy, char *error,
                       size_t error_size);

/*
 * Does the policy time-share pCPUs? False for "pinned" (static placement,
 * one pCPU per online vCPU, no time slices): there a vCPU for which no pCPU
 * of its pool is free waits, possibly forever, so a caller should refuse a
 * VM with more vCPUs than its pool has pCPUs. NULL ops = credit = true.
 */
bool sched_policy_time_shares(const struct sched_policy *policy);

/*
 * Mechanism parameters by key, for command lines (hypervisor "sched_KEY=",
 * schedsim "--param KEY=V"): the key of index i (NULL past the end), the
 * index of a key (or SCHED_ERR_NOT_FOUND), the value, and setting one
 * with its range checked (SCHED_ERR_INVALID and "KEY=V: must be A..B").
 */
const char *sched_mechanism_key(unsigned index);
int sched_mechanism_find(const char *key);
uint64_t sched_mechanism_get(const struct sched_params *params, unsigned index);
int sched_mechanism_set(struct sched_params *params, unsigned index, uint64_t value, char *error,
                        size_t error_size);

/* ---- system and VMs (sched/core.c) ---- */

/*
 * Initialise `sys` with pCPUs 0..pcpu_count-1 all in "Pool-0" running
 * `policy` with `params` (NULL = defaults). Micro policies also create the
 * child pool "Pool-0-micro": micro-static:N moves the N highest-numbered
 * pCPUs into it; micro-dynamic starts it empty and arms Algorithm 1.
 */
int sched_init(struct sched_system *sys, const struct sched_policy *policy,
               const struct sched_params *params, unsigned pcpu_count, struct sched_env_lock *lock,
               char *error, size_t error_size);

struct sched_vm_config {
	const char *name;
	unsigned vcpu_count;        /* 1..SCHED_MAX_VCPUS_PER_VM           */
	uint32_t weight;            /* 0 = params.default_weight           */
	int pool;                   /* normal pool id (0 = Pool-0)         */
	sched_classify_fn classify; /* may be NULL                         */
	const void *classify_context;
	sched_locate_fn locate; /* may be NULL: kernel RIPs "unknown" */
	const void *locate_context;
	struct sched_profile *profile; /* may be NULL: no yield profile      */
};

/* Create a VM; all its vCPUs start OFFLINE. NULL if full or invalid. */
struct sched_vm *sched_vm_create(struct sched_system *sys, const struct sched_vm_config *config);
/* Destroy a VM whose vCPUs are all OFFLINE (else SCHED_ERR_BUSY). */
int sched_vm_destroy(struct sched_vm *vm);
void sched_vm_set_classifier(struct sched_vm *vm, sched_classify_fn classify, const void *context);
int sched_vm_set_weight(struct sched_vm *vm, uint32_t weight);
/* Credit cap in percent of one pCPU, 0..SCHED_CAP_PER_VCPU x vCPUs (0 =
 * none); SCHED_ERR_INVALID if out of range. Takes effect at once. */
int sched_vm_set_cap(struct sched_vm *vm, uint32_t cap);
/* Pause / unpause every vCPU of a VM: a paused VM's vCPUs keep their
 * states (RUNNABLE ones stay queued) but none is picked; one running is
 * descheduled at its pCPU's next decision (kicked now). */
int sched_vm_pause(struct sched_vm *vm, bool paused);
/*
 * Hard affinity: the vCPU runs only on pCPUs of `mask` (SCHED_AFFINITY_ALL
 * = anywhere in its pool). Refused (SCHED_ERR_INVALID) when `mask` names a
 * pCPU outside its pool and the pool's micro child, has none of its normal
 * pool's pCPUs, or the pool's policy places vCPUs itself (pinned). A
 * queued vCPU moves at once, a running one at its pCPU's next decision.
 * Moving the VM to another pool resets it to SCHED_AFFINITY_ALL (Xen).
 */
int sched_vcpu_set_affinity(struct sched_vcpu *vcpu, uint64_t mask);
struct sched_vcpu *sched_vm_vcpu(struct sched_vm *vm, unsigned index);

/* ---- the per-pCPU event loop (sched/core.c) ---- */

struct sched_decision sched_schedule(struct sched_system *sys, unsigned pcpu, uint64_t prev_rip,
                                     bool prev_kernel_mode);

/* OFFLINE -> RUNNABLE (no BOOST): start a vCPU (BSP at boot, AP at SIPI). */
int sched_vcpu_online(struct sched_vcpu *vcpu);
/* Any -> OFFLINE (a RUNNING vCPU leaves at its pCPU's next schedule). */
int sched_vcpu_offline(struct sched_vcpu *vcpu);
/* The RUNNING vCPU executed HLT. */
int sched_vcpu_block(struct sched_vcpu *vcpu, uint64_t rip, bool kernel_mode);
/* An interrupt is pending for `vcpu`: BLOCKED -> RUNNABLE with BOOST. */
int sched_vcpu_wake(struct sched_vcpu *vcpu);

/* ---- urgent signals and offload decisions (sched/offload.c) ---- */

/*
 * The RUNNING vCPU yields (PLE exit or guest yield) at live `rip`.
 * Classifies rip, counts, and acts per the pool's policy:
 *   lock-spin -> offload preempted siblings whose saved RIP is CRITICAL;
 *   ipi-wait  -> offload every preempted sibling;
 *   halt/none -> plain yield;
 *   directed-yield policy, PLE source -> yield to a preempted sibling.
 */
int sched_vcpu_yield(struct sched_vcpu *vcpu, enum sched_yield_source source, uint64_t rip,
                     bool kernel_mode);
/* A virtual IPI / device IRQ is about to be delivered to `target`. */
void sched_notify_ipi(struct sched_vcpu *target);
void sched_notify_virq(struct sched_vcpu *target);

/* ---- cpupools (sched/cpupool.c) ---- */

/* Create an empty normal pool (policy/params NULL = the system's). */
int sched_pool_create(struct sched_system *sys, const char *name, const struct sched_policy *policy,
                      const struct sched_params *params);
/* Destroy a pool with no VMs; its pCPUs (and its micro child's) become free. */
int sched_pool_destroy(struct sched_system *sys, int pool);
int sched_pool_find(struct sched_system *sys, const char *name);
/* Add a free pCPU to a pool (normal or micro). */
int sched_pool_add_pcpu(struct sched_system *sys, int pool, unsigned pcpu);
/* Remove a pCPU; its queued vCPUs move to other pCPUs of the pool.
 * SCHED_ERR_BUSY if it is the last pCPU of a pool with VMs, or the last
 * pCPU of some vCPU's hard affinity (unpin it first). (Resizing a micro
 * child instead resets such a pin: counters.affinity_broken.) */
int sched_pool_remove_pcpu(struct sched_system *sys, int pool, unsigned pcpu);
/* Move a VM (all its vCPUs) to another normal pool. */
int sched_vm_move(struct sched_vm *vm, int pool);
/* Resize a normal pool's micro child to `count` pCPUs taken from / given
 * back to the normal pool (highest-numbered pCPUs move first). */
int sched_pool_set_micro_count(struct sched_system *sys, int pool, unsigned count);
unsigned sched_pool_micro_count(struct sched_system *sys, int pool);
/* Time (ns, up to now) the normal pool's micro child spent at each size:
 * ns[c] for c micro pCPUs, c < max. Returns 1 + the largest size that had
 * any time (0 when the pool has no micro child). */
unsigned sched_pool_micro_history(struct sched_system *sys, int pool, uint64_t *ns, unsigned max);

/* ---- observation ---- */

/*
 * Verify the scheduler's invariants (sched/internal.h, sched/cpupool.c and
 * the policies'): runqueue membership per vCPU state, runq_length, pCPU /
 * pool membership and counts, masters, the pinned policy's assignments.
 * Takes no lock: call it with the lock held (or nothing running). Returns
 * 0, or -1 with a one-line message naming the broken invariant and the
 * vCPU / pCPU / pool in `error` (NUL-terminated, truncated to `size`).
 */
int sched_check_invariants(const struct sched_system *sys, char *error, size_t size);

void sched_counters_read(struct sched_system *sys, struct sched_counters *out);
const char *sched_vcpu_state_name(enum sched_vcpu_state state);
/* The vCPU's policy priority (enum sched_priority) and credit balance. */
int sched_vcpu_priority(struct sched_vcpu *vcpu);
int64_t sched_vcpu_credit(struct sched_vcpu *vcpu);

#endif /* SCHED_SCHED_H */
