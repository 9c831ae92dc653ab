/* desktop.h - the caller's desktop, by permission: X11, Wayland, PulseAudio
 * and the GPU, with the data and libraries their programs read.
 *
 * Permissions are recorded with the policy (perms.h), as flatpak's are:
 *
 *   --socket=x11         the X server: any X client can read the other
 *                        windows' contents and send them keystrokes
 *   --socket=wayland     the Wayland compositor: the program's own windows
 *   --socket=pulseaudio  the PulseAudio (or PipeWire-Pulse) server: playing,
 *                        and recording from the microphone
 *   --device=dri         /dev/dri, for rendering on the GPU
 *
 * A launch looks at the caller's desktop (desktop_gather) and the plan
 * binds what it found (desktop_plan). What MUST hold:
 *  1. Nothing of the desktop is in a sandbox unless its permission is
 *     recorded; without any, none of the toolkit data either
 *     (desktop_host_paths).
 *  2. Every socket is bound alone, read-only, from a path outside every
 *     tree a sandbox can write, checked to be a socket: never the directory
 *     around it, so the session bus and other sockets beside it stay out.
 *  3. X11: the socket is shown under a display number that has no
 *     abstract socket on the host (/proc/net/unix): libxcb tries the
 *     abstract name first, and one of the host's there would be refused by
 *     the Landlock scope (or, on a kernel without scopes, reached behind
 *     our back). The Xauthority given is the caller's cookie for that one
 *     display, rewritten for the number inside; no other entry.
 *  4. Every value comes from the caller's environment (DISPLAY,
 *     XAUTHORITY, WAYLAND_DISPLAY, XDG_RUNTIME_DIR, PULSE_SERVER), never
 *     from the project; a permission whose socket is not there gives
 *     nothing (VERBOSE says why).
 *  5. Nothing is mounted inside a tree a sandbox keeps: the X socket goes
 *     into the sandbox's fresh /tmp, the others into /run/user/UID (made
 *     by bwrap, read-only).
 */
#ifndef SV_DESKTOP_H
#define SV_DESKTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "perms.h"
#include "strbuf.h"
#include "strvec.h"

#define DESKTOP_XAUTHORITY "/run/sandbox-venv/Xauthority"
#define DESKTOP_PULSE_CONFIG "/run/sandbox-venv/pulse-client.conf"
/* The first display number tried inside (flatpak's). */
#define DESKTOP_X11_FIRST 99
#define DESKTOP_XAUTH_MAX (1u << 20)

/* What this launch gives, found in the caller's environment. */
struct desktop {
	char *x11_socket;        /* the caller's X socket, or NULL */
	unsigned x11_inside;     /* its display number inside */
	char *x11_screen;        /* DISPLAY's screen (".1"), or "" */
	struct strbuf xauth;     /* the Xauthority inside; empty: none */
	char *wayland_socket;    /* the caller's Wayland socket, or NULL */
	char *pulse_socket;      /* the PulseAudio socket, or NULL */
	bool dri;                /* /dev/dri is there */
	struct strvec sys;       /* sysfs paths the GPU's userland reads */
	struct strvec notes;     /* for VERBOSE: what was not given, and why */
};

void desktop_init(struct desktop *d);
void desktop_release(struct desktop *d);

typedef bool (*desktop_writable_fn)(const char *path, void *data);
/* Look for what perms grants in the caller's environment envp;
 * writable(path, data) says whether a sandbox can write path. */
void desktop_gather(struct desktop *d, const struct perms *perms, const char *const *envp,
		    desktop_writable_fn writable, void *data);

/* The host paths the granted permissions need read-only (toolkit data,
 * fonts, the X keyboard data, icons, GL drivers, audio configuration),
 * with code_only just the programs and libraries, whose needs are
 * collected (wrap.c). why gets each path's reason when not NULL. */
void desktop_host_paths(const struct perms *perms, struct strvec *out, struct strvec *why,
			bool code_only);

/* The sandbox's XDG_RUNTIME_DIR. */
char *desktop_runtime_dir(void);

/* For tests. */
/* The display number of a local DISPLAY (":0", ":0.0", "unix:1"), or -1. */
int desktop_x11_display(const char *display);
/* Is "@/tmp/.X11-unix/X<n>" in proc_net_unix (/proc/net/unix's text)? */
bool desktop_x11_abstract(const char *proc_net_unix, unsigned n);
/* The entries of an Xauthority file (len bytes) for display `display` on
 * host `hostname` (FamilyLocal) or any host (FamilyWild), rewritten as
 * FamilyWild entries for display `inside`. Returns how many, or -1 when
 * the data is malformed. */
int desktop_xauth_filter(const unsigned char *data, size_t len, const char *hostname,
			 unsigned display, unsigned inside, struct strbuf *out);

#endif
