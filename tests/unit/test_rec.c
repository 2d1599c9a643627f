/*
 * Unit tests for lib/rec.c: format detection, the JSONL and CSV readers
 * and their messages, flattening, the writer, number formatting, and
 * rec_peek checked against jansson's verdict.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "jsonw.h"
#include "rec.h"

static const char sample[] =
    "{\"study\":\"matmul-cpu\",\"id\":\"0123456789abcdef\",\"round\":12,"
    "\"strategy\":\"random\",\"params\":{\"MR\":4,\"NR\":16,\"KC\":128},"
    "\"artifact\":\"cache/ab/cd.so\",\"compile\":{\"status\":\"ok\","
    "\"seconds\":0.41,\"log\":\"\"},\"status\":\"ok\",\"time_s\":0.012345678,"
    "\"times\":{\"n\":10,\"min\":0.0121,\"median\":0.0123,\"mean\":0.01236,"
    "\"sd\":0.0001},\"verify\":{\"max_abs_err\":1.2e-6,"
    "\"max_rel_err\":3.4e-7},\"cost_s\":0.6,\"host\":\"epyc\","
    "\"metrics\":{\"gflops\":108.5},\"objective\":0.0123,\"score\":-0.0123}";

/*
 * A compact dump as the writer makes it (jsonw), kept in a ring of
 * buffers so a check can hold two.
 */
static const char *
dump(json_t *v)
{
	static char ring[4][8192];
	static int next;
	char *b = ring[next++ % 4];
	struct ar_buf t = { 0 };

	if (v == NULL)
		return "(null)";
	if (jsonw_dump(&t, v, 0) != 0 || t.len >= sizeof(ring[0]))
		b[0] = '\0';
	else
		memcpy(b, t.buf, t.len + 1);
	free(t.buf);
	return b;
}

static FILE *
text_file(const char *s, size_t n)
{
	FILE *f = tmpfile();

	fwrite(s, 1, n, f);
	rewind(f);
	return f;
}

/*
 * Reads every record of text into an array.  Returns the number read, or
 * -1 with the first error in err (the records before it are in *out).
 */
static int
read_all(const char *text, const char *name, json_t **out,
    struct ar_err *err, enum rec_format *fmt)
{
	FILE *f = text_file(text, strlen(text));
	struct rec_reader *r = rec_reader_new(f, name);
	json_t *a = json_array(), *v;
	int rc, n = 0;

	while ((rc = rec_read(r, &v, err)) == 1) {
		json_array_append_new(a, v);
		n++;
	}
	if (fmt != NULL)
		*fmt = rec_reader_format(r);
	rec_reader_free(r);
	fclose(f);
	*out = a;
	return rc < 0 ? -1 : n;
}

/* Reads text and returns the compact dump of all its records. */
static const char *
read_dump(const char *text)
{
	struct ar_err err = {""};
	json_t *a;
	const char *s;

	if (read_all(text, "t", &a, &err, NULL) < 0) {
		fprintf(stderr, "read_dump: %s\n", err.msg);
		json_decref(a);
		return "(error)";
	}
	s = dump(a);
	json_decref(a);
	return s;
}

/* The first error reading text gives, after records that read well. */
static const char *
read_error(const char *text, const char *name)
{
	static char msg[1024];
	struct ar_err err = {""};
	json_t *a;

	if (read_all(text, name, &a, &err, NULL) >= 0)
		snprintf(msg, sizeof(msg), "(no error)");
	else
		snprintf(msg, sizeof(msg), "%s", err.msg);
	json_decref(a);
	return msg;
}

/* Everything written so far to the temporary file fd. */
static char *
slurp(int fd)
{
	struct stat st;
	char *s;
	ssize_t n;

	fstat(fd, &st);
	s = malloc((size_t)st.st_size + 1);
	n = pread(fd, s, (size_t)st.st_size, 0);
	s[n > 0 ? n : 0] = '\0';
	return s;
}

static off_t
fd_size(int fd)
{
	struct stat st;

	fstat(fd, &st);
	return st.st_size;
}

/* A tool's warning callback: the message on stderr. */
static void
warn_stderr(const char *msg)
{
	ar_warn("%s", msg);
}

/* Writes the records of the JSON array text; returns what came out. */
static char *
write_all(const char *array, enum rec_format fmt, const char *const *cols)
{
	FILE *f = tmpfile();
	struct ar_err err;
	struct rec_writer *w = rec_writer_new(fileno(f), fmt, cols, 0);
	json_t *a = json_loads(array, 0, NULL), *v;
	size_t i;
	char *s;

	rec_writer_on_warn(w, warn_stderr);
	json_array_foreach(a, i, v)
		CHECK_INT(rec_write(w, v, &err), 0);
	CHECK_INT(rec_writer_free(w, &err), 0);
	s = slurp(fileno(f));
	json_decref(a);
	fclose(f);
	return s;
}

/* Runs fn with stderr going to a file, and returns what it printed. */
static char *
capture_stderr(char *(*fn)(void), char **result)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	char *s;

	fflush(stderr);
	dup2(fileno(f), 2);
	*result = fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	s = slurp(fileno(f));
	fclose(f);
	return s;
}

static void
test_detect(void)
{
	struct ar_err err;
	enum rec_format fmt;
	json_t *a, *v;
	FILE *f;
	struct rec_reader *r;

	CHECK_INT(read_all("{\"a\":1}\n", "t", &a, &err, &fmt), 1);
	CHECK_INT(fmt, REC_JSONL);
	json_decref(a);
	CHECK_INT(read_all("a,b\n1,2\n", "t", &a, &err, &fmt), 1);
	CHECK_INT(fmt, REC_CSV);
	json_decref(a);
	CHECK_INT(read_all("", "t", &a, &err, &fmt), 0);
	CHECK_INT(fmt, REC_EMPTY);
	json_decref(a);
	CHECK_INT(read_all("  \n\n\t\r\n  ", "t", &a, &err, &fmt), 0);
	CHECK_INT(fmt, REC_EMPTY);
	json_decref(a);
	/* White space and blank lines come before the first byte looked at. */
	CHECK_INT(read_all("\n\n   {\"a\":1}\n", "t", &a, &err, &fmt), 1);
	CHECK_INT(fmt, REC_JSONL);
	json_decref(a);
	CHECK_INT(read_all("\n \nx\n1\n", "t", &a, &err, &fmt), 1);
	CHECK_INT(fmt, REC_CSV);
	CHECK_STR(dump(a), "[{\"x\":1}]");
	json_decref(a);
	/* A byte order mark is skipped. */
	CHECK_INT(read_all("\xef\xbb\xbf{\"a\":1}\n", "t", &a, &err, &fmt),
	    1);
	CHECK_INT(fmt, REC_JSONL);
	json_decref(a);
	CHECK_STR(read_dump("\xef\xbb\xbf" "a,b\n1,2\n"),
	    "[{\"a\":1,\"b\":2}]");

	/* Asking for the format reads ahead, and the record is still
	 * there for the first read; fmemopen input works. */
	f = fmemopen((void *)"{\"a\":1}", 7, "r");
	r = rec_reader_new(f, NULL);
	CHECK_INT(rec_reader_format(r), REC_JSONL);
	CHECK_STR(rec_reader_name(r), "<stdin>");
	CHECK_INT(rec_read(r, &v, &err), 1);
	CHECK_INT(rec_reader_format(r), REC_JSONL);
	json_decref(v);
	CHECK_INT(rec_read(r, &v, &err), 0);
	CHECK(v == NULL);
	CHECK_INT(rec_read(r, &v, &err), 0);
	rec_reader_free(r);
	fclose(f);
}

static void
test_jsonl(void)
{
	static const char text[] =
	    "{\"z\":1,\"a\":2.0,\"m\":{\"y\":1,\"b\":[1,2]},\"s\":\"x\"}\n"
	    "\n"
	    "   \t\n"
	    "{\"b\":true,\"a\":null}\r\n"
	    "{\"i\":12345678901234,\"r\":1.5e300}";
	struct ar_err err;
	struct rec_reader *r;
	FILE *f;
	json_t *v;

	f = text_file(text, sizeof(text) - 1);
	r = rec_reader_new(f, "h.jsonl");
	CHECK_INT(rec_read(r, &v, &err), 1);
	/* Field order is the input's, not sorted. */
	CHECK_STR(dump(v), "{\"z\":1,\"a\":2.0,\"m\":{\"y\":1,\"b\":[1,2]},"
	    "\"s\":\"x\"}");
	CHECK(json_is_integer(json_object_get(v, "z")));
	CHECK(json_is_real(json_object_get(v, "a")));
	CHECK_INT(rec_reader_line(r), 1);
	json_decref(v);
	CHECK_INT(rec_read(r, &v, &err), 1);
	CHECK_STR(dump(v), "{\"b\":true,\"a\":null}");
	CHECK_INT(rec_reader_line(r), 4);
	json_decref(v);
	CHECK_INT(rec_read(r, &v, &err), 1);
	CHECK_INT(json_integer_value(json_object_get(v, "i")),
	    12345678901234LL);
	CHECK_INT(rec_reader_line(r), 5);
	json_decref(v);
	CHECK_INT(rec_read(r, &v, &err), 0);
	rec_reader_free(r);
	fclose(f);
}

static void
test_jsonl_errors(void)
{
	struct ar_err err;
	struct rec_reader *r;
	FILE *f;
	json_t *v;
	static const char text[] =
	    "{\"a\":1}\n\n{\"a\":\n[1,2]\n{\"a\":1,\"a\":2}\n{\"a\":3}\n";

	CHECK_STR(read_error("{\"a\":1}\n\n{\"a\":2\n", "history.jsonl"),
	    "history.jsonl:3: invalid JSON: '}' expected near end of file");
	CHECK_STR(read_error("{\"a\":1}\n{}\n[1]\n", "x.jsonl"),
	    "x.jsonl:3: not a JSON object");
	CHECK_STR(read_error("{}\n\n7\n", "x.jsonl"),
	    "x.jsonl:3: not a JSON object");
	/* Only the first byte of the input decides: this is a CSV table. */
	CHECK_STR(read_error("\n7\n{}\n", "x.jsonl"), "(no error)");
	CHECK_STR(read_error("{\"a\":1,\"b\":2,\"a\":3}\n", "d.jsonl"),
	    "d.jsonl:1: invalid JSON: duplicate object key near '\"a\"'");
	CHECK_STR(read_error("{\"a\":1} {\"b\":2}\n", "two.jsonl"),
	    "two.jsonl:1: invalid JSON: end of file expected near '{'");

	/* A bad line is reported and the reader goes on after it. */
	f = text_file(text, sizeof(text) - 1);
	r = rec_reader_new(f, "k.jsonl");
	CHECK_INT(rec_read(r, &v, &err), 1);
	json_decref(v);
	CHECK_INT(rec_read(r, &v, &err), -1);
	CHECK(strncmp(err.msg, "k.jsonl:3: invalid JSON: ", 25) == 0);
	CHECK(v == NULL);
	CHECK_INT(rec_read(r, &v, &err), -1);
	CHECK_STR(err.msg, "k.jsonl:4: not a JSON object");
	CHECK_INT(rec_read(r, &v, &err), -1);
	CHECK(strncmp(err.msg, "k.jsonl:5: invalid JSON: duplicate", 34) ==
	    0);
	CHECK_INT(rec_read(r, &v, &err), 1);
	CHECK_INT(rec_reader_line(r), 6);
	CHECK_STR(dump(v), "{\"a\":3}");
	json_decref(v);
	CHECK_INT(rec_read(r, &v, &err), 0);
	rec_reader_free(r);
	fclose(f);
}

static void
test_read_line(void)
{
	static const char text[] = "{\"a\":1}\n\n \n{\"b\":2}\r\n{\"c\":3}";
	struct ar_err err;
	struct rec_reader *r;
	const char *line;
	size_t len, n = 3u << 20, i;
	char *big;
	FILE *f;
	json_t *v;

	f = text_file(text, sizeof(text) - 1);
	r = rec_reader_new(f, "l.jsonl");
	CHECK_INT(rec_read_line(r, &line, &len, &err), 1);
	CHECK_INT(len, 7);
	CHECK(memcmp(line, "{\"a\":1}", 7) == 0);
	CHECK_INT(rec_reader_line(r), 1);
	CHECK_INT(rec_read_line(r, &line, &len, &err), 1);
	CHECK_INT(len, 7);
	CHECK_STR(line, "{\"b\":2}");
	CHECK_INT(rec_reader_line(r), 4);
	/* rec_read and rec_read_line share the input. */
	CHECK_INT(rec_read(r, &v, &err), 1);
	CHECK_STR(dump(v), "{\"c\":3}");
	json_decref(v);
	CHECK_INT(rec_read_line(r, &line, &len, &err), 0);
	rec_reader_free(r);
	fclose(f);

	/* A line of megabytes has no fixed limit in its way. */
	big = malloc(n + 2);
	memcpy(big, "{\"s\":\"", 6);
	for (i = 6; i < n - 2; i++)
		big[i] = 'a' + (char)(i % 26);
	memcpy(big + n - 2, "\"}", 2);
	big[n] = '\n';
	f = text_file(big, n + 1);
	r = rec_reader_new(f, "big.jsonl");
	CHECK_INT(rec_read_line(r, &line, &len, &err), 1);
	CHECK_INT(len, n);
	CHECK(len == n && memcmp(line, big, n) == 0);
	CHECK_INT(rec_read_line(r, &line, &len, &err), 0);
	rec_reader_free(r);
	fclose(f);
	free(big);

	f = text_file("a,b\n1,2\n", 8);
	r = rec_reader_new(f, "c.csv");
	CHECK_INT(rec_read_line(r, &line, &len, &err), -1);
	CHECK_STR(err.msg, "c.csv: the input is CSV, not JSONL");
	CHECK_INT(rec_read(r, &v, &err), 1);
	json_decref(v);
	rec_reader_free(r);
	fclose(f);

	f = text_file("\n\n", 2);
	r = rec_reader_new(f, "e");
	CHECK_INT(rec_read_line(r, &line, &len, &err), 0);
	CHECK_INT(rec_reader_format(r), REC_EMPTY);
	rec_reader_free(r);
	fclose(f);
}

static void
test_csv_typing(void)
{
	json_t *a, *v;
	struct ar_err err;

	CHECK_INT(read_all(
	    "i,neg,r,e,t,f,n,arr,obj,s,lead0,absent,empty,big,huge,sp\n"
	    "42,-7,0.5,1e3,true,false,null,\"[1,\"\"x\"\"]\","
	    "\"{\"\"k\"\":2}\",hello,007,,\"\",99999999999999999999,"
	    "1e999,\" x \"\n", "t", &a, &err, NULL), 1);
	v = json_array_get(a, 0);
	CHECK(json_is_integer(json_object_get(v, "i")));
	CHECK_INT(json_integer_value(json_object_get(v, "neg")), -7);
	CHECK(json_is_real(json_object_get(v, "r")));
	CHECK(json_is_real(json_object_get(v, "e")));
	CHECK_DBL(json_real_value(json_object_get(v, "e")), 1000.0, 0);
	CHECK(json_is_true(json_object_get(v, "t")));
	CHECK(json_is_false(json_object_get(v, "f")));
	CHECK(json_is_null(json_object_get(v, "n")));
	CHECK_STR(dump(json_object_get(v, "arr")), "[1,\"x\"]");
	CHECK_STR(dump(json_object_get(v, "obj")), "{\"k\":2}");
	CHECK_STR(json_string_value(json_object_get(v, "s")), "hello");
	/* Not a JSON number, so a string: ids with leading zeros survive. */
	CHECK_STR(json_string_value(json_object_get(v, "lead0")), "007");
	/* An empty cell is an absent field; a quoted empty cell is "". */
	CHECK(json_object_get(v, "absent") == NULL);
	CHECK_STR(json_string_value(json_object_get(v, "empty")), "");
	/* Past 64 bits: still a number; past a double's range: text. */
	CHECK(json_is_real(json_object_get(v, "big")));
	CHECK_STR(json_string_value(json_object_get(v, "huge")), "1e999");
	CHECK_STR(json_string_value(json_object_get(v, "sp")), " x ");
	CHECK_INT(json_object_size(v), 15);
	json_decref(a);

	/* Not JSON after all, or not quite a literal: strings. */
	CHECK_STR(read_dump("a,b,c,d,e\n[x,{,True,1.,-\n"),
	    "[{\"a\":\"[x\",\"b\":\"{\",\"c\":\"True\",\"d\":\"1.\","
	    "\"e\":\"-\"}]");
	/* Unquoted cells lose the white space at their ends; CR LF reads. */
	CHECK_STR(read_dump("a , b\r\n 1 ,  x y \r\n"),
	    "[{\"a\":1,\"b\":\"x y\"}]");
	/* Dotted columns nest again, in the order of first appearance. */
	CHECK_STR(read_dump("id,params.MR,times.n,params.NR,x\n"
	    "a,4,10,16,\n"),
	    "[{\"id\":\"a\",\"params\":{\"MR\":4,\"NR\":16},"
	    "\"times\":{\"n\":10}}]");
	/* A quoted cell may hold commas and line breaks. */
	CHECK_STR(read_dump("a,b\n\"x,\ny\",2\n"),
	    "[{\"a\":\"x,\\ny\",\"b\":2}]");
	/* Blank lines between rows are skipped; the last row needs no LF. */
	CHECK_STR(read_dump("a\n1\n\n\n2"), "[{\"a\":1},{\"a\":2}]");
	/* A header alone is an empty table. */
	CHECK_STR(read_dump("a,b\n"), "[]");
}

static void
test_csv_errors(void)
{
	struct ar_err err;
	struct rec_reader *r;
	FILE *f;
	json_t *v;
	static const char text[] = "a,b\n1,2\n3\n4,5\n";

	CHECK_STR(read_error("a,b,c,d,e,f,g\n1,2,3,4,5,6,7\n\n\n"
	    "1,2,3,4,5,6\n", "runs.csv"),
	    "runs.csv:5: expected 7 fields, found 6");
	CHECK_STR(read_error("a\n1,2\n", "one.csv"),
	    "one.csv:2: expected 1 field, found 2");
	/* The quote opened on line 3 is still open at the end. */
	CHECK_STR(read_error("a,b\n1,2\n3,\"x\ny\n", "q.csv"),
	    "q.csv:3: unterminated quoted field");
	CHECK_STR(read_error("a,b\n1,2\n\"x\ny", "q.csv"),
	    "q.csv:3: unterminated quoted field");
	/* Line numbers count physical lines, through a cell of three. */
	CHECK_STR(read_error("a,b\n\"x\ny\nz\",1\n2,3\n4\n", "m.csv"),
	    "m.csv:6: expected 2 fields, found 1");
	CHECK_STR(read_error("a,b\n\"x\ny\",1\n2,\"3\nq\n\"\n4\"\n", "m.csv"),
	    "m.csv:7: column 2: stray quote or text after a closing quote");
	CHECK_STR(read_error("a,b\n1,x\"y\n", "s.csv"),
	    "s.csv:2: column 4: stray quote or text after a closing quote");
	CHECK_STR(read_error("a,b,a\n1,2,3\n", "h.csv"),
	    "h.csv:1: column 3 of the header: duplicate name \"a\"");
	CHECK_STR(read_error("\n\na,,c\n1,2,3\n", "h.csv"),
	    "h.csv:3: column 2 of the header has no name");
	CHECK_STR(read_error("a,a.b\n1,2\n", "c.csv"),
	    "c.csv:2: columns \"a\" and \"a.b\" collide");
	/* The columns collide only when both hold a value. */
	CHECK_STR(read_dump("a,a.b\n1,\n,2\n"),
	    "[{\"a\":1},{\"a\":{\"b\":2}}]");
	CHECK_STR(read_error("a\n\xff\n", "u.csv"),
	    "u.csv:2: column \"a\": invalid UTF-8");

	/* A row of the wrong size is reported, and the reader goes on. */
	f = text_file(text, sizeof(text) - 1);
	r = rec_reader_new(f, "k.csv");
	CHECK_INT(rec_read(r, &v, &err), 1);
	CHECK_INT(rec_reader_line(r), 2);
	json_decref(v);
	CHECK_INT(rec_read(r, &v, &err), -1);
	CHECK_STR(err.msg, "k.csv:3: expected 2 fields, found 1");
	CHECK_INT(rec_reader_line(r), 3);
	CHECK_INT(rec_read(r, &v, &err), 1);
	CHECK_STR(dump(v), "{\"a\":4,\"b\":5}");
	CHECK_INT(rec_reader_line(r), 4);
	json_decref(v);
	CHECK_INT(rec_read(r, &v, &err), 0);
	rec_reader_free(r);
	fclose(f);

	/* A syntax error ends the input: every later call repeats it. */
	f = text_file("a\n\"x\"y\n1\n", 9);
	r = rec_reader_new(f, "k.csv");
	CHECK_INT(rec_read(r, &v, &err), -1);
	CHECK_INT(rec_read(r, &v, &err), -1);
	CHECK_STR(err.msg,
	    "k.csv:2: column 4: stray quote or text after a closing quote");
	rec_reader_free(r);
	fclose(f);
}

static void
test_flatten(void)
{
	struct ar_err err;
	json_t *o, *flat, *back, *leaf;

	o = json_loads("{\"id\":\"x\",\"params\":{\"MR\":4,\"deep\":{\"a\":1}},"
	    "\"arr\":[{\"q\":1}],\"empty\":{},\"n\":null}", 0, NULL);
	flat = rec_flatten(o);
	CHECK_STR(dump(flat), "{\"id\":\"x\",\"params.MR\":4,"
	    "\"params.deep.a\":1,\"arr\":[{\"q\":1}],\"empty\":{},\"n\":null}");
	back = rec_unflatten(flat, &err);
	CHECK_STR(dump(back), dump(o));
	json_decref(back);
	back = json_array();
	CHECK(rec_flatten(back) == NULL);
	json_decref(back);
	json_decref(flat);
	json_decref(o);

	flat = json_loads("{\"a\":1,\"a.b\":2}", 0, NULL);
	CHECK(rec_unflatten(flat, &err) == NULL);
	CHECK_STR(err.msg, "columns \"a\" and \"a.b\" collide");
	json_decref(flat);
	flat = json_loads("{\"a.b.c\":1,\"x\":0,\"a.b\":2}", 0, NULL);
	CHECK(rec_unflatten(flat, &err) == NULL);
	CHECK_STR(err.msg, "columns \"a.b\" and \"a.b.c\" collide");
	json_decref(flat);
	/* An object that is a value is a leaf, and is not changed. */
	flat = json_loads("{\"a\":{},\"a.b\":2}", 0, NULL);
	leaf = json_object_get(flat, "a");
	CHECK(rec_unflatten(flat, &err) == NULL);
	CHECK_STR(err.msg, "columns \"a\" and \"a.b\" collide");
	CHECK_INT(json_object_size(leaf), 0);
	json_decref(flat);
	flat = json_loads("[]", 0, NULL);
	CHECK(rec_unflatten(flat, &err) == NULL);
	json_decref(flat);
}

/* The significant digits of a number's text (no leading or trailing 0). */
static int
sig_digits(const char *s)
{
	const char *first = NULL, *last = NULL;

	for (; *s != '\0' && *s != 'e'; s++)
		if (*s >= '1' && *s <= '9') {
			if (first == NULL)
				first = s;
			last = s;
		}
	if (first == NULL)
		return 1;
	return (int)(last - first) + 1 - (memchr(first, '.',
	    (size_t)(last - first)) != NULL);
}

static unsigned long long
pow10_of(int n)
{
	unsigned long long p = 1;

	while (n-- > 0)
		p *= 10;
	return p;
}

/*
 * jsonw_fmt_g rounds printf's 17 digits itself: its text must be that of
 * the first of %.15g, %.16g, %.17g that reads back.
 */
static void
same_as_printf(double d)
{
	char got[32], want[32], *e, *q;
	int p;

	if (!isnormal(d))
		return;
	for (p = 15; p < 17; p++) {
		snprintf(want, sizeof(want), "%.*g", p, d);
		if (strtod(want, NULL) == d)
			break;
	}
	if (p == 17)
		snprintf(want, sizeof(want), "%.17g", d);
	jsonw_fmt_g(d, got, sizeof(got));
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%a: \"%s\", expected \"%s\"\n", d, got, want);
		CHECK_STR(got, want);
	}
	/* As JSON: "1e+300" is "1e300", "1e-05" is "1e-5", "2" is "2.0". */
	if ((e = strchr(want, 'e')) != NULL) {
		q = e + 1 + (e[1] == '-');
		for (p = (int)(q - want); want[p] == '+' || want[p] == '0'; p++)
			continue;
		memmove(q, want + p, strlen(want + p) + 1);
	} else if (strchr(want, '.') == NULL)
		strcat(want, ".0");
	jsonw_fmt_real(d, got, sizeof(got));
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%a: \"%s\", expected \"%s\"\n", d, got, want);
		CHECK_STR(got, want);
	}
}

static void
test_fmt_real(void)
{
	static const struct {
		double d;
		const char *text;
	} t[] = {
		{ 0.1, "0.1" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 3.8210000000000002, "3.821" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 0.023123042000065652, "0.023123042000065652" },
		{ 1e300, "1e300" },
		{ 1e-5, "1e-5" },
		{ 1e22, "1e22" },
		{ 5e-324, "5e-324" },
		{ 1e-320, "1e-320" },
		{ -0.0, "-0.0" },
		{ 0.0, "0.0" },
		{ 9007199254740992.0, "9007199254740992.0" },
		{ 2.0, "2.0" },
		{ -2.0, "-2.0" },
		{ 123456789.0, "123456789.0" },
		{ 100000.0, "100000.0" },
		{ 1e15, "1e15" },
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ 1.7976931348623157e308, "1.7976931348623157e308" },
	};
	char buf[32], buf2[32];
	size_t i;
	double d;
	uint64_t bits, x = 0x9e3779b97f4a7c15ULL;
	int p, shortest, got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		jsonw_fmt_real(t[i].d, buf, sizeof(buf));
		CHECK_STR(buf, t[i].text);
		d = strtod(buf, NULL);
		CHECK(memcmp(&d, &t[i].d, sizeof(d)) == 0);
	}
	/* What JSON cannot hold is left as printf writes it. */
	jsonw_fmt_real(INFINITY, buf, sizeof(buf));
	CHECK_STR(buf, "inf");
	jsonw_fmt_real(-INFINITY, buf, sizeof(buf));
	CHECK_STR(buf, "-inf");
	jsonw_fmt_real(NAN, buf, sizeof(buf));
	CHECK(strstr(buf, "nan") != NULL);
	/* The digits as %g spells them, for messages and expressions. */
	jsonw_fmt_g(2.0, buf, sizeof(buf));
	CHECK_STR(buf, "2");
	jsonw_fmt_g(1e300, buf, sizeof(buf));
	CHECK_STR(buf, "1e+300");
	jsonw_fmt_g(3.8210000000000002, buf, sizeof(buf));
	CHECK_STR(buf, "3.821");

	/*
	 * Random doubles, from every exponent: each reads back bit for bit,
	 * with the fewest significant digits any %.Ng gives.
	 */
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bits = x;
		memcpy(&d, &bits, sizeof(d));
		if (!isfinite(d))
			continue;
		jsonw_fmt_real(d, buf, sizeof(buf));
		CHECK(strtod(buf, NULL) == d);
		CHECK(strpbrk(buf, ".e") != NULL);
		got = sig_digits(buf);
		for (p = 1; p <= 17; p++) {
			snprintf(buf2, sizeof(buf2), "%.*g", p, d);
			if (strtod(buf2, NULL) == d)
				break;
		}
		shortest = sig_digits(buf2);
		if (got != shortest) {
			fprintf(stderr, "%.17g: \"%s\", not %d digits\n", d,
			    buf, shortest);
			CHECK(got == shortest);
		}
		same_as_printf(d);
	}
	/*
	 * Short decimals of every length and decimal exponent, and the
	 * doubles beside them, where the digits printf would round are
	 * near 00, 50 or 100.
	 */
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		snprintf(buf2, sizeof(buf2), "%llue%d",
		    (unsigned long long)(x >> 8) % pow10_of(1 + x % 17),
		    (int)(x >> 40) % 600 - 300);
		d = strtod(buf2, NULL);
		same_as_printf(d);
		same_as_printf(nextafter(d, 0));
		same_as_printf(-nextafter(d, INFINITY));
	}
}

static char *
write_extra(void)
{
	static const char *const cols[] = { "id", "params.MR", "status",
	    "score", NULL };

	return write_all("[{\"id\":\"a\",\"status\":\"crash\",\"user\":1},"
	    "{\"id\":\"b\",\"params\":{\"MR\":4},\"status\":\"ok\","
	    "\"score\":2.5,\"extra\":1,\"user\":2},"
	    "{\"id\":\"c\",\"extra\":2,\"more\":[1]}]", REC_CSV, cols);
}

static void
test_writer_header(void)
{
	static const char *const cols[] = { "id", "params.MR", NULL };
	char *out, *warn;

	/* The first record's fields, then the declared ones it lacks. */
	warn = capture_stderr(write_extra, &out);
	CHECK_STR(out, "id,status,user,params.MR,score\n"
	    "a,crash,1,,\n"
	    "b,ok,2,4,2.5\n"
	    "c,,,,\n");
	/* Each column left out is reported once. */
	CHECK(strstr(warn, "field \"extra\" is not a column of the CSV "
	    "header, left out\n") != NULL);
	CHECK(strstr(warn, "\"more\"") != NULL);
	CHECK(strstr(strstr(warn, "\"extra\"") + 1, "\"extra\"") == NULL);
	free(out);
	free(warn);

	/* No record: the header of declared columns, still a table. */
	out = write_all("[]", REC_CSV, cols);
	CHECK_STR(out, "id,params.MR\n");
	free(out);
	out = write_all("[]", REC_JSONL, cols);
	CHECK_STR(out, "");
	free(out);
	out = write_all("[{\"a\":{\"b\":1,\"c\":[1,2.0]},\"d\":{}}]", REC_CSV,
	    NULL);
	CHECK_STR(out, "a.b,a.c,d\n1,\"[1,2.0]\",{}\n");
	free(out);
}

static void
test_writer_quoting(void)
{
	char *out;

	out = write_all("[{\"a\":\"x,y\",\"b\":\"say \\\"hi\\\"\","
	    "\"c\":\"two\\nlines\",\"d\":\" pad\",\"e\":\"pad\\t\","
	    "\"f\":\"\",\"g\":\"plain text\",\"h\":\"cr\\r\",\"i\":true,"
	    "\"j\":null,\"k\":1.0,\"l\":-3,\"m\":{\"n\":\"a\\\"b\"}}]",
	    REC_CSV, NULL);
	CHECK_STR(out, "a,b,c,d,e,f,g,h,i,j,k,l,m.n\n"
	    "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\",\"pad\t\","
	    "\"\",plain text,\"cr\r\",true,null,1.0,-3,\"a\"\"b\"\n");
	free(out);
	/* A header must not start with '{', or it would read as JSONL. */
	out = write_all("[{\"{x\":1,\"{y\":2}]", REC_CSV, NULL);
	CHECK_STR(out, "\"{x\",{y\n1,2\n");
	free(out);
	out = write_all("[{\"a\":1,\"b\":[1,\"x\"]},{\"b\":\"s\",\"a\":2}]",
	    REC_JSONL, NULL);
	CHECK_STR(out, "{\"a\":1,\"b\":[1,\"x\"]}\n{\"b\":\"s\",\"a\":2}\n");
	free(out);
}

/* JSONL -> records -> CSV -> records: the same records come back. */
static void
test_roundtrip(void)
{
	const char *cols[64], *key;
	struct ar_buf in = {0};
	struct ar_err err;
	json_t *a, *b, *v, *x, *flats;
	char *csv, *jsonl;
	size_t i, n;

	buf_adds(&in, sample);
	buf_adds(&in, "\n{\"study\":\"s\",\"id\":\"ff\",\"status\":\"crash\","
	    "\"note\":\"a, \\\"quoted\\\"\\nline\","
	    "\"u\":\"\\u00e9\\ud83d\\ude00\","
	    "\"e\":{},\"arr\":[{\"x\":1.5},[],null],\"t\":true,\"z\":null,"
	    "\"big\":-9223372036854775807,\"tiny\":5e-324,\"neg0\":-0.0,"
	    "\"sp\":\" lead\",\"deep\":{\"x\":{\"y\":{\"z\":1e300}}}}\n");
	buf_adds(&in, "{\"study\":\"t\",\"id\":\"00\",\"status\":\"ok\","
	    "\"time_s\":1.0,\"params\":{\"MR\":8,\"NR\":8,\"KC\":64}}\n");
	CHECK_INT(read_all(in.buf, "in", &a, &err, NULL), 3);

	/*
	 * Each record alone, so that the first record shapes no other's
	 * columns; then all three under one header with every column.
	 */
	for (i = 0; i < json_array_size(a); i++) {
		json_t *one = json_array();

		json_array_append(one, json_array_get(a, i));
		csv = write_all(dump(one), REC_CSV, NULL);
		CHECK_INT(read_all(csv, "csv", &b, &err, NULL), 1);
		CHECK_STR(dump(json_array_get(b, 0)),
		    dump(json_array_get(a, i)));
		CHECK(json_equal(b, one));
		json_decref(b);
		json_decref(one);
		free(csv);
	}
	n = 0;
	flats = json_array();
	json_array_foreach(a, i, v) {
		json_t *flat = rec_flatten(v);

		json_object_foreach(flat, key, x)
			if (n < 63)
				cols[n++] = key;
		/* The keys must live until the writer has copied them. */
		json_array_append_new(flats, flat);
	}
	cols[n] = NULL;
	csv = write_all(dump(a), REC_CSV, cols);
	json_decref(flats);
	CHECK_INT(read_all(csv, "csv", &b, &err, NULL), 3);
	json_array_foreach(b, i, v)
		CHECK(json_equal(v, json_array_get(a, i)));
	json_decref(b);
	free(csv);

	/* JSONL: one compact object a line. */
	jsonl = write_all(dump(a), REC_JSONL, NULL);
	CHECK_INT(read_all(jsonl, "jsonl", &b, &err, NULL), 3);
	CHECK(json_equal(a, b));
	in.len = 0;
	json_array_foreach(a, i, v) {
		buf_adds(&in, dump(v));
		buf_add(&in, "\n", 1);
	}
	CHECK_STR(jsonl, in.buf);
	json_decref(b);
	free(jsonl);
	json_decref(a);
	free(in.buf);
}

/*
 * A record's "variant" (ar-formats(7)) survives JSONL -> CSV -> JSONL
 * byte for byte: a hash of digits alone and a path stay strings, a null
 * parent stays null and a parent hash a string, and ops, an array of
 * objects, comes back from its one cell in its order.  A record without
 * a variant under the same header stays without one.
 */
static void
test_variant_roundtrip(void)
{
	static const char *const recs[] = {
	    "{\"study\":\"mm\",\"id\":\"1234567890123456\","
	    "\"params\":{\"tile_i\":32,\"order\":\"ikj\"},"
	    "\"variant\":{\"sha256\":\"1111111111111111111111111111111111111111"
	    "111111111111111111111111\",\"file\":\"/s/v/1111111111111111111111"
	    "111111111111111111111111111111111111111111.c\",\"parent\":null,"
	    "\"by\":\"transform\",\"ops\":[{\"loop\":\"i\",\"op\":\"tile\","
	    "\"arg\":32},{\"op\":\"order\",\"arg\":\"ikj\"}]},"
	    "\"status\":\"ok\"}",
	    "{\"study\":\"mm\",\"id\":\"abcdefabcdefabcd\","
	    "\"params\":{\"tile_i\":0,\"order\":\"ijk\"},"
	    "\"variant\":{\"sha256\":\"0e12345678901234567890123456789012345678"
	    "90123456789012345678901234\",\"file\":\"/s/v/0e.c\","
	    "\"parent\":\"1111111111111111111111111111111111111111111111111111"
	    "111111111111\",\"by\":\"null\"},\"status\":\"wrong\"}",
	    ("{\"study\":\"mm\",\"id\":\"0000000000000000\","
	    "\"params\":{\"tile_i\":0,\"order\":\"ijk\"},\"status\":\"ok\"}"),
	};
	struct ar_err err;
	json_t *a = json_array(), *b, *flat;
	const char *cols[32], *key;
	char *csv;
	size_t i, n = 0;

	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		json_t *one = json_array(), *v = json_loads(recs[i], 0, NULL);

		CHECK(v != NULL);
		json_array_append(one, v);
		json_array_append_new(a, v);
		csv = write_all(dump(one), REC_CSV, NULL);
		CHECK_INT(read_all(csv, "csv", &b, &err, NULL), 1);
		CHECK_STR(dump(json_array_get(b, 0)), recs[i]);
		json_decref(b);
		json_decref(one);
		free(csv);
	}
	/* All three under the first's header, which has every column. */
	flat = rec_flatten(json_array_get(a, 0));
	json_object_foreach(flat, key, b)
		cols[n++] = key;
	cols[n] = NULL;
	csv = write_all(dump(a), REC_CSV, cols);
	json_decref(flat);
	CHECK_INT(read_all(csv, "csv", &b, &err, NULL), 3);
	for (i = 0; i < 3; i++)
		CHECK_STR(dump(json_array_get(b, i)), recs[i]);
	json_decref(b);
	free(csv);
	json_decref(a);
}

static void
test_writer_io(void)
{
	FILE *f = tmpfile();
	int fd = fileno(f), p[2];
	struct ar_err err;
	struct rec_writer *w;
	json_t *rec = json_loads(sample, 0, NULL);
	off_t size, line = (off_t)strlen(dump(rec)) + 1;
	size_t i;
	char *s;
	void (*old)(int);
	json_t *arr;

	/* Buffered: nothing reaches the file before 64 KiB or a flush. */
	w = rec_writer_new(fd, REC_JSONL, NULL, 0);
	CHECK_INT(rec_write(w, rec, &err), 0);
	CHECK_INT(fd_size(fd), 0);
	CHECK_INT(rec_writer_flush(w, &err), 0);
	CHECK_INT(fd_size(fd), line);
	/* Past 64 KiB whole lines go out, and only whole lines. */
	for (i = 0; i < 400; i++) {
		CHECK_INT(rec_write(w, rec, &err), 0);
		size = fd_size(fd);
		if (size % line != 0)
			CHECK(!"a partial line was written");
	}
	CHECK(fd_size(fd) > line);
	CHECK(fd_size(fd) < 401 * line);
	CHECK_INT(rec_writer_free(w, &err), 0);
	CHECK_INT(fd_size(fd), 401 * line);
	s = slurp(fd);
	CHECK(s[line - 1] == '\n');
	CHECK(strncmp(s, dump(rec), (size_t)line - 1) == 0);
	free(s);

	/* line_flush: every record at once. */
	CHECK_INT(ftruncate(fd, 0), 0);
	w = rec_writer_new(fd, REC_CSV, NULL, 1);
	CHECK_INT(rec_write(w, rec, &err), 0);
	size = fd_size(fd);
	CHECK(size > 0);
	CHECK_INT(rec_write(w, rec, &err), 0);
	CHECK(fd_size(fd) > size);
	CHECK_INT(rec_writer_free(w, &err), 0);
	fclose(f);

	/* Not an object: refused, nothing written. */
	w = rec_writer_new(-1, REC_JSONL, NULL, 0);
	arr = json_array();
	CHECK_INT(rec_write(w, arr, &err), -1);
	CHECK_STR(err.msg, "the record is not a JSON object");
	json_decref(arr);
	CHECK_INT(rec_writer_free(w, &err), 0);

	/* The reader left: EPIPE, kept in errno and said in the message. */
	old = signal(SIGPIPE, SIG_IGN);
	if (pipe(p) == 0) {
		close(p[0]);
		w = rec_writer_new(p[1], REC_JSONL, NULL, 1);
		errno = 0;
		CHECK_INT(rec_write(w, rec, &err), -1);
		CHECK_INT(errno, EPIPE);
		CHECK_STR(err.msg, "write error: Broken pipe");
		errno = 0;
		CHECK_INT(rec_write(w, rec, &err), -1);
		CHECK_INT(errno, EPIPE);
		CHECK_INT(rec_writer_free(w, &err), -1);
		CHECK_INT(errno, EPIPE);
		close(p[1]);
	}
	signal(SIGPIPE, old);
	w = rec_writer_new(-1, REC_JSONL, NULL, 0);
	CHECK_INT(rec_write(w, rec, &err), 0);
	CHECK_INT(rec_writer_flush(w, &err), -1);
	CHECK_INT(errno, EBADF);
	CHECK_STR(err.msg, "write error: Bad file descriptor");
	CHECK_INT(rec_writer_free(w, &err), -1);
	json_decref(rec);
}

/* The verdict jansson gives on text as a record: a valid JSON object. */
static int
jansson_ok(const char *s, size_t n)
{
	json_error_t je;
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &je);
	int ok = v != NULL && json_is_object(v);

	json_decref(v);
	return ok;
}

static int
peek_ok(const char *s, size_t n)
{
	struct ar_err err;

	return rec_peek(s, n, NULL, 0, NULL, &err) == 0;
}

static void
test_peek_table(void)
{
	static const char *const texts[] = {
		"{}", " \t\r\n{}\n ", "{\"a\":1}", "{\"a\":-0.5e+10}",
		"{\"a\":[1,2,{\"b\":[]}],\"c\":{}}", "{\"\":\"\"}",
		"{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}",
		"{\"a\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
		"{\"a\":true,\"b\":false,\"c\":null}", "{\"a\":1,\"a\":2}",
		"{\"a\":0}", "{\"a\":-0}", "{\"a\":1E5}", "{\"a\":1e-400}",
		"{\"a\":9223372036854775807}", "{\"a\":-9223372036854775808}",
		"{\"a\":\"\x7f\"}",
		/* invalid */
		"", "   ", "[]", "[{}]", "1", "\"s\"", "null", "{", "}",
		"{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}",
		"{a:1}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
		"{\"a\":-}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":0x10}",
		"{\"a\":tru}", "{\"a\":truex}", "{\"a\":True}", "{\"a\":nul}",
		"{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":[}", "{\"a\":{]}",
		"{}{}", "{} x", "{\"a\":\"\t\"}", "{\"a\":\"x\n\"}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}",
		"{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\\ud800\"}", "{\"a\":\"\\ud800\\u0041\"}",
		"{\"a\":\"\\ud800x\"}", "{\"a\":\"abc}", "{\"a\":\"\xc0\x80\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
		"{\"a\":\"\xe2\x82\"}", "{\"a\":\"\x80\"}", "{\"a\":\"\xff\"}",
		"{\"a\":1e400}", "{\"a\":-1e400}",
		"{\"a\":9223372036854775808}",
		"{\"a\":1}\x01", "\xef\xbb\xbf{}", "{\"a\":1}/", "{\"a\" 1}",
		"{\"a\":Infinity}", "{\"a\":NaN}", "{\"a\":[1]]}",
	};
	char msg[256];
	size_t i, n;
	int same;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		n = strlen(texts[i]);
		same = peek_ok(texts[i], n) == jansson_ok(texts[i], n);
		if (!same) {
			snprintf(msg, sizeof(msg), "rec_peek and jansson "
			    "disagree on %s", texts[i]);
			CHECK_STR(msg, "");
		} else
			CHECK(same);
	}
	/* Both counts matter: the table holds valid and invalid texts. */
	for (i = n = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		n += jansson_ok(texts[i], strlen(texts[i]));
	CHECK_INT(n, 17);
	/* A NUL byte is not white space, nor allowed in a string. */
	CHECK_INT(peek_ok("{}\0", 3), 0);
	CHECK_INT(peek_ok("{\"a\":\"\0\"}", 9), 0);
	CHECK_INT(peek_ok("{\"a\":1}", 6), 0);
	CHECK_INT(peek_ok(sample, sizeof(sample) - 1), 1);
}

/* Nesting as deep as jansson takes, and one level more. */
static void
test_peek_depth(void)
{
	size_t depth, n, i;
	char *s = malloc(8192);
	int scalar;

	for (depth = 2046; depth <= 2050; depth++)
		for (scalar = 0; scalar < 2; scalar++) {
			n = 0;
			memcpy(s, "{\"a\":", 5);
			n = 5;
			for (i = 1; i < depth; i++)
				s[n++] = '[';
			if (scalar)
				s[n++] = '1';
			for (i = 1; i < depth; i++)
				s[n++] = ']';
			s[n++] = '}';
			CHECK_INT(peek_ok(s, n), jansson_ok(s, n));
		}
	free(s);
}

/*
 * Thousands of damaged copies of a record (bytes changed, dropped,
 * doubled), each judged by rec_peek and by jansson: they must agree.
 */
static void
test_peek_fuzz(void)
{
	static const char alphabet[] = "{}[]\":,\\ .-+eE0123456789tfnu\x01"
	    "\x80\xc3\xa9\xed\xf0";
	char buf[sizeof(sample) + 8];
	uint32_t x = 12345;
	size_t n, pos, k;
	int i, j, bad = 0, valid = 0;

	for (i = 0; i < 20000; i++) {
		memcpy(buf, sample, sizeof(sample));
		n = sizeof(sample) - 1;
		for (j = 0; j < 1 + i % 3; j++) {
			x = x * 1664525u + 1013904223u;
			pos = (x >> 8) % n;
			k = (x >> 4) % 3;
			x = x * 1664525u + 1013904223u;
			if (k == 0)
				buf[pos] = alphabet[(x >> 8) %
				    (sizeof(alphabet) - 1)];
			else if (k == 1 && n > 1) {
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				n--;
			} else if (n < sizeof(sample) + 4) {
				memmove(buf + pos + 1, buf + pos, n - pos);
				n++;
			}
		}
		if (peek_ok(buf, n) != jansson_ok(buf, n)) {
			if (bad++ < 5)
				fprintf(stderr, "disagree: %.*s\n", (int)n,
				    buf);
		} else
			valid += jansson_ok(buf, n);
	}
	CHECK_INT(bad, 0);
	/* Some damage leaves valid JSON; the test saw both kinds. */
	CHECK(valid > 100);
}

static void
test_peek_spans(void)
{
	static const char *const keys[] = { "id", "params", "score",
	    "missing", "times", "study", "log" };
	static const char *const two[] = { "a", "a" };
	static const char *const one[] = { "a" };
	static const char *const odd[] = { "", "b\"c", "\xc3\xa9" };
	struct jscan_span sp[7];
	struct ar_err err;
	char buf[64];
	const char *t;

	CHECK_INT(rec_peek(sample, sizeof(sample) - 1, keys, 7, sp, &err), 0);
	CHECK_INT(sp[0].len, 18);
	CHECK(strncmp(sp[0].start, "\"0123456789abcdef\"", 18) == 0);
	CHECK_INT(sp[1].len, 25);
	CHECK(strncmp(sp[1].start, "{\"MR\":4,\"NR\":16,\"KC\":128}", 25) ==
	    0);
	CHECK_INT(sp[2].len, 7);
	CHECK(strncmp(sp[2].start, "-0.0123", 7) == 0);
	CHECK(sp[3].start == NULL);
	CHECK(sp[4].start != NULL && sp[4].start[0] == '{' &&
	    sp[4].start[sp[4].len - 1] == '}');
	CHECK_INT(rec_span_string(&sp[5], buf, sizeof(buf)), 10);
	CHECK_STR(buf, "matmul-cpu");
	/* Only top-level keys count: "log" is inside "compile". */
	CHECK(sp[6].start == NULL);

	t = " { \"a\" : [1, {\"a\": 2}] , \"b\":\"x\" } ";
	CHECK_INT(rec_peek(t, strlen(t), one, 1, sp, &err), 0);
	CHECK_INT(sp[0].len, 13);
	CHECK(strncmp(sp[0].start, "[1, {\"a\": 2}]", 13) == 0);
	/* A key asked for twice gets the same value twice. */
	CHECK_INT(rec_peek(t, strlen(t), two, 2, sp, &err), 0);
	CHECK(sp[1].start == sp[0].start && sp[1].len == sp[0].len);
	/* A key written with escapes is the key it spells. */
	t = "{\"\\u0061\":true,\"\":1,\"b\\\"c\":2,\"\\u00e9\":3}";
	CHECK_INT(rec_peek(t, strlen(t), one, 1, sp, &err), 0);
	CHECK(sp[0].start != NULL && strncmp(sp[0].start, "true", 4) == 0);
	CHECK_INT(rec_peek(t, strlen(t), odd, 3, sp, &err), 0);
	CHECK(sp[0].start != NULL && sp[0].start[0] == '1');
	CHECK(sp[1].start != NULL && sp[1].start[0] == '2');
	CHECK(sp[2].start != NULL && sp[2].start[0] == '3');

	/* A key asked for that comes twice is an error, as in rec_read. */
	t = "{\"a\":1,\"b\":2,\"a\":3}";
	CHECK_INT(rec_peek(t, strlen(t), one, 1, sp, &err), -1);
	CHECK_STR(err.msg, "invalid JSON at column 14: duplicate key \"a\"");
	t = "{\"a\":1,\"\\u0061\":3}";
	CHECK_INT(rec_peek(t, strlen(t), one, 1, sp, &err), -1);
	t = "{\"a\":{\"a\":1,\"a\":2}}";
	CHECK_INT(rec_peek(t, strlen(t), one, 1, sp, &err), 0);

	/* Messages say what and where (1-based columns). */
	t = "{\"a\":1,\"b\" 2}";
	CHECK_INT(rec_peek(t, strlen(t), NULL, 0, NULL, &err), -1);
	CHECK_STR(err.msg, "invalid JSON at column 12: expected ':'");
	t = "{\"a\":[1,2}";
	CHECK_INT(rec_peek(t, strlen(t), NULL, 0, NULL, &err), -1);
	CHECK_STR(err.msg, "invalid JSON at column 10: expected ',' or ']'");
	t = "{\"a\":\"x\\q\"}";
	CHECK_INT(rec_peek(t, strlen(t), NULL, 0, NULL, &err), -1);
	CHECK_STR(err.msg, "invalid JSON at column 8: invalid escape");
	t = "{\"a\":1";
	CHECK_INT(rec_peek(t, strlen(t), NULL, 0, NULL, &err), -1);
	CHECK_STR(err.msg, "invalid JSON at column 7: unexpected end of text");
	t = "{} {}";
	CHECK_INT(rec_peek(t, strlen(t), NULL, 0, NULL, &err), -1);
	CHECK_STR(err.msg, "invalid JSON at column 4: text after the object");
	t = "[1]";
	CHECK_INT(rec_peek(t, strlen(t), NULL, 0, NULL, &err), -1);
	CHECK_STR(err.msg, "not a JSON object");
	t = "{\"a\":99999999999999999999}";
	CHECK_INT(rec_peek(t, strlen(t), NULL, 0, NULL, &err), -1);
	CHECK_STR(err.msg, "invalid JSON at column 6: number out of range");
}

static void
test_span_string(void)
{
	struct jscan_span sp;
	char buf[32];
	const char *t;

	t = "\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20AC\\ud83d\\ude00\"";
	sp.start = t;
	sp.len = strlen(t);
	CHECK_INT(rec_span_string(&sp, buf, sizeof(buf)), 18);
	CHECK_STR(buf, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* Too small a buffer (the NUL needs room too). */
	CHECK_INT(rec_span_string(&sp, buf, 18), -1);
	CHECK_INT(rec_span_string(&sp, buf, 19), 18);
	t = "\"\"";
	sp.start = t;
	sp.len = 2;
	CHECK_INT(rec_span_string(&sp, buf, 1), 0);
	CHECK_STR(buf, "");
	/* Not strings, or not well-formed ones. */
	t = "12";
	sp.start = t;
	sp.len = 2;
	CHECK_INT(rec_span_string(&sp, buf, sizeof(buf)), -1);
	t = "\"abc\\\"";
	sp.start = t;
	sp.len = strlen(t);
	CHECK_INT(rec_span_string(&sp, buf, sizeof(buf)), -1);
	t = "\"\\ud800\"";
	sp.start = t;
	sp.len = strlen(t);
	CHECK_INT(rec_span_string(&sp, buf, sizeof(buf)), -1);
	t = "\"";
	sp.start = t;
	sp.len = 1;
	CHECK_INT(rec_span_string(&sp, buf, sizeof(buf)), -1);
	sp.start = NULL;
	CHECK_INT(rec_span_string(&sp, buf, sizeof(buf)), -1);
}

int
main(void)
{
	ar_setprogname("test_rec");
	RUN(test_detect);
	RUN(test_jsonl);
	RUN(test_jsonl_errors);
	RUN(test_read_line);
	RUN(test_csv_typing);
	RUN(test_csv_errors);
	RUN(test_flatten);
	RUN(test_fmt_real);
	RUN(test_writer_header);
	RUN(test_writer_quoting);
	RUN(test_roundtrip);
	RUN(test_variant_roundtrip);
	RUN(test_writer_io);
	RUN(test_peek_table);
	RUN(test_peek_depth);
	RUN(test_peek_fuzz);
	RUN(test_peek_spans);
	RUN(test_span_string);
	return check_done("test_rec");
}
