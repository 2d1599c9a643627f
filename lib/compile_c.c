/*
 * compile_c: backend "c", a variant built by cc into a shared object
 * (cc -shared -fPIC FLAGS -D... -o tmp SOURCE).  The key names the
 * compiler as it is run and the first line of its --version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

/* The key's version tag: it changes when the command's shape does. */
#define TAG_CC		"autoresearch build 1: cc -shared -fPIC"

static const char *
pick_cc(const struct build_req *req)
{
	const char *cc = req->cc;

	if (cc == NULL || *cc == '\0')
		cc = getenv("CC");
	if (cc == NULL || *cc == '\0')
		cc = "cc";
	return cc;
}

/*
 * Code built for "the machine it is built on" differs between machines
 * that may share a cache folder (a home on NFS), so the CPU is part of
 * the key then.
 */
static void
add_cpu(struct ar_buf *b, char *const *flags)
{
	char line[4096];
	FILE *f;
	int native = 0, model = 0, feat = 0;
	size_t i;

	for (i = 0; flags != NULL && flags[i] != NULL; i++)
		if (strstr(flags[i], "=native") != NULL)
			native = 1;
	if (!native)
		return;
	buf_adds(b, "cpu");
	buf_add(b, "", 1);
	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while ((!model || !feat) && fgets(line, sizeof(line), f) != NULL) {
		if (!model && strncmp(line, "model name", 10) == 0)
			model = 1;
		else if (!feat && (strncmp(line, "flags", 5) == 0 ||
		    strncmp(line, "Features", 8) == 0))
			feat = 1;
		else
			continue;
		buf_adds(b, line);
	}
	buf_add(b, "", 1);
	fclose(f);
}

static int
c_key(const struct build_req *req, const char **tag, struct ar_buf *tail,
    struct ar_err *err)
{
	const char *cc = pick_cc(req);
	char *ident;

	if ((ident = compile_ident(cc, "", err)) == NULL)
		return -1;
	*tag = TAG_CC;
	compile_key_field(tail, "cc");
	compile_key_field(tail, cc);
	compile_key_field(tail, ident);
	add_cpu(tail, req->flags);
	free(ident);
	return 0;
}

static int
c_build(const struct build_req *req, const char *tmpout,
    struct compile_run *run, struct ar_err *err)
{
	char **argv = compile_argv(estrdup(pick_cc(req)), estrdup("-shared"),
	    estrdup("-fPIC"), req, tmpout);
	int rc = compile_exec(argv, tmpout, req->timeout_s, run, err);

	ar_strv_free(argv);
	return rc;
}

static const char *const c_columns[] = {
	"artifact", "compile.status", "compile.seconds", "compile.log",
	"compile.sha256", NULL
};

const struct compile_backend compile_c = {
	.name = "c",
	.suffix = ".so",
	.columns = c_columns,
	.key = c_key,
	.build = c_build,
};
