/* run.c - execute bwrap for a finished plan, and stay to pass signals on.
 *
 * One launch, as processes:
 *
 *   shell -- launcher (the gate's pid) -- bwrap -- init (pid 1) -- program
 *            on the host, no domain       '------ Landlock domain ------'
 *
 * The launcher forks bwrap and waits. bwrap runs, as the sandbox's pid 1
 * (--as-pid-1), the init: this binary, bound read-only at INIT_PATH from
 * an fd on /proc/self/exe. bwrap reports the init's host pid on
 * --info-fd, so the launcher can pass signals to it.
 *
 * What MUST hold:
 *  1. bwrap is executed from BWRAP_PATH, never through PATH, with the
 *     plan's environment and its options in a sealed memory file, never on
 *     its command line.
 *  2. Where the kernel has Landlock scopes, every process of the sandbox,
 *     bwrap first, is in the scope domain (landlock.h): no connection to an
 *     abstract unix socket and no signal outside it. The launcher is not
 *     in it and can signal in. A kernel without scopes is said under
 *     VERBOSE, never an error; a kernel with scopes that refuses them stops
 *     the launch.
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
 *  6. The status is the program's own, 128+N for a death by signal N. The
 *     launcher ends with it, or returns it to the driver with RUN_WAIT
 *     (pip, after which the host reconciles the gates), its signal mask as
 *     it was and no forwarded signal left pending.
 *  7. The init is the running binary, bound from an fd, so no path can be
 *     swapped in between; it runs under the same seccomp filter and
 *     Landlock domain as the program.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
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

static void restore_signals(const sigset_t *mask, const struct sigaction *chld)
{
	sigaction(SIGCHLD, chld, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
}

/* The child: bwrap, in the Landlock domain, ignoring the forwarded signals. */
static void ATTR_NORETURN exec_bwrap(const struct strvec *cmd, const struct strvec *env,
				     const sigset_t *mask, int ruleset)
{
	struct sigaction ign;
	sigset_t set;
	int sig;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	init_forwarded_set(&set);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&set, sig) == 1)
			sigaction(sig, &ign, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (ruleset >= 0 && landlock_scope_apply(ruleset) < 0) {
		fprintf(stderr, PROG ": cannot enter the landlock domain: %s\n", strerror(errno));
		_exit(127);
	}
	execve(BWRAP_PATH, (char *const *)cmd->v, (char *const *)env->v);
	fprintf(stderr, PROG ": cannot run '%s': %s\nhint: install bubblewrap\n", BWRAP_PATH,
		strerror(errno));
	_exit(127);
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
	struct timespec zero = { 0, 0 };
	struct sigaction dfl, old_chld;
	sigset_t waited, old;
	pid_t pid, init_pid;
	int info[2], abi, st = 0;
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

	/* Signals wait in the queue until the loop below takes them; SIGCHLD
	 * at its default, since an ignored one (inherited) reaps bwrap unseen. */
	init_forwarded_set(&waited);
	sigaddset(&waited, SIGCHLD);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	if (sigprocmask(SIG_BLOCK, &waited, &old) < 0) {
		strbuf_addf(err, "cannot block signals: %s", strerror(errno));
		return -1;
	}
	if (sigaction(SIGCHLD, &dfl, &old_chld) < 0) {
		strbuf_addf(err, "cannot reset SIGCHLD: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		strbuf_addf(err, "cannot fork: %s", strerror(errno));
		restore_signals(&old, &old_chld);
		return -1;
	}
	if (pid == 0)
		exec_bwrap(&cmd, env, &old, ruleset);
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
			pid_t r = waitpid(pid, &st, WNOHANG);

			if (r == pid)
				break;
			if (r == 0 || errno == EINTR)
				continue;
		}
		if (sig < 0 || sig == SIGCHLD) {
			if (sig < 0 && errno == EINTR)
				continue;
			strbuf_addf(err, "cannot wait for bwrap: %s", strerror(errno));
			restore_signals(&old, &old_chld);
			return -1;
		}
		if (si.si_code != SI_KERNEL)
			forward(pidfd, init_pid, sig);
	}
	*status = exit_code(st);
	if (!(flags & RUN_WAIT))
		exit(*status);
	while (sigtimedwait(&waited, NULL, &zero) > 0)
		;
	restore_signals(&old, &old_chld);
	return 0;
}
