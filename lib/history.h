/*
 * history: the records of a history, one at a time, for the few fields
 * that searching (ar-propose -H), learning (ar-learn) and reporting
 * (ar-report) read.  A history
 * is mostly records that need no more than those, and reading a long one
 * is the bulk of those programs' time: JSON lines are scanned (rec_peek),
 * not parsed, a field's text is decoded only when asked for, and the
 * whole record is parsed only on demand (history_json).  A CSV row is
 * parsed (rec_read).  Either way a field reads as jansson reads it.
 *
 *	history_open(&h, f, ar_fname(path));
 *	while ((rc = history_next(&h, &err)) != 0) {
 *		if (rc < 0)	   err says where and what
 *			...
 *		status = history_string(&h, HISTORY_STATUS, NULL);
 *		...
 *	}
 *	history_close(&h);
 *
 * What a field holds is valid until the next record.
 */
#ifndef AR_HISTORY_H
#define AR_HISTORY_H

#include <stdio.h>

#include <jansson.h>

#include "rec.h"
#include "space.h"
#include "util.h"

enum history_field {
	HISTORY_STUDY, HISTORY_ID, HISTORY_ROUND, HISTORY_STRATEGY,
	HISTORY_STATUS, HISTORY_SCORE, HISTORY_PARAMS, HISTORY_OBJECTIVES,
	/* What ar-report(1) reads besides. */
	HISTORY_OBJECTIVE, HISTORY_COST, HISTORY_HOST, HISTORY_DEVICE,
	HISTORY_VARIANT,
	HISTORY_NFIELDS
};

struct history {
	struct rec_reader *r;
	int jsonl;
	/* The record: a JSON line's text and its fields' spans, or a CSV
	 * row parsed (rec; for a JSON line, parsed by history_json). */
	const char *line;
	size_t len;
	struct jscan_span span[HISTORY_NFIELDS];
	json_t *rec;
	struct ar_buf str[HISTORY_NFIELDS];	/* decoded strings */
};

/* Reads f, called name in messages; history_close frees all but f. */
void history_open(struct history *h, FILE *f, const char *name);
void history_close(struct history *h);
const char *history_name(const struct history *h);
/* The line the current record ends on. */
size_t history_line(const struct history *h);

/*
 * The next record: 1, 0 at the end, or -1 with err set, saying the file
 * and line: the input is not a history, or a JSON line is not valid
 * JSON.  After -1 the reader goes on with the next record, or gives the
 * same error again when it cannot go on.
 */
int history_next(struct history *h, struct ar_err *err);

/* Whether the record has the field (null or not). */
int history_has(const struct history *h, enum history_field f);
/* Whether the field is null. */
int history_is_null(const struct history *h, enum history_field f);
/* The field's string (its length in *len when len is not NULL), or NULL
 * when it is absent or not a string. */
const char *history_string(struct history *h, enum history_field f,
    size_t *len);
/* 1 with the field's value in *v when it is a number, else 0. */
int history_number(const struct history *h, enum history_field f,
    double *v);
/* 1 with the field's values in v[0..n) when it is an array of n
 * numbers, else 0. */
int history_reals(const struct history *h, enum history_field f,
    double *v, size_t n);
/* 1 with the field's value in *v when it is an integer, else 0. */
int history_integer(const struct history *h, enum history_field f,
    json_int_t *v);
/*
 * The record's params as a configuration of sp into cfg, the
 * constraints not checked (space_params_text, space_params_from_json):
 * 0, or -1 with err set.
 */
int history_params(const struct history *h, struct space *sp,
    space_idx *cfg, struct ar_err *err);
/* The whole record, parsed (borrowed), or NULL with err set. */
json_t *history_json(struct history *h, struct ar_err *err);

#endif
