/*
 * variant: what ar-compile and ar-bench must agree on about a built
 * variant, in one place: the defines it is built with, the GPU
 * architecture named for it, the cache folder it lies in and the study's
 * compile settings.  ar-compile builds with these; ar-bench computes the
 * same build key from them to check that a record's artifact is the one
 * built for that record, so two copies could only drift apart and fail
 * that check.
 *
 * Ownership: strings and arrays returned are the caller's.
 */
#ifndef AR_VARIANT_H
#define AR_VARIANT_H

#include "build.h"
#include "space.h"
#include "spec.h"
#include "util.h"

/*
 * "NAME=VALUE" for every parameter of cfg (none when cfg is NULL, as
 * for the reference) but the transformation knobs (spec_param.xform),
 * and every problem constant, in the study's order;
 * NULL-terminated, freed with ar_strv_free.
 */
char **variant_defines(const struct spec *s, const space_idx *cfg);

/*
 * A real GPU architecture: "sm_" and one to four digits, with at most
 * one letter after them (sm_90a): one that NVRTC and nvcc make a cubin
 * for, where a virtual one (compute_90) would give PTX.
 */
int variant_real_arch(const char *a);

/*
 * The cache folder: dir, or build_default_cache()'s when dir is NULL, as
 * an absolute path (a leading "./" dropped), so that records name their
 * artifacts wherever they are read.
 */
char *variant_cache(const char *dir);

/* The study's compile settings. */
struct variant_compile {
	char *cc;		/* compile.cc; NULL: build's default (and
				 * always for cuda, built by NVRTC or nvcc) */
	char **flags;		/* compile.flags, NULL-terminated */
	double timeout_s;	/* compile.timeout_s, else
				 * VARIANT_COMPILE_TIMEOUT; 0: none */
};
/* The default time a compile may take, in seconds. */
#define VARIANT_COMPILE_TIMEOUT	300.0
void variant_compile_load(struct variant_compile *vc, const struct spec *s);
void variant_compile_release(struct variant_compile *vc);

/*
 * The build request of a variant of s with these defines, in cache: for
 * cuda with arch (and nvcc when built by nvcc), else with vc's compiler.
 * Points into its arguments, which must outlive it.
 */
void variant_request(const struct variant_compile *vc, const struct spec *s,
    char *const *defines, const char *cache, const char *arch, int nvcc,
    struct build_req *req);

/*
 * A record's code variant (ar-formats(7) "variant"), checked before
 * anything of the record is built or run, by ar-compile and ar-bench
 * alike.  cfg is the record's params (space_from_record); NULL for a
 * record that is passed on unread (a command study's in ar-compile),
 * which has only the first rule checked.  The rules:
 *  - only a study of backend c, cuda or opencl has variants;
 *  - a study with "transform" (params with spec_param.xform) builds
 *    nothing but variants, which ar-propose writes;
 *  - the variant passes varstore_check against the store, with the
 *    study's variant_max;
 *  - an id of 16 hex digits is space_id_variant's of the params and the
 *    variant's hash, checked for a record without a variant too when
 *    plain_id is set.
 * Returns 0 with *source the variant file's real path (the caller frees
 * it), or NULL when the record has no variant and the study's source is
 * built; -1 with err saying what is wrong with the record.
 */
int variant_check_record(const struct space *sp, const char *store,
    json_t *rec, const space_idx *cfg, int plain_id, char **source,
    struct ar_err *err);

#endif
