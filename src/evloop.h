/* evloop.h - the launcher's one event loop.
 *
 * The launcher stays the parent of the sandbox for its whole run, and
 * several things arrive while it waits: signals to pass on, the end of
 * bwrap (both through one signalfd), and, later, connections and requests
 * from inside. Each is a source: a descriptor in one epoll set with a
 * small handler of its own, which must not block (run.c, STYLE 11).
 */
#ifndef SV_EVLOOP_H
#define SV_EVLOOP_H

#include <stdint.h>
#include "strbuf.h"

#define EVLOOP_MAX_SOURCES 64

struct evloop;

/* Called when fd is ready (events: EPOLLIN, EPOLLOUT, EPOLLHUP, ...).
 * Returns 0 to go on, 1 to end the loop, -1 with err to fail it. */
typedef int (*evloop_fn)(struct evloop *l, int fd, uint32_t events, void *data,
			 struct strbuf *err);

struct evloop_source {
	int fd;              /* -1: a free slot */
	evloop_fn fn;
	void *data;
};

struct evloop {
	int epfd;
	struct evloop_source src[EVLOOP_MAX_SOURCES];
};

int evloop_init(struct evloop *l, struct strbuf *err);
void evloop_release(struct evloop *l);
/* Watch fd for events (EPOLLIN, ...); the loop does not own fd. */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *data,
	       struct strbuf *err);
/* Wait for other events on a watched fd; -1 when it is not watched. */
int evloop_mod(struct evloop *l, int fd, uint32_t events);
void evloop_del(struct evloop *l, int fd);
/* Dispatch until a handler returns 1 (returns 0) or fails (-1). */
int evloop_run(struct evloop *l, struct strbuf *err);

#endif
