/*
 * vmx/hypercall.h - the uslice hypercall ABI (docs/hypercall.md), shared
 * by the hypervisor and the test guests.
 *
 * A guest finds uslice with CPUID leaf 0x40000000 (EBX, ECX, EDX spell
 * "usliceuslice"; EAX is the highest hypervisor leaf). It calls with
 * VMCALL at CPL 0: RAX = function, RBX/RCX/RDX = arguments; the result is
 * in RAX (0 or more on success, a negative error otherwise). Other
 * registers are preserved.
 *
 * Lock order: none (constants only).
 */
#ifndef VMX_HYPERCALL_H
#define VMX_HYPERCALL_H

#define HYPERCALL_CPUID_BASE  0x40000000u
#define HYPERCALL_SIGNATURE   "usliceuslice"
#define HYPERCALL_ABI_VERSION 1u

enum hypercall_function {
	HYPERCALL_VERSION = 0, /* -> HYPERCALL_ABI_VERSION */
	HYPERCALL_RESULT =
	    1, /* RBX = guest-physical text, RCX = length (<= HYPERCALL_RESULT_MAX) */
	HYPERCALL_POWER_OFF = 2,  /* RBX = status (0 = success); does not return */
	HYPERCALL_NOP = 3,        /* -> 0; for exit-cost measurements */
	HYPERCALL_EXIT_COUNT = 4, /* RBX = basic exit reason, or ~0 for all -> this vCPU's count */
	HYPERCALL_FINISH_REQUESTED = 5, /* -> 1 when the hypervisor asks the VM to
	                                   finish its work and power off (run_until=), else 0 */
	HYPERCALL_FUNCTION_COUNT
};

/* Longest RESULT text: "RESULT vm=NAME " plus this fit one log line (512). */
#define HYPERCALL_RESULT_MAX        448
#define HYPERCALL_ERROR_PERMISSION  (-1)
#define HYPERCALL_ERROR_INVALID     (-22)
#define HYPERCALL_ERROR_NO_FUNCTION (-38)

#endif /* VMX_HYPERCALL_H */
