/*
 * vmx/entry.c - the VM entry and VM exit paths in assembly.
 *
 * vmx_enter(registers, launched) saves the host's callee-saved registers,
 * records the stack pointer in HOST_RSP, loads the guest's general
 * registers and CR2 from `registers` (struct vmx_guest_registers, vm.h)
 * and executes VMLAUNCH or VMRESUME. A VM exit lands in vmx_exit_entry
 * (HOST_RIP) on that same stack: it stores the guest registers back and
 * returns 0 from vmx_enter(). If the instruction fails, vmx_enter()
 * returns 1 (VMfailInvalid) or 2 (VMfailValid).
 *
 * Interrupts must be disabled by the caller. Lock order: none.
 */
#include "vmx/vmx.h"

_Static_assert(__builtin_offsetof(struct vmx_guest_registers, rdi) == 40, "rdi offset");
_Static_assert(__builtin_offsetof(struct vmx_guest_registers, r15) == 112, "r15 offset");
_Static_assert(__builtin_offsetof(struct vmx_guest_registers, cr2) == 120, "cr2 offset");

__asm__(".text\n"
        ".global vmx_enter\n"
        ".type vmx_enter, @function\n"
        "vmx_enter:\n"
        "	push %rbp\n"
        "	push %rbx\n"
        "	push %r12\n"
        "	push %r13\n"
        "	push %r14\n"
        "	push %r15\n"
        "	push %rdi\n"
        "	mov $0x6c14, %eax\n" /* VMCS_HOST_RSP */
        "	vmwrite %rsp, %rax\n"
        "	mov 120(%rdi), %rax\n"
        "	mov %rax, %cr2\n"
        "	test %esi, %esi\n"
        "	mov 0(%rdi), %rax\n"
        "	mov 8(%rdi), %rbx\n"
        "	mov 16(%rdi), %rcx\n"
        "	mov 24(%rdi), %rdx\n"
        "	mov 32(%rdi), %rsi\n"
        "	mov 48(%rdi), %rbp\n"
        "	mov 56(%rdi), %r8\n"
        "	mov 64(%rdi), %r9\n"
        "	mov 72(%rdi), %r10\n"
        "	mov 80(%rdi), %r11\n"
        "	mov 88(%rdi), %r12\n"
        "	mov 96(%rdi), %r13\n"
        "	mov 104(%rdi), %r14\n"
        "	mov 112(%rdi), %r15\n"
        "	mov 40(%rdi), %rdi\n"
        "	jnz 1f\n"
        "	vmlaunch\n"
        "	jmp 2f\n"
        "1:	vmresume\n"
        "2:	pushfq\n"
        "	pop %rax\n"
        "	pop %rdi\n"
        "	pop %r15\n"
        "	pop %r14\n"
        "	pop %r13\n"
        "	pop %r12\n"
        "	pop %rbx\n"
        "	pop %rbp\n"
        "	mov %eax, %edx\n"
        "	mov $1, %eax\n"
        "	test $1, %dl\n"
        "	jnz 3f\n"
        "	mov $2, %eax\n"
        "3:	ret\n"
        ".size vmx_enter, . - vmx_enter\n"
        "\n"
        ".global vmx_exit_entry\n"
        ".type vmx_exit_entry, @function\n"
        "vmx_exit_entry:\n"
        "	push %rdi\n"
        "	mov 8(%rsp), %rdi\n"
        "	mov %rax, 0(%rdi)\n"
        "	mov %rbx, 8(%rdi)\n"
        "	mov %rcx, 16(%rdi)\n"
        "	mov %rdx, 24(%rdi)\n"
        "	mov %rsi, 32(%rdi)\n"
        "	mov %rbp, 48(%rdi)\n"
        "	mov %r8, 56(%rdi)\n"
        "	mov %r9, 64(%rdi)\n"
        "	mov %r10, 72(%rdi)\n"
        "	mov %r11, 80(%rdi)\n"
        "	mov %r12, 88(%rdi)\n"
        "	mov %r13, 96(%rdi)\n"
        "	mov %r14, 104(%rdi)\n"
        "	mov %r15, 112(%rdi)\n"
        "	pop %rax\n"
        "	mov %rax, 40(%rdi)\n"
        "	mov %cr2, %rax\n"
        "	mov %rax, 120(%rdi)\n"
        "	pop %rdi\n"
        "	pop %r15\n"
        "	pop %r14\n"
        "	pop %r13\n"
        "	pop %r12\n"
        "	pop %rbx\n"
        "	pop %rbp\n"
        "	xor %eax, %eax\n"
        "	ret\n"
        ".size vmx_exit_entry, . - vmx_exit_entry\n");
