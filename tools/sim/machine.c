/*
 * tools/sim/machine.c - the simulated machine: pCPUs, VM exits, and the
 * environment (sched/env.h) that the real uslice scheduler runs in.
 *
 * This is the only file of the simulator that calls the scheduler. It
 * follows the driving protocol of sched/sched.h exactly, as the hypervisor
 * would: each pCPU calls sched_schedule() with the live RIP of the vCPU it
 * was running, runs the returned vCPU until the returned deadline, a kick,
 * or an exit (PLE -> sched_vcpu_yield, HLT -> sched_vcpu_block), and
 * reports every virtual IPI / IRQ with sched_notify_ipi/virq (plus
 * sched_vcpu_wake for a halted target). Every choice of who runs where,
 * for how long, and what gets offloaded is the scheduler's.
 *
 * Environment (sched/env.h) in the simulator:
 *   now        = simulated ns;
 *   this pCPU  = the pCPU whose event is being processed (sim_machine_enter);
 *   lock       = a flag that asserts the scheduler is never re-entered;
 *   kick       = an immediate SIM_EVENT_PCPU_KICK for that pCPU (coalesced);
 *   timer      = the `until` of each decision, a SIM_EVENT_PCPU_TIMER;
 *   trace      = stamped, written to the pCPU's sched_trace_ring, and, with
 *                --trace, read back and printed as a TRACE line.
 *
 * Costs charged by the machine (time during which the pCPU runs no guest
 * code): exit_cost_ns for every VM exit/entry pair, plus switch_cost_ns
 * when a pCPU enters a different vCPU than the last one it ran (state
 * switch and cache/TLB refill, folded into one constant).
 *
 * Lock order: none (single-threaded); the scheduler's lock is the flag in
 * struct sched_env_lock, which must be free whenever we call the scheduler.
 */
#include "tools/sim/sim.h"

#include <stdlib.h>
#include <string.h>

#include "sched/profile.h"
#include "sched/sched.h"
#include "tools/sim/classifier.h"
#include "tools/sim/report.h"

#define SIM_MACHINE_RING_CAPACITY    1024
#define SIM_MACHINE_PROFILE_CAPACITY 1024 /* yield-profile slots per VM */

_Static_assert(SIM_OFFLOAD_CAUSES == SCHED_OFFLOAD_CAUSE_COUNT,
               "sim_result mirrors enum sched_offload_cause");
_Static_assert(SIM_MAX_PCPUS <= SCHED_MAX_PCPUS, "pCPU maximum");
_Static_assert(SCHED_MECHANISM_COUNT <= SIM_MAX_PARAMS, "--param slots");

struct sched_env_lock {
	int held;
};

struct sim_pcpu {
	struct sim_vcpu *current; /* the scheduler's choice, NULL = idle  */
	struct sim_vcpu *last;    /* last vCPU entered (switch cost)       */
	uint64_t timer_generation;
	int kick_pending;
};

struct sim_machine {
	struct sched_system system;
	struct sched_env_lock lock;
	struct sim_pcpu pcpus[SIM_MAX_PCPUS];
	struct sched_trace_ring rings[SIM_MAX_PCPUS];
	struct sched_trace_record *ring_storage;
	int vm_by_scheduler_id[SCHED_MAX_VMS];
	unsigned micro_count; /* current micro pool size          */
	uint64_t micro_since; /* ... since this time              */
	uint64_t micro_area;  /* integral of size over time (ns)  */
	uint64_t trace_records;
};

/* The run in progress: the environment functions have no context. */
static struct sim *sim_machine_active;
static unsigned sim_machine_this_pcpu;

static struct sim_machine *sim_machine_of(struct sim *sim)
{
	return sim->machine;
}

static struct sim_vcpu *sim_machine_vcpu(struct sim *sim, const struct sched_vcpu *vcpu)
{
	struct sim_machine *machine = sim_machine_of(sim);
	int vm = machine->vm_by_scheduler_id[vcpu->vm->id];

	return &sim->vcpus[sim->vms[vm].first_vcpu + vcpu->index];
}

/* ---- sched/env.h ---- */

uint64_t sched_env_now(void)
{
	return sim_machine_active ? sim_machine_active->now : 0;
}

unsigned sched_env_this_pcpu(void)
{
	return sim_machine_this_pcpu;
}

void sched_env_lock_acquire(struct sched_env_lock *lock)
{
	if (lock->held) {
		fprintf(stderr, "schedsim: scheduler lock re-entered\n");
		abort();
	}
	lock->held = 1;
}

void sched_env_lock_release(struct sched_env_lock *lock)
{
	struct sim *sim = sim_machine_active;
	char message[256];

	if (!lock->held) {
		fprintf(stderr, "schedsim: scheduler lock released twice\n");
		abort();
	}
	/* Every locked operation must leave the scheduler consistent. */
	if (sim && lock == &sim_machine_of(sim)->lock &&
	    sched_check_invariants(&sim_machine_of(sim)->system, message, sizeof(message)) != 0)
		sched_env_panic(message);
	lock->held = 0;
}

void sched_env_panic(const char *message)
{
	fprintf(stderr, "schedsim: scheduler bug: %s\n", message);
	abort();
}

void sched_env_kick(unsigned pcpu)
{
	struct sim *sim = sim_machine_active;
	struct sim_machine *machine;

	if (!sim || pcpu >= (unsigned)sim->options.pcpus)
		return;
	machine = sim_machine_of(sim);
	if (machine->pcpus[pcpu].kick_pending)
		return;
	machine->pcpus[pcpu].kick_pending = 1;
	sim_event_push(&sim->events, sim->now, SIM_EVENT_PCPU_KICK, (int)pcpu, 0);
}

void sched_env_trace(const struct sched_trace_record *record)
{
	struct sim *sim = sim_machine_active;
	struct sim_machine *machine;
	struct sched_trace_record stamped = *record;
	struct sched_trace_ring *ring;

	if (!sim)
		return;
	machine = sim_machine_of(sim);
	stamped.time = sim->now;
	machine->trace_records++;
	if (stamped.event == SCHED_TRACE_POOL_RESIZE) {
		machine->micro_area +=
		    (uint64_t)machine->micro_count * (sim->now - machine->micro_since);
		machine->micro_since = sim->now;
		machine->micro_count = (unsigned)stamped.arg1;
	}
	if (stamped.pcpu >= sim->options.pcpus)
		return;
	ring = &machine->rings[stamped.pcpu];
	sched_trace_ring_write(ring, &stamped);
	if (sim->options.trace) {
		struct sched_trace_record copy;
		char line[SCHED_TRACE_LINE_MAX];

		while (sched_trace_ring_read(ring, &copy, 1) == 1) {
			sched_trace_format(&copy, line, sizeof(line));
			fprintf(sim->options.trace, "%s\n", line);
		}
	}
}

/* ---- the pCPU loop ---- */

static void sim_machine_enter(unsigned pcpu)
{
	sim_machine_this_pcpu = pcpu;
}

/*
 * pCPU `number` asks the scheduler what to run next: stop its current
 * vCPU (if still executing), pass its live RIP, and enter the decision.
 */
static void sim_machine_reschedule(struct sim *sim, unsigned number)
{
	struct sim_machine *machine = sim_machine_of(sim);
	struct sim_pcpu *pcpu = &machine->pcpus[number];
	struct sim_vcpu *previous = pcpu->current;
	struct sched_decision decision;
	uint64_t rip = 0;
	bool kernel_mode = false;

	if (previous) {
		sim_guest_stop(sim, previous);
		rip = sim_guest_rip(previous);
		kernel_mode = rip >= SIM_KERNEL_BASE;
	}
	sim_machine_enter(number);
	decision = sched_schedule(&machine->system, number, rip, kernel_mode);
	pcpu->current = decision.vcpu ? sim_machine_vcpu(sim, decision.vcpu) : NULL;
	if (pcpu->current) {
		uint64_t cost = sim->options.exit_cost_ns;

		if (pcpu->current->executing) {
			fprintf(stderr,
			        "schedsim: vm%d vcpu%d chosen by pcpu%u while "
			        "executing on pcpu%d\n",
			        pcpu->current->vm, pcpu->current->index, number,
			        pcpu->current->pcpu);
			abort();
		}
		if (pcpu->current != pcpu->last)
			cost += sim->options.switch_cost_ns;
		pcpu->last = pcpu->current;
		sim_guest_run(sim, pcpu->current, (int)number, sim->now + cost);
	}
	pcpu->timer_generation++;
	if (decision.until != SCHED_TIME_NEVER)
		sim_event_push(&sim->events, decision.until > sim->now ? decision.until : sim->now,
		               SIM_EVENT_PCPU_TIMER, (int)number, pcpu->timer_generation);
}

void sim_machine_ple_exit(struct sim *sim, struct sim_vcpu *vcpu)
{
	unsigned pcpu = (unsigned)vcpu->pcpu;
	uint64_t rip = sim_guest_rip(vcpu);

	sim_guest_stop(sim, vcpu);
	sim_machine_enter(pcpu);
	sched_vcpu_yield(vcpu->scheduler_vcpu, SCHED_YIELD_PLE, rip, rip >= SIM_KERNEL_BASE);
	sim_machine_reschedule(sim, pcpu);
}

void sim_machine_halt(struct sim *sim, struct sim_vcpu *vcpu)
{
	unsigned pcpu = (unsigned)vcpu->pcpu;
	uint64_t rip = sim_guest_rip(vcpu);

	sim_guest_stop(sim, vcpu);
	sim_machine_enter(pcpu);
	sched_vcpu_block(vcpu->scheduler_vcpu, rip, rip >= SIM_KERNEL_BASE);
	sim_machine_reschedule(sim, pcpu);
}

void sim_machine_interrupt(struct sim *sim, struct sim_vcpu *sender, struct sim_vcpu *target,
                           enum sim_interrupt kind)
{
	struct sched_vcpu *scheduler_target = target->scheduler_vcpu;
	int pcpu = 0;

	(void)sim;
	/* The exit (ICR write) happens on the sender's pCPU; a device's
	 * interrupt is taken where the target last ran. */
	if (sender && sender->pcpu >= 0)
		pcpu = sender->pcpu;
	else if (scheduler_target->pcpu >= 0)
		pcpu = scheduler_target->pcpu;
	sim_machine_enter((unsigned)pcpu);
	if (kind == SIM_INTERRUPT_DEVICE)
		sched_notify_virq(scheduler_target);
	else
		sched_notify_ipi(scheduler_target);
	if (target->halted) {
		sim_guest_unhalt(target);
		sched_vcpu_wake(scheduler_target);
	}
}

/* ---- policies ---- */

int sim_policy_count(int micro_limit)
{
	return 5 + micro_limit;
}

const char *sim_policy_name(int index, int micro_limit, char *buffer, size_t size)
{
	if (index == 0)
		snprintf(buffer, size, "credit");
	else if (index == 1)
		snprintf(buffer, size, "credit-short");
	else if (index == 2)
		snprintf(buffer, size, "directed-yield");
	else if (index < 3 + micro_limit)
		snprintf(buffer, size, "micro-static:%d", index - 2);
	else if (index == 3 + micro_limit)
		snprintf(buffer, size, "micro-dynamic");
	else if (index == 4 + micro_limit)
		snprintf(buffer, size, "pinned");
	else
		return NULL;
	return buffer;
}

/* ---- one run ---- */

static int sim_machine_setup(struct sim *sim, const char *policy_name, char *error,
                             size_t error_size)
{
	struct sim_machine *machine = sim_machine_of(sim);
	struct sched_policy policy;
	struct sched_params params;
	const void *classifier = sim_classifier_get("linux-6.x");
	int i;

	if (sched_policy_parse(policy_name, &policy, error, error_size) != 0)
		return -1;
	sched_params_default(&params);
	params.micro_limit = (uint32_t)sim->options.micro_limit;
	if (sim->options.epoch_ns)
		params.epoch_ns = sim->options.epoch_ns;
	if (sim->options.profile_ns)
		params.profile_interval_ns = sim->options.profile_ns;
	for (i = 0; i < SCHED_MECHANISM_COUNT; i++)
		if (sim->options.param_set >> i & 1 &&
		    sched_mechanism_set(&params, (unsigned)i, sim->options.param_value[i], error,
		                        error_size) != SCHED_OK)
			return -1;
	if (sched_init(&machine->system, &policy, &params, (unsigned)sim->options.pcpus,
	               &machine->lock, error, error_size) != 0)
		return -1;
	for (i = 0; i < sim->vm_count; i++) {
		struct sim_vm *vm = &sim->vms[i];
		struct sched_vm_config config = {
		    .name = vm->config->name,
		    .vcpu_count = (unsigned)vm->vcpus,
		    .weight = 0,
		    .pool = 0,
		    .classify = sim_classifier_classify,
		    .classify_context = classifier,
		    .locate = sim_classifier_locate,
		    .locate_context = classifier,
		    .profile = vm->profile,
		};
		struct sched_vm *scheduler_vm = sched_vm_create(&machine->system, &config);
		int v;

		if (!scheduler_vm) {
			snprintf(error, error_size, "sched_vm_create(%s) failed", vm->config->name);
			return -1;
		}
		vm->scheduler_vm = scheduler_vm;
		machine->vm_by_scheduler_id[scheduler_vm->id] = i;
		for (v = 0; v < vm->vcpus; v++)
			sim->vcpus[vm->first_vcpu + v].scheduler_vcpu =
			    sched_vm_vcpu(scheduler_vm, (unsigned)v);
	}
	machine->micro_count = sched_pool_micro_count(&machine->system, 0);
	machine->micro_since = 0;
	/* vCPUs come online at random times (the VMs boot and start their
	 * APs independently), so that pCPUs' slices are not all aligned. */
	for (i = 0; i < sim->vcpu_count; i++)
		sim_event_push(&sim->events,
		               sim_random_below(&sim->random, sim->options.online_spread_ns + 1),
		               SIM_EVENT_VCPU_ONLINE, i, 0);
	return 0;
}

/* Build the VMs, vCPUs and flows of a scenario. */
static void sim_machine_build(struct sim *sim)
{
	int i;

	for (i = 0; i < sim->scenario->vm_count; i++) {
		const struct sim_vm_config *config = &sim->scenario->vms[i];
		struct sim_vm *vm = &sim->vms[sim->vm_count++];
		int v, l;

		vm->config = config;
		vm->first_vcpu = sim->vcpu_count;
		vm->vcpus = config->vcpus;
		for (l = 0; l < SIM_MAX_LOCKS; l++)
			vm->locks[l].holder = -1;
		for (v = 0; v < config->vcpus; v++) {
			struct sim_vcpu *vcpu = &sim->vcpus[sim->vcpu_count];

			vcpu->id = sim->vcpu_count++;
			vcpu->vm = i;
			vcpu->index = v;
		}
		if (config->workload.kind == SIM_WORKLOAD_IO) {
			int flows = config->workload.io_flows;

			/* vCPUs without a flow of their own run compute. */
			for (v = 0; v < config->vcpus; v++)
				sim->vcpus[vm->first_vcpu + v].mixed =
				    !config->workload.io_remote_consumer || v >= 2 * flows;

			for (v = 0; v < flows; v++) {
				struct sim_flow *flow = &sim->flows[sim->flow_count++];

				flow->vm = i;
				flow->irq_vcpu = vm->first_vcpu + v;
				flow->consumer_vcpu = config->workload.io_remote_consumer
				                          ? vm->first_vcpu + flows + v
				                          : flow->irq_vcpu;
				sim->vcpus[flow->irq_vcpu].mixed =
				    config->workload.io_mixed_receivers;
			}
		}
	}
}

static void sim_machine_collect(struct sim *sim, struct sim_result *result)
{
	struct sim_machine *machine = sim_machine_of(sim);
	struct sched_counters counters;
	int i, c;

	sched_counters_read(&machine->system, &counters);
	snprintf(result->scenario, sizeof(result->scenario), "%s", sim->scenario->name);
	snprintf(result->policy, sizeof(result->policy), "%s", sim->policy);
	result->duration_ns = sim->end;
	result->pcpus = sim->options.pcpus;
	result->vm_count = sim->vm_count;
	for (i = 0; i < sim->vcpu_count; i++) {
		struct sim_vcpu *vcpu = &sim->vcpus[i];
		struct sched_vcpu *scheduler_vcpu = vcpu->scheduler_vcpu;

		result->vm_units[vcpu->vm] += vcpu->units;
		result->vm_compute_chunks[vcpu->vm] += vcpu->compute_chunks;
		result->vm_run_ns[vcpu->vm] += scheduler_vcpu->stats.run_ns;
		result->micro_run_ns += scheduler_vcpu->stats.micro_run_ns;
	}
	for (i = 0; i < sim->vm_count; i++)
		result->vm_workload[i] = sim_workload_name(sim->vms[i].config->workload.kind);
	for (c = 0; c < SCHED_CATEGORY_COUNT; c++) {
		result->yields_ple += counters.yields[SCHED_YIELD_PLE][c];
		result->yields_guest += counters.yields[SCHED_YIELD_GUEST][c];
		result->yields_category[c] =
		    counters.yields[SCHED_YIELD_PLE][c] + counters.yields[SCHED_YIELD_GUEST][c];
	}
	for (c = 0; c < SIM_OFFLOAD_CAUSES; c++) {
		result->offloads[c] = counters.offloads[c];
		result->offload_failures[c] = counters.offload_failures[c];
	}
	for (c = 0; c < SCHED_TARGET_STATE_COUNT; c++) {
		result->ipis_total += counters.ipis[c];
		result->virqs_total += counters.virqs[c];
	}
	result->ipis_to_preempted = counters.ipis[SCHED_TARGET_PREEMPTED];
	result->virqs_to_preempted = counters.virqs[SCHED_TARGET_PREEMPTED];
	result->directed_yields = counters.directed_yields;
	result->boosts = counters.boosts;
	result->context_switches = counters.context_switches;
	result->pool_resizes = counters.pool_resizes;
	result->micro_cores_end = sched_pool_micro_count(&machine->system, 0);
	machine->micro_area += (uint64_t)machine->micro_count * (sim->end - machine->micro_since);
	result->micro_cores_average = sim->end ? (double)machine->micro_area / (double)sim->end : 0;
	result->lock_wait_p50_ns = sim_latency_percentile(&sim->measure.lock_wait, 50);
	result->lock_wait_p99_ns = sim_latency_percentile(&sim->measure.lock_wait, 99);
	result->shootdown_p50_ns = sim_latency_percentile(&sim->measure.shootdown, 50);
	result->shootdown_p99_ns = sim_latency_percentile(&sim->measure.shootdown, 99);
	result->io_p50_ns = sim_latency_percentile(&sim->measure.io, 50);
	result->io_p99_ns = sim_latency_percentile(&sim->measure.io, 99);
	result->lock_contended = sim->measure.lock_contended;
	result->shootdowns = sim->measure.shootdowns;
	result->io_requests = sim->measure.io_requests;
	result->io_drops = sim->measure.io_drops;
	result->ple_exits = sim->measure.ple_exits;
	result->halts = sim->measure.halts;
	result->events = sim->events.processed;
	result->trace_records = machine->trace_records;
}

static void sim_machine_loop(struct sim *sim)
{
	struct sim_machine *machine = sim_machine_of(sim);
	struct sim_event event;

	sim_event_push(&sim->events, sim->end, SIM_EVENT_STOP, 0, 0);
	while (sim_event_pop(&sim->events, &event)) {
		sim->now = event.time;
		switch (event.kind) {
		case SIM_EVENT_GUEST_STEP:
			sim_guest_step(sim, &sim->vcpus[event.target], event.generation);
			break;
		case SIM_EVENT_PCPU_TIMER:
			if (event.generation == machine->pcpus[event.target].timer_generation)
				sim_machine_reschedule(sim, (unsigned)event.target);
			break;
		case SIM_EVENT_PCPU_KICK:
			machine->pcpus[event.target].kick_pending = 0;
			sim_machine_reschedule(sim, (unsigned)event.target);
			break;
		case SIM_EVENT_VCPU_ONLINE:
			sim_machine_enter(0);
			sched_vcpu_online(sim->vcpus[event.target].scheduler_vcpu);
			break;
		case SIM_EVENT_GUEST_WAKEUP:
			sim_guest_wakeup(sim, &sim->vcpus[event.target]);
			break;
		case SIM_EVENT_DEVICE_PACKET:
			sim_guest_packet(sim, event.target);
			break;
		case SIM_EVENT_STOP:
		default:
			return;
		}
	}
}

/* --yield-profile: a table per VM (allocate), or free them again. */
static void sim_machine_profiles(struct sim *sim, int allocate)
{
	int i;

	for (i = 0; i < sim->vm_count; i++) {
		if (!allocate) {
			free(sim->vms[i].profile);
			sim->vms[i].profile = NULL;
		} else if (sim->options.yield_profile_top) {
			void *block = calloc(1, SCHED_PROFILE_BYTES(SIM_MACHINE_PROFILE_CAPACITY));

			if (!block) {
				fprintf(stderr, "schedsim: out of memory\n");
				exit(2);
			}
			sim->vms[i].profile =
			    sched_profile_init_block(block, SIM_MACHINE_PROFILE_CAPACITY);
		}
	}
}

int sim_run(const struct sim_scenario *scenario, const char *policy,
            const struct sim_options *options, struct sim_result *result)
{
	struct sim *sim = calloc(1, sizeof(*sim));
	struct sim_machine *machine = calloc(1, sizeof(*machine));
	char error[160];
	int i, status = 0;

	if (!sim || !machine) {
		fprintf(stderr, "schedsim: out of memory\n");
		exit(2);
	}
	memset(result, 0, sizeof(*result));
	sim->options = *options;
	sim->scenario = scenario;
	sim->policy = policy;
	sim->machine = machine;
	sim->end = options->duration_ns;
	sim->ple_window_ns =
	    options->ple_window_cycles * 1000 / (options->cpu_mhz ? options->cpu_mhz : 1);
	if (sim->ple_window_ns == 0)
		sim->ple_window_ns = 1;
	sim_event_queue_init(&sim->events);
	sim_random_seed(&sim->random, options->seed);
	sim_latency_init(&sim->measure.lock_wait);
	sim_latency_init(&sim->measure.shootdown);
	sim_latency_init(&sim->measure.io);
	machine->ring_storage = calloc((size_t)options->pcpus * SIM_MACHINE_RING_CAPACITY,
	                               sizeof(*machine->ring_storage));
	if (!machine->ring_storage) {
		fprintf(stderr, "schedsim: out of memory\n");
		exit(2);
	}
	for (i = 0; i < options->pcpus; i++)
		sched_trace_ring_init(&machine->rings[i],
		                      machine->ring_storage + (size_t)i * SIM_MACHINE_RING_CAPACITY,
		                      SIM_MACHINE_RING_CAPACITY);
	sim_machine_active = sim;

	sim_machine_build(sim);
	sim_machine_profiles(sim, 1);
	if (options->trace)
		fprintf(options->trace, "# schedsim scenario=%s policy=%s\n", scenario->name,
		        policy);
	if (sim_machine_setup(sim, policy, error, sizeof(error)) != 0) {
		fprintf(stderr, "schedsim: %s: %s\n", policy, error);
		status = -1;
	} else {
		sim_guest_init(sim);
		sim_machine_loop(sim);
		sim_machine_collect(sim, result);
		for (i = 0; i < sim->vm_count && options->yield_profile_top; i++)
			sim_report_profile(stdout, sim->vms[i].config->name, sim->vms[i].profile,
			                   sim_classifier_get("linux-6.x"),
			                   (size_t)options->yield_profile_top);
	}
	sim_machine_profiles(sim, 0);

	sim_machine_active = NULL;
	sim_latency_free(&sim->measure.lock_wait);
	sim_latency_free(&sim->measure.shootdown);
	sim_latency_free(&sim->measure.io);
	sim_event_queue_free(&sim->events);
	free(machine->ring_storage);
	free(machine);
	free(sim);
	return status;
}
