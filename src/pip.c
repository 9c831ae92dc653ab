/* pip.c - what makes a launch pip's, and the pip configuration it gets. */
#include "pip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "init.h"
#include "reach.h"
#include "util.h"

#define PIP_CONF_MAX (1u << 20)
/* Where the caller's own pip configuration is shown inside. */
#define PIP_USER_DIR INIT_DIR "/pip-user"
#define PIP_USER_CONF PIP_USER_DIR "/pip/pip.conf"
#define PIP_FILE_CONF INIT_DIR "/pip-config-file.conf"
#define PIP_ETC_DIR INIT_DIR "/pip-etc"
#define PIP_LEGACY_DIR INIT_DIR "/pip-legacy"

static bool digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

bool pip_is_name(const char *name)
{
	const char *v, *dot;

	if (!str_has_prefix(name, "pip"))
		return false;
	v = name + 3;
	if (!*v)
		return true;
	if (*v == '-')
		v++;
	dot = strchr(v, '.');
	if (!dot)
		return digits(v);
	{
		cleanup_free char *major = xstrndup(v, (size_t)(dot - v));

		return digits(major) && digits(dot + 1);
	}
}

/* python's one-letter options that take an argument; the others are flags. */
static bool takes_argument(char c)
{
	return c == 'c' || c == 'm' || c == 'W' || c == 'X';
}

/* Is module (from "-m MODULE") pip itself or one of its modules? */
static bool is_pip_module(const char *module)
{
	return !strcmp(module, "pip") || str_has_prefix(module, "pip.");
}

bool pip_is_launch(const char *name, const char *const *args)
{
	size_t i;

	if (pip_is_name(name))
		return true;
	if (!str_has_prefix(name, "python"))
		return false;
	/* python's command line up to the script or module: options may be
	 * combined (-Im pip), -m may carry its module (-mpip). */
	for (i = 0; args[i]; i++) {
		const char *a = args[i];
		size_t j;

		if (a[0] != '-' || !strcmp(a, "-") || !strcmp(a, "--"))
			return false;
		if (a[1] == '-') {
			/* --check-hash-based-pycs MODE; --help, --version: no program */
			if (!strcmp(a, "--check-hash-based-pycs") && args[i + 1])
				i++;
			continue;
		}
		for (j = 1; a[j]; j++) {
			if (!takes_argument(a[j]))
				continue;
			if (a[j] != 'm') {
				if (!a[j + 1] && args[i + 1])
					i++;	/* its argument is the next word */
				if (a[j] == 'c')
					return false;
				break;
			}
			if (a[j + 1])
				return is_pip_module(a + j + 1);
			return args[i + 1] && is_pip_module(args[i + 1]);
		}
	}
	return false;
}

void pip_config_init(struct pip_config *c)
{
	strvec_init(&c->env);
	strvec_init(&c->notes);
	c->files = NULL;
	c->nr_files = 0;
	c->reach = NULL;
}

void pip_config_release(struct pip_config *c)
{
	size_t i;

	for (i = 0; i < c->nr_files; i++) {
		free(c->files[i].dest);
		strbuf_release(&c->files[i].content);
	}
	free(c->files);
	strvec_clear(&c->env);
	strvec_clear(&c->notes);
	pip_config_init(c);
}

/* Add the caller's file `path` (symlinks followed, as pip would), shown
 * inside at `dest`. false when it is not there or not readable, and when
 * it lies where sandboxes write, or another user can (reach.h:
 * reach_path_trusted), or a link on the way does or leads there: a
 * sandbox could put any file of the caller's in its place, and have it
 * read on the host and shown inside (notes says so). */
static bool add_file(struct pip_config *c, const char *path, const char *dest)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_free char *abs = NULL;
	cleanup_fd int fd = -1;
	struct pip_file *f;
	struct stat st;

	if (lstat(path, &st) < 0)
		return false;	/* none: pip reads none */
	if (path[0] != '/') {
		cleanup_free char *cwd = getcwd(NULL, 0);

		abs = cwd ? xasprintf("%s/%s", cwd, path) : NULL;
	}
	if (!abs)
		abs = xstrdup(path);
	if (!reach_path_trusted(c->reach, abs, getuid())) {
		strvec_pushf(&c->notes, "pip's configuration '%s' is left out: it lies where "
			     "sandboxes write, or another user can, or a link on the way to it "
			     "does or leads there", path);
		return false;
	}
	fd = open(abs, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (st.st_uid != 0 && st.st_uid != getuid()) {
		strvec_pushf(&c->notes, "pip's configuration '%s' is left out: it belongs to "
			     "another user (uid %u)", path, (unsigned)st.st_uid);
		return false;
	}
	if (fs_read_fd(fd, PIP_CONF_MAX, &text, path, &ignored) < 0)
		return false;
	c->files = xrealloc(c->files, (c->nr_files + 1) * sizeof(*c->files));
	f = &c->files[c->nr_files++];
	f->dest = xstrdup(dest);
	strbuf_init(&f->content, 0);
	strbuf_add(&f->content, text.buf, text.len);
	return true;
}

static const char *env_of(const char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

void pip_config_gather(const char *const *envp, const char *home, const struct strvec *reach,
		       struct pip_config *c)
{
	const char *xdg_home = env_of(envp, "XDG_CONFIG_HOME");
	const char *xdg_dirs = env_of(envp, "XDG_CONFIG_DIRS");
	const char *config_file = env_of(envp, "PIP_CONFIG_FILE");
	cleanup_strbuf struct strbuf dirs_inside = STRBUF_INIT;
	cleanup_free char *user = NULL;
	cleanup_free char *legacy = NULL;
	const char *const *e;
	bool has_file = false;

	c->reach = reach;
	/* The caller's PIP_* variables, as they are (PIP_CONFIG_FILE below). */
	for (e = envp; *e; e++)
		if (str_has_prefix(*e, "PIP_") && !str_has_prefix(*e, "PIP_CONFIG_FILE="))
			strvec_push(&c->env, *e);

	/* pip reads, each overriding the one before: the global files
	 * (XDG_CONFIG_DIRS's, default /etc/xdg, then /etc/pip.conf), the
	 * user's (~/.pip/pip.conf, then ~/.config/pip/pip.conf), the venv's,
	 * and PIP_CONFIG_FILE's, whose file, when there is one, turns the
	 * user's off. Inside, HOME is the venv's: /etc/pip.conf and
	 * ~/.pip/pip.conf become the last two of XDG_CONFIG_DIRS (pip reads
	 * /etc/pip.conf after those, and there is none inside), and
	 * ~/.config/pip/pip.conf is shown through XDG_CONFIG_HOME. */
	{
		cleanup_free char *dirs = xstrdup(xdg_dirs && xdg_dirs[0] ? xdg_dirs : "/etc/xdg");
		char *dir, *save = NULL;

		for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
			cleanup_free char *p = xasprintf("%s/pip/pip.conf", dir);

			if (dir[0] == '/' && add_file(c, p, p))
				strbuf_addf(&dirs_inside, "%s%s", dirs_inside.len ? ":" : "", dir);
		}
		if (add_file(c, "/etc/pip.conf", PIP_ETC_DIR "/pip/pip.conf"))
			strbuf_addf(&dirs_inside, "%s%s", dirs_inside.len ? ":" : "", PIP_ETC_DIR);
	}
	if (config_file && !strcmp(config_file, "/dev/null")) {
		strvec_push(&c->env, "PIP_CONFIG_FILE=/dev/null");
		has_file = true;
	} else if (config_file && config_file[0] && add_file(c, config_file, PIP_FILE_CONF)) {
		strvec_push(&c->env, "PIP_CONFIG_FILE=" PIP_FILE_CONF);
		has_file = true;
	}
	if (!has_file) {
		/* No PIP_CONFIG_FILE that pip would read: the user's files. */
		legacy = home ? xasprintf("%s/.pip/pip.conf", home) : NULL;
		if (legacy && add_file(c, legacy, PIP_LEGACY_DIR "/pip/pip.conf"))
			strbuf_addf(&dirs_inside, "%s%s", dirs_inside.len ? ":" : "",
				    PIP_LEGACY_DIR);
		if (xdg_home && xdg_home[0] == '/')
			user = xasprintf("%s/pip/pip.conf", xdg_home);
		else if (home)
			user = xasprintf("%s/.config/pip/pip.conf", home);
		if (user && add_file(c, user, PIP_USER_CONF))
			strvec_push(&c->env, "XDG_CONFIG_HOME=" PIP_USER_DIR);
	}
	if (dirs_inside.len)
		strvec_pushf(&c->env, "XDG_CONFIG_DIRS=%s", dirs_inside.buf);
}

/* ---- where pip fetches from (for --network=allow=) ---- */

enum pip_url_key {
	PIP_KEY_NONE,
	PIP_KEY_INDEX,          /* index-url: replaces PyPI */
	PIP_KEY_MORE,           /* extra-index-url, find-links */
};

/* A configuration key, as pip reads it: case and '_' or '-' alike. */
static enum pip_url_key url_key(const char *key, size_t len)
{
	static const struct {
		const char *name;
		enum pip_url_key key;
	} keys[] = {
		{ "index-url", PIP_KEY_INDEX },
		{ "extra-index-url", PIP_KEY_MORE },
		{ "find-links", PIP_KEY_MORE },
	};
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strlen(keys[i].name) != len)
			continue;
		for (k = 0; k < len; k++) {
			char c = key[k] >= 'A' && key[k] <= 'Z' ? (char)(key[k] - 'A' + 'a') : key[k];

			if (c != keys[i].name[k] && !(c == '_' && keys[i].name[k] == '-'))
				break;
		}
		if (k == len)
			return keys[i].key;
	}
	return PIP_KEY_NONE;
}

/* The whitespace-separated words of s (len bytes) into urls. */
static void add_words(const char *s, size_t len, struct strvec *urls)
{
	const char *end = s + len;

	while (s < end) {
		size_t n;

		while (s < end && strchr(" \t\r\n", *s))
			s++;
		for (n = 0; s + n < end && !strchr(" \t\r\n", s[n]); n++)
			;
		if (n)
			strvec_push_nodup(urls, xstrndup(s, n));
		s += n;
	}
}

/* pip.conf (configparser): KEY = VALUE or KEY: VALUE, values going on
 * over indented lines; every section counts. */
static bool conf_urls(const struct strbuf *text, struct strvec *urls)
{
	enum pip_url_key cur = PIP_KEY_NONE;
	const char *line = text->buf, *end = text->buf + text->len;
	bool index = false;

	for (; line < end; line++) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t len;
		const char *sep;

		eol = eol ? eol : end;
		len = (size_t)(eol - line);
		if (len && (line[0] == ' ' || line[0] == '\t')) {
			if (cur != PIP_KEY_NONE)
				add_words(line, len, urls);
		} else {
			cur = PIP_KEY_NONE;
			sep = line + strcspn(line, "=:\n");
			if (len && line[0] != '#' && line[0] != ';' && line[0] != '[' && sep < eol) {
				const char *k = line, *ke = sep;

				while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
					ke--;
				cur = url_key(k, (size_t)(ke - k));
				if (cur != PIP_KEY_NONE)
					add_words(sep + 1, (size_t)(eol - sep - 1), urls);
				index |= cur == PIP_KEY_INDEX;
			}
		}
		line = eol;
	}
	return index;
}

/* pip's command line: -i URL, -iURL, --index-url URL, --index-url=URL,
 * and the same for --extra-index-url and -f, --find-links. */
static bool arg_urls(const char *const *args, struct strvec *urls)
{
	static const struct {
		const char *name;
		enum pip_url_key key;
	} opts[] = {
		{ "-i", PIP_KEY_INDEX }, { "--index-url", PIP_KEY_INDEX },
		{ "--extra-index-url", PIP_KEY_MORE },
		{ "-f", PIP_KEY_MORE }, { "--find-links", PIP_KEY_MORE },
	};
	bool index = false;
	size_t i, k;

	for (i = 0; args[i]; i++) {
		for (k = 0; k < ARRAY_SIZE(opts); k++) {
			const char *o = opts[k].name, *v = NULL;
			size_t n = strlen(o);

			if (strncmp(args[i], o, n))
				continue;
			if (!args[i][n])
				v = args[i + 1];
			else if (args[i][n] == '=' || o[1] != '-')
				v = args[i] + n + (args[i][n] == '=');
			if (!v)
				continue;
			strvec_push(urls, v);
			index |= opts[k].key == PIP_KEY_INDEX;
			break;
		}
	}
	return index;
}

bool pip_index_urls(const struct pip_config *c, const char *const *args, struct strvec *urls)
{
	bool index = false;
	size_t i;

	for (i = 0; i < c->env.nr; i++) {
		const char *kv = c->env.v[i], *eq = strchr(kv, '=');
		enum pip_url_key k;

		if (!eq || !str_has_prefix(kv, "PIP_"))
			continue;
		k = url_key(kv + 4, (size_t)(eq - kv - 4));
		if (k != PIP_KEY_NONE)
			add_words(eq + 1, strlen(eq + 1), urls);
		index |= k == PIP_KEY_INDEX;
	}
	for (i = 0; i < c->nr_files; i++)
		index |= conf_urls(&c->files[i].content, urls);
	index |= arg_urls(args, urls);
	return index;
}
