/* test-dotenv.c - the .env parser: syntax, errors with line and column,
 * caps, policy names refused, shell code kept as data, fuzzing. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dotenv.h"
#include "tap.h"

static struct strvec out = STRVEC_INIT;
static struct strvec ign = STRVEC_INIT;
static struct strbuf err = STRBUF_INIT;

static int parse_n(const char *text, size_t len)
{
	strvec_clear(&out);
	strvec_clear(&ign);
	strbuf_reset(&err);
	return dotenv_parse(text, len, ".env", &out, &ign, &err);
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* The value of key in out, or NULL. */
static const char *get(const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < out.nr; i++)
		if (strncmp(out.v[i], key, n) == 0 && out.v[i][n] == '=')
			return out.v[i] + n + 1;
	return NULL;
}

/* out joined with '|', for checking order and content at once. */
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

static void expect_vars(const char *text, const char *want, const char *what)
{
	if (parse(text) != 0)
		ok(0, "%s (error: %s)", what, err.buf);
	else
		is_str(joined(), want, what);
}

static void expect_error(const char *text, size_t len, const char *want,
			 const char *what)
{
	int rc = parse_n(text, len);
	cleanup_free char *skipped = xasprintf("%s; that line is ignored", want);

	/* A NUL or a cap: the file is refused; a line that does not parse:
	 * skipped, with the message among the ignored. */
	if (rc == -1) {
		is_str(err.buf, want, what);
		return;
	}
	ok(rc == 0 && strvec_find(&ign, skipped) >= 0 && !err.len,
	   "%s (a warning, the line skipped)", what);
	if (strvec_find(&ign, skipped) < 0)
		printf("#   got: %s\n#   want: %s\n", ign.nr ? ign.v[0] : "(none)", skipped);
}

static void test_syntax(void)
{
	expect_vars("A=1\nB=two words\n", "A=1|B=two words", "plain KEY=VALUE lines");
	expect_vars("A=1", "A=1", "last line without a newline");
	expect_vars("\n\n  \n\t\nA=1\n\n", "A=1", "blank lines are skipped");
	expect_vars("# comment\n   # indented comment\n\t#tab\nA=1 # trailing\n",
		    "A=1", "comment lines are skipped");
	expect_vars("export A=1\nexport    B=2\nexport\tC=3\nexport \t D=4\n",
		    "A=1|B=2|C=3|D=4", "export prefix with any blanks after it");
	expect_vars("export=1\n", "export=1", "a variable named export");
	expect_vars("export = 1\n", "export=1", "a variable named export with blanks");
	expect_vars("exported=1\n", "exported=1", "a name starting with export");
	expect_vars("A = 1\nB\t=\t2\nC= 3\nD =4\n", "A=1|B=2|C=3|D=4",
		    "blanks around '='");
	expect_vars("  A=1\n\tB=2\n", "A=1|B=2", "leading blanks before the name");
	expect_vars("_a_B9=x\n", "_a_B9=x", "name with underscore, digits, mixed case");
}

static void test_values(void)
{
	expect_vars("A=\nB=   \nC= # comment\nD=\t#c\n", "A=|B=|C=|D=",
		    "empty values");
	expect_vars("A=a b  c   \n", "A=a b  c", "unquoted: trailing blanks trimmed, inner kept");
	expect_vars("A=x #c\nB=y\t#c\n", "A=x|B=y", "unquoted: ' #' and '\\t#' start a comment");
	expect_vars("A=b#c\nB=#x\nC=http://h/#frag\n", "A=b#c|B=#x|C=http://h/#frag",
		    "unquoted: '#' without a blank before it is data");
	expect_vars("A=a\\nb\\t\n", "A=a\\nb\\t", "unquoted: no escapes");
	expect_vars("A=it's \"x\"\n", "A=it's \"x\"", "unquoted: quotes inside are data");
	expect_vars("A='a\\nb $X # c \"'\n", "A=a\\nb $X # c \"",
		    "single-quoted: literal, no escapes, no comment");
	expect_vars("A='line1\nline2'\nB=2\n", "A=line1\nline2|B=2",
		    "single-quoted: may span lines");
	expect_vars("A=''\nB=\"\"\n", "A=|B=", "empty quoted values");
	expect_vars("A=\"n\\nr\\rt\\tb\\\\q\\\"s\\'d\\$\"\n",
		    "A=n\nr\rt\tb\\q\"s'd$", "double-quoted: every escape");
	expect_vars("A=\"\\a\\x\\0\\ \"\n", "A=\\a\\x\\0\\ ",
		    "double-quoted: unknown escapes keep the backslash");
	expect_vars("A=\"one\ntwo\"\nB=2\n", "A=one\ntwo|B=2",
		    "double-quoted: may span lines");
	expect_vars("A=\"a\\\nb\"\n", "A=a\\\nb",
		    "double-quoted: backslash before a line break is kept");
	expect_vars("A=\"x\" # comment\nB='y'\t\nC=\"z\"#c\n", "A=x|B=y|C=z",
		    "after a closing quote: blanks and a comment");
	expect_vars("A=\" # not a comment \"\n", "A= # not a comment ",
		    "double-quoted: '#' and blanks inside are data");
}

static void test_crlf(void)
{
	expect_vars("A=1\r\nB=2  \r\n\r\n# c\r\nC=\"x\"\r\n", "A=1|B=2|C=x",
		    "CRLF line endings");
	expect_vars("A='a\r\nb'\r\nB=\"c\r\nd\"\r\n", "A=a\nb|B=c\nd",
		    "CRLF inside a quoted value reads as \\n");
	expect_vars("A=x\ry\n", "A=x\ry", "a lone CR is data");
}

static void test_no_expansion(void)
{
	expect_vars("HOME2=$HOME\nB=${HOME}\nC=\"$HOME ${PATH:-x}\"\nD='$HOME'\n",
		    "HOME2=$HOME|B=${HOME}|C=$HOME ${PATH:-x}|D=$HOME",
		    "no variable expansion in any form");
	expect_vars("A=\\$HOME\nB=\"\\$HOME\"\n", "A=\\$HOME|B=$HOME",
		    "\\$ is an escape only inside double quotes");
}

static void test_shell_code_is_data(void)
{
	char dir_tmpl[] = "/tmp/test-dotenv.XXXXXX";
	char *dir = mkdtemp(dir_tmpl);
	cleanup_free char *pwned = NULL, *text = NULL, *want = NULL;

	if (!dir) {
		skip("cannot create a temporary directory");
		return;
	}
	pwned = xasprintf("%s/pwned", dir);
	text = xasprintf("X=$(touch %s)\nY=`touch %s`\nZ=\"$(touch %s)\"\n"
			 "W=a; touch %s\nV=|| touch %s &\n",
			 pwned, pwned, pwned, pwned, pwned);
	want = xasprintf("X=$(touch %s)|Y=`touch %s`|Z=$(touch %s)|"
			 "W=a; touch %s|V=|| touch %s &", pwned, pwned, pwned,
			 pwned, pwned);
	expect_vars(text, want, "shell code stays literal data");
	ok(access(pwned, F_OK) < 0 && errno == ENOENT,
	   "shell code in .env created nothing");
	unlink(pwned);
	rmdir(dir);
}

static void test_replace(void)
{
	expect_vars("A=1\nB=2\nA=3\n", "A=3|B=2", "a later assignment replaces in place");
	expect_vars("AB=1\nA=2\nA=3\n", "AB=1|A=3", "replacing matches the whole name");

	strvec_clear(&out);
	strvec_clear(&ign);
	strbuf_reset(&err);
	strvec_push(&out, "PRE=old");
	strvec_push(&out, "KEEP=k");
	ok(dotenv_parse("NEW=n\nPRE=new\n", 14, ".env", &out, &ign, &err) == 0 &&
	   strcmp(joined(), "PRE=new|KEEP=k|NEW=n") == 0,
	   "an assignment replaces an entry already in out");
}

static void test_policy(void)
{
	int rc = parse("A=1\nBWRAP_ARGS=--bind / /\nVERBOSE=1\n"
		       "SANDBOX_SECCOMP_ALLOW=ptrace\nSANDBOX_USE_PIP_CACHE=1\n"
		       "export SANDBOX_X=1\nB=2\n");

	is_int(rc, 0, "policy names do not make the file fail");
	is_str(joined(), "A=1|B=2", "policy names are not added");
	is_int((long long)ign.nr, 5, "one message per policy name");
	if (ign.nr == 5) {
		is_str(ign.v[0], ".env line 2: 'BWRAP_ARGS' is sandbox policy and cannot be set from .env",
		       "BWRAP_ARGS is ignored with a message");
		is_str(ign.v[1], ".env line 3: 'VERBOSE' is sandbox policy and cannot be set from .env",
		       "VERBOSE is ignored with a message");
		is_str(ign.v[2], ".env line 4: 'SANDBOX_SECCOMP_ALLOW' is sandbox policy and cannot be set from .env",
		       "SANDBOX_SECCOMP_ALLOW is ignored with a message");
		is_str(ign.v[3], ".env line 5: 'SANDBOX_USE_PIP_CACHE' is sandbox policy and cannot be set from .env",
		       "SANDBOX_USE_PIP_CACHE is ignored with a message");
		is_str(ign.v[4], ".env line 6: 'SANDBOX_X' is sandbox policy and cannot be set from .env",
		       "export SANDBOX_X is ignored with a message");
	}
	parse("SANDBOX_X='multi\nline'\nVERBOSE=\"x\"\n");
	ok(ign.nr == 2 && strcmp(ign.v[1], ".env line 3: 'VERBOSE' is sandbox "
				 "policy and cannot be set from .env") == 0,
	   "policy message line counts quoted line breaks");
	expect_vars("SANDBOX=1\nverbose=1\nMY_SANDBOX_X=1\nsandbox_x=1\nBWRAP_ARGS2=1\n",
		    "SANDBOX=1|verbose=1|MY_SANDBOX_X=1|sandbox_x=1|BWRAP_ARGS2=1",
		    "names that only resemble policy names are accepted");
	ok(dotenv_is_policy_name("BWRAP_ARGS") && dotenv_is_policy_name("VERBOSE") &&
	   dotenv_is_policy_name("SANDBOX_") && dotenv_is_policy_name("SANDBOX_ANY") &&
	   !dotenv_is_policy_name("SANDBOX") && !dotenv_is_policy_name("VERBOSE_") &&
	   !dotenv_is_policy_name("XBWRAP_ARGS"),
	   "dotenv_is_policy_name");
	expect_error("BWRAP_ARGS=\"x\n", 14,
		     ".env line 1, column 12: unterminated double-quoted value",
		     "a policy assignment is still checked for syntax");
}

#define ERR(text, want, what) expect_error(text, sizeof(text) - 1, want, what)

static void test_errors(void)
{
	ERR("KEY\n", ".env line 1, column 4: 'KEY' has no '=' (expected KEY=VALUE)",
	    "error: a name without '='");
	ERR("A=1\n  KEY  \r\n", ".env line 2, column 8: 'KEY' has no '=' (expected KEY=VALUE)",
	    "error: a name without '=' (blanks, CRLF)");
	ERR("export A\n", ".env line 1, column 9: 'A' has no '=' (expected KEY=VALUE)",
	    "error: export without '='");
	ERR("export\n", ".env line 1, column 7: 'export' has no '=' (expected KEY=VALUE)",
	    "error: export alone");
	ERR("A.B=1\n", ".env line 1, column 2: unexpected '.' after 'A' (expected '=')",
	    "error: '.' in a name");
	ERR("A-B=1\n", ".env line 1, column 2: unexpected '-' after 'A' (expected '=')",
	    "error: '-' in a name");
	ERR("A B=1\n", ".env line 1, column 3: unexpected 'B' after 'A' (expected '=')",
	    "error: a space in a name");
	ERR("1A=x\n", ".env line 1, column 1: expected a variable name, found '1'",
	    "error: a name starting with a digit");
	ERR("=x\n", ".env line 1, column 1: expected a variable name, found '='",
	    "error: no name before '='");
	ERR("\xc3\xa9=1\n", ".env line 1, column 1: expected a variable name, found byte 0xc3",
	    "error: a non-ASCII name");
	ERR("\x1b=1\n", ".env line 1, column 1: expected a variable name, found byte 0x1b",
	    "error: a control byte where a name belongs");
	ERR("export  $A=1\n", ".env line 1, column 9: unexpected '$' after 'export' (expected '=')",
	    "error: export followed by a non-name");
	ERR("A=1\nB=\"abc\n", ".env line 2, column 3: unterminated double-quoted value",
	    "error: unterminated double quote");
	ERR("A='abc\n\n", ".env line 1, column 3: unterminated single-quoted value",
	    "error: unterminated single quote");
	ERR("A=\"abc\\", ".env line 1, column 3: unterminated double-quoted value",
	    "error: backslash at the end inside double quotes");
	ERR("A=\"abc\\\"\n", ".env line 1, column 3: unterminated double-quoted value",
	    "error: escaped closing quote leaves it unterminated");
	ERR("A=\"x\" y\n", ".env line 1, column 7: unexpected 'y' after the closing quote",
	    "error: text after a closing double quote");
	ERR("A='x'y\n", ".env line 1, column 6: unexpected 'y' after the closing quote",
	    "error: text after a closing single quote");
	ERR("A='x''y'\n", ".env line 1, column 6: unexpected ''' after the closing quote",
	    "error: adjacent quoted strings");
	ERR("A=\"x\ny\" z\n", ".env line 2, column 4: unexpected 'z' after the closing quote",
	    "error: position after a multi-line value");
	ERR("A=\"x\ny\"\nB C=1\n", ".env line 3, column 3: unexpected 'C' after 'B' (expected '=')",
	    "error: line counting continues after a multi-line value");
	ERR("A=1\nB=x\0y\n", ".env line 2, column 4: NUL byte", "error: NUL in a value");
	ERR("\0", ".env line 1, column 1: NUL byte", "error: NUL alone");
	ERR("# c\n#\0\n", ".env line 2, column 2: NUL byte", "error: NUL in a comment");
}

static void test_error_leaves_output(void)
{
	strvec_clear(&out);
	strvec_clear(&ign);
	strbuf_reset(&err);
	strvec_push(&out, "PRE=1");
	ok(dotenv_parse("A=1\nVERBOSE=1\nB\0\n", 16, ".env", &out, &ign, &err) == -1 &&
	   out.nr == 1 && strcmp(out.v[0], "PRE=1") == 0 && ign.nr == 0,
	   "a NUL byte: the file is refused, out and ignored unchanged");
	strbuf_reset(&err);
	dotenv_parse("B\n", 2, "/p/.env", &out, &ign, &err);
	is_str(ign.nr ? ign.v[ign.nr - 1] : "", "/p/.env line 1, column 2: 'B' has no '=' "
	       "(expected KEY=VALUE); that line is ignored", "messages use the given file name");
	strvec_clear(&out);
	strvec_clear(&ign);
	ok(dotenv_parse("A='it''s'\nB=2\nC\nD=4\n", 20, ".env", &out, &ign, &err) == 0 &&
	   !strcmp(joined(), "B=2|D=4") && ign.nr == 2,
	   "lines that do not parse are skipped, the others read (as python-dotenv)");
	strvec_clear(&out);
	strvec_clear(&ign);
	ok(dotenv_parse("\xef\xbb\xbf" "A=1\n", 7, ".env", &out, &ign, &err) == 0 &&
	   !strcmp(joined(), "A=1") && !ign.nr, "a UTF-8 byte order mark is skipped");
}

static void test_caps(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 0; i < DOTENV_MAX_ASSIGNMENTS; i++)
		strbuf_addf(&sb, "K%d=%d\n", i, i);
	ok(parse_n(sb.buf, sb.len) == 0 && out.nr == DOTENV_MAX_ASSIGNMENTS,
	   "4096 assignments are accepted");
	strbuf_addstr(&sb, "# comment\n\nONE_MORE=1\n");
	expect_error(sb.buf, sb.len,
		     ".env line 4099, column 1: more than 4096 assignments",
		     "error: the 4097th assignment");
	strbuf_reset(&sb);
	for (i = 0; i < DOTENV_MAX_ASSIGNMENTS + 1; i++)
		strbuf_addstr(&sb, "SAME=1\n");
	expect_error(sb.buf, sb.len,
		     ".env line 4097, column 1: more than 4096 assignments",
		     "error: repeated assignments of one name count too");

	strbuf_reset(&sb);
	for (i = 0; i < DOTENV_MAX_KEY; i++)
		strbuf_addch(&sb, 'K');
	strbuf_addstr(&sb, "=v\n");
	ok(parse_n(sb.buf, sb.len) == 0 && out.nr == 1, "a 256-byte name is accepted");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "A=1\n  ");
	for (i = 0; i < DOTENV_MAX_KEY + 1; i++)
		strbuf_addch(&sb, 'K');
	strbuf_addstr(&sb, "=v\n");
	expect_error(sb.buf, sb.len,
		     ".env line 2, column 3: variable name is longer than 256 bytes",
		     "error: a 257-byte name");

	strbuf_reset(&sb);
	strbuf_addstr(&sb, "V=");
	for (i = 0; i < DOTENV_MAX_VALUE; i++)
		strbuf_addch(&sb, 'v');
	ok(parse_n(sb.buf, sb.len) == 0 && strlen(get("V")) == DOTENV_MAX_VALUE,
	   "a 64 KiB unquoted value is accepted");
	strbuf_addch(&sb, 'v');
	expect_error(sb.buf, sb.len,
		     ".env line 1, column 3: value of 'V' is longer than 65536 bytes",
		     "error: an unquoted value of 64 KiB + 1");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "V=\"");
	for (i = 0; i < DOTENV_MAX_VALUE; i++)
		strbuf_addstr(&sb, "\\n");
	strbuf_addstr(&sb, "\"\n");
	ok(parse_n(sb.buf, sb.len) == 0 && strlen(get("V")) == DOTENV_MAX_VALUE,
	   "the value cap counts bytes after escapes");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "A=1\nV  =  '");
	for (i = 0; i < DOTENV_MAX_VALUE + 1; i++)
		strbuf_addch(&sb, i % 100 == 99 ? '\n' : 'x');
	strbuf_addstr(&sb, "'\n");
	expect_error(sb.buf, sb.len,
		     ".env line 2, column 7: value of 'V' is longer than 65536 bytes",
		     "error: a multi-line quoted value of 64 KiB + 1");
	strbuf_release(&sb);
}

/* xorshift64*: fixed seed, same sequence on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static bool valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > DOTENV_MAX_KEY)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return false;
	}
	return !(s[0] >= '0' && s[0] <= '9');
}

/* What must hold after any input: a result or one error line, never both. */
static bool result_sane(int rc)
{
	size_t i, j;

	if (rc == -1)
		return err.len > 0 && !memchr(err.buf, '\n', err.len) &&
		       out.nr == 0 && ign.nr == 0;
	if (rc != 0 || err.len)
		return false;
	for (i = 0; i < out.nr; i++) {
		const char *eq = strchr(out.v[i], '=');
		size_t klen;

		if (!eq)
			return false;
		klen = (size_t)(eq - out.v[i]);
		if (!valid_name(out.v[i], klen))
			return false;
		{
			cleanup_free char *k = xstrndup(out.v[i], klen);

			if (dotenv_is_policy_name(k))
				return false;
		}
		for (j = 0; j < i; j++)
			if (strncmp(out.v[j], out.v[i], klen + 1) == 0)
				return false;
	}
	return true;
}

static void test_fuzz(void)
{
	static const char *const seeds[] = {
		"A=1\nexport B = 'two'\n# c\nC=\"x\\ny\" # c\nD=e #f\n",
		"VERBOSE=1\nSANDBOX_X='a\nb'\nBWRAP_ARGS=\"--ro-bind / /\"\r\n",
		"X=$(touch /tmp/x)\nY=`id`\nZ=${HOME}\n",
		"A=\"\\$\\\\\\\"\\'\\t\\r\\n\\q\"\nB=''\nC=\n",
	};
	char buf[512];
	int i, bad_random = 0, bad_mutated = 0;

	for (i = 0; i < 20000; i++) {
		size_t n = rnd() % sizeof(buf), j;

		for (j = 0; j < n; j++) {
			uint64_t r = rnd();
			/* Mostly bytes that matter to the grammar. */
			buf[j] = (r & 3) ? "AZaz_09 \t=#'\"\\$\n\r\0export"[(r >> 8) % 22]
					 : (char)(r >> 16);
		}
		if (!result_sane(parse_n(buf, n)))
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

			switch (rnd() % 4) {
			case 0: /* replace a byte */
				if (n)
					buf[at] = (char)rnd();
				break;
			case 1: /* insert a byte */
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = "'\"\\#=\n\r \0"[rnd() % 9];
					n++;
				}
				break;
			case 2: /* delete a byte */
				if (n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
				break;
			default: /* truncate */
				n = at;
				break;
			}
		}
		if (!result_sane(parse_n(buf, n)))
			bad_mutated++;
	}
	ok(bad_mutated == 0, "fuzz: 20000 mutated inputs, no crash, sane results (%d bad)",
	   bad_mutated);
}

int main(void)
{
	test_syntax();
	test_values();
	test_crlf();
	test_no_expansion();
	test_shell_code_is_data();
	test_replace();
	test_policy();
	test_errors();
	test_error_leaves_output();
	test_caps();
	test_fuzz();
	strvec_clear(&out);
	strvec_clear(&ign);
	strbuf_release(&err);
	return done_testing();
}
