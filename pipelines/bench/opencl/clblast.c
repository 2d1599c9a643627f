/*
 * clblast: times CLBlast's CLBlastSgemm on an OpenCL device, and
 * OpenBLAS's cblas_sgemm on this CPU, on the same problem in the same
 * layout, C = A * B (alpha 1, beta 0), M x K times K x N single
 * precision, the way ar-bench(1) times a variant: inputs uniform in
 * [-1, 1], C poisoned with NaN before every call, a few untimed calls
 * (CLBlast compiles its kernels on its first, and PoCL each kernel's
 * machine code on its first launch), then each call alone; the figure is
 * the median.  Then the two results are compared.
 *
 * CLBlast is timed by the host's clock, from the call to the end of the
 * event it returns ("time_s", "gflops"): that event is its last kernel
 * only, and where CLBlast runs helper kernels first (to transpose, copy
 * or pad a matrix into the layout its GEMM kernel reads: row-major input
 * does, on PoCL), the event alone would leave the GEMM itself out.  The
 * event's own time is given too ("event_s"), for the case without
 * helpers, where the two differ by the cost of enqueueing, a fraction of
 * a percent at N=1024.
 *
 * usage: clblast [-m clblast,openblas] [-d device] [-l row|col] [-a n|t]
 *            [-b n|t] [-w warmup] [-r repeat] N [M K]
 *
 * -l, -a, -b: the layout of the three matrices (row-major or
 * column-major), and whether A and B are stored transposed (-a t: A is
 * stored as the K x M matrix A^T in that layout).  -d: the device, a
 * case-insensitive substring of "PLATFORM / DEVICE" or "P:D" indices;
 * the first GPU when not given, else the first device.  The OpenBLAS
 * thread count is OpenBLAS's own (OPENBLAS_NUM_THREADS).
 *
 * Prints one JSON line per method, then, when both ran, one line
 * {"method":"check","max_abs_diff","max_abs","clblast_err",
 * "openblas_err"}: the largest difference between the two results, the
 * largest entry, and each result's largest error against a sum in double
 * at 64 entries.  Exit status 1 when a result is not finite or one of
 * those three exceeds 1e-3 of the largest entry.
 *
 * Built by pipelines/bench/opencl/run.sh: cc -O2 clblast.c -lclblast
 * -lOpenCL -lopenblas -lm.
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CL/cl.h>
#include <cblas.h>
#include <clblast_c.h>

char *openblas_get_corename(void);
int openblas_get_num_threads(void);

static const char *prog = "clblast";

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: clblast [-m clblast,openblas] [-d device] "
	    "[-l row|col] [-a n|t] [-b n|t] [-w warmup] [-r repeat] N [M K]\n");
	exit(2);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *t, int n)
{
	qsort(t, n, sizeof(*t), cmp);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void *
ealloc(size_t n)
{
	void *p = aligned_alloc(64, (n + 63) / 64 * 64);

	if (p == NULL)
		die("out of memory");
	return p;
}

/* strcasestr is a GNU extension; this is all it takes. */
static int
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i, j;

	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; j < n && hay[i + j] != '\0' &&
		    tolower((unsigned char)hay[i + j]) ==
		    tolower((unsigned char)needle[j]); j++)
			;
		if (j == n)
			return 1;
	}
	return n == 0;
}

/*
 * The device: by "P:D" indices, by a substring of "PLATFORM / DEVICE",
 * or, with no choice, the first GPU and else the first device, as the
 * opencl backend chooses.  Its name is written to name.
 */
static cl_device_id
pick(const char *want, char *name, size_t size)
{
	cl_platform_id plat[16];
	cl_device_id dev[64], found = NULL, first = NULL;
	cl_uint np, nd, p, d;
	cl_device_type type;
	char pn[256], dn[256], full[520];
	int wp = -1, wd = -1;

	if (clGetPlatformIDs(16, plat, &np) != CL_SUCCESS || np == 0)
		die("no OpenCL platform");
	if (want != NULL && sscanf(want, "%d:%d", &wp, &wd) != 2)
		wp = wd = -1;
	for (p = 0; p < np && p < 16 && found == NULL; p++) {
		if (clGetDeviceIDs(plat[p], CL_DEVICE_TYPE_ALL, 64, dev, &nd) !=
		    CL_SUCCESS)
			continue;
		clGetPlatformInfo(plat[p], CL_PLATFORM_NAME, sizeof(pn), pn,
		    NULL);
		for (d = 0; d < nd && d < 64; d++) {
			clGetDeviceInfo(dev[d], CL_DEVICE_NAME, sizeof(dn), dn,
			    NULL);
			clGetDeviceInfo(dev[d], CL_DEVICE_TYPE, sizeof(type),
			    &type, NULL);
			snprintf(full, sizeof(full), "%s / %s", pn, dn);
			if (want == NULL) {
				if (first == NULL)
					first = dev[d], snprintf(name, size,
					    "%s", full);
				if (type & CL_DEVICE_TYPE_GPU) {
					found = dev[d];
					snprintf(name, size, "%s", full);
					break;
				}
			} else if (wp >= 0 ? (int)p == wp && (int)d == wd :
			    contains(full, want)) {
				found = dev[d];
				snprintf(name, size, "%s", full);
				break;
			}
		}
	}
	if (found == NULL && want == NULL)
		found = first;
	if (found == NULL)
		die("no OpenCL device matches '%s'", want ? want : "");
	return found;
}

/* Reads every cache line of p, so that no call finds its inputs cold on
 * the host where the other found them warm. */
static void
touch(const float *p, size_t n)
{
	volatile float sink = 0;
	size_t i;

	for (i = 0; i < n; i += 16)
		sink += p[i];
	(void)sink;
}

/* Entry (i, j) of the matrix X, stored transposed or not in layout with
 * leading dimension ld. */
static float
at(const float *x, int layout, int trans, size_t ld, size_t i, size_t j)
{
	if (trans) {
		size_t t = i;

		i = j, j = t;
	}
	return layout == CLBlastLayoutRowMajor ? x[i * ld + j] : x[j * ld + i];
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

int
main(int argc, char *argv[])
{
	const char *methods = "clblast,openblas", *want = NULL;
	int layout = CLBlastLayoutRowMajor, ta = 0, tb = 0;
	int warmup = 2, repeat = 11, c, r, do_cl, do_ob, bad = 0;
	long m, n, k;
	size_t lda, ldb, ldc, i, na, nb, nc;
	float *A, *B, *Ccl = NULL, *Cob = NULL, nan = NAN;
	double *tw, *te, t0, t1, med_w, med_e, flop;
	char name[520];

	while ((c = getopt(argc, argv, "a:b:d:hl:m:r:w:")) != -1) {
		switch (c) {
		case 'a':
		case 'b':
			if (strcmp(optarg, "n") != 0 && strcmp(optarg, "t") != 0)
				usage();
			*(c == 'a' ? &ta : &tb) = optarg[0] == 't';
			break;
		case 'd':
			want = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "row") == 0)
				layout = CLBlastLayoutRowMajor;
			else if (strcmp(optarg, "col") == 0)
				layout = CLBlastLayoutColMajor;
			else
				usage();
			break;
		case 'm':
			methods = optarg;
			break;
		case 'r':
			repeat = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'h':
			fprintf(stdout, "usage: clblast [-m clblast,openblas] "
			    "[-d device] [-l row|col] [-a n|t] [-b n|t] "
			    "[-w warmup] [-r repeat] N [M K]\n");
			return 0;
		default:
			usage();
		}
	}
	argc -= optind, argv += optind;
	if (argc != 1 && argc != 3)
		usage();
	n = m = k = atol(argv[0]);
	if (argc == 3)
		m = atol(argv[1]), k = atol(argv[2]);
	do_cl = strstr(methods, "clblast") != NULL;
	do_ob = strstr(methods, "openblas") != NULL;
	if (m < 1 || n < 1 || k < 1 || warmup < 0 || repeat < 1 ||
	    (!do_cl && !do_ob))
		usage();

	/* Leading dimensions: the length of a stored row (row-major) or
	 * column (column-major) of each matrix as stored. */
	if (layout == CLBlastLayoutRowMajor) {
		lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
	} else {
		lda = ta ? k : m, ldb = tb ? n : k, ldc = m;
	}
	na = (size_t)m * k, nb = (size_t)k * n, nc = (size_t)m * n;
	A = ealloc(na * 4), B = ealloc(nb * 4);
	tw = malloc(sizeof(*tw) * repeat), te = malloc(sizeof(*te) * repeat);
	if (tw == NULL || te == NULL)
		die("out of memory");
	/* The same LCG as openblas_sgemm.c: ordinary numbers are all the
	 * speed needs. */
	{
		unsigned long s = 1;

		for (i = 0; i < na; i++)
			A[i] = (float)((s = s * 6364136223846793005UL + 1) >>
			    40) / (1 << 23) - 1;
		for (i = 0; i < nb; i++)
			B[i] = (float)((s = s * 6364136223846793005UL + 1) >>
			    40) / (1 << 23) - 1;
	}
	flop = 2.0 * m * n * k;

	if (do_cl) {
		cl_device_id dev = pick(want, name, sizeof(name));
		cl_context ctx;
		cl_command_queue q;
		cl_mem a, b, cm;
		cl_event ev;
		cl_ulong es, ee;
		cl_int e;
		CLBlastStatusCode st;

		ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &e);
		if (e != CL_SUCCESS)
			die("clCreateContext: error %d", e);
		q = clCreateCommandQueue(ctx, dev, CL_QUEUE_PROFILING_ENABLE, &e);
		if (e != CL_SUCCESS)
			die("clCreateCommandQueue: error %d", e);
		a = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
		    na * 4, A, &e);
		if (e == CL_SUCCESS)
			b = clCreateBuffer(ctx, CL_MEM_READ_ONLY |
			    CL_MEM_COPY_HOST_PTR, nb * 4, B, &e);
		if (e == CL_SUCCESS)
			cm = clCreateBuffer(ctx, CL_MEM_READ_WRITE, nc * 4,
			    NULL, &e);
		if (e != CL_SUCCESS)
			die("clCreateBuffer: error %d", e);
		for (r = -warmup; r < repeat; r++) {
			/* NaN in C, as ar-bench poisons its outputs: a
			 * result that leaves some of it unwritten shows. */
			clEnqueueFillBuffer(q, cm, &nan, sizeof(nan), 0, nc * 4,
			    0, NULL, NULL);
			clFinish(q);
			t0 = now();
			st = CLBlastSgemm(layout, ta ? CLBlastTransposeYes :
			    CLBlastTransposeNo, tb ? CLBlastTransposeYes :
			    CLBlastTransposeNo, m, n, k, 1.0f, a, 0, lda, b, 0,
			    ldb, 0.0f, cm, 0, ldc, &q, &ev);
			if (st != CLBlastSuccess)
				die("CLBlastSgemm: status %d", st);
			clWaitForEvents(1, &ev);
			t1 = now();
			if (r >= 0) {
				clGetEventProfilingInfo(ev,
				    CL_PROFILING_COMMAND_START, sizeof(es), &es,
				    NULL);
				clGetEventProfilingInfo(ev,
				    CL_PROFILING_COMMAND_END, sizeof(ee), &ee,
				    NULL);
				tw[r] = t1 - t0;
				te[r] = (double)(ee - es) / 1e9;
			}
			clReleaseEvent(ev);
		}
		Ccl = ealloc(nc * 4);
		if (clEnqueueReadBuffer(q, cm, CL_TRUE, 0, nc * 4, Ccl, 0, NULL,
		    NULL) != CL_SUCCESS)
			die("clEnqueueReadBuffer failed");
		med_w = median(tw, repeat), med_e = median(te, repeat);
		printf("{\"method\":\"clblast\",\"M\":%ld,\"N\":%ld,\"K\":%ld,"
		    "\"layout\":\"%s\",\"ta\":\"%c\",\"tb\":\"%c\",\"device\":",
		    m, n, k, layout == CLBlastLayoutRowMajor ? "row" : "col",
		    ta ? 't' : 'n', tb ? 't' : 'n');
		json_str(name);
		printf(",\"repeat\":%d,\"time_s\":%.9g,\"min_s\":%.9g,"
		    "\"event_s\":%.9g,\"gflops\":%.4g}\n", repeat, med_w,
		    tw[0], med_e, flop / med_w / 1e9);
		fflush(stdout);
		clReleaseMemObject(a), clReleaseMemObject(b);
		clReleaseMemObject(cm);
		clReleaseCommandQueue(q), clReleaseContext(ctx);
	}

	if (do_ob) {
		Cob = ealloc(nc * 4);
		for (r = -warmup; r < repeat; r++) {
			memset(Cob, 0xff, nc * 4);
			touch(A, na), touch(B, nb), touch(Cob, nc);
			t0 = now();
			cblas_sgemm(layout == CLBlastLayoutRowMajor ?
			    CblasRowMajor : CblasColMajor, ta ? CblasTrans :
			    CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
			    1.0f, A, lda, B, ldb, 0.0f, Cob, ldc);
			t1 = now();
			if (r >= 0)
				tw[r] = t1 - t0;
		}
		med_w = median(tw, repeat);
		printf("{\"method\":\"openblas\",\"M\":%ld,\"N\":%ld,\"K\":%ld,"
		    "\"layout\":\"%s\",\"ta\":\"%c\",\"tb\":\"%c\","
		    "\"threads\":%d,\"core\":\"%s\",\"repeat\":%d,"
		    "\"time_s\":%.9g,\"min_s\":%.9g,\"gflops\":%.4g}\n", m, n, k,
		    layout == CLBlastLayoutRowMajor ? "row" : "col",
		    ta ? 't' : 'n', tb ? 't' : 'n', openblas_get_num_threads(),
		    openblas_get_corename(), repeat, med_w, tw[0],
		    flop / med_w / 1e9);
	}

	/* Each result finite, and the two alike: the same problem was
	 * solved, in the same layout, by both. */
	{
		double diff = 0, big = 0, d, err_cl = 0, err_ob = 0;
		float *ref = Cob != NULL ? Cob : Ccl;

		for (i = 0; i < nc; i++) {
			if (!isfinite(ref[i]) || (Ccl != NULL &&
			    !isfinite(Ccl[i]))) {
				bad = 1;
				break;
			}
			if (fabs(ref[i]) > big)
				big = fabs(ref[i]);
			if (Ccl != NULL && Cob != NULL &&
			    (d = fabs((double)Ccl[i] - Cob[i])) > diff)
				diff = d;
		}
		if (bad)
			fprintf(stderr, "%s: C[%zu] is not finite\n", prog, i);
		/* And both against a sum in double at a few entries, so
		 * that two libraries agreeing is not two making the same
		 * mistake. */
		for (r = 0; r < 64 && !bad; r++) {
			size_t ii = (size_t)r * 7919 % m, jj = (size_t)r * 104729 % n;
			double s = 0;
			long kk;

			for (kk = 0; kk < k; kk++)
				s += (double)at(A, layout, ta, lda, ii, kk) *
				    at(B, layout, tb, ldb, kk, jj);
			i = layout == CLBlastLayoutRowMajor ? ii * ldc + jj :
			    jj * ldc + ii;
			if (Ccl != NULL && fabs(Ccl[i] - s) > err_cl)
				err_cl = fabs(Ccl[i] - s);
			if (Cob != NULL && fabs(Cob[i] - s) > err_ob)
				err_ob = fabs(Cob[i] - s);
		}
		if (Ccl != NULL && Cob != NULL) {
			printf("{\"method\":\"check\",\"max_abs_diff\":%.3g,"
			    "\"max_abs\":%.4g,\"clblast_err\":%.3g,"
			    "\"openblas_err\":%.3g}\n", diff, big, err_cl, err_ob);
			if (!(diff <= 1e-3 * big && err_cl <= 1e-3 * big &&
			    err_ob <= 1e-3 * big)) {
				fprintf(stderr, "%s: CLBlast and OpenBLAS differ "
				    "by %g, from double by %g and %g (largest entry "
				    "%g)\n", prog, diff, err_cl, err_ob, big);
				bad = 1;
			}
		}
	}
	free(A), free(B), free(Ccl), free(Cob), free(tw), free(te);
	if (fclose(stdout) != 0)
		die("stdout: write error");
	return bad;
}
