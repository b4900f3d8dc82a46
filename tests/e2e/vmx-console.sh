#!/usr/bin/env bash
# tests/e2e/vmx-console.sh - guest console and wake-up stress on a 2-CPU
# Bochs machine (docs/smp.md, "Liveness"):
#   print     a 2-vCPU VM whose vCPUs write 200 lines of 60 '#' each to the
#             UART at once: exactly 24,000 '#' arrive; a 2-vCPU hog beside
#             it gets its ops figure, printed beside the one it gets next
#             to a plain 2-vCPU hog
#   pingpong  2 vCPUs bounce a fixed IPI 5000 times, each waiting in
#             STI; HLT: every round trip counted, under credit and
#             credit-short
source "$(dirname "$0")/smp-lib.sh"
vmx_build
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=(print pingpong)
for c in "${cases[@]}"; do
	case "$c" in
	print)
		smp_config victim 2 "hog 300ms"
		smp_config evil 2 "hog 300ms"
		vmx_boot 2 evil victim | grep -E '^(VM|RESULT|HALT) '
		hog_ops=$(vmx_field '^RESULT vm=victim ' ops)
		smp_config evil 2 "print 200"
		vmx_boot 2 evil victim | grep -E '^(VM|RESULT|HALT) '
		print_ops=$(vmx_field '^RESULT vm=victim ' ops)
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
