/*
 * guests/testos/stream.c - the `stream` mode: an open-loop ICMP echo
 * stream over the assigned e1000 whose arrivals do not depend on the
 * receiving vCPU's schedule (the paper's iPerf from another machine,
 * section 3.3, Figure 9), for a VM of two vCPUs:
 *
 *   stream [N] [Ius] [hog=ROUNDS] [at=US]
 *     CPU 1, the SENDER, sends N (default 20) echo requests to vnet at a
 *     fixed rate, one every I µs (default 1000), HLT between them (its
 *     TSC-deadline timer wakes it), and stamps each with its TSC in
 *     stream.stamps[seq] just before the tail write (the first one US µs,
 *     default 0, after one interval: a start offset for perturbed runs).
 *     It never waits for a
 *     reply: pinned alone on its own pCPU (`cpus` in the VM's
 *     configuration) it is never preempted, so the requests leave on time
 *     whatever the receiver does.
 *   CPU 0, the MIXED RECEIVER, computes (ROUNDS xorshift rounds a chunk,
 *     never HLT: a busy vCPU that BOOST cannot help) and takes the RX
 *     interrupt (the vIOAPIC entry targets it): its handler drains the RX
 *     ring and records latency = TSC at the handler - the request's stamp.
 *
 * A reply that arrives while CPU 0 is preempted waits for CPU 0's next
 * run (credit: the co-runner's slice) unless the hypervisor offloads it
 * to a micro-sliced pCPU on that vIRQ; with a stream about half of them
 * do, so the p99 shows it (the closed-loop `ping` shows it only in its
 * tail). The RESULT line has the ping fields (rtt = the send-to-handler
 * latency, one round trip through vnet) plus rtt_mean; `jitter` is the
 * standard deviation, `jitter_rfc3550` RFC 3550's interarrival jitter
 * (J += (|D| - J) / 16 with D the difference of consecutive latencies in
 * arrival order: the estimator iPerf reports).
 *
 * Lock order: none. stamps[] is written by CPU 1 and read by CPU 0's
 * handler (release/acquire); the samples by CPU 0 only; `done` by CPU 1.
 */
#include "guests/testos/smp.h"

#define STREAM_SENDER       1u
#define STREAM_RECEIVER     0u /* the vIOAPIC entry's target (testos_nic_setup) */
#define STREAM_MAX_PACKETS  16384u
#define STREAM_DRAIN_MS     200u /* after the last request: time for its reply */
#define STREAM_US_PER_MS    1000u
#define STREAM_BITS_PER_MAP 8u
/* CPU 0 shares its pCPU: a preemption inside the 10 ms PIT window makes
 * the TSC calibration too high, never too low; the least of a few is it. */
#define STREAM_CALIBRATIONS 5u

static struct {
	uint64_t count, interval, rounds, offset;
	volatile uint64_t stamps[STREAM_MAX_PACKETS + 1]; /* by sequence number */
	uint8_t seen[(STREAM_MAX_PACKETS + 1) / STREAM_BITS_PER_MAP + 1];
	uint64_t latencies[STREAM_MAX_PACKETS]; /* in arrival order */
	volatile uint64_t received;
	uint64_t duplicates, unstamped, chunks, sender_late;
	volatile bool done;
} stream;

/* The RX interrupt's receiver (CPU 0), once per echo reply. */
static void stream_reply(uint16_t seq, uint64_t tsc)
{
	uint8_t bit = (uint8_t)(1u << (seq % STREAM_BITS_PER_MAP));
	if (!seq || seq > stream.count || (stream.seen[seq / STREAM_BITS_PER_MAP] & bit)) {
		stream.duplicates++;
		return;
	}
	uint64_t stamp = __atomic_load_n(&stream.stamps[seq], __ATOMIC_ACQUIRE);
	if (!stamp || stamp > tsc) {
		stream.unstamped++;
		return;
	}
	stream.seen[seq / STREAM_BITS_PER_MAP] |= bit;
	uint64_t latency = tsc - stamp;
	stream.latencies[stream.received] = latency;
	testos_sample(testos_this_cpu(), latency);
	__atomic_store_n(&stream.received, stream.received + 1, __ATOMIC_RELEASE);
}

static bool stream_never(void)
{
	return false;
}

static bool stream_all_in(void)
{
	return __atomic_load_n(&stream.received, __ATOMIC_ACQUIRE) == stream.count;
}

static bool stream_done(void)
{
	return __atomic_load_n(&stream.done, __ATOMIC_ACQUIRE);
}

/* CPU 1: the requests on a fixed schedule, then the drain. */
static void stream_send(void)
{
	uint64_t chunks = 0;
	testos_lapic_write(TESTOS_APIC_LVT_TIMER,
	                   TESTOS_LVT_TSC_DEADLINE | TESTOS_VECTOR_LOCAL_TIMER);
	uint64_t next = testos_rdtsc() + stream.interval + stream.offset;
	for (uint64_t seq = 1; seq <= stream.count; seq++, next += stream.interval) {
		testos_ping_wait(stream_never, next, false, 0, &chunks);
		if (testos_rdtsc() > next + stream.interval)
			stream.sender_late++; /* woke more than one interval late */
		testos_net_send_echo((uint16_t)seq, &stream.stamps[seq]);
	}
	testos_ping_wait(stream_all_in, testos_rdtsc() + STREAM_DRAIN_MS * testos_tsc_khz, false, 0,
	                 &chunks);
	__atomic_store_n(&stream.done, true, __ATOMIC_RELEASE);
}

static void stream_work(struct testos_cpu *cpu, void *argument)
{
	(void)argument;
	if (cpu->index == STREAM_SENDER)
		stream_send();
	else if (cpu->index == STREAM_RECEIVER) /* computation until the sender is done */
		testos_ping_wait(stream_done, UINT64_MAX, true, stream.rounds, &stream.chunks);
}

/* The RTT standard deviation: the mean of (x - mean)^2 / n terms (each
 * fits 64 bits even for second-long latencies). */
static uint64_t stream_deviation(uint64_t mean)
{
	uint64_t n = stream.received, variance = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = stream.latencies[i], d = x > mean ? x - mean : mean - x;
		variance += d * d / n;
	}
	return testos_isqrt(variance);
}

/* RFC 3550 interarrival jitter over the latencies in arrival order. */
static uint64_t stream_rfc3550(uint64_t *slow)
{
	uint64_t jitter16 = 0, slow_ticks = TESTOS_PING_SLOW_US * testos_tsc_khz / STREAM_US_PER_MS;
	*slow = 0;
	for (uint64_t i = 0; i < stream.received; i++) {
		uint64_t x = stream.latencies[i];
		*slow += x > slow_ticks;
		if (i) { /* J += (|D| - J) / 16, kept as 16 J */
			uint64_t previous = stream.latencies[i - 1];
			uint64_t d = x > previous ? x - previous : previous - x;
			jitter16 += d - (jitter16 >> NET_JITTER_SHIFT);
		}
	}
	return jitter16 >> NET_JITTER_SHIFT;
}

int testos_mode_stream(const char *arguments)
{
	struct testos_ping_options o;
	testos_ping_options(arguments, &o);
	if (testos_cpu_count <= STREAM_SENDER || !o.count || o.count > STREAM_MAX_PACKETS) {
		testos_result("workload=stream error=needs-2-cpus-and-1-to-%u-packets cpus=%u",
		              STREAM_MAX_PACKETS, testos_cpu_count);
		return 1;
	}
	uint64_t khz = testos_tsc_khz;
	for (unsigned i = 0; i < STREAM_CALIBRATIONS; i++) {
		uint64_t again = testos_pit_calibrate_tsc();
		khz = again < khz ? again : khz;
	}
	testos_tsc_khz = khz;
	unsigned line;
	if (testos_nic_start(&line))
		return 1;
	stream.count = o.count;
	stream.rounds = o.rounds;
	stream.interval = o.interval_us * testos_tsc_khz / STREAM_US_PER_MS;
	stream.offset = o.offset_us * testos_tsc_khz / STREAM_US_PER_MS;
	testos_samples_reset();
	testos_nic_on_reply(stream_reply);
	testos_run_everywhere(stream_work, NULL);
	testos_nic_on_reply(NULL);
	uint64_t p50, p99, n, slow;
	testos_percentiles(&p50, &p99, &n);
	uint64_t mean = testos_samples_mean();
	uint64_t rfc3550 = stream_rfc3550(&slow);
	testos_result("workload=stream sent=%llu received=%llu rtt_p50=%llu rtt_p99=%llu "
	              "rtt_p999=%llu rtt_max=%llu rtt_mean=%llu jitter=%llu jitter_rfc3550=%llu "
	              "slow=%llu unit=tsc_ticks tsc_khz=%llu",
	              (unsigned long long)o.count, (unsigned long long)stream.received,
	              (unsigned long long)p50, (unsigned long long)p99,
	              (unsigned long long)testos_percentile_permille(999),
	              (unsigned long long)testos_percentile_permille(1000),
	              (unsigned long long)mean, (unsigned long long)stream_deviation(mean),
	              (unsigned long long)rfc3550, (unsigned long long)slow,
	              (unsigned long long)testos_tsc_khz);
	testos_print("testos: stream interval_us=%llu hog_chunks=%llu duplicates=%llu "
	             "unstamped=%llu sender_late=%llu line=%u (jitter: RTT standard deviation)\n",
	             (unsigned long long)o.interval_us, (unsigned long long)stream.chunks,
	             (unsigned long long)stream.duplicates, (unsigned long long)stream.unstamped,
	             (unsigned long long)stream.sender_late, line);
	return stream.received == o.count ? 0 : 3;
}
