/*
 * vmx/assign_irq.h - the physical INTx of assigned PCI functions, from the
 * host IOAPIC to the guest's handler (docs/devices.md, "Interrupt
 * forwarding").
 *
 * At assignment each function with an interrupt pin gets a host vector
 * (ASSIGN_IRQ_VECTOR_BASE + slot) and its line's GSI is programmed on the
 * host IOAPIC (arch/x86/ioapic.h: MADT override or identity, level / active
 * low as PCI INTx), fixed delivery to the boot CPU. The handler runs on
 * whichever pCPU takes the interrupt (a VM exit when a guest runs there):
 * it masks the host pin, then under the VM's platform lock asks the state
 * machine (vmx/intx.h) and asserts the vIOAPIC pin named by the guest's
 * interrupt line register; the vIOAPIC routes it through the guest's
 * redirection entry to a vLAPIC, and the platform lock's release notifies
 * the target (vmx_vcpu_notify, VMX_NOTIFY_DEVICE_IRQ -> sched_notify_virq:
 * a preempted target is offloaded to the micro-sliced pool). The guest's
 * EOI (the vLAPIC's EOI broadcast or the vIOAPIC EOI register) de-asserts
 * the pin and unmasks the host pin.
 *
 * Lock order: the handler takes the VM's platform lock -> ioapic_lock; the
 * EOI and entry-written hooks run with the platform lock held (its
 * callers) and take ioapic_lock. vmx_assign_injected() takes the platform
 * lock (the owner pCPU at VM entry, no other lock held). The vector table
 * is written on the boot CPU while VMs are built.
 */
#ifndef VMX_ASSIGN_IRQ_H
#define VMX_ASSIGN_IRQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ASSIGN_IRQ_VECTOR_BASE 0x50 /* below the hypervisor's own 0xf0.. */
#define ASSIGN_IRQ_VECTORS     16

struct vm;
struct vcpu;
struct passthrough_device;

/* Route `device`'s INTx (nothing to do without an interrupt pin): 0, or
 * -1 with the reason in `error`. */
int vmx_assign_irq_attach(struct vm *vm, struct passthrough_device *device, char *error,
                          size_t size);
/* Platform lock held: a level-triggered `vector` is being EOIed (before
 * the vIOAPIC clears remote IRR). */
void vmx_assign_eoi(struct vm *vm, uint8_t vector);
/* Platform lock held: the guest wrote a vIOAPIC register. */
void vmx_assign_entry_written(struct vm *vm);
/* The owner pCPU injected `vector` into `vcpu` at this VM entry. */
void vmx_assign_injected(struct vcpu *vcpu, uint8_t vector);
/* True if an assigned function of `vm` can interrupt it (a wake source
 * for the liveness check). */
bool vmx_assign_irq_source(const struct vm *vm);
/* True if a forwarded interrupt of `vm` was posted but not injected yet
 * (read without the lock: a hint for the scheduler). */
bool vmx_assign_irq_pending(const struct vm *vm);
/* The VM ended (or never ran): host pins masked, vectors released;
 * `report` prints one PCIIRQ line per routed function. */
void vmx_assign_irq_stop(struct vm *vm, bool report);

#endif /* VMX_ASSIGN_IRQ_H */
