#!/usr/bin/env bash
# tests/e2e/io-ping.sh - the assigned NIC's I/O path end to end under Bochs
# (e1000 in PCI slot 1, vnet back-end inside the emulator):
#  - a VM with pci = [...] whose DMA identity window cannot be placed (no
#    host memory left above its RAM) is refused with FILE:LINE, and so is
#    a VM whose cpus = pin names a pCPU the machine does not have;
#  - solo: a VM with pci = [ "00:02.0" ] (testos ping) gets its DMA
#    identity window, its INTx routed on the host IOAPIC, ARPs for vnet and
#    gets every echo reply; every physical interrupt became a vIRQ, was
#    injected (a delay sample) and unmasked again after the guest's EOI;
#  - co-run (tests/scenarios/io-mixed: an open-loop stream, testos
#    `stream`: the ping VM's vCPU 1 sends one echo request per ms alone on
#    pCPU 0, its mixed vCPU 0 computes and takes the replies on pCPU 1,
#    which it shares with the hog): about half the replies arrive while
#    the receiver is preempted. Under micro-static:1 without borrowing
#    (sched_micro_borrow=0: by default the idle micro pCPU would run the
#    queued receiver itself, and no vIRQ would find it preempted; 3 pCPUs:
#    pCPU 2 is the micro-sliced one, the receiver's pin 1-2 lets an offload
#    reach it) SCHED counts virqs_to_preempted > 0 and offloads_virq > 0; under
#    credit (2 pCPUs, the same pCPU 1 sharing, the receiver pinned to 1)
#    those replies wait for the receiver's next slice: a lower RTT p99
#    under micro-static:1 (the issue's assertion, by more than 10x), fewer
#    slow RTTs (over 1 ms, by more than 10x) and a lower jitter. Direction
#    only; margins measured at ips x0.99/x1/x1.015 (USLICE_IPS_PERMILLE):
#    see the comment at the checks; tests/bench/io-mixed.sh has the figures.
source "$(dirname "$0")/lib.sh"
vmx_build
started=$(date +%s)
# First a VM whose DMA window cannot be placed: 246 MiB of RAM in Bochs's
# 256 leave no 2 MiB above it. Refused with FILE:LINE; then VM nic runs.
vmx_config big 246 "cpuid 10"
echo 'pci = [ "00:02.0" ]' >> "$VMX_WORK/big.cfg"
vmx_config nic 16 "ping 50 1000us"
echo 'pci = [ "00:02.0" ]' >> "$VMX_WORK/nic.cfg"
vmx_config pin 4 "cpuid 10"
echo 'cpus = "0,3"' >> "$VMX_WORK/pin.cfg"
vmx_boot 1 big nic pin -- --nic >/dev/null
vmx_expect '^VMCONFIG file=big\.cfg error="big\.cfg:7: no free host memory at or above 0x[0-9a-f]+ \(the end of guest RAM\) for the 2 MiB DMA identity window"' \
	"a DMA window that cannot be placed: the VM is refused with FILE:LINE"
vmx_expect '^VMCONFIG file=pin\.cfg error="pin\.cfg:7: cpus: vCPU 0: pCPU 3 does not exist \(the machine has 1\)"' \
	"a cpus = pin to a pCPU the machine does not have: the VM is refused with FILE:LINE"
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

# The scenario's stream (1,000 echo requests, one per ms).
co_run() { # NAME CPUS POLICY [MODULE]
	local module=()
	[ -n "${4:-}" ] && module=(--module "$here/tests/scenarios/vms/$4:ping.cfg")
	e2e_boot "$E2E_SCRIPT-$1" --scenario io-mixed --cpus "$2" --timeout 120 --append "sched=$3" \
		"${module[@]}"
	grep -aE '^(RESULT vm=ping|SCHED) ' "$E2E_OUT/$E2E_SCRIPT-$1.out" | cut -c1-400
}
co_run micro 3 "micro-static:1 sched_micro_borrow=0"
co_run credit 2 credit ping-mixed-2pcpus.cfg
m=$E2E_SCRIPT-micro c=$E2E_SCRIPT-credit
expect_value "$m" "RESULT vm=ping" received 1000
expect_value "$c" "RESULT vm=ping" received 1000
to_preempted=$(line_value "$m" SCHED virqs_to_preempted)
offloads=$(line_value "$m" SCHED offloads_virq)
if [ "${to_preempted:-0}" -gt 0 ] && [ "${offloads:-0}" -gt 0 ]; then
	check_pass "micro-static:1: vIRQs to the preempted receiver ($to_preempted) offloaded it ($offloads)"
else
	check_fail "micro-static:1: virqs_to_preempted=${to_preempted:-?} offloads_virq=${offloads:-?}, expected both > 0" "$m"
fi
# Measured at ips x0.99 / x1 / x1.015 (49.5 / 50 / 50.75 M), micro-static:1
# vs credit: p99 9195 / 9175 / 9215 vs 1491565 / 1508360 / 1529930 ticks
# (162-166x: half the replies wait a 30 ms slice under credit), slow 0 vs
# 479 / 481 / 479, jitter 923 / 934 / 933 vs 482687 / 489665 / 494764
# (520-530x); virqs_to_preempted = offloads_virq = 581 / 551 / 581. A
# factor of 10 on each is far inside them: no single event decides it.
factor=10
lower() { # WHAT KEY: micro-static:1 * factor < credit
	local a b; a=$(line_value "$m" "RESULT vm=ping" "$2"); b=$(line_value "$c" "RESULT vm=ping" "$2")
	if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]] && [ $((a * factor)) -lt "$b" ]; then
		check_pass "$1 lower by more than ${factor}x: micro-static:1 $a vs credit $b"
	else
		check_fail "$1: micro-static:1 '${a:-}' vs credit '${b:-}' (expected ${factor}x lower)" "$m"
	fi
}
lower "RTT p99 (ticks)" rtt_p99
lower "slow RTTs (over 1 ms)" slow
lower "jitter (RTT stddev, ticks)" jitter
echo "BENCH io-ping wall_s=$(( $(date +%s) - started ))"
vmx_finish
