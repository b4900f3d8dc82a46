#!/usr/bin/env bash
# tests/e2e/smp-workloads.sh - testos's lock (spinlock sections) and
# shootdown (remap, IPI all siblings, wait for every acknowledgement)
# workloads on 2 and 4 vCPUs, each VM alone on a 4-CPU Bochs machine
# under the default scheduler: they finish, report throughput and p50/p99
# latencies, and their own consistency check holds (the lock counter equals
# the sections; every shootdown was acknowledged by every sibling).
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
vmx_finish
