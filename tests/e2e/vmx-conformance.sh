#!/usr/bin/env bash
# tests/e2e/vmx-conformance.sh - what uslice promises a guest, checked from
# inside one (testos `conformance`, guests/testos/conformance.c): CPUID and
# the MSRs its bits imply, #GP for every invalid value bound for the VMCS
# (non-canonical bases, PAT, EFER, CR0/CR4/CR8) with RF in the pushed
# RFLAGS, IA32_TSC writes, MISC_ENABLE, RDPMC #UD, APIC disable and
# relocation, NMI latching, LVT timer mode switches and the timer minimum.
# Every case must print ok=1, the VM must end done with status 0. The VM
# has 2 vCPUs on 1 pCPU (nmi_back_to_back: CPU 1 sends halted CPU 0 two
# NMIs that both arrive before CPU 0 runs again).
source "$(dirname "$0")/lib.sh"
vmx_build
cases=(cpuid_msr gp_fs_base gp_gs_base gp_kernel_gs_base gp_sysenter_esp gp_sysenter_eip
       gp_pat gp_efer gp_cr0 gp_cr4 gp_cr8 gp_rf tsc_write misc_enable rdpmc apic_disable
       apic_relocate nmi_latch nmi_back_to_back lvt_mode_switch timer_minimum)
vmx_config conf 16 "conformance"
echo "vcpus = 2" >> "$VMX_WORK/conf.cfg"
vmx_boot 1 conf | grep -E '^(VM|VMSTOP|RESULT|HALT) |warning'
for name in "${cases[@]}"; do
	vmx_expect "^RESULT vm=conf workload=conformance case=$name ok=1" "case $name"
done
vmx_expect "^RESULT vm=conf workload=conformance cases=${#cases[@]} failed=0" "every case ran and passed"
vmx_expect '^VM name=conf state=done status=0 ' "the VM finished with status 0"
vmx_expect '^HALT reason=done' "hypervisor halted cleanly"
vmx_finish
