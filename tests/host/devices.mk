# tests/host/devices.mk - host unit tests of the device models: the virtual
# LAPIC and router (vmx/vlapic.c), the virtual IOAPIC (vmx/vioapic.c) and the
# guest ACPI tables (vmx/guest_acpi.c), built with HOST_CFLAGS (ASan+UBSan).
#
# test_guest_acpi parses the tables it builds with the hypervisor's own ACPI
# parser (arch/x86/acpi.c), which calls format_string from kernel/string.c.
# That object is foundation.mk's renamed build of kernel/string.c (see
# there why): this fragment is read before foundation.mk, so the path is
# spelled out here rather than taken from FOUNDATION_STRING_OBJECT, and the
# rule that builds it stays in foundation.mk.

DEVICES_STRING_OBJECT := build/host/foundation/kernel_string.o
DEVICES_LINK = @mkdir -p $(@D) && $(HOST_CC) $(HOST_CFLAGS) -o $@ \
	$(filter %.c %.o,$^) -lm

HOST_TESTS += build/host/test_vlapic build/host/test_vlapic_registers build/host/test_vioapic \
	build/host/test_guest_acpi build/host/test_vmx_vlapic

build/host/test_vlapic build/host/test_vlapic_registers: build/host/%: tests/host/%.c \
		tests/host/vlapic_fixture.h vmx/vlapic.c vmx/vlapic.h vmx/vlapic_timer.c vmx/vlapic_timer.h \
		kernel/string.h tests/host/test.h
	$(HOST_LINK)

build/host/test_vmx_vlapic: tests/host/test_vmx_vlapic.c vmx/vlapic.c vmx/vlapic.h vmx/vlapic_timer.c vmx/vlapic_timer.h \
		kernel/string.h tests/host/test.h
	$(HOST_LINK)

build/host/test_vioapic: tests/host/test_vioapic.c vmx/vioapic.c \
		vmx/vioapic.h vmx/vlapic.c vmx/vlapic.h vmx/vlapic_timer.c vmx/vlapic_timer.h kernel/string.h \
		tests/host/test.h
	$(HOST_LINK)

build/host/test_guest_acpi: tests/host/test_guest_acpi.c vmx/guest_acpi.c \
		vmx/guest_acpi.h arch/x86/acpi.c arch/x86/acpi.h kernel/string.h \
		tests/host/test.h $(DEVICES_STRING_OBJECT)
	$(DEVICES_LINK)

HOST_TESTS += build/host/test_vpci

build/host/test_vpci: tests/host/test_vpci.c vmx/vpci.c vmx/vpci.h kernel/string.h \
		tests/host/test.h
	$(HOST_LINK)

HOST_TESTS += build/host/test_vrtc

build/host/test_vrtc: tests/host/test_vrtc.c vmx/vrtc.c vmx/vrtc.h kernel/string.h \
		tests/host/test.h
	$(HOST_LINK)

HOST_TESTS += build/host/test_vuart

build/host/test_vuart: tests/host/test_vuart.c vmx/vuart_model.c vmx/vuart_model.h \
		kernel/string.h tests/host/test.h
	$(HOST_LINK)
