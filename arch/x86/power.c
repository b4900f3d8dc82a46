/*
 * arch/x86/power.c - power-off (see power.h).
 *
 * Lock order: none.
 */
#include "arch/x86/power.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/uart.h"
#include "kernel/string.h"

#define POWER_QEMU_DEBUG_EXIT_PORT 0xf4
#define POWER_BOCHS_SHUTDOWN_PORT  0x8900

static uint32_t power_pm1a;
static uint32_t power_pm1b;
static uint8_t power_sleep_a;
static uint8_t power_sleep_b;
static bool power_has_s5;
static uint16_t power_debug_exit_port;
static char power_hypervisor[16] = "none";

const char *power_hypervisor_name(void)
{
	return power_hypervisor;
}

void power_init(const struct acpi_info *acpi, uint16_t debug_exit_port)
{
	power_pm1a = acpi->pm1a_control_port;
	power_pm1b = acpi->pm1b_control_port;
	power_has_s5 = acpi->has_fadt && acpi->has_s5 && power_pm1a;
	power_sleep_a = acpi->s5_sleep_type_a;
	power_sleep_b = acpi->s5_sleep_type_b;
	power_debug_exit_port = debug_exit_port;
	if (arch_cpuid(1, 0).ecx & (1u << 31)) {
		struct arch_cpuid signature = arch_cpuid(0x40000000, 0);
		char name[13];
		memcpy(name, &signature.ebx, 4);
		memcpy(name + 4, &signature.ecx, 4);
		memcpy(name + 8, &signature.edx, 4);
		name[12] = '\0';
		if (strcmp(name, "TCGTCGTCGTCG") == 0)
			string_copy(power_hypervisor, "qemu-tcg", sizeof(power_hypervisor));
		else if (memcmp(name, "KVMKVMKVM", 9) == 0)
			string_copy(power_hypervisor, "kvm", sizeof(power_hypervisor));
		else
			string_copy(power_hypervisor, "other", sizeof(power_hypervisor));
		if (!power_debug_exit_port && (strcmp(power_hypervisor, "qemu-tcg") == 0 ||
		                               strcmp(power_hypervisor, "kvm") == 0))
			power_debug_exit_port = POWER_QEMU_DEBUG_EXIT_PORT;
	}
}

void power_off(int status)
{
	arch_interrupts_disable();
	uart_flush();
	if (power_debug_exit_port)
		arch_outl(power_debug_exit_port, 0x10u + (uint32_t)status);
	if (power_has_s5) {
		arch_outw((uint16_t)power_pm1a, (uint16_t)((power_sleep_a << 10) | (1u << 13)));
		if (power_pm1b)
			arch_outw((uint16_t)power_pm1b,
			          (uint16_t)((power_sleep_b << 10) | (1u << 13)));
	}
	for (const char *s = "Shutdown"; *s; s++)
		arch_outb(POWER_BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
	arch_cpu_stop();
}
