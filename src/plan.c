/* plan.c - build the list of sandbox operations for one launch. */
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bwrapopts.h"
#include "fsutil.h"
#include "init.h"
#include "libdeps.h"
#include "links.h"

/* Replaced by the multiarch triplet (x86_64-linux-gnu, ...). */
#define MULTIARCH "@MULTIARCH@"

/* Host paths every sandbox sees read-only, with the reason for each.
 * Libraries come from the cache; the interpreter from the policy. */
enum host_flags {
	HOST_CODE = 1 << 0,   /* programs or libraries: collect what they need */
};

static const struct host_path {
	const char *path;
	const char *why;
	unsigned flags;       /* enum host_flags */
} host_paths[] = {
	{ "/usr/bin/python3", "the host's python3, as the reference lists", HOST_CODE },
	{ "/bin/sh", "POSIX shell: subprocess(shell=True), #!/bin/sh entry points", HOST_CODE },
	{ "/bin/bash", "$venv/bin/shell", HOST_CODE },
	{ "/usr/bin/env", "#!/usr/bin/env shebangs", HOST_CODE },
	{ "/usr/bin/git", "git in the project, pip's VCS requirements", HOST_CODE },
	{ "/usr/lib/git-core", "git's sub-commands", HOST_CODE },
	{ "/usr/share/git-core", "git init's templates", 0 },
	{ "/usr/bin/ls", "basic shell use", HOST_CODE },
	{ "/usr/bin/cat", "basic shell use", HOST_CODE },
	{ "/usr/bin/stat", "basic shell use", HOST_CODE },
	{ "/usr/bin/realpath", "#!/bin/sh entry points (uv) resolve themselves", HOST_CODE },
	{ "/usr/bin/dirname", "#!/bin/sh entry points (uv) find their python", HOST_CODE },
	{ "/usr/bin/uname", "platform probes in build scripts", HOST_CODE },
	/* The small tools build scripts and shell users expect. */
	{ "/usr/bin/basename", "shell scripts", HOST_CODE },
	{ "/usr/bin/chmod", "shell scripts", HOST_CODE },
	{ "/usr/bin/cp", "shell scripts", HOST_CODE },
	{ "/usr/bin/cut", "shell scripts", HOST_CODE },
	{ "/usr/bin/date", "shell scripts", HOST_CODE },
	{ "/usr/bin/echo", "shell scripts", HOST_CODE },
	{ "/usr/bin/false", "shell scripts", HOST_CODE },
	{ "/usr/bin/find", "shell scripts", HOST_CODE },
	{ "/usr/bin/grep", "shell scripts", HOST_CODE },
	{ "/usr/bin/head", "shell scripts", HOST_CODE },
	{ "/usr/bin/id", "shell scripts", HOST_CODE },
	{ "/usr/bin/ln", "shell scripts", HOST_CODE },
	{ "/usr/bin/mkdir", "shell scripts", HOST_CODE },
	{ "/usr/bin/mktemp", "shell scripts", HOST_CODE },
	{ "/usr/bin/mv", "shell scripts", HOST_CODE },
	{ "/usr/bin/readlink", "shell scripts", HOST_CODE },
	{ "/usr/bin/rm", "shell scripts", HOST_CODE },
	{ "/usr/bin/rmdir", "shell scripts", HOST_CODE },
	{ "/usr/bin/sed", "shell scripts", HOST_CODE },
	{ "/usr/bin/sleep", "shell scripts", HOST_CODE },
	{ "/usr/bin/sort", "shell scripts", HOST_CODE },
	{ "/usr/bin/tail", "shell scripts", HOST_CODE },
	{ "/usr/bin/tee", "shell scripts", HOST_CODE },
	{ "/usr/bin/touch", "shell scripts", HOST_CODE },
	{ "/usr/bin/tr", "shell scripts", HOST_CODE },
	{ "/usr/bin/true", "shell scripts", HOST_CODE },
	{ "/usr/bin/uniq", "shell scripts", HOST_CODE },
	{ "/usr/bin/wc", "shell scripts", HOST_CODE },
	{ "/usr/bin/which", "shell scripts", HOST_CODE },
	{ "/usr/bin/xargs", "shell scripts", HOST_CODE },
	{ "/usr/bin/less", "a pager: help() in the REPL, pydoc", HOST_CODE },
	{ "/usr/bin/more", "a pager, where less is missing", HOST_CODE },
	{ "/sbin/ldconfig", "ctypes.util.find_library runs ldconfig -p", HOST_CODE },
	{ "/usr/lib/" MULTIARCH "/ossl-modules", "OpenSSL 3 providers, loaded with dlopen (cryptography)", HOST_CODE },
	{ "/usr/lib/" MULTIARCH "/engines-3", "OpenSSL 3 engines, loaded with dlopen", HOST_CODE },
	{ "/usr/lib/" MULTIARCH "/gconv", "iconv charset modules, loaded with dlopen", HOST_CODE },
	{ "/etc/ld.so.cache", "the dynamic loader's index", 0 },
	{ "/etc/ld.so.conf", "the dynamic loader's configuration", 0 },
	{ "/etc/ld.so.conf.d", "the dynamic loader's configuration", 0 },
	{ "/etc/alternatives", "Debian's alternatives (libblas, editors)", 0 },
	{ "/etc/hosts", "name resolution", 0 },
	{ "/etc/resolv.conf", "name resolution", 0 },
	{ "/etc/nsswitch.conf", "name resolution", 0 },
	{ "/etc/host.conf", "name resolution", 0 },
	{ "/etc/gai.conf", "address selection", 0 },
	{ "/etc/protocols", "socket.getprotobyname", 0 },
	{ "/etc/services", "socket.getservbyname", 0 },
	/* Not all of /etc/ssl: /etc/ssl/private holds the host's TLS keys. */
	{ "/etc/ssl/certs", "TLS certificates", 0 },
	{ "/etc/ssl/openssl.cnf", "OpenSSL configuration", 0 },
	{ "/usr/lib/ssl", "OpenSSL's directory on Debian: its default CA file and directory "
	  "(cert.pem, certs/) link into /etc/ssl; without it ssl's default context is empty", 0 },
	{ "/etc/ca-certificates", "TLS certificates", 0 },
	{ "/usr/share/ca-certificates", "TLS certificates (/etc/ssl/certs links here)", 0 },
	{ "/etc/pki/tls/certs", "TLS certificates (Fedora layout)", 0 },
	{ "/etc/pki/ca-trust", "TLS certificates (Fedora layout)", 0 },
	{ "/etc/localtime", "local time zone", 0 },
	{ "/etc/timezone", "local time zone name", 0 },
	{ "/usr/share/zoneinfo", "time zones (zoneinfo, dateutil)", 0 },
	{ "/etc/default/locale", "the system locale", 0 },
	{ "/etc/locale.alias", "locale name aliases", 0 },
	{ "/usr/lib/locale", "compiled locales", 0 },
	{ "/etc/terminfo", "terminal descriptions (curses, readline)", 0 },
	{ "/usr/share/terminfo", "terminal descriptions", 0 },
	{ "/usr/lib/terminfo", "terminal descriptions", 0 },
	{ "/etc/mime.types", "mimetypes", 0 },
	{ "/etc/os-release", "platform.freedesktop_os_release", 0 },
	{ "/etc/gitconfig", "git's system configuration", 0 },
};

/* The Landlock layout's whole trees: mounted read-only as they are on the
 * host (a directory bound, a symlink mirrored); the path rules decide
 * what in them the program may read or run. */
static const char *const coarse_roots[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};

/* Never mounted whole (plan.h, rule 8): the users' homes, root's, the
 * session's runtime files, and /var (mail, databases, logs, caches). */
static const char *const private_roots[] = { "/home", "/root", "/run/user", "/var" };

/* The sandbox's PATH after the venv's bin, in order. */
static const char *const path_dirs[] = { "/usr/local/bin", "/usr/bin", "/bin" };

/* Directories the Landlock layout shows as links only: one for each entry
 * the plan exposes, to the host's directory bound out of the way at
 * PLAN_HOST_DIR. Any other name there is absent, as in the per-file
 * layout: a program looked up on the PATH, a file of /etc that code
 * probes for and then opens (/etc/debian_version, /etc/ld.so.preload). */
static const char *const linked_dirs[] = { "/etc", "/usr/local/bin", "/usr/bin", "/bin" };
#define PLAN_HOST_DIR "/run/sandbox-venv/host"

static int add_loaded_library(struct dl_phdr_info *info, size_t size, void *data)
{
	static const char *const system_dirs[] = {
		"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/",
	};
	const char *name = info->dlpi_name;
	size_t i;

	(void)size;
	if (!name || strstr(name, "/../") || strstr(name, "/./"))
		return 0;
	for (i = 0; i < ARRAY_SIZE(system_dirs); i++)
		if (str_has_prefix(name, system_dirs[i])) {
			strvec_push(data, name);
			break;
		}
	return 0;
}

void plan_host_paths(struct strvec *out, struct strvec *why, bool code_only)
{
	const char *triplet = libdeps_multiarch_triplet();
	size_t i, before;

	for (i = 0; i < ARRAY_SIZE(host_paths); i++) {
		const char *p = host_paths[i].path;
		const char *t = strstr(p, MULTIARCH);

		if (code_only && !(host_paths[i].flags & HOST_CODE))
			continue;
		if (!t)
			strvec_push(out, p);
		else if (triplet)
			strvec_pushf(out, "%.*s%s%s", (int)(t - p), p, triplet, t + strlen(MULTIARCH));
		else
			continue;
		if (why)
			strvec_push(why, host_paths[i].why);
	}
	/* The sandbox's init is this binary where no sandbox-venv-init is
	 * installed beside it (run.c): the shared libraries it runs with
	 * (libseccomp, and a sanitizer's runtime) are needed inside then. Only
	 * those the loader found in a system directory. */
	before = out->nr;
	dl_iterate_phdr(add_loaded_library, out);
	for (i = before; why && i < out->nr; i++)
		strvec_push(why, "a library of the sandbox's init, where it is this program");
}

/* Variables copied from the caller's environment into the sandbox. The
 * locale: the categories glibc knows, no other LC_* name. */
static const char *const safe_env[] = {
	"USER", "LOGNAME", "TERM", "COLORTERM", "NO_COLOR", "LANG", "LANGUAGE",
	"LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY",
	"LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE",
	"LC_MEASUREMENT", "LC_IDENTIFICATION",
	"TZ", "http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy",
	"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "ALL_PROXY", "NO_PROXY",
	"CC", "CXX", "CPP", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS",
	"MAKEFLAGS",
};

bool plan_env_is_safe(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(safe_env); i++)
		if (!strcmp(name, safe_env[i]))
			return true;
	return false;
}

static bool is_proxy_name(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && (!strcmp(name + n - 6, "_proxy") || !strcmp(name + n - 6, "_PROXY")) &&
	       strcasecmp(name, "no_proxy");
}

bool plan_proxy_has_credentials(const char *value)
{
	const char *auth = strstr(value, "://");
	size_t n;

	auth = auth ? auth + 3 : value;
	n = strcspn(auth, "/?#");
	return memchr(auth, '@', n) != NULL;
}

void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	strvec_init(&p->env);
	strvec_init(&p->bound_dirs);
	strvec_init(&p->extra);
	strvec_init(&p->argv);
	strvec_init(&p->notes);
	strvec_init(&p->quiet);
	strvec_init(&p->linked);
	strvec_init(&p->extra_mounts);
	lookups_init(&p->own_lookups, false);
	p->lookups = &p->own_lookups;
	p->seccomp_fd = -1;
}

static void op_free(struct plan_op *op)
{
	free(op->src);
	free(op->dest);
	free(op->why);
}

void plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		op_free(&p->ops[i]);
	free(p->ops);
	for (i = 0; i < p->nr_rules; i++) {
		free(p->rules[i].path);
		free(p->rules[i].why);
	}
	free(p->rules);
	strvec_clear(&p->linked);
	strvec_clear(&p->extra_mounts);
	lookups_release(&p->own_lookups);
	strmap_clear(&p->host_links, NULL);
	strmap_clear(&p->rule_set, NULL);
	strvec_clear(&p->env);
	strmap_clear(&p->bound, NULL);
	strvec_clear(&p->bound_dirs);
	strvec_clear(&p->extra);
	strvec_clear(&p->argv);
	strvec_clear(&p->notes);
	strvec_clear(&p->quiet);
	plan_init(p);
}

static struct plan_op *add_op(struct plan *p, enum plan_op_type type,
			      const char *src, const char *dest, int fd, const char *why)
{
	struct plan_op *op;

	if (p->nr == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 64;
		p->ops = xrealloc(p->ops, p->alloc * sizeof(*p->ops));
	}
	op = &p->ops[p->nr++];
	op->type = type;
	op->src = src ? xstrdup(src) : NULL;
	op->len = src ? strlen(src) : 0;
	op->dest = dest ? xstrdup(dest) : NULL;
	op->fd = fd;
	op->why = xstrdup(why);
	return op;
}

/* A link of the host's own at dest, or one to the host's entry at
 * PLAN_HOST_DIR: the same file inside as on the host (plan_rules_data). */
static void add_host_link(struct plan *p, const char *target, const char *dest, const char *why)
{
	add_op(p, PLAN_SYMLINK, target, dest, -1, why);
	strmap_put(&p->host_links, dest, NULL);
}

/* In the Landlock layout, a directory that shows only links (linked_dirs)
 * hides what the bind d holding it shows: is dest below one? */
static bool linked_hides(const struct plan *p, const char *dest, const char *d)
{
	size_t i;

	for (i = 0; i < p->linked.nr; i++) {
		const char *f = p->linked.v[i];

		if (strcmp(f, d) && path_is_under(f, d) && strcmp(dest, f) && path_is_under(dest, f))
			return true;
	}
	return false;
}

/* Is dest already provided inside: mounted, linked, or under a bound dir? */
static bool is_covered(const struct plan *p, const char *dest)
{
	size_t i;

	if (strmap_get(&p->bound, dest))
		return true;
	for (i = 0; i < p->bound_dirs.nr; i++)
		if (path_is_under(dest, p->bound_dirs.v[i]) && !linked_hides(p, dest, p->bound_dirs.v[i]))
			return true;
	return false;
}

static void mark_bound(struct plan *p, const char *dest, bool dir)
{
	if (dir)
		strvec_push(&p->bound_dirs, dest);
	else
		strmap_put(&p->bound, dest, NULL);
}

/* In the Landlock layout: the program may do what c says at path, a
 * host's file that the plan exposes (host) or anything else. */
static void allow_as(struct plan *p, enum landlock_class c, const char *path, const char *why,
		     bool host)
{
	cleanup_free char *key = NULL;
	struct plan_rule *r;
	void **slot;

	if (p->layout != PLAN_LAYOUT_LANDLOCK)
		return;
	key = xstrcat2((const char[]){ (char)c, '\0' }, path);
	slot = strmap_get(&p->rule_set, key);
	if (slot) {
		/* Once; opened inside when anything asks so. */
		p->rules[(size_t)(uintptr_t)*slot].host &= host;
		return;
	}
	strmap_put(&p->rule_set, key, (void *)(uintptr_t)p->nr_rules);
	if (p->nr_rules == p->alloc_rules) {
		p->alloc_rules = p->alloc_rules ? p->alloc_rules * 2 : 64;
		p->rules = xrealloc(p->rules, p->alloc_rules * sizeof(*p->rules));
	}
	r = &p->rules[p->nr_rules++];
	r->access = c;
	r->path = xstrdup(path);
	r->why = xstrdup(why);
	r->host = host;
}

static void allow(struct plan *p, enum landlock_class c, const char *path, const char *why)
{
	allow_as(p, c, path, why, false);
}

/* A file written for the sandbox: len bytes of data, NULs allowed;
 * readable in the Landlock layout too. */
static void add_data(struct plan *p, const void *data, size_t len, const char *dest,
		     const char *why)
{
	struct plan_op *op = add_op(p, PLAN_DATA, NULL, dest, -1, why);

	op->src = xmalloc(len + 1);
	memcpy(op->src, data, len);
	op->src[len] = '\0';
	op->len = len;
	allow(p, LANDLOCK_READ, dest, why);
}

/* Is dest an entry of a directory that shows only links? */
static bool in_linked_dir(const struct plan *p, const char *dest)
{
	const char *slash = strrchr(dest, '/');
	size_t i;

	for (i = 0; slash && i < p->linked.nr; i++)
		if (strlen(p->linked.v[i]) == (size_t)(slash - dest) &&
		    !strncmp(p->linked.v[i], dest, (size_t)(slash - dest)))
			return true;
	return false;
}

/* dest, an entry of a directory that shows only links: a link to the
 * host's entry, through that directory bound at PLAN_HOST_DIR. */
static void link_entry(struct plan *p, const char *dest, bool dir, const char *why)
{
	cleanup_free char *parent = xstrndup(dest, (size_t)(strrchr(dest, '/') - dest));
	cleanup_free char *host_dir = xstrcat2(PLAN_HOST_DIR, parent);
	cleanup_free char *target = xstrcat2(PLAN_HOST_DIR, dest);

	if (!is_covered(p, host_dir)) {
		cleanup_free char *host_why = xasprintf("the host's %s, out of the way: the links "
							"in %s lead there", parent, parent);

		add_op(p, PLAN_RO_BIND, parent, host_dir, -1, host_why);
		mark_bound(p, host_dir, true);
	}
	add_host_link(p, target, dest, why);
	mark_bound(p, dest, dir);
}

/* plan_expose, and for the base Python's own files (EXPOSE_REAL) a bind
 * of their own even in a directory that shows links: their real path is
 * where Python finds its prefix, and what a venv made inside records. */
enum expose_flags { EXPOSE_REAL = 1 << 0 };

static void expose(struct plan *p, const char *path, const char *why, unsigned flags)
{
	cleanup_strbuf struct strbuf todo = STRBUF_INIT;
	cleanup_strbuf struct strbuf cur = STRBUF_INIT;
	const char *target = NULL;
	mode_t type = 0;
	unsigned hops = 0;
	const char *s;

	if (path[0] != '/')
		return;
	strbuf_addstr(&todo, path);
restart:
	strbuf_reset(&cur);
	s = todo.buf;
	while (*s) {
		const char *e;
		size_t n;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (n == 1 && s[0] == '.') {
			s = e;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			char *slash = strrchr(cur.buf, '/');

			strbuf_setlen(&cur, slash ? (size_t)(slash - cur.buf) : 0);
			s = e;
			continue;
		}
		strbuf_addch(&cur, '/');
		strbuf_add(&cur, s, n);
		s = e;
		if (lookups_lstat(p->lookups, cur.buf, &type, &target) < 0)
			return;
		if (S_ISLNK(type)) {
			cleanup_strbuf struct strbuf next = STRBUF_INIT;

			if (++hops > 40)
				return;
			if (!is_covered(p, cur.buf)) {
				cleanup_free char *link_why = strcmp(cur.buf, path) ?
					xasprintf("on the way to %s: %s", path, why) : xstrdup(why);

				add_host_link(p, target, cur.buf, link_why);
				mark_bound(p, cur.buf, false);
			}
			if (target[0] != '/') {
				char *slash = strrchr(cur.buf, '/');

				strbuf_add(&next, cur.buf, (size_t)(slash - cur.buf));
				strbuf_addch(&next, '/');
			}
			strbuf_addstr(&next, target);
			strbuf_addstr(&next, s);
			strbuf_reset(&todo);
			strbuf_addstr(&todo, next.buf);
			goto restart;
		}
		if (in_linked_dir(p, cur.buf) && !is_covered(p, cur.buf) &&
		    (s[strspn(s, "/")] || !(flags & EXPOSE_REAL) || !S_ISREG(type)))
			link_entry(p, cur.buf, S_ISDIR(type), why);
	}
	if (!cur.len)
		return;
	allow_as(p, LANDLOCK_READ, path, why, true);	/* it is there */
	if (is_covered(p, cur.buf))
		return;
	add_op(p, PLAN_RO_BIND, cur.buf, cur.buf, -1, why);
	mark_bound(p, cur.buf, S_ISDIR(type));
}

void plan_expose(struct plan *p, const char *path, const char *why)
{
	expose(p, path, why, 0);
}

static bool is_private(const char *path)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(private_roots); i++)
		if (path_is_under(path, private_roots[i]))
			return true;
	return false;
}

/* The Landlock layout's mounts: the whole trees, then the directories
 * that show only links. */
static void mount_system_trees(struct plan *p)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(coarse_roots); i++) {
		const char *root = coarse_roots[i];
		cleanup_free char *real = realpath(root, NULL);
		struct stat st;

		if (!real || is_private(real) || lstat(root, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			cleanup_free char *target = fs_readlink_at(AT_FDCWD, root);

			if (!target)
				continue;
			add_host_link(p, target, root, "a link into the trees below, as on the host");
			mark_bound(p, root, false);
		} else if (S_ISDIR(st.st_mode)) {
			add_op(p, PLAN_RO_BIND, root, root, -1, "mounted whole, read-only: the landlock "
			       "rules below allow only the listed paths in it");
			mark_bound(p, root, true);
		}
	}
	for (i = 0; i < ARRAY_SIZE(linked_dirs); i++) {
		const char *d = linked_dirs[i];
		struct stat st;

		if (lstat(d, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		add_op(p, PLAN_TMPFS, NULL, d, -1, "only links to what the sandbox may use here, "
		       "so that looking for anything else finds nothing");
		add_op(p, PLAN_REMOUNT_RO, NULL, d, -1, "those links, read-only");
		/* Listing it shows the links alone; what each leads to has its
		 * own rule. */
		allow(p, LANDLOCK_READ, d, "the links to what the sandbox may use");
		strvec_push(&p->linked, d);
		mark_bound(p, d, false);
	}
}

/* The caller's options (recorded, then BWRAP_ARGS): what they mount is
 * allowed as they mount it. */
static void allow_extra(struct plan *p)
{
	size_t i, n;

	for (i = 0; i < p->extra.nr; i += n) {
		const struct bwrapopt *o = bwrapopt_find(p->extra.v[i]);

		if (!o && !bwrapopt_known(p->extra.v[i]))
			return;	/* bwrap will say what is wrong */
		n = bwrapopt_group_len(&p->extra, i);
		if (i + n > p->extra.nr)
			return;
		if (o && o->mounts) {
			const char *dest = p->extra.v[i + n - 1];

			allow(p, (enum landlock_class)o->mounts, dest,
			      "mounted by an option recorded at wrap time or given in BWRAP_ARGS");
			strvec_push(&p->extra_mounts, dest);
		}
	}
}

/* The launcher's proxy (proxy.h), for every program that reads the usual
 * variables; last, so that .env and the caller's wishes do not win. */
static void plan_proxy_env(struct plan *p)
{
	static const char *const names[] = { "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy" };
	cleanup_free char *url = xasprintf("http://127.0.0.1:%d", NET_PROXY_PORT);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		add_op(p, PLAN_SETENV, names[i], url, -1,
		       "--network=allow=: the launcher's proxy, the one way out");
	add_op(p, PLAN_SETENV, "NO_PROXY", "localhost,127.0.0.1,::1", -1,
	       "--network=allow=: the sandbox's own loopback, not through the proxy");
	add_op(p, PLAN_SETENV, "no_proxy", "localhost,127.0.0.1,::1", -1,
	       "--network=allow=: the sandbox's own loopback, not through the proxy");
}

/* Does args (checked bwrap options) hold the option name, as an option
 * rather than as another's argument? */
static bool has_option(const struct strvec *args, const char *name)
{
	size_t i, n;

	for (i = 0; i < args->nr; i += n ? n : 1) {
		n = bwrapopt_group_len(args, i);
		if (!strcmp(args->v[i], name))
			return true;
	}
	return false;
}

static void plan_env(struct plan *p, const struct plan_input *in)
{
	const struct policy *pol = in->policy;
	const char *const *e;
	size_t i;

	for (e = in->envp; *e; e++) {
		const char *eq = strchr(*e, '=');
		cleanup_free char *name = NULL;

		if (!eq)
			continue;
		name = xstrndup(*e, (size_t)(eq - *e));
		if (!plan_env_is_safe(name))
			continue;
		/* A network of its own: the caller's proxies are out of reach. */
		if (p->unshare_net && (is_proxy_name(name) || !strcasecmp(name, "no_proxy")))
			continue;
		/* A proxy's password is a secret of the caller's: only on
		 * request (SANDBOX_PASS_ENV). */
		if (is_proxy_name(name) && plan_proxy_has_credentials(eq + 1)) {
			if (strvec_find(in->pass_env, name) < 0)
				strvec_pushf(&p->notes, "not passing %s into the sandbox: its proxy "
					     "URL holds a user name or password\nhint: "
					     "SANDBOX_PASS_ENV=%s passes it", name, name);
			continue;
		}
		strvec_push(&p->env, *e);
	}
	{
		cleanup_strbuf struct strbuf path = STRBUF_INIT;

		strbuf_addf(&path, "PATH=%s/bin", pol->venv);
		for (i = 0; i < ARRAY_SIZE(path_dirs); i++)
			strbuf_addf(&path, ":%s", path_dirs[i]);
		/* The link helper's names last: a program of the venv's own wins. */
		if (in->links_socket)
			strbuf_addstr(&path, ":" LINKS_BIN_DIR);
		strvec_push(&p->env, path.buf);
	}
	if (in->links_socket)
		strvec_push(&p->env, "BROWSER=" LINKS_BROWSER);
	strvec_pushf(&p->env, "HOME=%s/home", pol->venv);
	strvec_pushf(&p->env, "XDG_CACHE_HOME=%s/cache", pol->venv);
	strvec_pushf(&p->env, "VIRTUAL_ENV=%s", pol->venv);
	strvec_push(&p->env, "TMPDIR=/tmp");
	/* pydoc (help() in the REPL) tries less, then more, through sh. */
	if (access("/usr/bin/less", X_OK) < 0 && access("/usr/bin/more", X_OK) < 0)
		strvec_push(&p->env, "PAGER=cat");
	strvec_push(&p->env, "SHELL=/bin/bash");
	if (in->pip_cache)
		strvec_pushf(&p->env, "PIP_CACHE_DIR=%s", in->pip_cache);
	if (!in->entry)
		strvec_push(&p->env, "PS1=(sandbox) \\w\\$ ");
	/* Read by the hint the venv's site-packages carries (wrap.c): pip run
	 * here cannot change the venv, and says what to run instead. */
	if (!in->writable_venv)
		strvec_push(&p->env, "SANDBOX_VENV_READ_ONLY=1");

	/* After bwrap has started: data from .env, then what the user passes. */
	for (i = 0; i < in->dotenv->nr; i++) {
		const char *kv = in->dotenv->v[i];
		const char *eq = strchr(kv, '=');
		cleanup_free char *name = xstrndup(kv, (size_t)(eq - kv));

		add_op(p, PLAN_SETENV, name, eq + 1, -1, "from the project's .env");
	}
	for (i = 0; i < in->pass_env->nr; i++) {
		const char *v = env_lookup(in->envp, in->pass_env->v[i]);

		if (v)
			add_op(p, PLAN_SETENV, in->pass_env->v[i], v, -1, "SANDBOX_PASS_ENV");
	}
	for (i = 0; in->pip && i < in->pip->env.nr; i++) {
		const char *kv = in->pip->env.v[i];
		const char *eq = strchr(kv, '=');
		cleanup_free char *name = xstrndup(kv, (size_t)(eq - kv));

		add_op(p, PLAN_SETENV, name, eq + 1, -1, "your pip configuration (a pip launch)");
	}
	if (in->net && in->net->mode == NET_MODE_ALLOW)
		plan_proxy_env(p);
}

/* What the permissions give (desktop.h): each socket alone, read-only. */
static void plan_desktop(struct plan *p, const struct desktop *d)
{
	cleanup_free char *rt = desktop_runtime_dir();
	size_t i;

	for (i = 0; i < d->notes.nr; i++)
		strvec_push(&p->quiet, d->notes.v[i]);
	if (d->x11_socket) {
		cleanup_free char *dest = xasprintf("/tmp/.X11-unix/X%u", d->x11_inside);

		add_op(p, PLAN_RO_BIND, d->x11_socket, dest, -1,
		       "--socket=x11: your X server, under a number with no abstract socket on the "
		       "host (any X client can read other windows and type into them)");
		strvec_pushf(&p->env, "DISPLAY=:%u%s", d->x11_inside, d->x11_screen ? d->x11_screen : "");
		if (d->xauth.len) {
			add_data(p, d->xauth.buf, d->xauth.len, DESKTOP_XAUTHORITY,
				 "--socket=x11: your X cookie, for this one display");
			strvec_push(&p->env, "XAUTHORITY=" DESKTOP_XAUTHORITY);
		}
	}
	if (d->wayland_socket || d->pulse_socket) {
		strvec_pushf(&p->env, "XDG_RUNTIME_DIR=%s", rt);
		allow(p, LANDLOCK_READ, rt, "the sockets a permission gives, read-only");
	}
	if (d->wayland_socket) {
		cleanup_free char *dest = xasprintf("%s/wayland-0", rt);

		add_op(p, PLAN_RO_BIND, d->wayland_socket, dest, -1,
		       "--socket=wayland: your compositor (the program's own windows)");
		strvec_push(&p->env, "WAYLAND_DISPLAY=wayland-0");
	}
	if (d->pulse_socket) {
		static const char conf[] = "enable-shm = no\nautospawn = no\n";
		cleanup_free char *dest = xasprintf("%s/pulse/native", rt);

		add_op(p, PLAN_RO_BIND, d->pulse_socket, dest, -1,
		       "--socket=pulseaudio: your sound server (playing, and the microphone)");
		add_data(p, conf, sizeof(conf) - 1, DESKTOP_PULSE_CONFIG,
			 "--socket=pulseaudio: no shared memory with the server (it is not shared)");
		strvec_pushf(&p->env, "PULSE_SERVER=unix:%s", dest);
		strvec_push(&p->env, "PULSE_CLIENTCONFIG=" DESKTOP_PULSE_CONFIG);
	}
	if (d->dri) {
		add_op(p, PLAN_DEV_BIND, "/dev/dri", "/dev/dri", -1, "--device=dri: the GPU");
		for (i = 0; i < d->sys.nr; i++)
			plan_expose(p, d->sys.v[i], "--device=dri: the GPU's ids, read by Mesa and libdrm");
	}
}

/* Links (links.h): the launcher's socket, the helper's names. */
static void plan_links(struct plan *p, const char *socket)
{
	size_t i;

	add_op(p, PLAN_RO_BIND, socket, LINKS_SOCKET, -1,
	       "links: where xdg-open inside hands a link to the launcher, which checks it");
	allow(p, LANDLOCK_READ, INIT_PATH, "links: the helper inside is the sandbox's init");
	for (i = 0; links_client_names[i]; i++) {
		cleanup_free char *dest = xasprintf("%s/%s", LINKS_BIN_DIR, links_client_names[i]);

		add_op(p, PLAN_SYMLINK, INIT_PATH, dest, -1,
		       "links: the sandbox's init, which hands the link to the launcher");
	}
}

static bool has_fd(int fd)
{
	return fd >= 0;
}

/* The kernel's file systems and the private ones; in the Landlock layout,
 * the system trees. */
static void plan_system(struct plan *p, const struct plan_input *in)
{
	size_t i;

	add_op(p, PLAN_PROC, NULL, "/proc", -1, "a new /proc: the sandbox's own processes only");
	allow(p, LANDLOCK_PROC, "/proc", "the sandbox's own processes");
	/* The kernel lets a writer whose uid is the host's root change these,
	 * capabilities or not: read-only for a caller running as root. */
	add_op(p, PLAN_RO_BIND, "/proc/sys", "/proc/sys", -1,
	       "kernel tunables, read-only (core_pattern would run a program as host root)");
	add_op(p, PLAN_RO_BIND_TRY, "/proc/sysrq-trigger", "/proc/sysrq-trigger", -1,
	       "read-only (reboots, crashes the host)");
	add_op(p, PLAN_DEV, NULL, "/dev", -1, "a minimal /dev: null, zero, random, tty, pts");
	allow(p, LANDLOCK_DEV, "/dev", "the minimal /dev, its terminals included");
	add_op(p, PLAN_TMPFS, NULL, "/tmp", -1, "private and empty, gone with the sandbox");
	allow(p, LANDLOCK_PRIVATE, "/tmp", "private, gone with the sandbox");
	add_op(p, PLAN_TMPFS, NULL, "/var/tmp", -1, "private and empty, gone with the sandbox");
	allow(p, LANDLOCK_PRIVATE, "/var/tmp", "private, gone with the sandbox");
	if (p->layout == PLAN_LAYOUT_LANDLOCK)
		mount_system_trees(p);
	add_data(p, in->passwd, strlen(in->passwd), "/etc/passwd",
		 "written for the sandbox: you, root, nobody");
	add_data(p, in->group, strlen(in->group), "/etc/group",
		 "written for the sandbox: your group, root, nogroup");
	mark_bound(p, "/etc/passwd", false);
	mark_bound(p, "/etc/group", false);
	for (i = 0; in->pip && i < in->pip->nr_files; i++) {
		add_data(p, in->pip->files[i].content.buf, in->pip->files[i].content.len,
			 in->pip->files[i].dest, "your pip configuration, read on the host (a pip launch)");
		mark_bound(p, in->pip->files[i].dest, false);
	}
}

/* The host, read-only: the interpreter, the table, the libraries. */
static void plan_host(struct plan *p, const struct plan_input *in)
{
	const struct policy *pol = in->policy;
	cleanup_strvec struct strvec host = STRVEC_INIT;
	cleanup_strvec struct strvec host_why = STRVEC_INIT;
	size_t i;

	for (i = 0; i < pol->expose.nr; i++)
		expose(p, pol->expose.v[i], "the base Python's prefix and standard library",
		       EXPOSE_REAL);
	expose(p, pol->python, "the venv's base Python", EXPOSE_REAL);
	plan_host_paths(&host, &host_why, false);
	for (i = 0; i < host.nr; i++)
		plan_expose(p, host.v[i], host_why.v[i]);
	strvec_clear(&host);
	strvec_clear(&host_why);
	desktop_host_paths(&pol->perms, &host, &host_why, false);
	for (i = 0; i < host.nr; i++)
		plan_expose(p, host.v[i], host_why.v[i]);
	for (i = 0; i < in->libs->nr; i++)
		plan_expose(p, in->libs->v[i], "a shared library that something above loads "
			    "(found in ELF headers)");
	if (in->pip_cache) {
		add_op(p, PLAN_BIND, in->pip_cache, in->pip_cache, -1,
		       "the host's pip cache, shared on request (SANDBOX_USE_PIP_CACHE)");
		allow(p, LANDLOCK_WRITE, in->pip_cache, "shared on request (SANDBOX_USE_PIP_CACHE)");
	}
}

/* The driver's binds (plan_bind) outside the venv, or in it: those (a
 * venv inside this one, read-only, and the way to it) after the venv's
 * own mounts, which would cover them. A writable one there only where a
 * sandbox can write anyway: pip's whole venv, or the home and cache. */
static void add_binds(struct plan *p, const struct plan_input *in, const char *venv, bool in_venv)
{
	cleanup_free char *home = xasprintf("%s/home", venv);
	cleanup_free char *cache = xasprintf("%s/cache", venv);
	size_t i;

	for (i = 0; i < in->nr_binds; i++) {
		const struct plan_bind *b = &in->binds[i];

		if ((path_is_under(b->path, venv) && strcmp(b->path, venv)) != in_venv)
			continue;
		if (in_venv && b->writable && !in->writable_venv && !path_is_under(b->path, home) &&
		    !path_is_under(b->path, cache))
			continue;
		if (b->fd < 0 && b->hidden)	/* it holds this venv (launch.c) */
			add_op(p, PLAN_TMPFS, NULL, b->path, -1, b->why);
		else
			add_op(p, b->writable ? PLAN_BIND_FD : PLAN_RO_BIND_FD, NULL, b->path, b->fd,
			       b->why);
	}
}

/* The project read-write; the directories on the way to the venvs in it,
 * and the other venvs, pinned (their mounts decide what may be written
 * there: the project's rule covers them); then the venv. */
static void plan_project(struct plan *p, const struct plan_input *in)
{
	const struct policy *pol = in->policy;
	cleanup_free char *venv_bin = xasprintf("%s/bin", pol->venv);
	cleanup_free char *home = xasprintf("%s/home", pol->venv);
	cleanup_free char *cache = xasprintf("%s/cache", pol->venv);
	cleanup_free char *state = xasprintf("%s/%s", pol->venv, STATE_DIR);
	cleanup_free char *cfg = xasprintf("%s/pyvenv.cfg", pol->venv);
	cleanup_free char *git = xasprintf("%s/.git", pol->project);
	enum plan_op_type venv_op = in->writable_venv ? PLAN_BIND_FD : PLAN_RO_BIND_FD;
	const char *how = in->writable_venv ? "the venv, writable: this is pip" : "the venv, read-only";

	if (has_fd(in->fd.project))
		add_op(p, PLAN_BIND_FD, NULL, pol->project, in->fd.project, "the project, read-write");
	else
		add_op(p, PLAN_BIND, pol->project, pol->project, -1, "the project, read-write");
	allow(p, LANDLOCK_WRITE, pol->project, "the project");
	add_binds(p, in, pol->venv, false);
	add_op(p, venv_op, NULL, pol->venv, in->fd.venv, how);
	allow(p, in->writable_venv ? LANDLOCK_WRITE : LANDLOCK_READ, pol->venv, how);
	add_op(p, venv_op, NULL, venv_bin, in->fd.privbin, "the real entry points, over the host's gates");
	/* Seen empty, and a mountpoint: not renamed, not replaced, and its
	 * lock cannot be taken from inside. */
	if (has_fd(in->fd.empty))
		add_op(p, PLAN_RO_BIND_FD, NULL, state, in->fd.empty,
		       "sandbox-venv's state: shown empty and read-only, even to pip");
	if (in->writable_venv && has_fd(in->fd.pyvenv_cfg))
		add_op(p, PLAN_RO_BIND_FD, NULL, cfg, in->fd.pyvenv_cfg, "read-only, even to pip");
	add_op(p, PLAN_BIND_FD, NULL, home, in->fd.home, "HOME inside: the venv's own");
	allow(p, LANDLOCK_WRITE, home, "HOME inside");
	add_op(p, PLAN_BIND_FD, NULL, cache, in->fd.cache, "~/.cache inside: the venv's own");
	allow(p, LANDLOCK_WRITE, cache, "~/.cache inside");
	add_binds(p, in, pol->venv, true);
	if (has_fd(in->fd.git))
		add_op(p, PLAN_RO_BIND_FD, NULL, git, in->fd.git,
		       "read-only: git on the host runs its hooks and config");

	if (in->desktop)
		plan_desktop(p, in->desktop);
	if (in->links_socket)
		plan_links(p, in->links_socket);

	if (in->cwd && path_is_under(in->cwd, pol->project))
		add_op(p, PLAN_CHDIR, NULL, in->cwd, -1, "where you are");
	else
		add_op(p, PLAN_CHDIR, NULL, pol->project, -1, "you are outside the project");
}

/* A Landlock rule holds for what is mounted below its path too: a private
 * tmpfs with a shared place mounted below it (a project in /tmp) lets no
 * socket be made in it either (landlock.h). TMPDIR, then, names the other
 * one if it still may (multiprocessing's forkserver makes its socket in
 * TMPDIR). */
static void keep_sockets_private(struct plan *p)
{
	const char *sockets = NULL;
	size_t i, j;

	for (i = 0; i < p->nr_rules; i++) {
		struct plan_rule *r = &p->rules[i];

		if (r->access != LANDLOCK_PRIVATE)
			continue;
		for (j = 0; j < p->nr_rules; j++) {
			enum landlock_class c = p->rules[j].access;
			cleanup_free char *where = NULL;

			if (c == LANDLOCK_READ || c == LANDLOCK_PROC || c == LANDLOCK_PRIVATE)
				continue;
			/* As bwrap will read it ("//tmp/x" is below /tmp). */
			where = path_normalize(p->rules[j].path);
			if (path_is_under(where, r->path))
				break;
		}
		if (j == p->nr_rules) {
			if (!sockets || !strcmp(r->path, "/tmp"))
				sockets = r->path;	/* /tmp, where it may */
			continue;
		}
		r->access = LANDLOCK_WRITE;
		free(r->why);
		r->why = xasprintf("private, gone with the sandbox; no socket made, as '%s' below it "
				   "is shared", p->rules[j].path);
	}
	for (i = 0; sockets && strcmp(sockets, "/tmp") && i < p->env.nr; i++)
		if (!strcmp(p->env.v[i], "TMPDIR=/tmp")) {
			free((char *)p->env.v[i]);
			p->env.v[i] = xasprintf("TMPDIR=%s", sockets);
		}
}

int plan_build(struct plan *p, const struct plan_input *in, struct strbuf *err)
{
	const struct policy *pol = in->policy;
	const struct strvec *recorded = in->recorded_args ? in->recorded_args : &pol->bwrap_args;

	if (!has_fd(in->fd.venv) || !has_fd(in->fd.privbin) || !has_fd(in->fd.home) ||
	    !has_fd(in->fd.cache)) {
		strbuf_addstr(err, "internal error: venv directories not opened");
		return -1;
	}
	p->disable_userns = pol->disable_userns;
	p->layout = in->layout;
	if (in->lookups)
		p->lookups = in->lookups;
	p->source_fds = in->source_fds;
	p->nr_source_fds = in->nr_source_fds;
	p->unshare_net = in->net && in->net->mode != NET_MODE_HOST;
	if (p->unshare_net && (has_option(recorded, "--share-net") ||
			       has_option(in->bwrap_args, "--share-net"))) {
		strbuf_addstr(err, "--share-net (recorded or in BWRAP_ARGS) would give the sandbox "
			      "the host's network, against --network=none or allow=\nhint: drop it, or "
			      "use --network=host");
		return -1;
	}
	plan_system(p, in);
	plan_host(p, in);
	plan_project(p, in);
	plan_env(p, in);

	strvec_pushv(&p->extra, recorded->v);
	strvec_pushv(&p->extra, in->bwrap_args->v);
	if (p->layout == PLAN_LAYOUT_LANDLOCK)
		allow_extra(p);
	keep_sockets_private(p);

	plan_program(&p->argv, pol->venv, in->entry, in->args);
	return 0;
}

void plan_program(struct strvec *argv, const char *venv, const char *entry,
		  const char *const *args)
{
	if (entry) {
		strvec_pushf(argv, "%s/bin/%s", venv, entry);
	} else {
		strvec_push(argv, "/bin/bash");
		if (!args[0])
			strvec_push(argv, "-i");
	}
	strvec_pushv(argv, args);
}

static const char *fd_str(struct strvec *keep, int fd)
{
	strvec_pushf(keep, "%d", fd);
	return keep->v[keep->nr - 1];
}

/* bwrap's --disable-userns nests the sandbox in a second user namespace,
 * where capabilities given with --cap-add do not reach the network
 * namespace: with --cap-add, leave it out, when the filter (which refuses
 * new user namespaces too) is on. */
static bool userns_left_to_filter(const struct plan *p)
{
	return p->seccomp_fd >= 0 && strvec_find(&p->extra, "--cap-add") >= 0;
}

static bool under_extra_mount(const struct plan *p, const char *dest)
{
	size_t i;

	for (i = 0; i < p->extra_mounts.nr; i++)
		if (path_is_under(dest, p->extra_mounts.v[i]))
			return true;
	return false;
}

/* Is op the sandbox's /proc, or a mount in it? */
static bool on_proc(const struct plan_op *op)
{
	return op->type != PLAN_SETENV && op->type != PLAN_CHDIR && op->dest &&
	       (!strcmp(op->dest, "/proc") || str_has_prefix(op->dest, "/proc/"));
}

/* One operation as bwrap's options, into args; tmp keeps the numbers of
 * descriptors, *n_loader counts the loader variables. */
static void push_op(struct strvec *args, struct strvec *tmp, const struct plan_op *op,
		    size_t *n_loader)
{
	switch (op->type) {
	case PLAN_PROC:
		strvec_pushl(args, "--proc", op->dest, NULL);
		break;
	case PLAN_DEV:
		strvec_pushl(args, "--dev", op->dest, NULL);
		break;
	case PLAN_TMPFS:
		strvec_pushl(args, "--tmpfs", op->dest, NULL);
		break;
	case PLAN_RO_BIND:
		strvec_pushl(args, "--ro-bind", op->src, op->dest, NULL);
		break;
	case PLAN_RO_BIND_TRY:
		strvec_pushl(args, "--ro-bind-try", op->src, op->dest, NULL);
		break;
	case PLAN_BIND:
		strvec_pushl(args, "--bind", op->src, op->dest, NULL);
		break;
	case PLAN_RO_BIND_FD:
		strvec_pushl(args, "--ro-bind-fd", fd_str(tmp, op->fd), op->dest, NULL);
		break;
	case PLAN_BIND_FD:
		strvec_pushl(args, "--bind-fd", fd_str(tmp, op->fd), op->dest, NULL);
		break;
	case PLAN_DEV_BIND:
		strvec_pushl(args, "--dev-bind", op->src, op->dest, NULL);
		break;
	case PLAN_SYMLINK:
		strvec_pushl(args, "--symlink", op->src, op->dest, NULL);
		break;
	case PLAN_DATA:
		strvec_pushl(args, "--ro-bind-data", fd_str(tmp, op->fd), op->dest, NULL);
		break;
	case PLAN_SETENV:
		/* Loader variables: set by the sandbox's init for the
		 * program alone (init.h). */
		if (init_env_is_loader(op->src) && *n_loader < INIT_ENV_MAX) {
			strvec_push(args, "--setenv");
			strvec_pushf(args, INIT_ENV_PREFIX "%zu", (*n_loader)++);
			strvec_pushf(args, "%s=%s", op->src, op->dest);
		} else {
			strvec_pushl(args, "--setenv", op->src, op->dest, NULL);
		}
		break;
	case PLAN_CHDIR:
		strvec_pushl(args, "--chdir", op->dest, NULL);
		break;
	case PLAN_REMOUNT_RO:
		break;	/* last: plan_to_args */
	}
}

void plan_to_args(const struct plan *p, struct strvec *args)
{
	cleanup_strvec struct strvec tmp = STRVEC_INIT;
	size_t i, n_loader = 0;

	strvec_pushl(args, "--unshare-user", "--unshare-pid", "--unshare-ipc",
		     "--unshare-uts", "--unshare-cgroup-try", NULL);
	if (p->unshare_net)
		strvec_push(args, "--unshare-net");
	/* bwrap keeps a root caller's capabilities unless told; a recorded
	 * --cap-add (p->extra) comes later and wins for what it names. */
	strvec_pushl(args, "--cap-drop", "ALL", NULL);
	/* No --die-with-parent: the init ends the sandbox when the launcher
	 * is gone (run.c, rule 4). */
	if (p->disable_userns && !userns_left_to_filter(p))
		strvec_push(args, "--disable-userns");
	for (i = 0; i < p->nr; i++)
		if (!on_proc(&p->ops[i]))
			push_op(args, &tmp, &p->ops[i], &n_loader);
	if (p->seccomp_fd >= 0)
		strvec_pushl(args, "--seccomp", fd_str(&tmp, p->seccomp_fd), NULL);
	strvec_pushv(args, p->extra.v);
	/* The sandbox's /proc, and what is bound over it, after the caller's
	 * options: nothing of theirs lies over it, or in it, where bwrap then
	 * looks for the init (/proc/self/fd/N, run.c). */
	for (i = 0; i < p->nr; i++)
		if (on_proc(&p->ops[i]))
			push_op(args, &tmp, &p->ops[i], &n_loader);
	/* After the caller's options, which may mount into these; not where
	 * one mounted over them (it is no mountpoint of ours any more). */
	for (i = 0; i < p->nr; i++)
		if (p->ops[i].type == PLAN_REMOUNT_RO && !under_extra_mount(p, p->ops[i].dest))
			strvec_pushl(args, "--remount-ro", p->ops[i].dest, NULL);
}

int *plan_fds(const struct plan *p, size_t *nr)
{
	int *fds = xcalloc(p->nr + p->nr_source_fds + 1, sizeof(*fds));
	size_t i;

	*nr = 0;
	for (i = 0; i < p->nr; i++) {
		switch (p->ops[i].type) {
		case PLAN_RO_BIND_FD:
		case PLAN_BIND_FD:
		case PLAN_DATA:
			fds[(*nr)++] = p->ops[i].fd;
			break;
		case PLAN_PROC:
		case PLAN_DEV:
		case PLAN_TMPFS:
		case PLAN_RO_BIND:
		case PLAN_RO_BIND_TRY:
		case PLAN_BIND:
		case PLAN_DEV_BIND:
		case PLAN_SYMLINK:
		case PLAN_SETENV:
		case PLAN_CHDIR:
		case PLAN_REMOUNT_RO:
			break;
		}
	}
	for (i = 0; i < p->nr_source_fds; i++)
		fds[(*nr)++] = p->source_fds[i];
	if (p->seccomp_fd >= 0)
		fds[(*nr)++] = p->seccomp_fd;
	return fds;
}

static const char *access_words(enum landlock_class c)
{
	switch (c) {
	case LANDLOCK_READ:  return "read and execute";
	case LANDLOCK_WRITE: return "read, write and execute (no socket made)";
	case LANDLOCK_PRIVATE: return "read, write and execute";
	case LANDLOCK_DEV:   return "read, write and device ioctls";
	case LANDLOCK_PROC:  return "read and write files";
	}
	return "?";
}

void plan_explain(const struct plan *p, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		const struct plan_op *op = &p->ops[i];
		const char *what = "";

		switch (op->type) {
		case PLAN_PROC:        what = "proc"; break;
		case PLAN_DEV:         what = "dev"; break;
		case PLAN_TMPFS:       what = "tmpfs"; break;
		case PLAN_RO_BIND:
		case PLAN_RO_BIND_TRY:
		case PLAN_RO_BIND_FD:  what = "read-only"; break;
		case PLAN_BIND:
		case PLAN_BIND_FD:     what = "read-write"; break;
		case PLAN_DEV_BIND:    what = "devices"; break;
		case PLAN_SYMLINK:     what = "symlink"; break;
		case PLAN_DATA:        what = "file"; break;
		case PLAN_SETENV:      what = "variable"; break;
		case PLAN_CHDIR:       what = "chdir"; break;
		case PLAN_REMOUNT_RO:  what = "remount"; break;
		}
		/* A variable by its name: the command line below has the value. */
		strbuf_addf(out, PROG ": %-10s %s: %s\n", what,
			    op->type == PLAN_SETENV ? op->src : op->dest, op->why);
	}
	for (i = 0; i < p->nr_rules; i++)
		strbuf_addf(out, PROG ": %-10s %s: %s: %s\n", "landlock", p->rules[i].path,
			    access_words(p->rules[i].access), p->rules[i].why);
	if (p->unshare_net)
		strbuf_addstr(out, PROG ": network    its own, loopback only (--unshare-net): "
			      "--network=none or allow=\n");
	for (i = 0; i < p->quiet.nr; i++)
		strbuf_addf(out, PROG ": %-10s %s\n", "permission", p->quiet.v[i]);
	if (p->disable_userns && userns_left_to_filter(p))
		strbuf_addstr(out, PROG ": note: no --disable-userns, which would keep --cap-add "
			      "from reaching the network; the filter refuses new user namespaces\n");
	for (i = 0; i < p->extra.nr; i++)
		if (p->extra.v[i][0] == '-')
			strbuf_addf(out, PROG ": %-10s %s: recorded at wrap time or given in BWRAP_ARGS\n",
				    "option", p->extra.v[i]);
}

/* Does path name inside what it names on the host? The last of the
 * plan's mounts that holds it must mirror the host (plan_rules_data). */
static bool mirrors_host(const struct plan *p, const char *path)
{
	const struct plan_op *last = NULL;
	size_t i;

	for (i = 0; i < p->extra_mounts.nr; i++)
		if (path_is_under(path, p->extra_mounts.v[i]))
			return false;
	for (i = 0; i < p->nr; i++) {
		const struct plan_op *op = &p->ops[i];

		if (op->type != PLAN_CHDIR && op->type != PLAN_REMOUNT_RO &&
		    op->type != PLAN_SETENV && op->dest && path_is_under(path, op->dest))
			last = op;
	}
	if (!last)
		return false;
	switch (last->type) {
	case PLAN_RO_BIND:
	case PLAN_RO_BIND_TRY:
		return !strcmp(last->src, last->dest);
	case PLAN_SYMLINK:
		return strmap_get(&p->host_links, last->dest) != NULL;
	case PLAN_RO_BIND_FD: {
		/* A directory of links the host keeps (view.h): through one of
		 * the host's links in it. */
		size_t n = strlen(last->dest);
		cleanup_free char *entry = NULL;

		if (path[n] != '/' || strvec_find(&p->linked, last->dest) < 0)
			return false;
		entry = xstrndup(path, n + 1 + strcspn(path + n + 1, "/"));
		return strmap_get(&p->host_links, entry) != NULL;
	}
	case PLAN_TMPFS:
	case PLAN_PROC:
	case PLAN_DEV:
	case PLAN_BIND:
	case PLAN_BIND_FD:
	case PLAN_DEV_BIND:
	case PLAN_DATA:
	case PLAN_SETENV:
	case PLAN_CHDIR:
	case PLAN_REMOUNT_RO:
	default:
		return false;
	}
}

void plan_rules_data(const struct plan *p, struct strbuf *out, struct strbuf *host)
{
	size_t i;

	for (i = 0; i < p->nr_rules; i++) {
		const struct plan_rule *r = &p->rules[i];
		bool there = host && r->host && mirrors_host(p, r->path);

		landlock_rules_add(there ? host : out, r->access, r->path);
	}
}

/* ---- Directories of links that the host keeps (view.h) ---- */

/* dest is an entry of dir itself, not deeper. */
static bool entry_of(const char *dest, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(dest, dir, n) && dest[n] == '/' && dest[n + 1] &&
	       !strchr(dest + n + 1, '/');
}

/* What an op leaves in the directory that dest is an entry of; 0: none
 * the directory can hold before bwrap runs. */
static int view_kind(const struct plan_op *op)
{
	struct stat st;

	switch (op->type) {
	case PLAN_SYMLINK:
		return PLAN_VIEW_LINK;
	case PLAN_DATA:
		return PLAN_VIEW_FILE;
	case PLAN_RO_BIND:
	case PLAN_RO_BIND_TRY:
	case PLAN_BIND:
	case PLAN_DEV_BIND:
		if (stat(op->src, &st) < 0)
			return 0;
		return S_ISDIR(st.st_mode) ? PLAN_VIEW_MOUNT_DIR : PLAN_VIEW_MOUNT_FILE;
	case PLAN_RO_BIND_FD:
	case PLAN_BIND_FD:
		if (fstat(op->fd, &st) < 0)
			return 0;
		return S_ISDIR(st.st_mode) ? PLAN_VIEW_MOUNT_DIR : PLAN_VIEW_MOUNT_FILE;
	case PLAN_TMPFS:
	case PLAN_PROC:
	case PLAN_DEV:
		return PLAN_VIEW_MOUNT_DIR;
	case PLAN_SETENV:
	case PLAN_CHDIR:
	case PLAN_REMOUNT_RO:
		break;
	}
	return 0;
}

static int cmp_view_entry(const void *a, const void *b)
{
	return strcmp(((const struct plan_view_entry *)a)->name,
		      ((const struct plan_view_entry *)b)->name);
}

int plan_view_entries(const struct plan *p, const char *dir, struct plan_view_entry **out,
		      size_t *nr)
{
	cleanup_free struct plan_view_entry *e = NULL;
	size_t i, n = 0;
	bool made = false;

	*out = NULL;
	*nr = 0;
	for (i = 0; i < p->extra_mounts.nr; i++)
		if (path_is_under(p->extra_mounts.v[i], dir))
			return -1;
	e = xcalloc(p->nr + 1, sizeof(*e));
	for (i = 0; i < p->nr; i++) {
		const struct plan_op *op = &p->ops[i];
		int kind;

		if (op->type == PLAN_SETENV || op->type == PLAN_CHDIR ||
		    !path_is_under(op->dest, dir))
			continue;
		if (!strcmp(op->dest, dir)) {
			if (op->type != PLAN_TMPFS && op->type != PLAN_REMOUNT_RO)
				return -1;
			made |= op->type == PLAN_TMPFS;
			continue;
		}
		if (!entry_of(op->dest, dir) || op->type == PLAN_REMOUNT_RO ||
		    !(kind = view_kind(op)))
			return -1;
		e[n].kind = (enum plan_view_kind)kind;
		e[n].name = op->dest + strlen(dir) + 1;
		if (kind == PLAN_VIEW_LINK || kind == PLAN_VIEW_FILE) {
			e[n].data = op->src;
			e[n].len = op->len;
		}
		n++;
	}
	if (!made)
		return -1;
	qsort(e, n, sizeof(*e), cmp_view_entry);
	for (i = 1; i < n; i++)
		if (!strcmp(e[i - 1].name, e[i].name))
			return -1;	/* two things at one name: bwrap's order decides */
	*out = steal_pointer(&e);
	*nr = n;
	return 0;
}

void plan_use_view(struct plan *p, const char *dir, int fd)
{
	size_t i, n = 0;

	for (i = 0; i < p->nr; i++) {
		struct plan_op *op = &p->ops[i];
		bool gone = op->type != PLAN_SETENV && op->type != PLAN_CHDIR &&
			    ((!strcmp(op->dest, dir) &&
			      (op->type == PLAN_TMPFS || op->type == PLAN_REMOUNT_RO)) ||
			     (entry_of(op->dest, dir) &&
			      (op->type == PLAN_SYMLINK || op->type == PLAN_DATA)));

		if (gone && op->type == PLAN_TMPFS) {
			/* In its place: bwrap binds the directory whole. */
			free(op->src);
			free(op->why);
			op->type = PLAN_RO_BIND_FD;
			op->src = NULL;
			op->fd = fd;
			op->why = xstrdup("only links to what the sandbox may use here, made once "
					  "on the host and bound read-only");
			gone = false;
		}
		if (gone)
			op_free(op);
		else
			p->ops[n++] = *op;
	}
	p->nr = n;
}
