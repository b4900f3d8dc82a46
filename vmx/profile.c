/*
 * vmx/profile.c - per-VM yield-profile tables and their end-of-run report
 * (see profile.h; the data structure and ranking are sched/profile.c).
 *
 * Lock order: none held here; sched_vm_profile_*() take the scheduler
 * lock and release it before anything is printed (log_lock).
 */
#include "vmx/profile.h"

#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/string.h"
#include "sched/classify.h"
#include "sched/profile.h"
#include "vmx/classifier.h"
#include "vmx/vm.h"

const char *const vmx_profile_options[] = {"profile_top", NULL};

static uint64_t profile_top = VMX_PROFILE_TOP_DEFAULT;

int vmx_profile_settings(const struct cmdline *cmdline, char *error, unsigned error_size)
{
	return cmdline_get_number(cmdline, "profile_top", VMX_PROFILE_TOP_DEFAULT,
	                          VMX_PROFILE_TOP_MAX, &profile_top, error, error_size);
}

int vmx_profile_allocate(struct vm *vm)
{
	if (!vm)
		return -1;
	vm->profile = NULL;
	if (profile_top == 0)
		return 0;
	void *block = memory_allocate(SCHED_PROFILE_BYTES(VMX_PROFILE_CAPACITY));
	if (!block)
		return -1;
	/* A power of two >= 4: sched_profile_init_block() cannot refuse it. */
	vm->profile = sched_profile_init_block(block, VMX_PROFILE_CAPACITY);
	return 0;
}

void vmx_profile_free(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->profile)
		memory_free(vm->profile);
	vm->profile = NULL;
}

/* fn= of an entry: the representative name, (user), (unknown) or the
 * address when the map has no extent for it any more. */
static void profile_name(const struct sched_profile_entry *entry, const struct vmx_classifier *c,
                         char *buffer, unsigned size)
{
	struct sched_lookup found;
	if (entry->kind == SCHED_PROFILE_KIND_USER) {
		string_copy(buffer, "(user)", size);
	} else if (entry->kind != SCHED_PROFILE_KIND_FUNCTION) {
		string_copy(buffer, "(unknown)", size);
	} else if (c && __atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) &&
	           sched_classifier_lookup_symbol(&c->classifier, entry->function, &found)) {
		string_copy(buffer, found.name, size);
	} else {
		format_string(buffer, size, "0x%llx", (unsigned long long)entry->function);
	}
}

static void profile_report_summary(const struct vm *vm, const struct sched_profile *s)
{
	uint64_t overflow = 0;
	for (unsigned i = 0; i < SCHED_PROFILE_EVENT_COUNT; i++)
		overflow += s->overflow[i];
	log_record("PROFILE vm=%s events=%llu yields=%llu siblings=%llu ipis=%llu virqs=%llu "
	           "user=%llu unknown=%llu functions=%u capacity=%u overflow=%llu top=%llu",
	           vm->name, (unsigned long long)sched_profile_total(s),
	           (unsigned long long)s->events[SCHED_PROFILE_YIELD],
	           (unsigned long long)s->events[SCHED_PROFILE_SIBLING],
	           (unsigned long long)s->events[SCHED_PROFILE_IPI],
	           (unsigned long long)s->events[SCHED_PROFILE_VIRQ],
	           (unsigned long long)sched_profile_entry_events(&s->user),
	           (unsigned long long)sched_profile_entry_events(&s->unknown), s->functions,
	           s->capacity, (unsigned long long)overflow, (unsigned long long)profile_top);
}

static void profile_report_rankings(const struct vm *vm, struct sched_vm *svm,
                                    const struct vmx_classifier *c, struct sched_profile_entry *top)
{
	char name[SCHED_CLASSIFY_NAME_MAX + 1];
	size_t n = sched_vm_profile_top(svm, SCHED_PROFILE_BY_YIELDS, top, profile_top);
	for (size_t i = 0; i < n; i++) {
		profile_name(&top[i], c, name, sizeof(name));
		log_record(
		    "YIELDPROFILE vm=%s rank=%zu fn=%s category=%s yields=%llu siblings=%llu",
		    vm->name, i + 1, name,
		    sched_category_name((enum sched_category)top[i].category),
		    (unsigned long long)top[i].counts[SCHED_PROFILE_YIELD],
		    (unsigned long long)top[i].counts[SCHED_PROFILE_SIBLING]);
	}
	n = sched_vm_profile_top(svm, SCHED_PROFILE_BY_PREEMPTS, top, profile_top);
	for (size_t i = 0; i < n; i++) {
		profile_name(&top[i], c, name, sizeof(name));
		log_record("PREEMPTPROFILE vm=%s rank=%zu fn=%s category=%s ipis=%llu virqs=%llu",
		           vm->name, i + 1, name,
		           sched_category_name((enum sched_category)top[i].category),
		           (unsigned long long)top[i].counts[SCHED_PROFILE_IPI],
		           (unsigned long long)top[i].counts[SCHED_PROFILE_VIRQ]);
	}
}

static void profile_report_candidates(const struct vm *vm, struct sched_vm *svm,
                                      const struct vmx_classifier *c,
                                      struct sched_profile_entry *top, uint64_t total)
{
	char name[SCHED_CLASSIFY_NAME_MAX + 1];
	size_t n = sched_vm_profile_candidates(svm, top, profile_top);
	for (size_t i = 0; i < n; i++) {
		const struct sched_profile_entry *e = &top[i];
		uint64_t events = sched_profile_entry_events(e);
		profile_name(e, c, name, sizeof(name));
		log_record("PROFILECANDIDATE vm=%s rank=%zu fn=%s preempted=%llu yields=%llu "
		           "siblings=%llu ipis=%llu virqs=%llu share_permille=%llu reason=%s",
		           vm->name, i + 1, name,
		           (unsigned long long)sched_profile_entry_preempted(e),
		           (unsigned long long)e->counts[SCHED_PROFILE_YIELD],
		           (unsigned long long)e->counts[SCHED_PROFILE_SIBLING],
		           (unsigned long long)e->counts[SCHED_PROFILE_IPI],
		           (unsigned long long)e->counts[SCHED_PROFILE_VIRQ],
		           (unsigned long long)(total ? events * 1000 / total : 0),
		           sched_profile_reason_name(sched_profile_candidate_reason(e)));
	}
}

void vmx_profile_report(const struct vm *vm, struct sched_vm *svm, const struct vmx_classifier *c)
{
	struct sched_profile summary;
	if (!vm || !svm || profile_top == 0 || !sched_vm_profile_summary(svm, &summary))
		return;
	struct sched_profile_entry *top =
	    memory_allocate((size_t)profile_top * sizeof(struct sched_profile_entry));
	if (!top) {
		log_warning("VM %s: no memory to rank its yield profile", vm->name);
		return;
	}
	profile_report_summary(vm, &summary);
	profile_report_rankings(vm, svm, c, top);
	profile_report_candidates(vm, svm, c, top, sched_profile_total(&summary));
	memory_free(top);
}
