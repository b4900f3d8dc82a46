/*
 * tools/sim/report.c - RESULT and SUMMARY lines (see report.h).
 *
 * Units in RESULT lines: *_per_s are completed work units per simulated
 * second (lock: critical sections with their user work; tlb: munmap +
 * shootdown iterations; io: requests; hog/compute: 100 us compute chunks);
 * *_cpu_pct is the share of all pCPU time the VM received; *_us latencies
 * are nearest-rank percentiles; micro_ms is vCPU time on micro-sliced pCPUs.
 *
 * Lock order: none.
 */
#include "tools/sim/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sched/classify.h"
#include "sched/profile.h"
#include "tools/sim/classifier.h"

struct sim_report_text {
	char *buffer;
	size_t size;
	size_t used;
};

static void sim_report_append(struct sim_report_text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void sim_report_append(struct sim_report_text *text, const char *format, ...)
{
	va_list arguments;
	int length;

	va_start(arguments, format);
	length =
	    vsnprintf(text->used < text->size ? text->buffer + text->used : NULL,
	              text->used < text->size ? text->size - text->used : 0, format, arguments);
	va_end(arguments);
	if (length > 0)
		text->used += (size_t)length;
}

static double sim_report_per_second(uint64_t count, uint64_t duration_ns)
{
	return duration_ns ? (double)count * 1e9 / (double)duration_ns : 0;
}

static double sim_report_us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

size_t sim_report_result(const struct sim_result *result, char *buffer, size_t size)
{
	static const char *const causes[SIM_OFFLOAD_CAUSES] = {"lock_spin", "ipi_wait", "ipi",
	                                                       "virq"};
	static const char *const categories[SCHED_CATEGORY_COUNT] = {
	    "none", "lock_spin", "ipi_wait", "critical", "halt"};
	struct sim_report_text text = {buffer, size, 0};
	uint64_t offloads = 0, failures = 0;
	double machine_ns = (double)result->pcpus * (double)result->duration_ns;
	int i;

	if (size > 0)
		buffer[0] = '\0';
	sim_report_append(&text, "RESULT scenario=%s policy=%s", result->scenario, result->policy);
	for (i = 0; i < result->vm_count; i++) {
		sim_report_append(&text, " vm%d=%s vm%d_ops_per_s=%.0f", i, result->vm_workload[i],
		                  i,
		                  sim_report_per_second(result->vm_units[i], result->duration_ns));
		if (result->vm_compute_chunks[i])
			sim_report_append(&text, " vm%d_compute_per_s=%.0f", i,
			                  sim_report_per_second(result->vm_compute_chunks[i],
			                                        result->duration_ns));
		sim_report_append(&text, " vm%d_cpu_pct=%.1f", i,
		                  machine_ns > 0 ? 100.0 * (double)result->vm_run_ns[i] / machine_ns
		                                 : 0);
	}
	sim_report_append(&text, " yields_ple=%llu yields_guest=%llu",
	                  (unsigned long long)result->yields_ple,
	                  (unsigned long long)result->yields_guest);
	for (i = 0; i < SCHED_CATEGORY_COUNT; i++)
		sim_report_append(&text, " yields_%s=%llu", categories[i],
		                  (unsigned long long)result->yields_category[i]);
	for (i = 0; i < SIM_OFFLOAD_CAUSES; i++) {
		offloads += result->offloads[i];
		failures += result->offload_failures[i];
	}
	sim_report_append(&text, " offloads=%llu", (unsigned long long)offloads);
	for (i = 0; i < SIM_OFFLOAD_CAUSES; i++)
		sim_report_append(&text, " offloads_%s=%llu", causes[i],
		                  (unsigned long long)result->offloads[i]);
	sim_report_append(&text, " offload_failures=%llu", (unsigned long long)failures);
	sim_report_append(&text,
	                  " ipis=%llu ipis_preempted=%llu virqs=%llu"
	                  " virqs_preempted=%llu",
	                  (unsigned long long)result->ipis_total,
	                  (unsigned long long)result->ipis_to_preempted,
	                  (unsigned long long)result->virqs_total,
	                  (unsigned long long)result->virqs_to_preempted);
	sim_report_append(&text,
	                  " directed_yields=%llu boosts=%llu micro_ms=%.1f"
	                  " micro_cores_avg=%.2f micro_cores_end=%u pool_resizes=%llu",
	                  (unsigned long long)result->directed_yields,
	                  (unsigned long long)result->boosts, (double)result->micro_run_ns / 1e6,
	                  result->micro_cores_average, result->micro_cores_end,
	                  (unsigned long long)result->pool_resizes);
	sim_report_append(&text, " lock_waits=%llu lock_wait_p50_us=%.1f lock_wait_p99_us=%.1f",
	                  (unsigned long long)result->lock_contended,
	                  sim_report_us(result->lock_wait_p50_ns),
	                  sim_report_us(result->lock_wait_p99_ns));
	sim_report_append(&text, " shootdowns=%llu shootdown_p50_us=%.1f shootdown_p99_us=%.1f",
	                  (unsigned long long)result->shootdowns,
	                  sim_report_us(result->shootdown_p50_ns),
	                  sim_report_us(result->shootdown_p99_ns));
	sim_report_append(&text,
	                  " io_requests=%llu io_drops=%llu io_p50_us=%.1f"
	                  " io_p99_us=%.1f",
	                  (unsigned long long)result->io_requests,
	                  (unsigned long long)result->io_drops, sim_report_us(result->io_p50_ns),
	                  sim_report_us(result->io_p99_ns));
	sim_report_append(&text,
	                  " ple_exits=%llu halts=%llu context_switches=%llu"
	                  " events=%llu",
	                  (unsigned long long)result->ple_exits, (unsigned long long)result->halts,
	                  (unsigned long long)result->context_switches,
	                  (unsigned long long)result->events);
	return text.used;
}

double sim_report_score(const struct sim_result *result, const struct sim_result *baseline)
{
	double sum = 0;
	int i, counted = 0;

	for (i = 0; i < result->vm_count && i < baseline->vm_count; i++) {
		if (baseline->vm_units[i] == 0)
			continue;
		sum += (double)result->vm_units[i] / (double)baseline->vm_units[i];
		counted++;
	}
	return counted ? sum / counted : 0;
}

/* The latency that matters for the scenario's first VM, if any. */
static const char *sim_report_latency(const struct sim_result *result, uint64_t *p99_ns)
{
	const char *workload = result->vm_workload[0];

	if (!workload)
		return NULL;
	if (strcmp(workload, "lock") == 0) {
		*p99_ns = result->lock_wait_p99_ns;
		return "lock_wait";
	}
	if (strcmp(workload, "tlb") == 0) {
		*p99_ns = result->shootdown_p99_ns;
		return "shootdown";
	}
	if (strcmp(workload, "io") == 0) {
		*p99_ns = result->io_p99_ns;
		return "io";
	}
	return NULL;
}

int sim_report_summary(const struct sim_result *results, int count, char *buffer, size_t size)
{
	struct sim_report_text text = {buffer, size, 0};
	const struct sim_result *baseline = NULL;
	const struct sim_result *best = NULL;
	const struct sim_result *dynamic = NULL;
	double best_score = 0;
	int i;

	if (size > 0)
		buffer[0] = '\0';
	for (i = 0; i < count; i++)
		if (strcmp(results[i].policy, "credit") == 0)
			baseline = &results[i];
	if (!baseline)
		return -1;
	sim_report_append(&text, "SUMMARY scenario=%s metric=combined_vs_credit",
	                  baseline->scenario);
	for (i = 0; i < count; i++) {
		double score = sim_report_score(&results[i], baseline);

		sim_report_append(&text, " %s=%.3f", results[i].policy, score);
		if (strncmp(results[i].policy, "micro-static:", 13) == 0 &&
		    (!best || score > best_score)) {
			best = &results[i];
			best_score = score;
		}
		if (strcmp(results[i].policy, "micro-dynamic") == 0)
			dynamic = &results[i];
	}
	if (best)
		sim_report_append(&text, " best_static=%s", best->policy);
	if (dynamic) {
		double score = sim_report_score(dynamic, baseline);

		if (best && best_score > 0)
			sim_report_append(&text, " dynamic_vs_best=%+.1f%%",
			                  (score / best_score - 1.0) * 100.0);
		sim_report_append(&text, " dynamic_vs_credit=%+.1f%%", (score - 1.0) * 100.0);
		sim_report_append(&text, " dynamic_micro_cores_avg=%.2f",
		                  dynamic->micro_cores_average);
	}
	{
		uint64_t p99 = 0;
		const char *name = sim_report_latency(baseline, &p99);

		if (name) {
			sim_report_append(&text, " latency=%s_p99 credit_us=%.1f", name,
			                  sim_report_us(p99));
			if (best) {
				sim_report_latency(best, &p99);
				sim_report_append(&text, " best_static_us=%.1f",
				                  sim_report_us(p99));
			}
			if (dynamic) {
				sim_report_latency(dynamic, &p99);
				sim_report_append(&text, " dynamic_us=%.1f", sim_report_us(p99));
			}
		}
	}
	return 0;
}

/* fn= of a profile entry. */
static void sim_report_profile_name(const struct sched_profile_entry *entry, const void *classifier,
                                    char *buffer, size_t size)
{
	if (entry->kind == SCHED_PROFILE_KIND_USER)
		snprintf(buffer, size, "(user)");
	else if (entry->kind != SCHED_PROFILE_KIND_FUNCTION)
		snprintf(buffer, size, "(unknown)");
	else
		sim_classifier_name(classifier, entry->function, buffer, size);
}

void sim_report_profile(FILE *out, const char *vm, const struct sched_profile *profile,
                        const void *classifier, size_t top)
{
	struct sched_profile_entry entries[128];
	uint64_t total = sched_profile_total(profile), overflow = 0;
	char name[SCHED_CLASSIFY_NAME_MAX + 1];
	size_t n, i;

	if (top > sizeof(entries) / sizeof(entries[0]))
		top = sizeof(entries) / sizeof(entries[0]);
	for (i = 0; i < SCHED_PROFILE_EVENT_COUNT; i++)
		overflow += profile->overflow[i];
	fprintf(
	    out,
	    "PROFILE vm=%s events=%llu yields=%llu siblings=%llu ipis=%llu virqs=%llu user=%llu "
	    "unknown=%llu functions=%u capacity=%u overflow=%llu top=%zu\n",
	    vm, (unsigned long long)total, (unsigned long long)profile->events[SCHED_PROFILE_YIELD],
	    (unsigned long long)profile->events[SCHED_PROFILE_SIBLING],
	    (unsigned long long)profile->events[SCHED_PROFILE_IPI],
	    (unsigned long long)profile->events[SCHED_PROFILE_VIRQ],
	    (unsigned long long)sched_profile_entry_events(&profile->user),
	    (unsigned long long)sched_profile_entry_events(&profile->unknown), profile->functions,
	    profile->capacity, (unsigned long long)overflow, top);
	n = sched_profile_top(profile, SCHED_PROFILE_BY_YIELDS, entries, top);
	for (i = 0; i < n; i++) {
		sim_report_profile_name(&entries[i], classifier, name, sizeof(name));
		fprintf(out,
		        "YIELDPROFILE vm=%s rank=%zu fn=%s category=%s yields=%llu siblings=%llu\n",
		        vm, i + 1, name,
		        sim_classifier_category_name((enum sched_category)entries[i].category),
		        (unsigned long long)entries[i].counts[SCHED_PROFILE_YIELD],
		        (unsigned long long)entries[i].counts[SCHED_PROFILE_SIBLING]);
	}
	n = sched_profile_top(profile, SCHED_PROFILE_BY_PREEMPTS, entries, top);
	for (i = 0; i < n; i++) {
		sim_report_profile_name(&entries[i], classifier, name, sizeof(name));
		fprintf(out,
		        "PREEMPTPROFILE vm=%s rank=%zu fn=%s category=%s ipis=%llu virqs=%llu\n",
		        vm, i + 1, name,
		        sim_classifier_category_name((enum sched_category)entries[i].category),
		        (unsigned long long)entries[i].counts[SCHED_PROFILE_IPI],
		        (unsigned long long)entries[i].counts[SCHED_PROFILE_VIRQ]);
	}
	n = sched_profile_candidates(profile, entries, top);
	for (i = 0; i < n; i++) {
		const struct sched_profile_entry *e = &entries[i];

		sim_report_profile_name(e, classifier, name, sizeof(name));
		fprintf(
		    out,
		    "PROFILECANDIDATE vm=%s rank=%zu fn=%s preempted=%llu yields=%llu "
		    "siblings=%llu ipis=%llu virqs=%llu share_permille=%llu reason=%s\n",
		    vm, i + 1, name, (unsigned long long)sched_profile_entry_preempted(e),
		    (unsigned long long)e->counts[SCHED_PROFILE_YIELD],
		    (unsigned long long)e->counts[SCHED_PROFILE_SIBLING],
		    (unsigned long long)e->counts[SCHED_PROFILE_IPI],
		    (unsigned long long)e->counts[SCHED_PROFILE_VIRQ],
		    (unsigned long long)(total ? sched_profile_entry_events(e) * 1000 / total : 0),
		    sched_profile_reason_name(sched_profile_candidate_reason(e)));
	}
}
