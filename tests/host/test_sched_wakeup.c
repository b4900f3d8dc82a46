/*
 * tests/host/test_sched_wakeup.c - no lost wake-ups: the rule that orders
 * posting an event and blocking (vmx/schedule.c) holds under every
 * interleaving, for every policy.
 *
 * Two vCPUs of one VM on two pCPUs bounce a message, as an IPI+HLT
 * ping-pong does in a guest. The receiver halts the way the hypervisor's
 * loop blocks a vCPU: sched_vcpu_block(), then a re-check of its pending
 * events (waking itself if one is there), then sched_schedule() on its
 * pCPU makes it BLOCKED. The sender posts the message and notifies the way
 * vmx_schedule_notify() does: sched_vcpu_wake(), which reads the state
 * under the scheduler lock. The notification lands at each of the four
 * points of the receiver's halt, in a pseudo-random order over thousands
 * of rounds; after each round a message must never sit with a BLOCKED
 * receiver. One row models the old notifier (wake only a vCPU read as
 * BLOCKED, outside the lock) and must lose wake-ups: the checker is real.
 *
 * Lock order: single-threaded (fake environment).
 */
#include "sched/sched.h"
#include "tests/host/sched_fake_env.h"
#include "tests/host/test.h"

#define WAKEUP_ROUNDS 4000u

enum wakeup_point {
	POINT_BEFORE_BLOCK,    /* posted while the receiver still runs      */
	POINT_BEFORE_RECHECK,  /* between sched_vcpu_block and the re-check */
	POINT_BEFORE_SCHEDULE, /* after the re-check, before it is BLOCKED  */
	POINT_AFTER_SCHEDULE,  /* while it is BLOCKED                       */
	POINT_COUNT
};

enum wakeup_notifier {
	NOTIFY_LOCKED, /* sched_vcpu_wake() always: the scheduler decides */
	NOTIFY_OLD,    /* wake only if the state reads BLOCKED (unlocked) */
};

struct wakeup_ping {
	struct fake_machine machine;
	struct sched_vcpu *vcpu[2];
	bool pending[2]; /* a message waits for vCPU i */
};

static void wakeup_notify(struct wakeup_ping *ping, unsigned target, enum wakeup_notifier notifier)
{
	ping->pending[target] = true;
	struct sched_vcpu *v = ping->vcpu[target];
	if (notifier == NOTIFY_LOCKED || v->state == SCHED_VCPU_BLOCKED)
		sched_vcpu_wake(v);
}

/* Receiver `r` halts waiting for its message; the sender's notification
 * lands at `point`. Returns false if the wake-up was lost. */
static bool wakeup_round(struct wakeup_ping *ping, unsigned r, enum wakeup_point point,
                         enum wakeup_notifier notifier)
{
	struct sched_vcpu *receiver = ping->vcpu[r];
	unsigned pcpu = (unsigned)receiver->pcpu;
	if (point == POINT_BEFORE_BLOCK)
		wakeup_notify(ping, r, notifier);
	CHECK_EQ(sched_vcpu_block(receiver, 0x1000, true), SCHED_OK);
	if (point == POINT_BEFORE_RECHECK)
		wakeup_notify(ping, r, notifier);
	if (ping->pending[r]) /* the loop's re-check of pending events */
		sched_vcpu_wake(receiver);
	if (point == POINT_BEFORE_SCHEDULE)
		wakeup_notify(ping, r, notifier);
	fake_schedule(&ping->machine, pcpu);
	if (point == POINT_AFTER_SCHEDULE)
		wakeup_notify(ping, r, notifier);
	fake_machine_settle(&ping->machine);
	if (receiver->state == SCHED_VCPU_BLOCKED && ping->pending[r])
		return false;
	/* It runs (or will): it takes the message. */
	ping->pending[r] = false;
	fake_machine_run_until(&ping->machine, fake_now + 1000);
	return true;
}

static unsigned wakeup_lost(const char *policy, enum wakeup_notifier notifier)
{
	static struct sched_system sys;
	struct wakeup_ping ping = {.pending = {false, false}};
	unsigned lost = 0;
	uint64_t random = 0x9e3779b97f4a7c15ull;
	fake_env_reset();
	CHECK_EQ(fake_system_init(&sys, policy, NULL, 2), 0);
	struct sched_vm *vm = fake_vm(&sys, "ping", 2, 256, 0, NULL, NULL);
	ping.vcpu[0] = &vm->vcpus[0];
	ping.vcpu[1] = &vm->vcpus[1];
	fake_machine_start(&ping.machine, &sys);
	for (unsigned round = 0; round < WAKEUP_ROUNDS; round++) {
		random ^= random << 13;
		random ^= random >> 7;
		random ^= random << 17;
		unsigned r = round & 1;
		if (ping.vcpu[r]->state != SCHED_VCPU_RUNNING) {
			/* A lost receiver: wake it by hand and go on counting. */
			sched_vcpu_wake(ping.vcpu[r]);
			fake_machine_run_until(&ping.machine, fake_now + 1000);
			ping.pending[r] = false;
			if (ping.vcpu[r]->state != SCHED_VCPU_RUNNING)
				continue;
		}
		if (!wakeup_round(&ping, r, (enum wakeup_point)(random % POINT_COUNT), notifier))
			lost++;
	}
	return lost;
}

static void test_no_lost_wakeups(void)
{
	static const struct {
		const char *policy;
		enum wakeup_notifier notifier;
		bool loses;
	} rows[] = {
	    {"credit", NOTIFY_LOCKED, false},
	    {"credit-short", NOTIFY_LOCKED, false},
	    {"directed-yield", NOTIFY_LOCKED, false},
	    {"micro-static:1", NOTIFY_LOCKED, false},
	    {"micro-dynamic", NOTIFY_LOCKED, false},
	    {"pinned", NOTIFY_LOCKED, false},
	    {"credit", NOTIFY_OLD, true},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned lost = wakeup_lost(rows[i].policy, rows[i].notifier);
		if ((lost > 0) != rows[i].loses)
			fprintf(stderr, "row %zu (%s, %s notifier): %u of %u wake-ups lost\n", i,
			        rows[i].policy, rows[i].notifier == NOTIFY_OLD ? "old" : "locked",
			        lost, WAKEUP_ROUNDS);
		CHECK_EQ(lost > 0, rows[i].loses);
	}
}

int main(void)
{
	TEST_RUN(test_no_lost_wakeups);
	return test_summary("test_sched_wakeup");
}
