/*
 * vmx/entry.h - the state a vCPU starts in, as the loaders describe it and
 * vmx_vcpu_create() writes it into the VMCS.
 *
 * VCPU_ENTRY_MULTIBOOT32: 32-bit protected mode, flat segments (CS 0x08,
 * data 0x10), paging off; EAX/EBX are the Multiboot magic and information
 * address (vmx/loader.h). VCPU_ENTRY_LINUX64: the 64-bit Linux boot
 * protocol (vmx/bzimage.h): long mode with paging on (CR0.PE|PG, CR4.PAE,
 * EFER.LME|LMA, the IA-32e entry control), the loader's GDT and page
 * tables, flat 64-bit CS and data selectors, RSI = the zero page.
 *
 * Hardware independent (no kernel includes): compiled into the host tests.
 * Lock order: none.
 */
#ifndef VMX_ENTRY_H
#define VMX_ENTRY_H

#include <stdint.h>

enum vcpu_entry_mode {
	VCPU_ENTRY_MULTIBOOT32 = 0, /* the zero value: a vCPU nobody described */
	VCPU_ENTRY_LINUX64,
};

struct vcpu_entry {
	enum vcpu_entry_mode mode;
	uint64_t rip, rsp;
	uint64_t rax, rbx, rsi;
	/* The guest's view (the CR0/CR4 read shadows); the VMCS values add
	 * the VMX fixed bits. Used by VCPU_ENTRY_LINUX64. */
	uint64_t cr0, cr3, cr4, efer;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t code_selector, data_selector;
};

#endif /* VMX_ENTRY_H */
