/*
 * guests/linux/workloads/ping.c - the `ping` workload: ICMP echo over the
 * VM's assigned NIC (Linux's e1000 driver on the PCI function the VM's
 * `pci = [...]` gives it; docs/devices.md) to Bochs's vnet back-end, which
 * answers inside the emulator (host 192.168.10.1, this guest 192.168.10.2).
 *
 * It brings eth0 up with the guest's address itself (SIOCSIF* ioctls, no
 * ifconfig), then sends one echo request every PING_PERIOD_NS (or at once
 * after the previous reply, if that came later) over a raw ICMP socket and
 * waits up to PING_TIMEOUT_NS for its reply, blocked in poll() until the
 * NIC's interrupt brings it; between a reply and the next send it spins. One operation is one
 * request sent in the measured window; its latency is the round-trip time. check=pass when every
 * request sent got its reply (lost=0) and at least one was sent. The RESULT's extra fields: sent=,
 * received=, lost=.
 *
 * Needs root (a raw socket) and CONFIG_INET; the threads option is ignored
 * (one sender). Lock order: none.
 */
#include "workload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define PING_GUEST_IP        "192.168.10.2"
#define PING_NETMASK         "255.255.255.0"
#define PING_PEER_IP         "192.168.10.1" /* vnet's own address */
#define PING_PERIOD_NS       1000000ull     /* one request per ms, as in the paper */
#define PING_TIMEOUT_NS      100000000ull   /* a reply later than 100 ms is lost */
#define PING_PAYLOAD         32u
#define PING_IDENTIFIER      0x7573u /* "us" */
#define PING_REPLY_BYTES     1500u
#define PING_NS_PER_MS       1000000ull
#define PING_CARRIER_WAIT_NS (5ull * WL_NS_PER_S)
#define PING_CARRIER_POLL_US 1000u

/* The Internet checksum (RFC 1071) of LENGTH bytes. */
uint16_t ping_checksum(const uint8_t *data, size_t length)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < length; i += 2)
		sum += (uint32_t)data[i] << 8 | data[i + 1];
	if (length & 1)
		sum += (uint32_t)data[length - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int ping_set_address(int fd, unsigned long request, const char *address)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", PING_INTERFACE);
	struct sockaddr_in *in = (struct sockaddr_in *)&ifr.ifr_addr;
	in->sin_family = AF_INET;
	inet_pton(AF_INET, address, &in->sin_addr);
	return ioctl(fd, request, &ifr);
}

/* Whether the interface already has an IPv4 address other than the
 * guest's: then this is not the uslice guest's fresh NIC (the binary was
 * run on a host, say), and its configuration is not ours to change. */
static int ping_foreign_address(int fd)
{
	struct ifreq ifr;
	struct in_addr guest;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", PING_INTERFACE);
	inet_pton(AF_INET, PING_GUEST_IP, &guest);
	if (ioctl(fd, SIOCGIFADDR, &ifr) != 0)
		return 0; /* none yet */
	const struct sockaddr_in *in = (const struct sockaddr_in *)&ifr.ifr_addr;
	return in->sin_addr.s_addr != guest.s_addr;
}

/* eth0 up with the guest's address; -1 with errno EEXIST when it has
 * another one already (ping_foreign_address). */
static int ping_interface_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	if (ping_foreign_address(fd)) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", PING_INTERFACE);
	int status = ping_set_address(fd, SIOCSIFADDR, PING_GUEST_IP) ||
	             ping_set_address(fd, SIOCSIFNETMASK, PING_NETMASK) ||
	             ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!status) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		status = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return status ? -1 : 0;
}

/* Wait for the link (IFF_RUNNING: the driver saw carrier), at most
 * PING_CARRIER_WAIT_NS: a frame sent before it is dropped, and the first
 * ARP request with it (Linux retries only after a second). */
static int ping_wait_carrier(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	struct ifreq ifr;
	int up = 0;
	for (uint64_t end = wl_now_ns() + PING_CARRIER_WAIT_NS; !up && wl_now_ns() < end;) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", PING_INTERFACE);
		up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING);
		if (!up)
			usleep(PING_CARRIER_POLL_US);
	}
	close(fd);
	return up ? 0 : -1;
}

static int ping_send(int fd, const struct sockaddr_in *peer, uint16_t sequence)
{
	uint8_t packet[sizeof(struct icmphdr) + PING_PAYLOAD];
	memset(packet, 0, sizeof(packet));
	struct icmphdr *icmp = (struct icmphdr *)packet;
	icmp->type = ICMP_ECHO;
	icmp->un.echo.id = htons(PING_IDENTIFIER);
	icmp->un.echo.sequence = htons(sequence);
	for (unsigned i = 0; i < PING_PAYLOAD; i++)
		packet[sizeof(*icmp) + i] = (uint8_t)(sequence + i);
	icmp->checksum = ping_checksum(packet, sizeof(packet));
	ssize_t sent =
	    sendto(fd, packet, sizeof(packet), 0, (const struct sockaddr *)peer, sizeof(*peer));
	return sent == (ssize_t)sizeof(packet) ? 0 : -1;
}

/* Wait until DEADLINE for the echo reply to SEQUENCE (a raw socket gets
 * the IP header too); 1 when it came, 0 on timeout, -1 on error. */
static int ping_wait(int fd, uint16_t sequence, uint64_t deadline)
{
	uint8_t reply[PING_REPLY_BYTES];
	for (uint64_t now; (now = wl_now_ns()) < deadline;) {
		struct pollfd p = {fd, POLLIN, 0};
		int ready =
		    poll(&p, 1, (int)((deadline - now + PING_NS_PER_MS - 1) / PING_NS_PER_MS));
		if (ready < 0 && errno != EINTR)
			return -1;
		if (ready <= 0)
			continue;
		ssize_t n = recv(fd, reply, sizeof(reply), 0);
		if (n < (ssize_t)sizeof(struct iphdr))
			continue;
		size_t header = (size_t)(((const struct iphdr *)reply)->ihl) * 4;
		if ((size_t)n < header + sizeof(struct icmphdr))
			continue;
		const struct icmphdr *icmp = (const struct icmphdr *)(reply + header);
		if (icmp->type == ICMP_ECHOREPLY && ntohs(icmp->un.echo.id) == PING_IDENTIFIER &&
		    ntohs(icmp->un.echo.sequence) == sequence)
			return 1;
	}
	return 0;
}

/* Until WHEN, computing: the sender is the paper's "mixed" vCPU (CPU work
 * between packets), and the guest has no high-resolution timers (a sleep
 * would end on the next 4-ms jiffy). */
static void ping_spin_until(uint64_t when)
{
	while (wl_now_ns() < when)
		;
}

/* After a failed run: what the guest's kernel saw of the NIC (its lines
 * of /proc/interrupts and /proc/net/dev) on stderr. */
void ping_diagnose(const char *workload)
{
	static const char *const files[] = {"/proc/interrupts", "/proc/net/dev"};
	char line[WL_EXTRA_BYTES];
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, PING_INTERFACE) || strstr(line, "CPU0"))
				fprintf(stderr, "uslice-workload %s: %s: %s", workload, files[i],
				        line);
		if (f)
			fclose(f);
	}
}

int ping_start(const char *workload, struct sockaddr_in *peer)
{
	if (ping_interface_up() != 0) {
		fprintf(stderr, "uslice-workload %s: %s up as %s: %s\n", workload, PING_INTERFACE,
		        PING_GUEST_IP, strerror(errno));
		return -1;
	}
	if (ping_wait_carrier() != 0) {
		fprintf(stderr, "uslice-workload %s: no link on %s after %llu s\n", workload,
		        PING_INTERFACE, (unsigned long long)(PING_CARRIER_WAIT_NS / WL_NS_PER_S));
		ping_diagnose(workload);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0) {
		fprintf(stderr, "uslice-workload %s: raw ICMP socket: %s\n", workload,
		        strerror(errno));
		return -1;
	}
	memset(peer, 0, sizeof(*peer));
	peer->sin_family = AF_INET;
	inet_pton(AF_INET, PING_PEER_IP, &peer->sin_addr);
	return fd;
}

int wl_ping(const struct wl_options *options)
{
	struct sockaddr_in peer;
	int fd = ping_start("ping", &peer);
	if (fd < 0)
		return WL_EXIT_SETUP;
	struct wl_histogram latency;
	wl_hist_init(&latency);
	struct wl_window window;
	uint64_t sent = 0, received = 0, errors = 0;
	wl_window_open(&window, options);
	uint64_t next = wl_now_ns();
	for (uint16_t sequence = 0; next < window.end; sequence++) {
		ping_spin_until(next);
		uint64_t begin = wl_now_ns();
		int counted = wl_window_counts(&window, begin);
		int got = ping_send(fd, &peer, sequence)
		              ? -1
		              : ping_wait(fd, sequence, begin + PING_TIMEOUT_NS);
		uint64_t done = wl_now_ns();
		errors += got < 0;
		if (counted) {
			sent++;
			received += got == 1;
			if (got == 1)
				wl_hist_record(&latency, done - begin);
		}
		next = begin + PING_PERIOD_NS > done ? begin + PING_PERIOD_NS : done;
	}
	close(fd);
	char extra[WL_EXTRA_BYTES];
	snprintf(extra, sizeof(extra), "sent=%llu received=%llu lost=%llu",
	         (unsigned long long)sent, (unsigned long long)received,
	         (unsigned long long)(sent - received));
	wl_report_problem("ping", "send or receive errors", errors);
	if (sent == 0 || received != sent || errors)
		ping_diagnose("ping");
	struct wl_result result = {"ping",
	                           1,
	                           options->seconds_ns,
	                           sent,
	                           &latency,
	                           extra,
	                           sent > 0 && received == sent && errors == 0};
	return wl_print_result(&result);
}
