/* test-scfilter.c - SANDBOX_SECCOMP_ALLOW parsing, filter building, and
 * every row of the table tried against the kernel.
 *
 * Run from the repository root; the helper is "$B/tests/try-syscall"
 * (B defaults to "build"). For each case a child loads the exported BPF
 * (PR_SET_NO_NEW_PRIVS + seccomp(SECCOMP_SET_MODE_FILTER), program read
 * from the memfd) and execs try-syscall, whose exit status is the errno it
 * saw. The same call is made without the filter: when the kernel's own
 * answer equals the filter's, the case is skipped, because it could not
 * fail.
 *
 *   test-scfilter --export PATH   write the default-policy BPF to PATH
 */
#include "scfilter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "strbuf.h"
#include "util.h"
#include "tap.h"

#define SIG_BASE 1000		/* status of a child killed by signal N: 1000 + N */
#define EXEC_FAILED 201		/* the child could not load the filter or exec */

enum expect {
	EXPECT_ROW,	/* the row's errno with the filter, another without */
	EXPECT_SAME,	/* the filter lets it through: same status as without */
	EXPECT_EPERM,	/* EPERM with the filter (ALLOWLIST default), another without */
	EXPECT_ENOSYS,	/* ENOSYS with the filter, another without */
	EXPECT_SIGSYS,	/* killed by the bad-architecture action */
};

struct tcase {
	const char *row;	/* table row the case exercises (NULL: none) */
	const char *call;	/* try-syscall NAME */
	const char *num;	/* try-syscall NUMBER, or NULL */
	enum expect expect;
};

/* Cases for the default policy: every row needs at least one. */
static const struct tcase default_cases[] = {
	{ "keyctl", "keyctl", NULL, EXPECT_ROW },
	{ "add_key", "add_key", NULL, EXPECT_ROW },
	{ "request_key", "request_key", NULL, EXPECT_ROW },
	{ "unshare", "unshare", NULL, EXPECT_ROW },
	{ "setns", "setns", NULL, EXPECT_ROW },
	{ "clone", "clone-newuser", NULL, EXPECT_ROW },
	{ "clone", "clone-newns", NULL, EXPECT_ROW },
	{ "clone", "clone-newnet", NULL, EXPECT_ROW },
	{ "clone", "clone-newpid", NULL, EXPECT_ROW },
	{ "clone", "clone-newcgroup", NULL, EXPECT_ROW },
	{ "clone", "clone", "0x04000000", EXPECT_ROW },		/* CLONE_NEWUTS */
	{ "clone", "clone", "0x08000000", EXPECT_ROW },		/* CLONE_NEWIPC */
	{ "clone", "clone", "0", EXPECT_SAME },
	{ "clone", "fork", NULL, EXPECT_SAME },
	{ "clone3", "clone3", NULL, EXPECT_ROW },
	{ "mount", "mount", NULL, EXPECT_ROW },
	{ "umount2", "umount2", NULL, EXPECT_ROW },
	{ "pivot_root", "pivot_root", NULL, EXPECT_ROW },
	{ "chroot", "chroot", NULL, EXPECT_ROW },
	{ "open_tree", "open_tree", NULL, EXPECT_ROW },
	{ "move_mount", "move_mount", NULL, EXPECT_ROW },
	{ "fsopen", "fsopen", NULL, EXPECT_ROW },
	{ "fsconfig", "fsconfig", NULL, EXPECT_ROW },
	{ "fsmount", "fsmount", NULL, EXPECT_ROW },
	{ "fspick", "fspick", NULL, EXPECT_ROW },
	{ "mount_setattr", "mount_setattr", NULL, EXPECT_ROW },
	{ "open_by_handle_at", "open_by_handle_at", NULL, EXPECT_ROW },
	{ "io_uring_setup", "io_uring_setup", NULL, EXPECT_ROW },
	{ "io_uring_enter", "io_uring_enter", NULL, EXPECT_ROW },
	{ "io_uring_register", "io_uring_register", NULL, EXPECT_ROW },
	{ "bpf", "bpf", NULL, EXPECT_ROW },
	{ "userfaultfd", "userfaultfd", NULL, EXPECT_ROW },
	{ "perf_event_open", "perf_event_open", NULL, EXPECT_ROW },
	{ "kexec_load", "kexec_load", NULL, EXPECT_ROW },
	{ "kexec_file_load", "kexec_file_load", NULL, EXPECT_ROW },
	{ "init_module", "init_module", NULL, EXPECT_ROW },
	{ "finit_module", "finit_module", NULL, EXPECT_ROW },
	{ "delete_module", "delete_module", NULL, EXPECT_ROW },
	{ "acct", "acct", NULL, EXPECT_ROW },
	{ "quotactl", "quotactl", NULL, EXPECT_ROW },
	{ "quotactl_fd", "quotactl_fd", NULL, EXPECT_ROW },
	{ "syslog", "syslog", NULL, EXPECT_ROW },
	{ "uselib", "uselib", NULL, EXPECT_ROW },
	{ "modify_ldt", "modify_ldt", NULL, EXPECT_ROW },
	{ "move_pages", "move_pages", NULL, EXPECT_ROW },
	{ "migrate_pages", "migrate_pages", NULL, EXPECT_ROW },
	{ "personality", "personality", NULL, EXPECT_ROW },	/* ADDR_NO_RANDOMIZE */
	{ "personality", "personality", "0x0008", EXPECT_ROW },	/* PER_LINUX32 */
	{ "personality", "personality-high", NULL, EXPECT_ROW },
	{ "personality", "personality", "0", EXPECT_SAME },
	{ "personality", "personality-query", NULL, EXPECT_SAME },
	{ "ioctl", "tiocsti", NULL, EXPECT_ROW },
	{ "ioctl", "tiocsti-high", NULL, EXPECT_ROW },
	{ "ioctl", "tioclinux", NULL, EXPECT_ROW },
	{ "ioctl", "tiocspgrp", NULL, EXPECT_SAME },	/* on the sandbox's own pty */
	{ "ioctl", "tiocsctty", NULL, EXPECT_SAME },
	{ "ioctl", "tiocsetd", NULL, EXPECT_ROW },
	{ "ioctl", "ioctl", "0x540f", EXPECT_SAME },		/* TIOCGPGRP: reading is fine */
	{ "ioctl", "ioctl", NULL, EXPECT_SAME },
	{ "socket", "socket-packet", NULL, EXPECT_ROW },
	{ "socket", "socket-unspec", NULL, EXPECT_ROW },
	{ "socket", "socket-high", NULL, EXPECT_ROW },
	{ "socket", "socket", "3", EXPECT_ROW },		/* AF_AX25 */
	{ "socket", "socket", "9", EXPECT_ROW },		/* AF_X25 */
	{ "socket", "socket", "11", EXPECT_ROW },		/* AF_ROSE */
	{ "socket", "socket", "15", EXPECT_ROW },		/* AF_KEY */
	{ "socket", "socket", "40", EXPECT_ROW },		/* AF_VSOCK */
	{ "socket", "socket", "0xffffffff", EXPECT_ROW },
	{ "socket", "socket-unix", NULL, EXPECT_SAME },
	{ "socket", "socket-inet", NULL, EXPECT_SAME },
	{ "socket", "socket-inet6", NULL, EXPECT_SAME },
	{ "socket", "socket-netlink", NULL, EXPECT_SAME },
	{ "socket", "socket-sockdiag", NULL, EXPECT_ROW },
	{ "chmod", "chmod", NULL, EXPECT_ROW },			/* 04755 */
	{ "chmod", "chmod", "02755", EXPECT_ROW },
	{ "chmod", "chmod", "0x100000800", EXPECT_ROW },	/* S_ISUID, high bits */
	{ "chmod", "chmod", "0755", EXPECT_SAME },
	{ "chmod", "chmod", "01777", EXPECT_SAME },		/* sticky: no privilege */
	{ "fchmod", "fchmod", NULL, EXPECT_ROW },
	{ "fchmod", "fchmod", "0644", EXPECT_SAME },
	{ "fchmodat", "fchmodat", NULL, EXPECT_ROW },
	{ "fchmodat", "fchmodat", "0700", EXPECT_SAME },
	{ "fchmodat2", "fchmodat2", NULL, EXPECT_ROW },
	{ "open", "open-creat", NULL, EXPECT_ROW },
	{ "open", "open-creat", "0644", EXPECT_SAME },
	{ "openat", "openat-creat", NULL, EXPECT_ROW },
	{ "openat", "openat-creat", "02700", EXPECT_ROW },
	{ "openat", "openat-creat", "0600", EXPECT_SAME },
	{ "creat", "creat", NULL, EXPECT_ROW },
	{ "mknod", "mknod", NULL, EXPECT_ROW },
	{ "mknodat", "mknodat", NULL, EXPECT_ROW },
	{ "mknodat", "mknodat", "0644", EXPECT_SAME },
	{ "openat2", "openat2", NULL, EXPECT_ROW },
	{ "setxattr", "setxattr", NULL, EXPECT_ROW },
	{ "lsetxattr", "lsetxattr", NULL, EXPECT_ROW },
	{ "fsetxattr", "fsetxattr", NULL, EXPECT_ROW },
	{ NULL, "nr", "463", EXPECT_ENOSYS },			/* setxattrat, Linux 6.13 */
	{ NULL, "nr", "466", EXPECT_ENOSYS },			/* removexattrat */
	{ NULL, "nr", "451", EXPECT_SAME },			/* cachestat: older than the table */
	{ "ptrace", "ptrace", NULL, EXPECT_SAME },
	{ "process_vm_readv", "process_vm_readv", NULL, EXPECT_SAME },
	{ "process_vm_writev", "process_vm_writev", NULL, EXPECT_SAME },
	{ NULL, "getpid", NULL, EXPECT_SAME },
	{ NULL, "x32-getpid", NULL, EXPECT_SIGSYS },
	{ NULL, "i386-getpid", NULL, EXPECT_SIGSYS },
};

/* Enough for the dynamic loader, libc and the sanitizer runtimes to start
 * try-syscall, plus the calls the cases need. */
static const char allow_list[] =
	"read write pread64 openat open close fstat newfstatat statx lseek "
	"mmap mprotect munmap mremap madvise brk access readlink readlinkat "
	"arch_prctl set_tid_address set_robust_list rseq prlimit64 getrlimit "
	"setrlimit getrandom rt_sigaction rt_sigprocmask rt_sigreturn sigaltstack "
	"sched_getaffinity sched_yield futex gettid getpid getppid tgkill "
	"uname prctl fcntl dup dup2 dup3 clock_gettime getcwd exit exit_group "
	"wait4 clone ioctl socket personality\n";

static const struct tcase allowlist_cases[] = {
	{ NULL, "getpid", NULL, EXPECT_SAME },
	{ NULL, "fork", NULL, EXPECT_SAME },
	{ NULL, "keyctl", NULL, EXPECT_EPERM },
	{ NULL, "setns", NULL, EXPECT_EPERM },
	{ NULL, "io_uring_enter", NULL, EXPECT_EPERM },
	{ NULL, "ptrace", NULL, EXPECT_EPERM },
	{ NULL, "socket-packet", NULL, EXPECT_SAME },		/* socket listed */
	{ NULL, "personality", NULL, EXPECT_SAME },		/* personality listed */
	{ "clone", "clone-newuser", NULL, EXPECT_EPERM },
	{ "clone", "clone-newns", NULL, EXPECT_EPERM },
	{ "clone", "clone", "0", EXPECT_SAME },
	{ "clone3", "clone3", NULL, EXPECT_ENOSYS },
	{ "ioctl", "tiocsti", NULL, EXPECT_EPERM },
	{ "ioctl", "tiocsti-high", NULL, EXPECT_EPERM },
	{ "ioctl", "tioclinux", NULL, EXPECT_EPERM },
	{ "ioctl", "tiocsetd", NULL, EXPECT_EPERM },
	{ "ioctl", "ioctl", "0x1000005412", EXPECT_EPERM },	/* TIOCSTI, high bits */
	{ "ioctl", "ioctl", "0xffffffff0000541c", EXPECT_EPERM }, /* TIOCLINUX, high bits */
	{ "ioctl", "ioctl", NULL, EXPECT_SAME },
	{ "ioctl", "ioctl", "0", EXPECT_SAME },
	{ "ioctl", "ioctl", "0x5411", EXPECT_SAME },		/* TIOCSTI - 1 */
	{ "ioctl", "ioctl", "0x5413", EXPECT_SAME },		/* TIOCSTI + 1 */
	{ "ioctl", "ioctl", "0x541b", EXPECT_SAME },		/* TIOCLINUX - 1 */
	{ "ioctl", "ioctl", "0x541d", EXPECT_SAME },		/* TIOCLINUX + 1 */
	{ "ioctl", "ioctl", "0x80045412", EXPECT_SAME },
	{ "ioctl", "ioctl", "0xffffffff", EXPECT_SAME },
	{ "ioctl", "ioctl", "0x100005411", EXPECT_SAME },
	{ "openat", "openat-creat", NULL, EXPECT_EPERM },	/* kept: S_ISUID */
	{ "openat", "openat-creat", "0644", EXPECT_SAME },
	{ "chmod", "chmod", NULL, EXPECT_EPERM },		/* not listed anyway */
	{ "fsetxattr", "fsetxattr", NULL, EXPECT_ROW },		/* kept: EOPNOTSUPP */
	{ "openat2", "openat2", NULL, EXPECT_ENOSYS },
	{ NULL, "nr", "463", EXPECT_ENOSYS },
	{ NULL, "x32-getpid", NULL, EXPECT_SIGSYS },
	{ NULL, "i386-getpid", NULL, EXPECT_SIGSYS },
};

static char *helper;	/* "$B/tests/try-syscall" */

static const char *status_name(int st, struct strbuf *sb)
{
	const char *n;

	strbuf_reset(sb);
	if (st >= SIG_BASE)
		strbuf_addf(sb, "signal %s", sigabbrev_np(st - SIG_BASE) ?
			    sigabbrev_np(st - SIG_BASE) : "?");
	else if (st == 0)
		strbuf_addstr(sb, "OK");
	else if (st == EXEC_FAILED)
		strbuf_addstr(sb, "(could not run the helper)");
	else if ((n = strerrorname_np(st)))
		strbuf_addstr(sb, n);
	else
		strbuf_addf(sb, "status %d", st);
	return sb->buf;
}

/* In the child: install the BPF program held by fd. */
static int load_filter(int fd)
{
	struct stat st;
	struct sock_fprog prog;
	struct sock_filter *insns;
	size_t off = 0;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size > (off_t)(BPF_MAXINSNS * sizeof(*insns)) ||
	    st.st_size % (off_t)sizeof(*insns))
		return -1;
	insns = malloc((size_t)st.st_size);
	if (!insns)
		return -1;
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(fd, (char *)insns + off, (size_t)st.st_size - off, (off_t)off);

		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	prog.len = (unsigned short)(off / sizeof(*insns));
	prog.filter = insns;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Run try-syscall CALL [NUM], under the filter in fd when fd >= 0.
 * Returns its exit status, or SIG_BASE + signal. */
static int run(int fd, const char *call, const char *num)
{
	const char *argv[] = { helper, call, num, NULL };
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(EXEC_FAILED);
		/* A sanitizer build of the helper: LeakSanitizer's exit-time
		 * scan needs ptrace and /proc, which a short allowlist lacks. */
		if (setenv("ASAN_OPTIONS", xasprintf("%s%sdetect_leaks=0",
			   getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
			   getenv("ASAN_OPTIONS") ? ":" : ""), 1) < 0)
			_exit(EXEC_FAILED);
		if (fd >= 0 && load_filter(fd) < 0)
			_exit(EXEC_FAILED);
		execv(helper, (char *const *)argv);
		_exit(EXEC_FAILED);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return SIG_BASE + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static const struct scfilter_rule *find_row(const char *name)
{
	const struct scfilter_rule *rows;
	size_t i, n = scfilter_rules(&rows);

	for (i = 0; name && i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

static void run_case(int fd, const char *mode, const struct tcase *c)
{
	const struct scfilter_rule *row = find_row(c->row);
	cleanup_strbuf struct strbuf what = STRBUF_INIT;
	cleanup_strbuf struct strbuf n1 = STRBUF_INIT;
	cleanup_strbuf struct strbuf n2 = STRBUF_INIT;
	int want = 0, without, with;

	strbuf_addf(&what, "%s: try-syscall %s%s%s", mode, c->call,
		    c->num ? " " : "", c->num ? c->num : "");
	if (row)
		strbuf_addf(&what, " (row '%s')", row->name);
	switch (c->expect) {
	case EXPECT_ROW:
		want = row ? row->action_errno : -1;
		break;
	case EXPECT_EPERM:
		want = EPERM;
		break;
	case EXPECT_ENOSYS:
		want = ENOSYS;
		break;
	case EXPECT_SIGSYS:
		want = SIG_BASE + SIGSYS;
		break;
	case EXPECT_SAME:
		break;
	}
	without = run(-1, c->call, c->num);
	if (without == EXEC_FAILED || without == 200 || without < 0) {
		ok(0, "%s: the helper runs without a filter", what.buf);
		return;
	}
	if (c->expect == EXPECT_SAME) {
		with = run(fd, c->call, c->num);
		if (!ok(with == without, "%s is allowed: %s", what.buf,
			status_name(with, &n1)))
			printf("#   without the filter: %s\n", status_name(without, &n2));
		return;
	}
	if (without == want) {
		printf("ok %d # SKIP %s: the kernel alone answers %s (no capability?)\n",
		       ++tap_n, what.buf, status_name(without, &n1));
		return;
	}
	if (c->expect == EXPECT_SIGSYS && without >= SIG_BASE) {
		printf("ok %d # SKIP %s: without a filter it dies of %s, so this ABI "
		       "does not reach the system call table here\n",
		       ++tap_n, what.buf, status_name(without, &n1));
		return;
	}
	with = run(fd, c->call, c->num);
	if (!ok(with == want, "%s gives %s (%s without the filter)", what.buf,
		status_name(want, &n1), status_name(without, &n2)))
		printf("#   got: %s\n", status_name(with, &n1));
}

static void test_parse(void)
{
	struct scfilter_policy p;
	struct strbuf err = STRBUF_INIT;
	cleanup_free char *huge = NULL;

	ok(scfilter_parse(NULL, &p, &err) == 0 && p.mode == SCFILTER_DEFAULT &&
	   p.allow.nr == 0, "parse: unset means the default policy");
	scfilter_policy_release(&p);

	ok(scfilter_parse("", &p, &err) == 0 && p.mode == SCFILTER_OFF,
	   "parse: empty means off");
	scfilter_policy_release(&p);
	ok(scfilter_parse(" \t\n ", &p, &err) == 0 && p.mode == SCFILTER_OFF,
	   "parse: only whitespace means off");
	scfilter_policy_release(&p);

	ok(scfilter_parse("read\twrite\n  openat read ", &p, &err) == 0 &&
	   p.mode == SCFILTER_ALLOWLIST && p.allow.nr == 3,
	   "parse: a list, whitespace separated, duplicates folded");
	is_str(p.allow.nr == 3 ? p.allow.v[2] : NULL, "openat", "parse: names kept in order");
	scfilter_policy_release(&p);
	is_int((long long)err.len, 0, "parse: no error text on success");

	ok(scfilter_parse("read foo write", &p, &err) == -1, "parse: unknown name fails");
	is_str(err.buf, "unknown system call 'foo' in SANDBOX_SECCOMP_ALLOW",
	       "parse: unknown name message");
	ok(p.mode == SCFILTER_DEFAULT && p.allow.nr == 0, "parse: failure leaves no names");
	strbuf_reset(&err);

	ok(scfilter_parse("READ", &p, &err) == -1, "parse: names are lower case");
	strbuf_reset(&err);
	ok(scfilter_parse("read;write", &p, &err) == -1, "parse: no separators but whitespace");
	is_str(err.buf, "invalid system call name 'read;write' in SANDBOX_SECCOMP_ALLOW",
	       "parse: invalid name message");
	strbuf_reset(&err);
	ok(scfilter_parse("read \x1b[2J", &p, &err) == -1 && !str_has_control(err.buf),
	   "parse: control characters are not echoed");
	strbuf_reset(&err);

	huge = xmalloc(SCFILTER_NAME_MAX + 2);
	memset(huge, 'a', SCFILTER_NAME_MAX + 1);
	huge[SCFILTER_NAME_MAX + 1] = '\0';
	ok(scfilter_parse(huge, &p, &err) == -1, "parse: overlong name fails");
	strbuf_reset(&err);
	free(huge);
	huge = xmalloc(SCFILTER_VALUE_MAX + 2);
	memset(huge, ' ', SCFILTER_VALUE_MAX + 1);
	huge[SCFILTER_VALUE_MAX + 1] = '\0';
	ok(scfilter_parse(huge, &p, &err) == -1, "parse: overlong value fails");
	strbuf_release(&err);
}

static void test_table(void)
{
	const struct scfilter_rule *rows;
	size_t i, j, n = scfilter_rules(&rows);
	int bad = 0, unknown = 0, keep_dup = 0, uncovered = 0;

	ok(n > 30, "table: %zu rows", n);
	for (i = 0; i < n; i++) {
		const struct scfilter_rule *r = &rows[i];

		if (!r->name || !r->reason || !*r->reason)
			bad++;
		if (seccomp_syscall_resolve_name(r->name) == __NR_SCMP_ERROR) {
			printf("# row '%s' is unknown to this libseccomp: not applied\n", r->name);
			unknown++;
		}
		for (j = 0; j < i; j++)
			if ((r->flags & SCFILTER_KEEP) && (rows[j].flags & SCFILTER_KEEP) &&
			    strcmp(r->name, rows[j].name) == 0)
				keep_dup++;
		for (j = 0; j < ARRAY_SIZE(default_cases); j++)
			if (default_cases[j].row && strcmp(default_cases[j].row, r->name) == 0)
				break;
		if (j == ARRAY_SIZE(default_cases)) {
			printf("# row '%s' has no test case\n", r->name);
			uncovered++;
		}
	}
	is_int(bad, 0, "table: every row has a name and a reason");
	is_int(unknown, 0, "table: libseccomp knows every row");
	is_int(keep_dup, 0, "table: at most one kept row per system call");
	is_int(uncovered, 0, "table: every row has a test case");
	for (j = 0; j < ARRAY_SIZE(default_cases); j++)
		if (default_cases[j].row && !find_row(default_cases[j].row))
			uncovered++;
	is_int(uncovered, 0, "table: every test case names a row");
}

/* Check what scfilter_build_fd promises of the fd; returns instructions. */
static long check_fd(int fd, const char *mode)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	int want = F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK;

	ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 &&
	   st.st_size % (off_t)sizeof(struct sock_filter) == 0 &&
	   st.st_size <= (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter)),
	   "%s: the fd holds a BPF program of at most %d instructions", mode, BPF_MAXINSNS);
	ok(seals >= 0 && (seals & want) == want, "%s: the memfd is sealed", mode);
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC,
	   "%s: the fd is close-on-exec (only the child that execs bwrap lets it through)", mode);
	ok(lseek(fd, 0, SEEK_CUR) == 0, "%s: the fd is at offset 0", mode);
	ok(write(fd, "x", 1) < 0, "%s: the memfd cannot be written", mode);
	return fd >= 0 && fstat(fd, &st) == 0 ? (long)(st.st_size / (off_t)sizeof(struct sock_filter)) : -1;
}

static void test_modes(void)
{
	struct scfilter_policy p;
	struct strbuf err = STRBUF_INIT;
	cleanup_fd int fd = -1;
	size_t i;

	ok(scfilter_parse("", &p, &err) == 0 && scfilter_build_fd(&p, &fd, &err) == 0 &&
	   fd == -1, "off: no filter, fd -1");
	scfilter_policy_release(&p);

	ok(scfilter_parse(NULL, &p, &err) == 0 && scfilter_build_fd(&p, &fd, &err) == 0,
	   "default: builds%s%s", err.len ? ": " : "", err.buf);
	printf("# default filter: %ld instructions\n", check_fd(fd, "default"));
	for (i = 0; i < ARRAY_SIZE(default_cases); i++)
		run_case(fd, "default", &default_cases[i]);
	close(steal_fd(&fd));
	scfilter_policy_release(&p);

	ok(scfilter_parse(allow_list, &p, &err) == 0 && scfilter_build_fd(&p, &fd, &err) == 0,
	   "allowlist: builds%s%s", err.len ? ": " : "", err.buf);
	printf("# allowlist filter: %ld instructions\n", check_fd(fd, "allowlist"));
	for (i = 0; i < ARRAY_SIZE(allowlist_cases); i++)
		run_case(fd, "allowlist", &allowlist_cases[i]);
	close(steal_fd(&fd));
	scfilter_policy_release(&p);

	/* An allowlist without clone, ioctl or execve still runs the helper
	 * (what starting a program needs is implied: execve, clone without
	 * namespace flags, ...) and answers EPERM for the unlisted. */
	ok(scfilter_parse("read write openat close fstat newfstatat mmap mprotect munmap brk "
			  "pread64 arch_prctl set_tid_address set_robust_list rseq prlimit64 "
			  "getrandom exit_group access readlink rt_sigaction rt_sigprocmask "
			  "sigaltstack getrlimit setrlimit sched_getaffinity madvise futex "
			  "gettid getpid personality mremap prctl uname readlinkat statx open "
			  "clock_gettime",
			  &p, &err) == 0 &&
	   scfilter_build_fd(&p, &fd, &err) == 0, "allowlist without execve: builds");
	{
		static const struct tcase c[] = {
			{ NULL, "getpid", NULL, EXPECT_SAME },
			{ "ioctl", "ioctl", NULL, EXPECT_EPERM },
			{ "clone", "clone", "0", EXPECT_SAME },
			{ "clone", "clone-newuser", NULL, EXPECT_EPERM },
			{ "clone3", "clone3", NULL, EXPECT_ENOSYS },
			{ NULL, "socket-unix", NULL, EXPECT_EPERM },
		};
		for (i = 0; i < ARRAY_SIZE(c); i++)
			run_case(fd, "short allowlist", &c[i]);
	}
	close(steal_fd(&fd));
	scfilter_policy_release(&p);
	strbuf_release(&err);
}

/* --export PATH: the default-policy BPF, for tests/scfilter-bwrap.sh. */
static int export_default(const char *path)
{
	struct scfilter_policy p;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strbuf struct strbuf bpf = STRBUF_INIT;
	cleanup_fd int fd = -1;
	cleanup_fd int out = -1;
	ssize_t n;

	if (scfilter_parse(NULL, &p, &err) < 0 || scfilter_build_fd(&p, &fd, &err) < 0 ||
	    fs_read_fd(fd, BPF_MAXINSNS * sizeof(struct sock_filter), &bpf, "filter", &err) < 0) {
		fprintf(stderr, "test-scfilter: %s\n", err.buf);
		return 1;
	}
	scfilter_policy_release(&p);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0 || (n = write(out, bpf.buf, bpf.len)) < 0 || (size_t)n != bpf.len) {
		fprintf(stderr, "test-scfilter: cannot write '%s': %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* The program an fd holds. */
static void fd_text(int fd, struct strbuf *out)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	strbuf_reset(out);
	if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0)
		fs_read_fd(fd, 1 << 20, out, "filter", &err);
}

static ino_t kept_ino(int dir)
{
	struct stat st;

	return fstatat(dir, "filter", &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_ino : 0;
}

/* The filter kept in the venv's state (scfilter_build_fd_cached). */
static void test_cache(void)
{
	static const struct seal_key key = { "0123456789abcdef" };
	cleanup_strbuf struct strbuf fresh = STRBUF_INIT;
	cleanup_strbuf struct strbuf got = STRBUF_INIT;
	cleanup_strbuf struct strbuf kept = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	char tmpl[] = "/tmp/test-scfilter.XXXXXX";
	char *path = mkdtemp(tmpl);
	int dir = path ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	struct scfilter_policy p;
	ino_t ino = 0;
	int fd = -1;

	if (dir < 0) {
		skip("cache: no temporary directory");
		return;
	}
	scfilter_parse(NULL, &p, &err);
	scfilter_build_fd(&p, &fd, &err);
	fd_text(fd, &fresh);
	close(fd);
	ok(scfilter_build_fd_cached(&p, dir, "filter", &key, &fd, &err) == 0 && (ino = kept_ino(dir)),
	   "cache: built, and kept");
	fd_text(fd, &got);
	close(fd);
	ok(fresh.len && got.len == fresh.len && !memcmp(got.buf, fresh.buf, got.len),
	   "cache: the program is the one built without a cache");
	ok(scfilter_build_fd_cached(&p, dir, "filter", &key, &fd, &err) == 0 && kept_ino(dir) == ino,
	   "cache: the next launch takes it as kept (the file is not written again)");
	fd_text(fd, &got);
	close(fd);
	ok(got.len == fresh.len && !memcmp(got.buf, fresh.buf, got.len),
	   "cache: ... and gets the same program");

	/* A kept program changed in one byte (its seal no longer holds):
	 * built again, never installed as it is. */
	fs_read_file_at(dir, "filter", 1 << 20, &kept, &err);
	kept.buf[kept.len - SEAL_TRAILER_LEN - 1] ^= 0x01;
	fs_write_atomic_at(dir, "filter", kept.buf, kept.len, 0644, &err);
	ino = kept_ino(dir);
	ok(scfilter_build_fd_cached(&p, dir, "filter", &key, &fd, &err) == 0 && kept_ino(dir) != ino,
	   "cache: a kept program whose seal fails is built again and kept anew");
	fd_text(fd, &got);
	close(fd);
	ok(got.len == fresh.len && !memcmp(got.buf, fresh.buf, got.len),
	   "cache: ... and what is installed is the fresh program");

	/* The same file under another key (a sandbox wrote it: it cannot
	 * know the key) is not taken. */
	{
		static const struct seal_key other = { "fedcba9876543210" };

		ino = kept_ino(dir);
		ok(scfilter_build_fd_cached(&p, dir, "filter", &other, &fd, &err) == 0 &&
		   kept_ino(dir) != ino, "cache: a program sealed under another key is not taken");
		close(fd);
		ino = kept_ino(dir);
		ok(scfilter_build_fd_cached(&p, dir, "filter", &key, &fd, &err) == 0 &&
		   kept_ino(dir) != ino, "cache: ... either way");
		close(fd);
	}

	/* Another policy: its own program, not the kept one. */
	scfilter_policy_release(&p);
	scfilter_parse(allow_list, &p, &err);
	scfilter_build_fd(&p, &fd, &err);
	fd_text(fd, &fresh);
	close(fd);
	ino = kept_ino(dir);
	ok(scfilter_build_fd_cached(&p, dir, "filter", &key, &fd, &err) == 0 && kept_ino(dir) != ino,
	   "cache: another policy (SANDBOX_SECCOMP_ALLOW) does not take the kept program");
	fd_text(fd, &got);
	close(fd);
	ok(got.len == fresh.len && !memcmp(got.buf, fresh.buf, got.len),
	   "cache: ... it gets its own");
	scfilter_policy_release(&p);
	unlinkat(dir, "filter", 0);
	close(dir);
	rmdir(path);
}

int main(int argc, char **argv)
{
	const char *b = getenv("B");

	if (argc == 3 && strcmp(argv[1], "--export") == 0)
		return export_default(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: test-scfilter [--export PATH]\n");
		return 2;
	}
	helper = xasprintf("%s/tests/try-syscall", b && *b ? b : "build");
	test_parse();
	test_table();
	test_cache();
	if (access(helper, X_OK) < 0)
		skip("no helper: build it with 'make tests'");
	else
		test_modes();
	free(helper);
	return done_testing();
}
