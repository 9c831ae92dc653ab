/* test-plan.c - the planner: mounts, order, environment. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plan.h"
#include "tap.h"

static const char *const caller_env[] = {
	"LANG=C.UTF-8", "LC_ALL=C", "TERM=xterm", "OPENAI_API_KEY=sk-secret",
	"LD_PRELOAD=/home/u/evil.so", "PYTHONPATH=/home/u/lib", "PATH=/home/u/bin:/usr/bin",
	"HOME=/home/u", "AWS_SECRET_ACCESS_KEY=x", "HF_TOKEN=hf-123", "LC_SECRET=x",
	"https_proxy=http://proxy.example:3128", "HTTP_PROXY=http://me:pw@proxy.example:3128",
	"all_proxy=socks5://tok@proxy.example", NULL,
};

struct fixture {
	struct policy pol;
	struct strvec libs, dotenv, pass_env, bwrap_args;
	struct plan_bind binds[3];
	struct plan_input in;
	struct plan plan;
};

/* The lookups the next fixture's plan takes (lookups.h), or NULL. */
static struct lookups *fixture_lookups;

static void fixture_build(struct fixture *f, bool pip, const char *entry, const char *cwd,
			  enum plan_layout layout, const char *const *extra)
{
	static const char *const args[] = { "-c", "pass", NULL };
	static const char *const no_args[] = { NULL };
	struct strbuf err = STRBUF_INIT;

	memset(f, 0, sizeof(*f));
	policy_init(&f->pol);
	f->pol.venv = xstrdup("/p/.venv");
	f->pol.project = xstrdup("/p");
	f->pol.python = xstrdup("/usr/bin/python3.11");
	strvec_push(&f->pol.bwrap_args, "--setenv");
	strvec_push(&f->pol.bwrap_args, "X");
	strvec_push(&f->pol.bwrap_args, "recorded");
	strvec_init(&f->libs);
	strvec_init(&f->dotenv);
	strvec_init(&f->pass_env);
	strvec_init(&f->bwrap_args);
	strvec_push(&f->dotenv, "LD_PRELOAD=/p/evil.so");
	strvec_push(&f->dotenv, "DB_URL=postgres://x");
	strvec_push(&f->pass_env, "HF_TOKEN");
	strvec_push(&f->pass_env, "NOT_SET_ANYWHERE");
	strvec_push(&f->bwrap_args, "--setenv");
	strvec_push(&f->bwrap_args, "X");
	strvec_push(&f->bwrap_args, "per-launch");
	if (extra)
		strvec_pushv(&f->bwrap_args, extra);
	f->in.layout = layout;
	f->in.policy = &f->pol;
	f->in.libs = &f->libs;
	f->in.envp = caller_env;
	f->in.dotenv = &f->dotenv;
	f->in.pass_env = &f->pass_env;
	f->in.bwrap_args = &f->bwrap_args;
	f->in.cwd = cwd;
	f->in.entry = entry;
	f->in.args = entry ? args : no_args;
	f->in.writable_venv = pip;
	f->in.fd.venv = 100;
	f->in.fd.privbin = 101;
	f->in.fd.empty = 102;
	f->in.fd.home = 103;
	f->in.fd.cache = 104;
	f->in.fd.git = 105;
	f->in.fd.pyvenv_cfg = 106;
	f->in.fd.project = -1;
	f->binds[0] = (struct plan_bind){ "/p/.tox", 107, true, "pinned", false };
	f->binds[1] = (struct plan_bind){ "/p/.tox/py311", 108, false, "another venv", false };
	f->binds[2] = (struct plan_bind){ "/p/sub/.v2", 109, false, "another venv", false };
	f->in.binds = f->binds;
	f->in.nr_binds = 3;
	f->in.passwd = "u:x:1000:1000::/p/.venv/home:/bin/bash\n";
	f->in.group = "u:x:1000:\n";
	f->in.lookups = fixture_lookups;
	plan_init(&f->plan);
	if (plan_build(&f->plan, &f->in, &err) < 0)
		printf("# plan_build: %s\n", err.buf);
	strbuf_release(&err);
}

static void fixture_init(struct fixture *f, bool pip, const char *entry, const char *cwd)
{
	fixture_build(f, pip, entry, cwd, PLAN_LAYOUT_BINDS, NULL);
}

static void fixture_release(struct fixture *f)
{
	plan_release(&f->plan);
	policy_release(&f->pol);
	strvec_clear(&f->libs);
	strvec_clear(&f->dotenv);
	strvec_clear(&f->pass_env);
	strvec_clear(&f->bwrap_args);
}

/* Index of the first op of type t with dest (or -1). */
static long find_op(const struct plan *p, enum plan_op_type t, const char *dest)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (p->ops[i].type == t && p->ops[i].dest && !strcmp(p->ops[i].dest, dest))
			return (long)i;
	return -1;
}

static bool env_has_prefix(const struct strvec *env, const char *prefix)
{
	size_t i;

	for (i = 0; i < env->nr; i++)
		if (str_has_prefix(env->v[i], prefix))
			return true;
	return false;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

static void test_environment(void)
{
	struct fixture f;
	long i;

	fixture_init(&f, false, "python", "/p/sub");
	ok(env_has_prefix(&f.plan.env, "LANG=C.UTF-8") && env_has_prefix(&f.plan.env, "LC_ALL=C"),
	   "safe variables pass: LANG, LC_*");
	ok(!env_has_prefix(&f.plan.env, "OPENAI_API_KEY=") &&
	   !env_has_prefix(&f.plan.env, "AWS_SECRET_ACCESS_KEY=") &&
	   !env_has_prefix(&f.plan.env, "HF_TOKEN="), "tokens in the caller's environment do not");
	ok(!env_has_prefix(&f.plan.env, "LD_PRELOAD=") && !env_has_prefix(&f.plan.env, "PYTHONPATH="),
	   "loader and Python variables of the caller do not");
	ok(env_has_prefix(&f.plan.env, "PATH=/p/.venv/bin:") &&
	   !env_has_prefix(&f.plan.env, "PATH=/home/u"), "PATH is ours, the venv first");
	ok(env_has_prefix(&f.plan.env, "HOME=/p/.venv/home"), "HOME is the venv's home");
	ok(env_has_prefix(&f.plan.env, "VIRTUAL_ENV=/p/.venv"), "VIRTUAL_ENV is set");
	i = find_op(&f.plan, PLAN_SETENV, "/p/evil.so");
	ok(i >= 0 && !strcmp(f.plan.ops[i].src, "LD_PRELOAD"),
	   ".env's LD_PRELOAD reaches the program through --setenv");
	ok(find_op(&f.plan, PLAN_SETENV, "postgres://x") >= 0, ".env's other variables too");
	ok(find_op(&f.plan, PLAN_SETENV, "hf-123") >= 0, "SANDBOX_PASS_ENV passes HF_TOKEN's value");
	ok(!env_has_prefix(&f.plan.env, "NOT_SET_ANYWHERE"), "a passed name that is unset stays unset");
	ok(!env_has_prefix(&f.plan.env, "LC_SECRET="), "an LC_ name glibc does not know stays out");
	ok(env_has_prefix(&f.plan.env, "https_proxy=http://proxy.example:3128"),
	   "a proxy without credentials passes");
	ok(!env_has_prefix(&f.plan.env, "HTTP_PROXY=") && !env_has_prefix(&f.plan.env, "all_proxy="),
	   "a proxy URL with a user or password does not");
	ok(f.plan.notes.nr == 2 && strstr(f.plan.notes.v[0], "HTTP_PROXY") &&
	   strstr(f.plan.notes.v[0], "SANDBOX_PASS_ENV"), "and the launch says so, with the way to pass it");
	ok(f.plan.extra.nr == 6 && !strcmp(f.plan.extra.v[2], "recorded") &&
	   !strcmp(f.plan.extra.v[5], "per-launch"),
	   "recorded options come first, BWRAP_ARGS after them (later wins)");
	fixture_release(&f);

	ok(plan_env_is_safe("LC_MESSAGES") && plan_env_is_safe("https_proxy") &&
	   plan_env_is_safe("CFLAGS"), "the safe list: LC_*, proxies, compiler flags");
	ok(!plan_env_is_safe("LC_SECRET") && !plan_env_is_safe("LC_") && plan_env_is_safe("LC_ALL") &&
	   plan_env_is_safe("LC_IDENTIFICATION"), "LC_: only the categories glibc knows");
	ok(plan_proxy_has_credentials("http://u:p@h:3128") && plan_proxy_has_credentials("u@h") &&
	   plan_proxy_has_credentials("socks5h://tok@h/") && !plan_proxy_has_credentials("http://h:3128") &&
	   !plan_proxy_has_credentials("http://h/p@q") && !plan_proxy_has_credentials("h:3128"),
	   "proxy URLs: user information is found in the authority only");
	ok(!plan_env_is_safe("LD_LIBRARY_PATH") && !plan_env_is_safe("GITHUB_TOKEN") &&
	   !plan_env_is_safe("SSH_AUTH_SOCK") && !plan_env_is_safe("DBUS_SESSION_BUS_ADDRESS") &&
	   !plan_env_is_safe("DISPLAY"), "not safe: loader paths, tokens, agent and bus sockets");
}

static void test_mounts(bool pip)
{
	static const char *const allowed[] = {
		"/p/.venv", "/p/.venv/bin", "/p/.venv/home", "/p/.venv/cache",
		"/p/.venv/.sandbox-venv", "/p/.venv/pyvenv.cfg", "/p/.git",
		"/p/.tox", "/p/.tox/py311", "/p/sub/.v2",
	};
	cleanup_strvec struct strvec args = STRVEC_INIT;
	long sys, proc, tox, py311, v2;
	struct fixture f;
	const char *mode = pip ? "pip" : "plain";
	long project, venv, bin, home, state, cfg;
	size_t i, j;
	bool stray = false;

	fixture_init(&f, pip, "python", "/elsewhere");
	project = find_op(&f.plan, PLAN_BIND, "/p");
	venv = find_op(&f.plan, pip ? PLAN_BIND_FD : PLAN_RO_BIND_FD, "/p/.venv");
	bin = find_op(&f.plan, pip ? PLAN_BIND_FD : PLAN_RO_BIND_FD, "/p/.venv/bin");
	home = find_op(&f.plan, PLAN_BIND_FD, "/p/.venv/home");
	state = find_op(&f.plan, PLAN_RO_BIND_FD, "/p/.venv/.sandbox-venv");
	cfg = find_op(&f.plan, PLAN_RO_BIND_FD, "/p/.venv/pyvenv.cfg");
	ok(project >= 0 && venv > project, "%s: the project read-write, then the venv over it", mode);
	ok(venv >= 0 && f.plan.ops[venv].fd == 100, "%s: the venv is bound by its fd", mode);
	ok(bin > venv && f.plan.ops[bin].fd == 101, "%s: the private bin over $venv/bin, by fd", mode);
	ok(home > venv && f.plan.ops[home].fd == 103, "%s: the home by fd", mode);
	ok(find_op(&f.plan, PLAN_RO_BIND_FD, "/p/.git") > project, "%s: .git read-only by fd", mode);
	ok(state > bin && f.plan.ops[state].fd == 102,
	   "%s: the state directory is shown empty (a read-only empty directory over it)", mode);
	if (pip)
		ok(cfg > venv, "pip: pyvenv.cfg pinned read-only");
	else
		ok(cfg < 0, "plain: the read-only venv covers pyvenv.cfg");
	proc = find_op(&f.plan, PLAN_PROC, "/proc");
	sys = find_op(&f.plan, PLAN_RO_BIND, "/proc/sys");
	ok(proc >= 0 && sys > proc && !strcmp(f.plan.ops[sys].src, "/proc/sys") &&
	   find_op(&f.plan, PLAN_RO_BIND_TRY, "/proc/sysrq-trigger") > proc,
	   "%s: /proc/sys and /proc/sysrq-trigger read-only over the new /proc", mode);
	tox = find_op(&f.plan, PLAN_BIND_FD, "/p/.tox");
	py311 = find_op(&f.plan, PLAN_RO_BIND_FD, "/p/.tox/py311");
	v2 = find_op(&f.plan, PLAN_RO_BIND_FD, "/p/sub/.v2");
	ok(tox > project && py311 > tox && v2 > project && venv > v2 &&
	   f.plan.ops[tox].fd == 107 && f.plan.ops[py311].fd == 108,
	   "%s: after the project, a pinned directory, then the venvs in it read-only, then ours", mode);
	plan_to_args(&f.plan, &args);
	{
		long drop = strvec_find(&args, "--cap-drop");
		long add = strvec_find(&args, "recorded");

		ok(drop >= 0 && !strcmp(args.v[drop + 1], "ALL") && add > drop,
		   "%s: every capability dropped, before the recorded options", mode);
	}
	for (i = 0; i < f.plan.nr; i++) {
		const struct plan_op *op = &f.plan.ops[i];
		bool ok_dest = false;

		if (op->type == PLAN_SETENV || op->type == PLAN_CHDIR || !op->dest)
			continue;
		if (!under(op->dest, "/p"))
			continue;
		for (j = 0; j < ARRAY_SIZE(allowed); j++)
			ok_dest |= !strcmp(op->dest, allowed[j]) || !strcmp(op->dest, "/p");
		if (!ok_dest) {
			stray = true;
			printf("#   stray mount in a writable tree: %s\n", op->dest);
		}
	}
	ok(!stray, "%s: nothing is mounted inside a tree the sandbox can write", mode);
	i = (size_t)find_op(&f.plan, PLAN_CHDIR, "/p");
	ok((long)i >= 0, "%s: a working directory outside the project becomes the project", mode);
	is_str(f.plan.argv.v[0], "/p/.venv/bin/python", "the program is the venv's own entry point");
	fixture_release(&f);
}

static void test_shell(void)
{
	struct fixture f;

	fixture_init(&f, false, NULL, "/p/sub");
	is_str(f.plan.argv.v[0], "/bin/bash", "shell: bash");
	ok(f.plan.argv.nr == 2 && !strcmp(f.plan.argv.v[1], "-i"), "shell without arguments: -i");
	ok(find_op(&f.plan, PLAN_CHDIR, "/p/sub") >= 0, "a working directory in the project is kept");
	fixture_release(&f);
}

static void test_expose(void)
{
	struct plan p;
	struct stat st;
	long link, bind;

	if (lstat("/bin", &st) < 0 || !S_ISLNK(st.st_mode) || lstat("/usr/bin/sh", &st) < 0) {
		skip("expose: /bin is not a symlink here");
		return;
	}
	plan_init(&p);
	plan_expose(&p, "/bin/sh", "a shell");
	link = find_op(&p, PLAN_SYMLINK, "/bin");
	ok(link >= 0, "expose: a symlink on the way (/bin) becomes --symlink");
	is_str(link >= 0 ? p.ops[link].why : "", "on the way to /bin/sh: a shell",
	       "expose: the symlink's reason names where it leads");
	bind = (long)p.nr - 1;
	ok(bind > link && p.ops[bind].type == PLAN_RO_BIND && p.ops[bind].dest[0] == '/' &&
	   !str_has_prefix(p.ops[bind].dest, "/bin/"), "expose: the final file is bound by its real path");
	is_str(p.ops[bind].why, "a shell", "expose: the bind carries the reason");
	plan_expose(&p, "/bin/sh", "a shell");
	ok(p.ops[p.nr - 1].type == PLAN_RO_BIND && (long)p.nr - 1 == bind,
	   "expose: the same path twice adds nothing");
	plan_expose(&p, "/nonexistent/file", "none");
	ok((long)p.nr - 1 == bind, "expose: a missing path adds nothing");
	plan_expose(&p, "relative/path", "none");
	ok((long)p.nr - 1 == bind, "expose: a relative path adds nothing");
	plan_release(&p);
}

/* The rule for path in the Landlock layout, or NULL. */
static const struct plan_rule *find_rule(const struct plan *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->nr_rules; i++)
		if (!strcmp(p->rules[i].path, path))
			return &p->rules[i];
	return NULL;
}

static bool rule_is(const struct plan *p, const char *path, enum landlock_class c)
{
	const struct plan_rule *r = find_rule(p, path);

	return r && r->access == c;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Index in args of the pair "opt value", or -1. */
static long find_arg_pair(const struct strvec *args, const char *opt, const char *value)
{
	size_t i;

	for (i = 0; i + 1 < args->nr; i++)
		if (!strcmp(args->v[i], opt) && !strcmp(args->v[i + 1], value))
			return (long)i;
	return -1;
}

/* The records in data: all of them, or whether one has path. */
static size_t count_records(const struct strbuf *data, const char *path)
{
	size_t n = 0, off = 0;

	while (off < data->len) {
		const char *rec = data->buf + off + 1;

		if (!path || !strcmp(rec, path))
			n++;
		off += strlen(rec) + 2;
	}
	return n;
}

/* The host half (plan_rules_data): only files the plan exposes, in mounts
 * that mirror the host; the sandbox's own places stay the init's. */
static void test_host_half(const struct plan *p, const char *mode, bool usr_is_callers)
{
	static const char *const inside[] = { "/proc", "/dev", "/tmp", "/var/tmp", "/etc",
					      "/usr/bin", "/etc/passwd", "/etc/group", "/p",
					      "/p/.venv", "/p/.venv/home", "/p/.venv/cache" };
	cleanup_strbuf struct strbuf in = STRBUF_INIT;
	cleanup_strbuf struct strbuf host = STRBUF_INIT;
	size_t i, stray = 0, usr = 0, off = 0;

	plan_rules_data(p, &in, &host);
	ok(count_records(&in, NULL) + count_records(&host, NULL) == p->nr_rules,
	   "landlock %s: each rule in one half", mode);
	for (i = 0; i < ARRAY_SIZE(inside); i++)
		if (count_records(&host, inside[i])) {
			stray++;
			printf("#   opened on the host: %s\n", inside[i]);
		}
	ok(!stray, "landlock %s: /proc, /dev, /tmp, the links' directories, the written files, "
	   "the project and the venv's places are opened inside", mode);
	while (off < host.len) {
		const char *rec = host.buf + off + 1;
		const struct plan_rule *r = find_rule(p, rec);

		if (!r || !r->host)
			stray++;
		if (str_has_prefix(rec, "/usr/"))
			usr++;
		off += strlen(rec) + 2;
	}
	ok(!stray, "landlock %s: the host half holds exposed files only", mode);
	if (usr_is_callers)
		ok(usr == 0 && count_records(&in, "/usr/bin/python3.11"),
		   "landlock %s: nothing below a caller's mount is opened on the host", mode);
	else
		ok(usr > 0 || !exists("/usr/bin/env"), "landlock %s: the files of /usr are opened "
		   "on the host", mode);
}

static void test_landlock(bool pip)
{
	static const char *const private[] = { "/home", "/root", "/run/user", "/var" };
	cleanup_strvec struct strvec args = STRVEC_INIT;
	cleanup_strbuf struct strbuf data = STRBUF_INIT;
	const char *mode = pip ? "pip" : "plain";
	struct fixture f;
	size_t i, j, file_binds = 0;
	bool stray = false;

	fixture_build(&f, pip, "python", "/p", PLAN_LAYOUT_LANDLOCK, NULL);
	ok(f.plan.layout == PLAN_LAYOUT_LANDLOCK && f.plan.nr_rules > 0,
	   "landlock %s: the plan carries path rules", mode);
	ok(rule_is(&f.plan, "/p", LANDLOCK_WRITE) && rule_is(&f.plan, "/p/.venv/home", LANDLOCK_WRITE) &&
	   rule_is(&f.plan, "/p/.venv/cache", LANDLOCK_WRITE) && rule_is(&f.plan, "/tmp", LANDLOCK_PRIVATE) &&
	   rule_is(&f.plan, "/var/tmp", LANDLOCK_PRIVATE),
	   "landlock %s: the project, home, cache writable (no socket made), /tmp and /var/tmp with sockets", mode);
	ok(rule_is(&f.plan, "/p/.venv", pip ? LANDLOCK_WRITE : LANDLOCK_READ),
	   "landlock %s: the venv %s", mode, pip ? "writable (pip)" : "read-only");
	ok(rule_is(&f.plan, "/dev", LANDLOCK_DEV) && rule_is(&f.plan, "/proc", LANDLOCK_PROC),
	   "landlock %s: /dev with device ioctls, /proc", mode);
	ok(!exists("/usr/bin/python3.11") || rule_is(&f.plan, "/usr/bin/python3.11", LANDLOCK_READ),
	   "landlock %s: the interpreter read and execute", mode);
	ok((!exists("/usr/bin/git") || rule_is(&f.plan, "/usr/bin/git", LANDLOCK_READ)) &&
	   (!exists("/etc/hosts") || rule_is(&f.plan, "/etc/hosts", LANDLOCK_READ)) &&
	   !find_rule(&f.plan, "/etc/shadow") && !find_rule(&f.plan, "/usr") &&
	   !find_rule(&f.plan, "/usr/bin/gcc"),
	   "landlock %s: the table's paths read and execute, nothing else of /etc or /usr", mode);
	ok(find_op(&f.plan, PLAN_RO_BIND, "/usr") >= 0 && find_op(&f.plan, PLAN_TMPFS, "/etc") >= 0 &&
	   find_op(&f.plan, PLAN_TMPFS, "/usr/bin") > find_op(&f.plan, PLAN_RO_BIND, "/usr"),
	   "landlock %s: /usr whole and read-only; /etc and /usr/bin shown as links", mode);
	for (i = 0; i < f.plan.nr; i++) {
		const struct plan_op *op = &f.plan.ops[i];

		if (op->type == PLAN_RO_BIND && str_has_prefix(op->dest, "/usr/") &&
		    !str_has_prefix(op->dest, "/usr/bin/python"))
			file_binds++;
		for (j = 0; op->dest && op->type != PLAN_SETENV && j < ARRAY_SIZE(private); j++)
			if (under(op->dest, private[j]) && strcmp(op->dest, "/var/tmp")) {
				stray = true;
				printf("#   mounted below %s: %s\n", private[j], op->dest);
			}
	}
	ok(file_binds == 0, "landlock %s: no file of /usr bound on its own (but the interpreter's)", mode);
	ok(!stray, "landlock %s: nothing mounted below /home, /root, /run/user, /var but /var/tmp",
	   mode);
	plan_to_args(&f.plan, &args);
	ok(find_arg_pair(&args, "--remount-ro", "/etc") > strvec_find(&args, "per-launch") &&
	   find_arg_pair(&args, "--remount-ro", "/usr/bin") > strvec_find(&args, "per-launch"),
	   "landlock %s: the links made read-only after the caller's options", mode);
	plan_rules_data(&f.plan, &data, NULL);
	ok(data.len > 3 && !memcmp(data.buf, "p/proc", 7), "landlock %s: the rules' records, "
	   "class then path, each ending in NUL", mode);
	ok(count_records(&data, NULL) == f.plan.nr_rules, "landlock %s: without a host half, every "
	   "rule is the init's", mode);
	test_host_half(&f.plan, mode, false);
	fixture_release(&f);
}

static void test_landlock_extra(void)
{
	static const char *const usr[] = { "--ro-bind", "/usr", "/usr", NULL };
	static const char *const into[] = { "--bind", "/srv/cc", "/usr/bin/cc", "--unshare-net",
					    "--dev-bind", "/dev/dri", "/dev/dri", NULL };
	static const char *const odd[] = { "--no-such-option", "--bind", "/a", "/b", NULL };
	static const char *const in_tmp[] = { "--bind", "/srv/x", "//tmp/./x", NULL };
	static const char *const in_both[] = { "--bind", "/srv/x", "/tmp/x", "--bind", "/srv/y",
					       "/var/tmp/y", NULL };
	cleanup_strvec struct strvec args = STRVEC_INIT;
	struct fixture f;

	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_LANDLOCK, usr);
	plan_to_args(&f.plan, &args);
	ok(rule_is(&f.plan, "/usr", LANDLOCK_READ) && find_arg_pair(&args, "--remount-ro", "/usr/bin") < 0,
	   "landlock: the caller's --ro-bind /usr /usr is allowed, and covers the links in /usr/bin");
	test_host_half(&f.plan, "caller's /usr", true);
	fixture_release(&f);
	strvec_clear(&args);

	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_LANDLOCK, into);
	plan_to_args(&f.plan, &args);
	ok(rule_is(&f.plan, "/usr/bin/cc", LANDLOCK_WRITE) && rule_is(&f.plan, "/dev/dri", LANDLOCK_DEV) &&
	   find_arg_pair(&args, "--remount-ro", "/usr/bin") > find_arg_pair(&args, "--bind", "/srv/cc"),
	   "landlock: the caller's binds are allowed as bound, and one into /usr/bin comes first");
	fixture_release(&f);

	/* A shared place below /tmp: no socket made there, TMPDIR the other. */
	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_LANDLOCK, in_tmp);
	ok(rule_is(&f.plan, "/tmp", LANDLOCK_WRITE) && rule_is(&f.plan, "/var/tmp", LANDLOCK_PRIVATE) &&
	   env_has_prefix(&f.plan.env, "TMPDIR=/var/tmp") && !env_has_prefix(&f.plan.env, "TMPDIR=/tmp"),
	   "landlock: a writable bind below /tmp (written //tmp/./x): no socket made in /tmp; "
	   "TMPDIR is /var/tmp");
	fixture_release(&f);
	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_LANDLOCK, in_both);
	ok(rule_is(&f.plan, "/tmp", LANDLOCK_WRITE) && rule_is(&f.plan, "/var/tmp", LANDLOCK_WRITE) &&
	   env_has_prefix(&f.plan.env, "TMPDIR=/tmp"),
	   "landlock: writable binds below both: no socket made in either; TMPDIR stays /tmp");
	fixture_release(&f);

	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_LANDLOCK, odd);
	ok(!find_rule(&f.plan, "/b"), "landlock: after an option it does not know, no rule from "
	   "the caller's options (bwrap refuses them)");
	fixture_release(&f);

	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_BINDS, into);
	ok(f.plan.nr_rules == 0 && find_op(&f.plan, PLAN_TMPFS, "/etc") < 0,
	   "binds: no rules, no links");
	fixture_release(&f);
}

static const struct plan_view_entry *find_entry(const struct plan_view_entry *e, size_t nr,
					       const char *name)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(e[i].name, name))
			return &e[i];
	return NULL;
}

/* The directories of links as the host keeps them (view.h). */
static void test_views(void)
{
	static const char *const into[] = { "--bind", "/srv/cc", "/usr/bin/cc", NULL };
	cleanup_strvec struct strvec args = STRVEC_INIT;
	struct plan_view_entry *e = NULL;
	const struct plan_view_entry *x;
	struct fixture f;
	size_t i, nr = 0, links = 0;
	long at;
	bool sorted = true, all_in = true;

	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_LANDLOCK, NULL);
	at = plan_view_entries(&f.plan, "/etc", &e, &nr);
	ok(at == 0 && nr > 2, "views: /etc can be made on the host (%zu entries)", nr);
	x = find_entry(e, nr, "passwd");
	ok(x && x->kind == PLAN_VIEW_FILE && x->len == strlen(f.in.passwd) &&
	   !memcmp(x->data, f.in.passwd, x->len), "views: /etc/passwd is a file with the plan's content");
	for (i = 0; i < nr; i++) {
		sorted &= i == 0 || strcmp(e[i - 1].name, e[i].name) < 0;
		links += e[i].kind == PLAN_VIEW_LINK;
		all_in &= !strchr(e[i].name, '/');
	}
	ok(sorted && all_in && links > 0, "views: entries sorted, each straight in the directory, "
	   "%zu links", links);
	at = find_op(&f.plan, PLAN_TMPFS, "/etc");
	plan_use_view(&f.plan, "/etc", 77);
	plan_to_args(&f.plan, &args);
	ok(at >= 0 && find_op(&f.plan, PLAN_RO_BIND_FD, "/etc") == at &&
	   find_op(&f.plan, PLAN_TMPFS, "/etc") < 0 && find_op(&f.plan, PLAN_REMOUNT_RO, "/etc") < 0 &&
	   find_op(&f.plan, PLAN_DATA, "/etc/passwd") < 0 &&
	   find_arg_pair(&args, "--ro-bind-fd", "77") >= 0 &&
	   find_arg_pair(&args, "--remount-ro", "/etc") < 0,
	   "views: /etc is bound whole from its descriptor where its tmpfs was; no link, file "
	   "or remount of it is left");
	for (i = 0, links = 0; i < f.plan.nr; i++)
		links += f.plan.ops[i].type == PLAN_SYMLINK && !strncmp(f.plan.ops[i].dest, "/etc/", 5);
	ok(links == 0 && rule_is(&f.plan, "/etc", LANDLOCK_READ),
	   "views: no link into /etc is left for bwrap, and the path rules are as they were");
	free(e);
	e = NULL;
	if (exists("/usr/bin/python3.11")) {
		ok(plan_view_entries(&f.plan, "/usr/bin", &e, &nr) == 0 &&
		   (x = find_entry(e, nr, "python3.11")) && x->kind == PLAN_VIEW_MOUNT_FILE,
		   "views: the interpreter bound into /usr/bin leaves an empty file to mount on");
		free(e);
		e = NULL;
	} else {
		skip("views: /usr/bin/python3.11 is not on this host");
	}
	fixture_release(&f);

	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_LANDLOCK, into);
	ok(plan_view_entries(&f.plan, "/usr/bin", &e, &nr) < 0 &&
	   plan_view_entries(&f.plan, "/etc", &e, &nr) == 0,
	   "views: not where the caller's options mount (bwrap makes /usr/bin), elsewhere yes");
	free(e);
	fixture_release(&f);

	fixture_build(&f, false, "python", "/p", PLAN_LAYOUT_BINDS, NULL);
	ok(f.plan.linked.nr == 0 && plan_view_entries(&f.plan, "/etc", &e, &nr) < 0,
	   "views: none in the per-file layout");
	fixture_release(&f);
}

/* Everything a plan gives bwrap and the init, as one string. */
static void plan_output(const struct plan *p, struct strbuf *out)
{
	struct strvec args = STRVEC_INIT;
	struct strbuf host = STRBUF_INIT;
	size_t i;

	plan_to_args(p, &args);
	for (i = 0; i < args.nr; i++)
		strbuf_addf(out, "%s\n", args.v[i]);
	strbuf_addstr(out, "-- rules\n");
	plan_rules_data(p, out, &host);
	strbuf_addstr(out, "-- host\n");
	strbuf_add(out, host.buf, host.len);
	strvec_clear(&args);
	strbuf_release(&host);
}

/* A plan from the lookups a launch kept is the plan from the host, in both
 * layouts; and it looks nothing up again. */
static void test_kept_lookups(enum plan_layout layout, const char *name)
{
	struct strbuf from_host = STRBUF_INIT, keeping = STRBUF_INIT, from_kept = STRBUF_INIT;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	struct lookups fresh, loaded;
	struct fixture f;

	fixture_build(&f, false, "python", "/p", layout, NULL);
	plan_output(&f.plan, &from_host);
	fixture_release(&f);

	lookups_init(&fresh, true);
	fresh.began.tv_sec += 60;	/* nothing changed too recently */
	fixture_lookups = &fresh;
	fixture_build(&f, false, "python", "/p", layout, NULL);
	plan_output(&f.plan, &keeping);
	fixture_release(&f);
	ok(lookups_format(&fresh, &text) == 0 && fresh.nr_dirs > 0,
	   "%s: the lookups are kept, with %zu directories", name, fresh.nr_dirs);

	lookups_init(&loaded, true);
	if (!ok(lookups_load(&loaded, text.buf, text.len, &err) == 0, "%s: and taken back",
		name))
		printf("# %s\n", err.buf);
	fixture_lookups = &loaded;
	fixture_build(&f, false, "python", "/p", layout, NULL);
	plan_output(&f.plan, &from_kept);
	fixture_release(&f);
	fixture_lookups = NULL;
	ok(from_host.len > 100 && !strcmp(from_host.buf, keeping.buf) &&
	   !strcmp(from_host.buf, from_kept.buf),
	   "%s: the plan is the same, from the host, while keeping, and from what was kept",
	   name);
	ok(!loaded.changed, "%s: ... which answered every lookup", name);
	lookups_release(&fresh);
	lookups_release(&loaded);
	strbuf_release(&from_host);
	strbuf_release(&keeping);
	strbuf_release(&from_kept);
	strbuf_release(&text);
	strbuf_release(&err);
}

int main(void)
{
	test_environment();
	test_mounts(false);
	test_mounts(true);
	test_shell();
	test_expose();
	test_landlock(false);
	test_landlock(true);
	test_landlock_extra();
	test_views();
	test_kept_lookups(PLAN_LAYOUT_LANDLOCK, "landlock layout");
	test_kept_lookups(PLAN_LAYOUT_BINDS, "per-file layout");
	return done_testing();
}
