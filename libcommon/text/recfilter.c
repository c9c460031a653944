/* recfilter.c - rec-filter's run (recfilter.h).
 *
 * The reading thread batches records into chunks; an ordered pool judges
 * them on the worker threads (parse a JSON row, run the filters, build any
 * changed payload), and the reading thread writes each finished chunk's
 * verdicts in input order, so -j N gives the bytes -j 1 gives. */
#include "text/recfilter.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "base/ordpool.h"
#include "rec/header.h"

/* Records are judged in chunks of about this much payload: small enough
 * that the last chunks of a short input still spread over the threads
 * (1 MiB chunks left -j2 at 1.4x -j1 on 10 MB), large enough that handing
 * them over costs nothing beside the filters. */
#define CHUNK_BYTES (1u << 18)
#define CHUNK_RECORDS 4096

/* Why a record was dropped when its JSON row has a null text. */
static const char NULL_TEXT[] = "null-text";
static const char LANG[] = "lang";

struct judged {
	int type;
	size_t key_off, key_len, payload_off, payload_len;
	const char *input; /* where it came from, for messages */
	uint64_t at, number;
	/* The verdict: NULL to keep, else the rule that dropped it. */
	const char *reason;
	bool changed; /* kept with a new payload: out[out_off, +out_len) */
	bool rewritten; /* its text was rewritten (C4) */
	size_t out_off, out_len;
	size_t reject_off, reject_len; /* its rejects row, when rejects are kept */
};

struct chunk {
	struct buf data, out;
	struct judged *recs;
	size_t n, cap;
	size_t bad; /* the first record that could not be judged, or n */
	char why[256];
};

/* One worker's scratch. */
struct judge {
	const struct recfilter_opts *o;
	bool want_rejects;
	const char **where_reasons; /* "where/PREDICATE", one per predicate */
	struct quality_scratch *quality;
	struct ft_scratch *lang;
	struct ft_prediction *preds;
};

struct reason_count {
	const char *rule;
	uint64_t n;
};

struct run {
	const struct recfilter_opts *o;
	struct rec_writer *out, *rejects;
	struct progress *progress;
	char *input_header;
	int kind; /* REC_TEXT or REC_JSON once known, else 0 */
	bool header_done;
	uint64_t read, kept, rewritten;
	struct reason_count *counts;
	size_t ncounts;
	bool done; /* --take reached */
	const char **where_reasons;
};

/* ---- judging, on the worker threads ---- */

/* Language identification as datatrove's LanguageFilter: the scores of
 * every label (k = -1); kept when a wanted language scores above the
 * threshold, or with none named when the best one does.  Fills the best
 * label and score for --annotate. */
static bool language_passes(struct judge *j, const char *text, size_t len, const char **best, float *best_score)
{
	const struct recfilter_opts *o = j->o;
	/* Without --annotate only the labels over the threshold matter, and
	 * fastText's threshold prunes its search. */
	bool need_best = o->annotate || o->nlangs == 0;
	int n = ft_predict(o->lang_model, j->lang, text, len, need_best && o->nlangs == 0 ? 1 : -1,
	                   need_best ? 0.0f : o->lang_threshold, j->preds);
	if (n < 0)
		die(STATUS_FAIL, "out of memory");
	*best = n > 0 ? ft_label(o->lang_model, j->preds[0].label) : "";
	*best_score = n > 0 ? j->preds[0].prob : 0.0f;
	if (o->nlangs == 0)
		return *best_score > o->lang_threshold;
	for (int i = 0; i < n; i++) {
		if (!(j->preds[i].prob > o->lang_threshold))
			continue;
		const char *lang = ft_label(o->lang_model, j->preds[i].label);
		for (int l = 0; l < o->nlangs; l++)
			if (strcmp(lang, o->langs[l]) == 0)
				return true;
	}
	return false;
}

/* Judges record r of chunk c; -1 (with c->why) when it cannot be. */
static int judge_one(struct judge *j, struct chunk *c, struct judged *r)
{
	const struct recfilter_opts *o = j->o;
	const char *payload = c->data.data + r->payload_off;
	size_t len = r->payload_len;
	const char *text = payload;
	size_t text_len = len;
	json_t *row = NULL;
	r->reason = NULL;
	r->changed = r->rewritten = false;

	if (r->type == REC_JSON) {
		json_error_t jerr;
		row = json_loadb(payload, len, JSON_ALLOW_NUL, &jerr);
		if (!json_is_object(row)) {
			snprintf(c->why, sizeof c->why, "record %" PRIu64 ": %s", r->number,
			         row ? "not a JSON object" : jerr.text);
			json_decref(row);
			return -1;
		}
		for (int i = 0; i < o->nwheres && !r->reason; i++)
			if (!where_match(&o->wheres[i], row))
				r->reason = j->where_reasons[i];
		if (!r->reason && (o->lang_model || o->quality)) {
			json_t *t = json_object_get(row, o->field);
			if (!t) {
				snprintf(c->why, sizeof c->why, "record %" PRIu64 ": no field \"%s\" (choose the text with --field)",
				         r->number, o->field);
				json_decref(row);
				return -1;
			}
			if (json_is_null(t)) {
				r->reason = NULL_TEXT;
			} else if (!json_is_string(t)) {
				snprintf(c->why, sizeof c->why, "record %" PRIu64 ": field \"%s\" is not a string", r->number,
				         o->field);
				json_decref(row);
				return -1;
			} else {
				text = json_string_value(t);
				text_len = json_string_length(t);
			}
		}
	}

	const char *lang = NULL;
	float lang_score = 0;
	if (!r->reason && o->lang_model && !language_passes(j, text, text_len, &lang, &lang_score))
		r->reason = LANG;

	const char *new_text = NULL;
	size_t new_len = 0;
	if (!r->reason && o->quality) {
		const char *t_out;
		size_t n_out;
		if (quality_check(o->quality, j->quality, text, text_len, &r->reason, &t_out, &n_out) < 0) {
			snprintf(c->why, sizeof c->why, "record %" PRIu64 ": out of memory, or a text of 4 GiB or more",
			         r->number);
			json_decref(row);
			return -1;
		}
		if (!r->reason && (t_out != text || n_out != text_len))
			new_text = t_out, new_len = n_out, r->rewritten = true;
	}

	/* The payloads this verdict writes. */
	struct jsonw_field adds[3];
	int nadds = 0;
	if (lang && o->annotate) {
		adds[nadds++] = (struct jsonw_field){"language", json_string(lang)};
		adds[nadds++] = (struct jsonw_field){"language_score", json_real(lang_score)};
	}
	if (!r->reason && (new_text || nadds)) {
		r->changed = true;
		r->out_off = c->out.len;
		if (row)
			jsonw_row_with(&c->out, payload, len, row, o->field, new_text, new_len, adds, nadds);
		else
			buf_add(&c->out, new_text, new_len);
		r->out_len = c->out.len - r->out_off;
	} else if (r->reason && j->want_rejects) {
		adds[nadds++] = (struct jsonw_field){"rejected_by", json_string(r->reason)};
		r->reject_off = c->out.len;
		if (row) {
			jsonw_row_with(&c->out, payload, len, row, o->field, NULL, 0, adds, nadds);
		} else {
			jsonw_text_row(&c->out, text, text_len, adds, nadds);
		}
		r->reject_len = c->out.len - r->reject_off;
	} else {
		for (int i = 0; i < nadds; i++)
			json_decref(adds[i].value);
	}
	json_decref(row);
	return 0;
}

static void judge_chunk(void *arg, void *state)
{
	struct chunk *c = arg;
	struct judge *j = state;
	buf_clear(&c->out);
	c->bad = c->n;
	for (size_t i = 0; i < c->n; i++) {
		if (judge_one(j, c, &c->recs[i]) < 0) {
			c->bad = i;
			return;
		}
	}
}

/* ---- the reading and writing thread ---- */

static void chunk_add(struct chunk *c, const struct rec_frame *f, const char *input, uint64_t number)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->recs = xrealloc(c->recs, c->cap * sizeof *c->recs);
	}
	struct judged *r = &c->recs[c->n++];
	*r = (struct judged){.type = f->type, .input = input, .at = f->offset, .number = number};
	r->key_off = c->data.len;
	r->key_len = f->key ? f->key_len : 0;
	buf_add(&c->data, f->key, r->key_len);
	r->payload_off = c->data.len;
	r->payload_len = f->payload_len;
	buf_add(&c->data, f->payload, f->payload_len);
}

static bool chunk_full(const struct chunk *c)
{
	return c->data.len >= CHUNK_BYTES || c->n >= CHUNK_RECORDS;
}

static void chunk_free(struct chunk *c)
{
	if (!c)
		return;
	buf_free(&c->data);
	buf_free(&c->out);
	free(c->recs);
	free(c);
}

static void count_reason(struct run *run, const char *rule)
{
	for (size_t i = 0; i < run->ncounts; i++)
		if (run->counts[i].rule == rule || strcmp(run->counts[i].rule, rule) == 0) {
			run->counts[i].n++;
			return;
		}
	run->counts = xrealloc(run->counts, (run->ncounts + 1) * sizeof *run->counts);
	run->counts[run->ncounts++] = (struct reason_count){rule, 1};
}

static void write_header(struct run *run)
{
	if (run->header_done)
		return;
	run->header_done = true;
	const char *kind = run->kind == REC_JSON ? "json" : "text";
	json_t *h = header_new(run->input_header, kind, run->o->argc, run->o->argv);
	header_set_shard(h, run->o->shard);
	if (run->o->quality && run->o->quality->enabled[QUALITY_C4])
		json_object_set_new(h, "text_rewritten_by", json_string("rec-filter --c4"));
	header_write(run->out, h);
	json_decref(h);
	if (run->rejects) {
		h = header_new(run->input_header, "json", run->o->argc, run->o->argv);
		header_set_shard(h, run->o->shard);
		json_object_set_new(h, "rejects", json_true());
		header_write(run->rejects, h);
		json_decref(h);
	}
}

/* Writes a judged chunk's records in order; dies at one that could not be
 * judged, after those before it. */
static void emit_chunk(struct run *run, struct chunk *c)
{
	for (size_t i = 0; i < c->bad && !run->done; i++) {
		const struct judged *r = &c->recs[i];
		const char *key = r->key_len ? c->data.data + r->key_off : NULL;
		run->read++;
		if (r->reason) {
			count_reason(run, r->reason);
			if (run->rejects)
				rec_write(run->rejects, REC_JSON, REC_DT_NONE, key, r->key_len, c->out.data + r->reject_off,
				          r->reject_len);
			continue;
		}
		run->kept++;
		run->rewritten += r->rewritten;
		if (r->changed)
			rec_write(run->out, r->type, REC_DT_NONE, key, r->key_len, c->out.data + r->out_off, r->out_len);
		else
			rec_write(run->out, r->type, REC_DT_NONE, key, r->key_len, c->data.data + r->payload_off,
			          r->payload_len);
		if (run->o->taking && run->kept >= run->o->take)
			run->done = true;
	}
	if (c->bad < c->n && !run->done) {
		const struct judged *r = &c->recs[c->bad];
		rec_writer_flush(run->out);
		if (run->rejects)
			rec_writer_flush(run->rejects);
		die_at(STATUS_MALFORMED, r->input, r->at, "%s", c->why);
	}
	buf_clear(&c->data);
	c->n = 0;
}

/* The stream's kind from a header's JSON: REC_TEXT, REC_JSON, or -1 for
 * another kind (0 when it names none). */
static int header_kind(const char *header)
{
	json_t *h = json_loads(header, 0, NULL);
	const char *kind = json_string_value(json_object_get(h, "kind"));
	int k = !kind ? 0 : strcmp(kind, "text") == 0 ? REC_TEXT : strcmp(kind, "json") == 0 ? REC_JSON : -1;
	json_decref(h);
	return k;
}

static const char *kind_name(int type)
{
	return type == REC_JSON ? "JSON-row" : "text";
}

/* A record (or a header announcing records) of kind type from input:
 * one output holds one kind, and the options must fit it. */
static void check_kind(struct run *run, int type, const char *input, uint64_t at)
{
	if (type < 0)
		die_at(STATUS_MALFORMED, input, at, "a stream of another kind: rec-filter reads text or JSON-row records");
	if (run->kind && run->kind != type)
		die_at(STATUS_MALFORMED, input, at, "%s records after %s records: one output holds one kind",
		       kind_name(type), kind_name(run->kind));
	run->kind = type;
	if (type == REC_TEXT && run->o->nwheres)
		die_at(STATUS_MALFORMED, input, at, "text records: --where needs JSON rows");
	if (type == REC_TEXT && run->o->annotate)
		die_at(STATUS_MALFORMED, input, at, "text records: --annotate writes into JSON rows");
}

static void write_trailer(struct run *run)
{
	json_t *by_filter = json_object(), *rules = json_object();
	for (size_t i = 0; i < run->ncounts; i++) {
		const char *rule = run->counts[i].rule;
		const char *slash = strchr(rule, '/');
		char *filter = xstrndup(rule, slash ? (size_t)(slash - rule) : strlen(rule));
		json_int_t before = json_integer_value(json_object_get(by_filter, filter));
		json_object_set_new(by_filter, filter, json_integer(before + (json_int_t)run->counts[i].n));
		json_object_set_new(rules, rule, json_integer((json_int_t)run->counts[i].n));
		free(filter);
	}
	json_t *t = json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "read", (json_int_t)run->read, "kept", (json_int_t)run->kept,
	                      "dropped", (json_int_t)(run->read - run->kept), "rewritten", (json_int_t)run->rewritten,
	                      "dropped_by", by_filter, "rules", rules);
	struct buf b = {0};
	jsonw_value(&b, t);
	rec_write_trailer(run->out, b.data, b.len);
	buf_free(&b);
	json_decref(t);
}

/* Every rule the options can drop by, counted from zero, so the trailer
 * shows each filter that ran. */
static void seed_counts(struct run *run)
{
	const struct recfilter_opts *o = run->o;
	for (int i = 0; i < o->nwheres; i++)
		count_reason(run, run->where_reasons[i]);
	if (o->lang_model)
		count_reason(run, LANG);
	if (o->quality) {
		const char *names[64];
		size_t n = quality_reasons(o->quality, names, 64);
		for (size_t i = 0; i < n && i < 64; i++)
			count_reason(run, names[i]);
	}
	for (size_t i = 0; i < run->ncounts; i++)
		run->counts[i].n = 0;
}

void recfilter_run(const struct recfilter_opts *o, int nin, char **inputs, struct rec_writer *out,
                   struct rec_writer *rejects, struct progress *progress)
{
	struct run run = {.o = o, .out = out, .rejects = rejects, .progress = progress};
	run.where_reasons = xcalloc((size_t)o->nwheres + 1, sizeof *run.where_reasons);
	for (int i = 0; i < o->nwheres; i++) {
		struct buf b = {0};
		buf_printf(&b, "where/%s", o->wheres[i].text);
		buf_addc(&b, '\0');
		run.where_reasons[i] = b.data;
	}
	seed_counts(&run);

	int threads = o->threads > 0 ? o->threads : 1;
	struct judge *judges = xcalloc((size_t)threads, sizeof *judges);
	void **states = xcalloc((size_t)threads, sizeof *states);
	for (int i = 0; i < threads; i++) {
		struct judge *j = &judges[i];
		j->o = o;
		j->want_rejects = rejects != NULL;
		j->where_reasons = run.where_reasons;
		if (o->quality && !(j->quality = quality_scratch_new()))
			die(STATUS_FAIL, "out of memory");
		if (o->lang_model) {
			if (!(j->lang = ft_scratch_new()))
				die(STATUS_FAIL, "out of memory");
			j->preds = xcalloc((size_t)ft_nlabels(o->lang_model) + 1, sizeof *j->preds);
		}
		states[i] = j;
	}
	struct ordpool *pool = ordpool_new(threads, (size_t)threads * 4, judge_chunk, states);
	struct chunk *c = xcalloc(1, sizeof *c);

	inputs = cli_inputs(inputs, &nin);
	struct shard_walk walk = shard_walk_start(o->shard, (size_t)nin);
	for (int i = 0; i < nin && !run.done; i++) {
		if (!shard_wants_file(&walk, (size_t)i))
			continue;
		struct rec_reader *in = rec_reader_open(inputs[i], REC_READ_LINES);
		if (!in)
			die(STATUS_FAIL, "%s:", inputs[i]);
		const char *name = rec_reader_name(in);
		struct rec_frame f;
		uint64_t last = 0, number = 0;
		while (!run.done && rec_next_or_die(in, &f) > 0) {
			if (f.type == REC_HEADER) {
				int k = header_kind(rec_reader_header(in));
				if (k)
					check_kind(&run, k, name, f.offset);
				if (!run.input_header)
					run.input_header = xstrdup(rec_reader_header(in));
				continue;
			}
			if (f.type == REC_END)
				continue;
			if (f.type != REC_TEXT && f.type != REC_JSON)
				die_at(STATUS_MALFORMED, name, f.offset, "a %s record: rec-filter reads text or JSON-row records",
				       rec_type_name(f.type));
			check_kind(&run, f.type, name, f.offset);
			write_header(&run);
			uint64_t now = rec_reader_offset(in);
			progress_add(progress, now - last, 1);
			last = now;
			++number;
			if (!shard_wants_record(&walk))
				continue;
			chunk_add(c, &f, name, number);
			if (chunk_full(c)) {
				struct chunk *done = ordpool_submit(pool, c);
				c = done ? done : xcalloc(1, sizeof *c);
				if (done)
					emit_chunk(&run, done);
			}
		}
		/* The chunk may hold this input's name: judge it before closing. */
		if (c->n) {
			struct chunk *done = ordpool_submit(pool, c);
			c = done ? done : xcalloc(1, sizeof *c);
			if (done)
				emit_chunk(&run, done);
		}
		struct chunk *done;
		while ((done = ordpool_drain(pool))) {
			emit_chunk(&run, done);
			chunk_free(done);
		}
		rec_reader_close(in);
	}
	chunk_free(c);
	ordpool_free(pool);

	write_header(&run);
	write_trailer(&run);
	rec_write_end(out);
	if (rejects)
		rec_write_end(rejects);

	for (int i = 0; i < threads; i++) {
		quality_scratch_free(judges[i].quality);
		ft_scratch_free(judges[i].lang);
		free(judges[i].preds);
	}
	free(judges);
	free(states);
	for (int i = 0; i < o->nwheres; i++)
		free((char *)run.where_reasons[i]);
	free(run.where_reasons);
	free(run.counts);
	free(run.input_header);
}
