/*
 * kernel/panic.h - stopping the machine on an unrecoverable error.
 *
 * panic() prints why (with the CPU number), stops every other CPU with an
 * NMI, prints "HALT reason=panic", and powers the machine off through the
 * hook the platform registered. It never returns and may be called from any
 * context, including exception handlers and with locks held.
 *
 * Lock order: takes no lock; forces the log lock open if it must.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdbool.h>

struct panic_hooks {
	void (*stop_other_cpus)(void); /* NMI every other online CPU */
	void (*power_off)(int status) __attribute__((noreturn));
};

void panic_set_hooks(const struct panic_hooks *hooks);
/* True once some CPU has started to panic; other CPUs then stop. */
bool panic_in_progress(void);

void panic(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Like panic() with the HALT reason given (e.g. "exception"). */
void panic_with_reason(const char *reason, const char *format, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* Exit statuses handed to the power-off hook (and to QEMU's debug exit). */
enum panic_status {
	PANIC_STATUS_DONE = 0,    /* normal end of run                */
	PANIC_STATUS_NO_VMX = 1,  /* a required VMX feature is missing */
	PANIC_STATUS_PANIC = 2,   /* panic or unhandled exception     */
	PANIC_STATUS_REFUSED = 3, /* the VMs were refused (VMXREFUSED, SCHEDREFUSED, bad modules) */
};

#endif /* KERNEL_PANIC_H */
