/* lookups.c - the host's paths a plan looked up, kept for the next launch. */
#include "lookups.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "state.h"
#include "util.h"

/* The kernel's own file systems: their directories' times do not follow
 * their entries, so nothing there is kept. */
static bool is_volatile(const char *path)
{
	return path_is_under(path, "/proc") || path_is_under(path, "/sys") ||
	       path_is_under(path, "/dev");
}

void lookups_init(struct lookups *l, bool keep)
{
	memset(l, 0, sizeof(*l));
	l->keep = keep;
	if (keep && clock_gettime(CLOCK_REALTIME, &l->began) < 0)
		l->unsure = true;
}

void lookups_release(struct lookups *l)
{
	size_t i;

	for (i = 0; i < l->nr_entries; i++) {
		free(l->entries[i].path);
		free(l->entries[i].target);
	}
	free(l->entries);
	for (i = 0; i < l->nr_dirs; i++)
		free(l->dirs[i].path);
	free(l->dirs);
	strmap_clear(&l->entry_index, NULL);
	strmap_clear(&l->dir_index, NULL);
	memset(l, 0, sizeof(*l));
}

static struct lookup_entry *add_entry(struct lookups *l, const char *path, mode_t type,
				      char *target)
{
	struct lookup_entry *e;

	if (l->nr_entries == l->alloc_entries) {
		l->alloc_entries = l->alloc_entries ? l->alloc_entries * 2 : 256;
		l->entries = xrealloc(l->entries, l->alloc_entries * sizeof(*l->entries));
	}
	if (!strmap_put(&l->entry_index, path, (void *)(uintptr_t)(l->nr_entries + 1))) {
		free(target);
		return NULL;	/* there already */
	}
	e = &l->entries[l->nr_entries++];
	e->path = xstrdup(path);
	e->type = type;
	e->target = target;
	return e;
}

static void add_dir(struct lookups *l, const char *path, const struct stat *st)
{
	struct lookup_dir *d;

	if (l->nr_dirs == l->alloc_dirs) {
		l->alloc_dirs = l->alloc_dirs ? l->alloc_dirs * 2 : 32;
		l->dirs = xrealloc(l->dirs, l->alloc_dirs * sizeof(*l->dirs));
	}
	d = &l->dirs[l->nr_dirs++];
	d->path = xstrdup(path);
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->mtime = st->st_mtim;
	d->ctime = st->st_ctim;
	strmap_put(&l->dir_index, path, (void *)(uintptr_t)l->nr_dirs);
}

/* The directory path lies in: "/" for "/usr". */
static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash != path ? xstrndup(path, (size_t)(slash - path)) : xstrdup("/");
}

/* Stamp the directory path lies in, once, before path is looked up: a
 * change after the stamp shows in the directory's times. */
static void stamp_parent(struct lookups *l, const char *path)
{
	cleanup_free char *dir = parent_of(path);
	struct stat st;

	if (strmap_get(&l->dir_index, dir))
		return;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		l->unsure = true;
		return;
	}
	add_dir(l, dir, &st);
}

int lookups_lstat(struct lookups *l, const char *path, mode_t *type, const char **target)
{
	void **slot = strmap_get(&l->entry_index, path);
	const struct lookup_entry *e;
	char *link = NULL;
	struct stat st;
	mode_t t = 0;

	if (slot) {
		e = &l->entries[(uintptr_t)*slot - 1];
	} else {
		if (l->keep && !is_volatile(path))
			stamp_parent(l, path);
		if (lstat(path, &st) == 0 &&
		    (!S_ISLNK(st.st_mode) || (link = fs_readlink_at(AT_FDCWD, path))))
			t = st.st_mode & S_IFMT;
		e = add_entry(l, path, t, link);
		if (!is_volatile(path))
			l->changed = true;
	}
	*type = e->type;
	*target = e->target;
	return e->type ? 0 : -1;
}

/* The mount namespace the answers hold for. */
static int mount_ns(char *buf, size_t size)
{
	struct stat st;

	if (stat("/proc/self/ns/mnt", &st) < 0)
		return -1;
	snprintf(buf, size, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	return 0;
}

static bool valid_type(mode_t t)
{
	switch (t) {
	case 0: case S_IFREG: case S_IFDIR: case S_IFLNK:
	case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	default:
		return false;
	}
}

struct loading {
	struct lookups *l;
	char *mntns;
	char *uid;
	struct lookup_entry *link;  /* the last link, waiting for "to" */
};

/* A decimal number and one space: *s moves past them. */
static int parse_number(const char **s, uintmax_t *out)
{
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	*out = strtoumax(*s, &end, 10);
	if (errno || *end != ' ')
		return -1;
	*s = end + 1;
	return 0;
}

/* SECONDS.NANOSECONDS and one space. */
static int parse_time(const char **s, struct timespec *ts)
{
	uintmax_t sec, nsec;
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	sec = strtoumax(*s, &end, 10);
	if (errno || *end != '.' || sec > INT64_MAX)
		return -1;
	*s = end + 1;
	if (parse_number(s, &nsec) < 0 || nsec > 999999999)
		return -1;
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = (long)nsec;
	return 0;
}

static int load_record(const char *key, const char *v, void *data, struct strbuf *err)
{
	struct loading *ld = data;
	struct lookups *l = ld->l;

	if (ld->link && strcmp(key, "to")) {
		strbuf_addf(err, "a link without its target before '%s'", key);
		return -1;
	}
	if (!strcmp(key, "mntns") && !ld->mntns) {
		ld->mntns = xstrdup(v);
	} else if (!strcmp(key, "uid") && !ld->uid) {
		ld->uid = xstrdup(v);
	} else if (!strcmp(key, "dir")) {
		struct stat st;
		uintmax_t dev, ino;

		memset(&st, 0, sizeof(st));
		if (parse_number(&v, &dev) < 0 || parse_number(&v, &ino) < 0 ||
		    parse_time(&v, &st.st_mtim) < 0 || parse_time(&v, &st.st_ctim) < 0 ||
		    v[0] != '/' || strmap_get(&l->dir_index, v))
			goto bad;
		st.st_dev = (dev_t)dev;
		st.st_ino = (ino_t)ino;
		add_dir(l, v, &st);
	} else if (!strcmp(key, "path")) {
		struct lookup_entry *e;
		unsigned long t;
		char *end;

		t = strtoul(v, &end, 8);
		if (v[0] < '0' || v[0] > '7' || *end != ' ' || !valid_type((mode_t)t) || end[1] != '/' ||
		    l->nr_entries >= LOOKUPS_MAX || !(e = add_entry(l, end + 1, (mode_t)t, NULL)))
			goto bad;
		if (t == S_IFLNK)
			ld->link = e;
	} else if (!strcmp(key, "to") && ld->link && v[0]) {
		ld->link->target = xstrdup(v);
		ld->link = NULL;
	} else {
		goto bad;
	}
	return 0;
bad:
	strbuf_addf(err, "malformed record '%s'", key);
	return -1;
}

/* Is every directory as recorded, in this mount namespace, for this
 * user? And is every kept path in a recorded directory? */
static int check_loaded(const struct loading *ld, struct strbuf *err)
{
	const struct lookups *l = ld->l;
	char ns[64], uid[32];
	size_t i;

	if (!ld->mntns || !ld->uid || ld->link) {
		strbuf_addstr(err, "incomplete");
		return -1;
	}
	snprintf(uid, sizeof(uid), "%ju", (uintmax_t)geteuid());
	if (mount_ns(ns, sizeof(ns)) < 0 || strcmp(ns, ld->mntns) || strcmp(uid, ld->uid)) {
		strbuf_addstr(err, "kept by another user or in another mount namespace");
		return -1;
	}
	for (i = 0; i < l->nr_entries; i++) {
		cleanup_free char *dir = parent_of(l->entries[i].path);

		if (is_volatile(l->entries[i].path) || !strmap_get(&l->dir_index, dir)) {
			strbuf_addf(err, "'%s' has no directory recorded", l->entries[i].path);
			return -1;
		}
	}
	for (i = 0; i < l->nr_dirs; i++) {
		const struct lookup_dir *d = &l->dirs[i];
		struct stat st;

		if (lstat(d->path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_dev != d->dev ||
		    st.st_ino != d->ino || st.st_mtim.tv_sec != d->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != d->mtime.tv_nsec || st.st_ctim.tv_sec != d->ctime.tv_sec ||
		    st.st_ctim.tv_nsec != d->ctime.tv_nsec) {
			strbuf_addf(err, "'%s' changed", d->path);
			return -1;
		}
	}
	return 0;
}

int lookups_load(struct lookups *l, const char *text, size_t len, struct strbuf *err)
{
	struct lookups fresh;
	struct loading ld;
	int ret;

	lookups_init(&fresh, l->keep);
	fresh.began = l->began;
	fresh.unsure = l->unsure;
	ld = (struct loading){ &fresh, NULL, NULL, NULL };
	ret = state_parse_records(text, len, STATE_LOOKUPS, load_record, &ld, err);
	if (ret == 0)
		ret = check_loaded(&ld, err);
	free(ld.mntns);
	free(ld.uid);
	if (ret < 0) {
		lookups_release(&fresh);
		return -1;
	}
	lookups_release(l);
	*l = fresh;
	return 0;
}

/* Did the directory change less than LOOKUPS_SETTLE seconds before the
 * lookups began, or after? */
static bool too_recent(const struct timespec *t, const struct timespec *began)
{
	time_t settled = began->tv_sec - LOOKUPS_SETTLE;

	return t->tv_sec > settled || (t->tv_sec == settled && t->tv_nsec >= began->tv_nsec);
}

int lookups_format(const struct lookups *l, struct strbuf *out)
{
	char ns[64], uid[32];
	size_t i;

	if (!l->keep || !l->changed || l->unsure || l->nr_entries > LOOKUPS_MAX ||
	    mount_ns(ns, sizeof(ns)) < 0)
		return -1;
	for (i = 0; i < l->nr_dirs; i++)
		if (too_recent(&l->dirs[i].mtime, &l->began) ||
		    too_recent(&l->dirs[i].ctime, &l->began))
			return -1;
	snprintf(uid, sizeof(uid), "%ju", (uintmax_t)geteuid());
	state_add_record(out, "sandbox-venv", STATE_FORMAT_STR);
	state_add_record(out, "mntns", ns);
	state_add_record(out, "uid", uid);
	for (i = 0; i < l->nr_dirs; i++) {
		const struct lookup_dir *d = &l->dirs[i];
		cleanup_free char *v = xasprintf("%ju %ju %jd.%09ld %jd.%09ld %s",
						 (uintmax_t)d->dev, (uintmax_t)d->ino,
						 (intmax_t)d->mtime.tv_sec, d->mtime.tv_nsec,
						 (intmax_t)d->ctime.tv_sec, d->ctime.tv_nsec, d->path);

		state_add_record(out, "dir", v);
	}
	for (i = 0; i < l->nr_entries; i++) {
		const struct lookup_entry *e = &l->entries[i];
		cleanup_free char *v = NULL;

		if (is_volatile(e->path))
			continue;
		v = xasprintf("%o %s", (unsigned)e->type, e->path);
		state_add_record(out, "path", v);
		if (e->type == S_IFLNK)
			state_add_record(out, "to", e->target);
	}
	return 0;
}
