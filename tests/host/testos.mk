# tests/host/testos.mk - host tests of testos's freestanding parts: its
# formatter (guests/testos/format.c), the one its RESULT lines go through.

HOST_TESTS += build/host/test_testos_format

build/host/test_testos_format: tests/host/test_testos_format.c guests/testos/format.c \
		guests/testos/format.h tests/host/test.h
	$(HOST_LINK)
