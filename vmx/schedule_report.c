/*
 * vmx/schedule_report.c - what the scheduler tells after a run and while
 * it runs: the SCHED, SCHEDMECH, SCHEDPCPU, SCHEDVCPU and SCHEDVM lines
 * (docs/output.md) at the end, then the trace rings; the views the console
 * (vmx/console_commands.c) and the run summary (vmx/summary.c) read. Part of
 * the vmx_schedule module (public header vmx/schedule.h; the loop is
 * vmx/schedule.c, the state both share vmx/schedule_internal.h).
 *
 * Lock order: the scheduler lock (vmx_schedule_shared.lock) is taken alone,
 * for a consistent view of one vCPU or of the pools.
 */
#include "vmx/schedule.h"
#include "vmx/schedule_internal.h"

#include "kernel/log.h"
#include "kernel/sched_env.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "sched/sched.h"
#include "vmx/notify.h"
#include "vmx/profile.h"
#include "vmx/vm.h"

/* Room for micro_held_us= of 17 sizes ("16:" and 20 digits each). */
#define SCHEDULE_REPORT_HELD_SIZE 256

/* SCHEDVCPU lines of `vm`'s vCPUs, then its SCHEDVM line (after the run:
 * no loop runs, the scheduler's figures are final). */
static void schedule_report_vm(const struct vm *vm)
{
	uint64_t run_ns = 0, micro_ns = 0, wait_ns = 0;
	for (uint32_t v = 0; v < vm->vcpu_count; v++) {
		struct vcpu *vcpu = vm->vcpus[v];
		if (!vcpu || !vcpu->sched)
			continue;
		const struct sched_vcpu_stats *s = &vcpu->sched->stats;
		run_ns += s->run_ns;
		micro_ns += s->micro_run_ns;
		wait_ns += s->wait_ns;
		log_record("SCHEDVCPU vm=%s vcpu=%u state=%s run_us=%llu micro_run_us=%llu "
		           "wait_us=%llu max_wait_us=%llu slices=%llu migrations=%llu "
		           "wakeups=%llu boosts=%llu yields=%llu offloads=%llu "
		           "offload_failures=%llu",
		           vm->name, v, sched_vcpu_state_name(vcpu->sched->state),
		           (unsigned long long)(s->run_ns / 1000),
		           (unsigned long long)(s->micro_run_ns / 1000),
		           (unsigned long long)(s->wait_ns / 1000),
		           (unsigned long long)(s->max_wait_ns / 1000),
		           (unsigned long long)vcpu->slices, (unsigned long long)vcpu->migrations,
		           (unsigned long long)s->wakeups, (unsigned long long)s->boosts,
		           (unsigned long long)s->yields, (unsigned long long)s->offloads,
		           (unsigned long long)s->offload_failures);
	}
	log_record("SCHEDVM vm=%s weight=%u vcpus=%u run_us=%llu micro_run_us=%llu wait_us=%llu",
	           vm->name, vm->weight, vm->vcpu_count, (unsigned long long)(run_ns / 1000),
	           (unsigned long long)(micro_ns / 1000), (unsigned long long)(wait_ns / 1000));
	if (vm->vcpu_count && vm->vcpus[0] && vm->vcpus[0]->sched)
		vmx_profile_report(vm, vm->vcpus[0]->sched->vm,
		                   &vmx_schedule_shared.classifiers[vm->id]);
}

static uint64_t schedule_sum(const uint64_t *values, unsigned count)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < count; i++)
		total += values[i];
	return total;
}

void vmx_schedule_run_view(struct vmx_schedule_run_view *view)
{
	struct sched_counters c;
	sched_counters_read(&vmx_schedule_shared.system, &c);
	memset(view, 0, sizeof(*view));
	view->policy = vmx_schedule_shared.system.policy.name;
	view->pcpus = vmx_schedule_shared.system.pcpu_count;
	view->elapsed_ns =
	    timer_tsc_to_ns(vmx_schedule_shared.finished_tsc - vmx_schedule_shared.started_tsc);
	view->offloads = schedule_sum(c.offloads, SCHED_OFFLOAD_CAUSE_COUNT);
	view->offload_failures = schedule_sum(c.offload_failures, SCHED_OFFLOAD_CAUSE_COUNT);
	view->directed_yields = c.directed_yields;
	view->micro_sizes = sched_pool_micro_history(&vmx_schedule_shared.system, 0, view->micro_ns,
	                                             SCHED_MAX_PCPUS + 1);
}

/* Pool-0's micro pool over the run: `held_us=` the time at each size
 * (size:us, sizes never held left out) and `mean_milli=` the time-weighted
 * mean size in thousandths of a pCPU. */
static void schedule_report_micro_history(char *text, size_t size, uint64_t *mean_milli)
{
	uint64_t ns[SCHED_MAX_PCPUS + 1], total = 0, weighted = 0;
	unsigned sizes =
	    sched_pool_micro_history(&vmx_schedule_shared.system, 0, ns, SCHED_MAX_PCPUS + 1);
	size_t used = 0;

	text[0] = '\0';
	for (unsigned c = 0; c < sizes; c++) {
		total += ns[c];
		weighted += ns[c] * c;
		if (!ns[c] || used >= size)
			continue;
		int n = format_string(text + used, size - used, "%s%u:%llu", used ? "," : "", c,
		                      (unsigned long long)(ns[c] / 1000));
		used += n > 0 ? (size_t)n : 0;
	}
	if (!used)
		format_string(text, size, "-");
	*mean_milli = total ? weighted * 1000 / total : 0;
}

/* SCHEDMECH: the counters of the mechanisms beyond the paper
 * (docs/mechanisms.md) and the micro pool's history; apart from SCHED so
 * that neither line outgrows the log's line size. */
static void schedule_report_mechanisms(const struct sched_counters *c)
{
	char held[SCHEDULE_REPORT_HELD_SIZE];
	uint64_t mean_milli;

	schedule_report_micro_history(held, sizeof(held), &mean_milli);
	log_record("SCHEDMECH notify_kicks=%llu initiator_returns=%llu micro_early_returns=%llu "
	           "adaptive_reprofiles=%llu micro_borrows=%llu borrow_preemptions=%llu "
	           "micro_mean_milli=%llu micro_held_us=%s",
	           (unsigned long long)vmx_notify_kicks(), (unsigned long long)c->initiator_returns,
	           (unsigned long long)c->micro_early_returns,
	           (unsigned long long)c->adaptive_reprofiles, (unsigned long long)c->micro_borrows,
	           (unsigned long long)c->borrow_preemptions, (unsigned long long)mean_milli, held);
}

void vmx_schedule_report(void)
{
	struct sched_counters c;
	sched_counters_read(&vmx_schedule_shared.system, &c);
	uint64_t elapsed = vmx_schedule_shared.finished_tsc - vmx_schedule_shared.started_tsc;
	log_record(
	    "SCHED policy=%s run_ticks=%llu run_ms=%llu schedules=%llu context_switches=%llu "
	    "wakeups=%llu blocks=%llu boosts=%llu steals=%llu accountings=%llu "
	    "ple_yields=%llu ple_lock_spin=%llu ple_ipi_wait=%llu ple_halt=%llu ple_none=%llu "
	    "offloads=%llu offload_failures=%llu offload_disabled=%llu micro_returns=%llu "
	    "directed_yields=%llu ipis_to_preempted=%llu virqs=%llu virqs_to_preempted=%llu "
	    "offloads_virq=%llu "
	    "adaptive_steps=%llu pool_resizes=%llu micro_pcpus=%u",
	    vmx_schedule_shared.system.policy.name, (unsigned long long)elapsed,
	    (unsigned long long)(timer_tsc_to_ns(elapsed) / 1000000),
	    (unsigned long long)c.schedules, (unsigned long long)c.context_switches,
	    (unsigned long long)c.wakeups, (unsigned long long)c.blocks,
	    (unsigned long long)c.boosts, (unsigned long long)c.steals,
	    (unsigned long long)c.accountings,
	    (unsigned long long)schedule_sum(c.yields[SCHED_YIELD_PLE], SCHED_CATEGORY_COUNT),
	    (unsigned long long)c.yields[SCHED_YIELD_PLE][SCHED_CATEGORY_LOCK_SPIN],
	    (unsigned long long)c.yields[SCHED_YIELD_PLE][SCHED_CATEGORY_IPI_WAIT],
	    (unsigned long long)c.yields[SCHED_YIELD_PLE][SCHED_CATEGORY_HALT],
	    (unsigned long long)c.yields[SCHED_YIELD_PLE][SCHED_CATEGORY_NONE],
	    (unsigned long long)schedule_sum(c.offloads, SCHED_OFFLOAD_CAUSE_COUNT),
	    (unsigned long long)schedule_sum(c.offload_failures, SCHED_OFFLOAD_CAUSE_COUNT),
	    (unsigned long long)schedule_sum(c.offload_disabled, SCHED_OFFLOAD_CAUSE_COUNT),
	    (unsigned long long)c.micro_returns, (unsigned long long)c.directed_yields,
	    (unsigned long long)c.ipis[SCHED_TARGET_PREEMPTED],
	    (unsigned long long)schedule_sum(c.virqs, SCHED_TARGET_STATE_COUNT),
	    (unsigned long long)c.virqs[SCHED_TARGET_PREEMPTED],
	    (unsigned long long)c.offloads[SCHED_OFFLOAD_VIRQ],
	    (unsigned long long)c.adaptive_steps, (unsigned long long)c.pool_resizes,
	    sched_pool_micro_count(&vmx_schedule_shared.system, 0));
	schedule_report_mechanisms(&c);
	for (uint32_t cpu = 0; cpu < vmx_schedule_shared.system.pcpu_count; cpu++) {
		const struct vmx_schedule_pcpu_view *v = &vmx_schedule_shared.pcpu_stats[cpu];
		const struct sched_pcpu *p = &vmx_schedule_shared.system.pcpus[cpu];
		log_record("SCHEDPCPU pcpu=%u pool=%d busy_us=%llu decisions=%llu idles=%llu "
		           "deadline=%llu kick=%llu block=%llu yield=%llu stop=%llu",
		           cpu, p->pool, (unsigned long long)(p->busy_ns / 1000),
		           (unsigned long long)v->decisions, (unsigned long long)v->idles,
		           (unsigned long long)v->leaves[VMX_LEAVE_DEADLINE],
		           (unsigned long long)v->leaves[VMX_LEAVE_KICK],
		           (unsigned long long)v->leaves[VMX_LEAVE_BLOCK],
		           (unsigned long long)v->leaves[VMX_LEAVE_YIELD],
		           (unsigned long long)v->leaves[VMX_LEAVE_STOP]);
	}
	for (uint32_t i = 0; i < vmx_schedule_shared.vm_count; i++)
		schedule_report_vm(vmx_schedule_shared.vms[i]);
	if (vmx_schedule_shared.trace_dump)
		sched_env_trace_dump();
}

/* The highest vector set in an IRR/ISR-shaped array, -1 if none. */
static int schedule_report_highest(const uint32_t bits[8])
{
	for (int word = 7; word >= 0; word--) {
		uint32_t value = __atomic_load_n(&bits[word], __ATOMIC_RELAXED);
		if (value)
			return word * 32 + 31 - __builtin_clz(value);
	}
	return -1;
}

void vmx_schedule_report_stuck(const struct vm *vm)
{
	uint64_t now = sched_env_now(); /* the scheduler's clock: ns */
	for (uint32_t v = 0; v < vm->vcpu_count; v++) {
		struct vcpu *vcpu = vm->vcpus[v];
		if (!vcpu || !vcpu->sched)
			continue;
		const struct vlapic *vlapic = &vcpu->interrupt.vlapic;
		char where[VMX_SCHEDULE_RIP_TEXT_SIZE];
		sched_env_lock_acquire(&vmx_schedule_shared.lock);
		const struct sched_vcpu *s = vcpu->sched;
		enum sched_vcpu_state state = s->state;
		int pcpu = s->pcpu;
		uint64_t rip = s->saved_rip, since = s->queued_since, started = s->run_start;
		sched_env_lock_release(&vmx_schedule_shared.lock);
		vmx_classifier_format_rip(&vmx_schedule_shared.classifiers[vm->id], rip, where,
		                          sizeof(where));
		uint64_t mark = state == SCHED_VCPU_RUNNING ? started : since;
		log_record("VCPUSTUCK vm=%s vcpu=%u state=%s pcpu=%d loaded_cpu=%d for_us=%llu "
		           "last_rip=0x%llx where=%s irr=%d isr=%d tpr=0x%x posted=0x%x "
		           "pending_interrupt=%u halt_masked=%u slices=%llu exits=%llu",
		           vm->name, v, sched_vcpu_state_name(state), pcpu,
		           (int)__atomic_load_n(&vcpu->loaded_cpu, __ATOMIC_RELAXED),
		           (unsigned long long)(now > mark ? (now - mark) / 1000 : 0),
		           (unsigned long long)rip, where, schedule_report_highest(vlapic->irr),
		           schedule_report_highest(vlapic->isr),
		           __atomic_load_n(&vlapic->tpr, __ATOMIC_RELAXED),
		           __atomic_load_n(&vlapic->posted.flags, __ATOMIC_RELAXED),
		           __atomic_load_n(&vcpu->pending_interrupt, __ATOMIC_RELAXED),
		           vcpu->halt_masked ? 1u : 0u, (unsigned long long)vcpu->slices,
		           (unsigned long long)vcpu->exits_total);
	}
}

void vmx_schedule_vcpu_view(struct vcpu *vcpu, struct vmx_schedule_vcpu_view *view)
{
	*view = (struct vmx_schedule_vcpu_view){-1, "none", 0, 0, 0, 0};
	if (!vcpu->sched)
		return;
	view->credit = sched_vcpu_credit(vcpu->sched);
	view->priority = sched_vcpu_priority(vcpu->sched);
	sched_env_lock_acquire(&vmx_schedule_shared.lock);
	view->pcpu = vcpu->sched->pcpu;
	view->state = sched_vcpu_state_name(vcpu->sched->state);
	view->run_us = vcpu->sched->stats.run_ns / 1000;
	view->micro_run_us = vcpu->sched->stats.micro_run_ns / 1000;
	sched_env_lock_release(&vmx_schedule_shared.lock);
}

unsigned vmx_schedule_pool_views(struct vmx_schedule_pool_view *views, unsigned max)
{
	unsigned count = 0;
	sched_env_lock_acquire(&vmx_schedule_shared.lock);
	for (unsigned i = 0; i < SCHED_MAX_POOLS; i++) {
		const struct sched_pool *pool = &vmx_schedule_shared.system.pools[i];
		if (!pool->in_use)
			continue;
		if (count < max) {
			struct vmx_schedule_pool_view *v = &views[count];
			string_copy(v->name, pool->name, sizeof(v->name));
			string_copy(v->policy, pool->policy.name, sizeof(v->policy));
			v->micro = pool->micro;
			v->pcpu_mask = pool->pcpu_mask;
			v->vm_count = pool->vm_count;
		}
		count++;
	}
	sched_env_lock_release(&vmx_schedule_shared.lock);
	return count;
}

void vmx_schedule_pcpu_view(unsigned pcpu, struct vmx_schedule_pcpu_view *view)
{
	*view = vmx_schedule_shared.pcpu_stats[pcpu < PERCPU_MAX_CPUS ? pcpu : 0];
}
