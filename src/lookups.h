/* lookups.h - the host's paths a plan looked up, kept for the next launch.
 *
 * Planning a launch looks up every path on the way to each file it
 * exposes (lstat, and readlink for a link): some 400 system calls for a
 * plain venv, the largest part of the launcher's own time. The answers
 * are kept in the venv's state (STATE_LOOKUPS, under the caller's seal:
 * seal.h), with the identity and the times of each directory they were
 * read from.
 *
 * Why a directory's times are enough: adding, removing, renaming or
 * replacing an entry changes its directory's change time (ctime), and
 * nothing but the kernel's clock sets a ctime: utimensat(2) sets the
 * modification time alone. A launch that finds every recorded directory
 * with the same device, inode, modification and change time, in the same
 * mount namespace and as the same user, takes the kept answers, with one
 * lstat per directory instead of one or two per path. Any difference and
 * nothing kept is used.
 *
 * What the answers hold is what the plan reads: the type of the entry
 * (absent, a link and where it points, a directory, a regular file,
 * anything else), never its permission bits or its content, which change
 * without touching the directory.
 *
 * Two cases where an unchanged directory does not mean unchanged answers,
 * and how they are kept out:
 *  - A change within one tick of the file system's clock, right after the
 *    directory was stamped, would leave its times as recorded. Nothing is
 *    kept when a directory changed less than LOOKUPS_SETTLE seconds before
 *    the lookups began (as git does for its index).
 *  - The kernel's own file systems (/proc, /sys, /dev) do not keep ctime
 *    that way: paths there are always looked up again, never kept.
 * A mount over a path of the host does not change its directory either;
 * mounts are a matter of the caller's namespace, whose identity is
 * recorded, and of the host's root.
 */
#ifndef SV_LOOKUPS_H
#define SV_LOOKUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "strbuf.h"
#include "strmap.h"

#define LOOKUPS_SETTLE 2        /* seconds; see above */
#define LOOKUPS_MAX 65536       /* paths kept at most */

struct lookup_entry {
	char *path;
	mode_t type;            /* S_IFMT bits; 0: absent (or not reachable) */
	char *target;           /* a link's */
};

struct lookup_dir {
	char *path;
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
};

struct lookups {
	struct lookup_entry *entries;
	size_t nr_entries, alloc_entries;
	struct lookup_dir *dirs;
	size_t nr_dirs, alloc_dirs;
	struct strmap entry_index; /* path -> index + 1 in entries */
	struct strmap dir_index;   /* path -> index + 1 in dirs */
	bool keep;              /* stamp directories: the answers will be kept */
	bool changed;           /* something was looked up on the host */
	bool unsure;            /* a directory could not be stamped: keep nothing */
	struct timespec began;  /* the wall clock when the lookups began */
};

/* keep: the answers are to be kept (lookups_format), so each directory is
 * stamped before the first path in it is looked up. */
void lookups_init(struct lookups *l, bool keep);
void lookups_release(struct lookups *l);

/* Take what a launch kept (lookups_format's text, seal removed) when
 * every directory it names is as recorded: 0. Otherwise -1, with err
 * saying what differs, and l as lookups_init left it. */
int lookups_load(struct lookups *l, const char *text, size_t len, struct strbuf *err);

/* lstat(2) of path, readlink(2) for a link: *type (S_IFMT bits) and
 * *target (owned by l, valid until lookups_release). From what l holds
 * when it was looked up before, from the host otherwise. -1 when path is
 * not there (or cannot be reached). */
int lookups_lstat(struct lookups *l, const char *path, mode_t *type, const char **target);

/* What to keep for the next launch: 0 with the records appended to out;
 * -1 when there is nothing new, or nothing can be kept (a directory that
 * could not be stamped, or changed too recently). */
int lookups_format(const struct lookups *l, struct strbuf *out);

#endif
