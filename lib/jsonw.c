/*
 * jsonw: jansson's JSON text with the shortest reals (see jsonw.h).
 *
 * The layout follows jansson 2.14's dump.c: "," and ":" between members
 * when compact; when indented, ": " after a key, and each member on a
 * line of its own, indented by its depth, the closing bracket under the
 * opening one's line; an empty object or array is "{}" or "[]".
 * tests/unit/test_jsonw.c checks the text against json_dumps's.
 */
#include "jsonw.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The deepest nesting written: jansson's JSON_PARSER_MAX_DEPTH, the most
 * any reader of the text accepts. */
#define JSONW_MAXDEPTH	2048

/* ---- numbers ---- */

/*
 * dig[0..17) rounded half up to n digits into out; returns the decimal
 * exponent, which a carry raises ("9.99..." to "1.00...").
 */
static int
round_digits(const char *dig, int exp, int n, char *out)
{
	int i;

	memcpy(out, dig, (size_t)n);
	if (dig[n] < '5')
		return exp;
	for (i = n - 1; i >= 0 && out[i] == '9'; i--)
		out[i] = '0';
	if (i >= 0)
		out[i]++;
	else {
		out[0] = '1';
		exp++;
	}
	return exp;
}

/*
 * Appends the exponent e as printf does (a sign, at least two digits), or
 * as jansson does when json is set ("1e300", "1e-5").
 */
static char *
put_exp(char *p, int e, int json)
{
	if (e < 0)
		*p++ = '-';
	else if (!json)
		*p++ = '+';
	if (e < 0)
		e = -e;
	if (e >= 100)
		*p++ = (char)('0' + e / 100);
	if (e >= 10 || !json)
		*p++ = (char)('0' + e / 10 % 10);
	*p++ = (char)('0' + e % 10);
	return p;
}

/* The exponent printf wrote at s: a sign and digits. */
static int
exp_of(const char *s)
{
	int neg = *s == '-', e = 0;

	for (s++; *s >= '0' && *s <= '9'; s++)
		e = e * 10 + (*s - '0');
	return neg ? -e : e;
}

/* Whether the n digits of dig times 10^exp, with the sign, read back as d. */
static int
reads_back(double d, const char *dig, int n, int exp)
{
	char s[40], *p = s;

	if (d < 0)
		*p++ = '-';
	*p++ = dig[0];
	*p++ = '.';
	memcpy(p, dig + 1, (size_t)n - 1);
	p += n - 1;
	*p++ = 'e';
	*put_exp(p, exp, 1) = '\0';
	return strtod(s, NULL) == d;
}

/*
 * Whether a text t units of the 17th digit away from dig reads back as d,
 * where h is half of d's ulp in those units: 1 yes, 0 no, -1 too near
 * the edge to tell (strtod must).  d lies within half a unit of dig, and
 * strtod gives d for any text strictly nearer to it than half an ulp.
 */
static int
near_enough(int t, double h)
{
	if (h < 0)
		return -1;
	if (t + 0.5 < h * (1 - 1e-9))
		return 1;
	if (t - 0.5 > h * (1 + 1e-9))
		return 0;
	return -1;
}

/*
 * Writes the n digits of dig times 10^exp as printf's %.{n}g writes them,
 * with jsonw_fmt_real's touches when json is set.
 */
static void
put_g(double d, const char *dig, int n, int exp, int json, char *buf,
    size_t cap)
{
	char s[48], *p = s;
	int k = n, i;
	size_t len;

	while (k > 1 && dig[k - 1] == '0')
		k--;
	if (d < 0)
		*p++ = '-';
	if (exp < -4 || exp >= n) {
		*p++ = dig[0];
		if (k > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)k - 1);
			p += k - 1;
		}
		*p++ = 'e';
		p = put_exp(p, exp, json);
	} else if (exp >= 0) {
		for (i = 0; i <= exp; i++)
			*p++ = i < k ? dig[i] : '0';
		if (k > exp + 1) {
			*p++ = '.';
			memcpy(p, dig + exp + 1, (size_t)(k - exp - 1));
			p += k - exp - 1;
		} else if (json) {
			*p++ = '.';
			*p++ = '0';
		}
	} else {
		*p++ = '0';
		*p++ = '.';
		for (i = -1; i > exp; i--)
			*p++ = '0';
		memcpy(p, dig, (size_t)k);
		p += k;
	}
	len = (size_t)(p - s) < cap ? (size_t)(p - s) : cap - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

/*
 * What makes printf's %g text jsonw_fmt_real's: a real keeps a '.' or an
 * exponent.
 */
static void
json_touches(char *buf, size_t cap)
{
	char *e, *digits, *q;
	size_t n = strlen(buf);

	/*
	 * "1" would read back as an integer; "inf" and "nan" cannot occur
	 * in a JSON value and are left alone.
	 */
	if (strpbrk(buf, ".eni") == NULL && n + 2 < cap)
		memcpy(buf + n, ".0", 3);
	/*
	 * Write the exponent as jansson does ("1e300", "1e-5", not
	 * "1e+300", "1e-05"), so that a number reads the same in the JSONL
	 * and the CSV form of a record.
	 */
	if ((e = strchr(buf, 'e')) != NULL) {
		q = e + 1;
		if (*q == '-')
			q++;
		digits = e + 1;
		while (*digits == '+' || *digits == '-')
			digits++;
		while (*digits == '0' && digits[1] != '\0')
			digits++;
		memmove(q, digits, strlen(digits) + 1);
	}
}

/*
 * The shortest text is the first of %.15g, %.16g and %.17g that reads
 * back: every decimal of at most DBL_DIG (15) significant digits survives
 * the trip through a normal double, so when d has a text that short,
 * %.15g writes it (%g drops the trailing zeros); otherwise 16 digits may
 * do, and 17 always do.  Subnormals carry fewer digits, so for them each
 * precision is tried from 1 ("5e-324", not "4.94065645841247e-324").
 * (At a power of two, where the doubles below lie twice as close as
 * those above, a 16-digit text above d can read back when the nearest
 * one, %.16g's, below d does not; 17 digits are written then, exact if
 * not the shortest.)
 *
 * Records are written in bulk and measured times need 16 or 17 digits,
 * so this asks printf for the 17 digits once and rounds them itself.
 * Rounding 17 digits again gives the correct 16 except when the 17th is
 * a 5 (the true rest may lie below one half); printf is asked again
 * then.  A 15-digit text that reads back lies within 11.1 units of the
 * 17th digit of d (half a unit in the last place is at most 2^-53 of d),
 * so its 16th and 17th digits are near 00 or 100: elsewhere it is not
 * tried, and there the double rounding cannot go wrong.  Whether a
 * candidate reads back is mostly plain from how far it lies from the 17
 * digits, against half an ulp (near_enough); strtod is asked only near
 * that edge, and at powers of two, where the ulp below is smaller.
 *
 * Like strtod in the CSV reader, this takes the C locale's decimal point
 * for granted: no stage calls setlocale.
 */
static void
fmt_shortest(double d, int json, char *buf, size_t cap)
{
	char s[32], dig[17], r[17];
	int prec, exp, e, tail, ok, i;
	uint64_t m17 = 0, bits, frac;
	double h;

	if (cap == 0)
		return;
	if (!isnormal(d)) {
		prec = isfinite(d) ? d == 0 ? 15 : 1 : 17;
		for (; prec < 17; prec++) {
			snprintf(buf, cap, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		if (prec == 17)
			snprintf(buf, cap, "%.17g", d);
		if (json)
			json_touches(buf, cap);
		return;
	}
	/* "d.dddddddddddddddde-XX": 17 digits and the exponent. */
	snprintf(s, sizeof(s), "%.16e", fabs(d));
	dig[0] = s[0];
	memcpy(dig + 1, s + 2, 16);
	exp = exp_of(s + 19);
	for (i = 0; i < 17; i++)
		m17 = m17 * 10 + (uint64_t)(dig[i] - '0');
	/*
	 * d = (1 + frac 2^-52) 2^ex: half an ulp is 2^(ex-53), and a unit
	 * of the 17th digit is about d / m17.
	 */
	memcpy(&bits, &d, sizeof(bits));
	frac = bits & 0xfffffffffffffULL;
	h = frac == 0 ? -1 : (double)m17 / ((1 + (double)frac *
	    0x1p-52) * 9007199254740992.0);
	tail = (dig[15] - '0') * 10 + (dig[16] - '0');
	if (tail <= 12 || tail >= 88) {
		e = round_digits(dig, exp, 15, r);
		if ((ok = near_enough(tail <= 12 ? tail : 100 - tail, h)) < 0)
			ok = reads_back(d, r, 15, e);
		if (ok) {
			put_g(d, r, 15, e, json, buf, cap);
			return;
		}
	}
	if (dig[16] != '5')
		e = round_digits(dig, exp, 16, r);
	else {
		snprintf(s, sizeof(s), "%.15e", fabs(d));
		r[0] = s[0];
		memcpy(r + 1, s + 2, 15);
		e = exp_of(s + 18);
	}
	tail = dig[16] - '0';
	if ((ok = near_enough(tail <= 5 ? tail : 10 - tail, h)) < 0)
		ok = reads_back(d, r, 16, e);
	if (ok) {
		put_g(d, r, 16, e, json, buf, cap);
		return;
	}
	put_g(d, dig, 17, exp, json, buf, cap);
}

void
jsonw_fmt_g(double d, char *buf, size_t cap)
{
	fmt_shortest(d, 0, buf, cap);
}

void
jsonw_fmt_real(double d, char *buf, size_t cap)
{
	fmt_shortest(d, 1, buf, cap);
}

/* ---- strings ---- */

/*
 * Bytes that end the fast loop through a string: the quote, the
 * backslash, control characters (which JSON forbids raw) and the bytes of
 * multibyte UTF-8 sequences (which are checked).  jsonw's writer stops at
 * the same bytes.
 */
const unsigned char jsonw_str_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

/*
 * jansson rejects the same sequences as jsonw_utf8_len, which keeps
 * rec_peek's verdict its verdict, and jsonw's writer refuses what jansson
 * would refuse to write.
 */
size_t
jsonw_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static int
put_string(struct ar_buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)str, *end = p + len,
	    *run;
	char esc[6] = { '\\', 'u', '0', '0' };
	size_t n;

	buf_grow(b, len + 2);
	b->buf[b->len++] = '"';
	for (;;) {
		run = p;
		while (p < end && !jsonw_str_special[*p])
			p++;
		if (p > run)
			buf_add(b, run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p >= 0x80) {
			if ((n = jsonw_utf8_len(p, end)) == 0)
				return -1;
			buf_add(b, p, n);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\b':
			buf_add(b, "\\b", 2);
			break;
		case '\f':
			buf_add(b, "\\f", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default:
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			buf_add(b, esc, 6);
			break;
		}
		p++;
	}
	buf_add(b, "\"", 1);
	return 0;
}

/* printf's %lld, without printf: records are mostly integers. */
static void
put_integer(struct ar_buf *b, json_int_t i)
{
	char tmp[24], *q = tmp + sizeof(tmp);
	uint64_t u = i < 0 ? -(uint64_t)i : (uint64_t)i;

	do
		*--q = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (i < 0)
		*--q = '-';
	buf_add(b, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* A line break and depth levels of indent spaces. */
static void
put_indent(struct ar_buf *b, int indent, int depth)
{
	size_t n = (size_t)indent * (size_t)depth;

	buf_grow(b, n + 1);
	b->buf[b->len++] = '\n';
	memset(b->buf + b->len, ' ', n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static int
put_value(struct ar_buf *b, const json_t *v, int indent, int depth)
{
	char num[32];
	const char *key;
	json_t *x;
	void *it;
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth >= JSONW_MAXDEPTH)
			return -1;
		buf_add(b, "{", 1);
		it = json_object_iter((json_t *)v);
		if (it != NULL && indent > 0)
			put_indent(b, indent, depth + 1);
		while (it != NULL) {
			key = json_object_iter_key(it);
			if (put_string(b, key, json_object_iter_key_len(it)))
				return -1;
			if (indent > 0)
				buf_add(b, ": ", 2);
			else
				buf_add(b, ":", 1);
			if (put_value(b, json_object_iter_value(it), indent,
			    depth + 1) != 0)
				return -1;
			it = json_object_iter_next((json_t *)v, it);
			if (it != NULL)
				buf_add(b, ",", 1);
			if (indent > 0)
				put_indent(b, indent, it != NULL ? depth + 1 :
				    depth);
		}
		buf_add(b, "}", 1);
		return 0;
	case JSON_ARRAY:
		if (depth >= JSONW_MAXDEPTH)
			return -1;
		buf_add(b, "[", 1);
		n = json_array_size(v);
		if (n > 0 && indent > 0)
			put_indent(b, indent, depth + 1);
		for (i = 0; i < n; i++) {
			x = json_array_get(v, i);
			if (put_value(b, x, indent, depth + 1) != 0)
				return -1;
			if (i + 1 < n)
				buf_add(b, ",", 1);
			if (indent > 0)
				put_indent(b, indent, i + 1 < n ? depth + 1 :
				    depth);
		}
		buf_add(b, "]", 1);
		return 0;
	case JSON_STRING:
		return put_string(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		put_integer(b, json_integer_value(v));
		return 0;
	case JSON_REAL:
		jsonw_fmt_real(json_real_value(v), num, sizeof(num));
		buf_adds(b, num);
		return 0;
	case JSON_TRUE:
		buf_add(b, "true", 4);
		return 0;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		return 0;
	case JSON_NULL:
		buf_add(b, "null", 4);
		return 0;
	}
	return -1;
}

int
jsonw_dump(struct ar_buf *b, const json_t *v, int indent)
{
	size_t mark = b->len;

	if (v == NULL || put_value(b, v, indent, 0) != 0) {
		b->len = mark;
		if (b->buf != NULL)
			b->buf[mark] = '\0';
		return -1;
	}
	return 0;
}

char *
jsonw_dumps(const json_t *v, int indent)
{
	struct ar_buf b = { 0 };

	if (jsonw_dump(&b, v, indent) != 0) {
		free(b.buf);
		return NULL;
	}
	if (b.buf == NULL)
		buf_add(&b, "", 0);
	return b.buf;
}
