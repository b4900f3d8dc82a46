/*
 * sched/rules.c - category rules: the built-in sets, the rules-file parser,
 * pattern matching and applying rules to a symbol table (public API in
 * sched/classify.h, formats in docs/classification.md).
 *
 * A rule set is an ordered list of (category, pattern); for one symbol
 * name the LAST matching rule decides, so later rules override earlier
 * ones (a rules file that inherits a built-in set can re-classify or, with
 * category "none", un-classify what the set matched). Aliases are merged
 * afterwards by sched_classifier_resolve_aliases() (sched/symbols.c).
 *
 * Adding a built-in set: write a table of SCHED_RULE() lines below and add
 * one SCHED_RULES_SET() line to sched_rules_builtin_sets[].
 *
 * Invariants: every pattern is 1..SCHED_CLASSIFY_NAME_MAX name characters,
 * with '*' only as its first and/or last character and at least one other
 * character; built-in tables are constant and never hold addresses.
 *
 * Lock order: none (see sched/classify.h).
 */
#include "sched/classify.h"
#include "sched/classify_internal.h"
#include "sched/env.h"
#include "sched/format.h"

#define LOCK_SPIN SCHED_CATEGORY_LOCK_SPIN
#define IPI_WAIT  SCHED_CATEGORY_IPI_WAIT
#define CRITICAL  SCHED_CATEGORY_CRITICAL
#define HALT      SCHED_CATEGORY_HALT

/*
 * Linux 4.4: the paper's Table 3 (critical components), the lock-spin and
 * IPI-wait functions named in its sections 3.1 and 4.2, and the 4.4
 * qspinlock/paravirt names of the same services.
 */
static const struct sched_rule sched_rules_linux_4_4[] = {
    /* Yielder waits for a lock (section 4.2: "_raw_spin_lock()"). */
    SCHED_RULE(LOCK_SPIN, "_raw_spin_lock*"),
    SCHED_RULE(LOCK_SPIN, "_raw_read_lock*"),
    SCHED_RULE(LOCK_SPIN, "_raw_write_lock*"),
    SCHED_RULE(LOCK_SPIN, "queued_spin_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "native_queued_spin_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "__pv_queued_spin_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "queued_read_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "queued_write_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "osq_lock"),
    SCHED_RULE(LOCK_SPIN, "*_spin_on_owner"),
    SCHED_RULE(LOCK_SPIN, "kvm_wait"),
    /* Yielder waits for IPI acknowledgements (Table 3 kernel/smp.c and
     * mm/tlb.c senders, section 3.1). */
    SCHED_RULE(IPI_WAIT, "smp_call_function"),
    SCHED_RULE(IPI_WAIT, "smp_call_function_single"),
    SCHED_RULE(IPI_WAIT, "smp_call_function_many"),
    SCHED_RULE(IPI_WAIT, "smp_call_function_any"),
    SCHED_RULE(IPI_WAIT, "on_each_cpu*"),
    SCHED_RULE(IPI_WAIT, "native_flush_tlb_others"),
    SCHED_RULE(IPI_WAIT, "flush_tlb_*"),
    /* Preempted inside a critical section (Table 3). */
    SCHED_RULE(CRITICAL, "irq_enter"),
    SCHED_RULE(CRITICAL, "irq_exit"),
    SCHED_RULE(CRITICAL, "handle_percpu_irq"),
    SCHED_RULE(CRITICAL, "do_flush_tlb_all"),
    SCHED_RULE(CRITICAL, "flush_tlb_func"), /* overrides flush_tlb_* */
    SCHED_RULE(CRITICAL, "leave_mm"),
    SCHED_RULE(CRITICAL, "get_page_from_freelist"),
    SCHED_RULE(CRITICAL, "free_one_page"),
    SCHED_RULE(CRITICAL, "release_pages"),
    SCHED_RULE(CRITICAL, "scheduler_ipi"),
    SCHED_RULE(CRITICAL, "resched_curr"),
    SCHED_RULE(CRITICAL, "kick_process"),
    SCHED_RULE(CRITICAL, "sched_ttwu_pending"),
    SCHED_RULE(CRITICAL, "ttwu_do_activate"),
    SCHED_RULE(CRITICAL, "ttwu_do_wakeup"),
    SCHED_RULE(CRITICAL, "_raw_spin_unlock*"),
    SCHED_RULE(CRITICAL, "__raw_spin_unlock*"),
    SCHED_RULE(CRITICAL, "_raw_read_unlock*"),
    SCHED_RULE(CRITICAL, "_raw_write_unlock*"),
    SCHED_RULE(CRITICAL, "__pv_queued_spin_unlock*"),
    SCHED_RULE(CRITICAL, "__raw_callee_save___pv_queued_spin_unlock*"),
    SCHED_RULE(CRITICAL, "__rwsem_do_wake"),
    SCHED_RULE(CRITICAL, "rwsem_wake"),
    /* Yielder is idle. */
    SCHED_RULE(HALT, "native_safe_halt"),
    SCHED_RULE(HALT, "native_halt"),
    SCHED_RULE(HALT, "default_idle"),
    SCHED_RULE(HALT, "arch_cpu_idle"),
    SCHED_RULE(HALT, "default_idle_call"),
    SCHED_RULE(HALT, "cpu_idle_loop"),
};

/*
 * Linux 6.x (checked against a Linux 6.1 System.map): the same services
 * under their current names. Spin unlock is inlined into its callers in
 * 6.x on x86; what remains out of line is the paravirt/native unlock.
 */
static const struct sched_rule sched_rules_linux_6[] = {
    /* Yielder waits for a lock. */
    SCHED_RULE(LOCK_SPIN, "_raw_spin_lock*"),
    SCHED_RULE(LOCK_SPIN, "_raw_read_lock*"),
    SCHED_RULE(LOCK_SPIN, "_raw_write_lock*"),
    SCHED_RULE(LOCK_SPIN, "queued_spin_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "native_queued_spin_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "__pv_queued_spin_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "queued_read_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "queued_write_lock_slowpath"),
    SCHED_RULE(LOCK_SPIN, "osq_lock"),
    SCHED_RULE(LOCK_SPIN, "*_spin_on_owner"),
    SCHED_RULE(SCHED_CATEGORY_NONE, "mutex_can_spin_on_owner"), /* a test */
    SCHED_RULE(LOCK_SPIN, "kvm_wait"),
    /* Yielder waits for IPI acknowledgements. */
    SCHED_RULE(IPI_WAIT, "smp_call_function"),
    SCHED_RULE(IPI_WAIT, "smp_call_function_single"),
    SCHED_RULE(IPI_WAIT, "smp_call_function_many*"),
    SCHED_RULE(IPI_WAIT, "smp_call_function_any"),
    SCHED_RULE(IPI_WAIT, "on_each_cpu_cond_mask"),
    SCHED_RULE(IPI_WAIT, "native_flush_tlb_multi"),
    SCHED_RULE(IPI_WAIT, "flush_tlb_multi"),
    SCHED_RULE(IPI_WAIT, "kvm_flush_tlb_multi"),
    SCHED_RULE(IPI_WAIT, "flush_tlb_mm_range"),
    SCHED_RULE(IPI_WAIT, "flush_tlb_all"),
    SCHED_RULE(IPI_WAIT, "flush_tlb_kernel_range"),
    SCHED_RULE(IPI_WAIT, "arch_tlbbatch_flush"),
    /* Preempted inside a critical section. */
    SCHED_RULE(CRITICAL, "__pv_queued_spin_unlock*"),
    SCHED_RULE(CRITICAL, "__raw_callee_save___pv_queued_spin_unlock*"),
    SCHED_RULE(CRITICAL, "__native_queued_spin_unlock"),
    SCHED_RULE(CRITICAL, "_raw_spin_unlock*"),
    SCHED_RULE(CRITICAL, "_raw_read_unlock*"),
    SCHED_RULE(CRITICAL, "_raw_write_unlock*"),
    SCHED_RULE(CRITICAL, "__task_rq_unlock"),
    SCHED_RULE(CRITICAL, "osq_unlock"),
    SCHED_RULE(CRITICAL, "irq_enter*"),
    SCHED_RULE(CRITICAL, "irq_exit*"),
    SCHED_RULE(CRITICAL, "handle_percpu_irq"),
    SCHED_RULE(CRITICAL, "handle_edge_irq"),
    SCHED_RULE(CRITICAL, "handle_fasteoi_irq"),
    SCHED_RULE(CRITICAL, "*sysvec_call_function*"),
    SCHED_RULE(CRITICAL, "*sysvec_reschedule_ipi"),
    SCHED_RULE(CRITICAL, "__flush_smp_call_function_queue"),
    SCHED_RULE(CRITICAL, "flush_smp_call_function_queue"),
    SCHED_RULE(CRITICAL, "generic_smp_call_function_single_interrupt"),
    SCHED_RULE(CRITICAL, "flush_tlb_func"),
    SCHED_RULE(CRITICAL, "do_flush_tlb_all"),
    SCHED_RULE(CRITICAL, "do_kernel_range_flush"),
    SCHED_RULE(CRITICAL, "leave_mm"),
    SCHED_RULE(CRITICAL, "resched_curr"),
    SCHED_RULE(CRITICAL, "kick_process"),
    SCHED_RULE(CRITICAL, "sched_ttwu_pending"),
    SCHED_RULE(CRITICAL, "ttwu_do_activate"),
    SCHED_RULE(CRITICAL, "ttwu_do_wakeup"),
    SCHED_RULE(CRITICAL, "ttwu_queue_wakelist"),
    SCHED_RULE(CRITICAL, "try_to_wake_up"),
    SCHED_RULE(CRITICAL, "get_page_from_freelist"),
    SCHED_RULE(CRITICAL, "free_one_page"),
    SCHED_RULE(CRITICAL, "free_pcppages_bulk"),
    /* zone->lock holders out of line in 6.1: found by the yield profiler
     * (PROFILECANDIDATE) on the live guest's lock workload */
    SCHED_RULE(CRITICAL, "__free_one_page"),
    SCHED_RULE(CRITICAL, "find_buddy_page_pfn"),
    SCHED_RULE(CRITICAL, "rmqueue_bulk"),
    /* Preempted while sending a shootdown or wake-up IPI (the APIC write
     * paths; xAPIC EOIs go through native_apic_mem_write too): the
     * profiler's next candidates on the live guest's lock and tlb runs. */
    SCHED_RULE(CRITICAL, "native_send_call_func*"),
    SCHED_RULE(CRITICAL, "native_smp_send_reschedule"),
    SCHED_RULE(CRITICAL, "__default_send_IPI*"),
    SCHED_RULE(CRITICAL, "default_send_IPI*"),
    SCHED_RULE(CRITICAL, "*x2apic_send_IPI*"),
    SCHED_RULE(CRITICAL, "__xapic_wait_icr_idle"),
    SCHED_RULE(CRITICAL, "native_apic_mem_write"),
    SCHED_RULE(CRITICAL, "release_pages"),
    SCHED_RULE(CRITICAL, "rwsem_wake"),
    SCHED_RULE(CRITICAL, "rwsem_mark_wake"),
    /* Yielder is idle. */
    SCHED_RULE(HALT, "native_safe_halt"),
    SCHED_RULE(HALT, "native_halt"),
    SCHED_RULE(HALT, "default_idle"),
    SCHED_RULE(HALT, "default_idle_call"),
    SCHED_RULE(HALT, "arch_cpu_idle"),
    SCHED_RULE(HALT, "do_idle"),
    SCHED_RULE(HALT, "cpu_idle_poll"),
    SCHED_RULE(HALT, "acpi_safe_halt"),
    SCHED_RULE(HALT, "acpi_idle_do_entry"),
    SCHED_RULE(HALT, "mwait_idle*"),
};

#define SCHED_RULES_SET(set_name, table)                                                           \
	{                                                                                          \
		.name = set_name, .rules = table, .count = sizeof(table) / sizeof((table)[0]),     \
	}

static const struct sched_rules sched_rules_builtin_sets[] = {
    SCHED_RULES_SET("linux-4.4", sched_rules_linux_4_4),
    SCHED_RULES_SET("linux-6.x", sched_rules_linux_6),
};

#define SCHED_RULES_BUILTIN_COUNT                                                                  \
	(sizeof(sched_rules_builtin_sets) / sizeof(sched_rules_builtin_sets[0]))

static const char *const sched_category_names[SCHED_CATEGORY_COUNT] = {
    [SCHED_CATEGORY_NONE] = "none",         [SCHED_CATEGORY_LOCK_SPIN] = "lock-spin",
    [SCHED_CATEGORY_IPI_WAIT] = "ipi-wait", [SCHED_CATEGORY_CRITICAL] = "critical",
    [SCHED_CATEGORY_HALT] = "halt",
};

/* Does text[0..length) equal the NUL-terminated `word`? */
static bool sched_rules_equal(const char *text, size_t length, const char *word)
{
	return strlen(word) == length && memcmp(text, word, length) == 0;
}

const char *sched_category_name(enum sched_category category)
{
	if ((unsigned)category >= SCHED_CATEGORY_COUNT)
		return "?";
	return sched_category_names[category];
}

bool sched_category_from_name(const char *name, size_t length, enum sched_category *category)
{
	for (unsigned i = 0; i < SCHED_CATEGORY_COUNT; i++) {
		if (sched_rules_equal(name, length, sched_category_names[i])) {
			*category = (enum sched_category)i;
			return true;
		}
	}
	return false;
}

static const struct sched_rules *sched_rules_find_builtin(const char *name, size_t length)
{
	for (size_t i = 0; i < SCHED_RULES_BUILTIN_COUNT; i++)
		if (sched_rules_equal(name, length, sched_rules_builtin_sets[i].name))
			return &sched_rules_builtin_sets[i];
	return NULL;
}

const struct sched_rules *sched_rules_builtin(const char *name)
{
	return sched_rules_find_builtin(name, strlen(name));
}

const struct sched_rules *sched_rules_builtin_at(size_t index)
{
	if (index >= SCHED_RULES_BUILTIN_COUNT)
		return NULL;
	return &sched_rules_builtin_sets[index];
}

/* ---- matching ----------------------------------------------------------- */

static bool sched_rules_match_length(const char *pattern, size_t pattern_length, const char *name,
                                     size_t length)
{
	bool leading = pattern_length > 0 && pattern[0] == '*';
	bool trailing = pattern_length > 1 && pattern[pattern_length - 1] == '*';
	const char *core = pattern + (leading ? 1 : 0);
	size_t core_length = pattern_length - (leading ? 1 : 0) - (trailing ? 1 : 0);

	/* Cheap rejections first: this runs symbols x rules times. */
	if (core_length > length)
		return false;
	if (!leading && !trailing)
		return core_length == length && core[0] == name[0] &&
		       memcmp(core, name, length) == 0;
	if (!leading) /* prefix* */
		return core[0] == name[0] && memcmp(core, name, core_length) == 0;
	if (!trailing) /* *suffix */
		return core[core_length - 1] == name[length - 1] &&
		       memcmp(core, name + length - core_length, core_length) == 0;
	for (size_t start = 0; start + core_length <= length; start++)
		if (name[start] == core[0] && memcmp(core, name + start, core_length) == 0)
			return true; /* *infix* */
	return false;
}

bool sched_rules_match(const char *pattern, const char *name, size_t length)
{
	return sched_rules_match_length(pattern, strlen(pattern), name, length);
}

void sched_classifier_apply(struct sched_classifier *classifier, const struct sched_rules *rules)
{
	for (size_t i = 0; i < classifier->count; i++) {
		struct sched_symbol *symbol = &classifier->symbols[i];
		const char *name = classifier->names + symbol->name_offset;

		symbol->own_category = SCHED_CATEGORY_NONE;
		for (size_t rule = rules->count; rule-- > 0;) {
			const struct sched_rule *candidate = &rules->rules[rule];

			if (sched_rules_match_length(candidate->pattern, candidate->length, name,
			                             symbol->name_length)) {
				symbol->own_category = candidate->category;
				break;
			}
		}
	}
	classifier->rules_name = rules->name;
	sched_classifier_resolve_aliases(classifier);
}

/* ---- rules files -------------------------------------------------------- */

/* Checks a pattern; returns NULL if fine, else the reason. */
static const char *sched_rules_check_pattern(const char *pattern, size_t length)
{
	if (length > SCHED_CLASSIFY_NAME_MAX)
		return "pattern longer than 255 characters";
	if (sched_classify_check_name(pattern, length) != NULL)
		return "bad character in pattern";
	for (size_t i = 1; i + 1 < length; i++)
		if (pattern[i] == '*')
			return "'*' is allowed only at the start or end of a pattern";
	if (length <= 2 && pattern[0] == '*' && pattern[length - 1] == '*')
		return "pattern matches every name";
	return NULL;
}

/* Running totals of a rules-file pass. */
struct sched_rules_pass {
	struct sched_rule *rules; /* NULL in the counting pass */
	char *patterns;           /* NULL in the counting pass */
	size_t count;             /* rules now in effect       */
	size_t slots;             /* rules ever added          */
	size_t pattern_bytes;     /* bytes of copied patterns  */
	uint32_t inherited;       /* built-in sets in effect, by index */
};

static void sched_rules_add(struct sched_rules_pass *pass, enum sched_category category,
                            const char *pattern, size_t length, bool copy)
{
	if (pass->rules) {
		struct sched_rule *rule = &pass->rules[pass->count];

		if (copy) {
			char *stored = pass->patterns + pass->pattern_bytes;

			memcpy(stored, pattern, length);
			stored[length] = '\0';
			pattern = stored;
		}
		rule->pattern = pattern;
		rule->length = (uint16_t)length;
		rule->category = (uint8_t)category;
	}
	if (copy)
		pass->pattern_bytes += length + 1;
	pass->count++;
	pass->slots++;
}

/* One line; returns NULL, or the reason it is wrong (token in *token). */
static const char *sched_rules_line(struct sched_rules_pass *pass, const char *line, size_t length,
                                    const char **token, size_t *token_length)
{
	size_t position = 0;
	const char *keyword;
	size_t keyword_length;
	const char *argument;
	size_t argument_length;
	const char *extra;
	size_t extra_length;
	enum sched_category category;
	const char *reason;

	for (size_t i = 0; i < length; i++) {
		if (line[i] == '#') {
			length = i; /* a comment runs to the end of the line */
			break;
		}
	}
	if (!sched_classify_next_field(line, length, &position, &keyword, &keyword_length))
		return NULL;
	*token = keyword;
	*token_length = keyword_length;
	if (sched_rules_equal(keyword, keyword_length, "clear")) {
		if (sched_classify_next_field(line, length, &position, token, token_length))
			return "unexpected text after clear";
		pass->count = 0;
		pass->inherited = 0;
		return NULL;
	}
	if (sched_rules_equal(keyword, keyword_length, "inherit")) {
		const struct sched_rules *set;

		if (!sched_classify_next_field(line, length, &position, &argument,
		                               &argument_length)) {
			*token = NULL;
			return "missing rule set name after inherit";
		}
		set = sched_rules_find_builtin(argument, argument_length);
		*token = argument;
		*token_length = argument_length;
		if (!set)
			return "unknown rule set";
		if (sched_classify_next_field(line, length, &position, token, token_length))
			return "unexpected text after rule set name";
		uint32_t bit = 1u << (set - sched_rules_builtin_sets);
		if (pass->inherited & bit)
			return "rule set already inherited (since the last clear)";
		pass->inherited |= bit;
		if (pass->slots + set->count > SCHED_RULES_MAX)
			return "more rules than the limit of " SCHED_CLASSIFY_TEXT(SCHED_RULES_MAX);
		for (size_t i = 0; i < set->count; i++)
			sched_rules_add(pass, (enum sched_category)set->rules[i].category,
			                set->rules[i].pattern, set->rules[i].length, false);
		return NULL;
	}
	if (!sched_category_from_name(keyword, keyword_length, &category))
		return "unknown category or directive";
	if (!sched_classify_next_field(line, length, &position, &argument, &argument_length)) {
		*token = NULL;
		return "missing pattern";
	}
	*token = argument;
	*token_length = argument_length;
	reason = sched_rules_check_pattern(argument, argument_length);
	if (reason)
		return reason;
	if (pass->slots + 1 > SCHED_RULES_MAX)
		return "more rules than the limit of " SCHED_CLASSIFY_TEXT(SCHED_RULES_MAX);
	if (sched_classify_next_field(line, length, &position, &extra, &extra_length)) {
		*token = extra;
		*token_length = extra_length;
		return "unexpected text after pattern";
	}
	sched_rules_add(pass, category, argument, argument_length, true);
	return NULL;
}

/* One pass over the file; returns 0, or -1 with error filled. */
static int sched_rules_pass(struct sched_rules_pass *pass, const char *text, size_t length,
                            const char *file, struct sched_error *error)
{
	struct sched_line_reader reader;
	const char *line;
	size_t line_length;

	sched_line_reader_init(&reader, text, length);
	while (sched_line_reader_next(&reader, &line, &line_length)) {
		const char *token = NULL;
		size_t token_length = 0;
		const char *reason =
		    sched_rules_line(pass, line, line_length, &token, &token_length);

		if (reason) {
			sched_classify_set_error(error, file, reader.number, reason, token,
			                         token_length);
			return -1;
		}
	}
	return 0;
}

int sched_rules_parse(struct sched_rules *rules, const char *text, size_t length, const char *file,
                      struct sched_arena *arena, struct sched_error *error)
{
	struct sched_rules_pass census = {0};
	struct sched_rules_pass fill = {0};
	size_t arena_used = arena->used;

	if (sched_rules_pass(&census, text, length, file, error) < 0)
		return -1;
	if (census.slots > 0) {
		fill.rules = sched_arena_alloc(arena, census.slots * sizeof(*fill.rules),
		                               _Alignof(struct sched_rule));
		fill.patterns = sched_arena_alloc(arena, census.pattern_bytes + 1, 1);
		if (!fill.rules || !fill.patterns) {
			arena->used = arena_used;
			sched_classify_set_error(error, file, 0, "arena too small for the rules",
			                         NULL, 0);
			return -1;
		}
		/* Same text, already validated: cannot fail. */
		sched_rules_pass(&fill, text, length, file, error);
	}
	rules->name = file;
	rules->rules = fill.rules;
	rules->count = fill.count;
	return 0;
}
