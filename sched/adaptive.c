/*
 * sched/adaptive.c - the adaptive controller that sizes a normal pool's
 * micro-sliced child (paper Algorithm 1, DESIGN.md section 5).
 *
 * Counted per profile interval (sched/offload.c feeds pool->adaptive.now):
 * IPI-induced yields, PLE yields, virtual IRQs to runnable-but-not-running
 * vCPUs.
 * One step runs on the pool's master pCPU whenever adaptive.next_step is
 * due (sched_schedule() includes it in the master's deadline):
 *
 *   not profiling:  numMicro = 0, start profiling, next step after one
 *                   profile interval;
 *   profiling:      samples[numMicro] = counts of the interval just ended;
 *     numMicro == 0:
 *       no event at all          -> stay at 0 for an epoch;
 *       IPI-dominant             -> numMicro = 1, keep profiling;
 *       PLE- or IRQ-dominant     -> numMicro = 1 for an epoch;
 *     0 < numMicro < limit       -> numMicro + 1, keep profiling;
 *     numMicro >= limit          -> numMicro = the count in 1..limit with
 *                                   the fewest urgent yields (IPI + PLE;
 *                                   ties: fewer pCPUs), hold for an epoch.
 *   Every step APPLIES numMicro: pCPUs move between the normal pool and
 *   its micro child (sched_pool_set_micro_count_locked), queued vCPUs are
 *   redistributed. limit = min(params.micro_limit, pCPUs of both - 1).
 *
 * Deviation, deliberate: Algorithm 1 line 23 reads "numIPIs > numPLEs OR
 * numIPIs > numIRQs", but the text says "if the IPI type is dominant".
 * We implement dominance: IPIs strictly more than PLEs AND more than vIRQs.
 * Unlike the prototype we count vIRQs and we apply the decision.
 *
 * With params.controller = SCHED_CONTROLLER_PROGRESS the steps are taken
 * by sched/progress.c instead (same interval, same application).
 *
 * Lock order: called with the sched_system lock held.
 */
#include "sched/internal.h"

void sched_adaptive_init(struct sched_pool *pool, uint64_t now)
{
	memset(&pool->adaptive, 0, sizeof(pool->adaptive));
	pool->adaptive.enabled = true;
	pool->adaptive.next_step = now;
	/* controller=progress: hold 0 and watch for contention from boot. */
	pool->adaptive.progress.settling = true;
	pool->adaptive.progress.hold_until = SCHED_TIME_NEVER;
}

static uint64_t adaptive_urgent_yields(const struct sched_adaptive_sample *s)
{
	return s->ipis + s->ples;
}

static unsigned adaptive_find_best(const struct sched_adaptive *adaptive, unsigned limit)
{
	unsigned best = 1, count;

	for (count = 2; count <= limit; count++)
		if (adaptive_urgent_yields(&adaptive->samples[count]) <
		    adaptive_urgent_yields(&adaptive->samples[best]))
			best = count;
	return best;
}

static void adaptive_hold(struct sched_adaptive *adaptive, unsigned count, uint64_t *interval,
                          uint64_t epoch)
{
	adaptive->profiling = false;
	adaptive->decisions++;
	adaptive->last_decision = count;
	*interval = epoch;
}

void sched_adaptive_run(struct sched_system *sys, struct sched_pool *pool, uint64_t now)
{
	struct sched_adaptive *adaptive = &pool->adaptive;
	struct sched_adaptive_sample sample;
	uint64_t interval = pool->params.profile_interval_ns;
	unsigned limit = sched_pool_micro_capacity(sys, pool->id);

	if (!adaptive->enabled || now < adaptive->next_step)
		return;
	if (pool->params.micro_limit < limit)
		limit = pool->params.micro_limit;
	if (limit > SCHED_MAX_PCPUS)
		limit = SCHED_MAX_PCPUS;
	adaptive->steps++;
	sys->counters.adaptive_steps++;
	sample = adaptive->now;
	memset(&adaptive->now, 0, sizeof(adaptive->now));

	if (pool->params.controller == SCHED_CONTROLLER_PROGRESS) {
		if (limit > SCHED_PROGRESS_MAX_COUNT)
			limit = SCHED_PROGRESS_MAX_COUNT;
		sched_progress_step(sys, pool, &sample, limit, now);
		goto out;
	}
	if (!adaptive->profiling) {
		adaptive->micro_count = 0;
		adaptive->profiling = true;
		goto out;
	}
	adaptive->samples[adaptive->micro_count] = sample;
	sched_trace(SCHED_TRACE_COUNTERS, NULL, (sample.ipis << 32) | (sample.ples & 0xffffffffu),
	            sample.irqs);
	if (adaptive->micro_count == 0) {
		if (!sample.ipis && !sample.ples && !sample.irqs) {
			adaptive_hold(adaptive, 0, &interval, pool->params.epoch_ns);
			goto out;
		}
		if (limit == 0) {
			adaptive_hold(adaptive, 0, &interval, pool->params.epoch_ns);
			goto out;
		}
		adaptive->micro_count = 1;
		if (sample.ipis > sample.ples && sample.ipis > sample.irqs)
			goto out; /* IPI-dominant: search 1..limit */
		/* PLE- or IRQ-dominant: one core for an epoch. */
		adaptive_hold(adaptive, 1, &interval, pool->params.epoch_ns);
	} else if (adaptive->micro_count < limit) {
		adaptive->micro_count++;
	} else {
		adaptive->micro_count = adaptive_find_best(adaptive, limit);
		adaptive_hold(adaptive, adaptive->micro_count, &interval, pool->params.epoch_ns);
	}
out:
	if (adaptive->micro_count > limit)
		adaptive->micro_count = limit;
	/* Cannot fail: `pool` is a normal pool with a micro child and the
	 * count is clamped to its capacity above. */
	if (sched_pool_set_micro_count_locked(sys, pool->id, adaptive->micro_count, now) !=
	    SCHED_OK)
		sched_bug("sched: adaptive step could not resize the micro "
		          "pool");
	adaptive->next_step = now + interval;
}
