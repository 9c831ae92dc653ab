/* registry.h - the venvs this user has wrapped.
 *
 * A project may hold several venvs (.venv and .venv-3.13, the venvs tox
 * keeps in .tox and nox in .nox). The project is writable in every sandbox of each of
 * them, so each sandbox must see the others read-only, however deep they
 * lie and in whatever order they were wrapped. The list of wrapped venvs
 * lives in the user's home, which no sandbox sees:
 *
 *   ~/.local/state/sandbox-venv/venvs    one record "venv PATH" per venv,
 *                                        each followed by "writes PATH"
 *                                        for the places its sandboxes
 *                                        write (its project, its writable
 *                                        binds: reach.h)
 *
 * (~ from the password database, so that a caller's changed HOME does not
 * move it.) Wrapping adds a venv, unwrapping removes it; a launch reads
 * the list and binds every wrapped venv below its project read-only
 * (plan.c). The list only ever adds restrictions: an entry that is not a
 * wrapped venv below the project is ignored.
 */
#ifndef SV_REGISTRY_H
#define SV_REGISTRY_H

#include <stdbool.h>
#include <sys/types.h>

#include "strbuf.h"
#include "strvec.h"

/* ~/.local/state/sandbox-venv of user uid, opened (made first when create
 * is true): the list, and the key of the seals (seal.h). The home comes
 * from the password database (for the caller, else from HOME). */
int registry_dir(uid_t uid, bool create, struct strbuf *err);

/* Add venv (a canonical path), with the places its sandboxes write (to
 * those recorded for it before: what a sandbox left there stays), or
 * remove it. Errors carry a hint. */
int registry_add(const char *venv, const struct strvec *writes, struct strbuf *err);
int registry_remove(const char *venv, struct strbuf *err);
/* The registered venvs strictly below dir, except `self`, sorted. A
 * missing list is an empty one. */
void registry_below(const char *dir, const char *self, struct strvec *out);
/* Where the sandboxes of the venvs on user uid's list write: each venv
 * and the places recorded with it (for an entry without any: the venv's
 * directory). */
void registry_places(uid_t uid, struct strvec *out);
/* The venv of the caller's list that is dir or holds it, allocated; NULL
 * when none is. */
char *registry_holding(const char *dir);

/* Is venv (a canonical path) on the caller's list? */
bool registry_lists(const char *venv);

/* A launch holds the list still while it counts: from its first read of
 * the caller's list (registry_launch_begin: from then on) until the first
 * process of its sandbox exists (registry_launch_built), it shares a
 * lock with the other launches that a first wrap takes alone. Once the
 * wrap holds it (registry_launches_held: the descriptor, to close), every
 * launch has either not read the list yet or has a sandbox that shows
 * what it read (running.h). */
void registry_launch_begin(void);
void registry_launch_built(void);
int registry_launches_held(struct strbuf *err);

#endif
