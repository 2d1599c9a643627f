/*
 * Unit tests for lib/jsonw.c: the text is jansson's, byte for byte, for
 * values that hold no real (compact and indented, every escape, random
 * trees); reals are the shortest text that reads back; what jansson
 * refuses to write is refused too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonw.h"

static uint64_t seed = 88172645463325252ULL;

static uint64_t
next(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Checks jsonw's text of v against json_dumps's, compact and indented. */
static void
same_as_jansson(json_t *v)
{
	static const int indents[] = { 0, 2, 4 };
	char *a, *b;
	size_t i;

	for (i = 0; i < sizeof(indents) / sizeof(indents[0]); i++) {
		a = jsonw_dumps(v, indents[i]);
		b = json_dumps(v, JSON_ENCODE_ANY | (indents[i] == 0 ?
		    JSON_COMPACT : JSON_INDENT(indents[i])));
		CHECK_STR(a, b);
		free(a);
		free(b);
	}
}

static void
test_no_reals(void)
{
	static const char *const texts[] = {
		"{}", "[]", "{\"a\":{},\"b\":[],\"c\":[{}],\"d\":[[]]}",
		"{\"study\":\"matmul-cpu\",\"id\":\"0123456789abcdef\","
		"\"round\":12,\"params\":{\"MR\":4,\"NR\":16,\"KC\":128},"
		"\"status\":\"ok\",\"ok\":true,\"bad\":false,\"z\":null}",
		"[1,-1,0,9223372036854775807,-9223372036854775808]",
		"{\"s\":\"quote \\\" backslash \\\\ slash / del \\u007f\"}",
		"{\"ctl\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u000b\"}",
		"{\"utf8\":\"\\u00e9 \\u20ac \\ud83d\\ude00 \\u2028\"}",
		"{\"k\\u00e9y\\n\":{\"x\\\"\":[\"a\",\"\",{\"\":\"\"}]}}",
		"\"top-level string\"", "42", "true", "null",
	};
	json_t *v;
	size_t i;
	char c[2];

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		v = json_loads(texts[i], JSON_DECODE_ANY, NULL);
		CHECK(v != NULL);
		same_as_jansson(v);
		json_decref(v);
	}
	/* Every byte below 0x80, and a NUL inside a string and a key. */
	v = json_object();
	for (i = 1; i < 0x80; i++) {
		c[0] = (char)i;
		c[1] = '\0';
		json_object_set_new(v, c, json_stringn(c, 1));
	}
	json_object_set_new(v, "nul", json_stringn("a\0b", 3));
	json_object_setn_new(v, "k\0y", 3, json_true());
	same_as_jansson(v);
	json_decref(v);
}

/* A random tree of objects, arrays, strings and integers. */
static json_t *
random_value(int depth)
{
	static const char *const pieces[] = { "a", "\"", "\\", "\n", "\x01",
	    "\x1f", " ", "/", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	    "\x7f", "," };
	char s[64], key[8];
	json_t *v;
	size_t n, i, len;

	switch (depth > 3 ? next() % 3 : next() % 5) {
	case 0:
		return json_integer((json_int_t)next());
	case 1:
		len = 0;
		n = next() % 8;
		for (i = 0; i < n; i++) {
			const char *p = pieces[next() % (sizeof(pieces) /
			    sizeof(pieces[0]))];

			memcpy(s + len, p, strlen(p));
			len += strlen(p);
		}
		return json_stringn(s, len);
	case 2:
		return next() % 2 ? json_true() : json_null();
	case 3:
		v = json_array();
		for (n = next() % 4; n > 0; n--)
			json_array_append_new(v, random_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (n = next() % 4; n > 0; n--) {
			snprintf(key, sizeof(key), "k%u",
			    (unsigned)(next() % 100));
			json_object_set_new(v, key, random_value(depth + 1));
		}
		return v;
	}
}

static void
test_random_trees(void)
{
	json_t *v;
	int i;

	for (i = 0; i < 2000; i++) {
		v = random_value(0);
		same_as_jansson(v);
		json_decref(v);
	}
}

static void
test_reals(void)
{
	json_t *v = json_pack("{s:f,s:f,s:[f,f],s:f,s:f,s:f}",
	    "ratio", 3.8210000000000002, "objective", 0.1 + 0.2,
	    "arr", 2.0, 1e300, "tiny", 5e-324, "neg0", -0.0, "third",
	    1.0 / 3.0);
	json_t *back;
	char *t;

	t = jsonw_dumps(v, 0);
	CHECK_STR(t, "{\"ratio\":3.821,\"objective\":0.30000000000000004,"
	    "\"arr\":[2.0,1e300],\"tiny\":5e-324,\"neg0\":-0.0,"
	    "\"third\":0.3333333333333333}");
	/* Every real reads back as the same real. */
	back = json_loads(t, 0, NULL);
	CHECK(back != NULL && json_equal(back, v));
	CHECK(json_is_real(json_array_get(json_object_get(back, "arr"), 0)));
	json_decref(back);
	free(t);
	t = jsonw_dumps(v, 2);
	CHECK_STR(t, "{\n  \"ratio\": 3.821,\n  \"objective\": "
	    "0.30000000000000004,\n  \"arr\": [\n    2.0,\n    1e300\n  ],\n"
	    "  \"tiny\": 5e-324,\n  \"neg0\": -0.0,\n"
	    "  \"third\": 0.3333333333333333\n}");
	free(t);
	json_decref(v);
	/* Where 17 digits are the shortest, the text is jansson's. */
	v = json_pack("[f,f,f]", 0.1 + 0.2, 1.7976931348623157e308,
	    0.023123042000065652);
	same_as_jansson(v);
	json_decref(v);
}

static void
test_refused(void)
{
	struct ar_buf b = { 0 };
	json_t *v, *a, *inner;
	int i;

	buf_adds(&b, "kept");
	/* Not UTF-8: jansson will not write it either. */
	v = json_pack("{s:o}", "s", json_stringn_nocheck("\xff", 1));
	CHECK(json_dumps(v, JSON_COMPACT) == NULL);
	CHECK_INT(jsonw_dump(&b, v, 0), -1);
	CHECK_STR(b.buf, "kept");
	CHECK(jsonw_dumps(v, 0) == NULL);
	json_decref(v);
	v = json_pack("[o]", json_stringn_nocheck("\xc0\x80", 2));
	CHECK_INT(jsonw_dump(&b, v, 2), -1);
	CHECK_INT(b.len, 4);
	json_decref(v);

	/* As deep as a reader accepts, and one level deeper. */
	a = json_array();
	for (i = 1; i < 2048; i++) {
		inner = json_array();
		json_array_append_new(inner, a);
		a = inner;
	}
	CHECK_INT(jsonw_dump(&b, a, 0), 0);
	CHECK_INT(b.len, 4 + 2 * 2048);
	v = json_loads(b.buf + 4, 0, NULL);
	CHECK(v != NULL);
	json_decref(v);
	b.len = 4;
	inner = json_array();
	json_array_append_new(inner, a);
	CHECK_INT(jsonw_dump(&b, inner, 0), -1);
	CHECK_INT(b.len, 4);
	json_decref(inner);
	free(b.buf);
}

int
main(void)
{
	ar_setprogname("test_jsonw");
	RUN(test_no_reals);
	RUN(test_random_trees);
	RUN(test_reals);
	RUN(test_refused);
	return check_done("test_jsonw");
}
