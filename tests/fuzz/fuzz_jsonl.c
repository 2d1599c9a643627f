/*
 * fuzz_jsonl: the JSON-line reader, both ways a stage reads it: the fast
 * scan of long histories (rec_read_line and rec_peek) and whole records
 * (rec_read), each record flattened for CSV and written out again.  Any
 * input must give records or a clear error, never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rec.h"

static void
scan(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "id", "study", "params", "score",
	    "status", "round", "strategy", "times" };
	struct jscan_span sp[sizeof(keys) / sizeof(keys[0])];
	struct rec_reader *r;
	struct ar_err err;
	const char *line;
	size_t len, k;
	char buf[64];
	FILE *f;

	if ((f = fuzz_open(data, size)) == NULL)
		return;
	r = rec_reader_new(f, "<fuzz>");
	while (rec_read_line(r, &line, &len, &err) == 1) {
		if (rec_peek(line, len, keys, sizeof(keys) / sizeof(keys[0]),
		    sp, &err) != 0)
			continue;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (sp[k].start != NULL)
				(void)rec_span_string(&sp[k], buf, sizeof(buf));
	}
	rec_reader_free(r);
	fclose(f);
}

static void
whole(const uint8_t *data, size_t size)
{
	struct rec_reader *r;
	struct rec_writer *w;
	struct ar_err err;
	json_t *rec, *flat, *back;
	FILE *f, *out;

	if ((f = fuzz_open(data, size)) == NULL)
		return;
	if ((out = fopen("/dev/null", "w")) == NULL)
		abort();
	r = rec_reader_new(f, "<fuzz>");
	w = rec_writer_new(fileno(out), REC_JSONL, NULL, 0);
	while (rec_read(r, &rec, &err) == 1) {
		if ((flat = rec_flatten(rec)) != NULL) {
			if ((back = rec_unflatten(flat, &err)) != NULL)
				json_decref(back);
			json_decref(flat);
		}
		(void)rec_write(w, rec, &err);
		json_decref(rec);
	}
	(void)rec_writer_free(w, &err);
	rec_reader_free(r);
	fclose(out);
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	scan(data, size);
	whole(data, size);
	return 0;
}
