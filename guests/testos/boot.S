/*
 * guests/testos/boot.S - testos's Multiboot (v1) header and 32-bit entry.
 *
 * The loader starts us in 32-bit protected mode without paging, EAX =
 * 0x2BADB002, EBX = the Multiboot information. We build our own page
 * tables (identity map of the first 1 GiB with 2 MiB pages), enable PAE,
 * EFER.LME and paging, load a GDT with a 64-bit code segment, jump to
 * long mode and call testos_main(magic, info). Exceptions 0..31 go to
 * testos_exception(vector) through the stubs below; the NMI and vectors
 * 32..255 go to testos_interrupt(vector) (guests/testos/smp.c). The 4th
 * GiB maps the IOAPIC (0xfec00000) and LAPIC (0xfee00000) pages uncached.
 *
 * APs start at testos_trampoline, copied to TESTOS_TRAMPOLINE_BASE (SIPI
 * vector 0x08) by the BSP: real mode -> 32-bit protected mode -> the same
 * page tables, PAE, EFER.LME, paging -> 64-bit testos_ap_start64 on the
 * stack the BSP left in testos_ap_stack -> testos_ap_main().
 *
 * Lock order: none (the BSP starts one AP at a time).
 */
#define TESTOS_TRAMPOLINE_BASE 0x8000
#define TESTOS_UNCACHED_LARGE 0x9b /* present, write, PWT, PCD, 2 MiB */
#define MULTIBOOT_MAGIC 0x1badb002
#define MULTIBOOT_FLAGS 0x3 /* page-aligned modules, memory information */

	.section .multiboot, "a"
	.align 4
	.long MULTIBOOT_MAGIC
	.long MULTIBOOT_FLAGS
	.long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

/* PAE, testos's page tables, EFER.LME, then paging on: the same steps for
 * the boot CPU and for every AP (clobbers eax, ecx, edx). */
.macro TESTOS_ENABLE_LONG_MODE
	mov %cr4, %eax
	or $0x20, %eax                /* PAE */
	mov %eax, %cr4
	mov $testos_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx         /* EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax          /* PG | PE */
	mov %eax, %cr0
.endm

	.section .text.boot32, "ax"
	.code32
	.global testos_start32
testos_start32:
	cli
	mov %eax, %edi                /* kept for testos_main */
	mov %ebx, %esi
	mov $testos_stack_top, %esp
	/* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB, present|write|large */
	mov $testos_pdpt, %eax
	or $3, %eax
	mov %eax, testos_pml4
	mov $testos_pd, %eax
	or $3, %eax
	mov %eax, testos_pdpt
	mov $testos_pd_high, %eax     /* PDPT[3]: 3..4 GiB, the APIC pages only */
	or $3, %eax
	mov %eax, testos_pdpt+24
	movl $(0xfec00000 | TESTOS_UNCACHED_LARGE), testos_pd_high+0x1f6*8
	movl $(0xfee00000 | TESTOS_UNCACHED_LARGE), testos_pd_high+0x1f7*8
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	mov %eax, testos_pd(,%ecx,8)
	movl $0, testos_pd+4(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	TESTOS_ENABLE_LONG_MODE
	lgdt testos_gdt_pointer
	ljmp $0x08, $testos_start64

	.code64
testos_start64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $testos_stack_top, %rsp
	push %rdi
	push %rsi
	call testos_idt_init
	pop %rsi
	pop %rdi
	call testos_main
2:	cli
	hlt
	jmp 2b

	/* Exception stubs: push the vector, call testos_exception(vector). */
	.global testos_exception_stubs
	.align 16
testos_exception_stubs:
	.set vector, 0
	.rept 32
	.align 16
	mov $vector, %edi
	jmp testos_exception_common
	.set vector, vector + 1
	.endr
testos_exception_common:
	and $-16, %rsp
	call testos_exception
3:	cli
	hlt
	jmp 3b

	/* Interrupt stubs (NMI, 32..255): push the vector, save the registers
	 * C may clobber, call testos_interrupt(vector), return with IRETQ. */
	.global testos_interrupt_stubs
	.align 16
testos_interrupt_stubs:
	.set vector, 0
	.rept 256
	.align 16
	pushq $vector
	jmp testos_interrupt_common
	.set vector, vector + 1
	.endr
testos_interrupt_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %rbp                     /* 5 CPU + 1 vector + 10 words: 16-byte aligned */
	mov 80(%rsp), %rdi
	cld
	call testos_interrupt
	pop %rbp
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $8, %rsp
	iretq

	/* 64-bit entry of an AP, reached from the trampoline. */
testos_ap_start64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov testos_ap_stack(%rip), %rsp
	call testos_ap_main
4:	cli
	hlt
	jmp 4b

	/* The AP trampoline, copied to TESTOS_TRAMPOLINE_BASE; only
	 * position-independent references (base + offset) inside it. */
#define TRAMPOLINE(label) (TESTOS_TRAMPOLINE_BASE + (label) - testos_trampoline)
	.global testos_trampoline, testos_trampoline_end
	.code16
testos_trampoline:
	cli
	mov %cs, %ax
	mov %ax, %ds
	lgdtl testos_trampoline_gdt_pointer - testos_trampoline
	mov %cr0, %eax
	or $1, %eax                   /* PE */
	mov %eax, %cr0
	ljmpl $0x18, $TRAMPOLINE(testos_trampoline32)
	.code32
testos_trampoline32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	TESTOS_ENABLE_LONG_MODE
	ljmp $0x08, $testos_ap_start64
	.align 16
testos_trampoline_gdt:
	.quad 0
	.quad 0x00af9a000000ffff      /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff      /* 0x10: data */
	.quad 0x00cf9a000000ffff      /* 0x18: 32-bit code */
testos_trampoline_gdt_pointer:
	.word testos_trampoline_gdt_pointer - testos_trampoline_gdt - 1
	.long TRAMPOLINE(testos_trampoline_gdt)
testos_trampoline_end:
	.code64

	.section .rodata
	.align 16
testos_gdt:
	.quad 0
	.quad 0x00af9a000000ffff      /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff      /* 0x10: data */
testos_gdt_end:
testos_gdt_pointer:
	.word testos_gdt_end - testos_gdt - 1
	.long testos_gdt

	.section .bss
	.align 4096
	.global testos_pml4, testos_pdpt, testos_pd_high
testos_pml4: .skip 4096
testos_pdpt: .skip 4096
testos_pd: .skip 4096
testos_pd_high: .skip 4096
	.align 16
testos_stack: .skip 16384
testos_stack_top:
	.section .note.GNU-stack, "", @progbits
