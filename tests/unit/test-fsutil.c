/* test-fsutil.c - removing trees, reading mountinfo (fsutil.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"
#include "tap.h"

/* Make a chain of depth directories d/d/d/... below dir/name, a file and a
 * symlink to outside at its bottom; 0 or -1. */
static int make_chain(int dir, const char *name, unsigned depth, const char *outside)
{
	int fd = -1, next;
	unsigned i;

	if (mkdirat(dir, name, 0755) < 0 || (fd = openat(dir, name, O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	for (i = 0; i < depth; i++) {
		if (mkdirat(fd, "d", 0755) < 0 || (next = openat(fd, "d", O_RDONLY | O_DIRECTORY)) < 0) {
			close(fd);
			return -1;
		}
		close(fd);
		fd = next;
	}
	next = openat(fd, "f", O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (next >= 0)
		close(next);
	if (next < 0 || symlinkat(outside, fd, "out") < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* What fs_each_mount saw: each mount as one line. */
static void note_mount(const struct fs_mount *m, void *data)
{
	struct strbuf *seen = data;

	strbuf_addf(seen, "%llu<%llu %u:%u [%s] at [%s] %s %s|", (unsigned long long)m->id,
		    (unsigned long long)m->parent, m->major, m->minor, m->root, m->point, m->fstype,
		    m->rw ? "rw" : "ro");
}

/* fs_each_mount over a made-up PID/mountinfo below dir; what it saw. */
static void each_mount_of(int dir, const char *text, struct strbuf *seen)
{
	int fd;

	strbuf_reset(seen);
	mkdirat(dir, "proc", 0755);
	mkdirat(dir, "proc/7", 0755);
	fd = openat(dir, "proc/7/mountinfo", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		strbuf_addstr(seen, "(setup failed)");
	if (fd >= 0)
		close(fd);
	fd = openat(dir, "proc", O_RDONLY | O_DIRECTORY);
	if (fs_each_mount(fd, 7, note_mount, seen) < 0)
		strbuf_addstr(seen, "(cannot be read)");
	close(fd);
}

int main(void)
{
	char tmpl[] = "/tmp/test-fsutil.XXXXXX";
	char *root = mkdtemp(tmpl);
	struct strbuf err = STRBUF_INIT;
	char *path, *keep, *rm;
	struct stat st;
	int dir;

	if (!root || (dir = open(root, O_RDONLY | O_DIRECTORY)) < 0) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	keep = xasprintf("%s/keep", root);
	path = xasprintf("%s/keep/precious", root);
	ok(mkdir(keep, 0755) == 0, "setup: a directory outside the tree");
	close(open(path, O_WRONLY | O_CREAT, 0644));

	ok(make_chain(dir, "shallow", 5, path) == 0, "setup: a tree 5 deep");
	ok(fs_remove_tree_at(dir, "shallow", &err) == 0 && fstatat(dir, "shallow", &st, 0) < 0,
	   "a tree 5 deep is removed");
	/* As deep as a sandbox may make one in a venv it can write (pip's):
	 * a re-wrap must still clear it. */
	ok(make_chain(dir, "deep", 500, path) == 0, "setup: a tree 500 deep");
	strbuf_reset(&err);
	ok(fs_remove_tree_at(dir, "deep", &err) == 0, "a tree 500 deep is removed (%s)",
	   err.len ? err.buf : "no error");
	ok(fstatat(dir, "deep", &st, AT_SYMLINK_NOFOLLOW) < 0, "... nothing of it is left");
	ok(stat(path, &st) == 0, "... and the file its symlinks named is still there");
	/* Names the removal would use, there beforehand. */
	ok(make_chain(dir, "planted", 100, path) == 0 && mkdirat(dir, "planted/.deep-0", 0755) == 0 &&
	   mkdirat(dir, "planted/.deep-1", 0755) == 0, "setup: a tree 100 deep with .deep-0, .deep-1 in it");
	strbuf_reset(&err);
	ok(fs_remove_tree_at(dir, "planted", &err) == 0 &&
	   fstatat(dir, "planted", &st, AT_SYMLINK_NOFOLLOW) < 0,
	   "... is removed too (%s)", err.len ? err.buf : "no error");
	ok(symlinkat(root, dir, "link") == 0 && fs_remove_tree_at(dir, "link", &err) == 0 &&
	   fstatat(dir, "link", &st, AT_SYMLINK_NOFOLLOW) < 0 && stat(path, &st) == 0,
	   "a symlink in the tree's place is removed, not followed");
	ok(fs_remove_tree_at(dir, "absent", &err) == 0, "a missing name is not an error");

	{
		struct strbuf seen = STRBUF_INIT, text = STRBUF_INIT;
		size_t i;

		each_mount_of(dir, "22 1 0:21 / /proc rw,relatime shared:12 - proc proc rw\n"
			      "88 77 254:0 /a\\040b /p\\134q ro,nosuid - ext4 /dev/vda rw\n",
			      &seen);
		is_str(seen.buf, "22<1 0:21 [/] at [/proc] proc rw|"
			   "88<77 254:0 [/a b] at [/p\\q] ext4 ro|",
		       "mountinfo: with and without optional fields; escapes undone");
		each_mount_of(dir, "5 1 8:1 / / rw - ext4 /dev/sda rw\nnot a line\n"
			      "6 5 8:1 / /x rw\n7 5 8:1 /r /y ro - tmpfs t rw\n", &seen);
		is_str(seen.buf, "5<1 8:1 [/] at [/] ext4 rw|7<5 8:1 [/r] at [/y] tmpfs ro|",
		       "mountinfo: malformed lines are passed over, the others read");
		/* A mount point longer than any buffer: its fields stay in place. */
		strbuf_addstr(&text, "9 1 8:2 /");
		for (i = 0; i < 600; i++)
			strbuf_addstr(&text, "dirdirdir/");
		strbuf_addstr(&text, " /deep ro - ext4 /dev/sdb rw\n");
		each_mount_of(dir, text.buf, &seen);
		ok(seen.len > 6000 && strstr(seen.buf, "] at [/deep] ext4 ro|") &&
		   !strncmp(seen.buf, "9<1 8:2 [/dirdirdir/", 20),
		   "mountinfo: a root of 6,000 characters is read whole");
		strbuf_release(&seen);
		strbuf_release(&text);
	}
	strbuf_release(&err);
	close(dir);
	rm = xasprintf("rm -rf '%s'", root);
	if (system(rm) != 0)
		return 1;
	free(rm);
	free(keep);
	free(path);
	return done_testing();
}
