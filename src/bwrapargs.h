/* bwrapargs.h - split the BWRAP_ARGS environment variable into arguments.
 *
 * As the reference tool documents it: "space or line-delimited (if
 * arguments such as paths themselves contain spaces)".
 *  - If the value contains a '\n', it is split on '\n' only: each line is
 *    one argument, kept exactly as written (inner and surrounding spaces
 *    and tabs included) except that one trailing '\r' is removed; empty
 *    lines are skipped.
 *  - Otherwise it is split on runs of spaces and tabs; leading and
 *    trailing runs produce no empty arguments.
 * No quoting, no escapes, no expansion: every byte is literal.
 *
 * Caps and checks: at most 4096 arguments, each at most 64 KiB; a control
 * byte (below 0x20, or 0x7f) other than tab, '\n' and '\r' is an error.
 */
#ifndef SV_BWRAPARGS_H
#define SV_BWRAPARGS_H

#include "strbuf.h"
#include "strvec.h"

#define BWRAPARGS_MAX_ARGS 4096
#define BWRAPARGS_MAX_ARG (64 * 1024)

/* Split value and append the arguments to out. Errors return -1 with one
 * line appended to err ("BWRAP_ARGS: reason") and leave out unchanged. */
int bwrapargs_split(const char *value, struct strvec *out, struct strbuf *err);

#endif
