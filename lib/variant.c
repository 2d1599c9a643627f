#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "variant.h"
#include "varstore.h"

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
	char *dflt = NULL, *abs;

	abs = ar_abspath(dir != NULL ? dir : (dflt = build_default_cache()));
	free(dflt);
	return abs;
}

void
variant_compile_load(struct variant_compile *vc, const struct spec *s)
{
	json_t *c = json_object_get(s->root, "compile");
	json_t *fl = json_object_get(c, "flags"), *v;
	json_t *t = json_object_get(c, "timeout_s");
	size_t i;

	memset(vc, 0, sizeof(*vc));
	vc->timeout_s = json_is_number(t) ? json_number_value(t) :
	    VARIANT_COMPILE_TIMEOUT;
	if (strcmp(s->backend, "cuda") != 0 &&
	    strcmp(s->backend, "opencl") != 0 &&
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

int
variant_check_record(const struct space *sp, const char *store,
    json_t *rec, const space_idx *cfg, int plain_id, char **source,
    struct ar_err *err)
{
	const struct spec *s = sp->spec;
	json_t *v = json_object_get(rec, "variant"), *idv;
	const char *id, *hash = NULL;
	char want[SPACE_IDLEN + 1];

	*source = NULL;
	if (v != NULL && strcmp(s->backend, "c") != 0 &&
	    strcmp(s->backend, "cuda") != 0 &&
	    strcmp(s->backend, "opencl") != 0) {
		ar_errf(err, "\"variant\": a variant is the source of a study "
		    "of backend c, cuda or opencl, not '%s'", s->backend);
		return -1;
	}
	if (cfg == NULL)
		return 0;
	if (v == NULL && s->xform != NULL) {
		ar_errf(err, "no \"variant\": ar-propose writes the variant of "
		    "a study with \"transform\"");
		return -1;
	}
	if (v != NULL) {
		if (varstore_check(store, varstore_ext(s->backend), v,
		    s->variant_max, source, err) != 0)
			return -1;
		hash = json_string_value(json_object_get(v, "sha256"));
	} else if (!plain_id) {
		return 0;
	}
	idv = json_object_get(rec, "id");
	id = json_string_value(idv);
	if (!hash_is_hex(id, SPACE_IDLEN))
		return 0;	/* not one of ar-propose's: a name */
	space_id_variant(sp, cfg, hash, want);
	if (strcmp(want, id) == 0)
		return 0;
	if (hash != NULL)
		ar_errf(err, "id '%s' is not the id of these params and this "
		    "variant in this study ('%s'): proposed for another "
		    "variant, source or problem?", id, want);
	else
		ar_errf(err, "id '%s' is not the id of these params in this "
		    "study ('%s'): proposed for another source or problem?",
		    id, want);
	free(*source);
	*source = NULL;
	return -1;
}
