/*
 * Unit tests of launch (a GPU kernel's grid, block and shared memory, and
 * their check against a device's limits and a kernel's): loading,
 * evaluation with its refusals, and every limit, without a GPU.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "launch.h"
#include "spec.h"

static char dir[] = "/tmp/test_launch.XXXXXX";

/* An H100's limits, as its driver reports them. */
static const struct launch_limits h100 = {
	1024, { 1024, 1024, 64 }, { 2147483647, 65535, 65535 }, 232448, 65536,
	0
};

/* Loads a study whose "launch" is given, with params T and constant N. */
static int
load(struct spec *s, struct launch *l, const char *launch,
    struct ar_err *err)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/k.cu", dir);
	f = fopen(path, "w");
	fputs("extern \"C\" __global__ void k(void) {}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	f = fopen(path, "w");
	fprintf(f, "{\"name\": \"t\", \"backend\": \"cuda\", \"source\": "
	    "\"k.cu\", \"entry\": \"k\", \"problem\": {\"N\": 1000}, "
	    "\"params\": {\"T\": [0, 1, 32, 256, 2048], \"S\": [\"a\", "
	    "\"b\"]}%s%s}\n", launch ? ", \"launch\": " : "",
	    launch ? launch : "");
	fclose(f);
	if (spec_load(s, path, NULL, 0, err) != 0)
		return -1;
	return launch_load(l, s, err);
}

/* Slots for T = t, S = str, N = 1000 (params first, as spec.h says). */
static void
slots(struct val *v, int64_t t, const char *str)
{
	v[0] = val_int(t);
	v[1] = val_str(str);
	v[2] = val_int(1000);
}

static void
test_load(void)
{
	struct spec s;
	struct launch l;
	struct ar_err err;

	CHECK_INT(load(&s, &l, "{\"grid\": [\"(N + T - 1) / T\", 2], "
	    "\"block\": [\"T\"], \"shared\": \"T * 4\"}", &err), 0);
	CHECK_INT(l.ngrid, 2);
	CHECK_INT(l.nblock, 1);
	CHECK(l.shared != NULL);
	launch_release(&l);
	spec_release(&s);

	CHECK_INT(load(&s, &l, "{\"grid\": [1], \"block\": [1, 1, 1]}",
	    &err), 0);
	CHECK(l.shared == NULL);
	CHECK_INT(l.nblock, 3);
	launch_release(&l);
	spec_release(&s);

	CHECK_INT(load(&s, &l, NULL, &err), -1);
	CHECK(strstr(err.msg, "key \"launch\": missing") != NULL);
	launch_release(&l);
	spec_release(&s);

	CHECK_INT(load(&s, &l, "{\"grid\": [1]}", &err), -1);
	CHECK(strstr(err.msg, "key \"launch.block\": missing") != NULL);
	launch_release(&l);
	spec_release(&s);
}

static void
test_eval(void)
{
	struct spec s;
	struct launch l;
	struct launch_dims d;
	struct ar_err err;
	struct val v[3];

	CHECK_INT(load(&s, &l, "{\"grid\": [\"(N + T - 1) / T\", "
	    "\"S == \\\"b\\\" ? 3 : 1\"], \"block\": [\"T\", 2], "
	    "\"shared\": \"T * 4\"}", &err), 0);
	slots(v, 256, "b");
	CHECK_INT(launch_eval(&l, v, &d, &err), 0);
	CHECK_INT(d.grid[0], 4);
	CHECK_INT(d.grid[1], 3);
	CHECK_INT(d.grid[2], 1);
	CHECK_INT(d.block[0], 256);
	CHECK_INT(d.block[1], 2);
	CHECK_INT(d.block[2], 1);
	CHECK_INT(d.shared, 1024);
	CHECK_INT(launch_threads(&d), 512);
	CHECK_INT(launch_check(&d, &h100, NULL, &err), 0);

	/* Zero: the grid of T = 0 divides by zero, the block is 0. */
	slots(v, 0, "a");
	CHECK_INT(launch_eval(&l, v, &d, &err), -1);
	CHECK_STR(err.msg, "launch.grid[0]: division by zero in "
	    "'(N + T - 1) / T'");
	launch_release(&l);
	spec_release(&s);

	CHECK_INT(load(&s, &l, "{\"grid\": [1], \"block\": [\"T\"]}", &err),
	    0);
	slots(v, 0, "a");
	CHECK_INT(launch_eval(&l, v, &d, &err), -1);
	CHECK_STR(err.msg, "launch.block[0] is 0, not a positive integer");
	launch_release(&l);
	spec_release(&s);

	CHECK_INT(load(&s, &l, "{\"grid\": [\"1 - T\"], \"block\": [32]}",
	    &err), 0);
	slots(v, 32, "a");
	CHECK_INT(launch_eval(&l, v, &d, &err), -1);
	CHECK_STR(err.msg, "launch.grid[0] is -31, not a positive integer");
	launch_release(&l);
	spec_release(&s);

	/* A real is an integer only when it has no fraction. */
	CHECK_INT(load(&s, &l, "{\"grid\": [\"N / 64.0\"], \"block\": "
	    "[\"T / 2.0\"]}", &err), 0);
	slots(v, 32, "a");
	CHECK_INT(launch_eval(&l, v, &d, &err), -1);
	CHECK_STR(err.msg, "launch.grid[0] is 15.625, not a positive integer");
	launch_release(&l);
	spec_release(&s);

	CHECK_INT(load(&s, &l, "{\"grid\": [\"N / 8.0\"], \"block\": "
	    "[\"T / 2.0\"]}", &err), 0);
	CHECK_INT(launch_eval(&l, v, &d, &err), 0);
	CHECK_INT(d.grid[0], 125);
	CHECK_INT(d.block[0], 16);
	launch_release(&l);
	spec_release(&s);

	/* Shared bytes may be 0, not less; strings are no numbers; a
	 * dimension beyond what the driver's API can carry is refused. */
	CHECK_INT(load(&s, &l, "{\"grid\": [1], \"block\": [32], "
	    "\"shared\": \"T - 1\"}", &err), 0);
	slots(v, 1, "a");
	CHECK_INT(launch_eval(&l, v, &d, &err), 0);
	CHECK_INT(d.shared, 0);
	slots(v, 0, "a");
	CHECK_INT(launch_eval(&l, v, &d, &err), -1);
	CHECK_STR(err.msg, "launch.shared is -1, not a non-negative integer");
	launch_release(&l);
	spec_release(&s);

	CHECK_INT(load(&s, &l, "{\"grid\": [\"S\"], \"block\": [32]}",
	    &err), 0);
	CHECK_INT(launch_eval(&l, v, &d, &err), -1);
	CHECK_STR(err.msg, "launch.grid[0] is \"a\", not a number");
	launch_release(&l);
	spec_release(&s);

	CHECK_INT(load(&s, &l, "{\"grid\": [\"N * 4294968\"], \"block\": "
	    "[32]}", &err), 0);
	CHECK_INT(launch_eval(&l, v, &d, &err), -1);
	CHECK_STR(err.msg, "launch.grid[0] is 4294968000, more than "
	    "4294967295");
	launch_release(&l);
	spec_release(&s);
}

static struct launch_dims
dims(int64_t gx, int64_t gy, int64_t bx, int64_t by, int64_t bz,
    int64_t shared)
{
	struct launch_dims d = { { gx, gy, 1 }, { bx, by, bz }, shared };

	return d;
}

static void
test_check(void)
{
	struct launch_limits none;
	struct launch_func f = { 0, 0, 0 };
	struct launch_dims d;
	struct ar_err err;

	d = dims(65536, 65535, 1024, 1, 1, 232448);
	CHECK_INT(launch_check(&d, &h100, NULL, &err), 0);

	d = dims(1, 1, 2048, 1, 1, 0);
	CHECK_INT(launch_check(&d, &h100, NULL, &err), -1);
	CHECK_STR(err.msg, "block dimension x is 2048, more than the 1024 "
	    "the device allows");
	d = dims(1, 1, 64, 32, 1, 0);
	CHECK_INT(launch_check(&d, &h100, NULL, &err), -1);
	CHECK_STR(err.msg, "a block of 2048 threads (64 x 32 x 1), more than "
	    "the 1024 the device allows");
	d = dims(1, 1, 1, 1, 128, 0);
	CHECK_INT(launch_check(&d, &h100, NULL, &err), -1);
	CHECK_STR(err.msg, "block dimension z is 128, more than the 64 the "
	    "device allows");
	d = dims(1, 65536, 32, 1, 1, 0);
	CHECK_INT(launch_check(&d, &h100, NULL, &err), -1);
	CHECK_STR(err.msg, "grid dimension y is 65536, more than the 65535 "
	    "the device allows");
	d = dims(1, 1, 32, 1, 1, 232449);
	CHECK_INT(launch_check(&d, &h100, NULL, &err), -1);
	CHECK_STR(err.msg, "232449 bytes of dynamic shared memory a block, "
	    "more than the 232448 the device allows");

	/* The kernel's own: static shared memory counts with the dynamic,
	 * its registers and __launch_bounds__ cap the block. */
	d = dims(1, 1, 256, 1, 1, 200000);
	f.static_shared = 40000;
	CHECK_INT(launch_check(&d, &h100, &f, &err), -1);
	CHECK_STR(err.msg, "240000 bytes of shared memory a block (40000 "
	    "static, 200000 dynamic), more than the 232448 the device allows");
	f.static_shared = 0;
	f.max_threads = 128;
	f.regs = 40;
	CHECK_INT(launch_check(&d, &h100, &f, &err), -1);
	CHECK_STR(err.msg, "a block of 256 threads, more than the 128 this "
	    "kernel allows (40 registers a thread, or its __launch_bounds__)");
	f.max_threads = 0;
	f.regs = 255;
	d = dims(1, 1, 512, 1, 1, 0);
	CHECK_INT(launch_check(&d, &h100, &f, &err), -1);
	CHECK_STR(err.msg, "a block of 512 threads of 255 registers needs "
	    "130560, more than the 65536 the device allows");
	f.regs = 128;
	CHECK_INT(launch_check(&d, &h100, &f, &err), 0);

	/* Limits not known are not checked. */
	memset(&none, 0, sizeof(none));
	d = dims(1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30);
	CHECK_INT(launch_check(&d, &none, NULL, &err), 0);
	CHECK_INT(launch_threads(&d), INT64_MAX);

	/* An OpenCL device's, in its words: PoCL's limits on a CPU. */
	memset(&none, 0, sizeof(none));
	none.opencl = 1;
	none.threads = 4096;
	none.block[0] = none.block[1] = none.block[2] = 4096;
	none.shared = 2097152;
	d = dims(1 << 20, 1, 8192, 1, 1, 0);
	CHECK_INT(launch_check(&d, &none, NULL, &err), -1);
	CHECK_STR(err.msg, "work-group dimension 0 is 8192, more than the "
	    "4096 the device allows");
	d = dims(1, 1, 128, 64, 1, 0);
	CHECK_INT(launch_check(&d, &none, NULL, &err), -1);
	CHECK_STR(err.msg, "a work-group of 8192 work-items (128 x 64 x 1), "
	    "more than the 4096 the device allows");
	d = dims(1, 1, 64, 1, 1, 1024);
	f.static_shared = 2097152;
	f.max_threads = 0;
	CHECK_INT(launch_check(&d, &none, &f, &err), -1);
	CHECK_STR(err.msg, "2098176 bytes of __local memory a work-group "
	    "(2097152 declared by the kernel, 1024 of launch.shared), more "
	    "than the 2097152 the device has");
	f.static_shared = 0;
	f.max_threads = 32;
	CHECK_INT(launch_check(&d, &none, &f, &err), -1);
	CHECK_STR(err.msg, "a work-group of 64 work-items, more than the 32 "
	    "this kernel allows on the device");
	f.max_threads = 64;
	CHECK_INT(launch_check(&d, &none, &f, &err), 0);
}

int
main(void)
{
	char path[256];
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_load);
	RUN(test_eval);
	RUN(test_check);
	rc = check_done("test_launch");
	snprintf(path, sizeof(path), "%s/k.cu", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}
