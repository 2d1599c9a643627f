/*
 * pool: a threaded work pool that keeps order (see pool.h).
 */
#include <stdlib.h>
#include <string.h>

#include "pool.h"

/*
 * Emits the done items at the head of the queue, in order.  Called with
 * the lock held, by whichever thread finished last.
 */
static void
flush_head(struct pool *p)
{
	struct pool_item *it;

	while (!p->stop && (it = p->head) != NULL && it->done) {
		if (p->ops->emit(p->ctx, it) != 0) {
			p->stop = 1;
			break;
		}
		p->head = it->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->ops->release(it);
		p->outstanding--;
	}
	if (p->ops->changed != NULL)
		p->ops->changed(p->ctx);
	pthread_cond_broadcast(&p->progress);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct pool_item *it;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->todo == NULL && !p->closing)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop || p->todo == NULL)
			break;
		it = p->todo;
		for (p->todo = it->next; p->todo != NULL && p->todo->done;
		    p->todo = p->todo->next)
			;
		it->running = 1;
		if (p->ops->changed != NULL)
			p->ops->changed(p->ctx);
		pthread_mutex_unlock(&p->mu);

		p->ops->run(p->ctx, it);

		pthread_mutex_lock(&p->mu);
		it->running = 0;
		it->done = 1;
		flush_head(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
pool_start(struct pool *p, long threads, size_t window,
    const struct pool_ops *ops, void *ctx, struct ar_err *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->progress, NULL);
	p->window = window;
	p->ops = ops;
	p->ctx = ctx;
	p->th = ecalloc((size_t)threads, sizeof(*p->th));
	for (p->nth = 0; p->nth < threads; p->nth++)
		if ((rc = pthread_create(&p->th[p->nth], NULL, worker, p))
		    != 0) {
			ar_errf(err, "cannot start a thread: %s",
			    strerror(rc));
			return -1;
		}
	return 0;
}

void
pool_add(struct pool *p, struct pool_item *it)
{
	pthread_mutex_lock(&p->mu);
	while (!p->stop && p->outstanding >= p->window)
		pthread_cond_wait(&p->progress, &p->mu);
	if (p->stop) {
		pthread_mutex_unlock(&p->mu);
		p->ops->release(it);
		return;
	}
	if (p->tail != NULL)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	p->outstanding++;
	if (it->done)
		flush_head(p);
	else {
		if (p->todo == NULL)
			p->todo = it;
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
}

int
pool_stopped(struct pool *p)
{
	int s;

	pthread_mutex_lock(&p->mu);
	s = p->stop;
	pthread_mutex_unlock(&p->mu);
	return s;
}

void
pool_finish(struct pool *p)
{
	struct pool_item *it;
	long i;

	/* The items added so far are good: they are run and emitted. */
	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	pthread_cond_broadcast(&p->work);
	while (!p->stop && p->head != NULL)
		pthread_cond_wait(&p->progress, &p->mu);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	free(p->th);
	p->th = NULL;
	while ((it = p->head) != NULL) {
		p->head = it->next;
		p->ops->release(it);
	}
	p->tail = p->todo = NULL;
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->progress);
	pthread_mutex_destroy(&p->mu);
}
