/*
 * sched/symbols.c - guest System.map parsing, the sorted text-symbol table
 * and RIP lookup (the public API is in sched/classify.h).
 *
 * Parsing is two passes over the caller's text: the first validates every
 * line and counts text symbols and name bytes, the second fills arrays
 * allocated from the caller's arena; so a rejected map allocates nothing.
 * The table is then heap-sorted by (address, name) in place.
 *
 * Invariants after sched_classifier_parse_map():
 *  - symbols[0..count) is sorted by address; entries with equal addresses
 *    (aliases) are adjacent and exactly the last one of each run has
 *    SCHED_SYMBOL_REPRESENTATIVE set: the alias with the highest-ranking
 *    own_category, the first by name among equals (the others of the run
 *    are in no particular order);
 *  - every entry of a run carries the representative's own_category as
 *    its `category` (the address's);
 *  - symbols[count - 1].address <= last (last is inclusive, so that a
 *    symbol at the top of the address space still has an extent).
 * So a lookup is an upper-bound binary search: the entry just below the
 * first address > rip is a representative, and its extent ends before the
 * next entry's address (a different one) or, for the highest, at `last`.
 *
 * Lock order: none (see sched/classify.h).
 */
#include "sched/classify.h"
#include "sched/classify_internal.h"
#include "sched/env.h"
#include "sched/format.h"

/* ---- arena ------------------------------------------------------------ */

void sched_arena_init(struct sched_arena *arena, void *base, size_t size)
{
	arena->base = base;
	arena->size = base ? size : 0;
	arena->used = 0;
}

void *sched_arena_alloc(struct sched_arena *arena, size_t size, size_t align)
{
	uintptr_t start = (uintptr_t)arena->base + arena->used;
	size_t padding = (size_t)((align - (start & (align - 1))) & (align - 1));

	if (arena->used > arena->size || padding > arena->size - arena->used ||
	    size > arena->size - arena->used - padding)
		return NULL;
	arena->used += padding;
	start = (uintptr_t)arena->base + arena->used;
	arena->used += size;
	return (void *)start;
}

/* ---- shared text helpers (classify_internal.h) ------------------------- */

void sched_line_reader_init(struct sched_line_reader *reader, const char *text, size_t length)
{
	reader->text = text;
	reader->length = length;
	reader->position = 0;
	reader->number = 0;
}

bool sched_line_reader_next(struct sched_line_reader *reader, const char **line,
                            size_t *line_length)
{
	size_t start = reader->position;
	size_t end = start;

	if (start >= reader->length)
		return false;
	while (end < reader->length && reader->text[end] != '\n')
		end++;
	reader->position = end < reader->length ? end + 1 : end;
	reader->number++;
	if (end > start && reader->text[end - 1] == '\r')
		end--;
	*line = reader->text + start;
	*line_length = end - start;
	return true;
}

bool sched_classify_next_field(const char *line, size_t length, size_t *position,
                               const char **field, size_t *field_length)
{
	size_t start = *position;
	size_t end;

	while (start < length && sched_classify_is_blank(line[start]))
		start++;
	if (start >= length) {
		*position = length;
		return false;
	}
	end = start;
	while (end < length && !sched_classify_is_blank(line[end]))
		end++;
	*field = line + start;
	*field_length = end - start;
	*position = end;
	return true;
}

void sched_classify_set_error(struct sched_error *error, const char *file, unsigned line,
                              const char *reason, const char *token, size_t token_length)
{
	struct sched_format format;

	error->file = file;
	error->line = line;
	sched_format_init(&format, error->message, sizeof(error->message));
	sched_format_string(&format, file ? file : "(input)");
	if (line > 0) {
		sched_format_char(&format, ':');
		sched_format_unsigned(&format, line);
	}
	sched_format_string(&format, ": ");
	sched_format_string(&format, reason);
	if (token) {
		sched_format_char(&format, ' ');
		sched_format_quoted(&format, token, token_length, 40);
	}
}

const char *sched_classify_check_name(const char *name, size_t length)
{
	if (length == 0)
		return "empty name";
	if (length > SCHED_CLASSIFY_NAME_MAX)
		return "name longer than 255 characters";
	for (size_t i = 0; i < length; i++)
		if (!sched_classify_is_name_char(name[i]))
			return "bad character in name";
	return NULL;
}

/* ---- one map line ------------------------------------------------------ */

/* One parsed System.map line. */
struct sched_map_line {
	uint64_t address;
	char type;
	const char *name;
	size_t name_length;
};

/* Why a line was rejected, for sched_classify_set_error(). */
struct sched_map_problem {
	const char *reason;
	const char *token;
	size_t token_length;
};

static bool sched_map_type_is_text(char type)
{
	return type == 'T' || type == 't' || type == 'W';
}

/* nm's type letters, plus '?' and '-' (unknown, debugging). */
static bool sched_map_type_is_valid(char type)
{
	return (type >= 'a' && type <= 'z') || (type >= 'A' && type <= 'Z') || type == '?' ||
	       type == '-';
}

static int sched_map_problem(struct sched_map_problem *problem, const char *reason,
                             const char *token, size_t token_length)
{
	problem->reason = reason;
	problem->token = token;
	problem->token_length = token_length;
	return -1;
}

/* Returns 1 for a symbol, 0 for a blank or comment line, -1 if malformed. */
static int sched_map_parse_line(const char *line, size_t length, struct sched_map_line *out,
                                struct sched_map_problem *problem)
{
	size_t position = 0;
	const char *field;
	size_t field_length;
	const char *reason;

	if (!sched_classify_next_field(line, length, &position, &field, &field_length))
		return 0;
	if (field[0] == '#')
		return 0;

	/* Address: 1-16 hex digits. */
	if (field_length > 16)
		return sched_map_problem(problem, "address longer than 16 digits", field,
		                         field_length);
	out->address = 0;
	for (size_t i = 0; i < field_length; i++) {
		char c = field[i];
		unsigned digit;

		if (c >= '0' && c <= '9')
			digit = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			digit = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			digit = (unsigned)(c - 'A' + 10);
		else
			return sched_map_problem(problem, "bad address", field, field_length);
		out->address = (out->address << 4) | digit;
	}

	if (!sched_classify_next_field(line, length, &position, &field, &field_length))
		return sched_map_problem(problem, "missing symbol type", NULL, 0);
	if (field_length != 1 || !sched_map_type_is_valid(field[0]))
		return sched_map_problem(problem, "bad symbol type", field, field_length);
	out->type = field[0];

	if (!sched_classify_next_field(line, length, &position, &field, &field_length))
		return sched_map_problem(problem, "missing symbol name", NULL, 0);
	reason = sched_classify_check_name(field, field_length);
	if (reason)
		return sched_map_problem(problem, reason, field, field_length);
	out->name = field;
	out->name_length = field_length;

	/* Optional "[module]" as in /proc/kallsyms; nothing else. */
	if (sched_classify_next_field(line, length, &position, &field, &field_length)) {
		if (field_length < 3 || field[0] != '[' || field[field_length - 1] != ']')
			return sched_map_problem(problem, "unexpected text after name", field,
			                         field_length);
		if (sched_classify_next_field(line, length, &position, &field, &field_length))
			return sched_map_problem(problem, "unexpected text after module", field,
			                         field_length);
	}
	return 1;
}

/* ---- sorting ------------------------------------------------------------ */

/* Order by address, then name (so aliases are in a fixed order). */
static int sched_symbol_compare(const struct sched_classifier *classifier,
                                const struct sched_symbol *a, const struct sched_symbol *b)
{
	size_t shorter;
	int order;

	if (a->address != b->address)
		return a->address < b->address ? -1 : 1;
	shorter = a->name_length < b->name_length ? a->name_length : b->name_length;
	order =
	    memcmp(classifier->names + a->name_offset, classifier->names + b->name_offset, shorter);
	if (order != 0)
		return order;
	return (int)a->name_length - (int)b->name_length;
}

static void sched_symbol_sift_down(struct sched_classifier *classifier, size_t root, size_t count)
{
	struct sched_symbol *symbols = classifier->symbols;

	for (;;) {
		size_t child = 2 * root + 1;
		struct sched_symbol swap;

		if (child >= count)
			return;
		if (child + 1 < count &&
		    sched_symbol_compare(classifier, &symbols[child], &symbols[child + 1]) < 0)
			child++;
		if (sched_symbol_compare(classifier, &symbols[root], &symbols[child]) >= 0)
			return;
		swap = symbols[root];
		symbols[root] = symbols[child];
		symbols[child] = swap;
		root = child;
	}
}

/*
 * In-place heapsort: O(n log n), no recursion, no extra memory. A map that
 * is already in order (nm -n output, the usual System.map) is only checked.
 */
static void sched_symbol_sort(struct sched_classifier *classifier)
{
	size_t count = classifier->count;
	size_t sorted = 1;

	while (sorted < count && sched_symbol_compare(classifier, &classifier->symbols[sorted - 1],
	                                              &classifier->symbols[sorted]) <= 0)
		sorted++;
	if (sorted >= count)
		return;

	for (size_t root = count / 2; root-- > 0;)
		sched_symbol_sift_down(classifier, root, count);
	while (count > 1) {
		struct sched_symbol swap = classifier->symbols[0];

		count--;
		classifier->symbols[0] = classifier->symbols[count];
		classifier->symbols[count] = swap;
		sched_symbol_sift_down(classifier, 0, count);
	}
}

/* ---- parsing ------------------------------------------------------------ */

/* What the first pass learns. */
struct sched_map_census {
	size_t text_symbols;
	size_t name_bytes;
	size_t skipped;
	uint64_t highest_text;
};

static int sched_map_census(const char *text, size_t length, const char *file,
                            struct sched_map_census *census, unsigned *lines,
                            struct sched_error *error)
{
	struct sched_line_reader reader;
	const char *line;
	size_t line_length;

	sched_line_reader_init(&reader, text, length);
	while (sched_line_reader_next(&reader, &line, &line_length)) {
		struct sched_map_line parsed;
		struct sched_map_problem problem;
		int kind = sched_map_parse_line(line, line_length, &parsed, &problem);

		if (reader.number > SCHED_MAP_MAX_LINES) {
			sched_classify_set_error(
			    error, file, reader.number,
			    "map longer than the limit of " SCHED_CLASSIFY_TEXT(
			        SCHED_MAP_MAX_LINES) " lines",
			    NULL, 0);
			return -1;
		}
		if (kind < 0) {
			sched_classify_set_error(error, file, reader.number, problem.reason,
			                         problem.token, problem.token_length);
			return -1;
		}
		if (kind == 0)
			continue;
		if (!sched_map_type_is_text(parsed.type)) {
			census->skipped++;
			continue;
		}
		if (census->text_symbols == 0 || parsed.address > census->highest_text)
			census->highest_text = parsed.address;
		census->text_symbols++;
		census->name_bytes += parsed.name_length + 1;
	}
	*lines = reader.number;
	if (census->text_symbols == 0) {
		sched_classify_set_error(error, file, 0, "no text symbols (types T, t, W)", NULL,
		                         0);
		return -1;
	}
	if (census->text_symbols > UINT32_MAX || census->name_bytes > UINT32_MAX) {
		sched_classify_set_error(error, file, 0, "map too large", NULL, 0);
		return -1;
	}
	return 0;
}

/* Second pass: the text was validated, so every line parses. */
static void sched_map_fill(struct sched_classifier *classifier, const char *text, size_t length,
                           uint64_t highest_text)
{
	struct sched_line_reader reader;
	const char *line;
	size_t line_length;
	size_t name_used = 0;
	bool bounded = false;
	uint64_t bound = 0; /* lowest non-text address above the text */

	sched_line_reader_init(&reader, text, length);
	while (sched_line_reader_next(&reader, &line, &line_length)) {
		struct sched_map_line parsed;
		struct sched_map_problem problem;
		struct sched_symbol *symbol;

		if (sched_map_parse_line(line, line_length, &parsed, &problem) <= 0)
			continue;
		if (!sched_map_type_is_text(parsed.type)) {
			if (parsed.address > highest_text && (!bounded || parsed.address < bound)) {
				bound = parsed.address;
				bounded = true;
			}
			continue;
		}
		symbol = &classifier->symbols[classifier->count++];
		symbol->address = parsed.address;
		symbol->name_offset = (uint32_t)name_used;
		symbol->name_length = (uint8_t)parsed.name_length;
		symbol->category = SCHED_CATEGORY_NONE;
		symbol->own_category = SCHED_CATEGORY_NONE;
		symbol->flags = parsed.type == 'W' ? SCHED_SYMBOL_WEAK : 0;
		memcpy(classifier->names + name_used, parsed.name, parsed.name_length);
		classifier->names[name_used + parsed.name_length] = '\0';
		name_used += parsed.name_length + 1;
	}
	if (bounded)
		classifier->last = bound - 1; /* bound > highest_text */
	else if (highest_text > UINT64_MAX - (SCHED_CLASSIFY_TAIL_EXTENT - 1))
		classifier->last = UINT64_MAX;
	else
		classifier->last = highest_text + (SCHED_CLASSIFY_TAIL_EXTENT - 1);
}

int sched_classifier_parse_map(struct sched_classifier *classifier, const char *text, size_t length,
                               const char *file, struct sched_arena *arena,
                               struct sched_error *error)
{
	struct sched_map_census census = {0};
	unsigned lines = 0;
	size_t arena_used = arena->used;
	struct sched_symbol *symbols;
	char *names;

	if (length > SCHED_MAP_MAX_BYTES) {
		sched_classify_set_error(error, file, 0,
		                         "map larger than the limit of " SCHED_CLASSIFY_TEXT(
		                             SCHED_MAP_MAX_BYTES) " bytes",
		                         NULL, 0);
		return -1;
	}
	if (sched_map_census(text, length, file, &census, &lines, error) < 0)
		return -1;
	symbols = sched_arena_alloc(arena, census.text_symbols * sizeof(*symbols),
	                            _Alignof(struct sched_symbol));
	names = sched_arena_alloc(arena, census.name_bytes, 1);
	if (!symbols || !names) {
		struct sched_format format;

		arena->used = arena_used;
		sched_classify_set_error(error, file, 0, "", NULL, 0);
		sched_format_init(&format, error->message, sizeof(error->message));
		sched_format_string(&format, file ? file : "(input)");
		sched_format_string(&format, ": arena too small: map needs ");
		sched_format_unsigned(&format,
		                      census.text_symbols * sizeof(*symbols) + census.name_bytes);
		sched_format_string(&format, " bytes, arena has ");
		sched_format_unsigned(&format, arena->size - arena->used);
		sched_format_string(&format, " free");
		return -1;
	}

	memset(classifier, 0, sizeof(*classifier));
	classifier->symbols = symbols;
	classifier->names = names;
	classifier->names_size = census.name_bytes;
	classifier->file = file;
	classifier->lines = lines;
	classifier->skipped = census.skipped;
	sched_map_fill(classifier, text, length, census.highest_text);
	sched_symbol_sort(classifier);

	sched_classifier_resolve_aliases(classifier);
	return 0;
}

/* ---- aliases ------------------------------------------------------------ */

/* Which category an address takes when its aliases disagree: higher wins. */
static const uint8_t sched_category_rank[SCHED_CATEGORY_COUNT] = {
    [SCHED_CATEGORY_NONE] = 0,      [SCHED_CATEGORY_HALT] = 1,     [SCHED_CATEGORY_CRITICAL] = 2,
    [SCHED_CATEGORY_LOCK_SPIN] = 3, [SCHED_CATEGORY_IPI_WAIT] = 4,
};

void sched_classifier_resolve_aliases(struct sched_classifier *classifier)
{
	struct sched_symbol *symbols = classifier->symbols;
	size_t end;

	for (size_t category = 0; category < SCHED_CATEGORY_COUNT; category++)
		classifier->classified[category] = 0;
	classifier->addresses = 0;
	for (size_t start = 0; start < classifier->count; start = end) {
		size_t best = start;
		struct sched_symbol swap;

		end = start + 1;
		while (end < classifier->count && symbols[end].address == symbols[start].address)
			end++;
		for (size_t i = start + 1; i < end; i++) {
			uint8_t rank = sched_category_rank[symbols[i].own_category];
			uint8_t best_rank = sched_category_rank[symbols[best].own_category];

			if (rank > best_rank ||
			    (rank == best_rank &&
			     sched_symbol_compare(classifier, &symbols[i], &symbols[best]) < 0))
				best = i;
		}
		swap = symbols[best];
		symbols[best] = symbols[end - 1];
		symbols[end - 1] = swap;
		for (size_t i = start; i < end; i++) {
			symbols[i].category = swap.own_category;
			symbols[i].flags &= (uint8_t)~SCHED_SYMBOL_REPRESENTATIVE;
		}
		symbols[end - 1].flags |= SCHED_SYMBOL_REPRESENTATIVE;
		classifier->classified[swap.own_category]++;
		classifier->addresses++;
	}
}

/* ---- lookup ------------------------------------------------------------- */

/*
 * Index of the representative whose extent holds rip, or count if none.
 * Upper-bound binary search: about log2(count) + 1 iterations.
 */
static size_t sched_classifier_search(const struct sched_classifier *classifier, uint64_t rip)
{
	const struct sched_symbol *symbols = classifier->symbols;
	size_t low = 0;
	size_t high = classifier->count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (symbols[middle].address <= rip)
			low = middle + 1;
		else
			high = middle;
	}
	if (low == 0)
		return classifier->count; /* below the first symbol */
	if (low == classifier->count && rip > classifier->last)
		return classifier->count; /* past the end of the table */
	return low - 1;                   /* else rip < symbols[low].address by the search */
}

enum sched_category sched_classifier_lookup(const struct sched_classifier *classifier, uint64_t rip)
{
	size_t index = sched_classifier_search(classifier, rip);

	if (index == classifier->count)
		return SCHED_CATEGORY_NONE;
	return (enum sched_category)classifier->symbols[index].category;
}

bool sched_classifier_lookup_symbol(const struct sched_classifier *classifier, uint64_t rip,
                                    struct sched_lookup *result)
{
	size_t index = sched_classifier_search(classifier, rip);
	const struct sched_symbol *symbol;

	if (index == classifier->count)
		return false;
	symbol = &classifier->symbols[index];
	result->name = classifier->names + symbol->name_offset;
	result->address = symbol->address;
	result->offset = rip - symbol->address;
	if (index + 1 < classifier->count)
		result->size = classifier->symbols[index + 1].address - symbol->address;
	else /* cannot wrap: see sched_map_fill() */
		result->size = classifier->last - symbol->address + 1;
	result->category = (enum sched_category)symbol->category;
	return true;
}

bool sched_classifier_locate(const void *context, uint64_t rip, uint64_t *function,
                             enum sched_category *category)
{
	struct sched_lookup found;

	if (!context || !function || !category ||
	    !sched_classifier_lookup_symbol(context, rip, &found))
		return false;
	*function = found.address;
	*category = found.category;
	return true;
}

size_t sched_classifier_format_rip(const struct sched_classifier *classifier, uint64_t rip,
                                   char *buffer, size_t size)
{
	struct sched_format format;
	struct sched_lookup found;

	sched_format_init(&format, buffer, size);
	if (!sched_classifier_lookup_symbol(classifier, rip, &found)) {
		sched_format_hex(&format, rip);
		return format.used;
	}
	sched_format_string(&format, found.name);
	if (found.offset != 0) {
		sched_format_char(&format, '+');
		sched_format_hex(&format, found.offset);
	}
	return format.used;
}

size_t sched_classifier_find(const struct sched_classifier *classifier, const char *name,
                             uint64_t *address)
{
	size_t length = strlen(name);
	size_t found = 0;

	for (size_t i = 0; i < classifier->count; i++) {
		const struct sched_symbol *symbol = &classifier->symbols[i];

		if (symbol->name_length != length ||
		    memcmp(classifier->names + symbol->name_offset, name, length) != 0)
			continue;
		if (found == 0)
			*address = symbol->address; /* sorted: the lowest */
		found++;
	}
	return found;
}
