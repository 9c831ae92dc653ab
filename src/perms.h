/* perms.h - what a venv's sandboxes may reach beyond the default: the
 * network, the caller's desktop sockets and devices, opening links.
 *
 * Set when wrapping, like flatpak's permissions, and recorded with the
 * policy; later runs keep them, --reset forgets them:
 *
 *   --network=host|none|allow=ENTRY[,ENTRY...]   (default host)
 *   --socket=x11|wayland|pulseaudio  --nosocket=...
 *   --device=dri                     --nodevice=dri
 *   --links=auto|off                 (default auto)
 */
#ifndef SV_PERMS_H
#define SV_PERMS_H

#include <stdbool.h>
#include "strbuf.h"

enum perm_socket {
	PERM_SOCKET_X11 = 1 << 0,
	PERM_SOCKET_WAYLAND = 1 << 1,
	PERM_SOCKET_PULSEAUDIO = 1 << 2,
};

enum perm_device {
	PERM_DEVICE_DRI = 1 << 0,
};

enum perm_links {
	PERM_LINKS_AUTO,        /* when the caller has a desktop session */
	PERM_LINKS_OFF,
};

struct perms {
	char *network;          /* "none", "allow=..."; NULL: host */
	unsigned sockets;       /* enum perm_socket */
	unsigned devices;       /* enum perm_device */
	enum perm_links links;
};

void perms_init(struct perms *p);
void perms_release(struct perms *p);
/* Is arg one of the options above (--network=..., ...)? */
bool perms_is_option(const char *arg);
/* Apply one such option to p. Errors name the option. */
int perms_apply(struct perms *p, const char *arg, struct strbuf *err);

/* As records of the policy (state.h): "network MODE", "socket NAME",
 * "device NAME", "links off"; defaults are not written. */
void perms_format(const struct perms *p, struct strbuf *out);
/* Take a record: 1 when key was one of them, 0 when not, -1 on error. */
int perms_record(struct perms *p, const char *key, const char *value, struct strbuf *err);

/* For --show: one "KEY VALUE" line per permission, defaults included. */
/* options_cut_net: the recorded bwrap options cut the network themselves
 * (bwrapopt_net_cut), which the network line then says. */
void perms_show(const struct perms *p, bool options_cut_net, struct strbuf *out);

#endif
