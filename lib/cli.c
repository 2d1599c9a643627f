#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void
cli_setprogname(char *argv[])
{
	char *slash;

	if (argv[0] == NULL)
		return;
	if ((slash = strrchr(argv[0], '/')) != NULL && slash[1] != '\0')
		argv[0] = slash + 1;
	ar_setprogname(argv[0]);
}

void
cli_usage(const char *synopsis)
{
	fputs(synopsis, stderr);
	exit(AR_EXIT_USAGE);
}

void
cli_bad_usage(const char *synopsis, const char *fmt, ...)
{
	/* ar_warn takes no va_list, so the message is formatted here. */
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ar_warn("%s", msg);
	cli_usage(synopsis);
}

void
cli_help(const char *synopsis, const char *text)
{
	fputs(synopsis, stdout);
	putchar('\n');
	fputs(text, stdout);
	exit(AR_EXIT_OK);
}

int
cli_version(const char *name)
{
	printf("%s %s\n", name, AR_VERSION);
	return ar_fshut(stdout, "stdout");
}

long
cli_long(const char *synopsis, const char *opt, const char *arg, long min,
    long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		if (max == LONG_MAX)
			cli_bad_usage(synopsis, "%s: '%s' is not an integer of "
			    "at least %ld", opt, arg, min);
		else
			cli_bad_usage(synopsis, "%s: '%s' is not an integer "
			    "from %ld to %ld", opt, arg, min, max);
	}
	return v;
}

uint64_t
cli_seed(const char *synopsis, const char *opt, const char *arg)
{
	unsigned long long v;
	char *end;

	/* strtoull would take a sign, and negate what follows a '-'. */
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end != '\0' || errno != 0)
		cli_bad_usage(synopsis, "%s: '%s' is not an integer of at "
		    "least 0", opt, arg);
	return (uint64_t)v;
}

double
cli_seconds(const char *synopsis, const char *opt, const char *arg,
    int zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* Written so that a NaN fails too. */
	if (*arg == '\0' || *end != '\0' || errno != 0 ||
	    !(zero_ok ? v >= 0 : v > 0) || v > 1e9)
		cli_bad_usage(synopsis, "%s: '%s' is not a number of seconds%s",
		    opt, arg, zero_ok ? "" : " greater than 0");
	return v;
}

char *const *
cli_inputs(const char *synopsis, int *argc, char *const *argv)
{
	static char *const stdin_only[] = { "-", NULL };
	int i, nstdin = 0;

	for (i = 0; i < *argc; i++)
		nstdin += strcmp(argv[i], "-") == 0;
	if (nstdin > 1)
		cli_bad_usage(synopsis, "the standard input can be read only "
		    "once");
	if (*argc > 0)
		return argv;
	*argc = 1;
	return stdin_only;
}

FILE *
cli_open_input(const char *path)
{
	FILE *f;

	if (strcmp(path, "-") == 0)
		return stdin;
	if ((f = fopen(path, "r")) == NULL)
		ar_die(AR_EXIT_USAGE, "cannot open '%s': %s", path,
		    strerror(errno));
	return f;
}

void
cli_close_input(FILE *f)
{
	if (f != stdin)
		fclose(f);
}

void
cli_warn(const char *msg)
{
	ar_warn("%s", msg);
}

long
cli_ncpus(long max)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > max ? max : n;
}
