/* test-state.c - the policy and library-cache codec. */
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "tap.h"

static int parse_policy(const char *text, struct policy *p, struct strbuf *err)
{
	policy_release(p);
	strbuf_reset(err);
	return policy_parse(text, strlen(text), p, err);
}

static void test_roundtrip(void)
{
	struct policy p, q;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	policy_init(&p);
	policy_init(&q);
	p.venv = xstrdup("/home/u/my proj é/.venv");
	p.project = xstrdup("/home/u/my proj é");
	p.python = xstrdup("/usr/bin/python3.11");
	p.system_site = true;
	strvec_push(&p.expose, "/usr/lib/python3.11");
	strvec_push(&p.expose_to, "/usr/lib/python3.11");
	strvec_push(&p.lib_dirs, "/opt/py/lib");
	strvec_push(&p.bwrap_args, "--setenv");
	strvec_push(&p.bwrap_args, "MULTI");
	strvec_push(&p.bwrap_args, "line one\nline two\\ and \x01 \x7f tab\t");
	strvec_push(&p.bwrap_args, "");
	policy_format(&p, &out);
	ok(!strchr(out.buf, '\x01') && !strchr(out.buf, '\t'), "control bytes are escaped");
	is_int(policy_parse(out.buf, out.len, &q, &err), 0, "a formatted policy parses");
	is_str(q.venv, p.venv, "venv path with blanks and UTF-8 round-trips");
	is_str(q.python, p.python, "python round-trips");
	ok(q.system_site && !q.disable_userns, "booleans round-trip");
	is_int((long long)q.bwrap_args.nr, 4, "every bwrap argument round-trips, the empty one too");
	is_str(q.bwrap_args.v[2], p.bwrap_args.v[2], "newline, backslash and control bytes round-trip");
	is_str(q.lib_dirs.v[0], "/opt/py/lib", "lib-dir round-trips");
	ok(q.expose_to.nr == 1 && !strcmp(q.expose_to.v[0], "/usr/lib/python3.11"),
	   "where an exposed path led round-trips");
	policy_release(&p);
	policy_release(&q);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void test_malformed(void)
{
	static const struct {
		const char *text, *want, *what;
	} cases[] = {
		{ "", "is empty", "empty file" },
		{ "sandbox-venv 2\n", "unknown format", "a newer format is refused" },
		{ "other 1\n", "unknown format", "no header" },
		{ "sandbox-venv 1\nvenv /v\n", "incomplete", "missing keys" },
		{ "sandbox-venv 1\nvenv /v\nproject /p\npython /p\nexpose /e\n", "incomplete",
		  "an exposed path without where it led" },
		{ "sandbox-venv 1\nexpose-to /e\n", "must follow", "where it led, with no path" },
		{ "sandbox-venv 1\nvenv /v", "truncated", "no final newline: a torn write" },
		{ "sandbox-venv 1\nvenv relative\n", "absolute", "a relative venv path" },
		{ "sandbox-venv 1\nvenv /a\nvenv /b\n", "twice", "a key given twice" },
		{ "sandbox-venv 1\nshell-hook /x\n", "unknown record", "an unknown key is not ignored" },
		{ "sandbox-venv 1\nbwrap-arg a\\qb\n", "malformed value", "an unknown escape" },
		{ "sandbox-venv 1\nbwrap-arg a\\x00\n", "malformed value", "an escaped NUL" },
		{ "sandbox-venv 1\nbwrap-arg a\\x4\n", "malformed value", "a short hex escape" },
		{ "sandbox-venv 1\nbwrap-arg a\\\n", "malformed value", "a trailing backslash" },
		{ "sandbox-venv 1\nbwrap-arg a\tb\n", "malformed value", "a raw tab" },
		{ "sandbox-venv 1\nnospace\n", "malformed record", "a record without a value" },
		{ "sandbox-venv 1\n venv /x\n", "malformed record", "an empty key" },
		{ "sandbox-venv 1\nsystem-site yes\n", "0 or 1", "a boolean that is not 0 or 1" },
	};
	struct policy p;
	struct strbuf err = STRBUF_INIT;
	size_t i;

	policy_init(&p);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = parse_policy(cases[i].text, &p, &err);

		ok(r == -1 && strstr(err.buf, cases[i].want), "refused: %s", cases[i].what);
		if (r != -1 || !strstr(err.buf, cases[i].want))
			printf("#   err: %s\n", err.buf);
	}
	/* NUL inside the text. */
	strbuf_reset(&err);
	policy_release(&p);
	is_int(policy_parse("sandbox-venv 1\nvenv /a\0b\n", 24, &p, &err), -1,
	       "refused: a NUL byte");
	policy_release(&p);
	strbuf_release(&err);
}

static void test_libs(void)
{
	struct strvec libs = STRVEC_INIT, back = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	strvec_push(&libs, "/lib/x86_64-linux-gnu/libc.so.6");
	strvec_push(&libs, "/odd/name\nwith newline.so");
	libs_format(&libs, &out);
	is_int(libs_parse(out.buf, out.len, &back, &err), 0, "library cache parses");
	is_int((long long)back.nr, 2, "library cache: both entries");
	is_str(back.v[1], libs.v[1], "library cache: a newline in a name round-trips");
	strbuf_reset(&err);
	strvec_clear(&back);
	is_int(libs_parse("sandbox-venv 1\nlib relative\n", 29, &back, &err), -1,
	       "library cache: a relative path is refused");
	strbuf_reset(&err);
	is_int(libs_parse("sandbox-venv 1\nexpose /x\n", 25, &back, &err), -1,
	       "library cache: a policy record is refused");
	strvec_clear(&libs);
	strvec_clear(&back);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void test_fuzz(void)
{
	static const char seed[] = "sandbox-venv 1\nvenv /v\nproject /\npython /p\n"
				   "bwrap-arg a\\nb\\x01\\\\\nexpose /e\nsystem-site 1\n";
	unsigned long x = 12345;
	char buf[sizeof(seed)];
	int i, bad = 0;

	for (i = 0; i < 20000; i++) {
		struct policy p;
		struct strbuf err = STRBUF_INIT;
		int r, k;

		memcpy(buf, seed, sizeof(seed));
		for (k = 0; k < 1 + i % 4; k++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			buf[(x >> 33) % (sizeof(seed) - 1)] = (char)(x >> 24);
		}
		policy_init(&p);
		r = policy_parse(buf, sizeof(seed) - 1, &p, &err);
		if (r != 0 && r != -1)
			bad++;
		if (r == -1 && (!err.len || strchr(err.buf, '\n')))
			bad++;
		if (r == 0 && (!p.venv || p.venv[0] != '/'))
			bad++;
		policy_release(&p);
		strbuf_release(&err);
	}
	is_int(bad, 0, "20000 mutated policies: each parses or fails with one line");
}

int main(void)
{
	test_roundtrip();
	test_malformed();
	test_libs();
	test_fuzz();
	return done_testing();
}
