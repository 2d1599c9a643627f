#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "jsonw.h"
#include "ktcache.h"

/*
 * The keys a study may have at its top level and their types.  Anything
 * else is refused: a misspelt "constriants" silently ignored would tune
 * the wrong space.
 */
static const struct {
	const char *key;
	int type;		/* a json_type, or -1 for "string or number" */
} topkeys[] = {
	{ "args", JSON_ARRAY },
	{ "backend", JSON_STRING },
	{ "bench", JSON_OBJECT },
	{ "bound", -1 },
	{ "check", JSON_ARRAY },
	{ "command", JSON_ARRAY },
	{ "compile", JSON_OBJECT },
	{ "constraints", JSON_ARRAY },
	{ "description", JSON_STRING },
	{ "device", JSON_STRING },
	{ "entry", JSON_STRING },
	{ "env", -2 },
	{ "launch", JSON_OBJECT },
	{ "metrics", JSON_OBJECT },
	{ "name", JSON_STRING },
	{ "objective", JSON_STRING },
	{ "objectives", JSON_ARRAY },
	{ "params", JSON_OBJECT },
	{ "problem", JSON_OBJECT },
	{ "proposer", JSON_OBJECT },
	{ "reference", JSON_OBJECT },
	{ "require", JSON_ARRAY },
	{ "source", JSON_STRING },
	{ "transform", JSON_OBJECT },
	{ "variant_max_bytes", JSON_INTEGER },
	{ "verify", JSON_OBJECT },
};

static const char *backends[] = { "c", "cuda", "opencl", "command", "replay" };

static const char *
typename(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static const char *
wanted(int type)
{
	switch (type) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case -2: return "a boolean";
	default: return "a string or a number";
	}
}

static int
has_type(json_t *v, int type)
{
	if (type == -1)
		return json_is_string(v) || json_is_integer(v) ||
		    json_is_real(v);
	if (type == -2)
		return json_is_boolean(v);
	return (int)json_typeof(v) == type;
}

/* "PATH: key \"AT.KEY\": unknown key", with the known key nearest to
 * KEY when there is one, since a typo is the likeliest unknown key; AT
 * is the table the key is in, NULL at the top. */
static void
unknown_key(struct ar_err *err, const char *path, const char *at,
    const char *key, const char *const *known, size_t n)
{
	const char *near = ar_nearest(key, known, n);
	const char *dot = at != NULL ? "." : "";

	if (at == NULL)
		at = "";
	if (near != NULL)
		ar_errf(err, "%s: key \"%s%s%s\": unknown key (did you mean "
		    "\"%s%s%s\"?)", path, at, dot, key, at, dot, near);
	else
		ar_errf(err, "%s: key \"%s%s%s\": unknown key", path, at, dot,
		    key);
}

/* A C identifier: parameters and constants become -D NAME=VALUE. */
static int
is_ident(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Names that the expression language reads as literals. */
static int
is_reserved(const char *s)
{
	return strcmp(s, "true") == 0 || strcmp(s, "false") == 0;
}

/*
 * A string value reaches a compiler's command line as -D NAME=VALUE.  No
 * shell is involved, but a value with spaces, quotes or path parts is
 * surely a mistake or an attack, so only a plain token is allowed.
 */
static int
is_token(const char *s)
{
	if (*s == '\0' || strstr(s, "..") != NULL)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("_.+-", *s) == NULL)
			return 0;
	return 1;
}

static int
is_number(json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

/* The text of a scalar as -D spells it; NULL for a value that cannot be one. */
static char *
value_text(json_t *v)
{
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		return estrdup(buf);
	case JSON_REAL:
		jsonw_fmt_real(json_real_value(v), buf, sizeof(buf));
		return estrdup(buf);
	case JSON_TRUE:
		return estrdup("1");
	case JSON_FALSE:
		return estrdup("0");
	case JSON_STRING:
		return is_token(json_string_value(v)) ?
		    estrdup(json_string_value(v)) : NULL;
	default:
		return NULL;
	}
}

static struct val
value_val(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		return val_int(json_integer_value(v));
	case JSON_REAL:
		return val_dbl(json_real_value(v));
	case JSON_TRUE:
		return val_int(1);
	case JSON_FALSE:
		return val_int(0);
	default:
		return val_str(json_string_value(v));
	}
}

static int
values_equal(json_t *a, json_t *b)
{
	if (is_number(a) && is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

long
spec_value_index(const struct spec_param *p, json_t *v)
{
	char *text;
	size_t k;

	for (k = 0; k < p->n; k++)
		if (values_equal(p->values[k], v))
			return (long)k;
	/*
	 * A CSV cell carries no type: the string "8" comes back as the
	 * number 8, and 1 may stand for true.  No two values of a parameter
	 * share a -D text, so matching by text is unambiguous.
	 */
	if (json_is_boolean(v) || json_is_null(v))
		text = estrdup(json_is_true(v) ? "true" : json_is_false(v) ?
		    "false" : "null");
	else if ((text = value_text(v)) == NULL)
		return -1;
	for (k = 0; k < p->n; k++)
		if (strcmp(p->text[k], text) == 0)
			break;
	free(text);
	return k < p->n ? (long)k : -1;
}

int
spec_param_index(const struct spec *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nparams; i++)
		if (strcmp(s->params[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Study parameter i against a file's params: the key it is (*key) and,
 * when valmap is given, the file's index of each of its values.
 */
static int
fit_param(const char *path, json_t *fparams, const struct spec *s,
    size_t i, size_t *key, uint32_t *valmap, struct ar_err *err)
{
	const struct spec_param *p = &s->params[i];
	json_t *vals = NULL, *v;
	const char *name;
	size_t j = 0, k, f;

	json_object_foreach(fparams, name, v) {
		if (strcmp(name, p->name) == 0) {
			vals = v;
			break;
		}
		j++;
	}
	if (vals == NULL) {
		ar_errf(err, "%s: key \"params.%s\": not one of the "
		    "tune_params of '%s'", s->path, p->name, path);
		return -1;
	}
	*key = j;
	for (k = 0; k < p->n; k++) {
		json_array_foreach(vals, f, v)
			if (values_equal(v, p->values[k]))
				break;
		if (f == json_array_size(vals)) {
			ar_errf(err, "%s: key \"params.%s\": value %s is not "
			    "one of its values in '%s'", s->path, p->name,
			    p->text[k], path);
			return -1;
		}
		if (valmap != NULL)
			valmap[k] = (uint32_t)f;
	}
	return 0;
}

int
spec_fit_file(const struct spec *s, json_t *fparams, const char *path,
    size_t *map, uint32_t *const *valmap, struct ar_err *err)
{
	const char *name;
	size_t i, key;
	json_t *v;

	for (i = 0; i < s->nparams; i++)
		if (fit_param(path, fparams, s, i, map != NULL ? &map[i] :
		    &key, map != NULL ? valmap[i] : NULL, err) != 0)
			return -1;
	/* Every tune_params key must be a parameter of the study. */
	json_object_foreach(fparams, name, v)
		if (spec_param_index(s, name) < 0) {
			ar_errf(err, "%s: key \"params\": the study lacks "
			    "\"%s\", one of the tune_params of '%s'", s->path,
			    name, path);
			return -1;
		}
	return 0;
}

size_t
spec_nslots(const struct spec *s)
{
	return s->nparams + s->nconsts;
}

const char *
spec_slot_name(const struct spec *s, int slot)
{
	if (slot < 0 || (size_t)slot >= spec_nslots(s))
		return "?";
	if ((size_t)slot < s->nparams)
		return s->params[slot].name;
	return s->consts[slot - s->nparams].name;
}

int
spec_lookup(void *ctx, const char *name, size_t len)
{
	const struct spec *s = ctx;
	size_t i;

	for (i = 0; i < spec_nslots(s); i++) {
		const char *n = spec_slot_name(s, (int)i);

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Accepts any name, to check the syntax of expressions over measured fields. */
static int
any_lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	(void)name;
	(void)len;
	return 0;
}

struct ranked {
	double v;
	size_t k;
};

/* Ties cannot happen: a value may not be listed twice. */
static int
rank_cmp(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->v;
	double y = ((const struct ranked *)b)->v;

	return (x > y) - (x < y);
}

static void
rank_values(struct spec_param *p)
{
	struct ranked *r = ecalloc(p->n, sizeof(*r));
	size_t k;

	p->rank = ecalloc(p->n, sizeof(*p->rank));
	p->byrank = ecalloc(p->n, sizeof(*p->byrank));
	for (k = 0; k < p->n; k++) {
		r[k].v = p->numeric ? json_number_value(p->values[k]) :
		    (double)k;
		r[k].k = k;
	}
	qsort(r, p->n, sizeof(*r), rank_cmp);
	for (k = 0; k < p->n; k++) {
		p->byrank[k] = r[k].k;
		p->rank[r[k].k] = k;
	}
	free(r);
}

static int
load_param(struct spec *s, struct spec_param *p, const char *name,
    json_t *list, struct ar_err *err)
{
	size_t k, j;

	p->name = estrdup(name);
	if (!is_ident(name)) {
		ar_errf(err, "%s: key \"params.%s\": a parameter name must be "
		    "a C identifier", s->path, name);
		return -1;
	}
	if (is_reserved(name)) {
		ar_errf(err, "%s: key \"params.%s\": '%s' is a word of the "
		    "expression language", s->path, name, name);
		return -1;
	}
	if (!json_is_array(list)) {
		ar_errf(err, "%s: key \"params.%s\": expected an array of "
		    "values, found %s", s->path, name, typename(list));
		return -1;
	}
	p->n = json_array_size(list);
	if (p->n == 0) {
		ar_errf(err, "%s: key \"params.%s\": parameter has no values",
		    s->path, name);
		return -1;
	}
	if (p->n > SPEC_MAXVALUES) {
		ar_errf(err, "%s: key \"params.%s\": more than %d values",
		    s->path, name, SPEC_MAXVALUES);
		return -1;
	}
	p->values = ecalloc(p->n, sizeof(*p->values));
	p->vals = ecalloc(p->n, sizeof(*p->vals));
	p->text = ecalloc(p->n, sizeof(*p->text));
	p->numeric = 1;
	for (k = 0; k < p->n; k++) {
		json_t *v = json_array_get(list, k);

		p->values[k] = v;
		/* A knob's value is no -D: an order may be "i,k,j". */
		if (p->xform && json_is_string(v))
			p->text[k] = estrdup(json_string_value(v));
		else if ((p->text[k] = value_text(v)) == NULL) {
			ar_errf(err, "%s: key \"params.%s[%zu]\": %s",
			    s->path, name, k, json_is_string(v) ?
			    "a string value may hold only letters, digits and "
			    "_ . + -" :
			    "a value must be a number, a string or a boolean");
			return -1;
		}
		p->vals[k] = value_val(v);
		if (!is_number(v))
			p->numeric = 0;
		/* Two values that reach the code as the same -D text (1 and
		 * true, 8 and "8") are the same value. */
		for (j = 0; j < k; j++)
			if (values_equal(p->values[j], v) ||
			    strcmp(p->text[j], p->text[k]) == 0) {
				ar_errf(err, "%s: key \"params.%s\": value %s "
				    "is listed twice", s->path, name,
				    p->text[k]);
				return -1;
			}
	}
	rank_values(p);
	return 0;
}

/* The study's params, then the knobs of its "transform" (NULL: none). */
static int
load_params(struct spec *s, json_t *params, json_t *knobs,
    struct ar_err *err)
{
	const char *name;
	json_t *list;
	size_t i = 0;

	s->nparams = json_object_size(params) + json_object_size(knobs);
	s->params = ecalloc(s->nparams, sizeof(*s->params));
	json_object_foreach(knobs, name, list)
		if (json_object_get(params, name) != NULL) {
			ar_errf(err, "%s: key \"params.%s\": the name of a "
			    "knob of \"transform\" too", s->path, name);
			return -1;
		}
	json_object_foreach(params, name, list)
		if (load_param(s, &s->params[i++], name, list, err) != 0)
			return -1;
	json_object_foreach(knobs, name, list) {
		s->params[i].xform = 1;
		if (load_param(s, &s->params[i++], name, list, err) != 0)
			return -1;
	}
	return 0;
}

static int
set_const(struct spec *s, struct spec_const *c, json_t *v, const char *what,
    struct ar_err *err)
{
	char *text = value_text(v);

	if (text == NULL || json_is_boolean(v)) {
		free(text);
		ar_errf(err, "%s: %s: a problem constant must be a number or a "
		    "plain string (letters, digits and _ . + -)", s->path,
		    what);
		return -1;
	}
	json_decref(c->value);
	free(c->text);
	c->value = json_incref(v);
	c->text = text;
	c->val = value_val(v);
	return 0;
}

static int
load_problem(struct spec *s, json_t *problem, struct ar_err *err)
{
	const char *name;
	json_t *v;
	size_t i = 0;
	char what[256];

	s->nconsts = problem ? json_object_size(problem) : 0;
	s->consts = ecalloc(s->nconsts, sizeof(*s->consts));
	if (problem == NULL)
		return 0;
	json_object_foreach(problem, name, v) {
		struct spec_const *c = &s->consts[i++];

		c->name = estrdup(name);
		if (!is_ident(name) || is_reserved(name)) {
			ar_errf(err, "%s: key \"problem.%s\": a constant name "
			    "must be a C identifier and not true or false",
			    s->path, name);
			return -1;
		}
		if (spec_param_index(s, name) >= 0) {
			ar_errf(err, "%s: key \"problem.%s\": '%s' is also a "
			    "parameter", s->path, name, name);
			return -1;
		}
		snprintf(what, sizeof(what), "key \"problem.%s\"", name);
		if (set_const(s, c, v, what, err) != 0)
			return -1;
	}
	return 0;
}

/* Parses the text of a -D value as a JSON number when it is one. */
static json_t *
def_value(const char *text)
{
	char *end;
	long long ll;
	double d;

	errno = 0;
	ll = strtoll(text, &end, 10);
	if (*text != '\0' && *end == '\0' && errno == 0)
		return json_integer(ll);
	d = strtod(text, &end);
	if (*text != '\0' && *end == '\0' && isfinite(d))
		return json_real(d);
	return json_string(text);
}

static int
apply_defs(struct spec *s, char *const *defs, size_t ndefs,
    struct ar_err *err)
{
	size_t i, j;

	for (i = 0; i < ndefs; i++) {
		const char *eq = strchr(defs[i], '=');
		char what[300];
		json_t *v;
		int rc;

		if (eq == NULL || eq == defs[i]) {
			ar_errf(err, "-D '%s': expected NAME=VALUE", defs[i]);
			return -1;
		}
		for (j = 0; j < s->nconsts; j++)
			if (strlen(s->consts[j].name) == (size_t)(eq - defs[i]) &&
			    strncmp(s->consts[j].name, defs[i],
			    (size_t)(eq - defs[i])) == 0)
				break;
		if (j == s->nconsts) {
			ar_errf(err, "-D '%s': %s has no problem constant "
			    "'%.*s'", defs[i], s->path, (int)(eq - defs[i]),
			    defs[i]);
			return -1;
		}
		if ((v = def_value(eq + 1)) == NULL)
			ar_die(AR_EXIT_FAIL, "out of memory");
		snprintf(what, sizeof(what), "-D '%s'", defs[i]);
		rc = set_const(s, &s->consts[j], v, what, err);
		json_decref(v);
		if (rc != 0) {
			/* set_const names the spec first; for -D the value
			 * is the subject. */
			ar_errf(err, "-D '%s': a problem constant must be a "
			    "number or a plain string (letters, digits and "
			    "_ . + -)", defs[i]);
			return -1;
		}
	}
	return 0;
}

static int
check_expr(struct spec *s, const char *key, const char *src, int strict,
    struct expr **out, struct ar_err *err)
{
	char msg[256];
	struct expr *e;

	e = expr_parse(src, strict ? spec_lookup : any_lookup, s, msg,
	    sizeof(msg));
	if (e == NULL) {
		ar_errf(err, "%s: key \"%s\": %s in '%s'", s->path, key, msg,
		    src);
		return -1;
	}
	if (out != NULL)
		*out = e;
	else
		expr_free(e);
	return 0;
}

/* An expression given as a string, or a number where a number will do. */
static int
check_expr_value(struct spec *s, const char *key, json_t *v, int strict,
    struct ar_err *err)
{
	if (is_number(v))
		return 0;
	if (!json_is_string(v)) {
		ar_errf(err, "%s: key \"%s\": expected an expression (a "
		    "string) or a number, found %s", s->path, key,
		    typename(v));
		return -1;
	}
	return check_expr(s, key, json_string_value(v), strict, NULL, err);
}

static int
load_constraints(struct spec *s, json_t *list, struct ar_err *err)
{
	json_t *gen = s->xform != NULL ? s->xform->constraints : NULL;
	size_t i, nown = list ? json_array_size(list) : 0;
	char key[64];

	/* The constraints of "transform" follow the study's own. */
	s->nconstraints = nown + (gen != NULL ? json_array_size(gen) : 0);
	s->constraints = ecalloc(s->nconstraints, sizeof(*s->constraints));
	for (i = 0; i < s->nconstraints; i++) {
		json_t *c = i < nown ? json_array_get(list, i) :
		    json_array_get(gen, i - nown);

		if (i < nown)
			snprintf(key, sizeof(key), "constraints[%zu]", i);
		else
			snprintf(key, sizeof(key), "transform (constraint "
			    "%zu)", i - nown);
		if (!json_is_string(c)) {
			ar_errf(err, "%s: key \"%s\": expected an expression "
			    "(a string), found %s", s->path, key, typename(c));
			return -1;
		}
		if (check_expr(s, key, json_string_value(c), 1,
		    &s->constraints[i], err) != 0)
			return -1;
	}
	return 0;
}

/*
 * The keys the later stages read are checked here too, so that a study
 * with a typo fails when it is first used rather than after an hour of
 * proposals.  Expressions whose names are all known (sizes, launch
 * dimensions, bound) are resolved; metrics may name measured fields and
 * are only parsed.
 */
/* "minimize EXPR" or "maximize EXPR", under key. */
static int
check_objective(struct spec *s, const char *key, json_t *v,
    struct ar_err *err)
{
	const char *o = json_string_value(v);

	if (o == NULL) {
		ar_errf(err, "%s: key \"%s\": expected \"minimize EXPR\" or "
		    "\"maximize EXPR\", found %s", s->path, key, typename(v));
		return -1;
	}
	if (strncmp(o, "minimize ", 9) != 0 &&
	    strncmp(o, "maximize ", 9) != 0) {
		ar_errf(err, "%s: key \"%s\": expected \"minimize EXPR\" or "
		    "\"maximize EXPR\", found '%s'", s->path, key, o);
		return -1;
	}
	return check_expr(s, key, o + 9, 0, NULL, err);
}

static int
check_later_keys(struct spec *s, struct ar_err *err)
{
	json_t *v, *a;
	const char *k;
	size_t i, j;
	char key[128];

	if ((v = json_object_get(s->root, "args")) != NULL)
		json_array_foreach(v, i, a) {
			json_t *size, *val;

			snprintf(key, sizeof(key), "args[%zu]", i);
			if (!json_is_object(a) ||
			    !json_is_string(json_object_get(a, "name")) ||
			    !json_is_string(json_object_get(a, "type"))) {
				ar_errf(err, "%s: key \"%s\": expected an object "
				    "with a \"name\" and a \"type\"", s->path,
				    key);
				return -1;
			}
			if ((size = json_object_get(a, "size")) != NULL) {
				snprintf(key, sizeof(key), "args[%zu].size", i);
				if (check_expr_value(s, key, size, 1, err))
					return -1;
			}
			if ((val = json_object_get(a, "value")) != NULL) {
				snprintf(key, sizeof(key), "args[%zu].value", i);
				if (check_expr_value(s, key, val, 1, err))
					return -1;
			}
		}
	/* grid and block: one to three dimensions; shared: the bytes of
	 * dynamic shared memory, one expression. */
	if ((v = json_object_get(s->root, "launch")) != NULL)
		json_object_foreach(v, k, a) {
			snprintf(key, sizeof(key), "launch.%s", k);
			if (strcmp(k, "shared") == 0) {
				if (check_expr_value(s, key, a, 1, err))
					return -1;
				continue;
			}
			if (strcmp(k, "grid") != 0 && strcmp(k, "block") != 0) {
				ar_errf(err, "%s: key \"%s\": unknown key "
				    "(grid, block or shared)", s->path, key);
				return -1;
			}
			if (!json_is_array(a) || json_array_size(a) < 1 ||
			    json_array_size(a) > 3) {
				ar_errf(err, "%s: key \"%s\": expected an array "
				    "of one to three expressions", s->path,
				    key);
				return -1;
			}
			for (j = 0; j < json_array_size(a); j++) {
				snprintf(key, sizeof(key), "launch.%s[%zu]", k,
				    j);
				if (check_expr_value(s, key,
				    json_array_get(a, j), 1, err))
					return -1;
			}
		}
	if ((v = json_object_get(s->root, "metrics")) != NULL)
		json_object_foreach(v, k, a) {
			snprintf(key, sizeof(key), "metrics.%s", k);
			if (check_expr_value(s, key, a, 0, err))
				return -1;
		}
	/* Limits on what was measured: ar-score judges records by them. */
	if ((v = json_object_get(s->root, "require")) != NULL)
		json_array_foreach(v, i, a) {
			snprintf(key, sizeof(key), "require[%zu]", i);
			if (!json_is_string(a)) {
				ar_errf(err, "%s: key \"%s\": expected an "
				    "expression (a string), found %s", s->path,
				    key, typename(a));
				return -1;
			}
			if (check_expr(s, key, json_string_value(a), 0, NULL,
			    err))
				return -1;
		}
	if ((v = json_object_get(s->root, "bound")) != NULL &&
	    check_expr_value(s, "bound", v, 1, err))
		return -1;
	if ((v = json_object_get(s->root, "objective")) != NULL &&
	    check_objective(s, "objective", v, err) != 0)
		return -1;
	if ((v = json_object_get(s->root, "objectives")) != NULL) {
		if (json_object_get(s->root, "objective") != NULL) {
			ar_errf(err, "%s: key \"objectives\": a study has "
			    "\"objective\" or \"objectives\", not both",
			    s->path);
			return -1;
		}
		if (json_array_size(v) < 2 ||
		    json_array_size(v) > SPEC_MAX_OBJECTIVES) {
			ar_errf(err, "%s: key \"objectives\": expected 2 to "
			    "%d objectives, found %zu (one is \"objective\")",
			    s->path, SPEC_MAX_OBJECTIVES, json_array_size(v));
			return -1;
		}
		json_array_foreach(v, i, a) {
			snprintf(key, sizeof(key), "objectives[%zu]", i);
			if (check_objective(s, key, a, err) != 0)
				return -1;
			s->objective_max[i] = strncmp(json_string_value(a),
			    "maximize ", 9) == 0;
		}
		s->nobjectives = json_array_size(v);
	}
	return 0;
}

/* What the keys inside compile, bench, verify and reference may hold. */
enum sub_type { SUB_STRING, SUB_STRINGS, SUB_COUNT, SUB_POSITIVE_COUNT,
	SUB_NONNEG, SUB_POSITIVE, SUB_INPUTS, SUB_BOOL };

static const struct {
	const char *obj, *key;
	enum sub_type type;
} subkeys[] = {
	{ "bench", "cpu_s", SUB_POSITIVE },
	{ "bench", "file_mb", SUB_POSITIVE },
	{ "bench", "inputs", SUB_INPUTS },
	{ "bench", "memory_mb", SUB_POSITIVE },
	{ "bench", "repeat", SUB_POSITIVE_COUNT },
	{ "bench", "sandbox", SUB_BOOL },
	{ "bench", "timeout_s", SUB_POSITIVE },
	{ "bench", "trials", SUB_POSITIVE_COUNT },
	{ "bench", "warmup", SUB_COUNT },
	{ "compile", "cc", SUB_STRING },
	{ "compile", "flags", SUB_STRINGS },
	{ "compile", "timeout_s", SUB_NONNEG },
	{ "reference", "entry", SUB_STRING },
	{ "reference", "source", SUB_STRING },
	{ "verify", "atol", SUB_NONNEG },
	{ "verify", "rtol", SUB_NONNEG },
};

static const char *
sub_wanted(enum sub_type t)
{
	switch (t) {
	case SUB_STRING: return "a string";
	case SUB_STRINGS: return "an array of strings";
	case SUB_COUNT: return "an integer of at least 0";
	case SUB_POSITIVE_COUNT: return "an integer of at least 1";
	case SUB_NONNEG: return "a number of at least 0";
	case SUB_INPUTS: return "\"shared\" or \"variant\"";
	case SUB_BOOL: return "true or false";
	default: return "a number greater than 0";
	}
}

static int
sub_ok(json_t *v, enum sub_type t)
{
	size_t i;
	json_t *e;

	switch (t) {
	case SUB_STRING:
		return json_is_string(v);
	case SUB_STRINGS:
		if (!json_is_array(v))
			return 0;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return 0;
		return 1;
	case SUB_COUNT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case SUB_POSITIVE_COUNT:
		return json_is_integer(v) && json_integer_value(v) >= 1;
	case SUB_NONNEG:
		return is_number(v) && json_number_value(v) >= 0;
	case SUB_BOOL:
		return json_is_boolean(v);
	case SUB_INPUTS:
		return json_is_string(v) &&
		    (strcmp(json_string_value(v), "shared") == 0 ||
		    strcmp(json_string_value(v), "variant") == 0);
	default:
		return is_number(v) && json_number_value(v) > 0;
	}
}

static int
check_subkeys(struct spec *s, const char *obj, struct ar_err *err)
{
	json_t *o = json_object_get(s->root, obj), *v;
	const char *key;
	char found[80];
	size_t i;

	if (o == NULL)
		return 0;
	json_object_foreach(o, key, v) {
		for (i = 0; i < sizeof(subkeys) / sizeof(subkeys[0]); i++)
			if (strcmp(subkeys[i].obj, obj) == 0 &&
			    strcmp(subkeys[i].key, key) == 0)
				break;
		if (i == sizeof(subkeys) / sizeof(subkeys[0])) {
			const char *known[sizeof(subkeys) / sizeof(*subkeys)];
			size_t n = 0;

			for (i = 0; i < sizeof(subkeys) / sizeof(*subkeys); i++)
				if (strcmp(subkeys[i].obj, obj) == 0)
					known[n++] = subkeys[i].key;
			unknown_key(err, s->path, obj, key, known, n);
			return -1;
		}
		if (!sub_ok(v, subkeys[i].type)) {
			/* What was found: the value itself where it says
			 * more than its type. */
			if (json_is_number(v))
				snprintf(found, sizeof(found), "%g",
				    json_number_value(v));
			else if (json_is_string(v) &&
			    subkeys[i].type == SUB_INPUTS)
				snprintf(found, sizeof(found), "\"%.64s\"",
				    json_string_value(v));
			else
				snprintf(found, sizeof(found), "%s",
				    typename(v));
			ar_errf(err, "%s: key \"%s.%s\": expected %s, found %s",
			    s->path, obj, key, sub_wanted(subkeys[i].type),
			    found);
			return -1;
		}
	}
	return 0;
}

/*
 * Expands argument a of the command into out: "{NAME}" becomes
 * text[slot], the text of the parameter or problem constant NAME, and
 * "{{" and "}}" become "{" and "}", as in Python's str.format; with text
 * NULL a placeholder becomes nothing.  Returns the number of
 * placeholders, or -1 with why (of size len) saying what is wrong.
 */
static int
expand(const struct spec *s, const char *a, const char *const *text,
    struct ar_buf *out, char *why, size_t len)
{
	const char *p, *q;
	int n = 0, slot;

	for (p = a; (q = strpbrk(p, "{}")) != NULL; p = q + 1) {
		buf_add(out, p, (size_t)(q - p));
		if (q[1] == q[0]) {
			buf_add(out, q++, 1);
			continue;
		}
		if (*q == '}') {
			snprintf(why, len, "'}' without '{' (write }} for a "
			    "literal })");
			return -1;
		}
		p = q + 1;
		if ((q = strchr(p, '}')) == NULL) {
			snprintf(why, len, "'{' without '}' (write {{ for a "
			    "literal {)");
			return -1;
		}
		if ((slot = spec_lookup((void *)s, p, (size_t)(q - p))) < 0) {
			snprintf(why, len, "unknown name '%.*s' (write {{ "
			    "for a literal {)", (int)(q - p), p);
			return -1;
		}
		if (text != NULL)
			buf_adds(out, text[slot]);
		n++;
	}
	buf_adds(out, p);
	return n;
}

/*
 * The command of the command backend, or its check: an argument vector,
 * never a shell line.  "{NAME}" inside an argument stands for the value
 * of a parameter or problem constant; every such name must exist, and
 * any other brace is doubled.  A check belongs to the command backend
 * alone: any other would judge nothing.
 */
static int
check_argv(struct spec *s, const char *key, struct ar_err *err)
{
	json_t *cmd = json_object_get(s->root, key), *a;
	struct ar_buf b = { 0 };
	char why[160];
	size_t i;
	int rc = 0;

	if (cmd == NULL) {
		if (strcmp(key, "command") == 0 &&
		    strcmp(s->backend, "command") == 0) {
			ar_errf(err, "%s: key \"command\": missing (the "
			    "command backend runs it)", s->path);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "check") == 0 && strcmp(s->backend, "command") != 0) {
		ar_errf(err, "%s: key \"check\": only the command backend "
		    "runs a check (the %s backend verifies against the "
		    "study's reference)", s->path, s->backend);
		return -1;
	}
	if (json_array_size(cmd) == 0) {
		ar_errf(err, "%s: key \"%s\": expected a program and "
		    "its arguments", s->path, key);
		return -1;
	}
	json_array_foreach(cmd, i, a) {
		if (!json_is_string(a) || (i == 0 &&
		    json_string_length(a) == 0)) {
			ar_errf(err, "%s: key \"%s[%zu]\": expected a "
			    "%sstring", s->path, key, i,
			    i == 0 ? "non-empty " : "");
			return -1;
		}
		b.len = 0;
		if (expand(s, json_string_value(a), NULL, &b, why,
		    sizeof(why)) < 0) {
			ar_errf(err, "%s: key \"%s[%zu]\": %s", s->path,
			    key, i, why);
			rc = -1;
			break;
		}
	}
	free(b.buf);
	return rc;
}

char *
spec_argv_arg(const struct spec *s, const char *key, size_t i,
    const char *const *text, struct ar_err *err)
{
	json_t *cmd = json_object_get(s->root, key);
	struct ar_buf b = { 0 };
	char why[160];

	/* spec_load refused what this would refuse. */
	if (expand(s, json_string_value(json_array_get(cmd, i)), text, &b,
	    why, sizeof(why)) < 0) {
		ar_errf(err, "%s: key \"%s[%zu]\": %s", s->path, key, i,
		    why);
		free(b.buf);
		return NULL;
	}
	return b.buf;
}

static char *
resolve(const struct spec *s, const char *rel)
{
	struct ar_buf b = { 0 };

	if (rel[0] == '/' || strcmp(s->dir, ".") == 0)
		return estrdup(rel);
	buf_printf(&b, "%s/%s", s->dir, rel);
	return b.buf;
}

/*
 * 0 when execve could run path, found from the study's folder; else why
 * not, as an errno value.
 */
static int
runnable(const struct spec *s, const char *path)
{
	char *p = resolve(s, path);
	struct stat st;
	int e = 0;

	if (stat(p, &st) != 0)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	else if (!S_ISREG(st.st_mode) || access(p, X_OK) != 0)
		e = EACCES;
	free(p);
	return e;
}

int
spec_check_program(const struct spec *s, const char *key,
    struct ar_err *err)
{
	json_t *cmd = json_object_get(s->root, key);
	struct ar_buf prog = { 0 }, b = { 0 };
	const char *path, *end;
	char why[160];
	int e = 0, found = 0;

	if (cmd == NULL || strcmp(s->backend, "command") != 0)
		return 0;
	/*
	 * A program named by a parameter depends on the configuration, and
	 * a parameter named PATH in the environment changes where it is
	 * looked up: their runs tell.
	 */
	if (expand(s, json_string_value(json_array_get(cmd, 0)), NULL, &prog,
	    why, sizeof(why)) != 0 || (strchr(prog.buf, '/') == NULL &&
	    json_is_true(json_object_get(s->root, "env")) &&
	    spec_lookup((void *)s, "PATH", 4) >= 0)) {
		free(prog.buf);
		return 0;
	}
	if (strchr(prog.buf, '/') != NULL) {
		if ((e = runnable(s, prog.buf)) != 0) {
			/* Where it was looked for, without a "./" between. */
			char *p = resolve(s, prog.buf[0] == '.' &&
			    prog.buf[1] == '/' && strcmp(s->dir, ".") != 0 ?
			    prog.buf + 2 : prog.buf);

			ar_errf(err, "%s: key \"%s[0]\": cannot run "
			    "'%s': %s", s->path, key, p, strerror(e));
			free(p);
		}
		free(prog.buf);
		return e != 0 ? -1 : 0;
	}
	/*
	 * As execvp looks: each folder of PATH in turn ("" is the current
	 * one, here the study's), past those where it is missing; one that
	 * is there but cannot be run says so if no other folder has it.
	 */
	if ((path = getenv("PATH")) == NULL)
		path = "/bin:/usr/bin";
	for (; !found; path = end + 1) {
		end = strchrnul(path, ':');
		b.len = 0;
		buf_printf(&b, "%.*s%s%s", (int)(end - path), path,
		    end > path ? "/" : "", prog.buf);
		switch (runnable(s, b.buf)) {
		case 0:
			found = 1;
			break;
		case EACCES:
		case EISDIR:
			e = EACCES;
			break;
		}
		if (*end == '\0')
			break;
	}
	if (!found)
		ar_errf(err, "%s: key \"%s[0]\": cannot run '%s': %s",
		    s->path, key, prog.buf, e != 0 ? strerror(e) :
		    "not found in PATH");
	free(prog.buf);
	free(b.buf);
	return found ? 0 : -1;
}

static int
check_file(struct spec *s, const char *key, const char *rel, char **out,
    struct ar_err *err)
{
	char *path = resolve(s, rel);
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		ar_errf(err, "%s: key \"%s\": cannot open '%s': %s", s->path,
		    key, path, errno ? strerror(errno) : "not a file");
		free(path);
		return -1;
	}
	if (out != NULL)
		*out = path;
	else
		free(path);
	return 0;
}

/*
 * Scans the source's marked loops and makes the menu of knobs that the
 * study's "transform" asks for (xform.h).
 */
static int
load_transform(struct spec *s, json_t *t, struct ar_err *err)
{
	char msg[sizeof(err->msg)];

	if (s->source == NULL || strcmp(s->backend, "replay") == 0) {
		ar_errf(err, "%s: key \"transform\": the study must have a "
		    "source to transform (backend c, cuda or opencl)",
		    s->path);
		return -1;
	}
	if ((s->xform = xform_load(s->source, s->variant_max, err)) == NULL) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		ar_errf(err, "%s: key \"transform\": %s", s->path, msg);
		return -1;
	}
	if (xform_menu(s->xform, t, err) != 0) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		ar_errf(err, "%s: %s", s->path, msg);
		return -1;
	}
	return 0;
}

static int
load(struct spec *s, const char *path, char *const *defs, size_t ndefs,
    struct ar_err *err)
{
	json_error_t je;
	const char *key, *slash;
	json_t *v, *ref, *fparams = NULL;
	struct stat st;
	FILE *f;
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->path = estrdup(path);
	slash = strrchr(path, '/');
	s->dir = slash ? estrndup(path, (size_t)(slash - path)) : estrdup(".");
	if (slash == path)
		s->dir[0] = '/', s->dir[1] = '\0';

	/* A folder opens for reading, and jansson would call its empty
	 * text invalid JSON. */
	if ((f = fopen(path, "r")) == NULL) {
		ar_errf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		ar_errf(err, "cannot open '%s': %s", path,
		    strerror(EISDIR));
		return -1;
	}
	errno = 0;
	s->root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (s->root == NULL) {
		if (je.line < 1)
			ar_errf(err, "cannot open '%s': %s", path,
			    errno ? strerror(errno) : je.text);
		else
			ar_errf(err, "%s:%d: invalid JSON: %s", path, je.line,
			    je.text);
		return -1;
	}
	if (!json_is_object(s->root)) {
		ar_errf(err, "%s: a study must be a JSON object", path);
		return -1;
	}
	json_object_foreach(s->root, key, v) {
		for (i = 0; i < sizeof(topkeys) / sizeof(topkeys[0]); i++)
			if (strcmp(topkeys[i].key, key) == 0)
				break;
		if (i == sizeof(topkeys) / sizeof(topkeys[0])) {
			const char *known[sizeof(topkeys) / sizeof(*topkeys)];

			for (i = 0; i < sizeof(topkeys) / sizeof(*topkeys); i++)
				known[i] = topkeys[i].key;
			unknown_key(err, path, NULL, key, known, i);
			return -1;
		}
		if (!has_type(v, topkeys[i].type)) {
			ar_errf(err, "%s: key \"%s\": expected %s, found %s",
			    path, key, wanted(topkeys[i].type), typename(v));
			return -1;
		}
	}
	if ((s->name = json_string_value(json_object_get(s->root, "name")))
	    == NULL) {
		ar_errf(err, "%s: key \"name\": missing", path);
		return -1;
	}
	if (!is_token(s->name)) {
		ar_errf(err, "%s: key \"name\": '%s' may hold only letters, "
		    "digits and _ . + -", path, s->name);
		return -1;
	}
	if ((s->backend = json_string_value(json_object_get(s->root,
	    "backend"))) == NULL) {
		ar_errf(err, "%s: key \"backend\": missing", path);
		return -1;
	}
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i], s->backend) == 0)
			break;
	if (i == sizeof(backends) / sizeof(backends[0])) {
		ar_errf(err, "%s: key \"backend\": unknown backend '%s' "
		    "(c, cuda, opencl, command or replay)", path, s->backend);
		return -1;
	}
	if (json_object_get(s->root, "device") != NULL &&
	    strcmp(s->backend, "opencl") != 0) {
		ar_errf(err, "%s: key \"device\": chooses an OpenCL device, "
		    "for a study of backend opencl, not '%s'", path,
		    s->backend);
		return -1;
	}
	s->entry = json_string_value(json_object_get(s->root, "entry"));
	s->variant_max = SPEC_VARIANT_MAX;
	if ((v = json_object_get(s->root, "variant_max_bytes")) != NULL) {
		if (json_integer_value(v) < 1) {
			ar_errf(err, "%s: key \"variant_max_bytes\": must be "
			    "a positive number of bytes", path);
			return -1;
		}
		s->variant_max = (size_t)json_integer_value(v);
	}

	if ((v = json_object_get(s->root, "source")) != NULL) {
		if (check_file(s, "source", json_string_value(v), &s->source,
		    err) != 0)
			return -1;
		if (hash_file_sha256_hex(s->source, s->srchash, err) != 0) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			ar_errf(err, "%s: key \"source\": %s", path, msg);
			return -1;
		}
	} else if (strcmp(s->backend, "command") != 0) {
		ar_errf(err, "%s: key \"source\": missing", path);
		return -1;
	}
	if ((v = json_object_get(s->root, "transform")) != NULL &&
	    load_transform(s, v, err) != 0)
		return -1;
	if ((ref = json_object_get(s->root, "reference")) != NULL &&
	    (v = json_object_get(ref, "source")) != NULL) {
		if (!json_is_string(v)) {
			ar_errf(err, "%s: key \"reference.source\": expected "
			    "a string, found %s", path, typename(v));
			return -1;
		}
		if (check_file(s, "reference.source", json_string_value(v),
		    NULL, err) != 0)
			return -1;
	}

	/*
	 * A replay study's params are those of its cache file unless it
	 * lists them; either way they must fit the file, which only the head
	 * of the file (its tune_params) tells, so this stays quick.
	 */
	if (strcmp(s->backend, "replay") == 0 &&
	    (fparams = ktcache_params(s->source, err)) == NULL) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		ar_errf(err, "%s: key \"source\": %s", path, msg);
		return -1;
	}
	if ((v = json_object_get(s->root, "params")) == NULL &&
	    fparams != NULL) {
		json_object_set(s->root, "params", fparams);
		v = fparams;
	}
	if (v == NULL) {
		ar_errf(err, "%s: key \"params\": missing", path);
		return -1;
	}
	rc = load_params(s, v, s->xform != NULL ? s->xform->knobs : NULL,
	    err);
	if (rc == 0 && fparams != NULL)
		rc = spec_fit_file(s, fparams, s->source, NULL, NULL,
		    err);
	json_decref(fparams);
	if (rc != 0 ||
	    load_problem(s, json_object_get(s->root, "problem"), err) != 0 ||
	    apply_defs(s, defs, ndefs, err) != 0 ||
	    load_constraints(s, json_object_get(s->root, "constraints"),
	    err) != 0 ||
	    check_later_keys(s, err) != 0 ||
	    check_subkeys(s, "bench", err) != 0 ||
	    check_subkeys(s, "compile", err) != 0 ||
	    check_subkeys(s, "reference", err) != 0 ||
	    check_subkeys(s, "verify", err) != 0 ||
	    check_argv(s, "command", err) != 0 ||
	    check_argv(s, "check", err) != 0)
		return -1;
	if ((v = json_object_get(s->root, "command")) != NULL) {
		/* What a command study runs is its command line as much as
		 * any source, so both go into the ids; and what judges its
		 * results, when something does. */
		char *t = json_dumps(v, JSON_COMPACT);
		struct ar_buf b = { 0 };

		buf_printf(&b, "%s\n%s", t, s->srchash);
		free(t);
		if ((v = json_object_get(s->root, "check")) != NULL) {
			t = json_dumps(v, JSON_COMPACT);
			buf_printf(&b, "\ncheck %s", t);
			free(t);
		}
		hash_sha256_hex(b.buf, b.len, s->srchash);
		free(b.buf);
	}
	return 0;
}

/* What a study that failed to load had built is released. */
int
spec_load(struct spec *s, const char *path, char *const *defs, size_t ndefs,
    struct ar_err *err)
{
	int rc = load(s, path, defs, ndefs, err);

	if (rc != 0)
		spec_release(s);
	return rc;
}

void
spec_release(struct spec *s)
{
	size_t i, k;

	for (i = 0; i < s->nparams; i++) {
		struct spec_param *p = &s->params[i];

		free(p->name);
		for (k = 0; k < p->n && p->text != NULL; k++)
			free(p->text[k]);
		free(p->text);
		free(p->values);
		free(p->vals);
		free(p->rank);
		free(p->byrank);
	}
	free(s->params);
	for (i = 0; i < s->nconsts; i++) {
		free(s->consts[i].name);
		free(s->consts[i].text);
		json_decref(s->consts[i].value);
	}
	free(s->consts);
	for (i = 0; i < s->nconstraints; i++)
		expr_free(s->constraints[i]);
	free(s->constraints);
	xform_free(s->xform);
	free(s->source);
	free(s->path);
	free(s->dir);
	json_decref(s->root);
	memset(s, 0, sizeof(*s));
}

struct expr *
spec_expr(const struct spec *s, const char *key, json_t *v,
    struct ar_err *err)
{
	char src[64], msg[256];
	const char *text;
	struct expr *e;

	if (json_is_integer(v)) {
		snprintf(src, sizeof(src), "%lld",
		    (long long)json_integer_value(v));
		text = src;
	} else if (json_is_real(v)) {
		jsonw_fmt_g(json_real_value(v), src, sizeof(src));
		text = src;
	} else if (json_is_string(v))
		text = json_string_value(v);
	else {
		ar_errf(err, "%s: key \"%s\": expected an expression (a "
		    "string) or a number", s->path, key);
		return NULL;
	}
	if ((e = expr_parse(text, spec_lookup, (void *)s, msg,
	    sizeof(msg))) == NULL)
		ar_errf(err, "%s: key \"%s\": %s in '%s'", s->path, key, msg,
		    text);
	return e;
}
