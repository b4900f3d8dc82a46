# tests/host/mmio.mk - host unit test of the MMIO instruction decoder
# (vmx/mmio_decode.c): the MOV/XCHG/MOVZX forms compilers and Linux use on
# device registers, their lengths, operands and the refusals.

HOST_TESTS += build/host/test_mmio_decode

build/host/test_mmio_decode: tests/host/test_mmio_decode.c vmx/mmio_decode.c vmx/mmio.h tests/host/test.h
	$(HOST_LINK)
