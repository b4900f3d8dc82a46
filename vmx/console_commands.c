/*
 * vmx/console_commands.c - the xl console's commands (see
 * console_commands.h): lists in Xen's layout or as XL lines, and the
 * run-time changes (pools, pins, credit weight and cap, pause, destroy),
 * each refused with its reason before anything changes.
 *
 * Lock order: the scheduler lock inside sched_* calls and vmx/schedule.c
 * snapshots; the log lock inside log_record(); never both.
 */
#include "vmx/console_commands.h"

#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "sched/sched.h"
#include "vmx/cpupools.h"
#include "vmx/exit.h"
#include "vmx/pools.h"
#include "vmx/schedule.h"
#include "vmx/vm.h"
#include "vmx/vuart.h"

#define COMMANDS_WHY_SIZE   160
#define COMMANDS_LIST_SIZE  200
#define COMMANDS_LINE_SIZE  512
#define COMMANDS_DMESG_SIZE (8u * 1024)
#define COMMANDS_US_PER_S   1000000ull
#define COMMANDS_US_PER_DS  100000ull /* tenths of a second */
#define COMMANDS_US_PER_MS  1000ull
#define COMMANDS_MAX_POOLS  SCHED_MAX_POOLS

void console_commands_error(const char *line, const char *why)
{
	log_record("XL error command=\"%s\" reason=\"%s\"", line, why);
}

static struct sched_vm *commands_sched_vm(const struct vm *vm)
{
	return vm->vcpu_count && vm->vcpus[0] && vm->vcpus[0]->sched ? vm->vcpus[0]->sched->vm
	                                                             : NULL;
}

static const char *commands_pool_name(const struct vm *vm)
{
	const struct sched_vm *svm = commands_sched_vm(vm);
	if (!svm)
		return vm->pool_name[0] ? vm->pool_name : "Pool-0";
	return vmx_schedule_system()->pools[svm->pool].name;
}

/* The VM called `name`, or NULL after an error line. */
static struct vm *commands_vm(const struct console_context *context, const char *name,
                              const char *line)
{
	char why[COMMANDS_WHY_SIZE];
	for (uint32_t i = 0; i < context->vm_count; i++)
		if (strcmp(context->vms[i]->name, name) == 0)
			return context->vms[i];
	format_string(why, sizeof(why), "no VM named '%s'", name);
	console_commands_error(line, why);
	return NULL;
}

/* "6-11,13" (or "all" when `mask` covers every pCPU: affinities), or
 * "6,7,8" (cpupool lists, as Xen's) */
static void commands_cpu_list(uint64_t mask, char *out, size_t size, bool affinity)
{
	bool all_word = affinity, ranges = affinity;
	unsigned pcpus = vmx_schedule_system()->pcpu_count;
	uint64_t every = pcpus >= SCHED_MAX_PCPUS ? UINT64_MAX : (1ull << pcpus) - 1;
	size_t used = 0;
	if (all_word && (mask & every) == every) {
		string_copy(out, "all", size);
		return;
	}
	out[0] = '\0';
	for (unsigned n = 0; n < SCHED_MAX_PCPUS && used < size; n++) {
		if (!((mask >> n) & 1))
			continue;
		unsigned last = n;
		while (ranges && last + 1 < SCHED_MAX_PCPUS && (mask >> (last + 1)) & 1)
			last++;
		used +=
		    (size_t)format_string(out + used, size - used, last > n ? "%s%u-%u" : "%s%u",
		                          used ? "," : "", n, last);
		n = last;
	}
	if (!used)
		string_copy(out, "-", size);
}

/* ---- xl list ---- */

struct commands_vm_figures {
	uint64_t run_us;
	bool running, blocked;
};

static void commands_vm_figures(const struct vm *vm, struct commands_vm_figures *f)
{
	*f = (struct commands_vm_figures){0, false, false};
	for (uint32_t v = 0; v < vm->vcpu_count; v++) {
		struct vmx_schedule_vcpu_view view;
		if (!vm->vcpus[v])
			continue;
		vmx_schedule_vcpu_view(vm->vcpus[v], &view);
		f->run_us += view.run_us;
		f->running = f->running || strcmp(view.state, "running") == 0;
		f->blocked = f->blocked || strcmp(view.state, "blocked") == 0;
	}
}

static void commands_list(const struct console_context *context, const char *name)
{
	if (context->human)
		log_record(
		    "%s",
		    "Name                                        ID   Mem VCPUs\tState\tTime(s)");
	for (uint32_t i = 0; i < context->vm_count; i++) {
		const struct vm *vm = context->vms[i];
		const struct sched_vm *svm = commands_sched_vm(vm);
		struct commands_vm_figures f;
		if (name[0] && strcmp(vm->name, name) != 0)
			continue;
		commands_vm_figures(vm, &f);
		bool ended = vm->state == VM_STATE_DONE || vm->state == VM_STATE_STOPPED;
		bool paused = svm && svm->paused;
		if (context->human) {
			log_record("%-40s %5u %5llu %5u     %c%c%c%c%c-  %6llu.%llu", vm->name,
			           vm->id, (unsigned long long)(vm->memory_size >> 20),
			           vm->vcpu_count, f.running && !ended ? 'r' : '-',
			           f.blocked && !f.running && !ended ? 'b' : '-',
			           paused ? 'p' : '-', vm->state == VM_STATE_DONE ? 's' : '-',
			           vm->state == VM_STATE_STOPPED ? 'c' : '-',
			           (unsigned long long)(f.run_us / COMMANDS_US_PER_S),
			           (unsigned long long)(f.run_us % COMMANDS_US_PER_S /
			                                COMMANDS_US_PER_DS));
			continue;
		}
		log_record(
		    "XL vm name=%s id=%u state=%s vcpus=%u weight=%u cap=%u paused=%s pool=%s "
		    "memory_mb=%llu exits=%llu run_ms=%llu",
		    vm->name, vm->id, vm_state_name(vm->state), vm->vcpu_count,
		    svm ? svm->weight : vm->weight, svm ? svm->cap : 0, paused ? "yes" : "no",
		    commands_pool_name(vm), (unsigned long long)(vm->memory_size >> 20),
		    (unsigned long long)vm_exit_count(vm, -1),
		    (unsigned long long)(f.run_us / COMMANDS_US_PER_MS));
	}
}

/* ---- xl vcpu-list ---- */

static void commands_vcpu_row(const struct console_context *context, const struct vm *vm,
                              uint32_t v)
{
	struct vmx_schedule_vcpu_view view;
	char cpus[COMMANDS_LIST_SIZE], cpu[12];
	vmx_schedule_vcpu_view(vm->vcpus[v], &view);
	commands_cpu_list(vm->vcpus[v]->sched ? vm->vcpus[v]->sched->affinity : UINT64_MAX, cpus,
	                  sizeof(cpus), true);
	if (!context->human) {
		log_record("XL vcpu vm=%s vcpu=%u pcpu=%d state=%s credit=%lld priority=%d "
		           "run_ms=%llu micro_run_us=%llu exits=%llu affinity=%s",
		           vm->name, v, view.pcpu, view.state, (long long)view.credit,
		           view.priority, (unsigned long long)(view.run_us / COMMANDS_US_PER_MS),
		           (unsigned long long)view.micro_run_us,
		           (unsigned long long)vm->vcpus[v]->exits_total, cpus);
		return;
	}
	const struct sched_vm *svm = commands_sched_vm(vm);
	bool running = strcmp(view.state, "running") == 0;
	bool offline = strcmp(view.state, "offline") == 0 || strcmp(view.state, "none") == 0;
	if (view.pcpu >= 0)
		format_string(cpu, sizeof(cpu), "%d", view.pcpu);
	else
		string_copy(cpu, "-", sizeof(cpu));
	log_record("%-32s %5u %5u %5s   %c%c%c %7llu.%llu  %s / all", vm->name, vm->id, v, cpu,
	           running ? 'r' : '-', strcmp(view.state, "blocked") == 0 ? 'b' : '-',
	           offline || (svm && svm->paused) ? 'p' : '-',
	           (unsigned long long)(view.run_us / COMMANDS_US_PER_S),
	           (unsigned long long)(view.run_us % COMMANDS_US_PER_S / COMMANDS_US_PER_DS),
	           cpus);
}

static void commands_vcpu_list(const struct console_context *context, const char *name)
{
	if (context->human)
		log_record("%s",
		           "Name                                ID  VCPU   CPU State   Time(s) "
		           "Affinity (Hard / Soft)");
	for (uint32_t i = 0; i < context->vm_count; i++) {
		const struct vm *vm = context->vms[i];
		if (name[0] && strcmp(vm->name, name) != 0)
			continue;
		for (uint32_t v = 0; v < vm->vcpu_count; v++)
			if (vm->vcpus[v])
				commands_vcpu_row(context, vm, v);
	}
}

/* ---- xl cpupool-list ---- */

static void commands_cpupool_list(const struct console_context *context, const struct xl_command *c,
                                  const char *line)
{
	struct vmx_schedule_pool_view pools[COMMANDS_MAX_POOLS];
	unsigned count = vmx_schedule_pool_views(pools, COMMANDS_MAX_POOLS), shown = 0;
	if (context->human)
		log_record("%-19s%s", "Name",
		           c->compact ? "CPU list" : "CPUs   Sched     Active   Domain count");
	for (unsigned i = 0; i < count && i < COMMANDS_MAX_POOLS; i++) {
		char cpus[COMMANDS_LIST_SIZE];
		const struct vmx_schedule_pool_view *p = &pools[i];
		if (c->name[0] && strcmp(p->name, c->name) != 0)
			continue;
		shown++;
		commands_cpu_list(p->pcpu_mask, cpus, sizeof(cpus), false);
		if (!context->human)
			log_record("XL cpupool name=%s policy=%s micro=%s pcpus=%s vms=%u", p->name,
			           p->policy, p->micro ? "yes" : "no", cpus, p->vm_count);
		else if (c->compact)
			log_record("%-19s%s", p->name, p->pcpu_mask ? cpus : "");
		else
			log_record("%-19s%3u %9s       y       %4u", p->name,
			           pools_count_cpus(p->pcpu_mask), p->policy, p->vm_count);
	}
	if (c->name[0] && !shown) {
		char why[COMMANDS_WHY_SIZE];
		format_string(why, sizeof(why), "Pool '%s' does not exist", c->name);
		console_commands_error(line, why);
	}
}

/* ---- xl sched-credit ---- */

static void commands_sched_credit_pool(const struct console_context *context, int pool,
                                       const char *name)
{
	const struct sched_system *sys = vmx_schedule_system();
	const struct sched_pool *p = &sys->pools[pool];
	if (context->human) {
		log_record("%s %s: tslice=%llums ratelimit=%lluus migration-delay=0us", "Cpupool",
		           p->name, (unsigned long long)(p->params.slice_ns / SCHED_NS_PER_MS),
		           (unsigned long long)(p->params.ratelimit_ns / SCHED_NS_PER_US));
		log_record("%s", "Name                                ID Weight  Cap");
	}
	for (uint32_t i = 0; i < context->vm_count; i++) {
		const struct vm *vm = context->vms[i];
		const struct sched_vm *svm = commands_sched_vm(vm);
		if (!svm || svm->pool != pool || (name[0] && strcmp(vm->name, name) != 0))
			continue;
		if (context->human)
			log_record("%-33s %4u %6u %4u", vm->name, vm->id, svm->weight, svm->cap);
		else
			log_record("XL sched-credit vm=%s id=%u pool=%s weight=%u cap=%u", vm->name,
			           vm->id, p->name, svm->weight, svm->cap);
	}
}

static void commands_sched_credit(const struct console_context *context, const struct xl_command *c,
                                  const char *line)
{
	const struct sched_system *sys = vmx_schedule_system();
	if (c->name[0]) {
		struct vm *vm = commands_vm(context, c->name, line);
		struct sched_vm *svm = vm ? commands_sched_vm(vm) : NULL;
		char why[COMMANDS_WHY_SIZE];
		if (!vm)
			return;
		if (!svm) {
			console_commands_error(line, "the VM is not scheduled");
			return;
		}
		if (c->has_cap && !sched_policy_time_shares(&sys->pools[svm->pool].policy)) {
			console_commands_error(line, "a cap needs a time-sharing (credit) pool");
			return;
		}
		if (c->has_cap && c->cap > SCHED_CAP_PER_VCPU * svm->vcpu_count) {
			format_string(why, sizeof(why), "cap %u is above %u (%u vCPUs x 100 %%)",
			              c->cap, SCHED_CAP_PER_VCPU * svm->vcpu_count,
			              svm->vcpu_count);
			console_commands_error(line, why);
			return;
		}
		if ((c->has_weight && sched_vm_set_weight(svm, c->weight) != SCHED_OK) ||
		    (c->has_cap && sched_vm_set_cap(svm, c->cap) != SCHED_OK)) {
			console_commands_error(line, "the scheduler refused");
			return;
		}
		if (!context->human || !(c->has_weight || c->has_cap))
			commands_sched_credit_pool(context, svm->pool, vm->name);
		return;
	}
	for (int pool = 0; pool < SCHED_MAX_POOLS; pool++)
		if (sys->pools[pool].in_use && !sys->pools[pool].micro)
			commands_sched_credit_pool(context, pool, "");
}

/* ---- pools, pins, pause, destroy ---- */

/* "XL ok command=..." for scripts; a person gets Xen's silence. */
static void commands_done(const struct console_context *context, const char *line)
{
	if (!context->human)
		log_record("XL ok command=\"%s\"", line);
}

static void commands_result(const struct console_context *context, const char *line, int result,
                            const char *why)
{
	if (result == 0)
		commands_done(context, line);
	else
		console_commands_error(line, why);
}

static void commands_pin(const struct console_context *context, const struct xl_command *c,
                         const char *line)
{
	char why[COMMANDS_WHY_SIZE];
	struct vm *vm = commands_vm(context, c->name, line);
	if (!vm)
		return;
	if (!c->all_vcpus && (c->vcpu >= vm->vcpu_count || !vm->vcpus[c->vcpu]->sched)) {
		format_string(why, sizeof(why), "%s has no vCPU %u (vCPUs 0-%u)", vm->name, c->vcpu,
		              vm->vcpu_count - 1);
		console_commands_error(line, why);
		return;
	}
	/* Check every vCPU first: all or nothing. */
	for (uint32_t v = 0; v < vm->vcpu_count; v++)
		if ((c->all_vcpus || v == c->vcpu) && !vm->vcpus[v]->sched) {
			console_commands_error(line, "the VM is not scheduled");
			return;
		}
	for (uint32_t v = 0; v < vm->vcpu_count; v++) {
		if (!c->all_vcpus && v != c->vcpu)
			continue;
		if (vmx_cpupools_pin(vm->vcpus[v]->sched, c->cpus, why, sizeof(why))) {
			/* Only the first can be refused: all share one pool. */
			console_commands_error(line, why);
			return;
		}
	}
	commands_done(context, line);
}

static void commands_pool_change(const struct console_context *context, const struct xl_command *c,
                                 const char *line)
{
	char why[COMMANDS_WHY_SIZE];
	int result = -1;
	switch (c->kind) {
	case XL_CPUPOOL_CREATE: {
		const char *keys[XL_MAX_PARAMS];
		for (unsigned i = 0; i < c->param_count; i++)
			keys[i] = c->keys[i];
		result = vmx_cpupools_create(c->name, c->policy[0] ? c->policy : NULL, keys,
		                             c->values, c->param_count, why, sizeof(why));
		break;
	}
	case XL_CPUPOOL_DESTROY:
		result = vmx_cpupools_destroy(c->name, why, sizeof(why));
		break;
	case XL_CPUPOOL_CPU_ADD:
		result = vmx_cpupools_cpu_add(c->name, c->pcpu, why, sizeof(why));
		break;
	case XL_CPUPOOL_CPU_REMOVE:
		result = vmx_cpupools_cpu_remove(c->name, c->pcpu, why, sizeof(why));
		break;
	case XL_CPUPOOL_MIGRATE: {
		struct vm *vm = commands_vm(context, c->name, line);
		struct sched_vm *svm = vm ? commands_sched_vm(vm) : NULL;
		if (!vm)
			return;
		if (!svm || vm->state != VM_STATE_RUNNING) {
			console_commands_error(line, "the VM is not running");
			return;
		}
		result = vmx_cpupools_migrate(svm, c->pool, why, sizeof(why));
		break;
	}
	default:
		return;
	}
	commands_result(context, line, result, why);
}

static void commands_pause(const struct console_context *context, const struct xl_command *c,
                           const char *line)
{
	struct vm *vm = commands_vm(context, c->name, line);
	struct sched_vm *svm = vm ? commands_sched_vm(vm) : NULL;
	if (!vm)
		return;
	if (!svm || vm->state != VM_STATE_RUNNING) {
		console_commands_error(line, "the VM is not running");
		return;
	}
	bool pause = c->kind == XL_PAUSE;
	if (svm->paused == pause) {
		console_commands_error(line,
		                       pause ? "the VM is already paused" : "the VM is not paused");
		return;
	}
	commands_result(context, line, sched_vm_pause(svm, pause) == SCHED_OK ? 0 : -1,
	                "the scheduler refused");
}

static void commands_destroy(const struct console_context *context, const struct xl_command *c,
                             const char *line)
{
	struct vm *vm = commands_vm(context, c->name, line);
	struct sched_vm *svm = vm ? commands_sched_vm(vm) : NULL;
	if (!vm)
		return;
	if (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_CREATED) {
		console_commands_error(line, "the VM has already ended");
		return;
	}
	vm_stop(vm, "xl destroy");
	/* Its vCPUs go offline when next picked: a paused one must be. */
	if (svm && svm->paused && sched_vm_pause(svm, false) != SCHED_OK)
		console_commands_error(line, "the scheduler refused to unpause it");
	commands_done(context, line);
}

/* ---- dmesg, console, other lists ---- */

/* Each line of `text` as "PREFIX line" (never a bare tag: these are
 * copies of lines that were printed already). */
static void commands_print_lines(const char *prefix, const char *text)
{
	const char *start = text;
	for (const char *p = text;; p++) {
		if (*p != '\n' && *p)
			continue;
		if (p > start)
			log_record("%s%.*s", prefix, (int)(p - start), start);
		if (!*p)
			break;
		start = p + 1;
	}
}

static void commands_dmesg(void)
{
	static char history[COMMANDS_DMESG_SIZE];
	log_history(history, sizeof(history));
	commands_print_lines("(XEN) ", history);
}

static struct vm *commands_console(const struct console_context *context,
                                   const struct xl_command *c, const char *line)
{
	struct vm *vm = commands_vm(context, c->name, line);
	char prefix[XL_NAME_SIZE + 4];
	if (!vm)
		return NULL;
	if (!context->human) {
		console_commands_error(line, "xl console needs a person at COM1 (a script "
		                             "cannot type)");
		return NULL;
	}
	if (vm->state != VM_STATE_RUNNING) {
		console_commands_error(line, "the VM is not running");
		return NULL;
	}
	format_string(prefix, sizeof(prefix), "[%s] ", vm->name);
	commands_print_lines(prefix, vm->console);
	log_record("XL console vm=%s escape=ctrl-] bytes=%u", vm->name, vm->console_length);
	return vm;
}

static void commands_pcpu_list(void)
{
	for (uint32_t cpu = 0; cpu < percpu_cpu_count; cpu++) {
		if (!percpu_cpus[cpu].online)
			continue;
		struct vmx_schedule_pcpu_view v;
		vmx_schedule_pcpu_view(cpu, &v);
		log_record("XL pcpu pcpu=%u decisions=%llu idles=%llu deadline=%llu kick=%llu "
		           "block=%llu yield=%llu stop=%llu",
		           cpu, (unsigned long long)v.decisions, (unsigned long long)v.idles,
		           (unsigned long long)v.leaves[VMX_LEAVE_DEADLINE],
		           (unsigned long long)v.leaves[VMX_LEAVE_KICK],
		           (unsigned long long)v.leaves[VMX_LEAVE_BLOCK],
		           (unsigned long long)v.leaves[VMX_LEAVE_YIELD],
		           (unsigned long long)v.leaves[VMX_LEAVE_STOP]);
	}
}

static void commands_exits(const struct console_context *context)
{
	for (uint32_t i = 0; i < context->vm_count; i++) {
		const struct vm *vm = context->vms[i];
		char line[COMMANDS_LINE_SIZE];
		int n = format_string(line, sizeof(line), "XL exits vm=%s total=%llu", vm->name,
		                      (unsigned long long)vm_exit_count(vm, -1));
		for (int reason = 0; reason < VMX_EXIT_REASON_COUNT && (size_t)n < sizeof(line);
		     reason++) {
			uint64_t count = vm_exit_count(vm, reason);
			if (count)
				n += format_string(line + n, sizeof(line) - (size_t)n, " %s=%llu",
				                   vmx_exit_name((uint32_t)reason),
				                   (unsigned long long)count);
		}
		log_record("%s", line);
	}
}

/* TEXT and a newline into VM's UART receive FIFO, as if typed on its
 * serial line (what does not fit the FIFO is dropped, counted). */
static void commands_type(const struct console_context *context, const struct xl_command *c,
                          const char *line)
{
	struct vm *vm = commands_vm(context, c->name, line);
	uint8_t bytes[XL_LINE_SIZE];
	if (!vm)
		return;
	size_t length = string_copy((char *)bytes, c->text, sizeof(bytes) - 1);
	if (length > sizeof(bytes) - 2)
		length = sizeof(bytes) - 2;
	bytes[length++] = '\n';
	size_t taken = vuart_receive(vm, bytes, length);
	log_record("XL type vm=%s bytes=%zu taken=%zu", vm->name, length, taken);
}

static void commands_help(void)
{
	static const char *const lines[] = {
	    "xl list [VM] | xl vcpu-list [VM] | xl vcpu-pin VM VCPU|all PCPUS|all",
	    "xl cpupool-list [-c] [POOL] | xl cpupool-create name=NAME [sched=POLICY] "
	    "[tslice_ms=N ratelimit_us=N ... cpus=LIST]",
	    "xl cpupool-destroy POOL | xl cpupool-cpu-add POOL CPU | xl cpupool-cpu-remove POOL "
	    "CPU | xl cpupool-migrate VM POOL",
	    "xl sched-credit [-d VM [-w WEIGHT] [-c CAP]] | xl pause VM | xl unpause VM | xl "
	    "destroy VM",
	    "xl dmesg | xl console VM (Ctrl-] leaves) | xl pcpu-list | xl exits | xl type VM TEXT",
	};
	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		log_record("XL help %s", lines[i]);
}

struct vm *console_commands_run(const struct console_context *context, const struct xl_command *c,
                                const char *line)
{
	switch (c->kind) {
	case XL_LIST:
		commands_list(context, c->name);
		break;
	case XL_VCPU_LIST:
		commands_vcpu_list(context, c->name);
		break;
	case XL_VCPU_PIN:
		commands_pin(context, c, line);
		break;
	case XL_CPUPOOL_LIST:
		commands_cpupool_list(context, c, line);
		break;
	case XL_CPUPOOL_CREATE:
	case XL_CPUPOOL_DESTROY:
	case XL_CPUPOOL_CPU_ADD:
	case XL_CPUPOOL_CPU_REMOVE:
	case XL_CPUPOOL_MIGRATE:
		commands_pool_change(context, c, line);
		break;
	case XL_SCHED_CREDIT:
		commands_sched_credit(context, c, line);
		break;
	case XL_PAUSE:
	case XL_UNPAUSE:
		commands_pause(context, c, line);
		break;
	case XL_DESTROY:
		commands_destroy(context, c, line);
		break;
	case XL_DMESG:
		commands_dmesg();
		break;
	case XL_CONSOLE:
		return commands_console(context, c, line);
	case XL_PCPU_LIST:
		commands_pcpu_list();
		break;
	case XL_EXITS:
		commands_exits(context);
		break;
	case XL_TYPE:
		commands_type(context, c, line);
		break;
	case XL_HELP:
	case XL_KIND_COUNT:
		commands_help();
		break;
	}
	return NULL;
}
