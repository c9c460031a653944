/* remotepq.c - a parquet file read over HTTP byte ranges, with prefetch
 * (remotepq.h).
 *
 * The reader's hints (the column chunks of this row group and the next)
 * go to a thread of its own, with an HTTP handle of its own, that fetches
 * them several at a time while the reader decodes what came before; a
 * read waits for a range under way, takes a fetched one from memory, and
 * asks for anything else itself.  A hint drops what the hints before it
 * fetched and it no longer names.  A range the thread failed to fetch is
 * asked again by the read, whose retries and message then apply. */
#include "hub/remotepq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"

enum range_state { RANGE_FREE, RANGE_QUEUED, RANGE_FETCHING, RANGE_DONE, RANGE_FAILED };

/* A slot of the range cache.  Slots never move (the thread keeps their
 * indices while it fetches), and a hint frees a slot only once no fetch
 * writes into it. */
struct cached_range {
	uint64_t offset;
	size_t len;
	char *data;
	enum range_state state;
	uint64_t seq; /* queueing order, so the thread fetches in reading order */
};

enum { IN_FLIGHT = 4, SLOTS = 512 };

struct remote_pq {
	struct http *http;     /* the reader's */
	struct http *fetcher;  /* the thread's */
	struct http_stats *sink; /* where its counts go at the end */
	char *url, *name;
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct cached_range slot[SLOTS];
	uint64_t seq;
};

static void *prefetch_thread(void *arg)
{
	struct remote_pq *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		/* the IN_FLIGHT oldest queued ranges, oldest first */
		size_t idx[IN_FLIGHT], k = 0;
		for (; k < IN_FLIGHT; k++) {
			size_t best = SLOTS;
			for (size_t i = 0; i < SLOTS; i++)
				if (r->slot[i].state == RANGE_QUEUED && (best == SLOTS || r->slot[i].seq < r->slot[best].seq))
					best = i;
			if (best == SLOTS)
				break;
			idx[k] = best;
			r->slot[best].state = RANGE_FETCHING;
		}
		if (!k) {
			if (r->stop)
				break;
			pthread_cond_wait(&r->cond, &r->mu);
			continue;
		}
		struct http_range want[IN_FLIGHT];
		for (size_t i = 0; i < k; i++) {
			struct cached_range *c = &r->slot[idx[i]];
			want[i] = (struct http_range){c->offset, c->len, c->data};
		}
		pthread_mutex_unlock(&r->mu);
		char err[512];
		int rc = http_read_ranges(r->fetcher, r->url, want, k, IN_FLIGHT, err, sizeof err);
		pthread_mutex_lock(&r->mu);
		for (size_t i = 0; i < k; i++)
			r->slot[idx[i]].state = rc == 0 ? RANGE_DONE : RANGE_FAILED;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static int remote_read_at(void *ctx, uint64_t offset, void *buf, size_t len, char *err, size_t errn)
{
	struct remote_pq *r = ctx;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct cached_range *hit = NULL;
		for (size_t i = 0; i < SLOTS && !hit; i++) {
			struct cached_range *c = &r->slot[i];
			if (c->state != RANGE_FREE && c->state != RANGE_FAILED && offset >= c->offset &&
			    offset + len <= c->offset + c->len)
				hit = c;
		}
		if (!hit)
			break;
		if (hit->state == RANGE_DONE) {
			memcpy(buf, hit->data + (offset - hit->offset), len);
			pthread_mutex_unlock(&r->mu);
			return 0;
		}
		pthread_cond_wait(&r->cond, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return http_read_range(r->http, r->url, offset, buf, len, err, errn);
}

/* Whether slot c holds one of the hinted ranges (so it is still needed). */
static bool slot_needed(const struct pq_range *ranges, size_t n, const struct cached_range *c)
{
	for (size_t i = 0; i < n; i++)
		if (ranges[i].offset >= c->offset && ranges[i].offset + ranges[i].length <= c->offset + c->len)
			return true;
	return false;
}

static bool covered(const struct remote_pq *r, const struct pq_range *x)
{
	for (size_t j = 0; j < SLOTS; j++) {
		const struct cached_range *c = &r->slot[j];
		if (c->state != RANGE_FREE && c->state != RANGE_FAILED && x->offset >= c->offset &&
		    x->offset + x->length <= c->offset + c->len)
			return true;
	}
	return false;
}

static int cmp_range(const void *a, const void *b)
{
	const struct pq_range *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Requests are made few and large: the hinted ranges no slot holds yet
 * are merged, across gaps up to MERGE_GAP, into spans up to MERGE_MAX, and
 * asked for only once there are at least MERGE_MIN bytes of them (or the
 * first range, the one the reader needs now, is among them). */
enum { MERGE_GAP = 1 << 20, MERGE_MAX = 16 << 20, MERGE_MIN = 8 << 20 };

static void remote_will_need(void *ctx, const struct pq_range *ranges, size_t n)
{
	struct remote_pq *r = ctx;
	pthread_mutex_lock(&r->mu);
	/* a slot no hinted range is in is dropped, once no fetch writes into it */
	for (;;) {
		bool busy = false;
		for (size_t i = 0; i < SLOTS && !busy; i++)
			busy = r->slot[i].state == RANGE_FETCHING && !slot_needed(ranges, n, &r->slot[i]);
		if (!busy)
			break;
		pthread_cond_wait(&r->cond, &r->mu);
	}
	for (size_t i = 0; i < SLOTS; i++) {
		struct cached_range *c = &r->slot[i];
		if (c->state != RANGE_FREE && (c->state == RANGE_FAILED || !slot_needed(ranges, n, c))) {
			free(c->data);
			*c = (struct cached_range){0};
		}
	}
	struct pq_range *wanted = xmalloc((n ? n : 1) * sizeof *wanted);
	size_t k = 0;
	uint64_t bytes = 0;
	bool now = false;
	for (size_t i = 0; i < n; i++) {
		if (!ranges[i].length || ranges[i].length > ((uint64_t)1 << 34) || covered(r, &ranges[i]))
			continue;
		now |= i == 0;
		bytes += ranges[i].length;
		wanted[k++] = ranges[i];
	}
	if (k && (now || bytes >= MERGE_MIN)) {
		qsort(wanted, k, sizeof *wanted, cmp_range);
		size_t free_at = 0;
		for (size_t i = 0; i < k;) {
			uint64_t start = wanted[i].offset, end = wanted[i].offset + wanted[i].length;
			size_t j = i + 1;
			while (j < k && wanted[j].offset <= end + MERGE_GAP &&
			       (wanted[j].offset + wanted[j].length > end ? wanted[j].offset + wanted[j].length : end) - start <=
			               MERGE_MAX) {
				if (wanted[j].offset + wanted[j].length > end)
					end = wanted[j].offset + wanted[j].length;
				j++;
			}
			while (free_at < SLOTS && r->slot[free_at].state != RANGE_FREE)
				free_at++;
			if (free_at == SLOTS)
				break; /* the reads fetch the rest themselves */
			r->slot[free_at] = (struct cached_range){start, (size_t)(end - start), xmalloc((size_t)(end - start)),
			                                         RANGE_QUEUED, r->seq++};
			i = j;
		}
	}
	free(wanted);
	if (!r->started) {
		if (pthread_create(&r->thread, NULL, prefetch_thread, r) == 0)
			r->started = true;
		else
			for (size_t i = 0; i < SLOTS; i++)
				if (r->slot[i].state == RANGE_QUEUED)
					r->slot[i].state = RANGE_FAILED;
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

static void remote_close(void *ctx)
{
	struct remote_pq *r = ctx;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	for (size_t i = 0; i < SLOTS; i++)
		if (r->slot[i].state == RANGE_QUEUED)
			r->slot[i].state = RANGE_FAILED;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	if (r->started)
		pthread_join(r->thread, NULL);
	for (size_t i = 0; i < SLOTS; i++)
		free(r->slot[i].data);
	if (r->fetcher) {
		const struct http_stats *st = http_stats(r->fetcher);
		r->sink->requests += st->requests;
		r->sink->retries += st->retries;
		r->sink->resumes += st->resumes;
		r->sink->bytes += st->bytes;
		http_free(r->fetcher);
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cond);
	free(r->url);
	free(r->name);
	free(r);
}

void remotepq_open(struct pq_source *out, struct http *reader, struct http *fetcher, const char *url, uint64_t size,
                   const char *name, struct http_stats *sink)
{
	struct remote_pq *r = xcalloc(1, sizeof *r);
	r->http = reader;
	r->fetcher = fetcher;
	r->sink = sink;
	r->url = xstrdup(url);
	r->name = xstrdup(name);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	*out = (struct pq_source){.ctx = r, .read_at = remote_read_at, .close = remote_close,
	                          .will_need = remote_will_need, .size = size, .name = r->name};
}
