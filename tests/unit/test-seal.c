/* test-seal.c - the seals of the state's files (seal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "util.h"
#include "tap.h"

/* The reference vectors (SipHash's vectors.h, vectors_sip128): key 00..0f,
 * message 00..(n-1). */
static void test_vectors(void)
{
	static const struct {
		size_t len;
		unsigned char out[16];
	} v[] = {
		{ 0, { 0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
		       0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93 } },
		{ 1, { 0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44,
		       0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45 } },
		{ 15, { 0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11,
			0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9 } },
	};
	unsigned char key[16], msg[64], out[16];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		siphash128(key, msg, v[i].len, out);
		ok(!memcmp(out, v[i].out, 16), "SipHash-2-4-128 of %zu bytes: the reference value",
		   v[i].len);
	}
}

static void test_seal(void)
{
	static const struct seal_key key = { "0123456789abcdef" }, other = { "0123456789abcdeF" };
	static const char body[] = "sandbox-venv 1\nvenv /p/.venv\n";
	cleanup_strbuf struct strbuf t = STRBUF_INIT;
	cleanup_strbuf struct strbuf c = STRBUF_INIT;

	strbuf_addstr(&t, body);
	seal_add(&key, "/p/.venv policy", &t);
	ok(t.len == strlen(body) + SEAL_TRAILER_LEN && !strncmp(t.buf + strlen(body), "seal ", 5),
	   "a seal is one line at the end");
	strbuf_add(&c, t.buf, t.len);
	ok(seal_check(&key, "/p/.venv policy", &c) == 0 && !strcmp(c.buf, body),
	   "the seal holds and comes off");

	strbuf_reset(&c);
	strbuf_add(&c, t.buf, t.len);
	ok(seal_check(&other, "/p/.venv policy", &c) < 0 && errno == EBADMSG && c.len == t.len,
	   "another key: refused (EBADMSG), the text left as it was");
	strbuf_reset(&c);
	strbuf_add(&c, t.buf, t.len);
	ok(seal_check(&key, "/q/.venv policy", &c) < 0, "another venv's file: refused");
	strbuf_reset(&c);
	strbuf_add(&c, t.buf, t.len);
	c.buf[3] ^= 1;
	ok(seal_check(&key, "/p/.venv policy", &c) < 0, "one byte changed: refused");
	strbuf_reset(&c);
	strbuf_addstr(&c, body);
	ok(seal_check(&key, "/p/.venv policy", &c) < 0, "no seal: refused");
	strbuf_reset(&c);
	strbuf_add(&c, t.buf, t.len - 1);
	ok(seal_check(&key, "/p/.venv policy", &c) < 0, "a seal cut short: refused");
	strbuf_reset(&c);
	ok(seal_check(&key, "/p/.venv policy", &c) < 0, "an empty file: refused");
	strbuf_reset(&c);
	strbuf_add(&c, t.buf, t.len);
	for (size_t i = t.len - 33; i < t.len - 1; i++)
		if (c.buf[i] >= 'a')
			c.buf[i] = (char)(c.buf[i] - 'a' + 'A');
	ok(seal_check(&key, "/p/.venv policy", &c) < 0 || !strpbrk(t.buf + t.len - 33, "abcdef"),
	   "the seal's digits in capitals: refused (one spelling)");
}

static void test_key(void)
{
	char tmpl[] = "/tmp/test-seal.XXXXXX";
	char *dir = mkdtemp(tmpl);
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	struct seal_key a, b;
	struct stat st;

	if (fd < 0) {
		skip("no temporary directory");
		return;
	}
	ok(seal_key_load_at(fd, geteuid(), false, &a, &err) < 0, "no key, and none made: an error");
	ok(seal_key_load_at(fd, geteuid(), true, &a, &err) == 0 &&
	   fstatat(fd, SEAL_FILE, &st, 0) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 33,
	   "a key is made: 32 digits, mode 0600");
	ok(seal_key_load_at(fd, geteuid(), true, &b, &err) == 0 && !memcmp(a.k, b.k, sizeof(a.k)),
	   "and the same key is read next time");
	strbuf_reset(&err);
	ok(fchmodat(fd, SEAL_FILE, 0644, 0) == 0 &&
	   seal_key_load_at(fd, geteuid(), false, &b, &err) < 0 && err.len,
	   "a key others can read is refused: %s", err.buf);
	ok(fchmodat(fd, SEAL_FILE, 0600, 0) == 0 &&
	   seal_key_load_at(fd, geteuid() + 1, false, &b, &err) < 0,
	   "a key that is not the owner's is refused");
	unlinkat(fd, SEAL_FILE, 0);
	ok(symlinkat("/etc/hostname", fd, SEAL_FILE) == 0 &&
	   seal_key_load_at(fd, geteuid(), true, &b, &err) < 0, "a key that is a symlink is refused");
	unlinkat(fd, SEAL_FILE, 0);
	close(fd);
	rmdir(dir);
}

int main(void)
{
	test_vectors();
	test_seal();
	test_key();
	return done_testing();
}
