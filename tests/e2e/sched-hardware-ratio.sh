#!/usr/bin/env bash
# tests/e2e/sched-hardware-ratio.sh - the direction of the paper's effect at
# a hardware-like time ratio (issue 13): Bochs at 1 G instructions per
# virtual second, where a 100 µs micro slice is 100,000 instructions and
# an exit with its switch costs a few per cent of it, as on a 2.4 GHz
# Westmere (docs/benchmarks.md), instead of the 50 M of the other tests.
# shootdown-hog (two 4-vCPU VMs on 4 pCPUs) for 300 ms of shootdowns,
# under credit, micro-static:1 with sched_micro_queue_depth=1 (the paper's
# one queue slot; the default depth is 3 since sched-b45) and micro-static:1
# at queue depth 3 (docs/mechanisms.md; given explicitly, as the default):
#  - micro-static:1: the shootdown VM's mean latency and p99 are lower and
#    its throughput higher than under credit. Its gain varies widely with
#    the run (the one slot fails most offloads: make bench measured
#    3.3-19x credit's throughput over 5 perturbed runs, and one run of
#    this test 3.4x lower mean latency), so only the direction is asserted;
#  - with queue depth 3 the effect is large and stable (make bench:
#    161-183x credit's throughput, mean 0.16 vs 29.9 ms): mean latency
#    lower by more than 3x, p99 lower, throughput higher.
# Direction only; the figures with spreads come from `make bench`.
set -u
. "$(dirname "$0")/lib.sh"
[ "${E2E_BUILT:-}" = 1 ] || make -s -C "$here" kernel guests >/dev/null

work=$(mktemp -d /tmp/uslice-ratio.XXXXXX)
trap 'rm -rf "$work"' EXIT
sed 's/^extra = .*/extra = "shootdown 300ms"/' "$here/tests/scenarios/vms/shootdown.cfg" > "$work/shootdown.cfg"
run() { # NAME HYPERVISOR-OPTIONS
	e2e_boot "$1" --scenario shootdown-hog --ips 1000000000 --timeout 900 \
		--append "$2 run_until=shootdown" --module "$work/shootdown.cfg:shootdown.cfg"
	expect_status "$1" 0
	expect_line "$1" '^RESULT vm=shootdown workload=shootdown vcpus=4 .* consistent=1'
	expect_line "$1" '^RUN emulator=bochs .* ips=[0-9]{9,10} ' # 1 G (USLICE_IPS_PERMILLE may move it)
}
run ratio-credit sched=credit
run ratio-micro1 "sched=micro-static:1 sched_micro_queue_depth=1"
run ratio-depth3 "sched=micro-static:1 sched_micro_queue_depth=3"
expect_line ratio-micro1 '^SCHED policy=micro-static:1 .* offloads=[1-9]'
expect_line ratio-depth3 '^SCHEDCONFIG policy=micro-static:1 .* micro_queue_depth=3 '
expect_line ratio-depth3 '^SCHED policy=micro-static:1 .* offloads=[1-9]'

r='RESULT vm=shootdown'
lower() { # WHAT RUN KEY FACTOR: RUN's KEY * FACTOR < credit's
	local m c; m=$(line_value "$2" "$r" "$3"); c=$(line_value ratio-credit "$r" "$3")
	if [[ "$m" =~ ^[0-9]+$ && "$c" =~ ^[0-9]+$ ]] && [ $((m * $4)) -lt "$c" ]; then
		check_pass "$1: $2 $m vs credit $c"
	else
		check_fail "$1: $2 '${m:-}' vs credit '${c:-}'" "$2"
	fi
}
higher() { # WHAT RUN: RUN's ops/s > credit's
	local m c; m=$(line_value "$2" "$r" ops_per_s); c=$(line_value ratio-credit "$r" ops_per_s)
	if [[ "$m" =~ ^[0-9]+$ && "$c" =~ ^[0-9]+$ ]] && [ "$m" -gt "$c" ]; then
		check_pass "$1: $2 $m vs credit $c ops/s"
	else
		check_fail "$1: $2 '${m:-}' vs credit '${c:-}' ops/s" "$2"
	fi
}
lower "shootdown mean latency lower at 1 G ips" ratio-micro1 mean 1
lower "shootdown p99 lower at 1 G ips" ratio-micro1 p99 1
higher "shootdown throughput higher at 1 G ips" ratio-micro1
lower "queue depth 3: shootdown mean latency lower by more than 3x at 1 G ips" ratio-depth3 mean 3
lower "queue depth 3: shootdown p99 lower at 1 G ips" ratio-depth3 p99 1
higher "queue depth 3: shootdown throughput higher at 1 G ips" ratio-depth3
echo "BENCH ratio ips=1000000000 credit_ops_per_s=$(line_value ratio-credit "$r" ops_per_s)" \
     "micro_static_1_ops_per_s=$(line_value ratio-micro1 "$r" ops_per_s)" \
     "depth3_ops_per_s=$(line_value ratio-depth3 "$r" ops_per_s)" \
     "credit_mean=$(line_value ratio-credit "$r" mean) micro_static_1_mean=$(line_value ratio-micro1 "$r" mean)" \
     "depth3_mean=$(line_value ratio-depth3 "$r" mean)"
e2e_summary
