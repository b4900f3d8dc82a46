/*
 * sched/directed_yield.c - the "directed-yield" comparison policy's yield
 * (KVM kvm_vcpu_on_spin / yield_to analogue).
 *
 * On a PAUSE-loop exit of vCPU v, choose one preempted (RUNNABLE) sibling
 * of v, preferring one that was preempted in guest kernel mode (CPL0, as
 * KVM's yield_to_kernel_mode), scanning round-robin from v's index + 1,
 * and make the pCPU it is queued on run it next: that pCPU is kicked and
 * its current vCPU preempted (yield_to with preemption), bypassing
 * priorities and the rate limit. v itself yields as usual. No migration
 * and no micro-sliced pool are involved.
 *
 * Lock order: called with the sched_system lock held.
 */
#include "sched/internal.h"

struct sched_vcpu *sched_directed_yield(struct sched_system *sys, struct sched_vcpu *yielder)
{
	struct sched_vm *vm = yielder->vm;
	struct sched_vcpu *target = NULL;
	struct sched_pcpu *pcpu;
	unsigned pass, i;

	for (pass = 0; pass < 2 && !target; pass++) {
		for (i = 1; i < vm->vcpu_count; i++) {
			struct sched_vcpu *sibling =
			    &vm->vcpus[(yielder->index + i) % vm->vcpu_count];

			if (sibling->state != SCHED_VCPU_RUNNABLE || sibling->pcpu < 0 ||
			    sibling->directed_target)
				continue;
			if (pass == 0 && !sibling->saved_kernel_mode)
				continue;
			target = sibling;
			break;
		}
	}
	if (!target) {
		sys->counters.directed_yield_failures++;
		return NULL;
	}
	pcpu = &sys->pcpus[target->pcpu];
	if (pcpu->directed_next && pcpu->directed_next != target)
		pcpu->directed_next->directed_target = false;
	pcpu->directed_next = target;
	target->directed_target = true;
	sched_pcpu_kick(sys, pcpu);
	sys->counters.directed_yields++;
	sched_trace(SCHED_TRACE_DIRECTED_YIELD, yielder, target->index, pcpu->id);
	return target;
}
