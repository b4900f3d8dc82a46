# tests/host/pci.mk - host unit tests of the host PCI scan (arch/x86/pci.c)
# and of device assignment (vmx/passthrough.c: the rules and the guest's
# view of an assigned function), built with HOST_CFLAGS (ASan + UBSan).
# Both use format_string from foundation.mk's renamed kernel/string.c
# object (see there why).

HOST_TESTS += build/host/test_pci

build/host/test_pci: tests/host/test_pci.c arch/x86/pci.c arch/x86/pci.h \
		tests/host/test.h kernel/string.h $(FOUNDATION_STRING_OBJECT)
	$(FOUNDATION_LINK)

HOST_TESTS += build/host/test_passthrough

build/host/test_passthrough: tests/host/test_passthrough.c vmx/passthrough.c vmx/passthrough.h \
		arch/x86/pci.c arch/x86/pci.h vmx/vpci.h vmx/config.h tests/host/test.h \
		kernel/string.h $(FOUNDATION_STRING_OBJECT)
	$(FOUNDATION_LINK)
