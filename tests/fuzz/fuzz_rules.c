/*
 * tests/fuzz/fuzz_rules.c - libFuzzer target for the rules-file parser and
 * the pattern matcher (sched/rules.c).
 *
 * For every input: a rejected file must leave a one-line, NUL-terminated
 * message naming the file and a line within the input, and must not have
 * allocated from the arena; an accepted file must yield well-formed rules
 * (patterns NUL-terminated, of their recorded length, with '*' only at the
 * ends) that classify a fixed symbol table consistently with
 * sched_rules_match(). Sanitizers (address, undefined) catch the rest.
 *
 * Lock order: none (single-threaded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/classify.h"

static uint8_t arena_memory[1u << 22];
static uint8_t map_memory[1u << 16];

#define REQUIRE(condition)                                                                         \
	do {                                                                                       \
		if (!(condition)) {                                                                \
			fprintf(stderr, "fuzz_rules: %s failed (%s:%d)\n", #condition, __FILE__,   \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const char map_text[] = "ffffffff81001000 T _raw_spin_lock\n"
                               "ffffffff81001010 T _raw_spin_unlock_irqrestore\n"
                               "ffffffff81001020 T smp_call_function_many_cond\n"
                               "ffffffff81001030 t mutex_spin_on_owner\n"
                               "ffffffff81001040 T native_safe_halt\n"
                               "ffffffff81001040 T __cpuidle_text_start\n"
                               "ffffffff81001050 T a\n"
                               "ffffffff81001060 T schedule\n"
                               "ffffffff81001070 T _etext\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sched_classifier classifier;
	static bool map_ready;
	struct sched_arena arena;
	struct sched_rules rules;
	struct sched_error error;
	size_t lines = 0;

	if (!map_ready) {
		struct sched_arena map_arena;

		sched_arena_init(&map_arena, map_memory, sizeof(map_memory));
		REQUIRE(sched_classifier_parse_map(&classifier, map_text, strlen(map_text), "m.map",
		                                   &map_arena, &error) == 0);
		map_ready = true;
	}
	sched_arena_init(&arena, arena_memory, sizeof(arena_memory));
	memset(&error, 0, sizeof(error));
	if (sched_rules_parse(&rules, (const char *)data, size, "f.rules", &arena, &error) != 0) {
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		REQUIRE(arena.used == 0);
		REQUIRE(memchr(error.message, '\0', sizeof(error.message)));
		REQUIRE(strncmp(error.message, "f.rules", 7) == 0);
		REQUIRE(strchr(error.message, '\n') == NULL);
		REQUIRE(error.line <= lines + 1);
		return 0;
	}
	for (size_t i = 0; i < rules.count; i++) {
		const struct sched_rule *rule = &rules.rules[i];

		REQUIRE(strlen(rule->pattern) == rule->length);
		REQUIRE(rule->length >= 1);
		REQUIRE(rule->category < SCHED_CATEGORY_COUNT);
		for (size_t k = 1; k + 1 < rule->length; k++)
			REQUIRE(rule->pattern[k] != '*');
	}
	sched_classifier_apply(&classifier, &rules);
	for (size_t i = 0; i < classifier.count; i++) {
		const struct sched_symbol *symbol = &classifier.symbols[i];
		const char *name = classifier.names + symbol->name_offset;
		uint8_t expected = SCHED_CATEGORY_NONE;

		for (size_t rule = rules.count; rule-- > 0;) {
			if (sched_rules_match(rules.rules[rule].pattern, name,
			                      symbol->name_length)) {
				expected = rules.rules[rule].category;
				break;
			}
		}
		REQUIRE(symbol->own_category == expected);
		if (symbol->flags & SCHED_SYMBOL_REPRESENTATIVE)
			REQUIRE(sched_classifier_lookup(&classifier, symbol->address) ==
			        symbol->category);
	}
	return 0;
}
