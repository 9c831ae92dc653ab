/* landlock.c - the sandbox's two Landlock domains (landlock.h).
 *
 * What MUST hold:
 *  1. The scope ruleset handles no file system and no network rights, only
 *     the two scopes (abstract unix sockets, signals): bwrap's mounts, the
 *     program's files and its sockets to the network are untouched by it.
 *  2. A kernel without scopes (ABI < 6, Landlock off) is not an error: the
 *     caller is told and the launch goes on with the other defences. A
 *     kernel with scopes that refuses the ruleset or the confinement is an
 *     error: the launch never silently runs unscoped where scoping works.
 *  3. The path ruleset handles every file system right the running ABI
 *     knows (fs_rights below, REFER, TRUNCATE and IOCTL_DEV included where
 *     the kernel has them): no right is left unhandled, and so allowed
 *     everywhere, on a kernel that could refuse it.
 *  4. A path rule grants exactly its class (classes below), cut down to
 *     the rights the kernel handles and, for anything but a directory, to
 *     the rights that apply to files. A record that does not parse, or a
 *     rule the kernel refuses, is an error; a path the init cannot open
 *     gets no rule, which leaves it out of reach.
 *  5. Descriptors 0, 1 and 2: reopening one through /proc/self/fd (or
 *     /dev/stdin) allows no more than its own open mode. A file the caller
 *     redirected in cannot be reopened for writing, nor one appended to for
 *     reading or truncating, unless a path rule allows it anyway.
 */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

/* From <linux/landlock.h>; Debian 12's headers predate most of it. */
#define SV_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define SV_LANDLOCK_RULE_PATH_BENEATH 1
#define SV_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define SV_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_REMOVE_DIR (1ULL << 4)
#define FS_REMOVE_FILE (1ULL << 5)
#define FS_MAKE_CHAR (1ULL << 6)
#define FS_MAKE_DIR (1ULL << 7)
#define FS_MAKE_REG (1ULL << 8)
#define FS_MAKE_SOCK (1ULL << 9)
#define FS_MAKE_FIFO (1ULL << 10)
#define FS_MAKE_BLOCK (1ULL << 11)
#define FS_MAKE_SYM (1ULL << 12)
#define FS_REFER (1ULL << 13)
#define FS_TRUNCATE (1ULL << 14)
#define FS_IOCTL_DEV (1ULL << 15)

/* The rights a rule on a file (not a directory) may carry. */
#define FS_FILE_RIGHTS (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV)

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

/* A record's path: at most this long. */
#define RULE_PATH_MAX 4096

/* struct landlock_ruleset_attr as of ABI 6. */
struct sv_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct sv_landlock_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* The file system rights, by the ABI that introduced them. */
static const struct {
	int abi;
	uint64_t rights;
} fs_rights[] = {
	{ 1, FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_REMOVE_DIR |
	     FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK |
	     FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM },
	{ 2, FS_REFER },
	{ 3, FS_TRUNCATE },
	{ 5, FS_IOCTL_DEV },
};

#define FS_ALL_RIGHTS ((FS_IOCTL_DEV << 1) - 1)
#define FS_NO_DEVICES (FS_MAKE_CHAR | FS_MAKE_BLOCK | FS_IOCTL_DEV)
#define FS_SHARED_WRITE (FS_ALL_RIGHTS & ~FS_NO_DEVICES & ~FS_MAKE_SOCK)

/* What each class allows, before the kernel's handled rights cut it. */
static const struct {
	enum landlock_class c;
	uint64_t rights;
} classes[] = {
	{ LANDLOCK_READ, FS_EXECUTE | FS_READ_FILE | FS_READ_DIR },
	{ LANDLOCK_WRITE, FS_SHARED_WRITE },
	{ LANDLOCK_PRIVATE, FS_SHARED_WRITE | FS_MAKE_SOCK },
	{ LANDLOCK_DEV, FS_SHARED_WRITE | FS_IOCTL_DEV },
	{ LANDLOCK_PROC, FS_READ_FILE | FS_READ_DIR | FS_WRITE_FILE | FS_TRUNCATE },
};

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   SV_LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static int create_ruleset(const struct sv_landlock_ruleset_attr *attr, struct strbuf *err)
{
	long fd = syscall(SYS_landlock_create_ruleset, attr, sizeof(*attr), 0);

	if (fd < 0)
		strbuf_addf(err, "cannot create the landlock ruleset: %s", strerror(errno));
	return (int)fd;
}

int landlock_scope_ruleset(int abi, struct strbuf *err)
{
	const struct sv_landlock_ruleset_attr attr = {
		.scoped = SV_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | SV_LANDLOCK_SCOPE_SIGNAL,
	};
	int fd;

	if (abi < LANDLOCK_SCOPE_MIN_ABI)
		return -1;
	fd = create_ruleset(&attr, err);
	return fd < 0 ? -2 : fd;
}

void landlock_rules_add(struct strbuf *rules, enum landlock_class c, const char *path)
{
	strbuf_addch(rules, (char)c);
	strbuf_add(rules, path, strlen(path) + 1);
}

uint64_t landlock_fs_rights(int abi)
{
	uint64_t r = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fs_rights); i++)
		if (abi >= fs_rights[i].abi)
			r |= fs_rights[i].rights;
	return r;
}

uint64_t landlock_class_rights(enum landlock_class c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(classes); i++)
		if (classes[i].c == c)
			return classes[i].rights;
	return 0;
}

/* Allow `rights` (already cut to the handled ones) beneath the file fd
 * refers to. Returns 0, or -1 with errno. */
static int add_rule(int ruleset, int fd, uint64_t rights)
{
	struct sv_landlock_path_beneath_attr pb = { rights, fd };
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= FS_FILE_RIGHTS;
	if (!pb.allowed_access)
		return 0;
	return syscall(SYS_landlock_add_rule, ruleset, SV_LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0 ?
	       -1 : 0;
}

/* The directory of the last record opened, kept open: the records come
 * grouped by directory (a venv's tools, the collected libraries), and a
 * name opened from it costs the kernel one component instead of its whole
 * path. */
struct rule_dir {
	int fd;
	size_t len;
	char path[RULE_PATH_MAX + 1];
};

/* path, opened O_PATH from its directory (d), or whole where it has none
 * to open that way ("/usr", "/etc/") or is too long for open() as a
 * whole (which then fails, as it always did). The file open(path) gives,
 * but for two cases the host's trees do not meet during a launch: a
 * directory renamed between two records of it is the one opened first,
 * and a path whose walk meets more symlinks than open() follows in all
 * is opened when each half meets fewer. Neither gives a sandbox more than
 * changing a symlink where it can write gives it. */
static int open_rule_path(struct rule_dir *d, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = (size_t)(slash - path);

	if (len == 0 || !slash[1] || strlen(path) >= PATH_MAX)
		return open(path, O_PATH | O_CLOEXEC);
	if (d->fd < 0 || d->len != len || memcmp(d->path, path, len)) {
		if (d->fd >= 0)
			close(d->fd);
		memcpy(d->path, path, len);
		d->path[len] = '\0';
		d->len = len;
		d->fd = open(d->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	return d->fd >= 0 ? openat(d->fd, slash + 1, O_PATH | O_CLOEXEC) : -1;
}

static int add_records(int ruleset, uint64_t handled, const char *rules, size_t len,
		       struct strbuf *err)
{
	const char *p = rules, *end = rules + len;
	struct rule_dir dir = { .fd = -1 };
	int ret = -1;

	while (p < end) {
		const char *path = p + 1;
		const char *nul = memchr(path, '\0', (size_t)(end - path));
		uint64_t rights = landlock_class_rights((enum landlock_class)p[0]) & handled;
		cleanup_fd int fd = -1;

		if (!nul || path >= end || path[0] != '/' || nul - path > RULE_PATH_MAX ||
		    !landlock_class_rights((enum landlock_class)p[0])) {
			strbuf_addf(err, "malformed landlock rule at byte %zu", (size_t)(p - rules));
			goto out;
		}
		p = nul + 1;
		fd = open_rule_path(&dir, path);
		if (fd < 0)
			continue;	/* absent here: nothing to allow */
		if (add_rule(ruleset, fd, rights) < 0) {
			strbuf_addf(err, "cannot allow '%s': %s", path, strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	if (dir.fd >= 0)
		close(dir.fd);
	return ret;
}

/* Reopening 0, 1 or 2 by path: no more than its open mode allows. */
static int add_std_fds(int ruleset, uint64_t handled, struct strbuf *err)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		int fl = fcntl(fd, F_GETFL);
		uint64_t rights = 0;
		struct stat st;

		if (fl < 0 || fstat(fd, &st) < 0 ||
		    !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			continue;	/* closed, or a pipe or socket: no path to reopen */
		if ((fl & O_ACCMODE) != O_WRONLY)
			rights |= FS_READ_FILE;
		if ((fl & O_ACCMODE) != O_RDONLY)
			rights |= FS_WRITE_FILE | (fl & O_APPEND ? 0 : FS_TRUNCATE);
		if (!S_ISREG(st.st_mode))
			rights |= FS_IOCTL_DEV;
		/* EBADFD: a memory file, which Landlock never restricts. */
		if (add_rule(ruleset, fd, rights & handled) < 0 && errno != EBADFD) {
			strbuf_addf(err, "cannot allow descriptor %d: %s", fd, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int landlock_host_ruleset(int abi, const char *rules, size_t len, struct strbuf *err)
{
	struct sv_landlock_ruleset_attr attr = { .handled_access_fs = landlock_fs_rights(abi) };
	cleanup_fd int ruleset = -1;

	if (abi < LANDLOCK_PATHS_MIN_ABI) {
		strbuf_addstr(err, "this kernel has no Landlock: cannot apply the path rules");
		return -1;
	}
	/* A kernel with a shorter attribute takes this one: the rest is 0. */
	ruleset = create_ruleset(&attr, err);
	if (ruleset < 0 || add_records(ruleset, attr.handled_access_fs, rules, len, err) < 0)
		return -1;
	return steal_fd(&ruleset);
}

int landlock_finish_ruleset(int ruleset, int abi, const char *rules, size_t len,
			    struct strbuf *err)
{
	uint64_t handled = landlock_fs_rights(abi);

	if (abi < LANDLOCK_PATHS_MIN_ABI) {
		strbuf_addstr(err, "this kernel has no Landlock: cannot apply the path rules");
		return -1;
	}
	if (add_records(ruleset, handled, rules, len, err) < 0 ||
	    add_std_fds(ruleset, handled, err) < 0)
		return -1;
	return 0;
}

int landlock_path_ruleset(int abi, const char *rules, size_t len, struct strbuf *err)
{
	cleanup_fd int ruleset = landlock_host_ruleset(abi, "", 0, err);

	if (ruleset < 0 || landlock_finish_ruleset(ruleset, abi, rules, len, err) < 0)
		return -1;
	return steal_fd(&ruleset);
}

int landlock_restrict(int ruleset_fd)
{
	if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) == 0)
		return 0;
	/* Without CAP_SYS_ADMIN, no_new_privs first. */
	if (errno != EPERM || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0 ? -1 : 0;
}
