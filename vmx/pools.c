/*
 * vmx/pools.c - the pools.cfg parser and planner (see pools.h).
 *
 * Lock order: none.
 */
#include "vmx/pools.h"

#include "kernel/string.h"
#include "vmx/cpulist.h"

#define POOLS_LINE_ERROR 160
#define POOLS_KEY_SIZE   32
#define POOLS_VALUE_SIZE 128
#define POOLS_NS_PER_US  1000ull
#define POOLS_NS_PER_MS  1000000ull
#define POOLS_MAX_VALUE  86400000ull /* a day, in the parameter's unit */

struct pools_param_info {
	const char *name;
	uint64_t unit_ns; /* 0: a count (micro_limit) */
};

static const struct pools_param_info pools_params[POOLS_PARAM_COUNT] = {
    [POOLS_PARAM_TSLICE_MS] = {"tslice_ms", POOLS_NS_PER_MS},
    [POOLS_PARAM_TICK_MS] = {"tick_ms", POOLS_NS_PER_MS},
    [POOLS_PARAM_ACCOUNT_MS] = {"account_ms", POOLS_NS_PER_MS},
    [POOLS_PARAM_RATELIMIT_US] = {"ratelimit_us", POOLS_NS_PER_US},
    [POOLS_PARAM_MICRO_SLICE_US] = {"micro_slice_us", POOLS_NS_PER_US},
    [POOLS_PARAM_MICRO_LIMIT] = {"micro_limit", 0},
    [POOLS_PARAM_PROFILE_MS] = {"profile_ms", POOLS_NS_PER_MS},
    [POOLS_PARAM_EPOCH_MS] = {"epoch_ms", POOLS_NS_PER_MS},
};

const char *pools_param_name(enum pools_param param)
{
	return (unsigned)param < POOLS_PARAM_COUNT ? pools_params[param].name : NULL;
}

int pools_param_find(const char *name)
{
	for (int i = 0; i < POOLS_PARAM_COUNT; i++)
		if (strcmp(pools_params[i].name, name) == 0)
			return i;
	return -1;
}

int pools_param_apply(struct sched_params *params, enum pools_param param, uint64_t value,
                      char *why, size_t why_size)
{
	const struct pools_param_info *info = &pools_params[param];
	if (param == POOLS_PARAM_MICRO_LIMIT) {
		if (value >= SCHED_MAX_PCPUS) {
			format_string(why, why_size, "micro_limit=%llu: at most %u",
			              (unsigned long long)value, SCHED_MAX_PCPUS - 1);
			return -1;
		}
		params->micro_limit = (uint32_t)value;
		return 0;
	}
	/* ratelimit_us may be 0 (no rate limit); every other time must not. */
	if ((value == 0 && param != POOLS_PARAM_RATELIMIT_US) || value > POOLS_MAX_VALUE) {
		format_string(why, why_size, "%s=%llu: must be 1..%llu", info->name,
		              (unsigned long long)value, (unsigned long long)POOLS_MAX_VALUE);
		return -1;
	}
	uint64_t ns = value * info->unit_ns;
	switch (param) {
	case POOLS_PARAM_TSLICE_MS:
		params->slice_ns = ns;
		break;
	case POOLS_PARAM_TICK_MS:
		params->tick_ns = ns;
		break;
	case POOLS_PARAM_ACCOUNT_MS:
		params->account_period_ns = ns;
		break;
	case POOLS_PARAM_RATELIMIT_US:
		params->ratelimit_ns = ns;
		break;
	case POOLS_PARAM_MICRO_SLICE_US:
		params->micro_slice_ns = ns;
		break;
	case POOLS_PARAM_PROFILE_MS:
		params->profile_interval_ns = ns;
		break;
	case POOLS_PARAM_EPOCH_MS:
		params->epoch_ns = ns;
		break;
	default:
		return -1;
	}
	return 0;
}

/* ---- the line parser ---- */

struct pools_parser {
	const char *file;
	const char *text;
	size_t length, position;
	unsigned line;
	char *error;
	size_t error_size;
};

static int pools_fail(struct pools_parser *p, const char *reason)
{
	format_string(p->error, p->error_size, "%s:%u: %s", p->file, p->line, reason);
	return -1;
}

static char pools_peek(const struct pools_parser *p)
{
	return p->position < p->length ? p->text[p->position] : '\n';
}

static void pools_blanks(struct pools_parser *p)
{
	while (pools_peek(p) == ' ' || pools_peek(p) == '\t' || pools_peek(p) == '\r')
		p->position++;
}

static bool pools_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* A quoted string into out. */
static int pools_string(struct pools_parser *p, char *out, size_t size)
{
	char quote = pools_peek(p), reason[POOLS_LINE_ERROR];
	size_t n = 0;
	p->position++;
	for (;;) {
		char c = pools_peek(p);
		if (c == '\n' || c == '\0')
			return pools_fail(p, "unterminated string");
		p->position++;
		if (c == quote)
			break;
		if (n + 1 >= size) {
			format_string(reason, sizeof(reason), "string longer than %zu characters",
			              size - 1);
			return pools_fail(p, reason);
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

/* A value: a quoted string, a bare word, or (lists allowed) a list of
 * quoted strings joined with ','. *quoted tells which. */
static int pools_value(struct pools_parser *p, char *out, size_t size, bool list_allowed,
                       bool *quoted)
{
	char c = pools_peek(p);
	*quoted = c == '"' || c == '\'';
	if (*quoted)
		return pools_string(p, out, size);
	if (c == '[') {
		size_t used = 0;
		if (!list_allowed)
			return pools_fail(p, "a list is only allowed for cpus");
		p->position++;
		*quoted = true;
		for (;;) {
			char item[POOLS_VALUE_SIZE];
			pools_blanks(p);
			if (pools_peek(p) != '"' && pools_peek(p) != '\'')
				return pools_fail(p, "expected a quoted string in the list");
			if (pools_string(p, item, sizeof(item)))
				return -1;
			if (used + strlen(item) + 2 > size)
				return pools_fail(p, "list too long");
			used += (size_t)format_string(out + used, size - used, "%s%s",
			                              used ? "," : "", item);
			pools_blanks(p);
			if (pools_peek(p) == ',') {
				p->position++;
				continue;
			}
			if (pools_peek(p) != ']')
				return pools_fail(p, "expected ',' or ']' in the list");
			p->position++;
			return 0;
		}
	}
	size_t n = 0;
	while (pools_word_char(pools_peek(p))) {
		if (n + 1 >= size)
			return pools_fail(p, "value too long");
		out[n++] = pools_peek(p);
		p->position++;
	}
	out[n] = '\0';
	if (!n)
		return pools_fail(p, "missing value");
	return 0;
}

static int pools_end_of_line(struct pools_parser *p)
{
	pools_blanks(p);
	if (pools_peek(p) == '#')
		while (pools_peek(p) != '\n')
			p->position++;
	if (pools_peek(p) != '\n')
		return pools_fail(p, "unexpected text after the value");
	return 0;
}

static int pools_key_number(struct pools_parser *p, const char *key, const char *value, bool quoted,
                            uint64_t *out)
{
	char reason[POOLS_LINE_ERROR];
	const char *text = value;
	if (quoted || !string_parse_decimal(&text, value + strlen(value), out) || *text) {
		format_string(reason, sizeof(reason), "expected a number for key %s", key);
		return pools_fail(p, reason);
	}
	return 0;
}

static int pools_section_key(struct pools_parser *p, struct pools_section *s, const char *key,
                             const char *value, bool quoted)
{
	char reason[POOLS_LINE_ERROR];
	if (strcmp(key, "cpus") == 0) {
		if (s->has_cpus)
			return pools_fail(p, "duplicate key cpus");
		if (!quoted)
			return pools_fail(p, "cpus must be a quoted list, e.g. cpus = \"6-11\"");
		/* Checked against the machine by pools_config_plan(). */
		if (cpulist_parse(value, SCHED_MAX_PCPUS, &s->cpus, reason, sizeof(reason)))
			return pools_fail(p, reason);
		s->has_cpus = true;
		s->cpus_line = p->line;
		return 0;
	}
	if (strcmp(key, "sched") == 0) {
		if (s->sched_line)
			return pools_fail(p, "duplicate key sched");
		if (!quoted)
			return pools_fail(p, "sched must be quoted, e.g. sched = \"credit\"");
		string_copy(s->sched, value, sizeof(s->sched));
		s->sched_line = p->line;
		return 0;
	}
	int param = pools_param_find(key);
	if (param < 0) {
		format_string(reason, sizeof(reason), "unknown key %s", key);
		return pools_fail(p, reason);
	}
	if (s->params_set & (1u << param)) {
		format_string(reason, sizeof(reason), "duplicate key %s", key);
		return pools_fail(p, reason);
	}
	if (pools_key_number(p, key, value, quoted, &s->params[param]))
		return -1;
	struct sched_params check;
	sched_params_default(&check);
	if (pools_param_apply(&check, (enum pools_param)param, s->params[param], reason,
	                      sizeof(reason)))
		return pools_fail(p, reason);
	s->params_set |= 1u << param;
	s->param_lines[param] = p->line;
	return 0;
}

static int pools_pool_key(struct pools_parser *p, struct pools_config *c, const char *value,
                          bool quoted)
{
	if (!quoted)
		return pools_fail(p, "pool must be a quoted name, e.g. pool = \"Pool-1\"");
	if (!value[0])
		return pools_fail(p, "a pool name must not be empty");
	for (const char *ch = value; *ch; ch++)
		if (!pools_word_char(*ch) && *ch != '-' && *ch != '.')
			return pools_fail(p, "a pool name may only hold letters, digits, '_', "
			                     "'-' and '.'");
	if (strcmp(value, "Pool-0") == 0)
		return pools_fail(p, "Pool-0 is configured by the hypervisor command line "
		                     "(sched=, sched_*=); it keeps every pCPU no pool names");
	for (unsigned i = 0; i < c->count; i++)
		if (strcmp(c->sections[i].name, value) == 0)
			return pools_fail(p, "a pool of that name is already defined");
	if (c->count == POOLS_MAX_SECTIONS)
		return pools_fail(p, "too many pools");
	struct pools_section *s = &c->sections[c->count++];
	memset(s, 0, sizeof(*s));
	string_copy(s->name, value, sizeof(s->name));
	s->line = p->line;
	return 0;
}

static int pools_line(struct pools_parser *p, struct pools_config *c)
{
	char key[POOLS_KEY_SIZE], value[POOLS_VALUE_SIZE];
	size_t n = 0;
	bool quoted;
	pools_blanks(p);
	if (pools_peek(p) == '\n' || pools_peek(p) == '#')
		return pools_end_of_line(p);
	while (pools_word_char(pools_peek(p))) {
		if (n + 1 >= sizeof(key))
			return pools_fail(p, "key too long");
		key[n++] = pools_peek(p);
		p->position++;
	}
	key[n] = '\0';
	if (!n)
		return pools_fail(p, "expected a key");
	pools_blanks(p);
	if (pools_peek(p) != '=')
		return pools_fail(p, "expected '=' after the key");
	p->position++;
	pools_blanks(p);
	if (pools_value(p, value, sizeof(value), strcmp(key, "cpus") == 0, &quoted))
		return -1;
	if (pools_end_of_line(p))
		return -1;
	if (strcmp(key, "pool") == 0)
		return pools_pool_key(p, c, value, quoted);
	if (strcmp(key, "numa_split") == 0) {
		if (c->count)
			return pools_fail(p, "numa_split must come before the first pool");
		if (c->numa_line)
			return pools_fail(p, "duplicate key numa_split");
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
			return pools_fail(p, "numa_split must be yes or no");
		c->numa_split = strcmp(value, "yes") == 0;
		c->numa_line = p->line;
		return 0;
	}
	if (!c->count)
		return pools_fail(p, "a pool key before the first pool = \"NAME\" line");
	return pools_section_key(p, &c->sections[c->count - 1], key, value, quoted);
}

int pools_config_parse(struct pools_config *config, const char *file, const char *text,
                       size_t length, char *error, size_t error_size)
{
	struct pools_parser p = {file, text, length, 0, 1, error, error_size};
	memset(config, 0, sizeof(*config));
	if (error_size)
		error[0] = '\0';
	while (p.position < p.length) {
		if (pools_line(&p, config))
			return -1;
		if (p.position < p.length) /* at the newline */
			p.position++;
		if (p.position < p.length)
			p.line++;
	}
	return 0;
}

/* ---- the plan ---- */

static int pools_plan_fail(char *error, size_t size, const char *file, unsigned line,
                           const char *reason)
{
	format_string(error, size, "%s:%u: %s", file, line, reason);
	return -1;
}

/* Pools from numa_split: one per package other than pCPU 0's. */
static void pools_plan_numa(const uint32_t *package, unsigned pcpu_count,
                            const struct sched_policy *policy, const struct sched_params *params,
                            struct pools_plan *plan)
{
	uint64_t seen = 1; /* pCPU 0's package stays in Pool-0 */
	unsigned node = 0;
	for (unsigned n = 1; n < pcpu_count; n++) {
		if ((seen >> n) & 1 || package[n] == package[0])
			continue;
		struct pools_plan_pool *pool = &plan->pools[plan->count++];
		node++;
		format_string(pool->name, sizeof(pool->name), "%s%u", POOLS_NUMA_PREFIX, node);
		pool->policy = *policy;
		pool->params = *params;
		pool->cpus = 0;
		for (unsigned m = n; m < pcpu_count; m++)
			if (package[m] == package[n]) {
				pool->cpus |= 1ull << m;
				seen |= 1ull << m;
			}
		if (plan->count == SCHED_MAX_POOLS)
			return;
	}
}

static struct pools_plan_pool *pools_plan_find(struct pools_plan *plan, const char *name)
{
	for (unsigned i = 0; i < plan->count; i++)
		if (strcmp(plan->pools[i].name, name) == 0)
			return &plan->pools[i];
	return NULL;
}

/* One section into the plan (a new pool, or a numa_split pool's
 * settings). */
static int pools_plan_section(const struct pools_section *s, const char *file,
                              const struct sched_policy *base_policy,
                              const struct sched_params *base_params, unsigned pcpu_count,
                              uint64_t *taken, struct pools_plan *plan, char *error, size_t size)
{
	char reason[POOLS_LINE_ERROR];
	struct pools_plan_pool *pool = pools_plan_find(plan, s->name);
	if (pool && s->has_cpus)
		return pools_plan_fail(error, size, file, s->cpus_line,
		                       "the pCPUs of a numa_split pool are its package's");
	if (!pool) {
		if (!s->has_cpus)
			return pools_plan_fail(error, size, file, s->line,
			                       "the pool has no cpus = \"...\"");
		if (pcpu_count < SCHED_MAX_PCPUS && s->cpus >> pcpu_count) {
			format_string(reason, sizeof(reason),
			              "cpus names a pCPU that does not exist (pCPUs 0-%u)",
			              pcpu_count - 1);
			return pools_plan_fail(error, size, file, s->cpus_line, reason);
		}
		if (s->cpus & 1)
			return pools_plan_fail(error, size, file, s->cpus_line,
			                       "pCPU 0 stays in Pool-0");
		if (s->cpus & *taken)
			return pools_plan_fail(error, size, file, s->cpus_line,
			                       "a pCPU is already in another pool");
		if (plan->count == SCHED_MAX_POOLS)
			return pools_plan_fail(error, size, file, s->line, "too many pools");
		*taken |= s->cpus;
		pool = &plan->pools[plan->count++];
		string_copy(pool->name, s->name, sizeof(pool->name));
		pool->cpus = s->cpus;
	}
	pool->policy = *base_policy;
	pool->params = *base_params;
	if (s->sched[0] && sched_policy_parse(s->sched, &pool->policy, reason, sizeof(reason)) != 0)
		return pools_plan_fail(error, size, file, s->sched_line, reason);
	for (int i = 0; i < POOLS_PARAM_COUNT; i++)
		if (s->params_set & (1u << i) &&
		    pools_param_apply(&pool->params, (enum pools_param)i, s->params[i], reason,
		                      sizeof(reason)))
			return pools_plan_fail(error, size, file, s->param_lines[i], reason);
	unsigned cpus = pools_count_cpus(pool->cpus);
	if (pool->policy.micro_mode == SCHED_MICRO_STATIC && pool->policy.micro_count >= cpus) {
		format_string(reason, sizeof(reason),
		              "%s needs more than %u pCPUs (the pool has %u)", pool->policy.name,
		              pool->policy.micro_count, cpus);
		return pools_plan_fail(error, size, file, s->sched_line ? s->sched_line : s->line,
		                       reason);
	}
	return 0;
}

int pools_config_plan(const struct pools_config *config, const char *file,
                      const struct sched_policy *base_policy,
                      const struct sched_params *base_params, const uint32_t *package,
                      unsigned pcpu_count, struct pools_plan *plan, char *error, size_t error_size)
{
	uint64_t taken = 0;
	memset(plan, 0, sizeof(*plan));
	if (config->numa_split)
		pools_plan_numa(package, pcpu_count, base_policy, base_params, plan);
	for (unsigned i = 0; i < plan->count; i++)
		taken |= plan->pools[i].cpus;
	for (unsigned i = 0; i < config->count; i++)
		if (pools_plan_section(&config->sections[i], file, base_policy, base_params,
		                       pcpu_count, &taken, plan, error, error_size))
			return -1;
	/* Pool slots: Pool-0, every pool, and a micro child for each that
	 * offloads. */
	unsigned slots = 1 + (base_policy->micro_mode != SCHED_MICRO_NONE);
	for (unsigned i = 0; i < plan->count; i++)
		slots += 1 + (plan->pools[i].policy.micro_mode != SCHED_MICRO_NONE);
	if (slots > SCHED_MAX_POOLS) {
		char reason[POOLS_LINE_ERROR];
		format_string(reason, sizeof(reason),
		              "%u pools with their micro-sliced children need %u of the %u pool "
		              "slots",
		              plan->count + 1, slots, SCHED_MAX_POOLS);
		return pools_plan_fail(error, error_size, file,
		                       config->count ? config->sections[config->count - 1].line
		                                     : config->numa_line,
		                       reason);
	}
	return 0;
}
