/*
 * kernel/percpu.c - storage for per-CPU data and GS-base installation.
 *
 * Lock order: none.
 */
#include "kernel/percpu.h"

#include "arch/x86/cpu.h"

struct percpu percpu_cpus[PERCPU_MAX_CPUS];
uint32_t percpu_cpu_count = 1;
bool percpu_ready;

void percpu_install(uint32_t index)
{
	struct percpu *cpu = &percpu_cpus[index];
	cpu->self = cpu;
	cpu->index = index;
	arch_msr_write(ARCH_MSR_GS_BASE, (uint64_t)(uintptr_t)cpu);
	arch_msr_write(ARCH_MSR_KERNEL_GS_BASE, 0);
}
