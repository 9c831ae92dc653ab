/* test-gitrepo.c - git's config format and index, as gitrepo.c reads them. */
#include <stdlib.h>
#include <string.h>

#include "../../src/gitrepo.h"
#include "../../src/strbuf.h"
#include "../../src/util.h"
#include "tap.h"

static void config_is(const char *text, const char *section, const char *key, const char *want,
		      const char *what)
{
	char *got = gitrepo_config_get(text, strlen(text), section, key);

	is_str(got, want, what);
	free(got);
}

static void put32(struct strbuf *b, unsigned v)
{
	char c[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v };

	strbuf_add(b, c, 4);
}

/* One index entry: mode, path; v4 gets the path prefix-compressed
 * against prev. */
static void entry(struct strbuf *b, int version, unsigned mode, const char *path,
		  const char *prev, size_t hash_len)
{
	size_t start = b->len, i, same = 0;
	unsigned flags = (unsigned)strlen(path);

	for (i = 0; i < 6; i++)
		put32(b, 0);              /* ctime, mtime, dev, ino */
	put32(b, mode);
	for (i = 0; i < 3; i++)
		put32(b, 0);              /* uid, gid, size */
	for (i = 0; i < hash_len; i++)
		strbuf_addch(b, 'h');
	strbuf_addch(b, (char)(flags >> 8));
	strbuf_addch(b, (char)flags);
	if (version == 4) {
		while (prev && prev[same] && prev[same] == path[same])
			same++;
		strbuf_addch(b, (char)(prev ? strlen(prev) - same : 0));
		strbuf_addstr(b, path + same);
		strbuf_addch(b, '\0');
		return;
	}
	strbuf_addstr(b, path);
	do
		strbuf_addch(b, '\0');
	while ((b->len - start) % 8);
}

static void index_case(int version, size_t hash_len)
{
	cleanup_strbuf struct strbuf b = STRBUF_INIT;
	struct strvec out = STRVEC_INIT;

	strbuf_addstr(&b, "DIRC");
	put32(&b, (unsigned)version);
	put32(&b, 4);
	entry(&b, version, 0100644, "README", NULL, hash_len);
	entry(&b, version, 0160000, "vendor/lib", "README", hash_len);
	entry(&b, version, 0100755, "vendor/lib2/x", "vendor/lib", hash_len);
	entry(&b, version, 0160000, "vendor/libs", "vendor/lib2/x", hash_len);
	ok(gitrepo_index_gitlinks((const unsigned char *)b.buf, b.len, hash_len, &out) == 0,
	   "index v%d, %zu-byte names: parsed", version, hash_len);
	ok(out.nr == 2 && !strcmp(out.v[0], "vendor/lib") && !strcmp(out.v[1], "vendor/libs"),
	   "index v%d, %zu-byte names: the two gitlinks, and only them (%zu found)", version,
	   hash_len, out.nr);
	strvec_clear(&out);
	ok(gitrepo_index_gitlinks((const unsigned char *)b.buf, b.len - 3, hash_len, &out) < 0,
	   "index v%d: cut short, refused", version);
	strvec_clear(&out);
}

int main(void)
{
	struct strvec out = STRVEC_INIT;

	config_is("[core]\n\thooksPath = .githooks\n", "core", "hookspath", ".githooks",
		  "a plain value");
	config_is("[Core]\nHOOKSPATH=a\n[core]\nhookspath = b # comment\n", "core", "hookspath",
		  "b", "sections and keys in any case; the last one wins; a comment ends the value");
	config_is("[core]\n\thooksPath = \"my hooks\" ; c\n", "core", "hookspath", "my hooks",
		  "a quoted value keeps its blanks");
	config_is("[core]\n\thooksPath = a\\\nb\n", "core", "hookspath", "ab",
		  "a backslash-newline continues the value");
	config_is("[core]\n\thooksPath = \"x\\\"y\"\n", "core", "hookspath", "x\"y",
		  "an escaped quote");
	config_is("[submodule \"lib\"]\n\tpath = lib\n[core]\n\tworktree = ../..\n", "core", "worktree",
		  "../..", "a subsection does not leak into the next section");
	config_is("[submodule \"Lib\"]\n\tpath = lib\n", "submodule.Lib", "path", "lib",
		  "a subsection keeps its case");
	config_is("[core]\n\tbare\n", "core", "bare", "true", "a key alone is true");
	config_is("[core]\n# hooksPath = no\n", "core", "hookspath", NULL, "a comment line is no value");
	config_is("[extensions]\n\tobjectFormat = sha256\n", "extensions", "objectformat", "sha256",
		  "extensions.objectFormat");

	index_case(2, 20);
	index_case(3, 20);
	index_case(4, 20);
	index_case(2, 32);
	ok(gitrepo_index_gitlinks((const unsigned char *)"DIRX\0\0\0\2\0\0\0\0", 12, 20, &out) < 0,
	   "not an index: refused");
	strvec_clear(&out);
	return done_testing();
}
