/* test-pyvenv.c - pyvenv.cfg: files written by python -m venv and
 * virtualenv at test time, uv's format, every error, caps, fuzzing. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "pyvenv.h"
#include "tap.h"

#define PYTHON "/usr/bin/python3"

static struct pyvenv pv;
static struct strbuf err = STRBUF_INIT;

static int parse_n(const char *text, size_t len)
{
	pyvenv_release(&pv);
	strbuf_reset(&err);
	return pyvenv_parse(text, len, "pyvenv.cfg", &pv, &err);
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

static void expect_error(const char *text, size_t len, const char *want,
			 const char *what)
{
	if (parse_n(text, len) != -1) {
		ok(0, "%s (parse succeeded)", what);
		return;
	}
	is_str(err.buf, want, what);
}

#define ERR(text, want, what) expect_error(text, sizeof(text) - 1, want, what)

/* Run argv (no shell) with stdout and stderr on /dev/null; exit status,
 * or -1 when it could not run or was killed. */
static int run(const char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int parse_file(const char *dir)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_free char *path = xasprintf("%s/pyvenv.cfg", dir);

	pyvenv_release(&pv);
	strbuf_reset(&err);
	if (fs_read_file_at(AT_FDCWD, path, PYVENV_MAX_SIZE + 1, &text, &err) < 0)
		return -1;
	return pyvenv_parse(text.buf, text.len, path, &pv, &err);
}

static bool version_matches(void)
{
	cleanup_free char *prefix = xasprintf("%d.%d.", pv.major, pv.minor);

	return pv.version && str_has_prefix(pv.version, prefix);
}

static void test_real_venv(const char *tmp)
{
	cleanup_free char *dir = xasprintf("%s/venv", tmp);
	cleanup_free char *dir2 = xasprintf("%s/venv-ssp", tmp);
	cleanup_free char *python = NULL;
	const char *const argv[] = { PYTHON, "-m", "venv", "--without-pip", dir, NULL };
	const char *const argv2[] = { PYTHON, "-m", "venv", "--without-pip",
				      "--system-site-packages", dir2, NULL };

	if (access(PYTHON, X_OK) < 0) {
		skip(PYTHON " is not installed");
		return;
	}
	if (run(argv) != 0) {
		skip(PYTHON " -m venv failed (is the venv module installed?)");
		return;
	}
	if (!ok(parse_file(dir) == 0, "python -m venv: pyvenv.cfg parses")) {
		printf("#   error: %s\n", err.buf);
		return;
	}
	python = xasprintf("%s/python3", pv.home ? pv.home : "");
	ok(pv.home[0] == '/' && access(python, X_OK) == 0,
	   "python -m venv: home holds the base interpreter");
	ok(pv.executable == NULL || pv.executable[0] == '/',
	   "python -m venv: executable is absolute when written");
	ok(pv.major == 3 && pv.minor >= 0 && version_matches(),
	   "python -m venv: version %s parsed as %d.%d",
	   pv.version ? pv.version : "(none)", pv.major, pv.minor);
	ok(!pv.system_site_packages && !pv.implementation && !pv.uv && !pv.base_prefix,
	   "python -m venv: no system site packages, no virtualenv or uv keys");

	if (run(argv2) != 0 || parse_file(dir2) != 0) {
		ok(0, "python -m venv --system-site-packages: pyvenv.cfg parses (%s)",
		   err.buf);
		return;
	}
	ok(pv.system_site_packages, "python -m venv --system-site-packages: flag is true");
}

static void test_real_virtualenv(const char *tmp)
{
	cleanup_free char *dir = xasprintf("%s/virtualenv", tmp);
	cleanup_free char *appdata = xasprintf("%s/virtualenv-app-data", tmp);
	const char *const probe[] = { PYTHON, "-c", "import virtualenv", NULL };
	const char *const argv[] = { PYTHON, "-m", "virtualenv", "--no-seed",
				     "--no-periodic-update", "--app-data", appdata,
				     dir, NULL };

	if (access(PYTHON, X_OK) < 0 || run(probe) != 0) {
		skip("virtualenv is not installed for " PYTHON);
		return;
	}
	if (run(argv) != 0) {
		skip(PYTHON " -m virtualenv failed to create a venv");
		return;
	}
	if (!ok(parse_file(dir) == 0, "virtualenv: pyvenv.cfg parses")) {
		printf("#   error: %s\n", err.buf);
		return;
	}
	ok(pv.home && pv.home[0] == '/', "virtualenv: home is absolute");
	is_str(pv.implementation, "CPython", "virtualenv: implementation");
	ok(pv.base_prefix && pv.base_prefix[0] == '/', "virtualenv: base-prefix");
	ok(pv.executable && pv.executable[0] == '/',
	   "virtualenv: executable from base-executable");
	ok(pv.major == 3 && version_matches(),
	   "virtualenv: version_info %s parsed as %d.%d",
	   pv.version ? pv.version : "(none)", pv.major, pv.minor);
	ok(!pv.system_site_packages && !pv.uv, "virtualenv: no system site packages, no uv");
}

static void test_uv(void)
{
	int rc = parse("home = /x/bin\nimplementation = CPython\nuv = 0.4.0\n"
		       "version_info = 3.12.3\ninclude-system-site-packages = false\n"
		       "relocatable = true\n");

	if (!is_int(rc, 0, "uv: pyvenv.cfg parses"))
		printf("#   error: %s\n", err.buf);
	is_str(pv.home, "/x/bin", "uv: home");
	is_str(pv.implementation, "CPython", "uv: implementation");
	is_str(pv.uv, "0.4.0", "uv: uv version");
	is_str(pv.version, "3.12.3", "uv: version from version_info");
	ok(pv.major == 3 && pv.minor == 12, "uv: version 3.12");
	ok(!pv.system_site_packages && !pv.executable && !pv.base_prefix,
	   "uv: no system site packages, no executable, no base-prefix");
}

static void test_format(void)
{
	struct pyvenv fresh;

	pyvenv_init(&fresh);
	ok(!fresh.home && !fresh.executable && !fresh.base_prefix && !fresh.version &&
	   !fresh.implementation && !fresh.uv && fresh.major == -1 && fresh.minor == -1 &&
	   !fresh.system_site_packages, "pyvenv_init: empty state");

	ok(parse("home = /usr/bin\n") == 0 && strcmp(pv.home, "/usr/bin") == 0 &&
	   !pv.version && pv.major == -1 && pv.minor == -1 && !pv.executable,
	   "home alone is enough; version absent gives -1");
	ok(parse("  HOME\t=\t/a b  \nInclude-System-Site-Packages = TRUE\n") == 0 &&
	   strcmp(pv.home, "/a b") == 0 && pv.system_site_packages,
	   "keys are stripped and lowercased, values stripped");
	ok(parse("# comment\n\n   \n\t# indented\nhome=/h\n#home = relative\n") == 0 &&
	   strcmp(pv.home, "/h") == 0, "blank lines and comments are ignored");
	ok(parse("home = /h\ncommand = /usr/bin/python3 -m venv x\nprompt = 'x'\n"
		 "relocatable = true\nfoo = \n= bare\n") == 0,
	   "unknown keys (and an empty key) are ignored");
	ok(parse("home = /a\nhome = /b\nversion = 3.8.1\nversion = 3.9.2\n") == 0 &&
	   strcmp(pv.home, "/b") == 0 && strcmp(pv.version, "3.9.2") == 0 &&
	   pv.minor == 9, "a later duplicate key wins");
	ok(parse("executable = /e\nhome = /h\nbase-executable = /b\n") == 0 &&
	   strcmp(pv.executable, "/e") == 0, "executable is preferred to base-executable");
	ok(parse("home = /h\nbase-executable = /b\n") == 0 &&
	   strcmp(pv.executable, "/b") == 0, "base-executable when executable is absent");
	ok(parse("home = /h\nversion_info = 3.10.1.final.0\nversion = 3.11.4\n") == 0 &&
	   strcmp(pv.version, "3.11.4") == 0 && pv.major == 3 && pv.minor == 11,
	   "version is preferred to version_info");
	ok(parse("home = /h=x\n") == 0 && strcmp(pv.home, "/h=x") == 0,
	   "the value is everything after the first '='");
	ok(parse("home = /h\r\nversion = 3.7.0\r\n") == 0 && strcmp(pv.home, "/h") == 0 &&
	   strcmp(pv.version, "3.7.0") == 0, "CRLF line endings");
	ok(parse("home = /h") == 0 && strcmp(pv.home, "/h") == 0,
	   "last line without a newline");
	ok(parse("home = /h\ninclude-system-site-packages = False\n") == 0 &&
	   !pv.system_site_packages, "include-system-site-packages false, any case");
	ok(parse("home = /h\nbase-prefix = /usr\nimplementation = PyPy\n") == 0 &&
	   strcmp(pv.base_prefix, "/usr") == 0 && strcmp(pv.implementation, "PyPy") == 0,
	   "base-prefix and implementation");
	ok(parse("home = /h\nprompt = caf\xc3\xa9\n") == 0, "UTF-8 bytes are accepted");
}

static void test_versions(void)
{
	static const struct { const char *v; int major, minor; } good[] = {
		{ "3.12", 3, 12 }, { "3.12.0rc1", 3, 12 }, { "2.7.18", 2, 7 },
		{ "3.0", 3, 0 }, { "9.99", 9, 99 }, { "3.13.0a1+", 3, 13 },
		{ "3.11.2.final.0", 3, 11 },
	};
	static const char *const bad[] = {
		"3", "3.", "1.2", "0.1", "10.1", "3.100", "03.1", "3.01", "x3.1",
		"3,1", "-3.1", "+3.1", ".3", "3 .1", "3. 1", "", "\xd9\xa3.1",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		cleanup_free char *text = xasprintf("home = /h\nversion = %s\n", good[i].v);

		ok(parse(text) == 0 && pv.major == good[i].major &&
		   pv.minor == good[i].minor && strcmp(pv.version, good[i].v) == 0,
		   "version '%s' is %d.%d", good[i].v, good[i].major, good[i].minor);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cleanup_free char *text = xasprintf("home = /h\nversion = %s\n", bad[i]);
		cleanup_free char *what = xasprintf("error: version '%s'", bad[i]);

		expect_error(text, strlen(text),
			     "pyvenv.cfg line 2: 'version' does not start with MAJOR.MINOR "
			     "(major 2 to 9, minor 0 to 99)", what);
	}
	ERR("version = 3.11.2\nhome = /h\nversion_info = garbage\n",
	    "pyvenv.cfg line 3: 'version_info' does not start with MAJOR.MINOR "
	    "(major 2 to 9, minor 0 to 99)",
	    "error: a bad version_info even when version is good");
}

static void test_errors(void)
{
	ERR("home = /h\nno equals here\n",
	    "pyvenv.cfg line 2: expected 'key = value'", "error: a line without '='");
	ERR("home = /h\nversion = 3.1\0\n", "pyvenv.cfg line 2: NUL byte at column 14",
	    "error: NUL byte");
	ERR("home = /h\x1b[31m\n", "pyvenv.cfg line 1: control character at column 10",
	    "error: escape character");
	ERR("home = /h\n\nx = a\rb\n", "pyvenv.cfg line 3: control character at column 6",
	    "error: CR not before LF");
	ERR("home = /h\r", "pyvenv.cfg line 1: control character at column 10",
	    "error: CR at the end of the file");
	ERR("home = /h\x7f\n", "pyvenv.cfg line 1: control character at column 10",
	    "error: DEL");
	ERR("# home = /h\n\x0b\n", "pyvenv.cfg line 2: control character at column 1",
	    "error: vertical tab on an otherwise blank line");
	ERR("version = 3.11.2\n", "pyvenv.cfg: no 'home' key", "error: missing home");
	ERR("", "pyvenv.cfg: no 'home' key", "error: empty file");
	ERR("home = usr/bin\n", "pyvenv.cfg line 1: 'home' is not an absolute path",
	    "error: relative home");
	ERR("home = /a\nhome =\n", "pyvenv.cfg line 2: 'home' is not an absolute path",
	    "error: empty home (the later key wins)");
	ERR("home = /h\ninclude-system-site-packages = yes\n",
	    "pyvenv.cfg line 2: 'include-system-site-packages' is neither true nor false",
	    "error: include-system-site-packages yes");
	ERR("home = /h\ninclude-system-site-packages = 1\n",
	    "pyvenv.cfg line 2: 'include-system-site-packages' is neither true nor false",
	    "error: include-system-site-packages 1");
	ERR("home = /h\ninclude-system-site-packages =\n",
	    "pyvenv.cfg line 2: 'include-system-site-packages' is neither true nor false",
	    "error: include-system-site-packages empty");

	pyvenv_release(&pv);
	parse("home = /keep\nversion = 3.9\n");
	strbuf_reset(&err);
	ok(pyvenv_parse("home = rel\n", 11, "pyvenv.cfg", &pv, &err) == -1 &&
	   strcmp(pv.home, "/keep") == 0 && pv.minor == 9,
	   "an error leaves the previous result unchanged");
	ok(pyvenv_parse("home = /new\n", 12, "pyvenv.cfg", &pv, &err) == 0 &&
	   strcmp(pv.home, "/new") == 0 && pv.major == -1 && !pv.version,
	   "a new result replaces the previous one entirely");
}

static void test_caps(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	strbuf_addstr(&sb, "home = /h\n");
	while (sb.len < PYVENV_MAX_SIZE)
		strbuf_addch(&sb, sb.len % 128 == 127 ? '\n' : '#');
	ok(parse_n(sb.buf, sb.len) == 0, "a 64 KiB file is accepted");
	strbuf_addch(&sb, '\n');
	expect_error(sb.buf, sb.len, "pyvenv.cfg: larger than 65536 bytes",
		     "error: a file of 64 KiB + 1");

	strbuf_reset(&sb);
	strbuf_addstr(&sb, "home = /h\n");
	for (i = 1; i < PYVENV_MAX_LINES; i++)
		strbuf_addstr(&sb, "\n");
	ok(parse_n(sb.buf, sb.len) == 0, "1000 lines are accepted");
	strbuf_addstr(&sb, "x");
	expect_error(sb.buf, sb.len, "pyvenv.cfg line 1001: more than 1000 lines",
		     "error: 1001 lines");
	strbuf_release(&sb);
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static bool result_sane(int rc)
{
	if (rc == -1)
		return err.len > 0 && !memchr(err.buf, '\n', err.len) && !pv.home &&
		       !pv.version && pv.major == -1;
	if (rc != 0 || err.len || !pv.home || pv.home[0] != '/')
		return false;
	if (!pv.version)
		return pv.major == -1 && pv.minor == -1;
	return pv.major >= 2 && pv.major <= 9 && pv.minor >= 0 && pv.minor <= 99;
}

static void test_fuzz(void)
{
	static const char *const seeds[] = {
		"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n"
		"executable = /usr/bin/python3.11\ncommand = /usr/bin/python3 -m venv /v\n",
		"home = /x/bin\nimplementation = CPython\nuv = 0.4.0\nversion_info = 3.12.3\n"
		"include-system-site-packages = false\nrelocatable = true\n",
		"home = /usr/bin\r\nimplementation = CPython\r\nversion_info = 3.11.2.final.0\r\n"
		"# c\r\nbase-prefix = /usr\r\nbase-executable = /usr/bin/python3\r\n",
	};
	char buf[512];
	int i, bad_random = 0, bad_mutated = 0;

	for (i = 0; i < 20000; i++) {
		size_t n = rnd() % sizeof(buf), j;

		for (j = 0; j < n; j++) {
			uint64_t r = rnd();

			buf[j] = (r & 3) ? "home = /1.23\n\r\t#\0version"[(r >> 8) % 25]
					 : (char)(r >> 16);
		}
		pyvenv_release(&pv);
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
			case 0:
				if (n)
					buf[at] = (char)rnd();
				break;
			case 1:
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = "=#\n\r .0123456789/\0"[rnd() % 18];
					n++;
				}
				break;
			case 2:
				if (n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
				break;
			default:
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
	char tmpl[] = "/tmp/test-pyvenv.XXXXXX";
	char *tmp;

	pyvenv_init(&pv);
	test_format();
	test_uv();
	test_versions();
	test_errors();
	test_caps();
	tmp = mkdtemp(tmpl);
	if (tmp) {
		const char *const rm[] = { "/bin/rm", "-rf", "--", tmp, NULL };

		test_real_venv(tmp);
		test_real_virtualenv(tmp);
		run(rm);
	} else {
		skip("cannot create a temporary directory for real venvs");
	}
	test_fuzz();
	pyvenv_release(&pv);
	strbuf_release(&err);
	return done_testing();
}
