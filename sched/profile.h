/*
 * sched/profile.h - the yield profiler (paper section 3.1): which guest
 * functions vCPUs spin in when they yield, and which ones preempted vCPUs
 * sit in when they are needed.
 *
 * Four events are attributed to the function holding a guest RIP:
 *   YIELD    the live RIP of a vCPU at a PLE exit or guest yield
 *            (sched_vcpu_yield);
 *   SIBLING  the saved RIP of each preempted sibling a lock-spin or
 *            ipi-wait yield inspects (offload_siblings in sched/offload.c);
 *   IPI      the saved RIP of a preempted vCPU (RUNNABLE or OFFLOADED)
 *            that a virtual IPI reaches (sched_notify_ipi);
 *   VIRQ     the same for a virtual device IRQ (sched_notify_virq).
 *
 * A RIP reported in user mode counts into one "user" bucket; a kernel RIP
 * that the VM's locate callback places in no function (or a VM without
 * one) into one "unknown" bucket. Everything else goes into a fixed-size
 * open-addressing table (linear probing) keyed by the start address of
 * the function's extent, so every RIP of one function lands in one entry.
 * The table holds at most 3/4 of its capacity functions; an event for a
 * further function is counted in `overflow` only. Recording does no
 * string work: names are resolved by the caller at report time from the
 * start address (e.g. with sched_classifier_lookup_symbol()).
 *
 * Memory is the caller's (no malloc in sched/): a struct sched_profile
 * and an array of struct sched_profile_entry, e.g. one block of
 * SCHED_PROFILE_BYTES(capacity).
 *
 * Reading: sched_profile_top() ranks the entries (by yields + siblings, or
 * by IPIs + vIRQs), sched_profile_candidates() picks the functions that
 * are frequent but in no category: events >= SCHED_PROFILE_CANDIDATE_MIN
 * and >= SCHED_PROFILE_CANDIDATE_PERCENT % of the VM's events (all four
 * kinds, every bucket and the overflow). Ties are broken by the second
 * key, then functions before "user" before "unknown", then by ascending
 * start address: the order is deterministic.
 *
 * Lock order: the profile has no lock of its own. A VM's profile is
 * written only inside the scheduler (sched/offload.c) with the
 * sched_system lock held; sched_vm_set_profile() and sched_vm_profile_top()
 * / sched_vm_profile_candidates() take that lock; the sched_profile_*()
 * functions on a bare struct take none (call them with the lock held, or
 * when nothing else uses the profile). The locate callback is called with
 * the scheduler lock held: it must take no lock and must not block.
 */
#ifndef SCHED_PROFILE_H
#define SCHED_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/category.h"
#include "sched/sched.h"

enum sched_profile_event {
	SCHED_PROFILE_YIELD = 0, /* yielder's live RIP               */
	SCHED_PROFILE_SIBLING,   /* preempted sibling inspected      */
	SCHED_PROFILE_IPI,       /* preempted target of a vIPI       */
	SCHED_PROFILE_VIRQ,      /* preempted target of a vIRQ       */
	SCHED_PROFILE_EVENT_COUNT
};

/* What an entry counts (also the last tie-break: lower first). */
enum sched_profile_kind {
	SCHED_PROFILE_KIND_EMPTY = 0, /* a free table slot            */
	SCHED_PROFILE_KIND_FUNCTION,  /* the function at `function`   */
	SCHED_PROFILE_KIND_USER,      /* every user-mode RIP          */
	SCHED_PROFILE_KIND_UNKNOWN,   /* kernel RIPs in no extent     */
};

/* Rankings of sched_profile_top(). */
enum sched_profile_order {
	SCHED_PROFILE_BY_YIELDS = 0, /* yields + siblings, then yields */
	SCHED_PROFILE_BY_PREEMPTS,   /* ipis + virqs, then ipis        */
};

/* Why a candidate was chosen (sched_profile_candidate_reason()). */
enum sched_profile_reason {
	SCHED_PROFILE_REASON_SPINNING = 0, /* mostly a yielder: a lock-spin or
	                                      ipi-wait rule?                  */
	SCHED_PROFILE_REASON_PREEMPTED,    /* mostly found preempted when a
	                                      sibling, IPI or vIRQ needed it: a
	                                      critical rule?                  */
};

#define SCHED_PROFILE_CANDIDATE_MIN     10 /* events, at least            */
#define SCHED_PROFILE_CANDIDATE_PERCENT 1  /* of the VM's events, at least */

/* One function (or bucket). */
struct sched_profile_entry {
	uint64_t function; /* start of the extent (KIND_FUNCTION)    */
	uint64_t counts[SCHED_PROFILE_EVENT_COUNT];
	uint8_t kind;     /* enum sched_profile_kind               */
	uint8_t category; /* enum sched_category the locate gave  */
};

struct sched_profile {
	struct sched_profile_entry *entries; /* `capacity` slots            */
	uint32_t capacity;                   /* a power of two, >= 4        */
	uint32_t limit;                      /* functions at most: 3/4 of it */
	uint32_t functions;                  /* slots in use                */
	struct sched_profile_entry user;
	struct sched_profile_entry unknown;
	uint64_t events[SCHED_PROFILE_EVENT_COUNT];   /* every recorded event  */
	uint64_t overflow[SCHED_PROFILE_EVENT_COUNT]; /* ... not in any entry  */
};

/* Bytes of one block holding the struct and `capacity` entries after it. */
#define SCHED_PROFILE_BYTES(capacity)                                                              \
	(sizeof(struct sched_profile) + (size_t)(capacity) * sizeof(struct sched_profile_entry))

/*
 * Set `profile` up, empty, over `entries[0..capacity)`. `capacity` must be
 * a power of two from 4 to 2^24. Returns SCHED_OK or SCHED_ERR_INVALID.
 */
int sched_profile_init(struct sched_profile *profile, struct sched_profile_entry *entries,
                       size_t capacity);
/* The same over one SCHED_PROFILE_BYTES(capacity) block; NULL if invalid. */
struct sched_profile *sched_profile_init_block(void *block, size_t capacity);
/* Forget every count (the capacity stays). */
void sched_profile_clear(struct sched_profile *profile);

/*
 * Attribute one `event` at `rip`: user mode -> "user"; no `locate`, or
 * locate false -> "unknown"; else the entry of the function it returns
 * (created on first use, or counted as overflow when the table is full).
 */
void sched_profile_record(struct sched_profile *profile, sched_locate_fn locate,
                          const void *locate_context, enum sched_profile_event event, uint64_t rip,
                          bool kernel_mode);

/* Sum of an entry's counts: all, yields + siblings, ipis + virqs,
 * siblings + ipis + virqs ("preempted"). */
uint64_t sched_profile_entry_events(const struct sched_profile_entry *entry);
uint64_t sched_profile_entry_yields(const struct sched_profile_entry *entry);
uint64_t sched_profile_entry_preempts(const struct sched_profile_entry *entry);
uint64_t sched_profile_entry_preempted(const struct sched_profile_entry *entry);
/* All events recorded, overflow included. */
uint64_t sched_profile_total(const struct sched_profile *profile);

/*
 * Copy the top `max` entries under `order` (only those whose first key is
 * > 0), best first, into out[]; returns how many.
 */
size_t sched_profile_top(const struct sched_profile *profile, enum sched_profile_order order,
                         struct sched_profile_entry *out, size_t max);
/*
 * Copy up to `max` candidate functions (category none, frequent as defined
 * above), most events first, into out[]; returns how many.
 */
size_t sched_profile_candidates(const struct sched_profile *profile,
                                struct sched_profile_entry *out, size_t max);
enum sched_profile_reason sched_profile_candidate_reason(const struct sched_profile_entry *entry);
/* "spinning", "preempted". */
const char *sched_profile_reason_name(enum sched_profile_reason reason);

/*
 * Attach `profile` (NULL detaches) and its locate callback to `vm`
 * (sched_vm_config.profile / .locate at creation do the same). Takes the
 * scheduler lock.
 */
void sched_vm_set_profile(struct sched_vm *vm, struct sched_profile *profile,
                          sched_locate_fn locate, const void *locate_context);
/* sched_profile_top() / _candidates() of vm's profile under the scheduler
 * lock (0 when it has none); the entries are copies. */
size_t sched_vm_profile_top(struct sched_vm *vm, enum sched_profile_order order,
                            struct sched_profile_entry *out, size_t max);
size_t sched_vm_profile_candidates(struct sched_vm *vm, struct sched_profile_entry *out,
                                   size_t max);
/* A copy of vm's profile header (totals, overflow; `entries` must not be
 * dereferenced without the lock); false when it has none. */
bool sched_vm_profile_summary(struct sched_vm *vm, struct sched_profile *out);

#endif /* SCHED_PROFILE_H */
