/* venv.h - an opened venv: canonical paths and directory fds.
 *
 * Every directory below the venv is opened relative to the venv's fd with
 * O_NOFOLLOW, so a symlink planted in place of one of them is refused, not
 * followed. The venv path itself is canonical (realpath) when opened.
 */
#ifndef SV_VENV_H
#define SV_VENV_H

#include <stdbool.h>
#include "seal.h"
#include "strbuf.h"

struct venv {
	char *path;         /* canonical path of the venv */
	char *given;        /* the path as the caller gave it */
	char *project;      /* its parent directory */
	int fd;             /* the venv directory */
	int bin_fd;         /* $venv/bin: gates and activate scripts */
	int state_fd;       /* $venv/.sandbox-venv, or -1 */
	int privbin_fd;     /* $venv/.sandbox-venv/bin, or -1 */
	int lock_fd;        /* held flock, or -1 */
	bool key_loaded;    /* key is loaded */
	struct seal_key key; /* of the account owning the state (seal.h) */
};

void venv_init(struct venv *v);
void venv_release(struct venv *v);

/* Check that path is a usable venv directory and open it and its bin/.
 * Errors carry a hint after a newline where the user can act. */
int venv_open(const char *path, struct venv *v, struct strbuf *err);
/* Open (creating when create is true) the state directory and its bin/,
 * after finishing a first wrap that was killed half-way (gate.h). */
int venv_open_state(struct venv *v, bool create, struct strbuf *err);
/* The key that seals v's state: its owner's, made when create is true
 * and the owner is the caller. NULL with err set when there is none. */
const struct seal_key *venv_key(struct venv *v, bool create, struct strbuf *err);
/* The scope of the seal of the state file `name` (seal.h): the file and
 * the venv ("/p/.venv/.sandbox-venv/libs"), so that a sealed file of
 * another venv is no good here. The policy's is its name alone, as the
 * policy names its venv (a moved venv is then told so), and so are the
 * records of runs (runs/: a record left by a launcher killed before the
 * project moved is still done). Allocated. */
char *venv_seal_scope(const struct venv *v, const char *name);
/* Read the state file `name`, checked against its seal and without it:
 * -1 with errno EBADMSG when the seal is missing or wrong (a sandbox may
 * have written it), with errno ENOENT when there is no such file. */
int venv_read_sealed(struct venv *v, const char *name, size_t max, struct strbuf *out,
		     struct strbuf *err);
/* Seal text (it gets its seal) and write it to the state file `name`. */
int venv_write_sealed(struct venv *v, const char *name, struct strbuf *text,
		      struct strbuf *err);
/* Before a first wrap, under the lock: nothing in the state directory
 * was made by a wrap of this venv, and a sandbox of another venv of the
 * project may have put anything there. Remove every entry but those named
 * in keep (NULL-terminated: what this wrap just wrote), give the directory
 * mode 0755 and the lock 0600. Refused when the directory is another
 * user's. */
int venv_clear_state(struct venv *v, const char *const *keep, struct strbuf *err);
/* Take the exclusive lock on the venv's state (blocks). */
int venv_lock(struct venv *v, struct strbuf *err);
void venv_unlock(struct venv *v);

/* The first symlink on the way along `path` (relative: to the working
 * directory) that lies in a directory sandboxes can write, the project or
 * the venv (pip's sandbox): the host follows such a link at every start,
 * and a sandbox could point it at a program of its own (DESIGN MUST 12).
 * Returns true with the link's path in *link. */
bool venv_route_link(const char *path, const char *project, const char *venv, char **link);

/* A project that is a venv, or lies in one (a pyvenv.cfg in it or in a
 * directory above): -1 with err saying so, since its sandboxes could
 * rewrite that venv's gates, which the host runs. For a wrap: a sandbox can
 * put a pyvenv.cfg in a project, so a launch asks the list of wrapped venvs
 * instead (registry_holding). project: absolute, canonical. */
int venv_check_not_in_venv(const char *project, struct strbuf *err);

/* Reject paths bwrap or our state format cannot carry unambiguously. */
int venv_check_path_chars(const char *path, const char *what, struct strbuf *err);

#endif
