/* run.c - execute bwrap for a finished plan. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "wrap.h"

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

int run_sandbox(const struct strvec *opts, const struct strvec *argv,
		const struct strvec *env, bool wait, int *status, struct strbuf *err)
{
	cleanup_strbuf struct strbuf data = STRBUF_INIT;
	cleanup_strvec struct strvec cmd = STRVEC_INIT;
	cleanup_fd int args_fd = -1;
	size_t i;
	pid_t pid;
	int st;

	for (i = 0; i < opts->nr; i++)
		strbuf_add(&data, opts->v[i], strlen(opts->v[i]) + 1);
	args_fd = fs_memfd_data("bwrap-args", data.buf, data.len, err);
	if (args_fd < 0)
		return -1;
	if (inherit(args_fd) < 0) {
		strbuf_addf(err, "cannot pass arguments to bwrap: %s", strerror(errno));
		return -1;
	}
	strvec_pushl(&cmd, "bwrap", "--args", NULL);
	strvec_pushf(&cmd, "%d", args_fd);
	strvec_push(&cmd, "--");
	strvec_pushv(&cmd, argv->v);
	fflush(NULL);
	if (!wait) {
		execve(BWRAP_PATH, (char *const *)cmd.v, (char *const *)env->v);
		strbuf_addf(err, "cannot run '%s': %s\nhint: install bubblewrap", BWRAP_PATH,
			    strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		strbuf_addf(err, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execve(BWRAP_PATH, (char *const *)cmd.v, (char *const *)env->v);
		fprintf(stderr, PROG ": cannot run '%s': %s\n", BWRAP_PATH, strerror(errno));
		_exit(127);
	}
	close(steal_fd(&args_fd));
	/* Like system(3): the terminal's signals are the program's. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			strbuf_addf(err, "cannot wait for bwrap: %s", strerror(errno));
			return -1;
		}
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	*status = exit_code(st);
	return 0;
}
