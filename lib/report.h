/*
 * report: the facts ar-report(1) shows, gathered from one or more
 * histories of a study: which records there are and how each ended, the
 * best and its measured neighbours, how fast each series found its best,
 * which parameter values fail, the top records and the Pareto front.
 * Nothing here prints: the page and the text are written by the tool
 * (page.h, tools/ar-report.c) from what is computed here.
 *
 * Records are grouped into series: by default each file is one series,
 * and files given the same name are seeds of it; with a field (by), the
 * records of each file are split by that field's value, and the files
 * are the seeds of every series.  A run is one series in one file: its
 * records in file order are its evaluations.
 *
 *	report_init(&r, &space, objective_text, by);
 *	for each file: report_read(&r, f, path, series_name_or_NULL, &err);
 *	report_finish(&r);
 *	... the functions below ...
 *	report_release(&r);
 *
 * Ownership: report_init borrows the space (and its spec), which must
 * outlive the report; report_release frees the rest.
 */
#ifndef AR_REPORT_H
#define AR_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "space.h"
#include "spec.h"
#include "util.h"

/* The statuses a record may end with, in ar-formats(7)'s order; any
 * other name a history holds follows these in rep->status. */
#define REPORT_STATUSES { "ok", "compile_error", "invalid", "wrong", \
	"crash", "timeout", "suspicious", "infeasible" }
#define REPORT_NSTATUSES 8

/* Series at most (a report of more shows nothing), and distinct status or
 * strategy names kept before the rest are read as "(other)". */
#define REPORT_MAX_SERIES	1000
#define REPORT_MAX_NAMES	64

struct report_rec {
	size_t file, line;	/* where it was read */
	size_t run;		/* its run (rep->runs) */
	size_t at;		/* its evaluation in the run, from 1 */
	size_t status;		/* index in rep->status; "none" if absent */
	/* Higher is better: the score, or for a study of several
	 * objectives its first objective signed so; NAN unless the record
	 * is ok with a finite value. */
	double key;
	double objective;	/* the first objective's raw value, or NAN */
	double cost;		/* cost_s, 0 when absent */
	double cumcost;		/* the run's cost_s up to this one */
	int hasobj;		/* obj holds all the study's objectives */
	double obj[SPEC_MAX_OBJECTIVES];
	long round;		/* -1 when none */
	char *id;		/* "" when none */
	size_t strategy;	/* index in rep->strings; 0 ("") when none */
	json_t *variant;	/* its "variant" object, or NULL */
};

struct report_run {
	size_t series, file;
	size_t n;		/* evaluations */
};

/* One distinct configuration (or program): the records measuring it. */
struct report_cfg {
	size_t first;		/* the index of its first record */
	size_t best;		/* the record of its best key (first
				 * when none is ok) */
	size_t n, nok;
	double median;		/* the median objective of its ok records */
	double key;		/* the best key of them */
	size_t status;		/* the commonest status when none is ok */
};

struct report {
	struct space *sp;
	const struct spec *spec;
	char *objective;	/* "minimize time_s" */
	int maximize;		/* the first objective's direction */
	const char *by;		/* the field series split on, or NULL */

	char **files;		/* as named */
	size_t nfiles;
	char **series;
	size_t nseries;
	struct report_run *runs;
	size_t nruns;

	struct report_rec *rec;
	size_t n, cap;
	space_idx *cfg;		/* n * sp->np */
	char **status;		/* names by index */
	size_t nstatus;
	size_t *count;		/* records by status */
	char **strings;		/* strategy names, "" first */
	size_t nstrings;

	/* Set by report_finish. */
	size_t nok;		/* records with a key */
	/* The scale report_targets puts keys on: every key negative (a
	 * time: -log(-key)), every one positive (log(key)), else ranks. */
	enum { REPORT_NEGLOG, REPORT_LOG, REPORT_RANK } target;
	size_t best;		/* the record with the highest key (the
				 * earliest on a tie), or n when none */
	struct report_cfg *cfgs;	/* distinct configurations, in the
					 * order of their cfg */
	size_t ncfgs;
	size_t *rec_cfg;	/* n: each record's configuration */
	size_t *runoff;		/* nruns + 1: where each run's records
				 * start in runrec */
	size_t *runrec;		/* n: the records run by run, in order */
	double *bestobj;	/* n, as runrec: the run's best objective
				 * so far, NAN before its first ok one */
	size_t *valoff;		/* np + 1: where parameter p's values
				 * start in bystatus's rows */
	size_t *bystatus;	/* valoff[np] * nstatus counts */
};

/* objective: the study's, as metric_objective gives it. */
void report_init(struct report *r, struct space *sp, const char *objective,
    const char *by);
void report_release(struct report *r);

/*
 * Reads a history (JSON lines or CSV) from f, named path; its records go
 * to the series called name (NULL: path), or, with by, to the series of
 * their field's value.  Returns the number of records read, or -1 with
 * err saying the file and line: a line that is not a record, a record
 * of another study, params outside the study's space.
 */
long report_read(struct report *r, FILE *f, const char *path,
    const char *name, struct ar_err *err);

/* Computes what the functions below read; call once, after reading. */
void report_finish(struct report *r);

/* The configuration of record i. */
const space_idx *report_cfg(const struct report *r, size_t i);

/*
 * Best-so-far curves of series s: at npoints x positions (evaluations 1,
 * 2, ... when by_cost is 0, else cumulated cost_s on an even grid up to
 * the largest of the series), the median over its runs of the best
 * objective found so far, and the least and most of them (NAN where no
 * run has an ok record yet).  Returns the number of points written, at
 * most max.
 */
size_t report_curve(const struct report *r, size_t s, int by_cost,
    size_t max, double *x, double *med, double *lo, double *hi);

/*
 * The best objective series s had after its first `evals` evaluations,
 * the median over its runs that have that many (NAN when none did or
 * none found an ok one).
 */
double report_best_after(const struct report *r, size_t s, size_t evals);

/* The median over the runs of series s of the best each found in the end
 * (NAN when none found one). */
double report_best_final(const struct report *r, size_t s);

/*
 * The configuration differing from the best's in parameter p only, at
 * value k: its index in r->cfgs, or r->ncfgs when it was not measured.
 */
size_t report_neighbour(const struct report *r, size_t p, size_t k);

/*
 * The distinct configurations ranked by their best key, best first (ties
 * by first appearance): at most max of them into idx (indices in
 * r->cfgs); returns how many.
 */
size_t report_top(const struct report *r, size_t max, size_t *idx);

/*
 * Records of parameter p at value k that ended with status st.
 */
size_t report_failures(const struct report *r, size_t p, size_t k,
    size_t st);
/* Records of parameter p at value k that did not end ok; *n receives
 * how many records it has in all. */
size_t report_failed(const struct report *r, size_t p, size_t k, size_t *n);

/*
 * Which records are on the Pareto front of those with all objectives and
 * status ok: rank[i] (n of them) is 1 on the front, 2 when another
 * dominates it, 0 for the others.  Returns how many are ranked.
 */
size_t report_pareto(const struct report *r, int *rank);

/*
 * The targets importance decomposes, for the ok records: idx receives
 * their indices, y the key on strat_bo's scale (the log of a speed when
 * every key is negative, its log when every one is positive, else its
 * rank in [0, 1]).  Returns how many.
 */
size_t report_targets(const struct report *r, size_t *idx, double *y);

/* A target back on the objective's scale; NAN from ranks, which have no
 * way back. */
double report_untarget(const struct report *r, double t);

#endif
