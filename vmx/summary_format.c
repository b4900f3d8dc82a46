/*
 * vmx/summary_format.c - the pure formatting of the run summary (see
 * summary.h): durations and RESULT texts. Compiled into the hypervisor and
 * into tests/host/test_vmx_summary.c.
 *
 * Lock order: none (pure).
 */
#include "vmx/summary.h"

#include <stdbool.h>

#include "kernel/string.h"

#define SUMMARY_FIELD_MAX 64
#define SUMMARY_NS_PER_US 1000ull

/* The value of `key=` in the space-separated `text`, copied into `value`;
 * false when absent. */
static bool summary_field(const char *text, const char *key, char *value, size_t size)
{
	size_t key_length = strlen(key);
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *word = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - word) > key_length && memcmp(word, key, key_length) == 0 &&
		    word[key_length] == '=') {
			size_t length = (size_t)(p - word) - key_length - 1;
			if (length >= size)
				length = size - 1;
			memcpy(value, word + key_length + 1, length);
			value[length] = '\0';
			return true;
		}
	}
	return false;
}

/* A decimal number (digits only); false otherwise. */
static bool summary_number(const char *text, uint64_t *value)
{
	uint64_t n = 0;
	if (!*text)
		return false;
	for (; *text; text++) {
		if (*text < '0' || *text > '9')
			return false;
		n = n * 10 + (uint64_t)(*text - '0');
	}
	*value = n;
	return true;
}

size_t summary_format_duration(uint64_t ns, char *buffer, size_t size)
{
	static const struct {
		uint64_t unit;
		const char *name;
	} units[] = {{1000000000ull, "s"}, {1000000ull, "ms"}, {1000ull, "us"}};
	int n = -1;
	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]) && n < 0; i++) {
		uint64_t unit = units[i].unit;
		if (ns < unit)
			continue;
		uint64_t whole = ns / unit;
		/* 3 significant digits: 2 decimals below 10, 1 below 100, none above */
		unsigned decimals = whole < 10 ? 2 : whole < 100 ? 1 : 0;
		uint64_t scale = decimals == 2 ? 100 : decimals == 1 ? 10 : 1;
		uint64_t scaled = (ns * scale + unit / 2) / unit;
		if (decimals)
			n = format_string(buffer, size, "%llu.%0*llu %s",
			                  (unsigned long long)(scaled / scale), (int)decimals,
			                  (unsigned long long)(scaled % scale), units[i].name);
		else
			n = format_string(buffer, size, "%llu %s", (unsigned long long)scaled,
			                  units[i].name);
	}
	if (n < 0)
		n = format_string(buffer, size, "%llu ns", (unsigned long long)ns);
	return n < 0 ? 0 : (size_t)n;
}

/* Append to buffer[*used..size). */
static void summary_append(char *buffer, size_t size, size_t *used, const char *text)
{
	if (*used >= size)
		return;
	int n = format_string(buffer + *used, size - *used, "%s", text);
	if (n > 0)
		*used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

/* The latency fields in time units; unit_khz 0 means "ns". */
static void summary_latencies(const char *result, bool timed, uint64_t tsc_khz, char *buffer,
                              size_t size, size_t *used)
{
	static const char *const keys[] = {"mean", "p50", "p99", "max"};
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char value[SUMMARY_FIELD_MAX], text[SUMMARY_FIELD_MAX + 16], duration[32];
		uint64_t n;
		if (!summary_field(result, keys[i], value, sizeof(value)) ||
		    !summary_number(value, &n))
			continue;
		if (timed) {
			uint64_t ns =
			    tsc_khz ? n * SUMMARY_NS_PER_US * SUMMARY_NS_PER_US / tsc_khz : n;
			if (tsc_khz && n > UINT64_MAX / (SUMMARY_NS_PER_US * SUMMARY_NS_PER_US))
				ns = n / tsc_khz * SUMMARY_NS_PER_US * SUMMARY_NS_PER_US;
			summary_format_duration(ns, duration, sizeof(duration));
			format_string(text, sizeof(text), ", %s %s", keys[i], duration);
		} else {
			format_string(text, sizeof(text), ", %s %s", keys[i], value);
		}
		summary_append(buffer, size, used, text);
	}
}

size_t summary_format_result(const char *result, uint64_t default_tsc_khz, char *buffer,
                             size_t size)
{
	char value[SUMMARY_FIELD_MAX], text[SUMMARY_FIELD_MAX + 16];
	size_t used = 0;
	if (size)
		buffer[0] = '\0';
	if (summary_field(result, "workload", value, sizeof(value)) ||
	    summary_field(result, "mode", value, sizeof(value)))
		summary_append(buffer, size, &used, value);
	else
		summary_append(buffer, size, &used, "result");
	if (summary_field(result, "ops_per_s", value, sizeof(value))) {
		format_string(text, sizeof(text), " %s ops/s", value);
		summary_append(buffer, size, &used, text);
	}
	char unit[SUMMARY_FIELD_MAX] = "";
	summary_field(result, "unit", unit, sizeof(unit));
	uint64_t khz = default_tsc_khz;
	if (summary_field(result, "tsc_khz", value, sizeof(value)))
		summary_number(value, &khz);
	bool ticks = strcmp(unit, "tsc_ticks") == 0 && khz;
	summary_latencies(result, ticks || strcmp(unit, "ns") == 0, ticks ? khz : 0, buffer, size,
	                  &used);
	if ((summary_field(result, "check", value, sizeof(value)) && strcmp(value, "fail") == 0) ||
	    (summary_field(result, "consistent", value, sizeof(value)) && strcmp(value, "0") == 0))
		summary_append(buffer, size, &used, ", check FAIL");
	return used;
}
