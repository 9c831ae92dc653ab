/* dbus.h - one method call on the caller's session bus, without libdbus.
 *
 * The launcher opens links through the desktop portal
 * (org.freedesktop.portal.OpenURI.OpenURI) on the caller's session bus
 * (links.h). This is the least of D-Bus that takes: a unix socket (a path
 * or an abstract name), the SASL EXTERNAL handshake, Hello, one method
 * call, and its reply. It never blocks: the launcher's event loop drives
 * it (dbus_call_io when the socket is ready) and gives it a deadline.
 *
 * What MUST hold:
 *  1. Only the bus the caller's environment names, over a unix transport;
 *     nothing of it reaches a sandbox (the launcher talks, not the
 *     sandbox).
 *  2. Every length the bus sends is checked before use: a message larger
 *     than DBUS_MAX_MESSAGE, or more than DBUS_MAX_READ bytes in all, ends
 *     the call as failed.
 *  3. Every read and write is non-blocking.
 */
#ifndef SV_DBUS_H
#define SV_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include "strbuf.h"

#define DBUS_MAX_MESSAGE (1u << 20)
#define DBUS_MAX_READ (4u << 20)

enum dbus_msg_type {
	DBUS_METHOD_CALL = 1,
	DBUS_METHOD_RETURN = 2,
	DBUS_ERROR = 3,
	DBUS_SIGNAL = 4,
};

enum dbus_state {
	DBUS_AUTH,           /* AUTH EXTERNAL sent, waiting for OK */
	DBUS_CALL,           /* Hello and the call sent, waiting for the reply */
	DBUS_DONE,
};

struct dbus_call {
	int fd;
	enum dbus_state state;
	struct strbuf out;       /* to write, from out_off */
	size_t out_off;
	struct strbuf in;        /* read, not parsed yet */
	size_t read_total;
	struct strbuf messages;  /* Hello and the call: sent after BEGIN */
	char *error;             /* the reply's error name, or NULL */
};

/* The body of a call: marshalled in order, aligned from the body's start. */
void dbus_put_u32(struct strbuf *b, uint32_t v);
void dbus_put_string(struct strbuf *b, const char *s);
/* An empty array of dict entries (a{sv}, a{ss}, ...). */
void dbus_put_empty_dict(struct strbuf *b);

/* Append one METHOD_CALL message (little-endian) to out. */
void dbus_method_call(struct strbuf *out, uint32_t serial, const char *dest,
		      const char *path, const char *iface, const char *member,
		      const char *signature, const struct strbuf *body);

/* What dbus_parse_message found in one message. */
struct dbus_header {
	uint8_t type;            /* enum dbus_msg_type */
	uint32_t serial;
	uint32_t reply_serial;   /* 0: none */
	char error_name[256];    /* "" when none (longer names are cut) */
};

/* Parse the message at the start of buf: 1 with *size its length, 0 when
 * buf holds only part of one, -1 (with err) when it is malformed or larger
 * than DBUS_MAX_MESSAGE. */
int dbus_parse_message(const unsigned char *buf, size_t len, struct dbus_header *h,
		       size_t *size, struct strbuf *err);

/* The sockaddr of the first unix entry of a D-Bus address
 * ("unix:path=/run/user/1000/bus", "unix:abstract=/tmp/dbus-x,guid=...",
 * entries separated by ';', values %-escaped). Returns -1 with err when
 * there is none. */
int dbus_address_parse(const char *address, struct sockaddr_un *sa, socklen_t *len,
		       struct strbuf *err);

/* Connect to the bus at address (non-blocking) as uid, and queue the
 * handshake, Hello, and the call (serial 2) described by the arguments.
 * Returns 0 (c->fd is the socket to watch), or -1 with err. */
int dbus_call_start(struct dbus_call *c, const char *address, uid_t uid,
		    const char *dest, const char *path, const char *iface,
		    const char *member, const char *signature, const struct strbuf *body,
		    struct strbuf *err);
/* The events to wait for: EPOLLIN, and EPOLLOUT while there is output. */
uint32_t dbus_call_events(const struct dbus_call *c);
/* Go as far as the socket allows: 0 to wait for more, 1 when the reply
 * has come (c->error is NULL for a method return, else the error's name),
 * -1 with err when the call failed. */
int dbus_call_io(struct dbus_call *c, struct strbuf *err);
void dbus_call_init(struct dbus_call *c);
void dbus_call_release(struct dbus_call *c);

#endif
