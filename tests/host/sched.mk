# tests/host/sched.mk - host unit tests of the scheduler core (sched/).
#
# Each binary links every scheduler source (they call each other through
# the policy table) with the fake environment tests/host/sched_fake_env.c.
# The classifier is injected per VM, so sched/classify.c, symbols.c,
# rules.c and trace.c are not needed here (except by test_sched_profile).

SCHED_CORE_SOURCES := sched/core.c sched/credit.c sched/cpupool.c \
	sched/offload.c sched/adaptive.c sched/directed_yield.c sched/policy.c \
	sched/pinned.c sched/invariants.c sched/profile.c sched/control.c \
	sched/mechanisms.c sched/progress.c
SCHED_TEST_DEPS := $(SCHED_CORE_SOURCES) tests/host/sched_fake_env.c \
	tests/host/sched_fake_env.h tests/host/test.h sched/sched.h \
	sched/env.h sched/internal.h sched/trace.h sched/category.h \
	sched/format.h sched/profile.h

SCHED_TESTS := build/host/test_sched_credit build/host/test_sched_pool \
	build/host/test_sched_offload build/host/test_sched_adaptive \
	build/host/test_sched_policy build/host/test_sched_pinned \
	build/host/test_sched_invariants build/host/test_sched_wakeup \
	build/host/test_sched_control build/host/test_sched_mechanisms \
	build/host/test_sched_progress
HOST_TESTS += $(SCHED_TESTS)

$(SCHED_TESTS): build/host/%: tests/host/%.c $(SCHED_TEST_DEPS)
	$(HOST_LINK)

# The yield profiler: the scheduler plus the real classifier (its functions
# come from a small System.map).
HOST_TESTS += build/host/test_sched_profile
build/host/test_sched_profile: tests/host/test_sched_profile.c $(SCHED_TEST_DEPS) \
		sched/symbols.c sched/rules.c sched/classify.h sched/classify_internal.h
	$(HOST_LINK)
