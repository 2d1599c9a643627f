/*
 * jscan: the one JSON scanner (see jscan.h).
 *
 * Values are followed by a hand-written state machine rather than a
 * recursive descent: nesting costs a byte of a stack array instead of a
 * call frame, and the common path (compact JSON of short keys, strings
 * and numbers) is a handful of comparisons per byte.
 */
#include "jscan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "util.h"

typedef const unsigned char *ptr;

/* For the number path, which is most of the time a cache file takes. */
#define HOT	static inline __attribute__((always_inline))

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static ptr
skip_ws(ptr p, ptr end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	return p;
}

/* Fails at p with f; cut when p is the end of the text.  Returns NULL. */
static ptr
fail(struct jscan *s, ptr p, enum jscan_fail f, int cut)
{
	s->fail = f;
	s->at = (const char *)p;
	s->cut = cut;
	return NULL;
}

void
jscan_init(struct jscan *s, const char *text, size_t len, int flags,
    int maxdepth)
{
	memset(s, 0, sizeof(*s));
	s->p = text;
	s->end = text + len;
	s->flags = flags;
	s->maxdepth = maxdepth;
}

/* ---- strings ---- */

/* The value of 4 hex digits at p (end checked by the caller), or -1. */
static long
hex4(ptr p)
{
	long v = 0;
	int i, c;

	for (i = 0; i < 4; i++) {
		c = p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		v = v << 4 | c;
	}
	return v;
}

/*
 * Decodes the escape at p (p[0] is the backslash) into *cp.  Returns the
 * length of the escape (2, 6, or 12 for a surrogate pair), or 0 with *why
 * set.  \u0000 is refused: jansson refuses it (without JSON_ALLOW_NUL),
 * and a record must not be valid to one reader and not to the other.
 */
static size_t
unescape(ptr p, ptr end, long *cp, enum jscan_fail *why)
{
	long lo;

	if (end - p < 2) {
		*why = JSCAN_E_END;
		return 0;
	}
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
		*cp = p[1];
		return 2;
	case 'b':
		*cp = '\b';
		return 2;
	case 'f':
		*cp = '\f';
		return 2;
	case 'n':
		*cp = '\n';
		return 2;
	case 'r':
		*cp = '\r';
		return 2;
	case 't':
		*cp = '\t';
		return 2;
	case 'u':
		break;
	default:
		*why = JSCAN_E_ESCAPE;
		return 0;
	}
	if (end - p < 6 || (*cp = hex4(p + 2)) < 0) {
		*why = JSCAN_E_UESCAPE;
		return 0;
	}
	if (*cp == 0) {
		*why = JSCAN_E_NUL;
		return 0;
	}
	if (*cp >= 0xdc00 && *cp <= 0xdfff) {
		*why = JSCAN_E_LOW_SURROGATE;
		return 0;
	}
	if (*cp < 0xd800 || *cp > 0xdbff)
		return 6;
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
	    (lo = hex4(p + 8)) < 0xdc00 || lo > 0xdfff) {
		*why = JSCAN_E_HIGH_SURROGATE;
		return 0;
	}
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return 12;
}

static int
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * The escape at p in Python mode, which only checks its form: its
 * length, or 0 with s's failure set.
 */
static size_t
escape_form(struct jscan *s, ptr p)
{
	ptr end = (ptr)s->end;
	int k;

	if (p + 1 >= end) {
		fail(s, p, JSCAN_E_END, 1);
		return 0;
	}
	if (p[1] == 'u') {
		for (k = 2; k <= 5; k++) {
			if (p + k >= end) {
				fail(s, p, JSCAN_E_UESCAPE, 1);
				return 0;
			}
			if (!is_hex(p[k])) {
				fail(s, p, JSCAN_E_UESCAPE, 0);
				return 0;
			}
		}
		return 6;
	}
	if (p[1] == '\0' || strchr("\"\\/bfnrt", p[1]) == NULL) {
		fail(s, p, JSCAN_E_ESCAPE, 0);
		return 0;
	}
	return 2;
}

/* Eight bytes at once: a byte of every word a would be a. */
#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * Whether any of the 8 bytes of w may be special to a string (jsonw_str_
 * special: a quote, a backslash, a control character or a byte of
 * multibyte UTF-8).  Never says no for a word that holds one, which is
 * all it must do: a yes sends the byte loop over the word.  The zero-byte
 * tests are exact for the word as a whole (Mycroft's), and so is the one
 * for a byte below 0x20 with its n at most 0x80.
 */
static inline int
word_special(uint64_t w)
{
	uint64_t q = w ^ ('"' * ONES), b = w ^ ('\\' * ONES);

	return ((((q - ONES) & ~q) | ((b - ONES) & ~b) |
	    ((w - 0x20 * ONES) & ~w) | w) & HIGHS) != 0;
}

/*
 * The string whose opening quote is at p: returns its end (after the
 * closing quote), or NULL.  *esc tells whether it holds an escape.  The
 * plain bytes between the special ones, most of a history's text, are
 * passed over a word at a time.
 */
static ptr
str(struct jscan *s, ptr p, int *esc)
{
	ptr end = (ptr)s->end;
	enum jscan_fail why;
	uint64_t w;
	size_t n;
	long cp;

	*esc = 0;
	p++;
	for (;;) {
		while (end - p >= 8) {
			memcpy(&w, p, 8);
			if (word_special(w))
				break;
			p += 8;
		}
		while (p < end && !jsonw_str_special[*p])
			p++;
		if (p == end)
			return fail(s, p, JSCAN_E_UNTERMINATED, 1);
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			*esc = 1;
			if (!(s->flags & JSCAN_STRICT)) {
				if ((n = escape_form(s, p)) == 0)
					return NULL;
			} else if ((n = unescape(p, end, &cp, &why)) == 0)
				return fail(s, p, why, why == JSCAN_E_END);
		} else if (*p < 0x20)
			return fail(s, p, JSCAN_E_CONTROL, 0);
		else if (!(s->flags & JSCAN_STRICT))
			n = 1;
		else if ((n = jsonw_utf8_len(p, end)) == 0)
			return fail(s, p, JSCAN_E_UTF8, 0);
		p += n;
	}
}

int
jscan_string(struct jscan *s, const char **start, size_t *len, int *esc)
{
	ptr p = (ptr)s->p, q;

	if (p >= (ptr)s->end || *p != '"') {
		fail(s, p, JSCAN_E_KEY, p >= (ptr)s->end);
		return -1;
	}
	if ((q = str(s, p, esc)) == NULL)
		return -1;
	*start = (const char *)p + 1;
	*len = (size_t)(q - p) - 2;
	s->p = (const char *)q;
	return 0;
}

static size_t
put_utf8(char *o, long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

long
jscan_span_string(const struct jscan_span *sp, char *buf, size_t cap)
{
	ptr p, end;
	enum jscan_fail why;
	char u[4];
	size_t n = 0, m, k;
	long cp;

	if (sp == NULL || sp->start == NULL || sp->len < 2 ||
	    sp->start[0] != '"' || sp->start[sp->len - 1] != '"' || cap == 0)
		return -1;
	p = (ptr)sp->start + 1;
	end = (ptr)sp->start + sp->len - 1;
	while (p < end) {
		if (*p == '\\') {
			if ((k = unescape(p, end, &cp, &why)) == 0)
				return -1;
			m = put_utf8(u, cp);
			p += k;
		} else if (*p == '"' || *p < 0x20)
			return -1;
		else {
			u[0] = (char)*p++;
			m = 1;
		}
		if (n + m >= cap)
			return -1;
		memcpy(buf + n, u, m);
		n += m;
	}
	buf[n] = '\0';
	return (long)n;
}

/* ---- numbers and words ---- */

/* The word w (n bytes) at p: its end, or NULL. */
static ptr
word(struct jscan *s, ptr p, const char *w, size_t n)
{
	ptr end = (ptr)s->end;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p + i >= end)
			return fail(s, p, JSCAN_E_LITERAL, 1);
		if (p[i] != (unsigned char)w[i])
			return fail(s, p, JSCAN_E_LITERAL, 0);
	}
	return p + n;
}

/*
 * Whether the number text s[0..n) is in jansson's range: an integer that
 * strtoll can hold, or a real that does not overflow (underflow to zero
 * or a subnormal is accepted, as jansson accepts it).
 */
static int
number_in_range(const char *s, size_t n, int isint)
{
	char small[64], *t;
	int ok;

	t = n < sizeof(small) ? small : emalloc(n + 1);
	memcpy(t, s, n);
	t[n] = '\0';
	if (isint) {
		errno = 0;
		(void)strtoll(t, NULL, 10);
		ok = errno != ERANGE;
	} else
		ok = !isinf(strtod(t, NULL));
	if (t != small)
		free(t);
	return ok;
}

HOT int
small_int(const char *p, size_t n, double *d)
{
	const char *e = p + n;
	int neg = 0;
	int64_t v = 0;

	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	if (p == e || e - p > 15)
		return 0;
	for (; p < e; p++) {
		if (!is_digit(*p))
			return 0;
		v = v * 10 + (*p - '0');
	}
	*d = neg ? -(double)v : (double)v;
	return 1;
}

int
jscan_small_int(const char *p, size_t n, double *d)
{
	return small_int(p, n, d);
}

/*
 * The grammar of the number at p (RFC 8259): returns its end, or NULL
 * with *why and *cut set.  *isint tells whether it has neither fraction
 * nor exponent.  *big tells whether it might be out of the range jansson
 * accepts (a 64-bit integer; a double that does not overflow), in which
 * case only strtoll or strtod can say; small numbers, nearly all of them,
 * never pay for that call.
 */
HOT ptr
grammar(ptr p, ptr end, int *isint, int *big, enum jscan_fail *why,
    int *cut)
{
	ptr start = p, digits;
	long ndig, exp = 0;
	int eneg = 0;

	*isint = 1;
	if (p < end && *p == '-')
		p++;
	digits = p;
	if (p == end) {
		*why = p == start ? JSCAN_E_END : JSCAN_E_NUMBER;
		*cut = 1;
		return NULL;
	}
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9') {
		while (p < end && is_digit(*p))
			p++;
	} else {
		*why = p == start ? JSCAN_E_VALUE : JSCAN_E_NUMBER;
		*cut = 0;
		return NULL;
	}
	ndig = (long)(p - digits);
	if (p < end && *p == '.') {
		p++;
		if (p == end || !is_digit(*p)) {
			*why = JSCAN_E_DIGIT;
			*cut = p == end;
			return NULL;
		}
		while (p < end && is_digit(*p))
			p++;
		*isint = 0;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == end || !is_digit(*p)) {
			*why = JSCAN_E_DIGIT;
			*cut = p == end;
			return NULL;
		}
		for (; p < end && is_digit(*p); p++)
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		*isint = 0;
	}
	/*
	 * An integer of 18 digits always fits in 64 bits; a real below
	 * 10^(digits before the point + exponent) cannot overflow a double
	 * when that power is well under DBL_MAX's 10^308.
	 */
	if (*isint)
		*big = ndig >= 19;
	else
		*big = ndig + (eneg ? -exp : exp) >= 300;
	return p;
}

const char *
jscan_number_end(const char *p, const char *end, int *isint)
{
	enum jscan_fail why;
	int big, cut;

	return (const char *)grammar((ptr)p, (ptr)end, isint, &big, &why,
	    &cut);
}

/*
 * The number at p (in Python mode NaN, Infinity and -Infinity too), into
 * *d unless d is NULL: returns its end, or NULL.  In strict mode a number
 * must be in jansson's range.
 */
HOT ptr
num(struct jscan *s, ptr p, double *d)
{
	ptr start = p, end = (ptr)s->end;
	enum jscan_fail why;
	int isint, big, cut;
	char small[64], *copy;
	size_t n;

	if ((s->flags & JSCAN_PYTHON) && p < end && !is_digit(*p)) {
		if (*p == 'N') {
			if (d != NULL)
				*d = NAN;
			p = word(s, p, "NaN", 3);
			goto done;
		}
		if (p + 1 < end && *p == '-' && p[1] == 'I') {
			if (d != NULL)
				*d = -INFINITY;
			p = word(s, p + 1, "Infinity", 8);
			goto done;
		}
		if (*p == 'I') {
			if (d != NULL)
				*d = INFINITY;
			p = word(s, p, "Infinity", 8);
			goto done;
		}
	}
	if ((p = grammar(p, end, &isint, &big, &why, &cut)) == NULL)
		return fail(s, start, why, cut);
	n = (size_t)(p - start);
	if ((s->flags & JSCAN_STRICT) && big &&
	    !number_in_range((const char *)start, n, isint))
		return fail(s, start, JSCAN_E_RANGE, 0);
	if (d != NULL && !small_int((const char *)start, n, d)) {
		/* strtod alone would read more than JSON allows (0x1, inf). */
		copy = n < sizeof(small) ? small : emalloc(n + 1);
		memcpy(copy, start, n);
		copy[n] = '\0';
		*d = strtod(copy, NULL);
		if (copy != small)
			free(copy);
	}
done:
	/* A number that ends the text may have been cut short. */
	if (p != NULL && p >= end)
		return fail(s, p, JSCAN_E_END, 1);
	return p;
}

int
jscan_number(struct jscan *s, double *d)
{
	ptr p = num(s, (ptr)s->p, d);

	if (p == NULL)
		return -1;
	s->p = (const char *)p;
	return 0;
}

/* ---- values ---- */

/*
 * The value at p, nested at most s->maxdepth deep: returns its end, or
 * NULL.
 */
static ptr
skip(struct jscan *s, ptr p)
{
	unsigned char stack[JSCAN_MAXDEPTH];
	ptr end = (ptr)s->end;
	int depth = 0, esc;

value:
	if (p == end)
		return fail(s, p, JSCAN_E_END, 1);
	if (depth > s->maxdepth)
		return fail(s, p, JSCAN_E_DEEP, 0);
	switch (*p) {
	case '{':
		stack[depth++] = '}';
		p = skip_ws(p + 1, end);
		if (p < end && *p == '}') {
			p++;
			depth--;
			goto after;
		}
		goto key;
	case '[':
		stack[depth++] = ']';
		p = skip_ws(p + 1, end);
		if (p < end && *p == ']') {
			p++;
			depth--;
			goto after;
		}
		goto value;
	case '"':
		if ((p = str(s, p, &esc)) == NULL)
			return NULL;
		goto after;
	case 't':
		if ((p = word(s, p, "true", 4)) == NULL)
			return NULL;
		goto after;
	case 'f':
		if ((p = word(s, p, "false", 5)) == NULL)
			return NULL;
		goto after;
	case 'n':
		if ((p = word(s, p, "null", 4)) == NULL)
			return NULL;
		goto after;
	default:
		if ((p = num(s, p, NULL)) == NULL)
			return NULL;
		goto after;
	}

key:
	if (p == end || *p != '"')
		return fail(s, p, JSCAN_E_KEY, p == end);
	if ((p = str(s, p, &esc)) == NULL)
		return NULL;
	p = skip_ws(p, end);
	if (p == end || *p != ':')
		return fail(s, p, JSCAN_E_COLON, p == end);
	p = skip_ws(p + 1, end);
	goto value;

after:
	if (depth == 0)
		return p;
	p = skip_ws(p, end);
	if (p == end)
		return fail(s, p, JSCAN_E_END, 1);
	if (*p == ',') {
		p = skip_ws(p + 1, end);
		if (stack[depth - 1] == '}')
			goto key;
		goto value;
	}
	if (*p == stack[depth - 1]) {
		p++;
		depth--;
		goto after;
	}
	return fail(s, p, stack[depth - 1] == '}' ? JSCAN_E_OBJECT_NEXT :
	    JSCAN_E_ARRAY_NEXT, 0);
}

int
jscan_skip(struct jscan *s)
{
	ptr p;

	jscan_ws(s);
	if ((p = skip(s, (ptr)s->p)) == NULL)
		return -1;
	s->p = (const char *)p;
	return 0;
}

int
jscan_fail(struct jscan *s, const char *at, enum jscan_fail f, int cut)
{
	fail(s, (ptr)at, f, cut);
	return -1;
}

/* ---- jscan_peek ---- */

/*
 * Which of the keys asked for the top-level key s[0..n) is (s is the raw
 * text between the quotes): the index, or -1.
 */
static long
match_key(const char *s, size_t n, int esc, const char *const *keys,
    size_t nkeys)
{
	struct jscan_span sp;
	char small[256], *t;
	long len, found = -1;
	size_t i;

	if (!esc) {
		/* The key's text holds no NUL (str refused control bytes), so
		 * a key asked for that is shorter stops at its own. */
		for (i = 0; i < nkeys; i++) {
			const char *k = keys[i];
			size_t j;

			for (j = 0; j < n && k[j] == s[j]; j++)
				;
			if (j == n && k[n] == '\0')
				return (long)i;
		}
		return -1;
	}
	/* An escaped key ("\u0069d" is "id") is rare: unescape and compare. */
	sp.start = s - 1;
	sp.len = n + 2;
	t = n < sizeof(small) ? small : emalloc(n + 1);
	len = jscan_span_string(&sp, t, n + 1);
	for (i = 0; len >= 0 && i < nkeys; i++)
		if (strlen(keys[i]) == (size_t)len &&
		    memcmp(keys[i], t, (size_t)len) == 0) {
			found = (long)i;
			break;
		}
	if (t != small)
		free(t);
	return found;
}

int
jscan_peek(struct jscan *s, const char *text, size_t len,
    const char *const *keys, size_t nkeys, struct jscan_span *spans)
{
	ptr p, q, end, vstart;
	size_t i, j;
	long want;
	int esc;

	s->p = text;
	s->end = text + len;
	/* The object is at depth 1, its members' values at 2. */
	s->maxdepth = JSCAN_MAXDEPTH - 2;
	end = (ptr)s->end;
	for (i = 0; i < nkeys; i++) {
		spans[i].start = NULL;
		spans[i].len = 0;
	}
	p = skip_ws((ptr)text, end);
	if (p == end || *p != '{') {
		fail(s, p, JSCAN_E_NOTOBJECT, p == end);
		return -1;
	}
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		p++;
	else
		for (;;) {
			if (p == end || *p != '"') {
				fail(s, p, JSCAN_E_KEY, p == end);
				return -1;
			}
			q = p;
			if ((p = str(s, p, &esc)) == NULL)
				return -1;
			want = nkeys > 0 ? match_key((const char *)q + 1,
			    (size_t)(p - q) - 2, esc, keys, nkeys) : -1;
			if (want >= 0 && spans[want].start != NULL) {
				fail(s, q, JSCAN_E_DUPKEY, 0);
				s->key = (size_t)want;
				return -1;
			}
			p = skip_ws(p, end);
			if (p == end || *p != ':') {
				fail(s, p, JSCAN_E_COLON, p == end);
				return -1;
			}
			vstart = p = skip_ws(p + 1, end);
			if ((p = skip(s, p)) == NULL)
				return -1;
			if (want >= 0) {
				spans[want].start = (const char *)vstart;
				spans[want].len = (size_t)(p - vstart);
			}
			p = skip_ws(p, end);
			if (p == end) {
				fail(s, p, JSCAN_E_END, 1);
				return -1;
			}
			if (*p == '}') {
				p++;
				break;
			}
			if (*p != ',') {
				fail(s, p, JSCAN_E_OBJECT_NEXT, 0);
				return -1;
			}
			p = skip_ws(p + 1, end);
		}
	p = skip_ws(p, end);
	if (p != end) {
		fail(s, p, JSCAN_E_TRAILING, 0);
		return -1;
	}
	s->p = (const char *)p;
	/* A key asked for twice gets the same span twice. */
	for (i = 0; i < nkeys; i++)
		if (spans[i].start == NULL)
			for (j = 0; j < i; j++)
				if (strcmp(keys[i], keys[j]) == 0) {
					spans[i] = spans[j];
					break;
				}
	return 0;
}
