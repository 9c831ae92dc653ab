/* fsutil.c - file system hygiene. */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int fs_open_dir_at(int dirfd, const char *name, struct strbuf *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		strbuf_addf(err, "cannot open directory '%s': %s", name,
			    errno == ELOOP || errno == ENOTDIR ?
			    "not a directory (or a symlink)" : strerror(errno));
	return fd;
}

int fs_open_dir_path_at(int dirfd, const char *name, struct strbuf *err)
{
	int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		strbuf_addf(err, "cannot open directory '%s': %s", name,
			    errno == ELOOP || errno == ENOTDIR ?
			    "not a directory (or a symlink)" : strerror(errno));
	return fd;
}

int fs_read_fd(int fd, size_t max, struct strbuf *out, const char *what,
	       struct strbuf *err)
{
	size_t start = out->len;

	for (;;) {
		ssize_t n;

		strbuf_grow(out, 4096);
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			strbuf_addf(err, "cannot read '%s': %s", what, strerror(e));
			strbuf_setlen(out, start);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (out->len - start > max) {
			strbuf_addf(err, "cannot read '%s': larger than %zu bytes",
				    what, max);
			strbuf_setlen(out, start);
			errno = EFBIG;
			return -1;
		}
	}
	return 0;
}

int fs_read_file_at(int dirfd, const char *name, size_t max,
		    struct strbuf *out, struct strbuf *err)
{
	cleanup_fd int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		strbuf_addf(err, "cannot open '%s': %s", name,
			    e == ELOOP ? "is a symlink" : strerror(e));
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_addf(err, "cannot open '%s': not a regular file", name);
		errno = EINVAL;
		return -1;
	}
	return fs_read_fd(fd, max, out, name, err);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *fs_temp_name(const char *what)
{
	static unsigned long n;

	return xasprintf(".sv.%s.%ld.%lu", what, (long)getpid(), n++);
}

int fs_write_atomic_at(int dirfd, const char *name, const void *data,
		       size_t len, mode_t mode, struct strbuf *err)
{
	return fs_replace_at(dirfd, name, data, len, mode, FS_DURABLE, err);
}

/* The process's umask, read once (umask(2) can only read it by setting it). */
static mode_t process_umask(void)
{
	static mode_t mask = (mode_t)-1;

	if (mask == (mode_t)-1) {
		mask = umask(022);
		umask(mask);
	}
	return mask;
}

int fs_replace_at(int dirfd, const char *name, const void *data, size_t len,
		  mode_t mode, unsigned flags, struct strbuf *err)
{
	cleanup_free char *tmp = NULL;
	cleanup_fd int fd = -1;
	int e;

	if (flags & FS_FRESH) {
		tmp = xstrdup(name);
	} else {
		tmp = fs_temp_name("tmp");
		unlinkat(dirfd, tmp, 0);
	}
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	/* The mode exactly, whatever the umask took away at creation. */
	if (((mode & process_umask()) && fchmod(fd, mode) < 0) || write_all(fd, data, len) < 0 ||
	    ((flags & FS_DURABLE) && fsync(fd) < 0))
		goto fail_unlink;
	if (close(steal_fd(&fd)) < 0)
		goto fail_unlink;
	if (!(flags & FS_FRESH) && renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail_unlink;
	return 0;

fail_unlink:
	e = errno;
	unlinkat(dirfd, tmp, 0);
	errno = e;
fail:
	e = errno;
	strbuf_addf(err, "cannot write '%s': %s", name, strerror(e));
	errno = e;
	return -1;
}

int fs_memfd_empty(const char *name, struct strbuf *err)
{
	int fd = memfd_create(name, MFD_ALLOW_SEALING | MFD_CLOEXEC);

	if (fd < 0)
		strbuf_addf(err, "cannot create memory file '%s': %s", name, strerror(errno));
	return fd;
}

int fs_memfd_fill(int fd, const char *name, const void *data, size_t len,
		  struct strbuf *err)
{
	if (write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		strbuf_addf(err, "cannot write memory file '%s': %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

int fs_memfd_data(const char *name, const void *data, size_t len,
		  struct strbuf *err)
{
	cleanup_fd int fd = fs_memfd_empty(name, err);

	if (fd < 0 || fs_memfd_fill(fd, name, data, len, err) < 0)
		return -1;
	return steal_fd(&fd);
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* Every descriptor from low on, by listing /proc/self/fd: for kernels
 * before 5.11, without close_range(CLOSE_RANGE_CLOEXEC). */
static int cloexec_listed(int low)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < low || fd == dirfd(d))
			continue;
		if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			ret = -1;
	}
	closedir(d);
	return ret;
}

int fs_cloexec_from(int low)
{
	if (syscall(SYS_close_range, (unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	return cloexec_listed(low);
}

int fs_mkdir_at(int dirfd, const char *name, mode_t mode, struct strbuf *err)
{
	struct stat st;

	if (mkdirat(dirfd, name, mode) == 0)
		return 0;
	if (errno == EEXIST && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	strbuf_addf(err, "cannot create directory '%s': %s", name, strerror(errno));
	return -1;
}

char *fs_readlink_at(int dirfd, const char *name)
{
	size_t size = 256;

	for (;;) {
		char *buf = xmalloc(size);
		ssize_t n = readlinkat(dirfd, name, buf, size);

		if (n < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return NULL;
		}
		if ((size_t)n < size) {
			buf[n] = '\0';
			return buf;
		}
		free(buf);
		if (size >= 65536) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		size *= 2;
	}
}

/* How deep remove_tree goes before it moves a directory up instead; how
 * many it moves, at most (a tree that a sandbox still writes while it is
 * removed could otherwise keep it going). */
#define REMOVE_DEPTH 32
#define REMOVE_MOVES_MAX (1u << 20)

/* What a removal carries down: the tree's top, and how many directories
 * were moved up to it. */
struct removal {
	int top;
	unsigned moved;
	struct strbuf *err;
};

static int remove_tree(int parent, const char *name, unsigned depth, struct removal *r);

/* Give the directory parent/name its owner's rights back (a sandbox may
 * have taken them: mode 000), on the directory itself, reached without
 * following a link and changed through its descriptor, never on what a
 * link names. 0, or -1 with errno. */
static int give_rights(int parent, const char *name)
{
	cleanup_fd int path = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free char *self = NULL;

	if (path < 0)
		return -1;
	self = xasprintf("/proc/self/fd/%d", path);
	return chmod(self, 0700);
}

/* Open the directory parent/name to remove what it holds, with its
 * owner's rights given back when they were taken. */
static int open_to_empty(int parent, const char *name)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(parent, name, flags);
	struct stat st;

	if (fd < 0 && errno == EACCES) {
		if (give_rights(parent, name) < 0) {
			errno = EACCES;
			return -1;
		}
		fd = openat(parent, name, flags);
	}
	if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700)
		fchmod(fd, (st.st_mode & 07777) | 0700);
	return fd;
}

/* Remove everything in the directory fd (at depth), not fd itself. */
static int remove_entries(int fd, unsigned depth, struct removal *r)
{
	/* Opened again, not duplicated: a pass reads the directory from its
	 * start, not from where the last one stopped. */
	int copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (copy < 0 || !(d = fdopendir(copy))) {
		if (copy >= 0)
			close(copy);
		strbuf_addf(r->err, "cannot list a directory to remove (at depth %u): %s", depth,
			    strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (remove_tree(dirfd(d), de->d_name, depth, r) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int remove_tree(int parent, const char *name, unsigned depth, struct removal *r)
{
	int fd, ret;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM) {
		strbuf_addf(r->err, "cannot remove '%s': %s", name, strerror(errno));
		return -1;
	}
	/* A sandbox can make a tree as deep as it likes: this deep, the
	 * directory goes up to the top, as .deep-N, for the next pass; the
	 * recursion and the descriptors it holds stay bounded. */
	if (depth >= REMOVE_DEPTH) {
		/* Moving a directory rewrites its "..": it needs the rights. */
		give_rights(parent, name);
		for (;;) {
			char up[32];

			if (r->moved >= REMOVE_MOVES_MAX) {
				strbuf_addf(r->err, "cannot remove '%s': the tree keeps growing "
					    "while it is removed", name);
				return -1;
			}
			snprintf(up, sizeof(up), ".deep-%u", r->moved++);
			if (fs_renameat2(parent, name, r->top, up, RENAME_NOREPLACE) == 0)
				return 0;
			if (errno != EEXIST) {
				strbuf_addf(r->err, "cannot remove '%s': %s", name, strerror(errno));
				return -1;
			}
		}
	}
	fd = open_to_empty(parent, name);
	if (fd < 0) {
		strbuf_addf(r->err, "cannot remove '%s': %s", name, strerror(errno));
		return -1;
	}
	ret = remove_entries(fd, depth + 1, r);
	close(fd);
	if (ret < 0)
		return -1;
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		strbuf_addf(r->err, "cannot remove '%s': %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

int fs_remove_tree_at(int dirfd, const char *name, struct strbuf *err)
{
	struct removal r = { -1, 0, err };
	unsigned before;
	int ret;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM) {
		strbuf_addf(err, "cannot remove '%s': %s", name, strerror(errno));
		return -1;
	}
	r.top = open_to_empty(dirfd, name);
	if (r.top < 0) {
		strbuf_addf(err, "cannot remove '%s': %s", name, strerror(errno));
		return -1;
	}
	/* Pass after pass, while directories come up from below. */
	do {
		before = r.moved;
		ret = remove_entries(r.top, 1, &r);
	} while (ret == 0 && r.moved != before);
	close(r.top);
	if (ret == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		strbuf_addf(err, "cannot remove '%s': %s", name, strerror(errno));
		ret = -1;
	}
	return ret;
}

/* Undo mountinfo's escapes (\040 and the like) in place. */
static void unescape_octal(char *s)
{
	size_t i, j;

	for (i = j = 0; s[i]; j++)
		if (s[i] == '\\' && s[i + 1] && s[i + 2] && s[i + 3]) {
			s[j] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 4;
		} else {
			s[j] = s[i++];
		}
	s[j] = '\0';
}

int fs_each_mount(int proc, pid_t pid, void (*fn)(const struct fs_mount *m, void *data),
		  void *data)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	char name[32], *line, *next;

	if (pid)
		snprintf(name, sizeof(name), "%d/mountinfo", (int)pid);
	else
		snprintf(name, sizeof(name), "self/mountinfo");
	if (fs_read_file_at(proc, name, 1 << 22, &text, &err) < 0)
		return -1;
	/* "ID PARENT MAJOR:MINOR ROOT POINT OPTIONS [TAG...] - FSTYPE ...",
	 * a space between fields and none in one (escaped): split in place. */
	for (line = text.buf; line && *line; line = next) {
		char *f[6], *rest = line, *dash, *type, *o;
		unsigned long long id, parent;
		unsigned int major, minor;
		size_t i;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		dash = strstr(line, " - ");
		if (!dash)
			continue;
		*dash = '\0';
		for (i = 0; i < ARRAY_SIZE(f) && rest; i++)
			f[i] = strsep(&rest, " ");
		if (i < ARRAY_SIZE(f) || sscanf(f[0], "%llu", &id) != 1 ||
		    sscanf(f[1], "%llu", &parent) != 1 ||
		    sscanf(f[2], "%u:%u", &major, &minor) != 2)
			continue;
		type = dash + 3;
		type[strcspn(type, " ")] = '\0';
		if ((o = strchr(f[5], ',')))
			*o = '\0';
		unescape_octal(f[3]);
		unescape_octal(f[4]);
		fn(&(struct fs_mount){ id, parent, major, minor, f[3], f[4], type,
				       !strcmp(f[5], "rw") }, data);
	}
	return 0;
}

/* Open rel below root one component at a time, following no symlink (a
 * sandbox may have put one in place of any of them since the option was
 * given). Returns an O_PATH descriptor, or -1 with errno (ENOENT: it is
 * not there; ELOOP: a symlink is on the way). */
int fs_open_nofollow(int root, const char *rel)
{
	cleanup_free char *copy = xstrdup(rel);
	char *save = NULL, *name = strtok_r(copy, "/", &save);
	int cur = openat(root, root == AT_FDCWD && rel[0] == '/' ? "/" : ".",
			 O_PATH | O_DIRECTORY | O_CLOEXEC);

	while (cur >= 0 && name) {
		char *next = strtok_r(NULL, "/", &save);
		int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | (next ? O_DIRECTORY : 0));
		int saved = errno;
		struct stat st;

		close(cur);
		if (fd >= 0 && !next && (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode))) {
			close(fd);
			fd = -1;
			saved = ELOOP;
		}
		if (fd < 0)
			errno = saved == ENOTDIR ? ELOOP : saved;
		cur = fd;
		name = next;
	}
	return cur;
}

union fds_control {
	struct cmsghdr h;
	char buf[CMSG_SPACE(FS_FDS_MAX * sizeof(int))];
};

int fs_send_fds(int sock, char tag, const int *fds, size_t n)
{
	union fds_control ctl;
	struct iovec iov = { &tag, 1 };
	struct msghdr msg;
	struct cmsghdr *cm;

	if (n < 1 || n > FS_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int fs_recv_fds(int sock, int flags, char *tag, int *fds, size_t *n)
{
	union fds_control ctl;
	struct iovec iov = { tag, 1 };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t r;

	*n = 0;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	r = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	if (r <= 0)
		return r < 0 ? -1 : 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t i, nfd;
		int got[FS_FDS_MAX];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd > FS_FDS_MAX)
			nfd = FS_FDS_MAX;	/* the buffer holds no more */
		memcpy(got, CMSG_DATA(cm), nfd * sizeof(int));
		for (i = 0; i < nfd; i++) {
			if (*n < FS_FDS_MAX)
				fds[(*n)++] = got[i];
			else
				close(got[i]);
		}
	}
	return 1;
}

bool fs_at_or_below(int outer, int inner)
{
	struct stat o, st;
	int fd = fcntl(inner, F_DUPFD_CLOEXEC, 3), up, depth;

	if (fd < 0 || fstat(outer, &o) < 0) {
		if (fd >= 0)
			close(fd);
		return true;	/* cannot tell: as if it were */
	}
	for (depth = 0; depth < 4096; depth++) {
		struct stat parent;

		if (fstat(fd, &st) < 0)
			break;
		if (st.st_dev == o.st_dev && st.st_ino == o.st_ino) {
			close(fd);
			return true;
		}
		up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(up, &parent) < 0 ||
		    (parent.st_dev == st.st_dev && parent.st_ino == st.st_ino)) {
			if (up >= 0)
				close(up);
			break;
		}
		close(fd);
		fd = up;
	}
	close(fd);
	return false;
}

bool fs_dir_trusted(const struct stat *st, uid_t owner)
{
	return S_ISDIR(st->st_mode) && (st->st_uid == 0 || st->st_uid == owner) &&
	       (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX));
}

int fs_renameat2(int olddir, const char *oldname, int newdir, const char *newname,
		 unsigned int flags)
{
	return (int)syscall(SYS_renameat2, olddir, oldname, newdir, newname, flags);
}
