/*
 * vmx/xl_command.h - the xl console's command line parser: one line of
 * `xl SUBCOMMAND ARGS` (Xen's names and arguments, docs/console.md) into a
 * struct xl_command, or a one-line reason. Pure: it knows nothing of the
 * VMs and pools that exist (vmx/console_commands.c checks names, pCPUs and
 * pools against the running system); it checks the shape of every
 * argument (numbers, pCPU lists, options, key=value pairs).
 *
 * Hardware independent (kernel/string.h only): compiled into host tests.
 * Lock order: none.
 */
#ifndef VMX_XL_COMMAND_H
#define VMX_XL_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/sched.h"

#define XL_NAME_SIZE   SCHED_NAME_MAX
#define XL_LINE_SIZE   160
#define XL_MAX_PARAMS  10
#define XL_KEY_SIZE    24
#define XL_WEIGHT_MAX  65535u
#define XL_CAP_MAX     (SCHED_CAP_PER_VCPU * SCHED_MAX_VCPUS_PER_VM)
#define XL_ESCAPE_BYTE 0x1d /* Ctrl-]: leaves `xl console` (Xen) */

enum xl_kind {
	XL_LIST,               /* xl list [VM]                               */
	XL_VCPU_LIST,          /* xl vcpu-list [VM]                          */
	XL_VCPU_PIN,           /* xl vcpu-pin VM VCPU|all PCPUS|all          */
	XL_CPUPOOL_LIST,       /* xl cpupool-list [-c] [POOL]                */
	XL_CPUPOOL_CREATE,     /* xl cpupool-create name=N [sched=P] [k=v..] */
	XL_CPUPOOL_DESTROY,    /* xl cpupool-destroy POOL                    */
	XL_CPUPOOL_CPU_ADD,    /* xl cpupool-cpu-add POOL CPU                */
	XL_CPUPOOL_CPU_REMOVE, /* xl cpupool-cpu-remove POOL CPU           */
	XL_CPUPOOL_MIGRATE,    /* xl cpupool-migrate VM POOL                 */
	XL_SCHED_CREDIT,       /* xl sched-credit [-d VM [-w W] [-c CAP]]    */
	XL_PAUSE,              /* xl pause VM                                */
	XL_UNPAUSE,            /* xl unpause VM                              */
	XL_DESTROY,            /* xl destroy VM                              */
	XL_DMESG,              /* xl dmesg                                   */
	XL_CONSOLE,            /* xl console VM                              */
	XL_PCPU_LIST,          /* xl pcpu-list                               */
	XL_EXITS,              /* xl exits                                   */
	XL_TYPE,               /* xl type VM TEXT                            */
	XL_HELP,               /* help, xl help                              */
	XL_KIND_COUNT
};

struct xl_command {
	enum xl_kind kind;
	char name[XL_NAME_SIZE]; /* VM or pool ("" = all / none)       */
	char pool[XL_NAME_SIZE]; /* cpupool-migrate: the target pool   */
	bool compact;            /* cpupool-list -c                    */
	bool all_vcpus;          /* vcpu-pin VM all ...                */
	unsigned vcpu;
	uint64_t cpus; /* vcpu-pin: SCHED_AFFINITY_ALL = all */
	unsigned pcpu; /* cpupool-cpu-add / -remove          */
	bool has_weight, has_cap;
	uint32_t weight, cap;
	char policy[XL_NAME_SIZE]; /* cpupool-create sched= ("" = default) */
	unsigned param_count;      /* cpupool-create: tslice_ms=..., cpus= */
	char keys[XL_MAX_PARAMS][XL_KEY_SIZE];
	uint64_t values[XL_MAX_PARAMS];
	char text[XL_LINE_SIZE]; /* xl type: the text                  */
};

/* The subcommand's name ("cpupool-list"). */
const char *xl_kind_name(enum xl_kind kind);

/* Parse one command (blanks around it ignored). 0, or -1 with the reason
 * in `why` (and out->kind set when the subcommand was known, else
 * XL_KIND_COUNT). */
int xl_command_parse(const char *line, struct xl_command *out, char *why, size_t why_size);

#endif /* VMX_XL_COMMAND_H */
