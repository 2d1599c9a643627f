/*
 * external: the external proposer of a study, and the variants of the
 * records ar-propose writes (external.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "external.h"
#include "history.h"
#include "proc.h"
#include "rec.h"
#include "varstore.h"

/* What stdout may hold, whatever the number wanted. */
#define EXTERNAL_MAX_OUTPUT	((size_t)256 << 20)
/* The longest "by" a proposer may give itself. */
#define EXTERNAL_MAX_BY		64

int
external_check(const struct spec *s, struct ar_err *err)
{
	static const char *const known[] = { "command", "timeout_s" };
	json_t *p = json_object_get(s->root, "proposer"), *cmd, *v, *t;
	const char *key, *near;
	size_t i;

	if (!json_is_object(p)) {
		ar_errf(err, "%s: key \"proposer\": the study names no "
		    "proposer, which --strategy external runs", s->path);
		return -1;
	}
	json_object_foreach(p, key, v) {
		if (strcmp(key, known[0]) == 0 || strcmp(key, known[1]) == 0)
			continue;
		near = ar_nearest(key, known, 2);
		if (near != NULL)
			ar_errf(err, "%s: key \"proposer.%s\": unknown key "
			    "(did you mean \"%s\"?)", s->path, key, near);
		else
			ar_errf(err, "%s: key \"proposer.%s\": unknown key "
			    "(command, timeout_s)", s->path, key);
		return -1;
	}
	cmd = json_object_get(p, "command");
	if (!json_is_array(cmd) || json_array_size(cmd) == 0) {
		ar_errf(err, "%s: key \"proposer.command\": must be a "
		    "non-empty array of strings, the program and its "
		    "arguments", s->path);
		return -1;
	}
	json_array_foreach(cmd, i, v)
		if (!json_is_string(v) || (i == 0 &&
		    json_string_length(v) == 0) ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			ar_errf(err, "%s: key \"proposer.command[%zu]\": must "
			    "be a %s", s->path, i, i == 0 ? "non-empty string, "
			    "the program's name or path" : "string");
			return -1;
		}
	t = json_object_get(p, "timeout_s");
	if (t != NULL && (!json_is_number(t) || !(json_number_value(t) > 0)
	    || json_number_value(t) > 1e9)) {
		ar_errf(err, "%s: key \"proposer.timeout_s\": must be a "
		    "positive number of seconds", s->path);
		return -1;
	}
	return 0;
}

const char *
external_name(const struct spec *s)
{
	json_t *cmd = json_object_get(json_object_get(s->root, "proposer"),
	    "command");

	return json_string_value(json_array_get(cmd, 0)) ?
	    json_string_value(json_array_get(cmd, 0)) : "";
}

/* Whether s is 1 to EXTERNAL_MAX_BY letters, digits, '.', '_' or '-'. */
static int
is_token(const char *s, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

	return len > 0 && len <= EXTERNAL_MAX_BY && strspn(s, ok) == len;
}

/*
 * One line of the proposer's output into p: 0, or -1 with what is wrong
 * in msg (the caller says which line).
 */
static int
read_line(const struct spec *s, struct space *sp, const char *line,
    size_t len, struct external_prop *p, struct ar_err *msg)
{
	json_error_t jerr;
	json_t *o, *v, *params = NULL, *source = NULL;
	const char *key;
	struct ar_err e;
	int rc = -1;

	if ((o = json_loadb(line, len, JSON_DECODE_ANY, &jerr)) == NULL) {
		ar_errf(msg, "not valid JSON: %s", jerr.text);
		return -1;
	}
	if (!json_is_object(o)) {
		ar_errf(msg, "not a JSON object");
		goto out;
	}
	json_object_foreach(o, key, v) {
		if (strcmp(key, "params") == 0)
			params = v;
		else if (strcmp(key, "source") == 0)
			source = v;
		else if (strcmp(key, "parent") != 0 && strcmp(key, "by") != 0
		    && strcmp(key, "ops") != 0) {
			ar_errf(msg, "unknown key \"%s\" (params, source, "
			    "parent, by or ops)", key);
			goto out;
		}
	}
	if (params == NULL) {
		ar_errf(msg, "no \"params\"");
		goto out;
	}
	if (!json_is_object(params)) {
		ar_errf(msg, "\"params\" must be an object");
		goto out;
	}
	if (space_from_json(sp, params, p->cfg, &e) != 0) {
		ar_errf(msg, "%s", e.msg);
		goto out;
	}
	if (source == NULL) {
		const char *k = json_object_get(o, "parent") ? "parent" :
		    json_object_get(o, "by") ? "by" :
		    json_object_get(o, "ops") ? "ops" : NULL;

		if (k != NULL) {
			ar_errf(msg, "\"%s\" without a \"source\"", k);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (!json_is_string(source)) {
		ar_errf(msg, "\"source\" must be a string, the whole program");
		goto out;
	}
	p->len = json_string_length(source);
	if (p->len == 0) {
		ar_errf(msg, "\"source\" is empty");
		goto out;
	}
	if (p->len > s->variant_max) {
		ar_errf(msg, "\"source\" holds %zu bytes, over the study's "
		    "limit of %zu (variant_max_bytes)", p->len,
		    s->variant_max);
		goto out;
	}
	if ((v = json_object_get(o, "parent")) != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || json_string_length(v) !=
		    HASH_HEXLEN || !hash_is_hex(json_string_value(v),
		    HASH_HEXLEN)) {
			ar_errf(msg, "\"parent\" must be a SHA-256 as 64 "
			    "lowercase hex digits, or null");
			goto out;
		}
		memcpy(p->parent, json_string_value(v), HASH_HEXLEN + 1);
	}
	if ((v = json_object_get(o, "by")) != NULL) {
		if (!json_is_string(v) || !is_token(json_string_value(v),
		    json_string_length(v))) {
			ar_errf(msg, "\"by\" must be a name of 1 to %d letters, "
			    "digits, '.', '_' or '-'", EXTERNAL_MAX_BY);
			goto out;
		}
		p->by = estrdup(json_string_value(v));
	}
	if ((v = json_object_get(o, "ops")) != NULL) {
		if (!json_is_array(v)) {
			ar_errf(msg, "\"ops\" must be an array");
			goto out;
		}
		p->ops = json_incref(v);
	}
	p->source = emalloc(p->len + 1);
	memcpy(p->source, json_string_value(source), p->len + 1);
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* "NAME=VALUE", new. */
static char *
env_var(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
env_var(const char *name, const char *fmt, ...)
{
	struct ar_buf b = { 0 };
	char val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	buf_printf(&b, "%s=%s", name, val);
	return b.buf;
}

static char *
env_str(const char *name, const char *val)
{
	struct ar_buf b = { 0 };

	buf_printf(&b, "%s=%s", name, val);
	return b.buf;
}

/* The proposer's output, line by line, into b: 0, or -1 with err set. */
static int
read_output(const struct spec *s, struct space *sp, const char *out,
    size_t outlen, struct external_batch *b, struct ar_err *err)
{
	const char *line = out, *end = out + outlen, *nl;
	size_t cap = 0, lineno = 0, np = sp->np ? sp->np : 1;
	struct external_prop *p;
	struct ar_err msg;

	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		lineno++;
		if (strspn(line, " \t\r") >= (size_t)(nl - line))
			continue;	/* a blank line */
		if (b->n == cap) {
			cap = cap ? 2 * cap : 16;
			b->p = ereallocarray(b->p, cap, sizeof(*b->p));
		}
		p = memset(&b->p[b->n], 0, sizeof(*p));
		p->cfg = ecalloc(np, sizeof(*p->cfg));
		p->line = lineno;
		b->n++;
		if (memchr(line, '\0', (size_t)(nl - line)) != NULL) {
			ar_errf(err, "proposer '%s' line %zu: holds a NUL "
			    "byte", external_name(s), lineno);
			return -1;
		}
		if (read_line(s, sp, line, (size_t)(nl - line), p, &msg)
		    != 0) {
			ar_errf(err, "proposer '%s' line %zu: %s",
			    external_name(s), lineno, msg.msg);
			return -1;
		}
	}
	return 0;
}

int
external_run(const struct spec *s, struct space *sp,
    const struct external_env *env, struct external_batch *b,
    enum external_fail *why, struct ar_err *err)
{
	json_t *p = json_object_get(s->root, "proposer");
	json_t *cmd = json_object_get(p, "command"), *t;
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result res;
	char **argv, *envv[7], desc[128];
	size_t i, n = json_array_size(cmd), max;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	*why = EXTERNAL_BAD_INPUT;
	if (external_check(s, err) != 0)
		return -1;
	argv = ecalloc(n + 1, sizeof(*argv));
	for (i = 0; i < n; i++)
		argv[i] = (char *)json_string_value(json_array_get(cmd, i));
	envv[0] = env_str("AR_STUDY", env->study);
	envv[1] = env_str("AR_HISTORY", env->history);
	envv[2] = env_str("AR_VARIANTS", env->variants);
	envv[3] = env_var("AR_NUMBER", "%ld", env->number);
	envv[4] = env_var("AR_SEED", "%llu", env->seed);
	envv[5] = env_var("AR_ROUND", "%ld", env->round);
	envv[6] = NULL;
	t = json_object_get(p, "timeout_s");
	o.timeout_s = t != NULL ? json_number_value(t) : EXTERNAL_TIMEOUT_S;
	o.cwd = s->dir;
	o.env = envv;
	/* Room for the number wanted, each source at its largest and
	 * escaped, and a margin for lines that will be dropped. */
	max = (size_t)(env->number > 0 ? env->number : 1);
	if (max > EXTERNAL_MAX_OUTPUT / (2 * s->variant_max + 65536))
		max = EXTERNAL_MAX_OUTPUT;
	else
		max = max * (2 * s->variant_max + 65536) + 65536;
	o.max_capture = max;
	if (proc_run(argv, &o, &res, err) != 0) {
		*why = EXTERNAL_FAILED;
		goto out;
	}
	b->err = res.err;
	b->errlen = res.errlen;
	res.err = NULL;
	if (res.end != PROC_EXITED || res.code != 0) {
		*why = res.end == PROC_NOEXEC ? EXTERNAL_BAD_INPUT :
		    EXTERNAL_FAILED;
		ar_errf(err, "proposer '%s' %s%s", argv[0],
		    proc_describe(&res, desc, sizeof(desc)),
		    res.end == PROC_NOEXEC ? " (key \"proposer.command\")" :
		    "; nothing proposed");
	} else if (res.out_truncated) {
		ar_errf(err, "proposer '%s' wrote more than %zu bytes",
		    argv[0], max);
	} else
		rc = read_output(s, sp, res.out, res.outlen, b, err);
	proc_result_release(&res);
out:
	if (b->err == NULL)
		b->err = estrdup("");
	for (i = 0; i < 6; i++)
		free(envv[i]);
	free(argv);
	return rc;
}

void
external_batch_release(struct external_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->p[i].cfg);
		free(b->p[i].source);
		free(b->p[i].by);
		json_decref(b->p[i].ops);
	}
	free(b->p);
	free(b->err);
	memset(b, 0, sizeof(*b));
}

void
external_history_ids(const char *text, size_t len, const char *name,
    const char *study, struct idset *ids)
{
	struct history h;
	struct ar_err e, last = { "" };
	const char *id, *st;
	size_t idlen;
	FILE *f;
	int rc;

	if (len == 0 || (f = fmemopen((void *)text, len, "r")) == NULL)
		return;
	history_open(&h, f, name);
	while ((rc = history_next(&h, &e)) != 0) {
		if (rc < 0) {
			/* search_read_history says what; a reader that
			 * cannot go on gives the same error again. */
			if (strcmp(e.msg, last.msg) == 0)
				break;
			last = e;
			continue;
		}
		st = history_string(&h, HISTORY_STUDY, NULL);
		if (st != NULL && strcmp(st, study) != 0)
			continue;
		if ((id = history_string(&h, HISTORY_ID, &idlen)) != NULL)
			idset_add(ids, hash_id_key(id, idlen));
	}
	history_close(&h);
	fclose(f);
}

int
external_slurp(FILE *f, const char *name, struct ar_buf *b,
    struct ar_err *err)
{
	char tmp[65536];
	size_t n;

	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(b, tmp, n);
	if (ferror(f)) {
		ar_errf(err, "%s: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

char *
external_tmpfile(const char *text, size_t len, struct ar_err *err)
{
	struct ar_buf b = { 0 };
	const char *dir = getenv("TMPDIR");
	int fd;

	buf_printf(&b, "%s/ar-history.XXXXXX", dir != NULL && *dir != '\0' ?
	    dir : "/tmp");
	if ((fd = mkstemp(b.buf)) < 0) {
		ar_errf(err, "cannot make a temporary file '%s': %s", b.buf,
		    strerror(errno));
		free(b.buf);
		return NULL;
	}
	if (ar_write_all(fd, text, len) != 0 || close(fd) != 0) {
		ar_errf(err, "cannot write '%s': %s", b.buf, strerror(errno));
		unlink(b.buf);
		free(b.buf);
		return NULL;
	}
	return b.buf;
}

int
external_variant(const struct space *sp, const char *dir,
    const space_idx *cfg, const char *text, size_t len, const char *parent,
    const char *by, json_t *ops, json_t **variant, char id[SPACE_IDLEN + 1],
    struct ar_err *err)
{
	const struct spec *s = sp->spec;
	char hash[HASH_HEXLEN + 1], *path = NULL, *rendered = NULL;
	int rc = -1;

	if (text == NULL) {
		rendered = space_render(sp, cfg, &len, ops != NULL ? NULL :
		    &ops, err);
		if (rendered == NULL)
			goto out;
		text = rendered;
		by = by != NULL ? by : "transform";
	} else
		by = by != NULL ? by : "external";
	if (len > s->variant_max) {
		ar_errf(err, "the variant holds %zu bytes, over the study's "
		    "limit of %zu (variant_max_bytes)", len, s->variant_max);
		goto out;
	}
	if (varstore_put(dir, varstore_ext(s->backend), text, len, hash,
	    &path, err) != 0)
		goto out;
	*variant = varstore_json(hash, path, parent, by, ops);
	ops = NULL;
	space_id_variant(sp, cfg, hash, id);
	rc = 0;
out:
	json_decref(ops);
	free(rendered);
	free(path);
	return rc;
}

int
external_env_paths(struct external_env *env, const char *path,
    char *const *hists, size_t nhists, const struct ar_buf *hist,
    struct ar_err *err)
{
	env->history = NULL;
	env->tmp = 0;
	if ((env->study = realpath(path, NULL)) == NULL) {
		ar_errf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (nhists == 1 && strcmp(hists[0], "-") != 0)
		env->history = realpath(hists[0], NULL);
	else if (nhists > 0) {
		env->history = external_tmpfile(hist->buf ? hist->buf : "",
		    hist->len, err);
		if (env->history == NULL) {
			external_env_release(env);
			return -1;
		}
		env->tmp = 1;
	}
	if (env->history == NULL)
		env->history = estrdup("");
	return 0;
}

void
external_env_release(struct external_env *env)
{
	if (env->tmp && env->history != NULL)
		unlink(env->history);
	free(env->study);
	free(env->history);
	env->study = env->history = NULL;
	env->tmp = 0;
}

int
external_record(const struct space *sp, const char *dir,
    const space_idx *cfg, long round, const char *strategy,
    const struct external_prop *p, const space_idx *parent, json_t **rec,
    char id[SPACE_IDLEN + 1], struct ar_err *err)
{
	char hash[HASH_HEXLEN + 1];
	json_t *variant = NULL;
	int rc = 0;

	if (p != NULL && p->source != NULL)
		rc = external_variant(sp, dir, cfg, p->source, p->len,
		    p->parent[0] != '\0' ? p->parent : NULL, p->by,
		    p->ops != NULL ? json_incref(p->ops) : NULL, &variant, id,
		    err);
	else if (dir != NULL && sp->spec->xform != NULL) {
		if (parent != NULL &&
		    space_render_hash(sp, parent, hash, err) != 0)
			return -1;
		rc = external_variant(sp, dir, cfg, NULL, 0, parent != NULL ?
		    hash : NULL, NULL, NULL, &variant, id, err);
	}
	else
		space_id(sp, cfg, id);
	if (rc != 0)
		return -1;
	*rec = json_object();
	json_object_set_new(*rec, "study", json_string(sp->spec->name));
	json_object_set_new(*rec, "id", json_string(id));
	json_object_set_new(*rec, "round", json_integer(round));
	json_object_set_new(*rec, "strategy", json_string(strategy));
	json_object_set_new(*rec, "params", space_params_json(sp, cfg));
	if (variant != NULL)
		json_object_set_new(*rec, "variant", variant);
	return variant != NULL;
}

FILE *
external_history(FILE *f, const char *name, const char *study,
    struct ar_buf *hist, struct idset *ids, struct ar_err *err)
{
	size_t from = hist->len;
	FILE *m;

	err->msg[0] = '\0';
	if (external_slurp(f, name, hist, err) != 0 || hist->len == from)
		return NULL;
	external_history_ids(hist->buf + from, hist->len - from, name, study,
	    ids);
	if ((m = fmemopen(hist->buf + from, hist->len - from, "r")) == NULL)
		ar_errf(err, "%s: %s", name, strerror(errno));
	return m;
}

int
external_from(struct space *sp, FILE *f, const char *name,
    space_idx **cfgs, size_t *n, struct ar_err *err)
{
	struct rec_reader *r = rec_reader_new(f, name);
	size_t cap = 0, np = sp->np ? sp->np : 1;
	struct ar_err e;
	json_t *rec, *params;
	int rc;

	*cfgs = NULL;
	*n = 0;
	while ((rc = rec_read(r, &rec, err)) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			*cfgs = ereallocarray(*cfgs, cap * np, sizeof(**cfgs));
		}
		params = json_object_get(rec, "params");
		if (!json_is_object(params))
			params = rec;
		rc = space_from_json(sp, params, *cfgs + *n * np, &e);
		json_decref(rec);
		if (rc != 0) {
			ar_errf(err, "%s:%zu: %s", rec_reader_name(r),
			    rec_reader_line(r), e.msg);
			break;
		}
		(*n)++;
	}
	rec_reader_free(r);
	if (rc == 0 && *n == 0) {
		ar_errf(err, "%s: no configurations to read", name);
		rc = -1;
	}
	if (rc != 0) {
		free(*cfgs);
		*cfgs = NULL;
		return -1;
	}
	return 0;
}

const char **
external_columns(const struct spec *s)
{
	static const char *fixed[] = { "study", "id", "round", "strategy" };
	const char **cols = ecalloc(4 + s->nparams + 1, sizeof(*cols));
	size_t i;

	for (i = 0; i < 4; i++)
		cols[i] = fixed[i];
	for (i = 0; i < s->nparams; i++) {
		struct ar_buf b = { 0 };

		buf_printf(&b, "params.%s", s->params[i].name);
		cols[4 + i] = b.buf;
	}
	return cols;
}

void
external_columns_free(const char **cols)
{
	size_t i;

	for (i = 4; cols != NULL && cols[i] != NULL; i++)
		free((char *)cols[i]);
	free(cols);
}
