#!/usr/bin/env bash
# tests/e2e/vmx-liveness.sh - every run ends with its report, whatever a
# guest does (docs/smp.md, "Liveness"). Each hostile testos mode runs next
# to a well-behaved 2-vCPU VM on a 2-CPU Bochs machine; the good VM must
# finish, the hostile one be contained or stopped with a clear cause, and
# HALT must come. Cases (default all; give names to run a subset):
#   pit        PIT reload 1: interrupts come at the minimum period, the
#              hostile VM itself finishes too
#   stihlt     STI; HLT with no interrupt source        -> dead
#   init-self  INIT to itself                           -> dead
#   init-all   INIT to all including self (2 vCPUs)     -> dead
#   ioapic-init  the PIT's IOAPIC pin delivered as INIT -> dead
#   park       APs in CLI; HLT, the BSP finishes        -> done, status 0
#   park-all   every vCPU in CLI; HLT                   -> dead
#   watchdog   a VM that never ends (hog) is stopped at watchdog_ms=
#   cpuids     1.1 M CPUIDs: the exit-rate guard leaves it alone
source "$(dirname "$0")/smp-lib.sh"
vmx_build
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=(pit stihlt init-self init-all ioapic-init park park-all watchdog cpuids)
smp_config good 2 "lock 300"
dead='VMSTOP name=evil cause="dead: every vCPU waits and nothing can wake it'
for c in "${cases[@]}"; do
	echo "== $c"
	args=()
	case "$c" in
	pit)        smp_config evil 1 "hostile-pit 200ms" ;;
	stihlt)     smp_config evil 1 "hostile-stihlt" ;;
	init-self)  smp_config evil 1 "hostile-init-self" ;;
	init-all)   smp_config evil 2 "hostile-init-all" ;;
	ioapic-init) smp_config evil 1 "hostile-ioapic-init" ;;
	park)       smp_config evil 2 "hostile-park" ;;
	park-all)   smp_config evil 2 "hostile-park-all" ;;
	watchdog)   smp_config evil 1 "hog 100000"; args=(-- --cmdline "watchdog_ms=1500") ;;
	cpuids)     vmx_config evil 16 "cpuid 1100000" ;;
	*) echo "unknown case $c"; exit 1 ;;
	esac
	vmx_boot 2 evil good "${args[@]}" | grep -E '^(VM|VMSTOP|VCPUSTUCK|RESULT|HALT|LIVENESS) '
	case "$c" in
	pit)
		vmx_expect '^RESULT vm=evil mode=hostile-pit reload=1 ' "pit: the hostile VM ran on"
		ms=$(vmx_field '^RESULT vm=evil mode=hostile-pit' ms)
		irqs=$(vmx_field '^RESULT vm=evil mode=hostile-pit' interrupts)
		# at most one interrupt per PLATFORM_PIT_MIN_PERIOD_US (100 us), +10 %
		if [[ "$irqs" =~ ^[0-9]+$ && "$ms" =~ ^[0-9]+$ ]] && [ "$irqs" -le $((ms * 11)) ]; then
			check_pass "pit: $irqs interrupts in $ms ms, not above the minimum period"
		else
			check_fail "pit: interrupts='$irqs' in ms='$ms'"
		fi
		vmx_expect '^VM name=evil state=done status=0 ' "pit: the hostile VM finished" ;;
	park)
		vmx_expect '^RESULT vm=evil mode=hostile-park parked=1' "park: the AP parked, the BSP went on"
		vmx_expect '^VM name=evil state=done status=0 ' "park: the VM finished normally" ;;
	watchdog)
		vmx_expect '^VMSTOP name=evil cause="watchdog: still running after watchdog_ms=1500"' "watchdog: the endless VM stopped"
		# The stopped VM explains itself first: its one vCPU was running or
		# queued in the hog's loop, nothing pending in its vLAPIC but timers.
		vmx_expect '^VCPUSTUCK vm=evil vcpu=0 state=(running|runnable) .*where=testos_' "watchdog: VCPUSTUCK names where the vCPU was"
		vmx_expect '^VCPUSTUCK vm=evil vcpu=0 .* isr=-1 ' "watchdog: VCPUSTUCK shows no interrupt in service" ;;
	cpuids)
		vmx_expect '^RESULT vm=evil workload=cpuid count=1100000 ' "cpuids: 1.1 M CPUIDs done"
		vmx_expect '^VM name=evil state=done status=0 ' "cpuids: not stopped as a flood" ;;
	*)
		vmx_expect "$dead" "$c: the hostile VM stopped as dead"
		vmx_expect '^VM name=evil state=stopped ' "$c: the hostile VM stopped" ;;
	esac
	vmx_expect '^VM name=good state=done status=0 ' "$c: the good VM finished"
	vmx_expect '^RESULT vm=good workload=lock .*consistent=1' "$c: the good VM's result"
	vmx_expect '^HALT reason=' "$c: the hypervisor halted with its report"
	cp "$VMX_LOG" "$VMX_WORK/liveness-$c.log"
	cp "$VMX_LOG" "$E2E_OUT/liveness-$c.log"
done
vmx_finish
