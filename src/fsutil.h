/* fsutil.h - file system hygiene: no symlink following, capped reads,
 * atomic replacement, sealed memory files.
 *
 * Every function here works relative to a directory fd, opens with
 * O_NOFOLLOW | O_CLOEXEC, and checks what it opened with fstat on the same
 * fd. Errors return -1 with one line appended to err; errno is preserved.
 */
#ifndef SV_FSUTIL_H
#define SV_FSUTIL_H

#include <stdbool.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "strbuf.h"

/* musl before 1.2.5 has no statx(): the kernel's, by its number. */
#ifndef STATX_INO
#include <linux/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
static inline int statx(int dirfd, const char *path, int flags, unsigned int mask,
			struct statx *sx)
{
	return (int)syscall(SYS_statx, dirfd, path, flags, mask, sx);
}
#endif

/* Open a directory without following a symlink in its last component. */
int fs_open_dir_at(int dirfd, const char *name, struct strbuf *err);
/* Open an absolute or dirfd-relative path as an O_PATH fd for the directory,
 * refusing a symlink at the last component. */
int fs_open_dir_path_at(int dirfd, const char *name, struct strbuf *err);

/* Read all of fd (at most max bytes; more is an error) into out. */
int fs_read_fd(int fd, size_t max, struct strbuf *out, const char *what,
	       struct strbuf *err);
/* Open dirfd/name (a regular file, no symlink) and read it, capped. */
int fs_read_file_at(int dirfd, const char *name, size_t max,
		    struct strbuf *out, struct strbuf *err);

/* A name for a temporary file of this process: ".sv.WHAT.PID.N", short
 * whatever the name it stands in for (a 255-byte entry name still fits). */
char *fs_temp_name(const char *what);

/* Replace dirfd/name with data: write a temporary file in the same
 * directory, fsync it, rename it over name. Readers see old or new. */
int fs_write_atomic_at(int dirfd, const char *name, const void *data,
		       size_t len, mode_t mode, struct strbuf *err);

/* The same, without the fsync unless flags has FS_DURABLE: for many small
 * files that a later fsync of their directory's file system covers. A
 * kill still leaves the old content or the new. FS_FRESH: name is new in
 * a directory nobody else writes (one being built): create it in place,
 * with no temporary. */
enum fs_flags { FS_DURABLE = 1 << 0, FS_FRESH = 1 << 1 };
int fs_replace_at(int dirfd, const char *name, const void *data, size_t len,
		  mode_t mode, unsigned flags, struct strbuf *err);

/* Descriptors over a unix socket: one message of the byte tag and fds[0..n)
 * (1 <= n <= FS_FDS_MAX). Returns 0, or -1 with errno. */
#define FS_FDS_MAX 4
int fs_send_fds(int sock, char tag, const int *fds, size_t n);
/* One such message, its descriptors close-on-exec in fds (at most
 * FS_FDS_MAX; any more are closed) and their number in *n, its byte in
 * *tag. flags as recvmsg's. Returns 1, 0 at the end of the stream, or -1
 * with errno. */
int fs_recv_fds(int sock, int flags, char *tag, int *fds, size_t *n);

/* A sealed memfd holding data, positioned at 0, close-on-exec (the one
 * that starts bwrap lets it through: run.h). Returns the fd or -1. */
int fs_memfd_data(const char *name, const void *data, size_t len,
		  struct strbuf *err);

/* The same in two steps, for a file handed over before what it holds is
 * known: an empty memfd that can be sealed (-1 with err), then its data,
 * written and sealed against every change, positioned at 0; name is for
 * err. */
/* Is the directory inner at or below outer (both descriptors), by inode,
 * walking up from inner as the kernel walks "..": a symlink or a bind
 * mount on the way to either does not hide it. true when it cannot tell. */
bool fs_at_or_below(int outer, int inner);

/* May what a directory holds be trusted by owner? Only root or owner can
 * change it: it is owned by one of them, and writable by no one else, or
 * sticky (no one else can replace an entry). */
bool fs_dir_trusted(const struct stat *st, uid_t owner);

int fs_memfd_empty(const char *name, struct strbuf *err);
int fs_memfd_fill(int fd, const char *name, const void *data, size_t len,
		  struct strbuf *err);

/* Mark every descriptor from low on close-on-exec, those this process
 * inherited included: nothing reaches a program we start unless it is
 * named (run.h). Returns 0, or -1 with errno. */
int fs_cloexec_from(int low);

/* mkdirat that accepts an existing directory (not a symlink). */
int fs_mkdir_at(int dirfd, const char *name, mode_t mode, struct strbuf *err);

/* One mount, as a line of mountinfo gives it. */
struct fs_mount {
	uint64_t id, parent;
	unsigned int major, minor;      /* of its file system */
	const char *root;       /* what of that file system it shows; unescaped */
	const char *point;      /* unescaped */
	const char *fstype;
	bool rw;
};

/* Each line of PID/mountinfo (self when pid is 0) in the proc directory
 * proc (a /proc opened before a setns sees the mounts of the caller's
 * namespace), to fn, in the order listed (a mount after its parent). 0,
 * or -1 when it cannot be read. */
int fs_each_mount(int proc, pid_t pid, void (*fn)(const struct fs_mount *m, void *data), void *data);

/* Remove dirfd/name and, when it is a directory, everything below it,
 * never following a symlink; a missing name is not an error. Directories
 * get their owner's rights back first (u+rwx) where they lack them; those
 * deeper than 32 levels are moved up to the top as .deep-N and removed in
 * a later pass, so a failure can leave such names in the tree's top. */
int fs_remove_tree_at(int dirfd, const char *name, struct strbuf *err);

/* The target of the symlink dirfd/name, allocated, or NULL with errno. */
char *fs_readlink_at(int dirfd, const char *name);

/* Open rel below root (AT_FDCWD and an absolute rel: from /) one component at a time,
 * following no symlink, the last one included. Returns an O_PATH
 * descriptor, or -1 with errno (ELOOP: a symlink is on the way). */
int fs_open_nofollow(int root, const char *rel);

/* renameat2(2) by its system call: musl before 1.2.5, which the init may
 * be built with, has neither the function nor its flags. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
int fs_renameat2(int olddir, const char *oldname, int newdir, const char *newname,
		 unsigned int flags);

#endif
