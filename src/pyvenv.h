/* pyvenv.h - a venv's pyvenv.cfg as written by `python -m venv`,
 * virtualenv and uv, read into struct pyvenv.
 *
 * Format (as Python's site.py reads it): lines "key = value"; the key is
 * stripped of blanks and lowercased, the value stripped of blanks (spaces
 * and tabs). Blank lines and lines whose first non-blank byte is '#' are
 * skipped; unknown keys are ignored; a later duplicate key wins. Lines end
 * with "\n" or "\r\n".
 *
 * The file lies in a sandbox-writable tree, so it is hostile input. What
 * MUST hold before pyvenv_parse() returns 0:
 *  1. The text is at most 64 KiB and 1000 lines, contains no NUL and no
 *     control byte (below 0x20, or 0x7f) other than tab and the '\r' of a
 *     "\r\n" line end.
 *  2. Every non-blank, non-comment line contains '='.
 *  3. "home" is present and is an absolute path.
 *  4. "include-system-site-packages", when present, is true or false
 *     (case-insensitive).
 *  5. "version" and "version_info", when present, start with MAJOR.MINOR:
 *     MAJOR a single digit 2 to 9, MINOR 0 to 99 without leading zeros,
 *     followed by the end or a byte that is not a digit.
 * Errors return -1 with "<file> line N: reason" (or "<file>: reason" when
 * no line is to blame) appended to err, and leave *pv unchanged.
 */
#ifndef SV_PYVENV_H
#define SV_PYVENV_H

#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"

#define PYVENV_MAX_SIZE (64 * 1024)
#define PYVENV_MAX_LINES 1000

struct pyvenv {
	char *home;          /* "home": directory holding the base interpreter (required) */
	char *executable;    /* "executable", else "base-executable", else NULL */
	char *base_prefix;   /* "base-prefix" (virtualenv), else NULL */
	char *version;       /* "version", else "version_info", as written, else NULL */
	int major, minor;    /* parsed from version/version_info; -1 when absent */
	bool system_site_packages; /* "include-system-site-packages" */
	char *implementation;/* "implementation" (virtualenv, uv), else NULL */
	char *uv;            /* "uv" key (uv's version), else NULL */
};

/* Empty: every string NULL, major and minor -1, system_site_packages false. */
void pyvenv_init(struct pyvenv *pv);
/* Free the strings and return to the pyvenv_init() state. */
void pyvenv_release(struct pyvenv *pv);

/* Parse pyvenv.cfg text (len bytes). On success *pv (initialised, possibly
 * holding an earlier result, which is released) is replaced and 0 is
 * returned. `file` is the name used in messages. */
int pyvenv_parse(const char *text, size_t len, const char *file,
		 struct pyvenv *pv, struct strbuf *err);

#endif
