/*
 * vmx/schedule.c - the per-pCPU scheduling loop of the hypervisor: the
 * scheduler of sched/ deciding, VT-x running (see schedule.h).
 *
 * Invariants:
 *  - A vCPU's VMCS is current on at most one pCPU (vcpu->loaded_cpu). A
 *    pCPU VMCLEARs its vCPU as soon as the scheduler gives it something
 *    else, before it loads anything; a pCPU picking a vCPU waits until its
 *    old pCPU has done so. No pCPU waits while holding a VMCS another one
 *    waits for, so the hand-over cannot deadlock.
 *  - The RIP and CPL handed to the scheduler are read from the VMCS at the
 *    exit that ended the slice: live values, never a stale copy.
 *  - No lost wake-ups, by one rule: an event is published (posted to the
 *    vLAPIC with atomics) before its notifier calls sched_vcpu_wake(), and
 *    a halting vCPU publishes "on its way to block" (sched_vcpu_block():
 *    pending_block) before it re-checks its events (schedule_block()).
 *    The scheduler reads and changes the vCPU's state only under its lock,
 *    so whichever comes second sees the other: the notifier's wake finds
 *    BLOCKED (requeues it) or RUNNING with pending_block (clears it, the
 *    vCPU keeps running), or the re-check finds the event. Nothing outside
 *    the scheduler reads the state to decide (tests/host/test_sched_wakeup.c
 *    checks every interleaving; tests/e2e/vmx-console.sh bounces 5,000 IPIs).
 *  - A vCPU blocks only after its HLT exit (or while waiting for STARTUP).
 *  - AP vCPUs stay OFFLINE in the scheduler until their STARTUP IPI.
 *
 * Lock order: scheduler lock (inside sched_* calls) -> trace (no lock).
 * No VM lock is held while calling the scheduler.
 */
#include "vmx/schedule.h"
#include "vmx/schedule_internal.h"

#include "vmx/assign_irq.h"

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/sched_env.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "sched/sched.h"
#include "vmx/classifier.h"
#include "vmx/cpupools.h"
#include "vmx/guest.h"
#include "vmx/notify.h"
#include "vmx/platform.h"
#include "vmx/profile.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vm.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

#define SCHEDULE_TRACE_RECORDS 8192 /* per pCPU, a power of two */
/* The boot pCPU's liveness tick: dead-VM checks, the watchdog and the
 * drain of guest console lines (see the top of this file). */
#define SCHEDULE_LIVENESS_PERIOD_MS     10
#define SCHEDULE_WATCHDOG_DEFAULT_MS    600000 /* watchdog_ms= (virtual time) */
#define SCHEDULE_EXIT_RATE_DEFAULT      0      /* vm_exit_rate= exits per ms */
#define SCHEDULE_EXIT_WINDOW_DEFAULT_MS 100    /* vm_exit_window_ms= */
#define SCHEDULE_DEAD_CAUSE_SIZE        120
#define SCHEDULE_REASON_SIZE            256 /* a refused cpus = pin */
#define NS_PER_MS                       1000000ull

struct vmx_schedule_shared vmx_schedule_shared = {.lock = SCHED_ENV_INIT_LOCK, .trace_dump = true};

/* The hypervisor vCPU behind each scheduler vCPU, by scheduler VM id. */
static struct vcpu *schedule_vcpus[SCHED_MAX_VMS][SCHED_MAX_VCPUS_PER_VM];
static struct timer schedule_idle_timers[PERCPU_MAX_CPUS];
static volatile uint32_t schedule_loops_running;
static volatile bool schedule_started;
static uint64_t schedule_run_limit_ms; /* run_ms=: stop every VM after this */
static struct timer schedule_run_limit_timer;
static uint64_t schedule_watchdog_ms = SCHEDULE_WATCHDOG_DEFAULT_MS;
static struct timer schedule_liveness_timer;
static const struct boot_module *schedule_pools_module; /* pools.cfg */

struct sched_system *vmx_schedule_system(void)
{
	return &vmx_schedule_shared.system;
}

void vmx_schedule_set_pools(const struct boot_module *module)
{
	schedule_pools_module = module;
}

bool vmx_schedule_kick_pending(void)
{
	return sched_env_take_kick();
}

/* Read a `key=` number in microseconds into `*ns`; -1 on a bad value. */
static int schedule_time_parameter(const struct cmdline *cmdline, const char *key, uint64_t unit_ns,
                                   uint64_t *ns, char *error, unsigned error_size)
{
	uint64_t value;
	if (cmdline_get_number(cmdline, key, *ns / unit_ns, UINT64_MAX / unit_ns, &value, error,
	                       error_size) != 0)
		return -1;
	if (value == 0) {
		format_string(error, error_size, "%s=0: must be at least 1", key);
		return -1;
	}
	*ns = value * unit_ns;
	return 0;
}

/* sched_micro_batch=, sched_micro_queue_depth=, sched_protect_initiator=,
 * sched_micro_early_return= (docs/mechanisms.md): range-checked by
 * sched_mechanism_set(), e.g. "sched_micro_queue_depth=9: must be 1..8". */
/* Whether `key` is one of vmx_schedule_options (the command line's check
 * of unknown options reads that list). */
static bool schedule_option_known(const char *key)
{
	for (unsigned i = 0; vmx_schedule_options[i]; i++)
		if (strcmp(vmx_schedule_options[i], key) == 0)
			return true;
	return false;
}

static int schedule_mechanism_parameters(const struct cmdline *cmdline, struct sched_params *params,
                                         char *error, unsigned error_size)
{
	for (unsigned i = 0; i < SCHED_MECHANISM_COUNT; i++) {
		char key[48], why[96];
		uint64_t value;
		format_string(key, sizeof(key), "sched_%s", sched_mechanism_key(i));
		/* A sched/ mechanism missing from vmx_schedule_options could never
		 * be set: the unknown-option check would refuse the boot. */
		if (!schedule_option_known(key))
			panic("vmx: %s is a sched/ mechanism but not in vmx_schedule_options", key);
		if (cmdline_get_number(cmdline, key, sched_mechanism_get(params, i), UINT32_MAX,
		                       &value, error, error_size))
			return -1;
		if (sched_mechanism_set(params, i, value, why, sizeof(why)) != SCHED_OK) {
			format_string(error, error_size, "sched_%s", why);
			return -1;
		}
	}
	return 0;
}

/* Hand `vm` (index `i`) to the scheduler, or stop it with the reason;
 * pool_vcpus counts the vCPUs placed per pool so far. */
static void schedule_add_vm(struct vm *vm, uint32_t i, uint32_t pool_vcpus[SCHED_MAX_POOLS])
{
	int pool = sched_pool_find(&vmx_schedule_shared.system,
	                           vm->pool_name[0] ? vm->pool_name : "Pool-0");
	if (pool < 0) {
		log_record("VMCONFIG file=%s error=\"%s:%u: cpupool '%s' does not exist\"",
		           vm->config_file, vm->config_file, vm->pool_line, vm->pool_name);
		vm_stop(vm, "config: cpupool \"%s\" does not exist", vm->pool_name);
		return;
	}
	const struct sched_pool *target = &vmx_schedule_shared.system.pools[pool];
	if (!sched_policy_time_shares(&target->policy) &&
	    pool_vcpus[pool] + vm->vcpu_count > target->pcpu_count) {
		/* No time sharing: a vCPU without a pCPU of its own would wait
		 * until another VM ends, an AP of this VM maybe forever. */
		log_record(
		    "VMCONFIG file=%s error=\"%s: %u vCPUs do not fit the %u pCPUs of %s left "
		    "under sched=%s (one pCPU per vCPU, no time sharing)\"",
		    vm->config_file, vm->config_file, vm->vcpu_count,
		    target->pcpu_count - pool_vcpus[pool], target->name, target->policy.name);
		vm_stop(vm, "config: %u vCPUs do not fit pool %s under sched=%s", vm->vcpu_count,
		        target->name, target->policy.name);
		return;
	}
	char why[SCHEDULE_REASON_SIZE];
	if (vmx_cpupools_pins_check(pool, vm->affinity, vm->vcpu_count, why, sizeof(why))) {
		log_record("VMCONFIG file=%s error=\"%s:%u: cpus: %s\"", vm->config_file,
		           vm->config_file, vm->cpus_line, why);
		vm_stop(vm, "config: cpus: %s", why);
		return;
	}
	struct sched_vm_config config = {
	    .name = vm->name,
	    .vcpu_count = vm->vcpu_count,
	    .weight = vm->weight,
	    .pool = pool,
	    .classify =
	        vm->symbols ? vmx_classifier_classify : NULL, /* no map: nothing is critical */
	    .classify_context = vm->symbols ? &vmx_schedule_shared.classifiers[i] : NULL,
	    /* The yield profiler (vmx/profile.h): every kernel RIP is
	     * "unknown" without a map. */
	    .locate = vm->symbols ? vmx_classifier_locate : NULL,
	    .locate_context = vm->symbols ? &vmx_schedule_shared.classifiers[i] : NULL,
	    .profile = vm->profile,
	};
	struct sched_vm *svm = sched_vm_create(&vmx_schedule_shared.system, &config);
	if (!svm) {
		vm_stop(vm, "scheduler: cannot create the VM (too many VMs or vCPUs)");
		return;
	}
	pool_vcpus[pool] += vm->vcpu_count;
	for (uint32_t v = 0; v < vm->vcpu_count; v++) {
		struct vcpu *vcpu = vm->vcpus[v];
		vcpu->sched = sched_vm_vcpu(svm, v);
		schedule_vcpus[svm->id][v] = vcpu;
		/* vmx_cpupools_pins_check() passed: a refusal here is a bug. */
		if (vmx_cpupools_pin(vcpu->sched, vm->affinity[v], why, sizeof(why)))
			panic("vmx: VM %s vCPU %u: a checked cpus pin was refused: %s", vm->name, v,
			      why);
	}
	vm->state = VM_STATE_RUNNING;
	/* The BSP starts now; APs when their STARTUP IPI arrives. */
	int online = sched_vcpu_online(vm->vcpus[0]->sched);
	if (online != SCHED_OK)
		vm_stop(vm, "scheduler: vCPU 0 cannot go online (error %d: its pool has no pCPU)",
		        online);
}

const char *const vmx_schedule_options[] = {"sched",
                                            "sched_slice_us",
                                            "sched_tick_us",
                                            "sched_account_us",
                                            "sched_micro_slice_us",
                                            "sched_profile_us",
                                            "sched_epoch_us",
                                            "sched_micro_limit",
                                            "sched_ratelimit_us",
                                            "sched_micro_batch",
                                            "sched_micro_queue_depth",
                                            "sched_protect_initiator",
                                            "sched_micro_early_return",
                                            "sched_micro_borrow",
                                            "sched_controller",
                                            "sched_controller_step_ms",
                                            "sched_controller_min_events",
                                            "sched_controller_spin_ns",
                                            "sched_controller_recheck",
                                            "run_ms",
                                            "sched_trace",
                                            "sched_check",
                                            "watchdog_ms",
                                            "vm_exit_rate",
                                            "vm_exit_window_ms",
                                            NULL};

/* watchdog_ms=, vm_exit_rate=, vm_exit_window_ms= (liveness and the
 * exit-rate guard); the guard's figures are copied into every VM. */
static int schedule_liveness_setup(struct vm *const *vms, uint32_t vm_count,
                                   const struct cmdline *cmdline, char *error, unsigned error_size)
{
	uint64_t rate, window_ms;
	if (cmdline_get_number(cmdline, "watchdog_ms", SCHEDULE_WATCHDOG_DEFAULT_MS,
	                       24ull * 3600 * 1000, &schedule_watchdog_ms, error, error_size) ||
	    cmdline_get_number(cmdline, "vm_exit_rate", SCHEDULE_EXIT_RATE_DEFAULT, UINT32_MAX,
	                       &rate, error, error_size) ||
	    cmdline_get_number(cmdline, "vm_exit_window_ms", SCHEDULE_EXIT_WINDOW_DEFAULT_MS,
	                       3600ull * 1000, &window_ms, error, error_size))
		return -1;
	if (window_ms == 0) {
		format_string(error, error_size, "vm_exit_window_ms=0: must be at least 1");
		return -1;
	}
	for (uint32_t i = 0; i < vm_count; i++) {
		vms[i]->exit_rate = rate;
		vms[i]->exit_window_tsc = timer_ns_to_tsc(window_ms * NS_PER_MS);
	}
	log_record("LIVENESS watchdog_ms=%llu vm_exit_rate=%llu vm_exit_window_ms=%llu "
	           "pit_min_period_us=%u",
	           (unsigned long long)schedule_watchdog_ms, (unsigned long long)rate,
	           (unsigned long long)window_ms, PLATFORM_PIT_MIN_PERIOD_US);
	return 0;
}

int vmx_schedule_setup(struct vm *const *vms, uint32_t vm_count, const struct cmdline *cmdline,
                       char *error, unsigned error_size)
{
	struct sched_policy policy;
	const char *policy_name = cmdline_get(cmdline, "sched");
	if (sched_policy_parse(policy_name ? policy_name : "credit", &policy, error, error_size) !=
	    0)
		return -1;
	struct sched_params params;
	sched_params_default(&params);
	uint64_t limit;
	if (schedule_time_parameter(cmdline, "sched_slice_us", 1000, &params.slice_ns, error,
	                            error_size) ||
	    schedule_time_parameter(cmdline, "sched_tick_us", 1000, &params.tick_ns, error,
	                            error_size) ||
	    schedule_time_parameter(cmdline, "sched_account_us", 1000, &params.account_period_ns,
	                            error, error_size) ||
	    schedule_time_parameter(cmdline, "sched_micro_slice_us", 1000, &params.micro_slice_ns,
	                            error, error_size) ||
	    schedule_time_parameter(cmdline, "sched_profile_us", 1000, &params.profile_interval_ns,
	                            error, error_size) ||
	    schedule_time_parameter(cmdline, "sched_epoch_us", 1000, &params.epoch_ns, error,
	                            error_size) ||
	    cmdline_get_number(cmdline, "sched_micro_limit", params.micro_limit,
	                       SCHED_MAX_PCPUS - 1, &limit, error, error_size))
		return -1;
	params.micro_limit = (uint32_t)limit;
	uint64_t ratelimit_us = params.ratelimit_ns / 1000;
	if (cmdline_get_number(cmdline, "sched_ratelimit_us", ratelimit_us, 1000000, &ratelimit_us,
	                       error, error_size))
		return -1;
	params.ratelimit_ns = ratelimit_us * 1000;
	if (schedule_mechanism_parameters(cmdline, &params, error, error_size))
		return -1;
	if (cmdline_get_number(cmdline, "run_ms", 0, 24ull * 3600 * 1000, &schedule_run_limit_ms,
	                       error, error_size))
		return -1;
	uint64_t check;
	if (cmdline_get_number(cmdline, "sched_check", 0, 1, &check, error, error_size))
		return -1;
	params.check_invariants = check != 0; /* sched_check_invariants() after each call */
	if (schedule_liveness_setup(vms, vm_count, cmdline, error, error_size))
		return -1;
	const char *dump = cmdline_get(cmdline, "sched_trace");
	vmx_schedule_shared.trace_dump = !dump || strcmp(dump, "0") != 0;
	sched_env_trace_controller_only = dump && strcmp(dump, "ctl") == 0;

	unsigned pcpus = 0;
	while (pcpus < percpu_cpu_count && pcpus < SCHED_MAX_PCPUS && percpu_cpus[pcpus].online)
		pcpus++;
	if (sched_init(&vmx_schedule_shared.system, &policy, &params, pcpus,
	               &vmx_schedule_shared.lock, error, error_size) ||
	    vmx_cpupools_setup(&vmx_schedule_shared.system, schedule_pools_module, &policy, &params,
	                       error, error_size))
		return -1;
	if (sched_env_trace_init(pcpus, SCHEDULE_TRACE_RECORDS) != 0) {
		format_string(error, error_size, "no memory for the trace rings");
		return -1;
	}
	vmx_schedule_shared.vms = vms;
	vmx_schedule_shared.vm_count = vm_count;
	uint32_t pool_vcpus[SCHED_MAX_POOLS] = {0};
	for (uint32_t i = 0; i < vm_count; i++)
		schedule_add_vm(vms[i], i, pool_vcpus);
	log_record(
	    "SCHEDCONFIG policy=%s pcpus=%u slice_us=%llu tick_us=%llu ratelimit_us=%llu "
	    "micro_slice_us=%llu profile_us=%llu epoch_us=%llu micro_limit=%u micro_pcpus=%u "
	    "micro_batch=%u micro_queue_depth=%u protect_initiator=%u micro_early_return=%u "
	    "micro_borrow=%u controller=%s controller_step_ms=%u controller_min_events=%u "
	    "controller_spin_ns=%u controller_recheck=%u",
	    policy.name, pcpus, (unsigned long long)(params.slice_ns / 1000),
	    (unsigned long long)(params.tick_ns / 1000),
	    (unsigned long long)(params.ratelimit_ns / 1000),
	    (unsigned long long)(params.micro_slice_ns / 1000),
	    (unsigned long long)(params.profile_interval_ns / 1000),
	    (unsigned long long)(params.epoch_ns / 1000), params.micro_limit,
	    sched_pool_micro_count(&vmx_schedule_shared.system, 0), params.micro_batch ? 1u : 0u,
	    params.micro_queue_depth, params.protect_initiator ? 1u : 0u,
	    params.micro_early_return ? 1u : 0u, params.micro_borrow,
	    params.controller == SCHED_CONTROLLER_EVENTS ? "events" : "progress",
	    params.controller_step_ms, params.controller_min_events, params.controller_spin_ns,
	    params.controller_recheck ? 1u : 0u);
	return 0;
}

static bool schedule_all_finished(void)
{
	for (uint32_t i = 0; i < vmx_schedule_shared.vm_count; i++)
		if (vmx_schedule_shared.vms[i]->state == VM_STATE_RUNNING ||
		    vmx_schedule_shared.vms[i]->state == VM_STATE_CREATED)
			return false;
	return true;
}

static struct vcpu *schedule_vcpu_of(const struct sched_vcpu *v)
{
	return v ? schedule_vcpus[v->vm->id][v->index] : NULL;
}

static void schedule_wake_all_pcpus(void)
{
	for (uint32_t cpu = 0; cpu < vmx_schedule_shared.system.pcpu_count; cpu++)
		sched_env_kick(cpu);
}

/* Make `vcpu`'s VMCS current here, building it on its first run. */
static void schedule_load(struct vcpu *vcpu)
{
	while (vcpu->created && __atomic_load_n(&vcpu->loaded_cpu, __ATOMIC_ACQUIRE) >= 0)
		arch_pause();
	int32_t self = (int32_t)percpu_this_index();
	vcpu->slices++;
	if (vcpu->last_cpu >= 0 && vcpu->last_cpu != self)
		vcpu->migrations++;
	if (!vcpu->created && vcpu->index == 0 && vcpu->vm->symbols) {
		/* The VM's own set-up, on the pCPU that runs it first. */
		char why[200];
		if (vmx_classifier_build(vcpu->vm, &vmx_schedule_shared.classifiers[vcpu->vm->id],
		                         why, sizeof(why)) < 0) {
			vm_stop(vcpu->vm, "classifier: %s", why);
			return;
		}
	}
	if (!vcpu->created) {
		char error[160];
		if (vmx_vcpu_create(vcpu, vcpu->start_rip, vcpu->start_eax, vcpu->start_ebx, error,
		                    sizeof(error)) != 0) {
			vm_stop(vcpu->vm, "vcpu-create: %s", error);
			return;
		}
		vcpu->created = true;
		if (vcpu->index == 0 && vmx_settings.corrupt_guest[0] &&
		    strcmp(vmx_settings.corrupt_guest, vcpu->vm->name) == 0) {
			/* Test hook (vmx_corrupt_guest=): the first entry must fail. */
			log_warning("VM %s: corrupting guest CS access rights (vmx_corrupt_guest)",
			            vcpu->vm->name);
			vmx_write(VMCS_GUEST_CS_ACCESS, 0x1234);
		}
		return;
	}
	vmx_vcpu_load(vcpu);
}

static void schedule_put(struct vcpu *vcpu)
{
	if (vcpu->loaded_cpu == (int32_t)percpu_this_index()) {
		vmx_vcpu_put(vcpu); /* VMCLEAR, then loaded_cpu = -1 (release) */
	}
}

static void schedule_idle_wake(struct timer *timer, void *context)
{
	(void)timer;
	(void)context; /* the interrupt itself ends the HLT */
}

/* Halt until `until` (scheduler ns) or a kick. */
static void schedule_idle(uint64_t until)
{
	struct timer *timer = &schedule_idle_timers[percpu_this_index()];
	if (until != SCHED_TIME_NEVER)
		timer_start(timer, timer_ns_to_tsc(until), schedule_idle_wake, NULL);
	arch_interrupts_disable();
	if (!sched_env_take_kick() && !schedule_all_finished() &&
	    (until == SCHED_TIME_NEVER || sched_env_now() < until))
		arch_enable_and_halt();
	arch_interrupts_enable();
	timer_cancel(timer);
}

/* An event that can end the vCPU's wait: while it waits for SIPI none
 * (taking STARTUP in makes it active); after HLT with interrupts disabled
 * only an NMI, INIT or STARTUP; otherwise any pending event. */
static bool schedule_wake_pending(struct vcpu *vcpu)
{
	if (!vcpu->interrupt.initialized)
		return vmx_vcpu_has_pending_event(vcpu);
	struct vlapic *vlapic = &vcpu->interrupt.vlapic;
	bool nmi = vlapic_nmi_pending(vlapic); /* also takes posted messages in */
	if (vlapic->run_state == VLAPIC_RUN_WAIT_FOR_SIPI)
		return false; /* a further INIT changes nothing */
	if (!vcpu->halt_masked)
		return vmx_vcpu_has_pending_event(vcpu);
	return nmi || (vlapic->events & (VLAPIC_EVENT_INIT | VLAPIC_EVENT_STARTUP));
}

/* Block the vCPU running here, then wake it at once if an event was
 * posted before it blocked (see the invariants at the top). */
static void schedule_block(struct vcpu *vcpu, uint64_t rip, bool kernel_mode)
{
	sched_vcpu_block(vcpu->sched, rip, kernel_mode);
	if (schedule_wake_pending(vcpu))
		sched_vcpu_wake(vcpu->sched);
}

/* False (the vCPU blocked again) if `vcpu` may not run guest code now: an
 * AP between INIT and STARTUP, or a vCPU halted with interrupts off that
 * nothing it can take has woken. */
static bool schedule_may_enter(struct vcpu *next)
{
	if (vcpu_interrupt_waiting_for_startup(next)) {
		/* STARTUP wakes it. */
		schedule_block(next, 0, false);
		return false;
	}
	if (next->halt_masked) {
		/* Woken for an interrupt it cannot take, it keeps waiting for
		 * an NMI or INIT. */
		if (!schedule_wake_pending(next)) {
			schedule_block(next, 0, false);
			return false;
		}
		next->halt_masked = false;
	}
	return true;
}

/* The first few PAUSE-loop exits of each vCPU, for explaining runs. */
static void schedule_log_yield(struct vcpu *vcpu, uint64_t rip, bool kernel_mode)
{
	if (vcpu->yields_logged >= 3)
		return;
	char where[VMX_SCHEDULE_RIP_TEXT_SIZE];
	vmx_classifier_format_rip(&vmx_schedule_shared.classifiers[vcpu->vm->id], rip, where,
	                          sizeof(where));
	log_debug("VM %s vCPU %u: PAUSE-loop exit at %s (%s mode)", vcpu->vm->name, vcpu->index,
	          where, kernel_mode ? "kernel" : "user");
	vcpu->yields_logged++;
}

/* Tell the scheduler how the slice of `vcpu` ended (live RIP and CPL). */
static void schedule_after_slice(struct vcpu *next, enum vmx_leave leave, uint64_t rip,
                                 bool kernel_mode)
{
	switch (leave) {
	case VMX_LEAVE_BLOCK:
		schedule_block(next, rip, kernel_mode);
		break;
	case VMX_LEAVE_YIELD:
		schedule_log_yield(next, rip, kernel_mode);
		sched_vcpu_yield(next->sched, SCHED_YIELD_PLE, rip, kernel_mode);
		break;
	case VMX_LEAVE_STOP:
		for (uint32_t v = 0; v < next->vm->vcpu_count; v++)
			if (next->vm->vcpus[v] && next->vm->vcpus[v]->sched)
				sched_vcpu_offline(next->vm->vcpus[v]->sched);
		schedule_wake_all_pcpus();
		break;
	default:
		break;
	}
}

static void schedule_loop(void)
{
	unsigned pcpu = percpu_this_index();
	struct vcpu *current = NULL; /* VMCS current on this pCPU */
	uint64_t rip = 0;
	bool kernel_mode = false;
	struct vmx_schedule_pcpu_view *stats = &vmx_schedule_shared.pcpu_stats[pcpu];
	while (!schedule_all_finished()) {
		struct sched_decision decision =
		    sched_schedule(&vmx_schedule_shared.system, pcpu, rip, kernel_mode);
		stats->decisions++;
		struct vcpu *next = schedule_vcpu_of(decision.vcpu);
		/* A device vIRQ posted while it ran (it exited for the host
		 * interrupt) and not injected yet: the vCPU is preempted with
		 * it pending, so it is reported now (the I/O rule may offload
		 * it) rather than left for its next slice. */
		if (current && current != next && vmx_assign_irq_pending(current->vm))
			sched_notify_virq(current->sched);
		if (current && current != next) {
			schedule_put(current);
			current = NULL;
		}
		rip = 0;
		kernel_mode = false;
		if (!next) {
			stats->idles++;
			schedule_idle(decision.until);
			continue;
		}
		if (next->vm->state != VM_STATE_RUNNING) {
			sched_vcpu_offline(decision.vcpu);
			continue;
		}
		if (current != next) {
			schedule_load(next);
			if (!next->created)
				continue; /* its VM was stopped */
			current = next;
		}
		if (!schedule_may_enter(next))
			continue;
		uint64_t deadline = decision.until == SCHED_TIME_NEVER
		                        ? UINT64_MAX
		                        : timer_ns_to_tsc(decision.until);
		next->slice_tsc = arch_tsc_read();
		enum vmx_leave leave = vmx_vcpu_run_slice(next, deadline);
		next->run_tsc += arch_tsc_read() - next->slice_tsc;
		__atomic_add_fetch(&next->vm->slices_run, 1, __ATOMIC_RELAXED);
		stats->leaves[leave < VMX_LEAVE_COUNT ? leave : 0]++;
		rip = vmx_read(VMCS_GUEST_RIP);
		kernel_mode = vmx_guest_cpl(next) == 0;
		schedule_after_slice(next, leave, rip, kernel_mode);
	}
	/* Idle pCPUs sleep until a kick: make each one see that the run is over. */
	schedule_wake_all_pcpus();
	/* Let the scheduler retire the vCPU that ran last. */
	if (current)
		sched_vcpu_offline(current->sched);
	sched_schedule(&vmx_schedule_shared.system, pcpu, rip, kernel_mode);
	if (current)
		schedule_put(current);
}

static void schedule_worker(void *argument)
{
	(void)argument;
	char error[160];
	if (vmx_cpu_enable(error, sizeof(error)) != 0) {
		log_error("vmx: cannot enable VMX on this pCPU: %s", error);
		int removed =
		    sched_pool_remove_pcpu(&vmx_schedule_shared.system, 0, percpu_this_index());
		if (removed != SCHED_OK)
			log_error(
			    "vmx: cpu %u stays in Pool-0 without running (error %d): its vCPUs "
			    "wait for the other pCPUs",
			    percpu_this_index(), removed);
	} else {
		schedule_loop();
	}
	__atomic_sub_fetch(&schedule_loops_running, 1, __ATOMIC_ACQ_REL);
	lapic_send_ipi(percpu_cpus[0].apic_id, TRAP_VECTOR_RESCHEDULE);
}

/* run_ms= is over: stop every VM that still runs (a measurement window). */
static void schedule_run_limit(struct timer *timer, void *context)
{
	(void)timer;
	(void)context;
	for (uint32_t i = 0; i < vmx_schedule_shared.vm_count; i++)
		if (vmx_schedule_shared.vms[i]->state == VM_STATE_RUNNING)
			vm_stop(vmx_schedule_shared.vms[i], "time-limit: run_ms=%llu reached",
			        (unsigned long long)schedule_run_limit_ms);
	schedule_wake_all_pcpus();
}

/* Why vCPU `vcpu` of a running VM can never run again (appended to
 * `why`), or false if it might: it runs or may be woken. Scheduler lock
 * held. An AP never started or waiting for STARTUP needs a sibling's IPI;
 * HLT with interrupts off needs an NMI or INIT: only a sibling or an IOAPIC
 * pin (fired by the PIT) sends one; HLT with interrupts on also wakes for
 * its own vLAPIC timer. */
static bool schedule_vcpu_stuck(struct vcpu *vcpu, bool pit_armed, char *why, size_t size)
{
	enum sched_vcpu_state state = vcpu->sched->state;
	const char *what;
	if (state == SCHED_VCPU_OFFLINE) {
		what = "not started";
	} else if (state != SCHED_VCPU_BLOCKED) {
		return false;
	} else if (vcpu->interrupt.initialized &&
	           vcpu->interrupt.vlapic.run_state == VLAPIC_RUN_WAIT_FOR_SIPI) {
		what = "waits for SIPI";
	} else if (pit_armed) {
		return false;
	} else if (vcpu->halt_masked) {
		what = "HLT with interrupts off";
	} else if (__atomic_load_n(&vcpu->interrupt.timer.armed, __ATOMIC_ACQUIRE)) {
		return false;
	} else {
		what = "HLT, no interrupt source";
	}
	size_t used = strlen(why);
	format_string(why + used, size - used, "%svCPU %u %s", used ? ", " : "", vcpu->index, what);
	return true;
}

/* True (with the reason) if no vCPU of `vm` can ever run again. */
static bool schedule_vm_stuck(struct vm *vm, char *why, size_t size)
{
	/* An assigned device's INTx may wake it too (vmx/assign_irq.h). */
	bool pit_armed = platform_timer_armed(vm) || vmx_assign_irq_source(vm);
	bool stuck = true;
	why[0] = '\0';
	sched_env_lock_acquire(&vmx_schedule_shared.lock);
	for (uint32_t v = 0; v < vm->vcpu_count && stuck; v++) {
		struct vcpu *vcpu = vm->vcpus[v];
		if (vcpu && vcpu->sched)
			stuck = schedule_vcpu_stuck(vcpu, pit_armed, why, size);
	}
	sched_env_lock_release(&vmx_schedule_shared.lock);
	return stuck;
}

/*
 * The liveness tick (boot pCPU, every SCHEDULE_LIVENESS_PERIOD_MS): a VM
 * found stuck at two ticks in a row with no slice run in between is
 * stopped as dead (the second look covers a timer callback on its way to
 * wake a vCPU); after watchdog_ms every VM still running is stopped, so
 * every run ends with its report.
 */
static void schedule_liveness(struct timer *timer, void *context)
{
	(void)context;
	uint64_t now = arch_tsc_read();
	bool stopped = false;
	bool watchdog =
	    schedule_watchdog_ms && now - vmx_schedule_shared.started_tsc >=
	                                timer_ns_to_tsc(schedule_watchdog_ms * NS_PER_MS);
	for (uint32_t i = 0; i < vmx_schedule_shared.vm_count; i++) {
		struct vm *vm = vmx_schedule_shared.vms[i];
		if (vm->state != VM_STATE_RUNNING)
			continue;
		if (watchdog) {
			vmx_schedule_report_stuck(vm);
			vm_stop(vm, "watchdog: still running after watchdog_ms=%llu",
			        (unsigned long long)schedule_watchdog_ms);
			stopped = true;
			continue;
		}
		char why[SCHEDULE_DEAD_CAUSE_SIZE];
		uint64_t slices = __atomic_load_n(&vm->slices_run, __ATOMIC_RELAXED);
		bool stuck = schedule_vm_stuck(vm, why, sizeof(why));
		if (stuck && vm->dead_suspect && slices == vm->dead_check_slices) {
			vm_stop(vm, "dead: every vCPU waits and nothing can wake it (%s)", why);
			stopped = true;
		}
		vm->dead_suspect = stuck;
		vm->dead_check_slices = slices;
	}
	if (stopped)
		schedule_wake_all_pcpus();
	if (!schedule_all_finished())
		timer_start(timer, now + timer_ns_to_tsc(SCHEDULE_LIVENESS_PERIOD_MS * NS_PER_MS),
		            schedule_liveness, NULL);
}

void vmx_schedule_run(void)
{
	vmx_schedule_shared.started_tsc = arch_tsc_read();
	schedule_started = true;
	timer_start(&schedule_liveness_timer,
	            vmx_schedule_shared.started_tsc +
	                timer_ns_to_tsc(SCHEDULE_LIVENESS_PERIOD_MS * NS_PER_MS),
	            schedule_liveness, NULL);
	if (schedule_run_limit_ms)
		timer_start(&schedule_run_limit_timer,
		            vmx_schedule_shared.started_tsc +
		                timer_ns_to_tsc(schedule_run_limit_ms * 1000000ull),
		            schedule_run_limit, NULL);
	for (uint32_t cpu = 1; cpu < vmx_schedule_shared.system.pcpu_count; cpu++) {
		__atomic_add_fetch(&schedule_loops_running, 1, __ATOMIC_ACQ_REL);
		if (smp_run_in_thread(cpu, schedule_worker, NULL) != 0) {
			__atomic_sub_fetch(&schedule_loops_running, 1, __ATOMIC_ACQ_REL);
			log_error("vmx: cpu %u is busy and does not schedule", cpu);
		}
	}
	__atomic_add_fetch(&schedule_loops_running, 1, __ATOMIC_ACQ_REL);
	schedule_worker(NULL);
	for (;;) {
		arch_interrupts_disable();
		if (__atomic_load_n(&schedule_loops_running, __ATOMIC_ACQUIRE) == 0)
			break;
		arch_enable_and_halt();
	}
	arch_interrupts_enable();
	timer_cancel(&schedule_run_limit_timer);
	timer_cancel(&schedule_liveness_timer);
	vmx_schedule_shared.finished_tsc = arch_tsc_read();
}

void vmx_schedule_notify(struct vcpu *target, enum vmx_notify_kind kind)
{
	if (!schedule_started || !target->sched)
		return;
	switch (kind) {
	case VMX_NOTIFY_IPI:
		sched_notify_ipi(target->sched);
		break;
	case VMX_NOTIFY_DEVICE_IRQ:
		sched_notify_virq(target->sched);
		break;
	case VMX_NOTIFY_INIT_SIPI:
		/* An AP comes to life: it runs, takes INIT/STARTUP at its
		 * entry, and blocks again while it waits for STARTUP. The
		 * scheduler refuses (SCHED_ERR_INVALID) unless it is OFFLINE. */
		if (target->vm->state == VM_STATE_RUNNING &&
		    sched_vcpu_online(target->sched) == SCHED_OK)
			return;
		break;
	case VMX_NOTIFY_TIMER:
		break;
	}
	/* The scheduler reads the target's state under its lock: a BLOCKED
	 * vCPU is woken, a RUNNING one that is on its way to block keeps
	 * running, any other is left as it is. */
	sched_vcpu_wake(target->sched);
}
