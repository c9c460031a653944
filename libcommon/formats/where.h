/* where.h - rec-filter's --where predicates on JSON rows:
 *
 *   FIELD=VALUE   FIELD!=VALUE   equal or not: a string field by its text,
 *                                a number by value when VALUE is a number
 *                                (so score=0.5 matches 0.50), anything
 *                                else by its JSON text (ok=true, tags=null);
 *                                a missing field reads as null
 *   FIELD<N  FIELD<=N  FIELD>N  FIELD>=N
 *                                a number field against the number N; a
 *                                field that is missing or not a number
 *                                does not match
 *
 * FIELD names a top-level field of the row.  The equality rule is
 * hf-stream's --where, so one predicate means the same in both programs. */
#ifndef SLUICE_WHERE_H
#define SLUICE_WHERE_H

#include <jansson.h>
#include <stdbool.h>

enum where_op { WHERE_EQ, WHERE_NE, WHERE_LT, WHERE_LE, WHERE_GT, WHERE_GE };

struct where {
	char *field, *value;
	enum where_op op;
	bool value_is_number;
	double number;
	char *text; /* the predicate as given, for messages and the header */
};

/* Parses one predicate; -1 with a one-line message in err on a bad one
 * (no operator, an empty field, a comparison with a value that is not a
 * number). */
int where_parse(const char *arg, struct where *w, char *err, size_t errn);
bool where_match(const struct where *w, const json_t *row);
void where_free(struct where *w);

#endif
