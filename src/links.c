/* links.c - links from inside a sandbox, opened in the host's browser
 * (links.h says what must hold). */
#include "links.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dbus.h"
#include "util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

const char *const links_client_names[] = {
	"xdg-open", "x-www-browser", "sensible-browser", NULL,
};

/* The caller's variables the host's xdg-open gets, with PATH (checked):
 * where the desktop is, who the user is, which desktop it is. */
static const char *const spawn_env[] = {
	"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_RUNTIME_DIR", "XDG_CURRENT_DESKTOP",
	"DBUS_SESSION_BUS_ADDRESS", "HOME", "LANG",
};

/* The portal's errors that mean "no portal here": xdg-open is tried. */
static const char *const portal_missing[] = {
	"org.freedesktop.DBus.Error.ServiceUnknown",
	"org.freedesktop.DBus.Error.NameHasNoOwner",
	"org.freedesktop.DBus.Error.UnknownMethod",
	"org.freedesktop.DBus.Error.UnknownInterface",
	"org.freedesktop.DBus.Error.UnknownObject",
};

bool links_wanted(const struct perms *perms, const char *const *envp)
{
	static const char *const session[] = {
		"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY",
	};
	size_t i;

	if (perms->links == PERM_LINKS_OFF)
		return false;
	for (i = 0; i < ARRAY_SIZE(session); i++) {
		const char *v = env_lookup(envp, session[i]);

		if (v && v[0])
			return true;
	}
	return false;
}

/* ---- the opener: the session bus, or the host's xdg-open ---- */

void links_opener_find(struct links_opener *o, const char *const *envp,
		       links_writable_fn writable, void *data)
{
	cleanup_strbuf struct strbuf path = STRBUF_INIT;
	const char *bus = env_lookup(envp, "DBUS_SESSION_BUS_ADDRESS");
	const char *s = env_lookup(envp, "PATH");
	size_t i;

	memset(o, 0, sizeof(*o));
	strvec_init(&o->env);
	if (bus && bus[0])
		o->bus = xstrdup(bus);
	/* PATH, without what is relative or a sandbox can write: the link
	 * comes from a sandbox, which must not choose what the host runs. */
	while (s && *s) {
		size_t n = strcspn(s, ":");
		cleanup_free char *dir = xstrndup(s, n);
		cleanup_free char *real = dir[0] == '/' ? realpath(dir, NULL) : NULL;

		s += n + (s[n] == ':');
		if (!real || writable(real, data))
			continue;
		if (path.len)
			strbuf_addch(&path, ':');
		strbuf_addstr(&path, dir);
		if (!o->xdg_open) {
			cleanup_free char *cand = xasprintf("%s/xdg-open", real);
			cleanup_free char *file = realpath(cand, NULL);
			struct stat st;

			if (file && !writable(file, data) && stat(file, &st) == 0 &&
			    S_ISREG(st.st_mode) && access(file, X_OK) == 0)
				o->xdg_open = xstrdup(file);
		}
	}
	for (i = 0; i < ARRAY_SIZE(spawn_env); i++) {
		const char *v = env_lookup(envp, spawn_env[i]);

		if (v)
			strvec_pushf(&o->env, "%s=%s", spawn_env[i], v);
	}
	strvec_pushf(&o->env, "PATH=%s", path.len ? path.buf : "/usr/bin:/bin");
}

void links_opener_release(struct links_opener *o)
{
	free(o->bus);
	free(o->xdg_open);
	strvec_clear(&o->env);
	memset(o, 0, sizeof(*o));
	strvec_init(&o->env);
}

/* ---- the check ---- */

/* RFC 3986's characters: unreserved, reserved, and '%'. */
static bool uri_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~:/?#[]@!$&'()*+,;=%", c));
}

/* mailto: only the fields of RFC 6068 that write a mail; some mail
 * programs take "attach" and the like, and would attach your files. */
static int check_mailto(const char *rest, struct strbuf *why)
{
	static const char *const fields[] = { "to", "cc", "bcc", "subject", "body", "in-reply-to" };
	const char *q = strchr(rest, '?');

	if (!rest[0] || rest[0] == '?') {
		if (!q || !q[1]) {
			strbuf_addstr(why, "a mailto link without an address");
			return -1;
		}
	}
	while (q && *q) {
		const char *name = q + 1;
		size_t n = strcspn(name, "=&"), i;

		for (i = 0; i < ARRAY_SIZE(fields); i++)
			if (strlen(fields[i]) == n && !strncasecmp(name, fields[i], n))
				break;
		if (n && i == ARRAY_SIZE(fields)) {
			strbuf_addf(why, "mailto field '%.*s': only to, cc, bcc, subject, body and "
				    "in-reply-to; some mail programs attach the files others name",
				    (int)(n > 40 ? 40 : n), name);
			return -1;
		}
		q = strchr(name, '&');
	}
	return 0;
}

int links_check_url(const char *url, size_t len, struct strbuf *out, struct strbuf *why)
{
	static const char *const schemes[] = { "http", "https", "mailto" };
	size_t i, n;
	const char *rest;

	if (!len) {
		strbuf_addstr(why, "an empty link");
		return -1;
	}
	if (len > LINKS_MAX_URL) {
		strbuf_addf(why, "longer than %d bytes", LINKS_MAX_URL);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c < 0x20 || c == 0x7f) {
			strbuf_addstr(why, "control characters");
			return -1;
		}
		if (c == ' ') {
			strbuf_addstr(why, "spaces");
			return -1;
		}
	}
	n = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	for (i = 0; i < ARRAY_SIZE(schemes); i++)
		if (url[n] == ':' && strlen(schemes[i]) == n && !strncasecmp(url, schemes[i], n))
			break;
	if (i == ARRAY_SIZE(schemes)) {
		strbuf_addstr(why, "only http, https and mailto links are opened");
		return -1;
	}
	rest = url + n + 1;
	if (i < 2) {
		/* http(s)://host...: a host, never a path on this machine. */
		if (strncmp(rest, "//", 2) || strchr("/?#", rest[2])) {
			strbuf_addstr(why, "no host");
			return -1;
		}
	} else if (check_mailto(rest, why) < 0) {
		return -1;
	}
	/* The scheme in lowercase, every other byte outside RFC 3986's set
	 * (non-ASCII, quotes, braces) %-encoded: what is opened is plain. */
	for (i = 0; i < n; i++)
		strbuf_addch(out, (char)(url[i] | (url[i] >= 'A' && url[i] <= 'Z' ? 0x20 : 0)));
	for (i = n; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (uri_char(c))
			strbuf_addch(out, (char)c);
		else
			strbuf_addf(out, "%%%02X", c);
	}
	return 0;
}

/* A link as said on the terminal: at most 200 bytes, the unprintable
 * ones escaped (a sandbox chose them). */
static void shown(const char *url, size_t len, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < len && i < 200; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			strbuf_addf(out, "\\x%02x", c);
		else
			strbuf_addch(out, (char)c);
	}
	if (len > 200)
		strbuf_addstr(out, "...");
}

/* ---- the service ---- */

enum job_kind { JOB_FREE, JOB_PORTAL, JOB_SPAWN };

struct client {
	struct links *L;
	int fd;                  /* -1: a free slot */
	struct strbuf req;
	int64_t deadline;        /* 0: none (its link is being opened) */
};

struct job {
	struct links *L;
	enum job_kind kind;
	int fd;                  /* the bus connection, or the pidfd */
	pid_t pid;
	struct dbus_call call;
	char *url;
	struct client *client;   /* to answer; NULL once answered */
	int64_t deadline;        /* 0: none */
};

struct links {
	int listen_fd, timer_fd;
	char *dir, *sock;
	struct evloop *loop;
	struct links_opener op;
	bool verbose;
	struct client clients[LINKS_MAX_CLIENTS];
	struct job jobs[LINKS_MAX_JOBS];
	int64_t budget_ms, budget_at;  /* the rate limit's bucket */
	bool said_rate;
	struct strbuf said;            /* the last refusal said, and when: */
	int64_t said_at;               /* webbrowser tries each browser name */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Link directories of ours that a killed launcher left in parent: those
 * older than LINKS_STALE_S whose socket nobody listens on any more. Never
 * followed through a symlink; another user's are not touched. */
static void sweep_stale(const char *parent)
{
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = pfd >= 0 ? fdopendir(pfd) : NULL;
	time_t now = time(NULL);
	struct dirent *de;
	int removed = 0;

	if (!d) {
		if (pfd >= 0)
			close(pfd);
		return;
	}
	while ((de = readdir(d)) && removed < LINKS_SWEEP_MAX) {
		struct sockaddr_un sa;
		struct stat st;
		int fd, sk;

		if (strncmp(de->d_name, "sandbox-venv-links.", 19) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
		    now - st.st_mtime < LINKS_STALE_S)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s/socket", parent,
				     de->d_name) >= sizeof(sa.sun_path))
			continue;
		sk = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (sk < 0)
			continue;
		if (connect(sk, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    (errno == ECONNREFUSED || errno == ENOENT)) {
			fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0) {
				unlinkat(fd, "socket", 0);
				close(fd);
			}
			removed += unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == 0;
		}
		close(sk);
	}
	closedir(d);
}

struct links *links_new(struct links_opener *o, bool verbose, struct strbuf *err)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	struct links *L = xcalloc(1, sizeof(*L));
	struct sockaddr_un sa;
	struct stat st;
	size_t i;

	L->listen_fd = L->timer_fd = -1;
	L->op = *o;
	memset(o, 0, sizeof(*o));
	strvec_init(&o->env);
	L->verbose = verbose;
	L->budget_ms = (int64_t)LINKS_BURST * LINKS_REFILL_MS;
	L->budget_at = now_ms();
	strbuf_init(&L->said, 0);
	for (i = 0; i < LINKS_MAX_CLIENTS; i++)
		L->clients[i] = (struct client){ L, -1, STRBUF_INIT, 0 };
	for (i = 0; i < LINKS_MAX_JOBS; i++) {
		L->jobs[i] = (struct job){ .L = L, .kind = JOB_FREE, .fd = -1 };
		dbus_call_init(&L->jobs[i].call);
	}
	/* A private directory: the caller's runtime directory when it is
	 * theirs alone, else /tmp. */
	if (!rt || rt[0] != '/' || strlen(rt) > 60 || stat(rt, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077))
		rt = "/tmp";
	sweep_stale(rt);
	L->dir = xasprintf("%s/sandbox-venv-links.XXXXXX", rt);
	if (!mkdtemp(L->dir)) {
		strbuf_addf(err, "cannot make a directory for links in '%s': %s", rt, strerror(errno));
		FREE_AND_NULL(L->dir);
		goto fail;
	}
	L->sock = xasprintf("%s/socket", L->dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", L->sock);
	L->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (L->listen_fd < 0 || bind(L->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(L->listen_fd, LINKS_MAX_CLIENTS) < 0) {
		strbuf_addf(err, "cannot listen for links on '%s': %s", L->sock, strerror(errno));
		goto fail;
	}
	L->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (L->timer_fd < 0) {
		strbuf_addf(err, "cannot make a timer for links: %s", strerror(errno));
		goto fail;
	}
	return L;
fail:
	links_free(L);
	return NULL;
}

const char *links_socket_path(const struct links *L)
{
	return L->sock;
}

static void drop_fd(struct links *L, int *fd)
{
	if (*fd < 0)
		return;
	if (L->loop)
		evloop_del(L->loop, *fd);
	close(steal_fd(fd));
}

static void client_free(struct client *c)
{
	drop_fd(c->L, &c->fd);
	strbuf_release(&c->req);
	c->deadline = 0;
}

static void answer(struct client *c, const char *word)
{
	if (c->fd >= 0 && send(c->fd, word, strlen(word), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* gone already: nothing to tell */
	}
	client_free(c);
}

static void job_answer(struct job *j, bool opened)
{
	if (j->client)
		answer(j->client, opened ? "ok\n" : "failed\n");
	j->client = NULL;
}

static void job_free(struct job *j)
{
	job_answer(j, false);
	if (j->kind == JOB_PORTAL) {
		if (j->call.fd >= 0 && j->L->loop)
			evloop_del(j->L->loop, j->call.fd);
		dbus_call_release(&j->call);
	}
	drop_fd(j->L, &j->fd);
	FREE_AND_NULL(j->url);
	j->kind = JOB_FREE;
	j->pid = 0;
	j->deadline = 0;
}

void links_free(struct links *L)
{
	size_t i;

	if (!L)
		return;
	for (i = 0; i < LINKS_MAX_JOBS; i++)
		job_free(&L->jobs[i]);
	for (i = 0; i < LINKS_MAX_CLIENTS; i++)
		client_free(&L->clients[i]);
	drop_fd(L, &L->listen_fd);
	drop_fd(L, &L->timer_fd);
	if (L->sock)
		unlink(L->sock);
	if (L->dir)
		rmdir(L->dir);
	free(L->sock);
	free(L->dir);
	links_opener_release(&L->op);
	strbuf_release(&L->said);
	free(L);
}

/* The timer fires at the earliest deadline. */
static void rearm(struct links *L)
{
	struct itimerspec it;
	int64_t next = 0;
	size_t i;

	for (i = 0; i < LINKS_MAX_CLIENTS; i++)
		if (L->clients[i].fd >= 0 && L->clients[i].deadline &&
		    (!next || L->clients[i].deadline < next))
			next = L->clients[i].deadline;
	for (i = 0; i < LINKS_MAX_JOBS; i++)
		if (L->jobs[i].kind != JOB_FREE && L->jobs[i].deadline &&
		    (!next || L->jobs[i].deadline < next))
			next = L->jobs[i].deadline;
	memset(&it, 0, sizeof(it));
	if (next) {
		it.it_value.tv_sec = next / 1000;
		it.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	}
	timerfd_settime(L->timer_fd, next ? TFD_TIMER_ABSTIME : 0, &it, NULL);
}

/* One link more within the rate: LINKS_BURST in a row, then one per
 * LINKS_REFILL_MS. */
static bool within_rate(struct links *L)
{
	int64_t now = now_ms();

	L->budget_ms += now - L->budget_at;
	L->budget_at = now;
	if (L->budget_ms > (int64_t)LINKS_BURST * LINKS_REFILL_MS)
		L->budget_ms = (int64_t)LINKS_BURST * LINKS_REFILL_MS;
	if (L->budget_ms < LINKS_REFILL_MS)
		return false;
	L->budget_ms -= LINKS_REFILL_MS;
	return true;
}

/* Say a refusal, once: webbrowser tries the link again under each of
 * the helper's names, and the same line twice says nothing new. */
static void say_refused(struct links *L, const char *url, size_t len, const char *why)
{
	cleanup_strbuf struct strbuf s = STRBUF_INIT;
	cleanup_strbuf struct strbuf line = STRBUF_INIT;
	int64_t now = now_ms();

	shown(url, len, &s);
	strbuf_addf(&line, "links: refused '%s' (%s)", s.buf, why);
	if (!strcmp(line.buf, L->said.buf) && now - L->said_at < LINKS_CLIENT_MS)
		return;
	warn("%s", line.buf);
	strbuf_reset(&L->said);
	strbuf_addstr(&L->said, line.buf);
	L->said_at = now;
}

static void say_failed(const char *url, const char *how)
{
	cleanup_strbuf struct strbuf s = STRBUF_INIT;

	shown(url, strlen(url), &s);
	warn("links: cannot open '%s': %s", s.buf, how);
}

static int on_portal(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err);
static int on_child(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err);

/* The host's xdg-open, by its absolute path, in a session of its own.
 * Returns 0 when it runs and is watched, 1 when it runs unwatched (the job
 * is done), -1 with why. */
static int start_spawn(struct job *j, struct strbuf *why)
{
	struct links *L = j->L;
	const char *argv[] = { "xdg-open", j->url, NULL };
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	int null, pidfd;
	pid_t pid;

	if (!L->op.xdg_open) {
		strbuf_addstr(why, L->op.bus ? "no portal on your session bus, and no xdg-open on "
			      "your PATH" : "no session bus, and no xdg-open on your PATH");
		return -1;
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		strbuf_addf(why, "cannot open /dev/null: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int sig;

		setsid();
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execve(L->op.xdg_open, (char *const *)argv, (char *const *)L->op.env.v);
		_exit(127);
	}
	close(null);
	if (pid < 0) {
		strbuf_addf(why, "cannot start xdg-open: %s", strerror(errno));
		return -1;
	}
	/* Our unreaped child: its pid cannot be reused before the pidfd. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || evloop_add(L->loop, pidfd, EPOLLIN, on_child, j, &err) < 0) {
		/* Without a way to watch it, it is left to run, never waited
		 * for here (the loop must not block): it started. */
		if (pidfd >= 0)
			close(pidfd);
		if (L->verbose)
			warn("links: cannot watch xdg-open (%s): not waiting for it",
			     err.len ? err.buf : strerror(errno));
		job_answer(j, true);
		return 1;
	}
	j->kind = JOB_SPAWN;
	j->fd = pidfd;
	j->pid = pid;
	j->deadline = now_ms() + LINKS_SPAWN_MS;
	return 0;
}

static int start_portal(struct job *j, struct strbuf *why)
{
	struct links *L = j->L;
	cleanup_strbuf struct strbuf body = STRBUF_INIT;

	dbus_put_string(&body, "");		/* no parent window */
	dbus_put_string(&body, j->url);
	dbus_put_empty_dict(&body);		/* no options */
	if (dbus_call_start(&j->call, L->op.bus, geteuid(), "org.freedesktop.portal.Desktop",
			    "/org/freedesktop/portal/desktop", "org.freedesktop.portal.OpenURI",
			    "OpenURI", "ssa{sv}", &body, why) < 0 ||
	    evloop_add(L->loop, j->call.fd, dbus_call_events(&j->call), on_portal, j, why) < 0) {
		dbus_call_release(&j->call);
		return -1;
	}
	j->kind = JOB_PORTAL;
	j->deadline = now_ms() + LINKS_PORTAL_MS;
	return 0;
}

/* The link to the host's xdg-open; a job that is over is freed. */
static void open_with_xdg_open(struct job *j)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;

	switch (start_spawn(j, &why)) {
	case -1:
		say_failed(j->url, why.buf);
		/* fall through */
	case 1:
		job_free(j);
	}
}

/* The portal is not there (or the bus): the host's xdg-open instead. */
static void fall_back(struct job *j, const char *why_portal)
{
	evloop_del(j->L->loop, j->call.fd);
	dbus_call_release(&j->call);
	j->kind = JOB_FREE;
	if (j->L->verbose)
		warn("links: the portal cannot open it (%s): trying xdg-open", why_portal);
	open_with_xdg_open(j);
}

static int on_portal(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	struct job *j = data;
	size_t i;
	int r;

	(void)fd;
	(void)events;
	(void)err;
	if (j->kind != JOB_PORTAL)
		return 0;
	r = dbus_call_io(&j->call, &why);
	if (r == 0) {
		evloop_mod(l, j->call.fd, dbus_call_events(&j->call), NULL);
		return 0;
	}
	if (r < 0) {
		fall_back(j, why.buf);
	} else if (!j->call.error) {
		if (j->L->verbose)
			warn("links: opened '%s' through the portal", j->url);
		job_answer(j, true);
		job_free(j);
	} else {
		for (i = 0; i < ARRAY_SIZE(portal_missing); i++)
			if (!strcmp(j->call.error, portal_missing[i]))
				break;
		if (i < ARRAY_SIZE(portal_missing)) {
			fall_back(j, j->call.error);
		} else {
			strbuf_addf(&why, "the portal answered %s", j->call.error);
			say_failed(j->url, why.buf);
			job_free(j);
		}
	}
	rearm(j->L);
	return 0;
}

static int on_child(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct job *j = data;
	int status = 0;
	pid_t r;

	(void)l;
	(void)fd;
	(void)events;
	(void)err;
	if (j->kind != JOB_SPAWN)
		return 0;
	while ((r = waitpid(j->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return 0;
	if (r == j->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (j->L->verbose)
			warn("links: opened '%s' with xdg-open", j->url);
		job_answer(j, true);
	} else {
		cleanup_free char *how = r != j->pid ? xstrdup("xdg-open was lost") :
					 WIFEXITED(status) ?
					 xasprintf("xdg-open exited with status %d", WEXITSTATUS(status)) :
					 xasprintf("xdg-open was killed by signal %d", WTERMSIG(status));

		say_failed(j->url, how);
	}
	job_free(j);
	rearm(j->L);
	return 0;
}

/* A whole request: rate, check, open. */
static void on_request(struct client *c)
{
	cleanup_strbuf struct strbuf url = STRBUF_INIT;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	struct links *L = c->L;
	struct job *j = NULL;
	size_t i;

	if (!within_rate(L)) {
		if (!L->said_rate) {
			strbuf_addf(&why, "more than %d links in a row: one every %d s after that; "
				    "said once", LINKS_BURST, LINKS_REFILL_MS / 1000);
			say_refused(L, c->req.buf, c->req.len, why.buf);
		}
		L->said_rate = true;
		answer(c, "refused\n");
		return;
	}
	L->said_rate = false;
	if (memchr(c->req.buf, '\0', c->req.len) ||
	    links_check_url(c->req.buf, c->req.len, &url, &why) < 0) {
		say_refused(L, c->req.buf, c->req.len, why.len ? why.buf : "a NUL byte");
		answer(c, "refused\n");
		return;
	}
	for (i = 0; i < LINKS_MAX_JOBS && !j; i++)
		if (L->jobs[i].kind == JOB_FREE)
			j = &L->jobs[i];
	if (!j) {
		strbuf_addf(&why, "%d links are being opened already", LINKS_MAX_JOBS);
		say_refused(L, c->req.buf, c->req.len, why.buf);
		answer(c, "refused\n");
		return;
	}
	j->url = strbuf_detach(&url, NULL);
	j->client = c;
	c->deadline = 0;
	evloop_del(L->loop, c->fd);	/* the answer is written, nothing read */
	if (L->op.bus) {
		if (start_portal(j, &why) == 0)
			return;
		if (L->verbose)
			warn("links: the portal cannot open it (%s): trying xdg-open", why.buf);
	}
	open_with_xdg_open(j);
}

static int on_client(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct client *c = data;
	char buf[1024];

	(void)l;
	(void)events;
	(void)err;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			client_free(c);
			break;
		}
		if (n == 0) {
			on_request(c);
			break;
		}
		if (c->req.len + (size_t)n > LINKS_MAX_URL) {
			char why[64];

			strbuf_add(&c->req, buf, (size_t)n);
			snprintf(why, sizeof(why), "longer than %d bytes", LINKS_MAX_URL);
			say_refused(c->L, c->req.buf, c->req.len, why);
			answer(c, "refused\n");
			break;
		}
		strbuf_add(&c->req, buf, (size_t)n);
	}
	rearm(c->L);
	return 0;
}

static int on_accept(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct links *L = data;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;

	(void)events;
	(void)err;
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t i;

		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			break;
		for (i = 0; i < LINKS_MAX_CLIENTS && L->clients[i].fd >= 0; i++)
			;
		if (i == LINKS_MAX_CLIENTS) {
			close(c);	/* too many at once: the helper sees no answer */
			continue;
		}
		if (evloop_add(l, c, EPOLLIN, on_client, &L->clients[i], &why) < 0) {
			close(c);
			continue;
		}
		L->clients[i].fd = c;
		strbuf_init(&L->clients[i].req, 0);
		L->clients[i].deadline = now_ms() + LINKS_CLIENT_MS;
	}
	rearm(L);
	return 0;
}

static int on_timer(struct evloop *l, int fd, uint32_t events, void *data, struct strbuf *err)
{
	struct links *L = data;
	uint64_t ticks;
	int64_t now = now_ms();
	size_t i;

	(void)l;
	(void)events;
	(void)err;
	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		/* EAGAIN: woken for an earlier arming; the deadlines decide */
	}
	for (i = 0; i < LINKS_MAX_CLIENTS; i++) {
		struct client *c = &L->clients[i];

		if (c->fd >= 0 && c->deadline && c->deadline <= now)
			client_free(c);	/* sent nothing in time */
	}
	for (i = 0; i < LINKS_MAX_JOBS; i++) {
		struct job *j = &L->jobs[i];

		if (j->kind == JOB_FREE || !j->deadline || j->deadline > now)
			continue;
		if (j->kind == JOB_PORTAL) {
			char how[64];

			snprintf(how, sizeof(how), "the portal did not answer in %d s",
				 LINKS_PORTAL_MS / 1000);
			say_failed(j->url, how);
			job_free(j);
		} else {
			/* Still running: a browser it started itself. Counted as
			 * opened; reaped whenever it ends. */
			job_answer(j, true);
			j->deadline = 0;
		}
	}
	rearm(L);
	return 0;
}

int links_attach(struct evloop *loop, void *links, struct strbuf *err)
{
	struct links *L = links;

	L->loop = loop;
	if (L->verbose)
		warn("links: opened on the host %s", L->op.bus ? "through the portal on your session bus" :
		     L->op.xdg_open ? "with xdg-open" : "by nothing: no session bus, no xdg-open");
	if (evloop_add(loop, L->listen_fd, EPOLLIN, on_accept, L, err) < 0 ||
	    evloop_add(loop, L->timer_fd, EPOLLIN, on_timer, L, err) < 0)
		return -1;
	return 0;
}

void links_detach(void *links)
{
	struct links *L = links;
	size_t i;

	if (!L->loop)
		return;	/* never attached */
	for (i = 0; i < LINKS_MAX_CLIENTS; i++)
		if (L->clients[i].fd >= 0)
			evloop_del(L->loop, L->clients[i].fd);
	for (i = 0; i < LINKS_MAX_JOBS; i++)
		if (L->jobs[i].kind != JOB_FREE)
			evloop_del(L->loop, L->jobs[i].kind == JOB_PORTAL ? L->jobs[i].call.fd :
				   L->jobs[i].fd);
	evloop_del(L->loop, L->listen_fd);
	evloop_del(L->loop, L->timer_fd);
	L->loop = NULL;
}

/* ---- inside the sandbox ---- */

bool links_is_client(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;
	size_t i;

	base = base ? base + 1 : argv0;
	for (i = 0; base && links_client_names[i]; i++)
		if (!strcmp(base, links_client_names[i]))
			return true;
	return false;
}

static int send_one(const char *url)
{
	struct sockaddr_un sa;
	struct timeval snd = { 5, 0 };
	struct timeval rcv = { (LINKS_PORTAL_MS + LINKS_SPAWN_MS) / 1000 + 5, 0 };
	size_t len = strlen(url), off = 0, got = 0;
	char reply[16];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", LINKS_SOCKET);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, PROG ": links: %s\n", errno == ENOENT ?
			"links are off in this sandbox (the caller has no desktop session, or "
			"--links=off is recorded)" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return 3;
	}
	if (len > LINKS_MAX_URL + 1)
		len = LINKS_MAX_URL + 1;	/* enough to be refused */
	while (off < len) {
		ssize_t n = send(fd, url + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while (got < sizeof(reply) - 1) {
		ssize_t n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	reply[got] = '\0';
	if (!strcmp(reply, "ok\n"))
		return 0;
	if (!got)
		fprintf(stderr, PROG ": links: no answer from outside the sandbox\n");
	return 4;	/* refused or failed: the launcher said why */
}

int links_client_main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	int i, worst = 0;

	name = name ? name + 1 : argv[0];
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "--help"))) {
		printf("%s (sandbox-venv): opens http, https and mailto links in the browser "
		       "outside the sandbox\n", name);
		return 0;
	}
	if (argc < 2 || (argc > 2 && !strcmp(name, "xdg-open"))) {
		fprintf(stderr, "usage: %s URL\n", name);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		int r = send_one(argv[i]);

		if (r > worst)
			worst = r;
	}
	return worst;
}
