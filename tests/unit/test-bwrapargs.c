/* test-bwrapargs.c - splitting BWRAP_ARGS: spaces or lines, no quoting,
 * caps, control characters, fuzzing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bwrapargs.h"
#include "tap.h"

static struct strvec out = STRVEC_INIT;
static struct strbuf err = STRBUF_INIT;

static int split(const char *value)
{
	strvec_clear(&out);
	strbuf_reset(&err);
	return bwrapargs_split(value, &out, &err);
}

/* out joined with '|'. */
static const char *joined(void)
{
	static struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_reset(&sb);
	for (i = 0; i < out.nr; i++) {
		if (i)
			strbuf_addch(&sb, '|');
		strbuf_addstr(&sb, out.v[i]);
	}
	return sb.buf;
}

static void expect_args(const char *value, const char *want, const char *what)
{
	if (split(value) != 0)
		ok(0, "%s (error: %s)", what, err.buf);
	else
		is_str(joined(), want, what);
}

static void expect_error(const char *value, const char *want, const char *what)
{
	if (split(value) != -1) {
		ok(0, "%s (split succeeded: '%s')", what, joined());
		return;
	}
	is_str(err.buf, want, what);
}

static void test_split(void)
{
	expect_args("", "", "empty value gives no arguments");
	expect_args("   \t ", "", "only blanks give no arguments");
	expect_args("--ro-bind /a /b", "--ro-bind|/a|/b", "space-delimited");
	expect_args("  --bind\t\t/a   /b \t", "--bind|/a|/b",
		    "runs of spaces and tabs, leading and trailing ignored");
	expect_args("--bind\n/my dir\n/in sandbox\n", "--bind|/my dir|/in sandbox",
		    "line-delimited keeps spaces inside arguments");
	expect_args("--bind\r\n/a b\r\n/c\r\n", "--bind|/a b|/c",
		    "line-delimited: trailing CR removed");
	expect_args("\n\n--unshare-net\n\n\r\n--die-with-parent", "--unshare-net|--die-with-parent",
		    "line-delimited: empty lines skipped, last line without newline");
	expect_args(" lead\ttab \n", " lead\ttab ",
		    "line-delimited: blanks around a line are kept");
	expect_args("a\r\r\nb", "a\r|b", "line-delimited: only one trailing CR is removed");
	expect_args("one\n", "one", "a single line with a newline is line mode");
	expect_args("'a b' \"c d\"", "'a|b'|\"c|d\"", "no quoting: quotes are literal");
	expect_args("a\\ b", "a\\|b", "no escapes: backslash is literal");
	expect_args("$HOME ${X} $(id) `id` ~ *", "$HOME|${X}|$(id)|`id`|~|*",
		    "no expansion of any kind");
	expect_args("a\rb", "a\rb", "space mode: CR is data");
	expect_args("\xc3\xa9 /caf\xc3\xa9", "\xc3\xa9|/caf\xc3\xa9", "UTF-8 bytes are data");

	strvec_clear(&out);
	strbuf_reset(&err);
	strvec_push(&out, "bwrap");
	ok(bwrapargs_split("--a --b", &out, &err) == 0 &&
	   strcmp(joined(), "bwrap|--a|--b") == 0, "arguments are appended to out");
}

static void test_errors(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	expect_error("--a\x01", "BWRAP_ARGS: control character 0x01 at byte 4",
		     "error: control character 0x01");
	expect_error("a\nb\x1b[m\n", "BWRAP_ARGS: control character 0x1b at byte 4",
		     "error: escape in line mode");
	expect_error("x\x7f", "BWRAP_ARGS: control character 0x7f at byte 2",
		     "error: DEL");
	expect_error("\x0b", "BWRAP_ARGS: control character 0x0b at byte 1",
		     "error: vertical tab is not a separator");

	for (i = 0; i < BWRAPARGS_MAX_ARGS; i++)
		strbuf_addstr(&sb, "a ");
	ok(split(sb.buf) == 0 && out.nr == BWRAPARGS_MAX_ARGS, "4096 arguments are accepted");
	strbuf_addstr(&sb, "b");
	expect_error(sb.buf, "BWRAP_ARGS: more than 4096 arguments",
		     "error: 4097 space-delimited arguments");
	strbuf_reset(&sb);
	for (i = 0; i <= BWRAPARGS_MAX_ARGS; i++)
		strbuf_addstr(&sb, "a b\n");
	expect_error(sb.buf, "BWRAP_ARGS: more than 4096 arguments",
		     "error: 4097 line-delimited arguments");

	strbuf_reset(&sb);
	strbuf_addstr(&sb, "--x ");
	for (i = 0; i < BWRAPARGS_MAX_ARG; i++)
		strbuf_addch(&sb, 'p');
	ok(split(sb.buf) == 0 && out.nr == 2 && strlen(out.v[1]) == BWRAPARGS_MAX_ARG,
	   "a 64 KiB argument is accepted");
	strbuf_addch(&sb, 'p');
	expect_error(sb.buf, "BWRAP_ARGS: argument 2 is longer than 65536 bytes",
		     "error: an argument of 64 KiB + 1");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "--x\n");
	for (i = 0; i <= BWRAPARGS_MAX_ARG; i++)
		strbuf_addch(&sb, i % 2 ? ' ' : 'p');
	strbuf_addstr(&sb, "\r\n");
	expect_error(sb.buf, "BWRAP_ARGS: argument 2 is longer than 65536 bytes",
		     "error: a line of 64 KiB + 1");
	strbuf_release(&sb);

	strvec_clear(&out);
	strbuf_reset(&err);
	strvec_push(&out, "bwrap");
	ok(bwrapargs_split("--a --b \x02", &out, &err) == -1 && out.nr == 1,
	   "an error leaves out unchanged");
}

static uint64_t rng_state = 0x13198a2e03707344ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static bool result_sane(int rc, const char *value)
{
	bool lines = strchr(value, '\n') != NULL;
	size_t i;

	if (rc == -1)
		return err.len > 0 && !strchr(err.buf, '\n') && out.nr == 0;
	if (rc != 0 || err.len)
		return false;
	for (i = 0; i < out.nr; i++) {
		const char *a = out.v[i];
		size_t n = strlen(a);

		if (n == 0 || strchr(a, '\n') || (!lines && strpbrk(a, " \t")))
			return false;
	}
	return true;
}

static void test_fuzz(void)
{
	static const char *const seeds[] = {
		"--ro-bind /a /b --unshare-net",
		"--bind\n/my dir\n/x\r\n\n--die-with-parent\n",
	};
	char buf[512];
	int i, bad_random = 0, bad_mutated = 0;

	for (i = 0; i < 20000; i++) {
		size_t n = rnd() % (sizeof(buf) - 1), j;

		for (j = 0; j < n; j++) {
			uint64_t r = rnd();

			buf[j] = (r & 3) ? " \t\n\r-a/"[(r >> 8) % 7] : (char)(r >> 16);
		}
		buf[n] = '\0';
		if (!result_sane(split(buf), buf))
			bad_random++;
	}
	ok(bad_random == 0, "fuzz: 20000 random inputs, no crash, sane results (%d bad)",
	   bad_random);

	for (i = 0; i < 20000; i++) {
		const char *seed = seeds[rnd() % ARRAY_SIZE(seeds)];
		size_t n = strlen(seed), k, edits = 1 + rnd() % 4;

		memcpy(buf, seed, n);
		for (k = 0; k < edits; k++) {
			size_t at = n ? rnd() % n : 0;

			switch (rnd() % 3) {
			case 0:
				if (n)
					buf[at] = (char)rnd();
				break;
			case 1:
				if (n + 2 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = " \t\n\r\x01"[rnd() % 5];
					n++;
				}
				break;
			default:
				if (n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
				break;
			}
		}
		buf[n] = '\0';
		if (!result_sane(split(buf), buf))
			bad_mutated++;
	}
	ok(bad_mutated == 0, "fuzz: 20000 mutated inputs, no crash, sane results (%d bad)",
	   bad_mutated);
}

int main(void)
{
	test_split();
	test_errors();
	test_fuzz();
	strvec_clear(&out);
	strbuf_release(&err);
	return done_testing();
}
