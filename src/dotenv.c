/* dotenv.c - parse a project's .env as data. See dotenv.h for the syntax
 * and for what MUST hold; the parser below never calls out to anything and
 * builds its results aside, so a rejected file changes nothing. */
#include "dotenv.h"

#include <stdlib.h>
#include <string.h>

struct parser {
	const char *p;
	size_t len;
	size_t pos;
	size_t line;       /* 1-based line of p[pos] */
	size_t line_start; /* offset of the first byte of that line */
	const char *file;
	struct strbuf *err;
};

bool dotenv_is_policy_name(const char *name)
{
	return strcmp(name, "BWRAP_ARGS") == 0 || strcmp(name, "VERBOSE") == 0 ||
	       str_has_prefix(name, "SANDBOX_");
}

static size_t column(const struct parser *ps)
{
	return ps->pos - ps->line_start + 1;
}

ATTR_PRINTF(4, 5)
static int fail_at(struct parser *ps, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(ps->err, "%s line %zu, column %zu: ", ps->file, line, col);
	va_start(ap, fmt);
	strbuf_vaddf(ps->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* A byte as it appears in a message: 'c' when printable, else its code. */
static char *describe(unsigned char c)
{
	if (c > 0x20 && c < 0x7f)
		return xasprintf("'%c'", c);
	if (c == ' ')
		return xstrdup("a space");
	return xasprintf("byte 0x%02x", c);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_key_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
	return is_key_start(c) || (c >= '0' && c <= '9');
}

static bool at_eol(const struct parser *ps)
{
	return ps->pos >= ps->len || ps->p[ps->pos] == '\n' ||
	       (ps->p[ps->pos] == '\r' && ps->pos + 1 < ps->len &&
		ps->p[ps->pos + 1] == '\n');
}

/* Consume the line break at pos (if any) and start the next line. */
static void skip_eol(struct parser *ps)
{
	if (ps->pos < ps->len && ps->p[ps->pos] == '\r')
		ps->pos++;
	if (ps->pos < ps->len && ps->p[ps->pos] == '\n') {
		ps->pos++;
		ps->line++;
		ps->line_start = ps->pos;
	}
}

static size_t skip_blanks(struct parser *ps)
{
	size_t n = 0;

	while (ps->pos < ps->len && is_blank(ps->p[ps->pos])) {
		ps->pos++;
		n++;
	}
	return n;
}

static void skip_to_eol(struct parser *ps)
{
	while (!at_eol(ps))
		ps->pos++;
}

/* Inside a quoted value: consume one byte of plain text (a line break is
 * counted, "\r\n" is read as "\n") and append it to val. */
static void take_quoted_byte(struct parser *ps, struct strbuf *val)
{
	if (ps->p[ps->pos] == '\r' && ps->pos + 1 < ps->len &&
	    ps->p[ps->pos + 1] == '\n')
		ps->pos++;
	strbuf_addch(val, ps->p[ps->pos]);
	if (ps->p[ps->pos++] == '\n') {
		ps->line++;
		ps->line_start = ps->pos;
	}
}

static int parse_single_quoted(struct parser *ps, struct strbuf *val)
{
	size_t open_line = ps->line, open_col = column(ps);

	ps->pos++;
	for (;;) {
		if (ps->pos >= ps->len)
			return fail_at(ps, open_line, open_col,
				       "unterminated single-quoted value");
		if (ps->p[ps->pos] == '\'') {
			ps->pos++;
			return 0;
		}
		take_quoted_byte(ps, val);
	}
}

static int parse_double_quoted(struct parser *ps, struct strbuf *val)
{
	size_t open_line = ps->line, open_col = column(ps);

	ps->pos++;
	for (;;) {
		char c;

		if (ps->pos >= ps->len)
			break;
		c = ps->p[ps->pos];
		if (c == '"') {
			ps->pos++;
			return 0;
		}
		if (c != '\\') {
			take_quoted_byte(ps, val);
			continue;
		}
		if (ps->pos + 1 >= ps->len)
			break;
		switch (ps->p[ps->pos + 1]) {
		case 'n': strbuf_addch(val, '\n'); break;
		case 'r': strbuf_addch(val, '\r'); break;
		case 't': strbuf_addch(val, '\t'); break;
		case '\\': case '"': case '\'': case '$':
			strbuf_addch(val, ps->p[ps->pos + 1]);
			break;
		default:
			/* Unknown escape: keep the backslash; the next byte is
			 * read as ordinary text (it may be a line break). */
			strbuf_addch(val, '\\');
			ps->pos++;
			continue;
		}
		ps->pos += 2;
	}
	return fail_at(ps, open_line, open_col, "unterminated double-quoted value");
}

/* blanks_before: blanks were skipped right after the '=', so a '#' at the
 * start of the value begins a comment. */
static void parse_unquoted(struct parser *ps, struct strbuf *val, bool blanks_before)
{
	size_t start = ps->pos, end;

	while (!at_eol(ps)) {
		if (ps->p[ps->pos] == '#' &&
		    (ps->pos == start ? blanks_before : is_blank(ps->p[ps->pos - 1])))
			break;
		ps->pos++;
	}
	end = ps->pos;
	while (end > start && is_blank(ps->p[end - 1]))
		end--;
	strbuf_add(val, ps->p + start, end - start);
	skip_to_eol(ps);
}

/* Set KEY=VALUE in sv, replacing an earlier assignment of KEY in place. */
static void set_var(struct strvec *sv, char *assignment)
{
	size_t klen = strcspn(assignment, "=");
	size_t i;

	for (i = 0; i < sv->nr; i++) {
		if (strncmp(sv->v[i], assignment, klen) == 0 && sv->v[i][klen] == '=') {
			free((char *)sv->v[i]);
			sv->v[i] = assignment;
			return;
		}
	}
	strvec_push_nodup(sv, assignment);
}

/* Parse one statement starting at the first non-blank byte of a line. */
static int parse_assignment(struct parser *ps, struct strvec *vars,
			    struct strvec *ignored)
{
	cleanup_strbuf struct strbuf val = STRBUF_INIT;
	cleanup_free char *key = NULL;
	size_t stmt_line = ps->line, key_start, key_col, val_col, blanks;

	if (ps->len - ps->pos > 6 && memcmp(ps->p + ps->pos, "export", 6) == 0 &&
	    is_blank(ps->p[ps->pos + 6])) {
		size_t save = ps->pos;

		ps->pos += 6;
		skip_blanks(ps);
		/* Not followed by a name ("export = 1", "export"): then
		 * "export" is the name. */
		if (ps->pos >= ps->len || !is_key_start(ps->p[ps->pos]))
			ps->pos = save;
	}

	key_start = ps->pos;
	key_col = column(ps);
	if (!is_key_start(ps->p[ps->pos])) {
		cleanup_free char *what = describe((unsigned char)ps->p[ps->pos]);

		return fail_at(ps, ps->line, key_col,
			       "expected a variable name, found %s", what);
	}
	while (ps->pos < ps->len && is_key_char(ps->p[ps->pos]))
		ps->pos++;
	if (ps->pos - key_start > DOTENV_MAX_KEY)
		return fail_at(ps, ps->line, key_col,
			       "variable name is longer than %d bytes", DOTENV_MAX_KEY);
	key = xstrndup(ps->p + key_start, ps->pos - key_start);

	skip_blanks(ps);
	if (at_eol(ps))
		return fail_at(ps, ps->line, column(ps),
			       "'%s' has no '=' (expected KEY=VALUE)", key);
	if (ps->p[ps->pos] != '=') {
		cleanup_free char *what = describe((unsigned char)ps->p[ps->pos]);

		return fail_at(ps, ps->line, column(ps),
			       "unexpected %s after '%s' (expected '=')", what, key);
	}
	ps->pos++;
	blanks = skip_blanks(ps);

	val_col = column(ps);
	if (ps->pos < ps->len && (ps->p[ps->pos] == '\'' || ps->p[ps->pos] == '"')) {
		int rc = ps->p[ps->pos] == '\'' ? parse_single_quoted(ps, &val)
						: parse_double_quoted(ps, &val);

		if (rc < 0)
			return -1;
		skip_blanks(ps);
		if (!at_eol(ps) && ps->p[ps->pos] != '#') {
			cleanup_free char *what = describe((unsigned char)ps->p[ps->pos]);

			return fail_at(ps, ps->line, column(ps),
				       "unexpected %s after the closing quote", what);
		}
		skip_to_eol(ps);
	} else {
		parse_unquoted(ps, &val, blanks > 0);
	}
	if (val.len > DOTENV_MAX_VALUE)
		return fail_at(ps, stmt_line, val_col,
			       "value of '%s' is longer than %d bytes", key,
			       DOTENV_MAX_VALUE);

	if (dotenv_is_policy_name(key))
		strvec_pushf(ignored, "%s line %zu: '%s' is sandbox policy and "
			     "cannot be set from .env", ps->file, stmt_line, key);
	else
		set_var(vars, xasprintf("%s=%s", key, val.buf));
	skip_eol(ps);
	return 0;
}

static int reject_nul(struct parser *ps)
{
	const char *nul = memchr(ps->p, '\0', ps->len);
	size_t i;

	if (!nul)
		return 0;
	for (i = 0; ps->p + i < nul; i++) {
		if (ps->p[i] == '\n') {
			ps->line++;
			ps->line_start = i + 1;
		}
	}
	ps->pos = i;
	return fail_at(ps, ps->line, column(ps), "NUL byte");
}

int dotenv_parse(const char *text, size_t len, const char *file,
		 struct strvec *out, struct strvec *ignored, struct strbuf *err)
{
	cleanup_strvec struct strvec vars = STRVEC_INIT;
	cleanup_strvec struct strvec ign = STRVEC_INIT;
	struct parser ps = { text, len, 0, 1, 0, file, err };
	size_t count = 0, i;

	if (reject_nul(&ps) < 0)
		return -1;
	/* A UTF-8 byte order mark, as editors on some systems write one. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		ps.pos = ps.line_start = 3;

	while (ps.pos < ps.len) {
		size_t start = ps.pos, start_line = ps.line, start_ls = ps.line_start;
		size_t errlen = err->len;

		skip_blanks(&ps);
		if (at_eol(&ps)) {
			skip_eol(&ps);
			continue;
		}
		if (ps.p[ps.pos] == '#') {
			skip_to_eol(&ps);
			skip_eol(&ps);
			continue;
		}
		if (++count > DOTENV_MAX_ASSIGNMENTS)
			return fail_at(&ps, ps.line, column(&ps),
				       "more than %d assignments",
				       DOTENV_MAX_ASSIGNMENTS);
		if (parse_assignment(&ps, &vars, &ign) < 0) {
			/* As python-dotenv does: say so, skip that line. */
			strvec_pushf(&ign, "%s; that line is ignored", err->buf + errlen);
			strbuf_setlen(err, errlen);
			ps.pos = start;
			ps.line = start_line;
			ps.line_start = start_ls;
			skip_to_eol(&ps);
			skip_eol(&ps);
		}
	}

	/* Accepted: hand the results over. */
	for (i = 0; i < vars.nr; i++) {
		set_var(out, (char *)vars.v[i]);
		vars.v[i] = NULL;
	}
	vars.nr = 0;
	for (i = 0; i < ign.nr; i++) {
		strvec_push_nodup(ignored, (char *)ign.v[i]);
		ign.v[i] = NULL;
	}
	ign.nr = 0;
	return 0;
}
