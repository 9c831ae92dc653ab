/* run.c - execute bwrap for a finished plan, and stay to pass signals on.
 *
 * One launch, as processes:
 *
 *   shell -- launcher (the gate's pid) -- bwrap -- init (pid 1) -- program
 *                                '------- Landlock scope domain -------'
 *
 * The launcher forks; the child enters the Landlock scope domain and execs
 * bwrap. bwrap runs, as the sandbox's pid 1 (--as-pid-1), the init (init.h)
 * from an fd the launcher holds (run_open_init), through /proc/self/fd:
 * the sandbox's /proc is mounted after the user's options (plan.c), which
 * may not mount at or in /proc (bwrapopts.c), so nothing the sandbox wrote
 * can lie there. It is bound read-only at INIT_PATH only for a name inside
 * that runs it (the links' helper: RUN_INIT_SHOWN), which gives a sandbox
 * nothing it has not got when a mount of the user's puts its own file
 * there. pid 1 runs from the descriptor all the same. bwrap reports the
 * init's host pid on --info-fd, so the launcher can pass signals to it.
 *
 * What MUST hold:
 *  1. bwrap is executed from BWRAP_PATH, never through PATH, with no
 *     environment and nothing on its command line but the init's and the
 *     program's; its options, the plan's environment first (--clearenv,
 *     --setenv), come on a stream socket whose other end never leaves the
 *     launcher, which bwrap reads to its end before it does anything. It
 *     may be started before they are known (run_start), and then waits.
 *  2. Descriptors (DESIGN MUST 9): bwrap inherits the descriptors its
 *     arguments name, and 0, 1, 2; started before the plan, it inherits
 *     those the plan could name (launch.c: what is open by then, the kept
 *     views among them), and is started again, with exactly the named
 *     ones, when the plan names another. Every other descriptor of the
 *     launcher, the caller's included, is close-on-exec (launch.c marks
 *     them all first); only the child that execs bwrap lets the listed
 *     ones through. The init closes whatever still reaches it (init.c)
 *     before it reads anything else.
 *  3. The launcher is not in the Landlock domain: only the child that
 *     execs bwrap enters it. Where the kernel has scopes, no process of
 *     the sandbox can signal the launcher (kill(0, ...) reaches the whole
 *     process group, launcher included, without that), so the work it does
 *     on the host after the run cannot be stopped from inside (DESIGN
 *     MUST 10; launch.c records that work beforehand, for a kernel without
 *     scopes or a launcher killed from outside). A kernel without scopes
 *     is said under VERBOSE, never an error; one with scopes that refuses
 *     them stops the launch.
 *  4. The sandbox cannot outlive the launcher: a channel, a socket pair
 *     whose other end only the init holds. The init reads it before the
 *     program starts and watches it after; when it closes (the launcher
 *     died, at any moment), the init exits, which ends every process of
 *     the sandbox, and bwrap with them. Not --die-with-parent: bwrap 0.8
 *     arms it in its own process only after it has made its child, and
 *     before it lets that child go on; a launcher killed in between has
 *     bwrap killed there, and leaves its child waiting forever. bwrap
 *     inherits the read end of its report (--info-fd) too, so that it
 *     cannot die of SIGPIPE at that same step.
 *  5. The sandbox is a session of its own (--new-session), away from the
 *     caller's terminal: where that is on 0, 1 or 2, the sandbox has a
 *     pseudo-terminal of its own there, which the launcher relays (pty.h).
 *     The launcher and bwrap stay in the caller's process group; bwrap
 *     ignores the forwarded signals (init.h), so Ctrl-C does not kill it
 *     and leave the program behind; the init gives the program the
 *     dispositions the launcher's caller set. TIOCSTI, TIOCLINUX and
 *     TIOCSETD stay refused by the filter besides.
 *  6. A forwarded signal that reaches the launcher is passed to the init:
 *     one sent by a process (kill -TERM on the gate's pid) to the program,
 *     one from the caller's terminal (SI_KERNEL: Ctrl-C when the launch has
 *     no terminal of its own to read, a hang-up) to its process group, as
 *     the terminal would have.
 *  7. Job control: when the program stops (Ctrl-Z on its terminal, or
 *     SIGTSTP passed on), the init stops the whole sandbox and says so on
 *     the channel; the launcher gives the caller's terminal its settings
 *     back, makes the project's mount and every mount below it read-only
 *     inside the sandbox (a process there can have the kernel continue
 *     it: signals cannot keep it stopped; the mount found without
 *     following links, and checked to be the project; when that cannot
 *     be done, a file open for writing there, the sandbox goes on
 *     instead), does the host-side work of a run's end (the shell's
 *     prompt, and git with it, comes back now: spec->on_stop) and stops
 *     itself, by the same signal, so the shell sees its job stop; when
 *     continued (fg, bg), it makes writable again the mounts that were,
 *     looks again whether it has the terminal's foreground and has the
 *     init continue the sandbox.
 *  8. The status is the program's own, 128+N for a death by signal N. It
 *     goes back to the driver (which has work to do on the host after the
 *     sandbox: launch.c), with the signal mask and dispositions as they
 *     were and no forwarded signal left pending.
 *  9. The init runs from an fd (/proc/self/fd/N, in the sandbox's own /proc,
 *     mounted after the user's options, which may mount nothing at or in
 *     /proc: bwrapopts.h), so no path can be swapped in between; it runs
 *     under the same seccomp filter and Landlock domain as the
 *     program. It is sandbox-venv-init (run_open_init) only where no one
 *     but root and the launcher's owner can have put or changed it: the
 *     launcher's own directory (the one holding this very binary), each
 *     directory on the way from there, none a symlink, each owned by one
 *     of them and writable by no one else unless sticky; the file regular,
 *     theirs, writable by no one else, not set-id; and none of it where a
 *     sandbox writes (reach.h). Else it is the running binary itself. An
 *     init of another build refuses to start (init.h, build=).
 * 10. One event loop (evloop.h) waits for everything: signals and bwrap's
 *     end through one signalfd, the network proxy's listeners and
 *     connections (proxy.h), whose end is the sandbox's, and the sources
 *     of the services that run beside the sandbox (run_spec.services: the
 *     link service, links.h). It ends when bwrap does; what a service
 *     still had going ends then.
 * 11. The proxy's socketpair: its sandbox end reaches the init only, which
 *     hands the listeners over on it and closes it before the program
 *     starts; the launcher's end never leaves the launcher.
 * 12. The Landlock layout's path rules (plan.h) reach the init in two
 *     halves: those that name the host's own files, opened by the launcher
 *     right after bwrap has its options (while it builds the mounts) into
 *     a ruleset sent as the first message on the channel (INIT_RULESET);
 *     the rest in a memory file, made empty at bwrap's start and written
 *     and sealed against every change before bwrap has its options, named
 *     on the init's command line (rules=). The init finishes the ruleset
 *     with them before the program runs (init.h): nothing of the sandbox
 *     can change them. Without rules, the first message is INIT_GO. Either
 *     comes only once bwrap has every option, and the init starts the
 *     program only after it: a launcher that dies while it gives them
 *     (bwrap then reads a part) leaves no program running; one that exits
 *     before (die) kills that bwrap first.
 *     The launcher never enters that domain either.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "fsutil.h"
#include "init.h"
#include "landlock.h"
#include "pty.h"
#include "reach.h"
#include "registry.h"
#include "wrap.h"

/* bwrap's --info-fd report is a few short JSON lines. */
#define INFO_MAX 4096

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* Exit status of a child as a shell reports it. */
static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(steal_fd(fd));
}

/* The init's host pid from bwrap's --info-fd report, or -1 when bwrap
 * stopped before it made one. The report is written by bwrap before the
 * sandbox starts, so the sandbox cannot forge it. */
static pid_t read_init_pid(int fd)
{
	static const char key[] = "\"child-pid\":";
	char buf[INFO_MAX];
	size_t len = 0;
	const char *p;
	long long v = 0;

	while (len < sizeof(buf) - 1 && !memchr(buf, '}', len)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	p = strstr(buf, key);
	if (!p)
		return -1;
	p += strlen(key);
	p += strspn(p, " \t\n");
	if (*p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > 0x3fffffff)	/* above PID_MAX_LIMIT */
			return -1;
	}
	return *p == ',' || *p == '\n' || *p == ' ' || *p == '}' ? (pid_t)v : -1;
}

static void print_command(const struct strvec *opts, const struct strvec *cmd)
{
	cleanup_strbuf struct strbuf line = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&line, BWRAP_PATH);
	for (i = 0; i < opts->nr; i++) {
		strbuf_addch(&line, ' ');
		strbuf_add_shell_quoted(&line, opts->v[i]);
	}
	/* cmd: bwrap --args FD -- INIT ...: the options are shown instead */
	for (i = 3; i < cmd->nr; i++) {
		strbuf_addch(&line, ' ');
		strbuf_add_shell_quoted(&line, cmd->v[i]);
	}
	/* Values from the project (.env) and the venv are in it. */
	put_shown(stderr, "", line.buf, 0);
}

static void print_landlock(int abi)
{
	if (abi >= LANDLOCK_SCOPE_MIN_ABI)
		fprintf(stderr, PROG ": landlock: abstract unix sockets and signals scoped "
			"to the sandbox (ABI %d)\n", abi);
	else
		fprintf(stderr, PROG ": landlock: %s (ABI %d, scopes need %d): abstract unix "
			"sockets and processes outside the sandbox are not fenced off\n",
			abi ? "this kernel has no scopes" : "not available", abi,
			LANDLOCK_SCOPE_MIN_ABI);
}

/* The launcher's signal state while bwrap runs: the forwarded signals and
 * SIGCHLD blocked and read from a signalfd; the forwarded ones ignored, so
 * that bwrap inherits that and Ctrl-C cannot kill it (blocked signals are
 * queued even when ignored); SIGCHLD at its default, since an ignored one
 * (inherited) would reap bwrap unseen. SIGTTOU and SIGTTIN ignored too, by
 * the launcher and bwrap: the terminal sends them to the whole process
 * group when a process of the sandbox touches the terminal from the
 * background, and a stopped launcher would hand the prompt back to the
 * shell while the sandbox runs on (the init gives the program the caller's
 * dispositions back). */
struct signal_state {
	sigset_t mask;          /* the caller's mask, for after (and bwrap's,
				 * with the forwarded signals blocked) */
	int sigs[16];
	struct sigaction old[16];
	size_t nr;
	size_t waited;          /* sigs[0 .. waited) are the waited ones */
};

/* The signals the launcher reads while the sandbox runs. */
static void waited_set(sigset_t *set)
{
	init_forwarded_set(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGWINCH);
}

/* The waited signals' disposition while the loop reads them: blocked,
 * never run. Not SIG_IGN, whose setting drops one already pending: a
 * signal sent between the block and here (kill -TERM just as the launch
 * starts) would be lost, and the program run on. */
static void held(int sig)
{
	(void)sig;
}

static int take_signals(struct signal_state *st, const sigset_t *waited)
{
	struct sigaction sa;
	int sig;

	st->nr = 0;
	sigemptyset(&st->mask);
	if (sigprocmask(SIG_BLOCK, waited, &st->mask) < 0)
		return -1;
	for (sig = 1; sig < NSIG && st->nr < ARRAY_SIZE(st->sigs); sig++) {
		if (sigismember(waited, sig) != 1)
			continue;
		memset(&sa, 0, sizeof(sa));
		sigfillset(&sa.sa_mask);
		sa.sa_handler = held;
		/* SIGCHLD is at its default already (run_start), and setting it
		 * so again would drop one pending: bwrap's end. */
		if (sigaction(sig, sig == SIGCHLD ? NULL : &sa, &st->old[st->nr]) < 0)
			return -1;
		st->sigs[st->nr++] = sig;
	}
	st->waited = st->nr;
	for (sig = SIGTTIN; sig <= SIGTTOU && st->nr < ARRAY_SIZE(st->sigs); sig++) {
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = SIG_IGN;
		if (sigaction(sig, &sa, &st->old[st->nr]) < 0)
			return -1;
		st->sigs[st->nr++] = sig;
	}
	return 0;
}

static void restore_signals(const struct signal_state *st)
{
	struct timespec zero = { 0, 0 };
	sigset_t pending;
	size_t i;

	sigemptyset(&pending);
	for (i = 0; i < st->waited; i++)
		sigaddset(&pending, st->sigs[i]);
	while (sigtimedwait(&pending, NULL, &zero) > 0)
		;	/* passed on already, or the terminal's */
	for (i = 0; i < st->nr; i++)
		sigaction(st->sigs[i], &st->old[i], NULL);
	sigprocmask(SIG_SETMASK, &st->mask, NULL);
}

/* What bwrap runs with (rule 5): the forwarded signals, SIGWINCH and
 * the terminal's SIGTTIN and SIGTTOU ignored; SIGCHLD at its default. */
static bool bwrap_ignores(int sig)
{
	return init_is_forwarded(sig) || sig == SIGWINCH || sig == SIGTTIN || sig == SIGTTOU;
}

/* Signals that end a process by default, among the forwarded ones. */
static bool ends_launcher(int sig)
{
	return init_is_forwarded(sig) && sig != SIGTSTP && sig != SIGCONT && sig != SIGWINCH &&
	       sig != SIGCHLD && sig != SIGURG && sig != SIGTTIN && sig != SIGTTOU;
}

/* What the child needs between vfork and exec: only system calls
 * there. */
struct child_exec {
	const char *const *argv;
	const char *const *envp;
	const int *fds;
	size_t nr_fds;
	const sigset_t *mask;
	const int *stdio;       /* 3 descriptors, -1: keep ours */
	int ruleset;            /* -1: no Landlock scopes */
	int errpipe;            /* write end: errno of a failed step */
};

static void child_fail(const struct child_exec *c)
{
	int e = errno;

	if (write(c->errpipe, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static void child_exec_bwrap(const struct child_exec *c)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (c->stdio[i] >= 0 && dup2(c->stdio[i], (int)i) < 0)
			child_fail(c);
	for (i = 0; i < c->nr_fds; i++)
		if (fcntl(c->fds[i], F_SETFD, 0) < 0)
			child_fail(c);
	/* bwrap's dispositions (bwrap_dispositions), before any signal is
	 * let through: no handler of the launcher's runs here. */
	for (i = 1; i < NSIG; i++)
		if (bwrap_ignores((int)i) && signal((int)i, SIG_IGN) == SIG_ERR)
			child_fail(c);
	if (signal(SIGCHLD, SIG_DFL) == SIG_ERR || sigprocmask(SIG_SETMASK, c->mask, NULL) < 0)
		child_fail(c);
	/* no_new_privs whatever the caller's capabilities, as bwrap sets it
	 * inside anyway. */
	if (c->ruleset >= 0 &&
	    (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || landlock_restrict(c->ruleset) < 0))
		child_fail(c);
	execve(BWRAP_PATH, (char *const *)c->argv, (char *const *)c->envp);
	child_fail(c);
}

/* Fork the child that enters the domain and execs bwrap. Returns its pid,
 * or -1 with err (the child's errno when it failed before bwrap ran). */
static pid_t spawn_bwrap(struct child_exec *c, struct strbuf *err)
{
	int ep[2], e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(ep, O_CLOEXEC) < 0) {
		strbuf_addf(err, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	c->errpipe = ep[1];
	fflush(NULL);
	/* The child shares our memory until its exec (it writes none of it:
	 * only system calls, on what c points to), and we wait for that
	 * anyway: no copy of the launcher's page tables. No signal handler
	 * of ours can run in it: every signal is blocked (spawn) until it has
	 * set its own dispositions. */
	pid = vfork();
	if (pid == 0)
		child_exec_bwrap(c);
	close(ep[1]);
	if (pid < 0) {
		strbuf_addf(err, "cannot start bwrap: %s", strerror(errno));
		close(ep[0]);
		return -1;
	}
	while ((n = read(ep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (c->ruleset >= 0 && e != ENOENT && e != EACCES)
			strbuf_addf(err, "cannot enter the landlock domain or run '%s': %s",
				    BWRAP_PATH, strerror(e));
		else
			strbuf_addf(err, "cannot run '%s': %s\nhint: install bubblewrap",
				    BWRAP_PATH, strerror(e));
		return -1;
	}
	return pid;
}

/* A pidfd for the init at host pid `pid`, checked to be bwrap's child: the
 * init could have ended and its pid been reused before pidfd_open, but
 * bwrap, our unreaped child, keeps its own pid, so a process whose parent
 * is bwrap is the init. */
static int open_init_pidfd(pid_t pid, pid_t bwrap)
{
	cleanup_free char *path = xasprintf("/proc/%d/stat", (int)pid);
	cleanup_strbuf struct strbuf stat = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	const char *p;

	if (fd < 0 || fs_read_file_at(AT_FDCWD, path, INFO_MAX, &stat, &ignored) < 0)
		return -1;
	/* "PID (COMM) STATE PPID ...": COMM may hold anything but ends at
	 * the last ')'. */
	p = strrchr(stat.buf, ')');
	if (!p || strtol(p + 3, NULL, 10) != (long)bwrap)
		return -1;
	return steal_fd(&fd);
}

/* After bwrap has ended: make sure nothing of the sandbox runs any more
 * before the host side looks at what it left (bwrap can be killed from
 * inside, and its child then ends only when its parent-death signal
 * arrives). The init's end is the end of its pid namespace: the kernel
 * kills and reaps every other process in it first. */
static void end_sandbox(int pidfd)
{
	struct pollfd p = { pidfd, POLLIN, 0 };

	if (pidfd < 0)
		return;
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

/* The wait: one signalfd for the forwarded signals, SIGCHLD and
 * SIGWINCH; the channel; the terminal's relay. */
#define RUN_RO_MOUNTS_MAX 256

struct waiting {
	pid_t bwrap;
	int pidfd;              /* the init's, or -1 */
	pid_t init_pid;
	int status;             /* bwrap's, from waitpid */
	int code;               /* the init's exit status (INIT_EXITED), or -1 */
	bool init_gone;         /* ... and the init has ended since */
	struct pty *pty;
	const struct run_spec *spec;
	struct stat project_st; /* the project the launcher opened */
	/* The mounts project_read_only made read-only, while stopped. */
	uint64_t ro_ids[RUN_RO_MOUNTS_MAX];
	size_t nr_ro;
};

/* Pass sig to the init, for the program's process group (INIT_SIG_GROUP)
 * or for the program alone. */
static void forward(const struct waiting *w, int sig, bool group)
{
	union sigval v = { .sival_int = group ? INIT_SIG_GROUP : 0 };
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value = v;
	if (w->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, w->pidfd, sig, &si, 0);
	else if (w->init_pid > 0)
		sigqueue(w->init_pid, sig, v);
}

static int on_signal(struct evloop *l, int fd, uint32_t events, void *data,
		     struct strbuf *err)
{
	struct waiting *w = data;
	struct signalfd_siginfo si;
	ssize_t n;

	(void)l;
	(void)events;
	while ((n = read(fd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGWINCH) {
			pty_winch(w->pty);
			continue;
		}
		if (sig == SIGCONT) {
			pty_foreground(w->pty);	/* fg or bg of a launcher stopped from outside */
			continue;
		}
		if (sig != SIGCHLD) {
			forward(w, sig, si.ssi_code == SI_KERNEL || sig == SIGTSTP);
			continue;
		}
		for (;;) {
			pid_t r = waitpid(w->bwrap, &w->status, WNOHANG);

			if (r == w->bwrap)
				return 1;
			if (r == 0 || (r < 0 && errno != EINTR))
				break;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		strbuf_addf(err, "cannot read signals: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Stop as the program did, by the same signal, so that the shell says
 * the same ("Stopped", "Stopped (tty input)"); the launcher blocks or
 * ignores the terminal's stop signals, for a moment it takes them. */
static void stop_self(int sig)
{
	struct sigaction dfl, old;
	sigset_t one, mask;

	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU) {
		raise(SIGSTOP);
		return;
	}
	memset(&dfl, 0, sizeof(dfl));
	sigemptyset(&dfl.sa_mask);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigaction(sig, &dfl, &old);
	sigprocmask(SIG_UNBLOCK, &one, &mask);
	raise(sig);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	sigaction(sig, &old, NULL);
}

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* The project's mount in the sandbox's mount namespace (the caller's
 * now): the path resolved without following any link (a sandbox can
 * rename what lies above the project, in /tmp say, and put a link or
 * another mount there), and checked to be the root of a mount, and the
 * project the launcher opened. Returns an O_PATH descriptor, or -1. */
static int open_project_mount(const char *path, const struct stat *want, uint64_t *mnt_id)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	struct statx sx;
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd < 0)
		return -1;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || !(sx.stx_mask & STATX_MNT_ID) ||
	    sx.stx_ino != want->st_ino ||
	    makedev(sx.stx_dev_major, sx.stx_dev_minor) != want->st_dev) {
		close(fd);
		return -1;
	}
	*mnt_id = sx.stx_mnt_id;
	return fd;
}

struct subtree {
	uint64_t ids[RUN_RO_MOUNTS_MAX];     /* below the top, or the top */
	size_t nr;
	int out;                            /* the writable ones go there */
	bool more;
	bool top_rw;                        /* the top is writable */
};

/* The project's mount and those below it (mountinfo lists a mount after
 * its parent); the writable ones, written out. */
static void collect_subtree(const struct fs_mount *m, void *data)
{
	struct subtree *t = data;
	uint64_t id = m->id, parent = m->parent;
	size_t i;

	if (id != t->ids[0]) {
		for (i = 0; i < t->nr && t->ids[i] != parent; i++)
			;
		if (i == t->nr)
			return;
		if (t->nr == ARRAY_SIZE(t->ids)) {
			t->more = true;
			return;
		}
		t->ids[t->nr++] = id;
	}
	if (m->rw && id == t->ids[0])
		t->top_rw = true;
	if (m->rw && write(t->out, &id, sizeof(id)) != (ssize_t)sizeof(id))
		t->more = true;
}

struct clearing {
	const uint64_t *ids;
	size_t nr, done;
};

/* The mounts of those ids writable again: each found at its mount point
 * now, and only if that is still it. */
static void clear_listed(const struct fs_mount *m, void *data)
{
	struct clearing *c = data;
	struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY };
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	struct statx sx;
	cleanup_fd int fd = -1;
	size_t i;

	for (i = 0; i < c->nr && c->ids[i] != m->id; i++)
		;
	if (i == c->nr || m->rw)
		return;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, m->point, &how, sizeof(how));
	if (fd >= 0 && statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 &&
	    (sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id == m->id &&
	    (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) &&
	    syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
		c->done++;
}

/* In a child that joins the sandbox's mount namespace as a user
 * namespace that owns it: on, the project's mount and every one below it
 * read-only, the ids of those that were writable written to out; off,
 * those of ids writable again. Returns 0, or -1. */
static int project_mounts(int userns, int mntns, const struct waiting *w, bool on, int out,
			  const uint64_t *ids, size_t nr)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		struct subtree t = { { 0 }, 1, out, false, false };
		cleanup_fd int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
		cleanup_fd int fd = -1;

		if (proc < 0 || setns(userns, CLONE_NEWUSER) < 0 || setns(mntns, CLONE_NEWNS) < 0)
			_exit(1);
		if (!on) {
			struct clearing c = { ids, nr, 0 };

			_exit(fs_each_mount(proc, 0, clear_listed, &c) < 0 || c.done != nr);
		}
		fd = open_project_mount(w->spec->project, &w->project_st, &t.ids[0]);
		if (fd < 0)
			_exit(1);
		/* The project's mount is writable: one found read-only at its
		 * path is another (a read-only bind of the project, moved
		 * there by a sandbox that can rename what lies above it),
		 * and the project's own would stay writable. */
		if (fs_each_mount(proc, 0, collect_subtree, &t) < 0 || !t.top_rw)
			_exit(1);
		_exit(t.more || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE,
					&attr, sizeof(attr)) < 0);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* MUST 7: the project read-only inside the sandbox while it is stopped
 * (its mount and every mount below it: the venv's home and cache, the
 * directories pinned there), then the ones that were writable, writable
 * again. A process of the sandbox can have the kernel continue it (a
 * timer's SIGCONT) while the shell has the terminal, and must not then
 * plant in the project what the prompt's git runs. The namespaces are
 * the init's, taken while its pidfd says it is alive (not a process that
 * got its pid since); the user namespace that owns the mounts is the
 * init's, or its parent (bwrap's, with --disable-userns). Returns -1 when
 * the mounts cannot be changed: a file open for writing there (EBUSY). */
static int project_read_only(struct waiting *w, bool on)
{
	char path[64];
	cleanup_fd int userns = -1;
	cleanup_fd int mntns = -1;
	cleanup_fd int parent = -1;
	int owners[2], pipefd[2] = { -1, -1 }, r = -1;
	size_t i;

	if (!w->spec->project || (!on && !w->nr_ro))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)w->init_pid);
	userns = w->init_pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)w->init_pid);
	mntns = w->init_pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (w->pidfd < 0 || syscall(SYS_pidfd_send_signal, w->pidfd, 0, NULL, 0) < 0) {
		w->nr_ro = 0;
		return on ? -1 : 0;	/* no init: nothing to stop, nothing to undo */
	}
	if (userns < 0 || mntns < 0)
		return -1;
	owners[0] = userns;
	owners[1] = parent = ioctl(userns, NS_GET_PARENT);
	for (i = 0; r < 0 && i < ARRAY_SIZE(owners) && owners[i] >= 0; i++) {
		if (on && pipe2(pipefd, O_CLOEXEC) < 0)
			return -1;
		r = project_mounts(owners[i], mntns, w, on, pipefd[1], w->ro_ids, w->nr_ro);
		if (!on)
			continue;
		close(pipefd[1]);
		w->nr_ro = 0;
		while (r == 0 && w->nr_ro < ARRAY_SIZE(w->ro_ids) &&
		       read(pipefd[0], &w->ro_ids[w->nr_ro], sizeof(uint64_t)) == sizeof(uint64_t))
			w->nr_ro++;
		close(pipefd[0]);
	}
	if (!on)
		w->nr_ro = 0;
	return r;
}

/* The init has ended: no process of the sandbox is left (the kernel
 * ends every other with the pid namespace's init, before the init's
 * pidfd says so). */
static int on_init_gone(struct evloop *l, int fd, uint32_t events, void *data,
			struct strbuf *err)
{
	struct waiting *w = data;

	(void)l;
	(void)fd;
	(void)events;
	(void)err;
	w->init_gone = true;
	return 1;
}

/* The init says the program stopped: the launch stops too (rule 7); or
 * that it ended, and with what status. The channel closing is the init's
 * end; bwrap's follows. */
static int on_channel(struct evloop *l, int fd, uint32_t events, void *data,
		      struct strbuf *err)
{
	struct waiting *w = data;
	char msg[2], name[16] = "";
	ssize_t n;

	(void)events;
	n = read(fd, msg, sizeof(msg));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		evloop_del(l, fd);
		return 0;
	}
	/* The program has ended: the init's end, then, is the sandbox's. */
	if (n == 2 && msg[0] == INIT_EXITED && w->pidfd >= 0 && w->code < 0) {
		w->code = (unsigned char)msg[1];
		return evloop_add(l, w->pidfd, EPOLLIN, on_init_gone, w, err);
	}
	if (n != 2 || msg[0] != INIT_STOPPED)
		return 0;
	pty_cooked(w->pty);
	prctl(PR_GET_NAME, name);
	prctl(PR_SET_NAME, RUN_STOPPED_COMM);
	if (project_read_only(w, true) < 0)
		warn("the sandbox cannot be stopped safely now (a file in the project is open "
		     "for writing, or its mount cannot be made read-only): it goes on\n"
		     "hint: Ctrl-C ends it");
	else if (!w->spec->on_stop || w->spec->on_stop(w->spec->stop_data) == 0)
		stop_self(msg[1]);
	/* Continued: the project writable again; the terminal's foreground
	 * may be ours again, or not. */
	if (project_read_only(w, false) < 0)
		warn("the project stays read-only in the sandbox: its mount could not be "
		     "made writable again");
	prctl(PR_SET_NAME, name);
	pty_foreground(w->pty);
	msg[0] = INIT_CONTINUE;
	if (write(fd, msg, 1) < 0)
		evloop_del(l, fd);	/* the init is gone */
	return 0;
}

/* The path ruleset begun with the rules that name the host's files, to
 * the init (INIT_RULESET). */
static int send_host_rules(int chan, int abi, const struct strbuf *rules, struct strbuf *err)
{
	cleanup_fd int fd = landlock_host_ruleset(abi, rules ? rules->buf : "",
						  rules ? rules->len : 0, err);

	if (fd < 0)
		return -1;
	/* A sandbox already gone (bwrap failed, and says why): its end is
	 * reported as any other. */
	if (fs_send_fds(chan, INIT_RULESET, &fd, 1) < 0 && errno != EPIPE && errno != ECONNRESET) {
		strbuf_addf(err, "cannot hand the landlock rules to the sandbox: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Walk rel (a relative path, no symlink followed) from the directory dir,
 * whose path is *path, to the init there; checks each directory on the
 * way and the file (its names and place: run_check_program, after). Returns an O_PATH descriptor and extends *path, or -1
 * with why (nothing when there is no such file). */
static int walk_to_init(int dir, const char *rel, uid_t owner, struct strbuf *path,
			struct strbuf *why)
{
	cleanup_fd int cur = fcntl(dir, F_DUPFD_CLOEXEC, 3);
	struct stat st;
	const char *p = rel;

	while (cur >= 0) {
		const char *e = strchrnul(p, '/');
		cleanup_free char *name = xstrndup(p, (size_t)(e - p));
		int next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 || fstat(next, &st) < 0) {
			if (next >= 0)
				close(next);
			return -1;
		}
		close(cur);
		cur = next;
		if (!strcmp(name, "..")) {
			char *slash = strrchr(path->buf, '/');

			strbuf_setlen(path, slash && slash != path->buf ? (size_t)(slash - path->buf) : 1);
		} else {
			if (path->len > 1)
				strbuf_addch(path, '/');
			strbuf_addstr(path, name);
		}
		if (!*e)
			break;
		if (!fs_dir_trusted(&st, owner)) {
			strbuf_addf(why, "'%s' is %s", path->buf, S_ISDIR(st.st_mode) ?
				    "a directory others can change" : "not a directory");
			return -1;
		}
		p = e + 1;
	}
	if (cur >= 0 && !S_ISREG(st.st_mode))
		strbuf_addf(why, "'%s' is not a regular file", path->buf);
	else if (cur >= 0 && st.st_uid != 0 && st.st_uid != owner)
		strbuf_addf(why, "'%s' belongs to uid %ju, neither root nor this binary's owner",
			    path->buf, (uintmax_t)st.st_uid);
	else if (cur >= 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
		strbuf_addf(why, "'%s' is writable by its group or others", path->buf);
	else if (cur >= 0 && ((st.st_mode & (S_ISUID | S_ISGID)) || !(st.st_mode & S_IXUSR)))
		strbuf_addf(why, "'%s' is set-id, or not executable", path->buf);
	else
		return steal_fd(&cur);
	return -1;
}

int run_check_program(const struct stat *st, const char *path, const struct strvec *reach,
		      struct strbuf *why)
{
	const char *where;

	/* Another name may lie where sandboxes write, which no check by path
	 * sees: there a sandbox could rewrite it while it does not run (the
	 * lean launcher runs, sandbox-venv does not: lean.h). Root's too:
	 * root's sandboxes write what root owns. */
	if (st->st_nlink != 1) {
		strbuf_addf(why, "'%s' has other names (hard links), which may lie where sandboxes "
			    "write", path);
		return -1;
	}
	if (reach && (where = reach_find(reach, path))) {
		strbuf_addf(why, "'%s' lies in '%s', which sandboxes can write", path, where);
		return -1;
	}
	return 0;
}

int run_open_beside_of(int self, const char *self_path, const char *const *places, size_t nr,
		       const struct strvec *reach, char **which, struct strbuf *why)
{
	cleanup_fd int dir = -1;
	cleanup_free char *exe = self_path ? xstrdup(self_path) : NULL;
	char *base = NULL;
	struct stat me, st;
	size_t i;

	if (fstat(self, &me) < 0) {
		strbuf_addf(why, "'%s' cannot be read: %s", self_path ? self_path : "?",
			    strerror(errno));
		return -1;
	}
	if (exe && exe[0] == '/' && (base = strrchr(exe, '/'))) {
		*base++ = '\0';
		dir = open(exe[0] ? exe : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	/* That directory, which holds this very binary, and no other. */
	if (dir < 0 || fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != me.st_dev || st.st_ino != me.st_ino) {
		strbuf_addstr(why, "the directory that holds it cannot be told");
		return -1;
	}
	if (fstat(dir, &st) < 0 || !fs_dir_trusted(&st, me.st_uid)) {
		strbuf_addf(why, "'%s' is a directory others can change", exe);
		return -1;
	}
	for (i = 0; !why->len && i < nr; i++) {
		cleanup_strbuf struct strbuf path = STRBUF_INIT;
		int fd;

		strbuf_addstr(&path, exe[0] ? exe : "/");
		fd = walk_to_init(dir, places[i], me.st_uid, &path, why);
		if (fd >= 0 && (fstat(fd, &st) < 0 ||
				run_check_program(&st, path.buf, reach, why) < 0)) {
			if (!why->len)
				strbuf_addf(why, "'%s' cannot be read: %s", path.buf, strerror(errno));
			close(fd);
		} else if (fd >= 0) {
			*which = strbuf_detach(&path, NULL);
			return fd;
		}
	}
	return -1;
}

int run_open_beside(const char *const *places, size_t nr, const struct strvec *reach,
		    char **which, struct strbuf *why)
{
	cleanup_fd int self = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	cleanup_free char *exe = NULL;

	if (self < 0) {
		strbuf_addf(why, "'/proc/self/exe' cannot be opened: %s", strerror(errno));
		return -1;
	}
	exe = fs_readlink_at(AT_FDCWD, "/proc/self/exe");
	return run_open_beside_of(self, exe, places, nr, reach, which, why);
}

int run_open_init(const struct strvec *reach, char **which, struct strbuf *err)
{
	static const char *const places[] = {
		"sandbox-venv-init", "../libexec/sandbox-venv/sandbox-venv-init",
	};
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	int fd = run_open_beside(places, ARRAY_SIZE(places), reach, which, &why);

	if (fd >= 0)
		return fd;
	if (!why.len)
		strbuf_addstr(&why, "no sandbox-venv-init beside it, nor in ../libexec/sandbox-venv");
	/* Not found: this binary, which can be the init too. */
	fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (fd < 0) {
		strbuf_addf(err, "cannot open '/proc/self/exe': %s", strerror(errno));
		return -1;
	}
	*which = xasprintf("this binary (%s)", why.buf);
	return fd;
}

/* The environment, as options: bwrap starts with none (run_start). For a
 * name given twice, the first, as getenv would have it. */
static void env_options(const struct strvec *env, struct strvec *out)
{
	cleanup_strvec struct strvec names = STRVEC_INIT;
	size_t i;

	strvec_push(out, "--clearenv");
	for (i = 0; i < env->nr; i++) {
		const char *kv = env->v[i], *eq = strchr(kv, '=');

		if (!eq || eq == kv)
			continue;
		strvec_pushf(&names, "%.*s", (int)(eq - kv), kv);
		if (strvec_find(&names, names.v[names.nr - 1]) != (long)names.nr - 1)
			continue;
		strvec_pushl(out, "--setenv", names.v[names.nr - 1], eq + 1, NULL);
	}
}

/* The plan's options, then the init's own. */
static void init_options(const struct run_spec *spec, int info_wr, int shown_fd,
			 struct strvec *all)
{
	strvec_pushv(all, spec->opts->v);
	strvec_pushl(all, "--as-pid-1", "--new-session", "--info-fd", NULL);
	strvec_pushf(all, "%d", info_wr);
	if (spec->flags & RUN_INIT_SHOWN) {
		strvec_push(all, "--ro-bind-fd");
		strvec_pushf(all, "%d", shown_fd);
		strvec_push(all, INIT_PATH);
	}
	/* Last, when every mountpoint exists: the root bwrap built is
	 * read-only, so a write outside the project, home, cache and /tmp
	 * fails instead of landing in a throwaway directory. */
	strvec_pushl(all, "--remount-ro", "/", NULL);
}

/* A run from bwrap's start to its end (run_start, run_finish). */
struct run {
	struct strvec cmd;           /* bwrap --args FD -- the init ... */
	int *fds;                    /* what bwrap inherits: the caller's */
	size_t nr_fds, nr_given;     /* (fds[0 .. nr_given)), then the run's */
	int args_rd, args_wr;        /* the options' socket: bwrap's end, ours */
	int exe_fd, shown_fd, info_rd, info_wr, chan, chan_in;
	int ruleset, rules_fd, px_mine, px_theirs;
	int abi;
	bool has_rules;              /* rules= on the init's command line */
	int stdio[3];
	struct pty pty;
	struct signal_state sigs;
	sigset_t caller_mask, bwrap_mask;
	struct sigaction chld_old;   /* the caller's SIGCHLD (blocked_chld) */
	bool blocked_chld, took_signals;
	/* Until bwrap has its options: the handlers that end it first. */
	int early[16];
	struct sigaction early_old[16];
	size_t nr_early;
	pid_t bwrap;
};

/* bwrap, waiting for its options, when the launcher exits before it has
 * given them all (die): killed, not left to run with a part of them (the
 * init would not start the program: rule 12). Not by a child the
 * launcher forked, if one exits. */
static volatile pid_t waiting_bwrap = -1;
static pid_t waiting_parent;

static void kill_waiting_bwrap(void)
{
	pid_t pid = waiting_bwrap;

	if (pid > 0 && getpid() == waiting_parent)
		kill(pid, SIGKILL);
	waiting_bwrap = -1;	/* (the order: stop_bwrap) */
	if (pid > 0 && getpid() == waiting_parent)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

/* While bwrap waits for its options, a signal that ends the launcher
 * (Ctrl-C while the plan is made) ends that bwrap first, which has made
 * nothing yet, then the launcher, by the same signal, as before bwrap
 * was started: the caller's dispositions otherwise, which the launcher
 * takes only once bwrap has its options (take_signals). */
static void on_early_signal(int sig)
{
	int saved = errno;
	sigset_t one;

	kill_waiting_bwrap();
	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	errno = saved;
}

static void early_signals(struct run *r)
{
	struct sigaction sa, old;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sigfillset(&sa.sa_mask);
	sa.sa_handler = on_early_signal;
	for (sig = 1; sig < NSIG && r->nr_early < ARRAY_SIZE(r->early); sig++) {
		if (!ends_launcher(sig) || sigaction(sig, NULL, &old) < 0 ||
		    old.sa_handler != SIG_DFL || sigaction(sig, &sa, NULL) < 0)
			continue;	/* ignored by the caller: stays so */
		r->early[r->nr_early] = sig;
		r->early_old[r->nr_early++] = old;
	}
}

static void end_early_signals(struct run *r)
{
	while (r->nr_early > 0) {
		r->nr_early--;
		sigaction(r->early[r->nr_early], &r->early_old[r->nr_early], NULL);
	}
}

static void stop_bwrap(struct run *r, int *status)
{
	/* Killed, then forgotten, then reaped: a signal's handler
	 * (on_early_signal) that comes in between kills it again at most,
	 * never a process that has its pid once it is reaped. */
	kill(r->bwrap, SIGKILL);
	if (waiting_bwrap == r->bwrap)
		waiting_bwrap = -1;
	while (waitpid(r->bwrap, status, 0) < 0 && errno == EINTR)
		;
	r->bwrap = -1;
}

static void run_free(struct run *r)
{
	int *fds[] = { &r->args_rd, &r->args_wr, &r->exe_fd, &r->shown_fd, &r->info_rd,
		       &r->info_wr, &r->chan, &r->chan_in, &r->ruleset, &r->rules_fd,
		       &r->px_mine, &r->px_theirs };
	size_t i;

	if (!r)
		return;
	if (r->bwrap > 0)
		stop_bwrap(r, NULL);
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		close_fd(fds[i]);
	pty_finish(&r->pty);
	if (r->took_signals)
		restore_signals(&r->sigs);
	end_early_signals(r);
	if (r->blocked_chld) {
		sigaction(SIGCHLD, &r->chld_old, NULL);
		sigprocmask(SIG_SETMASK, &r->caller_mask, NULL);
	}
	strvec_clear(&r->cmd);
	free(r->fds);
	free(r);
}

/* Exactly these, and the run's own, go through to bwrap (rule 2); the
 * read end of its report among them (rule 4). */
static void set_fds(struct run *r, const int *fds, size_t nr)
{
	int own[] = { r->args_rd, r->exe_fd, r->shown_fd, r->info_wr, r->info_rd, r->chan_in,
		      r->px_theirs, r->rules_fd };
	size_t i;

	free(r->fds);
	r->fds = xcalloc(nr + ARRAY_SIZE(own), sizeof(*r->fds));
	r->nr_fds = 0;
	for (i = 0; i < nr; i++)
		r->fds[r->nr_fds++] = fds[i];
	r->nr_given = nr;	/* the caller's, first: they stay open (run.h) */
	for (i = 0; i < ARRAY_SIZE(own); i++)
		if (own[i] >= 0)
			r->fds[r->nr_fds++] = own[i];
}

/* bwrap, waiting for its options; with every signal blocked until the
 * launcher is ready to end it (on_early_signal). */
static int spawn(struct run *r, struct strbuf *err)
{
	static const char *const no_env[] = { NULL };
	static bool registered;
	struct child_exec child = { (const char *const *)r->cmd.v, no_env, r->fds, r->nr_fds,
				    &r->bwrap_mask, r->stdio, r->ruleset, -1 };
	sigset_t all, old;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	r->bwrap = spawn_bwrap(&child, err);
	if (r->bwrap > 0) {
		if (!registered && atexit(kill_waiting_bwrap) == 0)
			registered = true;
		waiting_bwrap = r->bwrap;
		waiting_parent = getpid();
		if (!r->nr_early)
			early_signals(r);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* Only bwrap holds that end now: if it dies, a send fails (EPIPE)
	 * instead of waiting. */
	close_fd(&r->args_rd);
	return r->bwrap > 0 ? 0 : -1;
}

static bool all_in(const int *fds, size_t nr, const int *set, size_t nr_set)
{
	size_t i, j;

	for (i = 0; i < nr; i++) {
		for (j = 0; j < nr_set && set[j] != fds[i]; j++)
			;
		if (j == nr_set)
			return false;
	}
	return true;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* bwrap's command line: its options come on args_rd; then the init's. */
static void set_cmd(struct run *r, const struct strvec *argv)
{
	strvec_clear(&r->cmd);
	strvec_pushl(&r->cmd, "bwrap", "--args", NULL);
	strvec_pushf(&r->cmd, "%d", r->args_rd);
	/* From the descriptor, in the sandbox's own /proc: a mount of the
	 * user's at INIT_PATH cannot put pid 1 in its place. */
	strvec_push(&r->cmd, "--");
	strvec_pushf(&r->cmd, "/proc/self/fd/%d", r->exe_fd);
	strvec_push(&r->cmd, INIT_ROLE);
	strvec_pushf(&r->cmd, "%" PRIx64, init_ignored_signals());
	strvec_pushf(&r->cmd, "%d", r->chan_in);
	strvec_push(&r->cmd, "build=" SV_BUILD_ID);
	if (r->px_theirs >= 0)
		strvec_pushf(&r->cmd, "proxy=%d", r->px_theirs);
	if (r->rules_fd >= 0)
		strvec_pushf(&r->cmd, "rules=%d", r->rules_fd);
	strvec_push(&r->cmd, "--");
	strvec_pushv(&r->cmd, argv->v);
}

/* A socket pair, close-on-exec: one end the launcher keeps, one that goes
 * in. A stream (bwrap's options: --args) only ever flows in. */
static int new_pair(int type, int *ours, int *theirs, struct strbuf *err)
{
	int pair[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, pair) < 0) {
		strbuf_addf(err, "cannot create a socket pair: %s", strerror(errno));
		return -1;
	}
	*ours = pair[0];
	*theirs = pair[1];
	if (type == SOCK_STREAM)
		shutdown(*theirs, SHUT_WR);
	return 0;
}

struct run *run_start(const struct run_spec *spec, const int *fds, size_t nr,
		      struct strbuf *err)
{
	struct run *r = xcalloc(1, sizeof(*r));
	struct sigaction dfl;
	sigset_t chld, forwarded;
	int pair[2];

	strvec_init(&r->cmd);
	r->args_rd = r->args_wr = r->exe_fd = r->shown_fd = r->info_rd = r->info_wr = -1;
	r->chan = r->chan_in = r->ruleset = r->rules_fd = r->px_mine = r->px_theirs = -1;
	r->bwrap = -1;
	r->pty.master = r->pty.slave = -1;
	/* The init; bwrap's report; the channel (one end goes in). */
	if (spec->init)
		r->exe_fd = fcntl(spec->init->fd, F_DUPFD_CLOEXEC, 3);
	else
		r->exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (r->exe_fd < 0) {
		strbuf_addf(err, "cannot use the init ('%s'): %s", spec->init ? spec->init->which :
			    "/proc/self/exe", strerror(errno));
		goto fail;
	}
	if (pipe2(pair, O_CLOEXEC) < 0) {
		strbuf_addf(err, "cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	r->info_rd = pair[0];
	r->info_wr = pair[1];
	if (new_pair(SOCK_SEQPACKET, &r->chan, &r->chan_in, err) < 0 ||
	    (spec->proxy && new_pair(SOCK_SEQPACKET, &r->px_mine, &r->px_theirs, err) < 0) ||
	    new_pair(SOCK_STREAM, &r->args_wr, &r->args_rd, err) < 0)
		goto fail;
	r->abi = landlock_abi();
	r->ruleset = landlock_scope_ruleset(r->abi, err);
	if (r->ruleset == -2)
		goto fail;
	/* Filled when the rules are known (run_finish), before bwrap has its
	 * options: the init reads it after. */
	r->has_rules = spec->rules != NULL;
	if (r->has_rules && (r->rules_fd = fs_memfd_empty("sandbox-venv-rules", err)) < 0)
		goto fail;
	/* bwrap closes a descriptor it binds: the bound init has one of its
	 * own, and pid 1 runs from the other. */
	if ((spec->flags & RUN_INIT_SHOWN) &&
	    (r->shown_fd = fcntl(r->exe_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		strbuf_addf(err, "cannot use the init: %s", strerror(errno));
		goto fail;
	}
	set_cmd(r, spec->argv);
	set_fds(r, fds, nr);

	memcpy(r->stdio, spec->stdio, sizeof(r->stdio));
	if (pty_open(&r->pty, r->stdio, err) < 0)
		goto fail;
	/* bwrap, and through its exec the init, with the forwarded signals
	 * blocked as well as ignored: one forwarded before the init has its
	 * handlers is queued for it, not lost (pid 1 drops a signal it
	 * ignores, or leaves at its default, unless it is blocked). */
	init_forwarded_set(&forwarded);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* SIGCHLD blocked from now on: bwrap's end, however early, is
	 * waiting for the loop (run_finish), not lost (at its default, an
	 * unblocked SIGCHLD is dropped). */
	memset(&dfl, 0, sizeof(dfl));
	sigemptyset(&dfl.sa_mask);
	dfl.sa_handler = SIG_DFL;
	if (sigprocmask(SIG_BLOCK, &chld, &r->caller_mask) < 0 ||
	    sigaction(SIGCHLD, &dfl, &r->chld_old) < 0) {
		strbuf_addf(err, "cannot set up signals: %s", strerror(errno));
		goto fail;
	}
	/* (And at its default: an ignored one would have bwrap reaped
	 * unseen.) */
	r->blocked_chld = true;
	sigorset(&r->bwrap_mask, &r->caller_mask, &forwarded);
	if (spawn(r, err) < 0)
		goto fail;
	return r;

fail:
	run_free(r);
	return NULL;
}

/* bwrap again, when the options name a descriptor the first did not get
 * (run_start's caller guessed wrong): the first never had its options. */
static int respawn(struct run *r, const struct run_spec *spec, struct strbuf *err)
{
	if (spec->flags & RUN_VERBOSE)
		fprintf(stderr, PROG ": bwrap started again: its options name a descriptor "
			"it did not have\n");
	stop_bwrap(r, NULL);
	close_fd(&r->args_wr);
	if (new_pair(SOCK_STREAM, &r->args_wr, &r->args_rd, err) < 0)
		return -1;
	set_cmd(r, spec->argv);
	set_fds(r, spec->fds, spec->nr_fds);
	return spawn(r, err);
}

/* Without rules, the launcher's word alone (INIT_GO). */
static int send_go(int chan, struct strbuf *err)
{
	char tag = INIT_GO;

	if (send(chan, &tag, 1, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET) {
		strbuf_addf(err, "cannot start the sandbox: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* bwrap's options, all of them, then their end. */
static int give_options(struct run *r, const struct run_spec *spec, struct strbuf *err)
{
	cleanup_strvec struct strvec env = STRVEC_INIT;
	cleanup_strvec struct strvec all = STRVEC_INIT;
	cleanup_strbuf struct strbuf data = STRBUF_INIT;
	size_t i;

	if (r->has_rules != (spec->rules != NULL)) {
		strbuf_addstr(err, "the path rules were not announced at bwrap's start");
		return -1;
	}
	if (r->has_rules &&
	    fs_memfd_fill(r->rules_fd, "sandbox-venv-rules", spec->rules->buf, spec->rules->len,
			  err) < 0)
		return -1;
	env_options(spec->env, &env);
	init_options(spec, r->info_wr, r->shown_fd, &all);
	for (i = 0; i < env.nr; i++)
		strbuf_add(&data, env.v[i], strlen(env.v[i]) + 1);
	for (i = 0; i < all.nr; i++)
		strbuf_add(&data, all.v[i], strlen(all.v[i]) + 1);
	if (spec->flags & RUN_VERBOSE) {
		fprintf(stderr, PROG ": the init: %s\n", spec->init ? spec->init->which :
			"this binary");
		print_command(&all, &r->cmd);
		print_landlock(r->abi);
	}
	/* A bwrap that is gone (it failed, and says why) has its end
	 * reported as any other. */
	if (send_all(r->args_wr, data.buf, data.len) < 0 && errno != EPIPE &&
	    errno != ECONNRESET) {
		strbuf_addf(err, "cannot give bwrap its options: %s", strerror(errno));
		return -1;
	}
	close_fd(&r->args_wr);
	waiting_bwrap = -1;
	/* What only bwrap needed. */
	close_fd(&r->exe_fd);
	close_fd(&r->shown_fd);
	close_fd(&r->info_wr);
	close_fd(&r->chan_in);
	close_fd(&r->px_theirs);
	close_fd(&r->rules_fd);
	close_fd(&r->ruleset);
	return 0;
}

int run_finish(struct run *r, const struct run_spec *spec, int *status, struct strbuf *err)
{
	cleanup_fd int sfd = -1;
	struct proxy *px = NULL;
	struct waiting w = { .bwrap = r->bwrap, .pidfd = -1, .init_pid = -1, .code = -1,
			     .pty = &r->pty, .spec = spec };
	struct evloop loop;
	sigset_t waited;
	int ret = -1;
	bool loop_ready = false;
	size_t i, j;

	if (spec->project && fstat(spec->project_fd, &w.project_st) < 0) {
		strbuf_addf(err, "cannot look at the project: %s", strerror(errno));
		goto out;
	}
	/* Against the caller's alone: the number of one of the run's own
	 * that is closed since (bwrap's end of the options) can have been
	 * given to another file meanwhile. */
	if (!all_in(spec->fds, spec->nr_fds, r->fds, r->nr_given) && respawn(r, spec, err) < 0)
		goto out;
	w.bwrap = r->bwrap;
	waited_set(&waited);
	r->took_signals = true;
	if (take_signals(&r->sigs, &waited) < 0) {
		strbuf_addf(err, "cannot set up signals: %s", strerror(errno));
		goto out;
	}
	/* What take_signals replaced, for after: the caller's mask and
	 * dispositions, not those of the early start. */
	r->sigs.mask = r->caller_mask;
	r->blocked_chld = false;
	for (i = 0; i < r->sigs.nr; i++)
		if (r->sigs.sigs[i] == SIGCHLD)
			r->sigs.old[i] = r->chld_old;
	for (i = 0; i < r->sigs.nr; i++)
		for (j = 0; j < r->nr_early; j++)
			if (r->sigs.sigs[i] == r->early[j])
				r->sigs.old[i] = r->early_old[j];
	r->nr_early = 0;
	if (give_options(r, spec, err) < 0)
		goto out;
	/* The init starts the program only on the launcher's word, which
	 * comes once bwrap has every option: a launcher that dies before
	 * cannot leave a sandbox built from a part of them (rule 12). While
	 * bwrap builds the mounts: the rules that name the host's files,
	 * opened here (landlock.h); the init waits for them. */
	if (r->has_rules ? send_host_rules(r->chan, r->abi, spec->host_rules, err) < 0 :
	    send_go(r->chan, err) < 0)
		goto out;
	if (evloop_init(&loop, err) < 0)
		goto out;
	loop_ready = true;
	sfd = signalfd(-1, &waited, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		strbuf_addf(err, "cannot watch signals: %s", strerror(errno));
		goto out;
	}
	if (evloop_add(&loop, sfd, EPOLLIN, on_signal, &w, err) < 0 ||
	    fcntl(r->chan, F_SETFL, O_NONBLOCK) < 0 ||
	    evloop_add(&loop, r->chan, EPOLLIN, on_channel, &w, err) < 0)
		goto out;
	if (spec->proxy && !(px = proxy_start(&loop, spec->proxy, steal_fd(&r->px_mine), err)))
		goto out;
	for (i = 0; i < spec->nr_services; i++)
		if (spec->services[i].attach(&loop, spec->services[i].data, err) < 0)
			goto out;
	if (pty_start(&r->pty, &loop, err) < 0)
		goto out;

	w.init_pid = read_init_pid(r->info_rd);
	close_fd(&r->info_rd);
	/* bwrap has made the sandbox's first process: a first wrap finds it
	 * from now on (registry.h). */
	registry_launch_built();
	if (w.init_pid > 0)
		w.pidfd = open_init_pidfd(w.init_pid, r->bwrap);
	if (evloop_run(&loop, err) < 0) {
		/* Cannot wait: end the sandbox rather than leave it. */
		stop_bwrap(r, &w.status);
	} else if (w.init_gone) {
		/* bwrap has nothing left to do but see its child's end and
		 * exit with its status: not waited for, killed (whoever
		 * adopts it reaps it). */
		*status = w.code;
		kill(r->bwrap, SIGKILL);
		if (waiting_bwrap == r->bwrap)
			waiting_bwrap = -1;
		r->bwrap = -1;
		ret = 0;
	} else {
		*status = exit_code(w.status);
		r->bwrap = -1;	/* reaped */
		ret = 0;
	}
	proxy_free(steal_pointer(&px));
	close_fd(&r->chan);
	end_sandbox(w.pidfd);
out:
	proxy_free(px);
	if (w.pidfd >= 0)
		close(w.pidfd);
	if (loop_ready) {
		for (i = 0; i < spec->nr_services; i++)
			spec->services[i].detach(spec->services[i].data);
	}
	/* bwrap still running here was not waited for: it is killed. */
	pty_finish(&r->pty);
	if (loop_ready)
		evloop_release(&loop);
	run_free(r);
	return ret;
}

int run_sandbox(const struct run_spec *spec, int *status, struct strbuf *err)
{
	struct run *r = run_start(spec, spec->fds, spec->nr_fds, err);

	return r ? run_finish(r, spec, status, err) : -1;
}
