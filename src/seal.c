/* seal.c - proof that a file in a venv's state was written on the host. */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t load64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void store64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static void sipround(uint64_t v[4], int n)
{
	while (n-- > 0) {
		v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
		v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
		v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
		v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
	}
}

void siphash128(const unsigned char key[SEAL_KEY_BYTES], const void *data, size_t len,
		unsigned char out[16])
{
	const unsigned char *in = data, *end = in + len - len % 8;
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t v[4] = { 0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
			  0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1 };
	unsigned char last[8] = { 0 };
	uint64_t m;

	v[1] ^= 0xee;
	for (; in != end; in += 8) {
		m = load64(in);
		v[3] ^= m;
		sipround(v, 2);
		v[0] ^= m;
	}
	memcpy(last, in, len % 8);
	m = load64(last) | (uint64_t)len << 56;
	v[3] ^= m;
	sipround(v, 2);
	v[0] ^= m;
	v[2] ^= 0xee;
	sipround(v, 4);
	store64(out, v[0] ^ v[1] ^ v[2] ^ v[3]);
	v[1] ^= 0xdd;
	sipround(v, 4);
	store64(out + 8, v[0] ^ v[1] ^ v[2] ^ v[3]);
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int unhex(const char *s, unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		const char *d = strchr("0123456789abcdef", s[i]);

		if (!s[i] || !d)
			return -1;
		if (i % 2 == 0)
			b[i / 2] = (unsigned char)((d - "0123456789abcdef") << 4);
		else
			b[i / 2] |= (unsigned char)(d - "0123456789abcdef");
	}
	return 0;
}

/* The seal of data for scope, as its 32 digits. */
static void seal_of(const struct seal_key *key, const char *scope, const char *data,
		    size_t len, char out[33])
{
	cleanup_strbuf struct strbuf msg = STRBUF_INIT;
	unsigned char tag[16];

	strbuf_addstr(&msg, scope);
	strbuf_addch(&msg, '\0');
	strbuf_add(&msg, data, len);
	siphash128(key->k, msg.buf, msg.len, tag);
	hex(tag, sizeof(tag), out);
}

void seal_add(const struct seal_key *key, const char *scope, struct strbuf *text)
{
	char digits[33];

	seal_of(key, scope, text->buf, text->len, digits);
	strbuf_addf(text, SEAL_TAG "%s\n", digits);
}

int seal_check(const struct seal_key *key, const char *scope, struct strbuf *text)
{
	char want[33];
	unsigned char a[16], b[16];
	volatile unsigned char diff = 0;
	size_t body, i;

	if (text->len < SEAL_TRAILER_LEN)
		goto bad;
	body = text->len - SEAL_TRAILER_LEN;
	if (memcmp(text->buf + body, SEAL_TAG, 5) ||
	    text->buf[text->len - 1] != '\n' || unhex(text->buf + body + 5, a, sizeof(a)) < 0)
		goto bad;
	seal_of(key, scope, text->buf, body, want);
	unhex(want, b, sizeof(b));
	for (i = 0; i < sizeof(a); i++)
		diff |= a[i] ^ b[i];
	if (diff)
		goto bad;
	strbuf_setlen(text, body);
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

/* A key file: 32 digits and a newline, a regular file of owner's, not
 * open to others. */
static int read_key(int dirfd, uid_t owner, struct seal_key *key, struct strbuf *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_fd int fd = openat(dirfd, SEAL_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != owner ||
	    (st.st_mode & 077)) {
		strbuf_addf(err, "the key '%s' is not a file of its owner's alone (mode 0600)",
			    SEAL_FILE);
		errno = EPERM;
		return -1;
	}
	if (fs_read_fd(fd, 64, &text, SEAL_FILE, err) < 0)
		return -1;
	if (text.len != 2 * SEAL_KEY_BYTES + 1 || text.buf[text.len - 1] != '\n' ||
	    unhex(text.buf, key->k, sizeof(key->k)) < 0) {
		strbuf_addf(err, "the key '%s' is damaged", SEAL_FILE);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

/* A new random key under a temporary name, then linked as the key: of
 * two callers at once, the first link wins and both use its key. */
static int make_key(int dirfd, struct strbuf *err)
{
	cleanup_free char *hex = random_hex();
	cleanup_free char *text = xasprintf("%s\n", hex);
	char tmp[64];
	cleanup_fd int fd = -1;
	int ok;

	snprintf(tmp, sizeof(tmp), ".%s.%d", SEAL_FILE, (int)getpid());
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0 &&
	     (linkat(dirfd, tmp, dirfd, SEAL_FILE, 0) == 0 || errno == EEXIST);
	if (!ok)
		strbuf_addf(err, "cannot write the key '%s': %s", SEAL_FILE, strerror(errno));
	if (fd >= 0)
		unlinkat(dirfd, tmp, 0);
	return ok ? 0 : -1;
}

int seal_key_load_at(int dirfd, uid_t owner, bool create, struct seal_key *key,
		     struct strbuf *err)
{
	if (read_key(dirfd, owner, key, err) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	if (!create) {
		strbuf_addf(err, "there is no key '%s'", SEAL_FILE);
		return -1;
	}
	if (make_key(dirfd, err) < 0 || read_key(dirfd, owner, key, err) < 0)
		return -1;
	return 0;
}
