/*
 * Unit tests of spec and space: enumeration with pruning against plain
 * enumeration, sampling that is uniform with or without a list,
 * neighbours, encoding, ids and reading params back.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "hash.h"
#include "space.h"
#include "spec.h"

static char dir[] = "/tmp/test_space.XXXXXX";

#include "study.h"

struct seq {
	size_t n, np;
	space_idx cfgs[4096 * 4];
};

static int
record(void *ctx, const space_idx *cfg)
{
	struct seq *q = ctx;

	if (q->n < 4096)
		memcpy(q->cfgs + q->n * q->np, cfg, q->np * sizeof(*cfg));
	q->n++;
	return 0;
}

static const char *spaces[] = {
	"{\"name\":\"a\",\"backend\":\"c\",\"source\":\"k.c\","
	"\"problem\":{\"K\":32},"
	"\"params\":{\"M\":[1,2,4,8,16],\"N\":[1,2,4,8,16],\"V\":[1,2,3,4]},"
	"\"constraints\":[\"M * N >= 4\",\"K % ((M * N) / V) == 0\","
	"\"M % V == 0 || V == 3\"]}",
	/* a constraint naming only the last parameter, and one none */
	"{\"name\":\"b\",\"backend\":\"c\",\"source\":\"k.c\","
	"\"problem\":{\"K\":3},"
	"\"params\":{\"A\":[0,1,2,3],\"B\":[\"p\",\"q\"],\"C\":[0.5,1.5,2.5]},"
	"\"constraints\":[\"C < K\",\"K > 1\",\"B == \\\"p\\\" || A % 2 == 1\"]}",
	/* conjunctions split into terms, and ones that must stay whole */
	"{\"name\":\"d\",\"backend\":\"c\",\"source\":\"k.c\","
	"\"params\":{\"A\":[0,1,2,3],\"B\":[\"p\",\"q\"],\"C\":[0.5,1.5]},"
	"\"constraints\":[\"A * 2 < 7 && (B == \\\"q\\\" || A == 1) && C > 0.5\","
	"\"(A > 0 && B != \\\"p&&q\\\") && C < 2 || A == 3\","
	"\"A < 3 ? B == \\\"q\\\" && C > 1 : 1\"]}",
	/* no constraints at all */
	("{\"name\":\"c\",\"backend\":\"c\",\"source\":\"k.c\","
	"\"params\":{\"A\":[1,2,3],\"B\":[4,5]}}"),
};

static void
test_prune_matches_plain(void)
{
	static struct seq a, b;
	struct spec s;
	struct space sp;
	size_t i, k;

	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		load(&s, &sp, spaces[i]);
		a.n = b.n = 0;
		a.np = b.np = sp.np;
		space_enumerate(&sp, 1, record, &a);
		space_enumerate(&sp, 0, record, &b);
		CHECK(a.n > 0);
		CHECK_INT(a.n, b.n);
		CHECK(memcmp(a.cfgs, b.cfgs, a.n * a.np * sizeof(space_idx))
		    == 0);
		CHECK_INT(space_count(&sp, 1), a.n);
		for (k = 0; k < a.n; k++)
			CHECK(space_valid(&sp, a.cfgs + k * a.np));
		space_release(&sp);
		spec_release(&s);
	}
}

static void
test_split(void)
{
	struct spec s;
	struct space sp;

	load(&s, &sp, spaces[2]);
	/* 3 terms, then 2 constraints kept whole. */
	CHECK_INT(sp.nchecks, 5);
	/* A in {1, 2, 3}, B = q, C = 1.5. */
	CHECK_INT(space_count(&sp, 1), 3);
	space_release(&sp);
	spec_release(&s);
}

static void
test_counts(void)
{
	struct spec s;
	struct space sp;
	size_t m, n, v, want = 0;
	int M[] = { 1, 2, 4, 8, 16 }, V[] = { 1, 2, 3, 4 };

	/* The first space, counted by hand in C. */
	for (m = 0; m < 5; m++)
		for (n = 0; n < 5; n++)
			for (v = 0; v < 4; v++) {
				int mn = M[m] * M[n];

				if (mn >= 4 && mn / V[v] != 0 &&
				    32 % (mn / V[v]) == 0 &&
				    (M[m] % V[v] == 0 || V[v] == 3))
					want++;
			}
	load(&s, &sp, spaces[0]);
	CHECK_INT(space_count(&sp, 1), want);
	CHECK_DBL(sp.product, 100, 0);
	space_release(&sp);
	spec_release(&s);

	load(&s, &sp, spaces[3]);
	CHECK_INT(space_count(&sp, 1), 6);
	space_release(&sp);
	spec_release(&s);
}

static void
test_sampling_uniform(void)
{
	struct spec s;
	struct space sp;
	struct rng r;
	space_idx cfg[3];
	uint64_t n, i;
	int counts[64] = { 0 }, pass, bad, enc;

	for (pass = 0; pass < 2; pass++) {
		load(&s, &sp, spaces[1]);
		n = space_count(&sp, 1);
		if (pass == 1)
			CHECK(space_materialize(&sp, 1000));
		CHECK(pass == 1 ? sp.list != NULL : sp.list == NULL);
		rng_seed(&r, 42);
		memset(counts, 0, sizeof(counts));
		for (i = 0; i < 1000 * n; i++) {
			CHECK_INT(space_sample(&sp, &r, cfg, 1000), 0);
			CHECK(space_valid(&sp, cfg));
			enc = cfg[0] * 6 + cfg[1] * 3 + cfg[2];
			counts[enc]++;
		}
		/* Each valid configuration is drawn about 1000 times; five
		 * standard deviations (about 160) is a generous band. */
		bad = 0;
		for (i = 0; i < 64; i++)
			if (counts[i] != 0 && abs(counts[i] - 1000) > 160)
				bad++;
		CHECK_INT(bad, 0);
		space_release(&sp);
		spec_release(&s);
	}
}

static void
test_sampling_empty(void)
{
	struct spec s;
	struct space sp;
	struct rng r;
	space_idx cfg[3];

	load(&s, &sp, "{\"name\":\"e\",\"backend\":\"c\",\"source\":\"k.c\","
	    "\"params\":{\"A\":[1,2],\"B\":[1,2]},\"constraints\":"
	    "[\"A + B > 10\"]}");
	rng_seed(&r, 1);
	CHECK_INT(space_sample(&sp, &r, cfg, 100), -1);
	CHECK_INT(space_count(&sp, 1), 0);
	CHECK(space_materialize(&sp, 10));
	CHECK_INT(sp.nlist, 0);
	CHECK_INT(space_sample(&sp, &r, cfg, 100), -1);
	space_release(&sp);
	spec_release(&s);
}

static int
count_visit(void *ctx, const space_idx *cfg)
{
	(void)cfg;
	(*(int *)ctx)++;
	return 0;
}

static void
test_neighbours(void)
{
	struct spec s;
	struct space sp;
	space_idx cfg[2] = { 1, 0 };	/* A=2 (listed 3,2,1), B=4 */
	int n = 0;

	load(&s, &sp, "{\"name\":\"n\",\"backend\":\"c\",\"source\":\"k.c\","
	    "\"params\":{\"A\":[3,2,1],\"B\":[4,5,6,7]},"
	    "\"constraints\":[\"A + B != 9\"]}");
	/* Adjacent in sorted order: A=1, A=3 (3+4 fine), B=5. */
	CHECK_INT(space_neighbours(&sp, cfg, 1, count_visit, &n), 3);
	CHECK_INT(n, 3);
	/* Every other value: A=3, A=1, B=5, B=6; B=7 gives 2+7=9. */
	n = 0;
	CHECK_INT(space_neighbours(&sp, cfg, 0, count_visit, &n), 4);
	space_release(&sp);
	spec_release(&s);
}

static void
test_encode(void)
{
	struct spec s;
	struct space sp;
	space_idx cfg[2] = { 0, 2 };
	double x[2];

	load(&s, &sp, "{\"name\":\"n\",\"backend\":\"c\",\"source\":\"k.c\","
	    "\"params\":{\"A\":[3,2,1],\"B\":[\"u\",\"v\",\"w\"]}}");
	space_encode(&sp, cfg, x);
	CHECK_DBL(x[0], 1.0, 0);	/* 3 is the largest of A */
	CHECK_DBL(x[1], 1.0, 0);	/* strings keep the listed order */
	cfg[0] = 1;
	cfg[1] = 0;
	space_encode(&sp, cfg, x);
	CHECK_DBL(x[0], 0.5, 0);
	CHECK_DBL(x[1], 0.0, 0);
	space_release(&sp);
	spec_release(&s);
}

static void
test_ids_and_json(void)
{
	struct spec s;
	struct space sp;
	space_idx cfg[3] = { 1, 0, 2 }, back[3];
	char id1[SPACE_IDLEN + 1], id2[SPACE_IDLEN + 1];
	struct ar_err err;
	json_t *p;
	size_t i;

	load(&s, &sp, spaces[1]);
	space_id(&sp, cfg, id1);
	space_id(&sp, cfg, id2);
	CHECK_STR(id1, id2);
	CHECK_INT(strlen(id1), 16);
	for (i = 0; i < 16; i++)
		CHECK(strchr("0123456789abcdef", id1[i]) != NULL);
	cfg[2] = 1;
	space_id(&sp, cfg, id2);
	CHECK(strcmp(id1, id2) != 0);

	p = space_params_json(&sp, cfg);
	CHECK_INT(space_from_json(&sp, p, back, &err), 0);
	CHECK(memcmp(cfg, back, sizeof(cfg)) == 0);
	json_decref(p);

	p = json_pack("{s:i, s:s, s:f}", "A", 1, "B", "q", "C", 9.5);
	CHECK_INT(space_from_json(&sp, p, back, &err), -1);
	CHECK(strstr(err.msg, "parameter 'C': value 9.5 is not one") != NULL);
	json_decref(p);
	p = json_pack("{s:i, s:s, s:f}", "A", 2, "B", "q", "C", 0.5);
	CHECK_INT(space_from_json(&sp, p, back, &err), -1);
	CHECK_STR(err.msg, "violates constraint 'B == \"p\" || A % 2 == 1'");
	json_decref(p);
	/* A number given as text, as a CSV cell carries it, matches. */
	p = json_pack("{s:s, s:s, s:s}", "A", "1", "B", "q", "C", "0.5");
	CHECK_INT(space_from_json(&sp, p, back, &err), 0);
	json_decref(p);
	space_release(&sp);
	spec_release(&s);
}

/*
 * The id of a record with a code variant (ar-formats(7)): with no hash
 * it is space_id's, so that no existing id changes; with one it is the
 * first 16 hex digits of the SHA-256 of the id's prefix, the params'
 * lines in name order and the line "variant=HASH", so that two programs
 * with the same params have two ids and the same program one.
 */
static void
test_id_variant(void)
{
	static const char h1[] = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	static const char h2[] = "1123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	struct spec s;
	struct space sp;
	space_idx cfg[3] = { 1, 0, 2 };
	char plain[SPACE_IDLEN + 1], v1[SPACE_IDLEN + 1], v2[SPACE_IDLEN + 1];
	char again[SPACE_IDLEN + 1], hex[HASH_HEXLEN + 1];
	struct ar_buf text = { 0 };
	size_t i, d;

	load(&s, &sp, spaces[1]);
	space_id(&sp, cfg, plain);
	space_id_variant(&sp, cfg, NULL, v1);
	CHECK_STR(v1, plain);
	space_id_variant(&sp, cfg, h1, v1);
	space_id_variant(&sp, cfg, h1, again);
	space_id_variant(&sp, cfg, h2, v2);
	CHECK_STR(v1, again);
	CHECK(strcmp(v1, plain) != 0);
	CHECK(strcmp(v1, v2) != 0);
	/* The rule, computed the long way. */
	buf_add(&text, sp.idprefix.buf, sp.idprefix.len);
	for (i = 0; i < sp.np; i++) {
		d = sp.byname[i];
		buf_add(&text, sp.idline[d][cfg[d]], sp.idlinelen[d][cfg[d]]);
	}
	hash_sha256_hex(text.buf, text.len, hex);
	CHECK(strncmp(hex, plain, SPACE_IDLEN) == 0);
	buf_printf(&text, "variant=%s\n", h1);
	hash_sha256_hex(text.buf, text.len, hex);
	CHECK(strncmp(hex, v1, SPACE_IDLEN) == 0);
	free(text.buf);
	space_release(&sp);
	spec_release(&s);
}

static void
test_idset(void)
{
	struct idset s = { 0 };
	uint64_t k;

	for (k = 0; k < 10000; k++)
		CHECK_INT(idset_add(&s, k * 7919), 1);
	CHECK_INT(idset_add(&s, 0), 0);
	CHECK_INT(idset_add(&s, 7919), 0);
	CHECK(idset_has(&s, 9999 * 7919));
	CHECK(!idset_has(&s, 5));
	CHECK_INT(hash_id_key("00000000000000ff", 16), 255);
	CHECK(hash_id_key("hello", 5) != 0);
	idset_release(&s);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_prune_matches_plain);
	RUN(test_split);
	RUN(test_counts);
	RUN(test_sampling_uniform);
	RUN(test_sampling_empty);
	RUN(test_neighbours);
	RUN(test_encode);
	RUN(test_ids_and_json);
	RUN(test_id_variant);
	RUN(test_idset);
	unload_dir(NULL, 0);
	return check_done("test_space");
}
