#!/usr/bin/env bash
# tests/bench/overcommit-policies.sh - run the co-run scenarios (shootdown
# + hog, lock + hog; 8 vCPUs on 4 pCPUs under Bochs) and the alone
# references under every scheduling policy, and print one BENCH line each.
# Bochs virtual time is deterministic: the figures are exact for a given
# image. Takes about 3 minutes. Not part of `make test`
# (tests/e2e/sched-overcommit.sh checks a subset). Usage:
#   tests/bench/overcommit-policies.sh [POLICY...]
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$here" kernel guests >/dev/null || exit 1
out=$(mktemp -d /tmp/uslice-bench.XXXXXX)
policies=("$@")
[ ${#policies[@]} -gt 0 ] || policies=(credit credit-short directed-yield micro-static:1 micro-static:2 micro-static:3 micro-dynamic)
value() { grep -a "^$2 " "$1" | head -n1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n1; }
report() { # LOG SCENARIO POLICY VM
	local log=$1
	echo "BENCH scenario=$2 policy=$3 vm=$4 ops_per_s=$(value "$log" "RESULT vm=$4" ops_per_s)" \
	     "p50=$(value "$log" "RESULT vm=$4" p50) p99=$(value "$log" "RESULT vm=$4" p99)" \
	     "p999=$(value "$log" "RESULT vm=$4" p999) max=$(value "$log" "RESULT vm=$4" max)" \
	     "hog_ops_per_s=$(value "$log" "RESULT vm=hog" ops_per_s)" \
	     "run_us=$(value "$log" "SCHEDVM vm=$4" run_us) micro_run_us=$(value "$log" "SCHEDVM vm=$4" micro_run_us)" \
	     "hog_run_us=$(value "$log" "SCHEDVM vm=hog" run_us)" \
	     "ple_yields=$(value "$log" SCHED ple_yields) ple_ipi_wait=$(value "$log" SCHED ple_ipi_wait)" \
	     "ple_lock_spin=$(value "$log" SCHED ple_lock_spin) offloads=$(value "$log" SCHED offloads)" \
	     "offload_failures=$(value "$log" SCHED offload_failures)" \
	     "directed_yields=$(value "$log" SCHED directed_yields) micro_pcpus_end=$(value "$log" SCHED micro_pcpus)" \
	     "env=bochs-2.7/corei7_haswell_4770/ips=50M/pcpus=4"
}
for w in shootdown lock; do
	"$here/tools/uslice-run" --scenario "$w-alone" --append sched=credit --workdir "$out/$w-alone" > "$out/$w-alone.log" 2>&1
	report "$out/$w-alone.log" "$w-alone" credit "$w"
	for p in "${policies[@]}"; do
		name="$w-hog-${p//:/-}"
		"$here/tools/uslice-run" --scenario "$w-hog" --append "sched=$p" --workdir "$out/$name" > "$out/$name.log" 2>&1
		report "$out/$name.log" "$w-hog" "$p" "$w"
	done
done
echo "logs: $out"
