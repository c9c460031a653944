/* parfor.c - static-partition parallel for over a pthread pool (see parfor.h). */
#include "base/parfor.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/die.h"

struct worker {
	struct parfor *pool;
	int id;
	pthread_t thread;
};

struct parfor {
	int threads;
	struct worker *workers; /* threads - 1 of them: slice 0 is the caller's */
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	/* The job in hand; a new one is announced by bumping gen. */
	unsigned long gen;
	int pending, stopping;
	parfor_fn fn;
	void *arg;
	size_t n;
};

static void run_slice(parfor_fn fn, void *arg, size_t n, int threads, int t)
{
	size_t lo = n * (size_t)t / (size_t)threads;
	size_t hi = n * (size_t)(t + 1) / (size_t)threads;
	if (lo < hi)
		fn(arg, lo, hi, t);
}

static void *worker_main(void *v)
{
	struct worker *w = v;
	struct parfor *p = w->pool;
	unsigned long seen = 0;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->gen == seen && !p->stopping)
			pthread_cond_wait(&p->go, &p->lock);
		if (p->stopping)
			break;
		seen = p->gen;
		parfor_fn fn = p->fn;
		void *arg = p->arg;
		size_t n = p->n;
		pthread_mutex_unlock(&p->lock);
		run_slice(fn, arg, n, p->threads, w->id);
		pthread_mutex_lock(&p->lock);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct parfor *parfor_new(int threads)
{
	if (threads < 1)
		threads = 1;
	struct parfor *p = xcalloc(1, sizeof *p);
	p->threads = threads;
	if (threads == 1)
		return p;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->workers = xcalloc((size_t)threads - 1, sizeof *p->workers);
	for (int i = 0; i < threads - 1; i++) {
		p->workers[i].pool = p;
		p->workers[i].id = i + 1;
		if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]))
			die(STATUS_FAIL, "parfor: cannot start a thread:");
	}
	return p;
}

void parfor_run(struct parfor *p, size_t n, parfor_fn fn, void *arg)
{
	if (p->threads == 1 || n < 2) {
		if (n)
			fn(arg, 0, n, 0);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->fn = fn;
	p->arg = arg;
	p->n = n;
	p->pending = p->threads - 1;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	run_slice(fn, arg, n, p->threads, 0);
	pthread_mutex_lock(&p->lock);
	while (p->pending)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void parfor_free(struct parfor *p)
{
	if (!p)
		return;
	if (p->threads > 1) {
		pthread_mutex_lock(&p->lock);
		p->stopping = 1;
		pthread_cond_broadcast(&p->go);
		pthread_mutex_unlock(&p->lock);
		for (int i = 0; i < p->threads - 1; i++)
			pthread_join(p->workers[i].thread, NULL);
		free(p->workers);
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->go);
		pthread_cond_destroy(&p->done);
	}
	free(p);
}
