/* run.c - execute bwrap for a finished plan, and stay to pass signals on.
 *
 * One launch, as processes:
 *
 *   shell -- launcher (the gate's pid) -- bwrap -- init (pid 1) -- program
 *            '--------------- Landlock scope domain ---------------'
 *
 * The launcher spawns bwrap and waits. bwrap runs, as the sandbox's pid 1
 * (--as-pid-1), the init: this binary, bound read-only at INIT_PATH from
 * an fd on /proc/self/exe. bwrap reports the init's host pid on
 * --info-fd, so the launcher can pass signals to it.
 *
 * What MUST hold:
 *  1. bwrap is executed from BWRAP_PATH, never through PATH, with the
 *     plan's environment and its options in a sealed memory file, never on
 *     its command line.
 *  2. Where the kernel has Landlock scopes, the launcher enters the scope
 *     domain (landlock.h) before it starts bwrap, so every process of the
 *     sandbox is in it: no connection to an abstract unix socket and no
 *     signal outside the domain. The launcher runs nothing else after
 *     that: it signals into the domain and, once the sandbox has ended,
 *     sets a planted .git aside and, for pip, writes the gates.
 *     (The sandbox can signal the launcher and bwrap, as it always could
 *     its bwrap: that ends only its own launch.) A kernel without scopes
 *     is said under VERBOSE, never an error; one with scopes that refuses
 *     them stops the launch.
 *  3. All of these processes stay in the caller's process group and
 *     session (no --new-session), so the terminal's signals reach the
 *     program directly. bwrap ignores the forwarded signals (init.h), so
 *     Ctrl-C and Ctrl-\ do not kill it and leave the program behind; the
 *     init gives the program the dispositions the launcher's caller set.
 *     Terminal injection (TIOCSTI, TIOCLINUX) stays blocked by the filter.
 *  4. A forwarded signal that a process sends to the launcher (kill -TERM
 *     on the gate's pid) is passed to the init, which passes it to the
 *     program. One from the terminal (SI_KERNEL) is not passed on: the
 *     whole group, program included, got it.
 *  5. Job control: Ctrl-Z stops the launcher, bwrap and the program (the
 *     init, as pid 1, is immune and need not stop), so the shell sees its
 *     child stop; fg continues the whole group.
 *  6. The status is the program's own, 128+N for a death by signal N. It
 *     goes back to the driver (which has work to do on the host after the
 *     sandbox: launch.c), with the signal mask and dispositions as they
 *     were and no forwarded signal left pending.
 *  7. The init is the running binary, bound from an fd, so no path can be
 *     swapped in between; it runs under the same seccomp filter and
 *     Landlock domain as the program.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "init.h"
#include "landlock.h"
#include "wrap.h"

/* bwrap's --info-fd report is a few short JSON lines. */
#define INFO_MAX 4096

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static int inherit(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

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

/* Pass sig to the init: through a pidfd, so a recycled pid is never hit. */
static void forward(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	else if (pid > 0)
		kill(pid, sig);
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
	fprintf(stderr, "%s\n", line.buf);
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
 * SIGCHLD blocked and taken by sigwaitinfo(); the forwarded ones ignored,
 * so that bwrap inherits that and Ctrl-C cannot kill it; SIGCHLD at its
 * default, since an ignored one (inherited) would reap bwrap unseen. */
struct signal_state {
	sigset_t mask;
	int sigs[8];
	struct sigaction old[8];
	size_t nr;
};

static int take_signals(struct signal_state *st, const sigset_t *waited)
{
	struct sigaction sa;
	int sig;

	st->nr = 0;
	sigemptyset(&st->mask);
	if (sigprocmask(SIG_SETMASK, NULL, &st->mask) < 0 ||
	    sigprocmask(SIG_BLOCK, waited, NULL) < 0)
		return -1;
	for (sig = 1; sig < NSIG && st->nr < ARRAY_SIZE(st->sigs); sig++) {
		if (sigismember(waited, sig) != 1)
			continue;
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = sig == SIGCHLD ? SIG_DFL : SIG_IGN;
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
	for (i = 0; i < st->nr; i++)
		sigaddset(&pending, st->sigs[i]);
	while (sigtimedwait(&pending, NULL, &zero) > 0)
		;	/* passed on already, or the terminal's */
	for (i = 0; i < st->nr; i++)
		sigaction(st->sigs[i], &st->old[i], NULL);
	sigprocmask(SIG_SETMASK, &st->mask, NULL);
}

int run_sandbox(const struct strvec *opts, const struct strvec *argv,
		const struct strvec *env, unsigned int flags, int *status, struct strbuf *err)
{
	cleanup_strbuf struct strbuf data = STRBUF_INIT;
	cleanup_strvec struct strvec all = STRVEC_INIT;
	cleanup_strvec struct strvec cmd = STRVEC_INIT;
	cleanup_fd int args_fd = -1;
	cleanup_fd int exe_fd = -1;
	cleanup_fd int info_rd = -1;
	cleanup_fd int info_wr = -1;
	cleanup_fd int ruleset = -1;
	cleanup_fd int pidfd = -1;
	struct signal_state sigs;
	posix_spawnattr_t attr;
	sigset_t waited;
	pid_t pid, init_pid;
	int info[2], abi, r, st = 0;
	size_t i;

	/* The init, bound from the running binary. */
	exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (exe_fd < 0) {
		strbuf_addf(err, "cannot open '/proc/self/exe': %s", strerror(errno));
		return -1;
	}
	if (pipe2(info, O_CLOEXEC) < 0) {
		strbuf_addf(err, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	info_rd = info[0];
	info_wr = info[1];
	abi = landlock_abi();
	ruleset = landlock_scope_ruleset(abi, err);
	if (ruleset == -2)
		return -1;

	strvec_pushv(&all, opts->v);
	strvec_pushl(&all, "--as-pid-1", "--info-fd", NULL);
	strvec_pushf(&all, "%d", info_wr);
	strvec_push(&all, "--ro-bind-fd");
	strvec_pushf(&all, "%d", exe_fd);
	strvec_push(&all, INIT_PATH);
	/* Last, when every mountpoint exists: the root bwrap built is
	 * read-only, so a write outside the project, home, cache and /tmp
	 * fails instead of landing in a throwaway directory. */
	strvec_pushl(&all, "--remount-ro", "/", NULL);
	for (i = 0; i < all.nr; i++)
		strbuf_add(&data, all.v[i], strlen(all.v[i]) + 1);
	args_fd = fs_memfd_data("bwrap-args", data.buf, data.len, err);
	if (args_fd < 0)
		return -1;
	if (inherit(args_fd) < 0 || inherit(exe_fd) < 0 || inherit(info_wr) < 0) {
		strbuf_addf(err, "cannot pass arguments to bwrap: %s", strerror(errno));
		return -1;
	}
	strvec_pushl(&cmd, "bwrap", "--args", NULL);
	strvec_pushf(&cmd, "%d", args_fd);
	strvec_pushl(&cmd, "--", INIT_PATH, INIT_ROLE, NULL);
	strvec_pushf(&cmd, "%" PRIx64, init_ignored_signals());
	strvec_push(&cmd, "--");
	strvec_pushv(&cmd, argv->v);
	if (flags & RUN_VERBOSE) {
		print_command(&all, &cmd);
		print_landlock(abi);
	}

	init_forwarded_set(&waited);
	sigaddset(&waited, SIGCHLD);
	if (take_signals(&sigs, &waited) < 0) {
		strbuf_addf(err, "cannot set up signals: %s", strerror(errno));
		restore_signals(&sigs);
		return -1;
	}
	/* The launcher enters the domain too: it signals only into it. */
	if (ruleset >= 0 && landlock_scope_apply(ruleset) < 0) {
		strbuf_addf(err, "cannot enter the landlock domain: %s", strerror(errno));
		restore_signals(&sigs);
		return -1;
	}
	fflush(NULL);
	if ((r = posix_spawnattr_init(&attr)) != 0 ||
	    (r = posix_spawnattr_setsigmask(&attr, &sigs.mask)) != 0 ||
	    (r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK)) != 0 ||
	    (r = posix_spawn(&pid, BWRAP_PATH, NULL, &attr, (char *const *)cmd.v,
			     (char *const *)env->v)) != 0) {
		strbuf_addf(err, "cannot run '%s': %s\nhint: install bubblewrap", BWRAP_PATH,
			    strerror(r));
		posix_spawnattr_destroy(&attr);
		restore_signals(&sigs);
		return -1;
	}
	posix_spawnattr_destroy(&attr);
	close_fd(&args_fd);
	close_fd(&exe_fd);
	close_fd(&info_wr);
	close_fd(&ruleset);

	init_pid = read_init_pid(info_rd);
	close_fd(&info_rd);
	if (init_pid > 0)
		pidfd = (int)syscall(SYS_pidfd_open, init_pid, 0);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&waited, &si);

		if (sig == SIGCHLD) {
			pid_t w = waitpid(pid, &st, WNOHANG);

			if (w == pid)
				break;
			if (w == 0 || errno == EINTR)
				continue;
		}
		if (sig < 0 || sig == SIGCHLD) {
			if (sig < 0 && errno == EINTR)
				continue;
			strbuf_addf(err, "cannot wait for bwrap: %s", strerror(errno));
			restore_signals(&sigs);
			return -1;
		}
		if (si.si_code != SI_KERNEL)
			forward(pidfd, init_pid, sig);
	}
	*status = exit_code(st);
	restore_signals(&sigs);
	return 0;
}
