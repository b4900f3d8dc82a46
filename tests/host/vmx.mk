# tests/host/vmx.mk - host unit tests of the hardware-independent parts of
# vmx/: the xl.cfg subset parser, the Multiboot (v1) ELF loader, the exit
# qualification decoders (vmx/vmcs.h), the port registry (vmx/io.c), the MSR
# table (vmx/msr.c), the unknown-access tables (vmx/unknown.c) and the CPUID
# policy (vmx/cpuid.c), the CR0/CR4/CR8 checks (vmx/cr.h). test_vmx_loader also loads the real testos image
# when it has been built. io, msr and cpuid link tests/host/vmx_fake_env.c
# instead of the kernel (logging, vm_stop, #GP injection, the vLAPIC MSRs).
# test_vmx_bzimage (the Linux boot protocol loader, vmx/bzimage.c) links
# foundation.mk's renamed kernel/string.o for format_string, as does
# test_vmx_summary (the run summary's formatting, vmx/summary_format.c).

VMX_TESTS := build/host/test_vmx_config build/host/test_vmx_loader \
	build/host/test_vmx_qualification build/host/test_vmx_io \
	build/host/test_vmx_msr build/host/test_vmx_cpuid build/host/test_vmx_cr \
	build/host/test_vmx_bzimage build/host/test_vmx_summary
VMX_FAKE_ENV := tests/host/vmx_fake_env.c tests/host/vmx_fake_env.h vmx/unknown.c \
	vmx/unknown.h vmx/vm.h vmx/vmcs.h arch/x86/cpu.h tests/host/test.h
HOST_TESTS += $(VMX_TESTS)

build/host/test_vmx_config: tests/host/test_vmx_config.c vmx/config.c vmx/config.h \
		vmx/cpulist.c vmx/cpulist.h tests/host/test.h build/host/foundation/kernel_string.o
	@mkdir -p $(@D) && $(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c %.o,$^) -lm

build/host/test_vmx_loader: HOST_CFLAGS += -DTESTOS_ELF='"build/guests/testos/testos.elf"'
build/host/test_vmx_loader: tests/host/test_vmx_loader.c vmx/loader.c vmx/loader.h tests/host/test.h
	$(HOST_LINK)

# The real-header row reads guests/linux/build.sh's cache (--print builds
# nothing); it is skipped when the kernel was never built.
VMX_LINUX_CACHE := $(shell bash guests/linux/build.sh --print 2>/dev/null)
VMX_BZIMAGE_CACHE_FLAGS := \
	-DLINUX_BZIMAGE='"$(patsubst bzimage=%,%,$(filter bzimage=%,$(VMX_LINUX_CACHE)))"' \
	-DLINUX_INITRAMFS='"$(patsubst initramfs=%,%,$(filter initramfs=%,$(VMX_LINUX_CACHE)))"'
build/host/test_vmx_bzimage: tests/host/test_vmx_bzimage.c vmx/bzimage.c vmx/bzimage.h \
		vmx/guest_memory.c vmx/guest_memory.h vmx/entry.h kernel/string.h tests/host/test.h build/host/foundation/kernel_string.o
	@mkdir -p $(@D) && $(HOST_CC) $(HOST_CFLAGS) $(VMX_BZIMAGE_CACHE_FLAGS) -o $@ \
		$(filter %.c %.o,$^) -lm

build/host/test_vmx_summary: tests/host/test_vmx_summary.c vmx/summary_format.c vmx/summary.h \
		kernel/string.h tests/host/test.h build/host/foundation/kernel_string.o
	@mkdir -p $(@D) && $(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c %.o,$^) -lm

build/host/test_vmx_qualification: tests/host/test_vmx_qualification.c vmx/vmcs.h tests/host/test.h
	$(HOST_LINK)

build/host/test_vmx_io: tests/host/test_vmx_io.c vmx/io.c vmx/io.h $(VMX_FAKE_ENV)
	$(HOST_LINK)

build/host/test_vmx_msr: tests/host/test_vmx_msr.c vmx/msr.c vmx/msr.h $(VMX_FAKE_ENV)
	$(HOST_LINK)

build/host/test_vmx_cpuid: tests/host/test_vmx_cpuid.c vmx/cpuid.c vmx/cpuid.h $(VMX_FAKE_ENV)
	$(HOST_LINK)

build/host/test_vmx_cr: tests/host/test_vmx_cr.c vmx/cr.h vmx/exit.h arch/x86/cpu.h tests/host/test.h
	$(HOST_LINK)

# The pools.cfg parser and planner (vmx/pools.c): sched_policy_parse()
# needs the scheduler sources (and their fake environment).
HOST_TESTS += build/host/test_vmx_pools
build/host/test_vmx_pools: tests/host/test_vmx_pools.c vmx/pools.c vmx/pools.h vmx/cpulist.c \
		$(SCHED_TEST_DEPS) build/host/foundation/kernel_string.o
	@mkdir -p $(@D) && $(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c %.o,$^) -lm

# The xl console's command parser (vmx/xl_command.c; pCPU lists and
# parameter names from vmx/pools.c).
HOST_TESTS += build/host/test_vmx_xl_command
build/host/test_vmx_xl_command: tests/host/test_vmx_xl_command.c vmx/xl_command.c \
		vmx/xl_command.h vmx/pools.c vmx/pools.h vmx/cpulist.c $(SCHED_TEST_DEPS) \
		build/host/foundation/kernel_string.o
	@mkdir -p $(@D) && $(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c %.o,$^) -lm
