/* bwrapopts.c - bwrap's options, checked one by one. See bwrapopts.h. */
#include "bwrapopts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"
#include "wrap.h"

#define V BWRAPOPT_VALUE
#define S BWRAPOPT_SRC
#define D BWRAPOPT_DEST

#define FD_REFUSED "it takes a descriptor, and no descriptor of yours reaches the sandbox; " \
	"name a path instead"
#define PLUMBING "sandbox-venv sets this up itself"

/* bwrap's options, 0.8 and later; sorted by name. */
static const struct bwrapopt table[] = {
	{ "--add-seccomp-fd", 1, { V }, "the system call filter is sandbox-venv's (see SANDBOX_SECCOMP_ALLOW)", 0 },
	{ "--args", 1, { V }, PLUMBING ": its options reach bwrap this way", 0 },
	{ "--argv0", 1, { V }, NULL, 0 },
	{ "--as-pid-1", 0, { V }, "the sandbox's pid 1 is sandbox-venv's init, which passes signals on", 0 },
	{ "--assert-userns-disabled", 0, { V }, NULL, 0 },
	{ "--bind", 2, { S, D }, NULL, 'w' },
	{ "--bind-data", 2, { V, D }, FD_REFUSED, 'w' },
	{ "--bind-fd", 2, { V, D }, FD_REFUSED, 'w' },
	{ "--bind-try", 2, { S, D }, NULL, 'w' },
	{ "--block-fd", 1, { V }, FD_REFUSED, 0 },
	{ "--cap-add", 1, { V }, NULL, 0 },
	{ "--cap-drop", 1, { V }, NULL, 0 },
	{ "--chdir", 1, { D }, NULL, 0 },
	{ "--chmod", 2, { V, D }, NULL, 0 },
	{ "--clearenv", 0, { V }, "it would clear the environment sandbox-venv sets (PATH, HOME); "
	  "use --unsetenv NAME", 0 },
	{ "--dev", 1, { D }, NULL, 'd' },
	{ "--dev-bind", 2, { S, D }, NULL, 'd' },
	{ "--dev-bind-try", 2, { S, D }, NULL, 'd' },
	{ "--die-with-parent", 0, { V }, NULL, 0 },
	{ "--dir", 1, { D }, NULL, 0 },
	{ "--disable-userns", 0, { V }, NULL, 0 },
	{ "--exec-label", 1, { V }, NULL, 0 },
	{ "--file", 2, { V, D }, FD_REFUSED, 'w' },
	{ "--file-label", 1, { V }, NULL, 0 },
	{ "--gid", 1, { V }, NULL, 0 },
	{ "--help", 0, { V }, "it is not a sandbox option", 0 },
	{ "--hostname", 1, { V }, NULL, 0 },
	{ "--info-fd", 1, { V }, PLUMBING, 0 },
	{ "--json-status-fd", 1, { V }, PLUMBING, 0 },
	{ "--level-prefix", 0, { V }, NULL, 0 },
	{ "--lock-file", 1, { D }, NULL, 0 },
	{ "--mqueue", 1, { D }, NULL, 'w' },
	{ "--new-session", 0, { V }, NULL, 0 },
	{ "--overlay", 3, { S, S, D }, NULL, 'w' },
	{ "--overlay-src", 1, { S }, NULL, 0 },
	{ "--perms", 1, { V }, NULL, 0 },
	{ "--pidns", 1, { V }, "it takes a namespace descriptor, which would replace the sandbox's own", 0 },
	{ "--proc", 1, { D }, "the sandbox has a /proc of its own; another one would show the "
	  "kernel's tunables writable to a caller running as root", 'p' },
	{ "--remount-ro", 1, { D }, NULL, 0 },
	{ "--ro-bind", 2, { S, D }, NULL, 'r' },
	{ "--ro-bind-data", 2, { V, D }, FD_REFUSED, 'r' },
	{ "--ro-bind-fd", 2, { V, D }, FD_REFUSED, 'r' },
	{ "--ro-bind-try", 2, { S, D }, NULL, 'r' },
	{ "--ro-overlay", 1, { D }, NULL, 'r' },
	{ "--seccomp", 1, { V }, "the system call filter is sandbox-venv's (see SANDBOX_SECCOMP_ALLOW)", 0 },
	{ "--setenv", 2, { V, V }, NULL, 0 },
	{ "--share-net", 0, { V }, NULL, 0 },
	{ "--size", 1, { V }, NULL, 0 },
	{ "--symlink", 2, { V, D }, NULL, 0 },
	{ "--sync-fd", 1, { V }, FD_REFUSED, 0 },
	{ "--tmp-overlay", 1, { D }, NULL, 'w' },
	{ "--tmpfs", 1, { D }, NULL, 'w' },
	{ "--uid", 1, { V }, NULL, 0 },
	{ "--unsetenv", 1, { V }, NULL, 0 },
	{ "--unshare-all", 0, { V }, NULL, 0 },
	{ "--unshare-cgroup", 0, { V }, NULL, 0 },
	{ "--unshare-cgroup-try", 0, { V }, NULL, 0 },
	{ "--unshare-ipc", 0, { V }, NULL, 0 },
	{ "--unshare-net", 0, { V }, NULL, 0 },
	{ "--unshare-pid", 0, { V }, NULL, 0 },
	{ "--unshare-user", 0, { V }, NULL, 0 },
	{ "--unshare-user-try", 0, { V }, NULL, 0 },
	{ "--unshare-uts", 0, { V }, NULL, 0 },
	{ "--userns", 1, { V }, "it takes a namespace descriptor, which would replace the sandbox's own", 0 },
	{ "--userns-block-fd", 1, { V }, FD_REFUSED, 0 },
	{ "--userns2", 1, { V }, "it takes a namespace descriptor, which would replace the sandbox's own", 0 },
	{ "--version", 0, { V }, "it is not a sandbox option", 0 },
};

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct bwrapopt *)elem)->name);
}

const struct bwrapopt *bwrapopt_find(const char *name)
{
	return bsearch(name, table, ARRAY_SIZE(table), sizeof(*table), cmp_name);
}

/* An option of a newer bwrap: its arity from the installed bwrap's --help
 * ("    --name ARG ARG   description"), or -1. Read once, only when an
 * option is not in the table. */
static int help_arity(const char *name)
{
	static struct strbuf help = STRBUF_INIT;
	static bool read_once;
	const char *p;

	if (!read_once) {
		cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
		int fd[2];
		pid_t pid;

		read_once = true;
		if (pipe2(fd, O_CLOEXEC) < 0)
			return -1;
		pid = fork();
		if (pid == 0) {
			static char *const argv[] = { (char *)"bwrap", (char *)"--help", NULL };
			static char *const envp[] = { NULL };

			dup2(fd[1], 1);
			execve(BWRAP_PATH, argv, envp);
			_exit(127);
		}
		close(fd[1]);
		if (pid > 0)
			fs_read_fd(fd[0], 65536, &help, "bwrap --help", &ignored);
		close(fd[0]);
		while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (p = help.buf; p && (p = strstr(p, name)); p += strlen(name)) {
		int n = 0;
		const char *q = p + strlen(name);

		if (p == help.buf || p[-1] != ' ' || (*q != ' ' && *q != '\n'))
			continue;
		/* Upper-case words up to the two blanks before the description. */
		while (q[0] == ' ' && q[1] >= 'A' && q[1] <= 'Z') {
			n++;
			q += strcspn(q + 1, " \n") + 1;
		}
		return n;
	}
	return -1;
}

bool bwrapopt_known(const char *arg)
{
	return bwrapopt_find(arg) || (str_has_prefix(arg, "--") && help_arity(arg) >= 0);
}

/* Is path (relative: to from, else to where the caller is) /proc, or in
 * it, as written (/proc//sys, /proc/./sys too)? */
static bool proc_source(const char *path, const char *from)
{
	cleanup_free char *cwd = path[0] == '/' || from ? NULL : getcwd(NULL, 0);
	cleanup_free char *joined = path[0] == '/' ? xstrdup(path) :
				    xasprintf("%s/%s", from ? from : cwd ? cwd : "", path);
	cleanup_free char *norm = path_normalize(joined);

	return !strcmp(norm, "/proc") || str_has_prefix(norm, "/proc/");
}

/* Where a symlink at dest inside the sandbox, to target, leads, before
 * any link on the way is followed (allocated). */
static char *link_target(const char *target, const char *dest)
{
	cleanup_free char *at = xasprintf("/%s", dest);
	char *slash = strrchr(at, '/');

	*slash = '\0';
	return target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", at, target);
}

/* Does it lead to the sandbox's root, to /proc, to the roots bwrap builds
 * it from (/newroot, /oldroot, where bwrap resolves an absolute link while
 * it builds the sandbox), or through a link an earlier option made? */
static bool link_to_root(const char *joined, const struct strvec *links)
{
	cleanup_free char *norm = path_normalize(joined);
	size_t k;

	for (k = 0; k < links->nr; k++)
		if (path_goes_past(joined, links->v[k]))
			return true;
	return !strcmp(norm, "/") || path_is_under(norm, "/proc") ||
	       path_is_under(norm, "/newroot") || path_is_under(norm, "/oldroot");
}

int bwrapopt_check(struct strvec *args, const char *what, const char *absolute_from,
		   struct strbuf *err)
{
	cleanup_strvec struct strvec links = STRVEC_INIT;	/* where --symlink made one */
	size_t i = 0, j, k;

	while (i < args->nr) {
		const char *name = args->v[i];
		const struct bwrapopt *o = bwrapopt_find(name);
		int n = o ? (int)o->nargs : help_arity(name);

		if (n < 0) {
			strbuf_addf(err, "%s: '%s' is not a bwrap option%s", what, name,
				    name[0] == '-' ? "" : " (bwrap options only: every option's "
				    "arguments come right after it)");
			return -1;
		}
		if (o && o->refused) {
			strbuf_addf(err, "%s: %s is refused: %s", what, name, o->refused);
			return -1;
		}
		if (i + (size_t)n >= args->nr) {
			size_t left = args->nr - i - 1;

			strbuf_addf(err, "%s: %s needs %d argument%s, and %zu follow%s", what, name, n,
				    n == 1 ? "" : "s", left, left == 1 ? "s" : "");
			return -1;
		}
		if (o && o->nargs && o->arg[0] == BWRAPOPT_SRC && o->mounts && o->mounts != 'r' &&
		    proc_source(args->v[i + 1], absolute_from)) {
			strbuf_addf(err, "%s: %s %s is refused: the host's /proc, writable, would give "
				    "a caller running as root the kernel's tunables (--ro-bind shows "
				    "it read-only)", what, name, args->v[i + 1]);
			return -1;
		}
		if (o && !strcmp(o->name, "--symlink") && i + 2 < args->nr) {
			cleanup_free char *to = link_target(args->v[i + 1], args->v[i + 2]);

			if (link_to_root(to, &links)) {
				strbuf_addf(err, "%s: --symlink %s %s is refused: it leads to /, to "
					    "/proc, to bwrap's own roots or through another option's "
					    "link, where a later option's path could reach /proc", what,
					    args->v[i + 1], args->v[i + 2]);
				return -1;
			}
		}
		for (j = 0; o && j < o->nargs; j++) {
			cleanup_free char *joined = NULL;
			cleanup_free char *dest = NULL;

			if (o->arg[j] != BWRAPOPT_DEST)
				continue;
			joined = xasprintf("/%s", args->v[i + 1 + j]);
			dest = path_normalize(joined);
			/* A path through a link an earlier option made leads
			 * where that link does: none is followed. */
			for (k = 0; k < links.nr; k++)
				if (path_goes_past(joined, links.v[k])) {
					strbuf_addf(err, "%s: %s ... %s is refused: it goes through the "
						    "link %s that an earlier option makes", what, name,
						    args->v[i + 1 + j], links.v[k]);
					return -1;
				}
			if (!strcmp(name, "--symlink"))
				strvec_push(&links, dest);
			if (proc_source(args->v[i + 1 + j], "/")) {
				strbuf_addf(err, "%s: %s ... %s is refused: /proc is the sandbox's "
					    "own, mounted after your options", what, name,
					    args->v[i + 1 + j]);
				return -1;
			}
		}
		for (j = 0; o && absolute_from && j < o->nargs; j++) {
			const char *a = args->v[i + 1 + j];

			if (o->arg[j] == BWRAPOPT_SRC && a[0] != '/') {
				cleanup_free char *joined = xasprintf("%s/%s", absolute_from, a);

				free((char *)args->v[i + 1 + j]);
				args->v[i + 1 + j] = path_normalize(joined);
			}
		}
		i += 1 + (size_t)n;
	}
	return 0;
}

size_t bwrapopt_group_len(const struct strvec *args, size_t i)
{
	const struct bwrapopt *o = bwrapopt_find(args->v[i]);
	int n = o ? (int)o->nargs : help_arity(args->v[i]);

	return n < 0 ? 1 : 1 + (size_t)n;
}

bool bwrapopt_net_cut(const struct strvec *args, bool cut)
{
	size_t i, n;

	for (i = 0; i < args->nr; i += n) {
		n = bwrapopt_group_len(args, i);
		if (!strcmp(args->v[i], "--unshare-net") || !strcmp(args->v[i], "--unshare-all"))
			cut = true;
		else if (!strcmp(args->v[i], "--share-net"))
			cut = false;
	}
	return cut;
}
