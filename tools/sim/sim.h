/*
 * tools/sim/sim.h - shared state of schedsim, the discrete-event simulator
 * that drives the real uslice scheduler (sched/) with modelled guests.
 *
 * The simulator is split in layers that talk only through this header:
 *   event.c     the timed event queue (deterministic order)
 *   guest.c     the modelled guest vCPUs: programs of user compute, kernel
 *               sections, spinlocks, TLB shootdowns, I/O handlers, HLT
 *   machine.c   the "hardware + hypervisor loop": pCPUs, VM exits, and the
 *               implementation of sched/env.h; the only file that calls the
 *               scheduler API (sched/sched.h)
 *   scenario.c  the scenarios (VM mixes) and their parameters
 *   report.c    RESULT / SUMMARY lines
 *   main.c      the command line
 * The guest never makes a scheduling decision: it only reports what a real
 * guest would make the hardware report (PLE exit, HLT, IPI/IRQ sends), and
 * runs when, and where, the scheduler puts it.
 *
 * Time is simulated nanoseconds (sim->now). Single-threaded: no locks; the
 * invariant that matters is that a vCPU executes guest code on at most one
 * pCPU at a time (vcpu->executing, vcpu->pcpu), which machine.c maintains.
 *
 * Lock order: none (single-threaded host program).
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdint.h>
#include <stdio.h>

#include "sched/category.h"
#include "tools/sim/event.h"
#include "tools/sim/stats.h"
#include "tools/sim/symbols.h"

#define SIM_MAX_PCPUS        64
#define SIM_MAX_VMS          4
#define SIM_MAX_VCPUS_PER_VM 32
#define SIM_MAX_VCPUS        (SIM_MAX_VMS * SIM_MAX_VCPUS_PER_VM)
#define SIM_MAX_LOCKS        8
#define SIM_MAX_FLOWS        16
#define SIM_MAX_FRAMES       4
#define SIM_MAX_PARAMS       16 /* >= SCHED_MECHANISM_COUNT */

/* What a VM's vCPUs run. */
enum sim_workload {
	SIM_WORKLOAD_LOCK = 0, /* user compute + short spinlock sections  */
	SIM_WORKLOAD_TLB,      /* user compute + munmap TLB shootdowns     */
	SIM_WORKLOAD_IO,       /* NIC interrupts + wakeups, mixed compute  */
	SIM_WORKLOAD_HOG,      /* pure user compute, never yields          */
	SIM_WORKLOAD_COMPUTE,  /* CPU-bound user compute (overhead check)  */
	SIM_WORKLOAD_COUNT
};

/* Parameters of one VM's workload; times in ns (means of exponentials). */
struct sim_workload_params {
	enum sim_workload kind;
	uint64_t user_mean_ns;       /* user compute between kernel sections  */
	uint64_t kernel_ns;          /* non-critical kernel work per section  */
	uint64_t critical_min_ns;    /* spinlock critical section length,     */
	uint64_t critical_max_ns;    /* uniform in [min, max]                 */
	int lock_count;              /* locks shared by the VM's vCPUs         */
	int unlisted_percent;        /* critical sections in unlisted code     */
	uint64_t flush_handler_ns;   /* flush_tlb_func per request             */
	int io_flows;                /* NIC flows (open loop, Poisson)         */
	uint64_t io_interarrival_ns; /* mean time between a flow's packets     */
	uint64_t io_handler_ns;      /* handle_edge_irq + net_rx_action, base  */
	uint64_t io_packet_ns;       /* net_rx_action per packet               */
	int io_mixed_receivers;      /* IRQ vCPUs also run compute             */
	int io_remote_consumer;      /* receiving thread on another vCPU (an
	                                I/O-only one that halts when idle)   */
	int sleep_per_10000;         /* lock: iterations ending in a sleep     */
	uint64_t sleep_mean_ns;      /* lock: sleep length before the wakeup   */
};

struct sim_vm_config {
	const char *name;
	int vcpus;
	struct sim_workload_params workload;
};

struct sim_scenario {
	const char *name;
	const char *description;
	int vm_count;
	struct sim_vm_config vms[SIM_MAX_VMS];
};

/* Programs a vCPU frame can run. */
enum sim_program {
	SIM_PROGRAM_MAIN = 0,        /* the workload loop                    */
	SIM_PROGRAM_FLUSH_HANDLER,   /* call-function IPI: flush_tlb_func    */
	SIM_PROGRAM_IRQ_HANDLER,     /* NIC interrupt                        */
	SIM_PROGRAM_RESCHED_HANDLER, /* reschedule IPI + receiving thread   */
};

/* What the top frame is doing. */
enum sim_activity {
	SIM_ACTIVITY_WORK = 0,  /* timed work in a function                */
	SIM_ACTIVITY_LOCK_SPIN, /* spinning for a held lock (PLE window)    */
	SIM_ACTIVITY_ACK_WAIT,  /* waiting for shootdown acks (PLE window)  */
	SIM_ACTIVITY_HALT,      /* HLT: blocked until an interrupt          */
};

struct sim_frame {
	int program;  /* enum sim_program                     */
	int step;     /* position in the program              */
	int activity; /* enum sim_activity                    */
	enum sim_function function;
	uint64_t remaining_ns; /* SIM_ACTIVITY_WORK                    */
	int argument;          /* flow number (I/O handlers)           */
	uint64_t mask;         /* flush handler: senders being acked   */
};

/* Virtual interrupt kinds a vCPU can receive. */
enum sim_interrupt {
	SIM_INTERRUPT_FLUSH = 0, /* call-function IPI (TLB shootdown)  */
	SIM_INTERRUPT_RESCHED,   /* reschedule IPI (wakeup)            */
	SIM_INTERRUPT_DEVICE,    /* NIC interrupt (virtual IRQ)        */
};

struct sim_vcpu {
	int id;    /* index in sim->vcpus                   */
	int vm;    /* VM index                               */
	int index; /* vCPU number within the VM              */
	int mixed; /* I/O vCPU that also runs compute        */

	/* Guest execution state (guest.c). */
	struct sim_frame frames[SIM_MAX_FRAMES];
	int depth;           /* frames in use, >= 1                     */
	int executing;       /* on a pCPU, in guest mode                */
	int entering;        /* VM entry in progress until `since`      */
	int pcpu;            /* that pCPU, or -1                        */
	int halted;          /* executed HLT, blocked in the scheduler  */
	uint64_t since;      /* top frame's segment executes from here  */
	uint64_t generation; /* step events with another value are stale */

	uint64_t pending_flush;   /* senders (vCPU numbers) owed an ack   */
	uint32_t pending_device;  /* flows whose packet awaits the handler */
	uint32_t pending_resched; /* flows whose wakeup awaits the handler */
	int pending_wakeup;       /* a sibling's wakeup IPI awaits handler */
	int sleeping;             /* its thread sleeps until a wakeup      */

	int lock;             /* lock being acquired or held, -1 if none  */
	uint64_t wait_start;  /* lock attempt or shootdown start          */
	int outstanding_acks; /* shootdown targets that have not acked    */

	/* Measurements. */
	uint64_t units;          /* completed work units                 */
	uint64_t compute_chunks; /* completed compute chunks (I/O vCPUs) */
	uint64_t run_ns;         /* time in guest mode                   */
	uint64_t micro_ns;       /* of which on micro-sliced pCPUs        */

	void *scheduler_vcpu; /* machine.c's handle for this vCPU      */
};

struct sim_lock {
	int holder; /* vCPU id, -1 when free */
};

struct sim_vm {
	const struct sim_vm_config *config;
	int first_vcpu; /* index of vCPU 0 in sim->vcpus */
	int vcpus;
	struct sim_lock locks[SIM_MAX_LOCKS];
	void *scheduler_vm;
	void *profile; /* struct sched_profile, with --yield-profile */
};

#define SIM_FLOW_RING 256 /* NIC receive ring: packets beyond are dropped */

/*
 * An open-loop NIC flow (UDP-stream-like): packets arrive whether or not
 * the guest keeps up; they wait in the receive ring. NAPI-style, one
 * interrupt is raised when the ring becomes non-empty; its handler chain
 * takes every packet present when net_rx_action starts, and the interrupt
 * is raised again at the end if more arrived meanwhile.
 */
struct sim_flow {
	int vm;
	int irq_vcpu;                 /* vCPU id taking the interrupt           */
	int consumer_vcpu;            /* vCPU id running the receiving thread   */
	uint64_t ring[SIM_FLOW_RING]; /* arrival times, oldest at head  */
	int head;
	int count;
	int in_service;      /* packets taken by the running handler  */
	int irq_outstanding; /* raised and not yet completed           */
	uint64_t drops;
};

/* Guest-side counters and latencies of one run. */
struct sim_measure {
	struct sim_latency lock_wait; /* contended acquisitions only */
	struct sim_latency shootdown; /* IPIs sent -> last ack       */
	struct sim_latency io;        /* arrival -> receiver done    */
	uint64_t lock_acquisitions;
	uint64_t lock_contended;
	uint64_t shootdowns;
	uint64_t io_requests;
	uint64_t io_drops;
	uint64_t ple_exits; /* PLE exits the guests took   */
	uint64_t halts;
	uint64_t sleeps;
	uint64_t ipis_sent;
	uint64_t irqs_raised;
};

struct sim_options {
	int pcpus;
	uint64_t duration_ns;
	uint64_t seed;
	uint64_t ple_window_cycles;
	uint64_t cpu_mhz;          /* converts the PLE window to ns     */
	uint64_t exit_cost_ns;     /* VM exit + entry                    */
	uint64_t switch_cost_ns;   /* extra when the pCPU changes vCPU   */
	uint64_t compute_chunk_ns; /* one compute work unit               */
	int micro_limit;           /* max micro-sliced cores (dynamic)   */
	uint64_t online_spread_ns; /* vCPUs start at random times in it  */
	uint64_t epoch_ns;         /* Algorithm 1 run phase, 0 = default */
	uint64_t profile_ns;       /* Algorithm 1 profile step, 0 = dflt */
	FILE *trace;               /* TRACE lines, or NULL               */
	int yield_profile_top;     /* YIELDPROFILE... lines per VM, 0 off */
	/* --param KEY=V: scheduler mechanism parameters (enum
	 * sched_mechanism index n set if bit n of param_set). */
	unsigned param_set;
	uint64_t param_value[SIM_MAX_PARAMS];
};

struct sim {
	struct sim_options options;
	const struct sim_scenario *scenario;
	const char *policy;
	uint64_t now;
	uint64_t end;
	uint64_t ple_window_ns;
	struct sim_event_queue events;
	struct sim_random random;

	int vm_count;
	struct sim_vm vms[SIM_MAX_VMS];
	int vcpu_count;
	struct sim_vcpu vcpus[SIM_MAX_VCPUS];
	int flow_count;
	struct sim_flow flows[SIM_MAX_FLOWS];

	struct sim_measure measure;
	void *machine; /* machine.c's state (scheduler instance, pCPUs) */
};

/* scenario.c */
int sim_scenario_count(void);
const struct sim_scenario *sim_scenario_at(int index);
const struct sim_scenario *sim_scenario_find(const char *name);
const char *sim_workload_name(enum sim_workload kind);
void sim_options_default(struct sim_options *options);

/* guest.c: called by machine.c */
void sim_guest_init(struct sim *sim);
void sim_guest_run(struct sim *sim, struct sim_vcpu *vcpu, int pcpu, uint64_t start);
void sim_guest_stop(struct sim *sim, struct sim_vcpu *vcpu);
void sim_guest_step(struct sim *sim, struct sim_vcpu *vcpu, uint64_t generation);
void sim_guest_packet(struct sim *sim, int flow);
void sim_guest_wakeup(struct sim *sim, struct sim_vcpu *vcpu);
uint64_t sim_guest_rip(const struct sim_vcpu *vcpu);
void sim_guest_unhalt(struct sim_vcpu *vcpu);

/* machine.c: called by guest.c */
void sim_machine_ple_exit(struct sim *sim, struct sim_vcpu *vcpu);
void sim_machine_halt(struct sim *sim, struct sim_vcpu *vcpu);
void sim_machine_interrupt(struct sim *sim, struct sim_vcpu *sender, struct sim_vcpu *target,
                           enum sim_interrupt kind);

/* Offload causes reported (mirrors enum sched_offload_cause). */
#define SIM_OFFLOAD_CAUSES 4
#define SIM_KERNEL_BASE    0xffff800000000000ull

/* Everything one run measured (filled by sim_run). */
struct sim_result {
	char scenario[32];
	char policy[32];
	uint64_t duration_ns;
	int pcpus;
	int vm_count;
	const char *vm_workload[SIM_MAX_VMS];
	uint64_t vm_units[SIM_MAX_VMS];          /* completed work units      */
	uint64_t vm_compute_chunks[SIM_MAX_VMS]; /* I/O vCPUs' compute        */
	uint64_t vm_run_ns[SIM_MAX_VMS];         /* CPU time received         */
	uint64_t yields_ple;                     /* by source (scheduler)     */
	uint64_t yields_guest;
	uint64_t yields_category[SCHED_CATEGORY_COUNT]; /* all sources    */
	uint64_t offloads[SIM_OFFLOAD_CAUSES];
	uint64_t offload_failures[SIM_OFFLOAD_CAUSES];
	uint64_t directed_yields;
	uint64_t boosts;
	uint64_t ipis_to_preempted; /* targets RUNNABLE (queued) */
	uint64_t virqs_to_preempted;
	uint64_t ipis_total;
	uint64_t virqs_total;
	uint64_t context_switches;
	uint64_t micro_run_ns; /* vCPU time on micro pCPUs  */
	unsigned micro_cores_end;
	double micro_cores_average; /* time-weighted             */
	uint64_t pool_resizes;
	uint64_t lock_wait_p50_ns, lock_wait_p99_ns;
	uint64_t shootdown_p50_ns, shootdown_p99_ns;
	uint64_t io_p50_ns, io_p99_ns;
	uint64_t lock_contended;
	uint64_t shootdowns;
	uint64_t io_requests;
	uint64_t io_drops;  /* receive ring overflows    */
	uint64_t ple_exits; /* as the guests saw them    */
	uint64_t halts;
	uint64_t events; /* simulator events handled  */
	uint64_t trace_records;
};

/* machine.c: called by main.c / tests */
int sim_policy_count(int micro_limit);
/* Name of policy number index (fills buffer); NULL past the end. */
const char *sim_policy_name(int index, int micro_limit, char *buffer, size_t size);
int sim_run(const struct sim_scenario *scenario, const char *policy,
            const struct sim_options *options, struct sim_result *result);

#endif /* SIM_SIM_H */
