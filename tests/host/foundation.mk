# tests/host/foundation.mk - host unit tests of the foundation code: the
# page allocator, the command-line parser, the ACPI parser and the string
# formatter (kernel/page_alloc.c, kernel/cmdline.c, arch/x86/acpi.c,
# kernel/string.c), built with HOST_CFLAGS (ASan + UBSan).
#
# kernel/string.c defines memcpy, strlen and the other C library names for
# the freestanding hypervisor. Linked as is into a host binary they would
# replace the C library's (and the sanitizer's checked versions) for the
# whole process. So kernel/string.c is compiled once, on its own, into
# build/host/foundation/kernel_string.o with every such name renamed to
# kernel_NAME by the preprocessor (FOUNDATION_STRING_RENAMES): the object
# then exports kernel_memcpy ... kernel_strchr, plus string_copy,
# format_string and format_string_va, which have no C library namesake.
# The code under test calls memcpy/memset/strcmp from the C library and
# format_string from that object; test_format calls the kernel_* versions
# directly to test them too. Nothing else is compiled with the renames.

FOUNDATION_STRING_OBJECT := build/host/foundation/kernel_string.o
FOUNDATION_STRING_RENAMES := -Dmemcpy=kernel_memcpy -Dmemmove=kernel_memmove \
	-Dmemset=kernel_memset -Dmemcmp=kernel_memcmp -Dstrlen=kernel_strlen \
	-Dstrnlen=kernel_strnlen -Dstrcmp=kernel_strcmp \
	-Dstrncmp=kernel_strncmp -Dstrchr=kernel_strchr

# Like HOST_LINK, but also links the prerequisite objects.
FOUNDATION_LINK = @mkdir -p $(@D) && $(HOST_CC) $(HOST_CFLAGS) -o $@ \
	$(filter %.c %.o,$^) -lm

$(FOUNDATION_STRING_OBJECT): kernel/string.c kernel/string.h \
		tests/host/foundation.mk
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(FOUNDATION_STRING_RENAMES) -c $< -o $@

FOUNDATION_COMMON := tests/host/test.h kernel/string.h $(FOUNDATION_STRING_OBJECT)

HOST_TESTS += build/host/test_page_alloc build/host/test_cmdline \
	build/host/test_acpi build/host/test_acpi_tables build/host/test_format

build/host/test_page_alloc: tests/host/test_page_alloc.c kernel/page_alloc.c \
		kernel/page_alloc.h kernel/lock.h arch/x86/cpu.h \
		boot/boot_info.h $(FOUNDATION_COMMON)
	$(FOUNDATION_LINK)

build/host/test_cmdline: tests/host/test_cmdline.c kernel/cmdline.c \
		kernel/cmdline.h $(FOUNDATION_COMMON)
	$(FOUNDATION_LINK)

build/host/test_acpi build/host/test_acpi_tables: build/host/%: tests/host/%.c arch/x86/acpi.c \
		arch/x86/acpi.h tests/host/acpi_fixture.h $(FOUNDATION_COMMON)
	$(FOUNDATION_LINK)

build/host/test_format: tests/host/test_format.c $(FOUNDATION_COMMON)
	$(FOUNDATION_LINK)
