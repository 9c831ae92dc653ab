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
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "state.h"
#include "util.h"

#define RUNS_DIR STATE_RUNS
#define RECORD_MAX 4096
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
	/* git opens whatever it is; a FIFO must not hang us. */
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

void guard_start(struct git_guard *g, int proj)
{
	struct stat st;

	g->git = entry_id_at(proj, ".git");
	g->top_repo = guard_is_repository(proj, ".");
	g->mode = fstat(proj, &st) == 0 ? st.st_mode & 07777 : 0755;
}

static int chmod_fd(int fd, mode_t mode)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return chmod(path, mode);
}

/* 128 random bits, in hex. */
static char *random_hex(void)
{
	unsigned char r[16];
	char hex[sizeof(r) * 2 + 1];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		die("cannot read random bytes: %s", strerror(errno));
	for (i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	return xstrdup(hex);
}

/* A name no sandbox can have taken first: name.from-sandbox-<128 bits>. */
static char *aside_name(const char *name)
{
	cleanup_free char *hex = random_hex();

	return xasprintf("%s.from-sandbox-%s", name, hex);
}

/* Rename proj/name aside; tell why. */
static int set_aside(const struct git_guard *g, int proj, const char *project,
		     const char *name, const char *who, struct strbuf *err)
{
	cleanup_free char *to = aside_name(name);
	int r = renameat(proj, name, proj, to);

	if (r < 0 && (errno == EACCES || errno == EPERM)) {
		/* The sandbox took the write bit off the project itself:
		 * give it back for the rename, then the mode it had. */
		if (chmod_fd(proj, g->mode | S_IWUSR | S_IXUSR) == 0) {
			r = renameat(proj, name, proj, to);
			chmod_fd(proj, g->mode);
		}
	}
	if (r < 0) {
		strbuf_addf(err, "%s created '%s/%s' and it cannot be renamed aside: %s\n"
			    "hint: remove it before running git there; every launch of this venv "
			    "will try again first", who, project, name, strerror(errno));
		return -1;
	}
	warn("%s created '%s/%s': renamed it to '%s', so that git on the host does not run "
	     "what its config or hooks name\n"
	     "hint: create repositories on the host; if you made this one, read its config "
	     "and hooks before renaming it back", who, project, name, to);
	return 0;
}

static int finish(const struct git_guard *g, int proj, const char *project, const char *who,
		  struct strbuf *err)
{
	if (entry_new(proj, ".git", &g->git) && set_aside(g, proj, project, ".git", who, err) < 0)
		return -1;
	/* The top made a bare repository (HEAD, objects, refs, commondir). */
	if (!g->top_repo && guard_is_repository(proj, ".") &&
	    set_aside(g, proj, project, "HEAD", who, err) < 0)
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

int guard_record(int state_fd, const struct git_guard *g, struct guard_record *r,
		 struct strbuf *err)
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
static int recover_one(int runs, const char *name, int proj, const char *project,
		       struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_fd int fd = openat(runs, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct git_guard g = { { false, 0, 0, 0 }, false, 0755 };

	if (fd < 0)
		return 1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : 1;
	if (name[0] != '.') {
		if (fs_read_fd(fd, RECORD_MAX, &text, name, &why) < 0 ||
		    state_parse_records(text.buf, text.len, name, record_field, &g, &why) < 0) {
			warn("ignoring the record of an earlier run, '%s': %s", name, why.buf);
		} else if (finish(&g, proj, project, "a sandbox whose launcher did not finish "
				  "(it was killed)", err) < 0) {
			return -1;
		}
	}
	unlinkat(runs, name, 0);
	return 1;
}

int guard_recover(int state_fd, int proj, const char *project, struct strbuf *err)
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
		if (recover_one(dirfd(d), de->d_name, proj, project, err) < 0)
			ret = -1;
	}
	closedir(d);
	return ret;
}
