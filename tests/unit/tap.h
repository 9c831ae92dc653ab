/* tap.h - minimal TAP producer for the C unit tests.
 *
 *   ok(cond, "what %s", x);        prints "ok N - what" or "not ok N - what"
 *   is_str(got, want, "what");     string equality, shows both on failure
 *   is_int(got, want, "what");     integer equality
 *   skip("reason");                prints "ok N # SKIP reason"
 *   return done_testing();         prints "1..N" and returns the exit status
 */
#ifndef SV_TAP_H
#define SV_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

__attribute__((unused))
static int is_str(const char *got, const char *want, const char *what)
{
	int same = (got && want) ? strcmp(got, want) == 0 : got == want;

	if (!ok(same, "%s", what))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return same;
}

__attribute__((unused))
static int is_int(long long got, long long want, const char *what)
{
	if (!ok(got == want, "%s", what))
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return got == want;
}

__attribute__((unused))
static void skip(const char *reason)
{
	printf("ok %d # SKIP %s\n", ++tap_n, reason);
}

__attribute__((unused))
static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
