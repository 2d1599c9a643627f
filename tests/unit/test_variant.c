/*
 * The modules under ar-compile and ar-bench alike: variant (what both
 * must agree on about a built variant), stats and util's file reading.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "stats.h"
#include "util.h"
#include "variant.h"
#include "varstore.h"

static char dir[] = "/tmp/test_variant.XXXXXX";

#include "study.h"

static const char study[] =
    "{\"name\":\"v\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[1,2,4],\"B\":[\"x\",\"y\"]},"
    "\"problem\":{\"N\":512},"
    "\"compile\":{\"cc\":\"gcc\",\"flags\":[\"-O3\",\"-march=native\"]}}";

static void
test_defines(void)
{
	struct spec s;
	struct space sp;
	space_idx cfg[2] = { 2, 1 };
	char **d;

	load(&s, &sp, study);
	d = variant_defines(&s, cfg);
	CHECK_STR(d[0], "A=4");
	CHECK_STR(d[1], "B=y");
	CHECK_STR(d[2], "N=512");
	CHECK(d[3] == NULL);
	ar_strv_free(d);
	/* The reference's: the constants alone. */
	d = variant_defines(&s, NULL);
	CHECK_STR(d[0], "N=512");
	CHECK(d[1] == NULL);
	ar_strv_free(d);
	space_release(&sp);
	spec_release(&s);
}

static void
test_compile_settings(void)
{
	struct spec s;
	struct space sp;
	struct variant_compile vc;
	struct build_req req;
	char *defs[] = { "A=1", NULL };

	load(&s, &sp, study);
	variant_compile_load(&vc, &s);
	CHECK_STR(vc.cc, "gcc");
	CHECK_STR(vc.flags[0], "-O3");
	CHECK_STR(vc.flags[1], "-march=native");
	CHECK(vc.flags[2] == NULL);
	variant_request(&vc, &s, defs, "/c", NULL, 1, &req);
	CHECK_STR(req.cc, "gcc");
	CHECK(req.arch == NULL);
	CHECK_INT(req.nvcc, 0);
	CHECK(req.defines == defs);
	CHECK_STR(req.cache, "/c");
	/* For a GPU the compiler is NVRTC or nvcc, never cc. */
	variant_request(&vc, &s, defs, "/c", "sm_90", 1, &req);
	CHECK(req.cc == NULL);
	CHECK_STR(req.arch, "sm_90");
	CHECK_INT(req.nvcc, 1);
	variant_compile_release(&vc);
	CHECK(vc.flags == NULL);
	space_release(&sp);
	spec_release(&s);
}

static void
test_real_arch(void)
{
	CHECK(variant_real_arch("sm_90"));
	CHECK(variant_real_arch("sm_90a"));
	CHECK(variant_real_arch("sm_1000"));
	CHECK(!variant_real_arch("sm_10000"));
	CHECK(!variant_real_arch("sm_"));
	CHECK(!variant_real_arch("sm_90ab"));
	CHECK(!variant_real_arch("sm_90A"));
	CHECK(!variant_real_arch("compute_90"));
	CHECK(!variant_real_arch(""));
}

static void
test_cache(void)
{
	char cwd[4096], want[4200], *c;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	c = variant_cache("/abs/x");
	CHECK_STR(c, "/abs/x");
	free(c);
	/* The name ar-compile writes into records: "./" dropped. */
	snprintf(want, sizeof(want), "%s/%s", cwd, "cache");
	c = variant_cache("././cache");
	CHECK_STR(c, want);
	free(c);
	setenv("AR_CACHE", "/from/env", 1);
	c = variant_cache(NULL);
	CHECK_STR(c, "/from/env");
	free(c);
}

static void
test_slurp(void)
{
	struct ar_buf b = { 0 };
	struct ar_err err;
	char path[256];

	write_file("f", "hello, world\n");
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK_INT(ar_slurp(path, 0, &b, &err), 0);
	CHECK_INT(b.len, 13);
	CHECK_STR(b.buf, "hello, world\n");
	/* It appends, and stops at max bytes in all. */
	CHECK_INT(ar_slurp(path, 18, &b, &err), 0);
	CHECK_INT(b.len, 18);
	CHECK_STR(b.buf, "hello, world\nhello");
	free(b.buf);
	memset(&b, 0, sizeof(b));
	snprintf(path, sizeof(path), "%s/none", dir);
	CHECK_INT(ar_slurp(path, 0, &b, &err), -1);
	CHECK_INT(errno, ENOENT);
	CHECK(strstr(err.msg, "cannot open '") != NULL);
	CHECK(strstr(err.msg, "No such file or directory") != NULL);
	free(b.buf);
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
}

static void
test_stats(void)
{
	static const double t[] = { 4, 1, 3, 2 };
	struct stats st;

	stats_summary(t, 4, &st);
	CHECK_INT(st.n, 4);
	CHECK_DBL(st.min, 1, 0);
	CHECK_DBL(st.median, 2.5, 0);
	CHECK_DBL(st.mean, 2.5, 0);
	CHECK_DBL(st.sd, 1.2909944487358056, 1e-15);
	CHECK_DBL(t[0], 4, 0);		/* left as it was */
	CHECK_DBL(stats_median(t, 3), 3, 0);
	stats_summary(t, 1, &st);
	CHECK_DBL(st.sd, 0, 0);
	stats_summary(t, 0, &st);
	CHECK_INT(st.n, 0);
}

/* The store: named by content, written once, and every check of a
 * record's variant refusing what it must. */
static void
test_store(void)
{
	static const char text[] = "int f(void) { return 1; }\n";
	char store[256], other[256], h[HASH_HEXLEN + 1], h2[HASH_HEXLEN + 1];
	char *path = NULL, *path2 = NULL, *real = NULL, link[800];
	struct ar_err err;
	json_t *v;
	FILE *f;

	snprintf(store, sizeof(store), "%s/store/deep", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	CHECK_INT(varstore_put(store, ".c", text, strlen(text), h, &path,
	    &err), 0);
	CHECK(strstr(path, h) != NULL);
	CHECK(strcmp(path + strlen(path) - 2, ".c") == 0);
	/* Twice: the same file. */
	CHECK_INT(varstore_put(store, ".c", text, strlen(text), h2, &path2,
	    &err), 0);
	CHECK_STR(h2, h);
	CHECK_STR(path2, path);

	v = varstore_json(h, path, NULL, "external", NULL);
	CHECK_INT(varstore_check(store, ".c", v, 1000, &real, &err), 0);
	free(real);
	CHECK(json_is_null(json_object_get(v, "parent")));
	/* Too big for the limit. */
	CHECK_INT(varstore_check(store, ".c", v, 5, NULL, &err), -1);
	CHECK(strstr(err.msg, "over the limit") != NULL);
	/* Another language's extension. */
	CHECK_INT(varstore_check(store, ".cu", v, 1000, NULL, &err), -1);
	CHECK(strstr(err.msg, "not named by its hash") != NULL);
	/* Outside the store, even through a link inside it. */
	CHECK_INT(ar_mkdirs(other, "a folder", &err), 0);
	snprintf(link, sizeof(link), "%s/%s.c", other, h);
	f = fopen(link, "w");
	fputs(text, f);
	fclose(f);
	json_object_set_new(v, "file", json_string(link));
	CHECK_INT(varstore_check(store, ".c", v, 1000, NULL, &err), -1);
	CHECK(strstr(err.msg, "outside the store") != NULL);
	{
		char in[700];

		snprintf(in, sizeof(in), "%s/%.10s.c", store, h);
		CHECK_INT(symlink(link, in), 0);
		snprintf(link, sizeof(link), "%s", in);
	}
	json_object_set_new(v, "file", json_string(link));
	CHECK_INT(varstore_check(store, ".c", v, 1000, NULL, &err), -1);
	unlink(link);
	/* A file changed after it was stored. */
	json_object_set_new(v, "file", json_string(path));
	chmod(path, 0644);
	f = fopen(path, "w");
	fputs("int f(void) { return 2; }\n", f);
	fclose(f);
	CHECK_INT(varstore_check(store, ".c", v, 1000, NULL, &err), -1);
	CHECK(strstr(err.msg, "does not match its hash") != NULL);
	/* Bad hashes and parents. */
	json_object_set_new(v, "sha256", json_string("ABC"));
	CHECK_INT(varstore_check(store, ".c", v, 1000, NULL, &err), -1);
	CHECK(strstr(err.msg, "variant.sha256") != NULL);
	json_object_set_new(v, "sha256", json_string(h));
	json_object_set_new(v, "parent", json_integer(3));
	CHECK_INT(varstore_check(store, ".c", v, 1000, NULL, &err), -1);
	CHECK(strstr(err.msg, "variant.parent") != NULL);
	json_decref(v);
	free(path);
	free(path2);
}

int
main(void)
{
	ar_setprogname("test_variant");
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_defines);
	RUN(test_compile_settings);
	RUN(test_real_arch);
	RUN(test_cache);
	RUN(test_slurp);
	RUN(test_stats);
	RUN(test_store);
	unload_dir(NULL, 0);
	return check_done("test_variant");
}
