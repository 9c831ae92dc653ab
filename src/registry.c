/* registry.c - the venvs this user has wrapped. */
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "state.h"
#include "users.h"
#include "util.h"

#define REGISTRY_FILE "venvs"
#define REGISTRY_LOCK "venvs.lock"
/* Shared by each launch from its first look at the list until its
 * sandbox's first process exists; taken alone by a first wrap while it
 * lists its venv and looks at the sandboxes running (registry.h). */
#define LAUNCH_LOCK "launches.lock"
#define REGISTRY_MAX_BYTES (4u << 20)

/* uid's home from the password database, else (the caller's) $HOME. */
static const char *user_home(uid_t uid)
{
	const struct passwd *pw = user_entry(uid);
	const char *h = uid == getuid() ? getenv("HOME") : NULL;

	if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
		return pw->pw_dir;
	return h && h[0] == '/' ? h : NULL;
}

int registry_dir(uid_t uid, bool create, struct strbuf *err)
{
	static const char *const parts[] = { ".local", "state", "sandbox-venv" };
	const char *home = user_home(uid);
	int fd, next;
	size_t i;

	if (!home) {
		strbuf_addf(err, "cannot find the home directory of user %u to keep the state of "
			    "sandbox-venv in\nhint: set HOME to a directory you own", (unsigned)uid);
		return -1;
	}
	fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; fd >= 0 && i < ARRAY_SIZE(parts); i++) {
		if (create && mkdirat(fd, parts[i], i == 2 ? 0700 : 0755) < 0 && errno != EEXIST)
			break;
		next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd < 0 || i < ARRAY_SIZE(parts)) {
		if (create)
			strbuf_addf(err, "cannot create '%s/.local/state/sandbox-venv', where the "
				    "wrapped venvs are listed and their seals kept: %s\nhint: your "
				    "home must be writable", home, strerror(errno));
		else
			strbuf_addf(err, "cannot open '%s/.local/state/sandbox-venv': %s", home,
				    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The list as read: venvs[i] and, in writes[i], the places its
 * sandboxes write ("\n"-separated; empty for an entry of an older list). */
struct list {
	struct strvec venvs;
	struct strvec writes;
};

static void list_release(struct list *l)
{
	strvec_clear(&l->venvs);
	strvec_clear(&l->writes);
}

static int add_record(const char *key, const char *value, void *data, struct strbuf *err)
{
	struct list *l = data;

	if (!strcmp(key, "sandbox-venv") && !strcmp(value, STATE_FORMAT_STR))
		return 0;
	if (!strcmp(key, "venv") && value[0] == '/') {
		strvec_push(&l->venvs, value);
		strvec_push(&l->writes, "");
		return 0;
	}
	if (!strcmp(key, "writes") && !l->venvs.nr)
		return 0;	/* of no venv (a line edited away): nothing to add */
	if (!strcmp(key, "writes") && value[0] == '/' && !strchr(value, '\n')) {
		const char **last = &l->writes.v[l->writes.nr - 1];
		char *joined = **last ? xasprintf("%s\n%s", *last, value) : xstrdup(value);

		free((char *)*last);
		*last = joined;
		return 0;
	}
	strbuf_addf(err, "malformed record '%s'", key);
	return -1;
}

static int read_list(int dir, struct list *out, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;

	if (fs_read_file_at(dir, REGISTRY_FILE, REGISTRY_MAX_BYTES, &text, err) < 0)
		return errno == ENOENT ? 0 : -1;
	return state_parse_records(text.buf, text.len, REGISTRY_FILE, add_record, out, err);
}

/* The list of user uid, or an empty one, read once per process: a launch
 * asks it three times (registry_holding, registry_places, registry_below).
 * A change this process makes (update) has it read again. */
static struct {
	bool read;
	uid_t uid;
	struct list list;
} known = { .list = { STRVEC_INIT, STRVEC_INIT } };

/* A launch's shared hold of LAUNCH_LOCK: wanted (registry_launch_begin),
 * then its descriptor from the first read of the caller's list. */
static struct {
	bool wanted;
	int fd;
} launch_hold = { false, -1 };

static void forget_list(void)
{
	list_release(&known.list);
	known.read = false;
}

static const struct list *read_of(uid_t uid)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int fd = -1;

	if (known.read && known.uid == uid)
		return &known.list;
	forget_list();
	fd = registry_dir(uid, false, &ignored);
	if (fd >= 0 && uid == getuid() && launch_hold.wanted && launch_hold.fd < 0) {
		/* Failing that, the launch goes on: the list only adds
		 * restrictions, and a first wrap that looks finds its
		 * sandbox once built. */
		launch_hold.fd = openat(fd, LAUNCH_LOCK, O_RDONLY | O_CREAT | O_NOFOLLOW |
					O_CLOEXEC, 0600);
		while (launch_hold.fd >= 0 && flock(launch_hold.fd, LOCK_SH) < 0 && errno == EINTR)
			;
	}
	if (fd < 0 || read_list(fd, &known.list, &ignored) < 0)
		list_release(&known.list);
	known.read = true;
	known.uid = uid;
	return &known.list;
}

/* Is line one of the lines of text? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *s;

	for (s = text; (s = strstr(s, line)); s += n)
		if ((s == text || s[-1] == '\n') && (s[n] == '\n' || s[n] == '\0'))
			return true;
	return false;
}

static void add_entry(struct strbuf *text, const char *venv, const char *writes)
{
	const char *s = writes;

	state_add_record(text, "venv", venv);
	while (*s) {
		const char *e = strchrnul(s, '\n');
		cleanup_free char *one = xstrndup(s, (size_t)(e - s));

		state_add_record(text, "writes", one);
		s = *e ? e + 1 : e;
	}
}

/* Rewrite the list with venv added (add: with the places in writes) or
 * removed, dropping entries that are no longer wrapped venvs. */
static int update(const char *venv, const struct strvec *writes, bool add, struct strbuf *err)
{
	struct list list = { STRVEC_INIT, STRVEC_INIT };
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf mine = STRBUF_INIT;
	cleanup_fd int dir = registry_dir(getuid(), true, err);
	cleanup_fd int lock = -1;
	const char *kept = "";
	size_t i;
	int ret;

	if (dir < 0)
		return -1;
	lock = openat(dir, REGISTRY_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot lock the list of wrapped venvs: %s", strerror(errno));
		return -1;
	}
	if (read_list(dir, &list, err) < 0) {
		/* A damaged list is rebuilt from what we know. */
		list_release(&list);
		strbuf_reset(err);
	}
	state_add_record(&text, "sandbox-venv", STATE_FORMAT_STR);
	for (i = 0; i < list.venvs.nr; i++) {
		cleanup_free char *state = xasprintf("%s/%s", list.venvs.v[i], STATE_DIR);
		struct stat st;

		/* Gone: dropped. Out of reach (a sandbox took the mode off a
		 * directory on the way): kept, or it would leave the list. */
		if (!strcmp(list.venvs.v[i], venv))
			kept = list.writes.v[i];
		if (!strcmp(list.venvs.v[i], venv) ||
		    (lstat(state, &st) < 0 ? errno == ENOENT || errno == ENOTDIR :
		     !S_ISDIR(st.st_mode)))
			continue;
		add_entry(&text, list.venvs.v[i], list.writes.v[i]);
	}
	/* The places recorded before stay: what a sandbox wrote there (a
	 * link) stays too. */
	strbuf_addstr(&mine, add ? kept : "");
	for (i = 0; add && writes && i < writes->nr; i++)
		if (writes->v[i][0] == '/' && !strchr(writes->v[i], '\n') &&
		    !has_line(mine.buf, writes->v[i]))
			strbuf_addf(&mine, "%s%s", mine.len ? "\n" : "", writes->v[i]);
	if (add)
		add_entry(&text, venv, mine.buf);
	ret = fs_write_atomic_at(dir, REGISTRY_FILE, text.buf, text.len, 0600, err);
	list_release(&list);
	forget_list();
	return ret;
}

int registry_add(const char *venv, const struct strvec *writes, struct strbuf *err)
{
	return update(venv, writes, true, err);
}

int registry_remove(const char *venv, struct strbuf *err)
{
	return update(venv, NULL, false, err);
}

void registry_below(const char *dir, const char *self, struct strvec *out)
{
	const struct list *list = read_of(getuid());
	size_t i;

	for (i = 0; i < list->venvs.nr; i++) {
		const char *v = list->venvs.v[i];

		if (strcmp(v, dir) && strcmp(v, self) && path_is_under(v, dir) &&
		    strvec_find(out, v) < 0)
			strvec_push(out, v);
	}
	qsort(out->v, out->nr, sizeof(*out->v), strcmp_ptr);
}

char *registry_holding(const char *dir)
{
	const struct list *list = read_of(getuid());
	size_t i;

	for (i = 0; i < list->venvs.nr; i++)
		if (path_is_under(dir, list->venvs.v[i]))
			return xstrdup(list->venvs.v[i]);
	return NULL;
}

void registry_places(uid_t uid, struct strvec *out)
{
	const struct list *list = read_of(uid);
	size_t i;

	for (i = 0; i < list->venvs.nr; i++) {
		const char *v = list->venvs.v[i], *slash = strrchr(v, '/'), *s = list->writes.v[i];

		/* An entry of an older list says nothing: its directory, then,
		 * where a venv's project is as a rule. */
		strvec_push(out, v);
		if (!*s)
			strvec_push_nodup(out, xstrndup(v, slash && slash != v ? (size_t)(slash - v) : 1));
		while (*s) {
			const char *e = strchrnul(s, '\n');

			strvec_push_nodup(out, xstrndup(s, (size_t)(e - s)));
			s = *e ? e + 1 : e;
		}
	}
}

void registry_launch_begin(void)
{
	launch_hold.wanted = true;
}

void registry_launch_built(void)
{
	launch_hold.wanted = false;
	if (launch_hold.fd >= 0)
		close(launch_hold.fd);
	launch_hold.fd = -1;
}

int registry_launches_held(struct strbuf *err)
{
	cleanup_fd int dir = registry_dir(getuid(), true, err);
	int fd = dir < 0 ? -1 : openat(dir, LAUNCH_LOCK, O_RDONLY | O_CREAT | O_NOFOLLOW |
				       O_CLOEXEC, 0600);

	if (dir < 0)
		return -1;
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot hold back the launches of this user: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

bool registry_lists(const char *venv)
{
	const struct list *list = read_of(getuid());

	return strvec_find(&list->venvs, venv) >= 0;
}
