/*
 * boot/efi/image.S - the hypervisor ELF image carried inside the UEFI
 * application, in its own section; boot/efi/loader.c loads it.
 */
	.section .uslice_image, "a"
	.balign 4096
	.global uslice_image_start, uslice_image_end
uslice_image_start:
	.incbin USLICE_IMAGE
uslice_image_end:
	.section .note.GNU-stack, "", @progbits
