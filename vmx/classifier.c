/*
 * vmx/classifier.c - building and using a VM's classifier (see classifier.h).
 *
 * Lock order: none (see classifier.h).
 */
#include "vmx/classifier.h"

#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/string.h"
#include "vmx/vm.h"

enum sched_category vmx_classifier_classify(const void *context, uint64_t rip)
{
	const struct vmx_classifier *slot = context;
	if (!__atomic_load_n(&slot->ready, __ATOMIC_ACQUIRE))
		return SCHED_CATEGORY_NONE;
	return sched_classifier_lookup(&slot->classifier, rip);
}

bool vmx_classifier_locate(const void *context, uint64_t rip, uint64_t *function,
                           enum sched_category *category)
{
	const struct vmx_classifier *slot = context;
	if (!slot || !__atomic_load_n(&slot->ready, __ATOMIC_ACQUIRE))
		return false;
	return sched_classifier_locate(&slot->classifier, rip, function, category);
}

int vmx_classifier_build(struct vm *vm, struct vmx_classifier *c, char *error, unsigned error_size)
{
	struct sched_classifier *classifier = &c->classifier;
	if (!vm->symbols)
		return 1; /* no map: nothing is critical */
	size_t arena_size = (size_t)vm->symbols_length * 2 + 65536;
	void *arena_memory = memory_allocate(arena_size);
	if (!arena_memory) {
		format_string(error, error_size, "VM %s: no memory to parse its System.map",
		              vm->name);
		return -1;
	}
	struct sched_arena arena;
	sched_arena_init(&arena, arena_memory, arena_size);
	struct sched_error parse_error;
	if (sched_classifier_parse_map(classifier, vm->symbols, (size_t)vm->symbols_length,
	                               vm->symbols_name, &arena, &parse_error) != 0) {
		format_string(error, error_size, "%s", parse_error.message);
		memory_free(arena_memory);
		return -1;
	}
	const struct sched_rules *rules = NULL;
	if (vm->rules_text) {
		if (sched_rules_parse(&c->rules, vm->rules_text, (size_t)vm->rules_length,
		                      vm->rules, &arena, &parse_error) != 0) {
			format_string(error, error_size, "%s", parse_error.message);
			memory_free(arena_memory);
			return -1;
		}
		rules = &c->rules;
	} else {
		rules = sched_rules_builtin(vm->rules[0] ? vm->rules : "linux-6.x");
		if (!rules) {
			format_string(
			    error, error_size,
			    "VM %s: rules \"%s\" is neither a built-in set nor a boot module",
			    vm->name, vm->rules);
			memory_free(arena_memory);
			return -1;
		}
	}
	sched_classifier_apply(classifier, rules);
	log_record("CLASSIFIER vm=%s map=%s rules=%s text_symbols=%zu lock_spin=%zu ipi_wait=%zu "
	           "critical=%zu halt=%zu",
	           vm->name, vm->symbols_name, rules->name, classifier->count,
	           classifier->classified[SCHED_CATEGORY_LOCK_SPIN],
	           classifier->classified[SCHED_CATEGORY_IPI_WAIT],
	           classifier->classified[SCHED_CATEGORY_CRITICAL],
	           classifier->classified[SCHED_CATEGORY_HALT]);
	__atomic_store_n(&c->ready, true, __ATOMIC_RELEASE);
	return 0;
}

size_t vmx_classifier_format_rip(const struct vmx_classifier *c, uint64_t rip, char *buffer,
                                 size_t size)
{
	if (!__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE)) {
		int n = format_string(buffer, size, "0x%llx", (unsigned long long)rip);
		return n > 0 ? (size_t)n : 0;
	}
	return sched_classifier_format_rip(&c->classifier, rip, buffer, size);
}
