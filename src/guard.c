/* guard.c - the host's check of the project after a sandbox ran. */
#include "guard.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "seal.h"
#include "state.h"
#include "util.h"

#define RUNS_DIR STATE_RUNS
/* A record still being made (.tmp-*) is left alone while this young. */
#define RECORD_TMP_AGE_S 60
#define RECORD_MAX (1u << 20)
#define COMMONDIR_MAX 4096
/* git reads at most 255 bytes of HEAD. */
#define HEAD_MAX 255

/* ---- git's rule for "a repository" ---- */

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* git's validate_headref(): HEAD in the directory `dir`. */
static bool valid_head(int dir)
{
	char buf[HEAD_MAX + 1];
	const char *ref;
	struct stat st;
	ssize_t n;
	int fd;

	if (fstatat(dir, "HEAD", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dir, "HEAD", buf, sizeof(buf) - 1);
		return n >= 5 && !memcmp(buf, "refs/", 5);
	}
	/* git opens whatever it is: a FIFO or a device there would hang or
	 * feed it, so one counts as a HEAD (and is set aside with it). */
	if (!S_ISREG(st.st_mode))
		return !S_ISDIR(st.st_mode);
	fd = openat(dir, "HEAD", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	if (str_has_prefix(buf, "ref:")) {
		for (ref = buf + 4; isspace((unsigned char)*ref); ref++)
			;
		if (str_has_prefix(ref, "refs/"))
			return true;
	}
	/* A detached HEAD: an object name, SHA-1 (40) or SHA-256 (64). */
	return n >= 40 && is_hex(buf, 40);
}

/* git's get_common_dir(): `dir` itself, or what its commondir file names
 * (relative to dir). Returns an O_PATH fd, or -1. */
static int common_dir(int dir)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int fd = -1;
	struct stat st;

	if (fstatat(dir, "commondir", &st, 0) < 0)
		return openat(dir, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = openat(dir, "commondir", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fs_read_fd(fd, COMMONDIR_MAX, &text, "commondir", &ignored) < 0)
		return -1;
	while (text.len && (text.buf[text.len - 1] == '\n' || text.buf[text.len - 1] == '\r'))
		strbuf_setlen(&text, text.len - 1);
	if (!text.len || memchr(text.buf, '\0', text.len))
		return -1;	/* git dies on it: no repository */
	return openat(text.buf[0] == '/' ? AT_FDCWD : dir, text.buf,
		      O_PATH | O_DIRECTORY | O_CLOEXEC);
}

bool guard_is_repository(int dirfd, const char *name)
{
	cleanup_fd int dir = openat(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_fd int common = -1;

	if (dir < 0 || !valid_head(dir))
		return false;
	common = common_dir(dir);
	return common >= 0 && faccessat(common, "objects", X_OK, 0) == 0 &&
	       faccessat(common, "refs", X_OK, 0) == 0;
}

/* ---- before and after a run ---- */

static struct entry_id entry_id_at(int dirfd, const char *name)
{
	struct entry_id id = { false, 0, 0, 0 };
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		id.exists = true;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
		id.type = st.st_mode & S_IFMT;
	}
	return id;
}

/* dirfd/name is there now and is not what it was (a new entry, or one put
 * in the place of a .git symlink, which is not bound read-only). */
static bool entry_new(int dirfd, const char *name, const struct entry_id *was)
{
	struct entry_id now = entry_id_at(dirfd, name);

	return now.exists && (!was->exists || now.dev != was->dev || now.ino != was->ino ||
			      now.type != was->type);
}

/* proj/path's parent directory, opened one component at a time without
 * following a symlink; *base gets the last component. -1 when the way is
 * gone or goes through something else than a directory. */
static int open_parent(int proj, const char *path, const char **base)
{
	const char *s = path, *slash;
	int cur = openat(proj, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	while (cur >= 0 && (slash = strchr(s, '/'))) {
		cleanup_free char *name = xstrndup(s, (size_t)(slash - s));
		int next = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(cur);
		cur = next;
		s = slash + 1;
	}
	*base = s;
	return cur;
}

static struct entry_id entry_id_below(int proj, const char *path)
{
	struct entry_id none = { false, 0, 0, 0 };
	const char *base;
	cleanup_fd int parent = open_parent(proj, path, &base);

	return parent < 0 ? none : entry_id_at(parent, base);
}

static void add_watch(struct git_guard *g, const char *path, const char *target,
		      struct entry_id id)
{
	size_t i;

	for (i = 0; i < g->nr_watch; i++)
		if (!strcmp(g->watch[i].path, path))
			return;
	g->watch = xrealloc(g->watch, (g->nr_watch + 1) * sizeof(*g->watch));
	g->watch[g->nr_watch++] = (struct guard_watch){ xstrdup(path), xstrdup(target), id };
}

/* Each prefix of target, down to the first that is not there (or not a
 * directory on the way): rule 4. */
static void watch_target(struct git_guard *g, int proj, const char *target)
{
	const char *p = target;

	for (;;) {
		const char *e = strchrnul(p, '/');
		cleanup_free char *prefix = xstrndup(target, (size_t)(e - target));
		struct entry_id id = entry_id_below(proj, prefix);

		add_watch(g, prefix, target, id);
		if (!*e || !id.exists || id.type != S_IFDIR)
			return;
		p = e + 1;
	}
}

void guard_start(struct git_guard *g, int proj, const struct strvec *targets)
{
	struct stat st;
	size_t i;

	g->git = entry_id_at(proj, ".git");
	g->top_repo = guard_is_repository(proj, ".");
	g->mode = fstat(proj, &st) == 0 ? st.st_mode & 07777 : 0755;
	g->watch = NULL;
	g->nr_watch = 0;
	for (i = 0; targets && i < targets->nr; i++)
		watch_target(g, proj, targets->v[i]);
}

void guard_release(struct git_guard *g)
{
	size_t i;

	for (i = 0; i < g->nr_watch; i++) {
		free(g->watch[i].path);
		free(g->watch[i].target);
	}
	FREE_AND_NULL(g->watch);
	g->nr_watch = 0;
}

static int chmod_fd(int fd, mode_t mode)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return chmod(path, mode);
}


/* A name no sandbox can have taken first: name.from-sandbox-<128 bits>. */
static char *aside_name(const char *name)
{
	cleanup_free char *hex = random_hex();

	return xasprintf("%s.from-sandbox-%s", name, hex);
}

/* When nothing can be renamed (ENOSPC): a file or symlink named .git or
 * HEAD is removed; a .git directory loses its HEAD, which git needs
 * (rule 1), and removing frees space. 0 when git no longer sees a
 * repository there. */
static int disarm(int proj, const char *name)
{
	struct stat st;

	if (fstatat(proj, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(proj, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	{
		cleanup_fd int dir = openat(proj, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (dir < 0 || (unlinkat(dir, "HEAD", 0) < 0 && errno != ENOENT))
			return -1;
	}
	return guard_is_repository(proj, name) ? -1 : 0;
}

/* Rename dir/name aside; tell why. where: dir's path, for the messages;
 * mode: dir's permission bits before the run. A repository that cannot be
 * renamed (ENOSPC) is disarmed, anything else removed. */
static int set_aside(int dir, mode_t mode, const char *where, const char *name, bool repo,
		     const char *who, struct strbuf *err)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_free char *to = aside_name(name);
	int r = renameat(dir, name, dir, to);

	if (r < 0 && (errno == EACCES || errno == EPERM)) {
		/* The sandbox took the write bit off the directory: give it
		 * back for the rename, then the mode it had. */
		if (chmod_fd(dir, mode | S_IWUSR | S_IXUSR) == 0) {
			r = renameat(dir, name, dir, to);
			chmod_fd(dir, mode);
		}
	}
	if (r < 0 && (errno == ENOSPC || errno == EDQUOT) &&
	    (repo ? disarm(dir, name) : fs_remove_tree_at(dir, name, &ignored)) == 0) {
		/* The file system (or the directory's last block) is full, so
		 * no new name fits. */
		warn("%s created '%s/%s', and the file system is full: removed %s, so that git "
		     "on the host does not run what it holds%s", who, where, name,
		     repo && strcmp(name, "HEAD") ? "it (a directory: its HEAD)" : "it",
		     repo ? "\nhint: if you made it, put its HEAD back" : "");
		return 0;
	}
	if (r < 0) {
		strbuf_addf(err, "%s created '%s/%s' and it cannot be renamed aside: %s\n"
			    "hint: remove it before running git there; every launch of this venv "
			    "will try again first", who, where, name, strerror(errno));
		return -1;
	}
	warn("%s created '%s/%s': renamed it to '%s', so that git on the host does not run "
	     "what %s\n"
	     "hint: %s", who, where, name, to,
	     repo ? "its config or hooks name" : "it holds",
	     repo ? "create repositories on the host; if you made this one, read its config "
		    "and hooks before renaming it back" :
		    "if you made it, read it before renaming it back");
	return 0;
}

/* A watched entry (rule 4) that is new or changed, when git would read
 * something through it: set aside. Entries whose way is gone are left to
 * the shorter one that changed. */
static int finish_watch(const struct guard_watch *w, int proj, const char *project,
			const char *who, struct strbuf *err)
{
	const char *base;
	cleanup_fd int parent = open_parent(proj, w->path, &base);
	cleanup_free char *where = NULL;
	struct stat st;

	if (parent < 0 || !entry_new(parent, base, &w->id))
		return 0;
	/* What git reads at the target, through this entry, symlinks and
	 * all: when nothing is there, the change is none of git's. */
	if (fstatat(proj, w->target, &st, 0) < 0)
		return 0;
	if (fstat(parent, &st) < 0)
		st.st_mode = 0755;
	where = base == w->path ? xstrdup(project) :
		xasprintf("%s/%.*s", project, (int)(base - w->path - 1), w->path);
	return set_aside(parent, st.st_mode & 07777, where, base,
			 !strcmp(w->path, w->target) && !strcmp(base, ".git"), who, err);
}

/* The project directory has the permissions it had before the run, for
 * its owner at least: a sandbox that took them off (chmod 0) would make
 * every check below see nothing (EACCES), and the user, restoring them,
 * would find what it planted. */
static int restore_mode(const struct git_guard *g, int proj, const char *project,
			const char *who, struct strbuf *err)
{
	struct stat st;

	if (fstat(proj, &st) < 0) {
		strbuf_addf(err, "cannot look at '%s': %s", project, strerror(errno));
		return -1;
	}
	if ((st.st_mode & g->mode & S_IRWXU) == (g->mode & S_IRWXU))
		return 0;
	if (st.st_uid != geteuid() || chmod_fd(proj, g->mode) < 0) {
		strbuf_addf(err, "%s took permissions off '%s' (now %04o, was %04o) and they "
			    "cannot be put back: %s\nhint: put them back (chmod %04o), then run "
			    "the venv's python once: it checks the project first", who, project,
			    (unsigned)(st.st_mode & 07777), (unsigned)g->mode,
			    st.st_uid != geteuid() ? "not your directory" : strerror(errno),
			    (unsigned)g->mode);
		return -1;
	}
	warn("%s took permissions off '%s' (%04o): gave back %04o", who, project,
	     (unsigned)(st.st_mode & 07777), (unsigned)g->mode);
	return 0;
}

static int finish(const struct git_guard *g, int proj, const char *project, const char *who,
		  struct strbuf *err)
{
	struct stat st;
	size_t i;

	if (restore_mode(g, proj, project, who, err) < 0)
		return -1;
	if (fstatat(proj, ".git", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT) {
		strbuf_addf(err, "cannot check '%s/.git': %s\nhint: every launch of this venv "
			    "will try again first", project, strerror(errno));
		return -1;
	}
	if (entry_new(proj, ".git", &g->git) &&
	    set_aside(proj, g->mode, project, ".git", true, who, err) < 0)
		return -1;
	/* The top made a bare repository (HEAD, objects, refs, commondir). */
	if (!g->top_repo && guard_is_repository(proj, ".") &&
	    set_aside(proj, g->mode, project, "HEAD", true, who, err) < 0)
		return -1;
	for (i = 0; i < g->nr_watch; i++)
		if (finish_watch(&g->watch[i], proj, project, who, err) < 0)
			return -1;
	return 0;
}

int guard_finish(const struct git_guard *g, int proj, const char *project,
		 struct strbuf *err)
{
	return finish(g, proj, project, "the sandbox", err);
}

/* ---- records of pending work ---- */

static void format_record(const struct git_guard *g, struct strbuf *out)
{
	char v[96];
	size_t i;

	state_add_record(out, "sandbox-venv", STATE_FORMAT_STR);
	if (g->git.exists)
		snprintf(v, sizeof(v), "1 %ju %ju %o", (uintmax_t)g->git.dev,
			 (uintmax_t)g->git.ino, (unsigned)g->git.type);
	else
		snprintf(v, sizeof(v), "0");
	state_add_record(out, "git", v);
	state_add_record(out, "top-repo", g->top_repo ? "1" : "0");
	snprintf(v, sizeof(v), "%o", (unsigned)g->mode);
	state_add_record(out, "mode", v);
	/* "1 DEV INO TYPE\tPATH\tTARGET" or "0\tPATH\tTARGET": the paths
	 * have no control character (gitrepo.h). */
	for (i = 0; i < g->nr_watch; i++) {
		const struct guard_watch *w = &g->watch[i];
		cleanup_free char *line = w->id.exists ?
			xasprintf("1 %ju %ju %o\t%s\t%s", (uintmax_t)w->id.dev,
				  (uintmax_t)w->id.ino, (unsigned)w->id.type, w->path, w->target) :
			xasprintf("0\t%s\t%s", w->path, w->target);

		state_add_record(out, "watch", line);
	}
}

static int record_field(const char *key, const char *v, void *data, struct strbuf *err)
{
	struct git_guard *g = data;
	uintmax_t dev, ino;
	unsigned type, mode;
	char extra;

	if (!strcmp(key, "sandbox-venv") && !strcmp(v, STATE_FORMAT_STR))
		return 0;
	if (!strcmp(key, "git") && !strcmp(v, "0")) {
		g->git.exists = false;
		return 0;
	}
	if (!strcmp(key, "git") &&
	    sscanf(v, "1 %ju %ju %o%c", &dev, &ino, &type, &extra) == 3) {
		g->git = (struct entry_id){ true, (dev_t)dev, (ino_t)ino, (mode_t)type };
		return 0;
	}
	if (!strcmp(key, "top-repo") && (!strcmp(v, "0") || !strcmp(v, "1"))) {
		g->top_repo = v[0] == '1';
		return 0;
	}
	if (!strcmp(key, "watch")) {
		const char *tab = strchr(v, '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
		struct entry_id id = { false, 0, 0, 0 };

		if (tab && tab2 && tab2 > tab + 1 && tab2[1] && !strchr(tab2 + 1, '\t') &&
		    ((tab == v + 1 && v[0] == '0') ||
		     (sscanf(v, "1 %ju %ju %o", &dev, &ino, &type) == 3 && (id.exists = true)))) {
			cleanup_free char *path = xstrndup(tab + 1, (size_t)(tab2 - tab - 1));

			if (id.exists)
				id = (struct entry_id){ true, (dev_t)dev, (ino_t)ino, (mode_t)type };
			if (!strstr(path, "..") && path[0] != '/')
				add_watch(g, path, tab2 + 1, id);
			return 0;
		}
	}
	if (!strcmp(key, "mode") && sscanf(v, "%o%c", &mode, &extra) == 1 && mode <= 07777) {
		g->mode = (mode_t)mode;
		return 0;
	}
	strbuf_addf(err, "malformed record '%s'", key);
	return -1;
}

static int open_runs(int state_fd, bool create)
{
	if (create && mkdirat(state_fd, RUNS_DIR, 0700) < 0 && errno != EEXIST)
		return -1;
	return openat(state_fd, RUNS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int guard_record(int state_fd, const struct seal_key *key, const char *scope,
		 const struct git_guard *g, struct guard_record *r, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_fd int runs = open_runs(state_fd, true);
	cleanup_free char *tmp = NULL;
	cleanup_free char *rnd = random_hex();

	r->fd = -1;
	r->name = NULL;
	if (runs < 0) {
		if (errno == EACCES || errno == EROFS || errno == EPERM)
			return 0;	/* a venv we cannot write: not recorded */
		strbuf_addf(err, "cannot record this run: %s", strerror(errno));
		return -1;
	}
	/* Locked before it has its name, so no other launch ever sees it
	 * unlocked while this one lives. */
	tmp = xasprintf(".tmp-%ld-%s", (long)getpid(), rnd);
	r->name = xasprintf("%ld-%s", (long)getpid(), rnd);
	r->fd = openat(runs, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	format_record(g, &text);
	seal_add(key, scope, &text);
	if (r->fd < 0 || flock(r->fd, LOCK_EX) < 0 ||
	    write(r->fd, text.buf, text.len) != (ssize_t)text.len ||
	    renameat(runs, tmp, runs, r->name) < 0) {
		strbuf_addf(err, "cannot record this run: %s", strerror(errno));
		if (r->fd >= 0)
			unlinkat(runs, tmp, 0);
		cleanup_closep(&r->fd);
		FREE_AND_NULL(r->name);
		return -1;
	}
	return 0;
}

void guard_record_done(int state_fd, struct guard_record *r)
{
	cleanup_fd int runs = -1;

	if (r->fd >= 0) {
		runs = open_runs(state_fd, false);
		if (runs >= 0)
			unlinkat(runs, r->name, 0);
		cleanup_closep(&r->fd);
	}
	FREE_AND_NULL(r->name);
}

/* One record whose launcher is gone: do its work. 1 when it was taken
 * care of (or was not a record), 0 when its launcher lives, -1 on error. */
static int recover_one(int runs, const char *name, const struct seal_key *key,
		       const char *scope, int proj, const char *project, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_fd int fd = openat(runs, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct git_guard g = { { false, 0, 0, 0 }, false, 0755, NULL, 0 };
	struct stat st;
	int ret = 1;

	if (fd < 0)
		return 1;
	/* A record being made is locked a moment after it is created: one
	 * that young may be another launch's, not a dead one's. */
	if (name[0] == '.' && (fstat(fd, &st) < 0 || time(NULL) - st.st_mtime < RECORD_TMP_AGE_S))
		return 1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : 1;
	if (name[0] != '.') {
		if (fs_read_fd(fd, RECORD_MAX + SEAL_TRAILER_LEN, &text, name, &why) == 0 &&
		    seal_check(key, scope, &text) < 0)
			/* Not a launcher's: never obeyed (seal.h). */
			strbuf_addstr(&why, "it does not carry the seal of the venv owner's key");
		if (why.len ||
		    state_parse_records(text.buf, text.len, name, record_field, &g, &why) < 0) {
			warn("ignoring the record of an earlier run, '%s': %s", name, why.buf);
		} else if (finish(&g, proj, project, "a sandbox whose launcher did not finish "
				  "(it was killed)", err) < 0) {
			ret = -1;
		}
	}
	guard_release(&g);
	if (ret > 0)
		unlinkat(runs, name, 0);
	return ret;
}

int guard_recover(int state_fd, const struct seal_key *key, const char *scope, int proj,
		  const char *project, struct strbuf *err)
{
	cleanup_fd int runs = open_runs(state_fd, false);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (runs < 0)
		return 0;
	d = fdopendir(steal_fd(&runs));
	if (!d)
		return 0;
	while ((de = readdir(d)) && ret == 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (recover_one(dirfd(d), de->d_name, key, scope, proj, project, err) < 0)
			ret = -1;
	}
	closedir(d);
	return ret;
}
