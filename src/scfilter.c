/* scfilter.c - the seccomp system call filter.
 *
 * What MUST hold:
 *
 *  1. The policy is the table below and nothing else: one loop turns each
 *     row into libseccomp rules; no rule is added anywhere else except the
 *     allowlist's own ALLOW rules and execve in ALLOWLIST mode.
 *  2. Only the native architecture passes. A call through another ABI of
 *     the same kernel (i386 `int 0x80`, x32 on x86_64) kills the process:
 *     the table is written in native numbers and would not match there.
 *  3. Argument tests never rely on libseccomp resolving conflicts between
 *     rules of different actions for one system call: an unconditional rule
 *     silently swallows conditional ones. So a syscall with a kept argument
 *     test gets only conditional ALLOW rules in ALLOWLIST mode (the
 *     complement of the denied set), never an unconditional one.
 *  4. ioctl requests are compared on their low 32 bits only, as the kernel
 *     does (CVE-2019-10063: TIOCSTI with the upper bits set got through).
 *  5. Any failure (unknown row, libseccomp error, oversized program) is an
 *     error for the caller: no filter is ever silently weaker than the
 *     table says.
 */
#include "scfilter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sched.h>
#ifndef SV_LEAN
#include <dlfcn.h>
#include <seccomp.h>
#endif
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/netlink.h>
#include <unistd.h>

#include "fsutil.h"
#include "init.h"
#include "lean.h"
#include "util.h"

/* clone's flags argument: the second one on s390 and CRIS, the first elsewhere. */
#if defined(__s390__) || defined(__s390x__) || defined(__CRIS__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

/* CLONE_NEWTIME (0x80) is left out: for clone() that bit belongs to the
 * exit signal and the kernel accepts CLONE_NEWTIME only from clone3 and
 * unshare, both denied whole. */
#define CLONE_NEW_FLAGS \
	((uint64_t)(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
		    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET))

#define PER_QUERY 0xffffffffULL	/* personality(0xffffffff) reads, never sets */

/* S_ISUID | S_ISGID in the mode argument. */
#define SUID_BITS ((uint64_t)(S_ISUID | S_ISGID))
#define SUID(sys, a, why) \
	{ .name = (sys), .action_errno = EPERM, .test = SCFILTER_TEST_ANY_BIT, .arg = (a), \
	  .mask = SUID_BITS, .flags = SCFILTER_KEEP, .reason = (why) }

#define DENY(sys, e, why) \
	{ .name = (sys), .action_errno = (e), .reason = (why) }
#define ALLOW(sys, why) \
	{ .name = (sys), .action_errno = 0, .reason = (why) }

static const struct scfilter_rule rules[] = {
	/* Kernel keys */
	DENY("keyctl", EPERM, "the kernel keyring is not namespaced: host user's keys are reachable"),
	DENY("add_key", EPERM, "the kernel keyring is not namespaced"),
	DENY("request_key", EPERM, "the kernel keyring is not namespaced; can also run a host upcall"),

	/* Namespaces */
	DENY("unshare", EPERM, "new namespaces: user namespaces open a large kernel attack surface"),
	DENY("setns", EPERM, "joining other namespaces"),
	{ .name = "clone", .action_errno = EPERM, .test = SCFILTER_TEST_ANY_BIT,
	  .arg = CLONE_FLAGS_ARG, .mask = CLONE_NEW_FLAGS, .flags = SCFILTER_KEEP,
	  .reason = "clone with a CLONE_NEW* flag creates namespaces, as unshare does" },
	{ .name = "clone3", .action_errno = ENOSYS, .flags = SCFILTER_KEEP,
	  .reason = "flags are in memory where the filter cannot see them; ENOSYS makes libc fall back to clone" },

	/* Mounts: the sandbox's file system layout is fixed by bwrap */
	DENY("mount", EPERM, "changes the mount layout"),
	DENY("umount2", EPERM, "could uncover what bwrap mounted over"),
	DENY("pivot_root", EPERM, "changes the root of the mount namespace"),
	DENY("chroot", EPERM, "changes the root directory"),
	DENY("open_tree", EPERM, "new mount API: detached mount trees"),
	DENY("move_mount", EPERM, "new mount API"),
	DENY("fsopen", EPERM, "new mount API"),
	DENY("fsconfig", EPERM, "new mount API"),
	DENY("fsmount", EPERM, "new mount API"),
	DENY("fspick", EPERM, "new mount API"),
	DENY("mount_setattr", EPERM, "new mount API: can drop read-only or nosuid"),
	DENY("open_by_handle_at", EPERM, "file handles bypass the mount layout (the 'shocker' container escape)"),

	/* Kernel attack surface no Python program needs */
	DENY("io_uring_setup", EPERM,
	     "io_uring: large attack surface; its operations bypass the filter"),
	DENY("io_uring_enter", EPERM, "io_uring"),
	DENY("io_uring_register", EPERM, "io_uring"),
	DENY("bpf", EPERM, "eBPF programs: kernel attack surface"),
	DENY("userfaultfd", EPERM, "used to stretch kernel race windows in exploits"),
	DENY("perf_event_open", EPERM, "kernel attack surface, side channels"),
	DENY("kexec_load", EPERM, "replaces the running kernel"),
	DENY("kexec_file_load", EPERM, "replaces the running kernel"),
	DENY("init_module", EPERM, "loads kernel code"),
	DENY("finit_module", EPERM, "loads kernel code"),
	DENY("delete_module", EPERM, "unloads kernel code"),
	DENY("acct", EPERM, "switches process accounting"),
	DENY("quotactl", EPERM, "disk quotas of host file systems"),
	DENY("quotactl_fd", EPERM, "disk quotas of host file systems"),
	DENY("syslog", EPERM, "reads the kernel log (addresses, host activity)"),
	DENY("uselib", EPERM, "obsolete a.out loader"),
	DENY("modify_ldt", EPERM, "16-bit segments: a history of kernel bugs, no use in a Python program"),
	DENY("move_pages", EPERM, "moves other processes' pages between NUMA nodes"),
	DENY("migrate_pages", EPERM, "moves other processes' pages between NUMA nodes"),
	{ .name = "personality", .action_errno = EPERM, .test = SCFILTER_TEST_NOT_IN,
	  .arg = 0, .values = { 0, PER_QUERY }, .nvalues = 2,
	  .reason = "only PER_LINUX and the query; others can disable ASLR (ADDR_NO_RANDOMIZE)" },

	/* Terminal */
	{ .name = "ioctl", .action_errno = EPERM, .test = SCFILTER_TEST_LOW32_IN,
	  .arg = 1, .values = { TIOCSTI, TIOCLINUX, TIOCSETD }, .nvalues = 3,
	  .flags = SCFILTER_KEEP,
	  .reason = "TIOCSTI/TIOCLINUX inject terminal input (CVE-2017-5226), even if the "
		    "terminal inside is the sandbox's own (pty.h); TIOCSETD attaches a line "
		    "discipline, kernel code few programs need; low 32 bits compared "
		    "(CVE-2019-10063)" },

	/* Set-user-ID, set-group-ID and file capabilities (DESIGN MUST 11). A
	 * file the sandbox marks in the project keeps the mark on the host,
	 * which does not mount it nosuid: a caller running as root would hand
	 * every local user a root shell, any other caller its own identity.
	 * The mode bits are refused wherever a mode is given; the extended
	 * attribute calls are refused whole, because their name (which could
	 * be "security.capability") is in memory, out of the filter's sight. */
	SUID("chmod", 1, "a mode with S_ISUID or S_ISGID"),
	SUID("fchmod", 1, "a mode with S_ISUID or S_ISGID"),
	SUID("fchmodat", 2, "a mode with S_ISUID or S_ISGID"),
	SUID("fchmodat2", 2, "a mode with S_ISUID or S_ISGID"),
	SUID("open", 2, "creating a file with S_ISUID or S_ISGID"),
	SUID("openat", 3, "creating a file with S_ISUID or S_ISGID"),
	SUID("creat", 1, "creating a file with S_ISUID or S_ISGID"),
	SUID("mknod", 1, "creating a file with S_ISUID or S_ISGID"),
	SUID("mknodat", 2, "creating a file with S_ISUID or S_ISGID"),
	{ .name = "openat2", .action_errno = ENOSYS, .flags = SCFILTER_KEEP,
	  .reason = "its mode is in memory where the filter cannot see S_ISUID; ENOSYS makes libc use openat" },
	{ .name = "setxattr", .action_errno = EOPNOTSUPP, .flags = SCFILTER_KEEP,
	  .reason = "security.capability gives a file capabilities on the host; "
		    "EOPNOTSUPP reads as a file system without attributes (cp -a, shutil go on)" },
	{ .name = "lsetxattr", .action_errno = EOPNOTSUPP, .flags = SCFILTER_KEEP,
	  .reason = "as setxattr" },
	{ .name = "fsetxattr", .action_errno = EOPNOTSUPP, .flags = SCFILTER_KEEP,
	  .reason = "as setxattr" },

	/* Network */
	{ .name = "socket", .action_errno = EAFNOSUPPORT, .test = SCFILTER_TEST_NOT_IN,
	  .arg = 0, .values = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK }, .nvalues = 4,
	  .reason = "only unix, IPv4, IPv6, netlink; packet, bluetooth, vsock... are attack surface" },
	{ .name = "socket", .action_errno = EAFNOSUPPORT, .test = SCFILTER_TEST_LOW32_IN,
	  .arg = 2, .values = { NETLINK_SOCK_DIAG }, .nvalues = 1,
	  .reason = "NETLINK_SOCK_DIAG lists the host's sockets when the network is shared; "
		    "protocol 4 of the IP families is raw IP-in-IP, which needs privilege anyway" },

	/* Debugging: allowed on purpose */
	ALLOW("ptrace", "reaches only the sandbox's own processes (pid namespace, no "
	      "capabilities); gdb and py-spy need it"),
	ALLOW("process_vm_readv", "same reach as ptrace; used by py-spy"),
	ALLOW("process_vm_writev", "same reach as ptrace"),
};

size_t scfilter_rules(const struct scfilter_rule **rows)
{
	*rows = rules;
	return ARRAY_SIZE(rules);
}

/* ---- parsing SANDBOX_SECCOMP_ALLOW ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static int parse_name(const char *s, size_t len, struct scfilter_policy *p,
		      struct strbuf *err)
{
	cleanup_free char *name = NULL;
	size_t i;

	if (len > SCFILTER_NAME_MAX) {
		strbuf_addf(err, "system call name longer than %d bytes in SANDBOX_SECCOMP_ALLOW",
			    SCFILTER_NAME_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (is_name_char(s[i]))
			continue;
		if (is_printable(s, len))
			strbuf_addf(err, "invalid system call name '%.*s' in SANDBOX_SECCOMP_ALLOW",
				    (int)len, s);
		else
			strbuf_addstr(err, "invalid system call name in SANDBOX_SECCOMP_ALLOW");
		return -1;
	}
	name = xstrndup(s, len);
#ifdef SV_LEAN
	lean_hand_over("SANDBOX_SECCOMP_ALLOW names system calls, which libseccomp knows");
#else
	if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR) {
		strbuf_addf(err, "unknown system call '%s' in SANDBOX_SECCOMP_ALLOW", name);
		return -1;
	}
#endif
	if (strvec_find(&p->allow, name) >= 0)
		return 0;
	if (p->allow.nr >= SCFILTER_NAMES_MAX) {
		strbuf_addf(err, "more than %d system calls in SANDBOX_SECCOMP_ALLOW",
			    SCFILTER_NAMES_MAX);
		return -1;
	}
	strvec_push_nodup(&p->allow, steal_pointer(&name));
	return 0;
}

int scfilter_parse(const char *value, struct scfilter_policy *p, struct strbuf *err)
{
	const char *s;

	p->mode = SCFILTER_DEFAULT;
	strvec_init(&p->allow);
	if (!value)
		return 0;
	if (strlen(value) > SCFILTER_VALUE_MAX) {
		strbuf_addf(err, "SANDBOX_SECCOMP_ALLOW is longer than %d bytes",
			    SCFILTER_VALUE_MAX);
		return -1;
	}
	for (s = value; *s;) {
		size_t len = 0;

		while (is_space(*s))
			s++;
		while (s[len] && !is_space(s[len]))
			len++;
		if (!len)
			break;
		if (parse_name(s, len, p, err) < 0) {
			scfilter_policy_release(p);
			return -1;
		}
		s += len;
	}
	p->mode = p->allow.nr ? SCFILTER_ALLOWLIST : SCFILTER_OFF;
	return 0;
}

void scfilter_policy_release(struct scfilter_policy *p)
{
	strvec_clear(&p->allow);
	p->mode = SCFILTER_DEFAULT;
}

/* ---- building the filter ---- */

#ifdef SV_LEAN
static int build_prog(const struct scfilter_policy *p, struct strbuf *prog, struct strbuf *err)
{
	(void)p, (void)prog, (void)err;
	lean_hand_over("no system call filter is kept in the venv's state for this build, "
		       "kernel and libseccomp: libseccomp makes it");
}
#else
static void cleanup_seccompp(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}
#define cleanup_seccomp __attribute__((cleanup(cleanup_seccompp)))

/* The state of one build: where rules go and where errors are reported. */
struct build {
	scmp_filter_ctx ctx;
	const struct scfilter_rule *row;	/* for messages */
	int nr;					/* native number of row->name */
	struct strbuf *err;
};

/* Add one libseccomp rule for the current row, with at most one condition. */
static int emit(struct build *b, uint32_t action, const struct scmp_arg_cmp *cmp)
{
	int r;

	if (cmp)
		r = seccomp_rule_add_exact(b->ctx, action, b->nr, 1, *cmp);
	else
		r = seccomp_rule_add_exact(b->ctx, action, b->nr, 0);
	if (r < 0) {
		strbuf_addf(b->err, "cannot add seccomp rule for '%s': %s",
			    b->row->name, strerror(-r));
		return -1;
	}
	return 0;
}

static int emit_cmp(struct build *b, uint32_t action, enum scmp_compare op,
		    uint64_t a, uint64_t v)
{
	struct scmp_arg_cmp cmp = { b->row->arg, op, a, v };

	return emit(b, action, &cmp);
}

/* Rules matching arg in [lo, hi], hi <= width (2^k - 1): the range is cut
 * into aligned power-of-two blocks, each one masked comparison on the bits
 * of width above the block. At most two blocks per bit of width. */
static int emit_range(struct build *b, uint32_t action, uint64_t lo, uint64_t hi,
		      uint64_t width)
{
	for (;;) {
		uint64_t span = 0;	/* block is [lo, lo + span] */

		while (span != width) {
			uint64_t next = span * 2 + 1;

			if ((lo & next) || next > hi - lo)
				break;
			span = next;
		}
		if (emit_cmp(b, action, SCMP_CMP_MASKED_EQ, width & ~span, lo) < 0)
			return -1;
		if (span == hi - lo)
			return 0;
		lo += span + 1;
	}
}

/* Rules matching arg (masked to width) outside values[]; the range above the
 * last value is one SCMP_CMP_GT when width is the whole register. */
static int emit_gaps(struct build *b, uint32_t action, uint64_t width)
{
	const struct scfilter_rule *r = b->row;
	uint64_t lo = 0;
	unsigned int i;

	for (i = 0; i < r->nvalues; i++) {
		if (r->values[i] > lo && emit_range(b, action, lo, r->values[i] - 1, width) < 0)
			return -1;
		lo = r->values[i] + 1;
	}
	if (r->values[r->nvalues - 1] == width)
		return 0;
	if (width == UINT64_MAX)
		return emit_cmp(b, action, SCMP_CMP_GT, r->values[r->nvalues - 1], 0);
	return emit_range(b, action, lo, width, width);
}

/* Rules for the calls the row's test selects. */
static int emit_selected(struct build *b, uint32_t action)
{
	const struct scfilter_rule *r = b->row;
	unsigned int i;

	switch (r->test) {
	case SCFILTER_TEST_NONE:
		return emit(b, action, NULL);
	case SCFILTER_TEST_ANY_BIT:
		for (i = 0; i < 64; i++) {
			uint64_t bit = (uint64_t)1 << i;

			if ((r->mask & bit) &&
			    emit_cmp(b, action, SCMP_CMP_MASKED_EQ, bit, bit) < 0)
				return -1;
		}
		return 0;
	case SCFILTER_TEST_LOW32_IN:
		for (i = 0; i < r->nvalues; i++)
			if (emit_cmp(b, action, SCMP_CMP_MASKED_EQ, 0xffffffffULL,
				     r->values[i]) < 0)
				return -1;
		return 0;
	case SCFILTER_TEST_NOT_IN:
		return emit_gaps(b, action, UINT64_MAX);
	}
	return -1;
}

/* Rules for the calls the row's test does not select (its complement). */
static int emit_unselected(struct build *b, uint32_t action)
{
	const struct scfilter_rule *r = b->row;
	unsigned int i;

	switch (r->test) {
	case SCFILTER_TEST_NONE:
		return 0;
	case SCFILTER_TEST_ANY_BIT:
		return emit_cmp(b, action, SCMP_CMP_MASKED_EQ, r->mask, 0);
	case SCFILTER_TEST_LOW32_IN:
		return emit_gaps(b, action, 0xffffffffULL);
	case SCFILTER_TEST_NOT_IN:
		for (i = 0; i < r->nvalues; i++)
			if (emit_cmp(b, action, SCMP_CMP_EQ, r->values[i], 0) < 0)
				return -1;
		return 0;
	}
	return -1;
}

static bool row_is_valid(const struct scfilter_rule *r)
{
	unsigned int i;

	if (!r->name || !r->reason || r->action_errno < 0 || r->action_errno > 4095 ||
	    r->arg > 5 || r->nvalues > SCFILTER_VALUES_MAX)
		return false;
	switch (r->test) {
	case SCFILTER_TEST_NONE:
		return true;
	case SCFILTER_TEST_ANY_BIT:
		return r->mask != 0;
	case SCFILTER_TEST_LOW32_IN:
	case SCFILTER_TEST_NOT_IN:
		if (!r->nvalues)
			return false;
		for (i = 0; i < r->nvalues; i++) {
			if (i && r->values[i] <= r->values[i - 1])
				return false;
			if (r->test == SCFILTER_TEST_LOW32_IN && r->values[i] > 0xffffffffULL)
				return false;
		}
		return true;
	}
	return false;
}

/* Allowed in ALLOWLIST mode whatever the list says: what bwrap's last
 * step, our init (pid 1) and the dynamic loader need to start the program
 * at all (open: musl's open(), which an init built with musl makes). The
 * list governs the program from there on. */
static const char *const startup_calls[] = {
	"execve", "brk", "mmap", "munmap", "mprotect", "open", "openat", "read", "pread64",
	"close", "fstat", "newfstatat", "access", "arch_prctl", "set_tid_address",
	"set_robust_list", "rseq", "prlimit64", "getrandom", "rt_sigaction",
	"rt_sigprocmask", "rt_sigtimedwait", "rt_sigreturn", "clone", "vfork", "wait4", "kill",
	"getpid", "exit", "exit_group", "close_range", "fcntl", "signalfd4", "poll",
	"ppoll", "getdents64", "prctl", "setpgid", "getpgid",
	/* The init's path domain (landlock.h): the host's half on the
	 * channel, checked by its name in /proc/self/fd. */
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
	"recvmsg", "readlinkat",
};

static bool is_startup_call(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(startup_calls); i++)
		if (strcmp(startup_calls[i], name) == 0)
			return true;
	return false;
}

static bool is_listed(const struct scfilter_policy *p, const char *name)
{
	return p->mode == SCFILTER_ALLOWLIST &&
	       (strvec_find(&p->allow, name) >= 0 || is_startup_call(name));
}

/* The one loop over the table. */
static int apply_rows(struct build *b, const struct scfilter_policy *p)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct scfilter_rule *r = &rules[i];
		uint32_t deny = SCMP_ACT_ERRNO((uint32_t)r->action_errno);

		b->row = r;
		if (!row_is_valid(r)) {
			strbuf_addf(b->err, "invalid seccomp table row for '%s'",
				    r->name ? r->name : "(null)");
			return -1;
		}
		b->nr = seccomp_syscall_resolve_name(r->name);
		if (b->nr == __NR_SCMP_ERROR || b->nr < 0)
			continue;	/* unknown to libseccomp, or not a native call */
		if (!r->action_errno)
			continue;	/* allowed on purpose */
		if (p->mode == SCFILTER_DEFAULT) {
			if (emit_selected(b, deny) < 0)
				return -1;
			continue;
		}
		if (!(r->flags & SCFILTER_KEEP))
			continue;
		/* ALLOWLIST: the default action is EPERM already. */
		if (r->action_errno != EPERM && emit_selected(b, deny) < 0)
			return -1;
		if (is_listed(p, r->name) && emit_unselected(b, SCMP_ACT_ALLOW) < 0)
			return -1;
	}
	return 0;
}

static bool has_kept_row(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rules); i++)
		if ((rules[i].flags & SCFILTER_KEEP) && strcmp(rules[i].name, name) == 0)
			return true;
	return false;
}

static int apply_allowlist(struct build *b, const struct scfilter_policy *p)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(startup_calls); i++) {
		struct scfilter_rule row = {
			.name = startup_calls[i],
			.reason = "starting the program: bwrap, the init, the dynamic loader",
		};

		if (has_kept_row(row.name))
			continue;	/* apply_rows() decides (clone's namespace test) */
		b->row = &row;
		b->nr = seccomp_syscall_resolve_name(row.name);
		if (b->nr < 0)
			continue;	/* not a system call of this architecture */
		if (emit(b, SCMP_ACT_ALLOW, NULL) < 0)
			return -1;
	}
	for (i = 0; i < p->allow.nr; i++) {
		struct scfilter_rule row = { .name = p->allow.v[i], .reason = "listed" };

		if (has_kept_row(row.name) || is_startup_call(row.name))
			continue;	/* apply_rows() or the startup list decides */
		b->row = &row;
		b->nr = seccomp_syscall_resolve_name(row.name);
		if (b->nr == __NR_SCMP_ERROR) {
			strbuf_addf(b->err, "unknown system call '%s' in SANDBOX_SECCOMP_ALLOW",
				    row.name);
			return -1;
		}
		if (b->nr < 0)
			continue;	/* not a system call of this architecture */
		if (emit(b, SCMP_ACT_ALLOW, NULL) < 0)
			return -1;
	}
	return 0;
}

/*
 * System calls newer than this table answer ENOSYS, so that libc falls
 * back and a call that arrived after the table was written (setxattrat,
 * open_tree_attr, ...) cannot walk past a row that denies its older twin.
 * Syscall numbers are shared by every architecture since 424
 * (pidfd_send_signal), so one number marks the end for all of them. The
 * check runs first, as a prefix of the program libseccomp exports:
 *
 *   if (arch == native && nr >= FIRST_UNREVIEWED && nr < X32_BIT)
 *           return ERRNO(ENOSYS);
 *   ... libseccomp's program (which kills another architecture, and x32)
 */
#define X32_SYSCALL_BIT 0x40000000u

static void add_newer_prefix(struct strbuf *prog)
{
	const struct sock_filter prefix[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SCFILTER_FIRST_UNREVIEWED, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
	};

	strbuf_add(prog, prefix, sizeof(prefix));
}

/* Export the filter as BPF, after the prefix, into prog. */
static int export_prog(scmp_filter_ctx ctx, struct strbuf *prog, struct strbuf *err)
{
	const size_t max = BPF_MAXINSNS * sizeof(struct sock_filter);
	cleanup_strbuf struct strbuf bpf = STRBUF_INIT;
	cleanup_fd int tmp = memfd_create("sandbox-venv-bpf", MFD_CLOEXEC);
	int r;

	if (tmp < 0) {
		strbuf_addf(err, "cannot create memory file 'sandbox-venv-bpf': %s",
			    strerror(errno));
		return -1;
	}
	r = seccomp_export_bpf(ctx, tmp);
	if (r < 0) {
		strbuf_addf(err, "cannot export seccomp filter: %s", strerror(-r));
		return -1;
	}
	if (lseek(tmp, 0, SEEK_SET) < 0) {
		strbuf_addf(err, "cannot rewind 'sandbox-venv-bpf': %s", strerror(errno));
		return -1;
	}
	if (fs_read_fd(tmp, max, &bpf, "sandbox-venv-bpf", err) < 0)
		return -1;
	if (bpf.len == 0 || bpf.len % sizeof(struct sock_filter)) {
		strbuf_addf(err, "cannot export seccomp filter: %zu bytes is not a BPF program",
			    bpf.len);
		return -1;
	}
	add_newer_prefix(prog);
	strbuf_add(prog, bpf.buf, bpf.len);
	if (prog->len > max) {
		strbuf_addf(err, "cannot export seccomp filter: %zu instructions, more than %d",
			    prog->len / sizeof(struct sock_filter), BPF_MAXINSNS);
		return -1;
	}
	return 0;
}

/* The BPF program for a policy with a filter (not OFF), into prog. */
static int build_prog(const struct scfilter_policy *p, struct strbuf *prog, struct strbuf *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	struct build b = { .err = err };
	uint32_t def;
	int r;

	switch (p->mode) {
	case SCFILTER_DEFAULT:
		def = SCMP_ACT_ALLOW;
		break;
	case SCFILTER_ALLOWLIST:
		def = SCMP_ACT_ERRNO(EPERM);
		break;
	case SCFILTER_OFF:
	default:
		strbuf_addstr(err, "invalid seccomp mode");
		return -1;
	}
	/* seccomp_init() accepts the native architecture only. */
	ctx = seccomp_init(def);
	if (!ctx) {
		strbuf_addstr(err, "cannot initialise seccomp filter");
		return -1;
	}
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0) {
		strbuf_addf(err, "cannot set seccomp bad-architecture action: %s", strerror(-r));
		return -1;
	}
	/* A binary tree of the system call numbers: installing a filter, the
	 * kernel runs it once per number to cache what it always allows, and
	 * through a chain of some 150 tests that cost bwrap 0.25 to 0.27 ms
	 * more than no filter, against 0.15 to 0.19 ms through the tree
	 * (bench/RESULTS.md). Older libseccomp: a chain. */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
#endif
	b.ctx = ctx;
	if (apply_rows(&b, p) < 0)
		return -1;
	if (p->mode == SCFILTER_ALLOWLIST && apply_allowlist(&b, p) < 0)
		return -1;
	return export_prog(ctx, prog, err);
}
#endif

int scfilter_build_fd(const struct scfilter_policy *p, int *fd_out, struct strbuf *err)
{
	return scfilter_build_fd_cached(p, -1, NULL, NULL, fd_out, err);
}

/* What a kept filter was built for: the policy, by this build's table
 * (the checksum of its sources), with the libseccomp library file as it
 * is now, for this kernel. Any change and the filter is built again. The
 * lean build (lean.h), which has no libseccomp, takes the library's path
 * and version from the kept filter's own line, text, and checks that the
 * file is the same. */
static void lib_line(const char *version, const char *path, struct strbuf *key)
{
	struct stat st;

	if (!path || path[0] != '/' || strpbrk(path, " \t\n") || stat(path, &st) < 0) {
		memset(&st, 0, sizeof(st));
		path = "-";
	}
	strbuf_addf(key, "libseccomp %s %s %ju %ju %jd %jd.%09ld\n", version, path,
		    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
		    (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static int cache_key(const struct scfilter_policy *p, const struct strbuf *text,
		     struct strbuf *key)
{
	struct utsname u;
	size_t i;

	strbuf_addstr(key, "sandbox-venv seccomp filter\nbuild " SV_BUILD_ID "\n");
#ifdef SV_LEAN
	{
		cleanup_free char *version = NULL, *path = NULL;
		const char *line = text->len > key->len && !memcmp(text->buf, key->buf, key->len) ?
				   text->buf + key->len : "";
		int end = 0;

		if (sscanf(line, "libseccomp %ms %ms %*u %*u %*d %*d.%*d%n", &version, &path,
			   &end) < 2 || !end || line[end] != '\n' || !strcmp(path, "-"))
			return -1;
		lib_line(version, path, key);
	}
#else
	{
		const struct scmp_version *lib = seccomp_version();
		cleanup_free char *version = lib ? xasprintf("%u.%u.%u", lib->major, lib->minor,
							     lib->micro) : xstrdup("-");
		Dl_info where;

		(void)text;
		lib_line(version, dladdr((void *)seccomp_version, &where) ? where.dli_fname : NULL,
			 key);
	}
#endif
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	strbuf_addf(key, "kernel %s %s %s\nmode %d", u.release, u.version, u.machine,
		    (int)p->mode);
	for (i = 0; i < p->allow.nr; i++)
		strbuf_addf(key, " %s", p->allow.v[i]);
	strbuf_addch(key, '\n');
	return 0;
}

/* The program kept in dirfd/name for this policy, under its seal (one a
 * sandbox wrote, or a file cut short by a crash, is not a filter), into
 * prog, and its key (cache_key) in key; or -1. */
static int cache_read(int dirfd, const char *name, const struct seal_key *seal,
		      const struct scfilter_policy *p, struct strbuf *key, struct strbuf *prog)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	const size_t max = BPF_MAXINSNS * sizeof(struct sock_filter);
	const char *body;
	size_t len;
	int used = 0;

	if (fs_read_file_at(dirfd, name, SCFILTER_VALUE_MAX + 4096 + max + SEAL_TRAILER_LEN,
			    &text, &ignored) < 0 ||
	    seal_check(seal, name, &text) < 0 || cache_key(p, &text, key) < 0 ||
	    text.len <= key->len || memcmp(text.buf, key->buf, key->len) ||
	    sscanf(text.buf + key->len, "bpf %zu%n", &len, &used) != 1 ||
	    used <= 0 || text.buf[key->len + (size_t)used] != '\n')
		return -1;
	/* Not "\n" in the format: it would eat the program's first bytes
	 * when they look like white space (BPF_LD | BPF_W | BPF_ABS is ' '). */
	body = text.buf + key->len + (size_t)used + 1;
	if (len == 0 || len > max || len % sizeof(struct sock_filter) ||
	    (size_t)(text.buf + text.len - body) != len)
		return -1;
	strbuf_add(prog, body, len);
	return 0;
}

#ifndef SV_LEAN
/* Keep prog for the next launch; a directory we cannot write is no
 * error (a venv of another user's): the filter is built each time. */
static void cache_write(int dirfd, const char *name, const struct seal_key *seal,
			const struct strbuf *key, const struct strbuf *prog)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

	strbuf_add(&text, key->buf, key->len);
	strbuf_addf(&text, "bpf %zu\n", prog->len);
	strbuf_add(&text, prog->buf, prog->len);
	seal_add(seal, name, &text);
	fs_replace_at(dirfd, name, text.buf, text.len, 0644, 0, &ignored);
}
#endif

int scfilter_build_fd_cached(const struct scfilter_policy *p, int dirfd, const char *name,
			     const struct seal_key *seal, int *fd_out, struct strbuf *err)
{
	cleanup_strbuf struct strbuf key = STRBUF_INIT;
	cleanup_strbuf struct strbuf prog = STRBUF_INIT;
	bool cached = dirfd >= 0 && name && seal;
	int fd;

	*fd_out = -1;
	if (p->mode == SCFILTER_OFF)
		return 0;
	if (!cached || cache_read(dirfd, name, seal, p, &key, &prog) < 0) {
		strbuf_reset(&prog);
		if (build_prog(p, &prog, err) < 0)
			return -1;
#ifndef SV_LEAN
		if (cached) {
			strbuf_reset(&key);
			cache_key(p, NULL, &key);
			cache_write(dirfd, name, seal, &key, &prog);
		}
#endif
	}
	fd = fs_memfd_data("sandbox-venv-seccomp", prog.buf, prog.len, err);
	if (fd < 0)
		return -1;
	*fd_out = fd;
	return 0;
}
