#!/usr/bin/env bash
# tests/e2e/cpupools.sh - cpupools at boot and at run time (docs/scheduler.md,
# "Cpupools"; docs/console.md), 4 pCPUs, sched_check=1 (every scheduler
# call checks its invariants):
#   boot     pools.cfg makes "fast" (pCPU 1, credit, tslice_ms = 30) and
#            "short" (pCPUs 2-3, credit-short); VM a runs in fast, b in
#            short; both finish, `xl cpupool-list -c` shows both pools
#   runtime  a console script moves pCPU 3 from short to fast, migrates b
#            to fast, and tries what must be refused (destroying a pool
#            with VMs, a pin outside the vCPU's pool, taking pCPU 0 out of
#            Pool-0, a pool's last pCPU): both VMs still finish
#   numa     the seed README's sequence on Bochs `cpu: count=2:6:1` (two
#            packages of 6): numa_split = yes makes Pool-node1 (pCPUs
#            6-11, micro-dynamic with its hidden micro-sliced child), two
#            6-vCPU VMs (shootdowns and a hog) run there; the
#            `xl cpupool-list -c` dump shows Pool-0 0-5, Pool-node1 6-11
#            and Pool-node1-micro, and Algorithm 1 (sched_controller=0: the
#            seed's controller, no longer the default; its epoch_ms = 100
#            from pools.cfg) resized the child
#   refused  a pools.cfg naming Pool-0 stops the run with SCHEDREFUSED and
#            the file:line
source "$(dirname "$0")/smp-lib.sh"
vmx_build
pool_vm() { # NAME POOL VCPUS EXTRA
	smp_config "$1" "$3" "$4"
	echo "pool = \"$2\"" >> "$VMX_WORK/$1.cfg"
}
cat > "$VMX_WORK/pools.cfg" <<'CFG'
# two pools beside Pool-0 (pCPU 0)
pool = "fast"
cpus = "1"
sched = "credit"
tslice_ms = 30
pool = "short"
cpus = "2-3"
sched = "credit-short"
CFG
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=(boot runtime numa refused)
for c in "${cases[@]}"; do
	case "$c" in
	boot)
		pool_vm a fast 2 "hog 300ms"
		pool_vm b short 2 "hog 300ms"
		vmx_boot 4 pools a b -- --cmdline 'sched_check=1 sched_trace=0 console_dump_ms=100 console_script="xl cpupool-list -c"' |
			grep -E '^(CPUPOOL|VM|HALT) '
		vmx_expect '^CPUPOOL name=fast id=1 policy=credit pcpus=1 slice_us=30000 ' "boot: pool fast: pCPU 1, credit, 30 ms slice"
		vmx_expect '^CPUPOOL name=short id=2 policy=credit-short pcpus=2-3 slice_us=100 ' "boot: pool short: pCPUs 2-3, credit-short"
		vmx_expect '^CPUPOOL name=Pool-0 id=0 policy=credit pcpus=0 ' "boot: Pool-0 keeps pCPU 0"
		vmx_expect '^XL cpupool name=fast policy=credit micro=no pcpus=1 vms=1' "boot: xl cpupool-list -c shows fast with VM a"
		vmx_expect '^XL cpupool name=short policy=credit-short micro=no pcpus=2,3 vms=1' "boot: xl cpupool-list -c shows short with VM b"
		vmx_expect '^SCHEDPCPU pcpu=0 pool=0 busy_us=0 ' "boot: nothing ran on Pool-0's pCPU"
		vmx_expect '^SCHEDPCPU pcpu=1 pool=1 busy_us=[1-9]' "boot: pCPU 1 ran fast's VM"
		vmx_expect '^SCHEDPCPU pcpu=3 pool=2 busy_us=[1-9]' "boot: pCPU 3 ran short's VM"
		vmx_expect '^VM name=a state=done status=0 ' "boot: VM a finished"
		vmx_expect '^VM name=b state=done status=0 ' "boot: VM b finished"
		vmx_expect '^HALT reason=done' "boot: halted" ;;
	runtime)
		pool_vm a fast 2 "hog 400ms"
		pool_vm b short 2 "hog 400ms"
		script="xl cpupool-cpu-remove short 3; xl cpupool-cpu-add fast 3; xl cpupool-cpu-remove short 2"
		script="$script; xl cpupool-migrate b fast; xl cpupool-destroy fast; xl vcpu-pin a 0 2"
		script="$script; xl cpupool-cpu-remove Pool-0 0; xl cpupool-list -c"
		vmx_boot 4 pools a b -- --cmdline "sched_check=1 sched_trace=0 console_dump_ms=100 console_script=\"$script\"" |
			grep -E '^(XL (ok|error)|VM|HALT) ' | head -20
		vmx_expect '^XL ok command="xl cpupool-cpu-remove short 3"' "runtime: pCPU 3 left short"
		vmx_expect '^XL ok command="xl cpupool-cpu-add fast 3"' "runtime: pCPU 3 joined fast"
		vmx_expect '^XL error command="xl cpupool-cpu-remove short 2" reason="pCPU 2 is the last of short, which has 1 VMs"' "runtime: a pool with a VM keeps its last pCPU"
		vmx_expect '^XL ok command="xl cpupool-migrate b fast"' "runtime: VM b migrated to fast"
		vmx_expect '^XL error command="xl cpupool-destroy fast" reason="fast has 2 VMs' "runtime: a pool with VMs is not destroyed"
		vmx_expect '^XL error command="xl vcpu-pin a 0 2" reason="the pin is outside the vCPU.s cpupool fast \(pCPUs 1,3\)"' "runtime: a pin outside the pool is refused"
		vmx_expect '^XL error command="xl cpupool-cpu-remove Pool-0 0" reason="pCPU 0 stays in Pool-0"' "runtime: pCPU 0 stays"
		vmx_expect '^XL cpupool name=fast policy=credit micro=no pcpus=1,3 vms=2' "runtime: fast has pCPUs 1,3 and both VMs"
		vmx_expect '^XL cpupool name=short policy=credit-short micro=no pcpus=2 vms=0' "runtime: short kept pCPU 2"
		vmx_expect '^SCHEDPCPU pcpu=3 pool=1 ' "runtime: pCPU 3 ends in fast"
		vmx_expect '^VM name=a state=done status=0 ' "runtime: VM a finished"
		vmx_expect '^VM name=b state=done status=0 ' "runtime: VM b finished"
		vmx_expect '^HALT reason=done' "runtime: halted" ;;
	numa)
		printf 'numa_split = yes\npool = "Pool-node1"\nsched = "micro-dynamic"\nepoch_ms = 100\n' > "$VMX_WORK/numa.cfg"
		pool_vm avm1 Pool-node1 6 "shootdown 400ms"
		pool_vm avm2 Pool-node1 6 "hog 400ms"
		vmx_boot 2:6:1 avm1 avm2 -- --module "$VMX_WORK/numa.cfg:pools.cfg" \
			--cmdline 'sched_check=1 sched_trace=0 sched_controller=0 console_dump_ms=200 console_script="xl cpupool-list -c"' |
			grep -E '^(BOOT|CPUPOOL|VM|HALT) ' | cut -c1-150
		vmx_expect '^BOOT .*cpus_online=12 ' "numa: 12 CPUs in 2 packages"
		vmx_expect '^CPUPOOL name=Pool-node1 id=1 policy=micro-dynamic pcpus=6-11 ' "numa: package 1 is Pool-node1 (micro-dynamic)"
		vmx_expect '^CPUPOOL name=Pool-0 id=0 policy=credit pcpus=0-5 ' "numa: Pool-0 keeps package 0"
		vmx_expect '^XL cpupool name=Pool-node1 policy=micro-dynamic micro=no pcpus=[0-9,]+ vms=2' "numa: both VMs in Pool-node1"
		vmx_expect '^XL cpupool name=Pool-node1-micro policy=micro-dynamic micro=yes ' "numa: the hidden micro-sliced child exists"
		vmx_expect '^SCHEDPCPU pcpu=3 pool=0 busy_us=0 ' "numa: nothing ran on package 0"
		vmx_at_least "$(vmx_field '^SCHED ' pool_resizes)" 1 "numa: Algorithm 1 resized Pool-node1-micro"
		vmx_expect '^VM name=avm1 state=done status=0 ' "numa: avm1 finished"
		vmx_expect '^VM name=avm2 state=done status=0 ' "numa: avm2 finished"
		vmx_expect '^HALT reason=done' "numa: halted" ;;
	refused)
		printf 'pool = "fast"\ncpus = "1"\npool = "Pool-0"\n' > "$VMX_WORK/bad.cfg"
		smp_config a 1 "hog 10ms"
		vmx_boot 2 a -- --module "$VMX_WORK/bad.cfg:pools.cfg" --cmdline 'sched_trace=0' | grep -E '^(SCHEDREFUSED|HALT) '
		vmx_expect '^SCHEDREFUSED reason="pools.cfg:3: Pool-0 is configured by the hypervisor command line' "refused: a Pool-0 section, with its line"
		vmx_expect '^HALT reason=refused' "refused: the run stops"
		vmx_expect '^RUN .* halt=refused ' "refused: uslice-run reports the refusal (exit 3)" ;;
	*) echo "unknown case $c"; exit 1 ;;
	esac
done
vmx_finish
