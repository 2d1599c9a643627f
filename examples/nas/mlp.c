/*
 * mlp: trains one multilayer perceptron on the digits data set (1,797
 * 8x8 images, 10 classes, the CSV that Debian's python3-sklearn ships)
 * and prints what it measured as one JSON line, the last of its output:
 *
 *   {"val_acc": 0.97, "test_acc": 0.96, "params": 2442, ...}
 *
 * The architecture (depth, widths, activation, skip connections,
 * dropout) and the training (learning rate, batch, epochs) come from the
 * options, so that an architecture search can run it through the
 * command backend.  Everything random (the split, the initial weights,
 * the order of the batches, the dropout masks) comes from two seeds, and
 * the matrix products go through OpenBLAS on one thread, so the same
 * options give the same bytes of output on one machine, but for the
 * timing fields.
 *
 * The split is stratified: each class's rows, shuffled by the split
 * seed, give 60% to training, 20% to validation and the rest to test.
 * The features are standardised with the training rows' mean and
 * standard deviation (a constant feature is left centred, as scikit-
 * learn's StandardScaler does).  Selection sees the validation accuracy;
 * the test accuracy is reported for the record and never optimised.
 * --dump-split writes the split so that another program can use exactly
 * the same one (pipelines/bench/nas/anchor.py).
 *
 * Exit status: 0 done, 1 a failure at run time (memory, writing), 2 bad
 * usage or a missing or malformed data file.
 */
#define _POSIX_C_SOURCE 200809L
#include <err.h>
#include <cblas.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* cblas.h declares it when it is OpenBLAS's; say it for when it is not. */
void openblas_set_num_threads(int);

#define DIGITS_CSV \
	"/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
#define NFEAT 64
#define NCLASS 10
#define MAXDEPTH 8
#define MAXWIDTH 4096
#define LATENCY_REPEATS 15
#define MAXRUNS 16

enum act { ACT_RELU, ACT_TANH, ACT_ELU, ACT_LOGISTIC };
static const char *const act_names[] = {"relu", "tanh", "elu", "logistic"};

/*
 * Skip connections.  none: each layer sees the one before it.  res: a
 * hidden layer whose input is as wide as itself adds that input to its
 * output (h = f(hW + b) + h), an identity shortcut with no parameters;
 * a layer of another width has none.  dense: each hidden layer, and the
 * output layer, sees the concatenation of the input and every hidden
 * layer before it (DenseNet's rule), so the output also has a linear
 * path from the pixels.
 */
enum skip { SKIP_NONE, SKIP_RES, SKIP_DENSE };
static const char *const skip_names[] = {"none", "res", "dense"};

static const char synopsis[] =
    "usage: mlp [--act relu|tanh|elu|logistic] [--batch n] [--data file] "
    "[--depth n]\n"
    "           [--dropout p] [--dump-split file] [--epochs n] [--lr x] "
    "[--runs n]\n"
    "           [--seed n] [--skip none|res|dense] [--split-seed n] "
    "[--wd x]\n"
    "           [--widths w1,w2,...]\n";

static const char *progname = "mlp";

static void
usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(synopsis, stderr);
	exit(2);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		errx(1, "out of memory");
	return p;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* xoshiro256**, seeded by splitmix64: the same draws on every machine. */
struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5, out = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return out;
}

/* A float in [0, 1), 24 random bits. */
static float
rng_float(struct rng *r)
{
	return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* An integer in [0, n), by rejection so that no value is favoured. */
static size_t
rng_below(struct rng *r, size_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rng_next(r);
	while (x >= lim);
	return (size_t)(x % n);
}

static void
shuffle(struct rng *r, int *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_below(r, i);
		int t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

struct data {
	float *x;	/* n rows of NFEAT features */
	int *y;
	int n;
};

/*
 * Reads the CSV (gzip-compressed or plain): each line 64 pixel values
 * and the label, 0 to 9.  Anything else is a bad file, named with its
 * line, and the exit status 2.
 */
static void
data_read(struct data *d, const char *path)
{
	char line[4096];
	int cap = 2048, lineno = 0, fd;
	gzFile gz;

	if ((fd = open(path, O_RDONLY)) < 0)
		errx(2, "cannot open '%s': %s", path, strerror(errno));
	if ((gz = gzdopen(fd, "rb")) == NULL)
		errx(1, "'%s': out of memory", path);
	d->x = xcalloc((size_t)cap * NFEAT, sizeof *d->x);
	d->y = xcalloc((size_t)cap, sizeof *d->y);
	d->n = 0;
	while (gzgets(gz, line, sizeof line) != NULL) {
		size_t len = strlen(line);
		char *p = line, *end;
		int f;

		lineno++;
		if (len == sizeof line - 1 && line[len - 1] != '\n')
			errx(2, "%s:%d: line too long", path, lineno);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (d->n == cap) {
			cap *= 2;
			d->x = realloc(d->x, (size_t)cap * NFEAT * sizeof *d->x);
			d->y = realloc(d->y, (size_t)cap * sizeof *d->y);
			if (d->x == NULL || d->y == NULL)
				errx(1, "out of memory");
		}
		for (f = 0; f <= NFEAT; f++) {
			double v;

			errno = 0;
			v = strtod(p, &end);
			if (end == p || errno != 0 || !isfinite(v) ||
			    (*end != ',' && *end != '\0'))
				errx(2, "%s:%d: field %d is not a number",
				    path, lineno, f + 1);
			if (f < NFEAT) {
				d->x[(size_t)d->n * NFEAT + f] = (float)v;
			} else {
				if (v != floor(v) || v < 0 || v >= NCLASS)
					errx(2, "%s:%d: label '%g' is not a "
					    "class 0 to 9", path, lineno, v);
				d->y[d->n] = (int)v;
			}
			if (*end == '\0')
				break;
			p = end + 1;
		}
		if (f != NFEAT)
			errx(2, "%s:%d: %d fields, expected %d (64 pixels and "
			    "the label)", path, lineno, f < NFEAT ? f + 1 :
			    f + 2, NFEAT + 1);
		d->n++;
	}
	{
		int zerr;
		const char *msg = gzerror(gz, &zerr);

		if (zerr != Z_OK && zerr != Z_STREAM_END)
			errx(2, "%s:%d: %s", path, lineno + 1,
			    zerr == Z_ERRNO ? strerror(errno) : msg);
	}
	gzclose(gz);
	if (d->n < 5 * NCLASS)
		errx(2, "%s: %d rows, too few to split", path, d->n);
}

enum { SET_TRAIN, SET_VAL, SET_TEST };
static const char *const set_names[] = {"train", "val", "test"};

/*
 * The stratified split: each class's rows in file order, shuffled by
 * the seed, the first 60% (rounded to nearest) to training, the next
 * 20% to validation, the rest to test.  set[i] is row i's part.
 */
static void
split(const struct data *d, uint64_t seed, int *set)
{
	struct rng r;
	int *idx = xcalloc((size_t)d->n, sizeof *idx);

	rng_seed(&r, seed);
	for (int c = 0; c < NCLASS; c++) {
		int m = 0, ntr, nva;

		for (int i = 0; i < d->n; i++)
			if (d->y[i] == c)
				idx[m++] = i;
		shuffle(&r, idx, (size_t)m);
		ntr = (m * 60 + 50) / 100;
		nva = (m * 20 + 50) / 100;
		for (int k = 0; k < m; k++)
			set[idx[k]] = k < ntr ? SET_TRAIN :
			    k < ntr + nva ? SET_VAL : SET_TEST;
	}
	free(idx);
}

/* The rows of one part, standardised, and their labels. */
struct part {
	float *x;
	int *y;
	int n;
};

static void
part_make(struct part *p, const struct data *d, const int *set, int which,
    const double *mean, const double *sd)
{
	p->n = 0;
	for (int i = 0; i < d->n; i++)
		p->n += set[i] == which;
	p->x = xcalloc((size_t)p->n * NFEAT, sizeof *p->x);
	p->y = xcalloc((size_t)p->n, sizeof *p->y);
	for (int i = 0, k = 0; i < d->n; i++) {
		if (set[i] != which)
			continue;
		for (int f = 0; f < NFEAT; f++)
			p->x[(size_t)k * NFEAT + f] = (float)
			    ((d->x[(size_t)i * NFEAT + f] - mean[f]) / sd[f]);
		p->y[k++] = d->y[i];
	}
}

/*
 * The network.  Every activation of a batch lives in one row-major
 * buffer whose row is [input | h1 | h2 | ...], S floats wide, so that a
 * layer's input, one hidden layer or the concatenation of all before
 * it, is a range of columns that cblas_sgemm reads with stride S.
 */
struct layer {
	int in_off, in_n;	/* the input's columns in the buffer */
	int out_off, n;		/* this layer's columns (hidden layers) */
	int res;		/* adds its input to its output */
	size_t w, b;		/* offsets of weights (in_n x n) and biases */
	float *z, *mask;	/* pre-activations, dropout scales: rows x n */
};

struct net {
	int depth, S, rows;	/* rows: the most a buffer holds */
	struct layer l[MAXDEPTH + 1];	/* the hidden layers, then the output */
	enum act act;
	float dropout;
	size_t np;		/* parameters */
	float *p, *g, *m, *v;	/* parameters, gradients, Adam's moments */
	float *buf, *dbuf, *dz, *logits;
};

static void
net_init(struct net *net, int depth, const int *width, enum act act,
    enum skip skip, float dropout, int rows, struct rng *r)
{
	int off = NFEAT, wmax = 0;
	size_t np = 0;

	memset(net, 0, sizeof *net);
	net->depth = depth;
	net->act = act;
	net->dropout = dropout;
	net->rows = rows;
	for (int i = 0; i <= depth; i++) {
		struct layer *L = &net->l[i];

		L->in_off = skip == SKIP_DENSE || i == 0 ? 0 :
		    net->l[i - 1].out_off;
		L->in_n = skip == SKIP_DENSE ? off :
		    i == 0 ? NFEAT : net->l[i - 1].n;
		L->out_off = off;
		L->n = i < depth ? width[i] : NCLASS;
		L->res = skip == SKIP_RES && i < depth && L->in_n == L->n;
		L->w = np;
		np += (size_t)L->in_n * L->n;
		L->b = np;
		np += (size_t)L->n;
		if (i < depth)
			off += L->n;
	}
	net->S = off;
	net->np = np;
	net->p = xcalloc(np, sizeof *net->p);
	net->g = xcalloc(np, sizeof *net->g);
	net->m = xcalloc(np, sizeof *net->m);
	net->v = xcalloc(np, sizeof *net->v);
	net->buf = xcalloc((size_t)rows * net->S, sizeof *net->buf);
	net->dbuf = xcalloc((size_t)rows * net->S, sizeof *net->dbuf);
	for (int i = 0; i <= depth; i++)
		wmax = net->l[i].n > wmax ? net->l[i].n : wmax;
	net->dz = xcalloc((size_t)rows * wmax, sizeof *net->dz);
	net->logits = xcalloc((size_t)rows * NCLASS, sizeof *net->logits);
	for (int i = 0; i <= depth; i++) {
		struct layer *L = &net->l[i];
		/*
		 * Glorot's uniform range, as scikit-learn's MLPClassifier
		 * uses (with its factor 2 for the logistic function), and
		 * He's for the rectifiers.  Biases start at zero.
		 */
		double fan = L->in_n + L->n, a = sqrt(6.0 / fan);

		if (i < depth && (act == ACT_RELU || act == ACT_ELU))
			a = sqrt(6.0 / L->in_n);
		else if (act == ACT_LOGISTIC)
			a = sqrt(2.0 / fan);
		for (size_t k = 0; k < (size_t)L->in_n * L->n; k++)
			net->p[L->w + k] = (float)a * (2 * rng_float(r) - 1);
		L->z = xcalloc((size_t)rows * L->n, sizeof *L->z);
		L->mask = xcalloc((size_t)rows * L->n, sizeof *L->mask);
	}
}

static float
act_f(enum act a, float z)
{
	switch (a) {
	case ACT_RELU:
		return z > 0 ? z : 0;
	case ACT_TANH:
		return tanhf(z);
	case ACT_ELU:
		return z > 0 ? z : expm1f(z);
	case ACT_LOGISTIC:
		break;
	}
	return 1 / (1 + expf(-z));
}

static float
act_df(enum act a, float z)
{
	float t;

	switch (a) {
	case ACT_RELU:
		return z > 0;
	case ACT_TANH:
		t = tanhf(z);
		return 1 - t * t;
	case ACT_ELU:
		return z > 0 ? 1 : expf(z);
	case ACT_LOGISTIC:
		break;
	}
	t = 1 / (1 + expf(-z));
	return t * (1 - t);
}

/* The logits of n rows of x; with r, training, dropout masks drawn. */
static void
net_forward(struct net *net, const float *x, int n, struct rng *r)
{
	int S = net->S;
	float keep = 1 - net->dropout;

	for (int i = 0; i < n; i++)
		memcpy(net->buf + (size_t)i * S, x + (size_t)i * NFEAT,
		    NFEAT * sizeof *x);
	for (int li = 0; li <= net->depth; li++) {
		struct layer *L = &net->l[li];
		const float *W = net->p + L->w, *b = net->p + L->b;
		int out = li < net->depth;
		float *C = out ? net->buf + L->out_off : net->logits;
		int ldc = out ? S : NCLASS;

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, L->n,
		    L->in_n, 1, net->buf + L->in_off, S, W, L->n, 0, C, ldc);
		for (int i = 0; i < n; i++) {
			float *c = C + (size_t)i * ldc;

			for (int j = 0; j < L->n; j++) {
				float z = c[j] + b[j], a, s = 1;

				if (!out) {
					c[j] = z;
					continue;
				}
				L->z[(size_t)i * L->n + j] = z;
				a = act_f(net->act, z);
				if (r != NULL && net->dropout > 0)
					s = rng_float(r) < net->dropout ? 0 :
					    1 / keep;
				L->mask[(size_t)i * L->n + j] = s;
				a *= s;
				if (L->res)
					a += net->buf[(size_t)i * S +
					    L->in_off + j];
				c[j] = a;
			}
		}
	}
}

/*
 * The gradient of the mean cross-entropy of the last forward pass over
 * n rows with labels y, into net->g; returns the summed loss.
 */
static double
net_backward(struct net *net, const int *y, int n)
{
	int S = net->S;
	double loss = 0;
	float *d = net->dz;

	memset(net->dbuf, 0, (size_t)n * S * sizeof *net->dbuf);
	/* Softmax and the loss's gradient at the logits. */
	for (int i = 0; i < n; i++) {
		float *z = net->logits + (size_t)i * NCLASS, mx = z[0], sum = 0;

		for (int k = 1; k < NCLASS; k++)
			mx = z[k] > mx ? z[k] : mx;
		for (int k = 0; k < NCLASS; k++)
			sum += expf(z[k] - mx);
		loss += log(sum) + mx - z[y[i]];
		for (int k = 0; k < NCLASS; k++)
			d[(size_t)i * NCLASS + k] = (expf(z[k] - mx) / sum -
			    (k == y[i])) / n;
	}
	for (int li = net->depth; li >= 0; li--) {
		struct layer *L = &net->l[li];
		const float *W = net->p + L->w;
		int c0 = L->in_off > NFEAT ? L->in_off : NFEAT;
		int in_end = L->in_off + L->in_n;

		if (li < net->depth) {
			/* d holds dL/dh of this layer: make it dL/dz. */
			for (int i = 0; i < n; i++) {
				const float *gh = net->dbuf + (size_t)i * S +
				    L->out_off;

				for (int j = 0; j < L->n; j++) {
					size_t k = (size_t)i * L->n + j;

					if (L->res && L->in_off >= NFEAT)
						net->dbuf[(size_t)i * S +
						    L->in_off + j] += gh[j];
					d[k] = gh[j] * L->mask[k] *
					    act_df(net->act, L->z[k]);
				}
			}
		}
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->in_n,
		    L->n, n, 1, net->buf + L->in_off, S, d, L->n, 0,
		    net->g + L->w, L->n);
		for (int j = 0; j < L->n; j++) {
			float s = 0;

			for (int i = 0; i < n; i++)
				s += d[(size_t)i * L->n + j];
			net->g[L->b + j] = s;
		}
		/* The input pixels need no gradient. */
		if (c0 < in_end)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n,
			    in_end - c0, L->n, 1, d, L->n,
			    W + (size_t)(c0 - L->in_off) * L->n, L->n, 1,
			    net->dbuf + c0, S);
	}
	return loss;
}

/*
 * One step of Adam (Kingma and Ba), the betas and epsilon of the paper,
 * with weight decay decoupled from the gradient (AdamW, Loshchilov and
 * Hutter): the weights, not the biases, shrink by lr * wd a step.
 */
static void
adam(struct net *net, float lr, float wd, long t)
{
	const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
	float c1 = 1 - powf(b1, (float)t), c2 = 1 - powf(b2, (float)t);
	float step = lr * sqrtf(c2) / c1;

	if (wd > 0)
		for (int li = 0; li <= net->depth; li++) {
			const struct layer *L = &net->l[li];
			float *w = net->p + L->w;

			for (size_t k = 0; k < (size_t)L->in_n * L->n; k++)
				w[k] -= lr * wd * w[k];
		}
	for (size_t k = 0; k < net->np; k++) {
		float g = net->g[k];

		net->m[k] = b1 * net->m[k] + (1 - b1) * g;
		net->v[k] = b2 * net->v[k] + (1 - b2) * g * g;
		net->p[k] -= step * net->m[k] / (sqrtf(net->v[k]) + eps);
	}
}

static void
net_free(struct net *net)
{
	for (int i = 0; i <= net->depth; i++) {
		free(net->l[i].z);
		free(net->l[i].mask);
	}
	free(net->p);
	free(net->g);
	free(net->m);
	free(net->v);
	free(net->buf);
	free(net->dbuf);
	free(net->dz);
	free(net->logits);
}

/*
 * Trains net for epochs passes over tr in batches, each pass in an order
 * drawn from r; returns the mean loss of the last pass.
 */
static double
train(struct net *net, const struct part *tr, int batch, int epochs,
    float lr, float wd, struct rng *r)
{
	float *bx = xcalloc((size_t)batch * NFEAT, sizeof *bx);
	int *by = xcalloc((size_t)batch, sizeof *by);
	int *order = xcalloc((size_t)tr->n, sizeof *order);
	double loss = NAN;
	long step = 0;

	for (int i = 0; i < tr->n; i++)
		order[i] = i;
	for (int e = 0; e < epochs; e++) {
		shuffle(r, order, (size_t)tr->n);
		loss = 0;
		for (int s = 0; s < tr->n; s += batch) {
			int n = tr->n - s < batch ? tr->n - s : batch;

			for (int i = 0; i < n; i++) {
				memcpy(bx + (size_t)i * NFEAT, tr->x +
				    (size_t)order[s + i] * NFEAT,
				    NFEAT * sizeof *bx);
				by[i] = tr->y[order[s + i]];
			}
			net_forward(net, bx, n, r);
			loss += net_backward(net, by, n);
			adam(net, lr, wd, ++step);
		}
		loss /= tr->n;
	}
	free(bx);
	free(by);
	free(order);
	return loss;
}

/* How many rows of p the network classifies right. */
static int
correct(struct net *net, const struct part *p)
{
	int right = 0;

	net_forward(net, p->x, p->n, NULL);
	for (int i = 0; i < p->n; i++) {
		const float *z = net->logits + (size_t)i * NCLASS;
		int best = 0;

		for (int k = 1; k < NCLASS; k++)
			if (z[k] > z[best])
				best = k;
		right += best == p->y[i];
	}
	return right;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* A number as the shortest text that reads back as the same double. */
static void
put_num(FILE *f, double v)
{
	char s[32];

	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	fputs(s, f);
}

/*
 * , "name": the accuracy of runs trainings over rows rows each, right[k]
 * of them right in training k: one division of the total, so that equal
 * totals give equal numbers (a sum of quotients would differ in the last
 * bit with the order of its terms, and break a tie on the front).
 */
static void
put_acc(const char *name, const int *right, int runs, int rows)
{
	long sum = 0;

	for (int k = 0; k < runs; k++)
		sum += right[k];
	printf(", \"%s\": ", name);
	put_num(stdout, (double)sum / ((double)runs * rows));
}

/* , "name": [right[0] / rows, ...] */
static void
put_accs(const char *name, const int *right, int runs, int rows)
{
	printf(", \"%s\": [", name);
	for (int k = 0; k < runs; k++) {
		if (k > 0)
			fputs(", ", stdout);
		put_num(stdout, (double)right[k] / rows);
	}
	putchar(']');
}

/* , "name": the mean of v[0..n). */
static void
put_mean(const char *name, const double *v, int n)
{
	double sum = 0;

	for (int i = 0; i < n; i++)
		sum += v[i];
	printf(", \"%s\": ", name);
	put_num(stdout, sum / n);
}

static long
parse_long(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi)
		usage("%s: '%s' is not an integer from %ld to %ld", opt, s,
		    lo, hi);
	return v;
}

static double
parse_double(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= lo && v <= hi))
		usage("%s: '%s' is not a number from %g to %g", opt, s, lo, hi);
	return v;
}

static int
parse_name(const char *opt, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	usage("%s: unknown value '%s'", opt, s);
	return -1;
}

static void
dump_split(const char *path, const struct data *d, const int *set)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		errx(1, "cannot create '%s': %s", path, strerror(errno));
	fputs("row,set,label\n", f);
	for (int i = 0; i < d->n; i++)
		fprintf(f, "%d,%s,%d\n", i, set_names[set[i]], d->y[i]);
	if (ferror(f) | fclose(f))
		errx(1, "cannot write '%s': %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"act", required_argument, NULL, 'a'},
		{"batch", required_argument, NULL, 'b'},
		{"data", required_argument, NULL, 'D'},
		{"depth", required_argument, NULL, 'd'},
		{"dropout", required_argument, NULL, 'p'},
		{"dump-split", required_argument, NULL, 'S'},
		{"epochs", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{"lr", required_argument, NULL, 'l'},
		{"runs", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 's'},
		{"skip", required_argument, NULL, 'k'},
		{"split-seed", required_argument, NULL, 'T'},
		{"wd", required_argument, NULL, 'W'},
		{"widths", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	const char *data_path = DIGITS_CSV, *dump = NULL;
	int width[MAXDEPTH] = {64}, nwidth = 1, depth = 1, batch = 32;
	int epochs = 50, ch;
	enum act act = ACT_RELU;
	enum skip skip = SKIP_NONE;
	int runs = 1;
	double lr = 1e-3, wd = 0, dropout = 0, t0 = now(), t1, train_s = 0;
	double lat[LATENCY_REPEATS], mean[NFEAT], sd[NFEAT];
	double loss[MAXRUNS];
	int val[MAXRUNS], test[MAXRUNS], trainacc[MAXRUNS];
	uint64_t seed = 1, split_seed = 1;
	struct data d;
	struct part tr, va, te;
	struct net net;
	int *set;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			act = parse_name("--act", optarg, act_names, 4);
			break;
		case 'b':
			batch = (int)parse_long("--batch", optarg, 1, 4096);
			break;
		case 'D':
			data_path = optarg;
			break;
		case 'd':
			depth = (int)parse_long("--depth", optarg, 0, MAXDEPTH);
			break;
		case 'e':
			epochs = (int)parse_long("--epochs", optarg, 0, 100000);
			break;
		case 'h':
			fputs(synopsis, stdout);
			return 0;
		case 'k':
			skip = parse_name("--skip", optarg, skip_names, 3);
			break;
		case 'l':
			lr = parse_double("--lr", optarg, 0, 10);
			break;
		case 'p':
			dropout = parse_double("--dropout", optarg, 0, 0.95);
			break;
		case 'r':
			runs = (int)parse_long("--runs", optarg, 1, MAXRUNS);
			break;
		case 'S':
			dump = optarg;
			break;
		case 's':
			seed = (uint64_t)parse_long("--seed", optarg, 0,
			    0x7fffffffL);
			break;
		case 'T':
			split_seed = (uint64_t)parse_long("--split-seed",
			    optarg, 0, 0x7fffffffL);
			break;
		case 'W':
			wd = parse_double("--wd", optarg, 0, 1);
			break;
		case 'w': {
			char *s = optarg, *comma;

			for (nwidth = 0;; nwidth++) {
				if (nwidth == MAXDEPTH)
					usage("--widths: more than %d widths",
					    MAXDEPTH);
				comma = strchr(s, ',');
				if (comma != NULL)
					*comma = '\0';
				width[nwidth] = (int)parse_long("--widths", s,
				    1, MAXWIDTH);
				if (comma == NULL)
					break;
				s = comma + 1;
			}
			nwidth++;
			break;
		}
		default:
			fputs(synopsis, stderr);
			return 2;
		}
	}
	if (optind != argc)
		usage("unexpected operand '%s'", argv[optind]);
	if (depth > nwidth)
		usage("--depth %d needs %d widths, --widths gives %d", depth,
		    depth, nwidth);
	openblas_set_num_threads(1);

	data_read(&d, data_path);
	set = xcalloc((size_t)d.n, sizeof *set);
	split(&d, split_seed, set);
	if (dump != NULL) {
		dump_split(dump, &d, set);
		return 0;
	}
	/* The training rows' statistics, in double, ddof 0. */
	for (int f = 0; f < NFEAT; f++) {
		double s = 0, s2 = 0;
		int n = 0;

		for (int i = 0; i < d.n; i++)
			if (set[i] == SET_TRAIN) {
				s += d.x[(size_t)i * NFEAT + f];
				n++;
			}
		mean[f] = s / n;
		for (int i = 0; i < d.n; i++)
			if (set[i] == SET_TRAIN) {
				double e = d.x[(size_t)i * NFEAT + f] - mean[f];

				s2 += e * e;
			}
		sd[f] = sqrt(s2 / n);
		if (sd[f] == 0)
			sd[f] = 1;
	}
	part_make(&tr, &d, set, SET_TRAIN, mean, sd);
	part_make(&va, &d, set, SET_VAL, mean, sd);
	part_make(&te, &d, set, SET_TEST, mean, sd);

	/*
	 * runs trainings from seeds seed, seed + 1, ...: what is printed
	 * is their mean, so that the search sees less of the luck of one
	 * initialisation.  The latency is the last network's.
	 */
	for (int k = 0; k < runs; k++) {
		struct rng r;

		rng_seed(&r, seed + (uint64_t)k);
		if (k > 0)
			net_free(&net);
		net_init(&net, depth, width, act, skip, (float)dropout, d.n,
		    &r);
		t1 = now();
		loss[k] = train(&net, &tr, batch, epochs, (float)lr, (float)wd,
		    &r);
		train_s += now() - t1;
		trainacc[k] = correct(&net, &tr);
		val[k] = correct(&net, &va);
		test[k] = correct(&net, &te);
	}
	/*
	 * Inference latency: the test set as one batch, the median of a
	 * few passes over it, per row.
	 */
	for (int k = 0; k < LATENCY_REPEATS; k++) {
		double a = now();

		net_forward(&net, te.x, te.n, NULL);
		lat[k] = now() - a;
	}
	qsort(lat, LATENCY_REPEATS, sizeof *lat, cmp_double);

	printf("{\"runs\": %d", runs);
	put_acc("val_acc", val, runs, va.n);
	put_acc("test_acc", test, runs, te.n);
	put_acc("train_acc", trainacc, runs, tr.n);
	put_mean("train_loss", loss, runs);
	if (runs > 1) {
		put_accs("val_accs", val, runs, va.n);
		put_accs("test_accs", test, runs, te.n);
	}
	printf(", \"params\": %zu, \"latency_s\": ", net.np);
	put_num(stdout, lat[LATENCY_REPEATS / 2] / te.n);
	printf(", \"train_s\": ");
	put_num(stdout, train_s);
	printf(", \"time_s\": ");
	put_num(stdout, now() - t0);
	printf("}\n");
	if (ferror(stdout) | fclose(stdout))
		errx(1, "cannot write the result: %s", strerror(errno));
	return 0;
}
