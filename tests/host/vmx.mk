# tests/host/vmx.mk - host unit tests of the hardware-independent parts of
# vmx/: the xl.cfg subset parser and the Multiboot (v1) ELF loader.
# test_vmx_loader also loads the real testos image when it has been built.

VMX_TESTS := build/host/test_vmx_config build/host/test_vmx_loader
HOST_TESTS += $(VMX_TESTS)

build/host/test_vmx_config: tests/host/test_vmx_config.c vmx/config.c vmx/config.h tests/host/test.h
	$(HOST_LINK)

build/host/test_vmx_loader: HOST_CFLAGS += -DTESTOS_ELF='"build/guests/testos/testos.elf"'
build/host/test_vmx_loader: tests/host/test_vmx_loader.c vmx/loader.c vmx/loader.h tests/host/test.h
	$(HOST_LINK)
