/*
 * tests/host/sched_fake_env.h - a fake sched/env.h for host unit tests:
 * a settable clock, a checking lock, recorded kicks and trace records,
 * and a tiny machine that drives sched_schedule() on every pCPU from a
 * single-threaded event loop (each running vCPU is a CPU hog unless the
 * test blocks or yields it).
 *
 * Lock order: single-threaded; the fake lock only checks that the
 * scheduler never nests or leaks it.
 */
#ifndef TESTS_HOST_SCHED_FAKE_ENV_H
#define TESTS_HOST_SCHED_FAKE_ENV_H

#include "sched/sched.h"

struct sched_env_lock {
	int depth;
	unsigned long acquisitions;
	unsigned long errors; /* nested acquire or release when free */
	/* If set, every release runs sched_check_invariants() on it (lock
	 * still held) and a broken invariant aborts the test binary with
	 * the message. fake_system_init() sets it. */
	const struct sched_system *check;
};

#define FAKE_TRACE_MAX (1u << 18)

extern struct sched_env_lock fake_lock;
extern uint64_t fake_now;
extern unsigned fake_this_pcpu;
extern uint64_t fake_kicked_mask;
extern unsigned long fake_kick_count;
extern struct sched_trace_record fake_trace[FAKE_TRACE_MAX];
extern unsigned fake_trace_count;

/* Guest context the machine reports for each vCPU when it is scheduled
 * out (what the hypervisor would read from the VMCS). */
extern uint64_t fake_rip[SCHED_MAX_VMS][SCHED_MAX_VCPUS_PER_VM];
extern bool fake_kernel_mode[SCHED_MAX_VMS][SCHED_MAX_VCPUS_PER_VM];

/* sched_env_panic(): with fake_panic_record set, counts the call and keeps
 * the message (tests of the checker); otherwise prints it and aborts. */
extern bool fake_panic_record;
extern unsigned fake_panic_count;
extern char fake_panic_message[256];

/* Reset clock, lock, kicks, trace, panics and guest contexts. */
void fake_env_reset(void);
unsigned fake_trace_count_event(enum sched_trace_event event);
/* The n-th (0-based) record of `event`, or NULL. */
const struct sched_trace_record *fake_trace_find(enum sched_trace_event event, unsigned nth);

/* Every pCPU's latest decision; the machine's event loop. */
struct fake_machine {
	struct sched_system *sys;
	struct sched_decision decision[SCHED_MAX_PCPUS];
};

/* Call sched_schedule() on one pCPU now (as pCPU `pcpu`). */
struct sched_decision fake_schedule(struct fake_machine *machine, unsigned pcpu);
/* Schedule every pCPU once at the current time. */
void fake_machine_start(struct fake_machine *machine, struct sched_system *sys);
/* Serve kicks at the current time, then advance the clock through every
 * deadline up to `end` (inclusive), calling sched_schedule() at each. */
void fake_machine_run_until(struct fake_machine *machine, uint64_t end);
/* Serve pending kicks at the current time only. */
void fake_machine_settle(struct fake_machine *machine);

/* The vCPU a pCPU runs per the machine (NULL = idle). */
struct sched_vcpu *fake_running(struct fake_machine *machine, unsigned pcpu);

/* sched_params_default() with micro_batch, protect_initiator and
 * micro_early_return off: a test of one mechanism, or of the rules they
 * change (the queue slots, a full micro slice), states the others. */
void fake_params_mechanisms_off(struct sched_params *params);
/* Convenience: init a system with `policy_name` and defaults (or params). */
int fake_system_init(struct sched_system *sys, const char *policy_name,
                     const struct sched_params *params, unsigned pcpus);
/* Create a VM with `vcpus` vCPUs in pool `pool`, all brought online. */
struct sched_vm *fake_vm(struct sched_system *sys, const char *name, unsigned vcpus,
                         uint32_t weight, int pool, sched_classify_fn classify,
                         const void *context);

#endif /* TESTS_HOST_SCHED_FAKE_ENV_H */
