/*
 * vmx/vlapic.h - the virtual local APIC of one vCPU (xAPIC MMIO, x2APIC
 * MSRs), and the VM-level router that turns an interrupt message into the
 * set of vLAPICs that accept it.
 *
 * A pure device model: no VMX, no hardware, no locks, no allocation. The
 * vCPU code feeds it register accesses (APIC-access page exits, RDMSR/WRMSR
 * exits), asks it what to inject at VM entry, and provides four callbacks
 * (struct vlapic_ops): the clock, a one-shot timer, IPI sending and EOI
 * broadcast. docs/devices.md shows the entry sequence the vCPU code runs.
 *
 * Callers:
 *  - the OWNER: the code running the vCPU (exit handlers, VM-entry
 *    preparation, the timer expiry on the owner's pCPU). Every function
 *    below belongs to the owner, who must serialize them (one vCPU runs on
 *    one pCPU at a time, so that is the vCPU's own execution context),
 *    except the ones named next and the pure vlapic_icr_decode() and
 *    vlapic_msr_handled().
 *  - SENDERS on any pCPU: vlapic_deliver() posts an interrupt message to a
 *    vLAPIC with atomic operations only. Posted messages are recorded even
 *    when the target vCPU is descheduled and are taken into the register
 *    file by the owner (vlapic_poll(), vlapic_pending_vector(),
 *    vlapic_nmi_pending()) before the next VM entry. The sender then kicks
 *    the target's pCPU if the vCPU runs elsewhere, or wakes it.
 *  - vlapic_route(), vlapic_match_destination(), vlapic_id(),
 *    vlapic_hardware_enabled() and vlapic_x2apic_mode() only read the
 *    addressing state (ID, LDR, DFR, TPR, APIC base) with relaxed atomic
 *    loads, from any pCPU; a message racing with a guest reprogramming its
 *    LDR may see either value, as on hardware.
 *
 * Lock order: the model takes no locks. Owner functions: serialized by the
 * vCPU's owner. vlapic_deliver/vlapic_posted: none needed. vlapic_route:
 * none needed; its callback runs with whatever the caller holds.
 */
#ifndef VMX_VLAPIC_H
#define VMX_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define VLAPIC_DEFAULT_BASE 0xfee00000ull
#define VLAPIC_VERSION      0x00050014u /* version 0x14, max LVT entry 5 (no CMCI) */

/* IA32_APIC_BASE (MSR 0x1b) bits. */
#define VLAPIC_BASE_BSP    (1ull << 8)
#define VLAPIC_BASE_X2APIC (1ull << 10)
#define VLAPIC_BASE_ENABLE (1ull << 11)
/* The base address, bits 51:12 (the model checks no narrower MAXPHYADDR;
 * the vCPU code refuses bases it cannot hook, vmx/vcpu_interrupt.c). */
#define VLAPIC_BASE_ADDRESS_MASK 0x000ffffffffff000ull
#define VLAPIC_PAGE_SIZE         0x1000u
#define VLAPIC_UNDECODED         0xffffffffu /* what an undecoded xAPIC page reads */

#define VLAPIC_MSR_APIC_BASE    0x1bu
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0u
#define VLAPIC_MSR_X2APIC_FIRST 0x800u
#define VLAPIC_MSR_X2APIC_LAST  0x8ffu

/* xAPIC register offsets in the 4 KiB page (x2APIC MSR = 0x800 + offset/16). */
enum vlapic_register {
	VLAPIC_ID = 0x20,
	VLAPIC_VERSION_REGISTER = 0x30,
	VLAPIC_TPR = 0x80,
	VLAPIC_APR = 0x90,
	VLAPIC_PPR = 0xa0,
	VLAPIC_EOI = 0xb0,
	VLAPIC_RRD = 0xc0,
	VLAPIC_LDR = 0xd0,
	VLAPIC_DFR = 0xe0,
	VLAPIC_SVR = 0xf0,
	VLAPIC_ISR = 0x100, /* 8 registers, 0x100..0x170 */
	VLAPIC_TMR = 0x180,
	VLAPIC_IRR = 0x200,
	VLAPIC_ESR = 0x280,
	VLAPIC_LVT_CMCI = 0x2f0,
	VLAPIC_ICR_LOW = 0x300,
	VLAPIC_ICR_HIGH = 0x310,
	VLAPIC_LVT_TIMER = 0x320,
	VLAPIC_LVT_THERMAL = 0x330,
	VLAPIC_LVT_PERFORMANCE = 0x340,
	VLAPIC_LVT_LINT0 = 0x350,
	VLAPIC_LVT_LINT1 = 0x360,
	VLAPIC_LVT_ERROR = 0x370,
	VLAPIC_TIMER_INITIAL = 0x380,
	VLAPIC_TIMER_CURRENT = 0x390,
	VLAPIC_TIMER_DIVIDE = 0x3e0,
	VLAPIC_SELF_IPI = 0x3f0, /* x2APIC only */
};

#define VLAPIC_LVT_COUNT  6 /* timer, thermal, performance, LINT0, LINT1, error */
#define VLAPIC_LVT_MASKED (1u << 16)
#define VLAPIC_SVR_ENABLE (1u << 8)

/* Error Status Register bits the model raises. */
#define VLAPIC_ESR_SEND_ILLEGAL_VECTOR    (1u << 5)
#define VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REGISTER       (1u << 7)

/* LVT timer modes (bits 17-18). */
enum vlapic_timer_mode {
	VLAPIC_TIMER_ONE_SHOT = 0,
	VLAPIC_TIMER_PERIODIC = 1,
	VLAPIC_TIMER_TSC_DEADLINE = 2,
};

/* ICR / redirection-entry delivery modes, by their encoding. */
enum vlapic_delivery_mode {
	VLAPIC_DELIVERY_FIXED = 0,
	VLAPIC_DELIVERY_LOWEST_PRIORITY = 1,
	VLAPIC_DELIVERY_SMI = 2,
	VLAPIC_DELIVERY_RESERVED3 = 3,
	VLAPIC_DELIVERY_NMI = 4,
	VLAPIC_DELIVERY_INIT = 5,
	VLAPIC_DELIVERY_STARTUP = 6, /* SIPI */
	VLAPIC_DELIVERY_EXTINT = 7,
};

enum vlapic_shorthand {
	VLAPIC_SHORTHAND_NONE = 0,
	VLAPIC_SHORTHAND_SELF = 1,
	VLAPIC_SHORTHAND_ALL = 2,
	VLAPIC_SHORTHAND_ALL_BUT_SELF = 3,
};

/* An interrupt message: a decoded ICR write, or a vIOAPIC redirection. */
struct vlapic_ipi {
	enum vlapic_delivery_mode delivery_mode;
	uint8_t vector;
	bool logical;         /* destination mode: false = physical */
	uint32_t destination; /* 8-bit xAPIC or 32-bit x2APIC destination */
	bool x2apic;          /* destination is in x2APIC (32-bit) format */
	enum vlapic_shorthand shorthand;
	bool level;           /* assert (true) or de-assert */
	bool level_triggered; /* trigger mode: false = edge */
};

/* Run state for the INIT/SIPI protocol (acted on by the vCPU code). */
enum vlapic_run_state {
	VLAPIC_RUN_ACTIVE,
	VLAPIC_RUN_WAIT_FOR_SIPI,
};

/* Events returned by vlapic_poll(). */
#define VLAPIC_EVENT_INIT    1u /* INIT accepted: reset the vCPU, wait for SIPI */
#define VLAPIC_EVENT_STARTUP 2u /* SIPI accepted: start at vlapic->startup_vector */

/* Return value of the MSR functions when the guest gets #GP. */
#define VLAPIC_FAULT (-1)

struct vlapic_ops {
	/* The guest's TSC now (host TSC + the vCPU's TSC offset). */
	uint64_t (*now_tsc)(void *context);
	/* Arm the owner's one-shot timer at this guest TSC; 0 cancels it. */
	void (*timer_arm)(void *context, uint64_t tsc_deadline);
	/* The guest wrote the ICR: route `ipi` (vlapic_route) from this vCPU. */
	void (*send_ipi)(void *context, const struct vlapic_ipi *ipi);
	/* A level-triggered interrupt was EOIed: tell the vIOAPIC. May be NULL. */
	void (*eoi_broadcast)(void *context, uint8_t vector);
};

struct vlapic_counters {
	uint64_t ipis_sent[8];         /* by ICR delivery mode (encoding index) */
	uint64_t self_ipis;            /* x2APIC SELF_IPI writes */
	uint64_t messages_received;    /* vlapic_deliver() posts (atomic) */
	uint64_t interrupts_accepted;  /* IRR bits set */
	uint64_t interrupts_coalesced; /* arrived while their IRR bit was set */
	uint64_t interrupts_dropped;   /* APIC disabled, illegal vector */
	uint64_t interrupts_injected;  /* vlapic_acknowledge() */
	uint64_t eois;
	uint64_t eoi_broadcasts;
	uint64_t nmis;
	uint64_t inits;
	uint64_t startups;             /* SIPIs that started the vCPU */
	uint64_t startups_ignored;     /* SIPIs outside wait-for-SIPI */
	uint64_t timer_fires;          /* expiries, masked or not */
	uint64_t timer_missed_periods; /* periodic expiries coalesced */
	uint64_t errors;               /* ESR events */
	uint64_t bad_accesses;         /* MMIO of a bad size/offset, MSR #GP */
};

/* Messages posted by other pCPUs, drained by the owner (all atomic). */
struct vlapic_posted {
	uint32_t irr[8];
	uint32_t tmr[8];
	uint32_t flags;
	uint32_t startup_vector;
	uint32_t nmis; /* NMI messages posted, not yet taken in */
};

struct vlapic {
	const struct vlapic_ops *ops;
	void *context;
	uint32_t initial_id; /* x2APIC ID; xAPIC ID after reset */
	/* Addressing state also read by vlapic_route() on other pCPUs. */
	uint64_t apic_base;
	uint32_t xapic_id; /* 8 bits */
	uint32_t ldr;      /* xAPIC value (bits 31:24) */
	uint32_t dfr;
	uint32_t tpr;
	/* Owner-only register file. */
	uint32_t svr;
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t esr, esr_pending;
	uint32_t icr_low, icr_high; /* x2APIC: the 64-bit ICR split */
	uint32_t lvt[VLAPIC_LVT_COUNT];
	uint32_t timer_initial;
	uint32_t timer_divide;   /* register value */
	uint64_t timer_deadline; /* absolute guest TSC of next expiry, 0 = idle */
	uint64_t timer_period;   /* TSC ticks, periodic mode */
	uint64_t tsc_deadline;   /* IA32_TSC_DEADLINE */
	uint32_t tsc_per_tick;   /* TSC ticks per timer tick at divide 1 */
	uint64_t timer_minimum;  /* shortest count / deadline distance, TSC ticks */
	/* INIT/SIPI and NMI, for the vCPU code. */
	enum vlapic_run_state run_state;
	uint8_t startup_vector; /* last SIPI vector: CS = vector << 8, IP = 0 */
	uint32_t nmi_pending;   /* 0, 1, or 2: one delivered, one latched */
	uint32_t events;        /* VLAPIC_EVENT_* not yet returned by vlapic_poll */
	struct vlapic_posted posted;
	struct vlapic_counters counters;
};

/*
 * Power-up state: enabled in xAPIC mode at 0xfee00000, ID `apic_id`, BSP
 * and ACTIVE when apic_id == 0, otherwise waiting for SIPI. The timer runs
 * at one tick per TSC tick (divide 1) until vlapic_set_timer_ratio().
 */
void vlapic_init(struct vlapic *vlapic, uint32_t apic_id, const struct vlapic_ops *ops,
                 void *context);
/* Timer input clock: `tsc_per_tick` TSC ticks per tick at divide 1 (>= 1). */
void vlapic_set_timer_ratio(struct vlapic *vlapic, uint32_t tsc_per_tick);
/* Minimum timer length in TSC ticks: a one-shot or periodic count, or a
 * TSC deadline in the future, shorter than this runs this long (a guest
 * cannot make the host timer fire more often). 0 = none. */
void vlapic_set_timer_minimum(struct vlapic *vlapic, uint64_t tsc_ticks);

/* xAPIC page: 32-bit accesses at 16-byte aligned offsets (docs/devices.md).
 * Not decoded while the APIC is globally disabled or in x2APIC mode: reads
 * all ones, writes are ignored. */
bool vlapic_mmio_decoded(const struct vlapic *vlapic);
void vlapic_mmio_read(struct vlapic *vlapic, uint32_t offset, unsigned size, uint32_t *value);
void vlapic_mmio_write(struct vlapic *vlapic, uint32_t offset, unsigned size, uint32_t value);
/* True for the MSRs vlapic_msr_read/write handle (APIC base, TSC deadline, x2APIC). */
bool vlapic_msr_handled(uint32_t msr);
/* 0, or VLAPIC_FAULT: inject #GP. */
int vlapic_msr_read(struct vlapic *vlapic, uint32_t msr, uint64_t *value);
int vlapic_msr_write(struct vlapic *vlapic, uint32_t msr, uint64_t value);
/* IA32_APIC_BASE write with the SDM's mode transitions; 0 or VLAPIC_FAULT. */
int vlapic_set_base(struct vlapic *vlapic, uint64_t value);
bool vlapic_x2apic_mode(const struct vlapic *vlapic);
bool vlapic_hardware_enabled(const struct vlapic *vlapic);
/* The ID the router matches (x2APIC ID, or xAPIC ID register bits 31:24). */
uint32_t vlapic_id(const struct vlapic *vlapic);

/* TPR (CR8 = TPR >> 4) and PPR. */
void vlapic_set_tpr(struct vlapic *vlapic, uint8_t tpr);
uint8_t vlapic_tpr(const struct vlapic *vlapic);
uint8_t vlapic_ppr(const struct vlapic *vlapic);

/* Accept a fixed interrupt into IRR (owner). False if dropped or coalesced. */
bool vlapic_set_irr(struct vlapic *vlapic, uint8_t vector, bool level_triggered);
/* Highest IRR vector whose class is above the PPR's, or -1. */
int vlapic_pending_vector(struct vlapic *vlapic);
/* The vector was injected: IRR -> ISR. */
void vlapic_acknowledge(struct vlapic *vlapic, uint8_t vector);
/* An EOI write: clear the highest ISR bit, broadcast it if TMR is set. */
void vlapic_eoi(struct vlapic *vlapic);
/* NMIs: up to two pending (one to deliver, one latched behind it), so two
 * NMIs back to back are two; acknowledge takes one. The vCPU code limits
 * the count to 1 while the guest blocks NMIs (one is being handled). */
bool vlapic_nmi_pending(struct vlapic *vlapic);
void vlapic_nmi_acknowledge(struct vlapic *vlapic);
void vlapic_nmi_limit(struct vlapic *vlapic, uint32_t limit);

/* Take posted messages in; returns the VLAPIC_EVENT_* seen since the last call. */
unsigned vlapic_poll(struct vlapic *vlapic);
/* Any pCPU: post a message to this vLAPIC. True if it was recorded. */
bool vlapic_deliver(struct vlapic *vlapic, const struct vlapic_ipi *ipi);
/* Any pCPU: something was posted and not yet taken in. */
bool vlapic_posted(const struct vlapic *vlapic);

/* The timer: fire if `now` reached the deadline; true if it fired. */
bool vlapic_timer_expired(struct vlapic *vlapic, uint64_t now);
/* Absolute guest TSC the environment must arm now (0 = none), e.g. after migration. */
uint64_t vlapic_timer_deadline(const struct vlapic *vlapic);

/* ICR decoding (xAPIC: icr = ICR_HIGH << 32 | ICR_LOW). */
void vlapic_icr_decode(uint64_t icr, bool x2apic, struct vlapic_ipi *ipi);

/*
 * The router. `sender` is the index of the sending vLAPIC (for the
 * shorthands) or VLAPIC_NO_SENDER. Calls deliver(context, index, ipi) for
 * every vLAPIC that accepts the message (one for lowest priority: the
 * lowest TPR, first index on ties) and returns how many. NULL entries and
 * hardware-disabled vLAPICs never match.
 */
#define VLAPIC_NO_SENDER 0xffffffffu
typedef void (*vlapic_deliver_function)(void *context, unsigned index,
                                        const struct vlapic_ipi *ipi);
unsigned vlapic_route(struct vlapic *const *vlapics, unsigned count, const struct vlapic_ipi *ipi,
                      unsigned sender, vlapic_deliver_function deliver, void *context);
/* Does this vLAPIC accept a message for (logical, destination, x2apic)? */
bool vlapic_match_destination(const struct vlapic *vlapic, const struct vlapic_ipi *ipi);

#endif /* VMX_VLAPIC_H */
