/*
 * sched/progress.c - the progress controller of micro-dynamic
 * (params.controller = SCHED_CONTROLLER_PROGRESS; issue 13 Part B.5).
 *
 * Algorithm 1 (sched/adaptive.c) counts urgent-yield events in 10 ms
 * steps and keeps the micro pool size with the fewest of them. Measured
 * (docs/mechanisms.md) it profiles before the workload starts, decides
 * from a handful of events, and never asks whether a micro pCPU made the
 * VMs progress: fewer PLE exits at the price of 1/12 of the machine is a
 * loss. This controller sizes the pool by progress instead:
 *
 *  - waiting: the pool holds a size (0 at boot) and watches the urgent
 *    events (ipi-wait yields, lock-spin and other PLE yields, vIRQs to
 *    preempted vCPUs) in windows of controller_step_ms. Profiling starts
 *    when a window's event mix differs from the one measured at the held
 *    size (progress_mix_changed: contention starts at a held 0, the
 *    dominant kind changes, the rate rises by SCHED_PROGRESS_RATE_FACTOR,
 *    or falls by it below controller_min_events, which is how contention
 *    is seen to stop): at once, not at the end of the epoch (counter
 *    adaptive_reprofiles), and at the epoch's end if the held size was chosen under contention;
 *  - profiling: sizes 0, 1, ... limit (after an epoch: the held size and
 *    its neighbours), one step each. A step skips the
 *    first profile interval after the resize (vCPUs settle) and lasts at
 *    least controller_step_ms and until controller_min_events events, or
 *    SCHED_PROGRESS_STEP_STRETCH steps at most. Each VM's useful time in
 *    the step is its vCPUs' run time minus controller_spin_ns per
 *    classified urgent yield (ipi-wait, lock-spin: spinning a micro slice
 *    can shorten; a PLE exit outside critical code is an event, so it
 *    starts profiling, but is not charged). In a sweep
 *    that contention starting at a held 0 began, a step at size 0 with
 *    fewer than controller_min_events events ends the search: the burst
 *    is over, nothing to accelerate, hold 0 and wait. In any other sweep
 *    few events at 0 can be a starved VM (credit at 1 G runs the
 *    shootdown VM ~5 % of the time, ~250 ipi-wait yields/s) and size 0
 *    is scored like the others;
 *  - rechecking (controller_recheck): after the last size the sweep's
 *    first size is measured once more, and counts at the better of its
 *    two measurements for each VM. A sweep starts because contention
 *    started, so its first step tends to fall in the burst that started
 *    it (lock-hog at 1 G: a preempted lock holder's 1,300 PLE exits in
 *    10 ms at size 0, none at sizes 1-3, which then scored 1.4-2.0 for
 *    nothing); the recheck sees size 0 without the burst. The held size's
 *    window (tried_*) is the newer measurement;
 *  - deciding: the score of a size is the mean over the pool's VMs of the
 *    VM's useful time per ns relative to that at the sweep's first size
 *    (from 0: the paper's normalised performance); the smallest size within
 *    SCHED_PROGRESS_TIE_PERMILLE of the best score is held for an epoch.
 *
 * Everything here is what sched/ sees: run time, yields and their
 * categories, vIRQs. Lock order: called with the sched_system lock held.
 */
#include "sched/internal.h"

/* A step that has not seen controller_min_events events ends after this
 * many times controller_step_ms anyway. */
#define SCHED_PROGRESS_STEP_STRETCH 4u
/* The event rate (per ns of window) "changed" past this factor. */
#define SCHED_PROGRESS_RATE_FACTOR 4u
/* Sizes whose scores are this close (per mille of the best) tie: fewer
 * micro pCPUs win. */
#define SCHED_PROGRESS_TIE_PERMILLE 10u
#define SCHED_PROGRESS_PERMILLE     1000u
/* Fixed-point scale of a useful-time rate (useful ns per ns). */
#define SCHED_PROGRESS_RATE_SCALE 1000000ull
/* An event rate is in events per second (per ns x 10^9): per ns x 10^6,
 * the scale above, truncated 10 events in 20 ms to 0. */
#define SCHED_PROGRESS_EVENTS_PER_S 1000000000ull

static uint64_t progress_events(const struct sched_adaptive_sample *mix)
{
	return mix->ipis + mix->ples + mix->irqs;
}

/* 0 ipis, 1 ples, 2 irqs: the kind with most events (ties: lower). */
static unsigned progress_dominant(const struct sched_adaptive_sample *mix)
{
	if (mix->ipis >= mix->ples && mix->ipis >= mix->irqs)
		return 0;
	return mix->ples >= mix->irqs ? 1 : 2;
}

static bool progress_vm_counted(const struct sched_vm *vm, const struct sched_pool *pool)
{
	return vm->in_use && vm->pool == pool->id && vm->vcpu_count;
}

/* The VM's vCPU run time up to `now` (a running vCPU's uncharged part
 * included) and its urgent yields. */
static void progress_vm_totals(const struct sched_vm *vm, uint64_t now, uint64_t *run,
                               uint64_t *spins)
{
	unsigned i;

	*run = 0;
	*spins = 0;
	for (i = 0; i < vm->vcpu_count; i++) {
		const struct sched_vcpu *vcpu = &vm->vcpus[i];

		*run += vcpu->stats.run_ns;
		if (vcpu->state == SCHED_VCPU_RUNNING && now > vcpu->burn_from)
			*run += now - vcpu->burn_from;
		*spins += vcpu->stats.spin_yields;
	}
}

static void progress_window_reset(struct sched_system *sys, struct sched_progress *progress,
                                  uint64_t now)
{
	unsigned v;

	progress->window_start = now;
	memset(&progress->mix, 0, sizeof(progress->mix));
	for (v = 0; v < SCHED_MAX_VMS; v++)
		progress_vm_totals(&sys->vms[v], now, &progress->run_start[v],
		                   &progress->spin_start[v]);
}

/* Store the window just ended as the measurement of size `count`. */
static void progress_record(struct sched_system *sys, struct sched_pool *pool, unsigned count,
                            uint64_t now)
{
	struct sched_progress *progress = &pool->adaptive.progress;
	uint64_t spin_ns = pool->params.controller_spin_ns;
	unsigned v;

	progress->tried_mix[count] = progress->mix;
	progress->tried_ns[count] = now - progress->window_start;
	for (v = 0; v < SCHED_MAX_VMS; v++) {
		uint64_t run, spins, spun;

		progress->useful_ns[count][v] = 0;
		if (!progress_vm_counted(&sys->vms[v], pool))
			continue;
		progress_vm_totals(&sys->vms[v], now, &run, &spins);
		run = run > progress->run_start[v] ? run - progress->run_start[v] : 0;
		spins = spins > progress->spin_start[v] ? spins - progress->spin_start[v] : 0;
		spun = spins * spin_ns;
		progress->useful_ns[count][v] = run > spun ? run - spun : 0;
		sched_trace(SCHED_TRACE_PROGRESS_STEP, &sys->vms[v].vcpus[0],
		            progress->useful_ns[count][v],
		            ((uint64_t)count << SCHED_TRACE_PROGRESS_SIZE_SHIFT) |
		                (progress->tried_ns[count] & SCHED_TRACE_PROGRESS_NS_MASK));
	}
	sched_trace(SCHED_TRACE_COUNTERS, NULL,
	            (progress->mix.ipis << 32) | (progress->mix.ples & 0xffffffffu),
	            progress->mix.irqs);
}

static uint64_t progress_rate(const struct sched_progress *progress, unsigned count, unsigned vm)
{
	uint64_t rate = 0, first;

	if (progress->tried_ns[count])
		rate = progress->useful_ns[count][vm] * SCHED_PROGRESS_RATE_SCALE /
		       progress->tried_ns[count];
	/* Rechecked: the sweep's first size at the better of its two
	 * measurements, so that a burst under way when the sweep began
	 * (it is why the sweep began) does not make every larger size
	 * look like a gain. */
	if (progress->rechecked && count == progress->sweep_low && progress->first_ns) {
		first =
		    progress->first_useful_ns[vm] * SCHED_PROGRESS_RATE_SCALE / progress->first_ns;
		if (first > rate)
			rate = first;
	}
	return rate;
}

/* Mean over the pool's VMs of their useful rate at `count` relative to
 * the sweep's first size (or to their best size if they made no progress
 * there), in SCHED_PROGRESS_RATE_SCALE units. */
static uint64_t progress_score(const struct sched_system *sys, const struct sched_pool *pool,
                               unsigned count)
{
	const struct sched_progress *progress = &pool->adaptive.progress;
	uint64_t total = 0;
	unsigned v, c, vms = 0;

	for (v = 0; v < SCHED_MAX_VMS; v++) {
		uint64_t reference;

		if (!progress_vm_counted(&sys->vms[v], pool))
			continue;
		reference = progress_rate(progress, progress->sweep_low, v);
		for (c = progress->sweep_low + 1; !reference && c <= progress->sweep_high; c++)
			if (progress_rate(progress, c, v) > reference)
				reference = progress_rate(progress, c, v);
		if (!reference)
			continue;
		total += progress_rate(progress, count, v) * SCHED_PROGRESS_RATE_SCALE / reference;
		vms++;
	}
	return vms ? total / vms : 0;
}

/* The size to hold: the smallest of the sweep within the tie margin of
 * the best. */
static unsigned progress_best(const struct sched_system *sys, const struct sched_pool *pool)
{
	const struct sched_progress *progress = &pool->adaptive.progress;
	uint64_t best = 0, score;
	unsigned count;

	for (count = progress->sweep_low; count <= progress->sweep_high; count++) {
		score = progress_score(sys, pool, count);
		sched_trace(SCHED_TRACE_PROGRESS_SCORE, NULL, count, score);
		if (score > best)
			best = score;
	}
	for (count = progress->sweep_low; count < progress->sweep_high; count++) {
		score = progress_score(sys, pool, count);
		if (score * SCHED_PROGRESS_PERMILLE >=
		    best * (SCHED_PROGRESS_PERMILLE - SCHED_PROGRESS_TIE_PERMILLE))
			break;
	}
	return count;
}

/* Did the event mix of `now_mix` over `now_ns` change from `then_mix`
 * over `then_ns`? Contention starts: `now` has min_events and `then` had
 * not, at a held size 0. Otherwise the rates are compared: it stopped
 * (or grew) when the rate moved past RATE_FACTOR, or the dominant kind
 * changed while both had min_events. A window just short of min_events
 * at the rate the held size was measured at is the same contention:
 * counting only (as before) re-profiled a micro pool that was serving its
 * events well (shootdown-hog at 1 G, size 3 holding ~64 events in 40 ms,
 * dropped to 0 every ~50 ms). A rate that falls while the window still
 * has min_events is contention the held size serves better than the
 * profiling step saw (with micro_early_return, micro_batch and
 * protect_initiator a settled size 3 sees >4x fewer yields than its first
 * step): re-profiling it from 0 spent a third of the run at 0-2 micro
 * pCPUs. Only a fall below min_events is a stop.
 *
 * `serving`: the held size is above 0, so a sweep under contention chose
 * it, and fewer than min_events at it means it serves the contention
 * well, not that there is none. Events coming back there are a rise, not
 * a start: taken as a start (the combo at 1 G: size 3 measured at 724
 * events/s, then 6,799) the sweep from 0 found the VM just served, too
 * few events at 0, and held 0 for the rest of the run. */
static uint64_t progress_event_rate(uint64_t events, uint64_t ns)
{
	return ns ? events * SCHED_PROGRESS_EVENTS_PER_S / ns : 0;
}

/* Both rates for the progress_change record, clamped to its fields. */
static uint64_t progress_change_rates(uint64_t then_rate, uint64_t now_rate)
{
	if (then_rate > SCHED_TRACE_PROGRESS_RATE_MAX)
		then_rate = SCHED_TRACE_PROGRESS_RATE_MAX;
	if (now_rate > SCHED_TRACE_PROGRESS_RATE_MAX)
		now_rate = SCHED_TRACE_PROGRESS_RATE_MAX;
	return then_rate << SCHED_TRACE_PROGRESS_RATE_SHIFT | now_rate;
}

/* *rates: both event rates as progress_change_rates packs them. */
static enum sched_progress_change progress_mix_changed(const struct sched_adaptive_sample *then_mix,
                                                       uint64_t then_ns,
                                                       const struct sched_adaptive_sample *now_mix,
                                                       uint64_t now_ns, uint64_t min_events,
                                                       bool serving, uint64_t *rates)
{
	uint64_t then_events = progress_events(then_mix), now_events = progress_events(now_mix);
	uint64_t then_rate = progress_event_rate(then_events, then_ns);
	uint64_t now_rate = progress_event_rate(now_events, now_ns);

	*rates = progress_change_rates(then_rate, now_rate);
	if (then_events < min_events && !serving)
		return now_events >= min_events ? SCHED_PROGRESS_STARTED : SCHED_PROGRESS_UNCHANGED;
	if (then_events >= min_events && now_events >= min_events &&
	    progress_dominant(then_mix) != progress_dominant(now_mix))
		return SCHED_PROGRESS_DOMINANT;
	if (!then_ns || !now_ns)
		return now_events < min_events ? SCHED_PROGRESS_STOPPED : SCHED_PROGRESS_UNCHANGED;
	if (now_events >= min_events && now_rate > then_rate * SCHED_PROGRESS_RATE_FACTOR)
		return SCHED_PROGRESS_ROSE;
	if (now_events < min_events && then_rate > now_rate * SCHED_PROGRESS_RATE_FACTOR)
		return SCHED_PROGRESS_STOPPED;
	return SCHED_PROGRESS_UNCHANGED;
}

/* Profile sizes low..high, one step each. */
static void progress_start(struct sched_adaptive *adaptive, unsigned low, unsigned high)
{
	adaptive->profiling = true;
	adaptive->micro_count = low;
	adaptive->progress.sweep_low = low;
	adaptive->progress.sweep_high = high;
	adaptive->progress.settling = true;
	adaptive->progress.closing = false;
	adaptive->progress.rechecked = false;
	adaptive->progress.started = false;
}

/* controller_recheck: keep the first measurement of sweep_low and
 * measure that size once more as the sweep's last step. */
static void progress_start_closing(struct sched_adaptive *adaptive)
{
	struct sched_progress *progress = &adaptive->progress;
	unsigned low = progress->sweep_low;

	progress->first_ns = progress->tried_ns[low];
	memcpy(progress->first_useful_ns, progress->useful_ns[low],
	       sizeof(progress->first_useful_ns));
	progress->closing = true;
	progress->settling = true;
	adaptive->micro_count = low;
}

static void progress_hold(struct sched_adaptive *adaptive, unsigned count, uint64_t until)
{
	sched_trace(SCHED_TRACE_PROGRESS_HOLD, NULL, count, until);
	adaptive->profiling = false;
	adaptive->micro_count = count;
	adaptive->decisions++;
	adaptive->last_decision = count;
	adaptive->progress.hold_until = until;
	adaptive->progress.settling = true;
}

/* Profiling: end the step at micro_count once it is long and full enough. */
static void progress_profile(struct sched_system *sys, struct sched_pool *pool, unsigned limit,
                             uint64_t now, uint64_t step_ns)
{
	struct sched_adaptive *adaptive = &pool->adaptive;
	struct sched_progress *progress = &adaptive->progress;
	uint64_t elapsed = now - progress->window_start;
	uint64_t min_events = pool->params.controller_min_events;
	bool enough = progress_events(&progress->mix) >= min_events;

	if (elapsed < step_ns || (!enough && elapsed < step_ns * SCHED_PROGRESS_STEP_STRETCH))
		return;
	progress_record(sys, pool, adaptive->micro_count, now);
	if (progress->sweep_high > limit)
		progress->sweep_high = limit;
	if (progress->closing) {
		progress->closing = false;
		progress->rechecked = true;
		progress_hold(adaptive, progress_best(sys, pool), now + pool->params.epoch_ns);
	} else if (adaptive->micro_count == 0 && !enough && progress->started) {
		progress_hold(adaptive, 0, SCHED_TIME_NEVER); /* nothing to accelerate */
	} else if (adaptive->micro_count < progress->sweep_high) {
		adaptive->micro_count++;
		progress->settling = true;
	} else if (pool->params.controller_recheck && progress->sweep_high > progress->sweep_low) {
		progress_start_closing(adaptive);
	} else {
		progress_hold(adaptive, progress_best(sys, pool), now + pool->params.epoch_ns);
	}
}

/* Which sizes a change of the held size's event mix re-profiles: every
 * size when contention starts or changes kind; when it rises, the held
 * size and larger ones (fewer micro pCPUs did not serve less); when it
 * stops, the held size and the one below. A held size serving its
 * contention well sees it fade: with micro_early_return, micro_batch and
 * protect_initiator a size 3 in shootdown-hog at 1 G went from ~22,000
 * to ~550 events/s, and a sweep from 0 then measured a VM that had just
 * been served at size 0, saw too few events there and held 0 for the
 * rest of the run (1.5-s runs: 0.18 micro pCPUs on average, the
 * shootdown VM at 5,021 ops/s against ~40,000). Stepping down one size a
 * sweep still reaches 0 when the contention has really gone. */
static void progress_restart(struct sched_adaptive *adaptive, enum sched_progress_change change,
                             unsigned limit)
{
	unsigned held = adaptive->micro_count;

	if (change == SCHED_PROGRESS_ROSE)
		progress_start(adaptive, held, limit);
	else if (change == SCHED_PROGRESS_STOPPED)
		progress_start(adaptive, held ? held - 1 : 0, held);
	else
		progress_start(adaptive, 0, limit);
	adaptive->progress.started = change == SCHED_PROGRESS_STARTED;
}

/* Holding: re-profile when the event mix changes (progress_restart); at
 * the epoch's end the held size and its neighbours (the workload is the
 * same, the best size may have drifted by one). */
static void progress_watch(struct sched_system *sys, struct sched_pool *pool, unsigned limit,
                           uint64_t now, uint64_t step_ns)
{
	struct sched_adaptive *adaptive = &pool->adaptive;
	struct sched_progress *progress = &adaptive->progress;
	unsigned held = adaptive->micro_count;
	uint64_t elapsed = now - progress->window_start;
	uint64_t min_events = pool->params.controller_min_events;
	bool enough = progress_events(&progress->mix) >= min_events;
	bool serving = held > 0;
	bool was = serving || progress_events(&progress->tried_mix[held]) >= min_events;
	enum sched_progress_change change;
	uint64_t rates;

	if (now >= progress->hold_until) {
		progress_start(adaptive, held ? held - 1 : 0, held < limit ? held + 1 : limit);
		return;
	}
	/* Contention starting is seen as soon as it has enough events; its
	 * end only once a stretched step has not seen enough. */
	if (!enough && was && elapsed < step_ns * SCHED_PROGRESS_STEP_STRETCH)
		return;
	if (elapsed < step_ns && !(enough && !was))
		return;
	change = progress_mix_changed(&progress->tried_mix[held], progress->tried_ns[held],
	                              &progress->mix, elapsed, min_events, serving, &rates);
	if (change != SCHED_PROGRESS_UNCHANGED) {
		sched_trace(SCHED_TRACE_PROGRESS_CHANGE, NULL, change, rates);
		sys->counters.adaptive_reprofiles++;
		progress_restart(adaptive, change, limit);
		return;
	}
	progress_window_reset(sys, progress, now);
}

void sched_progress_step(struct sched_system *sys, struct sched_pool *pool,
                         const struct sched_adaptive_sample *sample, unsigned limit, uint64_t now)
{
	struct sched_adaptive *adaptive = &pool->adaptive;
	struct sched_progress *progress = &adaptive->progress;
	uint64_t step_ns = (uint64_t)pool->params.controller_step_ms * SCHED_NS_PER_MS;

	if (adaptive->micro_count > limit)
		adaptive->micro_count = limit;
	if (progress->settling) {
		/* The interval after a resize (or boot) is not measured. */
		progress->settling = false;
		progress_window_reset(sys, progress, now);
		return;
	}
	progress->mix.ipis += sample->ipis;
	progress->mix.ples += sample->ples;
	progress->mix.irqs += sample->irqs;
	if (adaptive->profiling)
		progress_profile(sys, pool, limit, now, step_ns);
	else
		progress_watch(sys, pool, limit, now, step_ns);
}
