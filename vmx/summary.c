/*
 * vmx/summary.c - the run summary for people (see summary.h): one line per
 * VM (state, vCPUs, share of the machine's CPU time, its last RESULT in
 * time units), the micro-sliced pool's size over the run, the offloads.
 *
 * Lock order: none of its own; vmx_schedule_*_view() take the scheduler
 * lock, vm->last_result is read after every vCPU has stopped.
 */
#include "vmx/summary.h"

#include "kernel/log.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "vmx/schedule.h"
#include "vmx/vm.h"

#define SUMMARY_LINE_SIZE 400
#define SUMMARY_PERMILLE  1000u

/* "N.N %" of part in whole. */
static void summary_percent(uint64_t part, uint64_t whole, char *buffer, size_t size)
{
	uint64_t permille = whole ? (part * SUMMARY_PERMILLE + whole / 2) / whole : 0;
	format_string(buffer, size, "%llu.%llu %%", (unsigned long long)(permille / 10),
	              (unsigned long long)(permille % 10));
}

static void summary_vm(const struct vm *vm, uint64_t machine_us)
{
	uint64_t run_us = 0;
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		struct vmx_schedule_vcpu_view view;
		if (!vm->vcpus[i])
			continue;
		vmx_schedule_vcpu_view(vm->vcpus[i], &view);
		run_us += view.run_us;
	}
	char share[16], result[SUMMARY_LINE_SIZE];
	summary_percent(run_us, machine_us, share, sizeof(share));
	if (vm->last_result[0])
		summary_format_result(vm->last_result, timer_tsc_khz, result, sizeof(result));
	else
		format_string(result, sizeof(result), "no RESULT (%s)",
		              vm->cause[0] ? vm->cause : vm_state_name(vm->state));
	log_record("%-12s %-8s %5u %9s   %s", vm->name, vm_state_name(vm->state), vm->vcpu_count,
	           share, result);
}

/* "0 for 47.5 %, 1 for 52.5 % of the run" for Pool-0's micro child. */
static void summary_micro(const struct vmx_schedule_run_view *run)
{
	if (!run->micro_sizes)
		return;
	uint64_t total = 0;
	for (unsigned c = 0; c < run->micro_sizes; c++)
		total += run->micro_ns[c];
	char line[SUMMARY_LINE_SIZE];
	size_t used = 0;
	int n = format_string(line, sizeof(line), "micro-sliced pCPUs of Pool-0:");
	used = n > 0 ? (size_t)n : 0;
	for (unsigned c = 0; c < run->micro_sizes && used < sizeof(line); c++) {
		if (!run->micro_ns[c])
			continue;
		char share[16];
		summary_percent(run->micro_ns[c], total, share, sizeof(share));
		n = format_string(line + used, sizeof(line) - used, "%s %u for %s",
		                  used > 29 ? "," : "", c, share);
		used += n > 0 ? (size_t)n : 0;
	}
	log_record("%s of the run", line);
}

void vmx_summary_print(struct vm *const *vms, uint32_t count)
{
	struct vmx_schedule_run_view run;
	vmx_schedule_run_view(&run);
	char elapsed[32];
	summary_format_duration(run.elapsed_ns, elapsed, sizeof(elapsed));
	uint64_t machine_us = run.elapsed_ns / 1000 * run.pcpus;
	log_record("----- uslice run summary -----");
	log_record("policy %s on %u pCPUs, %s of virtual time", run.policy, run.pcpus, elapsed);
	log_record("%-12s %-8s %5s %9s   %s", "VM", "state", "vCPUs", "CPU share", "result");
	for (uint32_t i = 0; i < count; i++)
		summary_vm(vms[i], machine_us);
	summary_micro(&run);
	log_record("offloads %llu, failed offloads %llu, directed yields %llu",
	           (unsigned long long)run.offloads, (unsigned long long)run.offload_failures,
	           (unsigned long long)run.directed_yields);
	log_record("------------------------------");
}
