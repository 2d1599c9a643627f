/*
 * fuzz_xform: the transformation search's reading of a source (xform.h):
 * any text as a source with "#pragma ar loop" marks, scanned, given the
 * whole menu of knobs, and rendered at three configurations of them (all
 * off, all at their first value on, and one drawn from the input), so
 * that what a user's kernel holds can neither crash the scanner nor make
 * the renderer read or write outside the text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hash.h"
#include "xform.h"

/* Renders xs with the value pick(k, n) of each knob k of n values. */
static void
render(const struct xform_src *xs, uint64_t seed, int how)
{
	size_t n = json_object_size(xs->knobs), i = 0, len;
	const char **names = calloc(n + 1, sizeof(*names));
	const char **values = calloc(n + 1, sizeof(*values));
	char (*text)[32] = calloc(n + 1, sizeof(*text));
	struct ar_err err;
	const char *key;
	json_t *vals, *v, *ops = NULL;
	char *out;

	if (names == NULL || values == NULL || text == NULL)
		abort();
	json_object_foreach(xs->knobs, key, vals) {
		size_t m = json_array_size(vals), k;

		k = how == 0 ? 0 : how == 1 ? (m > 1) : (size_t)(seed % m);
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		v = json_array_get(vals, k);
		if (json_is_string(v))
			snprintf(text[i], sizeof(text[i]), "%s",
			    json_string_value(v));
		else
			snprintf(text[i], sizeof(text[i]), "%lld",
			    (long long)json_integer_value(v));
		names[i] = key;
		values[i] = text[i];
		i++;
	}
	out = xform_render(xs, names, values, i, &len, &ops, &err);
	if (out != NULL && strlen(out) != len)
		abort();	/* the length told is the text's */
	free(out);
	json_decref(ops);
	free(names);
	free(values);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xform_src *xs;
	struct ar_err err;
	json_t *t;
	char *s = fuzz_string(data, size);

	xs = xform_scan("fuzz.c", s, strlen(s), &err);
	if (xs != NULL) {
		t = json_pack("{s:[i,i], s:[i]}", "tile", 4, 32, "threads", 2);
		if (xform_menu(xs, t, &err) == 0) {
			render(xs, hash_fnv1a(data, size), 0);
			render(xs, 0, 1);
			render(xs, hash_fnv1a(data, size), 2);
		}
		json_decref(t);
		xform_free(xs);
	}
	free(s);
	return 0;
}
