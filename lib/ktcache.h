/*
 * ktcache: the Kernel Tuner cache-file reader.  A cache file is a
 * brute-forced search space, gzip or plain; ktcache reads its head (the
 * parameters, for a study's params) or loads it whole into an index of
 * its records.  It knows the file and nothing of studies: replay binds a
 * loaded file to a study, and spec checks that a study fits a file.
 *
 * The file: {"device_name": .., "tune_params_keys": [..], "tune_params":
 * {name: [values]}, "cache": {"v1,v2,..": {record}, ..}, ..}.  A record's
 * "time" (ms) is a number, or a string naming a failure; "times" (ms)
 * are its repeated runs; compile_time, benchmark_time, framework_time,
 * verification_time and strategy_time (ms) are what it cost.
 *
 * Bad input is refused (NULL with err->msg "FILE: what is wrong"): a
 * file that is not JSON or not a cache file, damaged gzip data, a key
 * that does not spell a value of every tune_params key, a record whose
 * params are missing or disagree with its key, a "time" that is neither
 * a number nor one of the three failure names.  A file whose end is cut
 * off (Kernel Tuner writes the closing braces only when it finishes) is
 * accepted: the complete records are kept and ktcache_truncated says how
 * many.
 *
 * Ownership: ktcache_load returns a struct the caller frees with
 * ktcache_free; every pointer a function returns belongs to it and lives
 * until ktcache_free.  A loaded file is read-only, so it may be read
 * from several threads.
 */
#ifndef AR_KTCACHE_H
#define AR_KTCACHE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* What a record's "time" says. */
enum ktcache_status {
	KTCACHE_OK,		/* a number */
	KTCACHE_COMPILE,	/* "CompilationFailedConfig" */
	KTCACHE_CRASH,		/* "RuntimeFailedConfig" */
	KTCACHE_INVALID,	/* "InvalidConfig" */
	KTCACHE_HUGE		/* >= 1e20 or NaN: the Schoonhoven files'
				 * mark of a configuration that could not
				 * run */
};

/*
 * A record.  Its configuration is a code in mixed radix: the sum over
 * the keys of the value's index times the key's stride.
 */
struct ktcache_rec {
	uint64_t code;
	double time_s;		/* "time" / 1000; NAN unless KTCACHE_OK */
	double cost_s;		/* the sum of the cost fields / 1000 */
	/* "times", as text (parsed only when asked for: most records of a
	 * file never are); times_len 0: none, or the record failed. */
	size_t times_off;
	uint32_t times_len;
	unsigned char status;	/* enum ktcache_status */
};

struct ktcache;

/*
 * The file's parameters: {name: [values]} in tune_params_keys order, a
 * new reference.  It reads only the head of the file (up to "cache"), so
 * a study's params are quick to get from even a large file; NULL with
 * err set when the file is bad.
 */
json_t *ktcache_params(const char *path, struct ar_err *err);

/*
 * Loads and indexes the whole file.  Returns NULL with err set on bad
 * input or a read error (err->msg starts with the path).
 */
struct ktcache *ktcache_load(const char *path, struct ar_err *err);
void ktcache_free(struct ktcache *c);

/* The path it was loaded from. */
const char *ktcache_path(const struct ktcache *c);
/* device_name ("" when the file has none or an empty one). */
const char *ktcache_device(const struct ktcache *c);
/* The parameters, as ktcache_params gives them (borrowed). */
json_t *ktcache_params_of(const struct ktcache *c);
/* The number of records kept. */
size_t ktcache_nrecords(const struct ktcache *c);
/* 0, or the number of records kept from a file cut off mid-way. */
size_t ktcache_truncated(const struct ktcache *c);
/* The number of tune_params_keys. */
size_t ktcache_nkeys(const struct ktcache *c);
/* Key j of tune_params_keys: its number of values and its stride. */
size_t ktcache_key_size(const struct ktcache *c, size_t j);
uint64_t ktcache_key_stride(const struct ktcache *c, size_t j);

/* Record i (0 <= i < ktcache_nrecords), in file order. */
const struct ktcache_rec *ktcache_rec(const struct ktcache *c, size_t i);
/* The record of the configuration code, or NULL when the file has none. */
const struct ktcache_rec *ktcache_find(const struct ktcache *c,
    uint64_t code);
/*
 * The "times" of rec in seconds, into *t (grown as needed, *cap its
 * size): how many there are, 0 when it has none.
 */
size_t ktcache_times(const struct ktcache *c, const struct ktcache_rec *rec,
    double **t, size_t *cap);

#endif
