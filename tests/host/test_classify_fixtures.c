/*
 * tests/host/test_classify_fixtures.c - the built-in rule sets on real
 * symbol maps (sched/classify.h).
 *
 * Table-driven: the built-in linux-6.x rules on the real Linux 6.1
 * System.map of tests/fixtures/linux-6.1 (function name -> expected
 * category, including aliases and neighbours that must stay unclassified),
 * the linux-4.4 rules on the synthetic map of tests/fixtures/linux-4.4, and
 * each family's names left alone by the other family's set. No address is
 * written here: every RIP is a symbol's address, found by name in the map
 * at run time, plus an offset (0, a small one, the extent's last byte).
 * Run from the repository root (the fixtures are read by relative path).
 *
 * Lock order: none (single-threaded).
 */
#include <stdlib.h>

#include "sched/classify.h"
#include "tests/host/test.h"

#define FIXTURE_6_1 "tests/fixtures/linux-6.1/System.map"
#define FIXTURE_4_4 "tests/fixtures/linux-4.4/System.map"

static uint8_t arena_memory[8u << 20];

static struct sched_arena fresh_arena(void)
{
	struct sched_arena arena;

	sched_arena_init(&arena, arena_memory, sizeof(arena_memory));
	return arena;
}

static char *read_file(const char *path, size_t *length)
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
	if (text && fread(text, 1, (size_t)size, file) != (size_t)size) {
		free(text);
		text = NULL;
	}
	fclose(file);
	if (text) {
		text[size] = '\0';
		*length = (size_t)size;
	}
	return text;
}

/* One expectation: `name`'s extent has `category` and reports `reported`. */
struct fixture_row {
	const char *name;
	enum sched_category category;
	const char *reported; /* representative alias; NULL: name itself */
};

static const struct fixture_row linux_6_1_rows[] = {
    {"_raw_spin_lock", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"_raw_spin_lock_irqsave", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"_raw_spin_lock_irq", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"_raw_spin_lock_bh", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"_raw_read_lock", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"_raw_write_lock_irqsave", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"native_queued_spin_lock_slowpath", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"__pv_queued_spin_lock_slowpath", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"queued_read_lock_slowpath", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"queued_write_lock_slowpath", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"osq_lock", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"mutex_spin_on_owner", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"rwsem_spin_on_owner", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"mutex_can_spin_on_owner", SCHED_CATEGORY_NONE, NULL},
    {"kvm_wait", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"queued_spin_lock_slowpath", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"smp_call_function_many_cond", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"smp_call_function_many", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"smp_call_function_single", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"smp_call_function", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"smp_call_function_any", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"on_each_cpu_cond_mask", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"native_flush_tlb_multi", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_multi", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_mm_range", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_all", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_kernel_range", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"arch_tlbbatch_flush", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"__raw_callee_save___pv_queued_spin_unlock", SCHED_CATEGORY_CRITICAL, NULL},
    {"__raw_callee_save___pv_queued_spin_unlock_slowpath", SCHED_CATEGORY_CRITICAL, NULL},
    {"__pv_queued_spin_unlock_slowpath", SCHED_CATEGORY_CRITICAL, NULL},
    {"__native_queued_spin_unlock", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_spin_unlock_bh", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_spin_unlock_irqrestore", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_read_unlock_bh", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_write_unlock_irqrestore", SCHED_CATEGORY_CRITICAL, NULL},
    {"__task_rq_unlock", SCHED_CATEGORY_CRITICAL, NULL},
    /* rq_unlock is an alias of __task_rq_unlock: classified through it. */
    {"rq_unlock", SCHED_CATEGORY_CRITICAL, "__task_rq_unlock"},
    {"osq_unlock", SCHED_CATEGORY_CRITICAL, NULL},
    {"irq_enter", SCHED_CATEGORY_CRITICAL, NULL},
    {"irq_enter_rcu", SCHED_CATEGORY_CRITICAL, NULL},
    {"irq_exit", SCHED_CATEGORY_CRITICAL, NULL},
    {"irq_exit_rcu", SCHED_CATEGORY_CRITICAL, NULL},
    {"handle_percpu_irq", SCHED_CATEGORY_CRITICAL, NULL},
    {"handle_edge_irq", SCHED_CATEGORY_CRITICAL, NULL},
    {"handle_fasteoi_irq", SCHED_CATEGORY_CRITICAL, NULL},
    {"sysvec_call_function", SCHED_CATEGORY_CRITICAL, NULL},
    {"sysvec_call_function_single", SCHED_CATEGORY_CRITICAL, NULL},
    {"__sysvec_call_function", SCHED_CATEGORY_CRITICAL, NULL},
    {"__sysvec_call_function_single", SCHED_CATEGORY_CRITICAL, NULL},
    {"sysvec_reschedule_ipi", SCHED_CATEGORY_CRITICAL, NULL},
    {"__flush_smp_call_function_queue", SCHED_CATEGORY_CRITICAL, NULL},
    {"flush_smp_call_function_queue", SCHED_CATEGORY_CRITICAL, NULL},
    {"generic_smp_call_function_single_interrupt", SCHED_CATEGORY_CRITICAL, NULL},
    {"flush_tlb_func", SCHED_CATEGORY_CRITICAL, NULL},
    {"do_flush_tlb_all", SCHED_CATEGORY_CRITICAL, NULL},
    {"do_kernel_range_flush", SCHED_CATEGORY_CRITICAL, NULL},
    {"leave_mm", SCHED_CATEGORY_CRITICAL, NULL},
    {"resched_curr", SCHED_CATEGORY_CRITICAL, NULL},
    {"kick_process", SCHED_CATEGORY_CRITICAL, NULL},
    {"sched_ttwu_pending", SCHED_CATEGORY_CRITICAL, NULL},
    {"ttwu_do_activate", SCHED_CATEGORY_CRITICAL, NULL},
    {"ttwu_do_wakeup", SCHED_CATEGORY_CRITICAL, NULL},
    {"ttwu_queue_wakelist", SCHED_CATEGORY_CRITICAL, NULL},
    {"try_to_wake_up", SCHED_CATEGORY_CRITICAL, NULL},
    {"get_page_from_freelist", SCHED_CATEGORY_CRITICAL, NULL},
    {"free_pcppages_bulk", SCHED_CATEGORY_CRITICAL, NULL},
    {"release_pages", SCHED_CATEGORY_CRITICAL, NULL},
    {"rwsem_mark_wake", SCHED_CATEGORY_CRITICAL, NULL},
    {"native_safe_halt", SCHED_CATEGORY_HALT, NULL},
    {"default_idle", SCHED_CATEGORY_HALT, NULL},
    {"default_idle_call", SCHED_CATEGORY_HALT, NULL},
    {"arch_cpu_idle", SCHED_CATEGORY_HALT, NULL},
    {"do_idle", SCHED_CATEGORY_HALT, NULL},
    /* __cpuidle_text_start aliases native_safe_halt: the classified
     * alias represents the address. */
    {"__cpuidle_text_start", SCHED_CATEGORY_HALT, "native_safe_halt"},
    {"acpi_idle_do_entry", SCHED_CATEGORY_HALT, NULL},
    {"mwait_idle", SCHED_CATEGORY_HALT, NULL},
    /* Neighbours that must stay unclassified. */
    {"_raw_spin_trylock", SCHED_CATEGORY_NONE, NULL},
    {"_raw_spin_trylock_bh", SCHED_CATEGORY_NONE, NULL},
    {"native_flush_tlb_local", SCHED_CATEGORY_NONE, NULL},
    {"flush_tlb_one_kernel", SCHED_CATEGORY_NONE, NULL},
    {"native_smp_send_reschedule", SCHED_CATEGORY_CRITICAL,
     NULL}, /* IPI senders: critical since the live-guest profile */
    {"native_send_call_func_ipi", SCHED_CATEGORY_CRITICAL, NULL},
    {"mutex_lock", SCHED_CATEGORY_NONE, NULL},
    {"up_write", SCHED_CATEGORY_NONE, NULL},
    {"schedule", SCHED_CATEGORY_NONE, NULL},
    {"wake_up_q", SCHED_CATEGORY_NONE, NULL},
    {"startup_64", SCHED_CATEGORY_NONE, "_stext"},
    {"_text", SCHED_CATEGORY_NONE, "_stext"},
    {"__x86_return_thunk", SCHED_CATEGORY_NONE, NULL},
};

static const struct fixture_row linux_4_4_rows[] = {
    {"_raw_spin_lock", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"_raw_spin_lock_irqsave", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"_raw_write_lock_bh", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"native_queued_spin_lock_slowpath", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"__pv_queued_spin_lock_slowpath", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"queued_read_lock_slowpath", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"osq_lock", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"mutex_spin_on_owner", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"rwsem_spin_on_owner", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"kvm_wait", SCHED_CATEGORY_LOCK_SPIN, NULL},
    {"smp_call_function_many", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"smp_call_function_single", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"smp_call_function", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"smp_call_function_any", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"on_each_cpu", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"on_each_cpu_mask", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"on_each_cpu_cond", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"native_flush_tlb_others", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_current_task", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_mm_range", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_page", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_all", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"flush_tlb_kernel_range", SCHED_CATEGORY_IPI_WAIT, NULL},
    {"irq_enter", SCHED_CATEGORY_CRITICAL, NULL},
    {"irq_exit", SCHED_CATEGORY_CRITICAL, NULL},
    {"handle_percpu_irq", SCHED_CATEGORY_CRITICAL, NULL},
    {"do_flush_tlb_all", SCHED_CATEGORY_CRITICAL, NULL},
    {"flush_tlb_func", SCHED_CATEGORY_CRITICAL, NULL},
    {"leave_mm", SCHED_CATEGORY_CRITICAL, NULL},
    {"get_page_from_freelist", SCHED_CATEGORY_CRITICAL, NULL},
    {"free_one_page", SCHED_CATEGORY_CRITICAL, NULL},
    {"release_pages", SCHED_CATEGORY_CRITICAL, NULL},
    {"scheduler_ipi", SCHED_CATEGORY_CRITICAL, NULL},
    {"resched_curr", SCHED_CATEGORY_CRITICAL, NULL},
    {"kick_process", SCHED_CATEGORY_CRITICAL, NULL},
    {"sched_ttwu_pending", SCHED_CATEGORY_CRITICAL, NULL},
    {"ttwu_do_activate", SCHED_CATEGORY_CRITICAL, NULL},
    {"ttwu_do_wakeup", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_spin_unlock", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_spin_unlock_irq", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_spin_unlock_irqrestore", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_spin_unlock_bh", SCHED_CATEGORY_CRITICAL, NULL},
    {"_raw_read_unlock", SCHED_CATEGORY_CRITICAL, NULL},
    {"__rwsem_do_wake", SCHED_CATEGORY_CRITICAL, NULL},
    {"rwsem_wake", SCHED_CATEGORY_CRITICAL, NULL},
    {"__pv_queued_spin_unlock", SCHED_CATEGORY_CRITICAL, NULL},
    {"native_safe_halt", SCHED_CATEGORY_HALT, NULL},
    {"native_halt", SCHED_CATEGORY_HALT, NULL},
    {"default_idle", SCHED_CATEGORY_HALT, NULL},
    {"arch_cpu_idle", SCHED_CATEGORY_HALT, NULL},
    {"default_idle_call", SCHED_CATEGORY_HALT, NULL},
    {"cpu_idle_loop", SCHED_CATEGORY_HALT, NULL},
    {"_raw_spin_trylock", SCHED_CATEGORY_NONE, NULL},
    {"schedule", SCHED_CATEGORY_NONE, NULL},
    {"mutex_lock", SCHED_CATEGORY_NONE, NULL},
    {"handle_level_irq", SCHED_CATEGORY_NONE, NULL},
    {"generic_exec_single", SCHED_CATEGORY_NONE, NULL},
    {"native_smp_send_reschedule", SCHED_CATEGORY_NONE, NULL},
    {"startup_64", SCHED_CATEGORY_NONE, "_stext"},
    {"__entry_text_start", SCHED_CATEGORY_NONE, "__entry_text_start"},
    {"entry_SYSCALL_64", SCHED_CATEGORY_NONE, "__entry_text_start"},
};

/* Names whose meaning changed between 4.4 and 6.x: wrong set, no match. */
static const char *const linux_4_4_only[] = {
    "native_flush_tlb_others", "flush_tlb_page", "flush_tlb_current_task", "on_each_cpu",
    "__rwsem_do_wake",         "cpu_idle_loop",  "scheduler_ipi",
};
static const char *const linux_6_only[] = {
    "native_flush_tlb_multi", "smp_call_function_many_cond",
    "irq_enter_rcu",          "__sysvec_call_function",
    "rwsem_mark_wake",
};

/*
 * Load `path`, apply the built-in set `rules_name`, check every row at
 * offsets 0, a small one and the extent's last byte. Returns the text
 * (caller frees) so callers can run more checks, or NULL.
 */
static char *check_fixture(const char *path, const char *rules_name, const struct fixture_row *rows,
                           size_t count, struct sched_classifier *classifier)
{
	struct sched_arena arena = fresh_arena();
	struct sched_error error;
	const struct sched_rules *rules = sched_rules_builtin(rules_name);
	size_t length = 0;
	char *text = read_file(path, &length);

	CHECK(text != NULL);
	CHECK(rules != NULL);
	if (!text || !rules)
		return text;
	if (sched_classifier_parse_map(classifier, text, length, path, &arena, &error) != 0) {
		CHECK_STR(error.message, "(no error)");
		return text;
	}
	sched_classifier_apply(classifier, rules);
	for (size_t i = 0; i < count; i++) {
		uint64_t address = 0;
		struct sched_lookup found = {0};
		uint64_t offsets[3];

		if (sched_classifier_find(classifier, rows[i].name, &address) == 0) {
			CHECK_STR(rows[i].name, "(a name in the fixture)");
			continue;
		}
		CHECK(sched_classifier_lookup_symbol(classifier, address, &found));
		CHECK(found.size > 0);
		offsets[0] = 0;
		offsets[1] = found.size > 4 ? 4 : found.size - 1;
		offsets[2] = found.size - 1;
		for (int k = 0; k < 3; k++) {
			uint64_t rip = address + offsets[k];
			enum sched_category category = sched_classifier_lookup(classifier, rip);

			if (category != rows[i].category)
				fprintf(stderr, "  %s+%#llx: got %s, want %s\n", rows[i].name,
				        (unsigned long long)offsets[k],
				        sched_category_name(category),
				        sched_category_name(rows[i].category));
			CHECK_EQ(category, rows[i].category);
			CHECK(sched_classifier_lookup_symbol(classifier, rip, &found));
			CHECK_STR(found.name, rows[i].reported ? rows[i].reported : rows[i].name);
			CHECK_EQ(found.offset, offsets[k]);
		}
		/* The byte after the extent belongs to someone else. */
		CHECK(!sched_classifier_lookup_symbol(classifier, address + found.size, &found) ||
		      found.offset == 0);
	}
	return text;
}

/* Independent count of the map's text and other symbol lines. */
static void count_map_lines(const char *text, size_t *text_symbols, size_t *others, unsigned *lines)
{
	*text_symbols = *others = 0;
	*lines = 0;
	for (const char *line = text; *line;) {
		const char *newline = strchr(line, '\n');
		char type = 0;
		char name[256];
		unsigned long long address;

		if (sscanf(line, "%llx %c %255s", &address, &type, name) == 3) {
			if (type == 'T' || type == 't' || type == 'W')
				(*text_symbols)++;
			else
				(*others)++;
		}
		(*lines)++;
		if (!newline)
			break;
		line = newline + 1;
	}
}

static void test_fixture_linux_6_1(void)
{
	struct sched_classifier classifier;
	size_t text_symbols, others;
	unsigned lines;
	char *text = check_fixture(FIXTURE_6_1, "linux-6.x", linux_6_1_rows,
	                           sizeof(linux_6_1_rows) / sizeof(linux_6_1_rows[0]), &classifier);

	if (!text)
		return;
	count_map_lines(text, &text_symbols, &others, &lines);
	CHECK(text_symbols > 20000);
	CHECK_EQ(classifier.count, text_symbols);
	CHECK_EQ(classifier.skipped, others);
	CHECK_EQ(classifier.lines, lines);
	/* Sorted, one representative per address. */
	{
		size_t representatives = 0;

		for (size_t i = 0; i < classifier.count; i++) {
			bool last =
			    i + 1 == classifier.count ||
			    classifier.symbols[i + 1].address != classifier.symbols[i].address;

			if (i > 0)
				CHECK(classifier.symbols[i - 1].address <=
				      classifier.symbols[i].address);
			CHECK_EQ(!!(classifier.symbols[i].flags & SCHED_SYMBOL_REPRESENTATIVE),
			         last);
			representatives += last;
		}
		CHECK_EQ(representatives, classifier.addresses);
	}
	for (int category = 1; category < SCHED_CATEGORY_COUNT; category++)
		CHECK(classifier.classified[category] > 0);
	/* The 4.4 set does not know the 6.x names. */
	sched_classifier_apply(&classifier, sched_rules_builtin("linux-4.4"));
	for (size_t i = 0; i < sizeof(linux_6_only) / sizeof(linux_6_only[0]); i++) {
		uint64_t address = 0;

		CHECK(sched_classifier_find(&classifier, linux_6_only[i], &address) > 0);
		CHECK_EQ(sched_classifier_lookup(&classifier, address + 1), SCHED_CATEGORY_NONE);
	}
	free(text);
}

static void test_fixture_linux_4_4(void)
{
	struct sched_classifier classifier;
	char *text = check_fixture(FIXTURE_4_4, "linux-4.4", linux_4_4_rows,
	                           sizeof(linux_4_4_rows) / sizeof(linux_4_4_rows[0]), &classifier);

	if (!text)
		return;
	sched_classifier_apply(&classifier, sched_rules_builtin("linux-6.x"));
	for (size_t i = 0; i < sizeof(linux_4_4_only) / sizeof(linux_4_4_only[0]); i++) {
		uint64_t address = 0;

		CHECK(sched_classifier_find(&classifier, linux_4_4_only[i], &address) > 0);
		CHECK_EQ(sched_classifier_lookup(&classifier, address + 1), SCHED_CATEGORY_NONE);
	}
	free(text);
}

int main(void)
{
	TEST_RUN(test_fixture_linux_6_1);
	TEST_RUN(test_fixture_linux_4_4);
	return test_summary("test_classify_fixtures");
}
