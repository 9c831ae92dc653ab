/* view.c - the directories that show only links, kept by the host (view.h). */
#include "view.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "state.h"
#include "util.h"

#define VIEWS_DIR STATE_VIEWS
#define VIEW_ROOT "root"
#define VIEW_MANIFEST "manifest"
#define VIEW_SCOPE "views/manifest"	/* of the manifest's seal */
#define VIEW_MAGIC "sandbox-venv view 1\n"
#define DAY_S (24 * 3600)
/* A view being made by a launch that died is removed after this long. */
#define VIEW_TMP_AGE_S 3600

/* The list a view is made from and checked against: each entry as
 * "KIND NAMELEN DATALEN\n", the name, the data, "\n". */
static void manifest(const struct plan_view_entry *e, size_t nr, struct strbuf *out)
{
	size_t i;

	strbuf_addstr(out, VIEW_MAGIC);
	for (i = 0; i < nr; i++) {
		strbuf_addf(out, "%c %zu %zu\n", (char)e[i].kind, strlen(e[i].name), e[i].len);
		strbuf_addstr(out, e[i].name);
		strbuf_add(out, e[i].data, e[i].len);
		strbuf_addch(out, '\n');
	}
}

/* The files' sizes are what the entries say. Nothing of a view is
 * synced to disk when it is made: after a crash, a file may be there
 * empty; links and directories come back whole or not at all. */
static bool files_whole(int root, const struct plan_view_entry *e, size_t nr)
{
	struct stat st;
	size_t i;

	for (i = 0; i < nr; i++)
		if (e[i].kind == PLAN_VIEW_FILE &&
		    (fstatat(root, e[i].name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		     !S_ISREG(st.st_mode) || (size_t)st.st_size != e[i].len))
			return false;
	return true;
}

/* The view named name in views, when its manifest is m and its files are
 * whole: its root. 1 when it is there but not that view (it goes). */
static int use(int views, const char *name, const struct plan_view_entry *e, size_t nr,
	       const struct strbuf *m, const struct seal_key *key, bool *broken)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int dir = openat(views, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_fd int root = -1;
	struct stat st;

	*broken = false;
	if (dir < 0)
		return -1;
	root = openat(dir, VIEW_ROOT, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0 ||
	    fs_read_file_at(dir, VIEW_MANIFEST, m->len + SEAL_TRAILER_LEN, &text, &ignored) < 0 ||
	    seal_check(key, VIEW_SCOPE, &text) < 0 || text.len != m->len || memcmp(text.buf, m->buf, m->len) || !files_whole(root, e, nr)) {
		*broken = true;
		return -1;
	}
	if (fstat(dir, &st) == 0 && st.st_mtime < time(NULL) - DAY_S)
		futimens(dir, NULL);	/* in use: not pruned (rule 4) */
	return steal_fd(&root);
}

static int fill(int root, const struct plan_view_entry *e, size_t nr)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_free char *text = NULL;
	size_t i;

	for (i = 0; i < nr; i++) {
		switch (e[i].kind) {
		case PLAN_VIEW_LINK:
			free(text);
			text = xstrndup(e[i].data, e[i].len);
			if (symlinkat(text, root, e[i].name) < 0)
				return -1;
			break;
		case PLAN_VIEW_FILE:
			if (fs_replace_at(root, e[i].name, e[i].data, e[i].len, 0444, FS_FRESH,
					  &ignored) < 0)
				return -1;
			break;
		case PLAN_VIEW_MOUNT_FILE:
			if (fs_replace_at(root, e[i].name, "", 0, 0444, FS_FRESH, &ignored) < 0)
				return -1;
			break;
		case PLAN_VIEW_MOUNT_DIR:
			if (mkdirat(root, e[i].name, 0755) < 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* Views not used for VIEW_KEEP_DAYS, and what a dead launch left half
 * made; never keep, the one just made. */
static void prune(int views, const char *keep)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	time_t now = time(NULL);
	struct dirent *de;
	int fd = openat(views, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		time_t age;

		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		if (!strcmp(de->d_name, keep) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		age = de->d_name[0] == '.' ? VIEW_TMP_AGE_S : (time_t)VIEW_KEEP_DAYS * DAY_S;
		if (st.st_mtime < now - age)
			fs_remove_tree_at(dirfd(d), de->d_name, &ignored);
	}
	closedir(d);
}

/* Make the view in a temporary directory and rename it into place. */
static int make(int views, const char *name, const struct plan_view_entry *e, size_t nr,
		const struct strbuf *m, const struct seal_key *key)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_strbuf struct strbuf sealed = STRBUF_INIT;
	cleanup_free char *tmp = fs_temp_name("view");
	cleanup_fd int dir = -1;
	cleanup_fd int root = -1;
	int ret = -1;

	strbuf_add(&sealed, m->buf, m->len);
	seal_add(key, VIEW_SCOPE, &sealed);
	if (mkdirat(views, tmp, 0755) < 0)
		return -1;
	dir = openat(views, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir >= 0 && mkdirat(dir, VIEW_ROOT, 0755) == 0)
		root = openat(dir, VIEW_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root >= 0 && fill(root, e, nr) == 0 &&
	    fs_replace_at(dir, VIEW_MANIFEST, sealed.buf, sealed.len, 0444, FS_FRESH,
			  &ignored) == 0 &&
	    renameat(views, tmp, views, name) == 0)
		ret = 0;
	if (ret < 0)
		fs_remove_tree_at(views, tmp, &ignored);	/* or another launch made it first */
	return ret;
}

int view_open(int state_fd, const struct seal_key *key, const struct plan_view_entry *e,
	      size_t nr)
{
	cleanup_strbuf struct strbuf m = STRBUF_INIT;
	cleanup_fd int views = -1;
	char name[17];
	bool broken;
	int fd;

	if (!key)
		return -1;
	manifest(e, nr, &m);
	snprintf(name, sizeof(name), "%016" PRIx64, hash_bytes(m.buf, m.len));
	views = openat(state_fd, VIEWS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (views < 0 && errno == ENOENT && mkdirat(state_fd, VIEWS_DIR, 0755) == 0)
		views = openat(state_fd, VIEWS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (views < 0)
		return -1;
	fd = use(views, name, e, nr, &m, key, &broken);
	if (fd >= 0)
		return fd;
	if (broken) {
		/* Cut short by a crash, or another list with the same hash. */
		cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

		fs_remove_tree_at(views, name, &ignored);
	}
	if (make(views, name, e, nr, &m, key) == 0)
		prune(views, name);
	return use(views, name, e, nr, &m, key, &broken);
}

size_t view_open_all(int state_fd, int *fds, size_t max)
{
	cleanup_fd int views = openat(state_fd, VIEWS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				      O_CLOEXEC);
	cleanup_fd int list = -1;
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	if (views < 0 || (list = fcntl(views, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    !(d = fdopendir(list)))
		return 0;
	list = -1;	/* the stream's now */
	while (n < max && (de = readdir(d))) {
		cleanup_free char *root = NULL;
		int fd;

		if (strlen(de->d_name) != 16 || strspn(de->d_name, "0123456789abcdef") != 16)
			continue;	/* ".", "..", one being made */
		root = xasprintf("%s/" VIEW_ROOT, de->d_name);
		fd = openat(views, root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			fds[n++] = fd;
	}
	closedir(d);
	return n;
}
