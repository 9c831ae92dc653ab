/* evloop.c - the launcher's one event loop (epoll, and a timerfd for the
 * timers). */
#include "evloop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* epoll_event.data of the timerfd; a source's is its slot and generation. */
#define TIMER_TAG UINT64_MAX

static uint64_t source_tag(size_t slot, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint64_t)slot;
}

uint64_t evloop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int evloop_init(struct evloop *l, struct strbuf *err)
{
	struct epoll_event ev;

	memset(l, 0, sizeof(*l));
	l->tfd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		strbuf_addf(err, "cannot create an event loop: %s", strerror(errno));
		return -1;
	}
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TIMER_TAG;
	if (l->tfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0) {
		strbuf_addf(err, "cannot create the event loop's timer: %s", strerror(errno));
		evloop_release(l);
		return -1;
	}
	return 0;
}

void evloop_release(struct evloop *l)
{
	cleanup_closep(&l->epfd);
	cleanup_closep(&l->tfd);
	FREE_AND_NULL(l->src);
	FREE_AND_NULL(l->heap);
	l->nr_src = l->alloc_src = l->nr_timers = l->alloc_timers = 0;
}

static long find_slot(const struct evloop *l, int fd)
{
	size_t i;

	for (i = 0; i < l->nr_src; i++)
		if (l->src[i].fd == fd)
			return (long)i;
	return -1;
}

int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *data,
	       struct strbuf *err)
{
	struct epoll_event ev;
	long free_slot = find_slot(l, -1);
	size_t i;

	if (free_slot < 0) {
		if (l->nr_src == EVLOOP_MAX_SOURCES) {
			strbuf_addstr(err, "too many event sources");
			return -1;
		}
		if (l->nr_src == l->alloc_src) {
			l->alloc_src = l->alloc_src ? l->alloc_src * 2 : 16;
			l->src = xrealloc(l->src, l->alloc_src * sizeof(*l->src));
		}
		l->src[l->nr_src] = (struct evloop_source){ -1, 0, NULL, NULL };
		free_slot = (long)l->nr_src++;
	}
	i = (size_t)free_slot;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = source_tag(i, l->src[i].gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		strbuf_addf(err, "cannot watch a descriptor: %s", strerror(errno));
		return -1;
	}
	l->src[i].fd = fd;
	l->src[i].fn = fn;
	l->src[i].data = data;
	return 0;
}

int evloop_mod(struct evloop *l, int fd, uint32_t events, struct strbuf *err)
{
	struct epoll_event ev;
	long i = find_slot(l, fd);

	if (i < 0) {
		if (err)
			strbuf_addstr(err, "internal error: changing an unwatched descriptor");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = source_tag((size_t)i, l->src[i].gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
		if (err)
			strbuf_addf(err, "cannot watch a descriptor: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void evloop_del(struct evloop *l, int fd)
{
	long i = fd >= 0 ? find_slot(l, fd) : -1;

	if (i < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->src[i].fd = -1;
	l->src[i].gen++;	/* an event already fetched for it is stale now */
}

/* ---- timers: a min-heap of the armed ones, the earliest on the timerfd ---- */

static void heap_set(struct evloop *l, size_t pos, struct evloop_timer *t)
{
	l->heap[pos] = t;
	t->pos = pos;
}

static void heap_up(struct evloop *l, size_t pos)
{
	struct evloop_timer *t = l->heap[pos];

	while (pos > 0 && l->heap[(pos - 1) / 2]->due_ms > t->due_ms) {
		heap_set(l, pos, l->heap[(pos - 1) / 2]);
		pos = (pos - 1) / 2;
	}
	heap_set(l, pos, t);
}

static void heap_down(struct evloop *l, size_t pos)
{
	struct evloop_timer *t = l->heap[pos];

	for (;;) {
		size_t c = 2 * pos + 1;

		if (c >= l->nr_timers)
			break;
		if (c + 1 < l->nr_timers && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
			c++;
		if (l->heap[c]->due_ms >= t->due_ms)
			break;
		heap_set(l, pos, l->heap[c]);
		pos = c;
	}
	heap_set(l, pos, t);
}

/* The timerfd fires for the earliest timer, or never. */
static int rearm(struct evloop *l, struct strbuf *err)
{
	uint64_t due = l->nr_timers ? l->heap[0]->due_ms : 0;
	struct itimerspec its;

	if (due == l->armed_ms)
		return 0;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(due / 1000);
	its.it_value.tv_nsec = (long)(due % 1000) * 1000000;
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		if (err)
			strbuf_addf(err, "cannot set a timer: %s", strerror(errno));
		return -1;
	}
	l->armed_ms = due;
	return 0;
}

void evloop_timer_init(struct evloop_timer *t, evloop_timer_fn fn, void *data)
{
	t->due_ms = 0;
	t->pos = EVLOOP_TIMER_IDLE;
	t->fn = fn;
	t->data = data;
}

static void heap_remove(struct evloop *l, struct evloop_timer *t)
{
	size_t pos = t->pos;
	struct evloop_timer *last = l->heap[--l->nr_timers];

	t->pos = EVLOOP_TIMER_IDLE;
	if (last == t)
		return;
	heap_set(l, pos, last);
	heap_down(l, pos);
	heap_up(l, last->pos);
}

void evloop_timer_stop(struct evloop *l, struct evloop_timer *t)
{
	if (t->pos == EVLOOP_TIMER_IDLE)
		return;
	heap_remove(l, t);
	rearm(l, NULL);	/* at worst it fires early, and finds nothing due */
}

int evloop_timer_arm(struct evloop *l, struct evloop_timer *t, unsigned ms, struct strbuf *err)
{
	if (t->pos != EVLOOP_TIMER_IDLE)
		heap_remove(l, t);
	if (l->nr_timers == l->alloc_timers) {
		l->alloc_timers = l->alloc_timers ? l->alloc_timers * 2 : 16;
		l->heap = xrealloc(l->heap, l->alloc_timers * sizeof(*l->heap));
	}
	t->due_ms = evloop_now_ms() + ms;	/* never 0, which disarms */
	l->heap[l->nr_timers] = t;
	t->pos = l->nr_timers++;
	heap_up(l, t->pos);
	return rearm(l, err);
}

static int run_timers(struct evloop *l, struct strbuf *err)
{
	uint64_t expirations, now = evloop_now_ms();

	if (read(l->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
		strbuf_addf(err, "cannot read the timer: %s", strerror(errno));
		return -1;
	}
	l->armed_ms = 0;	/* fired */
	while (l->nr_timers && l->heap[0]->due_ms <= now) {
		struct evloop_timer *t = l->heap[0];
		int r;

		heap_remove(l, t);
		r = t->fn(l, t, t->data, err);
		if (r != 0)
			return r;
	}
	return rearm(l, err);
}

int evloop_run(struct evloop *l, struct strbuf *err)
{
	for (;;) {
		struct epoll_event ev[64];
		int n = epoll_wait(l->epfd, ev, (int)ARRAY_SIZE(ev), -1);
		int i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_addf(err, "cannot wait for events: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;
			size_t slot = (size_t)(tag & 0xffffffffu);
			struct evloop_source *s;
			int r;

			if (tag == TIMER_TAG) {
				r = run_timers(l, err);
			} else {
				if (slot >= l->nr_src)
					continue;
				s = &l->src[slot];
				if (s->fd < 0 || s->gen != (uint32_t)(tag >> 32))
					continue;	/* removed by an earlier handler */
				r = s->fn(l, s->fd, ev[i].events, s->data, err);
			}
			if (r != 0)
				return r < 0 ? -1 : 0;
		}
	}
}
