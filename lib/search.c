/*
 * search: the framework every strategy of ar-propose(1) runs in: the
 * history and the prior as observations, the batch and the checks that
 * keep it free of duplicates and invalid configurations, and the helpers
 * the strategies share.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "history.h"
#include "search.h"

struct search_priv {
	struct idset hist;	/* ids of the history */
	struct idset batch;	/* ids of the batch */
	size_t obscap, priorcap, batchcap;
	size_t nprior;		/* the prior's points read: s->prior holds
				 * them all, the strategies see s->nprior */
};

void
search_init(struct search *s, struct space *sp,
    const struct strategy *table, const struct model *model, uint64_t seed,
    long round)
{
	memset(s, 0, sizeof(*s));
	s->sp = sp;
	s->strategies = table;
	while (table != NULL && table[s->nstrategies].name != NULL)
		s->nstrategies++;
	s->model = model;
	s->seed = seed;
	s->round = round;
	s->arm = -1;
	s->priv = ecalloc(1, sizeof(struct search_priv));
}

int
search_arm(const struct search *s, const char *name)
{
	size_t k;

	for (k = 0; k < s->nstrategies; k++)
		if (strcmp(s->strategies[k].name, name) == 0)
			return (int)k;
	return -1;
}

void
search_warn(struct search *s, const char *fmt, ...)
{
	char msg[sizeof(s->err.msg) + 64];
	va_list ap;

	if (s->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->warn(msg);
}

void
search_fail(struct search *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err.msg, sizeof(s->err.msg), fmt, ap);
	va_end(ap);
	s->failed = 1;
}

static void
free_obs(struct obs *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(o[i].cfg);
	free(o);
}

/*
 * How many points s->prior holds: all that search_read_prior read, of
 * which the strategies may see fewer, or what a caller that filled
 * s->prior itself (the unit tests) put in s->nprior.
 */
static size_t
prior_held(const struct search *s)
{
	const struct search_priv *p = s->priv;
	size_t n = p != NULL ? p->nprior : 0;

	return n > s->nprior ? n : s->nprior;
}

void
search_release(struct search *s)
{
	struct search_priv *p = s->priv;

	free_obs(s->obs, s->nobs);
	free_obs(s->prior, prior_held(s));
	free(s->batch);
	free(s->batch_arm);
	free(s->batch_parent);
	if (p != NULL) {
		idset_release(&p->hist);
		idset_release(&p->batch);
		free(p);
	}
	memset(s, 0, sizeof(*s));
}

/*
 * The key of cfg's id.  In a study with "transform" the id hashes the
 * variant the knobs render, as ar-propose writes it: the history's ids
 * are those, and two configurations that render the same program (a
 * knob of a loop the study leaves alone) are one.
 */
static uint64_t
cfg_key(struct space *sp, const space_idx *cfg)
{
	char id[SPACE_IDLEN + 1], hash[HASH_HEXLEN + 1];
	struct ar_err err;

	if (sp->spec->xform != NULL && space_render_hash(sp, cfg, hash,
	    &err) == 0)
		space_id_variant(sp, cfg, hash, id);
	else
		space_id(sp, cfg, id);
	return hash_id_key(id, SPACE_IDLEN);
}

static void
push_obs(struct obs **v, size_t *n, size_t *cap, size_t np,
    const space_idx *cfg, enum obs_kind kind, double score, long round,
    int arm)
{
	struct obs *o;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		*v = ereallocarray(*v, *cap, sizeof(**v));
	}
	o = &(*v)[(*n)++];
	o->cfg = ecalloc(np ? np : 1, sizeof(*o->cfg));
	memcpy(o->cfg, cfg, np * sizeof(*cfg));
	o->kind = kind;
	o->score = kind == OBS_OK ? score : NAN;
	o->round = round;
	o->arm = arm;
	o->hasobj = 0;
}

void
search_add(struct search *s, const space_idx *cfg, enum obs_kind kind,
    double score, long round, int arm)
{
	struct search_priv *p = s->priv;

	push_obs(&s->obs, &s->nobs, &p->obscap, s->sp->np, cfg, kind, score,
	    round, arm);
	idset_add(&p->hist, cfg_key(s->sp, cfg));
	if (round > s->maxround)
		s->maxround = round;
}

int
search_cmp_ranked(const void *a, const void *b)
{
	const struct search_ranked *x = a, *y = b;

	if (x->q != y->q)
		return x->q < y->q ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

size_t
search_ranked_ok(const struct search *s, double *q, struct search_ranked *rk)
{
	size_t i, j, nok = search_quality(s, q);

	for (i = j = 0; i < s->nobs; i++)
		if (s->obs[i].kind == OBS_OK) {
			rk[j].q = q[i];
			rk[j].i = i;
			j++;
		}
	qsort(rk, nok, sizeof(*rk), search_cmp_ranked);
	return nok;
}

enum obs_kind
search_kind(const char *status, int has_score, double score)
{
	/* infeasible: ar-score's, measured but a requirement not met. */
	static const char *const failed[] = { "compile_error", "invalid",
	    "wrong", "crash", "timeout", "suspicious", "infeasible" };
	size_t i;

	if (status == NULL)
		return OBS_OTHER;
	if (strcmp(status, "ok") == 0)
		return has_score && isfinite(score) ? OBS_OK : OBS_OTHER;
	for (i = 0; i < sizeof(failed) / sizeof(failed[0]); i++)
		if (strcmp(status, failed[i]) == 0)
			return OBS_FAILED;
	return OBS_OTHER;
}

/*
 * The record's round: an integer, and in a JSON line any whole number
 * below 1e15 (3.0, 1e1), as searching read a round before the history
 * module; 0 when it has none.
 */
static int
record_round(const struct history *h, long *round)
{
	json_int_t n;
	double v;

	if (!h->jsonl) {
		if (!history_integer(h, HISTORY_ROUND, &n))
			return 0;
		*round = (long)n;
		return 1;
	}
	if (!history_number(h, HISTORY_ROUND, &v) || v != floor(v) ||
	    fabs(v) >= 1e15)
		return 0;
	*round = (long)v;
	return 1;
}

/*
 * Takes one record into the history: its id (or the id of its params
 * when it has none) joins those never proposed, and its params, when
 * they are a valid configuration of today's space (cfg), an observation.
 */
static void
take_record(struct search *s, struct history *h, const space_idx *cfg)
{
	struct search_priv *p = s->priv;
	struct space *sp = s->sp;
	const char *id, *status, *strategy;
	int inspace = space_valid(sp, cfg), has_score, has_round;
	long round = -1;
	double score = NAN;
	size_t idlen;

	/* A configuration that breaks a constraint added since it was
	 * measured cannot collide with a proposal, nor teach anything. */
	if ((id = history_string(h, HISTORY_ID, &idlen)) != NULL)
		idset_add(&p->hist, hash_id_key(id, idlen));
	else if (inspace)
		idset_add(&p->hist, cfg_key(sp, cfg));
	has_round = record_round(h, &round);
	if (has_round && round > s->maxround)
		s->maxround = round;
	if (!inspace)
		return;
	has_score = history_number(h, HISTORY_SCORE, &score);
	status = history_string(h, HISTORY_STATUS, NULL);
	strategy = history_string(h, HISTORY_STRATEGY, NULL);
	push_obs(&s->obs, &s->nobs, &p->obscap, sp->np, cfg,
	    search_kind(status, has_score, score), has_score ? score : NAN,
	    has_round ? round : -1,
	    strategy != NULL ? search_arm(s, strategy) : -1);
	if (sp->spec->nobjectives > 0)
		s->obs[s->nobs - 1].hasobj = history_reals(h,
		    HISTORY_OBJECTIVES, s->obs[s->nobs - 1].obj,
		    sp->spec->nobjectives);
}

/*
 * ParEGO's scalarisation (Knowles, 2006): each objective as a cost
 * scaled to [0, 1] over the history's ok records, and the score minus
 * the augmented Chebyshev distance max_k w_k f_k + 0.05 sum_k w_k f_k
 * under weights w drawn uniformly from the simplex, anew each round, so
 * that the rounds aim at different parts of the front.
 */
void
search_scalarise(struct search *s)
{
	const struct spec *sp = s->sp->spec;
	double lo[SPEC_MAX_OBJECTIVES], hi[SPEC_MAX_OBJECTIVES];
	double w[SPEC_MAX_OBJECTIVES], c, sum = 0, g, mx;
	size_t m = sp->nobjectives, i, k;
	struct rng r;

	if (m == 0)
		return;
	for (k = 0; k < m; k++) {
		lo[k] = INFINITY;
		hi[k] = -INFINITY;
	}
	for (i = 0; i < s->nobs; i++)
		for (k = 0; s->obs[i].kind == OBS_OK && s->obs[i].hasobj &&
		    k < m; k++) {
			c = sp->objective_max[k] ? -s->obs[i].obj[k] :
			    s->obs[i].obj[k];
			lo[k] = c < lo[k] ? c : lo[k];
			hi[k] = c > hi[k] ? c : hi[k];
		}
	rng_seed(&r, s->seed ^ (uint64_t)s->round * 0x9e3779b97f4a7c15ULL ^
	    0x70617265676fULL);
	for (k = 0; k < m; k++)
		sum += (w[k] = -log(1.0 - rng_unif(&r)));
	for (k = 0; k < m; k++)
		w[k] /= sum;
	for (i = 0; i < s->nobs; i++) {
		struct obs *o = &s->obs[i];

		if (o->kind != OBS_OK || !o->hasobj)
			continue;
		for (g = 0, mx = 0, k = 0; k < m; k++) {
			c = sp->objective_max[k] ? -o->obj[k] : o->obj[k];
			c = hi[k] > lo[k] ? (c - lo[k]) / (hi[k] - lo[k]) : 0;
			mx = w[k] * c > mx ? w[k] * c : mx;
			g += w[k] * c;
		}
		o->score = -(mx + 0.05 * g);
	}
}

/*
 * A bad record of the history, msg saying where and what: an error, or
 * under keep_going a warning and 0, the record skipped.  A reader that
 * cannot go on gives the same message again, which is an error with an
 * empty message under keep_going: it was said already.
 */
static int
bad_record(struct search *s, struct ar_err *last, const struct ar_err *e,
    struct ar_err *err)
{
	if (!s->keep_going) {
		*err = *e;
		return -1;
	}
	if (strcmp(e->msg, last->msg) == 0) {
		err->msg[0] = '\0';
		return -1;
	}
	search_warn(s, "%s; skipped", e->msg);
	*last = *e;
	return 0;
}

/*
 * Every record of the study must give each parameter one of the values
 * the study lists, and no other parameter, as ar-compile(1) checks them;
 * a configuration that breaks a constraint is no error (the constraints
 * may have been added since), but it teaches nothing.  Records of other
 * studies are skipped before even their params are read.
 */
int
search_read_history(struct search *s, FILE *f, const char *name,
    struct ar_err *err)
{
	struct history h;
	struct ar_err e, last = { "" };
	const char *study;
	space_idx *cfg = ecalloc(s->sp->np ? s->sp->np : 1, sizeof(*cfg));
	int rc, ret = 0;

	history_open(&h, f, name);
	while ((rc = history_next(&h, &e)) != 0) {
		if (rc > 0 && history_has(&h, HISTORY_STUDY)) {
			if ((study = history_string(&h, HISTORY_STUDY,
			    NULL)) == NULL) {
				ar_errf(&e, "%s:%zu: field \"study\" is not "
				    "a string", history_name(&h),
				    history_line(&h));
				rc = -1;
			} else if (strcmp(study, s->sp->spec->name) != 0)
				continue;
		}
		if (rc > 0) {
			struct ar_err pe;

			if (history_params(&h, s->sp, cfg, &pe) == 0) {
				take_record(s, &h, cfg);
				continue;
			}
			ar_errf(&e, "%s:%zu: %s", history_name(&h),
			    history_line(&h), pe.msg);
		}
		if ((ret = bad_record(s, &last, &e, err)) < 0)
			break;
	}
	history_close(&h);
	free(cfg);
	return ret;
}

size_t
search_history_count(struct search *s)
{
	struct search_priv *p = s->priv;
	struct idset seen = { 0 };
	uint64_t key;
	size_t i, n = 0;

	/* Every valid configuration the history holds is the params of one
	 * of its records (an id alone names no configuration), and counts
	 * when search_seen would refuse it. */
	for (i = 0; i < s->nobs; i++) {
		if (!space_valid(s->sp, s->obs[i].cfg))
			continue;
		key = cfg_key(s->sp, s->obs[i].cfg);
		if (idset_has(&p->hist, key) && idset_add(&seen, key))
			n++;
	}
	idset_release(&seen);
	return n;
}

/* A best score for a message: "none" when nothing was ok. */
static void
score_text(char *buf, size_t size, double score)
{
	if (score == -INFINITY)
		snprintf(buf, size, "none (all failed)");
	else
		snprintf(buf, size, "%.6g", score);
}

/*
 * The test a prior must pass before the strategies may trust it.  A
 * strategy that uses the prior offers its points first, and a prior whose
 * best region is not this study's would spend the first rounds there and
 * hold the search in it.  So the prior is on trial first: the strategies
 * see only its SEARCH_PRIOR_TRIAL best points, and fill the rest of the
 * round with proposals of their own, as they would cold.  The verdict is
 * read off the history, at the end of the first round by which it holds
 * both a point of the prior (any of its ok ones) and one of the
 * strategy's own: the prior is trusted when the best of its points
 * measured scores at least as well as the best of the others, and set
 * aside when not (or when every one of its points failed here).
 * Trusted, the strategies see the whole prior again; set aside, none of
 * it, and go on as they would cold, from the history as it stands.
 * While the history holds points of the prior but none of the strategy's
 * own (a batch too small for both), they see none of it, so that the
 * next round is their own.  Those first rounds never change, so neither
 * does the verdict: every later proposal reads the same one, and says it
 * (through s->warn) once, in the round after the trial.
 *
 * The test is the plainest one four points allow, and what it can tell is
 * limited (BENCHMARKS.md, the transfer benchmark): it sets aside a prior
 * whose best points measure here no better than the search's first
 * guesses, but not one whose best points measure well here and still lie
 * outside this study's best region; nothing measured this early tells
 * that one from a prior that helps.
 */
static void
prior_check(struct search *s)
{
	struct idset ids = { 0 };
	size_t i, j, k, nok, np = 0, trial = s->nprior;
	int inp, havep = 0, haveo = 0;
	double bp = -INFINITY, bo = -INFINITY;

	/* The ok points, and where the best SEARCH_PRIOR_TRIAL of them end. */
	for (i = nok = 0; i < s->nprior; i++)
		if (s->prior[i].kind == OBS_OK) {
			idset_add(&ids, cfg_key(s->sp, s->prior[i].cfg));
			if (++nok == SEARCH_PRIOR_TRIAL)
				trial = i + 1;
		}
	/* Round by round (a record without a round is one of its own). */
	for (i = 0; i < s->nobs && !(havep && haveo); i = j) {
		for (j = i + 1; j < s->nobs && s->obs[i].round >= 0 &&
		    s->obs[j].round == s->obs[i].round; j++)
			;
		for (k = i; k < j; k++) {
			const struct obs *o = &s->obs[k];

			if (o->kind == OBS_OTHER)
				continue;
			inp = idset_has(&ids, cfg_key(s->sp, o->cfg));
			if (inp) {
				havep = 1;
				np++;
			} else
				haveo = 1;
			if (o->kind == OBS_OK && inp && o->score > bp)
				bp = o->score;
			if (o->kind == OBS_OK && !inp && o->score > bo)
				bo = o->score;
		}
	}
	idset_release(&ids);
	if (!havep) {
		s->prior_verdict = SEARCH_PRIOR_TRIAL_ROUND;
		s->nprior = trial;
		return;
	}
	if (!haveo) {
		s->prior_verdict = SEARCH_PRIOR_WAITING;
		s->nprior = 0;
		return;
	}
	if (bp > -INFINITY && bp >= bo)
		s->prior_verdict = SEARCH_PRIOR_TRUSTED;
	else {
		s->prior_verdict = SEARCH_PRIOR_DROPPED;
		s->nprior = 0;
	}
	/* The trial ended with the history's last round: this is the first
	 * proposal to read the verdict. */
	if (i == s->nobs) {
		char p[32], o[32];

		score_text(p, sizeof(p), bp);
		score_text(o, sizeof(o), bo);
		search_warn(s, "the prior %s: the best of its %zu points "
		    "measured here scores %s, the search's own best %s; %s",
		    s->prior_verdict == SEARCH_PRIOR_TRUSTED ? "holds up" :
		    "misleads", np, p, o,
		    s->prior_verdict == SEARCH_PRIOR_TRUSTED ? "it is kept" :
		    "it is set aside");
	}
}

void
search_read_prior(struct search *s)
{
	struct search_priv *p = s->priv;
	struct space *sp = s->sp;
	json_t *prior, *points, *pt, *q, *params;
	space_idx *cfg;
	struct ar_err err;
	size_t i;

	/* Read again, it starts afresh. */
	free_obs(s->prior, prior_held(s));
	s->prior = NULL;
	s->nprior = p->nprior = p->priorcap = 0;
	s->prior_verdict = SEARCH_PRIOR_NONE;
	if (s->model == NULL)
		return;
	prior = json_object_get(s->model->extra, "prior");
	points = json_object_get(prior, "points");
	if (!json_is_array(points))
		return;
	cfg = ecalloc(sp->np ? sp->np : 1, sizeof(*cfg));
	json_array_foreach(points, i, pt) {
		params = json_object_get(pt, "params");
		q = json_object_get(pt, "q");
		if (!json_is_object(params) ||
		    space_from_json(sp, params, cfg, &err) != 0)
			continue;
		if (json_is_number(q))
			push_obs(&s->prior, &s->nprior, &p->priorcap, sp->np,
			    cfg, OBS_OK, json_number_value(q), -1, -1);
		else if (json_is_null(q))
			push_obs(&s->prior, &s->nprior, &p->priorcap, sp->np,
			    cfg, OBS_FAILED, NAN, -1, -1);
	}
	free(cfg);
	p->nprior = s->nprior;
	prior_check(s);
}

void
search_begin(struct search *s, size_t want, int k)
{
	struct search_priv *p = s->priv;

	/* The batch grows as it fills: want may be far beyond what the
	 * space holds (-n 1000000000 to list it all). */
	idset_release(&p->batch);
	memset(&p->batch, 0, sizeof(p->batch));
	s->nbatch = 0;
	s->want = want;
	s->arm = k;
}

void
search_rng(const struct search *s, int k, struct rng *r)
{
	uint64_t x = s->seed ^ (uint64_t)s->round * 0x9e3779b97f4a7c15ULL;

	/* random keeps the sequence it drew before there were other
	 * strategies, so that its proposals did not change. */
	if (k < 0 || (size_t)k >= s->nstrategies ||
	    strcmp(s->strategies[k].name, "random") != 0)
		x ^= ((uint64_t)k + 1) * 0xd1b54a32d192ed03ULL;
	rng_seed(r, x);
}

size_t
search_room(const struct search *s)
{
	if (s->failed)
		return 0;
	return s->nbatch < s->want ? s->want - s->nbatch : 0;
}

size_t
search_nknown(const struct search *s)
{
	const struct search_priv *p = s->priv;

	return p->hist.n;
}

int
search_seen(struct search *s, const space_idx *cfg)
{
	struct search_priv *p = s->priv;
	uint64_t key = cfg_key(s->sp, cfg);

	return idset_has(&p->hist, key) || idset_has(&p->batch, key);
}

int
search_offer(struct search *s, const space_idx *cfg)
{
	return search_offer_from(s, cfg, -1);
}

int
search_offer_from(struct search *s, const space_idx *cfg, int parent)
{
	struct search_priv *p = s->priv;
	uint64_t key;

	if (search_room(s) == 0 || !space_valid(s->sp, cfg))
		return 0;
	key = cfg_key(s->sp, cfg);
	if (idset_has(&p->hist, key) || !idset_add(&p->batch, key))
		return 0;
	if (s->nbatch == p->batchcap) {
		p->batchcap = p->batchcap ? 2 * p->batchcap : 64;
		s->batch = ereallocarray(s->batch, p->batchcap *
		    (s->sp->np ? s->sp->np : 1), sizeof(*s->batch));
		s->batch_arm = ereallocarray(s->batch_arm, p->batchcap,
		    sizeof(*s->batch_arm));
		s->batch_parent = ereallocarray(s->batch_parent,
		    p->batchcap, sizeof(*s->batch_parent));
	}
	memcpy(s->batch + s->nbatch * s->sp->np, cfg,
	    s->sp->np * sizeof(*cfg));
	s->batch_parent[s->nbatch] = parent >= 0 && (size_t)parent <
	    s->nobs ? parent : -1;
	s->batch_arm[s->nbatch++] = s->arm;
	return 1;
}

static int
cmp_dbl_idx(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

size_t
search_quality(const struct search *s, double *q)
{
	double *pairs = ecalloc(2 * (s->nobs ? s->nobs : 1), sizeof(*pairs));
	size_t i, j, n = 0;

	for (i = 0; i < s->nobs; i++) {
		q[i] = s->obs[i].kind == OBS_FAILED ? -1.0 : NAN;
		if (s->obs[i].kind == OBS_OK) {
			pairs[2 * n] = s->obs[i].score;
			pairs[2 * n + 1] = (double)i;
			n++;
		}
	}
	qsort(pairs, n, 2 * sizeof(*pairs), cmp_dbl_idx);
	for (i = 0; i < n; i = j) {
		double rank;

		for (j = i + 1; j < n && pairs[2 * j] == pairs[2 * i]; j++)
			;
		/* Ties share the mean of their ranks. */
		rank = n > 1 ? ((double)(i + j - 1) / 2.0) / (double)(n - 1) :
		    1.0;
		for (; i < j; i++)
			q[(size_t)pairs[2 * i + 1]] = rank;
	}
	free(pairs);
	return n;
}

/* ---- helpers for the strategies ---- */

struct unseen {
	struct search *s;
	space_idx *v;
	size_t n, cap;
};

static int
unseen_visit(void *ctx, const space_idx *cfg)
{
	struct unseen *u = ctx;
	size_t np = u->s->sp->np;

	if (search_seen(u->s, cfg))
		return 0;
	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 32;
		u->v = ereallocarray(u->v, u->cap * (np ? np : 1),
		    sizeof(*u->v));
	}
	memcpy(u->v + u->n * np, cfg, np * sizeof(*cfg));
	u->n++;
	return 0;
}

size_t
search_unseen_neighbours(struct search *s, const space_idx *cfg,
    int adjacent, space_idx **out)
{
	struct unseen u = { s, NULL, 0, 0 };

	space_neighbours(s->sp, cfg, adjacent, unseen_visit, &u);
	*out = u.v;
	return u.n;
}

int
search_sample(struct search *s, struct rng *r, space_idx *cfg)
{
	struct space *sp = s->sp;

	if (sp->list == NULL && sp->product <= SEARCH_LIST_PRODUCT)
		space_materialize(sp, SEARCH_LIST_PRODUCT);
	if (space_sample(sp, r, cfg, SEARCH_SAMPLE_TRIES) == 0)
		return 0;
	/* Sampling failed: the valid set is sparse; list it if it can be. */
	if (sp->list == NULL && space_materialize(sp, SEARCH_LIST_MAX))
		return space_sample(sp, r, cfg, 1);
	return -1;
}

/* ---- the additive surrogate ---- */

/* The shrinkage: an effect seen n times is scaled by n / (n + lambda). */
#define ADD_LAMBDA	2.0
#define ADD_SWEEPS	3

double
search_additive_pred(const struct search_additive *m, const space_idx *cfg)
{
	double y = m->mean;
	size_t d;

	for (d = 0; d < m->np; d++)
		y += m->eff[m->off[d] + cfg[d]];
	return y;
}

void
search_additive_fit(struct search_additive *m, const struct search *s,
    const double *y)
{
	const struct spec *spec = s->sp->spec;
	size_t np = s->sp->np, d, i, k, tot = 0, n = 0, it;
	double *sum, *res;

	m->np = np;
	m->off = ecalloc(np + 1, sizeof(*m->off));
	for (d = 0; d < np; d++) {
		m->off[d] = tot;
		tot += spec->params[d].n;
	}
	m->off[np] = tot;
	m->eff = ecalloc(tot ? tot : 1, sizeof(*m->eff));
	m->cnt = ecalloc(tot ? tot : 1, sizeof(*m->cnt));
	sum = ecalloc(tot ? tot : 1, sizeof(*sum));
	res = ecalloc(s->nobs ? s->nobs : 1, sizeof(*res));
	m->mean = 0;
	for (i = 0; i < s->nobs; i++) {
		if (isnan(y[i]))
			continue;
		m->mean += y[i];
		n++;
		for (d = 0; d < np; d++)
			m->cnt[m->off[d] + s->obs[i].cfg[d]] += 1;
	}
	if (n == 0)
		goto out;
	m->mean /= (double)n;
	/* res[i] is what the model leaves of observation i unexplained. */
	for (i = 0; i < s->nobs; i++)
		if (!isnan(y[i]))
			res[i] = y[i] - m->mean;
	for (it = 0; it < ADD_SWEEPS; it++)
		for (d = 0; d < np; d++) {
			for (k = m->off[d]; k < m->off[d + 1]; k++)
				sum[k] = 0;
			for (i = 0; i < s->nobs; i++)
				if (!isnan(y[i])) {
					k = m->off[d] + s->obs[i].cfg[d];
					sum[k] += res[i] + m->eff[k];
				}
			for (k = m->off[d]; k < m->off[d + 1]; k++)
				sum[k] /= m->cnt[k] + ADD_LAMBDA;
			for (i = 0; i < s->nobs; i++)
				if (!isnan(y[i])) {
					k = m->off[d] + s->obs[i].cfg[d];
					res[i] += m->eff[k] - sum[k];
				}
			for (k = m->off[d]; k < m->off[d + 1]; k++)
				m->eff[k] = sum[k];
		}
out:
	free(res);
	free(sum);
}

void
search_additive_release(struct search_additive *m)
{
	free(m->off);
	free(m->eff);
	free(m->cnt);
	memset(m, 0, sizeof(*m));
}

void
search_surrogate_fit(struct search_surrogate *m, const struct search *s,
    const double *q)
{
	double *y = ecalloc(s->nobs ? s->nobs : 1, sizeof(*y));
	size_t i;

	m->failures = 0;
	for (i = 0; i < s->nobs; i++)
		y[i] = q[i] < 0 ? SEARCH_FAILED_Q : q[i];
	search_additive_fit(&m->good, s, y);
	for (i = 0; i < s->nobs; i++) {
		y[i] = isnan(q[i]) ? NAN : q[i] < 0 ? 1.0 : 0.0;
		m->failures |= q[i] < 0;
	}
	search_additive_fit(&m->fail, s, y);
	free(y);
}

double
search_screen(const struct search_surrogate *m, const space_idx *cfg)
{
	/* Halfway from the history's failure rate to certainty: where
	 * most configurations fail, a likely failure is no news. */
	if (m->failures && search_additive_pred(&m->fail, cfg) >=
	    (1.0 + m->fail.mean) / 2)
		return SEARCH_FAILED_Q;
	return search_additive_pred(&m->good, cfg);
}

void
search_surrogate_release(struct search_surrogate *m)
{
	search_additive_release(&m->good);
	search_additive_release(&m->fail);
}
