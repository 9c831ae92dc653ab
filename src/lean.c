/* lean.c - the launcher the gates name, and its way to sandbox-venv (lean.h). */
#include "lean.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "reach.h"
#include "run.h"
#include "users.h"
#include "util.h"

#ifdef SV_LEAN
const bool lean_build = true;
#else
const bool lean_build = false;
#endif

static char **kept_argv;
static void (*reach_of)(struct strvec *out, void *data);
static void *reach_data;

void lean_keep_args(char **argv)
{
	kept_argv = argv;
}

/* Where the lean build finds sandbox-venv, from its own directory, and
 * sandbox-venv the lean build, from its. */
static const char *const full_places[] = { "sandbox-venv", "../../bin/sandbox-venv" };
static const char *const lean_places[] = {
	"sandbox-venv-launch", "../libexec/sandbox-venv/sandbox-venv-launch",
};

void lean_set_reach(void (*fn)(struct strvec *out, void *data), void *data)
{
	reach_of = fn;
	reach_data = data;
}

void lean_hand_over(const char *why)
{
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_strvec struct strvec reach = STRVEC_INIT;
	cleanup_free char *path = NULL;
	struct stat me, st;
	int fd;

	if (!lean_build || !kept_argv)
		die("internal error: a hand-over in the full build (%s)", why);
	/* Before a launch knows its venv: the places on the caller's list. */
	if (reach_of)
		reach_of(&reach, reach_data);
	else
		reach_places_of(getuid(), &reach);
	fd = run_open_beside(full_places, ARRAY_SIZE(full_places), &reach, &path, &err);
	/* Never this binary again: a loop. */
	if (fd >= 0 && (stat("/proc/self/exe", &me) < 0 || fstat(fd, &st) < 0 ||
			(st.st_dev == me.st_dev && st.st_ino == me.st_ino))) {
		strbuf_addf(&err, "'%s' is this very binary", path);
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		die_hint("install sandbox-venv-launch with sandbox-venv (make install), or wrap the "
			 "venv again with sandbox-venv alone",
			 "this launch needs sandbox-venv (%s), which is not beside this launcher nor "
			 "in ../../bin%s%s", why, err.len ? ": " : "", err.buf);
	if (env_flag("VERBOSE"))
		fprintf(stderr, PROG ": the launch goes on in %s: %s\n", path, why);
	/* By its path, checked on the way there (run_open_beside): only root
	 * or its owner can change what it leads to. A descriptor would do
	 * for a program, not for a script (its interpreter gets the
	 * descriptor's /dev/fd name, closed at the exec). */
	close(fd);
	execve(path, kept_argv, environ);
	die("cannot run '%s': %s", path, strerror(errno));
}

/* glibc's blanks in nsswitch.conf: isspace(), the line's end aside. */
static size_t blanks(const char *p)
{
	return strspn(p, " \t\r\v\f");
}

static size_t word(const char *p, const char *stop)
{
	return strcspn(p, stop);
}

/* Whether one line's sources (after its "db:") are the files and,
 * after them, nothing but systemd. */
static bool files_line(const char *p)
{
	bool first = true;

	for (;;) {
		size_t len;

		p += blanks(p);
		len = word(p, " \t\r\v\f#");
		if (!len)
			break;
		if (first ? !(len == 5 && !strncmp(p, "files", 5)) :
		    !(len == 7 && !strncmp(p, "systemd", 7)))
			return false;
		first = false;
		p += len;
	}
	return !first;
}

/* Every line for db counts, as glibc reads the file (a line ends at its
 * newline, or at a NUL byte in it; blanks around the colon; a later line
 * replaces an earlier one): all of them must name the files alone. */
bool lean_files_answer(const char *conf, size_t size, const char *db)
{
	size_t n = strlen(db);
	const char *end = conf + size;

	while (conf < end) {
		const char *nl = memchr(conf, '\n', (size_t)(end - conf));
		cleanup_free char *line = xstrndup(conf, (size_t)((nl ? nl : end) - conf));
		const char *p = line + blanks(line);

		conf = nl ? nl + 1 : end;
		if (word(p, " \t\r\v\f:#") != n || strncmp(p, db, n))
			continue;
		p += n;
		p += blanks(p);
		if (*p != ':' || !files_line(p + 1))
			return false;
	}
	return true;
}

void lean_check_users(void)
{
	cleanup_strbuf struct strbuf conf = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	if (!lean_build)
		return;
	if (fs_read_file_at(AT_FDCWD, "/etc/nsswitch.conf", 1 << 20, &conf, &err) < 0 &&
	    errno != ENOENT)
		lean_hand_over("/etc/nsswitch.conf cannot be read");
	if (!lean_files_answer(conf.buf, conf.len, "passwd") ||
	    !lean_files_answer(conf.buf, conf.len, "group"))
		lean_hand_over("nsswitch.conf names a user database besides the files");
	if (!user_entry(getuid()) || !getgrgid(getgid()))
		lean_hand_over("the caller is not in /etc/passwd or /etc/group");
}

char *lean_gate_launcher(const char *exe)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_free char *path = NULL, *full = NULL;
	cleanup_fd int lean = -1, back = -1;
	struct stat me, st;

	if (lean_build)
		return xstrdup(exe);
	lean = run_open_beside(lean_places, ARRAY_SIZE(lean_places), NULL, &path, &why);
	if (lean < 0)
		return xstrdup(exe);
	/* Only a lean build that hands over to this very binary: the one
	 * whose place the wrap checks (wrap.c). */
	back = run_open_beside_of(lean, path, full_places, ARRAY_SIZE(full_places), NULL, &full,
				  &why);
	if (back < 0 || fstat(back, &st) < 0 || stat("/proc/self/exe", &me) < 0 ||
	    st.st_dev != me.st_dev || st.st_ino != me.st_ino)
		return xstrdup(exe);
	return steal_pointer(&path);
}

int lean_check_program(const char *path, const struct strvec *reach, struct strbuf *err)
{
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    run_check_program(&st, path, reach, err) == 0)
		return 0;
	strbuf_addstr(err, ": one could rewrite it there while it does not run");
	if (st.st_nlink != 1)
		strbuf_addf(err, "\nhint: install a copy of it (make install); perf keeps links to "
			    "what it profiled in ~/.debug (perf buildid-cache --purge '%s')", path);
	return -1;
}

int lean_check_launchers(const struct strvec *reach, struct strbuf *err)
{
	cleanup_free char *self = realpath("/proc/self/exe", NULL);
	const char *const *other = lean_build ? full_places : lean_places;
	size_t nr = lean_build ? ARRAY_SIZE(full_places) : ARRAY_SIZE(lean_places), i;
	char *slash;

	if (!self || !(slash = strrchr(self, '/'))) {
		strbuf_addf(err, "cannot find my own path: %s", strerror(errno));
		return -1;
	}
	if (lean_check_program(self, reach, err) < 0)
		return -1;
	*slash = '\0';
	for (i = 0; i < nr; i++) {
		cleanup_free char *joined = xasprintf("%s/%s", self, other[i]);
		cleanup_free char *path = realpath(joined, NULL);

		if (path && lean_check_program(path, reach, err) < 0)
			return -1;
	}
	return 0;
}
