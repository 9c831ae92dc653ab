/* init.c - the first process inside every sandbox.
 *
 * What MUST hold:
 *  1. The program starts with the dispositions the launcher's caller gave:
 *     the signals it ignored stay ignored, every other one is at its
 *     default, whatever the launcher and bwrap changed on the way (they
 *     ignore SIGINT and SIGQUIT so that Ctrl-C reaches only the program).
 *     Its signal mask is empty.
 *  2. The program stays in the process group and session it was started
 *     in: the terminal's job control acts on it directly. The init never
 *     touches the terminal.
 *  3. A forwarded signal (init.h) that a process sends to the init is
 *     passed on to the program; one the terminal generated (si_code
 *     SI_KERNEL) is not, since the program, in the same group, got it too.
 *  4. Every child is reaped; the init exits as soon as the program does,
 *     with its exit status, or 128+N for a death by signal N (pid 1 cannot
 *     die of its own signals, so the status is mapped, not re-raised).
 *  5. Nothing from the sandbox runs before the program: the init only
 *     parses its own arguments and execs the program. The loader
 *     variables meant for the program (init.h) reach it only: the init's
 *     own loader never sees them.
 *  6. Descriptors (DESIGN MUST 9): before anything else the init closes
 *     every descriptor but 0, 1, 2 and the lifeline, whatever bwrap let
 *     through; the program starts with 0, 1 and 2 only. A directory
 *     descriptor inside would lead out of every mount.
 *  7. The sandbox never outlives the launcher: when the lifeline closes,
 *     the init exits, and the kernel ends every process of its pid
 *     namespace with it.
 *  8. Path rules (init.h, RULES): when the launcher hands them over, the
 *     program starts inside a Landlock domain built from exactly those
 *     rules (landlock.h). The init reads them before anything of the
 *     sandbox runs, from a memory file sealed against every change (one
 *     that is not is refused), and closes it; a rule or a confinement that
 *     fails stops the launch: the program never runs unconfined.
 */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "landlock.h"
#include "util.h"

extern char **environ;

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };

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

/* Everything but 0, 1, 2 and the two kept (-1: none). */
static void close_others(int keep1, int keep2)
{
	unsigned lo = 3;
	int keep[2] = { keep1 < keep2 ? keep1 : keep2, keep1 < keep2 ? keep2 : keep1 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keep); i++) {
		if (keep[i] < (int)lo)
			continue;
		close_from_to(lo, (unsigned)keep[i] - 1);
		lo = (unsigned)keep[i] + 1;
	}
	close_from_to(lo, ~0U);
}

/* A descriptor's number: above 2. */
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

/* The path ruleset from the rules' descriptor, or -1 when there are none
 * (RULES "-"); -2 with err when it cannot be built. */
static int path_ruleset(int rules_fd, struct strbuf *err)
{
	cleanup_strbuf struct strbuf rules = STRBUF_INIT;
	int fd;

	if (rules_fd < 0)
		return -1;
	if (read_rules(rules_fd, &rules, err) < 0)
		return -2;
	fd = landlock_path_ruleset(landlock_abi(), rules.buf, rules.len, err);
	return fd < 0 ? -2 : fd;
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* In the program's process: its dispositions, mask and loader variables,
 * the path domain (ruleset -1: none), then exec. */
static void exec_program(char **argv, char **loader_env, int n_loader, uint64_t ignored,
			 int ruleset)
{
	sigset_t empty;

	if (put_loader_env(loader_env, n_loader) < 0) {
		fprintf(stderr, PROG ": cannot set the program's loader variables\n");
		_exit(127);
	}
	set_program_dispositions(ignored);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	if (ruleset >= 0 && (landlock_restrict(ruleset) < 0 || close(ruleset) < 0)) {
		fprintf(stderr, PROG ": cannot enter the landlock domain: %s\n", strerror(errno));
		_exit(127);
	}
	execvp(argv[0], argv);
	fprintf(stderr, PROG ": cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Forward, reap, and watch the lifeline until the program ends. */
static int supervise(pid_t child, int sfd, int lifeline)
{
	for (;;) {
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { lifeline, POLLIN, 0 } };
		struct signalfd_siginfo si;
		pid_t pid;
		int st;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, PROG ": cannot wait for signals: %s\n", strerror(errno));
			return 127;
		}
		if (p[1].revents)
			return 137;	/* the launcher is gone: end it all */
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if ((int)si.ssi_signo != SIGCHLD) {
			if (si.ssi_code != SI_KERNEL)
				kill(child, (int)si.ssi_signo);
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (pid == child)
				return status_code(st);
	}
}

int init_main(int argc, char **argv)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	sigset_t waited;
	char **loader_env;
	uint64_t ignored;
	int n_loader, lifeline, rules_fd = -1, ruleset, sfd;
	pid_t child;

	if (argc < 5 || parse_mask(argv[0], &ignored) < 0 ||
	    (lifeline = parse_fd(argv[1])) < 0 ||
	    (strcmp(argv[2], "-") && (rules_fd = parse_fd(argv[2])) < 0) ||
	    rules_fd == lifeline || strcmp(argv[3], "--")) {
		fprintf(stderr, PROG ": usage: " PROG " " INIT_ROLE
			" MASK LIFELINE RULES -- PROGRAM [ARGS...]\n");
		return 127;
	}
	close_others(lifeline, rules_fd);
	if (fcntl(lifeline, F_SETFD, FD_CLOEXEC) < 0)
		return 127;	/* no lifeline: no launcher to run for */
	ruleset = path_ruleset(rules_fd, &err);
	if (ruleset == -2) {
		fprintf(stderr, PROG ": %s\n", err.buf);
		return 127;
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
	if (sigprocmask(SIG_SETMASK, &waited, NULL) < 0 ||
	    (sfd = signalfd(-1, &waited, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, PROG ": cannot block signals: %s\n", strerror(errno));
		return 127;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		fprintf(stderr, PROG ": cannot start '%s': %s\n", argv[4], strerror(errno));
		free_loader_env(loader_env);
		return 127;
	}
	if (child == 0)
		exec_program(argv + 4, loader_env, n_loader, ignored, ruleset);
	if (ruleset >= 0)
		close(ruleset);
	free_loader_env(loader_env);
	return supervise(child, sfd, lifeline);
}
