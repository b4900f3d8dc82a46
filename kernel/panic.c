/*
 * kernel/panic.c - panic(): say why, stop every CPU, power off.
 *
 * Only the first CPU to panic reports; a second panicking CPU (or one that
 * faults while panicking) just stops. Other CPUs receive an NMI whose
 * handler parks them (arch/x86/trap.c checks panic_in_progress()).
 *
 * Lock order: none taken; the log locks are forced open if a holder died,
 * and the log's ring is written out before the panic lines.
 */
#include "kernel/panic.h"

#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"

static struct panic_hooks panic_hooks;
static volatile int panic_owner = -1;

void panic_set_hooks(const struct panic_hooks *hooks)
{
	panic_hooks = *hooks;
}

bool panic_in_progress(void)
{
	return panic_owner >= 0;
}

static __attribute__((noreturn)) void panic_va(const char *reason, const char *format, va_list args)
{
	arch_interrupts_disable();
	int me = (int)percpu_this_index();
	int expected = -1;
	if (!__atomic_compare_exchange_n(&panic_owner, &expected, me, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE))
		arch_cpu_stop();
	if (panic_hooks.stop_other_cpus)
		panic_hooks.stop_other_cpus();
	/* Give a CPU that holds the log lock time to finish its line. */
	for (int i = 0; i < 1000000; i++)
		arch_pause();
	log_force_unlock(); /* output is synchronous from here */
	log_flush();        /* every line logged before the panic, then ours */
	char message[256];
	format_string_va(message, sizeof(message), format, args);
	log_record("PANIC cpu=%d reason=%s message=\"%s\"", me, reason, message);
	log_record("HALT reason=%s", reason);
	if (panic_hooks.power_off)
		panic_hooks.power_off(PANIC_STATUS_PANIC);
	arch_cpu_stop();
}

void panic(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	panic_va("panic", format, args);
}

void panic_with_reason(const char *reason, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	panic_va(reason, format, args);
}
