# tests/host/workloads.mk - host tests of the Linux guest's workloads and
# /init (guests/linux, docs/linux.md "Workloads"): test_workloads links the
# workload library (guests/linux/workloads/workload.c) for its parsers,
# histogram and RESULT line, and smoke-runs every workload of
# build/host/uslice-workload, built with the flags of guests/linux/
# initramfs.sh; test_linux_cmdline runs guests/linux/cmdline.sh under sh
# and busybox sh.

WORKLOAD_SOURCES := $(sort $(wildcard guests/linux/workloads/*.c))
WORKLOAD_HEADERS := $(wildcard guests/linux/workloads/*.h)
WORKLOAD_CFLAGS  := -std=gnu11 -static -O2 -pthread -Wall -Wextra -Werror
WORKLOAD_TESTS   := build/host/test_workloads build/host/test_linux_cmdline
HOST_TESTS += $(WORKLOAD_TESTS)

build/host/uslice-workload: $(WORKLOAD_SOURCES) $(WORKLOAD_HEADERS)
	@mkdir -p $(@D) && $(HOST_CC) $(WORKLOAD_CFLAGS) -o $@ $(WORKLOAD_SOURCES)

build/host/test_workloads: HOST_CFLAGS += -pthread -DWORKLOAD_BIN='"build/host/uslice-workload"'
build/host/test_workloads: tests/host/test_workloads.c guests/linux/workloads/workload.c \
		$(WORKLOAD_HEADERS) tests/host/test.h build/host/uslice-workload
	$(HOST_LINK)

build/host/test_linux_cmdline: tests/host/test_linux_cmdline.c guests/linux/cmdline.sh \
		guests/linux/init tests/host/test.h
	$(HOST_LINK)
