# tests/host/schedsim.mk - the scheduler simulator and its host test.
#
# build/schedsim is the optimised simulator binary run by tools/schedsim:
# every tools/sim/*.c plus every sched/*.c (the real scheduler and
# classifier), no sanitizers, so that `--scenario all` stays fast.
# build/host/test_schedsim links the same sources (minus the command line)
# with the sanitizers of HOST_CFLAGS and checks the simulator end to end.

SCHEDSIM_SOURCES := $(sort $(wildcard tools/sim/*.c) $(wildcard sched/*.c))
SCHEDSIM_HEADERS := $(wildcard tools/sim/*.h) $(wildcard sched/*.h)
SCHEDSIM_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I.

build/schedsim: $(SCHEDSIM_SOURCES) $(SCHEDSIM_HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(SCHEDSIM_CFLAGS) -o $@ $(SCHEDSIM_SOURCES) -lm

HOST_TESTS += build/host/test_schedsim
build/host/test_schedsim: tests/host/test_schedsim.c \
		$(filter-out tools/sim/main.c,$(SCHEDSIM_SOURCES)) \
		$(SCHEDSIM_HEADERS)
	$(HOST_LINK)
