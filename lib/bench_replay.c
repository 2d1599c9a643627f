/*
 * The "replay" backend: nothing runs.  Each variant's outcome is looked
 * up in a Kernel Tuner cache file (replay.h says what each record
 * becomes), and what the evaluation cost is what the file says it cost.
 */
#include <string.h>

#include "bench.h"
#include "replay.h"

/*
 * The study's cache file, loaded and tied to the study; bad data is bad
 * input.  A file cut off (Kernel Tuner writes its closing braces only
 * when it finishes) is read up to its last complete record, and said
 * once: the configurations after it are not in the file, so they come
 * out "invalid", which is not what they would have measured.
 */
static int
rp_load(struct bench *b, struct ar_err *err)
{
	struct replay *r;
	struct ar_buf t = { 0 };
	size_t n;

	if ((b->priv = r = replay_load(b->spec.source, err)) == NULL ||
	    replay_bind(r, &b->spec, err) != 0)
		return AR_EXIT_USAGE;
	if ((n = replay_truncated(r)) > 0) {
		buf_printf(&t, "%s: the file is cut off (is Kernel Tuner still "
		    "writing it?): read its %zu complete records; a "
		    "configuration not among them is \"invalid\"",
		    b->spec.source, n);
		b->note = t.buf;
	}
	return 0;
}

/* The device of a replay: the file's device_name, where it has one
 * (the AMD files have an empty one).  No machine here measured it, and
 * the file does not say which did, so a replay has no host. */
static int
rp_start(struct bench *b, struct ar_err *err)
{
	const char *d = replay_device(b->priv);

	(void)err;
	b->device = *d != '\0' ? estrdup(d) : NULL;
	return 0;
}

/*
 * The time is the file's "time", the mean of its runs as Kernel Tuner
 * reports it, so that a replay finds the optimum the file's users know;
 * "times" are the statistics of the recorded runs.
 */
static int
rp_measure(struct bench *b, struct bench_item *it,
    struct bench_outcome *o, struct ar_err *err)
{
	struct replay_hit h;

	(void)err;
	replay_lookup(b->priv, it->cfg, &h);
	o->cost_s = h.cost_s;
	if (strcmp(h.status, "ok") != 0) {
		bench_fail(o, h.status, "%s", h.error);
		return 0;
	}
	o->status = "ok";
	o->time_s = h.time_s;
	o->st = h.times;
	bench_check_bound(b, o);
	return 0;
}

static void
rp_release(struct bench *b)
{
	replay_free(b->priv);
	b->priv = NULL;
}

const struct bench_backend bench_replay = {
	.name = "replay",
	.columns = bench_command_columns,
	.lookup = 1,
	.load = rp_load,
	.start = rp_start,
	.measure = rp_measure,
	.release = rp_release,
};
