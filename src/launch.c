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
 *   gather       libraries, the caller's wishes, the network policy, .env
 *   open_binds   every directory the sandbox binds from writable ground, as
 *                fds opened without following symlinks
 *   open_links   the link service, when the caller has a desktop (links.h)
 *   execute      the plan, the run, and the host-side work after it
 */
#include "launch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bwrapargs.h"
#include "bwrapopts.h"
#include "desktop.h"
#include "dotenv.h"
#include "fsutil.h"
#include "gate.h"
#include "gitrepo.h"
#include "guard.h"
#include "init.h"
#include "landlock.h"
#include "lean.h"
#include "netpolicy.h"
#include "links.h"
#include "pip.h"
#include "plan.h"
#include "reach.h"
#include "registry.h"
#include "run.h"
#include "scfilter.h"
#include "state.h"
#include "users.h"
#include "venv.h"
#include "view.h"
#include "wrap.h"

extern char **environ;

#define DOTENV_MAX_BYTES (1u << 20)

/* Everything one launch gathers, opens and owns. */
struct launch {
	struct venv *v;                /* venv or, for a probe, the caller's */
	struct policy *pol;
	struct venv venv;
	struct policy policy;
	struct strvec reach;           /* where sandboxes write: launch_reach */
	bool have_reach;
	char *real;                    /* the gate's canonical path */
	const char *name;              /* the entry point's name (in real) */
	bool pip, verbose;
	struct launch_layout layout;
	int proj;                      /* the project, O_PATH */
	struct strvec libs, dotenv, pass_env, extra;
	/* The recorded options and BWRAP_ARGS as bwrap gets them: a source
	 * where a sandbox writes is a descriptor (pin_sources). */
	struct strvec recorded_pinned, extra_pinned;
	int *source_fds;
	size_t nr_source_fds;
	struct strvec git_targets;     /* gitrepo.h: bound read-only, guarded */
	struct scfilter_policy scp;
	struct pip_config pipconf;
	char *pip_cache, *cwd;
	struct strbuf passwd, group;
	struct strvec bind_paths;      /* owns plan_bind paths */
	struct plan_bind *binds;
	size_t nr_binds;
	struct net_policy net;         /* recorded, or SANDBOX_NETWORK's */
	struct proxy_config proxy;     /* for --network=allow= */
	struct desktop desktop;        /* what the permissions give */
	struct links *links;           /* the link service, or NULL */
	int views[8];                  /* view.h: bound in place of link tmpfses */
	size_t nr_views;
	struct lookups lookups;        /* the plan's, kept in the venv's state */
	bool lookups_taken;            /* from the last launch: */
	size_t lookups_dirs;           /* so many directories checked */
	struct plan_input in;
	struct plan plan;
	/* bwrap, started before the plan (run.h: run_start), with what it
	 * needs then: the program, the init, the rules to come. */
	struct run *run;
	struct strvec argv;
	struct run_init init;
	char *init_which;
	struct strbuf rules, host_rules;
	int guessed[32];               /* the kept views (view_open_all) */
	size_t nr_guessed;
	int pooled[8];                 /* empty memory files for the plan's data */
	size_t nr_pooled, used_pooled;
};

static void launch_init(struct launch *L)
{
	memset(L, 0, sizeof(*L));
	venv_init(&L->venv);
	policy_init(&L->policy);
	L->v = &L->venv;
	L->pol = &L->policy;
	plan_init(&L->plan);
	strvec_init(&L->libs);
	strvec_init(&L->dotenv);
	strvec_init(&L->pass_env);
	strvec_init(&L->extra);
	strvec_init(&L->git_targets);
	strvec_init(&L->recorded_pinned);
	strvec_init(&L->extra_pinned);
	strvec_init(&L->bind_paths);
	strvec_init(&L->reach);
	strbuf_init(&L->passwd, 0);
	strbuf_init(&L->group, 0);
	strbuf_init(&L->rules, 0);
	strbuf_init(&L->host_rules, 0);
	strvec_init(&L->argv);
	L->init.fd = -1;
	pip_config_init(&L->pipconf);
	netpolicy_init(&L->net);
	desktop_init(&L->desktop);
	L->scp.mode = SCFILTER_DEFAULT;
	strvec_init(&L->scp.allow);
	L->proj = -1;
	L->in.fd.venv = L->in.fd.privbin = L->in.fd.empty = L->in.fd.home = -1;
	L->in.fd.cache = L->in.fd.git = L->in.fd.pyvenv_cfg = -1;
	L->verbose = env_flag("VERBOSE");
}

static void launch_release(struct launch *L)
{
	int fds[] = { L->in.fd.empty, L->in.fd.home, L->in.fd.cache, L->in.fd.git,
		      L->in.fd.pyvenv_cfg, L->proj };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < L->nr_source_fds; i++)
		close(L->source_fds[i]);
	for (i = 0; i < L->nr_views; i++)
		close(L->views[i]);
	free(L->source_fds);
	strvec_clear(&L->recorded_pinned);
	strvec_clear(&L->extra_pinned);
	for (i = 0; i < L->nr_binds; i++)
		close(L->binds[i].fd);
	free(L->binds);
	strvec_clear(&L->bind_paths);
	strvec_clear(&L->reach);
	lookups_release(&L->lookups);
	free(L->real);
	free(L->pip_cache);
	free(L->cwd);
	strvec_clear(&L->libs);
	strvec_clear(&L->dotenv);
	strvec_clear(&L->pass_env);
	strvec_clear(&L->extra);
	strvec_clear(&L->git_targets);
	strbuf_release(&L->passwd);
	strbuf_release(&L->group);
	scfilter_policy_release(&L->scp);
	pip_config_release(&L->pipconf);
	netpolicy_release(&L->net);
	desktop_release(&L->desktop);
	links_free(L->links);
	plan_release(&L->plan);
	policy_release(&L->policy);
	venv_release(&L->venv);
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

/* The places sandboxes write (reach.h), with this launch's BWRAP_ARGS
 * and pip cache: made once, when first asked. */
static const struct strvec *launch_reach(struct launch *L)
{
	const struct strvec *args[] = { &L->pol->bwrap_args, &L->extra };

	if (!L->have_reach) {
		reach_collect(L->pol->venv, L->pol->project, args, ARRAY_SIZE(args), &L->reach);
		if (L->pip_cache)
			strvec_push(&L->reach, L->pip_cache);
		L->have_reach = true;
	}
	return &L->reach;
}

static bool sandbox_writable(const char *path, void *data)
{
	cleanup_free char *real = realpath(path, NULL);
	const struct strvec *reach = launch_reach(data);

	return reach_find(reach, path) || (real && reach_find(reach, real));
}

/* What the wrap recorded for launches to expose still leads where it
 * led then, and neither it nor where it leads lies where sandboxes write
 * now (a project wrapped since over the way to the interpreter): wrap.c
 * records nothing whose way a sandbox it knows of can turn, but a launch
 * knows of more (BWRAP_ARGS, venvs wrapped later). A path that is gone is
 * left out, as the plan would. */
static void check_recorded_paths(struct launch *L)
{
	const struct policy *pol = L->pol;
	size_t i;

	for (i = 0; i < pol->expose.nr + pol->lib_dirs.nr + 1; i++) {
		const char *path = i < pol->expose.nr ? pol->expose.v[i] :
				   i < pol->expose.nr + pol->lib_dirs.nr ?
				   pol->lib_dirs.v[i - pol->expose.nr] : pol->python;
		const char *want = i < pol->expose.nr ? pol->expose_to.v[i] : path;
		cleanup_free char *now = realpath(path, NULL);

		const char *where;

		if ((now || errno != ENOENT) && (!now || strcmp(now, want)))
			die_hint("run sandbox-venv on the venv again to record where it leads now",
				 "'%s' leads to '%s', not to '%s' as when the venv was wrapped: "
				 "something changed the way (a sandbox can, where it writes)", path,
				 now ? now : strerror(errno), want);
		if (now && ((where = reach_find(launch_reach(L), path)) ||
			    (where = reach_find(launch_reach(L), now))))
			die_hint("keep the base Python where no sandbox writes, then run sandbox-venv "
				 "on the venv again",
				 "'%s' lies in '%s', where sandboxes can write (a project, a venv, a "
				 "writable bind): it could be turned to anything", path, where);
	}
}

static void find_venv(struct launch *L, const char *gate_path)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *venv_path = NULL;
	cleanup_free char *holder = NULL;
	char *slash;

	L->real = realpath(gate_path, NULL);
	if (!L->real)
		die("cannot find the gate '%s': %s", gate_path, strerror(errno));
	slash = strrchr(L->real, '/');
	L->name = slash + 1;
	if (slash - L->real < 4 || strncmp(slash - 4, "/bin", 4))
		die("'%s' is not in a venv's bin directory", gate_path);
	venv_path = xstrndup(L->real, (size_t)(slash - 4 - L->real));
	if (venv_open(venv_path, L->v, &err) < 0)
		die("%s", err.buf);
	if (venv_open_state(L->v, false, &err) < 0)
		die_hint(xasprintf("run: sandbox-venv '%s'", venv_path), "this venv is not wrapped: %s",
			 err.buf);
	if (wrap_read_policy(L->v, L->pol, &err) < 0)
		die_hint("run sandbox-venv on the venv again", "cannot read the policy of '%s': %s",
			 L->v->path, err.buf);
	if (strcmp(L->pol->venv, L->v->path))
		die_hint("venvs cannot be moved (their scripts name the old place): move it back, "
			 "or recreate it here (python3 -I -m venv --clear DIR, install again) and run "
			 "sandbox-venv on it",
			 "this venv was wrapped at '%s' and is now at '%s'", L->pol->venv, L->v->path);
	if (access(L->pol->python, X_OK) < 0)
		die_hint("recreate the venv with an installed Python (python3 -I -m venv --clear DIR), "
			 "then run sandbox-venv on it",
			 "the base Python of this venv, '%s', is gone", L->pol->python);
	/* Not following a symlink: one on the way may be a sandbox's (a
	 * project inside another's), and the project is bound from this. */
	L->proj = fs_open_nofollow(AT_FDCWD, L->pol->project);
	if (L->proj < 0 && errno == ELOOP)
		die_hint("run sandbox-venv on the venv again if the project moved; look at what is "
			 "there: a sandbox of another project may have made it",
			 "a symlink is now on the way to the project '%s': not followed",
			 L->pol->project);
	if (L->proj < 0)
		die("cannot open project directory '%s': %s", L->pol->project, strerror(errno));
	/* Wrapped before such a project was refused (wrap_check_project); a
	 * wrapped venv, since a sandbox can put a pyvenv.cfg in a project. */
	if ((holder = registry_holding(L->pol->project)))
		die_hint(xasprintf("wrap it again with a project outside that venv: sandbox-venv "
				   "--project DIR %s", L->v->path),
			 "the project '%s' %s the wrapped venv '%s', whose gates and scripts this "
			 "venv's sandboxes could rewrite", L->pol->project,
			 strcmp(holder, L->pol->project) ? "lies in" : "is", holder);
}

/* ---- check_route: the way the caller came (DESIGN MUST 12) ---- */

static void check_route(const struct launch *L, const char *gate_path)
{
	cleanup_free char *link = NULL;
	cleanup_free char *hint = NULL;

	if (!venv_route_link(gate_path, L->pol->project, L->v->path, &link))
		return;
	hint = xasprintf("run it by its own path, '%s/bin/%s', or move the link out of the "
			 "project", L->v->path, L->name);
	die_hint(hint, "'%s' is reached through the symlink '%s', which lies where sandboxes "
		 "can write: one could point it at a program of its own, which the host would "
		 "then run unsandboxed", gate_path, link);
}

/* ---- gather: libraries, entry point, the caller's wishes, .env ---- */

static void synth_passwd(struct strbuf *passwd, struct strbuf *group, const char *home)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	const struct passwd *pw = user_entry(uid);
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

/* What .env was when its warnings were last said: said again only when
 * it changes, not at every launch. */
#define STATE_DOTENV_SAID "dotenv-said"

static void say_dotenv_once(int state_fd, const struct stat *st, const struct strvec *notes)
{
	cleanup_strbuf struct strbuf was = STRBUF_INIT;
	cleanup_strbuf struct strbuf now = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	size_t i;

	if (!notes->nr)
		return;
	strbuf_addf(&now, "%ju %ju %jd %ld %jd\n", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
		    (intmax_t)st->st_size, (long)st->st_mtim.tv_nsec, (intmax_t)st->st_mtim.tv_sec);
	if (state_fd >= 0 && fs_read_file_at(state_fd, STATE_DOTENV_SAID, 256, &was, &ignored) == 0 &&
	    !strcmp(was.buf, now.buf))
		return;
	for (i = 0; i < notes->nr; i++)
		warn("%s", notes->v[i]);
	if (state_fd >= 0)
		fs_replace_at(state_fd, STATE_DOTENV_SAID, now.buf, now.len, 0644, 0, &ignored);
}

/* The project's .env, if any: data, from a regular file only. A line that
 * does not parse is said and skipped, and a file that cannot be read, or
 * is not a regular file (a symlink a sandbox made to a file of yours, a
 * FIFO that would block), is said and left out: .env never stops a launch
 * (a sandbox can write it). Each is said once per change of the file. */
static int read_dotenv(int proj, int state_fd, const char *project, struct strvec *out,
		       struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_strvec struct strvec notes = STRVEC_INIT;
	cleanup_fd int fd = -1;
	struct stat st;

	(void)err;
	fd = openat(proj, ".env", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = errno;

		if (fstatat(proj, ".env", &st, AT_SYMLINK_NOFOLLOW) < 0)
			return 0;	/* gone meanwhile */
		strvec_pushf(&notes, "ignoring '%s/.env': %s\n"
			     "hint: .env must be a regular file (sandboxes can write the project, "
			     "so a symlink there is not followed)", project,
			     fd < 0 && e != ELOOP ? strerror(e) : "not a regular file");
		say_dotenv_once(state_fd, &st, &notes);
		return 0;
	}
	if (fs_read_fd(fd, DOTENV_MAX_BYTES, &text, ".env", &why) < 0 ||
	    dotenv_parse(text.buf, text.len, ".env", out, &notes, &why) < 0)
		strvec_pushf(&notes, "ignoring '%s/.env': %s", project, why.buf);
	say_dotenv_once(state_fd, &st, &notes);
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

/* mkdir -p, in the caller's own home (~/.cache/pip). */
static void mkdir_parents(const char *path, mode_t mode)
{
	cleanup_free char *p = xstrdup(path);
	char *s;

	for (s = p + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, mode);
}

/* The library cache; built now if a wrap was cut short. */
static void load_libs(struct launch *L)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	/* Missing, or not sealed: a sandbox could have written it (seal.h). */
	if (venv_read_sealed(L->v, STATE_LIBS, STATE_MAX_BYTES, &text, &err) < 0) {
		strbuf_reset(&err);
		if (venv_lock(L->v, &err) < 0 || wrap_update_libs(L->v, L->pol, &err) < 0)
			die("%s", err.buf);
		venv_unlock(L->v);
		if (venv_read_sealed(L->v, STATE_LIBS, STATE_MAX_BYTES, &text, &err) < 0)
			die("%s", err.buf);
	}
	if (libs_parse(text.buf, text.len, &L->libs, &err) < 0)
		die_hint("run sandbox-venv on the venv again", "%s", err.buf);
}

/* The network mode asked for: SANDBOX_NETWORK for this launch (the
 * caller's own environment: never .env, whose SANDBOX_* names are
 * refused), else the recorded one. */
static const char *network_mode(const struct launch *L, bool *given)
{
	const char *env = getenv("SANDBOX_NETWORK");

	*given = env && env[0];
	return *given ? env : L->pol->perms.network ? L->pol->perms.network : "host";
}

/* The network policy, of that mode. A pip launch under allow= may also
 * reach where the caller's pip configuration fetches from, or PyPI when
 * it names no index. */
static void network_policy(struct launch *L, const char *const *args)
{
	static const char *const pypi[] = { "pypi.org", "files.pythonhosted.org" };
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strvec struct strvec urls = STRVEC_INIT;
	bool given;
	const char *mode = network_mode(L, &given);
	bool index;
	size_t i;

	if (given && str_has_control(mode))
		die("SANDBOX_NETWORK: the mode holds a control character");
	if (netpolicy_parse(mode, &L->net, &err) < 0)
		die("%s=%s: %s", given ? "SANDBOX_NETWORK" : "the recorded --network",
		    mode, err.buf);
	if (!L->pip || L->net.mode != NET_MODE_ALLOW)
		return;
	index = pip_index_urls(&L->pipconf, args, &urls);
	for (i = 0; i < urls.nr; i++)
		if (netpolicy_add_url(&L->net, urls.v[i], "pip's configuration", &err) < 0) {
			warn("network: a URL of your pip configuration cannot be allowed: %s", err.buf);
			strbuf_reset(&err);
		}
	for (i = 0; !index && i < ARRAY_SIZE(pypi); i++)
		if (netpolicy_add_entry(&L->net, pypi[i], "pip's default index", &err) < 0)
			die("%s", err.buf);
}

/* Everything the caller wants: from the caller's own environment only. */
static void gather(struct launch *L, const char *const *args)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct stat st;
	const char *s;

	load_libs(L);
	L->in.entry = strcmp(L->name, GATE_SHELL) ? L->name : NULL;
	if (L->in.entry && fstatat(L->v->privbin_fd, L->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		char *hint = xasprintf("reinstall what provided it; if it is meant to be gone, "
				       "remove its gate too: rm '%s/bin/%s'", L->v->path, L->name);

		die_hint(hint, "'%s' has no entry point in this venv any more", L->name);
	}
	L->pip = L->in.entry && pip_is_launch(L->name, args);
	if (parse_pass_env(getenv("SANDBOX_PASS_ENV"), &L->pass_env, &err) < 0)
		die("%s", err.buf);
	if ((s = getenv("BWRAP_ARGS")) && (bwrapargs_split(s, &L->extra, &err) < 0 ||
					   bwrapopt_check(&L->extra, "BWRAP_ARGS", NULL, &err) < 0))
		die("%s", err.buf);
	/* The recorded options, checked again: an older build recorded some
	 * that this one refuses. */
	if (bwrapopt_check(&L->pol->bwrap_args, "the recorded options", NULL, &err) < 0)
		die_hint("see them with sandbox-venv --show, and record others with "
			 "sandbox-venv --reset VENV [OPTION...]", "%s", err.buf);
	if (env_flag("SANDBOX_USE_PIP_CACHE")) {
		const char *h = getenv("HOME");
		const struct passwd *pw = user_entry(getuid());
		cleanup_free char *dir = xasprintf("%s/.cache/pip", h && h[0] == '/' ? h :
						   pw ? pw->pw_dir : "/nonexistent");

		/* pip makes it on first use; the bind needs it now. */
		if (access(dir, F_OK) < 0 && errno == ENOENT)
			mkdir_parents(dir, 0700);
		L->pip_cache = realpath(dir, NULL);
		if (!L->pip_cache || venv_check_path_chars(L->pip_cache, "the pip cache", &err) < 0)
			die("SANDBOX_USE_PIP_CACHE: cannot use '%s': %s", dir,
			    err.len ? err.buf : strerror(errno));
	}
	/* pip's configuration, once every place sandboxes write is known
	 * (BWRAP_ARGS, the pip cache): none of it is read from there. */
	if (L->pip) {
		const char *h = getenv("HOME");
		const struct passwd *pw = user_entry(getuid());
		size_t i;

		pip_config_gather((const char *const *)environ, h && h[0] == '/' ? h :
				  pw ? pw->pw_dir : NULL, launch_reach(L), &L->pipconf);
		for (i = 0; i < L->pipconf.notes.nr; i++)
			warn("%s", L->pipconf.notes.v[i]);
		L->in.pip = &L->pipconf;
	}
	network_policy(L, args);
	if (read_dotenv(L->proj, L->v->state_fd, L->pol->project, &L->dotenv, &err) < 0)
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
						      writable, why, false };
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

/* Open dirfd/name; when dirfd, a directory of ours, cannot be searched (a
 * sandbox made it chmod 0), its owner's bits come back first, so that
 * nothing below it is skipped unseen. dir_path: dirfd's path. */
static int open_restoring(int dirfd, const char *name, const char *dir_path)
{
	int flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, name, flags);
	char proc[64];
	struct stat st;

	if (fd >= 0 || errno != EACCES)
		return fd;
	if (fstat(dirfd, &st) < 0 || st.st_uid != geteuid())
		die_hint("give it back its permissions (chmod u+rwx)",
			 "'%s' is in the project and cannot be searched: %s", dir_path,
			 strerror(EACCES));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	if (chmod(proc, (st.st_mode & 07777) | S_IRWXU) < 0)
		die("cannot give '%s' its permissions back: %s", dir_path, strerror(errno));
	warn("a sandbox took the permissions off '%s' (%04o): gave its owner rwx back",
	     dir_path, (unsigned)(st.st_mode & 07777));
	return openat(dirfd, name, flags);
}

/* Open `target`, a directory below the project, one component at a time
 * without following a symlink, pinning every directory on the way (the
 * host follows that path later: a sandbox must not rename any of it).
 * Returns target's fd, -1 when it is gone, or dies when a symlink is on
 * the way, or when it cannot be searched and is not ours to repair: a
 * venv skipped would be writable. */
static int open_below_project(struct launch *L, const char *target, bool strict)
{
	cleanup_free char *path = xstrdup(L->pol->project);
	const char *s = target + strlen(L->pol->project);
	int cur = openat(L->proj, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool pinned = false;	/* cur belongs to a bind */

	while (cur >= 0 && *s == '/') {
		const char *e = strchrnul(s + 1, '/');
		cleanup_free char *name = xstrndup(s + 1, (size_t)(e - s - 1));
		char *longer = xasprintf("%s/%s", path, name);
		int next = strict ? open_restoring(cur, name, path) :
			   openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;

		free(path);
		path = longer;
		if (!pinned)
			close(cur);
		if (next < 0 && !strict)
			return -1;
		if (next < 0 && (saved == ELOOP || saved == ENOTDIR))
			die_hint("look at what is there; sandbox-venv --check names what changed",
				 "'%s' is on the way to the venv '%s' and is no longer a directory: a "
				 "sandbox may have put a symlink there", path, target);
		if (next < 0 && saved != ENOENT)
			die("cannot open '%s', on the way to the venv '%s': %s", path, target,
			    strerror(saved));
		cur = next;
		pinned = false;
		if (cur >= 0 && *e == '/' && !bound(L, path) && !inside_ro_venv(L, path)) {
			add_bind(L, path, cur, true, strict ?
				 "on the way to a venv in the project: pinned, so that it cannot be "
				 "renamed or replaced" :
				 "on the way to what git runs from in the work tree: pinned, so that "
				 "it cannot be renamed or replaced");
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
			strvec_pushf(out, "%s/%s", L->pol->project, de->d_name);
	}
	closedir(d);
}

/* At most this many venvs found by looking (at the wrap, at the project's
 * top now) are bound read-only; the venvs wrapped (the registry) always
 * are. A sandbox can make thousands of directories with a pyvenv.cfg, and
 * a bind each would take bwrap past its limit: no launch at all. */
#define FOUND_VENVS_MAX 64

struct found_venv {
	const char *path;
	struct timespec ctime;  /* of its pyvenv.cfg */
};

/* Oldest first: a sandbox can set a file's mtime, not its ctime, so the
 * venvs there before it come first, and a flood of new ones comes last. */
static int cmp_found(const void *a, const void *b)
{
	const struct found_venv *x = a, *y = b;

	if (x->ctime.tv_sec != y->ctime.tv_sec)
		return x->ctime.tv_sec < y->ctime.tv_sec ? -1 : 1;
	if (x->ctime.tv_nsec != y->ctime.tv_nsec)
		return x->ctime.tv_nsec < y->ctime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* The venvs found by looking, oldest first, at most FOUND_VENVS_MAX of
 * them, into out; the rest is said. */
static void add_found_venvs(const struct strvec *found, struct strvec *out)
{
	cleanup_free struct found_venv *f = xcalloc(found->nr + 1, sizeof(*f));
	size_t i, n = 0, nr;

	for (i = 0; i < found->nr; i++) {
		cleanup_free char *cfg = xasprintf("%s/pyvenv.cfg", found->v[i]);
		struct stat st;

		if (i && !strcmp(found->v[i], found->v[i - 1]))
			continue;
		if (lstat(cfg, &st) < 0)
			continue;
		f[n++] = (struct found_venv){ found->v[i], st.st_ctim };
	}
	qsort(f, n, sizeof(*f), cmp_found);
	nr = n < FOUND_VENVS_MAX ? n : FOUND_VENVS_MAX;
	for (i = 0; i < nr; i++)
		strvec_push(out, f[i].path);
	if (n > nr)
		warn("%zu more directories with a pyvenv.cfg below the project, the newest, are "
		     "not bound read-only (only the %d oldest are)\nhint: a sandbox may have made "
		     "them; wrap a venv you use (sandbox-venv DIR) and it always is", n - nr,
		     FOUND_VENVS_MAX);
}

/* What another venv keeps of its own, shown empty as this venv's state
 * is: its state (its policy holds what was recorded for it, a --setenv
 * value), its sandboxes' HOME and cache. One that holds this venv (a venv
 * in another's home) is an empty file system instead, where bwrap makes
 * the way to this venv's own mounts, and nothing else. */
static void hide_own_dirs(struct launch *L, const char *venv, int venv_fd)
{
	static const char *const names[] = { STATE_DIR, "home", "cache" };
	size_t i;

	if (L->in.fd.empty < 0)
		return;	/* a first wrap's probe */
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		cleanup_free char *path = xasprintf("%s/%s", venv, names[i]);
		struct stat st;
		int fd;

		if (fstatat(venv_fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (path_is_under(L->v->path, path))
			add_bind(L, path, -1, false, "another venv's home or cache, which holds this "
				 "venv: an empty file system, with only the way to this venv");
		else if ((fd = fcntl(L->in.fd.empty, F_DUPFD_CLOEXEC, 3)) >= 0)
			add_bind(L, path, fd, false, "another venv's state, or its sandboxes' home "
				 "or cache: shown empty");
		else
			continue;
		L->binds[L->nr_binds - 1].hidden = true;
	}
}

/* Is path in a directory hide_own_dirs shows empty (or that directory
 * itself, with at)? Then it is not there. */
static bool inside_hidden(const struct launch *L, const char *path, bool at)
{
	size_t i;

	for (i = 0; i < L->nr_binds; i++)
		if (L->binds[i].hidden && path_is_under(path, L->binds[i].path) &&
		    (at || strcmp(path, L->binds[i].path)))
			return true;
	return false;
}

/* The other venvs below the project, read-only, and the directories on
 * the way to each, pinned: every venv wrapped, wherever it lies
 * (registry.h), and those found when this venv was wrapped or at the
 * project's top now (add_found_venvs). */
static void open_other_venvs(struct launch *L)
{
	cleanup_strvec struct strvec others = STRVEC_INIT;
	cleanup_strvec struct strvec looked = STRVEC_INIT;
	cleanup_strvec struct strvec found = STRVEC_INIT;
	size_t i;

	registry_below(L->pol->project, L->v->path, &others);
	venvs_at_top(L, &looked);
	for (i = 0; i < L->pol->protect.nr; i++)
		if (path_is_under(L->pol->protect.v[i], L->pol->project))
			strvec_push(&looked, L->pol->protect.v[i]);
	for (i = 0; i < looked.nr; i++) {	/* this venv, and the registry's: not counted */
		size_t j;

		for (j = 0; j < others.nr && strcmp(others.v[j], looked.v[i]); j++)
			;
		if (j == others.nr && strcmp(looked.v[i], L->v->path))
			strvec_push(&found, looked.v[i]);
	}
	qsort(found.v, found.nr, sizeof(*found.v), strcmp_ptr);
	add_found_venvs(&found, &others);
	qsort(others.v, others.nr, sizeof(*others.v), strcmp_ptr);
	for (i = 0; i < others.nr; i++) {
		const char *e = others.v[i];
		struct stat st;
		bool in_ro;
		int fd;

		/* One that holds this venv too: the project is above it
		 * (find_venv), and this venv's own mounts go over it. One in
		 * this venv: after them (plan.c), where pip has the venv
		 * writable or it lies in the venv's home or cache. One in
		 * another read-only venv is read-only with it: only what it
		 * keeps of its own is hidden. */
		if ((i && !strcmp(e, others.v[i - 1])) || !strcmp(e, L->pol->project) ||
		    !strcmp(e, L->v->path) || inside_hidden(L, e, true))
			continue;
		in_ro = inside_ro_venv(L, e);
		fd = open_below_project(L, e, !in_ro);
		if (fd < 0)
			continue;	/* gone */
		if (fstatat(fd, "pyvenv.cfg", &st, AT_SYMLINK_NOFOLLOW) < 0) {
			close(fd);	/* no longer a venv */
			continue;
		}
		hide_own_dirs(L, e, fd);
		if (in_ro)
			close(fd);
		else
			add_bind(L, e, fd, false, "another venv of the project: read-only, so "
				 "that no sandbox changes what the host runs from it");
	}
}

/* What git runs from in the work tree (gitrepo.h): each existing one
 * read-only, the way to it pinned; the guard watches all (guard.h). */
static void open_git_targets(struct launch *L)
{
	size_t i;

	gitrepo_exec_paths(L->proj, L->pol->project, getenv("HOME"), &L->git_targets);
	for (i = 0; i < L->git_targets.nr; i++) {
		cleanup_free char *full = xasprintf("%s/%s", L->pol->project, L->git_targets.v[i]);
		cleanup_free char *dir = xstrdup(full);
		char *slash = strrchr(dir, '/');
		struct stat st;
		int parent, fd;

		*slash = '\0';
		/* In this venv: its own mounts decide (a sandbox can lead git's
		 * paths there through links in the work tree). */
		if (bound(L, full) || inside_ro_venv(L, full) || path_is_under(full, L->v->path))
			continue;
		parent = strcmp(dir, L->pol->project) ? open_below_project(L, dir, false) :
			 openat(L->proj, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			continue;	/* not there, or not a plain way: the guard watches */
		if (strcmp(dir, L->pol->project) && !bound(L, dir) && !inside_ro_venv(L, dir))
			add_bind(L, dir, fcntl(parent, F_DUPFD_CLOEXEC, 3), true,
				 "holds what git runs from: pinned, so that it cannot be renamed "
				 "or replaced");
		fd = openat(parent, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(parent);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
			close(fd);
			continue;
		}
		add_bind(L, full, fd, false, "what git on the host runs from (a submodule's "
			 "repository, the hooks directory): read-only");
	}
}

/* By path, so that a bind comes after those it lies in; at one path, the
 * one that must win last: writable (a pin), read-only, shown empty. */
static int bind_rank(const struct plan_bind *b)
{
	return b->hidden ? 2 : b->writable ? 0 : 1;
}

static int cmp_bind(const void *a, const void *b)
{
	const struct plan_bind *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : bind_rank(x) - bind_rank(y);
}

/* What lies in a directory shown empty is not there: no bind below one
 * (bwrap could not make its mount point). */
static void drop_hidden_below(struct launch *L)
{
	cleanup_free bool *drop = xcalloc(L->nr_binds + 1, sizeof(*drop));
	size_t i, n = 0;

	for (i = 0; i < L->nr_binds; i++)
		drop[i] = inside_hidden(L, L->binds[i].path, false);
	for (i = 0; i < L->nr_binds; i++)
		if (drop[i])
			close(L->binds[i].fd);	/* -1: an empty file system */
		else
			L->binds[n++] = L->binds[i];
	L->nr_binds = n;
}

/* ---- the caller's options: host paths where a sandbox writes ---- */

/* Where a sandbox of this launch can write, and which holds path: the
 * project or the venv; *rel gets the rest of path. -1: neither. */
static int writable_root(const struct launch *L, const char *path, const char **rel)
{
	const char *roots[] = { L->pol->project, L->v->path };
	int fds[] = { L->proj, L->v->fd };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(roots); i++)
		if (path_is_under(path, roots[i])) {
			*rel = path + strlen(roots[i]);
			return fds[i];
		}
	return -1;
}

static bool inside_by_inode(const struct launch *L, const char *path);


/* An O_PATH descriptor of path when it is a directory, else of the
 * directory that holds it; with follow, as the kernel reaches it (links
 * followed, the last one too), else the last component not followed (it
 * may be a link a sandbox made). -1 with errno. */
static int dir_of(const char *path, bool follow)
{
	int fd = open(path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	struct stat st;
	cleanup_free char *where = NULL;
	char *slash;

	if (fd < 0 || (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)))
		return fd;
	close(fd);
	where = follow ? realpath(path, NULL) : xstrdup(path);
	slash = where ? strrchr(where, '/') : NULL;
	if (!slash)
		return -1;
	*slash = '\0';
	return open(where[0] ? where : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
}


/* The outermost place other than / where some sandbox writes (reach.h:
 * another project, a directory some venv binds writable) that holds
 * path below it, or NULL. The place itself is no sandbox's to replace (a
 * writable bind's own source). */
static const char *reach_place(struct launch *L, const char *path)
{
	const struct strvec *reach = launch_reach(L);
	const char *best = NULL;
	size_t i;

	for (i = 0; i < reach->nr; i++)
		if (strcmp(reach->v[i], "/") && strcmp(path, reach->v[i]) &&
		    path_is_under(path, reach->v[i]) &&
		    (!best || strlen(reach->v[i]) < strlen(best)))
			best = reach->v[i];
	return best;
}

/* The components of path onto todo, last first (todo is a stack). */
static void push_components(struct strvec *todo, const char *path)
{
	cleanup_strvec struct strvec parts = STRVEC_INIT;
	const char *p = path;
	size_t i;

	while (*p) {
		const char *e = strchrnul(p, '/');

		if (e > p)
			strvec_push_nodup(&parts, xstrndup(p, (size_t)(e - p)));
		p = *e ? e + 1 : e;
	}
	for (i = parts.nr; i > 0; i--)
		strvec_push(todo, parts.v[i - 1]);
}

/* path with the symlinks on its way followed, as the kernel would, as
 * long as they lie outside the places a sandbox writes (the host's own:
 * /home -> /var/home, a link in your home to the project, /dev/fd), and
 * no further. NULL when a ".." comes after the way enters such a place:
 * where it leads would depend on what a sandbox put there. */
static char *resolve_outside(struct launch *L, const char *path)
{
	cleanup_strvec struct strvec todo = STRVEC_INIT;	/* components, last first */
	cleanup_strbuf struct strbuf cur = STRBUF_INIT;	/* resolved so far */
	const char *rel;
	bool inside = false;
	int hops = 0;

	push_components(&todo, path);
	while (todo.nr) {
		cleanup_free char *c = xstrdup(todo.v[todo.nr - 1]);
		cleanup_free char *target = NULL;
		size_t keep = cur.len;

		strvec_pop(&todo);
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			char *slash = strrchr(cur.buf, '/');

			if (inside)
				return NULL;
			strbuf_setlen(&cur, slash ? (size_t)(slash - cur.buf) : 0);
			continue;
		}
		strbuf_addf(&cur, "/%s", c);
		if (inside || writable_root(L, cur.buf, &rel) >= 0 || reach_place(L, cur.buf)) {
			inside = true;
			continue;
		}
		target = fs_readlink_at(AT_FDCWD, cur.buf);
		if (!target)
			continue;
		/* A symlink in the project reached by another path (a bind
		 * mount of it) is a sandbox's to have made. */
		if (++hops > 40 || inside_by_inode(L, cur.buf))
			return NULL;
		strbuf_setlen(&cur, target[0] == '/' ? 0 : keep);
		push_components(&todo, target);
	}
	return xstrdup(cur.len ? cur.buf : "/");
}

/* Is path, or a directory above it, the project or the venv, by inode:
 * a bind mount of the project elsewhere, a /proc link to it? */
static bool inside_by_inode(const struct launch *L, const char *path)
{
	/* The directory that holds it, not what its last component (perhaps a
	 * symlink a sandbox made) leads to. */
	cleanup_fd int dir = dir_of(path, false);

	return dir >= 0 && (fs_at_or_below(L->proj, dir) || fs_at_or_below(L->v->fd, dir));
}

/* A read-write bind of a place that holds what the sandbox must see
 * read-only (the project holds the venv and .git; the venv its entry
 * points and state) would be a second, writable view of it. */
/* Die when a bind's source (given, as bwrap reaches it), read-only or
 * not, holds or lies in the state of sandbox-venv (registry.h): the list
 * every check of the options reads, and the key of the seals (a sixth
 * outside attack rewrote the list through --bind ~/.local/state, and read
 * the key). The caller's, and that of the venv's owner. */
static void refuse_state_bind(const struct launch *L, const char *opt, const char *arg,
			      const char *given, const char *what)
{
	cleanup_fd int src = open(given, O_PATH | O_CLOEXEC);
	cleanup_fd int dir = -1;	/* src, or the directory that holds it */
	uid_t uids[2] = { getuid(), geteuid() };
	struct stat st;
	size_t i;

	if (src < 0)
		return;	/* bwrap says what is missing */
	dir = dir_of(given, true);
	if (dir < 0)
		die("%s: %s %s: cannot tell where it lies: %s", what, opt, arg, strerror(errno));
	if (L->v->state_fd >= 0 && fstat(L->v->state_fd, &st) == 0)
		uids[1] = st.st_uid;
	for (i = 0; i < ARRAY_SIZE(uids); i++) {
		cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
		cleanup_fd int state = registry_dir(uids[i], false, &ignored);
		struct stat s;

		if (state < 0 || fstat(src, &s) < 0)
			continue;
		if (fs_at_or_below(state, dir) || (S_ISDIR(s.st_mode) && fs_at_or_below(src, state)))
			die_hint("bind something that does not hold it",
				 "%s: %s %s is refused: it holds, or lies in, sandbox-venv's state "
				 "(~/.local/state/sandbox-venv: the list of wrapped venvs and the key "
				 "of the seals), which no sandbox may see", what, opt, arg);
	}
}

/* The same for the other wrapped venvs (the caller's list) and the
 * repositories of the places their sandboxes write: a writable bind that
 * holds one, or lies in a venv, would let this sandbox change their gates,
 * or what git runs from, which run on the host (a fifth outside attack
 * rewrote another project's bin/python3 through --bind of that project). */
static void other_view(const struct launch *L, const char *opt, const char *given,
		       const char *path, const char *what)
{
	const char *self = L->v->path;
	cleanup_strvec struct strvec below = STRVEC_INIT;
	cleanup_strvec struct strvec places = STRVEC_INIT;
	cleanup_strvec struct strvec own = STRVEC_INIT;
	cleanup_free char *holder = registry_holding(path);
	const char *found = NULL;
	size_t i;

	registry_below(path, self, &below);
	if (below.nr)
		found = below.v[0];
	else if (holder && strcmp(holder, self)) {
		cleanup_free char *home = xasprintf("%s/home", holder);
		cleanup_free char *cache = xasprintf("%s/cache", holder);

		if (!path_is_under(path, home) && !path_is_under(path, cache))
			found = holder;
	}
	/* (A place that is one of this venv's own writable binds is the
	 * user's choice to share, recorded as such: not another's.) */
	registry_places(geteuid(), &places);
	reach_writable_sources(&L->pol->bwrap_args, &own);
	reach_writable_sources(&L->extra, &own);
	for (i = 0; !found && i < places.nr; i++) {
		cleanup_free char *git = xasprintf("%s/.git", places.v[i]);

		if (strvec_find(&own, places.v[i]) < 0 && path_is_under(git, path) &&
		    faccessat(AT_FDCWD, git, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			found = places.v[i];
	}
	if (found)
		die_hint("bind it read-only (--ro-bind), or a directory that holds no wrapped venv "
			 "nor its project's .git",
			 "%s: %s %s: it holds, or lies in, '%s', a wrapped venv or a project's "
			 "repository: read-write here, its gates or what git runs could be changed, "
			 "and they run on the host", what, opt, given, found);
}

static void refuse_second_view(const struct launch *L, const char *opt, const char *given,
			       const char *path, const char *what)
{
	cleanup_free char *git = xasprintf("%s/.git", L->pol->project);
	cleanup_free char *home = xasprintf("%s/home", L->v->path);
	cleanup_free char *cache = xasprintf("%s/cache", L->v->path);
	size_t i;

	/* What git runs from in the work tree (a submodule's .git, a hooks
	 * directory, a program its config names): read-only inside, and so
	 * in any other view of it. */
	for (i = 0; i < L->git_targets.nr; i++) {
		cleanup_free char *t = xasprintf("%s/%s", L->pol->project, L->git_targets.v[i]);

		if (path_is_under(t, path) || path_is_under(path, t))
			die_hint("bind it read-only (--ro-bind), or bind a directory of the project "
				 "that holds none of it",
				 "%s: %s %s: it holds '%s', which git on the host runs from, and which "
				 "the sandbox sees read-only; read-write elsewhere, it could be changed "
				 "from inside", what, opt, given, L->git_targets.v[i]);
	}
	if (path_is_under(L->pol->project, path) || path_is_under(L->v->path, path) ||
	    path_is_under(path, git) ||
	    (path_is_under(path, L->v->path) && !path_is_under(path, home) &&
	     !path_is_under(path, cache)))
		die_hint("bind it read-only (--ro-bind), or bind a directory of the project that "
			 "holds neither",
			 "%s: %s %s: it holds the venv or .git, which the sandbox sees read-only; "
			 "read-write elsewhere, they could be changed from inside", what, opt, given);
	other_view(L, opt, given, path, what);
}

/* File systems through which a process changes the kernel, not files: a
 * writable bind of one, or of a directory with one mounted below it, would
 * give a caller running as root (whose uid the kernel checks there, not
 * its capabilities) the kernel's settings. The device file systems count
 * for a directory only: a writable one lets root make, change or remove
 * the host's device nodes, where a node alone (--dev-bind /dev/nvidia0) is
 * what a user means. By name, as mountinfo gives it; by magic too, where
 * statfs can say it of the source itself. */
static const struct kernel_fs {
	const char *name;
	unsigned long magic;    /* 0: none of its own (devtmpfs is tmpfs's) */
	bool dir_only;
} kernel_fs[] = {
	{ "proc", PROC_SUPER_MAGIC, false },
	{ "sysfs", SYSFS_MAGIC, false },
	{ "debugfs", DEBUGFS_MAGIC, false },
	{ "tracefs", TRACEFS_MAGIC, false },
	{ "securityfs", SECURITYFS_MAGIC, false },
	{ "selinuxfs", SELINUX_MAGIC, false },
	{ "smackfs", SMACK_MAGIC, false },
	{ "bpf", BPF_FS_MAGIC, false },
	{ "cgroup", CGROUP_SUPER_MAGIC, false },
	{ "cgroup2", CGROUP2_SUPER_MAGIC, false },
	{ "efivarfs", EFIVARFS_MAGIC, false },
	{ "pstore", PSTOREFS_MAGIC, false },
	{ "binfmt_misc", BINFMTFS_MAGIC, false },
	{ "configfs", 0, false },
	{ "fusectl", 0, false },
	{ "nfsd", 0, false },
	{ "rpc_pipefs", 0, false },
	{ "devtmpfs", 0, true },
	{ "devpts", DEVPTS_SUPER_MAGIC, true },
};

/* Is a file system of that name (or magic, when name is NULL) one of
 * them, for a directory (dir) or not? */
static bool is_kernel_fs(const char *name, unsigned long magic, bool dir)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kernel_fs); i++)
		if ((name ? !strcmp(name, kernel_fs[i].name) :
			    kernel_fs[i].magic && magic == kernel_fs[i].magic) &&
		    (dir || !kernel_fs[i].dir_only))
			return true;
	return false;
}

struct kernel_below {
	const char *top;
	bool dir;
	char *found;            /* a mount point of one, at or below top */
	size_t held_len;        /* the mount that holds top: its point's length */
	char held_type[64];     /* and type */
};

static void find_kernel_fs(const struct fs_mount *m, void *data)
{
	struct kernel_below *k = data;
	size_t len = strlen(m->point);

	/* The mount that holds top: the longest point above it, the last
	 * listed of those (a mount over another comes after it). */
	if (path_is_under(k->top, m->point) && len >= k->held_len) {
		k->held_len = len;
		snprintf(k->held_type, sizeof(k->held_type), "%s", m->fstype);
	}
	if (!k->found && path_is_under(m->point, k->top) && is_kernel_fs(m->fstype, 0, k->dir))
		k->found = xasprintf("%s (%s)", m->point, m->fstype);
}

/* For a writable bind of fd (the source, as bwrap reaches it): the kernel
 * file system it is on or holds below it, or why it cannot be told; NULL
 * when neither. */
static char *kernel_fs_in(int fd)
{
	cleanup_free char *self = xasprintf("/proc/self/fd/%d", fd);
	cleanup_free char *path = fs_readlink_at(AT_FDCWD, self);
	cleanup_fd int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct kernel_below k = { path, false, NULL, 0, "" };
	struct statfs sf;
	struct stat st;

	if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0 || !path || path[0] != '/')
		return xstrdup("its file system cannot be told");
	k.dir = S_ISDIR(st.st_mode);
	if (is_kernel_fs(NULL, (unsigned long)sf.f_type, k.dir))
		return xasprintf("%s is on one", path);
	if (proc < 0 || fs_each_mount(proc, 0, find_kernel_fs, &k) < 0)
		return xstrdup("its mounts cannot be read");
	if (!k.found && is_kernel_fs(k.held_type, 0, k.dir))
		return xasprintf("%s is on one (%s)", path, k.held_type);
	return k.found;
}

/* Die when an option of the user's (args; what names them) makes or
 * mounts something at a path inside a tree sandboxes write and keep: the
 * project, the venv (pip's sandbox writes it), or the place of a writable
 * bind of theirs before it (written, in *writable, as they come). bwrap
 * follows symlinks on the way to a destination, and a sandbox can leave
 * one there (renaming a directory on the way, even while a mount lies
 * below it): the mount, the --chmod or the --dir would land where the
 * link points, the sandbox's root or the host's (bwrap resolves them from
 * a root that holds both), and pid 1 with it (an outside attack). / itself
 * is refused too. */
static void check_destinations(struct launch *L, const struct strvec *args,
			       const char *what, struct strvec *writable)
{
	const struct strvec *reach = launch_reach(L);
	size_t i, j, k, n;

	for (i = 0; i < args->nr; i += n) {
		const struct bwrapopt *o = bwrapopt_find(args->v[i]);
		cleanup_free char *src = NULL;

		n = bwrapopt_group_len(args, i);
		if (o && o->nargs && o->arg[0] == BWRAPOPT_SRC && i + 1 < args->nr) {
			cleanup_free char *cwd = args->v[i + 1][0] == '/' ? NULL : getcwd(NULL, 0);
			cleanup_free char *given = cwd ? xasprintf("%s/%s", cwd, args->v[i + 1]) :
						  xstrdup(args->v[i + 1]);

			src = path_normalize(given);
		}
		for (j = 0; o && j < o->nargs && i + 1 + j < args->nr; j++) {
			const char *d = args->v[i + 1 + j];
			cleanup_free char *joined = xasprintf("/%s", d);
			cleanup_free char *dest = NULL;
			const char *tree = NULL;

			if (o->arg[j] != BWRAPOPT_DEST)
				continue;
			dest = path_normalize(joined);
			if (!strcmp(dest, "/") && o->mounts)
				die("%s: %s ... %s is refused: it would replace the sandbox's root",
				    what, o->name, d);
			if (path_goes_past(joined, L->pol->project))
				tree = L->pol->project;
			else if (path_goes_past(joined, L->pol->venv) || !strcmp(dest, L->pol->venv))
				tree = L->pol->venv;
			for (k = 0; !tree && k < writable->nr; k++)
				if (path_goes_past(joined, writable->v[k]))
					tree = writable->v[k];
			for (k = 0; !tree && k < reach->nr; k++)
				if (path_goes_past(joined, reach->v[k]))
					tree = reach->v[k];
			if (tree)
				die_hint("give it a place outside what sandboxes write (such as /mnt/NAME)",
					 "%s: %s ... %s is refused: it lies in '%s', where a sandbox can "
					 "put a symlink on the way, and bwrap would follow it", what,
					 o->name, d, tree);
			/* What a bind brings in from the host persists (a tmpfs
			 * is new, and empty, at bwrap's start): a writable one,
			 * or one of a place some sandbox writes, read-only here
			 * or not; and a link leads on. */
			if ((src && ((o->mounts == 'w' || o->mounts == 'd') || reach_find(reach, src))) ||
			    !strcmp(o->name, "--symlink"))
				strvec_push(writable, dest);
		}
	}
}

/* Die when a writable bind's source (fd, or the path given, followed as
 * bwrap follows it) is a kernel file system or holds one. A -try source
 * that is not there is left to bwrap, which skips it; any other that
 * cannot be looked at stops the launch. */
static void refuse_kernel_fs(const char *opt, const char *arg, const char *given, int fd,
			     bool try, const char *what)
{
	cleanup_fd int own = fd < 0 ? open(given, O_PATH | O_CLOEXEC) : -1;
	cleanup_free char *found = NULL;

	if (fd < 0 && own < 0 && errno == ENOENT && try)
		return;
	if (fd < 0 && own < 0)
		die("%s: %s %s: %s", what, opt, arg, strerror(errno));
	found = kernel_fs_in(fd < 0 ? own : fd);
	if (found)
		die_hint("bind it read-only (--ro-bind), or a directory without such a mount",
			 "%s: %s %s is refused: a kernel file system (%s); writable in the "
			 "sandbox, it would give a caller running as root the kernel's settings",
			 what, opt, arg, found);
}

/* The options in args (what: "the recorded options", "BWRAP_ARGS") into
 * out, as bwrap gets them: a host path (SRC) in the project or the venv,
 * which a sandbox can replace with a symlink to anything of yours, is
 * opened here without following one, and bound from that descriptor;
 * bwrap, given the path, would follow it. */
static void pin_sources(struct launch *L, const struct strvec *args, const char *what,
			struct strvec *out)
{
	size_t i, k, n;

	for (i = 0; i < args->nr; i += n) {
		const struct bwrapopt *o = bwrapopt_find(args->v[i]);
		cleanup_free char *given = NULL;
		cleanup_free char *lexical = NULL;
		const char *rel = NULL;
		cleanup_fd int place_fd = -1;
		const char *place = NULL;
		bool try, writable;
		int root, fd;

		n = bwrapopt_group_len(args, i);
		if (!o || !o->nargs || o->arg[0] != BWRAPOPT_SRC || i + n > args->nr) {
			for (k = 0; k < n && i + k < args->nr; k++)
				strvec_push(out, args->v[i + k]);
			continue;
		}
		if (args->v[i + 1][0] == '/') {
			given = xstrdup(args->v[i + 1]);
		} else {
			cleanup_free char *cwd = getcwd(NULL, 0);

			if (!cwd)
				die("cannot tell where you are: %s", strerror(errno));
			given = xasprintf("%s/%s", cwd, args->v[i + 1]);	/* as bwrap sees it */
		}
		refuse_state_bind(L, o->name, args->v[i + 1], given, what);
		lexical = resolve_outside(L, given);
		if (!lexical)
			die("%s: %s %s: a '..' after the way enters the project or the venv, a "
			    "symlink in them reached by another path (a bind mount), or too many "
			    "symlinks: where it leads is not followed", what, o->name, args->v[i + 1]);
		writable = !strcmp(o->name, "--bind") || !strcmp(o->name, "--bind-try") ||
			   !strcmp(o->name, "--dev-bind") || !strcmp(o->name, "--dev-bind-try");
		if (writable)
			refuse_second_view(L, o->name, args->v[i + 1], lexical, what);
		root = writable_root(L, lexical, &rel);
		/* In a place another sandbox writes: opened the same way,
		 * from that place down. */
		if (root < 0 && (place = reach_place(L, lexical))) {
			place_fd = open(place, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (place_fd < 0)
				die("%s: %s %s: cannot open '%s': %s", what, o->name, args->v[i + 1],
				    place, strerror(errno));
			root = place_fd;
			rel = lexical + strlen(place);
		}
		if (root < 0 && inside_by_inode(L, lexical))
			die_hint("name it by its path in the project (or the venv)",
				 "%s: %s %s: it lies in the project or the venv through another path "
				 "(a bind mount, a /proc link), where a sandbox can replace it",
				 what, o->name, args->v[i + 1]);
		try = str_has_suffix(o->name, "-try");
		if (root < 0 && writable && strcmp(o->name, "--bind") && strcmp(o->name, "--bind-try")) {
			/* --dev-bind has no form that takes a descriptor. */
			refuse_kernel_fs(o->name, args->v[i + 1], given, -1, try, what);
		} else if (root < 0 && writable) {
			/* Checked, then bound from the same descriptor: nothing
			 * can be put in its place between the two. */
			fd = open(given, O_PATH | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT && try)
				continue;	/* as bwrap does */
			if (fd < 0)
				die("%s: %s %s: %s", what, o->name, args->v[i + 1], strerror(errno));
			refuse_kernel_fs(o->name, args->v[i + 1], given, fd, try, what);
			L->source_fds = xrealloc(L->source_fds, (L->nr_source_fds + 1) * sizeof(int));
			L->source_fds[L->nr_source_fds++] = fd;
			strvec_pushl(out, "--bind-fd", NULL);
			strvec_pushf(out, "%d", fd);
			strvec_push(out, args->v[i + 2]);
			continue;
		}
		if (root < 0) {
			for (k = 0; k < n; k++)
				strvec_push(out, args->v[i + k]);
			continue;
		}
		try = !strcmp(o->name, "--bind-try") || !strcmp(o->name, "--ro-bind-try");
		if (strcmp(o->name, "--bind") && strcmp(o->name, "--ro-bind") && !try)
			die_hint("bind it with --bind or --ro-bind, or from a place no sandbox writes",
				 "%s: %s %s: a sandbox can write there, and %s would follow whatever it "
				 "put in its place", what, o->name, args->v[i + 1], o->name);
		fd = fs_open_nofollow(root, rel);
		if (fd < 0 && errno == ENOENT && try)
			continue;	/* as bwrap does */
		if (fd < 0 && errno == ELOOP)
			die_hint("look at what is there: a sandbox may have made it; bind what it "
				 "should be by its own path",
				 "%s: %s %s: a symlink is on the way, in '%s', where a sandbox can write: "
				 "not followed", what, o->name, args->v[i + 1],
				 place ? place : root == L->proj ? L->pol->project : L->v->path);
		if (fd < 0)
			die("%s: %s %s: %s", what, o->name, args->v[i + 1], strerror(errno));
		if (writable)
			refuse_kernel_fs(o->name, args->v[i + 1], given, fd, try, what);
		L->source_fds = xrealloc(L->source_fds, (L->nr_source_fds + 1) * sizeof(int));
		L->source_fds[L->nr_source_fds++] = fd;
		strvec_push(out, strcmp(o->name, "--bind") && strcmp(o->name, "--bind-try") ?
			    "--ro-bind-fd" : "--bind-fd");
		strvec_pushf(out, "%d", fd);
		strvec_push(out, args->v[i + 2]);
	}
}

/* The places BWRAP_ARGS binds writable join those recorded for this
 * venv (registry.h): what its sandbox leaves there (a link) must be
 * refused to every other venv's options too, after this launch. */
static void record_writes(struct launch *L)
{
	cleanup_strvec struct strvec writes = STRVEC_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	reach_writable_sources(&L->extra, &writes);
	if (!writes.nr)
		return;
	strvec_push(&writes, L->pol->project);
	if (registry_add(L->v->path, &writes, &err) < 0)
		warn("%s\nnote: other venvs' options will not know that this sandbox writes "
		     "what BWRAP_ARGS binds writable", err.buf);
}

static void open_binds(struct launch *L)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *h = xasprintf("%s/home", L->v->path);
	cleanup_free char *c = xasprintf("%s/cache", L->v->path);
	cleanup_free char *cfg = xasprintf("%s/pyvenv.cfg", L->v->path);

	L->in.fd.venv = L->v->fd;
	L->in.fd.project = L->proj;
	/* A first wrap's probe: the entry points are still in bin/. */
	L->in.fd.privbin = L->v->privbin_fd >= 0 ? L->v->privbin_fd : L->v->bin_fd;
	L->in.fd.home = open_path_fd(L->v->fd, "home", true, false, h, &err);
	L->in.fd.cache = L->in.fd.home < 0 ? -1 : open_path_fd(L->v->fd, "cache", true, false, c, &err);
	L->in.fd.pyvenv_cfg = L->in.fd.cache < 0 ? -1 :
			      open_path_fd(L->v->fd, "pyvenv.cfg", false, false, cfg, &err);
	if (L->in.fd.home < 0 || L->in.fd.cache < 0 || L->in.fd.pyvenv_cfg < 0)
		die("%s", err.buf);
	/* (A first wrap's probe has no state directory yet: nothing to hide.) */
	if (L->v->state_fd >= 0 &&
	    (fs_mkdir_at(L->v->state_fd, STATE_EMPTY, 0555, &err) < 0 ||
	     (L->in.fd.empty = fs_open_dir_path_at(L->v->state_fd, STATE_EMPTY, &err)) < 0))
		die("cannot prepare '%s/%s': %s", L->v->path, STATE_DIR, err.buf);
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
	open_git_targets(L);
	open_other_venvs(L);
	{
		cleanup_strvec struct strvec writable = STRVEC_INIT;

		check_destinations(L, &L->pol->bwrap_args, "the recorded options", &writable);
		check_destinations(L, &L->extra, "BWRAP_ARGS", &writable);
	}
	pin_sources(L, &L->pol->bwrap_args, "the recorded options", &L->recorded_pinned);
	pin_sources(L, &L->extra, "BWRAP_ARGS", &L->extra_pinned);
	/* The way from the project to this venv (tox's .tox/py311). */
	if (path_is_under(L->v->path, L->pol->project)) {
		int fd = open_below_project(L, L->v->path, true);

		if (fd < 0)
			die("cannot open '%s' below its project: %s", L->v->path, strerror(errno));
		close(fd);
	}
	drop_hidden_below(L);
	if (L->nr_binds)
		qsort(L->binds, L->nr_binds, sizeof(*L->binds), cmp_bind);
}

/* ---- open_links: the link service ---- */

/* Can a sandbox of this launch write path (canonical)? The project, the
 * venv (pip's sandbox), a shared pip cache, and what bwrap options bind
 * writable, recorded or in BWRAP_ARGS. Where the host must not take a
 * program (links.h) or a socket (desktop.h) from. */

/* Is the sandbox's network cut or narrowed (--network=none or allow=,
 * recorded or SANDBOX_NETWORK's; --unshare-net, --unshare-all without
 * --share-net after it)? A link would be a way around it. */
static bool network_cut(const struct launch *L)
{
	return bwrapopt_net_cut(&L->extra, bwrapopt_net_cut(&L->pol->bwrap_args,
							    L->net.mode != NET_MODE_HOST));
}

/* Links from inside open on the host when the caller has a desktop and
 * has not recorded --links=off, and the sandbox has the network: a link
 * is a way out (the browser fetches what it names), so a sandbox whose
 * network is cut gets none. A service that cannot start leaves the
 * sandbox without links, and says so. */
static void open_links(struct launch *L)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct links_opener op;

	if (!links_wanted(&L->pol->perms, (const char *const *)environ))
		return;
	if (network_cut(L)) {
		if (L->verbose)
			warn("links: off, since the sandbox's network is cut (a link would be a way out)");
		return;
	}
	links_opener_find(&op, (const char *const *)environ, sandbox_writable, L);
	L->links = links_new(&op, L->verbose, &err);
	links_opener_release(&op);
	if (!L->links)
		warn("links: %s: links from the sandbox are not opened", err.buf);
}

/* ---- execute ---- */

/* Started from outside the project, the program runs in the project (the
 * working directory must exist inside). That is a trap only when an
 * argument names a file here by a relative path: "python x.py" would run
 * the project's x.py, or fail. Then it is said, on one line. */
static void say_outside(const struct launch *L, const char *const *args)
{
	struct stat st;
	size_t i;

	if (!L->cwd || path_is_under(L->cwd, L->pol->project))
		return;
	for (i = 0; args[i]; i++)
		if (args[i][0] != '/' && args[i][0] != '-' && stat(args[i], &st) == 0) {
			warn("note: '%s' is outside the project, so the sandbox runs in the project, "
			     "'%s', where '%s' is another file or none: name files by their absolute "
			     "path, or start from the project", L->cwd, L->pol->project, args[i]);
			return;
		}
}

/* What the launch keeps in the venv's state to go faster (the filter,
 * the views) it keeps only in a state directory of the caller's own: a
 * root caller takes nothing made by the owner of another's venv. And
 * only under the seal of the caller's key (seal.h): the key, or NULL. */
static const struct seal_key *own_state(struct launch *L)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	struct stat st;

	if (fstat(L->v->state_fd, &st) < 0 || st.st_uid != geteuid())
		return NULL;
	return venv_key(L->v, false, &ignored);
}

/* The filter, from the venv's state when it was built there before. */
static int seccomp_fd(struct launch *L, struct strbuf *err)
{
	return scfilter_build_fd_cached(&L->scp, L->v->state_fd, STATE_FILTER, own_state(L),
					&L->plan.seccomp_fd, err);
}

/* For a hand-over (lean.h): the places sandboxes write as the wrap
 * checked them, with the recorded options (not yet BWRAP_ARGS). */
static void recorded_reach(struct strvec *out, void *data)
{
	const struct launch *L = data;
	const struct strvec *args = &L->pol->bwrap_args;

	reach_collect(L->v->path, L->pol->project, &args, 1, out);
}

/* The filter the caller asks for (SANDBOX_SECCOMP_ALLOW), first: in the
 * lean build, one that libseccomp must make hands the launch over before
 * it has changed anything (lean.h); and so does the proxy. */
static void take_filter(struct launch *L)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	lean_set_reach(recorded_reach, L);
	if (scfilter_parse(getenv("SANDBOX_SECCOMP_ALLOW"), &L->scp, &err) < 0)
		die("%s", err.buf);
	if (L->scp.mode == SCFILTER_OFF)
		warn("SANDBOX_SECCOMP_ALLOW is set but empty: running without a system call filter "
		     "(namespaces, the kernel keyring, set-user-ID bits and the rest are open)");
	if (seccomp_fd(L, &err) < 0)
		die("%s", err.buf);
	if (lean_build) {
		struct net_policy net;
		struct stat st;
		bool given, proxy;

		/* Their lists count among the places sandboxes write (reach.h). */
		if ((stat(L->v->path, &st) == 0 && !user_entry(st.st_uid)) ||
		    (stat(L->pol->project, &st) == 0 && !user_entry(st.st_uid)))
			lean_hand_over("the owner of the venv or of its project is not in /etc/passwd");

		netpolicy_init(&net);
		proxy = netpolicy_parse(network_mode(L, &given), &net, &err) == 0 &&
			net.mode == NET_MODE_ALLOW;
		netpolicy_release(&net);
		if (proxy)
			lean_hand_over("the network goes through the proxy, which resolves names "
				       "as the host's C library does");
	}
}

/* The directories of links, as the host keeps them (view.h). */
static void use_views(struct launch *L)
{
	const struct seal_key *key = own_state(L);
	size_t i;

	if (L->plan.layout != PLAN_LAYOUT_LANDLOCK || !key)
		return;
	for (i = 0; i < L->plan.linked.nr && L->nr_views < ARRAY_SIZE(L->views); i++) {
		cleanup_free struct plan_view_entry *e = NULL;
		const char *dir = L->plan.linked.v[i];
		size_t nr;
		int fd;

		if (plan_view_entries(&L->plan, dir, &e, &nr) < 0 ||
		    (fd = view_open(L->v->state_fd, key, e, nr)) < 0)
			continue;
		L->views[L->nr_views++] = fd;
		plan_use_view(&L->plan, dir, fd);
	}
}

/* The views the plan binds, as the descriptors bwrap got at its start
 * (the same directories: compared by inode), so that it need not be
 * started again (run.h). */
static void use_guessed_views(struct launch *L)
{
	size_t i, j, k;

	for (i = 0; i < L->plan.nr && L->nr_guessed; i++) {
		struct plan_op *op = &L->plan.ops[i];
		struct stat want, st;

		if (op->type != PLAN_RO_BIND_FD)
			continue;
		for (j = 0; j < L->nr_views && L->views[j] != op->fd; j++)
			;
		if (j == L->nr_views || fstat(op->fd, &want) < 0)
			continue;
		for (k = 0; k < L->nr_guessed; k++) {
			if (fstat(L->guessed[k], &st) == 0 && st.st_dev == want.st_dev &&
			    st.st_ino == want.st_ino) {
				op->fd = L->guessed[k];
				break;
			}
		}
	}
}

/* The host's paths the last plan looked up (lookups.h), when this caller
 * keeps the venv's state: the plan takes them if nothing changed since. */
static void load_lookups(struct launch *L)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	if (!own_state(L))
		return;
	lookups_init(&L->lookups, true);
	L->in.lookups = &L->lookups;
	if (venv_read_sealed(L->v, STATE_LOOKUPS, STATE_MAX_BYTES, &text, &err) < 0) {
		if (L->verbose && errno != ENOENT)
			warn("looking up the host's paths again: %s", err.buf);
		return;
	}
	if (lookups_load(&L->lookups, text.buf, text.len, &err) < 0) {
		if (L->verbose)
			warn("looking up the host's paths again: %s", err.buf);
		return;
	}
	L->lookups_taken = true;
	L->lookups_dirs = L->lookups.nr_dirs;
}

/* And what this plan looked up anew, for the next launch. A state that
 * cannot be written is no error: the next plan looks up again. */
static void keep_lookups(struct launch *L)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	if (L->in.lookups && lookups_format(&L->lookups, &text) == 0)
		venv_write_sealed(L->v, STATE_LOOKUPS, &text, &err);
}

static void build_plan(struct launch *L, const char *const *args)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *home = xasprintf("%s/home", L->pol->venv);
	size_t i;

	synth_passwd(&L->passwd, &L->group, home);
	L->cwd = getcwd(NULL, 0);
	L->in.policy = L->pol;
	L->in.libs = &L->libs;
	L->in.envp = (const char *const *)environ;
	L->in.dotenv = &L->dotenv;
	L->in.pass_env = &L->pass_env;
	L->in.recorded_args = &L->recorded_pinned;
	L->in.bwrap_args = &L->extra_pinned;
	L->in.source_fds = L->source_fds;
	L->in.nr_source_fds = L->nr_source_fds;
	L->in.cwd = L->cwd;
	L->in.args = args;
	L->in.pip_cache = L->pip_cache;
	L->in.writable_venv = L->pip;
	L->in.net = &L->net;
	L->in.passwd = L->passwd.buf;
	L->in.group = L->group.buf;
	L->in.binds = L->binds;
	L->in.nr_binds = L->nr_binds;
	desktop_gather(&L->desktop, &L->pol->perms, (const char *const *)environ,
		       sandbox_writable, L);
	L->in.desktop = &L->desktop;
	L->in.links_socket = L->links ? links_socket_path(L->links) : NULL;
	L->in.layout = L->layout.layout;
	load_lookups(L);
	if (plan_build(&L->plan, &L->in, &err) < 0)
		die("%s", err.buf);
	keep_lookups(L);
	use_views(L);
	use_guessed_views(L);
	say_outside(L, args);
	for (i = 0; i < L->plan.notes.nr; i++)
		warn("%s", L->plan.notes.v[i]);
	/* Memory files for data, the filter. */
	for (i = 0; i < L->plan.nr; i++) {
		struct plan_op *op = &L->plan.ops[i];

		if (op->type != PLAN_DATA)
			continue;
		if (L->used_pooled < L->nr_pooled) {
			op->fd = L->pooled[L->used_pooled++];
			if (fs_memfd_fill(op->fd, op->dest, op->src, op->len, &err) < 0)
				die("%s", err.buf);
			continue;
		}
		op->fd = fs_memfd_data(op->dest, op->src, op->len, &err);
		if (op->fd < 0)
			die("%s", err.buf);
	}
	if (L->plan.seccomp_fd < 0 && seccomp_fd(L, &err) < 0)
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

/* The host-side work of a run's end, also done when the whole sandbox
 * has stopped and the shell's prompt is about to come back (run.h). */
struct after_run {
	struct launch *L;
	const struct git_guard *guard;
	const char *exe;
};

static int host_work(const struct after_run *a, struct strbuf *err)
{
	if (guard_finish(a->guard, a->L->proj, a->L->pol->project, err) < 0)
		return -1;
	if (a->L->pip && wrap_reconcile(a->L->v, a->exe, err) < 0) {
		warn("after pip: %s\nhint: the next launch tries again", err->buf);
		strbuf_reset(err);
	}
	return 0;
}

static int on_stop(void *data)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	if (host_work(data, &err) == 0)
		return 0;
	warn("%s\nthe launch goes on instead of stopping", err.buf);
	return -1;
}

/* What bwrap's start needs of the run (run.h: run_start). */
static void run_spec_early(struct launch *L, struct run_spec *spec)
{
	*spec = (struct run_spec){ .argv = &L->argv,
				   .rules = L->layout.layout == PLAN_LAYOUT_LANDLOCK ?
					    &L->rules : NULL,
				   .flags = (L->verbose ? RUN_VERBOSE : 0) |
					    (L->links ? RUN_INIT_SHOWN : 0),
				   .stdio = { -1, -1, -1 },
				   .proxy = L->net.mode == NET_MODE_ALLOW ? &L->proxy : NULL,
				   .init = &L->init };
}

/* bwrap starts now, before the plan, with every descriptor the plan can
 * name that is open already (the kept views among them, view.h): its
 * exec and its loader while the plan is made (run.h). Not when the
 * Landlock layout has no view kept yet (the first launch after a wrap):
 * the plan makes them, and a bwrap started now would be started again
 * for them; execute() starts it once the plan is made. */
static void start_early(struct launch *L, const char *const *args)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free int *fds = NULL;
	/* pyvenv.cfg is bound on its own for pip only (plan.c). */
	const int own[] = { L->in.fd.venv, L->proj, L->in.fd.privbin, L->in.fd.empty,
			    L->in.fd.home, L->in.fd.cache, L->in.fd.git,
			    L->pip ? L->in.fd.pyvenv_cfg : -1 };
	struct run_spec spec;
	size_t i, nr = 0;

	L->init.fd = run_open_init(launch_reach(L), &L->init_which, &err);
	if (L->init.fd < 0 || lean_check_launchers(launch_reach(L), &err) < 0)
		die("%s", err.buf);
	L->init.which = L->init_which;
	if (L->layout.layout == PLAN_LAYOUT_LANDLOCK && own_state(L))
		L->nr_guessed = view_open_all(L->v->state_fd, L->guessed, ARRAY_SIZE(L->guessed));
	/* The files the plan writes for the sandbox: /etc/passwd and group
	 * in the per-file layout (in the other, the view holds them), pip's
	 * configuration, the X cookie and the sound server's settings. */
	nr = (L->layout.layout == PLAN_LAYOUT_LANDLOCK ? 0 : 2) + (L->pip ? 3 : 0) +
	     (L->pol->perms.sockets ? 2 : 0);
	while (L->nr_pooled < nr)
		if ((L->pooled[L->nr_pooled++] = fs_memfd_empty("sandbox-venv-data", &err)) < 0)
			die("%s", err.buf);
	plan_program(&L->argv, L->pol->venv, L->in.entry, args);
	L->proxy = (struct proxy_config){ &L->net, L->verbose };
	if (L->layout.layout == PLAN_LAYOUT_LANDLOCK && !L->nr_guessed && own_state(L)) {
		if (L->verbose)
			fprintf(stderr, PROG ": bwrap starts after the plan: no view is kept yet, "
				"the plan makes them\n");
		return;
	}
	nr = 0;
	fds = xcalloc(ARRAY_SIZE(own) + L->nr_binds + L->nr_source_fds + L->nr_guessed +
		      L->nr_pooled + 1, sizeof(*fds));
	for (i = 0; i < ARRAY_SIZE(own); i++)
		if (own[i] >= 0)
			fds[nr++] = own[i];
	for (i = 0; i < L->nr_binds; i++)
		if (L->binds[i].fd >= 0)
			fds[nr++] = L->binds[i].fd;
	for (i = 0; i < L->nr_source_fds; i++)
		fds[nr++] = L->source_fds[i];
	for (i = 0; i < L->nr_guessed; i++)
		fds[nr++] = L->guessed[i];
	for (i = 0; i < L->nr_pooled; i++)
		fds[nr++] = L->pooled[i];
	if (L->plan.seccomp_fd >= 0)
		fds[nr++] = L->plan.seccomp_fd;
	run_spec_early(L, &spec);
	L->run = run_start(&spec, fds, nr, &err);
	if (!L->run)
		die("%s", err.buf);
}

/* The run, and the host-side work after it: recorded before the sandbox
 * starts (guard.h), so that a launcher that cannot finish leaves it to the
 * next launch. */
static int execute(struct launch *L, const char *exe)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strvec struct strvec bargs = STRVEC_INIT;
	cleanup_free int *fds = NULL;
	struct guard_record rec = { -1, NULL };
	const struct seal_key *key;
	cleanup_free char *scope = NULL;
	struct run_service links = { links_attach, links_detach, L->links };
	struct git_guard guard;
	struct after_run after;
	struct run_spec spec;
	size_t nr_fds;
	int status;

	plan_to_args(&L->plan, &bargs);
	plan_rules_data(&L->plan, &L->rules, &L->host_rules);
	fds = plan_fds(&L->plan, &nr_fds);
	if (L->verbose) {
		cleanup_strbuf struct strbuf why = STRBUF_INIT;

		plan_explain(&L->plan, &why);
		strbuf_addstr(&why, PROG ": ");
		launch_describe_layout(&L->layout, &why);
		strbuf_addf(&why, "\n" PROG ": the launcher: %s", lean_build ?
			    "sandbox-venv-launch, the lean build" : "sandbox-venv");
		if (L->lookups_taken)
			strbuf_addf(&why, "\n" PROG ": the host's paths: as the last launch found "
				    "them (%zu directories unchanged since)", L->lookups_dirs);
		/* Paths the project's git config names are in it. */
		put_shown(stderr, "", why.buf, 0);
	}
	guard_start(&guard, L->proj, &L->git_targets);
	key = venv_key(L->v, false, &err);
	scope = venv_seal_scope(L->v, STATE_RUNS);
	if (!key || guard_record(L->v->state_fd, key, scope, &guard, &rec, &err) < 0)
		die("%s", err.buf);
	after = (struct after_run){ L, &guard, exe };
	run_spec_early(L, &spec);
	spec.opts = &bargs;
	spec.fds = fds;
	spec.nr_fds = nr_fds;
	spec.env = &L->plan.env;
	spec.host_rules = &L->host_rules;
	spec.on_stop = on_stop;
	spec.stop_data = &after;
	spec.services = L->links ? &links : NULL;
	spec.nr_services = L->links ? 1 : 0;
	spec.project = L->pol->project;
	spec.project_fd = L->proj;
	if (!L->run && !(L->run = run_start(&spec, fds, nr_fds, &err)))
		die("%s", err.buf);
	if (run_finish(steal_pointer(&L->run), &spec, &status, &err) < 0) {
		guard_record_done(L->v->state_fd, &rec);
		links_free(steal_pointer(&L->links));
		die("%s", err.buf);
	}
	links_free(steal_pointer(&L->links));	/* its socket and directory go now */
	close_plan_fds(&L->plan);
	if (host_work(&after, &err) < 0)
		die("%s", err.buf);	/* the record stays: the next launch tries again */
	guard_record_done(L->v->state_fd, &rec);
	guard_release(&guard);
	return status;
}

int launch_probe(struct venv *v, struct policy *pol, struct strbuf *err)
{
	static const char *const no_args[] = { NULL };
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_strvec struct strvec bargs = STRVEC_INIT;
	cleanup_free int *fds = NULL;
	cleanup_fd int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	cleanup_fd int out = memfd_create("bwrap-probe", MFD_CLOEXEC);
	struct run_spec spec;
	struct launch L;
	size_t nr_fds;
	int status = 0, ret = -1;

	launch_init(&L);
	L.v = v;
	L.pol = pol;
	L.verbose = false;
	L.proj = fs_open_nofollow(AT_FDCWD, pol->project);
	if (L.proj < 0 || null < 0 || out < 0) {
		strbuf_addf(err, "cannot try the sandbox: %s", strerror(errno));
		goto done;
	}
	if (venv_read_sealed(v, STATE_LIBS, STATE_MAX_BYTES, &text, &why) == 0)
		libs_parse(text.buf, text.len, &L.libs, &why);
	/* The network as recorded: --unshare-net is tried too. */
	if (pol->perms.network && netpolicy_parse(pol->perms.network, &L.net, err) < 0)
		goto done;
	open_binds(&L);
	build_plan(&L, no_args);
	/* The init itself, saying its version: the smallest program there is. */
	strvec_clear(&L.plan.argv);
	strvec_pushl(&L.plan.argv, INIT_PATH, "--version", NULL);
	plan_to_args(&L.plan, &bargs);
	fds = plan_fds(&L.plan, &nr_fds);
	spec = (struct run_spec){ .opts = &bargs, .fds = fds, .nr_fds = nr_fds,
				  .argv = &L.plan.argv, .env = &L.plan.env,
				  .flags = RUN_INIT_SHOWN, .stdio = { null, null, out } };
	if (run_sandbox(&spec, &status, err) < 0)
		goto done;
	if (status != 0) {
		strbuf_reset(&text);
		lseek(out, 0, SEEK_SET);
		fs_read_fd(out, 65536, &text, "bwrap's output", &why);
		while (text.len && text.buf[text.len - 1] == '\n')
			strbuf_setlen(&text, text.len - 1);
		strbuf_addf(err, "%s", text.len ? text.buf : "bwrap failed, and said nothing");
		goto done;
	}
	ret = 0;
done:
	close_plan_fds(&L.plan);
	L.v = &L.venv;
	L.pol = &L.policy;
	launch_release(&L);
	return ret;
}

int launch_gate(const char *exe, const char *gate_path, const char *const *args)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *scope = NULL;
	const struct seal_key *key;
	/* The process ends with the launch, and what it holds goes with it:
	 * not released one allocation at a time (0.1 ms), and static, so
	 * that a leak checker finds it all reachable. */
	static struct launch L;

	hygiene();
	launch_init(&L);
	registry_launch_begin();
	find_venv(&L, gate_path);
	check_route(&L, gate_path);
	take_filter(&L);
	key = venv_key(L.v, false, &err);
	scope = venv_seal_scope(L.v, STATE_RUNS);
	if (!key || guard_recover(L.v->state_fd, key, scope, L.proj, L.pol->project, &err) < 0)
		die("%s", err.buf);
	/* Entry points added by another route, or a pip that was killed. A
	 * venv whose gates cannot be brought up to date still launches. */
	if (wrap_sync_if_changed(L.v, L.pol, exe, &err) < 0)
		warn("%s\nhint: run sandbox-venv on the venv to see it again", err.buf);
	gather(&L, args);
	check_recorded_paths(&L);
	open_binds(&L);
	open_links(&L);
	record_writes(&L);
	start_early(&L, args);
	build_plan(&L, args);
	return execute(&L, exe);
}
