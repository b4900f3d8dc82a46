#!/usr/bin/env bash
# tests/bench/linux-io-mixed.sh - the paper's I/O experiment (section 3.3,
# Table 4c, Figure 9) on live Linux: tests/scenarios/linux-io-mixed, VM
# "linux" (2 vCPUs, Linux 6.1's e1000 driver on the assigned e1000, the
# `stream` workload: the sender thread on vCPU 1 sends one ICMP echo request
# per ms to vnet from pCPU 0, alone there, never waiting for a reply; vCPU 0,
# the mixed receiver - a SCHED_IDLE computing thread, the receiving thread
# and the NIC's IRQ - records send-to-recv() latencies) beside VM "hog"
# (1 vCPU, testos, pinned to pCPU 1, the receiver's). "solo": the Linux VM
# alone on 2 pCPUs. The baselines (credit, credit-short, directed-yield) run
# on 2 pCPUs with the receiver pinned to pCPU 1
# (vms/linux-stream-2pcpus.cfg); micro-static:1 on 3, the receiver pinned
# to 1-2 (pCPU 2, the highest, is the micro-sliced one). RUNS runs per case
# at ips = IPS * (1 - 2 % + 4 % * k / (RUNS - 1)) (the guest's clock is
# virtual time, so a different ips moves every event a little). One BENCH
# line per run, then a markdown table (median of the runs, [min-max]) in
# ms. Not part of `make test`.
# Usage: tests/bench/linux-io-mixed.sh [RUNS [SECONDS [IPS [CASES...]]]]
#   CASES: words "MODE:POLICY" (default: solo:credit co-run:credit
#   co-run:credit-short co-run:directed-yield co-run:micro-static:1).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-1}
seconds=${2:-0.3}
base_ips=${3:-50000000}
shift $(($# < 3 ? $# : 3))
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(solo:credit co-run:credit co-run:credit-short
	co-run:directed-yield co-run:micro-static:1)
spread_permille=20 # ips +- 2 %
make -s -C "$here" kernel guests >/dev/null || exit 1
eval "$("$here/guests/linux/build.sh" | tail -n 4)"
out=$(mktemp -d /tmp/uslice-lio.XXXXXX)
value() { grep -a "^$2 " "$1" | head -n1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n1; }
ms() { awk -v t="$1" 'BEGIN { if (t == "") print "-"; else printf "%.3f", t / 1000000 }'; }
for c in "${cases[@]}"; do
	mode=${c%%:*} policy=${c#*:}
	cpus=2 vm=linux-stream-2pcpus.cfg
	case "$policy" in micro-*) cpus=3 vm=linux-stream.cfg ;; esac
	for ((k = 0; k < runs; k++)); do
		step=$((runs > 1 ? 2 * spread_permille * k / (runs - 1) : spread_permille))
		ips=$((base_ips / 1000 * (1000 - spread_permille + step)))
		name="$mode-${policy//:/-}-$k"
		sed "s/uslice.seconds=[0-9.]*/uslice.seconds=$seconds/" \
			"$here/tests/scenarios/vms/$vm" > "$out/$name.cfg"
		if [ "$mode" = solo ]; then
			"$here/tools/uslice-run" --nic --cpus "$cpus" --ips "$ips" --timeout 900 \
				--cmdline "sched_trace=0 sched=$policy" \
				--module "$bzimage:bzImage" --module "$initramfs:initramfs.cpio" \
				--module "$system_map:System.map" --module "$out/$name.cfg:linux.cfg" \
				--workdir "$out/$name" > "$out/$name.log" 2>&1
		else
			"$here/tools/uslice-run" --scenario linux-io-mixed --cpus "$cpus" --ips "$ips" \
				--timeout 900 --append "sched=$policy" --module "$out/$name.cfg:linux.cfg" \
				--workdir "$out/$name" > "$out/$name.log" 2>&1
		fi
		log=$out/$name.log r="\\[linux\\] RESULT workload=stream"
		s="\\[linux\\] uslice-workload stream: irq=[0-9]*"
		t() { ms "$(value "$log" "$r" "$1")"; }
		echo "BENCH scenario=linux-io-mixed mode=$mode policy=$policy run=$k ips=$ips pcpus=$cpus" \
		     "sent=$(value "$log" "$r" ops) received=$(value "$log" "$r" received)" \
		     "p50_ms=$(t p50) p99_ms=$(t p99) p999_ms=$(t p999) max_ms=$(t max)" \
		     "mean_ms=$(t mean) jitter_ms=$(t jitter) slow=$(value "$log" "$s" slow)" \
		     "check=$(value "$log" "$r" check)" \
		     "to_preempted=$(value "$log" "PCIIRQ vm=linux" to_preempted)" \
		     "virqs_to_preempted=$(value "$log" SCHED virqs_to_preempted)" \
		     "offloads_virq=$(value "$log" SCHED offloads_virq)" \
		     "hog_run_us=$(value "$log" "SCHEDVM vm=hog" run_us)" \
		     "wall_s=$(value "$log" RUN wall_s)"
	done
done | tee "$out/bench.txt"
# The table: median [min-max] over the runs of each case.
awk -v columns="received p50_ms p99_ms p999_ms max_ms mean_ms jitter_ms slow to_preempted offloads_virq" \
	-v headings="received | p50 ms | p99 ms | p99.9 ms | max ms | mean ms | jitter (stddev) ms | slow (> 1 ms) | PCIIRQ to_preempted | offloads_virq" \
	-f "$here/tests/bench/cases-table.awk" "$out/bench.txt"
echo "logs: $out"
