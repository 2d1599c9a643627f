/*
 * history: a history's records, scanned for the fields searching and
 * learning read.
 */
#include <stdlib.h>
#include <string.h>

#include "history.h"

static const char *const field_keys[HISTORY_NFIELDS] = {
	"study", "id", "round", "strategy", "status", "score", "params",
	"objectives", "objective", "cost_s", "host", "device", "variant"
};

void
history_open(struct history *h, FILE *f, const char *name)
{
	memset(h, 0, sizeof(*h));
	h->r = rec_reader_new(f, name);
	h->jsonl = rec_reader_format(h->r) == REC_JSONL;
}

void
history_close(struct history *h)
{
	size_t i;

	json_decref(h->rec);
	for (i = 0; i < HISTORY_NFIELDS; i++)
		free(h->str[i].buf);
	rec_reader_free(h->r);
	memset(h, 0, sizeof(*h));
}

const char *
history_name(const struct history *h)
{
	return rec_reader_name(h->r);
}

size_t
history_line(const struct history *h)
{
	return rec_reader_line(h->r);
}

int
history_next(struct history *h, struct ar_err *err)
{
	struct ar_err e;
	int rc;

	json_decref(h->rec);
	h->rec = NULL;
	if (!h->jsonl)
		return rec_read(h->r, &h->rec, err);
	if ((rc = rec_read_line(h->r, &h->line, &h->len, err)) <= 0)
		return rc;
	/* e says "invalid JSON at column N: what". */
	if (rec_peek(h->line, h->len, field_keys, HISTORY_NFIELDS, h->span,
	    &e) != 0) {
		ar_errf(err, "%s:%zu: %s", history_name(h), history_line(h),
		    e.msg);
		return -1;
	}
	return 1;
}

/* The field of a CSV row. */
static json_t *
field_json(const struct history *h, enum history_field f)
{
	return json_object_get(h->rec, field_keys[f]);
}

int
history_has(const struct history *h, enum history_field f)
{
	return h->jsonl ? h->span[f].start != NULL : field_json(h, f) != NULL;
}

int
history_is_null(const struct history *h, enum history_field f)
{
	const struct jscan_span *sp = &h->span[f];

	if (!h->jsonl)
		return json_is_null(field_json(h, f));
	return sp->start != NULL && sp->len == 4 &&
	    memcmp(sp->start, "null", 4) == 0;
}

const char *
history_string(struct history *h, enum history_field f, size_t *len)
{
	const struct jscan_span *sp = &h->span[f];
	struct ar_buf *b = &h->str[f];
	json_t *v;
	long n;

	if (!h->jsonl) {
		v = field_json(h, f);
		if (!json_is_string(v))
			return NULL;
		if (len != NULL)
			*len = json_string_length(v);
		return json_string_value(v);
	}
	if (sp->start == NULL || *sp->start != '"')
		return NULL;
	b->len = 0;
	buf_grow(b, sp->len + 1);
	if ((n = rec_span_string(sp, b->buf, sp->len + 1)) < 0)
		return NULL;
	if (len != NULL)
		*len = (size_t)n;
	return b->buf;
}

/* A span rec_peek found is valid JSON: a number starts so. */
static int
span_is_number(const struct jscan_span *sp)
{
	return sp->start != NULL && (*sp->start == '-' ||
	    (*sp->start >= '0' && *sp->start <= '9'));
}

int
history_number(const struct history *h, enum history_field f, double *v)
{
	json_t *j;

	if (!h->jsonl) {
		j = field_json(h, f);
		if (!json_is_number(j))
			return 0;
		*v = json_number_value(j);
		return 1;
	}
	if (!span_is_number(&h->span[f]))
		return 0;
	/* The text goes on past the number, which ends where JSON's does. */
	*v = strtod(h->span[f].start, NULL);
	return 1;
}

int
history_reals(const struct history *h, enum history_field f, double *v,
    size_t n)
{
	const struct jscan_span *sp = &h->span[f];
	json_t *a, *x;
	size_t i;
	int ok;

	if (!h->jsonl)
		a = json_incref(field_json(h, f));
	else if (sp->start == NULL || *sp->start != '[')
		return 0;
	else
		a = json_loadb(sp->start, sp->len, 0, NULL);
	ok = json_array_size(a) == n;
	for (i = 0; ok && i < n; i++) {
		x = json_array_get(a, i);
		if ((ok = json_is_number(x)))
			v[i] = json_number_value(x);
	}
	json_decref(a);
	return ok;
}

int
history_integer(const struct history *h, enum history_field f,
    json_int_t *v)
{
	const struct jscan_span *sp = &h->span[f];
	json_t *j;
	size_t i;

	if (!h->jsonl) {
		j = field_json(h, f);
		if (!json_is_integer(j))
			return 0;
		*v = json_integer_value(j);
		return 1;
	}
	if (!span_is_number(sp))
		return 0;
	for (i = 0; i < sp->len; i++)
		if (strchr(".eE", sp->start[i]) != NULL)
			return 0;
	*v = strtoll(sp->start, NULL, 10);
	return 1;
}

int
history_params(const struct history *h, struct space *sp, space_idx *cfg,
    struct ar_err *err)
{
	if (!h->jsonl)
		return space_params_from_json(sp, field_json(h,
		    HISTORY_PARAMS), cfg, err);
	return space_params_text(sp, h->span[HISTORY_PARAMS].start,
	    h->span[HISTORY_PARAMS].len, cfg, err);
}

json_t *
history_json(struct history *h, struct ar_err *err)
{
	json_error_t je;

	if (h->rec == NULL && (h->rec = json_loadb(h->line, h->len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL)
		ar_errf(err, "invalid JSON: %s", je.text);
	return h->rec;
}
