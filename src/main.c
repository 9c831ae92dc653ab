/* main.c - sandbox-venv: wrap a venv, or launch one of its entry points.
 *
 *   sandbox-venv [VENV_DIR] [BWRAP_OPTS...]      wrap (default VENV_DIR: .venv)
 *   sandbox-venv --check [VENV_DIR]              audit
 *   sandbox-venv --unwrap [VENV_DIR]             back to an ordinary venv
 *   sandbox-venv --gate GATE [ARGS...]           what a gate runs (kernel)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "init.h"
#include "landlock.h"
#include "launch.h"
#include "strvec.h"
#include "util.h"
#include "venv.h"
#include "wrap.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif

static const char usage[] =
	"Usage: sandbox-venv [--project DIR] [VENV_DIR] [BWRAP_OPTS...]\n"
	"\n"
	"Make every entry point in VENV_DIR/bin (default: .venv) run inside a fresh\n"
	"bubblewrap sandbox: the project (the venv's parent) read-write, the venv\n"
	"and .git read-only, the rest of the system read-only or absent, a\n"
	"per-venv home, and a system call filter.\n"
	"\n"
	"BWRAP_OPTS are recorded and added to every launch (see bwrap(1)).\n"
	"\n"
	"Options:\n"
	"      --project DIR        the project is DIR, not the venv's parent (a venv kept\n"
	"                           elsewhere, such as poetry's cache); it is recorded\n"
	"      --check [VENV_DIR]   audit a wrapped venv: exit 0 when intact, else list\n"
	"                           what is not as sandbox-venv wrote it and exit 1\n"
	"      --unwrap [VENV_DIR]  make it an ordinary venv again\n"
	"  -h, --help               show this help\n"
	"      --version            show the version\n"
	"\n"
	"Environment of a launch:\n"
	"  BWRAP_ARGS             more bwrap arguments, space- or newline-delimited\n"
	"  SANDBOX_PASS_ENV       names of variables to pass into the sandbox\n"
	"  SANDBOX_SECCOMP_ALLOW  allowlist of system calls; set but blank: no filter\n"
	"  SANDBOX_LAYOUT         'binds': one bind per file even with Landlock;\n"
	"                         'landlock': fail without Landlock\n"
	"  SANDBOX_USE_PIP_CACHE  share ~/.cache/pip with the sandbox (insecure)\n"
	"  VERBOSE                print each mount with its reason, then the bwrap command\n"
	"\n"
	"VENV_DIR/bin/shell opens a shell inside the sandbox.\n";

/* The absolute path of this binary, for the gates' #! line. */
static char *self_path(void)
{
	char *p = realpath("/proc/self/exe", NULL);

	if (!p)
		die("cannot find my own path: %s", strerror(errno));
	if (strpbrk(p, " \t\n") || strlen(p) > 200)
		die_hint("install it under a path without blanks, e.g. make install PREFIX=/usr/local",
			 "cannot write gates for '%s': a #! line cannot carry this path", p);
	return p;
}

static int cmd_wrap(const char *dir, const char *project, const char *const *opts)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strvec struct strvec bwrap_args = STRVEC_INIT;
	cleanup_strvec struct strvec gated = STRVEC_INIT;
	cleanup_free char *exe = self_path();
	struct venv v;
	bool named;

	strvec_pushv(&bwrap_args, opts);
	if (strvec_find(&bwrap_args, "--project") >= 0)
		die("--project comes first: sandbox-venv --project DIR [VENV_DIR] [BWRAP_OPTS...]");
	venv_init(&v);
	if (venv_open(dir, &v, &err) < 0)
		die("%s", err.buf);
	if (project && wrap_set_project(&v, project, &err) < 0)
		die("%s", err.buf);
	named = project || wrap_recorded_project(&v);
	if (wrap_check_project(&v, getenv("HOME"), named, &err) < 0)
		die("%s", err.buf);
	if (wrap_venv(&v, exe, &bwrap_args, &gated, &err) < 0)
		die("%s", err.buf);
	printf("%s: every entry point in '%s/bin' now runs in a sandbox", PROG, dir);
	if (gated.nr)
		printf(" (%zu newly gated)", gated.nr);
	if (named)
		printf("; its project is '%s'", v.project);
	printf("\n");
	venv_release(&v);
	return 0;
}

static int open_venv_arg(int argc, char **argv, struct venv *v)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	if (argc > 3)
		die("%s takes one venv directory at most", argv[1]);
	venv_init(v);
	if (venv_open(argc == 3 ? argv[2] : ".venv", v, &err) < 0)
		die("%s", err.buf);
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strvec struct strvec findings = STRVEC_INIT;
	cleanup_free char *exe = self_path();
	struct venv v;
	size_t i;

	open_venv_arg(argc, argv, &v);
	if (wrap_check(&v, exe, &findings, &err) < 0)
		die("%s", err.buf);
	for (i = 0; i < findings.nr; i++)
		printf("%s: %s\n", v.path, findings.v[i]);
	{
		cleanup_strbuf struct strbuf line = STRBUF_INIT;
		struct launch_layout layout;
		int abi = landlock_abi();

		if (launch_choose_layout(&layout, &line) < 0) {
			printf("%s: %s\n", v.path, line.buf);
		} else {
			launch_describe_layout(&layout, &line);
			printf("%s: %s\n", v.path, line.buf);
		}
		if (abi < LANDLOCK_SCOPE_MIN_ABI)
			printf("%s: note: this kernel has no Landlock scopes (ABI %d, scopes need %d): "
			       "sandboxes can reach the host's abstract unix sockets and signal its "
			       "processes\n", v.path, abi < 0 ? 0 : abi, LANDLOCK_SCOPE_MIN_ABI);
	}
	if (!findings.nr)
		printf("%s: intact: every entry point runs in a sandbox\n", v.path);
	venv_release(&v);
	return findings.nr ? 1 : 0;
}

static int cmd_unwrap(int argc, char **argv)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct venv v;

	open_venv_arg(argc, argv, &v);
	if (wrap_unwrap(&v, &err) < 0)
		die("%s", err.buf);
	printf("%s: an ordinary venv again; its sandbox home and cache stay in "
	       "'%s/home' and '%s/cache'\n", PROG, v.path, v.path);
	venv_release(&v);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = ".venv";
	const char *project = NULL;
	int first = 1;

	if (argc >= 2 && !strcmp(argv[1], INIT_ROLE))
		return init_main(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "--gate")) {
		cleanup_free char *exe = self_path();

		return launch_gate(exe, argv[2], (const char *const *)argv + 3);
	}
	if (argc >= 2) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--version")) {
			puts("sandbox-venv " VERSION);
			return 0;
		}
		if (!strcmp(argv[1], "--gate"))
			die("--gate needs the gate's path");
		if (!strcmp(argv[1], "--check"))
			return cmd_check(argc, argv);
		if (!strcmp(argv[1], "--unwrap"))
			return cmd_unwrap(argc, argv);
		if (!strcmp(argv[1], "--project")) {
			if (argc < 3)
				die("--project needs a directory");
			project = argv[2];
			first = 3;
		}
		if (first < argc && argv[first][0] != '-')
			dir = argv[first++];
	}
	return cmd_wrap(dir, project, (const char *const *)argv + first);
}
