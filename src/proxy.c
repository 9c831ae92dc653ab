/* proxy.c - the HTTP CONNECT proxy of --network=allow= (rules: proxy.h).
 *
 * A connection goes through these states, each with a small handler:
 *
 *   HEADER      read the CONNECT header (PROXY_HEADER_MS)
 *   QUEUED      wait for a free resolver               \
 *   RESOLVING   a resolver child looks the name up      } PROXY_CONNECT_MS
 *   CONNECTING  connect to the vetted addresses in turn /
 *   HELLO       port 443: "200" sent, read the ClientHello (PROXY_HELLO_MS)
 *   RELAY       both ways, half-close, backpressure (no deadline)
 *   LINGER      an error reply sent, the rest of the request read and
 *               dropped so that the reply is not lost to a reset
 *               (PROXY_LINGER_MS)
 *
 * Sockets are edge-triggered: a handler records what became possible and
 * pump() moves bytes until nothing more can move.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define PROXY_MAX_ADDRS 16
#define PROXY_ACCEPT_BATCH 64
#define PROXY_PAUSE_MS 100           /* out of descriptors: accept later */
#define CONN_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

static bool str_has_prefix_n(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

/* ---- the launcher: state ---- */

/* An intrusive circular list; a head is a link to itself when empty. */
struct link {
	struct link *prev, *next;
};
#define LINK_ENTRY(l, type, member) ((type *)(void *)((char *)(l) - offsetof(type, member)))

static void link_init(struct link *head)
{
	head->prev = head->next = head;
}

static bool link_empty(const struct link *head)
{
	return head->next == head;
}

/* Add l at the end of head's list. */
static void link_add(struct link *head, struct link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static void link_del(struct link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	link_init(l);
}

/* One direction's bytes in transit: first in data (the header, the
 * ClientHello, the "200"), then, once relaying, in a pipe, moved by
 * splice() without a copy through the launcher. */
struct buf {
	char *data;             /* PROXY_BUF bytes, or NULL until needed */
	size_t start, end;      /* the bytes of data not yet written */
	int pipe[2];            /* RELAY: a pipe of PROXY_PIPE bytes, or -1 */
	size_t piped;           /* the bytes in it */
};

struct side {
	int fd;
	bool can_read, can_write;   /* until EAGAIN (edge-triggered) */
	bool eof;                   /* read 0 */
	bool shut;                  /* shutdown(SHUT_WR) done */
};

enum conn_state {
	CONN_HEADER,
	CONN_QUEUED,
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_HELLO,
	CONN_RELAY,
	CONN_LINGER,
};

struct resolver;

struct conn {
	struct proxy *px;
	struct link all;                /* in px->conns */
	struct link queued;             /* in px->queue, when QUEUED */
	enum conn_state state;
	struct side cl, up;             /* the client (inside), the server */
	struct buf to_up, to_cl;
	struct evloop_timer timer;
	struct net_request req;
	const struct net_entry *entry;
	struct net_addr addrs[PROXY_MAX_ADDRS];
	size_t nr_addrs, next_addr;
	struct resolver *res;
};

/* What a resolver child writes to its pipe: atomic (< PIPE_BUF). */
struct resolve_msg {
	int32_t status;                 /* getaddrinfo's, 0: found */
	uint32_t nr;
	struct net_addr addrs[PROXY_MAX_ADDRS];
};

struct resolver {
	struct proxy *px;
	struct link all;                /* in px->resolvers */
	pid_t pid;
	int pidfd, rd;
	struct conn *conn;              /* NULL once abandoned */
};

struct proxy {
	struct evloop *loop;
	const struct proxy_config *cfg;
	int sock;                       /* until the listeners arrive */
	int listeners[2];
	size_t nr_listeners;
	struct link conns;
	size_t nr_conns, max_conns;
	struct link queue;              /* waiting for a resolver, oldest first */
	struct link resolvers;
	size_t nr_resolvers;
	struct evloop_timer pause;
	uint64_t log_second;
	unsigned log_lines, log_dropped;
};

/* ---- messages (rule 3) ---- */

ATTR_PRINTF(2, 3)
static void say(struct proxy *px, const char *fmt, ...)
{
	uint64_t second = evloop_now_ms() / 1000;
	va_list ap;

	if (second != px->log_second) {
		if (px->log_dropped)
			fprintf(stderr, PROG ": network: %u more lines not shown\n", px->log_dropped);
		px->log_second = second;
		px->log_lines = px->log_dropped = 0;
	}
	if (px->log_lines++ >= PROXY_LOG_PER_SEC) {
		px->log_dropped++;
		return;
	}
	fputs(PROG ": network: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* HOST:PORT as the policy saw it. */
static void target(const struct conn *c, char *out, size_t size)
{
	snprintf(out, size, c->req.host.is_addr && strchr(c->req.host.name, ':') ? "[%s]:%u" :
		 "%s:%u", c->req.host.name, c->req.port);
}

/* ---- connections: the end ---- */

static void side_close(struct proxy *px, struct side *s, bool reset)
{
	if (s->fd < 0)
		return;
	if (reset) {
		struct linger lg = { 1, 0 };

		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	evloop_del(px->loop, s->fd);
	close(s->fd);
	s->fd = -1;
}

static void resolver_kill(struct resolver *r);

static void conn_free(struct conn *c, bool reset)
{
	struct proxy *px = c->px;
	size_t i;

	evloop_timer_stop(px->loop, &c->timer);
	side_close(px, &c->cl, reset);
	side_close(px, &c->up, reset);
	link_del(&c->queued);
	if (c->res) {
		c->res->conn = NULL;
		resolver_kill(c->res);
	}
	free(c->to_up.data);
	free(c->to_cl.data);
	for (i = 0; i < 2; i++) {
		if (c->to_up.pipe[i] >= 0)
			close(c->to_up.pipe[i]);
		if (c->to_cl.pipe[i] >= 0)
			close(c->to_cl.pipe[i]);
	}
	link_del(&c->all);
	px->nr_conns--;
	free(c);
}

/* Arm c's deadline; false when c had to go (no deadline, no connection). */
static bool arm(struct conn *c, unsigned ms)
{
	if (evloop_timer_arm(c->px->loop, &c->timer, ms, NULL) == 0)
		return true;
	conn_free(c, true);
	return false;
}

/* LINGER: read and drop what the client still sends, until its end. */
static void drain(struct conn *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->cl.fd, buf, sizeof(buf), 0);

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			conn_free(c, false);
		return;
	}
}

/* An HTTP error reply, the same words on stderr, then LINGER. */
static void conn_refuse(struct conn *c, const char *status, const char *fmt, ...) ATTR_PRINTF(3, 4);
static void conn_refuse(struct conn *c, const char *status, const char *fmt, ...)
{
	struct proxy *px = c->px;
	cleanup_strbuf struct strbuf line = STRBUF_INIT;
	cleanup_strbuf struct strbuf reply = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&line, fmt, ap);
	va_end(ap);
	say(px, "%s", line.buf);
	strbuf_addf(&reply, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n" PROG ": network: %s\n", status,
		    strlen(PROG ": network: \n") + line.len, line.buf);
	side_close(px, &c->up, false);
	/* Nothing was written to the client yet: the reply fits its buffer. */
	if (send(c->cl.fd, reply.buf, reply.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ||
	    shutdown(c->cl.fd, SHUT_WR) < 0) {
		conn_free(c, false);
		return;
	}
	c->state = CONN_LINGER;
	if (arm(c, PROXY_LINGER_MS))
		drain(c);
}

/* ---- moving bytes ---- */

static bool buf_empty(const struct buf *b)
{
	return b->start == b->end;
}

static bool again(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

/* Read from src into b while there is room (backpressure: a full b reads
 * nothing). 1 when something moved, 0 when nothing could, -1 on error. */
static int fill(struct side *src, struct buf *b)
{
	ssize_t n;

	if (!src->can_read || src->eof)
		return 0;
	if (b->pipe[1] >= 0) {
		if (b->piped >= PROXY_PIPE)
			return 0;
		n = splice(src->fd, NULL, b->pipe[1], NULL, PROXY_PIPE - b->piped,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0)
			b->piped += (size_t)n;
		else if (n < 0 && again() && !b->piped)
			src->can_read = false;	/* an empty pipe: src has nothing */
	} else {
		if (b->end >= PROXY_BUF)
			return 0;
		n = recv(src->fd, b->data + b->end, PROXY_BUF - b->end, 0);
		if (n > 0)
			b->end += (size_t)n;
		else if (n < 0 && again())
			src->can_read = false;
	}
	if (n == 0)
		src->eof = true;
	if (n < 0 && !again() && errno != EINTR)
		return -1;
	return n > 0 || n == 0;
}

/* Write b to dst: data first, then the pipe. As fill(). */
static int drain_to(struct buf *b, struct side *dst)
{
	ssize_t n;

	if (!dst->can_write || (buf_empty(b) && !b->piped))
		return 0;
	if (!buf_empty(b)) {
		n = send(dst->fd, b->data + b->start, b->end - b->start, MSG_NOSIGNAL);
		if (n > 0)
			b->start += (size_t)n;
		if (buf_empty(b))
			b->start = b->end = 0;
	} else {
		n = splice(b->pipe[0], NULL, dst->fd, NULL, b->piped,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0)
			b->piped -= (size_t)n;
	}
	if (n < 0 && again())
		dst->can_write = false;
	else if (n < 0 && errno != EINTR)
		return -1;
	return n > 0;
}

/* One step from src through b to dst: 1 when something moved, 0 when
 * nothing could, -1 when a side failed. */
static int move(struct side *src, struct buf *b, struct side *dst, bool may_read, bool may_write)
{
	int r = may_read ? fill(src, b) : 0, w = r < 0 || !may_write ? 0 : drain_to(b, dst);

	if (r < 0 || w < 0)
		return -1;
	if (b->end == PROXY_BUF && b->start > 0) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	if (may_write && src->eof && buf_empty(b) && !b->piped && !dst->shut && dst->fd >= 0) {
		shutdown(dst->fd, SHUT_WR);	/* half-close: pass the end on */
		dst->shut = true;
	}
	return r || w;
}

/* RELAY: from here on, bytes go through pipes (without them, through
 * data: a launcher out of descriptors still relays). */
static void relay_start(struct conn *c)
{
	struct buf *bufs[] = { &c->to_up, &c->to_cl };
	size_t i;

	c->state = CONN_RELAY;
	evloop_timer_stop(c->px->loop, &c->timer);
	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		if (pipe2(bufs[i]->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
			bufs[i]->pipe[0] = bufs[i]->pipe[1] = -1;
			continue;
		}
		/* Fewer, larger moves; a user over its pipe quota keeps the default. */
		fcntl(bufs[i]->pipe[1], F_SETPIPE_SZ, PROXY_PIPE);
	}
}

/* Move what can move: in HELLO only the client's bytes in (held back) and
 * the "200" out; in RELAY everything. false when the connection is over
 * (and freed). */
static bool pump(struct conn *c)
{
	bool relay = c->state == CONN_RELAY;
	int a, b;

	do {
		a = move(&c->cl, &c->to_up, &c->up, true, relay);
		b = a < 0 ? -1 : move(&c->up, &c->to_cl, &c->cl, relay, true);
		if (a < 0 || b < 0) {
			conn_free(c, true);
			return false;
		}
	} while (a || b);
	if (relay && c->cl.shut && c->up.shut) {
		conn_free(c, false);	/* both ways ended */
		return false;
	}
	return true;
}

/* ---- HELLO: the first bytes on port 443 (rule 2) ---- */

static void check_hello(struct conn *c)
{
	char sni[NET_HOST_MAX + 1], t[NET_HOST_MAX + 16], shown[NET_SHOWN_MAX];
	enum net_hello r = netpolicy_parse_hello((const uint8_t *)c->to_up.data + c->to_up.start,
						 c->to_up.end - c->to_up.start, sni);

	if (r == NET_HELLO_MORE && !c->cl.eof && c->to_up.end < PROXY_BUF)
		return;
	if (r == NET_HELLO_MORE && buf_empty(&c->to_up)) {
		conn_free(c, false);	/* closed without a word: nothing to block */
		return;
	}
	target(c, t, sizeof(t));
	if (r != NET_HELLO_OK) {
		say(c->px, "blocked %s (reset: the client's first bytes are not a TLS ClientHello)", t);
		conn_free(c, true);
		return;
	}
	if (strcmp(sni, c->req.host.is_addr ? "" : c->req.host.name)) {
		netpolicy_escape(sni, strlen(sni), shown, sizeof(shown));
		say(c->px, "blocked %s (reset: the TLS server name is '%s')", t, shown[0] ? shown : "(none)");
		conn_free(c, true);
		return;
	}
	relay_start(c);
	pump(c);
}

/* ---- CONNECTING ---- */

static void tunnel_open(struct conn *c)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct proxy *px = c->px;

	if (px->cfg->verbose) {
		char t[NET_HOST_MAX + 16], a[INET6_ADDRSTRLEN];
		cleanup_strbuf struct strbuf e = STRBUF_INIT;

		target(c, t, sizeof(t));
		netpolicy_addr_format(&c->addrs[c->next_addr - 1], a, sizeof(a));
		netpolicy_format_entry(c->entry, &e);
		say(px, "allowed %s (%s; %s from %s)", t, a, e.buf, c->entry->origin);
	}
	c->to_cl.data = xmalloc(PROXY_BUF);
	memcpy(c->to_cl.data, ok, sizeof(ok) - 1);
	c->to_cl.start = 0;
	c->to_cl.end = sizeof(ok) - 1;
	if (c->req.port == 443) {
		c->state = CONN_HELLO;
		if (arm(c, PROXY_HELLO_MS) && pump(c))
			check_hello(c);
		return;
	}
	relay_start(c);
	pump(c);
}

static int on_conn(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err);

/* Connect to the next vetted address; when none is left, 502. */
static void connect_next(struct conn *c)
{
	struct proxy *px = c->px;
	char t[NET_HOST_MAX + 16];

	side_close(px, &c->up, false);
	while (c->next_addr < c->nr_addrs) {
		const struct net_addr *a = &c->addrs[c->next_addr++];
		struct sockaddr_storage ss;
		socklen_t len;
		int fd;

		memset(&ss, 0, sizeof(ss));
		if (a->family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			in->sin_family = AF_INET;
			in->sin_port = htons(c->req.port);
			memcpy(&in->sin_addr, a->a, 4);
			len = sizeof(*in);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(c->req.port);
			memcpy(&in6->sin6_addr, a->a, 16);
			len = sizeof(*in6);
		}
		fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if ((connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) ||
		    evloop_add(px->loop, fd, CONN_EVENTS, on_conn, c, NULL) < 0) {
			close(fd);
			continue;
		}
		c->up = (struct side){ fd, false, false, false, false };
		c->state = CONN_CONNECTING;
		return;
	}
	target(c, t, sizeof(t));
	conn_refuse(c, "502 Bad Gateway", "cannot connect to %s", t);
}

static void connected(struct conn *c)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (!c->up.can_write)
		return;
	if (getsockopt(c->up.fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e)
		connect_next(c);
	else
		tunnel_open(c);
}

/* ---- the addresses: vetted, then connected to (rule 1) ---- */

static void use_addrs(struct conn *c, const struct net_addr *addrs, size_t nr)
{
	char t[NET_HOST_MAX + 16], a[INET6_ADDRSTRLEN];
	size_t i;

	target(c, t, sizeof(t));
	if (!nr) {
		conn_refuse(c, "502 Bad Gateway", "cannot resolve %s", t);
		return;
	}
	/* One address the policy refuses refuses the name: it could be the
	 * one a later lookup, or the client's, would use. */
	for (i = 0; i < nr; i++) {
		struct net_addr v = addrs[i];

		netpolicy_addr_normalize(&v);
		if (!netpolicy_addr_allowed(c->px->cfg->policy, &v, c->req.port)) {
			netpolicy_addr_format(&v, a, sizeof(a));
			conn_refuse(c, "403 Forbidden", "blocked %s (%s is a %s address: not allowed "
				    "by --network unless named there)", t, a,
				    netpolicy_class_name(netpolicy_classify(&v)));
			return;
		}
		c->addrs[i] = v;
	}
	c->nr_addrs = nr;
	c->next_addr = 0;
	connect_next(c);
}

/* ---- resolvers (rule 5) ---- */

static int on_resolver(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err);
static void resolve(struct conn *c);

static void resolve_child(const char *name, int out)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct resolve_msg m;

	memset(&m, 0, sizeof(m));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	m.status = getaddrinfo(name, NULL, &hints, &res);
	for (ai = m.status ? NULL : res; ai && m.nr < PROXY_MAX_ADDRS; ai = ai->ai_next) {
		struct net_addr *a = &m.addrs[m.nr];

		memset(a, 0, sizeof(*a));
		a->family = ai->ai_family;
		if (ai->ai_family == AF_INET)
			memcpy(a->a, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		else if (ai->ai_family == AF_INET6)
			memcpy(a->a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		else
			continue;
		m.nr++;
	}
	if (write(out, &m, sizeof(m)) != (ssize_t)sizeof(m))
		_exit(1);
	_exit(0);
}

static void resolver_free(struct resolver *r)
{
	struct proxy *px = r->px;

	evloop_del(px->loop, r->pidfd);
	close(r->pidfd);
	close(r->rd);
	link_del(&r->all);
	px->nr_resolvers--;
	free(r);
}

static void resolver_kill(struct resolver *r)
{
	syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
}

/* Start a resolver for c; -1 when none can be started (c is refused). */
static int resolver_start(struct conn *c)
{
	struct proxy *px = c->px;
	struct resolver *r;
	pid_t parent = getpid();
	int p[2], pidfd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Only the pipe: no copy of a socket keeps a connection open. */
		if (dup2(p[1], 3) < 0 || syscall(SYS_close_range, 4, ~0U, 0) < 0 ||
		    prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		resolve_child(c->req.host.name, 3);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || fcntl(pidfd, F_SETFD, FD_CLOEXEC) < 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;	/* killed: at once */
		if (pidfd >= 0)
			close(pidfd);
		close(p[0]);
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	*r = (struct resolver){ px, { NULL, NULL }, pid, pidfd, p[0], c };
	if (evloop_add(px->loop, pidfd, EPOLLIN, on_resolver, r, NULL) < 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(pidfd);
		close(p[0]);
		free(r);
		return -1;
	}
	link_add(&px->resolvers, &r->all);
	px->nr_resolvers++;
	c->res = r;
	c->state = CONN_RESOLVING;
	return 0;
}

/* A resolver ended: hand its answer over, start the next in the queue. */
static int on_resolver(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct resolver *r = data;
	struct proxy *px = r->px;
	struct conn *c = r->conn;
	struct resolve_msg m;
	int st;

	(void)l;
	(void)fd;
	(void)events;
	(void)err;
	if (waitpid(r->pid, &st, WNOHANG) != r->pid)
		return 0;	/* not yet a zombie */
	if (c && (read(r->rd, &m, sizeof(m)) != (ssize_t)sizeof(m) || m.nr > PROXY_MAX_ADDRS ||
		  !WIFEXITED(st) || WEXITSTATUS(st)))
		memset(&m, 0, sizeof(m));
	if (c)
		c->res = NULL;
	resolver_free(r);
	if (c)
		use_addrs(c, m.addrs, m.status ? 0 : m.nr);
	while (!link_empty(&px->queue) && px->nr_resolvers < PROXY_MAX_RESOLVERS) {
		struct conn *next = LINK_ENTRY(px->queue.next, struct conn, queued);

		link_del(&next->queued);
		resolve(next);
	}
	return 0;
}

/* Resolve c's name now or when a resolver is free. */
static void resolve(struct conn *c)
{
	struct proxy *px = c->px;
	char t[NET_HOST_MAX + 16];

	if (px->nr_resolvers >= PROXY_MAX_RESOLVERS) {
		c->state = CONN_QUEUED;
		link_add(&px->queue, &c->queued);
		return;
	}
	if (resolver_start(c) == 0)
		return;
	target(c, t, sizeof(t));
	conn_refuse(c, "502 Bad Gateway", "cannot resolve %s: %s", t, strerror(errno));
}

/* ---- HEADER ---- */

static void request(struct conn *c)
{
	struct proxy *px = c->px;
	char t[NET_HOST_MAX + 16];
	size_t rest = c->to_up.end - c->req.header_len;

	/* Bytes after the header are the tunnel's first. */
	memmove(c->to_up.data, c->to_up.data + c->req.header_len, rest);
	c->to_up.start = 0;
	c->to_up.end = rest;
	target(c, t, sizeof(t));
	c->entry = netpolicy_match(px->cfg->policy, &c->req.host, c->req.port);
	if (!c->entry) {
		if (strcmp(t, c->req.shown))
			conn_refuse(c, "403 Forbidden", "blocked %s (asked as %s; not allowed by "
				    "--network)", t, c->req.shown);
		else
			conn_refuse(c, "403 Forbidden", "blocked %s (not allowed by --network)", t);
		return;
	}
	if (!arm(c, PROXY_CONNECT_MS))
		return;
	if (c->req.host.is_addr)
		use_addrs(c, &c->req.host.addr, 1);
	else
		resolve(c);
}

static void read_header(struct conn *c)
{
	ssize_t n;

	while (c->cl.can_read && c->to_up.end < NET_HEADER_MAX) {
		n = recv(c->cl.fd, c->to_up.data + c->to_up.end, NET_HEADER_MAX - c->to_up.end, 0);
		if (n > 0) {
			c->to_up.end += (size_t)n;
		} else if (n == 0) {
			c->cl.eof = true;
			break;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			c->cl.can_read = false;
		} else if (errno != EINTR) {
			conn_free(c, false);
			return;
		}
	}
	switch (netpolicy_parse_connect(c->to_up.data, c->to_up.end, &c->req)) {
	case NET_PARSE_MORE:
		if (c->cl.eof)
			conn_free(c, false);	/* gone before asking */
		return;
	case NET_PARSE_OK:
		request(c);
		return;
	case NET_PARSE_BAD_HOST:
		conn_refuse(c, "403 Forbidden", "blocked %s (not a host name or address)",
			    c->req.shown);
		return;
	case NET_PARSE_BAD:
		break;
	}
	if (!str_has_prefix_n(c->to_up.data, c->to_up.end, "CONNECT "))
		conn_refuse(c, "405 Method Not Allowed", "blocked a request that is not CONNECT "
			    "(only HTTPS and other tunnels pass the proxy)");
	else if (c->to_up.end >= NET_HEADER_MAX)
		conn_refuse(c, "431 Request Header Fields Too Large", "blocked a CONNECT request "
			    "longer than %d bytes", NET_HEADER_MAX);
	else
		conn_refuse(c, "400 Bad Request", "blocked a malformed CONNECT request");
}

/* ---- events and deadlines ---- */

static int on_conn(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct conn *c = data;
	struct side *s = fd == c->cl.fd ? &c->cl : &c->up;

	(void)l;
	(void)err;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		s->can_read = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		s->can_write = true;
	switch (c->state) {
	case CONN_HEADER:
		read_header(c);
		break;
	case CONN_QUEUED:
	case CONN_RESOLVING:
		if (events & (EPOLLHUP | EPOLLERR))
			conn_free(c, false);	/* the client gave up */
		break;
	case CONN_CONNECTING:
		if (s == &c->up)
			connected(c);
		else if (events & (EPOLLHUP | EPOLLERR))
			conn_free(c, false);
		break;
	case CONN_HELLO:
		if (pump(c))
			check_hello(c);
		break;
	case CONN_RELAY:
		pump(c);
		break;
	case CONN_LINGER:
		drain(c);
		break;
	}
	return 0;
}

static int on_deadline(struct evloop *l, struct evloop_timer *t, void *data, struct strbuf *err)
{
	struct conn *c = data;
	char tg[NET_HOST_MAX + 16];

	(void)l;
	(void)t;
	(void)err;
	switch (c->state) {
	case CONN_HEADER:
		conn_refuse(c, "408 Request Timeout", "closed a connection that sent no complete "
			    "CONNECT request in %d s", PROXY_HEADER_MS / 1000);
		return 0;
	case CONN_QUEUED:
	case CONN_RESOLVING:
	case CONN_CONNECTING:
		target(c, tg, sizeof(tg));
		conn_refuse(c, "504 Gateway Timeout", "cannot reach %s in %d s", tg,
			    PROXY_CONNECT_MS / 1000);
		return 0;
	case CONN_HELLO:
		target(c, tg, sizeof(tg));
		say(c->px, "blocked %s (reset: no TLS ClientHello in %d s)", tg, PROXY_HELLO_MS / 1000);
		conn_free(c, true);
		return 0;
	case CONN_RELAY:
	case CONN_LINGER:
		break;
	}
	conn_free(c, false);
	return 0;
}

/* ---- accepting ---- */

static int on_accept(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err);

static int on_pause_end(struct evloop *l, struct evloop_timer *t, void *data, struct strbuf *err)
{
	struct proxy *px = data;
	size_t i;

	(void)t;
	for (i = 0; i < px->nr_listeners; i++)
		if (evloop_mod(l, px->listeners[i], EPOLLIN, err) < 0)
			return -1;
	return 0;
}

/* Out of descriptors: stop accepting for a moment rather than spin. */
static int pause_accepting(struct proxy *px)
{
	size_t i;

	for (i = 0; i < px->nr_listeners; i++)
		if (evloop_mod(px->loop, px->listeners[i], 0, NULL) < 0)
			return -1;
	return evloop_timer_arm(px->loop, &px->pause, PROXY_PAUSE_MS, NULL);
}

static void conn_new(struct proxy *px, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";
	struct conn *c;
	ssize_t n;

	if (px->nr_conns >= px->max_conns) {
		say(px, "refused a connection: %zu are open already", px->nr_conns);
		/* Best effort: it is closed either way. */
		n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)n;
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->px = px;
	c->cl = (struct side){ fd, true, true, false, false };
	c->up = (struct side){ -1, false, false, false, false };
	c->to_up.data = xmalloc(PROXY_BUF);
	c->to_up.pipe[0] = c->to_up.pipe[1] = c->to_cl.pipe[0] = c->to_cl.pipe[1] = -1;
	link_init(&c->queued);
	evloop_timer_init(&c->timer, on_deadline, c);
	if (evloop_add(px->loop, fd, CONN_EVENTS, on_conn, c, NULL) < 0 ||
	    evloop_timer_arm(px->loop, &c->timer, PROXY_HEADER_MS, NULL) < 0) {
		evloop_del(px->loop, fd);
		evloop_timer_stop(px->loop, &c->timer);
		close(fd);
		free(c->to_up.data);
		free(c);
		return;
	}
	link_add(&px->conns, &c->all);
	px->nr_conns++;
}

static int on_accept(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct proxy *px = data;
	int i;

	(void)l;
	(void)events;
	(void)err;
	for (i = 0; i < PROXY_ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			conn_new(px, cfd);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			return pause_accepting(px) < 0 ? -1 : 0;
		/* ECONNABORTED and the like: that one client's loss */
	}
	return 0;
}

/* How many connections the descriptors allow: six each (two sockets, two
 * pipes), two a resolver, a margin. The launcher's soft limit goes up to
 * its hard one first: bwrap has started, so the sandbox keeps the
 * caller's limits. */
static size_t conn_limit(void)
{
	struct rlimit rl;
	size_t fds;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 8;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)1 << 20)
		return PROXY_MAX_CONNS;
	fds = (size_t)rl.rlim_cur > 64 + 2 * PROXY_MAX_RESOLVERS ?
	      (size_t)rl.rlim_cur - 64 - 2 * PROXY_MAX_RESOLVERS : 0;
	fds /= 6;
	return fds < 8 ? 8 : fds < PROXY_MAX_CONNS ? fds : PROXY_MAX_CONNS;
}

/* ---- the listeners arrive ---- */

/* A listening TCP socket on the loopback address and the proxy's port. */
static bool is_listener(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0, acc = 0;
	socklen_t il = sizeof(int);
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &il) < 0 || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &il) < 0 || !acc ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		return ntohs(in->sin_port) == NET_PROXY_PORT &&
		       in->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		return ntohs(in6->sin6_port) == NET_PROXY_PORT &&
		       IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

static int on_listeners(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct proxy *px = data;
	int fds[FS_FDS_MAX];
	size_t i, nfd = 0;
	char byte;

	(void)events;
	if (fs_recv_fds(fd, MSG_DONTWAIT, &byte, fds, &nfd) < 0 &&
	    (errno == EAGAIN || errno == EINTR))
		return 0;
	for (i = 0; i < nfd; i++) {
		if (px->nr_listeners < ARRAY_SIZE(px->listeners) && is_listener(fds[i]) &&
		    fcntl(fds[i], F_SETFL, O_NONBLOCK) == 0 &&
		    evloop_add(l, fds[i], EPOLLIN, on_accept, px, err) == 0) {
			px->listeners[px->nr_listeners++] = fds[i];
			continue;
		}
		close(fds[i]);
	}
	/* One message, or the end: the socketpair has done its work. */
	px->max_conns = conn_limit();
	evloop_del(l, fd);
	close(fd);
	px->sock = -1;
	return 0;
}

/* ---- the proxy ---- */

struct proxy *proxy_start(struct evloop *l, const struct proxy_config *cfg, int sock,
			  struct strbuf *err)
{
	struct proxy *px = xcalloc(1, sizeof(*px));

	px->loop = l;
	px->cfg = cfg;
	px->sock = sock;
	px->max_conns = 8;	/* until the listeners come: conn_limit() */
	link_init(&px->conns);
	link_init(&px->queue);
	link_init(&px->resolvers);
	evloop_timer_init(&px->pause, on_pause_end, px);
	if (evloop_add(l, sock, EPOLLIN, on_listeners, px, err) < 0) {
		close(sock);
		free(px);
		return NULL;
	}
	return px;
}

void proxy_free(struct proxy *px)
{
	size_t i;

	if (!px)
		return;
	while (!link_empty(&px->conns))
		conn_free(LINK_ENTRY(px->conns.next, struct conn, all), false);
	while (!link_empty(&px->resolvers)) {
		struct resolver *r = LINK_ENTRY(px->resolvers.next, struct resolver, all);

		resolver_kill(r);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;	/* SIGKILLed: it ends at once */
		resolver_free(r);
	}
	evloop_timer_stop(px->loop, &px->pause);
	for (i = 0; i < px->nr_listeners; i++) {
		evloop_del(px->loop, px->listeners[i]);
		close(px->listeners[i]);
	}
	if (px->sock >= 0) {
		evloop_del(px->loop, px->sock);
		close(px->sock);
	}
	free(px);
}
