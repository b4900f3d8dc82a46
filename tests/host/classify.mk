# tests/host/classify.mk - classifier and trace host tests, the uslice-trace
# tool test, and the libFuzzer targets of the map and rules parsers.
#
#   make test-host     runs build/host/test_classify, test_classify_fixtures,
#                      test_trace and test_uslice_trace with the other tests
#   make fuzz-smoke    each fuzzer for FUZZ_SMOKE_RUNS inputs or 10 s (CI)
#   make fuzz          each fuzzer for FUZZ_RUNS inputs (default 1,000,000)
#   make bench-classify  lookup cost on the Linux 6.1 map (needs valgrind)

CLASSIFY_SOURCES := sched/symbols.c sched/rules.c
CLASSIFY_HEADERS := sched/classify.h sched/classify_internal.h \
                    sched/category.h sched/format.h sched/env.h sched/trace.h

HOST_TESTS += build/host/test_classify build/host/test_classify_fixtures \
              build/host/test_trace build/host/test_uslice_trace

build/host/test_classify: tests/host/test_classify.c $(CLASSIFY_SOURCES) \
		$(CLASSIFY_HEADERS) tests/host/test.h
	$(HOST_LINK)

build/host/test_classify_fixtures: tests/host/test_classify_fixtures.c \
		$(CLASSIFY_SOURCES) $(CLASSIFY_HEADERS) tests/host/test.h \
		tests/fixtures/linux-6.1/System.map \
		tests/fixtures/linux-4.4/System.map
	$(HOST_LINK)

build/host/test_trace: tests/host/test_trace.c sched/trace.c sched/trace.h \
		sched/format.h tests/host/test.h
	$(HOST_LINK)

# A wrapper so that tools/run-host-tests can run the Python test like a binary.
build/host/test_uslice_trace: tests/host/test_uslice_trace.py tools/uslice-trace
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec python3 "%s/tests/host/test_uslice_trace.py" "$$@"\n' \
		"$(CURDIR)" > $@
	@chmod +x $@

# ---- fuzzing (clang + libFuzzer; not part of test-host) ------------------
FUZZ_CC          ?= clang
FUZZ_CFLAGS      := -std=gnu11 -g -O1 -Wall -Wextra -Werror -I. \
                    -fsanitize=fuzzer,address,undefined \
                    -fno-sanitize-recover=all
FUZZ_SMOKE_RUNS  ?= 20000
FUZZ_SMOKE_TIME  ?= 10
FUZZ_RUNS        ?= 1000000
FUZZ_TARGETS     := build/fuzz/fuzz_system_map build/fuzz/fuzz_rules

build/fuzz/fuzz_system_map: tests/fuzz/fuzz_system_map.c $(CLASSIFY_SOURCES) \
		$(CLASSIFY_HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

build/fuzz/fuzz_rules: tests/fuzz/fuzz_rules.c $(CLASSIFY_SOURCES) \
		$(CLASSIFY_HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

# $(call fuzz_run,NAME,LIBFUZZER-LIMITS): new inputs go to build/fuzz/corpus-NAME,
# the checked-in seeds in tests/fuzz/seeds/NAME are only read; the log is
# build/fuzz/NAME.log and a crashing input build/fuzz/NAME-crash-*.
define fuzz_run
	@mkdir -p build/fuzz/corpus-$(1)
	@echo "fuzz_$(1): $(2)"
	@build/fuzz/fuzz_$(1) $(2) -print_final_stats=1 -dict=tests/fuzz/$(1).dict \
		-artifact_prefix=build/fuzz/$(1)- \
		build/fuzz/corpus-$(1) tests/fuzz/seeds/$(1) \
		> build/fuzz/$(1).log 2>&1; status=$$?; \
	grep -E 'Done [0-9]+ runs|stat::number_of_executed_units|ERROR|SUMMARY' \
		build/fuzz/$(1).log; \
	if [ $$status -ne 0 ]; then tail -n 40 build/fuzz/$(1).log; \
		echo "fuzz_$(1): FAILED (see build/fuzz/$(1).log)"; exit 1; fi; \
	echo "fuzz_$(1): no finding"
endef

.PHONY: fuzz-smoke fuzz bench-classify
fuzz-smoke: $(FUZZ_TARGETS)
	$(call fuzz_run,system_map,-runs=$(FUZZ_SMOKE_RUNS) -max_total_time=$(FUZZ_SMOKE_TIME))
	$(call fuzz_run,rules,-runs=$(FUZZ_SMOKE_RUNS) -max_total_time=$(FUZZ_SMOKE_TIME))

fuzz: $(FUZZ_TARGETS)
	$(call fuzz_run,system_map,-runs=$(FUZZ_RUNS))
	$(call fuzz_run,rules,-runs=$(FUZZ_RUNS))

# Lookup cost: instructions per sched_classifier_lookup() under callgrind.
build/bench_classify: tests/host/bench_classify.c $(CLASSIFY_SOURCES) \
		$(CLASSIFY_HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -o $@ $(filter %.c,$^)

# (1,000,000 lookups per run: inclusive cost / 1e6 = instructions per lookup.)
BENCH_CLASSIFY_RUNS := tests/fixtures/linux-6.1/System.map --synthetic=33000

bench-classify: build/bench_classify
	@for run in $(BENCH_CLASSIFY_RUNS); do \
		args=$$(echo "$$run" | tr '=' ' '); \
		build/bench_classify $$args || exit 1; \
		if command -v valgrind >/dev/null; then \
			valgrind --tool=callgrind \
				--callgrind-out-file=build/callgrind.bench \
				build/bench_classify $$args >/dev/null 2>&1 || exit 1; \
			callgrind_annotate --inclusive=yes build/callgrind.bench | \
				awk -v what="$$args" '/sched_classifier_lookup \[/ { \
					gsub(",", "", $$1); \
					printf "  callgrind: %.0f instructions per lookup (%s)\n", \
						$$1 / 1000000, what; exit }'; \
		fi; \
	done
