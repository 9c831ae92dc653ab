/* dbus.c - one method call on the caller's session bus (dbus.h). */
#include "dbus.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/* Header fields (the D-Bus specification, "Message Format"). */
enum {
	FIELD_PATH = 1,
	FIELD_INTERFACE = 2,
	FIELD_MEMBER = 3,
	FIELD_ERROR_NAME = 4,
	FIELD_REPLY_SERIAL = 5,
	FIELD_DESTINATION = 6,
	FIELD_SIGNATURE = 8,
};

#define HELLO_SERIAL 1u
#define CALL_SERIAL 2u

/* ---- marshalling: little-endian, aligned from the buffer's start ---- */

static void pad_to(struct strbuf *b, size_t align)
{
	while (b->len % align)
		strbuf_addch(b, '\0');
}

void dbus_put_u32(struct strbuf *b, uint32_t v)
{
	unsigned char le[4] = { (unsigned char)v, (unsigned char)(v >> 8),
				(unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	pad_to(b, 4);
	strbuf_add(b, le, sizeof(le));
}

void dbus_put_string(struct strbuf *b, const char *s)
{
	size_t n = strlen(s);

	dbus_put_u32(b, (uint32_t)n);
	strbuf_add(b, s, n + 1);
}

static void put_signature(struct strbuf *b, const char *s)
{
	size_t n = strlen(s);

	strbuf_addch(b, (char)n);
	strbuf_add(b, s, n + 1);
}

void dbus_put_empty_dict(struct strbuf *b)
{
	dbus_put_u32(b, 0);
	pad_to(b, 8);	/* dict entries align to 8, even when there are none */
}

static void put_field(struct strbuf *b, uint8_t code, const char *type, const char *value)
{
	pad_to(b, 8);
	strbuf_addch(b, (char)code);
	put_signature(b, type);
	if (type[0] == 'g')
		put_signature(b, value);
	else
		dbus_put_string(b, value);
}

void dbus_method_call(struct strbuf *out, uint32_t serial, const char *dest,
		      const char *path, const char *iface, const char *member,
		      const char *signature, const struct strbuf *body)
{
	cleanup_strbuf struct strbuf m = STRBUF_INIT;
	uint32_t fields;

	strbuf_add(&m, "l\1\0\1", 4);
	dbus_put_u32(&m, body ? (uint32_t)body->len : 0);
	dbus_put_u32(&m, serial);
	dbus_put_u32(&m, 0);	/* the fields' length, below */
	put_field(&m, FIELD_PATH, "o", path);
	if (iface)
		put_field(&m, FIELD_INTERFACE, "s", iface);
	put_field(&m, FIELD_MEMBER, "s", member);
	put_field(&m, FIELD_DESTINATION, "s", dest);
	if (signature && signature[0])
		put_field(&m, FIELD_SIGNATURE, "g", signature);
	fields = (uint32_t)(m.len - 16);
	m.buf[12] = (char)fields;
	m.buf[13] = (char)(fields >> 8);
	m.buf[14] = (char)(fields >> 16);
	m.buf[15] = (char)(fields >> 24);
	pad_to(&m, 8);
	if (body)
		strbuf_add(&m, body->buf, body->len);
	strbuf_add(out, m.buf, m.len);
}

/* ---- parsing a reply ---- */

struct reader {
	const unsigned char *p;
	size_t len, off;
	bool big;
};

static int read_align(struct reader *r, size_t align)
{
	size_t off = (r->off + align - 1) / align * align;

	if (off > r->len)
		return -1;
	r->off = off;
	return 0;
}

static int read_u32(struct reader *r, uint32_t *v)
{
	const unsigned char *q;

	if (read_align(r, 4) < 0 || r->len - r->off < 4)
		return -1;
	q = r->p + r->off;
	*v = r->big ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]
		    : (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0];
	r->off += 4;
	return 0;
}

/* A string ('s', 'o': u32 length) or a signature ('g': one byte), with
 * its terminating NUL checked. */
static int read_string(struct reader *r, bool sig, const char **s, size_t *n)
{
	uint32_t len;

	if (sig) {
		if (r->off >= r->len)
			return -1;
		len = r->p[r->off++];
	} else if (read_u32(r, &len) < 0) {
		return -1;
	}
	if (len >= r->len - r->off || r->p[r->off + len] != '\0')
		return -1;
	*s = (const char *)r->p + r->off;
	*n = len;
	r->off += (size_t)len + 1;
	return 0;
}

/* Skip a value of the basic type t. */
static int skip_basic(struct reader *r, char t)
{
	const char *s;
	size_t n, size;

	switch (t) {
	case 's': case 'o':
		return read_string(r, false, &s, &n);
	case 'g':
		return read_string(r, true, &s, &n);
	case 'y':
		size = 1;
		break;
	case 'n': case 'q':
		size = 2;
		break;
	case 'b': case 'i': case 'u': case 'h':
		size = 4;
		break;
	case 'x': case 't': case 'd':
		size = 8;
		break;
	default:
		return -1;
	}
	if (read_align(r, size) < 0 || r->len - r->off < size)
		return -1;
	r->off += size;
	return 0;
}

int dbus_parse_message(const unsigned char *buf, size_t len, struct dbus_header *h,
		       size_t *size, struct strbuf *err)
{
	struct reader r = { buf, len, 0, false };
	uint32_t body, fields;
	size_t end, total;

	memset(h, 0, sizeof(*h));
	if (len < 16)
		return 0;
	if (buf[0] != 'l' && buf[0] != 'B') {
		strbuf_addstr(err, "the bus sent a message of unknown byte order");
		return -1;
	}
	r.big = buf[0] == 'B';
	h->type = buf[1];
	r.off = 4;
	read_u32(&r, &body);
	read_u32(&r, &h->serial);
	read_u32(&r, &fields);
	if (fields > DBUS_MAX_MESSAGE || body > DBUS_MAX_MESSAGE) {
		strbuf_addstr(err, "the bus sent a message larger than we take");
		return -1;
	}
	end = 16 + (size_t)fields;
	total = (end + 7) / 8 * 8 + body;
	if (total > DBUS_MAX_MESSAGE) {
		strbuf_addstr(err, "the bus sent a message larger than we take");
		return -1;
	}
	if (len < total)
		return 0;
	r.len = end;
	while (r.off < end) {
		const char *sig, *s;
		size_t n, sn;
		uint8_t code;

		if (read_align(&r, 8) < 0 || r.off >= end)
			break;	/* padding up to the end of the fields */
		code = r.p[r.off++];
		if (read_string(&r, true, &sig, &sn) < 0 || sn != 1)
			goto bad;
		if (code == FIELD_REPLY_SERIAL && sig[0] == 'u') {
			if (read_u32(&r, &h->reply_serial) < 0)
				goto bad;
		} else if (code == FIELD_ERROR_NAME && sig[0] == 's') {
			if (read_string(&r, false, &s, &n) < 0)
				goto bad;
			snprintf(h->error_name, sizeof(h->error_name), "%.*s", (int)n, s);
		} else if (skip_basic(&r, sig[0]) < 0) {
			goto bad;
		}
	}
	*size = total;
	return 1;
bad:
	strbuf_addstr(err, "the bus sent a malformed message header");
	return -1;
}

/* ---- the address ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* value (n bytes, %-escaped) into out; -1 when an escape is broken. */
static int unescape(const char *value, size_t n, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (value[i] != '%') {
			strbuf_addch(out, value[i]);
			continue;
		}
		if (i + 2 >= n || hexval(value[i + 1]) < 0 || hexval(value[i + 2]) < 0)
			return -1;
		strbuf_addch(out, (char)(hexval(value[i + 1]) << 4 | hexval(value[i + 2])));
		i += 2;
	}
	return 0;
}

/* One entry, "unix:k=v,k=v": the path or abstract name, or -1. */
static int parse_entry(const char *e, size_t n, struct sockaddr_un *sa, socklen_t *len)
{
	const char *p = e + 5, *end = e + n;

	if (n < 5 || strncmp(e, "unix:", 5))
		return -1;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		cleanup_strbuf struct strbuf v = STRBUF_INIT;
		bool abstract;

		if (eq && ((abstract = eq - p == 8 && !strncmp(p, "abstract", 8)) ||
			   (eq - p == 4 && !strncmp(p, "path", 4)))) {
			if (unescape(eq + 1, (size_t)(stop - eq - 1), &v) < 0 || !v.len ||
			    memchr(v.buf, '\0', v.len) || v.len + 1 > sizeof(sa->sun_path))
				return -1;
			memset(sa, 0, sizeof(*sa));
			sa->sun_family = AF_UNIX;
			memcpy(sa->sun_path + abstract, v.buf, v.len);
			*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract + v.len +
					   !abstract);
			return 0;
		}
		p = stop + 1;
	}
	return -1;
}

int dbus_address_parse(const char *address, struct sockaddr_un *sa, socklen_t *len,
		       struct strbuf *err)
{
	const char *e = address;

	while (*e) {
		size_t n = strcspn(e, ";");

		if (parse_entry(e, n, sa, len) == 0)
			return 0;
		e += n + (e[n] == ';');
	}
	strbuf_addstr(err, "the session bus address has no unix socket we can use");
	return -1;
}

/* ---- the call ---- */

void dbus_call_init(struct dbus_call *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	strbuf_init(&c->out, 0);
	strbuf_init(&c->in, 0);
	strbuf_init(&c->messages, 0);
}

void dbus_call_release(struct dbus_call *c)
{
	if (c->fd >= 0)
		close(c->fd);
	strbuf_release(&c->out);
	strbuf_release(&c->in);
	strbuf_release(&c->messages);
	free(c->error);
	dbus_call_init(c);
}

int dbus_call_start(struct dbus_call *c, const char *address, uid_t uid,
		    const char *dest, const char *path, const char *iface,
		    const char *member, const char *signature, const struct strbuf *body,
		    struct strbuf *err)
{
	struct sockaddr_un sa;
	socklen_t len;
	char id[32];
	size_t i;

	if (dbus_address_parse(address, &sa, &len, err) < 0)
		return -1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, len) < 0) {
		strbuf_addf(err, "cannot connect to the session bus: %s", strerror(errno));
		return -1;
	}
	/* SASL EXTERNAL: the credentials byte, our uid in hex digits. */
	snprintf(id, sizeof(id), "%u", (unsigned)uid);
	strbuf_add(&c->out, "\0AUTH EXTERNAL ", 15);
	for (i = 0; id[i]; i++)
		strbuf_addf(&c->out, "%02x", (unsigned char)id[i]);
	strbuf_addstr(&c->out, "\r\n");
	strbuf_addstr(&c->messages, "BEGIN\r\n");
	dbus_method_call(&c->messages, HELLO_SERIAL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			 "org.freedesktop.DBus", "Hello", NULL, NULL);
	dbus_method_call(&c->messages, CALL_SERIAL, dest, path, iface, member, signature, body);
	c->state = DBUS_AUTH;
	return 0;
}

uint32_t dbus_call_events(const struct dbus_call *c)
{
	return EPOLLIN | (c->out_off < c->out.len ? EPOLLOUT : 0);
}

static int flush_out(struct dbus_call *c, struct strbuf *err)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			strbuf_addf(err, "cannot write to the session bus: %s", strerror(errno));
			return -1;
		}
		c->out_off += (size_t)n;
	}
	strbuf_reset(&c->out);
	c->out_off = 0;
	return 0;
}

/* Read what there is; 1 at the end of the stream. */
static int fill_in(struct dbus_call *c, struct strbuf *err)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			strbuf_addf(err, "cannot read from the session bus: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 1;
		c->read_total += (size_t)n;
		if (c->read_total > DBUS_MAX_READ) {
			strbuf_addstr(err, "the session bus sent more than we take");
			return -1;
		}
		strbuf_add(&c->in, buf, (size_t)n);
	}
}

static void consume(struct strbuf *b, size_t n)
{
	memmove(b->buf, b->buf + n, b->len - n);
	strbuf_setlen(b, b->len - n);
}

/* AUTH: the server's line, "OK <guid>" or a refusal. */
static int on_auth(struct dbus_call *c, struct strbuf *err)
{
	char *nl = memchr(c->in.buf, '\n', c->in.len);
	size_t n;

	if (!nl) {
		if (c->in.len > 512) {
			strbuf_addstr(err, "the session bus sent an overlong line");
			return -1;
		}
		return 0;
	}
	n = (size_t)(nl - c->in.buf) + 1;
	if (n < 4 || strncmp(c->in.buf, "OK ", 3)) {
		strbuf_addstr(err, "the session bus refused our credentials");
		return -1;
	}
	consume(&c->in, n);
	strbuf_add(&c->out, c->messages.buf, c->messages.len);
	c->state = DBUS_CALL;
	return 1;
}

/* CALL: messages until the reply to ours. */
static int on_messages(struct dbus_call *c, struct strbuf *err)
{
	for (;;) {
		struct dbus_header h;
		size_t size;
		int r = dbus_parse_message((const unsigned char *)c->in.buf, c->in.len, &h, &size, err);

		if (r <= 0)
			return r;
		consume(&c->in, size);
		if ((h.type != DBUS_METHOD_RETURN && h.type != DBUS_ERROR) || !h.reply_serial)
			continue;	/* a signal (NameAcquired), or other noise */
		if (h.reply_serial == HELLO_SERIAL && h.type == DBUS_ERROR) {
			strbuf_addf(err, "the session bus refused Hello: %s", h.error_name);
			return -1;
		}
		if (h.reply_serial != CALL_SERIAL)
			continue;
		if (h.type == DBUS_ERROR)
			c->error = xstrdup(h.error_name[0] ? h.error_name : "an unnamed error");
		c->state = DBUS_DONE;
		return 1;
	}
}

int dbus_call_io(struct dbus_call *c, struct strbuf *err)
{
	int eof, r;

	if (c->state == DBUS_DONE)
		return 1;
	if (flush_out(c, err) < 0 || (eof = fill_in(c, err)) < 0)
		return -1;
	do {
		r = c->state == DBUS_AUTH ? on_auth(c, err) : on_messages(c, err);
		if (r < 0)
			return -1;
		if (c->state == DBUS_DONE)
			return 1;
	} while (r > 0 && c->state == DBUS_CALL && c->in.len);
	if (flush_out(c, err) < 0)
		return -1;
	if (eof) {
		strbuf_addstr(err, "the session bus closed the connection before the reply");
		return -1;
	}
	return 0;
}
