/* fuzz-bwrapargs.c - libFuzzer target for bwrapargs_split().
 *
 * The input, cut at its first NUL, is the value of BWRAP_ARGS. What MUST
 * hold (bwrapargs.h) is checked against a straightforward model of the
 * rules written here:
 *  1. A control byte other than tab, '\n' and '\r' fails with
 *     "BWRAP_ARGS: control character 0xHH at byte N" for the first one.
 *  2. Otherwise the value splits on '\n' (one trailing '\r' removed, empty
 *     lines skipped) when it holds one, else on runs of spaces and tabs;
 *     the 4097th argument, or one over 64 KiB, fails with its message.
 *  3. Success appends exactly the model's arguments to `out`; failure
 *     leaves `out` as it was and adds exactly one line to err.
 * Any difference aborts, so libFuzzer records the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bwrapargs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

/* Append one argument to the model, or put its error in err. */
static int model_add(struct strvec *args, const char *s, size_t len,
		     struct strbuf *err)
{
	if (args->nr >= BWRAPARGS_MAX_ARGS) {
		strbuf_addf(err, "BWRAP_ARGS: more than %d arguments",
			    BWRAPARGS_MAX_ARGS);
		return -1;
	}
	if (len > BWRAPARGS_MAX_ARG) {
		strbuf_addf(err, "BWRAP_ARGS: argument %zu is longer than %d bytes",
			    args->nr + 1, BWRAPARGS_MAX_ARG);
		return -1;
	}
	strvec_push_nodup(args, xstrndup(s, len));
	return 0;
}

/* The rules of bwrapargs.h, written independently and plainly. */
static int model_split(const char *value, struct strvec *args, struct strbuf *err)
{
	size_t n = strlen(value), i, start;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
			strbuf_addf(err, "BWRAP_ARGS: control character 0x%02x at byte %zu",
				    c, i + 1);
			return -1;
		}
	}
	if (memchr(value, '\n', n)) {
		for (start = 0; start < n; start = i + 1) {
			size_t len;

			for (i = start; i < n && value[i] != '\n'; i++)
				;
			len = i - start;
			if (len > 0 && value[start + len - 1] == '\r')
				len--;
			if (len > 0 && model_add(args, value + start, len, err) < 0)
				return -1;
		}
		return 0;
	}
	for (i = 0; i < n; ) {
		while (i < n && (value[i] == ' ' || value[i] == '\t'))
			i++;
		start = i;
		while (i < n && value[i] != ' ' && value[i] != '\t')
			i++;
		if (i > start && model_add(args, value + start, i - start, err) < 0)
			return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strvec out = STRVEC_INIT, want = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT, want_err = STRBUF_INIT;
	char *value = xmalloc(size + 1);
	int rc, want_rc;
	size_t i;

	memcpy(value, data, size);
	value[size] = '\0';
	strvec_push(&out, "bwrap");

	rc = bwrapargs_split(value, &out, &err);
	want_rc = model_split(value, &want, &want_err);
	if (rc != want_rc || strcmp(err.buf, want_err.buf) != 0)
		fprintf(stderr, "got %d '%s', want %d '%s'\n", rc, err.buf,
			want_rc, want_err.buf);
	CHECK(rc == want_rc);
	CHECK(strcmp(err.buf, want_err.buf) == 0);
	CHECK(out.nr >= 1 && strcmp(out.v[0], "bwrap") == 0);
	if (rc == -1) {
		CHECK(err.len > 0 && !strchr(err.buf, '\n'));
		CHECK(out.nr == 1);
	} else {
		CHECK(err.len == 0);
		CHECK(out.nr == 1 + want.nr);
		for (i = 0; i < want.nr; i++) {
			if (strcmp(out.v[i + 1], want.v[i]) != 0)
				fprintf(stderr, "argument %zu: got '%s', want '%s'\n",
					i + 1, out.v[i + 1], want.v[i]);
			CHECK(strcmp(out.v[i + 1], want.v[i]) == 0);
		}
		CHECK(out.v[out.nr] == NULL);
	}
	strvec_clear(&out);
	strvec_clear(&want);
	strbuf_release(&err);
	strbuf_release(&want_err);
	free(value);
	return 0;
}
