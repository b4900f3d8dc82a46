#!/usr/bin/env bash
# tests/e2e/sched-cap.sh - Xen's credit cap (docs/scheduler.md, "Cap"):
# `xl sched-credit -d hog -c 50` (from the console script, 10 ms after the
# start) holds a 2-vCPU CPU hog on 2 otherwise idle pCPUs to 50 % of one
# pCPU: its SCHEDVM run_us over the run (run_ms=2000) is 50 % of one pCPU
# within 5 %. Without the cap it would take both pCPUs (200 %).
source "$(dirname "$0")/smp-lib.sh"
vmx_build
smp_config hog 2 "hog 100000ms"
vmx_boot 2 hog -- --cmdline 'sched_check=1 sched_trace=0 run_ms=2000 console_dump_ms=10 console_script="xl sched-credit -d hog -c 50"' |
	grep -E '^(XL sched-credit|SCHED |SCHEDVM|HALT) ' | head -4
run_us=$(vmx_field '^SCHEDVM vm=hog ' run_us)
run_ms=$(vmx_field '^SCHED ' run_ms)
share=$(awk -v r="${run_us:-0}" -v t="${run_ms:-0}" 'BEGIN { if (t == 0) print 0; else printf "%.1f", r / (t * 10) }')
echo "BENCH cap vm=hog cap=50 run_us=$run_us run_ms=$run_ms share_pct=$share"
vmx_expect '^XL sched-credit vm=hog id=0 pool=Pool-0 weight=256 cap=50' "the console set the cap"
if awk -v s="$share" 'BEGIN { exit !(s >= 47.5 && s <= 52.5) }'; then
	check_pass "the capped hog got $share % of one pCPU (50 within 5 %)"
else
	check_fail "the capped hog got $share % of one pCPU, not 50 within 5 %"
fi
vmx_expect '^HALT reason=done' "halted"
vmx_finish
