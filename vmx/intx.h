/*
 * vmx/intx.h - forwarding an assigned PCI function's level-triggered INTx
 * to its VM: the state machine between the host IOAPIC pin and the
 * guest's vIOAPIC pin (docs/devices.md, "Interrupt forwarding").
 *
 *   host interrupt  -> the host pin is masked (by the caller, first), then
 *                      intx_physical(): if the guest's entry for the pin
 *                      its interrupt line names is unmasked and
 *                      level-triggered, the guest pin is asserted
 *                      (INTX_ASSERT); otherwise the interrupt is parked
 *                      (the host pin stays masked).
 *   guest EOI       -> intx_eoi() (before vioapic_eoi, while remote IRR is
 *                      still set): the EOI of the asserted pin's vector
 *                      de-asserts the guest pin and unmasks the host pin
 *                      (INTX_DEASSERT | INTX_UNMASK). A device that still
 *                      asserts its line interrupts again at once: nothing
 *                      is lost; between the two the host pin is masked:
 *                      no storm, whatever the guest does.
 *   entry written   -> intx_entry_written(): a parked interrupt whose pin
 *                      became usable unmasks the host pin (the device
 *                      re-raises it); an asserted pin rewritten as edge
 *                      (Linux's remote-IRR recovery) or masked with remote
 *                      IRR clear is released the same way as by an EOI.
 *   injection       -> intx_injected(): the first injection of the pin's
 *                      vector at a VM entry after a physical interrupt
 *                      ends its delay sample ("the guest's handler runs").
 *
 * Pure (no hardware, no locks): the caller holds the VM's platform lock
 * around every call and applies the actions. Host-tested by
 * tests/host/test_intx.c. Lock order: none of its own.
 */
#ifndef VMX_INTX_H
#define VMX_INTX_H

#include <stdbool.h>
#include <stdint.h>

/* log2 buckets of TSC ticks: bucket b holds delays in [2^b, 2^(b+1)). */
#define INTX_HISTOGRAM_BUCKETS 40

#define INTX_ASSERT   1u /* vioapic_set_irq(pin, true) */
#define INTX_DEASSERT 2u /* vioapic_set_irq(pin, false) */
#define INTX_UNMASK   4u /* unmask the host pin */

enum intx_target {
	INTX_TARGET_RUNNING,
	INTX_TARGET_HALTED,
	INTX_TARGET_PREEMPTED,
};

struct intx_counters {
	uint64_t physical;                            /* host interrupts taken */
	uint64_t virqs;                               /* vIRQs delivered to a vLAPIC */
	uint64_t to_running, to_halted, to_preempted; /* ... by the target's state */
	uint64_t parked;                              /* taken while the guest pin was unusable */
	uint64_t unmasks;                             /* host pin unmasked again */
	uint64_t spurious;                            /* taken while already asserted */
	uint64_t delays;                              /* delay samples */
	uint64_t delay_max, delay_sum;                /* TSC ticks */
	uint32_t histogram[INTX_HISTOGRAM_BUCKETS];
};

struct intx_line {
	bool asserted; /* the guest pin is driven by this line */
	bool parked;   /* a host interrupt waits for a usable guest pin */
	uint8_t pin;   /* the guest pin asserted */
	uint8_t vector;
	uint64_t raised_tsc; /* the physical interrupt of a pending delay sample (0: none) */
	struct intx_counters counters;
};

/* A vIOAPIC entry that can take a level-triggered INTx. */
bool intx_guest_accepts(uint64_t entry);
/* A host interrupt (the host pin is masked already). `line` is the
 * guest's interrupt line register, `redirection` the vIOAPIC's entries. */
unsigned intx_physical(struct intx_line *intx, uint8_t line, const uint64_t *redirection,
                       uint64_t tsc);
/* The assertion reached a vLAPIC whose vCPU was in `state`. */
void intx_delivered(struct intx_line *intx, enum intx_target state);
unsigned intx_eoi(struct intx_line *intx, uint8_t vector, const uint64_t *redirection);
unsigned intx_entry_written(struct intx_line *intx, uint8_t line, const uint64_t *redirection);
void intx_injected(struct intx_line *intx, uint8_t vector, uint64_t tsc);
/* The delay below which `permille` of the samples lie (the upper bound of
 * their log2 bucket, capped at the maximum); 0 without samples. */
uint64_t intx_delay_percentile(const struct intx_counters *counters, unsigned permille);

#endif /* VMX_INTX_H */
