/*
 * util: what every program and module needs: the program's name, error
 * messages in the house format, allocators that never return NULL, and a
 * checked close of an output stream.
 *
 * Messages look like "ar-propose: spec.json: key \"params\": not an object":
 * lowercase, no final period, the subject quoted.  Library functions never
 * print or exit; they fill a struct ar_err and return -1, and the program
 * decides what to do (usually ar_die(2, "%s", err.msg)).
 */
#ifndef AR_UTIL_H
#define AR_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Exit statuses shared by every program (see each man page's EXIT STATUS). */
enum {
	AR_EXIT_OK = 0,		/* success */
	AR_EXIT_FAIL = 1,	/* the program itself failed at run time */
	AR_EXIT_USAGE = 2	/* bad usage or bad input */
};

/* An error message a library function fills before returning -1. */
struct ar_err {
	char msg[1024];
};

void ar_errf(struct ar_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The program name used in messages; set once from argv[0] in main(). */
void ar_setprogname(const char *argv0);
const char *ar_progname(void);

/* "prog: message\n" on stderr, below the status line if one is shown. */
void ar_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ar_warn, the status line erased for good, then exit(status). */
void ar_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * A status line on stderr, for progress on a terminal: one line that each
 * ar_status writes over the last with a carriage return, and that ar_warn
 * erases before its message and draws again below it, so that no message
 * lands inside it.  ar_status_clear erases it, before anything else is
 * written to stderr and before the program ends.  It is cut to the
 * terminal's width, since a line that wraps cannot be written over.  The
 * caller decides whether stderr wants one (a terminal, or --progress);
 * several threads may call these.
 */
void ar_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ar_status_clear(void);
/* A duration for people: "45s", "12m05s", "3h20m". */
void ar_fmt_duration(double s, char *buf, size_t cap);
/* A measured time for people, to three digits: "1.23 ms", "45 us". */
void ar_fmt_time(double s, char *buf, size_t cap);

void *emalloc(size_t n);
void *ecalloc(size_t n, size_t size);
void *erealloc(void *p, size_t n);
void *ereallocarray(void *p, size_t n, size_t size);
char *estrdup(const char *s);
char *estrndup(const char *s, size_t n);

/*
 * Flush and check a stream opened for writing, as sbase's fshut: returns 0,
 * or warns naming `name' and returns 1 when anything written was lost.
 * Pipeline stages call this on stdout before exiting, so that a full disk
 * or a write error never passes for success.  EPIPE stays quiet.
 */
int ar_fshut(FILE *f, const char *name);

/* Seconds on CLOCK_MONOTONIC, for timing what takes microseconds and up. */
double ar_now(void);

/* The name shown for a file operand: "-" reads as "<stdin>". */
const char *ar_fname(const char *path);

/*
 * For a "did you mean": the one of words[0..n) nearest to word, at most
 * two edits away (a letter added, dropped, changed, or two neighbours
 * swapped) and fewer than half of word's letters, or else the first that
 * word begins, three letters at least; NULL when none is near.
 */
const char *ar_nearest(const char *word, const char *const *words,
    size_t n);

/* A growable byte buffer; init with {0}, release with free(b.buf). */
struct ar_buf {
	char *buf;
	size_t len, cap;
};
void buf_grow(struct ar_buf *b, size_t more);
void buf_add(struct ar_buf *b, const void *p, size_t n);
void buf_adds(struct ar_buf *b, const char *s);
void buf_printf(struct ar_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Reads the file at path into b (appending), at most max bytes when max
 * is not 0, and ends what it read with a '\0' that b->len does not
 * count.  Returns 0, or -1 with err set and errno saying why (ENOENT:
 * there is no such file).
 */
int ar_slurp(const char *path, size_t max, struct ar_buf *b,
    struct ar_err *err);

/*
 * Writes n bytes at p to fd, again after EINTR and after a short write.
 * Returns 0, or -1 with errno set (EIO when write(2) wrote nothing).
 */
int ar_write_all(int fd, const void *p, size_t n);

/*
 * Replaces path with len bytes at data so that a reader sees the old file
 * or the new one, never a part: a temporary file in the same folder
 * (".NAME.XXXXXX", the old file's mode, else 0666 less the umask),
 * written, flushed to disk, renamed over path, and the folder flushed.
 * Returns 0, or -1 with err set and nothing left behind.
 */
int ar_write_atomic(const char *path, const void *data, size_t len,
    struct ar_err *err);

/*
 * Creates the folder path and the folders above it, as mkdir -p.
 * Returns 0, or -1 with err set: "cannot create WHAT 'P': why", or
 * "WHAT 'PATH' is not a folder" (what: "the cache folder").
 */
int ar_mkdirs(const char *path, const char *what, struct ar_err *err);

/*
 * path as an absolute path: itself when it begins with '/', else joined
 * to the working folder, a leading "./" dropped (the folder is not
 * looked at).  The caller frees it.
 */
char *ar_abspath(const char *path);

/* Frees a NULL-terminated array of strings and the strings. */
void ar_strv_free(char **v);

#endif
