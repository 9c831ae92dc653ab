/* guard.h - the host's check of the project after a sandbox ran.
 *
 * git on the host reads a repository's config and hooks (core.fsmonitor,
 * core.pager, hooks/) and runs what they name, so a repository a sandbox
 * makes where git will find it is code the host would run. An existing
 * .git is bound read-only and is a mountpoint (plan.c); what a sandbox
 * creates in its place, or makes of the project's top, is set aside when
 * the sandbox ends, before the launch hands anything back to the host.
 *
 * What MUST hold (DESIGN.md MUST 8, 10 and 13):
 *  1. "A repository" is git's own rule (git's setup.c, is_git_directory):
 *     HEAD is a "refs/..." symlink, a "ref: refs/..." file or an object
 *     name, and objects/ and refs/ under the common directory (commondir,
 *     when there is one) can be searched (access X_OK: a directory, or an
 *     executable file, as git accepts). git finds a .git entry first, and
 *     otherwise takes the directory itself as a bare repository.
 *  2. After a run: a .git entry that is new or changed (any type: a gitfile
 *     is as good as a directory to git) is set aside, and so is HEAD when
 *     the top has become a repository by rule 1.
 *  3. Setting aside cannot be defeated from inside: the new name carries
 *     128 random bits (no decoy can be there first), and a project whose
 *     own directory the sandbox made unwritable gets its mode back first.
 *     When it still fails, the launch fails loudly and the record of the
 *     run stays, so every later launch tries again before anything else.
 *  4. The same holds below the top, for the entries git follows into and
 *     runs from (gitrepo.h: submodules' .git, a hooks directory in the
 *     work tree), and for each directory on the way to them: one that is
 *     new or changed is set aside, when what git would read lies there.
 *  5. The work is recorded before the sandbox starts (a file per run in
 *     the state directory, locked by its launcher while it lives, and out
 *     of every sandbox's view), so a launcher that could not finish, killed
 *     or crashed, leaves it to the next launch or wrap, which does it
 *     first.
 */
#ifndef SV_GUARD_H
#define SV_GUARD_H

#include <stdbool.h>
#include <sys/types.h>
#include "seal.h"
#include "strbuf.h"
#include "strvec.h"

/* What dirfd/name was: absent, or this file (lstat, not followed). */
struct entry_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	mode_t type;
};

/* An entry below the project's top (rule 4), and what it was. */
struct guard_watch {
	char *path;             /* relative to the project, no "..", no symlink */
	char *target;           /* the entry git reads there or below it */
	struct entry_id id;
};

struct git_guard {
	struct entry_id git;    /* .git at the project's top */
	bool top_repo;          /* the top itself is a repository (rule 1) */
	mode_t mode;            /* the project directory's permission bits */
	struct guard_watch *watch;
	size_t nr_watch;
};

/* git's is_git_directory() for dirfd/name ("." for dirfd itself). */
bool guard_is_repository(int dirfd, const char *name);

/* Before the run: what the project's top is now, and each entry of
 * targets (paths relative to the project: gitrepo.h) and the directories
 * on the way to it. */
void guard_start(struct git_guard *g, int proj, const struct strvec *targets);
void guard_release(struct git_guard *g);
/* After the run: set aside what the sandbox planted, saying so on stderr.
 * `why` words the message ("the sandbox created", ...). Returns 0, or -1
 * with err when something planted could not be set aside. */
int guard_finish(const struct git_guard *g, int proj, const char *project,
		 struct strbuf *err);

/* The record of one run's pending work, in state_fd's runs/ directory. */
struct guard_record {
	int fd;                 /* open and flock'ed while the launcher lives */
	char *name;
};

/* Record g for this run, sealed with key for scope (seal.h). A state
 * directory we cannot write is not an error: r->fd stays -1 and the run
 * goes on unrecorded. */
int guard_record(int state_fd, const struct seal_key *key, const char *scope,
		 const struct git_guard *g, struct guard_record *r, struct strbuf *err);
/* The run's work is done: drop its record. */
void guard_record_done(int state_fd, struct guard_record *r);
/* Do the work of every recorded run whose launcher is gone (its record is
 * not locked), then drop those records; a record without key's seal for
 * scope is
 * dropped unread (a sandbox could have written it before the venv was
 * wrapped: it would name what the host renames). Returns -1 with err when
 * planted content could not be set aside. */
int guard_recover(int state_fd, const struct seal_key *key, const char *scope, int proj,
		  const char *project, struct strbuf *err);

#endif
