/*
 * pool: a threaded work pool that keeps order.  Items are added in order
 * and run by N threads at once; each is emitted, in the order added, as
 * soon as it and every one before it are done, by whichever thread
 * finished last, so that a stage's output flows while its input is still
 * coming.  At most window items wait ahead of the output: pool_add blocks
 * when the window is full.
 *
 * The callbacks other than run are called with the pool's lock held, so
 * they may read the queue (head, next, running, done) but must not call
 * back into the pool.
 *
 * Ownership: an item added is the pool's; it is given back through
 * ops->release once emitted, or when the pool stops or finishes.
 */
#ifndef AR_POOL_H
#define AR_POOL_H

#include <pthread.h>
#include <stddef.h>

#include "util.h"

/* The head of an item; embed it first in the caller's own struct. */
struct pool_item {
	struct pool_item *next;
	int running;		/* a thread is running it */
	int done;		/* run, or added done: only to be emitted */
};

struct pool_ops {
	/* Does the item's work, in a worker thread, without the lock. */
	void (*run)(void *ctx, struct pool_item *it);
	/* Emits a done item; nonzero stops the pool (it is not released
	 * then but with the rest). */
	int (*emit)(void *ctx, struct pool_item *it);
	/* After an item was started or items were emitted (a progress
	 * line); may be NULL. */
	void (*changed)(void *ctx);
	void (*release)(struct pool_item *it);
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, progress;
	struct pool_item *head, *tail;	/* every item not yet emitted */
	struct pool_item *todo;		/* the first one not yet started */
	size_t outstanding, window;
	int closing;			/* no more items will come */
	int stop;			/* given up: nothing more is emitted */
	const struct pool_ops *ops;
	void *ctx;
	pthread_t *th;
	long nth;
};

/*
 * Starts threads workers.  Returns 0, or -1 with err set when a thread
 * cannot be started (the pool is then unusable, the program should end).
 */
int pool_start(struct pool *p, long threads, size_t window,
    const struct pool_ops *ops, void *ctx, struct ar_err *err);

/* Adds an item at the end; waits while the window is full.  When the
 * pool has stopped, the item is released at once. */
void pool_add(struct pool *p, struct pool_item *it);

/* Whether the pool has stopped (an emit said so). */
int pool_stopped(struct pool *p);

/*
 * Waits until every item added is emitted (or the pool stops), ends the
 * threads and releases what is left.  p->stop then says whether it
 * stopped.
 */
void pool_finish(struct pool *p);

#endif
