/*
 * check: the smallest unit-test harness that does the job.  Each test
 * program includes this, calls CHECK* in test functions run by RUN(), and
 * returns check_done(), which prints how many checks ran and then
 * "NAME: N passed, N failed" counting test functions (a function passes
 * when every check in it did), and gives the exit status.  A failed
 * check prints file, line and the expression, and the test goes on, so
 * one run shows every failure.
 */
#ifndef AR_CHECK_H
#define AR_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed, check_tests_passed,
    check_tests_failed;

#define CHECK(cond) do { \
	if (cond) \
		check_passed++; \
	else { \
		check_failed++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
	if (check_a_ == check_b_) \
		check_passed++; \
	else { \
		check_failed++; \
		fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", \
		    __FILE__, __LINE__, #a, check_a_, check_b_); \
	} \
} while (0)

#define CHECK_DBL(a, b, tol) do { \
	double check_a_ = (a), check_b_ = (b); \
	if (fabs(check_a_ - check_b_) <= (tol)) \
		check_passed++; \
	else { \
		check_failed++; \
		fprintf(stderr, "%s:%d: %s is %.17g, expected %.17g\n", \
		    __FILE__, __LINE__, #a, check_a_, check_b_); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *check_a_ = (a), *check_b_ = (b); \
	if (check_a_ != NULL && check_b_ != NULL && \
	    strcmp(check_a_, check_b_) == 0) \
		check_passed++; \
	else { \
		check_failed++; \
		fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
		    __FILE__, __LINE__, #a, check_a_ ? check_a_ : "(null)", \
		    check_b_ ? check_b_ : "(null)"); \
	} \
} while (0)

#define RUN(fn) do { \
	int check_before_ = check_failed; \
	fn(); \
	if (check_failed != check_before_) { \
		check_tests_failed++; \
		fprintf(stderr, "FAIL %s\n", #fn); \
	} else \
		check_tests_passed++; \
} while (0)

static inline int
check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name,
	    check_passed + check_failed, check_failed);
	printf("%s: %d passed, %d failed\n", name, check_tests_passed,
	    check_tests_failed);
	return check_failed != 0;
}

#endif
