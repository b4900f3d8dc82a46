/*
 * vmx/vmcs.h - VMCS field encodings, exit reasons and one-instruction
 * wrappers for VMXON, VMCLEAR, VMPTRLD, VMREAD, VMWRITE, INVEPT, INVVPID.
 *
 * Field encodings follow the Intel SDM, volume 3, appendix B. Every
 * wrapper acts on the current VMCS of the calling CPU; callers make sure
 * the right VMCS is current (vmx_vcpu_load()).
 *
 * Lock order: none.
 */
#ifndef VMX_VMCS_H
#define VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

/* 16-bit fields */
#define VMCS_VPID                0x0000
#define VMCS_GUEST_ES_SELECTOR   0x0800
#define VMCS_GUEST_CS_SELECTOR   0x0802
#define VMCS_GUEST_SS_SELECTOR   0x0804
#define VMCS_GUEST_DS_SELECTOR   0x0806
#define VMCS_GUEST_FS_SELECTOR   0x0808
#define VMCS_GUEST_GS_SELECTOR   0x080a
#define VMCS_GUEST_LDTR_SELECTOR 0x080c
#define VMCS_GUEST_TR_SELECTOR   0x080e
#define VMCS_HOST_ES_SELECTOR    0x0c00
#define VMCS_HOST_CS_SELECTOR    0x0c02
#define VMCS_HOST_SS_SELECTOR    0x0c04
#define VMCS_HOST_DS_SELECTOR    0x0c06
#define VMCS_HOST_FS_SELECTOR    0x0c08
#define VMCS_HOST_GS_SELECTOR    0x0c0a
#define VMCS_HOST_TR_SELECTOR    0x0c0c
/* 64-bit fields */
#define VMCS_IO_BITMAP_A            0x2000
#define VMCS_IO_BITMAP_B            0x2002
#define VMCS_MSR_BITMAP             0x2004
#define VMCS_EXIT_MSR_STORE_ADDRESS 0x2006
#define VMCS_EXIT_MSR_LOAD_ADDRESS  0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDRESS 0x200a
#define VMCS_TSC_OFFSET             0x2010
#define VMCS_EPT_POINTER            0x201a
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400
#define VMCS_LINK_POINTER           0x2800
#define VMCS_GUEST_DEBUGCTL         0x2802
#define VMCS_GUEST_PAT              0x2804
#define VMCS_GUEST_EFER             0x2806
#define VMCS_HOST_PAT               0x2c00
#define VMCS_HOST_EFER              0x2c02
/* 32-bit fields */
#define VMCS_PIN_CONTROLS                 0x4000
#define VMCS_PROCESSOR_CONTROLS           0x4002
#define VMCS_EXCEPTION_BITMAP             0x4004
#define VMCS_PAGE_FAULT_ERROR_MASK        0x4006
#define VMCS_PAGE_FAULT_ERROR_MATCH       0x4008
#define VMCS_CR3_TARGET_COUNT             0x400a
#define VMCS_EXIT_CONTROLS                0x400c
#define VMCS_EXIT_MSR_STORE_COUNT         0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT          0x4010
#define VMCS_ENTRY_CONTROLS               0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT         0x4014
#define VMCS_ENTRY_INTERRUPTION_INFO      0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR_CODE   0x4018
#define VMCS_ENTRY_INSTRUCTION_LENGTH     0x401a
#define VMCS_TPR_THRESHOLD                0x401c
#define VMCS_SECONDARY_CONTROLS           0x401e
#define VMCS_PLE_GAP                      0x4020
#define VMCS_PLE_WINDOW                   0x4022
#define VMCS_INSTRUCTION_ERROR            0x4400
#define VMCS_EXIT_REASON                  0x4402
#define VMCS_EXIT_INTERRUPTION_INFO       0x4404
#define VMCS_EXIT_INTERRUPTION_ERROR_CODE 0x4406
#define VMCS_IDT_VECTORING_INFO           0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE     0x440a
#define VMCS_EXIT_INSTRUCTION_LENGTH      0x440c
#define VMCS_EXIT_INSTRUCTION_INFO        0x440e
#define VMCS_GUEST_ES_LIMIT               0x4800
#define VMCS_GUEST_CS_LIMIT               0x4802
#define VMCS_GUEST_SS_LIMIT               0x4804
#define VMCS_GUEST_DS_LIMIT               0x4806
#define VMCS_GUEST_FS_LIMIT               0x4808
#define VMCS_GUEST_GS_LIMIT               0x480a
#define VMCS_GUEST_LDTR_LIMIT             0x480c
#define VMCS_GUEST_TR_LIMIT               0x480e
#define VMCS_GUEST_GDTR_LIMIT             0x4810
#define VMCS_GUEST_IDTR_LIMIT             0x4812
#define VMCS_GUEST_ES_ACCESS              0x4814
#define VMCS_GUEST_CS_ACCESS              0x4816
#define VMCS_GUEST_SS_ACCESS              0x4818
#define VMCS_GUEST_DS_ACCESS              0x481a
#define VMCS_GUEST_FS_ACCESS              0x481c
#define VMCS_GUEST_GS_ACCESS              0x481e
#define VMCS_GUEST_LDTR_ACCESS            0x4820
#define VMCS_GUEST_TR_ACCESS              0x4822
#define VMCS_GUEST_INTERRUPTIBILITY       0x4824
#define VMCS_GUEST_ACTIVITY_STATE         0x4826
#define VMX_ACTIVITY_ACTIVE               0
#define VMX_ACTIVITY_HLT                  1
#define VMX_INTERRUPTIBILITY_STI          (1u << 0)
#define VMX_INTERRUPTIBILITY_MOV_SS       (1u << 1)
#define VMX_INTERRUPTIBILITY_NMI          (1u << 3)
#define VMCS_PREEMPTION_TIMER_VALUE       0x482e
#define VMCS_GUEST_SYSENTER_CS            0x482a
#define VMCS_HOST_SYSENTER_CS             0x4c00
/* natural-width fields */
#define VMCS_CR0_GUEST_HOST_MASK  0x6000
#define VMCS_CR4_GUEST_HOST_MASK  0x6002
#define VMCS_CR0_READ_SHADOW      0x6004
#define VMCS_CR4_READ_SHADOW      0x6006
#define VMCS_EXIT_QUALIFICATION   0x6400
#define VMCS_GUEST_LINEAR_ADDRESS 0x640a
#define VMCS_GUEST_CR0            0x6800
#define VMCS_GUEST_CR3            0x6802
#define VMCS_GUEST_CR4            0x6804
#define VMCS_GUEST_ES_BASE        0x6806
#define VMCS_GUEST_CS_BASE        0x6808
#define VMCS_GUEST_SS_BASE        0x680a
#define VMCS_GUEST_DS_BASE        0x680c
#define VMCS_GUEST_FS_BASE        0x680e
#define VMCS_GUEST_GS_BASE        0x6810
#define VMCS_GUEST_LDTR_BASE      0x6812
#define VMCS_GUEST_TR_BASE        0x6814
#define VMCS_GUEST_GDTR_BASE      0x6816
#define VMCS_GUEST_IDTR_BASE      0x6818
#define VMCS_GUEST_DR7            0x681a
#define VMCS_GUEST_RSP            0x681c
#define VMCS_GUEST_RIP            0x681e
#define VMCS_GUEST_RFLAGS         0x6820
#define VMCS_GUEST_PENDING_DEBUG  0x6822
#define VMCS_GUEST_SYSENTER_ESP   0x6824
#define VMCS_GUEST_SYSENTER_EIP   0x6826
#define VMCS_HOST_CR0             0x6c00
#define VMCS_HOST_CR3             0x6c02
#define VMCS_HOST_CR4             0x6c04
#define VMCS_HOST_FS_BASE         0x6c06
#define VMCS_HOST_GS_BASE         0x6c08
#define VMCS_HOST_TR_BASE         0x6c0a
#define VMCS_HOST_GDTR_BASE       0x6c0c
#define VMCS_HOST_IDTR_BASE       0x6c0e
#define VMCS_HOST_SYSENTER_ESP    0x6c10
#define VMCS_HOST_SYSENTER_EIP    0x6c12
#define VMCS_HOST_RSP             0x6c14
#define VMCS_HOST_RIP             0x6c16

/* Control bits (SDM vol. 3, chapter 24). */
#define VMX_PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define VMX_PIN_NMI_EXITING                (1u << 3)
#define VMX_PIN_VIRTUAL_NMIS               (1u << 5)
#define VMX_PIN_PREEMPTION_TIMER           (1u << 6)
#define VMX_PROC_INTERRUPT_WINDOW_EXITING  (1u << 2)
#define VMX_PROC_USE_TSC_OFFSETTING        (1u << 3)
#define VMX_PROC_HLT_EXITING               (1u << 7)
#define VMX_PROC_MWAIT_EXITING             (1u << 10)
#define VMX_PROC_RDPMC_EXITING             (1u << 11)
#define VMX_PROC_CR3_LOAD_EXITING          (1u << 15)
#define VMX_PROC_CR3_STORE_EXITING         (1u << 16)
#define VMX_PROC_CR8_LOAD_EXITING          (1u << 19)
#define VMX_PROC_CR8_STORE_EXITING         (1u << 20)
#define VMX_PROC_NMI_WINDOW_EXITING        (1u << 22)
#define VMX_PROC_UNCONDITIONAL_IO_EXITING  (1u << 24)
#define VMX_PROC_IO_BITMAPS                (1u << 25)
#define VMX_PROC_MSR_BITMAPS               (1u << 28)
#define VMX_PROC_MONITOR_EXITING           (1u << 29)
#define VMX_PROC_PAUSE_EXITING             (1u << 30)
#define VMX_PROC_SECONDARY_CONTROLS        (1u << 31)
#define VMX_PROC2_EPT                      (1u << 1)
#define VMX_PROC2_RDTSCP                   (1u << 3)
#define VMX_PROC2_VPID                     (1u << 5)
#define VMX_PROC2_UNRESTRICTED_GUEST       (1u << 7)
#define VMX_PROC2_PAUSE_LOOP_EXITING       (1u << 10)
#define VMX_PROC2_INVPCID                  (1u << 12)
#define VMX_EXIT_SAVE_DEBUG_CONTROLS       (1u << 2)
#define VMX_EXIT_HOST_ADDRESS_SPACE_64     (1u << 9)
#define VMX_EXIT_ACKNOWLEDGE_INTERRUPT     (1u << 15)
#define VMX_EXIT_SAVE_PAT                  (1u << 18)
#define VMX_EXIT_LOAD_PAT                  (1u << 19)
#define VMX_EXIT_SAVE_EFER                 (1u << 20)
#define VMX_EXIT_LOAD_EFER                 (1u << 21)
#define VMX_ENTRY_LOAD_DEBUG_CONTROLS      (1u << 2)
#define VMX_ENTRY_IA32E_GUEST              (1u << 9)
#define VMX_ENTRY_LOAD_PAT                 (1u << 14)
#define VMX_ENTRY_LOAD_EFER                (1u << 15)

/* VMX capability MSRs (SDM Vol. 3D, Appendix A), named once. */
#define MSR_VMX_BASIC          0x480
#define MSR_VMX_PINBASED       0x481
#define MSR_VMX_PROCBASED      0x482
#define MSR_VMX_EXIT           0x483
#define MSR_VMX_ENTRY          0x484
#define MSR_VMX_MISC           0x485
#define MSR_VMX_PROCBASED2     0x48b
#define MSR_VMX_EPT_VPID       0x48c
#define MSR_VMX_TRUE_PINBASED  0x48d
#define MSR_VMX_TRUE_PROCBASED 0x48e
#define MSR_VMX_TRUE_EXIT      0x48f
#define MSR_VMX_TRUE_ENTRY     0x490

/* ... and those that fix CR0/CR4 bits in VMX operation (A.7 and A.8): a
 * bit set in FIXED0 must be 1, a bit clear in FIXED1 must be 0. */
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489

/* Interruption information (entry injection and exit reporting). */
#define VMX_INTERRUPTION_VECTOR_MASK 0xffu
#define VMX_INTERRUPTION_TYPE_MASK   (7u << 8)
#define VMX_INTERRUPTION_VALID       (1u << 31)
#define VMX_INTERRUPTION_ERROR_CODE  (1u << 11)
/* Bit 12: NMI unblocking due to IRET in exit information, undefined in
 * IDT-vectoring information, reserved (0) in entry information. */
#define VMX_INTERRUPTION_NMI_UNBLOCKING          (1u << 12)
#define VMX_INTERRUPTION_TYPE_EXTERNAL           (0u << 8)
#define VMX_INTERRUPTION_TYPE_NMI                (2u << 8)
#define VMX_INTERRUPTION_TYPE_HARDWARE_EXCEPTION (3u << 8)

/* Basic exit reasons (SDM vol. 3, appendix C). */
enum vmx_exit_reason {
	VMX_EXIT_EXCEPTION_OR_NMI = 0,
	VMX_EXIT_EXTERNAL_INTERRUPT = 1,
	VMX_EXIT_TRIPLE_FAULT = 2,
	VMX_EXIT_INIT = 3,
	VMX_EXIT_SIPI = 4,
	VMX_EXIT_INTERRUPT_WINDOW = 7,
	VMX_EXIT_NMI_WINDOW = 8,
	VMX_EXIT_TASK_SWITCH = 9,
	VMX_EXIT_CPUID = 10,
	VMX_EXIT_GETSEC = 11,
	VMX_EXIT_HLT = 12,
	VMX_EXIT_INVD = 13,
	VMX_EXIT_INVLPG = 14,
	VMX_EXIT_RDPMC = 15,
	VMX_EXIT_RDTSC = 16,
	VMX_EXIT_RSM = 17,
	VMX_EXIT_VMCALL = 18,
	VMX_EXIT_VMCLEAR = 19,
	VMX_EXIT_VMLAUNCH = 20,
	VMX_EXIT_VMPTRLD = 21,
	VMX_EXIT_VMPTRST = 22,
	VMX_EXIT_VMREAD = 23,
	VMX_EXIT_VMRESUME = 24,
	VMX_EXIT_VMWRITE = 25,
	VMX_EXIT_VMXOFF = 26,
	VMX_EXIT_VMXON = 27,
	VMX_EXIT_CR_ACCESS = 28,
	VMX_EXIT_DR_ACCESS = 29,
	VMX_EXIT_IO = 30,
	VMX_EXIT_RDMSR = 31,
	VMX_EXIT_WRMSR = 32,
	VMX_EXIT_INVALID_GUEST_STATE = 33,
	VMX_EXIT_MSR_LOADING = 34,
	VMX_EXIT_MWAIT = 36,
	VMX_EXIT_MONITOR_TRAP = 37,
	VMX_EXIT_MONITOR = 39,
	VMX_EXIT_PAUSE = 40,
	VMX_EXIT_MACHINE_CHECK = 41,
	VMX_EXIT_TPR_BELOW_THRESHOLD = 43,
	VMX_EXIT_APIC_ACCESS = 44,
	VMX_EXIT_EPT_VIOLATION = 48,
	VMX_EXIT_EPT_MISCONFIGURATION = 49,
	VMX_EXIT_INVEPT = 50,
	VMX_EXIT_RDTSCP = 51,
	VMX_EXIT_PREEMPTION_TIMER = 52,
	VMX_EXIT_INVVPID = 53,
	VMX_EXIT_WBINVD = 54,
	VMX_EXIT_XSETBV = 55,
	VMX_EXIT_INVPCID = 58,
	VMX_EXIT_VMFUNC = 59,
	VMX_EXIT_REASON_COUNT = 70,
};
#define VMX_EXIT_REASON_ENTRY_FAILURE (1u << 31)
#define VMX_EXIT_REASON_BASIC_MASK    0xffffu

/* Segment access rights: DPL in bits 6:5 (the guest's CPL is SS.DPL). */
#define VMX_SEGMENT_ACCESS_DPL_SHIFT 5
#define VMX_SEGMENT_ACCESS_DPL_MASK  3u
#define VMX_SEGMENT_ACCESS_LONG      (1u << 13) /* CS.L: 64-bit code */

/* EPT-violation exit qualification (SDM Vol. 3C, Table 28-7). */
#define VMX_EPT_QUALIFICATION_READ  (1ull << 0)
#define VMX_EPT_QUALIFICATION_WRITE (1ull << 1)
#define VMX_EPT_QUALIFICATION_FETCH (1ull << 2)

/*
 * Exit qualification for control-register accesses (SDM Vol. 3C,
 * Table 28-3): bits 3:0 the control register, 5:4 the access type, 6 the
 * LMSW operand type (0 register, 1 memory), 11:8 the general register
 * (0 RAX ... 15 R15, the order of struct vmx_register), 31:16 the LMSW
 * source data.
 */
#define VMX_CR0 0 /* control registers by number */
#define VMX_CR3 3
#define VMX_CR4 4
#define VMX_CR8 8

enum vmx_cr_access_type {
	VMX_CR_ACCESS_MOV_TO_CR = 0,
	VMX_CR_ACCESS_MOV_FROM_CR = 1,
	VMX_CR_ACCESS_CLTS = 2,
	VMX_CR_ACCESS_LMSW = 3,
};

struct vmx_cr_qualification {
	unsigned cr; /* 0, 3, 4 or 8 */
	enum vmx_cr_access_type type;
	unsigned register_index; /* MOV: the general register */
	bool lmsw_memory;        /* LMSW: operand from memory */
	uint16_t lmsw_source;    /* LMSW: the source data */
};

static inline struct vmx_cr_qualification vmx_cr_qualification_decode(uint64_t qualification)
{
	return (struct vmx_cr_qualification){
	    .cr = (unsigned)(qualification & 0xf),
	    .type = (enum vmx_cr_access_type)((qualification >> 4) & 3),
	    .lmsw_memory = (qualification >> 6) & 1,
	    .register_index = (unsigned)((qualification >> 8) & 0xf),
	    .lmsw_source = (uint16_t)(qualification >> 16),
	};
}

/*
 * Exit qualification for I/O instructions (SDM Vol. 3C, Table 28-5):
 * bits 2:0 the access size - 1 (0, 1 or 3), bit 3 the direction (1 = IN),
 * bit 4 string instruction (INS/OUTS), bit 5 REP prefix, bit 6 operand
 * encoding (0 = DX, 1 = immediate), bits 31:16 the port.
 */
struct vmx_io_qualification {
	uint16_t port;
	unsigned size; /* bytes: 1, 2 or 4 */
	bool in;       /* IN/INS (else OUT/OUTS) */
	bool string;   /* INS/OUTS */
	bool rep;
	bool immediate; /* port in the instruction, not DX */
};

static inline struct vmx_io_qualification vmx_io_qualification_decode(uint64_t qualification)
{
	return (struct vmx_io_qualification){
	    .port = (uint16_t)(qualification >> 16),
	    .size = (unsigned)(qualification & 7) + 1,
	    .in = (qualification >> 3) & 1,
	    .string = (qualification >> 4) & 1,
	    .rep = (qualification >> 5) & 1,
	    .immediate = (qualification >> 6) & 1,
	};
}

static inline bool vmx_vmxon(uint64_t physical)
{
	bool failed;
	__asm__ volatile("vmxon %1; setbe %0" : "=q"(failed) : "m"(physical) : "cc", "memory");
	return !failed;
}
static inline bool vmx_vmclear(uint64_t physical)
{
	bool failed;
	__asm__ volatile("vmclear %1; setbe %0" : "=q"(failed) : "m"(physical) : "cc", "memory");
	return !failed;
}
static inline bool vmx_vmptrld(uint64_t physical)
{
	bool failed;
	__asm__ volatile("vmptrld %1; setbe %0" : "=q"(failed) : "m"(physical) : "cc", "memory");
	return !failed;
}
static inline uint64_t vmx_read(uint64_t field)
{
	uint64_t value;
	__asm__ volatile("vmread %1, %0" : "=rm"(value) : "r"(field) : "cc");
	return value;
}
static inline bool vmx_write(uint64_t field, uint64_t value)
{
	bool failed;
	__asm__ volatile("vmwrite %2, %1; setbe %0"
	                 : "=q"(failed)
	                 : "r"(field), "rm"(value)
	                 : "cc");
	return !failed;
}
static inline void vmx_invept_single(uint64_t ept_pointer)
{
	struct {
		uint64_t eptp, reserved;
	} descriptor = {ept_pointer, 0};
	__asm__ volatile("invept %0, %1" ::"m"(descriptor), "r"(1ull) : "cc", "memory");
}
static inline void vmx_invvpid_single(uint16_t vpid)
{
	struct {
		uint64_t vpid, address;
	} descriptor = {vpid, 0};
	__asm__ volatile("invvpid %0, %1" ::"m"(descriptor), "r"(1ull) : "cc", "memory");
}

#endif /* VMX_VMCS_H */
