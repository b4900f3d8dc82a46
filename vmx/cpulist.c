/*
 * vmx/cpulist.c - pCPU lists in xl's syntax (see cpulist.h).
 *
 * Hardware independent. Lock order: none.
 */
#include "vmx/cpulist.h"

#include <stdbool.h>

#include "kernel/string.h"
#include "sched/sched.h"

int cpulist_parse(const char *text, unsigned pcpu_count, uint64_t *mask, char *why, size_t why_size)
{
	const char *p = text, *end = text + strlen(text);
	*mask = 0;
	if (strcmp(text, "all") == 0) {
		*mask = pcpu_count >= SCHED_MAX_PCPUS ? UINT64_MAX : (1ull << pcpu_count) - 1;
		return 0;
	}
	while (p < end) {
		uint64_t first, last;
		if (!string_parse_decimal(&p, end, &first)) {
			format_string(why, why_size,
			              "bad pCPU list \"%s\" (e.g. \"3\", \"6-11\", "
			              "\"0,2-3\")",
			              text);
			return -1;
		}
		last = first;
		if (p < end && *p == '-') {
			p++;
			if (!string_parse_decimal(&p, end, &last) || last < first) {
				format_string(why, why_size, "bad pCPU range in \"%s\"", text);
				return -1;
			}
		}
		if (last >= pcpu_count) {
			format_string(why, why_size, "pCPU %llu does not exist (pCPUs 0-%u)",
			              (unsigned long long)last, pcpu_count - 1);
			return -1;
		}
		for (uint64_t n = first; n <= last; n++)
			*mask |= 1ull << n;
		if (p < end && *p != ',') {
			format_string(why, why_size, "bad pCPU list \"%s\"", text);
			return -1;
		}
		if (p < end)
			p++;
		if (p == end && end > text && end[-1] == ',') {
			format_string(why, why_size, "bad pCPU list \"%s\" (trailing ',')", text);
			return -1;
		}
	}
	if (!*mask) {
		format_string(why, why_size, "empty pCPU list");
		return -1;
	}
	return 0;
}
