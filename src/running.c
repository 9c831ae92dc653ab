/* running.c - the launchers and sandboxes running now (running.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fsutil.h"
#include "run.h"
#include "running.h"
#include "util.h"

/* How long a first wrap waits for a sandbox that bwrap is building, and
 * how often it looks. */
#define WAIT_MS 3000
#define LOOK_MS 50
#define CHILDREN_MAX 64

/* /proc/PID/NAME of pid, read; false when it cannot be. */
static bool read_proc(int proc, const char *pid, const char *name, size_t max, struct strbuf *out)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_free char *path = xasprintf("%s/%s", pid, name);

	strbuf_reset(out);
	return fs_read_file_at(proc, path, max, out, &ignored) == 0 && out->len;
}

/* From /proc/PID/stat: the state letter (field 3) and the start (field
 * 22; 0 when it cannot be read); the fields after the command's closing
 * parenthesis start at 3. The state, or 0 when pid is gone. */
static char read_stat(int proc, const char *pid, unsigned long long *started)
{
	cleanup_strbuf struct strbuf stat = STRBUF_INIT;
	const char *p, *state;
	int i;

	*started = 0;
	if (!read_proc(proc, pid, "stat", 4096, &stat) || !(p = strrchr(stat.buf, ')')) ||
	    p[1] != ' ')
		return 0;
	state = p + 2;
	for (i = 3; i <= 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", started) != 1)
		*started = 0;
	return *state;
}

/* pid's name (its comm), without the newline; false when it cannot be
 * read. */
static bool read_comm(int proc, pid_t pid, struct strbuf *comm)
{
	char dir[16];

	snprintf(dir, sizeof(dir), "%d", (int)pid);
	if (!read_proc(proc, dir, "comm", 64, comm) || comm->buf[comm->len - 1] != '\n')
		return false;
	comm->buf[--comm->len] = '\0';
	return true;
}

/* The start of pid's arguments, NUL-terminated: a launch's may run to
 * megabytes, and only the first three count. Their length, or -1. */
static ssize_t args_start(int proc, const char *pid, char *buf, size_t size)
{
	cleanup_free char *name = xasprintf("%s/cmdline", pid);
	ssize_t n, total = 0;
	int fd;

	fd = openat(proc, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (total < (ssize_t)size - 1 && (n = read(fd, buf + total, size - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

int running_each(void (*fn)(const struct running *r, void *data), void *data)
{
	cleanup_fd int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char args[3 * PATH_MAX + 16];
	DIR *d = proc < 0 ? NULL : fdopendir(dup(proc));
	struct dirent *de;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		struct running r = { 0 };
		const char *second, *third;
		ssize_t len;

		if (strspn(de->d_name, "0123456789") != strlen(de->d_name) ||
		    (len = args_start(proc, de->d_name, args, sizeof(args))) <= 0)
			continue;
		/* argv[1] and argv[2], if there are two more. */
		second = args + strlen(args) + 1;
		if (second >= args + len || strcmp(second, "--gate"))
			continue;
		third = second + strlen(second) + 1;
		if (third >= args + len)
			continue;
		read_stat(proc, de->d_name, &r.started);	/* 0: still one */
		r.pid = (pid_t)atoi(de->d_name);
		r.gate = third;	/* cut short when it is longer than a path can be */
		fn(&r, data);
	}
	closedir(d);
	return 0;
}

/* The children of pid (its main thread's: launchers and bwrap have no
 * other), at most `max`. */
static size_t children_of(int proc, pid_t pid, pid_t *out, size_t max)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	char name[64];
	const char *p;
	size_t n = 0;

	snprintf(name, sizeof(name), "%d/task/%d", (int)pid, (int)pid);
	if (!read_proc(proc, name, "children", 1 << 16, &text))
		return 0;
	for (p = text.buf; *p && n < max; p += strcspn(p, " "), p += strspn(p, " ")) {
		long v = atol(p);

		if (v > 0)
			out[n++] = (pid_t)v;
	}
	return n;
}

/* Where path is in its file system: that of the mount of this namespace
 * that holds it (the deepest, the last of those at one point). */
struct place {
	const char *path;
	size_t best;            /* length of the point of the mount found */
	bool found;
	unsigned int major, minor;
	char *in_fs;
};

static void find_place(const struct fs_mount *m, void *data)
{
	struct place *pl = data;
	size_t n = strlen(m->point);
	const char *rest;

	if (!path_is_under(pl->path, m->point) || (pl->found && n < pl->best))
		return;
	rest = strcmp(m->point, "/") ? pl->path + n : pl->path;
	free(pl->in_fs);
	pl->in_fs = *rest ? xasprintf("%s%s", strcmp(m->root, "/") ? m->root : "", rest) :
			    xstrdup(m->root);
	pl->major = m->major;
	pl->minor = m->minor;
	pl->best = n;
	pl->found = true;
}

/* A sandbox's mounts, against the place and its launcher's mounts. */
struct look {
	const struct place *pl;
	const uint64_t *own;    /* the ids of the launcher's mounts */
	size_t nr_own;
	bool first_seen, foreign;
	bool writable;          /* a writable mount shows the place */
	bool above;             /* a read-only one shows a directory above it */
};

static void look_at(const struct fs_mount *m, void *data)
{
	struct look *lk = data;
	size_t i;

	if (!lk->first_seen) {
		/* A namespace of its own has mounts of its own: ids that the
		 * launcher's does not have. */
		lk->first_seen = true;
		lk->foreign = true;
		for (i = 0; i < lk->nr_own; i++)
			if (lk->own[i] == m->id)
				lk->foreign = false;
	}
	if (m->major != lk->pl->major || m->minor != lk->pl->minor ||
	    !path_is_under(lk->pl->in_fs, m->root))
		return;
	if (m->rw)
		lk->writable = true;
	else if (strcmp(m->root, lk->pl->in_fs))
		lk->above = true;
}

struct ids {
	uint64_t *ids;
	size_t nr, cap;
};

static void collect_ids(const struct fs_mount *m, void *data)
{
	struct ids *c = data;

	if (c->nr == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->ids = xrealloc(c->ids, c->cap * sizeof(*c->ids));
	}
	c->ids[c->nr++] = m->id;
}

/* Is launcher pid between making its project read-only for a stop and
 * making it writable again (run.h: RUN_STOPPED_COMM)? */
static bool stopping(int proc, pid_t pid)
{
	cleanup_strbuf struct strbuf comm = STRBUF_INIT;

	return read_comm(proc, pid, &comm) && !strcmp(comm.buf, RUN_STOPPED_COMM);
}

enum verdict { CLEAR, PENDING, ABOVE, REACHES };	/* the worse, the greater */

/* What a process below a launcher (a child, or a child's child: bwrap's)
 * can do to the place, if it is a sandbox's. */
static enum verdict judge_one(int proc, pid_t pid, const struct look *base)
{
	cleanup_strbuf struct strbuf comm = STRBUF_INIT;
	unsigned long long started;
	struct look lk = *base;
	char name[16], state;

	snprintf(name, sizeof(name), "%d", (int)pid);
	if (fs_each_mount(proc, pid, look_at, &lk) < 0) {
		/* Gone, or a zombie: a bwrap killed once its sandbox ended,
		 * while the launcher finishes (run.c). */
		state = read_stat(proc, name, &started);
		return !state || state == 'Z' || state == 'X' ? CLEAR : PENDING;
	}
	if (!lk.foreign)
		return CLEAR;
	/* Built once it is bwrap no more: bwrap makes the mounts, then runs
	 * the init, and nothing in a sandbox makes one. */
	if (!read_comm(proc, pid, &comm) || !strcmp(comm.buf, "bwrap"))
		return PENDING;
	return lk.writable ? REACHES : lk.above ? ABOVE : CLEAR;
}

/* What the sandbox of launcher pid can do to the place. A read-only
 * mount above it counts while the launcher is stopping, or was when the
 * mounts were read (a stop makes the project read-only until the launch
 * is continued, by the user alone): looked at before and after them. */
static enum verdict judge(int proc, pid_t pid, const struct look *base)
{
	pid_t kids[CHILDREN_MAX], grandkids[CHILDREN_MAX];
	bool stopped = stopping(proc, pid);
	struct ids own = { NULL, 0, 0 };
	struct look lk = *base;
	size_t nk, i, j;
	enum verdict worst = CLEAR, v;

	if (fs_each_mount(proc, pid, collect_ids, &own) < 0)
		return CLEAR;	/* gone: so is its sandbox */
	lk.own = own.ids;
	lk.nr_own = own.nr;
	nk = children_of(proc, pid, kids, CHILDREN_MAX);
	for (i = 0; i < nk; i++) {
		size_t ng = children_of(proc, kids[i], grandkids, CHILDREN_MAX);

		if ((v = judge_one(proc, kids[i], &lk)) > worst)
			worst = v;
		for (j = 0; j < ng; j++)
			if ((v = judge_one(proc, grandkids[j], &lk)) > worst)
				worst = v;
	}
	free(own.ids);
	if (worst == ABOVE)
		worst = stopped || stopping(proc, pid) ? REACHES : CLEAR;
	return worst;
}

/* Who can change what lies at path: the owners of the directories from
 * / to path/bin, or anyone, when one of them others can write (and its
 * sticky bit does not keep them to their own entries). Root can. */
struct changers {
	uid_t uids[64];
	size_t nr;
	bool anyone;
};

static void find_changers(const char *path, struct changers *c)
{
	cleanup_free char *bin = xasprintf("%s/bin", path);
	char *p = bin;
	struct stat st;

	do {
		char keep = *p;
		size_t i;

		*p = '\0';
		if (stat(*bin ? bin : "/", &st) < 0) {
			c->anyone = true;
		} else {
			if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
				c->anyone = true;
			for (i = 0; i < c->nr && c->uids[i] != st.st_uid; i++)
				;
			if (i == c->nr && c->nr < ARRAY_SIZE(c->uids))
				c->uids[c->nr++] = st.st_uid;
			else if (i == c->nr)
				c->anyone = true;
		}
		*p = keep;
		p = strchr(p + 1, '/');
	} while (p);
	if (stat(bin, &st) < 0 || (st.st_mode & 022))
		c->anyone = true;
	else if (c->nr < ARRAY_SIZE(c->uids))
		c->uids[c->nr++] = st.st_uid;
	else
		c->anyone = true;
}

/* The real uid of pid, or -1. */
static long uid_of(int proc, pid_t pid)
{
	cleanup_strbuf struct strbuf status = STRBUF_INIT;
	char name[16];
	const char *p;
	long uid;

	snprintf(name, sizeof(name), "%d", (int)pid);
	if (!read_proc(proc, name, "status", 1 << 16, &status) ||
	    !(p = strstr(status.buf, "\nUid:")) || sscanf(p + 5, "%ld", &uid) != 1)
		return -1;
	return uid;
}

struct scan {
	int proc;
	struct look base;
	struct changers who;
	struct strvec *out;
	size_t pending;
	bool last;
};

static void scan_one(const struct running *r, void *data)
{
	struct scan *s = data;
	long uid = uid_of(s->proc, r->pid);
	size_t i;

	/* A sandbox runs as its launcher's user, without privileges: one
	 * who can change nothing on the way to the venv is none of ours. */
	for (i = 0; !s->who.anyone && uid > 0 && i < s->who.nr && s->who.uids[i] != (uid_t)uid; i++)
		;
	if (!s->who.anyone && uid > 0 && i == s->who.nr)
		return;
	switch (judge(s->proc, r->pid, &s->base)) {
	case CLEAR:
	case ABOVE:
		return;
	case PENDING:
		s->pending++;
		if (s->last)
			strvec_pushf(s->out, "%d %s (its sandbox is not built yet)", (int)r->pid,
				     r->gate);
		return;
	case REACHES:
		break;
	}
	strvec_pushf(s->out, "%d %s", (int)r->pid, r->gate);
}

void running_reaching(const char *path, struct strvec *out)
{
	struct place pl = { path, 0, false, 0, 0, NULL };
	struct scan s = { -1, { &pl, NULL, 0, false, false, false, false }, { { 0 }, 0, false },
			  out, 0, false };
	size_t start = out->nr;
	int waited;

	s.proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.proc < 0 || fs_each_mount(s.proc, 0, find_place, &pl) < 0 || !pl.found) {
		strvec_pushf(out, "- (the mounts of this system cannot be read)");
		goto out;
	}
	find_changers(path, &s.who);
	for (waited = 0;; waited += LOOK_MS) {
		s.pending = 0;
		s.last = waited >= WAIT_MS;
		while (out->nr > start)
			strvec_pop(out);
		if (running_each(scan_one, &s) < 0) {
			strvec_pushf(out, "- (the processes of this system cannot be read)");
			break;
		}
		if (!s.pending || s.last)
			break;
		usleep(LOOK_MS * 1000);
	}
out:
	if (s.proc >= 0)
		close(s.proc);
	free(pl.in_fs);
}
