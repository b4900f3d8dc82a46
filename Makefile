# uslice - top-level build.
#
#   make            build build/uslice.elf (Multiboot2) and build/uslice.efi (UEFI)
#   make run        install dependencies, boot uslice in Bochs, print its results
#   make test       install dependencies, run every test (host, Bochs, QEMU)
#   make deps       install the Debian packages the build and the tests need
#
# Host unit tests are declared by fragments tests/host/*.mk: each appends its
# binaries to HOST_TESTS and gives a rule that links them with $(HOST_LINK).

BUILD      := build
CC         := gcc
LD         := ld
NASM       := nasm
OBJCOPY    := objcopy

# ---- the hypervisor (freestanding, identity mapped at 2 MiB) ----------------
KERNEL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. \
                 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
                 -mno-red-zone -mgeneral-regs-only -mcmodel=small \
                 -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
                 -MMD -MP
KERNEL_C_SOURCES := $(wildcard boot/*.c) $(wildcard arch/x86/*.c) \
                    $(wildcard kernel/*.c) $(wildcard vmx/*.c) $(wildcard sched/*.c)
KERNEL_ASM_SOURCES := boot/entry.asm $(wildcard arch/x86/*.asm)
KERNEL_OBJECTS := $(patsubst %.c,$(BUILD)/kernel-objects/%.o,$(KERNEL_C_SOURCES)) \
                  $(patsubst %.asm,$(BUILD)/kernel-objects/%.o,$(KERNEL_ASM_SOURCES))

# ---- the UEFI loader (GNU-EFI) that carries the same image -------------------
EFI_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -I. -I/usr/include/efi \
              -I/usr/include/efi/x86_64 -fpic -fshort-wchar -mno-red-zone \
              -ffreestanding -fno-stack-protector -DEFI_FUNCTION_WRAPPER \
              -DGNU_EFI_USE_MS_ABI -maccumulate-outgoing-args
EFI_LDS    := /usr/lib/elf_x86_64_efi.lds
EFI_CRT0   := /usr/lib/crt0-efi-x86_64.o

HOST_CC    ?= gcc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. \
               -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
HOST_LINK   = @mkdir -p $(@D) && $(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c,$^) -lm

# The first target is the default: plain `make` builds the hypervisor, not
# whatever an included fragment declares first.
.DEFAULT_GOAL := all
.PHONY: all kernel efi deps run test test-host test-e2e bench check format format-check clean
all: kernel efi

HOST_TESTS :=
include $(sort $(wildcard tests/host/*.mk))

kernel: $(BUILD)/uslice.elf
efi: $(BUILD)/uslice.efi

$(BUILD)/kernel-objects/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kernel-objects/%.o: %.asm
	@mkdir -p $(@D)
	$(NASM) -f elf64 -g -o $@ $<

$(BUILD)/uslice.elf: $(KERNEL_OBJECTS) linker.ld
	$(LD) -n -nostdlib -z max-page-size=0x1000 -z noexecstack -T linker.ld -o $@ $(KERNEL_OBJECTS)
	nm -n $@ > $(BUILD)/uslice.sym

$(BUILD)/efi/loader.o: boot/efi/loader.c boot/boot_info.h
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/efi/image.o: boot/efi/image.S $(BUILD)/uslice.elf
	@mkdir -p $(@D)
	$(CC) -c -DUSLICE_IMAGE='"$(BUILD)/uslice.elf"' $< -o $@

$(BUILD)/efi/loader.so: $(BUILD)/efi/loader.o $(BUILD)/efi/image.o
	$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -T $(EFI_LDS) $(EFI_CRT0) $^ \
	      -o $@ -L/usr/lib -lgnuefi -lefi

$(BUILD)/uslice.efi: $(BUILD)/efi/loader.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
	           -j .rela -j .reloc -j .rodata -j .uslice_image \
	           --target efi-app-x86_64 --subsystem=10 $< $@

-include $(KERNEL_OBJECTS:.o=.d)

deps:
	@tools/install-deps

run: deps all
	tools/uslice-compare --scenario default --policies "credit micro-dynamic"

# The benchmark figures of docs/results.md (docs/benchmarks.md): hours of
# Bochs runs, not part of `make test`. BENCH_ARGS=--quick for a short matrix.
bench: deps all
	@tools/install-deps python3-matplotlib
	tools/uslice-bench $(BENCH_ARGS)

test-host: $(HOST_TESTS)
	@tools/run-host-tests $(HOST_TESTS)

test-e2e: deps all
	tests/e2e/run-all

test: deps
	$(MAKE) all
	$(MAKE) check
	$(MAKE) test-host
	$(MAKE) fuzz-smoke
	tests/e2e/run-all

# Source checks that need no emulator: the format of every C file
# (.clang-format) and a docs/output.md row for every printed tag.
check: format-check
	@tools/check-docs

FORMATTED = $$(git ls-files '*.c' '*.h' | grep -v '^tests/fixtures/')

format:
	clang-format -i $(FORMATTED)

format-check:
	@files=$(FORMATTED); bad=$$(for f in $$files; do \
		clang-format --dry-run -Werror $$f >/dev/null 2>&1 || echo $$f; done); \
	total=$$(echo $$files | wc -w); count=$$(echo $$bad | wc -w); \
	for f in $$bad; do echo "FAIL format: $$f differs from .clang-format (make format)"; done; \
	echo "format: $$((total - count)) passed, $$count failed"; [ $$count -eq 0 ]

clean:
	rm -rf $(BUILD)
include guests/guests.mk
