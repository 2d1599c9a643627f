/*
 * study: loading a study from JSON text for the unit tests.  A test
 * program defines its scratch folder, dir, before it includes this
 * (mkdtemp makes it in main), and load() writes the study there as
 * s.json, beside a trivial kernel k.c for its "source", then loads its
 * spec and space; anything wrong ends the test program.
 */
#ifndef AR_TEST_STUDY_H
#define AR_TEST_STUDY_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "space.h"
#include "spec.h"

/* Writes text to dir/name. */
static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

static void
load(struct spec *s, struct space *sp, const char *json)
{
	char path[256];
	struct ar_err err;

	write_file("k.c", "void k(void) {}\n");
	write_file("s.json", json);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	if (spec_load(s, path, NULL, 0, &err) != 0 ||
	    space_init(sp, s, &err) != 0) {
		fprintf(stderr, "load: %s\n", err.msg);
		exit(1);
	}
}

/* Removes the files name[0..n) that a test wrote besides load's, then
 * load's and dir itself. */
static void
unload_dir(const char *const *name, size_t n)
{
	static const char *const own[] = { "k.c", "s.json" };
	char path[256];
	size_t i;

	for (i = 0; i < n + 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
		    i < n ? name[i] : own[i - n]);
		unlink(path);
	}
	rmdir(dir);
}

#endif
