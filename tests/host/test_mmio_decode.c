/*
 * tests/host/test_mmio_decode.c - table-driven tests of mmio_decode()
 * (vmx/mmio_decode.c): each row is an instruction as assembled by GNU as,
 * the code size it runs in, and the decoding expected.
 *
 * Lock order: none.
 */
#include "vmx/mmio.h"

#include "tests/host/test.h"

struct decode_row {
	const char *text; /* the assembly, for messages */
	uint8_t bytes[15];
	unsigned count, code_bits;
	int result;
	enum mmio_operation operation;
	unsigned length, size, register_size, register_index;
	bool high_byte, immediate_source, sign_extend;
	uint64_t immediate;
};

static const struct decode_row decode_rows[] = {
    /* testos's accessors: movl (%reg), %reg and movl %reg, (%reg) */
    {"mov (%rax),%eax", {0x8b, 0x00}, 2, 64, 0, MMIO_LOAD, 2, 4, 4, 0, false, false, false, 0},
    {"mov %ecx,(%rdx)", {0x89, 0x0a}, 2, 64, 0, MMIO_STORE, 2, 4, 4, 1, false, false, false, 0},
    /* Linux: native_apic_mem_write, readl with a displacement, r8-r15 */
    {"mov %r9d,0x300(%rax)",
     {0x44, 0x89, 0x88, 0x00, 0x03, 0x00, 0x00},
     7,
     64,
     0,
     MMIO_STORE,
     7,
     4,
     4,
     9,
     false,
     false,
     false,
     0},
    {"mov 0xb0(%r12),%eax",
     {0x41, 0x8b, 0x84, 0x24, 0xb0, 0x00, 0x00, 0x00},
     8,
     64,
     0,
     MMIO_LOAD,
     8,
     4,
     4,
     0,
     false,
     false,
     false,
     0},
    /* moffs: movabs 0xfee00020,%eax */
    {"movabs 0xfee00020,%eax",
     {0xa1, 0x20, 0x00, 0xe0, 0xfe, 0, 0, 0, 0},
     9,
     64,
     0,
     MMIO_LOAD,
     9,
     4,
     4,
     0,
     false,
     false,
     false,
     0},
    /* immediate stores */
    {"movl $0x0,0xb0(%rax)",
     {0xc7, 0x80, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
     10,
     64,
     0,
     MMIO_STORE,
     10,
     4,
     4,
     0,
     false,
     true,
     false,
     0},
    {"movq $-1,(%rdi)",
     {0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff},
     7,
     64,
     0,
     MMIO_STORE,
     7,
     8,
     8,
     0,
     false,
     true,
     false,
     0xffffffffffffffffull},
    {"movb $0x5,(%rsi)",
     {0xc6, 0x06, 0x05},
     3,
     64,
     0,
     MMIO_STORE,
     3,
     1,
     1,
     0,
     false,
     true,
     false,
     5},
    /* RIP-relative and SIB without base */
    {"mov 0x10(%rip),%edx",
     {0x8b, 0x15, 0x10, 0x00, 0x00, 0x00},
     6,
     64,
     0,
     MMIO_LOAD,
     6,
     4,
     4,
     2,
     false,
     false,
     false,
     0},
    {"mov 0xfec00010(,%eiz,1),%ebx",
     {0x67, 0x8b, 0x1c, 0x25, 0x10, 0x00, 0xc0, 0xfe},
     8,
     64,
     0,
     MMIO_LOAD,
     8,
     4,
     4,
     3,
     false,
     false,
     false,
     0},
    /* byte and word forms, high-byte registers, MOVZX/MOVSX */
    {"mov (%rbx),%ah", {0x8a, 0x23}, 2, 64, 0, MMIO_LOAD, 2, 1, 1, 0, true, false, false, 0},
    {"mov (%rbx),%spl",
     {0x40, 0x8a, 0x23},
     3,
     64,
     0,
     MMIO_LOAD,
     3,
     1,
     1,
     4,
     false,
     false,
     false,
     0},
    {"mov %ax,(%rbx)",
     {0x66, 0x89, 0x03},
     3,
     64,
     0,
     MMIO_STORE,
     3,
     2,
     2,
     0,
     false,
     false,
     false,
     0},
    {"movzwl (%rdi),%eax",
     {0x0f, 0xb7, 0x07},
     3,
     64,
     0,
     MMIO_LOAD,
     3,
     2,
     4,
     0,
     false,
     false,
     false,
     0},
    {"movsbq 0x1(%rdi),%r10",
     {0x4c, 0x0f, 0xbe, 0x57, 0x01},
     5,
     64,
     0,
     MMIO_LOAD,
     5,
     1,
     8,
     10,
     false,
     false,
     true,
     0},
    /* XCHG (Linux's X86_BUG_11AP path) */
    {"xchg %eax,0x300(%rdx)",
     {0x87, 0x82, 0x00, 0x03, 0x00, 0x00},
     6,
     64,
     0,
     MMIO_EXCHANGE,
     6,
     4,
     4,
     0,
     false,
     false,
     false,
     0},
    /* 32-bit and 16-bit code */
    {"mov %eax,0xfee000b0 (32-bit)",
     {0x89, 0x05, 0xb0, 0x00, 0xe0, 0xfe},
     6,
     32,
     0,
     MMIO_STORE,
     6,
     4,
     4,
     0,
     false,
     false,
     false,
     0},
    {"mov (%bx),%eax (16-bit)",
     {0x66, 0x8b, 0x07},
     3,
     16,
     0,
     MMIO_LOAD,
     3,
     4,
     4,
     0,
     false,
     false,
     false,
     0},
    {"mov 0x1234,%ax (16-bit)",
     {0x8b, 0x06, 0x34, 0x12},
     4,
     16,
     0,
     MMIO_LOAD,
     4,
     2,
     2,
     0,
     false,
     false,
     false,
     0},
    /* refusals */
    {"add %eax,(%rbx)", {0x01, 0x03}, 2, 64, -1, MMIO_LOAD, 0, 0, 0, 0, false, false, false, 0},
    {"mov %eax,%ebx (register form)",
     {0x89, 0xc3},
     2,
     64,
     -1,
     MMIO_LOAD,
     0,
     0,
     0,
     0,
     false,
     false,
     false,
     0},
    {"movl $..,(%rax) truncated",
     {0xc7, 0x00, 0x01},
     3,
     64,
     -1,
     MMIO_LOAD,
     0,
     0,
     0,
     0,
     false,
     false,
     false,
     0},
    {"c7 /1 is not MOV",
     {0xc7, 0x08, 0, 0, 0, 0},
     6,
     64,
     -1,
     MMIO_LOAD,
     0,
     0,
     0,
     0,
     false,
     false,
     false,
     0},
};

static void test_decode_table(void)
{
	for (unsigned i = 0; i < sizeof(decode_rows) / sizeof(decode_rows[0]); i++) {
		const struct decode_row *row = &decode_rows[i];
		struct mmio_instruction instruction;
		const char *why;
		int result =
		    mmio_decode(row->bytes, row->count, row->code_bits, &instruction, &why);
		if (result != row->result) {
			TEST_FAIL_("%s: result %d, expected %d (%s)", row->text, result,
			           row->result, why ? why : "");
			continue;
		}
		if (result != 0) {
			CHECK(why != NULL);
			continue;
		}
		if (instruction.operation != row->operation || instruction.length != row->length ||
		    instruction.size != row->size ||
		    instruction.register_size != row->register_size ||
		    instruction.register_index != row->register_index ||
		    instruction.high_byte != row->high_byte ||
		    instruction.immediate_source != row->immediate_source ||
		    instruction.sign_extend != row->sign_extend ||
		    (row->immediate_source && instruction.immediate != row->immediate))
			TEST_FAIL_(
			    "%s: got operation %d length %u size %u/%u register %u high %d "
			    "immediate %d/%llx sign %d",
			    row->text, instruction.operation, instruction.length, instruction.size,
			    instruction.register_size, instruction.register_index,
			    instruction.high_byte, instruction.immediate_source,
			    (unsigned long long)instruction.immediate, instruction.sign_extend);
	}
}

/* Prefixes never make the decoder read past the bytes it was given. */
static void test_decode_prefix_limit(void)
{
	uint8_t bytes[15];
	memset(bytes, 0x66, sizeof(bytes));
	struct mmio_instruction instruction;
	const char *why;
	CHECK_EQ(mmio_decode(bytes, sizeof(bytes), 64, &instruction, &why), -1);
	CHECK_CONTAINS(why, "longer");
	uint8_t load[] = {0x8b, 0x80, 0x00};
	CHECK_EQ(mmio_decode(load, sizeof(load), 64, &instruction, &why), -1);
}

int main(void)
{
	TEST_RUN(test_decode_table);
	TEST_RUN(test_decode_prefix_limit);
	return test_summary("test_mmio_decode");
}
