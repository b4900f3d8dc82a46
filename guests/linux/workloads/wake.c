/*
 * guests/linux/workloads/wake.c - the `wake` workload (reschedule-IPI
 * heavy): pairs of threads pinned to different CPUs play ping-pong over two
 * pipes. The initiator writes a counter and blocks reading the reply; the
 * responder, blocked in read, is woken - a reschedule IPI when its CPU is
 * idle - and answers counter + 1. The latency recorded is the initiator's
 * round trip. --threads N gives N / 2 pairs (at least one: 2 threads).
 * check=pass when every reply was the counter + 1 and each responder
 * answered exactly as many rounds as its initiator sent.
 */
#include "workload.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WAKE_STOP UINT64_MAX /* the initiator's last message */

struct wake_pair {
	int ping[2], pong[2];
};

struct wake_thread {
	struct wl_histogram latency;
	const struct wl_options *options;
	struct wake_pair *pair;
	uint64_t rounds, bad, failures;
};

static int put(int fd, uint64_t value)
{
	return write(fd, &value, sizeof(value)) == (ssize_t)sizeof(value) ? 0 : -1;
}

static int get(int fd, uint64_t *value)
{
	return read(fd, value, sizeof(*value)) == (ssize_t)sizeof(*value) ? 0 : -1;
}

static void wake_initiator(struct wake_thread *t)
{
	struct wl_window window;
	uint64_t reply;

	wl_window_open(&window, t->options);
	for (uint64_t value = 0; wl_now_ns() < window.end; value++) {
		uint64_t begin = wl_now_ns();
		if (put(t->pair->ping[1], value) != 0 || get(t->pair->pong[0], &reply) != 0) {
			t->failures++;
			break;
		}
		uint64_t done = wl_now_ns();
		t->rounds++;
		t->bad += reply != value + 1;
		if (wl_window_counts(&window, begin))
			wl_hist_record(&t->latency, done - begin);
	}
	if (put(t->pair->ping[1], WAKE_STOP) != 0)
		t->failures++;
}

static void wake_responder(struct wake_thread *t)
{
	uint64_t value;

	for (;;) {
		if (get(t->pair->ping[0], &value) != 0) {
			t->failures++;
			return;
		}
		if (value == WAKE_STOP)
			return;
		if (put(t->pair->pong[1], value + 1) != 0) {
			t->failures++;
			return;
		}
		t->rounds++;
	}
}

static void wake_body(void *arg, unsigned index)
{
	if (index % 2 == 0)
		wake_initiator(arg);
	else
		wake_responder(arg);
}

int wl_wake(const struct wl_options *options)
{
	static struct wake_thread threads[WL_MAX_THREADS];
	static struct wake_pair pairs[WL_MAX_THREADS / 2];
	unsigned pair_count = options->threads / 2 ? options->threads / 2 : 1;
	unsigned count = 2 * pair_count;
	struct wl_histogram all;
	uint64_t rounds = 0, bad = 0, failures = 0, unanswered = 0;
	char extra[WL_EXTRA_BYTES];

	for (unsigned p = 0; p < pair_count; p++) {
		if (pipe(pairs[p].ping) != 0 || pipe(pairs[p].pong) != 0) {
			perror("uslice-workload wake: pipe");
			return WL_EXIT_SETUP;
		}
	}
	wl_hist_init(&all);
	for (unsigned i = 0; i < count; i++) {
		memset(&threads[i], 0, sizeof(threads[i]));
		wl_hist_init(&threads[i].latency);
		threads[i].options = options;
		threads[i].pair = &pairs[i / 2];
	}
	int status = wl_run_threads(count, wake_body, threads, sizeof(threads[0]));
	for (unsigned i = 0; i < count; i += 2) {
		wl_hist_merge(&all, &threads[i].latency);
		rounds += threads[i].rounds;
		bad += threads[i].bad;
		failures += threads[i].failures + threads[i + 1].failures;
		unanswered += threads[i].rounds != threads[i + 1].rounds;
	}
	wl_report_problem("wake", "replies that were not the counter + 1", bad);
	wl_report_problem("wake", "failed pipe reads or writes", failures);
	wl_report_problem("wake", "pairs whose partner answered a different number of rounds",
	                  unanswered);
	snprintf(extra, sizeof(extra), "pairs=%u rounds=%llu", pair_count,
	         (unsigned long long)rounds);
	struct wl_result result = {"wake",
	                           count,
	                           options->seconds_ns,
	                           all.count,
	                           &all,
	                           extra,
	                           status == 0 && bad == 0 && failures == 0 && unanswered == 0 &&
	                               all.count > 0};
	return wl_print_result(&result);
}
