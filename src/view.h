/* view.h - the directories that show only links, kept by the host.
 *
 * In the Landlock layout, /etc, /usr/bin and /usr/local/bin show only
 * links to what the sandbox may use (plan.h, rule 9). bwrap would make
 * each as a tmpfs and fill it one link at a time, then remount it
 * read-only: on a plain venv some seventy links and six mounts, a
 * millisecond of every launch. Instead the launcher makes each such
 * directory once, in the venv's state (state.h: views/), and bwrap binds
 * it whole, read-only.
 *
 * What MUST hold:
 *  1. A view is what the plan would have made, entry for entry: it is
 *     named by a hash of its entries and used only when the list kept
 *     beside it (manifest) carries the account's seal (seal.h) and is the
 *     plan's, byte for byte, and its files have the sizes the list gives.
 *     The entries themselves are not read back one by one (that would
 *     cost what the view saves): a sandbox able to write the state (seal.h
 *     says when) could change what later sandboxes see in /etc, but
 *     nothing more than it can already put in the project they share,
 *     since a view is bound read-only and its links resolve inside.
 *  2. It is made under a temporary name and renamed into place whole: a
 *     launch killed while making one leaves nothing that is used. Nothing
 *     is synced to disk: a view that a crash left with a file cut short
 *     fails rule 1 and is made again.
 *  3. Only in a state directory of the caller's own (a venv of another
 *     user's, or root's in a user's venv, goes without: bwrap makes the
 *     directory as before). No sandbox sees the state directory, nor can
 *     write a view: each is bound read-only.
 *  4. Views not used for VIEW_KEEP_DAYS are removed when a new one is
 *     made; a use refreshes a view's time at most once a day.
 *  5. Any failure is no error: the launch goes on with bwrap's way.
 */
#ifndef SV_VIEW_H
#define SV_VIEW_H

#include <stddef.h>
#include "plan.h"
#include "seal.h"

#define VIEW_KEEP_DAYS 7

/* An O_PATH descriptor of the view holding these entries, made when it
 * is not there yet, its manifest sealed with key; or -1 (rule 5, and
 * when key is NULL). */
int view_open(int state_fd, const struct seal_key *key, const struct plan_view_entry *e,
	      size_t nr);

/* Every view kept in the state (at most max), each an O_PATH descriptor
 * as view_open gives, none checked: for a bwrap started before the plan
 * says which it binds (run.h), which then uses only those that are the
 * plan's, the same files as view_open's (launch.c). Returns how many. */
size_t view_open_all(int state_fd, int *fds, size_t max);

#endif
