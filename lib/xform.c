/*
 * xform: marked loops, their knobs and the sources rendered from them.
 */
#include "xform.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const xform_opname[XFORM_NOPS] = {
	"par", "tile", "unroll", "vec", "ileave", "dist", "jam", "order"
};

/* The menu's default arguments, 0 ("off") left out. */
static const int def_tile[] = { 4, 8, 16, 32, 64, 128, 256 };
static const int def_unroll[] = { 2, 4, 8 };
static const int def_vec[] = { 2, 4, 8, 16 };
static const int def_ileave[] = { 2, 4, 8 };
static const int def_jam[] = { 2, 4, 8 };

#define MARK	"#pragma ar loop"

/* The line (1-based) of offset off. */
static size_t
line_of(const char *t, size_t off)
{
	size_t i, n = 1;

	for (i = 0; i < off; i++)
		if (t[i] == '\n')
			n++;
	return n;
}

/* Past blanks and comments from i; never past end. */
static size_t
skip_ws(const char *t, size_t i, size_t end)
{
	for (;;) {
		while (i < end && isspace((unsigned char)t[i]))
			i++;
		if (i + 1 < end && t[i] == '/' && t[i + 1] == '/') {
			while (i < end && t[i] != '\n')
				i++;
		} else if (i + 1 < end && t[i] == '/' && t[i + 1] == '*') {
			for (i += 2; i + 1 < end && !(t[i] == '*' &&
			    t[i + 1] == '/'); i++)
				;
			i = i + 2 < end ? i + 2 : end;
		} else
			return i;
	}
}

/* Past a string or character literal that begins at i. */
static size_t
skip_literal(const char *t, size_t i, size_t end)
{
	char q = t[i++];

	while (i < end && t[i] != q && t[i] != '\n')
		i += t[i] == '\\' ? 2 : 1;
	return i < end ? i + 1 : end;
}

/*
 * Past the bracket that matches the one at i ('(' or '{'), skipping
 * comments and literals; 0 when there is none before end.
 */
static size_t
match(const char *t, size_t i, size_t end)
{
	char open = t[i], close = open == '(' ? ')' : '}';
	int depth = 0;

	while (i < end) {
		size_t j = skip_ws(t, i, end);

		if (j != i) {
			i = j;
			continue;
		}
		if (t[i] == '"' || t[i] == '\'') {
			i = skip_literal(t, i, end);
			continue;
		}
		if (t[i] == open)
			depth++;
		else if (t[i] == close && --depth == 0)
			return i + 1;
		i++;
	}
	return 0;
}

/* Whether the word w begins at i (and ends there). */
static int
word_at(const char *t, size_t i, size_t end, const char *w)
{
	size_t n = strlen(w);

	return i + n <= end && strncmp(t + i, w, n) == 0 &&
	    (i + n == end || !(isalnum((unsigned char)t[i + n]) ||
	    t[i + n] == '_'));
}

/* Past the end of the line at i, a backslash continuing it. */
static size_t
line_end(const char *t, size_t i, size_t end)
{
	while (i < end && t[i] != '\n') {
		if (t[i] == '\\' && i + 1 < end && t[i + 1] == '\n')
			i++;
		i++;
	}
	return i < end ? i + 1 : end;
}

/* Whether the line at i is a mark (blanks before it allowed). */
static int
is_mark(const char *t, size_t i, size_t end)
{
	while (i < end && (t[i] == ' ' || t[i] == '\t'))
		i++;
	return word_at(t, i, end, "#pragma") && strncmp(t + i, MARK,
	    strlen(MARK)) == 0 && (i + strlen(MARK) == end ||
	    isspace((unsigned char)t[i + strlen(MARK)]));
}

static int stmt_end(struct xform_src *xs, size_t i, size_t end, size_t *out,
    struct ar_err *err);

/*
 * The header of a for at i, and the end of its statement.  0, or -1
 * with err set.
 */
static int
for_end(struct xform_src *xs, size_t i, size_t end, size_t *head_end,
    size_t *out, struct ar_err *err)
{
	const char *t = xs->text;
	size_t p = skip_ws(t, i + 3, end), h;

	if (p >= end || t[p] != '(' || (h = match(t, p, end)) == 0) {
		ar_errf(err, "%s:%zu: the header of this for does not end",
		    xs->name, line_of(t, i));
		return -1;
	}
	if (head_end != NULL)
		*head_end = h;
	return stmt_end(xs, h, end, out, err);
}

/*
 * The end of the statement that begins at or after i: a block, a for,
 * an if or while with their statements, a mark and its loop, or a
 * simple statement up to its ';'.  Preprocessor lines before it are
 * skipped.
 */
static int
stmt_end(struct xform_src *xs, size_t i, size_t end, size_t *out,
    struct ar_err *err)
{
	const char *t = xs->text;
	size_t p = skip_ws(t, i, end), q;

	if (p >= end) {
		ar_errf(err, "%s:%zu: a statement is missing at the end",
		    xs->name, line_of(t, p));
		return -1;
	}
	if (t[p] == '#') {
		q = line_end(t, p, end);
		if (is_mark(t, p, end))
			q = skip_ws(t, q, end);
		return stmt_end(xs, q, end, out, err);
	}
	if (t[p] == '{') {
		if ((*out = match(t, p, end)) == 0) {
			ar_errf(err, "%s:%zu: this block does not end",
			    xs->name, line_of(t, p));
			return -1;
		}
		return 0;
	}
	if (word_at(t, p, end, "for"))
		return for_end(xs, p, end, NULL, out, err);
	if (word_at(t, p, end, "while") || word_at(t, p, end, "if")) {
		int isif = t[p] == 'i';

		q = skip_ws(t, p + (isif ? 2 : 5), end);
		if (q >= end || t[q] != '(' || (q = match(t, q, end)) == 0) {
			ar_errf(err, "%s:%zu: this condition does not end",
			    xs->name, line_of(t, p));
			return -1;
		}
		if (stmt_end(xs, q, end, out, err) != 0)
			return -1;
		q = skip_ws(t, *out, end);
		if (isif && word_at(t, q, end, "else"))
			return stmt_end(xs, q + 4, end, out, err);
		return 0;
	}
	for (q = p; q < end && t[q] != ';'; ) {
		size_t j = skip_ws(t, q, end);

		if (j != q)
			q = j;
		else if (t[q] == '"' || t[q] == '\'')
			q = skip_literal(t, q, end);
		else if (t[q] == '(' || t[q] == '{') {
			if ((j = match(t, q, end)) == 0)
				break;
			q = j;
		} else
			q++;
	}
	if (q >= end) {
		ar_errf(err, "%s:%zu: this statement does not end", xs->name,
		    line_of(t, p));
		return -1;
	}
	*out = q + 1;
	return 0;
}

int
xform_loop_index(const struct xform_src *xs, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < xs->nloops; i++)
		if (strlen(xs->loops[i].name) == len &&
		    strncmp(xs->loops[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Reads the mark at line offset off into a new loop. */
static int
add_mark(struct xform_src *xs, size_t off, struct ar_err *err)
{
	const char *t = xs->text;
	size_t end = xs->len, i = off, n0, n1, e;
	struct xform_loop *l;
	size_t line = line_of(t, off);
	int k;

	while (t[i] == ' ' || t[i] == '\t')
		i++;
	n0 = i + strlen(MARK);
	while (n0 < end && (t[n0] == ' ' || t[n0] == '\t'))
		n0++;
	for (n1 = n0; n1 < end && (isalnum((unsigned char)t[n1]) ||
	    t[n1] == '_'); n1++)
		;
	e = n1;
	while (e < end && (t[e] == ' ' || t[e] == '\t' || t[e] == '\r'))
		e++;
	if (n1 == n0 || isdigit((unsigned char)t[n0]) || (e < end &&
	    t[e] != '\n')) {
		ar_errf(err, "%s:%zu: '" MARK "' wants one loop name (a C "
		    "identifier)", xs->name, line);
		return -1;
	}
	if ((k = xform_loop_index(xs, t + n0, n1 - n0)) >= 0) {
		ar_errf(err, "%s:%zu: loop '%s' is marked twice (first on "
		    "line %zu)", xs->name, line, xs->loops[k].name,
		    xs->loops[k].line);
		return -1;
	}
	xs->loops = ereallocarray(xs->loops, xs->nloops + 1,
	    sizeof(*xs->loops));
	l = &xs->loops[xs->nloops++];
	memset(l, 0, sizeof(*l));
	l->name = estrndup(t + n0, n1 - n0);
	l->line = line;
	l->mark = off;
	l->mark_end = line_end(t, off, end);
	l->indent = estrndup(t + off, i - off);
	l->parent = l->child = -1;
	l->head = skip_ws(t, l->mark_end, end);
	if (!word_at(t, l->head, end, "for")) {
		ar_errf(err, "%s:%zu: '" MARK " %s' is not followed by a for "
		    "loop", xs->name, line, l->name);
		return -1;
	}
	if (for_end(xs, l->head, end, &l->head_end, &l->end, err) != 0)
		return -1;
	return 0;
}

/*
 * Whether the for declares its variable: the init clause holds two
 * words before its '=' ("int i = 0", "size_t i = 0"), where an
 * assignment has one ("i = 0").
 */
static int
declares(const char *t, const struct xform_loop *l)
{
	size_t i = skip_ws(t, l->head + 3, l->head_end) + 1, words = 0;

	for (;;) {
		i = skip_ws(t, i, l->head_end);
		if (i >= l->head_end || t[i] == '=' || t[i] == ';')
			break;
		if (isalpha((unsigned char)t[i]) || t[i] == '_') {
			words++;
			while (i < l->head_end && (isalnum((unsigned char)
			    t[i]) || t[i] == '_'))
				i++;
		} else
			i++;
	}
	return words >= 2;
}

/* Parents, perfect nesting, children. */
static void
nest(struct xform_src *xs)
{
	const char *t = xs->text;
	size_t i, j, p;

	for (i = 0; i < xs->nloops; i++) {
		struct xform_loop *l = &xs->loops[i];

		l->decl = declares(t, l);
		for (j = 0; j < xs->nloops; j++) {
			struct xform_loop *o = &xs->loops[j];

			if (j != i && o->head_end <= l->mark &&
			    l->end <= o->end && (l->parent < 0 ||
			    xs->loops[l->parent].head_end < o->head_end))
				l->parent = (int)j;
		}
	}
	for (i = 0; i < xs->nloops; i++) {
		struct xform_loop *l = &xs->loops[i], *o;
		int braced;

		if (l->parent < 0)
			continue;
		o = &xs->loops[l->parent];
		o->nkids++;
		p = skip_ws(t, o->head_end, o->end);
		if ((braced = t[p] == '{'))
			p = skip_ws(t, p + 1, o->end);
		if (p != skip_ws(t, l->mark, o->end))
			continue;
		p = skip_ws(t, l->end, o->end);
		if (braced ? p + 1 == o->end && t[p] == '}' : p == o->end) {
			l->perfect = 1;
			o->child = (int)i;
		}
	}
}

struct xform_src *
xform_scan(const char *name, const char *text, size_t len,
    struct ar_err *err)
{
	struct xform_src *xs = ecalloc(1, sizeof(*xs));
	size_t i;

	xs->name = estrdup(name);
	xs->text = estrndup(text, len);
	xs->len = len;
	if (strlen(xs->text) != len) {
		ar_errf(err, "%s: holds a NUL byte", name);
		goto fail;
	}
	for (i = 0; i < len; i = line_end(text, i, len))
		if (is_mark(text, i, len) && add_mark(xs, i, err) != 0)
			goto fail;
	if (xs->nloops == 0) {
		ar_errf(err, "%s: no loop is marked with '" MARK " NAME'",
		    name);
		goto fail;
	}
	/* A header that runs past the next mark (an unterminated string
	 * or bracket in it) would make that mark part of this header. */
	for (i = 0; i + 1 < xs->nloops; i++)
		if (xs->loops[i].head_end > xs->loops[i + 1].mark) {
			ar_errf(err, "%s:%zu: the header of the for of loop "
			    "'%s' runs past the mark of loop '%s'", name,
			    xs->loops[i].line, xs->loops[i].name,
			    xs->loops[i + 1].name);
			goto fail;
		}
	nest(xs);
	return xs;
fail:
	xform_free(xs);
	return NULL;
}

struct xform_src *
xform_load(const char *path, size_t max, struct ar_err *err)
{
	struct ar_buf b = { 0 };
	struct xform_src *xs;

	if (ar_slurp(path, max, &b, err) != 0)
		return NULL;
	xs = xform_scan(path, b.buf != NULL ? b.buf : "", b.len, err);
	free(b.buf);
	return xs;
}

void
xform_free(struct xform_src *xs)
{
	size_t i;

	if (xs == NULL)
		return;
	for (i = 0; i < xs->nloops; i++) {
		free(xs->loops[i].name);
		free(xs->loops[i].indent);
	}
	free(xs->loops);
	free(xs->name);
	free(xs->text);
	json_decref(xs->knobs);
	json_decref(xs->constraints);
	free(xs->chain);
	free(xs->orders);
	free(xs);
}

/* ---- the menu ---- */

static const char *const menukeys[] = { "ops", "loops", "tile", "unroll",
    "vec", "ileave", "jam", "threads", "orders" };

/* The largest argument a knob may take: beyond it is surely a typo. */
#define XFORM_ARGMAX	65536

/*
 * The study's list t[key] of positive integers, else the default; a new
 * array of them, 0 first.  -1 with err set when it is not such a list.
 */
static json_t *
arg_list(json_t *t, const char *key, const int *def, size_t ndef,
    struct ar_err *err)
{
	json_t *l = json_object_get(t, key), *out = json_array(), *v;
	size_t i, j;

	json_array_append_new(out, json_integer(0));
	if (l == NULL) {
		for (i = 0; i < ndef; i++)
			json_array_append_new(out, json_integer(def[i]));
		return out;
	}
	if (!json_is_array(l) || json_array_size(l) == 0) {
		ar_errf(err, "key \"transform.%s\": expected a non-empty array "
		    "of positive integers", key);
		goto fail;
	}
	json_array_foreach(l, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > XFORM_ARGMAX) {
			ar_errf(err, "key \"transform.%s[%zu]\": expected an "
			    "integer from 1 to %d", key, i, XFORM_ARGMAX);
			goto fail;
		}
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(l, j), v)) {
				ar_errf(err, "key \"transform.%s\": %lld is "
				    "listed twice", key,
				    (long long)json_integer_value(v));
				goto fail;
			}
		json_array_append(out, v);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* An order's text: the names run together when each is one letter. */
static char *
order_text(const struct xform_src *xs, const size_t *ord)
{
	struct ar_buf b = { 0 };
	size_t p;
	int short_names = 1;

	for (p = 0; p < xs->nchain; p++)
		if (strlen(xs->loops[ord[p]].name) != 1)
			short_names = 0;
	for (p = 0; p < xs->nchain; p++)
		buf_printf(&b, "%s%s", p > 0 && !short_names ? "," : "",
		    xs->loops[ord[p]].name);
	if (b.buf == NULL)
		return estrdup("");
	return b.buf;
}

/*
 * Reads "orders": every list a permutation of the same loops, which must
 * be a perfect nest; xs->chain is that nest in source order and
 * xs->orders the orders, the source's first.
 */
static int
read_orders(struct xform_src *xs, json_t *l, struct ar_err *err)
{
	size_t i, p, q, m, head, *ord;
	json_t *o, *v;
	int k;

	if (!json_is_array(l) || json_array_size(l) == 0) {
		ar_errf(err, "key \"transform.orders\": expected an array of "
		    "loop orders, each an array of loop names");
		return -1;
	}
	free(xs->chain);
	free(xs->orders);
	xs->norders = 0;
	m = json_array_size(json_array_get(l, 0));
	xs->nchain = m;
	xs->chain = ecalloc(m ? m : 1, sizeof(*xs->chain));
	xs->orders = ecalloc((json_array_size(l) + 1) * (m ? m : 1),
	    sizeof(*xs->orders));
	json_array_foreach(l, i, o) {
		if (!json_is_array(o) || json_array_size(o) != m || m < 2) {
			ar_errf(err, "key \"transform.orders[%zu]\": expected "
			    "an array of %zu loop names, like the first (at "
			    "least 2)", i, m < 2 ? 2 : m);
			return -1;
		}
		ord = xs->orders + (xs->norders + 1) * m;
		json_array_foreach(o, p, v) {
			if (!json_is_string(v) || (k = xform_loop_index(xs,
			    json_string_value(v), strlen(json_string_value(
			    v)))) < 0) {
				ar_errf(err, "key \"transform.orders[%zu][%zu]"
				    "\": not a marked loop of '%s'", i, p,
				    xs->name);
				return -1;
			}
			ord[p] = (size_t)k;
			for (q = 0; q < p; q++)
				if (ord[q] == ord[p]) {
					ar_errf(err, "key \"transform.orders"
					    "[%zu]\": loop '%s' is listed "
					    "twice", i, xs->loops[k].name);
					return -1;
				}
			if (i > 0) {
				for (q = 0; q < m && xs->orders[m + q] !=
				    ord[p]; q++)
					;
				if (q == m) {
					ar_errf(err, "key \"transform.orders"
					    "[%zu]\": loop '%s' is not in the "
					    "first order", i,
					    xs->loops[k].name);
					return -1;
				}
			}
		}
		xs->norders++;
	}
	/* The nest: its outermost loop is the one whose parent is not
	 * listed, and each next one its perfectly nested child. */
	ord = xs->orders + m;
	for (head = 0; head < m; head++) {
		int par = xs->loops[ord[head]].parent;

		for (q = 0; q < m && (par < 0 || ord[q] != (size_t)par); q++)
			;
		if (q == m)
			break;
	}
	xs->chain[0] = ord[head < m ? head : 0];
	for (p = 1; p < m; p++) {
		k = xs->loops[xs->chain[p - 1]].child;
		for (q = 0; q < m && (k < 0 || ord[q] != (size_t)k); q++)
			;
		if (q == m) {
			ar_errf(err, "key \"transform.orders\": the loops "
			    "listed are not a perfect nest of '%s' (each the "
			    "whole body of the one before)", xs->name);
			return -1;
		}
		xs->chain[p] = (size_t)k;
	}
	/* The source's order first, once. */
	memcpy(xs->orders, xs->chain, m * sizeof(*xs->chain));
	for (i = 1; i <= xs->norders; i++)
		if (memcmp(xs->orders + i * m, xs->chain, m *
		    sizeof(*xs->chain)) == 0) {
			memmove(xs->orders + i * m, xs->orders + (i + 1) * m,
			    (xs->norders - i) * m * sizeof(*xs->orders));
			xs->norders--;
			break;
		}
	xs->norders++;
	return 0;
}

/*
 * The nest as an order makes it (ord NULL: the source's): each loop's
 * parent and whether it is perfectly nested in it.
 */
static void
effective(const struct xform_src *xs, const size_t *ord, int *par,
    int *perfect, int *child)
{
	size_t i, p, m = xs->nchain;

	for (i = 0; i < xs->nloops; i++) {
		par[i] = xs->loops[i].parent;
		perfect[i] = xs->loops[i].perfect;
	}
	if (ord != NULL && m > 0) {
		for (i = 0; i < xs->nloops; i++)
			if (par[i] == (int)xs->chain[m - 1])
				par[i] = (int)ord[m - 1];
		par[ord[0]] = xs->loops[xs->chain[0]].parent;
		perfect[ord[0]] = xs->loops[xs->chain[0]].perfect;
		for (p = 1; p < m; p++) {
			par[ord[p]] = (int)ord[p - 1];
			perfect[ord[p]] = 1;
		}
	}
	for (i = 0; i < xs->nloops; i++)
		child[i] = -1;
	for (i = 0; i < xs->nloops; i++)
		if (perfect[i] && par[i] >= 0)
			child[par[i]] = (int)i;
}

/* Whether loop a encloses loop b (or is it) under par. */
static int
encloses(const int *par, int a, int b)
{
	for (; b >= 0; b = par[b])
		if (b == a)
			return 1;
	return 0;
}

static int
has_knob(const struct xform_src *xs, int op, size_t l)
{
	char name[256];

	snprintf(name, sizeof(name), "%s_%s", xform_opname[op],
	    xs->loops[l].name);
	return json_object_get(xs->knobs, name) != NULL;
}

static void
clause(struct ar_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
clause(struct ar_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_printf(b, "%s%s", b->len > 0 ? " && " : "", tmp);
}

/* The constraints one order (NULL: the source's, no order knob) needs. */
static void
order_constraints(struct xform_src *xs, const size_t *ord)
{
	size_t n = xs->nloops, a, b;
	int *par = ecalloc(n, sizeof(int)), *perfect = ecalloc(n,
	    sizeof(int)), *child = ecalloc(n, sizeof(int));
	struct ar_buf c = { 0 };
	int shared;

	effective(xs, ord, par, perfect, child);
	for (a = 0; a < n; a++) {
		const char *an = xs->loops[a].name;

		/* omp unroll on a loop of a tile that is not its last. */
		if (child[a] >= 0 && has_knob(xs, XFORM_TILE, a) &&
		    has_knob(xs, XFORM_UNROLL, a) &&
		    has_knob(xs, XFORM_TILE, (size_t)child[a]))
			clause(&c, "!(tile_%s > 0 && tile_%s > 0 && "
			    "unroll_%s > 0)", an,
			    xs->loops[child[a]].name, an);
		if (!has_knob(xs, XFORM_PAR, a))
			continue;
		/* A loop without its own variable anywhere in the tree. */
		for (shared = 0, b = 0; b < n; b++) {
			int ra = (int)a, rb = (int)b;

			while (par[ra] >= 0)
				ra = par[ra];
			while (par[rb] >= 0)
				rb = par[rb];
			if (ra == rb && !xs->loops[b].decl)
				shared = 1;
		}
		for (b = 0; b < n; b++) {
			const char *bn = xs->loops[b].name;

			if (b != a && encloses(par, (int)b, (int)a) &&
			    has_knob(xs, XFORM_TILE, b))
				clause(&c, "!(par_%s > 0 && tile_%s > 0)", an,
				    bn);
			if (!shared || !encloses(par, (int)a, (int)b))
				continue;
			if (has_knob(xs, XFORM_TILE, b))
				clause(&c, "!(par_%s > 0 && tile_%s > 0)", an,
				    bn);
			if (has_knob(xs, XFORM_UNROLL, b))
				clause(&c, "!(par_%s > 0 && unroll_%s > 0)",
				    an, bn);
		}
	}
	if (c.len > 0 && ord != NULL) {
		char *o = order_text(xs, ord);

		json_array_append_new(xs->constraints, json_sprintf(
		    "order != \"%s\" || (%s)", o, c.buf));
		free(o);
	} else if (c.len > 0)
		json_array_append_new(xs->constraints, json_string(c.buf));
	free(c.buf);
	free(par);
	free(perfect);
	free(child);
}

int
xform_menu(struct xform_src *xs, json_t *t, struct ar_err *err)
{
	json_t *args[XFORM_NOPS] = { NULL }, *v, *l;
	int on[XFORM_NOPS] = { 0 }, use[256];
	const char *key;
	size_t i, k, nuse = 0;
	struct ar_buf c = { 0 };
	int ret = -1, op;

	json_object_foreach(t, key, v) {
		for (i = 0; i < sizeof(menukeys) / sizeof(*menukeys); i++)
			if (strcmp(key, menukeys[i]) == 0)
				break;
		if (i == sizeof(menukeys) / sizeof(*menukeys)) {
			const char *near = ar_nearest(key, menukeys,
			    sizeof(menukeys) / sizeof(*menukeys));

			ar_errf(err, "key \"transform.%s\": unknown key%s%s%s",
			    key, near ? " (did you mean \"transform." : "",
			    near ? near : "", near ? "\"?)" : "");
			return -1;
		}
	}
	if ((l = json_object_get(t, "ops")) != NULL) {
		if (!json_is_array(l)) {
			ar_errf(err, "key \"transform.ops\": expected an array "
			    "of transformations");
			return -1;
		}
		json_array_foreach(l, i, v) {
			for (op = 0; op < XFORM_NOPS; op++)
				if (json_is_string(v) && strcmp(
				    json_string_value(v), xform_opname[op]) == 0)
					break;
			if (op == XFORM_NOPS) {
				ar_errf(err, "key \"transform.ops[%zu]\": not a "
				    "transformation (par, tile, unroll, vec, "
				    "ileave, dist, jam or order)", i);
				return -1;
			}
			on[op] = 1;
		}
	} else {
		for (op = 0; op < XFORM_NOPS; op++)
			on[op] = 1;
		on[XFORM_PAR] = json_object_get(t, "threads") != NULL;
		on[XFORM_ORDER] = json_object_get(t, "orders") != NULL;
	}
	if (on[XFORM_PAR] && json_object_get(t, "threads") == NULL) {
		ar_errf(err, "key \"transform.threads\": missing: par needs "
		    "the thread counts to try");
		return -1;
	}
	if (on[XFORM_ORDER] && json_object_get(t, "orders") == NULL) {
		ar_errf(err, "key \"transform.orders\": missing: order needs "
		    "the legal orders of a nest");
		return -1;
	}
	if ((l = json_object_get(t, "loops")) != NULL) {
		if (!json_is_array(l)) {
			ar_errf(err, "key \"transform.loops\": expected an "
			    "array of loop names");
			return -1;
		}
		json_array_foreach(l, i, v) {
			int x = json_is_string(v) ? xform_loop_index(xs,
			    json_string_value(v), strlen(json_string_value(v)))
			    : -1;

			if (x < 0 || nuse == sizeof(use) / sizeof(*use)) {
				ar_errf(err, "key \"transform.loops[%zu]\": not "
				    "a marked loop of '%s'", i, xs->name);
				return -1;
			}
			use[nuse++] = x;
		}
	} else
		for (i = 0; i < xs->nloops && nuse < 256; i++)
			use[nuse++] = (int)i;
#define ARGS(op, key, def) if (on[op] && (args[op] = arg_list(t, key, def, \
	sizeof(def) / sizeof(*def), err)) == NULL) goto out
	ARGS(XFORM_TILE, "tile", def_tile);
	ARGS(XFORM_UNROLL, "unroll", def_unroll);
	ARGS(XFORM_VEC, "vec", def_vec);
	ARGS(XFORM_ILEAVE, "ileave", def_ileave);
	ARGS(XFORM_JAM, "jam", def_jam);
	ARGS(XFORM_PAR, "threads", def_jam);
#undef ARGS
	if (on[XFORM_DIST])
		args[XFORM_DIST] = json_pack("[ii]", 0, 1);
	if (on[XFORM_ORDER] && read_orders(xs, json_object_get(t, "orders"),
	    err) != 0)
		goto out;
	json_decref(xs->knobs);
	json_decref(xs->constraints);
	xs->knobs = json_object();
	xs->constraints = json_array();
	for (i = 0; i < xs->nloops; i++) {
		for (k = 0; k < nuse && use[k] != (int)i; k++)
			;
		if (k == nuse)
			continue;
		for (op = 0; op < XFORM_ORDER; op++) {
			char name[256];

			if (!on[op] || (op == XFORM_JAM &&
			    xs->loops[i].nkids == 0))
				continue;
			snprintf(name, sizeof(name), "%s_%s", xform_opname[op],
			    xs->loops[i].name);
			json_object_set_new(xs->knobs, name,
			    json_deep_copy(args[op]));
		}
	}
	if (on[XFORM_ORDER]) {
		json_t *vals = json_array();

		for (i = 0; i < xs->norders; i++) {
			char *o = order_text(xs, xs->orders + i *
			    xs->nchain);

			json_array_append_new(vals, json_string(o));
			free(o);
		}
		json_object_set_new(xs->knobs, "order", vals);
	}
	/* One parallel loop at most: a nested one only adds overhead. */
	for (i = 0, k = 0; i < xs->nloops; i++)
		if (has_knob(xs, XFORM_PAR, i)) {
			buf_printf(&c, "%s(par_%s > 0)", k++ ? " + " : "",
			    xs->loops[i].name);
		}
	if (k > 1) {
		buf_adds(&c, " <= 1");
		json_array_append_new(xs->constraints, json_string(c.buf));
	}
	if (on[XFORM_ORDER])
		for (i = 0; i < xs->norders; i++)
			order_constraints(xs, xs->orders + i * xs->nchain);
	else
		order_constraints(xs, NULL);
	ret = 0;
out:
	for (op = 0; op < XFORM_NOPS; op++)
		json_decref(args[op]);
	free(c.buf);
	return ret;
}

/* ---- rendering ---- */

/* Reads an order's text ("ikj" or "i,k,j") into ord (xs->nchain loops,
 * a permutation of xs->chain); 0 or -1. */
static int
parse_order(const struct xform_src *xs, const char *s, size_t *ord)
{
	size_t p, q, n, m = xs->nchain;
	int comma = strchr(s, ',') != NULL, k;

	for (p = 0; p < m; p++) {
		n = comma ? strcspn(s, ",") : 1;
		if (*s == '\0' || (k = xform_loop_index(xs, s, n)) < 0)
			return -1;
		for (q = 0; q < m && xs->chain[q] != (size_t)k; q++)
			;
		if (q == m)
			return -1;
		for (q = 0; q < p; q++)
			if (ord[q] == (size_t)k)
				return -1;
		ord[p] = (size_t)k;
		s += n;
		if (comma && p + 1 < m && *s++ != ',')
			return -1;
	}
	return *s == '\0' ? 0 : -1;
}

static void
add_op(json_t *ops, const char *loop, int op, long arg)
{
	json_array_append_new(ops, json_pack("{s:s,s:s,s:I}", "loop", loop,
	    "op", xform_opname[op], "arg", (json_int_t)arg));
}

char *
xform_render(const struct xform_src *xs, const char *const *names,
    const char *const *values, size_t n, size_t *len, json_t **ops,
    struct ar_err *err)
{
	size_t nl = xs->nloops, i, s, at;
	long *arg = ecalloc(nl * XFORM_NOPS + 1, sizeof(*arg));
	size_t *ord = ecalloc(xs->nchain + 1, sizeof(*ord));
	int *par = ecalloc(nl, sizeof(int)), *perfect = ecalloc(nl,
	    sizeof(int)), *child = ecalloc(nl, sizeof(int));
	size_t *map = ecalloc(nl, sizeof(*map));
	int reorder = 0, op, k;
	struct ar_buf b = { 0 };
	json_t *o = json_array();
	const char *t = xs->text;

	for (i = 0; i < n; i++) {
		const char *us = strchr(names[i], '_');
		char *end;
		long v;

		if (strcmp(names[i], "order") == 0) {
			if (xs->nchain == 0 || parse_order(xs, values[i],
			    ord) != 0) {
				ar_errf(err, "'%s': not an order of the loops "
				    "of the nest '%s' marks", values[i],
				    xs->name);
				goto fail;
			}
			reorder = memcmp(ord, xs->chain, xs->nchain *
			    sizeof(*ord)) != 0;
			continue;
		}
		for (op = 0; us != NULL && op < XFORM_ORDER; op++)
			if (strlen(xform_opname[op]) == (size_t)(us -
			    names[i]) && strncmp(names[i], xform_opname[op],
			    (size_t)(us - names[i])) == 0)
				break;
		if (us == NULL || op == XFORM_ORDER || (k = xform_loop_index(
		    xs, us + 1, strlen(us + 1))) < 0) {
			ar_errf(err, "knob '%s': no transformation of a loop "
			    "'%s' marks", names[i], xs->name);
			goto fail;
		}
		errno = 0;
		v = strtol(values[i], &end, 10);
		if (errno != 0 || end == values[i] || *end != '\0' || v < 0 ||
		    v > XFORM_ARGMAX) {
			ar_errf(err, "knob '%s': '%s' is not a whole number "
			    "from 0 to %d", names[i], values[i],
			    XFORM_ARGMAX);
			goto fail;
		}
		arg[(size_t)k * XFORM_NOPS + (size_t)op] = v;
	}
	for (s = 0; s < nl; s++)
		map[s] = s;
	if (reorder)
		for (i = 0; i < xs->nchain; i++)
			map[xs->chain[i]] = ord[i];
	effective(xs, reorder ? ord : NULL, par, perfect, child);
#define ARG(l, op) arg[(size_t)(l) * XFORM_NOPS + (op)]
	for (at = 0, s = 0; s < nl; s++) {
		const struct xform_loop *slot = &xs->loops[s];
		size_t l = map[s];
		const struct xform_loop *lp = &xs->loops[l];
		const char *in = slot->indent;
		int c;

		buf_add(&b, t + at, slot->mark - at);
		if (ARG(l, XFORM_PAR) > 0)
			buf_printf(&b, "%s#pragma omp parallel for "
			    "num_threads(%ld)\n", in, ARG(l, XFORM_PAR));
		if (ARG(l, XFORM_TILE) > 0 && !(perfect[l] && par[l] >= 0 &&
		    ARG(par[l], XFORM_TILE) > 0)) {
			buf_printf(&b, "%s#pragma omp tile sizes(%ld", in,
			    ARG(l, XFORM_TILE));
			for (c = child[l]; c >= 0 && ARG(c, XFORM_TILE) > 0;
			    c = child[c])
				buf_printf(&b, ",%ld", ARG(c, XFORM_TILE));
			buf_adds(&b, ")\n");
		}
		if (ARG(l, XFORM_UNROLL) > 0)
			buf_printf(&b, "%s#pragma omp unroll partial(%ld)\n",
			    in, ARG(l, XFORM_UNROLL));
		if (ARG(l, XFORM_VEC) > 0 || ARG(l, XFORM_ILEAVE) > 0 ||
		    ARG(l, XFORM_DIST) > 0) {
			buf_printf(&b, "%s#pragma clang loop", in);
			if (ARG(l, XFORM_VEC) > 0)
				buf_printf(&b, " vectorize_width(%ld)",
				    ARG(l, XFORM_VEC));
			if (ARG(l, XFORM_ILEAVE) > 0)
				buf_printf(&b, " interleave_count(%ld)",
				    ARG(l, XFORM_ILEAVE));
			if (ARG(l, XFORM_DIST) > 0)
				buf_adds(&b, " distribute(enable)");
			buf_adds(&b, "\n");
		}
		if (ARG(l, XFORM_JAM) > 0)
			buf_printf(&b, "%s#pragma unroll_and_jam(%ld)\n", in,
			    ARG(l, XFORM_JAM));
		buf_add(&b, t + slot->mark_end, slot->head - slot->mark_end);
		buf_add(&b, t + lp->head, lp->head_end - lp->head);
		at = slot->head_end;
	}
	buf_add(&b, t + at, xs->len - at);
	for (i = 0; i < nl; i++)
		for (op = 0; op < XFORM_ORDER; op++)
			if (ARG(i, op) > 0)
				add_op(o, xs->loops[i].name, op, ARG(i, op));
#undef ARG
	if (reorder) {
		char *ot = order_text(xs, ord);

		json_array_append_new(o, json_pack("{s:s,s:s}", "op",
		    "order", "arg", ot));
		free(ot);
	}
	free(arg);
	free(ord);
	free(par);
	free(perfect);
	free(child);
	free(map);
	*len = b.len;
	if (ops != NULL)
		*ops = o;
	else
		json_decref(o);
	return b.buf != NULL ? b.buf : estrdup("");
fail:
	free(arg);
	free(ord);
	free(par);
	free(perfect);
	free(child);
	free(map);
	json_decref(o);
	return NULL;
}
