/*
 * vmx/mmio.h - emulating the one guest instruction that touched an MMIO
 * region the hypervisor emulates (the xAPIC page, the IOAPIC).
 *
 * Neither an EPT violation nor an APIC-access exit says which register
 * the guest moved or how wide the access was, and the exit's instruction
 * length is undefined for them. mmio_emulate() therefore fetches the
 * instruction at CS:RIP through the guest's own page tables, decodes it
 * (mmio_decode: the MOV forms compilers and Linux use for device registers,
 * XCHG, MOVZX/MOVSX), performs the access through the region's hook,
 * writes a loaded value back to the register and steps RIP over the
 * instruction. Anything else stops the VM with the bytes it found.
 *
 * mmio_decode() is pure (no VMX, no guest memory): host-testable.
 * Lock order: none; the hook takes what it needs.
 */
#ifndef VMX_MMIO_H
#define VMX_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#define MMIO_MAX_INSTRUCTION 15

enum mmio_operation {
	MMIO_LOAD,     /* register <- memory (MOV, MOVZX, MOVSX) */
	MMIO_STORE,    /* memory <- register or immediate        */
	MMIO_EXCHANGE, /* XCHG: register <-> memory              */
};

struct mmio_instruction {
	enum mmio_operation operation;
	unsigned length;         /* bytes, prefixes included */
	unsigned size;           /* memory access width: 1, 2, 4, 8 */
	unsigned register_size;  /* register width written by a load */
	unsigned register_index; /* 0 = RAX ... 15 = R15 */
	bool high_byte;          /* AH, CH, DH, BH (no REX) */
	bool immediate_source;   /* store of `immediate` */
	bool sign_extend;        /* MOVSX */
	uint64_t immediate;
};

/*
 * Decode `bytes` (`available` of them) as executed with the given code
 * size: 16, 32 or 64 bits. Returns 0, or -1 if it is not an instruction
 * mmio_emulate() can carry out (then `why` says what was wrong).
 */
int mmio_decode(const uint8_t *bytes, unsigned available, unsigned code_bits,
                struct mmio_instruction *instruction, const char **why);

struct vcpu;
struct vm_mmio_hook;

/* Emulate the access to `address` (inside `hook`). Returns 0 after the
 * instruction completed (RIP advanced), -1 after stopping the VM. */
int mmio_emulate(struct vcpu *vcpu, const struct vm_mmio_hook *hook, uint64_t address);

#endif /* VMX_MMIO_H */
