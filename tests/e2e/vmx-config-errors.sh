#!/usr/bin/env bash
# tests/e2e/vmx-config-errors.sh - bad configurations are rejected with
# FILE:LINE and a reason, free what they took, and the other VMs run:
#  - a second VM with a name already in use;
#  - an empty System.map, a rules name that is neither built in nor a module;
#  - a pool that does not exist;
#  - a rules file that inherits a set twice (set-up cost is bounded: at most
#    SCHED_RULES_MAX rules, each set once): that VM alone is stopped;
#  - a kernel that is not a Multiboot image in a VM whose memory is most of
#    the machine's: its memory is freed, so the next big VM still starts;
#  - more VM configurations than the hypervisor runs (SCHED_MAX_VMS = 16);
#  - two modules with the same file name from different folders both count,
#    two modules with the same name are refused by tools/uslice-run (exit 4).
source "$(dirname "$0")/lib.sh"
vmx_build
cfg() { # NAME FILE KEY=VALUE... : a testos VM configuration in FILE
	local name=$1 file=$2; shift 2
	{ echo "name = \"$name\""; echo 'kernel = "testos.elf"'; printf '%s\n' "$@"; } > "$VMX_WORK/$file"
}
: > "$VMX_WORK/empty.map"
printf 'inherit linux-6.x\ncritical testos_*\ninherit linux-6.x\n' > "$VMX_WORK/dup.rules"
cfg dup dup.cfg 'memory = 4' 'symbols = "testos.map"' 'rules = "dup.rules"' 'extra = "cpuid 10"'
cfg nopool nopool.cfg 'memory = 4' 'pool = "Pool-9"'
cfg twin twin-a.cfg 'extra = "cpuid 10"'
cfg twin twin-b.cfg 'memory = 16' 'extra = "cpuid 20"'
cfg nomap nomap.cfg 'symbols = "empty.map"'
cfg norules norules.cfg 'symbols = "testos.map"' 'rules = "bogus"'
cfg broken broken.cfg 'memory = 150' 'extra = "cpuid 10"'
sed -i 's/kernel = "testos.elf"/kernel = "testos.map"/' "$VMX_WORK/broken.cfg"
cfg big big.cfg 'memory = 150' 'extra = "cpuid 30"'
modules=()
for f in twin-a twin-b nomap norules broken big dup nopool; do modules+=(--module "$VMX_WORK/$f.cfg:$f.cfg"); done
vmx_boot 1 -- --mem 256 --module "$VMX_WORK/empty.map:empty.map" \
	--module "$VMX_WORK/dup.rules:dup.rules" "${modules[@]}" >/dev/null
grep -E '^(VMCONFIG|VMSTOP|VMS|RESULT|HALT) ' "$VMX_LOG"
vmx_expect '^VMCONFIG file=twin-b.cfg error="twin-b.cfg:1: VM name .twin. is already used by twin-a.cfg"' "duplicate VM name rejected with file:line"
vmx_expect '^VMCONFIG file=nomap.cfg error="nomap.cfg:3: module .empty.map. is empty"' "empty System.map rejected with file:line"
vmx_expect '^VMCONFIG file=norules.cfg error="norules.cfg:4: rules .bogus. is neither a built-in set' "unknown rules rejected with file:line"
vmx_expect '^VMCONFIG file=broken.cfg error="broken.cfg:2: kernel testos.map: ' "non-Multiboot kernel rejected with file:line"
vmx_expect '^RESULT vm=twin workload=cpuid count=10 ' "the first twin ran"
vmx_equal "$(grep -c '^RESULT vm=twin ' "$VMX_LOG")" 1 "only one VM named twin ran"
vmx_expect '^RESULT vm=big workload=cpuid count=30 ' "the rejected VM's memory was freed: the next big VM ran"
vmx_expect '^VMSTOP name=dup cause="classifier: dup.rules:3: rule set already inherited' "a rules file inheriting a set twice stops only its VM, naming file:line"
vmx_expect '^VMCONFIG file=nopool.cfg error="nopool.cfg:4: cpupool .Pool-9. does not exist"' "an unknown pool is rejected with file:line"
vmx_expect '^VMS configured=8 rejected=4 done=2 failed=6' "VMS line counts the rejections"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"

# More configurations than VMs: the 17th is rejected by name, 16 run.
modules=()
for i in $(seq 1 17); do cfg "v$i" "v$i.cfg" 'memory = 4' 'extra = "cpuid 5"'; modules+=(--module "$VMX_WORK/v$i.cfg:v$i.cfg"); done
vmx_boot 1 -- "${modules[@]}" >/dev/null
grep -E '^(VMCONFIG|VMS|HALT) ' "$VMX_LOG"
vmx_expect '^VMCONFIG file=v17.cfg error="v17.cfg: more than 16 VM configurations' "the 17th configuration is rejected, not dropped"
vmx_equal "$(grep -c '^RESULT vm=v[0-9]* workload=cpuid count=5 ' "$VMX_LOG")" 16 "16 VMs ran"

# The same file name in two folders: both VMs run.
mkdir -p "$VMX_WORK/d1" "$VMX_WORK/d2"
cfg one d1/vm.cfg 'extra = "cpuid 11"'; cfg two d2/vm.cfg 'extra = "cpuid 12"'
vmx_boot 1 -- --module "$VMX_WORK/d1/vm.cfg:one.cfg" --module "$VMX_WORK/d2/vm.cfg:two.cfg" >/dev/null
vmx_expect '^RESULT vm=one workload=cpuid count=11 ' "d1/vm.cfg ran"
vmx_expect '^RESULT vm=two workload=cpuid count=12 ' "d2/vm.cfg ran"
vmx_boot 1 -- --module "$VMX_WORK/d1/vm.cfg" --module "$VMX_WORK/d2/vm.cfg" >/dev/null
vmx_equal "$VMX_STATUS" 4 "two modules named vm.cfg: uslice-run refuses (exit 4)"
vmx_expect 'uslice-run: two modules are named vm.cfg' "the refusal names the module"
vmx_finish
