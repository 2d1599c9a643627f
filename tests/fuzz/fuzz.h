/*
 * fuzz: what the libFuzzer targets under tests/fuzz share.  Each target
 * defines LLVMFuzzerTestOneInput.  Built by `make fuzz` with clang's
 * -fsanitize=fuzzer it is a fuzzer; built with FUZZ_STANDALONE (by `make
 * test`, with any compiler) it is a program that runs the target once on
 * each file it is given, so that every input a fuzzer ever crashed on,
 * kept under tests/fuzz/regress/TARGET/, is a regression test.
 */
#ifndef AR_FUZZ_H
#define AR_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a FILE, as the stages read theirs; NULL if none. */
static inline FILE *
fuzz_open(const uint8_t *data, size_t size)
{
	/* fmemopen refuses an empty buffer. */
	if (size == 0)
		return fopen("/dev/null", "r");
	return fmemopen((void *)data, size, "r");
}

/* The input as a NUL-terminated string (a NUL inside ends it early). */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#ifdef FUZZ_STANDALONE
int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t n = 0, cap = 0, got;

		if (f == NULL) {
			perror(argv[i]);
			return 2;
		}
		do {
			if (n == cap && (buf = realloc(buf, cap = 2 * cap +
			    4096)) == NULL)
				abort();
			got = fread(buf + n, 1, cap - n, f);
			n += got;
		} while (got > 0);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		free(buf);
	}
	return 0;
}
#endif

#endif
