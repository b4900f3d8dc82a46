/*
 * tools/sim/stats.h - measurement helpers for the simulator: a deterministic
 * random number generator and latency sample sets with percentiles.
 *
 * The generator is splitmix64, seeded from the command line: the same seed
 * gives the same sequence on every host. Latency sets keep every sample (a
 * run records at most a few million) and compute nearest-rank percentiles.
 *
 * Lock order: none (single-threaded).
 */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stddef.h>
#include <stdint.h>

struct sim_random {
	uint64_t state;
};

void sim_random_seed(struct sim_random *random, uint64_t seed);
uint64_t sim_random_next(struct sim_random *random);
/* Uniform double in [0, 1). */
double sim_random_unit(struct sim_random *random);
/* Exponentially distributed duration with the given mean, in ns (>= 1). */
uint64_t sim_random_exponential(struct sim_random *random, double mean_ns);
/* Uniform integer in [0, bound). */
uint64_t sim_random_below(struct sim_random *random, uint64_t bound);

struct sim_latency {
	uint64_t *samples; /* ns */
	size_t count;
	size_t capacity;
	int sorted;
};

void sim_latency_init(struct sim_latency *latency);
void sim_latency_free(struct sim_latency *latency);
void sim_latency_add(struct sim_latency *latency, uint64_t sample_ns);
/* Nearest-rank percentile (0 < percent <= 100) in ns; 0 if no samples. */
uint64_t sim_latency_percentile(struct sim_latency *latency, double percent);
double sim_latency_mean(const struct sim_latency *latency);

#endif /* SIM_STATS_H */
