/* test-fsutil.c - removing trees (fsutil.h). */
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
