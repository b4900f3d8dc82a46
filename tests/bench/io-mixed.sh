#!/usr/bin/env bash
# tests/bench/io-mixed.sh - the paper's I/O experiment (section 3.3, Table
# 4c, Figure 9) on tests/scenarios/io-mixed: VM "ping" (1 vCPU: ICMP echo
# over the assigned e1000 at 1 packet/ms, computation between packets)
# alone, then co-run with a 1-vCPU hog on one normal pCPU under each
# policy. The baselines (credit, credit-short, directed-yield) run on that
# one pCPU (--cpus 1); micro-static:1 and micro-dynamic get one more pCPU
# for the micro-sliced pool (--cpus 2). RUNS perturbed runs per case: run
# k uses ips = IPS * (1 + 0.002 k). One BENCH line per run, then a markdown
# table (median of the runs, [min-max] in brackets) in milliseconds.
# Not part of `make test` (tests/e2e/io-mixed.sh checks the direction).
# Usage: tests/bench/io-mixed.sh [RUNS [PINGS [IPS]]]
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-3}
pings=${2:-1000}
base_ips=${3:-500000000}
make -s -C "$here" kernel guests >/dev/null || exit 1
out=$(mktemp -d /tmp/uslice-io.XXXXXX)
sed "s/^extra = .*/extra = \"ping $pings 1000us mixed\"/" "$here/tests/scenarios/vms/ping-mixed.cfg" > "$out/ping.cfg"
value() { grep -a "^$2 " "$1" | head -n1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n1; }
ms() { awk -v t="$1" -v k="$2" 'BEGIN { if (t == "" || k == "" || k == 0) print "-"; else printf "%.3f", t / k }'; }
cases=("solo credit 1" "co-run credit 1" "co-run credit-short 1" "co-run directed-yield 1"
       "co-run micro-static:1 2" "co-run micro-dynamic 2")
for c in "${cases[@]}"; do
	set -- $c
	mode=$1 policy=$2 cpus=$3
	for ((k = 0; k < runs; k++)); do
		ips=$((base_ips + base_ips / 500 * k))
		name="$mode-${policy//:/-}-$k"
		modules=(--module "$out/ping.cfg:ping.cfg")
		[ "$mode" = solo ] && extra=(--cmdline "sched_trace=0 sched=$policy") || extra=(--append "sched=$policy")
		if [ "$mode" = solo ]; then
			"$here/tools/uslice-run" --nic --cpus 1 --ips "$ips" --timeout 600 "${extra[@]}" \
				--module "$here/build/guests/testos/testos.elf:testos.elf" \
				--module "$here/build/guests/testos/System.map:testos.map" "${modules[@]}" \
				--workdir "$out/$name" > "$out/$name.log" 2>&1
		else
			"$here/tools/uslice-run" --scenario io-mixed --cpus "$cpus" --ips "$ips" --timeout 600 \
				"${extra[@]}" "${modules[@]}" --workdir "$out/$name" > "$out/$name.log" 2>&1
		fi
		log=$out/$name.log r="RESULT vm=ping"
		khz=$(value "$log" "$r" tsc_khz)
		echo "BENCH scenario=io-mixed mode=$mode policy=$policy run=$k ips=$ips pcpus=$cpus" \
		     "sent=$(value "$log" "$r" sent) received=$(value "$log" "$r" received)" \
		     "rtt_p50_ms=$(ms "$(value "$log" "$r" rtt_p50)" "$khz") rtt_p99_ms=$(ms "$(value "$log" "$r" rtt_p99)" "$khz")" \
		     "rtt_p999_ms=$(ms "$(value "$log" "$r" rtt_p999)" "$khz") rtt_max_ms=$(ms "$(value "$log" "$r" rtt_max)" "$khz")" \
		     "jitter_ms=$(ms "$(value "$log" "$r" jitter)" "$khz") rfc3550_ms=$(ms "$(value "$log" "$r" jitter_rfc3550)" "$khz")" \
		     "virqs=$(value "$log" SCHED virqs) virqs_to_preempted=$(value "$log" SCHED virqs_to_preempted)" \
		     "offloads_virq=$(value "$log" SCHED offloads_virq)" \
		     "to_preempted=$(value "$log" PCIIRQ to_preempted) irq_delay_p99=$(value "$log" PCIIRQ delay_p99)" \
		     "hog_run_us=$(value "$log" "SCHEDVM vm=hog" run_us) ping_run_us=$(value "$log" "SCHEDVM vm=ping" run_us)"
	done
done | tee "$out/bench.txt"
# The table: median [min-max] over the runs of each case.
awk '
function field(line, key,   n, i, kv) { n = split(line, kv, " "); for (i = 1; i <= n; i++) if (index(kv[i], key "=") == 1) return substr(kv[i], length(key) + 2); return "-" }
function summary(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n ? sprintf("%s [%s-%s]", a[int((n + 1) / 2)], a[1], a[n]) : "-" }
/^BENCH/ { key = field($0, "mode") " " field($0, "policy"); if (!(key in seen)) { order[++count] = key; seen[key] = 1 }
	for (m = 1; m <= 7; m++) { name = (m == 1 ? "rtt_p50_ms" : m == 2 ? "rtt_p99_ms" : m == 3 ? "rtt_p999_ms" : m == 4 ? "rtt_max_ms" : m == 5 ? "jitter_ms" : m == 6 ? "rfc3550_ms" : "offloads_virq"); v[key, m] = v[key, m] " " field($0, name) } }
END { print "| case | policy | RTT p50 ms | RTT p99 ms | RTT p99.9 ms | RTT max ms | jitter (RTT stddev) ms | RFC 3550 jitter ms | offloads_virq |"
	print "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	for (i = 1; i <= count; i++) { split(order[i], kp, " "); line = "| " kp[1] " | " kp[2]; for (m = 1; m <= 7; m++) line = line " | " summary(v[order[i], m]); print line " |" } }' "$out/bench.txt"
echo "logs: $out"
