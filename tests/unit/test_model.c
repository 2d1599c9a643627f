/*
 * Unit tests for lib/model.c: counting records, the best and its ties,
 * the file's layout, loading and its refusals, fields of later versions,
 * atomic saving, run-by-run updates giving the rebuilt file, the rl
 * policy (learning, its state through the file, params read from text),
 * and the prior (its points, caps, and keeping it across a rebuild).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model.h"
#include "space.h"
#include "spec.h"

static char dir[] = "/tmp/test_model.XXXXXX";

static const char *
path_of(const char *name)
{
	static char buf[4][512];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

static void
write_file(const char *name, const char *text)
{
	FILE *f = fopen(path_of(name), "w");

	fputs(text, f);
	fclose(f);
}

/* The file's text, in a buffer the caller frees. */
static char *
read_file(const char *name)
{
	FILE *f = fopen(path_of(name), "r");
	char *t;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	t = calloc(1, (size_t)n + 1);
	if (fread(t, 1, (size_t)n, f) != (size_t)n)
		t[0] = '\0';
	fclose(f);
	return t;
}

/* How many entries the test folder holds (temporary files included). */
static int
entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static json_t *
rec(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);

	if (v == NULL)
		fprintf(stderr, "bad test record: %s: %s\n", text, je.text);
	return v;
}

/* model_update on a record given as text; returns what it returned. */
static int
feed(struct model *m, const char *text)
{
	struct ar_err err;
	json_t *r = rec(text);
	int rc = model_update(m, r, &err);

	json_decref(r);
	return rc;
}

static char *
dump(const struct model *m)
{
	json_t *j = model_json(m);
	char *t = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return t;
}

static void
test_empty(void)
{
	struct model m;
	char *t;

	model_init(&m, "mm", "minimize time_s");
	t = dump(&m);
	CHECK_STR(t, "{\"format\":\"autoresearch-model\",\"version\":2,"
	    "\"study\":\"mm\",\"objective\":\"minimize time_s\",\"evals\":0,"
	    "\"status\":{},\"best\":null,\"rounds\":0,\"strategies\":{}}");
	free(t);
	model_release(&m);
}

static void
test_status_order(void)
{
	struct model m;
	json_t *j;
	char *t;

	model_init(&m, "mm", "minimize time_s");
	CHECK_INT(feed(&m, "{\"status\":\"crash\",\"score\":null}"), 0);
	CHECK_INT(feed(&m, "{\"status\":\"zzz\",\"score\":null}"), 0);
	CHECK_INT(feed(&m, "{\"score\":null}"), 0);
	CHECK_INT(feed(&m, "{\"status\":\"timeout\",\"score\":null}"), 0);
	CHECK_INT(feed(&m, "{\"status\":\"aaa\",\"score\":null}"), 0);
	CHECK_INT(feed(&m, "{\"status\":\"ok\",\"score\":null}"), 0);
	CHECK_INT(feed(&m, "{\"status\":\"crash\",\"score\":null}"), 0);
	CHECK_INT(feed(&m, "{\"status\":\"compile_error\",\"score\":null}"),
	    0);
	j = model_json(&m);
	t = json_dumps(json_object_get(j, "status"), JSON_COMPACT);
	CHECK_STR(t, "{\"ok\":1,\"compile_error\":1,\"crash\":2,"
	    "\"timeout\":1,\"aaa\":1,\"none\":1,\"zzz\":1}");
	CHECK_INT(m.evals, 8);
	CHECK(m.best == NULL);
	free(t);
	json_decref(j);
	model_release(&m);
}

static void
test_best(void)
{
	struct model m;

	model_init(&m, "mm", "minimize time_s");
	CHECK_INT(feed(&m, "{\"id\":\"a\",\"round\":1,\"status\":\"ok\","
	    "\"score\":-2.0,\"objective\":2.0,\"params\":{\"T\":1}}"), 1);
	CHECK_STR(json_string_value(json_object_get(m.best, "id")), "a");
	/* A tie keeps the earlier one. */
	CHECK_INT(feed(&m, "{\"id\":\"b\",\"round\":1,\"status\":\"ok\","
	    "\"score\":-2,\"params\":{\"T\":2}}"), 0);
	/* A higher score of any other status is no best. */
	CHECK_INT(feed(&m, "{\"id\":\"c\",\"round\":2,\"status\":"
	    "\"suspicious\",\"score\":5.0}"), 0);
	CHECK_INT(feed(&m, "{\"id\":\"d\",\"round\":2,\"score\":5.0}"), 0);
	CHECK_INT(feed(&m, "{\"id\":\"e\",\"round\":7,\"status\":\"ok\","
	    "\"score\":null}"), 0);
	CHECK_STR(json_string_value(json_object_get(m.best, "id")), "a");
	CHECK_INT(feed(&m, "{\"id\":\"f\",\"round\":3,\"status\":\"ok\","
	    "\"score\":-1.5,\"objective\":1.5,\"params\":{\"T\":4},"
	    "\"metrics\":{\"g\":1},\"extra\":1}"), 1);
	CHECK_STR(json_string_value(json_object_get(m.best, "id")), "f");
	CHECK_DBL(m.best_score, -1.5, 0);
	CHECK_INT(m.evals, 6);
	CHECK_INT(m.rounds, 7);
	{
		char *t = json_dumps(m.best, JSON_COMPACT);

		/* The six fields, in order; absent ones are null. */
		CHECK_STR(t, "{\"id\":\"f\",\"round\":3,\"objective\":1.5,"
		    "\"score\":-1.5,\"params\":{\"T\":4},\"metrics\":"
		    "{\"g\":1}}");
		free(t);
	}
	CHECK_INT(feed(&m, "{\"status\":\"ok\",\"score\":3}"), 1);
	CHECK(json_is_null(json_object_get(m.best, "id")));
	model_release(&m);
}

static void
test_bad_records(void)
{
	struct model m;
	struct ar_err err;
	json_t *r;

	model_init(&m, "mm", "minimize time_s");
	r = rec("{\"status\":\"ok\"}");
	CHECK_INT(model_update(&m, r, &err), -1);
	CHECK_STR(err.msg, "no field \"score\": the record is not scored "
	    "(ar-score adds it)");
	json_decref(r);
	r = rec("{\"status\":\"ok\",\"score\":\"1\"}");
	CHECK_INT(model_update(&m, r, &err), -1);
	CHECK_STR(err.msg, "field \"score\" is not a number or null");
	json_decref(r);
	r = rec("{\"status\":1,\"score\":1}");
	CHECK_INT(model_update(&m, r, &err), -1);
	CHECK_STR(err.msg, "field \"status\" is not a string");
	json_decref(r);
	r = rec("{\"status\":\"ok\",\"score\":1,\"round\":1.5}");
	CHECK_INT(model_update(&m, r, &err), -1);
	CHECK_STR(err.msg, "field \"round\" is not an integer");
	json_decref(r);
	/* Nothing of a refused record is counted. */
	CHECK_INT(m.evals, 0);
	CHECK_INT(m.ncounts, 0);
	model_release(&m);
}

static void
test_save_load(void)
{
	struct model m, n;
	struct ar_err err;
	char *a, *b, *text;

	model_init(&m, "mm", "maximize gflops");
	feed(&m, "{\"id\":\"x\",\"round\":4,\"status\":\"ok\",\"score\":"
	    "0.10000000000000001,\"objective\":0.1,\"params\":{\"T\":\"v\"}}");
	feed(&m, "{\"id\":\"y\",\"round\":4,\"status\":\"crash\","
	    "\"score\":null}");
	CHECK_INT(model_save(&m, path_of("m.json"), &err), 0);
	CHECK_INT(entries(), 1);
	text = read_file("m.json");
	CHECK(text != NULL && text[0] == '{' &&
	    text[strlen(text) - 1] == '\n');
	CHECK(text != NULL && strstr(text, "\n  \"format\": "
	    "\"autoresearch-model\",\n  \"version\": 2,\n") != NULL);
	free(text);
	CHECK_INT(model_load(&n, path_of("m.json"), &err), MODEL_LOADED);
	a = dump(&m);
	b = dump(&n);
	CHECK_STR(b, a);
	CHECK_DBL(n.best_score, 0.1, 0);
	free(a);
	free(b);
	/* Saved again, the same bytes. */
	a = read_file("m.json");
	CHECK_INT(model_save(&n, path_of("m.json"), &err), 0);
	b = read_file("m.json");
	CHECK_STR(b, a);
	free(a);
	free(b);
	model_release(&m);
	model_release(&n);
	unlink(path_of("m.json"));
}

static void
test_load_refusals(void)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg;
	} cases[] = {
		{ "", MODEL_UNUSABLE, "the model file is empty" },
		{ " \n", MODEL_UNUSABLE, "the model file is empty" },
		{ "{\"format\": \"autoresearch-model\", \"version\": 1,",
		    MODEL_NOTMODEL,
		    "not a model file: invalid JSON at line 1" },
		{ "{\"study\":\"mm\",\"id\":\"1\"}\n{\"study\":\"mm\"}\n",
		    MODEL_NOTMODEL,
		    "not a model file: invalid JSON at line 2" },
		{ "[1]", MODEL_NOTMODEL, "not a model file (no \"format\": "
		    "\"autoresearch-model\")" },
		{ "{\"format\":\"other\",\"version\":1}", MODEL_NOTMODEL,
		    "not a model file (no \"format\"" },
		{ "{\"format\":\"autoresearch-model\",\"version\":3}",
		    MODEL_UNUSABLE, "model format version 3 is newer than "
		    "this program's (2)" },
		{ "{\"format\":\"autoresearch-model\",\"version\":2,\"study\":"
		    "\"mm\",\"objective\":\"minimize time_s\",\"evals\":0,"
		    "\"status\":{},\"best\":null,\"rounds\":0,"
		    "\"strategies\":{},\"prior\":[]}",
		    MODEL_UNUSABLE, "key \"prior\": expected an object" },
		{ "{\"format\":\"autoresearch-model\",\"version\":0}",
		    MODEL_UNUSABLE, "unknown model format version 0" },
		{ "{\"format\":\"autoresearch-model\",\"version\":\"1\"}",
		    MODEL_UNUSABLE, "key \"version\": expected an integer" },
		{ "{\"format\":\"autoresearch-model\",\"version\":1}",
		    MODEL_UNUSABLE, "key \"study\": missing" },
		{ "{\"format\":\"autoresearch-model\",\"version\":1,\"study\":"
		    "\"mm\",\"objective\":\"minimize time_s\",\"evals\":-1,"
		    "\"status\":{},\"best\":null,\"rounds\":0}",
		    MODEL_UNUSABLE, "key \"evals\": expected an integer of at "
		    "least 0" },
		{ "{\"format\":\"autoresearch-model\",\"version\":1,\"study\":"
		    "\"mm\",\"objective\":\"minimize time_s\",\"evals\":3,"
		    "\"status\":{\"ok\":1},\"best\":null,\"rounds\":0}",
		    MODEL_UNUSABLE, "the status counts add up to 1, but "
		    "\"evals\" is 3" },
		{ "{\"format\":\"autoresearch-model\",\"version\":1,\"study\":"
		    "\"mm\",\"objective\":\"minimize time_s\",\"evals\":1,"
		    "\"status\":{\"ok\":1},\"best\":{\"id\":\"a\"},"
		    "\"rounds\":0}",
		    MODEL_UNUSABLE, "key \"best.score\": expected a number" },
		{ "{\"format\":\"autoresearch-model\",\"version\":1,\"study\":"
		    "\"mm\",\"objective\":\"minimize time_s\",\"evals\":1,"
		    "\"status\":{\"ok\":true},\"best\":null,\"rounds\":0}",
		    MODEL_UNUSABLE, "key \"status.ok\": expected an integer" },
		{ "{\"format\":\"autoresearch-model\",\"version\":1,\"study\":"
		    "\"mm\",\"objective\":\"minimize time_s\",\"evals\":0,"
		    "\"status\":{},\"best\":null,\"rounds\":0,"
		    "\"strategies\":[]}",
		    MODEL_UNUSABLE, "key \"strategies\": expected an object" },
		{ "{\"format\":\"autoresearch-model\",\"format\":"
		    "\"autoresearch-model\"}", MODEL_NOTMODEL,
		    "not a model file: invalid JSON" },
	};
	struct model m;
	struct ar_err err;
	size_t i;
	int rc;

	CHECK_INT(model_load(&m, path_of("absent.json"), &err), MODEL_ABSENT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file("bad.json", cases[i].text);
		err.msg[0] = '\0';
		rc = model_load(&m, path_of("bad.json"), &err);
		CHECK_INT(rc, cases[i].rc);
		if (strstr(err.msg, cases[i].msg) == NULL ||
		    strncmp(err.msg, path_of("bad.json"),
		    strlen(path_of("bad.json"))) != 0) {
			fprintf(stderr, "case %zu: message \"%s\", expected "
			    "\"%s\"\n", i, err.msg, cases[i].msg);
			CHECK(0);
		}
		if (rc == MODEL_LOADED)
			model_release(&m);
	}
	unlink(path_of("bad.json"));
}

static void
test_later_fields(void)
{
	struct model m;
	struct ar_err err;
	char *t;

	write_file("later.json", "{\"surrogate\":{\"kind\":\"gp\"},"
	    "\"format\":\"autoresearch-model\",\"version\":2,\"study\":\"mm\","
	    "\"objective\":\"minimize time_s\",\"evals\":1,\"status\":"
	    "{\"ok\":1},\"best\":{\"id\":\"a\",\"score\":-1},\"rounds\":2,"
	    "\"strategies\":{\"bo\":{\"credit\":0.5}},\"policy\":[1,2]}");
	CHECK_INT(model_load(&m, path_of("later.json"), &err), MODEL_LOADED);
	feed(&m, "{\"status\":\"wrong\",\"score\":null,\"round\":3}");
	t = dump(&m);
	/* Known fields in their order, then the unknown ones as read. */
	CHECK_STR(t, "{\"format\":\"autoresearch-model\",\"version\":2,"
	    "\"study\":\"mm\",\"objective\":\"minimize time_s\",\"evals\":2,"
	    "\"status\":{\"ok\":1,\"wrong\":1},\"best\":{\"id\":\"a\","
	    "\"score\":-1},\"rounds\":3,\"strategies\":{\"bo\":{\"credit\":"
	    "0.5}},\"surrogate\":{\"kind\":\"gp\"},\"policy\":[1,2]}");
	free(t);
	model_release(&m);
	unlink(path_of("later.json"));
}

static void
test_atomic(void)
{
	struct model m;
	struct ar_err err;
	struct stat st;
	char *before, *after;

	model_init(&m, "mm", "minimize time_s");
	write_file("keep.json", "old\n");
	chmod(path_of("keep.json"), 0640);
	CHECK_INT(model_save(&m, path_of("keep.json"), &err), 0);
	CHECK_INT(stat(path_of("keep.json"), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0640);
	CHECK_INT(entries(), 1);

	/* A folder that does not exist: an error, nothing left behind. */
	CHECK_INT(model_save(&m, path_of("no/such/m.json"), &err), -1);
	CHECK(strstr(err.msg, "cannot create a temporary file in") != NULL);
	CHECK(strstr(err.msg, "No such file or directory") != NULL);
	CHECK_INT(entries(), 1);

	/* A model that cannot be renamed into place (a folder is there):
	 * the old file stands, the temporary file is gone. */
	CHECK_INT(mkdir(path_of("d.json"), 0755), 0);
	write_file("d.json/x", "x");
	before = read_file("keep.json");
	CHECK_INT(model_save(&m, path_of("d.json"), &err), -1);
	CHECK(strstr(err.msg, "cannot rename") != NULL);
	CHECK_INT(entries(), 2);
	after = read_file("keep.json");
	CHECK_STR(after, before);
	free(before);
	free(after);
	unlink(path_of("d.json/x"));
	rmdir(path_of("d.json"));
	unlink(path_of("keep.json"));
	model_release(&m);
}

/* The records of a study, with ties, failures and rising rounds. */
static const char *const history[] = {
	"{\"id\":\"1\",\"round\":1,\"status\":\"ok\",\"score\":-3.5}",
	"{\"id\":\"2\",\"round\":1,\"status\":\"crash\",\"score\":null}",
	"{\"id\":\"3\",\"round\":1,\"status\":\"ok\",\"score\":-2.25}",
	"{\"id\":\"4\",\"round\":2,\"status\":\"wrong\",\"score\":null}",
	"{\"id\":\"5\",\"round\":2,\"status\":\"ok\",\"score\":-2.25}",
	"{\"id\":\"6\",\"round\":2,\"status\":\"timeout\",\"score\":null}",
	"{\"id\":\"7\",\"round\":3,\"status\":\"ok\",\"score\":-1e-3}",
	"{\"id\":\"8\",\"round\":3,\"status\":\"ok\",\"score\":null}",
	"{\"id\":\"9\",\"round\":3,\"status\":\"suspicious\",\"score\":null}",
};

static void
test_incremental(void)
{
	static const size_t splits[] = { 1, 3, 4, 7, 9 };
	const size_t n = sizeof(history) / sizeof(history[0]);
	struct model m;
	struct ar_err err;
	size_t i, s, from = 0;
	char *whole, *parts;

	model_init(&m, "mm", "minimize time_s");
	for (i = 0; i < n; i++)
		feed(&m, history[i]);
	CHECK_INT(model_save(&m, path_of("whole.json"), &err), 0);
	model_release(&m);

	for (s = 0; s < sizeof(splits) / sizeof(splits[0]); s++) {
		if (model_load(&m, path_of("parts.json"), &err) ==
		    MODEL_ABSENT)
			model_init(&m, "mm", "minimize time_s");
		for (i = from; i < splits[s]; i++)
			feed(&m, history[i]);
		from = splits[s];
		CHECK_INT(model_save(&m, path_of("parts.json"), &err), 0);
		model_release(&m);
	}
	whole = read_file("whole.json");
	parts = read_file("parts.json");
	CHECK_STR(parts, whole);
	CHECK(whole != NULL && strstr(whole, "\"id\": \"7\"") != NULL);
	free(whole);
	free(parts);
	unlink(path_of("whole.json"));
	unlink(path_of("parts.json"));
}

/* ---- the rl policy and the prior, over a study of four parameters ---- */

static struct spec spec;
static struct space space;

/* A: 0..9, B: "x" "y" "z", C: 1 2.5, D: 0..39; 2400 configurations. */
static void
study_open(void)
{
	struct ar_err err;

	write_file("k.c", "void k(void) {}\n");
	write_file("u.json", "{\"name\": \"u\", \"backend\": \"c\", "
	    "\"source\": \"k.c\", \"entry\": \"k\", \"params\": {"
	    "\"A\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], \"B\": [\"x\", \"y\", "
	    "\"z\"], \"C\": [1, 2.5], \"D\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "
	    "10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, "
	    "26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]}, "
	    "\"objective\": \"minimize time_s\"}\n");
	if (spec_load(&spec, path_of("u.json"), NULL, 0, &err) != 0 ||
	    space_init(&space, &spec, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
}

static void
study_close(void)
{
	space_release(&space);
	spec_release(&spec);
	unlink(path_of("u.json"));
	unlink(path_of("k.c"));
}

/*
 * Record i of a synthetic history: configuration i * 7 mod 2400 (all
 * distinct over 2400 records), its time least at A=7, B="y", C=1, and a
 * crash whenever A is 0.  With study set, the record names the study.
 */
static json_t *
synth(size_t i, const char *study)
{
	static const char *const b[] = { "x", "y", "z" };
	size_t c = i * 7 % 2400;
	int A = (int)(c % 10), B = (int)(c / 10 % 3), C = (int)(c / 30 % 2);
	int D = (int)(c / 60);
	double t = (1 + abs(A - 7)) * (B == 1 ? 1 : 3) * (C == 0 ? 1 : 2) *
	    (1 + D % 3) * 1e-3;
	json_t *r = json_pack("{s:i,s:{s:i,s:s,s:f,s:i}}", "round",
	    (int)(i / 8 + 1), "params", "A", A, "B", b[B], "C",
	    C == 0 ? 1.0 : 2.5, "D", D);

	/* json_pack makes 1.0 a real: the study lists C's 1 as an integer,
	 * which the record must match by value. */
	if (study != NULL)
		json_object_set_new(r, "study", json_string(study));
	if (A == 0) {
		json_object_set_new(r, "status", json_string("crash"));
		json_object_set_new(r, "score", json_null());
	} else {
		json_object_set_new(r, "status", json_string("ok"));
		json_object_set_new(r, "score", json_real(-t));
	}
	return r;
}

static void
learn_range(struct model *m, size_t from, size_t to)
{
	struct ar_err err;
	json_t *r;
	size_t i;

	for (i = from; i < to; i++) {
		r = synth(i, "u");
		if (model_learn(m, &space, r, &err) < 0) {
			fprintf(stderr, "record %zu: %s\n", i, err.msg);
			CHECK(0);
		}
		json_decref(r);
	}
}

/* The index of the largest of n. */
static size_t
argmax(const double *p, size_t n)
{
	size_t k, best = 0;

	for (k = 1; k < n; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

static void
test_rl_learns(void)
{
	/* off: A at 0, B at 10, C at 13, D at 15; 55 values in all. */
	double p[55], q[55], sum;
	struct model m, n;
	struct ar_err err;
	size_t d, k;
	static const size_t off[] = { 0, 10, 13, 15, 55 };

	study_open();
	model_init(&m, "u", "minimize time_s");
	CHECK_INT(model_rl_probs(&m, &space, p), 0);
	CHECK_INT(model_rl_probs(NULL, &space, p), 0);
	learn_range(&m, 0, 300);
	CHECK_INT(model_rl_probs(&m, &space, p), 1);
	for (d = 0; d < 4; d++) {
		for (k = off[d], sum = 0; k < off[d + 1]; k++)
			sum += p[k];
		CHECK_DBL(sum, 1, 1e-12);
	}
	/* The policy is greedy: A=7 is best, its neighbours close. */
	CHECK(argmax(p, 10) >= 6 && argmax(p, 10) <= 8);
	CHECK(p[7] > 0.1);
	CHECK_INT(argmax(p + 10, 3), 1);
	CHECK_INT(argmax(p + 13, 2), 0);
	/* The crashes of A=0 make it one of the least likely values of A,
	 * its logit at the bound with the worst others. */
	for (k = 1; k < 10; k++)
		CHECK(p[0] <= p[k] * 1.01);
	CHECK(p[0] < 0.001);
	/* Read back from the file, unbound: the same probabilities. */
	CHECK_INT(model_save(&m, path_of("rl.json"), &err), 0);
	CHECK_INT(model_load(&n, path_of("rl.json"), &err), MODEL_LOADED);
	CHECK_INT(model_rl_probs(&n, &space, q), 1);
	CHECK(memcmp(p, q, sizeof(p)) == 0);
	model_release(&n);
	model_release(&m);
	unlink(path_of("rl.json"));
	study_close();
}

static void
test_rl_incremental(void)
{
	/* 1500 records, over 1024 of them ok: the rank sketch merges. */
	static const size_t splits[] = { 1, 9, 500, 1024, 1101, 1500 };
	struct model m;
	struct ar_err err;
	size_t s, from = 0;
	char *whole, *parts;
	json_t *j, *w;
	json_int_t sum = 0;
	size_t i;

	study_open();
	model_init(&m, "u", "minimize time_s");
	learn_range(&m, 0, 1500);
	CHECK_INT(model_save(&m, path_of("whole.json"), &err), 0);
	j = model_json(&m);
	w = json_object_get(json_object_get(json_object_get(json_object_get(
	    j, "strategies"), "rl"), "scores"), "weights");
	for (i = 0; i < json_array_size(w); i++)
		sum += json_integer_value(json_array_get(w, i));
	CHECK_INT(sum, m.counts[0].n);		/* every ok score */
	CHECK(json_array_size(w) < 1024);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(
	    json_object_get(j, "strategies"), "rl"), "records")), 1500);
	json_decref(j);
	model_release(&m);

	for (s = 0; s < sizeof(splits) / sizeof(splits[0]); s++) {
		if (model_load(&m, path_of("parts.json"), &err) ==
		    MODEL_ABSENT)
			model_init(&m, "u", "minimize time_s");
		learn_range(&m, from, splits[s]);
		from = splits[s];
		CHECK_INT(model_save(&m, path_of("parts.json"), &err), 0);
		model_release(&m);
	}
	whole = read_file("whole.json");
	parts = read_file("parts.json");
	CHECK_STR(parts, whole);
	free(whole);
	free(parts);
	unlink(path_of("whole.json"));
	unlink(path_of("parts.json"));
	study_close();
}

/* model_cfg_json, which reads a prior's params: lenient with keys the
 * study does not have, strict with its values. */
static void
test_cfg_json(void)
{
	static const struct {
		const char *text;
		int rc;
		space_idx cfg[4];
	} cases[] = {
		{ "{\"A\":7,\"B\":\"y\",\"C\":2.5,\"D\":39}", 0,
		    { 7, 1, 1, 39 } },
		{ "{\"D\": 0, \"C\": 1, \"B\": \"z\", \"A\": 0}", 0,
		    { 0, 2, 0, 0 } },
		/* By value, and by the text -D would give, as CSV needs. */
		{ "{\"A\":7.0,\"B\":\"y\",\"C\":1.0,\"D\":\"3\"}", 0,
		    { 7, 1, 0, 3 } },
		/* Keys the study does not have are ignored. */
		{ "{\"A\":1,\"B\":\"x\",\"C\":1,\"D\":2,\"E\":9}", 0,
		    { 1, 0, 0, 2 } },
		{ "{\"A\":1,\"B\":\"x\",\"C\":1}", -1, { 0 } },
		{ "{\"A\":10,\"B\":\"x\",\"C\":1,\"D\":2}", -1, { 0 } },
		{ "{\"A\":1,\"B\":\"w\",\"C\":1,\"D\":2}", -1, { 0 } },
		{ "{\"A\":1,\"B\":\"x\",\"C\":[1],\"D\":2}", -1, { 0 } },
		{ "null", -1, { 0 } },
		{ "[1,2]", -1, { 0 } },
	};
	space_idx b[4];
	json_error_t je;
	json_t *v;
	size_t i;

	study_open();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(b, 0, sizeof(b));
		v = json_loads(cases[i].text, JSON_DECODE_ANY, &je);
		CHECK_INT(model_cfg_json(&space, v, b), cases[i].rc);
		if (cases[i].rc == 0)
			CHECK(memcmp(b, cases[i].cfg, sizeof(b)) == 0);
		json_decref(v);
	}
	study_close();
}

/* Writes n records of the synthetic history, as a study's, to name. */
static void
write_prior(const char *name, size_t n, const char *study)
{
	FILE *f = fopen(path_of(name), "w");
	char *t;
	json_t *r;
	size_t i;

	for (i = 0; i < n; i++) {
		r = synth(i, study);
		t = json_dumps(r, JSON_COMPACT);
		fprintf(f, "%s\n", t);
		free(t);
		json_decref(r);
	}
	fclose(f);
}

static void
test_prior(void)
{
	struct model m, n, o;
	struct ar_err err;
	json_t *prior, *points, *pt, *q;
	size_t i, nok = 0, nfail = 0;
	double last = 2;
	char *a, *b;

	study_open();
	/* 2400 distinct configurations, 240 of them crashes (A=0). */
	write_prior("prior.jsonl", 2400, "v");
	model_init(&m, "u", "minimize time_s");
	CHECK_INT(model_read_prior(&m, path_of("prior.jsonl"), &err), -1);
	CHECK_STR(err.msg, "a prior warms a model that has learned nothing "
	    "yet");
	CHECK_INT(model_bind(&m, &space, &err), 0);
	CHECK_INT(model_read_prior(&m, path_of("prior.jsonl"), &err), 0);
	prior = json_object_get(m.extra, "prior");
	CHECK_STR(json_string_value(json_object_get(prior, "history")),
	    path_of("prior.jsonl"));
	CHECK_STR(json_string_value(json_object_get(prior, "study")), "v");
	CHECK_INT(json_integer_value(json_object_get(prior, "records")), 2400);
	points = json_object_get(prior, "points");
	for (i = 0; i < json_array_size(points); i++) {
		pt = json_array_get(points, i);
		q = json_object_get(pt, "q");
		CHECK(json_is_object(json_object_get(pt, "params")));
		if (json_is_number(q)) {
			CHECK_INT(nfail, 0);	/* the ok points first */
			CHECK(json_number_value(q) <= last);
			last = json_number_value(q);
			nok++;
		} else {
			CHECK(json_is_null(q));
			nfail++;
		}
	}
	CHECK_INT(nok, MODEL_PRIOR_OK);
	CHECK_INT(nfail, MODEL_PRIOR_FAILED);
	CHECK_DBL(json_number_value(json_object_get(json_array_get(points, 0),
	    "q")), 1, 0);
	/* The best point: the least time, A=7 B="y" C=1 and D % 3 == 0. */
	pt = json_object_get(json_array_get(points, 0), "params");
	CHECK_INT(json_integer_value(json_object_get(pt, "A")), 7);
	CHECK_STR(json_string_value(json_object_get(pt, "B")), "y");
	CHECK_INT(json_integer_value(json_object_get(pt, "D")) % 3, 0);
	/* The failures come in file order: record 0 is the first crash. */
	pt = json_object_get(json_array_get(points, MODEL_PRIOR_OK), "params");
	CHECK_INT(json_integer_value(json_object_get(pt, "A")), 0);
	CHECK_INT(json_integer_value(json_object_get(pt, "D")), 0);
	learn_range(&m, 0, 40);
	CHECK_INT(model_save(&m, path_of("m.json"), &err), 0);

	/* A rebuild that keeps the prior gives the same model. */
	CHECK_INT(model_load(&o, path_of("m.json"), &err), MODEL_LOADED);
	model_init(&n, "u", "minimize time_s");
	CHECK_INT(model_bind(&n, &space, &err), 0);
	CHECK_INT(model_keep_prior(&n, &o, &err), 1);
	CHECK(model_same_prior(&n, &o));
	CHECK(model_same_prior(&n, &m));
	learn_range(&n, 0, 40);
	a = dump(&m);
	b = dump(&n);
	CHECK_STR(b, a);
	free(a);
	free(b);
	model_release(&n);

	/* Another prior is not the same; no prior keeps nothing. */
	write_prior("short.jsonl", 100, NULL);
	model_init(&n, "u", "minimize time_s");
	CHECK_INT(model_bind(&n, &space, &err), 0);
	CHECK_INT(model_read_prior(&n, path_of("short.jsonl"), &err), 0);
	CHECK(json_is_null(json_object_get(json_object_get(n.extra, "prior"),
	    "study")));
	CHECK(!model_same_prior(&n, &o));
	model_release(&n);
	model_init(&n, "u", "minimize time_s");
	CHECK_INT(model_bind(&n, &space, &err), 0);
	CHECK_INT(model_keep_prior(&n, &n, &err), 0);
	CHECK(!model_same_prior(&n, &o));
	model_release(&n);
	model_release(&o);
	model_release(&m);

	/* Bad priors. */
	write_file("bad.jsonl", "{\"study\":\"v\",\"params\":{\"A\":1},"
	    "\"score\":null}\n{\"study\":\"w\",\"params\":{},\"score\":1}\n");
	model_init(&n, "u", "minimize time_s");
	CHECK_INT(model_bind(&n, &space, &err), 0);
	CHECK_INT(model_read_prior(&n, path_of("bad.jsonl"), &err), -1);
	CHECK(strstr(err.msg, "bad.jsonl:2: a record of study 'w', but the "
	    "prior's are of study 'v'") != NULL);
	CHECK(json_object_get(n.extra, "prior") == NULL);
	CHECK_INT(model_read_prior(&n, path_of("none.jsonl"), &err), -1);
	CHECK(strstr(err.msg, "cannot open") != NULL);
	model_release(&n);
	unlink(path_of("bad.jsonl"));
	unlink(path_of("short.jsonl"));
	unlink(path_of("prior.jsonl"));
	unlink(path_of("m.json"));
	study_close();
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_empty);
	RUN(test_status_order);
	RUN(test_best);
	RUN(test_bad_records);
	RUN(test_save_load);
	RUN(test_load_refusals);
	RUN(test_later_fields);
	RUN(test_atomic);
	RUN(test_incremental);
	RUN(test_rl_learns);
	RUN(test_rl_incremental);
	RUN(test_cfg_json);
	RUN(test_prior);
	rmdir(dir);
	return check_done("test_model");
}
