#include "space.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "jsonw.h"
#include "rec.h"
#include "xform.h"

static int
level_of(const struct space *sp, const struct expr *e)
{
	const int *slots;
	size_t n = expr_slots(e, &slots), i;
	int lv = -1;

	for (i = 0; i < n; i++)
		if ((size_t)slots[i] < sp->np && slots[i] > lv)
			lv = slots[i];
	return lv < 0 ? (int)sp->np : lv;
}

/* Checks the constraints that become decidable once parameter d is set. */
static int
check_level(struct space *sp, size_t d)
{
	struct val v;
	size_t k;

	for (k = sp->level[d]; k < sp->level[d + 1]; k++)
		if (expr_eval(sp->checks[sp->order[k]], sp->slots, &v, NULL,
		    0) != 0 || !val_truth(&v))
			return 0;
	return 1;
}

/*
 * Splits a constraint into its top-level && terms, when it is a plain
 * conjunction: `a && b && c` holds exactly when each term evaluates to
 * true (an error in any term rejects it either way), and a term that
 * names fewer parameters is checked higher in the tree.  A top-level ||
 * or ?: binds looser than &&, so such a constraint is kept whole.
 */
static void
add_checks(struct space *sp, const char *src)
{
	const char *p, *start = src;
	size_t cuts[256], ncut = 0, i;
	int depth = 0, whole = 0;
	char msg[256];

	for (p = src; *p && !whole; p++) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\0')
				break;
		} else if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (depth == 0 && (*p == '?' || (*p == '|' && p[1] == '|')))
			whole = 1;
		else if (depth == 0 && *p == '&' && p[1] == '&') {
			if (ncut == sizeof(cuts) / sizeof(cuts[0]))
				whole = 1;
			else
				cuts[ncut++] = (size_t)(p - src);
			p++;
		}
	}
	if (whole)
		ncut = 0;
	sp->checks = ereallocarray(sp->checks, sp->nchecks + ncut + 1,
	    sizeof(*sp->checks));
	for (i = 0; i <= ncut; i++) {
		size_t end = i < ncut ? cuts[i] : strlen(src);
		char *term = estrndup(start, (size_t)(src + end - start));
		struct expr *e = expr_parse(term, spec_lookup,
		    (void *)sp->spec, msg, sizeof(msg));

		free(term);
		if (e == NULL) {
			/* The whole parsed when the spec was loaded, so a
			 * term can only fail if the split was wrong: fall
			 * back to the whole constraint. */
			for (; i > 0; i--)
				expr_free(sp->checks[--sp->nchecks]);
			sp->checks[sp->nchecks++] = expr_parse(src,
			    spec_lookup, (void *)sp->spec, msg, sizeof(msg));
			return;
		}
		sp->checks[sp->nchecks++] = e;
		start = src + end + 2;
	}
}

static int
name_cmp(const void *a, const void *b, void *ctx)
{
	const struct spec *s = ctx;

	return strcmp(s->params[*(const size_t *)a].name,
	    s->params[*(const size_t *)b].name);
}

static char *
dump_compact(json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);

	if (t == NULL)
		ar_die(AR_EXIT_FAIL, "out of memory");
	return t;
}

static void
build_id_parts(struct space *sp)
{
	const struct spec *s = sp->spec;
	json_t *problem = json_object();
	char *t;
	size_t i, k;

	for (i = 0; i < s->nconsts; i++)
		json_object_set(problem, s->consts[i].name, s->consts[i].value);
	t = dump_compact(problem);
	json_decref(problem);
	/* Fields are separated by newlines, which no part can contain. */
	buf_printf(&sp->idprefix, "autoresearch-id-1\n%s\n%s\n%s\n", s->name,
	    s->srchash, t);
	free(t);
	hash_prefixed_init(&sp->idhash, sp->idprefix.buf, sp->idprefix.len);

	sp->byname = ecalloc(sp->np, sizeof(*sp->byname));
	for (i = 0; i < sp->np; i++)
		sp->byname[i] = i;
	qsort_r(sp->byname, sp->np, sizeof(*sp->byname), name_cmp,
	    (void *)s);
	sp->idtext = ecalloc(sp->np, sizeof(*sp->idtext));
	sp->idline = ecalloc(sp->np, sizeof(*sp->idline));
	sp->idlinelen = ecalloc(sp->np, sizeof(*sp->idlinelen));
	for (i = 0; i < sp->np; i++) {
		const struct spec_param *p = &s->params[i];

		sp->idtext[i] = ecalloc(p->n, sizeof(**sp->idtext));
		sp->idline[i] = ecalloc(p->n, sizeof(**sp->idline));
		sp->idlinelen[i] = ecalloc(p->n, sizeof(**sp->idlinelen));
		for (k = 0; k < p->n; k++) {
			struct ar_buf b = { 0 };

			sp->idtext[i][k] = dump_compact(p->values[k]);
			buf_printf(&b, "%s=%s\n", p->name, sp->idtext[i][k]);
			sp->idline[i][k] = b.buf;
			sp->idlinelen[i][k] = b.len;
		}
	}
}

int
space_init(struct space *sp, const struct spec *s, struct ar_err *err)
{
	size_t nc, i, d;
	int *lv;

	(void)err;
	memset(sp, 0, sizeof(*sp));
	sp->spec = s;
	sp->np = s->nparams;
	sp->slots = ecalloc(spec_nslots(s), sizeof(*sp->slots));
	for (i = 0; i < s->nconsts; i++)
		sp->slots[sp->np + i] = s->consts[i].val;
	for (i = 0; i < sp->np; i++)
		sp->slots[i] = s->params[i].vals[0];

	for (i = 0; i < s->nconstraints; i++)
		add_checks(sp, expr_source(s->constraints[i]));
	nc = sp->nchecks;

	/* A counting sort of the checks by level, keeping their order in
	 * the spec within a level (cheap ones first is the user's call). */
	lv = ecalloc(nc, sizeof(*lv));
	sp->level = ecalloc(sp->np + 2, sizeof(*sp->level));
	sp->order = ecalloc(nc, sizeof(*sp->order));
	for (i = 0; i < nc; i++) {
		lv[i] = level_of(sp, sp->checks[i]);
		sp->level[lv[i] + 1]++;
	}
	for (d = 0; d <= sp->np; d++)
		sp->level[d + 1] += sp->level[d];
	{
		size_t *fill = ecalloc(sp->np + 1, sizeof(*fill));

		for (i = 0; i < nc; i++)
			sp->order[sp->level[lv[i]] + fill[lv[i]]++] = i;
		free(fill);
	}
	free(lv);
	/* Constraints on the problem alone are decided once, here. */
	sp->never = !check_level(sp, sp->np);

	sp->product = 1;
	for (i = 0; i < sp->np; i++)
		sp->product *= (double)s->params[i].n;
	build_id_parts(sp);
	return 0;
}

void
space_release(struct space *sp)
{
	size_t i, k;

	for (i = 0; i < sp->np && sp->idtext != NULL; i++) {
		for (k = 0; k < sp->spec->params[i].n; k++) {
			free(sp->idtext[i][k]);
			free(sp->idline[i][k]);
		}
		free(sp->idtext[i]);
		free(sp->idline[i]);
		free(sp->idlinelen[i]);
	}
	free(sp->idtext);
	free(sp->idline);
	free(sp->idlinelen);
	if (sp->idhash.base != NULL)
		hash_prefixed_release(&sp->idhash);
	free(sp->byname);
	free(sp->idprefix.buf);
	free(sp->list);
	free(sp->slots);
	free(sp->level);
	free(sp->order);
	for (i = 0; i < sp->nchecks; i++)
		expr_free(sp->checks[i]);
	free(sp->checks);
	memset(sp, 0, sizeof(*sp));
}

static void
bind(struct space *sp, size_t d, space_idx k)
{
	sp->slots[d] = sp->spec->params[d].vals[k];
}

int
space_valid(struct space *sp, const space_idx *cfg)
{
	size_t d;

	if (sp->never)
		return 0;
	for (d = 0; d < sp->np; d++)
		bind(sp, d, cfg[d]);
	for (d = 0; d < sp->np; d++)
		if (!check_level(sp, d))
			return 0;
	return 1;
}

int
space_enumerate(struct space *sp, int prune, space_visit *visit, void *ctx)
{
	const struct spec *s = sp->spec;
	size_t np = sp->np, d = 0, e;
	space_idx *cfg;
	int rc = 0, ok;

	if (sp->never)
		return 0;
	if (np == 0)
		return visit(ctx, NULL);
	cfg = ecalloc(np, sizeof(*cfg));
	for (;;) {
		bind(sp, d, cfg[d]);
		if (prune)
			ok = check_level(sp, d);
		else if (d + 1 < np)
			ok = 1;
		else
			for (ok = 1, e = 0; ok && e < np; e++)
				ok = check_level(sp, e);
		if (ok) {
			if (d + 1 < np) {
				cfg[++d] = 0;
				continue;
			}
			if ((rc = visit(ctx, cfg)) != 0)
				break;
		}
		while (++cfg[d] == s->params[d].n) {
			if (d == 0)
				goto out;
			d--;
		}
	}
out:
	free(cfg);
	return rc;
}

static int
count_one(void *ctx, const space_idx *cfg)
{
	(void)cfg;
	(*(uint64_t *)ctx)++;
	return 0;
}

uint64_t
space_count(struct space *sp, int prune)
{
	uint64_t n = 0;

	if (sp->list != NULL)
		return sp->nlist;
	space_enumerate(sp, prune, count_one, &n);
	return n;
}

double
space_count_estimate(struct space *sp, int *estimated)
{
	space_idx *cfg;
	struct rng r;
	size_t i, d, valid = 0;

	*estimated = 0;
	if (sp->list != NULL || sp->product <= SPACE_COUNT_MAX)
		return (double)space_count(sp, 1);
	/* Uniform draws of the Cartesian product, always the same ones. */
	*estimated = 1;
	cfg = ecalloc(sp->np ? sp->np : 1, sizeof(*cfg));
	rng_seed(&r, 0x636f756e74ull);
	for (i = 0; i < SPACE_COUNT_DRAWS; i++) {
		for (d = 0; d < sp->np; d++)
			cfg[d] = (space_idx)rng_below(&r,
			    sp->spec->params[d].n);
		valid += space_valid(sp, cfg) != 0;
	}
	free(cfg);
	return sp->product * (double)valid / SPACE_COUNT_DRAWS;
}

struct collect {
	struct space *sp;
	size_t max, cap;
};

static int
collect_one(void *ctx, const space_idx *cfg)
{
	struct collect *c = ctx;
	struct space *sp = c->sp;

	if (sp->nlist == c->max)
		return 1;
	if (sp->nlist == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		if (c->cap > c->max)
			c->cap = c->max;
		sp->list = ereallocarray(sp->list, c->cap * (sp->np ? sp->np :
		    1), sizeof(*sp->list));
	}
	if (sp->np > 0)
		memcpy(sp->list + sp->nlist * sp->np, cfg,
		    sp->np * sizeof(*cfg));
	sp->nlist++;
	return 0;
}

int
space_materialize(struct space *sp, size_t max)
{
	struct collect c = { sp, max, 0 };

	if (sp->list != NULL)
		return 1;
	sp->nlist = 0;
	if (space_enumerate(sp, 1, collect_one, &c) != 0) {
		free(sp->list);
		sp->list = NULL;
		sp->nlist = 0;
		return 0;
	}
	if (sp->list == NULL)	/* an empty space is kept as an empty list */
		sp->list = ecalloc(1, sizeof(*sp->list));
	return 1;
}

int
space_sample(struct space *sp, struct rng *r, space_idx *cfg,
    uint64_t max_tries)
{
	const struct spec *s = sp->spec;
	uint64_t t;
	size_t d;

	if (sp->list != NULL) {
		if (sp->nlist == 0)
			return -1;
		memcpy(cfg, sp->list + rng_below(r, sp->nlist) * sp->np,
		    sp->np * sizeof(*cfg));
		return 0;
	}
	if (sp->never)
		return -1;
	for (t = 0; t < max_tries; t++) {
		for (d = 0; d < sp->np; d++) {
			cfg[d] = (space_idx)rng_below(r, s->params[d].n);
			bind(sp, d, cfg[d]);
			if (!check_level(sp, d))
				break;
		}
		if (d == sp->np)
			return 0;
	}
	return -1;
}

int
space_neighbours(struct space *sp, const space_idx *cfg, int adjacent,
    space_visit *visit, void *ctx)
{
	const struct spec *s = sp->spec;
	space_idx *tmp = ecalloc(sp->np ? sp->np : 1, sizeof(*tmp));
	size_t d, k, r;
	int n = 0, rc;

	for (d = 0; d < sp->np; d++) {
		const struct spec_param *p = &s->params[d];

		for (k = 0; k < p->n; k++) {
			if (k == cfg[d])
				continue;
			r = p->rank[k];
			if (adjacent && r + 1 != p->rank[cfg[d]] &&
			    r != p->rank[cfg[d]] + 1)
				continue;
			memcpy(tmp, cfg, sp->np * sizeof(*tmp));
			tmp[d] = (space_idx)k;
			if (!space_valid(sp, tmp))
				continue;
			n++;
			if ((rc = visit(ctx, tmp)) != 0) {
				free(tmp);
				return rc;
			}
		}
	}
	free(tmp);
	return n;
}

void
space_encode(const struct space *sp, const space_idx *cfg, double *x)
{
	size_t d;

	for (d = 0; d < sp->np; d++) {
		const struct spec_param *p = &sp->spec->params[d];

		x[d] = p->n > 1 ? (double)p->rank[cfg[d]] / (double)(p->n - 1)
		    : 0.0;
	}
}

void
space_id_variant(const struct space *sp, const space_idx *cfg,
    const char *variant, char id[SPACE_IDLEN + 1])
{
	char buf[4096], hex[HASH_HEXLEN + 1];
	struct ar_buf big = { 0 };
	const struct hash_prefixed *h = &sp->idhash;
	size_t i, d, len = 0;

	/*
	 * The id is the SHA-256 of the prefix and a line "name=value" per
	 * parameter in name order; the prefix was hashed once.  Most
	 * texts fit the stack buffer; a huge study falls back to the heap.
	 */
	for (i = 0; i < sp->np; i++) {
		d = sp->byname[i];
		len += sp->idlinelen[d][cfg[d]];
	}
	/* A code variant's line, "variant=HASH\n", comes last. */
	if (variant != NULL)
		len += strlen("variant=\n") + strlen(variant);
	if (len < sizeof(buf)) {
		char *p = buf;

		for (i = 0; i < sp->np; i++) {
			d = sp->byname[i];
			memcpy(p, sp->idline[d][cfg[d]], sp->idlinelen[d][cfg[d]]);
			p += sp->idlinelen[d][cfg[d]];
		}
		if (variant != NULL)
			sprintf(p, "variant=%s\n", variant);
		hash_prefixed_hex(h, buf, len, hex);
	} else {
		for (i = 0; i < sp->np; i++) {
			d = sp->byname[i];
			buf_add(&big, sp->idline[d][cfg[d]],
			    sp->idlinelen[d][cfg[d]]);
		}
		if (variant != NULL)
			buf_printf(&big, "variant=%s\n", variant);
		hash_prefixed_hex(h, big.buf, big.len, hex);
		free(big.buf);
	}
	memcpy(id, hex, SPACE_IDLEN);
	id[SPACE_IDLEN] = '\0';
}

void
space_id(const struct space *sp, const space_idx *cfg,
    char id[SPACE_IDLEN + 1])
{
	space_id_variant(sp, cfg, NULL, id);
}

char *
space_render(const struct space *sp, const space_idx *cfg, size_t *len,
    json_t **ops, struct ar_err *err)
{
	const struct spec *s = sp->spec;
	const char **names, **values;
	size_t i, n = 0;
	char *text;

	if (s->xform == NULL) {
		ar_errf(err, "%s: the study has no \"transform\" to render",
		    s->path);
		return NULL;
	}
	names = ecalloc(s->nparams + 1, sizeof(*names));
	values = ecalloc(s->nparams + 1, sizeof(*values));
	for (i = 0; i < s->nparams; i++)
		if (s->params[i].xform) {
			names[n] = s->params[i].name;
			values[n++] = s->params[i].text[cfg[i]];
		}
	text = xform_render(s->xform, names, values, n, len, ops, err);
	free(names);
	free(values);
	return text;
}

int
space_render_hash(const struct space *sp, const space_idx *cfg,
    char hash[HASH_HEXLEN + 1], struct ar_err *err)
{
	size_t len;
	char *text = space_render(sp, cfg, &len, NULL, err);

	if (text == NULL)
		return -1;
	hash_sha256_hex(text, len, hash);
	free(text);
	return 0;
}

json_t *
space_params_json(const struct space *sp, const space_idx *cfg)
{
	json_t *o = json_object();
	size_t d;

	for (d = 0; d < sp->np; d++)
		json_object_set(o, sp->spec->params[d].name,
		    sp->spec->params[d].values[cfg[d]]);
	return o;
}

static void
describe_violation(struct space *sp, const space_idx *cfg, struct ar_err *err)
{
	const struct spec *s = sp->spec;
	char msg[256];
	struct val v;
	size_t i, d;

	for (d = 0; d < sp->np; d++)
		bind(sp, d, cfg[d]);
	for (i = 0; i < s->nconstraints; i++) {
		if (expr_eval(s->constraints[i], sp->slots, &v, msg,
		    sizeof(msg)) != 0) {
			ar_errf(err, "constraint '%s': %s",
			    expr_source(s->constraints[i]), msg);
			return;
		}
		if (!val_truth(&v)) {
			ar_errf(err, "violates constraint '%s'",
			    expr_source(s->constraints[i]));
			return;
		}
	}
	ar_errf(err, "violates a constraint");
}

int
space_params_from_json(struct space *sp, json_t *params, space_idx *cfg,
    struct ar_err *err)
{
	const struct spec *s = sp->spec;
	const char *name;
	json_t *v;
	size_t d;
	unsigned char *seen;
	int i;
	long k;

	if (params == NULL) {
		ar_errf(err, "no \"params\" object (no params.NAME column)");
		return -1;
	}
	if (!json_is_object(params)) {
		ar_errf(err, "\"params\" is not an object");
		return -1;
	}
	seen = ecalloc(sp->np ? sp->np : 1, 1);
	json_object_foreach(params, name, v) {
		if ((i = spec_param_index(s, name)) < 0) {
			ar_errf(err, "unknown parameter '%s' (not in %s)", name,
			    s->path);
			free(seen);
			return -1;
		}
		if ((k = spec_value_index(&s->params[i], v)) < 0) {
			char *t = jsonw_dumps(v, 0);

			ar_errf(err, "parameter '%s': value %s is not one %s "
			    "lists", name, t ? t : "?", s->path);
			free(t);
			free(seen);
			return -1;
		}
		cfg[i] = (space_idx)k;
		seen[i] = 1;
	}
	for (d = 0; d < sp->np; d++)
		if (!seen[d]) {
			ar_errf(err, "parameter '%s' is missing",
			    s->params[d].name);
			free(seen);
			return -1;
		}
	free(seen);
	return 0;
}

int
space_from_record(struct space *sp, json_t *rec, space_idx *cfg,
    struct ar_err *err)
{
	const struct spec *s = sp->spec;
	json_t *study = json_object_get(rec, "study");
	json_t *params = json_object_get(rec, "params");

	if (study != NULL && (!json_is_string(study) ||
	    strcmp(json_string_value(study), s->name) != 0)) {
		ar_errf(err, "a record of another study (%s%s%s), not of '%s'",
		    json_is_string(study) ? "'" : "",
		    json_is_string(study) ? json_string_value(study) :
		    "not a string", json_is_string(study) ? "'" : "", s->name);
		return -1;
	}
	if (!json_is_object(params)) {
		ar_errf(err, "%s", params == NULL ? "no \"params\" object" :
		    "\"params\" is not an object");
		return -1;
	}
	return space_from_json(sp, params, cfg, err);
}

int
space_from_json(struct space *sp, json_t *params, space_idx *cfg,
    struct ar_err *err)
{
	if (space_params_from_json(sp, params, cfg, err) != 0)
		return -1;
	if (!space_valid(sp, cfg)) {
		describe_violation(sp, cfg, err);
		return -1;
	}
	return 0;
}

/* The number of members of a JSON object's text, already validated. */
static size_t
members(const char *p, size_t len)
{
	size_t i, n = 0;
	int depth = 0, any = 0;

	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"':
			if (depth == 1)
				any = 1;
			for (i++; i < len && p[i] != '"'; i++)
				if (p[i] == '\\')
					i++;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ',':
			n += depth == 1;
			break;
		}
	}
	return any ? n + 1 : 0;
}

/* space_params_text looks at this many parameters at once, or parses. */
#define PEEK_MAX 128

/*
 * The quickest look, at the params as the stages write them: compact,
 * in the study's order, {"P1":v1,"P2":v2,...}, each v the study's JSON
 * text of one of its values.  What it takes, the look below takes with
 * the same cfg (a JSON value followed by ',' or '}' is no prefix of
 * another's text, so the value matched is the whole value); anything
 * else (another order, white space, an escape) is left to that look.
 * Text it takes is valid JSON, being made of the study's own texts and
 * names that need no escape.  Returns 0 with cfg set, or -1.
 */
static int
params_compact(struct space *sp, const char *text, size_t len,
    space_idx *cfg)
{
	const char *p = text, *end = text + len, *name, *v;
	size_t d, k, nl, vl;

	if (p == end || *p++ != '{')
		return -1;
	for (d = 0; d < sp->np; d++) {
		name = sp->spec->params[d].name;
		for (nl = 0; name[nl] != '\0'; nl++)
			if (jsonw_str_special[(unsigned char)name[nl]])
				return -1;
		if ((size_t)(end - p) < nl + 3 || p[0] != '"' ||
		    memcmp(p + 1, name, nl) != 0 || p[nl + 1] != '"' ||
		    p[nl + 2] != ':')
			return -1;
		p += nl + 3;
		/* The value's text up to the next ',' or '}' (a string that
		 * holds one matches no value here, and goes to the look
		 * below); idline is "name=text\n". */
		for (v = p; v < end && *v != ',' && *v != '}'; v++)
			;
		if (v == end || *v != (d + 1 < sp->np ? ',' : '}'))
			return -1;
		vl = (size_t)(v - p);
		for (k = 0; k < sp->spec->params[d].n; k++)
			if (sp->idlinelen[d][k] - nl - 2 == vl &&
			    memcmp(p, sp->idtext[d][k], vl) == 0)
				break;
		if (k == sp->spec->params[d].n)
			return -1;
		cfg[d] = (space_idx)k;
		p = v + 1;
	}
	return sp->np > 0 && p == end ? 0 : -1;
}

/*
 * The quick look: every parameter once, no other member, each value
 * spelt as the study's JSON text of it (as the stages write them).
 * Returns 0 with cfg set, or -1 when the text is written otherwise.
 */
static int
params_peek(struct space *sp, const char *text, size_t len, space_idx *cfg)
{
	const char *keys[PEEK_MAX], *t;
	struct jscan_span spans[PEEK_MAX];
	struct ar_err err;
	size_t d, k, n;

	if (params_compact(sp, text, len, cfg) == 0)
		return 0;
	if (sp->np > PEEK_MAX || members(text, len) != sp->np)
		return -1;
	for (d = 0; d < sp->np; d++)
		keys[d] = sp->spec->params[d].name;
	if (rec_peek(text, len, keys, sp->np, spans, &err) != 0)
		return -1;
	for (d = 0; d < sp->np; d++) {
		if (spans[d].start == NULL)
			return -1;
		n = spans[d].len;
		for (k = 0; k < sp->spec->params[d].n; k++) {
			t = sp->idtext[d][k];
			if (strncmp(t, spans[d].start, n) == 0 &&
			    t[n] == '\0')
				break;
		}
		if (k == sp->spec->params[d].n)
			return -1;
		cfg[d] = (space_idx)k;
	}
	return 0;
}

int
space_params_text(struct space *sp, const char *text, size_t len,
    space_idx *cfg, struct ar_err *err)
{
	json_error_t je;
	json_t *params;
	int rc;

	if (text == NULL) {
		ar_errf(err, "no \"params\" object");
		return -1;
	}
	if (params_peek(sp, text, len, cfg) == 0)
		return 0;
	/* Written otherwise (other spacing, 8.0 for 8, "8" from a CSV
	 * cell...), or wrong: the parsed object says which. */
	if ((params = json_loadb(text, len, JSON_DECODE_ANY, &je)) == NULL) {
		ar_errf(err, "invalid JSON: %s", je.text);
		return -1;
	}
	rc = space_params_from_json(sp, params, cfg, err);
	json_decref(params);
	return rc;
}
