/*
 * sched/profile.c - the yield profiler's table, recording and ranking
 * (see sched/profile.h for what is attributed when).
 *
 * The table is open addressing with linear probing, keyed by the start
 * address of a function extent (a multiplicative hash of it picks the
 * first slot). It never holds more than `limit` (3/4 of capacity)
 * functions, so every probe ends at a free slot within a few steps; an
 * event for a function that finds the table at its limit is counted in
 * `overflow`. Ranking selects the best `max` entries by insertion into the
 * caller's output array: O(entries x max), at report time only.
 *
 * Lock order: none inside. sched_profile_record() runs inside the
 * scheduler with the sched_system lock held (sched/offload.c);
 * sched_vm_set_profile() and the sched_vm_profile_*() readers take that
 * lock themselves (sched_system lock -> nothing).
 */
#include "sched/profile.h"

#include "sched/internal.h"

#define PROFILE_CAPACITY_MAX (1u << 24)
#define PROFILE_HASH         0x9e3779b97f4a7c15ull /* 2^64 / golden ratio */

int sched_profile_init(struct sched_profile *profile, struct sched_profile_entry *entries,
                       size_t capacity)
{
	if (!profile || !entries || capacity < 4 || capacity > PROFILE_CAPACITY_MAX ||
	    (capacity & (capacity - 1)) != 0)
		return SCHED_ERR_INVALID;
	memset(profile, 0, sizeof(*profile));
	profile->entries = entries;
	profile->capacity = (uint32_t)capacity;
	profile->limit = (uint32_t)(capacity / 4 * 3);
	sched_profile_clear(profile);
	return SCHED_OK;
}

struct sched_profile *sched_profile_init_block(void *block, size_t capacity)
{
	struct sched_profile *profile = block;

	if (!block)
		return NULL;
	if (sched_profile_init(profile, (struct sched_profile_entry *)(profile + 1), capacity))
		return NULL;
	return profile;
}

void sched_profile_clear(struct sched_profile *profile)
{
	memset(profile->entries, 0, (size_t)profile->capacity * sizeof(profile->entries[0]));
	memset(&profile->user, 0, sizeof(profile->user));
	memset(&profile->unknown, 0, sizeof(profile->unknown));
	memset(profile->events, 0, sizeof(profile->events));
	memset(profile->overflow, 0, sizeof(profile->overflow));
	profile->functions = 0;
	profile->user.kind = SCHED_PROFILE_KIND_USER;
	profile->unknown.kind = SCHED_PROFILE_KIND_UNKNOWN;
}

/* The entry of `function`, created if there is room; NULL when full. */
static struct sched_profile_entry *profile_slot(struct sched_profile *profile, uint64_t function,
                                                enum sched_category category)
{
	uint32_t mask = profile->capacity - 1;
	uint32_t i = (uint32_t)((function * PROFILE_HASH) >> 32) & mask;

	for (;;) {
		struct sched_profile_entry *entry = &profile->entries[i];

		if (entry->kind == SCHED_PROFILE_KIND_FUNCTION && entry->function == function)
			return entry;
		if (entry->kind == SCHED_PROFILE_KIND_EMPTY) {
			if (profile->functions >= profile->limit)
				return NULL;
			entry->kind = SCHED_PROFILE_KIND_FUNCTION;
			entry->function = function;
			entry->category = (uint8_t)category;
			profile->functions++;
			return entry;
		}
		i = (i + 1) & mask; /* limit < capacity: a free slot exists */
	}
}

void sched_profile_record(struct sched_profile *profile, sched_locate_fn locate,
                          const void *locate_context, enum sched_profile_event event, uint64_t rip,
                          bool kernel_mode)
{
	struct sched_profile_entry *entry;
	enum sched_category category = SCHED_CATEGORY_NONE;
	uint64_t function = 0;

	if (!profile || (unsigned)event >= SCHED_PROFILE_EVENT_COUNT)
		return;
	entry = &profile->unknown;
	profile->events[event]++;
	if (!kernel_mode) {
		entry = &profile->user;
	} else if (locate && locate(locate_context, rip, &function, &category)) {
		if ((unsigned)category >= SCHED_CATEGORY_COUNT)
			category = SCHED_CATEGORY_NONE;
		entry = profile_slot(profile, function, category);
		if (!entry) {
			profile->overflow[event]++;
			return;
		}
	}
	entry->counts[event]++;
}

uint64_t sched_profile_entry_events(const struct sched_profile_entry *entry)
{
	return entry->counts[SCHED_PROFILE_YIELD] + sched_profile_entry_preempted(entry);
}

uint64_t sched_profile_entry_yields(const struct sched_profile_entry *entry)
{
	return entry->counts[SCHED_PROFILE_YIELD] + entry->counts[SCHED_PROFILE_SIBLING];
}

uint64_t sched_profile_entry_preempts(const struct sched_profile_entry *entry)
{
	return entry->counts[SCHED_PROFILE_IPI] + entry->counts[SCHED_PROFILE_VIRQ];
}

uint64_t sched_profile_entry_preempted(const struct sched_profile_entry *entry)
{
	return entry->counts[SCHED_PROFILE_SIBLING] + sched_profile_entry_preempts(entry);
}

uint64_t sched_profile_total(const struct sched_profile *profile)
{
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < SCHED_PROFILE_EVENT_COUNT; i++)
		total += profile->events[i];
	return total;
}

/* ---- ranking ---- */

enum profile_key {
	PROFILE_KEY_YIELDS = SCHED_PROFILE_BY_YIELDS,
	PROFILE_KEY_PREEMPTS = SCHED_PROFILE_BY_PREEMPTS,
	PROFILE_KEY_CANDIDATE,
};

static void profile_keys(const struct sched_profile_entry *entry, enum profile_key key,
                         uint64_t *first, uint64_t *second)
{
	switch (key) {
	case PROFILE_KEY_YIELDS:
		*first = sched_profile_entry_yields(entry);
		*second = entry->counts[SCHED_PROFILE_YIELD];
		break;
	case PROFILE_KEY_PREEMPTS:
		*first = sched_profile_entry_preempts(entry);
		*second = entry->counts[SCHED_PROFILE_IPI];
		break;
	default:
		*first = sched_profile_entry_events(entry);
		*second = sched_profile_entry_preempted(entry);
		break;
	}
}

/* Does `a` rank before `b`? Keys descending, then kind, then address. */
static bool profile_before(const struct sched_profile_entry *a, const struct sched_profile_entry *b,
                           enum profile_key key)
{
	uint64_t a1, a2, b1, b2;

	profile_keys(a, key, &a1, &a2);
	profile_keys(b, key, &b1, &b2);
	if (a1 != b1)
		return a1 > b1;
	if (a2 != b2)
		return a2 > b2;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->function < b->function;
}

static bool profile_is_candidate(const struct sched_profile_entry *entry, uint64_t total)
{
	uint64_t events = sched_profile_entry_events(entry);

	return entry->kind == SCHED_PROFILE_KIND_FUNCTION &&
	       entry->category == SCHED_CATEGORY_NONE && events >= SCHED_PROFILE_CANDIDATE_MIN &&
	       events * 100 >= total * SCHED_PROFILE_CANDIDATE_PERCENT;
}

/* Insert `entry` into the sorted out[0..*count) of at most `max`. */
static void profile_insert(struct sched_profile_entry *out, size_t *count, size_t max,
                           const struct sched_profile_entry *entry, enum profile_key key)
{
	size_t i = *count;

	if (i == max) {
		if (!profile_before(entry, &out[max - 1], key))
			return;
		i--;
	} else {
		(*count)++;
	}
	for (; i > 0 && profile_before(entry, &out[i - 1], key); i--)
		out[i] = out[i - 1];
	out[i] = *entry;
}

static size_t profile_select(const struct sched_profile *profile, enum profile_key key,
                             struct sched_profile_entry *out, size_t max)
{
	uint64_t total = sched_profile_total(profile), first, second;
	size_t count = 0;
	uint32_t i;

	if (!out || max == 0)
		return 0;
	for (i = 0; i < profile->capacity + 2; i++) {
		const struct sched_profile_entry *entry =
		    i < profile->capacity    ? &profile->entries[i]
		    : i == profile->capacity ? &profile->user
		                             : &profile->unknown;

		if (entry->kind == SCHED_PROFILE_KIND_EMPTY)
			continue;
		profile_keys(entry, key, &first, &second);
		if (key == PROFILE_KEY_CANDIDATE ? !profile_is_candidate(entry, total) : first == 0)
			continue;
		profile_insert(out, &count, max, entry, key);
	}
	return count;
}

size_t sched_profile_top(const struct sched_profile *profile, enum sched_profile_order order,
                         struct sched_profile_entry *out, size_t max)
{
	if (!profile || (order != SCHED_PROFILE_BY_YIELDS && order != SCHED_PROFILE_BY_PREEMPTS))
		return 0;
	return profile_select(profile, (enum profile_key)order, out, max);
}

size_t sched_profile_candidates(const struct sched_profile *profile,
                                struct sched_profile_entry *out, size_t max)
{
	if (!profile)
		return 0;
	return profile_select(profile, PROFILE_KEY_CANDIDATE, out, max);
}

enum sched_profile_reason sched_profile_candidate_reason(const struct sched_profile_entry *entry)
{
	return entry->counts[SCHED_PROFILE_YIELD] > sched_profile_entry_preempted(entry)
	           ? SCHED_PROFILE_REASON_SPINNING
	           : SCHED_PROFILE_REASON_PREEMPTED;
}

const char *sched_profile_reason_name(enum sched_profile_reason reason)
{
	return reason == SCHED_PROFILE_REASON_SPINNING ? "spinning" : "preempted";
}

/* ---- a VM's profile, under the scheduler lock ---- */

void sched_vm_set_profile(struct sched_vm *vm, struct sched_profile *profile,
                          sched_locate_fn locate, const void *locate_context)
{
	if (!vm)
		return;
	sched_env_lock_acquire(vm->sys->lock);
	vm->profile = profile;
	vm->locate = locate;
	vm->locate_context = locate_context;
	sched_unlock(vm->sys);
}

size_t sched_vm_profile_top(struct sched_vm *vm, enum sched_profile_order order,
                            struct sched_profile_entry *out, size_t max)
{
	size_t count;

	if (!vm)
		return 0;
	sched_env_lock_acquire(vm->sys->lock);
	count = sched_profile_top(vm->profile, order, out, max);
	sched_unlock(vm->sys);
	return count;
}

size_t sched_vm_profile_candidates(struct sched_vm *vm, struct sched_profile_entry *out, size_t max)
{
	size_t count;

	if (!vm)
		return 0;
	sched_env_lock_acquire(vm->sys->lock);
	count = sched_profile_candidates(vm->profile, out, max);
	sched_unlock(vm->sys);
	return count;
}

bool sched_vm_profile_summary(struct sched_vm *vm, struct sched_profile *out)
{
	bool present;

	if (!vm || !out)
		return false;
	sched_env_lock_acquire(vm->sys->lock);
	present = vm->profile != NULL;
	if (present)
		*out = *vm->profile;
	sched_unlock(vm->sys);
	return present;
}

/* ---- the scheduler's record points (lock held) ---- */

void sched_profile_note(const struct sched_vcpu *vcpu, unsigned event, uint64_t rip,
                        bool kernel_mode)
{
	const struct sched_vm *vm = vcpu->vm;

	if (vm->profile)
		sched_profile_record(vm->profile, vm->locate, vm->locate_context,
		                     (enum sched_profile_event)event, rip, kernel_mode);
}
