/*
 * tools/sim/stats.c - random numbers and latency percentiles (see stats.h).
 *
 * Lock order: none (single-threaded).
 */
#include "tools/sim/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void sim_random_seed(struct sim_random *random, uint64_t seed)
{
	random->state = seed ^ 0x5bd1e9955bd1e995ull;
}

uint64_t sim_random_next(struct sim_random *random)
{
	uint64_t z = (random->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double sim_random_unit(struct sim_random *random)
{
	return (double)(sim_random_next(random) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t sim_random_exponential(struct sim_random *random, double mean_ns)
{
	double value = -log(1.0 - sim_random_unit(random)) * mean_ns;

	if (value < 1.0)
		return 1;
	return (uint64_t)value;
}

uint64_t sim_random_below(struct sim_random *random, uint64_t bound)
{
	return bound ? sim_random_next(random) % bound : 0;
}

void sim_latency_init(struct sim_latency *latency)
{
	latency->samples = NULL;
	latency->count = 0;
	latency->capacity = 0;
	latency->sorted = 1;
}

void sim_latency_free(struct sim_latency *latency)
{
	free(latency->samples);
	sim_latency_init(latency);
}

void sim_latency_add(struct sim_latency *latency, uint64_t sample_ns)
{
	if (latency->count == latency->capacity) {
		size_t capacity = latency->capacity ? latency->capacity * 2 : 256;
		uint64_t *samples = realloc(latency->samples, capacity * sizeof(*samples));
		if (!samples) {
			fprintf(stderr, "schedsim: out of memory (latency)\n");
			exit(2);
		}
		latency->samples = samples;
		latency->capacity = capacity;
	}
	latency->samples[latency->count++] = sample_ns;
	latency->sorted = 0;
}

static int sim_latency_compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a;
	uint64_t y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t sim_latency_percentile(struct sim_latency *latency, double percent)
{
	size_t rank;

	if (latency->count == 0)
		return 0;
	if (!latency->sorted) {
		qsort(latency->samples, latency->count, sizeof(uint64_t), sim_latency_compare);
		latency->sorted = 1;
	}
	rank = (size_t)ceil(percent / 100.0 * (double)latency->count);
	if (rank < 1)
		rank = 1;
	if (rank > latency->count)
		rank = latency->count;
	return latency->samples[rank - 1];
}

double sim_latency_mean(const struct sim_latency *latency)
{
	double sum = 0;
	size_t i;

	if (latency->count == 0)
		return 0;
	for (i = 0; i < latency->count; i++)
		sum += (double)latency->samples[i];
	return sum / (double)latency->count;
}
