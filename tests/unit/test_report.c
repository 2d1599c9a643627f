/*
 * Unit tests of report: records read into series and runs, a record of
 * another study refused with its place, the best, best-so-far curves by
 * evaluations and by cost with their median and spread over runs, the
 * neighbours of the best, the top ranked by configuration, failures by
 * parameter value, the Pareto ranks and the targets importance reads.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "stats.h"

static char dir[] = "/tmp/test_report.XXXXXX";

#include "study.h"

static const char two[] =
    "{\"name\":\"two\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[1,2,3],\"B\":[\"x\",\"y\"]}}";

static const char pareto[] =
    "{\"name\":\"par\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[1,2,3],\"B\":[\"x\",\"y\"]},"
    "\"objectives\":[\"minimize time_s\",\"maximize output.acc\"]}";

/* A record of study two, ok (t > 0) or failed with status st. */
static void
rec(FILE *f, int a, const char *b, double t, const char *st,
    const char *strategy, double cost)
{
	if (st == NULL)
		fprintf(f, "{\"study\":\"two\",\"id\":\"%d%s\",\"strategy\":\"%s\","
		    "\"params\":{\"A\":%d,\"B\":\"%s\"},\"status\":\"ok\","
		    "\"cost_s\":%g,\"objective\":%g,\"score\":%g}\n", a, b,
		    strategy, a, b, cost, t, -t);
	else
		fprintf(f, "{\"study\":\"two\",\"id\":\"%d%s\",\"strategy\":\"%s\","
		    "\"params\":{\"A\":%d,\"B\":\"%s\"},\"status\":\"%s\","
		    "\"cost_s\":%g,\"objective\":null,\"score\":null}\n", a, b,
		    strategy, a, b, st, cost);
}

static long
read_text(struct report *r, const char *text, const char *path,
    const char *name, struct ar_err *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	long n;

	n = report_read(r, f, path, name, err);
	fclose(f);
	return n;
}

/* Two runs of one series ("s") and one of another ("t"). */
static void
fill(struct report *r)
{
	struct ar_err err;
	char *text;
	size_t len;
	FILE *f;

	f = open_memstream(&text, &len);
	rec(f, 1, "x", 4, NULL, "random", 1);
	rec(f, 2, "x", 2, NULL, "random", 1);
	rec(f, 3, "x", 0, "crash", "bo", 1);
	rec(f, 2, "y", 3, NULL, "bo", 1);
	fclose(f);
	CHECK_INT(read_text(r, text, "a.jsonl", "s", &err), 4);
	free(text);
	f = open_memstream(&text, &len);
	rec(f, 1, "y", 6, NULL, "random", 2);
	rec(f, 2, "x", 2.5, NULL, "random", 2);
	fclose(f);
	CHECK_INT(read_text(r, text, "b.jsonl", "s", &err), 2);
	free(text);
	f = open_memstream(&text, &len);
	rec(f, 3, "y", 0, "compile_error", "bo", 1);
	rec(f, 3, "x", 0, "crash", "bo", 1);
	fclose(f);
	CHECK_INT(read_text(r, text, "c.jsonl", NULL, &err), 2);
	free(text);
	report_finish(r);
}

static void
test_read(void)
{
	struct spec s;
	struct space sp;
	struct report r;
	struct ar_err err;

	load(&s, &sp, two);
	report_init(&r, &sp, "minimize time_s", NULL);
	fill(&r);
	CHECK_INT(r.n, 8);
	CHECK_INT(r.nfiles, 3);
	CHECK_INT(r.nseries, 2);
	CHECK_STR(r.series[0], "s");
	CHECK_STR(r.series[1], "c.jsonl");
	CHECK_INT(r.nruns, 3);
	CHECK_INT(r.nok, 5);
	CHECK_INT(r.count[0], 5);
	CHECK_INT(r.rec[r.best].line, 2);
	CHECK_INT(r.rec[r.best].file, 0);
	CHECK_DBL(r.rec[5].cumcost, 4, 0);
	CHECK_INT(r.rec[5].at, 2);
	/* Another study's record is refused, with its place. */
	CHECK_INT(read_text(&r, "{\"study\":\"two\",\"params\":{\"A\":1,"
	    "\"B\":\"x\"}}\n{\"study\":\"other\"}\n", "d.jsonl", NULL, &err),
	    -1);
	CHECK(strstr(err.msg, "d.jsonl:2: a record of study 'other', not "
	    "of study 'two'") != NULL);
	CHECK_INT(read_text(&r, "{\"study\":\"two\",\"params\":{\"A\":7,"
	    "\"B\":\"x\"}}\n", "e.jsonl", NULL, &err), -1);
	CHECK(strncmp(err.msg, "e.jsonl:1: ", 11) == 0);
	report_release(&r);
	/* By a field: the files are the seeds of each series. */
	report_init(&r, &sp, "minimize time_s", "strategy");
	fill(&r);
	CHECK_INT(r.nseries, 2);
	CHECK_STR(r.series[0], "random");
	CHECK_STR(r.series[1], "bo");
	CHECK_INT(r.nruns, 4);
	report_release(&r);
	space_release(&sp);
	spec_release(&s);
}

static void
test_curves(void)
{
	struct spec s;
	struct space sp;
	struct report r;
	double x[8], med[8], lo[8], hi[8];

	load(&s, &sp, two);
	report_init(&r, &sp, "minimize time_s", NULL);
	fill(&r);
	/* Series s: run a has 4, 2, 2, 2; run b has 6, 2.5. */
	CHECK_INT(report_curve(&r, 0, 0, 8, x, med, lo, hi), 4);
	CHECK_DBL(x[0], 1, 0);
	CHECK_DBL(med[0], 5, 1e-12);
	CHECK_DBL(lo[0], 4, 0);
	CHECK_DBL(hi[0], 6, 0);
	CHECK_DBL(med[1], 2.25, 1e-12);
	CHECK_DBL(med[3], 2, 0);	/* run b has ended */
	CHECK_DBL(lo[3], 2, 0);
	CHECK_DBL(report_best_after(&r, 0, 2), 2.25, 1e-12);
	CHECK_DBL(report_best_after(&r, 0, 4), 2, 0);
	CHECK(isnan(report_best_after(&r, 0, 5)));
	CHECK(isnan(report_best_after(&r, 1, 2)));	/* all failed */
	CHECK_DBL(report_best_final(&r, 0), 2.25, 1e-12);	/* 2 and 2.5 */
	CHECK(isnan(report_best_final(&r, 1)));
	CHECK_INT(report_curve(&r, 1, 0, 8, x, med, lo, hi), 2);
	CHECK(isnan(med[0]) && isnan(med[1]));
	/* By cost: from the first ok record's cost (1) to the most (4). */
	CHECK_INT(report_curve(&r, 0, 1, 4, x, med, lo, hi), 4);
	CHECK_DBL(x[0], 1, 0);
	CHECK_DBL(x[3], 4, 0);
	CHECK_DBL(med[0], 4, 0);		/* b has nothing yet */
	CHECK_DBL(med[1], 4, 0);		/* a: 2; b: 6 */
	CHECK_DBL(lo[1], 2, 0);
	CHECK_DBL(hi[1], 6, 0);
	CHECK_DBL(med[3], 2.25, 1e-12);
	report_release(&r);
	space_release(&sp);
	spec_release(&s);
}

static void
test_neighbours_top(void)
{
	struct spec s;
	struct space sp;
	struct report r;
	size_t idx[10], i, n;

	load(&s, &sp, two);
	report_init(&r, &sp, "minimize time_s", NULL);
	fill(&r);
	/* 2x measured twice (2 and 2.5): the best, median 2.25. */
	CHECK_INT(r.ncfgs, 6);
	CHECK_INT(r.cfgs[r.rec_cfg[r.best]].n, 2);
	CHECK_DBL(r.cfgs[r.rec_cfg[r.best]].median, 2.25, 1e-12);
	CHECK_INT(r.cfgs[r.rec_cfg[r.best]].best, r.best);
	CHECK_INT(r.cfgs[r.rec_cfg[5]].best, 1);	/* 2 of a.jsonl, not 2.5 of b */
	/* Its neighbours: A=1 (4), A=3 (two crashes), B=y (3). */
	i = report_neighbour(&r, 0, 0);
	CHECK(i < r.ncfgs && r.cfgs[i].median == 4);
	i = report_neighbour(&r, 0, 2);
	CHECK(i < r.ncfgs && r.cfgs[i].nok == 0);
	CHECK_STR(r.status[r.cfgs[i].status], "crash");
	i = report_neighbour(&r, 1, 1);
	CHECK(i < r.ncfgs && r.cfgs[i].median == 3);
	n = report_top(&r, 10, idx);
	CHECK_INT(n, 4);
	CHECK_DBL(r.cfgs[idx[0]].key, -2, 0);
	CHECK_DBL(r.cfgs[idx[1]].key, -3, 0);
	CHECK_DBL(r.cfgs[idx[3]].key, -6, 0);
	CHECK_INT(report_top(&r, 2, idx), 2);
	/* Failures by value: A=3 failed three times of three. */
	CHECK_INT(report_failures(&r, 0, 2, 0), 0);
	CHECK_INT(report_failures(&r, 0, 2, 4), 2);	/* crash */
	CHECK_INT(report_failures(&r, 0, 2, 1), 1);	/* compile_error */
	CHECK_INT(report_failures(&r, 1, 0, 0), 3);	/* B=x ok */
	report_release(&r);
	space_release(&sp);
	spec_release(&s);
}

static void
test_targets_pareto(void)
{
	struct spec s;
	struct space sp;
	struct report r;
	struct ar_err err;
	size_t idx[8], k;
	double y[8];
	int rank[4];

	load(&s, &sp, two);
	report_init(&r, &sp, "minimize time_s", NULL);
	fill(&r);
	k = report_targets(&r, idx, y);
	CHECK_INT(k, 5);
	CHECK_INT(idx[0], 0);
	CHECK_DBL(y[0], -log(4), 1e-12);
	CHECK_DBL(report_untarget(&r, y[0]), 4, 1e-12);
	CHECK_INT(report_pareto(&r, (int[8]){ 0 }), 0);
	report_release(&r);
	space_release(&sp);
	spec_release(&s);

	load(&s, &sp, pareto);
	report_init(&r, &sp, "minimize time_s", NULL);
	CHECK_INT(read_text(&r,
	    "{\"study\":\"par\",\"params\":{\"A\":1,\"B\":\"x\"},"
	    "\"status\":\"ok\",\"objectives\":[1,0.5]}\n"
	    "{\"study\":\"par\",\"params\":{\"A\":2,\"B\":\"x\"},"
	    "\"status\":\"ok\",\"objectives\":[2,0.9]}\n"
	    "{\"study\":\"par\",\"params\":{\"A\":3,\"B\":\"x\"},"
	    "\"status\":\"ok\",\"objectives\":[3,0.8]}\n"
	    "{\"study\":\"par\",\"params\":{\"A\":3,\"B\":\"y\"},"
	    "\"status\":\"crash\"}\n", "p.jsonl", NULL, &err), 4);
	report_finish(&r);
	CHECK_INT(report_pareto(&r, rank), 3);
	CHECK_INT(rank[0], 1);
	CHECK_INT(rank[1], 1);
	CHECK_INT(rank[2], 2);
	CHECK_INT(rank[3], 0);
	/* The key is the first objective, minimised. */
	CHECK_INT(r.rec[r.best].line, 1);
	report_release(&r);
	/* The archive finds the front that ranking everything finds, ties
	 * and duplicates included. */
	{
		enum { N = 400 };
		double c[2 * N];
		int want[N], got[N];
		char *text;
		size_t len, i;
		FILE *f = open_memstream(&text, &len);

		srand(7);
		for (i = 0; i < N; i++) {
			c[2 * i] = rand() % 40;
			c[2 * i + 1] = rand() % 40;
			fprintf(f, "{\"study\":\"par\",\"params\":{\"A\":1,"
			    "\"B\":\"x\"},\"status\":\"ok\","
			    "\"objectives\":[%g,%g]}\n", c[2 * i],
			    -c[2 * i + 1]);
		}
		fclose(f);
		report_init(&r, &sp, "minimize time_s", NULL);
		CHECK_INT(read_text(&r, text, "q.jsonl", NULL, &err), N);
		free(text);
		report_finish(&r);
		stats_pareto_rank(c, N, 2, want);
		CHECK_INT(report_pareto(&r, got), N);
		for (i = 0; i < N; i++)
			CHECK_INT(got[i], want[i] == 1 ? 1 : 2);
		report_release(&r);
	}
	space_release(&sp);
	spec_release(&s);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_read);
	RUN(test_curves);
	RUN(test_neighbours_top);
	RUN(test_targets_pareto);
	unload_dir(NULL, 0);
	return check_done("test_report");
}
