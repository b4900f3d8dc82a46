/*
 * guests/testos/e1000.c - the `ping` mode: a small interrupt-driven driver
 * for an assigned Intel 82540EM (e1000) and an ICMP echo client against
 * Bochs's vnet back-end (host 192.168.10.1, this guest 192.168.10.2).
 *
 *   ping [N] [Ius] [mixed] [hog=ROUNDS]
 *     N (default 20) echo requests, on average one every I µs (default
 *     1000: each gap uniform in [I/2, 3I/2), so the sends cannot lock to
 *     the scheduler's slices), each sent when its time has come and the
 *     previous reply is in (or timed out after TESTOS_PING_TIMEOUT_MS); `mixed` fills the time
 * between packets with computation (ROUNDS xorshift rounds per chunk, default 2000) instead of HLT:
 * the vCPU is always busy, so a reply's interrupt finds it preempted, not halted (paper
 * section 3.3).
 *
 * The descriptor rings and packet buffers live in the DMA identity window
 * (the Multiboot memory map's RAM entry above the VM's RAM: guest-physical
 * == host-physical, so the addresses written to the device are right
 * without an IOMMU). BAR0 is placed at TESTOS_E1000_BAR, the RX interrupt
 * (RXT0) comes level-triggered through the vIOAPIC pin of the function's
 * interrupt line; the handler reads ICR (which lowers the line), takes
 * every completed RX descriptor and EOIs the LAPIC (the vIOAPIC EOI).
 *
 * RTT = TSC at the handler seeing the reply - TSC just before the TX tail
 * write. `jitter` is the standard deviation of all RTTs (what ping calls
 * mdev, up to the mean/absolute difference); `jitter_rfc3550` is RFC 3550's
 * interarrival jitter over the RTT sequence, J += (|RTT(i) - RTT(i-1)| -
 * J) / 16: a running estimate that forgets all but the last ~16 packets.
 * `slow` counts the RTTs over TESTOS_PING_SLOW_US: the replies that waited
 * for a slice of their vCPU (or requests preempted before their send).
 *
 * Lock order: none (vCPU 0 only; the handler and the loop share volatile
 * fields: the loop only reads what the handler writes).
 */
#include "guests/testos/smp.h"

#define TESTOS_E1000_BAR       0x20000000u
#define TESTOS_PCI_COMMAND     0x04
#define TESTOS_PCI_CLASS       0x08
#define TESTOS_PCI_BAR0        0x10
#define TESTOS_PCI_IRQ         0x3c
#define TESTOS_PCI_MEMORY_ON   0x0002u
#define TESTOS_PCI_MASTER_ON   0x0004u
#define TESTOS_PCI_CLASS_SHIFT 24
#define TESTOS_PCI_CLASS_NET   0x02u
#define TESTOS_PCI_DEVICES     32u
#define TESTOS_PCI_ABSENT      0xffffu
#define TESTOS_BYTE            0xffu

/* e1000 registers (82540EM manual, section 13) and bits. */
#define E1000_CTRL        0x0000u
#define E1000_CTRL_SLU    (1u << 6)
#define E1000_CTRL_RST    (1u << 26)
#define E1000_STATUS      0x0008u
#define E1000_STATUS_LU   (1u << 1)
#define E1000_EERD        0x0014u
#define E1000_EERD_START  0x1u
#define E1000_EERD_DONE   0x10u
#define E1000_EERD_SHIFT  8
#define E1000_EERD_DATA   16
#define E1000_ICR         0x00c0u
#define E1000_IMS         0x00d0u
#define E1000_IMC         0x00d8u
#define E1000_INT_RXT0    (1u << 7)
#define E1000_RCTL        0x0100u
#define E1000_RCTL_EN     (1u << 1)
#define E1000_RCTL_UPE    (1u << 3)
#define E1000_RCTL_BAM    (1u << 15)
#define E1000_RCTL_SECRC  (1u << 26)
#define E1000_TCTL        0x0400u
#define E1000_TCTL_EN     (1u << 1)
#define E1000_TCTL_PSP    (1u << 3)
#define E1000_TCTL_CT     (0x0fu << 4)
#define E1000_TCTL_COLD   (0x40u << 12)
#define E1000_RDBAL       0x2800u
#define E1000_RDBAH       0x2804u
#define E1000_RDLEN       0x2808u
#define E1000_RDH         0x2810u
#define E1000_RDT         0x2818u
#define E1000_RDTR        0x2820u
#define E1000_TDBAL       0x3800u
#define E1000_TDBAH       0x3804u
#define E1000_TDLEN       0x3808u
#define E1000_TDH         0x3810u
#define E1000_TDT         0x3818u
#define E1000_RAL0        0x5400u
#define E1000_RAH0        0x5404u
#define E1000_RAH_AV      (1u << 31)
#define E1000_ALL_ONES    0xffffffffu
#define E1000_RESET_POLLS 100000u
#define E1000_RX_DD       0x01u
#define E1000_TX_EOP      0x01u
#define E1000_TX_IFCS     0x02u
#define E1000_TX_RS       0x08u
#define E1000_RX_RING     256u /* 256 ms of a 1/ms stream while its vCPU waits */
#define E1000_TX_RING     8u
#define E1000_BUFFER      2048u

/* Where the rings and buffers sit in the DMA window. */
#define TESTOS_DMA_RX_RING 0x0000u
#define TESTOS_DMA_TX_RING 0x1000u
#define TESTOS_DMA_RX_BUFS 0x10000u
#define TESTOS_DMA_TX_BUFS (TESTOS_DMA_RX_BUFS + E1000_RX_RING * E1000_BUFFER)
#define TESTOS_DMA_NEEDED  (TESTOS_DMA_TX_BUFS + E1000_TX_RING * E1000_BUFFER)
#define TESTOS_MMAP_FLAG   (1u << 6)
#define TESTOS_MMAP_RAM    1u
#define TESTOS_LOW_MEMORY  0x100000ull
/* Multiboot information: mem_upper, mmap_length, mmap_addr (dwords); an
 * mmap entry: size (not counting itself), base, length, type. */
#define TESTOS_MB_MEM_UPPER    2
#define TESTOS_MB_MMAP_LENGTH  11
#define TESTOS_MB_MMAP_ADDRESS 12
#define TESTOS_MMAP_SIZE_FIELD 4
#define TESTOS_MMAP_BASE       4
#define TESTOS_MMAP_LENGTH     12
#define TESTOS_MMAP_TYPE       20
#define TESTOS_KIB_SHIFT       10

/* The vIOAPIC entry of the NIC's pin: fixed, physical, level, active low. */
#define TESTOS_IOAPIC_LEVEL (1u << 15)
#define TESTOS_IOAPIC_LOW   (1u << 13)
#define TESTOS_IOAPIC_ENTRY 0x10u
#define TESTOS_IOAPIC_DEST  24
#define TESTOS_IOAPIC_PINS  24u

/* Ethernet, ARP, IPv4, ICMP. */
#define NET_MAC            6u
#define NET_ETH_HEADER     14u
#define NET_TYPE_IPV4      0x0800u
#define NET_TYPE_ARP       0x0806u
#define NET_ARP_REQUEST    1u
#define NET_ARP_REPLY      2u
#define NET_ARP_LENGTH     28u
#define NET_IP_HEADER      20u
#define NET_IP_VERSION_IHL 0x45u
#define NET_IP_TTL         64u
#define NET_IP_ICMP        1u
#define NET_ICMP_HEADER    8u
#define NET_ICMP_ECHO      8u
#define NET_ICMP_REPLY     0u
#define NET_PING_PAYLOAD   32u
#define NET_PING_ID        0x7573u /* "us" */
#define NET_MIN_FRAME      60u
#define NET_IPV4_BYTES     4u
#define NET_ARP_HTYPE_ETH  1u
/* Field offsets: ARP (RFC 826), IPv4 header (RFC 791), ICMP echo (RFC 792). */
#define NET_ARP_HTYPE       0
#define NET_ARP_PTYPE       2
#define NET_ARP_HLEN        4
#define NET_ARP_PLEN        5
#define NET_ARP_OPER        6
#define NET_ARP_SHA         8
#define NET_ARP_SPA         14
#define NET_ARP_TPA         24
#define NET_IP_TOTAL_LENGTH 2
#define NET_IP_ID           4
#define NET_IP_TTL_AT       8
#define NET_IP_PROTOCOL     9
#define NET_IP_CHECKSUM     10
#define NET_IP_SOURCE       12
#define NET_IP_DESTINATION  16
#define NET_IP_IHL_MASK     0xfu
#define NET_ICMP_TYPE       0
#define NET_ICMP_CHECKSUM   2
#define NET_ICMP_ID         4
#define NET_ICMP_SEQUENCE   6
#define E1000_MAC_WORDS     3u

#define TESTOS_PING_TIMEOUT_MS  200u
#define TESTOS_PING_DEFAULT_N   20u
#define TESTOS_PING_DEFAULT_US  1000u
#define TESTOS_ARP_TRIES        5u
#define TESTOS_PING_SEED        0x9e3779b97f4a7c15ull
#define TESTOS_MSR_TSC_DEADLINE 0x6e0u

uint32_t testos_pci_read(unsigned device, unsigned reg);
void testos_pci_write(unsigned device, unsigned reg, uint32_t value);

struct e1000_rx_desc {
	uint64_t address;
	uint16_t length, checksum;
	uint8_t status, errors;
	uint16_t special;
} __attribute__((packed));

struct e1000_tx_desc {
	uint64_t address;
	uint16_t length;
	uint8_t cso, cmd, status, css;
	uint16_t special;
} __attribute__((packed));

static const uint8_t net_guest_ip[4] = {192, 168, 10, 2};
static const uint8_t net_host_ip[4] = {192, 168, 10, 1};

static struct {
	uint32_t base; /* BAR0 */
	uint8_t mac[NET_MAC];
	uint8_t peer[NET_MAC];
	uint8_t *window;
	volatile struct e1000_rx_desc *rx;
	volatile struct e1000_tx_desc *tx;
	uint32_t rx_next, tx_next;
	volatile bool peer_known;
	volatile uint16_t reply_seq; /* the last echo reply's sequence number */
	volatile uint64_t reply_tsc;
	volatile uint32_t interrupts, frames;
	testos_echo_reply_fn on_reply; /* the stream's receiver, or NULL (ping) */
} nic;

static uint32_t e1000_read(uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(nic.base + reg);
}

static void e1000_write(uint32_t reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(nic.base + reg) = value;
}

static void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool net_same(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static void net_copy(uint8_t *to, const uint8_t *from, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		to[i] = from[i];
}

/* The Internet checksum (RFC 1071) of [p, p + n). */
static uint16_t net_checksum(const uint8_t *p, unsigned n)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i + 1 < n; i += 2)
		sum += net_get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The DMA identity window: the memory map's RAM entry above 1 MiB +
 * mem_upper (the VM's RAM). */
static uint8_t *testos_dma_window(uint64_t *size)
{
	const uint32_t *info = (const uint32_t *)(uintptr_t)testos_multiboot_info;
	if (!info || !(info[0] & TESTOS_MMAP_FLAG))
		return NULL;
	uint64_t ram_end =
	    ((uint64_t)info[TESTOS_MB_MEM_UPPER] << TESTOS_KIB_SHIFT) + TESTOS_LOW_MEMORY;
	const uint8_t *p = (const uint8_t *)(uintptr_t)info[TESTOS_MB_MMAP_ADDRESS];
	const uint8_t *end = p + info[TESTOS_MB_MMAP_LENGTH];
	while (p < end) {
		uint32_t entry = *(const uint32_t *)p;
		uint64_t base = *(const uint64_t *)(p + TESTOS_MMAP_BASE);
		uint64_t length = *(const uint64_t *)(p + TESTOS_MMAP_LENGTH);
		uint32_t type = *(const uint32_t *)(p + TESTOS_MMAP_TYPE);
		if (type == TESTOS_MMAP_RAM && base >= ram_end) {
			*size = length;
			return (uint8_t *)(uintptr_t)base;
		}
		p += entry + TESTOS_MMAP_SIZE_FIELD;
	}
	return NULL;
}

/* The first network function on bus 0, or TESTOS_PCI_DEVICES. */
static unsigned testos_find_nic(void)
{
	for (unsigned device = 0; device < TESTOS_PCI_DEVICES; device++) {
		uint32_t ids = testos_pci_read(device, 0);
		if ((ids & TESTOS_PCI_ABSENT) == TESTOS_PCI_ABSENT)
			continue;
		if (testos_pci_read(device, TESTOS_PCI_CLASS) >> TESTOS_PCI_CLASS_SHIFT ==
		    TESTOS_PCI_CLASS_NET)
			return device;
	}
	return TESTOS_PCI_DEVICES;
}

static uint16_t e1000_eeprom(unsigned address)
{
	e1000_write(E1000_EERD, address << E1000_EERD_SHIFT | E1000_EERD_START);
	for (unsigned i = 0; i < E1000_RESET_POLLS; i++) {
		uint32_t v = e1000_read(E1000_EERD);
		if (v & E1000_EERD_DONE)
			return (uint16_t)(v >> E1000_EERD_DATA);
	}
	return 0;
}

/* Reset, link up, MAC into RA[0], the rings, RX interrupts on. */
static void e1000_start(void)
{
	e1000_write(E1000_IMC, E1000_ALL_ONES);
	e1000_write(E1000_CTRL, e1000_read(E1000_CTRL) | E1000_CTRL_RST);
	for (unsigned i = 0; i < E1000_RESET_POLLS && (e1000_read(E1000_CTRL) & E1000_CTRL_RST);
	     i++)
		testos_cpu_relax();
	e1000_write(E1000_IMC, E1000_ALL_ONES);
	e1000_write(E1000_CTRL, e1000_read(E1000_CTRL) | E1000_CTRL_SLU);
	for (unsigned i = 0; i < E1000_MAC_WORDS; i++) {
		uint16_t word = e1000_eeprom(i);
		nic.mac[2 * i] = (uint8_t)word;
		nic.mac[2 * i + 1] = (uint8_t)(word >> 8);
	}
	e1000_write(E1000_RAL0, (uint32_t)nic.mac[0] | (uint32_t)nic.mac[1] << 8 |
	                            (uint32_t)nic.mac[2] << 16 | (uint32_t)nic.mac[3] << 24);
	e1000_write(E1000_RAH0, (uint32_t)nic.mac[4] | (uint32_t)nic.mac[5] << 8 | E1000_RAH_AV);
	nic.rx = (volatile struct e1000_rx_desc *)(nic.window + TESTOS_DMA_RX_RING);
	nic.tx = (volatile struct e1000_tx_desc *)(nic.window + TESTOS_DMA_TX_RING);
	for (uint32_t i = 0; i < E1000_RX_RING; i++) {
		nic.rx[i].address =
		    (uint64_t)(uintptr_t)(nic.window + TESTOS_DMA_RX_BUFS + i * E1000_BUFFER);
		nic.rx[i].status = 0;
	}
	uint64_t rx = (uint64_t)(uintptr_t)nic.rx, tx = (uint64_t)(uintptr_t)nic.tx;
	e1000_write(E1000_RDBAL, (uint32_t)rx);
	e1000_write(E1000_RDBAH, (uint32_t)(rx >> 32));
	e1000_write(E1000_RDLEN, E1000_RX_RING * sizeof(struct e1000_rx_desc));
	e1000_write(E1000_RDH, 0);
	e1000_write(E1000_RDT, E1000_RX_RING - 1);
	e1000_write(E1000_RDTR, 0);
	e1000_write(E1000_TDBAL, (uint32_t)tx);
	e1000_write(E1000_TDBAH, (uint32_t)(tx >> 32));
	e1000_write(E1000_TDLEN, E1000_TX_RING * sizeof(struct e1000_tx_desc));
	e1000_write(E1000_TDH, 0);
	e1000_write(E1000_TDT, 0);
	e1000_write(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_BAM | E1000_RCTL_SECRC);
	e1000_write(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT | E1000_TCTL_COLD);
	e1000_read(E1000_ICR);
	e1000_write(E1000_IMS, E1000_INT_RXT0);
}

/* Queue one frame (padded to the Ethernet minimum) and return the TSC
 * just before the tail write hands it to the device; that TSC is also
 * stored in *stamp (if not NULL) before the write. */
static uint64_t e1000_send(const uint8_t *frame, unsigned length, volatile uint64_t *stamp)
{
	uint32_t slot = nic.tx_next;
	uint8_t *buffer = nic.window + TESTOS_DMA_TX_BUFS + slot * E1000_BUFFER;
	net_copy(buffer, frame, length);
	for (; length < NET_MIN_FRAME; length++)
		buffer[length] = 0;
	volatile struct e1000_tx_desc *d = &nic.tx[slot];
	d->address = (uint64_t)(uintptr_t)buffer;
	d->length = (uint16_t)length;
	d->cso = d->css = 0;
	d->status = 0;
	d->special = 0;
	d->cmd = E1000_TX_EOP | E1000_TX_IFCS | E1000_TX_RS;
	nic.tx_next = (slot + 1) % E1000_TX_RING;
	uint64_t tsc = testos_rdtsc();
	if (stamp)
		__atomic_store_n(stamp, tsc, __ATOMIC_RELEASE);
	e1000_write(E1000_TDT, nic.tx_next);
	return tsc;
}

static void net_ethernet(uint8_t *frame, const uint8_t *to, uint16_t type)
{
	net_copy(frame, to, NET_MAC);
	net_copy(frame + NET_MAC, nic.mac, NET_MAC);
	net_put16(frame + 2 * NET_MAC, type);
}

static void net_send_arp(void)
{
	static const uint8_t broadcast[NET_MAC] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t frame[NET_ETH_HEADER + NET_ARP_LENGTH] = {0};
	net_ethernet(frame, broadcast, NET_TYPE_ARP);
	uint8_t *a = frame + NET_ETH_HEADER;
	net_put16(a + NET_ARP_HTYPE, NET_ARP_HTYPE_ETH);
	net_put16(a + NET_ARP_PTYPE, NET_TYPE_IPV4);
	a[NET_ARP_HLEN] = NET_MAC;
	a[NET_ARP_PLEN] = NET_IPV4_BYTES;
	net_put16(a + NET_ARP_OPER, NET_ARP_REQUEST);
	net_copy(a + NET_ARP_SHA, nic.mac, NET_MAC);
	net_copy(a + NET_ARP_SPA, net_guest_ip, NET_IPV4_BYTES);
	net_copy(a + NET_ARP_TPA, net_host_ip, NET_IPV4_BYTES);
	e1000_send(frame, sizeof(frame), NULL);
}

uint64_t testos_net_send_echo(uint16_t seq, volatile uint64_t *stamp)
{
	uint8_t frame[NET_ETH_HEADER + NET_IP_HEADER + NET_ICMP_HEADER + NET_PING_PAYLOAD] = {0};
	net_ethernet(frame, nic.peer, NET_TYPE_IPV4);
	uint8_t *ip = frame + NET_ETH_HEADER;
	ip[0] = NET_IP_VERSION_IHL;
	net_put16(ip + NET_IP_TOTAL_LENGTH, NET_IP_HEADER + NET_ICMP_HEADER + NET_PING_PAYLOAD);
	net_put16(ip + NET_IP_ID, seq);
	ip[NET_IP_TTL_AT] = NET_IP_TTL;
	ip[NET_IP_PROTOCOL] = NET_IP_ICMP;
	net_copy(ip + NET_IP_SOURCE, net_guest_ip, NET_IPV4_BYTES);
	net_copy(ip + NET_IP_DESTINATION, net_host_ip, NET_IPV4_BYTES);
	net_put16(ip + NET_IP_CHECKSUM, net_checksum(ip, NET_IP_HEADER));
	uint8_t *icmp = ip + NET_IP_HEADER;
	icmp[NET_ICMP_TYPE] = NET_ICMP_ECHO;
	net_put16(icmp + NET_ICMP_ID, NET_PING_ID);
	net_put16(icmp + NET_ICMP_SEQUENCE, seq);
	for (unsigned i = 0; i < NET_PING_PAYLOAD; i++)
		icmp[NET_ICMP_HEADER + i] = (uint8_t)i;
	net_put16(icmp + NET_ICMP_CHECKSUM, net_checksum(icmp, NET_ICMP_HEADER + NET_PING_PAYLOAD));
	return e1000_send(frame, sizeof(frame), stamp);
}

/* One received frame: an ARP reply from the host, or an echo reply. */
static void net_receive(const uint8_t *frame, unsigned length, uint64_t tsc)
{
	nic.frames++;
	if (length < NET_ETH_HEADER)
		return;
	uint16_t type = net_get16(frame + 2 * NET_MAC);
	const uint8_t *p = frame + NET_ETH_HEADER;
	if (type == NET_TYPE_ARP && length >= NET_ETH_HEADER + NET_ARP_LENGTH &&
	    net_get16(p + NET_ARP_OPER) == NET_ARP_REPLY &&
	    net_same(p + NET_ARP_SPA, net_host_ip, NET_IPV4_BYTES)) {
		net_copy(nic.peer, p + NET_ARP_SHA, NET_MAC);
		nic.peer_known = true;
		return;
	}
	if (type != NET_TYPE_IPV4 || length < NET_ETH_HEADER + NET_IP_HEADER + NET_ICMP_HEADER ||
	    p[NET_IP_PROTOCOL] != NET_IP_ICMP)
		return;
	const uint8_t *icmp = p + (p[0] & NET_IP_IHL_MASK) * NET_IPV4_BYTES;
	if (icmp[NET_ICMP_TYPE] == NET_ICMP_REPLY && net_get16(icmp + NET_ICMP_ID) == NET_PING_ID) {
		if (nic.on_reply) {
			nic.on_reply(net_get16(icmp + NET_ICMP_SEQUENCE), tsc);
			return;
		}
		nic.reply_tsc = tsc;
		__atomic_store_n(&nic.reply_seq, net_get16(icmp + NET_ICMP_SEQUENCE),
		                 __ATOMIC_RELEASE);
	}
}

/* The RX interrupt: ICR read (lowers INTx), every completed descriptor,
 * then the LAPIC EOI (a level vector: the EOI reaches the vIOAPIC). */
void testos_e1000_interrupt(void)
{
	uint64_t tsc = testos_rdtsc();
	nic.interrupts++;
	e1000_read(E1000_ICR);
	while (nic.rx && (nic.rx[nic.rx_next].status & E1000_RX_DD)) {
		volatile struct e1000_rx_desc *d = &nic.rx[nic.rx_next];
		net_receive((const uint8_t *)(uintptr_t)d->address, d->length, tsc);
		d->status = 0;
		e1000_write(E1000_RDT, nic.rx_next);
		nic.rx_next = (nic.rx_next + 1) % E1000_RX_RING;
	}
	testos_lapic_eoi();
}

/* Computation between packets in `mixed` mode. */
static volatile uint64_t testos_ping_sink;

static void testos_ping_hog(uint64_t rounds)
{
	uint64_t x = testos_ping_sink | 1;
	for (uint64_t i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	testos_ping_sink = x;
}

/* Wait until `done()` or the TSC reaches `until`: HLT, or computation. */
void testos_ping_wait(bool (*done)(void), uint64_t until, bool mixed, uint64_t rounds,
                      uint64_t *chunks)
{
	while (!done() && testos_rdtsc() < until) {
		if (mixed) {
			testos_ping_hog(rounds);
			(*chunks)++;
		} else {
			/* The LAPIC timer (TSC-deadline mode) ends the wait at `until`. */
			testos_interrupts_disable();
			testos_wrmsr(TESTOS_MSR_TSC_DEADLINE, until);
			if (!done())
				native_safe_halt(); /* sti; hlt: the reply's interrupt wakes it */
			testos_interrupts_enable();
		}
	}
	testos_wrmsr(TESTOS_MSR_TSC_DEADLINE, 0);
}

static bool testos_peer_known(void)
{
	return nic.peer_known;
}

static uint16_t testos_ping_waiting; /* the sequence number awaited */

static bool testos_reply_in(void)
{
	return __atomic_load_n(&nic.reply_seq, __ATOMIC_ACQUIRE) == testos_ping_waiting;
}

/* Find the NIC, place BAR0, route its pin in the vIOAPIC to CPU 0, start it. */
static int testos_nic_setup(unsigned *line)
{
	uint64_t window_size = 0;
	nic.window = testos_dma_window(&window_size);
	if (!nic.window || window_size < TESTOS_DMA_NEEDED) {
		testos_result("workload=ping error=no-dma-window");
		return 1;
	}
	unsigned device = testos_find_nic();
	if (device == TESTOS_PCI_DEVICES) {
		testos_result("workload=ping error=no-nic");
		return 1;
	}
	*line = testos_pci_read(device, TESTOS_PCI_IRQ) & TESTOS_BYTE;
	if (*line >= TESTOS_IOAPIC_PINS) {
		testos_result("workload=ping error=no-interrupt-line line=%u", *line);
		return 1;
	}
	uint32_t command = testos_pci_read(device, TESTOS_PCI_COMMAND) & TESTOS_PCI_ABSENT;
	testos_pci_write(device, TESTOS_PCI_COMMAND, command & ~TESTOS_PCI_MEMORY_ON);
	testos_pci_write(device, TESTOS_PCI_BAR0, TESTOS_E1000_BAR);
	testos_pci_write(device, TESTOS_PCI_COMMAND,
	                 command | TESTOS_PCI_MEMORY_ON | TESTOS_PCI_MASTER_ON);
	nic.base = TESTOS_E1000_BAR;
	testos_ioapic_write(TESTOS_IOAPIC_ENTRY + 2 * *line + 1,
	                    testos_cpus[0].apic_id << TESTOS_IOAPIC_DEST);
	testos_ioapic_write(TESTOS_IOAPIC_ENTRY + 2 * *line,
	                    TESTOS_IOAPIC_LEVEL | TESTOS_IOAPIC_LOW | TESTOS_VECTOR_NIC);
	testos_lapic_write(TESTOS_APIC_LVT_TIMER,
	                   TESTOS_LVT_TSC_DEADLINE | TESTOS_VECTOR_LOCAL_TIMER);
	e1000_start();
	testos_print("testos: e1000 at 00:%x.0 BAR0 0x%x line %u, DMA window 0x%llx, mac "
	             "%x:%x:%x:%x:%x:%x, status 0x%x\n",
	             device, nic.base, *line, (unsigned long long)(uintptr_t)nic.window, nic.mac[0],
	             nic.mac[1], nic.mac[2], nic.mac[3], nic.mac[4], nic.mac[5],
	             e1000_read(E1000_STATUS));
	return 0;
}

void testos_ping_options(const char *p, struct testos_ping_options *o)
{
	*o = (struct testos_ping_options){TESTOS_PING_DEFAULT_N, TESTOS_PING_DEFAULT_US,
	                                  TESTOS_PING_HOG_ROUNDS, 0, false};
	bool counted = false;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *word = p;
		uint64_t number = testos_decimal(&p);
		bool digits = p != word;
		if (digits && p[0] == 'u' && p[1] == 's')
			o->interval_us = number;
		else if (digits && !counted && (*p == ' ' || !*p))
			o->count = number, counted = true;
		else if (word[0] == 'm' && word[1] == 'i' && word[2] == 'x')
			o->mixed = true;
		else if (word[0] == 'h' && word[1] == 'o' && word[2] == 'g' && word[3] == '=') {
			p = word + 4;
			o->rounds = testos_decimal(&p);
		} else if (word[0] == 'a' && word[1] == 't' && word[2] == '=') {
			p = word + 3;
			o->offset_us = testos_decimal(&p);
		}
		while (*p && *p != ' ')
			p++;
	}
}

void testos_nic_on_reply(testos_echo_reply_fn on_reply)
{
	nic.on_reply = on_reply;
}

/* ARP for the host; 0, or 1 (RESULT printed) if it never answers. */
static int testos_ping_resolve(void)
{
	uint64_t chunks = 0;
	for (unsigned i = 0; i < TESTOS_ARP_TRIES && !nic.peer_known; i++) {
		net_send_arp();
		testos_ping_wait(testos_peer_known,
		                 testos_rdtsc() + TESTOS_PING_TIMEOUT_MS * testos_tsc_khz, false, 0,
		                 &chunks);
	}
	if (nic.peer_known)
		return 0;
	testos_result("workload=ping error=no-arp-reply interrupts=%u frames=%u", nic.interrupts,
	              nic.frames);
	return 1;
}

/* The gap to the next request: uniform in [interval / 2, 3 * interval / 2)
 * (a fixed xorshift sequence), so the sends do not lock to the
 * scheduler's slice boundaries (a 30 ms slice is a multiple of 1 ms). */
static uint64_t testos_ping_gap(uint64_t interval)
{
	static uint64_t state = TESTOS_PING_SEED;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return interval ? interval / 2 + state % interval : 0;
}

uint64_t testos_isqrt(uint64_t v)
{
	uint64_t r = 0;
	for (uint64_t bit = 1ull << 62; bit; bit >>= 2) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

int testos_nic_start(unsigned *line)
{
	if (testos_nic_setup(line))
		return 1;
	testos_interrupts_enable();
	return testos_ping_resolve();
}

int testos_mode_ping(const char *arguments)
{
	struct testos_ping_options o;
	testos_ping_options(arguments, &o);
	unsigned line;
	if (testos_nic_start(&line))
		return 1;
	struct testos_cpu *cpu = testos_this_cpu();
	testos_samples_reset();
	uint64_t interval = o.interval_us * testos_tsc_khz / 1000;
	uint64_t timeout = TESTOS_PING_TIMEOUT_MS * testos_tsc_khz;
	uint64_t slow_ticks = TESTOS_PING_SLOW_US * testos_tsc_khz / 1000;
	uint64_t received = 0, chunks = 0, previous = 0, jitter16 = 0, squares = 0, slow = 0;
	uint64_t next = testos_rdtsc();
	for (uint64_t i = 1; i <= o.count; i++) {
		testos_ping_waiting = 0; /* nothing matches while waiting for the slot */
		testos_ping_wait(testos_reply_in, next, o.mixed, o.rounds, &chunks);
		testos_ping_waiting = (uint16_t)i;
		uint64_t sent = testos_net_send_echo((uint16_t)i, NULL);
		next = sent + testos_ping_gap(interval);
		testos_ping_wait(testos_reply_in, sent + timeout, o.mixed, o.rounds, &chunks);
		if (!testos_reply_in())
			continue;
		uint64_t rtt = nic.reply_tsc - sent;
		testos_sample(cpu, rtt);
		squares += rtt * rtt;
		slow += rtt > slow_ticks;
		if (received++) { /* RFC 3550: J += (|D| - J) / 16, kept as 16 J */
			uint64_t d = rtt > previous ? rtt - previous : previous - rtt;
			jitter16 += d - (jitter16 >> NET_JITTER_SHIFT);
		}
		previous = rtt;
	}
	uint64_t p50, p99, n;
	testos_percentiles(&p50, &p99, &n);
	uint64_t mean = testos_samples_mean();
	uint64_t variance = n ? squares / n - mean * mean : 0;
	/* One line of at most HYPERCALL_RESULT_MAX bytes; the details follow. */
	testos_result("workload=ping sent=%llu received=%llu rtt_p50=%llu rtt_p99=%llu "
	              "rtt_p999=%llu rtt_max=%llu jitter=%llu jitter_rfc3550=%llu slow=%llu "
	              "mixed=%u unit=tsc_ticks tsc_khz=%llu",
	              (unsigned long long)o.count, (unsigned long long)received,
	              (unsigned long long)p50, (unsigned long long)p99,
	              (unsigned long long)testos_percentile_permille(999),
	              (unsigned long long)testos_percentile_permille(1000),
	              (unsigned long long)testos_isqrt(variance),
	              (unsigned long long)(jitter16 >> NET_JITTER_SHIFT), (unsigned long long)slow,
	              o.mixed ? 1u : 0u, (unsigned long long)testos_tsc_khz);
	testos_print("testos: ping rtt_mean=%llu hog_chunks=%llu interval_us=%llu interrupts=%u "
	             "frames=%u line=%u (jitter: RTT standard deviation)\n",
	             (unsigned long long)mean, (unsigned long long)chunks,
	             (unsigned long long)o.interval_us, nic.interrupts, nic.frames, line);
	e1000_write(E1000_IMC, E1000_ALL_ONES);
	return received == o.count ? 0 : 3;
}
