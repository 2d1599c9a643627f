/*
 * test_proc: child processes: exit codes, signals, timeouts that take the
 * whole process group, output capture and its cap, a program that cannot
 * be started, the environment, the folder, resource limits, proc_call's
 * result pipe, and that no child is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

/* Runs argv with o (NULL: the defaults); the checks follow. */
static int
run(char *const argv[], const struct proc_opts *o, struct proc_result *r)
{
	struct ar_err err;
	int rc = proc_run(argv, o, r, &err);

	if (rc != 0)
		fprintf(stderr, "proc_run: %s\n", err.msg);
	return rc;
}

static char *sh_argv[4] = { "sh", "-c", NULL, NULL };

static char *const *
sh(const char *script)
{
	sh_argv[2] = (char *)script;
	return sh_argv;
}

/* 1 if pid is gone or a zombie, waiting up to a second for it. */
static int
is_dead(long pid)
{
	char path[64], buf[512], *p;
	int i;

	for (i = 0; i < 100; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			return 1;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p != NULL && (p = strrchr(buf, ')')) != NULL &&
		    (p[2] == 'Z' || p[2] == 'X'))
			return 1;
		usleep(10000);
	}
	return 0;
}

static void
test_exit_codes(void)
{
	struct proc_result r;
	char *const t[] = { "true", NULL };

	CHECK_INT(run(t, NULL, &r), 0);
	CHECK_INT(r.end, PROC_EXITED);
	CHECK_INT(r.code, 0);
	CHECK_STR(r.out, "");
	CHECK_STR(r.err, "");
	CHECK(r.wall_s >= 0 && r.wall_s < 5);
	proc_result_release(&r);

	CHECK_INT(run(sh("exit 3"), NULL, &r), 0);
	CHECK_INT(r.end, PROC_EXITED);
	CHECK_INT(r.code, 3);
	proc_result_release(&r);
}

static void
test_signals(void)
{
	struct proc_result r;

	CHECK_INT(run(sh("kill -SEGV $$"), NULL, &r), 0);
	CHECK_INT(r.end, PROC_SIGNALED);
	CHECK_INT(r.sig, SIGSEGV);
	proc_result_release(&r);
}

static int
fn_segv(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	/* AddressSanitizer catches SIGSEGV to report it; this wants the
	 * plain death a crashing kernel meets. */
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return 0;
}

static void
test_call_signal(void)
{
	struct proc_result r;
	struct ar_err err;

	CHECK_INT(proc_call(fn_segv, NULL, NULL, &r, &err), 0);
	CHECK_INT(r.end, PROC_SIGNALED);
	CHECK_INT(r.sig, SIGSEGV);
	CHECK_STR(r.result, "");
	proc_result_release(&r);
}

static void
test_timeout(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	char *const argv[] = { "sleep", "5", NULL };

	o.timeout_s = 0.2;
	CHECK_INT(run(argv, &o, &r), 0);
	CHECK_INT(r.end, PROC_TIMEOUT);
	CHECK(r.wall_s >= 0.2 && r.wall_s < 1.5);
	proc_result_release(&r);
}

/* The timeout kills what the child started too. */
static void
test_timeout_group(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	long bg = 0;

	o.timeout_s = 0.2;
	CHECK_INT(run(sh("sleep 5 & echo $!; sleep 5"), &o, &r), 0);
	CHECK_INT(r.end, PROC_TIMEOUT);
	CHECK(r.wall_s < 1.5);
	bg = strtol(r.out, NULL, 10);
	CHECK(bg > 0);
	if (bg > 0)
		CHECK(is_dead(bg));
	proc_result_release(&r);
}

/* A child that ends while something it started holds its stdout does
 * not keep us waiting, and what it left running dies with it. */
static void
test_leftover(void)
{
	struct proc_result r;
	long bg;

	CHECK_INT(run(sh("sleep 5 & echo $!"), NULL, &r), 0);
	CHECK_INT(r.end, PROC_EXITED);
	CHECK_INT(r.code, 0);
	CHECK(r.wall_s < 1.5);
	bg = strtol(r.out, NULL, 10);
	CHECK(bg > 0);
	if (bg > 0)
		CHECK(is_dead(bg));
	proc_result_release(&r);
}

static void
test_capture(void)
{
	struct proc_result r;

	CHECK_INT(run(sh("printf 'out put'; printf 'err or' >&2"), NULL, &r),
	    0);
	CHECK_STR(r.out, "out put");
	CHECK_INT(r.outlen, 7);
	CHECK_STR(r.err, "err or");
	CHECK_INT(r.errlen, 6);
	CHECK_INT(r.out_truncated, 0);
	CHECK_INT(r.err_truncated, 0);
	proc_result_release(&r);
}

/* 10 MB on each stream: the child never blocks, we keep the cap. */
static void
test_truncation(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;

	o.timeout_s = 20;
	CHECK_INT(run(sh("head -c 10000000 /dev/zero; "
	    "head -c 10000000 /dev/zero >&2; echo done >&2"), &o, &r), 0);
	CHECK_INT(r.end, PROC_EXITED);
	CHECK_INT(r.code, 0);
	CHECK_INT(r.outlen, 64 * 1024);
	CHECK_INT(r.errlen, 64 * 1024);
	CHECK_INT(r.out_truncated, 1);
	CHECK_INT(r.err_truncated, 1);
	CHECK_INT(r.out[r.outlen], '\0');
	proc_result_release(&r);

	o.max_capture = 1000;
	CHECK_INT(run(sh("head -c 10000000 /dev/zero | tr '\\0' x"), &o, &r),
	    0);
	CHECK_INT(r.end, PROC_EXITED);
	CHECK_INT(r.outlen, 1000);
	CHECK_INT(r.out_truncated, 1);
	CHECK_INT(strspn(r.out, "x"), 1000);
	proc_result_release(&r);

	o.max_capture = 7;
	CHECK_INT(run(sh("printf 1234567"), &o, &r), 0);
	CHECK_STR(r.out, "1234567");
	CHECK_INT(r.out_truncated, 0);
	proc_result_release(&r);

	/* Tail mode keeps the end of a flood, and all of a short output. */
	o.max_capture = 1000;
	o.capture_tail = 1;
	CHECK_INT(run(sh("head -c 3000000 /dev/zero | tr '\\0' x; "
	    "echo; echo last; echo tail >&2"), &o, &r), 0);
	CHECK_INT(r.outlen, 1000);
	CHECK_INT(r.out_truncated, 1);
	CHECK_STR(r.out + r.outlen - 6, "\nlast\n");
	CHECK_INT(strspn(r.out, "x"), 1000 - 6);
	CHECK_STR(r.err, "tail\n");
	CHECK_INT(r.err_truncated, 0);
	proc_result_release(&r);
}

static void
test_noexec(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	char *const argv[] = { "no-such-program-ar", "x", NULL };
	char *const path[] = { "/nonexistent/prog", NULL };
	char *const t[] = { "true", NULL };
	char buf[256];

	CHECK_INT(run(argv, NULL, &r), 0);
	CHECK_INT(r.end, PROC_NOEXEC);
	CHECK_INT(r.code, ENOENT);
	CHECK_STR(r.err, "cannot run 'no-such-program-ar': "
	    "No such file or directory");
	CHECK_STR(r.out, "");
	CHECK_STR(proc_describe(&r, buf, sizeof(buf)),
	    "could not be started: No such file or directory");
	proc_result_release(&r);

	CHECK_INT(run(path, NULL, &r), 0);
	CHECK_INT(r.end, PROC_NOEXEC);
	proc_result_release(&r);

	o.cwd = "/nonexistent-folder";
	CHECK_INT(run(t, &o, &r), 0);
	CHECK_INT(r.end, PROC_NOEXEC);
	CHECK_STR(r.err, "cannot change to folder '/nonexistent-folder': "
	    "No such file or directory");
	proc_result_release(&r);
}

static void
test_env(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	char *add[] = { "AR_TEST_NEW=4 2", "HOME=/elsewhere", NULL };

	setenv("HOME", "/home/somebody", 1);
	setenv("AR_TEST_KEPT", "kept", 1);
	o.env = add;
	CHECK_INT(run(sh("printf '%s|%s|%s' \"$AR_TEST_NEW\" \"$HOME\" "
	    "\"$AR_TEST_KEPT\""), &o, &r), 0);
	CHECK_STR(r.out, "4 2|/elsewhere|kept");
	proc_result_release(&r);
	/* Ours is untouched. */
	CHECK_STR(getenv("HOME"), "/home/somebody");
	CHECK(getenv("AR_TEST_NEW") == NULL);
}

static void
test_cwd_stdin(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	char *const pwd[] = { "pwd", "-P", NULL };
	char *const cat[] = { "cat", NULL };
	char tmpl[] = "/tmp/test_proc.XXXXXX", *dir, real[4096];

	dir = mkdtemp(tmpl);
	CHECK(dir != NULL);
	if (dir == NULL || realpath(dir, real) == NULL)
		return;
	strcat(real, "\n");
	o.cwd = dir;
	CHECK_INT(run(pwd, &o, &r), 0);
	CHECK_STR(r.out, real);
	proc_result_release(&r);
	rmdir(dir);

	/* stdin is /dev/null: cat ends at once. */
	o.cwd = NULL;
	o.timeout_s = 5;
	CHECK_INT(run(cat, &o, &r), 0);
	CHECK_INT(r.end, PROC_EXITED);
	CHECK_STR(r.out, "");
	proc_result_release(&r);
}

static void
test_stdout_to(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	char tmpl[] = "/tmp/test_proc.XXXXXX", buf[64];
	ssize_t n;
	int fd = mkstemp(tmpl);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	o.stdout_to = fd;
	CHECK_INT(run(sh("echo to-file; echo to-err >&2"), &o, &r), 0);
	CHECK_STR(r.out, "");
	CHECK_STR(r.err, "to-err\n");
	proc_result_release(&r);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "to-file\n");
	close(fd);
	unlink(tmpl);
}

static void
test_rlimits_set(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;

	o.rlimit_as = 512 * 1024 * 1024;
	o.rlimit_cpu_s = 2.5;
	CHECK_INT(run(sh("ulimit -v; ulimit -t; ulimit -c"), &o, &r), 0);
	CHECK_STR(r.out, "524288\n3\n0\n");
	proc_result_release(&r);
}

static void
test_rlimit_fsize(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	char tmpl[] = "/tmp/test_proc.XXXXXX", *dir, script[256];

	if ((dir = mkdtemp(tmpl)) == NULL)
		return;
	o.rlimit_fsize = 4096;
	snprintf(script, sizeof(script), "head -c 100000 /dev/zero >%s/f",
	    dir);
	CHECK_INT(run(sh(script), &o, &r), 0);
	/* head dies of SIGXFSZ; the shell reports it as 128 + signal. */
	CHECK(r.end == PROC_EXITED && r.code == 128 + SIGXFSZ);
	proc_result_release(&r);
	snprintf(script, sizeof(script), "%s/f", dir);
	unlink(script);
	rmdir(dir);
}

static int
fn_spin(void *ctx, int fd)
{
	volatile unsigned long n = 0;

	(void)ctx;
	(void)fd;
	for (;;)
		n++;
	return 0;
}

static void
test_rlimit_cpu(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	struct ar_err err;

	o.rlimit_cpu_s = 0.5;
	o.timeout_s = 10;
	CHECK_INT(proc_call(fn_spin, NULL, &o, &r, &err), 0);
	CHECK_INT(r.end, PROC_SIGNALED);
	CHECK(r.sig == SIGXCPU || r.sig == SIGKILL);
	CHECK(r.wall_s < 5);
	proc_result_release(&r);
}

struct big {
	size_t n;
};

static int
fn_result(void *ctx, int fd)
{
	struct big *b = ctx;
	char chunk[4096];
	size_t i;

	printf("to stdout");
	fprintf(stderr, "to stderr");
	if (write(fd, "result:", 7) != 7)
		return 100;
	memset(chunk, 'r', sizeof(chunk));
	for (i = 0; i < b->n; i += sizeof(chunk))
		if (write(fd, chunk, sizeof(chunk)) < 0)
			return 101;
	return 5;
}

static void
test_call_result(void)
{
	struct proc_result r;
	struct ar_err err;
	struct big b = { 0 };

	CHECK_INT(proc_call(fn_result, &b, NULL, &r, &err), 0);
	CHECK_INT(r.end, PROC_EXITED);
	CHECK_INT(r.code, 5);
	CHECK_STR(r.result, "result:");
	CHECK_INT(r.resultlen, 7);
	CHECK_STR(r.out, "to stdout");
	CHECK_STR(r.err, "to stderr");
	proc_result_release(&r);

	/* More than a pipe holds, so it must be read while waiting. */
	b.n = 1 << 20;
	CHECK_INT(proc_call(fn_result, &b, NULL, &r, &err), 0);
	CHECK_INT(r.code, 5);
	CHECK_INT(r.resultlen, 7 + (1 << 20));
	proc_result_release(&r);
}

static void
test_describe(void)
{
	struct proc_result r;
	char buf[128];

	memset(&r, 0, sizeof(r));
	r.end = PROC_EXITED;
	r.code = 3;
	CHECK_STR(proc_describe(&r, buf, sizeof(buf)),
	    "exited with status 3");
	r.end = PROC_SIGNALED;
	r.sig = SIGSEGV;
	CHECK_STR(proc_describe(&r, buf, sizeof(buf)),
	    "killed by signal 11 (Segmentation fault)");
	r.end = PROC_TIMEOUT;
	r.wall_s = 10.0004;
	CHECK_STR(proc_describe(&r, buf, sizeof(buf)),
	    "timed out after 10 s");
	r.wall_s = 0.2001;
	CHECK_STR(proc_describe(&r, buf, sizeof(buf)),
	    "timed out after 0.2 s");
	r.end = PROC_NOEXEC;
	r.code = EACCES;
	CHECK_STR(proc_describe(&r, buf, sizeof(buf)),
	    "could not be started: Permission denied");
	/* A small buffer still ends in a NUL. */
	r.end = PROC_EXITED;
	CHECK_STR(proc_describe(&r, buf, 7), "exited");
}

/* With SIGCHLD ignored the kernel reaps the child: no status to report,
 * and that is said, not made up (nor waited for forever). */
static void
test_sigchld_ignored(void)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	struct ar_err err;
	char *const t[] = { "true", NULL };

	o.timeout_s = 5;
	signal(SIGCHLD, SIG_IGN);
	CHECK_INT(proc_run(t, &o, &r, &err), -1);
	CHECK(strstr(err.msg, "was lost (is SIGCHLD ignored?)") != NULL);
	CHECK(r.out == NULL && r.err == NULL);
	signal(SIGCHLD, SIG_DFL);
}

/* After all of the above, no child of ours is left to reap. */
static void
test_no_zombies(void)
{
	errno = 0;
	CHECK_INT(waitpid(-1, NULL, WNOHANG), -1);
	CHECK_INT(errno, ECHILD);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_exit_codes);
	RUN(test_signals);
	RUN(test_call_signal);
	RUN(test_timeout);
	RUN(test_timeout_group);
	RUN(test_leftover);
	RUN(test_capture);
	RUN(test_truncation);
	RUN(test_noexec);
	RUN(test_env);
	RUN(test_cwd_stdin);
	RUN(test_stdout_to);
	RUN(test_rlimits_set);
	RUN(test_rlimit_fsize);
	RUN(test_rlimit_cpu);
	RUN(test_call_result);
	RUN(test_describe);
	RUN(test_sigchld_ignored);
	RUN(test_no_zombies);
	return check_done("test_proc");
}
