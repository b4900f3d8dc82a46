#!/usr/bin/env bash
# tests/e2e/smp-workloads.sh - testos's lock (spinlock sections) and
# shootdown (remap, IPI all siblings, wait for every acknowledgement)
# workloads on 2 and 4 vCPUs, each VM alone on a 4-CPU Bochs machine
# under the default scheduler: they finish, report throughput and p50/p99
# latencies, and their own consistency check holds (the lock counter equals
# the sections; every shootdown was acknowledged by every sibling). Then
# a windowed run (warmup=, the benchmark's form): ops before the window are
# warm-up, kept out of ops but in the consistency check, and the window
# opens no earlier than the warm-up after the mode's start.
source "$(dirname "$0")/smp-lib.sh"
vmx_build
for vcpus in 2 4; do
	smp_run 4 "lock$vcpus" "$vcpus" "lock 1000"
	smp_expect_vm "lock$vcpus" "$vcpus"
	vmx_expect "^RESULT vm=lock$vcpus workload=lock vcpus=$vcpus gap=100 ops=$((1000 * vcpus)) ticks=[0-9]+ ops_per_s=[0-9]+ mean=[0-9]+ p50=[0-9]+ p99=[0-9]+ p999=[0-9]+ max=[0-9]+ unit=tsc_ticks tsc_khz=[0-9]+ check=$((1000 * vcpus)) consistent=1" \
		"lock on $vcpus vCPUs: $((1000 * vcpus)) sections, percentiles, consistent"
	smp_run 4 "shoot$vcpus" "$vcpus" "shootdown 100"
	smp_expect_vm "shoot$vcpus" "$vcpus"
	vmx_expect "^RESULT vm=shoot$vcpus workload=shootdown vcpus=$vcpus gap=3000 ops=$((100 * vcpus)) ticks=[0-9]+ ops_per_s=[0-9]+ mean=[0-9]+ p50=[0-9]+ p99=[0-9]+ p999=[0-9]+ max=[0-9]+ unit=tsc_ticks tsc_khz=[0-9]+ check=$((100 * vcpus * (vcpus - 1))) consistent=1" \
		"shootdown on $vcpus vCPUs: $((100 * vcpus)) shootdowns, each acknowledged by all siblings"
done
smp_run 4 lockwarm 4 "lock 10ms warmup=5ms"
smp_expect_vm lockwarm 4
vmx_expect "^RESULT vm=lockwarm workload=lock vcpus=4 .* consistent=1 warmup=[1-9][0-9]* warmup_ops=[1-9][0-9]* startup=[0-9]+" \
	"windowed lock: warm-up ops counted apart, consistent"
khz=$(vmx_field "^RESULT vm=lockwarm " tsc_khz)
warmup=$(vmx_field "^RESULT vm=lockwarm " warmup)
vmx_equal "$warmup" "$((5 * ${khz:-0}))" "warmup=5ms is 5 ms of TSC ticks"
vmx_at_least "$(vmx_field "^RESULT vm=lockwarm " startup)" "${warmup:-1}" "the window opens after the warm-up"
vmx_at_least "$(vmx_field "^RESULT vm=lockwarm " ticks)" "$((10 * ${khz:-0}))" "the measured window lasts the 10 ms duration"
vmx_finish
