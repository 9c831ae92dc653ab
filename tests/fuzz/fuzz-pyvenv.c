/* fuzz-pyvenv.c - libFuzzer target for pyvenv_parse().
 *
 * What MUST hold for any input (pyvenv.h):
 *  1. The result is 0 with no error text, or -1 with exactly one line of
 *     error text ("pyvenv.cfg: ..." or "pyvenv.cfg line N: ...") and the
 *     earlier result in *pv untouched.
 *  2. On success "home" is an absolute path; no string holds a control
 *     byte other than tab, nor starts or ends with a blank; major and
 *     minor are -1 without a version, else 2..9 and 0..99 and spelled at
 *     the start of the version string.
 *  3. What was accepted reads back the same: the fields written as a
 *     pyvenv.cfg parse to an equal struct pyvenv.
 * Any violation aborts, so libFuzzer records the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyvenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "pyvenv.cfg"
#define PREVIOUS "home = /previous\nversion = 3.9\nuv = 0.1\n"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same(const struct pyvenv *a, const struct pyvenv *b)
{
	return same_str(a->home, b->home) && same_str(a->executable, b->executable) &&
	       same_str(a->base_prefix, b->base_prefix) &&
	       same_str(a->version, b->version) && a->major == b->major &&
	       a->minor == b->minor &&
	       a->system_site_packages == b->system_site_packages &&
	       same_str(a->implementation, b->implementation) &&
	       same_str(a->uv, b->uv);
}

/* NULL, or no control byte but tab and no blank at either end. */
static bool clean_value(const char *s)
{
	size_t n, i;

	if (!s)
		return true;
	n = strlen(s);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return n == 0 || (s[0] != ' ' && s[0] != '\t' && s[n - 1] != ' ' &&
			  s[n - 1] != '\t');
}

static bool version_matches(const struct pyvenv *pv)
{
	const char *v = pv->version;
	char digits[4];

	if (!v)
		return pv->major == -1 && pv->minor == -1;
	if (pv->major < 2 || pv->major > 9 || pv->minor < 0 || pv->minor > 99)
		return false;
	snprintf(digits, sizeof(digits), "%d", pv->minor);
	return v[0] == '0' + pv->major && v[1] == '.' &&
	       strncmp(v + 2, digits, strlen(digits)) == 0 &&
	       !(v[2 + strlen(digits)] >= '0' && v[2 + strlen(digits)] <= '9');
}

static void add_key(struct strbuf *sb, const char *key, const char *value)
{
	if (value)
		strbuf_addf(sb, "%s = %s\n", key, value);
}

static void check_roundtrip(const struct pyvenv *pv)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	struct pyvenv back;

	add_key(&text, "home", pv->home);
	add_key(&text, "executable", pv->executable);
	add_key(&text, "base-prefix", pv->base_prefix);
	add_key(&text, "version", pv->version);
	add_key(&text, "include-system-site-packages",
		pv->system_site_packages ? "true" : "false");
	add_key(&text, "implementation", pv->implementation);
	add_key(&text, "uv", pv->uv);
	pyvenv_init(&back);
	if (pyvenv_parse(text.buf, text.len, FILE_NAME, &back, &err) != 0) {
		fprintf(stderr, "written back as:\n%s\nerror: %s\n", text.buf, err.buf);
		CHECK(!"an accepted pyvenv.cfg parses back");
	}
	CHECK(err.len == 0);
	CHECK(same(&back, pv));
	pyvenv_release(&back);
	strbuf_release(&text);
	strbuf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT;
	struct pyvenv pv, prev;
	int rc;

	/* An earlier result that a failure must leave alone. */
	pyvenv_init(&prev);
	CHECK(pyvenv_parse(PREVIOUS, strlen(PREVIOUS), FILE_NAME, &prev, &err) == 0);
	pyvenv_init(&pv);
	CHECK(pyvenv_parse(PREVIOUS, strlen(PREVIOUS), FILE_NAME, &pv, &err) == 0);

	rc = pyvenv_parse((const char *)data, size, FILE_NAME, &pv, &err);
	CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		CHECK(err.len > 0 && !memchr(err.buf, '\n', err.len));
		CHECK(strncmp(err.buf, FILE_NAME ": ", strlen(FILE_NAME ": ")) == 0 ||
		      strncmp(err.buf, FILE_NAME " line ", strlen(FILE_NAME " line ")) == 0);
		CHECK(same(&pv, &prev));
	} else {
		CHECK(err.len == 0);
		CHECK(pv.home && pv.home[0] == '/');
		CHECK(clean_value(pv.home) && clean_value(pv.executable) &&
		      clean_value(pv.base_prefix) && clean_value(pv.version) &&
		      clean_value(pv.implementation) && clean_value(pv.uv));
		CHECK(version_matches(&pv));
		check_roundtrip(&pv);
	}
	pyvenv_release(&pv);
	pyvenv_release(&prev);
	strbuf_release(&err);
	return 0;
}
