/* evloop.h - the launcher's one event loop.
 *
 * The launcher stays the parent of the sandbox for its whole run, and
 * several things arrive while it waits: signals to pass on, the end of
 * bwrap (both through one signalfd), the proxy's listeners and
 * connections (proxy.h). Each is a source: a descriptor in one epoll set
 * with a small handler of its own, which must not block (run.c, STYLE 11).
 * Timers (a slow client's deadline) share the loop through one timerfd.
 *
 * What MUST hold:
 *  1. A handler is never called for a descriptor after evloop_del() of
 *     it, even when its event was already fetched in the same batch (each
 *     slot carries a generation, bumped on removal), so a handler may free
 *     the state of other sources it removes.
 *  2. A timer is never called after evloop_timer_stop(), and is stopped
 *     before its function runs: the function may free the timer's owner.
 *  3. The loop owns no source's descriptor; it holds at most
 *     EVLOOP_MAX_SOURCES of them.
 */
#ifndef SV_EVLOOP_H
#define SV_EVLOOP_H

#include <stdint.h>
#include "strbuf.h"

#define EVLOOP_MAX_SOURCES 2048

struct evloop;

/* Called when fd is ready (events: EPOLLIN, EPOLLOUT, EPOLLHUP, ...).
 * Returns 0 to go on, 1 to end the loop, -1 with err to fail it. */
typedef int (*evloop_fn)(struct evloop *l, int fd, uint32_t events, void *data,
			 struct strbuf *err);

struct evloop_timer;
/* Called once when the timer is due; returns as evloop_fn does. */
typedef int (*evloop_timer_fn)(struct evloop *l, struct evloop_timer *t, void *data,
			       struct strbuf *err);

/* A timer lives in its owner's state; evloop_timer_init() before use. */
struct evloop_timer {
	uint64_t due_ms;        /* CLOCK_MONOTONIC, milliseconds */
	size_t pos;             /* its place in the loop's heap, or EVLOOP_TIMER_IDLE */
	evloop_timer_fn fn;
	void *data;
};
#define EVLOOP_TIMER_IDLE ((size_t)-1)

struct evloop_source {
	int fd;                 /* -1: a free slot */
	uint32_t gen;           /* bumped when the slot is freed (rule 1) */
	evloop_fn fn;
	void *data;
};

struct evloop {
	int epfd;
	int tfd;                /* the timers' timerfd */
	uint64_t armed_ms;      /* when tfd fires; 0: disarmed */
	struct evloop_source *src;
	size_t nr_src, alloc_src;        /* slots in use are below nr_src */
	struct evloop_timer **heap;      /* a binary min-heap by due_ms */
	size_t nr_timers, alloc_timers;
};

int evloop_init(struct evloop *l, struct strbuf *err);
void evloop_release(struct evloop *l);
/* Watch fd for events (EPOLLIN, ..., EPOLLET); the loop does not own fd. */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *data,
	       struct strbuf *err);
/* Change the events watched on fd. */
int evloop_mod(struct evloop *l, int fd, uint32_t events, struct strbuf *err);
void evloop_del(struct evloop *l, int fd);
/* Dispatch until a handler returns 1 (returns 0) or fails (-1). */
int evloop_run(struct evloop *l, struct strbuf *err);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t evloop_now_ms(void);
void evloop_timer_init(struct evloop_timer *t, evloop_timer_fn fn, void *data);
/* (Re)arm t to fire ms milliseconds from now. */
int evloop_timer_arm(struct evloop *l, struct evloop_timer *t, unsigned ms, struct strbuf *err);
void evloop_timer_stop(struct evloop *l, struct evloop_timer *t);

#endif
