/* test-lean.c - when the files alone answer for the caller (lean.h). */
#include <string.h>

#include "lean.h"
#include "tap.h"

static void test_files_answer(void)
{
	static const struct {
		const char *conf, *db;
		bool want;
	} cases[] = {
		{ "", "passwd", true },
		{ "# no line for it\nhosts: files dns\n", "passwd", true },
		{ "passwd: files\n", "passwd", true },
		{ "passwd:         files systemd\ngroup:          files systemd\n", "passwd", true },
		{ "passwd:         files systemd\ngroup:          files systemd\n", "group", true },
		{ "  passwd:\tfiles   # a comment\n", "passwd", true },
		{ "passwd: files ldap\n", "passwd", false },
		{ "passwd: sss files\n", "passwd", false },
		{ "passwd: compat\n", "passwd", false },
		{ "passwd: files [NOTFOUND=return] systemd\n", "passwd", false },
		{ "passwd: systemd files\n", "passwd", false },
		{ "passwd:\n", "passwd", false },
		{ "passwd: files\ngroup: files winbind\n", "group", false },
		{ "passwdx: ldap\npasswd: files\n", "passwd", true },
		{ "group: ldap\npasswd: files\n", "passwd", true },
		{ "passwd: filesx\n", "passwd", false },
		/* As glibc reads it: blanks before the colon, the last line. */
		{ "passwd : ldap\n", "passwd", false },
		{ "passwd\t:files\n", "passwd", true },
		{ "passwd: files\npasswd: ldap\n", "passwd", false },
		{ "passwd: ldap\npasswd: files\n", "passwd", false },
		{ "passwd ldap\n", "passwd", false },
		{ "passwd\r: systemd\n", "passwd", false },
		{ "passwd\v: systemd\n", "passwd", false },
		{ "passwd\f:\ffiles\r\n", "passwd", true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(lean_files_answer(cases[i].conf, strlen(cases[i].conf), cases[i].db) ==
		   cases[i].want,
		   "case %zu, %s: %s", i, cases[i].db,
		   cases[i].want ? "the files answer" : "another database may");
}

/* A NUL byte ends its line, not the file. */
static void test_nul(void)
{
	static const char conf[] = "group: files\0\npasswd: systemd\n";

	ok(!lean_files_answer(conf, sizeof(conf) - 1, "passwd"),
	   "a line after one with a NUL byte counts");
	ok(lean_files_answer(conf, sizeof(conf) - 1, "group"), "the line with it, up to it");
}

int main(void)
{
	test_files_answer();
	test_nul();
	return done_testing();
}
