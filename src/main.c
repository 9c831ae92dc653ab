/* main.c - sandbox-venv: wrap a venv, or launch one of its entry points.
 *
 *   sandbox-venv [--project DIR] [--reset] [VENV_DIR] [BWRAP_OPTS...]   wrap
 *                (--network=MODE and the other permissions anywhere in it)
 *   sandbox-venv --show [VENV_DIR]               what is recorded
 *   sandbox-venv --check [VENV_DIR]              audit
 *   sandbox-venv --unwrap [VENV_DIR]             back to an ordinary venv
 *   sandbox-venv --list                          running sandboxes
 *   sandbox-venv --gate GATE [ARGS...]           what a gate runs (kernel)
 *   xdg-open URL (a link to the init)            inside: open a link (links.h)
 *
 * VENV_DIR defaults to $VIRTUAL_ENV, else the nearest .venv in the working
 * directory or its parents.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bwrapopts.h"
#include "fsutil.h"
#include "init.h"
#include "landlock.h"
#include "launch.h"
#include "lean.h"
#include "running.h"
#include "links.h"
#include "state.h"
#include "strvec.h"
#include "util.h"
#include "venv.h"
#include "wrap.h"

#define USAGE_LINE "Usage: sandbox-venv [--project DIR] [--reset] [VENV_DIR] [BWRAP_OPTS...]\n"

static const char usage[] =
	USAGE_LINE
	"       sandbox-venv --show | --check | --unwrap [VENV_DIR]\n"
	"       sandbox-venv --list\n"
	"\n"
	"Make every entry point in VENV_DIR/bin run inside a fresh bubblewrap\n"
	"sandbox: the project (the venv's parent) read-write, the venv and .git\n"
	"read-only, the rest of the system read-only or absent, a per-venv home,\n"
	"and a system call filter. VENV_DIR defaults to $VIRTUAL_ENV, else the\n"
	"nearest .venv in this directory or its parents.\n"
	"\n"
	"BWRAP_OPTS (see bwrap(1)) are recorded and added to every launch. Running\n"
	"sandbox-venv again keeps what is recorded and adds the options given;\n"
	"--reset clears the recorded options first (alone: clears them).\n"
	"\n"
	"Options:\n"
	"      --project DIR        the project is DIR, not the venv's parent (a venv kept\n"
	"                           elsewhere, such as poetry's cache); it is recorded\n"
	"      --reset              forget the recorded bwrap options, then record those given\n"
	"      --network=MODE       the network of every launch, recorded: host (shared, the\n"
	"                           default), none (loopback only), or allow=ENTRY[,ENTRY...]:\n"
	"                           only through the launcher's proxy, to HOST, *.DOMAIN,\n"
	"                           HOST:PORT, IP[:PORT], [IPv6]:PORT or CIDR (port 443 unless\n"
	"                           given); pip also reaches its configured index (or PyPI)\n"
	"      --show [VENV_DIR]    print the venv's project and recorded options\n"
	"      --check [VENV_DIR]   audit a wrapped venv: silent and exit 0 when intact,\n"
	"                           else one line per finding and exit 1\n"
	"      --unwrap [VENV_DIR]  make it an ordinary venv again\n"
	"      --list               the sandboxes this binary runs now: pid, start, venv,\n"
	"                           entry point (yours; every user's, as root)\n"
	"  -h, --help               show this help\n"
	"      --version            show the version\n"
	"\n"
	"Permissions, recorded like BWRAP_OPTS (--nosocket=, --nodevice= take one back):\n"
	"      --socket=x11         your X server: any X program can read other windows\n"
	"                           and type into them\n"
	"      --socket=wayland     your Wayland compositor: the program's own windows\n"
	"      --socket=pulseaudio  your sound server (PulseAudio, PipeWire): the\n"
	"                           microphone too\n"
	"      --device=dri         the GPU (/dev/dri, Mesa); not NVIDIA's own driver\n"
	"      --links=auto|off     links opened from inside (xdg-open, webbrowser) go to\n"
	"                           your browser, when you have a desktop session and the\n"
	"                           sandbox the network (auto), or never (off); http,\n"
	"                           https and mailto only\n"
	"With a display socket, the sandbox also sees Tcl/Tk, fonts, the keyboard data\n"
	"and icons; without a permission, none of it.\n"
	"\n"
	"Environment of a launch (from your shell, never from the project's .env):\n"
	"  BWRAP_ARGS             more bwrap arguments, space- or newline-delimited\n"
	"  SANDBOX_NETWORK        --network's MODE for this launch, over the recorded one\n"
	"  SANDBOX_PASS_ENV       names of variables to pass into the sandbox\n"
	"  SANDBOX_SECCOMP_ALLOW  allowlist of system calls; set but blank: no filter\n"
	"  SANDBOX_LAYOUT         'binds': one bind per file even with Landlock;\n"
	"                         'landlock': fail without Landlock\n"
	"  SANDBOX_USE_PIP_CACHE  share ~/.cache/pip with the sandbox (insecure); 0: off\n"
	"  VERBOSE                print each mount with its reason, then the bwrap command;\n"
	"                         empty or 0: off\n"
	"\n"
	"VENV_DIR/bin/shell opens a shell inside the sandbox.\n";

ATTR_NORETURN ATTR_PRINTF(1, 2)
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n" USAGE_LINE "Try 'sandbox-venv --help' for more.\n", stderr);
	exit(2);
}

/* The absolute path of this binary. */
static char *own_path(void)
{
	char *p = realpath("/proc/self/exe", NULL);

	if (!p)
		die("cannot find my own path: %s", strerror(errno));
	return p;
}

/* The launcher the gates' #! line names: this binary's lean build when
 * it is installed with it (lean.h), else this binary. */
static char *self_path(void)
{
	cleanup_free char *own = own_path();
	char *p = lean_gate_launcher(own);

	if (strpbrk(p, " \t\n") || strlen(p) > 200)
		die_hint("install it under a path without blanks, e.g. make install PREFIX=/usr/local",
			 "cannot write gates for '%s': a #! line cannot carry this path", p);
	return p;
}

/* ---- which venv ---- */

/* The venv a command names, or the default: $VIRTUAL_ENV, else the
 * nearest .venv in the working directory or its parents (as uv and poetry
 * look), else ".venv" (whose absence the error names). *from says why a
 * default was taken when it was not the working directory's .venv. */
static char *pick_venv(const char *given, const char **from)
{
	const char *ve = getenv("VIRTUAL_ENV");
	cleanup_free char *cwd = getcwd(NULL, 0);
	char *dir;

	*from = NULL;
	if (given)
		return xstrdup(given);
	if (ve && ve[0]) {
		*from = "$VIRTUAL_ENV";
		return xstrdup(ve);
	}
	for (dir = cwd; dir && dir[0];) {
		cleanup_free char *cfg = xasprintf("%s/.venv/pyvenv.cfg", dir);
		struct stat st;
		char *slash;

		if (stat(cfg, &st) == 0) {
			if (strcmp(dir, cwd))
				*from = "the nearest .venv";
			return xasprintf("%s/.venv", dir);
		}
		slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return xstrdup(".venv");
}

static void open_venv(const char *given, struct venv *v, bool quiet)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *path = NULL;
	const char *from;

	path = pick_venv(given, &from);
	venv_init(v);
	if (venv_open(path, v, &err) < 0)
		die("%s", err.buf);
	if (from && !quiet)
		fprintf(stderr, PROG ": the venv is '%s' (%s)\n", v->path, from);
}

/* ---- the commands ---- */

struct wrap_args {
	const char *venv;            /* NULL: the default */
	const char *project;
	bool reset;
	struct strvec bwrap;
	struct strvec perms;         /* --network=..., --socket=..., ... */
};

static int cmd_wrap(struct wrap_args *a)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strvec struct strvec gated = STRVEC_INIT;
	cleanup_free char *exe = self_path();
	cleanup_free char *cwd = getcwd(NULL, 0);
	struct venv v;
	bool named;

	if (bwrapopt_check(&a->bwrap, "BWRAP_OPTS", cwd ? cwd : "/", &err) < 0)
		die("%s", err.buf);
	open_venv(a->venv, &v, false);
	if (a->project && wrap_set_project(&v, a->project, &err) < 0)
		die("%s", err.buf);
	named = a->project || wrap_recorded_project(&v);
	if (wrap_check_project(&v, getenv("HOME"), named, &err) < 0)
		die("%s", err.buf);
	if (wrap_venv(&v, exe, &a->bwrap, &a->perms, a->reset, &gated, &err) < 0)
		die("%s", err.buf);
	printf("%s: every entry point in '%s/bin' now runs in a sandbox", PROG, v.path);
	if (gated.nr)
		printf(" (%zu newly gated)", gated.nr);
	if (named)
		printf("; its project is '%s'", v.project);
	printf("\n");
	venv_release(&v);
	return 0;
}

static int cmd_show(const char *given)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct policy pol;
	struct venv v;
	size_t i, n;

	open_venv(given, &v, true);
	policy_init(&pol);
	if (venv_open_state(&v, false, &err) < 0 || wrap_read_policy(&v, &pol, &err) < 0)
		die_hint(xasprintf("run: sandbox-venv '%s'", v.path), "'%s' is not wrapped: %s",
			 v.path, err.buf);
	printf("venv     %s\nproject  %s\npython   %s\n", pol.venv, pol.project, pol.python);
	for (i = 0; i < pol.bwrap_args.nr; i += n) {
		cleanup_strbuf struct strbuf line = STRBUF_INIT;
		size_t k;

		n = bwrapopt_group_len(&pol.bwrap_args, i);
		for (k = 0; k < n && i + k < pol.bwrap_args.nr; k++) {
			if (k)
				strbuf_addch(&line, ' ');
			strbuf_add_shell_quoted(&line, pol.bwrap_args.v[i + k]);
		}
		printf("option   %s\n", line.buf);
	}
	if (!pol.bwrap_args.nr)
		printf("option   (none recorded)\n");
	{
		cleanup_strbuf struct strbuf perms = STRBUF_INIT;

		perms_show(&pol.perms, bwrapopt_net_cut(&pol.bwrap_args, false), &perms);
		fputs(perms.buf, stdout);
	}
	policy_release(&pol);
	venv_release(&v);
	return 0;
}

static int cmd_check(const char *given)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strbuf struct strbuf line = STRBUF_INIT;
	cleanup_strvec struct strvec findings = STRVEC_INIT;
	cleanup_free char *exe = self_path();
	struct launch_layout layout;
	struct venv v;
	size_t i;
	int abi;

	open_venv(given, &v, true);
	if (wrap_check(&v, exe, &findings, &err) < 0)
		die("%s", err.buf);
	strbuf_addf(&line, "%s: ", v.path);
	for (i = 0; i < findings.nr; i++)
		put_shown(stdout, line.buf, findings.v[i], SHOWN_ONE_LINE);
	strbuf_reset(&line);
	/* Not findings about the venv, but what this kernel and environment
	 * give launches, on stderr: the layout when it is the fallback (or
	 * with VERBOSE), and the scopes when they are missing. */
	if (launch_choose_layout(&layout, &line) < 0) {
		fprintf(stderr, "%s: %s\n", v.path, line.buf);
	} else if (layout.layout != PLAN_LAYOUT_LANDLOCK || env_flag("VERBOSE")) {
		launch_describe_layout(&layout, &line);
		fprintf(stderr, "%s: %s\n", v.path, line.buf);
	}
	abi = landlock_abi();
	if (abi < LANDLOCK_SCOPE_MIN_ABI)
		fprintf(stderr, "%s: note: this kernel has no Landlock scopes (ABI %d, scopes need "
			"%d): sandboxes can reach the host's abstract unix sockets and signal its "
			"processes\n", v.path, abi < 0 ? 0 : abi, LANDLOCK_SCOPE_MIN_ABI);
	venv_release(&v);
	return findings.nr ? 1 : 0;
}

static int cmd_unwrap(const char *given)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct venv v;

	open_venv(given, &v, false);
	if (venv_open_state(&v, false, &err) < 0) {
		fprintf(stderr, PROG ": '%s' is not wrapped: nothing to undo\n", v.path);
		venv_release(&v);
		return 0;
	}
	if (wrap_unwrap(&v, &err) < 0)
		die("%s", err.buf);
	printf("%s: an ordinary venv again; its sandbox home and cache stay in "
	       "'%s/home' and '%s/cache'\n", PROG, v.path, v.path);
	venv_release(&v);
	return 0;
}

/* ---- --list: the launchers running now ---- */

/* When a launcher started, as local time. */
static void start_time(unsigned long long ticks, char *out, size_t size)
{
	cleanup_strbuf struct strbuf boot = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	unsigned long long btime = 0;
	const char *b;
	time_t t;

	snprintf(out, size, "?");
	if (!ticks || fs_read_file_at(AT_FDCWD, "/proc/stat", 1 << 20, &boot, &ignored) < 0 ||
	    !(b = strstr(boot.buf, "\nbtime ")) || sscanf(b, "\nbtime %llu", &btime) != 1)
		return;
	t = (time_t)(btime + ticks / (unsigned long long)sysconf(_SC_CLK_TCK));
	strftime(out, size, "%Y-%m-%d %H:%M:%S", localtime(&t));
}

/* One line of --list: a launcher of this binary, or of its lean build. */
static void list_one(const struct running *r, void *data)
{
	char *const *exe = data;
	cleanup_free char *link = xasprintf("/proc/%d/exe", (int)r->pid);
	cleanup_free char *real = realpath(link, NULL);
	cleanup_free char *gate = NULL;
	char when[32];
	char *slash;

	if (!real || (strcmp(real, exe[0]) && strcmp(real, exe[1])))
		return;
	gate = realpath(r->gate, NULL);
	if (!gate || !(slash = strrchr(gate, '/')) || slash - gate < 4)
		return;
	start_time(r->started, when, sizeof(when));
	*slash = '\0';
	gate[strlen(gate) - 4] = '\0';	/* drop "/bin" */
	{
		/* The venv's path and the entry's name: a sandbox may have
		 * chosen the name. */
		cleanup_free char *venv = str_shown(gate);
		cleanup_free char *name = str_shown(slash + 1);

		printf("%-8d %-19s %-40s %s\n", (int)r->pid, when, venv, name);
	}
}

static int cmd_list(void)
{
	cleanup_free char *own = own_path();
	cleanup_free char *gates = self_path();
	char *exe[] = { own, gates };

	printf("%-8s %-19s %-40s %s\n", "PID", "STARTED", "VENV", "ENTRY POINT");
	if (running_each(list_one, exe) < 0)
		die("cannot list processes: %s", strerror(errno));
	return 0;
}

/* ---- arguments ---- */

/* A command that takes at most one venv directory. */
static const char *one_venv(int argc, char **argv, int i)
{
	if (i + 1 < argc && argv[i + 1][0] == '-')
		die_usage("%s takes a venv directory, not the option '%s'", argv[i], argv[i + 1]);
	if (i + 2 < argc)
		die_usage("%s takes one venv directory at most", argv[i]);
	return i + 1 < argc ? argv[i + 1] : NULL;
}

int main(int argc, char **argv)
{
	struct wrap_args a = { NULL, NULL, false, STRVEC_INIT, STRVEC_INIT };
	int i = 1;

	if (lean_build)
		protect_relro(PROG "-launch");
	if (argc >= 2 && !strcmp(argv[1], INIT_ROLE))
		return init_main(argc - 2, argv + 2);
	/* Inside a sandbox, xdg-open and the browsers' names are links to
	 * the init, this binary when it is the init (links.h). */
	if (argc >= 1 && links_is_client(argv[0]))
		return links_client_main(argc, argv);
	lean_keep_args(argv);
	if (argc >= 3 && !strcmp(argv[1], "--gate")) {
		cleanup_free char *exe = NULL;

		lean_check_users();
		exe = self_path();

		return launch_gate(exe, argv[2], (const char *const *)argv + 3);
	}
	if (lean_build)
		lean_hand_over("a command of sandbox-venv's own");
	/* Nothing of the caller's descriptors goes into a probe's bwrap. */
	fs_cloexec_from(3);
	if (argc >= 2) {
		const char *cmd = argv[1];

		if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(cmd, "--version")) {
			puts("sandbox-venv " VERSION);
			return 0;
		}
		if (!strcmp(cmd, "--gate"))
			die("--gate needs the gate's path");
		if (!strcmp(cmd, "--check"))
			return cmd_check(one_venv(argc, argv, 1));
		if (!strcmp(cmd, "--unwrap"))
			return cmd_unwrap(one_venv(argc, argv, 1));
		if (!strcmp(cmd, "--show"))
			return cmd_show(one_venv(argc, argv, 1));
		if (!strcmp(cmd, "--list")) {
			if (argc > 2)
				die_usage("--list takes no arguments");
			return cmd_list();
		}
	}
	/* The wrap: our options, then the venv, then bwrap's options. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--project")) {
			if (i + 1 >= argc)
				die_usage("--project needs a directory");
			a.project = argv[++i];
		} else if (!strcmp(argv[i], "--reset")) {
			a.reset = true;
		} else if (perms_is_option(argv[i])) {
			strvec_push(&a.perms, argv[i]);
		} else if (!strcmp(argv[i], "--show") || !strcmp(argv[i], "--check") ||
			   !strcmp(argv[i], "--unwrap") || !strcmp(argv[i], "--list")) {
			die_usage("%s comes first: sandbox-venv %s [VENV_DIR]", argv[i], argv[i]);
		} else if (bwrapopt_known(argv[i])) {
			break;	/* bwrap's options for the default venv */
		} else {
			die_usage("unknown option '%s'", argv[i]);
		}
	}
	if (i < argc && argv[i][0] != '-')
		a.venv = argv[i++];
	/* Ours among bwrap's (an option's own arguments may be anything):
	 * the permissions anywhere, --project and --reset only first. */
	while (i < argc) {
		cleanup_strvec struct strvec one = STRVEC_INIT;
		size_t n, k;

		if (perms_is_option(argv[i])) {
			strvec_push(&a.perms, argv[i++]);
			continue;
		}
		if (!strcmp(argv[i], "--project") || !strcmp(argv[i], "--reset"))
			die_usage("%s comes first: sandbox-venv [--project DIR] [--reset] "
				  "[VENV_DIR] [BWRAP_OPTS...]", argv[i]);
		strvec_push(&one, argv[i]);
		n = bwrapopt_group_len(&one, 0);
		for (k = 0; k < n && i < argc; k++)
			strvec_push(&a.bwrap, argv[i++]);
	}
	i = cmd_wrap(&a);
	strvec_clear(&a.bwrap);
	strvec_clear(&a.perms);
	return i;
}
