/*
 * tools/sim/classifier.c - builds the real guest classifier (sched/classify.h)
 * for the synthetic System.map of tools/sim/symbols.c, and exposes it as a
 * sched_classify_fn for machine.c, which sees only tools/sim/classifier.h.
 *
 * Lock order: none (built once before the run, then read-only).
 */
#include "tools/sim/classifier.h"

#include <stdio.h>
#include <stdlib.h>

#include "sched/classify.h"
#include "tools/sim/symbols.h"

#define SIM_CLASSIFIER_ARENA_SIZE (64 * 1024)

static struct sched_classifier sim_classifier_table;
static unsigned char sim_classifier_arena_storage[SIM_CLASSIFIER_ARENA_SIZE];
static int sim_classifier_ready;

const void *sim_classifier_get(const char *rules_name)
{
	struct sched_arena arena;
	struct sched_error error;
	const struct sched_rules *rules;
	size_t length;
	const char *text;

	if (sim_classifier_ready)
		return &sim_classifier_table;
	text = sim_symbols_map_text(&length);
	sched_arena_init(&arena, sim_classifier_arena_storage,
	                 sizeof(sim_classifier_arena_storage));
	if (sched_classifier_parse_map(&sim_classifier_table, text, length, "schedsim-System.map",
	                               &arena, &error) != 0) {
		fprintf(stderr, "schedsim: %s\n", error.message);
		exit(2);
	}
	rules = sched_rules_builtin(rules_name);
	if (!rules) {
		fprintf(stderr, "schedsim: no built-in rules \"%s\"\n", rules_name);
		exit(2);
	}
	sched_classifier_apply(&sim_classifier_table, rules);
	sim_classifier_ready = 1;
	return &sim_classifier_table;
}

enum sched_category sim_classifier_classify(const void *context, uint64_t rip)
{
	return sched_classifier_lookup(context, rip);
}

const char *sim_classifier_category_name(enum sched_category category)
{
	return sched_category_name(category);
}

bool sim_classifier_locate(const void *context, uint64_t rip, uint64_t *function,
                           enum sched_category *category)
{
	return sched_classifier_locate(context, rip, function, category);
}

void sim_classifier_name(const void *context, uint64_t address, char *buffer, size_t size)
{
	struct sched_lookup found;

	if (sched_classifier_lookup_symbol(context, address, &found))
		snprintf(buffer, size, "%s", found.name);
	else
		snprintf(buffer, size, "0x%llx", (unsigned long long)address);
}
