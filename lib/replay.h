/*
 * replay: a Kernel Tuner cache file (ktcache.h: a brute-forced search
 * space, loaded once into an index) bound to a study, so that a
 * configuration's recorded measurement is a lookup.  The backend
 * "replay" of ar-bench and the strategy benchmark's simulator read it.
 *
 * What a record becomes (replay_hit):
 *   "time" a number           status "ok", time_s = time / 1000
 *   "CompilationFailedConfig" "compile_error"
 *   "RuntimeFailedConfig"     "crash" (its "times", if any, are ignored)
 *   "InvalidConfig"           "invalid"
 *   "time" >= 1e20 or NaN     "invalid": the Schoonhoven files' mark of
 *                             a configuration that could not run
 *   no record for the config  "invalid": the key set is the constrained
 *                             space, so an absent key broke a restriction
 *
 * Bad input is refused as ktcache refuses it (NULL with err->msg "FILE:
 * what is wrong").  A file whose end is cut off is accepted: the complete
 * records are kept and replay_truncated says how many, so that the
 * caller warns.
 *
 * Ownership: replay_load returns a struct the caller frees with
 * replay_free; every pointer a function returns (names, values, hit
 * strings) belongs to the replay, or is static, and lives until
 * replay_free.  A replay is read-only after replay_bind, so lookups may
 * run from several threads.
 */
#ifndef AR_REPLAY_H
#define AR_REPLAY_H

#include <stddef.h>

#include "stats.h"
#include "space.h"
#include "spec.h"
#include "ktcache.h"
#include "util.h"

struct replay;

/* A recorded measurement; times are in seconds. */
struct replay_hit {
	/* "ok", "compile_error", "crash" or "invalid" (static strings). */
	const char *status;
	/* Why it failed, for messages ("recorded as RuntimeFailedConfig",
	 * "not in the cache file"); NULL when ok.  Static or the replay's. */
	const char *error;
	double time_s;		/* "time" / 1000; NAN unless ok */
	/* The statistics of "times" / 1000; n = 0 when the record has no
	 * times (or is not ok). */
	struct stats times;
	/* compile + benchmark + framework (+ verification + strategy) time
	 * / 1000: what the evaluation cost; 0 for an absent config. */
	double cost_s;
};

/*
 * Loads and indexes the whole file.  Returns NULL with err set on bad
 * input or a read error (err->msg starts with the path).
 */
struct replay *replay_load(const char *path, struct ar_err *err);
void replay_free(struct replay *r);

/* device_name ("" when the file has none or an empty one). */
const char *replay_device(const struct replay *r);
/* The number of records kept. */
size_t replay_nrecords(const struct replay *r);
/* 0, or the number of records kept from a file cut off mid-way. */
size_t replay_truncated(const struct replay *r);

/*
 * Ties the replay to a study, by spec_fit_file's rule: every parameter
 * of the study must be a tune_params key and every key a parameter (the
 * order may differ), and every value the study lists must be one of that
 * key's values (a study may list fewer).  Returns 0, or -1 with err set
 * ("STUDY: key \"params.X\": not one of the tune_params of 'FILE'").
 * Binding again replaces the previous study.
 */
int replay_bind(struct replay *r, const struct spec *s, struct ar_err *err);

/*
 * The recorded measurement of cfg (value indices into the bound study's
 * params).  Returns 1 when the file has a record for it, 0 when it has
 * none (hit is then "invalid" with cost 0), -1 when no study is bound.
 */
int replay_lookup(const struct replay *r, const space_idx *cfg,
    struct replay_hit *hit);

/*
 * As replay_lookup, without the statistics of the times (hit->n is 0),
 * which are parsed from the file's text on each look-up: for a
 * simulation that needs only the status, time_s and cost_s.
 */
int replay_lookup_time(const struct replay *r, const space_idx *cfg,
    struct replay_hit *hit);

/*
 * Record i (0 <= i < replay_nrecords) in file order: its measurement,
 * and its configuration as value indices into the bound study's params
 * in cfg (np entries), without the statistics of its times (use
 * replay_lookup on cfg for them).  Returns 1, or 0 when the record's
 * configuration is outside the bound study (a value the study does not
 * list), -1 when no study is bound; hit is filled either way.  For
 * finding a space's optimum.
 */
int replay_record(const struct replay *r, size_t i, space_idx *cfg,
    struct replay_hit *hit);

#endif
