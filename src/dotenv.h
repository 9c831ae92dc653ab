/* dotenv.h - a project's .env file as a list of KEY=VALUE, no shell ever.
 *
 * What MUST hold:
 *  1. A .env file is data for the sandboxed program. It is parsed here and
 *     never run, sourced or expanded by a shell: "$(cmd)", "`cmd`", "$VAR"
 *     and "${VAR}" stay literal text in the value.
 *  2. A .env file can never set sandbox policy: BWRAP_ARGS, VERBOSE and
 *     every name starting with SANDBOX_ are refused (reported, not added).
 *  3. Hostile input never stops a launch, and never passes half-read: a
 *     line that does not parse is left out with a message naming it (as
 *     python-dotenv does), the others are read; a NUL byte or an exceeded
 *     cap rejects the whole file, and `out` and `ignored` are left
 *     unchanged.
 *
 * Syntax (python-dotenv compatible where that is sane):
 *  - A UTF-8 byte order mark at the start is skipped.
 *  - Lines end with "\n" or "\r\n".
 *  - Blank lines, and lines whose first non-blank byte is '#', are skipped.
 *  - An assignment is [export<blanks>]KEY[blanks]=[blanks]VALUE, where
 *    blanks are spaces and tabs and "export" must be followed by at least
 *    one blank. A line with a KEY and no '=' is an error.
 *  - KEY matches [A-Za-z_][A-Za-z0-9_]* and is at most 256 bytes. Unlike
 *    python-dotenv, '.' is not accepted: such names cannot be used from a
 *    shell and are almost always a typo.
 *  - VALUE is one of:
 *      empty                 KEY=  or  KEY=   # comment
 *      unquoted              runs to the end of the line; a '#' preceded
 *                            by a space or tab starts a comment (so does a
 *                            '#' after blanks that follow the '='); trailing
 *                            blanks are removed; no escapes.
 *      'single-quoted'       literal: no escapes; may span lines.
 *      "double-quoted"       escapes \n \r \t \\ \" \' \$; any other
 *                            backslash is kept as is; may span lines.
 *    A quoted value needs its closing quote; after it only blanks and an
 *    optional '#' comment may follow on that line. Inside a quoted value a
 *    "\r\n" line break is read as "\n".
 *  - No variable expansion and no command substitution of any kind.
 *  - Caps: at most 4096 assignments, values at most 64 KiB (after escapes).
 *
 * Names are compared exactly (environment names are case-sensitive).
 */
#ifndef SV_DOTENV_H
#define SV_DOTENV_H

#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"
#include "strvec.h"

#define DOTENV_MAX_ASSIGNMENTS 4096
#define DOTENV_MAX_KEY 256
#define DOTENV_MAX_VALUE (64 * 1024)

/* Parse .env text (len bytes; may contain anything, including NUL, which
 * rejects the file). Each accepted assignment is appended to `out` as
 * "KEY=VALUE" (a later assignment of the same key, here or already in
 * `out`, replaces the earlier one in place). Policy names (see
 * dotenv_is_policy_name) are NOT added; for each one a message
 * "<file> line N: 'NAME' is sandbox policy and cannot be set from .env"
 * is appended to `ignored`, and for each line that does not parse
 * "<file> line N, column C: reason; that line is ignored". A NUL byte or
 * an exceeded cap returns -1 with "<file> line N, column C: reason"
 * appended to err, and leaves `out` and `ignored` unchanged. `file` is the
 * name used in messages (e.g. ".env"). Returns 0 on success. */
int dotenv_parse(const char *text, size_t len, const char *file,
		 struct strvec *out, struct strvec *ignored, struct strbuf *err);

/* True for "BWRAP_ARGS", "VERBOSE" and every name starting with "SANDBOX_". */
bool dotenv_is_policy_name(const char *name);

#endif
