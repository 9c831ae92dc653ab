/* pty.c - the sandbox's own terminal, relayed by the launcher. */
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The caller's terminal at fd, opened anew and non-blocking (rule 3), or
 * a copy of fd. */
static int open_terminal(int fd)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (r >= 0 && isatty(r))
		return r;
	if (r >= 0)
		close(r);
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void copy_size(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

/* The launch is in the foreground of the caller's terminal at fd: its
 * process group is the terminal's, or the terminal is not the caller's
 * controlling one (no job control there at all). */
static bool is_foreground(int fd)
{
	pid_t fg = tcgetpgrp(fd);

	return fg < 0 ? errno == ENOTTY : fg == getpgrp();
}

/* A launch in the background finds the terminal as the shell's line
 * editor set it, raw; the program gets a line-by-line terminal with echo,
 * as a shell gives its foreground jobs. */
static void make_sane(struct termios *t)
{
	t->c_iflag |= ICRNL | IXON;
	t->c_iflag &= ~(tcflag_t)(INLCR | IGNCR);
	t->c_oflag |= OPOST | ONLCR;
	t->c_lflag |= ISIG | ICANON | IEXTEN | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE;
	t->c_cc[VMIN] = 1;
	t->c_cc[VTIME] = 0;
}

int pty_open(struct pty *p, int stdio[3], struct strbuf *err)
{
	bool tty[3];
	char name[128];
	int i, first = -1;

	memset(p, 0, sizeof(*p));
	p->master = p->slave = p->in = p->out = p->timer = -1;
	for (i = 0; i < 3; i++) {
		tty[i] = stdio[i] < 0 && isatty(i);
		if (tty[i] && first < 0)
			first = i;
	}
	if (first < 0)
		return 0;
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
	    ptsname_r(p->master, name, sizeof(name)) != 0 ||
	    (p->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    fcntl(p->master, F_SETFL, O_RDWR | O_NONBLOCK) < 0)
		goto fail;
	/* The caller's settings and size, for the program to start with. */
	if (tcgetattr(first, &p->saved) == 0) {
		struct termios t = p->saved;

		p->have_saved = true;
		if (!is_foreground(first))
			make_sane(&t);
		tcsetattr(p->slave, TCSANOW, &t);
	}
	copy_size(first, p->master);
	if (tty[0] && (p->in = open_terminal(0)) < 0)
		goto fail;
	p->out = open_terminal(tty[1] ? 1 : tty[2] ? 2 : first);
	if (p->out < 0)
		goto fail;
	for (i = 0; i < 3; i++)
		if (tty[i])
			stdio[i] = p->slave;
	return 0;
fail:
	strbuf_addf(err, "cannot make a terminal for the sandbox: %s", strerror(errno));
	cleanup_closep(&p->master);
	cleanup_closep(&p->slave);
	cleanup_closep(&p->in);
	return -1;
}

/* What each descriptor is watched for now (rule 3: nothing is read that
 * the other side cannot take). */
static void update(struct pty *p)
{
	if (!p->loop)
		return;
	if (p->in >= 0)
		evloop_mod(p->loop, p->in,
			   p->raw && !p->up.eof && p->up.len < PTY_BUF ? EPOLLIN : 0, NULL);
	if (p->master >= 0)
		evloop_mod(p->loop, p->master,
			   (!p->down.eof && p->down.len < PTY_BUF ? EPOLLIN : 0) |
			   (p->up.len ? EPOLLOUT : 0), NULL);
	if (p->out >= 0)
		evloop_mod(p->loop, p->out, p->down.len ? EPOLLOUT : 0, NULL);
}

/* Read what fd has into d; at its end (EIO from a master whose slave is
 * gone, 0 from a hung-up terminal) d->eof. Returns false on nothing now. */
static bool take(int fd, struct pty_dir *d)
{
	ssize_t n;

	if (d->eof || d->len == PTY_BUF)
		return false;
	n = read(fd, d->buf + d->len, PTY_BUF - d->len);
	if (n > 0) {
		d->len += (size_t)n;
		return true;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		d->eof = true;
	return false;
}

/* Write what d has to fd; what cannot go anywhere any more is dropped.
 * Returns false when nothing went. */
static bool give(int fd, struct pty_dir *d)
{
	ssize_t n;

	if (!d->len)
		return false;
	n = write(fd, d->buf, d->len);
	if (n > 0) {
		memmove(d->buf, d->buf + n, d->len - (size_t)n);
		d->len -= (size_t)n;
		return true;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		d->len = 0;
	return false;
}

/* A descriptor that reports only an error or a hang-up from now on would
 * wake the loop forever: it leaves it. */
static void drop(struct pty *p, int *fd)
{
	if (p->loop)
		evloop_del(p->loop, *fd);
	cleanup_closep(fd);
}

static int on_in(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct pty *p = data;

	(void)l;
	(void)fd;
	(void)err;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		take(p->in, &p->up);
	if (p->up.eof)
		drop(p, &p->in);
	update(p);
	return 0;
}

static int on_master(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct pty *p = data;

	(void)l;
	(void)fd;
	(void)err;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		take(p->master, &p->down);
	if (events & (EPOLLOUT | EPOLLERR))
		give(p->master, &p->up);
	if (p->down.eof) {
		/* Nobody holds the slave any more (the sandbox is ending). */
		evloop_del(p->loop, p->master);
	}
	update(p);
	return 0;
}

static int on_out(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct pty *p = data;

	(void)l;
	(void)fd;
	(void)err;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		give(p->out, &p->down);
	if (events & (EPOLLERR | EPOLLHUP)) {
		p->down.len = 0;
		drop(p, &p->out);
	}
	update(p);
	return 0;
}

static int on_timer(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct pty *p = data;
	uint64_t n;

	(void)l;
	(void)events;
	(void)err;
	if (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		pty_foreground(p);
	return 0;
}

/* Look again every PTY_POLL_MS while in the background, or no more. */
static void set_timer(struct pty *p, bool on)
{
	struct itimerspec t;

	if (p->timer < 0)
		return;
	memset(&t, 0, sizeof(t));
	if (on) {
		t.it_value.tv_nsec = PTY_POLL_MS * 1000000L;
		t.it_interval = t.it_value;
	}
	timerfd_settime(p->timer, 0, &t, NULL);
}

int pty_start(struct pty *p, struct evloop *l, struct strbuf *err)
{
	if (p->master < 0)
		return 0;
	cleanup_closep(&p->slave);
	if (p->in >= 0) {
		p->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (p->timer < 0) {
			strbuf_addf(err, "cannot create a timer: %s", strerror(errno));
			return -1;
		}
	}
	if (evloop_add(l, p->master, EPOLLIN, on_master, p, err) < 0 ||
	    evloop_add(l, p->out, 0, on_out, p, err) < 0 ||
	    (p->in >= 0 && evloop_add(l, p->in, 0, on_in, p, err) < 0) ||
	    (p->timer >= 0 && evloop_add(l, p->timer, EPOLLIN, on_timer, p, err) < 0))
		return -1;
	p->loop = l;
	pty_foreground(p);
	return 0;
}

static bool foreground(const struct pty *p)
{
	return is_foreground(p->in);
}

void pty_foreground(struct pty *p)
{
	struct termios raw;

	if (p->in < 0 || !p->have_saved) {
		update(p);
		return;
	}
	if (!foreground(p)) {
		pty_cooked(p);
		set_timer(p, p->loop != NULL);
		return;
	}
	set_timer(p, false);
	if (!p->raw) {
		/* The settings may have changed while the launch was stopped. */
		tcgetattr(p->in, &p->saved);
		raw = p->saved;
		cfmakeraw(&raw);
		if (tcsetattr(p->in, TCSADRAIN, &raw) == 0)
			p->raw = true;
	}
	update(p);
}

void pty_cooked(struct pty *p)
{
	if (p->raw && tcsetattr(p->in, TCSADRAIN, &p->saved) == 0)
		p->raw = false;
	update(p);
}

void pty_winch(struct pty *p)
{
	if (p->master >= 0)
		copy_size(p->in >= 0 ? p->in : p->out, p->master);
}

void pty_finish(struct pty *p)
{
	int i;

	if (p->master < 0)
		return;
	if (p->loop) {
		evloop_del(p->loop, p->master);
		if (p->out >= 0)
			evloop_del(p->loop, p->out);
		if (p->in >= 0)
			evloop_del(p->loop, p->in);
		if (p->timer >= 0)
			evloop_del(p->loop, p->timer);
		p->loop = NULL;
	}
	/* The sandbox has ended, its slaves are closed: what is left in the
	 * master goes out, a bounded amount, each write waited for. */
	for (i = 0; i < 256 && p->out >= 0 && (p->down.len || !p->down.eof); i++) {
		take(p->master, &p->down);
		if (!p->down.len)
			break;
		if (!give(p->out, &p->down)) {
			struct timespec ms = { 0, 1000000 };

			nanosleep(&ms, NULL);	/* a slow terminal, non-blocking */
		}
	}
	pty_cooked(p);
	cleanup_closep(&p->master);
	cleanup_closep(&p->slave);
	cleanup_closep(&p->in);
	cleanup_closep(&p->out);
	cleanup_closep(&p->timer);
}
