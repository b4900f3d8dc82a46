/*
 * guests/testos/main.c - testos, uslice's test guest: a small Multiboot
 * kernel that reports over its UART and through the uslice hypercall, runs
 * the workload named on its command line, prints "RESULT key=value ..."
 * lines and powers off through ACPI S5 (PM1a control port 0xb004).
 *
 * Command line (Multiboot cmdline, `extra` in the VM configuration):
 *   cpuid N        N CPUID instructions            (default workload)
 *   pause N        N PAUSE-loop rounds (PLE exits)
 *   bench          exit costs in TSC ticks: CPUID, hypercall, port I/O, PLE
 *   hostile-write  write outside the VM's memory   (EPT violation)
 *   hostile-msr    read an unknown MSR             (#GP injected)
 *   hostile-vmx    execute VMXON                   (VMX instruction)
 *   hostile-triple load an empty IDT and fault     (triple fault)
 *   hostile-flood  port I/O exits without end      (exit flood)
 *   isolation N    N rounds: XMM/MXCSR/x87/DR values stay this VM's own
 *   echo N         wait up to N M ticks for a line typed on COM1 (xl type)
 *   conformance    what uslice promises a guest (guests/testos/conformance.c)
 *   pciscan        its PCI bus and an assigned e1000's BARs (guests/testos/pciscan.c)
 *   peek MIB       read the dword at MIB MiB (another VM's BAR: must stop this VM)
 *   ping [N] [Ius] [mixed] [hog=R]  ICMP echo over an assigned e1000 (guests/testos/e1000.c)
 * SMP modes (every vCPU of the VM; APs started with INIT-SIPI-SIPI; the
 * word "x2apic" anywhere after the mode switches the LAPICs to x2APIC):
 *   ipitest        every kind of IPI, priorities, EOI, IOAPIC + PIT
 *   timertest [N]  vLAPIC timer lateness: one-shot, periodic, TSC deadline
 *   lock [N|Nms]   spinlock-protected sections on all vCPUs
 *   shootdown [N|Nms]  TLB shootdowns: remap, IPI all, wait for acks
 *   hog [N|Nms]    pure CPU                user [N|Nms]  pure computation
 *   hostile-pit, hostile-stihlt, hostile-init-self, hostile-init-all,
 *   hostile-ioapic-init, hostile-park, hostile-park-all, hostile-ipistorm,
 *   pingpong [N], print [N]: liveness and stress modes (hostile.c)
 *   stream [N] [Ius] [hog=R] [at=US]  open-loop echo stream: CPU 1 sends at a fixed
 *                  rate, CPU 0 computes and takes the replies (stream.c)
 * N is a count per vCPU, Nms a duration (TSC calibrated with the PIT);
 * gap=N sets the private work between two ops (xorshift rounds);
 * warmup=Nms measures lock/shootdown/hog/user in a window that opens N ms
 * after the start barrier (guests/testos/workloads.c).
 * Every CPUID testos executes is counted and reported as cpuid_executed=,
 * so the hypervisor's CPUID exit counter can be checked against it.
 *
 * Lock order: testos_print_lock (a leaf) around each line of output.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guests/testos/smp.h"
#include "vmx/hypercall.h"

#define TESTOS_UART         0x3f8
#define TESTOS_PM1A_CONTROL 0xb004
/* One console line: a whole RESULT text with its "RESULT " and newline. */
#define TESTOS_PRINT_LINE_SIZE (HYPERCALL_RESULT_MAX + 64)

struct testos_idt_entry {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_middle;
	uint32_t offset_high, reserved;
} __attribute__((packed));

static struct testos_idt_entry testos_idt[256] __attribute__((aligned(16)));
static volatile uint32_t testos_print_lock;
static uint64_t testos_cpuid_executed;
static bool testos_hypervisor; /* uslice found by CPUID */
static const char *testos_mode = "boot";
extern const char testos_exception_stubs[];
extern const char testos_interrupt_stubs[];

void testos_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void testos_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
uint8_t testos_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
uint64_t testos_rdtsc(void)
{
	uint32_t low, high;
	__asm__ volatile("lfence; rdtsc" : "=a"(low), "=d"(high)::"memory");
	return ((uint64_t)high << 32) | low;
}
uint64_t testos_rdmsr(uint32_t msr)
{
	uint32_t low, high;
	__asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
	return ((uint64_t)high << 32) | low;
}
void testos_wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
	                 : "memory");
}
void testos_delay(uint64_t ticks)
{
	uint64_t end = testos_rdtsc() + ticks;
	while (testos_rdtsc() < end)
		testos_cpu_relax();
}
static inline void testos_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	testos_cpuid_executed++;
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline int64_t testos_hypercall(uint64_t function, uint64_t a, uint64_t b)
{
	int64_t result;
	__asm__ volatile("vmcall" : "=a"(result) : "a"(function), "b"(a), "c"(b) : "memory", "rdx");
	return result;
}

static void testos_putc(char c)
{
	for (int i = 0; i < 100000 && !(testos_inb(TESTOS_UART + 5) & 0x20); i++)
		;
	testos_outb(TESTOS_UART, (uint8_t)c);
}

static void testos_puts(const char *s)
{
	while (*s)
		testos_putc(*s++);
}

void testos_print(const char *format, ...)
{
	char line[TESTOS_PRINT_LINE_SIZE];
	va_list args;
	va_start(args, format);
	testos_format(line, sizeof(line), format, args);
	va_end(args);
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags)::"memory");
	while (__atomic_exchange_n(&testos_print_lock, 1, __ATOMIC_ACQUIRE))
		testos_cpu_relax();
	testos_puts(line);
	__atomic_store_n(&testos_print_lock, 0, __ATOMIC_RELEASE);
	__asm__ volatile("push %0; popfq" ::"r"(flags) : "memory", "cc");
}

/* "RESULT ..." over the UART and, under uslice, through the hypercall. */
void testos_result(const char *format, ...)
{
	char line[HYPERCALL_RESULT_MAX + 1];
	va_list args;
	va_start(args, format);
	size_t n = testos_format(line, sizeof(line), format, args);
	va_end(args);
	if (n > HYPERCALL_RESULT_MAX) {
		testos_print("testos: warning: a RESULT of %u characters is cut to %u\n",
		             (unsigned)n, (unsigned)HYPERCALL_RESULT_MAX);
		n = HYPERCALL_RESULT_MAX;
	}
	testos_print("RESULT %s\n", line);
	if (testos_hypervisor)
		testos_hypercall(HYPERCALL_RESULT, (uint64_t)(uintptr_t)line, n);
}

__attribute__((noreturn)) void testos_power_off(int status)
{
	testos_print("testos: powering off (status %d)\n", status);
	if (status != 0 && testos_hypervisor)
		testos_hypercall(HYPERCALL_POWER_OFF, (uint64_t)status, 0);
	testos_outw(TESTOS_PM1A_CONTROL, (5u << 10) | (1u << 13)); /* SLP_TYP=5, SLP_EN */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void testos_exception(uint64_t vector)
{
	testos_print("testos: exception %u in mode %s\n", (unsigned)vector, testos_mode);
	testos_result("mode=%s exception=%u cpuid_executed=%llu", testos_mode, (unsigned)vector,
	              (unsigned long long)testos_cpuid_executed);
	testos_power_off(vector == 13 ? 3 : 4);
}

void testos_idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed))
	pointer = {sizeof(testos_idt) - 1, (uint64_t)(uintptr_t)testos_idt};
	__asm__ volatile("lidt %0" ::"m"(pointer));
}

/* Exceptions 0..31 are fatal (testos_exception) except the NMI, which
 * like vectors 32..255 goes to testos_interrupt (smp.c). */
void testos_idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		const char *stubs = v < 32 && v != TESTOS_VECTOR_NMI ? testos_exception_stubs
		                                                     : testos_interrupt_stubs;
		uint64_t target = (uint64_t)(uintptr_t)(stubs + 16 * v);
		testos_idt[v] = (struct testos_idt_entry){
		    (uint16_t)target,         0x08, 0, 0x8e, (uint16_t)(target >> 16),
		    (uint32_t)(target >> 32), 0};
	}
	testos_idt_load();
}

static bool testos_word(const char **cursor, char *word, size_t size)
{
	const char *s = *cursor;
	while (*s == ' ')
		s++;
	size_t n = 0;
	while (*s && *s != ' ') {
		if (n + 1 < size)
			word[n++] = *s;
		s++;
	}
	word[n] = '\0';
	*cursor = s;
	return n > 0;
}

uint64_t testos_decimal(const char **cursor)
{
	uint64_t v = 0;
	for (; **cursor >= '0' && **cursor <= '9'; (*cursor)++)
		v = v * 10 + (uint64_t)(**cursor - '0');
	return v;
}

static uint64_t testos_number(const char *s, uint64_t fallback)
{
	return *s ? testos_decimal(&s) : fallback;
}

bool testos_same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

bool testos_finish_requested(void)
{
	return testos_hypervisor && testos_hypercall(HYPERCALL_FINISH_REQUESTED, 0, 0) == 1;
}

static uint64_t testos_exit_count(uint32_t reason)
{
	return testos_hypervisor ? (uint64_t)testos_hypercall(HYPERCALL_EXIT_COUNT, reason, 0) : 0;
}

static void testos_workload_cpuid(uint64_t count)
{
	uint32_t a, b, c, d;
	uint64_t before = testos_exit_count(10);
	uint64_t start = testos_rdtsc();
	for (uint64_t i = 0; i < count; i++)
		testos_cpuid(0, &a, &b, &c, &d);
	uint64_t ticks = testos_rdtsc() - start;
	uint64_t after = testos_exit_count(10);
	testos_result("workload=cpuid count=%llu exits_seen=%llu ticks=%llu cpuid_executed=%llu",
	              (unsigned long long)count, (unsigned long long)(after - before),
	              (unsigned long long)ticks, (unsigned long long)testos_cpuid_executed);
}

/* Spin on PAUSE long enough for PAUSE-loop exiting to trigger. */
static uint64_t testos_pause_loop(uint64_t pauses)
{
	for (uint64_t i = 0; i < pauses; i++)
		__asm__ volatile("pause" ::: "memory");
	return pauses;
}

/* `echo N`: wait up to N million TSC ticks for one line on COM1 (typed
 * by the hypervisor's `xl type`), report it. */
#define TESTOS_UART_FCR      2
#define TESTOS_UART_FCR_FIFO 0x07 /* enable, clear receive and transmit */
#define TESTOS_UART_LSR      5
#define TESTOS_UART_LSR_DATA 0x01
static void testos_workload_echo(uint64_t mega_ticks)
{
	char line[64];
	unsigned length = 0;
	bool complete = false;
	testos_outb(TESTOS_UART + TESTOS_UART_FCR, TESTOS_UART_FCR_FIFO); /* 16550A FIFOs */
	uint64_t end = testos_rdtsc() + mega_ticks * 1000000;
	while (!complete && testos_rdtsc() < end) {
		if (!(testos_inb(TESTOS_UART + TESTOS_UART_LSR) & TESTOS_UART_LSR_DATA))
			continue;
		char c = (char)testos_inb(TESTOS_UART);
		if (c == '\n')
			complete = true;
		else if (length + 1 < sizeof(line))
			line[length++] = c;
	}
	line[length] = '\0';
	testos_result("workload=echo complete=%d bytes=%u line=\"%s\"", complete ? 1 : 0, length,
	              line);
}

static void testos_workload_pause(uint64_t rounds)
{
	uint64_t before = testos_exit_count(40);
	uint64_t start = testos_rdtsc();
	for (uint64_t i = 0; i < rounds; i++)
		testos_pause_loop(10000);
	uint64_t ticks = testos_rdtsc() - start;
	testos_result("workload=pause rounds=%llu ple_exits=%llu ticks=%llu cpuid_executed=%llu",
	              (unsigned long long)rounds,
	              (unsigned long long)(testos_exit_count(40) - before),
	              (unsigned long long)ticks, (unsigned long long)testos_cpuid_executed);
}

static void testos_workload_bench(void)
{
	const uint64_t rounds = 200;
	uint32_t a, b, c, d;
	uint64_t start = testos_rdtsc();
	for (uint64_t i = 0; i < rounds; i++)
		__asm__ volatile("nop");
	uint64_t loop = testos_rdtsc() - start;
	start = testos_rdtsc();
	for (uint64_t i = 0; i < rounds; i++)
		testos_cpuid(0, &a, &b, &c, &d);
	uint64_t cpuid = (testos_rdtsc() - start - loop) / rounds;
	start = testos_rdtsc();
	for (uint64_t i = 0; i < rounds; i++)
		testos_hypercall(HYPERCALL_NOP, 0, 0);
	uint64_t hypercall = (testos_rdtsc() - start - loop) / rounds;
	start = testos_rdtsc();
	for (uint64_t i = 0; i < rounds; i++)
		testos_outb(0x80, 0);
	uint64_t io = (testos_rdtsc() - start - loop) / rounds;
	/* PLE: time a PAUSE loop with and without its exits. */
	uint64_t exits_before = testos_exit_count(40);
	start = testos_rdtsc();
	testos_pause_loop(200000);
	uint64_t pause_ticks = testos_rdtsc() - start;
	uint64_t ple_exits = testos_exit_count(40) - exits_before;
	uint64_t ple = ple_exits ? pause_ticks / ple_exits : 0;
	testos_result("bench=vmexit rounds=%llu cpuid=%llu hypercall=%llu io=%llu ple=%llu "
	              "ple_exits=%llu pause_loop_ticks=%llu unit=tsc_ticks",
	              (unsigned long long)rounds, (unsigned long long)cpuid,
	              (unsigned long long)hypercall, (unsigned long long)io,
	              (unsigned long long)ple, (unsigned long long)ple_exits,
	              (unsigned long long)pause_ticks);
}

struct testos_multiboot_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};

uint32_t testos_multiboot_info;

void testos_main(uint32_t magic, uint32_t info_address)
{
	testos_multiboot_info = magic == 0x2badb002 ? info_address : 0;
	const struct testos_multiboot_info *info =
	    (const struct testos_multiboot_info *)(uintptr_t)info_address;
	const char *cmdline = (magic == 0x2badb002 && (info->flags & 4))
	                          ? (const char *)(uintptr_t)info->cmdline
	                          : "";
	uint32_t a, b, c, d;
	testos_cpuid(0x40000000, &a, &b, &c, &d);
	char signature[13];
	for (int i = 0; i < 4; i++) {
		signature[i] = (char)(b >> (8 * i));
		signature[4 + i] = (char)(c >> (8 * i));
		signature[8 + i] = (char)(d >> (8 * i));
	}
	signature[12] = '\0';
	testos_hypervisor = testos_same(signature, HYPERCALL_SIGNATURE);
	uint64_t memory_end = ((uint64_t)info->mem_upper << 10) + 0x100000;
	testos_print("testos: magic=0x%x memory=%llu KiB hypervisor=%s cmdline=\"%s\"\n", magic,
	             (unsigned long long)(memory_end >> 10), testos_hypervisor ? signature : "none",
	             cmdline);
	if (testos_hypervisor) {
		testos_print("testos: hypercall ABI version %d\n",
		             (int)testos_hypercall(HYPERCALL_VERSION, 0, 0));
		testos_cpuid(0x40000001, &a, &b, &c, &d);
	}

	char word[32], argument[32];
	const char *cursor = cmdline;
	if (!testos_word(&cursor, word, sizeof(word))) {
		word[0] = 'c';
		word[1] = 'p';
		word[2] = 'u';
		word[3] = 'i';
		word[4] = 'd';
		word[5] = 0;
	}
	const char *arguments = cursor;
	testos_word(&cursor, argument, sizeof(argument));
	testos_mode = word;
	testos_rsdp = testos_hypervisor ? d : 0; /* CPUID 0x40000001 EDX, checked by the scan */
	int smp_status = testos_smp_main(word, arguments);
	if (smp_status >= 0)
		testos_power_off(smp_status);
	if (testos_same(word, "cpuid")) {
		testos_workload_cpuid(testos_number(argument, 1000));
	} else if (testos_same(word, "pause")) {
		testos_workload_pause(testos_number(argument, 10));
	} else if (testos_same(word, "bench")) {
		testos_workload_bench();
	} else if (testos_same(word, "conformance")) {
		testos_power_off(testos_mode_conformance());
	} else if (testos_same(word, "pciscan")) {
		testos_power_off(testos_mode_pciscan());
	} else if (testos_same(word, "peek")) {
		testos_power_off(testos_mode_peek(testos_number(argument, 0)));
	} else if (testos_same(word, "echo")) {
		testos_workload_echo(testos_number(argument, 500));
	} else if (testos_same(word, "isolation")) {
		testos_workload_isolation(testos_number(argument, 20), testos_hypervisor ? b : 0);
	} else if (testos_same(word, "hostile-write")) {
		volatile uint64_t *outside =
		    (volatile uint64_t *)(uintptr_t)(memory_end + (2u << 20));
		testos_print("testos: writing outside my memory at 0x%llx\n",
		             (unsigned long long)(uintptr_t)outside);
		*outside = 0xbad;
		testos_result("mode=hostile-write survived=1");
	} else if (testos_same(word, "hostile-msr")) {
		testos_print("testos: reading unknown MSR 0x4b564d99\n");
		uint32_t low, high;
		__asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(0x4b564d99u));
		testos_result("mode=hostile-msr survived=1 value=%x", low);
	} else if (testos_same(word, "hostile-vmx")) {
		uint64_t region = 0x200000;
		testos_print("testos: executing VMXON\n");
		__asm__ volatile("vmxon %0" ::"m"(region) : "cc", "memory");
		testos_result("mode=hostile-vmx survived=1");
	} else if (testos_same(word, "hostile-triple")) {
		struct {
			uint16_t limit;
			uint64_t base;
		} __attribute__((packed)) empty = {0, 0};
		testos_print("testos: loading an empty IDT and faulting\n");
		__asm__ volatile("lidt %0; int3" ::"m"(empty));
		testos_result("mode=hostile-triple survived=1");
	} else if (testos_same(word, "hostile-flood")) {
		testos_print("testos: flooding port I/O exits\n");
		for (;;)
			testos_outb(0x80, 0);
	} else {
		testos_print("testos: unknown workload \"%s\"\n", word);
		testos_power_off(2);
	}
	testos_power_off(0);
}
