/* fuzz-dotenv.c - libFuzzer target for dotenv_parse().
 *
 * What MUST hold for any input (dotenv.h):
 *  1. The result is 0 with no error text, or -1 with exactly one line of
 *     error text and `out` and `ignored` exactly as they were before.
 *  2. On success every entry of `out` is KEY=VALUE with KEY matching
 *     [A-Za-z_][A-Za-z0-9_]*, at most DOTENV_MAX_KEY bytes, never a policy
 *     name, never twice; entries already in `out` keep their place; VALUE
 *     is at most DOTENV_MAX_VALUE bytes.
 *  3. On success each new `ignored` entry is the fixed policy message for
 *     a policy name.
 *  4. What was accepted reads back the same: `out` written as a .env of
 *     double-quoted values parses to the same list.
 * Any violation aborts, so libFuzzer records the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME ".env"
#define PRE_IGNORED "an earlier message"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

static bool valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > DOTENV_MAX_KEY || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* "<file> line N: 'NAME' is sandbox policy and cannot be set from .env"
 * with N a positive decimal and NAME a valid policy name. */
static bool policy_message(const char *msg)
{
	static const char head[] = FILE_NAME " line ";
	static const char tail[] = "' is sandbox policy and cannot be set from .env";
	const char *p = msg, *name, *q;
	bool ret;
	char *key;

	if (strncmp(p, head, sizeof(head) - 1))
		return false;
	p += sizeof(head) - 1;
	if (*p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (strncmp(p, ": '", 3))
		return false;
	name = p + 3;
	q = strchr(name, '\'');
	if (!q || strcmp(q, tail))
		return false;
	key = xstrndup(name, (size_t)(q - name));
	ret = valid_name(key, strlen(key)) && dotenv_is_policy_name(key);
	free(key);
	return ret;
}

/* The assignments in sv as .env text that must parse back to sv. */
static void write_env(const struct strvec *sv, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < sv->nr; i++) {
		const char *s = sv->v[i];
		size_t klen = strcspn(s, "=");

		strbuf_add(out, s, klen);
		strbuf_addstr(out, "=\"");
		for (s += klen + 1; *s; s++) {
			switch (*s) {
			case '\\': strbuf_addstr(out, "\\\\"); break;
			case '"': strbuf_addstr(out, "\\\""); break;
			case '\n': strbuf_addstr(out, "\\n"); break;
			case '\r': strbuf_addstr(out, "\\r"); break;
			default: strbuf_addch(out, *s); break;
			}
		}
		strbuf_addstr(out, "\"\n");
	}
}

static void check_roundtrip(const struct strvec *out)
{
	struct strvec back = STRVEC_INIT, ign = STRVEC_INIT;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	size_t i;

	write_env(out, &text);
	if (dotenv_parse(text.buf, text.len, FILE_NAME, &back, &ign, &err) != 0) {
		fprintf(stderr, "written back as:\n%s\nerror: %s\n", text.buf, err.buf);
		CHECK(!"accepted assignments parse back");
	}
	CHECK(err.len == 0 && ign.nr == 0);
	CHECK(back.nr == out->nr);
	for (i = 0; i < out->nr; i++)
		CHECK(strcmp(back.v[i], out->v[i]) == 0);
	strvec_clear(&back);
	strvec_clear(&ign);
	strbuf_release(&text);
	strbuf_release(&err);
}

/* "<file> line N, column C: reason; that line is ignored": a line that
 * does not parse, skipped with a warning. */
static bool line_message(const char *msg)
{
	static const char head[] = FILE_NAME " line ";
	static const char tail[] = "; that line is ignored";
	const char *p = msg;
	size_t n = strlen(msg);

	if (strncmp(p, head, sizeof(head) - 1) || n < sizeof(tail) - 1 ||
	    strcmp(msg + n - (sizeof(tail) - 1), tail) || strchr(msg, '\n'))
		return false;
	p += sizeof(head) - 1;
	if (*p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return !strncmp(p, ", column ", 9);
}

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 1;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strvec out = STRVEC_INIT, ign = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	size_t i, j;
	int rc;

	/* Earlier results that a failure must leave alone and a success
	 * must keep in place (or replace in place). */
	strvec_push(&out, "PRE=1");
	strvec_push(&out, "KEEP=2");
	strvec_push(&ign, PRE_IGNORED);

	rc = dotenv_parse((const char *)data, size, FILE_NAME, &out, &ign, &err);
	CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		CHECK(err.len > 0 && !memchr(err.buf, '\n', err.len));
		CHECK(strncmp(err.buf, FILE_NAME " line ", strlen(FILE_NAME " line ")) == 0);
		CHECK(out.nr == 2 && strcmp(out.v[0], "PRE=1") == 0 &&
		      strcmp(out.v[1], "KEEP=2") == 0);
		CHECK(ign.nr == 1 && strcmp(ign.v[0], PRE_IGNORED) == 0);
	} else {
		CHECK(err.len == 0);
		CHECK(out.nr >= 2 && out.nr <= 2 + DOTENV_MAX_ASSIGNMENTS);
		CHECK(strncmp(out.v[0], "PRE=", 4) == 0);
		CHECK(strncmp(out.v[1], "KEEP=", 5) == 0);
		for (i = 0; i < out.nr; i++) {
			const char *eq = strchr(out.v[i], '=');
			size_t klen;
			char *key;

			CHECK(eq != NULL);
			klen = (size_t)(eq - out.v[i]);
			CHECK(valid_name(out.v[i], klen));
			CHECK(strlen(eq + 1) <= DOTENV_MAX_VALUE);
			key = xstrndup(out.v[i], klen);
			CHECK(!dotenv_is_policy_name(key));
			free(key);
			for (j = 0; j < i; j++)
				CHECK(strncmp(out.v[j], out.v[i], klen + 1) != 0);
		}
		CHECK(ign.nr >= 1 && strcmp(ign.v[0], PRE_IGNORED) == 0);
		/* At most one message a line: a policy name, or a line skipped. */
		CHECK(ign.nr - 1 <= (size_t)count_lines(data, size));
		for (i = 1; i < ign.nr; i++)
			CHECK(policy_message(ign.v[i]) || line_message(ign.v[i]));
		check_roundtrip(&out);
	}
	strvec_clear(&out);
	strvec_clear(&ign);
	strbuf_release(&err);
	return 0;
}
