/*
 * guests/linux/probe64.S - a stand-in kernel for the Linux boot protocol:
 * the 64-bit entry point (load address + 0x200) of a synthetic bzImage that
 * guests/linux/probe.sh wraps around it. It checks what the 64-bit boot
 * protocol promises at entry - long mode (a 64-bit immediate, EFER.LMA),
 * RSI = the zero page (type_of_loader 0xff), the initrd and the command
 * line reachable through the identity map - prints one line on COM1 and
 * powers the VM off through ACPI PM1a (S5, port 0xb004).
 */
	.code64
	.text
	.globl probe_entry
probe_entry:
	movq %rsi, %rbx
	cmpb $0xff, 0x210(%rbx)          /* hdr.type_of_loader */
	jne fail
	movl 0x218(%rbx), %ecx           /* hdr.ramdisk_image */
	cmpb $'R', (%rcx)                /* the initrd's first byte */
	jne fail
	movl 0x228(%rbx), %ecx           /* hdr.cmd_line_ptr */
	cmpl $0x626f7270, (%rcx)         /* "prob" */
	jne fail
	movabsq $0x123456789abcdef0, %rax
	shrq $60, %rax
	cmpq $1, %rax
	jne fail
	movl $0xc0000080, %ecx           /* EFER */
	rdmsr
	testl $0x400, %eax               /* LMA */
	jz fail
	leaq good(%rip), %rsi
	jmp print
fail:
	leaq bad(%rip), %rsi
print:
	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	movw $0xb004, %dx
	movw $0x3400, %ax                /* SLP_TYP 5 (S5, the DSDT's _S5) | SLP_EN */
	outw %ax, %dx
	cli
	hlt
good:	.asciz "probe64: long mode, zero page, initrd and command line OK\n"
bad:	.asciz "probe64: FAIL\n"
