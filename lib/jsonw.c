/*
 * jsonw: jansson's JSON text with the shortest reals (see jsonw.h).
 *
 * The layout follows jansson 2.14's dump.c: "," and ":" between members
 * when compact; when indented, ": " after a key, and each member on a
 * line of its own, indented by its depth, the closing bracket under the
 * opening one's line; an empty object or array is "{}" or "[]".
 * tests/unit/test_jsonw.c checks the text against json_dumps's.
 */
#include "jsonw.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

/* The deepest nesting written: jansson's JSON_PARSER_MAX_DEPTH, the most
 * any reader of the text accepts. */
#define JSONW_MAXDEPTH	2048

static int
put_string(struct ar_buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)str, *end = p + len,
	    *run;
	char esc[6] = { '\\', 'u', '0', '0' };
	size_t n;

	buf_grow(b, len + 2);
	b->buf[b->len++] = '"';
	for (;;) {
		run = p;
		while (p < end && !rec_str_special[*p])
			p++;
		if (p > run)
			buf_add(b, run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p >= 0x80) {
			if ((n = rec_utf8_len(p, end)) == 0)
				return -1;
			buf_add(b, p, n);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\b':
			buf_add(b, "\\b", 2);
			break;
		case '\f':
			buf_add(b, "\\f", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default:
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			buf_add(b, esc, 6);
			break;
		}
		p++;
	}
	buf_add(b, "\"", 1);
	return 0;
}

/* printf's %lld, without printf: records are mostly integers. */
static void
put_integer(struct ar_buf *b, json_int_t i)
{
	char tmp[24], *q = tmp + sizeof(tmp);
	uint64_t u = i < 0 ? -(uint64_t)i : (uint64_t)i;

	do
		*--q = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (i < 0)
		*--q = '-';
	buf_add(b, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* A line break and depth levels of indent spaces. */
static void
put_indent(struct ar_buf *b, int indent, int depth)
{
	size_t n = (size_t)indent * (size_t)depth;

	buf_grow(b, n + 1);
	b->buf[b->len++] = '\n';
	memset(b->buf + b->len, ' ', n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static int
put_value(struct ar_buf *b, const json_t *v, int indent, int depth)
{
	char num[32];
	const char *key;
	json_t *x;
	void *it;
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth >= JSONW_MAXDEPTH)
			return -1;
		buf_add(b, "{", 1);
		it = json_object_iter((json_t *)v);
		if (it != NULL && indent > 0)
			put_indent(b, indent, depth + 1);
		while (it != NULL) {
			key = json_object_iter_key(it);
			if (put_string(b, key, json_object_iter_key_len(it)))
				return -1;
			if (indent > 0)
				buf_add(b, ": ", 2);
			else
				buf_add(b, ":", 1);
			if (put_value(b, json_object_iter_value(it), indent,
			    depth + 1) != 0)
				return -1;
			it = json_object_iter_next((json_t *)v, it);
			if (it != NULL)
				buf_add(b, ",", 1);
			if (indent > 0)
				put_indent(b, indent, it != NULL ? depth + 1 :
				    depth);
		}
		buf_add(b, "}", 1);
		return 0;
	case JSON_ARRAY:
		if (depth >= JSONW_MAXDEPTH)
			return -1;
		buf_add(b, "[", 1);
		n = json_array_size(v);
		if (n > 0 && indent > 0)
			put_indent(b, indent, depth + 1);
		for (i = 0; i < n; i++) {
			x = json_array_get(v, i);
			if (put_value(b, x, indent, depth + 1) != 0)
				return -1;
			if (i + 1 < n)
				buf_add(b, ",", 1);
			if (indent > 0)
				put_indent(b, indent, i + 1 < n ? depth + 1 :
				    depth);
		}
		buf_add(b, "]", 1);
		return 0;
	case JSON_STRING:
		return put_string(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		put_integer(b, json_integer_value(v));
		return 0;
	case JSON_REAL:
		rec_fmt_real(json_real_value(v), num, sizeof(num));
		buf_adds(b, num);
		return 0;
	case JSON_TRUE:
		buf_add(b, "true", 4);
		return 0;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		return 0;
	case JSON_NULL:
		buf_add(b, "null", 4);
		return 0;
	}
	return -1;
}

int
jsonw_dump(struct ar_buf *b, const json_t *v, int indent)
{
	size_t mark = b->len;

	if (v == NULL || put_value(b, v, indent, 0) != 0) {
		b->len = mark;
		if (b->buf != NULL)
			b->buf[mark] = '\0';
		return -1;
	}
	return 0;
}

char *
jsonw_dumps(const json_t *v, int indent)
{
	struct ar_buf b = { 0 };

	if (jsonw_dump(&b, v, indent) != 0) {
		free(b.buf);
		return NULL;
	}
	if (b.buf == NULL)
		buf_add(&b, "", 0);
	return b.buf;
}
