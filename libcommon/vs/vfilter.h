/* vfilter.h - Qdrant's filter language over point payloads, so that
 * `vs-query --filter` means in the embedded store what it means against a
 * Qdrant server.
 *
 * A filter is compiled once (paths split, value lists sorted) and then
 * matched against each candidate point: the id as text and the payload, a
 * JSON object.  Matching allocates nothing and never fails; a compiled
 * filter is read-only, so threads may share it.
 *
 * Supported: must / should / must_not (a condition or an array of them),
 * min_should {conditions, min_count}, filters as conditions; field
 * conditions {key, match: {value | any | except}}, {key, range: {gt, gte,
 * lt, lte}}, {key, values_count: {...}}, {key, is_empty: bool}, {key,
 * is_null: bool}; {is_empty: {key}}, {is_null: {key}}, {has_id: [...]},
 * {nested: {key, filter}}.  Anything else (geo_*, full-text and prefix
 * match, datetime ranges, has_vector) is an error at compile time, never
 * a silent non-match.
 *
 * Semantics, as Qdrant's condition checkers have them:
 * - Keys are paths: "a.b" steps into objects, "a[2]" takes one element,
 *   "a[].b" visits every element; a key that is not [A-Za-z0-9_-] (or
 *   UTF-8) is quoted: "\"my key\".x".  "a.b" does not step into an array
 *   at a: that needs "a[].b".  A path can reach several values.
 * - match, range: true if one value (or, for a value that is an array, one
 *   of its elements) passes.  A missing field passes neither.
 * - match value: a string equals a string, an integer an integer, a
 *   boolean a boolean; nothing else: 1 is not "1", and not 1.0 (JSON
 *   reals never equal an integer).  A real as the value is an error.
 * - match any: one value in the list (strings, or integers; never mixed).
 *   match except: one value that is not null and not in the list (a value
 *   of another type counts as not in it); a missing field, null, [] and
 *   [null] do not pass.
 * - range: numbers only (integers and reals compared as doubles).
 * - values_count: an array counts its elements, null 0, anything else 1,
 *   a missing field 0.
 * - {is_empty: {key}}: every value at the path is null or [] (so a missing
 *   field is empty; [null] is not).  {is_null: {key}}: some value is null
 *   (not [null], not a missing field).  The field forms {key, is_empty:
 *   true} and {key, is_null: true} follow Qdrant's own, slightly different
 *   rules: some value is null or [] (is_empty), some value is null or an
 *   array holding a null (is_null); false negates each value's test, and a
 *   missing field passes is_empty: true and is_null: false.
 * - has_id: integers are compared as their decimal text, so 5 and "5" are
 *   the same point.  Not allowed inside nested (Qdrant ignores it there).
 * - nested {key, filter}: some element of the array at key (key[] is
 *   implied) is an object that passes the whole filter on its own.
 * - must: all; must_not: none; should: at least one (an empty should
 *   array matches nothing); min_should: at least min_count (>= 1).  An
 *   empty filter {} matches everything.
 * - A field condition with more than one of match, range, values_count,
 *   is_empty, is_null is an error (Qdrant ORs them; say it with should).
 */
#ifndef SLUICE_VFILTER_H
#define SLUICE_VFILTER_H

#include <jansson.h>
#include <stddef.h>

struct vfilter;

/* Compile a filter from JSON text or a parsed object.  NULL with a
 * one-line reason in err ("must[1]: unsupported condition 'geo_radius'",
 * "must[0].range: gt is not a number") for anything that is not a valid,
 * supported filter. */
struct vfilter *vfilter_parse(const char *text, size_t len, char *err, size_t errn);
struct vfilter *vfilter_compile(const json_t *filter, char *err, size_t errn);

/* 1 if the point (its id as text, its payload object or NULL for none)
 * matches, else 0. */
int vfilter_match(const struct vfilter *f, const char *id, size_t id_len, const json_t *payload);

/* 0 when matching looks at ids only (has_id), so a caller can skip
 * loading payloads. */
int vfilter_needs_payload(const struct vfilter *f);

/* If the filter is exactly one has_id condition (possibly inside must or
 * should, or a filter within them), its distinct ids as text, so that a
 * store can look them up instead of scanning: the count, with *ids
 * borrowed (valid while f lives).  Otherwise -1. */
long vfilter_only_ids(const struct vfilter *f, const char *const **ids);

void vfilter_free(struct vfilter *f);

#endif
