/*
 * metric: a study's metrics and objective, computed for records, as
 * ar-score(1) writes them: "metrics" (one value per metric of the study,
 * in the study's order), "objective" (the raw value of the objective's
 * expression) and "score" (higher is better).
 *
 * Every expression is parsed once, when the set is made.  Each distinct
 * name in them gets a slot, and a name resolves, in this order, to:
 *   - a parameter of the study: the record's params.NAME;
 *   - a problem constant, as -D left it;
 *   - a metric of the study, by its bare name or as metrics.NAME: its
 *     value for this record (a metric may name only the metrics before
 *     it; the objective may name any);
 *   - otherwise a field of the record by its dotted path: time_s,
 *     times.median, output.ratio.
 * The fields that ar-score writes (metrics, objective, score) are never
 * read from the record: they are what is being replaced.  Scoring a
 * record then fills the slots (a few lookups) and evaluates.
 *
 * A slot's value comes from a number (an integer stays an integer), a
 * string, or true and false (1 and 0); null, an object, an array or an
 * absent field leaves it empty.  An expression that reads an empty slot,
 * or whose evaluation fails (division by zero, a string where a number is
 * needed, a NaN or infinite result), or whose value is a string, gives
 * null.  The score is null unless the record's status is "ok" and the
 * objective is a number; it is -objective for "minimize EXPR" and
 * objective for "maximize EXPR".
 *
 * The study's "require" expressions, over the same names (any metric
 * among them), judge a record measured ok: status "ok", or "infeasible"
 * (scored before: a history scored again under another require is
 * judged again).  When one of them is not a number other than 0 (false,
 * null, a string, an evaluation that fails) the status becomes
 * "infeasible", "error" says which and the values it read ("require
 * \"output.ratio >= 5\" not met (output.ratio = 3.5)") and the score is
 * null; the metrics and the objective are as ever.  When all hold, the
 * status is "ok" and the error ar-score wrote before, if any, goes.
 *
 * Ownership: metric_new borrows the spec, which must outlive the set;
 * metric_free releases the rest.  A set keeps scratch space and is not
 * safe to share between threads.
 */
#ifndef AR_METRIC_H
#define AR_METRIC_H

#include <jansson.h>
#include <stddef.h>

#include "spec.h"
#include "util.h"

/* The objective of a study that names none. */
#define METRIC_DEFAULT_OBJECTIVE "minimize time_s"

struct metric_set;

/*
 * Parses the study's metrics and its objective, or objective instead
 * when it is not NULL ("minimize EXPR" or "maximize EXPR", as --objective
 * gives it).  Returns the set, or NULL with err set: for the study's
 * expressions, naming the file and key ("s.json: key \"metrics.a\":
 * ..."); for the objective given, "--objective: ... in 'EXPR'".
 */
struct metric_set *metric_new(const struct spec *s, const char *objective,
    struct ar_err *err);
void metric_free(struct metric_set *ms);

/* The objective as text ("minimize time_s"). */
const char *metric_objective(const struct metric_set *ms);
/* The study's metrics: how many, and the name of metric i. */
size_t metric_count(const struct metric_set *ms);
const char *metric_name(const struct metric_set *ms, size_t i);

/*
 * Scores a parsed record in place: sets "metrics", "objective" and
 * "score", replacing them where the record has them (they keep their
 * place) and adding them at the end, in that order, where it has not;
 * sets "status" and "error" as the requirements say (a new "error" goes
 * before the three).
 * Returns 0, or -1 with err set when the record is not one of this
 * study's ("study" names another, or is not a string).
 */
int metric_score_json(struct metric_set *ms, json_t *rec,
    struct ar_err *err);

/*
 * The same for one JSON line (no newline), without parsing it whole:
 * appends the scored record and a newline to out.  Every field but the
 * three is copied as its text was, so for a line that jansson wrote
 * (every stage writes that way) the result is byte for byte what
 * metric_score_json and a compact dump give.  Returns 0, or -1 with err
 * set (without file or line) when the line is not one valid JSON object
 * or the record is not one of this study's; out is then unchanged.
 */
int metric_score_line(struct metric_set *ms, const char *line, size_t len,
    struct ar_buf *out, struct ar_err *err);

/*
 * A study with several objectives (key "objectives", and no --objective
 * given): how many, else 0.  Its records gain "objectives", the raw
 * value of each in the study's order (null where it cannot be
 * computed), and "pareto", null until ranked; their score is null until
 * ranked too: the caller ranks the records it has together
 * (stats_pareto_rank over metric_costs) and sets "pareto" to the rank
 * and "score" to minus it.  The first objective is also "objective".
 */
size_t metric_nobjectives(const struct metric_set *ms);
/*
 * The costs of a scored record of such a study, each objective to be
 * minimised (a maximised one negated), into c (metric_nobjectives
 * doubles): 1 when the record is "ok" and every objective is a finite
 * number, else 0.
 */
int metric_costs(const struct metric_set *ms, json_t *rec, double *c);

/*
 * After the records: appends to out one line for each metric, the
 * objective and each requirement whose value was null for every record
 * measured ok that the set scored, naming the fields that none of them
 * had ("s.json: key \"objective\": null for all 10 ok records (no ok
 * record has field \"output.ratoi\") in 'output.ratoi'"); nothing when
 * no record was measured ok.  Returns the number of lines.  A misspelt
 * field looks like this, where a field only some records lack does not.
 */
size_t metric_nulls(const struct metric_set *ms, struct ar_buf *out);

#endif
