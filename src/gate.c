/* gate.c - write, recognise, reconcile, audit and remove gates.
 *
 * What MUST hold:
 *  1. A name in $venv/bin is, at every instant, either what it was or its
 *     gate: it is replaced by rename(2), never removed first. The first
 *     wrap swaps the whole directory at once (RENAME_EXCHANGE), so a venv
 *     is either wholly unwrapped or wholly wrapped.
 *  2. Nothing in $venv/bin that is not a gate is ever overwritten, except
 *     the activate scripts, whose originals are kept in the state
 *     directory, where no sandbox can write.
 *  3. A name from the private bin gets a gate only after its check
 *     (entry_name_reserved): a package cannot shadow what the host sources.
 *  4. Files that stay on the host side are copied, never hard-linked, into
 *     the private bin: a sandbox writing its copy cannot reach the host's.
 *     (The first wrap moves the old bin/ whole: the host's bin/ then gets
 *     new files, and the old ones are the private bin's alone.)
 *  5. The originals are never lost: the first wrap's old bin/ becomes the
 *     private bin by rename, and a wrap killed between the exchange and
 *     that rename is finished by whatever opens the venv's state next
 *     (gate_finish_first_wrap), before anything could reconcile the gates
 *     against a private bin that is not there.
 */
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

#define ACTIVATE_MAX (1u << 20)

void gate_render(const char *exe, struct strbuf *out)
{
	strbuf_addf(out, "#!%s --gate\n", exe);
	strbuf_addstr(out, GATE_MARKER);
	strbuf_addstr(out, "exec ");
	strbuf_add_shell_quoted(out, exe);
	strbuf_addstr(out, " --gate \"$0\" \"$@\"\n");
}

/* The launcher a gate names in its #! line, or NULL. */
static char *gate_launcher(const char *content)
{
	const char *end;

	if (!str_has_prefix(content, "#!"))
		return NULL;
	end = strstr(content, " --gate\n");
	if (!end || memchr(content, '\n', (size_t)(end - content)))
		return NULL;
	return xstrndup(content + 2, (size_t)(end - content - 2));
}

/* The smallest gate: "#!/ --gate\n" and the marker line. */
#define GATE_MIN_BYTES (sizeof("#!/ --gate\n") - 1 + sizeof(GATE_MARKER) - 1)

/* The first GATE_MAX_BYTES of dirfd/name, NUL-terminated: -1 when it
 * cannot be read. One open and one read: a launch and a wrap ask this of
 * every entry. */
static ssize_t read_head(int dirfd, const char *name, char buf[GATE_MAX_BYTES + 1])
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, GATE_MAX_BYTES);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static bool gate_sized(const struct stat *st)
{
	return (size_t)st->st_size >= GATE_MIN_BYTES && st->st_size <= GATE_MAX_BYTES;
}

/* Whether the n bytes of buf that start a regular file of st_size bytes
 * are a gate: the gate marker after any #! line (any launcher path). */
static bool is_gate_text(const char *buf, ssize_t n, const struct stat *st)
{
	const char *nl;

	return gate_sized(st) && n >= (ssize_t)GATE_MIN_BYTES && str_has_prefix(buf, "#!") &&
	       (nl = strchr(buf, '\n')) && str_has_prefix(nl + 1, GATE_MARKER);
}

bool entry_is_activate(const char *name)
{
	return !strcmp(name, "activate") || str_has_prefix(name, "activate.") ||
	       str_has_prefix(name, "activate_") || !strcmp(name, "Activate.ps1");
}

/* Programs that ask for a password, a passphrase or a key. In an activated
 * venv, bin/ comes first on PATH: a package's console script of one of
 * these names would run instead of the host's, and a sandboxed fake sudo
 * can still read the password typed at the terminal and send it away. */
static const char *const shadowing[] = {
	"su", "doas", "pkexec", "run0", "ksu", "sg", "newgrp", "login", "passwd",
	"chsh", "chfn", "scp", "sftp", "git", "kinit", "kpasswd", "secret-tool",
	"systemd-ask-password", "pass", "gopass", "op", "bw", "keyring", "sshpass",
	"vault", "aws-vault", "age", "rage",
	/* ... or take a token or password on their input, as CI scripts feed
	 * them (echo $TOKEN | docker login --password-stdin). */
	"docker", "podman", "buildah", "skopeo", "nerdctl", "kubectl", "helm", "mysql",
	"mariadb", "psql", "mongosh", "redis-cli", "rsync", "ftp", "lftp", "telnet",
	"htpasswd", "openssl", "gh", "glab", "npm", "npx", "yarn", "pnpm", "curl", "wget",
	"smbclient", "ldapsearch", "ldapmodify",
	/* ... or are the sandbox itself: a fake would say a policy was
	 * changed, or a venv audited, when nothing was. */
	"sandbox-venv", "sandbox-venv-launch", "sandbox-venv-init", "bwrap",
};

/* Whole families: sudo, sudoedit, sudo-rs; ssh, ssh-add, ssh-askpass;
 * gpg, gpg2, gpg-agent; pinentry-curses; every git-NAME, which the host's
 * git runs for "git NAME" from PATH (git-lfs, with the credentials; the
 * credential and remote helpers). */
static const char *const shadowing_prefixes[] = {
	"sudo", "ssh", "gpg", "pinentry", "git-", "ksshaskpass", "x11-ssh-askpass",
};

bool entry_name_shadows(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shadowing); i++)
		if (!strcmp(name, shadowing[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(shadowing_prefixes); i++)
		if (str_has_prefix(name, shadowing_prefixes[i]))
			return true;
	return false;
}

bool entry_name_reserved(const char *name)
{
	return name[0] == '\0' || name[0] == '.' || strchr(name, '/') ||
	       str_has_control(name) || str_has_prefix(name, "activate") ||
	       str_has_prefix(name, "Activate") || str_has_prefix(name, "deactivate") ||
	       !strcmp(name, GATE_SHELL);
}

/* What we append to the POSIX activate script. */
static void activate_block(const char *exe, const char *venv, struct strbuf *out)
{
	strbuf_addstr(out, ACTIVATE_MARKER);
	strbuf_addstr(out, "deactivate_sandbox () {\n    ");
	strbuf_add_shell_quoted(out, exe);
	strbuf_addstr(out, " --unwrap ");
	strbuf_add_shell_quoted(out, venv);
	strbuf_addstr(out, "\n}\n");
	/* A gate whose launcher is gone gets only the kernel's error ("bad
	 * interpreter", "required file not found"): say here what to run. */
	strbuf_addstr(out, "if [ ! -x ");
	strbuf_add_shell_quoted(out, exe);
	strbuf_addstr(out, " ]; then\n    printf \"sandbox-venv: '%s', which starts this venv's "
		      "entry points, is gone\\nhint: run 'sandbox-venv %s' with the sandbox-venv "
		      "you have now\\n\" ");
	strbuf_add_shell_quoted(out, exe);
	strbuf_addch(out, ' ');
	strbuf_add_shell_quoted(out, venv);
	strbuf_addstr(out, " >&2\nfi\n");
}

/* A string as fish reads it in single quotes. */
static void add_fish_quoted(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, *s);
	}
	strbuf_addch(out, '\'');
}

/* The same for fish: deactivate_sandbox, and a word when the binary is gone. */
static void activate_block_fish(const char *exe, const char *venv, struct strbuf *out)
{
	strbuf_addstr(out, ACTIVATE_MARKER);
	strbuf_addstr(out, "function deactivate_sandbox\n    ");
	add_fish_quoted(out, exe);
	strbuf_addstr(out, " --unwrap ");
	add_fish_quoted(out, venv);
	strbuf_addstr(out, "\nend\nif not test -x ");
	add_fish_quoted(out, exe);
	strbuf_addstr(out, "\n    printf \"sandbox-venv: '%s', which starts this venv's entry points, "
		      "is gone\\nhint: run 'sandbox-venv %s' with the sandbox-venv you have now\\n\" ");
	add_fish_quoted(out, exe);
	strbuf_addch(out, ' ');
	add_fish_quoted(out, venv);
	strbuf_addstr(out, " >&2\nend\n");
}

/* csh has no quoting that holds every byte: paths of plain characters only. */
static bool csh_plain(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		      "/._+-,@:=%") == strlen(s);
}

static void activate_block_csh(const char *exe, const char *venv, struct strbuf *out)
{
	if (!csh_plain(exe) || !csh_plain(venv))
		return;
	strbuf_addstr(out, ACTIVATE_MARKER);
	strbuf_addf(out, "alias deactivate_sandbox '%s --unwrap %s'\n", exe, venv);
	strbuf_addf(out, "if ( ! -x %s ) then\n    echo \"sandbox-venv: %s, which starts the "
		    "entry points of this venv, is gone\" >> /dev/stderr\n    echo \"hint: run "
		    "sandbox-venv %s with the sandbox-venv you have now\" >> /dev/stderr\nendif\n",
		    exe, exe, venv);
}

/* The content the host's bin/name should have, given its original. */
static void activate_expected(const char *name, const char *orig, size_t len,
			      const char *exe, const char *venv, struct strbuf *out)
{
	strbuf_add(out, orig, len);
	if (!strcmp(name, "activate"))
		activate_block(exe, venv, out);
	else if (!strcmp(name, "activate.fish"))
		activate_block_fish(exe, venv, out);
	else if (!strcmp(name, "activate.csh"))
		activate_block_csh(exe, venv, out);
}

/* Strip our block (from its marker line on) off an activate script. */
static void activate_strip(struct strbuf *content)
{
	char *m = strstr(content->buf, ACTIVATE_MARKER);

	if (m)
		strbuf_setlen(content, (size_t)(m - content->buf));
}

/* Write a gate. flags: FS_FRESH when bin_fd is a directory being built.
 * Not fsync'd one by one: settling a change ends with one syncfs(2). */
static int write_gate(int bin_fd, const char *name, const char *exe, unsigned flags,
		      struct strbuf *err)
{
	cleanup_strbuf struct strbuf content = STRBUF_INIT;

	gate_render(exe, &content);
	return fs_replace_at(bin_fd, name, content.buf, content.len, GATE_MODE, flags, err);
}

/* Hard-link fromdir/name to todir/name, replacing what todir had
 * (FS_FRESH in flags: todir is being built and lacks name). */
static int link_into(int fromdir, int todir, const char *name, unsigned flags,
		     struct strbuf *err)
{
	cleanup_free char *tmp = NULL;

	if (flags & FS_FRESH) {
		if (linkat(fromdir, name, todir, name, 0) == 0)
			return 0;
	} else {
		/* Not named after the entry: any name fits. */
		tmp = fs_temp_name("new");
		unlinkat(todir, tmp, 0);
		if (linkat(fromdir, name, todir, tmp, 0) == 0 &&
		    renameat(todir, tmp, todir, name) == 0)
			return 0;
		unlinkat(todir, tmp, 0);
	}
	strbuf_addf(err, "cannot move 'bin/%s' into the private bin: %s", name, strerror(errno));
	return -1;
}

/*
 * An activate script (or another plain file) of bin/: keep its original in
 * the state directory, give the host bin the original plus our block, and
 * the private bin a copy. Host bin is written only when host_fd >= 0, the
 * private bin only when priv_fd >= 0 (a first wrap moves the file there).
 * flags: FS_DURABLE, unless the caller syncs before the files matter.
 */
static int keep_data(struct venv *v, int from_fd, int host_fd, int priv_fd, const char *name,
		     const char *exe, unsigned flags, struct strbuf *err)
{
	cleanup_strbuf struct strbuf orig = STRBUF_INIT;
	cleanup_strbuf struct strbuf host = STRBUF_INIT;
	cleanup_fd int orig_fd = -1;
	struct stat st;

	if (fs_mkdir_at(v->state_fd, STATE_ORIG, 0755, err) < 0)
		return -1;
	orig_fd = fs_open_dir_at(v->state_fd, STATE_ORIG, err);
	if (orig_fd < 0 || fstatat(from_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fs_read_file_at(from_fd, name, ACTIVATE_MAX, &orig, err) < 0)
		return -1;
	activate_strip(&orig);
	activate_expected(name, orig.buf, orig.len, exe, v->path, &host);
	if (fs_replace_at(orig_fd, name, orig.buf, orig.len, st.st_mode & 0777, flags, err) < 0 ||
	    (priv_fd >= 0 &&
	     fs_replace_at(priv_fd, name, orig.buf, orig.len, st.st_mode & 0777, flags, err) < 0))
		return -1;
	if (host_fd >= 0 &&
	    fs_replace_at(host_fd, name, host.buf, host.len, st.st_mode & 0777, flags, err) < 0)
		return -1;
	return 0;
}

enum entry_kind {
	ENTRY_SKIP,       /* directories, sockets, our temporaries */
	ENTRY_GATE,
	ENTRY_DATA,       /* activate scripts and other plain files */
	ENTRY_PROGRAM,    /* executable file or symlink */
};

/* The interpreter that the n bytes starting a file name, NULL when it is
 * not a script: "#!PATH ..." or pip's long-path form, "#!/bin/sh" and then
 * "'''exec' PATH ...". */
static char *script_interpreter(const char *buf, ssize_t n)
{
	const char *p, *line2;

	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return NULL;
	p = buf + 2;
	if (str_has_prefix(p, "/bin/sh\n") && (line2 = strchr(p, '\n')) &&
	    str_has_prefix(line2 + 1, "'''exec' "))
		p = line2 + 1 + strlen("'''exec' ");
	p += strspn(p, " \t\"");
	return xstrndup(p, strcspn(p, " \t\n\""));
}

/* What dirfd/name is. For a gate, its text goes to gate_text when that is
 * not NULL. With interp not NULL, every regular file is read, and what
 * script_interpreter() finds goes there (nothing for none). */
static enum entry_kind classify(int dirfd, const char *name, struct stat *st,
				struct strbuf *gate_text, struct strbuf *interp)
{
	char buf[GATE_MAX_BYTES + 1];
	ssize_t n = -1;
	bool have = false;	/* buf holds the start of the file */
	bool hidden = name[0] == '.';	/* never an entry point, but a script */

	if ((hidden && !interp) || fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return ENTRY_SKIP;
	if (S_ISLNK(st->st_mode))
		return hidden ? ENTRY_SKIP : ENTRY_PROGRAM;
	if (!S_ISREG(st->st_mode))
		return ENTRY_SKIP;
	if (interp) {
		cleanup_free char *found = NULL;

		n = read_head(dirfd, name, buf);
		have = true;
		if ((found = script_interpreter(buf, n)))
			strbuf_addstr(interp, found);
	}
	if (hidden)
		return ENTRY_SKIP;
	if (entry_is_activate(name))
		return ENTRY_DATA;
	/* A gate whatever its mode: one made non-executable by hand is
	 * still a gate (repaired by a wrap, undone by --unwrap), never a
	 * file to keep in place of the entry point it stands for. */
	if (!have && gate_sized(st))
		n = read_head(dirfd, name, buf);
	if (is_gate_text(buf, n, st)) {
		if (gate_text)
			strbuf_add(gate_text, buf, (size_t)n);
		return ENTRY_GATE;
	}
	return st->st_mode & 0111 ? ENTRY_PROGRAM : ENTRY_DATA;
}

/* Sorted names of a directory (no "." and ".."); with links_only, only
 * those that may be symlinks. */
static int list_dir_of(int dirfd, bool links_only, struct strvec *names, struct strbuf *err)
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
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (links_only && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN))
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

static int list_dir(int dirfd, struct strvec *names, struct strbuf *err)
{
	return list_dir_of(dirfd, false, names, err);
}

/* Temporaries a killed run may have left: ".sv.tmp.PID.N", ".sv.new.PID.N"
 * (and ".NAME.tmp.PID", ".NAME.new.PID" of earlier versions). */
static bool is_leftover(const char *name)
{
	return name[0] == '.' && (strstr(name, ".tmp.") || strstr(name, ".new."));
}

static void remove_leftovers(int dirfd, const struct strvec *names)
{
	size_t i;

	for (i = 0; i < names->nr; i++)
		if (is_leftover(names->v[i]))
			unlinkat(dirfd, names->v[i], 0);
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

	if (list_dir_of(v->bin_fd, true, &names, err) < 0)
		return -1;
	for (i = 0; i < names.nr; i++) {
		struct stat st;

		if (names.v[i][0] != '.' &&
		    fstatat(v->bin_fd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode) && check_link(v->bin_fd, names.v[i], err) < 0)
			return -1;
	}
	return 0;
}

static int reopen_dir(int parent, const char *name, int *fd, struct strbuf *err)
{
	int nfd = fs_open_dir_at(parent, name, err);

	if (nfd < 0)
		return -1;
	cleanup_closep(fd);
	*fd = nfd;
	return 0;
}

/* A bin/ listed and classified once: for a gate, its text; for a script,
 * with LIST_SCRIPTS, the interpreter its #! line names. */
struct listing {
	struct strvec names;        /* sorted */
	struct strvec gate_text;    /* gate_text.v[i]: names.v[i]'s text, or "" */
	struct strvec interp;       /* interp.v[i]: its interpreter, or "" */
	enum entry_kind *kind;
	mode_t *mode;
};

#define LISTING_INIT { STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, NULL, NULL }

enum {
	LIST_CLEAN = 1,     /* remove the temporaries a killed run left */
	LIST_SCRIPTS = 2,   /* read every file for its #! line */
};

static void listing_release(struct listing *l)
{
	strvec_clear(&l->names);
	strvec_clear(&l->gate_text);
	strvec_clear(&l->interp);
	free(l->kind);
	free(l->mode);
}

static int list_classified(int dirfd, unsigned flags, struct listing *l, struct strbuf *err)
{
	size_t i;

	if (list_dir(dirfd, &l->names, err) < 0)
		return -1;
	if (flags & LIST_CLEAN)
		remove_leftovers(dirfd, &l->names);
	l->kind = xcalloc(l->names.nr + 1, sizeof(*l->kind));
	l->mode = xcalloc(l->names.nr + 1, sizeof(*l->mode));
	for (i = 0; i < l->names.nr; i++) {
		cleanup_strbuf struct strbuf text = STRBUF_INIT;
		cleanup_strbuf struct strbuf interp = STRBUF_INIT;
		struct stat st = { 0 };

		l->kind[i] = classify(dirfd, l->names.v[i], &st, &text,
				      flags & LIST_SCRIPTS ? &interp : NULL);
		l->mode[i] = st.st_mode;
		strvec_push(&l->gate_text, text.len ? text.buf : "");
		strvec_push(&l->interp, interp.len ? interp.buf : "");
	}
	return 0;
}

static bool has_gate(const struct listing *l)
{
	size_t i;

	for (i = 0; i < l->names.nr; i++)
		if (l->kind[i] == ENTRY_GATE)
			return true;
	return false;
}

/* The path bin/activate sets VIRTUAL_ENV to (quoted or not). */
static char *activate_venv(int dirfd)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	const char *p;
	char q;

	if (fs_read_file_at(dirfd, "activate", ACTIVATE_MAX, &text, &ignored) < 0 ||
	    !(p = strstr(text.buf, "\nVIRTUAL_ENV=")))
		return NULL;
	p += strlen("\nVIRTUAL_ENV=");
	q = *p;
	if (q != '"' && q != '\'')
		return xstrndup(p, strcspn(p, " \t;\n"));
	p++;
	return xstrndup(p, strcspn(p, q == '"' ? "\"\n" : "'\n"));
}

/* gate_stale_scripts() over l, the LIST_SCRIPTS listing of dirfd. */
static void stale_listed(struct venv *v, int dirfd, const struct listing *l, const char *shown,
			 struct strvec *out)
{
	const char *last = NULL;	/* the interpreter looked at last, */
	bool last_moved = false;	/* and whether its venv moved */
	size_t i;

	for (i = 0; i < l->names.nr; i++) {
		const char *interp = l->interp.v[i];
		cleanup_free char *cfg = NULL;
		cleanup_free char *named = NULL;
		const char *bin;
		struct stat st;

		if (!strcmp(l->names.v[i], "activate") && (named = activate_venv(dirfd)) &&
		    strcmp(named, v->path)) {
			cleanup_free char *said = str_shown(named);

			strvec_pushf(out, "%s/activate: it sets VIRTUAL_ENV to '%s', where the venv was "
				     "made: venvs cannot be moved", shown, said);
		}

		if (interp[0] != '/' || !(bin = strstr(interp, "/bin/python")) ||
		    path_is_under(interp, v->path))
			continue;
		/* Another venv's python, or one that is gone: a venv that moved.
		 * Scripts name the same few interpreters: each is looked at once
		 * in a row. */
		if (!last || strcmp(last, interp)) {
			cfg = xasprintf("%.*s/pyvenv.cfg", (int)(bin - interp), interp);
			last_moved = stat(cfg, &st) == 0 || stat(interp, &st) < 0;
			last = interp;
		}
		if (last_moved) {
			cleanup_free char *name = str_shown(l->names.v[i]);
			cleanup_free char *said = str_shown(interp);

			strvec_pushf(out, "%s/%s: its #! line names '%s', where the venv was made: "
				     "venvs cannot be moved (recreate it where it is: python3 -I -m "
				     "venv --clear DIR, and install again)", shown, name, said);
		}
	}
}

void gate_stale_scripts(struct venv *v, int dirfd, const char *shown, struct strvec *out)
{
	struct listing l = LISTING_INIT;
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;

	if (list_classified(dirfd, LIST_SCRIPTS, &l, &ignored) == 0)
		stale_listed(v, dirfd, &l, shown, out);
	listing_release(&l);
}

static void note_shadowing(const char *entry, struct strvec *notes)
{
	cleanup_free char *name = str_shown(entry);

	strvec_pushf(notes, "not gating 'bin/%s': on the PATH of an activated venv it would run "
		     "instead of your own %s, and a fake one can read the password you type; it "
		     "runs inside the sandbox as bin/%s (.venv/bin/shell -c %s)", name, name, name,
		     name);
}

/*
 * The first wrap, all at once: build a directory of gates beside bin/,
 * exchange it with bin/ in one rename, then rename the old bin/, whole,
 * into the private bin. A kill before the exchange leaves the venv as it
 * was; after it, wrapped (gate_finish_first_wrap does the last rename if
 * the kill came before it). The new directory is new, so files go
 * straight in (FS_FRESH).
 */
static int first_wrap(struct venv *v, const char *exe, const struct listing *l,
		      struct strvec *done, struct strvec *notes, struct strbuf *err)
{
	cleanup_fd int gates = -1;
	size_t i;

	if (fs_remove_tree_at(v->state_fd, STATE_BIN, err) < 0 ||
	    fs_remove_tree_at(v->fd, STATE_NEW_BIN, err) < 0 ||
	    fs_mkdir_at(v->fd, STATE_NEW_BIN, 0755, err) < 0)
		return -1;
	gates = fs_open_dir_at(v->fd, STATE_NEW_BIN, err);
	if (gates < 0 || write_gate(gates, GATE_SHELL, exe, FS_FRESH, err) < 0)
		return -1;
	for (i = 0; i < l->names.nr; i++) {
		const char *name = l->names.v[i];

		switch (l->kind[i]) {
		case ENTRY_SKIP:
		case ENTRY_GATE:
			break;
		case ENTRY_DATA:
			/* A plain file named shell keeps its copies; the
			 * host's bin/shell is the gate. */
			if (keep_data(v, v->bin_fd, strcmp(name, GATE_SHELL) ? gates : -1, -1, name,
				      exe, 0, err) < 0)
				return -1;
			break;
		case ENTRY_PROGRAM:
			if (!strcmp(name, GATE_SHELL))
				break;
			if (entry_name_shadows(name)) {
				note_shadowing(name, notes);
				break;
			}
			if (write_gate(gates, name, exe, FS_FRESH, err) < 0)
				return -1;
			strvec_push(done, name);
			break;
		}
	}
	/* Every gate's content on disk before the names go live. */
	if (syncfs(v->fd) < 0) {
		strbuf_addf(err, "cannot sync '%s': %s", v->path, strerror(errno));
		return -1;
	}
	if (fs_renameat2(v->fd, STATE_NEW_BIN, v->fd, "bin", RENAME_EXCHANGE) < 0) {
		strbuf_addf(err, "cannot put the gates in place: %s", strerror(errno));
		return -1;
	}
	/* STATE_NEW_BIN now holds the originals: the private bin. */
	if (reopen_dir(v->fd, "bin", &v->bin_fd, err) < 0 || gate_finish_first_wrap(v, err) < 0)
		return -1;
	return reopen_dir(v->state_fd, STATE_BIN, &v->privbin_fd, err);
}

bool gate_wrapped(struct venv *v)
{
	struct stat st;

	return classify(v->bin_fd, GATE_SHELL, &st, NULL, NULL) == ENTRY_GATE;
}

int gate_finish_first_wrap(struct venv *v, struct strbuf *err)
{
	struct stat st;
	int newbin;

	if (fstatat(v->state_fd, STATE_BIN, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return 0;
	newbin = openat(v->fd, STATE_NEW_BIN, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (newbin < 0)
		return 0;
	close(newbin);
	if (!gate_wrapped(v))
		return 0;	/* not exchanged yet: a first wrap is building it */
	/* Another process may finish it at the same moment: either rename wins. */
	if (renameat(v->fd, STATE_NEW_BIN, v->state_fd, STATE_BIN) < 0 && errno != ENOENT) {
		strbuf_addf(err, "cannot move the entry points into '%s/%s/%s': %s", v->path,
			    STATE_DIR, STATE_BIN, strerror(errno));
		return -1;
	}
	return 1;
}

/* A gate as we would write it now. */
static bool gate_current(const struct listing *l, size_t i, const struct strbuf *want)
{
	return (l->mode[i] & 07777) == GATE_MODE && !strcmp(l->gate_text.v[i], want->buf);
}

/* Wrap-time pass over an already wrapped bin/ (rewrite is true), or the
 * cheap launch-time pass (false) that only gates newcomers. */
static int wrap_again(struct venv *v, const char *exe, const struct listing *l,
		      bool rewrite, struct strvec *done, struct strvec *notes, struct strbuf *err)
{
	cleanup_strbuf struct strbuf want = STRBUF_INIT;
	bool have_shell = false;
	size_t i;

	gate_render(exe, &want);
	for (i = 0; i < l->names.nr; i++) {
		const char *name = l->names.v[i];

		switch (l->kind[i]) {
		case ENTRY_SKIP:
			break;
		case ENTRY_DATA:
			if (rewrite && keep_data(v, v->bin_fd, v->bin_fd, v->privbin_fd, name, exe,
						 FS_DURABLE, err) < 0)
				return -1;
			break;
		case ENTRY_GATE:
			if (!strcmp(name, GATE_SHELL))
				have_shell = gate_current(l, i, &want);
			else if (rewrite && !gate_current(l, i, &want) &&
				 write_gate(v->bin_fd, name, exe, 0, err) < 0)
				return -1;
			break;
		case ENTRY_PROGRAM:
			/* Appeared by another route (a host tool, a copy). */
			if (!strcmp(name, GATE_SHELL))
				break;
			if (link_into(v->bin_fd, v->privbin_fd, name, 0, err) < 0)
				return -1;
			if (entry_name_shadows(name)) {
				if (unlinkat(v->bin_fd, name, 0) < 0) {
					strbuf_addf(err, "cannot remove 'bin/%s': %s", name,
						    strerror(errno));
					return -1;
				}
				note_shadowing(name, notes);
				break;
			}
			if (write_gate(v->bin_fd, name, exe, 0, err) < 0)
				return -1;
			strvec_push(done, name);
			break;
		}
	}
	return rewrite && !have_shell ? write_gate(v->bin_fd, GATE_SHELL, exe, 0, err) : 0;
}

static void note_newcomers(const struct strvec *done, size_t from, struct strvec *notes)
{
	size_t i;

	for (i = from; i < done->nr; i++) {
		cleanup_free char *name = str_shown(done->v[i]);

		strvec_pushf(notes, "gated 'bin/%s': it was added to the venv outside sandbox-venv",
			     name);
	}
}

int gate_wrap_bin(struct venv *v, const char *exe, struct strvec *done,
		  struct strvec *notes, struct strbuf *err)
{
	struct listing l = LISTING_INIT;
	size_t before = done->nr;
	int ret = -1;

	if (list_classified(v->bin_fd, LIST_CLEAN | LIST_SCRIPTS, &l, err) < 0)
		goto out;
	if (!has_gate(&l)) {
		/* The caller has written the policy; the empty directory is
		 * made again, as nothing else there is ours. */
		static const char *const ours[] = { STATE_LOCK, STATE_POLICY, NULL };

		stale_listed(v, v->bin_fd, &l, "bin", notes);
		if (venv_clear_state(v, ours, err) < 0 ||
		    fs_mkdir_at(v->state_fd, STATE_EMPTY, 0555, err) < 0)
			goto out;
		ret = first_wrap(v, exe, &l, done, notes, err) < 0 ? -1 : 1;
		goto out;
	}
	gate_stale_scripts(v, v->privbin_fd, "bin", notes);
	/* A directory of that name in a wrapped venv is not ours (the first
	 * wrap's was moved when the state was opened): pip's sandbox can
	 * write the venv. */
	if (fs_remove_tree_at(v->fd, STATE_NEW_BIN, err) < 0)
		goto out;
	if (wrap_again(v, exe, &l, true, done, notes, err) < 0)
		goto out;
	note_newcomers(done, before, notes);
	ret = 0;
out:
	listing_release(&l);
	return ret;
}

int gate_sync(struct venv *v, const char *exe, bool say_refused, struct strvec *notes,
	      struct strbuf *err)
{
	struct listing l = LISTING_INIT;
	cleanup_strvec struct strvec done = STRVEC_INIT;
	cleanup_strvec struct strvec reserved = STRVEC_INIT;
	int r;

	r = list_classified(v->bin_fd, LIST_CLEAN, &l, err) < 0 ? -1 :
	    wrap_again(v, exe, &l, false, &done, notes, err);
	listing_release(&l);
	if (r < 0)
		return -1;
	note_newcomers(&done, 0, notes);
	/* Refused names were reported when pip installed them (at pip's
	 * end, which says them now). */
	r = gate_reconcile(v, exe, say_refused ? notes : &reserved, err);
	return r < 0 ? -1 : r + (int)done.nr;
}

/* A program in the private bin without a gate in bin/: gate it, unless
 * its name is reserved. Returns 1 when a gate was written. */
static int gate_newcomer(struct venv *v, const char *name, const char *exe,
			 struct strvec *notes, struct strbuf *err)
{
	struct stat st;

	if (classify(v->privbin_fd, name, &st, NULL, NULL) != ENTRY_PROGRAM)
		return 0;
	if (entry_name_reserved(name)) {
		if (strcmp(name, GATE_SHELL) && !entry_is_activate(name)) {
			cleanup_free char *said = str_shown(name);

			strvec_pushf(notes, "not gating 'bin/%s': the name is reserved", said);
		}
		return 0;
	}
	if (entry_name_shadows(name)) {
		note_shadowing(name, notes);
		return 0;
	}
	return write_gate(v->bin_fd, name, exe, 0, err) < 0 ? -1 : 1;
}

/* python, python3, python3.12, python3.13t, pypy3, pip, pip3, pip-3.12:
 * what an activated venv runs most, and finds on the host's PATH too. */
static bool core_name(const char *name)
{
	static const char *const stems[] = { "python", "pypy", "pip" };
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(stems); i++)
		if (str_has_prefix(name, stems[i])) {
			name += strlen(stems[i]);
			n = strspn(name, "0123456789.-");
			return !name[n] || !strcmp(name + n, "t");
		}
	return false;
}

/* Is there a program name on PATH, in a directory other than the venv's
 * bin? Then an activated venv would run it where the gate was. */
static bool on_host_path(const struct venv *v, const char *name)
{
	cleanup_free char *bin = xasprintf("%s/bin", v->path);
	const char *p = getenv("PATH");

	while (p && *p) {
		const char *e = strchrnul(p, ':');
		cleanup_free char *dir = xstrndup(p, (size_t)(e - p));
		cleanup_free char *prog = xasprintf("%s/%s", dir, name);
		struct stat st;

		if (dir[0] == '/' && strcmp(dir, bin) && stat(prog, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(prog, X_OK) == 0)
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

/* A name in bin/ with nothing of that name in the private bin: if it is
 * a gate, its entry point is gone (pip uninstalled it, or a sandbox that
 * had the venv writable removed it), and the gate goes, which is said.
 * The interpreter's, pip's and any other one whose name your PATH also
 * finds outside the venv stay, and fail: without them, an activated venv
 * would run the host's python, pip or pytest, outside every sandbox, on
 * the project. Returns 1 when the gate went. */
static int drop_orphan(struct venv *v, const char *name, struct strvec *notes,
		       struct strbuf *err)
{
	cleanup_free char *said = NULL;
	struct stat st;

	if (!strcmp(name, GATE_SHELL) || classify(v->bin_fd, name, &st, NULL, NULL) != ENTRY_GATE)
		return 0;
	said = str_shown(name);
	if (core_name(name) || on_host_path(v, name)) {
		strvec_pushf(notes, "'bin/%s' has lost its entry point (removed from the venv, "
			     "maybe by a sandbox that had it writable): its gate stays, and fails, "
			     "so that no '%s' from your PATH runs in its place\nhint: reinstall "
			     "what provided it, or remove the gate yourself", said, said);
		return 0;
	}
	if (unlinkat(v->bin_fd, name, 0) < 0 && errno != ENOENT) {
		strbuf_addf(err, "cannot remove gate 'bin/%s': %s", name, strerror(errno));
		return -1;
	}
	strvec_pushf(notes, "removed the gate 'bin/%s': its entry point is gone from the venv",
		     said);
	return 1;
}

int gate_reconcile(struct venv *v, const char *exe, struct strvec *notes,
		   struct strbuf *err)
{
	cleanup_strvec struct strvec priv = STRVEC_INIT;
	cleanup_strvec struct strvec host = STRVEC_INIT;
	size_t p = 0, h = 0;
	int changes = 0;

	if (list_dir(v->privbin_fd, &priv, err) < 0 || list_dir(v->bin_fd, &host, err) < 0)
		return -1;
	remove_leftovers(v->bin_fd, &host);
	/* Both lists are sorted: walk them side by side. A name in both is
	 * a gate already, or a host file we never replace. */
	while (p < priv.nr || h < host.nr) {
		int c = p == priv.nr ? 1 : h == host.nr ? -1 : strcmp(priv.v[p], host.v[h]);
		int r = 0;

		const char *name = c < 0 ? priv.v[p] : host.v[h];
		cleanup_strbuf struct strbuf why = STRBUF_INIT;

		if (c < 0)
			r = gate_newcomer(v, priv.v[p++], exe, notes, &why);
		else if (c > 0)
			r = drop_orphan(v, host.v[h++], notes, &why);
		else
			p++, h++;
		/* One entry that cannot be settled (a sandbox may have made
		 * it so) does not hold up the others, nor the launch. */
		if (r < 0) {
			cleanup_free char *said = str_shown(name);
			cleanup_free char *reason = str_shown(why.buf);

			strvec_pushf(notes, "left 'bin/%s' as it is: %s", said, reason);
		}
		else
			changes += r;
	}
	return changes;
}

/* Both bins' names and the directory of recorded originals (or -1). */
static int read_both(struct venv *v, struct strvec *host, struct strvec *priv, int *orig_fd,
		     struct strbuf *err)
{
	if (list_dir(v->bin_fd, host, err) < 0 || list_dir(v->privbin_fd, priv, err) < 0)
		return -1;
	*orig_fd = openat(v->state_fd, STATE_ORIG, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return 0;
}

/* A program in the private bin that bin/ lacks and that may have a gate. */
static bool ungated_entry(struct venv *v, const char *name)
{
	struct stat st;

	return classify(v->privbin_fd, name, &st, NULL, NULL) == ENTRY_PROGRAM &&
	       !entry_name_reserved(name) && !entry_name_shadows(name) &&
	       fstatat(v->bin_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0;
}

int gate_unwrap(struct venv *v, struct strbuf *err)
{
	cleanup_strvec struct strvec host = STRVEC_INIT;
	cleanup_strvec struct strvec priv = STRVEC_INIT;
	cleanup_fd int orig_fd = -1;
	size_t i;

	if (read_both(v, &host, &priv, &orig_fd, err) < 0)
		return -1;
	for (i = 0; i < host.nr; i++) {
		const char *name = host.v[i];
		cleanup_strbuf struct strbuf data = STRBUF_INIT;
		struct stat st;

		switch (classify(v->bin_fd, name, &st, NULL, NULL)) {
		case ENTRY_SKIP:
		case ENTRY_PROGRAM:
			break;
		case ENTRY_GATE:
			/* The real entry point takes the gate's name back. */
			if (renameat(v->privbin_fd, name, v->bin_fd, name) == 0)
				break;
			if (errno != ENOENT || unlinkat(v->bin_fd, name, 0) < 0) {
				strbuf_addf(err, "cannot restore 'bin/%s': %s", name, strerror(errno));
				return -1;
			}
			break;
		case ENTRY_DATA:
			if (orig_fd < 0 || fstatat(orig_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				break;
			if (fs_read_file_at(orig_fd, name, ACTIVATE_MAX, &data, err) < 0 ||
			    fs_write_atomic_at(v->bin_fd, name, data.buf, data.len,
					       st.st_mode & 0777, err) < 0)
				return -1;
			break;
		}
	}
	/* The rest of the private bin was the venv's too: entry points a
	 * killed pip left without a gate, and what a wrap never gates
	 * (hidden names, deactivate*, names with control characters). All
	 * of it goes back, but our temporaries: the state directory goes
	 * next. */
	for (i = 0; i < priv.nr; i++) {
		struct stat st;

		if (is_leftover(priv.v[i]) ||
		    fstatat(v->bin_fd, priv.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			continue;
		if (renameat(v->privbin_fd, priv.v[i], v->bin_fd, priv.v[i]) < 0) {
			strbuf_addf(err, "cannot restore 'bin/%s': %s", priv.v[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Compare bin/name with what we write there. */
static void audit_data(struct venv *v, int orig_fd, const char *name, const char *exe,
		       struct strvec *findings)
{
	cleanup_strbuf struct strbuf host = STRBUF_INIT;
	cleanup_strbuf struct strbuf orig = STRBUF_INIT;
	cleanup_strbuf struct strbuf want = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;

	if (!entry_is_activate(name)) {
		strvec_pushf(findings, "bin/%s: a file sandbox-venv did not write", name);
		return;
	}
	if (orig_fd < 0 || fs_read_file_at(orig_fd, name, ACTIVATE_MAX, &orig, &err) < 0) {
		strvec_pushf(findings, "bin/%s: no recorded original to compare with", name);
		return;
	}
	activate_expected(name, orig.buf, orig.len, exe, v->path, &want);
	if (fs_read_file_at(v->bin_fd, name, ACTIVATE_MAX, &host, &err) < 0 ||
	    host.len != want.len || memcmp(host.buf, want.buf, want.len))
		strvec_pushf(findings, "bin/%s: differs from what sandbox-venv wrote", name);
}

/* gone: launchers named by gates that no longer exist, each once. */
static void audit_gate(struct venv *v, const char *name, struct strvec *gone,
		       struct strvec *findings)
{
	cleanup_strbuf struct strbuf content = STRBUF_INIT;
	cleanup_strbuf struct strbuf want = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *launcher = NULL;
	struct stat st;

	if (fs_read_file_at(v->bin_fd, name, GATE_MAX_BYTES, &content, &err) < 0 ||
	    !(launcher = gate_launcher(content.buf))) {
		strvec_pushf(findings, "bin/%s: a damaged gate", name);
		return;
	}
	gate_render(launcher, &want);
	if (strcmp(want.buf, content.buf)) {
		strvec_pushf(findings, "bin/%s: a gate with content sandbox-venv did not write", name);
		return;
	}
	if (access(launcher, X_OK) < 0 && strvec_find(gone, launcher) < 0)
		strvec_push(gone, launcher);
	if (fstatat(v->bin_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & 07777) != GATE_MODE)
		strvec_pushf(findings, "bin/%s: a gate of mode %o, not %o (hint: run 'sandbox-venv "
			     "%s' to write it again)", name, (unsigned)(st.st_mode & 07777),
			     (unsigned)GATE_MODE, v->path);
	if (strcmp(name, GATE_SHELL) &&
	    fstatat(v->privbin_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		strvec_pushf(findings, "bin/%s: a gate without an entry point", name);
}

int gate_audit(struct venv *v, const char *exe, struct strvec *findings,
	       struct strbuf *err)
{
	cleanup_strvec struct strvec host = STRVEC_INIT;
	cleanup_strvec struct strvec priv = STRVEC_INIT;
	cleanup_strvec struct strvec gone = STRVEC_INIT;
	cleanup_fd int orig_fd = -1;
	size_t i;

	if (read_both(v, &host, &priv, &orig_fd, err) < 0)
		return -1;
	for (i = 0; i < host.nr; i++) {
		const char *name = host.v[i];
		struct stat st;

		switch (classify(v->bin_fd, name, &st, NULL, NULL)) {
		case ENTRY_SKIP:
			if (name[0] == '.' && fstatat(v->bin_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    !S_ISDIR(st.st_mode))
				strvec_pushf(findings, "bin/%s: a leftover file", name);
			else if (name[0] != '.')
				strvec_pushf(findings, "bin/%s: not a file sandbox-venv wrote", name);
			break;
		case ENTRY_GATE:
			audit_gate(v, name, &gone, findings);
			break;
		case ENTRY_DATA:
			audit_data(v, orig_fd, name, exe, findings);
			break;
		case ENTRY_PROGRAM:
			strvec_pushf(findings, "bin/%s: an entry point without a gate: it runs "
				     "unsandboxed", name);
			break;
		}
	}
	for (i = 0; i < gone.nr; i++)
		strvec_pushf(findings, "gates: their launcher '%s' is gone, so they cannot start "
			     "(hint: run 'sandbox-venv %s' with the sandbox-venv you have now)",
			     gone.v[i], v->path);
	for (i = 0; i < priv.nr; i++)
		if (ungated_entry(v, priv.v[i]))
			strvec_pushf(findings, "bin/%s: installed, but not gated yet", priv.v[i]);
	if (fstatat(v->bin_fd, GATE_SHELL, &(struct stat){0}, AT_SYMLINK_NOFOLLOW) < 0)
		strvec_pushf(findings, "bin/%s: missing", GATE_SHELL);
	gate_stale_scripts(v, v->privbin_fd, "bin", findings);
	if (fstatat(v->fd, STATE_NEW_BIN, &(struct stat){0}, AT_SYMLINK_NOFOLLOW) == 0)
		strvec_pushf(findings, "%s: left by an interrupted wrap, with programs that run "
			     "unsandboxed (hint: run 'sandbox-venv %s' again)", STATE_NEW_BIN, v->path);
	return 0;
}
