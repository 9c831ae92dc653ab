/* libdeps.c - shared-library closure, resolved only into trusted directories.
 *
 * The invariants are listed in libdeps.h. How the code below keeps them:
 *
 * 1. The only place a library path is built is resolve_in(), from an entry
 *    of ld->dirs and a name that passed valid_name().
 * 2. RUNPATH entries of a file found in a scan of the venv are looked up
 *    with strvec_find() in ld->dirs and the directory used is the one
 *    already there (runpath_entries()). A trusted file (one the caller
 *    named, or found in a trusted directory) is resolved as the loader
 *    would: its RUNPATH first, $ORIGIN expanded against its real directory,
 *    so that a library of the same name from another directory never
 *    stands in for the one it names.
 * 3. PT_INTERP is split into directory and name and goes through the same
 *    strvec_find() test and resolve_in() (expand()).
 * 4. scan_dir() opens everything with openat(O_NOFOLLOW), decides with
 *    fstatat(AT_SYMLINK_NOFOLLOW), and hands the open fd on, so the file
 *    inspected is the file that was checked.
 */
#include "libdeps.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "fsutil.h"

/* Internal status beyond 0 / -1: a cap was hit, stop everything. */
#define LD_FATAL (-2)

/* ---- a small string-keyed hash table ---- */


/* ---- files parsed, keyed by device and inode ---- */

enum seen_state {
	SEEN_ELF,        /* parsed; info valid until expanded */
	SEEN_NOT_ELF,
	SEEN_MALFORMED,
};

struct seen_file {
	enum seen_state state;
	bool expanded;           /* queued for / done with its dependencies */
	bool trusted;            /* named by the caller, or found in ld->dirs */
	char *path;              /* as first opened */
	uint8_t elf_class;       /* of a SEEN_ELF file */
	uint16_t machine;
	struct elf_info info;    /* released once expanded */
};

static void seen_free(void *p)
{
	struct seen_file *f = p;

	elf_info_release(&f->info);
	free(f->path);
	free(f);
}

/* Files whose dependencies are still to be added. Not owned. */
struct worklist {
	struct seen_file **v;
	size_t nr, alloc;
};

static void worklist_push(struct worklist *w, struct seen_file *f)
{
	if (w->nr == w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 16;
		w->v = xrealloc(w->v, w->alloc * sizeof(*w->v));
	}
	w->v[w->nr++] = f;
}

void libdeps_init(struct libdeps *ld)
{
	memset(ld, 0, sizeof(*ld));
	strvec_init(&ld->dirs);
	strvec_init(&ld->found);
}

void libdeps_release(struct libdeps *ld)
{
	strvec_clear(&ld->dirs);
	strvec_clear(&ld->found);
	strmap_clear(&ld->seen, seen_free);
	strmap_clear(&ld->found_set, NULL);
	strmap_clear(&ld->resolved, NULL);
}

const char *libdeps_multiarch_triplet(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
	return "x86_64-linux-gnux32";
#elif defined(__x86_64__)
	return "x86_64-linux-gnu";
#elif defined(__i386__)
	return "i386-linux-gnu";
#elif defined(__aarch64__) && defined(__AARCH64EB__)
	return "aarch64_be-linux-gnu";
#elif defined(__aarch64__)
	return "aarch64-linux-gnu";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
	return "arm-linux-gnueabihf";
#elif defined(__arm__)
	return "arm-linux-gnueabi";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "powerpc64le-linux-gnu";
#elif defined(__powerpc64__)
	return "powerpc64-linux-gnu";
#elif defined(__s390x__)
	return "s390x-linux-gnu";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64-linux-gnu";
#elif defined(__loongarch64)
	return "loongarch64-linux-gnu";
#else
	return NULL;
#endif
}

/* ---- trusted directories ---- */

/* Add dir (dropping trailing slashes) if it is absolute, new, and a
 * directory. Returns -1 only when the cap is hit. */
static int add_dir_checked(struct libdeps *ld, const char *dir, struct strbuf *err)
{
	cleanup_free char *d = xstrdup(dir);
	size_t len = strlen(d);
	struct stat st;

	while (len > 1 && d[len - 1] == '/')
		d[--len] = '\0';
	if (d[0] != '/' || str_has_control(d) || strvec_find(&ld->dirs, d) >= 0)
		return 0;
	if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (ld->dirs.nr >= LIBDEPS_MAX_DIRS) {
		strbuf_addf(err, "cannot add library directory '%s': more than %d directories",
			    d, LIBDEPS_MAX_DIRS);
		return -1;
	}
	strvec_push_nodup(&ld->dirs, steal_pointer(&d));
	/* Earlier "not found" answers may change now. */
	strmap_clear(&ld->resolved, NULL);
	return 0;
}

void libdeps_add_dir(struct libdeps *ld, const char *dir)
{
	struct strbuf err = STRBUF_INIT;

	add_dir_checked(ld, dir, &err);
	strbuf_release(&err);
}

/* root + path, path absolute; root "/" (or NULL, "") adds nothing. */
static char *root_join(const char *root, const char *path)
{
	size_t n = root ? strlen(root) : 0;

	while (n && root[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, n ? root : "", path);
}

static void add_glob_escaped(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (strchr("*?[]\\", s[i]))
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, s[i]);
	}
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int parse_conf(struct libdeps *ld, const char *root, const char *file,
		      int depth, size_t *nfiles, struct strbuf *err);

/* "include PATTERN..." in file: PATTERN relative to file's directory
 * unless absolute, under root. */
static int conf_include(struct libdeps *ld, const char *root, const char *file,
			const char *pattern, int depth, size_t *nfiles,
			struct strbuf *err)
{
	struct strbuf pat = STRBUF_INIT;
	glob_t gl;
	size_t i;
	int ret = 0, g;

	if (pattern[0] == '/') {
		size_t n = root ? strlen(root) : 0;

		while (n && root[n - 1] == '/')
			n--;
		add_glob_escaped(&pat, root ? root : "", n);
	} else {
		const char *slash = strrchr(file, '/');

		add_glob_escaped(&pat, file, slash ? (size_t)(slash - file) : 0);
		strbuf_addch(&pat, '/');
	}
	strbuf_addstr(&pat, pattern);
	g = glob(pat.buf, 0, NULL, &gl);
	strbuf_release(&pat);
	if (g == GLOB_NOMATCH)
		return 0;
	if (g != 0) {
		strbuf_addf(err, "cannot expand include '%s' in '%s'", pattern, file);
		return -1;
	}
	for (i = 0; i < gl.gl_pathc && ret == 0; i++)
		ret = parse_conf(ld, root, gl.gl_pathv[i], depth + 1, nfiles, err);
	globfree(&gl);
	return ret;
}

static int conf_line(struct libdeps *ld, const char *root, const char *file,
		     char *line, int depth, size_t *nfiles, struct strbuf *err)
{
	char *hash = strchr(line, '#'), *end;

	if (hash)
		*hash = '\0';
	while (is_blank(*line))
		line++;
	end = line + strlen(line);
	while (end > line && is_blank(end[-1]))
		*--end = '\0';
	if (!*line)
		return 0;
	if (str_has_prefix(line, "include") && is_blank(line[7])) {
		char *save = NULL, *pat;

		for (pat = strtok_r(line + 8, " \t", &save); pat;
		     pat = strtok_r(NULL, " \t", &save))
			if (conf_include(ld, root, file, pat, depth, nfiles, err) < 0)
				return -1;
		return 0;
	}
	if (str_has_prefix(line, "hwcap") && is_blank(line[5]))
		return 0;
	/* Legacy "dir=TYPE". */
	end = strchr(line, '=');
	if (end) {
		*end = '\0';
		while (end > line && is_blank(end[-1]))
			*--end = '\0';
	}
	if (line[0] != '/') {
		return 0;
	} else {
		cleanup_free char *dir = root_join(root, line);

		return add_dir_checked(ld, dir, err);
	}
}

/* Read the ld.so.conf-style file (a path under root already). */
static int parse_conf(struct libdeps *ld, const char *root, const char *file,
		      int depth, size_t *nfiles, struct strbuf *err)
{
	cleanup_fd int fd = -1;
	cleanup_strbuf struct strbuf buf = STRBUF_INIT;
	struct stat st;
	char *line, *next;
	int ret = 0;

	if (depth > LIBDEPS_MAX_CONF_DEPTH) {
		strbuf_addf(err, "cannot read '%s': includes nested more than %d deep",
			    file, LIBDEPS_MAX_CONF_DEPTH);
		return -1;
	}
	if (++*nfiles > LIBDEPS_MAX_CONF_FILES) {
		strbuf_addf(err, "cannot read '%s': more than %d configuration files",
			    file, LIBDEPS_MAX_CONF_FILES);
		return -1;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	/* No ld.so.conf, or a dangling link matched by a glob. */
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		strbuf_addf(err, "cannot open '%s': %s", file, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_addf(err, "cannot open '%s': not a regular file", file);
		return -1;
	}
	if (fs_read_fd(fd, LIBDEPS_MAX_CONF_SIZE, &buf, file, err) < 0)
		return -1;
	if (memchr(buf.buf, '\0', buf.len)) {
		strbuf_addf(err, "cannot parse '%s': contains a NUL byte", file);
		return -1;
	}
	for (line = buf.buf; line && ret == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ret = conf_line(ld, root, file, line, depth, nfiles, err);
	}
	return ret;
}

int libdeps_add_system_dirs(struct libdeps *ld, const char *root,
			    struct strbuf *err)
{
	static const char *const defaults[] = { "/lib", "/usr/lib", "/lib64", "/usr/lib64" };
	const char *triplet = libdeps_multiarch_triplet();
	cleanup_free char *conf = root_join(root, "/etc/ld.so.conf");
	size_t nfiles = 0, i;

	if (parse_conf(ld, root, conf, 0, &nfiles, err) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(defaults); i++) {
		cleanup_free char *dir = root_join(root, defaults[i]);

		if (add_dir_checked(ld, dir, err) < 0)
			return -1;
	}
	if (triplet) {
		const char *const multi[] = { "/lib/", "/usr/lib/" };

		for (i = 0; i < ARRAY_SIZE(multi); i++) {
			cleanup_free char *rel = xasprintf("%s%s", multi[i], triplet);
			cleanup_free char *dir = root_join(root, rel);

			if (add_dir_checked(ld, dir, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- closure ---- */

static bool valid_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && !str_has_control(name);
}

static void note_found(struct libdeps *ld, const char *path)
{
	if (strmap_put(&ld->found_set, path, NULL))
		strvec_push(&ld->found, path);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sort_found(struct libdeps *ld)
{
	if (ld->found.nr > 1)
		qsort(ld->found.v, ld->found.nr, sizeof(*ld->found.v), cmp_path);
}

/* The parsed-once record of the file open at fd. Returns 0 with *out set,
 * -1 when fd cannot be inspected (line in err), LD_FATAL at the cap. */
static int visit_fd(struct libdeps *ld, int fd, const char *what,
		    struct seen_file **out, struct strbuf *err)
{
	struct seen_file *f;
	struct stat st;
	void **slot;
	char key[64];
	int ret;

	if (fstat(fd, &st) < 0) {
		strbuf_addf(err, "cannot stat '%s': %s", what, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_addf(err, "cannot read '%s': not a regular file", what);
		return -1;
	}
	snprintf(key, sizeof(key), "%llx:%llx", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	slot = strmap_get(&ld->seen, key);
	if (slot) {
		*out = *slot;
		return 0;
	}
	if (ld->seen.nr >= LIBDEPS_MAX_FILES) {
		strbuf_addf(err, "cannot inspect '%s': more than %d files",
			    what, LIBDEPS_MAX_FILES);
		return LD_FATAL;
	}
	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(what);
	elf_info_init(&f->info);
	ret = elf_read_fd_stat(fd, &st, what, &f->info, err);
	f->state = ret == 0 ? SEEN_ELF : ret == 1 ? SEEN_NOT_ELF : SEEN_MALFORMED;
	f->elf_class = f->info.elf_class;
	f->machine = f->info.machine;
	strmap_put(&ld->seen, key, f);
	*out = f;
	return 0;
}

/* Whether f is a usable library for a parent of this class and machine. */
static bool matches(const struct seen_file *f, const struct seen_file *parent)
{
	switch (f->state) {
	case SEEN_ELF:
		return f->elf_class == parent->elf_class &&
		       f->machine == parent->machine;
	case SEEN_NOT_ELF:
	case SEEN_MALFORMED:
		return false;
	}
	return false;
}

/* Queue f's dependencies once. */
static void take(struct libdeps *ld, const char *path, struct seen_file *f,
		 struct worklist *w)
{
	note_found(ld, path);
	if (!f->expanded) {
		f->expanded = true;
		worklist_push(w, f);
	}
}

/* Try dir/name for parent. Returns 1 when taken, 0 when not, LD_FATAL. */
static int resolve_in(struct libdeps *ld, const char *dir, const char *name,
		      const struct seen_file *parent, struct worklist *w,
		      struct strbuf *err)
{
	cleanup_free char *path = xasprintf("%s%s%s", dir,
					    strcmp(dir, "/") ? "/" : "", name);
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct strbuf ignored = STRBUF_INIT;
	struct seen_file *f;
	int ret;

	if (fd < 0)
		return 0;
	ret = visit_fd(ld, fd, path, &f, &ignored);
	if (ret == LD_FATAL) {
		strbuf_addstr(err, ignored.buf);
		strbuf_release(&ignored);
		return LD_FATAL;
	}
	strbuf_release(&ignored);
	if (ret < 0 || !matches(f, parent))
		return 0;
	f->trusted = true;	/* dir is one of ld->dirs, or a trusted file's RUNPATH */
	take(ld, path, f, w);
	return 1;
}

/* One RUNPATH entry: its place in ld->dirs, or -1 with the directory. */
struct rp_entry {
	long dir;
	char *path;
};

/* The RUNPATH of f, entry by entry, in its order: $ORIGIN expanded for a
 * trusted file, against the directory of its real path (as the loader
 * expands it for a program); other $ tokens and relative entries dropped.
 * For a file that is not trusted, only the entries in ld->dirs count. */
static size_t runpath_entries(const struct libdeps *ld, const struct seen_file *f,
			      const char *runpath, struct rp_entry **out)
{
	cleanup_free char *copy = xstrdup(runpath);
	cleanup_free char *origin = NULL;
	char *save = NULL, *e;
	size_t n = 0;

	if (f->trusted && strstr(runpath, "ORIGIN")) {
		origin = realpath(f->path, NULL);
		if (origin)
			*strrchr(origin, '/') = '\0';
	}
	*out = NULL;
	for (e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
		cleanup_free char *dir = NULL;

		if (str_has_prefix(e, "$ORIGIN") || str_has_prefix(e, "${ORIGIN}")) {
			const char *rest = e + (e[1] == '{' ? 9 : 7);

			if (!origin || (*rest && *rest != '/'))
				continue;
			dir = xasprintf("%s%s", origin, rest);
		} else if (e[0] == '/' && !strchr(e, '$')) {
			dir = xstrdup(e);
		} else {
			continue;
		}
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n].path = path_normalize(dir);
		(*out)[n].dir = strvec_find(&ld->dirs, (*out)[n].path);
		if ((*out)[n].dir < 0 && !f->trusted)
			free((*out)[n].path);
		else
			n++;
	}
	return n;
}

static void rp_free(struct rp_entry *rp, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(rp[i].path);
	free(rp);
}

static int resolve_needed(struct libdeps *ld, struct seen_file *parent,
			  const char *name, const struct rp_entry *rp, size_t nrp,
			  struct worklist *w, struct strbuf *err)
{
	size_t i, j;
	int ret;

	if (!valid_name(name))
		return 0;
	if (nrp == 0) {
		cleanup_free char *key = xasprintf("%u:%u:%s",
						   parent->elf_class,
						   parent->machine, name);

		/* Same answer as last time: nothing new to add. */
		if (!strmap_put(&ld->resolved, key, NULL))
			return 0;
	}
	/* RUNPATH first, as the loader searches it: for a trusted file any
	 * entry, for another only those in ld->dirs (runpath_entries). */
	for (i = 0; i < nrp; i++) {
		ret = resolve_in(ld, rp[i].dir >= 0 ? ld->dirs.v[rp[i].dir] : rp[i].path, name,
				 parent, w, err);
		if (ret != 0)
			return ret == LD_FATAL ? LD_FATAL : 0;
	}
	for (i = 0; i < ld->dirs.nr; i++) {
		for (j = 0; j < nrp && rp[j].dir != (long)i; j++)
			;
		if (j < nrp)
			continue;
		ret = resolve_in(ld, ld->dirs.v[i], name, parent, w, err);
		if (ret != 0)
			return ret == LD_FATAL ? LD_FATAL : 0;
	}
	return 0;
}

static int expand(struct libdeps *ld, struct seen_file *f, struct worklist *w,
		  struct strbuf *err)
{
	const struct elf_info *ei = &f->info;
	struct rp_entry *rp = NULL;
	size_t nrp = 0, i;
	int ret = 0;

	if (ei->interp && ei->interp[0] == '/') {
		cleanup_free char *dir = xstrdup(ei->interp);
		char *slash = strrchr(dir, '/');
		const char *name = slash + 1;
		size_t len;

		*slash = '\0';
		len = strlen(dir);
		while (len > 0 && dir[len - 1] == '/')
			dir[--len] = '\0';
		if (len == 0)
			strcpy(dir, "/");
		if (valid_name(name) && strvec_find(&ld->dirs, dir) >= 0)
			ret = resolve_in(ld, dir, name, f, w, err);
	}
	if (ret == LD_FATAL)
		return LD_FATAL;
	ret = 0;
	if (ei->runpath)
		nrp = runpath_entries(ld, f, ei->runpath, &rp);
	for (i = 0; i < ei->needed.nr && ret == 0; i++)
		if (resolve_needed(ld, f, ei->needed.v[i], rp, nrp, w, err) == LD_FATAL)
			ret = LD_FATAL;
	rp_free(rp, nrp);
	return ret;
}

/* Add the closure of the file open at fd. 0, -1 (this file), LD_FATAL. */
static int add_fd(struct libdeps *ld, int fd, const char *path, bool add_self,
		  bool trusted, struct strbuf *err)
{
	struct worklist w = { NULL, 0, 0 };
	struct seen_file *f;
	size_t errlen = err->len;
	int ret = visit_fd(ld, fd, path, &f, err);

	if (ret < 0)
		return ret;
	switch (f->state) {
	case SEEN_NOT_ELF:
		return 0;
	case SEEN_MALFORMED:
		/* Reported when first parsed; say it again for this caller. */
		if (err->len == errlen)
			strbuf_addf(err, "invalid ELF file '%s': seen before", path);
		return -1;
	case SEEN_ELF:
		break;
	}
	if (add_self)
		note_found(ld, path);
	if (trusted)
		f->trusted = true;
	if (f->expanded)
		return 0;
	f->expanded = true;
	worklist_push(&w, f);
	while (w.nr && ret == 0) {
		struct seen_file *cur = w.v[--w.nr];

		ret = expand(ld, cur, &w, err);
		elf_info_release(&cur->info);
	}
	free(w.v);
	return ret;
}

int libdeps_add_file(struct libdeps *ld, const char *path, bool add_self,
		     struct strbuf *err)
{
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int ret;

	if (fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	ret = add_fd(ld, fd, path, add_self, true, err);
	sort_found(ld);
	return ret < 0 ? -1 : 0;
}

/* ---- tree scan ---- */

/* A library by its name, whatever its size; a program by its execute bit
 * and its size: a bin/ holds a thousand console scripts of a few hundred
 * bytes, each otherwise opened for its first four. */
static bool scan_wanted(const char *name, const struct stat *st)
{
	if (str_has_suffix(name, ".so") || strstr(name, ".so."))
		return st->st_size >= SELFMAG;
	return (st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) &&
	       st->st_size >= LIBDEPS_SCAN_MIN_PROGRAM;
}

struct scan {
	struct libdeps *ld;
	bool trusted;
	size_t visited;
	size_t skipped;
};

/* Scan the directory open at dfd (consumed), named path, depth levels
 * below the top. */
static int scan_dir(struct scan *sc, int dfd, const char *path, int depth,
		    struct strbuf *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		strbuf_addf(err, "cannot read directory '%s': %s", path, strerror(errno));
		close(dfd);
		return -1;
	}
	for (;;) {
		cleanup_free char *child = NULL;
		struct stat st;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				strbuf_addf(err, "cannot read directory '%s': %s",
					    path, strerror(errno));
				ret = -1;
			}
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++sc->visited > LIBDEPS_SCAN_MAX_ENTRIES) {
			strbuf_addf(err, "cannot scan '%s': more than %d entries",
				    path, LIBDEPS_SCAN_MAX_ENTRIES);
			ret = -1;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			sc->skipped++;
			continue;
		}
		child = xasprintf("%s/%s", path, de->d_name);
		if (S_ISDIR(st.st_mode)) {
			int cfd;

			if (depth + 1 > LIBDEPS_SCAN_MAX_DEPTH) {
				strbuf_addf(err, "cannot scan '%s': nested more than %d deep",
					    child, LIBDEPS_SCAN_MAX_DEPTH);
				ret = -1;
				break;
			}
			cfd = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				sc->skipped++;
				continue;
			}
			ret = scan_dir(sc, cfd, child, depth + 1, err);
			if (ret < 0)
				break;
		} else if (S_ISREG(st.st_mode) && scan_wanted(de->d_name, &st)) {
			struct strbuf ferr = STRBUF_INIT;
			cleanup_fd int fd = openat(dirfd(d), de->d_name,
						   O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
						   O_NOCTTY | O_NONBLOCK);
			int r;

			if (fd < 0) {
				sc->skipped++;
				continue;
			}
			/* Most of a bin/ is scripts: leave them at one read. */
			if (!elf_magic_fd(fd))
				continue;
			r = add_fd(sc->ld, fd, child, false, sc->trusted, &ferr);
			if (r == LD_FATAL) {
				strbuf_addstr(err, ferr.buf);
				strbuf_release(&ferr);
				ret = -1;
				break;
			}
			if (r < 0)
				sc->skipped++;
			strbuf_release(&ferr);
		}
	}
	closedir(d);
	return ret;
}

int libdeps_scan_tree(struct libdeps *ld, const char *dir, bool trusted, size_t *skipped,
		      struct strbuf *err)
{
	struct scan sc = { ld, trusted, 0, 0 };
	int dfd = fs_open_dir_at(AT_FDCWD, dir, err);
	int ret;

	if (dfd < 0)
		return -1;
	ret = scan_dir(&sc, dfd, dir, 0, err);
	sort_found(ld);
	if (skipped)
		*skipped = sc.skipped;
	return ret;
}
