/* evloop.c - the launcher's one event loop (epoll). */
#include "evloop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util.h"

int evloop_init(struct evloop *l, struct strbuf *err)
{
	size_t i;

	for (i = 0; i < EVLOOP_MAX_SOURCES; i++)
		l->src[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		strbuf_addf(err, "cannot create an event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void evloop_release(struct evloop *l)
{
	cleanup_closep(&l->epfd);
}

int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *data,
	       struct strbuf *err)
{
	struct epoll_event ev;
	size_t i;

	for (i = 0; i < EVLOOP_MAX_SOURCES && l->src[i].fd >= 0; i++)
		;
	if (i == EVLOOP_MAX_SOURCES) {
		strbuf_addstr(err, "too many event sources");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u32 = (uint32_t)i;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		strbuf_addf(err, "cannot watch a descriptor: %s", strerror(errno));
		return -1;
	}
	l->src[i] = (struct evloop_source){ fd, fn, data };
	return 0;
}

int evloop_mod(struct evloop *l, int fd, uint32_t events)
{
	struct epoll_event ev;
	size_t i;

	for (i = 0; i < EVLOOP_MAX_SOURCES && l->src[i].fd != fd; i++)
		;
	if (fd < 0 || i == EVLOOP_MAX_SOURCES)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u32 = (uint32_t)i;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void evloop_del(struct evloop *l, int fd)
{
	size_t i;

	for (i = 0; i < EVLOOP_MAX_SOURCES; i++)
		if (l->src[i].fd == fd) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			l->src[i].fd = -1;
		}
}

int evloop_run(struct evloop *l, struct strbuf *err)
{
	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(l->epfd, ev, (int)ARRAY_SIZE(ev), -1);
		int i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_addf(err, "cannot wait for events: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct evloop_source *s = &l->src[ev[i].data.u32];
			int r;

			if (s->fd < 0)
				continue;	/* removed by an earlier handler */
			r = s->fn(l, s->fd, ev[i].events, s->data, err);
			if (r != 0)
				return r < 0 ? -1 : 0;
		}
	}
}
