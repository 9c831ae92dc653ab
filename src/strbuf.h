/* strbuf.h - growable strings, after git's strbuf.h.
 *
 * Invariants: buf is never NULL (an empty strbuf points at a shared ""),
 * buf[len] == '\0', and len < alloc whenever alloc != 0. A strbuf owns its
 * buffer; strbuf_detach() hands it over. Binary data (NULs) is allowed.
 */
#ifndef SV_STRBUF_H
#define SV_STRBUF_H

#include <stddef.h>
#include "util.h"

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_empty[];
#define STRBUF_INIT { 0, 0, strbuf_empty }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) ATTR_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) ATTR_PRINTF(2, 0);
/* Append s quoted for a POSIX shell when it needs quoting, as is otherwise. */
void strbuf_add_shell_quoted(struct strbuf *sb, const char *s);
/* s as it may reach a terminal: a control character other than newline
 * and tab (C0, DEL, C1 as UTF-8) and every byte of a sequence that is not
 * well-formed UTF-8 (a raw C1 byte) becomes \xNN, so that text a sandbox
 * chose (a file name, a #! line) cannot move the cursor, retitle the
 * window or make the terminal type an answer. SHOWN_ONE_LINE: a newline
 * too, where the text is one line (a name, a finding). */
enum { SHOWN_ONE_LINE = 1 };
void strbuf_add_shown(struct strbuf *sb, const char *s, unsigned flags);
/* s shown on one line, in a new string: for a name in a message. */
char *str_shown(const char *s);

void cleanup_strbufp(struct strbuf *sb);
#define cleanup_strbuf __attribute__((cleanup(cleanup_strbufp)))

#endif
