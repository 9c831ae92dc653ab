/* fuzz-state.c - libFuzzer target for policy_parse() and libs_parse().
 *
 * The same input (copied and NUL-terminated, as the files are read into a
 * strbuf) is given to both parsers. What MUST hold (state.h):
 *  1. The result is 0 with no error text, or -1 with exactly one line of
 *     error text.
 *  2. An accepted policy has absolute venv, project and python paths and
 *     absolute expose and lib-dir entries; an accepted library cache holds
 *     absolute paths only.
 *  3. Any byte string round-trips: formatting what was accepted and parsing
 *     it again gives the same values, and formatting that gives the same
 *     text.
 * Any violation aborts, so libFuzzer records the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

static bool same_vec(const struct strvec *a, const struct strvec *b)
{
	size_t i;

	if (a->nr != b->nr)
		return false;
	for (i = 0; i < a->nr; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return a->v[a->nr] == NULL && b->v[b->nr] == NULL;
}

static bool all_absolute(const struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->nr; i++)
		if (sv->v[i][0] != '/')
			return false;
	return true;
}

static void check_one_line(int rc, const struct strbuf *err)
{
	CHECK(rc == 0 || rc == -1);
	if (rc == -1)
		CHECK(err->len > 0 && !memchr(err->buf, '\n', err->len));
	else
		CHECK(err->len == 0);
}

static void fuzz_policy(const char *text, size_t len)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT, again = STRBUF_INIT;
	struct policy p, q;
	int rc;

	policy_init(&p);
	policy_init(&q);
	rc = policy_parse(text, len, &p, &err);
	check_one_line(rc, &err);
	if (rc == 0) {
		CHECK(p.venv && p.venv[0] == '/');
		CHECK(p.project && p.project[0] == '/');
		CHECK(p.python && p.python[0] == '/');
		CHECK(all_absolute(&p.expose) && all_absolute(&p.lib_dirs));

		policy_format(&p, &out);
		if (policy_parse(out.buf, out.len, &q, &err) != 0) {
			fprintf(stderr, "formatted as:\n%s\nerror: %s\n", out.buf, err.buf);
			CHECK(!"a formatted policy parses");
		}
		CHECK(strcmp(q.venv, p.venv) == 0 && strcmp(q.project, p.project) == 0 &&
		      strcmp(q.python, p.python) == 0);
		CHECK(q.system_site == p.system_site && q.disable_userns == p.disable_userns);
		CHECK(same_vec(&q.expose, &p.expose) && same_vec(&q.lib_dirs, &p.lib_dirs) &&
		      same_vec(&q.bwrap_args, &p.bwrap_args));
		policy_format(&q, &again);
		CHECK(again.len == out.len && memcmp(again.buf, out.buf, out.len) == 0);
	}
	policy_release(&p);
	policy_release(&q);
	strbuf_release(&err);
	strbuf_release(&out);
	strbuf_release(&again);
}

static void fuzz_libs(const char *text, size_t len)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT, again = STRBUF_INIT;
	struct strvec libs = STRVEC_INIT, back = STRVEC_INIT;
	int rc;

	rc = libs_parse(text, len, &libs, &err);
	check_one_line(rc, &err);
	if (rc == 0) {
		CHECK(all_absolute(&libs));
		libs_format(&libs, &out);
		if (libs_parse(out.buf, out.len, &back, &err) != 0) {
			fprintf(stderr, "formatted as:\n%s\nerror: %s\n", out.buf, err.buf);
			CHECK(!"a formatted library cache parses");
		}
		CHECK(same_vec(&back, &libs));
		libs_format(&back, &again);
		CHECK(again.len == out.len && memcmp(again.buf, out.buf, out.len) == 0);
	}
	strvec_clear(&libs);
	strvec_clear(&back);
	strbuf_release(&err);
	strbuf_release(&out);
	strbuf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_policy(text, size);
	fuzz_libs(text, size);
	free(text);
	return 0;
}
