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
#include "util.h"

#define REGISTRY_FILE "venvs"
#define REGISTRY_LOCK "venvs.lock"
#define REGISTRY_MAX_BYTES (4u << 20)

/* uid's home from the password database, else (the caller's) $HOME. */
static const char *user_home(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
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

static int add_record(const char *key, const char *value, void *data, struct strbuf *err)
{
	if (!strcmp(key, "sandbox-venv") && !strcmp(value, STATE_FORMAT_STR))
		return 0;
	if (strcmp(key, "venv") || value[0] != '/') {
		strbuf_addf(err, "malformed record '%s'", key);
		return -1;
	}
	strvec_push(data, value);
	return 0;
}

static int read_list(int dir, struct strvec *out, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;

	if (fs_read_file_at(dir, REGISTRY_FILE, REGISTRY_MAX_BYTES, &text, err) < 0)
		return errno == ENOENT ? 0 : -1;
	return state_parse_records(text.buf, text.len, REGISTRY_FILE, add_record, out, err);
}

/* Rewrite the list with venv added (add) or removed, dropping entries
 * that are no longer wrapped venvs. */
static int update(const char *venv, bool add, struct strbuf *err)
{
	cleanup_strvec struct strvec list = STRVEC_INIT;
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_fd int dir = registry_dir(getuid(), true, err);
	cleanup_fd int lock = -1;
	size_t i;

	if (dir < 0)
		return -1;
	lock = openat(dir, REGISTRY_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot lock the list of wrapped venvs: %s", strerror(errno));
		return -1;
	}
	if (read_list(dir, &list, err) < 0) {
		/* A damaged list is rebuilt from what we know. */
		strvec_clear(&list);
		strbuf_reset(err);
	}
	state_add_record(&text, "sandbox-venv", STATE_FORMAT_STR);
	for (i = 0; i < list.nr; i++) {
		cleanup_free char *state = xasprintf("%s/%s", list.v[i], STATE_DIR);
		struct stat st;

		if (!strcmp(list.v[i], venv) || lstat(state, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		state_add_record(&text, "venv", list.v[i]);
	}
	if (add)
		state_add_record(&text, "venv", venv);
	return fs_write_atomic_at(dir, REGISTRY_FILE, text.buf, text.len, 0600, err);
}

int registry_add(const char *venv, struct strbuf *err)
{
	return update(venv, true, err);
}

int registry_remove(const char *venv, struct strbuf *err)
{
	return update(venv, false, err);
}

void registry_below(const char *dir, const char *self, struct strvec *out)
{
	cleanup_strvec struct strvec list = STRVEC_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	cleanup_fd int fd = registry_dir(getuid(), false, &ignored);
	size_t i;

	if (fd < 0 || read_list(fd, &list, &ignored) < 0)
		return;
	for (i = 0; i < list.nr; i++)
		if (strcmp(list.v[i], dir) && strcmp(list.v[i], self) &&
		    path_is_under(list.v[i], dir) && strvec_find(out, list.v[i]) < 0)
			strvec_push(out, list.v[i]);
	qsort(out->v, out->nr, sizeof(*out->v), strcmp_ptr);
}
