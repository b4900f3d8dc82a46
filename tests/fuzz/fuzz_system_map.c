/*
 * tests/fuzz/fuzz_system_map.c - libFuzzer target for the System.map parser
 * and the lookups built on it (sched/symbols.c, sched/rules.c).
 *
 * For every input: a rejected map must leave a one-line, NUL-terminated
 * message naming the file and a line within the input, and must not have
 * allocated from the arena; an accepted map must satisfy the table's
 * invariants (sorted, one representative per address, categories uniform
 * per address, `last` at or above the highest symbol) and every lookup must agree
 * with the extents. Sanitizers (address, undefined) catch the rest.
 * Build and run: make fuzz-smoke / make fuzz (tests/host/classify.mk).
 *
 * Lock order: none (single-threaded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/classify.h"

static uint8_t arena_memory[1u << 22];

#define REQUIRE(condition)                                                                         \
	do {                                                                                       \
		if (!(condition)) {                                                                \
			fprintf(stderr, "fuzz_system_map: %s failed (%s:%d)\n", #condition,        \
			        __FILE__, __LINE__);                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_rejected(const uint8_t *data, size_t size, const struct sched_arena *arena,
                           const struct sched_error *error)
{
	size_t lines = 0;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	REQUIRE(arena->used == 0);
	REQUIRE(memchr(error->message, '\0', sizeof(error->message)) != NULL);
	REQUIRE(strncmp(error->message, "f.map", 5) == 0);
	REQUIRE(strchr(error->message, '\n') == NULL);
	REQUIRE(error->line <= lines + 1);
}

static void check_lookup(const struct sched_classifier *classifier, uint64_t rip)
{
	struct sched_lookup found;
	char text[64];
	bool hit = sched_classifier_lookup_symbol(classifier, rip, &found);
	enum sched_category category = sched_classifier_lookup(classifier, rip);

	if (hit) {
		REQUIRE(found.address <= rip);
		REQUIRE(rip - found.address < found.size);
		REQUIRE(found.offset == rip - found.address);
		REQUIRE(found.category == category);
		REQUIRE(strlen(found.name) >= 1);
	} else {
		REQUIRE(category == SCHED_CATEGORY_NONE);
	}
	REQUIRE(sched_classifier_format_rip(classifier, rip, text, sizeof(text)) >= 1);
	REQUIRE(strlen(text) < sizeof(text));
}

static void check_accepted(const struct sched_classifier *classifier, uint64_t extra_rip)
{
	const struct sched_symbol *symbols = classifier->symbols;
	size_t addresses = 0;
	size_t classified = 0;

	REQUIRE(classifier->count > 0);
	REQUIRE(classifier->last >= symbols[classifier->count - 1].address);
	for (size_t i = 0; i < classifier->count; i++) {
		bool last =
		    i + 1 == classifier->count || symbols[i + 1].address != symbols[i].address;
		const char *name = classifier->names + symbols[i].name_offset;

		REQUIRE(strlen(name) == symbols[i].name_length);
		REQUIRE(symbols[i].name_length > 0);
		if (i > 0)
			REQUIRE(symbols[i - 1].address <= symbols[i].address);
		REQUIRE(!!(symbols[i].flags & SCHED_SYMBOL_REPRESENTATIVE) == last);
		if (!last)
			REQUIRE(symbols[i].category == symbols[i + 1].category);
		addresses += last;
	}
	REQUIRE(addresses == classifier->addresses);
	for (int category = 0; category < SCHED_CATEGORY_COUNT; category++)
		classified += classifier->classified[category];
	REQUIRE(classified == addresses);

	check_lookup(classifier, extra_rip);
	check_lookup(classifier, classifier->last);
	check_lookup(classifier, classifier->last + 1);
	REQUIRE(sched_classifier_lookup_symbol(classifier, classifier->last,
	                                       &(struct sched_lookup){0}));
	for (size_t i = 0; i < classifier->count && i < 64; i++) {
		uint64_t address = symbols[i].address;
		uint64_t found = 0;

		check_lookup(classifier, address);
		check_lookup(classifier, address - 1);
		check_lookup(classifier, address + 1);
		REQUIRE(sched_classifier_lookup(classifier, address) == symbols[i].category);
		REQUIRE(sched_classifier_find(
		            classifier, classifier->names + symbols[i].name_offset, &found) >= 1);
		REQUIRE(found <= address);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sched_arena arena;
	struct sched_classifier classifier;
	struct sched_error error;
	uint64_t extra_rip = 0;

	sched_arena_init(&arena, arena_memory, sizeof(arena_memory));
	memset(&error, 0, sizeof(error));
	if (sched_classifier_parse_map(&classifier, (const char *)data, size, "f.map", &arena,
	                               &error) != 0) {
		check_rejected(data, size, &arena, &error);
		return 0;
	}
	memcpy(&extra_rip, data, size < 8 ? size : 8);
	check_accepted(&classifier, extra_rip);
	for (size_t set = 0; sched_rules_builtin_at(set); set++) {
		sched_classifier_apply(&classifier, sched_rules_builtin_at(set));
		check_accepted(&classifier, extra_rip);
	}
	return 0;
}
