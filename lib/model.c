#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The statuses of ar-formats(7), in the order a model lists them. */
static const char *const statuses[] = {
	"ok", "compile_error", "invalid", "wrong", "crash", "timeout",
	"suspicious"
};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* A record without a status is counted under this name. */
#define NO_STATUS "none"

/* The fields of version 1, in the order they are written. */
static const char *const fields[] = {
	"format", "version", "study", "objective", "evals", "status", "best",
	"rounds", "strategies"
};

void
model_init(struct model *m, const char *study, const char *objective)
{
	memset(m, 0, sizeof(*m));
	m->study = estrdup(study);
	m->objective = estrdup(objective);
	m->strategies = json_object();
	m->extra = json_object();
}

void
model_release(struct model *m)
{
	size_t i;

	free(m->study);
	free(m->objective);
	for (i = 0; i < m->ncounts; i++)
		free(m->counts[i].status);
	free(m->counts);
	json_decref(m->best);
	json_decref(m->strategies);
	json_decref(m->extra);
	memset(m, 0, sizeof(*m));
}

/* Where a status sorts: the known ones first, in their order, then by name. */
static int
status_cmp(const char *a, const char *b)
{
	size_t i, ia = NSTATUSES, ib = NSTATUSES;

	for (i = 0; i < NSTATUSES; i++) {
		if (strcmp(a, statuses[i]) == 0)
			ia = i;
		if (strcmp(b, statuses[i]) == 0)
			ib = i;
	}
	if (ia != ib)
		return ia < ib ? -1 : 1;
	return strcmp(a, b);
}

static void
add_count(struct model *m, const char *status, json_int_t n)
{
	size_t i;
	int c = 1;

	for (i = 0; i < m->ncounts; i++)
		if ((c = status_cmp(status, m->counts[i].status)) <= 0)
			break;
	if (i < m->ncounts && c == 0) {
		m->counts[i].n += n;
		return;
	}
	m->counts = ereallocarray(m->counts, m->ncounts + 1,
	    sizeof(*m->counts));
	memmove(m->counts + i + 1, m->counts + i,
	    (m->ncounts - i) * sizeof(*m->counts));
	m->counts[i].status = estrdup(status);
	m->counts[i].n = n;
	m->ncounts++;
}

static int
is_count(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

/* Reads the whole file; 0, 1 when there is none, or -1. */
static int
slurp(const char *path, struct ar_buf *b, struct ar_err *err)
{
	FILE *f = fopen(path, "r");
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		if (errno == ENOENT)
			return 1;
		ar_errf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	if (ferror(f)) {
		ar_errf(err, "cannot read '%s': %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int
load_fields(struct model *m, json_t *root, const char *path,
    struct ar_err *err)
{
	json_t *v, *best;
	const char *key;
	json_int_t sum = 0;
	size_t i;

	m->study = estrdup(json_string_value(json_object_get(root, "study")));
	m->objective = estrdup(json_string_value(json_object_get(root,
	    "objective")));
	m->evals = json_integer_value(json_object_get(root, "evals"));
	m->rounds = json_integer_value(json_object_get(root, "rounds"));
	json_object_foreach(json_object_get(root, "status"), key, v) {
		if (!is_count(v)) {
			ar_errf(err, "%s: key \"status.%s\": expected an "
			    "integer of at least 0", path, key);
			return -1;
		}
		add_count(m, key, json_integer_value(v));
		sum += json_integer_value(v);
	}
	if (sum != m->evals) {
		ar_errf(err, "%s: the status counts add up to %lld, but "
		    "\"evals\" is %lld", path, (long long)sum,
		    (long long)m->evals);
		return -1;
	}
	best = json_object_get(root, "best");
	if (json_is_object(best)) {
		if (!json_is_number(json_object_get(best, "score"))) {
			ar_errf(err, "%s: key \"best.score\": expected a "
			    "number", path);
			return -1;
		}
		m->best = json_incref(best);
		m->best_score = json_number_value(json_object_get(best,
		    "score"));
	}
	v = json_object_get(root, "strategies");
	m->strategies = v != NULL ? json_incref(v) : json_object();
	m->extra = json_object();
	json_object_foreach(root, key, v) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i]) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0]))
			json_object_set(m->extra, key, v);
	}
	return 0;
}

/* Checks the types of the fields of version 1. */
static int
check_fields(json_t *root, const char *path, struct ar_err *err)
{
	static const struct {
		const char *key;
		int type;	/* json_type; -1 a count; -2 object/null */
		int required;
	} want[] = {
		{ "study", JSON_STRING, 1 },
		{ "objective", JSON_STRING, 1 },
		{ "evals", -1, 1 },
		{ "status", JSON_OBJECT, 1 },
		{ "best", -2, 1 },
		{ "rounds", -1, 1 },
		{ "strategies", JSON_OBJECT, 0 },
	};
	size_t i;
	json_t *v;
	int ok;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if ((v = json_object_get(root, want[i].key)) == NULL) {
			if (!want[i].required)
				continue;
			ar_errf(err, "%s: key \"%s\": missing", path,
			    want[i].key);
			return -1;
		}
		if (want[i].type == -1)
			ok = is_count(v);
		else if (want[i].type == -2)
			ok = json_is_object(v) || json_is_null(v);
		else
			ok = (int)json_typeof(v) == want[i].type;
		if (!ok) {
			ar_errf(err, "%s: key \"%s\": expected %s", path,
			    want[i].key, want[i].type == -1 ?
			    "an integer of at least 0" : want[i].type == -2 ?
			    "an object or null" :
			    want[i].type == JSON_STRING ? "a string" :
			    "an object");
			return -1;
		}
	}
	return 0;
}

int
model_load(struct model *m, const char *path, struct ar_err *err)
{
	struct ar_buf b = { 0 };
	json_error_t je;
	json_t *root = NULL, *format, *version;
	size_t i;
	int rc;

	if ((rc = slurp(path, &b, err)) != 0) {
		free(b.buf);
		return rc > 0 ? MODEL_ABSENT : MODEL_NOTMODEL;
	}
	for (i = 0; i < b.len && strchr(" \t\r\n", b.buf[i]) != NULL; i++)
		continue;
	if (i == b.len) {
		free(b.buf);
		ar_errf(err, "%s: the model file is empty", path);
		return MODEL_UNUSABLE;
	}
	root = json_loadb(b.buf, b.len, JSON_REJECT_DUPLICATES, &je);
	free(b.buf);
	if (root == NULL) {
		ar_errf(err, "%s: not a model file: invalid JSON at line %d: "
		    "%s", path, je.line, je.text);
		return MODEL_NOTMODEL;
	}
	format = json_object_get(root, "format");
	if (!json_is_object(root) || !json_is_string(format) ||
	    strcmp(json_string_value(format), MODEL_FORMAT) != 0) {
		ar_errf(err, "%s: not a model file (no \"format\": \"%s\")",
		    path, MODEL_FORMAT);
		json_decref(root);
		return MODEL_NOTMODEL;
	}
	version = json_object_get(root, "version");
	rc = MODEL_UNUSABLE;
	if (!json_is_integer(version))
		ar_errf(err, "%s: key \"version\": expected an integer", path);
	else if (json_integer_value(version) > MODEL_VERSION)
		ar_errf(err, "%s: model format version %lld is newer than "
		    "this program's (%d)", path,
		    (long long)json_integer_value(version), MODEL_VERSION);
	else if (json_integer_value(version) < 1)
		ar_errf(err, "%s: unknown model format version %lld", path,
		    (long long)json_integer_value(version));
	else if (check_fields(root, path, err) == 0) {
		struct model t;

		memset(&t, 0, sizeof(t));
		if (load_fields(&t, root, path, err) == 0) {
			*m = t;
			rc = MODEL_LOADED;
		} else
			model_release(&t);
	}
	json_decref(root);
	return rc;
}

int
model_obs_json(json_t *rec, struct model_obs *o, struct ar_err *err)
{
	json_t *score = json_object_get(rec, "score");
	json_t *status = json_object_get(rec, "status");
	json_t *round = json_object_get(rec, "round");

	memset(o, 0, sizeof(*o));
	if (score == NULL) {
		ar_errf(err, "no field \"score\": the record is not scored "
		    "(ar-score adds it)");
		return -1;
	}
	if (json_is_number(score)) {
		o->has_score = 1;
		o->score = json_number_value(score);
	} else if (!json_is_null(score)) {
		ar_errf(err, "field \"score\" is not a number or null");
		return -1;
	}
	if (status != NULL && !json_is_string(status)) {
		ar_errf(err, "field \"status\" is not a string");
		return -1;
	}
	o->status = json_string_value(status);
	if (json_is_integer(round)) {
		o->has_round = 1;
		o->round = json_integer_value(round);
	} else if (round != NULL && !json_is_null(round)) {
		ar_errf(err, "field \"round\" is not an integer");
		return -1;
	}
	return 0;
}

int
model_beats(const struct model *m, const struct model_obs *o)
{
	/* A strictly higher score: a tie keeps the earlier record. */
	return o->status != NULL && strcmp(o->status, "ok") == 0 &&
	    o->has_score && (m->best == NULL || o->score > m->best_score);
}

int
model_count(struct model *m, const struct model_obs *o)
{
	m->evals++;
	add_count(m, o->status != NULL ? o->status : NO_STATUS, 1);
	if (o->has_round && o->round > m->rounds)
		m->rounds = o->round;
	return model_beats(m, o);
}

void
model_set_best(struct model *m, json_t *rec, double score)
{
	static const char *const keep[] = {
		"id", "round", "objective", "score", "params", "metrics"
	};
	json_t *best = json_object(), *v;
	size_t i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		v = json_object_get(rec, keep[i]);
		json_object_set_new(best, keep[i], v != NULL ?
		    json_deep_copy(v) : json_null());
	}
	json_decref(m->best);
	m->best = best;
	m->best_score = score;
}

int
model_update(struct model *m, json_t *rec, struct ar_err *err)
{
	struct model_obs o;

	if (model_obs_json(rec, &o, err) != 0)
		return -1;
	if (!model_count(m, &o))
		return 0;
	model_set_best(m, rec, o.score);
	return 1;
}

json_t *
model_json(const struct model *m)
{
	json_t *root = json_object(), *counts = json_object(), *v;
	const char *key;
	size_t i;

	for (i = 0; i < m->ncounts; i++)
		json_object_set_new(counts, m->counts[i].status,
		    json_integer(m->counts[i].n));
	json_object_set_new(root, "format", json_string(MODEL_FORMAT));
	json_object_set_new(root, "version", json_integer(MODEL_VERSION));
	json_object_set_new(root, "study", json_string(m->study));
	json_object_set_new(root, "objective", json_string(m->objective));
	json_object_set_new(root, "evals", json_integer(m->evals));
	json_object_set_new(root, "status", counts);
	json_object_set(root, "best", m->best != NULL ? m->best :
	    json_null());
	json_object_set_new(root, "rounds", json_integer(m->rounds));
	json_object_set(root, "strategies", m->strategies);
	json_object_foreach(m->extra, key, v)
		json_object_set(root, key, v);
	return root;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
model_save(const struct model *m, const char *path, struct ar_err *err)
{
	const char *slash = strrchr(path, '/'), *base;
	struct ar_buf dir = { 0 }, tmp = { 0 };
	json_t *root = model_json(m);
	char *text = json_dumps(root, JSON_INDENT(2));
	struct stat st;
	mode_t mode, mask;
	int fd = -1, dfd, rc = -1;

	json_decref(root);
	if (text == NULL)
		ar_die(AR_EXIT_FAIL, "out of memory");
	if (slash == NULL) {
		buf_adds(&dir, ".");
		base = path;
	} else {
		buf_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
		base = slash + 1;
	}
	buf_printf(&tmp, "%.*s.%s.XXXXXX", (int)(base - path), path, base);
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	else {
		mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	if ((fd = mkstemp(tmp.buf)) < 0) {
		ar_errf(err, "cannot create a temporary file in '%s': %s",
		    dir.buf, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, text, strlen(text)) != 0 ||
	    write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
		ar_errf(err, "cannot write '%s': %s", tmp.buf,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		ar_errf(err, "cannot write '%s': %s", tmp.buf,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.buf, path) != 0) {
		ar_errf(err, "cannot rename '%s' to '%s': %s", tmp.buf, path,
		    strerror(errno));
		goto out;
	}
	tmp.len = 0;	/* renamed: nothing to remove */
	/* The rename is durable once the folder's entry is on disk. */
	if ((dfd = open(dir.buf, O_RDONLY | O_DIRECTORY)) < 0 ||
	    (fsync(dfd) != 0 && errno != EINVAL)) {
		ar_errf(err, "cannot flush the folder '%s': %s", dir.buf,
		    strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp.len > 0)
		unlink(tmp.buf);
	free(text);
	free(dir.buf);
	free(tmp.buf);
	return rc;
}
