/* reach.c - the places on the host that sandboxes can write. */
#include "reach.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bwrapopts.h"
#include "fsutil.h"
#include "registry.h"
#include "strbuf.h"
#include "users.h"
#include "util.h"

void reach_writable_sources(const struct strvec *args, struct strvec *out)
{
	size_t i;

	for (i = 0; i < args->nr; i += bwrapopt_group_len(args, i)) {
		const struct bwrapopt *o = bwrapopt_find(args->v[i]);
		cleanup_free char *cwd = NULL, *joined = NULL;
		const char *src;
		char *real;

		if (!o || (o->mounts != 'w' && o->mounts != 'd') || o->nargs < 1 ||
		    o->arg[0] != BWRAPOPT_SRC || i + 1 >= args->nr)
			continue;
		src = args->v[i + 1];
		/* A relative source is bound from the working directory, as
		 * the launch pins it (launch.c), and as bwrap would. */
		if (src[0] != '/') {
			if (!(cwd = getcwd(NULL, 0)))
				continue;
			joined = xasprintf("%s/%s", cwd, src);
			src = joined;
		}
		real = realpath(src, NULL);
		strvec_push_nodup(out, real ? real : path_normalize(src));
	}
}

/* path, and where it leads when it exists. */
static void push_place(struct strvec *out, const char *path)
{
	char *real = realpath(path, NULL);

	strvec_push(out, path);
	if (real && strcmp(real, path))
		strvec_push_nodup(out, real);
	else
		free(real);
}

/* The pip cache in uid's home, and the places on uid's list. */
static void places_of(uid_t uid, struct strvec *out)
{
	cleanup_strvec struct strvec listed = STRVEC_INIT;
	const struct passwd *pw = user_entry(uid);
	size_t k;

	if (pw && pw->pw_dir && pw->pw_dir[0] == '/') {
		cleanup_free char *pip = xasprintf("%s/.cache/pip", pw->pw_dir);

		push_place(out, pip);
	}
	/* Canonical as listed (venv paths, projects, bind sources): no
	 * realpath each, on every launch. */
	registry_places(uid, &listed);
	for (k = 0; k < listed.nr; k++)
		strvec_push(out, listed.v[k]);
}

void reach_places_of(uid_t uid, struct strvec *out)
{
	places_of(uid, out);
}

void reach_collect(const char *venv, const char *project, const struct strvec *const *args,
		   size_t nargs, struct strvec *out)
{
	const char *home = getenv("HOME");
	uid_t uids[3] = { getuid(), getuid(), getuid() };
	struct stat st;
	size_t k;

	strvec_push(out, project);
	strvec_push(out, venv);
	for (k = 0; k < nargs; k++)
		reach_writable_sources(args[k], out);
	if (home && home[0] == '/') {
		cleanup_free char *pip = xasprintf("%s/.cache/pip", home);

		push_place(out, pip);
	}
	/* The caller's list, and those of the venv's and the project's
	 * owners (root wrapping a user's venv: that user's sandboxes). */
	if (stat(venv, &st) == 0)
		uids[1] = st.st_uid;
	if (stat(project, &st) == 0)
		uids[2] = st.st_uid;
	for (k = 0; k < ARRAY_SIZE(uids); k++)
		if ((k == 0 || uids[k] != uids[0]) && (k < 2 || uids[k] != uids[1]))
			places_of(uids[k], out);
}

const char *reach_find(const struct strvec *reach, const char *path)
{
	size_t i;

	for (i = 0; i < reach->nr; i++)
		if (path_is_under(path, reach->v[i]))
			return reach->v[i];
	return NULL;
}

/* How a walk judges each directory on the way: by path against reach,
 * by inode against the places themselves (another name for one: a bind
 * mount of it), and, with an owner, by who can write it. */
struct walk {
	const struct strvec *reach;
	const int *places;      /* O_PATH descriptors of reach's places */
	size_t nr_places;
	uid_t owner;            /* (uid_t)-1: anyone */
};

static bool below_place(const struct walk *w, const char *dir)
{
	cleanup_fd int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	size_t i;

	if (fd < 0)
		return true;	/* cannot tell: as if it were */
	for (i = 0; i < w->nr_places; i++)
		if (fs_at_or_below(w->places[i], fd))
			return true;
	return false;
}

/* Only root or the owner can change what is in it (fs_dir_trusted). */
static bool owners_only(const struct walk *w, const char *dir)
{
	struct stat st;

	return w->owner == (uid_t)-1 || (stat(dir, &st) == 0 && fs_dir_trusted(&st, w->owner));
}

static bool outside(const struct walk *w, const char *path, int depth)
{
	cleanup_strbuf struct strbuf cur = STRBUF_INIT;
	const char *s = path;

	if (path[0] != '/' || depth > 40)
		return false;
	while (*s) {
		cleanup_free char *dir = NULL;
		const char *e;
		struct stat st;

		s += strspn(s, "/");
		if (!*s)
			break;
		e = strchrnul(s, '/');
		dir = realpath(cur.len ? cur.buf : "/", NULL);
		if (!dir || reach_find(w->reach, dir) || (w->nr_places && below_place(w, dir)) ||
		    !owners_only(w, dir))
			return false;
		strbuf_addch(&cur, '/');
		strbuf_add(&cur, s, (size_t)(e - s));
		s = e;
		if (lstat(cur.buf, &st) < 0)
			return false;
		if (S_ISLNK(st.st_mode)) {
			cleanup_free char *target = fs_readlink_at(AT_FDCWD, cur.buf);
			cleanup_free char *next = NULL;

			if (!target)
				return false;
			next = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
			if (!outside(w, next, depth + 1))
				return false;
		}
	}
	return true;
}

bool reach_path_outside(const struct strvec *reach, const char *path)
{
	struct walk w = { reach, NULL, 0, (uid_t)-1 };

	return outside(&w, path, 0);
}

bool reach_path_trusted(const struct strvec *reach, const char *path, uid_t owner)
{
	cleanup_free int *places = xcalloc(reach->nr + 1, sizeof(*places));
	struct walk w = { reach, places, 0, owner };
	size_t i;
	bool ok;

	for (i = 0; i < reach->nr; i++)
		if ((places[w.nr_places] = open(reach->v[i], O_PATH | O_DIRECTORY |
						O_CLOEXEC)) >= 0)
			w.nr_places++;
	ok = outside(&w, path, 0);
	for (i = 0; i < w.nr_places; i++)
		close(places[i]);
	return ok;
}
