/* state.c - the recorded policy and the library cache, as text records. */
#include "state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	strvec_init(&p->expose);
	strvec_init(&p->expose_to);
	strvec_init(&p->lib_dirs);
	strvec_init(&p->bwrap_args);
	strvec_init(&p->protect);
	perms_init(&p->perms);
}

void policy_release(struct policy *p)
{
	free(p->venv);
	free(p->project);
	free(p->python);
	strvec_clear(&p->expose);
	strvec_clear(&p->expose_to);
	strvec_clear(&p->lib_dirs);
	strvec_clear(&p->bwrap_args);
	strvec_clear(&p->protect);
	perms_release(&p->perms);
	policy_init(p);
}

void state_add_record(struct strbuf *out, const char *key, const char *value)
{
	const unsigned char *s;

	strbuf_addstr(out, key);
	strbuf_addch(out, ' ');
	for (s = (const unsigned char *)value; *s; s++) {
		if (*s == '\\')
			strbuf_addstr(out, "\\\\");
		else if (*s == '\n')
			strbuf_addstr(out, "\\n");
		else if (*s < 0x20 || *s == 0x7f)
			strbuf_addf(out, "\\x%02x", *s);
		else
			strbuf_addch(out, (char)*s);
	}
	strbuf_addch(out, '\n');
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode one escaped value [s, end) into out. */
static int unescape(const char *s, const char *end, struct strbuf *out)
{
	while (s < end) {
		const char *plain = s;

		while (s < end && *s != '\\' && (unsigned char)*s >= 0x20 && *s != 0x7f)
			s++;
		strbuf_add(out, plain, (size_t)(s - plain));
		if (s == end)
			break;
		if (*s != '\\')
			return -1;
		if (++s == end)
			return -1;
		if (*s == '\\') {
			strbuf_addch(out, '\\');
			s++;
		} else if (*s == 'n') {
			strbuf_addch(out, '\n');
			s++;
		} else if (*s == 'x' && end - s >= 3 && hexval(s[1]) >= 0 &&
			   hexval(s[2]) >= 0) {
			int v = hexval(s[1]) * 16 + hexval(s[2]);

			if (v == 0)
				return -1;
			strbuf_addch(out, (char)v);
			s += 3;
		} else {
			return -1;
		}
	}
	return 0;
}

int state_parse_records(const char *text, size_t len, const char *file,
			state_record_fn fn, void *data, struct strbuf *err)
{
	cleanup_strbuf struct strbuf key = STRBUF_INIT;
	cleanup_strbuf struct strbuf value = STRBUF_INIT;
	const char *p = text, *end = text + len;
	unsigned line = 0;

	if (len > STATE_MAX_BYTES) {
		strbuf_addf(err, "'%s' is larger than %u bytes", file, STATE_MAX_BYTES);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		strbuf_addf(err, "'%s' contains a NUL byte", file);
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *sp;

		line++;
		if (!nl) {
			strbuf_addf(err, "'%s' line %u: truncated record", file, line);
			return -1;
		}
		sp = memchr(p, ' ', (size_t)(nl - p));
		if (!sp || sp == p) {
			strbuf_addf(err, "'%s' line %u: malformed record", file, line);
			return -1;
		}
		strbuf_reset(&key);
		strbuf_reset(&value);
		strbuf_add(&key, p, (size_t)(sp - p));
		if (unescape(sp + 1, nl, &value) < 0 || str_has_control(key.buf)) {
			strbuf_addf(err, "'%s' line %u: malformed value", file, line);
			return -1;
		}
		if (line == 1) {
			if (strcmp(key.buf, "sandbox-venv") ||
			    strcmp(value.buf, STATE_FORMAT_STR)) {
				strbuf_addf(err, "'%s' has an unknown format", file);
				return -1;
			}
		} else if (fn(key.buf, value.buf, data, err) < 0) {
			strbuf_addf(err, " ('%s' line %u)", file, line);
			return -1;
		}
		p = nl + 1;
	}
	if (line == 0) {
		strbuf_addf(err, "'%s' is empty", file);
		return -1;
	}
	return 0;
}

static int parse_bool(const char *key, const char *v, bool *out, struct strbuf *err)
{
	if (!strcmp(v, "0") || !strcmp(v, "1")) {
		*out = v[0] == '1';
		return 0;
	}
	strbuf_addf(err, "'%s' must be 0 or 1", key);
	return -1;
}

static int set_once(const char *key, const char *v, char **slot, struct strbuf *err)
{
	if (*slot) {
		strbuf_addf(err, "'%s' given twice", key);
		return -1;
	}
	if (v[0] != '/') {
		strbuf_addf(err, "'%s' must be an absolute path", key);
		return -1;
	}
	*slot = xstrdup(v);
	return 0;
}

static int policy_record(const char *key, const char *v, void *data, struct strbuf *err)
{
	struct policy *p = data;

	if (!strcmp(key, "venv"))
		return set_once(key, v, &p->venv, err);
	if (!strcmp(key, "project"))
		return set_once(key, v, &p->project, err);
	if (!strcmp(key, "python"))
		return set_once(key, v, &p->python, err);
	if (!strcmp(key, "system-site"))
		return parse_bool(key, v, &p->system_site, err);
	if (!strcmp(key, "disable-userns"))
		return parse_bool(key, v, &p->disable_userns, err);
	if (!strcmp(key, "expose-to")) {
		if (v[0] != '/' || p->expose_to.nr + 1 != p->expose.nr) {
			strbuf_addf(err, "'%s' must follow an 'expose' and be an absolute path", key);
			return -1;
		}
		strvec_push(&p->expose_to, v);
		return 0;
	}
	if (!strcmp(key, "expose") || !strcmp(key, "lib-dir") || !strcmp(key, "protect")) {
		if (v[0] != '/') {
			strbuf_addf(err, "'%s' must be an absolute path", key);
			return -1;
		}
		strvec_push(key[0] == 'e' ? &p->expose : key[0] == 'l' ? &p->lib_dirs :
			    &p->protect, v);
		return 0;
	}
	{
		int r = perms_record(&p->perms, key, v, err);

		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	if (!strcmp(key, "bwrap-arg")) {
		strvec_push(&p->bwrap_args, v);
		return 0;
	}
	strbuf_addf(err, "unknown record '%s'", key);
	return -1;
}

int policy_parse(const char *text, size_t len, struct policy *p, struct strbuf *err)
{
	if (state_parse_records(text, len, STATE_POLICY, policy_record, p, err) < 0)
		return -1;
	if (!p->venv || !p->project || !p->python || p->expose_to.nr != p->expose.nr) {
		strbuf_addf(err, "'%s' is incomplete", STATE_POLICY);
		return -1;
	}
	return 0;
}

void policy_format(const struct policy *p, struct strbuf *out)
{
	size_t i;

	state_add_record(out, "sandbox-venv", STATE_FORMAT_STR);
	state_add_record(out, "venv", p->venv);
	state_add_record(out, "project", p->project);
	state_add_record(out, "python", p->python);
	state_add_record(out, "system-site", p->system_site ? "1" : "0");
	state_add_record(out, "disable-userns", p->disable_userns ? "1" : "0");
	for (i = 0; i < p->expose.nr; i++) {
		state_add_record(out, "expose", p->expose.v[i]);
		if (i < p->expose_to.nr)
			state_add_record(out, "expose-to", p->expose_to.v[i]);
	}
	for (i = 0; i < p->lib_dirs.nr; i++)
		state_add_record(out, "lib-dir", p->lib_dirs.v[i]);
	for (i = 0; i < p->bwrap_args.nr; i++)
		state_add_record(out, "bwrap-arg", p->bwrap_args.v[i]);
	for (i = 0; i < p->protect.nr; i++)
		state_add_record(out, "protect", p->protect.v[i]);
	perms_format(&p->perms, out);
}

static int libs_record(const char *key, const char *v, void *data, struct strbuf *err)
{
	if (strcmp(key, "lib") || v[0] != '/') {
		strbuf_addf(err, "malformed record '%s'", key);
		return -1;
	}
	strvec_push(data, v);
	return 0;
}

int libs_parse(const char *text, size_t len, struct strvec *libs, struct strbuf *err)
{
	return state_parse_records(text, len, STATE_LIBS, libs_record, libs, err);
}

void libs_format(const struct strvec *libs, struct strbuf *out)
{
	size_t i;

	state_add_record(out, "sandbox-venv", STATE_FORMAT_STR);
	for (i = 0; i < libs->nr; i++)
		state_add_record(out, "lib", libs->v[i]);
}
