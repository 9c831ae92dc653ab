/* bwrapopts.h - bwrap's options: how many arguments each takes, what its
 * arguments are, and which ones a user may give.
 *
 * Options reach bwrap from two places the user controls: those recorded
 * when a venv is wrapped, and BWRAP_ARGS at each launch. Both are checked
 * here, option by option, against a table of bwrap's options (and, for an
 * option the table does not know, the installed bwrap's own --help), so
 * that a missing argument can never swallow the next option, a typo is
 * named, and an option that would take over sandbox-venv's own plumbing
 * (its descriptors, its init, its filter) is refused with the reason.
 *
 * What MUST hold:
 *  1. Every option is checked for its arity before anything is recorded or
 *     run: "--setenv X" alone is an error naming --setenv.
 *  2. Options that take a descriptor are refused: a launch passes none of
 *     the caller's descriptors into the sandbox (DESIGN MUST 9).
 *  3. Options that would replace the sandbox's own plumbing (--args,
 *     --seccomp, --info-fd, --userns, --as-pid-1, --clearenv, ...) are
 *     refused with the reason.
 *  4. No option gives a second /proc (--proc), names a path at or in /proc
 *     inside the sandbox or through a link an earlier option made, binds
 *     the host's /proc writable, or makes a symlink that leads to /,
 *     /proc, bwrap's own roots (/newroot, /oldroot) or through another
 *     option's link: the sandbox's /proc, where its init runs from, is
 *     mounted after them (plan.h), and a root caller's sandbox must not
 *     reach the kernel's tunables.
 */
#ifndef SV_BWRAPOPTS_H
#define SV_BWRAPOPTS_H

#include <stdbool.h>
#include "strbuf.h"
#include "strvec.h"

/* What one argument of an option is. */
enum bwrapopt_arg {
	BWRAPOPT_VALUE,   /* anything */
	BWRAPOPT_SRC,     /* a path on the host: made absolute when recorded */
	BWRAPOPT_DEST,    /* a path inside the sandbox */
};

#define BWRAPOPT_MAX_ARGS 3

struct bwrapopt {
	const char *name;
	unsigned nargs;
	enum bwrapopt_arg arg[BWRAPOPT_MAX_ARGS];
	const char *refused;    /* NULL, or why a user may not give it */
	/* What it mounts at its last argument, for the Landlock layout's
	 * path rules (plan.c): an enum landlock_class ('r', 'w', 'd', 'p'),
	 * or 0 when it mounts nothing. */
	char mounts;
};

/* The table's entry for name, or NULL. */
const struct bwrapopt *bwrapopt_find(const char *name);
/* Is arg the name of a bwrap option (the table's, or the installed
 * bwrap's)? */
bool bwrapopt_known(const char *arg);

/* Check args (recorded options, or BWRAP_ARGS: `what` names them in
 * messages) option by option. With `absolute_from` (a directory), relative
 * host paths are made absolute in place, resolved against it. Returns 0,
 * or -1 with err naming the option. */
int bwrapopt_check(struct strvec *args, const char *what, const char *absolute_from,
		   struct strbuf *err);

/* How many strings make up the option at args->v[i]: 1 + its arguments.
 * args must have passed bwrapopt_check. */
size_t bwrapopt_group_len(const struct strvec *args, size_t i);

/* Do these checked options, read in order, leave the sandbox without the
 * host's network (--unshare-net, --unshare-all, not undone by a later
 * --share-net)? `cut` is the answer before them. */
bool bwrapopt_net_cut(const struct strvec *args, bool cut);

#endif
