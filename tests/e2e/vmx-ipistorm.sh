#!/usr/bin/env bash
# tests/e2e/vmx-ipistorm.sh - an IPI storm does not starve its co-runner
# (docs/smp.md, "IPI storm"). On a 2-CPU Bochs machine a well-behaved
# 2-vCPU VM (victim: `hog` for a fixed virtual time) runs twice: beside a
# 2-vCPU VM whose vCPUs send all-but-self IPIs in a loop
# (`hostile-ipistorm`), and beside a same-shaped plain hog. Bochs virtual
# time is deterministic, so the figures are exact from run to run. The
# victim must get at least STORM_SHARE_PERCENT of its ops and CPU time
# (SCHEDVM run_us) beside the storm that it gets beside the hog; the
# storm's IPIs to running siblings are counted as kicks (SCHED
# notify_kicks).
source "$(dirname "$0")/smp-lib.sh"
STORM_SHARE_PERCENT=80
DURATION=1500ms
vmx_build
smp_config victim 2 "hog $DURATION"
for corunner in storm hog; do
	case $corunner in
	storm) smp_config evil 2 "hostile-ipistorm $DURATION" ;;
	hog)   smp_config evil 2 "hog $DURATION" ;;
	esac
	VMX_LOG=$VMX_WORK/$corunner.log
	echo "== beside $corunner"
	vmx_boot 2 evil victim | grep -E '^(VM|RESULT|SCHED|SCHEDVM|HALT) '
	cp "$VMX_LOG" "$E2E_OUT/ipistorm-$corunner.log"
	vmx_expect '^VM name=victim state=done status=0 ' "beside $corunner: the victim finished"
	vmx_expect '^VM name=evil state=done status=0 ' "beside $corunner: the co-runner finished"
	vmx_expect '^RESULT vm=victim workload=hog vcpus=2 .*consistent=1' "beside $corunner: the victim's result"
	vmx_expect '^HALT reason=done' "beside $corunner: the hypervisor halted cleanly"
	eval "${corunner}_ops=\$(vmx_field '^RESULT vm=victim ' ops)"
	eval "${corunner}_run_us=\$(vmx_field '^SCHEDVM vm=victim ' run_us)"
done
VMX_LOG=$VMX_WORK/storm.log
vmx_expect '^RESULT vm=evil mode=hostile-ipistorm vcpus=2 ipis=[1-9]' "the storm sent IPIs"
vmx_expect '^SCHEDMECH notify_kicks=[1-9]' "the storm's IPIs to running siblings kicked their pCPUs"
echo "BENCH ipistorm victim_ops_storm=$storm_ops victim_ops_hog=$hog_ops" \
     "victim_run_us_storm=$storm_run_us victim_run_us_hog=$hog_run_us"
vmx_at_least "$storm_ops" $((${hog_ops:-0} * STORM_SHARE_PERCENT / 100)) \
	"victim ops beside the storm >= ${STORM_SHARE_PERCENT}% of beside a hog ($hog_ops)"
vmx_at_least "$storm_run_us" $((${hog_run_us:-0} * STORM_SHARE_PERCENT / 100)) \
	"victim run_us beside the storm >= ${STORM_SHARE_PERCENT}% of beside a hog ($hog_run_us)"
vmx_finish
