/* parquet.c - see parquet.h.
 *
 * The file is read in three layers: the footer (Thrift compact metadata,
 * parsed once by pq_open into a schema tree and per-row-group column chunk
 * descriptions), column chunks (one byte range each, split into pages,
 * decompressed by pqcodec and decoded into a column's definition levels,
 * repetition levels and values), and assembly (levels turned back into
 * one JSON text or one string per row).
 *
 * Every length, count and offset that comes from the file is checked
 * against the bytes actually there before it is used; counts that cost
 * memory without costing bytes (an RLE run can claim a billion levels in
 * five bytes) are bounded by PQ_MAX_VALUES. */
#include "formats/parquet.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "base/le.h"
#include "formats/pqcodec.h"
#include "formats/thrift.h"

/* Level entries one column chunk may decode to.  Real row groups hold a
 * few million values at most; this keeps a hostile file's RLE runs from
 * turning a few bytes into gigabytes of levels and offsets. */
#define PQ_MAX_VALUES ((uint64_t)1 << 25)
/* The largest page, footer or column chunk we will hold in memory, and the
 * most one field of one row group may decode to (levels, values, offsets
 * and JSON text each); real row groups are a fraction of this. */
#define PQ_MAX_BYTES ((uint64_t)1 << 30)
/* Schema nesting: levels are stored as bytes, and assembly recurses. */
#define PQ_MAX_DEPTH 64

enum { T_BOOLEAN, T_INT32, T_INT64, T_INT96, T_FLOAT, T_DOUBLE, T_BYTE_ARRAY, T_FLBA, T_GROUP = -1 };
enum { R_REQUIRED, R_OPTIONAL, R_REPEATED };
enum {
	E_PLAIN = 0,
	E_PLAIN_DICTIONARY = 2,
	E_RLE = 3,
	E_BIT_PACKED = 4,
	E_DELTA_BINARY_PACKED = 5,
	E_DELTA_LENGTH_BYTE_ARRAY = 6,
	E_DELTA_BYTE_ARRAY = 7,
	E_RLE_DICTIONARY = 8,
	E_BYTE_STREAM_SPLIT = 9,
};
enum { P_DATA = 0, P_INDEX = 1, P_DICTIONARY = 2, P_DATA_V2 = 3 };
/* Converted types (the legacy annotation) that we read. */
enum {
	C_UTF8 = 0, C_MAP = 1, C_MAP_KEY_VALUE = 2, C_LIST = 3, C_ENUM = 4, C_DECIMAL = 5,
	C_DATE = 6, C_TIME_MILLIS = 7, C_TIME_MICROS = 8, C_TIMESTAMP_MILLIS = 9,
	C_TIMESTAMP_MICROS = 10, C_UINT_8 = 11, C_UINT_16 = 12, C_UINT_32 = 13, C_UINT_64 = 14,
	C_INT_8 = 15, C_INT_16 = 16, C_INT_32 = 17, C_INT_64 = 18, C_JSON = 19, C_BSON = 20,
	C_INTERVAL = 21,
};
/* Logical types: the union's field ids. */
enum {
	L_NONE = 0, L_STRING = 1, L_MAP = 2, L_LIST = 3, L_ENUM = 4, L_DECIMAL = 5, L_DATE = 6,
	L_TIME = 7, L_TIMESTAMP = 8, L_INTEGER = 10, L_UNKNOWN = 11, L_JSON = 12, L_BSON = 13,
	L_UUID = 14, L_FLOAT16 = 15, L_VARIANT = 16, L_GEOMETRY = 17, L_GEOGRAPHY = 18,
};

/* How a leaf's values are written as JSON (decided once, at open). */
enum vkind {
	V_BOOL, V_I32, V_U32, V_I64, V_U64, V_FLOAT, V_DOUBLE, V_FLOAT16, V_DATE, V_TIME, V_TS,
	V_INT96, V_DEC_I32, V_DEC_I64, V_DEC_BYTES, V_STRING, V_BINARY, V_UUID, V_NULL, V_INTERVAL,
	V_BAD, /* an annotation we cannot honour: reading the column is an error (node.bad says why) */
};
/* How a group is assembled. */
enum gkind { G_STRUCT, G_LIST, G_MAP };

struct node {
	char *name;
	int type; /* physical type, or T_GROUP */
	int32_t type_length;
	int repetition;
	int nchildren;
	int *children; /* node indices */
	int converted, logical;
	int unit;        /* time units: 0 ms, 1 us, 2 ns; -1 when a TIME/TIMESTAMP names none we know */
	int utc;         /* TIMESTAMP/TIME isAdjustedToUTC */
	int bits, is_signed; /* INTEGER's; for V_I32/V_U32 after classify, the range values must fit */
	int32_t scale, precision;
	const char *bad;       /* V_BAD: why the column cannot be read */
	int parent;            /* node index, -1 for the root */
	/* derived */
	int def, rep;          /* max levels at this node */
	int leaf;              /* leaf column index, -1 for groups */
	int leaf_lo, leaf_hi;  /* leaves under this node */
	enum vkind vk;
	enum gkind gk;
	int rep_child;         /* G_LIST/G_MAP: the repeated child */
	int elem;              /* G_LIST: the element node (the repeated child itself for 2-level lists) */
	int string_keys;       /* G_MAP: keys are strings, so the map is a JSON object */
};

struct chunk_meta {
	int type, codec;
	int has_path; /* stored in another file: unsupported */
	int64_t num_values, total_compressed;
	int64_t data_off, dict_off;
	int has_dict;
};

/* One leaf column's decoded row group: levels and values. */
struct col {
	int leaf;
	uint8_t *def, *rep;
	size_t nlev, levcap;
	int width;          /* bytes per value; 0 for BYTE_ARRAY */
	struct buf vals;    /* fixed-width values, or BYTE_ARRAY bytes */
	uint64_t *voff;     /* BYTE_ARRAY: nval + 1 offsets into vals */
	size_t voffcap;
	size_t nval;
	struct buf dict;    /* the dictionary, stored the same way */
	uint64_t *doff;
	size_t doffcap, ndict;
	int has_dict;
	size_t li, vi;      /* assembly cursors */
};

struct field_state {
	struct col *cols;
	int ncols;
	struct buf text;    /* JSON cells */
	uint64_t *offsets;
	size_t offcap;
	uint8_t *is_null;
	size_t nullcap;
};

struct pq_file {
	struct pq_source src;
	char *name;
	int nnodes;
	struct node *nodes;
	int nleaves;
	int *leaf_node; /* leaf index -> node index */
	int nfields;
	int *fields;    /* top-level node indices */
	char **field_types;
	int64_t num_rows;
	int nrg;
	int64_t *rg_rows;
	struct chunk_meta *chunks; /* nrg * nleaves */
	char *created_by;
	struct field_state *fs;   /* per top-level field, made on first read */
	/* scratch reused from chunk to chunk */
	struct buf chunk, page;
	uint32_t *idx;
	int64_t *tmp64;
	size_t tmp64cap;
	struct pq_codec_ctx *codec;
};

/* ---- sources ------------------------------------------------------------ */

struct path_src {
	int fd;
	char *name;
};

struct mem_src {
	const uint8_t *data;
	size_t len;
};

static int path_read_at(void *ctx, uint64_t off, void *buf, size_t len, char *err, size_t errn)
{
	struct path_src *p = ctx;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(p->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errorf(err, errn, "%s: read at byte %" PRIu64 ": %s", p->name, off + done,
			              strerror(errno));
		if (n == 0)
			return errorf(err, errn, "%s: unexpected end of file at byte %" PRIu64, p->name, off + done);
		done += (size_t)n;
	}
	return 0;
}

static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len, char *err, size_t errn)
{
	struct mem_src *m = ctx;
	if (off > m->len || len > m->len - off)
		return errorf(err, errn, "read past the end of the data (byte %" PRIu64 ")", off);
	if (len)
		memcpy(buf, m->data + off, len);
	return 0;
}

int pq_open_path(struct pq_source *out, const char *path, char *err, size_t errn)
{
	return pq_open_path_as(out, path, path, err, errn);
}

int pq_open_path_as(struct pq_source *out, const char *path, const char *name, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errorf(err, errn, "%s: %s", name, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		errorf(err, errn, "%s: %s", name, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		close(fd);
		return -1;
	}
	struct path_src *p = xmalloc(sizeof *p);
	p->fd = fd;
	p->name = xstrdup(name);
	out->ctx = p;
	out->read_at = path_read_at;
	out->close = NULL;
	out->will_need = NULL;
	out->size = (uint64_t)st.st_size;
	out->name = p->name;
	return 0;
}

void pq_source_memory(struct pq_source *out, const void *data, size_t len, const char *name)
{
	struct mem_src *m = xmalloc(sizeof *m);
	m->data = data;
	m->len = len;
	out->ctx = m;
	out->read_at = mem_read_at;
	out->close = NULL;
	out->will_need = NULL;
	out->size = len;
	out->name = name;
}

void pq_source_close(struct pq_source *src)
{
	if (!src || !src->ctx)
		return;
	if (src->read_at == path_read_at) {
		struct path_src *p = src->ctx;
		close(p->fd);
		free(p->name);
	}
	if (src->read_at == path_read_at || src->read_at == mem_read_at)
		free(src->ctx);
	else if (src->close)
		src->close(src->ctx);
	src->ctx = NULL;
}

/* ---- footer ------------------------------------------------------------- */

/* Reads an i32 field value, or skips a field of another type (then -1). */
static int64_t thr_int_field(struct thr *t, int type, int64_t dflt)
{
	if (type == THR_I32 || type == THR_I64 || type == THR_I16)
		return thr_varint_zz(t);
	if (type == THR_I8)
		return thr_i8(t);
	thr_skip(t, type);
	return dflt;
}

static char *thr_string_field(struct thr *t, int type)
{
	if (type != THR_BINARY) {
		thr_skip(t, type);
		return NULL;
	}
	size_t n;
	const uint8_t *s = thr_binary(t, &n);
	if (t->error)
		return NULL;
	return xstrndup((const char *)s, n);
}

/* TimeUnit is a union of empty structs: 1 MILLIS, 2 MICROS, 3 NANOS;
 * -1 for one we do not know (a newer unit must not read as microseconds). */
static int parse_time_unit(struct thr *t)
{
	int unit = -1;
	if (thr_enter(t))
		return unit;
	int16_t last = 0;
	int id, type;
	while (thr_field(t, &last, &id, &type)) {
		if (id >= 1 && id <= 3 && type == THR_STRUCT)
			unit = id - 1;
		thr_skip(t, type);
	}
	thr_leave(t);
	return unit;
}

static void parse_logical(struct thr *t, struct node *n)
{
	if (thr_enter(t))
		return;
	int16_t last = 0;
	int id, type;
	while (thr_field(t, &last, &id, &type)) {
		if (type != THR_STRUCT) {
			thr_skip(t, type);
			continue;
		}
		n->logical = id;
		if (id != L_DECIMAL && id != L_TIME && id != L_TIMESTAMP && id != L_INTEGER) {
			thr_skip(t, type);
			continue;
		}
		if (id == L_TIME || id == L_TIMESTAMP)
			n->unit = -1; /* until the struct names one */
		if (thr_enter(t))
			break;
		int16_t l2 = 0;
		int id2, t2;
		while (thr_field(t, &l2, &id2, &t2)) {
			if (id == L_DECIMAL && id2 == 1)
				n->scale = (int32_t)thr_int_field(t, t2, 0);
			else if (id == L_DECIMAL && id2 == 2)
				n->precision = (int32_t)thr_int_field(t, t2, 0);
			else if ((id == L_TIME || id == L_TIMESTAMP) && id2 == 1 && (t2 == THR_TRUE || t2 == THR_FALSE))
				n->utc = t2 == THR_TRUE;
			else if ((id == L_TIME || id == L_TIMESTAMP) && id2 == 2 && t2 == THR_STRUCT)
				n->unit = parse_time_unit(t);
			else if (id == L_INTEGER && id2 == 1)
				n->bits = (int)thr_int_field(t, t2, 0);
			else if (id == L_INTEGER && id2 == 2 && (t2 == THR_TRUE || t2 == THR_FALSE))
				n->is_signed = t2 == THR_TRUE;
			else
				thr_skip(t, t2);
		}
		thr_leave(t);
	}
	thr_leave(t);
}

static void parse_schema_element(struct thr *t, struct node *n)
{
	memset(n, 0, sizeof *n);
	n->type = T_GROUP;
	n->converted = -1;
	n->leaf = -1;
	n->unit = 1;
	n->is_signed = 1;
	if (thr_enter(t))
		return;
	int16_t last = 0;
	int id, type;
	int has_type = 0;
	while (thr_field(t, &last, &id, &type)) {
		switch (id) {
		case 1: n->type = (int)thr_int_field(t, type, T_GROUP); has_type = 1; break;
		case 2: n->type_length = (int32_t)thr_int_field(t, type, 0); break;
		case 3: n->repetition = (int)thr_int_field(t, type, R_REQUIRED); break;
		case 4: free(n->name); n->name = thr_string_field(t, type); break;
		case 5: n->nchildren = (int)thr_int_field(t, type, 0); break;
		case 6: n->converted = (int)thr_int_field(t, type, -1); break;
		case 7: n->scale = (int32_t)thr_int_field(t, type, 0); break;
		case 8: n->precision = (int32_t)thr_int_field(t, type, 0); break;
		case 10:
			if (type == THR_STRUCT)
				parse_logical(t, n);
			else
				thr_skip(t, type);
			break;
		default: thr_skip(t, type); break;
		}
	}
	thr_leave(t);
	if (!has_type || n->nchildren > 0)
		n->type = T_GROUP;
	if (!n->name)
		n->name = xstrdup("");
}

static void parse_column_meta(struct thr *t, struct chunk_meta *c)
{
	if (thr_enter(t))
		return;
	int16_t last = 0;
	int id, type;
	while (thr_field(t, &last, &id, &type)) {
		switch (id) {
		case 1: c->type = (int)thr_int_field(t, type, -1); break;
		case 4: c->codec = (int)thr_int_field(t, type, -1); break;
		case 5: c->num_values = thr_int_field(t, type, -1); break;
		case 7: c->total_compressed = thr_int_field(t, type, -1); break;
		case 9: c->data_off = thr_int_field(t, type, -1); break;
		case 11: c->dict_off = thr_int_field(t, type, -1); c->has_dict = 1; break;
		default: thr_skip(t, type); break;
		}
	}
	thr_leave(t);
}

static void parse_column_chunk(struct thr *t, struct chunk_meta *c)
{
	memset(c, 0, sizeof *c);
	c->type = c->codec = -1;
	c->num_values = c->total_compressed = c->data_off = -1;
	if (thr_enter(t))
		return;
	int16_t last = 0;
	int id, type;
	while (thr_field(t, &last, &id, &type)) {
		if (id == 1 && type == THR_BINARY) {
			c->has_path = 1;
			thr_skip(t, type);
		} else if (id == 3 && type == THR_STRUCT) {
			parse_column_meta(t, c);
		} else {
			thr_skip(t, type);
		}
	}
	thr_leave(t);
}

/* One RowGroup: its columns go to f->chunks at row group index f->nrg. */
static int parse_row_group(struct thr *t, struct pq_file *f, size_t *chunkcap, char *why, size_t whyn)
{
	if (thr_enter(t))
		return -1;
	int16_t last = 0;
	int id, type;
	int64_t rows = -1;
	int ncols = -1;
	while (thr_field(t, &last, &id, &type)) {
		if (id == 1 && type == THR_LIST) {
			int et;
			size_t n = thr_list(t, &et);
			if (t->error)
				break;
			if (et != THR_STRUCT || n != (size_t)f->nleaves) {
				snprintf(why, whyn, "row group %d has %zu columns, the schema %d", f->nrg, n, f->nleaves);
				return -1;
			}
			size_t need = (size_t)(f->nrg + 1) * (size_t)f->nleaves;
			if (need > *chunkcap) {
				*chunkcap = need * 2;
				f->chunks = xrealloc(f->chunks, *chunkcap * sizeof *f->chunks);
			}
			for (size_t i = 0; i < n; i++)
				parse_column_chunk(t, &f->chunks[(size_t)f->nrg * (size_t)f->nleaves + i]);
			ncols = (int)n;
		} else if (id == 3) {
			rows = thr_int_field(t, type, -1);
		} else {
			thr_skip(t, type);
		}
	}
	thr_leave(t);
	if (t->error)
		return -1;
	if (ncols < 0 && f->nleaves > 0) {
		snprintf(why, whyn, "row group %d lists no columns", f->nrg);
		return -1;
	}
	if (rows < 0) {
		snprintf(why, whyn, "row group %d has no row count", f->nrg);
		return -1;
	}
	f->rg_rows[f->nrg] = rows;
	f->nrg++;
	return 0;
}

/* Builds the subtree at nodes[*next] (pre-order), setting levels and leaves. */
static int build_tree(struct pq_file *f, int *next, int parent_def, int parent_rep, int depth,
                      char *why, size_t whyn)
{
	if (*next >= f->nnodes) {
		snprintf(why, whyn, "schema groups claim more fields than the schema has");
		return -1;
	}
	int me = (*next)++;
	struct node *n = &f->nodes[me];
	if (depth > PQ_MAX_DEPTH) {
		snprintf(why, whyn, "schema nested deeper than %d", PQ_MAX_DEPTH);
		return -1;
	}
	if (n->repetition < R_REQUIRED || n->repetition > R_REPEATED) {
		snprintf(why, whyn, "schema element %s has repetition %d", n->name, n->repetition);
		return -1;
	}
	n->def = parent_def + (depth > 0 && n->repetition != R_REQUIRED);
	n->rep = parent_rep + (depth > 0 && n->repetition == R_REPEATED);
	n->leaf_lo = f->nleaves;
	if (n->type != T_GROUP) {
		if (n->type < T_BOOLEAN || n->type > T_FLBA) {
			snprintf(why, whyn, "column %s has unknown physical type %d", n->name, n->type);
			return -1;
		}
		if (n->type == T_FLBA && (n->type_length <= 0 || n->type_length > (1 << 20))) {
			snprintf(why, whyn, "column %s has fixed length %d", n->name, (int)n->type_length);
			return -1;
		}
		n->leaf = f->nleaves++;
		n->leaf_hi = f->nleaves;
		return 0;
	}
	if (n->nchildren <= 0 && depth > 0) {
		snprintf(why, whyn, "group %s has no fields", n->name);
		return -1;
	}
	if (n->nchildren < 0 || n->nchildren > f->nnodes - *next) {
		snprintf(why, whyn, "group %s claims %d fields, the schema has %d elements left", n->name,
		         n->nchildren, f->nnodes - *next);
		return -1;
	}
	n->children = xmalloc((size_t)(n->nchildren ? n->nchildren : 1) * sizeof(int));
	for (int i = 0; i < n->nchildren; i++) {
		n->children[i] = *next;
		if (*next < f->nnodes)
			f->nodes[*next].parent = me;
		if (build_tree(f, next, n->def, n->rep, depth + 1, why, whyn))
			return -1;
	}
	n = &f->nodes[me];
	n->leaf_hi = f->nleaves;
	if (n->leaf_hi == n->leaf_lo && depth > 0) {
		snprintf(why, whyn, "group %s has no columns", n->name);
		return -1;
	}
	return 0;
}

static int is_string_leaf(const struct node *n)
{
	return n->type == T_BYTE_ARRAY &&
	       (n->logical == L_STRING || n->logical == L_ENUM || n->logical == L_JSON ||
	        n->converted == C_UTF8 || n->converted == C_ENUM || n->converted == C_JSON);
}

/* Decides how leaf n's values are written.  An annotation that does not
 * fit the physical type (a DATE on INT64, a TIMESTAMP on INT32), or one we
 * do not know, makes the column V_BAD: reading it is an error, because
 * reading the bare physical value instead would print a plausible wrong
 * one.  Where the format leaves no doubt about the stored value (a UUID on
 * a 12-byte array, a string annotation on FIXED_LEN_BYTE_ARRAY, geometry
 * as WKB) the bytes themselves are printed. */
static void classify_leaf(struct node *n)
{
	int lt = n->logical, ct = n->converted;
	int t = n->type;
	n->vk = V_BINARY;
	/* Unknown annotations first: a newer writer's type is not a number.
	 * (9 is unused, once meant for INTERVAL; VARIANT annotates groups.) */
	if (lt != L_NONE && (lt > L_GEOGRAPHY || lt == 9 || lt == L_VARIANT)) {
		n->vk = V_BAD;
		n->bad = "unsupported logical type";
		return;
	}
	if (lt == L_NONE && ct > C_INTERVAL) {
		n->vk = V_BAD;
		n->bad = "unsupported converted type";
		return;
	}
	if (lt == L_MAP || lt == L_LIST)
		lt = L_NONE; /* a nested annotation on a leaf says nothing of its values */
	if (lt == L_NONE && (ct == C_MAP || ct == C_MAP_KEY_VALUE || ct == C_LIST))
		ct = -1;
	int annotated = lt != L_NONE || ct >= 0;
	switch (t) {
	case T_BOOLEAN:
	case T_FLOAT:
	case T_DOUBLE:
	case T_INT96:
		n->vk = t == T_BOOLEAN ? V_BOOL : t == T_FLOAT ? V_FLOAT : t == T_DOUBLE ? V_DOUBLE : V_INT96;
		if (lt == L_UNKNOWN)
			n->vk = V_NULL;
		else if (annotated)
			n->bad = "annotation does not apply to its physical type";
		break;
	case T_INT32:
	case T_INT64: {
		int wide = t == T_INT64;
		n->vk = wide ? V_I64 : V_I32;
		if (lt == L_DATE || (lt == L_NONE && ct == C_DATE)) {
			n->vk = V_DATE;
			if (wide)
				n->bad = "DATE on INT64";
		} else if (lt == L_DECIMAL || (lt == L_NONE && ct == C_DECIMAL)) {
			n->vk = wide ? V_DEC_I64 : V_DEC_I32;
		} else if (lt == L_TIMESTAMP) {
			n->vk = V_TS;
			if (!wide)
				n->bad = "TIMESTAMP on INT32";
		} else if (lt == L_NONE && (ct == C_TIMESTAMP_MILLIS || ct == C_TIMESTAMP_MICROS)) {
			n->vk = V_TS;
			n->unit = ct == C_TIMESTAMP_MILLIS ? 0 : 1;
			n->utc = 1;
			if (!wide)
				n->bad = "TIMESTAMP on INT32";
		} else if (lt == L_TIME) {
			n->vk = V_TIME;
			if (n->unit >= 0 && wide != (n->unit > 0))
				n->bad = n->unit ? "TIME in micro- or nanoseconds on INT32" : "TIME in milliseconds on INT64";
		} else if (lt == L_NONE && (ct == C_TIME_MILLIS || ct == C_TIME_MICROS)) {
			n->vk = V_TIME;
			n->unit = ct == C_TIME_MILLIS ? 0 : 1;
			if (wide != (n->unit > 0))
				n->bad = n->unit ? "TIME_MICROS on INT32" : "TIME_MILLIS on INT64";
		} else if (lt == L_INTEGER) {
			if (n->bits != 8 && n->bits != 16 && n->bits != 32 && n->bits != 64)
				n->bad = "INTEGER of a bit width other than 8, 16, 32 or 64";
			else if ((n->bits == 64) != wide)
				n->bad = wide ? "INTEGER narrower than 64 bits on INT64" : "INTEGER(64) on INT32";
			if (!n->is_signed)
				n->vk = wide ? V_U64 : V_U32;
		} else if (lt == L_UNKNOWN) {
			n->vk = V_NULL;
		} else if (lt == L_NONE && ct >= C_UINT_8 && ct <= C_INT_64) {
			static const int bits[] = {8, 16, 32, 64, 8, 16, 32, 64};
			n->bits = bits[ct - C_UINT_8];
			n->is_signed = ct >= C_INT_8;
			if ((n->bits == 64) != wide)
				n->bad = "integer annotation of another width than its physical type";
			if (!n->is_signed)
				n->vk = wide ? V_U64 : V_U32;
		} else if (annotated) {
			n->bad = "annotation does not apply to its physical type";
		}
		if (!n->bits)
			n->bits = wide ? 64 : 32;
		if ((n->vk == V_TS || n->vk == V_TIME) && n->unit < 0)
			n->bad = "unsupported time unit";
		break;
	}
	case T_BYTE_ARRAY:
	case T_FLBA:
		if (lt == L_DECIMAL || (lt == L_NONE && ct == C_DECIMAL))
			n->vk = V_DEC_BYTES;
		else if (t == T_BYTE_ARRAY && is_string_leaf(n))
			n->vk = V_STRING;
		else if (lt == L_UUID && t == T_FLBA && n->type_length == 16)
			n->vk = V_UUID;
		else if (lt == L_FLOAT16 && t == T_FLBA && n->type_length == 2)
			n->vk = V_FLOAT16;
		else if (lt == L_NONE && ct == C_INTERVAL && t == T_FLBA && n->type_length == 12)
			n->vk = V_INTERVAL;
		else if (lt == L_UNKNOWN)
			n->vk = V_NULL;
		else if (lt == L_NONE && ct == C_INTERVAL)
			n->bad = "INTERVAL not on a 12-byte FIXED_LEN_BYTE_ARRAY";
		else if (lt == L_DATE || lt == L_TIME || lt == L_TIMESTAMP || lt == L_INTEGER ||
		         (lt == L_NONE && ct >= C_DATE && ct <= C_INT_64 && ct != C_DECIMAL))
			n->bad = "annotation does not apply to its physical type";
		break;
	}
	if (n->bad)
		n->vk = V_BAD;
}

/* Decides how each node is written, following the spec's rules for LIST
 * and MAP, including the legacy two-level forms. */
static void classify(struct pq_file *f)
{
	for (int i = 0; i < f->nnodes; i++) {
		struct node *n = &f->nodes[i];
		if (n->type == T_GROUP) {
			n->gk = G_STRUCT;
			/* A group annotated with a type we do not read (VARIANT's
			 * encoded metadata and value, or a newer one) would print as a
			 * struct of its encoding, not as its value. */
			if (n->logical != L_NONE && n->logical != L_LIST && n->logical != L_MAP)
				n->bad = "unsupported logical type of a group";
			int is_list = n->logical == L_LIST || n->converted == C_LIST;
			int is_map = n->logical == L_MAP || n->converted == C_MAP || n->converted == C_MAP_KEY_VALUE;
			if ((is_list || is_map) && n->nchildren == 1 &&
			    f->nodes[n->children[0]].repetition == R_REPEATED) {
				int r = n->children[0];
				struct node *rn = &f->nodes[r];
				n->rep_child = r;
				if (is_list) {
					n->gk = G_LIST;
					size_t nl = strlen(n->name);
					int tuple = strlen(rn->name) == nl + 6 && !strncmp(rn->name, n->name, nl) &&
					            !strcmp(rn->name + nl, "_tuple");
					if (rn->type != T_GROUP || rn->nchildren != 1 || !strcmp(rn->name, "array") || tuple ||
					    f->nodes[rn->children[0]].repetition == R_REPEATED)
						n->elem = r;
					else
						n->elem = rn->children[0];
				} else if (rn->type == T_GROUP && (rn->nchildren == 1 || rn->nchildren == 2)) {
					n->gk = G_MAP;
					const struct node *k = &f->nodes[rn->children[0]];
					n->string_keys = k->type != T_GROUP && k->repetition != R_REPEATED && is_string_leaf(k);
				}
			}
			continue;
		}
		classify_leaf(n);
		/* (refused when read, as the other annotations we cannot honour,
		 * so that the file's other columns stay readable) */
		if ((n->vk == V_DEC_I32 || n->vk == V_DEC_I64 || n->vk == V_DEC_BYTES) &&
		    (n->scale < 0 || n->scale > 1000 || n->precision < 0)) {
			n->vk = V_BAD;
			n->bad = "DECIMAL of a negative precision, or a scale outside 0..1000";
		}
		if (n->vk == V_DEC_BYTES && n->type == T_FLBA && n->type_length > 64) {
			n->vk = V_BAD;
			n->bad = "DECIMAL wider than the 64 bytes this reader reads";
		}
	}
}

static void type_name(const struct pq_file *f, int i, struct buf *b);

static void leaf_type_name(const struct node *n, struct buf *b)
{
	static const char *units[] = {"ms", "us", "ns"};
	switch (n->vk) {
	case V_BOOL: buf_adds(b, "bool"); return;
	case V_I32:
	case V_I64:
	case V_U32:
	case V_U64: buf_printf(b, "%sint%d", n->vk == V_U32 || n->vk == V_U64 ? "u" : "", n->bits); return;
	case V_FLOAT: buf_adds(b, "float"); return;
	case V_DOUBLE: buf_adds(b, "double"); return;
	case V_FLOAT16: buf_adds(b, "float16"); return;
	case V_DATE: buf_adds(b, "date"); return;
	case V_TIME: buf_printf(b, "time[%s%s]", units[n->unit], n->utc ? ", UTC" : ""); return;
	case V_TS: buf_printf(b, "timestamp[%s%s]", units[n->unit], n->utc ? ", UTC" : ""); return;
	case V_INT96: buf_adds(b, "timestamp[ns]"); return;
	case V_DEC_I32:
	case V_DEC_I64:
	case V_DEC_BYTES: buf_printf(b, "decimal(%d,%d)", (int)n->precision, (int)n->scale); return;
	case V_STRING:
		buf_adds(b, n->logical == L_JSON || n->converted == C_JSON ? "json" : "string");
		return;
	case V_UUID: buf_adds(b, "uuid"); return;
	case V_NULL: buf_adds(b, "null"); return;
	case V_INTERVAL: buf_adds(b, "interval"); return;
	case V_BAD: buf_adds(b, "unsupported"); return;
	case V_BINARY:
		if (n->type == T_FLBA)
			buf_printf(b, "fixed_size_binary[%d]", (int)n->type_length);
		else
			buf_adds(b, "binary");
		return;
	}
}

/* The type of node i as a value (its repetition aside). */
static void body_type_name(const struct pq_file *f, int i, struct buf *b)
{
	const struct node *n = &f->nodes[i];
	if (n->type != T_GROUP) {
		leaf_type_name(n, b);
		return;
	}
	if (n->bad) {
		buf_adds(b, "unsupported");
		return;
	}
	if (n->gk == G_LIST) {
		buf_adds(b, "list<");
		if (n->elem == n->rep_child)
			body_type_name(f, n->elem, b);
		else
			type_name(f, n->elem, b);
		buf_adds(b, ">");
		return;
	}
	if (n->gk == G_MAP) {
		const struct node *kv = &f->nodes[n->rep_child];
		buf_adds(b, "map<");
		type_name(f, kv->children[0], b);
		buf_adds(b, ", ");
		if (kv->nchildren > 1)
			type_name(f, kv->children[1], b);
		else
			buf_adds(b, "null");
		buf_adds(b, ">");
		return;
	}
	buf_adds(b, "struct<");
	for (int c = 0; c < n->nchildren; c++) {
		if (c)
			buf_adds(b, ", ");
		buf_adds(b, f->nodes[n->children[c]].name);
		buf_adds(b, ": ");
		type_name(f, n->children[c], b);
	}
	buf_adds(b, ">");
}

static void type_name(const struct pq_file *f, int i, struct buf *b)
{
	if (f->nodes[i].repetition == R_REPEATED) {
		buf_adds(b, "list<");
		body_type_name(f, i, b);
		buf_adds(b, ">");
	} else {
		body_type_name(f, i, b);
	}
}

static int parse_footer(struct pq_file *f, const uint8_t *meta, size_t len, char *why, size_t whyn)
{
	struct thr t;
	thr_init(&t, meta, len);
	int16_t last = 0;
	int id, type;
	int have_schema = 0, have_rows = 0;
	size_t chunkcap = 0;
	if (thr_enter(&t))
		return -1;
	while (thr_field(&t, &last, &id, &type)) {
		if (id == 2 && type == THR_LIST && !have_schema) {
			int et;
			size_t n = thr_list(&t, &et);
			if (t.error)
				break;
			if (et != THR_STRUCT || n == 0) {
				snprintf(why, whyn, "footer has an empty or malformed schema");
				return -1;
			}
			if (n > INT32_MAX / 2) {
				snprintf(why, whyn, "schema too large");
				return -1;
			}
			f->nodes = xcalloc(n, sizeof *f->nodes);
			f->nnodes = (int)n;
			for (size_t i = 0; i < n; i++)
				parse_schema_element(&t, &f->nodes[i]);
			if (t.error)
				break;
			int next = 0;
			f->nodes[0].repetition = R_REQUIRED;
			f->nodes[0].type = T_GROUP;
			f->nodes[0].parent = -1;
			if (build_tree(f, &next, 0, 0, 0, why, whyn))
				return -1;
			if (next != f->nnodes) {
				snprintf(why, whyn, "schema has %d elements outside its tree", f->nnodes - next);
				return -1;
			}
			have_schema = 1;
		} else if (id == 3) {
			f->num_rows = thr_int_field(&t, type, -1);
			have_rows = 1;
		} else if (id == 4 && type == THR_LIST && !f->rg_rows) { /* a repeated list is skipped */
			if (!have_schema) {
				snprintf(why, whyn, "footer lists row groups before the schema");
				return -1;
			}
			int et;
			size_t n = thr_list(&t, &et);
			if (t.error)
				break;
			if (et != THR_STRUCT && n) {
				snprintf(why, whyn, "footer has malformed row groups");
				return -1;
			}
			if (n > INT32_MAX / 2) {
				snprintf(why, whyn, "too many row groups");
				return -1;
			}
			f->rg_rows = xcalloc(n ? n : 1, sizeof *f->rg_rows);
			for (size_t i = 0; i < n; i++)
				if (parse_row_group(&t, f, &chunkcap, why, whyn)) {
					if (t.error)
						break;
					return -1;
				}
		} else if (id == 6 && type == THR_BINARY) {
			free(f->created_by);
			f->created_by = thr_string_field(&t, type);
		} else {
			thr_skip(&t, type);
		}
	}
	thr_leave(&t);
	if (t.error) {
		snprintf(why, whyn, "footer: %s", t.error);
		return -1;
	}
	if (!have_schema || !have_rows) {
		snprintf(why, whyn, "footer has no %s", have_schema ? "row count" : "schema");
		return -1;
	}
	if (f->num_rows < 0) {
		snprintf(why, whyn, "footer has a negative row count");
		return -1;
	}
	return 0;
}

struct pq_file *pq_open(const struct pq_source *src, char *err, size_t errn)
{
	const char *name = src->name ? src->name : "parquet";
	uint8_t tail[8];
	char why[256];
	if (src->size < 12) {
		errorf(err, errn, "%s: not a parquet file (%" PRIu64 " bytes, too short)", name, src->size);
		return NULL;
	}
	if (src->read_at(src->ctx, src->size - 8, tail, 8, err, errn))
		return NULL;
	if (memcmp(tail + 4, "PAR1", 4)) {
		/* Only on this failure path is the head read: a file that starts
		 * as parquet but does not end as one was most likely cut short. */
		uint8_t head[4];
		int starts = !memcmp(tail + 4, "PARE", 4) ? 0
		             : src->read_at(src->ctx, 0, head, 4, err, errn) == 0 && !memcmp(head, "PAR1", 4);
		errorf(err, errn, "%s: %s", name,
		       !memcmp(tail + 4, "PARE", 4) ? "encrypted parquet files are not supported"
		       : starts ? "truncated parquet file (no PAR1 magic at the end)"
		                : "not a parquet file (no PAR1 magic at the end)");
		return NULL;
	}
	uint32_t mlen = le_get32(tail);
	if (mlen == 0 || (uint64_t)mlen > src->size - 12 || mlen > PQ_MAX_BYTES) {
		errorf(err, errn, "%s: footer length %" PRIu32 " does not fit in a file of %" PRIu64 " bytes",
		       name, mlen, src->size);
		return NULL;
	}
	uint8_t *meta = xmalloc(mlen);
	if (src->read_at(src->ctx, src->size - 8 - mlen, meta, mlen, err, errn)) {
		free(meta);
		return NULL;
	}
	struct pq_file *f = xcalloc(1, sizeof *f);
	f->src = *src;
	f->name = xstrdup(name);
	int rc = parse_footer(f, meta, mlen, why, sizeof why);
	free(meta);
	if (!rc)
		classify(f);
	if (rc) {
		errorf(err, errn, "%s: %s", name, why);
		pq_close(f);
		return NULL;
	}
	f->leaf_node = xmalloc((size_t)(f->nleaves ? f->nleaves : 1) * sizeof(int));
	for (int i = 0; i < f->nnodes; i++)
		if (f->nodes[i].leaf >= 0)
			f->leaf_node[f->nodes[i].leaf] = i;
	struct node *root = &f->nodes[0];
	f->nfields = root->nchildren;
	f->fields = root->children;
	f->field_types = xcalloc((size_t)(f->nfields ? f->nfields : 1), sizeof(char *));
	f->fs = xcalloc((size_t)(f->nfields ? f->nfields : 1), sizeof *f->fs);
	for (int i = 0; i < f->nfields; i++) {
		struct buf b = {0};
		type_name(f, f->fields[i], &b);
		buf_addc(&b, 0);
		f->field_types[i] = b.data;
	}
	if (!f->rg_rows)
		f->rg_rows = xcalloc(1, sizeof *f->rg_rows);
	for (int rg = 0; rg < f->nrg; rg++)
		for (int l = 0; l < f->nleaves; l++) {
			const struct chunk_meta *c = &f->chunks[(size_t)rg * (size_t)f->nleaves + (size_t)l];
			const struct node *n = &f->nodes[f->leaf_node[l]];
			if (c->type != n->type && c->type != -1) {
				errorf(err, errn, "%s: column %s: row group %d says type %d, the schema %d", name,
				       n->name, rg, c->type, n->type);
				pq_close(f);
				return NULL;
			}
		}
	f->codec = pq_codec_new();
	return f;
}

static void free_col(struct col *c)
{
	free(c->def);
	free(c->rep);
	buf_free(&c->vals);
	free(c->voff);
	buf_free(&c->dict);
	free(c->doff);
}

void pq_close(struct pq_file *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->nfields && f->fs; i++) {
		struct field_state *s = &f->fs[i];
		for (int c = 0; c < s->ncols; c++)
			free_col(&s->cols[c]);
		free(s->cols);
		buf_free(&s->text);
		free(s->offsets);
		free(s->is_null);
	}
	free(f->fs);
	if (f->field_types)
		for (int i = 0; i < f->nfields; i++)
			free(f->field_types[i]);
	free(f->field_types);
	for (int i = 0; i < f->nnodes; i++) {
		free(f->nodes[i].name);
		free(f->nodes[i].children);
	}
	free(f->nodes);
	free(f->leaf_node);
	free(f->rg_rows);
	free(f->chunks);
	free(f->created_by);
	free(f->name);
	buf_free(&f->chunk);
	buf_free(&f->page);
	free(f->idx);
	free(f->tmp64);
	pq_codec_free(f->codec);
	free(f);
}

int64_t pq_num_rows(const struct pq_file *f) { return f->num_rows; }
int pq_num_row_groups(const struct pq_file *f) { return f->nrg; }
int64_t pq_row_group_rows(const struct pq_file *f, int rg)
{
	return rg >= 0 && rg < f->nrg ? f->rg_rows[rg] : -1;
}
int pq_num_fields(const struct pq_file *f) { return f->nfields; }
const char *pq_field_name(const struct pq_file *f, int i)
{
	return i >= 0 && i < f->nfields ? f->nodes[f->fields[i]].name : NULL;
}
const char *pq_field_type(const struct pq_file *f, int i)
{
	return i >= 0 && i < f->nfields ? f->field_types[i] : NULL;
}
int pq_field_index(const struct pq_file *f, const char *name)
{
	for (int i = 0; i < f->nfields; i++)
		if (!strcmp(f->nodes[f->fields[i]].name, name))
			return i;
	return -1;
}
const char *pq_created_by(const struct pq_file *f) { return f->created_by ? f->created_by : ""; }

/* The byte range a chunk claims: its dictionary page (when it has one
 * before the data pages) through the end of its compressed pages. */
static struct pq_range chunk_range(const struct chunk_meta *c)
{
	struct pq_range r;
	int64_t start = c->data_off;
	if (c->has_dict && c->dict_off > 0 && c->dict_off < start)
		start = c->dict_off;
	r.offset = start < 0 ? 0 : (uint64_t)start;
	r.length = c->total_compressed < 0 ? 0 : (uint64_t)c->total_compressed;
	return r;
}

int pq_field_ranges(const struct pq_file *f, int rg, int field, struct pq_range *out, int max)
{
	if (rg < 0 || rg >= f->nrg || field < 0 || field >= f->nfields)
		return -1;
	const struct node *n = &f->nodes[f->fields[field]];
	int k = 0;
	for (int l = n->leaf_lo; l < n->leaf_hi; l++, k++)
		if (k < max)
			out[k] = chunk_range(&f->chunks[(size_t)rg * (size_t)f->nleaves + (size_t)l]);
	return k;
}

enum pq_cell_kind pq_field_kind(const struct pq_file *f, int field)
{
	const struct node *n = &f->nodes[f->fields[field]];
	if (n->type == T_GROUP || n->repetition == R_REPEATED)
		return PQ_CELLS_JSON;
	if (n->vk == V_STRING)
		return PQ_CELLS_STRING;
	if (n->vk == V_BINARY)
		return PQ_CELLS_BINARY;
	return PQ_CELLS_JSON;
}

/* ---- decoding: bit unpacking and the RLE/bit-packed hybrid -------------- */

/* Up to 8 bytes at p as a little-endian number, zero past end. */
static inline uint64_t load64(const uint8_t *p, const uint8_t *end)
{
	uint64_t v = 0;
	if (end - p >= 8) {
		memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		v = __builtin_bswap64(v);
#endif
		return v;
	}
	for (int i = 0; p + i < end; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* bw (0..64) bits at bit position pos of base (the caller has checked
 * that they lie before end). */
static inline uint64_t getbits(const uint8_t *base, const uint8_t *end, uint64_t pos, int bw)
{
	if (!bw)
		return 0;
	const uint8_t *p = base + (pos >> 3);
	int sh = (int)(pos & 7);
	uint64_t v = load64(p, end) >> sh;
	if (bw + sh > 64)
		v |= (uint64_t)(p + 8 < end ? p[8] : 0) << (64 - sh);
	return bw == 64 ? v : v & (((uint64_t)1 << bw) - 1);
}

struct rle {
	const uint8_t *p, *end;
	int bw;
	uint32_t value;      /* current RLE run */
	uint64_t rle_left;
	const uint8_t *bp;   /* current bit-packed run */
	const uint8_t *bp_end;
	uint64_t bp_left, bp_pos;
};

static void rle_init(struct rle *r, const uint8_t *p, const uint8_t *end, int bw)
{
	memset(r, 0, sizeof *r);
	r->p = p;
	r->end = end;
	r->bw = bw;
}

/* Up to max values into out; 0 when the data is used up or damaged. */
static size_t rle_next(struct rle *r, uint32_t *out, size_t max)
{
	size_t got = 0;
	while (got < max) {
		if (r->rle_left) {
			size_t k = r->rle_left < max - got ? (size_t)r->rle_left : max - got;
			for (size_t i = 0; i < k; i++)
				out[got + i] = r->value;
			got += k;
			r->rle_left -= k;
			continue;
		}
		if (r->bp_left) {
			size_t k = r->bp_left < max - got ? (size_t)r->bp_left : max - got;
			uint64_t mask = ((uint64_t)1 << r->bw) - 1;
			uint64_t pos = r->bp_pos;
			if (r->bw == 1 || r->bw == 2 || r->bw == 4 || r->bw == 8) {
				for (size_t i = 0; i < k; i++, pos += (uint64_t)r->bw)
					out[got + i] = (uint32_t)((r->bp[pos >> 3] >> (pos & 7)) & mask);
			} else {
				for (size_t i = 0; i < k; i++, pos += (uint64_t)r->bw)
					out[got + i] = (uint32_t)((load64(r->bp + (pos >> 3), r->bp_end) >> (pos & 7)) & mask);
			}
			r->bp_pos = pos;
			got += k;
			r->bp_left -= k;
			continue;
		}
		/* a new run: a varint header, low bit set for bit-packed groups of 8 */
		uint64_t h = 0;
		int shift = 0;
		for (;;) {
			if (r->p >= r->end || shift > 35)
				return got;
			uint8_t c = *r->p++;
			h |= (uint64_t)(c & 0x7f) << shift;
			shift += 7;
			if (!(c & 0x80))
				break;
		}
		if (h & 1) {
			uint64_t groups = h >> 1;
			uint64_t bytes = groups * (uint64_t)r->bw;
			uint64_t avail = (uint64_t)(r->end - r->p);
			/* Some writers end the last run early; use what is there. */
			if (bytes > avail)
				bytes = avail;
			r->bp = r->p;
			r->bp_end = r->p + bytes;
			r->bp_pos = 0;
			r->bp_left = r->bw ? bytes * 8 / (uint64_t)r->bw : groups * 8;
			if (r->bp_left > groups * 8)
				r->bp_left = groups * 8;
			r->p += bytes;
			if (!r->bp_left)
				return got;
		} else {
			int nb = (r->bw + 7) / 8;
			if (r->end - r->p < nb)
				return got;
			uint32_t v = 0;
			for (int i = 0; i < nb; i++)
				v |= (uint32_t)r->p[i] << (8 * i);
			r->p += nb;
			if (r->bw < 32 && v >> r->bw)
				return got; /* a value wider than the bit width: damage */
			r->value = v;
			r->rle_left = h >> 1;
			if (!r->rle_left)
				return got;
		}
	}
	return got;
}

static int bit_width(unsigned v)
{
	int w = 0;
	while (v) {
		w++;
		v >>= 1;
	}
	return w;
}

/* ---- decoding: the page-level context ----------------------------------- */

struct ctx {
	struct pq_file *f;
	const struct node *n;
	struct col *c;
	uint64_t page_at; /* file offset of the page being decoded, for messages */
	char *err;
	size_t errn;
	uint64_t prior;   /* bytes the field's earlier columns decoded to */
};

static int bad(struct ctx *x, const char *fmt, ...) SLUICE_PRINTF(2, 3);
static int bad(struct ctx *x, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errn, "%s: column %s: page at byte %" PRIu64 ": %s", x->f->name, x->n->name,
	         x->page_at, why);
	return -1;
}

static uint32_t *idx_buf(struct pq_file *f)
{
	if (!f->idx)
		f->idx = xmalloc(4096 * sizeof(uint32_t));
	return f->idx;
}

static int64_t *tmp64(struct pq_file *f, size_t n)
{
	if (n > f->tmp64cap) {
		f->tmp64cap = n < 1024 ? 1024 : n;
		free(f->tmp64);
		f->tmp64 = xmalloc(f->tmp64cap * sizeof(int64_t));
	}
	return f->tmp64;
}

static void voff_reserve(uint64_t **off, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t nc = *cap ? *cap : 1024;
	while (nc < need)
		nc *= 2;
	*off = xrealloc(*off, nc * sizeof(uint64_t));
	*cap = nc;
}

/* Decodes count levels (RLE hybrid, bit width from max) into out. */
static int decode_levels(struct ctx *x, const uint8_t *p, const uint8_t *end, int max, uint8_t *out,
                         size_t count, const char *what)
{
	if (max == 0) {
		memset(out, 0, count);
		return 0;
	}
	struct rle r;
	rle_init(&r, p, end, bit_width((unsigned)max));
	uint32_t *tmp = idx_buf(x->f);
	size_t done = 0;
	while (done < count) {
		size_t want = count - done < 4096 ? count - done : 4096;
		size_t k = rle_next(&r, tmp, want);
		if (!k)
			return bad(x, "%s levels end after %zu of %zu values", what, done, count);
		for (size_t i = 0; i < k; i++) {
			if (tmp[i] > (uint32_t)max)
				return bad(x, "%s level %u above the maximum %d", what, tmp[i], max);
			out[done + i] = (uint8_t)tmp[i];
		}
		done += k;
	}
	return 0;
}

/* The store a column's values (or its dictionary) go into. */
struct store {
	struct buf *b;
	uint64_t **off;
	size_t *offcap;
	size_t *n;
};

static struct store vals_store(struct col *c)
{
	struct store s = {&c->vals, &c->voff, &c->voffcap, &c->nval};
	return s;
}

static int value_width(const struct node *n)
{
	switch (n->type) {
	case T_BOOLEAN: return 1; /* unpacked to a byte each */
	case T_INT32:
	case T_FLOAT: return 4;
	case T_INT64:
	case T_DOUBLE: return 8;
	case T_INT96: return 12;
	case T_FLBA: return (int)n->type_length;
	default: return 0;
	}
}

/* PLAIN: count values from p..end appended to s; *used set to the bytes taken. */
static int decode_plain(struct ctx *x, struct store s, const uint8_t *p, const uint8_t *end, size_t count,
                        size_t *used)
{
	const struct node *n = x->n;
	size_t avail = (size_t)(end - p);
	if (n->type == T_BYTE_ARRAY) {
		voff_reserve(s.off, s.offcap, *s.n + count + 1);
		/* the data can be no longer than the page: one reservation, no per-value growth */
		buf_reserve(s.b, avail);
		uint64_t *off = *s.off + *s.n;
		char *dst = s.b->data;
		size_t len = s.b->len;
		const uint8_t *q = p;
		off[0] = len;
		for (size_t i = 0; i < count; i++) {
			if (end - q < 4)
				return bad(x, "plain values end after %zu of %zu", i, count);
			uint32_t l = le_get32(q);
			q += 4;
			if (l > (size_t)(end - q))
				return bad(x, "value %zu of %" PRIu32 " bytes runs past the page", i, l);
			memcpy(dst + len, q, l);
			q += l;
			len += l;
			off[i + 1] = len;
		}
		s.b->len = len;
		*s.n += count;
		*used = (size_t)(q - p);
		return 0;
	}
	if (n->type == T_BOOLEAN) {
		if (count > avail * 8)
			return bad(x, "%zu booleans need more than the page's %zu bytes", count, avail);
		buf_reserve(s.b, count);
		uint8_t *dst = (uint8_t *)s.b->data + s.b->len;
		for (size_t i = 0; i < count; i++)
			dst[i] = (p[i >> 3] >> (i & 7)) & 1;
		s.b->len += count;
		*s.n += count;
		*used = (count + 7) / 8;
		return 0;
	}
	size_t w = (size_t)value_width(n);
	if (count > avail / w)
		return bad(x, "%zu values of %zu bytes need more than the page's %zu bytes", count, w, avail);
	buf_add(s.b, p, count * w);
	*s.n += count;
	*used = count * w;
	return 0;
}

/* DELTA_BINARY_PACKED: exactly count values into out; *used bytes taken. */
static int decode_dbp(struct ctx *x, const uint8_t *p, const uint8_t *end, int64_t *out, size_t count,
                      size_t *used)
{
	struct thr t; /* the header's varints are the same as Thrift's */
	thr_init(&t, p, (size_t)(end - p));
	uint64_t block = thr_varint(&t), mini = thr_varint(&t), total = thr_varint(&t);
	int64_t first = thr_varint_zz(&t);
	if (t.error)
		return bad(x, "delta header: %s", t.error);
	if (block == 0 || block % 128 || block > (1u << 20) || mini == 0 || block % mini ||
	    (block / mini) % 32)
		return bad(x, "delta header has block size %" PRIu64 " with %" PRIu64 " miniblocks", block, mini);
	if (total != count)
		return bad(x, "delta encoding holds %" PRIu64 " values, the page %zu", total, count);
	size_t per = (size_t)(block / mini);
	uint64_t prev = (uint64_t)first;
	size_t i = 0;
	if (count)
		out[i++] = first;
	const uint8_t *q = t.p;
	while (i < count) {
		thr_init(&t, q, (size_t)(end - q));
		uint64_t min_delta = (uint64_t)thr_varint_zz(&t);
		if (t.error)
			return bad(x, "delta block: %s", t.error);
		q = t.p;
		if ((uint64_t)(end - q) < mini)
			return bad(x, "delta block ends inside its bit widths");
		const uint8_t *widths = q;
		q += mini;
		for (uint64_t m = 0; m < mini && i < count; m++) {
			int bw = widths[m];
			if (bw > 64)
				return bad(x, "delta miniblock bit width %d", bw);
			size_t k = count - i < per ? count - i : per;
			uint64_t need = ((uint64_t)k * (uint64_t)bw + 7) / 8;
			uint64_t full = (uint64_t)per * (uint64_t)bw / 8;
			if (need > (uint64_t)(end - q))
				return bad(x, "delta miniblock runs past the page");
			for (size_t j = 0; j < k; j++) {
				prev += min_delta + getbits(q, end, (uint64_t)j * (uint64_t)bw, bw);
				out[i++] = (int64_t)prev;
			}
			q += full < (uint64_t)(end - q) ? full : (uint64_t)(end - q);
		}
	}
	*used = (size_t)(q - p);
	return 0;
}

/* Appends count byte arrays whose lengths are lens[] and bytes at p..end. */
static int append_lengths(struct ctx *x, struct store s, const int64_t *lens, size_t count,
                          const uint8_t *p, const uint8_t *end, size_t *used)
{
	uint64_t total = 0;
	for (size_t i = 0; i < count; i++) {
		if (lens[i] < 0)
			return bad(x, "negative value length %" PRId64, lens[i]);
		total += (uint64_t)lens[i];
		if (total > (uint64_t)(end - p))
			return bad(x, "value lengths add up to more than the page");
	}
	voff_reserve(s.off, s.offcap, *s.n + count + 1);
	uint64_t *off = *s.off + *s.n;
	off[0] = s.b->len;
	buf_add(s.b, p, (size_t)total);
	uint64_t at = off[0];
	for (size_t i = 0; i < count; i++) {
		at += (uint64_t)lens[i];
		off[i + 1] = at;
	}
	*s.n += count;
	*used = (size_t)total;
	return 0;
}

static int decode_delta_strings(struct ctx *x, struct store s, int enc, const uint8_t *p,
                                const uint8_t *end, size_t count)
{
	const struct node *n = x->n;
	if (n->type != T_BYTE_ARRAY && !(n->type == T_FLBA && enc == E_DELTA_BYTE_ARRAY))
		return bad(x, "encoding %d does not apply to this type", enc);
	int64_t *lens = tmp64(x->f, count ? count * 2 : 1);
	size_t used;
	if (enc == E_DELTA_LENGTH_BYTE_ARRAY) {
		if (decode_dbp(x, p, end, lens, count, &used))
			return -1;
		return append_lengths(x, s, lens, count, p + used, end, &used);
	}
	/* DELTA_BYTE_ARRAY: prefix lengths, suffix lengths, suffix bytes; each
	 * value is the previous one's prefix followed by its suffix. */
	int64_t *pre = lens, *suf = lens + count;
	if (decode_dbp(x, p, end, pre, count, &used))
		return -1;
	p += used;
	if (decode_dbp(x, p, end, suf, count, &used))
		return -1;
	p += used;
	uint64_t total = 0, sufs = 0, prevlen = 0;
	for (size_t i = 0; i < count; i++) {
		if (pre[i] < 0 || suf[i] < 0 || (uint64_t)pre[i] > prevlen)
			return bad(x, "value %zu: prefix %" PRId64 " of a %" PRIu64 "-byte value", i, pre[i], prevlen);
		sufs += (uint64_t)suf[i];
		if (sufs > (uint64_t)(end - p))
			return bad(x, "suffix lengths add up to more than the page");
		prevlen = (uint64_t)pre[i] + (uint64_t)suf[i];
		if (n->type == T_FLBA && prevlen != (uint64_t)n->type_length)
			return bad(x, "value %zu has %" PRIu64 " bytes, the column %d", i, prevlen, (int)n->type_length);
		total += prevlen;
		if (total > PQ_MAX_BYTES)
			return bad(x, "values add up to more than %" PRIu64 " bytes", PQ_MAX_BYTES);
	}
	buf_reserve(s.b, (size_t)total);
	if (n->type == T_BYTE_ARRAY)
		voff_reserve(s.off, s.offcap, *s.n + count + 1);
	char *d = s.b->data;
	size_t len = s.b->len, prev = len;
	for (size_t i = 0; i < count; i++) {
		size_t start = len;
		memmove(d + len, d + prev, (size_t)pre[i]);
		len += (size_t)pre[i];
		memcpy(d + len, p, (size_t)suf[i]);
		p += suf[i];
		len += (size_t)suf[i];
		prev = start;
		if (n->type == T_BYTE_ARRAY) {
			(*s.off)[*s.n + i] = start;
			(*s.off)[*s.n + i + 1] = len;
		}
	}
	s.b->len = len;
	*s.n += count;
	return 0;
}

static int decode_bss(struct ctx *x, struct store s, const uint8_t *p, const uint8_t *end, size_t count)
{
	const struct node *n = x->n;
	if (n->type != T_FLOAT && n->type != T_DOUBLE && n->type != T_INT32 && n->type != T_INT64 &&
	    n->type != T_FLBA)
		return bad(x, "BYTE_STREAM_SPLIT does not apply to this type");
	size_t w = (size_t)value_width(n);
	if (count > (size_t)(end - p) / w)
		return bad(x, "byte stream split of %zu values needs more than the page", count);
	buf_reserve(s.b, count * w);
	uint8_t *dst = (uint8_t *)s.b->data + s.b->len;
	for (size_t k = 0; k < w; k++) {
		const uint8_t *stream = p + k * count;
		for (size_t i = 0; i < count; i++)
			dst[i * w + k] = stream[i];
	}
	s.b->len += count * w;
	*s.n += count;
	return 0;
}

/* Dictionary indices: gathers count dictionary entries into the values. */
static int decode_dict_indices(struct ctx *x, const uint8_t *p, const uint8_t *end, size_t count)
{
	struct col *c = x->c;
	if (!c->has_dict)
		return bad(x, "dictionary-encoded page without a dictionary page");
	if (count == 0)
		return 0;
	if (p >= end)
		return bad(x, "dictionary indices missing");
	int bw = *p++;
	if (bw > 32)
		return bad(x, "dictionary index bit width %d", bw);
	struct rle r;
	rle_init(&r, p, end, bw);
	uint32_t *idx = idx_buf(x->f);
	size_t done = 0, nd = c->ndict;
	int w = c->width;
	while (done < count) {
		size_t want = count - done < 4096 ? count - done : 4096;
		size_t k = rle_next(&r, idx, want);
		if (!k)
			return bad(x, "dictionary indices end after %zu of %zu", done, count);
		if (w == 0) {
			const uint64_t *doff = c->doff;
			uint64_t total = 0;
			for (size_t i = 0; i < k; i++) {
				if (idx[i] >= nd)
					return bad(x, "dictionary index %u, the dictionary has %zu entries", idx[i], nd);
				total += doff[idx[i] + 1] - doff[idx[i]];
			}
			if (c->vals.len + total > PQ_MAX_BYTES)
				return bad(x, "values add up to more than %" PRIu64 " bytes", PQ_MAX_BYTES);
			buf_reserve(&c->vals, (size_t)total);
			voff_reserve(&c->voff, &c->voffcap, c->nval + k + 1);
			char *dst = c->vals.data;
			const char *src = c->dict.data;
			size_t len = c->vals.len;
			uint64_t *off = c->voff + c->nval;
			for (size_t i = 0; i < k; i++) {
				uint64_t a = doff[idx[i]], l = doff[idx[i] + 1] - a;
				memcpy(dst + len, src + a, (size_t)l);
				len += (size_t)l;
				off[i + 1] = len;
			}
			c->vals.len = len;
			c->nval += k;
		} else {
			if (c->vals.len + k * (size_t)w > PQ_MAX_BYTES)
				return bad(x, "values add up to more than %" PRIu64 " bytes", PQ_MAX_BYTES);
			buf_reserve(&c->vals, k * (size_t)w);
			char *dst = c->vals.data + c->vals.len;
			for (size_t i = 0; i < k; i++) {
				if (idx[i] >= nd)
					return bad(x, "dictionary index %u, the dictionary has %zu entries", idx[i], nd);
				memcpy(dst + i * (size_t)w, c->dict.data + (size_t)idx[i] * (size_t)w, (size_t)w);
			}
			c->vals.len += k * (size_t)w;
			c->nval += k;
		}
		done += k;
	}
	return 0;
}

static int decode_values(struct ctx *x, int enc, const uint8_t *p, const uint8_t *end, size_t count)
{
	struct col *c = x->c;
	size_t used;
	switch (enc) {
	case E_PLAIN:
		return decode_plain(x, vals_store(c), p, end, count, &used);
	case E_PLAIN_DICTIONARY:
	case E_RLE_DICTIONARY:
		return decode_dict_indices(x, p, end, count);
	case E_RLE: {
		if (x->n->type != T_BOOLEAN)
			return bad(x, "RLE values for a non-boolean column");
		if (end - p < 4 || le_get32(p) > (size_t)(end - p - 4))
			return bad(x, "RLE boolean length runs past the page");
		const uint8_t *q = p + 4, *qe = q + le_get32(p);
		buf_reserve(&c->vals, count);
		uint8_t *dst = (uint8_t *)c->vals.data + c->vals.len;
		struct rle r;
		rle_init(&r, q, qe, 1);
		uint32_t *tmp = idx_buf(x->f);
		size_t done = 0;
		while (done < count) {
			size_t k = rle_next(&r, tmp, count - done < 4096 ? count - done : 4096);
			if (!k)
				return bad(x, "RLE booleans end after %zu of %zu", done, count);
			for (size_t i = 0; i < k; i++)
				dst[done + i] = (uint8_t)tmp[i];
			done += k;
		}
		c->vals.len += count;
		c->nval += count;
		return 0;
	}
	case E_DELTA_BINARY_PACKED: {
		if (x->n->type != T_INT32 && x->n->type != T_INT64)
			return bad(x, "DELTA_BINARY_PACKED for a column that is not INT32 or INT64");
		int64_t *v = tmp64(x->f, count ? count : 1);
		if (decode_dbp(x, p, end, v, count, &used))
			return -1;
		if (x->n->type == T_INT64) {
			buf_add(&c->vals, v, count * 8);
		} else {
			buf_reserve(&c->vals, count * 4);
			int32_t *d = (int32_t *)(void *)(c->vals.data + c->vals.len);
			for (size_t i = 0; i < count; i++) {
				int32_t w32 = (int32_t)(uint32_t)(uint64_t)v[i];
				memcpy(d + i, &w32, 4);
			}
			c->vals.len += count * 4;
		}
		c->nval += count;
		return 0;
	}
	case E_DELTA_LENGTH_BYTE_ARRAY:
	case E_DELTA_BYTE_ARRAY:
		return decode_delta_strings(x, vals_store(c), enc, p, end, count);
	case E_BYTE_STREAM_SPLIT:
		return decode_bss(x, vals_store(c), p, end, count);
	default:
		return bad(x, "unsupported value encoding %d", enc);
	}
}

/* ---- pages -------------------------------------------------------------- */

struct page_header {
	int type;
	int64_t uncompressed, compressed;
	int64_t num_values, num_nulls, num_rows;
	int encoding, def_encoding, rep_encoding;
	int64_t def_len, rep_len;
	int is_compressed;
	int has_crc;
	uint32_t crc;
};

static void parse_data_header(struct thr *t, struct page_header *h, int v2)
{
	if (thr_enter(t))
		return;
	int16_t last = 0;
	int id, type;
	while (thr_field(t, &last, &id, &type)) {
		if (!v2) {
			switch (id) {
			case 1: h->num_values = thr_int_field(t, type, -1); break;
			case 2: h->encoding = (int)thr_int_field(t, type, -1); break;
			case 3: h->def_encoding = (int)thr_int_field(t, type, -1); break;
			case 4: h->rep_encoding = (int)thr_int_field(t, type, -1); break;
			default: thr_skip(t, type); break;
			}
		} else {
			switch (id) {
			case 1: h->num_values = thr_int_field(t, type, -1); break;
			case 2: h->num_nulls = thr_int_field(t, type, -1); break;
			case 3: h->num_rows = thr_int_field(t, type, -1); break;
			case 4: h->encoding = (int)thr_int_field(t, type, -1); break;
			case 5: h->def_len = thr_int_field(t, type, -1); break;
			case 6: h->rep_len = thr_int_field(t, type, -1); break;
			case 7:
				if (type == THR_TRUE || type == THR_FALSE)
					h->is_compressed = type == THR_TRUE;
				else
					thr_skip(t, type);
				break;
			default: thr_skip(t, type); break;
			}
		}
	}
	thr_leave(t);
}

static void parse_page_header(struct thr *t, struct page_header *h)
{
	memset(h, 0, sizeof *h);
	h->type = h->encoding = -1;
	h->uncompressed = h->compressed = h->num_values = h->num_nulls = -1;
	h->def_encoding = h->rep_encoding = E_RLE;
	h->is_compressed = 1;
	if (thr_enter(t))
		return;
	int16_t last = 0;
	int id, type;
	while (thr_field(t, &last, &id, &type)) {
		switch (id) {
		case 1: h->type = (int)thr_int_field(t, type, -1); break;
		case 2: h->uncompressed = thr_int_field(t, type, -1); break;
		case 3: h->compressed = thr_int_field(t, type, -1); break;
		case 4:
			if (type == THR_I32) {
				h->crc = (uint32_t)thr_varint_zz(t);
				h->has_crc = 1;
			} else {
				thr_skip(t, type);
			}
			break;
		case 5:
		case 7:
		case 8:
			if (type == THR_STRUCT)
				parse_data_header(t, h, id == 8);
			else
				thr_skip(t, type);
			break;
		default: thr_skip(t, type); break;
		}
	}
	thr_leave(t);
}

/* Decompresses n bytes at p into f->page (exactly out bytes). */
static int inflate_page(struct ctx *x, int codec, const uint8_t *p, size_t n, int64_t out,
                        const uint8_t **res)
{
	if (out < 0 || (uint64_t)out > PQ_MAX_BYTES)
		return bad(x, "uncompressed size %" PRId64 " is impossible", out);
	if (codec == PQ_UNCOMPRESSED) {
		if ((uint64_t)out != n)
			return bad(x, "uncompressed page of %zu bytes, header says %" PRId64, n, out);
		*res = p;
		return 0;
	}
	if ((uint64_t)out > pq_codec_max_expansion(codec, n))
		return bad(x, "%s page of %zu bytes cannot hold %" PRId64, pq_codec_name(codec), n, out);
	buf_clear(&x->f->page);
	buf_reserve(&x->f->page, (size_t)out + 8);
	char why[200];
	if (pq_decompress(x->f->codec, codec, p, n, (uint8_t *)x->f->page.data, (size_t)out, why, sizeof why))
		return bad(x, "%s", why);
	*res = (const uint8_t *)x->f->page.data;
	return 0;
}

static void levels_reserve(struct col *c, size_t need)
{
	if (need <= c->levcap)
		return;
	size_t nc = c->levcap ? c->levcap : 1024;
	while (nc < need)
		nc *= 2;
	c->def = xrealloc(c->def, nc);
	c->rep = xrealloc(c->rep, nc);
	c->levcap = nc;
}

/* What a decoded column holds in memory: levels, values, offsets. */
static uint64_t col_bytes(const struct col *c)
{
	return (uint64_t)c->nlev * 2 + c->vals.len + (c->width ? 0 : ((uint64_t)c->nval + 1) * 8);
}

static size_t count_present(const uint8_t *def, size_t n, int max)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += def[i] == max;
	return k;
}

static int data_page(struct ctx *x, int codec, const struct page_header *h, const uint8_t *p,
                     size_t n, uint64_t left)
{
	struct col *c = x->c;
	const struct node *nd = x->n;
	if (h->num_values < 0 || (uint64_t)h->num_values > left)
		return bad(x, "%" PRId64 " values, the column chunk has %" PRIu64 " left", h->num_values, left);
	size_t count = (size_t)h->num_values;
	levels_reserve(c, c->nlev + count + 1); /* +1: never a NULL array, even for 0 values */
	uint8_t *def = c->def + c->nlev, *rep = c->rep + c->nlev;
	const uint8_t *q, *end;
	if (h->type == P_DATA) {
		if (inflate_page(x, codec, p, n, h->uncompressed, &q))
			return -1;
		end = q + h->uncompressed;
		for (int pass = 0; pass < 2; pass++) {
			int max = pass ? nd->def : nd->rep;
			int enc = pass ? h->def_encoding : h->rep_encoding;
			uint8_t *out = pass ? def : rep;
			if (!max) {
				memset(out, 0, count);
				continue;
			}
			if (enc != E_RLE)
				return bad(x, "unsupported level encoding %d", enc);
			if (end - q < 4 || le_get32(q) > (size_t)(end - q - 4))
				return bad(x, "%s levels run past the page", pass ? "definition" : "repetition");
			uint32_t len = le_get32(q);
			if (decode_levels(x, q + 4, q + 4 + len, max, out, count, pass ? "definition" : "repetition"))
				return -1;
			q += 4 + len;
		}
	} else {
		if (h->rep_len < 0 || h->def_len < 0 || (uint64_t)h->rep_len + (uint64_t)h->def_len > n ||
		    h->uncompressed < h->rep_len + h->def_len)
			return bad(x, "level lengths %" PRId64 "+%" PRId64 " do not fit the page", h->rep_len, h->def_len);
		size_t lev = (size_t)(h->rep_len + h->def_len);
		if (decode_levels(x, p, p + h->rep_len, nd->rep, rep, count, "repetition") ||
		    decode_levels(x, p + h->rep_len, p + lev, nd->def, def, count, "definition"))
			return -1;
		/* The format: a data section of no bytes is not decompressed (an
		 * all-null page has none), whatever the codec and is_compressed say. */
		int sect_codec = h->is_compressed && n > lev ? codec : PQ_UNCOMPRESSED;
		if (inflate_page(x, sect_codec, p + lev, n - lev, h->uncompressed - (int64_t)lev, &q))
			return -1;
		end = q + (h->uncompressed - (int64_t)lev);
	}
	size_t present = nd->def ? count_present(def, count, nd->def) : count;
	/* A v2 header counts the page's nulls; for a flat column that is what
	 * the levels say, or one of the two is damaged and the values would
	 * land in the wrong rows.  (Writers count a nested column's nulls
	 * differently, empty lists or not, so only flat ones are checked.) */
	if (h->type == P_DATA_V2 && nd->rep == 0 && h->num_nulls >= 0 &&
	    (uint64_t)h->num_nulls != count - present)
		return bad(x, "page header says %" PRId64 " nulls, its definition levels %zu", h->num_nulls,
		           count - present);
	if (decode_values(x, h->encoding, q, end, present))
		return -1;
	c->nlev += count;
	if (x->prior + col_bytes(c) > PQ_MAX_BYTES)
		return bad(x, "the field decodes to more than %" PRIu64 " bytes in this row group", PQ_MAX_BYTES);
	return 0;
}

static int dict_page(struct ctx *x, int codec, const struct page_header *h, const uint8_t *p, size_t n)
{
	struct col *c = x->c;
	if (h->num_values < 0 || (uint64_t)h->num_values > PQ_MAX_VALUES)
		return bad(x, "dictionary of %" PRId64 " values", h->num_values);
	if (h->encoding != E_PLAIN && h->encoding != E_PLAIN_DICTIONARY && h->encoding != -1)
		return bad(x, "dictionary page encoding %d", h->encoding);
	const uint8_t *q;
	if (inflate_page(x, codec, p, n, h->uncompressed, &q))
		return -1;
	buf_clear(&c->dict);
	c->ndict = 0;
	struct store s = {&c->dict, &c->doff, &c->doffcap, &c->ndict};
	size_t used;
	if (decode_plain(x, s, q, q + h->uncompressed, (size_t)h->num_values, &used))
		return -1;
	c->has_dict = 1;
	return 0;
}

/* Reads and decodes leaf column `leaf` of row group rg into c. */
static int read_chunk(struct pq_file *f, int rg, int leaf, struct col *c, uint64_t prior, char *err,
                      size_t errn)
{
	const struct chunk_meta *m = &f->chunks[(size_t)rg * (size_t)f->nleaves + (size_t)leaf];
	const struct node *nd = &f->nodes[f->leaf_node[leaf]];
	struct pq_range r = chunk_range(m);
	struct ctx x = {f, nd, c, r.offset, err, errn, prior};
	c->nlev = c->nval = 0;
	c->li = c->vi = 0;
	c->has_dict = 0;
	c->ndict = 0;
	buf_clear(&c->vals);
	/* storage from the start, so that no pointer into it is ever NULL + 0 */
	buf_reserve(&c->vals, 1);
	buf_reserve(&c->dict, 1);
	c->width = value_width(nd);
	voff_reserve(&c->voff, &c->voffcap, 1);
	c->voff[0] = 0;
	if (m->has_path)
		return bad(&x, "column chunk is stored in another file");
	if (m->num_values < 0 || (uint64_t)m->num_values > PQ_MAX_VALUES)
		return bad(&x, "column chunk claims %" PRId64 " values", m->num_values);
	if (m->num_values == 0)
		return 0;
	if (m->data_off < 0 || m->total_compressed <= 0 || r.offset > f->src.size ||
	    r.length > f->src.size - r.offset || r.length > PQ_MAX_BYTES)
		return bad(&x, "column chunk of %" PRId64 " bytes at byte %" PRIu64 " lies outside the file of %" PRIu64
		               " bytes", m->total_compressed, r.offset, f->src.size);
	buf_clear(&f->chunk);
	buf_reserve(&f->chunk, (size_t)r.length);
	if (f->src.read_at(f->src.ctx, r.offset, f->chunk.data, (size_t)r.length, err, errn))
		return -1;
	const uint8_t *base = (const uint8_t *)f->chunk.data;
	size_t pos = 0, len = (size_t)r.length;
	uint64_t seen = 0, want = (uint64_t)m->num_values;
	int data_pages = 0;
	while (seen < want) {
		x.page_at = r.offset + pos;
		if (pos >= len)
			return bad(&x, "column chunk ends after %" PRIu64 " of %" PRIu64 " values", seen, want);
		struct thr t;
		thr_init(&t, base + pos, len - pos);
		struct page_header h;
		parse_page_header(&t, &h);
		if (t.error)
			return bad(&x, "page header: %s", t.error);
		size_t hl = (size_t)(t.p - (base + pos));
		if (h.compressed < 0 || (uint64_t)h.compressed > len - pos - hl)
			return bad(&x, "page of %" PRId64 " bytes runs past its column chunk", h.compressed);
		const uint8_t *p = base + pos + hl;
		size_t n = (size_t)h.compressed;
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
		/* The optional page checksum: CRC-32 of the page's bytes as stored.
		 * (Fuzzing skips it, or it would reject nearly every mutation.) */
		if (h.has_crc && (uint32_t)crc32(0, p, (uInt)n) != h.crc)
			return bad(&x, "page checksum mismatch");
#endif
		if (h.type == P_DICTIONARY) {
			if (data_pages || c->has_dict)
				return bad(&x, "dictionary page after the first page");
			if (dict_page(&x, m->codec, &h, p, n))
				return -1;
		} else if (h.type == P_DATA || h.type == P_DATA_V2) {
			if (data_page(&x, m->codec, &h, p, n, want - seen))
				return -1;
			seen += (uint64_t)h.num_values;
			data_pages++;
		} else if (h.type != P_INDEX) {
			return bad(&x, "unknown page type %d", h.type);
		}
		pos += hl + n;
	}
	return 0;
}

/* ---- values as JSON ----------------------------------------------------- */

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* ISO 8601's years: four digits from 0000 (1 BC) to 9999, a sign and at
 * least four digits beyond them ("+290000", "-0001"), as arrow-rs prints
 * them; every day of an int64 count of days has its true year. */
static void put_date(struct buf *b, int64_t days)
{
	int64_t y;
	int m, d;
	civil(days, &y, &m, &d);
	if (y >= 0 && y <= 9999)
		buf_printf(b, "%04" PRId64, y);
	else
		buf_printf(b, "%c%04" PRIu64, y < 0 ? '-' : '+', y < 0 ? 0 - (uint64_t)y : (uint64_t)y);
	buf_printf(b, "-%02d-%02d", m, d);
}

/* HH:MM:SS and a fraction of `digits` digits with trailing zeros dropped. */
static void put_clock(struct buf *b, int64_t secs, int64_t frac, int digits)
{
	buf_printf(b, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	if (frac) {
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		buf_printf(b, ".%0*" PRId64, digits, frac);
	}
}

static const int64_t unit_per_sec[] = {1000, 1000000, 1000000000};
static const int unit_digits[] = {3, 6, 9};

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void put_timestamp(struct buf *b, int64_t v, int unit, int utc)
{
	int64_t per = unit_per_sec[unit];
	int64_t secs = floordiv(v, per), frac = v % per;
	if (frac < 0) /* (v - secs * per would overflow near INT64_MIN) */
		frac += per;
	int64_t days = floordiv(secs, 86400);
	buf_addc(b, '"');
	put_date(b, days);
	buf_addc(b, ' ');
	put_clock(b, secs - days * 86400, frac, unit_digits[unit]);
	if (utc)
		buf_adds(b, "+00");
	buf_addc(b, '"');
}

/* An unscaled integer given as decimal digits (no sign) with `scale`. */
static void put_decimal_digits(struct buf *b, int neg, const char *digits, size_t nd, int scale)
{
	if (neg)
		buf_addc(b, '-');
	if ((size_t)scale >= nd) {
		buf_adds(b, "0.");
		for (size_t i = nd; i < (size_t)scale; i++)
			buf_addc(b, '0');
		buf_add(b, digits, nd);
		return;
	}
	buf_add(b, digits, nd - (size_t)scale);
	if (scale) {
		buf_addc(b, '.');
		buf_add(b, digits + nd - (size_t)scale, (size_t)scale);
	}
}

static void put_decimal_i64(struct buf *b, int64_t v, int scale)
{
	char tmp[24];
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int n = snprintf(tmp, sizeof tmp, "%" PRIu64, mag);
	put_decimal_digits(b, v < 0, tmp, (size_t)n, scale);
}

/* A big-endian two's complement integer of n bytes (n <= 64) as a decimal. */
static void put_decimal_bytes(struct buf *b, const uint8_t *p, size_t n, int scale)
{
	uint8_t mag[64];
	char digits[160];
	if (n > sizeof mag)
		n = sizeof mag; /* checked at open for FLBA; BYTE_ARRAY callers pass <= 64 */
	int neg = n && (p[0] & 0x80);
	memcpy(mag, p, n);
	if (neg) { /* negate: invert and add one */
		int carry = 1;
		for (size_t i = n; i-- > 0;) {
			int v = (uint8_t)~mag[i] + carry;
			mag[i] = (uint8_t)v;
			carry = v >> 8;
		}
	}
	size_t nd = 0;
	size_t start = 0;
	while (start < n && !mag[start])
		start++;
	while (start < n) {
		unsigned rem = 0;
		for (size_t i = start; i < n; i++) {
			unsigned cur = rem << 8 | mag[i];
			mag[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
		}
		digits[nd++] = (char)('0' + rem);
		while (start < n && !mag[start])
			start++;
	}
	if (!nd)
		digits[nd++] = '0';
	for (size_t i = 0; i < nd / 2; i++) {
		char t = digits[i];
		digits[i] = digits[nd - 1 - i];
		digits[nd - 1 - i] = t;
	}
	put_decimal_digits(b, neg && !(nd == 1 && digits[0] == '0'), digits, nd, scale);
}

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
	if (exp == 0x1f)
		bits = sign | 0x7f800000u | man << 13;
	else if (exp)
		bits = sign | (exp + 112) << 23 | man << 13;
	else if (!man)
		bits = sign;
	else { /* subnormal: normalise */
		int e = -1;
		do {
			e++;
			man <<= 1;
		} while (!(man & 0x400));
		bits = sign | (uint32_t)(112 - e) << 23 | (man & 0x3ff) << 13;
	}
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

/* A FLOAT or FLOAT16 in float32's shortest form, kept recognisably real as
 * a DOUBLE is (jsonw_double): a bare "-0" would read back as the integer 0
 * and lose its sign. */
static void put_float(struct buf *b, float v)
{
	size_t at = b->len;
	jsonw_float(b, v);
	if (isfinite(v) && !memchr(b->data + at, '.', b->len - at) && !memchr(b->data + at, 'e', b->len - at))
		buf_adds(b, ".0");
}

/* The value at index i of column c (which must exist) as JSON: 0, or -1
 * with why when the stored value is not one of its type (a TIME past the
 * end of a day, an INT_8 of 300): printing anything would be wrong. */
static int put_value(struct buf *b, const struct node *n, const struct col *c, size_t i, char *why,
                     size_t whyn)
{
	const uint8_t *v = (const uint8_t *)c->vals.data + (c->width ? i * (size_t)c->width : 0);
	switch (n->vk) {
	case V_BOOL: buf_adds(b, *v ? "true" : "false"); break;
	case V_I32: {
		int32_t x = (int32_t)le_get32(v);
		if (n->bits < 32 && (x < -(INT32_C(1) << (n->bits - 1)) || x >= INT32_C(1) << (n->bits - 1))) {
			snprintf(why, whyn, "%" PRId32 " is out of the range of int%d", x, n->bits);
			return -1;
		}
		buf_printf(b, "%" PRId32, x);
		break;
	}
	case V_U32: {
		/* UINT_32 is the INT32's bits read unsigned; a narrower one must fit */
		uint32_t x = le_get32(v);
		if (n->bits < 32 && x >> n->bits) {
			snprintf(why, whyn, "%" PRId32 " is out of the range of uint%d", (int32_t)x, n->bits);
			return -1;
		}
		buf_printf(b, "%" PRIu32, x);
		break;
	}
	case V_I64: buf_printf(b, "%" PRId64, (int64_t)le_get64(v)); break;
	case V_U64: buf_printf(b, "%" PRIu64, le_get64(v)); break;
	case V_FLOAT: {
		float fv;
		memcpy(&fv, v, 4);
		put_float(b, fv);
		break;
	}
	case V_DOUBLE: {
		double dv;
		memcpy(&dv, v, 8);
		jsonw_double(b, dv);
		break;
	}
	case V_FLOAT16: put_float(b, half_to_float(le_get16(v))); break;
	case V_DATE:
		buf_addc(b, '"');
		put_date(b, (int32_t)le_get32(v));
		buf_addc(b, '"');
		break;
	case V_TIME: {
		int64_t t = n->type == T_INT32 ? (int32_t)le_get32(v) : (int64_t)le_get64(v);
		int64_t per = unit_per_sec[n->unit];
		/* 24:00:00 is the end of a day, as DuckDB and the format allow */
		if (t < 0 || t > 86400 * per) {
			snprintf(why, whyn, "TIME of %" PRId64 " %s is not within a day", t,
			         n->unit == 0 ? "ms" : n->unit == 1 ? "us" : "ns");
			return -1;
		}
		buf_addc(b, '"');
		put_clock(b, t / per, t % per, unit_digits[n->unit]);
		if (n->utc)
			buf_adds(b, "+00"); /* as a UTC-adjusted TIMESTAMP, and DuckDB's TIMETZ */
		buf_addc(b, '"');
		break;
	}
	case V_TS: put_timestamp(b, (int64_t)le_get64(v), n->unit, n->utc); break;
	case V_INT96: {
		/* Nanoseconds of the day (a signed int64), then the Julian day.
		 * The value is day * 86400e9 + nanoseconds, as DuckDB and arrow-rs
		 * define it, so a time of day outside 0..1 day (no writer of ours
		 * makes one) is carried into the day; but no product is formed in
		 * int64 nanoseconds (it overflows past 2262): the day and the time
		 * are kept apart, so every Julian day reads as its true date. */
		const int64_t day_ns = INT64_C(86400000000000);
		int64_t nanos = (int64_t)le_get64(v);
		int64_t carry = floordiv(nanos, day_ns), tod = nanos % day_ns;
		if (tod < 0)
			tod += day_ns;
		int64_t days = (int64_t)(int32_t)le_get32(v + 8) - 2440588 + carry;
		buf_addc(b, '"');
		put_date(b, days);
		buf_addc(b, ' ');
		put_clock(b, tod / 1000000000, tod % 1000000000, 9);
		buf_addc(b, '"');
		break;
	}
	case V_DEC_I32: put_decimal_i64(b, (int32_t)le_get32(v), (int)n->scale); break;
	case V_DEC_I64: put_decimal_i64(b, (int64_t)le_get64(v), (int)n->scale); break;
	case V_DEC_BYTES: {
		size_t len = (size_t)n->type_length;
		if (n->type == T_BYTE_ARRAY) {
			v = (const uint8_t *)c->vals.data + c->voff[i];
			len = (size_t)(c->voff[i + 1] - c->voff[i]);
			if (len > 64) {
				snprintf(why, whyn, "DECIMAL of %zu bytes is wider than the 64 this reader reads", len);
				return -1;
			}
		}
		put_decimal_bytes(b, v, len, (int)n->scale);
		break;
	}
	case V_STRING:
	case V_BINARY: {
		size_t len = (size_t)c->width;
		if (n->type == T_BYTE_ARRAY) {
			v = (const uint8_t *)c->vals.data + c->voff[i];
			len = (size_t)(c->voff[i + 1] - c->voff[i]);
		}
		if (n->vk == V_STRING) {
			jsonw_string(b, (const char *)v, len);
		} else {
			buf_addc(b, '"');
			base64_encode(b, v, len);
			buf_addc(b, '"');
		}
		break;
	}
	case V_UUID: {
		static const char hex[] = "0123456789abcdef";
		buf_addc(b, '"');
		for (int k = 0; k < 16; k++) {
			if (k == 4 || k == 6 || k == 8 || k == 10)
				buf_addc(b, '-');
			buf_addc(b, hex[v[k] >> 4]);
			buf_addc(b, hex[v[k] & 15]);
		}
		buf_addc(b, '"');
		break;
	}
	case V_INTERVAL:
		/* three unsigned little-endian 32-bit counts, kept apart as the
		 * format does: a month is no fixed number of days */
		buf_printf(b, "{\"months\":%" PRIu32 ",\"days\":%" PRIu32 ",\"milliseconds\":%" PRIu32 "}",
		           le_get32(v), le_get32(v + 4), le_get32(v + 8));
		break;
	case V_NULL:
		/* UNKNOWN (the null type) holds nulls only; a value is damage */
		snprintf(why, whyn, "a value in a column of the null type");
		return -1;
	case V_BAD:
		snprintf(why, whyn, "%s", n->bad);
		return -1;
	}
	return 0;
}

/* ---- assembly: levels back into nested values ---------------------------- */

struct key_span {
	size_t off, len; /* in the output buffer */
	const char *p;   /* set once the map is written and the buffer stays put */
};

struct asm_ctx {
	struct pq_file *f;
	struct col *cols; /* the field's leaves, from leaf_lo */
	int leaf_lo;
	struct buf *out;
	const char *why;  /* set on the first inconsistency */
	const char *col;  /* the column it was found in */
	int value_leaf;   /* >= 0: why is about a value of this leaf node, not the levels */
	char vwhy[200];
	/* the JSON texts of the keys of the maps being written (a stack: a
	 * map's own start at the index it began with), to refuse a key twice */
	struct key_span *keys;
	size_t nkeys, keycap;
};


static struct col *first_col(struct asm_ctx *a, const struct node *n)
{
	return &a->cols[n->leaf_lo - a->leaf_lo];
}

static int fail_asm(struct asm_ctx *a, const struct node *n, const char *why)
{
	if (!a->why) {
		a->why = why;
		a->col = a->f->nodes[a->f->leaf_node[n->leaf_lo]].name;
	}
	return -1;
}

static int key_cmp(const void *x, const void *y)
{
	const struct key_span *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* A JSON object with a key twice reads back as one entry (most parsers keep
 * the last): the map's keys from index base on must all differ. */
static int keys_unique(struct asm_ctx *a, const struct node *kn, size_t base)
{
	struct key_span *k = a->keys + base;
	size_t n = a->nkeys - base;
	for (size_t i = 0; i < n; i++)
		k[i].p = a->out->data + k[i].off;
	qsort(k, n, sizeof *k, key_cmp);
	for (size_t i = 1; i < n; i++)
		if (!key_cmp(&k[i - 1], &k[i]))
			return fail_asm(a, kn, "a map holds the same key twice");
	a->nkeys = base;
	return 0;
}

/* Definition level of the next entry of n's first leaf, or -1 at the end. */
static int peek_def(struct asm_ctx *a, const struct node *n)
{
	struct col *c = first_col(a, n);
	return c->li < c->nlev ? c->def[c->li] : -1;
}

/* Consumes one entry from every leaf under n: n is null or empty here. */
static int skip_entry(struct asm_ctx *a, const struct node *n)
{
	for (int l = n->leaf_lo; l < n->leaf_hi; l++) {
		struct col *c = &a->cols[l - a->leaf_lo];
		if (c->li >= c->nlev)
			return fail_asm(a, n, "levels end early");
		if (c->def[c->li] >= n->def && n->def > 0)
			return fail_asm(a, n, "levels disagree between columns");
		c->li++;
	}
	return 0;
}

/* After an element of the list at repeated node r: every leaf under r must
 * agree with the first on whether another element follows (its next
 * repetition level is r's), or the list ends (a lower one).  Only the first
 * leaf's levels drive the assembly, so a leaf that disagrees would have its
 * values handed to the wrong element or row without this check.  1 when
 * another element follows, 0 when the list ends, -1 on disagreement. */
static int next_element(struct asm_ctx *a, const struct node *r)
{
	int more = -1;
	for (int l = r->leaf_lo; l < r->leaf_hi; l++) {
		const struct col *c = &a->cols[l - a->leaf_lo];
		int rl = c->li < c->nlev ? c->rep[c->li] : 0;
		if (rl > r->rep)
			return fail_asm(a, r, "repetition level deeper than the list it continues");
		if (more >= 0 && (rl == r->rep) != more)
			return fail_asm(a, r, "repetition levels disagree between columns");
		more = rl == r->rep;
	}
	return more;
}

static int emit(struct asm_ctx *a, int ni);
static int emit_opt(struct asm_ctx *a, int ni);
static int emit_body(struct asm_ctx *a, int ni);

/* A repeated node r as a list whose elements are emitted by elem (r itself
 * for a repeated field or a 2-level list, r's child for a 3-level one). */
static int emit_list(struct asm_ctx *a, int ri, int ei, int as_map)
{
	const struct node *r = &a->f->nodes[ri];
	struct buf *b = a->out;
	int d = peek_def(a, r);
	if (d < 0)
		return fail_asm(a, r, "levels end early");
	int string_keys = as_map && a->f->nodes[as_map].string_keys;
	if (d < r->def) {
		buf_adds(b, string_keys ? "{}" : "[]");
		return skip_entry(a, r);
	}
	buf_addc(b, string_keys ? '{' : '[');
	size_t key_base = a->nkeys;
	for (int first = 1;; first = 0) {
		if (!first)
			buf_addc(b, ',');
		if (as_map) {
			int k = r->children[0], v = r->nchildren > 1 ? r->children[1] : -1;
			if (string_keys) {
				const struct node *kn = &a->f->nodes[k];
				/* keys are required by the format; a null one is no "" */
				if (kn->repetition == R_OPTIONAL && peek_def(a, kn) < kn->def)
					return fail_asm(a, kn, "a map key is null");
				size_t at = b->len;
				if (emit_body(a, k))
					return -1;
				if (a->nkeys == a->keycap) {
					a->keycap = a->keycap ? a->keycap * 2 : 64;
					a->keys = xrealloc(a->keys, a->keycap * sizeof *a->keys);
				}
				a->keys[a->nkeys++] = (struct key_span){at, b->len - at, NULL};
				buf_addc(b, ':');
			} else {
				buf_adds(b, "{\"key\":");
				if (emit(a, k))
					return -1;
				buf_adds(b, ",\"value\":");
			}
			if (v < 0)
				buf_adds(b, "null");
			else if (emit(a, v))
				return -1;
			if (!string_keys)
				buf_addc(b, '}');
		} else if (ei == ri) {
			if (emit_body(a, ri))
				return -1;
		} else if (emit(a, ei)) {
			return -1;
		}
		int more = next_element(a, r);
		if (more < 0)
			return -1;
		if (!more)
			break;
	}
	if (string_keys && keys_unique(a, &a->f->nodes[r->children[0]], key_base))
		return -1;
	buf_addc(b, string_keys ? '}' : ']');
	return 0;
}

static int emit_body(struct asm_ctx *a, int ni)
{
	const struct node *n = &a->f->nodes[ni];
	struct buf *b = a->out;
	if (b->len > PQ_MAX_BYTES)
		return fail_asm(a, n, "JSON for the field grows past 1 GiB in this row group");
	if (n->type != T_GROUP) {
		struct col *c = first_col(a, n);
		if (c->li >= c->nlev)
			return fail_asm(a, n, "levels end early");
		if (c->def[c->li] != n->def)
			return fail_asm(a, n, "definition levels do not add up");
		if (c->vi >= c->nval)
			return fail_asm(a, n, "fewer values than levels say");
		if (put_value(b, n, c, c->vi, a->vwhy, sizeof a->vwhy)) {
			fail_asm(a, n, a->vwhy);
			a->value_leaf = ni;
			return -1;
		}
		c->vi++;
		c->li++;
		return 0;
	}
	if (n->gk == G_LIST)
		return emit_list(a, n->rep_child, n->elem, 0);
	if (n->gk == G_MAP)
		return emit_list(a, n->rep_child, -1, ni);
	buf_addc(b, '{');
	for (int i = 0; i < n->nchildren; i++) {
		if (i)
			buf_addc(b, ',');
		const struct node *ch = &a->f->nodes[n->children[i]];
		jsonw_string(b, ch->name, strlen(ch->name));
		buf_addc(b, ':');
		if (emit(a, n->children[i]))
			return -1;
	}
	buf_addc(b, '}');
	return 0;
}

static int emit_opt(struct asm_ctx *a, int ni)
{
	const struct node *n = &a->f->nodes[ni];
	if (n->repetition == R_OPTIONAL) {
		int d = peek_def(a, n);
		if (d < 0)
			return fail_asm(a, n, "levels end early");
		if (d < n->def) {
			buf_adds(a->out, "null");
			return skip_entry(a, n);
		}
	}
	return emit_body(a, ni);
}

static int emit(struct asm_ctx *a, int ni)
{
	if (a->f->nodes[ni].repetition == R_REPEATED)
		return emit_list(a, ni, ni, 0);
	return emit_opt(a, ni);
}

/* ---- reading a field ---------------------------------------------------- */

/* The dotted path of node ni from the top ("evts.list.element"), as the
 * column chunks' path_in_schema names it. */
static void node_path(const struct pq_file *f, int ni, struct buf *b)
{
	int chain[PQ_MAX_DEPTH + 2], n = 0;
	for (int i = ni; i > 0 && n < PQ_MAX_DEPTH + 2; i = f->nodes[i].parent)
		chain[n++] = i;
	buf_clear(b);
	while (n-- > 0) {
		buf_adds(b, f->nodes[chain[n]].name);
		if (n)
			buf_addc(b, '.');
	}
	buf_addc(b, 0);
}

static void cells_reserve(struct field_state *s, size_t rows)
{
	if (rows + 1 > s->offcap) {
		free(s->offsets);
		s->offsets = xmalloc((rows + 1) * sizeof(uint64_t));
		s->offcap = rows + 1;
	}
	if (rows > s->nullcap || !s->is_null) {
		free(s->is_null);
		s->is_null = xmalloc(rows ? rows : 1);
		s->nullcap = rows ? rows : 1;
	}
}

/* Writes the JSON cell of each of the nrows rows of a (nested or
 * non-string) field from its decoded columns: 0, or -1 with a message. */
static int assemble_rows(struct asm_ctx *a, int rg, int field, size_t nrows, char *err, size_t errn)
{
	struct pq_file *f = a->f;
	int ni = f->fields[field];
	const struct node *n = &f->nodes[ni];
	struct field_state *s = &f->fs[field];
	struct buf *b = a->out;
	struct col *fc = &s->cols[0];
	for (size_t i = 0; i < nrows; i++) {
		s->offsets[i] = b->len;
		if (fc->li >= fc->nlev)
			return errorf(err, errn, "%s: column %s: row group %d: levels end at row %zu of %zu", f->name,
			              f->nodes[f->leaf_node[n->leaf_lo]].name, rg, i, nrows);
		if (fc->rep[fc->li] != 0)
			return errorf(err, errn, "%s: column %s: row group %d: row %zu does not start at repetition level 0",
			              f->name, f->nodes[f->leaf_node[n->leaf_lo]].name, rg, i);
		int rc;
		if (n->repetition == R_OPTIONAL && fc->def[fc->li] < n->def) {
			s->is_null[i] = 1;
			rc = skip_entry(a, n);
		} else {
			s->is_null[i] = 0;
			rc = emit(a, ni);
		}
		if (rc && a->value_leaf >= 0) {
			/* a value: named by its row in the file, as a user counts rows */
			int64_t first = 0;
			for (int g = 0; g < rg; g++)
				first += f->rg_rows[g];
			struct buf path = {0};
			node_path(f, a->value_leaf, &path);
			errorf(err, errn, "%s: column %s, row %" PRId64 ": %s", f->name, path.data, first + (int64_t)i,
			       a->why);
			buf_free(&path);
			return -1;
		}
		if (rc)
			return errorf(err, errn, "%s: column %s: row group %d, row %zu: %s", f->name, a->col, rg, i, a->why);
	}
	return 0;
}

int pq_read_field(struct pq_file *f, int rg, int field, struct pq_cells *out, char *err, size_t errn)
{
	if (rg < 0 || rg >= f->nrg || field < 0 || field >= f->nfields)
		return errorf(err, errn, "%s: no row group %d or field %d", f->name, rg, field);
	int ni = f->fields[field];
	const struct node *n = &f->nodes[ni];
	struct field_state *s = &f->fs[field];
	if (!s->cols) {
		s->ncols = n->leaf_hi - n->leaf_lo;
		s->cols = xcalloc((size_t)s->ncols, sizeof *s->cols);
	}
	int64_t rows = f->rg_rows[rg];
	memset(out, 0, sizeof *out);
	/* A column whose annotation we cannot honour is refused before any
	 * byte of it is read, whatever its values. */
	for (int l = n->leaf_lo; l < n->leaf_hi; l++)
		for (int k = f->leaf_node[l]; k > 0; k = f->nodes[k].parent) /* the leaf and the groups above it */
			if (f->nodes[k].bad) {
				struct buf path = {0};
				node_path(f, k, &path);
				errorf(err, errn, "%s: column %s: %s", f->name, path.data, f->nodes[k].bad);
				buf_free(&path);
				return -1;
			}
	if (rows < 0 || (uint64_t)rows > PQ_MAX_VALUES)
		return errorf(err, errn, "%s: row group %d claims %" PRId64 " rows", f->name, rg, rows);
	/* A field's decoded row group is bounded (PQ_MAX_BYTES), whatever
	 * counts its pages claim: levels, values and cells together. */
	uint64_t used = 0;
	for (int l = 0; l < s->ncols; l++) {
		if (read_chunk(f, rg, n->leaf_lo + l, &s->cols[l], used, err, errn))
			return -1;
		used += col_bytes(&s->cols[l]);
	}
	/* only the bytes of the chunk being decoded are held; let a big one go */
	if (f->chunk.cap > ((size_t)64 << 20)) {
		buf_free(&f->chunk);
		buf_free(&f->page);
	}
	size_t nrows = (size_t)rows;
	cells_reserve(s, nrows);
	out->n = rows;
	out->kind = pq_field_kind(f, field);
	out->is_null = s->is_null;
	out->offsets = s->offsets;
	if (out->kind != PQ_CELLS_JSON) {
		/* a flat leaf: cells point straight at the decoded values */
		struct col *c = &s->cols[0];
		if (c->nlev != nrows)
			return errorf(err, errn, "%s: column %s: row group %d has %zu values for %zu rows", f->name,
			              n->name, rg, c->nlev, nrows);
		size_t v = 0;
		uint64_t *o = s->offsets;
		o[0] = 0;
		for (size_t i = 0; i < nrows; i++) {
			int present = c->def[i] == n->def;
			s->is_null[i] = (uint8_t)!present;
			if (present) {
				o[i + 1] = c->width ? (uint64_t)(v + 1) * (uint64_t)c->width : c->voff[v + 1];
				v++;
			} else {
				o[i + 1] = o[i];
			}
		}
		if (v != c->nval)
			return errorf(err, errn, "%s: column %s: row group %d has %zu values where levels say %zu", f->name,
			              n->name, rg, c->nval, v);
		out->data = c->vals.data ? c->vals.data : "";
		return 0;
	}
	struct buf *b = &s->text;
	buf_clear(b);
	struct asm_ctx a = {f, s->cols, n->leaf_lo, b, NULL, NULL, -1, "", NULL, 0, 0};
	int rc = assemble_rows(&a, rg, field, nrows, err, errn);
	free(a.keys);
	if (rc)
		return -1;
	s->offsets[nrows] = b->len;
	for (int l = 0; l < s->ncols; l++) {
		struct col *c = &s->cols[l];
		if (c->li != c->nlev || c->vi != c->nval)
			return errorf(err, errn, "%s: column %s: row group %d has more values than its %zu rows", f->name,
			              f->nodes[f->leaf_node[n->leaf_lo + l]].name, rg, nrows);
	}
	out->data = b->data ? b->data : "";
	return 0;
}
