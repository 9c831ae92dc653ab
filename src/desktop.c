/* desktop.c - the caller's desktop, by permission (desktop.h says what
 * must hold). */
#include "desktop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "libdeps.h"
#include "users.h"
#include "util.h"

#define MULTIARCH "@MULTIARCH@"
#define PROC_NET_UNIX_MAX (16u << 20)

/* Xauthority families (Xauth.h). */
#define FAMILY_LOCAL 256
#define FAMILY_WILD 65535

enum grant {
	GRANT_DISPLAY = 1 << 0,   /* x11 or wayland: a GUI toolkit */
	GRANT_GL = 1 << 1,        /* x11, wayland or dri: GL and its drivers */
	GRANT_AUDIO = 1 << 2,     /* pulseaudio */
};

static const struct desktop_path {
	const char *path;
	const char *why;
	unsigned grant;           /* enum grant */
	bool code;                /* programs or libraries: collect what they need */
} desktop_paths[] = {
	{ "/usr/share/tcltk", "Tcl/Tk's library (tkinter)", GRANT_DISPLAY, false },
	{ "/usr/lib/tcltk", "Tcl/Tk's packages", GRANT_DISPLAY, true },
	{ "/etc/fonts", "fontconfig's configuration", GRANT_DISPLAY, false },
	{ "/usr/share/fontconfig", "fontconfig's configuration (/etc/fonts/conf.d links here)", GRANT_DISPLAY, false },
	{ "/usr/share/fonts", "fonts", GRANT_DISPLAY, false },
	{ "/usr/local/share/fonts", "fonts", GRANT_DISPLAY, false },
	{ "/var/cache/fontconfig", "fontconfig's cache of the fonts", GRANT_DISPLAY, false },
	{ "/usr/share/X11", "the X keyboard data (xkb), Xlib's locales and compose tables", GRANT_DISPLAY, false },
	{ "/usr/share/icons", "icon and cursor themes", GRANT_DISPLAY, false },
	{ "/usr/share/pixmaps", "icons", GRANT_DISPLAY, false },
	{ "/usr/share/themes", "toolkit themes", GRANT_DISPLAY, false },
	{ "/usr/share/mime", "file types (GTK, Qt)", GRANT_DISPLAY, false },
	{ "/usr/share/glib-2.0/schemas", "GSettings schemas (GTK)", GRANT_DISPLAY, false },
	/* Loaded by name (dlopen, ctypes), so no ELF header names them. */
	{ "/usr/lib/" MULTIARCH "/libX11.so.6", "Xlib, loaded by name (ctypes)", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/libXcursor.so.1", "loaded by Xlib for cursor themes", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/libXft.so.2", "fonts on X, loaded by name", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/libxkbcommon.so.0", "keyboards, loaded by name", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/libxkbcommon-x11.so.0", "keyboards on X, loaded by name", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/libwayland-client.so.0", "Wayland, loaded by name", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/libwayland-cursor.so.0", "Wayland cursors, loaded by name", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/libwayland-egl.so.1", "GL on Wayland, loaded by name", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/libfontconfig.so.1", "fonts, loaded by name", GRANT_DISPLAY, true },
	{ "/usr/lib/" MULTIARCH "/dri", "Mesa's GL drivers, software rendering included", GRANT_GL, true },
	{ "/usr/share/glvnd", "which library serves GL and EGL (glvnd)", GRANT_GL, false },
	{ "/etc/glvnd", "which library serves GL and EGL (glvnd)", GRANT_GL, false },
	{ "/usr/share/drirc.d", "Mesa's settings", GRANT_GL, false },
	{ "/etc/drirc", "Mesa's settings", GRANT_GL, false },
	{ "/usr/share/vulkan", "Vulkan drivers' manifests", GRANT_GL, false },
	{ "/etc/vulkan", "Vulkan drivers' manifests", GRANT_GL, false },
	{ "/usr/lib/" MULTIARCH "/libGL.so.1", "GL, loaded by name (PyOpenGL, pyglet)", GRANT_GL, true },
	{ "/usr/lib/" MULTIARCH "/libGLX.so.0", "GL on X (glvnd)", GRANT_GL, true },
	{ "/usr/lib/" MULTIARCH "/libGLX_mesa.so.0", "Mesa's GL on X, loaded by glvnd", GRANT_GL, true },
	{ "/usr/lib/" MULTIARCH "/libEGL.so.1", "EGL, loaded by name", GRANT_GL, true },
	{ "/usr/lib/" MULTIARCH "/libEGL_mesa.so.0", "Mesa's EGL, loaded by glvnd", GRANT_GL, true },
	{ "/usr/lib/" MULTIARCH "/libOpenGL.so.0", "GL without X, loaded by name", GRANT_GL, true },
	{ "/usr/lib/" MULTIARCH "/libGLESv2.so.2", "GLES, loaded by name", GRANT_GL, true },
	{ "/usr/lib/" MULTIARCH "/libgbm.so.1", "GPU buffers, loaded by name", GRANT_GL, true },
	{ "/usr/lib/" MULTIARCH "/libvulkan.so.1", "Vulkan, loaded by name", GRANT_GL, true },
	{ "/etc/pulse", "PulseAudio's client configuration", GRANT_AUDIO, false },
	{ "/usr/share/alsa", "ALSA's configuration (its PulseAudio plugin)", GRANT_AUDIO, false },
	{ "/etc/alsa", "ALSA's configuration", GRANT_AUDIO, false },
	{ "/etc/asound.conf", "ALSA's configuration", GRANT_AUDIO, false },
	{ "/usr/lib/" MULTIARCH "/alsa-lib", "ALSA's plugins (PulseAudio's)", GRANT_AUDIO, true },
	{ "/usr/lib/" MULTIARCH "/libpulse.so.0", "PulseAudio, loaded by name", GRANT_AUDIO, true },
	{ "/usr/lib/" MULTIARCH "/libpulse-simple.so.0", "PulseAudio, loaded by name", GRANT_AUDIO, true },
	{ "/usr/lib/" MULTIARCH "/libasound.so.2", "ALSA, loaded by name (sounddevice, simpleaudio)", GRANT_AUDIO, true },
};

static unsigned grants(const struct perms *perms)
{
	unsigned g = 0;

	if (perms->sockets & (PERM_SOCKET_X11 | PERM_SOCKET_WAYLAND))
		g |= GRANT_DISPLAY | GRANT_GL;
	if (perms->devices & PERM_DEVICE_DRI)
		g |= GRANT_GL;
	if (perms->sockets & PERM_SOCKET_PULSEAUDIO)
		g |= GRANT_AUDIO;
	return g;
}

void desktop_host_paths(const struct perms *perms, struct strvec *out, struct strvec *why,
			bool code_only)
{
	const char *triplet = libdeps_multiarch_triplet();
	unsigned g = grants(perms);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(desktop_paths); i++) {
		const struct desktop_path *d = &desktop_paths[i];
		const char *t = strstr(d->path, MULTIARCH);

		if (!(d->grant & g) || (code_only && !d->code) || (t && !triplet))
			continue;
		if (t)
			strvec_pushf(out, "%.*s%s%s", (int)(t - d->path), d->path, triplet,
				     t + strlen(MULTIARCH));
		else
			strvec_push(out, d->path);
		if (why)
			strvec_push(why, d->why);
	}
}

void desktop_init(struct desktop *d)
{
	memset(d, 0, sizeof(*d));
	strbuf_init(&d->xauth, 0);
	strvec_init(&d->sys);
	strvec_init(&d->notes);
}

void desktop_release(struct desktop *d)
{
	free(d->x11_socket);
	free(d->x11_screen);
	free(d->wayland_socket);
	free(d->pulse_socket);
	strbuf_release(&d->xauth);
	strvec_clear(&d->sys);
	strvec_clear(&d->notes);
	desktop_init(d);
}

char *desktop_runtime_dir(void)
{
	return xasprintf("/run/user/%u", (unsigned)getuid());
}

/* The socket at path, canonical, when it is one and lies where no sandbox
 * can write; else NULL with the reason in why. */
static char *socket_at(const char *path, desktop_writable_fn writable, void *data,
		       struct strbuf *why)
{
	struct stat st;
	char *real;

	if (lstat(path, &st) < 0) {
		strbuf_addf(why, "'%s': %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISSOCK(st.st_mode)) {
		strbuf_addf(why, "'%s' is not a socket", path);
		return NULL;
	}
	real = realpath(path, NULL);
	if (!real || writable(real, data)) {
		strbuf_addf(why, "'%s' lies where a sandbox can write", path);
		free(real);
		return NULL;
	}
	return real;
}

/* ---- X11 ---- */

int desktop_x11_display(const char *display)
{
	const char *p = display;
	long n = 0;
	size_t digits;

	if (!strncmp(p, "unix:", 5))
		p += 5;
	else if (*p == ':')
		p++;
	else
		return -1;
	digits = strspn(p, "0123456789");
	if (!digits || digits > 5 || (p[digits] && p[digits] != '.'))
		return -1;
	if (p[digits] == '.' && (!p[digits + 1] ||
				 strspn(p + digits + 1, "0123456789") != strlen(p + digits + 1)))
		return -1;
	for (; digits; digits--, p++)
		n = n * 10 + (*p - '0');
	return n > 65535 ? -1 : (int)n;
}

bool desktop_x11_abstract(const char *proc_net_unix, unsigned n)
{
	char want[64];
	const char *line = proc_net_unix;

	snprintf(want, sizeof(want), "@/tmp/.X11-unix/X%u", n);
	while (line && *line) {
		const char *end = strchrnul(line, '\n');
		size_t wl = strlen(want);

		/* The path is the last field. */
		if ((size_t)(end - line) > wl && !memcmp(end - wl, want, wl) && end[-wl - 1] == ' ')
			return true;
		line = *end ? end + 1 : NULL;
	}
	return false;
}

static int rd16(const unsigned char *d, size_t len, size_t *off, unsigned *v)
{
	if (len - *off < 2)
		return -1;
	*v = (unsigned)d[*off] << 8 | d[*off + 1];
	*off += 2;
	return 0;
}

static int rdfield(const unsigned char *d, size_t len, size_t *off, const unsigned char **p,
		   unsigned *n)
{
	if (rd16(d, len, off, n) < 0 || len - *off < *n)
		return -1;
	*p = d + *off;
	*off += *n;
	return 0;
}

static void wr16(struct strbuf *out, unsigned v)
{
	strbuf_addch(out, (char)(v >> 8));
	strbuf_addch(out, (char)v);
}

static void wrfield(struct strbuf *out, const void *p, size_t n)
{
	wr16(out, (unsigned)n);
	strbuf_add(out, p, n);
}

int desktop_xauth_filter(const unsigned char *data, size_t len, const char *hostname,
			 unsigned display, unsigned inside, struct strbuf *out)
{
	char num[16], in[16];
	size_t off = 0;
	int found = 0;

	snprintf(num, sizeof(num), "%u", display);
	snprintf(in, sizeof(in), "%u", inside);
	while (off < len) {
		const unsigned char *addr, *number, *name, *cookie;
		unsigned family, na, nn, nname, nc;
		bool host, disp;

		if (rd16(data, len, &off, &family) < 0 ||
		    rdfield(data, len, &off, &addr, &na) < 0 ||
		    rdfield(data, len, &off, &number, &nn) < 0 ||
		    rdfield(data, len, &off, &name, &nname) < 0 ||
		    rdfield(data, len, &off, &cookie, &nc) < 0)
			return -1;
		host = family == FAMILY_WILD ||
		       (family == FAMILY_LOCAL && na == strlen(hostname) && !memcmp(addr, hostname, na));
		disp = nn == strlen(num) && !memcmp(number, num, nn);
		if (!host || !disp || !nname || !nc)
			continue;
		wr16(out, FAMILY_WILD);
		wrfield(out, "", 0);
		wrfield(out, in, strlen(in));
		wrfield(out, name, nname);
		wrfield(out, cookie, nc);
		found++;
	}
	return found;
}

static void gather_xauth(struct desktop *d, const char *const *envp, unsigned display)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_free char *path = NULL;
	const char *xa = env_lookup(envp, "XAUTHORITY"), *home = env_lookup(envp, "HOME");
	const struct passwd *pw = user_entry(getuid());
	cleanup_fd int fd = -1;
	struct stat st;
	char host[256];
	int n;

	if (!home || home[0] != '/')
		home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	if (xa && xa[0] == '/')
		path = xstrdup(xa);
	else if (home)
		path = xasprintf("%s/.Xauthority", home);
	if (!path) {
		strvec_push(&d->notes, "x11: no XAUTHORITY and no home: no cookie passed");
		return;
	}
	/* Your own file, wherever XAUTHORITY points (a symlink is fine):
	 * read as data, capped. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fs_read_fd(fd, DESKTOP_XAUTH_MAX, &text, path, &err) < 0) {
		strvec_pushf(&d->notes, "x11: no cookie passed ('%s': %s)", path,
			     err.len ? err.buf : fd < 0 ? strerror(errno) : "not a regular file");
		return;
	}
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	n = desktop_xauth_filter((const unsigned char *)text.buf, text.len, host, display,
				 d->x11_inside, &d->xauth);
	if (n < 0) {
		strbuf_reset(&d->xauth);
		strvec_pushf(&d->notes, "x11: '%s' is not an Xauthority file: no cookie passed", path);
	} else if (n == 0) {
		strvec_pushf(&d->notes, "x11: '%s' has no cookie for display :%u: none passed",
			     path, display);
	}
}

static void gather_x11(struct desktop *d, const char *const *envp, desktop_writable_fn writable,
		       void *data)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_strbuf struct strbuf net = STRBUF_INIT;
	cleanup_free char *path = NULL;
	const char *display = env_lookup(envp, "DISPLAY");
	unsigned m;
	int n;

	if (!display || !display[0]) {
		strvec_push(&d->notes, "x11: DISPLAY is not set: no X server in the sandbox");
		return;
	}
	n = desktop_x11_display(display);
	if (n < 0) {
		strvec_pushf(&d->notes, "x11: DISPLAY '%s' is not a local display (:N): no X "
			     "server in the sandbox", display);
		return;
	}
	path = xasprintf("/tmp/.X11-unix/X%d", n);
	d->x11_socket = socket_at(path, writable, data, &why);
	if (!d->x11_socket) {
		strvec_pushf(&d->notes, "x11: no X server in the sandbox: %s", why.buf);
		return;
	}
	/* A number with no abstract socket on the host (MUST 3). */
	if (fs_read_file_at(AT_FDCWD, "/proc/net/unix", PROC_NET_UNIX_MAX, &net, &why) < 0) {
		strvec_pushf(&d->notes, "x11: cannot read /proc/net/unix (%s): no X server in the "
			     "sandbox", why.buf);
		FREE_AND_NULL(d->x11_socket);
		return;
	}
	for (m = DESKTOP_X11_FIRST; m < DESKTOP_X11_FIRST + 1000; m++)
		if (!desktop_x11_abstract(net.buf, m))
			break;
	d->x11_inside = m;
	d->x11_screen = xstrdup(strchr(strchr(display, ':'), '.') ? strchr(strchr(display, ':'), '.') : "");
	gather_xauth(d, envp, (unsigned)n);
}

/* ---- Wayland, PulseAudio, the GPU ---- */

static void gather_wayland(struct desktop *d, const char *const *envp,
			   desktop_writable_fn writable, void *data)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_free char *path = NULL;
	const char *wd = env_lookup(envp, "WAYLAND_DISPLAY"), *rt = env_lookup(envp, "XDG_RUNTIME_DIR");

	if (!wd || !wd[0]) {
		strvec_push(&d->notes, "wayland: WAYLAND_DISPLAY is not set: no compositor in the sandbox");
		return;
	}
	if (wd[0] == '/')
		path = xstrdup(wd);
	else if (rt && rt[0] == '/')
		path = xasprintf("%s/%s", rt, wd);
	if (!path) {
		strvec_push(&d->notes, "wayland: XDG_RUNTIME_DIR is not set: no compositor in the sandbox");
		return;
	}
	d->wayland_socket = socket_at(path, writable, data, &why);
	if (!d->wayland_socket)
		strvec_pushf(&d->notes, "wayland: no compositor in the sandbox: %s", why.buf);
}

/* PULSE_SERVER's first local entry ("unix:/path", "/path", either after a
 * "{machine-id}"), else the per-user socket, else the system one. */
static void gather_pulse(struct desktop *d, const char *const *envp,
			 desktop_writable_fn writable, void *data)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_strvec struct strvec cand = STRVEC_INIT;
	const char *ps = env_lookup(envp, "PULSE_SERVER"), *rt = env_lookup(envp, "XDG_RUNTIME_DIR");
	size_t i;

	while (ps && *ps) {
		size_t n;

		ps += strspn(ps, " \t");
		n = strcspn(ps, " \t");
		if (n) {
			cleanup_free char *e = xstrndup(ps, n);
			const char *s = e;

			if (*s == '{' && strchr(s, '}'))
				s = strchr(s, '}') + 1;
			if (!strncmp(s, "unix:", 5))
				s += 5;
			if (*s == '/')
				strvec_push(&cand, s);
		}
		ps += n;
	}
	if (!cand.nr && rt && rt[0] == '/')
		strvec_pushf(&cand, "%s/pulse/native", rt);
	if (!cand.nr)
		strvec_push(&cand, "/run/pulse/native");
	for (i = 0; i < cand.nr && !d->pulse_socket; i++) {
		if (why.len)
			strbuf_addstr(&why, "; ");
		d->pulse_socket = socket_at(cand.v[i], writable, data, &why);
	}
	if (!d->pulse_socket)
		strvec_pushf(&d->notes, "pulseaudio: no sound server in the sandbox: %s", why.buf);
}

/* /dev/dri, and the sysfs entries of its devices that Mesa and libdrm
 * read (the PCI ids). */
static void gather_dri(struct desktop *d)
{
	DIR *dir = opendir("/dev/dri");
	struct dirent *de;

	if (!dir) {
		strvec_pushf(&d->notes, "dri: /dev/dri: %s: no GPU in the sandbox", strerror(errno));
		return;
	}
	d->dri = true;
	while ((de = readdir(dir))) {
		cleanup_free char *link = NULL;
		cleanup_free char *dev = NULL;
		cleanup_free char *real = NULL;
		struct stat st;

		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISCHR(st.st_mode))
			continue;
		link = xasprintf("/sys/dev/char/%u:%u", major(st.st_rdev), minor(st.st_rdev));
		dev = xasprintf("%s/device", link);
		real = realpath(dev, NULL);
		if (real && str_has_prefix(real, "/sys/devices/") && strvec_find(&d->sys, real) < 0)
			strvec_push(&d->sys, real);
		if (strvec_find(&d->sys, link) < 0)
			strvec_push(&d->sys, link);
	}
	closedir(dir);
}

void desktop_gather(struct desktop *d, const struct perms *perms, const char *const *envp,
		    desktop_writable_fn writable, void *data)
{
	if (perms->sockets & PERM_SOCKET_X11)
		gather_x11(d, envp, writable, data);
	if (perms->sockets & PERM_SOCKET_WAYLAND)
		gather_wayland(d, envp, writable, data);
	if (perms->sockets & PERM_SOCKET_PULSEAUDIO)
		gather_pulse(d, envp, writable, data);
	if (perms->devices & PERM_DEVICE_DRI)
		gather_dri(d);
}
