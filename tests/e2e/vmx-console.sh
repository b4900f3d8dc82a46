#!/usr/bin/env bash
# tests/e2e/vmx-console.sh - guest console and wake-up stress on a 2-CPU
# Bochs machine (docs/smp.md, "Liveness"):
#   print     a 2-vCPU VM whose vCPUs write 200 lines of 60 '#' each to the
#             UART at once: exactly 24,000 '#' arrive, none dropped; a
#             2-vCPU hog beside it gets at least 80 % of the ops it gets
#             next to a plain 2-vCPU hog; output is live: the log's drain
#             timer sent bytes during the run (LOGSTATS async_bytes) and a
#             line logged on an idle ring started out within 50 ms
#             (start_latency_max_us; kernel/log.c)
#   pingpong  2 vCPUs bounce a fixed IPI 5000 times, each waiting in
#             STI; HLT: every round trip counted, under credit and
#             credit-short
source "$(dirname "$0")/smp-lib.sh"
vmx_build
console_at_most() {
	if [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -le "$2" ]; then check_pass "$3 ($1 <= $2)"
	else check_fail "$3 ('$1' is not a number <= $2)"; fi
}
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=(print pingpong)
for c in "${cases[@]}"; do
	case "$c" in
	print)
		smp_config victim 2 "hog 300ms"
		smp_config evil 2 "hog 300ms"
		vmx_boot 2 evil victim | grep -E '^(VM|RESULT|LOGSTATS|HALT) '
		hog_ops=$(vmx_field '^RESULT vm=victim ' ops)
		hog_latency=$(vmx_field '^LOGSTATS ' start_latency_max_us)
		hog_async=$(vmx_field '^LOGSTATS ' async_bytes)
		console_at_most "${hog_latency:-999999}" 50000 "hog: a line on an idle log ring starts out within 50 ms"
		smp_config evil 2 "print 200"
		vmx_boot 2 evil victim | grep -E '^(VM|RESULT|LOGSTATS|HALT) '
		print_ops=$(vmx_field '^RESULT vm=victim ' ops)
		vmx_expect '^LOGSTATS .* dropped_lines=0 ' "print: no guest line dropped"
		console_at_most "$(vmx_field '^LOGSTATS ' start_latency_max_us)" 50000 "print: a line on an idle log ring starts out within 50 ms"
		# Live: the drain timer sent the printer's output while the VMs ran
		# (the line carries ~11.5 bytes per ms; the run lasts ~300 ms), beyond
		# what it sends in the hog run; what is left is flushed before HALT.
		print_async=$(vmx_field '^LOGSTATS ' async_bytes)
		echo "log bytes sent by the drain timer: hog run $hog_async, print run $print_async"
		vmx_at_least "$print_async" $(( ${hog_async:-999999} + 2000 )) "print: guest output went out during the run"
		chars=$(grep -a '^\[evil\] ' "$VMX_LOG" | sed 's/^\[evil\] //' | tr -cd '#' | wc -c)
		vmx_equal "$chars" 24000 "print: every '#' the vCPUs wrote arrived once"
		vmx_expect '^RESULT vm=evil mode=print vcpus=2 lines=200 length=60 chars=24000 ' "print: the printer finished"
		vmx_expect '^VM name=victim state=done status=0 ' "print: the victim finished"
		echo "victim ops: beside a hog $hog_ops, beside the printer $print_ops"
		vmx_at_least "$print_ops" $(( ${hog_ops:-0} * 8 / 10 )) "print: victim keeps 80 % of its ops beside a hog"
		vmx_expect '^HALT reason=done' "print: halted" ;;
	pingpong)
		for policy in credit credit-short; do
			smp_config pp 2 "pingpong 5000"
			vmx_boot 2 pp -- --cmdline "sched=$policy sched_trace=0" | grep -E '^(VM|RESULT|HALT) '
			vmx_expect '^RESULT vm=pp mode=pingpong rounds=5000 received0=5000 received1=5000 .*complete=1' "pingpong ($policy): all 5000 round trips"
			vmx_expect '^VM name=pp state=done status=0 ' "pingpong ($policy): the VM finished"
			vmx_expect '^HALT reason=done' "pingpong ($policy): halted"
		done ;;
	*) echo "unknown case $c"; exit 1 ;;
	esac
done
vmx_finish
