/*
 * guests/linux/workloads/stream.c - the `stream` workload: an open-loop
 * ICMP echo stream over the VM's assigned NIC to Bochs's vnet, the Linux
 * counterpart of testos `stream` (guests/testos/stream.c; docs/devices.md
 * "The I/O experiment"), for a VM of two vCPUs:
 *
 *   - the SENDER thread, pinned to CPU 1, sends one echo request every
 *     STREAM_PERIOD_NS on a fixed schedule (spinning between sends: the
 *     kernel has no high-resolution timers), its CLOCK_MONOTONIC send time
 *     in the payload and in stream.stamps[sequence]; it never waits for a
 *     reply, so the requests leave on time whatever CPU 0 does (the VM's
 *     configuration pins vCPU 1 alone on a pCPU);
 *   - the RECEIVER thread, pinned to CPU 0, blocks in poll() on the raw
 *     socket and records latency = its receive time - the send stamp (one
 *     round trip through vnet, the NIC interrupt and the wake-up of the
 *     receiver included);
 *   - the COMPUTING thread, also on CPU 0 at SCHED_IDLE (the lowest
 *     priority: the receiver preempts it at once), keeps vCPU 0 busy so
 *     that it never halts - the paper's "mixed" vCPU that BOOST cannot help;
 *   - the NIC's interrupt is routed to CPU 0 (/proc/irq/N/smp_affinity, N
 *     from the /proc/interrupts line naming PING_INTERFACE).
 *
 * One operation is one request sent in the measured window; its latency is
 * recorded when its reply comes within STREAM_TIMEOUT_NS (later or never:
 * lost). The RESULT's ops= is the number of requests sent in the window
 * (no sent= field: the line stays under WL_CONSOLE_LINE); its extra
 * fields: received=, lost=, jitter= (the standard deviation of the
 * latencies, ns). check=pass when every request sent got its reply in time
 * and nothing was malformed, duplicated or failed. A line on stderr before
 * it: the IRQ, the computing thread's chunks, late sends (more than a
 * period behind the schedule), slow replies (over STREAM_SLOW_NS),
 * duplicates.
 *
 * Lock order: none. stamps[] and counted[] are written by the sender before
 * the send (release) and read by the receiver (acquire); the receiver's
 * figures are its own until the threads are joined.
 */
#define _GNU_SOURCE
#include "workload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define STREAM_PERIOD_NS     1000000ull        /* one request per ms, as in the paper */
#define STREAM_TIMEOUT_NS    (WL_NS_PER_S / 2) /* a reply later than 0.5 s is lost */
#define STREAM_SLOW_NS       1000000ull /* a reply slower than 1 ms: it waited for its vCPU */
#define STREAM_MAX_PACKETS   16384u     /* sequence numbers 1..; 16 s at one a ms */
#define STREAM_IDENTIFIER    0x7374u    /* "st" */
#define STREAM_REPLY_BYTES   1500u
#define STREAM_POLL_MS       10  /* the receiver looks at the stop flag this often */
#define STREAM_THREADS       3u  /* receiver, sender, computing (wl_run_threads order) */
#define STREAM_RECEIVER      0u  /* pinned to CPU 0 */
#define STREAM_SENDER        1u  /* pinned to CPU 1 */
#define STREAM_COMPUTE       2u  /* pinned to CPU 0 (index 2 modulo 2 CPUs) */
#define STREAM_IRQ_CPU_MASK  "1" /* CPU 0, the receiver's */
#define STREAM_US_PER_MS     1000u
#define STREAM_LINE_BYTES    512u
#define STREAM_PATH_BYTES    64u
#define STREAM_LOWEST_NICE   19
#define STREAM_CHUNK_ROUNDS  4096u /* xorshift rounds between two looks at the stop flag */
#define STREAM_XORSHIFT_A    13    /* Marsaglia's xorshift64 triple */
#define STREAM_XORSHIFT_B    7
#define STREAM_XORSHIFT_C    17
#define STREAM_BITS_PER_WORD 64u

/* The echo request's payload; the reply carries it back unchanged. */
struct stream_payload {
	uint64_t stamp; /* CLOCK_MONOTONIC at the send, ns */
	uint64_t sequence;
};

static struct {
	int fd;
	struct sockaddr_in peer;
	const struct wl_options *options;
	uint64_t stamps[STREAM_MAX_PACKETS + 1]; /* by sequence; 0: not sent */
	uint8_t counted[STREAM_MAX_PACKETS + 1]; /* sent inside the window */
	uint64_t seen[(STREAM_MAX_PACKETS + 1) / STREAM_BITS_PER_WORD + 1];
	uint64_t last_sequence; /* the sender's, release */
	uint64_t answered;      /* the receiver's: counted requests whose reply came (release) */
	int stop;               /* the sender's, release */
	/* The sender's. */
	uint64_t sent, send_errors, late_sends;
	/* The receiver's. */
	struct wl_histogram latency;
	unsigned __int128 square_sum;
	uint64_t received, late, slow, duplicates, malformed, receive_errors;
	/* The computing thread's. */
	uint64_t chunks, checksum;
	int idle_policy; /* 1: SCHED_IDLE, 0: nice 19, -1: neither */
} stream;

/* The /proc/interrupts number of PING_INTERFACE's IRQ, or -1. */
static int stream_find_irq(void)
{
	char line[STREAM_LINE_BYTES];
	int irq = -1;
	FILE *f = fopen("/proc/interrupts", "r");
	while (f && irq < 0 && fgets(line, sizeof(line), f))
		if (strstr(line, PING_INTERFACE) && sscanf(line, " %d:", &irq) != 1)
			irq = -1;
	if (f)
		fclose(f);
	return irq;
}

/* Route PING_INTERFACE's IRQ to CPU 0; the IRQ, or -1 with a message. */
static int stream_route_irq(void)
{
	char path[STREAM_PATH_BYTES];
	int irq = stream_find_irq();
	if (irq < 0) {
		fprintf(stderr, "uslice-workload stream: no %s line in /proc/interrupts\n",
		        PING_INTERFACE);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity", irq);
	FILE *f = fopen(path, "w");
	int ok = f && fputs(STREAM_IRQ_CPU_MASK, f) >= 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	if (!ok) {
		fprintf(stderr, "uslice-workload stream: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return irq;
}

static int stream_send(uint64_t sequence, uint64_t stamp)
{
	uint8_t packet[sizeof(struct icmphdr) + sizeof(struct stream_payload)];
	memset(packet, 0, sizeof(packet));
	struct icmphdr *icmp = (struct icmphdr *)packet;
	icmp->type = ICMP_ECHO;
	icmp->un.echo.id = htons(STREAM_IDENTIFIER);
	icmp->un.echo.sequence = htons((uint16_t)sequence);
	struct stream_payload payload = {stamp, sequence};
	memcpy(packet + sizeof(*icmp), &payload, sizeof(payload));
	icmp->checksum = ping_checksum(packet, sizeof(packet));
	ssize_t n = sendto(stream.fd, packet, sizeof(packet), 0,
	                   (const struct sockaddr *)&stream.peer, sizeof(stream.peer));
	return n == (ssize_t)sizeof(packet) ? 0 : -1;
}

/* CPU 1: the requests on a fixed schedule, then until every counted one
 * is answered (at most one timeout), then the stop flag. */
static void stream_sender(void)
{
	struct wl_window window;
	wl_window_open(&window, stream.options);
	uint64_t next = window.start, sequence = 1;
	for (; sequence <= STREAM_MAX_PACKETS && next < window.end;
	     sequence++, next += STREAM_PERIOD_NS) {
		uint64_t now;
		while ((now = wl_now_ns()) < next)
			;
		stream.late_sends += now > next + STREAM_PERIOD_NS;
		int counted = wl_window_counts(&window, now);
		stream.counted[sequence] = (uint8_t)counted;
		__atomic_store_n(&stream.stamps[sequence], now, __ATOMIC_RELEASE);
		__atomic_store_n(&stream.last_sequence, sequence, __ATOMIC_RELEASE);
		int failed = stream_send(sequence, now) != 0;
		stream.send_errors += failed;
		stream.sent += counted && !failed;
	}
	for (uint64_t end = wl_now_ns() + STREAM_TIMEOUT_NS;
	     wl_now_ns() < end &&
	     __atomic_load_n(&stream.answered, __ATOMIC_ACQUIRE) < stream.sent;)
		usleep(STREAM_POLL_MS * STREAM_US_PER_MS);
	__atomic_store_n(&stream.stop, 1, __ATOMIC_RELEASE);
}

/* One echo reply that came at NOW. */
static void stream_record(const uint8_t *reply, size_t length, uint64_t now)
{
	size_t header = (size_t)(((const struct iphdr *)reply)->ihl) * 4;
	struct stream_payload payload;
	if (length < header + sizeof(struct icmphdr) + sizeof(payload))
		return;
	const struct icmphdr *icmp = (const struct icmphdr *)(reply + header);
	if (icmp->type != ICMP_ECHOREPLY || ntohs(icmp->un.echo.id) != STREAM_IDENTIFIER)
		return; /* not ours: the socket sees every ICMP message */
	memcpy(&payload, reply + header + sizeof(*icmp), sizeof(payload));
	uint64_t sequence = payload.sequence;
	if (sequence == 0 || sequence > __atomic_load_n(&stream.last_sequence, __ATOMIC_ACQUIRE) ||
	    (uint16_t)sequence != ntohs(icmp->un.echo.sequence) ||
	    payload.stamp != __atomic_load_n(&stream.stamps[sequence], __ATOMIC_ACQUIRE) ||
	    payload.stamp > now) {
		stream.malformed++;
		return;
	}
	uint64_t bit = 1ull << (sequence % STREAM_BITS_PER_WORD);
	uint64_t *word = &stream.seen[sequence / STREAM_BITS_PER_WORD];
	if (*word & bit) {
		stream.duplicates++;
		return;
	}
	*word |= bit;
	if (!stream.counted[sequence])
		return;
	uint64_t latency = now - payload.stamp;
	__atomic_store_n(&stream.answered, stream.answered + 1, __ATOMIC_RELEASE);
	if (latency > STREAM_TIMEOUT_NS) {
		stream.late++;
		return;
	}
	stream.received++;
	stream.slow += latency > STREAM_SLOW_NS;
	wl_hist_record(&stream.latency, latency);
	stream.square_sum += (unsigned __int128)latency * latency;
}

/* CPU 0, normal priority: blocked in poll() until a reply or the stop. */
static void stream_receiver(void)
{
	uint8_t reply[STREAM_REPLY_BYTES];
	while (!__atomic_load_n(&stream.stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = {stream.fd, POLLIN, 0};
		int ready = poll(&p, 1, STREAM_POLL_MS);
		if (ready < 0 && errno != EINTR)
			stream.receive_errors++;
		if (ready <= 0)
			continue;
		ssize_t n = recv(stream.fd, reply, sizeof(reply), MSG_DONTWAIT);
		uint64_t now = wl_now_ns();
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			stream.receive_errors++;
		if (n >= (ssize_t)sizeof(struct iphdr))
			stream_record(reply, (size_t)n, now);
	}
}

/* CPU 0, the lowest priority: computation until the stop, so that vCPU 0
 * never halts. */
static void stream_compute(void)
{
	struct sched_param lowest = {0};
	if (sched_setscheduler(0, SCHED_IDLE, &lowest) == 0)
		stream.idle_policy = 1;
	else
		stream.idle_policy = setpriority(PRIO_PROCESS, 0, STREAM_LOWEST_NICE) == 0 ? 0 : -1;
	uint64_t x = 1;
	while (!__atomic_load_n(&stream.stop, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < STREAM_CHUNK_ROUNDS; i++) {
			x ^= x << STREAM_XORSHIFT_A;
			x ^= x >> STREAM_XORSHIFT_B;
			x ^= x << STREAM_XORSHIFT_C;
		}
		stream.chunks++;
	}
	stream.checksum = x;
}

static void stream_body(void *arg, unsigned index)
{
	(void)arg;
	if (index == STREAM_RECEIVER)
		stream_receiver();
	else if (index == STREAM_SENDER)
		stream_sender();
	else
		stream_compute();
}

/* The integer square root of V (the largest r with r * r <= V). */
static uint64_t stream_isqrt(uint64_t v)
{
	uint64_t r = 0;
	for (uint64_t bit = 1ull << (STREAM_BITS_PER_WORD - 2); bit; bit >>= 2) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

/* The standard deviation of the recorded latencies, ns. */
static uint64_t stream_deviation(void)
{
	uint64_t n = stream.latency.count;
	if (n == 0)
		return 0;
	unsigned __int128 mean = stream.latency.sum / n;
	unsigned __int128 mean_square = stream.square_sum / n;
	return stream_isqrt(mean_square > mean * mean ? (uint64_t)(mean_square - mean * mean) : 0);
}

int wl_stream(const struct wl_options *options)
{
	if ((options->warmup_ns + options->seconds_ns) / STREAM_PERIOD_NS >= STREAM_MAX_PACKETS) {
		fprintf(stderr, "uslice-workload stream: warm-up + seconds: at most %u requests\n",
		        STREAM_MAX_PACKETS - 1);
		return WL_EXIT_USAGE;
	}
	memset(&stream, 0, sizeof(stream));
	wl_hist_init(&stream.latency);
	stream.options = options;
	stream.fd = ping_start("stream", &stream.peer);
	if (stream.fd < 0)
		return WL_EXIT_SETUP;
	int irq = stream_route_irq();
	static char unused[STREAM_THREADS]; /* the threads share `stream` */
	int status = wl_run_threads(STREAM_THREADS, stream_body, unused, 1);
	close(stream.fd);
	uint64_t lost = stream.sent - stream.received;
	fprintf(stderr,
	        "uslice-workload stream: irq=%d cpus=%u idle_policy=%d chunks=%llu "
	        "late_sends=%llu late_replies=%llu slow=%llu duplicates=%llu malformed=%llu "
	        "errors=%llu (jitter: latency standard deviation)\n",
	        irq, wl_online_cpus(), stream.idle_policy, (unsigned long long)stream.chunks,
	        (unsigned long long)stream.late_sends, (unsigned long long)stream.late,
	        (unsigned long long)stream.slow, (unsigned long long)stream.duplicates,
	        (unsigned long long)stream.malformed,
	        (unsigned long long)(stream.send_errors + stream.receive_errors));
	int pass = status == 0 && stream.sent > 0 && lost == 0 && stream.duplicates == 0 &&
	           stream.malformed == 0 && stream.send_errors + stream.receive_errors == 0;
	if (!pass)
		ping_diagnose("stream");
	char extra[WL_EXTRA_BYTES];
	snprintf(extra, sizeof(extra), "received=%llu lost=%llu jitter=%llu",
	         (unsigned long long)stream.received, (unsigned long long)lost,
	         (unsigned long long)stream_deviation());
	struct wl_result result = {"stream",    STREAM_THREADS,  options->seconds_ns,
	                           stream.sent, &stream.latency, extra,
	                           pass};
	return wl_print_result(&result);
}
