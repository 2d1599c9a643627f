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
};
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

#endif
