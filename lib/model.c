#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonw.h"
#include "rec.h"

/*
 * The statuses of ar-formats(7), in the order a model lists them; every
 * one after "ok" is a failure of the configuration ("infeasible" is
 * ar-score's: measured ok, but a requirement of the study not met).
 */
static const char *const statuses[] = {
	"ok", "compile_error", "invalid", "wrong", "crash", "timeout",
	"suspicious", "infeasible"
};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* A record without a status is counted under this name. */
#define NO_STATUS "none"

/* The fields of version 2, in the order they are written. */
static const char *const fields[] = {
	"format", "version", "study", "objective", "evals", "status", "best",
	"rounds", "strategies"
};

static void rl_free(struct model_rl *rl);
static json_t *rl_json(const struct model_rl *rl, const struct space *sp);

void
model_init(struct model *m, const char *study, const char *objective)
{
	memset(m, 0, sizeof(*m));
	m->version = MODEL_VERSION;
	m->study = estrdup(study);
	m->objective = estrdup(objective);
	m->strategies = json_object();
	m->extra = json_object();
}

void
model_release(struct model *m)
{
	size_t i;

	free(m->study);
	free(m->objective);
	for (i = 0; i < m->ncounts; i++)
		free(m->counts[i].status);
	free(m->counts);
	json_decref(m->best);
	json_decref(m->strategies);
	json_decref(m->extra);
	rl_free(m->rl);
	memset(m, 0, sizeof(*m));
}

/* Where a status sorts: the known ones first, in their order, then by name. */
static int
status_cmp(const char *a, const char *b)
{
	size_t i, ia = NSTATUSES, ib = NSTATUSES;

	for (i = 0; i < NSTATUSES; i++) {
		if (strcmp(a, statuses[i]) == 0)
			ia = i;
		if (strcmp(b, statuses[i]) == 0)
			ib = i;
	}
	if (ia != ib)
		return ia < ib ? -1 : 1;
	return strcmp(a, b);
}

static void
add_count(struct model *m, const char *status, json_int_t n)
{
	size_t i;
	int c = 1;

	for (i = 0; i < m->ncounts; i++)
		if ((c = status_cmp(status, m->counts[i].status)) <= 0)
			break;
	if (i < m->ncounts && c == 0) {
		m->counts[i].n += n;
		return;
	}
	m->counts = ereallocarray(m->counts, m->ncounts + 1,
	    sizeof(*m->counts));
	memmove(m->counts + i + 1, m->counts + i,
	    (m->ncounts - i) * sizeof(*m->counts));
	m->counts[i].status = estrdup(status);
	m->counts[i].n = n;
	m->ncounts++;
}

static int
is_count(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

static int
load_fields(struct model *m, json_t *root, const char *path,
    struct ar_err *err)
{
	json_t *v, *best;
	const char *key;
	json_int_t sum = 0;
	size_t i;

	m->study = estrdup(json_string_value(json_object_get(root, "study")));
	m->objective = estrdup(json_string_value(json_object_get(root,
	    "objective")));
	m->evals = json_integer_value(json_object_get(root, "evals"));
	m->rounds = json_integer_value(json_object_get(root, "rounds"));
	json_object_foreach(json_object_get(root, "status"), key, v) {
		if (!is_count(v)) {
			ar_errf(err, "%s: key \"status.%s\": expected an "
			    "integer of at least 0", path, key);
			return -1;
		}
		add_count(m, key, json_integer_value(v));
		sum += json_integer_value(v);
	}
	if (sum != m->evals) {
		ar_errf(err, "%s: the status counts add up to %lld, but "
		    "\"evals\" is %lld", path, (long long)sum,
		    (long long)m->evals);
		return -1;
	}
	best = json_object_get(root, "best");
	if (json_is_object(best)) {
		if (!json_is_number(json_object_get(best, "score"))) {
			ar_errf(err, "%s: key \"best.score\": expected a "
			    "number", path);
			return -1;
		}
		m->best = json_incref(best);
		m->best_score = json_number_value(json_object_get(best,
		    "score"));
	}
	v = json_object_get(root, "strategies");
	m->strategies = v != NULL ? json_incref(v) : json_object();
	m->extra = json_object();
	json_object_foreach(root, key, v) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i]) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0]))
			json_object_set(m->extra, key, v);
	}
	return 0;
}

/* Checks the types of the fields of version 1. */
static int
check_fields(json_t *root, const char *path, struct ar_err *err)
{
	static const struct {
		const char *key;
		int type;	/* json_type; -1 a count; -2 object/null */
		int required;
	} want[] = {
		{ "study", JSON_STRING, 1 },
		{ "objective", JSON_STRING, 1 },
		{ "evals", -1, 1 },
		{ "status", JSON_OBJECT, 1 },
		{ "best", -2, 1 },
		{ "rounds", -1, 1 },
		{ "strategies", JSON_OBJECT, 0 },
		{ "prior", JSON_OBJECT, 0 },
	};
	size_t i;
	json_t *v;
	int ok;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if ((v = json_object_get(root, want[i].key)) == NULL) {
			if (!want[i].required)
				continue;
			ar_errf(err, "%s: key \"%s\": missing", path,
			    want[i].key);
			return -1;
		}
		if (want[i].type == -1)
			ok = is_count(v);
		else if (want[i].type == -2)
			ok = json_is_object(v) || json_is_null(v);
		else
			ok = (int)json_typeof(v) == want[i].type;
		if (!ok) {
			ar_errf(err, "%s: key \"%s\": expected %s", path,
			    want[i].key, want[i].type == -1 ?
			    "an integer of at least 0" : want[i].type == -2 ?
			    "an object or null" :
			    want[i].type == JSON_STRING ? "a string" :
			    "an object");
			return -1;
		}
	}
	return 0;
}

int
model_load(struct model *m, const char *path, struct ar_err *err)
{
	struct ar_buf b = { 0 };
	json_error_t je;
	json_t *root = NULL, *format, *version;
	size_t i;
	int rc;

	if (ar_slurp(path, 0, &b, err) != 0) {
		free(b.buf);
		return errno == ENOENT ? MODEL_ABSENT : MODEL_NOTMODEL;
	}
	for (i = 0; i < b.len && strchr(" \t\r\n", b.buf[i]) != NULL; i++)
		continue;
	if (i == b.len) {
		free(b.buf);
		ar_errf(err, "%s: the model file is empty", path);
		return MODEL_UNUSABLE;
	}
	root = json_loadb(b.buf, b.len, JSON_REJECT_DUPLICATES, &je);
	free(b.buf);
	if (root == NULL) {
		ar_errf(err, "%s: not a model file: invalid JSON at line %d: "
		    "%s", path, je.line, je.text);
		return MODEL_NOTMODEL;
	}
	format = json_object_get(root, "format");
	if (!json_is_object(root) || !json_is_string(format) ||
	    strcmp(json_string_value(format), MODEL_FORMAT) != 0) {
		ar_errf(err, "%s: not a model file (no \"format\": \"%s\")",
		    path, MODEL_FORMAT);
		json_decref(root);
		return MODEL_NOTMODEL;
	}
	version = json_object_get(root, "version");
	rc = MODEL_UNUSABLE;
	if (!json_is_integer(version))
		ar_errf(err, "%s: key \"version\": expected an integer", path);
	else if (json_integer_value(version) > MODEL_VERSION)
		ar_errf(err, "%s: model format version %lld is newer than "
		    "this program's (%d)", path,
		    (long long)json_integer_value(version), MODEL_VERSION);
	else if (json_integer_value(version) < 1)
		ar_errf(err, "%s: unknown model format version %lld", path,
		    (long long)json_integer_value(version));
	else if (check_fields(root, path, err) == 0) {
		struct model t;

		memset(&t, 0, sizeof(t));
		if (load_fields(&t, root, path, err) == 0) {
			t.version = (int)json_integer_value(version);
			*m = t;
			rc = MODEL_LOADED;
		} else
			model_release(&t);
	}
	json_decref(root);
	return rc;
}

int
model_obs_json(json_t *rec, struct model_obs *o, struct ar_err *err)
{
	json_t *score = json_object_get(rec, "score");
	json_t *status = json_object_get(rec, "status");
	json_t *round = json_object_get(rec, "round");

	memset(o, 0, sizeof(*o));
	if (score == NULL) {
		ar_errf(err, "no field \"score\": the record is not scored "
		    "(ar-score adds it)");
		return -1;
	}
	if (json_is_number(score)) {
		o->has_score = 1;
		o->score = json_number_value(score);
	} else if (!json_is_null(score)) {
		ar_errf(err, "field \"score\" is not a number or null");
		return -1;
	}
	if (status != NULL && !json_is_string(status)) {
		ar_errf(err, "field \"status\" is not a string");
		return -1;
	}
	o->status = json_string_value(status);
	if (json_is_integer(round)) {
		o->has_round = 1;
		o->round = json_integer_value(round);
	} else if (round != NULL && !json_is_null(round)) {
		ar_errf(err, "field \"round\" is not an integer");
		return -1;
	}
	return 0;
}

int
model_beats(const struct model *m, const struct model_obs *o)
{
	/* A strictly higher score: a tie keeps the earlier record. */
	return o->status != NULL && strcmp(o->status, "ok") == 0 &&
	    o->has_score && (m->best == NULL || o->score > m->best_score);
}

int
model_count(struct model *m, const struct model_obs *o)
{
	m->evals++;
	add_count(m, o->status != NULL ? o->status : NO_STATUS, 1);
	if (o->has_round && o->round > m->rounds)
		m->rounds = o->round;
	return model_beats(m, o);
}

void
model_set_best(struct model *m, json_t *rec, double score)
{
	static const char *const keep[] = {
		"id", "round", "objective", "score", "params", "metrics"
	};
	json_t *best = json_object(), *v;
	size_t i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		v = json_object_get(rec, keep[i]);
		json_object_set_new(best, keep[i], v != NULL ?
		    json_deep_copy(v) : json_null());
	}
	json_decref(m->best);
	m->best = best;
	m->best_score = score;
}

int
model_update(struct model *m, json_t *rec, struct ar_err *err)
{
	struct model_obs o;

	if (model_obs_json(rec, &o, err) != 0)
		return -1;
	if (!model_count(m, &o))
		return 0;
	model_set_best(m, rec, o.score);
	return 1;
}

json_t *
model_json(const struct model *m)
{
	json_t *root = json_object(), *counts = json_object(), *v;
	const char *key;
	size_t i;

	for (i = 0; i < m->ncounts; i++)
		json_object_set_new(counts, m->counts[i].status,
		    json_integer(m->counts[i].n));
	json_object_set_new(root, "format", json_string(MODEL_FORMAT));
	json_object_set_new(root, "version", json_integer(MODEL_VERSION));
	json_object_set_new(root, "study", json_string(m->study));
	json_object_set_new(root, "objective", json_string(m->objective));
	json_object_set_new(root, "evals", json_integer(m->evals));
	json_object_set_new(root, "status", counts);
	json_object_set(root, "best", m->best != NULL ? m->best :
	    json_null());
	json_object_set_new(root, "rounds", json_integer(m->rounds));
	if (m->rl != NULL) {
		/* The live policy replaces the one read, in its place. */
		json_t *st = json_copy(m->strategies);

		json_object_set_new(st, "rl", rl_json(m->rl, m->sp));
		json_object_set_new(root, "strategies", st);
	} else
		json_object_set(root, "strategies", m->strategies);
	json_object_foreach(m->extra, key, v)
		json_object_set(root, key, v);
	return root;
}

int
model_save(const struct model *m, const char *path, struct ar_err *err)
{
	json_t *root = model_json(m);
	char *text = jsonw_dumps(root, 2);
	struct ar_buf b = { 0 };
	int rc;

	json_decref(root);
	if (text == NULL)
		ar_die(AR_EXIT_FAIL, "out of memory");
	buf_adds(&b, text);
	buf_add(&b, "\n", 1);
	rc = ar_write_atomic(path, b.buf, b.len, err);
	free(text);
	free(b.buf);
	return rc;
}

/* ---- learning ---- */

/*
 * The rl policy is a softmax over the values of each parameter, the
 * parameters independent (factorised): a configuration's probability is
 * the product of its values' probabilities.  It learns by REINFORCE: each
 * record moves the logits along the gradient of the log probability of
 * its configuration, times RL_STEP and the record's advantage, its reward
 * less the baseline, so that the values of records better than usual
 * gain and those of worse ones lose.
 *
 * The reward is rank-based, because scores span orders of magnitude and
 * their scale is the study's own: an ok record earns 2q - 1, where q is
 * the share of the ok scores learned before it that it beats (a tie
 * counts half, the first one 0.5), and a failure earns -1, as low as the
 * worst ok record can.  The baseline is a running mean of the rewards
 * (step RL_BASELINE).  Logits stay within +-RL_CLIP, so that no value is
 * ever ruled out for good.
 */
/* Steps from 0.25 to 4 and bounds from 4 to 8 were tried on seven of the
 * replayed GPU spaces (20 to 40 seeds each): the larger steps with the
 * tighter bound reached the optimum a little sooner, greedy within the
 * bound, which with the floor of strat_rl keeps the search exploring. */
#define RL_STEP		4.0
#define RL_BASELINE	0.1
#define RL_CLIP		4.0
/* The ok scores are kept exactly up to RL_SCORES of them; past that the
 * lower ones merge in pairs (weights add up), the RL_TOP best never. */
#define RL_SCORES	1024
#define RL_TOP		256
/* A prior's records teach with a step RL_PRIOR_STEP times RL_STEP, and
 * all of them together as much as RL_PRIOR_CAP records at most. */
#define RL_PRIOR_STEP	0.5
#define RL_PRIOR_CAP	200.0

enum { TEACH_NONE, TEACH_OK, TEACH_FAIL };

struct model_rl {
	size_t np, nv;
	size_t *off;		/* np + 1: where each parameter's logits
				 * start in theta */
	double *theta;		/* nv logits */
	double *warm;		/* nv logits after the prior, or NULL */
	json_int_t n, nwarm;	/* records learned: all, and the prior's */
	double baseline;
	double *sv;		/* the ok scores learned, ascending */
	json_int_t *sw;		/* their weights */
	size_t ns;
	double *pi;		/* scratch: the probabilities */
};

static struct model_rl *
rl_new(const struct space *sp)
{
	struct model_rl *rl = ecalloc(1, sizeof(*rl));
	size_t d;

	rl->np = sp->np;
	rl->off = ecalloc(sp->np + 1, sizeof(*rl->off));
	for (d = 0; d < sp->np; d++)
		rl->off[d + 1] = rl->off[d] + sp->spec->params[d].n;
	rl->nv = rl->off[sp->np];
	rl->theta = ecalloc(rl->nv + 1, sizeof(*rl->theta));
	rl->pi = ecalloc(rl->nv + 1, sizeof(*rl->pi));
	rl->sv = ecalloc(RL_SCORES, sizeof(*rl->sv));
	rl->sw = ecalloc(RL_SCORES, sizeof(*rl->sw));
	return rl;
}

static void
rl_free(struct model_rl *rl)
{
	if (rl == NULL)
		return;
	free(rl->off);
	free(rl->theta);
	free(rl->warm);
	free(rl->pi);
	free(rl->sv);
	free(rl->sw);
	free(rl);
}

static void
softmax(const double *theta, size_t n, double *p)
{
	double max = theta[0], sum = 0;
	size_t k;

	for (k = 1; k < n; k++)
		if (theta[k] > max)
			max = theta[k];
	for (k = 0; k < n; k++)
		sum += p[k] = exp(theta[k] - max);
	for (k = 0; k < n; k++)
		p[k] /= sum;
}

static void
rl_step(struct model_rl *rl, const space_idx *cfg, double reward,
    double step)
{
	double a = step * (reward - rl->baseline), *th, *pi;
	size_t d, k, n;

	for (d = 0; d < rl->np; d++) {
		th = rl->theta + rl->off[d];
		pi = rl->pi + rl->off[d];
		n = rl->off[d + 1] - rl->off[d];
		softmax(th, n, pi);
		for (k = 0; k < n; k++) {
			th[k] += a * ((k == cfg[d] ? 1.0 : 0.0) - pi[k]);
			if (th[k] > RL_CLIP)
				th[k] = RL_CLIP;
			else if (th[k] < -RL_CLIP)
				th[k] = -RL_CLIP;
		}
	}
	rl->baseline += RL_BASELINE * (reward - rl->baseline);
	rl->n++;
}

/* The first position whose score is above s (or at least s, with eq). */
static size_t
rl_bound(const struct model_rl *rl, double s, int eq)
{
	size_t lo = 0, hi = rl->ns, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rl->sv[mid] < s || (!eq && rl->sv[mid] == s))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The share of the ok scores learned that s beats, ties counting half. */
static double
rl_quantile(const struct model_rl *rl, double s)
{
	size_t lo = rl_bound(rl, s, 1), hi = rl_bound(rl, s, 0), i;
	json_int_t below = 0, tie = 0, total;

	for (i = 0; i < lo; i++)
		below += rl->sw[i];
	for (; i < hi; i++)
		tie += rl->sw[i];
	total = below + tie;
	for (; i < rl->ns; i++)
		total += rl->sw[i];
	return total > 0 ? ((double)below + 0.5 * (double)tie) /
	    (double)total : 0.5;
}

static void
rl_add_score(struct model_rl *rl, double s)
{
	size_t lo, i, half = (RL_SCORES - RL_TOP) / 2;

	if (rl->ns == RL_SCORES) {
		/* Each pair below the top keeps its larger score. */
		for (i = 0; i < half; i++) {
			rl->sv[i] = rl->sv[2 * i + 1];
			rl->sw[i] = rl->sw[2 * i] + rl->sw[2 * i + 1];
		}
		memmove(rl->sv + half, rl->sv + 2 * half,
		    RL_TOP * sizeof(*rl->sv));
		memmove(rl->sw + half, rl->sw + 2 * half,
		    RL_TOP * sizeof(*rl->sw));
		rl->ns = half + RL_TOP;
	}
	lo = rl_bound(rl, s, 0);
	memmove(rl->sv + lo + 1, rl->sv + lo, (rl->ns - lo) *
	    sizeof(*rl->sv));
	memmove(rl->sw + lo + 1, rl->sw + lo, (rl->ns - lo) *
	    sizeof(*rl->sw));
	rl->sv[lo] = s;
	rl->sw[lo] = 1;
	rl->ns++;
}

static json_t *
reals_json(const double *x, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real(x[i]));
	return a;
}

/* The logits of each parameter, as an array of arrays. */
static json_t *
logits_json(const struct model_rl *rl, const double *theta)
{
	json_t *a = json_array();
	size_t d;

	for (d = 0; d < rl->np; d++)
		json_array_append_new(a, reals_json(theta + rl->off[d],
		    rl->off[d + 1] - rl->off[d]));
	return a;
}

static json_t *
rl_json(const struct model_rl *rl, const struct space *sp)
{
	json_t *o = json_object(), *pol = json_array(), *e, *vals, *sc, *w;
	size_t d, k;

	for (d = 0; d < rl->np; d++) {
		const struct spec_param *p = &sp->spec->params[d];

		e = json_object();
		vals = json_array();
		for (k = 0; k < p->n; k++)
			json_array_append(vals, p->values[k]);
		json_object_set_new(e, "param", json_string(p->name));
		json_object_set_new(e, "values", vals);
		json_object_set_new(e, "logits", reals_json(rl->theta +
		    rl->off[d], p->n));
		json_array_append_new(pol, e);
	}
	json_object_set_new(o, "records", json_integer(rl->n));
	json_object_set_new(o, "baseline", json_real(rl->baseline));
	json_object_set_new(o, "policy", pol);
	sc = json_object();
	json_object_set_new(sc, "values", reals_json(rl->sv, rl->ns));
	w = json_array();
	for (k = 0; k < rl->ns; k++)
		json_array_append_new(w, json_integer(rl->sw[k]));
	json_object_set_new(sc, "weights", w);
	json_object_set_new(o, "scores", sc);
	if (rl->warm != NULL) {
		w = json_object();
		json_object_set_new(w, "records", json_integer(rl->nwarm));
		json_object_set_new(w, "logits", logits_json(rl, rl->warm));
		json_object_set_new(o, "warm", w);
	}
	return o;
}

/* Whether a "policy" lists the space's parameters and values, in order. */
static int
policy_fits(const struct space *sp, json_t *pol)
{
	json_t *e, *vals;
	size_t d, k;

	if (!json_is_array(pol) || json_array_size(pol) != sp->np)
		return 0;
	for (d = 0; d < sp->np; d++) {
		const struct spec_param *p = &sp->spec->params[d];

		e = json_array_get(pol, d);
		vals = json_object_get(e, "values");
		if (!json_is_string(json_object_get(e, "param")) ||
		    strcmp(json_string_value(json_object_get(e, "param")),
		    p->name) != 0 || !json_is_array(vals) ||
		    json_array_size(vals) != p->n)
			return 0;
		for (k = 0; k < p->n; k++)
			if (!json_equal(json_array_get(vals, k), p->values[k]))
				return 0;
	}
	return 1;
}

static int
get_reals(json_t *a, double *x, size_t n)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!json_is_number(json_array_get(a, i)))
			return -1;
		x[i] = json_number_value(json_array_get(a, i));
	}
	return 0;
}

/* Logits as logits_json writes them, into theta; 0 or -1. */
static int
get_logits(const struct model_rl *rl, json_t *a, double *theta)
{
	size_t d;

	if (!json_is_array(a) || json_array_size(a) != rl->np)
		return -1;
	for (d = 0; d < rl->np; d++)
		if (get_reals(json_array_get(a, d), theta + rl->off[d],
		    rl->off[d + 1] - rl->off[d]) != 0)
			return -1;
	return 0;
}

static int
get_scores(struct model_rl *rl, json_t *sc)
{
	json_t *v = json_object_get(sc, "values"), *w =
	    json_object_get(sc, "weights");
	size_t i, n = json_array_size(v);

	if (!json_is_array(v) || !json_is_array(w) || n > RL_SCORES ||
	    json_array_size(w) != n || get_reals(v, rl->sv, n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!json_is_integer(json_array_get(w, i)) ||
		    json_integer_value(json_array_get(w, i)) < 1 ||
		    (i > 0 && rl->sv[i] < rl->sv[i - 1]))
			return -1;
		rl->sw[i] = json_integer_value(json_array_get(w, i));
	}
	rl->ns = n;
	return 0;
}

/* The warm policy of "warm" into rl; 0 or -1. */
static int
get_warm(struct model_rl *rl, json_t *w)
{
	if (!json_is_object(w) || !is_count(json_object_get(w, "records")))
		return -1;
	rl->warm = ecalloc(rl->nv + 1, sizeof(*rl->warm));
	rl->nwarm = json_integer_value(json_object_get(w, "records"));
	return get_logits(rl, json_object_get(w, "logits"), rl->warm);
}

/* The live policy of the file's "strategies.rl", or NULL with err set. */
static struct model_rl *
rl_from_json(const struct space *sp, json_t *j, struct ar_err *err)
{
	json_t *pol = json_object_get(j, "policy");
	struct model_rl *rl;
	const char *key = NULL, *want = NULL;
	size_t d;

	if (!json_is_object(j)) {
		ar_errf(err, "key \"strategies.rl\": expected an object");
		return NULL;
	}
	if (!policy_fits(sp, pol)) {
		ar_errf(err, "key \"strategies.rl.policy\": not a policy over "
		    "the parameters and values of the study '%s' (the study "
		    "changed?)", sp->spec->name);
		return NULL;
	}
	rl = rl_new(sp);
	for (d = 0; d < sp->np && key == NULL; d++)
		if (get_reals(json_object_get(json_array_get(pol, d),
		    "logits"), rl->theta + rl->off[d], rl->off[d + 1] -
		    rl->off[d]) != 0) {
			key = "policy";
			want = "expected a number of logits for each value";
		}
	if (key != NULL)
		;
	else if (!is_count(json_object_get(j, "records"))) {
		key = "records";
		want = "expected an integer of at least 0";
	} else if (!json_is_number(json_object_get(j, "baseline"))) {
		key = "baseline";
		want = "expected a number";
	} else if (get_scores(rl, json_object_get(j, "scores")) != 0) {
		key = "scores";
		want = "expected ascending \"values\" and \"weights\" of at "
		    "least 1";
	} else if (json_object_get(j, "warm") != NULL &&
	    get_warm(rl, json_object_get(j, "warm")) != 0) {
		key = "warm";
		want = "expected \"records\" and \"logits\" for each value";
	}
	if (key != NULL) {
		ar_errf(err, "key \"strategies.rl.%s\": %s", key, want);
		rl_free(rl);
		return NULL;
	}
	rl->n = json_integer_value(json_object_get(j, "records"));
	rl->baseline = json_number_value(json_object_get(j, "baseline"));
	return rl;
}

int
model_bind(struct model *m, struct space *sp, struct ar_err *err)
{
	json_t *j;

	if (m->sp == sp)
		return 0;
	if (m->rl != NULL) {
		/* Bound to another space before: keep what it learned. */
		json_object_set_new(m->strategies, "rl", rl_json(m->rl,
		    m->sp));
		rl_free(m->rl);
		m->rl = NULL;
	}
	m->sp = NULL;
	if ((j = json_object_get(m->strategies, "rl")) != NULL &&
	    (m->rl = rl_from_json(sp, j, err)) == NULL)
		return -1;
	m->sp = sp;
	return 0;
}

static int
teach_kind(const struct model_obs *o)
{
	size_t i;

	if (o->status == NULL)
		return TEACH_NONE;
	if (strcmp(o->status, "ok") == 0)
		return o->has_score ? TEACH_OK : TEACH_NONE;
	/* The failures of a configuration: every other known status. */
	for (i = 1; i < NSTATUSES; i++)
		if (strcmp(o->status, statuses[i]) == 0)
			return TEACH_FAIL;
	return TEACH_NONE;
}

int
model_teaches(const struct model_obs *o)
{
	return teach_kind(o) != TEACH_NONE;
}

void
model_learn_cfg(struct model *m, const struct model_obs *o,
    const space_idx *cfg)
{
	int kind = teach_kind(o);
	double reward = -1;

	if (kind == TEACH_NONE || cfg == NULL || m->sp == NULL)
		return;
	if (m->rl == NULL)
		m->rl = rl_new(m->sp);
	if (kind == TEACH_OK) {
		reward = 2 * rl_quantile(m->rl, o->score) - 1;
		rl_add_score(m->rl, o->score);
	}
	rl_step(m->rl, cfg, reward, RL_STEP);
}

int
model_cfg_json(struct space *sp, json_t *params, space_idx *cfg)
{
	const struct spec *s = sp->spec;
	json_t *v;
	size_t d;
	long k;

	if (!json_is_object(params))
		return -1;
	for (d = 0; d < sp->np; d++) {
		if ((v = json_object_get(params, s->params[d].name)) == NULL ||
		    (k = spec_value_index(&s->params[d], v)) < 0)
			return -1;
		cfg[d] = (space_idx)k;
	}
	return 0;
}

int
model_learn(struct model *m, struct space *sp, json_t *rec,
    struct ar_err *err)
{
	struct model_obs o;
	space_idx *cfg;
	int best;

	if (model_bind(m, sp, err) != 0 || model_obs_json(rec, &o, err) != 0)
		return -1;
	if ((best = model_count(m, &o)) != 0)
		model_set_best(m, rec, o.score);
	if (model_teaches(&o)) {
		cfg = ecalloc(sp->np + 1, sizeof(*cfg));
		if (model_cfg_json(sp, json_object_get(rec, "params"),
		    cfg) == 0)
			model_learn_cfg(m, &o, cfg);
		free(cfg);
	}
	return best;
}

/* ---- the prior ---- */

/* The prior is one of the extra fields, where readers look for it. */
static json_t *
prior_of(const struct model *m)
{
	return json_object_get(m->extra, "prior");
}

struct prior_rec {
	json_t *params;
	double score;
	int kind;
	size_t idx;
	double q;
};

/* The ok records first, best first, then the rest in file order. */
static int
prior_cmp(const void *a, const void *b)
{
	const struct prior_rec *x = a, *y = b;

	if ((x->kind == TEACH_OK) != (y->kind == TEACH_OK))
		return x->kind == TEACH_OK ? -1 : 1;
	if (x->kind == TEACH_OK && x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
idx_cmp(const void *a, const void *b)
{
	const struct prior_rec *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Checks one record of a prior and adds it to pr; 0, or -1 with err set
 * (without the position, which the caller adds).
 */
static int
prior_add(json_t *rec, char **study, struct prior_rec *pr, size_t idx,
    struct ar_err *err)
{
	json_t *st = json_object_get(rec, "study");
	json_t *params = json_object_get(rec, "params");
	struct model_obs o;

	if (st != NULL && !json_is_string(st)) {
		ar_errf(err, "field \"study\" is not a string");
		return -1;
	}
	if (st != NULL && *study == NULL)
		*study = estrdup(json_string_value(st));
	else if (st != NULL && strcmp(*study, json_string_value(st)) != 0) {
		ar_errf(err, "a record of study '%s', but the prior's are of "
		    "study '%s'", json_string_value(st), *study);
		return -1;
	}
	if (!json_is_object(params)) {
		ar_errf(err, "no field \"params\" holding an object: not a "
		    "record of a study");
		return -1;
	}
	if (model_obs_json(rec, &o, err) != 0)
		return -1;
	pr->params = json_incref(params);
	pr->kind = teach_kind(&o);
	pr->score = o.score;
	pr->idx = idx;
	pr->q = 0;
	return 0;
}

/* The "points" of a prior: pr sorted by prior_cmp, nok of them ok. */
static json_t *
prior_points(struct prior_rec *pr, size_t n)
{
	json_t *points = json_array(), *seen = json_object(), *pt;
	size_t i, nok = 0, nfail = 0;
	char *key;

	for (i = 0; i < n; i++) {
		if (pr[i].kind == TEACH_NONE)
			continue;
		key = json_dumps(pr[i].params, JSON_COMPACT | JSON_SORT_KEYS);
		if (key == NULL)
			ar_die(AR_EXIT_FAIL, "out of memory");
		if (json_object_get(seen, key) == NULL) {
			json_object_set_new(seen, key, json_true());
			if (pr[i].kind == TEACH_OK ? nok < MODEL_PRIOR_OK :
			    nfail < MODEL_PRIOR_FAILED) {
				pt = json_object();
				json_object_set(pt, "params", pr[i].params);
				json_object_set_new(pt, "q",
				    pr[i].kind == TEACH_OK ?
				    json_real(pr[i].q) : json_null());
				json_array_append_new(points, pt);
				if (pr[i].kind == TEACH_OK)
					nok++;
				else
					nfail++;
			}
		}
		free(key);
	}
	json_decref(seen);
	return points;
}

int
model_read_prior(struct model *m, const char *path, struct ar_err *err)
{
	struct prior_rec *pr = NULL;
	struct rec_reader *r;
	struct ar_err e;
	space_idx *cfg;
	char *study = NULL;
	size_t n = 0, cap = 0, nok = 0, ntrain = 0, i, above;
	double step;
	json_t *rec, *prior;
	FILE *f;
	int rc;

	if (m->sp == NULL || m->evals > 0 || m->rl != NULL ||
	    prior_of(m) != NULL) {
		ar_errf(err, "a prior warms a model that has learned "
		    "nothing yet");
		return -1;
	}
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL) {
		ar_errf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	r = rec_reader_new(f, ar_fname(path));
	while ((rc = rec_read(r, &rec, err)) > 0) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			pr = ereallocarray(pr, cap, sizeof(*pr));
		}
		rc = prior_add(rec, &study, &pr[n], n, &e);
		json_decref(rec);
		if (rc != 0) {
			ar_errf(err, "%s:%zu: %s", rec_reader_name(r),
			    rec_reader_line(r), e.msg);
			rc = -1;
			break;
		}
		n++;
	}
	if (rc == 0 && n == 0) {
		ar_errf(err, "%s: no records (a prior is the scored history "
		    "of a related study)", rec_reader_name(r));
		rc = -1;
	}
	rec_reader_free(r);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		for (i = 0; i < n; i++)
			json_decref(pr[i].params);
		free(pr);
		free(study);
		return -1;
	}

	/* q: 1 less the share of the other ok records that score higher. */
	qsort(pr, n, sizeof(*pr), prior_cmp);
	while (nok < n && pr[nok].kind == TEACH_OK)
		nok++;
	for (i = 0, above = 0; i < nok; i++) {
		if (i > 0 && pr[i].score < pr[i - 1].score)
			above = i;
		pr[i].q = nok > 1 ? 1 - (double)above / (double)(nok - 1) : 1;
	}
	prior = json_object();
	json_object_set_new(prior, "history", json_string(path));
	json_object_set_new(prior, "study", study != NULL ?
	    json_string(study) : json_null());
	json_object_set_new(prior, "records", json_integer((json_int_t)n));
	json_object_set_new(prior, "points", prior_points(pr, n));

	/* The policy learns the prior's records in their order. */
	qsort(pr, n, sizeof(*pr), idx_cmp);
	cfg = ecalloc(m->sp->np + 1, sizeof(*cfg));
	for (i = 0; i < n; i++)
		if (pr[i].kind != TEACH_NONE &&
		    model_cfg_json(m->sp, pr[i].params, cfg) == 0)
			ntrain++;
	step = RL_STEP * RL_PRIOR_STEP;
	if ((double)ntrain > RL_PRIOR_CAP)
		step *= RL_PRIOR_CAP / (double)ntrain;
	m->rl = rl_new(m->sp);
	for (i = 0; i < n; i++)
		if (pr[i].kind != TEACH_NONE &&
		    model_cfg_json(m->sp, pr[i].params, cfg) == 0)
			rl_step(m->rl, cfg, pr[i].kind == TEACH_OK ?
			    2 * pr[i].q - 1 : -1, step);
	/* The study's own records start from the prior's policy, with a
	 * baseline and scores of their own. */
	m->rl->warm = ecalloc(m->rl->nv + 1, sizeof(*m->rl->warm));
	memcpy(m->rl->warm, m->rl->theta, m->rl->nv * sizeof(*m->rl->warm));
	m->rl->nwarm = m->rl->n;
	m->rl->baseline = 0;
	json_object_set_new(m->extra, "prior", prior);

	free(cfg);
	for (i = 0; i < n; i++)
		json_decref(pr[i].params);
	free(pr);
	free(study);
	return 0;
}

/* A model's "strategies.rl", live or as read (a new reference), or NULL. */
static json_t *
rl_state_json(const struct model *m)
{
	json_t *j;

	if (m->rl != NULL)
		return rl_json(m->rl, m->sp);
	j = json_object_get(m->strategies, "rl");
	return j != NULL ? json_incref(j) : NULL;
}

/* The "warm" of a model's policy (a new reference), or NULL. */
static json_t *
warm_json(const struct model *m)
{
	json_t *j = rl_state_json(m), *w = json_object_get(j, "warm");

	json_incref(w);
	json_decref(j);
	return w;
}

int
model_keep_prior(struct model *m, const struct model *old,
    struct ar_err *err)
{
	json_t *j, *w;
	int rc = 1;

	if (prior_of(old) == NULL)
		return 0;
	if (m->sp == NULL || m->evals > 0 || m->rl != NULL ||
	    prior_of(m) != NULL) {
		ar_errf(err, "a prior warms a model that has learned "
		    "nothing yet");
		return -1;
	}
	j = rl_state_json(old);
	if ((w = json_object_get(j, "warm")) != NULL) {
		m->rl = rl_new(m->sp);
		if (!policy_fits(m->sp, json_object_get(j, "policy"))) {
			ar_errf(err, "key \"strategies.rl.policy\": not a "
			    "policy over the parameters and values of the "
			    "study '%s' (the study changed?)",
			    m->sp->spec->name);
			rc = -1;
		} else if (get_warm(m->rl, w) != 0) {
			ar_errf(err, "key \"strategies.rl.warm\": expected "
			    "\"records\" and \"logits\" for each value");
			rc = -1;
		}
		if (rc < 0) {
			rl_free(m->rl);
			m->rl = NULL;
		} else {
			memcpy(m->rl->theta, m->rl->warm, m->rl->nv *
			    sizeof(*m->rl->theta));
			m->rl->n = m->rl->nwarm;
		}
	}
	json_decref(j);
	if (rc > 0)
		json_object_set_new(m->extra, "prior",
		    json_deep_copy(prior_of(old)));
	return rc;
}

int
model_same_prior(const struct model *a, const struct model *b)
{
	json_t *pa, *pb, *wa, *wb;
	int same;

	if (prior_of(a) == NULL || prior_of(b) == NULL)
		return prior_of(a) == prior_of(b);
	/* The same records under another path are the same prior. */
	pa = json_copy(prior_of(a));
	pb = json_copy(prior_of(b));
	json_object_del(pa, "history");
	json_object_del(pb, "history");
	wa = warm_json(a);
	wb = warm_json(b);
	same = json_equal(pa, pb) && ((wa == NULL && wb == NULL) ||
	    (wa != NULL && wb != NULL && json_equal(wa, wb)));
	json_decref(pa);
	json_decref(pb);
	json_decref(wa);
	json_decref(wb);
	return same;
}

int
model_rl_probs(const struct model *m, const struct space *sp,
    double *prob)
{
	json_t *rl, *pol;
	size_t d, off, n;

	if (m == NULL)
		return 0;
	if (m->rl != NULL && m->sp == sp)
		memcpy(prob, m->rl->theta, m->rl->nv * sizeof(*prob));
	else {
		rl = json_object_get(m->strategies, "rl");
		pol = json_object_get(rl, "policy");
		if (rl == NULL || !policy_fits(sp, pol))
			return 0;
		for (d = 0, off = 0; d < sp->np; off += n, d++) {
			n = sp->spec->params[d].n;
			if (get_reals(json_object_get(json_array_get(pol, d),
			    "logits"), prob + off, n) != 0)
				return 0;
		}
	}
	for (d = 0, off = 0; d < sp->np; off += n, d++) {
		n = sp->spec->params[d].n;
		softmax(prob + off, n, prob + off);
	}
	return 1;
}
