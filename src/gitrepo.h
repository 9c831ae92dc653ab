/* gitrepo.h - where in the work tree git on the host runs from.
 *
 * Besides .git at the project's top (guard.h), git on the host follows,
 * and runs what it finds there, into entries of the work tree that a
 * sandbox can write: each submodule's .git (git status at the top recurses
 * into every populated submodule, and a repository put there has a config
 * of its own: core.fsmonitor), and a hooks directory core.hooksPath names
 * in the work tree (.githooks, husky's .husky/_), whose hooks git commit
 * runs. The launch binds the existing ones read-only, and the guard sets
 * aside what a sandbox makes in place of the others.
 *
 * What MUST hold:
 *  1. The submodules are those git knows: the gitlinks of the index (the
 *     split index's shared files too), populated or not, and every work
 *     tree a module's config under .git/modules names (core.worktree), at
 *     any depth. Only the repository's own files are read, all read-only
 *     inside (.git is bound so); never .gitmodules, which a sandbox can
 *     write.
 *  2. core.hooksPath is read as git reads it: the system's, the user's and
 *     the repository's config, the last one set winning; "~/" is the home
 *     directory, a relative path the top of the work tree.
 *  3. So do the repository's own directory and its common one when they
 *     lie in the work tree (a gitfile naming one, a .git symlink), the .git
 *     of each linked work tree there (worktrees/NAME/gitdir), the files the
 *     repository's config includes (include.path, includeIf.*.path) and
 *     the hooks that are symlinks; each comes back as written and where its
 *     symlinks lead (git follows them), existing or not.
 *  4. Paths come back relative to the project, normalized, never with
 *     "..", never into .git (bound read-only already), at most
 *     GITREPO_PATHS_MAX of them; the reading is bounded in size.
 *  5. Nothing here runs git: the files are parsed.
 */
#ifndef SV_GITREPO_H
#define SV_GITREPO_H

#include "strvec.h"

#define GITREPO_PATHS_MAX 256

/* The entries of the work tree git runs from (proj: the project's top, at
 * the path project; home: the caller's home directory, or NULL), appended
 * to out: a submodule's "PATH/.git", the hooks directory's path. */
void gitrepo_exec_paths(int proj, const char *project, const char *home, struct strvec *out);

/* For tests: the value git would take for section.key (key in lower case;
 * section with its subsection as "submodule.name") from config text, or
 * NULL. The last one wins. Allocated. */
char *gitrepo_config_get(const char *text, size_t len, const char *section,
			 const char *key);
/* For tests: the gitlinks of the index in data (hash_len 20 or 32),
 * appended to out. Returns -1 for data that is not an index. */
int gitrepo_index_gitlinks(const unsigned char *data, size_t len, size_t hash_len,
			   struct strvec *out);

#endif
