#!/usr/bin/env bash
# tests/e2e/sched-fairness.sh - credit weights hold in the hypervisor: two
# CPU-bound VMs with weights 512 and 256 on one pCPU for 3 s of virtual time
# (scenario tests/scenarios/fairness) get CPU time 2:1 within 5 %.
set -u
. "$(dirname "$0")/lib.sh"
[ "${E2E_BUILT:-}" = 1 ] || make -s -C "$here" kernel guests >/dev/null
e2e_boot fairness --scenario fairness
expect_status fairness 0
expect_line fairness '^SCHEDCONFIG policy=credit pcpus=1 '
expect_line fairness '^VMSTOP name=heavy cause="time-limit: run_ms=3000 reached"'
heavy=$(line_value fairness "SCHEDVM vm=heavy" run_us)
light=$(line_value fairness "SCHEDVM vm=light" run_us)
ratio=$(awk -v h="${heavy:-0}" -v l="${light:-0}" 'BEGIN { if (l == 0) print "0"; else printf "%.3f", h / l }')
echo "BENCH fairness heavy_run_us=$heavy light_run_us=$light ratio=$ratio expected=2.000"
if awk -v r="$ratio" 'BEGIN { exit !(r >= 1.9 && r <= 2.1) }'; then
	check_pass "fairness: CPU time ratio $ratio is 2 within 5 %"
else
	check_fail "fairness: CPU time ratio $ratio is not 2 within 5 %" fairness
fi
e2e_summary
