/*
 * vmx/io.h - port I/O emulation: the per-VM registry of port devices and
 * the I/O-instruction exit.
 *
 * Each device registers the ports it emulates with vmx_io_register()
 * (platform_create() registers the UART, PIT, PIC, ELCR, port 0x61, the
 * PM1a ports and the POST port). vmx_io_exit() decodes the exit
 * qualification (SDM Vol. 3C, Table 28-5), finds the device by the port
 * the instruction names and calls it. A port no device claims is handled
 * here only: an IN reads all ones, an OUT is ignored, and the access is
 * counted (vcpu->io_unknown, and per port in vm->unknown_ports, printed by
 * vmx_io_report()). String I/O (INS/OUTS) stops the VM.
 *
 * Lock order: none here; device handlers take what they need (the
 * platform lock, vm->lock through the console).
 */
#ifndef VMX_IO_H
#define VMX_IO_H

#include <stdint.h>

#include "vmx/exit.h"
#include "vmx/vm.h"

/* Register [first_port, first_port + count) for `access`. 0, or -1 if the
 * range is empty, wraps, overlaps a registered one or the table is full. */
int vmx_io_register(struct vm *vm, uint16_t first_port, uint16_t count,
                    enum vm_io_result (*access)(struct vcpu *vcpu, uint16_t port, unsigned size,
                                                bool in, uint32_t *value));
/* The hook that emulates `port`, or NULL. */
const struct vm_io_hook *vmx_io_find(const struct vm *vm, uint16_t port);
/* Emulate one non-string access of `size` bytes; `value` as for a hook.
 * Returns what the device did; unclaimed ports are counted here. */
enum vm_io_result vmx_io_access(struct vcpu *vcpu, uint16_t port, unsigned size, bool in,
                                uint32_t *value);
/* The I/O-instruction exit. */
enum vmx_exit_action vmx_io_exit(struct vcpu *vcpu, uint64_t qualification);
/* "IOUNKNOWN vm=NAME port=0x... reads=N writes=N" per unclaimed port. */
void vmx_io_report(const struct vm *vm);

#endif /* VMX_IO_H */
