#!/usr/bin/env bash
# tests/e2e/io-ping.sh - the assigned NIC's I/O path end to end under Bochs
# (e1000 in PCI slot 1, vnet back-end inside the emulator):
#  - a VM with pci = [...] whose DMA identity window cannot be placed (no
#    host memory left above its RAM) is refused with FILE:LINE;
#  - solo: a VM with pci = [ "00:02.0" ] (testos ping) gets its DMA
#    identity window, its INTx routed on the host IOAPIC, ARPs for vnet and
#    gets every echo reply; every physical interrupt became a vIRQ, was
#    injected (a delay sample) and unmasked again after the guest's EOI;
#  - co-run (tests/scenarios/io-mixed: the mixed ping vCPU and a hog on one
#    normal pCPU), the pings back to back (a reply is always in flight, so
#    every preemption of the ping vCPU catches one): under micro-static:1
#    (plus one micro-sliced pCPU) replies reach the ping vCPU while it is
#    preempted, SCHED counts virqs_to_preempted > 0 and offloads_virq > 0;
#    under credit (the same normal pCPU alone) they wait for its next
#    slice: fewer slow RTTs (over 1 ms) by more than 3x, a lower p99.9 and
#    a lower jitter under micro-static:1, p99 not worse. Not the maximum: a
#    request preempted just before its send waits a slice under any policy.
#    Direction only, with margins measured at ips 49/50/51 M (slow 3-4 vs
#    22-34); tests/bench/io-mixed.sh has the figures.
source "$(dirname "$0")/lib.sh"
vmx_build
started=$(date +%s)
# First a VM whose DMA window cannot be placed: 246 MiB of RAM in Bochs's
# 256 leave no 2 MiB above it. Refused with FILE:LINE; then VM nic runs.
vmx_config big 246 "cpuid 10"
echo 'pci = [ "00:02.0" ]' >> "$VMX_WORK/big.cfg"
vmx_config nic 16 "ping 50 1000us"
echo 'pci = [ "00:02.0" ]' >> "$VMX_WORK/nic.cfg"
vmx_boot 1 big nic -- --nic >/dev/null
vmx_expect '^VMCONFIG file=big\.cfg error="big\.cfg:7: no free host memory at or above 0x[0-9a-f]+ \(the end of guest RAM\) for the 2 MiB DMA identity window"' \
	"a DMA window that cannot be placed: the VM is refused with FILE:LINE"
grep -E '^(PCIIRQ|RESULT|HALT) ' "$VMX_LOG"
vmx_expect 'info: VM nic: DMA identity window 0x[0-9a-f]+-0x[0-9a-f]+ \(guest-physical == host-physical\)' "the VM gets a DMA identity window"
vmx_expect 'info: VM nic: PCI 00:02\.0 INTx line [0-9]+ -> GSI [0-9]+ \(level' "its INTx is routed level-triggered on the host IOAPIC"
result='^RESULT vm=nic workload=ping '
vmx_equal "$(vmx_field "$result" received)" 50 "every echo request got its reply"
irq='^PCIIRQ vm=nic '
physical=$(vmx_field "$irq" physical)
vmx_equal "$(vmx_field "$irq" virqs)" "$physical" "every physical interrupt became a vIRQ"
vmx_equal "$(vmx_field "$irq" unmasks)" "$physical" "every one was unmasked again after the guest's EOI"
vmx_equal "$(vmx_field "$irq" delays)" "$physical" "every one has a delay sample (injection of its vector)"
vmx_equal "$(vmx_field "$irq" parked)" 0 "none waited for an unusable guest pin"
vmx_at_least "$physical" 51 "ARP reply + 50 echo replies arrived as interrupts"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"

# The scenario's VM with back-to-back pings and short computation chunks
# (the bench uses the paper's 1 packet/ms, at which a 2-s run sees too few
# preemptions with a reply in flight for a test).
sed 's/^extra = .*/extra = "ping 12000 0us mixed hog=200"/' "$here/tests/scenarios/vms/ping-mixed.cfg" > "$VMX_WORK/ping.cfg"
co_run() { # NAME CPUS POLICY
	e2e_boot "$E2E_SCRIPT-$1" --scenario io-mixed --cpus "$2" --timeout 120 --append "sched=$3" \
		--module "$VMX_WORK/ping.cfg:ping.cfg"
	grep -aE '^(RESULT vm=ping|SCHED) ' "$E2E_OUT/$E2E_SCRIPT-$1.out" | cut -c1-400
}
co_run micro 2 micro-static:1
co_run credit 1 credit
m=$E2E_SCRIPT-micro c=$E2E_SCRIPT-credit
expect_value "$m" "RESULT vm=ping" received 12000
expect_value "$c" "RESULT vm=ping" received 12000
to_preempted=$(line_value "$m" SCHED virqs_to_preempted)
offloads=$(line_value "$m" SCHED offloads_virq)
if [ "${to_preempted:-0}" -gt 0 ] && [ "${offloads:-0}" -gt 0 ]; then
	check_pass "micro-static:1: vIRQs to the preempted ping vCPU ($to_preempted) offloaded it ($offloads)"
else
	check_fail "micro-static:1: virqs_to_preempted=${to_preempted:-?} offloads_virq=${offloads:-?}, expected both > 0" "$m"
fi
lower() { # WHAT KEY
	local a b; a=$(line_value "$m" "RESULT vm=ping" "$2"); b=$(line_value "$c" "RESULT vm=ping" "$2")
	if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]] && [ "$a" -lt "$b" ]; then
		check_pass "$1: micro-static:1 $a vs credit $b ticks"
	else
		check_fail "$1: micro-static:1 '${a:-}' vs credit '${b:-}'" "$m"
	fi
}
slow_m=$(line_value "$m" "RESULT vm=ping" slow); slow_c=$(line_value "$c" "RESULT vm=ping" slow)
if [[ "$slow_m" =~ ^[0-9]+$ && "$slow_c" =~ ^[0-9]+$ ]] && [ "$slow_c" -ge 10 ] &&
	[ $((slow_m * 3)) -lt "$slow_c" ]; then
	check_pass "slow RTTs (over 1 ms) fewer by more than 3x: micro-static:1 $slow_m vs credit $slow_c"
else
	check_fail "slow RTTs: micro-static:1 '${slow_m:-}' vs credit '${slow_c:-}' (expected credit >= 10 and 3x micro)" "$m"
fi
lower "RTT p99.9 lower" rtt_p999
# p99 does not separate here (a client sees one slow reply per preemption
# that catches one in flight: well under 1 % of the samples, docs/results.md);
# it must not get worse beyond one histogram bucket (12.5 %).
a=$(line_value "$m" "RESULT vm=ping" rtt_p99); b=$(line_value "$c" "RESULT vm=ping" rtt_p99)
if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]] && [ $((a * 8)) -le $((b * 9 + 8)) ]; then
	check_pass "RTT p99 not worse than one bucket: micro-static:1 $a vs credit $b ticks"
else
	check_fail "RTT p99: micro-static:1 '${a:-}' vs credit '${b:-}'" "$m"
fi
lower "jitter (RTT stddev) lower" jitter
echo "BENCH io-ping wall_s=$(( $(date +%s) - started ))"
vmx_finish
