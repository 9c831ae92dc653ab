/* wrap.c - record a venv's policy and gate its entry points. */
#include "wrap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bwrapopts.h"
#include "desktop.h"
#include "elf.h"
#include "fsutil.h"
#include "gate.h"
#include "launch.h"
#include "lean.h"
#include "libdeps.h"
#include "plan.h"
#include "pyvenv.h"
#include "reach.h"
#include "registry.h"
#include "running.h"
#include "seal.h"
#include "strmap.h"

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Hint for a venv that is not in its project (poetry keeps them in its cache). */
#define HINT_PROJECT "hint: if the venv belongs to a project elsewhere, name that directory: " \
	"sandbox-venv --project ~/src/myproject VENV_DIR"

/* The venvs below dir (at most VENV_SCAN_DEPTH levels down, skipping
 * `self` and .git, not following symlinks), appended to out. The walk
 * stops after VENV_SCAN_MAX entries: *truncated says so. */
#define VENV_SCAN_DEPTH 4
#define VENV_SCAN_MAX 20000

static void venvs_below(const char *dir, const char *self, int depth, size_t *seen,
			bool *truncated, struct strvec *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		cleanup_free char *path = NULL;
		cleanup_free char *cfg = NULL;
		struct stat st;

		if (++*seen > VENV_SCAN_MAX) {
			*truncated = true;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git"))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (!strcmp(path, self) || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		cfg = xasprintf("%s/pyvenv.cfg", path);
		if (lstat(cfg, &st) == 0)
			strvec_push(out, path);
		else if (depth > 1)
			venvs_below(path, self, depth - 1, seen, truncated, out);
	}
	closedir(d);
}

/* Directories no project may be: shared temporary ones, and the hidden
 * directories of the home (~/.cache, ~/.config, ~/.local: caches, autostart,
 * other tools' venvs). */
static bool shared_or_hidden(const char *dir, const char *rhome)
{
	static const char *const shared[] = { "/tmp", "/var/tmp", "/dev/shm" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shared); i++)
		if (!strcmp(dir, shared[i]))
			return true;
	return rhome && path_is_under(dir, rhome) && dir[strlen(rhome)] == '/' &&
	       dir[strlen(rhome) + 1] == '.';
}

int wrap_check_project(struct venv *v, const char *home, bool named, struct strbuf *err)
{
	cleanup_free char *rhome = home ? realpath(home, NULL) : NULL;
	cleanup_free char *link = NULL;
	const char *what = named ? "the project" : "the venv's parent";

	if (!strcmp(v->project, "/") || (rhome && path_is_under(rhome, v->project))) {
		strbuf_addf(err, "%s '%s' would be writable in the sandbox, and it holds your home "
			    "directory\nhint: create the venv inside a project directory, e.g. "
			    "~/src/myproject/.venv", what, v->project);
		return -1;
	}
	if (path_is_under(v->project, v->path)) {
		strbuf_addf(err, "the project '%s' lies inside the venv", v->project);
		return -1;
	}
	if (venv_check_not_in_venv(v->project, err) < 0) {
		strbuf_addf(err, "\nhint: name a project outside it: sandbox-venv --project DIR %s "
			    "(a pyvenv.cfg that is no venv's, perhaps a sandbox's: remove it)", v->path);
		return -1;
	}
	if (shared_or_hidden(v->project, rhome)) {
		strbuf_addf(err, "%s '%s' would be writable in the sandbox, and it is a shared "
			    "temporary directory or a hidden directory of your home (a cache, "
			    "settings)\n%s", what, v->project,
			    named ? "hint: name the project's own directory" : HINT_PROJECT);
		return -1;
	}
	/* The way the user named the venv: the host follows it at every start. */
	if (v->given && venv_route_link(v->given, v->project, v->path, &link)) {
		strbuf_addf(err, "'%s' is reached through the symlink '%s', which lies in the "
			    "project, where sandboxes can write: one could point it at a venv of its "
			    "own, whose programs the host would then run unsandboxed\n"
			    "hint: name the venv by its own path, '%s', and keep the link out of the "
			    "project", v->given, link, v->path);
		return -1;
	}
	return 0;
}

/* The other venvs of the project, found now: read-only in every sandbox
 * of this venv (plan.h), with a word on those that are not wrapped. */
static void find_other_venvs(struct venv *v, struct policy *pol, struct strvec *notes)
{
	cleanup_strvec struct strvec found = STRVEC_INIT;
	size_t i, seen = 0;
	bool truncated = false;

	venvs_below(v->project, v->path, VENV_SCAN_DEPTH, &seen, &truncated, &found);
	for (i = 0; i < found.nr; i++) {
		cleanup_free char *state = xasprintf("%s/%s", found.v[i], STATE_DIR);
		struct stat st;

		strvec_push(&pol->protect, found.v[i]);
		if (lstat(state, &st) < 0)
			strvec_pushf(notes, "the project also holds the venv '%s', which is not "
				     "wrapped: it is read-only in this venv's sandboxes, but what you run "
				     "from it runs unsandboxed\nhint: wrap it too: sandbox-venv --project "
				     "'%s' '%s'", found.v[i], v->project, found.v[i]);
	}
	if (truncated)
		strvec_pushf(notes, "the project is large: venvs past its first %d entries or %d "
			     "levels down were not looked for; wrap every venv of the project, so that "
			     "each is read-only in the others' sandboxes", VENV_SCAN_MAX,
			     VENV_SCAN_DEPTH);
}

int wrap_set_project(struct venv *v, const char *dir, struct strbuf *err)
{
	char *real = realpath(dir, NULL);

	if (!real || !is_dir(real)) {
		strbuf_addf(err, "cannot use '%s' as the project: %s", dir,
			    real ? "not a directory" : strerror(errno));
		free(real);
		return -1;
	}
	if (venv_check_path_chars(real, "the project", err) < 0) {
		free(real);
		return -1;
	}
	free(v->project);
	v->project = real;
	return 0;
}

int wrap_recorded_project(struct venv *v)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	struct policy pol;
	int ret = 0;

	if ((v->state_fd < 0 && venv_open_state(v, false, &ignored) < 0) || !gate_wrapped(v))
		return 0;	/* not wrapped yet: nothing there is ours (merge_options) */
	policy_init(&pol);
	if (wrap_read_policy(v, &pol, &ignored) == 0 && !strcmp(pol.venv, v->path) &&
	    strcmp(pol.project, v->project) && wrap_set_project(v, pol.project, &ignored) == 0)
		ret = 1;
	policy_release(&pol);
	return ret;
}

/* An ELF executable file: what an interpreter is. pyvenv.cfg of a venv a
 * sandbox could write before the wrap names anything it likes. */
static bool is_elf_program(const char *path)
{
	cleanup_fd int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
	       elf_magic_fd(fd);
}

/* The base interpreter's real path: pyvenv.cfg's executable, else
 * python<X.Y> in home; an ELF program either way. */
static char *find_interpreter(const struct pyvenv *pv)
{
	cleanup_strvec struct strvec cand = STRVEC_INIT;
	size_t i;

	if (pv->executable)
		strvec_push(&cand, pv->executable);
	if (pv->major > 0)
		strvec_pushf(&cand, "%s/python%d.%d", pv->home, pv->major, pv->minor);
	strvec_pushf(&cand, "%s/python3", pv->home);
	strvec_pushf(&cand, "%s/python", pv->home);
	for (i = 0; i < cand.nr; i++) {
		char *real = realpath(cand.v[i], NULL);

		if (real && is_elf_program(real))
			return real;
		free(real);
	}
	return NULL;
}

/* Record path for launches to expose, with where it leads now: a launch
 * refuses it when it leads elsewhere (state.h). */
static void add_expose(struct policy *pol, const char *path)
{
	char *to = realpath(path, NULL);

	if (!to || strvec_find(&pol->expose, path) >= 0) {
		free(to);
		return;
	}
	strvec_push(&pol->expose, path);
	strvec_push_nodup(&pol->expose_to, to);
}

/* path, when it leads to the interpreter (a link to it, or it) by a way
 * no sandbox can change. */
static void add_if_interpreter(const struct strvec *reach, const char *path,
			       struct policy *pol)
{
	cleanup_free char *to = path[0] == '/' ? realpath(path, NULL) : NULL;

	if (to && !strcmp(to, pol->python) && reach_path_outside(reach, path))
		add_expose(pol, path);
}

/* The names a venv tool links bin/python to, in the base Python's home,
 * that lead to the interpreter. Never what a link in bin/ says: pip's
 * sandbox writes the private bin. */
static void add_interpreter_links(const struct strvec *reach, const struct pyvenv *pv,
				  struct policy *pol)
{
	cleanup_strvec struct strvec names = STRVEC_INIT;
	size_t i;

	strvec_pushl(&names, "python", "python3", NULL);
	if (pv->major > 0)
		strvec_pushf(&names, "python%d.%d", pv->major, pv->minor);
	for (i = 0; i < names.nr; i++) {
		cleanup_free char *p = xasprintf("%s/%s", pv->home, names.v[i]);

		add_if_interpreter(reach, p, pol);
	}
}

/* The prefix whose lib/pythonX.Y (or lib64/) holds a standard library
 * (its os.py): the interpreter's own (the directory above its bin/)
 * first, then what pyvenv.cfg says. Nothing else is exposed as one, so a
 * pyvenv.cfg written by a sandbox cannot name a directory of secrets. */
static char *find_prefix(const struct strvec *reach, const struct pyvenv *pv, const char *real)
{
	cleanup_strvec struct strvec cand = STRVEC_INIT;
	cleanup_free char *dir = xstrdup(real);
	char *slash = strrchr(dir, '/');
	size_t i;

	if (slash) {
		*slash = '\0';
		if (str_has_suffix(dir, "/bin"))
			strvec_push_nodup(&cand, xstrndup(dir, strlen(dir) - 4));
	}
	if (pv->base_prefix)
		strvec_push(&cand, pv->base_prefix);
	strvec_push_nodup(&cand, str_has_suffix(pv->home, "/bin") ?
			  xstrndup(pv->home, strlen(pv->home) - 4) : xstrdup(pv->home));
	for (i = 0; i < cand.nr; i++) {
		static const char *const libs[] = { "lib", "lib64" };
		size_t k;

		for (k = 0; k < ARRAY_SIZE(libs); k++) {
			cleanup_free char *os = xasprintf("%s/%s/python%d.%d/os.py", cand.v[i], libs[k],
							  pv->major, pv->minor);
			struct stat st;

			if (cand.v[i][0] == '/' && stat(os, &st) == 0 && S_ISREG(st.st_mode) &&
			    reach_path_outside(reach, os))
				return realpath(cand.v[i], NULL);
		}
	}
	return NULL;
}

int wrap_make_policy(struct venv *v, const struct strvec *bwrap_args,
		     struct policy *pol, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strvec struct strvec reach = STRVEC_INIT;
	struct pyvenv pv;
	cleanup_free char *prefix = NULL;
	cleanup_free char *libdir = NULL;
	int ret = -1;

	pyvenv_init(&pv);
	if (fs_read_file_at(v->fd, "pyvenv.cfg", PYVENV_MAX_SIZE, &text, err) < 0 ||
	    pyvenv_parse(text.buf, text.len, "pyvenv.cfg", &pv, err) < 0) {
		strbuf_addstr(err, "\nhint: recreate the venv: python3 -I -m venv --clear <dir>");
		goto out;
	}
	reach_collect(v->path, v->project, &bwrap_args, 1, &reach);
	pol->python = find_interpreter(&pv);
	if (!pol->python) {
		strbuf_addf(err, "the base Python of this venv is gone (pyvenv.cfg: home = %s)\n"
			    "hint: recreate the venv with an installed Python: python3 -I -m venv --clear <dir>",
			    pv.home);
		goto out;
	}
	if (!reach_path_outside(&reach, pol->python)) {
		strbuf_addf(err, "the base Python '%s' lies where sandboxes can write (the project, "
			    "or a wrapped venv's); refusing to run it", pol->python);
		goto out;
	}
	pol->venv = xstrdup(v->path);
	pol->project = xstrdup(v->project);
	pol->system_site = pv.system_site_packages;

	/* The interpreter, the links that lead to it, its standard library. */
	if (pv.executable)
		add_if_interpreter(&reach, pv.executable, pol);
	add_interpreter_links(&reach, &pv, pol);
	if (pv.major <= 0) {
		strbuf_addstr(err, "pyvenv.cfg does not say which Python version it is for\n"
			      "hint: recreate the venv: python3 -I -m venv --clear <dir>");
		goto out;
	}
	/* No standard library found (a copied interpreter, which falls back
	 * on the prefix it was built for): none exposed. */
	prefix = find_prefix(&reach, &pv, pol->python);
	if (prefix) {
		static const char *const libs[] = { "lib", "lib64" };
		const char *root = strcmp(prefix, "/") ? prefix : "";
		cleanup_free char *real = NULL;
		size_t i;

		for (i = 0; i < ARRAY_SIZE(libs); i++) {
			cleanup_free char *d = xasprintf("%s/%s/python%d.%d", root, libs[i], pv.major,
							 pv.minor);
			if (is_dir(d) && reach_path_outside(&reach, d))
				add_expose(pol, d);
		}
		if (!strcmp(prefix, "/usr")) {
			cleanup_free char *etc = xasprintf("/etc/python%d.%d", pv.major, pv.minor);

			if (is_dir(etc))
				add_expose(pol, etc);
		}
		if (pol->system_site && !strcmp(prefix, "/usr")) {
			cleanup_free char *local = xasprintf("/usr/local/lib/python%d.%d/dist-packages",
							     pv.major, pv.minor);
			if (is_dir(local))
				add_expose(pol, local);
			if (is_dir("/usr/lib/python3/dist-packages"))
				add_expose(pol, "/usr/lib/python3/dist-packages");
		}
		/* By its real path: $ORIGIN in the interpreter's RUNPATH (uv's
		 * Pythons: $ORIGIN/../lib) is expanded against its real
		 * directory. */
		libdir = xasprintf("%s/lib", root);
		real = realpath(libdir, NULL);
		if (real && strcmp(real, "/usr/lib") && strcmp(real, "/lib") && is_dir(real) &&
		    reach_path_outside(&reach, real))
			strvec_push(&pol->lib_dirs, real);
	}
	strvec_pushv(&pol->bwrap_args, bwrap_args->v);
	ret = 0;
out:
	pyvenv_release(&pv);
	return ret;
}

/* Start bwrap with args, its stderr into a pipe: *err_fd. Returns its pid,
 * or -1 with errno. */
static pid_t bwrap_start(const struct strvec *args, int *err_fd)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		static char *const envp[] = { (char *)"PATH=/usr/bin:/bin", NULL };

		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(pipefd[1], 2);
		execve(BWRAP_PATH, (char *const *)args->v, envp);
		_exit(127);
	}
	close(pipefd[1]);
	*err_fd = pipefd[0];
	return pid;
}

/* Wait for a bwrap_start()ed bwrap: 0 when it succeeded, 1 with its first
 * line of stderr in out_err when it failed, -1 with errno. */
static int bwrap_finish(pid_t pid, int err_fd, struct strbuf *out_err)
{
	cleanup_strbuf struct strbuf msg = STRBUF_INIT;
	cleanup_strbuf struct strbuf dummy = STRBUF_INIT;
	int status;

	fs_read_fd(err_fd, 65536, &msg, "bwrap", &dummy);
	close(err_fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	while (msg.len && msg.buf[msg.len - 1] == '\n')
		strbuf_setlen(&msg, msg.len - 1);
	strbuf_addstr(out_err, msg.len ? msg.buf : "bwrap failed");
	return 1;
}

/* Run bwrap with args: bwrap_finish()'s answer. */
static int run_bwrap(const struct strvec *args, struct strbuf *out_err)
{
	int err_fd;
	pid_t pid = bwrap_start(args, &err_fd);

	return pid < 0 ? -1 : bwrap_finish(pid, err_fd, out_err);
}

/*
 * bwrap's answer is remembered, per user, in the state directory: when
 * nothing it depends on has changed, a wrap does not ask again (the probe
 * is a wrap's slowest step after the gates). Only a full yes is kept (a
 * sandbox, with --disable-userns), and only under the key below: a
 * forged or stale file can at worst make a wrap skip the check, and the
 * first launch then fails with bwrap's own message; it cannot make a
 * sandbox weaker.
 */
#define PROBE_FILE "bwrap-works"
#define PROBE_MAX_BYTES 4096

/* What bwrap's answer here depends on, a line each: which bwrap, this
 * boot, the switches for user namespaces, and the caller's namespaces,
 * filters, security label and ids. */
static void probe_key(struct strbuf *key)
{
	static const char *const files[] = {
		"/proc/sys/kernel/random/boot_id",
		"/proc/sys/kernel/unprivileged_userns_clone",
		"/proc/sys/user/max_user_namespaces",
		"/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
		"/sys/kernel/security/apparmor/revision",
		"/proc/self/attr/current",
	};
	static const char *const links[] = { "/proc/self/ns/user", "/proc/self/ns/mnt" };
	static const char *const status[] = { "NoNewPrivs:", "Seccomp:", "Seccomp_filters:" };
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	struct stat st;
	size_t i;

	if (stat(BWRAP_PATH, &st) == 0)
		strbuf_addf(key, "%s %llx:%llx %o %lld %lld.%09ld %lld.%09ld\n", BWRAP_PATH,
			    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			    (unsigned)st.st_mode, (long long)st.st_size,
			    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		strbuf_reset(&text);
		if (fs_read_file_at(AT_FDCWD, files[i], 256, &text, &ignored) < 0) {
			strbuf_reset(&text);
			strbuf_addstr(&text, "-");
		}
		strbuf_addf(key, "%s %.*s\n", files[i], (int)strcspn(text.buf, "\n"), text.buf);
	}
	for (i = 0; i < ARRAY_SIZE(links); i++) {
		cleanup_free char *target = fs_readlink_at(AT_FDCWD, links[i]);

		strbuf_addf(key, "%s %s\n", links[i], target ? target : "-");
	}
	strbuf_reset(&text);
	if (fs_read_file_at(AT_FDCWD, "/proc/self/status", 65536, &text, &ignored) == 0)
		for (i = 0; i < ARRAY_SIZE(status); i++) {
			const char *p = strstr(text.buf, status[i]);

			if (p && (p == text.buf || p[-1] == '\n'))
				strbuf_addf(key, "%.*s\n", (int)strcspn(p, "\n"), p);
		}
	strbuf_addf(key, "uid %u %u\n", (unsigned)getuid(), (unsigned)geteuid());
}

/* Did bwrap say yes under this very key? Only a file of the caller's own
 * that no one else can write counts. */
static bool probe_remembered(const struct strbuf *key)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int dir = registry_dir(getuid(), false, &ignored);
	cleanup_fd int fd = dir < 0 ? -1 : openat(dir, PROBE_FILE, O_RDONLY | O_NOFOLLOW |
						 O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == getuid() && !(st.st_mode & 022) &&
	       fs_read_fd(fd, PROBE_MAX_BYTES, &text, PROBE_FILE, &ignored) == 0 &&
	       text.len == key->len && !memcmp(text.buf, key->buf, key->len);
}

/* A cache: when it cannot be written, the next wrap asks bwrap again. */
static void probe_remember(const struct strbuf *key)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int dir = registry_dir(getuid(), true, &ignored);

	if (dir >= 0)
		fs_replace_at(dir, PROBE_FILE, key->buf, key->len, 0600, 0, &ignored);
}

void wrap_probe_start(struct wrap_probe *p)
{
	cleanup_strvec struct strvec args = STRVEC_INIT;

	p->pid = -1;
	p->remembered = false;
	strbuf_init(&p->key, 0);
	if (access(BWRAP_PATH, X_OK) < 0)
		return;
	probe_key(&p->key);
	if ((p->remembered = probe_remembered(&p->key)))
		return;
	/* Usually one run answers both questions: bwrap makes a sandbox here,
	 * and it knows --disable-userns. */
	strvec_pushl(&args, "bwrap", "--unshare-user", "--disable-userns", "--unshare-pid",
		     "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--",
		     "/bin/sh", "-c", ":", NULL);
	p->pid = bwrap_start(&args, &p->err_fd);
}

int wrap_probe_finish(struct wrap_probe *p, bool *disable_userns, struct strbuf *err)
{
	cleanup_strvec struct strvec args = STRVEC_INIT;
	cleanup_strbuf struct strbuf msg = STRBUF_INIT;
	cleanup_strbuf struct strbuf key = p->key;
	int r;

	strbuf_init(&p->key, 0);
	if (access(BWRAP_PATH, X_OK) < 0) {
		if (p->pid > 0)
			bwrap_finish(p->pid, p->err_fd, &msg);
		strbuf_addf(err, "cannot run '%s': %s\n"
			    "hint: install bubblewrap (Debian, Ubuntu: sudo apt install bubblewrap; "
			    "Fedora: sudo dnf install bubblewrap)", BWRAP_PATH, strerror(errno));
		return -1;
	}
	if (p->remembered) {
		*disable_userns = true;
		return 0;
	}
	if (p->pid > 0 && bwrap_finish(p->pid, p->err_fd, &msg) == 0) {
		*disable_userns = true;
		if (key.len)
			probe_remember(&key);
		return 0;
	}
	p->pid = -1;
	strbuf_reset(&msg);
	strvec_clear(&args);
	strvec_pushl(&args, "bwrap", "--unshare-user", "--unshare-pid", "--ro-bind", "/", "/",
		     "--proc", "/proc", "--dev", "/dev", "--", "/bin/sh", "-c", ":", NULL);
	r = run_bwrap(&args, &msg);
	if (r < 0) {
		strbuf_addf(err, "cannot run '%s': %s", BWRAP_PATH, strerror(errno));
		return -1;
	}
	if (r > 0) {
		strbuf_addf(err, "bwrap cannot create a sandbox here: %s\n", msg.buf);
		strbuf_addstr(err, "hint: unprivileged user namespaces look disabled; enable them with "
				      "'sysctl kernel.unprivileged_userns_clone=1' (Debian) or "
				      "'sysctl user.max_user_namespaces=15000'; on Ubuntu 23.10+ also "
				      "'sysctl kernel.apparmor_restrict_unprivileged_userns=0' or an AppArmor "
				      "profile for bwrap");
		return -1;
	}
	*disable_userns = false;
	return 0;
}

/* A host path from the table or the policy (trusted: symlinks followed):
 * a program, or a directory of them. */
static int collect_trusted(struct libdeps *ld, const char *path, size_t *skipped,
			   struct strbuf *err)
{
	cleanup_free char *real = realpath(path, NULL);
	struct stat st;

	if (!real || stat(real, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return libdeps_scan_tree(ld, real, true, skipped, err);
	if (S_ISREG(st.st_mode))
		return libdeps_add_file(ld, real, false, err);
	return 0;
}

int wrap_scan_host_libs(const struct policy *pol, struct libdeps *ld, struct strbuf *err)
{
	cleanup_strvec struct strvec host = STRVEC_INIT;
	size_t i, skipped = 0;

	if (libdeps_add_system_dirs(ld, "/", err) < 0)
		return -1;
	for (i = 0; i < pol->lib_dirs.nr; i++)
		libdeps_add_dir(ld, pol->lib_dirs.v[i]);
	if (libdeps_add_file(ld, pol->python, false, err) < 0)
		return -1;
	plan_host_paths(&host, NULL, true);
	/* What the recorded permissions add: GL drivers, Xlib, ... */
	desktop_host_paths(&pol->perms, &host, NULL, true);
	for (i = 0; i < host.nr; i++)
		if (collect_trusted(ld, host.v[i], &skipped, err) < 0)
			return -1;
	for (i = 0; i < pol->expose.nr; i++) {
		cleanup_free char *dynload = xasprintf("%s/lib-dynload", pol->expose.v[i]);

		/* The standard library's extension modules are all in lib-dynload. */
		if (collect_trusted(ld, is_dir(dynload) ? dynload : pol->expose.v[i],
				    &skipped, err) < 0)
			return -1;
	}
	return 0;
}

int wrap_write_libs(struct venv *v, struct libdeps *ld, struct strbuf *err)
{
	cleanup_strbuf struct strbuf out = STRBUF_INIT;
	cleanup_free char *venv_lib = xasprintf("%s/lib", v->path);
	cleanup_free char *privbin = xasprintf("%s/%s/%s", v->path, STATE_DIR, STATE_BIN);
	size_t skipped = 0;

	/* Hostile ground: the venv. Parsed, never run; resolved only into
	 * the trusted directories above. */
	if (libdeps_scan_tree(ld, venv_lib, false, &skipped, err) < 0 ||
	    libdeps_scan_tree(ld, privbin, false, &skipped, err) < 0)
		return -1;
	libs_format(&ld->found, &out);
	return venv_write_sealed(v, STATE_LIBS, &out, err);
}

int wrap_update_libs(struct venv *v, const struct policy *pol, struct strbuf *err)
{
	struct libdeps ld;
	int ret;

	libdeps_init(&ld);
	ret = wrap_scan_host_libs(pol, &ld, err) < 0 ? -1 : wrap_write_libs(v, &ld, err);
	libdeps_release(&ld);
	return ret;
}

int wrap_read_policy(struct venv *v, struct policy *pol, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;

	if (venv_read_sealed(v, STATE_POLICY, STATE_MAX_BYTES, &text, err) < 0)
		return -1;
	return policy_parse(text.buf, text.len, pol, err);
}

/* $venv/home with ~/.cache pointing at $venv/cache. */
static int make_home(struct venv *v, struct strbuf *err)
{
	cleanup_fd int home = -1;

	if (fs_mkdir_at(v->fd, "home", 0700, err) < 0 ||
	    fs_mkdir_at(v->fd, "cache", 0700, err) < 0)
		return -1;
	home = fs_open_dir_at(v->fd, "home", err);
	if (home < 0)
		return -1;
	if (symlinkat("../cache", home, ".cache") < 0 && errno != EEXIST) {
		strbuf_addf(err, "cannot create '%s/home/.cache': %s", v->path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The stamp: when bin/ and the private bin last changed, as their
 * directories' mtimes, and when we looked. A launch compares the mtimes
 * (two fstat calls) to notice entry points added by another route. "When
 * we looked" is the time before the listing that the gates were matched
 * with, not after the work: a change made while the work went on (a host
 * tool writing into bin/ while a launch or pip's end gates it) is in the
 * mtimes that come after the listing, unseen by it. So a stamp counts as
 * clean only when both mtimes lie before that look, by more than a tick
 * of the file system's clock (as in git's "racy" index: a change within
 * the same tick can leave the same time). A file system that keeps
 * nanoseconds takes its times from the kernel's coarse clock, whose tick
 * is 10 ms at most (HZ >= 100); a network file system takes them from
 * its server's clock, which may run behind ours: STAMP_RACY_NS allows
 * 100 ms. One that keeps whole seconds (ext3, ext4 with small inodes,
 * FAT, which keeps even ones) gives times with no nanoseconds: two
 * seconds, then. A change made by the work itself makes the stamp racy
 * too: the next launch lists bin/ once more, finds it as it should be,
 * and writes a clean one.
 */
#define STAMP_RACY_NS 100000000LL
#define STAMP_SECONDS_NS 2000000000LL

struct stamp {
	long long bin, privbin, taken;   /* nanoseconds */
};

static long long ts_ns(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static int current_stamp(struct venv *v, struct stamp *st, struct strbuf *err)
{
	struct stat a, b;
	struct timespec now;

	if (fstat(v->bin_fd, &a) < 0 || fstat(v->privbin_fd, &b) < 0 ||
	    clock_gettime(CLOCK_REALTIME, &now) < 0) {
		strbuf_addf(err, "cannot read the state of '%s/bin': %s", v->path, strerror(errno));
		return -1;
	}
	st->bin = ts_ns(&a.st_mtim);
	st->privbin = ts_ns(&b.st_mtim);
	st->taken = ts_ns(&now);
	return 0;
}

/* The stamp: the mtimes now, and `looked`, the time before the listing
 * the work was based on. */
static int write_stamp(struct venv *v, long long looked, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	struct stamp st;

	if (current_stamp(v, &st, err) < 0)
		return -1;
	strbuf_addf(&text, "%lld %lld %lld\n", st.bin, st.privbin, looked);
	return fs_write_atomic_at(v->state_fd, STATE_STAMP, text.buf, text.len, 0644, err);
}

/* Could the directory, changed at mtime, change again at that same time
 * after a look at `taken`? */
static bool stamp_racy(long long mtime, long long taken)
{
	return mtime >= taken - (mtime % 1000000000LL ? STAMP_RACY_NS : STAMP_SECONDS_NS);
}

/* 1 when nothing changed since the stamp, 0 when something may have. */
static int stamp_clean(struct venv *v, struct stamp *now)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct stamp old;
	char extra;

	if (current_stamp(v, now, &err) < 0 ||
	    fs_read_file_at(v->state_fd, STATE_STAMP, 256, &text, &err) < 0 ||
	    sscanf(text.buf, "%lld %lld %lld%c", &old.bin, &old.privbin, &old.taken, &extra) != 4 ||
	    extra != '\n')
		return 0;
	return old.bin == now->bin && old.privbin == now->privbin &&
	       !stamp_racy(old.bin, old.taken) && !stamp_racy(old.privbin, old.taken);
}

int wrap_sync_if_changed(struct venv *v, const struct policy *pol, const char *exe,
			 struct strbuf *err)
{
	cleanup_strvec struct strvec notes = STRVEC_INIT;
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	struct stamp now, old = { -1, -1, -1 };
	size_t i;
	int changes, ret = -1;

	if (stamp_clean(v, &now))
		return 0;
	if (venv_lock(v, err) < 0)
		return -1;
	/* Someone may have done it while we waited for the lock. */
	if (stamp_clean(v, &now)) {
		venv_unlock(v);
		return 0;
	}
	if (fs_read_file_at(v->state_fd, STATE_STAMP, 256, &text, err) == 0)
		sscanf(text.buf, "%lld %lld", &old.bin, &old.privbin);
	strbuf_reset(err);
	changes = gate_sync(v, exe, false, &notes, err);
	if (changes < 0)
		goto out;
	if ((changes > 0 || old.privbin != now.privbin) && wrap_update_libs(v, pol, err) < 0)
		goto out;
	if (write_stamp(v, now.taken, err) < 0)
		goto out;
	for (i = 0; i < notes.nr; i++)
		warn("%s", notes.v[i]);
	ret = 0;
out:
	venv_unlock(v);
	return ret;
}

/*
 * pip in a sandbox that is not pip's: the venv is read-only there, and pip
 * would fail deep in an install with "Read-only file system". A module and
 * the .pth that imports it, in each of the venv's site-packages, make pip
 * say what to run instead. Written here, removed by --unwrap; inert outside
 * sandboxes (plan.c sets SANDBOX_VENV_READ_ONLY for the others).
 */
#define HINT_MODULE "_sandbox_venv_read_only"
/* The module only where it may have something to say: a sandbox that is
 * not pip's, running something that names pip. Importing it elsewhere
 * would compile it at every start (site-packages is read-only inside, so
 * no .pyc is kept): some milliseconds of every python. */
static const char hint_pth[] =
	"import os, sys; os.environ.get('SANDBOX_VENV_READ_ONLY') and "
	"'pip' in ' '.join(getattr(sys, 'orig_argv', None) or getattr(sys, 'argv', [])) and "
	"__import__('" HINT_MODULE "')\n";
static const char hint_py[] =
	"# Written by sandbox-venv into a wrapped venv's site-packages, with the .pth\n"
	"# that imports it; removed by --unwrap. Inside a sandbox that is not pip's,\n"
	"# the venv is read-only: pip asked there to install or uninstall says what to\n"
	"# run instead, rather than failing on a read-only file system. Only os and\n"
	"# sys, and never an exception: it runs while site is imported.\n"
	"import os\n"
	"import sys\n"
	"\n"
	"\n"
	"def _pip_args(argv):\n"
	"    a = list(argv[1:])\n"
	"    while a and a[0].startswith(\"-\") and a[0] != \"-\":\n"
	"        o = a.pop(0)\n"
	"        if o.startswith(\"--\"):\n"
	"            continue\n"
	"        for i, ch in enumerate(o[1:]):\n"
	"            rest = o[i + 2:]\n"
	"            if ch == \"c\":\n"
	"                return None\n"
	"            if ch == \"m\":\n"
	"                mod = rest or (a.pop(0) if a else \"\")\n"
	"                return a if mod == \"pip\" or mod.startswith(\"pip.\") else None\n"
	"            if ch in \"WX\":\n"
	"                if not rest and a:\n"
	"                    a.pop(0)\n"
	"                break\n"
	"    name = os.path.basename(a[0]) if a else \"\"\n"
	"    version = name[3:].lstrip(\"-\")\n"
	"    if name.startswith(\"pip\") and (version == \"\" or version.replace(\".\", \"\", 1).isdigit()):\n"
	"        return a[1:]\n"
	"    return None\n"
	"\n"
	"\n"
	"def _check():\n"
	"    args = _pip_args(getattr(sys, \"orig_argv\", sys.argv))\n"
	"    cmd = next((x for x in args or [] if not x.startswith(\"-\")), \"\")\n"
	"    if cmd in (\"install\", \"uninstall\"):\n"
	"        venv = os.environ.get(\"VIRTUAL_ENV\", \".venv\")\n"
	"        sys.stderr.write(\n"
	"            \"sandbox-venv: pip cannot change the venv from inside a sandbox, where it is \"\n"
	"            \"read-only\\nhint: run it from your shell: %s/bin/pip %s\\n\" % (venv, \" \".join(args)))\n"
	"        sys.stderr.flush()\n"
	"        os._exit(1)  # not SystemExit: this runs while site is imported\n"
	"\n"
	"\n"
	"if os.environ.get(\"SANDBOX_VENV_READ_ONLY\"):\n"
	"    try:\n"
	"        _check()\n"
	"    except Exception:\n"
	"        pass\n";

/* Write or remove the hint in every lib/<python>/site-packages. */
static void hint_files(struct venv *v, bool write)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int lib = openat(v->fd, "lib", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (lib < 0 || !(d = fdopendir(steal_fd(&lib))))
		return;
	while ((de = readdir(d))) {
		cleanup_fd int ver = -1;
		cleanup_fd int fd = -1;

		/* lib/pythonX.Y/site-packages, no link followed on the way: a
		 * link there (pip's sandbox can make one) would have the host
		 * write, and unwrap delete, these files where it leads. */
		if (de->d_name[0] == '.' ||
		    (ver = openat(dirfd(d), de->d_name,
				  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    (fd = openat(ver, "site-packages",
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			continue;
		if (write) {
			fs_replace_at(fd, HINT_MODULE ".pth", hint_pth, strlen(hint_pth), 0644, 0,
				      &ignored);
			fs_replace_at(fd, HINT_MODULE ".py", hint_py, strlen(hint_py), 0644, 0,
				      &ignored);
		} else {
			unlinkat(fd, HINT_MODULE ".pth", 0);
			unlinkat(fd, HINT_MODULE ".py", 0);
		}
	}
	closedir(d);
}

int wrap_unwrap(struct venv *v, struct strbuf *err)
{
	int ret = -1;

	if (venv_open_state(v, false, err) < 0) {
		strbuf_addstr(err, "\nhint: is it wrapped? (sandbox-venv --check)");
		return -1;
	}
	if (venv_lock(v, err) < 0 || gate_unwrap(v, err) < 0 ||
	    fs_remove_tree_at(v->fd, STATE_DIR, err) < 0)
		goto out;
	hint_files(v, false);
	{
		cleanup_strbuf struct strbuf why = STRBUF_INIT;

		registry_remove(v->path, &why);
	}
	ret = 0;
out:
	venv_unlock(v);
	return ret;
}

int wrap_check(struct venv *v, const char *exe, struct strvec *findings, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_strvec struct strvec libs = STRVEC_INIT;
	struct policy pol;
	int ret = 0;

	if (venv_open_state(v, false, &why) < 0) {
		strvec_pushf(findings, "not wrapped: %s", why.buf);
		return 0;
	}
	policy_init(&pol);
	if (wrap_read_policy(v, &pol, &why) < 0) {
		strvec_pushf(findings, "policy: %s", why.buf);
	} else {
		if (strcmp(pol.venv, v->path))
			strvec_pushf(findings, "policy: recorded for '%s', the venv is at '%s'",
				     pol.venv, v->path);
		if (access(pol.python, X_OK) < 0)
			strvec_pushf(findings, "policy: the base Python '%s' is gone", pol.python);
	}
	strbuf_reset(&why);
	if (venv_read_sealed(v, STATE_LIBS, STATE_MAX_BYTES, &text, &why) < 0 ||
	    libs_parse(text.buf, text.len, &libs, &why) < 0)
		strvec_pushf(findings, "library cache: %s", why.buf);
	if (gate_audit(v, exe, findings, err) < 0)
		ret = -1;
	policy_release(&pol);
	return ret;
}

/* Now, for a stamp's `looked`. */
static long long now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return ts_ns(&now);
}

/* The end of every change, under the lock: gates match the private bin,
 * the library cache and the stamp are current, the notes are said.
 * host_libs: the host part of the library scan, when the caller did it
 * (else NULL); synced: what the caller wrote is on disk already. looked:
 * when the caller last listed bin/ (wrap: before it gated it), or 0:
 * settle lists it, and gates what another route put there too (pip's
 * end: a host tool may have written there while pip ran). */
static int settle(struct venv *v, const struct policy *pol, const char *exe,
		  struct libdeps *host_libs, bool synced, long long looked,
		  struct strvec *notes, struct strbuf *err)
{
	int changes;
	size_t i;

	if (!looked) {
		looked = now_ns();
		changes = gate_sync(v, exe, true, notes, err);
	} else {
		changes = gate_reconcile(v, exe, notes, err);
	}
	if (changes < 0 ||
	    (host_libs ? wrap_write_libs(v, host_libs, err) : wrap_update_libs(v, pol, err)) < 0)
		return -1;
	hint_files(v, true);
	/* The gates were written without an fsync each; one for all (unless
	 * the caller's sync covered them all and no gate was written since). */
	if ((changes || !synced) && syncfs(v->fd) < 0) {
		strbuf_addf(err, "cannot sync '%s': %s", v->path, strerror(errno));
		return -1;
	}
	if (write_stamp(v, looked, err) < 0)
		return -1;
	{
		/* Gating bin/ and reconciling it with the private bin can
		 * say the same of a name (one not gated): once is enough. */
		struct strmap said = STRMAP_INIT;

		for (i = 0; i < notes->nr; i++)
			if (strmap_put(&said, notes->v[i], NULL))
				warn("%s", notes->v[i]);
		strmap_clear(&said, NULL);
	}
	return 0;
}

/* Is the option group args[i .. i+n) already in `in`? */
static bool has_group(const struct strvec *in, const struct strvec *args, size_t i, size_t n)
{
	size_t j, k;

	for (j = 0; j < in->nr; j += bwrapopt_group_len(in, j)) {
		if (bwrapopt_group_len(in, j) != n)
			continue;
		for (k = 0; k < n && !strcmp(in->v[j + k], args->v[i + k]); k++)
			;
		if (k == n)
			return true;
	}
	return false;
}

/* The options a wrap records: what was recorded (unless reset), then each
 * new option that is not there yet. */
static void merge_options(struct venv *v, const struct strvec *add, bool reset,
			  struct strvec *out, struct perms *perms)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	struct policy old;
	size_t i, n;

	policy_init(&old);
	errno = 0;
	if (reset || v->state_fd < 0) {
		/* nothing to keep */
	} else if (!gate_wrapped(v)) {
		/* Not wrapped yet: whatever the state holds, a sandbox of
		 * another venv of the project could have put there, sealed
		 * or not (seal.h: a key can leak). */
		if (faccessat(v->state_fd, STATE_POLICY, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			warn("'%s/%s/%s' was there before this venv was wrapped: nothing it records "
			     "is kept (options, permissions, the project); give again those that are "
			     "yours", v->path, STATE_DIR, STATE_POLICY);
	} else if (wrap_read_policy(v, &old, &ignored) == 0 && !strcmp(old.venv, v->path)) {
		strvec_pushv(out, old.bwrap_args.v);
		*perms = old.perms;
		perms_init(&old.perms);
	} else if (errno == EBADMSG) {
		/* Written while a sandbox could, or by another sandbox-venv. */
		warn("%s\nnote: nothing it records is kept (options, permissions, the project): "
		     "give again those that are yours", ignored.buf);
	}
	policy_release(&old);
	for (i = 0; i < add->nr; i += n) {
		n = bwrapopt_group_len(add, i);
		if (!has_group(out, add, i, n)) {
			size_t k;

			for (k = 0; k < n; k++)
				strvec_push(out, add->v[i + k]);
		}
	}
}

/* v's home and cache, made now for the probe; removed again when the
 * wrap fails and they were not there before. */
static bool exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* What the venv held before this wrap: a wrap that stops takes back only
 * what it made. */
struct had {
	bool state, home, cache;
};

static void had_now(struct venv *v, struct had *had)
{
	had->state = exists_at(v->fd, STATE_DIR);
	had->home = exists_at(v->fd, "home");
	had->cache = exists_at(v->fd, "cache");
}

static void take_back(struct venv *v, const struct had *had)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

	if (!had->state)
		fs_remove_tree_at(v->fd, STATE_DIR, &ignored);
	if (!had->home)
		fs_remove_tree_at(v->fd, "home", &ignored);
	if (!had->cache)
		fs_remove_tree_at(v->fd, "cache", &ignored);
}

static int probe_layout(struct venv *v, struct policy *pol, const struct had *had,
			struct strbuf *err)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;

	if (make_home(v, err) < 0)
		return -1;
	/* Without options of yours, nothing here that the background probe
	 * (wrap_probe_start) has not tried: a launch's worth of time saved. */
	if (!pol->bwrap_args.nr)
		return 0;
	if (launch_probe(v, pol, &why) == 0)
		return 0;
	take_back(v, had);
	strbuf_addf(err, "bwrap refuses the options to record: %s", why.buf);
	return -1;
}

/* List venv, with the places its sandboxes write (its project, its
 * writable binds), so that the sandboxes of a project holding it see it
 * read-only, wrapped before or after it (registry.h). */
static void list_venv(struct venv *v, const struct policy *pol)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_strvec struct strvec writes = STRVEC_INIT;

	strvec_push(&writes, pol->project);
	reach_writable_sources(&pol->bwrap_args, &writes);
	if (registry_add(v->path, &writes, &why) < 0)
		warn("%s\nnote: sandboxes of other venvs whose project holds this one "
		     "will not know to keep it read-only", why.buf);
}

/* Which directory the venv is: its file system, inode and birth, so that
 * one made again at the same path (its inode number given again) is
 * another. False where the file system keeps no birth time. */
static bool venv_identity(struct venv *v, struct strbuf *out)
{
	struct statx sx;

	if (statx(v->fd, "", AT_EMPTY_PATH, STATX_INO | STATX_BTIME, &sx) < 0 ||
	    !(sx.stx_mask & STATX_BTIME))
		return false;
	strbuf_addf(out, "%u:%u %llu %lld.%09u\n", sx.stx_dev_major, sx.stx_dev_minor,
		    (unsigned long long)sx.stx_ino, (long long)sx.stx_btime.tv_sec,
		    sx.stx_btime.tv_nsec);
	return true;
}

/* Was this very directory listed by a wrap that looked at the sandboxes
 * running then (first_wrap_alone)? Then every sandbox built since keeps
 * it read-only. Its record is sealed (a sandbox that could write the venv
 * before cannot make one), and names the directory: a venv removed and
 * made again at that path is not it, and the sandboxes built before that
 * see the new one writable. */
static bool listed_before(struct venv *v)
{
	cleanup_strbuf struct strbuf want = STRBUF_INIT;
	cleanup_strbuf struct strbuf got = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

	return v->state_fd >= 0 && registry_lists(v->path) && venv_identity(v, &want) &&
	       venv_read_sealed(v, STATE_LISTED, 256, &got, &ignored) == 0 &&
	       got.len == want.len && !memcmp(got.buf, want.buf, want.len);
}

/* A venv wrapped for the first time is writable in the sandboxes built
 * before it was listed, of a project that holds it: one still running
 * would put its own program in place of a gate, and that runs on the
 * host. So it is listed first, with the launches held back (none is
 * between reading the list and having a sandbox to look at), and the wrap
 * goes ahead only when no sandbox running can reach it (running.h).
 * Returns 0, or -1 with it taken off the list again if it was not on it. */
static int first_wrap_alone(struct venv *v, const struct policy *pol, struct strbuf *err)
{
	cleanup_strvec struct strvec found = STRVEC_INIT;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_fd int held = registry_launches_held(err);
	bool was_listed;
	size_t i;

	if (held < 0)
		return -1;
	was_listed = registry_lists(v->path);
	list_venv(v, pol);
	running_reaching(v->path, &found);
	if (!found.nr)
		return 0;
	/* Taken off again only if this wrap put it there: the sandboxes
	 * started since it was listed keep it read-only. */
	if (!was_listed)
		registry_remove(v->path, &why);
	strbuf_addf(err, "cannot wrap '%s' yet: %s before it was listed, with a writable "
		    "mount of it or of a directory above it: there, a program of the sandbox's "
		    "could take the place of a gate, which runs on the host:", v->path,
		    found.nr == 1 ? "a sandbox runs that may have been started" :
		    "sandboxes run that may have been started");
	for (i = 0; i < found.nr; i++) {
		cleanup_free char *shown = str_shown(found.v[i]);

		strbuf_addf(err, "\n  %s", shown);
	}
	strbuf_addstr(err, "\nhint: end the launches above (sandbox-venv --list shows them), "
		      "then wrap it again");
	return -1;
}

int wrap_venv(struct venv *v, const char *exe, const struct strvec *bwrap_args,
	      const struct strvec *perms, bool reset, struct strvec *gated, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strvec struct strvec notes = STRVEC_INIT;
	cleanup_strvec struct strvec options = STRVEC_INIT;
	struct wrap_probe probe;
	struct libdeps host_libs;
	struct policy pol;
	bool disable_userns = false, listed = false;
	struct had had;
	int ret = -1, synced, scanned;
	long long looked;

	policy_init(&pol);
	libdeps_init(&host_libs);
	{
		/* Wrapped before? Then the real python links are in the private
		 * bin, and the recorded options are kept. */
		cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

		venv_open_state(v, false, &ignored);
		had_now(v, &had);
	}
	{
		struct perms recorded;
		size_t i;

		perms_init(&recorded);
		merge_options(v, bwrap_args, reset, &options, &recorded);
		for (i = 0; i < perms->nr; i++)
			if (perms_apply(&recorded, perms->v[i], err) < 0) {
				perms_release(&recorded);
				goto out;
			}
		pol.perms = recorded;
	}
	/* Those kept from an earlier wrap too: an older build may have
	 * recorded one this build refuses. */
	if (bwrapopt_check(&options, "the recorded options", NULL, err) < 0) {
		strbuf_addstr(err, "\nhint: sandbox-venv --reset VENV [OPTION...] records others");
		goto out;
	}
	if (wrap_make_policy(v, &options, &pol, err) < 0 || gate_check_bin(v, err) < 0)
		goto out;
	/* Every gate starts this binary: one a sandbox can replace would run
	 * what it put there on the host, at the next launch (in the project,
	 * or in that of another wrapped venv: a checkout with a venv of its
	 * own). */
	{
		cleanup_strvec struct strvec reach = STRVEC_INIT;
		const struct strvec *args = &options;
		/* The launcher the gates name, and this binary, to which it
		 * hands what it does not do itself (lean.h). */
		cleanup_free char *own = realpath("/proc/self/exe", NULL);
		const char *launchers[] = { exe, own };
		const char *where = NULL;
		size_t i;

		reach_collect(v->path, v->project, &args, 1, &reach);
		for (i = 0; i < ARRAY_SIZE(launchers); i++) {
			if (!launchers[i])
				continue;
			if ((where = reach_find(&reach, launchers[i]))) {
				strbuf_addf(err, "this sandbox-venv, '%s', lies in %s '%s', which its "
					    "sandboxes can write: a gate would start whatever a "
					    "sandbox put in its place\nhint: install it (make install) "
					    "or run it from elsewhere", launchers[i],
					    path_is_under(where, pol.project) ? "the project" :
					    "a wrapped venv's directory", where);
				goto out;
			}
			if (lean_check_program(launchers[i], NULL, err) < 0)
				goto out;
		}
	}
	/* Nothing is written before bwrap has said yes (now, or under the
	 * same key before: wrap_probe_start); meanwhile, what the host's
	 * trusted paths need (it reads only). */
	wrap_probe_start(&probe);
	scanned = wrap_scan_host_libs(&pol, &host_libs, err);
	if (wrap_probe_finish(&probe, &disable_userns, scanned < 0 ? &text : err) < 0 || scanned < 0)
		goto out;
	pol.disable_userns = disable_userns;
	find_other_venvs(v, &pol, &notes);
	if (probe_layout(v, &pol, &had, err) < 0)
		goto out;
	if (venv_open_state(v, true, err) < 0 || venv_lock(v, err) < 0 ||
	    fs_mkdir_at(v->state_fd, STATE_EMPTY, 0555, err) < 0)
		goto out;
	if (!had.state || !listed_before(v)) {
		if (first_wrap_alone(v, &pol, err) < 0) {
			take_back(v, &had);
			goto out;
		}
		listed = true;
	}
	/* The policy first: a gate is useless without it. A crash before the
	 * library cache is written leaves it to the first launch. */
	policy_format(&pol, &text);
	looked = now_ns();
	if (venv_write_sealed(v, STATE_POLICY, &text, err) < 0 ||
	    (synced = gate_wrap_bin(v, exe, gated, &notes, err)) < 0 ||
	    settle(v, &pol, exe, &host_libs, synced, looked, &notes, err) < 0)
		goto out;
	if (!listed) {
		list_venv(v, &pol);
	} else {
		/* Looked at: the next wrap need not look (listed_before). */
		cleanup_strbuf struct strbuf id = STRBUF_INIT;
		cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

		if (venv_identity(v, &id))
			venv_write_sealed(v, STATE_LISTED, &id, &ignored);
	}
	ret = 0;
out:
	venv_unlock(v);
	libdeps_release(&host_libs);
	policy_release(&pol);
	return ret;
}

int wrap_reconcile(struct venv *v, const char *exe, struct strbuf *err)
{
	cleanup_strvec struct strvec notes = STRVEC_INIT;
	struct policy pol;
	int ret = -1;

	policy_init(&pol);
	if (venv_lock(v, err) < 0 || wrap_read_policy(v, &pol, err) < 0 ||
	    settle(v, &pol, exe, NULL, false, 0, &notes, err) < 0)
		goto out;
	ret = 0;
out:
	venv_unlock(v);
	policy_release(&pol);
	return ret;
}
