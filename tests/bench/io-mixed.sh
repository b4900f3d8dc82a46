#!/usr/bin/env bash
# tests/bench/io-mixed.sh - the paper's I/O experiment (section 3.3, Table
# 4c, Figure 9) on tests/scenarios/io-mixed with an open-loop stream: VM
# "ping" (2 vCPUs, the e1000 assigned, testos `stream`): vCPU 1 sends one
# ICMP echo request per INTERVAL to vnet from pCPU 0, alone there, never
# waiting for a reply; vCPU 0, the mixed receiver (computation, never HLT),
# takes the replies on pCPU 1 and records send-to-handler latencies. "solo":
# the ping VM alone on 2 pCPUs (pCPU 1 its receiver's own). "co-run": VM
# "hog" (1 vCPU) pinned to pCPU 1 too. The baselines (credit, credit-short,
# directed-yield) run on 2 pCPUs with the receiver pinned to pCPU 1
# (vms/ping-mixed-2pcpus.cfg); micro-static:1 and micro-dynamic on 3, the
# receiver pinned to 1-2 (pCPU 2, the highest, is the micro-sliced one
# under micro-static:1; micro-dynamic starts with no micro pCPU and may
# give it to the receiver as a normal one). RUNS perturbed runs per case:
# run k of R uses ips = IPS * (1 - 2 % + 4 % * k / (R - 1)) and starts the
# stream k / R of an interval later (testos `at=`). One BENCH line per
# run, then a markdown table (median of the runs, [min-max]) in ms of
# virtual time (TSC ticks / ips: Bochs advances the TSC one tick per
# instruction). Not part of `make test` (tests/e2e/io-ping.sh checks the
# direction). Usage: tests/bench/io-mixed.sh [RUNS [PACKETS [IPS [INTERVAL_US]]]]
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-3}
packets=${2:-1000}
base_ips=${3:-500000000}
interval_us=${4:-1000}
spread_permille=20 # ips +- 2 %
make -s -C "$here" kernel guests >/dev/null || exit 1
out=$(mktemp -d /tmp/uslice-io.XXXXXX)
value() { grep -a "^$2 " "$1" | head -n1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n1; }
ms() { awk -v t="$1" -v ips="$2" 'BEGIN { if (t == "") print "-"; else printf "%.3f", t * 1000 / ips }'; }
cases=("solo credit 2" "co-run credit 2" "co-run credit-short 2" "co-run directed-yield 2"
       "co-run micro-static:1 3" "co-run micro-dynamic 3")
for c in "${cases[@]}"; do
	set -- $c
	mode=$1 policy=$2 cpus=$3
	for ((k = 0; k < runs; k++)); do
		step=$((runs > 1 ? 2 * spread_permille * k / (runs - 1) : spread_permille))
		ips=$((base_ips / 1000 * (1000 - spread_permille + step)))
		offset=$((interval_us * k / runs))
		name="$mode-${policy//:/-}-$k"
		vm=ping-mixed.cfg
		[ "$cpus" = 2 ] && vm=ping-mixed-2pcpus.cfg
		sed "s/^extra = .*/extra = \"stream $packets ${interval_us}us at=$offset\"/" \
			"$here/tests/scenarios/vms/$vm" > "$out/$name.cfg"
		if [ "$mode" = solo ]; then
			"$here/tools/uslice-run" --nic --cpus "$cpus" --ips "$ips" --timeout 900 \
				--cmdline "sched_trace=0 sched=$policy" \
				--module "$here/build/guests/testos/testos.elf:testos.elf" \
				--module "$here/build/guests/testos/System.map:testos.map" \
				--module "$out/$name.cfg:ping.cfg" --workdir "$out/$name" > "$out/$name.log" 2>&1
		else
			"$here/tools/uslice-run" --scenario io-mixed --cpus "$cpus" --ips "$ips" --timeout 900 \
				--append "sched=$policy" --module "$out/$name.cfg:ping.cfg" \
				--workdir "$out/$name" > "$out/$name.log" 2>&1
		fi
		log=$out/$name.log r="RESULT vm=ping"
		t() { ms "$(value "$log" "$r" "$1")" "$ips"; }
		echo "BENCH scenario=io-mixed mode=$mode policy=$policy run=$k ips=$ips at_us=$offset pcpus=$cpus" \
		     "sent=$(value "$log" "$r" sent) received=$(value "$log" "$r" received)" \
		     "rtt_p50_ms=$(t rtt_p50) rtt_p99_ms=$(t rtt_p99) rtt_p999_ms=$(t rtt_p999)" \
		     "rtt_max_ms=$(t rtt_max) rtt_mean_ms=$(t rtt_mean) jitter_ms=$(t jitter)" \
		     "rfc3550_ms=$(t jitter_rfc3550) slow=$(value "$log" "$r" slow)" \
		     "virqs=$(value "$log" SCHED virqs) virqs_to_preempted=$(value "$log" SCHED virqs_to_preempted)" \
		     "offloads_virq=$(value "$log" SCHED offloads_virq) micro_pcpus=$(value "$log" SCHED micro_pcpus)" \
		     "hog_run_us=$(value "$log" "SCHEDVM vm=hog" run_us) ping_run_us=$(value "$log" "SCHEDVM vm=ping" run_us)" \
		     "wall_s=$(value "$log" RUN wall_s)"
	done
done | tee "$out/bench.txt"
# The table: median [min-max] over the runs of each case.
awk -v columns="received rtt_p50_ms rtt_p99_ms rtt_p999_ms rtt_max_ms rtt_mean_ms jitter_ms rfc3550_ms slow virqs_to_preempted offloads_virq" \
	-v headings="received | p50 ms | p99 ms | p99.9 ms | max ms | mean ms | jitter (stddev) ms | RFC 3550 jitter ms | slow (> 1 ms) | virqs_to_preempted | offloads_virq" \
	-f "$here/tests/bench/cases-table.awk" "$out/bench.txt"
echo "logs: $out"
