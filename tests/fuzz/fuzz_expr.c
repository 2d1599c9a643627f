/*
 * fuzz_expr: the expression parser and evaluator that constraints and
 * derived values go through.  The input is an expression over the names
 * A, B, S (a string) and N; a parse must give a program or a message,
 * and a program must evaluate to a value or an error at any values of
 * its names, never crash, loop or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "expr.h"
#include "fuzz.h"

static int
lookup(void *ctx, const char *name, size_t len)
{
	size_t i, h = len;

	(void)ctx;
	/* Names starting with '_' are unknown, to reach that error too. */
	if (len > 0 && name[0] == '_')
		return -1;
	for (i = 0; i < len; i++)
		h = h * 31 + (unsigned char)name[i];
	return (int)(h % 4);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t ints[] = { 0, 1, -1, 7, INT64_MAX, INT64_MIN };
	struct expr *e;
	struct val slots[4], out;
	char *src = fuzz_string(data, size), err[256];
	size_t i;

	if ((e = expr_parse(src, lookup, NULL, err, sizeof(err))) != NULL) {
		(void)expr_source(e);
		for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
			slots[0] = val_int(ints[i]);
			slots[1] = val_dbl(i % 2 ? 0.5 : -0.0);
			slots[2] = val_str(i % 2 ? "x" : "");
			slots[3] = val_int(ints[(i + 1) %
			    (sizeof(ints) / sizeof(ints[0]))]);
			if (expr_eval(e, slots, &out, err, sizeof(err)) == 0) {
				(void)val_truth(&out);
				(void)val_num(&out);
			}
		}
		expr_free(e);
	}
	free(src);
	return 0;
}
