; arch/x86/trampoline.asm - where application processors start.
;
; The boot CPU copies this code to SMP_TRAMPOLINE_CODE (0x8000) and fills
; the parameter page at SMP_TRAMPOLINE_PARAMETERS (0x9000): a GDT, CR3, the
; AP's stack, its CPU index and the C entry. A STARTUP IPI with vector 0x08
; starts the AP here in real mode at 0x0800:0000. We go to 32-bit protected
; mode, enable PAE, long mode and NX, load the hypervisor's page tables
; (below 4 GiB) and jump to 64-bit code, which calls entry(cpu_index).
;
; The code page is mapped R-X and the parameter page RW-/NX in the final
; page tables, so nothing here is ever writable and executable at once.
; Only one AP runs this at a time (the boot CPU waits for each).
;
; Lock order: none.

TRAMPOLINE_CODE        equ 0x8000
P                      equ 0x9000   ; parameter page
P_GDT_POINTER          equ P + 32
P_CR3                  equ P + 48
P_STACK                equ P + 56
P_ENTRY                equ P + 64
P_CPU_INDEX            equ P + 72

section .trampoline progbits alloc noexec nowrite align=16
bits 16
global smp_trampoline_start
smp_trampoline_start:
	cli
	cld
	xor ax, ax
	mov ds, ax
	o32 lgdt [P_GDT_POINTER]
	mov eax, cr0
	or eax, 1
	mov cr0, eax
	jmp dword 0x08:(TRAMPOLINE_CODE + (trampoline_32 - smp_trampoline_start))

bits 32
trampoline_32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, (1 << 5)                  ; PAE
	mov cr4, eax
	mov eax, [P_CR3]
	mov cr3, eax
	mov ecx, 0xc0000080               ; IA32_EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)      ; LME, NXE
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | (1 << 5) ; PG, WP, NE
	mov cr0, eax
	jmp 0x18:(TRAMPOLINE_CODE + (trampoline_64 - smp_trampoline_start))

bits 64
trampoline_64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [P_STACK]
	mov rdi, [P_CPU_INDEX]
	mov rax, [P_ENTRY]
	call rax
.hang:
	cli
	hlt
	jmp .hang
global smp_trampoline_end
smp_trampoline_end:
