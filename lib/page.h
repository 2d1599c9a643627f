/*
 * page: the HTML page of ar-report(1), one self-contained file: its
 * figures are SVG drawn by gnuplot (its svg terminal, run with an argument
 * vector and the script on its standard input, never through a shell)
 * and set inline, with every id gnuplot writes prefixed by the figure's
 * own so that they stay unique in the page.  No script, no stylesheet or
 * image from elsewhere: the page reads the same offline, in a mail, years
 * later.
 *
 * Every text from a history or a study that reaches the page is escaped
 * for HTML, and what reaches gnuplot is reduced to characters that its
 * single-quoted strings take literally (no backquote, no macro sign).
 */
#ifndef AR_PAGE_H
#define AR_PAGE_H

#include "importance.h"
#include "report.h"
#include "util.h"

struct page_opts {
	const char *gnuplot;	/* the program: a path, or a name on PATH */
	const char *variants;	/* the store a variant's file must lie in */
	/* The importance computed, or NULL with why saying why not. */
	const struct importance *imp;
	const char *imp_how;	/* "gp" or "data" */
	size_t imp_n;		/* ok records it was computed from */
	const char *why;
};

/*
 * Appends the page of r to out.  Returns 0, or -1 with err set when
 * gnuplot cannot be run or fails (its message in err).
 */
int page_write(struct ar_buf *out, const struct report *r,
    const struct page_opts *o, struct ar_err *err);

/* Appends s to out escaped for HTML text and attribute values. */
void page_escape(struct ar_buf *out, const char *s);

/* The objective's value as the page and the text print it: "1.234e-05",
 * "0.0123", "12.3"; "-" for NAN. */
void page_number(double v, char *buf, size_t cap);

#endif
