/*
 * The "c" backend: a shared object called through libffi in a child
 * process (measure.h), its every run checked against the reference's
 * output, in the sandbox unless the study says otherwise.
 */
#include <string.h>

#include "bench.h"

static int
c_prepare(struct bench *b, struct ar_err *err)
{
	int rc;

	if ((rc = bench_load_args(b, err)) != 0)
		return rc;
	return bench_load_entry(b, err);
}

static int
c_check(struct bench *b, struct bench_item *it, struct ar_err *err)
{
	const char *path;

	if ((path = bench_artifact(it, err)) == NULL)
		return AR_EXIT_USAGE;
	return bench_check_artifact(b, it, path, NULL, 0, err);
}

static int
c_measure(struct bench *b, struct bench_item *it, struct bench_outcome *o,
    struct ar_err *err)
{
	struct measure_proto p;
	struct measure_result res;
	struct measure_data *d;
	struct args_shape sh;
	size_t i;
	int rc;

	if ((rc = bench_seal(it, o, err)) != 0 || o->status != NULL)
		return rc;
	if (args_shape(&b->args, b->slots, &sh, err) != 0) {
		bench_fail(o, "invalid", "%s", err->msg);
		return 0;
	}
	if (!bench_fits(b, &sh, o)) {
		args_shape_release(&sh);
		return 0;
	}
	rc = bench_data(b, it, &sh, &d, err);
	args_shape_release(&sh);
	if (rc != 0)
		return rc;

	bench_proto(b, &p);
	if ((rc = bench_reference(b, d, &p, o, err)) != 0 ||
	    o->status != NULL)
		return rc;

	p.keep_fd = it->sealed;
	if (measure_run(&b->mc, d, &b->args, it->load, b->spec.entry, &p,
	    0, &res, err) != 0)
		return AR_EXIT_FAIL;
	bench_take_result(b, o, &res);
	if (res.nrefused > 0) {
		o->refused = json_array();
		for (i = 0; i < res.nrefused; i++)
			json_array_append_new(o->refused,
			    json_string(res.refused[i]));
	}
	measure_result_release(&res);
	return 0;
}

const struct bench_backend bench_c = {
	.name = "c",
	.columns = bench_c_columns,
	.prepare = c_prepare,
	.check = c_check,
	.measure = c_measure,
};
