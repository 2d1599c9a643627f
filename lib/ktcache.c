/*
 * ktcache: the Kernel Tuner cache-file reader (see ktcache.h).
 *
 * The file is read whole into memory and scanned once by jscan, keeping
 * only what a look-up needs.  Building a jansson tree of a 16 MB cache
 * file takes about half a second; the scan takes a fraction of that.
 * The head (tune_params and the rest, a few hundred bytes before
 * "cache") is parsed by jansson, value by value.
 */
#include "ktcache.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "jscan.h"

/* How much of a file ktcache_params reads first to find the head. */
#define HEAD_BYTES	(64 * 1024)
/* JSON nesting deeper than this in a record is refused. */
#define MAX_DEPTH	64
/* A recorded time at least this large marks a configuration that could
 * not run (Schoonhoven et al.'s cache files: 1e20). */
#define INVALID_TIME	1e20

/* The fields whose sum (ms) is what an evaluation cost. */
#define COST_FIELD(name) { name, sizeof(name) - 1 }
static const struct {
	const char *name;
	size_t len;
} cost_fields[] = {
	COST_FIELD("compile_time"), COST_FIELD("benchmark_time"),
	COST_FIELD("framework_time"), COST_FIELD("verification_time"),
	COST_FIELD("strategy_time")
};

/* One of tune_params_keys. */
struct rkey {
	const char *name;	/* borrowed from params */
	size_t len;		/* strlen(name) */
	json_t *values;		/* the array, borrowed from params */
	size_t n;
	double *num;		/* value k as a number, for the numeric ones */
	unsigned char *isnum;
	uint64_t stride;
};

struct ktcache {
	char *path;
	char *text;		/* the file's text, for the records' times */
	char *device;
	json_t *params;		/* {name: [values]} in key order, owned */
	size_t nkeys;
	struct rkey *keys;

	struct ktcache_rec *recs;
	size_t nrecs, cap;
	size_t truncated;

	/* code -> record index + 1, open addressing; 0 is empty. */
	uint64_t *hcode;
	uint32_t *hidx;
	size_t hcap;

	/* Scratch for a record. */
	uint32_t *fidx;
	unsigned char *seen;
};


/* --- the scanner ------------------------------------------------------ */

/*
 * jscan in Python mode (Kernel Tuner writes its files with Python's json
 * module), and what is wrong that ktcache finds itself.
 */
struct scan {
	struct jscan j;
	const char *base;	/* the text, for line numbers */
	const char *what;	/* ktcache's own words for what is wrong */
	int content;		/* what is wrong is not the JSON but what it
				 * says */
};

/*
 * What jscan finds wrong, in this reader's words (the failures of strict
 * mode and of jscan_peek never happen here).
 */
static const char *const scan_why[] = {
	[JSCAN_OK] = "",
	[JSCAN_E_END] = "unexpected end of text",
	[JSCAN_E_NOTOBJECT] = "the file is not a JSON object",
	[JSCAN_E_TRAILING] = "text after the end of the object",
	[JSCAN_E_DEEP] = "nested too deeply",
	[JSCAN_E_KEY] = "expected a string",
	[JSCAN_E_DUPKEY] = "a key twice",
	[JSCAN_E_COLON] = "expected ':'",
	[JSCAN_E_OBJECT_NEXT] = "expected ',' or '}'",
	[JSCAN_E_ARRAY_NEXT] = "expected ',' or ']'",
	[JSCAN_E_VALUE] = "expected a value",
	[JSCAN_E_LITERAL] = "unexpected character",
	[JSCAN_E_NUMBER] = "expected a value",
	[JSCAN_E_DIGIT] = "expected a digit",
	[JSCAN_E_RANGE] = "a number out of range",
	[JSCAN_E_UNTERMINATED] = "unexpected end of text",
	[JSCAN_E_CONTROL] = "a control character in a string",
	[JSCAN_E_ESCAPE] = "a bad escape in a string",
	[JSCAN_E_UESCAPE] = "a bad \\u escape",
	[JSCAN_E_NUL] = "a bad \\u escape",
	[JSCAN_E_LOW_SURROGATE] = "a bad \\u escape",
	[JSCAN_E_HIGH_SURROGATE] = "a bad \\u escape",
	[JSCAN_E_UTF8] = "bytes that are not UTF-8"
};

/* A scanner over p[0..end) of the text base. */
static void
scan_init(struct scan *s, const char *base, const char *p, const char *end)
{
	memset(s, 0, sizeof(*s));
	jscan_init(&s->j, p, (size_t)(end - p), JSCAN_PYTHON, MAX_DEPTH);
	s->base = base;
}

static int
bad(struct scan *s, const char *what)
{
	s->what = what;
	s->j.at = s->j.p;
	s->j.cut = 0;
	return -1;
}

/* Valid JSON, but not what a cache file holds there. */
static int
wrong(struct scan *s, const char *what)
{
	s->content = 1;
	return bad(s, what);
}

static int
cut(struct scan *s)
{
	s->j.cut = 1;
	s->j.p = s->j.at = s->j.end;
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Expects an object or array to open with c, where the file's format
 * says there is one. */
static int
expect_open(struct scan *s, char c, const char *what)
{
	jscan_ws(&s->j);
	if (s->j.p >= s->j.end)
		return cut(s);
	if (*s->j.p != c)
		return wrong(s, what);
	s->j.p++;
	return 0;
}

/* "PATH:LINE: invalid JSON: what" for a scanner that stopped. */
static void
scan_error(const struct scan *s, const char *path, struct ar_err *err)
{
	const char *p;
	size_t line = 1;

	for (p = s->base; p < s->j.at && p < s->j.end; p++)
		line += *p == '\n';
	ar_errf(err, "%s:%zu: %s%s", path, line, s->content ? "" :
	    "not valid JSON: ", s->what != NULL ? s->what :
	    scan_why[s->j.fail]);
}

static int
span_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(p, word, n) == 0;
}

/* span_is for a literal word, without strlen. */
#define SPAN_IS(p, n, lit) \
	((n) == sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* --- reading ---------------------------------------------------------- */

/*
 * The file's bytes (uncompressed when it is gzip), NUL-terminated: all of
 * them, or about max when max is not 0.  *all says whether the end was
 * reached.
 */
static char *
read_text(const char *path, size_t max, size_t *len, int *all,
    struct ar_err *err)
{
	gzFile g;
	size_t n = 0, cap = max ? max : 1 << 20;
	char *buf;
	int got, errnum;
	const char *msg;

	errno = 0;
	if ((g = gzopen(path, "rb")) == NULL) {
		ar_errf(err, "cannot open '%s': %s", path,
		    errno ? strerror(errno) : "out of memory");
		return NULL;
	}
	gzbuffer(g, 1 << 17);
	buf = emalloc(cap + 1);
	*all = 0;
	for (;;) {
		if (max && n >= max)
			break;
		if (n == cap) {
			cap *= 2;
			buf = erealloc(buf, cap + 1);
		}
		got = gzread(g, buf + n, (unsigned)(cap - n > INT_MAX ?
		    INT_MAX : cap - n));
		msg = gzerror(g, &errnum);
		if (got < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
			if (errnum == Z_ERRNO)
				ar_errf(err, "%s: cannot read: %s", path,
				    strerror(errno));
			else {
				/* zlib's message starts with the path. */
				if (strncmp(msg, path, strlen(path)) == 0 &&
				    strncmp(msg + strlen(path), ": ", 2) == 0)
					msg += strlen(path) + 2;
				ar_errf(err, "%s: damaged gzip data: %s", path,
				    msg);
			}
			free(buf);
			gzclose(g);
			return NULL;
		}
		if (got == 0) {
			*all = 1;
			break;
		}
		n += (size_t)got;
	}
	gzclose(g);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* --- the head ---------------------------------------------------------- */

struct head {
	json_t *keys, *params, *device;
	int cache_seen;
	const char *cache;	/* where the cache's value starts */
};

static void
head_release(struct head *h)
{
	json_decref(h->keys);
	json_decref(h->params);
	json_decref(h->device);
	memset(h, 0, sizeof(*h));
}

/*
 * After a member's value: 1 when another member follows, 0 at the end of
 * the object (and of the text), -1 with the scanner's state set.
 */
static int
after_member(struct scan *s)
{
	int rc = jscan_next(&s->j, '}');

	if (rc != 0)
		return rc;
	jscan_ws(&s->j);
	if (s->j.p < s->j.end)
		return bad(s, "text after the end of the object");
	return 0;
}

/*
 * The members of the top-level object from the next key on, keeping the
 * head's values.  With stop set it stops at "cache" once the head is
 * complete, the scanner at the cache's value; else (or when the head is
 * not complete there) it skips the cache, noting where it starts.
 * Returns 0, or -1 with the scanner's state set.
 */
static int
scan_members(struct scan *s, struct head *h, int stop)
{
	const char *k, *v;
	size_t klen;
	int esc, rc;
	json_t **slot;

	do {
		jscan_ws(&s->j);
		if (jscan_string(&s->j, &k, &klen, &esc) != 0 ||
		    jscan_expect(&s->j, ':', JSCAN_E_COLON) != 0)
			return -1;
		jscan_ws(&s->j);
		slot = NULL;
		if (span_is(k, klen, "tune_params_keys"))
			slot = &h->keys;
		else if (span_is(k, klen, "tune_params"))
			slot = &h->params;
		else if (span_is(k, klen, "device_name"))
			slot = &h->device;
		else if (span_is(k, klen, "cache")) {
			h->cache_seen = 1;
			h->cache = s->j.p;
			if (stop && h->keys != NULL && h->params != NULL)
				return 0;
		}
		v = s->j.p;
		if (jscan_skip(&s->j) != 0)
			return -1;
		if (slot != NULL) {
			json_decref(*slot);
			*slot = json_loadb(v, (size_t)(s->j.p - v),
			    JSON_DECODE_ANY, NULL);
			if (*slot == NULL)
				return bad(s, "a value jansson cannot read");
		}
	} while ((rc = after_member(s)) == 1);
	return rc;
}

/* The top-level object, as scan_members says. */
static int
scan_head(struct scan *s, struct head *h, int stop)
{
	jscan_ws(&s->j);
	if (s->j.p >= s->j.end)
		return cut(s);
	if (*s->j.p != '{')
		return bad(s, "the file is not a JSON object");
	s->j.p++;
	jscan_ws(&s->j);
	if (s->j.p < s->j.end && *s->j.p == '}') {
		s->j.p++;
		jscan_ws(&s->j);
		return s->j.p < s->j.end ? bad(s, "text after the end of the "
		    "object") : 0;
	}
	return scan_members(s, h, stop);
}

static int
scalar(json_t *v)
{
	return json_is_number(v) || json_is_string(v) || json_is_boolean(v);
}

/* The params object from the head, in key order; NULL with err set. */
static json_t *
head_params(const struct head *h, const char *path, struct ar_err *err)
{
	json_t *params, *k, *vals, *v;
	size_t i, j;
	const char *name;

	if (h->keys == NULL || h->params == NULL) {
		ar_errf(err, "%s: not a Kernel Tuner cache file (no \"%s\")",
		    path, h->keys == NULL ? "tune_params_keys" :
		    "tune_params");
		return NULL;
	}
	if (!json_is_array(h->keys) || json_array_size(h->keys) == 0 ||
	    !json_is_object(h->params)) {
		ar_errf(err, "%s: not a Kernel Tuner cache file (\"%s\" is "
		    "not %s)", path, json_is_object(h->params) ?
		    "tune_params_keys" : "tune_params",
		    json_is_object(h->params) ? "a list of names" :
		    "an object");
		return NULL;
	}
	params = json_object();
	json_array_foreach(h->keys, i, k) {
		if (!json_is_string(k)) {
			ar_errf(err, "%s: \"tune_params_keys[%zu]\" is not a "
			    "name", path, i);
			json_decref(params);
			return NULL;
		}
		name = json_string_value(k);
		vals = json_object_get(h->params, name);
		if (!json_is_array(vals) || json_array_size(vals) == 0) {
			ar_errf(err, "%s: \"tune_params.%s\" %s", path, name,
			    vals == NULL ? "is missing (it is one of "
			    "tune_params_keys)" : "is not a list of values");
			json_decref(params);
			return NULL;
		}
		json_array_foreach(vals, j, v)
			if (!scalar(v)) {
				ar_errf(err, "%s: \"tune_params.%s[%zu]\" is "
				    "not a number, a string or a boolean",
				    path, name, j);
				json_decref(params);
				return NULL;
			}
		if (json_object_get(params, name) != NULL) {
			ar_errf(err, "%s: \"tune_params_keys\" names '%s' "
			    "twice", path, name);
			json_decref(params);
			return NULL;
		}
		json_object_set(params, name, vals);
	}
	if (json_object_size(params) != json_object_size(h->params)) {
		json_object_foreach(h->params, name, v)
			if (json_object_get(params, name) == NULL)
				break;
		ar_errf(err, "%s: \"tune_params.%s\" is not one of "
		    "tune_params_keys", path, name);
		json_decref(params);
		return NULL;
	}
	return params;
}

/*
 * Reads the head of path: from its first bytes, reading more only when
 * the head does not fit in them.  Returns 0, or -1 with err set.
 */
static int
read_head(const char *path, struct head *h, struct ar_err *err)
{
	size_t max = HEAD_BYTES, len;
	struct scan s;
	char *text;
	int all, rc;

	for (;;) {
		if ((text = read_text(path, max, &len, &all, err)) == NULL)
			return -1;
		scan_init(&s, text, text, text + len);
		head_release(h);
		rc = scan_head(&s, h, 1);
		if (rc == 0 || !s.j.cut || all)
			break;
		free(text);
		max *= 16;
	}
	if (rc != 0 && !s.j.cut) {
		scan_error(&s, path, err);
		free(text);
		return -1;
	}
	free(text);
	if (h->keys == NULL || h->params == NULL) {
		ar_errf(err, "%s: not a Kernel Tuner cache file (no \"%s\"%s)",
		    path, h->keys == NULL ? "tune_params_keys" : "tune_params",
		    s.j.cut ? " before the file is cut off" : "");
		return -1;
	}
	return 0;
}

json_t *
ktcache_params(const char *path, struct ar_err *err)
{
	struct head h;
	json_t *p;

	memset(&h, 0, sizeof(h));
	if (read_head(path, &h, err) != 0) {
		head_release(&h);
		return NULL;
	}
	p = head_params(&h, path, err);
	head_release(&h);
	return p;
}

/* --- the records ------------------------------------------------------- */

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The record index + 1 of code, or 0. */
static uint32_t
find(const struct ktcache *r, uint64_t code)
{
	size_t i;

	if (r->hcap == 0)
		return 0;
	for (i = mix(code) & (r->hcap - 1); r->hidx[i] != 0;
	    i = (i + 1) & (r->hcap - 1))
		if (r->hcode[i] == code)
			return r->hidx[i];
	return 0;
}

static void
insert(struct ktcache *r, uint64_t code, uint32_t idx1)
{
	size_t i;

	for (i = mix(code) & (r->hcap - 1); r->hidx[i] != 0;
	    i = (i + 1) & (r->hcap - 1))
		;
	r->hcode[i] = code;
	r->hidx[i] = idx1;
}

static void
grow_table(struct ktcache *r)
{
	uint64_t *oc = r->hcode;
	uint32_t *oi = r->hidx;
	size_t ocap = r->hcap, i;

	r->hcap = ocap ? 2 * ocap : 1024;
	r->hcode = ecalloc(r->hcap, sizeof(*r->hcode));
	r->hidx = ecalloc(r->hcap, sizeof(*r->hidx));
	for (i = 0; i < ocap; i++)
		if (oi[i] != 0)
			insert(r, oc[i], oi[i]);
	free(oc);
	free(oi);
}

/* The keys from the params object; strides of the mixed-radix code. */
static int
set_keys(struct ktcache *r, struct ar_err *err)
{
	const char *name;
	json_t *vals, *v;
	size_t i = 0, k;
	uint64_t stride = 1;

	r->nkeys = json_object_size(r->params);
	r->keys = ecalloc(r->nkeys, sizeof(*r->keys));
	json_object_foreach(r->params, name, vals) {
		struct rkey *key = &r->keys[i++];

		key->name = name;
		key->len = strlen(name);
		key->values = vals;
		key->n = json_array_size(vals);
		key->num = ecalloc(key->n, sizeof(*key->num));
		key->isnum = ecalloc(key->n, sizeof(*key->isnum));
		json_array_foreach(vals, k, v)
			if (json_is_number(v)) {
				key->isnum[k] = 1;
				key->num[k] = json_number_value(v);
			}
		key->stride = stride;
		if (stride > UINT64_MAX / 4 / key->n) {
			ar_errf(err, "%s: too many combinations of "
			    "tune_params to index", r->path);
			return -1;
		}
		stride *= key->n;
	}
	r->fidx = ecalloc(r->nkeys, sizeof(*r->fidx));
	r->seen = ecalloc(r->nkeys, 1);
	return 0;
}

/*
 * Does the key's text part p[0..n) spell value k of key?  isnum says
 * whether the part is a number, d which.
 */
static int
part_is(const struct rkey *key, size_t k, const char *p, size_t n,
    int isnum, double d)
{
	json_t *v;

	if (key->isnum[k])
		return isnum && d == key->num[k];
	v = json_array_get(key->values, k);
	if (json_is_string(v))
		return span_is(p, n, json_string_value(v));
	/* Python spells booleans True and False. */
	return span_is(p, n, json_is_true(v) ? "True" : "False") ||
	    span_is(p, n, json_is_true(v) ? "true" : "false");
}

/* A key's part as a number (Python's str() of an int or a float). */
static int
part_number(const char *p, size_t n, double *d)
{
	char buf[64], *end;

	if (jscan_small_int(p, n, d))
		return 1;
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*d = strtod(buf, &end);
	return *end == '\0' && (is_digit(buf[0]) || buf[0] == '-' ||
	    buf[0] == '.');
}

/* Reads a cache key into r->fidx.  Returns 0, or -1 with err set. */
static int
read_key(struct ktcache *r, const char *key, size_t len, struct ar_err *err)
{
	const char *p = key, *q, *end = key + len;
	size_t j, k, parts = 1;
	double d = 0;
	int isnum;

	for (q = key; q < end; q++)
		parts += *q == ',';
	if (parts != r->nkeys) {
		ar_errf(err, "%s: record \"%.*s\": its key has %zu values, "
		    "not one for each of the %zu tune_params_keys", r->path,
		    (int)len, key, parts, r->nkeys);
		return -1;
	}
	for (j = 0; j < r->nkeys; j++, p = q + 1) {
		const struct rkey *rk = &r->keys[j];

		for (q = p; q < end && *q != ','; q++)
			;
		isnum = part_number(p, (size_t)(q - p), &d);
		for (k = 0; k < rk->n; k++)
			if (part_is(rk, k, p, (size_t)(q - p), isnum, d))
				break;
		if (k == rk->n) {
			ar_errf(err, "%s: record \"%.*s\": '%.*s' is not a "
			    "value of \"%s\" in tune_params", r->path,
			    (int)len, key, (int)(q - p), p, rk->name);
			return -1;
		}
		r->fidx[j] = (uint32_t)k;
	}
	return 0;
}

static int
values_equal(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

/*
 * A record's field that is a parameter: its value must be the one its
 * key gives.  Returns 0, or -1 with err or the scanner's state set.
 */
static int
check_param(struct ktcache *r, struct scan *s, size_t j, const char *key,
    size_t klen, struct ar_err *err)
{
	const struct rkey *rk = &r->keys[j];
	json_t *want = json_array_get(rk->values, r->fidx[j]), *got;
	const char *v;
	double d;
	int same;

	jscan_ws(&s->j);
	v = s->j.p;
	if (s->j.p < s->j.end && (*s->j.p == '-' || is_digit(*s->j.p))) {
		if (jscan_number(&s->j, &d) != 0)
			return -1;
		same = rk->isnum[r->fidx[j]] && d == rk->num[r->fidx[j]];
	} else {
		if (jscan_skip(&s->j) != 0)
			return -1;
		got = json_loadb(v, (size_t)(s->j.p - v), JSON_DECODE_ANY, NULL);
		same = got != NULL && values_equal(got, want);
		json_decref(got);
	}
	if (!same) {
		ar_errf(err, "%s: record \"%.*s\": \"%s\" is %.*s, not the "
		    "value its key gives", r->path, (int)klen, key, rk->name,
		    (int)(s->j.p - v), v);
		return -1;
	}
	r->seen[j] = 1;
	return 0;
}

/*
 * "times": an array of numbers (ms).  With t NULL it is only checked;
 * else the numbers go to *t (grown as needed, *cap its size) in seconds.
 * *nt is how many there are.
 */
static int
scan_times(struct scan *s, double **t, size_t *cap, size_t *nt)
{
	double d;
	int rc;

	*nt = 0;
	if (expect_open(s, '[', "\"times\" is not an array of numbers") != 0)
		return -1;
	jscan_ws(&s->j);
	if (s->j.p < s->j.end && *s->j.p == ']') {
		s->j.p++;
		return 0;
	}
	for (;;) {
		jscan_ws(&s->j);
		if (!jscan_number_next(&s->j))
			return wrong(s, "\"times\" holds something other "
			    "than numbers");
		if (jscan_number(&s->j, t != NULL ? &d : NULL) != 0)
			return -1;
		if (t != NULL) {
			if (*nt == *cap) {
				*cap = *cap ? 2 * *cap : 64;
				*t = ereallocarray(*t, *cap, sizeof(**t));
			}
			(*t)[*nt] = d / 1000;
		}
		++*nt;
		if ((rc = jscan_next(&s->j, ']')) <= 0)
			return rc;
	}
}

/*
 * A record's "time": a number (ms; *status KTCACHE_HUGE for the mark of a
 * configuration that could not run) or the name of a failure.  Returns 0,
 * or -1 with err or the scanner's state set.
 */
static int
scan_time(const struct ktcache *r, struct scan *s, const char *key,
    size_t klen, int *status, double *time, struct ar_err *err)
{
	const char *fs;
	size_t flen;
	int esc;

	if (s->j.p < s->j.end && *s->j.p == '"') {
		if (jscan_string(&s->j, &fs, &flen, &esc) != 0)
			return -1;
		if (SPAN_IS(fs, flen, "CompilationFailedConfig"))
			*status = KTCACHE_COMPILE;
		else if (SPAN_IS(fs, flen, "RuntimeFailedConfig"))
			*status = KTCACHE_CRASH;
		else if (SPAN_IS(fs, flen, "InvalidConfig"))
			*status = KTCACHE_INVALID;
		else {
			ar_errf(err, "%s: record \"%.*s\": \"time\" is "
			    "\"%.*s\", neither a number nor a failure Kernel "
			    "Tuner writes", r->path, (int)klen, key,
			    (int)flen, fs);
			return -1;
		}
		return 0;
	}
	if (!jscan_number_next(&s->j)) {
		ar_errf(err, "%s: record \"%.*s\": \"time\" is neither a "
		    "number nor a string", r->path, (int)klen, key);
		return -1;
	}
	if (jscan_number(&s->j, time) != 0)
		return -1;
	if (isnan(*time) || *time >= INVALID_TIME)
		*status = KTCACHE_HUGE;
	else if (*time < 0) {
		ar_errf(err, "%s: record \"%.*s\": \"time\" is negative",
		    r->path, (int)klen, key);
		return -1;
	}
	return 0;
}

/*
 * One record, after its key: kept only once its closing brace is read.
 * Returns 0, or -1 with err set (bad content) or the scanner's state set
 * (bad JSON, or the end of the text).
 */
static int
scan_record(struct ktcache *r, struct scan *s, const char *key, size_t klen,
    struct ar_err *err)
{
	const char *f, *ts = NULL, *tend = NULL;
	size_t flen, j, nt = 0, c;
	int esc, have_time = 0, status = KTCACHE_OK, rc;
	double time = 0, cost = 0, d;
	uint64_t code = 0;
	struct ktcache_rec *rec;

	if (read_key(r, key, klen, err) != 0)
		return -1;
	memset(r->seen, 0, r->nkeys);
	if (expect_open(s, '{', "a record is not an object") != 0)
		return -1;
	jscan_ws(&s->j);
	if (s->j.p < s->j.end && *s->j.p == '}')
		s->j.p++;
	else
		for (;;) {
			jscan_ws(&s->j);
			if (jscan_string(&s->j, &f, &flen, &esc) != 0 ||
			    jscan_expect(&s->j, ':', JSCAN_E_COLON) != 0)
				return -1;
			jscan_ws(&s->j);
			for (j = 0; !esc && j < r->nkeys; j++)
				if (r->keys[j].len == flen && memcmp(f,
				    r->keys[j].name, flen) == 0)
					break;
			for (c = 0; !esc && c < sizeof(cost_fields) /
			    sizeof(cost_fields[0]); c++)
				if (cost_fields[c].len == flen && memcmp(f,
				    cost_fields[c].name, flen) == 0)
					break;
			if (!esc && j < r->nkeys) {
				if (check_param(r, s, j, key, klen, err) != 0)
					return -1;
			} else if (!esc && SPAN_IS(f, flen, "time")) {
				have_time = 1;
				if (scan_time(r, s, key, klen, &status, &time,
				    err) != 0)
					return -1;
			} else if (!esc && SPAN_IS(f, flen, "times")) {
				if (s->j.p < s->j.end && *s->j.p == 'n') {
					/* null: no times */
					if (jscan_skip(&s->j) != 0)
						return -1;
					ts = NULL;
				} else {
					ts = s->j.p;
					if (scan_times(s, NULL, NULL, &nt) != 0)
						return -1;
					tend = s->j.p;
				}
			} else if (!esc && c < sizeof(cost_fields) /
			    sizeof(cost_fields[0])) {
				if (s->j.p < s->j.end && *s->j.p == 'n') {
					if (jscan_skip(&s->j) != 0)
						return -1;
				} else {
					if (!jscan_number_next(&s->j)) {
						ar_errf(err, "%s: record "
						    "\"%.*s\": \"%s\" is not "
						    "a number", r->path,
						    (int)klen, key,
						    cost_fields[c].name);
						return -1;
					}
					if (jscan_number(&s->j, &d) != 0)
						return -1;
					if (isfinite(d) && d > 0)
						cost += d;
				}
			} else if (jscan_skip(&s->j) != 0)
				return -1;
			if ((rc = jscan_next(&s->j, '}')) < 0)
				return -1;
			if (rc == 0)
				break;
		}

	for (j = 0; j < r->nkeys; j++)
		if (!r->seen[j]) {
			ar_errf(err, "%s: record \"%.*s\": parameter \"%s\" is "
			    "missing", r->path, (int)klen, key,
			    r->keys[j].name);
			return -1;
		}
	if (!have_time) {
		ar_errf(err, "%s: record \"%.*s\": no \"time\"", r->path,
		    (int)klen, key);
		return -1;
	}
	for (j = 0; j < r->nkeys; j++)
		code += r->fidx[j] * r->keys[j].stride;
	if (find(r, code) != 0) {
		ar_errf(err, "%s: record \"%.*s\": a second record of the same "
		    "configuration", r->path, (int)klen, key);
		return -1;
	}
	if (r->nrecs == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->recs = ereallocarray(r->recs, r->cap, sizeof(*r->recs));
	}
	if (r->nrecs >= UINT32_MAX - 1) {
		ar_errf(err, "%s: too many records", r->path);
		return -1;
	}
	rec = &r->recs[r->nrecs++];
	memset(rec, 0, sizeof(*rec));
	rec->code = code;
	rec->status = (unsigned char)status;
	rec->cost_s = cost / 1000;
	rec->time_s = status == KTCACHE_OK ? time / 1000 : NAN;
	/* A failure's times (a few pnpoly records have them) mean nothing. */
	if (status == KTCACHE_OK && ts != NULL && nt > 0) {
		if (tend - ts > UINT32_MAX) {
			ar_errf(err, "%s: record \"%.*s\": too many times",
			    r->path, (int)klen, key);
			return -1;
		}
		rec->times_off = (size_t)(ts - s->base);
		rec->times_len = (uint32_t)(tend - ts);
	}
	if (2 * r->nrecs > r->hcap)
		grow_table(r);
	insert(r, code, (uint32_t)r->nrecs);
	return 0;
}

/*
 * The cache object: records until its end, or until the text ends (a
 * file Kernel Tuner is still writing).  Returns 0, or -1 with err set,
 * or with the scanner's state set.
 */
static int
scan_cache(struct ktcache *r, struct scan *s, struct ar_err *err)
{
	const char *k;
	size_t klen;
	int esc, rc;
	json_t *dk;

	if (expect_open(s, '{', "\"cache\" is not an object") != 0)
		return -1;
	jscan_ws(&s->j);
	if (s->j.p < s->j.end && *s->j.p == '}') {
		s->j.p++;
		return 0;
	}
	for (;;) {
		jscan_ws(&s->j);
		if (jscan_string(&s->j, &k, &klen, &esc) != 0 ||
		    jscan_expect(&s->j, ':', JSCAN_E_COLON) != 0)
			return -1;
		if (esc) {
			/* Keys never need escapes; decode one anyway. */
			dk = json_loadb(k - 1, klen + 2, JSON_DECODE_ANY,
			    NULL);
			if (!json_is_string(dk)) {
				json_decref(dk);
				return bad(s, "a key jansson cannot read");
			}
			if (scan_record(r, s, json_string_value(dk),
			    json_string_length(dk), err) != 0) {
				json_decref(dk);
				return -1;
			}
			json_decref(dk);
		} else if (scan_record(r, s, k, klen, err) != 0)
			return -1;
		if ((rc = jscan_next(&s->j, '}')) <= 0)
			return rc;
	}
}

struct ktcache *
ktcache_load(const char *path, struct ar_err *err)
{
	struct ktcache *r = ecalloc(1, sizeof(*r));
	struct head h, rest;
	struct scan s, c;
	char *text;
	size_t len;
	int all, rc, in_place;

	memset(&h, 0, sizeof(h));
	memset(&rest, 0, sizeof(rest));
	r->path = estrdup(path);
	if ((text = read_text(path, 0, &len, &all, err)) == NULL)
		goto fail;
	scan_init(&s, text, text, text + len);
	rc = scan_head(&s, &h, 1);
	if (rc != 0 && !s.j.cut) {
		scan_error(&s, path, err);
		goto fail;
	}
	in_place = rc == 0 && h.cache_seen && s.j.p == h.cache;
	if (h.keys == NULL || h.params == NULL) {
		ar_errf(err, "%s: not a Kernel Tuner cache file (no \"%s\"%s)",
		    path, h.keys == NULL ? "tune_params_keys" : "tune_params",
		    s.j.cut ? " before the file is cut off" : "");
		goto fail;
	}
	if ((r->params = head_params(&h, path, err)) == NULL)
		goto fail;
	if (!h.cache_seen) {
		ar_errf(err, "%s: not a Kernel Tuner cache file (no \"cache\"%s)",
		    path, s.j.cut ? " before the file is cut off" : "");
		goto fail;
	}
	if (set_keys(r, err) != 0)
		goto fail;
	r->device = estrdup(json_is_string(h.device) ?
	    json_string_value(h.device) : "");

	/*
	 * The records, as far as the text goes.  Kernel Tuner writes the
	 * cache last, so the scan usually stopped at it and goes on after
	 * it; a cache before the head was skipped, and is read now.
	 */
	scan_init(&c, text, h.cache, text + len);
	err->msg[0] = '\0';
	if (scan_cache(r, &c, err) != 0) {
		if (err->msg[0] != '\0')
			goto fail;
		if (!c.j.cut) {
			scan_error(&c, path, err);
			goto fail;
		}
		if (r->nrecs == 0) {
			ar_errf(err, "%s: the file is cut off before its first "
			    "complete record", path);
			goto fail;
		}
		r->truncated = r->nrecs;
	} else if (in_place) {
		/* What follows the cache, to the end of the text. */
		if ((rc = after_member(&c)) == 1)
			rc = scan_members(&c, &rest, 0);
		if (rc != 0 && !c.j.cut) {
			scan_error(&c, path, err);
			goto fail;
		}
		/* The records are whole; the closing braces are missing. */
		if (rc != 0)
			r->truncated = r->nrecs;
	} else if (rc != 0)
		r->truncated = r->nrecs;
	head_release(&h);
	head_release(&rest);
	r->text = text;
	return r;
fail:
	head_release(&h);
	head_release(&rest);
	free(text);
	ktcache_free(r);
	return NULL;
}

void
ktcache_free(struct ktcache *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nkeys; i++) {
		free(r->keys[i].num);
		free(r->keys[i].isnum);
	}
	free(r->keys);
	json_decref(r->params);
	free(r->recs);
	free(r->hcode);
	free(r->hidx);
	free(r->fidx);
	free(r->seen);
	free(r->text);
	free(r->device);
	free(r->path);
	free(r);
}

const char *
ktcache_path(const struct ktcache *r)
{
	return r->path;
}

const char *
ktcache_device(const struct ktcache *r)
{
	return r->device;
}

json_t *
ktcache_params_of(const struct ktcache *r)
{
	return r->params;
}

size_t
ktcache_nrecords(const struct ktcache *r)
{
	return r->nrecs;
}

size_t
ktcache_truncated(const struct ktcache *r)
{
	return r->truncated;
}

size_t
ktcache_nkeys(const struct ktcache *r)
{
	return r->nkeys;
}

size_t
ktcache_key_size(const struct ktcache *r, size_t j)
{
	return r->keys[j].n;
}

uint64_t
ktcache_key_stride(const struct ktcache *r, size_t j)
{
	return r->keys[j].stride;
}

const struct ktcache_rec *
ktcache_rec(const struct ktcache *r, size_t i)
{
	return &r->recs[i];
}

const struct ktcache_rec *
ktcache_find(const struct ktcache *r, uint64_t code)
{
	uint32_t idx = find(r, code);

	return idx ? &r->recs[idx - 1] : NULL;
}

size_t
ktcache_times(const struct ktcache *r, const struct ktcache_rec *rec,
    double **t, size_t *cap)
{
	struct scan s;
	size_t nt;

	if (rec->times_len == 0)
		return 0;
	/* The span "[...]" was checked when the file was loaded. */
	scan_init(&s, r->text, r->text + rec->times_off,
	    r->text + rec->times_off + rec->times_len);
	if (scan_times(&s, t, cap, &nt) != 0)
		return 0;
	return nt;
}
