#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *progname = "ar";

void
ar_setprogname(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	progname = p != NULL ? p + 1 : argv0;
}

const char *
ar_progname(void)
{
	return progname;
}

void
ar_errf(struct ar_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/*
 * The status line (ar_status): its text, and how many columns of the
 * screen it covers now, 0 when none is shown.  Guarded by stderr's own
 * lock, which every writer to stderr takes.
 */
static char statusline[1024];
static size_t status_shown;

/* Columns of the terminal on stderr, 0 when it is none. */
static size_t
term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) != 0)
		return 0;
	return ws.ws_col;
}

/* Writes the status line over the one shown: the rest of a longer one
 * is blanked out, so no erase comes between and nothing flickers. */
static void
status_draw(void)
{
	size_t n = strlen(statusline), w = term_width(), pad;

	/* A line as wide as the terminal wraps, and a carriage return
	 * would then go back to its last row only. */
	if (w > 1 && n > w - 1)
		n = w - 1;
	pad = status_shown > n ? status_shown - n : 0;
	fprintf(stderr, "\r%.*s%*s", (int)n, statusline, (int)pad, "");
	status_shown = n + pad;
}

static void
status_erase(void)
{
	if (status_shown > 0)
		fprintf(stderr, "\r%*s\r", (int)status_shown, "");
	status_shown = 0;
}

void
ar_status(const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	va_start(ap, fmt);
	vsnprintf(statusline, sizeof(statusline), fmt, ap);
	va_end(ap);
	status_draw();
	funlockfile(stderr);
}

void
ar_status_clear(void)
{
	flockfile(stderr);
	status_erase();
	statusline[0] = '\0';
	funlockfile(stderr);
}

/* A message, on a line of its own: the status line, if one is shown, is
 * erased first and drawn again below it unless the program is ending. */
static void
vwarn(const char *fmt, va_list ap, int ending)
{
	/* One fprintf per message keeps concurrent writers' lines whole. */
	char line[2048];
	int shown;

	vsnprintf(line, sizeof(line), fmt, ap);
	flockfile(stderr);
	shown = status_shown > 0;
	status_erase();
	fprintf(stderr, "%s: %s\n", progname, line);
	if (shown && !ending)
		status_draw();
	funlockfile(stderr);
}

void
ar_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, 0);
	va_end(ap);
}

#if defined(__SANITIZE_ADDRESS__)
#define AR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AR_ASAN 1
#endif
#endif

void
ar_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, 1);
	va_end(ap);
#ifdef AR_ASAN
	/*
	 * A program that gives up frees nothing on its way out, and
	 * LeakSanitizer would report what was live when it gave up as
	 * leaks (or not, depending on what a register still held).  Leaks
	 * that matter are the ones of a run that ends normally, which
	 * `make check` still sees.
	 */
	fflush(NULL);
	_exit(status);
#else
	exit(status);
#endif
}

void *
emalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		ar_die(AR_EXIT_FAIL, "out of memory");
	return p;
}

void *
ecalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		ar_die(AR_EXIT_FAIL, "out of memory");
	return p;
}

void *
erealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		ar_die(AR_EXIT_FAIL, "out of memory");
	return p;
}

void *
ereallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > (size_t)-1 / size)
		ar_die(AR_EXIT_FAIL, "out of memory");
	return erealloc(p, n * size);
}

char *
estrdup(const char *s)
{
	return estrndup(s, strlen(s));
}

char *
estrndup(const char *s, size_t n)
{
	char *p = emalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
ar_fshut(FILE *f, const char *name)
{
	int bad = 0;

	if (fflush(f) == EOF || ferror(f))
		bad = 1;
	if (fclose(f) == EOF)
		bad = 1;
	if (bad && errno != EPIPE) {
		ar_warn("error writing %s: %s", name, strerror(errno));
		return 1;
	}
	return bad;
}

const char *
ar_fname(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

void
ar_fmt_duration(double s, char *buf, size_t cap)
{
	long t = s > 0 && s < 1e9 ? (long)(s + 0.5) : 0;

	if (t < 60)
		snprintf(buf, cap, "%lds", t);
	else if (t < 3600)
		snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

/* Edits from a to b, counting a swap of neighbours as one (the
 * optimal string alignment distance); words are short. */
static size_t
edits(const char *a, const char *b)
{
	enum { MAXW = 64 };
	size_t d[MAXW + 1][MAXW + 1], la = strlen(a), lb = strlen(b), i, j, c;

	if (la > MAXW || lb > MAXW)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

const char *
ar_nearest(const char *word, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t i, e, beste = SIZE_MAX, len = strlen(word);

	for (i = 0; i < n; i++)
		if ((e = edits(word, words[i])) < beste)
			best = words[i], beste = e;
	/* Two edits make any two short words alike: "ab" is not "cc". */
	if (best != NULL && beste <= 2 && 2 * beste < len)
		return best;
	if (len >= 3)
		for (i = 0; i < n; i++)
			if (strncmp(words[i], word, len) == 0)
				return words[i];
	return NULL;
}

void
buf_grow(struct ar_buf *b, size_t more)
{
	size_t need = b->len + more + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->buf = erealloc(b->buf, b->cap);
}

void
buf_add(struct ar_buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void
buf_adds(struct ar_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct ar_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

double
ar_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
ar_slurp(const char *path, size_t max, struct ar_buf *b, struct ar_err *err)
{
	char chunk[65536];
	size_t n, want;
	FILE *f;
	int e;

	if ((f = fopen(path, "rb")) == NULL) {
		e = errno;
		ar_errf(err, "cannot open '%s': %s", path, strerror(e));
		errno = e;
		return -1;
	}
	for (;;) {
		want = sizeof(chunk);
		if (max > 0 && max - (b->len < max ? b->len : max) < want)
			want = max - (b->len < max ? b->len : max);
		if (want == 0 || (n = fread(chunk, 1, want, f)) == 0)
			break;
		buf_add(b, chunk, n);
	}
	if (ferror(f)) {
		e = errno;
		ar_errf(err, "cannot read '%s': %s", path, strerror(e));
		fclose(f);
		errno = e;
		return -1;
	}
	fclose(f);
	buf_grow(b, 1);
	b->buf[b->len] = '\0';
	return 0;
}

int
ar_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

void
ar_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
ar_fmt_time(double s, char *buf, size_t cap)
{
	if (s >= 1)
		snprintf(buf, cap, "%.3g s", s);
	else if (s >= 1e-3)
		snprintf(buf, cap, "%.3g ms", s * 1e3);
	else if (s >= 1e-6)
		snprintf(buf, cap, "%.3g us", s * 1e6);
	else
		snprintf(buf, cap, "%.3g ns", s * 1e9);
}

int
ar_mkdirs(const char *path, const char *what, struct ar_err *err)
{
	char *p = estrdup(path), *s;
	struct stat st;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				ar_errf(err, "cannot create %s '%s': %s",
				    what, p, strerror(errno));
				free(p);
				return -1;
			}
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	free(p);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ar_errf(err, "%s '%s' is not a folder", what, path);
		return -1;
	}
	return 0;
}

char *
ar_abspath(const char *path)
{
	struct ar_buf b = { 0 };
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
		buf_adds(&b, path);
	} else {
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		buf_printf(&b, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "",
		    path);
	}
	return b.buf;
}

int
ar_write_atomic(const char *path, const void *data, size_t len,
    struct ar_err *err)
{
	const char *slash = strrchr(path, '/'), *base;
	struct ar_buf dir = { 0 }, tmp = { 0 };
	struct stat st;
	mode_t mode, mask;
	int fd = -1, dfd, rc = -1;

	if (slash == NULL) {
		buf_adds(&dir, ".");
		base = path;
	} else {
		buf_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
		base = slash + 1;
	}
	buf_printf(&tmp, "%.*s.%s.XXXXXX", (int)(base - path), path, base);
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	else {
		mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	if ((fd = mkstemp(tmp.buf)) < 0) {
		ar_errf(err, "cannot create a temporary file in '%s': %s",
		    dir.buf, strerror(errno));
		tmp.len = 0;
		goto out;
	}
	if (fchmod(fd, mode) != 0 || ar_write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		ar_errf(err, "cannot write '%s': %s", tmp.buf,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		ar_errf(err, "cannot write '%s': %s", tmp.buf,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.buf, path) != 0) {
		ar_errf(err, "cannot rename '%s' to '%s': %s", tmp.buf, path,
		    strerror(errno));
		goto out;
	}
	tmp.len = 0;	/* renamed: nothing to remove */
	/* The rename is durable once the folder's entry is on disk. */
	if ((dfd = open(dir.buf, O_RDONLY | O_DIRECTORY)) < 0 ||
	    (fsync(dfd) != 0 && errno != EINVAL)) {
		ar_errf(err, "cannot flush the folder '%s': %s", dir.buf,
		    strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp.len > 0)
		unlink(tmp.buf);
	free(dir.buf);
	free(tmp.buf);
	return rc;
}
