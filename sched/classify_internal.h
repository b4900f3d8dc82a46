/*
 * sched/classify_internal.h - helpers shared by sched/symbols.c and
 * sched/rules.c only: line and field splitting of text files, character
 * classes and error messages. Not part of the classifier's public API
 * (that is sched/classify.h).
 *
 * Lock order: none (pure functions on caller memory).
 */
#ifndef SCHED_CLASSIFY_INTERNAL_H
#define SCHED_CLASSIFY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/classify.h"

/* Walks a text buffer line by line; `number` is the current line (1-based). */
struct sched_line_reader {
	const char *text;
	size_t length;
	size_t position;
	unsigned number;
};

void sched_line_reader_init(struct sched_line_reader *reader, const char *text, size_t length);

/*
 * Next line without its "\n" or "\r\n"; false at the end of the text. A
 * final line without "\n" counts; an empty text has no lines.
 */
bool sched_line_reader_next(struct sched_line_reader *reader, const char **line,
                            size_t *line_length);

static inline bool sched_classify_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A character allowed in a symbol name or pattern: printable, not blank. */
static inline bool sched_classify_is_name_char(char c)
{
	return c > 0x20 && c < 0x7f;
}

/*
 * Next blank-separated field of line[0..length) from *position on; false
 * if only blanks remain. Leaves *position just after the field.
 */
bool sched_classify_next_field(const char *line, size_t length, size_t *position,
                               const char **field, size_t *field_length);

/*
 * Fill `error` with "file:line: reason" and, when token is not NULL,
 * " \"token\"" (cut to 40 characters, non-printables as '?').
 */
void sched_classify_set_error(struct sched_error *error, const char *file, unsigned line,
                              const char *reason, const char *token, size_t token_length);

/* Check a name or pattern: length 1..SCHED_CLASSIFY_NAME_MAX, name chars.
 * Returns NULL if fine, else the reason. */
const char *sched_classify_check_name(const char *name, size_t length);

/*
 * After own_category changed: pick each address's representative alias,
 * move it last in its run, give the run its category, recount
 * classifier->classified and classifier->addresses.
 */
void sched_classifier_resolve_aliases(struct sched_classifier *classifier);

#endif /* SCHED_CLASSIFY_INTERNAL_H */
