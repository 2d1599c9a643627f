#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "variant.h"

char **
variant_defines(const struct spec *s, const space_idx *cfg)
{
	char **d = ecalloc(s->nparams + s->nconsts + 1, sizeof(*d));
	size_t i, n = 0;

	for (i = 0; cfg != NULL && i < s->nparams; i++) {
		struct ar_buf b = { 0 };

		if (s->params[i].xform)
			continue;	/* in the variant's text, not a -D */
		buf_printf(&b, "%s=%s", s->params[i].name,
		    s->params[i].text[cfg[i]]);
		d[n++] = b.buf;
	}
	for (i = 0; i < s->nconsts; i++) {
		struct ar_buf b = { 0 };

		buf_printf(&b, "%s=%s", s->consts[i].name, s->consts[i].text);
		d[n++] = b.buf;
	}
	return d;
}

int
variant_real_arch(const char *a)
{
	size_t n;

	if (strncmp(a, "sm_", 3) != 0)
		return 0;
	a += 3;
	if ((n = strspn(a, "0123456789")) == 0 || n > 4)
		return 0;
	a += n;
	return *a == '\0' || (a[0] >= 'a' && a[0] <= 'z' && a[1] == '\0');
}

char *
variant_cache(const char *dir)
{
	struct ar_buf b = { 0 };
	char cwd[PATH_MAX], *dflt = NULL;
	const char *path = dir;

	if (path == NULL)
		path = dflt = build_default_cache();
	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
		buf_adds(&b, path);
	} else {
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		buf_printf(&b, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "",
		    path);
	}
	free(dflt);
	return b.buf;
}

void
variant_compile_load(struct variant_compile *vc, const struct spec *s)
{
	json_t *c = json_object_get(s->root, "compile");
	json_t *fl = json_object_get(c, "flags"), *v;
	size_t i;

	memset(vc, 0, sizeof(*vc));
	if (strcmp(s->backend, "cuda") != 0 &&
	    json_is_string(json_object_get(c, "cc")))
		vc->cc = estrdup(json_string_value(json_object_get(c, "cc")));
	vc->flags = ecalloc(json_array_size(fl) + 1, sizeof(char *));
	json_array_foreach(fl, i, v)
		vc->flags[i] = estrdup(json_string_value(v));
}

void
variant_compile_release(struct variant_compile *vc)
{
	free(vc->cc);
	ar_strv_free(vc->flags);
	memset(vc, 0, sizeof(*vc));
}

void
variant_request(const struct variant_compile *vc, const struct spec *s,
    char *const *defines, const char *cache, const char *arch, int nvcc,
    struct build_req *req)
{
	memset(req, 0, sizeof(*req));
	req->cc = arch == NULL ? vc->cc : NULL;
	req->source = s->source;
	req->flags = vc->flags;
	req->defines = defines;
	req->cache = cache;
	req->arch = arch;
	req->nvcc = arch != NULL && nvcc;
}
