/* test-landlock.c - the rights each ABI handles, what each class allows,
 * and the rules' records as the init reads them. */
#include <stdint.h>
#include <unistd.h>

#include "landlock.h"
#include "tap.h"

/* <linux/landlock.h>'s LANDLOCK_ACCESS_FS_* bits. */
#define EXECUTE (1ULL << 0)
#define WRITE_FILE (1ULL << 1)
#define READ_FILE (1ULL << 2)
#define READ_DIR (1ULL << 3)
#define MAKE_CHAR (1ULL << 6)
#define MAKE_REG (1ULL << 8)
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

int main(void)
{
	test_rights();
	test_classes();
	test_records();
	return done_testing();
}
