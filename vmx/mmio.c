/*
 * vmx/mmio.c - carrying out an MMIO access for the guest (see mmio.h):
 * the guest's linear-to-physical walk (no paging, 32-bit, PAE and 4-level
 * paging), the instruction fetch, register write-back and RIP update.
 *
 * Runs on the vCPU's owner with its VMCS current.
 * Lock order: none here; the hook may take the VM's platform lock.
 */
#include "vmx/mmio.h"

#include "arch/x86/cpu.h"
#include "kernel/string.h"
#include "vmx/guest.h"
#include "vmx/vm.h"
#include "vmx/vmx.h"

#define MMIO_PAGE_PRESENT   1ull
#define MMIO_PAGE_LARGE     (1ull << 7)
#define MMIO_ADDRESS_MASK   0x000ffffffffff000ull
#define MMIO_CS_LONG        (1u << 13)
#define MMIO_CS_DEFAULT_BIG (1u << 14)

static bool mmio_read_physical(const struct vm *vm, uint64_t address, unsigned size,
                               uint64_t *value)
{
	const uint8_t *p = vm_guest_pointer(vm, address, size);
	if (!p)
		return false;
	uint64_t v = 0;
	memcpy(&v, p, size);
	*value = v;
	return true;
}

/* Guest linear -> guest physical through the guest's page tables. */
static bool mmio_translate(const struct vm *vm, uint64_t linear, uint64_t *physical)
{
	uint64_t cr0 = vmx_read(VMCS_GUEST_CR0);
	if (!(cr0 & ARCH_CR0_PG)) {
		*physical = linear & 0xffffffffull;
		return true;
	}
	uint64_t cr3 = vmx_read(VMCS_GUEST_CR3), cr4 = vmx_read(VMCS_GUEST_CR4);
	uint64_t entry;
	if (vmx_read(VMCS_GUEST_EFER) & ARCH_EFER_LMA) {
		uint64_t table = cr3 & MMIO_ADDRESS_MASK;
		for (int level = 3; level >= 0; level--) {
			unsigned shift = 12 + 9 * (unsigned)level;
			uint64_t index = (linear >> shift) & 511;
			if (!mmio_read_physical(vm, table + index * 8, 8, &entry) ||
			    !(entry & MMIO_PAGE_PRESENT))
				return false;
			if (level == 0 || ((entry & MMIO_PAGE_LARGE) && level <= 2)) {
				uint64_t mask = (1ull << shift) - 1;
				*physical = ((entry & MMIO_ADDRESS_MASK) & ~mask) | (linear & mask);
				return true;
			}
			table = entry & MMIO_ADDRESS_MASK;
		}
		return false;
	}
	linear &= 0xffffffffull;
	if (cr4 & ARCH_CR4_PAE) {
		uint64_t pdpte;
		if (!mmio_read_physical(vm, (cr3 & 0xffffffe0ull) + (linear >> 30) * 8, 8,
		                        &pdpte) ||
		    !(pdpte & MMIO_PAGE_PRESENT))
			return false;
		uint64_t table = pdpte & MMIO_ADDRESS_MASK;
		if (!mmio_read_physical(vm, table + ((linear >> 21) & 511) * 8, 8, &entry) ||
		    !(entry & MMIO_PAGE_PRESENT))
			return false;
		if (entry & MMIO_PAGE_LARGE) {
			*physical =
			    (entry & MMIO_ADDRESS_MASK & ~0x1fffffull) | (linear & 0x1fffff);
			return true;
		}
		table = entry & MMIO_ADDRESS_MASK;
		if (!mmio_read_physical(vm, table + ((linear >> 12) & 511) * 8, 8, &entry) ||
		    !(entry & MMIO_PAGE_PRESENT))
			return false;
		*physical = (entry & MMIO_ADDRESS_MASK) | (linear & 0xfff);
		return true;
	}
	if (!mmio_read_physical(vm, (cr3 & 0xfffff000ull) + (linear >> 22) * 4, 4, &entry) ||
	    !(entry & MMIO_PAGE_PRESENT))
		return false;
	if ((entry & MMIO_PAGE_LARGE) && (cr4 & ARCH_CR4_PSE)) {
		*physical = (entry & 0xffc00000ull) | (linear & 0x3fffff);
		return true;
	}
	if (!mmio_read_physical(vm, (entry & 0xfffff000ull) + ((linear >> 12) & 1023) * 4, 4,
	                        &entry) ||
	    !(entry & MMIO_PAGE_PRESENT))
		return false;
	*physical = (entry & 0xfffff000ull) | (linear & 0xfff);
	return true;
}

/* Fetch up to MMIO_MAX_INSTRUCTION bytes at `linear`; returns how many. */
static unsigned mmio_fetch(const struct vm *vm, uint64_t linear, uint8_t *bytes)
{
	unsigned count = 0;
	while (count < MMIO_MAX_INSTRUCTION) {
		uint64_t physical;
		if (!mmio_translate(vm, linear + count, &physical))
			break;
		unsigned in_page = 4096 - (unsigned)((linear + count) & 0xfff);
		unsigned want = MMIO_MAX_INSTRUCTION - count;
		if (want > in_page)
			want = in_page;
		const uint8_t *p = vm_guest_pointer(vm, physical, want);
		if (!p)
			break;
		memcpy(bytes + count, p, want);
		count += want;
	}
	return count;
}

static uint64_t mmio_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* The register operand's current value, `size` bytes wide. */
static uint64_t mmio_source(struct vcpu *vcpu, const struct mmio_instruction *instruction,
                            unsigned size)
{
	uint64_t value = vmx_register_read(vcpu, instruction->register_index);
	if (instruction->high_byte)
		value >>= 8;
	return value & mmio_mask(size);
}

/* Write `value` into the register operand as a `size`-byte result. */
static void mmio_writeback(struct vcpu *vcpu, const struct mmio_instruction *instruction,
                           unsigned size, uint64_t value)
{
	unsigned index = instruction->register_index;
	uint64_t old = vmx_register_read(vcpu, index);
	uint64_t result;
	if (instruction->high_byte)
		result = (old & ~0xff00ull) | ((value & 0xff) << 8);
	else if (size >= 4)
		result = value & mmio_mask(size); /* 32-bit results zero-extend */
	else
		result = (old & ~mmio_mask(size)) | (value & mmio_mask(size));
	vmx_register_write(vcpu, index, result);
}

static int mmio_fail(struct vcpu *vcpu, uint64_t address, const char *why, const uint8_t *bytes,
                     unsigned count)
{
	char hex[3 * MMIO_MAX_INSTRUCTION + 1];
	size_t n = 0;
	for (unsigned i = 0; i < count && n + 4 < sizeof(hex); i++)
		n += (size_t)format_string(hex + n, sizeof(hex) - n, "%s%02x", i ? " " : "",
		                           bytes[i]);
	hex[n] = '\0';
	vm_stop(vcpu->vm, "mmio: %s at guest-physical 0x%llx, rip=0x%llx, bytes [%s]", why,
	        (unsigned long long)address, (unsigned long long)vmx_read(VMCS_GUEST_RIP), hex);
	return -1;
}

int mmio_emulate(struct vcpu *vcpu, const struct vm_mmio_hook *hook, uint64_t address)
{
	struct vm *vm = vcpu->vm;
	uint64_t rip = vmx_read(VMCS_GUEST_RIP);
	uint32_t cs_access = (uint32_t)vmx_read(VMCS_GUEST_CS_ACCESS);
	bool lma = vmx_read(VMCS_GUEST_EFER) & ARCH_EFER_LMA;
	unsigned code_bits =
	    (lma && (cs_access & MMIO_CS_LONG))                                             ? 64
	    : (cs_access & MMIO_CS_DEFAULT_BIG) && (vmx_read(VMCS_GUEST_CR0) & ARCH_CR0_PE) ? 32
	                                                                                    : 16;
	uint64_t linear =
	    code_bits == 64 ? rip : vmx_read(VMCS_GUEST_CS_BASE) + (rip & 0xffffffffull);
	uint8_t bytes[MMIO_MAX_INSTRUCTION];
	unsigned count = mmio_fetch(vm, linear, bytes);
	struct mmio_instruction instruction;
	const char *why;
	if (count == 0)
		return mmio_fail(vcpu, address, "cannot fetch the instruction", bytes, 0);
	if (mmio_decode(bytes, count, code_bits, &instruction, &why) != 0)
		return mmio_fail(vcpu, address, why, bytes, count);
	uint64_t value = 0;
	switch (instruction.operation) {
	case MMIO_STORE:
		value = instruction.immediate_source
		            ? instruction.immediate & mmio_mask(instruction.size)
		            : mmio_source(vcpu, &instruction, instruction.size);
		if (hook->access(vcpu, address, instruction.size, true, &value) != 0)
			return -1;
		break;
	case MMIO_LOAD:
		if (hook->access(vcpu, address, instruction.size, false, &value) != 0)
			return -1;
		value &= mmio_mask(instruction.size);
		if (instruction.sign_extend && (value >> (8 * instruction.size - 1)) & 1)
			value |= ~mmio_mask(instruction.size);
		mmio_writeback(vcpu, &instruction, instruction.register_size, value);
		break;
	case MMIO_EXCHANGE: {
		uint64_t stored = mmio_source(vcpu, &instruction, instruction.size);
		if (hook->access(vcpu, address, instruction.size, false, &value) != 0 ||
		    hook->access(vcpu, address, instruction.size, true, &stored) != 0)
			return -1;
		mmio_writeback(vcpu, &instruction, instruction.size, value);
		break;
	}
	}
	uint64_t next = rip + instruction.length;
	vmx_write(VMCS_GUEST_RIP, code_bits == 64 ? next : next & 0xffffffffull);
	uint64_t interruptibility = vmx_read(VMCS_GUEST_INTERRUPTIBILITY);
	if (interruptibility & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS))
		vmx_write(VMCS_GUEST_INTERRUPTIBILITY,
		          interruptibility &
		              ~(uint64_t)(VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS));
	return 0;
}
