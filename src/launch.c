/* launch.c - start one entry point inside a fresh bwrap sandbox. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bwrapargs.h"
#include "dotenv.h"
#include "fsutil.h"
#include "gate.h"
#include "plan.h"
#include "run.h"
#include "scfilter.h"
#include "state.h"
#include "venv.h"
#include "wrap.h"

extern char **environ;

#define DOTENV_MAX_BYTES (1u << 20)

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

/* What dirfd/name was: absent, or this file (lstat, not followed). */
struct entry_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	mode_t type;
};

/*
 * A repository the sandbox creates where there was none. git on the host
 * reads a .git's config and hooks (core.fsmonitor, core.pager, hooks) and
 * runs what they name, so a .git that a sandbox planted at the project's
 * top, where host git finds it, is code the host would run. An existing
 * .git is bound read-only; a new or replaced one is renamed aside when the
 * sandbox ends, before this launch hands anything back to the host. The
 * same for a bare repository made of the project's top (HEAD, objects/
 * and refs/ there).
 */
struct git_guard {
	int proj;          /* the project, O_PATH (not owned) */
	struct entry_id git, head;
};

static struct entry_id entry_id_at(int dirfd, const char *name)
{
	struct entry_id id = { false, 0, 0, 0 };
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		id.exists = true;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
		id.type = st.st_mode & S_IFMT;
	}
	return id;
}

/* dirfd/name is there now and is not what it was (a new entry, or one put
 * in the place of a .git symlink, which is not bound read-only). */
static bool entry_new(int dirfd, const char *name, const struct entry_id *was)
{
	struct entry_id now = entry_id_at(dirfd, name);

	return now.exists && (!was->exists || now.dev != was->dev || now.ino != was->ino ||
			      now.type != was->type);
}

/* dirfd/name is a directory, or a symlink to one: git takes either. */
static bool dir_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static void git_guard_start(struct git_guard *g, int proj)
{
	g->proj = proj;
	g->git = entry_id_at(proj, ".git");
	g->head = entry_id_at(proj, "HEAD");
}

/* Rename proj/name to the first free "name.from-sandbox[.N]"; tell why. */
static void set_aside(int proj, const char *project, const char *name)
{
	int i;

	for (i = 0; i < 100; i++) {
		cleanup_free char *to = i ? xasprintf("%s.from-sandbox.%d", name, i) :
					    xasprintf("%s.from-sandbox", name);
		int r = renameat2(proj, name, proj, to, RENAME_NOREPLACE);

		/* File systems without RENAME_NOREPLACE (NFS, some FUSE). */
		if (r < 0 && errno == EINVAL)
			r = entry_id_at(proj, to).exists ? (errno = EEXIST, -1) :
			    renameat(proj, name, proj, to);
		if (r == 0) {
			warn("the sandbox created '%s/%s': renamed it to '%s', so that git on the "
			     "host does not run what its config or hooks name\n"
			     "hint: create repositories on the host; if you made this one, read its "
			     "config and hooks before renaming it back", project, name, to);
			return;
		}
		if (errno != EEXIST)
			break;
	}
	warn("the sandbox created '%s/%s' and it could not be renamed aside: %s\n"
	     "hint: remove it before running git there", project, name, strerror(errno));
}

static void git_guard_finish(const struct git_guard *g, const char *project)
{
	if (entry_new(g->proj, ".git", &g->git))
		set_aside(g->proj, project, ".git");
	/* A bare repository made of the project's top: HEAD, objects, refs. */
	if (entry_new(g->proj, "HEAD", &g->head) && dir_at(g->proj, "objects") &&
	    dir_at(g->proj, "refs"))
		set_aside(g->proj, project, "HEAD");
}

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

static void close_fds(const struct plan_input *in)
{
	int fds[] = { in->fd.venv, in->fd.home, in->fd.cache, in->fd.git, in->fd.pyvenv_cfg };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int inherit_fd(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

int launch_gate(const char *exe, const char *gate_path, const char *const *args)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strbuf struct strbuf passwd = STRBUF_INIT;
	cleanup_strbuf struct strbuf group = STRBUF_INIT;
	cleanup_strvec struct strvec libs = STRVEC_INIT;
	cleanup_strvec struct strvec dotenv = STRVEC_INIT;
	cleanup_strvec struct strvec pass_env = STRVEC_INIT;
	cleanup_strvec struct strvec extra = STRVEC_INIT;
	cleanup_strvec struct strvec bargs = STRVEC_INIT;
	cleanup_free char *real = NULL;
	cleanup_free char *venv_path = NULL;
	cleanup_free char *cwd = NULL;
	cleanup_free char *pip_cache = NULL;
	cleanup_free char *home = NULL;
	struct scfilter_policy scp = { SCFILTER_DEFAULT, STRVEC_INIT };
	struct git_guard guard;
	cleanup_fd int proj = -1;
	struct plan_input in;
	struct policy pol;
	struct plan plan;
	struct venv v;
	struct stat st;
	const char *name, *s;
	char *slash;
	size_t i;
	int status;
	bool pip;
	bool verbose = getenv("VERBOSE") && getenv("VERBOSE")[0];

	venv_init(&v);
	policy_init(&pol);
	plan_init(&plan);
	memset(&in, 0, sizeof(in));

	/* 1. Which venv, which entry point: from the gate's path. */
	real = realpath(gate_path, NULL);
	if (!real)
		die("cannot find the gate '%s': %s", gate_path, strerror(errno));
	slash = strrchr(real, '/');
	name = slash + 1;
	if (slash - real < 4 || strncmp(slash - 4, "/bin", 4))
		die("'%s' is not in a venv's bin directory", gate_path);
	venv_path = xstrndup(real, (size_t)(slash - 4 - real));
	if (venv_open(venv_path, &v, &err) < 0)
		die("%s", err.buf);
	if (venv_open_state(&v, false, &err) < 0)
		die_hint("run: sandbox-venv '%s'", "this venv is not wrapped: %s", err.buf);
	if (wrap_read_policy(&v, &pol, &err) < 0)
		die_hint("run sandbox-venv on the venv again", "cannot read the policy of '%s': %s",
			 v.path, err.buf);
	if (strcmp(pol.venv, v.path))
		die_hint("run sandbox-venv on it again to record its new place",
			 "this venv was wrapped at '%s' and is now at '%s'", pol.venv, v.path);

	if (access(pol.python, X_OK) < 0)
		die_hint("recreate the venv with an installed Python (python3 -m venv --clear DIR), "
			 "then run sandbox-venv on it",
			 "the base Python of this venv, '%s', is gone", pol.python);
	/* Entry points added by another route, or a pip that was killed. */
	if (wrap_sync_if_changed(&v, &pol, exe, &err) < 0)
		die("%s", err.buf);

	/* 2. The library cache; built now if a wrap was cut short. */
	{
		cleanup_strbuf struct strbuf text = STRBUF_INIT;

		if (fs_read_file_at(v.state_fd, STATE_LIBS, STATE_MAX_BYTES, &text, &err) < 0) {
			strbuf_reset(&err);
			if (venv_lock(&v, &err) < 0 || wrap_update_libs(&v, &pol, &err) < 0)
				die("%s", err.buf);
			venv_unlock(&v);
			if (fs_read_file_at(v.state_fd, STATE_LIBS, STATE_MAX_BYTES, &text, &err) < 0)
				die("%s", err.buf);
		}
		if (libs_parse(text.buf, text.len, &libs, &err) < 0)
			die_hint("run sandbox-venv on the venv again", "%s", err.buf);
	}

	/* 3. The entry point. */
	in.entry = strcmp(name, GATE_SHELL) ? name : NULL;
	if (in.entry && fstatat(v.privbin_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		die_hint("reinstall the package that provided it, or run sandbox-venv again",
			 "'%s' has no entry point in this venv any more", name);
	pip = in.entry && is_pip_launch(name, args);

	/* 4. The caller's wishes: all from the caller's own environment. */
	if (parse_pass_env(getenv("SANDBOX_PASS_ENV"), &pass_env, &err) < 0)
		die("%s", err.buf);
	if ((s = getenv("BWRAP_ARGS")) && bwrapargs_split(s, &extra, &err) < 0)
		die("%s", err.buf);
	if (scfilter_parse(getenv("SANDBOX_SECCOMP_ALLOW"), &scp, &err) < 0)
		die("%s", err.buf);
	if (scp.mode == SCFILTER_OFF)
		warn("SANDBOX_SECCOMP_ALLOW is set but empty: running without a system call filter");
	if (getenv("SANDBOX_USE_PIP_CACHE")) {
		const char *h = getenv("HOME");
		struct passwd *pw = getpwuid(getuid());
		cleanup_free char *dir = xasprintf("%s/.cache/pip", h && h[0] == '/' ? h :
						   pw ? pw->pw_dir : "/nonexistent");

		pip_cache = realpath(dir, NULL);
		if (!pip_cache || venv_check_path_chars(pip_cache, "the pip cache", &err) < 0)
			die("SANDBOX_USE_PIP_CACHE: cannot use '%s': %s", dir,
			    err.len ? err.buf : strerror(errno));
	}
	proj = open(pol.project, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proj < 0)
		die("cannot open project directory '%s': %s", pol.project, strerror(errno));
	if (read_dotenv(proj, pol.project, &dotenv, &err) < 0)
		die("%s", err.buf);

	/* 5. Everything the sandbox binds from the venv, as fds. */
	in.fd.venv = v.fd;
	in.fd.privbin = v.privbin_fd;
	in.fd.state = v.state_fd;
	{
		cleanup_free char *h = xasprintf("%s/home", v.path);
		cleanup_free char *c = xasprintf("%s/cache", v.path);
		cleanup_free char *cfg = xasprintf("%s/pyvenv.cfg", v.path);

		in.fd.home = open_path_fd(v.fd, "home", true, false, h, &err);
		in.fd.cache = in.fd.home < 0 ? -1 : open_path_fd(v.fd, "cache", true, false, c, &err);
		in.fd.pyvenv_cfg = in.fd.cache < 0 ? -1 :
				   open_path_fd(v.fd, "pyvenv.cfg", false, false, cfg, &err);
		if (in.fd.home < 0 || in.fd.cache < 0 || in.fd.pyvenv_cfg < 0)
			die("%s", err.buf);
	}
	{
		/* .git is bound read-only when it is a directory or a file (a
		 * worktree's); a symlink there is left alone, not followed. */
		cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

		in.fd.git = open_path_fd(proj, ".git", true, true, ".git", &ignored);
		if (in.fd.git < 0)
			in.fd.git = open_path_fd(proj, ".git", false, true, ".git", &ignored);
		if (in.fd.git < -1)
			in.fd.git = -1;
	}

	home = xasprintf("%s/home", pol.venv);
	synth_passwd(&passwd, &group, home);
	cwd = getcwd(NULL, 0);
	in.policy = &pol;
	in.libs = &libs;
	in.envp = (const char *const *)environ;
	in.dotenv = &dotenv;
	in.pass_env = &pass_env;
	in.bwrap_args = &extra;
	in.cwd = cwd;
	in.args = args;
	in.pip_cache = pip_cache;
	in.writable_venv = pip;
	in.passwd = passwd.buf;
	in.group = group.buf;
	if (plan_build(&plan, &in, &err) < 0)
		die("%s", err.buf);

	/* 6. Execute: memory files for data, the filter, the arguments. */
	for (i = 0; i < plan.nr; i++) {
		struct plan_op *op = &plan.ops[i];

		if (op->type != PLAN_DATA)
			continue;
		op->fd = fs_memfd_data(op->dest, op->src, strlen(op->src), &err);
		if (op->fd < 0 || inherit_fd(op->fd) < 0)
			die("%s", err.buf);
	}
	if (scfilter_build_fd(&scp, &plan.seccomp_fd, &err) < 0)
		die("%s", err.buf);
	if (plan.seccomp_fd >= 0 && inherit_fd(plan.seccomp_fd) < 0)
		die("cannot pass the system call filter to bwrap: %s", strerror(errno));
	{
		int fds[] = { in.fd.venv, in.fd.privbin, in.fd.state, in.fd.home, in.fd.cache,
			      in.fd.git, in.fd.pyvenv_cfg };

		for (i = 0; i < ARRAY_SIZE(fds); i++)
			if (fds[i] >= 0 && inherit_fd(fds[i]) < 0)
				die("cannot pass a directory to bwrap: %s", strerror(errno));
	}
	plan_to_args(&plan, &bargs);
	if (verbose) {
		cleanup_strbuf struct strbuf why = STRBUF_INIT;

		plan_explain(&plan, &why);
		fputs(why.buf, stderr);
	}
	git_guard_start(&guard, proj);
	if (run_sandbox(&bargs, &plan.argv, &plan.env, verbose ? RUN_VERBOSE : 0, &status,
			&err) < 0)
		die("%s", err.buf);
	git_guard_finish(&guard, pol.project);
	if (pip && wrap_reconcile(&v, exe, &err) < 0)
		die("after pip: %s", err.buf);
	close_fds(&in);
	scfilter_policy_release(&scp);
	plan_release(&plan);
	policy_release(&pol);
	in.fd.venv = -1;
	v.fd = -1;
	venv_release(&v);
	return status;
}
