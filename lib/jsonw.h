/*
 * jsonw: JSON text as every stage writes it (records, model files,
 * summaries).  It is jansson's text byte for byte -- its compact form
 * (JSON_COMPACT) or its indented one (JSON_INDENT(n)), keys in their
 * order, strings escaped as jansson escapes them -- except for reals,
 * which are written as rec_fmt_real writes them: the shortest text that
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

#endif
