/*
 * rec: the record stream that joins the stages (DESIGN.md, ar-formats(7)).
 *
 * A record is a JSON object.  On the wire it is one object per line
 * (JSONL) or a CSV row under a header whose columns are the record's
 * fields flattened: nested objects become dotted columns ("params.TILE",
 * "times.median") and arrays are written as JSON text in one cell.  A
 * reader detects the format from the first byte of its input: '{' means
 * JSONL, anything else is a CSV header.  Fields keep their order, so a
 * stage that copies the fields it does not own keeps the user's fields
 * where they were.
 *
 * Ownership: rec_read hands the caller a new reference (json_decref it);
 * rec_write borrows.  Readers and writers are released by their _free,
 * which never closes the underlying FILE or descriptor.
 */
#ifndef AR_REC_H
#define AR_REC_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "jscan.h"
#include "util.h"

enum rec_format {
	REC_UNKNOWN,	/* nothing read yet */
	REC_EMPTY,	/* the input held nothing but white space */
	REC_JSONL,
	REC_CSV
};

struct rec_reader;

/*
 * Reads records from f.  name is what messages call the input
 * ("history.jsonl", or "<stdin>").
 */
struct rec_reader *rec_reader_new(FILE *f, const char *name);
void rec_reader_free(struct rec_reader *r);

/*
 * Reads the next record.  Returns 1 and a new reference in *out, 0 at the
 * end of the input, or -1 with err->msg set to "NAME:LINE: what is wrong"
 * (a malformed JSON line, a line that is not an object, a CSV row with the
 * wrong number of fields, an unterminated quote, a read error).
 *
 * JSONL: blank lines are skipped; each other line must be one JSON object.
 * CSV: the first row is the header; an empty cell means the field is
 * absent (a quoted empty cell is the empty string); a cell is typed by
 * its text: an integer, a number, true, false, null, a JSON array or
 * object ('[' or '{' that parses), else a string.  The string fields of
 * the record contract (id, study, strategy, status, host, device, artifact,
 * error, compile.status, compile.log, variant.sha256, variant.file,
 * variant.parent, variant.by) are always strings, but for the text null
 * of variant.parent, which is null.
 * Dotted columns become nested objects again ("a.b" -> {"a": {"b": ..}}).
 */
int rec_read(struct rec_reader *r, json_t **out, struct ar_err *err);

/*
 * JSONL only, for fast scans of long histories: the next non-blank line
 * without parsing it (no trailing newline).  The pointer is valid until
 * the next call.  Returns 1, 0 at the end, or -1 on a read error; returns
 * -1 with a message if the input is CSV (use rec_read there).
 */
int rec_read_line(struct rec_reader *r, const char **line, size_t *len,
    struct ar_err *err);

/*
 * The format of the input.  Before the first read this looks ahead: it
 * reads up to the first line that is not blank and keeps that line for
 * the next read (a read error met here is reported by that read).
 */
enum rec_format rec_reader_format(struct rec_reader *r);
/* The line number (1-based) where the last record returned started. */
size_t rec_reader_line(const struct rec_reader *r);
const char *rec_reader_name(const struct rec_reader *r);

/*
 * A fast, validating look at one JSON text: checks that line[0..len) is
 * exactly one valid JSON object (RFC 8259, surrounding white space
 * allowed) and finds the top-level values of the keys asked for, without
 * building a tree.  spans[i] receives the raw text of the value of
 * keys[i] (start and length; for a string, including its quotes), or
 * start NULL when the key is absent.  Returns 0, or -1 with err->msg set
 * to what is wrong and at which column (no file or line: the caller adds
 * them).  It is several times faster than parsing with jansson; jscan
 * (jscan_peek) does the scanning, and a span is its span.
 */
int rec_peek(const char *line, size_t len, const char *const *keys,
    size_t nkeys, struct jscan_span *spans, struct ar_err *err);
/*
 * The string a span holds, unescaped into buf (cap bytes, NUL-terminated).
 * Returns its length, or -1 if the span is not a JSON string or does not
 * fit.
 */
long rec_span_string(const struct jscan_span *s, char *buf, size_t cap);

/*
 * Writes records to the file descriptor fd, as JSONL or as CSV.
 *
 * CSV: the header is written with the first record (or at rec_writer_free
 * when no record came, so that an empty result is still a valid table).
 * Its columns are the first record's fields flattened, in order, followed
 * by the declared columns (a NULL-terminated list, may be NULL) that the
 * first record lacked: the fields the stage can write, so a failed first
 * candidate does not shape the table.  A later record's field with no
 * column is reported once per column name through a warning on stderr
 * and left out; a column a record lacks is an empty cell.  A real is
 * written as jsonw_fmt_real writes it, in both forms: the shortest text
 * that reads back to the same double.  Cells are quoted only when they
 * must be (comma, quote, CR, LF, or leading/trailing space).  JSONL is
 * jsonw's compact text (jsonw.h).
 *
 * Output is buffered and handed to write(2) only in whole lines, so a
 * reader downstream (or a file after a crash) never sees a partial line.
 * With line_flush set, every record is written out at once, for stages
 * whose records come slowly (compilations, measurements).
 */
struct rec_writer;
struct rec_writer *rec_writer_new(int fd, enum rec_format fmt,
    const char *const *columns, int line_flush);
/* Returns 0, or -1 with err set (errno is kept: EPIPE means the reader left). */
int rec_write(struct rec_writer *w, json_t *rec, struct ar_err *err);
int rec_writer_flush(struct rec_writer *w, struct ar_err *err);
/* Flushes (writing the CSV header if none was written) and frees; 0 or -1. */
int rec_writer_free(struct rec_writer *w, struct ar_err *err);
/*
 * Who hears of a field a CSV record has and its header has not, which is
 * left out of the row: warn is called once per such field with the
 * message.  By default no one.
 */
void rec_writer_on_warn(struct rec_writer *w, void (*warn)(const char *msg));

/*
 * Flattening, as the CSV form uses it: a new object whose keys are dotted
 * paths to every non-object value of obj (arrays stay arrays; an empty
 * object stays as it is).  rec_unflatten is the inverse; it returns NULL
 * and fills err when two columns collide ("a" holds a value and "a.b"
 * exists).
 */
json_t *rec_flatten(json_t *obj);
json_t *rec_unflatten(json_t *flat, struct ar_err *err);

#endif
