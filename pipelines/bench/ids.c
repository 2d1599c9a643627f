/*
 * ids: times space_id, the id of a configuration (a SHA-256 of the study's
 * fixed prefix and the configuration's "name=value" lines), over every
 * valid configuration of a study, as bo does when it checks each unseen
 * one against the history.
 *
 * usage: ids study.json [repeats]
 * Prints one JSON line: {"study", "configs", "repeats", "us_per_id" (the
 * median over the repeats), "check" (a sum of the ids' first bytes, the
 * same for any build that gives the same ids)}.
 */
#include <stdio.h>
#include <stdlib.h>

#include "space.h"
#include "spec.h"

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct spec s;
	struct space sp;
	struct ar_err err;
	char id[SPACE_IDLEN + 1];
	int reps = argc > 2 ? atoi(argv[2]) : 7, r;
	double *t, t0;
	unsigned long check = 0;
	size_t i;

	if (argc < 2 || reps < 1) {
		fprintf(stderr, "usage: ids study.json [repeats]\n");
		return 2;
	}
	if (spec_load(&s, argv[1], NULL, 0, &err) != 0 ||
	    space_init(&sp, &s, &err) != 0) {
		fprintf(stderr, "ids: %s\n", err.msg);
		return 2;
	}
	if (space_materialize(&sp, 10000000) == 0 || sp.nlist == 0) {
		fprintf(stderr, "ids: %s: the space is too large to list\n",
		    argv[1]);
		return 2;
	}
	t = calloc((size_t)reps, sizeof(*t));
	for (r = 0; r < reps; r++) {
		t0 = ar_now();
		for (i = 0; i < sp.nlist; i++) {
			space_id(&sp, sp.list + i * sp.np, id);
			check += (unsigned char)id[0];
		}
		t[r] = (ar_now() - t0) / (double)sp.nlist * 1e6;
	}
	qsort(t, (size_t)reps, sizeof(*t), cmp_dbl);
	printf("{\"study\":\"%s\",\"configs\":%zu,\"repeats\":%d,"
	    "\"us_per_id\":%.3f,\"check\":%lu}\n", argv[1], sp.nlist, reps,
	    t[reps / 2], check / (unsigned long)reps);
	free(t);
	space_release(&sp);
	spec_release(&s);
	return 0;
}
