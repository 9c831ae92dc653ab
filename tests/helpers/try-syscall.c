/* try-syscall - make one system call with harmless arguments and report it.
 *
 *   try-syscall NAME [NUMBER]
 *
 * Prints the errno name the call saw ("OK" on success) and exits with that
 * errno (0 on success); 200 means a usage error. Standalone on purpose: it
 * links nothing of sandbox-venv, so it behaves the same inside a sandbox.
 *
 * The arguments are chosen so that the call, unfiltered, fails with an
 * errno the filter never uses for it (EINVAL, EFAULT, EBADF, ...) or
 * succeeds without effect, even as root. The comment beside each entry says
 * what the kernel answers without a filter. Some calls check capabilities
 * before their arguments and answer EPERM to an unprivileged caller; the
 * tests notice when the unfiltered answer equals the filter's and skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD_FLAGS 0x40000000UL	/* a flag no call below knows */
#define BAD_PTR ((void *)1)	/* faults in the kernel */

static unsigned long opt_num;	/* the optional NUMBER argument */
static int have_num;

static long clone_flags(unsigned long flags)
{
	/* CLONE_SIGHAND without CLONE_VM is EINVAL before anything happens. */
	return syscall(SYS_clone, flags | CLONE_SIGHAND, 0, 0, 0, 0);
}

static long t_getpid(void) { return syscall(SYS_getpid) > 0 ? 0 : -1; }
/* EOPNOTSUPP: unknown operation */
static long t_keyctl(void) { return syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0); }
/* EFAULT: NULL type */
static long t_add_key(void) { return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0); }
static long t_request_key(void) { return syscall(SYS_request_key, NULL, NULL, NULL, 0); }
/* EINVAL: 0x1 (CSIGNAL) is no unshare flag */
static long t_unshare(void) { return syscall(SYS_unshare, 0x1UL); }
/* EBADF */
static long t_setns(void) { return syscall(SYS_setns, -1, 0); }
/* EINVAL: CLONE_SIGHAND without CLONE_VM */
static long t_clone_newuser(void) { return clone_flags(CLONE_NEWUSER); }
static long t_clone_newns(void) { return clone_flags(CLONE_NEWNS); }
static long t_clone_newnet(void) { return clone_flags(CLONE_NEWNET); }
static long t_clone_newpid(void) { return clone_flags(CLONE_NEWPID); }
static long t_clone_newcgroup(void) { return clone_flags(CLONE_NEWCGROUP); }
/* EINVAL for any flags: CLONE_SIGHAND without CLONE_VM */
static long t_clone(void) { return clone_flags(have_num ? opt_num : 0); }
/* EINVAL: size 0 */
static long t_clone3(void) { return syscall(SYS_clone3, NULL, 0); }
/* EFAULT: NULL target */
static long t_mount(void) { return syscall(SYS_mount, NULL, NULL, NULL, 0, NULL); }
/* EINVAL: unknown flag */
static long t_umount2(void) { return syscall(SYS_umount2, "/", BAD_FLAGS); }
/* EFAULT as root, EPERM without CAP_SYS_ADMIN */
static long t_pivot_root(void) { return syscall(SYS_pivot_root, NULL, NULL); }
/* EFAULT */
static long t_chroot(void) { return syscall(SYS_chroot, NULL); }
/* EINVAL: unknown flag */
static long t_open_tree(void) { return syscall(SYS_open_tree, -1, NULL, BAD_FLAGS); }
/* EINVAL as root, EPERM without CAP_SYS_ADMIN */
static long t_move_mount(void) { return syscall(SYS_move_mount, -1, NULL, -1, NULL, BAD_FLAGS); }
static long t_fsopen(void) { return syscall(SYS_fsopen, NULL, BAD_FLAGS); }
/* EINVAL: FSCONFIG_SET_FLAG (0) without a key */
static long t_fsconfig(void) { return syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0); }
/* EINVAL as root, EPERM without CAP_SYS_ADMIN */
static long t_fsmount(void) { return syscall(SYS_fsmount, -1, BAD_FLAGS, 0); }
static long t_fspick(void) { return syscall(SYS_fspick, -1, NULL, BAD_FLAGS); }
/* EINVAL: unknown flag */
static long t_mount_setattr(void) { return syscall(SYS_mount_setattr, -1, NULL, BAD_FLAGS, NULL, 0); }
/* EFAULT as root, EPERM without CAP_DAC_READ_SEARCH */
static long t_open_by_handle_at(void) { return syscall(SYS_open_by_handle_at, -1, NULL, 0); }
/* EFAULT: NULL params */
static long t_io_uring_setup(void) { return syscall(SYS_io_uring_setup, 1, NULL); }
/* EBADF */
static long t_io_uring_enter(void) { return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0); }
static long t_io_uring_register(void) { return syscall(SYS_io_uring_register, -1, 0, NULL, 0); }
/* EINVAL: unknown command */
static long t_bpf(void) { return syscall(SYS_bpf, 0x7fff, NULL, 0); }
/* EINVAL: UFFD_USER_MODE_ONLY passes the sysctl, the other flag is unknown */
static long t_userfaultfd(void) { return syscall(SYS_userfaultfd, 1UL | 0x10000000UL); }
/* EINVAL: unknown flag */
static long t_perf_event_open(void) { return syscall(SYS_perf_event_open, NULL, 0, -1, -1, ~0UL); }
/* EINVAL as root (unknown flag, too many segments), EPERM otherwise */
static long t_kexec_load(void) { return syscall(SYS_kexec_load, 0, 0xffffffffUL, NULL, 0x8000UL); }
static long t_kexec_file_load(void) { return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, BAD_FLAGS); }
/* ENOEXEC as root (empty image), EPERM otherwise */
static long t_init_module(void) { return syscall(SYS_init_module, NULL, 0, NULL); }
/* EINVAL as root (unknown flag), EPERM otherwise */
static long t_finit_module(void) { return syscall(SYS_finit_module, -1, NULL, BAD_FLAGS); }
/* EFAULT as root, EPERM otherwise */
static long t_delete_module(void) { return syscall(SYS_delete_module, NULL, 0); }
/* EFAULT as root (a NULL name would switch accounting off), EPERM otherwise */
static long t_acct(void) { return syscall(SYS_acct, BAD_PTR); }
/* EINVAL: quota type 0xff */
static long t_quotactl(void) { return syscall(SYS_quotactl, 0xff, NULL, 0, NULL); }
static long t_quotactl_fd(void) { return syscall(SYS_quotactl_fd, -1, 0xff, 0, NULL); }
/* EINVAL as root (unknown action), EPERM otherwise */
static long t_syslog(void) { return syscall(SYS_syslog, -1, NULL, 0); }
/* EFAULT, or ENOSYS without CONFIG_USELIB */
static long t_uselib(void) { return syscall(SYS_uselib, NULL); }
/* Succeeds: reads 0 bytes of the LDT (ENOSYS without CONFIG_MODIFY_LDT_SYSCALL) */
static long t_modify_ldt(void) { return syscall(SYS_modify_ldt, 0, NULL, 0); }
/* EINVAL: unknown flag */
static long t_move_pages(void) { return syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, BAD_FLAGS); }
/* ESRCH (no such process) or EINVAL (maxnode too large) */
static long t_migrate_pages(void) { return syscall(SYS_migrate_pages, INT_MAX, ~0UL, NULL, NULL); }
/* Succeeds unfiltered (sets the personality of this short-lived process);
 * default ADDR_NO_RANDOMIZE. */
static long t_personality(void)
{
	return syscall(SYS_personality, have_num ? opt_num : 0x0040000UL) == -1 ? -1 : 0;
}
static long t_personality_query(void)
{
	return syscall(SYS_personality, 0xffffffffUL) == -1 ? -1 : 0;
}
/* PER_LINUX with garbage in the upper half: the kernel reads 32 bits */
static long t_personality_high(void)
{
	return syscall(SYS_personality, 1UL << 32) == -1 ? -1 : 0;
}
/* EBADF: fd -1; the filter sees the request first */
static long t_tiocsti(void) { char c = 'x'; return syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI, &c); }
static long t_tiocsti_high(void)
{
	char c = 'x';

	return syscall(SYS_ioctl, -1, (1UL << 32) | (unsigned long)TIOCSTI, &c);
}
static long t_tioclinux(void) { char c = 0; return syscall(SYS_ioctl, -1, (unsigned long)TIOCLINUX, &c); }
static long t_tiocspgrp(void) { int g = 1; return syscall(SYS_ioctl, -1, (unsigned long)TIOCSPGRP, &g); }
static long t_tiocsctty(void) { return syscall(SYS_ioctl, -1, (unsigned long)TIOCSCTTY, 0); }
static long t_tiocsetd(void) { int d = 0; return syscall(SYS_ioctl, -1, (unsigned long)TIOCSETD, &d); }
/* EBADF for any request; default TIOCGWINSZ */
static long t_ioctl(void)
{
	struct winsize ws;

	return syscall(SYS_ioctl, -1, have_num ? opt_num : (unsigned long)TIOCGWINSZ, &ws);
}
/* EINVAL for every domain: the type has an unknown flag, checked first */
static long socket_domain(unsigned long domain)
{
	return syscall(SYS_socket, domain, SOCK_DGRAM | 0x100, 0);
}
static long t_socket(void) { return socket_domain(have_num ? opt_num : AF_UNIX); }
static long t_socket_packet(void) { return socket_domain(AF_PACKET); }
static long t_socket_unspec(void) { return socket_domain(AF_UNSPEC); }
static long t_socket_unix(void) { return socket_domain(AF_UNIX); }
static long t_socket_inet(void) { return socket_domain(AF_INET); }
static long t_socket_inet6(void) { return socket_domain(AF_INET6); }
static long t_socket_netlink(void) { return socket_domain(AF_NETLINK); }
/* AF_INET with garbage in the upper half: the kernel reads an int */
static long t_socket_high(void) { return socket_domain((1UL << 32) | AF_INET); }
/* ESRCH: no such process */
static long t_ptrace(void) { return syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, INT_MAX, 0, 0); }
/* EINVAL: flags must be 0 */
static long t_process_vm_readv(void) { return syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 1); }
static long t_process_vm_writev(void)
{
	return syscall(SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, 1);
}
/* Set-user-ID bits: ENOENT, EBADF (no such file, no such descriptor)
 * whatever the mode; default mode 04755, NUMBER another one. */
#define MISSING "/nonexistent-sv/x"
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
static unsigned long mode_arg(void) { return have_num ? opt_num : 04755UL; }
static long t_chmod(void) { return syscall(SYS_chmod, MISSING, mode_arg()); }
static long t_fchmod(void) { return syscall(SYS_fchmod, -1, mode_arg()); }
static long t_fchmodat(void) { return syscall(SYS_fchmodat, AT_FDCWD, MISSING, mode_arg()); }
static long t_fchmodat2(void) { return syscall(SYS_fchmodat2, AT_FDCWD, MISSING, mode_arg(), 0); }
static long t_open_creat(void) { return syscall(SYS_open, MISSING, O_CREAT | O_WRONLY, mode_arg()); }
static long t_openat_creat(void)
{
	return syscall(SYS_openat, AT_FDCWD, MISSING, O_CREAT | O_WRONLY, mode_arg());
}
static long t_creat(void) { return syscall(SYS_creat, MISSING, mode_arg()); }
static long t_mknod(void) { return syscall(SYS_mknod, MISSING, S_IFREG | mode_arg(), 0); }
static long t_mknodat(void) { return syscall(SYS_mknodat, AT_FDCWD, MISSING, S_IFREG | mode_arg(), 0); }
/* EFAULT: NULL open_how */
static long t_openat2(void) { return syscall(SYS_openat2, AT_FDCWD, MISSING, NULL, 24); }
static long t_setxattr(void) { return syscall(SYS_setxattr, MISSING, "user.x", "1", 1, 0); }
static long t_lsetxattr(void) { return syscall(SYS_lsetxattr, MISSING, "user.x", "1", 1, 0); }
static long t_fsetxattr(void) { return syscall(SYS_fsetxattr, -1, "user.x", "1", 1, 0); }
/* EINVAL: unknown type flag; the filter looks at the protocol first */
static long t_socket_sockdiag(void)
{
	return syscall(SYS_socket, AF_NETLINK, SOCK_DGRAM | 0x100, 4 /* NETLINK_SOCK_DIAG */);
}
/* System call NUMBER with all arguments 0 (EBADF, EFAULT, EINVAL...). */
static long t_nr(void) { return syscall((long)opt_num, 0, 0, 0, 0, 0, 0); }

/* A plain fork through clone: the child exits 0 at once. */
static long t_fork(void)
{
	long pid = syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0);
	int status;

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -1;
	if (waitpid((pid_t)pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : (errno = ECHILD, -1);
}

#if defined(__x86_64__)
/* getpid through the x32 ABI: ENOSYS when the kernel lacks x32. */
static long t_x32_getpid(void) { return syscall(0x40000000L | SYS_getpid) > 0 ? 0 : -1; }
/* getpid through the i386 ABI (int 0x80, i386 number 20). Where the
 * kernel has no i386 entry, int 0x80 faults: die of SIGSEGV then, even
 * under a sanitizer runtime that would turn the fault into exit status 1. */
static long t_i386_getpid(void)
{
	long ret = 20;

	signal(SIGSEGV, SIG_DFL);
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "cc", "r8", "r9", "r10", "r11");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return 0;
}
#endif

static const struct {
	const char *name;
	long (*fn)(void);
} calls[] = {
	{ "getpid", t_getpid },
	{ "keyctl", t_keyctl },
	{ "add_key", t_add_key },
	{ "request_key", t_request_key },
	{ "unshare", t_unshare },
	{ "setns", t_setns },
	{ "clone", t_clone },
	{ "clone-newuser", t_clone_newuser },
	{ "clone-newns", t_clone_newns },
	{ "clone-newnet", t_clone_newnet },
	{ "clone-newpid", t_clone_newpid },
	{ "clone-newcgroup", t_clone_newcgroup },
	{ "clone3", t_clone3 },
	{ "fork", t_fork },
	{ "mount", t_mount },
	{ "umount2", t_umount2 },
	{ "pivot_root", t_pivot_root },
	{ "chroot", t_chroot },
	{ "open_tree", t_open_tree },
	{ "move_mount", t_move_mount },
	{ "fsopen", t_fsopen },
	{ "fsconfig", t_fsconfig },
	{ "fsmount", t_fsmount },
	{ "fspick", t_fspick },
	{ "mount_setattr", t_mount_setattr },
	{ "open_by_handle_at", t_open_by_handle_at },
	{ "io_uring_setup", t_io_uring_setup },
	{ "io_uring_enter", t_io_uring_enter },
	{ "io_uring_register", t_io_uring_register },
	{ "bpf", t_bpf },
	{ "userfaultfd", t_userfaultfd },
	{ "perf_event_open", t_perf_event_open },
	{ "kexec_load", t_kexec_load },
	{ "kexec_file_load", t_kexec_file_load },
	{ "init_module", t_init_module },
	{ "finit_module", t_finit_module },
	{ "delete_module", t_delete_module },
	{ "acct", t_acct },
	{ "quotactl", t_quotactl },
	{ "quotactl_fd", t_quotactl_fd },
	{ "syslog", t_syslog },
	{ "uselib", t_uselib },
	{ "modify_ldt", t_modify_ldt },
	{ "move_pages", t_move_pages },
	{ "migrate_pages", t_migrate_pages },
	{ "personality", t_personality },
	{ "personality-query", t_personality_query },
	{ "personality-high", t_personality_high },
	{ "tiocsti", t_tiocsti },
	{ "tiocsti-high", t_tiocsti_high },
	{ "tioclinux", t_tioclinux },
	{ "tiocspgrp", t_tiocspgrp },
	{ "tiocsctty", t_tiocsctty },
	{ "tiocsetd", t_tiocsetd },
	{ "ioctl", t_ioctl },
	{ "socket", t_socket },
	{ "socket-packet", t_socket_packet },
	{ "socket-unspec", t_socket_unspec },
	{ "socket-unix", t_socket_unix },
	{ "socket-inet", t_socket_inet },
	{ "socket-inet6", t_socket_inet6 },
	{ "socket-netlink", t_socket_netlink },
	{ "socket-high", t_socket_high },
	{ "chmod", t_chmod },
	{ "fchmod", t_fchmod },
	{ "fchmodat", t_fchmodat },
	{ "fchmodat2", t_fchmodat2 },
	{ "open-creat", t_open_creat },
	{ "openat-creat", t_openat_creat },
	{ "creat", t_creat },
	{ "mknod", t_mknod },
	{ "mknodat", t_mknodat },
	{ "openat2", t_openat2 },
	{ "setxattr", t_setxattr },
	{ "lsetxattr", t_lsetxattr },
	{ "fsetxattr", t_fsetxattr },
	{ "socket-sockdiag", t_socket_sockdiag },
	{ "nr", t_nr },
	{ "ptrace", t_ptrace },
	{ "process_vm_readv", t_process_vm_readv },
	{ "process_vm_writev", t_process_vm_writev },
#if defined(__x86_64__)
	{ "x32-getpid", t_x32_getpid },
	{ "i386-getpid", t_i386_getpid },
#endif
};

static int usage(void)
{
	size_t i;

	fprintf(stderr, "usage: try-syscall NAME [NUMBER]\nnames:");
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		fprintf(stderr, " %s", calls[i].name);
	fputc('\n', stderr);
	return 200;
}

static int parse_num(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *ename;
	size_t i;
	int e;

	if (argc < 2 || argc > 3)
		return usage();
	if (argc == 3) {
		if (parse_num(argv[2], &opt_num) < 0)
			return usage();
		have_num = 1;
	}
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strcmp(calls[i].name, argv[1]) == 0)
			break;
	if (i == sizeof(calls) / sizeof(calls[0]))
		return usage();
	errno = 0;
	e = calls[i].fn() < 0 ? errno : 0;
	if (e < 0 || e > 199)
		e = 199;
	ename = e ? strerrorname_np(e) : "OK";
	printf("%s\n", ename ? ename : "unknown-errno");
	return e;
}
