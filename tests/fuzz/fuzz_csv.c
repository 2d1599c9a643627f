/*
 * fuzz_csv: the CSV reader (libcsv underneath): a header and rows, typed
 * cells, dotted columns made objects again; each record read is written
 * back as CSV and as JSON lines.  Any input must give records or a clear
 * error, never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "rec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader *r;
	struct rec_writer *csv, *jsonl;
	struct ar_err err;
	json_t *rec;
	FILE *f, *out;

	/* A first '{' makes the input JSON lines: fuzz_jsonl's part. */
	if (size > 0 && data[0] == '{')
		return 0;
	if ((f = fuzz_open(data, size)) == NULL)
		return 0;
	if ((out = fopen("/dev/null", "w")) == NULL)
		abort();
	r = rec_reader_new(f, "<fuzz>");
	csv = rec_writer_new(fileno(out), REC_CSV, NULL, 0);
	jsonl = rec_writer_new(fileno(out), REC_JSONL, NULL, 0);
	while (rec_read(r, &rec, &err) == 1) {
		(void)rec_write(csv, rec, &err);
		(void)rec_write(jsonl, rec, &err);
		json_decref(rec);
	}
	(void)rec_writer_free(jsonl, &err);
	(void)rec_writer_free(csv, &err);
	rec_reader_free(r);
	fclose(out);
	fclose(f);
	return 0;
}
