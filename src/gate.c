/* gate.c - write, recognise and reconcile gates. */
#include "gate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "state.h"

void gate_render(const char *exe, struct strbuf *out)
{
	strbuf_addf(out, "#!%s --gate\n", exe);
	strbuf_addstr(out, GATE_MARKER);
	strbuf_addstr(out, "exec ");
	strbuf_add_shell_quoted(out, exe);
	strbuf_addstr(out, " --gate \"$0\" \"$@\"\n");
}

bool gate_is_gate_at(int dirfd, const char *name)
{
	cleanup_strbuf struct strbuf buf = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	const char *nl;

	if (fs_read_file_at(dirfd, name, GATE_MAX_BYTES, &buf, &err) < 0)
		return false;
	if (!str_has_prefix(buf.buf, "#!"))
		return false;
	nl = strchr(buf.buf, '\n');
	return nl && str_has_prefix(nl + 1, GATE_MARKER);
}

bool entry_is_activate(const char *name)
{
	return !strcmp(name, "activate") || str_has_prefix(name, "activate.") ||
	       str_has_prefix(name, "activate_") || !strcmp(name, "Activate.ps1");
}

bool entry_name_reserved(const char *name)
{
	return name[0] == '\0' || name[0] == '.' || strchr(name, '/') ||
	       str_has_control(name) || entry_is_activate(name) ||
	       str_has_prefix(name, "activate") || str_has_prefix(name, "Activate") ||
	       str_has_prefix(name, "deactivate") || !strcmp(name, GATE_SHELL);
}

static int write_gate(int bin_fd, const char *name, const char *exe, struct strbuf *err)
{
	cleanup_strbuf struct strbuf content = STRBUF_INIT;

	gate_render(exe, &content);
	return fs_write_atomic_at(bin_fd, name, content.buf, content.len, 0755, err);
}

/* Hard-link bin/name to privbin/name, replacing what the private bin had. */
static int link_into_private(struct venv *v, const char *name, struct strbuf *err)
{
	cleanup_free char *tmp = xasprintf(".%s.new.%ld", name, (long)getpid());

	unlinkat(v->privbin_fd, tmp, 0);
	if (linkat(v->bin_fd, name, v->privbin_fd, tmp, 0) < 0 ||
	    renameat(v->privbin_fd, tmp, v->privbin_fd, name) < 0) {
		int e = errno;

		unlinkat(v->privbin_fd, tmp, 0);
		strbuf_addf(err, "cannot move 'bin/%s' into '%s/%s': %s", name,
			    STATE_DIR, STATE_BIN, strerror(e));
		return -1;
	}
	return 0;
}

/* Copy bin/name's content to privbin/name (an activate script stays on the
 * host side; a hard link would let a sandbox write the host's copy). */
static int copy_into_private(struct venv *v, const char *name, struct strbuf *err)
{
	cleanup_strbuf struct strbuf data = STRBUF_INIT;

	if (fs_read_file_at(v->bin_fd, name, 1u << 20, &data, err) < 0)
		return -1;
	return fs_write_atomic_at(v->privbin_fd, name, data.buf, data.len, 0644, err);
}

enum entry_kind {
	ENTRY_SKIP,       /* directories, sockets, our temporaries */
	ENTRY_GATE,
	ENTRY_DATA,       /* activate scripts and other plain files */
	ENTRY_PROGRAM,    /* executable file or symlink */
};

static enum entry_kind classify(int dirfd, const char *name, struct stat *st)
{
	if (name[0] == '.' || fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return ENTRY_SKIP;
	if (S_ISLNK(st->st_mode))
		return ENTRY_PROGRAM;
	if (!S_ISREG(st->st_mode))
		return ENTRY_SKIP;
	if (entry_is_activate(name) || !(st->st_mode & 0111))
		return ENTRY_DATA;
	if (gate_is_gate_at(dirfd, name))
		return ENTRY_GATE;
	return ENTRY_PROGRAM;
}

/* Sorted names of a directory (no "." and ".."). */
static int list_dir(int dirfd, struct strvec *names, struct strbuf *err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		strbuf_addf(err, "cannot list directory: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (names->nr >= 100000) {
			closedir(d);
			strbuf_addf(err, "more than 100000 entries in a bin directory");
			return -1;
		}
		strvec_push(names, de->d_name);
	}
	closedir(d);
	qsort(names->v, names->nr, sizeof(*names->v), strcmp_ptr);
	return 0;
}

/* A symlink in bin/ whose target does not exist: the base interpreter was
 * removed, or the venv was moved. */
static int check_link(int dirfd, const char *name, struct strbuf *err)
{
	cleanup_free char *target = NULL;
	struct stat st;

	if (fstatat(dirfd, name, &st, 0) == 0)
		return 0;
	target = fs_readlink_at(dirfd, name);
	strbuf_addf(err, "'bin/%s' is a broken symlink to '%s'\n"
		    "hint: its target is gone (was the base Python removed?); "
		    "recreate the venv or remove the link", name, target ? target : "?");
	return -1;
}

int gate_check_bin(struct venv *v, struct strbuf *err)
{
	cleanup_strvec struct strvec names = STRVEC_INIT;
	size_t i;

	if (list_dir(v->bin_fd, &names, err) < 0)
		return -1;
	for (i = 0; i < names.nr; i++) {
		struct stat st;

		if (classify(v->bin_fd, names.v[i], &st) == ENTRY_PROGRAM &&
		    S_ISLNK(st.st_mode) && check_link(v->bin_fd, names.v[i], err) < 0)
			return -1;
	}
	return 0;
}

int gate_wrap_bin(struct venv *v, const char *exe, struct strvec *done,
		  struct strbuf *err)
{
	cleanup_strvec struct strvec names = STRVEC_INIT;
	size_t i;

	if (gate_check_bin(v, err) < 0 || list_dir(v->bin_fd, &names, err) < 0)
		return -1;
	for (i = 0; i < names.nr; i++) {
		const char *name = names.v[i];
		struct stat st;

		switch (classify(v->bin_fd, name, &st)) {
		case ENTRY_SKIP:
			break;
		case ENTRY_DATA:
			if (copy_into_private(v, name, err) < 0)
				return -1;
			break;
		case ENTRY_GATE:
			if (strcmp(name, GATE_SHELL) && write_gate(v->bin_fd, name, exe, err) < 0)
				return -1;
			break;
		case ENTRY_PROGRAM:
			if (!strcmp(name, GATE_SHELL))
				break;
			if (link_into_private(v, name, err) < 0 ||
			    write_gate(v->bin_fd, name, exe, err) < 0)
				return -1;
			strvec_push(done, name);
			break;
		}
	}
	return write_gate(v->bin_fd, GATE_SHELL, exe, err);
}

int gate_reconcile(struct venv *v, const char *exe, struct strvec *notes,
		   struct strbuf *err)
{
	cleanup_strvec struct strvec priv = STRVEC_INIT;
	cleanup_strvec struct strvec host = STRVEC_INIT;
	size_t i;

	if (list_dir(v->privbin_fd, &priv, err) < 0 || list_dir(v->bin_fd, &host, err) < 0)
		return -1;
	for (i = 0; i < priv.nr; i++) {
		const char *name = priv.v[i];
		struct stat st;

		if (classify(v->privbin_fd, name, &st) != ENTRY_PROGRAM)
			continue;
		if (fstatat(v->bin_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;   /* a gate already, or a host file we never replace */
		if (entry_name_reserved(name)) {
			if (strcmp(name, GATE_SHELL) && !entry_is_activate(name))
				strvec_pushf(notes, "not gating 'bin/%s': the name is reserved", name);
			continue;
		}
		if (write_gate(v->bin_fd, name, exe, err) < 0)
			return -1;
	}
	for (i = 0; i < host.nr; i++) {
		const char *name = host.v[i];
		struct stat st;

		if (!strcmp(name, GATE_SHELL) || classify(v->bin_fd, name, &st) != ENTRY_GATE)
			continue;
		if (fstatat(v->privbin_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (unlinkat(v->bin_fd, name, 0) < 0 && errno != ENOENT) {
			strbuf_addf(err, "cannot remove gate 'bin/%s': %s", name, strerror(errno));
			return -1;
		}
	}
	return 0;
}
