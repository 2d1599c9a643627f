/*
 * What the sandbox costs outside the kernel's work (pipelines/bench/
 * sandbox.sh): the time to enter it, and the time of a system
 * call the filters let through, without and then with them, in one
 * process.  Prints one JSON line.
 *
 *   sandbox_cost [CALLS]   (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

/* The mean time of a getppid(2), the cheapest call, made n times. */
static double
call_ns(long n)
{
	double t0 = ar_now();
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (ar_now() - t0) / (double)n * 1e9;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double off, on, t0, enter;
	struct ar_err err;

	off = call_ns(n);
	t0 = ar_now();
	if (sandbox_enter(-1, &err) != 0) {
		fprintf(stderr, "sandbox_cost: %s\n", err.msg);
		return 1;
	}
	enter = ar_now() - t0;
	on = call_ns(n);
	printf("{\"enter_ms\":%.3f,\"call_ns_off\":%.1f,\"call_ns_on\":%.1f}\n",
	    enter * 1e3, off, on);
	return 0;
}
