/*
 * tests/host/test_sched_invariants.c - sched_check_invariants(): a healthy
 * system passes under every policy; each row of the table corrupts one
 * piece of state on purpose and the checker must name the broken invariant
 * and where. Also params.check_invariants: the core checks at the end of a
 * public call and reports to sched_env_panic().
 *
 * The fake env's per-release check is switched off here (fake_lock.check =
 * NULL) after the set-up, since the state is corrupted deliberately.
 *
 * Lock order: single-threaded.
 */
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define MS SCHED_NS_PER_MS

static struct sched_system sys;
static struct fake_machine machine;

/* Set-up shared by the rows: 3 pCPUs, VM 0 with 4 vCPUs (so some are
 * queued), VM 1 with 1 vCPU blocked, after 50 ms of running. */
static int setup(const char *policy)
{
	struct sched_vm *a, *b;

	if (fake_system_init(&sys, policy, NULL, 3) != 0)
		return -1;
	a = fake_vm(&sys, "a", 4, 0, 0, NULL, NULL);
	b = fake_vm(&sys, "b", 1, 0, 0, NULL, NULL);
	if (!a || !b)
		return -1;
	fake_machine_start(&machine, &sys);
	fake_machine_run_until(&machine, 50 * MS);
	if (b->vcpus[0].state == SCHED_VCPU_RUNNING) {
		sched_vcpu_block(&b->vcpus[0], 0, true);
		fake_schedule(&machine, (unsigned)b->vcpus[0].pcpu);
	} else {
		/* Not running: make it blocked the legal way. */
		sched_vcpu_offline(&b->vcpus[0]);
	}
	fake_machine_settle(&machine);
	fake_lock.check = NULL;
	return 0;
}

static struct sched_vcpu *find_state(enum sched_vcpu_state state)
{
	unsigned v, i;

	for (v = 0; v < SCHED_MAX_VMS; v++)
		for (i = 0; sys.vms[v].in_use && i < sys.vms[v].vcpu_count; i++)
			if (sys.vms[v].vcpus[i].state == state)
				return &sys.vms[v].vcpus[i];
	return NULL;
}

static struct sched_vcpu *queued(void)
{
	struct sched_vcpu *vcpu = find_state(SCHED_VCPU_RUNNABLE);

	return vcpu && vcpu->pcpu >= 0 ? vcpu : NULL;
}

/* ---- corruptions (return false if the set-up lacks what they need) ---- */

static bool corrupt_runq_length(void)
{
	sys.pcpus[0].runq_length++;
	return true;
}

/* A queued vCPU claims another state. */
static bool set_queued_state(enum sched_vcpu_state state)
{
	struct sched_vcpu *vcpu = queued();

	if (!vcpu)
		return false;
	vcpu->state = state;
	return true;
}

static bool corrupt_queued_blocked(void)
{
	return set_queued_state(SCHED_VCPU_BLOCKED);
}

static bool corrupt_runnable_unlinked(void)
{
	struct sched_vcpu *vcpu = queued();

	if (!vcpu)
		return false;
	/* Unlinked by hand, runq_length kept right. */
	vcpu->runq_node.prev->next = vcpu->runq_node.next;
	vcpu->runq_node.next->prev = vcpu->runq_node.prev;
	vcpu->runq_node.next = &vcpu->runq_node;
	vcpu->runq_node.prev = &vcpu->runq_node;
	sys.pcpus[vcpu->pcpu].runq_length--;
	return true;
}

static bool corrupt_running_not_current(void)
{
	struct sched_vcpu *vcpu = find_state(SCHED_VCPU_RUNNING);

	if (!vcpu)
		return false;
	sys.pcpus[vcpu->pcpu].current = NULL;
	return true;
}

static bool corrupt_current_blocked(void)
{
	struct sched_vcpu *vcpu = find_state(SCHED_VCPU_RUNNING);

	if (!vcpu)
		return false;
	vcpu->state = SCHED_VCPU_BLOCKED;
	return true;
}

static bool corrupt_pcpu_pool(void)
{
	sys.pcpus[1].pool = SCHED_NO_POOL;
	return true;
}

static bool corrupt_mask(void)
{
	sys.pools[0].pcpu_mask &= ~(1ull << 2);
	return true;
}

static bool corrupt_master(void)
{
	sys.pools[0].master = 1;
	return true;
}

static bool corrupt_pcpu_count(void)
{
	sys.pools[0].pcpu_count = 2;
	return true;
}

static bool corrupt_vm_count(void)
{
	sys.pools[0].vm_count = 3;
	return true;
}

static bool corrupt_offloaded(void)
{
	return set_queued_state(SCHED_VCPU_OFFLOADED);
}

static bool corrupt_busy_mask(void)
{
	sys.busy_mask ^= 1;
	return true;
}

static bool corrupt_free_slots(void)
{
	sys.pools[0].free_slots |= 1;
	return true;
}

static bool corrupt_state_value(void)
{
	struct sched_vcpu *vcpu = find_state(SCHED_VCPU_BLOCKED);

	if (!vcpu)
		vcpu = find_state(SCHED_VCPU_OFFLINE);
	if (!vcpu)
		return false;
	vcpu->state = (enum sched_vcpu_state)SCHED_VCPU_STATE_COUNT;
	return true;
}

static bool corrupt_link(void)
{
	struct sched_vcpu *vcpu = queued();

	if (!vcpu)
		return false;
	vcpu->runq_node.prev = &vcpu->runq_node;
	return true;
}

static bool corrupt_queued_elsewhere(void)
{
	struct sched_vcpu *vcpu = queued();

	if (!vcpu)
		return false;
	vcpu->pcpu = (vcpu->pcpu + 1) % 3;
	return true;
}

/* Pinned: pCPU 1's owner pointer (first word of its policy data) is
 * cleared while its vCPU still believes it owns it. */
static bool corrupt_pinned_owner(void)
{
	memset(sys.pcpus[1].policy_data, 0, sizeof(void *));
	return true;
}

/* Pinned: pCPU 2 claims the vCPU pCPU 0 owns (a vCPU on two pCPUs). */
static bool corrupt_pinned_double(void)
{
	memcpy(sys.pcpus[2].policy_data, sys.pcpus[0].policy_data, sizeof(void *));
	return true;
}

static void test_invariants_catch_corruption(void)
{
	static const struct {
		const char *policy;
		bool (*corrupt)(void);
		const char *expected;
		const char *where;
	} rows[] = {
	    {"credit", corrupt_runq_length, "runq_length is the length", "pcpu 0"},
	    {"credit", corrupt_queued_blocked, "BLOCKED or OFFLINE vCPU is on no runqueue",
	     "(blocked)"},
	    {"credit", corrupt_runnable_unlinked, "RUNNABLE vCPU is on exactly one runqueue",
	     "vcpu"},
	    {"credit", corrupt_running_not_current, "RUNNING vCPU is its pCPU's current",
	     "(running)"},
	    {"credit", corrupt_current_blocked, "current vCPU is RUNNING there", "pcpu"},
	    {"credit", corrupt_pcpu_pool, "names that pool", "pcpu 1"},
	    {"credit", corrupt_mask, "has it in its pcpu_mask", "pcpu 2"},
	    {"credit", corrupt_master, "master is its lowest pCPU", "pool 0"},
	    {"credit", corrupt_pcpu_count, "pcpu_count is the number", "pool 0"},
	    {"credit", corrupt_vm_count, "vm_count is the number", "pool 0"},
	    {"credit", corrupt_offloaded, "OFFLOADED vCPU is on a runqueue", "(offloaded)"},
	    {"credit", corrupt_busy_mask, "busy_mask is the set", "pcpu 0"},
	    {"credit", corrupt_free_slots, "free_slots is the set", "pool 0"},
	    {"credit", corrupt_state_value, "state is valid", "(invalid)"},
	    {"credit", corrupt_link, "well-linked", "pcpu"},
	    {"credit", corrupt_queued_elsewhere, "pcpu is the pCPU of its runqueue", "vcpu"},
	    {"micro-static:1", corrupt_runq_length, "runq_length is the length", "pcpu 0"},
	    {"pinned", corrupt_pinned_owner, "pinned: a vCPU owns a pCPU of its pool that names it",
	     "vm 0 vcpu 1"},
	    {"pinned", corrupt_pinned_double, "pinned: a pCPU's vCPU is of its pool and owns it",
	     "pcpu 2"},
	    {"pinned", corrupt_runq_length, "runq_length", "pcpu 0"},
	};
	char error[256];
	unsigned r;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		test_current_name = rows[r].expected;
		CHECK(setup(rows[r].policy) == 0);
		CHECK_EQ(sched_check_invariants(&sys, error, sizeof(error)), 0);
		if (!rows[r].corrupt()) {
			TEST_FAIL_("%s: set-up lacks the state to corrupt", rows[r].policy);
			continue;
		}
		CHECK_EQ(sched_check_invariants(&sys, error, sizeof(error)), -1);
		CHECK_CONTAINS(error, rows[r].expected);
		CHECK_CONTAINS(error, rows[r].where);
	}
}

/* Every policy's healthy state passes, also after pool changes. */
static void test_invariants_hold(void)
{
	static const char *const policies[] = {
	    "credit", "credit-short", "directed-yield", "micro-static:1", "micro-dynamic", "pinned",
	};
	char error[256];
	unsigned i;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		test_current_name = policies[i];
		CHECK(setup(policies[i]) == 0);
		CHECK_EQ(sched_check_invariants(&sys, error, sizeof(error)), 0);
		if (error[0])
			TEST_FAIL_("%s", error);
		/* A zero-sized buffer is fine. */
		CHECK_EQ(sched_check_invariants(&sys, NULL, 0), 0);
	}
}

/* params.check_invariants: the core reports through sched_env_panic(). */
static void test_invariants_core_flag(void)
{
	static const struct {
		bool enabled;
		unsigned panics;
	} rows[] = {{false, 0}, {true, 1}};
	struct sched_params params;
	struct sched_counters counters;
	unsigned r;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		sched_params_default(&params);
		params.check_invariants = rows[r].enabled;
		CHECK(fake_system_init(&sys, "credit", &params, 2) == 0);
		CHECK(fake_vm(&sys, "a", 3, 0, 0, NULL, NULL) != NULL);
		fake_machine_start(&machine, &sys);
		CHECK_EQ(fake_panic_count, 0);
		fake_lock.check = NULL;
		fake_panic_record = true;
		sys.pools[0].master = 1;
		sched_counters_read(&sys, &counters);
		CHECK_EQ(fake_panic_count, rows[r].panics);
		if (rows[r].panics)
			CHECK_CONTAINS(fake_panic_message, "master");
		CHECK_EQ(fake_lock.errors, 0);
	}
}

int main(void)
{
	TEST_RUN(test_invariants_hold);
	TEST_RUN(test_invariants_catch_corruption);
	TEST_RUN(test_invariants_core_flag);
	return test_summary("test_sched_invariants");
}
