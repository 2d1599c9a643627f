/*
 * fuzz_spec: the study-spec loader.  The input is a study file, loaded
 * beside a kernel k.c (what a "source" may name) with a -D override of N,
 * and its search space built; a small space is counted too.  Any input
 * must load or be refused with a message, never crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "space.h"
#include "spec.h"

static char dir[] = "/tmp/fuzz_spec.XXXXXX";

static char kpath[64], path[64];

/* The scratch folder goes when the program ends. */
static void
cleanup(void)
{
	unlink(kpath);
	unlink(path);
	rmdir(dir);
}

static void
put(const char *to, const void *data, size_t size)
{
	FILE *f = fopen(to, "wb");

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char def[] = "N=64", *defs[] = { def };
	struct spec s;
	struct space sp;
	struct ar_err err;

	if (!ready) {
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(cleanup);
		snprintf(kpath, sizeof(kpath), "%s/k.c", dir);
		put(kpath, "void k(void) {}\n", 16);
		snprintf(path, sizeof(path), "%s/s.json", dir);
		ready = 1;
	}
	put(path, data, size);
	if (spec_load(&s, path, defs, 1, &err) != 0)
		return 0;
	if (space_init(&sp, &s, &err) == 0) {
		if (sp.product <= 1e4)
			(void)space_count(&sp, 1);
		space_release(&sp);
	}
	spec_release(&s);
	return 0;
}
