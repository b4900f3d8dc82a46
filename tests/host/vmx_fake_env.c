/*
 * tests/host/vmx_fake_env.c - the fake kernel environment of the vmx host
 * tests (see vmx_fake_env.h).
 *
 * Lock order: none.
 */
#include "tests/host/vmx_fake_env.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel/log.h"
#include "vmx/guest.h"
#include "vmx/vcpu_interrupt.h"
#include "vmx/vmx.h"

char fake_log[FAKE_LOG_SIZE];
unsigned fake_stops;
unsigned fake_gp_injected;
int fake_vlapic_result;
uint64_t fake_vlapic_value;
struct vmx_controls vmx_controls;

static void fake_append(const char *format, va_list arguments)
{
	size_t used = strlen(fake_log);
	if (used + 1 >= sizeof(fake_log))
		return;
	vsnprintf(fake_log + used, sizeof(fake_log) - used - 1, format, arguments);
	strcat(fake_log, "\n");
}

void log_record(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	fake_append(format, arguments);
	va_end(arguments);
}

void log_message(enum log_level level, const char *format, ...)
{
	(void)level;
	va_list arguments;
	va_start(arguments, format);
	fake_append(format, arguments);
	va_end(arguments);
}

void vm_stop(struct vm *vm, const char *format, ...)
{
	(void)vm;
	(void)format;
	fake_stops++;
}

void vmx_inject_gp(struct vcpu *vcpu)
{
	(void)vcpu;
	fake_gp_injected++;
}

int vcpu_interrupt_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value)
{
	(void)vcpu;
	(void)msr;
	*value = fake_vlapic_value;
	return fake_vlapic_result;
}

int vcpu_interrupt_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value)
{
	(void)vcpu;
	(void)msr;
	fake_vlapic_value = value;
	return fake_vlapic_result;
}

uint64_t vcpu_interrupt_guest_tsc(struct vcpu *vcpu)
{
	return arch_tsc_read() + vcpu->interrupt.tsc_offset;
}

void vcpu_interrupt_set_tsc_offset(struct vcpu *vcpu, uint64_t offset)
{
	vcpu->interrupt.tsc_offset = offset;
}

void fake_reset(struct vm *vm, struct vcpu *vcpu, const char *name)
{
	fake_log[0] = '\0';
	fake_stops = fake_gp_injected = 0;
	fake_vlapic_result = 0;
	fake_vlapic_value = 0;
	memset(vm, 0, sizeof(*vm));
	memset(vcpu, 0, sizeof(*vcpu));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->vcpu_count = 1;
	vm->vcpus[0] = vcpu;
	vcpu->vm = vm;
}
