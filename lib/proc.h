/*
 * proc: running other programs and risky code in child processes, so
 * that a crash, a hang or a flood of output in a candidate never takes a
 * stage down.  Programs run through execvp with an argument vector, never
 * through a shell.  A child is put in its own process group, and a
 * timeout kills the whole group.
 *
 * Ownership: proc_run and proc_call fill a struct proc_result whose
 * buffers the caller frees with proc_result_release.
 */
#ifndef AR_PROC_H
#define AR_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

enum proc_end {
	PROC_EXITED,	/* exited; code holds the exit status */
	PROC_SIGNALED,	/* killed by a signal (sig), not by us */
	PROC_TIMEOUT,	/* still running after the timeout: killed */
	PROC_NOEXEC	/* could not be started (not found, not executable) */
};

/* Which of the limits of proc_opts ended a PROC_SIGNALED child. */
enum proc_limit {
	PROC_LIMIT_NONE,
	PROC_LIMIT_CPU,		/* rlimit_cpu_s */
	PROC_LIMIT_FSIZE	/* rlimit_fsize */
};

struct proc_opts {
	double timeout_s;		/* 0: none */
	const char *cwd;		/* NULL: the caller's */
	/* "NAME=VALUE" strings added to (or replacing in) the environment,
	 * NULL-terminated; NULL for none. */
	char *const *env;
	/* At most this many bytes of stdout and of stderr are kept (the
	 * rest is read and dropped, so the child never blocks on a full
	 * pipe); 0 means 64 KiB. */
	size_t max_capture;
	/* With capture_tail set, the last max_capture bytes of stdout and
	 * stderr are kept instead of the first: for programs whose last
	 * lines are what matters (a result printed at the end). */
	int capture_tail;
	/* With stdout_to set, the child's stdout goes to that descriptor
	 * instead of being captured (-1: captured). */
	int stdout_to;
	/* Resource limits for the child (0: unlimited): CPU seconds,
	 * address space and largest file written, in bytes. */
	double rlimit_cpu_s;
	size_t rlimit_as, rlimit_fsize;
	/* A descriptor of 3 or more that the child keeps open (the sealed
	 * artifact it loads), where it closes every other from 3 up; 0:
	 * none. */
	int keep_fd;
	/* A descriptor of 3 or more that the child reads as its standard
	 * input, from where its offset stands; 0: /dev/null. */
	int stdin_from;
};

#define PROC_OPTS_INIT { 0, NULL, NULL, 0, 0, -1, 0, 0, 0, 0, 0 }

struct proc_result {
	enum proc_end end;
	int code;		/* PROC_EXITED: exit status */
	int sig;		/* PROC_SIGNALED: the signal */
	double wall_s;		/* from start to end (or kill) */
	double cpu_s;		/* CPU time, user and system, of the child */
	enum proc_limit limit;	/* PROC_SIGNALED: the limit that did it */
	char *out, *err;	/* captured, NUL-terminated (never NULL) */
	size_t outlen, errlen;
	int out_truncated, err_truncated;
	/* proc_call only: what the child wrote to its result pipe. */
	char *result;
	size_t resultlen;
};

/*
 * Runs argv[0] (looked up in PATH by execvp when it has no '/') with
 * argv, stdin from /dev/null (or o->stdin_from), and waits for it.  Returns 0 with res
 * filled, whatever the child did (a failure to exec is PROC_NOEXEC);
 * returns -1 with err set only when the machinery failed (fork, pipe).
 */
int proc_run(char *const argv[], const struct proc_opts *o,
    struct proc_result *res, struct ar_err *err);

/*
 * Forks; the child calls fn(ctx, fd) and exits with its return value;
 * whatever fn writes to fd is returned in res->result.  The child's
 * stdout and stderr are captured as with proc_run.  Used to run a
 * candidate kernel in a process of its own.
 */
typedef int proc_fn(void *ctx, int fd);
int proc_call(proc_fn *fn, void *ctx, const struct proc_opts *o,
    struct proc_result *res, struct ar_err *err);

void proc_result_release(struct proc_result *res);

/*
 * A probe of what the machine has (a GPU, an OpenCL device), asked in a
 * child so that this process never starts its driver: runs fn as
 * proc_call does, within timeout_s, then parse on what it wrote, which
 * fills out or says why not in why (cap bytes).  Returns 0 when parse
 * took the answer; -1 with why set to parse's reason, to the machinery's
 * failure, or, for a child that crashed or hung, which says nothing of
 * its own, to how it ended ("the probe of WHAT was killed by signal
 * 11 (Segmentation fault)").
 */
typedef int proc_parse_fn(const char *text, void *out, char *why,
    size_t cap);
int proc_probe(proc_fn *fn, void *ctx, double timeout_s, const char *what,
    proc_parse_fn *parse, void *out, char *why, size_t cap);

/*
 * A descriptor holding data (len bytes), read from its start: what
 * proc_opts.stdin_from takes, for a child whose input is known before it
 * starts (a check's output to judge, a gnuplot script).  An anonymous
 * file in memory (memfd), called name; the caller closes it.  Returns it,
 * or -1 with err set.
 */
int proc_input(const char *name, const void *data, size_t len,
    struct ar_err *err);

/* A one-line description such as "killed by signal 11 (Segmentation
 * fault)", "exited with status 3" or "timed out after 10 s". */
const char *proc_describe(const struct proc_result *res, char *buf,
    size_t cap);

#endif
