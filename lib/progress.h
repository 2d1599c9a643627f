/*
 * progress: what a stage shows of its work on a terminal besides the
 * candidate at work (util.h's ar_status draws the line): the time spent,
 * the time left at the mean pace so far when the number of candidates is
 * known, else the mean time a candidate took, and the fastest candidate
 * measured ok.  Also the texts both lines use: a configuration as
 * "TI=32 TJ=64" (a time is util.h's ar_fmt_time).
 *
 * Ownership: a struct progress owns the label of its fastest candidate;
 * progress_release frees it.  progress_label returns a new string.
 */
#ifndef AR_PROGRESS_H
#define AR_PROGRESS_H

#include <stddef.h>

#include "space.h"
#include "spec.h"
#include "util.h"

struct progress {
	double start;		/* when the first candidate began */
	size_t done;		/* candidates finished */
	size_t total;		/* candidates in all; 0 when not known */
	char *best;		/* the fastest ok candidate's label, or NULL */
	double best_s;		/* its time_s */
};

/* Starts the clock; total is 0 when the number of candidates is not known. */
void progress_start(struct progress *p, size_t total);
/* One candidate finished; time_s is NAN when it has none, and counts
 * for the fastest only when ok. */
void progress_done(struct progress *p, const char *label, int ok,
    double time_s);
/*
 * Appends to t what the line says of the pace, once a candidate is done:
 * " | 12s spent, about 15s left" (or ", 0.52 s a UNIT" when the total is
 * not known), then " | fastest 1.23 ms: LABEL" once one was measured ok.
 */
void progress_pace(const struct progress *p, const char *unit,
    struct ar_buf *t);
void progress_release(struct progress *p);

/* "TI=32 TJ=64": a configuration of s as -D spells its values. */
char *progress_label(const struct spec *s, const space_idx *cfg);

#endif
