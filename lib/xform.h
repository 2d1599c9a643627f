/*
 * xform: the loops a source marks, the transformation knobs made from
 * them, and the transformed source a configuration of the knobs renders.
 *
 * A source marks a loop with a line "#pragma ar loop NAME" right before
 * its "for" (blank lines may come between).  xform_scan finds the marks,
 * each loop's header "for (...)" and its statement, which marked loop
 * encloses which, and which are perfectly nested: the body of the outer
 * is exactly the inner loop, braces, blanks and comments aside.
 *
 * xform_menu reads a study's "transform" object (ar-study(5)) and makes
 * the knobs, named OP_LOOP, each a list of values with 0 (or the
 * source's order) first, meaning "not applied":
 *
 *	tile_L    #pragma omp tile sizes(...)   consecutive perfectly nested
 *		  tiled loops share one directive, sizes in nest order
 *	par_L     #pragma omp parallel for num_threads(N)
 *	unroll_L  #pragma omp unroll partial(N)
 *	vec_L     #pragma clang loop vectorize_width(N)
 *	ileave_L  #pragma clang loop interleave_count(N)
 *	dist_L    #pragma clang loop distribute(enable)   (values 0, 1)
 *	jam_L     #pragma unroll_and_jam(N)    (loops with a marked loop
 *		  nested in them only)
 *	order     the loops of one perfect nest in another order, from the
 *		  study's "orders"; values "ikj" (one-letter names) or "i,k,j"
 *
 * and the constraints that keep out what clang 14 refuses or crashes on
 * (omp tile on a loop enclosing an omp parallel for, omp unroll on a
 * loop of a tile that is not its last, more than one parallel loop).
 * What compiles but is wrong (a parallel loop that races, an order the
 * study calls legal that is not) is not kept out: verification finds it.
 *
 * A loop whose for does not declare its variable ("for (i = 0; ...)")
 * makes clang 14 crash when a parallel loop encloses an omp tile or
 * unroll of it; the menu keeps those apart in such a nest, so a source
 * does best to write "for (int i = 0; ...)".
 *
 * Ownership: xform_scan returns a struct the caller frees with
 * xform_free; everything in it belongs to it.  xform_render's text and
 * ops are the caller's.
 */
#ifndef AR_XFORM_H
#define AR_XFORM_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

struct xform_loop {
	char *name;
	size_t line;		/* the mark's line, 1-based */
	size_t mark;		/* offset of the mark line */
	size_t mark_end;	/* offset past the mark line's newline */
	size_t head, head_end;	/* the header "for (...)" */
	size_t end;		/* offset past the loop's statement */
	int parent;		/* the marked loop enclosing it, or -1 */
	int perfect;		/* the parent's body is exactly this loop */
	int child;		/* the loop perfectly nested in it, or -1 */
	int nkids;		/* marked loops directly inside it */
	int decl;		/* its for declares its variable */
	char *indent;		/* the mark line's leading blanks */
};

struct xform_src {
	char *name;		/* for messages: the source's path */
	char *text;
	size_t len;
	struct xform_loop *loops;	/* in source order */
	size_t nloops;

	/* Made by xform_menu: {"KNOB": [values]} in knob order, and the
	 * constraints (strings of the expression language). */
	json_t *knobs;
	json_t *constraints;
	/* The loops "order" permutes, outermost first, and the orders
	 * listed (the source's first), as loop indices, nchain each. */
	size_t *chain, nchain;
	size_t *orders, norders;
};

/* The transformations, in the order their directives are written. */
enum xform_op {
	XFORM_PAR, XFORM_TILE, XFORM_UNROLL, XFORM_VEC, XFORM_ILEAVE,
	XFORM_DIST, XFORM_JAM, XFORM_ORDER, XFORM_NOPS
};
extern const char *const xform_opname[XFORM_NOPS];

/*
 * Scans text (len bytes, NUL-terminated), called name in messages.
 * Returns the scan, or NULL with err "NAME:LINE: what" (a mark without
 * a name or not followed by a for, a name marked twice, a header or a
 * body that does not end, no mark at all).
 */
struct xform_src *xform_scan(const char *name, const char *text, size_t len,
    struct ar_err *err);
/* xform_scan of a file, at most max bytes. */
struct xform_src *xform_load(const char *path, size_t max,
    struct ar_err *err);
void xform_free(struct xform_src *xs);

/* The index of the loop called name, or -1. */
int xform_loop_index(const struct xform_src *xs, const char *name,
    size_t len);

/*
 * Makes xs->knobs and xs->constraints from the study's "transform"
 * object t.  Returns 0, or -1 with err "key \"transform.X\": what" (the
 * caller puts the study's path in front).
 */
int xform_menu(struct xform_src *xs, json_t *t, struct ar_err *err);

/*
 * The source with the knobs applied: names and values (n of each) are
 * knobs and their values' text, in any order, a knob left out being
 * off.  Each mark line becomes the loop's directives (nothing when it
 * has none), and the loops of the nest "order" permutes trade headers.
 * Returns the text (malloc'd, NUL-terminated, *len bytes) and *ops, a
 * new array of what was applied, [{"loop": L, "op": OP, "arg": N}...,
 * {"op": "order", "arg": "ikj"}], loops in source order, each loop's in
 * the order of enum xform_op; or NULL with err set (a knob the source
 * has no loop for, a value that is not a number).  ops may be NULL.
 */
char *xform_render(const struct xform_src *xs, const char *const *names,
    const char *const *values, size_t n, size_t *len, json_t **ops,
    struct ar_err *err);

#endif
