# tests/host/bench.mk - host test of the benchmark matrix's run set-up
# (tools/bench/runs.py): the VM configurations a run writes, the perturbed
# matrix and the wall-clock limits. Run by `make test-host` like the C tests.

HOST_TESTS += build/host/test_bench_runs

# A wrapper so that tools/run-host-tests can run the Python test like a binary.
build/host/test_bench_runs: tests/host/test_bench_runs.py tools/bench/runs.py
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec python3 "%s/tests/host/test_bench_runs.py" "$$@"\n' \
		"$(CURDIR)" > $@
	@chmod +x $@
