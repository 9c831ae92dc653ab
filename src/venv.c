/* venv.c - open a venv and its state directory safely. */
#include "venv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gate.h"
#include "registry.h"
#include "state.h"

void venv_init(struct venv *v)
{
	memset(v, 0, sizeof(*v));
	v->fd = v->bin_fd = v->state_fd = v->privbin_fd = v->lock_fd = -1;
}

void venv_release(struct venv *v)
{
	free(v->path);
	free(v->given);
	free(v->project);
	cleanup_closep(&v->fd);
	cleanup_closep(&v->bin_fd);
	cleanup_closep(&v->state_fd);
	cleanup_closep(&v->privbin_fd);
	cleanup_closep(&v->lock_fd);
	venv_init(v);
}

int venv_check_path_chars(const char *path, const char *what, struct strbuf *err)
{
	if (strchr(path, '\n')) {
		strbuf_addf(err, "%s path contains a newline; refusing it\n"
			    "hint: rename the directory", what);
		return -1;
	}
	if (str_has_control(path)) {
		strbuf_addf(err, "%s path contains a control character; refusing it\n"
			    "hint: rename the directory", what);
		return -1;
	}
	return 0;
}

/* dir (opened as fd) has no pyvenv.cfg: say so, with a hint only where
 * the right command is known (a project holding a .venv, a venv's bin/). */
static void not_a_venv(int fd, const char *path, const char *real, struct strbuf *err)
{
	cleanup_free char *parent = xstrdup(real);
	char *slash = strrchr(parent, '/');
	struct stat st;

	strbuf_addf(err, "'%s' is not a venv: it has no pyvenv.cfg", path);
	if (fstatat(fd, ".venv/pyvenv.cfg", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		strbuf_addf(err, "\nhint: it holds one: sandbox-venv '%s/.venv'", path);
		return;
	}
	if (slash && !strcmp(slash, "/bin")) {
		cleanup_free char *cfg = NULL;

		*slash = '\0';
		cfg = xasprintf("%s/pyvenv.cfg", parent[0] ? parent : "");
		if (lstat(cfg, &st) == 0)
			strbuf_addf(err, "\nhint: it is a venv's bin directory: sandbox-venv '%s'",
				    parent[0] ? parent : "/");
	}
}

int venv_open(const char *path, struct venv *v, struct strbuf *err)
{
	cleanup_free char *real = NULL;
	struct stat st;
	char *slash;

	if (venv_check_path_chars(path, "the venv", err) < 0)
		return -1;
	real = realpath(path, NULL);
	if (!real) {
		if (errno == ENOENT && path[0] != '-')
			strbuf_addf(err, "no venv at '%s'\nhint: create one with: python3 -I -m venv %s",
				    path, path);
		else
			strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (venv_check_path_chars(real, "the venv", err) < 0)
		return -1;
	v->fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (v->fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s", path,
			    errno == ENOTDIR ? "not a directory" : strerror(errno));
		return -1;
	}
	if (fstatat(v->fd, "pyvenv.cfg", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		not_a_venv(v->fd, path, real, err);
		return -1;
	}
	v->bin_fd = openat(v->fd, "bin", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (v->bin_fd < 0) {
		strbuf_addf(err, "'%s' is not a venv: cannot open its bin directory: %s",
			    path, errno == ELOOP || errno == ENOTDIR ?
			    "not a directory (or a symlink)" : strerror(errno));
		return -1;
	}
	slash = strrchr(real, '/');
	if (slash == real) {
		strbuf_addf(err, "a venv directly below '/' has no project directory");
		return -1;
	}
	v->project = xstrndup(real, (size_t)(slash - real));
	v->path = steal_pointer(&real);
	v->given = xstrdup(path);
	return 0;
}

/* See venv.h. */
bool venv_route_link(const char *path, const char *project, const char *venv, char **link)
{
	cleanup_strbuf struct strbuf cur = STRBUF_INIT;	/* real, "" for "/" */
	const char *s = path;
	unsigned hops = 0;

	if (path[0] != '/') {
		cleanup_free char *cwd = getcwd(NULL, 0);

		if (!cwd)
			return false;
		strbuf_addstr(&cur, strcmp(cwd, "/") ? cwd : "");
	}
	while (*s) {
		const char *e;
		cleanup_free char *next = NULL;
		struct stat st;

		while (*s == '/')
			s++;
		e = strchrnul(s, '/');
		if (e == s)
			break;
		if (e - s == 1 && s[0] == '.') {
			s = e;
			continue;
		}
		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			char *slash = strrchr(cur.buf, '/');

			strbuf_setlen(&cur, slash ? (size_t)(slash - cur.buf) : 0);
			s = e;
			continue;
		}
		next = xasprintf("%s/%.*s", cur.buf, (int)(e - s), s);
		if (lstat(next, &st) < 0)
			return false;
		if (S_ISLNK(st.st_mode)) {
			const char *dir = cur.len ? cur.buf : "/";
			cleanup_free char *real = NULL;

			if (path_is_under(dir, project) || path_is_under(dir, venv)) {
				*link = steal_pointer(&next);
				return true;
			}
			real = realpath(next, NULL);
			if (!real || ++hops > 40)
				return false;
			strbuf_reset(&cur);
			strbuf_addstr(&cur, strcmp(real, "/") ? real : "");
		} else {
			strbuf_reset(&cur);
			strbuf_addstr(&cur, next);
		}
		s = e;
	}
	return false;
}

int venv_open_state(struct venv *v, bool create, struct strbuf *err)
{
	if (v->state_fd < 0) {
		if (create && fs_mkdir_at(v->fd, STATE_DIR, 0755, err) < 0)
			return -1;
		v->state_fd = fs_open_dir_at(v->fd, STATE_DIR, err);
		if (v->state_fd < 0)
			return -1;
	}
	if (v->privbin_fd < 0) {
		if (gate_finish_first_wrap(v, err) < 0 ||
		    (create && fs_mkdir_at(v->state_fd, STATE_BIN, 0755, err) < 0))
			return -1;
		v->privbin_fd = fs_open_dir_at(v->state_fd, STATE_BIN, err);
		if (v->privbin_fd < 0)
			return -1;
	}
	return 0;
}

const struct seal_key *venv_key(struct venv *v, bool create, struct strbuf *err)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_fd int dir = -1;
	struct stat st;

	if (v->key_loaded)
		return &v->key;
	if (v->state_fd < 0 || fstat(v->state_fd, &st) < 0) {
		strbuf_addstr(&why, "it has no state directory");
	} else {
		create = create && st.st_uid == geteuid();
		dir = registry_dir(st.st_uid, create, &why);
		v->key_loaded = dir >= 0 &&
				seal_key_load_at(dir, st.st_uid, create, &v->key, &why) == 0;
	}
	if (!v->key_loaded) {
		strbuf_addf(err, "cannot seal or check the state of '%s': %s", v->path, why.buf);
		return NULL;
	}
	return &v->key;
}

char *venv_seal_scope(const struct venv *v, const char *name)
{
	return strcmp(name, STATE_POLICY) && strcmp(name, STATE_RUNS) ?
	       xasprintf("%s/%s/%s", v->path, STATE_DIR, name) : xstrdup(name);
}

int venv_read_sealed(struct venv *v, const char *name, size_t max, struct strbuf *out,
		     struct strbuf *err)
{
	cleanup_free char *scope = venv_seal_scope(v, name);
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	const struct seal_key *key;

	if (fs_read_file_at(v->state_fd, name, max + SEAL_TRAILER_LEN, &text, err) < 0)
		return -1;
	if (!(key = venv_key(v, false, err)))
		return -1;
	if (seal_check(key, scope, &text) < 0) {
		strbuf_addf(err, "'%s/%s/%s' does not carry the seal of its owner's key: "
			    "sandbox-venv did not write it (a sandbox may have, while the venv was not "
			    "wrapped)", v->path, STATE_DIR, name);
		errno = EBADMSG;
		return -1;
	}
	strbuf_add(out, text.buf, text.len);
	return 0;
}

int venv_write_sealed(struct venv *v, const char *name, struct strbuf *text,
		      struct strbuf *err)
{
	cleanup_free char *scope = venv_seal_scope(v, name);
	const struct seal_key *key = venv_key(v, true, err);

	if (!key)
		return -1;
	seal_add(key, scope, text);
	return fs_write_atomic_at(v->state_fd, name, text->buf, text->len, 0644, err);
}

int venv_clear_state(struct venv *v, const char *const *keep, struct strbuf *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, ret = 0;

	if (fstat(v->state_fd, &st) < 0 || st.st_uid != geteuid()) {
		strbuf_addf(err, "'%s/%s' belongs to another user (uid %ld): a wrap of yours did "
			    "not make it\nhint: remove it, then wrap the venv again", v->path, STATE_DIR,
			    (long)st.st_uid);
		return -1;
	}
	if (fchmod(v->state_fd, 0755) < 0 || (v->lock_fd >= 0 && fchmod(v->lock_fd, 0600) < 0)) {
		strbuf_addf(err, "cannot set the mode of '%s/%s': %s", v->path, STATE_DIR,
			    strerror(errno));
		return -1;
	}
	fd = openat(v->state_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		strbuf_addf(err, "cannot read '%s/%s': %s", v->path, STATE_DIR, strerror(errno));
		return -1;
	}
	while (ret == 0 && (de = readdir(d))) {
		const char *const *k;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (k = keep; *k && strcmp(*k, de->d_name); k++)
			;
		if (!*k && fs_remove_tree_at(v->state_fd, de->d_name, err) < 0)
			ret = -1;
	}
	closedir(d);
	if (ret == 0)
		cleanup_closep(&v->privbin_fd);
	return ret;
}

int venv_lock(struct venv *v, struct strbuf *err)
{
	if (v->lock_fd >= 0)
		return 0;
	v->lock_fd = openat(v->state_fd, STATE_LOCK,
			    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (v->lock_fd < 0) {
		strbuf_addf(err, "cannot open '%s/%s/%s': %s", v->path, STATE_DIR,
			    STATE_LOCK, strerror(errno));
		return -1;
	}
	while (flock(v->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			strbuf_addf(err, "cannot lock '%s': %s", v->path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void venv_unlock(struct venv *v)
{
	cleanup_closep(&v->lock_fd);
}

int venv_check_not_in_venv(const char *project, struct strbuf *err)
{
	cleanup_free char *cur = xstrdup(project);
	struct stat st;

	for (;;) {
		cleanup_free char *cfg = xstrcat2(strcmp(cur, "/") ? cur : "", "/pyvenv.cfg");
		char *slash;

		if (lstat(cfg, &st) == 0)
			break;
		slash = strrchr(cur, '/');
		if (!strcmp(cur, "/"))
			return 0;
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (!strcmp(cur, project))
		strbuf_addf(err, "the project '%s' holds a pyvenv.cfg: it is a venv itself", project);
	else
		strbuf_addf(err, "the project '%s' lies in the venv '%s'", project, cur);
	strbuf_addstr(err, ", whose gates and scripts its sandboxes could rewrite");
	return -1;
}
