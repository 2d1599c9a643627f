/*
 * Unit tests of the fast paths under a history's reading (issue 20):
 * jscan's strings passed over a word at a time must give jansson's
 * verdict whatever byte falls at whatever place in a word, and the
 * compact look at a record's params (space_params_text) must read what
 * the general one reads, and leave to it whatever it cannot.
 */
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "rec.h"
#include "space.h"
#include "spec.h"

static char dir[] = "/tmp/test_scan.XXXXXX";

#include "study.h"

static int
jansson_ok(const char *s, size_t n)
{
	json_t *v = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	int ok = v != NULL && json_is_object(v);

	json_decref(v);
	return ok;
}

/*
 * Every byte that is special to a string (and some that are not), at
 * every offset of the words around it, in a key and in a value, and the
 * string cut short there: rec_peek and jansson agree, and the spans are
 * where they are.
 */
static void
test_string_words(void)
{
	static const char *const bytes[] = {
		"\"", "\\", "\\\"", "\\u00e9", "\x01", "\x1f", "\x7f", " ",
		"\x80", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xc3", "\xff", "!", "#", "[", "\\n", "]", "~",
	};
	const char *keys[] = { "k" };
	struct jscan_span sp[1];
	struct ar_err err;
	char s[128], msg[192];
	size_t b, at, n, bad = 0, good = 0;
	int inkey, peek, js;

	for (b = 0; b < sizeof(bytes) / sizeof(bytes[0]); b++)
		for (at = 0; at < 20; at++)
			for (inkey = 0; inkey < 2; inkey++) {
				n = (size_t)snprintf(s, sizeof(s),
				    inkey ? "{\"%.*s%s%.*sk\":1,\"k\":\"v\"}" :
				    "{\"x\":1,\"k\":\"%.*s%s%.*s\"}", (int)at,
				    "abcdefghijklmnopqrstuvwxyz", bytes[b],
				    (int)(19 - at), "0123456789012345678901");
				peek = rec_peek(s, n, keys, 1, sp, &err) == 0;
				js = jansson_ok(s, n);
				if (peek != js) {
					snprintf(msg, sizeof(msg), "rec_peek "
					    "and jansson disagree on %s", s);
					CHECK_STR(msg, "");
				} else
					CHECK(1);
				good += js;
				bad += !js;
				if (peek && !inkey)
					CHECK_INT(sp[0].len, n - 12);
				/* Cut inside or after the string. */
				CHECK_INT(rec_peek(s, n - 2, keys, 1, sp,
				    &err), -1);
			}
	/* The table tries both kinds at every offset. */
	CHECK(good >= 20 * 2 * 10);
	CHECK(bad >= 20 * 2 * 6);
}

static const char study[] =
    "{\"name\":\"p\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[1,16,160],\"B\":[\"x\",\"xy\",\"y.z\"],"
    "\"C\":[0.5,1.5],\"D\":[true,false]}}";

static void
test_params_compact(void)
{
	static const struct {
		const char *text;
		int rc;
		space_idx cfg[4];
	} cases[] = {
		/* As the stages write them. */
		{ "{\"A\":16,\"B\":\"x\",\"C\":1.5,\"D\":false}", 0,
		    { 1, 0, 1, 1 } },
		{ "{\"A\":160,\"B\":\"xy\",\"C\":0.5,\"D\":true}", 0,
		    { 2, 1, 0, 0 } },
		{ "{\"A\":1,\"B\":\"y.z\",\"C\":0.5,\"D\":true}", 0,
		    { 0, 2, 0, 0 } },
		/* Written otherwise: the same configuration. */
		{ "{\"D\":false,\"C\":1.5,\"B\":\"x\",\"A\":16}", 0,
		    { 1, 0, 1, 1 } },
		{ "{ \"A\": 16, \"B\": \"x\", \"C\": 1.5, \"D\": false }", 0,
		    { 1, 0, 1, 1 } },
		{ "{\"\\u0041\":16,\"B\":\"x\",\"C\":1.5,\"D\":false}", 0,
		    { 1, 0, 1, 1 } },
		{ "{\"A\":16,\"B\":\"\\u0078\",\"C\":1.5,\"D\":false}", 0,
		    { 1, 0, 1, 1 } },
		/* A parameter twice: jansson's reading keeps the last. */
		{ "{\"A\":16,\"B\":\"x\",\"C\":1.5,\"D\":false,\"A\":1}", 0,
		    { 0, 0, 1, 1 } },
		/* Wrong: a value the study has not (a prefix of one, one it
		 * has a prefix of, a string with a comma), a parameter
		 * missing or unknown, text after the object. */
		{ "{\"A\":2,\"B\":\"x\",\"C\":1.5,\"D\":false}", -1, { 0 } },
		{ "{\"A\":1600,\"B\":\"x\",\"C\":1.5,\"D\":false}", -1,
		    { 0 } },
		{ "{\"A\":16,\"B\":\"x,y\",\"C\":1.5,\"D\":false}", -1,
		    { 0 } },
		{ "{\"A\":16,\"B\":\"x\",\"C\":1.5}", -1, { 0 } },
		{ "{\"A\":16,\"B\":\"x\",\"C\":1.5,\"D\":false,\"F\":1}",
		    -1, { 0 } },
		{ "{\"A\":16,\"B\":\"x\",\"C\":1.5,\"D\":false}x", -1,
		    { 0 } },
	};
	struct spec s;
	struct space sp;
	struct ar_err err;
	space_idx cfg[4];
	size_t i, d;

	load(&s, &sp, study);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(cfg, 0xff, sizeof(cfg));
		CHECK_INT(space_params_text(&sp, cases[i].text,
		    strlen(cases[i].text), cfg, &err), cases[i].rc);
		for (d = 0; cases[i].rc == 0 && d < 4; d++)
			CHECK_INT(cfg[d], cases[i].cfg[d]);
	}
	space_release(&sp);
	spec_release(&s);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_string_words);
	RUN(test_params_compact);
	unload_dir(NULL, 0);
	return check_done("test_scan");
}
