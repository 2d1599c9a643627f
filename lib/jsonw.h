/*
 * jsonw: JSON text as every stage writes it (records, model files,
 * summaries).  It is jansson's text byte for byte -- its compact form
 * (JSON_COMPACT) or its indented one (JSON_INDENT(n)), keys in their
 * order, strings escaped as jansson escapes them -- except for reals,
 * which are written as jsonw_fmt_real writes them: the shortest text that
 * reads back to the same double, where jansson writes 17 digits
 * (jansson 2.14 has only a process-wide JSON_REAL_PRECISION, and a
 * precision is not the shortest text anyway).
 *
 * Hashes and ids are computed from json_dumps's text and stay so: this is
 * for what people and later stages read.
 *
 * Ownership: both functions borrow v; jsonw_dumps returns a new string
 * the caller frees.
 */
#ifndef AR_JSONW_H
#define AR_JSONW_H

#include <jansson.h>

#include "util.h"

/*
 * Appends v (any JSON value) to b, compact when indent is 0, else
 * indented by that many spaces a level.  Returns 0, or -1 with b as it
 * was when v cannot be written as JSON (a string that is not UTF-8, a
 * nesting deeper than a reader accepts, which is also what a cycle
 * becomes).
 */
int jsonw_dump(struct ar_buf *b, const json_t *v, int indent);
/* The same text as a new NUL-terminated string, or NULL. */
char *jsonw_dumps(const json_t *v, int indent);

/*
 * Formats one real the way every stage writes it: the shortest text that
 * strtod reads back to the same double (%.17g only where 17 digits are
 * needed: 0.1 is "0.1", 3.8210000000000002 stays as it is), keeping a '.'
 * or an exponent so that it reads back as a real ("2.0"), with the
 * exponent as jansson writes it ("1e300", "1e-5").  NaN and infinities,
 * which JSON cannot hold, come out as printf writes them.  buf must hold
 * at least 32 bytes.
 */
void jsonw_fmt_real(double d, char *buf, size_t cap);
/*
 * The same digits as printf's %g writes them, without the JSON touches
 * ("2", "1e+300"): for numbers that go into messages and expressions.
 */
void jsonw_fmt_g(double d, char *buf, size_t cap);

/*
 * For JSON scanners and writers: jsonw_str_special[c] is 1 for the bytes
 * that cannot stand as they are inside a JSON string (the quote, the
 * backslash, control characters) and for the bytes of multibyte UTF-8,
 * which must be checked.  jsonw_utf8_len is the length of the well-formed
 * UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF; 1 for ASCII), or 0.
 */
extern const unsigned char jsonw_str_special[256];
size_t jsonw_utf8_len(const unsigned char *p, const unsigned char *end);

#endif
