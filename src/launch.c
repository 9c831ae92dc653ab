/* launch.c - start one entry point inside a fresh bwrap sandbox.
 *
 * A launch, step by step (launch_gate reads as this list):
 *
 *   hygiene      descriptors: only 0, 1, 2 are meant for the program
 *   find_venv    the venv and entry point, from the gate's path on the host
 *   check_route  the path the caller took to the gate leads through nothing
 *                a sandbox can replace
 *   recover      host-side work a killed launcher left undone, first
 *   sync         entry points added by another route get their gates
 *   gather       libraries, the caller's wishes, .env
 *   open_binds   every directory the sandbox binds from writable ground, as
 *                fds opened without following symlinks
 *   execute      the plan, the run, and the host-side work after it
 */
#include "launch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bwrapargs.h"
#include "dotenv.h"
#include "fsutil.h"
#include "gate.h"
#include "guard.h"
#include "landlock.h"
#include "plan.h"
#include "registry.h"
#include "run.h"
#include "scfilter.h"
#include "state.h"
#include "venv.h"
#include "wrap.h"

extern char **environ;

#define DOTENV_MAX_BYTES (1u << 20)

/* Everything one launch gathers, opens and owns. */
struct launch {
	struct venv v;
	struct policy pol;
	char *real;                    /* the gate's canonical path */
	const char *name;              /* the entry point's name (in real) */
	bool pip, verbose;
	struct launch_layout layout;
	int proj;                      /* the project, O_PATH */
	struct strvec libs, dotenv, pass_env, extra;
	struct scfilter_policy scp;
	char *pip_cache, *cwd;
	struct strbuf passwd, group;
	struct strvec bind_paths;      /* owns plan_bind paths */
	struct plan_bind *binds;
	size_t nr_binds;
	struct plan_input in;
	struct plan plan;
};

static void launch_init(struct launch *L)
{
	memset(L, 0, sizeof(*L));
	venv_init(&L->v);
	policy_init(&L->pol);
	plan_init(&L->plan);
	strvec_init(&L->libs);
	strvec_init(&L->dotenv);
	strvec_init(&L->pass_env);
	strvec_init(&L->extra);
	strvec_init(&L->bind_paths);
	strbuf_init(&L->passwd, 0);
	strbuf_init(&L->group, 0);
	L->scp.mode = SCFILTER_DEFAULT;
	strvec_init(&L->scp.allow);
	L->proj = -1;
	L->in.fd.venv = L->in.fd.privbin = L->in.fd.empty = L->in.fd.home = -1;
	L->in.fd.cache = L->in.fd.git = L->in.fd.pyvenv_cfg = -1;
	L->verbose = getenv("VERBOSE") && getenv("VERBOSE")[0];
}

static void launch_release(struct launch *L)
{
	int fds[] = { L->in.fd.empty, L->in.fd.home, L->in.fd.cache, L->in.fd.git,
		      L->in.fd.pyvenv_cfg, L->proj };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < L->nr_binds; i++)
		close(L->binds[i].fd);
	free(L->binds);
	strvec_clear(&L->bind_paths);
	free(L->real);
	free(L->pip_cache);
	free(L->cwd);
	strvec_clear(&L->libs);
	strvec_clear(&L->dotenv);
	strvec_clear(&L->pass_env);
	strvec_clear(&L->extra);
	strbuf_release(&L->passwd);
	strbuf_release(&L->group);
	scfilter_policy_release(&L->scp);
	plan_release(&L->plan);
	policy_release(&L->pol);
	venv_release(&L->v);
}

/* ---- layout: Landlock path rules, or one bind per file ---- */

int launch_choose_layout(struct launch_layout *out, struct strbuf *err)
{
	const char *want = getenv(LAYOUT_ENV);

	out->abi = landlock_abi();
	out->forced = want && !strcmp(want, "binds");
	if (want && want[0] && !out->forced && strcmp(want, "landlock")) {
		strbuf_addf(err, LAYOUT_ENV "='%s': the layouts are 'landlock' and 'binds'", want);
		return -1;
	}
	if (want && !strcmp(want, "landlock") && out->abi < LANDLOCK_PATHS_MIN_ABI) {
		strbuf_addstr(err, LAYOUT_ENV "=landlock: this kernel has no Landlock "
			      "(Linux 5.13 or later, with landlock among its LSMs)");
		return -1;
	}
	out->layout = !out->forced && out->abi >= LANDLOCK_PATHS_MIN_ABI ?
		      PLAN_LAYOUT_LANDLOCK : PLAN_LAYOUT_BINDS;
	return 0;
}

void launch_describe_layout(const struct launch_layout *l, struct strbuf *out)
{
	if (l->layout == PLAN_LAYOUT_LANDLOCK)
		strbuf_addf(out, "layout: whole system trees read-only, and Landlock path rules "
			    "(ABI %d) that allow only the listed files", l->abi);
	else
		strbuf_addf(out, "layout: one read-only bind per listed file (%s)",
			    l->forced ? LAYOUT_ENV "=binds" : "this kernel has no Landlock");
}

/* ---- hygiene: descriptors (DESIGN MUST 9) ---- */

/* Every descriptor the caller gave us above 2 is close-on-exec: run.c lets
 * through only those bwrap's arguments name. 0, 1 and 2 go to the program;
 * one that is a directory, or an O_PATH descriptor, would lead out of every
 * mount, so the program gets /dev/null there; a closed one is opened on
 * /dev/null so that nothing else takes its number. */
static void hygiene(void)
{
	int fd;

	if (fs_cloexec_from(3) < 0)
		die("cannot close the caller's descriptors: %s", strerror(errno));
	for (fd = 0; fd <= 2; fd++) {
		struct stat st;
		int fl = fcntl(fd, F_GETFL);
		bool closed = fl < 0 || fstat(fd, &st) < 0;
		int null;

		if (!closed && !S_ISDIR(st.st_mode) && !(fl & O_PATH))
			continue;
		if (!closed)
			warn("descriptor %d is a directory: the sandbox gets /dev/null there", fd);
		null = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
		if (null < 0 || (null != fd && (dup2(null, fd) < 0 || close(null) < 0)))
			die("cannot open /dev/null: %s", strerror(errno));
	}
}

/* ---- find_venv: which venv, which entry point ---- */

static void find_venv(struct launch *L, const char *gate_path)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *venv_path = NULL;
	char *slash;

	L->real = realpath(gate_path, NULL);
	if (!L->real)
		die("cannot find the gate '%s': %s", gate_path, strerror(errno));
	slash = strrchr(L->real, '/');
	L->name = slash + 1;
	if (slash - L->real < 4 || strncmp(slash - 4, "/bin", 4))
		die("'%s' is not in a venv's bin directory", gate_path);
	venv_path = xstrndup(L->real, (size_t)(slash - 4 - L->real));
	if (venv_open(venv_path, &L->v, &err) < 0)
		die("%s", err.buf);
	if (venv_open_state(&L->v, false, &err) < 0)
		die_hint("run: sandbox-venv '%s'", "this venv is not wrapped: %s", err.buf);
	if (wrap_read_policy(&L->v, &L->pol, &err) < 0)
		die_hint("run sandbox-venv on the venv again", "cannot read the policy of '%s': %s",
			 L->v.path, err.buf);
	if (strcmp(L->pol.venv, L->v.path))
		die_hint("run sandbox-venv on it again to record its new place",
			 "this venv was wrapped at '%s' and is now at '%s'", L->pol.venv, L->v.path);
	if (access(L->pol.python, X_OK) < 0)
		die_hint("recreate the venv with an installed Python (python3 -I -m venv --clear DIR), "
			 "then run sandbox-venv on it",
			 "the base Python of this venv, '%s', is gone", L->pol.python);
	L->proj = open(L->pol.project, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (L->proj < 0)
		die("cannot open project directory '%s': %s", L->pol.project, strerror(errno));
}

/* ---- check_route: the way the caller came (DESIGN MUST 12) ---- */

static void check_route(const struct launch *L, const char *gate_path)
{
	cleanup_free char *link = NULL;
	cleanup_free char *hint = NULL;

	if (!venv_route_link(gate_path, L->pol.project, L->v.path, &link))
		return;
	hint = xasprintf("run it by its own path, '%s/bin/%s', or move the link out of the "
			 "project", L->v.path, L->name);
	die_hint(hint, "'%s' is reached through the symlink '%s', which lies where sandboxes "
		 "can write: one could point it at a program of its own, which the host would "
		 "then run unsandboxed", gate_path, link);
}

/* ---- gather: libraries, entry point, the caller's wishes, .env ---- */

static void synth_passwd(struct strbuf *passwd, struct strbuf *group, const char *home)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct passwd *pw = getpwuid(uid);
	struct group *gr = getgrgid(gid);
	const char *user = pw && !str_has_control(pw->pw_name) && !strchr(pw->pw_name, ':') ?
			   pw->pw_name : "user";
	const char *gname = gr && !str_has_control(gr->gr_name) && !strchr(gr->gr_name, ':') ?
			    gr->gr_name : user;

	if (uid != 0)
		strbuf_addstr(passwd, "root:x:0:0:root:/root:/bin/bash\n");
	strbuf_addf(passwd, "%s:x:%u:%u:%s:%s:/bin/bash\n", user, (unsigned)uid,
		    (unsigned)gid, user, home);
	strbuf_addstr(passwd, "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	if (gid != 0)
		strbuf_addstr(group, "root:x:0:\n");
	strbuf_addf(group, "%s:x:%u:\n", gname, (unsigned)gid);
	strbuf_addstr(group, "nogroup:x:65534:\n");
}

/* The project's .env, if any: data, from a regular file only. */
static int read_dotenv(int proj, const char *project, struct strvec *out, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strvec struct strvec ignored = STRVEC_INIT;
	cleanup_fd int fd = -1;
	struct stat st;
	size_t i;

	fd = openat(proj, ".env", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		strbuf_addf(err, "cannot read '%s/.env': %s\n"
			    "hint: .env must be a regular file (sandboxes can write the project, "
			    "so a symlink there is not followed)", project,
			    fd < 0 && errno != ELOOP ? strerror(errno) : "not a regular file");
		return -1;
	}
	if (fs_read_fd(fd, DOTENV_MAX_BYTES, &text, ".env", err) < 0 ||
	    dotenv_parse(text.buf, text.len, ".env", out, &ignored, err) < 0)
		return -1;
	for (i = 0; i < ignored.nr; i++)
		warn("%s", ignored.v[i]);
	return 0;
}

/* SANDBOX_PASS_ENV: names of the caller's variables to pass on purpose. */
static int parse_pass_env(const char *value, struct strvec *out, struct strbuf *err)
{
	cleanup_strvec struct strvec names = STRVEC_INIT;
	size_t i;

	if (!value)
		return 0;
	if (bwrapargs_split(value, &names, err) < 0)
		return -1;
	for (i = 0; i < names.nr; i++) {
		const char *n = names.v[i];

		if (!n[0] || strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_") != strlen(n) || (n[0] >= '0' && n[0] <= '9')) {
			strbuf_addf(err, "SANDBOX_PASS_ENV: '%s' is not a variable name", n);
			return -1;
		}
		if (dotenv_is_policy_name(n)) {
			strbuf_addf(err, "SANDBOX_PASS_ENV: '%s' is sandbox policy, not data", n);
			return -1;
		}
		strvec_push(out, n);
	}
	return 0;
}

/* pip, pip3, pip3.11 -- or python with "-m pip" among its options. */
static bool is_pip_launch(const char *name, const char *const *args)
{
	size_t i;

	if (!strcmp(name, "pip") || !strcmp(name, "pip3") ||
	    (str_has_prefix(name, "pip3.") && strspn(name + 5, "0123456789") == strlen(name + 5) &&
	     name[5]))
		return true;
	if (!str_has_prefix(name, "python"))
		return false;
	for (i = 0; args[i]; i++) {
		const char *a = args[i];

		if (!strcmp(a, "-m"))
			return args[i + 1] && !strcmp(args[i + 1], "pip");
		if (!strcmp(a, "-mpip"))
			return true;
		if (a[0] != '-' || !strcmp(a, "-c") || !strcmp(a, "-") || !strcmp(a, "--"))
			return false;
		/* Options that take a separate argument. */
		if ((!strcmp(a, "-W") || !strcmp(a, "-X") || !strcmp(a, "--check-hash-based-pycs")) &&
		    args[i + 1])
			i++;
	}
	return false;
}

/* The library cache; built now if a wrap was cut short. */
static void load_libs(struct launch *L)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	if (fs_read_file_at(L->v.state_fd, STATE_LIBS, STATE_MAX_BYTES, &text, &err) < 0) {
		strbuf_reset(&err);
		if (venv_lock(&L->v, &err) < 0 || wrap_update_libs(&L->v, &L->pol, &err) < 0)
			die("%s", err.buf);
		venv_unlock(&L->v);
		if (fs_read_file_at(L->v.state_fd, STATE_LIBS, STATE_MAX_BYTES, &text, &err) < 0)
			die("%s", err.buf);
	}
	if (libs_parse(text.buf, text.len, &L->libs, &err) < 0)
		die_hint("run sandbox-venv on the venv again", "%s", err.buf);
}

/* Everything the caller wants: from the caller's own environment only. */
static void gather(struct launch *L, const char *const *args)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct stat st;
	const char *s;

	load_libs(L);
	L->in.entry = strcmp(L->name, GATE_SHELL) ? L->name : NULL;
	if (L->in.entry && fstatat(L->v.privbin_fd, L->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		die_hint("reinstall the package that provided it, or run sandbox-venv again",
			 "'%s' has no entry point in this venv any more", L->name);
	L->pip = L->in.entry && is_pip_launch(L->name, args);

	if (parse_pass_env(getenv("SANDBOX_PASS_ENV"), &L->pass_env, &err) < 0)
		die("%s", err.buf);
	if ((s = getenv("BWRAP_ARGS")) && bwrapargs_split(s, &L->extra, &err) < 0)
		die("%s", err.buf);
	if (scfilter_parse(getenv("SANDBOX_SECCOMP_ALLOW"), &L->scp, &err) < 0)
		die("%s", err.buf);
	if (L->scp.mode == SCFILTER_OFF)
		warn("SANDBOX_SECCOMP_ALLOW is set but empty: running without a system call filter "
		     "(namespaces, the kernel keyring, set-user-ID bits and the rest are open)");
	if (getenv("SANDBOX_USE_PIP_CACHE")) {
		const char *h = getenv("HOME");
		struct passwd *pw = getpwuid(getuid());
		cleanup_free char *dir = xasprintf("%s/.cache/pip", h && h[0] == '/' ? h :
						   pw ? pw->pw_dir : "/nonexistent");

		L->pip_cache = realpath(dir, NULL);
		if (!L->pip_cache || venv_check_path_chars(L->pip_cache, "the pip cache", &err) < 0)
			die("SANDBOX_USE_PIP_CACHE: cannot use '%s': %s", dir,
			    err.len ? err.buf : strerror(errno));
	}
	if (read_dotenv(L->proj, L->pol.project, &L->dotenv, &err) < 0)
		die("%s", err.buf);
	if (launch_choose_layout(&L->layout, &err) < 0)
		die("%s", err.buf);
}

/* ---- open_binds: what the sandbox binds from writable ground ---- */

static int open_path_fd(int dirfd, const char *name, bool want_dir, bool optional,
			const char *shown, struct strbuf *err)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && optional && errno == ENOENT)
		return -1;
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
		if (fd >= 0)
			close(fd);
		if (optional && fd >= 0)
			return -1;   /* a symlink or odd file: not bound */
		strbuf_addf(err, "cannot use '%s': %s\n"
			    "hint: it must be a %s, not a symlink; run sandbox-venv again to repair the venv",
			    shown, fd < 0 ? strerror(errno) : "wrong file type",
			    want_dir ? "directory" : "regular file");
		return -2;
	}
	return fd;
}

static void add_bind(struct launch *L, const char *path, int fd, bool writable, const char *why)
{
	L->binds = xrealloc(L->binds, (L->nr_binds + 1) * sizeof(*L->binds));
	strvec_push(&L->bind_paths, path);
	L->binds[L->nr_binds++] = (struct plan_bind){ L->bind_paths.v[L->bind_paths.nr - 1], fd,
						      writable, why };
}

static bool bound(const struct launch *L, const char *path)
{
	size_t i;

	for (i = 0; i < L->nr_binds; i++)
		if (!strcmp(L->binds[i].path, path))
			return true;
	return false;
}

/* Is path inside a venv bound read-only so far? Then it needs no pin. */
static bool inside_ro_venv(const struct launch *L, const char *path)
{
	size_t i;

	for (i = 0; i < L->nr_binds; i++)
		if (!L->binds[i].writable && path_is_under(path, L->binds[i].path))
			return true;
	return false;
}

/* Open `target`, a directory below the project, one component at a time
 * without following a symlink, pinning every directory on the way (the
 * host follows that path later: a sandbox must not rename any of it).
 * Returns target's fd, -1 when it is gone, or dies when a symlink is on
 * the way. */
static int open_below_project(struct launch *L, const char *target)
{
	cleanup_free char *path = xstrdup(L->pol.project);
	const char *s = target + strlen(L->pol.project);
	int cur = openat(L->proj, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool pinned = false;	/* cur belongs to a bind */

	while (cur >= 0 && *s == '/') {
		const char *e = strchrnul(s + 1, '/');
		cleanup_free char *name = xstrndup(s + 1, (size_t)(e - s - 1));
		int next = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;
		char *longer = xasprintf("%s/%s", path, name);

		free(path);
		path = longer;
		if (!pinned)
			close(cur);
		if (next < 0 && (saved == ELOOP || saved == ENOTDIR))
			die_hint("look at what is there; sandbox-venv --check names what changed",
				 "'%s' is on the way to the venv '%s' and is no longer a directory: a "
				 "sandbox may have put a symlink there", path, target);
		cur = next;
		pinned = false;
		if (cur >= 0 && *e == '/' && !bound(L, path) && !inside_ro_venv(L, path)) {
			add_bind(L, path, cur, true, "on the way to a venv in the project: pinned, "
				 "so that it cannot be renamed or replaced");
			pinned = true;
		}
		s = e;
	}
	return cur;
}

/* The venvs right at the project's top (a .venv-3.13 made since the
 * wrap): one readdir, one fstatat per directory. */
static void venvs_at_top(const struct launch *L, struct strvec *out)
{
	int fd = openat(L->proj, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		cleanup_free char *cfg = NULL;
		struct stat st;

		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git") ||
		    (de->d_type == DT_UNKNOWN &&
		     (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		      !S_ISDIR(st.st_mode))))
			continue;
		cfg = xasprintf("%s/pyvenv.cfg", de->d_name);
		if (fstatat(dirfd(d), cfg, &st, AT_SYMLINK_NOFOLLOW) == 0)
			strvec_pushf(out, "%s/%s", L->pol.project, de->d_name);
	}
	closedir(d);
}

/* The other venvs below the project, read-only, and the directories on
 * the way to each, pinned: those found when this venv was wrapped, those
 * at the project's top now, and every venv wrapped since, wherever it lies
 * (registry.h). */
static void open_other_venvs(struct launch *L)
{
	cleanup_strvec struct strvec others = STRVEC_INIT;
	size_t i;

	registry_below(L->pol.project, L->v.path, &others);
	venvs_at_top(L, &others);
	for (i = 0; i < L->pol.protect.nr; i++)
		if (path_is_under(L->pol.protect.v[i], L->pol.project))
			strvec_push(&others, L->pol.protect.v[i]);
	qsort(others.v, others.nr, sizeof(*others.v), strcmp_ptr);
	for (i = 0; i < others.nr; i++) {
		const char *e = others.v[i];
		struct stat st;
		int fd;

		if ((i && !strcmp(e, others.v[i - 1])) || !strcmp(e, L->pol.project) ||
		    path_is_under(e, L->v.path) ||
		    path_is_under(L->v.path, e) || inside_ro_venv(L, e))
			continue;
		fd = open_below_project(L, e);
		if (fd < 0)
			continue;	/* gone */
		if (fstatat(fd, "pyvenv.cfg", &st, AT_SYMLINK_NOFOLLOW) < 0) {
			close(fd);	/* no longer a venv */
			continue;
		}
		add_bind(L, e, fd, false, "another venv of the project: read-only, so that no "
			 "sandbox changes what the host runs from it");
	}
}

static int cmp_bind(const void *a, const void *b)
{
	return strcmp(((const struct plan_bind *)a)->path, ((const struct plan_bind *)b)->path);
}

static void open_binds(struct launch *L)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *h = xasprintf("%s/home", L->v.path);
	cleanup_free char *c = xasprintf("%s/cache", L->v.path);
	cleanup_free char *cfg = xasprintf("%s/pyvenv.cfg", L->v.path);

	L->in.fd.venv = L->v.fd;
	L->in.fd.privbin = L->v.privbin_fd;
	L->in.fd.home = open_path_fd(L->v.fd, "home", true, false, h, &err);
	L->in.fd.cache = L->in.fd.home < 0 ? -1 : open_path_fd(L->v.fd, "cache", true, false, c, &err);
	L->in.fd.pyvenv_cfg = L->in.fd.cache < 0 ? -1 :
			      open_path_fd(L->v.fd, "pyvenv.cfg", false, false, cfg, &err);
	if (L->in.fd.home < 0 || L->in.fd.cache < 0 || L->in.fd.pyvenv_cfg < 0)
		die("%s", err.buf);
	if (fs_mkdir_at(L->v.state_fd, STATE_EMPTY, 0555, &err) < 0 ||
	    (L->in.fd.empty = fs_open_dir_path_at(L->v.state_fd, STATE_EMPTY, &err)) < 0)
		die("cannot prepare '%s/%s': %s", L->v.path, STATE_DIR, err.buf);
	{
		/* .git is bound read-only when it is a directory or a file (a
		 * worktree's); a symlink there is left alone, not followed. */
		cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

		L->in.fd.git = open_path_fd(L->proj, ".git", true, true, ".git", &ignored);
		if (L->in.fd.git < 0)
			L->in.fd.git = open_path_fd(L->proj, ".git", false, true, ".git", &ignored);
		if (L->in.fd.git < -1)
			L->in.fd.git = -1;
	}
	open_other_venvs(L);
	/* The way from the project to this venv (tox's .tox/py311). */
	if (path_is_under(L->v.path, L->pol.project)) {
		int fd = open_below_project(L, L->v.path);

		if (fd < 0)
			die("cannot open '%s' below its project: %s", L->v.path, strerror(errno));
		close(fd);
	}
	if (L->nr_binds)
		qsort(L->binds, L->nr_binds, sizeof(*L->binds), cmp_bind);
}

/* ---- execute ---- */

static void build_plan(struct launch *L, const char *const *args)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *home = xasprintf("%s/home", L->pol.venv);
	size_t i;

	synth_passwd(&L->passwd, &L->group, home);
	L->cwd = getcwd(NULL, 0);
	L->in.policy = &L->pol;
	L->in.libs = &L->libs;
	L->in.envp = (const char *const *)environ;
	L->in.dotenv = &L->dotenv;
	L->in.pass_env = &L->pass_env;
	L->in.bwrap_args = &L->extra;
	L->in.cwd = L->cwd;
	L->in.args = args;
	L->in.pip_cache = L->pip_cache;
	L->in.writable_venv = L->pip;
	L->in.passwd = L->passwd.buf;
	L->in.group = L->group.buf;
	L->in.binds = L->binds;
	L->in.nr_binds = L->nr_binds;
	L->in.layout = L->layout.layout;
	if (plan_build(&L->plan, &L->in, &err) < 0)
		die("%s", err.buf);
	for (i = 0; i < L->plan.notes.nr; i++)
		warn("%s", L->plan.notes.v[i]);
	/* Memory files for data, the filter. */
	for (i = 0; i < L->plan.nr; i++) {
		struct plan_op *op = &L->plan.ops[i];

		if (op->type != PLAN_DATA)
			continue;
		op->fd = fs_memfd_data(op->dest, op->src, strlen(op->src), &err);
		if (op->fd < 0)
			die("%s", err.buf);
	}
	if (scfilter_build_fd(&L->scp, &L->plan.seccomp_fd, &err) < 0)
		die("%s", err.buf);
}

static void close_plan_fds(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (p->ops[i].type == PLAN_DATA && p->ops[i].fd >= 0)
			close(steal_fd(&p->ops[i].fd));
	if (p->seccomp_fd >= 0)
		close(steal_fd(&p->seccomp_fd));
}

/* The run, and the host-side work after it: recorded before the sandbox
 * starts (guard.h), so that a launcher that cannot finish leaves it to the
 * next launch. */
static int execute(struct launch *L, const char *exe)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strvec struct strvec bargs = STRVEC_INIT;
	cleanup_strbuf struct strbuf rules = STRBUF_INIT;
	cleanup_free int *fds = NULL;
	struct guard_record rec = { -1, NULL };
	struct git_guard guard;
	struct run_spec spec;
	size_t nr_fds;
	int status;

	plan_to_args(&L->plan, &bargs);
	plan_rules_data(&L->plan, &rules);
	fds = plan_fds(&L->plan, &nr_fds);
	if (L->verbose) {
		cleanup_strbuf struct strbuf why = STRBUF_INIT;

		plan_explain(&L->plan, &why);
		strbuf_addstr(&why, PROG ": ");
		launch_describe_layout(&L->layout, &why);
		strbuf_addch(&why, '\n');
		fputs(why.buf, stderr);
	}
	guard_start(&guard, L->proj);
	if (guard_record(L->v.state_fd, &guard, &rec, &err) < 0)
		die("%s", err.buf);
	spec = (struct run_spec){ &bargs, fds, nr_fds, &L->plan.argv, &L->plan.env,
				  L->layout.layout == PLAN_LAYOUT_LANDLOCK ? &rules : NULL,
				  L->verbose ? RUN_VERBOSE : 0 };
	if (run_sandbox(&spec, &status, &err) < 0) {
		guard_record_done(L->v.state_fd, &rec);
		die("%s", err.buf);
	}
	close_plan_fds(&L->plan);
	if (guard_finish(&guard, L->proj, L->pol.project, &err) < 0)
		die("%s", err.buf);	/* the record stays: the next launch tries again */
	if (L->pip && wrap_reconcile(&L->v, exe, &err) < 0) {
		warn("after pip: %s\nhint: the next launch tries again", err.buf);
		strbuf_reset(&err);
	}
	guard_record_done(L->v.state_fd, &rec);
	return status;
}

int launch_gate(const char *exe, const char *gate_path, const char *const *args)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct launch L;
	int status;

	hygiene();
	launch_init(&L);
	find_venv(&L, gate_path);
	check_route(&L, gate_path);
	if (guard_recover(L.v.state_fd, L.proj, L.pol.project, &err) < 0)
		die("%s", err.buf);
	/* Entry points added by another route, or a pip that was killed. A
	 * venv whose gates cannot be brought up to date still launches. */
	if (wrap_sync_if_changed(&L.v, &L.pol, exe, &err) < 0)
		warn("%s\nhint: run sandbox-venv on the venv to see it again", err.buf);
	gather(&L, args);
	open_binds(&L);
	build_plan(&L, args);
	status = execute(&L, exe);
	launch_release(&L);
	return status;
}
