/*
 * vmx/xl_command.c - the xl command parser (see xl_command.h).
 *
 * Lock order: none.
 */
#include "vmx/xl_command.h"

#include "kernel/string.h"
#include "vmx/cpulist.h"
#include "vmx/pools.h"

#define XL_MAX_WORDS 16
#define XL_DECIMAL   10u

struct xl_words {
	unsigned count;
	char word[XL_MAX_WORDS][XL_LINE_SIZE];
};

/* Arguments of each subcommand: least and most words after its name. */
struct xl_shape {
	const char *name;
	unsigned min, max;
	const char *usage;
};

static const struct xl_shape xl_shapes[XL_KIND_COUNT] = {
    [XL_LIST] = {"list", 0, 1, "xl list [VM]"},
    [XL_VCPU_LIST] = {"vcpu-list", 0, 1, "xl vcpu-list [VM]"},
    [XL_VCPU_PIN] = {"vcpu-pin", 3, 3, "xl vcpu-pin VM VCPU|all PCPUS|all"},
    [XL_CPUPOOL_LIST] = {"cpupool-list", 0, 2, "xl cpupool-list [-c] [POOL]"},
    [XL_CPUPOOL_CREATE] = {"cpupool-create", 1, XL_MAX_PARAMS + 2,
                           "xl cpupool-create name=NAME [sched=POLICY] [tslice_ms=N ...] "
                           "[cpus=LIST]"},
    [XL_CPUPOOL_DESTROY] = {"cpupool-destroy", 1, 1, "xl cpupool-destroy POOL"},
    [XL_CPUPOOL_CPU_ADD] = {"cpupool-cpu-add", 2, 2, "xl cpupool-cpu-add POOL CPU"},
    [XL_CPUPOOL_CPU_REMOVE] = {"cpupool-cpu-remove", 2, 2, "xl cpupool-cpu-remove POOL CPU"},
    [XL_CPUPOOL_MIGRATE] = {"cpupool-migrate", 2, 2, "xl cpupool-migrate VM POOL"},
    [XL_SCHED_CREDIT] = {"sched-credit", 0, 6, "xl sched-credit [-d VM [-w WEIGHT] [-c CAP]]"},
    [XL_PAUSE] = {"pause", 1, 1, "xl pause VM"},
    [XL_UNPAUSE] = {"unpause", 1, 1, "xl unpause VM"},
    [XL_DESTROY] = {"destroy", 1, 1, "xl destroy VM"},
    [XL_DMESG] = {"dmesg", 0, 0, "xl dmesg"},
    [XL_CONSOLE] = {"console", 1, 1, "xl console VM"},
    [XL_PCPU_LIST] = {"pcpu-list", 0, 0, "xl pcpu-list"},
    [XL_EXITS] = {"exits", 0, 0, "xl exits"},
    [XL_TYPE] = {"type", 2, XL_MAX_WORDS - 2, "xl type VM TEXT"},
    [XL_HELP] = {"help", 0, 0, "help"},
};

const char *xl_kind_name(enum xl_kind kind)
{
	return (unsigned)kind < XL_KIND_COUNT ? xl_shapes[kind].name : "?";
}

/* Split on blanks; -1 if a word or the word count is too long. */
static int xl_split(const char *line, struct xl_words *words)
{
	const char *p = line;
	words->count = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p)
			return 0;
		if (words->count == XL_MAX_WORDS)
			return -1;
		size_t n = 0;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			if (n + 1 >= XL_LINE_SIZE)
				return -1;
			words->word[words->count][n++] = *p++;
		}
		words->word[words->count++][n] = '\0';
	}
}

/* A decimal number <= max. */
static bool xl_number(const char *text, uint64_t max, uint64_t *value)
{
	uint64_t v = 0;
	if (!*text)
		return false;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * XL_DECIMAL + (uint64_t)(*p - '0');
		if (v > max)
			return false;
	}
	*value = v;
	return true;
}

/* A VM or pool name (what a configuration accepts). */
static int xl_name(const char *text, char *out, const char *what, char *why, size_t size)
{
	if (strlen(text) >= XL_NAME_SIZE)
		return format_failure(why, size, "%s name '%s' is too long", what, text);
	for (const char *c = text; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
			return format_failure(why, size, "bad %s name '%s'", what, text);
	string_copy(out, text, XL_NAME_SIZE);
	return 0;
}

/* A value of cpupool-create's key=value, quotes (Xen: name=\"X\") removed. */
static void xl_unquote(char *value)
{
	size_t n = strlen(value);
	if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
		memmove(value, value + 1, n - 2);
		value[n - 2] = '\0';
	}
}

static int xl_parse_pin(const struct xl_words *w, struct xl_command *c, char *why, size_t size)
{
	uint64_t value;
	if (xl_name(w->word[2], c->name, "VM", why, size))
		return -1;
	if (strcmp(w->word[3], "all") == 0)
		c->all_vcpus = true;
	else if (xl_number(w->word[3], SCHED_MAX_VCPUS_PER_VM - 1, &value))
		c->vcpu = (unsigned)value;
	else
		return format_failure(why, size, "VCPU '%s' is not a vCPU number (0-%u) or all",
		                      w->word[3], SCHED_MAX_VCPUS_PER_VM - 1);
	if (strcmp(w->word[4], "all") == 0) {
		c->cpus = SCHED_AFFINITY_ALL;
		return 0;
	}
	char reason[XL_LINE_SIZE];
	if (cpulist_parse(w->word[4], SCHED_MAX_PCPUS, &c->cpus, reason, sizeof(reason)))
		return format_failure(why, size, "PCPUS: %s", reason);
	return 0;
}

static int xl_parse_create(const struct xl_words *w, struct xl_command *c, char *why, size_t size)
{
	for (unsigned i = 2; i < w->count; i++) {
		char key[XL_KEY_SIZE], value[XL_LINE_SIZE];
		const char *eq = strchr(w->word[i], '=');
		if (!eq || eq == w->word[i] || (size_t)(eq - w->word[i]) >= sizeof(key))
			return format_failure(why, size, "'%s' is not key=value", w->word[i]);
		memcpy(key, w->word[i], (size_t)(eq - w->word[i]));
		key[eq - w->word[i]] = '\0';
		string_copy(value, eq + 1, sizeof(value));
		xl_unquote(value);
		if (strcmp(key, "name") == 0) {
			if (xl_name(value, c->name, "pool", why, size))
				return -1;
			continue;
		}
		if (strcmp(key, "sched") == 0) {
			if (strlen(value) >= sizeof(c->policy) || !value[0])
				return format_failure(why, size, "bad sched='%s'", value);
			string_copy(c->policy, value, sizeof(c->policy));
			continue;
		}
		uint64_t number;
		char reason[XL_LINE_SIZE];
		if (strcmp(key, "cpus") == 0) {
			if (cpulist_parse(value, SCHED_MAX_PCPUS, &number, reason, sizeof(reason)))
				return format_failure(why, size, "cpus: %s", reason);
		} else if (pools_param_find(key) < 0) {
			return format_failure(why, size,
			                      "unknown key %s (name, sched, cpus, tslice_ms, "
			                      "ratelimit_us, ...)",
			                      key);
		} else if (!xl_number(value, UINT32_MAX, &number)) {
			return format_failure(why, size, "%s=%s is not a number", key, value);
		}
		for (unsigned k = 0; k < c->param_count; k++)
			if (strcmp(c->keys[k], key) == 0)
				return format_failure(why, size, "%s is given twice", key);
		string_copy(c->keys[c->param_count], key, XL_KEY_SIZE);
		c->values[c->param_count++] = number;
	}
	if (!c->name[0])
		return format_failure(why, size, "name=NAME is missing");
	return 0;
}

static int xl_parse_sched_credit(const struct xl_words *w, struct xl_command *c, char *why,
                                 size_t size)
{
	for (unsigned i = 2; i < w->count; i += 2) {
		const char *option = w->word[i];
		uint64_t value;
		if (i + 1 >= w->count)
			return format_failure(why, size, "%s needs a value", option);
		const char *argument = w->word[i + 1];
		if (strcmp(option, "-d") == 0) {
			if (xl_name(argument, c->name, "VM", why, size))
				return -1;
		} else if (strcmp(option, "-w") == 0) {
			if (!xl_number(argument, XL_WEIGHT_MAX, &value) || value == 0)
				return format_failure(why, size, "weight '%s' is not 1-%u",
				                      argument, XL_WEIGHT_MAX);
			c->has_weight = true;
			c->weight = (uint32_t)value;
		} else if (strcmp(option, "-c") == 0) {
			if (!xl_number(argument, XL_CAP_MAX, &value))
				return format_failure(why, size,
				                      "cap '%s' is not 0-%u (percent of one pCPU)",
				                      argument, XL_CAP_MAX);
			c->has_cap = true;
			c->cap = (uint32_t)value;
		} else {
			return format_failure(why, size, "unknown option %s", option);
		}
	}
	if ((c->has_weight || c->has_cap) && !c->name[0])
		return format_failure(why, size, "-w and -c need -d VM");
	return 0;
}

static int xl_parse_cpupool_list(const struct xl_words *w, struct xl_command *c, char *why,
                                 size_t size)
{
	for (unsigned i = 2; i < w->count; i++) {
		if (strcmp(w->word[i], "-c") == 0 || strcmp(w->word[i], "--cpus") == 0)
			c->compact = true;
		else if (w->word[i][0] == '-')
			return format_failure(why, size, "unknown option %s", w->word[i]);
		else if (c->name[0])
			return format_failure(why, size, "one POOL at most");
		else if (xl_name(w->word[i], c->name, "pool", why, size))
			return -1;
	}
	return 0;
}

/* The arguments of a known subcommand (count already checked). */
static int xl_parse_arguments(const struct xl_words *w, struct xl_command *c, char *why,
                              size_t size)
{
	uint64_t value;
	switch (c->kind) {
	case XL_VCPU_PIN:
		return xl_parse_pin(w, c, why, size);
	case XL_CPUPOOL_LIST:
		return xl_parse_cpupool_list(w, c, why, size);
	case XL_CPUPOOL_CREATE:
		return xl_parse_create(w, c, why, size);
	case XL_SCHED_CREDIT:
		return xl_parse_sched_credit(w, c, why, size);
	case XL_CPUPOOL_CPU_ADD:
	case XL_CPUPOOL_CPU_REMOVE:
		if (xl_name(w->word[2], c->name, "pool", why, size))
			return -1;
		if (!xl_number(w->word[3], SCHED_MAX_PCPUS - 1, &value))
			return format_failure(why, size, "CPU '%s' is not a pCPU number (0-%u)",
			                      w->word[3], SCHED_MAX_PCPUS - 1);
		c->pcpu = (unsigned)value;
		return 0;
	case XL_CPUPOOL_MIGRATE:
		if (xl_name(w->word[2], c->name, "VM", why, size))
			return -1;
		return xl_name(w->word[3], c->pool, "pool", why, size);
	case XL_TYPE: {
		size_t used = 0;
		if (xl_name(w->word[2], c->name, "VM", why, size))
			return -1;
		for (unsigned i = 3; i < w->count; i++)
			used += (size_t)format_string(c->text + used, sizeof(c->text) - used,
			                              "%s%s", i > 3 ? " " : "", w->word[i]);
		return 0;
	}
	case XL_CPUPOOL_DESTROY:
		return xl_name(w->word[2], c->name, "pool", why, size);
	default:
		/* One optional or required VM name. */
		return w->count > 2 ? xl_name(w->word[2], c->name, "VM", why, size) : 0;
	}
}

int xl_command_parse(const char *line, struct xl_command *out, char *why, size_t why_size)
{
	static struct xl_words words;
	memset(out, 0, sizeof(*out));
	out->kind = XL_KIND_COUNT;
	if (xl_split(line, &words))
		return format_failure(why, why_size, "the line has too many or too long words");
	if ((words.count == 1 && strcmp(words.word[0], "help") == 0) ||
	    (words.count == 2 && strcmp(words.word[0], "xl") == 0 &&
	     strcmp(words.word[1], "help") == 0)) {
		out->kind = XL_HELP;
		return 0;
	}
	if (words.count == 0 || strcmp(words.word[0], "xl") != 0)
		return format_failure(why, why_size, "unknown command (try help)");
	if (words.count == 1)
		return format_failure(why, why_size, "xl needs a subcommand (try help)");
	for (int k = 0; k < XL_KIND_COUNT; k++)
		if (strcmp(words.word[1], xl_shapes[k].name) == 0)
			out->kind = (enum xl_kind)k;
	if (out->kind == XL_KIND_COUNT)
		return format_failure(why, why_size, "unknown subcommand %s (try help)",
		                      words.word[1]);
	const struct xl_shape *shape = &xl_shapes[out->kind];
	if (words.count - 2 < shape->min || words.count - 2 > shape->max)
		return format_failure(why, why_size, "usage: %s", shape->usage);
	return xl_parse_arguments(&words, out, why, why_size);
}
