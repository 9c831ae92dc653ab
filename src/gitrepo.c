/* gitrepo.c - where in the work tree git on the host runs from. */
#include "gitrepo.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "strbuf.h"
#include "util.h"

#define CONFIG_MAX (1u << 20)
#define INDEX_MAX (256u << 20)
#define GITFILE_MAX 4096
#define MODULES_DEPTH 8
#define MODULES_DIRS 4096

/* ---- git's config format, the part needed here ---- */

static bool key_char(int c)
{
	return isalnum(c) || c == '-';
}

/* One value, from *p to the end of its line, as git reads it: quotes,
 * escapes, comments, backslash-newline; trailing blanks outside quotes
 * dropped. */
static void parse_value(const char **p, const char *end, struct strbuf *v)
{
	bool quoted = false;
	size_t keep = 0;	/* v->len up to the last byte not to trim */

	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	while (*p < end) {
		char c = *(*p)++;

		if (c == '\n' && !quoted)
			break;
		if (!quoted && (c == '#' || c == ';')) {
			while (*p < end && **p != '\n')
				(*p)++;
			continue;
		}
		if (c == '"') {
			quoted = !quoted;
			keep = v->len;
			continue;
		}
		if (c == '\\' && *p < end) {
			c = *(*p)++;
			if (c == '\n')
				continue;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'b' ? '\b' : c;
			strbuf_addch(v, c);
			keep = v->len;
			continue;
		}
		strbuf_addch(v, c);
		if (quoted || (c != ' ' && c != '\t'))
			keep = v->len;
	}
	strbuf_setlen(v, keep);
}

/* "[name]", "[name "sub"]" or "[name.sub]": into sec as "name" or
 * "name.sub" (name in lower case). *p is past '['. */
static void parse_section(const char **p, const char *end, struct strbuf *sec)
{
	strbuf_reset(sec);
	while (*p < end && (key_char(**p) || **p == '.')) {
		strbuf_addch(sec, (char)tolower((unsigned char)**p));
		(*p)++;
	}
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	if (*p < end && **p == '"') {
		strbuf_addch(sec, '.');
		for ((*p)++; *p < end && **p != '"' && **p != '\n'; (*p)++) {
			if (**p == '\\' && *p + 1 < end)
				(*p)++;
			strbuf_addch(sec, **p);
		}
	}
	while (*p < end && **p != ']' && **p != '\n')
		(*p)++;
	if (*p < end && **p == ']')
		(*p)++;
}

/* Each "section key value" of config text, in order, to fn. */
static void config_each(const char *text, size_t len,
			void (*fn)(const char *section, const char *key, const char *value, void *data),
			void *data)
{
	cleanup_strbuf struct strbuf sec = STRBUF_INIT;
	cleanup_strbuf struct strbuf name = STRBUF_INIT;
	cleanup_strbuf struct strbuf val = STRBUF_INIT;
	const char *p = text, *end = text + len;

	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			break;
		if (*p == '#' || *p == ';') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (*p == '[') {
			p++;
			parse_section(&p, end, &sec);
			continue;
		}
		if (!isalpha((unsigned char)*p)) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		strbuf_reset(&name);
		while (p < end && key_char(*p))
			strbuf_addch(&name, (char)tolower((unsigned char)*p++));
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		strbuf_reset(&val);
		if (p < end && *p == '=') {
			p++;
			parse_value(&p, end, &val);
		} else {
			strbuf_addstr(&val, "true");	/* "key" alone: a boolean */
			while (p < end && *p != '\n')
				p++;
		}
		fn(sec.buf, name.buf, val.buf, data);
	}
}

struct config_query {
	const char *section, *key;
	char *found;
};

static void config_match(const char *section, const char *key, const char *value, void *data)
{
	struct config_query *q = data;

	if (!strcmp(section, q->section) && !strcmp(key, q->key)) {
		free(q->found);
		q->found = xstrdup(value);
	}
}

char *gitrepo_config_get(const char *text, size_t len, const char *section,
			 const char *key)
{
	struct config_query q = { section, key, NULL };

	config_each(text, len, config_match, &q);
	return q.found;
}

/* dirfd/name, a regular file (symlinks followed, as git does), into out:
 * 0, or -1 when it is not there, not regular or larger than max. */
static int read_regular(int dirfd, const char *name, size_t max, struct strbuf *out)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fs_read_fd(fd, max, out, name, &ignored) < 0)
		return -1;
	return 0;
}

/* section.key of the config file at dirfd/name, or NULL. */
static char *config_file_get(int dirfd, const char *name, const char *section, const char *key)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;

	if (read_regular(dirfd, name, CONFIG_MAX, &text) < 0)
		return NULL;
	return gitrepo_config_get(text.buf, text.len, section, key);
}

/* ---- the index (git's Documentation/gitformat-index) ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define GITLINK_MODE 0160000
#define ENTRY_FIXED 40          /* ctime .. size: ten 32-bit fields */
#define FLAG_EXTENDED 0x4000

int gitrepo_index_gitlinks(const unsigned char *data, size_t len, size_t hash_len,
			   struct strvec *out)
{
	cleanup_strbuf struct strbuf path = STRBUF_INIT;
	size_t off = 12, i;
	uint32_t version, count;

	if (len < 12 || memcmp(data, "DIRC", 4))
		return -1;
	version = be32(data + 4);
	count = be32(data + 8);
	if (version < 2 || version > 4)
		return -1;
	for (i = 0; i < count; i++) {
		size_t start = off, flags_at = off + ENTRY_FIXED + hash_len, name_at;
		uint32_t mode;
		uint16_t flags;
		const unsigned char *nul;

		if (flags_at + 2 > len)
			return -1;
		mode = be32(data + off + 24);
		flags = (uint16_t)(data[flags_at] << 8 | data[flags_at + 1]);
		name_at = flags_at + 2 + (version >= 3 && (flags & FLAG_EXTENDED) ? 2 : 0);
		if (name_at > len)
			return -1;
		off = name_at;
		if (version == 4) {
			/* The bytes to drop from the previous path (git's varint),
			 * then the rest of this one. */
			uint64_t drop;
			unsigned char c;

			if (off >= len)
				return -1;
			c = data[off++];
			drop = c & 127;
			while (c & 128) {
				if (off >= len || drop > len)
					return -1;
				c = data[off++];
				drop = ((drop + 1) << 7) | (c & 127);
			}
			if (drop > path.len)
				return -1;
			strbuf_setlen(&path, path.len - (size_t)drop);
		} else {
			strbuf_reset(&path);
		}
		nul = memchr(data + off, '\0', len - off);
		if (!nul)
			return -1;
		strbuf_add(&path, data + off, (size_t)(nul - (data + off)));
		off = (size_t)(nul - data) + 1;
		if (version < 4)	/* padded to a multiple of 8, NUL included */
			off = start + ((off - start + 7) & ~(size_t)7);
		if (off > len)
			return -1;
		if ((mode & 0170000) == GITLINK_MODE)
			strvec_push(out, path.buf);
	}
	return 0;
}

static void index_file_gitlinks(int dirfd, const char *name, size_t hash_len,
				struct strvec *out)
{
	cleanup_strbuf struct strbuf data = STRBUF_INIT;

	if (read_regular(dirfd, name, INDEX_MAX, &data) < 0)
		return;
	gitrepo_index_gitlinks((const unsigned char *)data.buf, data.len, hash_len, out);
}

/* The index and, for a split index, every shared index beside it. */
static void gitlinks(int gitdir, size_t hash_len, struct strvec *out)
{
	cleanup_fd int fd = openat(gitdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	index_file_gitlinks(gitdir, "index", hash_len, out);
	if (!d)
		return;
	fd = -1;
	while ((de = readdir(d)))
		if (str_has_prefix(de->d_name, "sharedindex."))
			index_file_gitlinks(dirfd(d), de->d_name, hash_len, out);
	closedir(d);
}

/* ---- paths ---- */

static void rtrim(struct strbuf *sb)
{
	while (sb->len && isspace((unsigned char)sb->buf[sb->len - 1]))
		strbuf_setlen(sb, sb->len - 1);
}

/* abs (normalized) relative to project, when it lies below it and not in
 * .git; else NULL. */
static const char *below(const char *abs, const char *project)
{
	size_t n = strlen(project);

	if (strncmp(abs, project, n) || abs[n] != '/' || !abs[n + 1])
		return NULL;
	abs += n + 1;
	if (!strcmp(abs, ".git") || str_has_prefix(abs, ".git/"))
		return NULL;
	return abs;
}

static void add_path(struct strvec *out, const char *rel)
{
	size_t i;

	if (out->nr >= GITREPO_PATHS_MAX || str_has_control(rel))
		return;
	for (i = 0; i < out->nr; i++)
		if (!strcmp(out->v[i], rel))
			return;
	strvec_push(out, rel);
}

/* path (normalized) with its longest existing part resolved (realpath)
 * and the rest as it is. */
static char *resolve_existing(const char *path)
{
	cleanup_free char *head = xstrdup(path);
	char *slash;

	while ((slash = strrchr(head, '/')) && slash != head) {
		cleanup_free char *real = NULL;

		*slash = '\0';
		real = realpath(head, NULL);
		if (real)
			return xasprintf("%s%s", strcmp(real, "/") ? real : "", path + strlen(head));
	}
	return xstrdup(path);
}

/* A directory of the repository's own (its git directory, its common
 * one) that lies in the work tree, as written and as git reaches it:
 * git init --separate-git-dir into the project, a .git symlink to one of
 * its directories. A sandbox could write its config otherwise. */
static void add_repo_dir(struct strvec *out, const char *path, const char *project)
{
	cleanup_free char *lexical = path_normalize(path);
	cleanup_free char *real = realpath(path, NULL);
	const char *rel;
	int hops;

	if ((rel = below(lexical, project)))
		add_path(out, rel);
	if (real && (rel = below(real, project)))
		add_path(out, rel);
	if (!real) {	/* not there yet: where its existing part leads */
		cleanup_free char *partial = resolve_existing(lexical);

		if ((rel = below(partial, project)))
			add_path(out, rel);
	}
	/* A symlink to what does not exist yet: where it leads, as git would
	 * create it. */
	for (hops = 0; !real && hops < 8; hops++) {
		cleanup_free char *target = fs_readlink_at(AT_FDCWD, lexical);
		char *slash, *next;

		if (!target)
			break;
		slash = strrchr(lexical, '/');
		*slash = '\0';
		next = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", lexical, target);
		free(lexical);
		lexical = path_normalize(next);
		free(next);
		if ((rel = below(lexical, project)))
			add_path(out, rel);
	}
}

/* "PATH/.git" for each work tree a module's config names, at any depth
 * below modules/. dir_path: the absolute path of dir. */
static void config_programs(int dirfd, const char *name, const char *top_path,
			    const char *project, struct strvec *out);

static void module_worktrees(int dir, const char *dir_path, const char *project, int depth,
			     size_t *seen, struct strvec *out)
{
	cleanup_fd int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *wt = config_file_get(dir, "config", "core", "worktree");
	DIR *d;
	struct dirent *de;

	if (wt && wt[0]) {
		cleanup_free char *joined = wt[0] == '/' ? xstrdup(wt) :
					    xasprintf("%s/%s", dir_path, wt);
		cleanup_free char *abs = path_normalize(joined);
		const char *rel = below(abs, project);

		if (rel) {
			cleanup_free char *git = xasprintf("%s/.git", rel);

			add_path(out, git);
		}
		/* What the module's own config runs, from its work tree. */
		config_programs(dir, "config", abs, project, out);
	}
	if (depth >= MODULES_DEPTH || fd < 0 || !(d = fdopendir(fd)))
		return;
	fd = -1;
	while ((de = readdir(d)) && *seen < MODULES_DIRS) {
		cleanup_fd int sub = -1;
		cleanup_free char *sub_path = NULL;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		sub = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		++*seen;
		sub_path = xasprintf("%s/%s", dir_path, de->d_name);
		module_worktrees(sub, sub_path, project, depth + 1, seen, out);
	}
	closedir(d);
}

/* The repository's directory for the project's top: .git itself, or the
 * one its gitfile names ("gitdir: PATH"). *path gets its absolute path. */
static int open_gitdir(int proj, const char *project, char **path)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	int fd = openat(proj, ".git", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free char *joined = NULL;

	if (fd >= 0) {
		*path = xasprintf("%s/.git", project);
		return fd;
	}
	if (errno == ELOOP || errno == ENOTDIR) {
		cleanup_free char *target = fs_readlink_at(proj, ".git");

		if (target) {	/* a symlink, which git follows */
			joined = target[0] == '/' ? xstrdup(target) :
				 xasprintf("%s/%s", project, target);
			*path = path_normalize(joined);
			return open(*path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		}
	}
	if (fs_read_file_at(proj, ".git", GITFILE_MAX, &text, &ignored) < 0 ||
	    !str_has_prefix(text.buf, "gitdir: "))
		return -1;
	rtrim(&text);
	joined = text.buf[8] == '/' ? xstrdup(text.buf + 8) :
		 xasprintf("%s/%s", project, text.buf + 8);
	*path = path_normalize(joined);
	return open(*path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* The common directory (linked work trees share the main one's config and
 * modules), or gitdir itself. */
static int open_common(int gitdir, const char *gitdir_path, char **path)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_free char *joined = NULL;

	if (fs_read_file_at(gitdir, "commondir", GITFILE_MAX, &text, &ignored) < 0) {
		*path = xstrdup(gitdir_path);
		return openat(gitdir, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	rtrim(&text);
	joined = text.buf[0] == '/' ? xstrdup(text.buf) : xasprintf("%s/%s", gitdir_path, text.buf);
	*path = path_normalize(joined);
	return open(*path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* The last value of section.key in a config file and in the files it
 * includes (include.path; includeIf.*.path taken whatever its condition,
 * which can only add places to protect), as git reads them in order. */
struct last_value {
	const char *section, *key, *home, *dir;
	int depth;
	char **v;
	const char *project;    /* a config file read that lies here ... */
	struct strvec *out;     /* ... is added to this */
};

static void last_file(const char *path, const struct last_value *parent);

static void last_cb(const char *section, const char *key, const char *value, void *data)
{
	const struct last_value *lv = data;

	if (!strcmp(section, lv->section) && !strcmp(key, lv->key)) {
		free(*lv->v);
		*lv->v = xstrdup(value);
	} else if (!strcmp(key, "path") && value[0] && lv->depth < 10 &&
		   (!strcmp(section, "include") || str_has_prefix(section, "includeif."))) {
		cleanup_free char *path = value[0] == '/' ? xstrdup(value) :
			str_has_prefix(value, "~/") && lv->home ? xasprintf("%s/%s", lv->home, value + 2) :
			xasprintf("%s/%s", lv->dir, value);

		last_file(path, lv);
	}
}

static void last_file(const char *path, const struct last_value *parent)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_free char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	struct last_value lv = *parent;

	if (slash)
		*slash = '\0';
	lv.dir = dir;
	lv.depth++;
	if (lv.out)	/* git reads it as config, wherever it is named from */
		add_repo_dir(lv.out, path, lv.project);
	if (read_regular(AT_FDCWD, path, CONFIG_MAX, &text) == 0)
		config_each(text.buf, text.len, last_cb, &lv);
}

/* core.hooksPath as git takes it: the system's config, the global one
 * (both places, or GIT_CONFIG_GLOBAL), the repository's, its work tree's,
 * then GIT_CONFIG_COUNT's; each with what it includes; the last one set
 * wins. */
static char *hooks_path(const char *common_path, const char *gitdir_path, const char *home,
			const char *project, struct strvec *out)
{
	cleanup_free char *xdg = NULL;
	cleanup_free char *user = home ? xasprintf("%s/.gitconfig", home) : NULL;
	cleanup_free char *repo = xasprintf("%s/config", common_path);
	cleanup_free char *worktree = xasprintf("%s/config.worktree", gitdir_path);
	const char *xdg_home = getenv("XDG_CONFIG_HOME");
	const char *sys = getenv("GIT_CONFIG_SYSTEM");
	const char *global = getenv("GIT_CONFIG_GLOBAL");
	const char *count = getenv("GIT_CONFIG_COUNT");
	char *v = NULL;
	struct last_value lv = { "core", "hookspath", home, "/", 0, &v, project, out };
	long i, n;

	if (xdg_home && xdg_home[0] == '/')
		xdg = xasprintf("%s/git/config", xdg_home);
	else if (home)
		xdg = xasprintf("%s/.config/git/config", home);
	if (!env_flag("GIT_CONFIG_NOSYSTEM"))
		last_file(sys && sys[0] ? sys : "/etc/gitconfig", &lv);
	if (global && global[0]) {
		last_file(global, &lv);
	} else {
		if (xdg)
			last_file(xdg, &lv);
		if (user)
			last_file(user, &lv);
	}
	last_file(repo, &lv);
	last_file(worktree, &lv);
	n = count ? strtol(count, NULL, 10) : 0;
	for (i = 0; i < n && i < 1000; i++) {
		char name[64];
		const char *k, *val;

		snprintf(name, sizeof(name), "GIT_CONFIG_KEY_%ld", i);
		k = getenv(name);
		snprintf(name, sizeof(name), "GIT_CONFIG_VALUE_%ld", i);
		val = getenv(name);
		if (k && val && !strcasecmp(k, "core.hookspath")) {
			free(v);
			v = xstrdup(val);
		}
	}
	return v;
}

/* The files a config includes (include.path, includeIf.*.path), which git
 * reads as config: relative to the config's directory dir_path. */
struct includes {
	const char *dir_path, *home, *project;
	struct strvec *out;
};

static void include_path(const char *section, const char *key, const char *value, void *data)
{
	struct includes *in = data;
	cleanup_free char *path = NULL;

	if (strcmp(key, "path") || (strcmp(section, "include") && !str_has_prefix(section, "includeif.")) ||
	    !value[0])
		return;
	path = value[0] == '/' ? xstrdup(value) :
	       str_has_prefix(value, "~/") && in->home ? xasprintf("%s/%s", in->home, value + 2) :
	       xasprintf("%s/%s", in->dir_path, value);
	add_repo_dir(in->out, path, in->project);
}

static void config_includes(int dirfd, const char *name, const char *dir_path, const char *home,
			    const char *project, struct strvec *out)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	struct includes in = { dir_path, home, project, out };

	if (read_regular(dirfd, name, CONFIG_MAX, &text) == 0)
		config_each(text.buf, text.len, include_path, &in);
}

/* Each entry of the directory dir_path (a hooks directory, a repository's
 * worktrees/) handed to fn with its full path. */
static void each_entry(const char *dir_path, void (*fn)(const char *path, void *data), void *data)
{
	DIR *d = opendir(dir_path);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return;
	while ((de = readdir(d)) && n++ < MODULES_DIRS) {
		cleanup_free char *path = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", dir_path, de->d_name);
		fn(path, data);
	}
	closedir(d);
}

struct each_ctx {
	const char *project;
	struct strvec *out;
};

/* A hook that is a symlink into the work tree: what it leads to. */
static void hook_entry(const char *path, void *data)
{
	struct each_ctx *c = data;
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		add_repo_dir(c->out, path, c->project);
}

/* A linked work tree in the project: its .git, which its gitdir file
 * names, and which git in that work tree follows. */
static void worktree_entry(const char *path, void *data)
{
	struct each_ctx *c = data;
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_free char *gitdir = xasprintf("%s/gitdir", path);

	if (read_regular(AT_FDCWD, gitdir, GITFILE_MAX, &text) < 0)
		return;
	rtrim(&text);
	if (text.buf[0] == '/')
		add_repo_dir(c->out, text.buf, c->project);
}

/* Where git's config names programs it runs: every key of these sections
 * ("name.*": with any subsection), and these keys. */
static const char *const program_sections[] = {
	"alias", "filter.*", "diff.*", "merge.*", "mergetool.*", "difftool.*", "gpg",
	"gpg.*", "credential", "credential.*", "sendemail", "sendemail.*", "trailer.*",
	"web", "browser.*", "man.*", "pager", "sequence", "interactive",
};
static const char *const program_keys[] = {
	"core.fsmonitor", "core.editor", "core.pager", "core.sshcommand", "core.askpass",
	"core.gitproxy", "core.alternaterefscommand", "diff.external",
	"uploadpack.packobjectshook", "remote.*.uploadpack", "remote.*.receivepack",
	"submodule.*.update", "protocol.*.helper",
};

/* Does section (name or name.sub) match pattern (name, or name.* for any
 * subsection)? */
static bool section_is(const char *section, const char *pattern)
{
	size_t n = strlen(pattern);

	if (n > 2 && !strcmp(pattern + n - 2, ".*"))
		return !strncmp(section, pattern, n - 1) && section[n - 1];
	return !strcmp(section, pattern);
}

static bool runs_program(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(program_sections); i++)
		if (section_is(section, program_sections[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(program_keys); i++) {
		cleanup_free char *sec = xstrdup(program_keys[i]);
		char *dot = strrchr(sec, '.');

		*dot = '\0';
		if (!strcmp(dot + 1, key) && section_is(section, sec))
			return true;
	}
	return false;
}

struct programs {
	const char *top_path, *project;
	struct strvec *out;
};

/* A program a config value names by a path into the work tree (relative:
 * from its top, as git runs it there). */
static void program_cb(const char *section, const char *key, const char *value, void *data)
{
	const struct programs *pr = data;
	const char *v = value;

	if (!runs_program(section, key))
		return;
	/* Every word that names a path: the program, and what a shell
	 * command runs ("!sh tools/x", "f(){ ./tools/x; }; f"). */
	while (*v) {
		size_t n = strcspn(v, " \t;&|<>()'\"`$={}!");
		cleanup_free char *word = n ? xstrndup(v, n) : NULL;

		v += n ? n : 1;
		if (!word || !strchr(word, '/') || strstr(word, "://"))
			continue;
		{
			cleanup_free char *path = word[0] == '/' ? xstrdup(word) :
						  xasprintf("%s/%s", pr->top_path, word);
			cleanup_free char *from_top = xasprintf("%s/%s", pr->top_path, word);

			add_repo_dir(pr->out, path, pr->project);
			/* "$(git rev-parse --show-toplevel)/tools/x" */
			if (word[0] == '/')
				add_repo_dir(pr->out, from_top, pr->project);
		}
	}
}

static void config_programs(int dirfd, const char *name, const char *top_path,
			    const char *project, struct strvec *out)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	struct programs pr = { top_path, project, out };

	if (read_regular(dirfd, name, CONFIG_MAX, &text) == 0)
		config_each(text.buf, text.len, program_cb, &pr);
}

/* The repository whose work tree's top is top (top_path): what of it
 * lies in the project. */
static void exec_paths_at(int top, const char *top_path, const char *project, const char *home,
			  struct strvec *out)
{
	cleanup_free char *gitdir_path = NULL;
	cleanup_free char *common_path = NULL;
	cleanup_free char *format = NULL;
	cleanup_free char *hooks = NULL;
	cleanup_fd int gitdir = open_gitdir(top, top_path, &gitdir_path);
	cleanup_fd int common = -1;
	cleanup_fd int modules = -1;
	struct stat st;
	size_t i, seen = 0;

	if (gitdir < 0)
		return;
	add_repo_dir(out, gitdir_path, project);
	common = open_common(gitdir, gitdir_path, &common_path);
	if (common < 0)
		return;
	add_repo_dir(out, common_path, project);
	/* Submodules: only in a repository that has or had some. */
	modules = openat(common, "modules", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (modules >= 0 || fstatat(top, ".gitmodules", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		cleanup_strvec struct strvec links = STRVEC_INIT;

		format = config_file_get(common, "config", "extensions", "objectformat");
		gitlinks(gitdir, format && !strcasecmp(format, "sha256") ? 32 : 20, &links);
		for (i = 0; i < links.nr; i++) {
			cleanup_free char *joined = xasprintf("%s/%s", top_path, links.v[i]);
			cleanup_free char *abs = path_normalize(joined);
			const char *rel = below(abs, project);

			if (rel) {
				cleanup_free char *git = xasprintf("%s/.git", rel);

				add_path(out, git);
			}
		}
	}
	if (modules >= 0) {
		cleanup_free char *modules_path = xasprintf("%s/modules", common_path);

		module_worktrees(modules, modules_path, project, 0, &seen, out);
	}
	config_includes(common, "config", common_path, home, project, out);
	config_includes(gitdir, "config.worktree", gitdir_path, home, project, out);
	config_programs(common, "config", top_path, project, out);
	config_programs(gitdir, "config.worktree", top_path, project, out);
	{
		struct each_ctx c = { project, out };
		cleanup_free char *worktrees = xasprintf("%s/worktrees", common_path);
		cleanup_free char *joined = NULL;

		each_entry(worktrees, worktree_entry, &c);
		hooks = hooks_path(common_path, gitdir_path, home, project, out);
		if (hooks && hooks[0]) {
			joined = hooks[0] == '/' ? xstrdup(hooks) :
				 str_has_prefix(hooks, "~/") && home ? xasprintf("%s/%s", home, hooks + 2) :
				 xasprintf("%s/%s", top_path, hooks);
			add_repo_dir(out, joined, project);	/* and where a symlink leads */
		} else {
			joined = xasprintf("%s/hooks", common_path);
		}
		each_entry(joined, hook_entry, &c);	/* hooks that lead into the work tree */
	}
}

void gitrepo_exec_paths(int proj, const char *project, const char *home, struct strvec *out)
{
	cleanup_free char *up = xstrdup(project);
	struct stat st;
	char *slash;

	if (fstatat(proj, ".git", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		exec_paths_at(proj, project, project, home, out);
		return;
	}
	/* A project inside a bigger repository (a monorepo): git in the
	 * project works on that one, and follows what of it lies here. */
	while ((slash = strrchr(up, '/'))) {
		cleanup_fd int top = -1;

		*slash = '\0';
		top = open(up[0] ? up : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (top >= 0 && fstatat(top, ".git", &st, AT_SYMLINK_NOFOLLOW) == 0) {
			exec_paths_at(top, up[0] ? up : "/", project, home, out);
			return;
		}
		if (!up[0])
			break;
	}
}
