/*
 * The "command" backend: the study's program, run once per run with the
 * configuration in its arguments (and, with "env", its environment too),
 * timed from outside unless it says its own "time_s" on the last line it
 * writes, a JSON object that becomes the record's "output".  Nothing is
 * compiled; what the runs give is judged by the study's "check", a
 * program of its own, when it has one.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "bench.h"
#include "proc.h"

/* Lines of a failed command's stderr kept in "error". */
#define TAIL_LINES	3
/* Of a study with a check, this much of a run's output is kept for it. */
#define CHECK_CAPTURE	((size_t)1 << 20)

/* A program that cannot be started would make every record a crash: the
 * study is wrong, and nothing is measured. */
static int
command_open(struct bench *b, struct ar_err *err)
{
	if (spec_check_program(&b->spec, "command", err) != 0 ||
	    spec_check_program(&b->spec, "check", err) != 0)
		return AR_EXIT_USAGE;
	return 0;
}

/*
 * The last line of text that is a JSON object, parsed, in *obj (NULL if
 * none).  Returns -1 with je filled when the last line that is not blank
 * begins with '{' but is not JSON: a result the program meant to give
 * and got wrong, which taken as no result would go unnoticed.
 */
static int
last_object(const char *text, json_t **obj, json_error_t *je)
{
	const char *end = text + strlen(text), *p, *q;
	int last = 1;
	json_t *o;

	*obj = NULL;
	while (end > text) {
		for (p = end; p > text && p[-1] != '\n'; p--)
			;
		for (q = p; q < end && isspace((unsigned char)*q); q++)
			;
		if (q < end) {
			o = json_loadb(p, (size_t)(end - p),
			    JSON_REJECT_DUPLICATES, je);
			if (json_is_object(o)) {
				*obj = o;
				return 0;
			}
			json_decref(o);
			if (last && *q == '{')
				return -1;
			last = 0;
		}
		end = p > text ? p - 1 : text;
	}
	return 0;
}

/* The command line of key ("command" or "check"): each "{NAME}" becomes
 * the value's text.  Returns NULL with err set when it cannot be made. */
static char **
command_argv(const struct spec *s, const char *key,
    const struct bench_item *it, struct ar_err *err)
{
	size_t n = json_array_size(json_object_get(s->root, key)), i;
	char **argv = ecalloc(n + 1, sizeof(*argv));
	const char **text = ecalloc(spec_nslots(s) + 1, sizeof(*text));

	for (i = 0; i < s->nparams; i++)
		text[i] = s->params[i].text[it->cfg[i]];
	for (i = 0; i < s->nconsts; i++)
		text[s->nparams + i] = s->consts[i].text;
	for (i = 0; i < n; i++)
		if ((argv[i] = spec_argv_arg(s, key, i, text, err)) == NULL) {
			ar_strv_free(argv);
			argv = NULL;
			break;
		}
	free(text);
	return argv;
}

/*
 * The study's check, run on what the last run wrote (out, len): exit 0
 * leaves the outcome ok, 1 makes it wrong, anything else a crash (the
 * check itself failed, which says nothing of the result).  Returns -1
 * with err set when the machinery failed.
 */
static int
command_check(struct bench *b, struct bench_item *it, const char *out,
    size_t len, const struct proc_opts *runs, struct bench_outcome *o,
    struct ar_err *err)
{
	struct proc_opts po = *runs;	/* the runs' limits, folder, env */
	struct proc_result pr;
	char **argv, desc[256], *tail;
	int fd, rc = 0;

	if ((argv = command_argv(&b->spec, "check", it, err)) == NULL)
		return -1;
	if ((fd = proc_input("the check's input", out, len, err)) < 0) {
		ar_strv_free(argv);
		return -1;
	}
	po.stdin_from = fd;
	po.max_capture = 0;
	if (proc_run(argv, &po, &pr, err) != 0) {
		rc = -1;
		goto out;
	}
	proc_describe(&pr, desc, sizeof(desc));
	tail = measure_tail(pr.err, TAIL_LINES);
	if (pr.end == PROC_TIMEOUT)
		bench_fail(o, "timeout", "check: did not finish within %g s",
		    b->timeout_s);
	else if (pr.end == PROC_EXITED && pr.code == 1)
		bench_fail(o, "wrong", "check: %s", *tail ? tail :
		    "exited with status 1");
	else if (pr.end == PROC_NOEXEC)
		bench_fail(o, "crash", "check failed: %s", tail);
	else if (pr.end != PROC_EXITED || pr.code != 0)
		bench_fail(o, "crash", "check failed: %s%s%s", desc,
		    *tail ? ": " : "", tail);
	free(tail);
	proc_result_release(&pr);
out:
	close(fd);
	ar_strv_free(argv);
	return rc;
}

static int
command_measure(struct bench *b, struct bench_item *it,
    struct bench_outcome *o, struct ar_err *err)
{
	const struct spec *s = &b->spec;
	json_t *obj = NULL, *ts;
	size_t k, nruns = b->warmup + b->repeat;
	char **argv, **env = NULL;
	double *t;
	struct proc_opts po = PROC_OPTS_INIT;
	struct proc_result pr;
	json_error_t je;
	char desc[256], *tail;
	int rc = 0;

	if ((argv = command_argv(s, "command", it, err)) == NULL)
		return AR_EXIT_FAIL;
	t = ecalloc(nruns + 1, sizeof(*t));
	if (json_is_true(json_object_get(s->root, "env")))
		env = variant_defines(s, it->cfg);
	po.timeout_s = b->timeout_s;
	po.rlimit_cpu_s = b->cpu_s;
	po.rlimit_as = b->as_bytes;
	po.rlimit_fsize = b->file_bytes;
	po.cwd = s->dir;
	po.env = env;
	/* The result is the last JSON line, however much came before it. */
	po.capture_tail = 1;
	if (json_object_get(s->root, "check") != NULL)
		po.max_capture = CHECK_CAPTURE;

	for (k = 0; k < nruns; k++) {
		if (proc_run(argv, &po, &pr, err) != 0) {
			rc = AR_EXIT_FAIL;
			break;
		}
		proc_describe(&pr, desc, sizeof(desc));
		tail = measure_tail(pr.err, TAIL_LINES);
		if (pr.end == PROC_TIMEOUT)
			bench_fail(o, "timeout", "run %zu of %zu did not "
			    "finish within %g s", k + 1, nruns, b->timeout_s);
		else if (pr.end == PROC_SIGNALED &&
		    pr.limit == PROC_LIMIT_CPU)
			bench_fail(o, "timeout", "run %zu of %zu went past "
			    "the CPU-time limit of %g s (bench.cpu_s)", k + 1,
			    nruns, b->cpu_s);
		else if (pr.end == PROC_SIGNALED &&
		    pr.limit == PROC_LIMIT_FSIZE)
			bench_fail(o, "crash", "run %zu of %zu wrote a file "
			    "past the size limit of %zu bytes (bench.file_mb)",
			    k + 1, nruns, b->file_bytes);
		else if (pr.end == PROC_NOEXEC)
			bench_fail(o, "crash", "%s", tail);
		else if (pr.end != PROC_EXITED || pr.code != 0)
			bench_fail(o, "crash", "%s%s%s", desc,
			    *tail ? ": " : "", tail);
		free(tail);
		if (o->error != NULL) {
			proc_result_release(&pr);
			break;
		}
		json_decref(obj);
		if (last_object(pr.out, &obj, &je) != 0) {
			bench_fail(o, "invalid", "output of run %zu of %zu: "
			    "last line is not valid JSON: %s at column %d",
			    k + 1, nruns, je.text, je.column);
			proc_result_release(&pr);
			break;
		}
		t[k] = pr.wall_s;
		if (k + 1 == nruns && json_object_get(s->root, "check") !=
		    NULL && command_check(b, it, pr.out, pr.outlen, &po, o,
		    err) != 0) {
			proc_result_release(&pr);
			rc = AR_EXIT_FAIL;
			break;
		}
		if (o->error != NULL && strcmp(o->status, "wrong") == 0) {
			/* What it claimed, for whoever looks into it. */
			o->output = obj;
			obj = NULL;
		}
		if (o->error == NULL &&
		    (ts = json_object_get(obj, "time_s")) != NULL) {
			if (!json_is_number(ts) || !isfinite(
			    json_number_value(ts)) || json_number_value(ts) < 0)
				bench_fail(o, "crash", "the program's "
				    "\"time_s\" is not a number of seconds");
			else
				t[k] = json_number_value(ts);
		}
		proc_result_release(&pr);
		if (o->error != NULL)
			break;
	}
	if (rc == 0 && o->error == NULL) {
		o->status = "ok";
		stats_summary(t + b->warmup, b->repeat, &o->st);
		o->output = obj;
		obj = NULL;
		bench_check_bound(b, o);
	}
	json_decref(obj);
	ar_strv_free(argv);
	ar_strv_free(env);
	free(t);
	return rc;
}

const struct bench_backend bench_command = {
	.name = "command",
	.columns = bench_command_columns,
	.output = 1,
	.open = command_open,
	.measure = command_measure,
};
