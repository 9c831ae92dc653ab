/* bwrapargs.c - split BWRAP_ARGS. See bwrapargs.h for the rules. The value
 * is checked in full before any argument is handed to the caller. */
#include "bwrapargs.h"

#include <string.h>

static int add_arg(struct strvec *args, const char *start, size_t len,
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
	strvec_push_nodup(args, xstrndup(start, len));
	return 0;
}

int bwrapargs_split(const char *value, struct strvec *out, struct strbuf *err)
{
	cleanup_strvec struct strvec args = STRVEC_INIT;
	const char *p, *start;
	size_t i;

	for (p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
			strbuf_addf(err, "BWRAP_ARGS: control character 0x%02x "
				    "at byte %zu", c, (size_t)(p - value) + 1);
			return -1;
		}
	}

	if (strchr(value, '\n')) {
		for (start = value; *start; ) {
			const char *eol = strchrnul(start, '\n');
			size_t len = (size_t)(eol - start);

			if (len && start[len - 1] == '\r')
				len--;
			if (len && add_arg(&args, start, len, err) < 0)
				return -1;
			start = *eol ? eol + 1 : eol;
		}
	} else {
		for (p = value; *p; ) {
			size_t len;

			p += strspn(p, " \t");
			len = strcspn(p, " \t");
			if (len && add_arg(&args, p, len, err) < 0)
				return -1;
			p += len;
		}
	}

	for (i = 0; i < args.nr; i++) {
		strvec_push_nodup(out, (char *)args.v[i]);
		args.v[i] = NULL;
	}
	args.nr = 0;
	return 0;
}
