/* perms.c - what a venv's sandboxes may reach beyond the default. */
#include "perms.h"

#include <stdlib.h>
#include <string.h>

#include "netpolicy.h"
#include "state.h"
#include "util.h"

struct perm_name {
	const char *name;
	unsigned bit;
};

static const struct perm_name sockets[] = {
	{ "x11", PERM_SOCKET_X11 },
	{ "wayland", PERM_SOCKET_WAYLAND },
	{ "pulseaudio", PERM_SOCKET_PULSEAUDIO },
};

static const struct perm_name devices[] = {
	{ "dri", PERM_DEVICE_DRI },
};

void perms_init(struct perms *p)
{
	memset(p, 0, sizeof(*p));
	p->links = PERM_LINKS_AUTO;
}

void perms_release(struct perms *p)
{
	free(p->network);
	perms_init(p);
}

bool perms_is_option(const char *arg)
{
	static const char *const prefixes[] = {
		"--network=", "--socket=", "--nosocket=", "--device=", "--nodevice=", "--links=",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (str_has_prefix(arg, prefixes[i]))
			return true;
	return false;
}

/* The mode by the parser the launch uses (netpolicy.h), entry by entry. */
static int network_mode(const char *mode, struct strbuf *err)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	struct net_policy np;
	int r;

	if (str_has_control(mode)) {
		strbuf_addstr(err, "--network: the mode holds a control character");
		return -1;
	}
	netpolicy_init(&np);
	r = netpolicy_parse(mode, &np, &why);
	netpolicy_release(&np);
	if (r < 0)
		strbuf_addf(err, "--network=%s: %s", mode, why.buf);
	return r;
}

/* The bit of `name` in a table of n entries, or 0. */
static unsigned bit_of(const struct perm_name *table, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(table[i].name, name))
			return table[i].bit;
	return 0;
}

int perms_apply(struct perms *p, const char *arg, struct strbuf *err)
{
	const char *v = strchr(arg, '=') + 1;
	unsigned bit;

	if (str_has_prefix(arg, "--network=")) {
		if (network_mode(v, err) < 0)
			return -1;
		free(p->network);
		p->network = strcmp(v, "host") ? xstrdup(v) : NULL;
		return 0;
	}
	if (str_has_prefix(arg, "--socket=") || str_has_prefix(arg, "--nosocket=")) {
		bit = bit_of(sockets, ARRAY_SIZE(sockets), v);
		if (!bit) {
			strbuf_addf(err, "%s: the sockets are x11, wayland and pulseaudio", arg);
			return -1;
		}
		p->sockets = arg[2] == 'n' ? p->sockets & ~bit : p->sockets | bit;
		return 0;
	}
	if (str_has_prefix(arg, "--device=") || str_has_prefix(arg, "--nodevice=")) {
		bit = bit_of(devices, ARRAY_SIZE(devices), v);
		if (!bit) {
			strbuf_addf(err, "%s: the only device is dri", arg);
			return -1;
		}
		p->devices = arg[2] == 'n' ? p->devices & ~bit : p->devices | bit;
		return 0;
	}
	if (!strcmp(arg, "--links=auto") || !strcmp(arg, "--links=off")) {
		p->links = v[0] == 'a' ? PERM_LINKS_AUTO : PERM_LINKS_OFF;
		return 0;
	}
	strbuf_addf(err, "%s: links are auto or off", arg);
	return -1;
}

void perms_format(const struct perms *p, struct strbuf *out)
{
	size_t i;

	if (p->network)
		state_add_record(out, "network", p->network);
	for (i = 0; i < ARRAY_SIZE(sockets); i++)
		if (p->sockets & sockets[i].bit)
			state_add_record(out, "socket", sockets[i].name);
	for (i = 0; i < ARRAY_SIZE(devices); i++)
		if (p->devices & devices[i].bit)
			state_add_record(out, "device", devices[i].name);
	if (p->links == PERM_LINKS_OFF)
		state_add_record(out, "links", "off");
}

int perms_record(struct perms *p, const char *key, const char *value, struct strbuf *err)
{
	cleanup_free char *opt = NULL;

	if (strcmp(key, "network") && strcmp(key, "socket") && strcmp(key, "device") &&
	    strcmp(key, "links"))
		return 0;
	if (str_has_control(value)) {	/* messages are one line */
		strbuf_addf(err, "a '%s' record with a control character", key);
		return -1;
	}
	opt = xasprintf("--%s=%s", key, value);
	return perms_apply(p, opt, err) < 0 ? -1 : 1;
}

void perms_show(const struct perms *p, bool options_cut_net, struct strbuf *out)
{
	size_t i;
	bool any = false;

	if (options_cut_net && (!p->network || !strcmp(p->network, "host")))
		strbuf_addstr(out, "network  none (the recorded options unshare it)\n");
	else
		strbuf_addf(out, "network  %s\n", p->network ? p->network : "host");
	for (i = 0; i < ARRAY_SIZE(sockets); i++)
		if (p->sockets & sockets[i].bit) {
			strbuf_addf(out, "socket   %s\n", sockets[i].name);
			any = true;
		}
	for (i = 0; i < ARRAY_SIZE(devices); i++)
		if (p->devices & devices[i].bit) {
			strbuf_addf(out, "device   %s\n", devices[i].name);
			any = true;
		}
	if (!any)
		strbuf_addstr(out, "socket   (none)\n");
	strbuf_addf(out, "links    %s\n", p->links == PERM_LINKS_OFF ? "off" : "auto");
}
