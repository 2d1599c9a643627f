/*
 * jscan: the one JSON scanner.  It validates JSON text and finds values
 * in it without building a tree, where handing the text to jansson would
 * cost too much: rec_peek's look at a line of a long history, and the
 * records of a Kernel Tuner cache file (ktcache).
 *
 * It reads RFC 8259 text in one of two modes:
 *   JSCAN_STRICT  as jansson reads it, so that the two never disagree: a
 *                 string's UTF-8 is checked and \u0000 and unpaired
 *                 surrogates are refused; a number must fit (a 64-bit
 *                 integer, a double that does not overflow).
 *   JSCAN_PYTHON  as Python's json module writes it: NaN, Infinity and
 *                 -Infinity are numbers; a string is checked for its
 *                 escapes and control characters only.
 *
 * A scan that fails says what is wrong (fail), where (at), and whether
 * the text ended before the value did (cut: a file still being written);
 * the caller words the message, so that each keeps its own.  The scanner
 * never allocates, prints or keeps anything: every span points into the
 * caller's text.
 */
#ifndef AR_JSCAN_H
#define AR_JSCAN_H

#include <stddef.h>

enum {
	JSCAN_STRICT = 1,
	JSCAN_PYTHON = 2
};

/* The deepest nesting a scanner can follow (its stack). */
#define JSCAN_MAXDEPTH	2048

enum jscan_fail {
	JSCAN_OK,
	JSCAN_E_END,		/* the text ends where a value or ',' is due */
	JSCAN_E_NOTOBJECT,	/* jscan_peek: the text is not an object */
	JSCAN_E_TRAILING,	/* jscan_peek: text after the object */
	JSCAN_E_DEEP,		/* nested deeper than maxdepth */
	JSCAN_E_KEY,		/* a key (or a string) is due, not this */
	JSCAN_E_DUPKEY,		/* jscan_peek: a key asked for, twice */
	JSCAN_E_COLON,		/* ':' is due */
	JSCAN_E_OBJECT_NEXT,	/* ',' or '}' is due */
	JSCAN_E_ARRAY_NEXT,	/* ',' or ']' is due */
	JSCAN_E_VALUE,		/* no value starts with this character */
	JSCAN_E_LITERAL,	/* not true, false or null (or NaN, Infinity) */
	JSCAN_E_NUMBER,		/* a '-' not followed by digits */
	JSCAN_E_DIGIT,		/* a fraction or exponent without digits */
	JSCAN_E_RANGE,		/* strict: a number out of jansson's range */
	JSCAN_E_UNTERMINATED,	/* a string runs to the end of the text */
	JSCAN_E_CONTROL,	/* a control character in a string */
	JSCAN_E_ESCAPE,		/* an escape JSON has not */
	JSCAN_E_UESCAPE,	/* a \u not followed by 4 hex digits */
	JSCAN_E_NUL,		/* strict: \u0000 */
	JSCAN_E_LOW_SURROGATE,	/* strict: a low surrogate alone */
	JSCAN_E_HIGH_SURROGATE,	/* strict: a high surrogate alone */
	JSCAN_E_UTF8		/* strict: bytes that are not UTF-8 */
};

struct jscan {
	const char *p, *end;	/* where the scan is; the end of the text */
	int flags;		/* JSCAN_STRICT or JSCAN_PYTHON */
	/*
	 * How deep jscan_skip follows a value: the value itself is at depth
	 * 0, an element of it at 1; deeper is JSCAN_E_DEEP.  At most
	 * JSCAN_MAXDEPTH - 1.
	 */
	int maxdepth;
	enum jscan_fail fail;	/* after a failure: what is wrong, */
	const char *at;		/* where (the start of a bad token), */
	int cut;		/* and whether the text ended first */
	size_t key;		/* JSCAN_E_DUPKEY: which key */
};

/* A scanner over text[0..len) in mode flags, at its start. */
void jscan_init(struct jscan *s, const char *text, size_t len, int flags,
    int maxdepth);

/*
 * The scanning steps.  Each returns 0 with s->p after what it read, or -1
 * with fail, at and cut set.  None skips white space before its token
 * unless it says so.
 */

/* Skips white space. */
static inline void
jscan_ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' ||
	    *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

/*
 * A string: its raw text between the quotes in *start and *len; *esc set
 * when it holds an escape.  JSCAN_E_KEY when none starts at s->p.
 */
int jscan_string(struct jscan *s, const char **start, size_t *len, int *esc);
/*
 * A number, its value into *d unless d is NULL (then only checked).  A
 * number that ends the text fails with JSCAN_E_END and cut: it may have
 * been cut short, and a value inside an object or array never ends it.
 */
int jscan_number(struct jscan *s, double *d);
/*
 * The end of the number whose text starts at p (RFC 8259, no more: its
 * range unchecked), or NULL when none starts there; *isint tells whether
 * it has neither fraction nor exponent.
 */
const char *jscan_number_end(const char *p, const char *end, int *isint);
/* White space, then any value, which it only checks. */
int jscan_skip(struct jscan *s);
/* Fails at at with f (cut: the text ended first); returns -1. */
int jscan_fail(struct jscan *s, const char *at, enum jscan_fail f, int cut);

/* Does a number start at s->p (or the text end there)? */
static inline int
jscan_number_next(const struct jscan *s)
{
	return s->p >= s->end || *s->p == '-' ||
	    (*s->p >= '0' && *s->p <= '9') ||
	    ((s->flags & JSCAN_PYTHON) && (*s->p == 'N' || *s->p == 'I'));
}

/* White space, then the character c; else fail with f. */
static inline int
jscan_expect(struct jscan *s, char c, enum jscan_fail f)
{
	jscan_ws(s);
	if (s->p >= s->end)
		return jscan_fail(s, s->p, JSCAN_E_END, 1);
	if (*s->p != c)
		return jscan_fail(s, s->p, f, 0);
	s->p++;
	return 0;
}

/*
 * After an element of an object or array that ends with close: white
 * space, then 1 when another element follows (its ',' read), 0 at close
 * (read), -1 on a failure.
 */
static inline int
jscan_next(struct jscan *s, char close)
{
	jscan_ws(s);
	if (s->p >= s->end)
		return jscan_fail(s, s->p, JSCAN_E_END, 1);
	if (*s->p == close) {
		s->p++;
		return 0;
	}
	if (*s->p != ',')
		return jscan_fail(s, s->p, close == '}' ? JSCAN_E_OBJECT_NEXT :
		    JSCAN_E_ARRAY_NEXT, 0);
	s->p++;
	return 1;
}

/*
 * p[0..n) as a number when it is a plain integer of at most 15 digits,
 * which a double holds exactly, read without strtod (the most common
 * numbers, and strtod would be most of the time a scan takes).  Returns
 * 1, or 0 for anything else.
 */
int jscan_small_int(const char *p, size_t n, double *d);

/*
 * rec_peek's look (rec.h): checks in mode s->flags that text[0..len) is
 * exactly one JSON object, surrounding white space allowed, nested at
 * most JSCAN_MAXDEPTH deep as jansson counts it (the object at 1), and
 * finds the top-level values of keys[0..nkeys): spans[i] is the raw text
 * of the value of keys[i] (a string with its quotes), or start NULL when
 * the key is absent.  A key asked for twice gets the same span twice.
 * Returns 0, or -1 with s's failure set.
 */
struct jscan_span {
	const char *start;
	size_t len;
};
int jscan_peek(struct jscan *s, const char *text, size_t len,
    const char *const *keys, size_t nkeys, struct jscan_span *spans);

/*
 * The string a span holds, unescaped into buf (cap bytes, NUL-terminated).
 * Returns its length, or -1 if the span is not a JSON string or does not
 * fit.
 */
long jscan_span_string(const struct jscan_span *sp, char *buf, size_t cap);

#endif
