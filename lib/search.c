/*
 * search: the framework every strategy of ar-propose(1) runs in: the
 * registry, the history and the prior as observations, the batch and the
 * checks that keep it free of duplicates and invalid configurations, and
 * the two strategies that learn nothing (grid and random).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hash.h"
#include "rec.h"
#include "search.h"

/* Spaces up to this many combinations are listed in memory for sampling. */
#define LIST_PRODUCT	(1u << 22)
/* A sparse space is listed anyway when sampling finds little; this caps it. */
#define LIST_MAX	(1u << 24)
#define SAMPLE_TRIES	1000000
#define DUP_TRIES	1000

struct search_priv {
	struct idset hist;	/* ids of the history */
	struct idset batch;	/* ids of the batch */
	size_t obscap, priorcap, batchcap;
};

const struct strategy search_strategies[] = {
	{ "grid", strat_grid, 0 },
	{ "random", strat_random, 0 },
	{ "anneal", strat_anneal, 1 },
	{ "ga", strat_ga, 1 },
	{ "bo", strat_bo, 1 },
	{ "rl", strat_rl, 1 },
	{ "auto", strat_auto, 1 },
};
const size_t search_nstrategies = sizeof(search_strategies) /
    sizeof(search_strategies[0]);

int
search_strategy(const char *name)
{
	size_t k;

	for (k = 0; k < search_nstrategies; k++)
		if (strcmp(search_strategies[k].name, name) == 0)
			return (int)k;
	return -1;
}

void
search_init(struct search *s, struct space *sp, const struct model *model,
    uint64_t seed, long round)
{
	memset(s, 0, sizeof(*s));
	s->sp = sp;
	s->model = model;
	s->seed = seed;
	s->round = round;
	s->arm = -1;
	s->priv = ecalloc(1, sizeof(struct search_priv));
}

static void
free_obs(struct obs *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(o[i].cfg);
	free(o);
}

void
search_release(struct search *s)
{
	struct search_priv *p = s->priv;

	free_obs(s->obs, s->nobs);
	free_obs(s->prior, s->nprior);
	free(s->batch);
	free(s->batch_arm);
	if (p != NULL) {
		idset_release(&p->hist);
		idset_release(&p->batch);
		free(p);
	}
	memset(s, 0, sizeof(*s));
}

static uint64_t
cfg_key(struct space *sp, const space_idx *cfg)
{
	char id[SPACE_IDLEN + 1];

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

/* The fields of one record that searching reads. */
struct hrec {
	int has_id;
	uint64_t idkey;
	int has_round;
	long round;
	const char *status;	/* NULL when absent or not a string */
	const char *strategy;
	int has_score;
	double score;
	int inspace;		/* cfg, the params, is valid under the
				 * constraints */
	space_idx *cfg;
};

/*
 * Takes one record into the history: its id (or the id of its params
 * when it has none) joins those never proposed, and its params, when
 * they are a valid configuration of today's space, an observation.
 */
static void
take_record(struct search *s, const struct hrec *h)
{
	struct search_priv *p = s->priv;
	struct space *sp = s->sp;
	const space_idx *cfg = h->cfg;
	int inspace = h->inspace;

	/* A configuration that breaks a constraint added since it was
	 * measured cannot collide with a proposal, nor teach anything. */
	if (h->has_id)
		idset_add(&p->hist, h->idkey);
	else if (inspace)
		idset_add(&p->hist, cfg_key(sp, cfg));
	if (h->has_round && h->round > s->maxround)
		s->maxround = h->round;
	if (inspace)
		push_obs(&s->obs, &s->nobs, &p->obscap, sp->np, cfg,
		    search_kind(h->status, h->has_score, h->score),
		    h->has_score ? h->score : NAN,
		    h->has_round ? h->round : -1,
		    h->strategy != NULL ? search_strategy(h->strategy) : -1);
}

/*
 * A bad record of the history, msg saying where and what: the program
 * ends with status 2, or under keep_going the record is skipped with a
 * warning.  A reader that cannot go on gives the same message again,
 * which ends the run under keep_going too.
 */
static void
bad_record(struct search *s, struct ar_err *last, const char *fmt, ...)
{
	struct ar_err e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	if (!s->keep_going)
		ar_die(AR_EXIT_USAGE, "%s", e.msg);
	if (strcmp(e.msg, last->msg) == 0)
		exit(AR_EXIT_USAGE);	/* said already */
	ar_warn("%s; skipped", e.msg);
	*last = e;
}

/*
 * A CSV row: fills h and returns 1, 0 for a record of another study, or
 * -1 with err set.
 */
static int
take_json(struct search *s, json_t *rec, struct hrec *h, struct ar_err *err)
{
	json_t *study = json_object_get(rec, "study");
	json_t *v, *params;

	if (study != NULL && !json_is_string(study)) {
		ar_errf(err, "field \"study\" is not a string");
		return -1;
	}
	if (study != NULL &&
	    strcmp(json_string_value(study), s->sp->spec->name) != 0)
		return 0;
	v = json_object_get(rec, "id");
	if (json_is_string(v)) {
		h->has_id = 1;
		h->idkey = hash_id_key(json_string_value(v),
		    json_string_length(v));
	}
	v = json_object_get(rec, "round");
	if (json_is_integer(v)) {
		h->has_round = 1;
		h->round = (long)json_integer_value(v);
	}
	h->status = json_string_value(json_object_get(rec, "status"));
	h->strategy = json_string_value(json_object_get(rec, "strategy"));
	v = json_object_get(rec, "score");
	if (json_is_number(v)) {
		h->has_score = 1;
		h->score = json_number_value(v);
	}
	params = json_object_get(rec, "params");
	if (space_params_from_json(s->sp, params, h->cfg, err) != 0)
		return -1;
	h->inspace = space_valid(s->sp, h->cfg);
	return 1;
}

/* A span that is a JSON number, as a double; 0 when it is not one. */
static int
span_number(const struct rec_span *sp, double *v)
{
	char buf[64], *end;

	if (sp->start == NULL || sp->len == 0 || sp->len >= sizeof(buf))
		return 0;
	if (sp->start[0] != '-' && (sp->start[0] < '0' || sp->start[0] > '9'))
		return 0;
	memcpy(buf, sp->start, sp->len);
	buf[sp->len] = '\0';
	errno = 0;
	*v = strtod(buf, &end);
	return *end == '\0';
}

static void
read_csv(struct search *s, struct rec_reader *r, space_idx *cfg)
{
	struct ar_err err, last = { "" };
	struct hrec h;
	json_t *rec;
	int rc;

	while ((rc = rec_read(r, &rec, &err)) != 0) {
		if (rc < 0) {
			bad_record(s, &last, "%s", err.msg);
			continue;
		}
		memset(&h, 0, sizeof(h));
		h.cfg = cfg;
		rc = take_json(s, rec, &h, &err);
		if (rc < 0)
			bad_record(s, &last, "%s:%zu: %s",
			    rec_reader_name(r), rec_reader_line(r), err.msg);
		else if (rc > 0)
			take_record(s, &h);
		json_decref(rec);
	}
}

/*
 * Reading a long history is the bulk of ar-propose's time, so JSON lines
 * are only scanned for the fields searching needs, and params is parsed
 * only when it is not written as the stages write it; records of other
 * studies are skipped before even that.  Every record of the study must
 * give each parameter one of the values the study lists, and no other
 * parameter, as ar-compile(1) checks them; a configuration that breaks
 * a constraint is no error (the constraints may have been added since),
 * but it teaches nothing.
 */
void
search_read_history(struct search *s, const char *path)
{
	enum { STUDY, ID, ROUND, STRATEGY, STATUS, SCORE, PARAMS, NKEYS };
	static const char *const keys[NKEYS] = { "study", "id", "round",
	    "strategy", "status", "score", "params" };
	FILE *f = cli_open_input(path);
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
	struct rec_span sp[NKEYS];
	struct ar_err err, last = { "" };
	const char *line, *name = rec_reader_name(r);
	size_t len;
	char study[256], id[256], status[64], strategy[64];
	space_idx *cfg = ecalloc(s->sp->np ? s->sp->np : 1, sizeof(*cfg));
	int rc;

	if (rec_reader_format(r) == REC_CSV) {
		read_csv(s, r, cfg);
		goto done;
	}
	while ((rc = rec_read_line(r, &line, &len, &err)) != 0) {
		struct hrec h;
		long slen;
		double v;

		if (rc < 0) {
			bad_record(s, &last, "%s", err.msg);
			continue;
		}
		/* err says "invalid JSON at column N: what". */
		if (rec_peek(line, len, keys, NKEYS, sp, &err) != 0) {
			bad_record(s, &last, "%s:%zu: %s", name,
			    rec_reader_line(r), err.msg);
			continue;
		}
		if (sp[STUDY].start != NULL) {
			if (sp[STUDY].start[0] != '"') {
				bad_record(s, &last, "%s:%zu: field \"study\" "
				    "is not a string", name,
				    rec_reader_line(r));
				continue;
			}
			slen = rec_span_string(&sp[STUDY], study,
			    sizeof(study));
			if (slen < 0 || strcmp(study, s->sp->spec->name) != 0)
				continue;
		}
		memset(&h, 0, sizeof(h));
		if (sp[ID].start != NULL && (slen = rec_span_string(&sp[ID],
		    id, sizeof(id))) >= 0) {
			h.has_id = 1;
			h.idkey = hash_id_key(id, (size_t)slen);
		}
		if (span_number(&sp[ROUND], &v) && v == floor(v) &&
		    fabs(v) < 1e15) {
			h.has_round = 1;
			h.round = (long)v;
		}
		if (sp[STATUS].start != NULL && rec_span_string(&sp[STATUS],
		    status, sizeof(status)) >= 0)
			h.status = status;
		if (sp[STRATEGY].start != NULL &&
		    rec_span_string(&sp[STRATEGY], strategy,
		    sizeof(strategy)) >= 0)
			h.strategy = strategy;
		h.has_score = span_number(&sp[SCORE], &h.score);
		h.cfg = cfg;
		if (space_params_text(s->sp, sp[PARAMS].start,
		    sp[PARAMS].len, cfg, &err) == 0) {
			h.inspace = space_valid(s->sp, cfg);
			take_record(s, &h);
			continue;
		}
		bad_record(s, &last, "%s:%zu: %s", name, rec_reader_line(r),
		    err.msg);
	}
done:
	free(cfg);
	rec_reader_free(r);
	cli_close_input(f);
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

void
search_read_prior(struct search *s)
{
	struct search_priv *p = s->priv;
	struct space *sp = s->sp;
	json_t *prior, *points, *pt, *q, *params;
	space_idx *cfg;
	struct ar_err err;
	size_t i;

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
	if (k != SEARCH_RANDOM)
		x ^= ((uint64_t)k + 1) * 0xd1b54a32d192ed03ULL;
	rng_seed(r, x);
}

size_t
search_room(const struct search *s)
{
	return s->nbatch < s->want ? s->want - s->nbatch : 0;
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
	}
	memcpy(s->batch + s->nbatch * s->sp->np, cfg,
	    s->sp->np * sizeof(*cfg));
	s->batch_arm[s->nbatch++] = s->arm;
	return 1;
}

size_t
search_propose(struct search *s, int k, size_t want)
{
	struct rng r;

	search_begin(s, want, k);
	search_rng(s, k, &r);
	search_strategies[k].fn(s, &r);
	/* What a strategy could not offer is drawn at random, and credited
	 * to random: the records say who proposed what. */
	if (search_room(s) > 0 && k != SEARCH_RANDOM && k != SEARCH_GRID) {
		s->arm = SEARCH_RANDOM;
		search_rng(s, SEARCH_RANDOM, &r);
		strat_random(s, &r);
	}
	s->arm = k;
	return s->nbatch;
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

/* ---- grid ---- */

static int
grid_visit(void *ctx, const space_idx *cfg)
{
	struct search *s = ctx;

	search_offer(s, cfg);
	return search_room(s) == 0;
}

void
strat_grid(struct search *s, struct rng *r)
{
	(void)r;
	if (search_room(s) > 0)
		space_enumerate(s->sp, 1, grid_visit, s);
}

/* ---- random ---- */

/* A random order of the listed space, drawn lazily (Fisher-Yates). */
static void
random_from_list(struct search *s, struct rng *r)
{
	struct space *sp = s->sp;
	uint32_t *perm = ecalloc(sp->nlist ? sp->nlist : 1, sizeof(*perm));
	size_t i, j, n = sp->nlist;

	for (i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (i = 0; i < n && search_room(s) > 0; i++) {
		uint32_t t;

		j = i + (size_t)rng_below(r, n - i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		search_offer(s, sp->list + (size_t)perm[i] * sp->np);
	}
	free(perm);
}

void
strat_random(struct search *s, struct rng *r)
{
	struct search_priv *p = s->priv;
	struct space *sp = s->sp;
	space_idx *cfg = ecalloc(sp->np ? sp->np : 1, sizeof(*cfg));
	uint64_t dups = 0, give_up;
	int listed = 0;

	if (search_room(s) == 0)
		goto out;
	if (sp->product <= LIST_PRODUCT)
		space_materialize(sp, LIST_PRODUCT);
	/*
	 * A large space is sampled without listing it.  When samples keep
	 * failing or keep finding what was measured already, the valid set
	 * may be small after all: list it once and draw from the list, which
	 * also tells exactly when the space is exhausted.  A space too large
	 * to list is sampled on, up to a bound on duplicates far beyond what
	 * a history of that size makes likely.
	 */
	give_up = 100 * ((uint64_t)p->hist.n + (uint64_t)s->want) +
	    DUP_TRIES;
	while (sp->list == NULL && search_room(s) > 0) {
		if (space_sample(sp, r, cfg, SAMPLE_TRIES) != 0) {
			if (!space_materialize(sp, LIST_MAX))
				ar_die(AR_EXIT_FAIL, "%s: the space is too "
				    "sparse to sample: no valid configuration "
				    "in %d random draws, and more than %u "
				    "valid ones to list", sp->spec->path,
				    SAMPLE_TRIES, LIST_MAX);
			break;
		}
		if (search_offer(s, cfg))
			continue;
		if (++dups == DUP_TRIES && !listed) {
			listed = 1;
			if (space_materialize(sp, LIST_MAX))
				break;
		}
		if (dups >= give_up) {
			ar_warn("%llu random draws in a row were measured "
			    "already; giving up", (unsigned long long)dups);
			break;
		}
	}
	if (sp->list != NULL && search_room(s) > 0)
		random_from_list(s, r);
out:
	free(cfg);
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

	if (sp->list == NULL && sp->product <= LIST_PRODUCT)
		space_materialize(sp, LIST_PRODUCT);
	if (space_sample(sp, r, cfg, SAMPLE_TRIES) == 0)
		return 0;
	/* Sampling failed: the valid set is sparse; list it if it can be. */
	if (sp->list == NULL && space_materialize(sp, LIST_MAX))
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
