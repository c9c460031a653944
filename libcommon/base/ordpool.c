/* ordpool.c - ordered parallel work queue (see ordpool.h). */
#include "base/ordpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "base/die.h"

struct slot {
	void *chunk;
	bool done;
};

struct worker {
	struct ordpool *pool;
	void *state;
	pthread_t thread;
};

struct ordpool {
	ordpool_work work;
	int threads;
	size_t depth;
	/* A ring of in-flight chunks: [head, tail) in submission order, of
	 * which [head, next) have been taken by a thread. */
	struct slot *ring;
	size_t head, next, tail;
	bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t queued, finished;
	struct worker *workers;
	void *inline_state;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ordpool *p = w->pool;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->next == p->tail && !p->stopping)
			pthread_cond_wait(&p->queued, &p->lock);
		if (p->next == p->tail)
			break;
		struct slot *s = &p->ring[p->next++ % p->depth];
		pthread_mutex_unlock(&p->lock);
		p->work(s->chunk, w->state);
		pthread_mutex_lock(&p->lock);
		s->done = true;
		pthread_cond_broadcast(&p->finished);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct ordpool *ordpool_new(int threads, size_t depth, ordpool_work work, void **states)
{
	struct ordpool *p = xcalloc(1, sizeof *p);
	p->work = work;
	p->threads = threads < 1 ? 1 : threads;
	p->depth = depth < 1 ? 1 : depth;
	p->ring = xcalloc(p->depth, sizeof *p->ring);
	if (p->threads == 1) {
		p->inline_state = states[0];
		return p;
	}
	if (pthread_mutex_init(&p->lock, NULL) || pthread_cond_init(&p->queued, NULL) ||
	    pthread_cond_init(&p->finished, NULL))
		die(STATUS_FAIL, "cannot create a lock");
	p->workers = xcalloc((size_t)p->threads, sizeof *p->workers);
	for (int i = 0; i < p->threads; i++) {
		p->workers[i] = (struct worker){p, states[i], 0};
		if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0)
			die(STATUS_FAIL, "cannot start a thread");
	}
	return p;
}

/* The oldest chunk, once it is done (lock held). */
static void *take_oldest(struct ordpool *p)
{
	struct slot *s = &p->ring[p->head % p->depth];
	while (!s->done)
		pthread_cond_wait(&p->finished, &p->lock);
	p->head++;
	return s->chunk;
}

void *ordpool_submit(struct ordpool *p, void *chunk)
{
	if (p->threads == 1) {
		p->work(chunk, p->inline_state);
		return chunk;
	}
	pthread_mutex_lock(&p->lock);
	void *out = NULL;
	if (p->tail - p->head == p->depth)
		out = take_oldest(p);
	p->ring[p->tail % p->depth] = (struct slot){chunk, false};
	p->tail++;
	pthread_cond_signal(&p->queued);
	pthread_mutex_unlock(&p->lock);
	return out;
}

void *ordpool_drain(struct ordpool *p)
{
	if (p->threads == 1)
		return NULL;
	pthread_mutex_lock(&p->lock);
	void *out = p->head < p->tail ? take_oldest(p) : NULL;
	pthread_mutex_unlock(&p->lock);
	return out;
}

void ordpool_free(struct ordpool *p)
{
	if (!p)
		return;
	if (p->threads > 1) {
		pthread_mutex_lock(&p->lock);
		p->stopping = true;
		pthread_cond_broadcast(&p->queued);
		pthread_mutex_unlock(&p->lock);
		for (int i = 0; i < p->threads; i++)
			pthread_join(p->workers[i].thread, NULL);
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->queued);
		pthread_cond_destroy(&p->finished);
		free(p->workers);
	}
	free(p->ring);
	free(p);
}
