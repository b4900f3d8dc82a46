/*
 * sched/policy.c - scheduler configuration: default parameters and the
 * table of policies selectable by name at boot (no #ifdef):
 *
 *   credit          Xen 4.7 credit baseline: 30 ms slice, plain yields.
 *   credit-short    credit with every pCPU at the micro slice (100 us).
 *   directed-yield  credit + KVM-style yield_to a preempted sibling on PLE.
 *   micro-static:N  credit + a micro-sliced pool of N pCPUs + offloading.
 *   micro-dynamic   credit + micro-sliced pool sized by Algorithm 1.
 *   pinned          static vCPU->pCPU placement, no time sharing
 *                   (sched/pinned.c, Xen's null scheduler).
 *
 * Lock order: none (pure functions on caller data).
 */
#include "sched/internal.h"

struct policy_entry {
	const char *name;
	const struct sched_ops *ops;
	bool takes_count;
	bool short_slice;
	enum sched_yield_mode yield_mode;
	enum sched_micro_mode micro_mode;
};

static const struct policy_entry policy_table[] = {
    {"credit", &sched_credit_ops, false, false, SCHED_YIELD_MODE_PLAIN, SCHED_MICRO_NONE},
    {"credit-short", &sched_credit_ops, false, true, SCHED_YIELD_MODE_PLAIN, SCHED_MICRO_NONE},
    {"directed-yield", &sched_credit_ops, false, false, SCHED_YIELD_MODE_DIRECTED,
     SCHED_MICRO_NONE},
    {"micro-static", &sched_credit_ops, true, false, SCHED_YIELD_MODE_PLAIN, SCHED_MICRO_STATIC},
    {"micro-dynamic", &sched_credit_ops, false, false, SCHED_YIELD_MODE_PLAIN, SCHED_MICRO_DYNAMIC},
    {"pinned", &sched_pinned_ops, false, false, SCHED_YIELD_MODE_PLAIN, SCHED_MICRO_NONE},
};

/* The progress controller's defaults (docs/mechanisms.md): a step spans
 * more than one 30 ms slice, so that each VM's share of it is measured;
 * 64 events to decide; a PLE exit stands for ~2 us of spinning (4096
 * cycles of PLE window at 2.4 GHz plus the exit). */
#define POLICY_CONTROLLER_STEP_MS     10u
#define POLICY_CONTROLLER_MIN_EVENTS  64u
#define POLICY_CONTROLLER_SPIN_NS     2000u
#define POLICY_CONTROLLER_STEP_MAX_MS 1000u
#define POLICY_CONTROLLER_EVENTS_MAX  1000000u
#define POLICY_CONTROLLER_SPIN_MAX_NS 1000000u

#define POLICY_EXPECTED                                                                            \
	"expected credit, credit-short, directed-yield, micro-static:N, "                          \
	"micro-dynamic, pinned"

void sched_params_default(struct sched_params *params)
{
	memset(params, 0, sizeof(*params));
	params->slice_ns = 30 * SCHED_NS_PER_MS;
	params->tick_ns = 10 * SCHED_NS_PER_MS;
	params->account_period_ns = 30 * SCHED_NS_PER_MS;
	params->ratelimit_ns = 1 * SCHED_NS_PER_MS;
	params->micro_slice_ns = 100 * SCHED_NS_PER_US;
	params->credits_per_ms = 10;
	params->default_weight = 256;
	params->steal = true;
	params->profile_interval_ns = 10 * SCHED_NS_PER_MS;
	params->epoch_ns = 1000 * SCHED_NS_PER_MS;
	params->micro_limit = 3;
	params->micro_queue_depth = SCHED_MICRO_QUEUE_DEFAULT;
	params->controller = SCHED_CONTROLLER_PROGRESS;
	params->controller_step_ms = POLICY_CONTROLLER_STEP_MS;
	params->controller_min_events = POLICY_CONTROLLER_MIN_EVENTS;
	params->controller_spin_ns = POLICY_CONTROLLER_SPIN_NS;
	params->micro_borrow = SCHED_BORROW_NORMAL_SLICES;
	/* Measured together at 1 G (docs/results.md, "The three mechanisms
	 * as the defaults"): shootdown-hog combined 189 against 145 in 1.5-s
	 * runs, lock-hog at credit's. */
	params->micro_batch = true;
	params->protect_initiator = true;
	params->micro_early_return = true;
}

static int policy_error(char *error, size_t error_size, const char *first, const char *quoted,
                        size_t quoted_length, const char *last)
{
	struct sched_format text;

	if (!error || !error_size)
		return SCHED_ERR_INVALID;
	sched_format_init(&text, error, error_size);
	sched_format_string(&text, first);
	if (quoted) {
		sched_format_char(&text, '\'');
		sched_format_bytes(&text, quoted, quoted_length);
		sched_format_char(&text, '\'');
	}
	sched_format_string(&text, last);
	return SCHED_ERR_INVALID;
}

bool sched_policy_time_shares(const struct sched_policy *policy)
{
	return !policy || !policy->ops || !policy->ops->static_placement;
}

int sched_policy_parse(const char *input, struct sched_policy *policy, char *error,
                       size_t error_size)
{
	const struct policy_entry *entry = NULL;
	const char *colon, *argument;
	size_t name_length, i;
	unsigned count = 0;
	struct sched_format name;

	if (error && error_size)
		error[0] = '\0';
	if (!input || !input[0])
		return policy_error(error, error_size, "empty scheduler policy (", NULL, 0,
		                    POLICY_EXPECTED ")");
	colon = input;
	while (*colon && *colon != ':')
		colon++;
	name_length = (size_t)(colon - input);
	for (i = 0; i < sizeof(policy_table) / sizeof(policy_table[0]); i++) {
		if (strlen(policy_table[i].name) == name_length &&
		    strncmp(policy_table[i].name, input, name_length) == 0) {
			entry = &policy_table[i];
			break;
		}
	}
	if (!entry)
		return policy_error(error, error_size, "unknown scheduler policy ", input,
		                    strlen(input), " (" POLICY_EXPECTED ")");
	if (!entry->takes_count && *colon)
		return policy_error(error, error_size, "scheduler policy ", entry->name,
		                    strlen(entry->name), " takes no ':' argument");
	if (entry->takes_count) {
		if (!*colon || !colon[1])
			return policy_error(error, error_size,
			                    "micro-static needs a pCPU count: micro-static:N"
			                    " with N from 1 to 63, got ",
			                    input, strlen(input), "");
		argument = colon + 1;
		for (i = 0; argument[i]; i++) {
			if (argument[i] < '0' || argument[i] > '9' || i >= 3)
				return policy_error(error, error_size,
				                    "micro-static:N needs N to be a decimal "
				                    "number from 1 to 63, got ",
				                    argument, strlen(argument), "");
			count = count * 10 + (unsigned)(argument[i] - '0');
		}
		if (count < 1 || count >= SCHED_MAX_PCPUS)
			return policy_error(error, error_size,
			                    "micro-static:N needs N from 1 to 63,"
			                    " got ",
			                    argument, strlen(argument), "");
	}
	memset(policy, 0, sizeof(*policy));
	policy->ops = entry->ops;
	policy->short_slice = entry->short_slice;
	policy->yield_mode = entry->yield_mode;
	policy->micro_mode = entry->micro_mode;
	policy->micro_count = count;
	sched_format_init(&name, policy->name, sizeof(policy->name));
	sched_format_string(&name, entry->name);
	if (entry->takes_count) {
		sched_format_char(&name, ':');
		sched_format_unsigned(&name, count);
	}
	return SCHED_OK;
}

/* The offload mechanisms' parameters (docs/mechanisms.md), by key. */
static const struct {
	const char *key;
	uint64_t minimum, maximum;
} policy_mechanisms[SCHED_MECHANISM_COUNT] = {
    {"micro_batch", 0, 1},
    {"micro_queue_depth", 1, SCHED_MICRO_QUEUE_MAX},
    {"protect_initiator", 0, 1},
    {"micro_early_return", 0, 1},
    {"controller", SCHED_CONTROLLER_EVENTS, SCHED_CONTROLLER_COUNT - 1},
    {"controller_step_ms", 1, POLICY_CONTROLLER_STEP_MAX_MS},
    {"controller_min_events", 1, POLICY_CONTROLLER_EVENTS_MAX},
    {"controller_spin_ns", 0, POLICY_CONTROLLER_SPIN_MAX_NS},
    {"micro_borrow", SCHED_BORROW_OFF, SCHED_BORROW_NORMAL_SLICES},
    {"controller_recheck", 0, 1},
};

const char *sched_mechanism_key(unsigned index)
{
	return index < SCHED_MECHANISM_COUNT ? policy_mechanisms[index].key : NULL;
}

int sched_mechanism_find(const char *key)
{
	unsigned i;

	for (i = 0; key && i < SCHED_MECHANISM_COUNT; i++)
		if (strcmp(policy_mechanisms[i].key, key) == 0)
			return (int)i;
	return SCHED_ERR_NOT_FOUND;
}

uint64_t sched_mechanism_get(const struct sched_params *params, unsigned index)
{
	switch (index) {
	case SCHED_MECHANISM_MICRO_BATCH:
		return params->micro_batch;
	case SCHED_MECHANISM_MICRO_QUEUE_DEPTH:
		return params->micro_queue_depth;
	case SCHED_MECHANISM_PROTECT_INITIATOR:
		return params->protect_initiator;
	case SCHED_MECHANISM_MICRO_EARLY_RETURN:
		return params->micro_early_return;
	case SCHED_MECHANISM_CONTROLLER:
		return params->controller;
	case SCHED_MECHANISM_CONTROLLER_STEP_MS:
		return params->controller_step_ms;
	case SCHED_MECHANISM_CONTROLLER_MIN_EVENTS:
		return params->controller_min_events;
	case SCHED_MECHANISM_CONTROLLER_SPIN_NS:
		return params->controller_spin_ns;
	case SCHED_MECHANISM_MICRO_BORROW:
		return params->micro_borrow;
	case SCHED_MECHANISM_CONTROLLER_RECHECK:
		return params->controller_recheck;
	default:
		return 0;
	}
}

int sched_mechanism_set(struct sched_params *params, unsigned index, uint64_t value, char *error,
                        size_t error_size)
{
	struct sched_format text;

	if (index >= SCHED_MECHANISM_COUNT || value < policy_mechanisms[index].minimum ||
	    value > policy_mechanisms[index].maximum) {
		if (error && error_size) {
			sched_format_init(&text, error, error_size);
			if (index >= SCHED_MECHANISM_COUNT) {
				sched_format_string(&text, "no such scheduler mechanism");
				return SCHED_ERR_INVALID;
			}
			sched_format_string(&text, policy_mechanisms[index].key);
			sched_format_char(&text, '=');
			sched_format_unsigned(&text, value);
			sched_format_string(&text, ": must be ");
			sched_format_unsigned(&text, policy_mechanisms[index].minimum);
			sched_format_string(&text, "..");
			sched_format_unsigned(&text, policy_mechanisms[index].maximum);
		}
		return SCHED_ERR_INVALID;
	}
	switch (index) {
	case SCHED_MECHANISM_MICRO_BATCH:
		params->micro_batch = value != 0;
		break;
	case SCHED_MECHANISM_MICRO_QUEUE_DEPTH:
		params->micro_queue_depth = (uint32_t)value;
		break;
	case SCHED_MECHANISM_PROTECT_INITIATOR:
		params->protect_initiator = value != 0;
		break;
	case SCHED_MECHANISM_MICRO_EARLY_RETURN:
		params->micro_early_return = value != 0;
		break;
	case SCHED_MECHANISM_CONTROLLER:
		params->controller = (uint32_t)value;
		break;
	case SCHED_MECHANISM_CONTROLLER_STEP_MS:
		params->controller_step_ms = (uint32_t)value;
		break;
	case SCHED_MECHANISM_CONTROLLER_MIN_EVENTS:
		params->controller_min_events = (uint32_t)value;
		break;
	case SCHED_MECHANISM_CONTROLLER_SPIN_NS:
		params->controller_spin_ns = (uint32_t)value;
		break;
	case SCHED_MECHANISM_CONTROLLER_RECHECK:
		params->controller_recheck = value != 0;
		break;
	default:
		params->micro_borrow = (uint32_t)value;
		break;
	}
	return SCHED_OK;
}
