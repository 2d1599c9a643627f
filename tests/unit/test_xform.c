/*
 * xform: scanning marked loops, the menu of knobs, rendering; and the
 * study's "transform" through spec_load.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "expr.h"
#include "hash.h"
#include "search.h"
#include "strategy.h"
#include "util.h"
#include "xform.h"

static char dir[] = "/tmp/test_xform.XXXXXX";

#include "study.h"

static const char mm[] =
    "void\n"
    "mm(const float *A, const float *B, float *C, int n)\n"
    "{\n"
    "#pragma ar loop i\n"
    "\tfor (int i = 0; i < n; i++)\n"
    "#pragma ar loop j\n"
    "\t\tfor (int j = 0; j < n; j++) {\n"
    "\t\t\t/* the k loop */\n"
    "\t\t\t#pragma ar loop k\n"
    "\t\t\tfor (int k = 0; k < n; k++)\n"
    "\t\t\t\tC[i * n + j] += A[i * n + k] * B[k * n + j];\n"
    "\t\t}\n"
    "}\n";

static struct xform_src *
scan(const char *text, struct ar_err *err)
{
	return xform_scan("mm.c", text, strlen(text), err);
}

static void
test_scan(void)
{
	struct ar_err err;
	struct xform_src *xs = scan(mm, &err);

	CHECK(xs != NULL);
	if (xs == NULL)
		return;
	CHECK_INT(xs->nloops, 3);
	CHECK_STR(xs->loops[0].name, "i");
	CHECK_INT(xs->loops[0].line, 4);
	CHECK_INT(xs->loops[0].parent, -1);
	CHECK_INT(xs->loops[1].parent, 0);
	CHECK_INT(xs->loops[2].parent, 1);
	CHECK_INT(xs->loops[1].perfect, 1);
	/* A comment before the mark is no statement. */
	CHECK_INT(xs->loops[2].perfect, 1);
	CHECK_INT(xs->loops[0].child, 1);
	CHECK_INT(xs->loops[2].child, -1);
	CHECK_INT(xs->loops[0].decl, 1);
	CHECK_STR(xs->loops[2].indent, "\t\t\t");
	xform_free(xs);

	/* An imperfect nest: a statement beside the inner loop. */
	xs = scan("void f(int n, float *x)\n{\n\tint i, j;\n"
	    "#pragma ar loop i\n\tfor (i = 0; i < n; i++) {\n"
	    "\t\tx[i] = 0;\n#pragma ar loop j\n"
	    "\t\tfor (j = 0; j < n; j++)\n\t\t\tx[i] += j;\n\t}\n}\n", &err);
	CHECK(xs != NULL);
	if (xs != NULL) {
		CHECK_INT(xs->loops[1].parent, 0);
		CHECK_INT(xs->loops[1].perfect, 0);
		CHECK_INT(xs->loops[0].nkids, 1);
		CHECK_INT(xs->loops[0].decl, 0);
		xform_free(xs);
	}
}

static void
test_scan_errors(void)
{
	struct ar_err err;

	CHECK(scan("int x;\n", &err) == NULL);
	CHECK_STR(err.msg, "mm.c: no loop is marked with '#pragma ar loop "
	    "NAME'");
	CHECK(scan("void f(void)\n{\n#pragma ar loop i\n\tint x = 0;\n}\n",
	    &err) == NULL);
	CHECK_STR(err.msg, "mm.c:3: '#pragma ar loop i' is not followed by a "
	    "for loop");
	CHECK(scan("#pragma ar loop\nfor (;;);\n", &err) == NULL);
	CHECK_STR(err.msg, "mm.c:1: '#pragma ar loop' wants one loop name (a "
	    "C identifier)");
	CHECK(scan("#pragma ar loop i j\nfor (;;);\n", &err) == NULL);
	CHECK_STR(err.msg, "mm.c:1: '#pragma ar loop' wants one loop name (a "
	    "C identifier)");
	CHECK(scan("#pragma ar loop i\nfor (;;)\n#pragma ar loop i\n"
	    "for (;;);\n", &err) == NULL);
	CHECK_STR(err.msg, "mm.c:3: loop 'i' is marked twice (first on line "
	    "1)");
	CHECK(scan("\n#pragma ar loop i\nfor (int i = 0; i < 3; i++\n",
	    &err) == NULL);
	CHECK_STR(err.msg, "mm.c:3: the header of this for does not end");
	CHECK(scan("#pragma ar loop i\nfor (;;) {\n x();\n", &err) == NULL);
	CHECK_STR(err.msg, "mm.c:2: this block does not end");
}

static char *
render(struct xform_src *xs, const char *const *kv, size_t n, json_t **ops)
{
	const char *names[16], *values[16];
	struct ar_err err;
	size_t i, len;
	char *t;

	for (i = 0; i < n; i++) {
		names[i] = kv[2 * i];
		values[i] = kv[2 * i + 1];
	}
	t = xform_render(xs, names, values, n, &len, ops, &err);
	if (t == NULL)
		fprintf(stderr, "render: %s\n", err.msg);
	else
		CHECK_INT(strlen(t), len);
	return t;
}

static void
test_render(void)
{
	struct ar_err err;
	struct xform_src *xs = scan(mm, &err);
	const char *off[] = { "tile_i", "0", "vec_k", "0" };
	const char *kv[] = { "tile_i", "32", "tile_j", "64", "unroll_j", "4",
	    "vec_k", "8", "ileave_k", "2", "par_i", "2", "jam_i", "4",
	    "dist_k", "1" };
	const char *split[] = { "tile_i", "16", "tile_k", "8" };
	json_t *ops;
	char *t, *o;

	if (xs == NULL)
		return;
	/* Every knob off: the marks go, nothing else changes. */
	t = render(xs, off, 2, &ops);
	CHECK_STR(t, "void\nmm(const float *A, const float *B, float *C, "
	    "int n)\n{\n\tfor (int i = 0; i < n; i++)\n"
	    "\t\tfor (int j = 0; j < n; j++) {\n\t\t\t/* the k loop */\n"
	    "\t\t\tfor (int k = 0; k < n; k++)\n"
	    "\t\t\t\tC[i * n + j] += A[i * n + k] * B[k * n + j];\n"
	    "\t\t}\n}\n");
	CHECK_INT(json_array_size(ops), 0);
	free(t);
	json_decref(ops);

	t = render(xs, kv, 8, &ops);
	CHECK_STR(t, "void\nmm(const float *A, const float *B, float *C, "
	    "int n)\n{\n"
	    "#pragma omp parallel for num_threads(2)\n"
	    "#pragma omp tile sizes(32,64)\n"
	    "#pragma unroll_and_jam(4)\n"
	    "\tfor (int i = 0; i < n; i++)\n"
	    "#pragma omp unroll partial(4)\n"
	    "\t\tfor (int j = 0; j < n; j++) {\n\t\t\t/* the k loop */\n"
	    "\t\t\t#pragma clang loop vectorize_width(8) interleave_count(2) "
	    "distribute(enable)\n"
	    "\t\t\tfor (int k = 0; k < n; k++)\n"
	    "\t\t\t\tC[i * n + j] += A[i * n + k] * B[k * n + j];\n"
	    "\t\t}\n}\n");
	o = json_dumps(ops, JSON_COMPACT);
	CHECK_STR(o, "[{\"loop\":\"i\",\"op\":\"par\",\"arg\":2},"
	    "{\"loop\":\"i\",\"op\":\"tile\",\"arg\":32},"
	    "{\"loop\":\"i\",\"op\":\"jam\",\"arg\":4},"
	    "{\"loop\":\"j\",\"op\":\"tile\",\"arg\":64},"
	    "{\"loop\":\"j\",\"op\":\"unroll\",\"arg\":4},"
	    "{\"loop\":\"k\",\"op\":\"vec\",\"arg\":8},"
	    "{\"loop\":\"k\",\"op\":\"ileave\",\"arg\":2},"
	    "{\"loop\":\"k\",\"op\":\"dist\",\"arg\":1}]");
	free(o);
	free(t);
	json_decref(ops);

	/* Tiled loops apart (j between them untiled): two directives. */
	t = render(xs, split, 2, NULL);
	CHECK(t != NULL && strstr(t, "#pragma omp tile sizes(16)\n\tfor (int "
	    "i") != NULL);
	CHECK(t != NULL && strstr(t, "\t\t\t#pragma omp tile sizes(8)\n"
	    "\t\t\tfor (int k") != NULL);
	free(t);
	xform_free(xs);
}

static void
test_order(void)
{
	struct ar_err err;
	struct xform_src *xs = scan(mm, &err);
	json_t *t = json_pack("{s:[[s,s,s],[s,s,s]],s:[i,i],s:[i]}", "orders",
	    "i", "k", "j", "k", "i", "j", "tile", 16, 32, "threads", 2);
	const char *kv[] = { "order", "ikj", "tile_k", "16", "tile_j", "32" };
	const char *bad[] = { "order", "ijj" };
	const char *bad2[] = { "tile_q", "1" };
	const char *bad3[] = { "tile_i", "x" };
	json_t *ops;
	char *s, *o;
	size_t i;

	if (xs == NULL)
		return;
	CHECK_INT(xform_menu(xs, t, &err), 0);
	o = json_dumps(json_object_get(xs->knobs, "order"), JSON_COMPACT);
	CHECK_STR(o, "[\"ijk\",\"ikj\",\"kij\"]");
	free(o);
	CHECK(json_object_get(xs->knobs, "tile_i") != NULL);
	CHECK(json_object_get(xs->knobs, "par_k") != NULL);
	/* jam only where a marked loop is inside. */
	CHECK(json_object_get(xs->knobs, "jam_j") != NULL);
	CHECK(json_object_get(xs->knobs, "jam_k") == NULL);
	CHECK_INT(json_array_size(json_object_get(xs->knobs, "tile_i")), 3);
	CHECK_INT(json_array_size(json_object_get(xs->knobs, "dist_i")), 2);
	CHECK_STR(json_string_value(json_array_get(xs->constraints, 0)),
	    "(par_i > 0) + (par_j > 0) + (par_k > 0) <= 1");
	s = render(xs, kv, 3, &ops);
	/* k's header and directive move to the middle; j's tile is apart
	 * from i's (i is not tiled) but k's and j's form one tile. */
	CHECK_STR(s, "void\nmm(const float *A, const float *B, float *C, "
	    "int n)\n{\n"
	    "\tfor (int i = 0; i < n; i++)\n"
	    "#pragma omp tile sizes(16,32)\n"
	    "\t\tfor (int k = 0; k < n; k++) {\n\t\t\t/* the k loop */\n"
	    "\t\t\tfor (int j = 0; j < n; j++)\n"
	    "\t\t\t\tC[i * n + j] += A[i * n + k] * B[k * n + j];\n"
	    "\t\t}\n}\n");
	o = json_dumps(ops, JSON_COMPACT);
	CHECK_STR(o, "[{\"loop\":\"j\",\"op\":\"tile\",\"arg\":32},"
	    "{\"loop\":\"k\",\"op\":\"tile\",\"arg\":16},"
	    "{\"op\":\"order\",\"arg\":\"ikj\"}]");
	free(o);
	free(s);
	json_decref(ops);
	CHECK(xform_render(xs, &bad[0], &bad[1], 1, &i, NULL, &err) ==
	    NULL);
	CHECK_STR(err.msg, "'ijj': not an order of the loops of the nest "
	    "'mm.c' marks");
	CHECK(xform_render(xs, &bad2[0], &bad2[1], 1, &i, NULL, &err) ==
	    NULL);
	CHECK_STR(err.msg, "knob 'tile_q': no transformation of a loop "
	    "'mm.c' marks");
	CHECK(xform_render(xs, &bad3[0], &bad3[1], 1, &i, NULL, &err) ==
	    NULL);
	CHECK_STR(err.msg, "knob 'tile_i': 'x' is not a whole number from 0 "
	    "to 65536");
	json_decref(t);
	xform_free(xs);
}

static void
test_menu_errors(void)
{
	struct ar_err err;
	struct xform_src *xs = scan(mm, &err);
	json_t *t;

	if (xs == NULL)
		return;
	t = json_pack("{s:[i]}", "tiles", 1);
	CHECK_INT(xform_menu(xs, t, &err), -1);
	CHECK_STR(err.msg, "key \"transform.tiles\": unknown key (did you "
	    "mean \"transform.tile\"?)");
	json_decref(t);
	t = json_pack("{s:[i,i]}", "tile", 8, 8);
	CHECK_INT(xform_menu(xs, t, &err), -1);
	CHECK_STR(err.msg, "key \"transform.tile\": 8 is listed twice");
	json_decref(t);
	t = json_pack("{s:[s]}", "ops", "par");
	CHECK_INT(xform_menu(xs, t, &err), -1);
	CHECK_STR(err.msg, "key \"transform.threads\": missing: par needs "
	    "the thread counts to try");
	json_decref(t);
	t = json_pack("{s:[[s,s]]}", "orders", "i", "k");
	CHECK_INT(xform_menu(xs, t, &err), -1);
	CHECK_STR(err.msg, "key \"transform.orders\": the loops listed are "
	    "not a perfect nest of 'mm.c' (each the whole body of the one "
	    "before)");
	json_decref(t);
	t = json_pack("{s:[[s,s,s]]}", "orders", "i", "k", "q");
	CHECK_INT(xform_menu(xs, t, &err), -1);
	CHECK_STR(err.msg, "key \"transform.orders[0][2]\": not a marked loop "
	    "of 'mm.c'");
	json_decref(t);
	t = json_pack("{s:[s]}", "ops", "tile");
	CHECK_INT(xform_menu(xs, t, &err), 0);
	CHECK_INT(json_object_size(xs->knobs), 3);
	CHECK_INT(json_array_size(xs->constraints), 0);
	json_decref(t);
	xform_free(xs);
}

/* The study's "transform" through spec_load: knobs after the study's
 * params, their constraints after its own, errors with the study's path. */
static void
test_spec(void)
{
	struct spec s;
	struct space sp;
	struct ar_err err;
	char path[256];
	int k;

	write_file("mm.c", mm);
	load(&s, &sp, "{\"name\":\"x\",\"backend\":\"c\",\"source\":"
	    "\"mm.c\",\"params\":{\"A\":[1,2]},\"constraints\":[\"A > 0\"],"
	    "\"transform\":{\"ops\":[\"tile\",\"unroll\",\"order\"],"
	    "\"tile\":[8,16],\"orders\":[[\"i\",\"k\",\"j\"]]}}");
	CHECK(s.xform != NULL);
	CHECK_INT(s.nparams, 1 + 6 + 1);
	CHECK_STR(s.params[0].name, "A");
	CHECK_INT(s.params[0].xform, 0);
	k = spec_param_index(&s, "order");
	CHECK(k == 7);
	if (k >= 0) {
		CHECK_INT(s.params[k].xform, 1);
		CHECK_STR(s.params[k].text[1], "ikj");
	}
	k = spec_param_index(&s, "tile_j");
	CHECK(k > 0 && s.params[k].xform && s.params[k].n == 3);
	/* A's and the two orders' (unroll on a tile that goes on). */
	CHECK_INT(s.nconstraints, 3);
	space_release(&sp);
	spec_release(&s);

	/* The constraints keep out what clang 14 refuses: omp tile on a
	 * loop enclosing the parallel one, omp unroll on a tile's first
	 * loop; but not a race (par on k). */
	load(&s, &sp, "{\"name\":\"x\",\"backend\":\"c\",\"source\":"
	    "\"mm.c\",\"params\":{},\"transform\":{\"ops\":[\"tile\","
	    "\"unroll\",\"par\"],\"tile\":[8],\"unroll\":[2],"
	    "\"threads\":[2]}}");
	{
		/* par_i tile_i unroll_i par_j tile_j unroll_j par_k ... */
		space_idx tile_i_par_j[9] = { 0, 1, 0, 1, 0, 0 };
		space_idx par_i_tile_j[9] = { 1, 0, 0, 0, 1, 0 };
		space_idx unroll_first[9] = { 0, 1, 1, 0, 1, 0 };
		space_idx unroll_last[9] = { 0, 1, 0, 0, 1, 1 };
		space_idx two_par[9] = { 1, 0, 0, 1, 0, 0 };
		space_idx race[9] = { 0, 0, 0, 0, 0, 0, 1, 0, 0 };

		CHECK_STR(s.params[0].name, "par_i");
		CHECK_INT(space_valid(&sp, tile_i_par_j), 0);
		CHECK_INT(space_valid(&sp, par_i_tile_j), 1);
		CHECK_INT(space_valid(&sp, unroll_first), 0);
		CHECK_INT(space_valid(&sp, unroll_last), 1);
		CHECK_INT(space_valid(&sp, two_par), 0);
		CHECK_INT(space_valid(&sp, race), 1);
	}
	space_release(&sp);
	spec_release(&s);

	snprintf(path, sizeof(path), "%s/s.json", dir);
	write_file("bad.c", "void f(void)\n{\n#pragma ar loop i\n"
	    "\tint x;\n}\n");
	write_file("s.json", "{\"name\":\"x\",\"backend\":\"c\","
	    "\"source\":\"bad.c\",\"params\":{},\"transform\":{}}");
	CHECK_INT(spec_load(&s, path, NULL, 0, &err), -1);
	CHECK(strstr(err.msg, "s.json: key \"transform\": ") != NULL &&
	    strstr(err.msg, "bad.c:3: '#pragma ar loop i' is not followed by "
	    "a for loop") != NULL);
	write_file("s.json", "{\"name\":\"x\",\"backend\":\"c\","
	    "\"source\":\"mm.c\",\"params\":{\"tile_i\":[1]},"
	    "\"transform\":{}}");
	CHECK_INT(spec_load(&s, path, NULL, 0, &err), -1);
	CHECK(strstr(err.msg, "s.json: key \"params.tile_i\": the name of "
	    "a knob of \"transform\" too") != NULL);
	write_file("s.json", "{\"name\":\"x\",\"backend\":\"c\","
	    "\"source\":\"mm.c\",\"params\":{},"
	    "\"transform\":{\"vec\":[0]}}");
	CHECK_INT(spec_load(&s, path, NULL, 0, &err), -1);
	CHECK(strstr(err.msg, "s.json: key \"transform.vec[0]\": expected "
	    "an integer from 1 to 65536") != NULL);
}

/* How many params cfg and o differ in. */
static size_t
ndiff(size_t np, const space_idx *a, const space_idx *b)
{
	size_t d, n = 0;

	for (d = 0; d < np; d++)
		n += a[d] != b[d];
	return n;
}

/*
 * Strategy xform: the naive program first, then children of measured
 * programs that differ in one knob, each naming its parent; a failed
 * child is not proposed again, and a parent is never a failure.
 */
static void
test_strategy(void)
{
	struct spec s;
	struct space sp;
	struct search se;
	int k = strategy_find("xform"), round;
	size_t i, n, np;
	space_idx zero[64] = { 0 };

	CHECK(k == STRATEGY_XFORM);
	write_file("mm.c", mm);
	load(&s, &sp, "{\"name\":\"x\",\"backend\":\"c\",\"source\":"
	    "\"mm.c\",\"params\":{},\"transform\":{\"tile\":[8,16],"
	    "\"threads\":[2]}}");
	np = sp.np;
	CHECK(np > 10 && np < 64);
	search_init(&se, &sp, strategy_table, NULL, 7, 1);
	n = strategy_propose(&se, k, 4);
	CHECK_INT(n, 4);
	CHECK_INT(ndiff(np, se.batch, zero), 0);
	for (i = 0; i < n; i++) {
		CHECK_INT(se.batch_arm[i], k);
		CHECK_INT(se.batch_parent[i], -1);
		/* The naive program's children while it is unmeasured. */
		if (i > 0)
			CHECK_INT(ndiff(np, se.batch + i * np, zero), 1);
	}
	/* Measured: the naive program ok, the others failed. */
	for (i = 0; i < n; i++)
		search_add(&se, se.batch + i * np, i == 0 ? OBS_OK :
		    OBS_FAILED, i == 0 ? -1.0 : NAN, 1, k);
	for (round = 2; round < 6; round++) {
		se.round = round;
		n = strategy_propose(&se, k, 6);
		CHECK_INT(n, 6);
		for (i = 0; i < n; i++) {
			int p = se.batch_parent[i];

			CHECK(p >= 0 && (size_t)p < se.nobs);
			if (p < 0 || (size_t)p >= se.nobs)
				continue;
			CHECK(se.obs[p].kind == OBS_OK);
			CHECK_INT(ndiff(np, se.batch + i * np, se.obs[p].cfg),
			    1);
		}
		for (i = 0; i < n; i++)
			search_add(&se, se.batch + i * np, OBS_OK,
			    -(double)round - (double)i / 10, round, k);
	}
	/* Another strategy names no parent. */
	n = strategy_propose(&se, STRATEGY_RANDOM, 3);
	for (i = 0; i < n; i++)
		CHECK_INT(se.batch_parent[i], -1);
	search_release(&se);
	space_release(&sp);
	spec_release(&s);
}

/*
 * The history's records of a study with "transform" carry the id of
 * their variant (space_id_variant): search counts such a record as the
 * configuration it measured, so that it is not proposed again.
 */
static void
test_seen_variant(void)
{
	struct spec s;
	struct space sp;
	struct search se;
	struct ar_err err;
	space_idx cfg[64] = { 0 };
	char id[SPACE_IDLEN + 1], hash[HASH_HEXLEN + 1], line[512];
	const char *names[] = { "tile_i" }, *values[] = { "8" };
	size_t len;
	char *t;
	FILE *f;

	write_file("mm.c", mm);
	load(&s, &sp, "{\"name\":\"x\",\"backend\":\"c\",\"source\":"
	    "\"mm.c\",\"params\":{},\"transform\":{\"ops\":[\"tile\"],"
	    "\"tile\":[8]}}");
	cfg[0] = 1;	/* tile_i = 8 */
	t = xform_render(s.xform, names, values, 1, &len, NULL, &err);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	hash_sha256_hex(t, len, hash);
	free(t);
	space_id_variant(&sp, cfg, hash, id);
	snprintf(line, sizeof(line), "{\"study\":\"x\",\"id\":\"%s\","
	    "\"params\":{\"tile_i\":8,\"tile_j\":0,\"tile_k\":0},"
	    "\"status\":\"ok\",\"score\":1}\n", id);
	search_init(&se, &sp, strategy_table, NULL, 1, 1);
	f = fmemopen(line, strlen(line), "r");
	CHECK_INT(search_read_history(&se, f, "h.jsonl", &err), 0);
	fclose(f);
	CHECK_INT(search_seen(&se, cfg), 1);
	cfg[0] = 0;
	CHECK_INT(search_seen(&se, cfg), 0);
	search_release(&se);
	space_release(&sp);
	spec_release(&s);
}

int
main(void)
{
	ar_setprogname("test_xform");
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_scan);
	RUN(test_scan_errors);
	RUN(test_render);
	RUN(test_order);
	RUN(test_menu_errors);
	RUN(test_spec);
	RUN(test_strategy);
	RUN(test_seen_variant);
	{
		static const char *const mine[] = { "mm.c", "bad.c" };

		unload_dir(mine, 2);
	}
	return check_done("test_xform");
}
