#!/usr/bin/env bash
# tests/e2e/io-ping.sh - the assigned NIC's I/O path end to end under Bochs
# (e1000 in PCI slot 1, vnet back-end inside the emulator):
#  - solo: a VM with pci = [ "00:02.0" ] (testos ping) gets its DMA
#    identity window, its INTx routed on the host IOAPIC, ARPs for vnet and
#    gets every echo reply; every physical interrupt became a vIRQ, was
#    injected (a delay sample) and unmasked again after the guest's EOI;
#  - co-run (tests/scenarios/io-mixed: the mixed ping vCPU and a hog on one
#    normal pCPU): under micro-static:1 (plus one micro-sliced pCPU) replies
#    reach the ping vCPU while it is preempted, SCHED counts
#    virqs_to_preempted > 0 and offloads_virq > 0; under credit (the same
#    normal pCPU alone) they wait for its next slice: the RTT tail
#    (p99.9, max) is lower under micro-static:1 and p99 is not higher.
#    Direction only; tests/bench/io-mixed.sh has the figures.
source "$(dirname "$0")/lib.sh"
vmx_build
started=$(date +%s)
vmx_config nic 16 "ping 50 1000us"
echo 'pci = [ "00:02.0" ]' >> "$VMX_WORK/nic.cfg"
vmx_boot 1 nic -- --nic >/dev/null
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

co_run() { # NAME CPUS POLICY
	e2e_boot "$E2E_SCRIPT-$1" --scenario io-mixed --cpus "$2" --timeout 120 --append "sched=$3"
	grep -aE '^(RESULT vm=ping|SCHED) ' "$E2E_OUT/$E2E_SCRIPT-$1.out" | cut -c1-400
}
co_run micro 2 micro-static:1
co_run credit 1 credit
m=$E2E_SCRIPT-micro c=$E2E_SCRIPT-credit
expect_value "$m" "RESULT vm=ping" received 200
expect_value "$c" "RESULT vm=ping" received 200
to_preempted=$(line_value "$m" SCHED virqs_to_preempted)
offloads=$(line_value "$m" SCHED offloads_virq)
if [ "${to_preempted:-0}" -gt 0 ] && [ "${offloads:-0}" -gt 0 ]; then
	check_pass "micro-static:1: vIRQs to the preempted ping vCPU ($to_preempted) offloaded it ($offloads)"
else
	check_fail "micro-static:1: virqs_to_preempted=${to_preempted:-?} offloads_virq=${offloads:-?}, expected both > 0" "$m"
fi
lower() { # WHAT KEY STRICT
	local a b; a=$(line_value "$m" "RESULT vm=ping" "$2"); b=$(line_value "$c" "RESULT vm=ping" "$2")
	if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]] && { [ "$a" -lt "$b" ] || { [ "$3" = no ] && [ "$a" -le "$b" ]; }; }; then
		check_pass "$1: micro-static:1 $a vs credit $b ticks"
	else
		check_fail "$1: micro-static:1 '${a:-}' vs credit '${b:-}'" "$m"
	fi
}
lower "RTT max lower" rtt_max yes
lower "RTT p99.9 lower" rtt_p999 yes
lower "RTT p99 not higher" rtt_p99 no
lower "jitter (RTT stddev) lower" jitter yes
echo "BENCH io-ping wall_s=$(( $(date +%s) - started ))"
vmx_finish
