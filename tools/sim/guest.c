/*
 * tools/sim/guest.c - the modelled guest vCPUs of schedsim.
 *
 * Each vCPU runs a small program (a state machine) only while machine.c has
 * it executing on a pCPU. A vCPU holds a stack of frames: frame 0 is the
 * workload loop (SIM_PROGRAM_MAIN); an interrupt handler is pushed on top
 * of it when a virtual interrupt is taken. The top frame is doing one
 * activity: timed work inside one guest function (user compute or a kernel
 * function), spinning for a lock, waiting for TLB-shootdown acks, or HLT.
 * The vCPU's RIP is always the RIP of its top frame's function, so a
 * preempted vCPU shows where it really stopped.
 *
 * What the guest reports to the "hardware" (machine.c):
 *   - PLE exit: a spin (lock or ack wait) lasted one PLE window of
 *     uninterrupted execution;
 *   - HLT: nothing to do;
 *   - IPIs it sends (flush, reschedule), and the NIC's interrupts.
 * It never decides who runs: machine.c calls sim_guest_run/stop as the
 * scheduler switches vCPUs.
 *
 * Invariants:
 *   - a step event is valid only if its generation equals the vCPU's
 *     (every run, stop and re-arm increments the generation);
 *   - while executing and not entering, the top frame's work has been
 *     charged up to vcpu->since, and exactly one valid step event is
 *     queued unless the activity is HALT;
 *   - interrupt handlers are taken only when the workload frame is on top
 *     (Linux runs them with interrupts disabled: no nesting);
 *   - a lock is given on release to the executing spinner that started
 *     waiting first; preempted spinners re-check when they run again
 *     (test-and-set semantics, see docs/schedsim.md).
 *
 * Lock order: none (single-threaded).
 */
#include "tools/sim/sim.h"

#include <stdlib.h>

#define SIM_GUEST_UNLOCK_NS         100  /* _raw_spin_unlock              */
#define SIM_GUEST_FLUSH_LOCAL_NS    500  /* flush_tlb_mm_range local part  */
#define SIM_GUEST_FLUSH_SEND_NS     800  /* native_flush_tlb_multi sends   */
#define SIM_GUEST_SYSVEC_NS         300  /* __sysvec_call_function entry   */
#define SIM_GUEST_IRQ_ENTER_NS      200  /* irq_enter_rcu                  */
#define SIM_GUEST_TTWU_NS           300  /* ttwu_do_activate               */
#define SIM_GUEST_RESCHEDULE_IPI_NS 500  /* __sysvec_reschedule_ipi        */
#define SIM_GUEST_RECEIVE_NS        2000 /* receiving thread, user mode    */
#define SIM_GUEST_RECEIVE_PACKET_NS 300  /* ... per packet                 */

/* Bodies of spinlock critical sections, chosen per section. */
static const enum sim_function sim_guest_critical_bodies[] = {
    SIM_FUNCTION_GET_PAGE_FROM_FREELIST,
    SIM_FUNCTION_FREE_ONE_PAGE,
    SIM_FUNCTION_RELEASE_PAGES,
};

static void sim_guest_dispatch(struct sim *sim, struct sim_vcpu *vcpu);

static struct sim_vm *sim_guest_vm(struct sim *sim, struct sim_vcpu *vcpu)
{
	return &sim->vms[vcpu->vm];
}

static const struct sim_workload_params *sim_guest_workload(struct sim *sim, struct sim_vcpu *vcpu)
{
	return &sim->vms[vcpu->vm].config->workload;
}

static struct sim_frame *sim_guest_top(struct sim_vcpu *vcpu)
{
	return &vcpu->frames[vcpu->depth - 1];
}

static void sim_guest_work(struct sim_frame *frame, enum sim_function function, uint64_t ns)
{
	frame->activity = SIM_ACTIVITY_WORK;
	frame->function = function;
	frame->remaining_ns = ns ? ns : 1;
}

/* Charge the time executed since vcpu->since to the top frame. */
static void sim_guest_account(struct sim *sim, struct sim_vcpu *vcpu)
{
	struct sim_frame *frame = sim_guest_top(vcpu);
	uint64_t elapsed;

	if (!vcpu->executing || vcpu->entering || sim->now <= vcpu->since)
		return;
	elapsed = sim->now - vcpu->since;
	if (frame->activity == SIM_ACTIVITY_WORK) {
		if (elapsed > frame->remaining_ns)
			elapsed = frame->remaining_ns;
		frame->remaining_ns -= elapsed;
	}
	vcpu->since = sim->now;
}

/* Queue the event that ends the top frame's current segment. */
static void sim_guest_arm(struct sim *sim, struct sim_vcpu *vcpu)
{
	struct sim_frame *frame = sim_guest_top(vcpu);
	uint64_t when;

	vcpu->generation++;
	switch (frame->activity) {
	case SIM_ACTIVITY_WORK:
		when = vcpu->since + frame->remaining_ns;
		break;
	case SIM_ACTIVITY_LOCK_SPIN:
	case SIM_ACTIVITY_ACK_WAIT:
		when = vcpu->since + sim->ple_window_ns;
		break;
	default:
		return;
	}
	sim_event_push(&sim->events, when, SIM_EVENT_GUEST_STEP, vcpu->id, vcpu->generation);
}

/* Start the workload loop's first segment. */
static void sim_guest_main_begin(struct sim *sim, struct sim_vcpu *vcpu)
{
	const struct sim_workload_params *workload = sim_guest_workload(sim, vcpu);
	struct sim_frame *frame = &vcpu->frames[0];

	frame->step = 0;
	switch (workload->kind) {
	case SIM_WORKLOAD_LOCK:
	case SIM_WORKLOAD_TLB:
		sim_guest_work(
		    frame, SIM_FUNCTION_USER,
		    sim_random_exponential(&sim->random, (double)workload->user_mean_ns));
		break;
	case SIM_WORKLOAD_IO:
		if (vcpu->mixed) {
			sim_guest_work(frame, SIM_FUNCTION_USER, sim->options.compute_chunk_ns);
		} else {
			frame->activity = SIM_ACTIVITY_HALT;
			frame->function = SIM_FUNCTION_NATIVE_SAFE_HALT;
		}
		break;
	case SIM_WORKLOAD_HOG:
	case SIM_WORKLOAD_COMPUTE:
	default:
		sim_guest_work(frame, SIM_FUNCTION_USER, sim->options.compute_chunk_ns);
		break;
	}
}

/* Hand a free lock to the executing spinner that has waited longest. */
static void sim_guest_lock_release(struct sim *sim, struct sim_vm *vm, int lock)
{
	struct sim_vcpu *best = NULL;
	int i;

	vm->locks[lock].holder = -1;
	for (i = 0; i < vm->vcpus; i++) {
		struct sim_vcpu *other = &sim->vcpus[vm->first_vcpu + i];
		struct sim_frame *frame = sim_guest_top(other);

		if (!other->executing || other->entering || other->depth != 1 ||
		    frame->activity != SIM_ACTIVITY_LOCK_SPIN || other->lock != lock)
			continue;
		if (!best || other->wait_start < best->wait_start)
			best = other;
	}
	if (best) {
		sim_guest_account(sim, best);
		sim_guest_dispatch(sim, best);
	}
}

/* Take the lock if it is free; returns 1 on success. */
static int sim_guest_lock_try(struct sim *sim, struct sim_vcpu *vcpu)
{
	struct sim_vm *vm = sim_guest_vm(sim, vcpu);
	const struct sim_workload_params *workload = sim_guest_workload(sim, vcpu);
	struct sim_frame *frame = &vcpu->frames[0];
	enum sim_function body;
	size_t bodies = sizeof(sim_guest_critical_bodies) / sizeof(sim_guest_critical_bodies[0]);

	if (vm->locks[vcpu->lock].holder >= 0)
		return 0;
	vm->locks[vcpu->lock].holder = vcpu->id;
	sim->measure.lock_acquisitions++;
	if (sim->now > vcpu->wait_start) {
		sim->measure.lock_contended++;
		sim_latency_add(&sim->measure.lock_wait, sim->now - vcpu->wait_start);
	}
	if ((int)sim_random_below(&sim->random, 100) < workload->unlisted_percent)
		body = SIM_FUNCTION_D_ALLOC_PARALLEL;
	else
		body = sim_guest_critical_bodies[sim_random_below(&sim->random, bodies)];
	frame->step = 3;
	sim_guest_work(frame, body,
	               workload->critical_min_ns +
	                   sim_random_below(&sim->random, workload->critical_max_ns -
	                                                      workload->critical_min_ns + 1));
	return 1;
}

/* Send a virtual interrupt; the target takes it at once if executing. */
static void sim_guest_send(struct sim *sim, struct sim_vcpu *sender, struct sim_vcpu *target,
                           enum sim_interrupt kind, int flow)
{
	switch (kind) {
	case SIM_INTERRUPT_FLUSH:
		target->pending_flush |= 1ull << sender->index;
		sim->measure.ipis_sent++;
		break;
	case SIM_INTERRUPT_RESCHED:
		if (flow >= 0)
			target->pending_resched |= 1u << flow;
		else
			target->pending_wakeup = 1;
		sim->measure.ipis_sent++;
		break;
	case SIM_INTERRUPT_DEVICE:
		target->pending_device |= 1u << flow;
		sim->measure.irqs_raised++;
		break;
	}
	sim_machine_interrupt(sim, sender, target, kind);
	if (target->executing && !target->entering && target->depth == 1) {
		sim_guest_account(sim, target);
		sim_guest_dispatch(sim, target);
	}
}

/* The shootdown sender's IPIs: one to every sibling vCPU of the VM. */
static void sim_guest_shootdown_send(struct sim *sim, struct sim_vcpu *vcpu)
{
	struct sim_vm *vm = sim_guest_vm(sim, vcpu);
	int i;

	vcpu->outstanding_acks = vm->vcpus - 1;
	for (i = 0; i < vm->vcpus; i++) {
		struct sim_vcpu *target = &sim->vcpus[vm->first_vcpu + i];
		if (target != vcpu)
			sim_guest_send(sim, vcpu, target, SIM_INTERRUPT_FLUSH, 0);
	}
}

/* Acknowledge the shootdown requests of the senders in mask. */
static void sim_guest_flush_ack(struct sim *sim, struct sim_vcpu *vcpu, uint64_t mask)
{
	struct sim_vm *vm = sim_guest_vm(sim, vcpu);
	int i;

	for (i = 0; i < vm->vcpus; i++) {
		struct sim_vcpu *sender;

		if (!(mask & (1ull << i)))
			continue;
		sender = &sim->vcpus[vm->first_vcpu + i];
		if (sender->outstanding_acks > 0)
			sender->outstanding_acks--;
		if (sender->outstanding_acks == 0 && sender->executing && !sender->entering &&
		    sender->depth == 1 && sender->frames[0].activity == SIM_ACTIVITY_ACK_WAIT) {
			sim_guest_account(sim, sender);
			sim_guest_dispatch(sim, sender);
		}
	}
}

/* The NIC raises its interrupt for a flow (ring became non-empty). */
static void sim_guest_raise_irq(struct sim *sim, struct sim_flow *flow)
{
	flow->irq_outstanding = 1;
	sim_guest_send(sim, NULL, &sim->vcpus[flow->irq_vcpu], SIM_INTERRUPT_DEVICE,
	               (int)(flow - sim->flows));
}

/* The workload frame finished a work segment: move to the next step. */
static void sim_guest_main_next(struct sim *sim, struct sim_vcpu *vcpu)
{
	const struct sim_workload_params *workload = sim_guest_workload(sim, vcpu);
	struct sim_frame *frame = &vcpu->frames[0];

	switch (workload->kind) {
	case SIM_WORKLOAD_LOCK:
		switch (frame->step) {
		case 0: /* user compute done: enter the kernel */
			frame->step = 1;
			sim_guest_work(frame, SIM_FUNCTION_DO_SYSCALL_64, workload->kernel_ns);
			return;
		case 1: /* _raw_spin_lock: take it or spin */
			frame->step = 2;
			vcpu->lock =
			    (int)sim_random_below(&sim->random, (uint64_t)workload->lock_count);
			vcpu->wait_start = sim->now;
			if (!sim_guest_lock_try(sim, vcpu)) {
				frame->activity = SIM_ACTIVITY_LOCK_SPIN;
				frame->function = SIM_FUNCTION_QUEUED_SPIN_LOCK_SLOWPATH;
			}
			return;
		case 3: /* critical section done: release */
			frame->step = 4;
			sim_guest_work(frame, SIM_FUNCTION_RAW_SPIN_UNLOCK, SIM_GUEST_UNLOCK_NS);
			return;
		case 4: {
			int lock = vcpu->lock;
			vcpu->lock = -1;
			vcpu->units++;
			if ((int)sim_random_below(&sim->random, 10000) <
			    workload->sleep_per_10000) {
				/* The thread sleeps (waits for a child, a
				 * pipe...): the vCPU idles in HLT until a
				 * sibling's wakeup IPI. */
				frame->step = 5;
				frame->activity = SIM_ACTIVITY_HALT;
				frame->function = SIM_FUNCTION_NATIVE_SAFE_HALT;
				vcpu->sleeping = 1;
				sim->measure.sleeps++;
				sim_event_push(
				    &sim->events,
				    sim->now + sim_random_exponential(
				                   &sim->random, (double)workload->sleep_mean_ns),
				    SIM_EVENT_GUEST_WAKEUP, vcpu->id, 0);
			} else {
				sim_guest_main_begin(sim, vcpu);
			}
			sim_guest_lock_release(sim, sim_guest_vm(sim, vcpu), lock);
			return;
		}
		default:
			return;
		}
	case SIM_WORKLOAD_TLB:
		switch (frame->step) {
		case 0: /* user compute done: munmap() */
			frame->step = 1;
			sim_guest_work(frame, SIM_FUNCTION_UNMAP_PAGE_RANGE, workload->kernel_ns);
			return;
		case 1:
			frame->step = 2;
			sim_guest_work(frame, SIM_FUNCTION_FLUSH_TLB_MM_RANGE,
			               SIM_GUEST_FLUSH_LOCAL_NS);
			return;
		case 2:
			frame->step = 3;
			vcpu->wait_start = sim->now;
			sim_guest_work(frame, SIM_FUNCTION_NATIVE_FLUSH_TLB_MULTI,
			               SIM_GUEST_FLUSH_SEND_NS);
			return;
		case 3: /* IPIs written to the ICR: wait for every ack */
			frame->step = 4;
			frame->activity = SIM_ACTIVITY_ACK_WAIT;
			frame->function = SIM_FUNCTION_SMP_CALL_FUNCTION_MANY_COND;
			sim_guest_shootdown_send(sim, vcpu);
			return;
		default:
			return;
		}
	case SIM_WORKLOAD_IO:
		vcpu->compute_chunks++;
		sim_guest_main_begin(sim, vcpu);
		return;
	case SIM_WORKLOAD_HOG:
	case SIM_WORKLOAD_COMPUTE:
	default:
		vcpu->units++;
		sim_guest_main_begin(sim, vcpu);
		return;
	}
}

static int sim_guest_lowest_bit(uint32_t mask)
{
	return __builtin_ctz(mask);
}

/* Push a handler frame for the highest-priority pending interrupt. */
static int sim_guest_take_interrupt(struct sim *sim, struct sim_vcpu *vcpu)
{
	struct sim_frame *frame;

	if (!vcpu->pending_flush && !vcpu->pending_device && !vcpu->pending_resched &&
	    !vcpu->pending_wakeup)
		return 0;
	if (vcpu->depth >= SIM_MAX_FRAMES) {
		fprintf(stderr, "schedsim: vm%d vcpu%d: frame stack overflow\n", vcpu->vm,
		        vcpu->index);
		abort();
	}
	frame = &vcpu->frames[vcpu->depth++];
	frame->step = 0;
	frame->mask = 0;
	frame->argument = -1;
	if (vcpu->pending_wakeup) {
		frame->program = SIM_PROGRAM_RESCHED_HANDLER;
		vcpu->pending_wakeup = 0;
		sim_guest_work(frame, SIM_FUNCTION_SYSVEC_RESCHEDULE_IPI,
		               SIM_GUEST_RESCHEDULE_IPI_NS);
	} else if (vcpu->pending_resched) {
		struct sim_flow *flow;

		frame->program = SIM_PROGRAM_RESCHED_HANDLER;
		frame->argument = sim_guest_lowest_bit(vcpu->pending_resched);
		vcpu->pending_resched &= ~(1u << frame->argument);
		flow = &sim->flows[frame->argument];
		if (flow->consumer_vcpu == flow->irq_vcpu) {
			/* Woken locally: no IPI, the thread just runs. */
			frame->step = 1;
			sim_guest_work(frame, SIM_FUNCTION_USER,
			               SIM_GUEST_RECEIVE_NS + SIM_GUEST_RECEIVE_PACKET_NS *
			                                          (uint64_t)flow->in_service);
		} else {
			sim_guest_work(frame, SIM_FUNCTION_SYSVEC_RESCHEDULE_IPI,
			               SIM_GUEST_RESCHEDULE_IPI_NS);
		}
	} else if (vcpu->pending_flush) {
		frame->program = SIM_PROGRAM_FLUSH_HANDLER;
		frame->mask = vcpu->pending_flush;
		vcpu->pending_flush = 0;
		sim_guest_work(frame, SIM_FUNCTION_SYSVEC_CALL_FUNCTION, SIM_GUEST_SYSVEC_NS);
	} else {
		frame->program = SIM_PROGRAM_IRQ_HANDLER;
		frame->argument = sim_guest_lowest_bit(vcpu->pending_device);
		vcpu->pending_device &= ~(1u << frame->argument);
		sim_guest_work(frame, SIM_FUNCTION_IRQ_ENTER_RCU, SIM_GUEST_IRQ_ENTER_NS);
	}
	return 1;
}

/* A handler frame finished a work segment: next step, or return. */
static void sim_guest_handler_next(struct sim *sim, struct sim_vcpu *vcpu)
{
	const struct sim_workload_params *workload = sim_guest_workload(sim, vcpu);
	struct sim_frame *frame = sim_guest_top(vcpu);
	struct sim_flow *flow = frame->argument >= 0 ? &sim->flows[frame->argument] : NULL;
	uint64_t mask;

	switch (frame->program) {
	case SIM_PROGRAM_FLUSH_HANDLER:
		if (frame->step == 0) {
			int requests = __builtin_popcountll(frame->mask);
			frame->step = 1;
			sim_guest_work(frame, SIM_FUNCTION_FLUSH_TLB_FUNC,
			               workload->flush_handler_ns * (uint64_t)requests);
			return;
		}
		mask = frame->mask;
		vcpu->depth--;
		sim_guest_flush_ack(sim, vcpu, mask);
		return;
	case SIM_PROGRAM_IRQ_HANDLER:
		switch (frame->step) {
		case 0:
			frame->step = 1;
			sim_guest_work(frame, SIM_FUNCTION_HANDLE_EDGE_IRQ,
			               workload->io_handler_ns / 3);
			return;
		case 1: /* net_rx_action polls every packet in the ring */
			frame->step = 2;
			flow->in_service = flow->count;
			sim_guest_work(frame, SIM_FUNCTION_NET_RX_ACTION,
			               workload->io_handler_ns - workload->io_handler_ns / 3 +
			                   workload->io_packet_ns * (uint64_t)flow->in_service);
			return;
		case 2:
			frame->step = 3;
			sim_guest_work(frame, SIM_FUNCTION_TTWU_DO_ACTIVATE, SIM_GUEST_TTWU_NS);
			return;
		default:
			vcpu->depth--;
			if (flow->consumer_vcpu == vcpu->id) {
				/* Local wakeup: no IPI, the receiving thread
				 * runs next on this vCPU. */
				vcpu->pending_resched |= 1u << frame->argument;
				return;
			}
			sim_guest_send(sim, vcpu, &sim->vcpus[flow->consumer_vcpu],
			               SIM_INTERRUPT_RESCHED, frame->argument);
			return;
		}
	case SIM_PROGRAM_RESCHED_HANDLER:
	default:
		if (!flow) { /* a sibling's wakeup: scheduler_ipi only */
			vcpu->depth--;
			return;
		}
		if (frame->step == 0) {
			frame->step = 1;
			sim_guest_work(frame, SIM_FUNCTION_USER,
			               SIM_GUEST_RECEIVE_NS + SIM_GUEST_RECEIVE_PACKET_NS *
			                                          (uint64_t)flow->in_service);
			return;
		}
		vcpu->depth--;
		while (flow->in_service > 0) {
			vcpu->units++;
			sim->measure.io_requests++;
			sim_latency_add(&sim->measure.io, sim->now - flow->ring[flow->head]);
			flow->head = (flow->head + 1) % SIM_FLOW_RING;
			flow->count--;
			flow->in_service--;
		}
		flow->irq_outstanding = 0;
		if (flow->count > 0)
			sim_guest_raise_irq(sim, flow);
		return;
	}
}

/*
 * Advance an executing vCPU as far as it can go at the current time, then
 * arm the event that ends its current segment (or halt it).
 */
static void sim_guest_dispatch(struct sim *sim, struct sim_vcpu *vcpu)
{
	for (;;) {
		struct sim_frame *frame;

		if (!vcpu->executing || vcpu->entering)
			return;
		if (vcpu->depth == 1 && sim_guest_take_interrupt(sim, vcpu))
			continue;
		frame = sim_guest_top(vcpu);
		switch (frame->activity) {
		case SIM_ACTIVITY_WORK:
			if (frame->remaining_ns > 0) {
				sim_guest_arm(sim, vcpu);
				return;
			}
			if (vcpu->depth == 1)
				sim_guest_main_next(sim, vcpu);
			else
				sim_guest_handler_next(sim, vcpu);
			continue;
		case SIM_ACTIVITY_LOCK_SPIN:
			if (sim_guest_lock_try(sim, vcpu))
				continue;
			sim_guest_arm(sim, vcpu);
			return;
		case SIM_ACTIVITY_ACK_WAIT:
			if (vcpu->outstanding_acks == 0) {
				vcpu->units++;
				sim->measure.shootdowns++;
				sim_latency_add(&sim->measure.shootdown,
				                sim->now - vcpu->wait_start);
				sim_guest_main_begin(sim, vcpu);
				continue;
			}
			sim_guest_arm(sim, vcpu);
			return;
		case SIM_ACTIVITY_HALT:
		default:
			if (vcpu->depth == 1 && frame->step == 5 && !vcpu->sleeping) {
				/* Woken: the thread runs its next iteration. */
				sim_guest_main_begin(sim, vcpu);
				continue;
			}
			vcpu->halted = 1;
			vcpu->generation++;
			sim->measure.halts++;
			sim_machine_halt(sim, vcpu);
			return;
		}
	}
}

void sim_guest_init(struct sim *sim)
{
	int i;

	for (i = 0; i < sim->vcpu_count; i++) {
		struct sim_vcpu *vcpu = &sim->vcpus[i];

		vcpu->depth = 1;
		vcpu->frames[0].program = SIM_PROGRAM_MAIN;
		vcpu->frames[0].argument = -1;
		vcpu->pcpu = -1;
		vcpu->lock = -1;
		sim_guest_main_begin(sim, vcpu);
	}
	for (i = 0; i < sim->flow_count; i++) {
		const struct sim_workload_params *workload =
		    &sim->vms[sim->flows[i].vm].config->workload;
		sim_event_push(
		    &sim->events,
		    sim_random_exponential(&sim->random, (double)workload->io_interarrival_ns),
		    SIM_EVENT_DEVICE_PACKET, i, 0);
	}
}

void sim_guest_run(struct sim *sim, struct sim_vcpu *vcpu, int pcpu, uint64_t start)
{
	vcpu->executing = 1;
	vcpu->entering = 1;
	vcpu->pcpu = pcpu;
	vcpu->since = start;
	vcpu->generation++;
	sim_event_push(&sim->events, start, SIM_EVENT_GUEST_STEP, vcpu->id, vcpu->generation);
}

void sim_guest_stop(struct sim *sim, struct sim_vcpu *vcpu)
{
	if (!vcpu->executing)
		return;
	sim_guest_account(sim, vcpu);
	vcpu->executing = 0;
	vcpu->entering = 0;
	vcpu->pcpu = -1;
	vcpu->generation++;
}

void sim_guest_step(struct sim *sim, struct sim_vcpu *vcpu, uint64_t generation)
{
	struct sim_frame *frame;

	if (generation != vcpu->generation || !vcpu->executing)
		return;
	if (vcpu->entering) {
		vcpu->entering = 0;
		vcpu->since = sim->now;
		sim_guest_dispatch(sim, vcpu);
		return;
	}
	sim_guest_account(sim, vcpu);
	frame = sim_guest_top(vcpu);
	if (frame->activity == SIM_ACTIVITY_LOCK_SPIN || frame->activity == SIM_ACTIVITY_ACK_WAIT) {
		/* A full PLE window of spinning: the CPU exits. */
		if ((frame->activity == SIM_ACTIVITY_LOCK_SPIN &&
		     sim->vms[vcpu->vm].locks[vcpu->lock].holder < 0) ||
		    (frame->activity == SIM_ACTIVITY_ACK_WAIT && vcpu->outstanding_acks == 0)) {
			sim_guest_dispatch(sim, vcpu);
			return;
		}
		sim->measure.ple_exits++;
		sim_machine_ple_exit(sim, vcpu);
		return;
	}
	sim_guest_dispatch(sim, vcpu);
}

void sim_guest_packet(struct sim *sim, int flow_number)
{
	struct sim_flow *flow = &sim->flows[flow_number];
	const struct sim_workload_params *workload = &sim->vms[flow->vm].config->workload;

	sim_event_push(
	    &sim->events,
	    sim->now + sim_random_exponential(&sim->random, (double)workload->io_interarrival_ns),
	    SIM_EVENT_DEVICE_PACKET, flow_number, 0);
	if (flow->count == SIM_FLOW_RING) {
		flow->drops++;
		sim->measure.io_drops++;
		return;
	}
	flow->ring[(flow->head + flow->count) % SIM_FLOW_RING] = sim->now;
	flow->count++;
	if (!flow->irq_outstanding)
		sim_guest_raise_irq(sim, flow);
}

/*
 * A sleeping thread's wakeup condition happened on some sibling: that
 * sibling sends the reschedule IPI (the one executing, if any).
 */
void sim_guest_wakeup(struct sim *sim, struct sim_vcpu *vcpu)
{
	struct sim_vm *vm = sim_guest_vm(sim, vcpu);
	struct sim_vcpu *sender = NULL;
	int start = (int)sim_random_below(&sim->random, (uint64_t)vm->vcpus);
	int i;

	for (i = 0; i < vm->vcpus && !sender; i++) {
		struct sim_vcpu *other = &sim->vcpus[vm->first_vcpu + (start + i) % vm->vcpus];
		if (other != vcpu && other->executing && !other->entering)
			sender = other;
	}
	vcpu->sleeping = 0;
	sim_guest_send(sim, sender, vcpu, SIM_INTERRUPT_RESCHED, -1);
}

uint64_t sim_guest_rip(const struct sim_vcpu *vcpu)
{
	return sim_function_rip(vcpu->frames[vcpu->depth - 1].function);
}

/* Wake-up bookkeeping for machine.c: the vCPU left HLT. */
void sim_guest_unhalt(struct sim_vcpu *vcpu)
{
	vcpu->halted = 0;
}
