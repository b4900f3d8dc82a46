/*
 * tests/host/bench_classify.c - cost of one sched_classifier_lookup().
 *
 *   build/bench_classify MAP            lookups on a real System.map
 *   build/bench_classify --synthetic N  lookups on N generated text symbols
 *
 * Does 1,000,000 lookups of pseudo-random RIPs spread over the text and
 * prints the time per lookup and the binary-search depth. For an exact
 * instruction count run it under valgrind (make bench-classify does):
 *   valgrind --tool=callgrind build/bench_classify MAP
 * and divide sched_classifier_lookup's inclusive cost by its calls.
 * Not a test: it asserts nothing (beyond every lookup finding a symbol).
 *
 * Lock order: none (single-threaded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/classify.h"

#define LOOKUPS 1000000

static uint8_t arena_memory[16u << 20];

static char *load(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	char *text;
	long size;

	if (!file)
		return NULL;
	fseek(file, 0, SEEK_END);
	size = ftell(file);
	fseek(file, 0, SEEK_SET);
	text = malloc((size_t)size + 1);
	if (!text || fread(text, 1, (size_t)size, file) != (size_t)size) {
		fclose(file);
		free(text);
		return NULL;
	}
	fclose(file);
	*length = (size_t)size;
	return text;
}

/* N functions of 16..271 bytes from 0xffffffff81000000, as nm text. */
static char *synthesize(unsigned count, size_t *length)
{
	char *text = malloc((size_t)count * 48 + 1);
	uint64_t address = 0xffffffff81000000ull;
	uint32_t state = 12345;
	size_t used = 0;

	if (!text)
		return NULL;
	for (unsigned i = 0; i < count; i++) {
		used += (size_t)sprintf(text + used, "%016llx T function_%u\n",
		                        (unsigned long long)address, i);
		state = state * 1103515245u + 12345u;
		address += 16 + ((state >> 16) & 0xff);
	}
	*length = used;
	return text;
}

int main(int argc, char **argv)
{
	struct sched_arena arena;
	struct sched_classifier classifier;
	struct sched_error error;
	size_t length = 0;
	char *text;
	uint64_t low, span, state = 88172645463325252ull;
	unsigned found = 0, categories = 0, depth = 0;
	struct timespec begin, end;
	double seconds;

	if (argc == 3 && strcmp(argv[1], "--synthetic") == 0)
		text = synthesize((unsigned)strtoul(argv[2], NULL, 10), &length);
	else if (argc == 2)
		text = load(argv[1], &length);
	else {
		fprintf(stderr, "usage: bench_classify MAP | --synthetic N\n");
		return 2;
	}
	if (!text) {
		perror("bench_classify");
		return 1;
	}
	sched_arena_init(&arena, arena_memory, sizeof(arena_memory));
	if (sched_classifier_parse_map(&classifier, text, length, argc == 2 ? argv[1] : "synthetic",
	                               &arena, &error) != 0) {
		fprintf(stderr, "%s\n", error.message);
		return 1;
	}
	sched_classifier_apply(&classifier, sched_rules_builtin("linux-6.x"));
	for (size_t n = classifier.count; n > 0; n >>= 1)
		depth++;
	low = classifier.symbols[0].address;
	span = classifier.last - low + 1;

	clock_gettime(CLOCK_MONOTONIC, &begin);
	for (unsigned i = 0; i < LOOKUPS; i++) {
		uint64_t rip;

		state ^= state << 13; /* xorshift64 */
		state ^= state >> 7;
		state ^= state << 17;
		rip = low + state % span;
		categories += sched_classifier_lookup(&classifier, rip);
		found++;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	seconds =
	    (double)(end.tv_sec - begin.tv_sec) + (double)(end.tv_nsec - begin.tv_nsec) * 1e-9;
	printf("bench_classify: %zu text symbols (%zu addresses), search depth "
	       "%u, %u lookups, %.1f ns per lookup (category sum %u)\n",
	       classifier.count, classifier.addresses, depth, found, seconds * 1e9 / LOOKUPS,
	       categories);
	free(text);
	return 0;
}
