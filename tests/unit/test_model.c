/*
 * Unit tests for lib/model.c: counting records, the best and its ties,
 * the file's layout, loading and its refusals, fields of later versions,
 * atomic saving, and run-by-run updates giving the rebuilt file.
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
	CHECK_STR(t, "{\"format\":\"autoresearch-model\",\"version\":1,"
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
	    "\"autoresearch-model\",\n  \"version\": 1,\n") != NULL);
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
		{ "{\"format\":\"autoresearch-model\",\"version\":2}",
		    MODEL_UNUSABLE, "model format version 2 is newer than "
		    "this program's (1)" },
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
	    "\"format\":\"autoresearch-model\",\"version\":1,\"study\":\"mm\","
	    "\"objective\":\"minimize time_s\",\"evals\":1,\"status\":"
	    "{\"ok\":1},\"best\":{\"id\":\"a\",\"score\":-1},\"rounds\":2,"
	    "\"strategies\":{\"bo\":{\"credit\":0.5}},\"policy\":[1,2]}");
	CHECK_INT(model_load(&m, path_of("later.json"), &err), MODEL_LOADED);
	feed(&m, "{\"status\":\"wrong\",\"score\":null,\"round\":3}");
	t = dump(&m);
	/* Known fields in their order, then the unknown ones as read. */
	CHECK_STR(t, "{\"format\":\"autoresearch-model\",\"version\":1,"
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
	rmdir(dir);
	return check_done("test_model");
}
