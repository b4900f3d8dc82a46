/*
 * vmx/mmio_decode.c - decoding the instruction of an MMIO access (see
 * mmio.h). Hardware independent: compiled into the host tests.
 *
 * Accepted: legacy prefixes (operand size, address size, segment, LOCK,
 * REP), one REX prefix in 64-bit code, and
 *   88/89 MOV r/m, r      8A/8B MOV r, r/m      C6/C7 /0 MOV r/m, imm
 *   A0-A3 MOV with a moffs operand              86/87 XCHG r/m, r
 *   0F B6/B7 MOVZX r, r/m8/16                   0F BE/BF MOVSX r, r/m8/16
 * with a memory operand in any 16-, 32- or 64-bit addressing form (the
 * address itself is not needed: the exit reports the guest-physical one).
 *
 * Lock order: none.
 */
#include "vmx/mmio.h"

#include <stddef.h>

struct mmio_cursor {
	const uint8_t *bytes;
	unsigned available, at;
	bool failed;
};

static uint8_t mmio_next(struct mmio_cursor *cursor)
{
	if (cursor->at >= cursor->available || cursor->at >= MMIO_MAX_INSTRUCTION) {
		cursor->failed = true;
		return 0;
	}
	return cursor->bytes[cursor->at++];
}

static uint64_t mmio_next_value(struct mmio_cursor *cursor, unsigned size)
{
	uint64_t value = 0;
	for (unsigned i = 0; i < size; i++)
		value |= (uint64_t)mmio_next(cursor) << (8 * i);
	return value;
}

/* Skip the ModRM memory operand (after the ModRM byte); false for a
 * register operand. */
static bool mmio_skip_memory_operand(struct mmio_cursor *cursor, uint8_t modrm,
                                     unsigned address_bits)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;
	if (mod == 3)
		return false;
	if (address_bits == 16) {
		if (mod == 1)
			cursor->at += 1;
		else if (mod == 2 || (mod == 0 && rm == 6))
			cursor->at += 2;
		return true;
	}
	if (rm == 4) {
		uint8_t sib = mmio_next(cursor);
		if (mod == 0 && (sib & 7) == 5)
			cursor->at += 4;
	}
	if (mod == 1)
		cursor->at += 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		cursor->at += 4;
	return true;
}

int mmio_decode(const uint8_t *bytes, unsigned available, unsigned code_bits,
                struct mmio_instruction *instruction, const char **why)
{
	struct mmio_cursor cursor = {bytes, available, 0, false};
	bool operand_prefix = false, address_prefix = false;
	uint8_t rex = 0, opcode;
	*instruction = (struct mmio_instruction){0};
	*why = "not an instruction uslice emulates on MMIO";
	for (;;) {
		opcode = mmio_next(&cursor);
		if (cursor.failed) {
			*why = "instruction longer than the bytes available";
			return -1;
		}
		if (opcode == 0x66)
			operand_prefix = true;
		else if (opcode == 0x67)
			address_prefix = true;
		else if (opcode == 0x26 || opcode == 0x2e || opcode == 0x36 || opcode == 0x3e ||
		         opcode == 0x64 || opcode == 0x65 || opcode == 0xf0 || opcode == 0xf2 ||
		         opcode == 0xf3)
			continue;
		else
			break;
	}
	if (code_bits == 64 && (opcode & 0xf0) == 0x40) {
		rex = opcode;
		opcode = mmio_next(&cursor);
	}
	bool rex_w = rex & 8;
	unsigned operand_size, address_bits;
	if (code_bits == 64) {
		operand_size = rex_w ? 8 : operand_prefix ? 2 : 4;
		address_bits = address_prefix ? 32 : 64;
	} else if (code_bits == 32) {
		operand_size = operand_prefix ? 2 : 4;
		address_bits = address_prefix ? 16 : 32;
	} else {
		operand_size = operand_prefix ? 4 : 2;
		address_bits = address_prefix ? 32 : 16;
	}
	bool two_byte = false;
	if (opcode == 0x0f) {
		two_byte = true;
		opcode = mmio_next(&cursor);
	}
	bool has_modrm = true;
	if (!two_byte) {
		switch (opcode) {
		case 0x88:
			instruction->operation = MMIO_STORE;
			instruction->size = 1;
			break;
		case 0x89:
			instruction->operation = MMIO_STORE;
			instruction->size = operand_size;
			break;
		case 0x8a:
			instruction->operation = MMIO_LOAD;
			instruction->size = 1;
			break;
		case 0x8b:
			instruction->operation = MMIO_LOAD;
			instruction->size = operand_size;
			break;
		case 0x86:
			instruction->operation = MMIO_EXCHANGE;
			instruction->size = 1;
			break;
		case 0x87:
			instruction->operation = MMIO_EXCHANGE;
			instruction->size = operand_size;
			break;
		case 0xc6:
		case 0xc7:
			instruction->operation = MMIO_STORE;
			instruction->size = opcode == 0xc6 ? 1 : operand_size;
			instruction->immediate_source = true;
			break;
		case 0xa0:
		case 0xa1:
		case 0xa2:
		case 0xa3:
			has_modrm = false;
			instruction->operation = opcode < 0xa2 ? MMIO_LOAD : MMIO_STORE;
			instruction->size = (opcode & 1) ? operand_size : 1;
			instruction->register_index = 0; /* AL / eAX */
			cursor.at += address_bits / 8;   /* the moffs */
			break;
		default:
			return -1;
		}
	} else {
		switch (opcode) {
		case 0xb6:
		case 0xb7:
		case 0xbe:
		case 0xbf:
			instruction->operation = MMIO_LOAD;
			instruction->size = (opcode & 1) ? 2 : 1;
			instruction->sign_extend = opcode >= 0xbe;
			break;
		default:
			return -1;
		}
	}
	instruction->register_size = two_byte ? operand_size : instruction->size;
	if (has_modrm) {
		uint8_t modrm = mmio_next(&cursor);
		unsigned reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
		if (instruction->immediate_source && ((modrm >> 3) & 7) != 0)
			return -1; /* C6/C7 with another /digit */
		if (!mmio_skip_memory_operand(&cursor, modrm, address_bits)) {
			*why = "register operand where memory was accessed";
			return -1;
		}
		instruction->register_index = reg;
		/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
		if (instruction->register_size == 1 && !rex && reg >= 4 && reg < 8 &&
		    !instruction->immediate_source) {
			instruction->high_byte = true;
			instruction->register_index = reg - 4;
		}
	}
	if (instruction->immediate_source) {
		unsigned immediate_size = instruction->size > 4 ? 4 : instruction->size;
		uint64_t immediate = mmio_next_value(&cursor, immediate_size);
		if (instruction->size == 8 && (immediate & 0x80000000u))
			immediate |= 0xffffffff00000000ull; /* imm32 sign-extended */
		instruction->immediate = immediate;
	}
	if (cursor.failed || cursor.at > cursor.available || cursor.at > MMIO_MAX_INSTRUCTION) {
		*why = "instruction longer than the bytes available";
		return -1;
	}
	instruction->length = cursor.at;
	*why = NULL;
	return 0;
}
