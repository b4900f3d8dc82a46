# tests/host/intx.mk - host unit tests of INTx forwarding (vmx/intx.c with
# the real vIOAPIC and vLAPIC models) and of the host IOAPIC routing rules
# (arch/x86/ioapic.c), built with HOST_CFLAGS (ASan + UBSan).

HOST_TESTS += build/host/test_intx

build/host/test_intx: tests/host/test_intx.c vmx/intx.c vmx/intx.h vmx/vioapic.c vmx/vioapic.h \
		vmx/vlapic.c vmx/vlapic.h vmx/vlapic_timer.c vmx/vlapic_timer.h arch/x86/ioapic.c \
		arch/x86/ioapic.h arch/x86/acpi.h kernel/string.h tests/host/test.h
	$(HOST_LINK)
