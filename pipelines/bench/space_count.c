/*
 * space_count: times building the valid space of a study, with constraint
 * pruning (what ar-propose does) and without it (every combination built,
 * then checked).  Plain enumeration of a large space takes minutes, so it
 * stops after a time limit and projects its total from the share of the
 * space it covered, which is exact for the lexicographic order: the share
 * is the position of the last configuration visited.
 *
 * usage: space_count study.json [repeats] [plain-limit-seconds]
 * Prints one JSON line per measurement.
 */
#include <stdlib.h>

#include "space.h"
#include "spec.h"

struct plain {
	const struct space *sp;
	double start, limit, share;
	uint64_t found;
};

static int
plain_visit(void *ctx, const space_idx *cfg)
{
	struct plain *p = ctx;
	const struct spec *s = p->sp->spec;
	double pos = 0;
	size_t d;

	p->found++;
	if (ar_now() - p->start < p->limit)
		return 0;
	for (d = 0; d < p->sp->np; d++)
		pos = pos * (double)s->params[d].n + cfg[d];
	p->share = (pos + 1) / p->sp->product;
	return 1;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char *argv[])
{
	struct spec s;
	struct space sp;
	struct ar_err err;
	struct plain p = { 0 };
	int reps = argc > 2 ? atoi(argv[2]) : 5, i;
	double limit = argc > 3 ? atof(argv[3]) : 60, *t, t0;
	uint64_t n = 0;

	if (argc < 2 || reps < 1) {
		fprintf(stderr, "usage: space_count study.json [repeats] "
		    "[plain-limit-seconds]\n");
		return 2;
	}
	if (spec_load(&s, argv[1], NULL, 0, &err) != 0 ||
	    space_init(&sp, &s, &err) != 0) {
		fprintf(stderr, "space_count: %s\n", err.msg);
		return 2;
	}
	t = calloc((size_t)reps, sizeof(*t));
	for (i = 0; i < reps; i++) {
		t0 = ar_now();
		n = space_count(&sp, 1);
		t[i] = ar_now() - t0;
	}
	qsort(t, (size_t)reps, sizeof(*t), cmp);
	printf("{\"method\":\"pruned\",\"study\":\"%s\",\"product\":%.0f,"
	    "\"valid\":%llu,\"repeats\":%d,\"seconds_median\":%.3f,"
	    "\"seconds_min\":%.3f,\"seconds_max\":%.3f}\n", s.name,
	    sp.product, (unsigned long long)n, reps, t[reps / 2], t[0],
	    t[reps - 1]);
	fflush(stdout);

	p.sp = &sp;
	p.limit = limit;
	p.share = 1;
	p.start = ar_now();
	space_enumerate(&sp, 0, plain_visit, &p);
	t0 = ar_now() - p.start;
	printf("{\"method\":\"plain\",\"study\":\"%s\",\"valid_found\":%llu,"
	    "\"seconds\":%.3f,\"share_covered\":%.6f,"
	    "\"seconds_projected\":%.1f,\"complete\":%s}\n", s.name,
	    (unsigned long long)p.found, t0, p.share, t0 / p.share,
	    p.share >= 1 ? "true" : "false");
	free(t);
	space_release(&sp);
	spec_release(&s);
	return 0;
}
