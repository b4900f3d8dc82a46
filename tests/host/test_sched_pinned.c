/*
 * tests/host/test_sched_pinned.c - the pinned policy (sched/pinned.c):
 * placement (first free pCPU in pool order), no preemption ever, block ->
 * idle -> wake on the same pCPU, the waiting FIFO getting pCPUs as they
 * are released, yields that keep the pCPU, two VMs, pCPUs leaving and
 * joining a pinned pool, VM moves, and selection by name.
 *
 * Every call runs sched_check_invariants() when it releases the lock (the
 * fake env does it), so the pinned invariants hold throughout.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS

static struct sched_system sys;
static struct fake_machine machine;

/* "vm:vcpu" per pCPU the machine runs, or -1 for idle. */
#define RUN(vm, vcpu) ((vm)*100 + (vcpu))
#define IDLE          (-1)

static int running_id(unsigned pcpu)
{
	struct sched_vcpu *vcpu = fake_running(&machine, pcpu);

	return vcpu ? RUN(vcpu->vm->id, vcpu->index) : IDLE;
}

static void check_running(const int *expected, unsigned pcpus)
{
	unsigned p;

	for (p = 0; p < pcpus; p++) {
		if (running_id(p) != expected[p])
			TEST_FAIL_("pCPU %u runs %d, expected %d", p, running_id(p), expected[p]);
	}
}

static unsigned schedule_outs(void)
{
	return fake_trace_count_event(SCHED_TRACE_SCHEDULE_OUT);
}

/* A pinned system of `pcpus` pCPUs with one VM "a" of `vcpus` vCPUs, all
 * online and scheduled once; NULL (and a failed check) if that fails. */
static struct sched_vm *start_one_vm(unsigned pcpus, unsigned vcpus)
{
	struct sched_vm *vm;

	CHECK(fake_system_init(&sys, "pinned", NULL, pcpus) == 0);
	vm = fake_vm(&sys, "a", vcpus, 0, 0, NULL, NULL);
	CHECK(vm != NULL);
	if (vm)
		fake_machine_start(&machine, &sys);
	return vm;
}

/* ---- placement ---- */

static void test_pinned_placement(void)
{
	static const struct {
		const char *name;
		unsigned pcpus;
		unsigned vms[3]; /* vCPUs per VM, 0 = none */
		int running[4];
		unsigned waiting;
	} rows[] = {
	    {"two VMs fill four pCPUs",
	     4,
	     {2, 2, 0},
	     {RUN(0, 0), RUN(0, 1), RUN(1, 0), RUN(1, 1)},
	     0},
	    {"three 1-vCPU VMs, one pCPU left free",
	     4,
	     {1, 1, 1},
	     {RUN(0, 0), RUN(1, 0), RUN(2, 0), IDLE},
	     0},
	    {"more vCPUs than pCPUs: the rest waits", 2, {3, 0, 0}, {RUN(0, 0), RUN(0, 1)}, 1},
	    {"second VM waits entirely", 2, {2, 2, 0}, {RUN(0, 0), RUN(0, 1)}, 2},
	};
	unsigned r, v, waiting;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		test_current_name = rows[r].name;
		CHECK(fake_system_init(&sys, "pinned", NULL, rows[r].pcpus) == 0);
		for (v = 0; v < 3 && rows[r].vms[v]; v++)
			CHECK(fake_vm(&sys, "vm", rows[r].vms[v], 0, 0, NULL, NULL) != NULL);
		fake_machine_start(&machine, &sys);
		check_running(rows[r].running, rows[r].pcpus);
		waiting = 0;
		for (v = 0; v < SCHED_MAX_VMS; v++) {
			unsigned i;

			for (i = 0; sys.vms[v].in_use && i < sys.vms[v].vcpu_count; i++) {
				const struct sched_vcpu *vcpu = &sys.vms[v].vcpus[i];

				if (vcpu->state == SCHED_VCPU_RUNNABLE &&
				    vcpu->pcpu == SCHED_NO_PCPU)
					waiting++;
			}
		}
		CHECK_EQ(waiting, rows[r].waiting);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- no preemption, no slice ---- */

static void test_pinned_never_preempted(void)
{
	static const int expected[2] = {RUN(0, 0), RUN(0, 1)};
	struct sched_vm *vm;
	struct sched_vcpu *waiter;

	vm = start_one_vm(2, 3);
	if (!vm)
		return;
	waiter = &vm->vcpus[2];
	check_running(expected, 2);
	CHECK_EQ(sys.pcpus[0].slice_end, SCHED_TIME_NEVER);
	/* Ticks and accounting come and go for a second: nothing moves. */
	fake_machine_run_until(&machine, 1000 * MS);
	check_running(expected, 2);
	CHECK_EQ(schedule_outs(), 0);
	CHECK_EQ(vm->vcpus[0].stats.schedule_ins, 1);
	CHECK_EQ(vm->vcpus[0].stats.run_ns, 1000 * MS);
	CHECK_EQ(waiter->stats.schedule_ins, 0);
	/* A wake or interrupt for others does not preempt either. */
	CHECK_EQ(sched_vcpu_wake(waiter), SCHED_OK);
	sched_notify_ipi(waiter);
	sched_notify_virq(waiter);
	fake_machine_run_until(&machine, 1100 * MS);
	check_running(expected, 2);
	CHECK_EQ(schedule_outs(), 0);
	CHECK_EQ(sys.counters.boosts, 0);
	CHECK_EQ(sched_vcpu_priority(&vm->vcpus[0]), 0);
	CHECK_EQ(sched_vcpu_credit(&vm->vcpus[0]), 0);
	CHECK_EQ(fake_lock.errors, 0);
}

/* ---- block -> idle -> wake ---- */

static void test_pinned_block_idle_wake(void)
{
	static const int before[2] = {RUN(0, 0), RUN(0, 1)};
	static const int blocked[2] = {IDLE, RUN(0, 1)};
	struct sched_vm *vm;

	vm = start_one_vm(2, 3);
	if (!vm)
		return;
	check_running(before, 2);
	fake_now = 5 * MS;
	CHECK_EQ(sched_vcpu_block(&vm->vcpus[0], 0, true), SCHED_OK);
	fake_schedule(&machine, 0);
	fake_machine_run_until(&machine, 50 * MS);
	/* pCPU 0 idles: the waiting vCPU 2 does not get it. */
	check_running(blocked, 2);
	CHECK_EQ(vm->vcpus[0].state, SCHED_VCPU_BLOCKED);
	CHECK_EQ(vm->vcpus[2].stats.schedule_ins, 0);
	CHECK_EQ(sched_vcpu_wake(&vm->vcpus[0]), SCHED_OK);
	CHECK(fake_kicked_mask & 1);
	fake_machine_settle(&machine);
	check_running(before, 2);
	CHECK_EQ(vm->vcpus[0].stats.schedule_ins, 2);
	CHECK_EQ(vm->vcpus[0].stats.boosts, 0);
	/* vCPU 1 was never descheduled. */
	CHECK_EQ(vm->vcpus[1].stats.schedule_ins, 1);
	CHECK_EQ(fake_lock.errors, 0);
}

/* ---- the waiting FIFO ---- */

enum release_how { RELEASE_RUNNING, RELEASE_BLOCKED, RELEASE_QUEUED };

static void test_pinned_fifo_gets_released_pcpu(void)
{
	static const struct {
		const char *name;
		enum release_how how;
	} rows[] = {
	    {"running vCPU goes offline", RELEASE_RUNNING},
	    {"blocked vCPU goes offline", RELEASE_BLOCKED},
	    {"woken, still queued vCPU goes offline", RELEASE_QUEUED},
	};
	unsigned r;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct sched_vm *a, *b;
		int after_first[2], after_second[2];

		test_current_name = rows[r].name;
		CHECK(fake_system_init(&sys, "pinned", NULL, 2) == 0);
		a = fake_vm(&sys, "a", 2, 0, 0, NULL, NULL);
		b = fake_vm(&sys, "b", 2, 0, 0, NULL, NULL);
		CHECK(a && b);
		if (!a || !b)
			return;
		fake_machine_start(&machine, &sys);
		fake_now = 1 * MS;
		if (rows[r].how != RELEASE_RUNNING) {
			CHECK_EQ(sched_vcpu_block(&a->vcpus[1], 0, true), 0);
			fake_schedule(&machine, 1);
			CHECK_EQ(running_id(1), IDLE);
		}
		if (rows[r].how == RELEASE_QUEUED) {
			CHECK_EQ(sched_vcpu_wake(&a->vcpus[1]), SCHED_OK);
			CHECK_EQ(a->vcpus[1].state, SCHED_VCPU_RUNNABLE);
			CHECK_EQ(sys.pcpus[1].runq_length, 1);
		}
		CHECK_EQ(sched_vcpu_offline(&a->vcpus[1]), SCHED_OK);
		fake_machine_settle(&machine);
		/* The head of the FIFO, b.0, takes pCPU 1. */
		after_first[0] = RUN(0, 0);
		after_first[1] = RUN(1, 0);
		check_running(after_first, 2);
		CHECK_EQ(b->vcpus[1].pcpu, SCHED_NO_PCPU);
		/* Then b.1 gets pCPU 0 when a.0 goes too. */
		CHECK_EQ(sched_vcpu_offline(&a->vcpus[0]), SCHED_OK);
		fake_machine_settle(&machine);
		after_second[0] = RUN(1, 1);
		after_second[1] = RUN(1, 0);
		check_running(after_second, 2);
		CHECK_EQ(sched_vm_destroy(a), SCHED_OK);
		check_running(after_second, 2);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

static void test_pinned_online_again_waits(void)
{
	static const int expected[2] = {RUN(1, 0), RUN(0, 1)};
	struct sched_vm *a, *b;

	CHECK(fake_system_init(&sys, "pinned", NULL, 2) == 0);
	a = fake_vm(&sys, "a", 2, 0, 0, NULL, NULL);
	b = fake_vm(&sys, "b", 1, 0, 0, NULL, NULL);
	CHECK(a && b);
	if (!a || !b)
		return;
	fake_machine_start(&machine, &sys);
	CHECK_EQ(sched_vcpu_offline(&a->vcpus[0]), SCHED_OK);
	fake_machine_settle(&machine);
	check_running(expected, 2);
	/* a.0 comes back: both pCPUs are owned, it waits (FIFO tail). */
	CHECK_EQ(sched_vcpu_online(&a->vcpus[0]), SCHED_OK);
	fake_machine_settle(&machine);
	check_running(expected, 2);
	CHECK_EQ(a->vcpus[0].state, SCHED_VCPU_RUNNABLE);
	CHECK_EQ(a->vcpus[0].pcpu, SCHED_NO_PCPU);
	CHECK_EQ(fake_lock.errors, 0);
}

/* ---- yield ---- */

static void test_pinned_yield_keeps_pcpu(void)
{
	static const int expected[1] = {RUN(0, 0)};
	struct sched_vm *vm;
	unsigned long switches;
	unsigned source;

	for (source = 0; source < SCHED_YIELD_SOURCE_COUNT; source++) {
		vm = start_one_vm(1, 2);
		if (!vm)
			return;
		switches = sys.counters.context_switches;
		fake_now = 2 * MS;
		CHECK_EQ(sched_vcpu_yield(&vm->vcpus[0], (enum sched_yield_source)source, 0, true),
		         SCHED_OK);
		fake_schedule(&machine, 0);
		check_running(expected, 1);
		CHECK_EQ(sys.counters.context_switches, switches);
		CHECK_EQ(vm->vcpus[1].stats.schedule_ins, 0);
		CHECK_EQ(vm->vcpus[0].stats.yields, 1);
		CHECK_EQ(fake_lock.errors, 0);
	}
}

/* ---- two VMs share nothing ---- */

static void test_pinned_two_vms(void)
{
	static const int expected[4] = {RUN(0, 0), RUN(0, 1), RUN(1, 0), RUN(1, 1)};
	struct sched_vm *a, *b;
	unsigned i;

	CHECK(fake_system_init(&sys, "pinned", NULL, 4) == 0);
	a = fake_vm(&sys, "a", 2, 256, 0, NULL, NULL);
	b = fake_vm(&sys, "b", 2, 512, 0, NULL, NULL);
	CHECK(a && b);
	if (!a || !b)
		return;
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 300 * MS);
	check_running(expected, 4);
	/* Weights mean nothing: every vCPU had its own pCPU all along. */
	for (i = 0; i < 2; i++) {
		CHECK_EQ(a->vcpus[i].stats.run_ns, 300 * MS);
		CHECK_EQ(b->vcpus[i].stats.run_ns, 300 * MS);
	}
	CHECK_EQ(schedule_outs(), 0);
	CHECK_EQ(sys.counters.steals, 0);
	CHECK_EQ(fake_lock.errors, 0);
}

/* ---- pools: pCPUs leave and join, VMs move ---- */

static void test_pinned_pool_pcpus(void)
{
	static const int shrunk[2] = {RUN(0, 0), IDLE};
	static const int grown[2] = {RUN(0, 0), RUN(0, 1)};
	struct sched_vm *vm;

	vm = start_one_vm(2, 2);
	if (!vm)
		return;
	/* pCPU 1 leaves: its running vCPU moves out and waits. */
	CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 1), SCHED_OK);
	fake_machine_settle(&machine);
	check_running(shrunk, 2);
	CHECK_EQ(vm->vcpus[1].state, SCHED_VCPU_RUNNABLE);
	CHECK_EQ(vm->vcpus[1].pcpu, SCHED_NO_PCPU);
	/* It comes back: the FIFO head takes it. */
	CHECK_EQ(sched_pool_add_pcpu(&sys, 0, 1), SCHED_OK);
	fake_machine_settle(&machine);
	check_running(grown, 2);
	CHECK_EQ(fake_lock.errors, 0);
}

static void test_pinned_pool_beside_credit(void)
{
	struct sched_policy pinned;
	struct sched_vm *vm;
	char error[128];
	int pool;

	CHECK(fake_system_init(&sys, "credit", NULL, 4) == 0);
	CHECK_EQ(sched_policy_parse("pinned", &pinned, error, sizeof(error)), SCHED_OK);
	pool = sched_pool_create(&sys, "pin", &pinned, NULL);
	CHECK(pool > 0);
	CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 2), SCHED_OK);
	CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 3), SCHED_OK);
	CHECK_EQ(sched_pool_add_pcpu(&sys, pool, 2), SCHED_OK);
	CHECK_EQ(sched_pool_add_pcpu(&sys, pool, 3), SCHED_OK);
	vm = fake_vm(&sys, "a", 3, 0, 0, NULL, NULL);
	CHECK(vm != NULL);
	if (!vm)
		return;
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 100 * MS);
	/* Credit pool: 3 vCPUs time-share pCPUs 0-1. Move to pinned: two
	 * get pCPUs 2 and 3, the third waits. */
	CHECK_EQ(sched_vm_move(vm, pool), SCHED_OK);
	fake_machine_run_until(&machine, 200 * MS);
	CHECK_EQ(running_id(0), IDLE);
	CHECK_EQ(running_id(1), IDLE);
	CHECK(running_id(2) != IDLE && running_id(3) != IDLE);
	CHECK(running_id(2) != running_id(3));
	/* And back to credit: everybody runs again. */
	CHECK_EQ(sched_vm_move(vm, 0), SCHED_OK);
	fake_machine_run_until(&machine, 300 * MS);
	CHECK_EQ(running_id(2), IDLE);
	CHECK_EQ(running_id(3), IDLE);
	CHECK(running_id(0) != IDLE && running_id(1) != IDLE);
	CHECK_EQ(fake_lock.errors, 0);
}

/* ---- random operations, invariants checked at every call ---- */

static unsigned random_next(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(*state >> 33);
}

/* Pool 0 pinned on pCPUs 0-2, pool 1 credit on pCPU 3 (pCPU 2 moves
 * between them), three VMs moving between the pools; every vCPU is pushed
 * through online/offline/block/wake/yield. The fake env aborts on the first
 * broken invariant, so reaching the end is the check. */
static void test_pinned_random_operations(void)
{
	struct sched_policy credit;
	struct sched_vm *vms[3];
	uint64_t state = 12345;
	char error[128];
	unsigned step, i;
	int pool;

	CHECK(fake_system_init(&sys, "pinned", NULL, 4) == 0);
	CHECK_EQ(sched_policy_parse("credit", &credit, error, sizeof(error)), SCHED_OK);
	pool = sched_pool_create(&sys, "credit", &credit, NULL);
	CHECK_EQ(sched_pool_remove_pcpu(&sys, 0, 3), SCHED_OK);
	CHECK_EQ(sched_pool_add_pcpu(&sys, pool, 3), SCHED_OK);
	for (i = 0; i < 3; i++) {
		vms[i] = fake_vm(&sys, "vm", 2 + i, 0, i == 2 ? pool : 0, NULL, NULL);
		CHECK(vms[i] != NULL);
		if (!vms[i])
			return;
	}
	fake_machine_start(&machine, &sys);
	for (step = 0; step < 4000; step++) {
		struct sched_vm *vm = vms[random_next(&state) % 3];
		struct sched_vcpu *vcpu = &vm->vcpus[random_next(&state) % vm->vcpu_count];

		switch (random_next(&state) % 9) {
		case 0:
			sched_vcpu_online(vcpu);
			break;
		case 1:
			sched_vcpu_offline(vcpu);
			break;
		case 2:
			sched_vcpu_block(vcpu, 0, true);
			break;
		case 3:
		case 4:
			sched_vcpu_wake(vcpu);
			break;
		case 5:
			sched_vcpu_yield(vcpu, SCHED_YIELD_PLE, 0, true);
			break;
		case 6:
			sched_vm_move(vm, vm->pool == 0 ? pool : 0);
			break;
		case 7:
			if (sys.pcpus[2].pool == 0)
				CHECK(sched_pool_remove_pcpu(&sys, 0, 2) != SCHED_OK ||
				      sched_pool_add_pcpu(&sys, pool, 2) == SCHED_OK);
			else
				CHECK(sched_pool_remove_pcpu(&sys, pool, 2) != SCHED_OK ||
				      sched_pool_add_pcpu(&sys, 0, 2) == SCHED_OK);
			break;
		default:
			fake_machine_run_until(&machine,
			                       fake_now + (random_next(&state) % 20) * MS);
			break;
		}
		fake_machine_settle(&machine);
	}
	CHECK_EQ(fake_lock.errors, 0);
}

/* ---- selection by name ---- */

static void test_pinned_by_name(void)
{
	static const struct {
		const char *input;
		int result;
		bool time_shares;
	} rows[] = {
	    {"pinned", SCHED_OK, false},        {"credit", SCHED_OK, true},
	    {"micro-dynamic", SCHED_OK, true},  {"pinned:2", SCHED_ERR_INVALID, true},
	    {"pinne", SCHED_ERR_INVALID, true},
	};
	struct sched_policy policy;
	char error[160];
	unsigned r;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		memset(&policy, 0, sizeof(policy));
		CHECK_EQ(sched_policy_parse(rows[r].input, &policy, error, sizeof(error)),
		         rows[r].result);
		if (rows[r].result != SCHED_OK) {
			CHECK(error[0] != '\0');
			continue;
		}
		CHECK_STR(policy.name, rows[r].input);
		CHECK_EQ(sched_policy_time_shares(&policy), rows[r].time_shares);
	}
	CHECK_EQ(sched_policy_parse("nope", &policy, error, sizeof(error)), SCHED_ERR_INVALID);
	CHECK_CONTAINS(error, "micro-dynamic, pinned)");
	CHECK(sched_policy_time_shares(NULL));
}

int main(void)
{
	TEST_RUN(test_pinned_placement);
	TEST_RUN(test_pinned_never_preempted);
	TEST_RUN(test_pinned_block_idle_wake);
	TEST_RUN(test_pinned_fifo_gets_released_pcpu);
	TEST_RUN(test_pinned_online_again_waits);
	TEST_RUN(test_pinned_yield_keeps_pcpu);
	TEST_RUN(test_pinned_two_vms);
	TEST_RUN(test_pinned_pool_pcpus);
	TEST_RUN(test_pinned_pool_beside_credit);
	TEST_RUN(test_pinned_random_operations);
	TEST_RUN(test_pinned_by_name);
	return test_summary("test_sched_pinned");
}
