/*
 * guests/linux/workloads/tlb.c - the `tlb` workload (dedup/vips-like):
 * threads of one address space, each pinned to its own CPU, map a few
 * pages, write them, make them read-only (mprotect) and unmap them
 * (munmap). Both calls change present PTEs of an mm that is live on every
 * CPU running a thread, so each one shoots down the TLBs of the others by
 * IPI and waits for them: the latency recorded is that of the shooting
 * call. check=pass when every page read back the value written to it.
 */
#include "workload.h"

#include <stdio.h>
#include <sys/mman.h>

#define TLB_PAGE_BYTES 4096u
#define TLB_PAGES      4u /* below Linux's 33-page full-flush ceiling: INVLPG per page */
#define TLB_REGION     (TLB_PAGES * TLB_PAGE_BYTES)

struct tlb_thread {
	struct wl_histogram latency;
	const struct wl_options *options;
	uint64_t mprotects, munmaps, bad_reads, failures;
};

static uint64_t page_value(unsigned index, uint64_t iteration, unsigned page)
{
	return ((uint64_t)index << 48) ^ (iteration << 8) ^ page;
}

/* One map-write-protect-read-unmap round; the calls' latencies if counted. */
static void tlb_round(struct tlb_thread *t, const struct wl_window *w, unsigned index,
                      uint64_t iteration)
{
	uint64_t begin, done;
	volatile uint64_t *page;
	char *region =
	    mmap(NULL, TLB_REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (region == MAP_FAILED) {
		t->failures++;
		return;
	}
	for (unsigned i = 0; i < TLB_PAGES; i++) {
		page = (volatile uint64_t *)(region + i * TLB_PAGE_BYTES);
		*page = page_value(index, iteration, i);
	}
	begin = wl_now_ns();
	if (mprotect(region, TLB_REGION, PROT_READ) != 0)
		t->failures++;
	done = wl_now_ns();
	if (wl_window_counts(w, begin)) {
		wl_hist_record(&t->latency, done - begin);
		t->mprotects++;
	}
	for (unsigned i = 0; i < TLB_PAGES; i++) {
		page = (volatile uint64_t *)(region + i * TLB_PAGE_BYTES);
		t->bad_reads += *page != page_value(index, iteration, i);
	}
	begin = wl_now_ns();
	if (munmap(region, TLB_REGION) != 0)
		t->failures++;
	done = wl_now_ns();
	if (wl_window_counts(w, begin)) {
		wl_hist_record(&t->latency, done - begin);
		t->munmaps++;
	}
}

static void tlb_body(void *arg, unsigned index)
{
	struct tlb_thread *t = arg;
	struct wl_window window;

	wl_window_open(&window, t->options);
	for (uint64_t iteration = 0; wl_now_ns() < window.end; iteration++)
		tlb_round(t, &window, index, iteration);
}

int wl_tlb(const struct wl_options *options)
{
	static struct tlb_thread threads[WL_MAX_THREADS];
	struct wl_histogram all;
	uint64_t mprotects = 0, munmaps = 0, bad_reads = 0, failures = 0;
	char extra[WL_EXTRA_BYTES];

	wl_hist_init(&all);
	for (unsigned i = 0; i < options->threads; i++) {
		wl_hist_init(&threads[i].latency);
		threads[i].options = options;
	}
	int status = wl_run_threads(options->threads, tlb_body, threads, sizeof(threads[0]));
	for (unsigned i = 0; i < options->threads; i++) {
		wl_hist_merge(&all, &threads[i].latency);
		mprotects += threads[i].mprotects;
		munmaps += threads[i].munmaps;
		bad_reads += threads[i].bad_reads;
		failures += threads[i].failures;
	}
	wl_report_problem("tlb", "pages that did not read back what was written", bad_reads);
	wl_report_problem("tlb", "failed mmap/mprotect/munmap calls", failures);
	snprintf(extra, sizeof(extra), "mprotect=%llu munmap=%llu", (unsigned long long)mprotects,
	         (unsigned long long)munmaps);
	struct wl_result result = {"tlb",
	                           options->threads,
	                           options->seconds_ns,
	                           all.count,
	                           &all,
	                           extra,
	                           status == 0 && bad_reads == 0 && failures == 0 && all.count > 0};
	return wl_print_result(&result);
}
