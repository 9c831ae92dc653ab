/* init.c - the first process inside every sandbox.
 *
 * What MUST hold:
 *  1. The program starts with the dispositions the launcher's caller gave:
 *     the signals it ignored stay ignored, every other one is at its
 *     default, whatever the launcher and bwrap changed on the way (they
 *     ignore SIGINT and SIGQUIT so that Ctrl-C reaches only the program).
 *     Its signal mask is empty.
 *  2. The init leads the sandbox's session (bwrap --new-session), and the
 *     terminal on 0, 1 or 2 (the sandbox's own pty, never the caller's:
 *     run.c) is its controlling one; the program leads a process group of
 *     its own, the terminal's foreground one. So job control works inside
 *     as outside: the program's group has a parent (the init) in the same
 *     session, and the terminal's stop signals (Ctrl-Z) reach it, which
 *     they would not if it led a session of its own (an orphaned group).
 *  3. A forwarded signal (init.h) from the launcher is passed on to the
 *     program, or to its process group when it says so.
 *  4. While the launch is stopped, the sandbox is stopped: when the
 *     program stops (Ctrl-Z), the init stops every other process of the
 *     sandbox (SIGSTOP, which none can refuse; kill(-1) reaches them all
 *     at once, and a fork under way does not finish before the stop), waits
 *     until it has seen each stopped (one it cannot read counts as
 *     running), and only then says so on the channel. A process the kernel
 *     continues later (a timer's SIGCONT) runs on: signals cannot keep it
 *     stopped, and the launcher makes the project read-only first; the
 *     launcher does its host-side work then (the shell's prompt comes back,
 *     and with it git, in the project) and stops. On INIT_CONTINUE it
 *     continues what it stopped and the program's group, and leaves
 *     stopped what was stopped before (the jobs of a shell inside). If the
 *     sandbox cannot be stopped in time, the launch does not stop: the
 *     program is continued.
 *  5. Every child is reaped; the init exits as soon as the program does,
 *     with its exit status, or 128+N for a death by signal N (pid 1 cannot
 *     die of its own signals, so the status is mapped, not re-raised).
 *  6. Nothing from the sandbox runs before the program: the init only
 *     parses its own arguments and execs the program. The loader
 *     variables meant for the program (init.h) reach it only: the init's
 *     own loader never sees them.
 *  7. Descriptors (DESIGN MUST 9): before anything else the init closes
 *     every descriptor but 0, 1, 2 and the channel, whatever bwrap let
 *     through; the program starts with 0, 1 and 2 only. A directory
 *     descriptor inside would lead out of every mount.
 *  8. The sandbox never outlives the launcher: when the channel closes,
 *     the init exits, and the kernel ends every process of its pid
 *     namespace with it.
 *  9. The program cannot stop the init: it is not dumpable, so it cannot
 *     be traced (an attach stops it), and as the namespace's pid 1 it
 *     takes no stop signal from inside.
 *  10. Path rules (init.h, rules=): when the launcher hands them over, the
 *      program starts inside a Landlock domain built from exactly those
 *      rules (landlock.h): the ruleset the launcher began on the host, the
 *      first message on the channel (one that is not a Landlock ruleset,
 *      or none, is refused), finished with the rules of a memory file
 *      sealed against every change (one that is not is refused), read and
 *      closed before anything of the sandbox runs. A rule or a confinement
 *      that fails stops the launch: the program never runs unconfined.
 *  11. The program starts only after the first message on the channel,
 *      the ruleset or, without rules, INIT_GO: the launcher sends it once
 *      bwrap has all its options (run.c, rule 12). A channel that closes
 *      first, or says anything else, ends the init with 127.
 */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proxy.h"
#include "strbuf.h"
#include "fsutil.h"
#include "landlock.h"
#include "util.h"

extern char **environ;

static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGTSTP, SIGCONT,
};

/* The highest signal number a MASK can name. */
#define MASK_SIGNALS 64

void init_forwarded_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(set, forwarded[i]);
}

bool init_is_forwarded(int sig)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(forwarded); i++)
		if (forwarded[i] == sig)
			return true;
	return false;
}

bool init_env_is_loader(const char *name)
{
	return str_has_prefix(name, "LD_") || str_has_prefix(name, "MALLOC_") ||
	       !strcmp(name, "GLIBC_TUNABLES");
}

/* Take the INIT_ENV_PREFIX<n>=NAME=VALUE entries out of the environment,
 * into out[n] = "NAME=VALUE" (out has INIT_ENV_MAX slots). Returns the
 * number of slots used, or -1 for a malformed entry. */
static int take_loader_env(char **out)
{
	size_t plen = strlen(INIT_ENV_PREFIX);
	int used = 0;
	char **e;

	for (e = environ; *e;) {
		const char *s = *e + plen, *eq;
		long n = 0;

		if (strncmp(*e, INIT_ENV_PREFIX, plen)) {
			e++;
			continue;
		}
		for (eq = s; *eq >= '0' && *eq <= '9' && eq - s < 5; eq++)
			n = n * 10 + (*eq - '0');
		if (eq == s || *eq != '=' || (eq - s > 1 && *s == '0') || n >= INIT_ENV_MAX ||
		    out[n] || !strchr(eq + 1, '=') || eq[1] == '=')
			return -1;
		out[n] = xstrdup(eq + 1);
		if (n + 1 > used)
			used = (int)n + 1;
		{
			cleanup_free char *name = xstrndup(*e, (size_t)(eq - *e));

			unsetenv(name);	/* environ shifts: look at *e again */
		}
	}
	return used;
}

static void free_loader_env(char **vars)
{
	int i;

	for (i = 0; i < INIT_ENV_MAX; i++)
		free(vars[i]);
	free(vars);
}

/* In the program's process, before exec. */
static int put_loader_env(char **vars, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		char *eq = vars[i] ? strchr(vars[i], '=') : NULL;

		if (!eq)
			continue;
		*eq = '\0';
		if (!init_env_is_loader(vars[i]) || setenv(vars[i], eq + 1, 1) < 0)
			return -1;
	}
	return 0;
}

uint64_t init_ignored_signals(void)
{
	struct sigaction sa;
	uint64_t mask = 0;
	int sig;

	for (sig = 1; sig <= MASK_SIGNALS && sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			mask |= (uint64_t)1 << (sig - 1);
	return mask;
}

/* 1 to 16 lowercase hex digits, nothing else. */
static int parse_mask(const char *s, uint64_t *out)
{
	size_t n = strspn(s, "0123456789abcdef");
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 16 || s[n])
		return -1;
	for (i = 0; i < n; i++)
		v = v << 4 | (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	*out = v;
	return 0;
}

static bool in_mask(uint64_t mask, int sig)
{
	return sig >= 1 && sig <= MASK_SIGNALS && (mask >> (sig - 1) & 1);
}

static void on_signal(int sig)
{
	(void)sig;	/* never runs: the signal is blocked and waited for */
}

static void set_disposition(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = handler;
	sigaction(sig, &sa, NULL);	/* fails only for glibc's own signals */
}

/* The init's own dispositions: rule 1, except that the forwarded signals
 * get a handler (so they are queued for pid 1 whatever the kernel's rules
 * for init, and exec turns it back into the default) and SIGCHLD stays at
 * its default (ignoring it would reap children behind the init's back). */
static void set_init_dispositions(uint64_t ignored)
{
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (init_is_forwarded(sig))
			set_disposition(sig, on_signal);
		else if (sig != SIGCHLD && in_mask(ignored, sig))
			set_disposition(sig, SIG_IGN);
		else
			set_disposition(sig, SIG_DFL);
	}
}

/* In the program's process, before exec: the exceptions above, undone. */
static void set_program_dispositions(uint64_t ignored)
{
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if ((sig == SIGCHLD || init_is_forwarded(sig)) && in_mask(ignored, sig))
			set_disposition(sig, SIG_IGN);
}

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* Close every descriptor from lo to hi, by close_range or one by one from
 * /proc/self/fd (kernels before 5.9). */
static void close_from_to(unsigned lo, unsigned hi)
{
	DIR *d;
	struct dirent *de;

	if (lo > hi || syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long fd = strtoul(de->d_name, &end, 10);

		if (!*end && end != de->d_name && fd >= lo && fd <= hi && (int)fd != dirfd(d))
			close((int)fd);
	}
	closedir(d);
}

/* Everything but 0, 1, 2 and the nr descriptors of keep (above 2). */
static void close_others(const int *keep, size_t nr)
{
	unsigned lo = 3;
	size_t i;
	int next;

	for (;;) {
		next = -1;
		for (i = 0; i < nr; i++)
			if (keep[i] >= (int)lo && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0)
			break;
		close_from_to(lo, (unsigned)next - 1);
		lo = (unsigned)next + 1;
	}
	close_from_to(lo, ~0U);
}

/* A descriptor's number, above 2: the channel's, an option's. */
static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 3 || v > 1 << 20)
		return -1;
	return (int)v;
}

/* The options between CHANNEL and "--", each NAME=VALUE. */
struct init_opts {
	const char *build;  /* build=ID: the launcher's sources */
	int proxy;      /* proxy=FD: hand the proxy's listeners over on FD */
	int rules;      /* rules=FD: the Landlock path rules, a sealed memory file */
};

/* Parse argv[0..] up to "--" into o. Returns the index of "--", or -1. */
static int parse_opts(int argc, char **argv, struct init_opts *o)
{
	int i;

	o->proxy = o->rules = -1;
	o->build = NULL;
	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		if (str_has_prefix(argv[i], "build=") && !o->build) {
			o->build = argv[i] + 6;
			continue;	/* once */
		}
		if (str_has_prefix(argv[i], "proxy=") && o->proxy < 0 &&
		    (o->proxy = parse_fd(argv[i] + 6)) >= 0)
			continue;	/* once */
		if (str_has_prefix(argv[i], "rules=") && o->rules < 0 &&
		    (o->rules = parse_fd(argv[i] + 6)) >= 0)
			continue;	/* once */
		return -1;
	}
	return i < argc ? i : -1;
}

/* The rules' memory file: sealed, so that nothing can change them between
 * the launcher and here. Read, then closed. */
#define RULES_MAX_BYTES (4u << 20)
#define RULES_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static int read_rules(int fd, struct strbuf *out, struct strbuf *err)
{
	int seals = fcntl(fd, F_GET_SEALS);
	int ret;

	if (seals < 0 || (seals & RULES_SEALS) != RULES_SEALS) {
		strbuf_addstr(err, "the landlock rules are not in a sealed memory file");
		close(fd);
		return -1;
	}
	ret = fs_read_fd(fd, RULES_MAX_BYTES, out, "the landlock rules", err);
	close(fd);
	return ret;
}

/* The ruleset the launcher begun on the host, from the channel: the first
 * message there, one Landlock ruleset. */
static int host_ruleset(int chan, struct strbuf *err)
{
	cleanup_free char *what = NULL;
	int fds[FS_FDS_MAX];
	size_t i, n = 0;
	char tag = 0;
	int r;

	while ((r = fs_recv_fds(chan, 0, &tag, fds, &n)) < 0 && errno == EINTR)
		;
	if (r <= 0) {
		strbuf_addstr(err, r < 0 ? "cannot read the channel" : "the launcher is gone");
		return -1;
	}
	if (n == 1) {
		cleanup_free char *link = xasprintf("/proc/self/fd/%d", fds[0]);

		what = fs_readlink_at(AT_FDCWD, link);
	}
	if (tag != INIT_RULESET || n != 1 || !what || strcmp(what, "anon_inode:[landlock-ruleset]")) {
		for (i = 0; i < n; i++)
			close(fds[i]);
		strbuf_addstr(err, "the launcher sent no landlock ruleset");
		return -1;
	}
	return fds[0];
}

/* Without rules, the launcher's word that bwrap has all its options
 * (INIT_GO): the first message on the channel. */
static int await_go(int chan, struct strbuf *err)
{
	char tag = 0;
	ssize_t n;

	while ((n = read(chan, &tag, 1)) < 0 && errno == EINTR)
		;
	if (n != 1 || tag != INIT_GO) {
		strbuf_addstr(err, n == 0 ? "the launcher is gone" : "the launcher did not start "
			      "the sandbox");
		return -1;
	}
	return 0;
}

/* The path ruleset: the launcher's, finished with the rules in the
 * rules' descriptor (rule 10). -1 when there are none (once the launcher
 * said to go on); -2 with err when it cannot be built. */
static int path_ruleset(int chan, int rules_fd, struct strbuf *err)
{
	cleanup_strbuf struct strbuf rules = STRBUF_INIT;
	cleanup_fd int fd = -1;

	if (rules_fd < 0)
		return await_go(chan, err) < 0 ? -2 : -1;
	if ((fd = host_ruleset(chan, err)) < 0 || read_rules(rules_fd, &rules, err) < 0 ||
	    landlock_finish_ruleset(fd, landlock_abi(), rules.buf, rules.len, err) < 0)
		return -2;
	return steal_fd(&fd);
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* The terminal on 0, 1 or 2, or -1. */
static int terminal_fd(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (isatty(fd))
			return fd;
	return -1;
}

/* In the program's process: a process group of its own, the terminal's
 * foreground one (rule 2). SIGTTOU is blocked here (init's mask), so the
 * terminal lets a background group take it. */
static void own_group(void)
{
	int tty = terminal_fd();

	if (setpgid(0, 0) < 0)
		return;
	if (tty >= 0)
		tcsetpgrp(tty, getpid());
}

/* In the program's process, a vfork child of the init's (its memory, its
 * stack, until the exec): its process group, dispositions and mask, the
 * path domain (ruleset -1: none), then exec. Nothing here allocates or
 * touches stdio; the loader variables are in the environment already. */
static void exec_program(char **argv, uint64_t ignored, int ruleset)
{
	sigset_t empty;

	own_group();
	set_program_dispositions(ignored);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	if (ruleset >= 0 && (landlock_restrict(ruleset) < 0 || close(ruleset) < 0)) {
		dprintf(STDERR_FILENO, PROG ": cannot enter the landlock domain: %s\n",
			strerror(errno));
		_exit(127);
	}
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, PROG ": cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* The program's process: it shares the init's memory until its exec, and
 * the init waits for that anyway (no copy of the page tables). No handler
 * of the init's can run in it: the signals that have one stay blocked
 * until exec_program has set them back. */
static pid_t start_program(char **argv, uint64_t ignored, int ruleset)
{
	pid_t pid = vfork();

	if (pid == 0)
		exec_program(argv, ignored, ruleset);
	return pid;
}

/* ---- stopping the whole sandbox (rule 4) ---- */

/* How long the init waits for every process to have stopped. */
#define FREEZE_WAIT_MS 2000
#define FREEZE_MAX 65536

struct frozen {
	pid_t *held;            /* stopped already before: left so */
	size_t nr, alloc;
	bool on;
};

/* Each process of the sandbox but the init: fn(pid, state, pgid). -1
 * when one could not be read but is not gone (the sandbox can lower the
 * init's limit on descriptors, prlimit(2)): not counted as stopped. */
static int each_process(void (*fn)(pid_t pid, char state, pid_t pgid, void *data),
			void *data)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[64], buf[512], *p;
		long pid = strtol(de->d_name, &p, 10);
		long pgid;
		char state;
		ssize_t n;
		int fd;

		if (*p || pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && (errno == ENOENT || errno == ESRCH))
			continue;	/* gone */
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n < 0 && errno == ESRCH)
			continue;
		if (n <= 0) {
			ret = -1;
			continue;
		}
		buf[n] = '\0';
		/* "PID (COMM) STATE PPID PGRP ...": COMM ends at the last ')'. */
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %c %*d %ld", &state, &pgid) != 2)
			continue;
		fn((pid_t)pid, state, (pid_t)pgid, data);
	}
	closedir(d);
	return ret;
}

static void note_stopped(pid_t pid, char state, pid_t pgid, void *data)
{
	struct frozen *f = data;

	(void)pgid;
	if (state != 'T' && state != 't')
		return;
	if (f->nr == f->alloc) {
		if (f->alloc >= FREEZE_MAX)
			return;
		f->alloc = f->alloc ? 2 * f->alloc : 64;
		f->held = xrealloc(f->held, f->alloc * sizeof(*f->held));
	}
	f->held[f->nr++] = pid;
}

static void count_running(pid_t pid, char state, pid_t pgid, void *data)
{
	(void)pid;
	(void)pgid;
	if (state != 'T' && state != 't' && state != 'Z' && state != 'X')
		++*(size_t *)data;
}

struct thaw {
	const struct frozen *f;
	pid_t program;          /* the program's process group */
};

static void thaw_one(pid_t pid, char state, pid_t pgid, void *data)
{
	const struct thaw *t = data;
	size_t i;

	(void)state;
	if (pgid != t->program)
		for (i = 0; i < t->f->nr; i++)
			if (t->f->held[i] == pid)
				return;
	kill(pid, SIGCONT);
}

/* Continue what the freeze stopped, and the program's process group. */
static void thaw(struct frozen *f, pid_t child)
{
	struct thaw t = { f, getpgid(child) > 0 ? getpgid(child) : child };

	each_process(thaw_one, &t);
	kill(child, SIGCONT);
	f->nr = 0;
	f->on = false;
}

/* Stop every process of the sandbox, and wait until each has. Returns 0
 * when all have, -1 when the sandbox was continued instead. */
static int freeze(struct frozen *f, pid_t child)
{
	int waited;

	f->nr = 0;
	f->on = true;
	if (each_process(note_stopped, f) < 0 || kill(-1, SIGSTOP) < 0) {
		thaw(f, child);
		return -1;
	}
	for (waited = 0; waited < FREEZE_WAIT_MS; waited++) {
		size_t running = 0;

		if (each_process(count_running, &running) < 0)
			break;
		if (!running)
			return 0;
		poll(NULL, 0, 1);
	}
	thaw(f, child);
	return -1;
}

/* Forward, reap, and watch the channel until the program ends. */
static int supervise(pid_t child, int sfd, int chan)
{
	struct frozen f = { NULL, 0, 0, false };

	for (;;) {
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { chan, POLLIN, 0 } };
		struct signalfd_siginfo si;
		pid_t pid;
		char c, msg[2];
		int st;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, PROG ": cannot wait for signals: %s\n", strerror(errno));
			return 127;
		}
		if (p[1].revents) {
			if (read(chan, &c, 1) <= 0) {
				free(f.held);
				return 137;	/* the launcher is gone: end it all */
			}
			if (c == INIT_CONTINUE && f.on)
				thaw(&f, child);
		}
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if ((int)si.ssi_signo != SIGCHLD) {
			bool group = si.ssi_code == SI_QUEUE && si.ssi_int == INIT_SIG_GROUP;

			/* The group, when the program leads one (setsid can be
			 * refused by an allowlist). */
			if (group && getpgid(child) == child)
				kill(-child, (int)si.ssi_signo);
			else
				kill(child, (int)si.ssi_signo);
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG | WUNTRACED)) > 0) {
			if (pid != child)
				continue;
			if (!WIFSTOPPED(st)) {
				int code = status_code(st);

				free(f.held);
				msg[0] = INIT_EXITED;
				msg[1] = (char)code;
				if (write(chan, msg, sizeof(msg)) < 0) {
					/* the launcher is gone, or takes bwrap's status */
				}
				return code;
			}
			if (f.on || freeze(&f, child) < 0)
				continue;
			msg[0] = INIT_STOPPED;
			msg[1] = (char)WSTOPSIG(st);
			if (write(chan, msg, sizeof(msg)) < 0)
				thaw(&f, child);
		}
	}
}

/* Is id another build's than this init's? Then it says so. */
static bool other_build(const char *id)
{
	if (!strcmp(id, SV_BUILD_ID))
		return false;
	fprintf(stderr, PROG ": the sandbox's init (build %s) is from another build than the "
		"launcher (build %s)\nhint: install sandbox-venv and sandbox-venv-init again, "
		"together\n", SV_BUILD_ID, id);
	return true;
}

int init_main(int argc, char **argv)
{
	struct init_opts o;
	sigset_t waited, blocked;
	char **loader_env;
	uint64_t ignored;
	int n_loader, chan, sfd, ruleset, dashes = -1;
	pid_t child;

	/* First, before options another build may spell differently. */
	if (argc >= 3 && str_has_prefix(argv[2], "build=") && other_build(argv[2] + 6))
		return 127;
	if (argc < 4 || parse_mask(argv[0], &ignored) < 0 ||
	    (chan = parse_fd(argv[1])) < 0 ||
	    (dashes = parse_opts(argc - 2, argv + 2, &o)) < 0 || dashes + 3 >= argc ||
	    o.proxy == chan || o.rules == chan || (o.proxy >= 0 && o.proxy == o.rules)) {
		fprintf(stderr, PROG ": usage: " PROG " " INIT_ROLE
			" MASK CHANNEL [build=ID] [proxy=FD] [rules=FD] -- PROGRAM [ARGS...]\n");
		return 127;
	}
	if (o.build && other_build(o.build))
		return 127;
	argv += dashes;	/* argv[2] is "--", argv[3] the program, as without options */
	{
		int keep[] = { chan, o.proxy, o.rules };

		close_others(keep, ARRAY_SIZE(keep));
	}
	if (fcntl(chan, F_SETFD, FD_CLOEXEC) < 0)
		return 127;	/* no channel: no launcher to run for */
	/* Not to be traced by the program: an attach would stop pid 1, and
	 * with it the launch. The program is dumpable again after its exec. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Run from /proc/self/fd/N, its name would be N (ps, top). */
	prctl(PR_SET_NAME, "init", 0, 0, 0);
	{
		cleanup_strbuf struct strbuf err = STRBUF_INIT;

		ruleset = path_ruleset(chan, o.rules, &err);
		if (ruleset == -2) {
			fprintf(stderr, PROG ": %s\n", err.buf);
			return 127;
		}
	}
	/* Once the launcher has said to go on (rule 11). */
	if (o.proxy >= 0) {
		cleanup_strbuf struct strbuf err = STRBUF_INIT;
		int r = proxy_hand_listeners(o.proxy, &err);

		close(o.proxy);
		if (r < 0) {
			if (ruleset >= 0)
				close(ruleset);
			fprintf(stderr, PROG ": network: %s\n", err.buf);
			return 127;
		}
	}
	loader_env = xcalloc(INIT_ENV_MAX, sizeof(*loader_env));
	n_loader = take_loader_env(loader_env);
	if (n_loader < 0) {
		fprintf(stderr, PROG ": malformed " INIT_ENV_PREFIX " variable\n");
		free_loader_env(loader_env);
		return 127;
	}
	set_init_dispositions(ignored);
	init_forwarded_set(&waited);
	sigaddset(&waited, SIGCHLD);
	/* The sandbox's terminal, when it has one, is the init's controlling
	 * one: the init leads the session bwrap made. */
	if (terminal_fd() >= 0)
		ioctl(terminal_fd(), TIOCSCTTY, 0);
	blocked = waited;
	sigaddset(&blocked, SIGTTOU);	/* for the child, until its exec */
	if (sigprocmask(SIG_SETMASK, &blocked, NULL) < 0 ||
	    (sfd = signalfd(-1, &waited, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, PROG ": cannot block signals: %s\n", strerror(errno));
		return 127;
	}
	/* The init execs nothing itself: the loader variables can go into its
	 * environment now, for the program's exec alone. */
	if (put_loader_env(loader_env, n_loader) < 0) {
		fprintf(stderr, PROG ": cannot set the program's loader variables\n");
		free_loader_env(loader_env);
		return 127;
	}
	free_loader_env(loader_env);
	fflush(NULL);
	child = start_program(argv + 3, ignored, ruleset);
	if (child < 0) {
		fprintf(stderr, PROG ": cannot start '%s': %s\n", argv[3], strerror(errno));
		return 127;
	}
	if (ruleset >= 0)
		close(ruleset);
	return supervise(child, sfd, chan);
}
