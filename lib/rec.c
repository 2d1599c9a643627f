/*
 * rec: the record stream, read and written as JSONL or CSV (see rec.h).
 *
 * JSON is parsed by jansson (and written by jsonw, for the shortest
 * reals) and CSV by libcsv; this file adds what the stages need around
 * them: format detection, physical line numbers in messages, CSV cell
 * typing and flattening, a writer that hands out only whole lines, and
 * rec_peek's words for what jscan finds wrong in a JSON line.
 *
 * The CSV form cannot carry every record exactly.  A cell is typed by its
 * text, so a string that reads as a number, true, false, null, or a JSON
 * array or object ("42", "null", "[1]") comes back as that value and not
 * as a string; a key that holds a dot comes back as a nested object; and
 * in a table of one column a record that lacks that column is a blank
 * line, which readers skip.  Every other record survives JSONL -> CSV ->
 * JSONL unchanged, field order included (the empty string is written as
 * a quoted empty cell, which differs from the unquoted empty cell of an
 * absent field).
 */
#include "rec.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "jscan.h"
#include "jsonw.h"

/* The writer hands its buffer to write(2) once this much has gathered. */
#define REC_OUTBUF	65536

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- rec_peek ---- */

/* What rec_peek says of each failure of the scanner. */
static const char *const peek_why[] = {
	[JSCAN_E_END] = "unexpected end of text",
	[JSCAN_E_TRAILING] = "text after the object",
	[JSCAN_E_DEEP] = "nested too deeply",
	[JSCAN_E_KEY] = "expected a string key",
	[JSCAN_E_COLON] = "expected ':'",
	[JSCAN_E_OBJECT_NEXT] = "expected ',' or '}'",
	[JSCAN_E_ARRAY_NEXT] = "expected ',' or ']'",
	[JSCAN_E_VALUE] = "unexpected character",
	[JSCAN_E_LITERAL] = "invalid literal",
	[JSCAN_E_NUMBER] = "invalid number",
	[JSCAN_E_DIGIT] = "invalid number",
	[JSCAN_E_RANGE] = "number out of range",
	[JSCAN_E_UNTERMINATED] = "unterminated string",
	[JSCAN_E_CONTROL] = "control character in string",
	[JSCAN_E_ESCAPE] = "invalid escape",
	[JSCAN_E_UESCAPE] = "invalid \\u escape",
	[JSCAN_E_NUL] = "\\u0000 is not allowed",
	[JSCAN_E_LOW_SURROGATE] = "unpaired low surrogate",
	[JSCAN_E_HIGH_SURROGATE] = "unpaired high surrogate",
	[JSCAN_E_UTF8] = "invalid UTF-8"
};

/*
 * Strict, so that rec_peek and rec_read (jansson) agree on every line,
 * nesting included: jscan's limit is jansson's JSON_PARSER_MAX_DEPTH.
 */
int
rec_peek(const char *line, size_t len, const char *const *keys,
    size_t nkeys, struct jscan_span *spans, struct ar_err *err)
{
	struct jscan s = { .flags = JSCAN_STRICT };

	if (jscan_peek(&s, line, len, keys, nkeys, spans) == 0)
		return 0;
	if (s.fail == JSCAN_E_NOTOBJECT)
		ar_errf(err, "not a JSON object");
	else if (s.fail == JSCAN_E_DUPKEY)
		ar_errf(err, "invalid JSON at column %zu: duplicate key \"%s\"",
		    (size_t)(s.at - line) + 1, keys[s.key]);
	else
		ar_errf(err, "invalid JSON at column %zu: %s",
		    (size_t)(s.at - line) + 1, peek_why[s.fail]);
	return -1;
}

long
rec_span_string(const struct jscan_span *s, char *buf, size_t cap)
{
	return jscan_span_string(s, buf, cap);
}

/* ---- flattening ---- */

static void
flatten_into(json_t *flat, json_t *obj, struct ar_buf *path)
{
	size_t mark = path->len;
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		path->len = mark;
		buf_adds(path, key);
		if (json_is_object(v) && json_object_size(v) > 0) {
			buf_add(path, ".", 1);
			flatten_into(flat, v, path);
		} else
			json_object_set(flat, path->buf, v);
	}
	path->len = mark;
}

/*
 * The values are shared with obj, not copied.  Two paths that spell the
 * same column ({"a.b": 1, "a": {"b": 2}}) keep the later value.
 */
json_t *
rec_flatten(json_t *obj)
{
	struct ar_buf path = {0};
	json_t *flat;

	if (!json_is_object(obj))
		return NULL;
	flat = json_object();
	flatten_into(flat, obj, &path);
	free(path.buf);
	return flat;
}

/* The first column of flat that lies under the path prefix (a "prefix."). */
static const char *
column_under(json_t *flat, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *key;
	json_t *v;

	json_object_foreach(flat, key, v)
		if (strncmp(key, prefix, n) == 0 && key[n] == '.')
			return key;
	return "?";
}

static int
is_leaf(json_t *const *leaves, size_t n, const json_t *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (leaves[i] == v)
			return 1;
	return 0;
}

/*
 * Objects that come as values (an empty object, or a CSV cell holding
 * JSON) are leaves: a column under one is a collision, not a member to
 * add, which would also change an object the caller owns.  They are few,
 * so a list searched from end to end is enough.
 */
json_t *
rec_unflatten(json_t *flat, struct ar_err *err)
{
	struct ar_buf seg = {0};
	json_t *out, *cur, *child, *v, **leaves = NULL;
	size_t nleaves = 0;
	const char *key, *s, *dot;

	if (!json_is_object(flat)) {
		ar_errf(err, "not a JSON object");
		return NULL;
	}
	out = json_object();
	json_object_foreach(flat, key, v) {
		cur = out;
		for (s = key; (dot = strchr(s, '.')) != NULL; s = dot + 1) {
			seg.len = 0;
			buf_add(&seg, s, (size_t)(dot - s));
			child = json_object_get(cur, seg.buf);
			if (child == NULL) {
				child = json_object();
				json_object_set_new(cur, seg.buf, child);
			} else if (!json_is_object(child) ||
			    is_leaf(leaves, nleaves, child)) {
				seg.len = 0;
				buf_add(&seg, key, (size_t)(dot - key));
				ar_errf(err, "columns \"%s\" and \"%s\" "
				    "collide", seg.buf, key);
				goto fail;
			}
			cur = child;
		}
		if (json_object_get(cur, s) != NULL) {
			ar_errf(err, "columns \"%s\" and \"%s\" collide", key,
			    column_under(flat, key));
			goto fail;
		}
		json_object_set(cur, s, v);
		if (json_is_object(v)) {
			leaves = ereallocarray(leaves, nleaves + 1,
			    sizeof(*leaves));
			leaves[nleaves++] = v;
		}
	}
	free(seg.buf);
	free(leaves);
	return out;
fail:
	free(seg.buf);
	free(leaves);
	json_decref(out);
	return NULL;
}

/* ---- reading ---- */

struct rec_reader {
	FILE *f;
	char *name;
	enum rec_format fmt;
	char *line;		/* the current physical line */
	size_t cap, len;
	int pending;		/* line holds a line read but not yet used */
	int eof;
	size_t lineno;		/* physical lines read so far */
	size_t recline;		/* where the last record started */
	int failed;		/* a read or syntax error ended the input */
	struct ar_err fail;

	/* CSV */
	struct csv_parser csv;
	int csvinit, finished;
	char **cols;		/* the header, then the column names */
	size_t *collen;
	size_t ncols, colcap;
	int header;		/* the header row is in */
	json_t *flat;		/* the row being read, column -> value */
	size_t nfields;		/* fields seen in the row being read */
	int rowdone;
	int inrow;		/* libcsv is inside a row */
	size_t rowline;		/* where the row being read started */
	size_t fieldline;	/* where the field being read started */
	int cellbad;		/* a cell of this row could not be read */
	struct ar_err cellerr;
	struct ar_buf cell;
};

struct rec_reader *
rec_reader_new(FILE *f, const char *name)
{
	struct rec_reader *r = ecalloc(1, sizeof(*r));

	r->f = f;
	r->name = estrdup(name != NULL ? name : "<stdin>");
	r->fmt = REC_UNKNOWN;
	return r;
}

void
rec_reader_free(struct rec_reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->csvinit)
		csv_free(&r->csv);
	for (i = 0; i < r->ncols; i++)
		free(r->cols[i]);
	free(r->cols);
	free(r->collen);
	json_decref(r->flat);
	free(r->cell.buf);
	free(r->line);
	free(r->name);
	free(r);
}

static int detect(struct rec_reader *r, struct ar_err *err);

enum rec_format
rec_reader_format(struct rec_reader *r)
{
	/* A read error here is kept in r and reported by the next read. */
	if (r->fmt == REC_UNKNOWN && !r->failed)
		detect(r, NULL);
	return r->fmt;
}

size_t
rec_reader_line(const struct rec_reader *r)
{
	return r->recline;
}

const char *
rec_reader_name(const struct rec_reader *r)
{
	return r->name;
}

/* Ends the input with the message in r->fail, which every later call gets. */
static int
fatal(struct rec_reader *r, struct ar_err *err)
{
	r->failed = 1;
	if (err != NULL)
		*err = r->fail;
	return -1;
}

/*
 * Reads one physical line, newline included, into r->line: 1, 0 at the
 * end, or -1.  Lines are read whole whatever their length (getline), and
 * a UTF-8 byte order mark at the start of the input is dropped.
 */
static int
read_line(struct rec_reader *r, struct ar_err *err)
{
	ssize_t n;

	if (r->pending) {
		r->pending = 0;
		return 1;
	}
	if (r->eof)
		return 0;
	n = getline(&r->line, &r->cap, r->f);
	if (n < 0) {
		if (ferror(r->f)) {
			ar_errf(&r->fail, "%s:%zu: read error: %s", r->name,
			    r->lineno + 1, strerror(errno));
			return fatal(r, err);
		}
		r->eof = 1;
		return 0;
	}
	if (r->lineno == 0 && n >= 3 &&
	    memcmp(r->line, "\xef\xbb\xbf", 3) == 0) {
		n -= 3;
		memmove(r->line, r->line + 3, (size_t)n + 1);
	}
	r->lineno++;
	r->len = (size_t)n;
	return 1;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_ws((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * Looks at the first byte that is not white space.  The line it is on
 * stays pending for the reader of the format found.
 */
static int
detect(struct rec_reader *r, struct ar_err *err)
{
	size_t i;
	int rc;

	while ((rc = read_line(r, err)) > 0) {
		for (i = 0; i < r->len; i++)
			if (!is_ws((unsigned char)r->line[i])) {
				r->fmt = r->line[i] == '{' ? REC_JSONL :
				    REC_CSV;
				r->pending = 1;
				return 1;
			}
	}
	if (rc == 0)
		r->fmt = REC_EMPTY;
	return rc;
}

/* The next line that is not blank, without its newline (or CR LF). */
static int
next_text_line(struct rec_reader *r, struct ar_err *err)
{
	int rc;

	while ((rc = read_line(r, err)) > 0) {
		if (r->len > 0 && r->line[r->len - 1] == '\n')
			r->len--;
		if (r->len > 0 && r->line[r->len - 1] == '\r')
			r->len--;
		r->line[r->len] = '\0';
		if (!blank(r->line, r->len))
			return 1;
	}
	return rc;
}

static int
read_jsonl(struct rec_reader *r, json_t **out, struct ar_err *err)
{
	json_error_t je;
	json_t *v;
	int rc;

	if ((rc = next_text_line(r, err)) <= 0)
		return rc;
	r->recline = r->lineno;
	v = json_loadb(r->line, r->len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &je);
	if (v == NULL) {
		ar_errf(err, "%s:%zu: invalid JSON: %s", r->name, r->lineno,
		    je.text);
		return -1;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		ar_errf(err, "%s:%zu: not a JSON object", r->name, r->lineno);
		return -1;
	}
	*out = v;
	return 1;
}

/*
 * A cell's value, typed by its text (rec.h), or NULL when it is not valid
 * UTF-8 and so cannot be a JSON string.
 */
static json_t *
type_cell(struct rec_reader *r, const char *s, size_t n)
{
	json_error_t je;
	const char *t;
	json_int_t i;
	json_t *v;
	double d;
	int isint;

	r->cell.len = 0;
	buf_add(&r->cell, s, n);
	t = r->cell.buf;
	if (n == 4 && memcmp(t, "true", 4) == 0)
		return json_true();
	if (n == 5 && memcmp(t, "false", 5) == 0)
		return json_false();
	if (n == 4 && memcmp(t, "null", 4) == 0)
		return json_null();
	if (jscan_number_end(t, t + n, &isint) == t + n) {
		if (isint) {
			errno = 0;
			i = strtoll(t, NULL, 10);
			if (errno != ERANGE)
				return json_integer(i);
		}
		/* An integer too long for 64 bits is still a number. */
		d = strtod(t, NULL);
		if (!isinf(d))
			return json_real(d);
	}
	if (n > 0 && (t[0] == '[' || t[0] == '{') &&
	    (v = json_loadb(t, n, JSON_REJECT_DUPLICATES, &je)) != NULL)
		return v;
	return json_stringn(t, n);
}

/*
 * The fields of the record contract that are strings stay strings
 * whatever their text: an id of sixteen decimal digits is still an id,
 * and a variant's hash of sixty-four still a hash.
 */
static int
is_string_field(const char *col)
{
	static const char *const names[] = {
		"artifact", "compile.log", "compile.status", "device", "error",
		"host", "id", "status", "strategy", "study", "variant.by",
		"variant.file", "variant.sha256", "variant.parent"
	};
	size_t i;

	if (col == NULL)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(col, names[i]) == 0)
			return 1;
	return 0;
}

static void
cell_cb(void *s, size_t n, void *data)
{
	struct rec_reader *r = data;
	size_t i = r->nfields++;
	json_t *v;

	r->fieldline = r->lineno;
	if (!r->header) {
		if (r->ncols == r->colcap) {
			r->colcap = r->colcap ? 2 * r->colcap : 16;
			r->cols = ereallocarray(r->cols, r->colcap,
			    sizeof(*r->cols));
			r->collen = ereallocarray(r->collen, r->colcap,
			    sizeof(*r->collen));
		}
		r->cols[r->ncols] = s != NULL ? estrndup(s, n) : NULL;
		r->collen[r->ncols++] = n;
		return;
	}
	if (i >= r->ncols || s == NULL || r->cellbad)
		return;
	/* A variant's parent is a hash or null, which no hash reads as. */
	if (n == 4 && memcmp(s, "null", 4) == 0 && r->cols[i] != NULL &&
	    strcmp(r->cols[i], "variant.parent") == 0)
		v = json_null();
	else if (is_string_field(r->cols[i]))
		v = json_stringn(s, n);
	else
		v = type_cell(r, s, n);
	if (v == NULL) {
		r->cellbad = 1;
		ar_errf(&r->cellerr, "column \"%s\": invalid UTF-8",
		    r->cols[i]);
		return;
	}
	json_object_set_new_nocheck(r->flat, r->cols[i], v);
}

static void
row_cb(int c, void *data)
{
	struct rec_reader *r = data;

	(void)c;
	r->rowdone = 1;
	r->inrow = 0;
}

/*
 * Only LF ends a row, so that every row ends at the end of a physical
 * line and line numbers stay exact; CR is white space, trimmed from the
 * ends of unquoted cells, which reads CR LF files too.
 */
static int
csv_term(unsigned char c)
{
	return c == '\n';
}

static int
csv_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Checks the header row just read: every column needs a name that can be
 * a JSON key, and no name may come twice.  A bad header ends the input,
 * as no row under it could be read.
 */
static int
take_header(struct rec_reader *r, struct ar_err *err)
{
	const char *name;
	size_t i;

	r->nfields = 0;
	r->recline = r->rowline;
	for (i = 0; i < r->ncols; i++) {
		if ((name = r->cols[i]) == NULL) {
			ar_errf(&r->fail, "%s:%zu: column %zu of the header "
			    "has no name", r->name, r->rowline, i + 1);
			return fatal(r, err);
		}
		if (strlen(name) != r->collen[i] ||
		    json_object_get(r->flat, name) != NULL ||
		    json_object_set_new(r->flat, name, json_null()) < 0) {
			ar_errf(&r->fail, "%s:%zu: column %zu of the header: "
			    "%s name \"%s\"", r->name, r->rowline, i + 1,
			    json_object_get(r->flat, name) != NULL ?
			    "duplicate" : "invalid", name);
			return fatal(r, err);
		}
	}
	json_object_clear(r->flat);
	r->header = 1;
	return 0;
}

static int
take_row(struct rec_reader *r, json_t **out, struct ar_err *err)
{
	struct ar_err e;
	size_t n = r->nfields;
	json_t *rec;

	r->nfields = 0;
	r->recline = r->rowline;
	if (n != r->ncols) {
		ar_errf(err, "%s:%zu: expected %zu field%s, found %zu",
		    r->name, r->rowline, r->ncols, r->ncols == 1 ? "" : "s", n);
		rec = NULL;
	} else if (r->cellbad) {
		ar_errf(err, "%s:%zu: %s", r->name, r->rowline,
		    r->cellerr.msg);
		rec = NULL;
	} else if ((rec = rec_unflatten(r->flat, &e)) == NULL)
		ar_errf(err, "%s:%zu: %s", r->name, r->rowline, e.msg);
	r->cellbad = 0;
	json_object_clear(r->flat);
	if (rec == NULL)
		return -1;
	*out = rec;
	return 1;
}

/*
 * The input goes to libcsv one physical line at a time, and a row is
 * taken when libcsv reports its end.  A row that spans lines (a quoted
 * cell with a newline) is known by where it started, which libcsv does
 * not say: a row starts on the first line that is not blank after the
 * previous row ended, as libcsv skips blank lines between rows.
 */
static int
read_csv(struct rec_reader *r, json_t **out, struct ar_err *err)
{
	size_t n;
	int rc;

	if (!r->csvinit) {
		/*
		 * Strict: a quote inside an unquoted cell or text after a
		 * closing quote is an error, not guessed at.  An unquoted
		 * empty cell comes as NULL, so that it can mean "absent"
		 * while "" stays an empty string.
		 */
		csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI |
		    CSV_EMPTY_IS_NULL);
		csv_set_term_func(&r->csv, csv_term);
		csv_set_space_func(&r->csv, csv_space);
		r->flat = json_object();
		r->csvinit = 1;
	}
	for (;;) {
		if (r->rowdone) {
			r->rowdone = 0;
			if (r->header)
				return take_row(r, out, err);
			if (take_header(r, err) < 0)
				return -1;
			continue;
		}
		if (r->finished)
			return 0;
		if ((rc = read_line(r, err)) < 0)
			return -1;
		if (rc == 0) {
			r->finished = 1;
			if (csv_fini(&r->csv, cell_cb, row_cb, r) != 0) {
				ar_errf(&r->fail, "%s:%zu: unterminated quoted "
				    "field", r->name, r->fieldline);
				return fatal(r, err);
			}
			continue;
		}
		if (!r->inrow && !blank(r->line, r->len)) {
			r->inrow = 1;
			r->rowline = r->fieldline = r->lineno;
		}
		n = csv_parse(&r->csv, r->line, r->len, cell_cb, row_cb, r);
		if (n != r->len) {
			if (csv_error(&r->csv) == CSV_EPARSE)
				ar_errf(&r->fail, "%s:%zu: column %zu: stray "
				    "quote or text after a closing quote",
				    r->name, r->lineno, n + 1);
			else
				ar_errf(&r->fail, "%s:%zu: %s", r->name,
				    r->lineno,
				    csv_strerror(csv_error(&r->csv)));
			return fatal(r, err);
		}
	}
}

int
rec_read(struct rec_reader *r, json_t **out, struct ar_err *err)
{
	*out = NULL;
	if (r->failed)
		return fatal(r, err);
	if (r->fmt == REC_UNKNOWN && detect(r, err) < 0)
		return -1;
	switch (r->fmt) {
	case REC_JSONL:
		return read_jsonl(r, out, err);
	case REC_CSV:
		return read_csv(r, out, err);
	default:
		return 0;
	}
}

int
rec_read_line(struct rec_reader *r, const char **line, size_t *len,
    struct ar_err *err)
{
	int rc;

	*line = NULL;
	*len = 0;
	if (r->failed)
		return fatal(r, err);
	if (r->fmt == REC_UNKNOWN && detect(r, err) < 0)
		return -1;
	if (r->fmt == REC_EMPTY)
		return 0;
	if (r->fmt == REC_CSV) {
		ar_errf(err, "%s: the input is CSV, not JSONL", r->name);
		return -1;
	}
	if ((rc = next_text_line(r, err)) <= 0)
		return rc;
	r->recline = r->lineno;
	*line = r->line;
	*len = r->len;
	return 1;
}

/* ---- writing ---- */

struct rec_writer {
	int fd;
	enum rec_format fmt;
	int line_flush;
	char **decl;		/* the declared columns */
	size_t ndecl;
	char **cols;		/* the header, once written */
	size_t ncols;
	json_t *colset;		/* column name -> true */
	json_t *warned;		/* fields already reported as left out */
	void (*warn)(const char *msg);
	int header;
	int werrno;		/* the write error that stopped the output */
	struct ar_buf out;	/* whole lines not yet written */
	struct ar_buf tmp;
};

/* Any format but REC_CSV writes JSONL, the default of every stage. */
struct rec_writer *
rec_writer_new(int fd, enum rec_format fmt, const char *const *columns,
    int line_flush)
{
	struct rec_writer *w = ecalloc(1, sizeof(*w));
	size_t i;

	w->fd = fd;
	w->fmt = fmt == REC_CSV ? REC_CSV : REC_JSONL;
	w->line_flush = line_flush;
	for (i = 0; columns != NULL && columns[i] != NULL; i++)
		;
	w->ndecl = i;
	w->decl = ecalloc(i + 1, sizeof(*w->decl));
	for (i = 0; i < w->ndecl; i++)
		w->decl[i] = estrdup(columns[i]);
	w->colset = json_object();
	w->warned = json_object();
	return w;
}

static int
write_failed(struct rec_writer *w, struct ar_err *err)
{
	ar_errf(err, "write error: %s", strerror(w->werrno));
	errno = w->werrno;
	return -1;
}

/*
 * Hands the buffer, whole lines only, to write(2).  After an error the
 * rest is dropped, and every later call fails with the same errno: a
 * retry could only add lines after one whose end is missing.
 */
static int
drain(struct rec_writer *w, struct ar_err *err)
{
	if (ar_write_all(w->fd, w->out.buf, w->out.len) != 0) {
		w->werrno = errno;
		w->out.len = 0;
		return write_failed(w, err);
	}
	w->out.len = 0;
	return 0;
}

/*
 * Appends a cell, quoted when libcsv would not read it back as it is: an
 * empty text (an unquoted empty cell means an absent field), a separator,
 * a quote, a line break, or white space at either end (which is trimmed
 * from unquoted cells).  The first cell of the header is also quoted when
 * it starts with '{', which would make a reader take the table for JSONL.
 */
static void
put_text(struct ar_buf *b, const char *s, size_t n, int first)
{
	size_t i;
	int q;

	q = n == 0 || csv_space((unsigned char)s[0]) ||
	    csv_space((unsigned char)s[n - 1]) || (first && s[0] == '{');
	for (i = 0; !q && i < n; i++)
		q = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!q) {
		buf_add(b, s, n);
		return;
	}
	buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_add(b, "\"", 1);
		buf_add(b, s + i, 1);
	}
	buf_add(b, "\"", 1);
}

static void
put_cell(struct rec_writer *w, json_t *v)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		put_text(&w->out, json_string_value(v), json_string_length(v),
		    0);
		break;
	case JSON_INTEGER:
		buf_printf(&w->out, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		jsonw_fmt_real(json_real_value(v), num, sizeof(num));
		buf_adds(&w->out, num);
		break;
	case JSON_TRUE:
		buf_adds(&w->out, "true");
		break;
	case JSON_FALSE:
		buf_adds(&w->out, "false");
		break;
	case JSON_NULL:
		buf_adds(&w->out, "null");
		break;
	default:
		w->tmp.len = 0;
		(void)jsonw_dump(&w->tmp, v, 0);
		put_text(&w->out, w->tmp.buf != NULL ? w->tmp.buf : "",
		    w->tmp.len, 0);
		break;
	}
}

static void
add_column(struct rec_writer *w, const char *name)
{
	if (json_object_get(w->colset, name) != NULL)
		return;
	w->cols = ereallocarray(w->cols, w->ncols + 1, sizeof(*w->cols));
	w->cols[w->ncols++] = estrdup(name);
	json_object_set_new(w->colset, name, json_true());
}

/* The header: flat's columns (the first record's), then the declared. */
static void
put_header(struct rec_writer *w, json_t *flat)
{
	const char *key;
	json_t *v;
	size_t i;

	if (flat != NULL)
		json_object_foreach(flat, key, v)
			add_column(w, key);
	for (i = 0; i < w->ndecl; i++)
		add_column(w, w->decl[i]);
	for (i = 0; i < w->ncols; i++) {
		if (i > 0)
			buf_add(&w->out, ",", 1);
		put_text(&w->out, w->cols[i], strlen(w->cols[i]), i == 0);
	}
	buf_add(&w->out, "\n", 1);
	w->header = 1;
}

static void
put_row(struct rec_writer *w, json_t *flat)
{
	const char *key;
	json_t *v;
	size_t i;

	for (i = 0; i < w->ncols; i++) {
		if (i > 0)
			buf_add(&w->out, ",", 1);
		if ((v = json_object_get(flat, w->cols[i])) != NULL)
			put_cell(w, v);
	}
	buf_add(&w->out, "\n", 1);
	json_object_foreach(flat, key, v) {
		if (json_object_get(w->colset, key) != NULL ||
		    json_object_get(w->warned, key) != NULL)
			continue;
		if (w->warn != NULL) {
			struct ar_buf m = { 0 };

			buf_printf(&m, "field \"%s\" is not a column of the "
			    "CSV header, left out", key);
			w->warn(m.buf);
			free(m.buf);
		}
		json_object_set_new(w->warned, key, json_true());
	}
}

void
rec_writer_on_warn(struct rec_writer *w, void (*warn)(const char *msg))
{
	w->warn = warn;
}

int
rec_write(struct rec_writer *w, json_t *rec, struct ar_err *err)
{
	size_t mark = w->out.len;
	json_t *flat;

	if (w->werrno != 0)
		return write_failed(w, err);
	if (!json_is_object(rec)) {
		ar_errf(err, "the record is not a JSON object");
		errno = EINVAL;
		return -1;
	}
	if (w->fmt == REC_CSV) {
		flat = rec_flatten(rec);
		if (!w->header)
			put_header(w, flat);
		put_row(w, flat);
		json_decref(flat);
	} else {
		if (jsonw_dump(&w->out, rec, 0) != 0) {
			w->out.len = mark;
			ar_errf(err, "the record cannot be written as JSON");
			errno = EINVAL;
			return -1;
		}
		buf_add(&w->out, "\n", 1);
	}
	if (w->line_flush || w->out.len >= REC_OUTBUF)
		return drain(w, err);
	return 0;
}

int
rec_writer_flush(struct rec_writer *w, struct ar_err *err)
{
	if (w->werrno != 0)
		return write_failed(w, err);
	return drain(w, err);
}

int
rec_writer_free(struct rec_writer *w, struct ar_err *err)
{
	size_t i;
	int rc, saved;

	if (w == NULL)
		return 0;
	if (w->fmt == REC_CSV && !w->header && w->werrno == 0)
		put_header(w, NULL);
	rc = rec_writer_flush(w, err);
	saved = errno;
	for (i = 0; i < w->ndecl; i++)
		free(w->decl[i]);
	free(w->decl);
	for (i = 0; i < w->ncols; i++)
		free(w->cols[i]);
	free(w->cols);
	json_decref(w->colset);
	json_decref(w->warned);
	free(w->out.buf);
	free(w->tmp.buf);
	free(w);
	errno = saved;
	return rc;
}
