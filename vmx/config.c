/*
 * vmx/config.c - the xl.cfg subset parser (see config.h).
 *
 * Lock order: none.
 */
#include "vmx/config.h"

#include <stdbool.h>

#include "vmx/cpulist.h"

#define CONFIG_CPUS_REASON_SIZE 120 /* cpulist_parse()'s reason */

struct config_parser {
	const char *file;
	const char *text;
	size_t length, position;
	unsigned line;
	char *error;
	size_t error_size;
	uint32_t seen; /* bit per key */
};

static const char *const config_key_names[VM_CONFIG_KEY_COUNT] = {
    "name",    "kernel", "vcpus", "memory",  "ramdisk", "extra", "pool",
    "symbols", "weight", "rules", "cmdline", "pci",     "cpuid", "cpus"};

const char *vm_config_key_name(enum vm_config_key key)
{
	return key < VM_CONFIG_KEY_COUNT ? config_key_names[key] : "?";
}

static size_t config_length(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void config_append(char *buffer, size_t size, size_t *used, const char *text, size_t n)
{
	for (size_t i = 0; i < n && *used + 1 < size; i++)
		buffer[(*used)++] = text[i];
	if (size)
		buffer[*used < size ? *used : size - 1] = '\0';
}

/* "FILE:LINE: reason-part-1reason-part-2" */
/* Decimal digits of `value` into `number`; returns their count. */
static size_t config_decimal(uint64_t value, char number[24])
{
	char digits[24];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	for (size_t i = 0; i < n; i++)
		number[i] = digits[n - 1 - i];
	return n;
}

static int config_fail(struct config_parser *p, const char *reason, const char *detail)
{
	size_t used = 0;
	char number[24];
	size_t n = config_decimal(p->line, number);
	config_append(p->error, p->error_size, &used, p->file, config_length(p->file));
	config_append(p->error, p->error_size, &used, ":", 1);
	config_append(p->error, p->error_size, &used, number, n);
	config_append(p->error, p->error_size, &used, ": ", 2);
	config_append(p->error, p->error_size, &used, reason, config_length(reason));
	if (detail)
		config_append(p->error, p->error_size, &used, detail, config_length(detail));
	return -1;
}

static bool config_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}
static bool config_is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static void config_skip_blanks(struct config_parser *p)
{
	while (p->position < p->length && config_is_blank(p->text[p->position]))
		p->position++;
}

static char config_peek(const struct config_parser *p)
{
	return p->position < p->length ? p->text[p->position] : '\n';
}

/* After a value: only blanks and a comment until the end of the line. */
static int config_end_of_line(struct config_parser *p)
{
	config_skip_blanks(p);
	char c = config_peek(p);
	if (c == '#') {
		while (config_peek(p) != '\n')
			p->position++;
		c = '\n';
	}
	if (c != '\n')
		return config_fail(p, "unexpected text after the value", NULL);
	return 0;
}

static int config_string(struct config_parser *p, char *out, size_t size, const char *key)
{
	char quote = config_peek(p);
	if (quote != '"' && quote != '\'')
		return config_fail(p, "expected a quoted string for key ", key);
	p->position++;
	size_t n = 0;
	for (;;) {
		if (p->position >= p->length || p->text[p->position] == '\n')
			return config_fail(p, "unterminated string for key ", key);
		char c = p->text[p->position++];
		if (c == quote)
			break;
		if (c == '\0')
			return config_fail(p, "NUL byte in string for key ", key);
		if (n + 1 >= size)
			return config_fail(p, "string too long for key ", key);
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

static int config_number(struct config_parser *p, uint64_t minimum, uint64_t maximum, uint32_t *out,
                         const char *key)
{
	char c = config_peek(p);
	if (c == '"' || c == '\'' || c == '[')
		return config_fail(p, "expected a number for key ", key);
	uint64_t value = 0;
	unsigned base = 10, digits = 0;
	if (c == '0' && p->position + 1 < p->length &&
	    (p->text[p->position + 1] == 'x' || p->text[p->position + 1] == 'X')) {
		base = 16;
		p->position += 2;
	}
	for (;;) {
		c = config_peek(p);
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (value > (UINT64_MAX - d) / base)
			return config_fail(p, "number overflows for key ", key);
		value = value * base + d;
		digits++;
		p->position++;
	}
	if (!digits)
		return config_fail(p, "expected a number for key ", key);
	if (config_is_key_char(config_peek(p)) || config_peek(p) == '.')
		return config_fail(p, "malformed number for key ", key);
	if (value < minimum || value > maximum) {
		/* "value out of range for key K (MIN..MAX)", from the limits. */
		char range[64], number[24];
		size_t used = 0;
		config_append(range, sizeof(range), &used, key, config_length(key));
		config_append(range, sizeof(range), &used, " (", 2);
		config_append(range, sizeof(range), &used, number, config_decimal(minimum, number));
		config_append(range, sizeof(range), &used, "..", 2);
		config_append(range, sizeof(range), &used, number, config_decimal(maximum, number));
		config_append(range, sizeof(range), &used, ")", 1);
		return config_fail(p, "value out of range for key ", range);
	}
	*out = (uint32_t)value;
	return 0;
}

static int config_check_name(struct config_parser *p, const char *name)
{
	if (!name[0])
		return config_fail(p, "name must not be empty", NULL);
	for (const char *c = name; *c; c++)
		if (!config_is_key_char(*c) && *c != '-' && *c != '.')
			return config_fail(
			    p, "name may only hold letters, digits, '_', '-' and '.'", NULL);
	return 0;
}

/* Hex digits of a BDF field up to `separator` (0: the end), at most `max`. */
static const char *config_hex(const char *text, char separator, unsigned max, unsigned *value)
{
	unsigned digits = 0;
	*value = 0;
	for (; *text && *text != separator; text++, digits++) {
		char c = *text;
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
		             : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
		             : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
		                                    : 16u;
		if (d > 15 || digits >= max)
			return NULL;
		*value = *value * 16 + d;
	}
	if (!digits || *text != separator)
		return NULL;
	return separator ? text + 1 : text;
}

/* "BB:DD.F" or "0000:BB:DD.F" into bus << 8 | device << 3 | function. */
static int config_bdf(const char *text, uint16_t *bdf)
{
	unsigned domain = 0, bus, device, function, colons = 0;
	for (const char *c = text; *c; c++)
		colons += *c == ':';
	if (colons == 2) {
		text = config_hex(text, ':', 4, &domain);
		if (!text || domain)
			return -1;
	}
	text = config_hex(text, ':', 2, &bus);
	text = text ? config_hex(text, '.', 2, &device) : NULL;
	text = text ? config_hex(text, 0, 1, &function) : NULL;
	if (!text || device > VM_CONFIG_PCI_DEVICE_MAX || function > VM_CONFIG_PCI_FUNCTION_MAX)
		return -1;
	*bdf = (uint16_t)(bus << 8 | device << 3 | function);
	return 0;
}

static bool config_word_is(const char *word, size_t length, const char *name);

/* One string of a list: its text (NUL-terminated); 0 or -1 (reason given). */
typedef int (*config_item_fn)(struct config_parser *p, struct vm_config *c, const char *text);

/* key = [ "item", ... ] on one line, a trailing comma allowed. */
static int config_string_list(struct config_parser *p, struct vm_config *c, const char *k,
                              config_item_fn item)
{
	if (config_peek(p) != '[')
		return config_fail(p, "expected a list of strings for key ", k);
	p->position++;
	for (;;) {
		config_skip_blanks(p);
		char ch = config_peek(p);
		if (ch == ']')
			break;
		if (ch == '\n')
			return config_fail(
			    p, "unterminated list (it must end on its line) for key ", k);
		char text[VM_CONFIG_NAME_SIZE];
		if (config_string(p, text, sizeof(text), k) || item(p, c, text))
			return -1;
		config_skip_blanks(p);
		if (config_peek(p) == ',')
			p->position++;
		else if (config_peek(p) != ']' && config_peek(p) != '\n')
			return config_fail(p, "expected ',' or ']' in the list for key ", k);
	}
	p->position++;
	return 0;
}

/* One "BB:DD.F" of pci = [...]. */
static int config_pci_item(struct config_parser *p, struct vm_config *c, const char *text)
{
	uint16_t bdf;
	if (config_bdf(text, &bdf))
		return config_fail(p, "malformed PCI function (expected BB:DD.F): ", text);
	for (uint32_t i = 0; i < c->pci_count; i++)
		if (c->pci[i] == bdf)
			return config_fail(p, "PCI function listed twice: ", text);
	if (c->pci_count == VM_CONFIG_PCI_MAX)
		return config_fail(p, "more PCI functions than a VM takes (4) for key ",
		                   config_key_names[VM_CONFIG_KEY_PCI]);
	c->pci[c->pci_count++] = bdf;
	return 0;
}

/* xl.cfg's pCPU list: "all", or "N", "N-M" items separated by commas
 * (vmx/cpulist.h); "all" is VM_CONFIG_CPUS_ALL. */
static int config_cpu_mask(struct config_parser *p, const char *text, uint64_t *mask)
{
	char why[CONFIG_CPUS_REASON_SIZE];
	if (cpulist_parse(text, SCHED_MAX_PCPUS, mask, why, sizeof(why)))
		return config_fail(p, "cpus: ", why);
	return 0;
}

/* One item of cpus = [...]: vCPU cpus_count's affinity. */
static int config_cpus_item(struct config_parser *p, struct vm_config *c, const char *text)
{
	if (c->cpus_count == SCHED_MAX_VCPUS_PER_VM)
		return config_fail(p, "cpus: more items than a VM has vCPUs (16)", NULL);
	return config_cpu_mask(p, text, &c->cpus[c->cpus_count++]);
}

/* cpus = "LIST" (every vCPU) or cpus = [ "LIST", ... ] (item i: vCPU i). */
static int config_cpus(struct config_parser *p, struct vm_config *c)
{
	const char *k = config_key_names[VM_CONFIG_KEY_CPUS];
	if (config_peek(p) == '[') {
		c->cpus_list = true;
		return config_string_list(p, c, k, config_cpus_item);
	}
	char text[VM_CONFIG_NAME_SIZE];
	if (config_string(p, text, sizeof(text), k) || config_cpu_mask(p, text, &c->cpus[0]))
		return -1;
	for (uint32_t i = 1; i < SCHED_MAX_VCPUS_PER_VM; i++)
		c->cpus[i] = c->cpus[0];
	c->cpus_count = SCHED_MAX_VCPUS_PER_VM;
	return 0;
}

/* The features cpuid = "host,NAME=0,..." may hide. */
static const struct {
	const char *name;
	uint32_t bit;
} config_cpuid_features[] = {{"rdrand", VM_CONFIG_CPUID_RDRAND},
                             {"rdseed", VM_CONFIG_CPUID_RDSEED}};

static bool config_word_is(const char *word, size_t length, const char *name)
{
	if (length != config_length(name))
		return false;
	for (size_t i = 0; i < length; i++)
		if (word[i] != name[i])
			return false;
	return true;
}

/* One "NAME=0" item of the cpuid string: its bit, or 0 (with the reason). */
static uint32_t config_cpuid_item(struct config_parser *p, const char *item, size_t length)
{
	size_t name_length = 0;
	while (name_length < length && item[name_length] != '=')
		name_length++;
	char name[VM_CONFIG_NAME_SIZE] = {0};
	for (size_t i = 0; i < name_length && i + 1 < sizeof(name); i++)
		name[i] = item[i];
	if (name_length + 2 != length || item[name_length + 1] != '0') {
		config_fail(p, "cpuid: a feature may only be hidden (NAME=0): ", name);
		return 0;
	}
	for (size_t i = 0; i < sizeof(config_cpuid_features) / sizeof(config_cpuid_features[0]);
	     i++)
		if (config_word_is(item, name_length, config_cpuid_features[i].name))
			return config_cpuid_features[i].bit;
	config_fail(p, "cpuid: unknown feature (rdrand, rdseed can be hidden): ", name);
	return 0;
}

/* cpuid = "host[,NAME=0]..." (xl.cfg's libxl form). */
static int config_cpuid(struct config_parser *p, struct vm_config *c)
{
	char text[VM_CONFIG_STRING_SIZE];
	if (config_string(p, text, sizeof(text), config_key_names[VM_CONFIG_KEY_CPUID]))
		return -1;
	size_t n = config_length(text), start = 0, end = 0;
	while (end < n && text[end] != ',')
		end++;
	if (!config_word_is(text, end, "host"))
		return config_fail(p, "cpuid: the string must start with \"host\": ", text);
	while (end < n) {
		start = ++end;
		while (end < n && text[end] != ',')
			end++;
		uint32_t bit = config_cpuid_item(p, text + start, end - start);
		if (!bit)
			return -1;
		c->cpuid_hidden |= bit;
	}
	return 0;
}

static int config_value(struct config_parser *p, struct vm_config *c, enum vm_config_key key)
{
	const char *k = config_key_names[key];
	switch (key) {
	case VM_CONFIG_KEY_NAME:
		if (config_string(p, c->name, sizeof(c->name), k))
			return -1;
		return config_check_name(p, c->name);
	case VM_CONFIG_KEY_KERNEL:
		return config_string(p, c->kernel, sizeof(c->kernel), k);
	case VM_CONFIG_KEY_RAMDISK:
		return config_string(p, c->ramdisk, sizeof(c->ramdisk), k);
	case VM_CONFIG_KEY_EXTRA:
		return config_string(p, c->extra, sizeof(c->extra), k);
	case VM_CONFIG_KEY_POOL:
		return config_string(p, c->pool, sizeof(c->pool), k);
	case VM_CONFIG_KEY_SYMBOLS:
		return config_string(p, c->symbols, sizeof(c->symbols), k);
	case VM_CONFIG_KEY_VCPUS:
		return config_number(p, 1, SCHED_MAX_VCPUS_PER_VM, &c->vcpus, k);
	case VM_CONFIG_KEY_MEMORY:
		return config_number(p, 4, 65536, &c->memory_mb, k);
	case VM_CONFIG_KEY_WEIGHT:
		return config_number(p, 1, 65535, &c->weight, k);
	case VM_CONFIG_KEY_RULES:
		return config_string(p, c->rules, sizeof(c->rules), k);
	case VM_CONFIG_KEY_CMDLINE:
		return config_string(p, c->cmdline, sizeof(c->cmdline), k);
	case VM_CONFIG_KEY_PCI:
		return config_string_list(p, c, k, config_pci_item);
	case VM_CONFIG_KEY_CPUS:
		return config_cpus(p, c);
	case VM_CONFIG_KEY_CPUID:
		return config_cpuid(p, c);
	default:
		return -1;
	}
}

static int config_line(struct config_parser *p, struct vm_config *c)
{
	config_skip_blanks(p);
	char ch = config_peek(p);
	if (ch == '\n' || ch == '#')
		return config_end_of_line(p);
	size_t start = p->position;
	while (config_is_key_char(config_peek(p)))
		p->position++;
	size_t key_length = p->position - start;
	char key[40];
	if (key_length == 0)
		return config_fail(p, "expected a key", NULL);
	if (key_length >= sizeof(key))
		return config_fail(p, "key too long", NULL);
	for (size_t i = 0; i < key_length; i++)
		key[i] = p->text[start + i];
	key[key_length] = '\0';
	int found = -1;
	for (int i = 0; i < VM_CONFIG_KEY_COUNT; i++) {
		const char *name = config_key_names[i];
		size_t n = config_length(name);
		bool same = n == key_length;
		for (size_t j = 0; same && j < n; j++)
			same = name[j] == key[j];
		if (same)
			found = i;
	}
	if (found < 0)
		return config_fail(p, "unknown key ", key);
	if (p->seen & (1u << found))
		return config_fail(p, "duplicate key ", key);
	p->seen |= 1u << found;
	config_skip_blanks(p);
	if (config_peek(p) != '=')
		return config_fail(p, "expected '=' after key ", key);
	p->position++;
	config_skip_blanks(p);
	if (config_peek(p) == '[' && found != VM_CONFIG_KEY_PCI && found != VM_CONFIG_KEY_CPUS)
		return config_fail(p, "lists are not supported for key ", key);
	if (config_peek(p) == '\n')
		return config_fail(p, "missing value for key ", key);
	c->lines[found] = p->line;
	if (config_value(p, c, (enum vm_config_key)found))
		return -1;
	return config_end_of_line(p);
}

size_t vm_config_command_line(const struct vm_config *config, char *out, size_t size)
{
	size_t used = 0;
	if (size)
		out[0] = '\0';
	config_append(out, size, &used, config->cmdline, config_length(config->cmdline));
	if (config->cmdline[0] && config->extra[0])
		config_append(out, size, &used, " ", 1);
	config_append(out, size, &used, config->extra, config_length(config->extra));
	return used;
}

int vm_config_parse(struct vm_config *config, const char *file, const char *text, size_t length,
                    char *error, size_t error_size)
{
	struct config_parser p = {file, text, length, 0, 1, error, error_size, 0};
	char *bytes = (char *)config;
	for (size_t i = 0; i < sizeof(*config); i++)
		bytes[i] = 0;
	config->vcpus = 1;
	config->memory_mb = 32;
	config->weight = 256;
	const char *pool = "Pool-0";
	for (size_t i = 0; pool[i]; i++)
		config->pool[i] = pool[i];
	if (error_size)
		error[0] = '\0';
	while (p.position < p.length) {
		if (config_line(&p, config))
			return -1;
		if (p.position < p.length) /* at the newline */
			p.position++;
		if (p.position < p.length)
			p.line++;
	}
	if (!(p.seen & (1u << VM_CONFIG_KEY_NAME)))
		return config_fail(&p, "required key name is missing", NULL);
	if (!(p.seen & (1u << VM_CONFIG_KEY_KERNEL)))
		return config_fail(&p, "required key kernel is missing", NULL);
	if (config->cpus_list && config->cpus_count > config->vcpus) {
		p.line = config->lines[VM_CONFIG_KEY_CPUS];
		return config_fail(&p, "cpus: the list has more items than the VM has vCPUs", NULL);
	}
	return 0;
}
