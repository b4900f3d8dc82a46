# guests/guests.mk - building the test guests (included from the Makefile).
#
# testos: a Multiboot (v1) ELF kernel in C with its own 32->64-bit boot
# code, built freestanding like the hypervisor, plus its System.map
# (nm format) generated from the linked image.

GUEST_BUILD  := $(BUILD)/guests
GUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -I. -ffreestanding -fno-pic \
                -fno-pie -fno-stack-protector -mno-red-zone -mgeneral-regs-only \
                -mcmodel=small -fno-asynchronous-unwind-tables -m64
TESTOS_OBJECTS := $(GUEST_BUILD)/testos/boot.o \
                  $(patsubst guests/testos/%.c,$(GUEST_BUILD)/testos/%.o,$(sort $(wildcard guests/testos/*.c)))

.PHONY: guests
guests: $(GUEST_BUILD)/testos/testos.elf $(GUEST_BUILD)/testos/System.map
all: guests

$(GUEST_BUILD)/testos/%.o: guests/testos/%.S
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/testos/%.o: guests/testos/%.c vmx/hypercall.h $(wildcard guests/testos/*.h)
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/testos/testos.elf: $(TESTOS_OBJECTS) guests/testos/linker.ld
	$(LD) -n -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	      -T guests/testos/linker.ld \
	      -o $@ $(TESTOS_OBJECTS)

$(GUEST_BUILD)/testos/System.map: $(GUEST_BUILD)/testos/testos.elf
	nm -n $< > $@

