/* test-landlock.c - the rights each ABI handles, what each class allows,
 * and the rules' records as the init reads them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "landlock.h"
#include "tap.h"

/* <linux/landlock.h>'s LANDLOCK_ACCESS_FS_* bits. */
#define EXECUTE (1ULL << 0)
#define WRITE_FILE (1ULL << 1)
#define READ_FILE (1ULL << 2)
#define READ_DIR (1ULL << 3)
#define MAKE_CHAR (1ULL << 6)
#define MAKE_REG (1ULL << 8)
#define MAKE_SOCK (1ULL << 9)
#define MAKE_BLOCK (1ULL << 11)
#define MAKE_SYM (1ULL << 12)
#define REFER (1ULL << 13)
#define TRUNCATE (1ULL << 14)
#define IOCTL_DEV (1ULL << 15)

static void test_rights(void)
{
	ok(landlock_fs_rights(0) == 0, "ABI 0: nothing handled");
	ok(landlock_fs_rights(1) == (MAKE_SYM << 1) - 1, "ABI 1: the thirteen first rights");
	ok(landlock_fs_rights(2) == landlock_fs_rights(1) + REFER, "ABI 2: and REFER");
	ok(landlock_fs_rights(3) == landlock_fs_rights(2) + TRUNCATE &&
	   landlock_fs_rights(4) == landlock_fs_rights(3), "ABI 3: and TRUNCATE (4 adds none)");
	ok(landlock_fs_rights(5) == (IOCTL_DEV << 1) - 1 && landlock_fs_rights(7) == landlock_fs_rights(5),
	   "ABI 5 and later: every right, IOCTL_DEV included");
}

static void test_classes(void)
{
	uint64_t w = landlock_class_rights(LANDLOCK_WRITE);

	ok(landlock_class_rights(LANDLOCK_READ) == (EXECUTE | READ_FILE | READ_DIR),
	   "read: read, list, execute; no write");
	ok((w & (WRITE_FILE | MAKE_REG | REFER | TRUNCATE)) == (WRITE_FILE | MAKE_REG | REFER | TRUNCATE) &&
	   !(w & (MAKE_CHAR | MAKE_BLOCK | IOCTL_DEV)), "write: files, renames, truncation; no device "
	   "nodes, no device ioctls");
	ok(!(w & MAKE_SOCK), "write: no socket made (two sandboxes meeting at one pass each other "
	   "descriptors)");
	ok(landlock_class_rights(LANDLOCK_PRIVATE) == (w | MAKE_SOCK),
	   "private (a sandbox's own /tmp): write, and sockets");
	ok(landlock_class_rights(LANDLOCK_DEV) == (w | IOCTL_DEV), "dev: write and device ioctls");
	ok(landlock_class_rights(LANDLOCK_PROC) == (READ_FILE | READ_DIR | WRITE_FILE | TRUNCATE),
	   "proc: read, list, write files; nothing made, nothing run");
	ok(landlock_class_rights((enum landlock_class)'x') == 0, "an unknown class allows nothing");
}

static void test_records(void)
{
	struct strbuf rules = STRBUF_INIT, err = STRBUF_INIT;
	int abi = landlock_abi(), fd;

	landlock_rules_add(&rules, LANDLOCK_READ, "/usr");
	landlock_rules_add(&rules, LANDLOCK_WRITE, "/nonexistent/sv-test");
	ok(rules.len == 6 + 22 && !memcmp(rules.buf, "r/usr\0w/nonexistent/sv-test\0", rules.len),
	   "records: class, path, NUL");
	if (abi < LANDLOCK_PATHS_MIN_ABI) {
		skip("no Landlock here: the init's reading of the rules");
		skip("no Landlock here");
		skip("no Landlock here");
		skip("no Landlock here");
		return;
	}
	fd = landlock_path_ruleset(abi, rules.buf, rules.len, &err);
	ok(fd >= 0, "a ruleset from them (a missing path gets no rule) %s", err.buf);
	if (fd >= 0)
		close(fd);
	strbuf_reset(&err);
	ok(landlock_path_ruleset(abi, "x/usr", 6, &err) < 0 && strstr(err.buf, "malformed"),
	   "an unknown class is refused");
	strbuf_reset(&err);
	ok(landlock_path_ruleset(abi, "r/usr", 5, &err) < 0, "a record without its NUL is refused");
	strbuf_reset(&err);
	ok(landlock_path_ruleset(abi, "rusr", 5, &err) < 0, "a relative path is refused");
	strbuf_release(&rules);
	strbuf_release(&err);
}

/* What a ruleset from records allows, enforced: records are opened from
 * the directory of the record before them when it is the same one, and
 * otherwise from theirs (landlock.c). Two files of one directory in a row
 * (the second from the kept directory), a directory one byte longer than
 * the one kept and then the shorter one again, two directories of the
 * same length in a row, one through a symlink, one with a trailing slash,
 * one whose directory is missing: each allows its own file, and no
 * other. */
static const char *const tree[] = {
	"a/", "a/one", "a/two", "a/three", "a/four", "ab/", "ab/five", "ab/six", "b/", "b/four",
	"b/nine", "c/", "c/seven", "c/eight", "l/", "l/x", "l/y", "t/", "t/z",
};
static const char *const allowed[] = {
	"a/one", "a/three", "ab/five", "a/four", "a/missing", "link/x", "nodir/x", "t/",
	"b/four", "c/seven",
};
/* name, and whether the domain lets it be read */
static const struct { const char *name; int readable; } expect[] = {
	{ "a/one", 1 }, { "a/two", 0 }, { "a/three", 1 }, { "a/four", 1 }, { "ab/five", 1 },
	{ "ab/six", 0 }, { "b/four", 1 }, { "b/nine", 0 }, { "c/seven", 1 }, { "c/eight", 0 },
	{ "l/x", 1 }, { "l/y", 0 }, { "t/z", 1 },
};

/* How many descriptors this process has open. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_enforced(void)
{
	struct strbuf rules = STRBUF_INIT, err = STRBUF_INIT, path = STRBUF_INIT;
	char tmpl[] = "/tmp/sv-test-landlock-XXXXXX";
	char *root = mkdtemp(tmpl);
	int abi = landlock_abi(), ruleset = -1, st, ready = 1;
	char got[ARRAY_SIZE(expect) + 1] = { 0 };
	int fds[2];
	size_t i;
	pid_t pid;

	if (abi < LANDLOCK_PATHS_MIN_ABI || !root) {
		skip(root ? "no Landlock here: the rules enforced" : "no temporary directory");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(tree); i++) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", root, tree[i]);
		if (path.buf[path.len - 1] == '/' ? mkdir(path.buf, 0700) < 0 :
		    close(open(path.buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
			ready = 0;
	}
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/link", root);
	if (symlink("l", path.buf) < 0)
		ready = 0;
	for (i = 0; i < ARRAY_SIZE(allowed); i++) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", root, allowed[i]);
		landlock_rules_add(&rules, LANDLOCK_READ, path.buf);
	}
	if (ready) {
		int before = open_fds(), after;
		struct strbuf bad = STRBUF_INIT;

		/* Ended by a malformed record, the directory kept open for
		 * the one before it (the last, c/seven): closed too. */
		strbuf_add(&bad, rules.buf, rules.len);
		strbuf_add(&bad, "x/usr", 6);
		after = landlock_path_ruleset(abi, bad.buf, bad.len, &err);
		ok(after < 0 && open_fds() == before, "a malformed record: refused, no descriptor "
		   "left open (%d before, %d after)", before, open_fds());
		strbuf_release(&bad);
		strbuf_reset(&err);
		ruleset = landlock_path_ruleset(abi, rules.buf, rules.len, &err);
		ok(ruleset >= 0 && open_fds() == before + 1, "the ruleset: its descriptor alone "
		   "left open (%d before, %d after)", before, open_fds());
	}
	if (ruleset < 0 || pipe(fds) < 0 || (pid = fork()) < 0) {
		ok(0, "a ruleset from the records, enforced (%s)", err.buf);
		goto out;
	}
	if (pid == 0) {
		close(fds[0]);
		if (landlock_restrict(ruleset) < 0)
			_exit(1);
		for (i = 0; i < ARRAY_SIZE(expect); i++) {
			char name[4200];
			int fd;

			snprintf(name, sizeof(name), "%s/%s", root, expect[i].name);
			fd = open(name, O_RDONLY | O_CLOEXEC);
			got[i] = fd >= 0 ? '1' : errno == EACCES ? '0' : '?';
		}
		_exit(write(fds[1], got, ARRAY_SIZE(expect)) == (ssize_t)ARRAY_SIZE(expect) ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], got, ARRAY_SIZE(expect)) != (ssize_t)ARRAY_SIZE(expect))
		got[0] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	for (i = 0; i < ARRAY_SIZE(expect); i++)
		ok(got[i] == (expect[i].readable ? '1' : '0'), "enforced: %s is %s (got %c)",
		   expect[i].name, expect[i].readable ? "readable" : "refused (EACCES)",
		   got[i] ? got[i] : '-');
out:
	if (ruleset >= 0)
		close(ruleset);
	{
		int dir = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

		strbuf_reset(&err);
		if (dir >= 0 && fs_remove_tree_at(dir, root + strlen("/tmp/"), &err) < 0)
			fprintf(stderr, "# cannot remove %s: %s\n", root, err.buf);
		if (dir >= 0)
			close(dir);
	}
	strbuf_release(&rules);
	strbuf_release(&err);
	strbuf_release(&path);
}

int main(void)
{
	test_rights();
	test_classes();
	test_records();
	test_enforced();
	return done_testing();
}
