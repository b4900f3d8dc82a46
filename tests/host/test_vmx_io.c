/*
 * tests/host/test_vmx_io.c - the port device registry (vmx/io.c) and the
 * unknown-access tables (vmx/unknown.c): registration order, overlap and
 * capacity refusals, lookup by port, the unclaimed-port policy (an IN
 * reads all ones, an OUT is dropped, both counted per port), handlers that
 * decline a width, the bounded table's overflow and the IOUNKNOWN report.
 *
 * Lock order: none.
 */
#include "tests/host/test.h"
#include "tests/host/vmx_fake_env.h"
#include "vmx/io.h"

static struct vm vm;
static struct vcpu vcpu;
static unsigned handled;

static enum vm_io_result echo_io(struct vcpu *v, uint16_t port, unsigned size, bool in,
                                 uint32_t *value)
{
	(void)v;
	(void)size;
	handled++;
	if (in)
		*value = port;
	return VM_IO_DONE;
}

static enum vm_io_result bytes_only_io(struct vcpu *v, uint16_t port, unsigned size, bool in,
                                       uint32_t *value)
{
	return size == 1 ? echo_io(v, port, size, in, value) : VM_IO_UNCLAIMED;
}

static void test_register_and_find(void)
{
	fake_reset(&vm, &vcpu, "io");
	static const struct {
		uint16_t first, count;
		int result;
	} rows[] = {
	    {0x40, 4, 0}, {0x20, 2, 0}, {0x3f8, 8, 0}, {0x43, 1, -1},     {0x3f0, 9, -1},
	    {0x22, 2, 0}, {0x1f, 1, 0}, {0x80, 0, -1}, {0xfff0, 0x10, 0}, {0xfff8, 0x10, -1},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_EQ(vmx_io_register(&vm, rows[i].first, rows[i].count, echo_io),
		         rows[i].result);
	CHECK_EQ(vm.io_count, 6);
	for (uint32_t i = 1; i < vm.io_count; i++) /* sorted, disjoint */
		CHECK((uint32_t)vm.io[i - 1].first_port + vm.io[i - 1].count <=
		      vm.io[i].first_port);
	static const struct {
		uint16_t port;
		int first; /* first_port of the hook found, -1 none */
	} lookups[] = {
	    {0x1f, 0x1f}, {0x20, 0x20},     {0x21, 0x20}, {0x22, 0x22}, {0x24, -1},
	    {0x3f, -1},   {0x43, 0x40},     {0x44, -1},   {0x3f7, -1},  {0x3ff, 0x3f8},
	    {0x400, -1},  {0xffff, 0xfff0}, {0, -1},
	};
	for (unsigned i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		const struct vm_io_hook *hook = vmx_io_find(&vm, lookups[i].port);
		CHECK_EQ(hook ? hook->first_port : -1, lookups[i].first);
	}
}

static void test_table_full(void)
{
	fake_reset(&vm, &vcpu, "io");
	for (unsigned i = 0; i < VM_IO_HOOKS; i++)
		CHECK_EQ(vmx_io_register(&vm, (uint16_t)(0x100 + 2 * i), 1, echo_io), 0);
	CHECK_EQ(vmx_io_register(&vm, 0x10, 1, echo_io), -1);
	CHECK_EQ(vmx_io_register(&vm, 0x20, 1, NULL), -1);
	CHECK_EQ(vm.io_count, VM_IO_HOOKS);
}

static void test_access_and_unknown(void)
{
	fake_reset(&vm, &vcpu, "io");
	handled = 0;
	CHECK_EQ(vmx_io_register(&vm, 0x40, 4, bytes_only_io), 0);
	static const struct {
		uint16_t port;
		unsigned size;
		bool in;
		uint32_t before, after;
		enum vm_io_result result;
	} rows[] = {
	    {0x41, 1, true, 0xff, 0x41, VM_IO_DONE},
	    {0x41, 2, true, 0xffff, 0xffff, VM_IO_UNCLAIMED}, /* the handler declines */
	    {0x70, 1, true, 0xff, 0xff, VM_IO_UNCLAIMED},     /* nobody: all ones */
	    {0x70, 1, false, 0x12, 0x12, VM_IO_UNCLAIMED},
	    {0x70, 4, true, 0xffffffff, 0xffffffff, VM_IO_UNCLAIMED},
	    {0xcf8, 4, false, 0x80000000, 0x80000000, VM_IO_UNCLAIMED},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint32_t value = rows[i].before;
		CHECK_EQ(vmx_io_access(&vcpu, rows[i].port, rows[i].size, rows[i].in, &value),
		         rows[i].result);
		CHECK_EQ(value, rows[i].after);
	}
	CHECK_EQ(handled, 1);
	CHECK_EQ(vcpu.io_unknown, 5);
	const struct vm_unknown_entry *e = vm_unknown_find(&vm.unknown_ports, 0x70);
	CHECK(e != NULL);
	CHECK_EQ(e ? e->reads : 0, 2);
	CHECK_EQ(e ? e->writes : 0, 1);
	e = vm_unknown_find(&vm.unknown_ports, 0x41);
	CHECK_EQ(e ? e->reads : 0, 1);
	CHECK(vm_unknown_find(&vm.unknown_ports, 0x40) == NULL);
	vmx_io_report(&vm);
	CHECK_STR(fake_log, "IOUNKNOWN vm=io port=0x41 reads=1 writes=0\n"
	                    "IOUNKNOWN vm=io port=0x70 reads=2 writes=1\n"
	                    "IOUNKNOWN vm=io port=0xcf8 reads=0 writes=1\n");
}

static void test_unknown_overflow(void)
{
	fake_reset(&vm, &vcpu, "io");
	for (uint32_t id = VM_UNKNOWN_ENTRIES + 2; id > 0; id--) /* ids out of order */
		vm_unknown_count(&vm.unknown_ports, id, id & 1);
	vm_unknown_count(&vm.unknown_ports, 0, false); /* id 0 is an id like any other */
	vm_unknown_count(&vm.unknown_ports, VM_UNKNOWN_ENTRIES + 2, true);
	CHECK_EQ(vm.unknown_ports.overflow_reads, 2);  /* ids 2 and 0 */
	CHECK_EQ(vm.unknown_ports.overflow_writes, 1); /* id 1 */
	CHECK(vm_unknown_find(&vm.unknown_ports, 0) == NULL);
	const struct vm_unknown_entry *e =
	    vm_unknown_find(&vm.unknown_ports, VM_UNKNOWN_ENTRIES + 2);
	CHECK_EQ(e ? e->writes : 0, 1);
	CHECK_EQ(e ? e->reads : 0, 1);
	vmx_io_report(&vm);
	CHECK_CONTAINS(fake_log, "IOUNKNOWN vm=io port=0x3 reads=0 writes=1\n"
	                         "IOUNKNOWN vm=io port=0x4 reads=1 writes=0\n");
	CHECK_CONTAINS(fake_log, "IOUNKNOWN vm=io port=0x12 reads=1 writes=1\n"
	                         "IOUNKNOWN vm=io port=other reads=2 writes=1\n");
	CHECK(strstr(fake_log, "port=0x2 ") == NULL); /* 1 and 2 did not fit */
}

int main(void)
{
	TEST_RUN(test_register_and_find);
	TEST_RUN(test_table_full);
	TEST_RUN(test_access_and_unknown);
	TEST_RUN(test_unknown_overflow);
	return test_summary("test_vmx_io");
}
