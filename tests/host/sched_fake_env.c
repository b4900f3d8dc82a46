/*
 * tests/host/sched_fake_env.c - the fake environment and mini machine of
 * the scheduler host tests (see sched_fake_env.h).
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sched_env_lock fake_lock;
uint64_t fake_now;
unsigned fake_this_pcpu;
uint64_t fake_kicked_mask;
unsigned long fake_kick_count;
struct sched_trace_record fake_trace[FAKE_TRACE_MAX];
unsigned fake_trace_count;
uint64_t fake_rip[SCHED_MAX_VMS][SCHED_MAX_VCPUS_PER_VM];
bool fake_kernel_mode[SCHED_MAX_VMS][SCHED_MAX_VCPUS_PER_VM];
bool fake_panic_record;
unsigned fake_panic_count;
char fake_panic_message[256];

uint64_t sched_env_now(void)
{
	return fake_now;
}

unsigned sched_env_this_pcpu(void)
{
	return fake_this_pcpu;
}

void sched_env_lock_acquire(struct sched_env_lock *lock)
{
	if (lock->depth != 0)
		lock->errors++;
	lock->depth++;
	lock->acquisitions++;
}

void sched_env_lock_release(struct sched_env_lock *lock)
{
	char message[256];

	if (lock->depth != 1)
		lock->errors++;
	if (lock->check && sched_check_invariants(lock->check, message, sizeof(message))) {
		fprintf(stderr, "sched invariant broken: %s\n", message);
		abort();
	}
	lock->depth--;
}

void sched_env_panic(const char *message)
{
	if (fake_lock.depth != 1)
		fake_lock.errors++;
	if (!fake_panic_record) {
		fprintf(stderr, "sched_env_panic: %s\n", message);
		abort();
	}
	fake_panic_count++;
	snprintf(fake_panic_message, sizeof(fake_panic_message), "%s", message);
}

void sched_env_kick(unsigned pcpu)
{
	if (fake_lock.depth != 1)
		fake_lock.errors++;
	if (pcpu < SCHED_MAX_PCPUS)
		fake_kicked_mask |= 1ull << pcpu;
	fake_kick_count++;
}

void sched_env_trace(const struct sched_trace_record *record)
{
	if (fake_trace_count < FAKE_TRACE_MAX) {
		fake_trace[fake_trace_count] = *record;
		fake_trace[fake_trace_count].time = fake_now;
		fake_trace_count++;
	}
}

void fake_env_reset(void)
{
	memset(&fake_lock, 0, sizeof(fake_lock));
	fake_now = 0;
	fake_this_pcpu = 0;
	fake_kicked_mask = 0;
	fake_kick_count = 0;
	fake_trace_count = 0;
	memset(fake_rip, 0, sizeof(fake_rip));
	memset(fake_kernel_mode, 0, sizeof(fake_kernel_mode));
	fake_panic_record = false;
	fake_panic_count = 0;
	fake_panic_message[0] = '\0';
}

unsigned fake_trace_count_event(enum sched_trace_event event)
{
	unsigned i, count = 0;

	for (i = 0; i < fake_trace_count; i++)
		if (fake_trace[i].event == event)
			count++;
	return count;
}

const struct sched_trace_record *fake_trace_find(enum sched_trace_event event, unsigned nth)
{
	unsigned i;

	for (i = 0; i < fake_trace_count; i++)
		if (fake_trace[i].event == event && nth-- == 0)
			return &fake_trace[i];
	return NULL;
}

struct sched_decision fake_schedule(struct fake_machine *machine, unsigned pcpu)
{
	struct sched_vcpu *current = machine->decision[pcpu].vcpu;
	uint64_t rip = 0;
	bool kernel = false;

	if (current) {
		rip = fake_rip[current->vm->id][current->index];
		kernel = fake_kernel_mode[current->vm->id][current->index];
	}
	fake_this_pcpu = pcpu;
	fake_kicked_mask &= ~(1ull << pcpu);
	machine->decision[pcpu] = sched_schedule(machine->sys, pcpu, rip, kernel);
	return machine->decision[pcpu];
}

void fake_machine_start(struct fake_machine *machine, struct sched_system *sys)
{
	unsigned i;

	memset(machine, 0, sizeof(*machine));
	machine->sys = sys;
	for (i = 0; i < sys->pcpu_count; i++)
		fake_schedule(machine, i);
	fake_machine_settle(machine);
}

void fake_machine_settle(struct fake_machine *machine)
{
	unsigned rounds = 0;

	while (fake_kicked_mask) {
		unsigned pcpu = (unsigned)__builtin_ctzll(fake_kicked_mask);

		if (pcpu >= machine->sys->pcpu_count) {
			fake_kicked_mask &= ~(1ull << pcpu);
			continue;
		}
		fake_schedule(machine, pcpu);
		if (++rounds > 100000) {
			fprintf(stderr, "fake machine: kick storm\n");
			abort();
		}
	}
}

void fake_machine_run_until(struct fake_machine *machine, uint64_t end)
{
	for (;;) {
		uint64_t next = SCHED_TIME_NEVER;
		unsigned i, which = 0;

		fake_machine_settle(machine);
		for (i = 0; i < machine->sys->pcpu_count; i++) {
			if (machine->decision[i].until < next) {
				next = machine->decision[i].until;
				which = i;
			}
		}
		if (next > end) {
			if (fake_now < end)
				fake_now = end;
			return;
		}
		if (next > fake_now)
			fake_now = next;
		fake_schedule(machine, which);
	}
}

struct sched_vcpu *fake_running(struct fake_machine *machine, unsigned pcpu)
{
	return machine->decision[pcpu].vcpu;
}

void fake_params_mechanisms_off(struct sched_params *params)
{
	sched_params_default(params);
	params->micro_batch = false;
	params->protect_initiator = false;
	params->micro_early_return = false;
}

int fake_system_init(struct sched_system *sys, const char *policy_name,
                     const struct sched_params *params, unsigned pcpus)
{
	struct sched_policy policy;
	char error[160];

	fake_env_reset();
	fake_lock.check = sys;
	if (sched_policy_parse(policy_name, &policy, error, sizeof(error))) {
		fprintf(stderr, "fake_system_init: %s\n", error);
		return -1;
	}
	if (sched_init(sys, &policy, params, pcpus, &fake_lock, error, sizeof(error))) {
		fprintf(stderr, "fake_system_init: %s\n", error);
		return -1;
	}
	return 0;
}

struct sched_vm *fake_vm(struct sched_system *sys, const char *name, unsigned vcpus,
                         uint32_t weight, int pool, sched_classify_fn classify, const void *context)
{
	struct sched_vm_config config = {
	    .name = name,
	    .vcpu_count = vcpus,
	    .weight = weight,
	    .pool = pool,
	    .classify = classify,
	    .classify_context = context,
	};
	struct sched_vm *vm = sched_vm_create(sys, &config);
	unsigned i;

	if (!vm)
		return NULL;
	for (i = 0; i < vcpus; i++)
		sched_vcpu_online(&vm->vcpus[i]);
	return vm;
}
