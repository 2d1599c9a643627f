/*
 * proc: child processes that cannot take the caller down (see proc.h).
 *
 * One routine, spawn(), serves proc_run and proc_call.  Everything the
 * child needs (the environment, the descriptors) is prepared before the
 * fork, because the caller may have threads (ar-compile builds with
 * several) and only async-signal-safe calls are allowed between fork and
 * exec.  Every descriptor is made close-on-exec, so that a child started
 * by one thread never inherits the pipes of a child started by another
 * and keeps them open after that child ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

#define DEFAULT_CAPTURE	(64 * 1024)
/* What proc_call keeps of the result pipe; the rest is dropped. */
#define RESULT_MAX	(64 * 1024 * 1024)
/* Without a pidfd, how often the child is checked on (milliseconds). */
#define TICK_MS		10
/* After the child ended, how long its pipes may stay open (held by a
 * process that left its group) before we stop reading them. */
#define DRAIN_S		1.0

/* What failed in the child before it could run, sent up the status pipe. */
enum {
	STAGE_EXEC, STAGE_CHDIR, STAGE_NULL, STAGE_RLIMIT, STAGE_DUP
};

struct child_fail {
	int stage;
	int errnum;
};

/* One pipe read by the parent. */
struct sink {
	int fd;			/* -1 once closed */
	struct ar_buf b;
	size_t max;
	int truncated;
	int tail;		/* keep the last max bytes, not the first */
};

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * The environment of the child: the caller's with the additions, a
 * "NAME=VALUE" replacing the caller's NAME.  Built in the parent; the
 * array is freed there, the strings are borrowed.
 */
static char **
make_env(char *const *add)
{
	size_t n = 0, nadd = 0, i, j, k;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	while (add != NULL && add[nadd] != NULL)
		nadd++;
	env = ecalloc(n + nadd + 1, sizeof(*env));
	for (i = 0; i < n; i++)
		env[i] = environ[i];
	for (j = 0; j < nadd; j++) {
		const char *eq = strchr(add[j], '=');
		size_t len = eq ? (size_t)(eq - add[j]) : strlen(add[j]);

		for (k = 0; k < n; k++)
			if (strncmp(env[k], add[j], len) == 0 &&
			    env[k][len] == '=')
				break;
		env[k] = add[j];
		if (k == n)
			n++;
	}
	env[n] = NULL;
	return env;
}

static void
child_fail(int fd, int stage)
{
	struct child_fail f;
	ssize_t w;

	f.stage = stage;
	f.errnum = errno;
	do
		w = write(fd, &f, sizeof(f));
	while (w < 0 && errno == EINTR);
	_exit(127);
}

/* Moves fd above the standard descriptors so that dup2 onto 0-2 cannot
 * clobber it. */
static int
above_std(int fd, int failfd)
{
	int nfd;

	if (fd < 0 || fd > 2)
		return fd;
	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		child_fail(failfd, STAGE_DUP);
	return nfd;
}

static void
set_limit(int resource, rlim_t v, rlim_t hard, int failfd)
{
	struct rlimit rl;

	rl.rlim_cur = v;
	rl.rlim_max = hard;
	if (setrlimit(resource, &rl) != 0)
		child_fail(failfd, STAGE_RLIMIT);
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * Closes every descriptor from 3 up but the n in keep (those below 3
 * are ignored), so that a child sees none of what its caller had open (a
 * pipe of the shell, a lock): only its standard streams and the
 * harness's own.
 */
static void
close_others(int *keep, size_t n)
{
	unsigned lo = 3;
	size_t i;

	qsort(keep, n, sizeof(*keep), int_cmp);
	for (i = 0; i < n; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

/*
 * In the child: its own process group, the standard descriptors, the
 * folder, the limits and default signal handling.  Only async-signal-safe
 * calls.  Returns only when all is set.
 */
static void
child_setup(const struct proc_opts *o, int outfd, int errfd, int failfd,
    char **env)
{
	static const int sigs[] = { SIGPIPE, SIGXFSZ, SIGXCPU, SIGINT,
	    SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGALRM };
	struct sigaction sa;
	sigset_t none;
	size_t i;
	int nullfd;

	setpgid(0, 0);
	/* Dispositions the caller ignored would outlive exec. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	outfd = above_std(outfd, failfd);
	errfd = above_std(errfd, failfd);
	if (o->stdin_from >= 3)
		nullfd = o->stdin_from;
	else if ((nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		child_fail(failfd, STAGE_NULL);
	if (dup2(nullfd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0)
		child_fail(failfd, STAGE_DUP);
	/* dup2 onto itself keeps close-on-exec; stdout_to may be 1. */
	fcntl(1, F_SETFD, 0);
	fcntl(2, F_SETFD, 0);
	fcntl(0, F_SETFD, 0);

	if (o->cwd != NULL && chdir(o->cwd) != 0)
		child_fail(failfd, STAGE_CHDIR);
	/* A crashing candidate leaves no core file behind. */
	set_limit(RLIMIT_CORE, 0, 0, failfd);
	if (o->rlimit_cpu_s > 0) {
		rlim_t s = (rlim_t)ceil(o->rlimit_cpu_s);

		/* SIGXCPU at the soft limit, SIGKILL a second later for a
		 * child that catches it. */
		set_limit(RLIMIT_CPU, s, s + 1, failfd);
	}
	if (o->rlimit_as > 0)
		set_limit(RLIMIT_AS, (rlim_t)o->rlimit_as,
		    (rlim_t)o->rlimit_as, failfd);
	if (o->rlimit_fsize > 0)
		set_limit(RLIMIT_FSIZE, (rlim_t)o->rlimit_fsize,
		    (rlim_t)o->rlimit_fsize, failfd);
	environ = env;
}

static int
open_pipe(int fds[2], struct ar_err *err)
{
	if (pipe2(fds, O_CLOEXEC) != 0) {
		ar_errf(err, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	return 0;
}

/* Reads what is there; closes the sink at end of file. */
/* Tail mode: keeps only the last max bytes. */
static void
sink_trim(struct sink *s)
{
	if (s->b.len <= s->max)
		return;
	memmove(s->b.buf, s->b.buf + s->b.len - s->max, s->max);
	s->b.len = s->max;
	s->b.buf[s->b.len] = '\0';
	s->truncated = 1;
}

static void
sink_read(struct sink *s)
{
	char tmp[65536];
	ssize_t n;

	for (;;) {
		n = read(s->fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close_fd(&s->fd);
			return;
		}
		if (s->tail) {
			/* Keep at most twice max, then slide to the last max,
			 * so a flood costs one move per max bytes read. */
			buf_add(&s->b, tmp, (size_t)n);
			if (s->b.len > 2 * s->max)
				sink_trim(s);
		} else if (s->b.len < s->max) {
			size_t keep = (size_t)n;

			if (keep > s->max - s->b.len) {
				keep = s->max - s->b.len;
				s->truncated = 1;
			}
			buf_add(&s->b, tmp, keep);
		} else
			s->truncated = 1;
	}
}

/* The sink's bytes as a NUL-terminated string the caller owns. */
static char *
sink_take(struct sink *s, size_t *len)
{
	if (s->tail)
		sink_trim(s);
	buf_add(&s->b, "", 1);
	*len = s->b.len - 1;
	return s->b.buf;
}

static int
open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
#else
	(void)pid;
	return -1;
#endif
}

static void
fail_text(struct ar_buf *b, const struct child_fail *f, const char *argv0,
    const char *cwd)
{
	const char *e = strerror(f->errnum);

	switch (f->stage) {
	case STAGE_EXEC:
		buf_printf(b, "cannot run '%s': %s", argv0, e);
		break;
	case STAGE_CHDIR:
		buf_printf(b, "cannot change to folder '%s': %s", cwd, e);
		break;
	case STAGE_NULL:
		buf_printf(b, "cannot open '/dev/null': %s", e);
		break;
	case STAGE_RLIMIT:
		buf_printf(b, "cannot set a resource limit: %s", e);
		break;
	default:
		buf_printf(b, "cannot set up the standard descriptors: %s", e);
		break;
	}
}

/*
 * Runs argv (fn NULL) or fn(ctx, fd) in a child and waits for it, as
 * proc.h describes.
 */
static int
spawn(char *const argv[], proc_fn *fn, void *ctx, const struct proc_opts *o,
    struct proc_result *res, struct ar_err *err)
{
	struct proc_opts dflt = PROC_OPTS_INIT;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int failp[2] = { -1, -1 }, resp[2] = { -1, -1 };
	struct sink sinks[4];
	struct pollfd pfd[5];
	struct child_fail cf;
	char **env = NULL;
	double t0, tend = 0, deadline, drain_until = 0;
	size_t max, i, nsink = 0, failidx, residx = 0, outidx = 0, erridx;
	int pidfd, exited = 0, timed_out = 0, lost = 0, status = 0, keep[3];
	pid_t pid;
	siginfo_t si;
	struct rusage ru;

	if (o == NULL)
		o = &dflt;
	memset(res, 0, sizeof(*res));
	memset(sinks, 0, sizeof(sinks));
	memset(&ru, 0, sizeof(ru));
	max = o->max_capture ? o->max_capture : DEFAULT_CAPTURE;

	if ((o->stdout_to < 0 && open_pipe(outp, err) != 0) ||
	    open_pipe(errp, err) != 0 || open_pipe(failp, err) != 0 ||
	    (fn != NULL && open_pipe(resp, err) != 0))
		goto fail;
	env = make_env(o->env);

	t0 = ar_now();
	if ((pid = fork()) < 0) {
		ar_errf(err, "cannot fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		close_fd(&failp[0]);
		child_setup(o, o->stdout_to >= 0 ? o->stdout_to : outp[1],
		    errp[1], failp[1], env);
		keep[0] = failp[1];
		keep[1] = fn != NULL ? resp[1] : -1;
		keep[2] = o->keep_fd;
		close_others(keep, 3);
		if (fn == NULL) {
			execvp(argv[0], argv);
			child_fail(failp[1], STAGE_EXEC);
		}
		/* What our stdio buffers held is ours to write, not the
		 * child's. */
		__fpurge(stdout);
		__fpurge(stderr);
		status = fn(ctx, resp[1]);
		fflush(stdout);
		fflush(stderr);
		_exit(status & 0xff);
	}
	/* Both sides set the group, so that it is set whichever runs
	 * first (a kill before the child's own setpgid would miss it). */
	setpgid(pid, pid);
	free(env);
	env = NULL;
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	close_fd(&failp[1]);
	close_fd(&resp[1]);

	if (outp[0] >= 0) {
		outidx = nsink;
		sinks[nsink++] = (struct sink){ .fd = outp[0], .max = max,
		    .tail = o->capture_tail };
	}
	erridx = nsink;
	sinks[nsink++] = (struct sink){ .fd = errp[0], .max = max,
	    .tail = o->capture_tail };
	failidx = nsink;
	sinks[nsink++] = (struct sink){ .fd = failp[0],
	    .max = sizeof(struct child_fail) };
	if (resp[0] >= 0) {
		residx = nsink;
		sinks[nsink++] = (struct sink){ .fd = resp[0],
		    .max = RESULT_MAX };
	}
	outp[0] = errp[0] = failp[0] = resp[0] = -1;	/* the sinks own them */
	pidfd = open_pidfd(pid);
	deadline = o->timeout_s > 0 ? t0 + o->timeout_s : 0;

	for (;;) {
		size_t np = 0, open = 0;
		double t, wait_s = -1;
		int ms;

		if (!exited) {
			int w;

			memset(&si, 0, sizeof(si));
			w = waitid(P_PID, (id_t)pid, &si,
			    WEXITED | WNOHANG | WNOWAIT);
			/* With SIGCHLD ignored the child is reaped for us
			 * and its status is gone. */
			if (w != 0 && errno == ECHILD)
				lost = exited = 1;
			else if (w == 0 && si.si_pid == pid) {
				exited = 1;
				if (!timed_out)
					tend = ar_now();
				/*
				 * What the child left running in its group
				 * goes with it.  The zombie holds the group's
				 * id, so it cannot name anyone else yet.
				 */
				kill(-pid, SIGKILL);
				drain_until = ar_now() + DRAIN_S;
			}
		}
		for (i = 0; i < nsink; i++)
			if (sinks[i].fd >= 0) {
				pfd[np].fd = sinks[i].fd;
				pfd[np].events = POLLIN;
				np++;
				open++;
			}
		if (exited && open == 0)
			break;
		t = ar_now();
		if (exited) {
			if (t >= drain_until)
				break;
			wait_s = drain_until - t;
		} else {
			if (deadline > 0 && !timed_out) {
				if (t >= deadline) {
					kill(-pid, SIGKILL);
					kill(pid, SIGKILL);
					timed_out = 1;
					tend = t;
					continue;
				}
				wait_s = deadline - t;
			}
			if (pidfd >= 0) {
				pfd[np].fd = pidfd;
				pfd[np].events = POLLIN;
				np++;
			} else if (wait_s < 0 || wait_s > TICK_MS / 1e3)
				wait_s = TICK_MS / 1e3;
		}
		ms = wait_s < 0 ? -1 : (int)ceil(wait_s * 1e3);
		if (poll(pfd, (nfds_t)np, ms) < 0 && errno != EINTR) {
			ar_errf(err, "poll: %s", strerror(errno));
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (pidfd >= 0)
				close(pidfd);
			goto fail;
		}
		for (i = 0; i < nsink; i++)
			if (sinks[i].fd >= 0)
				sink_read(&sinks[i]);
	}
	while (!lost && wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			lost = 1;
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	for (i = 0; i < nsink; i++)
		close_fd(&sinks[i].fd);
	if (lost) {
		ar_errf(err, "the exit status of process %ld was lost (is "
		    "SIGCHLD ignored?)", (long)pid);
		for (i = 0; i < nsink; i++)
			free(sinks[i].b.buf);
		memset(res, 0, sizeof(*res));
		return -1;
	}

	res->wall_s = tend - t0;
	res->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (sinks[failidx].b.len >= sizeof(cf)) {
		struct ar_buf msg = { 0 };

		memcpy(&cf, sinks[failidx].b.buf, sizeof(cf));
		res->end = PROC_NOEXEC;
		res->code = cf.errnum;
		fail_text(&msg, &cf, fn == NULL ? argv[0] : "(function)",
		    o->cwd);
		/* The message replaces whatever stderr held. */
		free(sinks[erridx].b.buf);
		sinks[erridx].b = msg;
	} else if (timed_out) {
		res->end = PROC_TIMEOUT;
	} else if (WIFSIGNALED(status)) {
		res->end = PROC_SIGNALED;
		res->sig = WTERMSIG(status);
		/* SIGXCPU at the soft limit, or the SIGKILL a second later
		 * for a child that caught it. */
		if (o->rlimit_cpu_s > 0 && (res->sig == SIGXCPU ||
		    (res->sig == SIGKILL && res->cpu_s >= o->rlimit_cpu_s)))
			res->limit = PROC_LIMIT_CPU;
		else if (o->rlimit_fsize > 0 && res->sig == SIGXFSZ)
			res->limit = PROC_LIMIT_FSIZE;
	} else {
		res->end = PROC_EXITED;
		res->code = WEXITSTATUS(status);
	}
	free(sinks[failidx].b.buf);
	if (o->stdout_to < 0) {
		res->out = sink_take(&sinks[outidx], &res->outlen);
		res->out_truncated = sinks[outidx].truncated;
	} else {
		res->out = estrdup("");
		res->outlen = 0;
	}
	res->err = sink_take(&sinks[erridx], &res->errlen);
	res->err_truncated = sinks[erridx].truncated;
	if (fn != NULL)
		res->result = sink_take(&sinks[residx], &res->resultlen);
	return 0;

fail:
	free(env);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&failp[0]);
	close_fd(&failp[1]);
	close_fd(&resp[0]);
	close_fd(&resp[1]);
	for (i = 0; i < nsink; i++) {
		close_fd(&sinks[i].fd);
		free(sinks[i].b.buf);
	}
	memset(res, 0, sizeof(*res));
	return -1;
}

int
proc_run(char *const argv[], const struct proc_opts *o,
    struct proc_result *res, struct ar_err *err)
{
	if (argv == NULL || argv[0] == NULL) {
		memset(res, 0, sizeof(*res));
		ar_errf(err, "no program to run");
		return -1;
	}
	return spawn(argv, NULL, NULL, o, res, err);
}

int
proc_call(proc_fn *fn, void *ctx, const struct proc_opts *o,
    struct proc_result *res, struct ar_err *err)
{
	return spawn(NULL, fn, ctx, o, res, err);
}

void
proc_result_release(struct proc_result *res)
{
	free(res->out);
	free(res->err);
	free(res->result);
	memset(res, 0, sizeof(*res));
}

const char *
proc_describe(const struct proc_result *res, char *buf, size_t cap)
{
	const char *s;

	switch (res->end) {
	case PROC_EXITED:
		snprintf(buf, cap, "exited with status %d", res->code);
		break;
	case PROC_SIGNALED:
		s = sigdescr_np(res->sig);
		if (s != NULL)
			snprintf(buf, cap, "killed by signal %d (%s)",
			    res->sig, s);
		else
			snprintf(buf, cap, "killed by signal %d", res->sig);
		break;
	case PROC_TIMEOUT:
		snprintf(buf, cap, "timed out after %.3g s", res->wall_s);
		break;
	case PROC_NOEXEC:
	default:
		snprintf(buf, cap, "could not be started: %s",
		    strerror(res->code));
		break;
	}
	return buf;
}

int
proc_input(const char *name, const void *data, size_t len,
    struct ar_err *err)
{
	int fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) < 0) {
		ar_errf(err, "cannot make %s: %s", name, strerror(errno));
		return -1;
	}
	if (ar_write_all(fd, data, len) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		ar_errf(err, "cannot write %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
proc_probe(proc_fn *fn, void *ctx, double timeout_s, const char *what,
    proc_parse_fn *parse, void *out, char *why, size_t cap)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result pr;
	struct ar_err err;
	char desc[256];
	int rc;

	o.timeout_s = timeout_s;
	if (proc_call(fn, ctx, &o, &pr, &err) != 0) {
		snprintf(why, cap, "cannot probe the %s: %s", what, err.msg);
		return -1;
	}
	if ((rc = parse(pr.result, out, why, cap)) != 0 &&
	    pr.end != PROC_EXITED)
		snprintf(why, cap, "the probe of the %s %s", what,
		    proc_describe(&pr, desc, sizeof(desc)));
	proc_result_release(&pr);
	return rc == 0 ? 0 : -1;
}
