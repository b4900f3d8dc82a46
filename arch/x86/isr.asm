; arch/x86/isr.asm - interrupt and exception entry stubs.
;
; Every vector 0..255 has a stub that pushes a uniform frame (an error code,
; 0 where the CPU pushes none, and the vector number), saves all general
; registers and calls trap_dispatch(struct trap_frame *) in arch/x86/trap.c.
; The layout must match struct trap_frame in arch/x86/trap.h.
;
; Lock order: none.

extern trap_dispatch

%macro STUB_NO_ERROR 1
isr_stub_%1:
	push qword 0
	push qword %1
	jmp isr_common
%endmacro

%macro STUB_ERROR 1
isr_stub_%1:
	push qword %1
	jmp isr_common
%endmacro

section .text
isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp
	mov rbx, rsp                    ; keep the frame; align the stack for C
	and rsp, -16
	call trap_dispatch
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16                     ; vector and error code
	iretq

%assign vector 0
%rep 256
%if vector == 8 || vector == 10 || vector == 11 || vector == 12 || vector == 13 || vector == 14 || vector == 17 || vector == 21 || vector == 29 || vector == 30
	STUB_ERROR vector
%else
	STUB_NO_ERROR vector
%endif
%assign vector vector + 1
%endrep

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign vector 0
%rep 256
	dq isr_stub_ %+ vector
%assign vector vector + 1
%endrep

; int arch_msr_read_safe(uint32_t msr, uint64_t *value)
; A #GP on the RDMSR resumes at the fixup, which returns -1.
section .text
global arch_msr_read_safe
arch_msr_read_safe:
	mov ecx, edi
msr_read_instruction:
	rdmsr
	shl rdx, 32
	mov eax, eax
	or rax, rdx
	mov [rsi], rax
	xor eax, eax
	ret
msr_read_fixup:
	mov eax, -1
	ret

section .exception_fixups progbits alloc noexec nowrite align=8
	dq msr_read_instruction, msr_read_fixup
