/* pyvenv.c - read pyvenv.cfg. See pyvenv.h for the format and for what
 * MUST hold; each numbered check there is one block in pyvenv_parse(). */
#include "pyvenv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The keys that are read, and where each one's last value and line went. */
enum pyvenv_key {
	KEY_HOME,
	KEY_EXECUTABLE,
	KEY_BASE_EXECUTABLE,
	KEY_BASE_PREFIX,
	KEY_VERSION,
	KEY_VERSION_INFO,
	KEY_SYSTEM_SITE_PACKAGES,
	KEY_IMPLEMENTATION,
	KEY_UV,
	KEY_COUNT
};

static const char *const key_names[KEY_COUNT] = {
	[KEY_HOME] = "home",
	[KEY_EXECUTABLE] = "executable",
	[KEY_BASE_EXECUTABLE] = "base-executable",
	[KEY_BASE_PREFIX] = "base-prefix",
	[KEY_VERSION] = "version",
	[KEY_VERSION_INFO] = "version_info",
	[KEY_SYSTEM_SITE_PACKAGES] = "include-system-site-packages",
	[KEY_IMPLEMENTATION] = "implementation",
	[KEY_UV] = "uv",
};

struct entry {
	char *value;
	size_t line;
};

void pyvenv_init(struct pyvenv *pv)
{
	pv->home = pv->executable = pv->base_prefix = pv->version = NULL;
	pv->implementation = pv->uv = NULL;
	pv->major = pv->minor = -1;
	pv->system_site_packages = false;
}

void pyvenv_release(struct pyvenv *pv)
{
	free(pv->home);
	free(pv->executable);
	free(pv->base_prefix);
	free(pv->version);
	free(pv->implementation);
	free(pv->uv);
	pyvenv_init(pv);
}

ATTR_PRINTF(4, 5)
static int fail_line(struct strbuf *err, const char *file, size_t line,
		     const char *fmt, ...)
{
	va_list ap;

	if (line)
		strbuf_addf(err, "%s line %zu: ", file, line);
	else
		strbuf_addf(err, "%s: ", file);
	va_start(ap, fmt);
	strbuf_vaddf(err, fmt, ap);
	va_end(ap);
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [start, end) with blanks removed on both sides. */
static void strip(const char **start, const char **end)
{
	while (*start < *end && is_blank(**start))
		(*start)++;
	while (*end > *start && is_blank((*end)[-1]))
		(*end)--;
}

/* MAJOR.MINOR at the start of s, as described in pyvenv.h (check 5). */
static int parse_version(const char *s, int *major, int *minor)
{
	int mi;

	if (!(s[0] >= '2' && s[0] <= '9') || s[1] != '.' || !is_digit(s[2]))
		return -1;
	if (s[2] == '0') {
		if (is_digit(s[3]))
			return -1; /* leading zero */
		mi = 0;
	} else if (!is_digit(s[3])) {
		mi = s[2] - '0';
	} else if (!is_digit(s[4])) {
		mi = (s[2] - '0') * 10 + (s[3] - '0');
	} else {
		return -1; /* more than 99 */
	}
	*major = s[0] - '0';
	*minor = mi;
	return 0;
}

static void take(char **dst, struct entry *e)
{
	*dst = e->value;
	e->value = NULL;
}

int pyvenv_parse(const char *text, size_t len, const char *file,
		 struct pyvenv *pv, struct strbuf *err)
{
	struct entry ent[KEY_COUNT] = { { NULL, 0 } };
	struct pyvenv res;
	const char *p = text, *end = text + len;
	size_t line = 0;
	int rc = -1, k, major = -1, minor = -1;

	pyvenv_init(&res);
	if (len > PYVENV_MAX_SIZE)
		return fail_line(err, file, 0, "larger than %d bytes",
				 PYVENV_MAX_SIZE);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *lend = eol ? eol : end, *q, *eq, *ks, *ke, *vs, *ve;
		cleanup_free char *key = NULL;
		size_t i;

		if (++line > PYVENV_MAX_LINES) {
			fail_line(err, file, line, "more than %d lines",
				  PYVENV_MAX_LINES);
			goto out;
		}
		/* Check 1: no control bytes except tab and the CR of CRLF. */
		if (eol && lend > p && lend[-1] == '\r')
			lend--;
		for (q = p; q < lend; q++) {
			unsigned char c = (unsigned char)*q;

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				fail_line(err, file, line, "%s at column %zu",
					  c ? "control character" : "NUL byte",
					  (size_t)(q - p) + 1);
				goto out;
			}
		}
		ks = p;
		ke = lend;
		p = eol ? eol + 1 : end;
		strip(&ks, &ke);
		if (ks == ke || *ks == '#')
			continue;
		/* Check 2: every other line is key = value. */
		eq = memchr(ks, '=', (size_t)(ke - ks));
		if (!eq) {
			fail_line(err, file, line, "expected 'key = value'");
			goto out;
		}
		vs = eq + 1;
		ve = ke;
		ke = eq;
		strip(&ks, &ke);
		strip(&vs, &ve);
		key = xstrndup(ks, (size_t)(ke - ks));
		for (i = 0; key[i]; i++)
			if (key[i] >= 'A' && key[i] <= 'Z')
				key[i] = (char)(key[i] - 'A' + 'a');
		for (k = 0; k < KEY_COUNT; k++) {
			if (strcmp(key, key_names[k]) == 0) {
				free(ent[k].value);
				ent[k].value = xstrndup(vs, (size_t)(ve - vs));
				ent[k].line = line;
				break;
			}
		}
	}

	/* Check 3: an absolute home. */
	if (!ent[KEY_HOME].value) {
		fail_line(err, file, 0, "no 'home' key");
		goto out;
	}
	if (ent[KEY_HOME].value[0] != '/') {
		fail_line(err, file, ent[KEY_HOME].line,
			  "'home' is not an absolute path");
		goto out;
	}
	/* Check 4: a boolean. */
	if (ent[KEY_SYSTEM_SITE_PACKAGES].value) {
		const char *v = ent[KEY_SYSTEM_SITE_PACKAGES].value;

		if (strcasecmp(v, "true") == 0) {
			res.system_site_packages = true;
		} else if (strcasecmp(v, "false") != 0) {
			fail_line(err, file, ent[KEY_SYSTEM_SITE_PACKAGES].line,
				  "'include-system-site-packages' is neither "
				  "true nor false");
			goto out;
		}
	}
	/* Check 5: both version keys, when present, are well formed; the
	 * numbers come from the one that is used. */
	for (k = KEY_VERSION_INFO; k >= KEY_VERSION; k--) {
		if (ent[k].value &&
		    parse_version(ent[k].value, &major, &minor) < 0) {
			fail_line(err, file, ent[k].line,
				  "'%s' does not start with MAJOR.MINOR "
				  "(major 2 to 9, minor 0 to 99)", key_names[k]);
			goto out;
		}
	}

	take(&res.home, &ent[KEY_HOME]);
	take(&res.executable, &ent[ent[KEY_EXECUTABLE].value ? KEY_EXECUTABLE
							      : KEY_BASE_EXECUTABLE]);
	take(&res.base_prefix, &ent[KEY_BASE_PREFIX]);
	take(&res.version, &ent[ent[KEY_VERSION].value ? KEY_VERSION : KEY_VERSION_INFO]);
	res.major = major;
	res.minor = minor;
	take(&res.implementation, &ent[KEY_IMPLEMENTATION]);
	take(&res.uv, &ent[KEY_UV]);

	pyvenv_release(pv);
	*pv = res;
	rc = 0;
out:
	for (k = 0; k < KEY_COUNT; k++)
		free(ent[k].value);
	return rc;
}
