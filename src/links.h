/* links.h - links from inside a sandbox, opened in the host's browser.
 *
 * Inside, xdg-open, x-www-browser, sensible-browser, www-browser and
 * $BROWSER are the sandbox's init (init.h: sandbox-venv-init, or this
 * binary) in another role (links_client_main): symlinks to it in
 * LINKS_BIN_DIR, at the end of PATH. Each hands its URL over a unix socket
 * that the launcher listens on, in a private directory of its own
 * (mkdtemp, 0700), bound read-only into the sandbox at LINKS_SOCKET. The
 * launcher checks the link (links_check_url), and opens it on the host:
 * through the desktop portal's org.freedesktop.portal.OpenURI.OpenURI on
 * the caller's session bus when there is one (dbus.h), else with the
 * host's xdg-open. The answer goes back, so that a refused link makes the
 * helper exit non-zero (Python's webbrowser then tries its next browser).
 *
 * On by default when the caller has a desktop session (a session bus,
 * DISPLAY or WAYLAND_DISPLAY in the environment), off with the recorded
 * --links=off (perms.h), and off when the sandbox's network is cut: a link
 * is a way out, since the browser fetches what it names (launch.c).
 *
 * What MUST hold:
 *  1. The sandbox gets no descriptor of ours (DESIGN MUST 9): only the
 *     socket's path is bound in; the listening socket stays in the
 *     launcher, close-on-exec.
 *  2. A link is opened only when links_check_url takes it: http, https or
 *     mailto (without parameters that make mail programs attach files),
 *     at most LINKS_MAX_URL bytes, no control characters or spaces; and
 *     only LINKS_BURST in a row, then one per LINKS_REFILL_MS. Every
 *     refusal is said on one line: "sandbox-venv: links: refused ...
 *     (reason)", the link shown with its unprintable bytes escaped.
 *  3. Nothing of the session bus reaches a sandbox: the launcher makes
 *     the one call itself; the bus's address stays in its environment.
 *  4. The host's xdg-open is found on the caller's PATH, skipping every
 *     directory that is not absolute or that a sandbox can write (the
 *     project, the venv, writable binds), and run by that absolute path,
 *     never through a shell, with the link as its one argument, a clean
 *     environment (spawn_env in links.c, and that PATH), in a session of its
 *     own with 0, 1 and 2 on /dev/null, and outside the Landlock domain.
 *  5. No handler blocks the launcher's loop (evloop.h): every descriptor
 *     is non-blocking; a client has LINKS_CLIENT_MS to send its link, the
 *     portal LINKS_PORTAL_MS to answer, xdg-open LINKS_SPAWN_MS before it
 *     counts as started (it is reaped through its pidfd whenever it
 *     ends). At most
 *     LINKS_MAX_CLIENTS connections and LINKS_MAX_JOBS openings at once.
 */
#ifndef SV_LINKS_H
#define SV_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include "evloop.h"
#include "init.h"
#include "perms.h"
#include "strbuf.h"
#include "strvec.h"

#define LINKS_SOCKET INIT_DIR "/links"
#define LINKS_BIN_DIR INIT_DIR "/bin"
#define LINKS_BROWSER LINKS_BIN_DIR "/sensible-browser"

#define LINKS_MAX_URL 4096
#define LINKS_BURST 5
#define LINKS_REFILL_MS 2000
#define LINKS_CLIENT_MS 2000
#define LINKS_PORTAL_MS 10000
#define LINKS_SPAWN_MS 5000
#define LINKS_MAX_CLIENTS 8
#define LINKS_MAX_JOBS 4
/* A killed launcher's directory is removed by a later one when it is this
 * old and nobody listens on its socket; at most this many at a time. */
#define LINKS_STALE_S 60
#define LINKS_SWEEP_MAX 16

/* The names of the helper inside (symlinks in LINKS_BIN_DIR), NULL-ended. */
extern const char *const links_client_names[];

/* Links are on: not --links=off, and the caller has a desktop session. */
bool links_wanted(const struct perms *perms, const char *const *envp);

/* How links leave the launcher. */
struct links_opener {
	char *bus;              /* the caller's DBUS_SESSION_BUS_ADDRESS, or NULL */
	char *xdg_open;         /* the host's xdg-open, an absolute path, or NULL */
	struct strvec env;      /* xdg-open's environment */
};

typedef bool (*links_writable_fn)(const char *path, void *data);
/* Fill o from the caller's environment; writable(path, data) says whether a
 * sandbox can write path (MUST 4). */
void links_opener_find(struct links_opener *o, const char *const *envp,
		       links_writable_fn writable, void *data);
void links_opener_release(struct links_opener *o);

/* Check one link of len bytes. Returns 0 with the link to open in out
 * (bytes outside RFC 3986's characters %-encoded), or -1 with the reason
 * in why. */
int links_check_url(const char *url, size_t len, struct strbuf *out, struct strbuf *why);

/* The launcher's side: the listening socket in a private directory. The
 * service takes o (steals its contents). Returns NULL with err. */
struct links;
struct links *links_new(struct links_opener *o, bool verbose, struct strbuf *err);
const char *links_socket_path(const struct links *L);
/* Add the service's sources to the launcher's loop, and let go of it
 * (run.h). */
int links_attach(struct evloop *loop, void *links, struct strbuf *err);
void links_detach(void *links);
/* Close everything, remove the socket and its directory (one a killed
 * launcher left is removed by a later launch). A running
 * xdg-open is left to finish on its own. */
void links_free(struct links *L);

/* Inside: is argv0 (its last component) one of links_client_names? */
bool links_is_client(const char *argv0);
/* "xdg-open URL": hand the link to the launcher. Exit status: 0 opened,
 * 1 usage, 3 no link channel here, 4 refused or failed. */
int links_client_main(int argc, char **argv);

#endif
