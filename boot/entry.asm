; boot/entry.asm - the two ways into the hypervisor image.
;
; 1. Multiboot2 (GRUB): the loader jumps to boot_entry32 in 32-bit protected
;    mode, paging off, with EAX = 0x36d76289 and EBX = the physical address
;    of the Multiboot2 information. We build a temporary identity map of the
;    first 4 GiB with 2 MiB pages, enable PAE + long mode + NX, and call
;    boot_multiboot2(magic, info) in C (boot/multiboot2.c).
; 2. UEFI: boot/efi/loader.c places this image at its link address, exits
;    boot services and jumps to boot_entry64 in long mode with RDI = a
;    struct boot_info it built. We only switch to our own stack.
;
; Both paths end in kernel_main(), which installs the hypervisor's own GDT,
; IDT and page tables at once; the tables here live only until then.
;
; Lock order: none (runs on the boot CPU alone).

MULTIBOOT2_MAGIC      equ 0xe85250d6
MULTIBOOT2_ARCH_I386  equ 0
BOOT_STACK_SIZE       equ 16384

extern boot_multiboot2
extern kernel_main

section .multiboot2
align 8
multiboot2_header:
	dd MULTIBOOT2_MAGIC
	dd MULTIBOOT2_ARCH_I386
	dd multiboot2_header_end - multiboot2_header
	dd -(MULTIBOOT2_MAGIC + MULTIBOOT2_ARCH_I386 + (multiboot2_header_end - multiboot2_header))
	; entry address tag: use the 32-bit entry, not the ELF (64-bit) entry
	align 8
	dw 3, 0
	dd 12
	dd boot_entry32
	; module alignment tag: modules on page boundaries
	align 8
	dw 6, 0
	dd 8
	; end tag
	align 8
	dw 0, 0
	dd 8
multiboot2_header_end:

section .text.boot32
bits 32
global boot_entry32
boot_entry32:
	cli
	cld
	mov esp, boot_stack_top
	mov edi, eax                    ; keep magic and info for C
	mov esi, ebx

	; PML4[0] -> PDPT, PDPT[0..3] -> PD0..PD3, each PD maps 1 GiB in 2 MiB pages
	mov eax, boot_pdpt
	or eax, 0x3
	mov [boot_pml4], eax
	mov ecx, 0
.fill_pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, boot_page_directories
	or eax, 0x3
	mov [boot_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jne .fill_pdpt

	mov ecx, 0                      ; 2048 entries: 4 GiB
.fill_pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83                    ; present, writable, 2 MiB
	mov [boot_page_directories + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                     ; high dword of the address
	mov [boot_page_directories + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jne .fill_pd

	mov eax, boot_pml4
	mov cr3, eax
	mov eax, cr4
	or eax, (1 << 5)                ; PAE
	mov cr4, eax
	mov ecx, 0xc0000080             ; IA32_EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)    ; LME, NXE
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1 ; PG, WP, PE
	mov cr0, eax

	lgdt [boot_gdt_pointer]
	jmp 0x08:boot_long_mode

bits 64
boot_long_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor ax, ax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	; EDI = magic, ESI = info (zero-extended by the 32-bit moves above)
	mov edi, edi
	mov esi, esi
	call boot_multiboot2
.hang:
	cli
	hlt
	jmp .hang

section .text
global boot_entry64
boot_entry64:
	cli
	cld
	mov rsp, boot_stack_top
	mov rbx, rdi
	mov ecx, 0xc0000080             ; IA32_EFER: make sure NX is enabled
	rdmsr
	or eax, (1 << 11)
	wrmsr
	mov rax, cr0
	or rax, (1 << 16)               ; WP
	mov cr0, rax
	mov rdi, rbx
	call kernel_main                ; RDI = struct boot_info *
.hang:
	cli
	hlt
	jmp .hang

section .rodata
align 16
boot_gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: 64-bit code
	dq 0x00cf92000000ffff           ; 0x10: data
boot_gdt_end:
boot_gdt_pointer:
	dw boot_gdt_end - boot_gdt - 1
	dd boot_gdt

section .bss
align 4096
boot_pml4:              resb 4096
boot_pdpt:              resb 4096
boot_page_directories:  resb 4096 * 4
global boot_stack_top
boot_stack:             resb BOOT_STACK_SIZE
boot_stack_top:
