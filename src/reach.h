/* reach.h - the places on the host that sandboxes can write.
 *
 * What the host records for launches to expose, or runs itself, must lie
 * outside all of them, route included (a link there could be turned).
 * They are: the venv and its project; the sources of writable binds (the
 * options recorded, BWRAP_ARGS); the pip cache sandboxes may share
 * (SANDBOX_USE_PIP_CACHE: the one in $HOME, and in the home of each
 * account below); and, for each venv on the lists (registry.h) of the
 * caller and of the owners of the venv and of its project (root wrapping
 * a user's venv: that user's sandboxes), its directory and the places it
 * records that its sandboxes write (its project, its writable binds).
 */
#ifndef SV_REACH_H
#define SV_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "strvec.h"

/* Collect the places (absolute, and canonical where they exist) into out:
 * args[0..nargs) are option lists whose writable binds count. */
void reach_collect(const char *venv, const char *project, const struct strvec *const *args,
		   size_t nargs, struct strvec *out);
/* The places of uid's list alone, and the pip cache in uid's home: what
 * is known before a venv is. */
void reach_places_of(uid_t uid, struct strvec *out);
/* The sources of what args bind writable (--bind, --dev-bind, ...). */
void reach_writable_sources(const struct strvec *args, struct strvec *out);
/* The place of reach that holds path, or NULL. */
const char *reach_find(const struct strvec *reach, const char *path);
/* Every entry on the way along path, and along where each link on the
 * way leads, lies outside reach (in a directory no sandbox writes). */
bool reach_path_outside(const struct strvec *reach, const char *path);
/* The same, and stricter, for a file the host reads for a sandbox: no
 * directory on the way is one of reach by another name (a bind mount of
 * it: compared by inode, as are the directories above it), and each can
 * be changed by root and owner alone (owned by one of them, writable by
 * no one else unless sticky): another user's sandboxes write where that
 * user can, and this caller's list does not know their places. */
bool reach_path_trusted(const struct strvec *reach, const char *path, uid_t owner);

#endif
