#include "metric.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "jsonw.h"
#include "rec.h"

enum slot_kind { SLOT_CONST, SLOT_METRIC, SLOT_FIELD };

struct slot {
	char *name;		/* as the expressions spell it */
	enum slot_kind kind;
	size_t metric;		/* SLOT_METRIC: which */
	char **path;		/* SLOT_FIELD: the keys, outermost first */
	size_t npath;
	int present;		/* vals[] holds this record's value */
	struct ar_buf str;	/* a string unescaped from a line */
};

/*
 * The field paths as a tree of keys, so that a line is scanned once per
 * object on the way (the record, then params, times, ...) with rec_peek,
 * asking for just the keys needed there.
 */
struct node {
	const char *key;	/* borrowed from a slot's path */
	int slot;		/* the slot this path fills, or -1 */
	struct node *kids;
	size_t nkids;
	const char **keys;	/* the kids' keys, for rec_peek */
	struct jscan_span *spans;
};

struct metric {
	char *name;
	struct expr *e;		/* NULL for a metric given as a number */
	struct val num;
	struct val v;		/* its value for the last record */
	int ok;
	size_t nset;		/* the measured records it was not null for */
};

struct metric_set {
	const struct spec *spec;
	size_t nmetrics;
	struct metric *m;
	char *objective;
	struct expr *obj;
	int maximize;
	int given;		/* the objective came from --objective */

	/* The study's "objectives" (nobj 0 without): the first is obj,
	 * the others here, with their values for the last record and the
	 * measured records each was not null for. */
	size_t nobj;
	struct expr *xobj[SPEC_MAX_OBJECTIVES];
	struct val xv[SPEC_MAX_OBJECTIVES];
	int xok[SPEC_MAX_OBJECTIVES];
	size_t xset[SPEC_MAX_OBJECTIVES];

	/* The study's require: a record measured ok must meet each. */
	size_t nreq;
	struct expr **req;

	/*
	 * The records measured ok so far (status "ok" or "infeasible"), and
	 * how many of them gave each slot, the objective and each
	 * requirement a value: for metric_nulls.
	 */
	size_t nok, objset;
	size_t *slotset, *reqset;

	struct slot *slots;
	size_t nslots, capslots;
	struct val *vals;

	/* While parsing: which metric (nmetrics: the objective), and why
	 * the lookup refused a name. */
	size_t parsing;
	char why[256];

	/* The record's own keys needed to read a line: the fields of the
	 * expressions and these. */
	struct node root;
	size_t kstudy, kstatus, kerror, kmetrics, kobjective, kscore;

	json_t *mobj;		/* the metrics object reused for lines */
	struct ar_buf tmp;
	struct ar_buf failed;	/* the requirement a record fails, and why */
};

/* What ar-score makes of a record's status. */
enum verdict {
	V_KEEP,			/* not measured ok: as it is */
	V_OK,			/* measured ok and meets every requirement */
	V_INFEASIBLE		/* measured ok but fails one: ms->failed says */
};

/* The status of a record measured ok that fails a requirement. */
#define INFEASIBLE "infeasible"
/* How the error ar-score writes for it begins. */
#define REQUIRE_PREFIX "require \""

/* The fields that ar-score writes: never read, always replaced. */
static const char *const owned[] = { "metrics", "objective", "score" };

static void
slot_release(struct slot *sl)
{
	size_t i;

	free(sl->name);
	for (i = 0; i < sl->npath; i++)
		free(sl->path[i]);
	free(sl->path);
	free(sl->str.buf);
}

static long
metric_index(const struct metric_set *ms, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ms->nmetrics; i++)
		if (strlen(ms->m[i].name) == len &&
		    memcmp(ms->m[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

/* Whether name[0..len) is word or starts with word and a dot. */
static int
is_under(const char *name, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(name, word, n) == 0 &&
	    (len == n || name[n] == '.');
}

/* Refuses a metric that is not computed before the one being parsed. */
static int
check_order(struct metric_set *ms, size_t j)
{
	if (j < ms->parsing)
		return 0;
	if (j == ms->parsing)
		snprintf(ms->why, sizeof(ms->why), "metric '%s' names itself",
		    ms->m[j].name);
	else
		snprintf(ms->why, sizeof(ms->why), "metric '%s' is computed "
		    "after '%s' (a metric may name only the metrics before "
		    "it)", ms->m[j].name, ms->m[ms->parsing].name);
	return -1;
}

static void
list_metrics(const struct metric_set *ms, struct ar_buf *b)
{
	size_t i;

	if (ms->nmetrics == 0) {
		buf_adds(b, "the study has no metrics");
		return;
	}
	buf_adds(b, "the study's metrics: ");
	for (i = 0; i < ms->nmetrics; i++)
		buf_printf(b, "%s%s", i ? ", " : "", ms->m[i].name);
}

static int
new_slot(struct metric_set *ms, const char *name, size_t len,
    enum slot_kind kind)
{
	struct slot *sl;

	if (ms->nslots == ms->capslots) {
		ms->capslots = ms->capslots ? 2 * ms->capslots : 16;
		ms->slots = ereallocarray(ms->slots, ms->capslots,
		    sizeof(*ms->slots));
	}
	sl = &ms->slots[ms->nslots];
	memset(sl, 0, sizeof(*sl));
	sl->name = estrndup(name, len);
	sl->kind = kind;
	return (int)ms->nslots++;
}

/* The keys of a field's dotted path, after prefix when it is not NULL. */
static char **
split_path(const char *name, size_t len, const char *prefix, size_t *npath)
{
	const char *p, *end = name + len, *dot;
	size_t n = 2;
	char **path;

	for (p = name; p < end; p++)
		n += *p == '.';
	path = ecalloc(n, sizeof(*path));
	*npath = 0;
	if (prefix != NULL)
		path[(*npath)++] = estrdup(prefix);
	for (p = name; ; p = dot + 1) {
		if ((dot = memchr(p, '.', (size_t)(end - p))) == NULL) {
			path[(*npath)++] = estrndup(p, (size_t)(end - p));
			return path;
		}
		path[(*npath)++] = estrndup(p, (size_t)(dot - p));
	}
}

/*
 * A slot for a field: one per path, whatever names lead to it ("TILE"
 * and "params.TILE" are one field), since a line fills each path's slot.
 */
static int
field_slot(struct metric_set *ms, const char *name, size_t len,
    const char *prefix)
{
	size_t i, j, n;
	char **path = split_path(name, len, prefix, &n);
	int k;

	for (i = 0; i < ms->nslots; i++) {
		struct slot *sl = &ms->slots[i];

		if (sl->kind != SLOT_FIELD || sl->npath != n)
			continue;
		for (j = 0; j < n && strcmp(sl->path[j], path[j]) == 0; j++)
			continue;
		if (j == n)
			break;
	}
	if (i < ms->nslots) {
		for (j = 0; j < n; j++)
			free(path[j]);
		free(path);
		return (int)i;
	}
	k = new_slot(ms, name, len, SLOT_FIELD);
	ms->slots[k].path = path;
	ms->slots[k].npath = n;
	return k;
}

/* expr_lookup: gives every distinct name a slot, as the header says. */
static int
lookup(void *ctx, const char *name, size_t len)
{
	struct metric_set *ms = ctx;
	const struct spec *s = ms->spec;
	struct ar_buf b = { 0 };
	size_t i;
	long j;
	int k;

	for (i = 0; i < ms->nslots; i++)
		if (strlen(ms->slots[i].name) == len &&
		    memcmp(ms->slots[i].name, name, len) == 0) {
			if (ms->slots[i].kind == SLOT_METRIC &&
			    check_order(ms, ms->slots[i].metric) != 0)
				return -1;
			return (int)i;
		}
	if ((k = spec_lookup((void *)s, name, len)) >= 0) {
		if ((size_t)k < s->nparams)
			return field_slot(ms, name, len, "params");
		return new_slot(ms, name, len, SLOT_CONST);
	}
	if ((j = metric_index(ms, name, len)) < 0 && len > 8 &&
	    memcmp(name, "metrics.", 8) == 0) {
		if ((j = metric_index(ms, name + 8, len - 8)) < 0) {
			list_metrics(ms, &b);
			snprintf(ms->why, sizeof(ms->why), "unknown metric "
			    "'%.*s' (%s)", (int)(len - 8), name + 8, b.buf);
			free(b.buf);
			return -1;
		}
	}
	if (j >= 0) {
		if (check_order(ms, (size_t)j) != 0)
			return -1;
		k = new_slot(ms, name, len, SLOT_METRIC);
		ms->slots[k].metric = (size_t)j;
		return k;
	}
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (is_under(name, len, owned[i])) {
			snprintf(ms->why, sizeof(ms->why), "'%.*s' cannot be "
			    "read: ar-score computes '%s'%s", (int)len, name,
			    owned[i], i == 0 ? " (name one metric as "
			    "metrics.NAME)" : "");
			return -1;
		}
	if (name[len - 1] == '.' || memmem(name, len, "..", 2) != NULL) {
		snprintf(ms->why, sizeof(ms->why), "'%.*s' is not a field "
		    "name", (int)len, name);
		return -1;
	}
	return field_slot(ms, name, len, NULL);
}

/* Parses src as the expression of metric i (nmetrics: the objective). */
static struct expr *
parse(struct metric_set *ms, size_t i, const char *src, const char *what,
    const char *key, struct ar_err *err)
{
	char msg[256];
	struct expr *e;

	ms->parsing = i;
	ms->why[0] = '\0';
	if ((e = expr_parse(src, lookup, ms, msg, sizeof(msg))) != NULL)
		return e;
	if (ms->why[0] != '\0')
		snprintf(msg, sizeof(msg), "%s", ms->why);
	if (key != NULL)
		ar_errf(err, "%s: key \"%s\": %s in '%s'", what, key, msg, src);
	else
		ar_errf(err, "%s: %s in '%s'", what, msg, src);
	return NULL;
}

static struct val
json_val(json_t *v, int *present)
{
	*present = 1;
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		return val_int(json_integer_value(v));
	case JSON_REAL:
		return val_dbl(json_real_value(v));
	case JSON_TRUE:
		return val_int(1);
	case JSON_FALSE:
		return val_int(0);
	case JSON_STRING:
		return val_str(json_string_value(v));
	default:
		*present = 0;
		return val_int(0);
	}
}

static struct node *
node_kid(struct node *n, const char *key)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		if (strcmp(n->kids[i].key, key) == 0)
			return &n->kids[i];
	n->kids = ereallocarray(n->kids, n->nkids + 1, sizeof(*n->kids));
	memset(&n->kids[n->nkids], 0, sizeof(*n->kids));
	n->kids[n->nkids].key = key;
	n->kids[n->nkids].slot = -1;
	return &n->kids[n->nkids++];
}

/* Once the tree is built (kids no longer move): the arrays for rec_peek. */
static void
node_seal(struct node *n)
{
	size_t i;

	n->keys = ecalloc(n->nkids, sizeof(*n->keys));
	n->spans = ecalloc(n->nkids, sizeof(*n->spans));
	for (i = 0; i < n->nkids; i++) {
		n->keys[i] = n->kids[i].key;
		node_seal(&n->kids[i]);
	}
}

static void
node_release(struct node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		node_release(&n->kids[i]);
	free(n->kids);
	free(n->keys);
	free(n->spans);
}

static size_t
root_key(struct metric_set *ms, const char *key)
{
	return (size_t)(node_kid(&ms->root, key) - ms->root.kids);
}

static void
build_tree(struct metric_set *ms)
{
	struct node *n;
	size_t i, j;

	ms->root.slot = -1;
	ms->kstudy = root_key(ms, "study");
	ms->kstatus = root_key(ms, "status");
	ms->kerror = root_key(ms, "error");
	ms->kmetrics = root_key(ms, owned[0]);
	ms->kobjective = root_key(ms, owned[1]);
	ms->kscore = root_key(ms, owned[2]);
	for (i = 0; i < ms->nslots; i++) {
		struct slot *sl = &ms->slots[i];

		if (sl->kind != SLOT_FIELD)
			continue;
		n = &ms->root;
		for (j = 0; j < sl->npath; j++)
			n = node_kid(n, sl->path[j]);
		n->slot = (int)i;
	}
	node_seal(&ms->root);
}

struct metric_set *
metric_new(const struct spec *s, const char *objective, struct ar_err *err)
{
	struct metric_set *ms = ecalloc(1, sizeof(*ms));
	json_t *metrics = json_object_get(s->root, "metrics"), *v, *reqs;
	const char *name, *src, *what;
	char key[300];
	size_t i = 0;
	int given;

	ms->spec = s;
	ms->nmetrics = json_object_size(metrics);
	ms->m = ecalloc(ms->nmetrics, sizeof(*ms->m));
	json_object_foreach(metrics, name, v)
		ms->m[i++].name = estrdup(name);
	for (i = 0; i < ms->nmetrics; i++) {
		if (spec_lookup((void *)s, ms->m[i].name,
		    strlen(ms->m[i].name)) >= 0) {
			ar_errf(err, "%s: key \"metrics.%s\": a metric may not "
			    "have the name of a parameter or a problem "
			    "constant", s->path, ms->m[i].name);
			goto fail;
		}
	}
	i = 0;
	json_object_foreach(metrics, name, v) {
		snprintf(key, sizeof(key), "metrics.%s", name);
		if (json_is_number(v)) {
			ms->m[i].num = json_is_integer(v) ?
			    val_int(json_integer_value(v)) :
			    val_dbl(json_real_value(v));
		} else if ((ms->m[i].e = parse(ms, i, json_string_value(v),
		    s->path, key, err)) == NULL)
			goto fail;
		i++;
	}

	if ((given = objective != NULL))
		what = "--objective";
	else {
		what = s->path;
		objective = json_string_value(json_object_get(s->root,
		    "objective"));
		if (s->nobjectives > 0) {
			reqs = json_object_get(s->root, "objectives");
			objective = json_string_value(json_array_get(reqs,
			    0));
			ms->nobj = s->nobjectives;
			for (i = 1; i < ms->nobj; i++) {
				snprintf(key, sizeof(key), "objectives[%zu]",
				    i);
				if ((ms->xobj[i] = parse(ms, ms->nmetrics,
				    json_string_value(json_array_get(reqs, i))
				    + 9, s->path, key, err)) == NULL)
					goto fail;
			}
		}
		if (objective == NULL)
			objective = METRIC_DEFAULT_OBJECTIVE;
	}
	ms->objective = estrdup(objective);
	if (strncmp(objective, "minimize ", 9) != 0 &&
	    strncmp(objective, "maximize ", 9) != 0) {
		if (given)
			ar_errf(err, "--objective '%s': expected \"minimize "
			    "EXPR\" or \"maximize EXPR\"", objective);
		else
			ar_errf(err, "%s: key \"objective\": expected "
			    "\"minimize EXPR\" or \"maximize EXPR\"", what);
		goto fail;
	}
	ms->maximize = objective[0] == 'm' && objective[1] == 'a';
	src = objective + 9;
	if ((ms->obj = parse(ms, ms->nmetrics, src, what,
	    given ? NULL : ms->nobj > 0 ? "objectives[0]" : "objective",
	    err)) == NULL)
		goto fail;
	ms->given = given;

	/* spec_load checked that require is an array of strings. */
	reqs = json_object_get(s->root, "require");
	ms->req = ecalloc(json_array_size(reqs), sizeof(*ms->req));
	json_array_foreach(reqs, i, v) {
		snprintf(key, sizeof(key), "require[%zu]", i);
		if ((ms->req[i] = parse(ms, ms->nmetrics,
		    json_string_value(v), s->path, key, err)) == NULL)
			goto fail;
		ms->nreq++;
	}
	ms->reqset = ecalloc(ms->nreq, sizeof(*ms->reqset));
	ms->slotset = ecalloc(ms->nslots, sizeof(*ms->slotset));

	ms->vals = ecalloc(ms->nslots, sizeof(*ms->vals));
	for (i = 0; i < ms->nslots; i++)
		if (ms->slots[i].kind == SLOT_CONST) {
			int k = spec_lookup((void *)s, ms->slots[i].name,
			    strlen(ms->slots[i].name));

			ms->vals[i] = s->consts[(size_t)k - s->nparams].val;
			ms->slots[i].present = 1;
		}
	build_tree(ms);
	ms->mobj = json_object();
	return ms;
fail:
	metric_free(ms);
	return NULL;
}

void
metric_free(struct metric_set *ms)
{
	size_t i;

	if (ms == NULL)
		return;
	for (i = 0; i < ms->nmetrics; i++) {
		free(ms->m[i].name);
		expr_free(ms->m[i].e);
	}
	free(ms->m);
	expr_free(ms->obj);
	for (i = 1; i < ms->nobj; i++)
		expr_free(ms->xobj[i]);
	free(ms->objective);
	for (i = 0; i < ms->nreq; i++)
		expr_free(ms->req[i]);
	free(ms->req);
	free(ms->reqset);
	free(ms->slotset);
	for (i = 0; i < ms->nslots; i++)
		slot_release(&ms->slots[i]);
	free(ms->slots);
	free(ms->vals);
	node_release(&ms->root);
	json_decref(ms->mobj);
	free(ms->tmp.buf);
	free(ms->failed.buf);
	free(ms);
}

const char *
metric_objective(const struct metric_set *ms)
{
	return ms->objective;
}

size_t
metric_count(const struct metric_set *ms)
{
	return ms->nmetrics;
}

const char *
metric_name(const struct metric_set *ms, size_t i)
{
	return i < ms->nmetrics ? ms->m[i].name : NULL;
}

/*
 * Marks the fields that e reads, itself or through a metric that was
 * null for every record measured ok, that none of those records had.
 */
static void
mark_missing(const struct metric_set *ms, const struct expr *e, char *mark)
{
	const int *sl;
	size_t j, n = expr_slots(e, &sl);

	for (j = 0; j < n; j++) {
		const struct slot *s = &ms->slots[sl[j]];
		const struct metric *m = &ms->m[s->metric];

		if (s->kind == SLOT_FIELD && ms->slotset[sl[j]] == 0)
			mark[sl[j]] = 1;
		else if (s->kind == SLOT_METRIC && m->nset == 0 &&
		    m->e != NULL)
			mark_missing(ms, m->e, mark);
	}
}

/* One line of metric_nulls: e under key was null for every record. */
static void
null_line(const struct metric_set *ms, const char *key,
    const struct expr *e, struct ar_buf *out)
{
	char *mark = ecalloc(ms->nslots + 1, 1);
	size_t i, k, n = 0;

	if (key != NULL)
		buf_printf(out, "%s: key \"%s\": ", ms->spec->path, key);
	else
		buf_adds(out, "--objective: ");
	if (ms->nok == 1)
		buf_adds(out, "null for the one ok record");
	else
		buf_printf(out, "null for all %zu ok records", ms->nok);
	mark_missing(ms, e, mark);
	for (i = 0; i < ms->nslots; i++)
		n += mark[i];
	if (n > 0)
		buf_printf(out, " (no ok record has field%s", n > 1 ? "s" :
		    "");
	for (i = 0, k = 0; i < ms->nslots; i++)
		if (mark[i])
			buf_printf(out, "%s\"%s\"", k++ ? ", " : " ",
			    ms->slots[i].name);
	buf_printf(out, "%s in '%s'\n", n > 0 ? ")" : "", expr_source(e));
	free(mark);
}

size_t
metric_nulls(const struct metric_set *ms, struct ar_buf *out)
{
	char key[300];
	size_t i, n = 0;

	if (ms->nok == 0)
		return 0;
	for (i = 0; i < ms->nmetrics; i++)
		if (ms->m[i].e != NULL && ms->m[i].nset == 0) {
			snprintf(key, sizeof(key), "metrics.%s",
			    ms->m[i].name);
			null_line(ms, key, ms->m[i].e, out);
			n++;
		}
	if (ms->objset == 0) {
		null_line(ms, ms->given ? NULL : ms->nobj > 0 ?
		    "objectives[0]" : "objective", ms->obj, out);
		n++;
	}
	for (i = 1; i < ms->nobj; i++)
		if (ms->xset[i] == 0) {
			snprintf(key, sizeof(key), "objectives[%zu]", i);
			null_line(ms, key, ms->xobj[i], out);
			n++;
		}
	for (i = 0; i < ms->nreq; i++)
		if (ms->reqset[i] == 0) {
			snprintf(key, sizeof(key), "require[%zu]", i);
			null_line(ms, key, ms->req[i], out);
			n++;
		}
	return n;
}

/* Evaluates e over the slots: 1 and *out, or 0 for null. */
static int
eval(struct metric_set *ms, const struct expr *e, struct val *out)
{
	const int *sl;
	size_t i, n = expr_slots(e, &sl);

	for (i = 0; i < n; i++)
		if (!ms->slots[sl[i]].present)
			return 0;
	if (expr_eval(e, ms->vals, out, NULL, 0) != 0)
		return 0;
	return out->t != VAL_STR;
}

/* Computes every metric and the objective from the filled slots. */
static void
evaluate(struct metric_set *ms, struct val *obj, int *objok)
{
	size_t i, j;

	for (i = 0; i < ms->nmetrics; i++) {
		struct metric *m = &ms->m[i];

		if (m->e == NULL) {
			m->v = m->num;
			m->ok = 1;
		} else
			m->ok = eval(ms, m->e, &m->v);
		for (j = 0; j < ms->nslots; j++)
			if (ms->slots[j].kind == SLOT_METRIC &&
			    ms->slots[j].metric == i) {
				ms->slots[j].present = m->ok;
				ms->vals[j] = m->v;
			}
	}
	*objok = eval(ms, ms->obj, obj);
	for (i = 1; i < ms->nobj; i++)
		ms->xok[i] = eval(ms, ms->xobj[i], &ms->xv[i]);
}

/* A value as a message shows it. */
static void
put_val(struct ar_buf *b, const struct val *v)
{
	char num[32];

	switch (v->t) {
	case VAL_INT:
		buf_printf(b, "%lld", (long long)v->u.i);
		break;
	case VAL_DBL:
		jsonw_fmt_real(v->u.d, num, sizeof(num));
		buf_adds(b, num);
		break;
	case VAL_STR:
		buf_printf(b, "\"%s\"", v->u.s);
		break;
	}
}

/* Says in ms->failed that requirement i failed, with the values it read. */
static void
describe(struct metric_set *ms, size_t i, const char *why)
{
	struct ar_buf *b = &ms->failed;
	const int *sl;
	size_t j, k = 0, n = expr_slots(ms->req[i], &sl);

	buf_printf(b, REQUIRE_PREFIX "%s\" not met", expr_source(ms->req[i]));
	for (j = 0; j < n; j++) {
		const struct slot *s = &ms->slots[sl[j]];

		/* The study gives the constants; the record the rest. */
		if (s->kind == SLOT_CONST)
			continue;
		buf_adds(b, k++ ? ", " : " (");
		if (!s->present) {
			buf_printf(b, "%s %s", s->name, s->kind == SLOT_FIELD ?
			    "missing" : "null");
			continue;
		}
		buf_printf(b, "%s = ", s->name);
		put_val(b, &ms->vals[sl[j]]);
	}
	if (why[0] != '\0')
		buf_printf(b, "%s%s", k++ ? ": " : " (", why);
	if (k > 0)
		buf_adds(b, ")");
}

/*
 * A record measured ok, once evaluate has run: counts what it gave for
 * metric_nulls, and tells whether it meets every requirement.  Each is
 * evaluated, so that metric_nulls knows which could be; the first that
 * fails is told in ms->failed.  A requirement holds when its value is a
 * number other than 0; null (a field missing), a failed evaluation or a
 * string fails it.
 */
static enum verdict
judge(struct metric_set *ms, int objok)
{
	enum verdict vd = V_OK;
	const int *sl;
	struct val v;
	char msg[128];
	size_t i, j, n;
	int known, holds;

	ms->nok++;
	for (i = 0; i < ms->nslots; i++)
		ms->slotset[i] += ms->slots[i].present != 0;
	for (i = 0; i < ms->nmetrics; i++)
		ms->m[i].nset += ms->m[i].ok != 0;
	ms->objset += objok != 0;
	for (i = 1; i < ms->nobj; i++)
		ms->xset[i] += ms->xok[i] != 0;
	ms->failed.len = 0;
	for (i = 0; i < ms->nreq; i++) {
		n = expr_slots(ms->req[i], &sl);
		for (known = 1, j = 0; j < n; j++)
			known &= ms->slots[sl[j]].present != 0;
		msg[0] = '\0';
		holds = 0;
		if (known && expr_eval(ms->req[i], ms->vals, &v, msg,
		    sizeof(msg)) == 0) {
			if (v.t == VAL_STR)
				snprintf(msg, sizeof(msg), "a string, not a "
				    "number");
			else {
				ms->reqset[i]++;
				holds = val_truth(&v);
			}
		}
		if (holds || vd == V_INFEASIBLE)
			continue;
		vd = V_INFEASIBLE;
		describe(ms, i, msg);
	}
	return vd;
}

/* Whether a status is one of a record measured ok: ar-score judges
 * "infeasible" again, so that re-scoring under another require is right. */
static int
is_measured(const char *status)
{
	return status != NULL && (strcmp(status, "ok") == 0 ||
	    strcmp(status, INFEASIBLE) == 0);
}

/* Whether an error is the one ar-score wrote for an infeasible record. */
static int
is_ours(const char *status, const char *error)
{
	return status != NULL && strcmp(status, INFEASIBLE) == 0 &&
	    error != NULL && strncmp(error, REQUIRE_PREFIX,
	    strlen(REQUIRE_PREFIX)) == 0;
}

static json_t *
val_json(const struct val *v)
{
	if (v->t == VAL_INT)
		return json_integer(v->u.i);
	/* -0.0 would be written "-0.0"; it is the same score as 0. */
	return json_real(v->u.d == 0 ? 0.0 : v->u.d);
}

static json_t *
score_json(const struct metric_set *ms, const struct val *obj, int objok,
    enum verdict vd)
{
	struct val s;

	/* With several objectives, the rank among the others is the score
	 * (metric_rank). */
	if (!objok || vd != V_OK || ms->nobj > 0)
		return json_null();
	if (ms->maximize)
		return val_json(obj);
	if (obj->t == VAL_INT && obj->u.i != INT64_MIN)
		s = val_int(-obj->u.i);
	else
		s = val_dbl(-val_num(obj));
	return val_json(&s);
}

static void
set_metrics(const struct metric_set *ms, json_t *mobj)
{
	size_t i;

	for (i = 0; i < ms->nmetrics; i++)
		json_object_set_new(mobj, ms->m[i].name, ms->m[i].ok ?
		    val_json(&ms->m[i].v) : json_null());
}

static int
check_study(const struct metric_set *ms, const char *study, int isstring,
    struct ar_err *err)
{
	if (!isstring) {
		ar_errf(err, "field \"study\" is not a string");
		return -1;
	}
	if (strcmp(study, ms->spec->name) != 0) {
		ar_errf(err, "a record of study '%s', not '%s'", study,
		    ms->spec->name);
		return -1;
	}
	return 0;
}

int
metric_score_json(struct metric_set *ms, json_t *rec, struct ar_err *err)
{
	json_t *study = json_object_get(rec, "study"), *v, *mobj;
	const char *status;
	struct val obj;
	size_t i, j;
	int objok, ours;
	enum verdict vd = V_KEEP;

	if (study != NULL && check_study(ms, json_string_value(study),
	    json_is_string(study), err) != 0)
		return -1;
	for (i = 0; i < ms->nslots; i++) {
		struct slot *sl = &ms->slots[i];

		if (sl->kind != SLOT_FIELD)
			continue;
		for (v = rec, j = 0; v != NULL && j < sl->npath; j++)
			v = json_object_get(v, sl->path[j]);
		if (v != NULL)
			ms->vals[i] = json_val(v, &sl->present);
		else
			sl->present = 0;
	}
	evaluate(ms, &obj, &objok);
	status = json_string_value(json_object_get(rec, "status"));
	if (is_measured(status))
		vd = judge(ms, objok);
	ours = is_ours(status, json_string_value(json_object_get(rec,
	    "error")));
	/* A new error goes before the fields ar-score adds, as from a line. */
	if (vd == V_INFEASIBLE) {
		json_object_set_new(rec, "status", json_string(INFEASIBLE));
		json_object_set_new(rec, "error", json_stringn(ms->failed.buf,
		    ms->failed.len));
	} else if (vd == V_OK) {
		json_object_set_new(rec, "status", json_string("ok"));
		if (ours)
			json_object_del(rec, "error");
	}
	mobj = json_object();
	set_metrics(ms, mobj);
	json_object_set_new(rec, "metrics", mobj);
	json_object_set_new(rec, "objective", objok ? val_json(&obj) :
	    json_null());
	json_object_set_new(rec, "score", score_json(ms, &obj, objok, vd));
	if (ms->nobj > 0) {
		json_t *a = json_array();

		json_array_append_new(a, objok ? val_json(&obj) :
		    json_null());
		for (i = 1; i < ms->nobj; i++)
			json_array_append_new(a, ms->xok[i] ?
			    val_json(&ms->xv[i]) : json_null());
		json_object_set_new(rec, "objectives", a);
		json_object_set_new(rec, "pareto", json_null());
	}
	return 0;
}

size_t
metric_nobjectives(const struct metric_set *ms)
{
	return ms->nobj;
}

int
metric_costs(const struct metric_set *ms, json_t *rec, double *c)
{
	json_t *a = json_object_get(rec, "objectives"), *v;
	const char *status = json_string_value(json_object_get(rec,
	    "status"));
	size_t i;

	if (ms->nobj == 0 || status == NULL || strcmp(status, "ok") != 0 ||
	    json_array_size(a) != ms->nobj)
		return 0;
	for (i = 0; i < ms->nobj; i++) {
		if (!json_is_number(v = json_array_get(a, i)) ||
		    !isfinite(json_number_value(v)))
			return 0;
		c[i] = ms->spec->objective_max[i] ? -json_number_value(v) :
		    json_number_value(v);
	}
	return 1;
}

/* The string a span holds, into b (NUL-terminated); -1 if not a string. */
static long
span_string(const struct jscan_span *sp, struct ar_buf *b)
{
	buf_grow(b, sp->len + 1);
	return rec_span_string(sp, b->buf, sp->len + 1);
}

/* A slot's value from the raw JSON text of a field. */
static void
span_val(struct slot *sl, const struct jscan_span *sp, struct val *out)
{
	const char *p = sp->start;
	char num[64], *t;
	size_t i;
	int isreal = 0;

	sl->present = 1;
	switch (*p) {
	case '"':
		if (span_string(sp, &sl->str) < 0)
			break;
		*out = val_str(sl->str.buf);
		return;
	case 't':
		*out = val_int(1);
		return;
	case 'f':
		*out = val_int(0);
		return;
	case 'n':
	case '{':
	case '[':
		break;
	default:
		/* rec_peek found a valid number in jansson's range; read it
		 * as jansson would. */
		for (i = 0; i < sp->len; i++)
			if (p[i] == '.' || p[i] == 'e' || p[i] == 'E')
				isreal = 1;
		t = sp->len < sizeof(num) ? num : emalloc(sp->len + 1);
		memcpy(t, p, sp->len);
		t[sp->len] = '\0';
		*out = isreal ? val_dbl(strtod(t, NULL)) :
		    val_int(strtoll(t, NULL, 10));
		if (t != num)
			free(t);
		return;
	}
	sl->present = 0;
}

static void
node_absent(struct metric_set *ms, const struct node *n)
{
	size_t i;

	if (n->slot >= 0)
		ms->slots[n->slot].present = 0;
	for (i = 0; i < n->nkids; i++)
		node_absent(ms, &n->kids[i]);
}

/* Fills the slots under n, whose value is the text sp. */
static void
node_fill(struct metric_set *ms, struct node *n, const struct jscan_span *sp)
{
	struct ar_err err;
	size_t i;

	if (n->slot >= 0)
		span_val(&ms->slots[n->slot], sp, &ms->vals[n->slot]);
	if (n->nkids == 0)
		return;
	/* The line is valid already, so this cannot fail on an object. */
	if (*sp->start != '{' || rec_peek(sp->start, sp->len, n->keys,
	    n->nkids, n->spans, &err) != 0) {
		for (i = 0; i < n->nkids; i++)
			node_absent(ms, &n->kids[i]);
		return;
	}
	for (i = 0; i < n->nkids; i++) {
		if (n->spans[i].start != NULL)
			node_fill(ms, &n->kids[i], &n->spans[i]);
		else
			node_absent(ms, &n->kids[i]);
	}
}

static void
put_json(struct ar_buf *out, json_t *v)
{
	(void)jsonw_dump(out, v, 0);
}

/* A change to a line: the text [start, end) becomes v, or goes (NULL). */
struct edit {
	const char *start, *end;
	json_t *v;
};

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The edit that deletes the member whose value is sp from the object
 * that ends at end, with the comma that parts it from a neighbour.  The
 * line is valid JSON, and the key is "error", which holds no quote even
 * escaped: so the key's quotes are the two before the colon.
 */
static struct edit
drop_member(const struct jscan_span *sp, const char *end)
{
	struct edit e = { NULL, sp->start + sp->len, NULL };
	const char *p = sp->start;

	while (*--p != ':')
		continue;
	while (*--p != '"')
		continue;
	while (*--p != '"')
		continue;
	e.start = p;
	while (is_ws(*--p))
		continue;
	if (*p == ',') {
		e.start = p;
		return e;
	}
	for (p = e.end; p < end && is_ws(*p); p++)
		continue;
	if (p < end && *p == ',')
		e.end = p + 1;
	return e;
}

/* The record's status as a string; NULL when it has none or another type. */
static const char *
span_status(struct metric_set *ms, const struct jscan_span *sp)
{
	long n;

	if (sp->start == NULL || (n = span_string(sp, &ms->tmp)) < 0 ||
	    strlen(ms->tmp.buf) != (size_t)n)
		return NULL;
	return ms->tmp.buf;
}

static void
append_member(struct ar_buf *out, int *empty, const char *key, json_t *v)
{
	if (!*empty)
		buf_add(out, ",", 1);
	*empty = 0;
	buf_printf(out, "\"%s\":", key);
	put_json(out, v);
}

/*
 * A line of a study with several objectives, whose records gain fields
 * the scanning below does not place: parsed and scored whole.
 */
static int
score_line_json(struct metric_set *ms, const char *line, size_t len,
    struct ar_buf *out, struct ar_err *err)
{
	json_error_t je;
	json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);

	if (!json_is_object(rec)) {
		if (rec == NULL)
			ar_errf(err, "not valid JSON: %s at column %d",
			    je.text, je.column);
		else
			ar_errf(err, "a record must be a JSON object");
		json_decref(rec);
		return -1;
	}
	if (metric_score_json(ms, rec, err) != 0) {
		json_decref(rec);
		return -1;
	}
	put_json(out, rec);
	buf_add(out, "\n", 1);
	json_decref(rec);
	return 0;
}

int
metric_score_line(struct metric_set *ms, const char *line, size_t len,
    struct ar_buf *out, struct ar_err *err)
{
	struct node *root = &ms->root;
	const struct jscan_span *sp = root->spans;
	struct edit ed[6], t;
	json_t *vals[3], *stv = NULL, *erv = NULL;
	const char *start, *end, *p, *status;
	size_t i, j, k[3], n = 0;
	struct val obj;
	enum verdict vd = V_KEEP;
	int objok, measured = 0, wasinf = 0, ours = 0, empty;

	if (ms->nobj > 0)
		return score_line_json(ms, line, len, out, err);
	if (rec_peek(line, len, root->keys, root->nkids, root->spans, err)
	    != 0)
		return -1;
	if (sp[ms->kstudy].start != NULL) {
		long r = span_string(&sp[ms->kstudy], &ms->tmp);

		if (check_study(ms, ms->tmp.buf, r >= 0, err) != 0)
			return -1;
	}
	if ((status = span_status(ms, &sp[ms->kstatus])) != NULL) {
		measured = is_measured(status);
		wasinf = strcmp(status, INFEASIBLE) == 0;
	}
	if (wasinf && sp[ms->kerror].start != NULL &&
	    span_string(&sp[ms->kerror], &ms->tmp) >= 0)
		ours = is_ours(INFEASIBLE, ms->tmp.buf);
	for (i = 0; i < root->nkids; i++) {
		if (sp[i].start != NULL)
			node_fill(ms, &root->kids[i], &sp[i]);
		else
			node_absent(ms, &root->kids[i]);
	}
	evaluate(ms, &obj, &objok);
	if (measured)
		vd = judge(ms, objok);
	set_metrics(ms, ms->mobj);
	vals[0] = ms->mobj;
	vals[1] = objok ? val_json(&obj) : json_null();
	vals[2] = score_json(ms, &obj, objok, vd);

	/* The object's braces: rec_peek allowed white space around it. */
	start = line;
	end = line + len;
	while (*start != '{')
		start++;
	while (end[-1] != '}')
		end--;
	end--;
	for (p = start + 1; p < end && is_ws(*p); p++)
		continue;
	empty = p == end;

	/* The fields present are replaced where they are, in line order;
	 * an error ar-score wrote goes when the record is feasible now. */
	if (vd == V_INFEASIBLE) {
		stv = json_string(INFEASIBLE);
		erv = json_stringn(ms->failed.buf, ms->failed.len);
	} else if (vd == V_OK && wasinf)
		stv = json_string("ok");
	if (stv != NULL)
		ed[n++] = (struct edit){ sp[ms->kstatus].start,
		    sp[ms->kstatus].start + sp[ms->kstatus].len, stv };
	if (erv != NULL && sp[ms->kerror].start != NULL)
		ed[n++] = (struct edit){ sp[ms->kerror].start,
		    sp[ms->kerror].start + sp[ms->kerror].len, erv };
	if (vd == V_OK && ours)
		ed[n++] = drop_member(&sp[ms->kerror], end);
	k[0] = ms->kmetrics;
	k[1] = ms->kobjective;
	k[2] = ms->kscore;
	for (i = 0; i < 3; i++)
		if (sp[k[i]].start != NULL)
			ed[n++] = (struct edit){ sp[k[i]].start,
			    sp[k[i]].start + sp[k[i]].len, vals[i] };
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && ed[j].start < ed[j - 1].start; j--) {
			t = ed[j];
			ed[j] = ed[j - 1];
			ed[j - 1] = t;
		}
	p = start;
	for (i = 0; i < n; i++) {
		buf_add(out, p, (size_t)(ed[i].start - p));
		if (ed[i].v != NULL)
			put_json(out, ed[i].v);
		p = ed[i].end;
	}
	buf_add(out, p, (size_t)(end - p));
	/* A new error goes before the fields ar-score adds. */
	if (erv != NULL && sp[ms->kerror].start == NULL)
		append_member(out, &empty, "error", erv);
	for (i = 0; i < 3; i++)
		if (sp[k[i]].start == NULL)
			append_member(out, &empty, owned[i], vals[i]);
	buf_add(out, "}\n", 2);
	json_decref(vals[1]);
	json_decref(vals[2]);
	json_decref(stv);
	json_decref(erv);
	return 0;
}
