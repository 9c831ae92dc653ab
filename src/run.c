/* run.c - execute bwrap for a finished plan, and stay to pass signals on.
 *
 * One launch, as processes:
 *
 *   shell -- launcher (the gate's pid) -- bwrap -- init (pid 1) -- program
 *                                '------- Landlock scope domain -------'
 *
 * The launcher forks; the child enters the Landlock scope domain and execs
 * bwrap. bwrap runs, as the sandbox's pid 1 (--as-pid-1), the init: this
 * binary, bound read-only at INIT_PATH from an fd on /proc/self/exe. bwrap
 * reports the init's host pid on --info-fd, so the launcher can pass
 * signals to it.
 *
 * What MUST hold:
 *  1. bwrap is executed from BWRAP_PATH, never through PATH, with the
 *     plan's environment and its options in a sealed memory file, never on
 *     its command line.
 *  2. Descriptors (DESIGN MUST 9): bwrap inherits exactly the descriptors
 *     its arguments name, and 0, 1, 2. Every other descriptor of the
 *     launcher, the caller's included, is close-on-exec (launch.c marks
 *     them all first); only the child that execs bwrap lets the named ones
 *     through. The init closes whatever still reaches it (init.c).
 *  3. The launcher is not in the Landlock domain: only the child that
 *     execs bwrap enters it. Where the kernel has scopes, no process of
 *     the sandbox can signal the launcher (kill(0, ...) reaches the whole
 *     process group, launcher included, without that), so the work it does
 *     on the host after the run cannot be stopped from inside (DESIGN
 *     MUST 10; launch.c records that work beforehand, for a kernel without
 *     scopes or a launcher killed from outside). A kernel without scopes
 *     is said under VERBOSE, never an error; one with scopes that refuses
 *     them stops the launch.
 *  4. The sandbox cannot outlive the launcher: bwrap's --die-with-parent,
 *     and a lifeline, a pipe whose only write end the launcher holds. The
 *     init watches the read end and, when it closes (the launcher died,
 *     even before bwrap could arrange --die-with-parent), exits, which
 *     ends every process of the sandbox.
 *  5. All of these processes stay in the caller's process group and
 *     session (no --new-session), so the terminal's signals reach the
 *     program directly. bwrap ignores the forwarded signals (init.h), so
 *     Ctrl-C and Ctrl-\ do not kill it and leave the program behind; the
 *     init gives the program the dispositions the launcher's caller set.
 *     Terminal injection (TIOCSTI, TIOCLINUX) stays blocked by the filter.
 *  6. A forwarded signal that a process sends to the launcher (kill -TERM
 *     on the gate's pid) is passed to the init, which passes it to the
 *     program. One from the terminal (SI_KERNEL) is not passed on: the
 *     whole group, program included, got it.
 *  7. Job control: Ctrl-Z stops the launcher, bwrap and the program (the
 *     init, as pid 1, is immune and need not stop), so the shell sees its
 *     child stop; fg continues the whole group.
 *  8. The status is the program's own, 128+N for a death by signal N. It
 *     goes back to the driver (which has work to do on the host after the
 *     sandbox: launch.c), with the signal mask and dispositions as they
 *     were and no forwarded signal left pending.
 *  9. The init is the running binary, bound from an fd, so no path can be
 *     swapped in between; it runs under the same seccomp filter and
 *     Landlock domain as the program.
 * 10. One event loop (evloop.h) waits for everything: signals and bwrap's
 *     end through one signalfd.
 * 11. The Landlock layout's path rules (plan.h) reach the init in a memory
 *     file sealed against every change, named on the init's command line
 *     and read and closed by it before the program runs (init.h): nothing
 *     of the sandbox can change them. The launcher never enters that
 *     domain either.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
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
 * SIGCHLD blocked and read from a signalfd; the forwarded ones ignored, so
 * that bwrap inherits that and Ctrl-C cannot kill it (blocked signals are
 * queued even when ignored); SIGCHLD at its default, since an ignored one
 * (inherited) would reap bwrap unseen. */
struct signal_state {
	sigset_t mask;          /* the caller's mask, for bwrap and for after */
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

/* What the child needs between fork and exec: only async-signal-safe calls
 * there. */
struct child_exec {
	const char *const *argv;
	const char *const *envp;
	const int *fds;
	size_t nr_fds;
	const sigset_t *mask;
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

	for (i = 0; i < c->nr_fds; i++)
		if (fcntl(c->fds[i], F_SETFD, 0) < 0)
			child_fail(c);
	if (sigprocmask(SIG_SETMASK, c->mask, NULL) < 0)
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
	pid = fork();
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

/* The wait: one signalfd for the forwarded signals and SIGCHLD. */
struct waiting {
	pid_t bwrap;
	int pidfd;              /* the init's, or -1 */
	pid_t init_pid;
	int status;
};

static void forward(const struct waiting *w, int sig)
{
	if (w->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, w->pidfd, sig, NULL, 0);
	else if (w->init_pid > 0)
		kill(w->init_pid, sig);
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
		if ((int)si.ssi_signo != SIGCHLD) {
			if (si.ssi_code != SI_KERNEL)
				forward(w, (int)si.ssi_signo);
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

/* bwrap's options plus the init's own; the data for --args. */
static void init_options(const struct run_spec *spec, int info_wr, int exe_fd,
			 struct strvec *all)
{
	strvec_pushv(all, spec->opts->v);
	strvec_pushl(all, "--as-pid-1", "--info-fd", NULL);
	strvec_pushf(all, "%d", info_wr);
	strvec_push(all, "--ro-bind-fd");
	strvec_pushf(all, "%d", exe_fd);
	strvec_push(all, INIT_PATH);
	/* Last, when every mountpoint exists: the root bwrap built is
	 * read-only, so a write outside the project, home, cache and /tmp
	 * fails instead of landing in a throwaway directory. */
	strvec_pushl(all, "--remount-ro", "/", NULL);
}

int run_sandbox(const struct run_spec *spec, int *status, struct strbuf *err)
{
	cleanup_strbuf struct strbuf data = STRBUF_INIT;
	cleanup_strvec struct strvec all = STRVEC_INIT;
	cleanup_strvec struct strvec cmd = STRVEC_INIT;
	cleanup_free int *fds = NULL;
	cleanup_fd int args_fd = -1;
	cleanup_fd int exe_fd = -1;
	cleanup_fd int info_rd = -1;
	cleanup_fd int info_wr = -1;
	cleanup_fd int life_rd = -1;
	cleanup_fd int life_wr = -1;
	cleanup_fd int ruleset = -1;
	cleanup_fd int rules_fd = -1;
	cleanup_fd int sfd = -1;
	struct waiting w = { -1, -1, -1, 0 };
	struct signal_state sigs;
	struct child_exec child;
	struct evloop loop;
	sigset_t waited;
	int pipefd[2], abi, ret = -1;
	size_t i, nr = 0;

	/* The init, bound from the running binary; bwrap's report; the
	 * lifeline (only its read end goes in). */
	exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (exe_fd < 0) {
		strbuf_addf(err, "cannot open '/proc/self/exe': %s", strerror(errno));
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		strbuf_addf(err, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	info_rd = pipefd[0];
	info_wr = pipefd[1];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		strbuf_addf(err, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	life_rd = pipefd[0];
	life_wr = pipefd[1];
	abi = landlock_abi();
	ruleset = landlock_scope_ruleset(abi, err);
	if (ruleset == -2)
		return -1;

	if (spec->rules) {
		rules_fd = fs_memfd_data("sandbox-venv-rules", spec->rules->buf, spec->rules->len, err);
		if (rules_fd < 0)
			return -1;
	}

	init_options(spec, info_wr, exe_fd, &all);
	for (i = 0; i < all.nr; i++)
		strbuf_add(&data, all.v[i], strlen(all.v[i]) + 1);
	args_fd = fs_memfd_data("bwrap-args", data.buf, data.len, err);
	if (args_fd < 0)
		return -1;
	strvec_pushl(&cmd, "bwrap", "--args", NULL);
	strvec_pushf(&cmd, "%d", args_fd);
	strvec_pushl(&cmd, "--", INIT_PATH, INIT_ROLE, NULL);
	strvec_pushf(&cmd, "%" PRIx64, init_ignored_signals());
	strvec_pushf(&cmd, "%d", life_rd);
	if (rules_fd >= 0)
		strvec_pushf(&cmd, "%d", rules_fd);
	else
		strvec_push(&cmd, "-");
	strvec_push(&cmd, "--");
	strvec_pushv(&cmd, spec->argv->v);
	if (spec->flags & RUN_VERBOSE) {
		print_command(&all, &cmd);
		print_landlock(abi);
	}

	/* Exactly the named descriptors, and the init's own, go through. */
	fds = xcalloc(spec->nr_fds + 5, sizeof(*fds));
	for (i = 0; i < spec->nr_fds; i++)
		fds[nr++] = spec->fds[i];
	fds[nr++] = args_fd;
	fds[nr++] = exe_fd;
	fds[nr++] = info_wr;
	fds[nr++] = life_rd;
	if (rules_fd >= 0)
		fds[nr++] = rules_fd;

	init_forwarded_set(&waited);
	sigaddset(&waited, SIGCHLD);
	if (take_signals(&sigs, &waited) < 0) {
		strbuf_addf(err, "cannot set up signals: %s", strerror(errno));
		restore_signals(&sigs);
		return -1;
	}
	if (evloop_init(&loop, err) < 0) {
		restore_signals(&sigs);
		return -1;
	}
	sfd = signalfd(-1, &waited, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		strbuf_addf(err, "cannot watch signals: %s", strerror(errno));
		goto out;
	}
	if (evloop_add(&loop, sfd, EPOLLIN, on_signal, &w, err) < 0)
		goto out;

	child = (struct child_exec){ cmd.v, spec->env->v, fds, nr, &sigs.mask, ruleset, -1 };
	w.bwrap = spawn_bwrap(&child, err);
	if (w.bwrap < 0)
		goto out;
	close_fd(&args_fd);
	close_fd(&exe_fd);
	close_fd(&info_wr);
	close_fd(&life_rd);
	close_fd(&rules_fd);
	close_fd(&ruleset);

	w.init_pid = read_init_pid(info_rd);
	close_fd(&info_rd);
	if (w.init_pid > 0)
		w.pidfd = open_init_pidfd(w.init_pid, w.bwrap);
	if (evloop_run(&loop, err) < 0) {
		/* Cannot wait: end the sandbox rather than leave it. */
		kill(w.bwrap, SIGKILL);
		while (waitpid(w.bwrap, &w.status, 0) < 0 && errno == EINTR)
			;
	} else {
		*status = exit_code(w.status);
		ret = 0;
	}
	close_fd(&life_wr);
	end_sandbox(w.pidfd);
out:
	if (w.pidfd >= 0)
		close(w.pidfd);
	evloop_release(&loop);
	restore_signals(&sigs);
	return ret;
}
