/* vsupsert.c - writing points into a vector store (see vsupsert.h). */
#include "vs/vsupsert.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"
#include "rec/rec.h"
#include "vs/vsinput.h"

#define STATUS_BAD_POINT STATUS_MALFORMED


/* The driver's messages name the Qdrant collection already; the embedded
 * store's are named here by its directory. */
static SLUICE_NORETURN void die_store(const struct vsupsert *u, int status, const char *err)
{
	if (vsclient_is_qdrant(u->store))
		die(status, "%s", err);
	die(status, "%s: %s", u->dir, err);
}

/* The store, then the batch buffers, which need its dimension. */
void vsupsert_open(struct vsupsert *u, size_t dim)
{
	char err[1024];
	int locked;
	struct vsclient_opts o = u->open_opts;
	if (dim <= 65536)
		o.create_dim = (uint32_t)dim;
	u->store = vsclient_open(u->dir, &o, &locked, err, sizeof err);
	if (!u->store)
		die(locked ? VSUPSERT_LOCKED : STATUS_FAIL, "%s", err);
	u->dim = vsclient_dim(u->store);
	u->vecs = u->deleting ? NULL : xmalloc(u->batch * u->dim * sizeof *u->vecs);
}

/* Writes the batch gathered so far (all or nothing) and acknowledges it. */
static void flush_batch(struct vsupsert *u)
{
	if (u->n == 0)
		return;
	char err[512];
	if (u->deleting) {
		const char **ids = xmalloc(u->n * sizeof *ids);
		size_t *lens = xmalloc(u->n * sizeof *lens), done;
		for (size_t i = 0; i < u->n; i++) {
			ids[i] = u->ids.data + u->id_offs[i];
			lens[i] = u->id_offs[i + 1] - u->id_offs[i];
		}
		if (vsclient_delete(u->store, ids, lens, u->n, &done, err, sizeof err) != 0)
			die_store(u, STATUS_FAIL, err);
		u->deleted += done;
		free(ids);
		free(lens);
	} else {
		for (size_t i = 0; i < u->n; i++)
			u->pts[i] = (struct vstore_point){u->ids.data + u->id_offs[i], u->id_offs[i + 1] - u->id_offs[i],
			                                  u->vecs + i * u->dim,
			                                  /* a batch without metadata has no buffer */
			                                  u->metas.data ? u->metas.data + u->meta_offs[i] : "",
			                                  u->meta_offs[i + 1] - u->meta_offs[i]};
		/* Each point was checked as it was read (add_point): what fails
		 * here is the store or the server, not the input. */
		if (vsclient_upsert(u->store, u->pts, u->n, err, sizeof err) != 0)
			die_store(u, STATUS_FAIL, err);
		u->written += u->n;
	}
	if (u->ack) {
		for (size_t i = 0; i < u->n; i++) {
			outbuf_write(&u->out, u->ids.data + u->id_offs[i], u->id_offs[i + 1] - u->id_offs[i]);
			outbuf_putc(&u->out, '\n');
		}
		outbuf_flush(&u->out);
	}
	u->n = 0;
	buf_clear(&u->ids);
	buf_clear(&u->metas);
}

static void add_point(struct vsupsert *u, const struct vs_input *p, const char *input, uint64_t offset)
{
	if (!u->deleting) {
		if (p->dim != vsclient_dim(u->store))
			die_at(STATUS_BAD_POINT, input, offset, "the vector has %zu values, the store has dim %u", p->dim,
			       vsclient_dim(u->store));
		/* Checked here too, so the message names where the point is. */
		char why[256];
		struct vstore_point pt = {p->id.data, p->id.len, p->vec, p->meta.data, p->meta.len};
		const char *bad = vsclient_check(u->store, &pt, why, sizeof why);
		if (bad)
			die_at(STATUS_BAD_POINT, input, offset, "point '%.*s': %s", (int)(p->id.len > 64 ? 64 : p->id.len),
			       p->id.data, bad);
	}
	if (u->n == 0) {
		u->id_offs[0] = u->meta_offs[0] = 0;
	}
	buf_add(&u->ids, p->id.data, p->id.len);
	buf_add(&u->metas, p->meta.data, p->meta.len);
	if (!u->deleting)
		memcpy(u->vecs + u->n * u->dim, p->vec, u->dim * sizeof *u->vecs);
	u->n++;
	u->id_offs[u->n] = u->ids.len;
	u->meta_offs[u->n] = u->metas.len;
	if (u->n == u->batch)
		flush_batch(u);
}

/* A line of ids to delete: the line itself unless it is a JSON object. */
static int plain_id_line(const struct rec_frame *f)
{
	return f->type == REC_TEXT && (f->payload_len == 0 || f->payload[0] != '{');
}

static void read_input(struct vsupsert *u, const char *path)
{
	struct rec_reader *r = rec_reader_open(path, REC_READ_LINES);
	if (!r)
		die(STATUS_FAIL, "%s:", path);
	const char *name = rec_reader_name(r);
	struct rec_frame f;
	struct vs_input in = {0};
	char err[512];
	uint64_t line = 0;
	while (rec_next_or_die(r, &f)) {
		if (f.type == REC_HEADER || f.type == REC_END)
			continue;
		line++;
		uint64_t where = rec_reader_is_lines(r) ? line : f.offset;
		if (u->deleting && plain_id_line(&f)) {
			if (f.payload_len == 0)
				continue;
			buf_clear(&in.id);
			buf_add(&in.id, f.payload, f.payload_len);
		} else if (vs_input_parse(&in, &f, u->deleting ? VS_NEED_ID : VS_NEED_ID | VS_NEED_VECTOR, err,
		                          sizeof err) != 0) {
			die_at(STATUS_BAD_POINT, name, where, "%s", err);
		}
		if (!u->store)
			vsupsert_open(u, in.dim);
		add_point(u, &in, name, where);
		progress_add(&u->progress, 0, 1);
	}
	vs_input_free(&in);
	rec_reader_close(r);
}

void vsupsert_admin(struct vsupsert *u, int compact, int rebuild, const char *snapshot)
{
	char err[1024];
	int rc = compact || rebuild ? (compact ? vsclient_compact(u->store, err, sizeof err)
	                                       : vsclient_rebuild_index(u->store, err, sizeof err))
	                            : vsclient_snapshot(u->store, snapshot, err, sizeof err);
	if (rc != 0)
		die(STATUS_FAIL, "%s", err);
	vsclient_close(u->store);
	free(u->vecs);
}

void vsupsert_delete_filter(struct vsupsert *u, const char *filter)
{
	char err[1024];
	size_t done;
	if (vsclient_delete_filter(u->store, filter, &done, err, sizeof err) != 0)
		die_store(u, strncmp(err, "filter: ", 8) == 0 ? STATUS_USAGE : STATUS_FAIL, err);
	u->deleted = done;
}

void vsupsert_read(struct vsupsert *u, char **paths, int n, enum cli_progress progress)
{
	u->pts = xmalloc(u->batch * sizeof *u->pts);
	u->id_offs = xmalloc((u->batch + 1) * sizeof *u->id_offs);
	u->meta_offs = xmalloc((u->batch + 1) * sizeof *u->meta_offs);
	outbuf_init(&u->out, STDOUT_FILENO, "<stdout>", 1 << 16);
	progress_init(&u->progress, progress, io_total_size(n, paths));
	if (n == 0)
		read_input(u, "-");
	for (int i = 0; i < n; i++)
		read_input(u, paths[i]);
	if (!u->store) /* no points: an existing store, or the error of none */
		vsupsert_open(u, 0);
	flush_batch(u);
	progress_end(&u->progress);
	outbuf_free(&u->out);
}

void vsupsert_finish(struct vsupsert *u)
{
	char err[1024];
	/* Fold the log into a segment and the index, so queries use it. */
	if (vsclient_flush(u->store, err, sizeof err) != 0)
		die_store(u, STATUS_FAIL, err);
	if (!u->quiet) {
		int64_t total = vsclient_count(u->store, err, sizeof err);
		if (u->deleting)
			warn("%s: %llu points deleted, %lld remain", u->dir, (unsigned long long)u->deleted, (long long)total);
		else
			warn("%s: %llu points written, %lld in the store", u->dir, (unsigned long long)u->written,
			     (long long)total);
	}
	vsclient_close(u->store);
	free(u->pts);
	free(u->vecs);
	free(u->id_offs);
	free(u->meta_offs);
	buf_free(&u->ids);
	buf_free(&u->metas);
}
