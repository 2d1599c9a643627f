/*
 * cli: the command line and its operands, as every ar-* program reads
 * them: option values checked against their range, the usage synopsis on
 * a usage error, --help and --version, and file operands where "-" is the
 * standard input.
 *
 * Unlike the rest of lib/, these functions act for main(): on bad usage
 * they warn, print the synopsis to stderr and exit 2, and a file that
 * cannot be opened exits 2, since there is nothing a caller could do
 * instead.  The synopsis is the program's own string, passed to each
 * function that may print it; the module keeps no state.
 *
 * Ownership: cli_inputs returns argv itself or a static array; neither is
 * to be freed.  A FILE from cli_open_input is released with
 * cli_close_input, which leaves the standard input open.
 */
#ifndef AR_CLI_H
#define AR_CLI_H

#include <stdint.h>
#include <stdio.h>

/*
 * The program's name for messages, ar_setprogname's, and argv[0] made
 * that name too: getopt_long names the program by argv[0] when it refuses
 * an option, and "/abs/path/bin/ar-score: unrecognized option" should read
 * as every other message does.  Call first in main().
 */
void cli_setprogname(char *argv[]);
/* ar_warn of msg as it is: for the library's warning callbacks. */
void cli_warn(const char *msg);

/* Prints synopsis to stderr and exits 2. */
void cli_usage(const char *synopsis) __attribute__((noreturn));
/* "prog: message" on stderr, then cli_usage. */
void cli_bad_usage(const char *synopsis, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* -h: synopsis, a blank line and text on stdout, then exit 0. */
void cli_help(const char *synopsis, const char *text)
    __attribute__((noreturn));

/*
 * --version: prints "name VERSION" on stdout and closes it; returns the
 * exit status, as main() does.
 */
int cli_version(const char *name);

/* The processors online, from 1 to max: the default of -j. */
long cli_ncpus(long max);

/*
 * The value arg of option opt, an integer from min to max in decimal;
 * max LONG_MAX means "at least min", and the message says so.
 */
long cli_long(const char *synopsis, const char *opt, const char *arg,
    long min, long max);

/* A seed: any unsigned 64-bit integer in decimal, no sign. */
uint64_t cli_seed(const char *synopsis, const char *opt, const char *arg);

/*
 * A number of seconds, at most 1e9; greater than 0, or 0 too when
 * zero_ok (where the caller reads 0 as "no limit").
 */
double cli_seconds(const char *synopsis, const char *opt, const char *arg,
    int zero_ok);

/*
 * The file operands of a program that reads records: argv, or "-" alone
 * when *argc is 0, which then becomes 1.  A usage error when "-" is given
 * more than once: the standard input can be read only once.
 */
char *const *cli_inputs(const char *synopsis, int *argc, char *const *argv);

/* Opens path for reading, or gives stdin for "-"; exits 2 if it cannot. */
FILE *cli_open_input(const char *path);
void cli_close_input(FILE *f);

#endif
