/*
 * Unit tests of search: the registry, the batch's checks, qualities, the
 * history and the prior read into observations, and every strategy: it
 * never proposes a duplicate or an invalid configuration, gives the
 * whole space before it runs dry, is deterministic, finds the optimum of
 * a known function where random search rarely does, and keeps away from
 * what fails.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "hash.h"
#include "search.h"
#include "spec.h"
#include "stats.h"
#include "strategy.h"

static char dir[] = "/tmp/test_search.XXXXXX";

#include "study.h"

static void
read_history(struct search *s, const char *path)
{
	struct ar_err err;
	FILE *f = fopen(path, "r");

	CHECK(f != NULL);
	CHECK_INT(search_read_history(s, f, path, &err), 0);
	fclose(f);
}

/* 18 valid configurations of 32 (as tests/fixtures/small). */
static const char small[] =
    "{\"name\":\"small\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[1,2,3,4],\"B\":[1,2,4,8],\"C\":[\"x\",\"y\"]},"
    "\"constraints\":[\"A * B <= 8\",\"C == \\\"x\\\" || A > 1\"]}";

/* 4 parameters of 10 values, 9,400 valid configurations. */
static const char big[] =
    "{\"name\":\"big\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[0,1,2,3,4,5,6,7,8,9],\"B\":[0,1,2,3,4,5,6,7,8,9],"
    "\"C\":[9,8,7,6,5,4,3,2,1,0],\"D\":[0,1,2,3,4,5,6,7,8,9]},"
    "\"constraints\":[\"A + B <= 15\"]}";

static double
value(const struct space *sp, const space_idx *cfg, size_t d)
{
	return json_number_value(sp->spec->params[d].values[cfg[d]]);
}

/* A known function of big: its maximum, 0, at A=7 B=3 C=5 D=8. */
static double
bowl(const struct space *sp, const space_idx *cfg)
{
	double a = value(sp, cfg, 0), b = value(sp, cfg, 1),
	    c = value(sp, cfg, 2), d = value(sp, cfg, 3);

	return -((a - 7) * (a - 7) + (b - 3) * (b - 3) + (c - 5) * (c - 5) +
	    (d - 8) * (d - 8) + 0.5 * (c - d + 3) * (c - d + 3));
}

static void
test_registry(void)
{
	static const char *const names[] = { "grid", "random", "anneal",
	    "ga", "bo", "rl", "auto", "xform" };
	size_t k;

	CHECK_INT(strategy_count, 8);
	for (k = 0; k < 8; k++) {
		CHECK_STR(strategy_table[k].name, names[k]);
		CHECK_INT(strategy_find(names[k]), k);
	}
	CHECK_INT(strategy_find("magic"), -1);
	CHECK_INT(strategy_find(""), -1);
	CHECK(!strategy_table[STRATEGY_GRID].learns);
	CHECK(!strategy_table[STRATEGY_RANDOM].learns);
	CHECK(strategy_table[STRATEGY_ANNEAL].learns);
}

static void
test_offer(void)
{
	struct spec s;
	struct space sp;
	struct search se;
	space_idx c[3];

	load(&s, &sp, small);
	search_init(&se, &sp, strategy_table, NULL, 1, 1);
	c[0] = 0, c[1] = 0, c[2] = 0;		/* A=1 B=1 C=x */
	search_add(&se, c, OBS_OK, -1.0, 1, STRATEGY_RANDOM);
	CHECK(search_seen(&se, c));
	search_begin(&se, 2, STRATEGY_ANNEAL);
	CHECK_INT(search_room(&se), 2);
	CHECK_INT(search_offer(&se, c), 0);	/* in the history */
	c[0] = 3, c[1] = 3;			/* A=4 B=8: 32 > 8 */
	CHECK_INT(search_offer(&se, c), 0);	/* invalid */
	c[0] = 1, c[1] = 1, c[2] = 1;		/* A=2 B=2 C=y */
	CHECK(!search_seen(&se, c));
	CHECK_INT(search_offer(&se, c), 1);
	CHECK(search_seen(&se, c));
	CHECK_INT(search_offer(&se, c), 0);	/* in the batch */
	CHECK_INT(se.batch_arm[0], STRATEGY_ANNEAL);
	c[2] = 0;
	CHECK_INT(search_offer(&se, c), 1);
	CHECK_INT(search_room(&se), 0);
	c[1] = 0;
	CHECK_INT(search_offer(&se, c), 0);	/* no room */
	CHECK_INT(se.nbatch, 2);
	/* A new batch forgets the old one, not the history. */
	search_begin(&se, 1, -1);
	CHECK_INT(se.nbatch, 0);
	c[0] = 1, c[1] = 1, c[2] = 1;
	CHECK_INT(search_offer(&se, c), 1);
	CHECK_INT(se.batch_arm[0], -1);
	c[0] = 0, c[1] = 0, c[2] = 0;
	CHECK(search_seen(&se, c));
	CHECK_INT(se.maxround, 1);
	search_release(&se);
	space_release(&sp);
	spec_release(&s);
}

static void
test_quality(void)
{
	struct spec s;
	struct space sp;
	struct search se;
	space_idx c[3] = { 0, 0, 0 };
	double q[6];

	load(&s, &sp, small);
	search_init(&se, &sp, strategy_table, NULL, 0, 1);
	search_add(&se, c, OBS_OK, -3.0, 1, -1);
	search_add(&se, c, OBS_FAILED, NAN, 1, -1);
	search_add(&se, c, OBS_OK, -1.0, 1, -1);
	search_add(&se, c, OBS_OTHER, NAN, 1, -1);
	search_add(&se, c, OBS_OK, -2.0, 1, -1);
	search_add(&se, c, OBS_OK, -1.0, 1, -1);
	CHECK_INT(search_quality(&se, q), 4);
	CHECK_DBL(q[0], 0.0, 1e-12);
	CHECK_DBL(q[1], -1.0, 0);
	CHECK_DBL(q[4], 1.0 / 3.0, 1e-12);
	/* A tie shares its ranks (2 and 3 of 0..3). */
	CHECK_DBL(q[2], 2.5 / 3.0, 1e-12);
	CHECK_DBL(q[5], 2.5 / 3.0, 1e-12);
	CHECK(isnan(q[3]));
	search_release(&se);

	search_init(&se, &sp, strategy_table, NULL, 0, 1);
	search_add(&se, c, OBS_OK, 5.0, 1, -1);
	CHECK_INT(search_quality(&se, q), 1);
	CHECK_DBL(q[0], 1.0, 0);
	search_release(&se);
	space_release(&sp);
	spec_release(&s);
}

static void
test_read_history(void)
{
	struct spec s;
	struct space sp;
	struct search se;
	struct model m;
	char path[256], id[SPACE_IDLEN + 1];
	space_idx c[3] = { 1, 1, 1 };		/* A=2 B=2 C=y */

	load(&s, &sp, small);
	space_id(&sp, c, id);
	write_file("h.jsonl",
	    "{\"study\":\"small\",\"id\":\"00000000000000aa\",\"round\":3,"
	    "\"strategy\":\"anneal\",\"params\":{\"A\":1,\"B\":1,\"C\":\"x\"},"
	    "\"status\":\"ok\",\"score\":-2.5}\n"
	    "{\"study\":\"other\",\"id\":\"00000000000000bb\",\"round\":9,"
	    "\"params\":{\"A\":1,\"B\":2,\"C\":\"x\"},\"status\":\"ok\","
	    "\"score\":1}\n"
	    "\n"
	    "{\"round\":4,\"strategy\":\"ga\",\"params\":{\"C\":\"y\","
	    "\"B\":2,\"A\":2},\"status\":\"crash\",\"score\":null}\n"
	    "{\"study\":\"small\",\"id\":\"00000000000000cc\",\"params\":"
	    "{\"A\":4,\"B\":8,\"C\":\"x\"},\"status\":\"ok\","
	    "\"score\":3}\n"
	    "{\"study\":\"small\",\"id\":\"00000000000000dd\",\"round\":2,"
	    "\"strategy\":\"from\",\"params\":{\"A\":1,\"B\":4,\"C\":\"x\"},"
	    "\"status\":\"ok\",\"score\":null}\n"
	    "{\"study\":\"small\",\"params\":{\"A\":1,\"B\":8,\"C\":\"x\"},"
	    "\"strategy\":\"bo\"}\n");
	snprintf(path, sizeof(path), "%s/h.jsonl", dir);
	search_init(&se, &sp, strategy_table, NULL, 0, 0);
	read_history(&se, path);
	/* The other study's record and the one that breaks a constraint
	 * (added since it was measured, say) are not observations. */
	CHECK_INT(se.nobs, 4);
	CHECK_INT(se.maxround, 4);
	CHECK_INT(se.obs[0].kind, OBS_OK);
	CHECK_DBL(se.obs[0].score, -2.5, 0);
	CHECK_INT(se.obs[0].arm, STRATEGY_ANNEAL);
	CHECK_INT(se.obs[0].round, 3);
	CHECK_INT(se.obs[1].kind, OBS_FAILED);
	CHECK(isnan(se.obs[1].score));
	CHECK_INT(se.obs[1].arm, STRATEGY_GA);
	CHECK_INT(se.obs[1].cfg[0], 1);
	CHECK_INT(se.obs[1].cfg[2], 1);
	CHECK_INT(se.obs[2].kind, OBS_OTHER);	/* ok, but no score */
	CHECK_INT(se.obs[2].arm, -1);
	CHECK_INT(se.obs[3].kind, OBS_OTHER);	/* not measured */
	CHECK_INT(se.obs[3].round, -1);
	CHECK_INT(se.obs[3].arm, STRATEGY_BO);
	/* A record without an id is known by its params. */
	CHECK(search_seen(&se, c));
	c[0] = 0, c[1] = 1, c[2] = 0;		/* A=1 B=2: other study */
	CHECK(!search_seen(&se, c));
	search_release(&se);

	/* The same records as CSV. */
	write_file("h.csv",
	    "study,id,round,strategy,status,score,params.A,params.B,params.C\n"
	    "small,00000000000000aa,3,anneal,ok,-2.5,1,1,x\n"
	    "other,00000000000000bb,9,,ok,1,1,2,x\n"
	    ",,4,ga,crash,,2,2,y\n");
	snprintf(path, sizeof(path), "%s/h.csv", dir);
	search_init(&se, &sp, strategy_table, NULL, 0, 0);
	read_history(&se, path);
	CHECK_INT(se.nobs, 2);
	CHECK_INT(se.maxround, 4);
	CHECK_INT(se.obs[0].arm, STRATEGY_ANNEAL);
	CHECK_DBL(se.obs[0].score, -2.5, 0);
	CHECK_INT(se.obs[1].kind, OBS_FAILED);
	c[0] = 1, c[1] = 1, c[2] = 1;
	CHECK(search_seen(&se, c));
	search_release(&se);

	/* The prior: points outside the space are dropped. */
	model_init(&m, "small", "minimize time_s");
	json_object_set_new(m.extra, "prior", json_pack("{s:s, s:s, s:i, "
	    "s:[{s:{s:i,s:i,s:s}, s:f}, {s:{s:i,s:i,s:s}, s:f}, "
	    "{s:{s:i,s:i,s:s}, s:n}, {s:{s:i,s:i,s:s}, s:f}]}",
	    "history", "h.jsonl", "study", "small-a100", "records", 4,
	    "points",
	    "params", "A", 2, "B", 4, "C", "y", "q", 1.0,
	    "params", "A", 4, "B", 8, "C", "x", "q", 0.9,
	    "params", "A", 1, "B", 8, "C", "x", "q",
	    "params", "A", 1, "B", 1, "C", "x", "q", 0.0));
	search_init(&se, &sp, strategy_table, &m, 0, 0);
	search_read_prior(&se);
	CHECK_INT(se.nprior, 3);
	CHECK_INT(se.prior[0].kind, OBS_OK);
	CHECK_DBL(se.prior[0].score, 1.0, 0);
	CHECK_INT(se.prior[0].cfg[1], 2);
	CHECK_INT(se.prior[1].kind, OBS_FAILED);
	CHECK_DBL(se.prior[2].score, 0.0, 0);
	/* A warm start proposes the prior's best first. */
	CHECK_INT(strategy_propose(&se, STRATEGY_ANNEAL, 1), 1);
	CHECK(memcmp(se.batch, se.prior[0].cfg, 3 * sizeof(space_idx)) == 0);
	CHECK_INT(strategy_propose(&se, STRATEGY_GA, 1), 1);
	CHECK(memcmp(se.batch, se.prior[0].cfg, 3 * sizeof(space_idx)) == 0);
	search_release(&se);
	model_release(&m);
	space_release(&sp);
	spec_release(&s);
}

/*
 * Every strategy, batch after batch with everything proposed added to
 * the history, gives each valid configuration exactly once and then
 * nothing.
 */
static void
test_exhaust(void)
{
	struct spec s;
	struct space sp;
	struct search se;
	struct idset ids = { 0 };
	char id[SPACE_IDLEN + 1];
	size_t k, i, n, total, rounds;

	load(&s, &sp, small);
	for (k = 0; k < strategy_count; k++) {
		search_init(&se, &sp, strategy_table, NULL, 3, 1);
		total = 0;
		for (rounds = 1; rounds < 20; rounds++) {
			se.round = (long)rounds;
			n = strategy_propose(&se, (int)k, 4);
			for (i = 0; i < n; i++) {
				space_idx *c = se.batch + i * sp.np;

				CHECK(space_valid(&sp, c));
				space_id(&sp, c, id);
				CHECK(idset_add(&ids, hash_id_key(id,
				    SPACE_IDLEN)));
				CHECK(se.batch_arm[i] >= 0);
				search_add(&se, c, (c[0] + c[1]) % 3 ? OBS_OK :
				    OBS_FAILED, -(double)(c[0] + c[1] + c[2]),
				    (long)rounds, se.batch_arm[i]);
			}
			total += n;
			if (n < 4)
				break;
		}
		if (total != 18)
			fprintf(stderr, "strategy %s gave %zu\n",
			    strategy_table[k].name, total);
		CHECK_INT(total, 18);
		CHECK_INT(strategy_propose(&se, (int)k, 4), 0);
		search_release(&se);
		idset_release(&ids);
		memset(&ids, 0, sizeof(ids));
	}
	space_release(&sp);
	spec_release(&s);
}

/* Runs strategy k for budget evaluations in batches of 8 on bowl (or,
 * with fail_a set, failing every configuration with A >= fail_a). */
static double
run_loop(struct space *sp, int k, uint64_t seed, size_t budget,
    int fail_a, size_t *late_fails)
{
	struct search se;
	double best = -INFINITY, v;
	size_t used = 0, i, n;
	long round;

	search_init(&se, sp, strategy_table, NULL, seed, 1);
	for (round = 1; used < budget; round++) {
		se.round = round;
		n = strategy_propose(&se, k, budget - used < 8 ? budget - used :
		    8);
		if (n == 0)
			break;
		for (i = 0; i < n; i++, used++) {
			space_idx *c = se.batch + i * sp->np;

			if (fail_a > 0 && value(sp, c, 0) >= fail_a) {
				search_add(&se, c, OBS_FAILED, NAN, round,
				    se.batch_arm[i]);
				if (late_fails != NULL && used >= budget / 2)
					(*late_fails)++;
				continue;
			}
			v = bowl(sp, c);
			search_add(&se, c, OBS_OK, v, round, se.batch_arm[i]);
			if (v > best)
				best = v;
		}
	}
	search_release(&se);
	return best;
}

/*
 * The learning strategies find the optimum of bowl (one of 9,400
 * configurations) in 100 evaluations for nearly every seed; random
 * search, for about one seed in 80.
 */
static void
test_finds_optimum(void)
{
	static const int ks[] = { STRATEGY_ANNEAL, STRATEGY_GA, STRATEGY_AUTO,
	    STRATEGY_RANDOM };
	struct spec s;
	struct space sp;
	size_t j, found;
	uint64_t seed;

	load(&s, &sp, big);
	CHECK_INT(space_count(&sp, 1), 9400);
	for (j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
		found = 0;
		for (seed = 0; seed < 10; seed++)
			found += run_loop(&sp, ks[j], seed, 100, 0, NULL) == 0;
		fprintf(stderr, "%s: optimum found for %zu of 10 seeds\n",
		    strategy_table[ks[j]].name, found);
		if (ks[j] == STRATEGY_RANDOM)
			CHECK(found <= 2);
		else
			CHECK(found >= 8);
	}
	space_release(&sp);
	spec_release(&s);
}

/*
 * bowl rises towards A = 7 and fails from A = 8 on (a fifth of the
 * space): once they have met the failures, the learning strategies keep
 * clear of them, where random search keeps spending a fifth of its
 * budget on them.
 */
static void
test_failures_steer(void)
{
	static const int ks[] = { STRATEGY_ANNEAL, STRATEGY_GA, STRATEGY_AUTO };
	struct spec s;
	struct space sp;
	size_t j, fails;
	uint64_t seed;

	load(&s, &sp, big);
	for (j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
		fails = 0;
		for (seed = 0; seed < 5; seed++)
			run_loop(&sp, ks[j], seed, 100, 8, &fails);
		fprintf(stderr, "%s: %zu of 250 late proposals failed\n",
		    strategy_table[ks[j]].name, fails);
		CHECK(fails < 25);
	}
	fails = 0;
	for (seed = 0; seed < 5; seed++)
		run_loop(&sp, STRATEGY_RANDOM, seed, 100, 8, &fails);
	CHECK(fails > 25);
	space_release(&sp);
	spec_release(&s);
}

/* The same seed, history and round give the same batch; another seed,
 * another batch. */
static void
test_deterministic(void)
{
	struct spec s;
	struct space sp;
	struct search a, b;
	size_t k, i, n;
	space_idx c[4];

	load(&s, &sp, big);
	for (k = 0; k < strategy_count; k++) {
		int same, other;

		search_init(&a, &sp, strategy_table, NULL, 5, 3);
		search_init(&b, &sp, strategy_table, NULL, 5, 3);
		for (i = 0; i < 30; i++) {
			c[0] = (space_idx)(i % 8), c[1] = (space_idx)(i % 7);
			c[2] = (space_idx)(i % 10), c[3] = (space_idx)(i / 3);
			search_add(&a, c, i % 5 ? OBS_OK : OBS_FAILED,
			    bowl(&sp, c), 1 + (long)i / 8, STRATEGY_RANDOM);
			search_add(&b, c, i % 5 ? OBS_OK : OBS_FAILED,
			    bowl(&sp, c), 1 + (long)i / 8, STRATEGY_RANDOM);
		}
		n = strategy_propose(&a, (int)k, 8);
		CHECK_INT(n, 8);
		CHECK_INT(strategy_propose(&b, (int)k, 8), 8);
		same = memcmp(a.batch, b.batch, n * sp.np *
		    sizeof(space_idx)) == 0 && memcmp(a.batch_arm,
		    b.batch_arm, n * sizeof(int)) == 0;
		CHECK(same);
		b.seed = 6;
		CHECK_INT(strategy_propose(&b, (int)k, 8), 8);
		other = memcmp(a.batch, b.batch, n * sp.np *
		    sizeof(space_idx)) != 0;
		/* grid draws nothing at random, and bo's choice may
		 * well be the surrogate's alone. */
		if (k == STRATEGY_GRID)
			CHECK(!other);
		else if (k != STRATEGY_BO)
			CHECK(other);
		search_release(&a);
		search_release(&b);
	}
	space_release(&sp);
	spec_release(&s);
}

/*
 * auto deals a batch between anneal and bo by their credit: each arm has
 * a fixed share, an arm that keeps improving gets the rest, and no arm
 * gets more than 256 slots.
 */
static void
test_auto_shares(void)
{
	struct spec s;
	struct space sp;
	struct search se;
	size_t i, n, per[8] = { 0 };
	space_idx c[4];
	long r;

	load(&s, &sp, big);
	search_init(&se, &sp, strategy_table, NULL, 1, 1);
	n = strategy_propose(&se, STRATEGY_AUTO, 10);
	CHECK_INT(n, 10);
	for (i = 0; i < n; i++)
		per[se.batch_arm[i]]++;
	/* Both arms had their share of a fresh start, and no other. */
	CHECK_INT(per[STRATEGY_ANNEAL] + per[STRATEGY_BO], 10);
	CHECK(per[STRATEGY_ANNEAL] >= 2 && per[STRATEGY_BO] >= 2);

	/* A huge batch: no arm takes more than 256 of it; the rest is
	 * random's. */
	n = strategy_propose(&se, STRATEGY_AUTO, 2000);
	CHECK_INT(n, 2000);
	memset(per, 0, sizeof(per));
	for (i = 0; i < n; i++)
		per[se.batch_arm[i]]++;
	CHECK(per[STRATEGY_ANNEAL] <= 256 && per[STRATEGY_BO] <= 256);
	CHECK_INT(per[STRATEGY_RANDOM], 2000 - per[STRATEGY_ANNEAL] -
	    per[STRATEGY_BO]);
	CHECK(per[STRATEGY_RANDOM] >= 2000 - 2 * 256);

	/* A history in which bo's records keep setting new bests and
	 * anneal's are the worst; ga's, which auto does not deal, are
	 * not credited to anyone. */
	for (r = 1; r <= 8; r++)
		for (i = 0; i < 3; i++) {
			static const int arm[] = { STRATEGY_ANNEAL, STRATEGY_BO,
			    STRATEGY_GA };

			c[0] = (space_idx)r, c[1] = (space_idx)i, c[2] = 0;
			c[3] = 0;
			search_add(&se, c, OBS_OK, arm[i] == STRATEGY_BO ?
			    (double)r : -(double)(100 * r + i), r, arm[i]);
		}
	se.round = 9;
	memset(per, 0, sizeof(per));
	n = strategy_propose(&se, STRATEGY_AUTO, 16);
	CHECK_INT(n, 16);
	for (i = 0; i < n; i++)
		per[se.batch_arm[i]]++;
	CHECK(per[STRATEGY_BO] >= 10);
	/* anneal keeps its fixed share, a quarter of the batch. */
	CHECK(per[STRATEGY_ANNEAL] >= 4 && per[STRATEGY_ANNEAL] < per[STRATEGY_BO]);
	CHECK_INT(per[STRATEGY_ANNEAL] + per[STRATEGY_BO], 16);
	search_release(&se);
	space_release(&sp);
	spec_release(&s);
}

/* small, minimising A and maximising B. */
static const char two[] =
    "{\"name\":\"two\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[1,2,3,4],\"B\":[1,2,4,8],\"C\":[\"x\",\"y\"]},"
    "\"objectives\":[\"minimize output.a\",\"maximize output.b\"]}";

static void
test_scalarise(void)
{
	/* A front of three, (1, 1) (2, 4) (3, 8) in (cost, gain), one that
	 * (2, 4) beats, a failure and one without objectives. */
	static const char hist[] =
	    "{\"study\":\"two\",\"params\":{\"A\":1,\"B\":1,\"C\":\"y\"},"
	    "\"status\":\"ok\",\"score\":-1,\"objectives\":[1,1]}\n"
	    "{\"study\":\"two\",\"params\":{\"A\":2,\"B\":4,\"C\":\"x\"},"
	    "\"status\":\"ok\",\"score\":-1,\"objectives\":[2,4]}\n"
	    "{\"study\":\"two\",\"params\":{\"A\":1,\"B\":8,\"C\":\"x\"},"
	    "\"status\":\"ok\",\"score\":-1,\"objectives\":[3,8]}\n"
	    "{\"study\":\"two\",\"params\":{\"A\":2,\"B\":2,\"C\":\"x\"},"
	    "\"status\":\"ok\",\"score\":-2,\"objectives\":[2.5,3]}\n"
	    "{\"study\":\"two\",\"params\":{\"A\":2,\"B\":1,\"C\":\"x\"},"
	    "\"status\":\"crash\",\"score\":null,\"objectives\":[0,9]}\n"
	    "{\"study\":\"two\",\"params\":{\"A\":3,\"B\":1,\"C\":\"x\"},"
	    "\"status\":\"ok\",\"score\":-7}\n";
	struct spec s;
	struct space sp;
	struct search se;
	int best[3] = { 0, 0, 0 };
	char path[256];
	size_t i, b;
	long r;

	load(&s, &sp, two);
	CHECK_INT(s.nobjectives, 2);
	CHECK(!s.objective_max[0] && s.objective_max[1]);
	write_file("h.jsonl", hist);
	snprintf(path, sizeof(path), "%s/h.jsonl", dir);
	for (r = 1; r <= 40; r++) {
		search_init(&se, &sp, strategy_table, NULL, 7, r);
		read_history(&se, path);
		CHECK_INT(se.nobs, 6);
		CHECK(se.obs[0].hasobj && se.obs[4].hasobj);
		CHECK(!se.obs[5].hasobj);
		search_scalarise(&se);
		/* Beaten is worse under any weights; the rest as they were. */
		CHECK(se.obs[3].score < se.obs[1].score);
		CHECK(se.obs[4].kind == OBS_FAILED);
		CHECK_DBL(se.obs[5].score, -7, 0);
		for (b = 0, i = 1; i < 3; i++)
			if (se.obs[i].score > se.obs[b].score)
				b = i;
		best[b]++;
		search_release(&se);
	}
	/* The weights change with the round: each end of the front is the
	 * best in some rounds, the knee in others. */
	CHECK(best[0] > 0 && best[1] > 0 && best[2] > 0);
	space_release(&sp);
	spec_release(&s);
}

/* stats_pareto_rank against peeling the fronts one by one. */
static void
test_pareto_rank(void)
{
	enum { N = 300, M = 3 };
	double c[N * M];
	int rank[N], peel[N], r;
	size_t i, j, k, left = N;
	struct rng g;

	rng_seed(&g, 5);
	for (i = 0; i < N * M; i++)
		c[i] = (double)rng_below(&g, 12);
	stats_pareto_rank(c, N, M, rank);
	for (i = 0; i < N; i++)
		peel[i] = 0;
	for (r = 1; left > 0; r++) {
		int on[N];

		for (i = 0; i < N; i++) {
			on[i] = 0;
			if (peel[i] != 0)
				continue;
			for (j = 0; j < N; j++) {
				int le = 1, lt = 0;

				if (peel[j] != 0 || j == i)
					continue;
				for (k = 0; k < M; k++) {
					le &= c[j * M + k] <= c[i * M + k];
					lt |= c[j * M + k] < c[i * M + k];
				}
				if (le && lt)
					break;
			}
			on[i] = j == N;
		}
		for (i = 0; i < N; i++)
			if (on[i]) {
				peel[i] = r;
				left--;
			}
	}
	for (i = 0; i < N; i++)
		CHECK_INT(rank[i], peel[i]);
	CHECK(r > 3);
}

int
main(void)
{
	static const char *const files[] = { "h.jsonl", "h.csv" };

	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_registry);
	RUN(test_offer);
	RUN(test_quality);
	RUN(test_read_history);
	RUN(test_exhaust);
	RUN(test_deterministic);
	RUN(test_auto_shares);
	RUN(test_finds_optimum);
	RUN(test_failures_steer);
	RUN(test_scalarise);
	RUN(test_pareto_rank);
	unload_dir(files, sizeof(files) / sizeof(files[0]));
	return check_done("test_search");
}
