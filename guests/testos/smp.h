/*
 * guests/testos/smp.h - what testos's files share: output, the per-CPU
 * area, the local APIC (xAPIC MMIO or x2APIC MSRs) and IOAPIC drivers,
 * spinlocks with Linux's names, cross-CPU calls, and the SMP modes.
 *
 * CPU numbers are dense (0 = BSP) in MADT order; each CPU finds its
 * struct testos_cpu through its GS base. Functions whose names follow
 * Linux's (_raw_spin_lock, native_queued_spin_lock_slowpath,
 * smp_call_function_many_cond, flush_tlb_func, __sysvec_call_function,
 * scheduler_ipi, irq_enter/irq_exit, native_safe_halt, default_idle) play
 * the same role, so uslice classifies testos with the linux-6.x rules.
 *
 * Lock order: testos_print_lock (output) is a leaf; workload locks are
 * never held while printing.
 */
#ifndef TESTOS_SMP_H
#define TESTOS_SMP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guests/testos/format.h"

#define TESTOS_MAX_CPUS        16
#define TESTOS_STACK_SIZE      16384
#define TESTOS_TRAMPOLINE_BASE 0x8000u
/* Latency histogram: exact below 16 ticks, then 8 buckets per power of two
 * (each within 12.5 %), so every sample of a run counts, however long. */
#define TESTOS_HISTOGRAM_BUCKETS (16 + 60 * 8)

/* Vectors (Linux's numbers where Linux has the role). */
#define TESTOS_VECTOR_NMI 2
/* A sender uses vector base + its CPU number: an APIC coalesces one vector
 * sent by several CPUs at once into one IRR bit, as hardware does. */
#define TESTOS_VECTOR_TEST_FIXED     0x80
#define TESTOS_VECTOR_TEST_BROADCAST 0x90
#define TESTOS_VECTOR_TEST_LOGICAL   0xa0
#define TESTOS_VECTOR_TEST_SELF      0x42
#define TESTOS_VECTOR_TEST_PING      0x44
#define TESTOS_VECTOR_TEST_LOW       0x50 /* priority test: class 5 */
#define TESTOS_VECTOR_TEST_HIGH      0x70 /* priority test: class 7 */
#define TESTOS_VECTOR_IOAPIC         0x60
#define TESTOS_VECTOR_NIC            0x64 /* the e1000's INTx through the IOAPIC */
#define TESTOS_VECTOR_LOCAL_TIMER    0xec
#define TESTOS_VECTOR_CALL_FUNCTION  0xfb
#define TESTOS_VECTOR_RESCHEDULE     0xfd
#define TESTOS_VECTOR_SPURIOUS       0xff

/* Local APIC registers (xAPIC offsets; x2APIC MSR = 0x800 + offset / 16). */
#define TESTOS_APIC_ID            0x20
#define TESTOS_APIC_TPR           0x80
#define TESTOS_APIC_PPR           0xa0
#define TESTOS_APIC_EOI           0xb0
#define TESTOS_APIC_LDR           0xd0
#define TESTOS_APIC_DFR           0xe0
#define TESTOS_APIC_SVR           0xf0
#define TESTOS_APIC_ISR           0x100
#define TESTOS_APIC_IRR           0x200
#define TESTOS_APIC_ESR           0x280
#define TESTOS_APIC_ICR           0x300
#define TESTOS_APIC_LVT_TIMER     0x320
#define TESTOS_APIC_TIMER_INITIAL 0x380
#define TESTOS_APIC_TIMER_CURRENT 0x390
#define TESTOS_APIC_TIMER_DIVIDE  0x3e0

/* ICR bits. */
#define TESTOS_ICR_FIXED        0x000u
#define TESTOS_ICR_NMI          0x400u
#define TESTOS_ICR_INIT         0x500u
#define TESTOS_ICR_STARTUP      0x600u
#define TESTOS_ICR_LOGICAL      (1u << 11)
#define TESTOS_ICR_ASSERT       (1u << 14)
#define TESTOS_ICR_LEVEL        (1u << 15)
#define TESTOS_ICR_SELF         (1u << 18)
#define TESTOS_ICR_ALL_BUT_SELF (3u << 18)

struct testos_cpu {
	struct testos_cpu *self; /* %gs:0 */
	uint32_t index, apic_id;
	volatile bool online;
	uint64_t start_tsc;  /* BSP's INIT for this AP ... */
	uint64_t online_tsc; /* ... and when it reached C */
	/* ipitest */
	volatile uint32_t received[256];
	volatile uint32_t nmis;
	volatile uint8_t order[8]; /* vectors in the order taken */
	volatile uint32_t order_count;
	volatile uint32_t priority_errors;
	volatile uint64_t last_irq_tsc; /* rdtsc at the last timer/ping IRQ */
	volatile uint32_t timer_irqs;
	/* shootdown */
	volatile uint32_t flushes;
	/* latency samples of the current workload */
	uint64_t sample_count;
	uint64_t sample_max;
	uint64_t sample_sum; /* for the mean */
	uint32_t histogram[TESTOS_HISTOGRAM_BUCKETS];
	uint64_t ops;
	uint64_t warmup_ops; /* ops before the measured window (warmup=) */
};

extern struct testos_cpu testos_cpus[TESTOS_MAX_CPUS];
extern uint32_t testos_cpu_count;
extern bool testos_x2apic;
extern uint64_t testos_tsc_khz; /* from the PIT, 0 before calibration */
extern uint32_t testos_ioapic_address;
extern uint8_t testos_ioapic_id;
extern uint64_t testos_rsdp;
extern int64_t testos_workload_gap; /* gap=N on the command line, -1 = default */
/* warmup=Nms on the command line, -1 = none: the measured window then opens
 * N ms after the start barrier instead of at the mode's start. */
extern int64_t testos_workload_warmup_ms;

/* main.c */
void testos_print(const char *format, ...) __attribute__((format(printf, 1, 2)));
void testos_result(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* `isolation N` (guests/testos/isolation.c): register state stays the VM's. */
void testos_workload_isolation(uint64_t rounds, uint32_t vm_id);
__attribute__((noreturn)) void testos_power_off(int status);
void testos_idt_load(void);
uint64_t testos_rdtsc(void);
void testos_outb(uint16_t port, uint8_t value);
uint8_t testos_inb(uint16_t port);
uint64_t testos_rdmsr(uint32_t msr);
void testos_wrmsr(uint32_t msr, uint64_t value);
void testos_delay(uint64_t ticks);

static inline struct testos_cpu *testos_this_cpu(void)
{
	struct testos_cpu *cpu;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(cpu));
	return cpu;
}
static inline void testos_cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}
static inline void testos_interrupts_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void testos_interrupts_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* e1000.c: `ping` against the vnet back-end with an assigned e1000. */
extern uint32_t testos_multiboot_info; /* main.c: the Multiboot information */
int testos_mode_ping(const char *arguments);
void testos_e1000_interrupt(void);
/* The NIC for the stream mode (guests/testos/stream.c): set-up (RX
 * interrupt to CPU 0, interrupts on) and ARP (0, or 1 with a RESULT
 * printed), one echo request (its TSC stored in *stamp
 * before the device may send it), and a receiver called from the RX
 * interrupt for each echo reply (NULL: ping's own bookkeeping). */
typedef void (*testos_echo_reply_fn)(uint16_t seq, uint64_t tsc);
int testos_nic_start(unsigned *line);
uint64_t testos_net_send_echo(uint16_t seq, volatile uint64_t *stamp);
void testos_nic_on_reply(testos_echo_reply_fn on_reply);
/* HLT (TSC-deadline timer: its LVT in that mode on this CPU) or, with
 * `mixed`, computation chunks of `rounds` until `done()` or `until`. */
void testos_ping_wait(bool (*done)(void), uint64_t until, bool mixed, uint64_t rounds,
                      uint64_t *chunks);
uint64_t testos_isqrt(uint64_t v);
#define TESTOS_PING_HOG_ROUNDS 2000u /* xorshift rounds per computation chunk */
/* An RTT above this waited for a slice (one vnet round trip is ~35 µs). */
#define TESTOS_PING_SLOW_US     1000u
#define TESTOS_LVT_TSC_DEADLINE (2u << 17)
#define NET_JITTER_SHIFT        4 /* RFC 3550: J += (|D| - J) / 16 */
/* ping's and stream's words: [N] [Ius] [mixed] [hog=ROUNDS] [at=US]. */
struct testos_ping_options {
	uint64_t count, interval_us, rounds;
	uint64_t offset_us; /* stream: the first request this long after the start */
	bool mixed;
};
void testos_ping_options(const char *arguments, struct testos_ping_options *options);
int testos_mode_stream(const char *arguments); /* stream.c */

/* apic.c: ACPI, LAPIC, IOAPIC, PIT, AP start-up. */
int testos_acpi_scan(char *why, size_t size);
void testos_lapic_enable(void);
uint32_t testos_lapic_read(uint32_t reg);
void testos_lapic_write(uint32_t reg, uint32_t value);
void testos_lapic_eoi(void);
void testos_send_ipi(uint32_t destination, uint32_t icr_low);
uint32_t testos_logical_id(uint32_t cpu);
uint32_t testos_ioapic_read(uint32_t index);
void testos_ioapic_write(uint32_t index, uint32_t value);
uint64_t testos_pit_calibrate_tsc(void);
void testos_pit_periodic(uint16_t count);
void testos_pit_stop(void);
int testos_start_aps(void);

/* smp.c: per-CPU set-up, locks, barriers, cross-CPU calls, idle. */
struct testos_spinlock {
	volatile uint32_t locked;
};
void _raw_spin_lock(struct testos_spinlock *lock);
void _raw_spin_unlock(struct testos_spinlock *lock);
void native_queued_spin_lock_slowpath(struct testos_spinlock *lock);
void native_safe_halt(void);
void testos_cpu_setup(uint32_t index);
/* An AP's idle loop: default_idle until the BSP posts work. */
__attribute__((noreturn)) void testos_ap_idle(void);
void testos_ap_main(void);
void testos_interrupt(uint64_t vector);
/* Argument words (main.c): the decimal digits at *cursor, which moves
 * past them (0 and unmoved if there are none); string equality. */
uint64_t testos_decimal(const char **cursor);
bool testos_same(const char *a, const char *b);
/* Start the SMP mode `mode` (-1: not an SMP mode), return its status. */
int testos_smp_main(const char *mode, const char *arguments);
void testos_barrier(void);
typedef void (*testos_work_fn)(struct testos_cpu *cpu, void *argument);
/* Run `work` on every CPU (BSP too) and return when all have finished. */
void testos_run_everywhere(testos_work_fn work, void *argument);
void testos_sample(struct testos_cpu *cpu, uint64_t ticks);
/* p50/p99 over every CPU's samples. */
void testos_percentiles(uint64_t *p50, uint64_t *p99, uint64_t *count);
/* After testos_percentiles(): the given per-mille percentile (999 = p99.9,
 * 1000 = the maximum) of the same samples. Percentiles are the upper bound
 * of their histogram bucket (at most 12.5 % high), capped at the maximum,
 * which is exact. */
uint64_t testos_percentile_permille(uint64_t permille);
/* After testos_percentiles(): the exact mean of the same samples. */
uint64_t testos_samples_mean(void);
void testos_samples_reset(void);
/* The hypervisor asks the VM to finish now (run_until=; a VMCALL). */
bool testos_finish_requested(void);

/* A TLB shootdown request of one initiator (Linux: flush_tlb_info + csd). */
struct testos_flush_request {
	volatile uint32_t pending; /* CPUs that have not acknowledged */
	volatile uint64_t address; /* virtual page to invalidate */
};
extern struct testos_flush_request testos_flush_requests[TESTOS_MAX_CPUS];
void smp_call_function_many_cond(struct testos_flush_request *request, uint32_t targets);
void flush_tlb_func(struct testos_flush_request *request);
void native_flush_tlb_multi(struct testos_flush_request *request, uint32_t targets);

/* tests.c and workloads.c: the SMP modes. */
int testos_mode_ipitest(void);
int testos_mode_timertest(uint64_t rounds);
int testos_mode_workload(const char *name, uint64_t count, uint64_t duration_ticks);
int testos_mode_conformance(void);  /* conformance.c: one RESULT per case, 0 = all passed */
int testos_mode_pciscan(void);      /* pciscan.c: an assigned e1000 through its virtual BARs */
int testos_mode_peek(uint64_t mib); /* pciscan.c: read one dword at MIB MiB */
/* hostile.c: liveness, isolation and stress modes. */
bool testos_hostile_known(const char *mode);
int testos_mode_hostile(const char *mode, uint64_t count, uint64_t duration_ticks);

#endif /* TESTOS_SMP_H */
